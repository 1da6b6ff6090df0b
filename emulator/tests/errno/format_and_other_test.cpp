// SPDX-License-Identifier: MIT
// Spec §2.2 format ioctls, §2.3 other video-node ioctls, §2.4 media-device and request-fd
// ioctls (one test per table row), and the rules of §2.1 (QUERYBUF, STREAMOFF, EXPBUF) and
// §2.5 (mmap, poll, close on the video node).
#include "emu_fixture.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <cstring>
#include <set>
#include <thread>

namespace v4l2emu::test {
namespace {

constexpr uint32_t kCaptureBase = 0x40000000;	// M2M: DST_QUEUE_OFF_BASE

/// What QUERYBUF/QBUF/DQBUF report about a buffer (plane 0 for MPLANE queues).
struct BufInfo {
	int ret = 0;
	uint32_t flags = 0;
	uint32_t offset = 0;
	uint32_t length = 0;
	uint32_t bytesused = 0;
	uint32_t sequence = 0;
	uint64_t timestampUs = 0;
	int32_t requestFd = 0;
};

BufInfo toInfo(const struct v4l2_buffer &b, const struct v4l2_plane *planes)
{
	BufInfo i;
	i.flags = b.flags;
	i.sequence = b.sequence;
	i.timestampUs = static_cast<uint64_t>(b.timestamp.tv_sec) * 1000000u +
			static_cast<uint64_t>(b.timestamp.tv_usec);
	i.requestFd = b.request_fd;
	if (V4L2_TYPE_IS_MULTIPLANAR(b.type)) {
		i.offset = planes[0].m.mem_offset;
		i.length = planes[0].length;
		i.bytesused = planes[0].bytesused;
	} else {
		i.offset = b.m.offset;
		i.length = b.length;
		i.bytesused = b.bytesused;
	}
	return i;
}

class NodeTest : public EmuTest {
protected:
	BufInfo info(int fd, uint32_t type, uint32_t index)
	{
		struct v4l2_plane planes[VIDEO_MAX_PLANES] = {};
		struct v4l2_buffer b {};
		int ret = querybuf(fd, type, index, &b, planes);
		BufInfo i = toInfo(b, planes);
		i.ret = ret;
		return i;
	}
	BufInfo dq(int fd, uint32_t type)
	{
		struct v4l2_plane planes[VIDEO_MAX_PLANES] = {};
		struct v4l2_buffer b {};
		int ret = dqbuf(fd, type, &b, planes);
		BufInfo i = toInfo(b, planes);
		i.ret = ret;
		return i;
	}
	/// revents of one fd, 0 on timeout, or -errno.
	short pollOne(int fd, short events, int timeoutMs = 0)
	{
		struct pollfd p {fd, events, 0};
		int n = io().poll(&p, 1, timeoutMs);
		return n > 0 ? p.revents : static_cast<short>(n);
	}
	void forget(int fd)
	{
		auto it = std::find(openFds_.begin(), openFds_.end(), fd);
		if (it != openFds_.end())
			openFds_.erase(it);
	}
	int closeTracked(int fd)
	{
		forget(fd);
		return closeFd(fd);
	}
	int openWithBuffers(const std::string &device, uint32_t fourcc, uint32_t nOut, uint32_t nCap,
			    int flags = O_RDWR | O_CLOEXEC)
	{
		int fd = openVideo(device, flags);
		EXPECT_GE(fd, 0);
		EXPECT_EQ(setFormat(fd, outType(fd), fourcc, 320, 240), 0);
		if (nOut) {
			EXPECT_EQ(reqbufs(fd, outType(fd), nOut), static_cast<int>(nOut));
		}
		if (nCap) {
			EXPECT_EQ(reqbufs(fd, capType(fd), nCap), static_cast<int>(nCap));
		}
		return fd;
	}
	void useThreaded(const std::string &name, unsigned decodeDelayUs)
	{
		BoardOptions o;
		o.scheduler = SchedulerMode::Threaded;
		o.decodeDelayUs = decodeDelayUs;
		useBoard(name, o);
	}
	void start(Session &s, const std::string &device, uint32_t fourcc, uint32_t nOut = 2,
		   uint32_t nCap = 2)
	{
		std::string what;
		ASSERT_EQ(startSession(s, device, fourcc, 320, 240, nOut, nCap, &what), 0) << what;
	}
	uint64_t jobs(size_t device = 0) { return board().stats().devices.at(device).jobs; }
};

/// Lowers RLIMIT_NOFILE to the lowest free fd, so that the next fd allocation of the process
/// fails with EMFILE; restores the limit when it goes out of scope.
class FdExhaustion {
public:
	FdExhaustion()
	{
		getrlimit(RLIMIT_NOFILE, &saved_);
		int probe = ::dup(STDERR_FILENO);
		if (probe < 0)
			return;
		::close(probe);
		struct rlimit lim = saved_;
		lim.rlim_cur = static_cast<rlim_t>(probe);
		ok_ = setrlimit(RLIMIT_NOFILE, &lim) == 0;
	}
	~FdExhaustion() { setrlimit(RLIMIT_NOFILE, &saved_); }
	bool ok() const { return ok_; }

private:
	struct rlimit saved_ {};
	bool ok_ = false;
};

using FormatIoctls = NodeTest;
using OtherIoctls = NodeTest;
using MediaIoctls = NodeTest;
using QuerybufRules = NodeTest;
using StreamoffRules = NodeTest;
using ExpbufRules = NodeTest;
using MmapRules = NodeTest;
using PollRules = NodeTest;
using CloseRules = NodeTest;

// ---- §2.2 Format ioctls ---------------------------------------------------------------------

TEST_F(FormatIoctls, Row1_EnumFmt_PlanarityMustMatchIndexEndsCoreFillsDescription)
{
	int fd = openVideo("rkvdec");
	struct v4l2_fmtdesc f {};
	f.type = V4L2_BUF_TYPE_VBI_CAPTURE;	// check_fmt: no op for this type
	EXPECT_EQ(xioctl(fd, VIDIOC_ENUM_FMT, &f), -EINVAL);
	// Single-planar types pass check_fmt on an MPLANE node, then fail the planarity test.
	for (uint32_t type : {V4L2_BUF_TYPE_VIDEO_OUTPUT, V4L2_BUF_TYPE_VIDEO_CAPTURE}) {
		f = {};
		f.type = type;
		EXPECT_EQ(xioctl(fd, VIDIOC_ENUM_FMT, &f), -EINVAL) << type;
	}
	// Mainline rkvdec on RK3399: S265 first, then S264 and VP9F; the core fills the
	// description and the COMPRESSED flag.
	const uint32_t coded[] = {V4L2_PIX_FMT_HEVC_SLICE, V4L2_PIX_FMT_H264_SLICE, V4L2_PIX_FMT_VP9_FRAME};
	const char *names[] = {"HEVC Parsed Slice Data", "H.264 Parsed Slice Data", "VP9 Frame"};
	for (uint32_t i = 0; i < 3; i++) {
		f = {};
		f.type = V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE;
		f.index = i;
		ASSERT_EQ(xioctl(fd, VIDIOC_ENUM_FMT, &f), 0) << i;
		EXPECT_EQ(f.index, i);
		EXPECT_EQ(f.type, static_cast<uint32_t>(V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE));
		EXPECT_EQ(f.pixelformat, coded[i]);
		EXPECT_STREQ(reinterpret_cast<char *>(f.description), names[i]);
		EXPECT_EQ(f.flags & V4L2_FMT_FLAG_COMPRESSED, static_cast<uint32_t>(V4L2_FMT_FLAG_COMPRESSED));
	}
	f = {};
	f.type = V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE;
	f.index = 3;
	EXPECT_EQ(xioctl(fd, VIDIOC_ENUM_FMT, &f), -EINVAL) << "index past the end";
	f.index = 0xffffffffu;
	EXPECT_EQ(xioctl(fd, VIDIOC_ENUM_FMT, &f), -EINVAL);
	f = {};
	f.type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
	ASSERT_EQ(xioctl(fd, VIDIOC_ENUM_FMT, &f), 0);
	EXPECT_EQ(f.pixelformat, V4L2_PIX_FMT_NV12);
	EXPECT_STREQ(reinterpret_cast<char *>(f.description), "Y/UV 4:2:0");
	EXPECT_FALSE(f.flags & V4L2_FMT_FLAG_COMPRESSED);

	// 6.12 (staging) rkvdec: S264 then VP9F only.
	BoardOptions o;
	o.kernel = KernelVersion::V6_12;
	useBoard("rkvdec", o);
	int r = openVideo("rkvdec");
	f = {};
	f.type = V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE;
	ASSERT_EQ(xioctl(r, VIDIOC_ENUM_FMT, &f), 0);
	EXPECT_EQ(f.pixelformat, V4L2_PIX_FMT_H264_SLICE);
	f.index = 2;
	EXPECT_EQ(xioctl(r, VIDIOC_ENUM_FMT, &f), -EINVAL);

	// cedrus is single-planar: the MPLANE types are refused.
	useBoard("cedrus");
	int c = openVideo("cedrus");
	for (uint32_t type : {V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE, V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE}) {
		f = {};
		f.type = type;
		EXPECT_EQ(xioctl(c, VIDIOC_ENUM_FMT, &f), -EINVAL) << type;
	}
	f = {};
	f.type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
	ASSERT_EQ(xioctl(c, VIDIOC_ENUM_FMT, &f), 0);
	EXPECT_EQ(f.pixelformat, V4L2_PIX_FMT_MPEG2_SLICE);
	EXPECT_STREQ(reinterpret_cast<char *>(f.description), "MPEG-2 Parsed Slice Data");
	EXPECT_TRUE(f.flags & V4L2_FMT_FLAG_COMPRESSED);
	f = {};
	f.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	f.index = 1;
	ASSERT_EQ(xioctl(c, VIDIOC_ENUM_FMT, &f), 0);
	EXPECT_EQ(f.pixelformat, V4L2_PIX_FMT_NV12_32L32);
	EXPECT_STREQ(reinterpret_cast<char *>(f.description), "Y/UV 4:2:0 (32x32 Linear)");
	f.index = 2;
	EXPECT_EQ(xioctl(c, VIDIOC_ENUM_FMT, &f), -EINVAL);
}

TEST_F(FormatIoctls, Row2_GSTryFmt_PlanarityTryNeverBusyUnknownFourccCorrected)
{
	int fd = openVideo("rkvdec");
	ASSERT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_H264_SLICE, 320, 240), 0);
	// Single-planar types on the MPLANE node: the single-planar op is missing.
	for (unsigned long cmd : {VIDIOC_G_FMT, VIDIOC_TRY_FMT, VIDIOC_S_FMT}) {
		for (uint32_t type : {V4L2_BUF_TYPE_VIDEO_OUTPUT, V4L2_BUF_TYPE_VIDEO_CAPTURE,
				      V4L2_BUF_TYPE_VBI_CAPTURE}) {
			struct v4l2_format f {};
			f.type = type;
			f.fmt.pix.pixelformat = V4L2_PIX_FMT_VP9_FRAME;
			f.fmt.pix.width = 640;
			f.fmt.pix.height = 480;
			EXPECT_EQ(xioctl(fd, cmd, &f), -EINVAL) << cmd << " " << type;
		}
	}
	struct v4l2_format g {};
	ASSERT_EQ(getFormat(fd, outType(fd), &g), 0);
	EXPECT_EQ(g.fmt.pix_mp.pixelformat, V4L2_PIX_FMT_H264_SLICE) << "failed S_FMT changed nothing";
	EXPECT_EQ(g.fmt.pix_mp.width, 320u);

