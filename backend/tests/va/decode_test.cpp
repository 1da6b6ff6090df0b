// SPDX-License-Identifier: MIT
// Decoding through the VA entry points on the emulated fresnel board: late binding, the
// per-picture path, readback (GetImage, DeriveImage), export, and what survives a context.
#include "va_scenario.h"

#include <gtest/gtest.h>

#include <libdrm/drm_fourcc.h>
#include <va/va_drmcommon.h>
#include <sys/mman.h>
#include <unistd.h>

namespace v4l2va::test {
namespace {

class VaDecode : public ::testing::TestWithParam<std::string> {
protected:
	void SetUp() override
	{
		ASSERT_EQ(drv.status(), VA_STATUS_SUCCESS);
		ASSERT_NE(drv.board(), nullptr);
		source = makeSource(GetParam(), 176, 144);
		ASSERT_NE(source, nullptr);
	}
	void TearDown() override
	{
		if (drv.board()) {
			EXPECT_EQ(diagnosticsText(*drv.board()), "");
		}
	}
	VAContextID makeContext(std::vector<VASurfaceID> targets, VAConfigID *cfgOut = nullptr)
	{
		VAConfigID cfg;
		EXPECT_EQ(drv.createConfig(source->profile(), &cfg), VA_STATUS_SUCCESS);
		VAContextID context = VA_INVALID_ID;
		EXPECT_EQ(drv.vt().vaCreateContext(drv.ctx(), cfg, static_cast<int>(source->width()),
						   static_cast<int>(source->height()), VA_PROGRESSIVE,
						   targets.empty() ? nullptr : targets.data(),
						   static_cast<int>(targets.size()), &context),
			  VA_STATUS_SUCCESS);
		if (cfgOut)
			*cfgOut = cfg;
		return context;
	}
	/// Downloads a surface and checks it is the emulator's picture, non-zero.
	void expectDecoded(VASurfaceID s, const char *what)
	{
		std::vector<uint8_t> nv12;
		ASSERT_EQ(drv.download(s, source->width(), source->height(), &nv12), VA_STATUS_SUCCESS) << what;
		bool zero = true;
		EXPECT_NE(matchDecodedFrame(*drv.board(), nv12, source->width(), source->height(), &zero), 0u)
			<< what << ": the read-back picture is not one the emulator decoded";
		EXPECT_FALSE(zero) << what << ": all-zero picture";
	}

