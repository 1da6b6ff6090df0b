// SPDX-License-Identifier: MIT
#pragma once

// Emulated boards shared by the inputs of a fuzz target, and the bookkeeping that returns a
// board to its fresh state after each input. Creating a board costs more than most inputs do
// (its tables, the frame log), so a target keeps one per configuration and, after an input,
// closes every fd and unmaps every mapping the input made, drops the fault plan and the
// diagnostics, and checks that nothing is left (no context, request, buffer, fd or mapping).
// That check is what makes a reused board equivalent to a fresh one: the next input starts
// from the same state, so a crash reproduces from its single input.
//
// V4L2VA_FUZZ_FRESH_BOARD=1 in the environment creates a new board for every input instead
// (to rule the reuse out when a finding does not reproduce).

#include <v4l2emu/board.h>

#include <malloc.h>
#include <sys/mman.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace v4l2va::fuzz {

[[noreturn]] inline void invariantBroken(const char *target, const char *what)
{
	fprintf(stderr, "%s: invariant broken: %s\n", target, what);
	abort();
}

/// The fds and mappings one input created on a board, released at the end of the input.
struct EmuResources {
	struct Video {
		int fd;
		bool mplane;
	};
	struct Mapping {
		void *addr;
		size_t len;
	};
	std::vector<Video> videos;
	std::vector<int> medias, requests, dmabufs;
	std::vector<Mapping> maps;
	bool faultsSet = false;

	EmuResources()
	{
		videos.reserve(8);
		medias.reserve(4);
		requests.reserve(16);
		dmabufs.reserve(16);
		maps.reserve(64);
	}

	void releaseAll(v4l2emu::DeviceIo &io)
	{
		for (auto &m : maps)
			io.munmap(m.addr, m.len);
		for (auto &v : videos)
			io.close(v.fd);
		for (int fd : medias)
			io.close(fd);
		for (int fd : requests)
			io.close(fd);
		for (int fd : dmabufs)
			io.close(fd);
		maps.clear();
		videos.clear();
		medias.clear();
		requests.clear();
		dmabufs.clear();
	}
};

/// True when nothing the board handed out is alive any more.
inline bool boardIsClean(const v4l2emu::Board &board)
{
	v4l2emu::BoardStats st = board.stats();
	if (st.openFds || st.liveMappings)
		return false;
	for (const auto &d : st.devices)
		if (d.openContexts || d.liveRequests || d.liveBuffers)
			return false;
	return true;
}

/// Boards by configuration, created on first use and reused while they come back clean.
class BoardPool {
public:
	explicit BoardPool(const char *target) : target_(target)
	{
		// Opening a decoder allocates its control storage (hundreds of kB with HEVC slice
		// arrays); glibc would give it back to the kernel after each input and fault it in
		// again on the next. Keep it (no effect under ASan, whose allocator is its own).
		mallopt(M_MMAP_THRESHOLD, 64 << 20);
		mallopt(M_TRIM_THRESHOLD, 256 << 20);
		const char *fresh = getenv("V4L2VA_FUZZ_FRESH_BOARD");
		fresh_ = fresh && *fresh && *fresh != '0';
	}

	/// The board for (name, kernel), with the options every fuzz target uses.
	v4l2emu::Board &get(const char *name, v4l2emu::KernelVersion kernel)
	{
		auto key = std::make_pair(std::string(name), kernel);
		auto it = boards_.find(key);
		if (it != boards_.end())
			return *it->second;
		v4l2emu::BoardOptions options;
		options.kernel = kernel;
		options.scheduler = v4l2emu::SchedulerMode::Deterministic;
		// A fuzzed hang completes at the next wait point (DQBUF, poll, close) instead of
		// after a real 2 s: between the decode and that point the job is still hung, so the
		// states stay reachable, and no input sleeps.
		options.watchdogMs = 0;
		std::string error;
		auto board = v4l2emu::Board::create(name, options, &error);
		if (!board)
			invariantBroken(target_, error.c_str());
		return *boards_.emplace(key, std::move(board)).first->second;
	}

	/// Releases what the input made on `board`, resets faults and diagnostics, and checks
	/// that the board is as fresh as a new one.
	void finish(v4l2emu::Board &board, EmuResources &res)
	{
		res.releaseAll(board.io());
		if (res.faultsSet)
			board.setFaults({});
		res.faultsSet = false;
		board.clearDiagnostics();
		if (!boardIsClean(board))
			invariantBroken(target_, "fds, mappings, contexts, requests or buffers left after "
						 "closing everything");
		if (fresh_)
			boards_.clear();
	}

private:
	const char *target_;
	bool fresh_ = false;
	std::map<std::pair<std::string, v4l2emu::KernelVersion>, std::unique_ptr<v4l2emu::Board>> boards_;
};

} // namespace v4l2va::fuzz
