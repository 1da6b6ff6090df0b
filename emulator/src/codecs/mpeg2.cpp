// SPDX-License-Identifier: MIT
// MPEG-2 stateless controls (CDEFS:v4l2_ctrl_fill, CCORE:std_validate_compound).
#include "codec_common.h"

namespace v4l2emu {

using namespace codec_detail;

namespace {

const ControlDef kControls[] = {
	compound(V4L2_CID_STATELESS_MPEG2_SEQUENCE, "MPEG-2 Sequence Header",
		 V4L2_CTRL_TYPE_MPEG2_SEQUENCE, sizeof(struct v4l2_ctrl_mpeg2_sequence)),
	compound(V4L2_CID_STATELESS_MPEG2_PICTURE, "MPEG-2 Picture Header",
		 V4L2_CTRL_TYPE_MPEG2_PICTURE, sizeof(struct v4l2_ctrl_mpeg2_picture)),
	compound(V4L2_CID_STATELESS_MPEG2_QUANTISATION, "MPEG-2 Quantisation Matrices",
		 V4L2_CTRL_TYPE_MPEG2_QUANTISATION, sizeof(struct v4l2_ctrl_mpeg2_quantisation)),
};

int validateSequence(void *p)
{
	auto &s = *static_cast<struct v4l2_ctrl_mpeg2_sequence *>(p);
	if (s.chroma_format < 1 || s.chroma_format > 3)
		return -EINVAL;
	return 0;
}

int validatePicture(void *p)
{
	auto &s = *static_cast<struct v4l2_ctrl_mpeg2_picture *>(p);
	if (s.intra_dc_precision > 3)
		return -EINVAL;
	switch (s.picture_structure) {
	case V4L2_MPEG2_PIC_TOP_FIELD:
	case V4L2_MPEG2_PIC_BOTTOM_FIELD:
	case V4L2_MPEG2_PIC_FRAME:
		break;
	default:
		return -EINVAL;
	}
	switch (s.picture_coding_type) {
	case V4L2_MPEG2_PIC_CODING_TYPE_I:
	case V4L2_MPEG2_PIC_CODING_TYPE_P:
	case V4L2_MPEG2_PIC_CODING_TYPE_B:
		break;
	default:
		return -EINVAL;
	}
	zeroReserved(s);
	return 0;
}

int validateNothing(void *)
{
	return 0;
}

const CompoundType kTypes[] = {
	{V4L2_CTRL_TYPE_MPEG2_SEQUENCE, sizeof(struct v4l2_ctrl_mpeg2_sequence), validateSequence},
	{V4L2_CTRL_TYPE_MPEG2_PICTURE, sizeof(struct v4l2_ctrl_mpeg2_picture), validatePicture},
	{V4L2_CTRL_TYPE_MPEG2_QUANTISATION, sizeof(struct v4l2_ctrl_mpeg2_quantisation), validateNothing},
};

const uint32_t kRequired[] = {V4L2_CID_STATELESS_MPEG2_SEQUENCE, V4L2_CID_STATELESS_MPEG2_PICTURE};

size_t collectReferences(const ControlReader &ctrls, std::span<ReferenceClaim> out)
{
	auto *pic = static_cast<const struct v4l2_ctrl_mpeg2_picture *>(
		ctrls.get(V4L2_CID_STATELESS_MPEG2_PICTURE));
	if (!pic)
		return 0;
	size_t n = 0;
	// P pictures use the forward reference, B pictures both.
	if ((pic->picture_coding_type == V4L2_MPEG2_PIC_CODING_TYPE_P ||
	     pic->picture_coding_type == V4L2_MPEG2_PIC_CODING_TYPE_B) && n < out.size())
		out[n++] = {pic->forward_ref_ts, {}, "forward"};
	if (pic->picture_coding_type == V4L2_MPEG2_PIC_CODING_TYPE_B && n < out.size())
		out[n++] = {pic->backward_ref_ts, {}, "backward"};
	return n;
}

FrameIdentity frameIdentity(const ControlReader &)
{
	return {};
}

bool controlsUsable(const ControlReader &ctrls)
{
	auto *seq = static_cast<const struct v4l2_ctrl_mpeg2_sequence *>(
		ctrls.get(V4L2_CID_STATELESS_MPEG2_SEQUENCE));
	return seq && seq->horizontal_size && seq->vertical_size;
}

} // namespace

extern const CodecOps kMpeg2Codec = {
	"mpeg2", V4L2_PIX_FMT_MPEG2_SLICE, kControls, kTypes, kRequired,
	collectReferences, frameIdentity, controlsUsable,
};

} // namespace v4l2emu
