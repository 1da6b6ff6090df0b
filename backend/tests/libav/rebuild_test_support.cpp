// SPDX-License-Identifier: MIT
#include "rebuild_test_support.h"

#include "engine/libav/bit_writer.h"

#include <gtest/gtest.h>

extern "C" {
#include <libavutil/mem.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
}

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <utility>

#ifndef V4L2VA_STREAM_DIR
#error "V4L2VA_STREAM_DIR must name corpus/streams"
#endif
#ifndef V4L2VA_DRIVER_DIR
#error "V4L2VA_DRIVER_DIR must name the directory of v4l2_request_drv_video.so"
#endif

namespace v4l2va::test {

using v4l2emu::libav::ParamSetCache;

namespace {

/// MD5 of the frame's top-left width x height as packed NV12 (the reference's packing). Other
/// formats (10-bit) are converted by libswscale as the ffmpeg CLI's `-pix_fmt nv12` does it
/// (its default scaler flags, bicubic; no scaling, so only the depth reduction and its dither).
std::string frameMd5(const AVFrame *f, int width, int height)
{
	const int cw = (width + 1) / 2, ch = (height + 1) / 2;
	std::vector<uint8_t> y(static_cast<size_t>(width) * height), uv(static_cast<size_t>(2 * cw) * ch);
	if (f->format == AV_PIX_FMT_YUV420P || f->format == AV_PIX_FMT_YUVJ420P) {
		for (int r = 0; r < height; r++)
			memcpy(&y[static_cast<size_t>(r) * width], f->data[0] + static_cast<ptrdiff_t>(r) * f->linesize[0], width);
		for (int r = 0; r < ch; r++)
			for (int x = 0; x < cw; x++) {
				uv[static_cast<size_t>(r) * 2 * cw + 2 * x] = f->data[1][static_cast<ptrdiff_t>(r) * f->linesize[1] + x];
				uv[static_cast<size_t>(r) * 2 * cw + 2 * x + 1] = f->data[2][static_cast<ptrdiff_t>(r) * f->linesize[2] + x];
			}
	} else {
		SwsContext *sws = sws_getContext(width, height, static_cast<AVPixelFormat>(f->format), width,
						 height, AV_PIX_FMT_NV12, SWS_BICUBIC, nullptr, nullptr, nullptr);
		if (!sws)
			return "(no swscale conversion from " +
			       std::string(av_get_pix_fmt_name(static_cast<AVPixelFormat>(f->format))) + ")";
		uint8_t *dst[4] = {y.data(), uv.data(), nullptr, nullptr};
		int dstStride[4] = {width, 2 * cw, 0, 0};
		sws_scale(sws, f->data, f->linesize, 0, height, dst, dstStride);
		sws_freeContext(sws);
	}
	return nv12Md5(y.data(), width, uv.data(), 2 * cw, width, height);
}

int countingGetBuffer(AVCodecContext *c, AVFrame *frame, int flags)
{
	(*static_cast<unsigned *>(c->opaque))++;
	return avcodec_default_get_buffer2(c, frame, flags);
}

} // namespace

/// Decodes packets with FFmpeg's software decoder codecId, single-threaded. Packet i has pts
/// pts[i] (the picture's order in display); the frames are sorted by it, since the decoder's
/// own output order depends on reorder limits the controls may not carry.
SoftwareDecode decodePackets(AVCodecID codecId, const std::vector<std::vector<uint8_t>> &packets,
			     const std::vector<int64_t> &pts,
			     const std::vector<ReferenceFrame> &reference)
{
	std::vector<std::pair<int64_t, AVFrame *>> frames;
	SoftwareDecode out;
	const AVCodec *codec = avcodec_find_decoder(codecId);
	AVCodecContext *ctx = codec ? avcodec_alloc_context3(codec) : nullptr;
	AVPacket *pkt = av_packet_alloc();
	AVFrame *frame = av_frame_alloc();
	unsigned pictures = 0;
	if (!ctx || !pkt || !frame) {
		out.error = "allocating the decoder";
	} else {
		ctx->thread_count = 1;
		ctx->thread_type = 0;
		ctx->opaque = &pictures;
		ctx->get_buffer2 = countingGetBuffer;
		if (avcodec_open2(ctx, codec, nullptr) < 0)
			out.error = "avcodec_open2";
	}
	auto drain = [&] {
		while (avcodec_receive_frame(ctx, frame) == 0) {
			frames.emplace_back(frame->pts, av_frame_clone(frame));
			av_frame_unref(frame);
		}
	};
	for (size_t i = 0; out.error.empty() && i < packets.size(); i++) {
		std::vector<uint8_t> padded(packets[i]);
		padded.resize(padded.size() + AV_INPUT_BUFFER_PADDING_SIZE, 0);
		pkt->data = padded.data();
		pkt->size = static_cast<int>(packets[i].size());
		pkt->pts = pts[i];
		unsigned before = pictures;
		int ret = avcodec_send_packet(ctx, pkt);
		if (ret < 0 && ret != AVERROR_INVALIDDATA)
			out.error = "avcodec_send_packet " + std::to_string(i) + ": " + std::to_string(ret);
		out.picturesPerPacket.push_back(pictures - before);
		drain();
	}
	if (out.error.empty()) {
		avcodec_send_packet(ctx, nullptr);
		drain();
	}
	std::stable_sort(frames.begin(), frames.end(),
			 [](const auto &a, const auto &b) { return a.first < b.first; });
	for (auto &[when, f] : frames) {
		size_t i = out.md5s.size();
		int w = i < reference.size() ? reference[i].width : f->width;
		int h = i < reference.size() ? reference[i].height : f->height;
		out.sizes.push_back(std::to_string(f->width) + "x" + std::to_string(f->height));
		if (f->width < w || f->height < h)
			out.md5s.push_back("(smaller than the reference)");
		else
			out.md5s.push_back(frameMd5(f, w, h));
		av_frame_free(&f);
	}
	av_frame_free(&frame);
	av_packet_free(&pkt);
	avcodec_free_context(&ctx);
	return out;
}



const std::vector<CapturedJob> &jobsOf(const std::string &file)
{
	static std::map<std::string, std::vector<CapturedJob>> cache;
	auto it = cache.find(file);
	if (it != cache.end())
		return it->second;
	std::vector<CapturedJob> jobs;
	std::string error;
	if (!captureJobs(streamPath(file), V4L2VA_DRIVER_DIR, &jobs, &error))
		ADD_FAILURE() << "capturing " << file << ": " << error;
	return cache[file] = std::move(jobs);
}


/// Per job, its place in display order: the POC (DECODE_PARAMS) within its IDR period.
std::vector<int64_t> displayOrder(std::vector<CapturedJob> &jobs)
{
	std::vector<int64_t> pts;
	int64_t epoch = 0;
	for (CapturedJob &j : jobs) {
		int32_t poc = 0;
		bool idr = false;
		if (auto *d = controlAs<const struct v4l2_ctrl_h264_decode_params>(
			    j, V4L2_CID_STATELESS_H264_DECODE_PARAMS)) {
			poc = std::min(d->top_field_order_cnt, d->bottom_field_order_cnt);
			idr = d->flags & V4L2_H264_DECODE_PARAM_FLAG_IDR_PIC;
		} else if (auto *e = controlAs<const struct v4l2_ctrl_hevc_decode_params>(
				   j, V4L2_CID_STATELESS_HEVC_DECODE_PARAMS)) {
			poc = e->pic_order_cnt_val;
			idr = e->flags & V4L2_HEVC_DECODE_PARAM_FLAG_IDR_PIC;
		}
		epoch += idr;
		pts.push_back(epoch * (int64_t{1} << 32) + poc);
	}
	return pts;
}

SoftwareDecode rebuildAndDecode(const Clip &clip, const std::vector<ReferenceFrame> &reference,
				const Tamper &tamper)
{
	std::vector<CapturedJob> jobs = jobsOf(clip.file);
	EXPECT_FALSE(jobs.empty()) << clip.file << ": no jobs captured";
	ParamSetCache cache;
	std::vector<std::vector<uint8_t>> packets;
	std::vector<int64_t> pts = displayOrder(jobs);
	for (size_t i = 0; i < jobs.size(); i++) {
		if (tamper)
			tamper(jobs[i]);
		CapturedControls controls(jobs[i].controls);
		std::vector<uint8_t> packet;
		const char *why = "";
		const auto *data = reinterpret_cast<const uint8_t *>(jobs[i].bitstream.data());
		int ret = clip.rebuild(controls, data, jobs[i].bitstream.size(), &cache, packet, &why);
		EXPECT_EQ(ret, 0) << clip.file << " job " << i << ": " << why;
		packets.push_back(std::move(packet));
	}
	// V4L2VA_REBUILD_DUMP=dir writes the rebuilt stream (dir/<clip>.h264 / .hevc) for
	// inspection with ffprobe / trace_headers.
	if (const char *dump = getenv("V4L2VA_REBUILD_DUMP"); dump && !tamper) {
		std::ofstream out(std::string(dump) + "/" + clip.file.substr(dirOf(clip.file).size()) +
				  (clip.codec == AV_CODEC_ID_H264 ? ".h264" : ".hevc"),
				  std::ios::binary);
		for (const auto &p : packets)
			out.write(reinterpret_cast<const char *>(p.data()),
				  static_cast<std::streamsize>(p.size()));
	}
	return decodePackets(clip.codec, packets, pts, reference);
}

unsigned matching(const SoftwareDecode &got, const std::vector<ReferenceFrame> &reference)
{
	unsigned n = 0;
	for (size_t i = 0; i < got.md5s.size() && i < reference.size(); i++)
		n += got.md5s[i] == reference[i].md5;
	return n;
}



/// The rebuilt packets of jobs, one ParamSetCache for the stream.
std::vector<std::vector<uint8_t>> rebuildAll(Rebuild rebuild, const std::vector<CapturedJob> &jobs)
{
	ParamSetCache cache;
	std::vector<std::vector<uint8_t>> packets;
	for (size_t i = 0; i < jobs.size(); i++) {
		CapturedControls controls(jobs[i].controls);
		std::vector<uint8_t> packet;
		const char *why = "";
		const auto *data = reinterpret_cast<const uint8_t *>(jobs[i].bitstream.data());
		EXPECT_EQ(rebuild(controls, data, jobs[i].bitstream.size(), &cache, packet, &why), 0)
			<< "job " << i << ": " << why;
		packets.push_back(std::move(packet));
	}
	return packets;
}


/// The start code and NAL units of an Annex B job.
std::vector<std::string> nalsOf(const std::string &bitstream)
{
	std::vector<v4l2emu::libav::NalSpan> spans;
	const auto *data = reinterpret_cast<const uint8_t *>(bitstream.data());
	std::vector<std::string> out;
	if (!v4l2emu::libav::splitAnnexB(data, bitstream.size(), spans))
		return out;
	for (const auto &s : spans)
		out.emplace_back(reinterpret_cast<const char *>(s.data), s.size);
	return out;
}

void setMenu(CapturedJob &job, uint32_t id, int32_t value)
{
	std::string bytes(8, '\0');
	memcpy(bytes.data(), &value, sizeof(value));
	job.controls[id] = bytes;
}

// Without start codes (START_CODE_NONE, one slice NAL unit per buffer) the packets are the

} // namespace v4l2va::test
