// SPDX-License-Identifier: MIT
#include "image_copy.h"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <iterator>

namespace v4l2va {

namespace {

uint32_t alignUp(uint32_t v, uint32_t a)
{
	return (v + a - 1) / a * a;
}

/// Luma rows a single-plane layout stores before its chroma (V4L2 format block height).
uint32_t lumaRows(uint32_t fourcc, uint32_t height)
{
	switch (fourcc) {
	case V4L2_PIX_FMT_NV12_32L32: return alignUp(height, 32);
	case V4L2_PIX_FMT_NV12_4L4: return alignUp(height, 4);
	default: return height;
	}
}

bool is422(uint32_t f)
{
	return f == V4L2_PIX_FMT_NV16 || f == V4L2_PIX_FMT_NV20;
}

/// Byte offset of byte `xb` of row `y` in a plane of the layout.
size_t offsetIn(uint32_t fourcc, uint32_t stride, uint32_t xb, uint32_t y)
{
	switch (fourcc) {
	case V4L2_PIX_FMT_NV12_32L32:
		return (static_cast<size_t>(y / 32) * (stride / 32) + xb / 32) * 1024 + (y % 32) * 32 + xb % 32;
	case V4L2_PIX_FMT_NV12_4L4:
		return (static_cast<size_t>(y / 4) * (stride / 4) + xb / 4) * 16 + (y % 4) * 4 + xb % 4;
	default:
		return static_cast<size_t>(y) * stride + xb;
	}
}

/// 10-bit sample i of a packed row (4 samples in 5 bytes, little endian: NV15/NV20).
uint16_t packed10(const uint8_t *row, uint32_t i)
{
	const uint8_t *p = row + (i / 4) * 5;
	uint32_t bits = (i % 4) * 10;
	uint32_t word = p[bits / 8] | (static_cast<uint32_t>(p[bits / 8 + 1]) << 8);
	return static_cast<uint16_t>((word >> (bits % 8)) & 0x3ff);
}

/// 8-bit layouts, which copy row by row (10-bit ones are unpacked a chunk at a time).
bool eightBit(uint32_t f)
{
	return f == V4L2_PIX_FMT_NV12 || f == V4L2_PIX_FMT_NV12_32L32 || f == V4L2_PIX_FMT_NV12_4L4 ||
	       f == V4L2_PIX_FMT_NV16 || f == V4L2_PIX_FMT_YUV420;
}

/// Calls emit(bytes, n) for the bytes [xb, xb + count) of row y of an 8-bit plane, in pieces
/// contiguous in memory: one for a linear layout, at most a tile's width for a tiled one.
template<typename Emit>
void forRowRuns(uint32_t fourcc, const uint8_t *plane, uint32_t stride, uint32_t y, uint32_t xb,
		uint32_t count, Emit &&emit)
{
	const uint32_t tile = fourcc == V4L2_PIX_FMT_NV12_32L32 ? 32 : fourcc == V4L2_PIX_FMT_NV12_4L4 ? 4 : 0;
	if (!tile) {
		emit(plane + static_cast<size_t>(y) * stride + xb, count);
		return;
	}
	while (count) {
		uint32_t run = std::min(count, tile - xb % tile);
		emit(plane + offsetIn(fourcc, stride, xb, y), run);
		xb += run;
		count -= run;
	}
}

/// Bytes as P010 samples: the byte is the high half, the low half zero.
void widen(uint8_t *dst, const uint8_t *src, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		dst[2 * i] = 0;
		dst[2 * i + 1] = src[i];
	}
}

/// copyToImage from an 8-bit layout: whole runs of bytes instead of one sample at a time.
void copyEightBit(const CaptureView &src, uint32_t x, uint32_t y, uint32_t w, uint32_t h,
		  const VAImage &image, uint8_t *dst)
{
	const uint32_t fourcc = image.format.fourcc;
	const bool deep = fourcc == VA_FOURCC_P010;
	for (uint32_t r = 0; r < h; r++) {
		uint8_t *row = dst + image.offsets[0] + static_cast<size_t>(r) * image.pitches[0];
		uint32_t done = 0;
		forRowRuns(src.fourcc, src.luma, src.stride, y + r, x, w, [&](const uint8_t *p, uint32_t n) {
			if (deep)
				widen(row + 2 * done, p, n);
			else
				memcpy(row + done, p, n);
			done += n;
		});
	}
	// The chroma the region covers, clipped to the picture's chroma grid.
	const uint32_t srcCw = (src.width + 1) / 2, srcCh = (src.height + 1) / 2;
	const uint32_t cx0 = x / 2, cols = cx0 < srcCw ? std::min((w + 1) / 2, srcCw - cx0) : 0;
	for (uint32_t r = 0; r < (h + 1) / 2 && y / 2 + r < srcCh && cols; r++) {
		const uint32_t cy = y / 2 + r, row = is422(src.fourcc) ? cy * 2 : cy;
		uint8_t *u = dst + image.offsets[1] + static_cast<size_t>(r) * image.pitches[1];
		if (src.fourcc == V4L2_PIX_FMT_YUV420) {
			const uint8_t *cb = src.chroma + static_cast<size_t>(row) * src.chromaStride + cx0;
			const uint8_t *cr = src.chromaV + static_cast<size_t>(row) * src.chromaStride + cx0;
			if (fourcc == VA_FOURCC_I420) {
				memcpy(u, cb, cols);
				memcpy(dst + image.offsets[2] + static_cast<size_t>(r) * image.pitches[2], cr, cols);
			} else {
				for (uint32_t c = 0; c < cols; c++) {
					uint8_t *p = deep ? u + 4 * c : u + 2 * c;
					if (deep) {
						widen(p, cb + c, 1);
						widen(p + 2, cr + c, 1);
					} else {
						p[0] = cb[c];
						p[1] = cr[c];
					}
				}
			}
			continue;
		}
		// Interleaved CbCr: byte k of the run is Cb (even k) or Cr (odd k) of sample k / 2.
		uint8_t *v = fourcc == VA_FOURCC_I420
				     ? dst + image.offsets[2] + static_cast<size_t>(r) * image.pitches[2]
				     : nullptr;
		uint32_t done = 0;
		forRowRuns(src.fourcc, src.chroma, src.chromaStride, row, 2 * cx0, 2 * cols,
			   [&](const uint8_t *p, uint32_t n) {
				   if (v) {
					   for (uint32_t i = 0; i < n; i++) {
						   uint32_t k = done + i;
						   uint8_t *plane = k % 2 ? v : u;
						   plane[k / 2] = p[i];
					   }
				   } else if (deep) {
					   widen(u + 2 * done, p, n);
				   } else {
					   memcpy(u + done, p, n);
				   }
				   done += n;
			   });
	}
}

// The 10-bit paths below move 16-bit samples with memcpy and 64-bit words: a sample-at-a-time
// loop costs a bounds check and a compare per sample, which dominated GetImage of 10-bit frames.
// Samples in memory are little-endian words (P010), the host's order.
static_assert(std::endian::native == std::endian::little, "10-bit image copies assume a little-endian host");

/// Clears the bits below a 10-bit MSB-aligned sample (P010 keeps them zero).
void clearLowBits(uint16_t *s, uint32_t n)
{
	uint32_t i = 0;
	for (; i + 4 <= n; i += 4) {
		uint64_t w;
		memcpy(&w, s + i, sizeof(w));
		w &= 0xffc0ffc0ffc0ffc0ull;
		memcpy(s + i, &w, sizeof(w));
	}
	for (; i < n; i++)
		s[i] &= 0xffc0;
}

/// n 10-bit samples from sample `first` of a row (P010 words, or NV15/NV20 packing), as 16 bits
/// MSB-aligned like P010, the low 6 bits clear.
void loadTenBitRow(uint32_t fourcc, const uint8_t *row, uint32_t first, uint32_t n, uint16_t *out)
{
	if (fourcc == V4L2_PIX_FMT_P010) {
		memcpy(out, row + 2 * static_cast<size_t>(first), 2 * static_cast<size_t>(n));
		clearLowBits(out, n);
		return;
	}
	// NV15/NV20: samples up to a 4-sample group boundary one by one, then whole groups (5
	// bytes, 4 samples) at a time, then the rest one by one.
	uint32_t i = 0;
	for (; i < n && (first + i) % 4; i++)
		out[i] = static_cast<uint16_t>(packed10(row, first + i) << 6);
	for (; i + 4 <= n; i += 4) {
		const uint8_t *p = row + static_cast<size_t>((first + i) / 4) * 5;
		uint64_t g;
		if (i + 8 <= n) {
			memcpy(&g, p, sizeof(g));	// the next group's bytes: still in the row
		} else {
			g = p[0] | uint64_t(p[1]) << 8 | uint64_t(p[2]) << 16 | uint64_t(p[3]) << 24 |
			    uint64_t(p[4]) << 32;
		}
		uint64_t w = (g & 0x3ff) << 6 | ((g >> 10) & 0x3ff) << 22 | ((g >> 20) & 0x3ff) << 38 |
			     ((g >> 30) & 0x3ff) << 54;
		memcpy(out + i, &w, sizeof(w));
	}
	for (; i < n; i++)
		out[i] = static_cast<uint16_t>(packed10(row, first + i) << 6);
}

/// Stores 16-bit samples as the image format holds them: P010 words, else the high byte.
void storeSamples(bool deep, const uint16_t *s, uint32_t n, uint8_t *dst)
{
	if (deep) {
		memcpy(dst, s, 2 * static_cast<size_t>(n));
		return;
	}
	uint32_t i = 0;
	for (; i + 4 <= n; i += 4) {
		uint64_t w;
		memcpy(&w, s + i, sizeof(w));
		uint32_t b = static_cast<uint32_t>((w >> 8) & 0xff) | static_cast<uint32_t>((w >> 24) & 0xff) << 8 |
			     static_cast<uint32_t>((w >> 40) & 0xff) << 16 | static_cast<uint32_t>(w >> 56) << 24;
		memcpy(dst + i, &b, sizeof(b));
	}
	for (; i < n; i++)
		dst[i] = static_cast<uint8_t>(s[i] >> 8);
}

/// copyToImage from a 10-bit layout (P010, NV15, NV20): each row unpacked a chunk at a time.
void copyTenBit(const CaptureView &src, uint32_t x, uint32_t y, uint32_t w, uint32_t h,
		const VAImage &image, uint8_t *dst)
{
	const uint32_t fourcc = image.format.fourcc;
	const bool deep = fourcc == VA_FOURCC_P010;
	const uint32_t bytesPerSample = deep ? 2 : 1;
	uint16_t chunk[256];
	for (uint32_t r = 0; r < h; r++) {
		const uint8_t *row = src.luma + static_cast<size_t>(y + r) * src.stride;
		uint8_t *out = dst + image.offsets[0] + static_cast<size_t>(r) * image.pitches[0];
		for (uint32_t done = 0; done < w;) {
			uint32_t n = std::min<uint32_t>(w - done, std::size(chunk));
			loadTenBitRow(src.fourcc, row, x + done, n, chunk);
			storeSamples(deep, chunk, n, out + static_cast<size_t>(done) * bytesPerSample);
			done += n;
		}
	}
	const uint32_t srcCw = (src.width + 1) / 2, srcCh = (src.height + 1) / 2;
	const uint32_t cx0 = x / 2, cols = cx0 < srcCw ? std::min((w + 1) / 2, srcCw - cx0) : 0;
	for (uint32_t r = 0; r < (h + 1) / 2 && y / 2 + r < srcCh && cols; r++) {
		const uint32_t cy = y / 2 + r, rowIndex = is422(src.fourcc) ? cy * 2 : cy;
		const uint8_t *row = src.chroma + static_cast<size_t>(rowIndex) * src.chromaStride;
		uint8_t *u = dst + image.offsets[1] + static_cast<size_t>(r) * image.pitches[1];
		uint8_t *v = fourcc == VA_FOURCC_I420
				     ? dst + image.offsets[2] + static_cast<size_t>(r) * image.pitches[2]
				     : nullptr;
		// Interleaved CbCr samples: sample k is Cb (even k) or Cr (odd k) of column k / 2.
		for (uint32_t done = 0; done < 2 * cols;) {
			uint32_t n = std::min<uint32_t>(2 * cols - done, std::size(chunk));
			loadTenBitRow(src.fourcc, row, 2 * cx0 + done, n, chunk);
			if (v) {
				for (uint32_t i = 0; i < n; i++) {
					uint32_t k = done + i;
					uint8_t *plane = k % 2 ? v : u;
					plane[k / 2] = static_cast<uint8_t>(chunk[i] >> 8);
				}
			} else {
				storeSamples(deep, chunk, n, u + static_cast<size_t>(done) * bytesPerSample);
			}
			done += n;
		}
	}
}

} // namespace

