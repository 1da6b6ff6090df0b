// SPDX-License-Identifier: MIT
// Format helpers shared by the driver profiles (V4L2C = v4l2-common.c) and the profile
// factory.
#include "driver_profile.h"

#include "core/context.h"

#include <cerrno>

namespace v4l2emu {

std::unique_ptr<DriverProfile> makeRkvdecProfile(const DriverConfig &config);
std::unique_ptr<DriverProfile> makeHantroProfile(const DriverConfig &config);
std::unique_ptr<DriverProfile> makeVislProfile(const DriverConfig &config);
std::unique_ptr<DriverProfile> makeCedrusProfile(const DriverConfig &config);

namespace {

struct ProfileFactory {
	const char *name;
	std::unique_ptr<DriverProfile> (*make)(const DriverConfig &);
};

const ProfileFactory kProfiles[] = {
	{"rkvdec", makeRkvdecProfile},
	{"hantro", makeHantroProfile},
	{"visl", makeVislProfile},
	{"cedrus", makeCedrusProfile},
};

uint32_t divRoundUp(uint32_t a, uint32_t b)
{
	return (a + b - 1) / b;
}

} // namespace

std::unique_ptr<DriverProfile> makeDriverProfile(std::string_view name, const DriverConfig &config)
{
	for (const ProfileFactory &f : kProfiles)
		if (name == f.name)
			return f.make(config);
	return nullptr;
}

void fillRawFormat(struct v4l2_pix_format_mplane &fmt, uint32_t fourcc, uint32_t width,
		   uint32_t height)
{
	// V4L2C:v4l2_fill_pixfmt_mp: one memory plane holding every component plane.
	fmt.pixelformat = fourcc;
	fmt.width = width;
	fmt.height = height;
	fmt.num_planes = 1;
	uint32_t bpl = width, size = 0;
	switch (fourcc) {
	case V4L2_PIX_FMT_NV12:
		bpl = width;
		size = bpl * height + 2 * divRoundUp(width, 2) * divRoundUp(height, 2);
		break;
	case V4L2_PIX_FMT_YUV420:
		bpl = width;
		size = bpl * height + 2 * divRoundUp(width, 2) * divRoundUp(height, 2);
		break;
	case V4L2_PIX_FMT_NV16:
		bpl = width;
		size = bpl * height + 2 * divRoundUp(width, 2) * height;
		break;
	case V4L2_PIX_FMT_NV15:
		// 10-bit packed, 4 samples in 5 bytes (block width 4).
		bpl = divRoundUp(width, 4) * 5;
		size = bpl * height + bpl * divRoundUp(height, 2);
		break;
	case V4L2_PIX_FMT_NV20:
		bpl = divRoundUp(width, 4) * 5;
		size = 2 * bpl * height;
		break;
	case V4L2_PIX_FMT_NV12_4L4: {
		uint32_t w = (width + 3) / 4 * 4, h = (height + 3) / 4 * 4;
		bpl = w;
		size = w * h + w * (((height + 7) / 8 * 8) / 2);
		break;
	}
	case V4L2_PIX_FMT_NV12_32L32: {
		uint32_t w = (width + 31) / 32 * 32, h = (height + 31) / 32 * 32;
		bpl = w;
		size = w * h + w * (((height + 63) / 64 * 64) / 2);
		break;
	}
	default:
		size = width * height * 2;
		break;
	}
	fmt.plane_fmt[0].bytesperline = bpl;
	fmt.plane_fmt[0].sizeimage = size;
}

void applyFrmsize(uint32_t *width, uint32_t *height, const struct v4l2_frmsize_stepwise &fs)
{
	// V4L2C:v4l2_apply_frmsize_constraints: clamp, then round up to the step.
	auto one = [](uint32_t v, uint32_t lo, uint32_t hi, uint32_t step) {
		v = v < lo ? lo : (v > hi ? hi : v);
		if (step > 1)
			v = (v + step - 1) / step * step;
		return v;
	};
	*width = one(*width, fs.min_width, fs.max_width, fs.step_width);
	*height = one(*height, fs.min_height, fs.max_height, fs.step_height);
}

void applyFrmsize(struct v4l2_pix_format_mplane &fmt, const struct v4l2_frmsize_stepwise &fs)
{
	uint32_t width = fmt.width, height = fmt.height;
	applyFrmsize(&width, &height, fs);
	fmt.width = width;
	fmt.height = height;
}

bool isCodedFormat(uint32_t fourcc)
{
	switch (fourcc) {
	case V4L2_PIX_FMT_MPEG2_SLICE:
	case V4L2_PIX_FMT_VP8_FRAME:
	case V4L2_PIX_FMT_VP9_FRAME:
	case V4L2_PIX_FMT_H264_SLICE:
	case V4L2_PIX_FMT_HEVC_SLICE:
	case V4L2_PIX_FMT_AV1_FRAME:
	case V4L2_PIX_FMT_FWHT_STATELESS:
		return true;
	default:
		return false;
	}
}

const ControlLayout &DriverProfile::controlLayout() const
{
	std::call_once(layoutOnce_, [this] { layout_ = std::make_unique<ControlLayout>(controls()); });
	return *layout_;
}

int DriverProfile::checkCreateBufs(const Context &ctx, Direction dir, uint32_t numPlanes,
				   const uint32_t *sizes) const
{
	// The drivers' queue_setup with *num_planes set (HV/RK/VV/CV *_queue_setup).
	const struct v4l2_pix_format_mplane &fmt =
		dir == Direction::Output ? ctx.outputFormat : ctx.captureFormat;
	uint32_t planes = fmt.num_planes ? fmt.num_planes : 1;
	if (numPlanes != planes)
		return -EINVAL;
	for (uint32_t i = 0; i < planes; i++)
		if (sizes[i] < fmt.plane_fmt[i].sizeimage)
			return -EINVAL;
	return 0;
}

int DriverProfile::bufPrepare(const Context &ctx, Direction dir, const Buffer &buf) const
{
	// The drivers' buf_prepare: each plane at least the current sizeimage.
	const struct v4l2_pix_format_mplane &fmt =
		dir == Direction::Output ? ctx.outputFormat : ctx.captureFormat;
	uint32_t planes = fmt.num_planes ? fmt.num_planes : 1;
	for (uint32_t i = 0; i < planes && i < buf.numPlanes; i++) {
		if (buf.planes[i].length < fmt.plane_fmt[i].sizeimage)
			return -EINVAL;
	}
	return 0;
}

} // namespace v4l2emu
