// SPDX-License-Identifier: MIT
// The per-ioctl rules of the strace importer (shared/spec/traces.md §1.4, §2): which printed
// fields are inputs and which results, what strace never prints filled in from the queue's
// state, and the passes over the whole trace (request fds, OUTPUT timestamps).
#include "strace_importer.h"

#include <cstring>

namespace v4l2emu::trace {

namespace {

/// Ioctls whose input strace must show for a replay to make sense.
bool needsInput(unsigned long r)
{
	ArgKind k = argKind(r);
	if (k == ArgKind::MediaInfo || k == ArgKind::Topology || k == ArgKind::Event ||
	    k == ArgKind::None || r == MEDIA_IOC_REQUEST_ALLOC)
		return false;
	return (_IOC_DIR(r) & _IOC_WRITE) || k != ArgKind::Raw;
}

/// Bits of v4l2_buffer.flags userspace sets on QBUF (the rest the kernel writes back).
constexpr uint32_t kUserBufferFlags = V4L2_BUF_FLAG_REQUEST_FD | V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF |
				      V4L2_BUF_FLAG_NO_CACHE_INVALIDATE | V4L2_BUF_FLAG_NO_CACHE_CLEAN |
				      V4L2_BUF_FLAG_KEYFRAME | V4L2_BUF_FLAG_PFRAME |
				      V4L2_BUF_FLAG_BFRAME | V4L2_BUF_FLAG_TIMECODE |
				      V4L2_BUF_FLAG_TSTAMP_SRC_MASK;

enum class Side { Plain, Before, After };

struct Flat {
	std::string path;
	TraceValue value;
	Side side;
};

void flatten(const SValue &v, const std::string &path, Side side, std::vector<Flat> *out,
	     std::vector<std::string> *unknown, bool *cut)
{
	switch (v.kind) {
	case SValue::Kind::Struct:
		for (const auto &[key, m] : v.members) {
			if (m.kind == SValue::Kind::Ellipsis || key.empty())
				continue;
			flatten(m, path.empty() ? key : path + "." + key, side, out, unknown, cut);
		}
		break;
	case SValue::Kind::Array:
		for (size_t i = 0; i < v.items.size(); i++) {
			if (v.items[i].kind == SValue::Kind::Ellipsis) {
				*cut = true;
				continue;
			}
			flatten(v.items[i], path + "[" + std::to_string(i) + "]", side, out, unknown, cut);
		}
		break;
	case SValue::Kind::Int:
		out->push_back({path, TraceValue::integer(v.num), v.after ? Side::Before : side});
		break;
	case SValue::Kind::Str:
		out->push_back({path, TraceValue::data(v.str, v.truncated), v.after ? Side::Before : side});
		*cut |= v.truncated;
		break;
	case SValue::Kind::Symbol:
		unknown->push_back(path + "=" + v.str);
		break;
	case SValue::Kind::Ellipsis:
		break;
	}
	if (v.after)
		flatten(*v.after, path, Side::After, out, unknown, cut);
}

} // namespace

void Importer::importArgument(const SyscallLine &s, TraceCall *cp)
{
	TraceCall &c = *cp;
	const unsigned long r = c.request;
	const bool ok = c.error == 0 && !c.resultUnknown;
	ArgKind kind = argKind(r);
	if (kind == ArgKind::None)
		return;
	const SValue *arg = s.args.size() > 2 ? &s.args[2] : nullptr;
	if (!arg) {
		c.skipReason = "the argument is missing";
		return;
	}
	// Bare pointer: the argument was not decoded by this strace.
	if (arg->kind == SValue::Kind::Int && !arg->after) {
		if (needsInput(r))
			c.skipReason = "strace printed only a pointer for the argument";
		else
			c.notes.push_back("argument not shown: replayed zeroed");
		return;
	}
	// 6.11 -v hex dumps of undecoded ioctls: exact bytes.
	if (arg->kind == SValue::Kind::Str) {
		unsigned dir = _IOC_DIR(r);
		const SValue *in = (dir & _IOC_WRITE) ? arg : nullptr;
		const SValue *out = dir == (_IOC_READ | _IOC_WRITE) ? arg->after.get()
				    : dir & _IOC_READ			 ? arg
									 : nullptr;
		size_t size = _IOC_SIZE(r);
		if (in) {
			auto p = std::make_shared<IoctlPayload>();
			p->reset(r);
			if (size && !in->str.empty())
				memcpy(p->top.data(), in->str.data(), std::min(size, in->str.size()));
			if (in->truncated || in->str.size() < size) {
				c.degraded = true;
				c.notes.push_back("argument bytes cut by strace -s: zero-filled");
			}
			for (ClassifiedField &f : extractFields(*p))
				c.in.emplace_back(f.path, f.value);
			c.payload = std::move(p);
		}
		if (out && ok && size && out->str.size() >= size && !out->truncated) {
			IoctlPayload p;
			p.reset(r);
			memcpy(p.top.data(), out->str.data(), size);
			for (FdSlot &slot : fdSlots(&p))
				if (slot.output) {
					FdEntry e;
					e.handle = newHandle("", r == MEDIA_IOC_REQUEST_ALLOC ? "req" : "dmabuf");
					e.path = r == MEDIA_IOC_REQUEST_ALLOC ? "anon_inode:request" : "";
					c.fdRefs.push_back({slot.path, e.handle, true});
					refs_[e.handle]++;
					fds_[*slot.fd] = std::move(e);
				}
			for (ClassifiedField &f : extractFields(p))
				c.out.emplace_back(f.path, f.value);
			c.outKnown = true;
		}
		return;
	}
	std::vector<Flat> flat;
	std::vector<std::string> unknown;
	bool cut = false;
	if (arg->kind == SValue::Kind::Array && kind == ArgKind::Int) {
		// STREAMON/OFF: "[V4L2_BUF_TYPE_...]".
		if (!arg->items.empty() && arg->items[0].isInt())
			flat.push_back({"type", TraceValue::integer(arg->items[0].num), Side::Before});
		else if (!arg->items.empty())
			unknown.push_back("type=" + arg->items[0].str);
	} else {
		flatten(*arg, "", Side::Plain, &flat, &unknown, &cut);
	}
	for (const std::string &u : unknown)
		c.notes.push_back("unknown constant in " + u);
	if (!unknown.empty())
		c.degraded = true;
	if (cut) {
		c.degraded = true;
		c.notes.push_back("strace cut the argument short (-s or array limit)");
	}
	// Which shown fields are inputs (§1.4: printed on entering), which results.
	auto inputPlain = [&](const std::string &p) -> bool {
		switch (kind) {
		case ArgKind::Capability:
			return false;
		case ArgKind::Fmtdesc:
			return p == "index" || p == "type";
		case ArgKind::Format:
			return r != VIDIOC_G_FMT || p == "type";
		case ArgKind::Buffer:
			if (r == VIDIOC_DQBUF)
				return p == "type";
			return p == "type" || p == "index";
		case ArgKind::ExtCtrls:
			return r != VIDIOC_G_EXT_CTRLS || p == "ctrl_class" || p == "count";
		case ArgKind::QueryExtCtrl:
		case ArgKind::QueryCtrl:
			return p == "id";
		case ArgKind::Control:
			return p == "id" || (r == VIDIOC_S_CTRL && p == "value");
		case ArgKind::Frmsize:
			return p == "index" || p == "pixel_format";
		default:
			return true;
		}
	};
	bool topAfter = arg->after != nullptr;
	for (Flat &f : flat) {
		// m.offset of a multi-planar buffer is the low half of the m.planes pointer.
		if (kind == ArgKind::Buffer && f.path == "m.offset" &&
		    isMplaneType(static_cast<uint32_t>(getInt(c.in, "type", getInt(c.out, "type")))))
			continue;
		if (f.side == Side::After)
			set(&c.out, f.path, f.value);
		else if (f.side == Side::Before || topAfter || inputPlain(f.path))
			set(&c.in, f.path, f.value);
		else
			set(&c.out, f.path, f.value);
	}
	c.outKnown = ok;
	// Fields this importer does not know (a newer strace, a typo): kept out of the replay,
	// and said so.
	{
		IoctlPayload probe;
		probe.reset(r);
		std::vector<std::string> unknownFields;
		applyFields(&probe, c.in, &unknownFields);
		applyFields(&probe, c.out, &unknownFields);
		if (!unknownFields.empty()) {
			std::string list;
			for (const std::string &u : unknownFields)
				list += (list.empty() ? "" : ", ") + u;
			c.notes.push_back("fields not understood: " + list);
			c.degraded = true;
		}
	}
	// Results implied by what strace leaves out.
	switch (kind) {
	case ArgKind::Reqbufs:
		if (ok && !get(c.out, "count"))	// 7.1+: "=>" only when changed
			set(&c.out, "count", TraceValue::integer(getInt(c.in, "count")));
		if (ok)
			queue(c.handle, static_cast<uint32_t>(getInt(c.in, "type"))).memory =
				static_cast<uint32_t>(getInt(c.in, "memory"));
		break;
	case ArgKind::CreateBufs:
		for (const SValue &a : s.aux) {
			if (a.kind != SValue::Kind::Struct)
				continue;
			const SValue *i = a.member("index");
			const SValue *n = a.member("count");
			if (i && i->isInt())
				set(&c.out, "index", TraceValue::integer(i->num));
			if (n && n->isInt())
				set(&c.out, "count", TraceValue::integer(n->num));
		}
		if (ok)
			queue(c.handle, static_cast<uint32_t>(getInt(c.in, "format.type"))).memory =
				static_cast<uint32_t>(getInt(c.in, "memory"));
		break;
	case ArgKind::Format:
		if (ok && (r == VIDIOC_S_FMT || r == VIDIOC_G_FMT)) {
			uint32_t type = static_cast<uint32_t>(getInt(c.in, "type"));
			QueueState &q = queue(c.handle, type);
			if (isMplaneType(type)) {
				q.numPlanes = static_cast<uint32_t>(getInt(c.out, "fmt.pix_mp.num_planes", 1));
				for (unsigned i = 0; i < VIDEO_MAX_PLANES; i++)
					q.sizeimage[i] = static_cast<uint32_t>(getInt(
						c.out, "fmt.pix_mp.plane_fmt[" + std::to_string(i) + "].sizeimage"));
			} else {
				q.numPlanes = 1;
				q.sizeimage[0] = static_cast<uint32_t>(getInt(c.out, "fmt.pix.sizeimage"));
			}
		}
		break;
	case ArgKind::Buffer:
		fillBuffer(&c);
		break;
	case ArgKind::ExtCtrls:
		if (r == VIDIOC_G_EXT_CTRLS) {
			// Ids and sizes are inputs strace prints only on exit.
			for (size_t i = 0; i < 1024; i++) {
				std::string pre = "controls[" + std::to_string(i) + "].";
				const TraceValue *id = get(c.out, pre + "id");
				if (!id)
					break;
				set(&c.in, pre + "id", *id);
				set(&c.in, pre + "size", TraceValue::integer(getInt(c.out, pre + "size")));
			}
		}
		break;
	case ArgKind::QueryExtCtrl:
	case ArgKind::QueryCtrl:
		if (ok && !get(c.out, "id"))
			set(&c.out, "id", TraceValue::integer(getInt(c.in, "id")));
		break;
	case ArgKind::Expbuf:
		if (ok) {
			if (const TraceValue *fdv = get(c.out, "fd")) {
				FdEntry e;
				e.handle = newHandle("", "dmabuf");
				c.fdRefs.push_back({"fd", e.handle, true});
				refs_[e.handle]++;
				fds_[static_cast<int>(fdv->number)] = std::move(e);
			}
		}
		break;
	default:
		break;
	}
}

void Importer::fillBuffer(TraceCall *cp)
{
	// What strace never shows of a v4l2_buffer (§2): memory and the plane count on entry,
	// per-plane bytesused, request_fd. Filled from the queue's state.
	TraceCall &c = *cp;
	const unsigned long r = c.request;
	uint32_t type = static_cast<uint32_t>(getInt(c.in, "type"));
	QueueState &q = queue(c.handle, type);
	bool mplane = isMplaneType(type);
	bool queues = r == VIDIOC_QBUF || r == VIDIOC_PREPARE_BUF;
	uint32_t memory = static_cast<uint32_t>(getInt(c.out, "memory", q.memory));
	set(&c.in, "memory", TraceValue::integer(memory));
	uint32_t length = static_cast<uint32_t>(getInt(c.out, "length", mplane ? q.numPlanes : 0));
	if (mplane || queues)
		set(&c.in, "length", TraceValue::integer(length));
	if (queues) {
		uint32_t flags = static_cast<uint32_t>(getInt(c.out, "flags")) & kUserBufferFlags;
		if (!get(c.out, "flags") && q.usedRequests)
			flags |= V4L2_BUF_FLAG_REQUEST_FD;
		set(&c.in, "flags", TraceValue::integer(flags));
		if (c.error == 0 && (flags & V4L2_BUF_FLAG_REQUEST_FD))
			q.usedRequests = true;
		if (!mplane) {
			if (const TraceValue *b = get(c.out, "bytesused"))
				set(&c.in, "bytesused", *b);
		} else if (isOutputType(type)) {
			for (uint32_t i = 0; i < length && i < VIDEO_MAX_PLANES; i++)
				set(&c.in, "planes[" + std::to_string(i) + "].bytesused",
				    TraceValue::integer(q.sizeimage[i]));
			c.notes.push_back("OUTPUT bytesused not in strace: the plane's sizeimage");
		}
	}
	if (mplane) {
		// Top-level bytesused and length of a multi-planar buffer are not plane data.
		for (auto it = c.out.begin(); it != c.out.end();)
			it = it->first == "bytesused" ? c.out.erase(it) : it + 1;
	}
}

void Importer::finish()
{
	for (const auto &[tid, u] : unfinished_)
		t_.problems.push_back({u.line, "truncated: the call never completed", u.text});
	// request_fd of QBUF(REQUEST_FD) and S_EXT_CTRLS(REQUEST_VAL): the request this thread
	// queues next (§2).
	for (size_t i = 0; i < t_.calls.size(); i++) {
		TraceCall &c = t_.calls[i];
		if (c.kind != CallKind::Ioctl)
			continue;
		bool wants = (argKind(c.request) == ArgKind::Buffer &&
			      (getInt(c.in, "flags") & V4L2_BUF_FLAG_REQUEST_FD)) ||
			     (argKind(c.request) == ArgKind::ExtCtrls &&
			      getInt(c.in, "ctrl_class") == V4L2_CTRL_WHICH_REQUEST_VAL);
		if (!wants)
			continue;
		const TraceCall *queue = nullptr;
		for (size_t j = i + 1; j < t_.calls.size() && !queue; j++)
			if (t_.calls[j].kind == CallKind::Ioctl && t_.calls[j].tid == c.tid &&
			    t_.calls[j].request == MEDIA_REQUEST_IOC_QUEUE)
				queue = &t_.calls[j];
		if (queue) {
			c.fdRefs.push_back({"request_fd", queue->handle, false});
			c.notes.push_back("request fd inferred: the QUEUE at line " + std::to_string(queue->line));
			continue;
		}
		for (size_t j = i; j-- > 0;)
			if (t_.calls[j].request == MEDIA_IOC_REQUEST_ALLOC && !t_.calls[j].fdRefs.empty()) {
				c.fdRefs.push_back({"request_fd", t_.calls[j].fdRefs[0].handle, false});
				c.notes.push_back("request fd ambiguous: the last allocated request");
				break;
			}
	}
	// OUTPUT QBUF timestamps come back at DQBUF of the same buffer (two passes).
	for (size_t i = 0; i < t_.calls.size(); i++) {
		TraceCall &c = t_.calls[i];
		if (c.request != VIDIOC_QBUF || c.error)
			continue;
		uint32_t type = static_cast<uint32_t>(getInt(c.in, "type"));
		if (!isOutputType(type))
			continue;
		uint64_t index = getInt(c.in, "index");
		for (size_t j = i + 1; j < t_.calls.size(); j++) {
			const TraceCall &d = t_.calls[j];
			if (d.request != VIDIOC_DQBUF || d.error || d.handle != c.handle ||
			    getInt(d.in, "type") != type || getInt(d.out, "index", ~0ull) != index)
				continue;
			set(&c.in, "timestamp.tv_sec", TraceValue::integer(getInt(d.out, "timestamp.tv_sec")));
			set(&c.in, "timestamp.tv_usec", TraceValue::integer(getInt(d.out, "timestamp.tv_usec")));
			break;
		}
	}
}

} // namespace v4l2emu::trace
