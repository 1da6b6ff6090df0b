// SPDX-License-Identifier: MIT
#pragma once

// A vb2 queue (VB2C/VB2V) of one direction of an m2m context, with the m2m ready list
// (M2M:v4l2_m2m_buf_queue). All methods run under the owning device's lock and return 0 or
// -errno; a failing call changes nothing.

#include "memory.h"

#include "codecs/codec.h"

#include <linux/videodev2.h>

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>

namespace v4l2emu {

class Context;
class Queue;
class Request;

enum class Direction { Output, Capture };

/// VB2C: enum vb2_buffer_state.
enum class BufferState { Dequeued, InRequest, Preparing, Queued, Active, Done, Error };

const char *toString(BufferState state);

struct Plane {
	std::shared_ptr<PlaneMemory> mem;
	uint32_t length = 0;		///< MMAP: allocated size; DMABUF: length given at QBUF
	uint32_t bytesused = 0;
	uint32_t dataOffset = 0;
	uint32_t memOffset = 0;		///< mmap cookie, without the CAPTURE base
	int32_t dmabufFd = 0;		///< the fd userspace passed, echoed back (0 until then)
};

struct Buffer {
	Queue *queue = nullptr;
	uint32_t index = 0;
	BufferState state = BufferState::Dequeued;
	uint32_t numPlanes = 0;
	std::array<Plane, VIDEO_MAX_PLANES> planes{};
	uint32_t flags = 0;		///< user flags kept from QBUF (VB2V:vb2_fill_vb2_v4l2_buffer)
	uint32_t field = V4L2_FIELD_NONE;
	struct v4l2_timecode timecode {};
	uint64_t timestampNs = 0;
	bool copiedTimestamp = false;	///< VB2C: copied_timestamp (set at device_run on CAPTURE)
	uint32_t sequence = 0;
	bool prepared = false;
	bool held = false;		///< M2M: is_held (HOLD_CAPTURE_BUF)
	bool inReadyList = false;	///< given to the driver (M2M rdy_queue)
	Request *request = nullptr;	///< bound request (IN_REQUEST, or QUEUED from a request)
	int32_t requestFd = -1;		///< the fd it was queued with, reported back
	bool reqObjBound = false;	///< VB2C: vb->req_obj.req != NULL (object in the request)
	uint64_t queuedSeq = 0;		///< when it joined vb2's queued_list (QBUF order)

	// What the last job wrote (CAPTURE): for reference identity checks and tests.
	bool holdsFrame = false;	///< a job completed DONE into it since the last cancel
	uint64_t signature = 0;
	FrameIdentity identity;
	uint64_t decodeJob = 0;
};

class Queue {
public:
	Queue(Context &ctx, Direction dir, uint32_t type, uint32_t maxBuffers);
	~Queue();
	Queue(const Queue &) = delete;
	Queue &operator=(const Queue &) = delete;

	Context &context() const { return ctx_; }
	Direction direction() const { return dir_; }
	uint32_t type() const { return type_; }
	bool isOutput() const { return dir_ == Direction::Output; }
	bool multiplanar() const { return V4L2_TYPE_IS_MULTIPLANAR(type_); }

	bool streaming() const { return streaming_; }
	/// VB2H:vb2_is_busy in 6.12: set by allocation, cleared only when buffers are freed by
	/// REQBUFS or at release.
	bool busy() const { return busy_; }
	bool error() const { return error_; }
	uint32_t memory() const { return memory_; }
	uint32_t numBuffers() const { return numBuffers_; }
	uint32_t maxBuffers() const { return maxBuffers_; }
	Buffer *buffer(uint32_t index) const;

	// Queue flags the driver sets (VB2H: requires_requests, supports_requests,
	// subsystem_flags & VB2_V4L2_FL_SUPPORTS_M2M_HOLD_CAPTURE_BUF).
	bool requiresRequests = false;
	bool supportsRequests = false;
	bool holdCaptureSupported = false;

	/// V4L2_BUF_CAP_* (VB2V:vb2_set_flags_and_caps).
	uint32_t capabilities() const;

