// SPDX-License-Identifier: MIT
#pragma once

// The VA entry points, one group per file (config.cpp, surface.cpp, context.cpp, picture.cpp,
// buffer.cpp, image.cpp, export.cpp, unsupported.cpp); driver_init.cpp puts them in the vtable.

#include <va/va.h>
#include <va/va_backend.h>

namespace v4l2va {

VAStatus terminate(VADriverContextP ctx);

// config.cpp
VAStatus queryConfigProfiles(VADriverContextP ctx, VAProfile *profiles, int *num);
VAStatus queryConfigEntrypoints(VADriverContextP ctx, VAProfile profile, VAEntrypoint *list, int *num);
VAStatus getConfigAttributes(VADriverContextP ctx, VAProfile profile, VAEntrypoint ep,
			     VAConfigAttrib *attribs, int num);
VAStatus createConfig(VADriverContextP ctx, VAProfile profile, VAEntrypoint ep, VAConfigAttrib *attribs,
		      int num, VAConfigID *id);
VAStatus destroyConfig(VADriverContextP ctx, VAConfigID id);
VAStatus queryConfigAttributes(VADriverContextP ctx, VAConfigID id, VAProfile *profile,
			       VAEntrypoint *ep, VAConfigAttrib *attribs, int *num);

// surface.cpp
VAStatus createSurfaces(VADriverContextP ctx, int width, int height, int format, int num,
			VASurfaceID *surfaces);
VAStatus createSurfaces2(VADriverContextP ctx, unsigned int format, unsigned int width,
			 unsigned int height, VASurfaceID *surfaces, unsigned int num,
			 VASurfaceAttrib *attribs, unsigned int numAttribs);
VAStatus destroySurfaces(VADriverContextP ctx, VASurfaceID *surfaces, int num);
VAStatus syncSurface(VADriverContextP ctx, VASurfaceID surface);
VAStatus syncSurface2(VADriverContextP ctx, VASurfaceID surface, uint64_t timeoutNs);
VAStatus querySurfaceStatus(VADriverContextP ctx, VASurfaceID surface, VASurfaceStatus *status);
VAStatus querySurfaceError(VADriverContextP ctx, VASurfaceID surface, VAStatus error, void **info);
VAStatus querySurfaceAttributes(VADriverContextP ctx, VAConfigID config, VASurfaceAttrib *attribs,
				unsigned int *num);

// context.cpp
VAStatus createContext(VADriverContextP ctx, VAConfigID config, int width, int height, int flag,
		       VASurfaceID *targets, int numTargets, VAContextID *id);
VAStatus destroyContext(VADriverContextP ctx, VAContextID id);

// picture.cpp
VAStatus beginPicture(VADriverContextP ctx, VAContextID context, VASurfaceID target);
VAStatus renderPicture(VADriverContextP ctx, VAContextID context, VABufferID *buffers, int num);
VAStatus endPicture(VADriverContextP ctx, VAContextID context);

// buffer.cpp
VAStatus createBuffer(VADriverContextP ctx, VAContextID context, VABufferType type, unsigned int size,
		      unsigned int numElements, void *data, VABufferID *id);
VAStatus bufferSetNumElements(VADriverContextP ctx, VABufferID id, unsigned int numElements);
VAStatus mapBuffer(VADriverContextP ctx, VABufferID id, void **p);
VAStatus unmapBuffer(VADriverContextP ctx, VABufferID id);
VAStatus destroyBuffer(VADriverContextP ctx, VABufferID id);
VAStatus bufferInfo(VADriverContextP ctx, VABufferID id, VABufferType *type, unsigned int *size,
		    unsigned int *numElements);
VAStatus syncBuffer(VADriverContextP ctx, VABufferID id, uint64_t timeoutNs);

// image.cpp
VAStatus queryImageFormats(VADriverContextP ctx, VAImageFormat *formats, int *num);
VAStatus createImage(VADriverContextP ctx, VAImageFormat *format, int width, int height, VAImage *image);
VAStatus deriveImage(VADriverContextP ctx, VASurfaceID surface, VAImage *image);
VAStatus destroyImage(VADriverContextP ctx, VAImageID image);
VAStatus getImage(VADriverContextP ctx, VASurfaceID surface, int x, int y, unsigned int width,
		  unsigned int height, VAImageID image);
VAStatus putImage(VADriverContextP ctx, VASurfaceID surface, VAImageID image, int srcX, int srcY,
		  unsigned int srcW, unsigned int srcH, int dstX, int dstY, unsigned int dstW,
		  unsigned int dstH);

// export.cpp
VAStatus exportSurfaceHandle(VADriverContextP ctx, VASurfaceID surface, uint32_t memType, uint32_t flags,
			     void *descriptor);
VAStatus acquireBufferHandle(VADriverContextP ctx, VABufferID id, VABufferInfo *info);
VAStatus releaseBufferHandle(VADriverContextP ctx, VABufferID id);

// unsupported.cpp: entries with no meaning for a stateless decoder.
VAStatus putSurface(VADriverContextP ctx, VASurfaceID surface, void *draw, short srcx, short srcy,
		    unsigned short srcw, unsigned short srch, short destx, short desty,
		    unsigned short destw, unsigned short desth, VARectangle *cliprects,
		    unsigned int numCliprects, unsigned int flags);
VAStatus setImagePalette(VADriverContextP ctx, VAImageID image, unsigned char *palette);
VAStatus querySubpictureFormats(VADriverContextP ctx, VAImageFormat *formats, unsigned int *flags,
				unsigned int *num);
VAStatus createSubpicture(VADriverContextP ctx, VAImageID image, VASubpictureID *subpicture);
VAStatus destroySubpicture(VADriverContextP ctx, VASubpictureID subpicture);
VAStatus setSubpictureImage(VADriverContextP ctx, VASubpictureID subpicture, VAImageID image);
VAStatus setSubpictureChromakey(VADriverContextP ctx, VASubpictureID subpicture, unsigned int min,
				unsigned int max, unsigned int mask);
VAStatus setSubpictureGlobalAlpha(VADriverContextP ctx, VASubpictureID subpicture, float alpha);
VAStatus associateSubpicture(VADriverContextP ctx, VASubpictureID subpicture, VASurfaceID *targets,
			     int num, short srcX, short srcY, unsigned short srcW, unsigned short srcH,
			     short dstX, short dstY, unsigned short dstW, unsigned short dstH,
			     unsigned int flags);
VAStatus deassociateSubpicture(VADriverContextP ctx, VASubpictureID subpicture, VASurfaceID *targets,
			       int num);
VAStatus queryDisplayAttributes(VADriverContextP ctx, VADisplayAttribute *attribs, int *num);
VAStatus getDisplayAttributes(VADriverContextP ctx, VADisplayAttribute *attribs, int num);
VAStatus setDisplayAttributes(VADriverContextP ctx, VADisplayAttribute *attribs, int num);
VAStatus lockSurface(VADriverContextP ctx, VASurfaceID surface, unsigned int *fourcc,
		     unsigned int *lumaStride, unsigned int *chromaUStride, unsigned int *chromaVStride,
		     unsigned int *lumaOffset, unsigned int *chromaUOffset, unsigned int *chromaVOffset,
		     unsigned int *bufferName, void **buffer);
VAStatus unlockSurface(VADriverContextP ctx, VASurfaceID surface);

} // namespace v4l2va
