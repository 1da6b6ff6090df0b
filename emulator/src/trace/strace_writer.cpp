// SPDX-License-Identifier: MIT
// The strace-compatible writer: each call as `strace -f -v -y` prints it (shared/spec/traces.md
// §1.4), in the chosen dialect (6.1 or 7.2), -X style and string escaping, so board tools and
// the importer read emulator runs like board captures.
#include "names.h"
#include "native_format.h"
#include "writer_base.h"

#include <v4l2emu/ioctl_names.h>

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>
#include <ctime>

namespace v4l2emu::trace {

namespace {

using Constants = TraceWriterOptions::Constants;

std::string hex(uint64_t v)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "%#llx", static_cast<unsigned long long>(v));
	return v ? buf : "0";
}

std::string dec(int64_t v) { return std::to_string(v); }
std::string udec(uint64_t v) { return std::to_string(v); }

const char *unknownName(Family f)
{
	switch (f) {
	case Family::BufType: return "V4L2_BUF_TYPE_???";
	case Family::Memory: return "V4L2_MEMORY_???";
	case Family::Field: return "V4L2_FIELD_???";
	case Family::Colorspace: return "V4L2_COLORSPACE_???";
	case Family::CtrlType: return "V4L2_CTRL_TYPE_???";
	case Family::FrmsizeType: return "V4L2_FRMSIZE_TYPE_???";
	case Family::CtrlClass: return "V4L2_CTRL_CLASS_???";
	default: return nullptr;
	}
}

/// Fourccs strace 6.1 has no name for (xlat update 3b327c399 came in 6.2).
bool newerFourcc(uint32_t f)
{
	return f == V4L2_PIX_FMT_HEVC_SLICE || f == V4L2_PIX_FMT_H264_SLICE ||
	       f == V4L2_PIX_FMT_MPEG2_SLICE || f == V4L2_PIX_FMT_VP8_FRAME ||
	       f == V4L2_PIX_FMT_VP9_FRAME || f == V4L2_PIX_FMT_AV1_FRAME ||
	       f == v4l2_fourcc('N', 'V', '1', '5') || f == v4l2_fourcc('N', 'V', '2', '0');
}

class Fmt {
public:
	explicit Fmt(const TraceWriterOptions &o) : o_(o)
	{
		strings_ = o.straceHexStrings == 0   ? StringStyle::Octal
			   : o.straceHexStrings == 1 ? StringStyle::HexNonAscii
						     : StringStyle::Hex;
	}
	bool v61() const { return o_.straceVersion < 62; }

