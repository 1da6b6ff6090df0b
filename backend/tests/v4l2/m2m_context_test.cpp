// SPDX-License-Identifier: MIT
// The m2m context wrapper on the emulated fresnel board: late CAPTURE growth while streaming,
// refusal of codec changes while streaming without side effects, a decode cycle.
#include "v4l2/decoder_finder.h"
#include "v4l2/m2m_context.h"
#include "v4l2/request_pool.h"

#include <v4l2emu/board.h>

#include <gtest/gtest.h>

#include <cerrno>

namespace v4l2va {
namespace {

class M2MContextTest : public ::testing::Test {
protected:
	void SetUp() override
	{
		board_ = v4l2emu::Board::create("fresnel");
		ASSERT_TRUE(board_);
		FinderResult r;
		ASSERT_EQ(findDecoders(board_->io(), &r), 0);
		ASSERT_EQ(r.decoders.size(), 2u);
		rkvdec_ = r.decoders[0];
		hantro_ = r.decoders[1];
	}
	std::unique_ptr<v4l2emu::Board> board_;
	DecoderNode rkvdec_, hantro_;
};

TEST_F(M2MContextTest, CodecTheDeviceLacksIsRefused)
{
	std::unique_ptr<M2MContext> ctx;
	ASSERT_EQ(M2MContext::open(board_->io(), hantro_, &ctx), 0);
	EXPECT_EQ(ctx->setOutputFormat(V4L2_PIX_FMT_H264_SLICE, 320, 240, 0), -EINVAL);
	EXPECT_EQ(ctx->setOutputFormat(V4L2_PIX_FMT_MPEG2_SLICE, 320, 240, 0), 0);
}

TEST_F(M2MContextTest, DecodesAndGrowsTheCapturePoolWhileStreaming)
{
	std::unique_ptr<M2MContext> ctx;
	ASSERT_EQ(M2MContext::open(board_->io(), rkvdec_, &ctx), 0);
	struct v4l2_pix_format_mplane out {};
	ASSERT_EQ(ctx->setOutputFormat(V4L2_PIX_FMT_VP9_FRAME, 320, 240, 0, &out), 0);
	EXPECT_EQ(out.height, 256u) << "VP9 rounds to 64 on rkvdec";
	struct v4l2_pix_format_mplane cap {};
	ASSERT_EQ(ctx->captureFormat(&cap), 0);
	EXPECT_EQ(cap.pixelformat, static_cast<uint32_t>(V4L2_PIX_FMT_NV12));
	ASSERT_EQ(ctx->allocateOutput(2), 0);
	uint32_t first = 0, added = 0;
	ASSERT_EQ(ctx->addCapture(1, &first, &added), 0);
	ASSERT_EQ(ctx->streamOn(), 0);
	EXPECT_EQ(ctx->allocateOutput(4), -EBUSY) << "no REQBUFS on a streaming queue";

	RequestPool pool(ctx->io(), ctx->mediaFd());
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
	for (uint32_t n = 0; n < 6; n++) {
		// A surface per picture: the pool grows with CREATE_BUFS while streaming.
		if (n >= ctx->captureCount()) {
			ASSERT_EQ(ctx->addCapture(1, &first, &added), 0);
		}
		int req = -1;
		ASSERT_EQ(pool.acquire(&req), 0);
		size_t len = 0;
		uint8_t *bits = ctx->outputMemory(n % 2, &len);
		ASSERT_NE(bits, nullptr);
		memset(bits, static_cast<int>(n + 1), 64);
		ASSERT_EQ(ctx->setControls(req, &c, 1), 0);
		ASSERT_EQ(ctx->queueOutput(n % 2, req, 1000ull * (n + 1), 64), 0);
		ASSERT_EQ(ctx->queueCapture(n), 0);
		ASSERT_EQ(pool.queue(req), 0);
		ASSERT_EQ(pool.wait(req, 1000), 0);
		M2MContext::Dequeued d;
		ASSERT_EQ(ctx->dequeueCapture(&d), 0);
		EXPECT_EQ(d.index, n);
		EXPECT_EQ(d.timestampNs, 1000ull * (n + 1));
		EXPECT_FALSE(d.flags & V4L2_BUF_FLAG_ERROR);
		ASSERT_EQ(ctx->dequeueOutput(&d), 0);
		pool.release(req);
	}
	EXPECT_EQ(ctx->captureCount(), 6u);
	M2MContext::Dequeued d;
	EXPECT_EQ(ctx->dequeueCapture(&d), -EAGAIN);
	// A codec change while streaming is refused and changes nothing.
	EXPECT_EQ(ctx->setOutputFormat(V4L2_PIX_FMT_H264_SLICE, 320, 240, 0), -EBUSY);
	ASSERT_EQ(ctx->captureFormat(&cap), 0);
	EXPECT_EQ(cap.height, 256u);
	EXPECT_TRUE(board_->diagnostics().empty());
}

TEST_F(M2MContextTest, DestroyingReleasesEverything)
{
	{
		std::unique_ptr<M2MContext> ctx;
		ASSERT_EQ(M2MContext::open(board_->io(), rkvdec_, &ctx), 0);
		ASSERT_EQ(ctx->setOutputFormat(V4L2_PIX_FMT_H264_SLICE, 320, 240, 0), 0);
		ASSERT_EQ(ctx->allocateOutput(3), 0);
		uint32_t first, added;
		ASSERT_EQ(ctx->addCapture(4, &first, &added), 0);
		ASSERT_EQ(ctx->streamOn(), 0);
	}
	v4l2emu::BoardStats st = board_->stats();
	EXPECT_EQ(st.openFds, 0u);
	EXPECT_EQ(st.liveMappings, 0u);
	EXPECT_EQ(st.liveMemory, 0u);
	EXPECT_EQ(st.devices[0].openContexts, 0u);
}

} // namespace
} // namespace v4l2va