int describeCapture(const struct v4l2_pix_format_mplane &fmt, const PlaneMapping *planes,
		    uint32_t numPlanes, CaptureView *view)
{
	CaptureView v;
	v.fourcc = fmt.pixelformat;
	v.width = fmt.width;
	v.height = fmt.height;
	v.stride = fmt.plane_fmt[0].bytesperline;
	if (!numPlanes || !planes[0].data || !v.width || !v.height || !v.stride)
		return -EINVAL;
	uint32_t chromaRows;
	switch (v.fourcc) {
	case V4L2_PIX_FMT_NV12:
	case V4L2_PIX_FMT_NV15:
	case V4L2_PIX_FMT_P010:
	case V4L2_PIX_FMT_NV12_32L32:
	case V4L2_PIX_FMT_NV12_4L4:
		chromaRows = v.fourcc == V4L2_PIX_FMT_NV12_32L32 ? alignUp(v.height, 64) / 2
			   : v.fourcc == V4L2_PIX_FMT_NV12_4L4	? alignUp(v.height, 8) / 2
								: (v.height + 1) / 2;
		break;
	case V4L2_PIX_FMT_NV16:
	case V4L2_PIX_FMT_NV20:
		chromaRows = v.height;
		break;
	case V4L2_PIX_FMT_YUV420:
		chromaRows = (v.height + 1) / 2;
		break;
	default:
		return -EINVAL;
	}
	size_t lumaBytes = static_cast<size_t>(v.stride) * lumaRows(v.fourcc, v.height);
	v.luma = planes[0].data;
	v.lumaSize = lumaBytes;
	v.chromaStride = v.fourcc == V4L2_PIX_FMT_YUV420 ? v.stride / 2 : v.stride;
	size_t chromaBytes = static_cast<size_t>(v.chromaStride) * chromaRows *
			     (v.fourcc == V4L2_PIX_FMT_YUV420 ? 2 : 1);
	if (numPlanes >= 2) {
		// Multi-planar variant: chroma in its own plane.
		v.chromaStride = fmt.plane_fmt[1].bytesperline ? fmt.plane_fmt[1].bytesperline : v.chromaStride;
		v.chroma = planes[1].data;
		v.chromaSize = planes[1].length;
		if (planes[0].length < lumaBytes || !v.chroma || v.chromaSize < chromaBytes)
			return -EINVAL;
	} else {
		if (planes[0].length < lumaBytes + chromaBytes)
			return -EINVAL;
		v.chroma = planes[0].data + lumaBytes;
		v.chromaSize = chromaBytes;
	}
	if (v.fourcc == V4L2_PIX_FMT_YUV420)
		v.chromaV = v.chroma + static_cast<size_t>(v.chromaStride) * chromaRows;
	*view = v;
	return 0;
}

