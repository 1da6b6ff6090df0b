// SPDX-License-Identifier: MIT
// Spec §5: one test per driver rule (formats, sizes, defaults, busy rules, queue flags,
// controls) for hantro (RK3399), rkvdec (6.12 and mainline), visl and cedrus.
#include "emu_fixture.h"

#include <v4l2emu/formats.h>

#include <vector>

namespace v4l2emu::test {
namespace {

class DriverTest : public EmuTest {
protected:
	int open(const std::string &board, const std::string &device,
		 KernelVersion kernel = KernelVersion::Mainline)
	{
		BoardOptions o;
		o.kernel = kernel;
		useBoard(board, o);
		int fd = openVideo(device);
		EXPECT_GE(fd, 0);
		return fd;
	}
	std::vector<uint32_t> enumFormats(int fd, uint32_t type)
	{
		std::vector<uint32_t> out;
		for (uint32_t i = 0;; i++) {
			struct v4l2_fmtdesc f {};
			f.type = type;
			f.index = i;
			if (xioctl(fd, VIDIOC_ENUM_FMT, &f))
				break;
			out.push_back(f.pixelformat);
		}
		return out;
	}
	struct v4l2_pix_format_mplane fmt(int fd, uint32_t type)
	{
		struct v4l2_format f {};
		EXPECT_EQ(getFormat(fd, type, &f), 0);
		if (V4L2_TYPE_IS_MULTIPLANAR(type))
			return f.fmt.pix_mp;
		struct v4l2_pix_format_mplane mp {};
		mp.width = f.fmt.pix.width;
		mp.height = f.fmt.pix.height;
		mp.pixelformat = f.fmt.pix.pixelformat;
		mp.colorspace = f.fmt.pix.colorspace;
		mp.num_planes = 1;
		mp.plane_fmt[0].bytesperline = f.fmt.pix.bytesperline;
		mp.plane_fmt[0].sizeimage = f.fmt.pix.sizeimage;
		return mp;
	}
	struct v4l2_pix_format_mplane tryFmt(int fd, uint32_t type, uint32_t fourcc, uint32_t w,
					       uint32_t h, uint32_t sizeimage = 0)
	{
		struct v4l2_format f {};
		f.type = type;
		if (V4L2_TYPE_IS_MULTIPLANAR(type)) {
			f.fmt.pix_mp.pixelformat = fourcc;
			f.fmt.pix_mp.width = w;
			f.fmt.pix_mp.height = h;
			f.fmt.pix_mp.num_planes = 1;
			f.fmt.pix_mp.plane_fmt[0].sizeimage = sizeimage;
		} else {
			f.fmt.pix.pixelformat = fourcc;
			f.fmt.pix.width = w;
			f.fmt.pix.height = h;
			f.fmt.pix.sizeimage = sizeimage;
		}
		EXPECT_EQ(xioctl(fd, VIDIOC_TRY_FMT, &f), 0);
		if (V4L2_TYPE_IS_MULTIPLANAR(type))
			return f.fmt.pix_mp;
		struct v4l2_pix_format_mplane mp {};
		mp.width = f.fmt.pix.width;
		mp.height = f.fmt.pix.height;
		mp.pixelformat = f.fmt.pix.pixelformat;
		mp.plane_fmt[0].bytesperline = f.fmt.pix.bytesperline;
		mp.plane_fmt[0].sizeimage = f.fmt.pix.sizeimage;
		return mp;
	}
	uint32_t reqCaps(int fd, uint32_t type)
	{
		struct v4l2_requestbuffers rb {};
		reqbufs(fd, type, 0, V4L2_MEMORY_MMAP, &rb);
		return rb.capabilities;
	}
	static constexpr uint32_t O = V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE;
	static constexpr uint32_t C = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
};

using DriverGeneral = DriverTest;
using HantroRules = DriverTest;
using RkvdecRules = DriverTest;
using VislRules = DriverTest;
using CedrusRules = DriverTest;

// ---- general (§5) --------------------------------------------------------------------------

TEST_F(DriverGeneral, SFmtOutputResetsCaptureAndCopiesColorimetry)
{
	for (const char *device : {"rkvdec", "hantro-vpu"}) {
		int fd = open("fresnel", device);
		ASSERT_EQ(setFormat(fd, C, V4L2_PIX_FMT_NV12, 640, 480), 0);
		struct v4l2_format f {};
		f.type = O;
		f.fmt.pix_mp.pixelformat = std::string(device) == "rkvdec" ? V4L2_PIX_FMT_VP9_FRAME
									   : V4L2_PIX_FMT_VP8_FRAME;
		f.fmt.pix_mp.width = 320;
		f.fmt.pix_mp.height = 192;
		f.fmt.pix_mp.colorspace = V4L2_COLORSPACE_BT2020;
		ASSERT_EQ(xioctl(fd, VIDIOC_S_FMT, &f), 0);
		auto cap = fmt(fd, C);
		EXPECT_EQ(cap.width, 320u) << device;
		EXPECT_EQ(cap.height, 192u) << device;
		EXPECT_EQ(cap.pixelformat, static_cast<uint32_t>(V4L2_PIX_FMT_NV12));
		EXPECT_EQ(cap.colorspace, static_cast<uint32_t>(V4L2_COLORSPACE_BT2020)) << device;
	}
}

TEST_F(DriverGeneral, UnknownFourccIsReplacedNotRefused)
{
	int fd = open("fresnel", "rkvdec");
	EXPECT_EQ(tryFmt(fd, O, v4l2_fourcc('X', 'X', 'X', 'X'), 320, 240).pixelformat,
		  static_cast<uint32_t>(V4L2_PIX_FMT_HEVC_SLICE));
	EXPECT_EQ(tryFmt(fd, C, v4l2_fourcc('X', 'X', 'X', 'X'), 320, 240).pixelformat,
		  static_cast<uint32_t>(V4L2_PIX_FMT_NV12));
}

TEST_F(DriverGeneral, BusyIsClearedOnlyByReqbufsZeroNotStreamoffNorRemoveBufs)
{
	int fd = open("visl", "visl");
	ASSERT_EQ(reqbufs(fd, C, 2), 2);
	ASSERT_EQ(streamon(fd, C), 0);
	ASSERT_EQ(streamoff(fd, C), 0);
	EXPECT_EQ(setFormat(fd, O, V4L2_PIX_FMT_H264_SLICE, 320, 240), -EBUSY) << "after STREAMOFF";
	struct v4l2_remove_buffers rm {};
	rm.type = C;
	rm.count = 2;
	ASSERT_EQ(xioctl(fd, VIDIOC_REMOVE_BUFS, &rm), 0);
	EXPECT_EQ(setFormat(fd, O, V4L2_PIX_FMT_H264_SLICE, 320, 240), -EBUSY) << "after REMOVE_BUFS";
	ASSERT_EQ(reqbufs(fd, C, 0), 0);
	EXPECT_EQ(setFormat(fd, O, V4L2_PIX_FMT_H264_SLICE, 320, 240), 0);
}

// ---- hantro (§5.2) -------------------------------------------------------------------------

TEST_F(HantroRules, OutputCodecsAreMpeg2AndVp8Only)
{
	int fd = open("fresnel", "hantro-vpu");
	EXPECT_EQ(enumFormats(fd, O), (std::vector<uint32_t>{V4L2_PIX_FMT_MPEG2_SLICE, V4L2_PIX_FMT_VP8_FRAME}));
	struct v4l2_capability cap {};
	ASSERT_EQ(xioctl(fd, VIDIOC_QUERYCAP, &cap), 0);
	EXPECT_STREQ(reinterpret_cast<char *>(cap.driver), "hantro-vpu");
	EXPECT_STREQ(reinterpret_cast<char *>(cap.card), "rockchip,rk3399-vpu-dec");
	EXPECT_EQ(cap.device_caps & ~V4L2_CAP_EXT_PIX_FORMAT,
		  static_cast<uint32_t>(V4L2_CAP_VIDEO_M2M_MPLANE | V4L2_CAP_STREAMING));
}

TEST_F(HantroRules, CaptureIsNv12WhateverTheCodec)
{
	int fd = open("fresnel", "hantro-vpu");
	EXPECT_EQ(enumFormats(fd, C), std::vector<uint32_t>{V4L2_PIX_FMT_NV12});
	ASSERT_EQ(setFormat(fd, O, V4L2_PIX_FMT_VP8_FRAME, 320, 240), 0);
	EXPECT_EQ(enumFormats(fd, C), std::vector<uint32_t>{V4L2_PIX_FMT_NV12});
}

TEST_F(HantroRules, SizesClampAndRoundUpTo16)
{
	int fd = open("fresnel", "hantro-vpu");
	auto f = tryFmt(fd, O, V4L2_PIX_FMT_MPEG2_SLICE, 1920, 1080);
	EXPECT_EQ(f.height, 1088u);
	f = tryFmt(fd, O, V4L2_PIX_FMT_MPEG2_SLICE, 4000, 10);
	EXPECT_EQ(f.width, 1920u);
	EXPECT_EQ(f.height, 48u);
	f = tryFmt(fd, O, V4L2_PIX_FMT_VP8_FRAME, 3840, 2160);
	EXPECT_EQ(f.width, 3840u);
	EXPECT_EQ(f.height, 2160u);
}

TEST_F(HantroRules, CaptureTakesTheOutputSizeClampedByNv12Limits)
{
	int fd = open("fresnel", "hantro-vpu");
	ASSERT_EQ(setFormat(fd, O, V4L2_PIX_FMT_VP8_FRAME, 3840, 2160), 0);
	auto cap = fmt(fd, C);
	EXPECT_EQ(cap.width, 1920u);
	EXPECT_EQ(cap.height, 1088u);
	auto t = tryFmt(fd, C, V4L2_PIX_FMT_NV12, 64, 64);
	EXPECT_EQ(t.width, 1920u) << "the size asked for is ignored";
}

TEST_F(HantroRules, OutputSizeimageDefaultsToTwoBytesPerPixel)
{
	int fd = open("fresnel", "hantro-vpu");
	EXPECT_EQ(tryFmt(fd, O, V4L2_PIX_FMT_MPEG2_SLICE, 320, 240).plane_fmt[0].sizeimage, 320u * 240 * 2);
	EXPECT_EQ(tryFmt(fd, O, V4L2_PIX_FMT_MPEG2_SLICE, 320, 240, 5000).plane_fmt[0].sizeimage, 5000u);
}

TEST_F(HantroRules, CaptureNv12SizesWithoutMotionVectorArea)
{
	int fd = open("fresnel", "hantro-vpu");
	ASSERT_EQ(setFormat(fd, O, V4L2_PIX_FMT_MPEG2_SLICE, 320, 240), 0);
	auto cap = fmt(fd, C);
	EXPECT_EQ(cap.plane_fmt[0].bytesperline, 320u);
	EXPECT_EQ(cap.plane_fmt[0].sizeimage, 320u * 240 + 2 * 160 * 120);
}

TEST_F(HantroRules, DefaultsAtOpen)
{
	int fd = open("fresnel", "hantro-vpu");
	auto out = fmt(fd, O);
	EXPECT_EQ(out.pixelformat, static_cast<uint32_t>(V4L2_PIX_FMT_MPEG2_SLICE));
	EXPECT_EQ(out.width, 48u);
	EXPECT_EQ(out.plane_fmt[0].sizeimage, 4608u);
	EXPECT_EQ(out.colorspace, static_cast<uint32_t>(V4L2_COLORSPACE_JPEG));
	auto cap = fmt(fd, C);
	EXPECT_EQ(cap.pixelformat, static_cast<uint32_t>(V4L2_PIX_FMT_NV12));
	EXPECT_EQ(cap.plane_fmt[0].sizeimage, 3456u);
}

TEST_F(HantroRules, FindFormatDoesNotFilterByDirection)
{
	int fd = open("fresnel", "hantro-vpu");
	EXPECT_EQ(tryFmt(fd, O, V4L2_PIX_FMT_NV12, 320, 240).pixelformat,
		  static_cast<uint32_t>(V4L2_PIX_FMT_NV12)) << "accepted as is on OUTPUT";
	EXPECT_EQ(tryFmt(fd, C, V4L2_PIX_FMT_VP8_FRAME, 320, 240).pixelformat,
		  static_cast<uint32_t>(V4L2_PIX_FMT_VP8_FRAME)) << "not corrected on CAPTURE";
}

TEST_F(HantroRules, EnumFramesizesStepwiseForCodedEnottyForNv12)
{
	int fd = open("fresnel", "hantro-vpu");
	struct v4l2_frmsizeenum fs {};
	fs.pixel_format = V4L2_PIX_FMT_VP8_FRAME;
	ASSERT_EQ(xioctl(fd, VIDIOC_ENUM_FRAMESIZES, &fs), 0);
	EXPECT_EQ(fs.type, static_cast<uint32_t>(V4L2_FRMSIZE_TYPE_STEPWISE));
	EXPECT_EQ(fs.stepwise.max_width, 3840u);
	EXPECT_EQ(fs.stepwise.step_height, 16u);
	fs.pixel_format = V4L2_PIX_FMT_NV12;
	EXPECT_EQ(xioctl(fd, VIDIOC_ENUM_FRAMESIZES, &fs), -ENOTTY);
	fs.index = 3;
	EXPECT_EQ(xioctl(fd, VIDIOC_ENUM_FRAMESIZES, &fs), -ENOTTY) << "looked up before the index";
	fs.index = 0;
	fs.pixel_format = V4L2_PIX_FMT_H264_SLICE;
	EXPECT_EQ(xioctl(fd, VIDIOC_ENUM_FRAMESIZES, &fs), -EINVAL);
	fs.pixel_format = V4L2_PIX_FMT_VP8_FRAME;
	fs.index = 1;
	EXPECT_EQ(xioctl(fd, VIDIOC_ENUM_FRAMESIZES, &fs), -EINVAL);
}

TEST_F(HantroRules, RequiresRequestsFromOpenAndNoHold)
{
	int fd = open("fresnel", "hantro-vpu");
	uint32_t caps = reqCaps(fd, O);
	EXPECT_TRUE(caps & V4L2_BUF_CAP_SUPPORTS_REQUESTS);
	EXPECT_FALSE(caps & V4L2_BUF_CAP_SUPPORTS_M2M_HOLD_CAPTURE_BUF);
	EXPECT_TRUE(caps & V4L2_BUF_CAP_SUPPORTS_REMOVE_BUFS);
	ASSERT_EQ(reqbufs(fd, O, 1), 1);
	EXPECT_EQ(qbuf(fd, O, 0, -1, 0, 16), -EBADR);
}

TEST_F(HantroRules, ControlsAreMpeg2AndVp8Only)
{
	int fd = open("fresnel", "hantro-vpu");
	struct v4l2_query_ext_ctrl q {};
	q.id = V4L2_CID_STATELESS_MPEG2_SEQUENCE;
	EXPECT_EQ(xioctl(fd, VIDIOC_QUERY_EXT_CTRL, &q), 0);
	q.id = V4L2_CID_STATELESS_VP8_FRAME;
	EXPECT_EQ(xioctl(fd, VIDIOC_QUERY_EXT_CTRL, &q), 0);
	for (uint32_t id : {V4L2_CID_STATELESS_H264_SPS, V4L2_CID_STATELESS_HEVC_SPS,
			    V4L2_CID_STATELESS_VP9_FRAME, V4L2_CID_STATELESS_AV1_SEQUENCE}) {
		q.id = id;
		EXPECT_EQ(xioctl(fd, VIDIOC_QUERY_EXT_CTRL, &q), -EINVAL) << std::hex << id;
	}
}

// ---- rkvdec (§5.3) -------------------------------------------------------------------------

TEST_F(RkvdecRules, V612FormatsAndLimits)
{
	int fd = open("rkvdec", "rkvdec", KernelVersion::V6_12);
	EXPECT_EQ(enumFormats(fd, O), (std::vector<uint32_t>{V4L2_PIX_FMT_H264_SLICE, V4L2_PIX_FMT_VP9_FRAME}));
	auto f = tryFmt(fd, O, V4L2_PIX_FMT_H264_SLICE, 1920, 1080);
	EXPECT_EQ(f.width, 1920u);
	EXPECT_EQ(f.height, 1088u);
	f = tryFmt(fd, O, V4L2_PIX_FMT_VP9_FRAME, 1000, 1000);
	EXPECT_EQ(f.width, 1024u) << "VP9 rounds to 64";
	EXPECT_EQ(f.height, 1024u);
	f = tryFmt(fd, O, V4L2_PIX_FMT_H264_SLICE, 8000, 8000);
	EXPECT_EQ(f.width, 4096u);
	EXPECT_EQ(f.height, 2560u);
}

TEST_F(RkvdecRules, V612DefaultsAtOpen)
{
	int fd = open("rkvdec", "rkvdec", KernelVersion::V6_12);
	auto out = fmt(fd, O);
	EXPECT_EQ(out.pixelformat, static_cast<uint32_t>(V4L2_PIX_FMT_H264_SLICE));
	EXPECT_EQ(out.width, 48u);
	EXPECT_EQ(out.plane_fmt[0].sizeimage, 4608u);
	auto cap = fmt(fd, C);
	EXPECT_EQ(cap.plane_fmt[0].sizeimage, 3456u + 1152u) << "NV12 plus the motion vector area";
}

TEST_F(RkvdecRules, MainlineListsHevcFirstWithWidthStep64)
{
	int fd = open("fresnel", "rkvdec");
	EXPECT_EQ(enumFormats(fd, O), (std::vector<uint32_t>{V4L2_PIX_FMT_HEVC_SLICE,
							     V4L2_PIX_FMT_H264_SLICE, V4L2_PIX_FMT_VP9_FRAME}));
	auto out = fmt(fd, O);
	EXPECT_EQ(out.pixelformat, static_cast<uint32_t>(V4L2_PIX_FMT_HEVC_SLICE));
	EXPECT_EQ(out.width, 64u);
	EXPECT_EQ(out.height, 64u);
	EXPECT_EQ(tryFmt(fd, O, V4L2_PIX_FMT_H264_SLICE, 48, 48).width, 64u);
	EXPECT_EQ(tryFmt(fd, O, V4L2_PIX_FMT_H264_SLICE, 330, 48).width, 384u);
	EXPECT_EQ(fmt(fd, C).plane_fmt[0].sizeimage, 8192u) << "64x64: 6144 + 2048";
}

TEST_F(RkvdecRules, MainlineCaptureListsDependOnCodec)
{
	int fd = open("fresnel", "rkvdec");
	EXPECT_EQ(enumFormats(fd, C), (std::vector<uint32_t>{V4L2_PIX_FMT_NV12, V4L2_PIX_FMT_NV15}));
	ASSERT_EQ(setFormat(fd, O, V4L2_PIX_FMT_H264_SLICE, 320, 240), 0);
	EXPECT_EQ(enumFormats(fd, C).size(), 4u);
	ASSERT_EQ(setFormat(fd, O, V4L2_PIX_FMT_VP9_FRAME, 320, 240), 0);
	EXPECT_EQ(enumFormats(fd, C), std::vector<uint32_t>{V4L2_PIX_FMT_NV12});
}

TEST_F(RkvdecRules, OutputTryDefaultsSizeimageToTwoBytesPerPixel)
{
	int fd = open("fresnel", "rkvdec");
	auto f = tryFmt(fd, O, V4L2_PIX_FMT_VP9_FRAME, 320, 256);
	EXPECT_EQ(f.plane_fmt[0].sizeimage, 320u * 256 * 2);
	EXPECT_EQ(f.num_planes, 1);
}

TEST_F(RkvdecRules, CaptureTryTakesAtLeastTheOutputSizePlusMvArea)
{
	int fd = open("rkvdec", "rkvdec", KernelVersion::V6_12);
	ASSERT_EQ(setFormat(fd, O, V4L2_PIX_FMT_H264_SLICE, 320, 240), 0);
	auto f = tryFmt(fd, C, v4l2_fourcc('B', 'A', 'D', '!'), 16, 16);
	EXPECT_EQ(f.pixelformat, static_cast<uint32_t>(V4L2_PIX_FMT_NV12));
	EXPECT_EQ(f.width, 320u);
	EXPECT_EQ(f.height, 240u);
	EXPECT_EQ(f.plane_fmt[0].sizeimage, 320u * 240 * 3 / 2 + 128u * 20 * 15);
	f = tryFmt(fd, C, V4L2_PIX_FMT_NV12, 640, 480);
	EXPECT_EQ(f.width, 640u) << "larger than OUTPUT is kept";
}

TEST_F(RkvdecRules, EnumFramesizesContinuousForCodedOnly)
{
	int fd = open("fresnel", "rkvdec");
	struct v4l2_frmsizeenum fs {};
	fs.pixel_format = V4L2_PIX_FMT_VP9_FRAME;
	ASSERT_EQ(xioctl(fd, VIDIOC_ENUM_FRAMESIZES, &fs), 0);
	EXPECT_EQ(fs.type, static_cast<uint32_t>(V4L2_FRMSIZE_TYPE_CONTINUOUS));
	EXPECT_EQ(fs.stepwise.min_width, 1u);
	EXPECT_EQ(fs.stepwise.max_height, 2304u);
	fs.pixel_format = V4L2_PIX_FMT_NV12;
	EXPECT_EQ(xioctl(fd, VIDIOC_ENUM_FRAMESIZES, &fs), -EINVAL);
}

TEST_F(RkvdecRules, NoSequenceNumbersNoRemoveBufsRequestsRequired)
{
	int fd = open("fresnel", "rkvdec");
	uint32_t caps = reqCaps(fd, O);
	EXPECT_TRUE(caps & V4L2_BUF_CAP_SUPPORTS_REQUESTS);
	EXPECT_FALSE(caps & V4L2_BUF_CAP_SUPPORTS_REMOVE_BUFS);
	struct v4l2_remove_buffers rm {};
	rm.type = O;
	EXPECT_EQ(xioctl(fd, VIDIOC_REMOVE_BUFS, &rm), -ENOTTY);
}

TEST_F(RkvdecRules, V612H264SpsChecks)
{
	int fd = open("rkvdec", "rkvdec", KernelVersion::V6_12);
	ASSERT_EQ(setFormat(fd, O, V4L2_PIX_FMT_H264_SLICE, 320, 240), 0);
	auto check = [&](auto mutate) {
		CodecControls c = CodecControls::h264(320, 240);
		mutate(*c.payload<struct v4l2_ctrl_h264_sps>(V4L2_CID_STATELESS_H264_SPS));
		c.controls.resize(1);	// the SPS alone
		return setControls(fd, c);
	};
	EXPECT_EQ(check([](auto &) {}), 0);
	EXPECT_EQ(check([](auto &s) { s.profile_idc = 122; s.chroma_format_idc = 2; }), -EINVAL);
	EXPECT_EQ(check([](auto &s) { s.bit_depth_luma_minus8 = 2; }), -EINVAL) << "depth mismatch";
	EXPECT_EQ(check([](auto &s) { s.bit_depth_luma_minus8 = 2; s.bit_depth_chroma_minus8 = 2; }), -EINVAL);
	EXPECT_EQ(check([](auto &s) { s.pic_width_in_mbs_minus1 = 40; }), -EINVAL) << "wider than OUTPUT";
	EXPECT_EQ(check([](auto &s) { s.flags = 0; }), -EINVAL) << "field height doubled: 480 > 240";
}

TEST_F(RkvdecRules, MainlineH264Allows422And10Bit)
{
	int fd = open("fresnel", "rkvdec");
	ASSERT_EQ(setFormat(fd, O, V4L2_PIX_FMT_H264_SLICE, 320, 240), 0);
	CodecControls c = CodecControls::h264(320, 240);
	auto *sps = c.payload<struct v4l2_ctrl_h264_sps>(V4L2_CID_STATELESS_H264_SPS);
	sps->profile_idc = 122;
	sps->chroma_format_idc = 2;
	sps->bit_depth_luma_minus8 = sps->bit_depth_chroma_minus8 = 2;
	c.controls.resize(1);
	EXPECT_EQ(setControls(fd, c), 0);
	EXPECT_EQ(fmt(fd, C).pixelformat, static_cast<uint32_t>(V4L2_PIX_FMT_NV20)) << "CAPTURE reset to 4:2:2 10-bit";
	sps->bit_depth_luma_minus8 = sps->bit_depth_chroma_minus8 = 1;
	EXPECT_EQ(setControls(fd, c), -EINVAL) << "9-bit";
}

TEST_F(RkvdecRules, MainlineHevcSpsChecks)
{
	int fd = open("fresnel", "rkvdec");
	ASSERT_EQ(setFormat(fd, O, V4L2_PIX_FMT_HEVC_SLICE, 320, 240), 0);
	auto check = [&](auto mutate) {
		CodecControls c = CodecControls::hevc(320, 240);
		mutate(*c.payload<struct v4l2_ctrl_hevc_sps>(V4L2_CID_STATELESS_HEVC_SPS));
		c.controls.resize(1);
		return setControls(fd, c);
	};
	EXPECT_EQ(check([](auto &) {}), 0);
	EXPECT_EQ(check([](auto &s) { s.chroma_format_idc = 2; }), -EINVAL);
	EXPECT_EQ(check([](auto &s) { s.bit_depth_chroma_minus8 = 2; }), -EINVAL);
	EXPECT_EQ(check([](auto &s) { s.bit_depth_luma_minus8 = s.bit_depth_chroma_minus8 = 4; }), -EINVAL);
	EXPECT_EQ(check([](auto &s) { s.pic_width_in_luma_samples = 640; }), -EINVAL);
}

TEST_F(RkvdecRules, TryCtrlOnlyForTheCurrentCodec)
{
	int fd = open("fresnel", "rkvdec");
	ASSERT_EQ(setFormat(fd, O, V4L2_PIX_FMT_VP9_FRAME, 320, 256), 0);
	CodecControls c = CodecControls::h264(1920, 1088);	// too large, but not checked
	EXPECT_EQ(setControls(fd, c), 0);
}

TEST_F(RkvdecRules, HoldSetByH264AndNeverCleared)
{
	int fd = open("fresnel", "rkvdec");
	EXPECT_FALSE(reqCaps(fd, O) & V4L2_BUF_CAP_SUPPORTS_M2M_HOLD_CAPTURE_BUF);
	ASSERT_EQ(setFormat(fd, O, V4L2_PIX_FMT_H264_SLICE, 320, 240), 0);
	EXPECT_TRUE(reqCaps(fd, O) & V4L2_BUF_CAP_SUPPORTS_M2M_HOLD_CAPTURE_BUF);
	ASSERT_EQ(setFormat(fd, O, V4L2_PIX_FMT_VP9_FRAME, 320, 256), 0);
	EXPECT_TRUE(reqCaps(fd, O) & V4L2_BUF_CAP_SUPPORTS_M2M_HOLD_CAPTURE_BUF) << "ORed in";
}

TEST_F(RkvdecRules, MainlineSpsImageFormatChangeIsEbusyWhileCaptureBusy)
{
	int fd = open("fresnel", "rkvdec");
	ASSERT_EQ(setFormat(fd, O, V4L2_PIX_FMT_HEVC_SLICE, 320, 240), 0);
	ASSERT_EQ(reqbufs(fd, C, 1), 1);
	CodecControls c = CodecControls::hevc(320, 240);
	auto *sps = c.payload<struct v4l2_ctrl_hevc_sps>(V4L2_CID_STATELESS_HEVC_SPS);
	c.controls.resize(1);
	EXPECT_EQ(setControls(fd, c), 0) << "8-bit: NV12 stays valid";
	sps->bit_depth_luma_minus8 = sps->bit_depth_chroma_minus8 = 2;
	EXPECT_EQ(setControls(fd, c), -EBUSY);
	ASSERT_EQ(reqbufs(fd, C, 0), 0);
	EXPECT_EQ(setControls(fd, c), 0);
	EXPECT_EQ(fmt(fd, C).pixelformat, static_cast<uint32_t>(V4L2_PIX_FMT_NV15));
}

TEST_F(RkvdecRules, MainlineTenBitHevcDecodesIntoNv15)
{
	useBoard("fresnel");
	Session s;
	s.fd = openVideo("rkvdec");
	s.mediaFd = openMedia("rkvdec");
	s.outType = O;
	s.capType = C;
	ASSERT_EQ(setFormat(s.fd, O, V4L2_PIX_FMT_HEVC_SLICE, 320, 240), 0);
	CodecControls c = CodecControls::hevc(320, 240);
	auto *sps = c.payload<struct v4l2_ctrl_hevc_sps>(V4L2_CID_STATELESS_HEVC_SPS);
	sps->bit_depth_luma_minus8 = sps->bit_depth_chroma_minus8 = 2;
	ASSERT_EQ(setControls(s.fd, c), 0);	// current values: CAPTURE becomes NV15
	ASSERT_EQ(fmt(s.fd, C).pixelformat, static_cast<uint32_t>(V4L2_PIX_FMT_NV15));
	ASSERT_EQ(reqbufs(s.fd, O, 1), 1);
	ASSERT_EQ(reqbufs(s.fd, C, 1), 1);
	size_t len = 0;
	s.outputMaps.emplace_back(mapBuffer(s.fd, O, 0, 0, &len), len);
	s.requests.push_back(allocRequest(s.mediaFd));
	ASSERT_EQ(streamon(s.fd, O), 0);
	ASSERT_EQ(streamon(s.fd, C), 0);
	ASSERT_EQ(decodeOne(s, c, 0, 0, 1000), 0);
	auto frames = board().decodedFrames();
	ASSERT_EQ(frames.size(), 1u);
	EXPECT_NE(frames[0].signature, 0u) << "a 10-bit picture, not zeros";
	EXPECT_EQ(frames[0].pixelformat, static_cast<uint32_t>(V4L2_PIX_FMT_NV15));
	endSession(s);
}

// ---- visl (§5.4) ---------------------------------------------------------------------------

TEST_F(VislRules, FormatsInEnumerationOrder)
{
	int fd = open("visl", "visl");
	EXPECT_EQ(enumFormats(fd, O),
		  (std::vector<uint32_t>{V4L2_PIX_FMT_FWHT_STATELESS, V4L2_PIX_FMT_MPEG2_SLICE,
					 V4L2_PIX_FMT_VP8_FRAME, V4L2_PIX_FMT_VP9_FRAME, V4L2_PIX_FMT_H264_SLICE,
					 V4L2_PIX_FMT_HEVC_SLICE, V4L2_PIX_FMT_AV1_FRAME}));
	EXPECT_EQ(enumFormats(fd, C), (std::vector<uint32_t>{V4L2_PIX_FMT_NV12, V4L2_PIX_FMT_YUV420}));
}

TEST_F(VislRules, DefaultsAtOpen)
{
	int fd = open("visl", "visl");
	auto out = fmt(fd, O);
	EXPECT_EQ(out.pixelformat, static_cast<uint32_t>(V4L2_PIX_FMT_FWHT_STATELESS));
	EXPECT_EQ(out.plane_fmt[0].sizeimage, 1843200u);
	EXPECT_EQ(fmt(fd, C).plane_fmt[0].sizeimage, 345600u);
}

TEST_F(VislRules, TrySizesStepOneAndMinimumCodedSize)
{
	int fd = open("visl", "visl");
	auto f = tryFmt(fd, O, V4L2_PIX_FMT_MPEG2_SLICE, 17, 19);
	EXPECT_EQ(f.width, 17u);
	EXPECT_EQ(f.plane_fmt[0].sizeimage, 256u * 1024) << "max(256 KiB, W*H*3)";
	f = tryFmt(fd, O, V4L2_PIX_FMT_H264_SLICE, 1920, 1080);
	EXPECT_EQ(f.plane_fmt[0].sizeimage, 1920u * 1080 * 3);
	ASSERT_EQ(setFormat(fd, O, V4L2_PIX_FMT_H264_SLICE, 1920, 1080), 0);
	auto cap = tryFmt(fd, C, V4L2_PIX_FMT_YUV420, 640, 480);
	EXPECT_EQ(cap.width, 640u) << "CAPTURE does not copy the OUTPUT size";
}

TEST_F(VislRules, EnumFramesizesStepwiseForCoded)
{
	int fd = open("visl", "visl");
	struct v4l2_frmsizeenum fs {};
	fs.pixel_format = V4L2_PIX_FMT_VP8_FRAME;
	ASSERT_EQ(xioctl(fd, VIDIOC_ENUM_FRAMESIZES, &fs), 0);
	EXPECT_EQ(fs.stepwise.max_width, 16383u);
	fs.pixel_format = V4L2_PIX_FMT_NV12;
	EXPECT_EQ(xioctl(fd, VIDIOC_ENUM_FRAMESIZES, &fs), -EINVAL);
}

TEST_F(VislRules, RequestsOptionalHoldAlwaysRemoveBufs)
{
	int fd = open("visl", "visl");
	uint32_t caps = reqCaps(fd, O);
	EXPECT_TRUE(caps & V4L2_BUF_CAP_SUPPORTS_REQUESTS);
	EXPECT_TRUE(caps & V4L2_BUF_CAP_SUPPORTS_M2M_HOLD_CAPTURE_BUF);
	EXPECT_TRUE(caps & V4L2_BUF_CAP_SUPPORTS_REMOVE_BUFS);
	ASSERT_EQ(reqbufs(fd, O, 1), 1);
	EXPECT_EQ(qbuf(fd, O, 0, -1, 0, 16), 0) << "plain QBUF works";
}

TEST_F(VislRules, AllCodecControlsWithoutTryCtrl)
{
	int fd = open("visl", "visl");
	struct v4l2_query_ext_ctrl q {};
	q.id = V4L2_CID_STATELESS_AV1_TILE_GROUP_ENTRY;
	ASSERT_EQ(xioctl(fd, VIDIOC_QUERY_EXT_CTRL, &q), 0);
	EXPECT_EQ(q.dims[0], 512u);
	q.id = V4L2_CID_STATELESS_FWHT_PARAMS;
	EXPECT_EQ(xioctl(fd, VIDIOC_QUERY_EXT_CTRL, &q), 0);
	CodecControls c = CodecControls::h264(4096, 4096);	// no try_ctrl: accepted
	EXPECT_EQ(setControls(fd, c), 0);
}

// ---- cedrus (§5.5) -------------------------------------------------------------------------

TEST_F(CedrusRules, SinglePlanarWithItsOutputFormats)
{
	int fd = open("cedrus", "cedrus");
	struct v4l2_capability cap {};
	ASSERT_EQ(xioctl(fd, VIDIOC_QUERYCAP, &cap), 0);
	EXPECT_EQ(cap.device_caps & ~V4L2_CAP_EXT_PIX_FORMAT,
		  static_cast<uint32_t>(V4L2_CAP_VIDEO_M2M | V4L2_CAP_STREAMING));
	EXPECT_EQ(enumFormats(fd, V4L2_BUF_TYPE_VIDEO_OUTPUT),
		  (std::vector<uint32_t>{V4L2_PIX_FMT_MPEG2_SLICE, V4L2_PIX_FMT_H264_SLICE,
					 V4L2_PIX_FMT_HEVC_SLICE, V4L2_PIX_FMT_VP8_FRAME}));
}

TEST_F(CedrusRules, CaptureNv12BeforeTiledOrTiledOnly)
{
	int fd = open("cedrus", "cedrus");
	EXPECT_EQ(enumFormats(fd, V4L2_BUF_TYPE_VIDEO_CAPTURE),
		  (std::vector<uint32_t>{V4L2_PIX_FMT_NV12, V4L2_PIX_FMT_NV12_32L32}));
	int t = open("cedrus-tiled", "cedrus");
	EXPECT_EQ(enumFormats(t, V4L2_BUF_TYPE_VIDEO_CAPTURE), std::vector<uint32_t>{V4L2_PIX_FMT_NV12_32L32});
}

TEST_F(CedrusRules, SizesAndAlignment)
{
	int fd = open("cedrus", "cedrus");
	const uint32_t O1 = V4L2_BUF_TYPE_VIDEO_OUTPUT, C1 = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	auto f = tryFmt(fd, O1, V4L2_PIX_FMT_H264_SLICE, 5000, 8, 100);
	EXPECT_EQ(f.width, 4096u);
	EXPECT_EQ(f.height, 16u);
	EXPECT_EQ(f.plane_fmt[0].bytesperline, 0u);
	EXPECT_EQ(f.plane_fmt[0].sizeimage, 1024u) << "max(1 KiB, requested)";
	ASSERT_EQ(setFormat(fd, O1, V4L2_PIX_FMT_H264_SLICE, 100, 100), 0);
	auto nv12 = tryFmt(fd, C1, V4L2_PIX_FMT_NV12, 0, 0);
	EXPECT_EQ(nv12.plane_fmt[0].bytesperline, 112u);
	EXPECT_EQ(nv12.height, 112u);
	EXPECT_EQ(nv12.plane_fmt[0].sizeimage, 112u * 112 * 3 / 2);
	auto st12 = tryFmt(fd, C1, V4L2_PIX_FMT_NV12_32L32, 0, 0);
	EXPECT_EQ(st12.plane_fmt[0].bytesperline, 128u);
	EXPECT_EQ(st12.height, 128u) << "rounded up to 32 and reported";
	EXPECT_EQ(st12.plane_fmt[0].sizeimage, 128u * 128 + 128u * 128 / 2);
	EXPECT_EQ(st12.width, 100u) << "CAPTURE width from OUTPUT";
}

TEST_F(CedrusRules, DefaultsAtOpen)
{
	int fd = open("cedrus", "cedrus");
	auto out = fmt(fd, V4L2_BUF_TYPE_VIDEO_OUTPUT);
	EXPECT_EQ(out.pixelformat, static_cast<uint32_t>(V4L2_PIX_FMT_MPEG2_SLICE));
	EXPECT_EQ(out.width, 16u);
	EXPECT_EQ(out.plane_fmt[0].sizeimage, 1024u);
	auto cap = fmt(fd, V4L2_BUF_TYPE_VIDEO_CAPTURE);
	EXPECT_EQ(cap.plane_fmt[0].bytesperline, 16u);
	EXPECT_EQ(cap.plane_fmt[0].sizeimage, 384u);
	int t = open("cedrus-tiled", "cedrus");
	auto tcap = fmt(t, V4L2_BUF_TYPE_VIDEO_CAPTURE);
	EXPECT_EQ(tcap.pixelformat, static_cast<uint32_t>(V4L2_PIX_FMT_NV12_32L32));
	EXPECT_EQ(tcap.width, 16u);
	EXPECT_EQ(tcap.height, 32u);
	EXPECT_EQ(tcap.plane_fmt[0].bytesperline, 32u);
	EXPECT_EQ(tcap.plane_fmt[0].sizeimage, 2048u);
}

TEST_F(CedrusRules, NoFramesizesNoRemoveBufsRequestsRequired)
{
	int fd = open("cedrus", "cedrus");
	struct v4l2_frmsizeenum fs {};
	fs.pixel_format = V4L2_PIX_FMT_H264_SLICE;
	EXPECT_EQ(xioctl(fd, VIDIOC_ENUM_FRAMESIZES, &fs), -ENOTTY);
	uint32_t caps = reqCaps(fd, V4L2_BUF_TYPE_VIDEO_OUTPUT);
	EXPECT_TRUE(caps & V4L2_BUF_CAP_SUPPORTS_REQUESTS);
	EXPECT_FALSE(caps & V4L2_BUF_CAP_SUPPORTS_REMOVE_BUFS);
	ASSERT_EQ(reqbufs(fd, V4L2_BUF_TYPE_VIDEO_OUTPUT, 1), 1);
	EXPECT_EQ(qbuf(fd, V4L2_BUF_TYPE_VIDEO_OUTPUT, 0, -1, 0, 16), -EBADR);
}

TEST_F(CedrusRules, HoldForH264AndHevcOnly)
{
	int fd = open("cedrus", "cedrus");
	const uint32_t O1 = V4L2_BUF_TYPE_VIDEO_OUTPUT;
	EXPECT_FALSE(reqCaps(fd, O1) & V4L2_BUF_CAP_SUPPORTS_M2M_HOLD_CAPTURE_BUF);
	ASSERT_EQ(setFormat(fd, O1, V4L2_PIX_FMT_HEVC_SLICE, 320, 240), 0);
	EXPECT_TRUE(reqCaps(fd, O1) & V4L2_BUF_CAP_SUPPORTS_M2M_HOLD_CAPTURE_BUF);
	ASSERT_EQ(setFormat(fd, O1, V4L2_PIX_FMT_VP8_FRAME, 320, 240), 0);
	EXPECT_FALSE(reqCaps(fd, O1) & V4L2_BUF_CAP_SUPPORTS_M2M_HOLD_CAPTURE_BUF) << "cleared again";
}

TEST_F(CedrusRules, TryCtrlByIdWhateverTheCodec)
{
	int fd = open("cedrus", "cedrus");	// OUTPUT is MPEG-2
	CodecControls h = CodecControls::h264(320, 240);
	h.payload<struct v4l2_ctrl_h264_sps>(V4L2_CID_STATELESS_H264_SPS)->chroma_format_idc = 0;
	h.controls.resize(1);
	EXPECT_EQ(setControls(fd, h), -EINVAL) << "checked although the codec is MPEG-2";
	CodecControls hv = CodecControls::hevc(320, 240);
	auto *sps = hv.payload<struct v4l2_ctrl_hevc_sps>(V4L2_CID_STATELESS_HEVC_SPS);
	sps->bit_depth_luma_minus8 = sps->bit_depth_chroma_minus8 = 2;
	hv.controls.resize(1);
	EXPECT_EQ(setControls(fd, hv), -EINVAL) << "no 10-bit HEVC on this variant";
}

// ENTRY_POINT_OFFSETS is a U32 dynamic array: its elements are integers (CCORE:std_validate_elem
// rounds them into [min, max]), although U32's type value sits among the compound types.
TEST_F(CedrusRules, EntryPointOffsetsAreU32ElementsUpTo256)
{
	int fd = open("cedrus", "cedrus");
	uint32_t offsets[4] = {754, 339, 233, 272};
	struct v4l2_ext_control c {};
	c.id = V4L2_CID_STATELESS_HEVC_ENTRY_POINT_OFFSETS;
	c.size = sizeof(offsets);
	c.ptr = offsets;
	struct v4l2_ext_controls cs {};
	cs.count = 1;
	cs.controls = &c;
	ASSERT_EQ(xioctl(fd, VIDIOC_S_EXT_CTRLS, &cs), 0);
	uint32_t back[8] = {};
	c.size = sizeof(back);
	c.ptr = back;
	ASSERT_EQ(xioctl(fd, VIDIOC_G_EXT_CTRLS, &cs), 0);
	EXPECT_EQ(c.size, sizeof(offsets)) << "four elements";
	EXPECT_EQ(std::vector<uint32_t>(back, back + 4), std::vector<uint32_t>(offsets, offsets + 4));
	std::vector<uint32_t> tooMany(257, 1);
	c.size = static_cast<uint32_t>(tooMany.size() * 4);
	c.ptr = tooMany.data();
	EXPECT_EQ(xioctl(fd, VIDIOC_TRY_EXT_CTRLS, &cs), -ENOSPC);
	EXPECT_EQ(c.size, 256u * 4) << "the maximum size comes back";
	struct v4l2_query_ext_ctrl q {};
	q.id = V4L2_CID_STATELESS_HEVC_ENTRY_POINT_OFFSETS;
	ASSERT_EQ(xioctl(fd, VIDIOC_QUERY_EXT_CTRL, &q), 0);
	EXPECT_EQ(q.type, static_cast<uint32_t>(V4L2_CTRL_TYPE_U32));
	EXPECT_TRUE(q.flags & V4L2_CTRL_FLAG_HAS_PAYLOAD);
	EXPECT_TRUE(q.flags & V4L2_CTRL_FLAG_DYNAMIC_ARRAY);
}

TEST_F(CedrusRules, DecodesMpeg2OnSinglePlanarQueues)
{
	useBoard("cedrus");
	Session s;
	std::string what;
	ASSERT_EQ(startSession(s, "cedrus", V4L2_PIX_FMT_MPEG2_SLICE, 320, 240, 1, 1, &what), 0) << what;
	EXPECT_EQ(s.outType, static_cast<uint32_t>(V4L2_BUF_TYPE_VIDEO_OUTPUT));
	CodecControls c = CodecControls::mpeg2(320, 240);
	struct v4l2_buffer cap {};
	ASSERT_EQ(decodeOne(s, c, 0, 0, 1000, &cap), 0);
	EXPECT_EQ(cap.sequence, 0u) << "cedrus leaves sequence at 0";
	EXPECT_EQ(cap.bytesused, 320u * 240 * 3 / 2) << "buf_prepare sets the CAPTURE payload";
	endSession(s);
}

} // namespace
} // namespace v4l2emu::test
