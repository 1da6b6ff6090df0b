// SPDX-License-Identifier: MIT
// The memory behind images and buffers: a vaCreateImage image of any size (its store is a lazily
// zeroed mapping between guard pages) reads a decoded picture back exactly, in every format, and
// an access past either end faults; the mapping of an image destroyed while mapped stays valid
// until it is unmapped, and nothing is left after; recycled buffers start with their new
// contents whatever their previous lives held.
#include "va_scenario.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cstring>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define V4L2VA_TEST_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define V4L2VA_TEST_ASAN 1
#endif

namespace v4l2va::test {
namespace {

constexpr unsigned kW = 176, kH = 144;

class ImageMemory : public ::testing::Test, public DriverSession {
protected:
	void SetUp() override
	{
		start({});
		source = makeSource("mpeg2", kW, kH);
		ASSERT_NE(source, nullptr);
	}
	/// A decoded surface and its picture read back as tightly packed NV12.
	void decodeOne(VASurfaceID *surface, std::vector<uint8_t> *nv12)
	{
		ASSERT_EQ(drv().createSurfaces(kW, kH, 1, &surfaces), VA_STATUS_SUCCESS);
		VAConfigID cfg;
		ASSERT_EQ(drv().createConfig(source->profile(), &cfg), VA_STATUS_SUCCESS);
		ASSERT_EQ(vt().vaCreateContext(ctx(), cfg, kW, kH, VA_PROGRESSIVE, surfaces.data(), 1, &context),
			  VA_STATUS_SUCCESS);
		ASSERT_EQ(decodePicture(drv(), context, *source, 0, surfaces[0], VA_INVALID_SURFACE),
			  VA_STATUS_SUCCESS);
		ASSERT_EQ(drv().download(surfaces[0], kW, kH, nv12), VA_STATUS_SUCCESS);
		bool zero = true;
		ASSERT_NE(matchDecodedFrame(board(), *nv12, kW, kH, &zero), 0u);
		ASSERT_FALSE(zero);
		*surface = surfaces[0];
	}

