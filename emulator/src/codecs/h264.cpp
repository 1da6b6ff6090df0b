// SPDX-License-Identifier: MIT
// H.264 stateless controls (CDEFS:v4l2_ctrl_fill, CCORE:std_validate_compound).
#include "codec_common.h"

#include <cstdio>

namespace v4l2emu {

using namespace codec_detail;

namespace {

const char *const kDecodeModes[] = {"Slice-Based", "Frame-Based", nullptr};
const char *const kStartCodes[] = {"No Start Code", "Annex B Start Code", nullptr};
const char *const kProfiles[] = {
	"Baseline", "Constrained Baseline", "Main", "Extended", "High", "High 10", "High 422",
	"High 444 Predictive", "High 10 Intra", "High 422 Intra", "High 444 Intra",
	"CAVLC 444 Intra", "Scalable Baseline", "Scalable High", "Scalable High Intra",
	"Stereo High", "Multiview High", "Constrained High", nullptr};
const char *const kLevels[] = {"1", "1b", "1.1", "1.2", "1.3", "2", "2.1", "2.2", "3", "3.1",
			       "3.2", "4", "4.1", "4.2", "5", "5.1", "5.2", "6.0", "6.1", "6.2",
			       nullptr};

const ControlDef kControls[] = {
	menu(V4L2_CID_STATELESS_H264_DECODE_MODE, "H264 Decode Mode",
	     V4L2_STATELESS_H264_DECODE_MODE_FRAME_BASED, V4L2_STATELESS_H264_DECODE_MODE_SLICE_BASED,
	     kDecodeModes),
	menu(V4L2_CID_STATELESS_H264_START_CODE, "H264 Start Code",
	     V4L2_STATELESS_H264_START_CODE_ANNEX_B, V4L2_STATELESS_H264_START_CODE_NONE, kStartCodes),
	compound(V4L2_CID_STATELESS_H264_SPS, "H264 Sequence Parameter Set", V4L2_CTRL_TYPE_H264_SPS,
		 sizeof(struct v4l2_ctrl_h264_sps)),
	compound(V4L2_CID_STATELESS_H264_PPS, "H264 Picture Parameter Set", V4L2_CTRL_TYPE_H264_PPS,
		 sizeof(struct v4l2_ctrl_h264_pps)),
	compound(V4L2_CID_STATELESS_H264_SCALING_MATRIX, "H264 Scaling Matrix",
		 V4L2_CTRL_TYPE_H264_SCALING_MATRIX, sizeof(struct v4l2_ctrl_h264_scaling_matrix)),
	compound(V4L2_CID_STATELESS_H264_PRED_WEIGHTS, "H264 Prediction Weight Table",
		 V4L2_CTRL_TYPE_H264_PRED_WEIGHTS, sizeof(struct v4l2_ctrl_h264_pred_weights)),
	compound(V4L2_CID_STATELESS_H264_SLICE_PARAMS, "H264 Slice Parameters",
		 V4L2_CTRL_TYPE_H264_SLICE_PARAMS, sizeof(struct v4l2_ctrl_h264_slice_params)),
	compound(V4L2_CID_STATELESS_H264_DECODE_PARAMS, "H264 Decode Parameters",
		 V4L2_CTRL_TYPE_H264_DECODE_PARAMS, sizeof(struct v4l2_ctrl_h264_decode_params)),
	menu(V4L2_CID_MPEG_VIDEO_H264_PROFILE, "H264 Profile",
	     V4L2_MPEG_VIDEO_H264_PROFILE_CONSTRAINED_HIGH, V4L2_MPEG_VIDEO_H264_PROFILE_BASELINE,
	     kProfiles),
	menu(V4L2_CID_MPEG_VIDEO_H264_LEVEL, "H264 Level", V4L2_MPEG_VIDEO_H264_LEVEL_6_2,
	     V4L2_MPEG_VIDEO_H264_LEVEL_1_0, kLevels),
};

bool spsHasChromaFormat(const struct v4l2_ctrl_h264_sps &s)
{
	// uapi V4L2_H264_SPS_HAS_CHROMA_FORMAT.
	switch (s.profile_idc) {
	case 100: case 110: case 122: case 244: case 44: case 83: case 86: case 118: case 128:
	case 138: case 139: case 134: case 135:
		return true;
	default:
		return false;
	}
}

int validateSps(void *p)
{
	auto &s = *static_cast<struct v4l2_ctrl_h264_sps *>(p);
	// Sanitising first, as CCORE:std_validate_compound does.
	if (s.pic_order_cnt_type != 0) {
		s.log2_max_pic_order_cnt_lsb_minus4 = 0;
	} else {
		s.num_ref_frames_in_pic_order_cnt_cycle = 0;
		s.offset_for_non_ref_pic = 0;
		s.offset_for_top_to_bottom_field = 0;
		memset(s.offset_for_ref_frame, 0, sizeof(s.offset_for_ref_frame));
	}
	if (!spsHasChromaFormat(s)) {
		s.chroma_format_idc = 1;
		s.bit_depth_luma_minus8 = 0;
		s.bit_depth_chroma_minus8 = 0;
		s.flags &= ~V4L2_H264_SPS_FLAG_QPPRIME_Y_ZERO_TRANSFORM_BYPASS;
	}
	if (s.chroma_format_idc < 3)
		s.flags &= ~V4L2_H264_SPS_FLAG_SEPARATE_COLOUR_PLANE;
	if (s.flags & V4L2_H264_SPS_FLAG_FRAME_MBS_ONLY)
		s.flags &= ~V4L2_H264_SPS_FLAG_MB_ADAPTIVE_FRAME_FIELD;
	if (s.profile_idc < 122 && s.chroma_format_idc > 1)
		return -EINVAL;
	if (s.profile_idc < 244 && s.chroma_format_idc > 2)
		return -EINVAL;
	if (s.chroma_format_idc > 3)
		return -EINVAL;
	if (s.bit_depth_luma_minus8 > 6 || s.bit_depth_chroma_minus8 > 6)
		return -EINVAL;
	if (s.log2_max_frame_num_minus4 > 12)
		return -EINVAL;
	if (s.pic_order_cnt_type > 2)
		return -EINVAL;
	if (s.log2_max_pic_order_cnt_lsb_minus4 > 12)
		return -EINVAL;
	if (s.max_num_ref_frames > V4L2_H264_REF_LIST_LEN)
		return -EINVAL;
	return 0;
}

int validatePps(void *p)
{
	auto &s = *static_cast<struct v4l2_ctrl_h264_pps *>(p);
	if (s.num_slice_groups_minus1 > 7)
		return -EINVAL;
	if (s.num_ref_idx_l0_default_active_minus1 > V4L2_H264_REF_LIST_LEN - 1 ||
	    s.num_ref_idx_l1_default_active_minus1 > V4L2_H264_REF_LIST_LEN - 1)
		return -EINVAL;
	if (s.weighted_bipred_idc > 2)
		return -EINVAL;
	if (s.pic_init_qp_minus26 < -62 || s.pic_init_qp_minus26 > 25)
		return -EINVAL;
	if (s.pic_init_qs_minus26 < -26 || s.pic_init_qs_minus26 > 25)
		return -EINVAL;
	if (s.chroma_qp_index_offset < -12 || s.chroma_qp_index_offset > 12)
		return -EINVAL;
	if (s.second_chroma_qp_index_offset < -12 || s.second_chroma_qp_index_offset > 12)
		return -EINVAL;
	return 0;
}

int validateNothing(void *)
{
	return 0;
}

int validatePredWeights(void *p)
{
	auto &s = *static_cast<struct v4l2_ctrl_h264_pred_weights *>(p);
	if (s.luma_log2_weight_denom > 7 || s.chroma_log2_weight_denom > 7)
		return -EINVAL;
	return 0;
}

int validateSliceParams(void *p)
{
	auto &s = *static_cast<struct v4l2_ctrl_h264_slice_params *>(p);
	if (s.slice_type != V4L2_H264_SLICE_TYPE_B)
		s.flags &= ~V4L2_H264_SLICE_FLAG_DIRECT_SPATIAL_MV_PRED;
	if (s.colour_plane_id > 2 || s.cabac_init_idc > 2 || s.disable_deblocking_filter_idc > 2)
		return -EINVAL;
	if (s.slice_alpha_c0_offset_div2 < -6 || s.slice_alpha_c0_offset_div2 > 6)
		return -EINVAL;
	if (s.slice_beta_offset_div2 < -6 || s.slice_beta_offset_div2 > 6)
		return -EINVAL;
	if (s.slice_type == V4L2_H264_SLICE_TYPE_I || s.slice_type == V4L2_H264_SLICE_TYPE_SI)
		s.num_ref_idx_l0_active_minus1 = 0;
	if (s.slice_type != V4L2_H264_SLICE_TYPE_B)
		s.num_ref_idx_l1_active_minus1 = 0;
	if (s.num_ref_idx_l0_active_minus1 > V4L2_H264_REF_LIST_LEN - 1 ||
	    s.num_ref_idx_l1_active_minus1 > V4L2_H264_REF_LIST_LEN - 1)
		return -EINVAL;
	zeroReserved(s);
	return 0;
}

int validateDecodeParams(void *p)
{
	auto &s = *static_cast<struct v4l2_ctrl_h264_decode_params *>(p);
	if (s.nal_ref_idc > 3)
		return -EINVAL;
	for (auto &e : s.dpb)
		zeroReserved(e);
	zeroReserved(s);
	return 0;
}

const CompoundType kTypes[] = {
	{V4L2_CTRL_TYPE_H264_SPS, sizeof(struct v4l2_ctrl_h264_sps), validateSps},
	{V4L2_CTRL_TYPE_H264_PPS, sizeof(struct v4l2_ctrl_h264_pps), validatePps},
	{V4L2_CTRL_TYPE_H264_SCALING_MATRIX, sizeof(struct v4l2_ctrl_h264_scaling_matrix), validateNothing},
	{V4L2_CTRL_TYPE_H264_PRED_WEIGHTS, sizeof(struct v4l2_ctrl_h264_pred_weights), validatePredWeights},
	{V4L2_CTRL_TYPE_H264_SLICE_PARAMS, sizeof(struct v4l2_ctrl_h264_slice_params), validateSliceParams},
	{V4L2_CTRL_TYPE_H264_DECODE_PARAMS, sizeof(struct v4l2_ctrl_h264_decode_params), validateDecodeParams},
};

const uint32_t kRequired[] = {V4L2_CID_STATELESS_H264_SPS, V4L2_CID_STATELESS_H264_PPS,
			      V4L2_CID_STATELESS_H264_DECODE_PARAMS};

const char *const kDpbRoles[V4L2_H264_NUM_DPB_ENTRIES] = {
	"dpb[0]", "dpb[1]", "dpb[2]", "dpb[3]", "dpb[4]", "dpb[5]", "dpb[6]", "dpb[7]",
	"dpb[8]", "dpb[9]", "dpb[10]", "dpb[11]", "dpb[12]", "dpb[13]", "dpb[14]", "dpb[15]"};

size_t collectReferences(const ControlReader &ctrls, std::span<ReferenceClaim> out)
{
	auto *dp = static_cast<const struct v4l2_ctrl_h264_decode_params *>(
		ctrls.get(V4L2_CID_STATELESS_H264_DECODE_PARAMS));
	if (!dp)
		return 0;
	size_t n = 0;
	for (unsigned i = 0; i < V4L2_H264_NUM_DPB_ENTRIES && n < out.size(); i++) {
		const struct v4l2_h264_dpb_entry &e = dp->dpb[i];
		if (!(e.flags & V4L2_H264_DPB_ENTRY_FLAG_VALID) ||
		    !(e.flags & V4L2_H264_DPB_ENTRY_FLAG_ACTIVE))
			continue;
		ReferenceClaim &c = out[n++];
		c.timestamp = e.reference_ts;
		c.role = kDpbRoles[i];
		c.identity.hasPoc = true;
		c.identity.topPoc = e.top_field_order_cnt;
		c.identity.bottomPoc = e.bottom_field_order_cnt;
		// A field reference names only its field(s) (v4l2_h264_dpb_entry.fields).
		uint32_t fields = e.fields ? e.fields : V4L2_H264_FRAME_REF;
		c.identity.checkTop = fields & V4L2_H264_TOP_FIELD_REF;
		c.identity.checkBottom = fields & V4L2_H264_BOTTOM_FIELD_REF;
	}
	return n;
}

FrameIdentity frameIdentity(const ControlReader &ctrls)
{
	FrameIdentity id;
	auto *dp = static_cast<const struct v4l2_ctrl_h264_decode_params *>(
		ctrls.get(V4L2_CID_STATELESS_H264_DECODE_PARAMS));
	if (!dp)
		return id;
	id.hasPoc = true;
	id.topPoc = dp->top_field_order_cnt;
	id.bottomPoc = dp->bottom_field_order_cnt;
	if (dp->flags & V4L2_H264_DECODE_PARAM_FLAG_FIELD_PIC) {
		bool bottom = dp->flags & V4L2_H264_DECODE_PARAM_FLAG_BOTTOM_FIELD;
		id.checkTop = !bottom;
		id.checkBottom = bottom;
	}
	return id;
}

bool controlsUsable(const ControlReader &ctrls)
{
	auto *sps = static_cast<const struct v4l2_ctrl_h264_sps *>(ctrls.get(V4L2_CID_STATELESS_H264_SPS));
	return sps && sps->chroma_format_idc <= 3 && sps->profile_idc != 0;
}

} // namespace

extern const CodecOps kH264Codec = {
	"h264", V4L2_PIX_FMT_H264_SLICE, kControls, kTypes, kRequired,
	collectReferences, frameIdentity, controlsUsable,
};

} // namespace v4l2emu
