// SPDX-License-Identifier: MIT
// Driver entry: init symbol, vtable completeness, limits, vendor string, profile routing.
#include "va_harness.h"

#include <gtest/gtest.h>

#include <dlfcn.h>

#include <algorithm>

namespace v4l2va::test {
namespace {

bool has(const std::vector<VAProfile> &v, VAProfile p)
{
	return std::find(v.begin(), v.end(), p) != v.end();
}

TEST(DriverEntry, InitSymbolMatchesInstalledLibva)
{
	void *h = dlopen(driverPath().c_str(), RTLD_NOW | RTLD_LOCAL);
	ASSERT_NE(h, nullptr) << dlerror();
	std::string name = "__vaDriverInit_" + std::to_string(VA_MAJOR_VERSION) + "_" +
			   std::to_string(VA_MINOR_VERSION);
	EXPECT_NE(dlsym(h, name.c_str()), nullptr) << name;
	dlclose(h);
}

TEST(DriverEntry, EveryEntryLibvaChecksOrCallsBlindlyIsSet)
{
	VaDriver drv;
	ASSERT_EQ(drv.status(), VA_STATUS_SUCCESS);
	const VADriverVTable &vt = drv.vt();
	// The 39 entries LIBVA:va.c:va_openDriver checks after init.
	const void *tier1[] = {
		(void *)vt.vaTerminate, (void *)vt.vaQueryConfigProfiles, (void *)vt.vaQueryConfigEntrypoints,
		(void *)vt.vaQueryConfigAttributes, (void *)vt.vaCreateConfig, (void *)vt.vaDestroyConfig,
		(void *)vt.vaGetConfigAttributes, (void *)vt.vaCreateSurfaces, (void *)vt.vaDestroySurfaces,
		(void *)vt.vaCreateContext, (void *)vt.vaDestroyContext, (void *)vt.vaCreateBuffer,
		(void *)vt.vaBufferSetNumElements, (void *)vt.vaMapBuffer, (void *)vt.vaUnmapBuffer,
		(void *)vt.vaDestroyBuffer, (void *)vt.vaBeginPicture, (void *)vt.vaRenderPicture,
		(void *)vt.vaEndPicture, (void *)vt.vaSyncSurface, (void *)vt.vaQuerySurfaceStatus,
		(void *)vt.vaQueryImageFormats, (void *)vt.vaCreateImage, (void *)vt.vaDeriveImage,
		(void *)vt.vaDestroyImage, (void *)vt.vaSetImagePalette, (void *)vt.vaGetImage,
		(void *)vt.vaPutImage, (void *)vt.vaQuerySubpictureFormats, (void *)vt.vaCreateSubpicture,
		(void *)vt.vaDestroySubpicture, (void *)vt.vaSetSubpictureImage,
		(void *)vt.vaSetSubpictureChromakey, (void *)vt.vaSetSubpictureGlobalAlpha,
		(void *)vt.vaAssociateSubpicture, (void *)vt.vaDeassociateSubpicture,
		(void *)vt.vaQueryDisplayAttributes, (void *)vt.vaGetDisplayAttributes,
		(void *)vt.vaSetDisplayAttributes,
	};
	EXPECT_EQ(sizeof(tier1) / sizeof(tier1[0]), 39u);
	for (size_t i = 0; i < sizeof(tier1) / sizeof(tier1[0]); i++)
		EXPECT_NE(tier1[i], nullptr) << "tier-1 entry " << i;
	// Called without a NULL check, and the optional ones a complete decoder provides.
	EXPECT_NE(vt.vaBufferInfo, nullptr);
	EXPECT_NE(vt.vaLockSurface, nullptr);
	EXPECT_NE(vt.vaUnlockSurface, nullptr);
	EXPECT_NE(vt.vaQuerySurfaceError, nullptr);
	EXPECT_NE(vt.vaCreateSurfaces2, nullptr);
	EXPECT_NE(vt.vaQuerySurfaceAttributes, nullptr);
	EXPECT_NE(vt.vaExportSurfaceHandle, nullptr);
	EXPECT_NE(vt.vaAcquireBufferHandle, nullptr);
	EXPECT_NE(vt.vaReleaseBufferHandle, nullptr);
	EXPECT_NE(vt.vaSyncSurface2, nullptr);
	VADriverContextP ctx = drv.ctx();
	EXPECT_GT(ctx->max_profiles, 0);
	EXPECT_GT(ctx->max_entrypoints, 0);
	EXPECT_GT(ctx->max_attributes, 0);
	EXPECT_GT(ctx->max_image_formats, 0);
	EXPECT_GT(ctx->max_subpic_formats, 0);
	ASSERT_NE(ctx->str_vendor, nullptr);
	std::string vendor = ctx->str_vendor;
	// FFmpeg's quirk table keys on these; mpv refuses emulated drivers by these.
	for (const char *bad : {"ubit", "Splitted-Desktop", "VDPAU backend", "NVDEC driver"})
		EXPECT_EQ(vendor.find(bad), std::string::npos) << vendor;
}

TEST(DriverEntry, EntriesWithoutMeaningAnswerAStatus)
{
	VaDriver drv;
	ASSERT_EQ(drv.status(), VA_STATUS_SUCCESS);
	const VADriverVTable &vt = drv.vt();
	VADriverContextP ctx = drv.ctx();
	unsigned flags = 0, num = 99;
	VAImageFormat formats[4];
	EXPECT_EQ(vt.vaQuerySubpictureFormats(ctx, formats, &flags, &num), VA_STATUS_SUCCESS);
	EXPECT_EQ(num, 0u);
	VASubpictureID sub;
	EXPECT_EQ(vt.vaCreateSubpicture(ctx, 0, &sub), VA_STATUS_ERROR_UNIMPLEMENTED);
	EXPECT_EQ(vt.vaPutSurface(ctx, 0, nullptr, 0, 0, 1, 1, 0, 0, 1, 1, nullptr, 0, 0),
		  VA_STATUS_ERROR_UNIMPLEMENTED);
	int n = 5;
	EXPECT_EQ(vt.vaQueryDisplayAttributes(ctx, nullptr, &n), VA_STATUS_SUCCESS);
	EXPECT_EQ(n, 0);
	unsigned a, b, c, d, e, f, g, h, i;
	void *buf;
	EXPECT_EQ(vt.vaLockSurface(ctx, 0x1234, &a, &b, &c, &d, &e, &f, &g, &h, &buf),
		  VA_STATUS_ERROR_INVALID_SURFACE);
	(void)i;
	VAStatus ignored;
	void *info = nullptr;
	(void)ignored;
	EXPECT_EQ(vt.vaQuerySurfaceError(ctx, 0x1234, VA_STATUS_ERROR_DECODING_ERROR, &info),
		  VA_STATUS_ERROR_INVALID_SURFACE);
}

TEST(DriverEntry, FresnelOffersTheUnionOfRkvdecAndHantro)
{
	VaDriver drv;
	ASSERT_EQ(drv.status(), VA_STATUS_SUCCESS);
	std::vector<VAProfile> p = drv.profiles();
	// hantro-vpu: MPEG-2 and VP8; rkvdec (mainline): HEVC, H.264, VP9.
	EXPECT_TRUE(has(p, VAProfileMPEG2Simple));
	EXPECT_TRUE(has(p, VAProfileMPEG2Main));
	EXPECT_TRUE(has(p, VAProfileVP8Version0_3));
	EXPECT_TRUE(has(p, VAProfileH264ConstrainedBaseline));
	EXPECT_TRUE(has(p, VAProfileH264Main));
	EXPECT_TRUE(has(p, VAProfileH264High));
	EXPECT_TRUE(has(p, VAProfileHEVCMain));
	EXPECT_TRUE(has(p, VAProfileHEVCMain10));	// mainline rkvdec has NV15
	EXPECT_TRUE(has(p, VAProfileVP9Profile0));
	EXPECT_FALSE(has(p, VAProfileVP9Profile2));	// rkvdec VP9 is NV12 only
	std::sort(p.begin(), p.end());
	EXPECT_EQ(std::unique(p.begin(), p.end()), p.end()) << "a profile listed twice";
	VAEntrypoint eps[4];
	int n = 0;
	EXPECT_EQ(drv.vt().vaQueryConfigEntrypoints(drv.ctx(), VAProfileH264High, eps, &n), VA_STATUS_SUCCESS);
	ASSERT_EQ(n, 1);
	EXPECT_EQ(eps[0], VAEntrypointVLD);
	EXPECT_EQ(drv.vt().vaQueryConfigEntrypoints(drv.ctx(), VAProfileAV1Profile0, eps, &n),
		  VA_STATUS_ERROR_UNSUPPORTED_PROFILE);
	VAConfigID cfg;
	EXPECT_EQ(drv.vt().vaCreateConfig(drv.ctx(), VAProfileNone, VAEntrypointVideoProc, nullptr, 0, &cfg),
		  VA_STATUS_ERROR_UNSUPPORTED_PROFILE);
}

TEST(DriverEntry, Kernel612HasNoHevcOnRkvdec)
{
	DriverEnv env;
	env.kernel = "6.12";
	VaDriver drv(env);
	ASSERT_EQ(drv.status(), VA_STATUS_SUCCESS);
	std::vector<VAProfile> p = drv.profiles();
	EXPECT_FALSE(has(p, VAProfileHEVCMain));
	EXPECT_TRUE(has(p, VAProfileH264High));
	EXPECT_TRUE(has(p, VAProfileMPEG2Main));
}

TEST(DriverEntry, FixedNodePairFromTheEnvironment)
{
	// The variables the fresnel board already uses: only that pair (hantro) is probed.
	DriverEnv env;
	env.videoPath = "/dev/video1";
	env.mediaPath = "/dev/media1";
	VaDriver drv(env);
	ASSERT_EQ(drv.status(), VA_STATUS_SUCCESS);
	std::vector<VAProfile> p = drv.profiles();
	EXPECT_TRUE(has(p, VAProfileMPEG2Main));
	EXPECT_TRUE(has(p, VAProfileVP8Version0_3));
	EXPECT_FALSE(has(p, VAProfileH264High));
	EXPECT_FALSE(has(p, VAProfileHEVCMain));
}

TEST(DriverEntry, FixedNodePairThatDoesNotExistFailsInit)
{
	DriverEnv env;
	env.videoPath = "/dev/video9";
	env.mediaPath = "/dev/media9";
	VaDriver drv(env);
	EXPECT_NE(drv.status(), VA_STATUS_SUCCESS);
}

TEST(DriverEntry, UnknownBoardFailsInitWithAMessage)
{
	DriverEnv env;
	env.board = "no-such-board";
	VaDriver drv(env);
	EXPECT_NE(drv.status(), VA_STATUS_SUCCESS);
}

TEST(ConfigAttributes, RtFormatAndLimits)
{
	VaDriver drv;
	ASSERT_EQ(drv.status(), VA_STATUS_SUCCESS);
	VAConfigAttrib a[4] = {{VAConfigAttribRTFormat, 0}, {VAConfigAttribMaxPictureWidth, 0},
			       {VAConfigAttribMaxPictureHeight, 0}, {VAConfigAttribEncPackedHeaders, 0}};
	ASSERT_EQ(drv.vt().vaGetConfigAttributes(drv.ctx(), VAProfileHEVCMain10, VAEntrypointVLD, a, 4),
		  VA_STATUS_SUCCESS);
	EXPECT_EQ(a[0].value, static_cast<uint32_t>(VA_RT_FORMAT_YUV420_10));
	EXPECT_EQ(a[1].value, 4096u);
	EXPECT_EQ(a[2].value, 2304u);
	EXPECT_EQ(a[3].value, static_cast<uint32_t>(VA_ATTRIB_NOT_SUPPORTED));
	VAConfigAttrib rt {VAConfigAttribRTFormat, VA_RT_FORMAT_YUV422};
	VAConfigID cfg;
	EXPECT_EQ(drv.vt().vaCreateConfig(drv.ctx(), VAProfileH264High, VAEntrypointVLD, &rt, 1, &cfg),
		  VA_STATUS_ERROR_UNSUPPORTED_RT_FORMAT);
	EXPECT_EQ(drv.vt().vaCreateConfig(drv.ctx(), VAProfileH264High, VAEntrypointEncSlice, nullptr, 0, &cfg),
		  VA_STATUS_ERROR_UNSUPPORTED_ENTRYPOINT);
	ASSERT_EQ(drv.createConfig(VAProfileH264High, &cfg), VA_STATUS_SUCCESS);
	VAProfile profile;
	VAEntrypoint ep;
	VAConfigAttrib out[8];
	int n = 0;
	EXPECT_EQ(drv.vt().vaQueryConfigAttributes(drv.ctx(), cfg, &profile, &ep, out, &n), VA_STATUS_SUCCESS);
	EXPECT_EQ(profile, VAProfileH264High);
	EXPECT_EQ(n, 1);
	EXPECT_EQ(drv.vt().vaDestroyConfig(drv.ctx(), cfg), VA_STATUS_SUCCESS);
	EXPECT_EQ(drv.vt().vaDestroyConfig(drv.ctx(), cfg), VA_STATUS_ERROR_INVALID_CONFIG);
}

TEST(SurfaceAttributes, QueryIgnoresIncomingCountAndListsFormatAndLimits)
{
	VaDriver drv;
	ASSERT_EQ(drv.status(), VA_STATUS_SUCCESS);
	VAConfigID cfg;
	ASSERT_EQ(drv.createConfig(VAProfileH264High, &cfg), VA_STATUS_SUCCESS);
	unsigned n = 32666;	// FFmpeg leaves it uninitialised
	ASSERT_EQ(drv.vt().vaQuerySurfaceAttributes(drv.ctx(), cfg, nullptr, &n), VA_STATUS_SUCCESS);
	ASSERT_GT(n, 0u);
	std::vector<VASurfaceAttrib> list(n);
	ASSERT_EQ(drv.vt().vaQuerySurfaceAttributes(drv.ctx(), cfg, list.data(), &n), VA_STATUS_SUCCESS);
	bool nv12 = false, maxW = false;
	for (const VASurfaceAttrib &a : list) {
		EXPECT_TRUE(a.flags & (VA_SURFACE_ATTRIB_GETTABLE | VA_SURFACE_ATTRIB_SETTABLE));
		EXPECT_EQ(a.value.type, VAGenericValueTypeInteger);
		nv12 |= a.type == VASurfaceAttribPixelFormat && a.value.value.i == VA_FOURCC_NV12;
		maxW |= a.type == VASurfaceAttribMaxWidth && a.value.value.i > 0;
	}
	EXPECT_TRUE(nv12);
	EXPECT_TRUE(maxW);
	unsigned small = 1;
	EXPECT_EQ(drv.vt().vaQuerySurfaceAttributes(drv.ctx(), cfg, list.data(), &small),
		  VA_STATUS_ERROR_MAX_NUM_EXCEEDED);
	// libva-utils feeds every queried attribute back into CreateSurfaces.
	std::vector<VASurfaceID> s(1);
	EXPECT_EQ(drv.vt().vaCreateSurfaces2(drv.ctx(), VA_RT_FORMAT_YUV420, 64, 64, s.data(), 1, list.data(),
					     static_cast<unsigned>(list.size())),
		  VA_STATUS_SUCCESS);
	EXPECT_EQ(drv.vt().vaQuerySurfaceAttributes(drv.ctx(), 0xdead, nullptr, &n), VA_STATUS_ERROR_INVALID_CONFIG);
}

} // namespace
} // namespace v4l2va::test
