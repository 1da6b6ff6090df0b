// SPDX-License-Identifier: MIT
// The VP9 header parsers on real libvpx-vp9 frames: uncompressed-header fields as
// `ffmpeg -bsf:v trace_headers` prints them, compressed-header deltas as GStreamer's parser
// reads them (vp9_test_frames.h), and data cut short or corrupted.
#include "codecs/vp9_headers.h"
#include "vp9_test_frames.h"

#include <gtest/gtest.h>

#include <cstring>

namespace v4l2va {
namespace {

using namespace vp9_frames;

size_t nonZero(const void *p, size_t n)
{
	size_t count = 0;
	for (size_t i = 0; i < n; i++)
		count += static_cast<const uint8_t *>(p)[i] != 0;
	return count;
}

// trace_headers of frames 0, 1 and 7 (values as ffmpeg's cbs_vp9 prints them).
TEST(Vp9Headers, UncompressedHeadersMatchTraceHeaders)
{
	vp9::PersistentState state;
	vp9::FrameHeader h;
	ASSERT_EQ(vp9::parseUncompressedHeader(kKeyFrame, sizeof(kKeyFrame), &state, nullptr, &h),
		  vp9::ParseStatus::Ok);
	EXPECT_TRUE(h.keyFrame && h.showFrame && !h.errorResilient && !h.intraOnly);
	EXPECT_EQ(h.profile, 0);
	EXPECT_EQ(h.colorSpace, 0);
	EXPECT_FALSE(h.colorRangeFull);
	EXPECT_EQ(h.width, 512u);
	EXPECT_EQ(h.height, 64u);
	EXPECT_EQ(h.renderWidth, 512u);
	EXPECT_TRUE(h.refreshFrameContext && h.frameParallelDecodingMode);
	EXPECT_EQ(h.frameContextIdx, 0);
	EXPECT_EQ(h.lfLevel, 0);
	EXPECT_TRUE(h.lfDeltaEnabled && h.lfDeltaUpdate);
	EXPECT_EQ(h.baseQIdx, 10);
	EXPECT_FALSE(h.segEnabled);
	EXPECT_EQ(h.tileColsLog2, 1);
	EXPECT_EQ(h.tileRowsLog2, 0);
	EXPECT_EQ(h.compressedHeaderSize, 97);
	EXPECT_EQ(h.uncompressedHeaderSize, 18u);	// 141 bits + 3 zero bits
	EXPECT_EQ(h.refreshFrameFlags, 0xff);
	EXPECT_EQ(state.lfRefDeltas[0], 1);
	EXPECT_EQ(state.lfRefDeltas[2], -1);

	ASSERT_EQ(vp9::parseUncompressedHeader(kHiddenFrame, sizeof(kHiddenFrame), &state, nullptr,
					       &h),
		  vp9::ParseStatus::Ok);
	EXPECT_FALSE(h.keyFrame || h.showFrame || h.intraOnly);
	EXPECT_EQ(h.resetFrameContext, 0);
	EXPECT_EQ(h.refreshFrameFlags, 4);
	EXPECT_EQ(h.refFrameIdx[0], 0);
	EXPECT_EQ(h.refFrameIdx[1], 1);
	EXPECT_EQ(h.refFrameIdx[2], 2);
	EXPECT_EQ(h.refFrameSignBias, 0);
	EXPECT_TRUE(h.sizeFromRef);	// found_ref[0]: the key frame's 512x64
	EXPECT_EQ(h.width, 512u);
	EXPECT_TRUE(h.allowHighPrecisionMv);
	EXPECT_EQ(h.interpolationFilter, V4L2_VP9_INTERP_FILTER_EIGHTTAP_SMOOTH);	// raw 0
	EXPECT_EQ(h.frameContextIdx, 1);
	EXPECT_EQ(h.lfLevel, 4);
	EXPECT_TRUE(h.lfDeltaEnabled && !h.lfDeltaUpdate);
	EXPECT_EQ(h.baseQIdx, 16);
	EXPECT_EQ(h.compressedHeaderSize, 73);
	EXPECT_EQ(h.uncompressedHeaderSize, 11u);

	ASSERT_EQ(vp9::parseUncompressedHeader(kCompoundFrame, sizeof(kCompoundFrame), &state,
					       nullptr, &h),
		  vp9::ParseStatus::Ok);
	EXPECT_TRUE(h.showFrame);
	EXPECT_EQ(h.refreshFrameFlags, 1);
	EXPECT_EQ(h.refFrameSignBias, V4L2_VP9_SIGN_BIAS_ALT);
	EXPECT_EQ(h.baseQIdx, 45);
	EXPECT_EQ(h.compressedHeaderSize, 6);
}

// GStreamer's parser on the same frames: tx_mode, reference_mode and the non-zero deltas.
TEST(Vp9Headers, CompressedHeaderDeltas)
{
	vp9::PersistentState state;
	vp9::FrameHeader h;
	struct v4l2_ctrl_vp9_compressed_hdr c;
	vp9::CompressedHeaderInfo info;
	auto parse = [&](const uint8_t *frame, size_t size) {
		ASSERT_EQ(vp9::parseUncompressedHeader(frame, size, &state, nullptr, &h),
			  vp9::ParseStatus::Ok);
		ASSERT_EQ(vp9::parseCompressedHeader(frame + h.uncompressedHeaderSize,
						     h.compressedHeaderSize, h, &c, &info),
			  vp9::ParseStatus::Ok);
		EXPECT_TRUE(info.paddingZero);	// the bool decoder ended where libvpx did
	};

	parse(kKeyFrame, sizeof(kKeyFrame));
	EXPECT_EQ(c.tx_mode, V4L2_VP9_TX_MODE_SELECT);
	EXPECT_EQ(c.tx8[1][0], 111);
	EXPECT_EQ(nonZero(c.tx16, sizeof(c.tx16)) + nonZero(c.tx32, sizeof(c.tx32)), 0u);
	EXPECT_EQ(nonZero(c.coef, sizeof(c.coef)), 63u);
	EXPECT_EQ(c.coef[0][0][0][0][0][2], 254);
	EXPECT_EQ(c.coef[0][0][0][0][1][0], 150);
	EXPECT_EQ(c.coef[0][0][0][1][4][0], 98);
	EXPECT_EQ(c.coef[2][1][0][1][5][0], 202);
	EXPECT_EQ(nonZero(c.skip, sizeof(c.skip)), 0u);
	EXPECT_EQ(info.referenceMode, V4L2_VP9_REFERENCE_MODE_SINGLE_REFERENCE);

	parse(kHiddenFrame, sizeof(kHiddenFrame));
	EXPECT_EQ(c.tx_mode, V4L2_VP9_TX_MODE_SELECT);
	EXPECT_EQ(nonZero(c.coef, sizeof(c.coef)), 40u);
	EXPECT_EQ(c.coef[0][0][0][0][1][0], 124);
	EXPECT_EQ(c.coef[2][0][1][5][0][1], 111);
	EXPECT_EQ(c.inter_mode[5][1], 189);
	EXPECT_EQ(nonZero(c.inter_mode, sizeof(c.inter_mode)), 1u);
	EXPECT_EQ(c.is_inter[0], 59);
	EXPECT_EQ(c.y_mode[0][3], 215);
	EXPECT_EQ(c.y_mode[0][4], 163);
	EXPECT_EQ(c.partition[0][0], 59);
	EXPECT_EQ(c.mv.joint[1], 255);	// (127 << 1) | 1
	EXPECT_EQ(nonZero(&c.mv, sizeof(c.mv)), 1u);
	EXPECT_EQ(nonZero(c.uv_mode, sizeof(c.uv_mode)), 0u);	// never coded

	parse(kCompoundFrame, sizeof(kCompoundFrame));
	EXPECT_EQ(c.tx_mode, V4L2_VP9_TX_MODE_ALLOW_8X8);
	EXPECT_EQ(info.referenceMode, V4L2_VP9_REFERENCE_MODE_SELECT);
	EXPECT_EQ(c.mv.sign[1], 255);
	EXPECT_EQ(c.mv.hp[1], 1);
	EXPECT_EQ(nonZero(&c, sizeof(c)), 3u);	// tx_mode and the two above

	// No probability update at all: every delta is zero.
	parse(kStillFrame, sizeof(kStillFrame));
	EXPECT_EQ(c.tx_mode, V4L2_VP9_TX_MODE_ALLOW_8X8);
	EXPECT_EQ(nonZero(&c, sizeof(c)), 1u);
}

TEST(Vp9Headers, TruncatedAndInvalid)
{
	vp9::PersistentState state;
	vp9::FrameHeader h;
	for (size_t n = 0; n < 18; n++)
		EXPECT_EQ(vp9::parseUncompressedHeader(kKeyFrame, n, &state, nullptr, &h),
			  vp9::ParseStatus::Truncated)
			<< n;
	uint8_t bad[sizeof(kKeyFrame)];
	memcpy(bad, kKeyFrame, sizeof(bad));
	bad[1] ^= 0x01;	// frame_sync_code
	EXPECT_EQ(vp9::parseUncompressedHeader(bad, sizeof(bad), &state, nullptr, &h),
		  vp9::ParseStatus::Invalid);
	// An inter frame whose found_ref slot was never filled: the size is unknown.
	vp9::PersistentState fresh;
	EXPECT_EQ(vp9::parseUncompressedHeader(kCompoundFrame, sizeof(kCompoundFrame), &fresh,
					       nullptr, &h),
		  vp9::ParseStatus::Invalid);
	// Compressed header cut short, or starting with the marker bit set.
	ASSERT_EQ(vp9::parseUncompressedHeader(kKeyFrame, sizeof(kKeyFrame), &state, nullptr, &h),
		  vp9::ParseStatus::Ok);
	struct v4l2_ctrl_vp9_compressed_hdr c;
	vp9::CompressedHeaderInfo info;
	EXPECT_EQ(vp9::parseCompressedHeader(kKeyFrame + 18, 40, h, &c, &info),
		  vp9::ParseStatus::Truncated);
	const uint8_t marker[4] = {0xff, 0, 0, 0};
	EXPECT_EQ(vp9::parseCompressedHeader(marker, sizeof(marker), h, &c, &info),
		  vp9::ParseStatus::Invalid);
}

TEST(Vp9Headers, SuperframeIndex)
{
	// Two frames of 0x10 and 0x20 bytes, sizes on one byte: marker 0b110'00'001.
	uint8_t data[0x30 + 4] = {};
	data[0x30] = 0xc1;
	data[0x31] = 0x10;
	data[0x32] = 0x20;
	data[0x33] = 0xc1;
	EXPECT_TRUE(vp9::hasSuperframeIndex(data, sizeof(data)));
	EXPECT_FALSE(vp9::hasSuperframeIndex(data, sizeof(data) - 1));
	EXPECT_FALSE(vp9::hasSuperframeIndex(kStillFrame, sizeof(kStillFrame)));
	EXPECT_FALSE(vp9::hasSuperframeIndex(data + 0x33, 1));	// index longer than the data
}

} // namespace
} // namespace v4l2va
