// SPDX-License-Identifier: MIT
// Consumer call patterns of shared/spec/consumer-patterns.md as scripted VA call sequences:
// FFmpeg 5.1 and >= 7.1 decode runs (§2.10 FF51-NORMAL, FFM-NORMAL), FFmpeg's reinit on a
// resolution change (FF-RESCHANGE, and the fresnel "iter5b" regression: CreateSurfaces2 again
// after decoding, at a new size or a new format), a size change inside one context (GStreamer's
// VP9 resize, §4.3), references across sizes and contexts (§8.3) and DestroySurfaces from
// another thread (§8.4). Each follows the spec's call order, checks every status, checks that
// every synced surface reads back the picture the emulator decoded into it, and that the board
// has no diagnostics and nothing left after vaTerminate. The probing consumers (mpv, GStreamer,
// Chromium, Kodi, gstreamer-vaapi, libva-utils) are in consumer_patterns_probe_test.cpp.
#include "va_scenario.h"

#include "engine/picture.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

namespace v4l2va::test {
namespace {

constexpr unsigned kGarbageCount = 32666;	// FFmpeg's uninitialised nb_attr [observed]

VASurfaceAttrib surfaceAttrib(VASurfaceAttribType type, uint32_t flags, int valueType,
			      int32_t value)
{
	VASurfaceAttrib a {};
	a.type = type;
	a.flags = flags;
	a.value.type = static_cast<VAGenericValueType>(valueType);
	a.value.value.i = value;
	return a;
}

/// FF51's pool attributes: the decoder's PixelFormat with flags = 0, value.type = 0 (§2.3).
std::vector<VASurfaceAttrib> ff51Attribs(uint32_t fourcc)
{
	return {surfaceAttrib(VASurfaceAttribPixelFormat, 0, 0, static_cast<int32_t>(fourcc)),
		surfaceAttrib(VASurfaceAttribMemoryType, VA_SURFACE_ATTRIB_SETTABLE,
			      VAGenericValueTypeInteger, VA_SURFACE_ATTRIB_MEM_TYPE_VA)};
}

/// FFmpeg >= 6.0's: both attributes SETTABLE integers.
std::vector<VASurfaceAttrib> ffmAttribs(uint32_t fourcc)
{
	return {surfaceAttrib(VASurfaceAttribPixelFormat, VA_SURFACE_ATTRIB_SETTABLE,
			      VAGenericValueTypeInteger, static_cast<int32_t>(fourcc)),
		surfaceAttrib(VASurfaceAttribMemoryType, VA_SURFACE_ATTRIB_SETTABLE,
			      VAGenericValueTypeInteger, VA_SURFACE_ATTRIB_MEM_TYPE_VA)};
}

class ConsumerPatternFfmpeg : public ::testing::TestWithParam<std::string>, protected DriverSession {
protected:
	void SetUp() override { start({}); }
	void TearDown() override { expectNothingLeft(); }

	std::unique_ptr<FrameSource> source(uint32_t w, uint32_t h)
	{
		return makeSource(GetParam(), w, h);
	}

	/// HWC:vaapi_device_init: the image format cache and the vendor quirk lookup.
	void deviceInit()
	{
		std::vector<VAImageFormat> formats(static_cast<size_t>(ctx()->max_image_formats));
		int n = 0;
		ASSERT_EQ(vt().vaQueryImageFormats(ctx(), formats.data(), &n), VA_STATUS_SUCCESS);
		ASSERT_GT(n, 0);
		EXPECT_TRUE(std::any_of(
			formats.begin(), formats.begin() + n,
			[](const VAImageFormat &f) { return f.fourcc == VA_FOURCC_NV12; }));
		ASSERT_NE(ctx()->str_vendor, nullptr);	// what vaQueryVendorString returns
		EXPECT_EQ(std::string(ctx()->str_vendor).find("ubit"), std::string::npos);
	}

