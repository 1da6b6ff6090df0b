// SPDX-License-Identifier: MIT
// The HEVC slice header parser on libx265 slices (fields as ffmpeg's trace_headers prints them)
// and on synthetic headers for the syntax x265 does not produce.
#include "hevc_test_stream.h"

#include <gtest/gtest.h>

#include <cstring>

namespace v4l2va::hevc {
namespace {

using namespace test_stream;

TEST(HevcSliceHeader, IdrWithWavefrontEntryPoints)
{
	SliceHeader h;
	uint32_t entries[8] = {};
	ASSERT_EQ(parseSliceHeader(kIdrPoc0, sizeof(kIdrPoc0), streamContext(), &h, entries),
		  ParseStatus::Ok);
	EXPECT_EQ(h.nalUnitType, kNalIdrNLp);
	EXPECT_EQ(h.temporalIdPlus1, 1);
	EXPECT_TRUE(h.firstSliceSegmentInPic);
	EXPECT_FALSE(h.noOutputOfPriorPics);
	EXPECT_EQ(h.sliceType, kSliceI);
	EXPECT_TRUE(h.saoLuma && h.saoChroma);
	EXPECT_EQ(h.sliceQpDelta, 7);
	EXPECT_TRUE(h.loopFilterAcrossSlicesEnabled);
	EXPECT_EQ(h.shortTermRefPicSetBits, 0u);
	ASSERT_EQ(h.numEntryPointOffsets, 2u);
	EXPECT_EQ(entries[0], 621u);	// entry_point_offset_minus1 620, 690
	EXPECT_EQ(entries[1], 691u);
	EXPECT_EQ(h.headerBytes, 8u);	// alignment bits 62-63
}

TEST(HevcSliceHeader, WeightedP)
{
	SliceHeader h;
	uint32_t entries[8] = {};
	ASSERT_EQ(parseSliceHeader(kPPoc3, sizeof(kPPoc3), streamContext(), &h, entries),
		  ParseStatus::Ok);
	EXPECT_EQ(h.nalUnitType, 1);
	EXPECT_EQ(h.sliceType, kSliceP);
	EXPECT_EQ(h.picOrderCntLsb, 3u);
	EXPECT_FALSE(h.shortTermRefPicSetSpsFlag);
	EXPECT_EQ(h.shortTermRefPicSetBits, 8u);	// bits 30..37
	EXPECT_TRUE(h.sliceTemporalMvpEnabled);
	EXPECT_EQ(h.numRefIdxL0ActiveMinus1, 0u);
	EXPECT_EQ(h.fiveMinusMaxNumMergeCand, 2u);	// after the pred_weight_table
	EXPECT_EQ(h.sliceQpDelta, 7);
	EXPECT_FALSE(h.loopFilterAcrossSlicesEnabled);
	ASSERT_EQ(h.numEntryPointOffsets, 2u);
	EXPECT_EQ(entries[0], 10u);
	EXPECT_EQ(entries[1], 121u);
	EXPECT_EQ(h.headerBytes, 11u);
	EXPECT_EQ(h.headerRawBytes, 11u);
}

TEST(HevcSliceHeader, BSlices)
{
	SliceHeader h;
	uint32_t entries[8] = {};
	ASSERT_EQ(parseSliceHeader(kBPoc2, sizeof(kBPoc2), streamContext(), &h, entries),
		  ParseStatus::Ok);
	EXPECT_EQ(h.sliceType, kSliceB);
	EXPECT_EQ(h.picOrderCntLsb, 2u);
	EXPECT_EQ(h.shortTermRefPicSetBits, 12u);
	EXPECT_FALSE(h.collocatedFromL0);
	EXPECT_EQ(h.sliceQpDelta, 9);
	EXPECT_EQ(entries[0], 4u);
	EXPECT_EQ(entries[1], 5u);
	EXPECT_EQ(h.headerBytes, 9u);

	ASSERT_EQ(parseSliceHeader(kBPoc1, sizeof(kBPoc1), streamContext(), &h, entries),
		  ParseStatus::Ok);
	EXPECT_EQ(h.nalUnitType, 0);
	EXPECT_EQ(h.numRefIdxL0ActiveMinus1, 0u);	// override: 0 and 1
	EXPECT_EQ(h.numRefIdxL1ActiveMinus1, 1u);
	EXPECT_EQ(h.collocatedRefIdx, 0u);		// coded: L1 has two entries
	EXPECT_EQ(h.sliceQpDelta, 10);
	EXPECT_TRUE(h.loopFilterAcrossSlicesEnabled);
	EXPECT_EQ(entries[0], 4u);
	EXPECT_EQ(entries[1], 3u);
	EXPECT_EQ(h.headerBytes, 10u);
}

TEST(HevcSliceHeader, CraAndSecondSlice)
{
	SliceHeader h;
	uint32_t entries[8] = {};
	ASSERT_EQ(parseSliceHeader(kCraPoc8, sizeof(kCraPoc8), streamContext(), &h, entries),
		  ParseStatus::Ok);
	EXPECT_EQ(h.nalUnitType, kNalCraNut);
	EXPECT_TRUE(isIrap(h.nalUnitType) && !isIdr(h.nalUnitType));
	EXPECT_EQ(h.picOrderCntLsb, 8u);
	EXPECT_EQ(h.shortTermRefPicSetBits, 18u);	// four unused references
	EXPECT_EQ(h.sliceQpDelta, 6);
	EXPECT_EQ(entries[0], 536u);
	EXPECT_EQ(entries[1], 554u);
	EXPECT_EQ(h.headerBytes, 12u);

	ASSERT_EQ(parseSliceHeader(kTwoSliceP1, sizeof(kTwoSliceP1), streamContext(false), &h,
				   entries),
		  ParseStatus::Ok);
	EXPECT_FALSE(h.firstSliceSegmentInPic);
	EXPECT_EQ(h.sliceSegmentAddress, 3u);
	EXPECT_EQ(h.sliceType, kSliceP);
	EXPECT_EQ(h.shortTermRefPicSetBits, 6u);
	ASSERT_EQ(h.numEntryPointOffsets, 1u);
	EXPECT_EQ(entries[0], 57u);
	EXPECT_EQ(h.headerBytes, 11u);
}

TEST(HevcSliceHeader, SyntheticInterRpsLongTermTilesAndEmulationPrevention)
{
	SliceHeaderContext c;
	c.dependentSliceSegmentsEnabled = true;
	c.log2MaxPicOrderCntLsb = 16;
	c.numShortTermRefPicSets = 2;
	c.shortTermRefPicSetBits = 8;
	c.longTermRefPicsPresent = true;
	c.spsTemporalMvpEnabled = true;
	c.listsModificationPresent = true;
	c.numPicTotalCurr = 3;
	c.cabacInitPresent = true;
	c.deblockingFilterOverrideEnabled = true;
	c.ppsLoopFilterAcrossSlicesEnabled = true;
	c.tilesEnabled = true;
	c.sliceSegmentHeaderExtensionPresent = true;
	c.picSizeInCtbsY = 9;
	BitWriter w;
	w.u(0x0201, 16);		// TRAIL_R, temporal id 0
	w.u(0, 1);			// first_slice_segment_in_pic_flag
	w.ue(0);			// pps id
	w.u(0, 1);			// dependent_slice_segment_flag
	w.u(5, 4);			// slice_segment_address
	w.ue(kSliceP);
	w.u(0, 16);			// slice_pic_order_cnt_lsb: zero bytes to escape
	w.u(0, 1);			// short_term_ref_pic_set_sps_flag
	size_t st = w.bits();
	w.u(1, 1);			// inter_ref_pic_set_prediction_flag
	w.ue(0);			// delta_idx_minus1
	w.u(0, 1);			// delta_rps_sign
	w.ue(0);			// abs_delta_rps_minus1
	w.u(0b1011, 4);			// 3 entries: used; unused + use_delta; used
	ASSERT_EQ(w.bits() - st, 8u);
	size_t lt = w.bits();
	w.ue(1);			// num_long_term_pics
	w.u(0, 16);			// poc_lsb_lt
	w.u(1, 1);			// used_by_curr_pic_lt_flag
	w.u(1, 1);			// delta_poc_msb_present_flag
	w.ue(2);			// delta_poc_msb_cycle_lt
	size_t ltBits = w.bits() - lt;
	w.u(1, 1);			// slice_temporal_mvp_enabled_flag
	w.u(1, 1);			// num_ref_idx_active_override_flag
	w.ue(1);			// num_ref_idx_l0_active_minus1
	w.u(1, 1);			// ref_pic_list_modification_flag_l0
	w.u(2, 2);
	w.u(1, 2);			// list_entry_l0 (Ceil(Log2(3)) bits)
	w.u(1, 1);			// cabac_init_flag
	w.ue(1);			// collocated_ref_idx
	w.ue(1);			// five_minus_max_num_merge_cand
	w.se(-3);			// slice_qp_delta
	w.u(1, 1);			// deblocking_filter_override_flag
	w.u(0, 1);			// slice_deblocking_filter_disabled_flag
	w.se(2);
	w.se(-1);
	w.u(1, 1);			// slice_loop_filter_across_slices_enabled_flag
	w.ue(2);			// num_entry_point_offsets
	w.ue(3);			// offset_len_minus1
	w.u(5, 4);
	w.u(9, 4);
	w.ue(3);			// slice_segment_header_extension_length
	w.u(0, 24);			// zero bytes: escaped
	w.u(1, 1);			// alignment
	while (w.bits() % 8)
		w.u(0, 1);
	size_t headerBits = w.bits();
	w.u(0xa5c3, 16);		// "slice data"
	size_t epb = 0;
	std::vector<uint8_t> nal = w.nal(&epb);
	ASSERT_GE(epb, 1u);

	SliceHeader h;
	uint32_t entries[2] = {};
	ASSERT_EQ(parseSliceHeader(nal.data(), nal.size(), c, &h, entries), ParseStatus::Ok);
	EXPECT_EQ(h.sliceSegmentAddress, 5u);
	EXPECT_EQ(h.shortTermRefPicSetBits, 8u);
	EXPECT_EQ(h.numDeltaPocsOfRefRpsIdx, 2u);
	EXPECT_EQ(h.longTermRefPicSetBits, ltBits);
	EXPECT_EQ(h.numRefIdxL0ActiveMinus1, 1u);
	EXPECT_TRUE(h.cabacInit);
	EXPECT_EQ(h.collocatedRefIdx, 1u);
	EXPECT_EQ(h.fiveMinusMaxNumMergeCand, 1u);
	EXPECT_EQ(h.sliceQpDelta, -3);
	EXPECT_FALSE(h.deblockingFilterDisabled);
	EXPECT_EQ(h.betaOffsetDiv2, 2);
	EXPECT_EQ(h.tcOffsetDiv2, -1);
	EXPECT_EQ(entries[0], 6u);
	EXPECT_EQ(entries[1], 10u);
	EXPECT_EQ(h.headerBytes, headerBits / 8);
	EXPECT_EQ(h.headerRawBytes, headerBits / 8 + epb);	// all escapes are in the header

	// The inter-predicted set cannot be walked without its VA length, nor with a wrong one.
	c.shortTermRefPicSetBits = 0;
	EXPECT_EQ(parseSliceHeader(nal.data(), nal.size(), c, &h, entries), ParseStatus::Invalid);
	c.shortTermRefPicSetBits = 7;
	EXPECT_NE(parseSliceHeader(nal.data(), nal.size(), c, &h, entries), ParseStatus::Ok);
	c.shortTermRefPicSetBits = 8;
	EXPECT_EQ(parseSliceHeader(nal.data(), nal.size(), c, &h, std::span<uint32_t>(entries, 1)),
		  ParseStatus::TooManyEntryPoints);
}

TEST(HevcSliceHeader, BadInput)
{
	SliceHeader h;
	uint32_t entries[8];
	SliceHeaderContext c = streamContext();
	// Every truncation of a header fails cleanly.
	for (size_t n = 0; n < 11; n++)
		EXPECT_EQ(parseSliceHeader(kPPoc3, n, c, &h, entries), ParseStatus::Truncated) << n;
	EXPECT_EQ(parseSliceHeader(nullptr, 10, c, &h, entries), ParseStatus::Truncated);
	uint8_t nal[sizeof(kPPoc3)];
	memcpy(nal, kPPoc3, sizeof(nal));
	nal[0] |= 0x80;		// forbidden_zero_bit
	EXPECT_EQ(parseSliceHeader(nal, sizeof(nal), c, &h, entries), ParseStatus::Invalid);
	nal[0] = 0x42;		// an SPS
	EXPECT_EQ(parseSliceHeader(nal, sizeof(nal), c, &h, entries), ParseStatus::Invalid);
	EXPECT_EQ(parseSliceHeader(kIdrPoc0, sizeof(kIdrPoc0), c, &h,
				   std::span<uint32_t>(entries, 1)),
		  ParseStatus::TooManyEntryPoints);
	// Garbage never reads out of bounds (the sanitizers watch).
	uint32_t seed = 1;
	for (int i = 0; i < 2000; i++) {
		uint8_t junk[24];
		for (uint8_t &b : junk)
			b = static_cast<uint8_t>((seed = seed * 1103515245 + 12345) >> 16);
		junk[0] = 0x02;
		parseSliceHeader(junk, 1 + i % sizeof(junk), c, &h, entries);
	}
}

} // namespace
} // namespace v4l2va::hevc