	// ioctls (VB2V/VB2C). The ioctl layer checked the type's validity for the node.
	int reqbufs(struct v4l2_requestbuffers &rb);
	int createBufs(struct v4l2_create_buffers &cb);
	int querybuf(struct v4l2_buffer &b) const;
	int prepareBuf(struct v4l2_buffer &b);
	int qbuf(struct v4l2_buffer &b, Request *request, int requestFd);
	/// lk holds the device lock; a blocking wait releases it while sleeping.
	int dqbuf(struct v4l2_buffer &b, bool nonblocking, std::unique_lock<std::mutex> &lk);
	int expbuf(struct v4l2_exportbuffer &eb, std::shared_ptr<PlaneMemory> *mem) const;
	int streamon();
	int streamoff();
	int removeBufs(struct v4l2_remove_buffers &rb);
	/// mmap lookup by cookie (CAPTURE base already removed).
	int findMmap(uint32_t offset, size_t length, std::shared_ptr<PlaneMemory> *mem) const;

	/// VB2C:__vb2_queue_cancel (STREAMOFF, REQBUFS, close).
	void cancel();
	/// Frees every buffer (release at close). Mapped memory is orphaned, not freed.
	void release();

	// Used by the request and job code.
	/// VB2C:vb2_req_prepare for the request path (called at MEDIA_REQUEST_IOC_QUEUE).
	int prepareForRequest(Buffer &b);
	void unprepare(Buffer &b);
	/// VB2C:vb2_req_queue: IN_REQUEST -> QUEUED, to the driver if streaming.
	void queueFromRequest(Buffer &b);
	/// VB2C:vb2_req_unbind: IN_REQUEST -> DEQUEUED (REINIT, or request released).
	void unbindFromRequest(Buffer &b);
	/// VB2C:vb2_buffer_done.
	void bufferDone(Buffer &b, BufferState state);
	bool hasDone() const { return doneCount_ > 0; }
	/// Buffers in vb2's queued list (QUEUED/ACTIVE/DONE-not-dequeued excluded: M2M poll uses
	/// queued_list emptiness, which includes done-not-dequeued ones).
	uint32_t queuedCount() const { return queuedCount_; }
	bool lastBufferDequeued() const { return lastBufferDequeued_; }
	bool waitingInDqbuf() const { return waiters_ > 0; }

	// m2m ready list (M2M: rdy_queue), FIFO of buffer indices.
	Buffer *readyHead() const;
	Buffer *readyPop();
	Buffer *readyTail() const;
	uint32_t readyCount() const { return readyCount_; }

private:
	friend class Context;
	int fillUserFields(Buffer &b, const struct v4l2_buffer &ub);
	void fillV4l2Buffer(const Buffer &b, struct v4l2_buffer &ub) const;
	int allocateBuffers(uint32_t first, uint32_t count, uint32_t memory, uint32_t numPlanes,
			    const uint32_t *sizes, uint32_t *allocated);
	void freeAll();
	void freeBuffer(uint32_t index);
	int prepareMemory(Buffer &b);
	/// A refused QBUF/PREPARE_BUF keeps what vb2_fill_vb2_v4l2_buffer wrote.
	static void keepFilledFields(Buffer &buf, const Buffer &filled);
	void enqueueInDriver(Buffer &b);
	void readyRemove(Buffer &b);

	Context &ctx_;
	Direction dir_;
	uint32_t type_;
	uint32_t maxBuffers_;
	uint32_t memory_ = 0;		// 0: none chosen
	bool streaming_ = false;
	bool busy_ = false;
	bool error_ = false;
	bool usesRequests_ = false;
	bool usesQbuf_ = false;
	bool lastBufferDequeued_ = false;
	uint32_t numBuffers_ = 0;
	uint32_t queuedCount_ = 0;
	uint64_t nextQueuedSeq_ = 0;	// stamps Buffer::queuedSeq
	uint32_t doneCount_ = 0;
	int waiters_ = 0;
	std::array<std::unique_ptr<Buffer>, 64> buffers_{};
	// Done list and ready list as fixed rings of indices (no allocation per frame).
	std::array<uint8_t, 64> done_{};
	uint32_t doneHead_ = 0;
	std::array<uint8_t, 64> ready_{};
	uint32_t readyHead_ = 0;
	uint32_t readyCount_ = 0;
	bool doneRemove(Buffer &b);
};

} // namespace v4l2emu
