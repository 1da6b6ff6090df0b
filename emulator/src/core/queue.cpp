// SPDX-License-Identifier: MIT
// vb2 queue semantics (VB2C = videobuf2-core.c, VB2V = videobuf2-v4l2.c, M2M = v4l2-mem2mem.c).
#include "queue.h"

#include "context.h"
#include "media_device.h"
#include "request.h"

#include "drivers/driver_profile.h"

#include <fcntl.h>

#include <cerrno>
#include <cstring>

namespace v4l2emu {

namespace {

constexpr uint32_t kPlaneIndexShift = 12 + 3;	// VB2C:__setup_offsets, 4 KiB pages

// VB2V: V4L2_BUFFER_MASK_FLAGS, the state bits vb2 owns.
constexpr uint32_t kStateFlags = V4L2_BUF_FLAG_MAPPED | V4L2_BUF_FLAG_QUEUED |
				 V4L2_BUF_FLAG_DONE | V4L2_BUF_FLAG_ERROR |
				 V4L2_BUF_FLAG_PREPARED | V4L2_BUF_FLAG_IN_REQUEST |
				 V4L2_BUF_FLAG_REQUEST_FD | V4L2_BUF_FLAG_TIMESTAMP_MASK;
// VB2V: V4L2_BUFFER_OUT_FLAGS.
constexpr uint32_t kOutputOnlyFlags = V4L2_BUF_FLAG_PFRAME | V4L2_BUF_FLAG_BFRAME |
				      V4L2_BUF_FLAG_KEYFRAME | V4L2_BUF_FLAG_TIMECODE |
				      V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF;

uint64_t timestampNs(const struct timeval &tv)
{
	return static_cast<uint64_t>(tv.tv_sec) * 1000000000ull +
	       static_cast<uint64_t>(tv.tv_usec) * 1000ull;
}

struct timeval toTimeval(uint64_t ns)
{
	struct timeval tv {};
	tv.tv_sec = static_cast<time_t>(ns / 1000000000ull);
	tv.tv_usec = static_cast<suseconds_t>((ns % 1000000000ull) / 1000ull);
	return tv;
}

} // namespace

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
	ret = allocateBuffers(count, rb.memory, numPlanes, sizes, &allocated);
	if (ret)
		return ret;
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
	uint32_t allocated = 0;
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
	memory_ = cb.memory;
	ret = 0;
	for (uint32_t i = 0; i < count; i++) {
		auto buf = std::make_unique<Buffer>();
		buf->queue = this;
		buf->index = firstIndex + i;
		buf->numPlanes = numPlanes;
		int err = 0;
		for (uint32_t p = 0; p < numPlanes && !err; p++) {
			Plane &plane = buf->planes[p];
			plane.length = sizes[p];
			plane.memOffset = (buf->index << kPlaneIndexShift) + (p << 12);
			if (cb.memory == V4L2_MEMORY_MMAP) {
				int fault = ctx_.device().memoryFault();
				err = fault ? -fault : PlaneMemory::allocate(sizes[p], &plane.mem);
			}
		}
		if (err)
			break;
		buffers_[buf->index] = std::move(buf);
		numBuffers_++;
		ctx_.device().liveBuffers++;
		allocated++;
	}
	if (!allocated) {
		if (first)
			memory_ = previousMemory;
		return -ENOMEM;
	}
	cb.index = firstIndex;
	cb.count = allocated;
	busy_ = true;
	return 0;
}

int Queue::allocateBuffers(uint32_t count, uint32_t memory, uint32_t numPlanes,
			   const uint32_t *sizes, uint32_t *allocated)
{
	// VB2C:__vb2_queue_alloc: as many as memory allows; ENOMEM only if none.
	uint32_t done = 0;
	for (uint32_t i = 0; i < count; i++) {
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
	if (!done) {
		memory_ = 0;	// VB2C:vb2_core_reqbufs error path: q->memory = UNKNOWN
		return -ENOMEM;
	}
	numBuffers_ = done;
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

int Queue::verifyBuffer(const struct v4l2_buffer &b, Buffer **out) const
{
	Buffer *buf = buffer(b.index);
	if (!buf)
		return -EINVAL;
	*out = buf;
	return 0;
}

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
int Queue::fillUserFields(Buffer &buf, const struct v4l2_buffer &b, bool *changedDmabuf)
{
	*changedDmabuf = false;
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
		buf.field = b.field;
		// Stripped silently when the queue cannot hold (VB2V:vb2_fill_vb2_v4l2_buffer).
		if (!holdCaptureSupported)
			flags &= ~V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF;
	} else {
		flags &= ~kOutputOnlyFlags;
		flags &= ~V4L2_BUF_FLAG_LAST;
	}
	buf.flags = flags;
	buf.sequence = 0;
	buf.requestFd = -1;
	buf.held = false;
	return 0;
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
	b.prepared = false;
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
		bool changed;
		ret = fillUserFields(*buf, b, &changed);
		if (ret)
			return ret;
	}
	if (buf->state != BufferState::Dequeued || buf->prepared) {
		*buf = saved;
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

	// Checks that come before anything is stored, in VB2V:vb2_queue_or_prepare_buf order.
	if (!buf->prepared) {
		Buffer probe = *buf;
		bool changed;
		ret = fillUserFields(probe, b, &changed);
		if (ret)
			return ret;
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
	if (!buf->prepared) {
		bool changed;
		fillUserFields(*buf, b, &changed);
	}

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
 * \brief VIDIOC_STREAMON (VB2C:vb2_core_streamon, vb2_start_streaming)
 */
int Queue::streamon()
{
	if (streaming_)
		return 0;
	if (numBuffers_ == 0)
		return -EINVAL;
	// min_queued_buffers is 0 for all four drivers: start_streaming runs at once, after
	// every queued buffer went to the driver.
	uint32_t given = 0;
	for (uint32_t i = 0; i < maxBuffers_; i++) {
		Buffer *b = buffers_[i].get();
		if (b && b->state == BufferState::Queued) {
			enqueueInDriver(*b);
			given++;
		}
	}
	int ret = ctx_.driver().startStreaming(ctx_, dir_);
	if (ret) {
		// The drivers return their buffers as QUEUED on failure.
		while (Buffer *b = readyPop())
			b->state = BufferState::Queued;
		return ret;
	}
	(void)given;
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
			if (b->request) {
				if (RequestControls *rc = b->request->findControls(ctx_.controls()))
					if (!rc->complete)
						b->request->completeControls(*rc);
			}
			bufferDone(*b, BufferState::Error);
		}
	}
	for (uint32_t i = 0; i < maxBuffers_; i++) {
		Buffer *b = buffers_[i].get();
		if (!b)
			continue;
		Request *req = b->request;
		// buf_request_complete for buffers whose request is QUEUED.
		if (b->reqObjBound && req->state() == RequestState::Queued)
			if (RequestControls *rc = req->findControls(ctx_.controls()))
				if (!rc->complete)
					req->completeControls(*rc);
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
