// SPDX-License-Identifier: MIT
// visl, the virtual stateless decoder (VV = visl-video.c, VC = visl-core.c, VD = visl-dec.c).
#include "driver_profile.h"

#include "core/context.h"

#include <algorithm>
#include <cerrno>

namespace v4l2emu {

namespace {

struct CodedFormat {
	uint32_t fourcc;
	struct v4l2_frmsize_stepwise frmsize;
};

// VV: visl_coded_fmts, in enumeration order; every codec decodes to NV12 or YU12.
const CodedFormat kCoded[] = {
	{V4L2_PIX_FMT_FWHT_STATELESS, {640, 4096, 1, 360, 2160, 1}},
	{V4L2_PIX_FMT_MPEG2_SLICE, {16, 1920, 1, 16, 1152, 1}},
	{V4L2_PIX_FMT_VP8_FRAME, {64, 16383, 1, 64, 16383, 1}},
	{V4L2_PIX_FMT_VP9_FRAME, {64, 8192, 1, 64, 4352, 1}},
	{V4L2_PIX_FMT_H264_SLICE, {64, 4096, 1, 64, 2304, 1}},
	{V4L2_PIX_FMT_HEVC_SLICE, {64, 4096, 1, 64, 2304, 1}},
	{V4L2_PIX_FMT_AV1_FRAME, {64, 4096, 1, 64, 2304, 1}},
};
const uint32_t kDecoded[] = {V4L2_PIX_FMT_NV12, V4L2_PIX_FMT_YUV420};
constexpr uint32_t kMinCodedSize = 256 * 1024;	// VV: MIN_CODED_SZ

const CodedFormat *findCoded(uint32_t fourcc)
{
	for (const CodedFormat &c : kCoded)
		if (c.fourcc == fourcc)
			return &c;
	return nullptr;
}

class Visl final : public DriverProfile {
public:
	explicit Visl(const DriverConfig &c) : DriverProfile(c) {}

	const char *driverName() const override { return "visl"; }
	const char *cardName() const override { return "visl"; }
	const char *mediaModel() const override { return "visl"; }
	const char *busInfo() const override { return "platform:visl"; }
	bool supportsRemoveBufs() const override { return true; }
	bool setsSequence() const override { return true; }
	bool reportsDecodeErrors() const override { return false; }

