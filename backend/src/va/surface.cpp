// SPDX-License-Identifier: MIT
// Surfaces. CreateSurfaces2 never touches the device: a surface is a record (size, format)
// until a decode binds it to a CAPTURE buffer, or until it is read or exported before any
// decode (FFmpeg's derive probe, mpv/GStreamer/Kodi export probes, Chromium's export right after
// creation), when it gets backing from a context that can take it or from a probe stream.
#include "va/defect_hooks.h"
#include "va/driver.h"
#include "va/entry_points.h"

#include <va/va_drmcommon.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace v4l2va {

namespace {

constexpr unsigned kMaxSurfaceDimension = 16384;
constexpr unsigned kMaxSurfacesPerCall = 4096;

struct SurfaceRequest {
	uint32_t fourcc = 0;
};

VAStatus parseAttributes(uint32_t rtFormat, const VASurfaceAttrib *attribs, unsigned num,
			 SurfaceRequest *out)
{
	uint32_t fourcc = rtFormat == VA_RT_FORMAT_YUV420_10 ? VA_FOURCC_P010 : VA_FOURCC_NV12;
	bool external = false;
	uint32_t memType = VA_SURFACE_ATTRIB_MEM_TYPE_VA;
	for (unsigned i = 0; i < num; i++) {
		const VASurfaceAttrib &a = attribs[i];
		// FFmpeg 5.1 sends PixelFormat with flags = 0 and value.type = 0 (fixed in 6.0 by
		// 737298b4f7): accept it; GETTABLE-only attributes echoed back by libva-utils are
		// ignored.
		switch (a.type) {
		case VASurfaceAttribPixelFormat:
			if (a.value.type != VAGenericValueTypeInteger && a.value.type != 0)
				return VA_STATUS_ERROR_INVALID_PARAMETER;
			fourcc = static_cast<uint32_t>(a.value.value.i);
			break;
		case VASurfaceAttribMemoryType:
			memType = static_cast<uint32_t>(a.value.value.i);
			break;
		case VASurfaceAttribExternalBufferDescriptor:
			external = a.value.value.p != nullptr;
			break;
		default:
			break;	// UsageHint, min/max sizes echoed back: nothing to do
		}
	}
	const uint32_t known = VA_SURFACE_ATTRIB_MEM_TYPE_VA | VA_SURFACE_ATTRIB_MEM_TYPE_DRM_PRIME_2;
	// Importing foreign memory would need DMABUF CAPTURE buffers of the right layout, which
	// the decoders do not promise; say so instead of decoding into the wrong memory.
	if (external || (memType & ~known) || memType == 0)
		return VA_STATUS_ERROR_UNSUPPORTED_MEMORY_TYPE;
	// The decoders write semi-planar 4:2:0 only: NV12, or P010 for 10-bit. The PixelFormat
	// decides between them (libva-utils echoes a Main10 config's P010 with YUV420); I420 and
	// the like are image formats for GetImage, not surface formats.
	if (fourcc != VA_FOURCC_NV12 && fourcc != VA_FOURCC_P010)
		return VA_STATUS_ERROR_INVALID_IMAGE_FORMAT;
	out->fourcc = fourcc;
	return VA_STATUS_SUCCESS;
}

} // namespace

VAStatus createSurfaces2(VADriverContextP ctx, unsigned int format, unsigned int width,
			 unsigned int height, VASurfaceID *surfaces, unsigned int num,
			 VASurfaceAttrib *attribs, unsigned int numAttribs)
{
	Driver &drv = driverOf(ctx);
	if (!surfaces || num == 0 || num > kMaxSurfacesPerCall || (numAttribs && !attribs))
		return VA_STATUS_ERROR_INVALID_PARAMETER;
	if (format != VA_RT_FORMAT_YUV420 && format != VA_RT_FORMAT_YUV420_10)
		return VA_STATUS_ERROR_UNSUPPORTED_RT_FORMAT;
	if (width == 0 || height == 0 || width > kMaxSurfaceDimension || height > kMaxSurfaceDimension)
		return VA_STATUS_ERROR_RESOLUTION_NOT_SUPPORTED;
	SurfaceRequest req;
	VAStatus st = parseAttributes(format, attribs, numAttribs, &req);
	if (st != VA_STATUS_SUCCESS)
		return st;
#ifdef V4L2VA_DEFECT_UNCHECKED_REQBUFS
	DefectHooks::tearDownCapturePools(drv, width, height, req.fourcc); // test-only module
#endif
	for (unsigned i = 0; i < num; i++) {
		auto s = std::make_shared<Surface>();
		s->width = width;
		s->height = height;
		s->rtFormat = req.fourcc == VA_FOURCC_P010 ? VA_RT_FORMAT_YUV420_10 : VA_RT_FORMAT_YUV420;
		s->fourcc = req.fourcc;
		uint32_t id = drv.surfaces.insert(std::move(s));
		if (id == VA_INVALID_ID) {
			for (unsigned j = 0; j < i; j++)
				drv.surfaces.remove(surfaces[j]);
			return VA_STATUS_ERROR_ALLOCATION_FAILED;
		}
		surfaces[i] = id;
	}
	return VA_STATUS_SUCCESS;
}

