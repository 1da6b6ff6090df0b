// SPDX-License-Identifier: MIT
// Decoder discovery through the seam, against emulated boards.
#include "v4l2/decoder_finder.h"

#include <v4l2emu/board.h>

#include <gtest/gtest.h>

#include <linux/videodev2.h>

#include <cstdlib>

namespace v4l2va {
namespace {

TEST(DecoderFinder, FresnelHasRkvdecAndHantroWithTheirCodecs)
{
	auto board = v4l2emu::Board::create("fresnel");
	ASSERT_TRUE(board);
	FinderResult r;
	ASSERT_EQ(findDecoders(board->io(), &r), 0);
	ASSERT_EQ(r.decoders.size(), 2u);
	const DecoderNode &rk = r.decoders[0];
	EXPECT_EQ(rk.driver, "rkvdec");
	EXPECT_EQ(rk.videoPath, board->nodes()[0].videoPath);
	EXPECT_TRUE(rk.supports(V4L2_PIX_FMT_H264_SLICE));
	EXPECT_TRUE(rk.supports(V4L2_PIX_FMT_HEVC_SLICE));
	EXPECT_TRUE(rk.supports(V4L2_PIX_FMT_VP9_FRAME));
	EXPECT_FALSE(rk.supports(V4L2_PIX_FMT_MPEG2_SLICE));
	const DecoderNode &hantro = r.decoders[1];
	EXPECT_EQ(hantro.driver, "hantro-vpu");
	EXPECT_EQ(hantro.codedFormats, (std::vector<uint32_t>{V4L2_PIX_FMT_MPEG2_SLICE, V4L2_PIX_FMT_VP8_FRAME}));
	EXPECT_TRUE(r.skipped.empty());
	EXPECT_EQ(board->stats().openFds, 0u) << "probing closes what it opens";
}

TEST(DecoderFinder, KernelVersionKnobChangesWhatRkvdecOffers)
{
	v4l2emu::BoardOptions o;
	o.kernel = v4l2emu::KernelVersion::V6_12;
	auto board = v4l2emu::Board::create("fresnel", o);
	FinderResult r;
	ASSERT_EQ(findDecoders(board->io(), &r), 0);
	ASSERT_EQ(r.decoders.size(), 2u);
	EXPECT_FALSE(r.decoders[0].supports(V4L2_PIX_FMT_HEVC_SLICE)) << "staging rkvdec has no HEVC";
}

TEST(DecoderFinder, SinglePlanarCedrus)
{
	auto board = v4l2emu::Board::create("cedrus");
	FinderResult r;
	ASSERT_EQ(findDecoders(board->io(), &r), 0);
	ASSERT_EQ(r.decoders.size(), 1u);
	EXPECT_FALSE(r.decoders[0].multiplanar);
	EXPECT_EQ(r.decoders[0].codedFormats.size(), 4u);
}

TEST(DecoderFinder, EnvironmentPinsOnePair)
{
	auto board = v4l2emu::Board::create("fresnel");
	auto nodes = board->nodes();
	setenv("LIBVA_V4L2_REQUEST_VIDEO_PATH", nodes[1].videoPath.c_str(), 1);
	setenv("LIBVA_V4L2_REQUEST_MEDIA_PATH", nodes[1].mediaPath.c_str(), 1);
	FinderResult r;
	int ret = findDecoders(board->io(), &r);
	unsetenv("LIBVA_V4L2_REQUEST_VIDEO_PATH");
	unsetenv("LIBVA_V4L2_REQUEST_MEDIA_PATH");
	ASSERT_EQ(ret, 0);
	ASSERT_EQ(r.decoders.size(), 1u);
	EXPECT_EQ(r.decoders[0].driver, "hantro-vpu");
}

TEST(DecoderFinder, EnvironmentNamingNoNodeIsAnError)
{
	auto board = v4l2emu::Board::create("fresnel");
	setenv("LIBVA_V4L2_REQUEST_VIDEO_PATH", "/dev/video-none", 1);
	setenv("LIBVA_V4L2_REQUEST_MEDIA_PATH", "/dev/media-none", 1);
	FinderResult r;
	int ret = findDecoders(board->io(), &r);
	unsetenv("LIBVA_V4L2_REQUEST_VIDEO_PATH");
	unsetenv("LIBVA_V4L2_REQUEST_MEDIA_PATH");
	EXPECT_EQ(ret, -ENOENT);
}

TEST(DecoderFinder, UnpluggedDeviceIsSkippedWithAReason)
{
	auto board = v4l2emu::Board::create("fresnel");
	ASSERT_EQ(board->unplug("rkvdec"), 0);
	FinderResult r;
	ASSERT_EQ(findDecoders(board->io(), &r), 0);
	ASSERT_EQ(r.decoders.size(), 1u);
	EXPECT_EQ(r.decoders[0].driver, "hantro-vpu");
	ASSERT_EQ(r.skipped.size(), 1u);
	EXPECT_NE(r.skipped[0].find("media0"), std::string::npos) << r.skipped[0];
}

} // namespace
} // namespace v4l2va

#include "v4l2/seam.h"

namespace v4l2va {
namespace {

TEST(Seam, KernelUnlessABoardIsNamed)
{
	unsetenv("V4L2VA_EMULATED_BOARD");
	Seam seam;
	std::string error;
	ASSERT_EQ(openSeam(&seam, &error), 0);
	EXPECT_EQ(seam.description, "kernel");
	setenv("V4L2VA_EMULATED_BOARD", "fresnel", 1);
	ASSERT_EQ(openSeam(&seam, &error), 0) << error;
	EXPECT_EQ(seam.description, "emulated fresnel board (mainline)");
	FinderResult r;
	ASSERT_EQ(findDecoders(*seam.io, &r), 0);
	EXPECT_EQ(r.decoders.size(), 2u);
	setenv("V4L2EMU_KERNEL", "7.0", 1);
	EXPECT_EQ(openSeam(&seam, &error), -EINVAL);
	EXPECT_NE(error.find("V4L2EMU_KERNEL"), std::string::npos) << error;
	unsetenv("V4L2EMU_KERNEL");
	setenv("V4L2VA_EMULATED_BOARD", "nope", 1);
	EXPECT_EQ(openSeam(&seam, &error), -EINVAL);
	EXPECT_NE(error.find("unknown board"), std::string::npos) << error;
	unsetenv("V4L2VA_EMULATED_BOARD");
}

} // namespace
} // namespace v4l2va
