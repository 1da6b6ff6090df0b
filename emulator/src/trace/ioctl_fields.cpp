// SPDX-License-Identifier: MIT
// Argument fields both ways: one visitor per argument kind names every field as strace does;
// the extractor reads them (with their comparison class), the applier writes them.
#include "ioctl_args.h"

#include <algorithm>
#include <cstring>
#include <type_traits>
#include <unordered_map>

namespace v4l2emu {

std::string arrayPath(std::string_view prefix, size_t i, std::string_view field)
{
	std::string s(prefix);
	s += '[';
	s += std::to_string(i);
	s += "].";
	s += field;
	return s;
}

namespace {

// Fields of packed uAPI structs cannot be bound to references: visit a copy, store it back
// when applying.
#define NUM(v, path, field, ...)                                                        \
	do {                                                                            \
		auto tmp_ = (field);                                                    \
		(v).num((path), tmp_ __VA_OPT__(, ) __VA_ARGS__);                       \
		if constexpr (std::decay_t<decltype(v)>::kApply)                        \
			(field) = tmp_;                                                 \
	} while (0)


// ---- the two visitors ----

class Extractor {
public:
	static constexpr bool kApply = false;
	std::vector<ClassifiedField> out;

	template<typename T> void num(std::string path, T &v, FieldClass c = FieldClass::Exact)
	{
		uint64_t n;
		if constexpr (std::is_signed_v<T>)
			n = static_cast<uint64_t>(static_cast<int64_t>(v));
		else
			n = static_cast<uint64_t>(v);
		out.push_back({std::move(path), TraceValue::integer(n), c});
	}
	void str(std::string path, char *buf, size_t cap, FieldClass c = FieldClass::Exact)
	{
		out.push_back({std::move(path), TraceValue::data(std::string(buf, strnlen(buf, cap))), c});
	}
	void bytes(std::string path, std::string &data, FieldClass c = FieldClass::Exact)
	{
		out.push_back({std::move(path), TraceValue::data(data), c});
	}
	size_t count(std::string_view, size_t have, size_t max) { return std::min(have, max); }
};

class Applier {
public:
	static constexpr bool kApply = true;
	explicit Applier(const TraceFields &fields)
	{
		for (const auto &[path, value] : fields)
			map_[path] = &value;
	}

