// SPDX-License-Identifier: MIT
// The replayer (shared/spec/traces.md §7.2, §7.3): every call of a trace re-issued in trace
// order against a fresh emulated board, through handles (fds, requests, dma-bufs, mappings
// are never compared as numbers), comparing return value and errno always and the returned
// fields by class; timing-dependent outcomes (EAGAIN at DQBUF, poll readiness, REINIT/EACCES
// while a request runs) are synchronisation points, not failures.
#include "digest.h"
#include "ioctl_args.h"
#include "replay_internal.h"
#include "writer_base.h"

#include <v4l2emu/ioctl_names.h>

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <set>
#include <unordered_map>

namespace v4l2emu::trace {

namespace {

std::string errnoText(int e)
{
	if (!e)
		return "success";
	const char *n = errnoName(e);
	return n ? n : "errno " + std::to_string(e);
}

struct ReplayMapping {
	void *addr = nullptr;
	size_t length = 0;
	std::string fdHandle;
	PlaneId plane;
	bool known = false;
};

class Replayer {
public:
	Replayer(const Trace &t, const ReplayOptions &o, Board &b, ReplayReport &r)
		: t_(t), o_(o), board_(b), io_(b.io()), r_(r), watchdog_(b)
	{
	}
	~Replayer();

	void run();

private:
	bool replay(size_t i);
	/// Installs a fault plan the recorded run installed before call i (false: stop).
	bool applyFaults(size_t i, const std::string &plan);
	bool open(const TraceCall &c, size_t i);
	bool close(const TraceCall &c, size_t i);
	bool ioctl(const TraceCall &c, size_t i);
	bool mmap(const TraceCall &c, size_t i);
	bool munmap(const TraceCall &c, size_t i);
	bool poll(const TraceCall &c, size_t i);

	/// Records a divergence; false when replaying should stop.
	bool diverge(const TraceCall &c, size_t i, std::string message);
	void timing(const TraceCall &c, size_t i, std::string message);
	bool checkResult(const TraceCall &c, size_t i, int got);
	bool checkFields(const TraceCall &c, size_t i, const IoctlPayload &after);
	int issue(const TraceCall &c, int fd, IoctlPayload *p);
	bool waitFor(int fd, short events);
	static std::string bankKey(const std::string &handle, bool output)
	{
		return handle + (output ? ":output" : ":capture");
	}
	bool banked(const std::string &handle, bool output)
	{
		auto it = banked_.find(bankKey(handle, output));
		return it != banked_.end() && !it->second.empty();
	}

	std::string mapPath(const std::string &path) const;
	int fdOf(const std::string &handle) const
	{
		auto it = fds_.find(handle);
		return it == fds_.end() ? -1 : it->second;
	}
	std::string handleOfFd(int fd) const
	{
		auto it = handles_.find(fd);
		return it == handles_.end() ? std::string() : it->second;
	}
	void bindFd(const std::string &handle, int fd)
	{
		fds_[handle] = fd;
		handles_[fd] = handle;
	}
	const TraceCall::FdRef *ref(const TraceCall &c, const std::string &field) const
	{
		for (const auto &f : c.fdRefs)
			if (f.field == field)
				return &f;
		return nullptr;
	}
	const ReplayMapping *mappingOf(const PlaneId &plane) const
	{
		for (const auto &[h, m] : maps_)
			if (m.known && m.plane == plane)
				return &m;
		return nullptr;
	}

