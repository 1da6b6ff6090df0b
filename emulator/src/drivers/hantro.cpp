// SPDX-License-Identifier: MIT
// hantro, the RK3399 VPU decoder (HV = hantro_v4l2.c, HD = hantro_drv.c,
// HRK = rockchip_vpu_hw.c). The same 6.12 rules are used for both kernel values.
#include "driver_profile.h"

#include "core/context.h"

#include <cerrno>

namespace v4l2emu {

namespace {

struct HantroFormat {
	uint32_t fourcc;
	bool coded;		// codec_mode != HANTRO_MODE_NONE
	uint32_t maxDepth;	// bytes per pixel for the coded sizeimage estimate
	struct v4l2_frmsize_stepwise frmsize;
};

// HRK: rk3399_vpu_dec_fmts, in table order (NV12 first).
const HantroFormat kFormats[] = {
	{V4L2_PIX_FMT_NV12, false, 0, {48, 1920, 16, 48, 1088, 16}},
	{V4L2_PIX_FMT_MPEG2_SLICE, true, 2, {48, 1920, 16, 48, 1088, 16}},
	{V4L2_PIX_FMT_VP8_FRAME, true, 2, {48, 3840, 16, 48, 2160, 16}},
};

const HantroFormat *findFormat(uint32_t fourcc)
{
	// HV:hantro_find_format does not filter by direction.
	for (const HantroFormat &f : kFormats)
		if (f.fourcc == fourcc)
			return &f;
	return nullptr;
}

const HantroFormat &defaultFormat(bool coded)
{
	for (const HantroFormat &f : kFormats)
		if (f.coded == coded)
			return f;
	return kFormats[0];
}

class Hantro final : public DriverProfile {
public:
	explicit Hantro(const DriverConfig &c) : DriverProfile(c) {}

	const char *driverName() const override { return "hantro-vpu"; }
	const char *cardName() const override { return "rockchip,rk3399-vpu-dec"; }
	const char *mediaModel() const override { return "hantro-vpu"; }
	const char *busInfo() const override { return "platform:ff650000.video-codec"; }
	uint32_t maxBuffers(Direction dir) const override
	{
		// HD:queue_init: MAX_POSTPROC_BUFFERS on the decoder CAPTURE queue.
		return dir == Direction::Capture ? 64 : 32;
	}
	bool supportsRemoveBufs() const override { return true; }
	bool setsSequence() const override { return true; }
	uint32_t maxBuffersPerRequest() const override { return 0; }
	int selection(const Context &ctx, struct v4l2_selection &sel, bool set) const override;