	std::string en(Family f, uint64_t v) const
	{
		const char *name = constantName(f, v);
		if (f == Family::CtrlType && v61() && v >= 0x100 && v != V4L2_CTRL_TYPE_U8 &&
		    v != V4L2_CTRL_TYPE_U16 && v != V4L2_CTRL_TYPE_U32 && v != V4L2_CTRL_TYPE_AREA)
			name = nullptr;	// stateless control types were named in 6.2
		switch (o_.straceConstants) {
		case Constants::Raw:
			return hex(v);
		case Constants::Verbose:
			return hex(v) + " /* " + (name ? name : unknownName(f) ? unknownName(f) : "???") + " */";
		case Constants::Abbrev:
			break;
		}
		if (name)
			return name;
		const char *unknown = unknownName(f);
		return unknown ? hex(v) + " /* " + unknown + " */" : hex(v);
	}
	std::string fl(Family f, uint64_t v) const
	{
		if (f == Family::CtrlFlag && v61())
			return flagsOf(f, v & ~uint64_t(V4L2_CTRL_FLAG_DYNAMIC_ARRAY),
				       v & V4L2_CTRL_FLAG_DYNAMIC_ARRAY);
		return flagsOf(f, v, 0);
	}
	std::string flagsOf(Family f, uint64_t named, uint64_t unnamed) const
	{
		uint64_t v = named | unnamed;
		if (o_.straceConstants == Constants::Raw || !v)
			return hex(v);
		std::string names = formatFlags(f, named);
		if (unnamed)
			names = (named ? names + "|" : std::string()) + hex(unnamed);
		if (o_.straceConstants == Constants::Verbose)
			return hex(v) + " /* " + names + " */";
		return names;
	}
	std::string openFlags(uint64_t v) const
	{
		if (o_.straceConstants == Constants::Raw)
			return hex(v);
		if (o_.straceConstants == Constants::Verbose)
			return hex(v) + " /* " + formatOpenFlags(v) + " */";
		return formatOpenFlags(v);
	}
	std::string bufFlags(uint32_t v) const
	{
		if (o_.straceConstants == Constants::Raw)
			return hex(v);
		if (o_.straceConstants == Constants::Abbrev)
			return formatBufferFlags(v);
		// Verbose: each part as "N /* NAME */" (V:print_v4l2_buffer_flags).
		uint32_t plain = v & ~(V4L2_BUF_FLAG_TIMESTAMP_MASK | V4L2_BUF_FLAG_TSTAMP_SRC_MASK);
		std::string out;
		if (plain)
			out = hex(plain) + " /* " + formatFlags(Family::BufFlag, plain) + " */|";
		uint32_t ts = v & V4L2_BUF_FLAG_TIMESTAMP_MASK, src = v & V4L2_BUF_FLAG_TSTAMP_SRC_MASK;
		out += hex(ts) + " /* " + formatEnum(Family::BufTimestamp, ts) + " */|";
		out += hex(src) + " /* " + formatEnum(Family::BufTstampSrc, src) + " */";
		return out;
	}
	std::string fourcc(uint32_t v) const
	{
		if (o_.straceConstants == Constants::Raw)
			return hex(v);
		return formatFourcc(v, !(v61() && newerFourcc(v)));
	}
	std::string kernelVersion(uint32_t v) const
	{
		std::string kv = "KERNEL_VERSION(" + udec(v >> 16) + ", " + udec((v >> 8) & 0xff) +
				 ", " + udec(v & 0xff) + ")";
		if (o_.straceConstants == Constants::Raw)
			return hex(v);
		if (o_.straceConstants == Constants::Verbose)
			return hex(v) + " /* " + kv + " */";
		return kv;
	}
	std::string op(unsigned long request) const
	{
		const char *name = ioctlName(request);
		if (o_.straceConstants == Constants::Raw || !name)
			return name ? hex(request) : unknownOp(request);
		if (o_.straceConstants == Constants::Verbose)
			return hex(request) + " /* " + name + " */";
		return name;
	}
	static std::string unknownOp(unsigned long r)
	{
		// IO:ioctl_print_code for a code without a name.
		std::string dir;
		if (_IOC_DIR(r) == _IOC_NONE)
			dir = "_IOC_NONE";
		if (_IOC_DIR(r) & _IOC_READ)
			dir = "_IOC_READ";
		if (_IOC_DIR(r) & _IOC_WRITE)
			dir += std::string(dir.empty() ? "" : "|") + "_IOC_WRITE";
		return "_IOC(" + dir + ", " + hex(_IOC_TYPE(r)) + ", " + hex(_IOC_NR(r)) + ", " +
		       hex(_IOC_SIZE(r)) + ")";
	}
	/// QUERYCTRL/QUERY_EXT_CTRL ids (V:print_v4l2_cid).
	std::string cid(uint32_t id) const
	{
		if (o_.straceConstants == Constants::Raw)
			return hex(id);
		if (o_.straceConstants == Constants::Abbrev)
			return formatCid(id);
		uint32_t next = id & (V4L2_CTRL_FLAG_NEXT_CTRL | V4L2_CTRL_FLAG_NEXT_COMPOUND);
		uint32_t bare = id & ~next;
		std::string out;
		if (next)
			out = hex(next) + " /* " + formatFlags(Family::CtrlNext, next) + " */|";
		std::string name;
		if (const char *n = constantName(Family::Cid, bare))
			name = n;
		else if (const char *c = constantName(Family::CtrlClass, V4L2_CTRL_ID2CLASS(bare)); c && bare & 0xffff)
			name = std::string(c) + "+" + hex(bare & 0xffff);
		else
			name = "V4L2_CID_???";
		return out + hex(bare) + " /* " + name + " */";
	}
	/// Control ids inside an EXT_CTRLS array: strace's table has no stateless names.
	std::string arrayCid(uint32_t id) const
	{
		const char *name = constantName(Family::Cid, id);
		if (name && V4L2_CTRL_ID2CLASS(id) == V4L2_CTRL_CLASS_CODEC_STATELESS)
			name = nullptr;
		if (o_.straceConstants == Constants::Raw)
			return hex(id);
		if (o_.straceConstants == Constants::Verbose || !name)
			return hex(id) + " /* " + (name ? name : "V4L2_CID_???") + " */";
		return name;
	}
	std::string ctrlClass(uint32_t which) const { return en(Family::CtrlClass, which); }
	std::string atFdcwd() const
	{
		if (o_.straceConstants == Constants::Raw)
			return "-100";
		return o_.straceConstants == Constants::Verbose ? "-100 /* AT_FDCWD */" : "AT_FDCWD";
	}
	std::string str(const std::string &bytes) const { return straceQuote(bytes, strings_); }
	std::string cstr(const char *s, size_t cap) const { return str(std::string(s, strnlen(s, cap))); }

private:
	const TraceWriterOptions &o_;
	StringStyle strings_;
};

