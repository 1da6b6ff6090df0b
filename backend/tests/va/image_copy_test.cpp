// SPDX-License-Identifier: MIT
// GetImage's conversions, layout by layout: a picture with known samples is written in each
// CAPTURE layout by an independent packer here (V4L2 format definitions), read back into each
// VA image format by the driver's copyToImage, and compared sample by sample.
#include "va/image_copy.h"

#include <gtest/gtest.h>

#include <vector>

namespace v4l2va::test {
namespace {

// The picture: 10-bit samples that differ in every position and plane.
uint16_t luma(uint32_t x, uint32_t y)
{
	return static_cast<uint16_t>((x * 37 + y * 101 + 5) % 1024);
}
uint16_t chroma(uint32_t cx, uint32_t cy, unsigned c)
{
	return static_cast<uint16_t>((cx * 53 + cy * 29 + c * 511 + 17) % 1024);
}

/// Packs 10-bit samples 4 in 5 bytes, little endian (V4L2_PIX_FMT_NV15 / NV20).
void pack10(std::vector<uint8_t> &out, size_t at, const std::vector<uint16_t> &samples)
{
	for (size_t i = 0; i < samples.size(); i++) {
		size_t bit = i * 10;
		for (unsigned b = 0; b < 10; b++, bit++)
			if (samples[i] >> b & 1)
				out[at + bit / 8] |= static_cast<uint8_t>(1u << (bit % 8));
	}
}

struct Layout {
	struct v4l2_pix_format_mplane fmt {};
	std::vector<uint8_t> data;
	bool tenBit = false;
};

/// Writes the picture in a capture layout: linear rows, tiles, or packed 10-bit.
Layout make(uint32_t fourcc, uint32_t w, uint32_t h)
{
	Layout l;
	l.fmt.pixelformat = fourcc;
	l.fmt.width = w;
	l.fmt.height = h;
	l.fmt.num_planes = 1;
	const uint32_t cw = (w + 1) / 2, ch = (h + 1) / 2;
	auto tile = [](uint32_t tw, uint32_t stride, uint32_t xb, uint32_t y) {
		return (static_cast<size_t>(y / tw) * (stride / tw) + xb / tw) * tw * tw + (y % tw) * tw + xb % tw;
	};
	switch (fourcc) {
	case V4L2_PIX_FMT_NV12:
	case V4L2_PIX_FMT_NV16: {
		const bool f422 = fourcc == V4L2_PIX_FMT_NV16;
		uint32_t stride = w + 16;	// padding the reader must skip
		uint32_t crows = f422 ? h : ch;
		l.fmt.plane_fmt[0].bytesperline = stride;
		l.data.assign(static_cast<size_t>(stride) * (h + crows), 0);
		for (uint32_t y = 0; y < h; y++)
			for (uint32_t x = 0; x < w; x++)
				l.data[y * stride + x] = static_cast<uint8_t>(luma(x, y) >> 2);
		for (uint32_t r = 0; r < crows; r++)
			for (uint32_t cx = 0; cx < cw; cx++)
				for (unsigned c = 0; c < 2; c++)
					l.data[stride * h + r * stride + 2 * cx + c] =
						static_cast<uint8_t>(chroma(cx, f422 ? r / 2 : r, c) >> 2);
		break;
	}
	case V4L2_PIX_FMT_NV12_32L32:
	case V4L2_PIX_FMT_NV12_4L4: {
		const uint32_t t = fourcc == V4L2_PIX_FMT_NV12_32L32 ? 32 : 4;
		uint32_t stride = (w + t - 1) / t * t;
		uint32_t lrows = (h + t - 1) / t * t;
		uint32_t crows = fourcc == V4L2_PIX_FMT_NV12_32L32 ? (h + 63) / 64 * 32 : (h + 7) / 8 * 4;
		l.fmt.plane_fmt[0].bytesperline = stride;
		l.data.assign(static_cast<size_t>(stride) * (lrows + crows), 0);
		for (uint32_t y = 0; y < h; y++)
			for (uint32_t x = 0; x < w; x++)
				l.data[tile(t, stride, x, y)] = static_cast<uint8_t>(luma(x, y) >> 2);
		for (uint32_t r = 0; r < ch; r++)
			for (uint32_t cx = 0; cx < cw; cx++)
				for (unsigned c = 0; c < 2; c++)
					l.data[static_cast<size_t>(stride) * lrows + tile(t, stride, 2 * cx + c, r)] =
						static_cast<uint8_t>(chroma(cx, r, c) >> 2);
		break;
	}
	case V4L2_PIX_FMT_YUV420: {
		uint32_t stride = w + (w & 1);
		l.fmt.plane_fmt[0].bytesperline = stride;
		l.data.assign(static_cast<size_t>(stride) * h + 2 * static_cast<size_t>(stride / 2) * ch, 0);
		for (uint32_t y = 0; y < h; y++)
			for (uint32_t x = 0; x < w; x++)
				l.data[y * stride + x] = static_cast<uint8_t>(luma(x, y) >> 2);
		for (unsigned c = 0; c < 2; c++)
			for (uint32_t r = 0; r < ch; r++)
				for (uint32_t cx = 0; cx < cw; cx++)
					l.data[static_cast<size_t>(stride) * h + c * (stride / 2) * ch + r * (stride / 2) + cx] =
						static_cast<uint8_t>(chroma(cx, r, c) >> 2);
		break;
	}
	case V4L2_PIX_FMT_P010: {
		l.tenBit = true;
		uint32_t stride = 2 * w + 32;
		l.fmt.plane_fmt[0].bytesperline = stride;
		l.data.assign(static_cast<size_t>(stride) * (h + ch), 0);
		// The bits below each sample are junk here: an image must hold them cleared.
		auto put = [&](size_t o, uint16_t v) {
			l.data[o] = static_cast<uint8_t>(((v << 6) & 0xff) | ((o * 7) & 0x3f));
			l.data[o + 1] = static_cast<uint8_t>((v << 6) >> 8);
		};
		for (uint32_t y = 0; y < h; y++)
			for (uint32_t x = 0; x < w; x++)
				put(static_cast<size_t>(y) * stride + 2 * x, luma(x, y));
		for (uint32_t r = 0; r < ch; r++)
			for (uint32_t cx = 0; cx < cw; cx++)
				for (unsigned c = 0; c < 2; c++)
					put(static_cast<size_t>(stride) * h + r * stride + 4 * cx + 2 * c, chroma(cx, r, c));
		break;
	}
	case V4L2_PIX_FMT_NV15: {
		l.tenBit = true;
		uint32_t stride = (w + 3) / 4 * 5 + 8;
		l.fmt.plane_fmt[0].bytesperline = stride;
		l.data.assign(static_cast<size_t>(stride) * (h + ch), 0);
		for (uint32_t y = 0; y < h; y++) {
			std::vector<uint16_t> row(w);
			for (uint32_t x = 0; x < w; x++)
				row[x] = luma(x, y);
			pack10(l.data, static_cast<size_t>(y) * stride, row);
		}
		for (uint32_t r = 0; r < ch; r++) {
			std::vector<uint16_t> row(2 * cw);
			for (uint32_t cx = 0; cx < cw; cx++)
				for (unsigned c = 0; c < 2; c++)
					row[2 * cx + c] = chroma(cx, r, c);
			pack10(l.data, static_cast<size_t>(stride) * h + static_cast<size_t>(r) * stride, row);
		}
		break;
	}
	}
	l.fmt.plane_fmt[0].sizeimage = static_cast<uint32_t>(l.data.size());
	return l;
}

struct Case {
	uint32_t capture;
	uint32_t image;
	uint32_t width = 70;	///< > 256: rows cross the 10-bit path's chunk boundary
};

class ImageCopy : public ::testing::TestWithParam<Case> {};

TEST_P(ImageCopy, EverySampleArrivesInTheImageFormat)
{
	const Case c = GetParam();
	const uint32_t w = c.width, h = 46;	// not a multiple of any tile: edges are read right
	Layout src = make(c.capture, w, h);
	PlaneMapping plane {src.data.data(), src.data.size()};
	CaptureView view;
	ASSERT_EQ(describeCapture(src.fmt, &plane, 1, &view), 0);
	// A region away from the origin, as GetImage(x, y, w, h) may ask.
	const uint32_t x0 = 6, y0 = 4, rw = w - 10, rh = 40;
	VAImage image;
	ASSERT_TRUE(imageLayout(c.image, rw, rh, &image));
	std::vector<uint8_t> dst(image.data_size, 0xee);
	copyToImage(view, x0, y0, rw, rh, image, dst.data());
	// What each image format holds of a 10-bit sample: 8 bits (NV12/I420) or 10 MSB-aligned.
	const bool deep = c.image == VA_FOURCC_P010;
	auto expect8 = [&](uint16_t v) { return static_cast<uint8_t>(src.tenBit ? v >> 2 : v >> 2); };
	for (uint32_t y = 0; y < rh; y++) {
		for (uint32_t x = 0; x < rw; x++) {
			uint16_t v = luma(x0 + x, y0 + y);
			if (deep) {
				const uint8_t *p = dst.data() + image.offsets[0] + y * image.pitches[0] + 2 * x;
				uint16_t got = static_cast<uint16_t>(p[0] | p[1] << 8);
				uint16_t want = src.tenBit ? static_cast<uint16_t>(v << 6) : static_cast<uint16_t>((v >> 2) << 8);
				ASSERT_EQ(got, want) << "luma " << x << "," << y;
			} else {
				ASSERT_EQ(dst[image.offsets[0] + y * image.pitches[0] + x], expect8(v)) << "luma " << x << "," << y;
			}
		}
	}
	for (uint32_t r = 0; r < rh / 2; r++) {
		for (uint32_t cx = 0; cx < rw / 2; cx++) {
			for (unsigned comp = 0; comp < 2; comp++) {
				uint16_t v = chroma(x0 / 2 + cx, y0 / 2 + r, comp);
				if (c.image == VA_FOURCC_I420) {
					ASSERT_EQ(dst[image.offsets[1 + comp] + r * image.pitches[1 + comp] + cx], expect8(v))
						<< "chroma " << comp << " " << cx << "," << r;
				} else if (deep) {
					const uint8_t *p = dst.data() + image.offsets[1] + r * image.pitches[1] + 4 * cx + 2 * comp;
					uint16_t got = static_cast<uint16_t>(p[0] | p[1] << 8);
					uint16_t want = src.tenBit ? static_cast<uint16_t>(v << 6)
								   : static_cast<uint16_t>((v >> 2) << 8);
					ASSERT_EQ(got, want) << "chroma " << comp << " " << cx << "," << r;
				} else {
					ASSERT_EQ(dst[image.offsets[1] + r * image.pitches[1] + 2 * cx + comp], expect8(v))
						<< "chroma " << comp << " " << cx << "," << r;
				}
			}
		}
	}
}

INSTANTIATE_TEST_SUITE_P(
	Layouts, ImageCopy,
	::testing::Values(Case {V4L2_PIX_FMT_NV12, VA_FOURCC_NV12}, Case {V4L2_PIX_FMT_NV12, VA_FOURCC_I420},
			  Case {V4L2_PIX_FMT_NV12, VA_FOURCC_P010}, Case {V4L2_PIX_FMT_NV12_32L32, VA_FOURCC_NV12},
			  Case {V4L2_PIX_FMT_NV12_4L4, VA_FOURCC_NV12}, Case {V4L2_PIX_FMT_YUV420, VA_FOURCC_NV12},
			  Case {V4L2_PIX_FMT_YUV420, VA_FOURCC_I420}, Case {V4L2_PIX_FMT_NV16, VA_FOURCC_NV12},
			  Case {V4L2_PIX_FMT_P010, VA_FOURCC_P010}, Case {V4L2_PIX_FMT_P010, VA_FOURCC_NV12},
			  Case {V4L2_PIX_FMT_NV15, VA_FOURCC_P010}, Case {V4L2_PIX_FMT_NV15, VA_FOURCC_NV12},
			  // Every 8-bit layout into every image format (copied run by run).
			  Case {V4L2_PIX_FMT_NV12_32L32, VA_FOURCC_I420}, Case {V4L2_PIX_FMT_NV12_32L32, VA_FOURCC_P010},
			  Case {V4L2_PIX_FMT_NV12_4L4, VA_FOURCC_I420}, Case {V4L2_PIX_FMT_NV12_4L4, VA_FOURCC_P010},
			  Case {V4L2_PIX_FMT_YUV420, VA_FOURCC_P010}, Case {V4L2_PIX_FMT_NV16, VA_FOURCC_I420},
			  Case {V4L2_PIX_FMT_NV16, VA_FOURCC_P010},
			  // 10-bit layouts (unpacked a row chunk at a time) into I420 too.
			  Case {V4L2_PIX_FMT_P010, VA_FOURCC_I420}, Case {V4L2_PIX_FMT_NV15, VA_FOURCC_I420},
			  Case {V4L2_PIX_FMT_NV15, VA_FOURCC_P010, 600}, Case {V4L2_PIX_FMT_P010, VA_FOURCC_I420, 600},
			  Case {V4L2_PIX_FMT_NV15, VA_FOURCC_NV12, 600}, Case {V4L2_PIX_FMT_NV12_32L32, VA_FOURCC_I420, 600}),
	[](const auto &info) {
		std::string n;
		for (uint32_t f : {info.param.capture, info.param.image})
			for (int i = 0; i < 4; i++) {
				char ch = static_cast<char>(f >> (8 * i));
				n += isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
			}
		return n + "_" + std::to_string(info.param.width);
	});

TEST(ImageCopyBadInput, TooSmallBuffersAndUnknownFormatsAreRefused)
{
	Layout src = make(V4L2_PIX_FMT_NV12, 64, 48);
	PlaneMapping plane {src.data.data(), src.data.size() - 1};
	CaptureView view;
	EXPECT_EQ(describeCapture(src.fmt, &plane, 1, &view), -EINVAL) << "one byte short";
	src.fmt.pixelformat = V4L2_PIX_FMT_RGB24;
	plane.length = src.data.size();
	EXPECT_EQ(describeCapture(src.fmt, &plane, 1, &view), -EINVAL);
	VAImage image;
	EXPECT_FALSE(imageLayout(VA_FOURCC_RGBA, 64, 64, &image));
	EXPECT_FALSE(imageLayout(VA_FOURCC_NV12, 0, 64, &image));
	EXPECT_FALSE(imageLayout(VA_FOURCC_NV12, 64, 100000, &image));
}

} // namespace
} // namespace v4l2va::test