	// TRY_FMT never changes the format and is never EBUSY.
	ASSERT_EQ(reqbufs(fd, outType(fd), 1), 1);
	ASSERT_EQ(streamon(fd, outType(fd)), 0);
	struct v4l2_format t {};
	t.type = outType(fd);
	t.fmt.pix_mp.pixelformat = V4L2_PIX_FMT_VP9_FRAME;
	t.fmt.pix_mp.width = 640;
	t.fmt.pix_mp.height = 480;
	EXPECT_EQ(xioctl(fd, VIDIOC_TRY_FMT, &t), 0);
	EXPECT_EQ(t.fmt.pix_mp.pixelformat, V4L2_PIX_FMT_VP9_FRAME);
	EXPECT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_VP9_FRAME, 640, 480), -EBUSY);
	ASSERT_EQ(getFormat(fd, outType(fd), &g), 0);
	EXPECT_EQ(g.fmt.pix_mp.pixelformat, V4L2_PIX_FMT_H264_SLICE);
	EXPECT_EQ(g.fmt.pix_mp.width, 320u);

	// An unknown fourcc is replaced by the driver's default, never refused.
	struct Case {
		const char *board;
		const char *device;
		bool output;
		uint32_t expect;
	};
	const Case cases[] = {
		{"fresnel", "rkvdec", true, V4L2_PIX_FMT_HEVC_SLICE},
		{"fresnel", "rkvdec", false, V4L2_PIX_FMT_NV12},
		{"fresnel", "hantro-vpu", true, V4L2_PIX_FMT_MPEG2_SLICE},
		{"fresnel", "hantro-vpu", false, V4L2_PIX_FMT_NV12},
		{"visl", "visl", true, V4L2_PIX_FMT_FWHT_STATELESS},
		{"visl", "visl", false, V4L2_PIX_FMT_NV12},
		{"cedrus", "cedrus", true, V4L2_PIX_FMT_MPEG2_SLICE},
		{"cedrus", "cedrus", false, V4L2_PIX_FMT_NV12},
	};
	for (const Case &c : cases) {
		useBoard(c.board);
		int n = openVideo(c.device);
		uint32_t type = c.output ? outType(n) : capType(n);
		for (unsigned long cmd : {VIDIOC_TRY_FMT, VIDIOC_S_FMT}) {
			struct v4l2_format f {};
			f.type = type;
			if (V4L2_TYPE_IS_MULTIPLANAR(type)) {
				f.fmt.pix_mp.pixelformat = v4l2_fourcc('N', 'O', 'P', 'E');
				f.fmt.pix_mp.width = 320;
				f.fmt.pix_mp.height = 240;
			} else {
				f.fmt.pix.pixelformat = v4l2_fourcc('N', 'O', 'P', 'E');
				f.fmt.pix.width = 320;
				f.fmt.pix.height = 240;
			}
			ASSERT_EQ(xioctl(n, cmd, &f), 0) << c.device << " " << cmd;
			uint32_t got = V4L2_TYPE_IS_MULTIPLANAR(type) ? f.fmt.pix_mp.pixelformat
								      : f.fmt.pix.pixelformat;
			EXPECT_EQ(got, c.expect) << c.device << (c.output ? " OUTPUT" : " CAPTURE");
		}
	}
	// cedrus: the MPLANE types are refused for G/S/TRY.
	int c = openVideo("cedrus");
	struct v4l2_format f {};
	f.type = V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE;
	EXPECT_EQ(xioctl(c, VIDIOC_G_FMT, &f), -EINVAL);
	EXPECT_EQ(xioctl(c, VIDIOC_TRY_FMT, &f), -EINVAL);
	EXPECT_EQ(xioctl(c, VIDIOC_S_FMT, &f), -EINVAL);
}

TEST_F(FormatIoctls, Row3_EnumFramesizes_CedrusHasNoOpOthersDriverSpecific)
{
	struct v4l2_frmsizeenum fs {};
	// rkvdec: coded fourccs only, one CONTINUOUS entry from 1.
	int r = openVideo("rkvdec");
	fs.pixel_format = V4L2_PIX_FMT_H264_SLICE;
	ASSERT_EQ(xioctl(r, VIDIOC_ENUM_FRAMESIZES, &fs), 0);
	EXPECT_EQ(fs.type, static_cast<uint32_t>(V4L2_FRMSIZE_TYPE_CONTINUOUS));
	EXPECT_EQ(fs.stepwise.min_width, 1u);
	EXPECT_EQ(fs.stepwise.max_width, 4096u);
	EXPECT_EQ(fs.stepwise.max_height, 2560u);
	EXPECT_EQ(fs.stepwise.step_width, 1u);
	fs = {};
	fs.pixel_format = V4L2_PIX_FMT_H264_SLICE;
	fs.index = 1;
	EXPECT_EQ(xioctl(r, VIDIOC_ENUM_FRAMESIZES, &fs), -EINVAL);
	fs = {};
	fs.pixel_format = V4L2_PIX_FMT_NV12;
	EXPECT_EQ(xioctl(r, VIDIOC_ENUM_FRAMESIZES, &fs), -EINVAL) << "raw formats have no sizes";

	// hantro: coded → one STEPWISE entry; NV12 → ENOTTY (no post-processor; decided before
	// the index is looked at, HV:vidioc_enum_framesizes); unknown → EINVAL.
	int h = openVideo("hantro-vpu");
	fs = {};
	fs.pixel_format = V4L2_PIX_FMT_VP8_FRAME;
	ASSERT_EQ(xioctl(h, VIDIOC_ENUM_FRAMESIZES, &fs), 0);
	EXPECT_EQ(fs.type, static_cast<uint32_t>(V4L2_FRMSIZE_TYPE_STEPWISE));
	EXPECT_EQ(fs.stepwise.min_width, 48u);
	EXPECT_EQ(fs.stepwise.max_width, 3840u);
	EXPECT_EQ(fs.stepwise.step_width, 16u);
	EXPECT_EQ(fs.stepwise.max_height, 2160u);
	fs = {};
	fs.pixel_format = V4L2_PIX_FMT_MPEG2_SLICE;
	fs.index = 1;
	EXPECT_EQ(xioctl(h, VIDIOC_ENUM_FRAMESIZES, &fs), -EINVAL);
	fs = {};
	fs.pixel_format = V4L2_PIX_FMT_NV12;
	EXPECT_EQ(xioctl(h, VIDIOC_ENUM_FRAMESIZES, &fs), -ENOTTY);
	fs = {};
	fs.pixel_format = V4L2_PIX_FMT_NV12;
	fs.index = 1;
	EXPECT_EQ(xioctl(h, VIDIOC_ENUM_FRAMESIZES, &fs), -ENOTTY)
		<< "hantro looks the format up before it checks the index";
	fs = {};
	fs.pixel_format = V4L2_PIX_FMT_H264_SLICE;	// disabled on RK3399
	EXPECT_EQ(xioctl(h, VIDIOC_ENUM_FRAMESIZES, &fs), -EINVAL);

	// visl: coded → STEPWISE with step 1; anything else EINVAL.
	useBoard("visl");
	int v = openVideo("visl");
	fs = {};
	fs.pixel_format = V4L2_PIX_FMT_H264_SLICE;
	ASSERT_EQ(xioctl(v, VIDIOC_ENUM_FRAMESIZES, &fs), 0);
	EXPECT_EQ(fs.type, static_cast<uint32_t>(V4L2_FRMSIZE_TYPE_STEPWISE));
	EXPECT_EQ(fs.stepwise.min_width, 64u);
	EXPECT_EQ(fs.stepwise.max_width, 4096u);
	EXPECT_EQ(fs.stepwise.step_width, 1u);
	fs = {};
	fs.pixel_format = V4L2_PIX_FMT_NV12;
	EXPECT_EQ(xioctl(v, VIDIOC_ENUM_FRAMESIZES, &fs), -EINVAL);

	// cedrus: no op at all, whatever the fourcc.
	useBoard("cedrus");
	int c = openVideo("cedrus");
	for (uint32_t fourcc : {V4L2_PIX_FMT_H264_SLICE, V4L2_PIX_FMT_NV12, 0u}) {
		fs = {};
		fs.pixel_format = fourcc;
		EXPECT_EQ(xioctl(c, VIDIOC_ENUM_FRAMESIZES, &fs), -ENOTTY) << fourcc;
	}
}

TEST_F(FormatIoctls, Row4_Selection_OnlyHantroAndOnlyItsOutput)
{
	struct v4l2_selection sel {};
	sel.type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
	sel.target = V4L2_SEL_TGT_CROP;
	int r = openVideo("rkvdec");
	EXPECT_EQ(xioctl(r, VIDIOC_G_SELECTION, &sel), -ENOTTY);
	EXPECT_EQ(xioctl(r, VIDIOC_S_SELECTION, &sel), -ENOTTY);

	int h = openVideo("hantro-vpu");
	ASSERT_EQ(setFormat(h, outType(h), V4L2_PIX_FMT_MPEG2_SLICE, 320, 240), 0);
	sel = {};
	sel.type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
	sel.target = V4L2_SEL_TGT_CROP;
	ASSERT_EQ(xioctl(h, VIDIOC_G_SELECTION, &sel), 0);
	EXPECT_EQ(sel.r.left, 0);
	EXPECT_EQ(sel.r.top, 0);
	EXPECT_EQ(sel.r.width, 320u);
	EXPECT_EQ(sel.r.height, 240u);
	// The core maps OUTPUT_MPLANE to OUTPUT for the driver and restores the type.
	sel = {};
	sel.type = V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE;
	sel.target = V4L2_SEL_TGT_CROP_BOUNDS;
	ASSERT_EQ(xioctl(h, VIDIOC_G_SELECTION, &sel), 0);
	EXPECT_EQ(sel.type, static_cast<uint32_t>(V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE));
	EXPECT_EQ(sel.r.width, 320u);
	for (uint32_t type : {V4L2_BUF_TYPE_VIDEO_CAPTURE, V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE}) {
		sel = {};
		sel.type = type;
		sel.target = V4L2_SEL_TGT_CROP;
		EXPECT_EQ(xioctl(h, VIDIOC_G_SELECTION, &sel), -EINVAL) << type;
	}
	sel = {};
	sel.type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
	sel.target = V4L2_SEL_TGT_COMPOSE;
	EXPECT_EQ(xioctl(h, VIDIOC_G_SELECTION, &sel), -EINVAL) << "crop targets only";

	// HV:vidioc_g_selection: CROP_BOUNDS/DEFAULT report the OUTPUT (src) size, CROP the
	// CAPTURE (dst) size. They differ when the CAPTURE format is clamped: a 4K VP8 stream
	// gets a 1920x1088 NV12 CAPTURE format on RK3399.
	ASSERT_EQ(setFormat(h, outType(h), V4L2_PIX_FMT_VP8_FRAME, 3840, 2160), 0);
	struct v4l2_format cap {};
	ASSERT_EQ(getFormat(h, capType(h), &cap), 0);
	ASSERT_EQ(cap.fmt.pix_mp.width, 1920u);
	ASSERT_EQ(cap.fmt.pix_mp.height, 1088u);
	sel = {};
	sel.type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
	sel.target = V4L2_SEL_TGT_CROP_BOUNDS;
	ASSERT_EQ(xioctl(h, VIDIOC_G_SELECTION, &sel), 0);
	EXPECT_EQ(sel.r.width, 3840u);
	EXPECT_EQ(sel.r.height, 2160u);
	sel.target = V4L2_SEL_TGT_CROP;
	ASSERT_EQ(xioctl(h, VIDIOC_G_SELECTION, &sel), 0);
	EXPECT_EQ(sel.r.width, 1920u) << "TGT_CROP reports ctx->dst_fmt";
	EXPECT_EQ(sel.r.height, 1088u);

	useBoard("visl");
	int v = openVideo("visl");
	sel = {};
	sel.type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
	sel.target = V4L2_SEL_TGT_CROP;
	EXPECT_EQ(xioctl(v, VIDIOC_G_SELECTION, &sel), -ENOTTY);
	useBoard("cedrus");
	int c = openVideo("cedrus");
	EXPECT_EQ(xioctl(c, VIDIOC_G_SELECTION, &sel), -ENOTTY);
	EXPECT_EQ(xioctl(c, VIDIOC_S_SELECTION, &sel), -ENOTTY);
}

