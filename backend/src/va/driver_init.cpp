// SPDX-License-Identifier: MIT
// Driver entry: __vaDriverInit_<major>_<minor> for the libva it was built against (libva looks
// it up from its own minor downwards, LIBVA:va.c:va_getDriverInitName), every vtable entry
// (the 39 libva checks at load, the 4 it calls without a NULL check, and the optional ones a
// complete decoder provides), device discovery and the per-profile routing table.
#include "va/driver.h"
#include "va/entry_points.h"

#include "codecs/codec.h"
#include "v4l2/device_probe.h"

#include <v4l2emu/board.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

#define V4L2VA_STR2(x) #x
#define V4L2VA_STR(x) V4L2VA_STR2(x)
#define V4L2VA_INIT_NAME2(a, b) __vaDriverInit_##a##_##b
#define V4L2VA_INIT_NAME(a, b) V4L2VA_INIT_NAME2(a, b)

namespace v4l2va {

namespace {

constexpr int kMaxProfiles = 16;
constexpr int kMaxEntrypoints = 2;
constexpr int kMaxAttributes = 8;
constexpr int kMaxImageFormats = 4;
constexpr int kMaxSubpicFormats = 1;
constexpr int kMaxDisplayAttributes = 1;

/// Entry points never throw into C: an allocation failure becomes ALLOCATION_FAILED.
template<auto F> struct Guarded;
template<typename... A, VAStatus (*F)(A...)> struct Guarded<F> {
	static VAStatus call(A... args) noexcept
	{
		try {
			return F(args...);
		} catch (const std::bad_alloc &) {
			return VA_STATUS_ERROR_ALLOCATION_FAILED;
		} catch (...) {
			return VA_STATUS_ERROR_OPERATION_FAILED;
		}
	}
};
#define V4L2VA_ENTRY(field, fn) vt->field = &Guarded<&fn>::call

void fillVtable(struct VADriverVTable *vt)
{
	V4L2VA_ENTRY(vaTerminate, terminate);
	V4L2VA_ENTRY(vaQueryConfigProfiles, queryConfigProfiles);
	V4L2VA_ENTRY(vaQueryConfigEntrypoints, queryConfigEntrypoints);
	V4L2VA_ENTRY(vaGetConfigAttributes, getConfigAttributes);
	V4L2VA_ENTRY(vaCreateConfig, createConfig);
	V4L2VA_ENTRY(vaDestroyConfig, destroyConfig);
	V4L2VA_ENTRY(vaQueryConfigAttributes, queryConfigAttributes);
	V4L2VA_ENTRY(vaCreateSurfaces, createSurfaces);
	V4L2VA_ENTRY(vaDestroySurfaces, destroySurfaces);
	V4L2VA_ENTRY(vaCreateContext, createContext);
	V4L2VA_ENTRY(vaDestroyContext, destroyContext);
	V4L2VA_ENTRY(vaCreateBuffer, createBuffer);
	V4L2VA_ENTRY(vaBufferSetNumElements, bufferSetNumElements);
	V4L2VA_ENTRY(vaMapBuffer, mapBuffer);
	V4L2VA_ENTRY(vaUnmapBuffer, unmapBuffer);
	V4L2VA_ENTRY(vaDestroyBuffer, destroyBuffer);
	V4L2VA_ENTRY(vaBeginPicture, beginPicture);
	V4L2VA_ENTRY(vaRenderPicture, renderPicture);
	V4L2VA_ENTRY(vaEndPicture, endPicture);
	V4L2VA_ENTRY(vaSyncSurface, syncSurface);
	V4L2VA_ENTRY(vaQuerySurfaceStatus, querySurfaceStatus);
	V4L2VA_ENTRY(vaQuerySurfaceError, querySurfaceError);
	V4L2VA_ENTRY(vaPutSurface, putSurface);
	V4L2VA_ENTRY(vaQueryImageFormats, queryImageFormats);
	V4L2VA_ENTRY(vaCreateImage, createImage);
	V4L2VA_ENTRY(vaDeriveImage, deriveImage);
	V4L2VA_ENTRY(vaDestroyImage, destroyImage);
	V4L2VA_ENTRY(vaSetImagePalette, setImagePalette);
	V4L2VA_ENTRY(vaGetImage, getImage);
	V4L2VA_ENTRY(vaPutImage, putImage);
	V4L2VA_ENTRY(vaQuerySubpictureFormats, querySubpictureFormats);
	V4L2VA_ENTRY(vaCreateSubpicture, createSubpicture);
	V4L2VA_ENTRY(vaDestroySubpicture, destroySubpicture);
	V4L2VA_ENTRY(vaSetSubpictureImage, setSubpictureImage);
	V4L2VA_ENTRY(vaSetSubpictureChromakey, setSubpictureChromakey);
	V4L2VA_ENTRY(vaSetSubpictureGlobalAlpha, setSubpictureGlobalAlpha);
	V4L2VA_ENTRY(vaAssociateSubpicture, associateSubpicture);
	V4L2VA_ENTRY(vaDeassociateSubpicture, deassociateSubpicture);
	V4L2VA_ENTRY(vaQueryDisplayAttributes, queryDisplayAttributes);
	V4L2VA_ENTRY(vaGetDisplayAttributes, getDisplayAttributes);
	V4L2VA_ENTRY(vaSetDisplayAttributes, setDisplayAttributes);
	V4L2VA_ENTRY(vaBufferInfo, bufferInfo);
	V4L2VA_ENTRY(vaLockSurface, lockSurface);
	V4L2VA_ENTRY(vaUnlockSurface, unlockSurface);
	V4L2VA_ENTRY(vaCreateSurfaces2, createSurfaces2);
	V4L2VA_ENTRY(vaQuerySurfaceAttributes, querySurfaceAttributes);
	V4L2VA_ENTRY(vaAcquireBufferHandle, acquireBufferHandle);
	V4L2VA_ENTRY(vaReleaseBufferHandle, releaseBufferHandle);
	V4L2VA_ENTRY(vaExportSurfaceHandle, exportSurfaceHandle);
	V4L2VA_ENTRY(vaSyncSurface2, syncSurface2);
	V4L2VA_ENTRY(vaSyncBuffer, syncBuffer);
	// Encode (CreateBuffer2), multi-frame (MF*), QueryProcessingRate, Copy and the deprecated
	// GetSurfaceAttributes stay NULL: libva checks them and answers UNIMPLEMENTED.
}

bool verbose()
{
	const char *v = getenv("V4L2VA_LOG");
	return v && *v && strcmp(v, "0") != 0;
}

void message(VADriverContextP ctx, bool isError, const char *fmt, va_list ap)
{
	char line[512];
	int n = snprintf(line, sizeof(line), "v4l2-request: ");
	vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	auto cb = !ctx ? nullptr : isError ? ctx->error_callback : ctx->info_callback;
	if (cb) {
		cb(ctx, line);
		return;
	}
	fprintf(stderr, "%s\n", line);
}

VAStatus initialize(VADriverContextP ctx)
{
	auto drv = std::make_unique<Driver>();
	drv->ctx = ctx;
	ctx->pDriverData = drv.get();
	std::string error;
	int ret = openSeam(&drv->seam, &error);
	if (ret) {
		drv->error("cannot open the device seam: %s", error.c_str());
		ctx->pDriverData = nullptr;
		return VA_STATUS_ERROR_OPERATION_FAILED;
	}
	FinderResult found;
	ret = findDecoders(drv->io(), &found);
	for (const std::string &s : found.skipped)
		drv->log("skipped %s", s.c_str());
	if (ret) {
		drv->error("decoder discovery failed: %s (LIBVA_V4L2_REQUEST_VIDEO_PATH/"
			   "LIBVA_V4L2_REQUEST_MEDIA_PATH?)", strerror(-ret));
		ctx->pDriverData = nullptr;
		return VA_STATUS_ERROR_OPERATION_FAILED;
	}
	drv->decoders = std::move(found.decoders);
	// Routes: every (decoder, codec) pair the node accepts; the first decoder offering a
	// profile serves it (one display spans rkvdec and hantro on RK3399).
	for (const DecoderNode &node : drv->decoders) {
		for (const CodecDescriptor *codec : allCodecs()) {
			CodecRoute route;
			route.codec = codec;
			route.node = &node;
			int r = probeCodec(drv->io(), node, *codec, &route.caps);
			if (r == 0)
				drv->routes.push_back(std::move(route));
			else if (node.supports(codec->codedFourcc))
				drv->log("%s: %s not usable: %s", node.videoPath.c_str(), codec->name,
					 strerror(-r));
		}
	}
	if (drv->routes.empty())
		drv->error("no V4L2 stateless decoder found (%s); no profile is offered",
			   drv->seam.description.c_str());
	for (const CodecRoute &r : drv->routes)
		drv->log("%s (%s): %s", r.node->videoPath.c_str(), r.node->driver.c_str(), r.codec->name);

	drv->vendor = "v4l2-request VA-API driver for V4L2 stateless decoders (" +
		      drv->seam.description + ")";
	ctx->version_major = VA_MAJOR_VERSION;
	ctx->version_minor = VA_MINOR_VERSION;
	ctx->max_profiles = kMaxProfiles;
	ctx->max_entrypoints = kMaxEntrypoints;
	ctx->max_attributes = kMaxAttributes;
	ctx->max_image_formats = kMaxImageFormats;
	ctx->max_subpic_formats = kMaxSubpicFormats;
	ctx->max_display_attributes = kMaxDisplayAttributes;
	ctx->str_vendor = drv->vendor.c_str();
	fillVtable(ctx->vtable);
	drv.release();
	return VA_STATUS_SUCCESS;
}

} // namespace

void Driver::log(const char *fmt, ...) const
{
	if (!verbose())
		return;
	va_list ap;
	va_start(ap, fmt);
	message(ctx, false, fmt, ap);
	va_end(ap);
}

void Driver::error(const char *fmt, ...) const
{
	va_list ap;
	va_start(ap, fmt);
	message(ctx, true, fmt, ap);
	va_end(ap);
}

const CodecRoute *Driver::routeFor(VAProfile profile) const
{
	for (const CodecRoute &r : routes) {
		bool served = false;
		for (VAProfile p : r.codec->profiles)
			served |= p == profile;
		if (served && (!r.codec->profileSupported || r.codec->profileSupported(profile, r.caps)))
			return &r;
	}
	return nullptr;
}

VAStatus statusFromErrno(int err, DeviceStep step)
{
	switch (-err) {
	case 0: return VA_STATUS_SUCCESS;
	case ENOMEM: return VA_STATUS_ERROR_ALLOCATION_FAILED;
	case ENOBUFS: return VA_STATUS_ERROR_MAX_NUM_EXCEEDED;
	case ETIMEDOUT: return VA_STATUS_ERROR_TIMEDOUT;
	case EBUSY: return VA_STATUS_ERROR_HW_BUSY;
	case EIO:
		return step == DeviceStep::Decode ? VA_STATUS_ERROR_DECODING_ERROR
						  : VA_STATUS_ERROR_OPERATION_FAILED;
	case ENODEV:
	case ENXIO: return VA_STATUS_ERROR_HW_BUSY;
	case EINVAL: return VA_STATUS_ERROR_INVALID_PARAMETER;
	default: return VA_STATUS_ERROR_OPERATION_FAILED;
	}
}

VAStatus terminate(VADriverContextP ctx)
{
	Driver *drv = static_cast<Driver *>(ctx->pDriverData);
	if (!drv)
		return VA_STATUS_ERROR_INVALID_DISPLAY;
	// Objects the application left behind go in dependency order: images (they pin capture
	// buffers), buffers, contexts, surfaces; each stream closes with its last user.
	for (auto &[id, img] : drv->images.all())
		destroyImage(ctx, id);
	for (auto &[id, buf] : drv->buffers.all())
		destroyBuffer(ctx, id);
	for (auto &[id, c] : drv->contexts.all())
		destroyContext(ctx, id);
	for (auto &[id, s] : drv->surfaces.all()) {
		VASurfaceID sid = id;
		destroySurfaces(ctx, &sid, 1);
	}
	for (auto &[id, c] : drv->configs.all())
		destroyConfig(ctx, id);
	drv->buffers.clearRecycled();
	drv->images.clearRecycled();
	ctx->pDriverData = nullptr;
	delete drv;
	return VA_STATUS_SUCCESS;
}

} // namespace v4l2va

