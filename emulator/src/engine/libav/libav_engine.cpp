// SPDX-License-Identifier: MIT
// The libavcodec engine: the real picture, from exactly what the hardware receives. Per
// decode stream (m2m context) one single-threaded AVCodecContext of FFmpeg's software
// decoder; per job the codec's rebuilder (rebuild.h) turns the OUTPUT buffer and the current
// controls into the packet the software decoder takes, avcodec_send_packet decodes it on the
// calling thread, and the picture the decoder allocated for it (get_buffer2, so hidden VP9/VP8
// frames and B-frames come out in decode order, whatever receive_frame would return) is
// written into the CAPTURE buffer in the capture format.
//
// Like hardware, the engine repairs nothing: wrong controls give a wrong picture, and a
// reference the controls name that does not resolve to a decoded frame (the device's checks,
// media_device.cpp) corrupts the picture in the decoder's own frame, so the pictures that
// predict from it are wrong too.
#include "engine/engine.h"
#include "engine/libav/rebuild.h"
#include "engine/picture.h"

#include <v4l2emu/formats.h>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/error.h>
#include <libavutil/frame.h>
#include <libavutil/pixdesc.h>
}

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

namespace v4l2emu {

using libav::RebuildState;
using libav::Rebuilder;

namespace {

/// One decode stream: the software decoder and what the rebuilder keeps.
struct Stream {
	uint64_t id = 0;
	const CodecOps *codec = nullptr;
	const Rebuilder *rebuilder = nullptr;
	AVCodecContext *ctx = nullptr;
	AVPacket *packet = nullptr;
	AVFrame *drained = nullptr;
	/// A reference to the picture the decoder allocated last (get_buffer2).
	AVFrame *current = nullptr;
	bool allocated = false;		///< get_buffer2 ran during this job's packet
	std::unique_ptr<RebuildState> state;
	std::vector<uint8_t> bytes;
	/// The packets of the jobs that held the CAPTURE buffer (slices, a first field) and what
	/// their references were: libavcodec gets the whole picture in one packet (one slice per
	/// packet makes FFmpeg conceal the later slices).
	std::vector<uint8_t> pending;
	size_t pendingUnresolved = 0;
	const char *pendingWrongReferences = nullptr;
	std::vector<uint8_t> y, uv;	///< linear NV12 (or packed 10-bit) staging

	Stream() = default;
	Stream(const Stream &) = delete;
	Stream &operator=(const Stream &) = delete;
	~Stream()
	{
		av_frame_free(&current);
		av_frame_free(&drained);
		av_packet_free(&packet);
		avcodec_free_context(&ctx);
	}
};

int getBuffer(AVCodecContext *ctx, AVFrame *frame, int flags)
{
	int ret = avcodec_default_get_buffer2(ctx, frame, flags);
	if (ret < 0)
		return ret;
	auto *stream = static_cast<Stream *>(ctx->opaque);
	av_frame_unref(stream->current);
	// The reference shares the buffers: what the decoder writes into them is what we read
	// after avcodec_send_packet, and what we corrupt is what later pictures predict from.
	if (av_frame_ref(stream->current, frame) == 0)
		stream->allocated = true;
	return 0;
}

/// Overwrites a checkerboard of 16x16 blocks of the decoder's picture (luma inverted):
/// what hardware shows when it predicts from memory that holds no frame.
void corrupt(AVFrame *frame)
{
	if (!frame->data[0])
		return;
	const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(static_cast<AVPixelFormat>(frame->format));
	int bytes = desc && desc->comp[0].depth > 8 ? 2 : 1;
	for (int y = 0; y < frame->height; y++) {
		uint8_t *row = frame->data[0] + static_cast<ptrdiff_t>(y) * frame->linesize[0];
		for (int x = 0; x < frame->width; x++)
			if (((x / 16) + (y / 16)) & 1)
				for (int b = 0; b < bytes; b++)
					row[x * bytes + b] ^= (bytes == 2 && b == 1) ? 0x03 : 0xff;
	}
}

/// Packs 10-bit samples 4 into 5 bytes, little-endian (NV15).
void pack10(const uint16_t *src, size_t count, uint8_t *dst)
{
	for (size_t i = 0; i < count; i += 4) {
		uint64_t bits = 0;
		for (size_t k = 0; k < 4; k++)
			bits |= static_cast<uint64_t>(i + k < count ? src[i + k] & 0x3ff : 0) << (10 * k);
		for (size_t k = 0; k < 5; k++)
			dst[i / 4 * 5 + k] = static_cast<uint8_t>(bits >> (8 * k));
	}
}

} // namespace

constexpr size_t kMaxPendingBytes = 64u << 20;

class LibavEngine final : public DecodeEngine {
public:
	const char *name() const override { return "libav"; }