// ---- §2.3 Other video-node ioctls -----------------------------------------------------------

TEST_F(OtherIoctls, Row1_DecoderCmd_OnlyFlushFlagsZeroed)
{
	struct Node {
		const char *board;
		const char *device;
	};
	for (const Node &n : {Node{"fresnel", "rkvdec"}, Node{"fresnel", "hantro-vpu"},
			      Node{"visl", "visl"}, Node{"cedrus", "cedrus"}}) {
		useBoard(n.board);
		int fd = openVideo(n.device);
		for (uint32_t cmd : {uint32_t(V4L2_DEC_CMD_START), uint32_t(V4L2_DEC_CMD_STOP), uint32_t(V4L2_DEC_CMD_PAUSE),
				     uint32_t(V4L2_DEC_CMD_RESUME), 99u}) {
			struct v4l2_decoder_cmd dc {};
			dc.cmd = cmd;
			dc.flags = V4L2_DEC_CMD_STOP_IMMEDIATELY;
			EXPECT_EQ(xioctl(fd, VIDIOC_TRY_DECODER_CMD, &dc), -EINVAL) << n.device << cmd;
			EXPECT_EQ(xioctl(fd, VIDIOC_DECODER_CMD, &dc), -EINVAL) << n.device << cmd;
			EXPECT_EQ(dc.flags, static_cast<uint32_t>(V4L2_DEC_CMD_STOP_IMMEDIATELY))
				<< "untouched on failure";
		}
		struct v4l2_decoder_cmd dc {};
		dc.cmd = V4L2_DEC_CMD_FLUSH;
		dc.flags = 0xff;
		EXPECT_EQ(xioctl(fd, VIDIOC_TRY_DECODER_CMD, &dc), 0) << n.device;
		EXPECT_EQ(dc.flags, 0u) << n.device;
		dc.flags = 0xff;
		EXPECT_EQ(xioctl(fd, VIDIOC_DECODER_CMD, &dc), 0) << n.device
			<< ": FLUSH with nothing pending or held is a no-op";
		EXPECT_EQ(dc.flags, 0u) << n.device;
	}
}

TEST_F(OtherIoctls, Row2_SubscribeEvent_OnlyControlEvents)
{
	int fd = openVideo("rkvdec", O_RDWR | O_NONBLOCK);
	for (uint32_t type : {V4L2_EVENT_SOURCE_CHANGE, V4L2_EVENT_EOS, V4L2_EVENT_FRAME_SYNC,
			      V4L2_EVENT_VSYNC}) {
		struct v4l2_event_subscription sub {};
		sub.type = type;
		sub.flags = V4L2_EVENT_SUB_FL_SEND_INITIAL;
		EXPECT_EQ(xioctl(fd, VIDIOC_SUBSCRIBE_EVENT, &sub), -EINVAL) << type;
	}
	struct v4l2_event_subscription sub {};
	sub.type = V4L2_EVENT_CTRL;
	sub.id = V4L2_CID_BRIGHTNESS;	// not a control of this handler
	sub.flags = V4L2_EVENT_SUB_FL_SEND_INITIAL;
	EXPECT_EQ(xioctl(fd, VIDIOC_SUBSCRIBE_EVENT, &sub), -EINVAL);
	struct v4l2_event ev {};
	EXPECT_EQ(xioctl(fd, VIDIOC_DQEVENT, &ev), -ENOENT) << "nothing was subscribed";

	sub.id = V4L2_CID_MPEG_VIDEO_H264_PROFILE;
	ASSERT_EQ(xioctl(fd, VIDIOC_SUBSCRIBE_EVENT, &sub), 0);
	ASSERT_EQ(xioctl(fd, VIDIOC_DQEVENT, &ev), 0) << "SEND_INITIAL";
	EXPECT_EQ(ev.type, static_cast<uint32_t>(V4L2_EVENT_CTRL));
	EXPECT_EQ(ev.id, static_cast<uint32_t>(V4L2_CID_MPEG_VIDEO_H264_PROFILE));
	EXPECT_EQ(ev.u.ctrl.value, V4L2_MPEG_VIDEO_H264_PROFILE_MAIN);
	EXPECT_TRUE(ev.u.ctrl.changes & V4L2_EVENT_CTRL_CH_VALUE);
	EXPECT_EQ(xioctl(fd, VIDIOC_DQEVENT, &ev), -ENOENT);
	// Control handlers are per open: a change through another open is no event here.
	int other = openVideo("rkvdec");
	struct v4l2_control c {};
	c.id = V4L2_CID_MPEG_VIDEO_H264_PROFILE;
	c.value = V4L2_MPEG_VIDEO_H264_PROFILE_HIGH;
	ASSERT_EQ(xioctl(other, VIDIOC_S_CTRL, &c), 0);
	EXPECT_EQ(xioctl(fd, VIDIOC_DQEVENT, &ev), -ENOENT);
	// A change through this open without ALLOW_FEEDBACK is not reported either.
	ASSERT_EQ(xioctl(fd, VIDIOC_S_CTRL, &c), 0);
	EXPECT_EQ(xioctl(fd, VIDIOC_DQEVENT, &ev), -ENOENT);
}

TEST_F(OtherIoctls, DqeventAndDqbufHonourONonblockSetLaterWithFcntl)
{
	// VB2V:vb2_ioctl_dqbuf / v4l2_event_dequeue read file->f_flags at the call.
	int fd = openVideo("rkvdec", O_RDWR);
	ASSERT_EQ(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK), 0);
	auto call = std::async(std::launch::async, [&] {
		struct v4l2_event ev {};
		return xioctl(fd, VIDIOC_DQEVENT, &ev);
	});
	if (call.wait_for(std::chrono::seconds(2)) != std::future_status::ready) {
		ADD_FAILURE() << "DQEVENT blocked although O_NONBLOCK was set with fcntl";
		ASSERT_EQ(board().unplug("rkvdec"), 0);	// wakes it with ENODEV
	}
	EXPECT_EQ(call.get(), -ENOENT);
	// And back: a blocking DQBUF waits (released here by the unplug).
	struct v4l2_requestbuffers rb {};
	rb.count = 1;
	rb.type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
	rb.memory = V4L2_MEMORY_MMAP;
	ASSERT_EQ(xioctl(fd, VIDIOC_REQBUFS, &rb), 0);
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
	ASSERT_EQ(xioctl(fd, VIDIOC_STREAMON, &type), 0);
	struct v4l2_plane planes[VIDEO_MAX_PLANES] {};
	struct v4l2_buffer b {};
	b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
	b.memory = V4L2_MEMORY_MMAP;
	b.m.planes = planes;
	b.length = VIDEO_MAX_PLANES;
	EXPECT_EQ(xioctl(fd, VIDIOC_DQBUF, &b), -EAGAIN);
	ASSERT_EQ(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK), 0);
	auto blocking = std::async(std::launch::async, [&] { return xioctl(fd, VIDIOC_DQBUF, &b); });
	EXPECT_EQ(blocking.wait_for(std::chrono::milliseconds(100)), std::future_status::timeout);
	ASSERT_EQ(board().unplug("rkvdec"), 0);
	EXPECT_EQ(blocking.get(), -ENODEV);
}

TEST_F(OtherIoctls, Row3_GSCtrlOnCompoundControls_Einval)
{
	int fd = openVideo("rkvdec");
	for (uint32_t id : {V4L2_CID_STATELESS_H264_SPS, V4L2_CID_STATELESS_H264_DECODE_PARAMS,
			    V4L2_CID_STATELESS_VP9_FRAME}) {
		struct v4l2_control c {};
		c.id = id;
		EXPECT_EQ(xioctl(fd, VIDIOC_G_CTRL, &c), -EINVAL) << id;
		EXPECT_EQ(xioctl(fd, VIDIOC_S_CTRL, &c), -EINVAL) << id;
	}
	// Integer-like controls work through the old ioctls.
	struct v4l2_control c {};
	c.id = V4L2_CID_STATELESS_H264_DECODE_MODE;
	ASSERT_EQ(xioctl(fd, VIDIOC_G_CTRL, &c), 0);
	EXPECT_EQ(c.value, V4L2_STATELESS_H264_DECODE_MODE_FRAME_BASED);
	c.id = V4L2_CID_MPEG_VIDEO_H264_LEVEL;
	c.value = V4L2_MPEG_VIDEO_H264_LEVEL_4_1;
	ASSERT_EQ(xioctl(fd, VIDIOC_S_CTRL, &c), 0);
	c.value = V4L2_MPEG_VIDEO_H264_LEVEL_6_0;	// above rkvdec's 5.1 maximum
	EXPECT_EQ(xioctl(fd, VIDIOC_S_CTRL, &c), -ERANGE);
	c.value = 0;
	ASSERT_EQ(xioctl(fd, VIDIOC_G_CTRL, &c), 0);
	EXPECT_EQ(c.value, V4L2_MPEG_VIDEO_H264_LEVEL_4_1) << "the failed S_CTRL changed nothing";
}

TEST_F(OtherIoctls, Row4_ExtCtrlsCountAbove1024_EinvalBeforeAnything)
{
	int fd = openVideo("rkvdec");
	// IOC:check_array_args refuses the array in video_usercopy, before the handler runs and
	// before anything is copied back: error_idx keeps what userspace put there.
	std::vector<struct v4l2_ext_control> many(V4L2_CID_MAX_CTRLS + 1);
	for (auto &c : many) {
		c.id = V4L2_CID_STATELESS_H264_DECODE_MODE;
		c.value = V4L2_STATELESS_H264_DECODE_MODE_FRAME_BASED;
	}
	for (unsigned long cmd : {VIDIOC_G_EXT_CTRLS, VIDIOC_S_EXT_CTRLS, VIDIOC_TRY_EXT_CTRLS}) {
		struct v4l2_ext_controls cs {};
		cs.which = V4L2_CTRL_WHICH_CUR_VAL;
		cs.count = V4L2_CID_MAX_CTRLS + 1;
		cs.controls = many.data();
		cs.error_idx = 77;
		EXPECT_EQ(xioctl(fd, cmd, &cs), -EINVAL) << cmd;
		EXPECT_EQ(cs.error_idx, 77u) << cmd << ": the struct is not copied back";
		// Exactly the maximum passes the array check.
		cs.count = V4L2_CID_MAX_CTRLS;
		EXPECT_EQ(xioctl(fd, cmd, &cs), 0) << cmd;
	}
	// A NULL array with count > 0 faults in the copy, also before the handler.
	struct v4l2_ext_controls cs {};
	cs.count = 1;
	cs.controls = nullptr;
	cs.error_idx = 77;
	EXPECT_EQ(xioctl(fd, VIDIOC_S_EXT_CTRLS, &cs), -EFAULT);
	EXPECT_EQ(cs.error_idx, 77u);
}

