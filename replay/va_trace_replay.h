// SPDX-License-Identifier: MIT
#pragma once

// Replays the VA call sequence of a LIBVA_TRACE log through the VA driver (in-process, on an
// emulated board): configs, surfaces and contexts by their trace ids, each picture's buffers
// rebuilt from the log, every status compared. libva 2.17 logs some calls with their status
// only (vaCreateBuffer, vaDeriveImage, vaCreateImage, vaGetImage, vaMapBuffer, ...): those are
// approximated the way FFmpeg issues them and counted as such. Slice data libva does not print
// (VP8) comes from the run's clip (VaReplayOptions::clip), counted in fromClip.

#include "va_harness.h"
#include "va_trace_log.h"

#include <string>
#include <vector>

namespace v4l2va::test {

struct VaReplayOptions {
	DriverEnv env;			///< board and emulator options (fresnel by default)
	std::string v4l2Trace;		///< V4L2EMU_TRACE spec: record the V4L2 side of the replay
	bool keepGoing = false;
	/// The clip the run decoded: slice data the log does not hold (VP8) is taken from it.
	std::string clip;
};

struct VaReplayDivergence {
	std::string file;
	unsigned line = 0;
	std::string message;
};

struct VaReplayReport {
	size_t calls = 0, replayed = 0, matched = 0, approximated = 0, skipped = 0, pictures = 0,
	       fromClip = 0;
	std::vector<VaReplayDivergence> divergences;
	std::vector<std::string> notes;
	std::string text() const;
};

/// Returns true when every replayed status matched and the board reported no diagnostics.
bool replayVaTrace(const VaTraceLog &log, const VaReplayOptions &options, VaReplayReport *report);

} // namespace v4l2va::test