	DecodeResult decode(const DecodeJob &job) override
	{
		std::lock_guard<std::mutex> lk(lock_);
		DecodeResult result;
		if (!job.capture || !job.captureSize)
			return result;
		PictureLayout layout;
		const struct v4l2_pix_format_mplane &fmt = job.captureFormat;
		int ret = describeLayout(fmt.pixelformat, fmt.width, fmt.height,
					 fmt.plane_fmt[0].bytesperline, &layout);
		if (ret || layout.sizeimage > job.captureSize || !job.controlsValid || !job.codec) {
			// Garbage in, zeros out, as the synthetic engine (and the fresnel board).
			memset(job.capture, 0, job.captureSize);
			return result;
		}
		Stream *stream = streamFor(job, &result);
		if (!stream)
			return result;

		const char *why = "cannot be expressed as a bitstream";
		stream->bytes.clear();
		int rebuilt = stream->rebuilder->rebuild(stream->state.get(), job, stream->bytes, &why);
		if (rebuilt < 0)
			return fail(result, std::string(job.codec->name) + " rebuilder: " + why);
		const char *wrongReferences = rebuilt > 0 ? why : nullptr;
		if (stream->bytes.empty())
			return fail(result, std::string(job.codec->name) + " rebuilder wrote no bytes");
		size_t unresolved = 0;
		for (const ResolvedReference &r : job.references)
			unresolved += r.signature == 0;
		if (job.moreOfThePictureFollows) {
			// Hardware writes part of the picture; the engine writes it whole with the
			// job that releases the buffer. The signature names what was queued so far.
			if (stream->pending.size() + stream->bytes.size() > kMaxPendingBytes) {
				stream->pending.clear();
				return fail(result, "more than 64 MiB of one picture held without its end");
			}
			stream->pending.insert(stream->pending.end(), stream->bytes.begin(),
					       stream->bytes.end());
			stream->pendingUnresolved += unresolved;
			if (wrongReferences)
				stream->pendingWrongReferences = wrongReferences;
			uint64_t sig = hashBytes(0x686f6c645f736c63ull, stream->pending.data(),
						 stream->pending.size());
			result.signature = sig ? sig : 1;
			return result;
		}
		if (!stream->pending.empty()) {
			stream->pending.insert(stream->pending.end(), stream->bytes.begin(),
					       stream->bytes.end());
			std::swap(stream->pending, stream->bytes);
			stream->pending.clear();	// keeps its capacity for the next picture
			unresolved += stream->pendingUnresolved;
			if (!wrongReferences)
				wrongReferences = stream->pendingWrongReferences;
			stream->pendingUnresolved = 0;
			stream->pendingWrongReferences = nullptr;
		}

		size_t size = stream->bytes.size();
		stream->bytes.resize(size + AV_INPUT_BUFFER_PADDING_SIZE, 0);
		stream->packet->data = stream->bytes.data();
		stream->packet->size = static_cast<int>(size);
		stream->packet->pts = static_cast<int64_t>(job.jobNumber);
		stream->allocated = false;
		// Single-threaded decoder: the packet is decoded before send_packet returns.
		int sent = avcodec_send_packet(stream->ctx, stream->packet);
		while (avcodec_receive_frame(stream->ctx, stream->drained) == 0)
			av_frame_unref(stream->drained);
		if (!stream->allocated && (sent < 0 || !stream->current->buf[0]))
			return fail(result, sent < 0 ? "libavcodec rejected the packet: " + avError(sent)
						     : std::string("libavcodec decoded no picture"));
		// A packet without a new picture (e.g. the second field of an MPEG-2 frame queued
		// without HOLD_CAPTURE_BUF) went into the picture decoded last.
		if (unresolved || wrongReferences) {
			corrupt(stream->current);
			message_ = unresolved ? "picture corrupted: " + std::to_string(unresolved) +
							" reference(s) named by the controls hold no decoded frame"
					      : std::string("picture corrupted: ") + wrongReferences;
			result.diagnostic = message_.c_str();
		}
		if (store(*stream, layout, job.capture) < 0) {
			const char *format = av_get_pix_fmt_name(
				static_cast<AVPixelFormat>(stream->current->format));
			return fail(result, std::string("libavcodec picture format ") +
						    (format ? format : "?") +
						    " does not fit the CAPTURE format");
		}
		// The staging planes hold exactly the visible samples written: hashing them names the
		// picture (and is much cheaper than reading the tiled layout back).
		uint64_t sig = hashBytes(hashBytes(0x6c696261765f6567ull, stream->y.data(), stream->y.size()),
					 stream->uv.data(), stream->uv.size());
		result.signature = sig ? sig : 1;
		if (sent < 0) {
			result.error = true;
			message_ = "libavcodec decode error: " + avError(sent);
			result.diagnostic = message_.c_str();
		}
		return result;
	}

