// SPDX-License-Identifier: MIT
// strace text -> trace calls (shared/spec/traces.md §1, §7.3): line handling (prefixes, split
// calls and their order), fd lifetimes bound to handles (births at open/REQUEST_ALLOC/EXPBUF/
// dup, deaths at close) and the syscalls that matter; the ioctl arguments are
// strace_import_ioctl.cpp's.
#include "strace_importer.h"

#include <v4l2emu/ioctl_names.h>

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstring>
#include <istream>
#include <map>

namespace v4l2emu::trace {

bool isNodePath(const std::string &p)
{
	size_t slash = p.rfind('/');
	std::string base = slash == std::string::npos ? p : p.substr(slash + 1);
	return base.compare(0, 5, "video") == 0 || base.compare(0, 5, "media") == 0;
}

bool isRequestOp(unsigned long r)
{
	return r == MEDIA_REQUEST_IOC_QUEUE || r == MEDIA_REQUEST_IOC_REINIT;
}

void set(TraceFields *f, const std::string &path, TraceValue v)
{
	for (auto &[p, val] : *f)
		if (p == path) {
			val = std::move(v);
			return;
		}
	f->emplace_back(path, std::move(v));
}

const TraceValue *get(const TraceFields &f, std::string_view path)
{
	for (const auto &[p, v] : f)
		if (p == path)
			return &v;
	return nullptr;
}

uint64_t getInt(const TraceFields &f, std::string_view path, uint64_t fallback)
{
	const TraceValue *v = get(f, path);
	return v && v->kind == TraceValue::Kind::Int ? v->number : fallback;
}

std::string Importer::newHandle(const std::string &path, const char *kind)
{
	std::string prefix = kind ? kind : "file";
	if (!kind) {
		size_t slash = path.rfind('/');
		std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
		if (base.compare(0, 5, "video") == 0)
			prefix = "vid";
		else if (base.compare(0, 5, "media") == 0)
			prefix = "med";
		else if (path == "anon_inode:request")
			prefix = "req";
		else if (path.find("dmabuf") != std::string::npos)
			prefix = "dmabuf";
	}
	return prefix + std::to_string(counters_[prefix]++);
}

Importer::FdEntry *Importer::fd(int n, const std::string &yPath, unsigned long request, TraceCall *c)
{
	auto it = fds_.find(n);
	if (it != fds_.end())
		return &it->second;
	// Never born in the trace: a pending REQUEST_ALLOC/EXPBUF result, or an fd inherited
	// (typed from -y, else from the ioctl).
	bool asRequest = yPath == "anon_inode:request" || isRequestOp(request);
	bool asDmabuf = yPath.find("dmabuf") != std::string::npos;
	std::vector<size_t> *pending = nullptr;
	if (asRequest && !pendingRequests_.empty())
		pending = &pendingRequests_;
	else if (asDmabuf && !pendingExports_.empty())
		pending = &pendingExports_;
	else if (!asRequest && !asDmabuf && request == 0) {
		if (!pendingExports_.empty() && pendingRequests_.empty())
			pending = &pendingExports_;
		else if (pendingExports_.empty() && !pendingRequests_.empty())
			pending = &pendingRequests_;
	}
	FdEntry e;
	e.path = yPath;
	if (pending) {
		TraceCall &birth = t_.calls[pending->front()];
		pending->erase(pending->begin());
		bool req = birth.request == MEDIA_IOC_REQUEST_ALLOC;
		e.handle = newHandle("", req ? "req" : "dmabuf");
		birth.fdRefs.push_back({"fd", e.handle, true});
		birth.notes.push_back("result fd " + std::to_string(n) + " inferred from its first use at line " +
				      std::to_string(lineNo_));
		if (!birth.skipReason.empty() && req)
			birth.skipReason.clear();
	} else if (asRequest) {
		e.handle = newHandle("", "req");
		c->notes.push_back("request fd " + std::to_string(n) + " was never allocated in the trace");
	} else if (isDevicePath(yPath) || (request && _IOC_TYPE(request) == 'V')) {
		// An inherited node: open it first (by its -y path, else the board's first decoder).
		e.handle = newHandle(yPath.empty() ? "/dev/video" : yPath);
		TraceCall open;
		open.kind = CallKind::Open;
		open.line = lineNo_;
		open.tid = tid_;
		open.text = "(implicit open of fd " + std::to_string(n) + ", never opened in the trace)";
		open.path = yPath;
		open.flags = O_RDWR | O_NONBLOCK;
		open.handle = e.handle;
		open.ret = n;
		open.notes.push_back("fd opened before the trace started");
		add(std::move(open));
	} else {
		e.foreign = true;
		e.handle = newHandle(yPath);
	}
	refs_[e.handle]++;
	return &(fds_[n] = std::move(e));
}

bool Importer::line(std::string_view raw, unsigned n)
{
	t_.linesRead++;
	std::string text = stripAnsi(raw);
	while (!text.empty() && (text.back() == '\r' || text.back() == ' ' || text.back() == '\n'))
		text.pop_back();
	if (text.empty())
		return true;
	LinePrefix pre = splitPrefix(text);
	std::string body = text.substr(pre.bodyOffset);
	lineNo_ = n;
	insertAt_ = SIZE_MAX;
	time_ = pre.time;
	tid_ = pre.tid;
	lineText_ = text;
	if (body.compare(0, 3, "+++") == 0 || body.compare(0, 3, "---") == 0 ||
	    body.compare(0, 8, "strace: ") == 0 || body.compare(0, 10, "<detached ") == 0) {
		t_.linesSkipped++;
		return true;
	}
	if (body.compare(0, 5, "<... ") == 0) {
		size_t close = body.find(" resumed>");
		if (close == std::string::npos)
			return problem(n, "malformed resumed line", text);
		auto it = unfinished_.find(pre.tid);
		if (it == unfinished_.end() && unfinished_.size() == 1 && pre.tid == 0)
			it = unfinished_.begin();	// no pid prefix: one tracee left
		if (it == unfinished_.end())
			return problem(n, "resumed call without its start (" + body.substr(5, close - 5) + ")", text);
		std::string start = it->second.text;
		lineText_ = "line " + std::to_string(it->second.line) + ": " + start + " <unfinished ...>\n" + text;
		std::string resumedName = body.substr(5, close - 5);
		bool blocking = resumedName == "poll" || resumedName == "ppoll" ||
				(resumedName == "ioctl" && (start.find("VIDIOC_DQBUF") != std::string::npos ||
							    start.find("VIDIOC_DQEVENT") != std::string::npos ||
							    start.find("0xc0585611") != std::string::npos ||
							    start.find("0x80885659") != std::string::npos));
		insertAt_ = blocking ? SIZE_MAX : it->second.position;
		unfinished_.erase(it);
		body = start + body.substr(close + 9);
	}
	static const std::string kUnfinished = " <unfinished ...>";
	if (body.size() >= kUnfinished.size() &&
	    body.compare(body.size() - kUnfinished.size(), kUnfinished.size(), kUnfinished) == 0) {
		unfinished_[pre.tid] = {body.substr(0, body.size() - kUnfinished.size()), n,
					t_.calls.size()};
		insertAt_ = SIZE_MAX;
		return true;
	}
	size_t paren = body.find('(');
	std::string name = body.substr(0, paren);
	static const char *const kTraced[] = {"open", "openat", "openat2", "close", "ioctl", "mmap",
					      "mmap2", "munmap", "poll", "ppoll", "dup", "dup2", "dup3",
					      "fcntl", "fcntl64"};
	bool known = std::find_if(std::begin(kTraced), std::end(kTraced),
				  [&](const char *k) { return name == k; }) != std::end(kTraced);
	if (paren == std::string::npos || name.empty() ||
	    !std::all_of(name.begin(), name.end(), [](char c) { return isalnum(c) || c == '_'; }))
		return problem(n, "not a syscall line", text);
	if (!known) {
		t_.linesSkipped++;	// not a device call (read, futex, ...)
		return true;
	}
	SyscallLine s;
	std::string error;
	if (!parseSyscall(body, &s, &error))
		return problem(n, "cannot parse " + name + ": " + error, text);
	TraceCall c;
	c.line = n;
	c.tid = pre.tid;
	c.time = pre.time;
	c.text = lineText_;
	c.ret = s.ret;
	c.error = s.ret < 0 || s.error ? s.error : 0;
	c.resultUnknown = s.resultUnknown;
	c.interrupted = s.error >= 512 || s.error == EINTR;
	if (s.ret == -1 && !s.error && !s.resultUnknown)
		return problem(n, "failed call without an errno", text);
	return call(s, std::move(c));
}

bool Importer::call(const SyscallLine &s, TraceCall c)
{
	const std::string &name = s.name;
	auto arg = [&](size_t i) -> const SValue * { return i < s.args.size() ? &s.args[i] : nullptr; };
	auto intArg = [&](size_t i, uint64_t *v) {
		const SValue *a = arg(i);
		if (!a || !a->isInt())
			return false;
		*v = a->num;
		return true;
	};
	uint64_t v = 0;
	if (name == "open" || name == "openat" || name == "openat2") {
		size_t pathArg = name == "open" ? 0 : 1;
		const SValue *p = arg(pathArg);
		if (!p || p->kind != SValue::Kind::Str)
			return problem(c.line, name + ": path expected", c.text);
		c.kind = CallKind::Open;
		c.path = p->str;
		if (name == "openat2") {
			const SValue *how = arg(2);
			const SValue *flags = how ? how->member("flags") : nullptr;
			c.flags = flags && flags->isInt() ? flags->num : 0;
		} else if (intArg(pathArg + 1, &v)) {
			c.flags = v;
		}
		if (c.ret >= 0) {
			auto old = fds_.find(static_cast<int>(c.ret));
			if (old != fds_.end() && refs_[old->second.handle] > 0)
				refs_[old->second.handle]--;
			FdEntry e;
			e.path = c.path;
			e.handle = newHandle(c.path);
			e.foreign = !isDevicePath(c.path);
			c.handle = e.handle;
			refs_[e.handle]++;
			bool foreign = e.foreign;
			fds_[static_cast<int>(c.ret)] = std::move(e);
			if (foreign) {
				t_.linesSkipped++;
				return true;
			}
		} else if (!isDevicePath(c.path)) {
			t_.linesSkipped++;
			return true;
		}
		add(std::move(c));
		return true;
	}
	if (name == "close") {
		if (!intArg(0, &v))
			return problem(c.line, "close: fd expected", c.text);
		c.kind = CallKind::Close;
		c.fd = static_cast<int>(v);
		c.fdPath = arg(0)->fdPath;
		FdEntry *e = fd(c.fd, c.fdPath, 0, &c);
		c.handle = e->handle;
		bool foreign = e->foreign;
		bool last = --refs_[e->handle] == 0;
		if (c.ret == 0)
			fds_.erase(c.fd);
		if (foreign) {
			t_.linesSkipped++;
			return true;
		}
		if (!last) {
			// An alias (dup) goes; the file stays open through the other fd.
			t_.linesSkipped++;
			return true;
		}
		add(std::move(c));
		return true;
	}
	if (name == "dup" || name == "dup2" || name == "dup3" || name == "fcntl" || name == "fcntl64") {
		uint64_t old = 0, cmd = 0;
		if (!intArg(0, &old))
			return problem(c.line, name + ": fd expected", c.text);
		if (name.compare(0, 5, "fcntl") == 0 &&
		    (!intArg(1, &cmd) || (cmd != F_DUPFD && cmd != F_DUPFD_CLOEXEC))) {
			t_.linesSkipped++;
			return true;
		}
		if (c.ret >= 0) {
			FdEntry *e = fd(static_cast<int>(old), arg(0)->fdPath, 0, &c);
			FdEntry alias = *e;
			refs_[alias.handle]++;
			fds_[static_cast<int>(c.ret)] = alias;
		}
		t_.linesSkipped++;
		return true;
	}
	if (name == "ioctl")
		return ioctl(s, &c);
	if (name == "mmap" || name == "mmap2") {
		uint64_t len = 0, prot = 0, flags = 0, fdn = 0, off = 0;
		if (!intArg(1, &len) || !intArg(2, &prot) || !intArg(3, &flags) || !intArg(4, &fdn) ||
		    !intArg(5, &off))
			return problem(c.line, name + ": arguments expected", c.text);
		if (static_cast<int64_t>(fdn) < 0 || (flags & MAP_ANONYMOUS)) {
			t_.linesSkipped++;
			return true;
		}
		c.kind = CallKind::Mmap;
		c.fd = static_cast<int>(fdn);
		c.fdPath = arg(4)->fdPath;
		FdEntry *e = fd(c.fd, c.fdPath, 0, &c);
		if (e->foreign) {
			t_.linesSkipped++;
			return true;
		}
		c.handle = e->handle;
		c.length = len;
		c.prot = static_cast<int>(prot);
		c.flags = flags;
		c.offset = name == "mmap2" ? off * 4096 : off;
		if (c.ret != -1) {
			c.addr = static_cast<uint64_t>(c.ret);
			c.ret = 0;
			c.mapHandle = "map" + std::to_string(counters_["map"]++);
			mappings_[c.addr] = {len, c.mapHandle};
		}
		add(std::move(c));
		return true;
	}
	if (name == "munmap") {
		uint64_t addr = 0, len = 0;
		if (!intArg(0, &addr) || !intArg(1, &len))
			return problem(c.line, "munmap: arguments expected", c.text);
		auto it = mappings_.upper_bound(addr);
		if (it == mappings_.begin() || addr >= std::prev(it)->first + std::prev(it)->second.length) {
			t_.linesSkipped++;	// not a mapping of a device
			return true;
		}
		--it;
		c.kind = CallKind::Munmap;
		c.addr = addr;
		c.length = len;
		c.mapHandle = it->second.handle;
		c.mapDelta = addr - it->first;
		if (c.ret == 0 && c.mapDelta == 0 && len >= it->second.length)
			mappings_.erase(it);
		add(std::move(c));
		return true;
	}
	if (name == "poll" || name == "ppoll") {
		const SValue *fdsArg = arg(0);
		if (!fdsArg || fdsArg->kind != SValue::Kind::Array)
			return problem(c.line, name + ": pollfd array expected", c.text);
		c.kind = CallKind::Poll;
		bool any = false;
		for (const SValue &e : fdsArg->items) {
			const SValue *f = e.member("fd");
			const SValue *ev = e.member("events");
			if (!f || !f->isInt())
				return problem(c.line, name + ": pollfd without fd", c.text);
			TraceCall::PollEntry pe{static_cast<int>(f->num), {}, 0, 0};
			pe.events = ev && ev->isInt() ? static_cast<short>(ev->num) : 0;
			if (pe.fd >= 0) {
				FdEntry *fe = fd(pe.fd, f->fdPath, 0, &c);
				if (!fe->foreign) {
					pe.handle = fe->handle;
					any = true;
				}
			}
			c.pollFds.push_back(pe);
		}
		if (!any) {
			t_.linesSkipped++;
			return true;
		}
		if (name == "poll") {
			if (intArg(2, &v))
				c.timeoutMs = static_cast<int>(v);
		} else {
			const SValue *ts = arg(2);
			const SValue *sec = ts ? ts->member("tv_sec") : nullptr;
			const SValue *nsec = ts ? ts->member("tv_nsec") : nullptr;
			c.timeoutMs = sec && nsec ? static_cast<int>(sec->num * 1000 + nsec->num / 1000000) : -1;
		}
		// Result: "= 1 ([{fd=3, revents=POLLIN}])".
		for (const SValue &a : s.aux) {
			if (a.kind != SValue::Kind::Array)
				continue;
			for (const SValue &e : a.items) {
				const SValue *f = e.member("fd");
				const SValue *rev = e.member("revents");
				if (!f || !rev || !rev->isInt())
					continue;
				for (auto &pe : c.pollFds)
					if (pe.fd == static_cast<int>(f->num))
						pe.revents = static_cast<short>(rev->num);
			}
		}
		add(std::move(c));
		return true;
	}
	t_.linesSkipped++;
	return true;
}

bool Importer::ioctl(const SyscallLine &s, TraceCall *cp)
{
	TraceCall &c = *cp;
	c.kind = CallKind::Ioctl;
	if (s.args.size() < 2 || !s.args[0].isInt())
		return problem(c.line, "ioctl: fd and request expected", c.text);
	// ioctls on files that are not decoder nodes (ttys, sockets) are not device calls.
	auto known = fds_.find(static_cast<int>(s.args[0].num));
	bool mediaType = s.args[1].isInt() && (_IOC_TYPE(s.args[1].num) == 'V' ||
					       _IOC_TYPE(s.args[1].num) == '|');
	if ((known != fds_.end() && known->second.foreign) ||
	    (known == fds_.end() && !mediaType && !isDevicePath(s.args[0].fdPath))) {
		t_.linesSkipped++;
		return true;
	}
	if (!s.args[1].isInt())
		return problem(c.line, "unknown ioctl request " + s.args[1].str, c.text);
	c.fd = static_cast<int>(s.args[0].num);
	c.fdPath = s.args[0].fdPath;
	c.request = static_cast<unsigned long>(s.args[1].num);
	const char *op = ioctlName(c.request);
	if (!op) {
		char buf[24];
		snprintf(buf, sizeof(buf), "%#lx", c.request);
		if (_IOC_TYPE(c.request) == 'V' || _IOC_TYPE(c.request) == '|')
			return problem(c.line, std::string("ioctl ") + buf +
						       " is not an LP64 V4L2/media ioctl this replayer knows "
						       "(32-bit ABI variant?)",
				       c.text);
		t_.linesSkipped++;
		return true;
	}
	c.requestName = op;
	FdEntry *e = fd(c.fd, c.fdPath, c.request, &c);
	if (e->foreign) {
		t_.linesSkipped++;
		return true;
	}
	c.handle = e->handle;
	importArgument(s, &c);
	size_t index = std::min(insertAt_, t_.calls.size());
	bool request = c.request == MEDIA_IOC_REQUEST_ALLOC && c.error == 0 && c.fdRefs.empty();
	bool expbuf = c.request == VIDIOC_EXPBUF && c.error == 0 && c.fdRefs.empty();
	add(std::move(c));
	if (request)
		pendingRequests_.push_back(index);
	if (expbuf)
		pendingExports_.push_back(index);
	return true;
}

int importStrace(std::istream &in, const TraceReadOptions &options, Trace *trace)
{
	trace->source = Trace::Source::Strace;
	Importer imp(trace, options);
	std::string line;
	unsigned n = 0;
	while (std::getline(in, line)) {
		n++;
		if (!imp.line(line, n))
			break;
	}
	imp.finish();
	return trace->problems.empty() ? 0 : -EINVAL;
}

} // namespace v4l2emu::trace

namespace v4l2emu {

int parseStrace(std::istream &in, const TraceReadOptions &options, Trace *trace)
{
	return trace::importStrace(in, options, trace);
}

} // namespace v4l2emu
