// SPDX-License-Identifier: MIT
// VA H.264 parameters -> V4L2 stateless H.264 controls (see h264_controls.h).
#include "h264_controls.h"

namespace v4l2va::h264 {

namespace {

constexpr unsigned kDpbSize = V4L2_H264_NUM_DPB_ENTRIES;
constexpr unsigned kMaxRefIdx = V4L2_H264_REF_LIST_LEN;
constexpr uint8_t kFlatScale = 16;

bool inRange(int v, int lo, int hi) { return v >= lo && v <= hi; }

/// A VA picture entry that names a surface.
bool usable(const VAPictureH264 &p)
{
	return !(p.flags & VA_PICTURE_H264_INVALID) && p.picture_id != VA_INVALID_SURFACE;
}

/// V4L2_H264_*_REF of a VA picture: the frame (both fields) unless one field flag is set.
uint8_t fieldsOf(const VAPictureH264 &p)
{
	uint8_t f = ((p.flags & VA_PICTURE_H264_TOP_FIELD) ? V4L2_H264_TOP_FIELD_REF : 0) |
		    ((p.flags & VA_PICTURE_H264_BOTTOM_FIELD) ? V4L2_H264_BOTTOM_FIELD_REF : 0);
	return f ? f : V4L2_H264_FRAME_REF;
}

// The FMO fields are deprecated in va.h but still carried (Baseline streams may use FMO).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
uint8_t numSliceGroupsMinus1(const VAPictureParameterBufferH264 &p)
{
	return p.num_slice_groups_minus1;
}
uint8_t sliceGroupMapType(const VAPictureParameterBufferH264 &p) { return p.slice_group_map_type; }
uint16_t sliceGroupChangeRateMinus1(const VAPictureParameterBufferH264 &p)
{
	return p.slice_group_change_rate_minus1;
}
#pragma GCC diagnostic pop

/// A RefPicList entry as a DPB slot (slot i holds ReferenceFrames[i]).
struct v4l2_h264_reference referenceFor(const VAPictureParameterBufferH264 &pic,
					const VAPictureH264 &ref)
{
	struct v4l2_h264_reference r = {};
	r.fields = fieldsOf(ref);
	if (usable(ref)) {
		for (unsigned i = 0; i < kDpbSize; i++) {
			const VAPictureH264 &d = pic.ReferenceFrames[i];
			if (usable(d) && d.picture_id == ref.picture_id) {
				r.index = i;
				return r;
			}
		}
	}
	// A missing reference points at an empty slot, which drivers skip as not ACTIVE
	// (GStreamer's lookup_dpb_index uses 0xff, which cedrus would index dpb[] with).
	for (unsigned i = 0; i < kDpbSize; i++) {
		if (!usable(pic.ReferenceFrames[i])) {
			r.index = i;
			return r;
		}
	}
	return r;
}

/// One list of VA's plain weight table. VA's per-list flags say whether explicit values are
/// there; else the inferred ones apply (7.4.3.2), as ffmpeg's fill_weight_factors does.
void fillWeightFactors(const VASliceParameterBufferH264 &s, bool list1, unsigned count,
		       struct v4l2_h264_weight_factors *w)
{
	const bool luma = list1 ? s.luma_weight_l1_flag : s.luma_weight_l0_flag;
	const bool chroma = list1 ? s.chroma_weight_l1_flag : s.chroma_weight_l0_flag;
	const int16_t lumaDefault = 1 << s.luma_log2_weight_denom;
	const int16_t chromaDefault = 1 << s.chroma_log2_weight_denom;
	for (unsigned i = 0; i < count; i++) {
		w->luma_weight[i] = !luma ? lumaDefault
				  : list1 ? s.luma_weight_l1[i] : s.luma_weight_l0[i];
		w->luma_offset[i] = !luma ? 0 : list1 ? s.luma_offset_l1[i] : s.luma_offset_l0[i];
		for (unsigned j = 0; j < 2; j++) {
			w->chroma_weight[i][j] = !chroma ? chromaDefault
					       : list1 ? s.chroma_weight_l1[i][j]
						       : s.chroma_weight_l0[i][j];
			w->chroma_offset[i][j] = !chroma ? 0
					       : list1 ? s.chroma_offset_l1[i][j]
						       : s.chroma_offset_l0[i][j];
		}
	}
}

/// Entries of the lists a slice type uses (0 for the others, as std_validate_compound zeroes).
unsigned listSize(uint8_t type, bool list1, uint8_t numRefIdxActiveMinus1)
{
	bool used = list1 ? isBSlice(type) : (isPSlice(type) || isBSlice(type));
	return used ? numRefIdxActiveMinus1 + 1u : 0;
}

/// PicNum / LongTermPicNum of a reference (8.2.4.1) for the current picture.
uint32_t picNumOf(const VAPictureParameterBufferH264 &pic, const H264SliceHeader &cur,
		  const VAPictureH264 &ref)
{
	// In 64 bits: frame_idx comes from the consumer unchecked.
	int64_t num = ref.frame_idx;
	if (!(ref.flags & VA_PICTURE_H264_LONG_TERM_REFERENCE) && ref.frame_idx > cur.frameNum)
		num -= 1 << (pic.seq_fields.bits.log2_max_frame_num_minus4 + 4);
	if (!cur.fieldPic)
		return static_cast<uint32_t>(num);
	// Fields count twice; the field of the current parity numbers one more.
	const uint32_t same = cur.bottomField ? VA_PICTURE_H264_BOTTOM_FIELD
					      : VA_PICTURE_H264_TOP_FIELD;
	const bool hasSame = fieldsOf(ref) == V4L2_H264_FRAME_REF || (ref.flags & same);
	return static_cast<uint32_t>(2 * num + (hasSame ? 1 : 0));
}

} // namespace

bool pictureParametersValid(const VAPictureParameterBufferH264 &p, VAProfile profile)
{
	const auto &seq = p.seq_fields.bits;
	if (p.bit_depth_luma_minus8 > 6 || p.bit_depth_chroma_minus8 > 6)
		return false;
	// Constrained Baseline and Main are 8-bit 4:2:0 only (the kernel would reset the fields).
	if (profile != VAProfileH264High &&
	    (seq.chroma_format_idc != 1 || p.bit_depth_luma_minus8 || p.bit_depth_chroma_minus8))
		return false;
	if (seq.log2_max_frame_num_minus4 > 12 || seq.pic_order_cnt_type > 2 ||
	    seq.log2_max_pic_order_cnt_lsb_minus4 > 12 || p.num_ref_frames > kDpbSize)
		return false;
	// Without frame_mbs_only the frame height is a number of map units (row pairs).
	if (!seq.frame_mbs_only_flag && !(p.picture_height_in_mbs_minus1 & 1))
		return false;
	if (numSliceGroupsMinus1(p) > 7 || sliceGroupMapType(p) > 6 ||
	    p.pic_fields.bits.weighted_bipred_idc > 2)
		return false;
	const int qpBdOffset = 6 * p.bit_depth_luma_minus8;
	return inRange(p.pic_init_qp_minus26, -(26 + qpBdOffset), 25) &&
	       inRange(p.pic_init_qs_minus26, -26, 25) &&
	       inRange(p.chroma_qp_index_offset, -12, 12) &&
	       inRange(p.second_chroma_qp_index_offset, -12, 12);
}

bool predWeightsRequired(const VAPictureParameterBufferH264 &pic, uint8_t type)
{
	const auto &pf = pic.pic_fields.bits;
	return (pf.weighted_pred_flag && isPSlice(type)) ||
	       (pf.weighted_bipred_idc == 1 && isBSlice(type));
}

bool sliceParametersValid(const VAPictureParameterBufferH264 &pic,
			  const VASliceParameterBufferH264 &s)
{
	if (s.slice_type > 9 || s.num_ref_idx_l0_active_minus1 >= kMaxRefIdx ||
	    s.num_ref_idx_l1_active_minus1 >= kMaxRefIdx || s.cabac_init_idc > 2 ||
	    s.disable_deblocking_filter_idc > 2 || !inRange(s.slice_alpha_c0_offset_div2, -6, 6) ||
	    !inRange(s.slice_beta_offset_div2, -6, 6))
		return false;
	return !predWeightsRequired(pic, s.slice_type % 5) ||
	       (s.luma_log2_weight_denom <= 7 && s.chroma_log2_weight_denom <= 7);
}

H264HeaderSyntax headerSyntax(const VAPictureParameterBufferH264 &pic,
			      uint8_t numRefIdxL0ActiveMinus1, uint8_t numRefIdxL1ActiveMinus1)
{
	const auto &seq = pic.seq_fields.bits;
	const auto &pf = pic.pic_fields.bits;
	H264HeaderSyntax s;
	s.log2MaxFrameNum = seq.log2_max_frame_num_minus4 + 4;
	s.picOrderCntType = seq.pic_order_cnt_type;
	s.log2MaxPicOrderCntLsb = seq.log2_max_pic_order_cnt_lsb_minus4 + 4;
	s.frameMbsOnly = seq.frame_mbs_only_flag;
	s.deltaPicOrderAlwaysZero = seq.delta_pic_order_always_zero_flag;
	// va.h: residual_colour_transform_flag is separate_colour_plane_flag (4:4:4 only).
	s.separateColourPlane = seq.chroma_format_idc == 3 && seq.residual_colour_transform_flag;
	s.chromaArrayType = s.separateColourPlane ? 0 : seq.chroma_format_idc;
	s.bottomFieldPicOrderInFramePresent = pf.pic_order_present_flag;
	s.redundantPicCntPresent = pf.redundant_pic_cnt_present_flag;
	s.weightedPred = pf.weighted_pred_flag;
	s.weightedBipredIdc = pf.weighted_bipred_idc;
	s.entropyCodingMode = pf.entropy_coding_mode_flag;
	s.deblockingFilterControlPresent = pf.deblocking_filter_control_present_flag;
	s.numSliceGroupsMinus1 = numSliceGroupsMinus1(pic);
	s.sliceGroupMapType = sliceGroupMapType(pic);
	s.sliceGroupChangeRateMinus1 = sliceGroupChangeRateMinus1(pic);
	const uint32_t rows = pic.picture_height_in_mbs_minus1 + 1u;
	s.picSizeInMapUnits =
		(pic.picture_width_in_mbs_minus1 + 1u) * (s.frameMbsOnly ? rows : rows / 2);
	s.numRefIdxL0DefaultMinus1 = numRefIdxL0ActiveMinus1;
	s.numRefIdxL1DefaultMinus1 = numRefIdxL1ActiveMinus1;
	return s;
}

// As GStreamer's gst_v4l2_codec_h264_dec_fill_sequence.
void fillSps(const VAPictureParameterBufferH264 &p, VAProfile profile,
	     struct v4l2_ctrl_h264_sps *sps)
{
	const auto &seq = p.seq_fields.bits;
	struct v4l2_ctrl_h264_sps &s = *sps;
	s = {};
	// VA has the profile, not profile_idc. High streams beyond 8-bit 4:2:0 get the profile that
	// allows them (High 10 / 4:2:2 / 4:4:4 Predictive) so the kernel keeps their fields.
	switch (profile) {
	case VAProfileH264ConstrainedBaseline:
		s.profile_idc = 66;
		s.constraint_set_flags = V4L2_H264_SPS_CONSTRAINT_SET0_FLAG |
					 V4L2_H264_SPS_CONSTRAINT_SET1_FLAG;
		break;
	case VAProfileH264Main:
		s.profile_idc = 77;
		break;
	default:
		s.profile_idc = seq.chroma_format_idc == 3 ? 244
			      : seq.chroma_format_idc == 2 ? 122
			      : (p.bit_depth_luma_minus8 || p.bit_depth_chroma_minus8) ? 110
			      : 100;
		break;
	}
	// VA has no level_idc, only its A.3.3.2 bit (level >= 3.1). No driver programs the level;
	// 5.1 allows every size the drivers take.
	s.level_idc = seq.MinLumaBiPredSize8x8 ? 51 : 30;
	s.seq_parameter_set_id = 0;	// not in VA; unused by the drivers
	s.chroma_format_idc = seq.chroma_format_idc;
	s.bit_depth_luma_minus8 = p.bit_depth_luma_minus8;
	s.bit_depth_chroma_minus8 = p.bit_depth_chroma_minus8;
	s.log2_max_frame_num_minus4 = seq.log2_max_frame_num_minus4;
	s.pic_order_cnt_type = seq.pic_order_cnt_type;
	if (seq.pic_order_cnt_type == 0)
		s.log2_max_pic_order_cnt_lsb_minus4 = seq.log2_max_pic_order_cnt_lsb_minus4;
	// The POC type 1 cycle is not in VA; drivers get the POCs in DECODE_PARAMS instead.
	s.max_num_ref_frames = p.num_ref_frames;
	s.pic_width_in_mbs_minus1 = p.picture_width_in_mbs_minus1;
	// VA counts frame macroblock rows; the SPS counts map units (row pairs for field coding).
	s.pic_height_in_map_units_minus1 = seq.frame_mbs_only_flag
						   ? p.picture_height_in_mbs_minus1
						   : (p.picture_height_in_mbs_minus1 + 1) / 2 - 1;
	if (seq.chroma_format_idc == 3 && seq.residual_colour_transform_flag)
		s.flags |= V4L2_H264_SPS_FLAG_SEPARATE_COLOUR_PLANE;
	if (seq.delta_pic_order_always_zero_flag)
		s.flags |= V4L2_H264_SPS_FLAG_DELTA_PIC_ORDER_ALWAYS_ZERO;
	if (seq.gaps_in_frame_num_value_allowed_flag)
		s.flags |= V4L2_H264_SPS_FLAG_GAPS_IN_FRAME_NUM_VALUE_ALLOWED;
	if (seq.frame_mbs_only_flag)
		s.flags |= V4L2_H264_SPS_FLAG_FRAME_MBS_ONLY;
	else if (seq.mb_adaptive_frame_field_flag)
		s.flags |= V4L2_H264_SPS_FLAG_MB_ADAPTIVE_FRAME_FIELD;
	if (seq.direct_8x8_inference_flag)
		s.flags |= V4L2_H264_SPS_FLAG_DIRECT_8X8_INFERENCE;
}

// As gst_v4l2_codec_h264_dec_fill_pps.
void fillPps(const VAPictureParameterBufferH264 &p, uint8_t picParameterSetId,
	     uint8_t numRefIdxL0DefaultMinus1, uint8_t numRefIdxL1DefaultMinus1,
	     bool scalingMatrixPresent, struct v4l2_ctrl_h264_pps *pps)
{
	const auto &pf = p.pic_fields.bits;
	struct v4l2_ctrl_h264_pps &s = *pps;
	s = {};
	s.pic_parameter_set_id = picParameterSetId;
	s.seq_parameter_set_id = 0;
	s.num_slice_groups_minus1 = numSliceGroupsMinus1(p);
	s.num_ref_idx_l0_default_active_minus1 = numRefIdxL0DefaultMinus1;
	s.num_ref_idx_l1_default_active_minus1 = numRefIdxL1DefaultMinus1;
	s.weighted_bipred_idc = pf.weighted_bipred_idc;
	s.pic_init_qp_minus26 = p.pic_init_qp_minus26;
	s.pic_init_qs_minus26 = p.pic_init_qs_minus26;
	s.chroma_qp_index_offset = p.chroma_qp_index_offset;
	s.second_chroma_qp_index_offset = p.second_chroma_qp_index_offset;
	if (pf.entropy_coding_mode_flag)
		s.flags |= V4L2_H264_PPS_FLAG_ENTROPY_CODING_MODE;
	if (pf.pic_order_present_flag)
		s.flags |= V4L2_H264_PPS_FLAG_BOTTOM_FIELD_PIC_ORDER_IN_FRAME_PRESENT;
	if (pf.weighted_pred_flag)
		s.flags |= V4L2_H264_PPS_FLAG_WEIGHTED_PRED;
	if (pf.deblocking_filter_control_present_flag)
		s.flags |= V4L2_H264_PPS_FLAG_DEBLOCKING_FILTER_CONTROL_PRESENT;
	if (pf.constrained_intra_pred_flag)
		s.flags |= V4L2_H264_PPS_FLAG_CONSTRAINED_INTRA_PRED;
	if (pf.redundant_pic_cnt_present_flag)
		s.flags |= V4L2_H264_PPS_FLAG_REDUNDANT_PIC_CNT_PRESENT;
	if (pf.transform_8x8_mode_flag)
		s.flags |= V4L2_H264_PPS_FLAG_TRANSFORM_8X8_MODE;
	// Only for non-flat lists, as the uAPI says (GStreamer: scaling_matrix_present).
	if (scalingMatrixPresent)
		s.flags |= V4L2_H264_PPS_FLAG_SCALING_MATRIX_PRESENT;
}

// VA's lists are in raster order like V4L2's (ffmpeg fills both from the same arrays). VA has
// the two luma 8x8 lists, Intra Y and Inter Y, which are V4L2 slots 0 and 1; the 4:4:4 chroma
// slots take them as fall-back rule A would.
bool fillScalingMatrix(const VAIQMatrixBufferH264 *iq, struct v4l2_ctrl_h264_scaling_matrix *m)
{
	if (!iq) {
		memset(m, kFlatScale, sizeof(*m));
		return false;
	}
	memcpy(m->scaling_list_4x4, iq->ScalingList4x4, sizeof(m->scaling_list_4x4));
	for (unsigned i = 0; i < 6; i++)
		memcpy(m->scaling_list_8x8[i], iq->ScalingList8x8[i & 1],
		       sizeof(m->scaling_list_8x8[i]));
	bool flat = true;
	for (const auto &list : iq->ScalingList4x4)
		for (uint8_t v : list)
			flat = flat && v == kFlatScale;
	for (const auto &list : iq->ScalingList8x8)
		for (uint8_t v : list)
			flat = flat && v == kFlatScale;
	return !flat;
}

// As gst_v4l2_codec_h264_dec_fill_slice_params and fill_references.
void fillSliceParams(const VAPictureParameterBufferH264 &pic,
		     const VASliceParameterBufferH264 &s,
		     struct v4l2_ctrl_h264_slice_params *params)
{
	struct v4l2_ctrl_h264_slice_params &sp = *params;
	const uint8_t type = s.slice_type % 5;
	sp = {};
	// Both count RBSP bits from the NAL header byte to slice_data().
	sp.header_bit_size = s.slice_data_bit_offset;
	sp.first_mb_in_slice = s.first_mb_in_slice;
	sp.slice_type = type;
	sp.cabac_init_idc = s.cabac_init_idc;
	sp.slice_qp_delta = s.slice_qp_delta;
	sp.disable_deblocking_filter_idc = s.disable_deblocking_filter_idc;
	sp.slice_alpha_c0_offset_div2 = s.slice_alpha_c0_offset_div2;
	sp.slice_beta_offset_div2 = s.slice_beta_offset_div2;
	const unsigned l0 = listSize(type, false, s.num_ref_idx_l0_active_minus1);
	const unsigned l1 = listSize(type, true, s.num_ref_idx_l1_active_minus1);
	sp.num_ref_idx_l0_active_minus1 = l0 ? l0 - 1 : 0;
	sp.num_ref_idx_l1_active_minus1 = l1 ? l1 - 1 : 0;
	if (isBSlice(type) && s.direct_spatial_mv_pred_flag)
		sp.flags |= V4L2_H264_SLICE_FLAG_DIRECT_SPATIAL_MV_PRED;
	for (unsigned i = 0; i < l0; i++)
		sp.ref_pic_list0[i] = referenceFor(pic, s.RefPicList0[i]);
	for (unsigned i = 0; i < l1; i++)
		sp.ref_pic_list1[i] = referenceFor(pic, s.RefPicList1[i]);
}

// As gst_v4l2_codec_h264_dec_fill_pred_weight.
void fillPredWeights(const VASliceParameterBufferH264 &s,
		     struct v4l2_ctrl_h264_pred_weights *weights)
{
	const uint8_t type = s.slice_type % 5;
	*weights = {};
	weights->luma_log2_weight_denom = s.luma_log2_weight_denom;
	weights->chroma_log2_weight_denom = s.chroma_log2_weight_denom;
	fillWeightFactors(s, false, listSize(type, false, s.num_ref_idx_l0_active_minus1),
			  &weights->weight_factors[0]);
	fillWeightFactors(s, true, listSize(type, true, s.num_ref_idx_l1_active_minus1),
			  &weights->weight_factors[1]);
}

// As gst_v4l2_codec_h264_dec_fill_decoder_params, with the DPB from VA's ReferenceFrames.
void fillDecodeParams(const VAPictureParameterBufferH264 &pic, const PictureHeaders &headers,
		      const ReferenceResolver &refs, uint64_t targetTimestampNs,
		      struct v4l2_ctrl_h264_decode_params *params)
{
	const H264SliceHeader &h = headers.first;
	struct v4l2_ctrl_h264_decode_params &d = *params;
	d = {};
	for (unsigned i = 0; i < kDpbSize; i++) {
		const VAPictureH264 &ref = pic.ReferenceFrames[i];
		if (!usable(ref))
			continue;
		uint64_t ts = 0;
		// The first field of the picture being decoded lives in the target buffer.
		if (ref.picture_id == pic.CurrPic.picture_id)
			ts = targetTimestampNs;
		else if (!refs.timestampOf(ref.picture_id, &ts))
			continue;
		struct v4l2_h264_dpb_entry &e = d.dpb[i];
		e.reference_ts = ts;
		e.frame_num = ref.frame_idx;	// LongTermFrameIdx for long-term references
		e.pic_num = picNumOf(pic, h, ref);
		e.fields = fieldsOf(ref);
		e.top_field_order_cnt = ref.TopFieldOrderCnt;
		e.bottom_field_order_cnt = ref.BottomFieldOrderCnt;
		e.flags = V4L2_H264_DPB_ENTRY_FLAG_VALID;
		if (ref.flags & (VA_PICTURE_H264_SHORT_TERM_REFERENCE |
				 VA_PICTURE_H264_LONG_TERM_REFERENCE))
			e.flags |= V4L2_H264_DPB_ENTRY_FLAG_ACTIVE;
		if (ref.flags & VA_PICTURE_H264_LONG_TERM_REFERENCE)
			e.flags |= V4L2_H264_DPB_ENTRY_FLAG_LONG_TERM;
		// A lone field, as GStreamer marks a field picture without its other field.
		if (e.fields != V4L2_H264_FRAME_REF)
			e.flags |= V4L2_H264_DPB_ENTRY_FLAG_FIELD;
	}
	d.nal_ref_idc = h.nalRefIdc;
	d.frame_num = h.frameNum;
	d.top_field_order_cnt = pic.CurrPic.TopFieldOrderCnt;
	d.bottom_field_order_cnt = pic.CurrPic.BottomFieldOrderCnt;
	d.idr_pic_id = h.idrPicId;
	d.pic_order_cnt_lsb = h.picOrderCntLsb;
	d.delta_pic_order_cnt_bottom = h.deltaPicOrderCntBottom;
	d.delta_pic_order_cnt0 = h.deltaPicOrderCnt[0];
	d.delta_pic_order_cnt1 = h.deltaPicOrderCnt[1];
	d.dec_ref_pic_marking_bit_size = h.decRefPicMarkingBitSize;
	d.pic_order_cnt_bit_size = h.picOrderCntBitSize;
	d.slice_group_change_cycle = h.sliceGroupChangeCycle;
	if (h.nalUnitType == kH264NalIdrSlice)
		d.flags |= V4L2_H264_DECODE_PARAM_FLAG_IDR_PIC;
	if (h.fieldPic)
		d.flags |= V4L2_H264_DECODE_PARAM_FLAG_FIELD_PIC;
	if (h.bottomField)
		d.flags |= V4L2_H264_DECODE_PARAM_FLAG_BOTTOM_FIELD;
	// The reference lists the picture needs, over all its slices (ffmpeg looks at one).
	if (headers.anyB)
		d.flags |= V4L2_H264_DECODE_PARAM_FLAG_BFRAME;
	else if (headers.anyP)
		d.flags |= V4L2_H264_DECODE_PARAM_FLAG_PFRAME;
}

} // namespace v4l2va::h264