// ---- §2.4 Media-device and request-fd ioctls ------------------------------------------------

TEST_F(MediaIoctls, Row1_RequestAlloc_IdleFdOrEnomemOrFdError)
{
	int media = openMedia("rkvdec");
	uint64_t live = board().stats().devices[0].liveRequests;
	int req = -1;
	ASSERT_EQ(xioctl(media, MEDIA_IOC_REQUEST_ALLOC, &req), 0);
	openFds_.push_back(req);
	EXPECT_GE(req, 0);
	EXPECT_TRUE(board().ownsFd(req));
	EXPECT_EQ(board().stats().devices[0].liveRequests, live + 1);
	EXPECT_EQ(pollOne(req, POLLPRI), POLLERR) << "a new request is IDLE";
	EXPECT_EQ(::fcntl(req, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC) << "O_CLOEXEC (MCR)";
	// The argument is copied in and out.
	EXPECT_EQ(xioctl(media, MEDIA_IOC_REQUEST_ALLOC, nullptr), -EFAULT);
	EXPECT_EQ(board().stats().devices[0].liveRequests, live + 1);

	// ENOMEM when the request cannot be allocated; nothing is left behind.
	FaultPlan plan;
	plan.memory.push_back({"rkvdec", 1, 1});
	board().setFaults(plan);
	int r2 = -1;
	EXPECT_EQ(xioctl(media, MEDIA_IOC_REQUEST_ALLOC, &r2), -ENOMEM);
	EXPECT_EQ(r2, -1);
	EXPECT_EQ(board().stats().devices[0].liveRequests, live + 1);
	board().setFaults({});

	// The fd allocation error comes back as is, and the request is freed again.
	{
		FdExhaustion limit;
		ASSERT_TRUE(limit.ok());
		EXPECT_EQ(xioctl(media, MEDIA_IOC_REQUEST_ALLOC, &r2), -EMFILE);
	}
	EXPECT_EQ(board().stats().devices[0].liveRequests, live + 1);
	// Every driver has req_validate/req_queue, so ENOTTY is not reachable here.
	int hm = openMedia("hantro-vpu");
	EXPECT_GE(allocRequest(hm), 0);
}

TEST_F(MediaIoctls, Row2_RequestQueue_Errors)
{
	Session s;
	ASSERT_NO_FATAL_FAILURE(start(s, "rkvdec", V4L2_PIX_FMT_H264_SLICE, 2, 2));
	CodecControls c = CodecControls::h264(320, 240);
	int req = s.requests[0];
	EXPECT_EQ(queueRequest(req), -ENOENT) << "no buffer";
	ASSERT_EQ(setControls(s.fd, c, req), 0);
	EXPECT_EQ(queueRequest(req), -ENOENT) << "controls only";
	ASSERT_EQ(qbuf(s.fd, s.outType, 0, req, 1000, 64), 0);
	ASSERT_EQ(qbuf(s.fd, s.outType, 1, req, 1000, 64), 0);
	EXPECT_EQ(queueRequest(req), -EINVAL) << "rkvdec: one buffer per request";
	EXPECT_EQ(pollOne(req, POLLPRI), POLLERR) << "back to IDLE";
	ASSERT_EQ(reinitRequest(req), 0);
	ASSERT_EQ(setControls(s.fd, c, req), 0);
	ASSERT_EQ(qbuf(s.fd, s.outType, 0, req, 1000, 64), 0);
	ASSERT_EQ(queueRequest(req), 0);	// no CAPTURE buffer: stays QUEUED
	EXPECT_EQ(queueRequest(req), -EBUSY);
	ASSERT_EQ(qbuf(s.fd, s.capType, 0), 0);
	ASSERT_EQ(pollOne(req, POLLPRI, 5000), POLLPRI);
	EXPECT_EQ(queueRequest(req), -EBUSY) << "COMPLETE";
	endSession(s);

	// Buffer prepare errors come back from QUEUE (hantro lets S_FMT grow the OUTPUT size
	// over existing buffers). The queue error flag (EIO) is never set by these drivers.
	useBoard("hantro");
	Session h;
	ASSERT_NO_FATAL_FAILURE(start(h, "hantro-vpu", V4L2_PIX_FMT_MPEG2_SLICE, 2, 2));
	ASSERT_EQ(streamoff(h.fd, h.outType), 0);
	ASSERT_EQ(setFormat(h.fd, h.outType, V4L2_PIX_FMT_MPEG2_SLICE, 1280, 720), 0);
	ASSERT_EQ(qbuf(h.fd, h.outType, 0, h.requests[0], 1000, 64), 0);
	EXPECT_EQ(queueRequest(h.requests[0]), -EINVAL);
	EXPECT_TRUE(info(h.fd, h.outType, 0).flags & V4L2_BUF_FLAG_IN_REQUEST) << "still attached";
	EXPECT_FALSE(info(h.fd, h.outType, 0).flags & V4L2_BUF_FLAG_PREPARED);
	endSession(h);
}

TEST_F(MediaIoctls, Row3_RequestReinit_IdleOrCompleteElseEbusy)
{
	Session s;
	ASSERT_NO_FATAL_FAILURE(start(s, "rkvdec", V4L2_PIX_FMT_H264_SLICE, 2, 2));
	CodecControls c = CodecControls::h264(320, 240);
	int req = s.requests[0];
	EXPECT_EQ(reinitRequest(req), 0) << "an empty IDLE request";
	ASSERT_EQ(setControls(s.fd, c, req), 0);
	ASSERT_EQ(qbuf(s.fd, s.outType, 0, req, 1000, 64), 0);
	ASSERT_EQ(reinitRequest(req), 0);
	// Everything was unbound: the buffer is DEQUEUED and the control object is gone.
	BufInfo b = info(s.fd, s.outType, 0);
	EXPECT_FALSE(b.flags & (V4L2_BUF_FLAG_IN_REQUEST | V4L2_BUF_FLAG_REQUEST_FD));
	std::vector<struct v4l2_ext_control> ctrls = c.controls;
	EXPECT_EQ(extCtrls(s.fd, VIDIOC_TRY_EXT_CTRLS, V4L2_CTRL_WHICH_REQUEST_VAL, req, ctrls), -ENOMEM);
	EXPECT_EQ(queueRequest(req), -ENOENT);
	ASSERT_EQ(setControls(s.fd, c, req), 0);
	ASSERT_EQ(qbuf(s.fd, s.outType, 0, req, 1000, 64), 0);
	ASSERT_EQ(queueRequest(req), 0);
	EXPECT_EQ(reinitRequest(req), -EBUSY) << "QUEUED";
	EXPECT_EQ(pollOne(req, POLLPRI), 0) << "still QUEUED after the failed REINIT";
	ASSERT_EQ(qbuf(s.fd, s.capType, 0), 0);
	ASSERT_EQ(pollOne(req, POLLPRI, 5000), POLLPRI);
	EXPECT_EQ(reinitRequest(req), 0) << "COMPLETE";
	EXPECT_EQ(pollOne(req, POLLPRI), POLLERR) << "IDLE again";
	endSession(s);
}

TEST_F(MediaIoctls, Row4_AnyOtherIoctlOnARequestFd_Enotty)
{
	int media = openMedia("rkvdec");
	int req = allocRequest(media);
	ASSERT_GE(req, 0);
	struct v4l2_capability cap {};
	EXPECT_EQ(xioctl(req, VIDIOC_QUERYCAP, &cap), -ENOTTY);
	struct media_device_info di {};
	EXPECT_EQ(xioctl(req, MEDIA_IOC_DEVICE_INFO, &di), -ENOTTY);
	int fd = -1;
	EXPECT_EQ(xioctl(req, MEDIA_IOC_REQUEST_ALLOC, &fd), -ENOTTY);
	struct media_v2_topology topo {};
	EXPECT_EQ(xioctl(req, MEDIA_IOC_G_TOPOLOGY, &topo), -ENOTTY);
	EXPECT_EQ(xioctl(req, _IO('|', 0x82), nullptr), -ENOTTY);
	EXPECT_EQ(pollOne(req, POLLPRI), POLLERR) << "the request is untouched";
	// And the request ioctls are not media-device ioctls.
	EXPECT_EQ(xioctl(media, MEDIA_REQUEST_IOC_QUEUE, nullptr), -ENOTTY);
	EXPECT_EQ(xioctl(media, MEDIA_REQUEST_IOC_REINIT, nullptr), -ENOTTY);
	EXPECT_EQ(xioctl(media, VIDIOC_QUERYCAP, &cap), -ENOTTY);
	int video = openVideo("rkvdec");
	EXPECT_EQ(xioctl(video, MEDIA_IOC_DEVICE_INFO, &di), -ENOTTY);
	EXPECT_EQ(xioctl(video, MEDIA_REQUEST_IOC_QUEUE, nullptr), -ENOTTY);
	// Neither file has an mmap op.
	void *p = nullptr;
	EXPECT_EQ(io().mmap(nullptr, 4096, PROT_READ, MAP_SHARED, req, 0, &p), -ENODEV);
	EXPECT_EQ(io().mmap(nullptr, 4096, PROT_READ, MAP_SHARED, media, 0, &p), -ENODEV);
}

TEST_F(MediaIoctls, Row5_PollRequestFd_OnlyWithPollpri)
{
	useThreaded("fresnel", 100000);
	Session s;
	ASSERT_NO_FATAL_FAILURE(start(s, "rkvdec", V4L2_PIX_FMT_H264_SLICE, 1, 1));
	CodecControls c = CodecControls::h264(320, 240);
	int req = s.requests[0];
	EXPECT_EQ(pollOne(req, POLLPRI), POLLERR) << "IDLE";
	EXPECT_EQ(pollOne(req, POLLIN | POLLOUT), 0) << "no POLLPRI asked: no event at all";
	ASSERT_EQ(queuePicture(s, c, 0, 0, 1000), 0);
	EXPECT_EQ(pollOne(req, POLLPRI), 0) << "QUEUED: wait";
	EXPECT_EQ(pollOne(req, POLLPRI, 5000), POLLPRI) << "COMPLETE";
	auto t0 = std::chrono::steady_clock::now();
	EXPECT_EQ(pollOne(req, POLLIN, 50), 0) << "COMPLETE, but POLLIN only: times out";
	EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(40));
	endSession(s);
}