class StraceWriter final : public WriterBase {
public:
	StraceWriter(const TraceWriterOptions &options, FILE *file)
		: WriterBase(options, file), fmt_(options_)
	{
	}

protected:
	void emit(const CallRecord &call, PendingCall *pending, const IoctlPayload *after) override;

private:
	std::string fd(int n) const
	{
		const OpenFile *f = file(n);
		return f ? dec(n) + "<" + f->path + ">" : dec(n);
	}
	std::string pointer(const void *p) const { return p ? hex(reinterpret_cast<uintptr_t>(p)) : "NULL"; }
	std::string ioctlArg(const CallRecord &call, const IoctlPayload *before,
			     const IoctlPayload *after, std::string *aux);
	std::string format(const struct v4l2_format &f) const;
	std::string controls(const IoctlPayload &p) const;
	std::string dump(const IoctlPayload *p) const
	{
		return p ? fmt_.str(std::string(p->top.begin(), p->top.end())) : "NULL";
	}

	Fmt fmt_;
};

std::string StraceWriter::format(const struct v4l2_format &f) const
{
	if (isMplaneType(f.type)) {
		const auto &p = f.fmt.pix_mp;
		std::string s = "fmt.pix_mp={width=" + udec(p.width) + ", height=" + udec(p.height) +
				", pixelformat=" + fmt_.fourcc(p.pixelformat) +
				", field=" + fmt_.en(Family::Field, p.field) +
				", colorspace=" + fmt_.en(Family::Colorspace, p.colorspace) + ", plane_fmt=[";
		for (unsigned i = 0; i < p.num_planes && i < VIDEO_MAX_PLANES; i++)
			s += std::string(i ? ", " : "") + "{sizeimage=" + udec(p.plane_fmt[i].sizeimage) +
			     ", bytesperline=" + udec(p.plane_fmt[i].bytesperline) + "}";
		return s + "], num_planes=" + udec(p.num_planes) + "}";
	}
	if (f.type == V4L2_BUF_TYPE_VIDEO_CAPTURE || f.type == V4L2_BUF_TYPE_VIDEO_OUTPUT) {
		const auto &p = f.fmt.pix;
		return "fmt.pix={width=" + udec(p.width) + ", height=" + udec(p.height) +
		       ", pixelformat=" + fmt_.fourcc(p.pixelformat) +
		       ", field=" + fmt_.en(Family::Field, p.field) + ", bytesperline=" +
		       udec(p.bytesperline) + ", sizeimage=" + udec(p.sizeimage) +
		       ", colorspace=" + fmt_.en(Family::Colorspace, p.colorspace) + "}";
	}
	return "fmt.raw_data=" + fmt_.str(std::string(reinterpret_cast<const char *>(f.fmt.raw_data),
							    sizeof(f.fmt.raw_data)));
}

