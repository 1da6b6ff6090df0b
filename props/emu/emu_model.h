// SPDX-License-Identifier: MIT
#pragma once

// An independent model of what the kernel does for two opens of one stateless decoder node
// (hantro on RK3399, the fresnel board's /dev/video1, deterministic scheduling): the vb2 queue,
// buffer and request state machines and their counts, no memory contents. Written from the
// kernel (Linux 6.12: VB2C videobuf2-core.c, VB2V videobuf2-v4l2.c, M2M v4l2-mem2mem.c,
// MCR mc-request.c, CREQ v4l2-ctrls-request.c, HV/HD hantro_v4l2.c/hantro_drv.c), not from the
// emulator. Every operation returns what the kernel returns (0 / count / -errno) and the
// values it hands back; the commands compare those with the emulator's.

#include <linux/videodev2.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

namespace props::emu {

constexpr int kSlots = 2; // opens of the node
constexpr int kRequestSlots = 3; // request fds
constexpr uint32_t kMaxOutput = 32; // HD:queue_init: vb2 default
constexpr uint32_t kMaxCapture = 64; // HD:queue_init: MAX_POSTPROC_BUFFERS
constexpr uint32_t kCaptureOffsetBase = 1u << 30; // M2M: DST_QUEUE_OFF_BASE
constexpr uint32_t kPage = 4096;

enum class Dir : uint8_t { Out = 0, Cap = 1 };

/// VB2C enum vb2_buffer_state, with QUEUED and ACTIVE merged (inDriver tells them apart).
enum class BufState : uint8_t { Dequeued, InRequest, Queued, Done, Error };
/// MRH enum media_request_state as userspace can observe it (VALIDATING, CLEANING and
/// UPDATING never outlive one ioctl here).
enum class ReqState : uint8_t { Idle, Queued, Complete };

struct Format {
	uint32_t fourcc = 0, width = 0, height = 0, sizeimage = 0;
};

struct BufferModel {
	BufState state = BufState::Dequeued;
	uint32_t length = 0;
	uint64_t memory = 0; ///< memory object id (fresh per allocation)
	int reqObj = -1; ///< vb->req_obj.req: the request this buffer is an object of
	int reqRef = -1; ///< vb->request: held from request QBUF until DQBUF/cancel
	int requestFd = -1; ///< vbuf->request_fd, as the request id whose fd it was
	bool prepared = false, synced = false;
	bool inDriver = false; ///< ACTIVE: on the m2m ready list
};

struct QueueModel {
	std::vector<BufferModel> bufs;
	bool streaming = false;
	bool busy = false; ///< VB2H:vb2_is_busy (is_busy)
	std::deque<uint32_t> queued; ///< vb2 queued_list order
	std::deque<uint32_t> ready; ///< M2M rdy_queue
	std::deque<uint32_t> done; ///< vb2 done_list
};

struct ContextModel {
	bool fdOpen = true;
	bool alive = true;
	uint32_t fileRefs = 0; ///< live mappings (each holds the file: MM:mmap_region get_file)
	Format out, cap;
	std::array<QueueModel, 2> q;
	QueueModel &queue(Dir d) { return q[static_cast<int>(d)]; }
	const QueueModel &queue(Dir d) const { return q[static_cast<int>(d)]; }
};

struct RequestObject {
	bool isBuffer = false;
	int ctx = -1; ///< controls: the handler's context; buffer: the buffer's context
	uint32_t index = 0; ///< buffer index on the OUTPUT queue
	bool completed = false;
};

struct RequestModel {
	bool fdOpen = true;
	ReqState state = ReqState::Idle;
	uint32_t incomplete = 0; ///< num_incomplete_objects, with the kernel's arithmetic
	std::vector<RequestObject> objects; ///< controls at the head, buffers at the tail
};

struct Mapping {
	int ctx = -1;
	uint64_t memory = 0;
};

/// What a command observes, beyond the return value.
struct Observed {
	int ret = 0;
	uint32_t count = 0; ///< REQBUFS/CREATE_BUFS count, DQBUF index
	uint32_t index = 0; ///< CREATE_BUFS index
	uint32_t flags = 0; ///< QUERYBUF/QBUF/DQBUF flags (modelled bits only)
	int requestId = -1; ///< the request whose fd QUERYBUF/QBUF/DQBUF reports
	uint32_t length = 0; ///< QUERYBUF plane length
	uint32_t caps = 0; ///< REQBUFS/CREATE_BUFS capabilities
	short revents = 0; ///< poll
};

/// The buffer flags the model predicts (QUERYBUF/QBUF/DQBUF replies are compared on these).
constexpr uint32_t kModelledFlags = V4L2_BUF_FLAG_QUEUED | V4L2_BUF_FLAG_DONE |
				    V4L2_BUF_FLAG_ERROR | V4L2_BUF_FLAG_PREPARED |
				    V4L2_BUF_FLAG_IN_REQUEST | V4L2_BUF_FLAG_REQUEST_FD |
				    V4L2_BUF_FLAG_MAPPED | V4L2_BUF_FLAG_TIMESTAMP_MASK;

/// Kernel behaviours the emulator is known to get wrong (emu_divergences.h). The model sets
/// the bit when an operation takes that path; the sequence runner then stops comparing.
/// None at present: streamon-order, refused-qbuf-clears-request-fd,
/// unbind-completed-object-completes-request and unprepare-keeps-prepared were fixed in the
/// emulator and their corpus/props/emu-model files replay as plain regressions.
enum Quirk : uint32_t {
	kQuirkNone = 0,
};

/// The formats S_FMT is tried with (hantro on RK3399 decodes MPEG-2 and VP8).
struct FormatChoice {
	uint32_t fourcc, width, height;
};

struct EmuModel {
	std::array<int, kSlots> slots { -1, -1 }; ///< context id per open
	std::array<int, kRequestSlots> reqSlots { -1, -1, -1 }; ///< request id per fd slot
	std::vector<ContextModel> ctxs;
	std::vector<RequestModel> reqs;
	std::vector<Mapping> maps; ///< live mappings, in creation order
	uint64_t nextMemory = 1;
	uint64_t jobs = 0; ///< decode jobs run so far (for coverage)
	uint32_t quirks = 0; ///< Quirk bits taken so far