	std::unique_ptr<FrameSource> source;
	std::vector<VASurfaceID> surfaces;
	VAContextID context = VA_INVALID_ID;
};

/// Luma and chroma (Cb, Cr) of the image at (x, y), 8-bit (P010 is MSB-aligned).
struct Pixel {
	uint8_t y, cb, cr;
};
Pixel imagePixel(const VAImage &img, const uint8_t *p, unsigned x, unsigned y)
{
	const unsigned cx = x / 2, cy = y / 2;
	switch (img.format.fourcc) {
	case VA_FOURCC_NV12:
		return {p[img.offsets[0] + y * img.pitches[0] + x], p[img.offsets[1] + cy * img.pitches[1] + 2 * cx],
			p[img.offsets[1] + cy * img.pitches[1] + 2 * cx + 1]};
	case VA_FOURCC_I420:
		return {p[img.offsets[0] + y * img.pitches[0] + x], p[img.offsets[1] + cy * img.pitches[1] + cx],
			p[img.offsets[2] + cy * img.pitches[2] + cx]};
	default: {	// P010: little-endian 16-bit samples, the 8 bits in the top byte
		auto at = [&](size_t o) {
			EXPECT_EQ(p[o], 0) << "an 8-bit picture has no low bits";
			return p[o + 1];
		};
		return {at(img.offsets[0] + y * img.pitches[0] + 2 * x),
			at(img.offsets[1] + cy * img.pitches[1] + 4 * cx),
			at(img.offsets[1] + cy * img.pitches[1] + 4 * cx + 2)};
	}
	}
}
Pixel nv12Pixel(const std::vector<uint8_t> &nv12, unsigned x, unsigned y)
{
	const size_t chroma = size_t {kW} * kH + (y / 2) * kW + (x / 2) * 2;
	return {nv12[y * kW + x], nv12[chroma], nv12[chroma + 1]};
}

TEST_F(ImageMemory, ImagesOfEverySizeAndFormatReadTheDecodedPictureBack)
{
	VASurfaceID s;
	std::vector<uint8_t> ref;
	decodeOne(&s, &ref);
	if (HasFatalFailure())
		return;
	struct Size {
		unsigned w, h;
	};
	// Odd sizes, the surface's, and images far larger than the region read (8K, whose store
	// costs only the pages written).
	const Size sizes[] = {{1, 1}, {2, 2}, {15, 9}, {33, 17}, {175, 143}, {kW, kH}, {1920, 1088}, {8192, 8192}};
	for (uint32_t fourcc : {VA_FOURCC_NV12, VA_FOURCC_I420, VA_FOURCC_P010}) {
		for (const Size &sz : sizes) {
			SCOPED_TRACE(testing::Message() << std::string(reinterpret_cast<const char *>(&fourcc), 4) << " "
							<< sz.w << "x" << sz.h);
			VAImageFormat fmt {};
			fmt.fourcc = fourcc;
			VAImage img;
			ASSERT_EQ(vt().vaCreateImage(ctx(), &fmt, static_cast<int>(sz.w), static_cast<int>(sz.h), &img),
				  VA_STATUS_SUCCESS);
			const unsigned w = std::min(sz.w, kW), h = std::min(sz.h, kH);
			ASSERT_EQ(vt().vaGetImage(ctx(), s, 0, 0, w, h, img.image_id), VA_STATUS_SUCCESS);
			void *p = nullptr;
			ASSERT_EQ(vt().vaMapBuffer(ctx(), img.buf, &p), VA_STATUS_SUCCESS);
			const auto *bytes = static_cast<const uint8_t *>(p);
			if (w < sz.w || h < sz.h) {
				EXPECT_EQ(bytes[img.data_size - 1], 0) << "past the region read: never written, zero";
			}
			unsigned bad = 0;
			for (unsigned y = 0; y < h; y++) {
				for (unsigned x = 0; x < w; x++) {
					Pixel got = imagePixel(img, bytes, x, y), want = nv12Pixel(ref, x, y);
					bool chromaSited = x % 2 == 0 && y % 2 == 0;
					bad += got.y != want.y || (chromaSited && (got.cb != want.cb || got.cr != want.cr));
				}
			}
			EXPECT_EQ(bad, 0u) << "pixels that differ from the decoded picture";
			EXPECT_EQ(vt().vaUnmapBuffer(ctx(), img.buf), VA_STATUS_SUCCESS);
			EXPECT_EQ(vt().vaDestroyImage(ctx(), img.image_id), VA_STATUS_SUCCESS);
		}
	}
	VAImageFormat nv12 {};
	nv12.fourcc = VA_FOURCC_NV12;
	VAImage img;
	EXPECT_EQ(vt().vaCreateImage(ctx(), &nv12, 16385, 16, &img), VA_STATUS_ERROR_INVALID_IMAGE_FORMAT)
		<< "past the largest image size";
	EXPECT_EQ(vt().vaCreateImage(ctx(), &nv12, 16, -1, &img), VA_STATUS_ERROR_INVALID_PARAMETER);
	expectNothingLeft();
}

TEST_F(ImageMemory, ACopyRunningPastEitherEndOfAnImageFaults)
{
	// Guard pages around the store: what a heap vector's redzones caught under ASan, any
	// build catches (the slack inside the last page is poisoned under ASan).
	GTEST_FLAG_SET(death_test_style, "threadsafe");
	VAImageFormat fmt {};
	fmt.fourcc = VA_FOURCC_NV12;
	VAImage img;
	ASSERT_EQ(vt().vaCreateImage(ctx(), &fmt, 176, 144, &img), VA_STATUS_SUCCESS);
	void *p = nullptr;
	ASSERT_EQ(vt().vaMapBuffer(ctx(), img.buf, &p), VA_STATUS_SUCCESS);
	volatile uint8_t *bytes = static_cast<uint8_t *>(p);
	const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
	const size_t pastPage = (img.data_size + page - 1) / page * page;
	bytes[0] = 1;
	bytes[img.data_size - 1] = 1;
	EXPECT_DEATH(bytes[pastPage] = 1, "");
	EXPECT_DEATH(bytes[-1] = 1, "");
#if V4L2VA_TEST_ASAN
	ASSERT_LT(img.data_size, pastPage);
	EXPECT_DEATH(bytes[img.data_size] = 1, "AddressSanitizer") << "the slack in the last page is poisoned";
#endif
	EXPECT_EQ(vt().vaUnmapBuffer(ctx(), img.buf), VA_STATUS_SUCCESS);
	EXPECT_EQ(vt().vaDestroyImage(ctx(), img.image_id), VA_STATUS_SUCCESS);
	expectNothingLeft();
}

TEST_F(ImageMemory, AnImageDestroyedWhileMappedStaysValidUntilUnmapped)
{
	VAImageFormat fmt {};
	fmt.fourcc = VA_FOURCC_NV12;
	VAImage img;
	ASSERT_EQ(vt().vaCreateImage(ctx(), &fmt, 64, 64, &img), VA_STATUS_SUCCESS);
	void *p = nullptr;
	ASSERT_EQ(vt().vaMapBuffer(ctx(), img.buf, &p), VA_STATUS_SUCCESS);
	auto *bytes = static_cast<uint8_t *>(p);
	for (uint32_t i = 0; i < img.data_size; i++)
		bytes[i] = static_cast<uint8_t>(i * 13 + 1);
	ASSERT_EQ(vt().vaDestroyImage(ctx(), img.image_id), VA_STATUS_SUCCESS);
	// The application's pointer still reads (and writes) what it wrote.
	unsigned bad = 0;
	for (uint32_t i = 0; i < img.data_size; i++)
		bad += bytes[i] != static_cast<uint8_t>(i * 13 + 1);
	EXPECT_EQ(bad, 0u);
	bytes[img.data_size - 1] = 0;
	EXPECT_EQ(vt().vaDestroyImage(ctx(), img.image_id), VA_STATUS_ERROR_INVALID_IMAGE);
	// Unmapping is its end: the buffer goes with it.
	EXPECT_EQ(vt().vaUnmapBuffer(ctx(), img.buf), VA_STATUS_SUCCESS);
	EXPECT_EQ(vt().vaUnmapBuffer(ctx(), img.buf), VA_STATUS_ERROR_INVALID_BUFFER);
	EXPECT_EQ(vt().vaMapBuffer(ctx(), img.buf, &p), VA_STATUS_ERROR_INVALID_BUFFER);

	// Not mapped: the buffer goes with the image at once.
	ASSERT_EQ(vt().vaCreateImage(ctx(), &fmt, 64, 64, &img), VA_STATUS_SUCCESS);
	ASSERT_EQ(vt().vaDestroyBuffer(ctx(), img.buf), VA_STATUS_ERROR_INVALID_BUFFER)
		<< "an image's buffer goes with its image";
	ASSERT_EQ(vt().vaDestroyImage(ctx(), img.image_id), VA_STATUS_SUCCESS);
	EXPECT_EQ(vt().vaMapBuffer(ctx(), img.buf, &p), VA_STATUS_ERROR_INVALID_BUFFER);

	// Destroying the orphaned buffer ends the mapping too.
	ASSERT_EQ(vt().vaCreateImage(ctx(), &fmt, 64, 64, &img), VA_STATUS_SUCCESS);
	ASSERT_EQ(vt().vaMapBuffer(ctx(), img.buf, &p), VA_STATUS_SUCCESS);
	ASSERT_EQ(vt().vaDestroyImage(ctx(), img.image_id), VA_STATUS_SUCCESS);
	EXPECT_EQ(vt().vaDestroyBuffer(ctx(), img.buf), VA_STATUS_SUCCESS);
	EXPECT_EQ(vt().vaUnmapBuffer(ctx(), img.buf), VA_STATUS_ERROR_INVALID_BUFFER);

	// One left mapped goes at vaTerminate.
	ASSERT_EQ(vt().vaCreateImage(ctx(), &fmt, 64, 64, &img), VA_STATUS_SUCCESS);
	ASSERT_EQ(vt().vaMapBuffer(ctx(), img.buf, &p), VA_STATUS_SUCCESS);
	ASSERT_EQ(vt().vaDestroyImage(ctx(), img.image_id), VA_STATUS_SUCCESS);
	expectNothingLeft();
}

TEST_F(ImageMemory, ADerivedImageDestroyedWhileMappedKeepsThePictureUntilUnmapped)
{
	VASurfaceID s;
	std::vector<uint8_t> ref;
	decodeOne(&s, &ref);
	if (HasFatalFailure())
		return;
	VAImage img;
	ASSERT_EQ(vt().vaDeriveImage(ctx(), s, &img), VA_STATUS_SUCCESS);
	void *p = nullptr;
	ASSERT_EQ(vt().vaMapBuffer(ctx(), img.buf, &p), VA_STATUS_SUCCESS);
	ASSERT_EQ(vt().vaDestroyImage(ctx(), img.image_id), VA_STATUS_SUCCESS);
	// The surface and its context go too: the mapping still pins the CAPTURE buffer.
	ASSERT_EQ(vt().vaDestroyContext(ctx(), context), VA_STATUS_SUCCESS);
	ASSERT_EQ(vt().vaDestroySurfaces(ctx(), &s, 1), VA_STATUS_SUCCESS);
	const auto *bytes = static_cast<const uint8_t *>(p);
	unsigned bad = 0;
	for (unsigned y = 0; y < img.height && y < kH; y++)
		for (unsigned x = 0; x < img.width && x < kW; x++)
			bad += imagePixel(img, bytes, x, y).y != nv12Pixel(ref, x, y).y;
	EXPECT_EQ(bad, 0u) << "luma samples that differ from the decoded picture";
	EXPECT_EQ(vt().vaUnmapBuffer(ctx(), img.buf), VA_STATUS_SUCCESS);
	expectNothingLeft();
}

TEST_F(ImageMemory, RecycledBuffersStartWithTheirNewContents)
{
	VASurfaceID s;
	std::vector<uint8_t> ref;
	decodeOne(&s, &ref);
	if (HasFatalFailure())
		return;
	// Sizes up and down, so that buffers are reused both larger and smaller than asked for
	// (and replaced when none is large enough); derived images in between.
	for (unsigned size : {4096u, 16u, 100000u, 64u, 1u << 20, 8u, 3u << 20, 100u, 70000u}) {
		SCOPED_TRACE(size);
		std::vector<uint8_t> data(size);
		for (unsigned i = 0; i < size; i++)
			data[i] = static_cast<uint8_t>(i * 7 + size);
		VABufferID filled, empty;
		ASSERT_EQ(drv().createBuffer(context, VASliceDataBufferType, data.data(), size, &filled),
			  VA_STATUS_SUCCESS);
		ASSERT_EQ(vt().vaCreateBuffer(ctx(), context, VASliceDataBufferType, size, 1, nullptr, &empty),
			  VA_STATUS_SUCCESS);
		void *p = nullptr;
		ASSERT_EQ(vt().vaMapBuffer(ctx(), filled, &p), VA_STATUS_SUCCESS);
		EXPECT_EQ(memcmp(p, data.data(), size), 0);
		memset(p, 0xa5, size);	// what the next life must not see
		EXPECT_EQ(vt().vaUnmapBuffer(ctx(), filled), VA_STATUS_SUCCESS);
		ASSERT_EQ(vt().vaMapBuffer(ctx(), empty, &p), VA_STATUS_SUCCESS);
		const auto *bytes = static_cast<const uint8_t *>(p);
		EXPECT_EQ(std::count(bytes, bytes + size, 0), static_cast<long>(size)) << "created without data: zero";
		EXPECT_EQ(vt().vaUnmapBuffer(ctx(), empty), VA_STATUS_SUCCESS);
		EXPECT_EQ(vt().vaDestroyBuffer(ctx(), filled), VA_STATUS_SUCCESS);
		EXPECT_EQ(vt().vaDestroyBuffer(ctx(), empty), VA_STATUS_SUCCESS);
		VAImage img;
		ASSERT_EQ(vt().vaDeriveImage(ctx(), s, &img), VA_STATUS_SUCCESS);
		EXPECT_EQ(vt().vaDestroyImage(ctx(), img.image_id), VA_STATUS_SUCCESS);
	}
	expectNothingLeft();
}

} // namespace
} // namespace v4l2va::test
