// SPDX-License-Identifier: MIT
#pragma once

// The strace importer's state (strace_import.cpp: lines, fds, syscalls;
// strace_import_ioctl.cpp: the per-ioctl argument rules and the passes over the whole trace).

#include "ioctl_args.h"
#include "strace_parse.h"

#include <v4l2emu/trace.h>

#include <linux/media.h>
#include <linux/videodev2.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace v4l2emu::trace {

bool isNodePath(const std::string &p);
bool isRequestOp(unsigned long r);
void set(TraceFields *f, const std::string &path, TraceValue v);
const TraceValue *get(const TraceFields &f, std::string_view path);
uint64_t getInt(const TraceFields &f, std::string_view path, uint64_t fallback = 0);

class Importer {
public:
	Importer(Trace *t, const TraceReadOptions &o) : t_(*t), o_(o) {}

	bool line(std::string_view raw, unsigned n);
	void finish();

private:
	struct FdEntry {
		std::string handle;
		std::string path;
		bool foreign = false;	///< not a device fd: its calls are not replayed
	};
	struct QueueState {
		uint32_t memory = V4L2_MEMORY_MMAP;
		uint32_t numPlanes = 1;
		uint32_t sizeimage[VIDEO_MAX_PLANES] = {};
		bool usedRequests = false;
	};
	struct TraceMapping {
		uint64_t length;
		std::string handle;
	};

	bool problem(unsigned line, const std::string &m, std::string_view text)
	{
		t_.problems.push_back({line, m, std::string(text)});
		return !o_.stopAtFirstProblem;
	}
	bool call(const SyscallLine &s, TraceCall c);
	std::string newHandle(const std::string &path, const char *kind = nullptr);
	/// The entry of a trace fd, creating one for an fd the trace never saw born.
	FdEntry *fd(int n, const std::string &yPath, unsigned long request, TraceCall *c);
	bool ioctl(const SyscallLine &s, TraceCall *c);
	void importArgument(const SyscallLine &s, TraceCall *c);
	void fillBuffer(TraceCall *c);
	QueueState &queue(const std::string &handle, uint32_t type) { return queues_[{handle, type}]; }
	bool isDevicePath(const std::string &p) const
	{
		return isNodePath(p) || std::find(o_.devicePaths.begin(), o_.devicePaths.end(), p) !=
						o_.devicePaths.end();
	}

	Trace &t_;
	const TraceReadOptions &o_;
	struct Unfinished {
		std::string text;
		unsigned line;
		size_t position;	///< where the call goes if it does not block
	};
	std::map<int, Unfinished> unfinished_;	///< by tid
	/// Where the next call goes: a split non-blocking call takes its entering position
	/// (§7.3 ordering); SIZE_MAX appends.
	size_t insertAt_ = SIZE_MAX;
	void add(TraceCall c)
	{
		if (insertAt_ >= t_.calls.size()) {
			t_.calls.push_back(std::move(c));
			return;
		}
		t_.calls.insert(t_.calls.begin() + static_cast<long>(insertAt_), std::move(c));
		for (auto *pending : {&pendingRequests_, &pendingExports_})
			for (size_t &i : *pending)
				if (i >= insertAt_)
					i++;
		for (auto &[tid, u] : unfinished_)
			if (u.position >= insertAt_)
				u.position++;
		insertAt_++;
	}
	std::map<int, FdEntry> fds_;
	std::map<std::string, unsigned> refs_;
	std::map<std::string, unsigned> counters_;
	std::vector<size_t> pendingRequests_, pendingExports_;	///< births not yet seen
	std::map<std::pair<std::string, uint32_t>, QueueState> queues_;
	std::map<uint64_t, TraceMapping> mappings_;
	std::string lineText_;
	unsigned lineNo_ = 0;
	double time_ = 0;
	int tid_ = 0;
};

} // namespace v4l2emu::trace
