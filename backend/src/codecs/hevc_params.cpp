// SPDX-License-Identifier: MIT
// VA HEVC picture parameters -> V4L2 SPS / PPS / scaling matrix, as GStreamer's
// gst_v4l2_codec_h265_dec_fill_sequence / _fill_pps / _fill_scaling_matrix and ffmpeg's
// v4l2_request_hevc.c:fill_sps do from parsed parameter sets.
#include "hevc_params.h"

#include <cstring>
#include <utility>

namespace v4l2va::hevc {

namespace {

/// Default scaling lists in raster order (H.265 Table 7-6 through the up-right diagonal scan).
constexpr uint8_t kDefaultIntra8x8[64] = {
	16, 16, 16, 16, 17, 18, 21, 24, 16, 16, 16, 16, 17, 19, 22, 25,
	16, 16, 17, 18, 20, 22, 25, 29, 16, 16, 18, 21, 24, 27, 31, 36,
	17, 17, 20, 24, 30, 35, 41, 47, 18, 19, 22, 27, 35, 44, 54, 65,
	21, 22, 25, 31, 41, 54, 70, 88, 24, 25, 29, 36, 47, 65, 88, 115};
constexpr uint8_t kDefaultInter8x8[64] = {
	16, 16, 16, 16, 17, 18, 20, 24, 16, 16, 16, 17, 18, 20, 24, 25,
	16, 16, 17, 18, 20, 24, 25, 28, 16, 17, 18, 20, 24, 25, 28, 33,
	17, 18, 20, 24, 25, 28, 33, 41, 18, 20, 24, 25, 28, 33, 41, 54,
	20, 24, 25, 28, 33, 41, 54, 71, 24, 25, 28, 33, 41, 54, 71, 91};

/// Tile sizes for V4L2, which wants every column / row (RKM:assemble_hw_pps writes them all)
/// while VA has one entry less: the last one is what the picture leaves. False if they do not
/// fit the picture. *uniform is cleared unless they are what uniform_spacing_flag gives.
bool fillTileSizes(const uint16_t *vaSizes, uint32_t count, uint32_t pictureCtbs, uint8_t *out,
		   bool *uniform)
{
	uint32_t used = 0;
	for (uint32_t i = 0; i + 1 < count; i++) {
		if (vaSizes[i] > 255)
			return false;
		out[i] = static_cast<uint8_t>(vaSizes[i]);
		used += vaSizes[i] + 1u;
	}
	if (used >= pictureCtbs || pictureCtbs - used > 256)
		return false;
	out[count - 1] = static_cast<uint8_t>(pictureCtbs - used - 1);
	// uniform_spacing_flag is not in VA; the sizes it would give are (6-3) and (6-4).
	for (uint32_t i = 0; i < count; i++)
		if (out[i] + 1u != ((i + 1) * pictureCtbs) / count - (i * pictureCtbs) / count)
			*uniform = false;
	return true;
}

SliceHeaderContext headerContext(const PictureParameters &p)
{
	const VAPictureParameterBufferHEVC &va = p.va;
	const auto &pf = va.pic_fields.bits;
	const auto &sf = va.slice_parsing_fields.bits;
	const auto &scc = p.scc.screen_content_pic_fields.bits;
	SliceHeaderContext c;
	c.dependentSliceSegmentsEnabled = sf.dependent_slice_segments_enabled_flag;
	c.outputFlagPresent = sf.output_flag_present_flag;
	c.numExtraSliceHeaderBits = va.num_extra_slice_header_bits;
	c.separateColourPlane = pf.separate_colour_plane_flag;
	c.chromaArrayType =
		static_cast<uint8_t>(pf.separate_colour_plane_flag ? 0 : pf.chroma_format_idc);
	c.log2MaxPicOrderCntLsb = static_cast<uint8_t>(va.log2_max_pic_order_cnt_lsb_minus4 + 4);
	c.numShortTermRefPicSets = va.num_short_term_ref_pic_sets;
	c.shortTermRefPicSetBits = va.st_rps_bits;
	c.longTermRefPicsPresent = sf.long_term_ref_pics_present_flag;
	c.numLongTermRefPicsSps = va.num_long_term_ref_pic_sps;
	c.spsTemporalMvpEnabled = sf.sps_temporal_mvp_enabled_flag;
	c.sampleAdaptiveOffsetEnabled = sf.sample_adaptive_offset_enabled_flag;
	c.cabacInitPresent = sf.cabac_init_present_flag;
	c.listsModificationPresent = sf.lists_modification_present_flag;
	c.weightedPred = pf.weighted_pred_flag;
	c.weightedBipred = pf.weighted_bipred_flag;
	c.numRefIdxL0DefaultActiveMinus1 = va.num_ref_idx_l0_default_active_minus1;
	c.numRefIdxL1DefaultActiveMinus1 = va.num_ref_idx_l1_default_active_minus1;
	c.sliceChromaQpOffsetsPresent = sf.pps_slice_chroma_qp_offsets_present_flag;
	c.sliceActQpOffsetsPresent = scc.pps_slice_act_qp_offsets_present_flag;
	c.chromaQpOffsetListEnabled =
		p.rext.range_extension_pic_fields.bits.chroma_qp_offset_list_enabled_flag;
	c.motionVectorResolutionControlIdc =
		static_cast<uint8_t>(scc.motion_vector_resolution_control_idc);
	c.deblockingFilterOverrideEnabled = sf.deblocking_filter_override_enabled_flag;
	c.ppsDeblockingFilterDisabled = sf.pps_disable_deblocking_filter_flag;
	c.ppsLoopFilterAcrossSlicesEnabled = pf.pps_loop_filter_across_slices_enabled_flag;
	c.tilesEnabled = pf.tiles_enabled_flag;
	c.entropyCodingSyncEnabled = pf.entropy_coding_sync_enabled_flag;
	c.sliceSegmentHeaderExtensionPresent = sf.slice_segment_header_extension_present_flag;
	c.picSizeInCtbsY = p.widthCtbs * p.heightCtbs;
	// NumPicTotalCurr (7-55): the references VA flags as used by the current picture.
	const uint32_t used = VA_PICTURE_HEVC_RPS_ST_CURR_BEFORE |
			      VA_PICTURE_HEVC_RPS_ST_CURR_AFTER | VA_PICTURE_HEVC_RPS_LT_CURR;
	for (const VAPictureHEVC &ref : va.ReferenceFrames)
		if (!(ref.flags & VA_PICTURE_HEVC_INVALID) &&
		    ref.picture_id != VA_INVALID_SURFACE && (ref.flags & used))
			c.numPicTotalCurr++;
	if (scc.pps_curr_pic_ref_enabled_flag)
		c.numPicTotalCurr++;
	return c;
}

} // namespace

bool readPictureParameters(const VAPictureParameterBufferHEVC &va,
			   const VAPictureParameterBufferHEVCExtension *ext, PictureParameters *out)
{
	const auto &pf = va.pic_fields.bits;
	uint32_t ctbLog2 = va.log2_min_luma_coding_block_size_minus3 + 3u +
			   va.log2_diff_max_min_luma_coding_block_size;
	if (!va.pic_width_in_luma_samples || !va.pic_height_in_luma_samples ||
	    va.bit_depth_luma_minus8 > 8 || va.bit_depth_chroma_minus8 > 8 || ctbLog2 < 4 ||
	    ctbLog2 > 6 || va.log2_max_pic_order_cnt_lsb_minus4 > 12 ||
	    va.num_short_term_ref_pic_sets > 64 || va.num_long_term_ref_pic_sps > 32 ||
	    va.num_ref_idx_l0_default_active_minus1 > 14 ||
	    va.num_ref_idx_l1_default_active_minus1 > 14 || va.num_extra_slice_header_bits > 7)
		return false;
	PictureParameters p;
	p.va = va;
	if (ext) {
		p.rext = ext->rext;
		p.scc = ext->scc;
	}
	p.ctbLog2 = ctbLog2;
	p.widthCtbs = (va.pic_width_in_luma_samples + (1u << ctbLog2) - 1) >> ctbLog2;
	p.heightCtbs = (va.pic_height_in_luma_samples + (1u << ctbLog2) - 1) >> ctbLog2;
	if (pf.tiles_enabled_flag) {
		uint8_t columns[20], rows[22];
		bool uniform = true;
		if (va.num_tile_columns_minus1 >= 20 || va.num_tile_rows_minus1 >= 22 ||
		    !fillTileSizes(va.column_width_minus1, va.num_tile_columns_minus1 + 1u,
				   p.widthCtbs, columns, &uniform) ||
		    !fillTileSizes(va.row_height_minus1, va.num_tile_rows_minus1 + 1u, p.heightCtbs,
				   rows, &uniform))
			return false;
	}
	p.headerContext = headerContext(p);
	*out = p;
	return true;
}

void fillSps(const PictureParameters &pp, struct v4l2_ctrl_hevc_sps *sps)
{
	const VAPictureParameterBufferHEVC &p = pp.va;
	const auto &pf = p.pic_fields.bits;
	const auto &sf = p.slice_parsing_fields.bits;
	struct v4l2_ctrl_hevc_sps &s = *sps;
	s = {};
	// VA has no parameter set ids, sub-layer counts or reorder limits; they stay 0.
	s.pic_width_in_luma_samples = p.pic_width_in_luma_samples;
	s.pic_height_in_luma_samples = p.pic_height_in_luma_samples;
	s.bit_depth_luma_minus8 = p.bit_depth_luma_minus8;
	s.bit_depth_chroma_minus8 = p.bit_depth_chroma_minus8;
	s.log2_max_pic_order_cnt_lsb_minus4 = p.log2_max_pic_order_cnt_lsb_minus4;
	s.sps_max_dec_pic_buffering_minus1 = p.sps_max_dec_pic_buffering_minus1;
	s.log2_min_luma_coding_block_size_minus3 = p.log2_min_luma_coding_block_size_minus3;
	s.log2_diff_max_min_luma_coding_block_size = p.log2_diff_max_min_luma_coding_block_size;
	s.log2_min_luma_transform_block_size_minus2 = p.log2_min_transform_block_size_minus2;
	s.log2_diff_max_min_luma_transform_block_size = p.log2_diff_max_min_transform_block_size;
	s.max_transform_hierarchy_depth_inter = p.max_transform_hierarchy_depth_inter;
	s.max_transform_hierarchy_depth_intra = p.max_transform_hierarchy_depth_intra;
	s.num_short_term_ref_pic_sets = p.num_short_term_ref_pic_sets;
	s.chroma_format_idc = static_cast<uint8_t>(pf.chroma_format_idc);
	uint64_t flags = 0;
	if (pf.separate_colour_plane_flag)
		flags |= V4L2_HEVC_SPS_FLAG_SEPARATE_COLOUR_PLANE;
	if (pf.scaling_list_enabled_flag)
		flags |= V4L2_HEVC_SPS_FLAG_SCALING_LIST_ENABLED;
	if (pf.amp_enabled_flag)
		flags |= V4L2_HEVC_SPS_FLAG_AMP_ENABLED;
	if (sf.sample_adaptive_offset_enabled_flag)
		flags |= V4L2_HEVC_SPS_FLAG_SAMPLE_ADAPTIVE_OFFSET;
	// What the kernel zeroes when unused (CCORE:std_validate_compound) is sent zeroed.
	if (pf.pcm_enabled_flag) {
		flags |= V4L2_HEVC_SPS_FLAG_PCM_ENABLED;
		if (pf.pcm_loop_filter_disabled_flag)
			flags |= V4L2_HEVC_SPS_FLAG_PCM_LOOP_FILTER_DISABLED;
		s.pcm_sample_bit_depth_luma_minus1 = p.pcm_sample_bit_depth_luma_minus1;
		s.pcm_sample_bit_depth_chroma_minus1 = p.pcm_sample_bit_depth_chroma_minus1;
		s.log2_min_pcm_luma_coding_block_size_minus3 =
			p.log2_min_pcm_luma_coding_block_size_minus3;
		s.log2_diff_max_min_pcm_luma_coding_block_size =
			p.log2_diff_max_min_pcm_luma_coding_block_size;
	}
	if (sf.long_term_ref_pics_present_flag) {
		flags |= V4L2_HEVC_SPS_FLAG_LONG_TERM_REF_PICS_PRESENT;
		s.num_long_term_ref_pics_sps = p.num_long_term_ref_pic_sps;
	}
	if (sf.sps_temporal_mvp_enabled_flag)
		flags |= V4L2_HEVC_SPS_FLAG_SPS_TEMPORAL_MVP_ENABLED;
	if (pf.strong_intra_smoothing_enabled_flag)
		flags |= V4L2_HEVC_SPS_FLAG_STRONG_INTRA_SMOOTHING_ENABLED;
	s.flags = flags;
}

void fillPps(const PictureParameters &pp, uint8_t ppsId, struct v4l2_ctrl_hevc_pps *pps)
{
	const VAPictureParameterBufferHEVC &p = pp.va;
	const auto &pf = p.pic_fields.bits;
	const auto &sf = p.slice_parsing_fields.bits;
	struct v4l2_ctrl_hevc_pps &s = *pps;
	s = {};
	// rkvdec files the PPS under this id; its hardware looks it up from the slice header.
	s.pic_parameter_set_id = ppsId;
	s.num_extra_slice_header_bits = p.num_extra_slice_header_bits;
	s.num_ref_idx_l0_default_active_minus1 = p.num_ref_idx_l0_default_active_minus1;
	s.num_ref_idx_l1_default_active_minus1 = p.num_ref_idx_l1_default_active_minus1;
	s.init_qp_minus26 = p.init_qp_minus26;
	s.pps_cb_qp_offset = p.pps_cb_qp_offset;
	s.pps_cr_qp_offset = p.pps_cr_qp_offset;
	s.log2_parallel_merge_level_minus2 = p.log2_parallel_merge_level_minus2;
	uint64_t flags = 0;
	if (pf.cu_qp_delta_enabled_flag) {
		flags |= V4L2_HEVC_PPS_FLAG_CU_QP_DELTA_ENABLED;
		s.diff_cu_qp_delta_depth = p.diff_cu_qp_delta_depth;
	}
	if (pf.tiles_enabled_flag) {
		flags |= V4L2_HEVC_PPS_FLAG_TILES_ENABLED;
		if (pf.loop_filter_across_tiles_enabled_flag)
			flags |= V4L2_HEVC_PPS_FLAG_LOOP_FILTER_ACROSS_TILES_ENABLED;
		s.num_tile_columns_minus1 = p.num_tile_columns_minus1;
		s.num_tile_rows_minus1 = p.num_tile_rows_minus1;
		bool uniform = true;	// checked by readPictureParameters()
		fillTileSizes(p.column_width_minus1, p.num_tile_columns_minus1 + 1u, pp.widthCtbs,
			      s.column_width_minus1, &uniform);
		fillTileSizes(p.row_height_minus1, p.num_tile_rows_minus1 + 1u, pp.heightCtbs,
			      s.row_height_minus1, &uniform);
		if (uniform)
			flags |= V4L2_HEVC_PPS_FLAG_UNIFORM_SPACING;
	}
	if (!sf.pps_disable_deblocking_filter_flag) {
		s.pps_beta_offset_div2 = p.pps_beta_offset_div2;
		s.pps_tc_offset_div2 = p.pps_tc_offset_div2;
	}
	// deblocking_filter_control_present_flag is not in VA: 1 whenever what it gates is used.
	if (sf.deblocking_filter_override_enabled_flag || sf.pps_disable_deblocking_filter_flag ||
	    s.pps_beta_offset_div2 || s.pps_tc_offset_div2)
		flags |= V4L2_HEVC_PPS_FLAG_DEBLOCKING_FILTER_CONTROL_PRESENT;
	const std::pair<bool, uint64_t> map[] = {
		{sf.dependent_slice_segments_enabled_flag,
		 V4L2_HEVC_PPS_FLAG_DEPENDENT_SLICE_SEGMENT_ENABLED},
		{sf.output_flag_present_flag, V4L2_HEVC_PPS_FLAG_OUTPUT_FLAG_PRESENT},
		{pf.sign_data_hiding_enabled_flag, V4L2_HEVC_PPS_FLAG_SIGN_DATA_HIDING_ENABLED},
		{sf.cabac_init_present_flag, V4L2_HEVC_PPS_FLAG_CABAC_INIT_PRESENT},
		{pf.constrained_intra_pred_flag, V4L2_HEVC_PPS_FLAG_CONSTRAINED_INTRA_PRED},
		{pf.transform_skip_enabled_flag, V4L2_HEVC_PPS_FLAG_TRANSFORM_SKIP_ENABLED},
		{sf.pps_slice_chroma_qp_offsets_present_flag,
		 V4L2_HEVC_PPS_FLAG_PPS_SLICE_CHROMA_QP_OFFSETS_PRESENT},
		{pf.weighted_pred_flag, V4L2_HEVC_PPS_FLAG_WEIGHTED_PRED},
		{pf.weighted_bipred_flag, V4L2_HEVC_PPS_FLAG_WEIGHTED_BIPRED},
		{pf.transquant_bypass_enabled_flag, V4L2_HEVC_PPS_FLAG_TRANSQUANT_BYPASS_ENABLED},
		{pf.entropy_coding_sync_enabled_flag,
		 V4L2_HEVC_PPS_FLAG_ENTROPY_CODING_SYNC_ENABLED},
		{pf.pps_loop_filter_across_slices_enabled_flag,
		 V4L2_HEVC_PPS_FLAG_PPS_LOOP_FILTER_ACROSS_SLICES_ENABLED},
		{sf.deblocking_filter_override_enabled_flag,
		 V4L2_HEVC_PPS_FLAG_DEBLOCKING_FILTER_OVERRIDE_ENABLED},
		{sf.pps_disable_deblocking_filter_flag,
		 V4L2_HEVC_PPS_FLAG_PPS_DISABLE_DEBLOCKING_FILTER},
		{sf.lists_modification_present_flag, V4L2_HEVC_PPS_FLAG_LISTS_MODIFICATION_PRESENT},
		{sf.slice_segment_header_extension_present_flag,
		 V4L2_HEVC_PPS_FLAG_SLICE_SEGMENT_HEADER_EXTENSION_PRESENT},
	};
	for (const auto &[set, flag] : map)
		if (set)
			flags |= flag;
	s.flags = flags;
}

void fillScalingMatrix(const VAIQMatrixBufferHEVC *iq, struct v4l2_ctrl_hevc_scaling_matrix *m)
{
	if (iq) {
		// Both are raster ordered (ffmpeg fills both from the same ScalingList).
		static_assert(sizeof(m->scaling_list_4x4) == sizeof(iq->ScalingList4x4));
		static_assert(sizeof(m->scaling_list_32x32) == sizeof(iq->ScalingList32x32));
		memcpy(m->scaling_list_4x4, iq->ScalingList4x4, sizeof(m->scaling_list_4x4));
		memcpy(m->scaling_list_8x8, iq->ScalingList8x8, sizeof(m->scaling_list_8x8));
		memcpy(m->scaling_list_16x16, iq->ScalingList16x16, sizeof(m->scaling_list_16x16));
		memcpy(m->scaling_list_32x32, iq->ScalingList32x32, sizeof(m->scaling_list_32x32));
		memcpy(m->scaling_list_dc_coef_16x16, iq->ScalingListDC16x16, 6);
		memcpy(m->scaling_list_dc_coef_32x32, iq->ScalingListDC32x32, 2);
		return;
	}
	memset(m->scaling_list_4x4, 16, sizeof(m->scaling_list_4x4));
	for (int i = 0; i < 6; i++) {
		const uint8_t *list = i < 3 ? kDefaultIntra8x8 : kDefaultInter8x8;
		memcpy(m->scaling_list_8x8[i], list, 64);
		memcpy(m->scaling_list_16x16[i], list, 64);
		m->scaling_list_dc_coef_16x16[i] = 16;
	}
	memcpy(m->scaling_list_32x32[0], kDefaultIntra8x8, 64);
	memcpy(m->scaling_list_32x32[1], kDefaultInter8x8, 64);
	memset(m->scaling_list_dc_coef_32x32, 16, sizeof(m->scaling_list_dc_coef_32x32));
}

} // namespace v4l2va::hevc
