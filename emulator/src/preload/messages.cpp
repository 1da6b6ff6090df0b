// SPDX-License-Identifier: MIT
// Lines on stderr: one per distinct unsupported call (rate limited, counted for the summary),
// errors, and the V4L2EMU_PRELOAD_LOG=2 trace. Fixed buffers only: these run inside
// interposers, possibly before main.
#include "preload.h"

#include <v4l2emu/ioctl_names.h>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace v4l2emu::preload {

namespace {

constexpr size_t kMaxRecords = 64;
constexpr size_t kWhatSize = 192;

struct Record {
	char what[kWhatSize];
	int error;
	uint64_t count;
};

std::mutex gRecordLock;
Record gRecords[kMaxRecords];
size_t gRecordCount = 0;
bool gOverflowReported = false;

void writeLine(const char *line, size_t length)
{
	auto fn = next<ssize_t (*)(int, const void *, size_t)>(Fn::Write);
	if (!fn)
		return;
	int saved = errno;
	(void)fn(STDERR_FILENO, line, length);
	errno = saved;
}

void emit(const char *prefix, const char *fmt, va_list args)
{
	char line[320];
	int n = snprintf(line, sizeof(line), "v4l2emu-preload: %s", prefix);
	if (n < 0)
		return;
	size_t used = std::min<size_t>(static_cast<size_t>(n), sizeof(line) - 2);
	int m = vsnprintf(line + used, sizeof(line) - used - 1, fmt, args);
	if (m > 0)
		used = std::min(used + static_cast<size_t>(m), sizeof(line) - 2);
	line[used++] = '\n';
	writeLine(line, used);
}

} // namespace

int logLevel()
{
	static std::atomic<int> level{-1};
	int l = level.load(std::memory_order_relaxed);
	if (l < 0) {
		const char *v = getenv("V4L2EMU_PRELOAD_LOG");
		l = v && *v ? atoi(v) : 1;
		level.store(l, std::memory_order_relaxed);
	}
	return l;
}

int unsupported(int error, const char *fmt, ...)
{
	char what[kWhatSize];
	va_list args;
	va_start(args, fmt);
	vsnprintf(what, sizeof(what), fmt, args);
	va_end(args);
	bool first = false, overflow = false;
	{
		std::lock_guard<std::mutex> lk(gRecordLock);
		Record *found = nullptr;
		for (size_t i = 0; i < gRecordCount; i++)
			if (gRecords[i].error == error && strcmp(gRecords[i].what, what) == 0)
				found = &gRecords[i];
		if (found) {
			found->count++;
		} else if (gRecordCount < kMaxRecords) {
			Record &r = gRecords[gRecordCount++];
			memcpy(r.what, what, sizeof(what));
			r.error = error;
			r.count = 1;
			first = true;
		} else if (!gOverflowReported) {
			gOverflowReported = true;
			overflow = true;
		}
	}
	if (logLevel() >= 1 && first) {
		const char *name = errnoName(error);
		char line[kWhatSize + 96];
		int n = error ? snprintf(line, sizeof(line), "v4l2emu-preload: %s: not emulated (%s)\n",
					 what, name ? name : "?")
			      : snprintf(line, sizeof(line),
					 "v4l2emu-preload: %s: not emulated (done on the fd only; "
					 "the emulator does not see it)\n", what);
		if (n > 0)
			writeLine(line, std::min<size_t>(static_cast<size_t>(n), sizeof(line) - 1));
	}
	if (logLevel() >= 1 && overflow) {
		static const char kLine[] =
			"v4l2emu-preload: further unsupported calls are not shown (see V4L2EMU_SUMMARY)\n";
		writeLine(kLine, sizeof(kLine) - 1);
	}
	return -error;
}

void trace(const char *fmt, ...)
{
	if (logLevel() < 2)
		return;
	va_list args;
	va_start(args, fmt);
	emit("trace: ", fmt, args);
	va_end(args);
}

void errorLine(const char *fmt, ...)
{
	if (logLevel() < 1)
		return;
	va_list args;
	va_start(args, fmt);
	emit("", fmt, args);
	va_end(args);
}

std::vector<UnsupportedRecord> unsupportedCalls()
{
	std::lock_guard<std::mutex> lk(gRecordLock);
	std::vector<UnsupportedRecord> out;
	for (size_t i = 0; i < gRecordCount; i++)
		out.push_back({gRecords[i].what, gRecords[i].error, gRecords[i].count});
	return out;
}

} // namespace v4l2emu::preload
