// SPDX-License-Identifier: MIT
// VA buffers: plain memory the application fills (parameters, slice data) or reads (images).
// Buffer objects are recycled with their storage, so the per-frame CreateBuffer/DestroyBuffer
// pairs of FFmpeg and GStreamer allocate nothing in steady state: a request takes the recycled
// buffer that holds it most tightly, else the largest one, whose storage is replaced (one
// allocation for one free: the pool does not grow past the most buffers ever live at once).
#include "va/driver.h"
#include "va/entry_points.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace v4l2va {

namespace {

/// Larger than any coded frame or 8K P010 image; a bigger request is nonsense, not work.
constexpr size_t kMaxBufferBytes = 256u << 20;

/// How badly a recycled buffer suits a request: the spare bytes if it holds it, else (any
/// fitting one is better) the bytes missing.
uint64_t reuseCost(const Buffer &b, size_t bytes)
{
	size_t cap = b.storage.capacity();
	return cap >= bytes ? cap - bytes : (uint64_t {1} << 40) + (bytes - cap);
}

} // namespace

VAStatus createBuffer(VADriverContextP ctx, VAContextID context, VABufferType type, unsigned int size,
		      unsigned int numElements, void *data, VABufferID *id)
{
	Driver &drv = driverOf(ctx);
	if (!id)
		return VA_STATUS_ERROR_INVALID_PARAMETER;
	if (static_cast<unsigned>(type) >= VABufferTypeMax)
		return VA_STATUS_ERROR_UNSUPPORTED_BUFFERTYPE;
	if (size == 0 || numElements == 0)
		return VA_STATUS_ERROR_INVALID_PARAMETER;
	size_t bytes = static_cast<size_t>(size) * numElements;
	if (bytes / numElements != size || bytes > kMaxBufferBytes)
		return VA_STATUS_ERROR_ALLOCATION_FAILED;
	if (type != VAImageBufferType && !drv.contexts.get(context))
		return VA_STATUS_ERROR_INVALID_CONTEXT;
	std::shared_ptr<Buffer> buf = drv.buffers.reuse([&](const Buffer &b) { return reuseCost(b, bytes); });
	if (!buf)
		buf = std::make_shared<Buffer>();
	if (buf->storage.capacity() < bytes) {
		std::vector<uint8_t>().swap(buf->storage);	// replaced, not grown: no copy
		buf->storage.reserve(bytes);
	}
	buf->type = type;
	buf->context = context;
	buf->elementSize = size;
	buf->numElements = numElements;
	buf->external = nullptr;
	buf->mapped = false;
	buf->ownedByImage = false;
	buf->imageGone = false;
	// Within capacity: no allocation. A recycled buffer holds the bytes of its previous life:
	// a buffer created without data starts zeroed (gstreamer-vaapi maps it and fills only
	// some fields).
	if (data)
		buf->storage.assign(static_cast<const uint8_t *>(data), static_cast<const uint8_t *>(data) + bytes);
	else
		buf->storage.assign(bytes, 0);
	uint32_t bufferId = drv.buffers.insert(buf);
	if (bufferId == VA_INVALID_ID) {
		recycleBuffer(drv, buf);
		return VA_STATUS_ERROR_MAX_NUM_EXCEEDED;
	}
	*id = bufferId;
	return VA_STATUS_SUCCESS;
}

VAStatus bufferSetNumElements(VADriverContextP ctx, VABufferID id, unsigned int numElements)
{
	auto buf = driverOf(ctx).buffers.get(id);
	if (!buf)
		return VA_STATUS_ERROR_INVALID_BUFFER;
	if (numElements == 0 || buf->external ||
	    static_cast<size_t>(numElements) * buf->elementSize > buf->backingSize())
		return VA_STATUS_ERROR_INVALID_PARAMETER;
	buf->numElements = numElements;
	return VA_STATUS_SUCCESS;
}

