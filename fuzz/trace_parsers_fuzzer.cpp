// SPDX-License-Identifier: MIT
// Fuzz target: the trace readers of emulator/src/trace/ (library v4l2emu_trace): strace -f
// text (parseStrace) and the native JSONL format (readNativeTrace), and now and then a replay
// of what they read on a fresh emulated board (replayTrace), which consumes every field the
// readers fill in.
//
// Bit 3 instead selects a LIBVA_TRACE thread file (libva 2.17's va_trace.c text, the reader and
// buffer rebuilders of replay/va_trace_*.cpp): every buffer of every vaRenderPicture is rebuilt.
//
// Input: u8 flags (bit 0: native instead of strace; bit 1: replay the trace when it read
// without problems and has at most 32 calls; bit 2: stop at the first problem; bit 3:
// LIBVA_TRACE), then the trace text.
// Invariants: no crash; a reader returns 0 or -EINVAL (never leaves problems unreported when
// it fails); every call it returns has a known kind; a replay returns 0, 1 or -EINVAL. For
// LIBVA_TRACE: every problem names a line the text has; a buffer is rebuilt to exactly its
// size times its elements, or refused with a reason and a line.
#include "va_trace_buffers.h"

#include <v4l2emu/trace.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>

namespace {

[[noreturn]] void invariantBroken(const char *what)
{
	fprintf(stderr, "trace_parsers: invariant broken: %s\n", what);
	abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t flags = data[0];
	std::istringstream text(std::string(reinterpret_cast<const char *>(data) + 1, size - 1));
	if (flags & 8) {
		v4l2va::test::VaTraceLog log;
		v4l2va::test::readVaTraceText(text, "fuzz", &log);
		unsigned lines = 1;
		for (size_t i = 1; i < size; i++)
			lines += data[i] == '\n';
		for (const auto &p : log.problems)
			if (p.line > lines || p.message.empty())
				invariantBroken("a LIBVA_TRACE problem names no line of the text");
		for (const auto &c : log.calls)
			for (v4l2va::test::VaTraceBuffer b : c.buffers) {
				bool ok = v4l2va::test::rebuildBuffer(&b, [](VASurfaceID s) { return s ^ 1u; });
				if (ok && b.data.size() != static_cast<size_t>(b.size) * b.numElements)
					invariantBroken("a rebuilt buffer is not its size times its elements");
				if (!ok && (b.problem.empty() || !b.data.empty()))
					invariantBroken("a refused buffer has no reason or keeps data");
				if (!ok && b.problemLine > lines)
					invariantBroken("a refused buffer names a line the text does not have");
			}
		return 0;
	}
	v4l2emu::TraceReadOptions options;
	options.stopAtFirstProblem = flags & 4;
	v4l2emu::Trace trace;
	int ret;
	if (flags & 1)
		// Blob references resolve against a directory that does not exist: a fuzzed trace
		// must not read files.
		ret = v4l2emu::readNativeTrace(text, "/nonexistent/v4l2va-fuzz/trace.jsonl", options, &trace);
	else
		ret = v4l2emu::parseStrace(text, options, &trace);
	if (ret != 0 && ret != -EINVAL)
		invariantBroken("a reader returned something other than 0 or -EINVAL");
	if (ret == -EINVAL && trace.problems.empty())
		invariantBroken("a reader failed without reporting a problem");
	for (const auto &c : trace.calls)
		if (static_cast<unsigned>(c.kind) > static_cast<unsigned>(v4l2emu::CallKind::Poll))
			invariantBroken("a call of no known kind");

	if ((flags & 2) && ret == 0 && !trace.calls.empty() && trace.calls.size() <= 32) {
		v4l2emu::ReplayOptions ro;
		ro.board = trace.board == "visl" || trace.board == "cedrus" ? trace.board : "fresnel";
		ro.boardOptions.watchdogMs = 0;
		ro.syncTimeoutMs = 1;	// waits the trace saw must not stall the fuzzer
		v4l2emu::ReplayReport report;
		int r = v4l2emu::replayTrace(trace, ro, &report);
		if (r != 0 && r != 1 && r != -EINVAL)
			invariantBroken("replayTrace returned something other than 0, 1 or -EINVAL");
		if (report.replayed > report.calls)
			invariantBroken("more calls replayed than the trace has");
	}
	return 0;
}
