// SPDX-License-Identifier: MIT
// Export: ExportSurfaceHandle(DRM_PRIME_2) through VIDIOC_EXPBUF of the surface's CAPTURE
// buffer, honouring SEPARATE_LAYERS (NV12 as R8 + GR88, which FFmpeg always asks for) and
// COMPOSED_LAYERS (mpv's Wayland path). A surface exported before its first decode gets its
// CAPTURE buffer now, so the later decode lands in the exported memory (Chromium, mpv, Kodi
// and Firefox export before they sync). Acquire/ReleaseBufferHandle export a derived image.
#include "va/driver.h"
#include "va/entry_points.h"
#include "va/image_copy.h"

#include <libdrm/drm_fourcc.h>
#include <va/va_drmcommon.h>

#include <cerrno>

namespace v4l2va {

namespace {

struct DrmLayout {
	uint32_t composed;	///< DRM fourcc of the whole picture
	uint32_t luma, chroma;	///< per-plane DRM fourccs for SEPARATE_LAYERS (0: cannot)
	uint64_t modifier;
};

bool drmLayoutOf(uint32_t v4l2Fourcc, DrmLayout *out)
{
	switch (v4l2Fourcc) {
	case V4L2_PIX_FMT_NV12: *out = {DRM_FORMAT_NV12, DRM_FORMAT_R8, DRM_FORMAT_GR88, DRM_FORMAT_MOD_LINEAR}; return true;
	case V4L2_PIX_FMT_P010:
		*out = {DRM_FORMAT_P010, DRM_FORMAT_R16, DRM_FORMAT_GR1616, DRM_FORMAT_MOD_LINEAR};
		return true;
	case V4L2_PIX_FMT_NV15: *out = {DRM_FORMAT_NV15, 0, 0, DRM_FORMAT_MOD_LINEAR}; return true;
	case V4L2_PIX_FMT_NV12_32L32:
		*out = {DRM_FORMAT_NV12, 0, 0, DRM_FORMAT_MOD_ALLWINNER_TILED};
		return true;
	default: return false;	// no DRM description (NV12_4L4, 4:2:2): say so, do not lie
	}
}

} // namespace

VAStatus exportSurfaceHandle(VADriverContextP ctx, VASurfaceID surfaceId, uint32_t memType, uint32_t flags,
			     void *descriptor)
{
	Driver &drv = driverOf(ctx);
	if (memType != VA_SURFACE_ATTRIB_MEM_TYPE_DRM_PRIME_2)
		return VA_STATUS_ERROR_UNSUPPORTED_MEMORY_TYPE;
	if (!descriptor)
		return VA_STATUS_ERROR_INVALID_PARAMETER;
	auto s = drv.surfaces.get(surfaceId);
	if (!s)
		return VA_STATUS_ERROR_INVALID_SURFACE;
	std::lock_guard lock(s->mutex);
	VAStatus st = ensureBacking(drv, surfaceId, *s);
	if (st != VA_STATUS_SUCCESS)
		return st;
	const uint32_t capture = static_cast<uint32_t>(s->capture);
	PlaneMapping planes[VIDEO_MAX_PLANES];
	uint32_t numPlanes = 0;
	CaptureView view;
	struct v4l2_pix_format_mplane fmt = s->stream->captureFormat();
	if (s->stream->captureMapping(capture, planes, &numPlanes) ||
	    describeCapture(fmt, planes, numPlanes, &view))
		return VA_STATUS_ERROR_OPERATION_FAILED;
	DrmLayout drm;
	if (!drmLayoutOf(fmt.pixelformat, &drm))
		return VA_STATUS_ERROR_UNSUPPORTED_MEMORY_TYPE;
	const bool separate = flags & VA_EXPORT_SURFACE_SEPARATE_LAYERS;
	if (separate && !drm.luma)
		return VA_STATUS_ERROR_INVALID_SURFACE;	// packed/tiled: only COMPOSED describes it
	int fds[VIDEO_MAX_PLANES];
	uint32_t exported = 0;
	int ret = s->stream->exportCapture(capture, fds, &exported);
	if (ret)
		return statusFromErrno(ret, DeviceStep::Setup);

	VADRMPRIMESurfaceDescriptor d {};
	d.fourcc = s->fourcc;
	d.width = s->width;
	d.height = s->height;
	d.num_objects = exported;
	for (uint32_t i = 0; i < exported; i++) {
		d.objects[i].fd = fds[i];
		d.objects[i].size = static_cast<uint32_t>(planes[i].length);
		d.objects[i].drm_format_modifier = drm.modifier;
	}
	const uint32_t chromaObject = exported > 1 ? 1 : 0;
	const uint32_t chromaOffset =
		exported > 1 ? 0 : static_cast<uint32_t>(view.chroma - view.luma);
	if (separate) {
		d.num_layers = 2;
		d.layers[0] = {drm.luma, 1, {0}, {0}, {view.stride}};
		d.layers[1] = {drm.chroma, 1, {chromaObject}, {chromaOffset}, {view.chromaStride}};
	} else {
		d.num_layers = 1;
		d.layers[0].drm_format = drm.composed;
		d.layers[0].num_planes = 2;
		d.layers[0].object_index[0] = 0;
		d.layers[0].object_index[1] = chromaObject;
		d.layers[0].offset[1] = chromaOffset;
		d.layers[0].pitch[0] = view.stride;
		d.layers[0].pitch[1] = view.chromaStride;
	}
	*static_cast<VADRMPRIMESurfaceDescriptor *>(descriptor) = d;
	return VA_STATUS_SUCCESS;
}

VAStatus acquireBufferHandle(VADriverContextP ctx, VABufferID id, VABufferInfo *info)
{
	Driver &drv = driverOf(ctx);
	if (!info)
		return VA_STATUS_ERROR_INVALID_PARAMETER;
	auto buf = drv.buffers.get(id);
	if (!buf)
		return VA_STATUS_ERROR_INVALID_BUFFER;
	// Only a derived image's buffer is device memory (gstreamer-vaapi, FFmpeg's fallback).
	if (!buf->pinnedStream)
		return VA_STATUS_ERROR_INVALID_BUFFER;
	uint32_t memType = info->mem_type ? info->mem_type : VA_SURFACE_ATTRIB_MEM_TYPE_DRM_PRIME;
	if (!(memType & VA_SURFACE_ATTRIB_MEM_TYPE_DRM_PRIME))
		return VA_STATUS_ERROR_UNSUPPORTED_MEMORY_TYPE;
	if (buf->exportedFd < 0) {
		int fds[VIDEO_MAX_PLANES];
		uint32_t n = 0;
		int ret = buf->pinnedStream->exportCapture(static_cast<uint32_t>(buf->pinnedCapture), fds, &n);
		if (ret)
			return statusFromErrno(ret, DeviceStep::Setup);
		for (uint32_t i = 1; i < n; i++)
			drv.io().close(fds[i]);
		buf->exportedFd = fds[0];
	}
	info->handle = static_cast<uintptr_t>(buf->exportedFd);
	info->type = VAImageBufferType;
	info->mem_type = VA_SURFACE_ATTRIB_MEM_TYPE_DRM_PRIME;
	info->mem_size = buf->size();
	return VA_STATUS_SUCCESS;
}

VAStatus releaseBufferHandle(VADriverContextP ctx, VABufferID id)
{
	Driver &drv = driverOf(ctx);
	auto buf = drv.buffers.get(id);
	if (!buf)
		return VA_STATUS_ERROR_INVALID_BUFFER;
	if (buf->exportedFd >= 0) {
		drv.io().close(buf->exportedFd);
		buf->exportedFd = -1;
	}
	return VA_STATUS_SUCCESS;
}

} // namespace v4l2va