bool linearFor(const CaptureView &view, uint32_t vaFourcc, uint32_t numPlanes)
{
	if (numPlanes != 1)
		return false;	// a VA image is one buffer
	return (vaFourcc == VA_FOURCC_NV12 && view.fourcc == V4L2_PIX_FMT_NV12) ||
	       (vaFourcc == VA_FOURCC_P010 && view.fourcc == V4L2_PIX_FMT_P010);
}

bool imageLayout(uint32_t fourcc, uint32_t width, uint32_t height, VAImage *image)
{
	if (!width || !height || width > 16384 || height > 16384)
		return false;
	VAImage img {};
	img.width = static_cast<uint16_t>(width);
	img.height = static_cast<uint16_t>(height);
	img.format.fourcc = fourcc;
	img.format.byte_order = VA_LSB_FIRST;
	uint32_t ch = (height + 1) / 2;
	switch (fourcc) {
	case VA_FOURCC_NV12:
		img.format.bits_per_pixel = 12;
		img.num_planes = 2;
		img.pitches[0] = img.pitches[1] = alignUp(width, 16);
		img.offsets[1] = img.pitches[0] * height;
		img.data_size = img.offsets[1] + img.pitches[1] * ch;
		break;
	case VA_FOURCC_P010:
		img.format.bits_per_pixel = 24;
		img.num_planes = 2;
		img.pitches[0] = img.pitches[1] = alignUp(width * 2, 32);
		img.offsets[1] = img.pitches[0] * height;
		img.data_size = img.offsets[1] + img.pitches[1] * ch;
		break;
	case VA_FOURCC_I420:
		img.format.bits_per_pixel = 12;
		img.num_planes = 3;
		img.pitches[0] = alignUp(width, 16);
		img.pitches[1] = img.pitches[2] = alignUp((width + 1) / 2, 8);
		img.offsets[1] = img.pitches[0] * height;
		img.offsets[2] = img.offsets[1] + img.pitches[1] * ch;
		img.data_size = img.offsets[2] + img.pitches[2] * ch;
		break;
	default:
		return false;
	}
	*image = img;
	return true;
}

