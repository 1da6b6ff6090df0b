// SPDX-License-Identifier: MIT
#pragma once

// Reading a CAPTURE buffer in whatever layout the decoder wrote it (linear NV12/P010/YUV420,
// 10-bit packed NV15, 4:2:2 NV16/NV20, tiled NV12_32L32 and NV12_4L4) into a VA image
// (NV12, P010, I420). Plane positions follow V4L2C:v4l2_fill_pixfmt_mp: the chroma of a
// single-plane format starts after the luma rows aligned to the format's block height.

#include "v4l2/decode_stream.h"

#include <linux/videodev2.h>
#include <v4l2emu/formats.h>
#include <va/va.h>

#include <cstddef>
#include <cstdint>

namespace v4l2va {

struct CaptureView {
	uint32_t fourcc = 0;
	uint32_t width = 0, height = 0;
	uint32_t stride = 0;		///< bytes per luma row (tiled: per row of tiles / tile height)
	uint32_t chromaStride = 0;
	const uint8_t *luma = nullptr;
	const uint8_t *chroma = nullptr;	///< interleaved CbCr, or Cb plane for YUV420
	const uint8_t *chromaV = nullptr;	///< Cr plane for YUV420
	size_t lumaSize = 0, chromaSize = 0;
};

/// Describes a mapped CAPTURE buffer; -EINVAL if the format is unknown or the buffer is too
/// small for it.
int describeCapture(const struct v4l2_pix_format_mplane &fmt, const PlaneMapping *planes,
		    uint32_t numPlanes, CaptureView *view);

/// True if a VA image of `vaFourcc` can alias the buffer (DeriveImage without a copy).
bool linearFor(const CaptureView &view, uint32_t vaFourcc, uint32_t numPlanes);

/// Image layout of a VA image format at a size (pitches, offsets, data size).
bool imageLayout(uint32_t fourcc, uint32_t width, uint32_t height, VAImage *image);

/// Copies the region (x, y, w, h) of the capture picture into the image at (0, 0),
/// converting layout and bit depth. The region must lie inside both.
void copyToImage(const CaptureView &src, uint32_t x, uint32_t y, uint32_t w, uint32_t h,
		 const VAImage &image, uint8_t *dst);

/// The reverse, for PutImage into a linear NV12 capture buffer.
void copyFromImage(const VAImage &image, const uint8_t *src, uint32_t x, uint32_t y, uint32_t w,
		   uint32_t h, const CaptureView &dstView, uint8_t *dstLuma, uint8_t *dstChroma);

} // namespace v4l2va