std::string StraceWriter::controls(const IoctlPayload &p) const
{
	std::string s = "[";
	for (size_t i = 0; i < p.controls.size(); i++) {
		const struct v4l2_ext_control &e = p.controls[i];
		s += std::string(i ? ", " : "") + "{id=" + fmt_.arrayCid(e.id) + ", size=" + udec(e.size);
		if (e.size)
			s += ", string=" + fmt_.str(i < p.payloads.size() ? p.payloads[i] : std::string());
		else
			s += ", value=" + dec(e.value) + ", value64=" + dec(e.value64);
		s += "}";
	}
	return s + "]";
}

std::string StraceWriter::ioctlArg(const CallRecord &call, const IoctlPayload *before,
				   const IoctlPayload *after, std::string *aux)
{
	const bool ok = call.result >= 0;
	const unsigned long r = call.request;
	ArgKind kind = argKind(r);
	if (kind == ArgKind::None)
		return call.arg ? pointer(call.arg) : "0";
	if (!before || before->top.empty())
		return pointer(call.arg);
	auto undecoded = [&]() -> std::string {
		// 6.11 -v (commit 463afbec5): sized ioctls without a decoder are hex-dumped, WRITE
		// before, READ after, RW joined by " => ".
		if (fmt_.v61())
			return pointer(call.arg);
		unsigned dir = _IOC_DIR(r);
		if (dir == (_IOC_READ | _IOC_WRITE))
			return dump(before) + " => " + dump(after);
		return dir & _IOC_WRITE ? dump(before) : dump(after);
	};
	switch (kind) {
	case ArgKind::Capability: {
		if (!ok || !after)
			return pointer(call.arg);
		const auto &c = after->as<struct v4l2_capability>();
		std::string s = "{driver=" + fmt_.cstr(reinterpret_cast<const char *>(c.driver), sizeof(c.driver)) +
				", card=" + fmt_.cstr(reinterpret_cast<const char *>(c.card), sizeof(c.card)) +
				", bus_info=" + fmt_.cstr(reinterpret_cast<const char *>(c.bus_info), sizeof(c.bus_info)) +
				", version=" + fmt_.kernelVersion(c.version) +
				", capabilities=" + fmt_.fl(Family::Cap, c.capabilities);
		if (c.device_caps)
			s += ", device_caps=" + fmt_.fl(Family::Cap, c.device_caps);
		return s + "}";
	}
	case ArgKind::Fmtdesc: {
		const auto &d = before->as<struct v4l2_fmtdesc>();
		std::string s = "{index=" + udec(d.index) + ", type=" + fmt_.en(Family::BufType, d.type);
		if (ok && after) {
			const auto &a = after->as<struct v4l2_fmtdesc>();
			s += ", flags=" + fmt_.fl(Family::FmtFlag, a.flags) + ", description=" +
			     fmt_.cstr(reinterpret_cast<const char *>(a.description), sizeof(a.description)) +
			     ", pixelformat=" + fmt_.fourcc(a.pixelformat);
		}
		return s + "}";
	}
	case ArgKind::Format: {
		const auto &f = before->as<struct v4l2_format>();
		std::string s = "{type=" + fmt_.en(Family::BufType, f.type);
		if (r == VIDIOC_G_FMT)
			return s + (ok && after ? ", " + format(after->as<struct v4l2_format>()) : "") + "}";
		s += ", " + format(f) + "}";
		if (ok && after)
			s += " => {" + format(after->as<struct v4l2_format>()) + "}";
		return s;
	}
	case ArgKind::Reqbufs: {
		const auto &q = before->as<struct v4l2_requestbuffers>();
		std::string s = "{type=" + fmt_.en(Family::BufType, q.type) +
				", memory=" + fmt_.en(Family::Memory, q.memory) + ", count=" + udec(q.count);
		if (ok && after) {
			uint32_t n = after->as<struct v4l2_requestbuffers>().count;
			if (fmt_.v61() || n != q.count)	// 7.1 (03f2db5a8): only when changed
				s += " => " + udec(n);
		}
		return s + "}";
	}
	case ArgKind::CreateBufs: {
		const auto &c = before->as<struct v4l2_create_buffers>();
		if (ok && after) {
			const auto &a = after->as<struct v4l2_create_buffers>();
			*aux = "({index=" + udec(a.index) + ", count=" + udec(a.count) + "})";
		}
		return "{count=" + udec(c.count) + ", memory=" + fmt_.en(Family::Memory, c.memory) +
		       ", format={type=" + fmt_.en(Family::BufType, c.format.type) + ", " +
		       format(c.format) + "}}";
	}
	case ArgKind::Buffer: {
		const auto &b = before->as<struct v4l2_buffer>();
		bool dq = r == VIDIOC_DQBUF;
		std::string s = "{type=" + fmt_.en(Family::BufType, b.type);
		if (!dq)
			s += ", index=" + udec(b.index);
		if (!ok || !after)
			return s + "}";
		const auto &a = after->as<struct v4l2_buffer>();
		if (dq)
			s += ", index=" + udec(a.index);
		s += ", memory=" + fmt_.en(Family::Memory, a.memory);
		if (a.memory == V4L2_MEMORY_MMAP)	// MPLANE: the low bits of m.planes
			s += ", m.offset=" + hex(a.m.offset);
		else if (a.memory == V4L2_MEMORY_USERPTR)
			s += ", m.userptr=" + hex(a.m.userptr);
		s += ", length=" + udec(a.length) + ", bytesused=" + udec(a.bytesused) +
		     ", flags=" + fmt_.bufFlags(a.flags);
		if (dq)
			s += ", timestamp={tv_sec=" + dec(a.timestamp.tv_sec) +
			     ", tv_usec=" + dec(a.timestamp.tv_usec) + "}";
		return s + ", ...}";
	}
	case ArgKind::Expbuf: {
		if (fmt_.v61())
			return pointer(call.arg);	// decoded since 6.16 (ce34eb3d8)
		const auto &e = before->as<struct v4l2_exportbuffer>();
		std::string s = "{type=" + fmt_.en(Family::BufType, e.type) + ", index=" + udec(e.index) +
				", plane=" + udec(e.plane) + ", flags=" + fmt_.openFlags(e.flags) + "}";
		if (ok && after)
			s += " => {fd=" + dec(after->as<struct v4l2_exportbuffer>().fd) + "}";
		return s;
	}
	case ArgKind::Int:
		if (r == MEDIA_IOC_REQUEST_ALLOC)
			return undecoded();
		return "[" + fmt_.en(Family::BufType, before->as<uint32_t>()) + "]";
	case ArgKind::ExtCtrls: {
		const auto &c = before->as<struct v4l2_ext_controls>();
		std::string s = "{ctrl_class=" + fmt_.ctrlClass(c.which) + ", count=" + udec(c.count);
		if (!c.count)
			return s + "}";
		const IoctlPayload &out = after ? *after : *before;
		uint32_t errorIdx = out.top.empty() ? 0 : out.as<struct v4l2_ext_controls>().error_idx;
		if (r == VIDIOC_G_EXT_CTRLS) {
			s += ", controls=" + controls(out);
		} else {
			s += ", controls=" + controls(*before) + "} => {controls=" + controls(out);
		}
		if (!ok)
			s += ", error_idx=" + udec(errorIdx);
		return s + "}";
	}
	case ArgKind::QueryExtCtrl: {
		const auto &q = before->as<struct v4l2_query_ext_ctrl>();
		std::string s = "{id=" + fmt_.cid(q.id);
		if (!ok || !after)
			return s + "}";
		const auto &a = after->as<struct v4l2_query_ext_ctrl>();
		if (a.id != q.id)
			s += " => " + fmt_.cid(a.id);
		s += ", type=" + fmt_.en(Family::CtrlType, a.type) + ", name=" + fmt_.cstr(a.name, sizeof(a.name)) +
		     ", minimum=" + dec(a.minimum) + ", maximum=" + dec(a.maximum) + ", step=" +
		     udec(a.step) + ", default_value=" + dec(a.default_value) +
		     ", flags=" + fmt_.fl(Family::CtrlFlag, a.flags) + ", elem_size=" + udec(a.elem_size) +
		     ", elems=" + udec(a.elems) + ", nr_of_dims=" + udec(a.nr_of_dims) + ", dims=[";
		for (uint32_t i = 0; i < a.nr_of_dims && i < V4L2_CTRL_MAX_DIMS; i++)
			s += std::string(i ? ", " : "") + udec(a.dims[i]);
		return s + "]}";
	}
	case ArgKind::QueryCtrl: {
		const auto &q = before->as<struct v4l2_queryctrl>();
		std::string s = "{id=" + fmt_.cid(q.id);
		if (!ok || !after)
			return s + "}";
		const auto &a = after->as<struct v4l2_queryctrl>();
		if (a.id != q.id)
			s += " => " + fmt_.cid(a.id);
		return s + ", type=" + fmt_.en(Family::CtrlType, a.type) +
		       ", name=" + fmt_.cstr(reinterpret_cast<const char *>(a.name), sizeof(a.name)) +
		       ", minimum=" + dec(a.minimum) + ", maximum=" + dec(a.maximum) +
		       ", step=" + dec(a.step) + ", default_value=" + dec(a.default_value) +
		       ", flags=" + fmt_.fl(Family::CtrlFlag, a.flags) + "}";
	}
	case ArgKind::Control: {
		const auto &c = before->as<struct v4l2_control>();
		std::string s = "{id=" + fmt_.cid(c.id);
		if (r == VIDIOC_S_CTRL) {
			s += ", value=" + dec(c.value);
			if (ok && after && (fmt_.v61() || after->as<struct v4l2_control>().value != c.value))
				s += " => " + dec(after->as<struct v4l2_control>().value);
		} else if (ok && after) {
			s += ", value=" + dec(after->as<struct v4l2_control>().value);
		}
		return s + "}";
	}
	case ArgKind::Frmsize: {
		const auto &f = before->as<struct v4l2_frmsizeenum>();
		std::string s = "{index=" + udec(f.index) + ", pixel_format=" + fmt_.fourcc(f.pixel_format);
		if (ok && after) {
			const auto &a = after->as<struct v4l2_frmsizeenum>();
			s += ", type=" + fmt_.en(Family::FrmsizeType, a.type);
			if (a.type == V4L2_FRMSIZE_TYPE_DISCRETE)
				s += ", discrete={width=" + udec(a.discrete.width) +
				     ", height=" + udec(a.discrete.height) + "}";
			else
				s += ", stepwise={min_width=" + udec(a.stepwise.min_width) +
				     ", max_width=" + udec(a.stepwise.max_width) +
				     ", step_width=" + udec(a.stepwise.step_width) +
				     ", min_height=" + udec(a.stepwise.min_height) +
				     ", max_height=" + udec(a.stepwise.max_height) +
				     ", step_height=" + udec(a.stepwise.step_height) + "}";
		}
		return s + "}";
	}
	default:
		return undecoded();
	}
}

