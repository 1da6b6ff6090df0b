// SPDX-License-Identifier: MIT
// Bad input and failures: unknown or destroyed IDs, wrong buffer types and sizes, slice data
// larger than the OUTPUT buffer, absurd dimensions, calls in the wrong order, and device
// faults injected by the emulator. Every case gets a VA error status, nothing crashes or
// leaks, and a failed call leaves what the application can observe unchanged.
#include "va_scenario.h"

#include <gtest/gtest.h>

#include <va/va_drmcommon.h>

#include <chrono>

namespace v4l2va::test {
namespace {

struct Fixture {
	explicit Fixture(const DriverEnv &env = {}, const char *codec = "mpeg2") : drv(env)
	{
		source = makeSource(codec, 176, 144);
	}
	bool ready() { return drv.status() == VA_STATUS_SUCCESS && drv.board(); }
	VAContextID context(const std::vector<VASurfaceID> &targets)
	{
		VAConfigID cfg;
		if (drv.createConfig(source->profile(), &cfg) != VA_STATUS_SUCCESS)
			return VA_INVALID_ID;
		VAContextID c = VA_INVALID_ID;
		drv.vt().vaCreateContext(drv.ctx(), cfg, 176, 144, VA_PROGRESSIVE,
					 const_cast<VASurfaceID *>(targets.data()),
					 static_cast<int>(targets.size()), &c);
		return c;
	}
	VaDriver drv;
	std::unique_ptr<FrameSource> source;
};

TEST(BadInput, UnknownAndDestroyedIdsAreRefused)
{
	Fixture f;
	ASSERT_TRUE(f.ready());
	auto &vt = f.drv.vt();
	auto *ctx = f.drv.ctx();
	std::vector<VASurfaceID> s;
	ASSERT_EQ(f.drv.createSurfaces(176, 144, 2, &s), VA_STATUS_SUCCESS);
	VAContextID c = f.context(s);
	ASSERT_NE(c, VA_INVALID_ID);
	// A surface ID is not a context, buffer or image ID (per-type ID bases).
	EXPECT_EQ(vt.vaBeginPicture(ctx, s[0], s[0]), VA_STATUS_ERROR_INVALID_CONTEXT);
	EXPECT_EQ(vt.vaBeginPicture(ctx, c, c), VA_STATUS_ERROR_INVALID_SURFACE);
	VABufferID b = s[0];
	EXPECT_EQ(vt.vaRenderPicture(ctx, c, &b, 1), VA_STATUS_ERROR_OPERATION_FAILED);	// no Begin
	EXPECT_EQ(vt.vaDestroyBuffer(ctx, s[0]), VA_STATUS_ERROR_INVALID_BUFFER);
	EXPECT_EQ(vt.vaDestroyImage(ctx, s[0]), VA_STATUS_ERROR_INVALID_IMAGE);
	EXPECT_EQ(vt.vaSyncSurface(ctx, 0), VA_STATUS_ERROR_INVALID_SURFACE);
	EXPECT_EQ(vt.vaSyncSurface(ctx, 0xffffffff), VA_STATUS_ERROR_INVALID_SURFACE);
	// Destroyed IDs stay invalid even when the slot is reused.
	VASurfaceID gone = s[1];
	ASSERT_EQ(vt.vaDestroySurfaces(ctx, &gone, 1), VA_STATUS_SUCCESS);
	std::vector<VASurfaceID> again;
	ASSERT_EQ(f.drv.createSurfaces(176, 144, 1, &again), VA_STATUS_SUCCESS);
	EXPECT_NE(again[0], gone);
	EXPECT_EQ(vt.vaSyncSurface(ctx, gone), VA_STATUS_ERROR_INVALID_SURFACE);
	EXPECT_EQ(vt.vaDestroySurfaces(ctx, &gone, 1), VA_STATUS_ERROR_INVALID_SURFACE);
	// All or nothing: one bad ID in the list destroys none.
	VASurfaceID mixed[2] = {s[0], gone};
	EXPECT_EQ(vt.vaDestroySurfaces(ctx, mixed, 2), VA_STATUS_ERROR_INVALID_SURFACE);
	EXPECT_EQ(vt.vaSyncSurface(ctx, s[0]), VA_STATUS_SUCCESS);
	EXPECT_EQ(vt.vaDestroyContext(ctx, c), VA_STATUS_SUCCESS);
	EXPECT_EQ(vt.vaDestroyContext(ctx, c), VA_STATUS_ERROR_INVALID_CONTEXT);
	EXPECT_EQ(vt.vaBeginPicture(ctx, c, s[0]), VA_STATUS_ERROR_INVALID_CONTEXT);
}

TEST(BadInput, NonsenseSurfaceAndContextParameters)
{
	Fixture f;
	ASSERT_TRUE(f.ready());
	auto &vt = f.drv.vt();
	auto *ctx = f.drv.ctx();
	VASurfaceID s[4];
	EXPECT_EQ(vt.vaCreateSurfaces2(ctx, VA_RT_FORMAT_YUV420, 0, 144, s, 1, nullptr, 0),
		  VA_STATUS_ERROR_RESOLUTION_NOT_SUPPORTED);
	EXPECT_EQ(vt.vaCreateSurfaces2(ctx, VA_RT_FORMAT_YUV420, 100000, 100000, s, 1, nullptr, 0),
		  VA_STATUS_ERROR_RESOLUTION_NOT_SUPPORTED);
	EXPECT_EQ(vt.vaCreateSurfaces2(ctx, VA_RT_FORMAT_YUV444, 64, 64, s, 1, nullptr, 0),
		  VA_STATUS_ERROR_UNSUPPORTED_RT_FORMAT);
	EXPECT_EQ(vt.vaCreateSurfaces2(ctx, VA_RT_FORMAT_YUV420, 64, 64, nullptr, 1, nullptr, 0),
		  VA_STATUS_ERROR_INVALID_PARAMETER);
	EXPECT_EQ(vt.vaCreateSurfaces2(ctx, VA_RT_FORMAT_YUV420, 64, 64, s, 0, nullptr, 0),
		  VA_STATUS_ERROR_INVALID_PARAMETER);
	VASurfaceAttrib bad {};
	bad.type = VASurfaceAttribPixelFormat;
	bad.flags = VA_SURFACE_ATTRIB_SETTABLE;
	bad.value.type = VAGenericValueTypeInteger;
	bad.value.value.i = VA_FOURCC_RGBA;
	EXPECT_EQ(vt.vaCreateSurfaces2(ctx, VA_RT_FORMAT_YUV420, 64, 64, s, 1, &bad, 1),
		  VA_STATUS_ERROR_INVALID_IMAGE_FORMAT);
	VASurfaceAttrib import {};
	import.type = VASurfaceAttribMemoryType;
	import.flags = VA_SURFACE_ATTRIB_SETTABLE;
	import.value.type = VAGenericValueTypeInteger;
	import.value.value.i = VA_SURFACE_ATTRIB_MEM_TYPE_USER_PTR;
	EXPECT_EQ(vt.vaCreateSurfaces2(ctx, VA_RT_FORMAT_YUV420, 64, 64, s, 1, &import, 1),
		  VA_STATUS_ERROR_UNSUPPORTED_MEMORY_TYPE);
	VAConfigID cfg;
	ASSERT_EQ(f.drv.createConfig(VAProfileMPEG2Main, &cfg), VA_STATUS_SUCCESS);
	VAContextID c;
	EXPECT_EQ(vt.vaCreateContext(ctx, cfg, 8192, 8192, VA_PROGRESSIVE, nullptr, 0, &c),
		  VA_STATUS_ERROR_RESOLUTION_NOT_SUPPORTED);	// hantro MPEG-2: up to 1920x1088
	EXPECT_EQ(vt.vaCreateContext(ctx, cfg, -5, 144, VA_PROGRESSIVE, nullptr, 0, &c),
		  VA_STATUS_ERROR_INVALID_PARAMETER);
	EXPECT_EQ(vt.vaCreateContext(ctx, cfg, 176, 144, VA_PROGRESSIVE, nullptr, 3, &c),
		  VA_STATUS_ERROR_INVALID_PARAMETER);
	VASurfaceID unknown = 0x04001234;
	EXPECT_EQ(vt.vaCreateContext(ctx, cfg, 176, 144, VA_PROGRESSIVE, &unknown, 1, &c),
		  VA_STATUS_ERROR_INVALID_SURFACE);
	EXPECT_EQ(vt.vaCreateContext(ctx, 0x01009999, 176, 144, VA_PROGRESSIVE, nullptr, 0, &c),
		  VA_STATUS_ERROR_INVALID_CONFIG);
}

TEST(BadInput, BuffersOfTheWrongTypeOrSize)
{
	Fixture f;
	ASSERT_TRUE(f.ready());
	auto &vt = f.drv.vt();
	auto *ctx = f.drv.ctx();
	std::vector<VASurfaceID> s;
	ASSERT_EQ(f.drv.createSurfaces(176, 144, 2, &s), VA_STATUS_SUCCESS);
	VAContextID c = f.context(s);
	VABufferID id;
	uint8_t junk[16] = {};
	EXPECT_EQ(vt.vaCreateBuffer(ctx, c, VABufferTypeMax, 16, 1, junk, &id), VA_STATUS_ERROR_UNSUPPORTED_BUFFERTYPE);
	EXPECT_EQ(vt.vaCreateBuffer(ctx, c, VAPictureParameterBufferType, 0, 1, junk, &id),
		  VA_STATUS_ERROR_INVALID_PARAMETER);
	EXPECT_EQ(vt.vaCreateBuffer(ctx, c, VASliceDataBufferType, 0x10000, 0x10000, nullptr, &id),
		  VA_STATUS_ERROR_ALLOCATION_FAILED);	// 4 GiB: refused, not attempted
	EXPECT_EQ(vt.vaCreateBuffer(ctx, 0x02007777, VAPictureParameterBufferType, 16, 1, junk, &id),
		  VA_STATUS_ERROR_INVALID_CONTEXT);
	// A truncated picture parameter buffer: the codec refuses it, the picture submits nothing.
	ASSERT_EQ(vt.vaCreateBuffer(ctx, c, VAPictureParameterBufferType, 8, 1, junk, &id), VA_STATUS_SUCCESS);
	ASSERT_EQ(vt.vaBeginPicture(ctx, c, s[0]), VA_STATUS_SUCCESS);
	EXPECT_NE(vt.vaRenderPicture(ctx, c, &id, 1), VA_STATUS_SUCCESS);
	EXPECT_NE(vt.vaEndPicture(ctx, c), VA_STATUS_SUCCESS);
	EXPECT_EQ(vt.vaDestroyBuffer(ctx, id), VA_STATUS_SUCCESS);
	// End without any slice: refused.
	PictureBuffers pic = f.source->picture(0, s[0], VA_INVALID_SURFACE);
	ASSERT_EQ(f.drv.createBuffer(c, pic.params[0].type, pic.params[0].bytes.data(), pic.params[0].elementSize, &id),
		  VA_STATUS_SUCCESS);
	ASSERT_EQ(vt.vaBeginPicture(ctx, c, s[0]), VA_STATUS_SUCCESS);
	EXPECT_EQ(vt.vaRenderPicture(ctx, c, &id, 1), VA_STATUS_SUCCESS);
	EXPECT_NE(vt.vaEndPicture(ctx, c), VA_STATUS_SUCCESS);
	EXPECT_EQ(vt.vaEndPicture(ctx, c), VA_STATUS_ERROR_OPERATION_FAILED);	// no picture begun
	EXPECT_EQ(vt.vaDestroyBuffer(ctx, id), VA_STATUS_SUCCESS);
	// Nothing was decoded, and a good picture still decodes afterwards.
	EXPECT_TRUE(f.drv.board()->decodedFrames().empty());
	EXPECT_EQ(decodePicture(f.drv, c, *f.source, 0, s[0], VA_INVALID_SURFACE), VA_STATUS_SUCCESS);
	EXPECT_EQ(f.drv.board()->decodedFrames().size(), 1u);
}

TEST(BadInput, SliceDataLargerThanTheOutputBufferIsRefused)
{
	Fixture f;
	ASSERT_TRUE(f.ready());
	auto &vt = f.drv.vt();
	auto *ctx = f.drv.ctx();
	std::vector<VASurfaceID> s;
	ASSERT_EQ(f.drv.createSurfaces(176, 144, 1, &s), VA_STATUS_SUCCESS);
	VAContextID c = f.context(s);
	PictureBuffers pic = f.source->picture(0, s[0], VA_INVALID_SURFACE);
	// A slice of 64 MiB: far past any OUTPUT buffer of a 176x144 context.
	std::vector<uint8_t> huge(64u << 20, 0x55);
	huge[0] = 0;
	huge[1] = 0;
	huge[2] = 1;
	huge[3] = 1;
	VASliceParameterBufferMPEG2 sp = *reinterpret_cast<const VASliceParameterBufferMPEG2 *>(pic.slices[0].bytes.data());
	sp.slice_data_size = static_cast<uint32_t>(huge.size());
	std::vector<VABufferID> ids(4);
	ASSERT_EQ(f.drv.createBuffer(c, VAPictureParameterBufferType, pic.params[0].bytes.data(),
				     pic.params[0].elementSize, &ids[0]), VA_STATUS_SUCCESS);
	ASSERT_EQ(f.drv.createBuffer(c, VAIQMatrixBufferType, pic.params[1].bytes.data(), pic.params[1].elementSize,
				     &ids[1]), VA_STATUS_SUCCESS);
	ASSERT_EQ(f.drv.createBuffer(c, VASliceParameterBufferType, &sp, sizeof(sp), &ids[2]), VA_STATUS_SUCCESS);
	ASSERT_EQ(f.drv.createBuffer(c, VASliceDataBufferType, huge.data(), static_cast<unsigned>(huge.size()), &ids[3]),
		  VA_STATUS_SUCCESS);
	ASSERT_EQ(vt.vaBeginPicture(ctx, c, s[0]), VA_STATUS_SUCCESS);
	EXPECT_EQ(vt.vaRenderPicture(ctx, c, ids.data(), 4), VA_STATUS_ERROR_NOT_ENOUGH_BUFFER);
	EXPECT_NE(vt.vaEndPicture(ctx, c), VA_STATUS_SUCCESS);
	for (VABufferID id : ids)
		EXPECT_EQ(vt.vaDestroyBuffer(ctx, id), VA_STATUS_SUCCESS);
	// A slice parameter claiming more data than the data buffer holds is refused too.
	PictureBuffers good = f.source->picture(0, s[0], VA_INVALID_SURFACE);
	auto *gsp = reinterpret_cast<VASliceParameterBufferMPEG2 *>(good.slices[0].bytes.data());
	gsp->slice_data_size += 1000;
	ASSERT_EQ(vt.vaBeginPicture(ctx, c, s[0]), VA_STATUS_SUCCESS);
	std::vector<VABufferID> gids(4);
	f.drv.createBuffer(c, VAPictureParameterBufferType, good.params[0].bytes.data(), good.params[0].elementSize, &gids[0]);
	f.drv.createBuffer(c, VAIQMatrixBufferType, good.params[1].bytes.data(), good.params[1].elementSize, &gids[1]);
	f.drv.createBuffer(c, VASliceParameterBufferType, good.slices[0].bytes.data(), good.slices[0].elementSize, &gids[2]);
	f.drv.createBuffer(c, VASliceDataBufferType, good.slices[1].bytes.data(), good.slices[1].elementSize, &gids[3]);
	EXPECT_NE(vt.vaRenderPicture(ctx, c, gids.data(), 4), VA_STATUS_SUCCESS);
	EXPECT_NE(vt.vaEndPicture(ctx, c), VA_STATUS_SUCCESS);
	for (VABufferID id : gids)
		vt.vaDestroyBuffer(ctx, id);
	EXPECT_TRUE(f.drv.board()->decodedFrames().empty());
	EXPECT_EQ(decodePicture(f.drv, c, *f.source, 0, s[0], VA_INVALID_SURFACE), VA_STATUS_SUCCESS);
}

TEST(BadInput, ImagesAndReadbackOutOfRange)
{
	Fixture f;
	ASSERT_TRUE(f.ready());
	auto &vt = f.drv.vt();
	auto *ctx = f.drv.ctx();
	std::vector<VASurfaceID> s;
	ASSERT_EQ(f.drv.createSurfaces(176, 144, 1, &s), VA_STATUS_SUCCESS);
	VAContextID c = f.context(s);
	ASSERT_EQ(decodePicture(f.drv, c, *f.source, 0, s[0], VA_INVALID_SURFACE), VA_STATUS_SUCCESS);
	VAImageFormat fmt {};
	fmt.fourcc = VA_FOURCC_NV12;
	VAImage img;
	EXPECT_EQ(vt.vaCreateImage(ctx, &fmt, 0, 10, &img), VA_STATUS_ERROR_INVALID_PARAMETER);
	VAImageFormat rgb {};
	rgb.fourcc = VA_FOURCC_RGBA;
	EXPECT_EQ(vt.vaCreateImage(ctx, &rgb, 64, 64, &img), VA_STATUS_ERROR_INVALID_IMAGE_FORMAT);
	ASSERT_EQ(vt.vaCreateImage(ctx, &fmt, 64, 64, &img), VA_STATUS_SUCCESS);
	EXPECT_EQ(vt.vaGetImage(ctx, s[0], 0, 0, 176, 144, img.image_id), VA_STATUS_ERROR_INVALID_PARAMETER)
		<< "a region larger than the image";
	EXPECT_EQ(vt.vaGetImage(ctx, s[0], 170, 0, 64, 64, img.image_id), VA_STATUS_ERROR_INVALID_PARAMETER)
		<< "a region past the surface";
	EXPECT_EQ(vt.vaGetImage(ctx, s[0], -1, 0, 16, 16, img.image_id), VA_STATUS_ERROR_INVALID_PARAMETER);
	EXPECT_EQ(vt.vaGetImage(ctx, s[0], 0, 0, 64, 64, img.image_id), VA_STATUS_SUCCESS);
	EXPECT_EQ(vt.vaGetImage(ctx, s[0], 0, 0, 64, 64, 0x10005555), VA_STATUS_ERROR_INVALID_IMAGE);
	EXPECT_EQ(vt.vaDestroyImage(ctx, img.image_id), VA_STATUS_SUCCESS);
	uint32_t exportFlags = VA_EXPORT_SURFACE_READ_ONLY;
	VADRMPRIMESurfaceDescriptor d {};
	EXPECT_EQ(vt.vaExportSurfaceHandle(ctx, s[0], VA_SURFACE_ATTRIB_MEM_TYPE_USER_PTR, exportFlags, &d),
		  VA_STATUS_ERROR_UNSUPPORTED_MEMORY_TYPE);
	EXPECT_EQ(vt.vaExportSurfaceHandle(ctx, s[0], VA_SURFACE_ATTRIB_MEM_TYPE_DRM_PRIME_2, exportFlags, nullptr),
		  VA_STATUS_ERROR_INVALID_PARAMETER);
}

// --- faults ---------------------------------------------------------------------------------

/// Decodes picture 0 and 1, then runs picture 2 under a fault plan: the failing call returns
/// an error, earlier pictures still read back as before, and later pictures decode again.
void faultKeepsStateAndRecovers(const char *codec, const std::string &faults, bool expectEndFails)
{
	Fixture f({}, codec);
	ASSERT_TRUE(f.ready());
	auto &vt = f.drv.vt();
	auto *ctx = f.drv.ctx();
	std::vector<VASurfaceID> s;
	ASSERT_EQ(f.drv.createSurfaces(176, 144, 4, &s), VA_STATUS_SUCCESS);
	VAContextID c = f.context(s);
	ASSERT_EQ(decodePicture(f.drv, c, *f.source, 0, s[0], VA_INVALID_SURFACE), VA_STATUS_SUCCESS);
	ASSERT_EQ(decodePicture(f.drv, c, *f.source, 1, s[1], s[0]), VA_STATUS_SUCCESS);
	std::vector<uint8_t> before0, before1;
	ASSERT_EQ(f.drv.download(s[0], 176, 144, &before0), VA_STATUS_SUCCESS);
	ASSERT_EQ(f.drv.download(s[1], 176, 144, &before1), VA_STATUS_SUCCESS);

	v4l2emu::FaultPlan plan;
	std::string error;
	ASSERT_EQ(v4l2emu::FaultPlan::parse(faults, &plan, &error), 0) << error;
	f.drv.board()->setFaults(plan);
	VAStatus st = decodePicture(f.drv, c, *f.source, 2, s[2], s[1]);
	if (expectEndFails)
		EXPECT_NE(st, VA_STATUS_SUCCESS) << faults;
	VAStatus sync = vt.vaSyncSurface(ctx, s[2]);
	if (!expectEndFails)
		EXPECT_EQ(sync, VA_STATUS_ERROR_DECODING_ERROR) << faults;
	f.drv.board()->setFaults({});

	std::vector<uint8_t> after0, after1;
	ASSERT_EQ(f.drv.download(s[0], 176, 144, &after0), VA_STATUS_SUCCESS);
	ASSERT_EQ(f.drv.download(s[1], 176, 144, &after1), VA_STATUS_SUCCESS);
	EXPECT_EQ(after0, before0) << "a failed decode changed another surface (" << faults << ")";
	EXPECT_EQ(after1, before1) << "a failed decode changed another surface (" << faults << ")";
	// The stream recovers: the next pictures decode into every surface, the failed one too.
	for (unsigned n = 3; n < 8; n++) {
		VASurfaceID target = s[n % 4];
		ASSERT_EQ(decodePicture(f.drv, c, *f.source, n, target, s[(n + 3) % 4]), VA_STATUS_SUCCESS)
			<< faults << " picture " << n;
		std::vector<uint8_t> nv12;
		ASSERT_EQ(f.drv.download(target, 176, 144, &nv12), VA_STATUS_SUCCESS);
		EXPECT_NE(matchDecodedFrame(*f.drv.board(), nv12, 176, 144), 0u) << faults << " picture " << n;
	}
}

class DeviceFault : public ::testing::TestWithParam<std::tuple<std::string, std::string, bool>> {};

TEST_P(DeviceFault, FailedCallLeavesStateAndTheStreamRecovers)
{
	auto [codec, faults, endFails] = GetParam();
	faultKeepsStateAndRecovers(codec.c_str(), faults, endFails);
}

// The Nth call counts from when the plan is set; picture 2 issues, in order: REINIT (the
// request is recycled), S_EXT_CTRLS, QBUF(OUTPUT), QBUF(CAPTURE), MEDIA_REQUEST_IOC_QUEUE.
INSTANTIATE_TEST_SUITE_P(
	Faults, DeviceFault,
	::testing::Values(
		std::make_tuple("mpeg2", "ioctl=VIDIOC_S_EXT_CTRLS,nth=1,errno=EIO", true),
		std::make_tuple("mpeg2", "ioctl=VIDIOC_QBUF,nth=1,errno=EIO", true),
		std::make_tuple("mpeg2", "ioctl=VIDIOC_QBUF,nth=2,errno=EIO", true),
		std::make_tuple("mpeg2", "ioctl=MEDIA_REQUEST_IOC_QUEUE,nth=1,errno=ENOMEM", true),
		std::make_tuple("mpeg2", "decode=error,nth=1", false),
		std::make_tuple("h264", "ioctl=VIDIOC_QBUF,nth=2,errno=EIO", true),
		std::make_tuple("h264", "ioctl=MEDIA_REQUEST_IOC_QUEUE,nth=1,errno=EIO", true),
		std::make_tuple("h264", "decode=error,nth=1", false)),
	[](const auto &info) {
		std::string n = std::get<0>(info.param) + "_" + std::get<1>(info.param);
		for (char &ch : n)
			if (!isalnum(static_cast<unsigned char>(ch)))
				ch = '_';
		return n + "_" + std::to_string(info.index);
	});

TEST(DeviceFaultAtSetup, ContextCreationFailureLeavesNothingBehind)
{
	Fixture f;
	ASSERT_TRUE(f.ready());
	std::shared_ptr<v4l2emu::Board> board = f.drv.shareBoard();
	v4l2emu::BoardStats before = board->stats();
	for (const char *faults : {"ioctl=VIDIOC_S_FMT,nth=1,errno=EIO", "ioctl=VIDIOC_REQBUFS,nth=1,errno=ENOMEM",
				   "ioctl=MEDIA_IOC_REQUEST_ALLOC,nth=2,errno=ENOMEM", "nomem=1,nth=1"}) {
		v4l2emu::FaultPlan plan;
		std::string error;
		ASSERT_EQ(v4l2emu::FaultPlan::parse(faults, &plan, &error), 0) << error;
		board->setFaults(plan);
		VAConfigID cfg;
		ASSERT_EQ(f.drv.createConfig(VAProfileMPEG2Main, &cfg), VA_STATUS_SUCCESS);
		VAContextID c = VA_INVALID_ID;
		EXPECT_NE(f.drv.vt().vaCreateContext(f.drv.ctx(), cfg, 176, 144, VA_PROGRESSIVE, nullptr, 0, &c),
			  VA_STATUS_SUCCESS) << faults;
		board->setFaults({});
		f.drv.vt().vaDestroyConfig(f.drv.ctx(), cfg);
		v4l2emu::BoardStats after = board->stats();
		EXPECT_EQ(after.openFds, before.openFds) << faults;
		EXPECT_EQ(after.liveMappings, before.liveMappings) << faults;
	}
}

TEST(BadInput, GetImageIntoAnImageDerivedFromTheSameSurfaceIsRefused)
{
	Fixture f;
	ASSERT_TRUE(f.ready());
	auto &vt = f.drv.vt();
	auto *ctx = f.drv.ctx();
	std::vector<VASurfaceID> s;
	ASSERT_EQ(f.drv.createSurfaces(176, 144, 1, &s), VA_STATUS_SUCCESS);
	VAContextID c = f.context(s);
	ASSERT_EQ(decodePicture(f.drv, c, *f.source, 0, s[0], VA_INVALID_SURFACE), VA_STATUS_SUCCESS);
	ASSERT_EQ(vt.vaSyncSurface(ctx, s[0]), VA_STATUS_SUCCESS);
	VAImage derived {};
	ASSERT_EQ(vt.vaDeriveImage(ctx, s[0], &derived), VA_STATUS_SUCCESS);
	// The image is the surface's own memory: a copy would be memcpy onto itself.
	EXPECT_EQ(vt.vaGetImage(ctx, s[0], 0, 0, derived.width, derived.height, derived.image_id),
		  VA_STATUS_ERROR_INVALID_PARAMETER);
	EXPECT_EQ(vt.vaDestroyImage(ctx, derived.image_id), VA_STATUS_SUCCESS);
	EXPECT_EQ(vt.vaDestroyContext(ctx, c), VA_STATUS_SUCCESS);
	EXPECT_EQ(vt.vaDestroySurfaces(ctx, s.data(), 1), VA_STATUS_SUCCESS);
}

TEST(DeviceFaultHang, SyncTimesOutOrReportsTheWatchdogErrorAndNothingHangs)
{
	Fixture f;
	ASSERT_TRUE(f.ready());
	std::vector<VASurfaceID> s;
	ASSERT_EQ(f.drv.createSurfaces(176, 144, 2, &s), VA_STATUS_SUCCESS);
	VAContextID c = f.context(s);
	v4l2emu::FaultPlan plan;
	std::string error;
	ASSERT_EQ(v4l2emu::FaultPlan::parse("decode=hang,nth=1", &plan, &error), 0) << error;
	f.drv.board()->setFaults(plan);
	EXPECT_EQ(decodePicture(f.drv, c, *f.source, 0, s[0], VA_INVALID_SURFACE), VA_STATUS_SUCCESS);
	VAStatus st = f.drv.vt().vaSyncSurface(f.drv.ctx(), s[0]);
	EXPECT_TRUE(st == VA_STATUS_ERROR_DECODING_ERROR || st == VA_STATUS_ERROR_TIMEDOUT) << vaErrorStr(st);
	f.drv.board()->setFaults({});
	EXPECT_EQ(decodePicture(f.drv, c, *f.source, 1, s[1], VA_INVALID_SURFACE), VA_STATUS_SUCCESS);
	EXPECT_EQ(f.drv.vt().vaSyncSurface(f.drv.ctx(), s[1]), VA_STATUS_SUCCESS);
}

TEST(DeviceFaultUnplug, CallsFailCleanlyAfterTheDeviceGoes)
{
	Fixture f;
	ASSERT_TRUE(f.ready());
	std::vector<VASurfaceID> s;
	ASSERT_EQ(f.drv.createSurfaces(176, 144, 2, &s), VA_STATUS_SUCCESS);
	VAContextID c = f.context(s);
	ASSERT_EQ(decodePicture(f.drv, c, *f.source, 0, s[0], VA_INVALID_SURFACE), VA_STATUS_SUCCESS);
	ASSERT_EQ(f.drv.board()->unplug("hantro-vpu"), 0);
	EXPECT_NE(decodePicture(f.drv, c, *f.source, 1, s[1], s[0]), VA_STATUS_SUCCESS);
	// What was decoded stays readable (the mapping outlives the device).
	std::vector<uint8_t> nv12;
	EXPECT_EQ(f.drv.download(s[0], 176, 144, &nv12), VA_STATUS_SUCCESS);
	EXPECT_EQ(f.drv.vt().vaDestroyContext(f.drv.ctx(), c), VA_STATUS_SUCCESS);
	EXPECT_EQ(f.drv.vt().vaDestroySurfaces(f.drv.ctx(), s.data(), 2), VA_STATUS_SUCCESS);
}

TEST(DeviceFaultUnplug, SyncReturnsPromptlyWhenTheDeviceGoesWithDecodesQueued)
{
	Fixture f;
	ASSERT_TRUE(f.ready());
	std::vector<VASurfaceID> s;
	ASSERT_EQ(f.drv.createSurfaces(176, 144, 2, &s), VA_STATUS_SUCCESS);
	VAContextID c = f.context(s);
	// The first job hangs (until the watchdog), the second waits behind it; the unplug drops
	// the queued job, so the second picture's request never completes. Only the video fd
	// says the device is gone (POLLERR | POLLHUP): the sync must not wait out its timeout.
	v4l2emu::FaultPlan plan;
	std::string error;
	ASSERT_EQ(v4l2emu::FaultPlan::parse("decode=hang,nth=1", &plan, &error), 0) << error;
	f.drv.board()->setFaults(plan);
	ASSERT_EQ(decodePicture(f.drv, c, *f.source, 0, s[0], VA_INVALID_SURFACE), VA_STATUS_SUCCESS);
	ASSERT_EQ(decodePicture(f.drv, c, *f.source, 1, s[1], VA_INVALID_SURFACE), VA_STATUS_SUCCESS);
	ASSERT_EQ(f.drv.board()->unplug("hantro-vpu"), 0);
	auto start = std::chrono::steady_clock::now();
	VAStatus st = f.drv.vt().vaSyncSurface(f.drv.ctx(), s[1]);
	auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
			  std::chrono::steady_clock::now() - start).count();
	EXPECT_NE(st, VA_STATUS_SUCCESS);
	EXPECT_NE(st, VA_STATUS_ERROR_TIMEDOUT);
	EXPECT_LT(ms, 1000) << vaErrorStr(st);
	EXPECT_EQ(f.drv.vt().vaDestroyContext(f.drv.ctx(), c), VA_STATUS_SUCCESS);
	EXPECT_EQ(f.drv.vt().vaDestroySurfaces(f.drv.ctx(), s.data(), 2), VA_STATUS_SUCCESS);
}

} // namespace
} // namespace v4l2va::test
