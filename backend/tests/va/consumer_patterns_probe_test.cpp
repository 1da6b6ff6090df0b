// SPDX-License-Identifier: MIT
// Consumer call patterns of shared/spec/consumer-patterns.md, the probing and exporting
// consumers: mpv's VO probe and native decode (§3.1), GStreamer va (§4), Chromium (§5), Kodi
// (§6.1), gstreamer-vaapi (§6.4) and libva-utils' mpeg2vldemo and test_va_api (§6.3). Each
// follows the spec's call order, checks every status, that every synced surface (or its
// exported dma-buf) holds the picture the emulator decoded into it, and that the board has no
// diagnostics and nothing left after vaTerminate. FFmpeg's patterns: consumer_patterns_test.cpp.
#include "va_scenario.h"

#include "engine/picture.h"

#include <gtest/gtest.h>

#include <libdrm/drm_fourcc.h>
#include <va/va_drmcommon.h>
#include <sys/mman.h>

#include <algorithm>
#include <deque>
#include <tuple>

namespace v4l2va::test {
namespace {

VASurfaceAttrib surfaceAttrib(VASurfaceAttribType type, int32_t value)
{
	VASurfaceAttrib a {};
	a.type = type;
	a.flags = VA_SURFACE_ATTRIB_SETTABLE;
	a.value.type = VAGenericValueTypeInteger;
	a.value.value.i = value;
	return a;
}

VASurfaceAttrib pixelFormat(uint32_t fourcc)
{
	return surfaceAttrib(VASurfaceAttribPixelFormat, static_cast<int32_t>(fourcc));
}

const VASurfaceAttrib kMemTypeVa =
	surfaceAttrib(VASurfaceAttribMemoryType, VA_SURFACE_ATTRIB_MEM_TYPE_VA);
const VASurfaceAttrib kHintDecoder =
	surfaceAttrib(VASurfaceAttribUsageHint, VA_SURFACE_ATTRIB_USAGE_HINT_DECODER);
const VASurfaceAttrib kHintGeneric =
	surfaceAttrib(VASurfaceAttribUsageHint, VA_SURFACE_ATTRIB_USAGE_HINT_GENERIC);

uint32_t rtFormatOf(uint32_t fourcc)
{
	return fourcc == VA_FOURCC_P010 ? VA_RT_FORMAT_YUV420_10 : VA_RT_FORMAT_YUV420;
}

constexpr uint32_t kExportRead = VA_EXPORT_SURFACE_READ_ONLY | VA_EXPORT_SURFACE_SEPARATE_LAYERS;
constexpr uint32_t kExportReadWrite =
	VA_EXPORT_SURFACE_READ_WRITE | VA_EXPORT_SURFACE_SEPARATE_LAYERS;

class PatternBase : public ::testing::Test, protected DriverSession {
protected:
	void SetUp() override { start({}); }
	void TearDown() override { expectNothingLeft(); }


	std::vector<VAImageFormat> imageFormats()
	{
		std::vector<VAImageFormat> formats(static_cast<size_t>(ctx()->max_image_formats));
		int n = 0;
		EXPECT_EQ(vt().vaQueryImageFormats(ctx(), formats.data(), &n), VA_STATUS_SUCCESS);
		EXPECT_GT(n, 0);
		formats.resize(static_cast<size_t>(std::max(n, 0)));
		return formats;
	}

	std::vector<VASurfaceAttrib> surfaceAttributes(VAConfigID cfg)
	{
		unsigned n = 0;
		EXPECT_EQ(vt().vaQuerySurfaceAttributes(ctx(), cfg, nullptr, &n),
			  VA_STATUS_SUCCESS);
		EXPECT_GT(n, 0u);
		std::vector<VASurfaceAttrib> list(std::min(n, 64u));
		n = static_cast<unsigned>(list.size());
		EXPECT_EQ(vt().vaQuerySurfaceAttributes(ctx(), cfg, list.data(), &n),
			  VA_STATUS_SUCCESS);
		list.resize(std::min<size_t>(n, list.size()));
		return list;
	}

	VAConfigID createConfig(VAProfile profile, std::vector<VAConfigAttrib> attribs = {})
	{
		VAConfigID cfg = VA_INVALID_ID;
		EXPECT_EQ(vt().vaCreateConfig(ctx(), profile, VAEntrypointVLD,
					      attribs.empty() ? nullptr : attribs.data(),
					      static_cast<int>(attribs.size()), &cfg),
			  VA_STATUS_SUCCESS);
		return cfg;
	}

	VAStatus createSurfaces(uint32_t rt, uint32_t w, uint32_t h, unsigned n,
				std::vector<VASurfaceAttrib> attribs, std::vector<VASurfaceID> *out)
	{
		std::vector<VASurfaceID> ids(n, VA_INVALID_SURFACE);
		VAStatus st = vt().vaCreateSurfaces2(ctx(), rt, w, h, ids.data(), n,
						     attribs.empty() ? nullptr : attribs.data(),
						     static_cast<unsigned>(attribs.size()));
		if (st == VA_STATUS_SUCCESS)
			out->insert(out->end(), ids.begin(), ids.end());
		return st;
	}

	VAContextID createContext(VAConfigID cfg, uint32_t w, uint32_t h,
				  const std::vector<VASurfaceID> &targets)
	{
		VAContextID c = VA_INVALID_ID;
		EXPECT_EQ(vt().vaCreateContext(ctx(), cfg, static_cast<int>(w), static_cast<int>(h),
					       VA_PROGRESSIVE,
					       targets.empty()
						       ? nullptr
						       : const_cast<VASurfaceID *>(targets.data()),
					       static_cast<int>(targets.size()), &c),
			  VA_STATUS_SUCCESS);
		return c;
	}

	void destroySurface(VASurfaceID s)
	{
		EXPECT_EQ(vt().vaDestroySurfaces(ctx(), &s, 1), VA_STATUS_SUCCESS)
			<< "surface " << s;
	}

	/// The signature of the newest decoded picture (the deterministic scheduler runs the job
	/// inside EndPicture; the threaded one after the surface's sync).
	uint64_t newestSignature()
	{
		std::vector<v4l2emu::DecodedFrame> frames = board().decodedFrames();
		return frames.empty() ? 0 : frames.back().signature;
	}

	/// One picture; returns its signature when the scheduler has already run it.
	uint64_t decode(VAContextID c, FrameSource &src, unsigned n, VASurfaceID target,
			VASurfaceID ref, RenderStyle style)
	{
		const size_t before = board().decodedFrames().size();
		VAStatus st = decodePicture(drv(), c, src, n, target, ref, style);
		EXPECT_EQ(st, VA_STATUS_SUCCESS) << src.name() << " picture " << n;
		if (st != VA_STATUS_SUCCESS || board().decodedFrames().size() != before + 1)
			return 0;
		return newestSignature();
	}

