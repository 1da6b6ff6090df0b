// SPDX-License-Identifier: MIT
// Picture layouts (V4L2C:v4l2_fill_pixfmt_mp for NV12/YUV420; the tiled NV12 variants as
// Documentation/userspace-api/media/v4l/pixfmt-yuv-planar.rst describes them: 32x32-byte
// tiles (ST12) and 4x4-byte tiles (VT12) in raster order, chroma as interleaved CbCr tiles).
#include "picture.h"

#include <v4l2emu/formats.h>

#include <linux/videodev2.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace v4l2emu {

namespace {

uint32_t alignUp(uint32_t v, uint32_t a)
{
	return (v + a - 1) / a * a;
}

/// The 8 samples at columns [8j, 8j+8) of a row whose key is rowKey. Bytes stay within
/// 0x10..0x7f (never zero) and change with the column.
inline uint64_t sampleWord(uint64_t rowKey, uint64_t j)
{
	uint64_t base = (rowKey & 0x7f7f7f7f7f7f7f7full) | 0x1010101010101010ull;
	return base ^ ((j * 0x0807060504030201ull + (j >> 3) * 0x0102030405060708ull) &
		       0x0f0f0f0f0f0f0f0full);
}

inline uint64_t rowKey(uint64_t sig, uint32_t plane, uint32_t y)
{
	return mix64(sig ^ (0x9e3779b97f4a7c15ull * (2ull * y + plane + 1)));
}

/// Fills `count` bytes of a row starting at column x0.
inline void fillRow(uint64_t key, uint32_t x0, uint8_t *dst, uint32_t count)
{
	uint32_t x = x0;
	uint32_t i = 0;
	// Unaligned head, byte by byte.
	while (i < count && (x % 8)) {
		dst[i++] = static_cast<uint8_t>(sampleWord(key, x / 8) >> (8 * (x % 8)));
		x++;
	}
	// Whole words (little-endian byte order, like the byte path).
	for (; i + 8 <= count; i += 8, x += 8) {
		uint64_t w = sampleWord(key, x / 8);
		memcpy(dst + i, &w, 8);
	}
	for (; i < count; i++, x++)
		dst[i] = static_cast<uint8_t>(sampleWord(key, x / 8) >> (8 * (x % 8)));
}

struct Geometry {
	uint32_t lumaBytes;	// visible bytes of a luma row
	uint32_t chromaRows;
	uint32_t chromaBytes;	// visible bytes of an interleaved chroma row
};

/// Bytes of a 10-bit packed row (4 samples in 5 bytes: NV15/NV20).
uint32_t packed10(uint32_t samples)
{
	return (samples + 3) / 4 * 5;
}

Geometry geometry(const PictureLayout &l)
{
	uint32_t cw = 2 * ((l.width + 1) / 2);
	switch (l.fourcc) {
	case V4L2_PIX_FMT_NV16:
		return {l.width, l.height, cw};
	case V4L2_PIX_FMT_NV15:
		return {packed10(l.width), (l.height + 1) / 2, packed10(cw)};
	case V4L2_PIX_FMT_NV20:
		return {packed10(l.width), l.height, packed10(cw)};
	default:
		return {l.width, (l.height + 1) / 2, cw};
	}
}

/// Semi-planar linear layouts: NV12 and its 4:2:2 / 10-bit relatives.
bool isLinearSemiPlanar(uint32_t fourcc)
{
	return fourcc == V4L2_PIX_FMT_NV12 || fourcc == V4L2_PIX_FMT_NV16 ||
	       fourcc == V4L2_PIX_FMT_NV15 || fourcc == V4L2_PIX_FMT_NV20;
}

// Addressing of sample (x, y) of the luma plane and byte xb of interleaved chroma row y.
size_t lumaOffset(const PictureLayout &l, uint32_t x, uint32_t y)
{
	switch (l.fourcc) {
	case V4L2_PIX_FMT_NV12_32L32: {
		uint32_t tilesPerRow = l.bytesperline / 32;
		return (static_cast<size_t>(y / 32) * tilesPerRow + x / 32) * 1024 + (y % 32) * 32 + x % 32;
	}
	case V4L2_PIX_FMT_NV12_4L4: {
		uint32_t tilesPerRow = l.bytesperline / 4;
		return (static_cast<size_t>(y / 4) * tilesPerRow + x / 4) * 16 + (y % 4) * 4 + x % 4;
	}
	default:
		return static_cast<size_t>(y) * l.bytesperline + x;
	}
}

size_t chromaOffset(const PictureLayout &l, uint32_t xb, uint32_t y)
{
	switch (l.fourcc) {
	case V4L2_PIX_FMT_NV12_32L32: {
		uint32_t tilesPerRow = l.bytesperline / 32;
		return l.chromaOffset +
		       (static_cast<size_t>(y / 32) * tilesPerRow + xb / 32) * 1024 + (y % 32) * 32 + xb % 32;
	}
	case V4L2_PIX_FMT_NV12_4L4: {
		uint32_t tilesPerRow = l.bytesperline / 4;
		return l.chromaOffset +
		       (static_cast<size_t>(y / 4) * tilesPerRow + xb / 4) * 16 + (y % 4) * 4 + xb % 4;
	}
	case V4L2_PIX_FMT_YUV420: {
		// Cb and Cr planes of half stride; xb even = Cb, odd = Cr.
		uint32_t cstride = l.bytesperline / 2;
		size_t plane = (xb & 1) ? static_cast<size_t>(cstride) * ((l.height + 1) / 2) : 0;
		return l.chromaOffset + plane + static_cast<size_t>(y) * cstride + xb / 2;
	}
	default:
		return l.chromaOffset + static_cast<size_t>(y) * l.bytesperline + xb;
	}
}

} // namespace

