// SPDX-License-Identifier: MIT
// cedrus, Allwinner's video engine (CE = cedrus.c, CV = cedrus_video.c, CD = cedrus_dec.c),
// modelled as an A64/H5-class variant: MPEG-2, H.264, HEVC (8-bit) and VP8, with untiled
// NV12 output unless DriverConfig::untiledCapture is false.
#include "driver_profile.h"

#include "core/context.h"

#include <algorithm>
#include <cerrno>

namespace v4l2emu {

namespace {

constexpr uint32_t kMinWidth = 16, kMinHeight = 16, kMaxWidth = 4096, kMaxHeight = 2304;

// CV: cedrus_formats order.
const uint32_t kOutputFormats[] = {V4L2_PIX_FMT_MPEG2_SLICE, V4L2_PIX_FMT_H264_SLICE,
				   V4L2_PIX_FMT_HEVC_SLICE, V4L2_PIX_FMT_VP8_FRAME};

class Cedrus final : public DriverProfile {
public:
	explicit Cedrus(const DriverConfig &c) : DriverProfile(c) {}

	const char *driverName() const override { return "cedrus"; }
	const char *cardName() const override { return "cedrus"; }
	const char *mediaModel() const override { return "cedrus"; }
	const char *busInfo() const override { return "platform:cedrus"; }
	bool multiplanar() const override { return false; }
	bool supportsRemoveBufs() const override { return false; }
	bool setsSequence() const override { return false; }

