// SPDX-License-Identifier: MIT
#pragma once

// Replay helpers: a watchdog for calls that could block forever, and the mapping of trace
// device paths to the emulated board's nodes.

#include <v4l2emu/trace.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace v4l2emu::trace {

/// While armed for longer than its limit, unplugs every device of the board so the blocked
/// call returns (the replay then stops: the board is gone).
class Watchdog {
public:
	explicit Watchdog(Board &board);
	~Watchdog();
	void arm(unsigned limitMs);
	void disarm();
	bool fired() const;

private:
	void loop();
	Board &board_;
	mutable std::mutex lock_;
	std::condition_variable cv_;
	bool armed_ = false, fired_ = false, quit_ = false;
	std::chrono::steady_clock::time_point deadline_;
	std::thread thread_;
};

/// Trace path -> board path: the explicit map first, then paths the board has, then by
/// driver (the trace's QUERYCAP / MEDIA_IOC_DEVICE_INFO answer on that fd).
std::map<std::string, std::string> buildPathMap(
	const Trace &trace, const Board &board,
	const std::vector<std::pair<std::string, std::string>> &explicitMap);

} // namespace v4l2emu::trace
