// SPDX-License-Identifier: MIT
// Spec §6.4: CCORE:std_validate_compound, one test per rule (reject or sanitise), run
// through validateCompoundElement exactly as S/TRY_EXT_CTRLS do.
#include "codecs/codec.h"

#include <gtest/gtest.h>

#include <linux/v4l2-controls.h>

#include <cerrno>

namespace v4l2emu {
namespace {

template<typename T> int validate(uint32_t type, T &v)
{
	return validateCompoundElement(type, &v);
}

struct v4l2_ctrl_h264_sps goodSps()
{
	struct v4l2_ctrl_h264_sps s {};
	s.profile_idc = 100;
	s.chroma_format_idc = 1;
	return s;
}

// MPEG-2
TEST(StdValidateMpeg2Sequence, ChromaFormatOutside1To3_Einval)
{
	struct v4l2_ctrl_mpeg2_sequence s {};
	s.chroma_format = 0;
	EXPECT_EQ(validate(V4L2_CTRL_TYPE_MPEG2_SEQUENCE, s), -EINVAL);
	s.chroma_format = 4;
	EXPECT_EQ(validate(V4L2_CTRL_TYPE_MPEG2_SEQUENCE, s), -EINVAL);
	s.chroma_format = 3;
	EXPECT_EQ(validate(V4L2_CTRL_TYPE_MPEG2_SEQUENCE, s), 0);
}

TEST(StdValidateMpeg2Picture, IntraDcPrecisionAbove3_Einval)
{
	struct v4l2_ctrl_mpeg2_picture p {};
	p.picture_structure = V4L2_MPEG2_PIC_FRAME;
	p.picture_coding_type = V4L2_MPEG2_PIC_CODING_TYPE_I;
	p.intra_dc_precision = 4;
	EXPECT_EQ(validate(V4L2_CTRL_TYPE_MPEG2_PICTURE, p), -EINVAL);
	p.intra_dc_precision = 3;
	EXPECT_EQ(validate(V4L2_CTRL_TYPE_MPEG2_PICTURE, p), 0);
}

TEST(StdValidateMpeg2Picture, PictureStructureUnknown_Einval)
{
	struct v4l2_ctrl_mpeg2_picture p {};
	p.picture_coding_type = V4L2_MPEG2_PIC_CODING_TYPE_P;
	p.picture_structure = 0;
	EXPECT_EQ(validate(V4L2_CTRL_TYPE_MPEG2_PICTURE, p), -EINVAL);
}

TEST(StdValidateMpeg2Picture, CodingTypeUnknown_Einval)
{
	struct v4l2_ctrl_mpeg2_picture p {};
	p.picture_structure = V4L2_MPEG2_PIC_TOP_FIELD;
	p.picture_coding_type = 4;	// D pictures are not decoded
	EXPECT_EQ(validate(V4L2_CTRL_TYPE_MPEG2_PICTURE, p), -EINVAL);
}

TEST(StdValidateMpeg2Picture, ReservedZeroed)
{
	struct v4l2_ctrl_mpeg2_picture p {};
	p.picture_structure = V4L2_MPEG2_PIC_FRAME;
	p.picture_coding_type = V4L2_MPEG2_PIC_CODING_TYPE_B;
	p.reserved[0] = 7;
	ASSERT_EQ(validate(V4L2_CTRL_TYPE_MPEG2_PICTURE, p), 0);
	EXPECT_EQ(p.reserved[0], 0);
}

TEST(StdValidateNoChecks, QuantisationScalingMatricesTileGroup)
{
	struct v4l2_ctrl_mpeg2_quantisation q;
	memset(&q, 0xff, sizeof(q));
	EXPECT_EQ(validate(V4L2_CTRL_TYPE_MPEG2_QUANTISATION, q), 0);
	struct v4l2_ctrl_h264_scaling_matrix h;
	memset(&h, 0xff, sizeof(h));
	EXPECT_EQ(validate(V4L2_CTRL_TYPE_H264_SCALING_MATRIX, h), 0);
	struct v4l2_ctrl_hevc_scaling_matrix hv;
	memset(&hv, 0xff, sizeof(hv));
	EXPECT_EQ(validate(V4L2_CTRL_TYPE_HEVC_SCALING_MATRIX, hv), 0);
	struct v4l2_ctrl_av1_tile_group_entry t;
	memset(&t, 0xff, sizeof(t));
	EXPECT_EQ(validate(V4L2_CTRL_TYPE_AV1_TILE_GROUP_ENTRY, t), 0);
}

TEST(StdValidateFwht, VersionOrZeroSize_Einval)
{
	struct v4l2_ctrl_fwht_params f {};
	f.version = V4L2_FWHT_VERSION - 1;
	f.width = f.height = 16;
	EXPECT_EQ(validate(V4L2_CTRL_TYPE_FWHT_PARAMS, f), -EINVAL);
	f.version = V4L2_FWHT_VERSION;
	f.width = 0;
	EXPECT_EQ(validate(V4L2_CTRL_TYPE_FWHT_PARAMS, f), -EINVAL);
	f.width = 16;
	EXPECT_EQ(validate(V4L2_CTRL_TYPE_FWHT_PARAMS, f), 0);
}

// H.264 SPS
TEST(StdValidateH264Sps, PocType0ZeroesPocType1Fields)
{
	auto s = goodSps();
	s.pic_order_cnt_type = 0;
	s.offset_for_non_ref_pic = 5;
	s.offset_for_ref_frame[3] = 9;
	ASSERT_EQ(validate(V4L2_CTRL_TYPE_H264_SPS, s), 0);
	EXPECT_EQ(s.offset_for_non_ref_pic, 0);
	EXPECT_EQ(s.offset_for_ref_frame[3], 0);
}

TEST(StdValidateH264Sps, PocTypeNot0ZeroesLsb)
{
	auto s = goodSps();
	s.pic_order_cnt_type = 2;
	s.log2_max_pic_order_cnt_lsb_minus4 = 7;
	ASSERT_EQ(validate(V4L2_CTRL_TYPE_H264_SPS, s), 0);
	EXPECT_EQ(s.log2_max_pic_order_cnt_lsb_minus4, 0);
}

TEST(StdValidateH264Sps, ProfileWithoutChromaFormatForces420)
{
	auto s = goodSps();
	s.profile_idc = 77;	// Main
	s.chroma_format_idc = 3;
	s.bit_depth_luma_minus8 = 2;
	s.flags = V4L2_H264_SPS_FLAG_QPPRIME_Y_ZERO_TRANSFORM_BYPASS;
	ASSERT_EQ(validate(V4L2_CTRL_TYPE_H264_SPS, s), 0);
	EXPECT_EQ(s.chroma_format_idc, 1);
	EXPECT_EQ(s.bit_depth_luma_minus8, 0);
	EXPECT_FALSE(s.flags & V4L2_H264_SPS_FLAG_QPPRIME_Y_ZERO_TRANSFORM_BYPASS);
}

TEST(StdValidateH264Sps, ChromaBelow3ClearsSeparateColourPlane)
{
	auto s = goodSps();
	s.flags = V4L2_H264_SPS_FLAG_SEPARATE_COLOUR_PLANE;
	ASSERT_EQ(validate(V4L2_CTRL_TYPE_H264_SPS, s), 0);
	EXPECT_FALSE(s.flags & V4L2_H264_SPS_FLAG_SEPARATE_COLOUR_PLANE);
}

TEST(StdValidateH264Sps, FrameMbsOnlyClearsMbaff)
{
	auto s = goodSps();
	s.flags = V4L2_H264_SPS_FLAG_FRAME_MBS_ONLY | V4L2_H264_SPS_FLAG_MB_ADAPTIVE_FRAME_FIELD;
	ASSERT_EQ(validate(V4L2_CTRL_TYPE_H264_SPS, s), 0);
	EXPECT_FALSE(s.flags & V4L2_H264_SPS_FLAG_MB_ADAPTIVE_FRAME_FIELD);
}

TEST(StdValidateH264Sps, ChromaAbove1WithProfileBelow122_Einval)
{
	auto s = goodSps();
	s.profile_idc = 110;
	s.chroma_format_idc = 2;
	EXPECT_EQ(validate(V4L2_CTRL_TYPE_H264_SPS, s), -EINVAL);
}

TEST(StdValidateH264Sps, ChromaAbove2WithProfileBelow244_Einval)
{
	auto s = goodSps();
	s.profile_idc = 122;
	s.chroma_format_idc = 3;
	EXPECT_EQ(validate(V4L2_CTRL_TYPE_H264_SPS, s), -EINVAL);
}

TEST(StdValidateH264Sps, ChromaAbove3_Einval)
{
	auto s = goodSps();
	s.profile_idc = 244;
	s.chroma_format_idc = 4;
	EXPECT_EQ(validate(V4L2_CTRL_TYPE_H264_SPS, s), -EINVAL);
}

TEST(StdValidateH264Sps, BitDepthAbove14_Einval)
{
	auto s = goodSps();
	s.bit_depth_chroma_minus8 = 7;
	EXPECT_EQ(validate(V4L2_CTRL_TYPE_H264_SPS, s), -EINVAL);
}

TEST(StdValidateH264Sps, Log2MaxFrameNumAbove12_Einval)
{
	auto s = goodSps();
	s.log2_max_frame_num_minus4 = 13;
	EXPECT_EQ(validate(V4L2_CTRL_TYPE_H264_SPS, s), -EINVAL);
}

TEST(StdValidateH264Sps, PocTypeAbove2_Einval)
{
	auto s = goodSps();
	s.pic_order_cnt_type = 3;
	EXPECT_EQ(validate(V4L2_CTRL_TYPE_H264_SPS, s), -EINVAL);
}

TEST(StdValidateH264Sps, Log2MaxPocLsbAbove12_Einval)
{
	auto s = goodSps();
	s.log2_max_pic_order_cnt_lsb_minus4 = 13;
	EXPECT_EQ(validate(V4L2_CTRL_TYPE_H264_SPS, s), -EINVAL);
}

TEST(StdValidateH264Sps, MaxNumRefFramesAbove32_Einval)
{
	auto s = goodSps();
	s.max_num_ref_frames = 33;
	EXPECT_EQ(validate(V4L2_CTRL_TYPE_H264_SPS, s), -EINVAL);
	s.max_num_ref_frames = 32;
	EXPECT_EQ(validate(V4L2_CTRL_TYPE_H264_SPS, s), 0);
}

// H.264 PPS
TEST(StdValidateH264Pps, RangeChecks_Einval)
{
	auto check = [](auto mutate) {
		struct v4l2_ctrl_h264_pps p {};
		mutate(p);
		return validateCompoundElement(V4L2_CTRL_TYPE_H264_PPS, &p);
	};
	EXPECT_EQ(check([](auto &p) { p.num_slice_groups_minus1 = 8; }), -EINVAL);
	EXPECT_EQ(check([](auto &p) { p.num_ref_idx_l0_default_active_minus1 = 32; }), -EINVAL);
	EXPECT_EQ(check([](auto &p) { p.num_ref_idx_l1_default_active_minus1 = 32; }), -EINVAL);
	EXPECT_EQ(check([](auto &p) { p.weighted_bipred_idc = 3; }), -EINVAL);
	EXPECT_EQ(check([](auto &p) { p.pic_init_qp_minus26 = -63; }), -EINVAL);
	EXPECT_EQ(check([](auto &p) { p.pic_init_qp_minus26 = 26; }), -EINVAL);
	EXPECT_EQ(check([](auto &p) { p.pic_init_qs_minus26 = -27; }), -EINVAL);
	EXPECT_EQ(check([](auto &p) { p.chroma_qp_index_offset = 13; }), -EINVAL);
	EXPECT_EQ(check([](auto &p) { p.second_chroma_qp_index_offset = -13; }), -EINVAL);
	EXPECT_EQ(check([](auto &p) { p.pic_init_qp_minus26 = -62; }), 0);
}

TEST(StdValidateH264PredWeights, DenomAbove7_Einval)
{
	struct v4l2_ctrl_h264_pred_weights w {};
	w.luma_log2_weight_denom = 8;
	EXPECT_EQ(validate(V4L2_CTRL_TYPE_H264_PRED_WEIGHTS, w), -EINVAL);
	w.luma_log2_weight_denom = 7;
	w.chroma_log2_weight_denom = 8;
	EXPECT_EQ(validate(V4L2_CTRL_TYPE_H264_PRED_WEIGHTS, w), -EINVAL);
}

TEST(StdValidateH264SliceParams, DirectSpatialClearedUnlessB)
{
	struct v4l2_ctrl_h264_slice_params s {};
	s.slice_type = V4L2_H264_SLICE_TYPE_P;
	s.flags = V4L2_H264_SLICE_FLAG_DIRECT_SPATIAL_MV_PRED;
	ASSERT_EQ(validate(V4L2_CTRL_TYPE_H264_SLICE_PARAMS, s), 0);
	EXPECT_FALSE(s.flags & V4L2_H264_SLICE_FLAG_DIRECT_SPATIAL_MV_PRED);
}

TEST(StdValidateH264SliceParams, RangeChecks_Einval)
{
	auto check = [](auto mutate) {
		struct v4l2_ctrl_h264_slice_params s {};
		s.slice_type = V4L2_H264_SLICE_TYPE_B;
		mutate(s);
		return validateCompoundElement(V4L2_CTRL_TYPE_H264_SLICE_PARAMS, &s);
	};
	EXPECT_EQ(check([](auto &s) { s.colour_plane_id = 3; }), -EINVAL);
	EXPECT_EQ(check([](auto &s) { s.cabac_init_idc = 3; }), -EINVAL);
	EXPECT_EQ(check([](auto &s) { s.disable_deblocking_filter_idc = 3; }), -EINVAL);
	EXPECT_EQ(check([](auto &s) { s.slice_alpha_c0_offset_div2 = 7; }), -EINVAL);
	EXPECT_EQ(check([](auto &s) { s.slice_beta_offset_div2 = -7; }), -EINVAL);
	EXPECT_EQ(check([](auto &s) { s.num_ref_idx_l0_active_minus1 = 32; }), -EINVAL);
	EXPECT_EQ(check([](auto &s) { s.num_ref_idx_l1_active_minus1 = 32; }), -EINVAL);
}

TEST(StdValidateH264SliceParams, IntraZeroesL0AndNonBZeroesL1)
{
	struct v4l2_ctrl_h264_slice_params s {};
	s.slice_type = V4L2_H264_SLICE_TYPE_I;
	s.num_ref_idx_l0_active_minus1 = 40;	// would be rejected if not zeroed first
	s.num_ref_idx_l1_active_minus1 = 40;
	s.reserved = 1;
	ASSERT_EQ(validate(V4L2_CTRL_TYPE_H264_SLICE_PARAMS, s), 0);
	EXPECT_EQ(s.num_ref_idx_l0_active_minus1, 0);
	EXPECT_EQ(s.num_ref_idx_l1_active_minus1, 0);
	EXPECT_EQ(s.reserved, 0);
}

TEST(StdValidateH264DecodeParams, NalRefIdcAbove3_EinvalAndReservedZeroed)
{
	struct v4l2_ctrl_h264_decode_params d {};
	d.nal_ref_idc = 4;
	EXPECT_EQ(validate(V4L2_CTRL_TYPE_H264_DECODE_PARAMS, d), -EINVAL);
	d.nal_ref_idc = 3;
	d.dpb[5].reserved[0] = 9;
	d.reserved = 9;
	ASSERT_EQ(validate(V4L2_CTRL_TYPE_H264_DECODE_PARAMS, d), 0);
	EXPECT_EQ(d.dpb[5].reserved[0], 0);
	EXPECT_EQ(d.reserved, 0);
}

// VP8
TEST(StdValidateVp8Frame, NumDctPartsNot1248_Einval)
{
	struct v4l2_ctrl_vp8_frame f {};
	for (uint8_t n : {0, 3, 5, 9}) {
		f.num_dct_parts = n;
		EXPECT_EQ(validate(V4L2_CTRL_TYPE_VP8_FRAME, f), -EINVAL) << int(n);
	}
	f.num_dct_parts = 8;
	f.segment.padding = 3;
	ASSERT_EQ(validate(V4L2_CTRL_TYPE_VP8_FRAME, f), 0);
	EXPECT_EQ(f.segment.padding, 0) << "padding zeroed";
}

// HEVC
TEST(StdValidateHevcSps, NeverRejectsZeroesPcmAndLongTerm)
{
	struct v4l2_ctrl_hevc_sps s;
	memset(&s, 0x7f, sizeof(s));
	s.flags = 0;
	ASSERT_EQ(validate(V4L2_CTRL_TYPE_HEVC_SPS, s), 0);
	EXPECT_EQ(s.pcm_sample_bit_depth_luma_minus1, 0);
	EXPECT_EQ(s.log2_diff_max_min_pcm_luma_coding_block_size, 0);
	EXPECT_EQ(s.num_long_term_ref_pics_sps, 0);
}

TEST(StdValidateHevcPps, SanitisesWhenFeaturesAreOff)
{
	struct v4l2_ctrl_hevc_pps p {};
	p.diff_cu_qp_delta_depth = 3;
	p.num_tile_columns_minus1 = 30;	// ignored (and zeroed) without TILES
	p.flags = V4L2_HEVC_PPS_FLAG_LOOP_FILTER_ACROSS_TILES_ENABLED |
		  V4L2_HEVC_PPS_FLAG_PPS_DISABLE_DEBLOCKING_FILTER;
	p.pps_beta_offset_div2 = 2;
	ASSERT_EQ(validate(V4L2_CTRL_TYPE_HEVC_PPS, p), 0);
	EXPECT_EQ(p.diff_cu_qp_delta_depth, 0);
	EXPECT_EQ(p.num_tile_columns_minus1, 0);
	EXPECT_FALSE(p.flags & V4L2_HEVC_PPS_FLAG_LOOP_FILTER_ACROSS_TILES_ENABLED);
	EXPECT_EQ(p.pps_beta_offset_div2, 0);
}

TEST(StdValidateHevcPps, TileCountsBeyondArrays_Einval)
{
	struct v4l2_ctrl_hevc_pps p {};
	p.flags = V4L2_HEVC_PPS_FLAG_TILES_ENABLED;
	p.num_tile_columns_minus1 = 20;
	EXPECT_EQ(validate(V4L2_CTRL_TYPE_HEVC_PPS, p), -EINVAL);
	p.num_tile_columns_minus1 = 19;
	p.num_tile_rows_minus1 = 22;
	EXPECT_EQ(validate(V4L2_CTRL_TYPE_HEVC_PPS, p), -EINVAL);
	p.num_tile_rows_minus1 = 21;
	EXPECT_EQ(validate(V4L2_CTRL_TYPE_HEVC_PPS, p), 0);
}

TEST(StdValidateHevcDecodeParams, MoreThan16ActiveDpbEntries_Einval)
{
	struct v4l2_ctrl_hevc_decode_params d {};
	d.num_active_dpb_entries = 17;
	EXPECT_EQ(validate(V4L2_CTRL_TYPE_HEVC_DECODE_PARAMS, d), -EINVAL);
	d.num_active_dpb_entries = 16;
	EXPECT_EQ(validate(V4L2_CTRL_TYPE_HEVC_DECODE_PARAMS, d), 0);
}

TEST(StdValidateHevcSliceParams, RefIdxAtLeast16_Einval)
{
	struct v4l2_ctrl_hevc_slice_params s {};
	s.slice_type = V4L2_HEVC_SLICE_TYPE_P;
	s.num_ref_idx_l0_active_minus1 = 16;
	EXPECT_EQ(validate(V4L2_CTRL_TYPE_HEVC_SLICE_PARAMS, s), -EINVAL);
	s.num_ref_idx_l0_active_minus1 = 0;
	s.num_ref_idx_l1_active_minus1 = 16;
	EXPECT_EQ(validate(V4L2_CTRL_TYPE_HEVC_SLICE_PARAMS, s), 0) << "l1 only checked for B";
	s.slice_type = V4L2_HEVC_SLICE_TYPE_B;
	EXPECT_EQ(validate(V4L2_CTRL_TYPE_HEVC_SLICE_PARAMS, s), -EINVAL);
}

// VP9
struct v4l2_ctrl_vp9_frame goodVp9()
{
	struct v4l2_ctrl_vp9_frame f {};
	f.bit_depth = 8;
	f.flags = V4L2_VP9_FRAME_FLAG_X_SUBSAMPLING | V4L2_VP9_FRAME_FLAG_Y_SUBSAMPLING;
	return f;
}

TEST(StdValidateVp9CompressedHdr, TxModeAboveSelect_Einval)
{
	struct v4l2_ctrl_vp9_compressed_hdr h {};
	h.tx_mode = V4L2_VP9_TX_MODE_SELECT + 1;
	EXPECT_EQ(validate(V4L2_CTRL_TYPE_VP9_COMPRESSED_HDR, h), -EINVAL);
}

TEST(StdValidateVp9Frame, FlagsAndProfileRules_Einval)
{
	auto check = [](auto mutate) {
		auto f = goodVp9();
		mutate(f);
		return validateCompoundElement(V4L2_CTRL_TYPE_VP9_FRAME, &f);
	};
	EXPECT_EQ(check([](auto &) {}), 0);
	EXPECT_EQ(check([](auto &f) { f.flags |= 1u << 20; }), -EINVAL) << "unknown flag";
	EXPECT_EQ(check([](auto &f) {
			  f.flags |= V4L2_VP9_FRAME_FLAG_ERROR_RESILIENT | V4L2_VP9_FRAME_FLAG_REFRESH_FRAME_CTX;
		  }), -EINVAL);
	EXPECT_EQ(check([](auto &f) { f.profile = 4; }), -EINVAL);
	EXPECT_EQ(check([](auto &f) { f.reset_frame_context = V4L2_VP9_RESET_FRAME_CTX_ALL + 1; }), -EINVAL);
	EXPECT_EQ(check([](auto &f) { f.frame_context_idx = 4; }), -EINVAL);
	EXPECT_EQ(check([](auto &f) { f.bit_depth = 10; }), -EINVAL) << "profile 0 is 8-bit";
	EXPECT_EQ(check([](auto &f) { f.profile = 2; }), -EINVAL) << "profile 2 is 10/12-bit";
	EXPECT_EQ(check([](auto &f) { f.flags &= ~V4L2_VP9_FRAME_FLAG_Y_SUBSAMPLING; }), -EINVAL);
	EXPECT_EQ(check([](auto &f) { f.profile = 1; }), -EINVAL) << "profile 1 must not be 4:2:0";
	EXPECT_EQ(check([](auto &f) { f.interpolation_filter = V4L2_VP9_INTERP_FILTER_SWITCHABLE + 1; }), -EINVAL);
	EXPECT_EQ(check([](auto &f) { f.tile_cols_log2 = 7; }), -EINVAL);
	EXPECT_EQ(check([](auto &f) { f.reference_mode = V4L2_VP9_REFERENCE_MODE_SELECT + 1; }), -EINVAL);
}

TEST(StdValidateVp9Frame, LoopFilterQuantAndSegmentation_Einval)
{
	auto check = [](auto mutate) {
		auto f = goodVp9();
		mutate(f);
		return validateCompoundElement(V4L2_CTRL_TYPE_VP9_FRAME, &f);
	};
	EXPECT_EQ(check([](auto &f) { f.lf.flags = 4; }), -EINVAL);
	EXPECT_EQ(check([](auto &f) { f.lf.level = 64; }), -EINVAL);
	EXPECT_EQ(check([](auto &f) { f.lf.sharpness = 8; }), -EINVAL);
	EXPECT_EQ(check([](auto &f) { f.lf.ref_deltas[1] = 64; }), -EINVAL);
	EXPECT_EQ(check([](auto &f) { f.lf.mode_deltas[0] = -64; }), -EINVAL);
	EXPECT_EQ(check([](auto &f) { f.quant.delta_q_y_dc = 16; }), -EINVAL);
	EXPECT_EQ(check([](auto &f) { f.seg.flags = 0x80; }), -EINVAL);
	EXPECT_EQ(check([](auto &f) { f.seg.feature_enabled[2] = 0x10; }), -EINVAL);
	EXPECT_EQ(check([](auto &f) { f.seg.feature_data[0][1] = 64; }), -EINVAL);
	EXPECT_EQ(check([](auto &f) { f.seg.feature_data[7][3] = 1; }), -EINVAL) << "range 0";
}

TEST(StdValidateVp9Frame, ReservedZeroed)
{
	auto f = goodVp9();
	f.reserved[0] = 5;
	ASSERT_EQ(validate(V4L2_CTRL_TYPE_VP9_FRAME, f), 0);
	EXPECT_EQ(f.reserved[0], 0);
}

// AV1
TEST(StdValidateAv1Sequence, FlagsProfileMonochrome_Einval)
{
	struct v4l2_ctrl_av1_sequence s {};
	s.bit_depth = 8;
	EXPECT_EQ(validate(V4L2_CTRL_TYPE_AV1_SEQUENCE, s), 0);
	s.flags = 1u << 31;
	EXPECT_EQ(validate(V4L2_CTRL_TYPE_AV1_SEQUENCE, s), -EINVAL);
	s.flags = V4L2_AV1_SEQUENCE_FLAG_MONO_CHROME;
	s.seq_profile = 1;
	EXPECT_EQ(validate(V4L2_CTRL_TYPE_AV1_SEQUENCE, s), -EINVAL);
	s.flags = 0;
	s.seq_profile = 3;
	EXPECT_EQ(validate(V4L2_CTRL_TYPE_AV1_SEQUENCE, s), -EINVAL);
}

TEST(StdValidateAv1Frame, TileCounts_Einval)
{
	struct v4l2_ctrl_av1_frame f {};
	EXPECT_EQ(validate(V4L2_CTRL_TYPE_AV1_FRAME, f), 0) << "0 tiles allowed";
	f.tile_info.tile_cols = 65;
	EXPECT_EQ(validate(V4L2_CTRL_TYPE_AV1_FRAME, f), -EINVAL);
	f.tile_info.tile_cols = 32;
	f.tile_info.tile_rows = 17;
	EXPECT_EQ(validate(V4L2_CTRL_TYPE_AV1_FRAME, f), -EINVAL) << "32 x 17 > 512";
}

TEST(StdValidateAv1Frame, SubStructureRanges_Einval)
{
	auto check = [](auto mutate) {
		struct v4l2_ctrl_av1_frame f {};
		mutate(f);
		return validateCompoundElement(V4L2_CTRL_TYPE_AV1_FRAME, &f);
	};
	EXPECT_EQ(check([](auto &f) { f.quantization.flags = 8; }), -EINVAL);
	EXPECT_EQ(check([](auto &f) { f.quantization.delta_q_u_ac = 64; }), -EINVAL);
	EXPECT_EQ(check([](auto &f) { f.quantization.delta_q_res = 4; }), -EINVAL);
	EXPECT_EQ(check([](auto &f) { f.quantization.qm_v = 16; }), -EINVAL);
	EXPECT_EQ(check([](auto &f) { f.segmentation.flags = 32; }), -EINVAL);
	EXPECT_EQ(check([](auto &f) { f.segmentation.feature_data[0][5] = -1; }), -EINVAL);
	EXPECT_EQ(check([](auto &f) { f.loop_filter.flags = 16; }), -EINVAL);
	EXPECT_EQ(check([](auto &f) { f.loop_filter.level[2] = 64; }), -EINVAL);
	EXPECT_EQ(check([](auto &f) { f.loop_filter.sharpness = 8; }), -EINVAL);
	EXPECT_EQ(check([](auto &f) { f.loop_filter.ref_deltas[0] = -65; }), -EINVAL);
	EXPECT_EQ(check([](auto &f) { f.cdef.damping_minus_3 = 4; }), -EINVAL);
	EXPECT_EQ(check([](auto &f) { f.cdef.y_sec_strength[0] = 5; }), -EINVAL);
	EXPECT_EQ(check([](auto &f) { f.loop_restoration.lr_unit_shift = 4; }), -EINVAL);
	EXPECT_EQ(check([](auto &f) { f.loop_restoration.lr_uv_shift = 2; }), -EINVAL);
	EXPECT_EQ(check([](auto &f) { f.flags = 1u << 31; }), -EINVAL);
	EXPECT_EQ(check([](auto &f) { f.superres_denom = 17; }), -EINVAL);
}

TEST(StdValidateAv1FilmGrain, RangesAndIncreasingPoints_Einval)
{
	auto check = [](auto mutate) {
		struct v4l2_ctrl_av1_film_grain g {};
		mutate(g);
		return validateCompoundElement(V4L2_CTRL_TYPE_AV1_FILM_GRAIN, &g);
	};
	EXPECT_EQ(check([](auto &g) { g.flags = 32; }), -EINVAL);
	EXPECT_EQ(check([](auto &g) { g.film_grain_params_ref_idx = 8; }), -EINVAL);
	EXPECT_EQ(check([](auto &g) { g.num_y_points = 15; }), -EINVAL);
	EXPECT_EQ(check([](auto &g) { g.num_cb_points = 11; }), -EINVAL);
	EXPECT_EQ(check([](auto &g) { g.num_cr_points = 16; }), -EINVAL);
	EXPECT_EQ(check([](auto &g) { g.ar_coeff_lag = 4; }), -EINVAL);
	EXPECT_EQ(check([](auto &g) {
			  g.flags = V4L2_AV1_FILM_GRAIN_FLAG_APPLY_GRAIN;
			  g.num_y_points = 2;
			  g.point_y_value[0] = g.point_y_value[1] = 9;
		  }), -EINVAL);
	EXPECT_EQ(check([](auto &g) {
			  g.num_y_points = 2;
			  g.point_y_value[0] = g.point_y_value[1] = 9;	// not applied: not checked
		  }), 0);
}

TEST(StdValidateUnknownType, Einval)
{
	uint8_t buf[64] = {};
	EXPECT_EQ(validateCompoundElement(0x2ff, buf), -EINVAL);
}

} // namespace
} // namespace v4l2emu