	std::vector<ControlDef> controls() const override;
	void openContext(Context &ctx) const override;
	int enumFmt(const Context &ctx, Direction dir, struct v4l2_fmtdesc &f) const override;
	int tryFmt(const Context &ctx, Direction dir, struct v4l2_pix_format_mplane &fmt) const override;
	int sFmt(Context &ctx, Direction dir, struct v4l2_pix_format_mplane &fmt) const override;
	int enumFramesizes(const Context &ctx, struct v4l2_frmsizeenum &f) const override;
	int tryCtrl(Context &ctx, const ControlDef &def, void *payload, uint32_t elems) const override;

private:
	void setOutput(Context &ctx, const struct v4l2_pix_format_mplane &fmt) const;
};

std::vector<ControlDef> Hantro::controls() const
{
	// HD: controls[] filtered by the RK3399 decoder's codec_ops: MPEG-2 and VP8 only.
	std::vector<ControlDef> out;
	for (uint32_t id : {V4L2_CID_STATELESS_MPEG2_SEQUENCE, V4L2_CID_STATELESS_MPEG2_PICTURE,
			    V4L2_CID_STATELESS_MPEG2_QUANTISATION, V4L2_CID_STATELESS_VP8_FRAME})
		out.push_back(*standardControl(id));
	return out;
}

int Hantro::tryFmt(const Context &ctx, Direction dir, struct v4l2_pix_format_mplane &fmt) const
{
	// HV:hantro_try_fmt for a decoder: OUTPUT is "coded", CAPTURE raw at the OUTPUT size.
	bool coded = dir == Direction::Output;
	const HantroFormat *f = findFormat(fmt.pixelformat);
	if (!f) {
		f = &defaultFormat(coded);
		fmt.pixelformat = f->fourcc;
	}
	if (coded) {
		fmt.num_planes = 1;
	} else {
		fmt.width = ctx.outputFormat.width;
		fmt.height = ctx.outputFormat.height;
	}
	fmt.field = V4L2_FIELD_NONE;
	applyFrmsize(fmt, f->frmsize);
	if (!coded) {
		// No motion-vector area for MPEG-2/VP8 (only H.264/VP9/HEVC/AV1 add one).
		fillRawFormat(fmt, f->fourcc, fmt.width, fmt.height);
	} else if (!fmt.plane_fmt[0].sizeimage) {
		fmt.plane_fmt[0].sizeimage = fmt.width * fmt.height * f->maxDepth;
	}
	return 0;
}

void Hantro::setOutput(Context &ctx, const struct v4l2_pix_format_mplane &fmt) const
{
	// HV:hantro_set_fmt_out (after the checks) and hantro_reset_raw_fmt.
	ctx.outputFormat = fmt;
	struct v4l2_pix_format_mplane raw {};
	raw.pixelformat = defaultFormat(false).fourcc;
	raw.colorspace = V4L2_COLORSPACE_JPEG;
	tryFmt(ctx, Direction::Capture, raw);
	raw.colorspace = fmt.colorspace;
	raw.ycbcr_enc = fmt.ycbcr_enc;
	raw.xfer_func = fmt.xfer_func;
	raw.quantization = fmt.quantization;
	ctx.captureFormat = raw;
	ctx.bitDepth = 8;
	// HV:hantro_update_requires_request / hantro_update_requires_hold_capture_buf.
	switch (fmt.pixelformat) {
	case V4L2_PIX_FMT_MPEG2_SLICE:
	case V4L2_PIX_FMT_VP8_FRAME:
	case V4L2_PIX_FMT_H264_SLICE:
	case V4L2_PIX_FMT_HEVC_SLICE:
	case V4L2_PIX_FMT_VP9_FRAME:
		ctx.output().requiresRequests = true;
		break;
	default:
		break;
	}
	ctx.output().holdCaptureSupported = fmt.pixelformat == V4L2_PIX_FMT_H264_SLICE;
}

void Hantro::openContext(Context &ctx) const
{
	ctx.output().supportsRequests = true;
	// HV:hantro_reset_fmts: default coded format at its minimum size (colorspace JPEG).
	const HantroFormat &f = defaultFormat(true);
	struct v4l2_pix_format_mplane fmt {};
	fmt.pixelformat = f.fourcc;
	fmt.width = f.frmsize.min_width;
	fmt.height = f.frmsize.min_height;
	fmt.colorspace = V4L2_COLORSPACE_JPEG;
	tryFmt(ctx, Direction::Output, fmt);
	setOutput(ctx, fmt);
}

int Hantro::enumFmt(const Context &, Direction dir, struct v4l2_fmtdesc &f) const
{
	// HV:vidioc_enum_fmt: a decoder lists coded formats on OUTPUT, raw ones on CAPTURE
	// (whatever the current codec; depth matches the 8-bit context).
	bool wantCoded = dir == Direction::Output;
	uint32_t n = 0;
	for (const HantroFormat &fmt : kFormats) {
		if (fmt.coded != wantCoded)
			continue;
		if (n++ == f.index) {
			f.pixelformat = fmt.fourcc;
			return 0;
		}
	}
	return -EINVAL;
}

int Hantro::sFmt(Context &ctx, Direction dir, struct v4l2_pix_format_mplane &fmt) const
{
	tryFmt(ctx, dir, fmt);
	if (dir == Direction::Capture) {
		// HV:hantro_set_fmt_cap: never EBUSY on a decoder.
		ctx.captureFormat = fmt;
		ctx.outputFormat.colorspace = fmt.colorspace;
		ctx.outputFormat.ycbcr_enc = fmt.ycbcr_enc;
		ctx.outputFormat.xfer_func = fmt.xfer_func;
		ctx.outputFormat.quantization = fmt.quantization;
		return 0;
	}
	// HV:hantro_set_fmt_out (6.12): EBUSY only when streaming and the codec changes; a
	// same-codec resolution change resets CAPTURE even if it has buffers.
	if (ctx.output().streaming() && fmt.pixelformat != ctx.outputFormat.pixelformat)
		return -EBUSY;
	setOutput(ctx, fmt);
	return 0;
}

int Hantro::enumFramesizes(const Context &, struct v4l2_frmsizeenum &f) const
{
	// HV:vidioc_enum_framesizes: the format is looked up first; the index is only checked
	// for coded formats.
	const HantroFormat *fmt = findFormat(f.pixel_format);
	if (!fmt)
		return -EINVAL;
	if (!fmt->coded)
		return -ENOTTY;	// raw formats need the post-processor, absent on RK3399
	if (f.index != 0)
		return -EINVAL;
	f.type = V4L2_FRMSIZE_TYPE_STEPWISE;
	f.stepwise = fmt->frmsize;
	return 0;
}

int Hantro::selection(const Context &ctx, struct v4l2_selection &sel, bool set) const
{
	// HV:vidioc_g/s_selection: crop on the source only (the core maps MPLANE types to
	// their single-planar value first).
	if (sel.type != V4L2_BUF_TYPE_VIDEO_OUTPUT && sel.type != V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE)
		return -EINVAL;
	struct v4l2_rect full {0, 0, ctx.outputFormat.width, ctx.outputFormat.height};
	if (!set) {
		switch (sel.target) {
		case V4L2_SEL_TGT_CROP_DEFAULT:
		case V4L2_SEL_TGT_CROP_BOUNDS:
			sel.r = full;
			return 0;
		case V4L2_SEL_TGT_CROP:
			// The crop rectangle is the decoded (CAPTURE) size.
			sel.r = {0, 0, ctx.captureFormat.width, ctx.captureFormat.height};
			return 0;
		default:
			return -EINVAL;
		}
	}
	if (sel.target != V4L2_SEL_TGT_CROP)
		return -EINVAL;
	if (ctx.output().streaming())
		return -EBUSY;
	// Offsets are not supported; only the last macroblock row/column may be cropped.
	auto up16 = [](uint32_t v) { return (v + 15) / 16 * 16; };
	if (sel.r.left || sel.r.top || up16(sel.r.width) != full.width || up16(sel.r.height) != full.height)
		sel.r = full;
	else
		sel.r.width = (sel.r.width + 3) / 4 * 4;
	return 0;
}

int Hantro::tryCtrl(Context &, const ControlDef &def, void *payload, uint32_t) const
{
	// HD:hantro_try_ctrl checks by control id, whatever the current codec.
	switch (def.id) {
	case V4L2_CID_STATELESS_H264_SPS: {
		auto &s = *static_cast<const struct v4l2_ctrl_h264_sps *>(payload);
		if (s.chroma_format_idc > 1 || s.bit_depth_luma_minus8 != s.bit_depth_chroma_minus8 ||
		    s.bit_depth_luma_minus8 != 0)
			return -EINVAL;
		return 0;
	}
	case V4L2_CID_STATELESS_HEVC_SPS: {
		auto &s = *static_cast<const struct v4l2_ctrl_hevc_sps *>(payload);
		if (s.bit_depth_luma_minus8 != 0 && s.bit_depth_luma_minus8 != 2)
			return -EINVAL;
		return 0;
	}
	case V4L2_CID_STATELESS_VP9_FRAME:
		return static_cast<const struct v4l2_ctrl_vp9_frame *>(payload)->profile != 0 ? -EINVAL : 0;
	case V4L2_CID_STATELESS_AV1_SEQUENCE: {
		uint8_t depth = static_cast<const struct v4l2_ctrl_av1_sequence *>(payload)->bit_depth;
		return depth != 8 && depth != 10 ? -EINVAL : 0;
	}
	default:
		return 0;
	}
}

} // namespace

std::unique_ptr<DriverProfile> makeHantroProfile(const DriverConfig &config)
{
	return std::make_unique<Hantro>(config);
}

} // namespace v4l2emu
