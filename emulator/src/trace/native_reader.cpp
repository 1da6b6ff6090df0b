// SPDX-License-Identifier: MIT
// Native JSONL -> trace calls: the exact argument bytes come back as a payload (the decoded
// fields are for people), fds as handles, blobs from blobs/sha256/ beside the file.
#include "digest.h"
#include "ioctl_args.h"
#include "json.h"
#include "native_format.h"

#include <v4l2emu/ioctl_names.h>

#include <sys/ioctl.h>

#include <cstring>
#include <fstream>
#include <istream>
#include <sstream>

namespace v4l2emu::trace {

namespace {

class Reader {
public:
	Reader(Trace *t, const TraceReadOptions &o, std::string blobDir)
		: t_(*t), o_(o), blobs_(std::move(blobDir))
	{
	}

	bool line(const std::string &text, unsigned n);

private:
	bool problem(const std::string &m)
	{
		t_.problems.push_back({line_, m, text_});
		return !o_.stopAtFirstProblem;
	}
	/// "hex:..." inline or "blob:<sha>" from the blob directory.
	bool bytes(const Json &j, std::string *out, std::string *why);
	template<typename T> bool array(const Json &j, std::vector<T> *out, std::string *why)
	{
		if (j.isNull())
			return true;
		std::string raw;
		if (!j.isString() || !fromBase64(j.asString(), &raw) || raw.size() % sizeof(T)) {
			*why = "bad base64 array";
			return false;
		}
		out->resize(raw.size() / sizeof(T));
		if (!raw.empty())
			memcpy(out->data(), raw.data(), raw.size());
		return true;
	}
	bool payload(const Json &j, const char *prefix, unsigned long request, IoctlPayload *p,
		     std::string *why);
	bool result(const Json &j, TraceCall *c);

