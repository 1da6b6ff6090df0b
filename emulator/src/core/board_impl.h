// SPDX-License-Identifier: MIT
#pragma once

// The board's machinery behind Board: its devices, the table of fds it handed out, the
// registry of userspace mappings, diagnostics, and the emulated DeviceIo.

#include "media_device.h"

#include <v4l2emu/board.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace v4l2emu {

class File {
public:
	enum class Kind { Video, Media, Request, Dmabuf };
	File(Kind kind, UniqueFd fd) : kind_(kind), fd_(std::move(fd)) {}
	virtual ~File() = default;
	File(const File &) = delete;
	File &operator=(const File &) = delete;
	Kind kind() const { return kind_; }
	int fd() const { return fd_.get(); }
	/// close(2) frees the fd number at once, even while mappings keep the file alive.
	void closeFd() { fd_.reset(); }

private:
	Kind kind_;
	UniqueFd fd_;
};

/// An open of a video node: one m2m context. Mappings keep it (and its context) alive after
/// close (MM:mmap_region takes a file reference).
class VideoFile final : public File {
public:
	VideoFile(UniqueFd fd, MediaDevice &device, int flags);
	MediaDevice &device;
	std::unique_ptr<Context> context;
	int flags;
	uint32_t mappings = 0;	///< live userspace mappings (under device lock)
	bool closed = false;
};

class MediaFile final : public File {
public:
	MediaFile(UniqueFd fd, MediaDevice &device) : File(Kind::Media, std::move(fd)), device(device) {}
	MediaDevice &device;
};

class RequestFile final : public File {
public:
	RequestFile(UniqueFd fd, MediaDevice &device, Request *request)
		: File(Kind::Request, std::move(fd)), device(device), request(request)
	{
	}
	MediaDevice &device;
	Request *request;	///< holds one reference, dropped at close
};

/// An exported dma-buf (EXPBUF): a separate open of the plane's memfd, holding a reference.
class DmabufFile final : public File {
public:
	DmabufFile(UniqueFd fd, std::shared_ptr<PlaneMemory> mem)
		: File(Kind::Dmabuf, std::move(fd)), memory(std::move(mem))
	{
	}
	std::shared_ptr<PlaneMemory> memory;
};

class BoardImpl {
public:
	BoardImpl(std::string name, const BoardOptions &options);
	~BoardImpl();

	const std::string &name() const { return name_; }
	const BoardOptions &options() const { return options_; }
	DeviceIo &io() { return *io_; }

	/// Adds a decoder instance with the given driver profile.
	MediaDevice &addDevice(const std::string &name, const std::string &driver,
			       const DriverConfig &config);
	std::vector<std::unique_ptr<MediaDevice>> &devices() { return devices_; }
	MediaDevice *findDevice(std::string_view name);
	MediaDevice *deviceByPath(std::string_view path, bool *isVideo);

	// fd table
	void addFile(std::shared_ptr<File> file);
	std::shared_ptr<File> file(int fd) const;
	std::shared_ptr<File> takeFile(int fd);
	uint64_t openFds() const;

	// Userspace mappings
	struct Mapping {
		size_t length;
		size_t remaining;
		std::shared_ptr<PlaneMemory> memory;
		std::shared_ptr<VideoFile> file;	///< null for dma-buf mappings
	};
	void addMapping(void *addr, Mapping mapping);
	/// Removes [addr, addr+len) from the registry; returns true if it was ours. The
	/// mapping's references are dropped by the caller after the real munmap.
	bool takeMapping(void *addr, size_t length, Mapping *out, bool *last);
	uint64_t liveMappings() const;

	// Waking poll() across devices.
	void notifyAll();
	uint64_t eventSequence() const { return eventSeq_.load(std::memory_order_acquire); }
	/// Waits until the event sequence moves past seen, or until the deadline.
	void waitEvent(uint64_t seen, std::chrono::steady_clock::time_point deadline);

	void addDiagnostic(Diagnostic d);
	std::vector<Diagnostic> diagnostics() const;
	uint64_t diagnosticsDropped() const;
	void clearDiagnostics();

	void setFaults(const FaultPlan &plan);
	std::atomic<uint64_t> liveMemoryHint{0};

	/// The request behind fd, if it is a request of device (MCR:media_request_get_by_fd:
	/// -EINVAL for anything else).
	int requestFromFd(int fd, MediaDevice &device, Request **out) const;
	/// Gives a freshly allocated request its fd (the fd owns the request's first reference).
	int installRequest(MediaDevice &device, Request *request, int *fd);
	/// EXPBUF: a new fd on the plane memory (a separate open of its memfd).
	int exportDmabuf(const std::shared_ptr<PlaneMemory> &mem, uint32_t flags, int32_t *fd);
	/// Log of decoded frames (bounded ring, no allocation once full).
	void recordFrame(const std::string &device, uint64_t job, const Buffer &dst,
			 const struct v4l2_pix_format_mplane &fmt);
	std::vector<DecodedFrame> decodedFrames() const;

	/// Releases the context of a video file once it is closed and unmapped.
	void maybeRelease(VideoFile &file);

	/// The trace sink, or nullptr (one atomic load: tracing costs nothing when off).
	TraceSink *traceSink() const { return traceSink_.load(std::memory_order_acquire); }
	void setTraceSink(std::shared_ptr<TraceSink> sink);
	std::shared_ptr<TraceSink> sharedTraceSink() const;
	/// Installs the writers of options().trace (trace.h); failures go to stderr.
	void installTraceFromOptions();

private:
	std::string name_;
	BoardOptions options_;
	std::unique_ptr<DeviceIo> io_;
	std::vector<std::unique_ptr<MediaDevice>> devices_;

	// Indexed by fd number: fds are small integers, and a lookup happens on every call.
	mutable std::mutex fdLock_;
	std::vector<std::shared_ptr<File>> files_;
	uint64_t openFiles_ = 0;

	mutable std::mutex mapLock_;
	std::map<uintptr_t, Mapping> mappings_;

	std::mutex waitLock_;
	std::condition_variable waitCv_;
	std::atomic<uint64_t> eventSeq_{0};

	mutable std::mutex diagLock_;
	std::vector<Diagnostic> diagnostics_;	///< the first kDiagnosticLogSize of them
	uint64_t diagnosticsDropped_ = 0;	///< the ones after those

	mutable std::mutex frameLock_;
	std::vector<DecodedFrame> frames_;
	size_t frameNext_ = 0;
	uint64_t framesTotal_ = 0;

	// Sinks ever installed stay owned here, so a call racing setTraceSink never sees a
	// destroyed sink; they go with the board, when no call can run any more.
	std::atomic<TraceSink *> traceSink_{nullptr};
	mutable std::mutex sinkLock_;
	std::shared_ptr<TraceSink> currentSink_;
	std::vector<std::shared_ptr<TraceSink>> retiredSinks_;
};

/// The emulated seam of a board.
std::unique_ptr<DeviceIo> makeEmulatedDeviceIo(BoardImpl &board);

} // namespace v4l2emu
