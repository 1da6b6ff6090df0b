// SPDX-License-Identifier: MIT
#pragma once

// Raw picture layouts of the CAPTURE formats and the synthetic picture: rendering the
// picture of a signature, detiling, checksums of the visible pixels.

#include <cstddef>
#include <cstdint>

namespace v4l2emu {

struct PictureLayout {
	uint32_t fourcc = 0;
	uint32_t width = 0, height = 0;
	uint32_t bytesperline = 0;	///< luma stride (linear) or tiled row stride
	uint32_t sizeimage = 0;		///< bytes the layout covers (one plane)
	uint32_t chromaOffset = 0;	///< start of the chroma data
	uint32_t alignedHeight = 0;	///< luma rows the layout stores
};

/// Describes a layout; -EINVAL for an unsupported fourcc or a bytesperline too small.
/// bytesperline 0 picks the format's natural stride.
int describeLayout(uint32_t fourcc, uint32_t width, uint32_t height, uint32_t bytesperline,
		   PictureLayout *layout);

/// Writes the picture of a signature into base (layout.sizeimage bytes). Every visible
/// sample is non-zero; it varies along rows and columns. Allocates nothing.
void renderPicture(uint64_t signature, const PictureLayout &layout, uint8_t *base);

/// Copies a picture of any supported layout into linear NV12 planes (for the 10-bit and
/// 4:2:2 layouts: their visible bytes row by row, as stored).
void detileToNv12(const PictureLayout &layout, const uint8_t *src, uint8_t *dstY,
		  uint32_t dstYStride, uint8_t *dstUV, uint32_t dstUVStride);

/// The inverse of detileToNv12: stores linear NV12 planes (for the 10-bit and 4:2:2 layouts:
/// their visible bytes row by row, as the layout stores them) into a picture of the layout.
/// Padding bytes of dst are left as they are.
void tileFromNv12(const PictureLayout &layout, const uint8_t *srcY, uint32_t srcYStride,
		  const uint8_t *srcUV, uint32_t srcUVStride, uint8_t *dst);

/// Visible bytes of one luma row and of one stored chroma row, and the chroma row count, of
/// a layout (10-bit packed layouts: 4 samples in 5 bytes).
void visibleGeometry(const PictureLayout &layout, uint32_t *lumaBytes, uint32_t *chromaBytes,
		     uint32_t *chromaRows);

/// The visible linear NV12 picture of a signature (what a correct reader of any layout sees).
int expectedNv12(uint64_t signature, uint32_t width, uint32_t height, uint8_t *y, uint32_t ystride,
		 uint8_t *uv, uint32_t uvstride);

/// Hash of the visible samples only, row by row (luma rows, then interleaved chroma rows),
/// so the same picture in different layouts has the same checksum.
uint64_t visibleChecksum(const PictureLayout &layout, const uint8_t *base);
bool isAllZero(const PictureLayout &layout, const uint8_t *base);

uint64_t mix64(uint64_t x);
uint64_t hashBytes(uint64_t seed, const void *data, size_t size);

} // namespace v4l2emu
