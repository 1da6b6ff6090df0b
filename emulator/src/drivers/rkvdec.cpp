// SPDX-License-Identifier: MIT
// rkvdec (RK = drivers/staging/media/rkvdec/rkvdec.c in 6.12, RKH/RKV its H.264/VP9 parts;
// RKM/RKMHEVC/RKMC = mainline drivers/media/platform/rockchip/rkvdec/).
#include "driver_profile.h"

#include "core/context.h"

#include <algorithm>
#include <cerrno>
#include <span>

namespace v4l2emu {

namespace {

// [mainline] ctx->image_fmt (RKM: enum rkvdec_image_fmt).
enum ImageFormat : uint32_t { kAny = 0, k420_8, k420_10, k422_8, k422_10 };

struct CodedFormat {
	uint32_t fourcc;
	struct v4l2_frmsize_stepwise frmsize;
	std::span<const uint32_t> decoded;
	bool hold;	// desc->subsystem_flags has VB2_V4L2_FL_SUPPORTS_M2M_HOLD_CAPTURE_BUF
};

const uint32_t kNv12Only[] = {V4L2_PIX_FMT_NV12};
const uint32_t kH264DecodedMainline[] = {V4L2_PIX_FMT_NV12, V4L2_PIX_FMT_NV15, V4L2_PIX_FMT_NV16,
					 V4L2_PIX_FMT_NV20};
const uint32_t kHevcDecodedMainline[] = {V4L2_PIX_FMT_NV12, V4L2_PIX_FMT_NV15};

// RK: rkvdec_coded_fmts (6.12).
const CodedFormat kCoded612[] = {
	{V4L2_PIX_FMT_H264_SLICE, {48, 4096, 16, 48, 2560, 16}, kNv12Only, true},
	{V4L2_PIX_FMT_VP9_FRAME, {64, 4096, 64, 64, 2304, 64}, kNv12Only, false},
};

// [mainline] RKM: rkvdec_coded_fmts for RK3399: HEVC first; H.264 width step 64.
const CodedFormat kCodedMainline[] = {
	{V4L2_PIX_FMT_HEVC_SLICE, {64, 4096, 64, 64, 2304, 16}, kHevcDecodedMainline, false},
	{V4L2_PIX_FMT_H264_SLICE, {64, 4096, 64, 48, 2560, 16}, kH264DecodedMainline, true},
	{V4L2_PIX_FMT_VP9_FRAME, {64, 4096, 64, 64, 2304, 64}, kNv12Only, false},
};

ImageFormat imageFormatOf(uint32_t fourcc)
{
	switch (fourcc) {
	case V4L2_PIX_FMT_NV12: return k420_8;
	case V4L2_PIX_FMT_NV15: return k420_10;
	case V4L2_PIX_FMT_NV16: return k422_8;
	case V4L2_PIX_FMT_NV20: return k422_10;
	default: return kAny;
	}
}

class Rkvdec final : public DriverProfile {
public:
	explicit Rkvdec(const DriverConfig &c) : DriverProfile(c) {}

	const char *driverName() const override { return "rkvdec"; }
	const char *cardName() const override { return "rkvdec"; }
	const char *mediaModel() const override { return "rkvdec"; }
	const char *busInfo() const override { return "platform:rkvdec"; }
	bool supportsRemoveBufs() const override { return false; }
	bool setsSequence() const override { return false; }