extern "C" {

__attribute__((visibility("default"))) VAStatus
V4L2VA_INIT_NAME(V4L2VA_VA_MAJOR, V4L2VA_VA_MINOR)(VADriverContextP ctx)
{
	if (!ctx || !ctx->vtable)
		return VA_STATUS_ERROR_INVALID_CONTEXT;
	try {
		return v4l2va::initialize(ctx);
	} catch (const std::bad_alloc &) {
		ctx->pDriverData = nullptr;
		return VA_STATUS_ERROR_ALLOCATION_FAILED;
	}
}

/// For tests: the emulated board a driver instance runs on, or nullptr on a kernel seam.
__attribute__((visibility("default"))) void *v4l2va_test_board(VADriverContextP ctx)
{
	if (!ctx || !ctx->pDriverData)
		return nullptr;
	return v4l2va::driverOf(ctx).seam.board.get();
}

/// For tests: a new reference to that board (a heap std::shared_ptr<v4l2emu::Board> the caller
/// deletes), so leak checks can read it after vaTerminate.
__attribute__((visibility("default"))) void *v4l2va_test_board_share(VADriverContextP ctx)
{
	if (!ctx || !ctx->pDriverData || !v4l2va::driverOf(ctx).seam.board)
		return nullptr;
	return new std::shared_ptr<v4l2emu::Board>(v4l2va::driverOf(ctx).seam.board);
}

}