void StraceWriter::emit(const CallRecord &call, PendingCall *pending, const IoctlPayload *after)
{
	std::string line;
	if (options_.timestamps) {
		char buf[64];
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		int tid = static_cast<int>(syscall(SYS_gettid));
		snprintf(buf, sizeof(buf), "%-5d %lld.%06ld ", tid, static_cast<long long>(ts.tv_sec),
			 ts.tv_nsec / 1000);
		line = buf;
	}
	std::string aux;
	std::string ret;
	switch (call.kind) {
	case CallKind::Open:
		line += "openat(" + fmt_.atFdcwd() + ", " +
			fmt_.str(call.path ? call.path : "") + ", " + fmt_.openFlags(static_cast<uint32_t>(call.flags)) + ")";
		if (call.result >= 0)
			ret = fd(call.result);
		break;
	case CallKind::Close:
		line += "close(" + fd(call.fd) + ")";
		break;
	case CallKind::Ioctl:
		line += "ioctl(" + fd(call.fd) + ", " + fmt_.op(call.request) + ", " +
			ioctlArg(call, pending && pending->beforeValid ? &pending->before : nullptr, after,
				 &aux) +
			")";
		break;
	case CallKind::Mmap:
		line += "mmap(" + pointer(call.addr) + ", " + udec(call.length) + ", " +
			(call.prot ? fmt_.fl(Family::Prot, static_cast<uint32_t>(call.prot)) : "PROT_NONE") + ", " +
			fmt_.fl(Family::MapFlag, static_cast<uint32_t>(call.flags)) + ", " + fd(call.fd) + ", " +
			hex(static_cast<uint64_t>(call.offset)) + ")";
		if (call.result == 0)
			ret = hex(reinterpret_cast<uintptr_t>(call.mapped));
		break;
	case CallKind::Munmap:
		line += "munmap(" + pointer(call.addr) + ", " + udec(call.length) + ")";
		break;
	case CallKind::Poll: {
		std::string in = "[", out = "[";
		unsigned ready = 0;
		for (nfds_t i = 0; call.fds && i < call.nfds && i < 4096; i++) {
			const struct pollfd &p = call.fds[i];
			in += std::string(i ? ", " : "") + "{fd=" + fd(p.fd) +
			      ", events=" + fmt_.fl(Family::PollEvent, static_cast<uint16_t>(p.events)) + "}";
			if (p.revents)
				out += std::string(ready++ ? ", " : "") + "{fd=" + fd(p.fd) + ", revents=" +
				       fmt_.fl(Family::PollEvent, static_cast<uint16_t>(p.revents)) + "}";
		}
		line += "poll(" + in + "], " + udec(call.nfds) + ", " + dec(call.timeoutMs) + ")";
		if (call.result == 0)
			aux = "(Timeout)";
		else if (call.result > 0)
			aux = "(" + out + "])";
		break;
	}
	}
	// strace -a 40: the result starts in column 40 unless the call is longer.
	if (line.size() < 39)
		line.resize(39, ' ');
	line += " = ";
	if (call.result < 0) {
		const char *name = errnoName(-call.result);
		if (name)
			line += std::string("-1 ") + name + " (" + strerror(-call.result) + ")";
		else
			line += "-1 (errno " + dec(-call.result) + ")";
	} else {
		line += ret.empty() ? dec(call.result) : ret;
	}
	if (!aux.empty())
		line += " " + aux;
	writeLine(line);
}

} // namespace