	const Trace &t_;
	const ReplayOptions &o_;
	Board &board_;
	DeviceIo &io_;
	ReplayReport &r_;
	Watchdog watchdog_;
	std::map<std::string, std::string> pathMap_;
	std::unordered_map<std::string, int> fds_;
	std::unordered_map<int, std::string> handles_;
	std::map<std::string, ReplayMapping> maps_;
	std::set<std::string> blocking_;
	std::set<std::string> dead_;		///< handles whose birth could not be replayed
	std::map<std::string, PlaneId> dmabufOf_;
	std::map<std::pair<std::string, uint64_t>, uint64_t> cookies_;
	std::map<std::string, std::deque<IoctlPayload>> banked_;
	bool stop_ = false;
};

Replayer::~Replayer()
{
	for (auto &[h, m] : maps_)
		io_.munmap(m.addr, m.length);
	for (auto &[h, fd] : fds_)
		io_.close(fd);
}

std::string Replayer::mapPath(const std::string &path) const
{
	auto it = pathMap_.find(path);
	return it == pathMap_.end() ? path : it->second;
}

bool Replayer::diverge(const TraceCall &c, size_t i, std::string message)
{
	ReplayDivergence d;
	d.line = c.line;
	d.seq = c.seq;
	d.callIndex = i;
	d.message = std::move(message);
	if (c.degraded)
		d.message += " (degraded: the trace does not hold this call's full argument)";
	r_.divergences.push_back(std::move(d));
	if (!o_.keepGoing) {
		r_.stoppedEarly = true;
		stop_ = true;
		return false;
	}
	return true;
}

void Replayer::timing(const TraceCall &c, size_t i, std::string message)
{
	ReplayDivergence d;
	d.line = c.line;
	d.seq = c.seq;
	d.callIndex = i;
	d.message = std::move(message);
	d.timing = true;
	r_.timingNotes.push_back(std::move(d));
}

bool Replayer::checkResult(const TraceCall &c, size_t i, int got)
{
	int gotError = got < 0 ? -got : 0;
	if (gotError != c.error)
		return diverge(c, i, "errno: expected " + errnoText(c.error) + ", got " + errnoText(gotError));
	if (!c.error && c.kind == CallKind::Ioctl && got != c.ret)
		return diverge(c, i, "return value: expected " + std::to_string(c.ret) + ", got " +
					     std::to_string(got));
	return true;
}

bool Replayer::checkFields(const TraceCall &c, size_t i, const IoctlPayload &after)
{
	if (!c.outKnown || c.error)
		return true;
	std::vector<ClassifiedField> actual = extractFields(after);
	std::unordered_map<std::string, const ClassifiedField *> byPath;
	for (const ClassifiedField &f : actual)
		byPath[f.path] = &f;
	std::string mismatches;
	for (const auto &[path, expected] : c.out) {
		auto it = byPath.find(path);
		if (it == byPath.end())
			continue;
		const ClassifiedField &got = *it->second;
		bool equal = true;
		switch (got.cls) {
		case FieldClass::Ignored:
			continue;
		case FieldClass::Cookie:
			// Remembered for the trace's mmaps of this buffer (older kernels' cookies).
			if (expected.kind == TraceValue::Kind::Int)
				cookies_[{c.handle, expected.number}] = got.value.number;
			continue;
		case FieldClass::Fd: {
			const TraceCall::FdRef *fr = ref(c, path);
			if (!fr || fr->output)
				continue;
			std::string h = handleOfFd(static_cast<int>(got.value.number));
			equal = h.empty() || h == fr->handle;
			break;
		}
		case FieldClass::BufferFlags: {
			constexpr uint64_t kHistory = V4L2_BUF_FLAG_MAPPED | V4L2_BUF_FLAG_NO_CACHE_INVALIDATE |
						      V4L2_BUF_FLAG_NO_CACHE_CLEAN;
			equal = (expected.number & ~kHistory) == (got.value.number & ~kHistory);
			break;
		}
		case FieldClass::Exact:
		case FieldClass::Tolerant:
			if (expected.kind != got.value.kind)
				equal = false;
			else if (expected.kind == TraceValue::Kind::Int)
				equal = expected.number == got.value.number;
			else if (expected.truncated)
				equal = got.value.bytes.compare(0, expected.bytes.size(), expected.bytes) == 0;
			else
				equal = expected.bytes == got.value.bytes;
			break;
		}
		r_.compared++;
		if (equal)
			continue;
		if (got.cls == FieldClass::Tolerant) {
			r_.tolerated++;
			continue;
		}
		if (!mismatches.empty())
			mismatches += "; ";
		mismatches += path + ": expected " + expected.toString() + ", got " + got.value.toString();
	}
	if (mismatches.empty())
		return true;
	return diverge(c, i, mismatches);
}

bool Replayer::waitFor(int fd, short events)
{
	struct pollfd p {fd, events, 0};
	return io_.poll(&p, 1, static_cast<int>(o_.syncTimeoutMs)) > 0;
}

int Replayer::issue(const TraceCall &c, int fd, IoctlPayload *p)
{
	const unsigned long r = c.request;
	void *arg = p->bind();
	bool blocks = (r == VIDIOC_DQBUF || r == VIDIOC_DQEVENT) && blocking_.count(c.handle);
	auto call = [&] {
		if (!blocks)
			return io_.ioctl(fd, r, arg);
		watchdog_.arm(o_.syncTimeoutMs);
		int ret = io_.ioctl(fd, r, arg);
		watchdog_.disarm();
		return ret;
	};
	if (r == VIDIOC_DQBUF && !p->top.empty()) {
		std::string key = bankKey(c.handle, isOutputType(p->as<struct v4l2_buffer>().type));
		if (c.error == EAGAIN) {
			int ret = call();
			if (ret == 0) {
				// The emulator is ahead of the board: keep the buffer for the trace's next
				// successful DQBUF of this queue.
				banked_[key].push_back(*p);
				timing(c, 0, "DQBUF returned a buffer the board had not finished yet");
				return -EAGAIN;
			}
			return ret;
		}
		if (c.error == 0 && !banked_[key].empty()) {
			*p = std::move(banked_[key].front());
			banked_[key].pop_front();
			return 0;
		}
		int ret = call();
		if (ret == -EAGAIN && c.error == 0) {
			uint32_t type = p->as<struct v4l2_buffer>().type;
			waitFor(fd, isOutputType(type) ? POLLOUT : POLLIN);
			arg = p->bind();
			ret = call();
		}
		return ret;
	}
	int ret = call();
	if (r == MEDIA_REQUEST_IOC_REINIT && c.error == 0 && ret == -EBUSY) {
		waitFor(fd, POLLPRI);	// the request is still running: wait for completion
		ret = io_.ioctl(fd, r, arg);
	} else if (r == VIDIOC_G_EXT_CTRLS && c.error == 0 && ret == -EACCES) {
		if (const TraceCall::FdRef *fr = ref(c, "request_fd"))
			waitFor(fdOf(fr->handle), POLLPRI);
		arg = p->bind();
		ret = io_.ioctl(fd, r, arg);
	}
	if ((r == MEDIA_REQUEST_IOC_REINIT && c.error == EBUSY && ret == 0) ||
	    (r == VIDIOC_G_EXT_CTRLS && c.error == EACCES && ret == 0)) {
		timing(c, 0, "the request had already completed in the emulator");
		return -c.error;
	}
	return ret;
}

bool Replayer::open(const TraceCall &c, size_t i)
{
	std::string path = c.path;
	if (path.empty()) {
		std::vector<NodeDescription> nodes = board_.nodes();
		path = nodes.empty() ? "" : nodes[0].videoPath;
	}
	path = mapPath(path);
	int fd = io_.open(path.c_str(), static_cast<int>(c.flags));
	if (fd >= 0 && c.error) {
		io_.close(fd);
		return checkResult(c, i, fd);
	}
	if (!checkResult(c, i, fd < 0 ? fd : 0))
		return false;
	if (fd >= 0) {
		bindFd(c.handle, fd);
		if (!(c.flags & O_NONBLOCK))
			blocking_.insert(c.handle);
	}
	return true;
}

bool Replayer::close(const TraceCall &c, size_t i)
{
	int fd = fdOf(c.handle);
	if (fd < 0)
		return diverge(c, i, "close of " + c.handle + ", which the replay does not have open");
	int ret = io_.close(fd);
	if (ret == 0) {
		fds_.erase(c.handle);
		handles_.erase(fd);
	}
	if (!checkResult(c, i, ret))
		return false;
	return true;
}

bool Replayer::ioctl(const TraceCall &c, size_t i)
{
	int fd = fdOf(c.handle);
	if (fd < 0)
		return diverge(c, i, c.requestName + " on " + c.handle + ", which the replay does not have open");
	IoctlPayload p;
	if (c.payload) {
		p = *c.payload;
	} else {
		p.reset(c.request);
		std::vector<std::string> unknown;
		applyFields(&p, c.in, &unknown);
	}
	for (FdSlot &s : fdSlots(&p)) {
		if (s.output)
			continue;
		const TraceCall::FdRef *fr = ref(c, s.path);
		if (fr) {
			if (dead_.count(fr->handle)) {
				r_.skipped++;
				timing(c, i, "not replayed: " + fr->handle + " was never created in the replay");
				return true;
			}
			*s.fd = fdOf(fr->handle);
		}
	}
	// OUTPUT bitstream (native): into the replay's mapping of the plane before QBUF.
	if (!c.planeData.empty() && p.kind() == ArgKind::Buffer) {
		const auto &b = p.as<struct v4l2_buffer>();
		for (const TraceCall::PlaneBytes &d : c.planeData) {
			const ReplayMapping *m = mappingOf({c.handle, false, b.index, d.plane});
			if (m && !d.bytes.empty())
				memcpy(m->addr, d.bytes.data(), std::min(d.bytes.size(), m->length));
		}
	}
	int ret = issue(c, fd, &p);
	if (watchdog_.fired())
		return diverge(c, i, c.requestName + " blocked for more than " +
					     std::to_string(o_.syncTimeoutMs) + " ms");
	if (ret >= 0 && c.error) {
		// Created something the board refused: drop it so nothing leaks.
		for (FdSlot &s : fdSlots(&p))
			if (s.output && *s.fd >= 0)
				io_.close(*s.fd);
	}
	if (!checkResult(c, i, ret))
		return false;
	if (ret < 0) {
		return true;
	}
	for (FdSlot &s : fdSlots(&p)) {
		if (!s.output)
			continue;
		if (const TraceCall::FdRef *fr = ref(c, s.path))
			bindFd(fr->handle, *s.fd);
	}
	if (c.request == VIDIOC_EXPBUF) {
		const auto &e = p.as<struct v4l2_exportbuffer>();
		if (const TraceCall::FdRef *fr = ref(c, "fd"))
			dmabufOf_[fr->handle] = {c.handle, !isOutputType(e.type), e.index, e.plane};
	}
	if (!checkFields(c, i, p))
		return false;
	// CAPTURE pictures (native): the CRC of each dequeued plane, when the replay maps it.
	if (!c.crcs.empty() && p.kind() == ArgKind::Buffer) {
		const auto &b = p.as<struct v4l2_buffer>();
		for (const TraceCall::PlaneCrc &crc : c.crcs) {
			const ReplayMapping *m = mappingOf({c.handle, true, b.index, crc.plane});
			if (!m || crc.length > m->length)
				continue;
			uint32_t got = crc32(m->addr, crc.length);
			r_.compared++;
			if (got != crc.crc) {
				char buf[96];
				snprintf(buf, sizeof(buf), "CAPTURE plane %u CRC: expected %#x, got %#x",
					 crc.plane, crc.crc, got);
				return diverge(c, i, buf);
			}
		}
	}
	return true;
}

bool Replayer::mmap(const TraceCall &c, size_t i)
{
	int fd = fdOf(c.handle);
	if (fd < 0)
		return diverge(c, i, "mmap of " + c.handle + ", which the replay does not have open");
	uint64_t off = c.offset;
	PlaneId plane;
	bool known = false;
	auto dma = dmabufOf_.find(c.handle);
	if (dma != dmabufOf_.end()) {
		plane = dma->second;
		known = true;
	} else if (c.planeKnown) {
		plane = {c.handle, c.planeCapture, c.planeIndex, c.planeNumber};
		off = cookieFromPlane(plane);
		known = true;
	} else {
		auto ck = cookies_.find({c.handle, c.offset});
		if (ck != cookies_.end())
			off = ck->second;
		plane = planeFromCookie(c.handle, off);
		known = true;
	}
	void *addr = nullptr;
	// The replay picks its own addresses: never MAP_FIXED at a trace's address.
	int flags = static_cast<int>(c.flags) & ~(MAP_FIXED | MAP_FIXED_NOREPLACE);
	int ret = io_.mmap(nullptr, c.length, c.prot, flags, fd, static_cast<off_t>(off), &addr);
	if (ret == 0 && c.error) {
		io_.munmap(addr, c.length);
		return checkResult(c, i, 0);
	}
	if (!checkResult(c, i, ret))
		return false;
	if (ret == 0)
		maps_[c.mapHandle] = {addr, c.length, c.handle, plane, known};
	return true;
}

bool Replayer::munmap(const TraceCall &c, size_t i)
{
	auto it = maps_.find(c.mapHandle);
	if (it == maps_.end())
		return diverge(c, i, "munmap of " + c.mapHandle + ", which the replay has not mapped");
	// Never unmap beyond the mapping: the range comes from the trace (untrusted input).
	if (c.mapDelta > it->second.length || c.length > it->second.length - c.mapDelta)
		return diverge(c, i, "munmap range outside " + c.mapHandle);
	int ret = io_.munmap(static_cast<char *>(it->second.addr) + c.mapDelta, c.length);
	if (ret == 0 && c.mapDelta == 0 && c.length >= it->second.length)
		maps_.erase(it);
	if (!checkResult(c, i, ret))
		return false;
	return true;
}

bool Replayer::poll(const TraceCall &c, size_t i)
{
	std::vector<struct pollfd> fds;
	for (const TraceCall::PollEntry &e : c.pollFds)
		fds.push_back({e.handle.empty() ? -1 : fdOf(e.handle), e.events, 0});
	// Buffers dequeued early (kept for the trace's DQBUF) made the trace's readiness: the
	// emulator has nothing more to say about them.
	bool fromBank = c.ret > 0 && !c.pollFds.empty();
	for (const TraceCall::PollEntry &e : c.pollFds) {
		short needs = e.revents & (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM);
		bool in = !(needs & (POLLIN | POLLRDNORM)) || banked(e.handle, false);
		bool out = !(needs & (POLLOUT | POLLWRNORM)) || banked(e.handle, true);
		fromBank &= needs && needs == (e.revents & ~POLLPRI) && in && out;
	}
	if (fromBank) {
		timing(c, i, "poll readiness answered by buffers dequeued before the board had them");
		return true;
	}
	// A poll that can block longer than the trace's own timeout would have is stuck.
	bool guard = c.timeoutMs < 0 || c.timeoutMs > static_cast<int>(o_.syncTimeoutMs);
	if (guard)
		watchdog_.arm(c.timeoutMs < 0 ? o_.syncTimeoutMs : c.timeoutMs + o_.syncTimeoutMs);
	int ret = io_.poll(fds.data(), fds.size(), c.timeoutMs);
	if (guard)
		watchdog_.disarm();
	if (watchdog_.fired())
		return diverge(c, i, "poll blocked longer than its trace timeout plus " +
					     std::to_string(o_.syncTimeoutMs) + " ms");
	auto lacking = [&] {
		for (size_t k = 0; k < fds.size(); k++)
			if (c.pollFds[k].revents & ~fds[k].revents)
				return true;
		return false;
	};
	if (ret >= 0 && c.ret > 0 && lacking() && !guard) {
		// The board was ready sooner than the emulator: wait as long as allowed.
		for (auto &p : fds)
			p.revents = 0;
		ret = io_.poll(fds.data(), fds.size(), static_cast<int>(o_.syncTimeoutMs));
	}
	if ((ret < 0) != (c.error != 0) || (ret < 0 && -ret != c.error))
		return checkResult(c, i, ret);
	for (size_t k = 0; k < fds.size(); k++)
		if (fds[k].revents != c.pollFds[k].revents) {
			char buf[128];
			snprintf(buf, sizeof(buf), "poll revents of %s: board %#x, emulator %#x",
				 c.pollFds[k].handle.c_str(), c.pollFds[k].revents & 0xffff,
				 fds[k].revents & 0xffff);
			timing(c, i, buf);
		}
	return true;
}

bool Replayer::replay(size_t i)
{
	const TraceCall &c = t_.calls[i];
	auto skip = [&](const std::string &why) {
		r_.skipped++;
		timing(c, i, "not replayed: " + why);
		// What this call would have created does not exist in the replay.
		for (const auto &f : c.fdRefs)
			if (f.output)
				dead_.insert(f.handle);
		return true;
	};
	if (!c.skipReason.empty())
		return skip(c.skipReason);
	if (c.interrupted)
		return skip("interrupted by a signal (the retry is the next call)");
	if (c.resultUnknown)
		return skip("the process died inside the call");
	if (!c.handle.empty() && dead_.count(c.handle))
		return skip(c.handle + " was never created in the replay");
	if (c.degraded)
		r_.degraded++;
	r_.replayed++;
	size_t before = r_.divergences.size();
	size_t skipped = r_.skipped;
	bool go = true;
	switch (c.kind) {
	case CallKind::Open: go = open(c, i); break;
	case CallKind::Close: go = close(c, i); break;
	case CallKind::Ioctl: go = ioctl(c, i); break;
	case CallKind::Mmap: go = mmap(c, i); break;
	case CallKind::Munmap: go = munmap(c, i); break;
	case CallKind::Poll: go = poll(c, i); break;
	}
	if (r_.divergences.size() == before && r_.skipped == skipped)
		r_.matched++;
	return go;
}

bool Replayer::applyFaults(size_t i, const std::string &plan)
{
	FaultPlan parsed;
	std::string error;
	if (FaultPlan::parse(plan, &parsed, &error))
		return diverge(t_.calls[i], i, "the trace's fault plan '" + plan + "': " + error);
	board_.setFaults(parsed);
	return true;
}

void Replayer::run()
{
	pathMap_ = buildPathMap(t_, board_, o_.pathMap);
	r_.calls = t_.calls.size();
	size_t nextFaults = 0;
	for (size_t i = 0; i < t_.calls.size() && !stop_; i++) {
		// Fault plans the recorded run installed before this call (Board::setFaults).
		for (; nextFaults < t_.faultChanges.size() &&
		       t_.faultChanges[nextFaults].beforeCall <= i;
		     nextFaults++)
			if (o_.traceFaults && !applyFaults(i, t_.faultChanges[nextFaults].plan))
				return;
		// A timing note is recorded with index 0 by issue(): fix it up here.
		size_t notes = r_.timingNotes.size();
		bool go = replay(i);
		for (size_t k = notes; k < r_.timingNotes.size(); k++)
			r_.timingNotes[k].callIndex = i;
		if (!go || watchdog_.fired())
			break;
	}
}

} // namespace

} // namespace v4l2emu::trace

namespace v4l2emu {

int replayTrace(const Trace &trace, const ReplayOptions &options, ReplayReport *report)
{
	*report = ReplayReport{};
	report->problems = trace.problems;
	std::string error;
	std::unique_ptr<Board> board = Board::create(options.board, options.boardOptions, &error);
	if (!board) {
		report->problems.push_back({0, error, ""});
		return -EINVAL;
	}
	if (options.record)
		board->setTraceSink(options.record);
	{
		trace::Replayer r(trace, options, *board, *report);
		r.run();
		// What the trace left open is cleaned up unrecorded: a recording of the replay
		// holds the trace's calls and nothing else.
		board->setTraceSink(nullptr);
	}
	if (options.record)
		options.record->flush();
	return report->divergences.empty() ? 0 : 1;
}

} // namespace v4l2emu