	VaDriver drv;
	std::unique_ptr<FrameSource> source;
};

TEST_P(VaDecode, SurfacesBeforeContextThenDecodeAndRead)
{
	std::vector<VASurfaceID> s;
	for (int i = 0; i < 6; i++)	// FFmpeg 5.1: one per call, all before the context
		ASSERT_EQ(drv.createSurfaces(source->width(), source->height(), 1, &s), VA_STATUS_SUCCESS);
	v4l2emu::BoardStats before = drv.board()->stats();
	VAContextID ctx = makeContext(s);
	VASurfaceID ref = VA_INVALID_SURFACE;
	for (unsigned n = 0; n < 12; n++) {
		VASurfaceID target = s[n % s.size()];
		ASSERT_EQ(decodePicture(drv, ctx, *source, n, target, ref), VA_STATUS_SUCCESS) << n;
		ref = target;
	}
	for (VASurfaceID id : s)
		expectDecoded(id, "after decode");
	EXPECT_GE(drv.board()->stats().openFds, before.openFds);
	EXPECT_EQ(drv.vt().vaDestroyContext(drv.ctx(), ctx), VA_STATUS_SUCCESS);
	// Surfaces outlive their context (FFmpeg destroys the context first).
	for (VASurfaceID id : s)
		expectDecoded(id, "after DestroyContext");
	EXPECT_EQ(drv.vt().vaDestroySurfaces(drv.ctx(), s.data(), static_cast<int>(s.size())), VA_STATUS_SUCCESS);
}

TEST_P(VaDecode, ZeroTargetContextAndSurfacesCreatedDuringDecoding)
{
	std::vector<VASurfaceID> s;
	ASSERT_EQ(drv.createSurfaces(source->width(), source->height(), 1, &s), VA_STATUS_SUCCESS);
	VAContextID ctx = makeContext({});	// FFmpeg >= 7.1, GStreamer, Chromium
	VASurfaceID ref = VA_INVALID_SURFACE;
	for (unsigned n = 0; n < 10; n++) {
		if (n >= s.size()) {	// the dynamic pool grows during decoding
			ASSERT_EQ(drv.createSurfaces(source->width(), source->height(), 1, &s), VA_STATUS_SUCCESS);
		}
		ASSERT_EQ(decodePicture(drv, ctx, *source, n, s[n], ref), VA_STATUS_SUCCESS) << n;
		ref = s[n];
		expectDecoded(s[n], "dynamic pool");
	}
	EXPECT_EQ(drv.vt().vaDestroyContext(drv.ctx(), ctx), VA_STATUS_SUCCESS);
}

TEST_P(VaDecode, EveryRenderStyleDecodesTheSamePicture)
{
	std::vector<VASurfaceID> s;
	ASSERT_EQ(drv.createSurfaces(source->width(), source->height(), 4, &s), VA_STATUS_SUCCESS);
	VAContextID ctx = makeContext(s);
	std::vector<std::vector<uint8_t>> pics;
	for (RenderStyle style : {RenderStyle::FFmpeg, RenderStyle::GstreamerVaapi, RenderStyle::LibvaUtils,
				  RenderStyle::OneCall}) {
		// A fresh source each time: picture 0 of the same stream, byte for byte.
		std::unique_ptr<FrameSource> fresh = makeSource(GetParam(), source->width(), source->height());
		ASSERT_EQ(decodePicture(drv, ctx, *fresh, 0, s[0], VA_INVALID_SURFACE, style), VA_STATUS_SUCCESS);
		std::vector<uint8_t> nv12;
		ASSERT_EQ(drv.download(s[0], source->width(), source->height(), &nv12), VA_STATUS_SUCCESS);
		pics.push_back(nv12);
	}
	for (size_t i = 1; i < pics.size(); i++)
		EXPECT_EQ(pics[i], pics[0]) << "render style " << i << " decoded a different picture";
}

TEST_P(VaDecode, DeriveImageMapsTheCaptureBufferAndPinsIt)
{
	std::vector<VASurfaceID> s;
	ASSERT_EQ(drv.createSurfaces(source->width(), source->height(), 2, &s), VA_STATUS_SUCCESS);
	VAContextID ctx = makeContext(s);
	ASSERT_EQ(decodePicture(drv, ctx, *source, 0, s[0], VA_INVALID_SURFACE), VA_STATUS_SUCCESS);
	VAImage image;
	ASSERT_EQ(drv.vt().vaDeriveImage(drv.ctx(), s[0], &image), VA_STATUS_SUCCESS);
	EXPECT_EQ(image.format.fourcc, static_cast<uint32_t>(VA_FOURCC_NV12));
	void *p = nullptr;
	ASSERT_EQ(drv.vt().vaMapBuffer(drv.ctx(), image.buf, &p), VA_STATUS_SUCCESS);
	std::vector<uint8_t> derived(source->width() * source->height() * 3 / 2);
	auto *base = static_cast<uint8_t *>(p);
	for (unsigned r = 0; r < source->height(); r++)
		memcpy(derived.data() + r * source->width(), base + image.offsets[0] + r * image.pitches[0],
		       source->width());
	for (unsigned r = 0; r < source->height() / 2; r++)
		memcpy(derived.data() + source->width() * source->height() + r * source->width(),
		       base + image.offsets[1] + r * image.pitches[1], source->width());
	EXPECT_NE(matchDecodedFrame(*drv.board(), derived, source->width(), source->height()), 0u);
	// The surface and its context go; the derived mapping stays valid until DestroyImage.
	EXPECT_EQ(drv.vt().vaDestroyContext(drv.ctx(), ctx), VA_STATUS_SUCCESS);
	EXPECT_EQ(drv.vt().vaDestroySurfaces(drv.ctx(), &s[0], 1), VA_STATUS_SUCCESS);
	volatile uint8_t sum = 0;
	for (unsigned i = 0; i < image.data_size; i += 64)
		sum = sum + base[i];
	EXPECT_EQ(drv.vt().vaUnmapBuffer(drv.ctx(), image.buf), VA_STATUS_SUCCESS);
	EXPECT_EQ(drv.vt().vaDestroyBuffer(drv.ctx(), image.buf), VA_STATUS_ERROR_INVALID_BUFFER)
		<< "an image's buffer goes with the image";
	EXPECT_EQ(drv.vt().vaDestroyImage(drv.ctx(), image.image_id), VA_STATUS_SUCCESS);
	EXPECT_EQ(drv.vt().vaDestroyImage(drv.ctx(), image.image_id), VA_STATUS_ERROR_INVALID_IMAGE);
}

TEST_P(VaDecode, PutImageUploadsWhatGetImageReadsBack)
{
	// FFmpeg's hwupload without derive: CreateImage + MapBuffer + PutImage (consumer-patterns
	// §2.5); the surface then reads back exactly the uploaded picture.
	std::vector<VASurfaceID> s;
	ASSERT_EQ(drv.createSurfaces(source->width(), source->height(), 1, &s), VA_STATUS_SUCCESS);
	VAContextID ctx = makeContext(s);
	ASSERT_EQ(decodePicture(drv, ctx, *source, 0, s[0], VA_INVALID_SURFACE), VA_STATUS_SUCCESS);
	VAImageFormat fmt {};
	fmt.fourcc = VA_FOURCC_NV12;
	VAImage image;
	const unsigned w = source->width(), h = source->height();
	ASSERT_EQ(drv.vt().vaCreateImage(drv.ctx(), &fmt, w, h, &image), VA_STATUS_SUCCESS);
	void *p = nullptr;
	ASSERT_EQ(drv.vt().vaMapBuffer(drv.ctx(), image.buf, &p), VA_STATUS_SUCCESS);
	std::vector<uint8_t> uploaded(w * h * 3 / 2);
	for (size_t i = 0; i < uploaded.size(); i++)
		uploaded[i] = static_cast<uint8_t>(i * 7 + 3);
	auto *base = static_cast<uint8_t *>(p);
	for (unsigned r = 0; r < h; r++)
		memcpy(base + image.offsets[0] + r * image.pitches[0], uploaded.data() + r * w, w);
	for (unsigned r = 0; r < h / 2; r++)
		memcpy(base + image.offsets[1] + r * image.pitches[1], uploaded.data() + w * h + r * w, w);
	ASSERT_EQ(drv.vt().vaUnmapBuffer(drv.ctx(), image.buf), VA_STATUS_SUCCESS);
	ASSERT_EQ(drv.vt().vaPutImage(drv.ctx(), s[0], image.image_id, 0, 0, w, h, 0, 0, w, h), VA_STATUS_SUCCESS);
	EXPECT_EQ(drv.vt().vaPutImage(drv.ctx(), s[0], image.image_id, 0, 0, w, h, 0, 0, w / 2, h / 2),
		  VA_STATUS_ERROR_UNIMPLEMENTED) << "scaling is not offered";
	EXPECT_EQ(drv.vt().vaDestroyImage(drv.ctx(), image.image_id), VA_STATUS_SUCCESS);
	std::vector<uint8_t> nv12;
	ASSERT_EQ(drv.download(s[0], w, h, &nv12), VA_STATUS_SUCCESS);
	EXPECT_EQ(nv12, uploaded);
}

TEST_P(VaDecode, ProbeSurfacesWithoutContextCanBeDerivedExportedAndRead)
{
	// FFmpeg's derive probe, GStreamer's status probe, mpv's export probe: no context exists.
	std::vector<VASurfaceID> s;
	ASSERT_EQ(drv.createSurfaces(128, 128, 1, &s), VA_STATUS_SUCCESS);
	VASurfaceStatus status;
	ASSERT_EQ(drv.vt().vaQuerySurfaceStatus(drv.ctx(), s[0], &status), VA_STATUS_SUCCESS);
	EXPECT_EQ(status, VASurfaceReady);
	VAImage image;
	ASSERT_EQ(drv.vt().vaDeriveImage(drv.ctx(), s[0], &image), VA_STATUS_SUCCESS);
	EXPECT_EQ(drv.vt().vaDestroyImage(drv.ctx(), image.image_id), VA_STATUS_SUCCESS);
	VADRMPRIMESurfaceDescriptor d {};
	ASSERT_EQ(drv.vt().vaExportSurfaceHandle(drv.ctx(), s[0], VA_SURFACE_ATTRIB_MEM_TYPE_DRM_PRIME_2,
						 VA_EXPORT_SURFACE_READ_ONLY | VA_EXPORT_SURFACE_SEPARATE_LAYERS, &d),
		  VA_STATUS_SUCCESS);
	EXPECT_EQ(d.num_objects, 1u);	// Chromium CHECKs this
	ASSERT_EQ(d.num_layers, 2u);
	EXPECT_EQ(d.layers[0].drm_format, static_cast<uint32_t>(DRM_FORMAT_R8));
	EXPECT_EQ(d.layers[1].drm_format, static_cast<uint32_t>(DRM_FORMAT_GR88));
	EXPECT_GT(d.layers[1].offset[0], 0u);
	for (uint32_t i = 0; i < d.num_objects; i++)
		drv.board()->io().close(d.objects[i].fd);
	std::vector<uint8_t> nv12;
	EXPECT_EQ(drv.download(s[0], 128, 128, &nv12), VA_STATUS_SUCCESS);
	EXPECT_EQ(drv.vt().vaDestroySurfaces(drv.ctx(), s.data(), 1), VA_STATUS_SUCCESS);
}

TEST_P(VaDecode, ExportBeforeDecodeIsTheMemoryDecodedInto)
{
	// Chromium: 0-target context, surface created, exported, then decoded into.
	VAContextID ctx = makeContext({});
	std::vector<VASurfaceID> s;
	ASSERT_EQ(drv.createSurfaces(source->width(), source->height(), 1, &s), VA_STATUS_SUCCESS);
	VADRMPRIMESurfaceDescriptor d {};
	ASSERT_EQ(drv.vt().vaExportSurfaceHandle(drv.ctx(), s[0], VA_SURFACE_ATTRIB_MEM_TYPE_DRM_PRIME_2,
						 VA_EXPORT_SURFACE_READ_ONLY | VA_EXPORT_SURFACE_COMPOSED_LAYERS, &d),
		  VA_STATUS_SUCCESS);
	ASSERT_EQ(d.num_layers, 1u);
	EXPECT_EQ(d.layers[0].drm_format, static_cast<uint32_t>(DRM_FORMAT_NV12));
	EXPECT_EQ(d.layers[0].num_planes, 2u);
	ASSERT_EQ(decodePicture(drv, ctx, *source, 0, s[0], VA_INVALID_SURFACE, RenderStyle::OneCall),
		  VA_STATUS_SUCCESS);
	ASSERT_EQ(drv.vt().vaSyncSurface(drv.ctx(), s[0]), VA_STATUS_SUCCESS);
	void *p = nullptr;
	ASSERT_EQ(drv.board()->io().mmap(nullptr, d.objects[0].size, PROT_READ, MAP_SHARED, d.objects[0].fd, 0, &p), 0);
	std::vector<uint8_t> nv12(source->width() * source->height() * 3 / 2);
	auto *base = static_cast<const uint8_t *>(p);
	for (unsigned r = 0; r < source->height(); r++)
		memcpy(nv12.data() + r * source->width(), base + r * d.layers[0].pitch[0], source->width());
	for (unsigned r = 0; r < source->height() / 2; r++)
		memcpy(nv12.data() + source->width() * source->height() + r * source->width(),
		       base + d.layers[0].offset[1] + r * d.layers[0].pitch[1], source->width());
	EXPECT_NE(matchDecodedFrame(*drv.board(), nv12, source->width(), source->height()), 0u)
		<< "the exported buffer does not hold the decoded picture";
	drv.board()->io().munmap(p, d.objects[0].size);
	drv.board()->io().close(d.objects[0].fd);
	EXPECT_EQ(drv.vt().vaDestroyContext(drv.ctx(), ctx), VA_STATUS_SUCCESS);
}

TEST_P(VaDecode, TerminateReleasesEveryFdMappingAndBuffer)
{
	std::vector<VASurfaceID> s;
	ASSERT_EQ(drv.createSurfaces(source->width(), source->height(), 3, &s), VA_STATUS_SUCCESS);
	VAContextID ctx = makeContext(s);
	for (unsigned n = 0; n < 5; n++)
		ASSERT_EQ(decodePicture(drv, ctx, *source, n, s[n % 3], n ? s[(n - 1) % 3] : VA_INVALID_SURFACE),
			  VA_STATUS_SUCCESS);
	VAImage image;
	ASSERT_EQ(drv.vt().vaDeriveImage(drv.ctx(), s[1], &image), VA_STATUS_SUCCESS);
	// Leave everything for Terminate to clean up (a client that exits without tidying up).
	std::shared_ptr<v4l2emu::Board> board = drv.shareBoard();
	ASSERT_NE(board, nullptr);
	EXPECT_GT(board->stats().liveMappings, 0u);
	EXPECT_EQ(drv.terminate(), VA_STATUS_SUCCESS);
	v4l2emu::BoardStats st = board->stats();
	EXPECT_EQ(st.openFds, 0u) << "fds left after vaTerminate";
	EXPECT_EQ(st.liveMappings, 0u) << "mappings left after vaTerminate";
	EXPECT_EQ(st.liveMemory, 0u) << "plane memory left after vaTerminate";
	for (const v4l2emu::DeviceStats &d : st.devices) {
		EXPECT_EQ(d.openContexts, 0u) << d.name;
		EXPECT_EQ(d.liveRequests, 0u) << d.name;
	}
}

INSTANTIATE_TEST_SUITE_P(Codecs, VaDecode, ::testing::Values("mpeg2", "h264"),
			 [](const auto &info) { return info.param; });

} // namespace
} // namespace v4l2va::test