	std::vector<ControlDef> controls() const override;
	void openContext(Context &ctx) const override;
	int enumFmt(const Context &ctx, Direction dir, struct v4l2_fmtdesc &f) const override;
	int tryFmt(const Context &ctx, Direction dir, struct v4l2_pix_format_mplane &fmt) const override;
	int sFmt(Context &ctx, Direction dir, struct v4l2_pix_format_mplane &fmt) const override;
	int enumFramesizes(const Context &ctx, struct v4l2_frmsizeenum &f) const override;
	int tryCtrl(Context &ctx, const ControlDef &def, void *payload, uint32_t elems) const override;
	int sCtrl(Context &ctx, const ControlDef &def, const void *payload) const override;
	int startStreaming(Context &ctx, Direction dir) const override;

private:
	bool mainline() const { return kernel() == KernelVersion::Mainline; }
	std::span<const CodedFormat> coded() const
	{
		if (mainline())
			return kCodedMainline;
		return kCoded612;
	}
	const CodedFormat *findCoded(uint32_t fourcc) const
	{
		for (const CodedFormat &c : coded())
			if (c.fourcc == fourcc)
				return &c;
		return nullptr;
	}
	const CodedFormat &current(const Context &ctx) const
	{
		const CodedFormat *c = findCoded(ctx.outputFormat.pixelformat);
		return c ? *c : coded()[0];
	}
	bool decodedAllowed(const Context &ctx, uint32_t fourcc, uint32_t image) const
	{
		for (uint32_t f : current(ctx).decoded)
			if (f == fourcc)
				return !mainline() || image == kAny || imageFormatOf(f) == image;
		return false;
	}
	uint32_t firstDecoded(const Context &ctx, uint32_t image) const
	{
		for (uint32_t f : current(ctx).decoded)
			if (!mainline() || image == kAny || imageFormatOf(f) == image)
				return f;
		return current(ctx).decoded[0];
	}
	void resetDecoded(Context &ctx) const;
	void tryCapture(const Context &ctx, struct v4l2_pix_format_mplane &fmt, uint32_t image) const;
	int validateH264Sps(const Context &ctx, const struct v4l2_ctrl_h264_sps &sps) const;
	int validateHevcSps(const Context &ctx, const struct v4l2_ctrl_hevc_sps &sps) const;
	uint32_t imageFormatFromControl(const Context &ctx, const ControlDef &def,
					const void *payload) const;
};

std::vector<ControlDef> Rkvdec::controls() const
{
	// RK:rkvdec_h264_ctrl_descs / rkvdec_vp9_ctrl_descs; [mainline] plus HEVC.
	auto std = [](uint32_t id) { return *standardControl(id); };
	std::vector<ControlDef> out;
	for (uint32_t id : {V4L2_CID_STATELESS_H264_DECODE_PARAMS, V4L2_CID_STATELESS_H264_SPS,
			    V4L2_CID_STATELESS_H264_PPS, V4L2_CID_STATELESS_H264_SCALING_MATRIX})
		out.push_back(std(id));
	ControlDef mode = std(V4L2_CID_STATELESS_H264_DECODE_MODE);
	mode.minimum = mode.maximum = mode.defaultValue = V4L2_STATELESS_H264_DECODE_MODE_FRAME_BASED;
	out.push_back(mode);
	ControlDef start = std(V4L2_CID_STATELESS_H264_START_CODE);
	start.minimum = start.maximum = start.defaultValue = V4L2_STATELESS_H264_START_CODE_ANNEX_B;
	out.push_back(start);
	ControlDef profile = std(V4L2_CID_MPEG_VIDEO_H264_PROFILE);
	profile.minimum = mainline() ? V4L2_MPEG_VIDEO_H264_PROFILE_CONSTRAINED_BASELINE
				     : V4L2_MPEG_VIDEO_H264_PROFILE_BASELINE;
	profile.maximum = mainline() ? V4L2_MPEG_VIDEO_H264_PROFILE_HIGH_422_INTRA
				     : V4L2_MPEG_VIDEO_H264_PROFILE_HIGH;
	profile.menuSkipMask = 1ull << V4L2_MPEG_VIDEO_H264_PROFILE_EXTENDED;
	profile.defaultValue = V4L2_MPEG_VIDEO_H264_PROFILE_MAIN;
	out.push_back(profile);
	ControlDef level = std(V4L2_CID_MPEG_VIDEO_H264_LEVEL);
	level.minimum = V4L2_MPEG_VIDEO_H264_LEVEL_1_0;
	level.maximum = V4L2_MPEG_VIDEO_H264_LEVEL_5_1;
	level.defaultValue = V4L2_MPEG_VIDEO_H264_LEVEL_1_0;
	out.push_back(level);

	out.push_back(std(V4L2_CID_STATELESS_VP9_FRAME));
	out.push_back(std(V4L2_CID_STATELESS_VP9_COMPRESSED_HDR));
	ControlDef vp9 = std(V4L2_CID_MPEG_VIDEO_VP9_PROFILE);
	vp9.minimum = vp9.maximum = vp9.defaultValue = V4L2_MPEG_VIDEO_VP9_PROFILE_0;
	out.push_back(vp9);

	if (mainline()) {
		ControlDef slices = std(V4L2_CID_STATELESS_HEVC_SLICE_PARAMS);
		slices.dims = 600;
		out.push_back(slices);
		for (uint32_t id : {V4L2_CID_STATELESS_HEVC_SPS, V4L2_CID_STATELESS_HEVC_PPS,
				    V4L2_CID_STATELESS_HEVC_SCALING_MATRIX,
				    V4L2_CID_STATELESS_HEVC_DECODE_PARAMS})
			out.push_back(std(id));
		ControlDef hmode = std(V4L2_CID_STATELESS_HEVC_DECODE_MODE);
		hmode.minimum = hmode.maximum = hmode.defaultValue =
			V4L2_STATELESS_HEVC_DECODE_MODE_FRAME_BASED;
		out.push_back(hmode);
		ControlDef hstart = std(V4L2_CID_STATELESS_HEVC_START_CODE);
		hstart.minimum = hstart.maximum = hstart.defaultValue =
			V4L2_STATELESS_HEVC_START_CODE_ANNEX_B;
		out.push_back(hstart);
		ControlDef hprofile = std(V4L2_CID_MPEG_VIDEO_HEVC_PROFILE);
		hprofile.minimum = V4L2_MPEG_VIDEO_HEVC_PROFILE_MAIN;
		hprofile.maximum = V4L2_MPEG_VIDEO_HEVC_PROFILE_MAIN_10;
		hprofile.defaultValue = V4L2_MPEG_VIDEO_HEVC_PROFILE_MAIN;
		out.push_back(hprofile);
		ControlDef hlevel = std(V4L2_CID_MPEG_VIDEO_HEVC_LEVEL);
		hlevel.minimum = V4L2_MPEG_VIDEO_HEVC_LEVEL_1;
		hlevel.maximum = V4L2_MPEG_VIDEO_HEVC_LEVEL_5_1;
		hlevel.defaultValue = V4L2_MPEG_VIDEO_HEVC_LEVEL_1;
		out.push_back(hlevel);
	}
	return out;
}

void Rkvdec::resetDecoded(Context &ctx) const
{
	// RK:rkvdec_reset_decoded_fmt: first decoded format at the coded size, plus the
	// co-located motion vector area.
	struct v4l2_pix_format_mplane f {};
	f.pixelformat = firstDecoded(ctx, ctx.imageFormat);
	f.width = ctx.outputFormat.width;
	f.height = ctx.outputFormat.height;
	f.field = V4L2_FIELD_NONE;
	f.colorspace = V4L2_COLORSPACE_REC709;
	fillRawFormat(f, f.pixelformat, f.width, f.height);
	f.plane_fmt[0].sizeimage += 128 * ((f.width + 15) / 16) * ((f.height + 15) / 16);
	ctx.captureFormat = f;
}

void Rkvdec::openContext(Context &ctx) const
{
	// RK:rkvdec_queue_init: OUTPUT supports and requires requests.
	ctx.output().supportsRequests = true;
	ctx.output().requiresRequests = true;
	// RK:rkvdec_reset_coded_fmt: first coded format at its minimum size.
	const CodedFormat &c = coded()[0];
	struct v4l2_pix_format_mplane f {};
	f.pixelformat = c.fourcc;
	f.width = c.frmsize.min_width;
	f.height = c.frmsize.min_height;
	f.field = V4L2_FIELD_NONE;
	f.colorspace = V4L2_COLORSPACE_REC709;
	f.num_planes = 1;
	f.plane_fmt[0].sizeimage = f.width * f.height * 2;	// RKH/RKV *_adjust_fmt
	ctx.outputFormat = f;
	ctx.imageFormat = kAny;
	resetDecoded(ctx);
}

int Rkvdec::enumFmt(const Context &ctx, Direction dir, struct v4l2_fmtdesc &f) const
{
	if (dir == Direction::Output) {
		// RK:rkvdec_enum_output_fmt.
		if (f.index >= coded().size())
			return -EINVAL;
		f.pixelformat = coded()[f.index].fourcc;
		return 0;
	}
	// RK:rkvdec_enum_capture_fmt: the current codec's decoded formats ([mainline] those
	// matching ctx->image_fmt).
	uint32_t n = 0;
	for (uint32_t fourcc : current(ctx).decoded) {
		if (mainline() && ctx.imageFormat != kAny && imageFormatOf(fourcc) != ctx.imageFormat)
			continue;
		if (n++ == f.index) {
			f.pixelformat = fourcc;
			return 0;
		}
	}
	return -EINVAL;
}

void Rkvdec::tryCapture(const Context &ctx, struct v4l2_pix_format_mplane &fmt, uint32_t image) const
{
	// RK:rkvdec_try_capture_fmt.
	if (!decodedAllowed(ctx, fmt.pixelformat, image))
		fmt.pixelformat = firstDecoded(ctx, image);
	fmt.width = std::max(fmt.width, ctx.outputFormat.width);
	fmt.height = std::max(fmt.height, ctx.outputFormat.height);
	applyFrmsize(fmt, current(ctx).frmsize);
	fillRawFormat(fmt, fmt.pixelformat, fmt.width, fmt.height);
	fmt.plane_fmt[0].sizeimage += 128 * ((fmt.width + 15) / 16) * ((fmt.height + 15) / 16);
	fmt.field = V4L2_FIELD_NONE;
}

int Rkvdec::tryFmt(const Context &ctx, Direction dir, struct v4l2_pix_format_mplane &fmt) const
{
	if (dir == Direction::Capture) {
		tryCapture(ctx, fmt, ctx.imageFormat);
		return 0;
	}
	// RK:rkvdec_try_output_fmt: an unknown fourcc becomes the first coded format.
	const CodedFormat *c = findCoded(fmt.pixelformat);
	if (!c) {
		c = &coded()[0];
		fmt.pixelformat = c->fourcc;
	}
	applyFrmsize(fmt, c->frmsize);
	fmt.field = V4L2_FIELD_NONE;
	fmt.num_planes = 1;
	if (!fmt.plane_fmt[0].sizeimage)
		fmt.plane_fmt[0].sizeimage = fmt.width * fmt.height * 2;
	return 0;
}

int Rkvdec::sFmt(Context &ctx, Direction dir, struct v4l2_pix_format_mplane &fmt) const
{
	if (dir == Direction::Capture) {
		// RK:rkvdec_s_capture_fmt.
		if (ctx.capture().busy())
			return -EBUSY;
		tryCapture(ctx, fmt, ctx.imageFormat);
		ctx.captureFormat = fmt;
		return 0;
	}
	// RK:rkvdec_s_output_fmt: streaming, or busy with a new codec, or CAPTURE busy.
	const Queue &out = ctx.output();
	if (out.streaming() || (out.busy() && fmt.pixelformat != ctx.outputFormat.pixelformat))
		return -EBUSY;
	if (ctx.capture().busy())
		return -EBUSY;
	tryFmt(ctx, Direction::Output, fmt);
	const CodedFormat *c = findCoded(fmt.pixelformat);
	ctx.outputFormat = fmt;
	ctx.imageFormat = kAny;	// [mainline] S_FMT(OUTPUT) resets image_fmt
	resetDecoded(ctx);
	ctx.captureFormat.colorspace = fmt.colorspace;
	ctx.captureFormat.xfer_func = fmt.xfer_func;
	ctx.captureFormat.ycbcr_enc = fmt.ycbcr_enc;
	ctx.captureFormat.quantization = fmt.quantization;
	// ORed in, never cleared: H.264 leaves HOLD support behind (RK:rkvdec_s_output_fmt).
	if (c && c->hold)
		ctx.output().holdCaptureSupported = true;
	return 0;
}

int Rkvdec::enumFramesizes(const Context &, struct v4l2_frmsizeenum &f) const
{
	// RK:rkvdec_enum_framesizes: coded formats only, CONTINUOUS from 1.
	if (f.index != 0)
		return -EINVAL;
	const CodedFormat *c = findCoded(f.pixel_format);
	if (!c)
		return -EINVAL;
	f.type = V4L2_FRMSIZE_TYPE_CONTINUOUS;
	f.stepwise.min_width = 1;
	f.stepwise.max_width = c->frmsize.max_width;
	f.stepwise.step_width = 1;
	f.stepwise.min_height = 1;
	f.stepwise.max_height = c->frmsize.max_height;
	f.stepwise.step_height = 1;
	return 0;
}

int Rkvdec::validateH264Sps(const Context &ctx, const struct v4l2_ctrl_h264_sps &sps) const
{
	// RKH:rkvdec_h264_validate_sps; [mainline] RKMC allows 4:2:2 and 10-bit.
	if (sps.chroma_format_idc > (mainline() ? 2 : 1))
		return -EINVAL;
	if (sps.bit_depth_luma_minus8 != sps.bit_depth_chroma_minus8)
		return -EINVAL;
	if (sps.bit_depth_luma_minus8 != 0 && !(mainline() && sps.bit_depth_luma_minus8 == 2))
		return -EINVAL;
	uint32_t width = (sps.pic_width_in_mbs_minus1 + 1u) * 16;
	uint32_t height = (sps.pic_height_in_map_units_minus1 + 1u) * 16;
	// Field height when frame_mbs_only is not set (7-18).
	if (!(sps.flags & V4L2_H264_SPS_FLAG_FRAME_MBS_ONLY))
		height *= 2;
	if (width > ctx.outputFormat.width || height > ctx.outputFormat.height)
		return -EINVAL;
	return 0;
}

int Rkvdec::validateHevcSps(const Context &ctx, const struct v4l2_ctrl_hevc_sps &sps) const
{
	// RKMHEVC:rkvdec_hevc_validate_sps.
	if (sps.chroma_format_idc > 1)
		return -EINVAL;
	if (sps.bit_depth_luma_minus8 != sps.bit_depth_chroma_minus8)
		return -EINVAL;
	if (sps.bit_depth_luma_minus8 != 0 && sps.bit_depth_luma_minus8 != 2)
		return -EINVAL;
	if (sps.pic_width_in_luma_samples > ctx.outputFormat.width ||
	    sps.pic_height_in_luma_samples > ctx.outputFormat.height)
		return -EINVAL;
	return 0;
}

int Rkvdec::tryCtrl(Context &ctx, const ControlDef &def, void *payload, uint32_t) const
{
	// RK:rkvdec_try_ctrl runs only the current OUTPUT codec's try_ctrl.
	uint32_t codec = ctx.outputFormat.pixelformat;
	if (codec == V4L2_PIX_FMT_H264_SLICE && def.id == V4L2_CID_STATELESS_H264_SPS)
		return validateH264Sps(ctx, *static_cast<const struct v4l2_ctrl_h264_sps *>(payload));
	if (mainline() && codec == V4L2_PIX_FMT_HEVC_SLICE && def.id == V4L2_CID_STATELESS_HEVC_SPS)
		return validateHevcSps(ctx, *static_cast<const struct v4l2_ctrl_hevc_sps *>(payload));
	return 0;
}

uint32_t Rkvdec::imageFormatFromControl(const Context &ctx, const ControlDef &def,
					const void *payload) const
{
	uint32_t codec = ctx.outputFormat.pixelformat;
	if (codec == V4L2_PIX_FMT_H264_SLICE && def.id == V4L2_CID_STATELESS_H264_SPS) {
		auto &s = *static_cast<const struct v4l2_ctrl_h264_sps *>(payload);
		bool ten = s.bit_depth_luma_minus8 == 2;
		if (s.chroma_format_idc == 2)
			return ten ? k422_10 : k422_8;
		return ten ? k420_10 : k420_8;
	}
	if (codec == V4L2_PIX_FMT_HEVC_SLICE && def.id == V4L2_CID_STATELESS_HEVC_SPS) {
		auto &s = *static_cast<const struct v4l2_ctrl_hevc_sps *>(payload);
		return s.bit_depth_luma_minus8 == 2 ? k420_10 : k420_8;
	}
	return kAny;
}

int Rkvdec::sCtrl(Context &ctx, const ControlDef &def, const void *payload) const
{
	// [mainline] RKM:rkvdec_s_ctrl: an SPS implying another CAPTURE image format resets
	// CAPTURE, or fails with EBUSY while CAPTURE has buffers.
	if (!mainline())
		return 0;
	uint32_t image = imageFormatFromControl(ctx, def, payload);
	if (image == kAny || image == ctx.imageFormat)
		return 0;
	if (decodedAllowed(ctx, ctx.captureFormat.pixelformat, image))
		return 0;
	if (ctx.capture().busy())
		return -EBUSY;
	ctx.imageFormat = image;
	resetDecoded(ctx);
	return 0;
}

int Rkvdec::startStreaming(Context &ctx, Direction dir) const
{
	// RK:rkvdec_start_streaming -> RKH:rkvdec_h264_start validates the current SPS.
	if (dir != Direction::Output)
		return 0;
	if (ctx.outputFormat.pixelformat == V4L2_PIX_FMT_H264_SLICE) {
		auto *sps = static_cast<const struct v4l2_ctrl_h264_sps *>(
			ctx.controls().get(V4L2_CID_STATELESS_H264_SPS));
		if (!sps)
			return -EINVAL;
		return validateH264Sps(ctx, *sps);
	}
	return 0;
}

} // namespace

std::unique_ptr<DriverProfile> makeRkvdecProfile(const DriverConfig &config)
{
	return std::make_unique<Rkvdec>(config);
}

} // namespace v4l2emu
