// SPDX-License-Identifier: MIT
// Profiles, entry points and configs. A profile is offered when some decoder's OUTPUT queue
// takes its coded format (and the profile's extra needs, e.g. a 10-bit capture format, are met);
// the config remembers which decoder serves it. Decode only: VLD is the one entry point.
#include "va/driver.h"
#include "va/entry_points.h"

#include <algorithm>

namespace v4l2va {

namespace {

bool tenBit(VAProfile p)
{
	return p == VAProfileHEVCMain10 || p == VAProfileVP9Profile2;
}

uint32_t rtFormatsOf(VAProfile p)
{
	return tenBit(p) ? VA_RT_FORMAT_YUV420_10 : VA_RT_FORMAT_YUV420;
}

void fillAttribute(const CodecRoute &route, VAProfile profile, VAConfigAttrib *a)
{
	switch (a->type) {
	case VAConfigAttribRTFormat: a->value = rtFormatsOf(profile); break;
	case VAConfigAttribDecSliceMode: a->value = VA_DEC_SLICE_MODE_NORMAL; break;
	case VAConfigAttribMaxPictureWidth: a->value = route.caps.maxWidth ? route.caps.maxWidth : 4096; break;
	case VAConfigAttribMaxPictureHeight:
		a->value = route.caps.maxHeight ? route.caps.maxHeight : 4096;
		break;
	default: a->value = VA_ATTRIB_NOT_SUPPORTED; break;
	}
}

} // namespace

VAStatus queryConfigProfiles(VADriverContextP ctx, VAProfile *profiles, int *num)
{
	if (!profiles || !num)
		return VA_STATUS_ERROR_INVALID_PARAMETER;
	Driver &drv = driverOf(ctx);
	int n = 0;
	for (const CodecRoute &r : drv.routes) {
		for (VAProfile p : r.codec->profiles) {
			if (drv.routeFor(p) != &r || std::find(profiles, profiles + n, p) != profiles + n)
				continue;
			if (n >= ctx->max_profiles)
				break;
			profiles[n++] = p;
		}
	}
	*num = n;
	return VA_STATUS_SUCCESS;
}

VAStatus queryConfigEntrypoints(VADriverContextP ctx, VAProfile profile, VAEntrypoint *list, int *num)
{
	if (!list || !num)
		return VA_STATUS_ERROR_INVALID_PARAMETER;
	if (!driverOf(ctx).routeFor(profile))
		return VA_STATUS_ERROR_UNSUPPORTED_PROFILE;
	list[0] = VAEntrypointVLD;
	*num = 1;
	return VA_STATUS_SUCCESS;
}

VAStatus getConfigAttributes(VADriverContextP ctx, VAProfile profile, VAEntrypoint ep,
			     VAConfigAttrib *attribs, int num)
{
	const CodecRoute *route = driverOf(ctx).routeFor(profile);
	if (!route)
		return VA_STATUS_ERROR_UNSUPPORTED_PROFILE;
	if (ep != VAEntrypointVLD)
		return VA_STATUS_ERROR_UNSUPPORTED_ENTRYPOINT;
	if (num < 0 || (num > 0 && !attribs))
		return VA_STATUS_ERROR_INVALID_PARAMETER;
	for (int i = 0; i < num; i++)
		fillAttribute(*route, profile, &attribs[i]);
	return VA_STATUS_SUCCESS;
}

VAStatus createConfig(VADriverContextP ctx, VAProfile profile, VAEntrypoint ep, VAConfigAttrib *attribs,
		      int num, VAConfigID *id)
{
	Driver &drv = driverOf(ctx);
	if (!id)
		return VA_STATUS_ERROR_INVALID_PARAMETER;
	const CodecRoute *route = drv.routeFor(profile);
	if (!route)
		return VA_STATUS_ERROR_UNSUPPORTED_PROFILE;	// VAProfileNone too: no video processing
	if (ep != VAEntrypointVLD)
		return VA_STATUS_ERROR_UNSUPPORTED_ENTRYPOINT;
	if (num < 0 || (num > 0 && !attribs))
		return VA_STATUS_ERROR_INVALID_PARAMETER;
	auto config = std::make_shared<Config>();
	config->profile = profile;
	config->entrypoint = ep;
	config->rtFormat = rtFormatsOf(profile);
	config->route = route;
	for (int i = 0; i < num; i++) {
		const VAConfigAttrib &a = attribs[i];
		switch (a.type) {
		case VAConfigAttribRTFormat:
			if (!(a.value & rtFormatsOf(profile)))
				return VA_STATUS_ERROR_UNSUPPORTED_RT_FORMAT;
			config->rtFormat = a.value & rtFormatsOf(profile);
			break;
		case VAConfigAttribDecSliceMode:
			if (a.value != VA_DEC_SLICE_MODE_NORMAL)
				return VA_STATUS_ERROR_INVALID_VALUE;
			break;
		default:
			break;	// attributes with no meaning for this decoder are accepted and ignored
		}
	}
	uint32_t configId = drv.configs.insert(std::move(config));
	if (configId == VA_INVALID_ID)
		return VA_STATUS_ERROR_MAX_NUM_EXCEEDED;
	*id = configId;
	return VA_STATUS_SUCCESS;
}

VAStatus destroyConfig(VADriverContextP ctx, VAConfigID id)
{
	// A context keeps its config alive (shared_ptr): destroying it first is legal (mpv).
	return driverOf(ctx).configs.remove(id) ? VA_STATUS_SUCCESS : VA_STATUS_ERROR_INVALID_CONFIG;
}

VAStatus queryConfigAttributes(VADriverContextP ctx, VAConfigID id, VAProfile *profile,
			       VAEntrypoint *ep, VAConfigAttrib *attribs, int *num)
{
	auto config = driverOf(ctx).configs.get(id);
	if (!config)
		return VA_STATUS_ERROR_INVALID_CONFIG;
	if (!profile || !ep || !attribs || !num)
		return VA_STATUS_ERROR_INVALID_PARAMETER;
	*profile = config->profile;
	*ep = config->entrypoint;
	attribs[0].type = VAConfigAttribRTFormat;
	attribs[0].value = config->rtFormat;
	*num = 1;
	return VA_STATUS_SUCCESS;
}

} // namespace v4l2va