	Trace &t_;
	const TraceReadOptions &o_;
	std::string blobs_;
	unsigned line_ = 0;
	std::string text_;
};

bool Reader::bytes(const Json &j, std::string *out, std::string *why)
{
	if (!j.isString()) {
		*why = "byte string expected";
		return false;
	}
	const std::string &s = j.asString();
	if (s.compare(0, 4, "hex:") == 0) {
		if (!fromHex(s.substr(4), out)) {
			*why = "bad hex";
			return false;
		}
		return true;
	}
	if (s.compare(0, 5, "blob:") == 0) {
		std::string sha = s.substr(5);
		if (sha.size() != 64 || sha.find_first_not_of("0123456789abcdef") != std::string::npos) {
			*why = "bad blob name";
			return false;
		}
		std::ifstream f(blobs_ + "/" + sha, std::ios::binary);
		if (!f) {
			*why = "missing blob " + sha;
			return false;
		}
		std::ostringstream ss;
		ss << f.rdbuf();
		*out = ss.str();
		if (sha256Hex(out->data(), out->size()) != sha) {
			*why = "blob " + sha + " does not match its name";
			return false;
		}
		return true;
	}
	*why = "byte string must start with hex: or blob:";
	return false;
}

bool Reader::payload(const Json &j, const char *prefix, unsigned long request, IoctlPayload *p,
		     std::string *why)
{
	std::string pre(prefix);
	// "=": this part of "out" is the same as in "in".
	auto part = [&](const char *name) -> const Json & {
		const Json &v = j.get(pre + "_" + name);
		if (v.isString() && v.asString() == "=")
			return j.get(std::string("in_") + name);
		return v;
	};
	p->reset(request);
	std::string raw;
	const Json &top = part("raw");
	if (!top.isString() || !fromBase64(top.asString(), &raw)) {
		*why = pre + "_raw missing or not base64";
		return false;
	}
	if (raw.size() != p->top.size()) {
		*why = pre + "_raw has " + std::to_string(raw.size()) + " bytes, the ioctl takes " +
		       std::to_string(p->top.size());
		return false;
	}
	if (!raw.empty())
		memcpy(p->top.data(), raw.data(), raw.size());
	if (!array(part("planes"), &p->planes, why) || !array(part("ctrls"), &p->controls, why) ||
	    !array(part("entities"), &p->entities, why) ||
	    !array(part("interfaces"), &p->interfaces, why) || !array(part("pads"), &p->pads, why) ||
	    !array(part("links"), &p->links, why))
		return false;
	const Json &pay = part("payloads");
	p->payloads.resize(p->controls.size());
	for (size_t i = 0; i < pay.size() && i < p->payloads.size(); i++)
		if (!pay.at(i).isNull() && !bytes(pay.at(i), &p->payloads[i], why))
			return false;
	p->nestedFault = j.get(pre + "_fault").asBool();
	return true;
}

bool Reader::result(const Json &j, TraceCall *c)
{
	c->ret = j.get("ret").asI64();
	const Json &e = j.get("errno");
	if (e.isString()) {
		c->error = errnoByName(e.asString());
		if (!c->error)
			return problem("unknown errno " + e.asString());
	} else {
		c->error = static_cast<int>(e.asI64());
	}
	if (c->ret < 0 && !c->error)
		return problem("failed call without an errno");
	return true;
}

bool Reader::line(const std::string &text, unsigned n)
{
	line_ = n;
	text_ = text;
	t_.linesRead++;
	if (text.find_first_not_of(" \t\r") == std::string::npos)
		return true;
	Json j;
	std::string error;
	if (!Json::parse(text, &j, &error))
		return problem("not JSON: " + error);
	if (!j.isObject())
		return problem("not a JSON object");
	if (j.get("kind").asString() == "header") {
		if (j.get("v").asI64() != kNativeVersion)
			return problem("native trace version " + std::to_string(j.get("v").asI64()) +
				       " (this reader knows " + std::to_string(kNativeVersion) + ")");
		t_.board = j.get("board").asString();
		t_.kernel = j.get("kernel").asString();
		t_.faults = j.get("faults").asString();
		t_.linesSkipped++;
		return true;
	}
	if (j.get("kind").asString() == "faults") {
		t_.faultChanges.push_back({t_.calls.size(), j.get("plan").asString()});
		t_.linesSkipped++;
		return true;
	}
	TraceCall c;
	c.line = n;
	c.text = text;
	c.seq = j.get("seq").asU64();
	c.tid = static_cast<int>(j.get("tid").asI64());
	c.time = j.get("t").asDouble();
	const std::string &call = j.get("call").asString();
	auto handleOf = [](const Json &v) { return v.isString() ? v.asString() : std::string(); };
	if (!result(j, &c))
		return !o_.stopAtFirstProblem;
	if (call == "open") {
		c.kind = CallKind::Open;
		c.path = j.get("path").asString();
		c.flags = j.get("flags").asU64();
		c.handle = handleOf(j.get("h"));
		if (c.ret >= 0 && c.handle.empty())
			return problem("open without a handle");
	} else if (call == "close") {
		c.kind = CallKind::Close;
		c.handle = handleOf(j.get("fd"));
	} else if (call == "ioctl") {
		c.kind = CallKind::Ioctl;
		c.handle = handleOf(j.get("fd"));
		c.request = strtoul(j.get("code").asString().c_str(), nullptr, 0);
		if (!c.request)
			return problem("ioctl without a code");
		const char *op = ioctlName(c.request);
		c.requestName = op ? op : j.get("op").asString();
		auto in = std::make_shared<IoctlPayload>();
		if (j.has("in_raw")) {
			if (!payload(j, "in", c.request, in.get(), &error))
				return problem(error);
		} else {
			in->reset(c.request);
			if (j.get("arg").asString() == "unreadable")
				c.skipReason = "the argument was unreadable in the recorded run";
		}
		IoctlPayload out;
		if (j.has("out_raw")) {
			if (!payload(j, "out", c.request, &out, &error))
				return problem(error);
			for (ClassifiedField &f : extractFields(out))
				c.out.emplace_back(f.path, f.value);
			c.outKnown = true;
		}
		for (ClassifiedField &f : extractFields(*in))
			c.in.emplace_back(f.path, f.value);
		// Fds by handle, from the decoded objects (the raw bytes hold 0).
		for (const char *side : {"in", "out"}) {
			IoctlPayload *p = std::string(side) == "in" ? in.get() : &out;
			const Json &dec = j.get(side);
			for (FdSlot &s : fdSlots(p)) {
				const Json &h = dec.get(s.path);
				if (h.isString() && (s.output == (std::string(side) == "out")))
					c.fdRefs.push_back({s.path, h.asString(), s.output});
			}
		}
		c.payload = std::move(in);
		for (size_t i = 0; i < j.get("data").size(); i++) {
			const Json &d = j.get("data").at(i);
			TraceCall::PlaneBytes pb;
			pb.plane = static_cast<uint32_t>(d.get("plane").asU64());
			if (!bytes(d.get("bytes"), &pb.bytes, &error))
				return problem(error);
			c.planeData.push_back(std::move(pb));
		}
		for (size_t i = 0; i < j.get("crc").size(); i++) {
			const Json &d = j.get("crc").at(i);
			c.crcs.push_back({static_cast<uint32_t>(d.get("plane").asU64()),
					  static_cast<uint32_t>(d.get("len").asU64()),
					  static_cast<uint32_t>(strtoul(d.get("crc32").asString().c_str(), nullptr, 0))});
		}
	} else if (call == "mmap") {
		c.kind = CallKind::Mmap;
		c.handle = handleOf(j.get("fd"));
		c.length = j.get("length").asU64();
		c.prot = static_cast<int>(j.get("prot").asI64());
		c.flags = j.get("flags").asU64();
		c.offset = j.get("offset").asU64();
		c.mapHandle = handleOf(j.get("h"));
		const Json &b = j.get("buf");
		if (b.isObject()) {
			c.planeKnown = true;
			c.planeCapture = b.get("queue").asString() == "capture";
			c.planeIndex = static_cast<uint32_t>(b.get("index").asU64());
			c.planeNumber = static_cast<uint32_t>(b.get("plane").asU64());
		}
		if (c.ret == 0 && c.mapHandle.empty())
			return problem("mmap without a mapping handle");
	} else if (call == "munmap") {
		c.kind = CallKind::Munmap;
		c.mapHandle = handleOf(j.get("map"));
		c.mapDelta = j.get("delta").asU64();
		c.length = j.get("length").asU64();
		if (c.mapHandle.empty())
			c.skipReason = "unmaps memory that is not a traced mapping";
	} else if (call == "poll") {
		c.kind = CallKind::Poll;
		const Json &fds = j.get("fds");
		for (size_t i = 0; i < fds.size(); i++) {
			const Json &e = fds.at(i);
			TraceCall::PollEntry pe{-1, handleOf(e.get("fd")),
						static_cast<short>(e.get("events").asI64()),
						static_cast<short>(e.get("revents").asI64())};
			if (!e.get("fd").isString())
				pe.fd = static_cast<int>(e.get("fd").asI64());
			c.pollFds.push_back(pe);
		}
		c.timeoutMs = static_cast<int>(j.get("timeout").asI64());
	} else {
		return problem("unknown call '" + call + "'");
	}
	if (c.kind != CallKind::Open && c.kind != CallKind::Munmap && c.kind != CallKind::Poll &&
	    c.handle.empty())
		return problem(std::string(toString(c.kind)) + " without an fd handle");
	t_.calls.push_back(std::move(c));
	return true;
}

} // namespace

} // namespace v4l2emu::trace

namespace v4l2emu {

int readNativeTrace(std::istream &in, const std::string &path, const TraceReadOptions &options,
		    Trace *trace)
{
	trace->source = Trace::Source::Native;
	trace->path = path;
	size_t slash = path.rfind('/');
	std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
	trace::Reader r(trace, options, dir + "/blobs/sha256");
	std::string line;
	unsigned n = 0;
	while (std::getline(in, line)) {
		n++;
		if (!r.line(line, n))
			break;
	}
	return trace->problems.empty() ? 0 : -EINVAL;
}

int readTraceFile(const std::string &path, const TraceReadOptions &options, Trace *trace)
{
	std::ifstream f(path);
	if (!f)
		return -ENOENT;
	// Native traces start with their JSON header; anything else is strace text.
	int c = f.peek();
	trace->path = path;
	if (c == '{')
		return readNativeTrace(f, path, options, trace);
	return parseStrace(f, options, trace);
}

} // namespace v4l2emu