void copyToImage(const CaptureView &src, uint32_t x, uint32_t y, uint32_t w, uint32_t h,
		 const VAImage &image, uint8_t *dst)
{
	const uint32_t fourcc = image.format.fourcc;
	uint8_t *dy = dst + image.offsets[0];
	// Fast path: linear 8-bit to NV12 row by row.
	if (fourcc == VA_FOURCC_NV12 && src.fourcc == V4L2_PIX_FMT_NV12) {
		for (uint32_t r = 0; r < h; r++)
			memcpy(dy + static_cast<size_t>(r) * image.pitches[0],
			       src.luma + static_cast<size_t>(y + r) * src.stride + x, w);
		uint8_t *duv = dst + image.offsets[1];
		uint32_t cx = x & ~1u, cw = std::min(2 * ((w + 1) / 2), src.width - cx);
		for (uint32_t r = 0; r < (h + 1) / 2 && y / 2 + r < (src.height + 1) / 2; r++)
			memcpy(duv + static_cast<size_t>(r) * image.pitches[1],
			       src.chroma + static_cast<size_t>(y / 2 + r) * src.chromaStride + cx, cw);
		return;
	}
	if (eightBit(src.fourcc))
		copyEightBit(src, x, y, w, h, image, dst);
	else
		copyTenBit(src, x, y, w, h, image, dst);
}

void copyFromImage(const VAImage &image, const uint8_t *src, uint32_t x, uint32_t y, uint32_t w,
		   uint32_t h, const CaptureView &dstView, uint8_t *dstLuma, uint8_t *dstChroma)
{
	// Only linear NV12 images into linear NV12 capture (checked by the caller).
	for (uint32_t r = 0; r < h; r++)
		memcpy(dstLuma + static_cast<size_t>(y + r) * dstView.stride + x,
		       src + image.offsets[0] + static_cast<size_t>(r) * image.pitches[0], w);
	uint32_t cx = x & ~1u, cw = std::min(2 * ((w + 1) / 2), dstView.width - cx);
	for (uint32_t r = 0; r < (h + 1) / 2 && y / 2 + r < (dstView.height + 1) / 2; r++)
		memcpy(dstChroma + static_cast<size_t>(y / 2 + r) * dstView.chromaStride + cx,
		       src + image.offsets[1] + static_cast<size_t>(r) * image.pitches[1], cw);
}

} // namespace v4l2va
