// SPDX-License-Identifier: MIT
#pragma once

// What both trace writers share: the argument captured before and after each call, the fds
// the run has open (handle names, paths, what an exported dma-buf is), the buffers it has
// mapped (to read OUTPUT bitstream at QBUF and CAPTURE pictures at DQBUF), and the output
// file. Subclasses turn one finished call into text.

#include "ioctl_args.h"

#include <v4l2emu/trace.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace v4l2emu::trace {

/// A buffer plane: (video handle, queue, index, plane).
struct PlaneId {
	std::string video;
	bool capture = false;
	uint32_t index = 0, plane = 0;
	bool operator==(const PlaneId &o) const = default;
};

/// The plane an mmap cookie names (VB2C: index << (PAGE_SHIFT + 3) | plane << PAGE_SHIFT,
/// plus DST_QUEUE_OFF_BASE for m2m CAPTURE).
PlaneId planeFromCookie(const std::string &video, uint64_t offset);
uint64_t cookieFromPlane(const PlaneId &id);

struct OpenFile {
	std::string handle;
	std::string path;	///< open path, "anon_inode:request", "anon_inode:dmabuf"
	enum class Kind { Video, Media, Request, Dmabuf, Other } kind = Kind::Other;
	PlaneId dmabufOf;	///< Dmabuf: the exported plane
};

struct Mapping {
	uintptr_t addr = 0;
	size_t length = 0;
	std::string handle;
	PlaneId plane;
	bool known = false;	///< plane identifies a buffer
};

/// A call's argument before and after, and OUTPUT bytes read at QBUF.
struct PendingCall {
	IoctlPayload before;
	bool beforeValid = false;
	struct PlaneData {
		uint32_t plane;
		std::string bytes;
	};
	std::vector<PlaneData> data;
};

class WriterBase : public TraceSink {
public:
	WriterBase(const TraceWriterOptions &options, FILE *file);
	~WriterBase() override;

	uintptr_t beforeCall(const CallRecord &call) override;
	void onCall(const CallRecord &call) override;
	void onFaults(const std::string &plan) override;
	void flush() override;

protected:
	/// Formats the finished call (under the writer lock); `after` is the argument after
	/// the call (ioctl only).
	virtual void emit(const CallRecord &call, PendingCall *pending, const IoctlPayload *after) = 0;
	/// Formats a fault plan change (under the writer lock); nothing by default (strace text
	/// has no line for it).
	virtual void emitFaults(const std::string &plan) { (void)plan; }
	void writeLine(const std::string &line);

	const OpenFile *file(int fd) const;
	std::string handleOf(int fd) const;
	/// Binds a new fd to a fresh handle ("vid0", "req3", ...).
	const OpenFile &bind(int fd, OpenFile::Kind kind, std::string path, PlaneId dmabufOf = {});
	const Mapping *mappingAt(uintptr_t addr) const;
	/// The mapping of a plane (through the video fd or an exported dma-buf), or nullptr.
	const Mapping *mappingOf(const PlaneId &plane) const;
	double elapsed() const;

	TraceWriterOptions options_;
	uint64_t seq_ = 0;

private:
	void trackBirths(const CallRecord &call, const IoctlPayload *after);
	void trackDeaths(const CallRecord &call);

	std::mutex lock_;
	FILE *file_;
	std::unordered_map<int, OpenFile> files_;
	std::map<uintptr_t, Mapping> mappings_;
	std::map<std::string, unsigned> counters_;
	std::chrono::steady_clock::time_point start_;
};

} // namespace v4l2emu::trace
