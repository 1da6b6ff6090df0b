// SPDX-License-Identifier: MIT
#include "ioctl_args.h"

#include "core/usercopy.h"

#include <sys/ioctl.h>

#include <algorithm>
#include <cstring>
#include <type_traits>
#include <unordered_map>

namespace v4l2emu {

namespace {


struct KindEntry {
	unsigned long request;
	ArgKind kind;
};

const KindEntry kKinds[] = {
	{VIDIOC_QUERYCAP, ArgKind::Capability},
	{VIDIOC_ENUM_FMT, ArgKind::Fmtdesc},
	{VIDIOC_G_FMT, ArgKind::Format},
	{VIDIOC_S_FMT, ArgKind::Format},
	{VIDIOC_TRY_FMT, ArgKind::Format},
	{VIDIOC_REQBUFS, ArgKind::Reqbufs},
	{VIDIOC_CREATE_BUFS, ArgKind::CreateBufs},
	{VIDIOC_QUERYBUF, ArgKind::Buffer},
	{VIDIOC_QBUF, ArgKind::Buffer},
	{VIDIOC_DQBUF, ArgKind::Buffer},
	{VIDIOC_PREPARE_BUF, ArgKind::Buffer},
	{VIDIOC_EXPBUF, ArgKind::Expbuf},
	{VIDIOC_STREAMON, ArgKind::Int},
	{VIDIOC_STREAMOFF, ArgKind::Int},
	{VIDIOC_G_EXT_CTRLS, ArgKind::ExtCtrls},
	{VIDIOC_S_EXT_CTRLS, ArgKind::ExtCtrls},
	{VIDIOC_TRY_EXT_CTRLS, ArgKind::ExtCtrls},
	{VIDIOC_QUERY_EXT_CTRL, ArgKind::QueryExtCtrl},
	{VIDIOC_QUERYCTRL, ArgKind::QueryCtrl},
	{VIDIOC_QUERYMENU, ArgKind::QueryMenu},
	{VIDIOC_G_CTRL, ArgKind::Control},
	{VIDIOC_S_CTRL, ArgKind::Control},
	{VIDIOC_ENUM_FRAMESIZES, ArgKind::Frmsize},
	{VIDIOC_SUBSCRIBE_EVENT, ArgKind::EventSub},
	{VIDIOC_UNSUBSCRIBE_EVENT, ArgKind::EventSub},
	{VIDIOC_DQEVENT, ArgKind::Event},
	{VIDIOC_DECODER_CMD, ArgKind::DecoderCmd},
	{VIDIOC_TRY_DECODER_CMD, ArgKind::DecoderCmd},
	{VIDIOC_G_SELECTION, ArgKind::Selection},
	{VIDIOC_S_SELECTION, ArgKind::Selection},
	{MEDIA_IOC_DEVICE_INFO, ArgKind::MediaInfo},
	{MEDIA_IOC_G_TOPOLOGY, ArgKind::Topology},
	{MEDIA_IOC_REQUEST_ALLOC, ArgKind::Int},
};

uint64_t ptrFlag(uint64_t p) { return p ? 1 : 0; }

template<typename T> bool copyArray(std::vector<T> *out, uint64_t ptr, size_t n)
{
	out->assign(n, T{});
	if (!n)
		return true;
	if (copyFromUser(out->data(), reinterpret_cast<const void *>(ptr), n * sizeof(T))) {
		out->clear();
		return false;
	}
	return true;
}

} // namespace

ArgKind argKind(unsigned long request)
{
	for (const KindEntry &k : kKinds)
		if (k.request == request)
			return k.kind;
	if (request == MEDIA_REQUEST_IOC_QUEUE || request == MEDIA_REQUEST_IOC_REINIT ||
	    _IOC_DIR(request) == _IOC_NONE || _IOC_SIZE(request) == 0)
		return ArgKind::None;
	return ArgKind::Raw;
}

bool isMplaneType(uint32_t type)
{
	return type == V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE || type == V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE;
}

bool isOutputType(uint32_t type)
{
	return type == V4L2_BUF_TYPE_VIDEO_OUTPUT || type == V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE ||
	       type == V4L2_BUF_TYPE_VBI_OUTPUT || type == V4L2_BUF_TYPE_SLICED_VBI_OUTPUT ||
	       type == V4L2_BUF_TYPE_VIDEO_OUTPUT_OVERLAY || type == V4L2_BUF_TYPE_SDR_OUTPUT ||
	       type == V4L2_BUF_TYPE_META_OUTPUT;
}

void IoctlPayload::reset(unsigned long req)
{
	*this = IoctlPayload{};
	request = req;
	if (argKind(req) != ArgKind::None)
		top.assign(_IOC_SIZE(req), 0);
}

bool IoctlPayload::capture(unsigned long req, const void *arg, const IoctlPayload *shape)
{
	reset(req);
	if (top.empty())
		return true;
	if (!arg || copyFromUser(top.data(), arg, top.size())) {
		top.clear();
		return false;
	}
	switch (kind()) {
	case ArgKind::Buffer: {
		auto &b = as<struct v4l2_buffer>();
		if (isMplaneType(b.type) && b.m.planes && b.length <= VIDEO_MAX_PLANES)
			nestedFault |= !copyArray(&planes, reinterpret_cast<uint64_t>(b.m.planes), b.length);
		break;
	}
	case ArgKind::ExtCtrls: {
		auto &c = as<struct v4l2_ext_controls>();
		if (!c.count || !c.controls)
			break;
		if (c.count > kMaxControls ||
		    !copyArray(&controls, reinterpret_cast<uint64_t>(c.controls), c.count)) {
			nestedFault = true;
			break;
		}
		payloads.resize(controls.size());
		size_t budget = kMaxPayloads;
		for (size_t i = 0; i < controls.size(); i++) {
			const struct v4l2_ext_control &e = controls[i];
			if (!e.size)
				continue;
			if (e.size > budget || !e.ptr) {
				nestedFault = true;
				continue;
			}
			budget -= e.size;
			payloads[i].assign(e.size, '\0');
			if (copyFromUser(payloads[i].data(), e.ptr, e.size)) {
				payloads[i].clear();
				nestedFault = true;
			}
		}
		break;
	}
	case ArgKind::Topology: {
		// The arrays are output only: copied after the call, bounded by what the caller
		// provided (the counts before the call).
		if (!shape || shape->top.size() != top.size())
			break;
		const auto &before = shape->as<struct media_v2_topology>();
		const auto &t = as<struct media_v2_topology>();
		auto grab = [&](auto *vec, uint64_t ptr, uint32_t had, uint32_t now) {
			if (ptr && had)
				nestedFault |= !copyArray(vec, ptr, std::min<size_t>({had, now, kMaxTopology}));
		};
		grab(&entities, t.ptr_entities, before.num_entities, t.num_entities);
		grab(&interfaces, t.ptr_interfaces, before.num_interfaces, t.num_interfaces);
		grab(&pads, t.ptr_pads, before.num_pads, t.num_pads);
		grab(&links, t.ptr_links, before.num_links, t.num_links);
		break;
	}
	default:
		break;
	}
	return true;
}

void *IoctlPayload::bind()
{
	if (top.empty())
		return nullptr;
	// A pointer the recorded run could not read stays invalid (1): the replay faults too.
	if (nestedFault)
		return top.data();
	switch (kind()) {
	case ArgKind::Buffer: {
		auto &b = as<struct v4l2_buffer>();
		if (isMplaneType(b.type) && (b.m.planes || !planes.empty())) {
			size_t n = std::min<size_t>(b.length, VIDEO_MAX_PLANES);
			if (planes.size() < n)
				planes.resize(n);
			if (planes.empty())	// the caller had a valid pointer to nothing
				planes.resize(1);
			b.m.planes = planes.data();
		}
		break;
	}
	case ArgKind::ExtCtrls: {
		auto &c = as<struct v4l2_ext_controls>();
		if (!c.controls && controls.empty())
			break;
		size_t n = std::min<size_t>(c.count, kMaxControls);
		if (controls.size() < n)
			controls.resize(n);
		if (controls.empty())
			controls.resize(1);
		if (payloads.size() < controls.size())
			payloads.resize(controls.size());
		c.controls = controls.data();
		size_t budget = kMaxPayloads;
		for (size_t i = 0; i < controls.size(); i++) {
			struct v4l2_ext_control &e = controls[i];
			if (!e.size)
				continue;
			// Sizes beyond the budget (a garbage argument) keep an invalid pointer.
			if (e.size > budget) {
				e.ptr = reinterpret_cast<void *>(1);
				continue;
			}
			budget -= e.size;
			if (payloads[i].size() < e.size)
				payloads[i].resize(e.size);
			e.ptr = payloads[i].data();
		}
		break;
	}
	case ArgKind::Topology: {
		auto &t = as<struct media_v2_topology>();
		auto place = [](auto *vec, uint64_t ptr, uint32_t num) -> uint64_t {
			if (!ptr && vec->empty())
				return 0;
			size_t n = std::min<size_t>(num, kMaxTopology);
			if (vec->size() < n)
				vec->resize(n);
			if (vec->empty())
				vec->resize(1);
			return reinterpret_cast<uint64_t>(vec->data());
		};
		t.ptr_entities = place(&entities, t.ptr_entities, t.num_entities);
		t.ptr_interfaces = place(&interfaces, t.ptr_interfaces, t.num_interfaces);
		t.ptr_pads = place(&pads, t.ptr_pads, t.num_pads);
		t.ptr_links = place(&links, t.ptr_links, t.num_links);
		break;
	}
	default:
		break;
	}
	return top.data();
}

void IoctlPayload::normalise(bool after)
{
	if (top.empty())
		return;
	for (FdSlot &s : fdSlots(this))
		if (after || !s.output)
			*s.fd = 0;
	switch (kind()) {
	case ArgKind::Buffer: {
		auto &b = as<struct v4l2_buffer>();
		if (isMplaneType(b.type))
			b.m.planes = reinterpret_cast<struct v4l2_plane *>(ptrFlag(
				reinterpret_cast<uint64_t>(b.m.planes)));
		else if (b.memory == V4L2_MEMORY_USERPTR)
			b.m.userptr = ptrFlag(b.m.userptr);
		for (struct v4l2_plane &p : planes)
			if (b.memory == V4L2_MEMORY_USERPTR)
				p.m.userptr = ptrFlag(p.m.userptr);
		break;
	}
	case ArgKind::ExtCtrls: {
		auto &c = as<struct v4l2_ext_controls>();
		c.controls = reinterpret_cast<struct v4l2_ext_control *>(
			ptrFlag(reinterpret_cast<uint64_t>(c.controls)));
		for (struct v4l2_ext_control &e : controls)
			if (e.size)
				e.ptr = reinterpret_cast<void *>(ptrFlag(reinterpret_cast<uint64_t>(e.ptr)));
		break;
	}
	case ArgKind::Topology: {
		auto &t = as<struct media_v2_topology>();
		t.ptr_entities = ptrFlag(t.ptr_entities);
		t.ptr_interfaces = ptrFlag(t.ptr_interfaces);
		t.ptr_pads = ptrFlag(t.ptr_pads);
		t.ptr_links = ptrFlag(t.ptr_links);
		break;
	}
	default:
		break;
	}
}

std::vector<FdSlot> fdSlots(IoctlPayload *a)
{
	std::vector<FdSlot> out;
	if (a->top.empty())
		return out;
	switch (a->kind()) {
	case ArgKind::Buffer: {
		auto &b = a->as<struct v4l2_buffer>();
		bool queues = a->request == VIDIOC_QBUF || a->request == VIDIOC_PREPARE_BUF;
		if (b.flags & V4L2_BUF_FLAG_REQUEST_FD)
			out.push_back({"request_fd", &b.request_fd, false});
		if (b.memory == V4L2_MEMORY_DMABUF) {
			if (!isMplaneType(b.type))
				out.push_back({"m.fd", &b.m.fd, !queues});
			for (size_t i = 0; i < a->planes.size(); i++)
				out.push_back({arrayPath("planes", i, "m.fd"), &a->planes[i].m.fd, !queues});
		}
		break;
	}
	case ArgKind::ExtCtrls: {
		auto &c = a->as<struct v4l2_ext_controls>();
		if (c.which == V4L2_CTRL_WHICH_REQUEST_VAL)
			out.push_back({"request_fd", &c.request_fd, false});
		break;
	}
	case ArgKind::Expbuf:
		out.push_back({"fd", &a->as<struct v4l2_exportbuffer>().fd, true});
		break;
	case ArgKind::Int:
		if (a->request == MEDIA_IOC_REQUEST_ALLOC)
			out.push_back({"fd", &a->as<int32_t>(), true});
		break;
	default:
		break;
	}
	return out;
}

} // namespace v4l2emu
