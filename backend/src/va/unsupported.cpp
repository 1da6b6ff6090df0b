// SPDX-License-Identifier: MIT
// Entries with no meaning for a stateless decoder: presentation (PutSurface), subpictures,
// display attributes, palettes, surface locking. libva requires them non-NULL (and calls the
// lock/unlock ones without a NULL check); each answers a proper VA status.
#include "va/driver.h"
#include "va/entry_points.h"

namespace v4l2va {

VAStatus putSurface(VADriverContextP, VASurfaceID, void *, short, short, unsigned short, unsigned short,
		    short, short, unsigned short, unsigned short, VARectangle *, unsigned int, unsigned int)
{
	return VA_STATUS_ERROR_UNIMPLEMENTED;	// no window system: export and present elsewhere
}

VAStatus setImagePalette(VADriverContextP, VAImageID, unsigned char *)
{
	return VA_STATUS_ERROR_UNIMPLEMENTED;	// no paletted image formats are offered
}

VAStatus querySubpictureFormats(VADriverContextP, VAImageFormat *, unsigned int *flags, unsigned int *num)
{
	if (!num)
		return VA_STATUS_ERROR_INVALID_PARAMETER;
	if (flags)
		*flags = 0;
	*num = 0;	// gstreamer-vaapi queries at display init: an empty list, not an error
	return VA_STATUS_SUCCESS;
}

VAStatus createSubpicture(VADriverContextP, VAImageID, VASubpictureID *)
{
	return VA_STATUS_ERROR_UNIMPLEMENTED;
}

VAStatus destroySubpicture(VADriverContextP, VASubpictureID)
{
	return VA_STATUS_ERROR_INVALID_SUBPICTURE;	// none can exist
}

VAStatus setSubpictureImage(VADriverContextP, VASubpictureID, VAImageID)
{
	return VA_STATUS_ERROR_INVALID_SUBPICTURE;
}

VAStatus setSubpictureChromakey(VADriverContextP, VASubpictureID, unsigned int, unsigned int, unsigned int)
{
	return VA_STATUS_ERROR_INVALID_SUBPICTURE;
}

VAStatus setSubpictureGlobalAlpha(VADriverContextP, VASubpictureID, float)
{
	return VA_STATUS_ERROR_INVALID_SUBPICTURE;
}

VAStatus associateSubpicture(VADriverContextP, VASubpictureID, VASurfaceID *, int, short, short,
			     unsigned short, unsigned short, short, short, unsigned short, unsigned short,
			     unsigned int)
{
	return VA_STATUS_ERROR_INVALID_SUBPICTURE;
}

VAStatus deassociateSubpicture(VADriverContextP, VASubpictureID, VASurfaceID *, int)
{
	return VA_STATUS_ERROR_INVALID_SUBPICTURE;
}

VAStatus queryDisplayAttributes(VADriverContextP, VADisplayAttribute *, int *num)
{
	if (!num)
		return VA_STATUS_ERROR_INVALID_PARAMETER;
	*num = 0;
	return VA_STATUS_SUCCESS;
}

VAStatus getDisplayAttributes(VADriverContextP, VADisplayAttribute *attribs, int num)
{
	if (num > 0 && !attribs)
		return VA_STATUS_ERROR_INVALID_PARAMETER;
	for (int i = 0; i < num; i++)
		attribs[i].flags = VA_DISPLAY_ATTRIB_NOT_SUPPORTED;
	return VA_STATUS_SUCCESS;
}

VAStatus setDisplayAttributes(VADriverContextP, VADisplayAttribute *, int num)
{
	return num > 0 ? VA_STATUS_ERROR_ATTR_NOT_SUPPORTED : VA_STATUS_SUCCESS;
}

VAStatus lockSurface(VADriverContextP ctx, VASurfaceID surface, unsigned int *, unsigned int *,
		     unsigned int *, unsigned int *, unsigned int *, unsigned int *, unsigned int *,
		     unsigned int *, void **)
{
	// Deprecated by VA in favour of DeriveImage; answer for valid surfaces only.
	return driverOf(ctx).surfaces.get(surface) ? VA_STATUS_ERROR_UNIMPLEMENTED
						   : VA_STATUS_ERROR_INVALID_SURFACE;
}

VAStatus unlockSurface(VADriverContextP ctx, VASurfaceID surface)
{
	return driverOf(ctx).surfaces.get(surface) ? VA_STATUS_ERROR_UNIMPLEMENTED
						   : VA_STATUS_ERROR_INVALID_SURFACE;
}

} // namespace v4l2va