namespace v4l2va::test {
namespace {

// Other boards and their particular paths: cedrus decodes H.264 slice by slice (one request
// per slice, HOLD_CAPTURE_BUF between them) on a single-planar node; cedrus-tiled only writes
// 32x32-tiled NV12, which GetImage detiles; visl; rkvdec on the 6.12 kernel.
struct BoardCase {
	const char *board;
	const char *kernel;
	const char *codec;
	unsigned slices;
	bool derivable;	///< the capture layout is linear NV12
};

class VaBoards : public ::testing::TestWithParam<BoardCase> {};

TEST_P(VaBoards, DecodeAndReadBack)
{
	const BoardCase &c = GetParam();
	DriverEnv env;
	env.board = c.board;
	env.kernel = c.kernel;
	VaDriver drv(env);
	ASSERT_EQ(drv.status(), VA_STATUS_SUCCESS);
	const uint32_t w = 176, h = 144;
	std::unique_ptr<FrameSource> source = std::string(c.codec) == "h264" ? makeH264Source(w, h, 8, c.slices)
									   : makeSource(c.codec, w, h);
	std::vector<VASurfaceID> s;
	ASSERT_EQ(drv.createSurfaces(w, h, 3, &s), VA_STATUS_SUCCESS);
	VAConfigID cfg;
	ASSERT_EQ(drv.createConfig(source->profile(), &cfg), VA_STATUS_SUCCESS);
	VAContextID ctx;
	ASSERT_EQ(drv.vt().vaCreateContext(drv.ctx(), cfg, w, h, VA_PROGRESSIVE, s.data(), 3, &ctx), VA_STATUS_SUCCESS);
	size_t framesBefore = 0;
	for (unsigned n = 0; n < 6; n++) {
		ASSERT_EQ(decodePicture(drv, ctx, *source, n, s[n % 3], n ? s[(n - 1) % 3] : VA_INVALID_SURFACE),
			  VA_STATUS_SUCCESS) << n;
		std::vector<uint8_t> nv12;
		ASSERT_EQ(drv.download(s[n % 3], w, h, &nv12), VA_STATUS_SUCCESS);
		bool zero = true;
		EXPECT_NE(matchDecodedFrame(*drv.board(), nv12, w, h, &zero), 0u) << "picture " << n;
		EXPECT_FALSE(zero);
		// One job per request: one per picture (frame-based) or one per slice.
		size_t frames = drv.board()->decodedFrames().size();
		EXPECT_GE(frames, framesBefore + 1) << "picture " << n;
		EXPECT_LE(frames, framesBefore + c.slices) << "picture " << n;
		framesBefore = frames;
	}
	VAImage image;
	VAStatus derive = drv.vt().vaDeriveImage(drv.ctx(), s[0], &image);
	if (c.derivable) {
		EXPECT_EQ(derive, VA_STATUS_SUCCESS);
		drv.vt().vaDestroyImage(drv.ctx(), image.image_id);
	} else {
		EXPECT_EQ(derive, VA_STATUS_ERROR_OPERATION_FAILED) << "a tiled buffer cannot be derived";
	}
	EXPECT_EQ(diagnosticsText(*drv.board()), "");
}

INSTANTIATE_TEST_SUITE_P(
	Boards, VaBoards,
	::testing::Values(BoardCase {"cedrus", "", "mpeg2", 1, true}, BoardCase {"cedrus", "", "h264", 1, true},
			  BoardCase {"cedrus", "", "h264", 3, true}, BoardCase {"cedrus-tiled", "", "h264", 2, false},
			  BoardCase {"cedrus-tiled", "", "mpeg2", 1, false}, BoardCase {"visl", "", "h264", 2, true},
			  BoardCase {"visl", "", "mpeg2", 1, true}, BoardCase {"rkvdec", "6.12", "h264", 1, true},
			  BoardCase {"hantro", "", "mpeg2", 1, true}),
	[](const auto &info) {
		std::string n = std::string(info.param.board) + "_" + info.param.codec + "_" +
				std::to_string(info.param.slices) + "slice" + (info.param.kernel[0] ? "_612" : "");
		for (char &ch : n)
			if (ch == '-')
				ch = '_';
		return n;
	});

} // namespace
} // namespace v4l2va::test