VAStatus createSurfaces(VADriverContextP ctx, int width, int height, int format, int num,
			VASurfaceID *surfaces)
{
	if (width <= 0 || height <= 0 || num <= 0)
		return VA_STATUS_ERROR_INVALID_PARAMETER;
	return createSurfaces2(ctx, static_cast<unsigned>(format), static_cast<unsigned>(width),
			       static_cast<unsigned>(height), surfaces, static_cast<unsigned>(num),
			       nullptr, 0);
}

VAStatus destroySurfaces(VADriverContextP ctx, VASurfaceID *list, int num)
{
	Driver &drv = driverOf(ctx);
	if (num < 0 || (num > 0 && !list))
		return VA_STATUS_ERROR_INVALID_PARAMETER;
	// All or nothing: an unknown ID destroys none.
	for (int i = 0; i < num; i++)
		if (!drv.surfaces.get(list[i]))
			return VA_STATUS_ERROR_INVALID_SURFACE;
	for (int i = 0; i < num; i++) {
		std::shared_ptr<Surface> s = drv.surfaces.remove(list[i]);
		if (!s)
			continue;	// listed twice
		std::lock_guard lock(s->mutex);
		if (s->bound()) {
			// Waits for a decode still writing into it; a derived image keeps the buffer
			// pinned (and the stream alive) until the image goes.
			s->stream->releaseCapture(static_cast<uint32_t>(s->capture));
			s->setBinding(nullptr, -1);
		}
	}
	return VA_STATUS_SUCCESS;
}

VAStatus waitSurface(Surface &surface, int timeoutMs)
{
	std::shared_ptr<DecodeStream> stream;
	int32_t capture;
	{
		std::lock_guard lock(surface.mutex);
		stream = surface.stream;
		capture = surface.capture;
	}
	if (!stream || capture < 0)
		return VA_STATUS_SUCCESS;	// never decoded: nothing to wait for
	int ret = stream->sync(static_cast<uint32_t>(capture), timeoutMs);
	std::lock_guard lock(surface.mutex);
	// How the decode went is the buffer's state; a failed reap (DQBUF) leaves it pending.
	if (surface.stream == stream && surface.capture == capture && ret != -ETIMEDOUT)
		surface.decodeFailed =
			stream->captureState(static_cast<uint32_t>(capture)) == CaptureState::Failed;
	if (ret == -EIO)
		return VA_STATUS_ERROR_DECODING_ERROR;
	return statusFromErrno(ret, DeviceStep::Decode);
}

VAStatus syncSurface(VADriverContextP ctx, VASurfaceID id)
{
	Driver &drv = driverOf(ctx);
	auto s = drv.surfaces.get(id);
	if (!s)
		return VA_STATUS_ERROR_INVALID_SURFACE;
	return waitSurface(*s, drv.syncTimeoutMs);
}

VAStatus syncSurface2(VADriverContextP ctx, VASurfaceID id, uint64_t timeoutNs)
{
	Driver &drv = driverOf(ctx);
	auto s = drv.surfaces.get(id);
	if (!s)
		return VA_STATUS_ERROR_INVALID_SURFACE;
	// VA_TIMEOUT_INFINITE is UINT64_MAX: wait as long as the hardware watchdog allows.
	uint64_t ms = timeoutNs / 1000000;
	int timeoutMs = ms > static_cast<uint64_t>(drv.syncTimeoutMs) ? drv.syncTimeoutMs
								     : static_cast<int>(ms);
	return waitSurface(*s, timeoutMs);
}