	std::vector<ControlDef> controls() const override;
	void openContext(Context &ctx) const override;
	int enumFmt(const Context &ctx, Direction dir, struct v4l2_fmtdesc &f) const override;
	int tryFmt(const Context &ctx, Direction dir, struct v4l2_pix_format_mplane &fmt) const override;
	int sFmt(Context &ctx, Direction dir, struct v4l2_pix_format_mplane &fmt) const override;
	int enumFramesizes(const Context &, struct v4l2_frmsizeenum &) const override { return -ENOTTY; }
	int tryCtrl(Context &ctx, const ControlDef &def, void *payload, uint32_t elems) const override;

private:
	std::vector<uint32_t> captureFormats() const
	{
		std::vector<uint32_t> f;
		if (config().untiledCapture)
			f.push_back(V4L2_PIX_FMT_NV12);
		f.push_back(V4L2_PIX_FMT_NV12_32L32);
		return f;
	}
	void prepare(struct v4l2_pix_format_mplane &fmt) const;
	void resetCapture(Context &ctx) const;
	void setOutput(Context &ctx, struct v4l2_pix_format_mplane &fmt) const;
};

std::vector<ControlDef> Cedrus::controls() const
{
	// CE: cedrus_controls for a variant with MPEG-2, H.264, H.265 and VP8.
	auto std = [](uint32_t id) { return *standardControl(id); };
	std::vector<ControlDef> out;
	for (uint32_t id : {V4L2_CID_STATELESS_MPEG2_SEQUENCE, V4L2_CID_STATELESS_MPEG2_PICTURE,
			    V4L2_CID_STATELESS_MPEG2_QUANTISATION, V4L2_CID_STATELESS_H264_DECODE_PARAMS,
			    V4L2_CID_STATELESS_H264_SLICE_PARAMS, V4L2_CID_STATELESS_H264_SPS,
			    V4L2_CID_STATELESS_H264_PPS, V4L2_CID_STATELESS_H264_SCALING_MATRIX,
			    V4L2_CID_STATELESS_H264_PRED_WEIGHTS, V4L2_CID_STATELESS_HEVC_SPS,
			    V4L2_CID_STATELESS_HEVC_PPS, V4L2_CID_STATELESS_HEVC_SCALING_MATRIX,
			    V4L2_CID_STATELESS_HEVC_DECODE_PARAMS, V4L2_CID_STATELESS_VP8_FRAME})
		out.push_back(std(id));
	ControlDef mode = std(V4L2_CID_STATELESS_H264_DECODE_MODE);
	mode.minimum = mode.maximum = mode.defaultValue = V4L2_STATELESS_H264_DECODE_MODE_SLICE_BASED;
	out.push_back(mode);
	ControlDef start = std(V4L2_CID_STATELESS_H264_START_CODE);
	start.minimum = start.maximum = start.defaultValue = V4L2_STATELESS_H264_START_CODE_NONE;
	out.push_back(start);
	ControlDef profile = std(V4L2_CID_MPEG_VIDEO_H264_PROFILE);
	profile.minimum = V4L2_MPEG_VIDEO_H264_PROFILE_BASELINE;
	profile.maximum = V4L2_MPEG_VIDEO_H264_PROFILE_HIGH;
	profile.defaultValue = V4L2_MPEG_VIDEO_H264_PROFILE_MAIN;
	profile.menuSkipMask = 1ull << V4L2_MPEG_VIDEO_H264_PROFILE_EXTENDED;
	out.push_back(profile);
	ControlDef slices = std(V4L2_CID_STATELESS_HEVC_SLICE_PARAMS);
	slices.dims = 1;
	out.push_back(slices);
	ControlDef entries = std(V4L2_CID_STATELESS_HEVC_ENTRY_POINT_OFFSETS);
	entries.dims = 256;
	out.push_back(entries);
	ControlDef hmode = std(V4L2_CID_STATELESS_HEVC_DECODE_MODE);
	hmode.minimum = hmode.maximum = hmode.defaultValue = V4L2_STATELESS_HEVC_DECODE_MODE_SLICE_BASED;
	out.push_back(hmode);
	ControlDef hstart = std(V4L2_CID_STATELESS_HEVC_START_CODE);
	hstart.minimum = hstart.maximum = hstart.defaultValue = V4L2_STATELESS_HEVC_START_CODE_NONE;
	out.push_back(hstart);
	return out;
}

void Cedrus::prepare(struct v4l2_pix_format_mplane &fmt) const
{
	// CV:cedrus_prepare_format.
	uint32_t width = std::clamp(fmt.width, kMinWidth, kMaxWidth);
	uint32_t height = std::clamp(fmt.height, kMinHeight, kMaxHeight);
	uint32_t bpl = fmt.plane_fmt[0].bytesperline, size = fmt.plane_fmt[0].sizeimage;
	fmt.field = V4L2_FIELD_NONE;
	switch (fmt.pixelformat) {
	case V4L2_PIX_FMT_MPEG2_SLICE:
	case V4L2_PIX_FMT_H264_SLICE:
	case V4L2_PIX_FMT_HEVC_SLICE:
	case V4L2_PIX_FMT_VP8_FRAME:
		bpl = 0;
		size = std::max(1024u, size);
		break;
	case V4L2_PIX_FMT_NV12_32L32:
		bpl = (width + 31) / 32 * 32;
		height = (height + 31) / 32 * 32;
		size = bpl * height + bpl * ((height + 63) / 64 * 64) / 2;
		break;
	case V4L2_PIX_FMT_NV12:
		bpl = (width + 15) / 16 * 16;
		height = (height + 15) / 16 * 16;
		size = bpl * height + bpl * height / 2;
		break;
	}
	fmt.width = width;
	fmt.height = height;
	fmt.num_planes = 1;
	fmt.plane_fmt[0].bytesperline = bpl;
	fmt.plane_fmt[0].sizeimage = size;
}

int Cedrus::tryFmt(const Context &ctx, Direction dir, struct v4l2_pix_format_mplane &fmt) const
{
	// CV:cedrus_find_format: the format asked, or the first valid one of the direction.
	if (dir == Direction::Output) {
		if (std::find(std::begin(kOutputFormats), std::end(kOutputFormats), fmt.pixelformat) ==
		    std::end(kOutputFormats))
			fmt.pixelformat = kOutputFormats[0];
		prepare(fmt);
		return 0;
	}
	auto caps = captureFormats();
	if (std::find(caps.begin(), caps.end(), fmt.pixelformat) == caps.end())
		fmt.pixelformat = caps[0];
	// CV:cedrus_try_fmt_vid_cap_p: CAPTURE always takes the OUTPUT size.
	fmt.width = ctx.outputFormat.width;
	fmt.height = ctx.outputFormat.height;
	fmt.plane_fmt[0].bytesperline = 0;
	fmt.plane_fmt[0].sizeimage = 0;
	prepare(fmt);
	return 0;
}

void Cedrus::resetCapture(Context &ctx) const
{
	// CV:cedrus_reset_cap_format: pixelformat 0 picks the first CAPTURE format.
	struct v4l2_pix_format_mplane f = ctx.captureFormat;
	f.pixelformat = 0;
	tryFmt(ctx, Direction::Capture, f);
	ctx.captureFormat = f;
}

void Cedrus::setOutput(Context &ctx, struct v4l2_pix_format_mplane &fmt) const
{
	// CV:cedrus_s_fmt_vid_out_p.
	tryFmt(ctx, Direction::Output, fmt);
	ctx.outputFormat = fmt;
	ctx.output().holdCaptureSupported = fmt.pixelformat == V4L2_PIX_FMT_H264_SLICE ||
					    fmt.pixelformat == V4L2_PIX_FMT_HEVC_SLICE;
	ctx.captureFormat.colorspace = fmt.colorspace;
	ctx.captureFormat.xfer_func = fmt.xfer_func;
	ctx.captureFormat.ycbcr_enc = fmt.ycbcr_enc;
	ctx.captureFormat.quantization = fmt.quantization;
	resetCapture(ctx);
}

void Cedrus::openContext(Context &ctx) const
{
	// CV:cedrus_queue_init: OUTPUT requires requests.
	ctx.output().supportsRequests = true;
	ctx.output().requiresRequests = true;
	ctx.bitDepth = 8;
	// CV:cedrus_reset_out_format: pixelformat 0 picks MPEG-2 at 16x16.
	struct v4l2_pix_format_mplane f {};
	setOutput(ctx, f);
}

int Cedrus::enumFmt(const Context &, Direction dir, struct v4l2_fmtdesc &f) const
{
	// CV:cedrus_enum_fmt: independent of the codec.
	if (dir == Direction::Output) {
		if (f.index >= std::size(kOutputFormats))
			return -EINVAL;
		f.pixelformat = kOutputFormats[f.index];
		return 0;
	}
	auto caps = captureFormats();
	if (f.index >= caps.size())
		return -EINVAL;
	f.pixelformat = caps[f.index];
	return 0;
}

int Cedrus::sFmt(Context &ctx, Direction dir, struct v4l2_pix_format_mplane &fmt) const
{
	if (dir == Direction::Capture) {
		// CV:cedrus_s_fmt_vid_cap.
		if (ctx.capture().busy())
			return -EBUSY;
		tryFmt(ctx, dir, fmt);
		ctx.captureFormat = fmt;
		return 0;
	}
	// CV:cedrus_s_fmt_vid_out.
	const Queue &out = ctx.output();
	if (out.streaming() || (out.busy() && fmt.pixelformat != ctx.outputFormat.pixelformat))
		return -EBUSY;
	if (ctx.capture().busy())
		return -EBUSY;
	setOutput(ctx, fmt);
	return 0;
}

int Cedrus::tryCtrl(Context &ctx, const ControlDef &def, void *payload, uint32_t) const
{
	// CE:cedrus_try_ctrl, by control id.
	if (def.id == V4L2_CID_STATELESS_H264_SPS) {
		auto &s = *static_cast<const struct v4l2_ctrl_h264_sps *>(payload);
		if (s.chroma_format_idc != 1 || s.bit_depth_luma_minus8 != s.bit_depth_chroma_minus8 ||
		    s.bit_depth_luma_minus8 != 0)
			return -EINVAL;
		return 0;
	}
	if (def.id == V4L2_CID_STATELESS_HEVC_SPS) {
		auto &s = *static_cast<const struct v4l2_ctrl_hevc_sps *>(payload);
		if (s.chroma_format_idc != 1)
			return -EINVAL;
		if (s.bit_depth_luma_minus8 != s.bit_depth_chroma_minus8)
			return -EINVAL;
		uint32_t depth = s.bit_depth_luma_minus8 + 8u;
		if (depth > 8)
			return -EINVAL;	// no CEDRUS_CAPABILITY_H265_10_DEC on this variant
		// CAPTURE busy: a deeper SPS is refused; otherwise the depth and CAPTURE format
		// change as a side effect, even for TRY and request-bound sets.
		if (ctx.capture().busy()) {
			if (ctx.bitDepth < depth)
				return -EINVAL;
		} else {
			ctx.bitDepth = depth;
			resetCapture(ctx);
		}
	}
	return 0;
}

} // namespace

std::unique_ptr<DriverProfile> makeCedrusProfile(const DriverConfig &config)
{
	return std::make_unique<Cedrus>(config);
}

} // namespace v4l2emu
