// SPDX-License-Identifier: MIT
// The H.264 slice header parser on slices of real libx264 streams (High/CABAC with B-frames and
// weighted P, Constrained Baseline/CAVLC with two slices per picture, MBAFF), expected values
// from ffmpeg -bsf:v trace_headers, and on synthetic headers reaching every syntax branch.
#include "codecs/h264_slice_header.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace v4l2va {
namespace {

// ffmpeg -f lavfi -i testsrc=size=176x144:rate=25 -frames:v 5 -pix_fmt yuv420p -c:v libx264
//   -profile:v high -x264-params bframes=2:b-adapt=0:b-pyramid=none:ref=3:weightp=2:direct=spatial
// SPS: log2_max_frame_num 4, POC type 0 with 5 lsb bits, 3 refs, 11x9 MBs. PPS: CABAC,
// num_ref_idx_l0_default_active_minus1 2, weighted_pred 1, weighted_bipred_idc 2, init_qp -3,
// chroma offsets -2, 8x8 transform. Decode order IDR(poc 0) P(6) B(2) B(4) P(8); the first
// bytes of each slice NAL unit (the headers fit in them).
const uint8_t kHighIdr[] = {0x65, 0x88, 0x84, 0x00, 0x67, 0xff, 0xfe, 0xf6, 0xec, 0xbe, 0x05,
			    0x36, 0x14, 0xa2, 0x3b, 0x00, 0xb7, 0x39, 0x78, 0x01};
const uint8_t kHighP1[] = {0x41, 0x9a, 0x26, 0xd8, 0x85, 0xff, 0xfe, 0x8d, 0x03, 0xbe, 0x63, 0x09};
const uint8_t kHighB[] = {0x01, 0x9e, 0x42, 0xf2, 0x15, 0xff, 0x0f, 0x1a, 0x72, 0x83, 0x08, 0xfe,
			  0xb9, 0xe2, 0x20, 0x5f, 0x57, 0xe2, 0xf3, 0x1b, 0xc4, 0xb0, 0x81};
// P, frame_num 2, no override (3 refs), list0 modified to P1 P1 IDR, weights on entry 1.
const uint8_t kHighP2[] = {0x41, 0x9a, 0x48, 0x78, 0x43, 0x26, 0x53, 0x08, 0x57, 0xff, 0xfe, 0x38,
			   0x40, 0x13, 0x3f, 0xa2, 0x6a, 0x46, 0xce, 0x18, 0x5d, 0x3c, 0xed, 0x6d};
// -profile:v baseline -x264-params slices=2: CAVLC, POC type 2, the IDR's second slice.
const uint8_t kBaseIdr1[] = {0x65, 0x07, 0x02, 0x21, 0x02, 0x5f, 0xfa, 0x7d, 0x28, 0x11, 0x51,
			     0x40, 0x00, 0x40, 0x07, 0xc0};
// -profile:v high -x264-params interlaced=1:tff=1: MBAFF, 11x5 map units, POC lsb 4 bits with
// delta_pic_order_cnt_bottom, the IDR.
const uint8_t kMbaffIdr[] = {0x65, 0x88, 0x82, 0x2c, 0x0c, 0xff, 0xf6, 0xf6, 0xec, 0xbe, 0x05,
			     0x36, 0x14, 0xc8, 0x8c, 0x42};

H264HeaderSyntax highSyntax()
{
	H264HeaderSyntax s;
	s.log2MaxPicOrderCntLsb = 5;
	s.weightedPred = true;
	s.weightedBipredIdc = 2;
	s.entropyCodingMode = true;
	s.deblockingFilterControlPresent = true;
	s.picSizeInMapUnits = 99;
	s.numRefIdxL0DefaultMinus1 = 2;
	return s;
}

TEST(H264SliceHeader, CabacIdr)
{
	H264SliceHeader h;
	ASSERT_TRUE(parseH264SliceHeader(kHighIdr, sizeof(kHighIdr), highSyntax(), &h));
	EXPECT_EQ(h.nalRefIdc, 3);
	EXPECT_EQ(h.nalUnitType, kH264NalIdrSlice);
	EXPECT_EQ(h.sliceType, kH264SliceI);
	EXPECT_EQ(h.idrPicId, 0);
	EXPECT_EQ(h.picOrderCntBitSize, 5u);		// bits 22..26
	EXPECT_EQ(h.decRefPicMarkingBitSize, 2u);	// no_output_of_prior_pics, long_term_ref
	EXPECT_EQ(h.sliceQpDelta, -12);
	EXPECT_EQ(h.headerBitSize, 41u);		// before cabac_alignment_one_bit
}

TEST(H264SliceHeader, WeightedPWithListModification)
{
	H264SliceHeader h;
	ASSERT_TRUE(parseH264SliceHeader(kHighP2, sizeof(kHighP2), highSyntax(), &h));
	EXPECT_EQ(h.nalRefIdc, 2);
	EXPECT_EQ(h.sliceType, kH264SliceP);
	EXPECT_EQ(h.frameNum, 2);
	EXPECT_EQ(h.picOrderCntLsb, 8);
	EXPECT_FALSE(h.numRefIdxActiveOverride);
	EXPECT_EQ(h.numRefIdxL0ActiveMinus1, 2);
	EXPECT_TRUE(h.hasPredWeightTable);
	EXPECT_EQ(h.lumaLog2WeightDenom, 0);
	EXPECT_EQ(h.decRefPicMarkingBitSize, 1u);	// adaptive_ref_pic_marking_mode_flag
	EXPECT_EQ(h.cabacInitIdc, 0);
	EXPECT_EQ(h.sliceQpDelta, -10);
	EXPECT_EQ(h.headerBitSize, 73u);

	ASSERT_TRUE(parseH264SliceHeader(kHighP1, sizeof(kHighP1), highSyntax(), &h));
	EXPECT_TRUE(h.numRefIdxActiveOverride);
	EXPECT_EQ(h.numRefIdxL0ActiveMinus1, 0);
	EXPECT_EQ(h.picOrderCntLsb, 6);
	EXPECT_EQ(h.headerBitSize, 45u);
}

TEST(H264SliceHeader, NonReferenceBSlice)
{
	H264HeaderSyntax s = highSyntax();
	H264SliceHeader h;
	ASSERT_TRUE(parseH264SliceHeader(kHighB, sizeof(kHighB), s, &h));
	EXPECT_EQ(h.nalRefIdc, 0);
	EXPECT_EQ(h.sliceType, kH264SliceB);
	EXPECT_EQ(h.picOrderCntLsb, 2);
	EXPECT_TRUE(h.directSpatialMvPred);
	EXPECT_TRUE(h.numRefIdxActiveOverride);
	EXPECT_EQ(h.numRefIdxL0ActiveMinus1, 0);
	EXPECT_EQ(h.numRefIdxL1ActiveMinus1, 0);
	EXPECT_FALSE(h.hasPredWeightTable);		// implicit weights (weighted_bipred_idc 2)
	EXPECT_EQ(h.decRefPicMarkingBitSize, 0u);
	EXPECT_EQ(h.sliceQpDelta, -10);
	EXPECT_EQ(h.headerBitSize, 43u);
}

TEST(H264SliceHeader, CavlcSecondSliceAndMbaff)
{
	H264HeaderSyntax s;
	s.picOrderCntType = 2;
	s.deblockingFilterControlPresent = true;
	s.picSizeInMapUnits = 99;
	H264SliceHeader h;
	ASSERT_TRUE(parseH264SliceHeader(kBaseIdr1, sizeof(kBaseIdr1), s, &h));
	EXPECT_EQ(h.firstMbInSlice, 55u);
	EXPECT_EQ(h.sliceType, kH264SliceI);
	EXPECT_EQ(h.picOrderCntBitSize, 0u);
	EXPECT_EQ(h.sliceQpDelta, 9);
	EXPECT_EQ(h.headerBitSize, 46u);

	H264HeaderSyntax m = highSyntax();
	m.log2MaxPicOrderCntLsb = 4;
	m.frameMbsOnly = false;
	m.bottomFieldPicOrderInFramePresent = true;
	m.weightedPred = false;
	m.weightedBipredIdc = 0;
	m.picSizeInMapUnits = 55;
	ASSERT_TRUE(parseH264SliceHeader(kMbaffIdr, sizeof(kMbaffIdr), m, &h));
	EXPECT_FALSE(h.fieldPic);
	EXPECT_EQ(h.picOrderCntLsb, 1);
	EXPECT_EQ(h.deltaPicOrderCntBottom, -1);
	EXPECT_EQ(h.picOrderCntBitSize, 7u);		// u(4) + se(-1)
	EXPECT_EQ(h.headerBitSize, 44u);
}

/// Writes RBSP bits and returns them as a NAL unit with emulation prevention.
class BitWriter {
public:
	void u(unsigned bits, uint32_t v)
	{
		for (unsigned i = bits; i-- > 0;)
			bits_.push_back((v >> i) & 1);
	}
	void ue(uint32_t v)
	{
		uint64_t x = v + 1ull;
		unsigned n = 0;
		while ((x >> (n + 1)) != 0)
			n++;
		u(n, 0);
		for (unsigned i = n + 1; i-- > 0;)
			bits_.push_back((x >> i) & 1);
	}
	void se(int32_t v) { ue(v > 0 ? 2u * v - 1 : 2u * static_cast<uint32_t>(-v)); }
	size_t pos() const { return bits_.size(); }
	std::vector<uint8_t> nal() const
	{
		std::vector<uint8_t> b = bits_;
		b.push_back(1);		// rbsp_stop_one_bit, then some slice data
		while (b.size() % 8 || b.size() < bits_.size() + 64)
			b.push_back(0);
		std::vector<uint8_t> out;
		unsigned zeros = 0;
		for (size_t i = 0; i < b.size(); i += 8) {
			uint8_t byte = 0;
			for (size_t j = 0; j < 8; j++)
				byte = (byte << 1) | b[i + j];
			if (zeros >= 2 && byte <= 3) {
				out.push_back(3);
				zeros = 0;
			}
			out.push_back(byte);
			zeros = byte ? 0 : zeros + 1;
		}
		return out;
	}

private:
	std::vector<uint8_t> bits_;
};

TEST(H264SliceHeader, SyntheticSpFieldSliceWithEveryBranch)
{
	H264HeaderSyntax s;
	s.log2MaxFrameNum = 5;
	s.picOrderCntType = 1;
	s.frameMbsOnly = false;
	s.bottomFieldPicOrderInFramePresent = true;
	s.redundantPicCntPresent = true;
	s.weightedPred = true;
	s.entropyCodingMode = true;
	s.deblockingFilterControlPresent = true;
	s.numSliceGroupsMinus1 = 1;
	s.sliceGroupMapType = 4;
	s.sliceGroupChangeRateMinus1 = 15;
	s.picSizeInMapUnits = 64;	// change cycle: Ceil(Log2(64 / 16 + 1)) = 3 bits

	BitWriter w;
	w.u(8, 0x21);			// nal_ref_idc 1, non-IDR slice
	w.ue(3);			// first_mb_in_slice
	w.ue(3);			// SP
	w.ue(2);			// pic_parameter_set_id
	w.u(5, 7);			// frame_num
	w.u(1, 1);			// field_pic_flag
	w.u(1, 1);			// bottom_field_flag
	size_t poc = w.pos();
	w.se(-3);			// delta_pic_order_cnt[0]; no [1] for a field
	size_t pocEnd = w.pos();
	w.ue(2);			// redundant_pic_cnt
	w.u(1, 1);			// num_ref_idx_active_override_flag
	w.ue(4);			// num_ref_idx_l0_active_minus1
	w.u(1, 1);			// ref_pic_list_modification_flag_l0
	w.ue(0), w.ue(2), w.ue(2), w.ue(1), w.ue(3);
	w.ue(5);			// luma_log2_weight_denom
	w.ue(3);			// chroma_log2_weight_denom
	for (int i = 0; i < 5; i++) {
		w.u(1, i & 1);
		if (i & 1)
			w.se(-7), w.se(12);
		w.u(1, i == 2);
		if (i == 2)
			w.se(1), w.se(-1), w.se(2), w.se(-2);
	}
	size_t marking = w.pos();
	w.u(1, 1);			// adaptive_ref_pic_marking_mode_flag
	w.ue(1), w.ue(0);		// mmco 1
	w.ue(3), w.ue(1), w.ue(0);	// mmco 3
	w.ue(2), w.ue(4);		// mmco 2
	w.ue(6), w.ue(1);		// mmco 6
	w.ue(4), w.ue(2);		// mmco 4
	w.ue(0);
	size_t markingEnd = w.pos();
	w.ue(1);			// cabac_init_idc
	w.se(-4);			// slice_qp_delta
	w.u(1, 1);			// sp_for_switch_flag
	w.se(5);			// slice_qs_delta
	w.ue(0), w.se(-2), w.se(3);	// deblocking
	w.u(3, 5);			// slice_group_change_cycle
	size_t end = w.pos();
	std::vector<uint8_t> nal = w.nal();

	H264SliceHeader h;
	ASSERT_TRUE(parseH264SliceHeader(nal.data(), nal.size(), s, &h));
	EXPECT_EQ(h.nalRefIdc, 1);
	EXPECT_EQ(h.firstMbInSlice, 3u);
	EXPECT_EQ(h.sliceType, kH264SliceSP);
	EXPECT_EQ(h.picParameterSetId, 2);
	EXPECT_EQ(h.frameNum, 7);
	EXPECT_TRUE(h.fieldPic);
	EXPECT_TRUE(h.bottomField);
	EXPECT_EQ(h.deltaPicOrderCnt[0], -3);
	EXPECT_EQ(h.picOrderCntBitSize, pocEnd - poc);
	EXPECT_EQ(h.redundantPicCnt, 2);
	EXPECT_EQ(h.numRefIdxL0ActiveMinus1, 4);
	EXPECT_EQ(h.lumaLog2WeightDenom, 5);
	EXPECT_EQ(h.chromaLog2WeightDenom, 3);
	EXPECT_TRUE(h.adaptiveRefPicMarking);
	EXPECT_EQ(h.decRefPicMarkingBitSize, markingEnd - marking);
	EXPECT_EQ(h.cabacInitIdc, 1);
	EXPECT_EQ(h.sliceQpDelta, -4);
	EXPECT_TRUE(h.spForSwitch);
	EXPECT_EQ(h.sliceQsDelta, 5);
	EXPECT_EQ(h.sliceAlphaC0OffsetDiv2, -2);
	EXPECT_EQ(h.sliceBetaOffsetDiv2, 3);
	EXPECT_EQ(h.sliceGroupChangeCycle, 5u);
	EXPECT_EQ(h.headerBitSize, end);

	// Out-of-range values and truncation are refused.
	std::vector<uint8_t> cut(nal.begin(), nal.begin() + 6);
	EXPECT_FALSE(parseH264SliceHeader(cut.data(), cut.size(), s, &h));
	H264HeaderSyntax noFmo = s;
	noFmo.numSliceGroupsMinus1 = 0;		// the 3 cycle bits become slice data: still fine
	EXPECT_TRUE(parseH264SliceHeader(nal.data(), nal.size(), noFmo, &h));
	EXPECT_EQ(h.headerBitSize, end - 3);
}

TEST(H264SliceHeader, BitSizesCountRbspBits)
{
	// 16-bit frame_num and POC lsb of zero: 32 zero bits in a row, so the NAL unit carries
	// emulation-prevention bytes inside the counted syntax.
	H264HeaderSyntax s;
	s.log2MaxFrameNum = 16;
	s.log2MaxPicOrderCntLsb = 16;
	BitWriter w;
	w.u(8, 0x41);
	w.ue(0), w.ue(7), w.ue(0);
	w.u(16, 0);			// frame_num
	w.u(16, 5);			// pic_order_cnt_lsb
	w.u(1, 0);			// adaptive_ref_pic_marking_mode_flag
	w.se(-1);
	size_t end = w.pos();
	std::vector<uint8_t> nal = w.nal();
	ASSERT_NE(std::find(nal.begin(), nal.begin() + 8, 0x03), nal.begin() + 8);

	H264SliceHeader h;
	ASSERT_TRUE(parseH264SliceHeader(nal.data(), nal.size(), s, &h));
	EXPECT_EQ(h.picOrderCntLsb, 5);
	EXPECT_EQ(h.picOrderCntBitSize, 16u);
	EXPECT_EQ(h.decRefPicMarkingBitSize, 1u);
	EXPECT_EQ(h.sliceQpDelta, -1);
	EXPECT_EQ(h.headerBitSize, end);
}

TEST(H264SliceHeader, RefusesOtherNalUnitsAndShortInput)
{
	const uint8_t sps[] = {0x67, 0x64, 0x00, 0x0b, 0xac, 0xd1, 0x02, 0xc4};
	const uint8_t forbidden[] = {0xe5, 0x88, 0x84, 0x00};
	H264SliceHeader h;
	EXPECT_FALSE(parseH264SliceHeader(sps, sizeof(sps), highSyntax(), &h));
	EXPECT_FALSE(parseH264SliceHeader(forbidden, sizeof(forbidden), highSyntax(), &h));
	EXPECT_FALSE(parseH264SliceHeader(kHighP2, 4, highSyntax(), &h));
	EXPECT_FALSE(parseH264SliceHeader(kHighP2, 1, highSyntax(), &h));
	EXPECT_FALSE(parseH264SliceHeader(nullptr, 0, highSyntax(), &h));
}

} // namespace
} // namespace v4l2va