VAStatus querySurfaceStatus(VADriverContextP ctx, VASurfaceID id, VASurfaceStatus *status)
{
	Driver &drv = driverOf(ctx);
	if (!status)
		return VA_STATUS_ERROR_INVALID_PARAMETER;
	auto s = drv.surfaces.get(id);
	if (!s)
		return VA_STATUS_ERROR_INVALID_SURFACE;
	std::shared_ptr<DecodeStream> stream;
	int32_t capture;
	{
		std::lock_guard lock(s->mutex);
		stream = s->stream;
		capture = s->capture;
	}
	// A never-decoded surface is Ready: GStreamer polls for Ready before deriving and
	// silently disables derive otherwise (consumer-patterns §8.5).
	*status = VASurfaceReady;
	if (stream && capture >= 0) {
		stream->poll();
		if (stream->captureState(static_cast<uint32_t>(capture)) == CaptureState::Queued)
			*status = VASurfaceRendering;
	}
	return VA_STATUS_SUCCESS;
}

VAStatus querySurfaceError(VADriverContextP ctx, VASurfaceID id, VAStatus error, void **info)
{
	Driver &drv = driverOf(ctx);
	if (!info)
		return VA_STATUS_ERROR_INVALID_PARAMETER;
	auto s = drv.surfaces.get(id);
	if (!s)
		return VA_STATUS_ERROR_INVALID_SURFACE;
	if (error != VA_STATUS_ERROR_DECODING_ERROR)
		return VA_STATUS_ERROR_UNIMPLEMENTED;
	std::lock_guard lock(s->mutex);
	// The array lives in the surface (the caller reads it after we return), ended by
	// status == -1 as va.h defines. V4L2 reports errors per picture, not per macroblock.
	unsigned n = 0;
	if (s->decodeFailed) {
		uint32_t mbs = ((s->width + 15) / 16) * ((s->height + 15) / 16);
		s->errors[n] = {};
		s->errors[n].status = 1;
		s->errors[n].start_mb = 0;
		s->errors[n].end_mb = mbs ? mbs - 1 : 0;
		s->errors[n].decode_error_type = VADecodeMBError;
		s->errors[n].num_mb = mbs;
		n++;
	}
	s->errors[n] = {};
	s->errors[n].status = -1;
	*info = s->errors;
	return VA_STATUS_SUCCESS;
}

VAStatus querySurfaceAttributes(VADriverContextP ctx, VAConfigID config, VASurfaceAttrib *attribs,
				unsigned int *num)
{
	Driver &drv = driverOf(ctx);
	if (!num)
		return VA_STATUS_ERROR_INVALID_PARAMETER;
	auto cfg = drv.configs.get(config);
	if (!cfg)
		return VA_STATUS_ERROR_INVALID_CONFIG;
	const DeviceCaps &caps = cfg->route->caps;
	VASurfaceAttrib list[6] = {};
	unsigned n = 0;
	auto add = [&](VASurfaceAttribType type, uint32_t flags, int32_t value) {
		list[n].type = type;
		list[n].flags = flags;
		list[n].value.type = VAGenericValueTypeInteger;
		list[n].value.value.i = value;
		n++;
	};
	const uint32_t rw = VA_SURFACE_ATTRIB_GETTABLE | VA_SURFACE_ATTRIB_SETTABLE;
	add(VASurfaceAttribPixelFormat, rw,
	    cfg->rtFormat == VA_RT_FORMAT_YUV420_10 ? VA_FOURCC_P010 : VA_FOURCC_NV12);
	add(VASurfaceAttribMinWidth, VA_SURFACE_ATTRIB_GETTABLE, caps.minWidth ? caps.minWidth : 16);
	add(VASurfaceAttribMinHeight, VA_SURFACE_ATTRIB_GETTABLE, caps.minHeight ? caps.minHeight : 16);
	// Never empty (Chromium requires a maximum resolution).
	add(VASurfaceAttribMaxWidth, VA_SURFACE_ATTRIB_GETTABLE, caps.maxWidth ? caps.maxWidth : 4096);
	add(VASurfaceAttribMaxHeight, VA_SURFACE_ATTRIB_GETTABLE, caps.maxHeight ? caps.maxHeight : 4096);
	add(VASurfaceAttribMemoryType, rw,
	    VA_SURFACE_ATTRIB_MEM_TYPE_VA | VA_SURFACE_ATTRIB_MEM_TYPE_DRM_PRIME_2);
	// With attribs == NULL the count is returned and the incoming *num ignored (FFmpeg leaves
	// it uninitialised).
	if (!attribs) {
		*num = n;
		return VA_STATUS_SUCCESS;
	}
	if (*num < n) {
		*num = n;
		return VA_STATUS_ERROR_MAX_NUM_EXCEEDED;
	}
	std::copy(list, list + n, attribs);
	*num = n;
	return VA_STATUS_SUCCESS;
}