	std::vector<ControlDef> controls() const override;
	void openContext(Context &ctx) const override;
	int enumFmt(const Context &ctx, Direction dir, struct v4l2_fmtdesc &f) const override;
	int tryFmt(const Context &ctx, Direction dir, struct v4l2_pix_format_mplane &fmt) const override;
	int sFmt(Context &ctx, Direction dir, struct v4l2_pix_format_mplane &fmt) const override;
	int enumFramesizes(const Context &ctx, struct v4l2_frmsizeenum &f) const override;

private:
	const CodedFormat &current(const Context &ctx) const
	{
		const CodedFormat *c = findCoded(ctx.outputFormat.pixelformat);
		return c ? *c : kCoded[0];
	}
	void resetDecoded(Context &ctx) const
	{
		// VV:visl_reset_decoded_fmt: NV12 at the coded size.
		struct v4l2_pix_format_mplane f {};
		f.field = V4L2_FIELD_NONE;
		f.colorspace = V4L2_COLORSPACE_REC709;
		fillRawFormat(f, kDecoded[0], ctx.outputFormat.width, ctx.outputFormat.height);
		ctx.captureFormat = f;
	}
};

std::vector<ControlDef> Visl::controls() const
{
	// VC: visl_*_ctrl_descs: every codec, no try_ctrl.
	std::vector<ControlDef> out;
	for (const CodecOps *codec : allCodecs())
		for (const ControlDef &d : codec->controls) {
			ControlDef c = d;
			switch (c.id) {
			case V4L2_CID_STATELESS_HEVC_SLICE_PARAMS:
				c.dims = 600;
				break;
			case V4L2_CID_STATELESS_HEVC_ENTRY_POINT_OFFSETS:
				c.dims = 256;
				break;
			case V4L2_CID_STATELESS_AV1_TILE_GROUP_ENTRY:
				c.dims = 512;
				break;
			case V4L2_CID_MPEG_VIDEO_H264_PROFILE:
			case V4L2_CID_MPEG_VIDEO_H264_LEVEL:
			case V4L2_CID_MPEG_VIDEO_HEVC_PROFILE:
			case V4L2_CID_MPEG_VIDEO_HEVC_LEVEL:
			case V4L2_CID_MPEG_VIDEO_VP9_PROFILE:
				continue;	// visl registers no codec-class menus
			default:
				break;
			}
			out.push_back(c);
		}
	return out;
}

void Visl::openContext(Context &ctx) const
{
	// VV:visl_queue_init: requests supported, not required; HOLD for every codec.
	ctx.output().supportsRequests = true;
	ctx.output().requiresRequests = false;
	ctx.output().holdCaptureSupported = true;
	// VV:visl_reset_coded_fmt: FWHT at 640x360 with W*H*8 bytes.
	struct v4l2_pix_format_mplane f {};
	f.pixelformat = kCoded[0].fourcc;
	f.width = kCoded[0].frmsize.min_width;
	f.height = kCoded[0].frmsize.min_height;
	f.field = V4L2_FIELD_NONE;
	f.colorspace = V4L2_COLORSPACE_REC709;
	f.num_planes = 1;
	f.plane_fmt[0].sizeimage = f.width * f.height * 8;
	ctx.outputFormat = f;
	resetDecoded(ctx);
}

int Visl::enumFmt(const Context &, Direction dir, struct v4l2_fmtdesc &f) const
{
	if (dir == Direction::Output) {
		if (f.index >= std::size(kCoded))
			return -EINVAL;
		f.pixelformat = kCoded[f.index].fourcc;
		return 0;
	}
	if (f.index >= std::size(kDecoded))
		return -EINVAL;
	f.pixelformat = kDecoded[f.index];
	return 0;
}

int Visl::tryFmt(const Context &ctx, Direction dir, struct v4l2_pix_format_mplane &fmt) const
{
	if (dir == Direction::Capture) {
		// VV:visl_try_fmt_vid_cap: clamps with the coded limits but keeps the size asked.
		if (std::find(std::begin(kDecoded), std::end(kDecoded), fmt.pixelformat) == std::end(kDecoded))
			fmt.pixelformat = kDecoded[0];
		applyFrmsize(fmt, current(ctx).frmsize);
		fillRawFormat(fmt, fmt.pixelformat, fmt.width, fmt.height);
		fmt.field = V4L2_FIELD_NONE;
		return 0;
	}
	// VV:visl_try_fmt_vid_out.
	const CodedFormat *c = findCoded(fmt.pixelformat);
	if (!c) {
		c = &kCoded[0];
		fmt.pixelformat = c->fourcc;
	}
	applyFrmsize(fmt, c->frmsize);
	fmt.field = V4L2_FIELD_NONE;
	fmt.num_planes = 1;
	if (!fmt.plane_fmt[0].sizeimage)
		fmt.plane_fmt[0].sizeimage = std::max(kMinCodedSize, fmt.width * fmt.height * 3);
	return 0;
}

int Visl::sFmt(Context &ctx, Direction dir, struct v4l2_pix_format_mplane &fmt) const
{
	if (dir == Direction::Capture) {
		// VV:visl_s_fmt_vid_cap: no busy check at all.
		tryFmt(ctx, dir, fmt);
		ctx.captureFormat = fmt;
		return 0;
	}
	// VV:visl_s_fmt_vid_out: only a busy CAPTURE queue blocks (OUTPUT streaming is not
	// checked).
	if (ctx.capture().busy())
		return -EBUSY;
	tryFmt(ctx, dir, fmt);
	ctx.outputFormat = fmt;
	resetDecoded(ctx);
	ctx.captureFormat.colorspace = fmt.colorspace;
	ctx.captureFormat.xfer_func = fmt.xfer_func;
	ctx.captureFormat.ycbcr_enc = fmt.ycbcr_enc;
	ctx.captureFormat.quantization = fmt.quantization;
	return 0;
}

int Visl::enumFramesizes(const Context &, struct v4l2_frmsizeenum &f) const
{
	// VV:visl_enum_framesizes: coded formats, one STEPWISE entry.
	if (f.index != 0)
		return -EINVAL;
	const CodedFormat *c = findCoded(f.pixel_format);
	if (!c)
		return -EINVAL;
	f.type = V4L2_FRMSIZE_TYPE_STEPWISE;
	f.stepwise = c->frmsize;
	return 0;
}

} // namespace

std::unique_ptr<DriverProfile> makeVislProfile(const DriverConfig &config)
{
	return std::make_unique<Visl>(config);
}

} // namespace v4l2emu
