// SPDX-License-Identifier: MIT
// Contexts. CreateContext routes the config's profile to its decoder, opens the context's own
// m2m stream and sets the OUTPUT format; render targets may be 0 (FFmpeg >= 7.1, GStreamer,
// Chromium) and are bound lazily. DestroyContext leaves every surface readable: surfaces keep
// the stream their picture lives in.
#include "va/driver.h"
#include "va/entry_points.h"

#include <cerrno>
#include <cstring>

namespace v4l2va {

VAStatus createContext(VADriverContextP ctx, VAConfigID configId, int width, int height, int flag,
		       VASurfaceID *targets, int numTargets, VAContextID *id)
{
	Driver &drv = driverOf(ctx);
	if (!id || numTargets < 0 || (numTargets > 0 && !targets))
		return VA_STATUS_ERROR_INVALID_PARAMETER;
	auto config = drv.configs.get(configId);
	if (!config)
		return VA_STATUS_ERROR_INVALID_CONFIG;
	const CodecRoute *route = config->route;
	const DeviceCaps &caps = route->caps;
	if (width <= 0 || height <= 0)
		return VA_STATUS_ERROR_INVALID_PARAMETER;
	uint32_t w = static_cast<uint32_t>(width), h = static_cast<uint32_t>(height);
	// The limits QuerySurfaceAttributes reports (ENUM_FRAMESIZES): outside them the decoder
	// cannot work, whatever S_FMT would round the size to (libva-utils' test_va_api expects
	// RESOLUTION_NOT_SUPPORTED there).
	if ((caps.maxWidth && w > caps.maxWidth) || (caps.maxHeight && h > caps.maxHeight) ||
	    w < caps.minWidth || h < caps.minHeight || (!caps.maxWidth && (w > 8192 || h > 8192)))
		return VA_STATUS_ERROR_RESOLUTION_NOT_SUPPORTED;
	for (int i = 0; i < numTargets; i++)
		if (!drv.surfaces.get(targets[i]))
			return VA_STATUS_ERROR_INVALID_SURFACE;

	auto context = std::make_shared<Context>();
	context->config = config;
	context->route = route;
	context->width = w;
	context->height = h;
	context->flags = flag;
	if (numTargets)
		context->renderTargets.assign(targets, targets + numTargets);
	context->codec = route->codec->create(config->profile, caps, w, h);
	if (!context->codec)
		return VA_STATUS_ERROR_ALLOCATION_FAILED;
	int ret = DecodeStream::create(drv.io(), *route->node, *route->codec, caps, w, h, &context->stream);
	if (ret) {
		drv.error("%s: cannot set up %s decoding at %dx%d: %s", route->node->videoPath.c_str(),
			  route->codec->name, width, height, strerror(-ret));
		return statusFromErrno(ret, DeviceStep::Setup);
	}
	uint32_t contextId = drv.contexts.insert(context);
	if (contextId == VA_INVALID_ID)
		return VA_STATUS_ERROR_MAX_NUM_EXCEEDED;
	*id = contextId;
	return VA_STATUS_SUCCESS;
}

VAStatus destroyContext(VADriverContextP ctx, VAContextID id)
{
	Driver &drv = driverOf(ctx);
	std::shared_ptr<Context> context = drv.contexts.remove(id);
	if (!context)
		return VA_STATUS_ERROR_INVALID_CONTEXT;
	std::lock_guard lock(context->mutex);
	if (context->picture.active && context->picture.stream)
		context->picture.stream->abandonPicture(&context->picture.bitstream);
	context->picture = {};
	// Pictures in flight complete on their own; the stream goes with its last surface.
	std::lock_guard streamLock(context->streamMutex);
	context->stream.reset();
	return VA_STATUS_SUCCESS;
}

} // namespace v4l2va