TEST_F(MediaIoctls, Row6_CloseRequestFd_DropsOneReferenceOnly)
{
	Session s;
	ASSERT_NO_FATAL_FAILURE(start(s, "rkvdec", V4L2_PIX_FMT_H264_SLICE, 1, 1));
	uint64_t base = board().stats().devices[0].liveRequests;
	// An empty IDLE request: the fd held the only reference.
	int empty = allocRequest(s.mediaFd);
	ASSERT_EQ(board().stats().devices[0].liveRequests, base + 1);
	ASSERT_EQ(closeTracked(empty), 0);
	EXPECT_EQ(board().stats().devices[0].liveRequests, base);
	EXPECT_FALSE(board().ownsFd(empty));

	// A queued request outlives its fd and still completes.
	CodecControls c = CodecControls::h264(320, 240);
	int req = s.requests[0];
	ASSERT_EQ(setControls(s.fd, c, req), 0);
	ASSERT_EQ(qbuf(s.fd, s.outType, 0, req, 1000, 64), 0);
	ASSERT_EQ(queueRequest(req), 0);	// waiting for a CAPTURE buffer
	ASSERT_EQ(closeTracked(req), 0);
	EXPECT_EQ(board().stats().devices[0].liveRequests, base);
	ASSERT_EQ(qbuf(s.fd, s.capType, 0), 0);
	BufInfo out = dq(s.fd, s.outType);
	ASSERT_EQ(out.ret, 0);
	EXPECT_EQ(out.requestFd, req) << "the original request_fd is reported";
	EXPECT_EQ(board().stats().devices[0].liveRequests, base - 1) << "freed after DQBUF";
	EXPECT_EQ(dq(s.fd, s.capType).ret, 0);
	endSession(s);
}

TEST_F(MediaIoctls, DeviceInfoPerDriver)
{
	struct Expect {
		const char *board;
		const char *device;
		const char *driver;
		const char *model;
		const char *busInfo;
	};
	const Expect all[] = {
		{"fresnel", "rkvdec", "rkvdec", "rkvdec", "platform:rkvdec"},
		{"fresnel", "hantro-vpu", "hantro-vpu", "hantro-vpu", "platform:ff650000.video-codec"},
		{"visl", "visl", "visl", "visl", "platform:visl"},
		{"cedrus", "cedrus", "cedrus", "cedrus", "platform:cedrus"},
	};
	for (const Expect &e : all) {
		useBoard(e.board);
		int media = openMedia(e.device);
		struct media_device_info info;
		memset(&info, 0xa5, sizeof(info));
		ASSERT_EQ(xioctl(media, MEDIA_IOC_DEVICE_INFO, &info), 0) << e.device;
		EXPECT_STREQ(info.driver, e.driver);
		EXPECT_STREQ(info.model, e.model);
		EXPECT_STREQ(info.bus_info, e.busInfo);
		EXPECT_STREQ(info.serial, "") << "zeroed first";
		EXPECT_EQ(info.hw_revision, 0u);
		// media_version and driver_version are LINUX_VERSION_CODE, like QUERYCAP's version.
		int video = openVideo(e.device);
		struct v4l2_capability cap {};
		ASSERT_EQ(xioctl(video, VIDIOC_QUERYCAP, &cap), 0);
		EXPECT_EQ(info.media_version, cap.version);
		EXPECT_EQ(info.driver_version, cap.version);
	}
	BoardOptions o;
	o.kernel = KernelVersion::V6_12;
	useBoard("rkvdec", o);
	struct media_device_info info {};
	ASSERT_EQ(xioctl(openMedia("rkvdec"), MEDIA_IOC_DEVICE_INFO, &info), 0);
	EXPECT_EQ(info.media_version, static_cast<uint32_t>((6 << 16) | (12 << 8) | 117));
}

TEST_F(MediaIoctls, TopologyOfAnM2mDecoder)
{
	int media = openMedia("rkvdec");
	struct media_v2_topology topo {};
	ASSERT_EQ(xioctl(media, MEDIA_IOC_G_TOPOLOGY, &topo), 0) << "counts only";
	ASSERT_EQ(topo.num_entities, 3u);
	ASSERT_EQ(topo.num_interfaces, 1u);
	ASSERT_EQ(topo.num_pads, 4u);
	ASSERT_EQ(topo.num_links, 4u) << "backlinks are not reported";
	std::vector<struct media_v2_entity> ents(3);
	std::vector<struct media_v2_interface> intfs(1);
	std::vector<struct media_v2_pad> pads(4);
	std::vector<struct media_v2_link> links(4);
	topo.ptr_entities = reinterpret_cast<uintptr_t>(ents.data());
	topo.ptr_interfaces = reinterpret_cast<uintptr_t>(intfs.data());
	topo.ptr_pads = reinterpret_cast<uintptr_t>(pads.data());
	topo.ptr_links = reinterpret_cast<uintptr_t>(links.data());
	ASSERT_EQ(xioctl(media, MEDIA_IOC_G_TOPOLOGY, &topo), 0);
	EXPECT_STREQ(ents[0].name, "rkvdec-source");
	EXPECT_EQ(ents[0].function, static_cast<uint32_t>(MEDIA_ENT_F_IO_V4L));
	EXPECT_STREQ(ents[1].name, "rkvdec-proc");
	EXPECT_EQ(ents[1].function, static_cast<uint32_t>(MEDIA_ENT_F_PROC_VIDEO_DECODER));
	EXPECT_STREQ(ents[2].name, "rkvdec-sink");
	EXPECT_EQ(ents[2].function, static_cast<uint32_t>(MEDIA_ENT_F_IO_V4L));
	EXPECT_EQ(intfs[0].intf_type, static_cast<uint32_t>(MEDIA_INTF_T_V4L_VIDEO));
	EXPECT_EQ(io().devnodePath(intfs[0].devnode.major, intfs[0].devnode.minor),
		  node("rkvdec").videoPath);
	auto padOf = [&](uint32_t id) -> const struct media_v2_pad * {
		for (const auto &p : pads)
			if (p.id == id)
				return &p;
		return nullptr;
	};
	auto entityIndex = [&](uint32_t id) {
		for (size_t i = 0; i < ents.size(); i++)
			if (ents[i].id == id)
				return static_cast<int>(i);
		return -1;
	};
	std::set<uint32_t> ids;
	for (const auto &e : ents)
		ids.insert(e.id);
	for (const auto &p : pads)
		ids.insert(p.id);
	ids.insert(intfs[0].id);
	for (const auto &l : links)
		ids.insert(l.id);
	EXPECT_EQ(ids.size(), 12u) << "every graph object has its own id";
	// Data links: source pad -> proc sink pad, proc source pad -> sink pad, immutable and
	// enabled. Interface links: the devnode to the source and the sink entities.
	int data = 0, intf = 0;
	for (const auto &l : links) {
		EXPECT_EQ(l.flags & (MEDIA_LNK_FL_IMMUTABLE | MEDIA_LNK_FL_ENABLED),
			  static_cast<uint32_t>(MEDIA_LNK_FL_IMMUTABLE | MEDIA_LNK_FL_ENABLED));
		if ((l.flags & MEDIA_LNK_FL_LINK_TYPE) == MEDIA_LNK_FL_DATA_LINK) {
			const auto *src = padOf(l.source_id), *dst = padOf(l.sink_id);
			ASSERT_TRUE(src && dst);
			EXPECT_TRUE(src->flags & MEDIA_PAD_FL_SOURCE);
			EXPECT_TRUE(dst->flags & MEDIA_PAD_FL_SINK);
			EXPECT_EQ(entityIndex(src->entity_id) + 1, entityIndex(dst->entity_id));
			data++;
		} else if ((l.flags & MEDIA_LNK_FL_LINK_TYPE) == MEDIA_LNK_FL_INTERFACE_LINK) {
			EXPECT_EQ(l.source_id, intfs[0].id);
			int e = entityIndex(l.sink_id);
			EXPECT_TRUE(e == 0 || e == 2) << "source and sink entities";
			intf++;
		}
	}
	EXPECT_EQ(data, 2);
	EXPECT_EQ(intf, 2);
	// An array that is too small: ENOSPC, and (MCD:media_device_ioctl copies the argument
	// back only on success) the counts the caller passed stay as they were.
	topo.num_entities = 1;
	EXPECT_EQ(xioctl(media, MEDIA_IOC_G_TOPOLOGY, &topo), -ENOSPC);
	EXPECT_EQ(topo.num_entities, 1u);
	EXPECT_EQ(topo.num_pads, 4u);
	EXPECT_EQ(io().mediaNodes().size(), 2u) << "fresnel: rkvdec and hantro";
}

TEST_F(MediaIoctls, TopologyHantroHasEncoderAndDecoderFunctions)
{
	GTEST_SKIP() << "known gap: hantro's JPEG encoder function is not emulated yet (the "
			"topology shows the decoder only)";
	// HD:hantro_add_enc_func / hantro_add_dec_func: the RK3399 VPU has enc_fmts and
	// dec_fmts, so both functions register on the one media device (spec §1.1), each named
	// after the DT compatible plus "-enc"/"-dec".
	int media = openMedia("hantro-vpu");
	struct media_v2_topology topo {};
	ASSERT_EQ(xioctl(media, MEDIA_IOC_G_TOPOLOGY, &topo), 0);
	EXPECT_EQ(topo.num_entities, 6u);
	EXPECT_EQ(topo.num_interfaces, 2u);
	std::vector<struct media_v2_entity> ents(std::max(topo.num_entities, 1u));
	std::vector<struct media_v2_interface> intfs(std::max(topo.num_interfaces, 1u));
	topo.ptr_entities = reinterpret_cast<uintptr_t>(ents.data());
	topo.ptr_interfaces = reinterpret_cast<uintptr_t>(intfs.data());
	ASSERT_EQ(xioctl(media, MEDIA_IOC_G_TOPOLOGY, &topo), 0);
	std::set<std::string> names;
	for (uint32_t i = 0; i < topo.num_entities; i++)
		names.insert(ents[i].name);
	EXPECT_TRUE(names.count("rockchip,rk3399-vpu-dec-proc"));
	EXPECT_TRUE(names.count("rockchip,rk3399-vpu-enc-proc"));
	bool decoderNode = false;
	for (uint32_t i = 0; i < topo.num_interfaces; i++)
		decoderNode |= io().devnodePath(intfs[i].devnode.major, intfs[i].devnode.minor) ==
			       node("hantro-vpu").videoPath;
	EXPECT_TRUE(decoderNode);
}

// ---- §2.1 QUERYBUF --------------------------------------------------------------------------

TEST_F(QuerybufRules, CaptureOffsetsGetDstQueueOffBase)
{
	int fd = openWithBuffers("rkvdec", V4L2_PIX_FMT_H264_SLICE, 3, 3);
	for (uint32_t i = 0; i < 3; i++) {
		EXPECT_EQ(info(fd, outType(fd), i).offset, i * 0x8000u) << i;
		EXPECT_EQ(info(fd, capType(fd), i).offset, kCaptureBase + i * 0x8000u) << i;
	}
	// Single-planar cedrus: m.offset, same rule.
	useBoard("cedrus");
	int c = openWithBuffers("cedrus", V4L2_PIX_FMT_MPEG2_SLICE, 2, 2);
	EXPECT_EQ(info(c, V4L2_BUF_TYPE_VIDEO_OUTPUT, 1).offset, 0x8000u);
	EXPECT_EQ(info(c, V4L2_BUF_TYPE_VIDEO_CAPTURE, 1).offset, kCaptureBase + 0x8000u);
	// DMABUF queues report the fd (vb2 zero-allocates its buffers: 0 until a QBUF).
	int d = openVideo("cedrus");
	ASSERT_EQ(reqbufs(d, V4L2_BUF_TYPE_VIDEO_CAPTURE, 1, V4L2_MEMORY_DMABUF), 1);
	struct v4l2_buffer b {};
	ASSERT_EQ(querybuf(d, V4L2_BUF_TYPE_VIDEO_CAPTURE, 0, &b, nullptr), 0);
	EXPECT_EQ(b.memory, static_cast<uint32_t>(V4L2_MEMORY_DMABUF));
	EXPECT_EQ(b.m.fd, 0) << "nothing queued yet";
}

