// SPDX-License-Identifier: MIT
// vb2 buffer exchange: QUERYBUF, PREPARE_BUF, QBUF, DQBUF and the v4l2_buffer conversions
// (VB2V = videobuf2-v4l2.c, VB2C = videobuf2-core.c, M2M = v4l2-mem2mem.c).
#include "queue_internal.h"

#include "context.h"
#include "media_device.h"
#include "request.h"

#include "drivers/driver_profile.h"

#include <cstring>

namespace v4l2emu {

using namespace vb2;

namespace {

// VB2V:__verify_planes_array.
int verifyPlanesArray(const Buffer &buf, const struct v4l2_buffer &b)
{
	if (!V4L2_TYPE_IS_MULTIPLANAR(b.type))
		return 0;
	if (!b.m.planes)
		return -EINVAL;
	if (b.length < buf.numPlanes || b.length > VIDEO_MAX_PLANES)
		return -EINVAL;
	return 0;
}

} // namespace

void Queue::fillV4l2Buffer(const Buffer &b, struct v4l2_buffer &ub) const
{
	// VB2V:__fill_v4l2_buffer (+ M2M:v4l2_m2m_adjust_mem_offset for CAPTURE).
	uint32_t offsetBase = isOutput() ? 0 : 0x40000000u;
	ub.index = b.index;
	ub.type = type_;
	ub.memory = memory_;
	ub.bytesused = 0;
	ub.flags = b.flags;
	ub.field = b.field;
	ub.timestamp = toTimeval(b.timestampNs);
	ub.timecode = b.timecode;
	ub.sequence = b.sequence;
	ub.reserved2 = 0;
	ub.request_fd = 0;
	if (multiplanar()) {
		ub.length = b.numPlanes;
		for (uint32_t p = 0; p < b.numPlanes; p++) {
			struct v4l2_plane &dst = ub.m.planes[p];
			const Plane &src = b.planes[p];
			dst.bytesused = src.bytesused;
			dst.length = src.length;
			if (memory_ == V4L2_MEMORY_MMAP)
				dst.m.mem_offset = src.memOffset + offsetBase;
			else
				dst.m.fd = src.dmabufFd;
			dst.data_offset = src.dataOffset;
			memset(dst.reserved, 0, sizeof(dst.reserved));
		}
	} else {
		ub.length = b.planes[0].length;
		ub.bytesused = b.planes[0].bytesused;
		if (memory_ == V4L2_MEMORY_MMAP)
			ub.m.offset = b.planes[0].memOffset + offsetBase;
		else
			ub.m.fd = b.planes[0].dmabufFd;
	}
	ub.flags &= ~kStateFlags;
	ub.flags |= V4L2_BUF_FLAG_TIMESTAMP_COPY;
	switch (b.state) {
	case BufferState::Queued:
	case BufferState::Active:
		ub.flags |= V4L2_BUF_FLAG_QUEUED;
		break;
	case BufferState::InRequest:
		ub.flags |= V4L2_BUF_FLAG_IN_REQUEST;
		break;
	case BufferState::Error:
		ub.flags |= V4L2_BUF_FLAG_ERROR;
		[[fallthrough]];
	case BufferState::Done:
		ub.flags |= V4L2_BUF_FLAG_DONE;
		break;
	case BufferState::Preparing:
	case BufferState::Dequeued:
		break;
	}
	if ((b.state == BufferState::Dequeued || b.state == BufferState::InRequest) && b.prepared)
		ub.flags |= V4L2_BUF_FLAG_PREPARED;
	// VB2C:vb2_buffer_in_use: the memory has users besides vb2 (mmap, exported dma-buf).
	for (uint32_t p = 0; p < b.numPlanes; p++) {
		if (b.planes[p].mem && b.planes[p].mem->externalUsers.load() > 0) {
			ub.flags |= V4L2_BUF_FLAG_MAPPED;
			break;
		}
	}
	if (b.requestFd >= 0) {
		ub.flags |= V4L2_BUF_FLAG_REQUEST_FD;
		ub.request_fd = b.requestFd;
	}
}

/**
 * \brief VIDIOC_QUERYBUF (VB2V:vb2_querybuf)
 */
int Queue::querybuf(struct v4l2_buffer &b) const
{
	if (b.type != type_)
		return -EINVAL;
	Buffer *buf = buffer(b.index);
	if (!buf)
		return -EINVAL;
	int ret = verifyPlanesArray(*buf, b);
	if (ret)
		return ret;
	fillV4l2Buffer(*buf, b);
	return 0;
}

/**
 * \brief Copy the user's plane and metadata fields into an unprepared buffer
 *
 * VB2V:vb2_fill_vb2_v4l2_buffer, including __verify_length. Nothing is written unless all
 * checks pass.
 */
int Queue::fillUserFields(Buffer &buf, const struct v4l2_buffer &b)
{
	bool mp = V4L2_TYPE_IS_MULTIPLANAR(b.type);
	// __verify_length (OUTPUT only).
	if (isOutput()) {
		for (uint32_t p = 0; p < (mp ? buf.numPlanes : 1u); p++) {
			uint32_t length, bytesused, dataOffset;
			if (mp) {
				length = b.memory == V4L2_MEMORY_DMABUF ? b.m.planes[p].length
									 : buf.planes[p].length;
				bytesused = b.m.planes[p].bytesused ? b.m.planes[p].bytesused
								    : length;
				if (b.m.planes[p].bytesused > length)
					return -EINVAL;
				dataOffset = b.m.planes[p].data_offset;
				if (dataOffset > 0 && dataOffset >= bytesused)
					return -EINVAL;
			} else {
				length = buf.planes[0].length;
				if (b.bytesused > length)
					return -EINVAL;
			}
		}
		if (b.field == V4L2_FIELD_ALTERNATE)
			return -EINVAL;
	}

	for (uint32_t p = 0; p < buf.numPlanes; p++) {
		Plane &plane = buf.planes[p];
		if (memory_ == V4L2_MEMORY_DMABUF) {
			plane.dmabufFd = mp ? b.m.planes[p].m.fd : b.m.fd;
			plane.length = mp ? b.m.planes[p].length : b.length;
		}
		if (isOutput()) {
			uint32_t used = mp ? b.m.planes[p].bytesused : b.bytesused;
			// bytesused 0 means the whole plane (allow_zero_bytesused is not set).
			plane.bytesused = used ? used : plane.length;
			plane.dataOffset = mp ? b.m.planes[p].data_offset : 0;
		} else {
			plane.bytesused = 0;
			plane.dataOffset = mp ? b.m.planes[p].data_offset : 0;
		}
	}

	uint32_t flags = b.flags & ~kStateFlags;
	if (isOutput()) {
		flags &= ~V4L2_BUF_FLAG_TIMECODE;
		// buf_out_validate of all four drivers forces progressive (e.g. RK, HV, VV, CV).
		buf.field = V4L2_FIELD_NONE;
		// Stripped silently when the queue cannot hold (VB2V:vb2_fill_vb2_v4l2_buffer).
		if (!holdCaptureSupported)
			flags &= ~V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF;
	} else {
		flags &= ~kOutputOnlyFlags;
		flags &= ~V4L2_BUF_FLAG_LAST;
		// CAPTURE buffers take their timestamp source from the queue (VB2V).
		flags &= ~V4L2_BUF_FLAG_TSTAMP_SRC_MASK;
	}
	buf.flags = flags;
	buf.sequence = 0;
	buf.requestFd = -1;
	buf.held = false;
	return 0;
}

void Queue::keepFilledFields(Buffer &buf, const Buffer &filled)
{
	// The vb2_v4l2_buffer part of VB2V:vb2_fill_vb2_v4l2_buffer; the planes it fills are
	// vbuf->planes, copied into vb->planes only by a successful __buf_prepare.
	buf.flags = filled.flags;
	buf.field = filled.field;
	buf.sequence = filled.sequence;
	buf.requestFd = filled.requestFd;
	buf.held = filled.held;
}

/**
 * \brief Attach memory and run buf_prepare (VB2C:__buf_prepare)
 *
 * For DMABUF the plane's fd is imported; a different dma-buf at this index clears
 * copied_timestamp (VB2C:__prepare_dmabuf).
 */
int Queue::prepareMemory(Buffer &buf)
{
	if (error_)
		return -EIO;
	std::array<std::shared_ptr<PlaneMemory>, VIDEO_MAX_PLANES> imported{};
	bool changed = false;
	if (memory_ == V4L2_MEMORY_DMABUF) {
		const struct v4l2_pix_format_mplane &fmt =
			isOutput() ? ctx_.outputFormat : ctx_.captureFormat;
		for (uint32_t p = 0; p < buf.numPlanes; p++) {
			Plane &plane = buf.planes[p];
			std::shared_ptr<PlaneMemory> mem;
			int ret = PlaneMemory::import(plane.dmabufFd, &mem);
			if (ret)
				return -EINVAL;
			uint32_t minLength = fmt.plane_fmt[p].sizeimage;
			if (mem->size() < minLength || plane.length > mem->size())
				return -EINVAL;
			if (plane.length == 0)
				plane.length = static_cast<uint32_t>(mem->size());
			if (plane.length < minLength)
				return -EINVAL;
			// Re-queuing the same dma-buf skips re-attaching.
			if (plane.mem && plane.mem->inode() == mem->inode())
				imported[p] = plane.mem;
			else {
				imported[p] = std::move(mem);
				changed = true;
			}
		}
	}
	// Driver buf_prepare: planes at least the current sizeimage.
	Buffer probe = buf;
	if (memory_ == V4L2_MEMORY_DMABUF)
		for (uint32_t p = 0; p < buf.numPlanes; p++)
			probe.planes[p].mem = imported[p];
	int ret = ctx_.driver().bufPrepare(ctx_, dir_, probe);
	if (ret)
		return ret;
	if (memory_ == V4L2_MEMORY_DMABUF) {
		for (uint32_t p = 0; p < buf.numPlanes; p++)
			buf.planes[p].mem = imported[p];
		if (changed)
			buf.copiedTimestamp = false;
	}
	// The drivers' buf_prepare sets the CAPTURE payload to the format's size
	// (RK:rkvdec_buf_prepare, HV:hantro_buf_prepare, CV:cedrus_buf_prepare, VV).
	if (!isOutput()) {
		const struct v4l2_pix_format_mplane &fmt = ctx_.captureFormat;
		buf.planes[0].bytesused = fmt.plane_fmt[0].sizeimage;
	}
	buf.prepared = true;
	return 0;
}

void Queue::unprepare(Buffer &b)
{
	// VB2C:vb2_req_unprepare: __vb2_dqbuf re-initialises the buffer (init_buffer: request_fd
	// = -1) and it goes back to IN_REQUEST; vb->prepared (and its memory) stay.
	b.requestFd = -1;
}

/**
 * \brief VIDIOC_PREPARE_BUF (VB2V:vb2_prepare_buf, VB2C:vb2_core_prepare_buf)
 */
int Queue::prepareBuf(struct v4l2_buffer &b)
{
	if (b.flags & V4L2_BUF_FLAG_REQUEST_FD)
		return -EINVAL;
	Buffer *buf = buffer(b.index);
	if (!buf)
		return -EINVAL;
	if (b.type != type_ || b.memory != memory_)
		return -EINVAL;
	int ret = verifyPlanesArray(*buf, b);
	if (ret)
		return ret;
	Buffer saved = *buf;
	if (!buf->prepared) {
		ret = fillUserFields(*buf, b);
		if (ret)
			return ret;
	}
	if (buf->state != BufferState::Dequeued || buf->prepared) {
		// VB2C:vb2_core_prepare_buf refuses after vb2_fill_vb2_v4l2_buffer ran.
		Buffer filled = *buf;
		*buf = saved;
		if (!saved.prepared)
			keepFilledFields(*buf, filled);
		return -EINVAL;
	}
	ret = prepareMemory(*buf);
	if (ret) {
		*buf = saved;
		return ret;
	}
	fillV4l2Buffer(*buf, b);
	return 0;
}

/**
 * \brief VIDIOC_QBUF (M2M:v4l2_m2m_qbuf, VB2V:vb2_qbuf, VB2C:vb2_core_qbuf)
 * \param request the request named by request_fd, already looked up (nullptr without
 *        V4L2_BUF_FLAG_REQUEST_FD)
 */
int Queue::qbuf(struct v4l2_buffer &b, Request *request, int requestFd)
{
	Buffer *buf = buffer(b.index);
	if (!buf)
		return -EINVAL;
	if (b.type != type_ || b.memory != memory_)
		return -EINVAL;
	int ret = verifyPlanesArray(*buf, b);
	if (ret)
		return ret;
	bool useRequest = b.flags & V4L2_BUF_FLAG_REQUEST_FD;
	if (useRequest && buf->state != BufferState::Dequeued)
		return -EINVAL;

	// Checks in VB2V:vb2_queue_or_prepare_buf order. vb2_fill_vb2_v4l2_buffer runs before
	// the mode checks and writes the vb2_v4l2_buffer fields (flags, field, sequence,
	// request_fd = -1, is_held) even when a later check refuses the QBUF.
	if (!buf->prepared) {
		Buffer probe = *buf;
		ret = fillUserFields(probe, b);
		if (ret)
			return ret;
		keepFilledFields(*buf, probe);
	}
	if (!useRequest) {
		if (requiresRequests)
			return -EBADR;
		if (usesRequests_)
			return -EBUSY;
	} else {
		if (!supportsRequests)
			return -EBADR;
		if (usesQbuf_)
			return -EBUSY;
		if (!request)
			return -EINVAL;	// MCR:media_request_get_by_fd
		if (request->state() != RequestState::Idle &&
		    request->state() != RequestState::Updating)
			return -EBUSY;
	}
	if (error_)
		return -EIO;

	Buffer saved = *buf;
	// Validated on a copy above, so it cannot fail here.
	if (!buf->prepared && fillUserFields(*buf, b))
		return -EINVAL;

	if (useRequest) {
		// VB2C:vb2_core_qbuf, request path: bind, nothing reaches the driver.
		ret = request->bindBuffer(*buf);
		if (ret) {
			*buf = saved;
			return ret;
		}
		usesRequests_ = true;
		buf->state = BufferState::InRequest;
		buf->request = request;
		request->get();
		buf->requestFd = requestFd;
		buf->timestampNs = timestampNs(b.timestamp);	// TIMESTAMP_COPY, at QBUF
		if (b.flags & V4L2_BUF_FLAG_TIMECODE) {
			buf->flags |= V4L2_BUF_FLAG_TIMECODE;
			buf->timecode = b.timecode;
		}
		fillV4l2Buffer(*buf, b);
		return 0;
	}

	// Plain path. The kernel marks the queue as used by QBUF before preparing, so even a
	// QBUF that then fails locks out requests until the next cancel (VB2C:vb2_core_qbuf).
	if (buf->state != BufferState::InRequest)
		usesQbuf_ = true;
	switch (buf->state) {
	case BufferState::Dequeued:
	case BufferState::InRequest:
		if (!buf->prepared) {
			ret = prepareMemory(*buf);
			if (ret) {
				bool keepQbuf = usesQbuf_;
				*buf = saved;
				usesQbuf_ = keepQbuf;
				return ret;
			}
		}
		break;
	default:
		*buf = saved;
		return -EINVAL;
	}
	buf->state = BufferState::Queued;
	buf->queuedSeq = nextQueuedSeq_++;	// list_add_tail(&vb->queued_entry, &q->queued_list)
	queuedCount_++;
	if (isOutput()) {
		buf->timestampNs = timestampNs(b.timestamp);
		if (b.flags & V4L2_BUF_FLAG_TIMECODE) {
			buf->flags |= V4L2_BUF_FLAG_TIMECODE;
			buf->timecode = b.timecode;
		}
	}
	if (streaming_)
		enqueueInDriver(*buf);
	fillV4l2Buffer(*buf, b);
	return 0;
}

/**
 * \brief VIDIOC_DQBUF (VB2V:vb2_dqbuf, VB2C:__vb2_wait_for_done_vb, vb2_core_dqbuf)
 *
 * Blocking waits release the device lock (vb2 wait_prepare) while sleeping.
 */
int Queue::dqbuf(struct v4l2_buffer &b, bool nonblocking, std::unique_lock<std::mutex> &lk)
{
	if (b.type != type_)
		return -EINVAL;
	MediaDevice &dev = ctx_.device();
	for (;;) {
		dev.checkWatchdog();
		if (waiters_ > 0)
			return -EBUSY;
		if (!streaming_)
			return -EINVAL;
		if (error_)
			return -EIO;
		if (lastBufferDequeued_)
			return -EPIPE;
		if (doneCount_ > 0)
			break;
		if (nonblocking)
			return -EAGAIN;
		if (dev.unplugged())
			return -ENODEV;
		waiters_++;
		// vb2 wait_prepare/wait_finish: sleep without the device lock.
		std::chrono::steady_clock::time_point deadline;
		if (dev.hungDeadline(&deadline))
			dev.changed().wait_until(lk, deadline);
		else
			dev.changed().wait(lk);
		waiters_--;
	}
	Buffer *buf = buffers_[done_[doneHead_]].get();
	int ret = verifyPlanesArray(*buf, b);
	if (ret)
		return ret;	// the buffer stays on the done list
	doneHead_ = (doneHead_ + 1) % done_.size();
	doneCount_--;

	buf->prepared = false;
	fillV4l2Buffer(*buf, b);
	if (!isOutput() && (b.flags & V4L2_BUF_FLAG_DONE) && (b.flags & V4L2_BUF_FLAG_LAST))
		lastBufferDequeued_ = true;
	b.flags &= ~V4L2_BUF_FLAG_DONE;
	queuedCount_--;
	// VB2C:__vb2_dqbuf + init_buffer: back to DEQUEUED, request reference dropped.
	buf->state = BufferState::Dequeued;
	buf->requestFd = -1;
	if (buf->request) {
		Request *req = buf->request;
		buf->request = nullptr;
		req->put();
	}
	return 0;
}

} // namespace v4l2emu