std::string straceQuote(const std::string &bytes, StringStyle style)
{
	bool hexAll = style == StringStyle::Hex;
	if (style == StringStyle::HexNonAscii)
		for (unsigned char c : bytes)
			if (c < 0x20 || c >= 0x7f)
				hexAll = true;
	std::string out = "\"";
	for (size_t i = 0; i < bytes.size(); i++) {
		unsigned char c = static_cast<unsigned char>(bytes[i]);
		char buf[8];
		if (hexAll) {
			snprintf(buf, sizeof(buf), "\\x%02x", c);
			out += buf;
			continue;
		}
		switch (c) {
		case '"': out += "\\\""; continue;
		case '\\': out += "\\\\"; continue;
		case '\f': out += "\\f"; continue;
		case '\n': out += "\\n"; continue;
		case '\r': out += "\\r"; continue;
		case '\t': out += "\\t"; continue;
		case '\v': out += "\\v"; continue;
		default: break;
		}
		if (c >= 0x20 && c < 0x7f) {
			out += static_cast<char>(c);
			continue;
		}
		// Shortest octal form unless an octal digit follows (U:string_quote).
		bool digitNext = i + 1 < bytes.size() && bytes[i + 1] >= '0' && bytes[i + 1] <= '7';
		if (digitNext)
			snprintf(buf, sizeof(buf), "\\%03o", c);
		else
			snprintf(buf, sizeof(buf), "\\%o", c);
		out += buf;
	}
	return out + "\"";
}

std::shared_ptr<TraceSink> makeStraceWriter(const TraceWriterOptions &options, FILE *file)
{
	return std::make_shared<StraceWriter>(options, file);
}

} // namespace v4l2emu::trace