VAStatus mapBuffer(VADriverContextP ctx, VABufferID id, void **p)
{
	if (!p)
		return VA_STATUS_ERROR_INVALID_PARAMETER;
	Driver &drv = driverOf(ctx);
	auto buf = drv.buffers.get(id);
	if (!buf)
		return VA_STATUS_ERROR_INVALID_BUFFER;
	if (buf->pinnedStream) {
		// A derived image maps the CAPTURE buffer itself: its decode completes first.
		int ret = buf->pinnedStream->sync(static_cast<uint32_t>(buf->pinnedCapture), drv.syncTimeoutMs);
		if (ret && ret != -EIO)
			return statusFromErrno(ret, DeviceStep::Setup);
	}
	buf->mapped = true;
	*p = buf->data();
	return VA_STATUS_SUCCESS;
}

VAStatus unmapBuffer(VADriverContextP ctx, VABufferID id)
{
	Driver &drv = driverOf(ctx);
	auto buf = drv.buffers.get(id);
	if (!buf)
		return VA_STATUS_ERROR_INVALID_BUFFER;
	buf->mapped = false;
	// The buffer of an image destroyed while it was mapped goes with its last mapping.
	bool imageGone = buf->imageGone;
	buf.reset();
	if (imageGone)
		retireBuffer(drv, id);
	return VA_STATUS_SUCCESS;
}

/// Drops what a buffer holds of a stream, an export or an image (image buffers,
/// AcquireBufferHandle).
void releaseBufferResources(Driver &drv, Buffer &buf)
{
	if (buf.exportedFd >= 0) {
		drv.io().close(buf.exportedFd);
		buf.exportedFd = -1;
	}
	if (buf.pinnedStream) {
		buf.pinnedStream->unpinCapture(static_cast<uint32_t>(buf.pinnedCapture));
		buf.pinnedStream.reset();
		buf.pinnedCapture = -1;
	}
	buf.external = nullptr;
	buf.imageStore.reset();
}

void recycleBuffer(Driver &drv, std::shared_ptr<Buffer> &buf)
{
	releaseBufferResources(drv, *buf);
	if (drv.buffers.recycle(buf, buf->storage.capacity()) || !buf->storage.capacity())
		return;
	// Past the pool's byte budget: the object is still worth keeping, its storage is not.
	std::vector<uint8_t>().swap(buf->storage);
	drv.buffers.recycle(buf);
}

void retireBuffer(Driver &drv, VABufferID id)
{
	if (std::shared_ptr<Buffer> buf = drv.buffers.remove(id))
		recycleBuffer(drv, buf);
}

VAStatus destroyBuffer(VADriverContextP ctx, VABufferID id)
{
	Driver &drv = driverOf(ctx);
	std::shared_ptr<Buffer> buf = drv.buffers.get(id);
	if (!buf)
		return VA_STATUS_ERROR_INVALID_BUFFER;
	if (buf->ownedByImage)
		return VA_STATUS_ERROR_INVALID_BUFFER;	// it goes with its image (vaDestroyImage)
	buf = drv.buffers.remove(id);
	if (!buf)
		return VA_STATUS_ERROR_INVALID_BUFFER;
	recycleBuffer(drv, buf);
	return VA_STATUS_SUCCESS;
}

VAStatus bufferInfo(VADriverContextP ctx, VABufferID id, VABufferType *type, unsigned int *size,
		    unsigned int *numElements)
{
	if (!type || !size || !numElements)
		return VA_STATUS_ERROR_INVALID_PARAMETER;
	auto buf = driverOf(ctx).buffers.get(id);
	if (!buf)
		return VA_STATUS_ERROR_INVALID_BUFFER;
	*type = buf->type;
	*size = buf->elementSize;
	*numElements = buf->numElements;
	return VA_STATUS_SUCCESS;
}

VAStatus syncBuffer(VADriverContextP ctx, VABufferID id, uint64_t)
{
	// Decode buffers are consumed at Render: nothing is ever pending on one.
	return driverOf(ctx).buffers.get(id) ? VA_STATUS_SUCCESS : VA_STATUS_ERROR_INVALID_BUFFER;
}

} // namespace v4l2va