TEST_F(QuerybufRules, Errors_Einval)
{
	int fd = openVideo("rkvdec");
	struct v4l2_plane planes[VIDEO_MAX_PLANES] = {};
	struct v4l2_buffer b {};
	EXPECT_EQ(querybuf(fd, capType(fd), 0, &b, planes), -EINVAL) << "no buffers yet";
	ASSERT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_H264_SLICE, 320, 240), 0);
	ASSERT_EQ(reqbufs(fd, capType(fd), 2), 2);
	EXPECT_EQ(querybuf(fd, V4L2_BUF_TYPE_VBI_CAPTURE, 0, &b, planes), -EINVAL) << "check_fmt";
	EXPECT_EQ(querybuf(fd, V4L2_BUF_TYPE_VIDEO_CAPTURE, 0, &b, planes), -EINVAL) << "type != queue";
	EXPECT_EQ(querybuf(fd, capType(fd), 2, &b, planes), -EINVAL) << "unknown index";
	EXPECT_EQ(querybuf(fd, capType(fd), 1000, &b, planes), -EINVAL);
	b = {};
	b.type = capType(fd);
	b.m.planes = nullptr;
	b.length = 1;
	EXPECT_EQ(xioctl(fd, VIDIOC_QUERYBUF, &b), -EINVAL) << "no planes array";
	b.m.planes = planes;
	b.length = 0;
	EXPECT_EQ(xioctl(fd, VIDIOC_QUERYBUF, &b), -EINVAL) << "length < num_planes";
	b.length = VIDEO_MAX_PLANES + 1;
	EXPECT_EQ(xioctl(fd, VIDIOC_QUERYBUF, &b), -EINVAL) << "length > 8";
	b.length = VIDEO_MAX_PLANES;
	EXPECT_EQ(xioctl(fd, VIDIOC_QUERYBUF, &b), 0);
	EXPECT_EQ(b.length, 1u) << "the plane count comes back";
	useBoard("cedrus");
	int c = openWithBuffers("cedrus", V4L2_PIX_FMT_MPEG2_SLICE, 1, 1);
	EXPECT_EQ(querybuf(c, V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE, 0, &b, planes), -EINVAL);
}

TEST_F(QuerybufRules, QbufAndDqbufRepliesCarryTheCaptureOffsetToo)
{
	Session s;
	ASSERT_NO_FATAL_FAILURE(start(s, "rkvdec", V4L2_PIX_FMT_H264_SLICE, 1, 2));
	CodecControls c = CodecControls::h264(320, 240);
	struct v4l2_plane planes[VIDEO_MAX_PLANES] = {};
	struct v4l2_buffer b {};
	b.type = s.capType;
	b.memory = V4L2_MEMORY_MMAP;
	b.index = 1;
	b.m.planes = planes;
	b.length = 1;
	ASSERT_EQ(xioctl(s.fd, VIDIOC_QBUF, &b), 0);
	EXPECT_EQ(planes[0].m.mem_offset, kCaptureBase + 0x8000u) << "QBUF reply";
	ASSERT_EQ(setControls(s.fd, c, s.requests[0]), 0);
	ASSERT_EQ(qbuf(s.fd, s.outType, 0, s.requests[0], 1000, 64), 0);
	ASSERT_EQ(queueRequest(s.requests[0]), 0);
	BufInfo cap = dq(s.fd, s.capType);
	ASSERT_EQ(cap.ret, 0);
	EXPECT_EQ(cap.offset, kCaptureBase + 0x8000u) << "DQBUF reply";
	BufInfo out = dq(s.fd, s.outType);
	ASSERT_EQ(out.ret, 0);
	EXPECT_EQ(out.offset, 0u);
	endSession(s);
}

// ---- §2.1 STREAMOFF -------------------------------------------------------------------------

TEST_F(StreamoffRules, AlwaysZeroForTheQueueTypeElseEinval)
{
	int fd = openVideo("rkvdec");
	EXPECT_EQ(streamoff(fd, capType(fd)), 0) << "no buffers, not streaming";
	EXPECT_EQ(streamoff(fd, V4L2_BUF_TYPE_VIDEO_CAPTURE), -EINVAL) << "type != queue type";
	EXPECT_EQ(streamoff(fd, V4L2_BUF_TYPE_VIDEO_OUTPUT), -EINVAL);
	ASSERT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_H264_SLICE, 320, 240), 0);
	ASSERT_EQ(reqbufs(fd, capType(fd), 1), 1);
	EXPECT_EQ(streamoff(fd, capType(fd)), 0) << "buffers, not streaming";
	ASSERT_EQ(streamon(fd, capType(fd)), 0);
	ASSERT_EQ(qbuf(fd, capType(fd), 0), 0);
	EXPECT_EQ(streamoff(fd, capType(fd)), 0);
	EXPECT_EQ(streamoff(fd, capType(fd)), 0) << "twice";
	EXPECT_FALSE(info(fd, capType(fd), 0).flags & V4L2_BUF_FLAG_QUEUED) << "back to DEQUEUED";
	EXPECT_EQ(dqbuf(fd, capType(fd)), -EINVAL) << "not streaming any more";
	// STREAMOFF does not free: the queue stays busy (S_FMT(CAPTURE) still EBUSY on rkvdec).
	EXPECT_EQ(setFormat(fd, capType(fd), V4L2_PIX_FMT_NV12, 320, 240), -EBUSY);
	EXPECT_EQ(info(fd, capType(fd), 0).ret, 0);
}

TEST_F(StreamoffRules, QueuedRequestsCompleteWithTheirControls)
{
	Session s;
	ASSERT_NO_FATAL_FAILURE(start(s, "rkvdec", V4L2_PIX_FMT_H264_SLICE, 2, 2));
	CodecControls c = CodecControls::h264(320, 240);
	int req = s.requests[0];
	ASSERT_EQ(queuePicture(s, c, 0, -1, 1000), 0);	// no CAPTURE buffer: stays QUEUED
	ASSERT_EQ(pollOne(req, POLLPRI), 0);
	EXPECT_TRUE(info(s.fd, s.outType, 0).flags & V4L2_BUF_FLAG_QUEUED);
	ASSERT_EQ(streamoff(s.fd, s.outType), 0);
	EXPECT_EQ(pollOne(req, POLLPRI), POLLPRI) << "cancel completes the queued request";
	BufInfo b = info(s.fd, s.outType, 0);
	EXPECT_FALSE(b.flags & (V4L2_BUF_FLAG_QUEUED | V4L2_BUF_FLAG_DONE | V4L2_BUF_FLAG_ERROR |
				V4L2_BUF_FLAG_REQUEST_FD)) << "DEQUEUED, request dropped";
	EXPECT_EQ(jobs(), 0u) << "nothing was decoded";
	// The request's control object completed too: its values can be read back.
	struct v4l2_ctrl_h264_sps sps {};
	std::vector<struct v4l2_ext_control> g(1);
	g[0].id = V4L2_CID_STATELESS_H264_SPS;
	g[0].size = sizeof(sps);
	g[0].ptr = &sps;
	ASSERT_EQ(extCtrls(s.fd, VIDIOC_G_EXT_CTRLS, V4L2_CTRL_WHICH_REQUEST_VAL, req, g), 0);
	EXPECT_EQ(sps.pic_width_in_mbs_minus1, 19);
	EXPECT_EQ(reinitRequest(req), 0);
	endSession(s);
}

TEST_F(StreamoffRules, DoneButNotDequeuedBuffersAreDiscarded)
{
	Session s;
	ASSERT_NO_FATAL_FAILURE(start(s, "rkvdec", V4L2_PIX_FMT_H264_SLICE, 1, 1));
	CodecControls c = CodecControls::h264(320, 240);
	ASSERT_EQ(queuePicture(s, c, 0, 0, 1000), 0);
	ASSERT_TRUE(info(s.fd, s.capType, 0).flags & V4L2_BUF_FLAG_DONE);
	ASSERT_TRUE(info(s.fd, s.outType, 0).flags & V4L2_BUF_FLAG_DONE);
	ASSERT_EQ(streamoff(s.fd, s.capType), 0);
	ASSERT_EQ(streamon(s.fd, s.capType), 0);
	EXPECT_FALSE(info(s.fd, s.capType, 0).flags & (V4L2_BUF_FLAG_DONE | V4L2_BUF_FLAG_QUEUED));
	EXPECT_EQ(pollOne(s.fd, POLLIN), 0) << "no CAPTURE buffer is done any more";
	// The other queue was untouched: the OUTPUT buffer is still done and dequeueable.
	EXPECT_TRUE(info(s.fd, s.outType, 0).flags & V4L2_BUF_FLAG_DONE);
	BufInfo out = dq(s.fd, s.outType);
	EXPECT_EQ(out.ret, 0);
	EXPECT_EQ(out.requestFd, s.requests[0]);
	endSession(s);
}

TEST_F(StreamoffRules, TheOtherQueueIsUntouched)
{
	Session s;
	ASSERT_NO_FATAL_FAILURE(start(s, "rkvdec", V4L2_PIX_FMT_H264_SLICE, 2, 2));
	CodecControls c = CodecControls::h264(320, 240);
	// A request waits for a CAPTURE buffer; STREAMOFF(CAPTURE) does not touch it.
	ASSERT_EQ(queuePicture(s, c, 0, -1, 1000), 0);
	ASSERT_EQ(streamoff(s.fd, s.capType), 0);
	EXPECT_EQ(pollOne(s.requests[0], POLLPRI), 0) << "still QUEUED";
	EXPECT_TRUE(info(s.fd, s.outType, 0).flags & V4L2_BUF_FLAG_QUEUED);
	ASSERT_EQ(qbuf(s.fd, s.capType, 0), 0);
	EXPECT_EQ(jobs(), 0u) << "CAPTURE is not streaming";
	ASSERT_EQ(streamon(s.fd, s.capType), 0);
	EXPECT_EQ(pollOne(s.requests[0], POLLPRI, 5000), POLLPRI) << "OUTPUT kept streaming";
	EXPECT_EQ(jobs(), 1u);
	ASSERT_EQ(dq(s.fd, s.capType).ret, 0);
	ASSERT_EQ(dq(s.fd, s.outType).ret, 0);
	// And STREAMOFF(OUTPUT) leaves a queued CAPTURE buffer queued.
	ASSERT_EQ(qbuf(s.fd, s.capType, 1), 0);
	ASSERT_EQ(streamoff(s.fd, s.outType), 0);
	EXPECT_TRUE(info(s.fd, s.capType, 1).flags & V4L2_BUF_FLAG_QUEUED);
	ASSERT_EQ(streamon(s.fd, s.outType), 0);
	ASSERT_EQ(queuePicture(s, c, 1, -1, 2000), 0);
	EXPECT_EQ(pollOne(s.requests[1], POLLPRI, 5000), POLLPRI);
	BufInfo cap = dq(s.fd, s.capType);
	EXPECT_EQ(cap.ret, 0);
	EXPECT_EQ(cap.timestampUs, 2u);
	endSession(s);
}