	// The node.
	Observed open(int slot);
	Observed close(int slot);
	Observed sFmt(int slot, Dir dir, const FormatChoice &f);
	Observed reqbufs(int slot, Dir dir, uint32_t count, bool userptr);
	Observed createBufs(int slot, Dir dir, uint32_t count, uint32_t sizeimage);
	Observed querybuf(int slot, Dir dir, uint32_t index) const;
	/// reqSlot: -1 plain QBUF, 0..2 a request slot, kBadFd (-1 as request_fd), kMediaFd.
	Observed qbuf(int slot, Dir dir, uint32_t index, int reqSlot);
	Observed dqbuf(int slot, Dir dir);
	Observed streamon(int slot, Dir dir);
	Observed streamoff(int slot, Dir dir);
	/// S_EXT_CTRLS of MPEG-2 controls; valid=false makes the picture control invalid.
	Observed setControls(int slot, int reqSlot, bool valid);
	Observed mmap(int slot, Dir dir, uint32_t index, int prot, bool oversize);
	Observed munmap(size_t mapping);

	// Requests.
	Observed requestAlloc(int reqSlot);
	Observed requestQueue(int reqSlot);
	Observed requestReinit(int reqSlot);
	Observed requestClose(int reqSlot);
	Observed requestPoll(int reqSlot, bool pri) const;

	static constexpr int kBadFd = 10;
	static constexpr int kMediaFd = 11;

	// Counts the emulator's Board::stats() reports.
	uint64_t liveContexts() const;
	uint64_t liveBuffers() const;
	uint64_t liveRequests() const;
	uint64_t liveMemory() const;
	uint64_t openFds() const; ///< media fd + node fds + request fds

	const ContextModel *context(int slot) const
	{
		return slots[slot] < 0 ? nullptr : &ctxs[slots[slot]];
	}

private:
	Format outputFormat(const FormatChoice &f) const;
	Format captureFormatFor(const Format &out) const;
	uint32_t bufferFlags(const ContextModel &c, Dir dir, uint32_t index) const;
	bool memoryMapped(uint64_t memory) const;
	uint32_t capabilities(Dir dir) const;

	void cancel(int ctx, Dir dir);
	void freeBuffers(int ctx, Dir dir);
	void release(int ctx);
	void enqueueInDriver(int ctx, Dir dir, uint32_t index);
	void runJobs();
	bool jobReady(const ContextModel &c) const;
	void bufferDone(int ctx, Dir dir, uint32_t index, BufState state);

	// The request object bookkeeping of MCR, counter arithmetic included.
	int findControls(int req, int ctx) const;
	void bindObject(int req, RequestObject obj);
	void unbindObject(int req, size_t pos);
	void unbindBuffer(int req, int ctx, uint32_t index);
	void completeObject(int req, size_t pos);
	/// CREQ:v4l2_ctrl_request_complete: completes (creating if absent) ctx's control object.
	void completeControls(int req, int ctx);
	void markComplete(int req);
	void clean(int req);
	int requestIdOf(int reqSlot) const
	{
		return reqSlot >= 0 && reqSlot < kRequestSlots ? reqSlots[reqSlot] : -1;
	}
};

} // namespace props::emu
