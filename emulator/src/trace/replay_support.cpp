// SPDX-License-Identifier: MIT
#include "replay_internal.h"

#include <linux/media.h>
#include <linux/videodev2.h>

#include <sstream>

namespace v4l2emu::trace {

Watchdog::Watchdog(Board &board) : board_(board)
{
	thread_ = std::thread([this] { loop(); });
}

Watchdog::~Watchdog()
{
	{
		std::lock_guard<std::mutex> lk(lock_);
		quit_ = true;
	}
	cv_.notify_all();
	thread_.join();
}

void Watchdog::arm(unsigned limitMs)
{
	std::lock_guard<std::mutex> lk(lock_);
	armed_ = true;
	deadline_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(limitMs);
	cv_.notify_all();
}

void Watchdog::disarm()
{
	std::lock_guard<std::mutex> lk(lock_);
	armed_ = false;
	cv_.notify_all();
}

bool Watchdog::fired() const
{
	std::lock_guard<std::mutex> lk(lock_);
	return fired_;
}

void Watchdog::loop()
{
	std::unique_lock<std::mutex> lk(lock_);
	while (!quit_) {
		if (!armed_) {
			cv_.wait(lk);
			continue;
		}
		if (cv_.wait_until(lk, deadline_) == std::cv_status::timeout && armed_ && !quit_) {
			fired_ = true;
			armed_ = false;
			lk.unlock();
			for (const NodeDescription &n : board_.nodes())
				board_.unplug(n.device);
			lk.lock();
		}
	}
}

namespace {

std::string stringField(const TraceCall &c, const char *path)
{
	for (const auto &[p, v] : c.out)
		if (p == path && v.kind == TraceValue::Kind::Bytes)
			return v.bytes;
	return {};
}

} // namespace

std::map<std::string, std::string> buildPathMap(
	const Trace &trace, const Board &board,
	const std::vector<std::pair<std::string, std::string>> &explicitMap)
{
	std::map<std::string, std::string> out(explicitMap.begin(), explicitMap.end());
	std::vector<NodeDescription> nodes = board.nodes();
	auto onBoard = [&](const std::string &p) {
		for (const NodeDescription &n : nodes)
			if (n.videoPath == p || n.mediaPath == p)
				return true;
		return false;
	};
	// Driver names the trace saw on each handle.
	std::map<std::string, std::string> driverOf;
	for (const TraceCall &c : trace.calls) {
		if (c.kind != CallKind::Ioctl || c.error || driverOf.count(c.handle))
			continue;
		if (c.request == VIDIOC_QUERYCAP || c.request == MEDIA_IOC_DEVICE_INFO) {
			std::string d = stringField(c, "driver");
			if (!d.empty())
				driverOf[c.handle] = d;
		}
	}
	for (const TraceCall &c : trace.calls) {
		if (c.kind != CallKind::Open || c.path.empty() || out.count(c.path) || onBoard(c.path))
			continue;
		auto d = driverOf.find(c.handle);
		if (d == driverOf.end())
			continue;
		bool video = c.path.find("video") != std::string::npos;
		for (const NodeDescription &n : nodes)
			if (n.device == d->second || n.driver == d->second) {
				out[c.path] = video ? n.videoPath : n.mediaPath;
				break;
			}
	}
	return out;
}

} // namespace v4l2emu::trace

namespace v4l2emu {

std::string ReplayReport::text(const Trace &trace, unsigned contextLines) const
{
	std::ostringstream o;
	auto show = [&](size_t index, const char *mark) {
		if (index >= trace.calls.size())
			return;
		const TraceCall &c = trace.calls[index];
		std::string t = c.text;
		if (t.size() > 400)
			t = t.substr(0, 397) + "...";
		o << mark << "line " << c.line << ": " << t << "\n";
	};
	for (const TraceProblem &p : problems)
		o << "bad input: line " << p.line << ": " << p.message << "\n" << (p.text.empty() ? "" : "    " + p.text.substr(0, 300) + "\n");
	for (size_t k = 0; k < divergences.size(); k++) {
		const ReplayDivergence &d = divergences[k];
		o << (k ? "\n" : "") << "DIVERGENCE at line " << d.line << " (call " << d.callIndex + 1
		  << " of " << calls << "): " << d.message << "\n";
		size_t from = d.callIndex > contextLines ? d.callIndex - contextLines : 0;
		for (size_t i = from; i < d.callIndex; i++)
			show(i, "    ");
		show(d.callIndex, "  > ");
		const TraceCall *c = d.callIndex < trace.calls.size() ? &trace.calls[d.callIndex] : nullptr;
		for (size_t n = 0; c && n < c->notes.size(); n++)
			o << "    note: " << c->notes[n] << "\n";
	}
	if (!timingNotes.empty()) {
		o << "notes (timing points, calls not replayed): " << timingNotes.size() << "\n";
		for (size_t k = 0; k < timingNotes.size() && k < 5; k++)
			o << "    line " << timingNotes[k].line << ": " << timingNotes[k].message << "\n";
	}
	o << "totals: " << calls << " calls, " << replayed << " replayed, " << matched << " matched, "
	  << divergences.size() << (divergences.size() == 1 ? " divergence, " : " divergences, ")
	  << timingNotes.size() << " timing notes, " << skipped << " skipped, " << degraded
	  << " degraded, " << compared << " fields compared, " << tolerated << " tolerated, "
	  << problems.size() << " bad lines, " << trace.linesSkipped << " lines not device calls"
	  << (stoppedEarly ? " (stopped at the first divergence)" : "") << "\n";
	return o.str();
}

} // namespace v4l2emu
