// SPDX-License-Identifier: MIT
// The request pool against the emulated rkvdec: recycled with REINIT, no growth in steady
// state, completion through POLLPRI.
#include "v4l2/decoder_finder.h"
#include "v4l2/request_pool.h"
#include "v4l2/seam_fd.h"

#include <v4l2emu/board.h>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <linux/media.h>
#include <linux/videodev2.h>

#include <cerrno>

namespace v4l2va {
namespace {

class RequestPoolTest : public ::testing::Test {
protected:
	void SetUp() override
	{
		board_ = v4l2emu::Board::create("fresnel");
		ASSERT_TRUE(board_);
		io_ = &board_->io();
		auto nodes = board_->nodes();
		video_ = SeamFd(*io_, io_->open(nodes[0].videoPath.c_str(), O_RDWR));
		media_ = SeamFd(*io_, io_->open(nodes[0].mediaPath.c_str(), O_RDWR));
		ASSERT_TRUE(video_.valid() && media_.valid());
		struct v4l2_format f {};
		f.type = kOut;
		f.fmt.pix_mp.pixelformat = V4L2_PIX_FMT_VP9_FRAME;
		f.fmt.pix_mp.width = 320;
		f.fmt.pix_mp.height = 256;
		ASSERT_EQ(io_->ioctl(video_.get(), VIDIOC_S_FMT, &f), 0);
		for (uint32_t type : {kOut, kCap}) {
			struct v4l2_requestbuffers rb {};
			rb.type = type;
			rb.memory = V4L2_MEMORY_MMAP;
			rb.count = 4;
			ASSERT_EQ(io_->ioctl(video_.get(), VIDIOC_REQBUFS, &rb), 0);
			ASSERT_EQ(io_->ioctl(video_.get(), VIDIOC_STREAMON, &type), 0);
		}
	}
	/// One VP9 key frame through a pooled request; returns the request used.
	int decode(RequestPool &pool, uint32_t index, uint64_t ts)
	{
		int req = -1;
		EXPECT_EQ(pool.acquire(&req), 0);
		struct v4l2_ctrl_vp9_frame frame {};
		frame.bit_depth = 8;
		frame.frame_width_minus_1 = 319;
		frame.frame_height_minus_1 = 255;
		frame.flags = V4L2_VP9_FRAME_FLAG_KEY_FRAME | V4L2_VP9_FRAME_FLAG_X_SUBSAMPLING |
			      V4L2_VP9_FRAME_FLAG_Y_SUBSAMPLING;
		struct v4l2_ext_control c {};
		c.id = V4L2_CID_STATELESS_VP9_FRAME;
		c.size = sizeof(frame);
		c.ptr = &frame;
		struct v4l2_ext_controls cs {};
		cs.which = V4L2_CTRL_WHICH_REQUEST_VAL;
		cs.request_fd = req;
		cs.count = 1;
		cs.controls = &c;
		EXPECT_EQ(io_->ioctl(video_.get(), VIDIOC_S_EXT_CTRLS, &cs), 0);
		struct v4l2_plane planes[VIDEO_MAX_PLANES] = {};
		struct v4l2_buffer b {};
		b.type = kOut;
		b.memory = V4L2_MEMORY_MMAP;
		b.index = index;
		b.m.planes = planes;
		b.length = 1;
		planes[0].bytesused = 100;
		b.flags = V4L2_BUF_FLAG_REQUEST_FD;
		b.request_fd = req;
		b.timestamp.tv_usec = static_cast<suseconds_t>(ts);
		EXPECT_EQ(io_->ioctl(video_.get(), VIDIOC_QBUF, &b), 0);
		b = {};
		b.type = kCap;
		b.memory = V4L2_MEMORY_MMAP;
		b.index = index;
		b.m.planes = planes;
		b.length = 1;
		EXPECT_EQ(io_->ioctl(video_.get(), VIDIOC_QBUF, &b), 0);
		EXPECT_EQ(pool.queue(req), 0);
		return req;
	}
	void dequeueBoth()
	{
		for (uint32_t type : {kOut, kCap}) {
			struct v4l2_plane planes[VIDEO_MAX_PLANES] = {};
			struct v4l2_buffer b {};
			b.type = type;
			b.memory = V4L2_MEMORY_MMAP;
			b.m.planes = planes;
			b.length = VIDEO_MAX_PLANES;
			EXPECT_EQ(io_->ioctl(video_.get(), VIDIOC_DQBUF, &b), 0);
		}
	}
	static constexpr uint32_t kOut = V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE;
	static constexpr uint32_t kCap = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
	std::unique_ptr<v4l2emu::Board> board_;
	v4l2emu::DeviceIo *io_ = nullptr;
	SeamFd video_, media_;
};

TEST_F(RequestPoolTest, RecycledRequestsDoNotGrowThePool)
{
	RequestPool pool(*io_, media_.get());
	ASSERT_EQ(pool.reserve(2), 0);
	for (uint64_t frame = 1; frame <= 20; frame++) {
		int req = decode(pool, static_cast<uint32_t>(frame % 4), frame);
		ASSERT_EQ(pool.wait(req, 1000), 0);
		dequeueBoth();
		pool.release(req);
	}
	EXPECT_EQ(pool.size(), 2u) << "REINIT and reuse, no new requests";
	EXPECT_EQ(pool.inUse(), 0u);
	EXPECT_TRUE(board_->diagnostics().empty());
}

TEST_F(RequestPoolTest, GrowsOnlyWhenEveryRequestIsInFlight)
{
	RequestPool pool(*io_, media_.get());
	int a = decode(pool, 0, 1);
	int b = decode(pool, 1, 2);
	EXPECT_NE(a, b);
	EXPECT_EQ(pool.size(), 2u);
	EXPECT_EQ(pool.wait(a, 1000), 0);
	EXPECT_EQ(pool.wait(b, 1000), 0);
	pool.release(a);
	int c = -1;
	ASSERT_EQ(pool.acquire(&c), 0);
	EXPECT_EQ(c, a) << "the released one comes back";
	EXPECT_EQ(pool.wait(c, 0), -EINVAL) << "reinitialised: IDLE polls as POLLERR";
}

TEST_F(RequestPoolTest, AllocationFailureIsAnErrorNotACrash)
{
	v4l2emu::FaultPlan plan;
	plan.memory.push_back({"rkvdec", 1, 0});
	board_->setFaults(plan);
	RequestPool pool(*io_, media_.get());
	int fd = -1;
	EXPECT_EQ(pool.acquire(&fd), -ENOMEM);
	EXPECT_EQ(pool.size(), 0u);
}

} // namespace
} // namespace v4l2va