	void endStream(uint64_t streamId) override
	{
		std::lock_guard<std::mutex> lk(lock_);
		endStreamLocked(streamId);
	}

private:
	static std::string avError(int err)
	{
		char buf[AV_ERROR_MAX_STRING_SIZE] = {};
		av_strerror(err, buf, sizeof(buf));
		return buf;
	}

	DecodeResult &fail(DecodeResult &result, std::string why)
	{
		message_ = std::move(why);
		result.error = true;
		result.signature = 0;
		result.diagnostic = message_.c_str();
		return result;
	}

	Stream *streamFor(const DecodeJob &job, DecodeResult *result)
	{
		for (auto &s : streams_)
			if (s->id == job.streamId) {
				if (s->codec == job.codec)
					return s.get();
				// A new OUTPUT codec on the same open: a new decoder.
				endStreamLocked(job.streamId);
				break;
			}
		const Rebuilder *rebuilder = libav::findRebuilder(job.codec->name);
		if (!rebuilder) {
			fail(*result, std::string("no rebuilder for codec ") + job.codec->name +
					      " (the libavcodec engine cannot decode it yet)");
			return nullptr;
		}
		const AVCodec *decoder = avcodec_find_decoder(static_cast<AVCodecID>(rebuilder->avCodecId));
		if (!decoder) {
			fail(*result, std::string("libavcodec has no decoder for ") + job.codec->name);
			return nullptr;
		}
		auto s = std::make_unique<Stream>();
		s->id = job.streamId;
		s->codec = job.codec;
		s->rebuilder = rebuilder;
		s->ctx = avcodec_alloc_context3(decoder);
		s->packet = av_packet_alloc();
		s->drained = av_frame_alloc();
		s->current = av_frame_alloc();
		if (!s->ctx || !s->packet || !s->drained || !s->current) {
			fail(*result, "out of memory creating the libavcodec decoder");
			return nullptr;
		}
		s->ctx->thread_count = 1;
		s->ctx->thread_type = 0;
		s->ctx->opaque = s.get();
		s->ctx->get_buffer2 = getBuffer;
		if (rebuilder->configureDecoder)
			rebuilder->configureDecoder(s->ctx);
		if (int err = avcodec_open2(s->ctx, decoder, nullptr); err < 0) {
			fail(*result, "avcodec_open2: " + avError(err));
			return nullptr;
		}
		if (rebuilder->createState)
			s->state = rebuilder->createState();
		streams_.push_back(std::move(s));
		return streams_.back().get();
	}

	void endStreamLocked(uint64_t streamId)
	{
		streams_.erase(std::remove_if(streams_.begin(), streams_.end(),
					      [&](const std::unique_ptr<Stream> &s) {
						      return s->id == streamId;
					      }),
			       streams_.end());
	}

