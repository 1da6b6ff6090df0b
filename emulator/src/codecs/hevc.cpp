// SPDX-License-Identifier: MIT
// HEVC stateless controls (CDEFS:v4l2_ctrl_fill, CCORE:std_validate_compound).
#include "codec_common.h"

namespace v4l2emu {

using namespace codec_detail;

namespace {

const char *const kDecodeModes[] = {"Slice-Based", "Frame-Based", nullptr};
const char *const kStartCodes[] = {"No Start Code", "Annex B Start Code", nullptr};
const char *const kProfiles[] = {"Main", "Main Still Picture", "Main 10", nullptr};
const char *const kLevels[] = {"1", "2", "2.1", "3", "3.1", "4", "4.1", "5", "5.1", "5.2", "6",
			       "6.1", "6.2", nullptr};

const ControlDef kControls[] = {
	compound(V4L2_CID_STATELESS_HEVC_SPS, "HEVC Sequence Parameter Set", V4L2_CTRL_TYPE_HEVC_SPS,
		 sizeof(struct v4l2_ctrl_hevc_sps)),
	compound(V4L2_CID_STATELESS_HEVC_PPS, "HEVC Picture Parameter Set", V4L2_CTRL_TYPE_HEVC_PPS,
		 sizeof(struct v4l2_ctrl_hevc_pps)),
	// A dynamic array in every driver (dims set by the driver).
	compound(V4L2_CID_STATELESS_HEVC_SLICE_PARAMS, "HEVC Slice Parameters",
		 V4L2_CTRL_TYPE_HEVC_SLICE_PARAMS, sizeof(struct v4l2_ctrl_hevc_slice_params),
		 V4L2_CTRL_FLAG_DYNAMIC_ARRAY, 1),
	compound(V4L2_CID_STATELESS_HEVC_SCALING_MATRIX, "HEVC Scaling Matrix",
		 V4L2_CTRL_TYPE_HEVC_SCALING_MATRIX, sizeof(struct v4l2_ctrl_hevc_scaling_matrix)),
	compound(V4L2_CID_STATELESS_HEVC_DECODE_PARAMS, "HEVC Decode Parameters",
		 V4L2_CTRL_TYPE_HEVC_DECODE_PARAMS, sizeof(struct v4l2_ctrl_hevc_decode_params)),
	menu(V4L2_CID_STATELESS_HEVC_DECODE_MODE, "HEVC Decode Mode",
	     V4L2_STATELESS_HEVC_DECODE_MODE_FRAME_BASED, V4L2_STATELESS_HEVC_DECODE_MODE_SLICE_BASED,
	     kDecodeModes),
	menu(V4L2_CID_STATELESS_HEVC_START_CODE, "HEVC Start Code",
	     V4L2_STATELESS_HEVC_START_CODE_ANNEX_B, V4L2_STATELESS_HEVC_START_CODE_NONE, kStartCodes),
	[] {
		// CDEFS: U32 dynamic array, range 0..U32_MAX.
		ControlDef d;
		d.id = V4L2_CID_STATELESS_HEVC_ENTRY_POINT_OFFSETS;
		d.name = "HEVC Entry Point Offsets";
		d.type = V4L2_CTRL_TYPE_U32;
		d.minimum = 0;
		d.maximum = 0xffffffff;
		d.step = 1;
		d.flags = V4L2_CTRL_FLAG_DYNAMIC_ARRAY;
		d.elemSize = 4;
		d.dims = 256;
		return d;
	}(),
	menu(V4L2_CID_MPEG_VIDEO_HEVC_PROFILE, "HEVC Profile", V4L2_MPEG_VIDEO_HEVC_PROFILE_MAIN_10,
	     V4L2_MPEG_VIDEO_HEVC_PROFILE_MAIN, kProfiles),
	menu(V4L2_CID_MPEG_VIDEO_HEVC_LEVEL, "HEVC Level", V4L2_MPEG_VIDEO_HEVC_LEVEL_6_2,
	     V4L2_MPEG_VIDEO_HEVC_LEVEL_1, kLevels),
};

int validateSps(void *p)
{
	// Never rejects; zeroes the PCM fields and the long-term count when unused.
	auto &s = *static_cast<struct v4l2_ctrl_hevc_sps *>(p);
	if (!(s.flags & V4L2_HEVC_SPS_FLAG_PCM_ENABLED)) {
		s.pcm_sample_bit_depth_luma_minus1 = 0;
		s.pcm_sample_bit_depth_chroma_minus1 = 0;
		s.log2_min_pcm_luma_coding_block_size_minus3 = 0;
		s.log2_diff_max_min_pcm_luma_coding_block_size = 0;
	}
	if (!(s.flags & V4L2_HEVC_SPS_FLAG_LONG_TERM_REF_PICS_PRESENT))
		s.num_long_term_ref_pics_sps = 0;
	return 0;
}

int validatePps(void *p)
{
	auto &s = *static_cast<struct v4l2_ctrl_hevc_pps *>(p);
	if (!(s.flags & V4L2_HEVC_PPS_FLAG_CU_QP_DELTA_ENABLED))
		s.diff_cu_qp_delta_depth = 0;
	if (!(s.flags & V4L2_HEVC_PPS_FLAG_TILES_ENABLED)) {
		s.num_tile_columns_minus1 = 0;
		s.num_tile_rows_minus1 = 0;
		memset(s.column_width_minus1, 0, sizeof(s.column_width_minus1));
		memset(s.row_height_minus1, 0, sizeof(s.row_height_minus1));
		s.flags &= ~V4L2_HEVC_PPS_FLAG_LOOP_FILTER_ACROSS_TILES_ENABLED;
	} else {
		// 6.12.117 backport: the counts must fit the arrays.
		if (s.num_tile_columns_minus1 >= sizeof(s.column_width_minus1) / sizeof(s.column_width_minus1[0]))
			return -EINVAL;
		if (s.num_tile_rows_minus1 >= sizeof(s.row_height_minus1) / sizeof(s.row_height_minus1[0]))
			return -EINVAL;
	}
	if (s.flags & V4L2_HEVC_PPS_FLAG_PPS_DISABLE_DEBLOCKING_FILTER) {
		s.pps_beta_offset_div2 = 0;
		s.pps_tc_offset_div2 = 0;
	}
	return 0;
}

int validateSliceParams(void *p)
{
	auto &s = *static_cast<struct v4l2_ctrl_hevc_slice_params *>(p);
	if (s.num_ref_idx_l0_active_minus1 >= V4L2_HEVC_DPB_ENTRIES_NUM_MAX)
		return -EINVAL;
	if (s.slice_type != V4L2_HEVC_SLICE_TYPE_B)
		return 0;
	if (s.num_ref_idx_l1_active_minus1 >= V4L2_HEVC_DPB_ENTRIES_NUM_MAX)
		return -EINVAL;
	return 0;
}

int validateDecodeParams(void *p)
{
	auto &s = *static_cast<struct v4l2_ctrl_hevc_decode_params *>(p);
	if (s.num_active_dpb_entries > V4L2_HEVC_DPB_ENTRIES_NUM_MAX)
		return -EINVAL;
	return 0;
}

int validateNothing(void *)
{
	return 0;
}

const CompoundType kTypes[] = {
	{V4L2_CTRL_TYPE_HEVC_SPS, sizeof(struct v4l2_ctrl_hevc_sps), validateSps},
	{V4L2_CTRL_TYPE_HEVC_PPS, sizeof(struct v4l2_ctrl_hevc_pps), validatePps},
	{V4L2_CTRL_TYPE_HEVC_SLICE_PARAMS, sizeof(struct v4l2_ctrl_hevc_slice_params), validateSliceParams},
	{V4L2_CTRL_TYPE_HEVC_SCALING_MATRIX, sizeof(struct v4l2_ctrl_hevc_scaling_matrix), validateNothing},
	{V4L2_CTRL_TYPE_HEVC_DECODE_PARAMS, sizeof(struct v4l2_ctrl_hevc_decode_params), validateDecodeParams},
};

const uint32_t kRequired[] = {V4L2_CID_STATELESS_HEVC_SPS, V4L2_CID_STATELESS_HEVC_PPS,
			      V4L2_CID_STATELESS_HEVC_DECODE_PARAMS};

const char *const kDpbRoles[V4L2_HEVC_DPB_ENTRIES_NUM_MAX] = {
	"dpb[0]", "dpb[1]", "dpb[2]", "dpb[3]", "dpb[4]", "dpb[5]", "dpb[6]", "dpb[7]",
	"dpb[8]", "dpb[9]", "dpb[10]", "dpb[11]", "dpb[12]", "dpb[13]", "dpb[14]", "dpb[15]"};

size_t collectReferences(const ControlReader &ctrls, std::span<ReferenceClaim> out)
{
	auto *dp = static_cast<const struct v4l2_ctrl_hevc_decode_params *>(
		ctrls.get(V4L2_CID_STATELESS_HEVC_DECODE_PARAMS));
	if (!dp)
		return 0;
	size_t n = 0;
	for (unsigned i = 0; i < dp->num_active_dpb_entries && i < V4L2_HEVC_DPB_ENTRIES_NUM_MAX &&
			     n < out.size();
	     i++) {
		const struct v4l2_hevc_dpb_entry &e = dp->dpb[i];
		ReferenceClaim &c = out[n++];
		c.timestamp = e.timestamp;
		c.role = kDpbRoles[i];
		c.identity.hasPoc = true;
		c.identity.topPoc = e.pic_order_cnt_val;
		c.identity.bottomPoc = e.pic_order_cnt_val;
	}
	return n;
}

FrameIdentity frameIdentity(const ControlReader &ctrls)
{
	FrameIdentity id;
	auto *dp = static_cast<const struct v4l2_ctrl_hevc_decode_params *>(
		ctrls.get(V4L2_CID_STATELESS_HEVC_DECODE_PARAMS));
	if (!dp)
		return id;
	id.hasPoc = true;
	id.topPoc = dp->pic_order_cnt_val;
	id.bottomPoc = dp->pic_order_cnt_val;
	return id;
}

bool controlsUsable(const ControlReader &ctrls)
{
	auto *sps = static_cast<const struct v4l2_ctrl_hevc_sps *>(ctrls.get(V4L2_CID_STATELESS_HEVC_SPS));
	return sps && sps->pic_width_in_luma_samples && sps->pic_height_in_luma_samples;
}

} // namespace

extern const CodecOps kHevcCodec = {
	"hevc", V4L2_PIX_FMT_HEVC_SLICE, kControls, kTypes, kRequired,
	collectReferences, frameIdentity, controlsUsable,
};

} // namespace v4l2emu
