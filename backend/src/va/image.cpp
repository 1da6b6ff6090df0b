// SPDX-License-Identifier: MIT
// Images. DeriveImage maps the surface's CAPTURE buffer itself when its layout is linear and
// matches (no copy; the buffer is pinned while the image lives). GetImage copies, detiling and
// unpacking as needed. Reading a never-decoded surface gives it backing first (FFmpeg's derive
// probe, GStreamer's test surface) rather than failing. CreateImage's memory is an ImageStore
// (lazily zeroed pages); an image destroyed while its buffer is mapped leaves the buffer until
// it is unmapped.
#include "va/driver.h"
#include "va/entry_points.h"
#include "va/image_copy.h"

#include <cstring>

namespace v4l2va {

namespace {

constexpr uint32_t kImageFormats[] = {VA_FOURCC_NV12, VA_FOURCC_P010, VA_FOURCC_I420};

VAImageFormat formatOf(uint32_t fourcc)
{
	VAImageFormat f {};
	f.fourcc = fourcc;
	f.byte_order = VA_LSB_FIRST;
	f.bits_per_pixel = fourcc == VA_FOURCC_P010 ? 24 : 12;
	return f;
}

/// Creates the image object and its buffer (storage, or an external mapping).
VAStatus makeImage(Driver &drv, const VAImage &layout, uint8_t *external,
		   std::shared_ptr<DecodeStream> pinStream, int32_t pinCapture, VASurfaceID derivedFrom,
		   VAImage *out)
{
	// The buffer object only: the one holding the least storage, which it keeps meanwhile.
	std::shared_ptr<Buffer> buf = drv.buffers.reuse([](const Buffer &b) { return b.storage.capacity(); });
	if (!buf)
		buf = std::make_shared<Buffer>();
	buf->type = VAImageBufferType;
	buf->context = VA_INVALID_ID;
	buf->elementSize = layout.data_size;
	buf->numElements = 1;
	buf->mapped = false;
	buf->ownedByImage = true;
	buf->imageGone = false;
	buf->external = external;
	buf->storage.clear();
	buf->pinnedStream = std::move(pinStream);
	buf->pinnedCapture = pinCapture;
	if (!external) {
		buf->imageStore = ImageStore::allocate(layout.data_size);
		if (!buf->imageStore) {
			recycleBuffer(drv, buf);
			return VA_STATUS_ERROR_ALLOCATION_FAILED;
		}
	}
	VABufferID bufId = drv.buffers.insert(buf);
	if (bufId == VA_INVALID_ID) {
		recycleBuffer(drv, buf);	// unpins a derived image's CAPTURE buffer
		return VA_STATUS_ERROR_MAX_NUM_EXCEEDED;
	}
	auto img = drv.images.reuse([](const Image &) { return 0; });
	if (!img)
		img = std::make_shared<Image>();
	img->image = layout;
	img->image.buf = bufId;
	img->derivedFrom = derivedFrom;
	VAImageID imageId = drv.images.insert(img);
	if (imageId == VA_INVALID_ID) {
		buf.reset();
		retireBuffer(drv, bufId);
		return VA_STATUS_ERROR_MAX_NUM_EXCEEDED;
	}
	img->image.image_id = imageId;
	*out = img->image;
	return VA_STATUS_SUCCESS;
}

/// The surface's picture as a capture view, after its decode completed. Caller holds
/// surface.mutex; stream/capture out keep the buffer alive.
VAStatus captureViewOf(Driver &drv, VASurfaceID id, Surface &s, CaptureView *view,
		       std::shared_ptr<DecodeStream> *stream, uint32_t *numPlanes)
{
	VAStatus st = ensureBacking(drv, id, s);
	if (st != VA_STATUS_SUCCESS)
		return st;
	PlaneMapping planes[VIDEO_MAX_PLANES];
	int ret = s.stream->captureMapping(static_cast<uint32_t>(s.capture), planes, numPlanes);
	if (!ret)
		ret = describeCapture(s.stream->captureFormat(), planes, *numPlanes, view);
	if (ret)
		return VA_STATUS_ERROR_OPERATION_FAILED;
	*stream = s.stream;
	return VA_STATUS_SUCCESS;
}

/// True if [data, data + size) shares bytes with the picture planes of the view.
bool overlapsCapture(const CaptureView &view, const uint8_t *data, size_t size)
{
	auto overlaps = [&](const uint8_t *p, size_t n) {
		const auto a = reinterpret_cast<uintptr_t>(data), b = reinterpret_cast<uintptr_t>(p);
		return p && n && size && a < b + n && b < a + size;
	};
	return overlaps(view.luma, view.lumaSize) || overlaps(view.chroma, view.chromaSize) ||
	       overlaps(view.chromaV, view.chromaSize);
}

/// What GetImage and PutImage work on: the surface, the image and its buffer, looked up and
/// validated, the surface's decode completed.
struct ImageTransfer {
	std::shared_ptr<Surface> surface;
	std::shared_ptr<Image> image;
	std::shared_ptr<Buffer> buffer;
};

VAStatus prepareTransfer(Driver &drv, VASurfaceID surfaceId, VAImageID imageId, ImageTransfer *t)
{
	t->surface = drv.surfaces.get(surfaceId);
	if (!t->surface)
		return VA_STATUS_ERROR_INVALID_SURFACE;
	t->image = drv.images.get(imageId);
	if (!t->image)
		return VA_STATUS_ERROR_INVALID_IMAGE;
	t->buffer = drv.buffers.get(t->image->image.buf);
	if (!t->buffer || t->buffer->size() < t->image->image.data_size)
		return VA_STATUS_ERROR_INVALID_IMAGE;
	VAStatus st = waitSurface(*t->surface, drv.syncTimeoutMs);
	// A picture that decoded with an error is still read (what the hardware wrote).
	return st == VA_STATUS_ERROR_DECODING_ERROR ? VA_STATUS_SUCCESS : st;
}

} // namespace

VAStatus queryImageFormats(VADriverContextP ctx, VAImageFormat *formats, int *num)
{
	if (!formats || !num)
		return VA_STATUS_ERROR_INVALID_PARAMETER;
	int n = 0;
	for (uint32_t f : kImageFormats)
		if (n < ctx->max_image_formats)
			formats[n++] = formatOf(f);
	*num = n;
	return VA_STATUS_SUCCESS;
}

VAStatus createImage(VADriverContextP ctx, VAImageFormat *format, int width, int height, VAImage *image)
{
	Driver &drv = driverOf(ctx);
	if (!format || !image || width <= 0 || height <= 0)
		return VA_STATUS_ERROR_INVALID_PARAMETER;
	VAImage layout;
	if (!imageLayout(format->fourcc, static_cast<uint32_t>(width), static_cast<uint32_t>(height), &layout))
		return VA_STATUS_ERROR_INVALID_IMAGE_FORMAT;
	return makeImage(drv, layout, nullptr, nullptr, -1, VA_INVALID_SURFACE, image);
}

VAStatus deriveImage(VADriverContextP ctx, VASurfaceID surfaceId, VAImage *image)
{
	Driver &drv = driverOf(ctx);
	if (!image)
		return VA_STATUS_ERROR_INVALID_PARAMETER;
	auto s = drv.surfaces.get(surfaceId);
	if (!s)
		return VA_STATUS_ERROR_INVALID_SURFACE;
	VAStatus st = waitSurface(*s, drv.syncTimeoutMs);
	if (st != VA_STATUS_SUCCESS && st != VA_STATUS_ERROR_DECODING_ERROR)
		return st;
	std::lock_guard lock(s->mutex);
	CaptureView view;
	std::shared_ptr<DecodeStream> stream;
	uint32_t numPlanes = 0;
	st = captureViewOf(drv, surfaceId, *s, &view, &stream, &numPlanes);
	if (st != VA_STATUS_SUCCESS)
		return st;
	if (!linearFor(view, s->fourcc, numPlanes))
		return VA_STATUS_ERROR_OPERATION_FAILED;	// tiled or packed: use GetImage
	VAImage layout {};
	layout.format = formatOf(s->fourcc);
	layout.width = static_cast<uint16_t>(std::min(s->width, view.width));
	layout.height = static_cast<uint16_t>(std::min(s->height, view.height));
	layout.num_planes = 2;
	layout.pitches[0] = view.stride;
	layout.pitches[1] = view.chromaStride;
	layout.offsets[0] = 0;
	layout.offsets[1] = static_cast<uint32_t>(view.chroma - view.luma);
	layout.data_size = static_cast<uint32_t>(view.lumaSize + view.chromaSize);
	const uint32_t capture = static_cast<uint32_t>(s->capture);
	stream->pinCapture(capture);
	st = makeImage(drv, layout, const_cast<uint8_t *>(view.luma), stream, static_cast<int32_t>(capture),
		       surfaceId, image);
	if (st != VA_STATUS_SUCCESS)
		return st;	// makeImage unpinned through the buffer
	s->derivedImages++;
	return VA_STATUS_SUCCESS;
}

VAStatus destroyImage(VADriverContextP ctx, VAImageID id)
{
	Driver &drv = driverOf(ctx);
	std::shared_ptr<Image> img = drv.images.remove(id);
	if (!img)
		return VA_STATUS_ERROR_INVALID_IMAGE;
	if (img->derivedFrom != VA_INVALID_SURFACE) {
		if (auto s = drv.surfaces.get(img->derivedFrom)) {
			std::lock_guard lock(s->mutex);
			if (s->derivedImages)
				s->derivedImages--;
		}
	}
	const VABufferID bufId = img->image.buf;
	drv.images.recycle(img);
	if (std::shared_ptr<Buffer> buf = drv.buffers.get(bufId)) {
		// A mapping the application still holds stays valid (nothing it points into is
		// freed): the buffer, its ID included, lives on until it is unmapped or destroyed.
		buf->ownedByImage = false;
		buf->imageGone = true;
		bool mapped = buf->mapped;
		buf.reset();
		if (!mapped)
			retireBuffer(drv, bufId);	// unpins a derived image's CAPTURE buffer
	}
	return VA_STATUS_SUCCESS;
}

VAStatus getImage(VADriverContextP ctx, VASurfaceID surfaceId, int x, int y, unsigned int width,
		  unsigned int height, VAImageID imageId)
{
	Driver &drv = driverOf(ctx);
	if (x < 0 || y < 0 || width == 0 || height == 0)
		return VA_STATUS_ERROR_INVALID_PARAMETER;
	ImageTransfer t;
	VAStatus st = prepareTransfer(drv, surfaceId, imageId, &t);
	if (st != VA_STATUS_SUCCESS)
		return st;
	Surface *s = t.surface.get();
	const auto &img = t.image;
	const auto &buf = t.buffer;
	std::lock_guard lock(s->mutex);
	CaptureView view;
	std::shared_ptr<DecodeStream> stream;
	uint32_t numPlanes = 0;
	st = captureViewOf(drv, surfaceId, *s, &view, &stream, &numPlanes);
	if (st != VA_STATUS_SUCCESS)
		return st;
	// An image vaDeriveImage made maps this very CAPTURE buffer: copying the surface into
	// it would copy the memory onto itself (overlapping, shifted by any x/y). Refused with
	// INVALID_PARAMETER: the pair of arguments is what is wrong, and it stays wrong however
	// long the caller waits (SURFACE_BUSY would tell it to retry; va.h gives vaGetImage no
	// SURFACE_BUSY, only rendering/display uses of a surface). Nothing is touched.
	if (overlapsCapture(view, buf->data(), img->image.data_size))
		return VA_STATUS_ERROR_INVALID_PARAMETER;
	// The region must lie in the surface (and in the picture the decoder wrote) and fit the
	// image; FFmpeg asks for the full coded size, which the capture covers.
	uint64_t x1 = static_cast<uint64_t>(x) + width, y1 = static_cast<uint64_t>(y) + height;
	if (x1 > s->width || y1 > s->height || width > img->image.width || height > img->image.height)
		return VA_STATUS_ERROR_INVALID_PARAMETER;
	uint32_t w = static_cast<uint32_t>(std::min<uint64_t>(width, view.width > static_cast<uint32_t>(x) ? view.width - x : 0));
	uint32_t h = static_cast<uint32_t>(std::min<uint64_t>(height, view.height > static_cast<uint32_t>(y) ? view.height - y : 0));
	if (!w || !h)
		return VA_STATUS_ERROR_INVALID_PARAMETER;
	copyToImage(view, static_cast<uint32_t>(x), static_cast<uint32_t>(y), w, h, img->image, buf->data());
	return VA_STATUS_SUCCESS;
}

VAStatus putImage(VADriverContextP ctx, VASurfaceID surfaceId, VAImageID imageId, int srcX, int srcY,
		  unsigned int srcW, unsigned int srcH, int dstX, int dstY, unsigned int dstW,
		  unsigned int dstH)
{
	Driver &drv = driverOf(ctx);
	// No scaling, no offsets in the image: what uploads (FFmpeg hwupload, mpv probes) use.
	if (srcX != 0 || srcY != 0 || srcW != dstW || srcH != dstH || dstX < 0 || dstY < 0)
		return VA_STATUS_ERROR_UNIMPLEMENTED;
	ImageTransfer t;
	VAStatus st = prepareTransfer(drv, surfaceId, imageId, &t);
	if (st != VA_STATUS_SUCCESS)
		return st;
	Surface *s = t.surface.get();
	const auto &img = t.image;
	const auto &buf = t.buffer;
	if (img->image.format.fourcc != VA_FOURCC_NV12)
		return VA_STATUS_ERROR_UNIMPLEMENTED;
	if (srcW == 0 || srcH == 0 || srcW > img->image.width || srcH > img->image.height ||
	    static_cast<uint64_t>(dstX) + dstW > s->width || static_cast<uint64_t>(dstY) + dstH > s->height)
		return VA_STATUS_ERROR_INVALID_PARAMETER;
	std::lock_guard lock(s->mutex);
	CaptureView view;
	std::shared_ptr<DecodeStream> stream;
	uint32_t numPlanes = 0;
	st = captureViewOf(drv, surfaceId, *s, &view, &stream, &numPlanes);
	if (st != VA_STATUS_SUCCESS)
		return st;
	if (!linearFor(view, VA_FOURCC_NV12, numPlanes) ||
	    static_cast<uint64_t>(dstX) + dstW > view.width || static_cast<uint64_t>(dstY) + dstH > view.height)
		return VA_STATUS_ERROR_UNIMPLEMENTED;
	copyFromImage(img->image, buf->data(), static_cast<uint32_t>(dstX), static_cast<uint32_t>(dstY),
		      dstW, dstH, view, const_cast<uint8_t *>(view.luma), const_cast<uint8_t *>(view.chroma));
	return VA_STATUS_SUCCESS;
}

} // namespace v4l2va