TEST_F(StreamoffRules, ResetsRequestModeAndUnbindsInRequestBuffers)
{
	useBoard("visl");
	int fd = openWithBuffers("visl", V4L2_PIX_FMT_H264_SLICE, 2, 2);
	int media = openMedia("visl");
	int req = allocRequest(media);
	ASSERT_EQ(qbuf(fd, outType(fd), 0, req, 1000, 64), 0);
	ASSERT_EQ(qbuf(fd, outType(fd), 1, -1, 1000, 64), -EBUSY) << "uses_requests";
	// Not streaming: the cancel still resets uses_requests and unbinds IN_REQUEST buffers.
	ASSERT_EQ(streamoff(fd, outType(fd)), 0);
	EXPECT_FALSE(info(fd, outType(fd), 0).flags & (V4L2_BUF_FLAG_IN_REQUEST | V4L2_BUF_FLAG_REQUEST_FD));
	EXPECT_EQ(queueRequest(req), -ENOENT) << "the buffer left the request";
	EXPECT_EQ(qbuf(fd, outType(fd), 1, -1, 1000, 64), 0) << "plain QBUF allowed again";
	EXPECT_EQ(qbuf(fd, outType(fd), 0, req, 1000, 64), -EBUSY) << "uses_qbuf now";
	ASSERT_EQ(streamoff(fd, outType(fd)), 0);
	EXPECT_EQ(qbuf(fd, outType(fd), 0, req, 1000, 64), 0) << "and reset again";
}

TEST_F(StreamoffRules, WaitsForTheRunningJob)
{
	useThreaded("fresnel", 200000);
	Session s;
	ASSERT_NO_FATAL_FAILURE(start(s, "rkvdec", V4L2_PIX_FMT_H264_SLICE, 1, 1));
	CodecControls c = CodecControls::h264(320, 240);
	ASSERT_EQ(queuePicture(s, c, 0, 0, 1000), 0);
	ASSERT_EQ(jobs(), 1u) << "device_run started";
	auto t0 = std::chrono::steady_clock::now();
	ASSERT_EQ(streamoff(s.fd, s.outType), 0);
	EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(100))
		<< "the running job was waited for";
	EXPECT_EQ(pollOne(s.requests[0], POLLPRI), POLLPRI);
	// The job finished normally: its CAPTURE buffer is done (the other queue is untouched).
	BufInfo cap = dq(s.fd, s.capType);
	EXPECT_EQ(cap.ret, 0);
	EXPECT_FALSE(cap.flags & V4L2_BUF_FLAG_ERROR);
	endSession(s);
}

TEST_F(StreamoffRules, DropsThisContextsQueuedJobOnly)
{
	useThreaded("fresnel", 300000);
	Session a, b;
	ASSERT_NO_FATAL_FAILURE(start(a, "rkvdec", V4L2_PIX_FMT_H264_SLICE, 1, 1));
	ASSERT_NO_FATAL_FAILURE(start(b, "rkvdec", V4L2_PIX_FMT_H264_SLICE, 1, 1));
	CodecControls c = CodecControls::h264(320, 240);
	ASSERT_EQ(queuePicture(a, c, 0, 0, 1000), 0);	// runs
	ASSERT_EQ(queuePicture(b, c, 0, 0, 2000), 0);	// waits in the job queue
	ASSERT_EQ(jobs(), 1u);
	auto t0 = std::chrono::steady_clock::now();
	ASSERT_EQ(streamoff(b.fd, b.outType), 0);
	EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(150))
		<< "another context's job is not waited for";
	EXPECT_EQ(pollOne(b.requests[0], POLLPRI), POLLPRI);
	EXPECT_EQ(pollOne(a.requests[0], POLLPRI), 0) << "A is still decoding";
	EXPECT_EQ(pollOne(a.requests[0], POLLPRI, 5000), POLLPRI);
	std::this_thread::sleep_for(std::chrono::milliseconds(50));
	EXPECT_EQ(jobs(), 1u) << "B's job never ran";
	EXPECT_TRUE(info(b.fd, b.capType, 0).flags & V4L2_BUF_FLAG_QUEUED) << "B's CAPTURE untouched";
	endSession(a);
	endSession(b);
}

// ---- §2.1 EXPBUF ----------------------------------------------------------------------------

TEST_F(ExpbufRules, ErrorsInOrder_EinvalBeforeTheFdAllocation)
{
	int fd = openWithBuffers("rkvdec", V4L2_PIX_FMT_H264_SLICE, 1, 1);
	auto expbuf = [&](int node, uint32_t type, uint32_t index, uint32_t plane, uint32_t flags) {
		struct v4l2_exportbuffer eb {};
		eb.type = type;
		eb.index = index;
		eb.plane = plane;
		eb.flags = flags;
		eb.fd = -1;
		int ret = xioctl(node, VIDIOC_EXPBUF, &eb);
		if (ret == 0) {
			openFds_.push_back(eb.fd);
			return eb.fd;
		}
		EXPECT_EQ(eb.fd, -1);
		return ret;
	};
	EXPECT_EQ(expbuf(fd, capType(fd), 1, 0, O_CLOEXEC), -EINVAL) << "unknown index";
	EXPECT_EQ(expbuf(fd, capType(fd), 0, 0, O_NONBLOCK), -EINVAL) << "flags";
	EXPECT_EQ(expbuf(fd, capType(fd), 0, 0, O_CLOEXEC | O_TRUNC), -EINVAL);
	EXPECT_EQ(expbuf(fd, V4L2_BUF_TYPE_VIDEO_CAPTURE, 0, 0, 0), -EINVAL) << "type != queue";
	EXPECT_EQ(expbuf(fd, capType(fd), 0, 1, 0), -EINVAL) << "plane >= num_planes";
	EXPECT_EQ(expbuf(fd, capType(fd), 0, 8, 0), -EINVAL);
	EXPECT_FALSE(info(fd, capType(fd), 0).flags & V4L2_BUF_FLAG_MAPPED) << "nothing exported";
	// A DMABUF queue has nothing to export.
	int d = openVideo("rkvdec");
	ASSERT_EQ(setFormat(d, outType(d), V4L2_PIX_FMT_H264_SLICE, 320, 240), 0);
	ASSERT_EQ(reqbufs(d, capType(d), 1, V4L2_MEMORY_DMABUF), 1);
	EXPECT_EQ(expbuf(d, capType(d), 0, 0, 0), -EINVAL) << "memory != MMAP";
	// After REQBUFS(0) there is no buffer.
	ASSERT_EQ(reqbufs(fd, capType(fd), 0), 0);
	EXPECT_EQ(expbuf(fd, capType(fd), 0, 0, 0), -EINVAL);
	// Every check comes before the fd allocation: with no fd left the errors stay EINVAL,
	// and a valid export gets the allocation error as is.
	int e = openWithBuffers("rkvdec", V4L2_PIX_FMT_H264_SLICE, 1, 1);
	{
		FdExhaustion limit;
		ASSERT_TRUE(limit.ok());
		EXPECT_EQ(expbuf(e, capType(e), 3, 0, 0), -EINVAL);
		EXPECT_EQ(expbuf(e, capType(e), 0, 0, O_NONBLOCK), -EINVAL);
		EXPECT_EQ(expbuf(e, capType(e), 0, 0, O_CLOEXEC), -EMFILE);
	}
	EXPECT_FALSE(info(e, capType(e), 0).flags & V4L2_BUF_FLAG_MAPPED) << "nothing was exported";
}

TEST_F(ExpbufRules, ExportsTheBufferMemory)
{
	int fd = openWithBuffers("rkvdec", V4L2_PIX_FMT_H264_SLICE, 1, 1);
	struct v4l2_exportbuffer eb {};
	eb.type = capType(fd);
	eb.flags = O_CLOEXEC | O_RDWR;
	ASSERT_EQ(xioctl(fd, VIDIOC_EXPBUF, &eb), 0);
	openFds_.push_back(eb.fd);
	EXPECT_GE(eb.fd, 0);
	EXPECT_EQ(::fcntl(eb.fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	EXPECT_TRUE(info(fd, capType(fd), 0).flags & V4L2_BUF_FLAG_MAPPED) << "the dma-buf is a user";
	// The dma-buf is the buffer's memory: what the node mapping writes, it reads.
	size_t len = 0;
	auto *node = static_cast<uint8_t *>(mapBuffer(fd, capType(fd), 0, 0, &len, PROT_READ | PROT_WRITE));
	ASSERT_NE(node, nullptr);
	void *p = nullptr;
	ASSERT_EQ(io().mmap(nullptr, len, PROT_READ, MAP_SHARED, eb.fd, 0, &p), 0);
	node[0] = 0x5a;
	node[len - 1] = 0xa5;
	EXPECT_EQ(static_cast<uint8_t *>(p)[0], 0x5a);
	EXPECT_EQ(static_cast<uint8_t *>(p)[len - 1], 0xa5);
	EXPECT_EQ(unmap(p, len), 0);
	EXPECT_EQ(unmap(node, len), 0);
	EXPECT_TRUE(info(fd, capType(fd), 0).flags & V4L2_BUF_FLAG_MAPPED) << "the fd is still open";
	ASSERT_EQ(closeTracked(eb.fd), 0);
	EXPECT_FALSE(info(fd, capType(fd), 0).flags & V4L2_BUF_FLAG_MAPPED);
	// OUTPUT buffers export as well.
	eb = {};
	eb.type = outType(fd);
	ASSERT_EQ(xioctl(fd, VIDIOC_EXPBUF, &eb), 0);
	openFds_.push_back(eb.fd);
	EXPECT_EQ(::fcntl(eb.fd, F_GETFD) & FD_CLOEXEC, 0) << "no O_CLOEXEC asked";
}

// ---- §2.5 mmap ------------------------------------------------------------------------------

TEST_F(MmapRules, Errors_Einval)
{
	int fd = openWithBuffers("rkvdec", V4L2_PIX_FMT_H264_SLICE, 1, 1);
	BufInfo cap = info(fd, capType(fd), 0);
	BufInfo out = info(fd, outType(fd), 0);
	size_t capLen = cap.length, outLen = out.length;
	size_t capPages = (capLen + 4095) / 4096 * 4096;
	void *p = nullptr;
	EXPECT_EQ(io().mmap(nullptr, capLen, PROT_READ, MAP_PRIVATE, fd, cap.offset, &p), -EINVAL)
		<< "not MAP_SHARED";
	EXPECT_EQ(io().mmap(nullptr, outLen, PROT_READ, MAP_SHARED, fd, out.offset, &p), -EINVAL)
		<< "OUTPUT without PROT_WRITE";
	EXPECT_EQ(io().mmap(nullptr, capLen, PROT_WRITE, MAP_SHARED, fd, cap.offset, &p), -EINVAL)
		<< "CAPTURE without PROT_READ";
	EXPECT_EQ(io().mmap(nullptr, capLen, PROT_READ, MAP_SHARED, fd, kCaptureBase + 0x8000, &p), -EINVAL)
		<< "no buffer 1";
	EXPECT_EQ(io().mmap(nullptr, capLen, PROT_READ, MAP_SHARED, fd, kCaptureBase + 0x1000, &p), -EINVAL)
		<< "no plane 1";
	EXPECT_EQ(io().mmap(nullptr, outLen, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0x8000, &p), -EINVAL);
	EXPECT_EQ(io().mmap(nullptr, capPages + 1, PROT_READ, MAP_SHARED, fd, cap.offset, &p), -EINVAL)
		<< "longer than the page-aligned plane";
	EXPECT_EQ(board().stats().liveMappings, 0u);
	EXPECT_FALSE(info(fd, capType(fd), 0).flags & V4L2_BUF_FLAG_MAPPED);
	// The page-aligned length is fine; so is PROT_READ|PROT_WRITE on CAPTURE and
	// PROT_WRITE alone on OUTPUT.
	ASSERT_EQ(io().mmap(nullptr, capPages, PROT_READ | PROT_WRITE, MAP_SHARED, fd, cap.offset, &p), 0);
	EXPECT_TRUE(info(fd, capType(fd), 0).flags & V4L2_BUF_FLAG_MAPPED);
	EXPECT_EQ(unmap(p, capPages), 0);
	ASSERT_EQ(io().mmap(nullptr, outLen, PROT_WRITE, MAP_SHARED, fd, out.offset, &p), 0);
	EXPECT_EQ(unmap(p, outLen), 0);
	// Queue memory not MMAP (including after REQBUFS(0)).
	ASSERT_EQ(reqbufs(fd, capType(fd), 0), 0);
	EXPECT_EQ(io().mmap(nullptr, capLen, PROT_READ, MAP_SHARED, fd, cap.offset, &p), -EINVAL);
	ASSERT_EQ(reqbufs(fd, capType(fd), 1, V4L2_MEMORY_DMABUF), 1);
	EXPECT_EQ(io().mmap(nullptr, capLen, PROT_READ, MAP_SHARED, fd, cap.offset, &p), -EINVAL);
}

TEST_F(MmapRules, InBufferPartOfTheOffsetIsIgnored)
{
	int fd = openWithBuffers("rkvdec", V4L2_PIX_FMT_H264_SLICE, 1, 2);
	size_t len = 0;
	auto *whole = static_cast<uint8_t *>(mapBuffer(fd, capType(fd), 1, 0, &len, PROT_READ | PROT_WRITE));
	ASSERT_NE(whole, nullptr);
	whole[0] = 0x11;
	void *p = nullptr;
	// Offset 0x40008000 + 0x123 still names buffer 1, plane 0; the whole buffer is mapped
	// from its start.
	ASSERT_EQ(io().mmap(nullptr, len, PROT_READ, MAP_SHARED, fd, kCaptureBase + 0x8000 + 0x123, &p), 0);
	EXPECT_EQ(static_cast<uint8_t *>(p)[0], 0x11);
	EXPECT_EQ(unmap(p, len), 0);
	EXPECT_EQ(unmap(whole, len), 0);
}

// ---- §2.5 poll ------------------------------------------------------------------------------

TEST_F(PollRules, ErrWhenBothQueuesIdle)
{
	int fd = openVideo("rkvdec");
	EXPECT_EQ(pollOne(fd, POLLIN | POLLOUT), POLLERR) << "fresh open";
	EXPECT_EQ(pollOne(fd, POLLIN), POLLERR) << "POLLERR is always reported";
	ASSERT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_H264_SLICE, 320, 240), 0);
	ASSERT_EQ(reqbufs(fd, outType(fd), 1), 1);
	ASSERT_EQ(reqbufs(fd, capType(fd), 1), 1);
	ASSERT_EQ(qbuf(fd, capType(fd), 0), 0);
	EXPECT_EQ(pollOne(fd, POLLIN | POLLOUT), POLLERR) << "queued, but not streaming";
	ASSERT_EQ(streamon(fd, capType(fd)), 0);
	EXPECT_EQ(pollOne(fd, POLLIN | POLLOUT), 0) << "CAPTURE streaming with a queued buffer";
	ASSERT_EQ(streamoff(fd, capType(fd)), 0);
	ASSERT_EQ(streamon(fd, capType(fd)), 0);
	ASSERT_EQ(streamon(fd, outType(fd)), 0);
	EXPECT_EQ(pollOne(fd, POLLIN | POLLOUT), POLLERR) << "streaming, nothing queued";
	// Data events were not asked for: poll for POLLPRI only reports nothing.
	EXPECT_EQ(pollOne(fd, POLLPRI), 0);
}

