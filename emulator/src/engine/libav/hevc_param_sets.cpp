// SPDX-License-Identifier: MIT
// HEVC parameter sets for the libavcodec engine: VPS, SPS and PPS NAL units written from the
// stateless controls (H.265 7.3.2.1-7.3.2.3, scaling_list_data 7.3.4). What the uAPI lacks is
// written as a decoder infers it when absent (no VUI, no conformance window, no extensions),
// and the SPS has no RPS or long-term candidates (hevc_rebuild.cpp makes the slice headers
// self-contained instead).
#include "h26x_rebuild.h"

#include "bit_writer.h"

#include <cerrno>

namespace v4l2emu::libav {

namespace {

void nalHeader(BitWriter &w, unsigned type)
{
	w.bit(false);		// forbidden_zero_bit
	w.bits(type, 6);
	w.bits(0, 6);		// nuh_layer_id
	w.bits(1, 3);		// nuh_temporal_id_plus1
}

/// profile_tier_level(1, maxSubLayersMinus1) (7.3.3). The controls have no profile or level:
/// the profile follows from the bit depth and chroma format (Main, Main 10, else RExt), the
/// level is the highest, which allows every size.
void profileTierLevel(BitWriter &w, const struct v4l2_ctrl_hevc_sps &sps)
{
	const bool main = sps.chroma_format_idc == 1 && !sps.bit_depth_luma_minus8 &&
			  !sps.bit_depth_chroma_minus8;
	const bool main10 = sps.chroma_format_idc == 1 && sps.bit_depth_luma_minus8 <= 2 &&
			    sps.bit_depth_chroma_minus8 <= 2;
	const unsigned profile = main ? 1 : main10 ? 2 : 4;
	w.bits(0, 2);		// general_profile_space
	w.bit(false);		// general_tier_flag
	w.bits(profile, 5);
	for (unsigned j = 0; j < 32; j++)	// Main streams are Main 10 streams too
		w.flag(j == profile || (main && j == 2));
	w.flag(true);		// general_progressive_source_flag
	w.flag(false);		// general_interlaced_source_flag
	w.flag(false);		// general_non_packed_constraint_flag
	w.flag(true);		// general_frame_only_constraint_flag
	w.bits(0, 43);		// general_reserved_zero_43bits
	w.bit(false);		// general_reserved_zero_bit
	w.bits(186, 8);		// general_level_idc: 6.2
	const unsigned subLayers = sps.sps_max_sub_layers_minus1;
	for (unsigned i = 0; i < subLayers; i++) {
		w.flag(false);	// sub_layer_profile_present_flag
		w.flag(false);	// sub_layer_level_present_flag
	}
	if (subLayers)
		for (unsigned i = subLayers; i < 8; i++)
			w.bits(0, 2);
}

/// Up-right diagonal scan (6.5.3): raster position of the i-th coefficient of a size x size
/// block.
void diagonalScan(unsigned size, uint8_t *out)
{
	unsigned i = 0;
	int x = 0, y = 0;
	while (i < size * size) {
		while (y >= 0) {
			if (x < static_cast<int>(size) && y < static_cast<int>(size))
				out[i++] = static_cast<uint8_t>(y * size + x);
			y--;
			x++;
		}
		y = x;
		x = 0;
	}
}

/// One list of scaling_list_data() (7.3.4) coded explicitly (scaling_list_pred_mode_flag 1)
/// from raster-order values (the uapi's order).
int scalingList(BitWriter &w, const uint8_t *raster, unsigned count, const uint8_t *scan,
		int dc, const char **why)
{
	w.flag(true);	// scaling_list_pred_mode_flag
	int next = 8;
	if (dc >= 0) {
		if (dc == 0) {
			*why = "HEVC scaling list DC value 0 cannot be coded";
			return -EINVAL;
		}
		w.se(dc - 8);	// scaling_list_dc_coef_minus8
		next = dc;
	}
	for (unsigned i = 0; i < count; i++) {
		int value = raster[scan[i]];
		if (value == 0) {
			*why = "HEVC scaling list value 0 cannot be coded";
			return -EINVAL;
		}
		int delta = (value - next + 256) % 256;
		if (delta > 127)
			delta -= 256;
		w.se(delta);
		next = value;
	}
	return 0;
}

int scalingListData(BitWriter &w, const struct v4l2_ctrl_hevc_scaling_matrix &m,
		    const char **why)
{
	uint8_t scan4[16], scan8[64];
	diagonalScan(4, scan4);
	diagonalScan(8, scan8);
	int ret = 0;
	for (unsigned id = 0; id < 6 && !ret; id++)
		ret = scalingList(w, m.scaling_list_4x4[id], 16, scan4, -1, why);
	for (unsigned id = 0; id < 6 && !ret; id++)
		ret = scalingList(w, m.scaling_list_8x8[id], 64, scan8, -1, why);
	for (unsigned id = 0; id < 6 && !ret; id++)
		ret = scalingList(w, m.scaling_list_16x16[id], 64, scan8,
				  m.scaling_list_dc_coef_16x16[id], why);
	// sizeId 3 has matrixId 0 and 3 (intra and inter luma), the uapi's [0] and [1].
	for (unsigned id = 0; id < 2 && !ret; id++)
		ret = scalingList(w, m.scaling_list_32x32[id], 64, scan8,
				  m.scaling_list_dc_coef_32x32[id], why);
	return ret;
}

} // namespace

int writeHevcVps(const struct v4l2_ctrl_hevc_sps &sps, std::vector<uint8_t> &rbsp,
		 const char **why)
{
	if (sps.video_parameter_set_id > 15 || sps.sps_max_sub_layers_minus1 > 6) {
		*why = "HEVC VPS id or sub-layer count out of range";
		return -EINVAL;
	}
	rbsp.clear();
	BitWriter w(rbsp);
	nalHeader(w, 32);
	w.bits(sps.video_parameter_set_id, 4);
	w.flag(true);		// vps_base_layer_internal_flag
	w.flag(true);		// vps_base_layer_available_flag
	w.bits(0, 6);		// vps_max_layers_minus1
	w.bits(sps.sps_max_sub_layers_minus1, 3);
	w.flag(sps.sps_max_sub_layers_minus1 == 0);	// vps_temporal_id_nesting_flag
	w.bits(0xffff, 16);	// vps_reserved_0xffff_16bits
	profileTierLevel(w, sps);
	w.flag(false);		// vps_sub_layer_ordering_info_present_flag: the highest only
	w.ue(sps.sps_max_dec_pic_buffering_minus1);
	w.ue(sps.sps_max_num_reorder_pics);
	w.ue(sps.sps_max_latency_increase_plus1);
	w.bits(0, 6);		// vps_max_layer_id
	w.ue(0);		// vps_num_layer_sets_minus1
	w.flag(false);		// vps_timing_info_present_flag
	w.flag(false);		// vps_extension_flag
	w.trailingBits();
	return 0;
}

int writeHevcSps(const struct v4l2_ctrl_hevc_sps &sps,
		 const struct v4l2_ctrl_hevc_scaling_matrix *matrix, std::vector<uint8_t> &rbsp,
		 const char **why)
{
	if (sps.video_parameter_set_id > 15 || sps.sps_max_sub_layers_minus1 > 6 ||
	    sps.seq_parameter_set_id > 15) {
		*why = "HEVC SPS ids or sub-layer count out of range";
		return -EINVAL;
	}
	rbsp.clear();
	BitWriter w(rbsp);
	nalHeader(w, 33);
	w.bits(sps.video_parameter_set_id, 4);
	w.bits(sps.sps_max_sub_layers_minus1, 3);
	w.flag(sps.sps_max_sub_layers_minus1 == 0);	// sps_temporal_id_nesting_flag
	profileTierLevel(w, sps);
	w.ue(sps.seq_parameter_set_id);
	w.ue(sps.chroma_format_idc);
	if (sps.chroma_format_idc == 3)
		w.flag(sps.flags & V4L2_HEVC_SPS_FLAG_SEPARATE_COLOUR_PLANE);
	w.ue(sps.pic_width_in_luma_samples);
	w.ue(sps.pic_height_in_luma_samples);
	w.flag(false);		// conformance_window_flag: not in the control
	w.ue(sps.bit_depth_luma_minus8);
	w.ue(sps.bit_depth_chroma_minus8);
	w.ue(sps.log2_max_pic_order_cnt_lsb_minus4);
	w.flag(false);		// sps_sub_layer_ordering_info_present_flag: the highest only
	w.ue(sps.sps_max_dec_pic_buffering_minus1);
	w.ue(sps.sps_max_num_reorder_pics);
	w.ue(sps.sps_max_latency_increase_plus1);
	w.ue(sps.log2_min_luma_coding_block_size_minus3);
	w.ue(sps.log2_diff_max_min_luma_coding_block_size);
	w.ue(sps.log2_min_luma_transform_block_size_minus2);
	w.ue(sps.log2_diff_max_min_luma_transform_block_size);
	w.ue(sps.max_transform_hierarchy_depth_inter);
	w.ue(sps.max_transform_hierarchy_depth_intra);
	const bool scaling = sps.flags & V4L2_HEVC_SPS_FLAG_SCALING_LIST_ENABLED;
	w.flag(scaling);
	if (scaling) {
		// The matrix in force, in the SPS (the PPS then has none); without the control
		// the default lists (7.4.5) apply.
		w.flag(matrix != nullptr);	// sps_scaling_list_data_present_flag
		if (matrix) {
			int ret = scalingListData(w, *matrix, why);
			if (ret)
				return ret;
		}
	}
	w.flag(sps.flags & V4L2_HEVC_SPS_FLAG_AMP_ENABLED);
	w.flag(sps.flags & V4L2_HEVC_SPS_FLAG_SAMPLE_ADAPTIVE_OFFSET);
	const bool pcm = sps.flags & V4L2_HEVC_SPS_FLAG_PCM_ENABLED;
	w.flag(pcm);
	if (pcm) {
		w.bits(sps.pcm_sample_bit_depth_luma_minus1, 4);
		w.bits(sps.pcm_sample_bit_depth_chroma_minus1, 4);
		w.ue(sps.log2_min_pcm_luma_coding_block_size_minus3);
		w.ue(sps.log2_diff_max_min_pcm_luma_coding_block_size);
		w.flag(sps.flags & V4L2_HEVC_SPS_FLAG_PCM_LOOP_FILTER_DISABLED);
	}
	// No RPS candidates and no long-term POC candidates: the control has neither, and the
	// slice headers are rewritten not to need them (rewriteSlice).
	w.ue(0);		// num_short_term_ref_pic_sets
	const bool longTerm = sps.flags & V4L2_HEVC_SPS_FLAG_LONG_TERM_REF_PICS_PRESENT;
	w.flag(longTerm);
	if (longTerm)
		w.ue(0);	// num_long_term_ref_pics_sps
	w.flag(sps.flags & V4L2_HEVC_SPS_FLAG_SPS_TEMPORAL_MVP_ENABLED);
	w.flag(sps.flags & V4L2_HEVC_SPS_FLAG_STRONG_INTRA_SMOOTHING_ENABLED);
	w.flag(false);		// vui_parameters_present_flag
	w.flag(false);		// sps_extension_present_flag
	w.trailingBits();
	return 0;
}

int writeHevcPps(const struct v4l2_ctrl_hevc_sps &sps, const struct v4l2_ctrl_hevc_pps &pps,
		 uint32_t ppsId, std::vector<uint8_t> &rbsp, const char **why)
{
	const uint64_t f = pps.flags;
	const bool tiles = f & V4L2_HEVC_PPS_FLAG_TILES_ENABLED;
	if (ppsId > 63 || pps.num_extra_slice_header_bits > 7 ||
	    (tiles && (pps.num_tile_columns_minus1 >= 20 || pps.num_tile_rows_minus1 >= 22))) {
		*why = "HEVC PPS id, extra slice header bits or tile counts out of range";
		return -EINVAL;
	}
	rbsp.clear();
	BitWriter w(rbsp);
	nalHeader(w, 34);
	w.ue(ppsId);
	w.ue(sps.seq_parameter_set_id);
	w.flag(f & V4L2_HEVC_PPS_FLAG_DEPENDENT_SLICE_SEGMENT_ENABLED);
	w.flag(f & V4L2_HEVC_PPS_FLAG_OUTPUT_FLAG_PRESENT);
	w.bits(pps.num_extra_slice_header_bits, 3);
	w.flag(f & V4L2_HEVC_PPS_FLAG_SIGN_DATA_HIDING_ENABLED);
	w.flag(f & V4L2_HEVC_PPS_FLAG_CABAC_INIT_PRESENT);
	w.ue(pps.num_ref_idx_l0_default_active_minus1);
	w.ue(pps.num_ref_idx_l1_default_active_minus1);
	w.se(pps.init_qp_minus26);
	w.flag(f & V4L2_HEVC_PPS_FLAG_CONSTRAINED_INTRA_PRED);
	w.flag(f & V4L2_HEVC_PPS_FLAG_TRANSFORM_SKIP_ENABLED);
	const bool cuQpDelta = f & V4L2_HEVC_PPS_FLAG_CU_QP_DELTA_ENABLED;
	w.flag(cuQpDelta);
	if (cuQpDelta)
		w.ue(pps.diff_cu_qp_delta_depth);
	w.se(pps.pps_cb_qp_offset);
	w.se(pps.pps_cr_qp_offset);
	w.flag(f & V4L2_HEVC_PPS_FLAG_PPS_SLICE_CHROMA_QP_OFFSETS_PRESENT);
	w.flag(f & V4L2_HEVC_PPS_FLAG_WEIGHTED_PRED);
	w.flag(f & V4L2_HEVC_PPS_FLAG_WEIGHTED_BIPRED);
	w.flag(f & V4L2_HEVC_PPS_FLAG_TRANSQUANT_BYPASS_ENABLED);
	w.flag(tiles);
	w.flag(f & V4L2_HEVC_PPS_FLAG_ENTROPY_CODING_SYNC_ENABLED);
	if (tiles) {
		w.ue(pps.num_tile_columns_minus1);
		w.ue(pps.num_tile_rows_minus1);
		const bool uniform = f & V4L2_HEVC_PPS_FLAG_UNIFORM_SPACING;
		w.flag(uniform);
		if (!uniform) {
			// The last column / row is implied (6.5.1).
			for (unsigned i = 0; i < pps.num_tile_columns_minus1; i++)
				w.ue(pps.column_width_minus1[i]);
			for (unsigned i = 0; i < pps.num_tile_rows_minus1; i++)
				w.ue(pps.row_height_minus1[i]);
		}
		w.flag(f & V4L2_HEVC_PPS_FLAG_LOOP_FILTER_ACROSS_TILES_ENABLED);
	}
	w.flag(f & V4L2_HEVC_PPS_FLAG_PPS_LOOP_FILTER_ACROSS_SLICES_ENABLED);
	const bool control = f & V4L2_HEVC_PPS_FLAG_DEBLOCKING_FILTER_CONTROL_PRESENT;
	w.flag(control);
	if (control) {
		w.flag(f & V4L2_HEVC_PPS_FLAG_DEBLOCKING_FILTER_OVERRIDE_ENABLED);
		const bool disabled = f & V4L2_HEVC_PPS_FLAG_PPS_DISABLE_DEBLOCKING_FILTER;
		w.flag(disabled);
		if (!disabled) {
			w.se(pps.pps_beta_offset_div2);
			w.se(pps.pps_tc_offset_div2);
		}
	}
	w.flag(false);		// pps_scaling_list_data_present_flag: the SPS has the matrix
	w.flag(f & V4L2_HEVC_PPS_FLAG_LISTS_MODIFICATION_PRESENT);
	w.ue(pps.log2_parallel_merge_level_minus2);
	w.flag(f & V4L2_HEVC_PPS_FLAG_SLICE_SEGMENT_HEADER_EXTENSION_PRESENT);
	w.flag(false);		// pps_extension_present_flag
	w.trailingBits();
	return 0;
}

} // namespace v4l2emu::libav
