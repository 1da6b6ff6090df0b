// SPDX-License-Identifier: MIT
#pragma once

// In-process decode of a file through libavformat + libavcodec with the VAAPI hwaccel, the
// way the ffmpeg CLI does `-hwaccel vaapi -hwaccel_output_format vaapi -vf hwdownload`:
// the VA device is created on /dev/dri/renderD128 (faked by fake_render_node.cpp) with the
// driver named explicitly, every output frame must be a VA surface (no software fallback),
// and each one is downloaded to NV12 with av_hwframe_transfer_data (vaSyncSurface,
// vaCreateImage, vaGetImage, vaMapBuffer) and handed to a callback.
// A software mode (hardware = false) runs the same demux/decode/callback path without VA, so
// the harness itself can be checked without the driver.

#include <va/va.h>
#include <va/va_backend.h>

extern "C" {
#include <libavutil/pixfmt.h>
}

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

struct AVBufferRef;
struct AVCodecContext;
struct AVFormatContext;
struct AVFrame;
struct AVPacket;

namespace v4l2va::test {

struct LibavDecoderOptions {
	bool hardware = true;		///< false: software decode, frames converted to NV12
	std::string driversPath;	///< LIBVA_DRIVERS_PATH (hardware mode; empty: unchanged)
	/// LIBVA_DRIVER_NAME and the device's "driver" option (vaSetDriverName).
	std::string driverName = "v4l2_request";
	std::string device = "/dev/dri/renderD128";
	int threads = 4;		///< decoder threads (frame + slice threading like the CLI)
	int extraHwFrames = -1;		///< AVCodecContext.extra_hw_frames; < 0 leaves the default
};

/// One output frame, valid only during the callback.
struct DecodedPicture {
	unsigned index = 0;		///< output order, from 0
	int width = 0, height = 0;	///< the frame's (cropped) size
	const uint8_t *y = nullptr;
	int yStride = 0;
	const uint8_t *uv = nullptr;	///< interleaved CbCr, (height + 1) / 2 rows
	int uvStride = 0;
	int64_t pts = 0;		///< stream time base; INT64_MIN if unknown
	VASurfaceID surface = VA_INVALID_SURFACE;	///< the decoded surface (hardware mode)
};

class LibavVaapiDecoder {
public:
	/// Return false to stop decoding (decodeAll then fails with "stopped by the callback").
	using FrameCallback = std::function<bool(const DecodedPicture &)>;

	explicit LibavVaapiDecoder(LibavDecoderOptions options);
	~LibavVaapiDecoder();
	LibavVaapiDecoder(const LibavVaapiDecoder &) = delete;
	LibavVaapiDecoder &operator=(const LibavVaapiDecoder &) = delete;

	/// Opens the file, creates the VA device (hardware mode) and opens the decoder.
	/// False with error() set on failure.
	bool open(const std::string &path);
	/// Demuxes and decodes to the end, calling back for every output frame.
	bool decodeAll(const FrameCallback &callback);

	/// What failed: the stage, av_err2str, and the libav/libva messages logged meanwhile.
	const std::string &error() const { return error_; }
	/// Set when libavcodec offered no VAAPI format (the hwaccel was refused or failed to
	/// initialise) or handed out a non-VAAPI frame: the decode would have fallen back to
	/// software. Never set in software mode.
	bool softwareFallback() const { return softwareFallback_; }
	unsigned framesOut() const { return framesOut_; }
	std::string codecName() const;

	/// The VA display and its driver context, once open() created the device (else nullptr).
	VADisplay display() const;
	VADriverContextP driverContext() const;
	/// A symbol of the loaded VA driver (found through the object its vtable lives in), e.g.
	/// "v4l2va_test_board"; nullptr if there is no driver or no such symbol.
	void *driverSymbol(const char *name) const;

private:
	bool fail(std::string stage, int averror = 0);
	bool createDevice();
	bool openDecoder();
	bool receiveFrames(const FrameCallback &callback);
	bool deliver(AVFrame *frame, const FrameCallback &callback);
	static AVPixelFormat getFormat(AVCodecContext *context, const AVPixelFormat *formats);

	LibavDecoderOptions options_;
	std::string error_;
	bool softwareFallback_ = false;
	std::string formatRefusal_;	///< what get_format saw when it refused
	unsigned framesOut_ = 0;
	int streamIndex_ = -1;
	AVFormatContext *format_ = nullptr;
	AVCodecContext *codec_ = nullptr;
	AVBufferRef *device_ = nullptr;
	AVPacket *packet_ = nullptr;
	AVFrame *frame_ = nullptr;
	AVFrame *download_ = nullptr;
	std::vector<uint8_t> nv12_;	///< software mode: the NV12 conversion
};

/// Messages libav logged (warnings and errors, with their context) since the last call; the
/// harness installs its log callback on first use. Thread-safe.
std::string takeLibavLog();

} // namespace v4l2va::test