	/// VD:vaapi_decode_make_config: CreateConfig(profile, VLD, no attributes), then
	/// QuerySurfaceAttributes(NULL) + list twice: the frames constraints (count set to 0) and
	/// find_best_format (count left uninitialised). Checks what FFmpeg needs of the list.
	VAConfigID ffmpegConfig(VAProfile profile, uint32_t w, uint32_t h,
				uint32_t fourcc = VA_FOURCC_NV12)
	{
		std::vector<VAProfile> profiles = drv().profiles();
		EXPECT_NE(std::find(profiles.begin(), profiles.end(), profile), profiles.end())
			<< profile;
		VAConfigID cfg = VA_INVALID_ID;
		EXPECT_EQ(vt().vaCreateConfig(ctx(), profile, VAEntrypointVLD, nullptr, 0, &cfg),
			  VA_STATUS_SUCCESS);
		for (unsigned initial : {0u, kGarbageCount}) {
			unsigned n = initial;
			EXPECT_EQ(vt().vaQuerySurfaceAttributes(ctx(), cfg, nullptr, &n),
				  VA_STATUS_SUCCESS);
			EXPECT_GT(n, 0u);
			EXPECT_LT(n, 64u) << "the incoming count was not ignored";
			std::vector<VASurfaceAttrib> list(std::min(n, 64u));
			n = static_cast<unsigned>(list.size());
			EXPECT_EQ(vt().vaQuerySurfaceAttributes(ctx(), cfg, list.data(), &n),
				  VA_STATUS_SUCCESS);
			bool format = false;
			for (unsigned i = 0; i < n && i < list.size(); i++) {
				const VASurfaceAttrib &a = list[i];
				const uint32_t v = static_cast<uint32_t>(a.value.value.i);
				format |= a.type == VASurfaceAttribPixelFormat && v == fourcc;
				if (a.type == VASurfaceAttribMinWidth ||
				    a.type == VASurfaceAttribMinHeight) {
					EXPECT_LE(v, a.type == VASurfaceAttribMinWidth ? w : h);
				}
				if (a.type == VASurfaceAttribMaxWidth ||
				    a.type == VASurfaceAttribMaxHeight) {
					EXPECT_GE(v, a.type == VASurfaceAttribMaxWidth ? w : h);
				}
			}
			EXPECT_TRUE(format) << "no usable PixelFormat attribute";
		}
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

	/// HWC:vaapi_frames_init: the test surface, probed with vaDeriveImage + vaDestroyImage.
	/// FFmpeg tolerates a failing derive (no direct mapping): a 10-bit surface whose decoder
	/// writes packed NV15 (rkvdec) cannot be derived as P010, and says so.
	VASurfaceID testSurface(uint32_t rt, uint32_t w, uint32_t h, uint32_t fourcc,
				const std::vector<VASurfaceAttrib> &attribs)
	{
		std::vector<VASurfaceID> s;
		EXPECT_EQ(createSurfaces(rt, w, h, 1, attribs, &s), VA_STATUS_SUCCESS);
		if (s.empty())
			return VA_INVALID_SURFACE;
		VAImage image {};
		VAStatus st = vt().vaDeriveImage(ctx(), s[0], &image);
		if (fourcc == VA_FOURCC_P010 && st == VA_STATUS_ERROR_OPERATION_FAILED)
			return s[0];
		EXPECT_EQ(st, VA_STATUS_SUCCESS) << "derive probe";
		if (st == VA_STATUS_SUCCESS) {
			EXPECT_EQ(image.format.fourcc, fourcc);
			EXPECT_EQ(vt().vaDestroyImage(ctx(), image.image_id), VA_STATUS_SUCCESS);
		}
		return s[0];
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

	/// One picture in a consumer's render style; with the deterministic scheduler EndPicture
	/// ran the job, so the board's newest frame is this picture. Returns its signature.
	uint64_t decode(VAContextID c, FrameSource &src, unsigned n, VASurfaceID target,
			VASurfaceID ref, RenderStyle style = RenderStyle::FFmpeg)
	{
		const size_t before = board().decodedFrames().size();
		VAStatus st = decodePicture(drv(), c, src, n, target, ref, style);
		EXPECT_EQ(st, VA_STATUS_SUCCESS) << src.name() << " picture " << n;
		std::vector<v4l2emu::DecodedFrame> frames = board().decodedFrames();
		EXPECT_EQ(frames.size(), before + 1) << "picture " << n << " was not decoded";
		if (st != VA_STATUS_SUCCESS || frames.size() != before + 1)
			return 0;
		EXPECT_NE(frames.back().signature, 0u) << "picture " << n << " decoded all-zero";
		return frames.back().signature;
	}

	/// Checks a read-back picture: non-zero, and the picture of `signature` (0: any picture
	/// the emulator decoded).
	void expectNv12Is(const std::vector<uint8_t> &nv12, uint32_t w, uint32_t h,
			  uint64_t signature, const std::string &what)
	{
		ASSERT_EQ(nv12.size(), static_cast<size_t>(w) * h * 3 / 2) << what;
		EXPECT_FALSE(std::all_of(nv12.begin(), nv12.begin() + static_cast<long>(w) * h,
					 [](uint8_t b) { return b == 0; }))
			<< what << ": all-zero picture";
		if (!signature) {
			EXPECT_NE(matchDecodedFrame(board(), nv12, w, h), 0u)
				<< what << ": not a decoded picture";
			return;
		}
		std::vector<uint8_t> expected(nv12.size());
		ASSERT_EQ(v4l2emu::expectedNv12(signature, w, h, expected.data(), w,
						expected.data() + w * h, w),
			  0);
		EXPECT_TRUE(expected == nv12) << what << ": not the picture decoded into it";
	}

	/// FFmpeg's download (§2.5): Sync, CreateImage, GetImage, Map, Unmap, DestroyImage.
	std::vector<uint8_t> expectPicture(VASurfaceID s, uint32_t w, uint32_t h,
					   uint64_t signature, const std::string &what)
	{
		std::vector<uint8_t> nv12;
		VAStatus st = drv().download(s, w, h, &nv12);
		EXPECT_EQ(st, VA_STATUS_SUCCESS) << what;
		if (st != VA_STATUS_SUCCESS)
			return {};
		expectNv12Is(nv12, w, h, signature, what);
		return nv12;
	}

	void destroySurface(VASurfaceID s)
	{
		EXPECT_EQ(vt().vaDestroySurfaces(ctx(), &s, 1), VA_STATUS_SUCCESS)
			<< "surface " << s;
	}

	/// FFmpeg >= 7.1's dynamic pool (HWC:vaapi_pool_alloc): a free surface, else a new one.
	VASurfaceID takeSurface(std::deque<VASurfaceID> *free, std::vector<VASurfaceID> *all,
				uint32_t w, uint32_t h)
	{
		if (!free->empty()) {
			VASurfaceID s = free->front();
			free->pop_front();
			return s;
		}
		EXPECT_EQ(createSurfaces(VA_RT_FORMAT_YUV420, w, h, 1, ffmAttribs(VA_FOURCC_NV12),
					 all),
			  VA_STATUS_SUCCESS);
		return all->empty() ? VA_INVALID_SURFACE : all->back();
	}
};

TEST_P(ConsumerPatternFfmpeg, Ff51NormalFixedPoolCreatedBeforeTheContext)
{
	const uint32_t w = 1920, h = 1088;	// H.264 1920x1080 coded as 16-line macroblocks
	auto src = source(w, h);
	deviceInit();
	VAConfigID c1 = ffmpegConfig(src->profile(), w, h);
	ASSERT_EQ(vt().vaDestroyConfig(ctx(), c1), VA_STATUS_SUCCESS);
	// The pool, while no config exists: the test surface, then 19 more, one per call.
	const std::vector<VASurfaceAttrib> attribs = ff51Attribs(VA_FOURCC_NV12);
	std::vector<VASurfaceID> pool = {
		testSurface(VA_RT_FORMAT_YUV420, w, h, VA_FOURCC_NV12, attribs)};
	for (int i = 1; i < 20; i++)
		ASSERT_EQ(createSurfaces(VA_RT_FORMAT_YUV420, w, h, 1, attribs, &pool),
			  VA_STATUS_SUCCESS)
			<< i;
	VAConfigID c2 = ffmpegConfig(src->profile(), w, h);
	VAContextID x = createContext(c2, w, h, pool);
	std::vector<uint64_t> signatures(pool.size(), 0);
	VASurfaceID ref = VA_INVALID_SURFACE;
	for (unsigned n = 0; n < 20; n++) {
		const size_t k = n % pool.size();
		uint64_t sig = decode(x, *src, n, pool[k], ref);
		ASSERT_NE(sig, 0u);
		EXPECT_EQ(std::count(signatures.begin(), signatures.end(), sig), 0)
			<< "picture " << n;
		signatures[k] = sig;
		expectPicture(pool[k], w, h, sig, "output frame " + std::to_string(n));
		ref = pool[k];
	}
	for (size_t k = 0; k < pool.size(); k++)
		expectPicture(pool[k], w, h, signatures[k],
			      "surface " + std::to_string(k) + " at the end");
	EXPECT_EQ(vt().vaDestroyContext(ctx(), x), VA_STATUS_SUCCESS);
	EXPECT_EQ(vt().vaDestroyConfig(ctx(), c2), VA_STATUS_SUCCESS);
	// Pool order, not creation order: odd ones from the end, then even ones.
	for (size_t k = pool.size() - 1; k < pool.size(); k -= 2)
		destroySurface(pool[k]);
	for (size_t k = 0; k < pool.size(); k += 2)
		destroySurface(pool[k]);
}

TEST_P(ConsumerPatternFfmpeg, FfmNormalDynamicPoolGrowsDuringDecoding)
{
	const uint32_t w = 1920, h = 1088;
	auto src = source(w, h);
	deviceInit();
	VAConfigID c1 = ffmpegConfig(src->profile(), w, h);
	ASSERT_EQ(vt().vaDestroyConfig(ctx(), c1), VA_STATUS_SUCCESS);
	std::vector<VASurfaceID> all = {
		testSurface(VA_RT_FORMAT_YUV420, w, h, VA_FOURCC_NV12, ffmAttribs(VA_FOURCC_NV12))};
	std::deque<VASurfaceID> free(all.begin(), all.end());
	VAConfigID c2 = ffmpegConfig(src->profile(), w, h);
	VAContextID x = createContext(c2, w, h, {});
	// A surface is held while it is the reference and while queued for the filter thread's
	// download (two frames behind); the pool only grows.
	std::deque<std::pair<VASurfaceID, uint64_t>> queued;
	std::map<VASurfaceID, uint64_t> latest;
	VASurfaceID ref = VA_INVALID_SURFACE;
	for (unsigned n = 0; n < 16; n++) {
		VASurfaceID target = takeSurface(&free, &all, w, h);
		ASSERT_NE(target, VA_INVALID_SURFACE);
		if (n == 0) {
			EXPECT_EQ(target, all[0]) << "picture 1 decodes into the test surface";
		}
		uint64_t sig = decode(x, *src, n, target, ref);
		ASSERT_NE(sig, 0u);
		queued.emplace_back(target, sig);
		latest[target] = sig;
		while (queued.size() > 2) {
			auto [s, expected] = queued.front();
			queued.pop_front();
			expectPicture(s, w, h, expected, "frame queued to the filter");
			free.push_back(s);
		}
		ref = target;
	}
	for (auto [s, expected] : queued)
		expectPicture(s, w, h, expected, "frame drained at the end");
	EXPECT_GE(all.size(), 3u) << "the pool never grew";
	EXPECT_LE(all.size(), 4u) << "freed surfaces were not reused";
	for (auto [s, expected] : latest)
		expectPicture(s, w, h, expected, "surface at the end");
	EXPECT_EQ(vt().vaDestroyContext(ctx(), x), VA_STATUS_SUCCESS);
	EXPECT_EQ(vt().vaDestroyConfig(ctx(), c2), VA_STATUS_SUCCESS);
	for (auto it = all.rbegin(); it != all.rend(); ++it)
		destroySurface(*it);
}

/// One FF51 frames context and decoder at one size: test surface + derive, the rest of the
/// pool, config #2, the context with every surface, one picture per surface.
struct Generation {
	uint32_t w = 0, h = 0;
	std::unique_ptr<FrameSource> src;
	std::vector<VASurfaceID> pool;
	std::vector<uint64_t> signatures;
	std::vector<std::vector<uint8_t>> pictures;
	VAConfigID config = VA_INVALID_ID;
	VAContextID context = VA_INVALID_ID;
};

class ConsumerPatternReinit : public ConsumerPatternFfmpeg {
protected:
	void open(Generation *g, uint32_t w, uint32_t h, unsigned poolSize)
	{
		g->w = w;
		g->h = h;
		g->src = source(w, h);
		VAConfigID probe = ffmpegConfig(g->src->profile(), w, h);
		EXPECT_EQ(vt().vaDestroyConfig(ctx(), probe), VA_STATUS_SUCCESS);
		const auto attribs = ff51Attribs(VA_FOURCC_NV12);
		g->pool = {testSurface(VA_RT_FORMAT_YUV420, w, h, VA_FOURCC_NV12, attribs)};
		for (unsigned i = 1; i < poolSize; i++)
			EXPECT_EQ(createSurfaces(VA_RT_FORMAT_YUV420, w, h, 1, attribs, &g->pool),
				  VA_STATUS_SUCCESS);
		g->config = ffmpegConfig(g->src->profile(), w, h);
		g->context = createContext(g->config, w, h, g->pool);
		g->signatures.assign(g->pool.size(), 0);
		g->pictures.assign(g->pool.size(), {});
	}
	/// Picture n into pool[n], referencing pool[n - 1]; downloaded at once.
	void decodeInto(Generation *g, unsigned n)
	{
		VASurfaceID ref = n ? g->pool[n - 1] : VA_INVALID_SURFACE;
		g->signatures[n] = decode(g->context, *g->src, n, g->pool[n], ref);
		g->pictures[n] = expectPicture(g->pool[n], g->w, g->h, g->signatures[n],
					       std::to_string(g->w) + "x" + std::to_string(g->h) +
						       " picture " + std::to_string(n));
	}
	/// The old surface again, after its context is gone: the same bytes as before.
	void expectUnchanged(Generation &g, unsigned n, const char *when)
	{
		std::vector<uint8_t> now =
			expectPicture(g.pool[n], g.w, g.h, g.signatures[n],
				      std::string("old surface ") + std::to_string(n) + " " + when);
		EXPECT_TRUE(now == g.pictures[n]) << "old surface " << n << " changed " << when;
	}
	/// FFmpeg's hwaccel_uninit: context and config #2 go, the surfaces stay.
	void close(Generation *g)
	{
		EXPECT_EQ(vt().vaDestroyContext(ctx(), g->context), VA_STATUS_SUCCESS);
		EXPECT_EQ(vt().vaDestroyConfig(ctx(), g->config), VA_STATUS_SUCCESS);
	}
};

TEST_P(ConsumerPatternReinit, Iter5bSecondCreateSurfacesAfterDecodingAtANewSize)
{
	// The fresnel regression: CreateSurfaces2, CreateContext and decoding, then (FFmpeg's
	// reinit, §2.8) CreateSurfaces2 again at another size while the old surfaces are alive.
	Generation old;
	open(&old, 176, 144, 6);
	for (unsigned n = 0; n < old.pool.size(); n++)
		decodeInto(&old, n);
	close(&old);
	Generation next;
	open(&next, 352, 288, 6);
	// Old frames still queued are read and released while the new context decodes.
	for (unsigned n = 0; n < next.pool.size(); n++) {
		decodeInto(&next, n);
		expectUnchanged(old, n, "after the new context decoded");
		destroySurface(old.pool[n]);
	}
	for (unsigned n = 0; n < next.pool.size(); n++)
		expectPicture(next.pool[n], next.w, next.h, next.signatures[n],
			      "new surface at the end");
	close(&next);
	for (VASurfaceID s : next.pool)
		destroySurface(s);
}

TEST_P(ConsumerPatternReinit, Iter5bP010SurfacesAndHevcMain10ContextLeaveOldSurfacesAlone)
{
	Generation old;
	open(&old, 176, 144, 6);
	for (unsigned n = 0; n < old.pool.size(); n++)
		decodeInto(&old, n);
	close(&old);
	// Reinit for a 10-bit HEVC stream: P010 surfaces, HEVC Main10 config and context.
	const uint32_t w = 352, h = 288;
	VAConfigID probe = ffmpegConfig(VAProfileHEVCMain10, w, h, VA_FOURCC_P010);
	EXPECT_EQ(vt().vaDestroyConfig(ctx(), probe), VA_STATUS_SUCCESS);
	const auto attribs = ff51Attribs(VA_FOURCC_P010);
	std::vector<VASurfaceID> pool = {
		testSurface(VA_RT_FORMAT_YUV420_10, w, h, VA_FOURCC_P010, attribs)};
	for (int i = 1; i < 6; i++)
		ASSERT_EQ(createSurfaces(VA_RT_FORMAT_YUV420_10, w, h, 1, attribs, &pool),
			  VA_STATUS_SUCCESS)
			<< i;
	VAConfigID cfg = ffmpegConfig(VAProfileHEVCMain10, w, h, VA_FOURCC_P010);
	VAContextID x = createContext(cfg, w, h, pool);
	for (unsigned n = 0; n < old.pool.size(); n++) {
		expectUnchanged(old, n, "after the HEVC Main10 context was created");
		destroySurface(old.pool[n]);
	}
	EXPECT_EQ(vt().vaDestroyContext(ctx(), x), VA_STATUS_SUCCESS);
	EXPECT_EQ(vt().vaDestroyConfig(ctx(), cfg), VA_STATUS_SUCCESS);
	for (VASurfaceID s : pool)
		destroySurface(s);
}

TEST_P(ConsumerPatternFfmpeg, FfResChangeOldFramesOutliveTheirContext)
{
	// FF-RESCHANGE with FFmpeg >= 7.1's dynamic pool: 1920x1080 -> 1280x720 at an IDR.
	const uint32_t w1 = 1920, h1 = 1088, w2 = 1280, h2 = 720;
	auto src1 = source(w1, h1), src2 = source(w2, h2);
	deviceInit();
	VAConfigID c1 = ffmpegConfig(src1->profile(), w1, h1);
	ASSERT_EQ(vt().vaDestroyConfig(ctx(), c1), VA_STATUS_SUCCESS);
	std::vector<VASurfaceID> oldAll = {testSurface(VA_RT_FORMAT_YUV420, w1, h1, VA_FOURCC_NV12,
						       ffmAttribs(VA_FOURCC_NV12))};
	std::deque<VASurfaceID> oldFree(oldAll.begin(), oldAll.end());
	VAConfigID c2 = ffmpegConfig(src1->profile(), w1, h1);
	VAContextID x = createContext(c2, w1, h1, {});
	std::deque<std::pair<VASurfaceID, uint64_t>> queued;	// frames on their way to the filter
	VASurfaceID ref = VA_INVALID_SURFACE;
	for (unsigned n = 0; n < 8; n++) {
		VASurfaceID target = takeSurface(&oldFree, &oldAll, w1, h1);
		uint64_t sig = decode(x, *src1, n, target, ref);
		ASSERT_NE(sig, 0u);
		queued.emplace_back(target, sig);
		if (queued.size() > 3) {
			expectPicture(queued.front().first, w1, h1, queued.front().second,
				      "old frame");
			oldFree.push_back(queued.front().first);
			queued.pop_front();
		}
		ref = target;
	}
	// b: hwaccel_uninit; c-e: the whole init again at the new size.
	EXPECT_EQ(vt().vaDestroyContext(ctx(), x), VA_STATUS_SUCCESS);
	EXPECT_EQ(vt().vaDestroyConfig(ctx(), c2), VA_STATUS_SUCCESS);
	VAConfigID c3 = ffmpegConfig(src2->profile(), w2, h2);
	EXPECT_EQ(vt().vaDestroyConfig(ctx(), c3), VA_STATUS_SUCCESS);
	std::vector<VASurfaceID> newAll = {testSurface(VA_RT_FORMAT_YUV420, w2, h2, VA_FOURCC_NV12,
						       ffmAttribs(VA_FOURCC_NV12))};
	std::deque<VASurfaceID> newFree(newAll.begin(), newAll.end());
	VAConfigID c4 = ffmpegConfig(src2->profile(), w2, h2);
	VAContextID x2 = createContext(c4, w2, h2, {});
	// f, g: old frames read, then old surfaces destroyed one per new picture.
	std::deque<VASurfaceID> oldLeft(oldAll.begin(), oldAll.end());
	std::deque<std::pair<VASurfaceID, uint64_t>> newQueued;
	ref = VA_INVALID_SURFACE;
	for (unsigned n = 0; n < 12; n++) {
		VASurfaceID target = takeSurface(&newFree, &newAll, w2, h2);
		uint64_t sig = decode(x2, *src2, n, target, ref);
		ASSERT_NE(sig, 0u);
		newQueued.emplace_back(target, sig);
		if (newQueued.size() > 2) {
			expectPicture(newQueued.front().first, w2, h2, newQueued.front().second,
				      "new frame");
			newFree.push_back(newQueued.front().first);
			newQueued.pop_front();
		}
		if (!queued.empty()) {
			expectPicture(queued.front().first, w1, h1, queued.front().second,
				      "old frame after its context was destroyed");
			queued.pop_front();
		} else if (!oldLeft.empty()) {
			destroySurface(oldLeft.front());
			oldLeft.pop_front();
		}
		ref = target;
	}
	EXPECT_TRUE(oldLeft.empty()) << "the test decodes too few new pictures";
	for (auto [s, expected] : newQueued)
		expectPicture(s, w2, h2, expected, "new frame drained at the end");
	EXPECT_EQ(vt().vaDestroyContext(ctx(), x2), VA_STATUS_SUCCESS);
	EXPECT_EQ(vt().vaDestroyConfig(ctx(), c4), VA_STATUS_SUCCESS);
	for (VASurfaceID s : newAll)
		destroySurface(s);
}

TEST_P(ConsumerPatternFfmpeg, GstreamerVp9StyleResizeInsideOneContext)
{
	// §4.3: GStreamer keeps the context on a size-only change (VP9) and brings a new pool. For
	// MPEG-2/H.264 the new size is a new sequence: the driver moves to a new stream, and the
	// old surfaces keep their pictures.
	const uint32_t w1 = 176, h1 = 144, w2 = 352, h2 = 288;
	auto src1 = source(w1, h1), src2 = source(w2, h2);
	VAConfigAttrib rt {VAConfigAttribRTFormat, VA_RT_FORMAT_YUV420};
	VAConfigID cfg = VA_INVALID_ID;
	ASSERT_EQ(vt().vaCreateConfig(ctx(), src1->profile(), VAEntrypointVLD, &rt, 1, &cfg),
		  VA_STATUS_SUCCESS);
	VAContextID x = createContext(cfg, w1, h1, {});
	const std::vector<VASurfaceAttrib> attribs = {
		surfaceAttrib(VASurfaceAttribUsageHint, VA_SURFACE_ATTRIB_SETTABLE,
			      VAGenericValueTypeInteger, VA_SURFACE_ATTRIB_USAGE_HINT_DECODER),
		ffmAttribs(VA_FOURCC_NV12)[1], ffmAttribs(VA_FOURCC_NV12)[0]};
	std::vector<VASurfaceID> a, b;
	for (int i = 0; i < 4; i++)
		ASSERT_EQ(createSurfaces(VA_RT_FORMAT_YUV420, w1, h1, 1, attribs, &a),
			  VA_STATUS_SUCCESS);
	std::map<VASurfaceID, uint64_t> sigA;
	for (unsigned n = 0; n < 6; n++) {
		VASurfaceID target = a[n % a.size()];
		sigA[target] =
			decode(x, *src1, n, target, n ? a[(n - 1) % a.size()] : VA_INVALID_SURFACE);
		expectPicture(target, w1, h1, sigA[target], "old-size picture");
	}
	std::map<VASurfaceID, std::vector<uint8_t>> before;
	for (VASurfaceID s : a)
		before[s] = expectPicture(s, w1, h1, sigA[s], "old-size surface before the resize");
	for (int i = 0; i < 4; i++)
		ASSERT_EQ(createSurfaces(VA_RT_FORMAT_YUV420, w2, h2, 1, attribs, &b),
			  VA_STATUS_SUCCESS);
	for (unsigned n = 0; n < 6; n++) {
		VASurfaceID target = b[n % b.size()];
		uint64_t sig =
			decode(x, *src2, n, target, n ? b[(n - 1) % b.size()] : VA_INVALID_SURFACE);
		expectPicture(target, w2, h2, sig, "new-size picture in the same context");
	}
	for (VASurfaceID s : a) {
		std::vector<uint8_t> after =
			expectPicture(s, w1, h1, sigA[s], "old-size surface after the resize");
		EXPECT_TRUE(after == before[s]) << "old-size surface " << s << " changed";
		destroySurface(s);
	}
	EXPECT_EQ(vt().vaDestroyContext(ctx(), x), VA_STATUS_SUCCESS);
	EXPECT_EQ(vt().vaDestroyConfig(ctx(), cfg), VA_STATUS_SUCCESS);
	for (VASurfaceID s : b)
		destroySurface(s);
}

TEST_P(ConsumerPatternFfmpeg, ReferenceToASurfaceOfAnotherSizeOrContextDoesNotCrash)
{
	// §8.3: such a picture may fail; nothing may crash or leak, and decoding goes on.
	const uint32_t w1 = 176, h1 = 144, w2 = 352, h2 = 288;
	auto src1 = source(w1, h1), src2 = source(w2, h2);
	VAConfigID cfg = ffmpegConfig(src1->profile(), w1, h1);
	std::vector<VASurfaceID> a, b;
	ASSERT_EQ(createSurfaces(VA_RT_FORMAT_YUV420, w1, h1, 3, ffmAttribs(VA_FOURCC_NV12), &a),
		  VA_STATUS_SUCCESS);
	VAContextID xa = createContext(cfg, w1, h1, a);
	std::vector<uint64_t> sigA(a.size());
	for (unsigned n = 0; n < a.size(); n++)
		sigA[n] = decode(xa, *src1, n, a[n], n ? a[n - 1] : VA_INVALID_SURFACE);
	ASSERT_EQ(createSurfaces(VA_RT_FORMAT_YUV420, w2, h2, 3, ffmAttribs(VA_FOURCC_NV12), &b),
		  VA_STATUS_SUCCESS);
	VAContextID xb = createContext(cfg, w2, h2, {});
	decode(xb, *src2, 0, b[0], VA_INVALID_SURFACE);
	// Another context's, another size's surface as the reference.
	VAStatus foreign = decodePicture(drv(), xb, *src2, 1, b[1], a[2]);
	// The same context's old-size surface as the reference of a new-size picture.
	VAStatus oldSize = decodePicture(drv(), xa, *src2, 2, b[2], a[1]);
	RecordProperty("foreign_reference_status", vaErrorStr(foreign));
	RecordProperty("old_size_reference_status", vaErrorStr(oldSize));
	// Such a reference names no buffer of the picture's stream: the hardware would read
	// garbage, and the emulator says so. That, and nothing else, is allowed here (a codec that
	// leaves such a reference out, like H.264's DPB, causes none).
	for (const v4l2emu::Diagnostic &d : board().diagnostics())
		EXPECT_TRUE(d.kind == v4l2emu::DiagnosticKind::ReferenceMissing ||
			    d.kind == v4l2emu::DiagnosticKind::ReferenceNotDecoded)
			<< v4l2emu::toString(d.kind) << ": " << d.message;
	board().clearDiagnostics();
	// Decoding goes on from a new intra picture (picture 8 of the stream) in both contexts.
	uint64_t sig8 = decode(xb, *src2, 8, b[1], VA_INVALID_SURFACE);
	uint64_t sig9 = decode(xb, *src2, 9, b[0], b[1]);
	expectPicture(b[1], w2, h2, sig8, "intra picture after the bad reference");
	expectPicture(b[0], w2, h2, sig9, "predicted picture after the bad reference");
	auto again = source(w1, h1);
	uint64_t sigA0 = decode(xa, *again, 0, a[0], VA_INVALID_SURFACE);
	expectPicture(a[0], w1, h1, sigA0, "the first context decodes again");
	for (unsigned n = 1; n < a.size(); n++)
		expectPicture(a[n], w1, h1, sigA[n], "first-context surface");
	EXPECT_EQ(vt().vaDestroyContext(ctx(), xa), VA_STATUS_SUCCESS);
	EXPECT_EQ(vt().vaDestroyContext(ctx(), xb), VA_STATUS_SUCCESS);
	EXPECT_EQ(vt().vaDestroyConfig(ctx(), cfg), VA_STATUS_SUCCESS);
	EXPECT_EQ(vt().vaDestroySurfaces(ctx(), a.data(), static_cast<int>(a.size())),
		  VA_STATUS_SUCCESS);
	EXPECT_EQ(vt().vaDestroySurfaces(ctx(), b.data(), static_cast<int>(b.size())),
		  VA_STATUS_SUCCESS);
}

TEST_P(ConsumerPatternFfmpeg, DestroySurfacesFromAnotherThreadWhileDecoding)
{
	// §8.4 / §2.6: the filter thread syncs, reads and drops frames (the last reference goes:
	// vaDestroySurfaces) while the decode thread goes on; jobs complete on a worker thread.
	DriverEnv env;
	env.scheduler = "threaded";
	start(env);
	const uint32_t w = 176, h = 144;
	auto src = source(w, h);
	VAConfigID cfg = ffmpegConfig(src->profile(), w, h);
	VAContextID x = createContext(cfg, w, h, {});
	std::mutex mutex;
	std::condition_variable cv;
	std::deque<VASurfaceID> toFilter;
	bool done = false;
	unsigned destroyed = 0;
	std::thread filter([&] {
		for (;;) {
			std::unique_lock lock(mutex);
			cv.wait(lock, [&] { return done || !toFilter.empty(); });
			if (toFilter.empty())
				return;
			VASurfaceID s = toFilter.front();
			toFilter.pop_front();
			cv.notify_all();
			lock.unlock();
			expectPicture(s, w, h, 0, "frame read on the filter thread");
			destroySurface(s);
			destroyed++;
		}
	});
	std::vector<VASurfaceID> live;
	for (unsigned n = 0; n < 40; n++) {
		ASSERT_EQ(createSurfaces(VA_RT_FORMAT_YUV420, w, h, 1, ffmAttribs(VA_FOURCC_NV12),
					 &live),
			  VA_STATUS_SUCCESS);
		VASurfaceID ref = live.size() > 1 ? live[live.size() - 2] : VA_INVALID_SURFACE;
		EXPECT_EQ(decodePicture(drv(), x, *src, n, live.back(), ref), VA_STATUS_SUCCESS)
			<< n;
		if (live.size() > 2) {	// no longer a reference of anything being submitted
			std::unique_lock lock(mutex);
			// A bounded queue, as ffmpeg_sched's: the decoder waits for the filter
			// rather than holding more frames than the CAPTURE queue has buffers.
			cv.wait(lock, [&] { return toFilter.size() < 4; });
			toFilter.push_back(live.front());
			live.erase(live.begin());
			cv.notify_all();
		}
	}
	{
		std::lock_guard lock(mutex);
		done = true;
		cv.notify_all();
	}
	filter.join();
	EXPECT_EQ(destroyed, 38u);
	for (VASurfaceID s : live)
		expectPicture(s, w, h, 0, "last frames");
	EXPECT_EQ(vt().vaDestroyContext(ctx(), x), VA_STATUS_SUCCESS);
	EXPECT_EQ(vt().vaDestroySurfaces(ctx(), live.data(), static_cast<int>(live.size())),
		  VA_STATUS_SUCCESS);
	EXPECT_EQ(vt().vaDestroyConfig(ctx(), cfg), VA_STATUS_SUCCESS);
}

INSTANTIATE_TEST_SUITE_P(ConsumerPatterns, ConsumerPatternFfmpeg,
			 ::testing::Values("mpeg2", "h264"),
			 [](const auto &info) { return info.param; });
INSTANTIATE_TEST_SUITE_P(ConsumerPatterns, ConsumerPatternReinit,
			 ::testing::Values("mpeg2", "h264"),
			 [](const auto &info) { return info.param; });

} // namespace
} // namespace v4l2va::test
