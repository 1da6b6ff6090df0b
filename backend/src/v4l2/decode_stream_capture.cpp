// SPDX-License-Identifier: MIT
// DecodeStream, CAPTURE side: the buffers surfaces bind (CREATE_BUFS + QUERYBUF + mmap, grown
// one at a time while streaming), their release and pins, mappings and exports.
#include "decode_stream.h"

#include <fcntl.h>
#include <sys/mman.h>

#include <cerrno>

namespace v4l2va {

int DecodeStream::mapCapture(uint32_t index, CaptureBuffer *buf)
{
	struct v4l2_plane planes[VIDEO_MAX_PLANES] = {};
	struct v4l2_buffer b {};
	b.type = m2m_->captureType();
	b.memory = V4L2_MEMORY_MMAP;
	b.index = index;
	b.m.planes = planes;
	b.length = VIDEO_MAX_PLANES;
	int ret = ioctl(VIDIOC_QUERYBUF, &b);
	if (ret)
		return ret;
	bool mplane = V4L2_TYPE_IS_MULTIPLANAR(b.type);
	uint32_t n = mplane ? b.length : 1;
	CaptureBuffer mapped;
	for (uint32_t p = 0; p < n; p++) {
		size_t len = mplane ? planes[p].length : b.length;
		uint32_t off = mplane ? planes[p].m.mem_offset : b.m.offset;
		void *addr = nullptr;
		ret = io_.mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED, m2m_->videoFd(), off, &addr);
		if (ret) {
			for (uint32_t q = 0; q < p; q++)
				io_.munmap(mapped.planes[q].data, mapped.planes[q].length);
			return ret;
		}
		mapped.planes[p] = {static_cast<uint8_t *>(addr), len};
	}
	mapped.numPlanes = n;
	*buf = mapped;
	return 0;
}

int DecodeStream::bindCapture(uint32_t *index)
{
	std::lock_guard lock(mutex_);
	if (!ready_)
		return -EINVAL;
	if (!freeCapture_.empty()) {
		*index = freeCapture_.back();
		freeCapture_.pop_back();
		capture_[*index].state = CaptureState::Idle;
		capture_[*index].released = false;
		return 0;
	}
	uint32_t first = 0;
	if (unboundCapture_ >= 0) {
		// An earlier bind created this buffer but failed to map it or to start CAPTURE: it
		// stays allocated (VB2C:vb2_core_create_bufs numbers on, no REQBUFS while streaming),
		// so it is the one to finish binding rather than creating yet another.
		first = static_cast<uint32_t>(unboundCapture_);
	} else {
		if (capture_.size() >= kMaxCaptureBuffers)
			return -ENOBUFS;
		uint32_t added = 0;
		int ret = m2m_->addCapture(1, &first, &added);
		if (ret)
			return ret;
		if (added == 0)
			return -ENOBUFS;	// VB2C:vb2_core_create_bufs: the queue is at its maximum
		if (first != capture_.size())
			return -EIO;		// someone else allocates on our fd: not ours to use
		// Tracked from now on (Free, unmapped, in no free list) so a failure below leaves
		// capture_ and the device's numbering in step.
		capture_.push_back(CaptureBuffer {});
		unboundCapture_ = static_cast<int32_t>(first);
	}
	CaptureBuffer buf;
	int ret = mapCapture(first, &buf);
	if (ret)
		return ret;
	if (!m2m_->captureStreaming()) {
		ret = m2m_->streamOnQueue(m2m_->captureType());
		if (ret) {
			for (uint32_t p = 0; p < buf.numPlanes; p++)
				io_.munmap(buf.planes[p].data, buf.planes[p].length);
			return ret;	// the next bind maps it and tries STREAMON again
		}
	}
	unboundCapture_ = -1;
	buf.state = CaptureState::Idle;
	capture_[first] = buf;
	*index = first;
	return 0;
}

void DecodeStream::releaseCapture(uint32_t index)
{
	std::unique_lock lock(mutex_);
	if (!captureValid(index))
		return;
	// A decode still writing into it completes first: the buffer must not be handed to
	// another surface (or queued again) while the device owns it.
	while (capture_[index].state == CaptureState::Queued && inFlightCount_) {
		if (reapHead(lock, 2000) && reapHead(lock, 0) != 0)
			break;
	}
	CaptureBuffer &c = capture_[index];
	if (c.pins) {
		c.released = true;
		return;
	}
	if (c.state == CaptureState::Queued)
		return;	// lost to a hung device: never reuse it
	c.state = CaptureState::Free;
	freeCapture_.push_back(index);
}

void DecodeStream::pinCapture(uint32_t index)
{
	std::lock_guard lock(mutex_);
	if (index < capture_.size())
		capture_[index].pins++;
}

void DecodeStream::unpinCapture(uint32_t index)
{
	std::lock_guard lock(mutex_);
	if (index >= capture_.size() || !capture_[index].pins)
		return;
	CaptureBuffer &c = capture_[index];
	if (--c.pins == 0 && c.released && c.state != CaptureState::Queued) {
		c.released = false;
		c.state = CaptureState::Free;
		freeCapture_.push_back(index);
	}
}

CaptureState DecodeStream::captureState(uint32_t index) const
{
	std::lock_guard lock(mutex_);
	return index < capture_.size() ? capture_[index].state : CaptureState::Free;
}

int DecodeStream::indexOfTimestamp(uint64_t ts)
{
	if (ts < 1000 || ts % 1000 || ts / 1000 > kMaxCaptureBuffers)
		return -1;
	return static_cast<int>(ts / 1000 - 1);
}

int DecodeStream::captureMapping(uint32_t index, PlaneMapping planes[VIDEO_MAX_PLANES],
				 uint32_t *numPlanes) const
{
	std::lock_guard lock(mutex_);
	if (!captureValid(index))
		return -EINVAL;
	const CaptureBuffer &c = capture_[index];
	for (uint32_t p = 0; p < c.numPlanes; p++)
		planes[p] = c.planes[p];
	*numPlanes = c.numPlanes;
	return 0;
}

int DecodeStream::exportCapture(uint32_t index, int fds[VIDEO_MAX_PLANES], uint32_t *numPlanes)
{
	std::lock_guard lock(mutex_);
	if (!captureValid(index))
		return -EINVAL;
	const CaptureBuffer &c = capture_[index];
	for (uint32_t p = 0; p < c.numPlanes; p++) {
		struct v4l2_exportbuffer e {};
		e.type = m2m_->captureType();
		e.index = index;
		e.plane = p;
		e.flags = O_RDONLY | O_CLOEXEC;
		int ret = ioctl(VIDIOC_EXPBUF, &e);
		if (ret) {
			for (uint32_t q = 0; q < p; q++)
				io_.close(fds[q]);
			return ret;
		}
		fds[p] = e.fd;
	}
	*numPlanes = c.numPlanes;
	return 0;
}

} // namespace v4l2va