// --- backing --------------------------------------------------------------------------------

VAStatus bindSurface(Driver &drv, Surface &surface, const std::shared_ptr<DecodeStream> &stream)
{
	(void)drv;
	if (surface.stream == stream && surface.capture >= 0)
		return VA_STATUS_SUCCESS;
	uint32_t index = 0;
	int ret = stream->bindCapture(&index);
	if (ret)
		return statusFromErrno(ret, DeviceStep::Setup);
	// Only now let the old buffer go, so a failure above leaves the surface as it was.
	if (surface.bound())
		surface.stream->releaseCapture(static_cast<uint32_t>(surface.capture));
	surface.setBinding(stream, static_cast<int32_t>(index));
	surface.decodeFailed = false;
	return VA_STATUS_SUCCESS;
}

namespace {

/// A stream of a live context that this surface may get a buffer from: a context listing it
/// as a render target first, else one of the surface's size (Chromium creates its surfaces
/// after a 0-target context and exports them before decoding).
std::shared_ptr<DecodeStream> contextStreamFor(Driver &drv, VASurfaceID id, const Surface &surface)
{
	std::shared_ptr<Context> sameSize;
	for (auto &[cid, c] : drv.contexts.all()) {
		if (std::find(c->renderTargets.begin(), c->renderTargets.end(), id) != c->renderTargets.end())
			return c->currentStream();
		if (!sameSize && c->width == surface.width && c->height == surface.height)
			sameSize = c;
	}
	return sameSize ? sameSize->currentStream() : nullptr;
}

SequenceInfo defaultSequence(const Surface &surface, const DecodeStream &stream)
{
	SequenceInfo seq;
	seq.codedWidth = std::max(surface.width, stream.width());
	seq.codedHeight = std::max(surface.height, stream.height());
	seq.bitDepth = surface.rtFormat == VA_RT_FORMAT_YUV420_10 ? 10 : 8;
	seq.chromaFormatIdc = 1;
	return seq;
}

} // namespace

VAStatus ensureBacking(Driver &drv, VASurfaceID id, Surface &surface)
{
	if (surface.bound())
		return VA_STATUS_SUCCESS;
	std::shared_ptr<DecodeStream> stream = contextStreamFor(drv, id, surface);
	if (stream && !stream->ready()) {
		// Not decoded yet: set up CAPTURE for the context's size now, as the first
		// picture's sequence would (a different sequence later moves to a new stream).
		int ret = stream->configureCapture(UnitControls {}, defaultSequence(surface, *stream));
		if (ret && ret != -EBUSY) {
			// No fallback to a probe stream: the context's decodes into this surface would
			// not use that memory, so an export made now would never show a picture
			// (consumer-patterns.md §8.6). The caller gets the error and may try again.
			drv.error("no backing for surface 0x%x on its context's stream: %s", id,
				  strerror(-ret));
			return statusFromErrno(ret, DeviceStep::Setup);
		}
	}
	if (!stream) {
		// A probe surface no context will decode into: a throw-away stream on the first
		// decoder gives it real, exportable memory (MEGI's standalone backing).
		std::lock_guard lock(drv.probeMutex);
		stream = drv.probeStream.lock();
		if (stream && (stream->width() < surface.width || stream->height() < surface.height ||
			       (surface.rtFormat == VA_RT_FORMAT_YUV420_10) != (stream->sequence().bitDepth > 8)))
			stream.reset();
		if (!stream) {
			if (drv.routes.empty())
				return VA_STATUS_ERROR_OPERATION_FAILED;
			const CodecRoute &route = drv.routes.front();
			int ret = DecodeStream::create(drv.io(), *route.node, *route.codec, route.caps,
						       surface.width, surface.height, &stream);
			if (!ret)
				ret = stream->configureCapture(UnitControls {}, defaultSequence(surface, *stream));
			if (ret) {
				drv.error("no backing for surface 0x%x (%ux%u): %s", id, surface.width,
					  surface.height, strerror(-ret));
				return statusFromErrno(ret, DeviceStep::Setup);
			}
			drv.probeStream = stream;
		}
	}
	return bindSurface(drv, surface, stream);
}

} // namespace v4l2va