TEST_F(PollRules, InRequestBuffersAreNotQueued)
{
	int fd = openWithBuffers("rkvdec", V4L2_PIX_FMT_H264_SLICE, 1, 1);
	int media = openMedia("rkvdec");
	ASSERT_EQ(streamon(fd, outType(fd)), 0);
	ASSERT_EQ(streamon(fd, capType(fd)), 0);
	int req = allocRequest(media);
	CodecControls c = CodecControls::h264(320, 240);
	ASSERT_EQ(setControls(fd, c, req), 0);
	ASSERT_EQ(qbuf(fd, outType(fd), 0, req, 1000, 64), 0);
	EXPECT_EQ(pollOne(fd, POLLIN | POLLOUT), POLLERR) << "IN_REQUEST is not in vb2's queued list";
	ASSERT_EQ(queueRequest(req), 0);
	EXPECT_EQ(pollOne(fd, POLLIN | POLLOUT), 0) << "queued now, nothing done";
}

TEST_F(PollRules, OutWhenOutputDoneInWhenCaptureDone)
{
	Session s;
	ASSERT_NO_FATAL_FAILURE(start(s, "rkvdec", V4L2_PIX_FMT_H264_SLICE, 1, 1));
	CodecControls c = CodecControls::h264(320, 240);
	ASSERT_EQ(queuePicture(s, c, 0, 0, 1000), 0);
	EXPECT_EQ(pollOne(s.fd, POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM),
		  POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM);
	EXPECT_EQ(pollOne(s.fd, POLLIN), POLLIN) << "only what was asked";
	EXPECT_EQ(pollOne(s.fd, POLLOUT), POLLOUT);
	ASSERT_EQ(dq(s.fd, s.capType).ret, 0);
	EXPECT_EQ(pollOne(s.fd, POLLIN | POLLOUT), POLLOUT);
	EXPECT_EQ(pollOne(s.fd, POLLIN), 0);
	ASSERT_EQ(dq(s.fd, s.outType).ret, 0);
	EXPECT_EQ(pollOne(s.fd, POLLIN | POLLOUT), POLLERR) << "everything consumed: both idle";
	// A pending control event is POLLPRI, whatever the queues say.
	struct v4l2_event_subscription sub {};
	sub.type = V4L2_EVENT_CTRL;
	sub.id = V4L2_CID_MPEG_VIDEO_H264_PROFILE;
	sub.flags = V4L2_EVENT_SUB_FL_SEND_INITIAL;
	ASSERT_EQ(xioctl(s.fd, VIDIOC_SUBSCRIBE_EVENT, &sub), 0);
	EXPECT_EQ(pollOne(s.fd, POLLPRI), POLLPRI);
	EXPECT_EQ(pollOne(s.fd, POLLIN | POLLPRI), POLLERR | POLLPRI);
	endSession(s);
}

TEST_F(PollRules, BlockingPollWakesWhenTheDecodeCompletes)
{
	useThreaded("fresnel", 50000);
	Session s;
	ASSERT_NO_FATAL_FAILURE(start(s, "rkvdec", V4L2_PIX_FMT_H264_SLICE, 1, 1));
	CodecControls c = CodecControls::h264(320, 240);
	ASSERT_EQ(queuePicture(s, c, 0, 0, 1000), 0);
	EXPECT_EQ(pollOne(s.fd, POLLIN), 0) << "decoding";
	EXPECT_EQ(pollOne(s.fd, POLLIN, 5000), POLLIN);
	endSession(s);
}

// ---- §2.5 close -----------------------------------------------------------------------------

TEST_F(CloseRules, QueuedRequestsCompleteAtClose)
{
	Session s;
	ASSERT_NO_FATAL_FAILURE(start(s, "rkvdec", V4L2_PIX_FMT_H264_SLICE, 2, 2));
	CodecControls c = CodecControls::h264(320, 240);
	ASSERT_EQ(queuePicture(s, c, 0, -1, 1000), 0);	// waits for a CAPTURE buffer
	int inRequest = s.requests[1];
	ASSERT_EQ(qbuf(s.fd, s.outType, 1, inRequest, 2000, 64), 0);	// IN_REQUEST, IDLE
	endSession(s);	// no mappings left: close releases the context at once
	uint64_t contexts = board().stats().devices[0].openContexts;
	ASSERT_EQ(closeTracked(s.fd), 0);
	EXPECT_EQ(board().stats().devices[0].openContexts, contexts - 1);
	EXPECT_EQ(pollOne(s.requests[0], POLLPRI), POLLPRI) << "cancelled: COMPLETE";
	EXPECT_EQ(jobs(), 0u);
	EXPECT_EQ(pollOne(inRequest, POLLPRI), POLLERR) << "still IDLE";
	EXPECT_EQ(queueRequest(inRequest), -ENOENT) << "its buffer was unbound and freed";
}

TEST_F(CloseRules, LiveMappingsDeferTheTeardownToTheLastMunmap)
{
	Session s;
	ASSERT_NO_FATAL_FAILURE(start(s, "rkvdec", V4L2_PIX_FMT_H264_SLICE, 2, 2));
	CodecControls c = CodecControls::h264(320, 240);
	ASSERT_EQ(queuePicture(s, c, 0, -1, 1000), 0);
	uint64_t contexts = board().stats().devices[0].openContexts;
	ASSERT_EQ(closeTracked(s.fd), 0);
	EXPECT_EQ(board().stats().devices[0].openContexts, contexts) << "the mappings hold the file";
	EXPECT_EQ(pollOne(s.requests[0], POLLPRI), 0) << "still QUEUED";
	ASSERT_EQ(unmap(s.outputMaps[0].first, s.outputMaps[0].second), 0);
	EXPECT_EQ(pollOne(s.requests[0], POLLPRI), 0) << "one mapping left";
	ASSERT_EQ(unmap(s.outputMaps[1].first, s.outputMaps[1].second), 0);
	s.outputMaps.clear();
	EXPECT_EQ(board().stats().devices[0].openContexts, contexts - 1);
	EXPECT_EQ(pollOne(s.requests[0], POLLPRI), POLLPRI) << "released at the last munmap";
}

TEST_F(CloseRules, ControlsOfAClosedOpenLeaveItsIdleRequests)
{
	Session s;
	ASSERT_NO_FATAL_FAILURE(start(s, "rkvdec", V4L2_PIX_FMT_H264_SLICE, 1, 1));
	CodecControls c = CodecControls::h264(320, 240);
	int other = openVideo("rkvdec");
	ASSERT_EQ(setFormat(other, s.outType, V4L2_PIX_FMT_H264_SLICE, 320, 240), 0);
	int req = s.requests[0];
	ASSERT_EQ(setControls(other, c, req), 0);	// a control object of the other open
	ASSERT_EQ(closeTracked(other), 0);		// unbinds it (IDLE request)
	ASSERT_EQ(setControls(s.fd, c, req), 0);
	ASSERT_EQ(qbuf(s.fd, s.outType, 0, req, 1000, 64), 0);
	ASSERT_EQ(qbuf(s.fd, s.capType, 0), 0);
	ASSERT_EQ(queueRequest(req), 0);
	EXPECT_EQ(pollOne(req, POLLPRI, 5000), POLLPRI) << "no foreign object left to wait for";
	EXPECT_EQ(countDiagnostics(DiagnosticKind::ForeignControls), 0u);
	EXPECT_EQ(countDiagnostics(DiagnosticKind::MissingControls), 0u);
	endSession(s);
}

} // namespace
} // namespace v4l2emu::test
