// SPDX-License-Identifier: MIT
// vb2 buffer allocation and memory: REQBUFS, CREATE_BUFS, REMOVE_BUFS, EXPBUF, mmap lookup
// (VB2C = videobuf2-core.c, VB2V = videobuf2-v4l2.c).
#include "queue_internal.h"

#include "context.h"
#include "media_device.h"

#include "drivers/driver_profile.h"

#include <fcntl.h>

namespace v4l2emu {

using namespace vb2;

namespace {

// VB2V:vb2_verify_memory_type. All four drivers: io_modes MMAP | DMABUF.
int verifyMemoryType(uint32_t memory, uint32_t type, uint32_t queueType)
{
	if (memory != V4L2_MEMORY_MMAP && memory != V4L2_MEMORY_USERPTR &&
	    memory != V4L2_MEMORY_DMABUF)
		return -EINVAL;
	if (type != queueType)
		return -EINVAL;
	if (memory == V4L2_MEMORY_USERPTR)
		return -EINVAL;
	return 0;
}

} // namespace

/**
 * \brief VIDIOC_REQBUFS (VB2V:vb2_reqbufs, VB2C:vb2_core_reqbufs)
 * \return 0 on success or a negative error code; rb.count receives the allocated count
 */
int Queue::reqbufs(struct v4l2_requestbuffers &rb)
{
	int ret = verifyMemoryType(rb.memory, rb.type, type_);
	// Capabilities are filled even when the memory type is refused.
	rb.capabilities = capabilities();
	rb.flags = 0;
	if (ret)
		return ret;

	if (streaming_)
		return -EBUSY;
	if (waiters_ > 0 && rb.count)
		return -EBUSY;

	if (rb.count == 0 || numBuffers_ != 0 ||
	    (memory_ != 0 && memory_ != rb.memory)) {
		// Mapped memory is orphaned, not an error (V4L2_BUF_CAP_SUPPORTS_ORPHANED_BUFS).
		cancel();
		freeAll();
		busy_ = false;
		if (rb.count == 0) {
			memory_ = 0;
			return 0;
		}
	}

	const struct v4l2_pix_format_mplane &fmt =
		isOutput() ? ctx_.outputFormat : ctx_.captureFormat;
	uint32_t sizes[VIDEO_MAX_PLANES] = {};
	uint32_t numPlanes = fmt.num_planes ? fmt.num_planes : 1;
	for (uint32_t i = 0; i < numPlanes; i++)
		sizes[i] = fmt.plane_fmt[i].sizeimage;

	uint32_t count = rb.count < maxBuffers_ ? rb.count : maxBuffers_;
	uint32_t allocated = 0;
	ret = allocateBuffers(0, count, rb.memory, numPlanes, sizes, &allocated);
	if (ret) {
		memory_ = 0;	// VB2C:vb2_core_reqbufs error path: q->memory = UNKNOWN
		return ret;
	}
	rb.count = allocated;
	busy_ = true;
	return 0;
}

/**
 * \brief VIDIOC_CREATE_BUFS (VB2V:vb2_create_bufs, VB2C:vb2_core_create_bufs)
 */
int Queue::createBufs(struct v4l2_create_buffers &cb)
{
	int ret = verifyMemoryType(cb.memory, cb.format.type, type_);
	cb.index = numBuffers_;
	cb.flags = 0;
	cb.capabilities = capabilities() | V4L2_BUF_CAP_SUPPORTS_MAX_NUM_BUFFERS;
	cb.max_num_buffers = maxBuffers_;
	if (cb.count == 0)
		return ret;	// a pure query (EBUSY would be mapped to 0; none here)

	uint32_t numPlanes = 1;
	uint32_t sizes[VIDEO_MAX_PLANES] = {};
	if (V4L2_TYPE_IS_MULTIPLANAR(cb.format.type)) {
		numPlanes = cb.format.fmt.pix_mp.num_planes;
		if (numPlanes == 0 || numPlanes > VIDEO_MAX_PLANES)
			return -EINVAL;
		for (uint32_t i = 0; i < numPlanes; i++)
			sizes[i] = cb.format.fmt.pix_mp.plane_fmt[i].sizeimage;
	} else if (cb.format.type == V4L2_BUF_TYPE_VIDEO_OUTPUT ||
		   cb.format.type == V4L2_BUF_TYPE_VIDEO_CAPTURE) {
		sizes[0] = cb.format.fmt.pix.sizeimage;
	} else {
		return -EINVAL;
	}
	for (uint32_t i = 0; i < numPlanes; i++)
		if (sizes[i] == 0)
			return -EINVAL;
	if (ret)
		return ret;

	if (numBuffers_ == maxBuffers_)
		return -ENOBUFS;
	bool first = numBuffers_ == 0;
	if (first) {
		if (waiters_ > 0)
			return -EBUSY;
	} else if (memory_ != cb.memory) {
		return -EINVAL;
	}

	// Driver queue_setup with the requested planes (HV/RK/VV/CV *_queue_setup).
	ret = ctx_.driver().checkCreateBufs(ctx_, dir_, numPlanes, sizes);
	if (ret)
		return ret;

	uint32_t count = cb.count;
	if (count > maxBuffers_ - numBuffers_)
		count = maxBuffers_ - numBuffers_;
	uint32_t firstIndex = 0;
	// VB2C:__vb2_queue_alloc takes the first free range that fits (REMOVE_BUFS leaves holes).
	while (count) {
		uint32_t run = 0;
		for (uint32_t i = 0; i < maxBuffers_; i++) {
			run = buffers_[i] ? 0 : run + 1;
			if (run == count) {
				firstIndex = i + 1 - count;
				break;
			}
		}
		if (run == count)
			break;
		count--;
	}
	if (!count)
		return -ENOMEM;

	uint32_t previousMemory = memory_;
	uint32_t allocated = 0;
	ret = allocateBuffers(firstIndex, count, cb.memory, numPlanes, sizes, &allocated);
	if (ret) {
		if (first)
			memory_ = previousMemory;
		return ret;
	}
	cb.index = firstIndex;
	cb.count = allocated;
	busy_ = true;
	return 0;
}

/**
 * \brief Allocate count buffers at indices [first, first + count) (VB2C:__vb2_queue_alloc)
 * \return 0 with *allocated set (fewer on memory shortage), or -ENOMEM if none
 */
int Queue::allocateBuffers(uint32_t first, uint32_t count, uint32_t memory, uint32_t numPlanes,
			   const uint32_t *sizes, uint32_t *allocated)
{
	uint32_t done = 0;
	for (uint32_t i = first; i < first + count; i++) {
		auto buf = std::make_unique<Buffer>();
		buf->queue = this;
		buf->index = i;
		buf->numPlanes = numPlanes;
		int err = 0;
		for (uint32_t p = 0; p < numPlanes && !err; p++) {
			Plane &plane = buf->planes[p];
			plane.length = sizes[p];
			plane.memOffset = (i << kPlaneIndexShift) + (p << 12);
			if (memory == V4L2_MEMORY_MMAP) {
				int fault = ctx_.device().memoryFault();
				err = fault ? -fault : PlaneMemory::allocate(sizes[p], &plane.mem);
			}
		}
		if (err)
			break;
		buffers_[i] = std::move(buf);
		done++;
	}
	if (!done)
		return -ENOMEM;
	numBuffers_ += done;
	memory_ = memory;
	ctx_.device().liveBuffers += done;
	*allocated = done;
	return 0;
}

void Queue::freeBuffer(uint32_t index)
{
	Buffer *b = buffers_[index].get();
	if (!b)
		return;
	if (b->inReadyList)
		readyRemove(*b);
	doneRemove(*b);
	buffers_[index].reset();
	numBuffers_--;
	ctx_.device().liveBuffers--;
}

void Queue::freeAll()
{
	// VB2C:__vb2_queue_free: vb2 drops its memory reference; mappings and exported dma-bufs
	// keep theirs (orphaned memory).
	for (uint32_t i = 0; i < maxBuffers_; i++)
		freeBuffer(i);
	numBuffers_ = 0;
}

/**
 * \brief VIDIOC_REMOVE_BUFS (VB2C:vb2_core_remove_bufs)
 */
int Queue::removeBufs(struct v4l2_remove_buffers &rb)
{
	if (rb.type != type_)
		return -EINVAL;
	if (rb.count == 0)
		return 0;
	if (rb.count > numBuffers_)
		return -EINVAL;
	if (rb.index > maxBuffers_ - rb.count)
		return -EINVAL;
	for (uint32_t i = rb.index; i < rb.index + rb.count; i++) {
		Buffer *b = buffers_[i].get();
		if (!b)
			return -EINVAL;
		if (b->state != BufferState::Dequeued)
			return -EBUSY;
	}
	for (uint32_t i = rb.index; i < rb.index + rb.count; i++)
		freeBuffer(i);
	// is_busy stays set (VB2H:vb2_is_busy in 6.12).
	return 0;
}

/**
 * \brief VIDIOC_EXPBUF (VB2C:vb2_core_expbuf)
 */
int Queue::expbuf(struct v4l2_exportbuffer &eb, std::shared_ptr<PlaneMemory> *mem) const
{
	// VB2V:vb2_expbuf, VB2C:vb2_core_expbuf check order.
	Buffer *buf = buffer(eb.index);
	if (!buf)
		return -EINVAL;
	if (memory_ != V4L2_MEMORY_MMAP)
		return -EINVAL;
	if (eb.flags & ~(O_CLOEXEC | O_ACCMODE))
		return -EINVAL;
	if (eb.type != type_)
		return -EINVAL;
	if (eb.plane >= buf->numPlanes || !buf->planes[eb.plane].mem)
		return -EINVAL;
	*mem = buf->planes[eb.plane].mem;
	return 0;
}

/**
 * \brief Find the memory behind an mmap cookie (VB2C:vb2_mmap / __find_plane_by_offset)
 */
int Queue::findMmap(uint32_t offset, size_t length, std::shared_ptr<PlaneMemory> *mem) const
{
	if (memory_ != V4L2_MEMORY_MMAP)
		return -EINVAL;
	// The in-buffer part of the offset is ignored: the whole buffer is mapped.
	uint32_t index = offset >> kPlaneIndexShift;
	uint32_t plane = (offset >> 12) & 7;
	Buffer *b = buffer(index);
	if (!b || plane >= b->numPlanes || !b->planes[plane].mem)
		return -EINVAL;
	if (length > pageAlign(b->planes[plane].length))
		return -EINVAL;
	*mem = b->planes[plane].mem;
	return 0;
}

} // namespace v4l2emu