	/// Non-zero, and the picture of `signature`.
	void expectNv12Is(const std::vector<uint8_t> &nv12, uint32_t w, uint32_t h,
			  uint64_t signature, const std::string &what)
	{
		ASSERT_EQ(nv12.size(), static_cast<size_t>(w) * h * 3 / 2) << what;
		ASSERT_NE(signature, 0u) << what << ": no decoded picture to compare with";
		EXPECT_FALSE(std::all_of(nv12.begin(), nv12.begin() + static_cast<long>(w) * h,
					 [](uint8_t b) { return b == 0; }))
			<< what << ": all-zero picture";
		std::vector<uint8_t> expected(nv12.size());
		ASSERT_EQ(v4l2emu::expectedNv12(signature, w, h, expected.data(), w,
						expected.data() + w * h, w),
			  0);
		EXPECT_TRUE(expected == nv12) << what << ": not the picture decoded into it";
	}

	/// w x h NV12 out of two mapped planes, bounds-checked against the mapping sizes.
	static std::vector<uint8_t> packNv12(const uint8_t *y, size_t ySpace, uint32_t yPitch,
					     const uint8_t *uv, size_t uvSpace, uint32_t uvPitch,
					     uint32_t w, uint32_t h)
	{
		if (!y || !uv || yPitch < w || uvPitch < w ||
		    static_cast<size_t>(yPitch) * (h - 1) + w > ySpace ||
		    static_cast<size_t>(uvPitch) * (h / 2 - 1) + w > uvSpace)
			return {};
		std::vector<uint8_t> out(static_cast<size_t>(w) * h * 3 / 2);
		for (uint32_t r = 0; r < h; r++)
			memcpy(out.data() + r * w, y + static_cast<size_t>(r) * yPitch, w);
		for (uint32_t r = 0; r < h / 2; r++)
			memcpy(out.data() + w * h + r * w, uv + static_cast<size_t>(r) * uvPitch,
			       w);
		return out;
	}

	/// Maps an exported NV12 surface (SEPARATE or COMPOSED layers) and reads its picture.
	std::vector<uint8_t> readExport(const VADRMPRIMESurfaceDescriptor &d, uint32_t w,
					uint32_t h)
	{
		if (d.num_objects < 1 || d.num_objects > 4 || d.num_layers < 1 || d.num_layers > 2)
			return {};
		void *maps[4] = {};
		bool ok = true;
		for (uint32_t i = 0; i < d.num_objects; i++)
			ok &= board().io().mmap(nullptr, d.objects[i].size, PROT_READ, MAP_SHARED,
						d.objects[i].fd, 0, &maps[i]) == 0;
		auto plane = [&](uint32_t layer, uint32_t p, size_t *space,
				 uint32_t *pitch) -> const uint8_t * {
			uint32_t obj = d.layers[layer].object_index[p],
				 off = d.layers[layer].offset[p];
			if (obj >= d.num_objects || !maps[obj] || off > d.objects[obj].size)
				return nullptr;
			*space = d.objects[obj].size - off;
			*pitch = d.layers[layer].pitch[p];
			return static_cast<const uint8_t *>(maps[obj]) + off;
		};
		size_t ySpace = 0, uvSpace = 0;
		uint32_t yPitch = 0, uvPitch = 0;
		const uint8_t *y = plane(0, 0, &ySpace, &yPitch);
		const uint8_t *uv = d.num_layers == 2 ? plane(1, 0, &uvSpace, &uvPitch)
						      : plane(0, 1, &uvSpace, &uvPitch);
		std::vector<uint8_t> out;
		if (ok)
			out = packNv12(y, ySpace, yPitch, uv, uvSpace, uvPitch, w, h);
		for (uint32_t i = 0; i < d.num_objects; i++)
			if (maps[i])
				board().io().munmap(maps[i], d.objects[i].size);
		return out;
	}

	void closeExport(const VADRMPRIMESurfaceDescriptor &d)
	{
		for (uint32_t i = 0; i < d.num_objects; i++)
			EXPECT_EQ(board().io().close(d.objects[i].fd), 0);
	}

	/// A SEPARATE_LAYERS export that describes its fourcc: one layer per plane, DRM formats of
	/// the planes, one modifier for all objects, at least the surface's size.
	void expectSeparateLayers(const VADRMPRIMESurfaceDescriptor &d, uint32_t fourcc, uint32_t w,
				  uint32_t h)
	{
		EXPECT_EQ(d.fourcc, fourcc);
		EXPECT_GE(d.width, w);
		EXPECT_GE(d.height, h);
		ASSERT_GE(d.num_objects, 1u);
		for (uint32_t i = 0; i < d.num_objects; i++) {
			EXPECT_TRUE(board().ownsFd(d.objects[i].fd)) << "object " << i;
			EXPECT_GT(d.objects[i].size, 0u);
			EXPECT_EQ(d.objects[i].drm_format_modifier,
				  d.objects[0].drm_format_modifier);
		}
		std::vector<uint32_t> want;
		if (fourcc == VA_FOURCC_NV12)
			want = {DRM_FORMAT_R8, DRM_FORMAT_GR88};
		else if (fourcc == VA_FOURCC_P010)
			want = {DRM_FORMAT_R16, DRM_FORMAT_GR1616};
		else if (fourcc == VA_FOURCC_I420)
			want = {DRM_FORMAT_R8, DRM_FORMAT_R8, DRM_FORMAT_R8};
		ASSERT_EQ(d.num_layers, want.size())
			<< "layers of " << std::string(reinterpret_cast<char *>(&fourcc), 4);
		for (uint32_t l = 0; l < d.num_layers; l++) {
			EXPECT_EQ(d.layers[l].drm_format, want[l]) << "layer " << l;
			EXPECT_EQ(d.layers[l].num_planes, 1u) << "layer " << l;
		}
	}