uint64_t mix64(uint64_t x)
{
	// splitmix64 finaliser.
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

uint64_t hashBytes(uint64_t seed, const void *data, size_t size)
{
	const uint8_t *p = static_cast<const uint8_t *>(data);
	uint64_t h = mix64(seed ^ size);
	size_t i = 0;
	for (; i + 8 <= size; i += 8) {
		uint64_t w;
		memcpy(&w, p + i, 8);
		h = (h ^ mix64(w)) * 0x100000001b3ull;
	}
	uint64_t tail = 0;
	for (size_t k = 0; i + k < size; k++)
		tail |= static_cast<uint64_t>(p[i + k]) << (8 * k);
	return mix64(h ^ tail);
}

int describeLayout(uint32_t fourcc, uint32_t width, uint32_t height, uint32_t bytesperline,
		   PictureLayout *layout)
{
	if (!width || !height || width > 16384 || height > 16384)
		return -EINVAL;
	PictureLayout l;
	l.fourcc = fourcc;
	l.width = width;
	l.height = height;
	switch (fourcc) {
	case V4L2_PIX_FMT_NV12: {
		// Chroma rows hold 2 * ceil(W/2) bytes at the luma stride.
		l.bytesperline = bytesperline ? bytesperline : alignUp(width, 2);
		if (l.bytesperline < alignUp(width, 2))
			return -EINVAL;
		l.alignedHeight = height;
		l.chromaOffset = l.bytesperline * height;
		l.sizeimage = l.chromaOffset + l.bytesperline * ((height + 1) / 2);
		break;
	}
	case V4L2_PIX_FMT_NV16:
	case V4L2_PIX_FMT_NV15:
	case V4L2_PIX_FMT_NV20: {
		// V4L2C:v4l2_fill_pixfmt_mp: chroma at the luma stride, H (4:2:2) or H/2 rows.
		Geometry g = geometry(l);
		uint32_t minStride = std::max(g.lumaBytes, g.chromaBytes);
		l.bytesperline = bytesperline ? bytesperline : minStride;
		if (l.bytesperline < minStride)
			return -EINVAL;
		l.alignedHeight = height;
		l.chromaOffset = l.bytesperline * height;
		l.sizeimage = l.chromaOffset + l.bytesperline * g.chromaRows;
		break;
	}
	case V4L2_PIX_FMT_YUV420: {
		l.bytesperline = bytesperline ? bytesperline : alignUp(width, 2);
		if (l.bytesperline < width || (l.bytesperline & 1))
			return -EINVAL;
		l.alignedHeight = height;
		l.chromaOffset = l.bytesperline * height;
		l.sizeimage = l.chromaOffset + 2 * (l.bytesperline / 2) * ((height + 1) / 2);
		break;
	}
	case V4L2_PIX_FMT_NV12_32L32: {
		l.bytesperline = bytesperline ? bytesperline : alignUp(width, 32);
		if (l.bytesperline < width || l.bytesperline % 32)
			return -EINVAL;
		l.alignedHeight = alignUp(height, 32);
		l.chromaOffset = l.bytesperline * l.alignedHeight;
		// Chroma rows padded to whole tiles: align64(H) / 2 rows (CV:cedrus_prepare_format).
		l.sizeimage = l.chromaOffset + l.bytesperline * (alignUp(height, 64) / 2);
		break;
	}
	case V4L2_PIX_FMT_NV12_4L4: {
		l.bytesperline = bytesperline ? bytesperline : alignUp(width, 4);
		if (l.bytesperline < width || l.bytesperline % 4)
			return -EINVAL;
		l.alignedHeight = alignUp(height, 4);
		l.chromaOffset = l.bytesperline * l.alignedHeight;
		l.sizeimage = l.chromaOffset + l.bytesperline * (alignUp(height, 8) / 2);
		break;
	}
	default:
		return -EINVAL;
	}
	*layout = l;
	return 0;
}

void renderPicture(uint64_t signature, const PictureLayout &l, uint8_t *base)
{
	Geometry g = geometry(l);
	if (isLinearSemiPlanar(l.fourcc)) {
		// Linear rows, padding included (stride-wide rows).
		for (uint32_t y = 0; y < l.height; y++)
			fillRow(rowKey(signature, 0, y), 0, base + static_cast<size_t>(y) * l.bytesperline,
				l.bytesperline);
		for (uint32_t y = 0; y < g.chromaRows; y++)
			fillRow(rowKey(signature, 1, y), 0,
				base + l.chromaOffset + static_cast<size_t>(y) * l.bytesperline, l.bytesperline);
		return;
	}
	if (l.fourcc == V4L2_PIX_FMT_YUV420) {
		uint8_t row[64];
		for (uint32_t y = 0; y < l.height; y++)
			fillRow(rowKey(signature, 0, y), 0, base + static_cast<size_t>(y) * l.bytesperline,
				l.bytesperline);
		for (uint32_t y = 0; y < g.chromaRows; y++) {
			uint64_t key = rowKey(signature, 1, y);
			for (uint32_t xb = 0; xb < l.bytesperline; xb += sizeof(row)) {
				uint32_t n = l.bytesperline - xb < sizeof(row) ? l.bytesperline - xb
										 : static_cast<uint32_t>(sizeof(row));
				fillRow(key, xb, row, n);
				for (uint32_t k = 0; k < n; k++)
					base[chromaOffset(l, xb + k, y)] = row[k];
			}
		}
		return;
	}
	// Tiled: generate each tile row segment from its linear position.
	uint32_t tileW = l.fourcc == V4L2_PIX_FMT_NV12_32L32 ? 32 : 4;
	uint32_t chromaStoredRows = (l.sizeimage - l.chromaOffset) / l.bytesperline;
	for (uint32_t y = 0; y < l.alignedHeight; y++) {
		uint64_t key = rowKey(signature, 0, y);
		for (uint32_t x = 0; x < l.bytesperline; x += tileW)
			fillRow(key, x, base + lumaOffset(l, x, y), tileW);
	}
	for (uint32_t y = 0; y < chromaStoredRows; y++) {
		uint64_t key = rowKey(signature, 1, y);
		for (uint32_t x = 0; x < l.bytesperline; x += tileW)
			fillRow(key, x, base + chromaOffset(l, x, y), tileW);
	}
}

void detileToNv12(const PictureLayout &l, const uint8_t *src, uint8_t *dstY, uint32_t dstYStride,
		  uint8_t *dstUV, uint32_t dstUVStride)
{
	Geometry g = geometry(l);
	if (isLinearSemiPlanar(l.fourcc)) {
		for (uint32_t y = 0; y < l.height; y++)
			memcpy(dstY + static_cast<size_t>(y) * dstYStride, src + static_cast<size_t>(y) * l.bytesperline,
			       g.lumaBytes);
		for (uint32_t y = 0; y < g.chromaRows; y++)
			memcpy(dstUV + static_cast<size_t>(y) * dstUVStride,
			       src + l.chromaOffset + static_cast<size_t>(y) * l.bytesperline, g.chromaBytes);
		return;
	}
	uint32_t tileW = l.fourcc == V4L2_PIX_FMT_NV12_32L32 ? 32 : (l.fourcc == V4L2_PIX_FMT_NV12_4L4 ? 4 : 1);
	for (uint32_t y = 0; y < l.height; y++)
		for (uint32_t x = 0; x < l.width; x += tileW) {
			uint32_t n = l.width - x < tileW ? l.width - x : tileW;
			memcpy(dstY + static_cast<size_t>(y) * dstYStride + x, src + lumaOffset(l, x, y), n);
		}
	for (uint32_t y = 0; y < g.chromaRows; y++)
		for (uint32_t xb = 0; xb < g.chromaBytes; xb += tileW) {
			uint32_t n = g.chromaBytes - xb < tileW ? g.chromaBytes - xb : tileW;
			if (l.fourcc == V4L2_PIX_FMT_YUV420) {
				dstUV[static_cast<size_t>(y) * dstUVStride + xb] = src[chromaOffset(l, xb, y)];
				continue;
			}
			memcpy(dstUV + static_cast<size_t>(y) * dstUVStride + xb, src + chromaOffset(l, xb, y), n);
		}
}

void tileFromNv12(const PictureLayout &l, const uint8_t *srcY, uint32_t srcYStride,
		  const uint8_t *srcUV, uint32_t srcUVStride, uint8_t *dst)
{
	Geometry g = geometry(l);
	if (isLinearSemiPlanar(l.fourcc)) {
		for (uint32_t y = 0; y < l.height; y++)
			memcpy(dst + static_cast<size_t>(y) * l.bytesperline,
			       srcY + static_cast<size_t>(y) * srcYStride, g.lumaBytes);
		for (uint32_t y = 0; y < g.chromaRows; y++)
			memcpy(dst + l.chromaOffset + static_cast<size_t>(y) * l.bytesperline,
			       srcUV + static_cast<size_t>(y) * srcUVStride, g.chromaBytes);
		return;
	}
	uint32_t tileW = l.fourcc == V4L2_PIX_FMT_NV12_32L32 ? 32 : (l.fourcc == V4L2_PIX_FMT_NV12_4L4 ? 4 : 1);
	for (uint32_t y = 0; y < l.height; y++)
		for (uint32_t x = 0; x < l.width; x += tileW) {
			uint32_t n = l.width - x < tileW ? l.width - x : tileW;
			memcpy(dst + lumaOffset(l, x, y), srcY + static_cast<size_t>(y) * srcYStride + x, n);
		}
	for (uint32_t y = 0; y < g.chromaRows; y++)
		for (uint32_t xb = 0; xb < g.chromaBytes; xb += tileW) {
			uint32_t n = g.chromaBytes - xb < tileW ? g.chromaBytes - xb : tileW;
			if (l.fourcc == V4L2_PIX_FMT_YUV420) {
				dst[chromaOffset(l, xb, y)] = srcUV[static_cast<size_t>(y) * srcUVStride + xb];
				continue;
			}
			memcpy(dst + chromaOffset(l, xb, y), srcUV + static_cast<size_t>(y) * srcUVStride + xb, n);
		}
}

void visibleGeometry(const PictureLayout &l, uint32_t *lumaBytes, uint32_t *chromaBytes,
		     uint32_t *chromaRows)
{
	Geometry g = geometry(l);
	*lumaBytes = g.lumaBytes;
	*chromaBytes = g.chromaBytes;
	*chromaRows = g.chromaRows;
}

int expectedNv12(uint64_t signature, uint32_t width, uint32_t height, uint8_t *y, uint32_t ystride,
		 uint8_t *uv, uint32_t uvstride)
{
	if (!width || !height || ystride < width || uvstride < 2 * ((width + 1) / 2))
		return -EINVAL;
	for (uint32_t r = 0; r < height; r++)
		fillRow(rowKey(signature, 0, r), 0, y + static_cast<size_t>(r) * ystride, width);
	for (uint32_t r = 0; r < (height + 1) / 2; r++)
		fillRow(rowKey(signature, 1, r), 0, uv + static_cast<size_t>(r) * uvstride,
			2 * ((width + 1) / 2));
	return 0;
}

uint64_t visibleChecksum(const PictureLayout &l, const uint8_t *base)
{
	Geometry g = geometry(l);
	uint64_t h = 0xcbf29ce484222325ull;
	auto feed = [&](uint8_t b) { h = (h ^ b) * 0x100000001b3ull; };
	for (uint32_t y = 0; y < l.height; y++)
		for (uint32_t x = 0; x < g.lumaBytes; x++)
			feed(base[lumaOffset(l, x, y)]);
	for (uint32_t y = 0; y < g.chromaRows; y++)
		for (uint32_t xb = 0; xb < g.chromaBytes; xb++)
			feed(base[chromaOffset(l, xb, y)]);
	return h;
}

bool isAllZero(const PictureLayout &l, const uint8_t *base)
{
	Geometry g = geometry(l);
	for (uint32_t y = 0; y < l.height; y++)
		for (uint32_t x = 0; x < g.lumaBytes; x++)
			if (base[lumaOffset(l, x, y)])
				return false;
	for (uint32_t y = 0; y < g.chromaRows; y++)
		for (uint32_t xb = 0; xb < g.chromaBytes; xb++)
			if (base[chromaOffset(l, xb, y)])
				return false;
	return true;
}

} // namespace v4l2emu