	/// Writes the current picture into the CAPTURE buffer in the layout: planar 4:2:0 /
	/// 4:2:2 (8 or 10 bit) from libavcodec -> semi-planar staging -> the layout.
	int store(Stream &s, const PictureLayout &layout, uint8_t *capture)
	{
		const AVFrame *f = s.current;
		const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(static_cast<AVPixelFormat>(f->format));
		if (!desc || desc->nb_components < 3 || (desc->flags & AV_PIX_FMT_FLAG_RGB) ||
		    !(desc->flags & AV_PIX_FMT_FLAG_PLANAR) || desc->log2_chroma_w != 1)
			return -EINVAL;
		bool deep = desc->comp[0].depth > 8;
		bool packed10 = layout.fourcc == V4L2_PIX_FMT_NV15 || layout.fourcc == V4L2_PIX_FMT_NV20;
		bool chroma422 = layout.fourcc == V4L2_PIX_FMT_NV16 || layout.fourcc == V4L2_PIX_FMT_NV20;
		if (chroma422 != (desc->log2_chroma_h == 0))
			return -EINVAL;
		uint32_t width = std::min<uint32_t>(layout.width, static_cast<uint32_t>(f->width));
		uint32_t height = std::min<uint32_t>(layout.height, static_cast<uint32_t>(f->height));
		uint32_t lumaBytes, chromaBytes, chromaRows;
		visibleGeometry(layout, &lumaBytes, &chromaBytes, &chromaRows);
		uint32_t cw = (width + 1) / 2;
		uint32_t ch = chroma422 ? height : (height + 1) / 2;
		// Not cleared per job: rows past the decoded picture (a frame smaller than the
		// CAPTURE format) carry stale samples, as hardware leaves memory it does not write.
		s.y.resize(static_cast<size_t>(lumaBytes) * layout.height);
		s.uv.resize(static_cast<size_t>(chromaBytes) * chromaRows);
		std::vector<uint16_t> &row = row16_;
		row.resize(2 * static_cast<size_t>(cw) + 4);
		auto sample = [&](int plane, uint32_t x, uint32_t y) -> uint16_t {
			const uint8_t *p = f->data[plane] + static_cast<ptrdiff_t>(y) * f->linesize[plane];
			if (!deep)
				return packed10 ? static_cast<uint16_t>(p[x] << 2) : p[x];
			uint16_t v;
			memcpy(&v, p + 2 * x, 2);
			return packed10 ? v : static_cast<uint16_t>(v >> (desc->comp[0].depth - 8));
		};
		if (!deep && !packed10) {
			// The common case: 8-bit 4:2:0/4:2:2 into NV12/NV16 and their tiled forms.
			for (uint32_t y = 0; y < height; y++)
				memcpy(s.y.data() + static_cast<size_t>(y) * lumaBytes,
				       f->data[0] + static_cast<ptrdiff_t>(y) * f->linesize[0], width);
			for (uint32_t y = 0; y < ch && y < chromaRows; y++) {
				uint8_t *dst = s.uv.data() + static_cast<size_t>(y) * chromaBytes;
				const uint8_t *u = f->data[1] + static_cast<ptrdiff_t>(y) * f->linesize[1];
				const uint8_t *v = f->data[2] + static_cast<ptrdiff_t>(y) * f->linesize[2];
				for (uint32_t x = 0; x < cw; x++) {
					dst[2 * x] = u[x];
					dst[2 * x + 1] = v[x];
				}
			}
			tileFromNv12(layout, s.y.data(), lumaBytes, s.uv.data(), chromaBytes, capture);
			return 0;
		}
		for (uint32_t y = 0; y < height; y++) {
			uint8_t *dst = s.y.data() + static_cast<size_t>(y) * lumaBytes;
			if (packed10) {
				for (uint32_t x = 0; x < width; x++)
					row[x] = sample(0, x, y);
				pack10(row.data(), width, dst);
			} else {
				for (uint32_t x = 0; x < width; x++)
					dst[x] = static_cast<uint8_t>(sample(0, x, y));
			}
		}
		for (uint32_t y = 0; y < ch && y < chromaRows; y++) {
			uint8_t *dst = s.uv.data() + static_cast<size_t>(y) * chromaBytes;
			for (uint32_t x = 0; x < cw; x++) {
				uint16_t u = sample(1, x, y), v = sample(2, x, y);
				if (packed10) {
					row[2 * x] = u;
					row[2 * x + 1] = v;
				} else {
					dst[2 * x] = static_cast<uint8_t>(u);
					dst[2 * x + 1] = static_cast<uint8_t>(v);
				}
			}
			if (packed10)
				pack10(row.data(), 2 * static_cast<size_t>(cw), dst);
		}
		tileFromNv12(layout, s.y.data(), lumaBytes, s.uv.data(), chromaBytes, capture);
		return 0;
	}

	std::mutex lock_;
	std::vector<std::unique_ptr<Stream>> streams_;
	std::vector<uint16_t> row16_;
	std::string message_;
};

} // namespace v4l2emu

/// What libv4l2emu looks up after loading this library (engine_factory.cpp).
extern "C" __attribute__((visibility("default"))) v4l2emu::DecodeEngine *v4l2emu_make_libav_engine()
{
	return new v4l2emu::LibavEngine();
}
