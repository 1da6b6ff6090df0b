// SPDX-License-Identifier: MIT
// The native JSONL writer (shared/spec/traces.md §7.1, tier N): one object per call with the
// argument before and after as decoded fields and as exact bytes (pointers as 0/1, fds as
// handles), payloads over 64 bytes and OUTPUT bitstream in content-addressed side files,
// CAPTURE planes as CRC-32.
#include "digest.h"
#include "json.h"
#include "native_format.h"
#include "writer_base.h"

#include <v4l2emu/ioctl_names.h>

#include "core/usercopy.h"

#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace v4l2emu::trace {

namespace {

int currentTid() { return static_cast<int>(syscall(SYS_gettid)); }

std::string hexAddr(uint64_t v)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "%#llx", static_cast<unsigned long long>(v));
	return buf;
}

class NativeWriter final : public WriterBase {
public:
	NativeWriter(const TraceWriterOptions &options, FILE *file, std::string blobDir)
		: WriterBase(options, file), blobs_(std::move(blobDir))
	{
		Json h = Json::object();
		h.set("v", Json::integer(kNativeVersion));
		h.set("kind", Json::string("header"));
		h.set("recorder", Json::string("v4l2emu"));
		h.set("board", Json::string(options.board));
		h.set("kernel", Json::string(options.kernel == KernelVersion::V6_12 ? "6.12" : "mainline"));
		h.set("abi", Json::string(sizeof(long) == 8 ? "lp64" : "ilp32"));
		h.set("pagesize", Json::integer(sysconf(_SC_PAGESIZE)));
		h.set("blobs", Json::string("sha256"));
		if (!options.faults.empty())
			h.set("faults", Json::string(options.faults));
		writeLine(h.dump());
	}

protected:
	void emit(const CallRecord &call, PendingCall *pending, const IoctlPayload *after) override;
	void emitFaults(const std::string &plan) override
	{
		// Between calls: "seq" is that of the last call before it.
		Json j = Json::object();
		j.set("seq", Json::unsignedInteger(seq_));
		j.set("kind", Json::string("faults"));
		j.set("plan", Json::string(plan));
		writeLine(j.dump());
	}

private:
	/// "hex:..." for small byte strings, "blob:<sha256>" (written once) for the rest.
	Json bytesRef(const std::string &bytes);
	Json decoded(const IoctlPayload &payload, bool after);
	void result(Json *j, int result);

	std::string blobs_;
	bool blobDirReady_ = false;
};

Json NativeWriter::bytesRef(const std::string &bytes)
{
	if (bytes.size() <= kInlineBytes)
		return Json::string("hex:" + toHex(bytes.data(), bytes.size()));
	std::string sha = sha256Hex(bytes.data(), bytes.size());
	if (!blobDirReady_) {
		std::string parent = blobs_.substr(0, blobs_.rfind('/'));
		mkdir(parent.c_str(), 0755);
		mkdir(blobs_.c_str(), 0755);
		blobDirReady_ = true;
	}
	std::string path = blobs_ + "/" + sha;
	struct stat st;
	if (stat(path.c_str(), &st) != 0) {
		std::string tmp = path + ".tmp" + std::to_string(getpid());
		if (FILE *f = fopen(tmp.c_str(), "wb")) {
			bool ok = fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
			ok &= fclose(f) == 0;
			if (ok)
				rename(tmp.c_str(), path.c_str());
			else
				unlink(tmp.c_str());
		}
	}
	return Json::string("blob:" + sha);
}

Json NativeWriter::decoded(const IoctlPayload &payload, bool after)
{
	// Fds become the handles they stand for (a result fd only after the call); everything
	// else as in the normalised bytes.
	IoctlPayload copy = payload;
	std::vector<std::pair<std::string, int32_t>> fds;
	for (const FdSlot &s : fdSlots(&copy))
		if (after || !s.output)
			fds.emplace_back(s.path, *s.fd);
	copy.normalise(after);
	Json out = Json::object();
	for (ClassifiedField &f : extractFields(copy)) {
		auto it = std::find_if(fds.begin(), fds.end(),
				       [&](const auto &p) { return p.first == f.path; });
		if (f.cls == FieldClass::Fd && it != fds.end()) {
			int32_t fd = it->second;
			out.set(f.path, fd < 0 ? Json::integer(fd) : Json::string(handleOf(fd)));
			continue;
		}
		// Zeros and empty strings are left out: the decoded view is for people, the
		// raw bytes hold everything.
		if (f.value.kind == TraceValue::Kind::Int) {
			// Negative values of signed fields read as such.
			if (f.value.number >= (1ull << 63))
				out.set(f.path, Json::integer(static_cast<int64_t>(f.value.number)));
			else if (f.value.number)
				out.set(f.path, Json::unsignedInteger(f.value.number));
		} else if (f.value.bytes.empty()) {
			continue;
		} else if (f.path.size() > 7 && f.path.compare(f.path.size() - 7, 7, ".string") == 0) {
			out.set(f.path, bytesRef(f.value.bytes));
		} else {
			out.set(f.path, Json::string(f.value.bytes));
		}
	}
	return out;
}

