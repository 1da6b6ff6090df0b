// SPDX-License-Identifier: MIT
// AV1 stateless controls (CDEFS:v4l2_ctrl_fill, CCORE:validate_av1_*).
#include "codec_common.h"

namespace v4l2emu {

using namespace codec_detail;

namespace {

const ControlDef kControls[] = {
	compound(V4L2_CID_STATELESS_AV1_SEQUENCE, "AV1 Sequence Parameters",
		 V4L2_CTRL_TYPE_AV1_SEQUENCE, sizeof(struct v4l2_ctrl_av1_sequence)),
	compound(V4L2_CID_STATELESS_AV1_TILE_GROUP_ENTRY, "AV1 Tile Group Entry",
		 V4L2_CTRL_TYPE_AV1_TILE_GROUP_ENTRY, sizeof(struct v4l2_ctrl_av1_tile_group_entry),
		 V4L2_CTRL_FLAG_DYNAMIC_ARRAY, 1),
	compound(V4L2_CID_STATELESS_AV1_FRAME, "AV1 Frame Parameters", V4L2_CTRL_TYPE_AV1_FRAME,
		 sizeof(struct v4l2_ctrl_av1_frame)),
	compound(V4L2_CID_STATELESS_AV1_FILM_GRAIN, "AV1 Film Grain", V4L2_CTRL_TYPE_AV1_FILM_GRAIN,
		 sizeof(struct v4l2_ctrl_av1_film_grain)),
};

int validateSequence(void *p)
{
	auto &s = *static_cast<struct v4l2_ctrl_av1_sequence *>(p);
	const uint32_t known =
		V4L2_AV1_SEQUENCE_FLAG_STILL_PICTURE | V4L2_AV1_SEQUENCE_FLAG_USE_128X128_SUPERBLOCK |
		V4L2_AV1_SEQUENCE_FLAG_ENABLE_FILTER_INTRA | V4L2_AV1_SEQUENCE_FLAG_ENABLE_INTRA_EDGE_FILTER |
		V4L2_AV1_SEQUENCE_FLAG_ENABLE_INTERINTRA_COMPOUND |
		V4L2_AV1_SEQUENCE_FLAG_ENABLE_MASKED_COMPOUND | V4L2_AV1_SEQUENCE_FLAG_ENABLE_WARPED_MOTION |
		V4L2_AV1_SEQUENCE_FLAG_ENABLE_DUAL_FILTER | V4L2_AV1_SEQUENCE_FLAG_ENABLE_ORDER_HINT |
		V4L2_AV1_SEQUENCE_FLAG_ENABLE_JNT_COMP | V4L2_AV1_SEQUENCE_FLAG_ENABLE_REF_FRAME_MVS |
		V4L2_AV1_SEQUENCE_FLAG_ENABLE_SUPERRES | V4L2_AV1_SEQUENCE_FLAG_ENABLE_CDEF |
		V4L2_AV1_SEQUENCE_FLAG_ENABLE_RESTORATION | V4L2_AV1_SEQUENCE_FLAG_MONO_CHROME |
		V4L2_AV1_SEQUENCE_FLAG_COLOR_RANGE | V4L2_AV1_SEQUENCE_FLAG_SUBSAMPLING_X |
		V4L2_AV1_SEQUENCE_FLAG_SUBSAMPLING_Y | V4L2_AV1_SEQUENCE_FLAG_FILM_GRAIN_PARAMS_PRESENT |
		V4L2_AV1_SEQUENCE_FLAG_SEPARATE_UV_DELTA_Q;
	if (s.flags & ~known)
		return -EINVAL;
	if (s.seq_profile == 1 && (s.flags & V4L2_AV1_SEQUENCE_FLAG_MONO_CHROME))
		return -EINVAL;
	if (s.seq_profile > 2)
		return -EINVAL;
	return 0;
}

int validateQuantization(const struct v4l2_av1_quantization &q)
{
	auto out = [](int8_t v) { return v < -64 || v > 63; };
	if (q.flags > 7)
		return -EINVAL;
	if (out(q.delta_q_y_dc) || out(q.delta_q_u_dc) || out(q.delta_q_v_dc) || out(q.delta_q_u_ac) ||
	    out(q.delta_q_v_ac) || q.delta_q_res > 3)
		return -EINVAL;
	if (q.qm_y > 15 || q.qm_u > 15 || q.qm_v > 15)
		return -EINVAL;
	return 0;
}

int validateSegmentation(const struct v4l2_av1_segmentation &s)
{
	static const bool kSigned[] = {true, true, true, true, true, false, false, false};
	static const int kMax[] = {255, 63, 63, 63, 63, 7, 0, 0};
	if (s.flags > 31)
		return -EINVAL;
	for (const auto &segment : s.feature_data)
		for (int j = 0; j < 8; j++) {
			int v = segment[j];
			if (kSigned[j] ? (v < -kMax[j] || v > kMax[j]) : (v < 0 || v > kMax[j]))
				return -EINVAL;
		}
	return 0;
}

int validateLoopFilter(const struct v4l2_av1_loop_filter &lf)
{
	if (lf.flags > 15 || lf.sharpness > 7)
		return -EINVAL;
	for (uint8_t l : lf.level)
		if (l > 63)
			return -EINVAL;
	for (int8_t d : lf.ref_deltas)
		if (d < -64 || d > 63)
			return -EINVAL;
	for (int8_t d : lf.mode_deltas)
		if (d < -64 || d > 63)
			return -EINVAL;
	return 0;
}

int validateCdef(const struct v4l2_av1_cdef &c)
{
	if (c.damping_minus_3 > 3 || c.bits > 3)
		return -EINVAL;
	for (unsigned i = 0; i < (1u << c.bits); i++)
		if (c.y_pri_strength[i] > 15 || c.y_sec_strength[i] > 4 || c.uv_pri_strength[i] > 15 ||
		    c.uv_sec_strength[i] > 4)
			return -EINVAL;
	return 0;
}

int validateFrame(void *p)
{
	auto &f = *static_cast<struct v4l2_ctrl_av1_frame *>(p);
	// 6.12.117 backport: tile counts bounded by the array sizes.
	if (f.tile_info.tile_cols > V4L2_AV1_MAX_TILE_COLS || f.tile_info.tile_rows > V4L2_AV1_MAX_TILE_ROWS)
		return -EINVAL;
	if (static_cast<uint32_t>(f.tile_info.tile_cols) * f.tile_info.tile_rows > V4L2_AV1_MAX_TILE_COUNT)
		return -EINVAL;
	if (int ret = validateQuantization(f.quantization))
		return ret;
	if (int ret = validateSegmentation(f.segmentation))
		return ret;
	if (int ret = validateLoopFilter(f.loop_filter))
		return ret;
	if (int ret = validateCdef(f.cdef))
		return ret;
	if (f.loop_restoration.lr_unit_shift > 3 || f.loop_restoration.lr_uv_shift > 1)
		return -EINVAL;
	const uint32_t known =
		V4L2_AV1_FRAME_FLAG_SHOW_FRAME | V4L2_AV1_FRAME_FLAG_SHOWABLE_FRAME |
		V4L2_AV1_FRAME_FLAG_ERROR_RESILIENT_MODE | V4L2_AV1_FRAME_FLAG_DISABLE_CDF_UPDATE |
		V4L2_AV1_FRAME_FLAG_ALLOW_SCREEN_CONTENT_TOOLS | V4L2_AV1_FRAME_FLAG_FORCE_INTEGER_MV |
		V4L2_AV1_FRAME_FLAG_ALLOW_INTRABC | V4L2_AV1_FRAME_FLAG_USE_SUPERRES |
		V4L2_AV1_FRAME_FLAG_ALLOW_HIGH_PRECISION_MV | V4L2_AV1_FRAME_FLAG_IS_MOTION_MODE_SWITCHABLE |
		V4L2_AV1_FRAME_FLAG_USE_REF_FRAME_MVS | V4L2_AV1_FRAME_FLAG_DISABLE_FRAME_END_UPDATE_CDF |
		V4L2_AV1_FRAME_FLAG_ALLOW_WARPED_MOTION | V4L2_AV1_FRAME_FLAG_REFERENCE_SELECT |
		V4L2_AV1_FRAME_FLAG_REDUCED_TX_SET | V4L2_AV1_FRAME_FLAG_SKIP_MODE_ALLOWED |
		V4L2_AV1_FRAME_FLAG_SKIP_MODE_PRESENT | V4L2_AV1_FRAME_FLAG_FRAME_SIZE_OVERRIDE |
		V4L2_AV1_FRAME_FLAG_BUFFER_REMOVAL_TIME_PRESENT |
		V4L2_AV1_FRAME_FLAG_FRAME_REFS_SHORT_SIGNALING;
	if (f.flags & ~known)
		return -EINVAL;
	if (f.superres_denom > 7 + 9)
		return -EINVAL;
	return 0;
}

int validateFilmGrain(void *p)
{
	auto &g = *static_cast<struct v4l2_ctrl_av1_film_grain *>(p);
	if (g.flags > 31)
		return -EINVAL;
	if (g.film_grain_params_ref_idx > 7 || g.num_y_points > 14 || g.num_cb_points > 10 ||
	    g.num_cr_points > 15 || g.grain_scaling_minus_8 > 3 || g.ar_coeff_lag > 3 ||
	    g.ar_coeff_shift_minus_6 > 3 || g.grain_scale_shift > 3)
		return -EINVAL;
	if (!(g.flags & V4L2_AV1_FILM_GRAIN_FLAG_APPLY_GRAIN))
		return 0;
	for (unsigned i = 1; i < g.num_y_points; i++)
		if (g.point_y_value[i] <= g.point_y_value[i - 1])
			return -EINVAL;
	for (unsigned i = 1; i < g.num_cb_points; i++)
		if (g.point_cb_value[i] <= g.point_cb_value[i - 1])
			return -EINVAL;
	for (unsigned i = 1; i < g.num_cr_points; i++)
		if (g.point_cr_value[i] <= g.point_cr_value[i - 1])
			return -EINVAL;
	return 0;
}

int validateNothing(void *)
{
	return 0;
}

const CompoundType kTypes[] = {
	{V4L2_CTRL_TYPE_AV1_SEQUENCE, sizeof(struct v4l2_ctrl_av1_sequence), validateSequence},
	{V4L2_CTRL_TYPE_AV1_TILE_GROUP_ENTRY, sizeof(struct v4l2_ctrl_av1_tile_group_entry), validateNothing},
	{V4L2_CTRL_TYPE_AV1_FRAME, sizeof(struct v4l2_ctrl_av1_frame), validateFrame},
	{V4L2_CTRL_TYPE_AV1_FILM_GRAIN, sizeof(struct v4l2_ctrl_av1_film_grain), validateFilmGrain},
};

const uint32_t kRequired[] = {V4L2_CID_STATELESS_AV1_SEQUENCE, V4L2_CID_STATELESS_AV1_FRAME};

const char *const kRoles[V4L2_AV1_TOTAL_REFS_PER_FRAME] = {
	"ref[0]", "ref[1]", "ref[2]", "ref[3]", "ref[4]", "ref[5]", "ref[6]", "ref[7]"};

size_t collectReferences(const ControlReader &ctrls, std::span<ReferenceClaim> out)
{
	auto *f = static_cast<const struct v4l2_ctrl_av1_frame *>(ctrls.get(V4L2_CID_STATELESS_AV1_FRAME));
	if (!f || f->frame_type == V4L2_AV1_KEY_FRAME || f->frame_type == V4L2_AV1_INTRA_ONLY_FRAME)
		return 0;
	size_t n = 0;
	// ref_frame_idx names the 7 references of an inter frame among the 8 slots.
	for (unsigned i = 0; i < V4L2_AV1_REFS_PER_FRAME && n < out.size(); i++) {
		unsigned slot = static_cast<unsigned>(f->ref_frame_idx[i]);
		if (slot >= V4L2_AV1_TOTAL_REFS_PER_FRAME)
			continue;
		out[n++] = {f->reference_frame_ts[slot], {}, kRoles[slot]};
	}
	return n;
}

FrameIdentity frameIdentity(const ControlReader &)
{
	return {};
}

bool controlsUsable(const ControlReader &ctrls)
{
	return ctrls.get(V4L2_CID_STATELESS_AV1_FRAME) != nullptr;
}

} // namespace

extern const CodecOps kAv1Codec = {
	"av1", V4L2_PIX_FMT_AV1_FRAME, kControls, kTypes, kRequired,
	collectReferences, frameIdentity, controlsUsable,
};

} // namespace v4l2emu
