// SPDX-License-Identifier: MIT
#pragma once

// A driver profile: what one kernel driver (rkvdec, hantro, visl, cedrus) decides on its own:
// formats and their negotiation, sizes, busy rules, queue flags, registered controls and
// try_ctrl, request validation, and small behaviours (sequence numbers, REMOVE_BUFS).
// Everything generic (vb2, m2m, the ioctl core, control framework) lives in core/.
//
// All methods return 0 or -errno like the kernel function they model, and a failing call
// leaves the context unchanged. Formats are handled in multi-planar form for every driver:
// the ioctl layer converts for single-planar nodes.

#include "codecs/codec.h"
#include "core/control_handler.h"
#include "core/queue.h"

#include <v4l2emu/board.h>

#include <v4l2emu/formats.h>

#include <linux/videodev2.h>

#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

namespace v4l2emu {

class Context;

struct DriverConfig {
	KernelVersion kernel = KernelVersion::Mainline;
	/// cedrus: the variant has CEDRUS_CAPABILITY_UNTILED (NV12 listed before ST12).
	bool untiledCapture = true;
};

class DriverProfile {
public:
	explicit DriverProfile(const DriverConfig &config) : config_(config) {}
	virtual ~DriverProfile() = default;
	DriverProfile(const DriverProfile &) = delete;
	DriverProfile &operator=(const DriverProfile &) = delete;

	const DriverConfig &config() const { return config_; }
	KernelVersion kernel() const { return config_.kernel; }

	/// QUERYCAP driver ("rkvdec", "hantro-vpu", "visl", "cedrus").
	virtual const char *driverName() const = 0;
	/// QUERYCAP card and video device name (the media entity names derive from it).
	virtual const char *cardName() const = 0;
	/// MEDIA_IOC_DEVICE_INFO model.
	virtual const char *mediaModel() const = 0;
	virtual const char *busInfo() const = 0;

	/// MPLANE queues (VIDEO_M2M_MPLANE) or single-planar (cedrus: VIDEO_M2M).
	virtual bool multiplanar() const { return true; }
	/// VB2: max_num_buffers per direction (32; hantro decoder CAPTURE 64).
	virtual uint32_t maxBuffers(Direction) const { return 32; }
	/// VIDIOC_REMOVE_BUFS implemented (hantro, visl) or ENOTTY (rkvdec, cedrus in 6.12).
	virtual bool supportsRemoveBufs() const = 0;
	/// Sets OUTPUT/CAPTURE sequence numbers (hantro, visl) or leaves them 0 (rkvdec, cedrus).
	virtual bool setsSequence() const = 0;
	/// Buffer objects a request may hold: 1 (rkvdec, visl, cedrus) or 0 = any (hantro).
	virtual uint32_t maxBuffersPerRequest() const { return 1; }
	/// visl completes every job DONE (VD:visl_device_run); hardware drivers report errors.
	virtual bool reportsDecodeErrors() const { return true; }
	/// Whether the driver has a G/S_SELECTION op (hantro only).
	virtual int selection(const Context &, struct v4l2_selection &, bool /*set*/) const
	{
		return -ENOTTY;
	}

	/// Controls registered in every context (all codecs of the variant).
	virtual std::vector<ControlDef> controls() const = 0;
	/// controls() laid out as every open starts with them, built on first use (the
	/// profile's controls never change).
	const ControlLayout &controlLayout() const;

	/// At open: default formats and queue flags (requires_requests, HOLD support, ...).
	virtual void openContext(Context &ctx) const = 0;

	/// ENUM_FMT: fills pixelformat (and flags beyond COMPRESSED) for f.index of direction
	/// dir; -EINVAL past the end. The core fills description and COMPRESSED.
	virtual int enumFmt(const Context &ctx, Direction dir, struct v4l2_fmtdesc &f) const = 0;
	/// TRY_FMT: corrects the format in place (never EBUSY).
	virtual int tryFmt(const Context &ctx, Direction dir,
			   struct v4l2_pix_format_mplane &fmt) const = 0;
	/// S_FMT: busy rules, then the corrected format becomes current with the driver's side
	/// effects (S_FMT(OUTPUT) resets CAPTURE, queue flags, bit depth).
	virtual int sFmt(Context &ctx, Direction dir, struct v4l2_pix_format_mplane &fmt) const = 0;
	/// ENUM_FRAMESIZES, or -ENOTTY when the driver has no op (cedrus).
	virtual int enumFramesizes(const Context &ctx, struct v4l2_frmsizeenum &f) const = 0;

	/// queue_setup for CREATE_BUFS: numPlanes and sizes requested; -EINVAL if the plane count
	/// differs from the current format's or a size is below its sizeimage. The default
	/// implementation does exactly that.
	virtual int checkCreateBufs(const Context &ctx, Direction dir, uint32_t numPlanes,
				    const uint32_t *sizes) const;
	/// buf_prepare: every plane at least the current sizeimage (default), else -EINVAL.
	virtual int bufPrepare(const Context &ctx, Direction dir, const Buffer &buf) const;

	/// try_ctrl for a control being set or tried (payload already passed the standard
	/// validation). May have side effects like the kernel's (cedrus HEVC SPS).
	virtual int tryCtrl(Context &, const ControlDef &, void * /*payload*/,
			    uint32_t /*elems*/) const
	{
		return 0;
	}
	/// s_ctrl when a current value changes through S_EXT_CTRLS/S_CTRL ([mainline] rkvdec
	/// SPS: EBUSY when CAPTURE is busy and the image format changes).
	virtual int sCtrl(Context &, const ControlDef &, const void * /*payload*/) const
	{
		return 0;
	}
	/// start_streaming (6.12 rkvdec H.264 validates the SPS against the OUTPUT format).
	virtual int startStreaming(Context &, Direction) const { return 0; }

protected:
	DriverConfig config_;

private:
	mutable std::once_flag layoutOnce_;
	mutable std::unique_ptr<ControlLayout> layout_;
};

/// Profiles: "rkvdec", "hantro", "visl", "cedrus". nullptr for an unknown name.
std::unique_ptr<DriverProfile> makeDriverProfile(std::string_view name, const DriverConfig &config);

// Helpers shared by the driver files (formats.cpp).
/// V4L2C:v4l2_fill_pixfmt_mp for the raw formats the drivers use (NV12, YUV420, NV12_32L32,
/// NV12_4L4, NV15, NV16, NV20): one plane, bytesperline and sizeimage from width/height.
void fillRawFormat(struct v4l2_pix_format_mplane &fmt, uint32_t fourcc, uint32_t width,
		   uint32_t height);
/// V4L2C:v4l2_apply_frmsize_constraints: clamp to [min,max] and round up to the step.
void applyFrmsize(uint32_t *width, uint32_t *height, const struct v4l2_frmsize_stepwise &fs);
/// The same on a (packed) format's width and height.
void applyFrmsize(struct v4l2_pix_format_mplane &fmt, const struct v4l2_frmsize_stepwise &fs);
bool isCodedFormat(uint32_t fourcc);

} // namespace v4l2emu