	/// Exports (READ_ONLY|SEPARATE_LAYERS) then syncs, as mpv, Kodi and Firefox do, and reads
	/// the dma-buf.
	void expectExportThenSyncHolds(VASurfaceID s, uint32_t w, uint32_t h, uint64_t signature,
				       const std::string &what)
	{
		VADRMPRIMESurfaceDescriptor d {};
		ASSERT_EQ(vt().vaExportSurfaceHandle(ctx(), s,
						     VA_SURFACE_ATTRIB_MEM_TYPE_DRM_PRIME_2,
						     kExportRead, &d),
			  VA_STATUS_SUCCESS)
			<< what;
		EXPECT_EQ(vt().vaSyncSurface(ctx(), s), VA_STATUS_SUCCESS) << what;
		if (!signature)
			signature = newestSignature();
		expectSeparateLayers(d, VA_FOURCC_NV12, w, h);
		expectNv12Is(readExport(d, w, h), w, h, signature, what + " (exported dma-buf)");
		closeExport(d);
	}
};

class ConsumerPatternProbe : public PatternBase, public ::testing::WithParamInterface<std::string> {
protected:
	std::unique_ptr<FrameSource> source(uint32_t w, uint32_t h)
	{
		return makeSource(GetParam(), w, h);
	}
};

using ConsumerPatternMpv = PatternBase;

TEST_F(ConsumerPatternMpv, VoProbeExportsEveryImageFormatBeforeSync)
{
	// MPV:hwdec_vaapi.c:init -> determine_working_formats ->
	// try_format_config/try_format_pixfmt.
	std::vector<VAImageFormat> formats = imageFormats();
	ASSERT_NE(ctx()->str_vendor, nullptr);
	for (const char *emulated : {"VDPAU backend", "NVDEC driver"})
		EXPECT_EQ(std::string(ctx()->str_vendor).find(emulated), std::string::npos);
	VAConfigID probe = VA_INVALID_ID;
	for (VAProfile p : drv().profiles()) {
		if (p == VAProfileNone)
			continue;
		std::vector<VAEntrypoint> eps(static_cast<size_t>(ctx()->max_entrypoints));
		int n = 0;
		ASSERT_EQ(vt().vaQueryConfigEntrypoints(ctx(), p, eps.data(), &n),
			  VA_STATUS_SUCCESS)
			<< p;
		if (std::find(eps.begin(), eps.begin() + n, VAEntrypointVLD) != eps.begin() + n) {
			probe = createConfig(p);
			break;
		}
	}
	ASSERT_NE(probe, VA_INVALID_ID) << "no decoding profile";
	surfaceAttributes(probe);	// frames constraints
	uint32_t swFormat = 0;
	for (const VASurfaceAttrib &a : surfaceAttributes(probe))
		if (a.type == VASurfaceAttribPixelFormat && !swFormat)
			swFormat = static_cast<uint32_t>(a.value.value.i);
	ASSERT_NE(swFormat, 0u);
	// The first 128x128 frames context (MemoryType first: a frames ctx made by an app).
	std::vector<VASurfaceID> first;
	ASSERT_EQ(createSurfaces(rtFormatOf(swFormat), 128, 128, 1,
				 {kMemTypeVa, pixelFormat(swFormat)}, &first),
		  VA_STATUS_SUCCESS);
	VAImage image;
	ASSERT_EQ(vt().vaDeriveImage(ctx(), first[0], &image), VA_STATUS_SUCCESS);
	EXPECT_EQ(vt().vaDestroyImage(ctx(), image.image_id), VA_STATUS_SUCCESS);
	std::string working;
	for (const VAImageFormat &f : formats) {
		const std::string name(reinterpret_cast<const char *>(&f.fourcc), 4);
		std::vector<VASurfaceID> s;
		VAStatus st = createSurfaces(rtFormatOf(f.fourcc), 128, 128, 1,
					     {kMemTypeVa, pixelFormat(f.fourcc)}, &s);
		if (st != VA_STATUS_SUCCESS) {	// marks the format unsupported
			EXPECT_NE(f.fourcc, static_cast<uint32_t>(VA_FOURCC_NV12))
				<< vaErrorStr(st);
			continue;
		}
		st = vt().vaDeriveImage(ctx(), s[0], &image);	// the frames ctx's derive probe
		if (st == VA_STATUS_SUCCESS) {
			EXPECT_EQ(image.format.fourcc, f.fourcc) << name;
			EXPECT_EQ(vt().vaDestroyImage(ctx(), image.image_id), VA_STATUS_SUCCESS);
		}
		VADRMPRIMESurfaceDescriptor d {};
		st = vt().vaExportSurfaceHandle(ctx(), s[0], VA_SURFACE_ATTRIB_MEM_TYPE_DRM_PRIME_2,
						kExportRead, &d);
		if (st == VA_STATUS_SUCCESS) {
			EXPECT_EQ(vt().vaSyncSurface(ctx(), s[0]), VA_STATUS_SUCCESS) << name;
			expectSeparateLayers(d, f.fourcc, 128, 128);
			closeExport(d);
			working += name + " ";
		} else {
			EXPECT_NE(f.fourcc, static_cast<uint32_t>(VA_FOURCC_NV12))
				<< vaErrorStr(st);
		}
		destroySurface(s[0]);
	}
	RecordProperty("working_formats", working);
	destroySurface(first[0]);
	EXPECT_EQ(vt().vaDestroyConfig(ctx(), probe), VA_STATUS_SUCCESS)
		<< "config after its surfaces";
	VAConfigID vpp = VA_INVALID_ID;
	EXPECT_NE(
		vt().vaCreateConfig(ctx(), VAProfileNone, VAEntrypointVideoProc, nullptr, 0, &vpp),
		VA_STATUS_SUCCESS);
}

TEST_P(ConsumerPatternProbe, MpvNativeDecodeExportsThenSyncsEachFrame)
{
	// §3.2 with FF51: mpv's frames ctx ([MemType, PixFmt]), the fixed pool before the context;
	// the VO exports each frame before syncing it, while the job runs on a worker thread.
	DriverEnv env;
	env.scheduler = "threaded";
	start(env);
	const uint32_t w = 176, h = 144;
	auto src = source(w, h);
	VAConfigID c1 = createConfig(src->profile());
	surfaceAttributes(c1);
	EXPECT_EQ(vt().vaDestroyConfig(ctx(), c1), VA_STATUS_SUCCESS);
	const std::vector<VASurfaceAttrib> attribs = {kMemTypeVa, pixelFormat(VA_FOURCC_NV12)};
	std::vector<VASurfaceID> pool;
	for (int i = 0; i < 8; i++) {
		ASSERT_EQ(createSurfaces(VA_RT_FORMAT_YUV420, w, h, 1, attribs, &pool),
			  VA_STATUS_SUCCESS);
		if (i == 0) {	// the test surface
			VAImage image;
			ASSERT_EQ(vt().vaDeriveImage(ctx(), pool[0], &image), VA_STATUS_SUCCESS);
			EXPECT_EQ(vt().vaDestroyImage(ctx(), image.image_id), VA_STATUS_SUCCESS);
		}
	}
	VAConfigID cfg = createConfig(src->profile());
	VAContextID x = createContext(cfg, w, h, pool);
	for (unsigned n = 0; n < 16; n++) {
		VASurfaceID target = pool[n % pool.size()];
		ASSERT_EQ(decodePicture(drv(), x, *src, n, target,
					n ? pool[(n - 1) % pool.size()] : VA_INVALID_SURFACE),
			  VA_STATUS_SUCCESS);
		expectExportThenSyncHolds(target, w, h, 0, "frame " + std::to_string(n));
	}
	EXPECT_EQ(vt().vaDestroyContext(ctx(), x), VA_STATUS_SUCCESS);
	EXPECT_EQ(vt().vaDestroyConfig(ctx(), cfg), VA_STATUS_SUCCESS);
	for (VASurfaceID s : pool)
		destroySurface(s);
}

class ConsumerPatternGstreamerVa
    : public PatternBase,
      public ::testing::WithParamInterface<std::tuple<std::string, bool>> {};

TEST_P(ConsumerPatternGstreamerVa, ContextFirstThenTestSurfaceThenPoolGrowingDuringDecoding)
{
	// Not a structured binding: clang < 16 cannot capture one in a lambda.
	const std::string &codec = std::get<0>(GetParam());
	const bool dmabuf = std::get<1>(GetParam());
	const uint32_t w = 176, h = 144;
	auto src = makeSource(codec, w, h);
	// Negotiation: config with [RTFormat], the context before any surface.
	VAConfigID cfg =
		createConfig(src->profile(), {{VAConfigAttribRTFormat, VA_RT_FORMAT_YUV420}});
	VAContextID x = createContext(cfg, w, h, {});
	const std::vector<VASurfaceAttrib> attribs =
		dmabuf ? std::vector<VASurfaceAttrib> {pixelFormat(VA_FOURCC_NV12), kHintDecoder}
		       : std::vector<VASurfaceAttrib> {kHintDecoder, kMemTypeVa,
						       pixelFormat(VA_FOURCC_NV12)};
	struct Frame {
		VASurfaceID surface = VA_INVALID_SURFACE;
		VADRMPRIMESurfaceDescriptor export_ {};
		uint64_t signature = 0;
	};
	// A DMABuf allocator exports each surface as it creates it and keeps the fds with it.
	auto allocate = [&](std::vector<Frame> *frames) {
		Frame f;
		std::vector<VASurfaceID> s;
		EXPECT_EQ(createSurfaces(VA_RT_FORMAT_YUV420, w, h, 1, attribs, &s),
			  VA_STATUS_SUCCESS);
		f.surface = s.empty() ? VA_INVALID_SURFACE : s[0];
		if (dmabuf) {
			EXPECT_EQ(vt().vaExportSurfaceHandle(ctx(), f.surface,
							     VA_SURFACE_ATTRIB_MEM_TYPE_DRM_PRIME_2,
							     kExportReadWrite, &f.export_),
				  VA_STATUS_SUCCESS);
			expectSeparateLayers(f.export_, VA_FOURCC_NV12, w,
					     h);	// num_layers == planes
		}
		frames->push_back(f);
		return frames->size() - 1;
	};
	// The allocator's set_format: a test surface, probed and destroyed.
	std::vector<Frame> test;
	allocate(&test);
	if (!dmabuf) {
		VASurfaceStatus status = VASurfaceRendering;
		ASSERT_EQ(vt().vaQuerySurfaceStatus(ctx(), test[0].surface, &status),
			  VA_STATUS_SUCCESS);
		EXPECT_EQ(status, VASurfaceReady) << "GStreamer would disable derive";
		VAImage image;
		ASSERT_EQ(vt().vaDeriveImage(ctx(), test[0].surface, &image), VA_STATUS_SUCCESS);
		EXPECT_EQ(vt().vaDestroyImage(ctx(), image.image_id), VA_STATUS_SUCCESS);
	}
	destroySurface(test[0].surface);
	if (dmabuf)
		closeExport(test[0].export_);
	// Pool activation: min_buffers = dpb + 4, after the context; max = 0 (grows).
	std::vector<Frame> frames;
	std::deque<size_t> free;
	for (int i = 0; i < 5; i++)
		free.push_back(allocate(&frames));
	std::deque<size_t> downstream;	// held by a queue and a sink
	auto mapDownstream = [&](size_t i) {
		const Frame &f = frames[i];
		if (dmabuf) {	// gst_va_dmabuf_mem_map syncs first
			ASSERT_EQ(vt().vaSyncSurface(ctx(), f.surface), VA_STATUS_SUCCESS);
			expectNv12Is(readExport(f.export_, w, h), w, h, f.signature,
				     "dma-buf of a decoded frame");
			return;
		}
		VASurfaceStatus status = VASurfaceRendering;
		ASSERT_EQ(vt().vaQuerySurfaceStatus(ctx(), f.surface, &status), VA_STATUS_SUCCESS);
		if (status != VASurfaceReady) {
			ASSERT_EQ(vt().vaSyncSurface(ctx(), f.surface), VA_STATUS_SUCCESS);
		}
		VAImage image;
		ASSERT_EQ(vt().vaDeriveImage(ctx(), f.surface, &image), VA_STATUS_SUCCESS);
		void *p = nullptr;
		ASSERT_EQ(vt().vaMapBuffer(ctx(), image.buf, &p), VA_STATUS_SUCCESS);
		auto *base = static_cast<const uint8_t *>(p);
		expectNv12Is(packNv12(base + image.offsets[0], image.data_size - image.offsets[0],
				      image.pitches[0], base + image.offsets[1],
				      image.data_size - image.offsets[1], image.pitches[1], w, h),
			     w, h, f.signature, "derived image of a decoded frame");
		EXPECT_EQ(vt().vaUnmapBuffer(ctx(), image.buf), VA_STATUS_SUCCESS);
		EXPECT_EQ(vt().vaDestroyImage(ctx(), image.image_id), VA_STATUS_SUCCESS);
	};
	VASurfaceID ref = VA_INVALID_SURFACE;
	for (unsigned n = 0; n < 20; n++) {
		size_t i = free.empty() ? allocate(&frames) : free.front();
		if (!free.empty() && free.front() == i)
			free.pop_front();
		frames[i].signature =
			decode(x, *src, n, frames[i].surface, ref, RenderStyle::FFmpeg);
		ASSERT_NE(frames[i].signature, 0u);
		downstream.push_back(i);
		if (downstream.size() > 6) {
			mapDownstream(downstream.front());
			free.push_back(downstream.front());
			downstream.pop_front();
		}
		ref = frames[i].surface;
	}
	for (size_t i : downstream)
		mapDownstream(i);
	EXPECT_GT(frames.size(), 5u) << "the pool did not grow";
	// Stop: context and config first, then the pool's surfaces; dma-bufs outlive them.
	EXPECT_EQ(vt().vaDestroyContext(ctx(), x), VA_STATUS_SUCCESS);
	EXPECT_EQ(vt().vaDestroyConfig(ctx(), cfg), VA_STATUS_SUCCESS);
	for (const Frame &f : frames)
		destroySurface(f.surface);
	if (dmabuf) {
		expectNv12Is(readExport(frames.back().export_, w, h), w, h, frames.back().signature,
			     "dma-buf after its surface was destroyed");
		for (const Frame &f : frames)
			closeExport(f.export_);
	}
}

TEST_P(ConsumerPatternProbe, ChromiumExportsEachSurfaceAtCreationAndRecreatesOnResize)
{
	auto small = source(176, 144), large = source(352, 288);
	const VAProfile profile = small->profile();
	// §5.1 profile probing: [RTFormat] config + attribute list, then a plain config.
	VAConfigAttrib rt {VAConfigAttribRTFormat, 0};
	ASSERT_EQ(vt().vaGetConfigAttributes(ctx(), profile, VAEntrypointVLD, &rt, 1),
		  VA_STATUS_SUCCESS);
	ASSERT_TRUE(rt.value & VA_RT_FORMAT_YUV420);
	VAConfigID c1 = createConfig(profile, {{VAConfigAttribRTFormat, VA_RT_FORMAT_YUV420}});
	int maxW = 0, maxH = 0;
	bool nv12 = false;
	for (const VASurfaceAttrib &a : surfaceAttributes(c1)) {
		maxW = a.type == VASurfaceAttribMaxWidth ? a.value.value.i : maxW;
		maxH = a.type == VASurfaceAttribMaxHeight ? a.value.value.i : maxH;
		nv12 |= a.type == VASurfaceAttribPixelFormat &&
			a.value.value.i == static_cast<int>(VA_FOURCC_NV12);
	}
	EXPECT_GT(maxW, 0) << "Chromium needs a maximum resolution";
	EXPECT_GT(maxH, 0);
	EXPECT_TRUE(nv12);
	VAConfigID c2 = createConfig(profile);
	std::vector<VAConfigAttrib> attrs(static_cast<size_t>(ctx()->max_attributes));
	VAProfile qp = VAProfileNone;
	VAEntrypoint qe = VAEntrypointVLD;
	int na = 0;
	ASSERT_EQ(vt().vaQueryConfigAttributes(ctx(), c2, &qp, &qe, attrs.data(), &na),
		  VA_STATUS_SUCCESS);
	EXPECT_EQ(qp, profile);
	EXPECT_EQ(qe, VAEntrypointVLD);
	EXPECT_TRUE(std::any_of(attrs.begin(), attrs.begin() + na, [](const VAConfigAttrib &a) {
		return a.type == VAConfigAttribRTFormat && (a.value & VA_RT_FORMAT_YUV420);
	}));
	EXPECT_EQ(vt().vaDestroyConfig(ctx(), c1), VA_STATUS_SUCCESS);
	EXPECT_EQ(vt().vaDestroyConfig(ctx(), c2), VA_STATUS_SUCCESS);
	imageFormats();
	// §5.2: the wrapper's config; per resolution a 0-target context and a pool of frames, each
	// exported right after creation (Chromium CHECKs num_objects == 1).
	VAConfigID cfg = createConfig(profile, {{VAConfigAttribRTFormat, VA_RT_FORMAT_YUV420}});
	struct Frame {
		VASurfaceID surface;
		VADRMPRIMESurfaceDescriptor d;
		uint64_t signature;
	};
	std::vector<Frame> held;	// dma-bufs the compositor still holds
	for (FrameSource *src : {small.get(), large.get()}) {
		const uint32_t w = src->width(), h = src->height();
		VAContextID x = createContext(cfg, w, h, {});
		std::vector<Frame> frames;
		std::deque<size_t> free,
			shown;	// shown: decoded, not yet given back by the compositor
		VASurfaceID ref = VA_INVALID_SURFACE;
		for (unsigned n = 0; n < 10; n++) {
			if (free.empty()) {	// AllocateCustomFrame
				std::vector<VASurfaceID> s;
				ASSERT_EQ(createSurfaces(VA_RT_FORMAT_YUV420, w, h, 1,
							 {kHintDecoder}, &s),
					  VA_STATUS_SUCCESS);
				Frame f {s[0], {}, 0};
				ASSERT_EQ(vt().vaSyncSurface(ctx(), f.surface), VA_STATUS_SUCCESS);
				ASSERT_EQ(vt().vaExportSurfaceHandle(
						  ctx(), f.surface,
						  VA_SURFACE_ATTRIB_MEM_TYPE_DRM_PRIME_2,
						  kExportRead, &f.d),
					  VA_STATUS_SUCCESS);
				ASSERT_EQ(f.d.num_objects, 1u) << "Chromium CHECK-fails";
				expectSeparateLayers(f.d, VA_FOURCC_NV12, w, h);
				frames.push_back(f);
				free.push_back(frames.size() - 1);
			}
			size_t i = free.front();
			free.pop_front();
			frames[i].signature =
				decode(x, *src, n, frames[i].surface, ref, RenderStyle::OneCall);
			ASSERT_EQ(vt().vaSyncSurface(ctx(), frames[i].surface), VA_STATUS_SUCCESS);
			expectNv12Is(readExport(frames[i].d, w, h), w, h, frames[i].signature,
				     "exported frame");
			shown.push_back(i);
			if (shown.size() > 2) {	// given back two frames later
				free.push_back(shown.front());
				shown.pop_front();
			}
			ref = frames[i].surface;
		}
		// Resolution change (or teardown): context, then every surface; the compositor
		// keeps the last frame's dma-buf.
		EXPECT_EQ(vt().vaDestroyContext(ctx(), x), VA_STATUS_SUCCESS);
		for (size_t i = 0; i < frames.size(); i++) {
			destroySurface(frames[i].surface);
			if (frames[i].surface == ref)
				held.push_back(frames[i]);
			else
				closeExport(frames[i].d);
		}
		for (const Frame &f : held)
			expectNv12Is(readExport(f.d, f.d.width, f.d.height), f.d.width, f.d.height,
				     f.signature, "dma-buf of a destroyed surface");
	}
	for (const Frame &f : held)
		closeExport(f.d);
	EXPECT_EQ(vt().vaDestroyConfig(ctx(), cfg), VA_STATUS_SUCCESS);
}

TEST_P(ConsumerPatternProbe, KodiProbesThenCreatesThePoolInOneCall)
{
	// RendererVAAPIGL::Configure: 1920x1080 probe surfaces, NV12 then P010, export + destroy.
	std::string probes;
	for (uint32_t fourcc : {VA_FOURCC_NV12, VA_FOURCC_P010}) {
		std::vector<VASurfaceID> s;
		ASSERT_EQ(createSurfaces(rtFormatOf(fourcc), 1920, 1080, 1, {pixelFormat(fourcc)},
					 &s),
			  VA_STATUS_SUCCESS);
		VADRMPRIMESurfaceDescriptor d {};
		VAStatus st = vt().vaExportSurfaceHandle(
			ctx(), s[0], VA_SURFACE_ATTRIB_MEM_TYPE_DRM_PRIME_2, kExportRead, &d);
		probes += std::string(reinterpret_cast<const char *>(&fourcc), 4) + ": " +
			  vaErrorStr(st) + "; ";
		if (fourcc == VA_FOURCC_NV12) {
			EXPECT_EQ(st, VA_STATUS_SUCCESS);
		}
		if (st == VA_STATUS_SUCCESS) {
			expectSeparateLayers(d, fourcc, 1920, 1080);
			closeExport(d);
		}
		destroySurface(s[0]);
	}
	RecordProperty("probe_exports", probes);
	// CDecoder::ConfigVAAPI: [RTFormat] config and one CreateSurfaces call of refs + 6.
	const uint32_t w = 176, h = 144;
	auto src = source(w, h);
	VAConfigAttrib rt {VAConfigAttribRTFormat, 0};
	ASSERT_EQ(vt().vaGetConfigAttributes(ctx(), src->profile(), VAEntrypointVLD, &rt, 1),
		  VA_STATUS_SUCCESS);
	ASSERT_TRUE(rt.value & VA_RT_FORMAT_YUV420);
	VAConfigID kodiCfg =
		createConfig(src->profile(), {{VAConfigAttribRTFormat, VA_RT_FORMAT_YUV420}});
	const unsigned refs = GetParam() == "h264" ? 16 : 2;
	std::vector<VASurfaceID> pool;
	ASSERT_EQ(createSurfaces(VA_RT_FORMAT_YUV420, w, h, refs + 6, {pixelFormat(VA_FOURCC_NV12)},
				 &pool),
		  VA_STATUS_SUCCESS);
	// FFmpeg with Kodi's frames ctx: its own config, the context with the full list.
	VAConfigID ffCfg = createConfig(src->profile());
	surfaceAttributes(ffCfg);
	VAContextID x = createContext(ffCfg, w, h, pool);
	for (unsigned n = 0; n < 12; n++) {
		VASurfaceID target = pool[n % pool.size()];
		uint64_t sig = decode(x, *src, n, target,
				      n ? pool[(n - 1) % pool.size()] : VA_INVALID_SURFACE,
				      RenderStyle::FFmpeg);
		expectExportThenSyncHolds(target, w, h, sig, "rendered frame " + std::to_string(n));
	}
	EXPECT_EQ(vt().vaDestroyContext(ctx(), x), VA_STATUS_SUCCESS);
	EXPECT_EQ(vt().vaDestroyConfig(ctx(), ffCfg), VA_STATUS_SUCCESS);
	for (VASurfaceID s : pool)	// FiniVAAPIOutput: one by one, then Kodi's config
		destroySurface(s);
	EXPECT_EQ(vt().vaDestroyConfig(ctx(), kodiCfg), VA_STATUS_SUCCESS);
}

TEST_P(ConsumerPatternProbe, GstreamerVaapiSurfacesFirstAndDerivedExports)
{
	// Display init (gstvaapidisplay.c): profiles and entry points incl. VAProfileNone, display
	// attributes, image and subpicture formats, vendor.
	for (VAProfile p : drv().profiles()) {
		std::vector<VAEntrypoint> eps(static_cast<size_t>(ctx()->max_entrypoints));
		int n = 0;
		EXPECT_EQ(vt().vaQueryConfigEntrypoints(ctx(), p, eps.data(), &n),
			  VA_STATUS_SUCCESS)
			<< p;
	}
	std::vector<VAEntrypoint> eps(static_cast<size_t>(ctx()->max_entrypoints));
	int n = 0;
	VAStatus none = vt().vaQueryConfigEntrypoints(ctx(), VAProfileNone, eps.data(), &n);
	EXPECT_TRUE(none == VA_STATUS_SUCCESS || none == VA_STATUS_ERROR_UNSUPPORTED_PROFILE)
		<< vaErrorStr(none);
	std::vector<VADisplayAttribute> da(
		static_cast<size_t>(std::max(ctx()->max_display_attributes, 1)));
	int nda = -1;
	EXPECT_EQ(vt().vaQueryDisplayAttributes(ctx(), da.data(), &nda), VA_STATUS_SUCCESS);
	EXPECT_LE(nda, ctx()->max_display_attributes);
	imageFormats();
	std::vector<VAImageFormat> sf(static_cast<size_t>(std::max(ctx()->max_subpic_formats, 1)));
	std::vector<unsigned> sflags(sf.size());
	unsigned nsf = 0;
	EXPECT_EQ(vt().vaQuerySubpictureFormats(ctx(), sf.data(), sflags.data(), &nsf),
		  VA_STATUS_SUCCESS);
	EXPECT_LE(nsf, sf.size());
	ASSERT_NE(ctx()->str_vendor, nullptr);

	const std::vector<VASurfaceAttrib> attribs = {pixelFormat(VA_FOURCC_NV12), kHintGeneric};
	auto small = source(176, 144), large = source(352, 288);
	struct Held {
		VASurfaceID surface;
		uint64_t signature;
	};
	std::vector<Held> downstream;	// from the previous size, released after the reset
	for (FrameSource *src : {small.get(), large.get()}) {
		const uint32_t w = src->width(), h = src->height();
		// context_create: [RTFormat] config + attribute list, surfaces first (refs + 4
		// scratch, one call each), then a 0-target decode context.
		VAConfigAttrib rt {VAConfigAttribRTFormat, 0};
		ASSERT_EQ(
			vt().vaGetConfigAttributes(ctx(), src->profile(), VAEntrypointVLD, &rt, 1),
			VA_STATUS_SUCCESS);
		VAConfigID cfg = createConfig(src->profile(),
					      {{VAConfigAttribRTFormat, VA_RT_FORMAT_YUV420}});
		surfaceAttributes(cfg);
		std::vector<VASurfaceID> pool;
		for (int i = 0; i < 5; i++)
			ASSERT_EQ(createSurfaces(VA_RT_FORMAT_YUV420, w, h, 1, attribs, &pool),
				  VA_STATUS_SUCCESS);
		VAContextID x = createContext(cfg, w, h, {});
		// The video memory allocator's probe: derive + map on a test surface.
		std::vector<VASurfaceID> test;
		ASSERT_EQ(createSurfaces(VA_RT_FORMAT_YUV420, w, h, 1, attribs, &test),
			  VA_STATUS_SUCCESS);
		VAImage image;
		void *p = nullptr;
		ASSERT_EQ(vt().vaDeriveImage(ctx(), test[0], &image), VA_STATUS_SUCCESS);
		EXPECT_EQ(vt().vaMapBuffer(ctx(), image.buf, &p), VA_STATUS_SUCCESS);
		EXPECT_EQ(vt().vaUnmapBuffer(ctx(), image.buf), VA_STATUS_SUCCESS);
		EXPECT_EQ(vt().vaDestroyImage(ctx(), image.image_id), VA_STATUS_SUCCESS);
		destroySurface(test[0]);
		for (const Held &old : downstream)	// released by the sink after the reset
			destroySurface(old.surface);
		downstream.clear();
		std::deque<VASurfaceID> free(pool.begin(), pool.end());
		VASurfaceID ref = VA_INVALID_SURFACE;
		for (unsigned k = 0; k < 12; k++) {
			if (free.empty()) {	// pool capacity 0: grows
				EXPECT_EQ(createSurfaces(VA_RT_FORMAT_YUV420, w, h, 1, attribs,
							 &pool),
					  VA_STATUS_SUCCESS);
			}
			VASurfaceID target = free.empty() ? pool.back() : free.front();
			if (!free.empty())
				free.pop_front();
			uint64_t sig = decode(x, *src, k, target, ref, RenderStyle::GstreamerVaapi);
			ASSERT_NE(sig, 0u);
			// Output as a dma-buf: derive + AcquireBufferHandle(DRM_PRIME).
			ASSERT_EQ(vt().vaSyncSurface(ctx(), target), VA_STATUS_SUCCESS);
			ASSERT_EQ(vt().vaDeriveImage(ctx(), target, &image), VA_STATUS_SUCCESS);
			VABufferInfo info {};
			info.mem_type = VA_SURFACE_ATTRIB_MEM_TYPE_DRM_PRIME;
			ASSERT_EQ(vt().vaAcquireBufferHandle(ctx(), image.buf, &info),
				  VA_STATUS_SUCCESS);
			EXPECT_EQ(info.mem_type,
				  static_cast<uint32_t>(VA_SURFACE_ATTRIB_MEM_TYPE_DRM_PRIME));
			ASSERT_GE(info.mem_size, image.data_size);
			p = nullptr;
			ASSERT_EQ(board().io().mmap(nullptr, info.mem_size, PROT_READ, MAP_SHARED,
						    static_cast<int>(info.handle), 0, &p),
				  0);
			auto *base = static_cast<const uint8_t *>(p);
			expectNv12Is(
				packNv12(base + image.offsets[0], info.mem_size - image.offsets[0],
					 image.pitches[0], base + image.offsets[1],
					 info.mem_size - image.offsets[1], image.pitches[1], w, h),
				w, h, sig, "buffer handle of a derived image");
			board().io().munmap(p, info.mem_size);
			EXPECT_EQ(vt().vaReleaseBufferHandle(ctx(), image.buf), VA_STATUS_SUCCESS);
			EXPECT_EQ(vt().vaDestroyImage(ctx(), image.image_id), VA_STATUS_SUCCESS);
			downstream.push_back({target, sig});
			if (downstream.size() > 3) {
				free.push_back(downstream.front().surface);
				downstream.erase(downstream.begin());
			}
			ref = target;
		}
		// gst_vaapi_context_reset / final unref: surfaces nobody holds are destroyed before
		// the context; the ones downstream holds when released (after the next context).
		for (VASurfaceID s : free)
			destroySurface(s);
		EXPECT_EQ(vt().vaDestroyContext(ctx(), x), VA_STATUS_SUCCESS);
		EXPECT_EQ(vt().vaDestroyConfig(ctx(), cfg), VA_STATUS_SUCCESS);
		for (const Held &held : downstream) {
			std::vector<uint8_t> nv12;
			ASSERT_EQ(drv().download(held.surface, w, h, &nv12), VA_STATUS_SUCCESS);
			expectNv12Is(nv12, w, h, held.signature,
				     "frame held downstream over the reset");
		}
	}
	for (const Held &old : downstream)
		destroySurface(old.surface);
}

INSTANTIATE_TEST_SUITE_P(ConsumerPatterns, ConsumerPatternProbe, ::testing::Values("mpeg2", "h264"),
			 [](const auto &info) { return info.param; });
INSTANTIATE_TEST_SUITE_P(ConsumerPatterns, ConsumerPatternGstreamerVa,
			 ::testing::Combine(::testing::Values("mpeg2", "h264"), ::testing::Bool()),
			 [](const auto &info) {
				 return std::get<0>(info.param) +
					(std::get<1>(info.param) ? "_dmabuf" : "_sysmem");
			 });

// --- libva-utils -----------------------------------------------------------------------------

using ConsumerPatternLibvaUtils = PatternBase;

TEST_F(ConsumerPatternLibvaUtils, Mpeg2vldemoDestroysSurfacesBeforeConfigBeforeContext)
{
	// decode/mpeg2vldemo.cpp at a size hantro takes (its minimum is 48x48, the demo's 16x16).
	const uint32_t w = 48, h = 48;
	auto src = makeMpeg2Source(w, h);
	std::vector<VAEntrypoint> eps(static_cast<size_t>(ctx()->max_entrypoints));
	int n = 0;
	ASSERT_EQ(vt().vaQueryConfigEntrypoints(ctx(), VAProfileMPEG2Main, eps.data(), &n),
		  VA_STATUS_SUCCESS);
	ASSERT_NE(std::find(eps.begin(), eps.begin() + n, VAEntrypointVLD), eps.begin() + n);
	VAConfigAttrib rt {VAConfigAttribRTFormat, 0};
	ASSERT_EQ(vt().vaGetConfigAttributes(ctx(), VAProfileMPEG2Main, VAEntrypointVLD, &rt, 1),
		  VA_STATUS_SUCCESS);
	ASSERT_TRUE(rt.value & VA_RT_FORMAT_YUV420);
	VAConfigID cfg = createConfig(VAProfileMPEG2Main, {rt});
	std::vector<VASurfaceID> s;
	ASSERT_EQ(createSurfaces(VA_RT_FORMAT_YUV420, w, h, 1, {}, &s), VA_STATUS_SUCCESS);
	VAContextID x = createContext(cfg, w, (h + 15) & ~15u, s);
	uint64_t sig = decode(x, *src, 0, s[0], VA_INVALID_SURFACE, RenderStyle::LibvaUtils);
	std::vector<uint8_t> nv12;
	ASSERT_EQ(drv().download(s[0], w, h, &nv12), VA_STATUS_SUCCESS);
	expectNv12Is(nv12, w, h, sig, "mpeg2vldemo's picture");
	destroySurface(s[0]);
	EXPECT_EQ(vt().vaDestroyConfig(ctx(), cfg), VA_STATUS_SUCCESS);
	EXPECT_EQ(vt().vaDestroyContext(ctx(), x), VA_STATUS_SUCCESS);
}

struct Resolution {
	uint32_t w, h;
};
// test/test_data.h:g_vaResolutions
constexpr Resolution kTestVaApiResolutions[] = {
	{16, 16},     {32, 32},     {176, 120},   {352, 240},   {352, 288},     {480, 320},
	{720, 480},   {720, 576},   {768, 576},   {800, 480},   {854, 480},     {1280, 720},
	{1920, 1080}, {2048, 1080}, {4096, 2160}, {8192, 8192}, {10240, 10240},
};

TEST_F(ConsumerPatternLibvaUtils, TestVaApiContextsAndSurfacesOverResolutions)
{
	for (VAProfile profile : drv().profiles()) {
		SCOPED_TRACE(::testing::Message() << "profile " << profile);
		// test_va_api_fixture.cpp:querySurfaceAttributes, getMinMaxSurfaceResolution.
		VAConfigID cfg = createConfig(profile);
		std::vector<VASurfaceAttrib> supported = surfaceAttributes(cfg);
		uint32_t minW = 1, minH = 1, maxW = UINT32_MAX, maxH = UINT32_MAX;
		for (const VASurfaceAttrib &a : supported) {
			EXPECT_NE(a.flags &
					  (VA_SURFACE_ATTRIB_GETTABLE | VA_SURFACE_ATTRIB_SETTABLE),
				  0u)
				<< a.type;
			EXPECT_GE(a.value.type, VAGenericValueTypeInteger);
			EXPECT_LE(a.value.type, VAGenericValueTypeFunc);
			const uint32_t v = static_cast<uint32_t>(a.value.value.i);
			minW = a.type == VASurfaceAttribMinWidth ? v : minW;
			minH = a.type == VASurfaceAttribMinHeight ? v : minH;
			maxW = a.type == VASurfaceAttribMaxWidth ? v : maxW;
			maxH = a.type == VASurfaceAttribMaxHeight ? v : maxH;
		}
		VAConfigAttrib picMax[2] = {{VAConfigAttribMaxPictureWidth, 0},
					    {VAConfigAttribMaxPictureHeight, 0}};
		EXPECT_EQ(vt().vaGetConfigAttributes(ctx(), profile, VAEntrypointVLD, picMax, 2),
			  VA_STATUS_SUCCESS);
		EXPECT_EQ(picMax[0].value, maxW) << "MaxPictureWidth vs the surface MaxWidth";
		EXPECT_EQ(picMax[1].value, maxH) << "MaxPictureHeight vs the surface MaxHeight";
		for (const Resolution &r : kTestVaApiResolutions) {
			SCOPED_TRACE(::testing::Message() << r.w << "x" << r.h);
			const bool within =
				r.w >= minW && r.h >= minH && r.w <= maxW && r.h <= maxH;
			VAContextID c = VA_INVALID_ID;
			VAStatus st = vt().vaCreateContext(ctx(), cfg, static_cast<int>(r.w),
							   static_cast<int>(r.h), VA_PROGRESSIVE,
							   nullptr, 0, &c);
			EXPECT_EQ(st, within ? VA_STATUS_SUCCESS
					     : VA_STATUS_ERROR_RESOLUTION_NOT_SUPPORTED)
				<< vaErrorStr(st);
			if (st == VA_STATUS_SUCCESS) {
				EXPECT_EQ(vt().vaDestroyContext(ctx(), c), VA_STATUS_SUCCESS);
			}
		}
		EXPECT_EQ(vt().vaDestroyConfig(ctx(), cfg), VA_STATUS_SUCCESS);

		// test_va_api_createsurfaces.cpp: n = 10 at every size, with no attributes and with
		// each queried attribute echoed back (MemoryType split per bit, DRM types skipped),
		// under a plain config and under one per supported config attribute.
		auto echoEach = [&](VAConfigID config, uint32_t rtFormat, const Resolution &r) {
			for (const VASurfaceAttrib &a : surfaceAttributes(config)) {
				std::vector<VASurfaceAttrib> one;
				if (a.type == VASurfaceAttribMemoryType) {
					for (uint32_t bit = 1; bit; bit <<= 1) {
						if ((static_cast<uint32_t>(a.value.value.i) &
						     bit) &&
						    !(bit &
						      (VA_SURFACE_ATTRIB_MEM_TYPE_KERNEL_DRM |
						       VA_SURFACE_ATTRIB_MEM_TYPE_DRM_PRIME |
						       VA_SURFACE_ATTRIB_MEM_TYPE_DRM_PRIME_2))) {
							one.push_back(a);
							one.back().value.value.i =
								static_cast<int32_t>(bit);
						}
					}
				} else {
					one.push_back(a);
				}
				for (const VASurfaceAttrib &attrib : one) {
					std::vector<VASurfaceID> s;
					VAStatus st = createSurfaces(rtFormat, r.w, r.h, 10,
								     {attrib}, &s);
					EXPECT_EQ(st, VA_STATUS_SUCCESS)
						<< vaErrorStr(st) << ": attribute " << attrib.type
						<< " value " << attrib.value.value.i
						<< " rt format " << rtFormat;
					if (!s.empty()) {
						EXPECT_EQ(
							vt().vaDestroySurfaces(ctx(), s.data(), 10),
							VA_STATUS_SUCCESS);
					}
				}
			}
		};
		VAConfigAttrib kinds[] = {{VAConfigAttribRTFormat, 0},
					  {VAConfigAttribDecSliceMode, 0},
					  {VAConfigAttribMaxPictureWidth, 0},
					  {VAConfigAttribMaxPictureHeight, 0}};
		EXPECT_EQ(vt().vaGetConfigAttributes(ctx(), profile, VAEntrypointVLD, kinds, 4),
			  VA_STATUS_SUCCESS);
		for (const Resolution &r : kTestVaApiResolutions) {
			SCOPED_TRACE(::testing::Message() << r.w << "x" << r.h);
			cfg = createConfig(profile);
			std::vector<VASurfaceID> s;
			EXPECT_EQ(createSurfaces(VA_RT_FORMAT_YUV420, r.w, r.h, 10, {}, &s),
				  VA_STATUS_SUCCESS);
			if (!s.empty()) {
				EXPECT_EQ(vt().vaDestroySurfaces(ctx(), s.data(), 10),
					  VA_STATUS_SUCCESS);
			}
			echoEach(cfg, VA_RT_FORMAT_YUV420, r);	// CreateSurfacesNoConfigAttrib
			EXPECT_EQ(vt().vaDestroyConfig(ctx(), cfg), VA_STATUS_SUCCESS);
			for (const VAConfigAttrib &k : kinds) {	// CreateSurfacesWithConfigAttribs
				if (k.value == VA_ATTRIB_NOT_SUPPORTED)
					continue;
				const bool bitfield = k.type == VAConfigAttribRTFormat ||
						      k.type == VAConfigAttribDecSliceMode;
				for (uint32_t bit = 1; bit; bit <<= 1) {
					if (bitfield && !(k.value & bit))
						continue;
					VAConfigAttrib one {k.type, bitfield ? bit : k.value};
					cfg = createConfig(profile, {one});
					echoEach(cfg,
						 k.type == VAConfigAttribRTFormat
							 ? bit
							 : VA_RT_FORMAT_YUV420,
						 r);
					EXPECT_EQ(vt().vaDestroyConfig(ctx(), cfg),
						  VA_STATUS_SUCCESS);
					if (!bitfield)
						break;
				}
			}
		}
	}
}

} // namespace
} // namespace v4l2va::test
