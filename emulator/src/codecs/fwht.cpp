// SPDX-License-Identifier: MIT
// FWHT stateless controls (visl, vicodec) (CDEFS:v4l2_ctrl_fill, CCORE:std_validate_compound).
#include "codec_common.h"

namespace v4l2emu {

using namespace codec_detail;

namespace {

const ControlDef kControls[] = {
	compound(V4L2_CID_STATELESS_FWHT_PARAMS, "FWHT Stateless Parameters",
		 V4L2_CTRL_TYPE_FWHT_PARAMS, sizeof(struct v4l2_ctrl_fwht_params)),
};

int validateParams(void *p)
{
	auto &f = *static_cast<struct v4l2_ctrl_fwht_params *>(p);
	if (f.version < V4L2_FWHT_VERSION)
		return -EINVAL;
	if (!f.width || !f.height)
		return -EINVAL;
	return 0;
}

const CompoundType kTypes[] = {
	{V4L2_CTRL_TYPE_FWHT_PARAMS, sizeof(struct v4l2_ctrl_fwht_params), validateParams},
};

const uint32_t kRequired[] = {V4L2_CID_STATELESS_FWHT_PARAMS};

size_t collectReferences(const ControlReader &ctrls, std::span<ReferenceClaim> out)
{
	auto *f = static_cast<const struct v4l2_ctrl_fwht_params *>(ctrls.get(V4L2_CID_STATELESS_FWHT_PARAMS));
	if (!f || (f->flags & V4L2_FWHT_FL_I_FRAME) || out.empty())
		return 0;
	out[0] = {f->backward_ref_ts, {}, "backward"};
	return 1;
}

FrameIdentity frameIdentity(const ControlReader &)
{
	return {};
}

bool controlsUsable(const ControlReader &ctrls)
{
	return ctrls.get(V4L2_CID_STATELESS_FWHT_PARAMS) != nullptr;
}

} // namespace

extern const CodecOps kFwhtCodec = {
	"fwht", V4L2_PIX_FMT_FWHT_STATELESS, kControls, kTypes, kRequired,
	collectReferences, frameIdentity, controlsUsable,
};

} // namespace v4l2emu