void NativeWriter::result(Json *j, int res)
{
	if (res < 0) {
		j->set("ret", Json::integer(-1));
		const char *name = errnoName(-res);
		j->set("errno", name ? Json::string(name) : Json::integer(-res));
	} else {
		j->set("ret", Json::integer(res));
		j->set("errno", Json::integer(0));
	}
}

void NativeWriter::emit(const CallRecord &call, PendingCall *pending, const IoctlPayload *after)
{
	Json j = Json::object();
	j.set("seq", Json::unsignedInteger(seq_));
	if (options_.timestamps) {
		j.set("tid", Json::integer(currentTid()));
		j.set("t", Json::number(elapsed()));
	}
	j.set("call", Json::string(toString(call.kind)));
	switch (call.kind) {
	case CallKind::Open:
		j.set("path", Json::string(call.path ? call.path : ""));
		j.set("flags", Json::integer(call.flags));
		result(&j, call.result);
		if (call.result >= 0) {
			j.set("h", Json::string(handleOf(call.result)));
			if (options_.timestamps)
				j.set("fd_raw", Json::integer(call.result));
		}
		break;
	case CallKind::Close:
		j.set("fd", Json::string(handleOf(call.fd)));
		if (options_.timestamps)
			j.set("fd_raw", Json::integer(call.fd));
		result(&j, call.result);
		break;
	case CallKind::Ioctl: {
		j.set("fd", Json::string(handleOf(call.fd)));
		if (options_.timestamps)
			j.set("fd_raw", Json::integer(call.fd));
		const char *op = ioctlName(call.request);
		j.set("op", op ? Json::string(op) : Json::null());
		j.set("code", Json::string(hexAddr(call.request)));
		// Exact bytes; a part of "out" equal to the same part of "in" is written "=".
		std::vector<std::pair<std::string, Json>> inParts;
		auto raw = [&](const char *prefix, const IoctlPayload &p, bool isAfter) {
			IoctlPayload n = p;
			n.normalise(isAfter);
			std::string pre(prefix);
			auto part = [&](const std::string &name, Json v) {
				if (!isAfter) {
					inParts.emplace_back(name, v);
				} else {
					for (const auto &[k, old] : inParts)
						if (k == name && old.dump() == v.dump())
							v = Json::string("=");
				}
				j.set(pre + "_" + name, std::move(v));
			};
			auto hexOf = [](const auto &vec) {
				return Json::string(toBase64(vec.data(), vec.size() * sizeof(vec[0])));
			};
			part("raw", hexOf(n.top));
			if (!n.planes.empty())
				part("planes", hexOf(n.planes));
			if (!n.controls.empty()) {
				part("ctrls", hexOf(n.controls));
				Json pay = Json::array();
				for (const std::string &b : n.payloads)
					pay.push(b.empty() ? Json::null() : bytesRef(b));
				part("payloads", pay);
			}
			auto arr = [&](const char *name, const auto &vec) {
				if (!vec.empty())
					part(name, hexOf(vec));
			};
			arr("entities", n.entities);
			arr("interfaces", n.interfaces);
			arr("pads", n.pads);
			arr("links", n.links);
			if (n.nestedFault)
				j.set(pre + "_fault", Json::boolean(true));
		};
		bool haveIn = pending && pending->beforeValid;
		if (haveIn)
			j.set("in", decoded(pending->before, false));
		if (after)
			j.set("out", decoded(*after, true));
		if (haveIn)
			raw("in", pending->before, false);
		if (after)
			raw("out", *after, true);
		if (!haveIn && _IOC_SIZE(call.request) && _IOC_DIR(call.request) != _IOC_NONE)
			j.set("arg", Json::string(call.arg ? "unreadable" : "null"));
		if (pending && !pending->data.empty()) {
			Json data = Json::array();
			for (const PendingCall::PlaneData &d : pending->data) {
				Json e = Json::object();
				e.set("plane", Json::integer(d.plane));
				e.set("len", Json::integer(static_cast<int64_t>(d.bytes.size())));
				e.set("bytes", bytesRef(d.bytes));
				data.push(e);
			}
			j.set("data", data);
		}
		// CAPTURE pictures: a CRC of each dequeued plane the run has mapped.
		if (call.request == VIDIOC_DQBUF && call.result == 0 && after) {
			const auto &b = after->as<struct v4l2_buffer>();
			const OpenFile *f = file(call.fd);
			Json crcs = Json::array();
			size_t planes = isMplaneType(b.type) ? after->planes.size() : 1;
			for (size_t i = 0; f && !isOutputType(b.type) && i < planes; i++) {
				uint32_t used = isMplaneType(b.type) ? after->planes[i].bytesused : b.bytesused;
				const Mapping *m = mappingOf({f->handle, true, b.index, static_cast<uint32_t>(i)});
				if (!m)
					continue;
				std::string bytes(std::min<size_t>(used, m->length), '\0');
				if (copyFromUser(bytes.data(), reinterpret_cast<const void *>(m->addr),
						 bytes.size()))
					continue;
				Json e = Json::object();
				e.set("plane", Json::integer(static_cast<int64_t>(i)));
				e.set("len", Json::integer(static_cast<int64_t>(bytes.size())));
				e.set("crc32", Json::string(hexAddr(crc32(bytes.data(), bytes.size()))));
				crcs.push(e);
			}
			if (crcs.size())
				j.set("crc", crcs);
		}
		result(&j, call.result);
		break;
	}
	case CallKind::Mmap: {
		j.set("fd", Json::string(handleOf(call.fd)));
		j.set("length", Json::unsignedInteger(call.length));
		j.set("prot", Json::integer(call.prot));
		j.set("flags", Json::integer(call.flags));
		j.set("offset", Json::unsignedInteger(static_cast<uint64_t>(call.offset)));
		const OpenFile *f = file(call.fd);
		if (f && (f->kind == OpenFile::Kind::Video || f->kind == OpenFile::Kind::Dmabuf)) {
			PlaneId id = f->kind == OpenFile::Kind::Video
					     ? planeFromCookie(f->handle, static_cast<uint64_t>(call.offset))
					     : f->dmabufOf;
			Json buf = Json::object();
			buf.set("queue", Json::string(id.capture ? "capture" : "output"));
			buf.set("index", Json::integer(id.index));
			buf.set("plane", Json::integer(id.plane));
			j.set("buf", buf);
		}
		result(&j, call.result);
		if (call.result == 0) {
			const Mapping *m = mappingAt(reinterpret_cast<uintptr_t>(call.mapped));
			if (m)
				j.set("h", Json::string(m->handle));
			if (options_.timestamps)
				j.set("addr_raw", Json::string(hexAddr(reinterpret_cast<uintptr_t>(call.mapped))));
		}
		break;
	}
	case CallKind::Munmap: {
		const Mapping *m = mappingAt(reinterpret_cast<uintptr_t>(call.addr));
		j.set("map", m ? Json::string(m->handle) : Json::null());
		if (m)
			j.set("delta", Json::unsignedInteger(reinterpret_cast<uintptr_t>(call.addr) - m->addr));
		j.set("length", Json::unsignedInteger(call.length));
		if (options_.timestamps)
			j.set("addr_raw", Json::string(hexAddr(reinterpret_cast<uintptr_t>(call.addr))));
		result(&j, call.result);
		break;
	}
	case CallKind::Poll: {
		Json fds = Json::array();
		for (nfds_t i = 0; call.fds && i < call.nfds && i < 4096; i++) {
			Json e = Json::object();
			e.set("fd", call.fds[i].fd < 0 ? Json::integer(call.fds[i].fd)
						       : Json::string(handleOf(call.fds[i].fd)));
			e.set("events", Json::integer(call.fds[i].events));
			e.set("revents", Json::integer(call.fds[i].revents));
			fds.push(e);
		}
		j.set("fds", fds);
		j.set("nfds", Json::unsignedInteger(call.nfds));
		j.set("timeout", Json::integer(call.timeoutMs));
		result(&j, call.result);
		break;
	}
	}
	writeLine(j.dump());
}

} // namespace

std::shared_ptr<TraceSink> makeNativeWriter(const TraceWriterOptions &options, FILE *file)
{
	std::string dir = options.path;
	size_t slash = dir.rfind('/');
	dir = slash == std::string::npos ? std::string(".") : dir.substr(0, slash);
	return std::make_shared<NativeWriter>(options, file, dir + "/blobs/sha256");
}

} // namespace v4l2emu::trace
