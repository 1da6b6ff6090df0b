// SPDX-License-Identifier: MIT
// VP9 stateless controls (CDEFS:v4l2_ctrl_fill, CCORE:validate_vp9_*).
#include "codec_common.h"

namespace v4l2emu {

using namespace codec_detail;

namespace {

const char *const kProfiles[] = {"0", "1", "2", "3", nullptr};

const ControlDef kControls[] = {
	compound(V4L2_CID_STATELESS_VP9_FRAME, "VP9 Frame Decode Parameters", V4L2_CTRL_TYPE_VP9_FRAME,
		 sizeof(struct v4l2_ctrl_vp9_frame)),
	compound(V4L2_CID_STATELESS_VP9_COMPRESSED_HDR, "VP9 Probabilities Updates",
		 V4L2_CTRL_TYPE_VP9_COMPRESSED_HDR, sizeof(struct v4l2_ctrl_vp9_compressed_hdr)),
	menu(V4L2_CID_MPEG_VIDEO_VP9_PROFILE, "VP9 Profile", V4L2_MPEG_VIDEO_VP9_PROFILE_3,
	     V4L2_MPEG_VIDEO_VP9_PROFILE_0, kProfiles),
};

int validateLoopFilter(struct v4l2_vp9_loop_filter &lf)
{
	if (lf.flags & ~(V4L2_VP9_LOOP_FILTER_FLAG_DELTA_ENABLED | V4L2_VP9_LOOP_FILTER_FLAG_DELTA_UPDATE))
		return -EINVAL;
	if (lf.level > 63 || lf.sharpness > 7)
		return -EINVAL;
	for (int8_t d : lf.ref_deltas)
		if (d < -63 || d > 63)
			return -EINVAL;
	for (int8_t d : lf.mode_deltas)
		if (d < -63 || d > 63)
			return -EINVAL;
	zeroReserved(lf);
	return 0;
}

int validateQuant(struct v4l2_vp9_quantization &q)
{
	auto out = [](int8_t v) { return v < -15 || v > 15; };
	if (out(q.delta_q_y_dc) || out(q.delta_q_uv_dc) || out(q.delta_q_uv_ac))
		return -EINVAL;
	zeroReserved(q);
	return 0;
}

int validateSegmentation(struct v4l2_vp9_segmentation &s)
{
	if (s.flags & ~(V4L2_VP9_SEGMENTATION_FLAG_ENABLED | V4L2_VP9_SEGMENTATION_FLAG_UPDATE_MAP |
			V4L2_VP9_SEGMENTATION_FLAG_TEMPORAL_UPDATE |
			V4L2_VP9_SEGMENTATION_FLAG_UPDATE_DATA |
			V4L2_VP9_SEGMENTATION_FLAG_ABS_OR_DELTA_UPDATE))
		return -EINVAL;
	for (uint8_t f : s.feature_enabled)
		if (f & ~V4L2_VP9_SEGMENT_FEATURE_ENABLED_MASK)
			return -EINVAL;
	static const int kRange[] = {255, 63, 3, 0};
	for (auto &segment : s.feature_data)
		for (int j = 0; j < 4; j++)
			if (segment[j] < -kRange[j] || segment[j] > kRange[j])
				return -EINVAL;
	zeroReserved(s);
	return 0;
}

int validateFrame(void *p)
{
	auto &f = *static_cast<struct v4l2_ctrl_vp9_frame *>(p);
	const uint32_t known = V4L2_VP9_FRAME_FLAG_KEY_FRAME | V4L2_VP9_FRAME_FLAG_SHOW_FRAME |
			       V4L2_VP9_FRAME_FLAG_ERROR_RESILIENT | V4L2_VP9_FRAME_FLAG_INTRA_ONLY |
			       V4L2_VP9_FRAME_FLAG_ALLOW_HIGH_PREC_MV |
			       V4L2_VP9_FRAME_FLAG_REFRESH_FRAME_CTX |
			       V4L2_VP9_FRAME_FLAG_PARALLEL_DEC_MODE |
			       V4L2_VP9_FRAME_FLAG_X_SUBSAMPLING | V4L2_VP9_FRAME_FLAG_Y_SUBSAMPLING |
			       V4L2_VP9_FRAME_FLAG_COLOR_RANGE_FULL_SWING;
	if (f.flags & ~known)
		return -EINVAL;
	if ((f.flags & V4L2_VP9_FRAME_FLAG_ERROR_RESILIENT) &&
	    (f.flags & V4L2_VP9_FRAME_FLAG_REFRESH_FRAME_CTX))
		return -EINVAL;
	if (f.profile > V4L2_VP9_PROFILE_MAX)
		return -EINVAL;
	if (f.reset_frame_context > V4L2_VP9_RESET_FRAME_CTX_ALL)
		return -EINVAL;
	if (f.frame_context_idx >= V4L2_VP9_NUM_FRAME_CTX)
		return -EINVAL;
	if ((f.profile < 2 && f.bit_depth != 8) ||
	    (f.profile >= 2 && f.bit_depth != 10 && f.bit_depth != 12))
		return -EINVAL;
	bool xs = f.flags & V4L2_VP9_FRAME_FLAG_X_SUBSAMPLING;
	bool ys = f.flags & V4L2_VP9_FRAME_FLAG_Y_SUBSAMPLING;
	if ((f.profile == 0 || f.profile == 2) && (!xs || !ys))
		return -EINVAL;
	if ((f.profile == 1 || f.profile == 3) && xs && ys)
		return -EINVAL;
	if (f.interpolation_filter > V4L2_VP9_INTERP_FILTER_SWITCHABLE)
		return -EINVAL;
	if (f.tile_cols_log2 > 6)
		return -EINVAL;
	if (f.reference_mode > V4L2_VP9_REFERENCE_MODE_SELECT)
		return -EINVAL;
	if (int ret = validateLoopFilter(f.lf))
		return ret;
	if (int ret = validateQuant(f.quant))
		return ret;
	if (int ret = validateSegmentation(f.seg))
		return ret;
	zeroReserved(f);
	return 0;
}

int validateCompressedHdr(void *p)
{
	auto &h = *static_cast<struct v4l2_ctrl_vp9_compressed_hdr *>(p);
	return h.tx_mode > V4L2_VP9_TX_MODE_SELECT ? -EINVAL : 0;
}

const CompoundType kTypes[] = {
	{V4L2_CTRL_TYPE_VP9_FRAME, sizeof(struct v4l2_ctrl_vp9_frame), validateFrame},
	{V4L2_CTRL_TYPE_VP9_COMPRESSED_HDR, sizeof(struct v4l2_ctrl_vp9_compressed_hdr), validateCompressedHdr},
};

const uint32_t kRequired[] = {V4L2_CID_STATELESS_VP9_FRAME};

size_t collectReferences(const ControlReader &ctrls, std::span<ReferenceClaim> out)
{
	auto *f = static_cast<const struct v4l2_ctrl_vp9_frame *>(ctrls.get(V4L2_CID_STATELESS_VP9_FRAME));
	if (!f || (f->flags & (V4L2_VP9_FRAME_FLAG_KEY_FRAME | V4L2_VP9_FRAME_FLAG_INTRA_ONLY)))
		return 0;
	const ReferenceClaim refs[] = {{f->last_frame_ts, {}, "last"},
				       {f->golden_frame_ts, {}, "golden"},
				       {f->alt_frame_ts, {}, "altref"}};
	size_t n = 0;
	for (const ReferenceClaim &r : refs)
		if (n < out.size())
			out[n++] = r;
	return n;
}

FrameIdentity frameIdentity(const ControlReader &)
{
	return {};
}

bool controlsUsable(const ControlReader &ctrls)
{
	return ctrls.get(V4L2_CID_STATELESS_VP9_FRAME) != nullptr;
}

} // namespace

extern const CodecOps kVp9Codec = {
	"vp9", V4L2_PIX_FMT_VP9_FRAME, kControls, kTypes, kRequired,
	collectReferences, frameIdentity, controlsUsable,
};

} // namespace v4l2emu
