// SPDX-License-Identifier: MIT
// The libav decode harness: demux, decode through the VAAPI hwaccel, download every frame.
// The device and frame handling follow the ffmpeg CLI's -hwaccel vaapi path (FF51
// fftools/ffmpeg_hw.c:hwaccel_decode_init, ffmpeg.c:get_format) and hwdownload
// (libavfilter/vf_hwdownload.c: av_hwframe_transfer_data into an NV12 frame).
#include "libav_vaapi_decoder.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/error.h>
#include <libavutil/hwcontext.h>
#include <libavutil/hwcontext_vaapi.h>
#include <libavutil/log.h>
#include <libavutil/pixdesc.h>
}

#include <dlfcn.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <utility>

namespace v4l2va::test {

namespace {

std::string averrorText(int averror)
{
	char text[AV_ERROR_MAX_STRING_SIZE] = {};
	av_strerror(averror, text, sizeof(text));
	return text;
}

const char *pixelFormatName(int format)
{
	const char *name = av_get_pix_fmt_name(static_cast<AVPixelFormat>(format));
	return name ? name : "none";
}

// Warnings and errors, plus everything libva says (its errors arrive as "libva: ..."), kept
// for the failure messages; the last kLogLimit bytes only.
constexpr size_t kLogLimit = 16384;
std::mutex gLogMutex;
std::string gLog;
std::once_flag gLogInstalled;

void logCallback(void *context, int level, const char *format, va_list args)
{
	va_list copy;
	va_copy(copy, args);
	av_log_default_callback(context, level, format, copy);
	va_end(copy);

	char line[1024];
	int printPrefix = 1;
	av_log_format_line2(context, level, format, args, line, sizeof(line), &printPrefix);
	bool vaapi = strstr(line, "libva") || strstr(line, "VAAPI") || strstr(line, "vaapi");
	if (level > AV_LOG_WARNING && !(vaapi && level <= AV_LOG_VERBOSE))
		return;
	std::lock_guard<std::mutex> lock(gLogMutex);
	gLog += line;
	if (!gLog.empty() && gLog.back() != '\n')
		gLog += '\n';
	if (gLog.size() > kLogLimit)
		gLog.erase(0, gLog.size() - kLogLimit);
}

void installLogCallback()
{
	std::call_once(gLogInstalled, [] { av_log_set_callback(logCallback); });
}

bool offersVaapi(const AVCodec *codec)
{
	for (int i = 0;; i++) {
		const AVCodecHWConfig *config = avcodec_get_hw_config(codec, i);
		if (!config)
			return false;
		if (config->device_type == AV_HWDEVICE_TYPE_VAAPI &&
		    (config->methods & AV_CODEC_HW_CONFIG_METHOD_HW_DEVICE_CTX))
			return true;
	}
}

} // namespace

std::string takeLibavLog()
{
	installLogCallback();
	std::lock_guard<std::mutex> lock(gLogMutex);
	return std::exchange(gLog, std::string());
}

LibavVaapiDecoder::LibavVaapiDecoder(LibavDecoderOptions options) : options_(std::move(options))
{
	installLogCallback();
}

LibavVaapiDecoder::~LibavVaapiDecoder()
{
	// Decoder first: its frames pool holds the VA surfaces of the device.
	av_frame_free(&download_);
	av_frame_free(&frame_);
	av_packet_free(&packet_);
	avcodec_free_context(&codec_);
	avformat_close_input(&format_);
	av_buffer_unref(&device_);
}

bool LibavVaapiDecoder::fail(std::string stage, int averror)
{
	error_ = std::move(stage);
	if (averror)
		error_ += ": " + averrorText(averror);
	if (!formatRefusal_.empty())
		error_ += "\n  get_format: " + formatRefusal_;
	std::string log = takeLibavLog();
	if (!log.empty())
		error_ += "\n  libav log:\n" + log;
	return false;
}

bool LibavVaapiDecoder::open(const std::string &path)
{
	takeLibavLog();
	int ret = avformat_open_input(&format_, path.c_str(), nullptr, nullptr);
	if (ret < 0)
		return fail("avformat_open_input(" + path + ")", ret);
	ret = avformat_find_stream_info(format_, nullptr);
	if (ret < 0)
		return fail("avformat_find_stream_info(" + path + ")", ret);
	const AVCodec *codec = nullptr;
	ret = av_find_best_stream(format_, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
	if (ret < 0)
		return fail("av_find_best_stream(video) in " + path, ret);
	streamIndex_ = ret;
	if (options_.hardware && !offersVaapi(codec))
		return fail(std::string("decoder ") + codec->name + " has no VAAPI hwaccel");

	codec_ = avcodec_alloc_context3(codec);
	packet_ = av_packet_alloc();
	frame_ = av_frame_alloc();
	download_ = av_frame_alloc();
	if (!codec_ || !packet_ || !frame_ || !download_)
		return fail("allocating the decoder", AVERROR(ENOMEM));
	AVStream *stream = format_->streams[streamIndex_];
	ret = avcodec_parameters_to_context(codec_, stream->codecpar);
	if (ret < 0)
		return fail("avcodec_parameters_to_context", ret);
	codec_->pkt_timebase = stream->time_base;
	if (options_.hardware && !createDevice())
		return false;
	return openDecoder();
}

bool LibavVaapiDecoder::createDevice()
{
	// libva reads these when vaInitialize loads the driver.
	if (!options_.driversPath.empty())
		setenv("LIBVA_DRIVERS_PATH", options_.driversPath.c_str(), 1);
	if (!options_.driverName.empty())
		setenv("LIBVA_DRIVER_NAME", options_.driverName.c_str(), 1);
	AVDictionary *deviceOptions = nullptr;
	if (!options_.driverName.empty())
		av_dict_set(&deviceOptions, "driver", options_.driverName.c_str(), 0);
	int ret = av_hwdevice_ctx_create(&device_, AV_HWDEVICE_TYPE_VAAPI, options_.device.c_str(),
					 deviceOptions, 0);
	av_dict_free(&deviceOptions);
	if (ret < 0) {
		std::string stage = "creating the VAAPI device on " + options_.device +
				    " (vaGetDisplayDRM, vaInitialize of driver '" +
				    options_.driverName + "' from LIBVA_DRIVERS_PATH=" +
				    options_.driversPath + ")";
		std::string driverFile =
			options_.driversPath + "/" + options_.driverName + "_drv_video.so";
		if (!options_.driversPath.empty() && access(driverFile.c_str(), F_OK) != 0)
			stage += " [" + driverFile + " does not exist]";
		return fail(stage, ret);
	}
	codec_->hw_device_ctx = av_buffer_ref(device_);
	if (!codec_->hw_device_ctx)
		return fail("av_buffer_ref(device)", AVERROR(ENOMEM));
	codec_->get_format = getFormat;
	codec_->opaque = this;
	if (options_.extraHwFrames >= 0)
		codec_->extra_hw_frames = options_.extraHwFrames;
	return true;
}

bool LibavVaapiDecoder::openDecoder()
{
	codec_->thread_count = options_.threads;
	codec_->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
	int ret = avcodec_open2(codec_, codec_->codec, nullptr);
	if (ret < 0)
		return fail(std::string("avcodec_open2(") + codec_->codec->name + ")", ret);
	return true;
}

AVPixelFormat LibavVaapiDecoder::getFormat(AVCodecContext *context, const AVPixelFormat *formats)
{
	auto *self = static_cast<LibavVaapiDecoder *>(context->opaque);
	std::string offered;
	for (const AVPixelFormat *f = formats; *f != AV_PIX_FMT_NONE; f++) {
		if (*f == AV_PIX_FMT_VAAPI)
			return AV_PIX_FMT_VAAPI;
		offered += std::string(offered.empty() ? "" : ", ") + pixelFormatName(*f);
	}
	// libavcodec drops VAAPI from the list after a failed hwaccel init (vaCreateConfig,
	// vaCreateSurfaces, vaCreateContext): refuse instead of decoding in software.
	self->softwareFallback_ = true;
	self->formatRefusal_ = "VAAPI not offered (hwaccel refused or failed to initialise), "
			       "refusing software fallback to [" + offered + "]";
	return AV_PIX_FMT_NONE;
}

bool LibavVaapiDecoder::decodeAll(const FrameCallback &callback)
{
	if (!codec_)
		return fail("decodeAll before a successful open");
	unsigned packets = 0;
	int ret;
	while ((ret = av_read_frame(format_, packet_)) >= 0) {
		if (packet_->stream_index != streamIndex_) {
			av_packet_unref(packet_);
			continue;
		}
		packets++;
		for (;;) {
			ret = avcodec_send_packet(codec_, packet_);
			if (ret != AVERROR(EAGAIN))
				break;
			// Output is full: take frames, then resend the same packet.
			if (!receiveFrames(callback))
				return false;
		}
		av_packet_unref(packet_);
		if (ret < 0)
			return fail("avcodec_send_packet (packet " + std::to_string(packets) + ")",
				    ret);
		if (!receiveFrames(callback))
			return false;
	}
	if (ret != AVERROR_EOF)
		return fail("av_read_frame", ret);
	ret = avcodec_send_packet(codec_, nullptr);
	if (ret < 0)
		return fail("avcodec_send_packet (flush)", ret);
	if (!receiveFrames(callback))
		return false;
	return true;
}

bool LibavVaapiDecoder::receiveFrames(const FrameCallback &callback)
{
	for (;;) {
		int ret = avcodec_receive_frame(codec_, frame_);
		if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
			return true;
		if (ret < 0)
			return fail("avcodec_receive_frame (after " + std::to_string(framesOut_) +
				    " frames)", ret);
		bool ok = deliver(frame_, callback);
		av_frame_unref(frame_);
		if (!ok)
			return false;
	}
}

bool LibavVaapiDecoder::deliver(AVFrame *frame, const FrameCallback &callback)
{
	DecodedPicture picture;
	picture.index = framesOut_;
	picture.width = frame->width;
	picture.height = frame->height;
	picture.pts = frame->best_effort_timestamp != AV_NOPTS_VALUE ? frame->best_effort_timestamp
								     : frame->pts;
	if (picture.pts == AV_NOPTS_VALUE)
		picture.pts = INT64_MIN;
	std::string which = "frame " + std::to_string(framesOut_);

	if (options_.hardware) {
		if (frame->format != AV_PIX_FMT_VAAPI) {
			softwareFallback_ = true;
			return fail(which + " is " + pixelFormatName(frame->format) +
				    ", not a VAAPI surface (software fallback)");
		}
		auto surface = reinterpret_cast<uintptr_t>(frame->data[3]);
		picture.surface = static_cast<VASurfaceID>(surface);
		av_frame_unref(download_);
		download_->format = AV_PIX_FMT_NV12;
		// vaSyncSurface + vaCreateImage + vaGetImage + vaMapBuffer, as hwdownload does.
		int ret = av_hwframe_transfer_data(download_, frame, 0);
		if (ret < 0)
			return fail("av_hwframe_transfer_data of " + which + " (VA surface " +
				    std::to_string(picture.surface) + ") to NV12", ret);
		if (download_->format != AV_PIX_FMT_NV12)
			return fail(which + " downloaded as " + pixelFormatName(download_->format) +
				    ", not nv12");
		picture.y = download_->data[0];
		picture.yStride = download_->linesize[0];
		picture.uv = download_->data[1];
		picture.uvStride = download_->linesize[1];
	} else if (frame->format == AV_PIX_FMT_NV12) {
		picture.y = frame->data[0];
		picture.yStride = frame->linesize[0];
		picture.uv = frame->data[1];
		picture.uvStride = frame->linesize[1];
	} else if (frame->format == AV_PIX_FMT_YUV420P || frame->format == AV_PIX_FMT_YUVJ420P) {
		// Interleave the chroma planes, as -pix_fmt nv12 would.
		int chromaWidth = (frame->width + 1) / 2;
		int chromaHeight = (frame->height + 1) / 2;
		nv12_.resize(static_cast<size_t>(2 * chromaWidth) * chromaHeight);
		for (int row = 0; row < chromaHeight; row++) {
			ptrdiff_t r = row;
			const uint8_t *u = frame->data[1] + r * frame->linesize[1];
			const uint8_t *v = frame->data[2] + r * frame->linesize[2];
			uint8_t *dst = nv12_.data() + static_cast<size_t>(row) * 2 * chromaWidth;
			for (int x = 0; x < chromaWidth; x++) {
				dst[2 * x] = u[x];
				dst[2 * x + 1] = v[x];
			}
		}
		picture.y = frame->data[0];
		picture.yStride = frame->linesize[0];
		picture.uv = nv12_.data();
		picture.uvStride = 2 * chromaWidth;
	} else {
		return fail(which + " has software format " + pixelFormatName(frame->format) +
			    ", which the harness does not convert to NV12");
	}

	framesOut_++;
	if (!callback(picture))
		return fail("stopped by the callback at " + which);
	return true;
}

std::string LibavVaapiDecoder::codecName() const
{
	return codec_ && codec_->codec ? codec_->codec->name : "";
}

VADisplay LibavVaapiDecoder::display() const
{
	if (!device_)
		return nullptr;
	auto *device = reinterpret_cast<AVHWDeviceContext *>(device_->data);
	return static_cast<AVVAAPIDeviceContext *>(device->hwctx)->display;
}

VADriverContextP LibavVaapiDecoder::driverContext() const
{
	VADisplay va = display();
	// A VADisplay is the VADisplayContext libva allocated (va_backend.h).
	return va ? static_cast<VADisplayContextP>(va)->pDriverContext : nullptr;
}

void *LibavVaapiDecoder::driverSymbol(const char *name) const
{
	VADriverContextP context = driverContext();
	if (!context || !context->vtable || !context->vtable->vaQueryConfigProfiles)
		return nullptr;
	// The object the driver's vtable points into is the driver libva loaded, whatever its path.
	Dl_info info = {};
	if (!dladdr(reinterpret_cast<void *>(context->vtable->vaQueryConfigProfiles), &info) ||
	    !info.dli_fname)
		return nullptr;
	void *handle = dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD);
	if (!handle)
		return nullptr;
	void *symbol = dlsym(handle, name);
	dlclose(handle);	// libva still holds it
	return symbol;
}

} // namespace v4l2va::test