	template<typename T> void num(const std::string &path, T &v, FieldClass = FieldClass::Exact)
	{
		const TraceValue *tv = find(path);
		if (tv && tv->kind == TraceValue::Kind::Int)
			v = static_cast<T>(tv->number);
	}
	void str(const std::string &path, char *buf, size_t cap, FieldClass = FieldClass::Exact)
	{
		const TraceValue *tv = find(path);
		if (!tv || tv->kind != TraceValue::Kind::Bytes || !cap)
			return;
		size_t n = std::min(tv->bytes.size(), cap - 1);
		memset(buf, 0, cap);
		memcpy(buf, tv->bytes.data(), n);
	}
	void bytes(const std::string &path, std::string &data, FieldClass = FieldClass::Exact)
	{
		const TraceValue *tv = find(path);
		if (tv && tv->kind == TraceValue::Kind::Bytes)
			data = tv->bytes;
	}
	/// The number of array entries the fields name ("planes[3].x" -> 4), at least `have`.
	size_t count(std::string_view prefix, size_t have, size_t max)
	{
		size_t n = have;
		std::string p(prefix);
		p += '[';
		for (const auto &[path, value] : map_) {
			if (path.compare(0, p.size(), p) != 0)
				continue;
			size_t i = strtoul(path.c_str() + p.size(), nullptr, 10);
			n = std::max(n, i + 1);
		}
		return std::min(n, max);
	}
	void unknown(std::vector<std::string> *out) const
	{
		for (const auto &[path, value] : map_)
			if (!used_.count(path))
				out->push_back(path);
	}

private:
	const TraceValue *find(const std::string &path)
	{
		auto it = map_.find(path);
		if (it == map_.end())
			return nullptr;
		used_[path] = true;
		return it->second;
	}
	std::unordered_map<std::string, const TraceValue *> map_;
	std::unordered_map<std::string, bool> used_;
};

// ---- per-kind visits (field names as strace prints them) ----

template<class V> void visitPixMp(V &v, const std::string &pre, struct v4l2_pix_format_mplane &p)
{
	NUM(v, pre + "width", p.width);
	NUM(v, pre + "height", p.height);
	NUM(v, pre + "pixelformat", p.pixelformat);
	NUM(v, pre + "field", p.field);
	NUM(v, pre + "colorspace", p.colorspace);
	NUM(v, pre + "num_planes", p.num_planes);
	size_t n = v.count(pre + "plane_fmt", p.num_planes, VIDEO_MAX_PLANES);
	for (size_t i = 0; i < n; i++) {
		NUM(v, arrayPath(pre + "plane_fmt", i, "sizeimage"), p.plane_fmt[i].sizeimage);
		NUM(v, arrayPath(pre + "plane_fmt", i, "bytesperline"), p.plane_fmt[i].bytesperline);
	}
	NUM(v, pre + "flags", p.flags);
	NUM(v, pre + "ycbcr_enc", p.ycbcr_enc);
	NUM(v, pre + "quantization", p.quantization);
	NUM(v, pre + "xfer_func", p.xfer_func);
}

template<class V> void visitPix(V &v, const std::string &pre, struct v4l2_pix_format &p)
{
	NUM(v, pre + "width", p.width);
	NUM(v, pre + "height", p.height);
	NUM(v, pre + "pixelformat", p.pixelformat);
	NUM(v, pre + "field", p.field);
	NUM(v, pre + "bytesperline", p.bytesperline);
	NUM(v, pre + "sizeimage", p.sizeimage);
	NUM(v, pre + "colorspace", p.colorspace);
	NUM(v, pre + "priv", p.priv, FieldClass::Ignored);
	NUM(v, pre + "flags", p.flags);
	NUM(v, pre + "ycbcr_enc", p.ycbcr_enc);
	NUM(v, pre + "quantization", p.quantization);
	NUM(v, pre + "xfer_func", p.xfer_func);
}

template<class V> void visitFormat(V &v, const std::string &pre, struct v4l2_format &f)
{
	NUM(v, pre + "type", f.type);
	if (isMplaneType(f.type)) {
		visitPixMp(v, pre + "fmt.pix_mp.", f.fmt.pix_mp);
	} else if (f.type == V4L2_BUF_TYPE_VIDEO_CAPTURE || f.type == V4L2_BUF_TYPE_VIDEO_OUTPUT) {
		visitPix(v, pre + "fmt.pix.", f.fmt.pix);
	} else {
		std::string raw(reinterpret_cast<char *>(f.fmt.raw_data), sizeof(f.fmt.raw_data));
		v.bytes(pre + "fmt.raw_data", raw);
		if constexpr (V::kApply)
			memcpy(f.fmt.raw_data, raw.data(), std::min(raw.size(), sizeof(f.fmt.raw_data)));
	}
}

template<class V> void visitBuffer(V &v, IoctlPayload &a)
{
	auto &b = a.as<struct v4l2_buffer>();
	NUM(v, "index", b.index);
	NUM(v, "type", b.type);
	NUM(v, "memory", b.memory);
	NUM(v, "bytesused", b.bytesused);
	NUM(v, "flags", b.flags, FieldClass::BufferFlags);
	NUM(v, "field", b.field);
	NUM(v, "timestamp.tv_sec", b.timestamp.tv_sec);
	NUM(v, "timestamp.tv_usec", b.timestamp.tv_usec);
	NUM(v, "sequence", b.sequence);
	NUM(v, "length", b.length);
	if (isMplaneType(b.type)) {
		size_t n = v.count("planes", V::kApply ? b.length : a.planes.size(), VIDEO_MAX_PLANES);
		if constexpr (V::kApply) {
			if (a.planes.size() < n)
				a.planes.resize(n);
		}
		for (size_t i = 0; i < n && i < a.planes.size(); i++) {
			struct v4l2_plane &p = a.planes[i];
			NUM(v, arrayPath("planes", i, "bytesused"), p.bytesused);
			NUM(v, arrayPath("planes", i, "length"), p.length);
			if (b.memory == V4L2_MEMORY_DMABUF)
				NUM(v, arrayPath("planes", i, "m.fd"), p.m.fd, FieldClass::Fd);
			else if (b.memory == V4L2_MEMORY_USERPTR)
				NUM(v, arrayPath("planes", i, "m.userptr"), p.m.userptr, FieldClass::Ignored);
			else
				NUM(v, arrayPath("planes", i, "m.mem_offset"), p.m.mem_offset, FieldClass::Cookie);
			NUM(v, arrayPath("planes", i, "data_offset"), p.data_offset);
		}
	} else if (b.memory == V4L2_MEMORY_DMABUF) {
		NUM(v, "m.fd", b.m.fd, FieldClass::Fd);
	} else if (b.memory == V4L2_MEMORY_USERPTR) {
		NUM(v, "m.userptr", b.m.userptr, FieldClass::Ignored);
	} else {
		NUM(v, "m.offset", b.m.offset, FieldClass::Cookie);
	}
	if (b.flags & V4L2_BUF_FLAG_REQUEST_FD)
		NUM(v, "request_fd", b.request_fd, FieldClass::Fd);
}

template<class V> void visitExtCtrls(V &v, IoctlPayload &a)
{
	auto &c = a.as<struct v4l2_ext_controls>();
	NUM(v, "ctrl_class", c.which);
	NUM(v, "count", c.count);
	NUM(v, "error_idx", c.error_idx);
	if (c.which == V4L2_CTRL_WHICH_REQUEST_VAL)
		NUM(v, "request_fd", c.request_fd, FieldClass::Fd);
	size_t n = v.count("controls", V::kApply ? c.count : a.controls.size(), kMaxControls);
	if constexpr (V::kApply) {
		if (a.controls.size() < n)
			a.controls.resize(n);
		if (a.payloads.size() < n)
			a.payloads.resize(n);
	}
	for (size_t i = 0; i < n && i < a.controls.size(); i++) {
		struct v4l2_ext_control &e = a.controls[i];
		NUM(v, arrayPath("controls", i, "id"), e.id);
		NUM(v, arrayPath("controls", i, "size"), e.size);
		if (e.size) {
			if (i < a.payloads.size())
				v.bytes(arrayPath("controls", i, "string"), a.payloads[i]);
			if constexpr (V::kApply) {
				if (a.payloads[i].size() != e.size && e.size <= kMaxPayload)
					a.payloads[i].resize(e.size);
			}
		} else {
			NUM(v, arrayPath("controls", i, "value"), e.value);
			NUM(v, arrayPath("controls", i, "value64"), e.value64);
		}
	}
}

template<class V> void visitTopology(V &v, IoctlPayload &a)
{
	auto &t = a.as<struct media_v2_topology>();
	NUM(v, "topology_version", t.topology_version, FieldClass::Ignored);
	NUM(v, "num_entities", t.num_entities);
	NUM(v, "num_interfaces", t.num_interfaces);
	NUM(v, "num_pads", t.num_pads);
	NUM(v, "num_links", t.num_links);
	NUM(v, "ptr_entities", t.ptr_entities, FieldClass::Ignored);
	NUM(v, "ptr_interfaces", t.ptr_interfaces, FieldClass::Ignored);
	NUM(v, "ptr_pads", t.ptr_pads, FieldClass::Ignored);
	NUM(v, "ptr_links", t.ptr_links, FieldClass::Ignored);
	auto sized = [&](auto &vec, const char *name) {
		size_t n = v.count(name, vec.size(), kMaxTopology);
		if constexpr (V::kApply) {
			if (vec.size() < n)
				vec.resize(n);
		}
		return n;
	};
	for (size_t i = 0, n = sized(a.entities, "entities"); i < n; i++) {
		auto &e = a.entities[i];
		NUM(v, arrayPath("entities", i, "id"), e.id);
		v.str(arrayPath("entities", i, "name"), e.name, sizeof(e.name), FieldClass::Tolerant);
		NUM(v, arrayPath("entities", i, "function"), e.function);
		NUM(v, arrayPath("entities", i, "flags"), e.flags);
	}
	for (size_t i = 0, n = sized(a.interfaces, "interfaces"); i < n; i++) {
		auto &f = a.interfaces[i];
		NUM(v, arrayPath("interfaces", i, "id"), f.id);
		NUM(v, arrayPath("interfaces", i, "intf_type"), f.intf_type);
		NUM(v, arrayPath("interfaces", i, "flags"), f.flags);
		NUM(v, arrayPath("interfaces", i, "devnode.major"), f.devnode.major);
		NUM(v, arrayPath("interfaces", i, "devnode.minor"), f.devnode.minor);
	}
	for (size_t i = 0, n = sized(a.pads, "pads"); i < n; i++) {
		auto &p = a.pads[i];
		NUM(v, arrayPath("pads", i, "id"), p.id);
		NUM(v, arrayPath("pads", i, "entity_id"), p.entity_id);
		NUM(v, arrayPath("pads", i, "flags"), p.flags);
		NUM(v, arrayPath("pads", i, "index"), p.index);
	}
	for (size_t i = 0, n = sized(a.links, "links"); i < n; i++) {
		auto &l = a.links[i];
		NUM(v, arrayPath("links", i, "id"), l.id);
		NUM(v, arrayPath("links", i, "source_id"), l.source_id);
		NUM(v, arrayPath("links", i, "sink_id"), l.sink_id);
		NUM(v, arrayPath("links", i, "flags"), l.flags);
	}
}

template<class V> void visit(V &v, IoctlPayload &a)
{
	if (a.top.empty())
		return;
	switch (a.kind()) {
	case ArgKind::None:
		return;
	case ArgKind::Raw: {
		std::string raw(a.top.begin(), a.top.end());
		v.bytes("raw", raw);
		if constexpr (V::kApply)
			memcpy(a.top.data(), raw.data(), std::min(raw.size(), a.top.size()));
		return;
	}
	case ArgKind::Int:
		if (a.request == MEDIA_IOC_REQUEST_ALLOC)
			NUM(v, "fd", a.as<int32_t>(), FieldClass::Fd);
		else
			NUM(v, "type", a.as<uint32_t>());
		return;
	case ArgKind::Capability: {
		auto &c = a.as<struct v4l2_capability>();
		v.str("driver", reinterpret_cast<char *>(c.driver), sizeof(c.driver), FieldClass::Tolerant);
		v.str("card", reinterpret_cast<char *>(c.card), sizeof(c.card), FieldClass::Tolerant);
		v.str("bus_info", reinterpret_cast<char *>(c.bus_info), sizeof(c.bus_info),
		      FieldClass::Tolerant);
		NUM(v, "version", c.version, FieldClass::Tolerant);
		NUM(v, "capabilities", c.capabilities);
		NUM(v, "device_caps", c.device_caps);
		return;
	}
	case ArgKind::Fmtdesc: {
		auto &d = a.as<struct v4l2_fmtdesc>();
		NUM(v, "index", d.index);
		NUM(v, "type", d.type);
		NUM(v, "flags", d.flags);
		v.str("description", reinterpret_cast<char *>(d.description), sizeof(d.description),
		      FieldClass::Tolerant);
		NUM(v, "pixelformat", d.pixelformat);
		NUM(v, "mbus_code", d.mbus_code);
		return;
	}
	case ArgKind::Format:
		visitFormat(v, "", a.as<struct v4l2_format>());
		return;
	case ArgKind::Reqbufs: {
		auto &r = a.as<struct v4l2_requestbuffers>();
		NUM(v, "type", r.type);
		NUM(v, "memory", r.memory);
		NUM(v, "count", r.count);
		NUM(v, "capabilities", r.capabilities);
		NUM(v, "flags", r.flags);
		return;
	}
	case ArgKind::CreateBufs: {
		auto &c = a.as<struct v4l2_create_buffers>();
		NUM(v, "index", c.index);
		NUM(v, "count", c.count);
		NUM(v, "memory", c.memory);
		visitFormat(v, "format.", c.format);
		NUM(v, "capabilities", c.capabilities);
		NUM(v, "flags", c.flags);
		NUM(v, "max_num_buffers", c.max_num_buffers);
		return;
	}
	case ArgKind::Buffer:
		visitBuffer(v, a);
		return;
	case ArgKind::Expbuf: {
		auto &e = a.as<struct v4l2_exportbuffer>();
		NUM(v, "type", e.type);
		NUM(v, "index", e.index);
		NUM(v, "plane", e.plane);
		NUM(v, "flags", e.flags);
		NUM(v, "fd", e.fd, FieldClass::Fd);
		return;
	}
	case ArgKind::ExtCtrls:
		visitExtCtrls(v, a);
		return;
	case ArgKind::QueryExtCtrl: {
		auto &q = a.as<struct v4l2_query_ext_ctrl>();
		NUM(v, "id", q.id);
		NUM(v, "type", q.type);
		v.str("name", q.name, sizeof(q.name), FieldClass::Tolerant);
		NUM(v, "minimum", q.minimum);
		NUM(v, "maximum", q.maximum);
		NUM(v, "step", q.step);
		NUM(v, "default_value", q.default_value);
		NUM(v, "flags", q.flags);
		NUM(v, "elem_size", q.elem_size);
		NUM(v, "elems", q.elems);
		NUM(v, "nr_of_dims", q.nr_of_dims);
		size_t n = v.count("dims", q.nr_of_dims, V4L2_CTRL_MAX_DIMS);
		for (size_t i = 0; i < n; i++)
			NUM(v, "dims[" + std::to_string(i) + "]", q.dims[i]);
		return;
	}
	case ArgKind::QueryCtrl: {
		auto &q = a.as<struct v4l2_queryctrl>();
		NUM(v, "id", q.id);
		NUM(v, "type", q.type);
		v.str("name", reinterpret_cast<char *>(q.name), sizeof(q.name), FieldClass::Tolerant);
		NUM(v, "minimum", q.minimum);
		NUM(v, "maximum", q.maximum);
		NUM(v, "step", q.step);
		NUM(v, "default_value", q.default_value);
		NUM(v, "flags", q.flags);
		return;
	}
	case ArgKind::QueryMenu: {
		auto &q = a.as<struct v4l2_querymenu>();
		NUM(v, "id", q.id);
		NUM(v, "index", q.index);
		// One union: a menu entry's name (strace 7.0+ prints it) or an integer menu's value.
		v.str("name", reinterpret_cast<char *>(q.name), sizeof(q.name), FieldClass::Tolerant);
		NUM(v, "value", q.value, FieldClass::Ignored);
		return;
	}
	case ArgKind::Control: {
		auto &c = a.as<struct v4l2_control>();
		NUM(v, "id", c.id);
		NUM(v, "value", c.value);
		return;
	}
	case ArgKind::Frmsize: {
		auto &f = a.as<struct v4l2_frmsizeenum>();
		NUM(v, "index", f.index);
		NUM(v, "pixel_format", f.pixel_format);
		NUM(v, "type", f.type);
		if (f.type == V4L2_FRMSIZE_TYPE_DISCRETE) {
			NUM(v, "discrete.width", f.discrete.width);
			NUM(v, "discrete.height", f.discrete.height);
		} else {
			NUM(v, "stepwise.min_width", f.stepwise.min_width);
			NUM(v, "stepwise.max_width", f.stepwise.max_width);
			NUM(v, "stepwise.step_width", f.stepwise.step_width);
			NUM(v, "stepwise.min_height", f.stepwise.min_height);
			NUM(v, "stepwise.max_height", f.stepwise.max_height);
			NUM(v, "stepwise.step_height", f.stepwise.step_height);
		}
		return;
	}
	case ArgKind::EventSub: {
		auto &s = a.as<struct v4l2_event_subscription>();
		NUM(v, "type", s.type);
		NUM(v, "id", s.id);
		NUM(v, "flags", s.flags);
		return;
	}
	case ArgKind::Event: {
		auto &e = a.as<struct v4l2_event>();
		NUM(v, "type", e.type);
		std::string data(reinterpret_cast<char *>(e.u.data), sizeof(e.u.data));
		v.bytes("u.data", data);
		if constexpr (V::kApply)
			memcpy(e.u.data, data.data(), std::min(data.size(), sizeof(e.u.data)));
		NUM(v, "pending", e.pending);
		NUM(v, "sequence", e.sequence);
		NUM(v, "timestamp.tv_sec", e.timestamp.tv_sec, FieldClass::Ignored);
		NUM(v, "timestamp.tv_nsec", e.timestamp.tv_nsec, FieldClass::Ignored);
		NUM(v, "id", e.id);
		return;
	}
	case ArgKind::DecoderCmd: {
		auto &d = a.as<struct v4l2_decoder_cmd>();
		NUM(v, "cmd", d.cmd);
		NUM(v, "flags", d.flags);
		std::string raw(reinterpret_cast<char *>(d.raw.data), sizeof(d.raw.data));
		v.bytes("raw.data", raw);
		if constexpr (V::kApply)
			memcpy(d.raw.data, raw.data(), std::min(raw.size(), sizeof(d.raw.data)));
		return;
	}
	case ArgKind::Selection: {
		auto &s = a.as<struct v4l2_selection>();
		NUM(v, "type", s.type);
		NUM(v, "target", s.target);
		NUM(v, "flags", s.flags);
		NUM(v, "r.left", s.r.left);
		NUM(v, "r.top", s.r.top);
		NUM(v, "r.width", s.r.width);
		NUM(v, "r.height", s.r.height);
		return;
	}
	case ArgKind::MediaInfo: {
		auto &m = a.as<struct media_device_info>();
		v.str("driver", m.driver, sizeof(m.driver), FieldClass::Tolerant);
		v.str("model", m.model, sizeof(m.model), FieldClass::Tolerant);
		v.str("serial", m.serial, sizeof(m.serial), FieldClass::Tolerant);
		v.str("bus_info", m.bus_info, sizeof(m.bus_info), FieldClass::Tolerant);
		NUM(v, "media_version", m.media_version, FieldClass::Tolerant);
		NUM(v, "hw_revision", m.hw_revision, FieldClass::Tolerant);
		NUM(v, "driver_version", m.driver_version, FieldClass::Tolerant);
		return;
	}
	case ArgKind::Topology:
		visitTopology(v, a);
		return;
	}
}

} // namespace

std::vector<ClassifiedField> extractFields(const IoctlPayload &payload)
{
	Extractor e;
	visit(e, const_cast<IoctlPayload &>(payload));
	return std::move(e.out);
}

void applyFields(IoctlPayload *payload, const TraceFields &fields, std::vector<std::string> *unknown)
{
	Applier a(fields);
	visit(a, *payload);
	if (unknown)
		a.unknown(unknown);
}

} // namespace v4l2emu
