// SPDX-License-Identifier: MIT
// vb2 queue state: streaming, cancel, the m2m ready list and done list, and the hooks the
// request and job code use (VB2C = videobuf2-core.c, M2M = v4l2-mem2mem.c).
#include "queue_internal.h"

#include "context.h"
#include "media_device.h"
#include "request.h"

#include "drivers/driver_profile.h"

#include <algorithm>

namespace v4l2emu {

using namespace vb2;

const char *toString(BufferState state)
{
	switch (state) {
	case BufferState::Dequeued: return "dequeued";
	case BufferState::InRequest: return "in request";
	case BufferState::Preparing: return "preparing";
	case BufferState::Queued: return "queued";
	case BufferState::Active: return "active";
	case BufferState::Done: return "done";
	case BufferState::Error: return "error";
	}
	return "?";
}

Queue::Queue(Context &ctx, Direction dir, uint32_t type, uint32_t maxBuffers)
	: ctx_(ctx), dir_(dir), type_(type), maxBuffers_(maxBuffers > 64 ? 64 : maxBuffers)
{
}

Queue::~Queue() = default;

Buffer *Queue::buffer(uint32_t index) const
{
	if (index >= maxBuffers_)
		return nullptr;
	return buffers_[index].get();
}

uint32_t Queue::capabilities() const
{
	// VB2V:vb2_set_flags_and_caps; REMOVE_BUFS added by IOC:v4l_reqbufs/v4l_create_bufs
	// when the driver has the op.
	uint32_t caps = V4L2_BUF_CAP_SUPPORTS_ORPHANED_BUFS | V4L2_BUF_CAP_SUPPORTS_MMAP |
			V4L2_BUF_CAP_SUPPORTS_DMABUF;
	if (holdCaptureSupported)
		caps |= V4L2_BUF_CAP_SUPPORTS_M2M_HOLD_CAPTURE_BUF;
	if (supportsRequests)
		caps |= V4L2_BUF_CAP_SUPPORTS_REQUESTS;
	if (ctx_.driver().supportsRemoveBufs())
		caps |= V4L2_BUF_CAP_SUPPORTS_REMOVE_BUFS;
	return caps;
}

void Queue::enqueueInDriver(Buffer &b)
{
	// VB2C:__enqueue_in_driver -> buf_queue -> M2M:v4l2_m2m_buf_queue.
	b.state = BufferState::Active;
	b.inReadyList = true;
	ready_[(readyHead_ + readyCount_) % ready_.size()] = static_cast<uint8_t>(b.index);
	readyCount_++;
}

Buffer *Queue::readyHead() const
{
	if (!readyCount_)
		return nullptr;
	return buffers_[ready_[readyHead_]].get();
}

Buffer *Queue::readyTail() const
{
	if (!readyCount_)
		return nullptr;
	return buffers_[ready_[(readyHead_ + readyCount_ - 1) % ready_.size()]].get();
}

Buffer *Queue::readyPop()
{
	if (!readyCount_)
		return nullptr;
	Buffer *b = buffers_[ready_[readyHead_]].get();
	readyHead_ = (readyHead_ + 1) % ready_.size();
	readyCount_--;
	b->inReadyList = false;
	return b;
}

void Queue::readyRemove(Buffer &b)
{
	uint32_t n = readyCount_;
	uint32_t w = 0;
	std::array<uint8_t, 64> kept{};
	for (uint32_t i = 0; i < n; i++) {
		uint8_t idx = ready_[(readyHead_ + i) % ready_.size()];
		if (idx != b.index)
			kept[w++] = idx;
	}
	for (uint32_t i = 0; i < w; i++)
		ready_[i] = kept[i];
	readyHead_ = 0;
	readyCount_ = w;
	b.inReadyList = false;
}

bool Queue::doneRemove(Buffer &b)
{
	if (b.state != BufferState::Done && b.state != BufferState::Error)
		return false;
	uint32_t n = doneCount_;
	uint32_t w = 0;
	bool found = false;
	std::array<uint8_t, 64> kept{};
	for (uint32_t i = 0; i < n; i++) {
		uint8_t idx = done_[(doneHead_ + i) % done_.size()];
		if (idx != b.index)
			kept[w++] = idx;
		else
			found = true;
	}
	for (uint32_t i = 0; i < w; i++)
		done_[i] = kept[i];
	doneHead_ = 0;
	doneCount_ = w;
	return found;
}

/**
 * \brief VIDIOC_STREAMON (VB2C:vb2_core_streamon, vb2_start_streaming)
 */
int Queue::streamon()
{
	if (streaming_)
		return 0;
	if (numBuffers_ == 0)
		return -EINVAL;
	// min_queued_buffers is 0 for all four drivers: start_streaming runs at once, after
	// every queued buffer went to the driver. VB2C:vb2_start_streaming walks q->queued_list,
	// i.e. QBUF (or request queue) order, not index order.
	std::array<Buffer *, 64> queued{};
	uint32_t given = 0;
	for (uint32_t i = 0; i < maxBuffers_; i++) {
		Buffer *b = buffers_[i].get();
		if (b && b->state == BufferState::Queued)
			queued[given++] = b;
	}
	std::sort(queued.begin(), queued.begin() + given,
		  [](const Buffer *a, const Buffer *b) { return a->queuedSeq < b->queuedSeq; });
	for (uint32_t i = 0; i < given; i++)
		enqueueInDriver(*queued[i]);
	int ret = ctx_.driver().startStreaming(ctx_, dir_);
	if (ret) {
		// The drivers return their buffers as QUEUED on failure.
		while (Buffer *b = readyPop())
			b->state = BufferState::Queued;
		return ret;
	}
	streaming_ = true;
	if (ctx_.driver().setsSequence()) {
		if (isOutput())
			ctx_.sequenceOut = 0;
		else
			ctx_.sequenceCap = 0;
	}
	return 0;
}

/**
 * \brief VIDIOC_STREAMOFF (VB2C:vb2_core_streamoff). Always succeeds for the right type.
 */
int Queue::streamoff()
{
	cancel();
	lastBufferDequeued_ = false;
	return 0;
}

/**
 * \brief VB2C:__vb2_queue_cancel with the drivers' stop_streaming
 *
 * stop_streaming returns driver-owned buffers as ERROR and completes their request controls
 * (RK:rkvdec_queue_cleanup and the other drivers' equivalents); then every buffer returns to
 * DEQUEUED, queued requests complete and IN_REQUEST buffers are unbound.
 */
void Queue::cancel()
{
	MediaDevice &dev = ctx_.device();
	if (streaming_) {
		while (Buffer *b = readyPop()) {
			if (b->request)
				b->request->completeHandler(ctx_.controls());
			bufferDone(*b, BufferState::Error);
		}
	}
	for (uint32_t i = 0; i < maxBuffers_; i++) {
		Buffer *b = buffers_[i].get();
		if (!b)
			continue;
		Request *req = b->request;
		// buf_request_complete for buffers whose request is QUEUED (VB2C:__vb2_queue_cancel;
		// HV:hantro_buf_request_complete and the others call v4l2_ctrl_request_complete,
		// which binds an object for this context's handler if the request has none).
		if (b->reqObjBound && req->state() == RequestState::Queued)
			req->completeHandler(ctx_.controls());
		b->prepared = false;
		b->state = BufferState::Dequeued;
		b->held = false;
		b->inReadyList = false;
		b->requestFd = -1;
		if (b->reqObjBound)
			req->unbindBuffer(*b);
		if (req) {
			b->request = nullptr;
			req->put();
		}
		b->copiedTimestamp = false;
	}
	streaming_ = false;
	queuedCount_ = 0;
	error_ = false;
	usesRequests_ = false;
	usesQbuf_ = false;
	doneCount_ = 0;
	doneHead_ = 0;
	readyCount_ = 0;
	readyHead_ = 0;
	dev.notify();
}

void Queue::release()
{
	cancel();
	freeAll();
	busy_ = false;
	memory_ = 0;
}

int Queue::prepareForRequest(Buffer &b)
{
	if (b.prepared)
		return 0;
	return prepareMemory(b);
}

void Queue::queueFromRequest(Buffer &b)
{
	// VB2C:vb2_req_queue -> vb2_core_qbuf with the IN_REQUEST buffer.
	b.state = BufferState::Queued;
	b.queuedSeq = nextQueuedSeq_++;
	queuedCount_++;
	if (streaming_)
		enqueueInDriver(b);
}

void Queue::unbindFromRequest(Buffer &b)
{
	// VB2C:vb2_req_unbind / vb2_req_release.
	if (b.state != BufferState::InRequest)
		return;
	b.state = BufferState::Dequeued;
	b.prepared = false;
	b.requestFd = -1;
	if (b.request) {
		Request *req = b.request;
		b.request = nullptr;
		req->put();
	}
}

/**
 * \brief VB2C:vb2_buffer_done: onto the done list; an OUTPUT buffer's request object
 * completes (which may complete the request)
 */
void Queue::bufferDone(Buffer &b, BufferState state)
{
	b.state = state;
	b.inReadyList = false;
	done_[(doneHead_ + doneCount_) % done_.size()] = static_cast<uint8_t>(b.index);
	doneCount_++;
	if (b.reqObjBound)
		b.request->unbindBuffer(b);
	ctx_.device().notify();
}

} // namespace v4l2emu
