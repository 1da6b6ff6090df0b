// SPDX-License-Identifier: MIT
// VP8 stateless controls (CDEFS:v4l2_ctrl_fill, CCORE:std_validate_compound).
#include "codec_common.h"

namespace v4l2emu {

using namespace codec_detail;

namespace {

const ControlDef kControls[] = {
	compound(V4L2_CID_STATELESS_VP8_FRAME, "VP8 Frame Parameters", V4L2_CTRL_TYPE_VP8_FRAME,
		 sizeof(struct v4l2_ctrl_vp8_frame)),
};

template<typename T> void zeroPadding(T &s)
{
	memset(&s.padding, 0, sizeof(s.padding));
}

int validateFrame(void *p)
{
	auto &f = *static_cast<struct v4l2_ctrl_vp8_frame *>(p);
	switch (f.num_dct_parts) {
	case 1: case 2: case 4: case 8:
		break;
	default:
		return -EINVAL;
	}
	zeroPadding(f.segment);
	zeroPadding(f.lf);
	zeroPadding(f.quant);
	zeroPadding(f.entropy);
	zeroPadding(f.coder_state);
	return 0;
}

const CompoundType kTypes[] = {
	{V4L2_CTRL_TYPE_VP8_FRAME, sizeof(struct v4l2_ctrl_vp8_frame), validateFrame},
};

const uint32_t kRequired[] = {V4L2_CID_STATELESS_VP8_FRAME};

size_t collectReferences(const ControlReader &ctrls, std::span<ReferenceClaim> out)
{
	auto *f = static_cast<const struct v4l2_ctrl_vp8_frame *>(ctrls.get(V4L2_CID_STATELESS_VP8_FRAME));
	if (!f || (f->flags & V4L2_VP8_FRAME_FLAG_KEY_FRAME))
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
	auto *f = static_cast<const struct v4l2_ctrl_vp8_frame *>(ctrls.get(V4L2_CID_STATELESS_VP8_FRAME));
	return f && f->width && f->height;
}

} // namespace

extern const CodecOps kVp8Codec = {
	"vp8", V4L2_PIX_FMT_VP8_FRAME, kControls, kTypes, kRequired,
	collectReferences, frameIdentity, controlsUsable,
};

} // namespace v4l2emu
