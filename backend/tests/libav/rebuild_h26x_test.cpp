// SPDX-License-Identifier: MIT
// The H.264 and HEVC rebuilders of the libavcodec engine (emulator/src/engine/libav/) proven
// on real streams, independently of the engine: each corpus clip is decoded through our VA
// driver on the emulated fresnel board with a native trace, every job's controls and
// bitstream are recovered from the trace (job_capture.h), rebuilt into a packet, and the
// packets are decoded by FFmpeg's software decoder; every output frame must have the MD5 of
// reference.tsv (FFmpeg's own software decode of the clip). Each packet must start exactly one
// picture (get_buffer2 once per send_packet), which is what lets the engine take the picture
// as soon as the packet is sent. A flipped PPS flag must make the frames differ.
#include "job_capture.h"

#include "engine/libav/bit_writer.h"
#include "engine/libav/h26x_rebuild.h"
#include "engine/libav/rebuild.h"

#include <gtest/gtest.h>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/md5.h>
#include <libavutil/mem.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
}

#include <algorithm>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <tuple>
#include <sstream>
#include <string>
#include <vector>

#ifndef V4L2VA_STREAM_DIR
#error "V4L2VA_STREAM_DIR must name corpus/streams"
#endif
#ifndef V4L2VA_DRIVER_DIR
#error "V4L2VA_DRIVER_DIR must name the directory of v4l2_request_drv_video.so"
#endif

namespace v4l2va::test {
namespace {

using v4l2emu::libav::BitReader;
using v4l2emu::libav::BitWriter;
using v4l2emu::libav::ParamSetCache;

struct ReferenceFrame {
	int width = 0, height = 0;
	std::string md5;
};

std::string streamPath(const std::string &file)
{
	return std::string(V4L2VA_STREAM_DIR) + "/" + file;
}

/// The directory part of a clip name ("extra/x.mp4" -> "extra/"), where its reference.tsv is.
std::string dirOf(const std::string &file)
{
	size_t slash = file.rfind('/');
	return slash == std::string::npos ? "" : file.substr(0, slash + 1);
}

/// reference.tsv: stream, frame, pts, width, height, nv12_md5 (make_streams.sh).
std::vector<ReferenceFrame> referenceOf(const std::string &file)
{
	const std::string dir = dirOf(file);
	std::ifstream in(streamPath(dir + "reference.tsv"));
	std::vector<ReferenceFrame> frames;
	std::string line;
	while (std::getline(in, line)) {
		std::istringstream fields(line);
		std::string name, frame, pts;
		ReferenceFrame ref;
		if (line.empty() || line[0] == '#' || !std::getline(fields, name, '\t') ||
		    dir + name != file || !std::getline(fields, frame, '\t') ||
		    !std::getline(fields, pts, '\t') || !(fields >> ref.width >> ref.height >> ref.md5))
			continue;
		frames.push_back(ref);
	}
	return frames;
}

std::string hexOf(const uint8_t digest[16])
{
	char hex[33];
	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
	return hex;
}

/// MD5 of the frame's top-left width x height as packed NV12 (the reference's packing). Other
/// formats (10-bit) are converted by libswscale as the ffmpeg CLI's `-pix_fmt nv12` does it
/// (its default scaler flags, bicubic; no scaling, so only the depth reduction and its dither).
std::string nv12Md5(const AVFrame *f, int width, int height)
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
	AVMD5 *md5 = av_md5_alloc();
	av_md5_init(md5);
	av_md5_update(md5, y.data(), y.size());
	av_md5_update(md5, uv.data(), uv.size());
	uint8_t digest[16];
	av_md5_final(md5, digest);
	av_free(md5);
	return hexOf(digest);
}

struct SoftwareDecode {
	std::vector<std::string> md5s;		///< display order (by packet pts)
	std::vector<std::string> sizes;
	std::vector<unsigned> picturesPerPacket;	///< get_buffer2 calls per send_packet
	std::string error;
};

int countingGetBuffer(AVCodecContext *c, AVFrame *frame, int flags)
{
	(*static_cast<unsigned *>(c->opaque))++;
	return avcodec_default_get_buffer2(c, frame, flags);
}

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
			out.md5s.push_back(nv12Md5(f, w, h));
		av_frame_free(&f);
	}
	av_frame_free(&frame);
	av_packet_free(&pkt);
	avcodec_free_context(&ctx);
	return out;
}

using Rebuild = int (*)(const v4l2emu::ControlReader &, const uint8_t *, size_t,
			ParamSetCache *, std::vector<uint8_t> &, const char **);
/// Changes a job's controls before rebuilding (negative tests).
using Tamper = std::function<void(CapturedJob &)>;

struct Clip {
	std::string file;
	AVCodecID codec;
	Rebuild rebuild;
};

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

template<typename T> T *controlAs(CapturedJob &job, uint32_t id)
{
	auto it = job.controls.find(id);
	if (it == job.controls.end() || it->second.size() < sizeof(T))
		return nullptr;
	return reinterpret_cast<T *>(it->second.data());
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

/// Rebuilds every job of the clip (one state for the stream) and decodes the packets.
SoftwareDecode rebuildAndDecode(const Clip &clip, const std::vector<ReferenceFrame> &reference,
				const Tamper &tamper = {})
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

class RebuildClipTest : public testing::Test {
public:
	explicit RebuildClipTest(Clip clip) : clip_(std::move(clip)) {}
	void TestBody() override
	{
		std::vector<ReferenceFrame> reference = referenceOf(clip_.file);
		ASSERT_FALSE(reference.empty()) << clip_.file << " is not in reference.tsv";
		SoftwareDecode got = rebuildAndDecode(clip_, reference);
		ASSERT_TRUE(got.error.empty()) << got.error;
		for (size_t i = 0; i < got.picturesPerPacket.size(); i++)
			EXPECT_EQ(got.picturesPerPacket[i], 1u)
				<< "packet " << i << " did not start exactly one picture";
		ASSERT_EQ(got.md5s.size(), reference.size()) << "frames out";
		RecordProperty("jobs", std::to_string(got.picturesPerPacket.size()));
		for (size_t i = 0; i < reference.size(); i++)
			EXPECT_EQ(got.md5s[i], reference[i].md5) << "frame " << i << " (" << got.sizes[i]
								  << ")";
	}

private:
	Clip clip_;
};

/// The H.264 and HEVC clips of corpus/streams and of its extra/ directory (clips the VA
/// harnesses do not take: 10-bit, multi-slice HEVC).
std::vector<Clip> clips()
{
	std::vector<Clip> out;
	for (const std::string dir : {"", "extra/"}) {
		std::ifstream in(streamPath(dir + "reference.tsv"));
		std::string line, last;
		while (std::getline(in, line)) {
			std::string file = dir + line.substr(0, line.find('\t'));
			if (line.empty() || line[0] == '#' || file == last)
				continue;
			last = file;
			const std::string base = file.substr(dir.size());
			if (base.rfind("h264_", 0) == 0)
				out.push_back({file, AV_CODEC_ID_H264, v4l2emu::libav::rebuildH264});
			else if (base.rfind("hevc_", 0) == 0)
				out.push_back({file, AV_CODEC_ID_HEVC, v4l2emu::libav::rebuildHevc});
		}
	}
	return out;
}

std::string testName(const std::string &file)
{
	std::string name = file;
	for (char &c : name)
		if (!isalnum(static_cast<unsigned char>(c)))
			c = '_';
	return name;
}

[[maybe_unused]] const bool kRegistered = [] {
	for (const Clip &clip : clips())
		testing::RegisterTest("RebuildClip", testName(clip.file).c_str(), nullptr, nullptr,
				      __FILE__, __LINE__,
				      [clip]() -> testing::Test * { return new RebuildClipTest(clip); });
	return true;
}();

unsigned matching(const SoftwareDecode &got, const std::vector<ReferenceFrame> &reference)
{
	unsigned n = 0;
	for (size_t i = 0; i < got.md5s.size() && i < reference.size(); i++)
		n += got.md5s[i] == reference[i].md5;
	return n;
}

// A flipped entropy_coding_mode_flag: the slices are read as CAVLC, as the hardware would.
TEST(RebuildNegative, H264FlippedEntropyCodingModeBreaksTheFrames)
{
	const Clip clip{"h264_high_cabac_bframes_176x144.mp4", AV_CODEC_ID_H264,
			v4l2emu::libav::rebuildH264};
	std::vector<ReferenceFrame> reference = referenceOf(clip.file);
	ASSERT_FALSE(reference.empty());
	SoftwareDecode good = rebuildAndDecode(clip, reference);
	ASSERT_EQ(matching(good, reference), reference.size()) << "the untampered decode must match";
	SoftwareDecode bad = rebuildAndDecode(clip, reference, [](CapturedJob &job) {
		if (auto *pps = controlAs<struct v4l2_ctrl_h264_pps>(job, V4L2_CID_STATELESS_H264_PPS))
			pps->flags ^= V4L2_H264_PPS_FLAG_ENTROPY_CODING_MODE;
	});
	EXPECT_EQ(matching(bad, reference), 0u);
}

// The scaling matrix is taken from the control: a non-flat matrix where the stream had the
// flat one changes every frame.
TEST(RebuildNegative, H264ScalingMatrixFromTheControl)
{
	const Clip clip{"h264_high_cabac_bframes_176x144.mp4", AV_CODEC_ID_H264,
			v4l2emu::libav::rebuildH264};
	std::vector<ReferenceFrame> reference = referenceOf(clip.file);
	SoftwareDecode bad = rebuildAndDecode(clip, reference, [](CapturedJob &job) {
		auto *pps = controlAs<struct v4l2_ctrl_h264_pps>(job, V4L2_CID_STATELESS_H264_PPS);
		auto *m = controlAs<struct v4l2_ctrl_h264_scaling_matrix>(
			job, V4L2_CID_STATELESS_H264_SCALING_MATRIX);
		if (!pps || !m)
			return;
		pps->flags |= V4L2_H264_PPS_FLAG_SCALING_MATRIX_PRESENT;
		memset(m, 16, sizeof(*m));
		m->scaling_list_4x4[0][0] = 40;	// intra luma DC
	});
	EXPECT_LT(matching(bad, reference), reference.size());
}

// ---- Bit-level helpers ----------------------------------------------------------------------

TEST(RebuildBits, ExpGolombRoundTrips)
{
	std::vector<uint8_t> bytes;
	BitWriter w(bytes);
	const uint32_t ues[] = {0, 1, 2, 3, 7, 8, 254, 255, 65535, 0xfffffffe};
	const int32_t ses[] = {0, 1, -1, 2, -2, 127, -128, 100000, -100000};
	for (uint32_t v : ues)
		w.ue(v);
	for (int32_t v : ses)
		w.se(v);
	w.bits(0x5, 3);
	w.trailingBits();
	BitReader r(bytes.data(), bytes.size());
	for (uint32_t v : ues)
		EXPECT_EQ(r.ue(), v);
	for (int32_t v : ses)
		EXPECT_EQ(r.se(), v);
	EXPECT_EQ(r.bits(3), 0x5u);
	EXPECT_EQ(r.bit(), 1u);
	EXPECT_FALSE(r.overrun());
	EXPECT_EQ(bytes.size() * 8 % 8, 0u);
}

TEST(RebuildBits, UeCodesOfTheStandard)
{
	// H.264 Table 9-2: 0 -> 1, 1 -> 010, 2 -> 011, 3 -> 00100.
	std::vector<uint8_t> bytes;
	BitWriter w(bytes);
	w.ue(0);
	w.ue(1);
	w.ue(2);
	w.ue(3);	// 1 010 011 00100 = 12 bits
	EXPECT_EQ(w.bitCount(), 12u);
	w.alignZero();
	ASSERT_EQ(bytes.size(), 2u);
	EXPECT_EQ(bytes[0], 0xa6);	// 1010 0110
	EXPECT_EQ(bytes[1], 0x40);	// 0100 0000
}

TEST(RebuildBits, EmulationPreventionRoundTrips)
{
	const std::vector<uint8_t> rbsp = {0x67, 0, 0, 0, 0, 0, 1, 0, 0, 2, 0, 0, 3, 0, 0, 4, 0, 0};
	std::vector<uint8_t> nal;
	v4l2emu::libav::appendNal(nal, rbsp);
	const std::vector<uint8_t> expected = {0, 0, 0, 1, 0x67, 0, 0, 3, 0, 0, 3, 0, 1, 0, 0, 3, 2,
					       0, 0, 3, 3, 0, 0, 4, 0, 0, 3};
	EXPECT_EQ(nal, expected);
	std::vector<uint8_t> back;
	std::vector<v4l2emu::libav::NalSpan> spans;
	ASSERT_TRUE(v4l2emu::libav::splitAnnexB(nal.data(), nal.size(), spans));
	ASSERT_EQ(spans.size(), 1u);
	v4l2emu::libav::unescapeNal(spans[0].data, spans[0].size, back);
	EXPECT_EQ(back, rbsp);
}

TEST(RebuildBits, SplitsAnnexB)
{
	const std::vector<uint8_t> buf = {0, 0, 0, 1, 0x65, 0xaa, 0, 0, 1, 0x41, 0xbb, 0, 0, 0, 0, 1,
					  0x41, 0xcc};
	std::vector<v4l2emu::libav::NalSpan> spans;
	ASSERT_TRUE(v4l2emu::libav::splitAnnexB(buf.data(), buf.size(), spans));
	ASSERT_EQ(spans.size(), 3u);
	EXPECT_EQ(spans[0].size, 2u);
	EXPECT_EQ(spans[1].size, 2u);
	EXPECT_EQ(spans[2].size, 2u);
	EXPECT_EQ(spans[2].data[1], 0xcc);
	const std::vector<uint8_t> none = {1, 2, 3};
	EXPECT_FALSE(v4l2emu::libav::splitAnnexB(none.data(), none.size(), spans));
}

} // namespace
} // namespace v4l2va::test

namespace v4l2va::test {
namespace {

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

// HEVC: a flipped sign_data_hiding_enabled_flag changes how every residual is read.
TEST(RebuildNegative, HevcFlippedSignDataHidingBreaksTheFrames)
{
	const Clip clip{"hevc_main_bframes_176x144.mp4", AV_CODEC_ID_HEVC,
			v4l2emu::libav::rebuildHevc};
	std::vector<ReferenceFrame> reference = referenceOf(clip.file);
	ASSERT_FALSE(reference.empty());
	SoftwareDecode bad = rebuildAndDecode(clip, reference, [](CapturedJob &job) {
		if (auto *pps = controlAs<struct v4l2_ctrl_hevc_pps>(job, V4L2_CID_STATELESS_HEVC_PPS))
			pps->flags ^= V4L2_HEVC_PPS_FLAG_SIGN_DATA_HIDING_ENABLED;
	});
	EXPECT_EQ(matching(bad, reference), 0u);
}

// HEVC: the references are the DPB's: a wrong POC in the DPB changes the predicted pictures
// (the explicit RPS names another picture, which is not there).
TEST(RebuildNegative, HevcWrongDpbPocBreaksInterFrames)
{
	const Clip clip{"hevc_main_128x128.mp4", AV_CODEC_ID_HEVC, v4l2emu::libav::rebuildHevc};
	std::vector<ReferenceFrame> reference = referenceOf(clip.file);
	ASSERT_FALSE(reference.empty());
	SoftwareDecode bad = rebuildAndDecode(clip, reference, [](CapturedJob &job) {
		auto *d = controlAs<struct v4l2_ctrl_hevc_decode_params>(
			job, V4L2_CID_STATELESS_HEVC_DECODE_PARAMS);
		if (d && d->num_active_dpb_entries)
			d->dpb[0].pic_order_cnt_val -= 1;
	});
	EXPECT_LT(matching(bad, reference), reference.size());
	EXPECT_GE(matching(bad, reference), 1u) << "the IDR picture has no references";
}

// HEVC: the scaling lists come from the control (the clip uses the default lists).
TEST(RebuildNegative, HevcScalingMatrixFromTheControl)
{
	const Clip clip{"hevc_main_wpp_scaling_176x144.mp4", AV_CODEC_ID_HEVC,
			v4l2emu::libav::rebuildHevc};
	std::vector<ReferenceFrame> reference = referenceOf(clip.file);
	ASSERT_FALSE(reference.empty());
	SoftwareDecode bad = rebuildAndDecode(clip, reference, [](CapturedJob &job) {
		auto *m = controlAs<struct v4l2_ctrl_hevc_scaling_matrix>(
			job, V4L2_CID_STATELESS_HEVC_SCALING_MATRIX);
		if (m)
			for (auto &list : m->scaling_list_8x8)
				list[0] = 60;
	});
	EXPECT_LT(matching(bad, reference), reference.size());
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
// same as from Annex B buffers.
TEST(RebuildModes, H264WithoutStartCodes)
{
	std::vector<CapturedJob> jobs = jobsOf("h264_cbaseline_cavlc_176x144.mp4");
	ASSERT_FALSE(jobs.empty());
	std::vector<CapturedJob> bare = jobs;
	for (CapturedJob &job : bare) {
		std::vector<std::string> nals = nalsOf(job.bitstream);
		ASSERT_EQ(nals.size(), 1u);
		job.bitstream = nals[0];
		setMenu(job, V4L2_CID_STATELESS_H264_START_CODE, V4L2_STATELESS_H264_START_CODE_NONE);
	}
	EXPECT_EQ(rebuildAll(v4l2emu::libav::rebuildH264, bare),
		  rebuildAll(v4l2emu::libav::rebuildH264, jobs));
}

// Slice-based decoding (a job per slice, as cedrus takes them): the slice packets of a
// picture, back to back, are the frame-based packet. (They must reach FFmpeg as one packet:
// FFmpeg 5.1's H.264 decoder, even with AV_CODEC_FLAG2_CHUNKS, conceals the slices of a
// picture that come in later packets.)
TEST(RebuildModes, H264SliceBasedJobsGiveTheFramePackets)
{
	std::vector<CapturedJob> jobs = jobsOf("h264_main_2slices_176x144.mkv");
	ASSERT_FALSE(jobs.empty());
	std::vector<CapturedJob> slices;
	std::vector<size_t> firstSlice;
	for (const CapturedJob &job : jobs) {
		firstSlice.push_back(slices.size());
		std::vector<std::string> nals = nalsOf(job.bitstream);
		ASSERT_EQ(nals.size(), 2u);
		for (const std::string &nal : nals) {
			CapturedJob s = job;
			s.bitstream = nal;
			setMenu(s, V4L2_CID_STATELESS_H264_DECODE_MODE,
				V4L2_STATELESS_H264_DECODE_MODE_SLICE_BASED);
			setMenu(s, V4L2_CID_STATELESS_H264_START_CODE,
				V4L2_STATELESS_H264_START_CODE_NONE);
			slices.push_back(s);
		}
	}
	std::vector<std::vector<uint8_t>> frames = rebuildAll(v4l2emu::libav::rebuildH264, jobs);
	std::vector<std::vector<uint8_t>> parts = rebuildAll(v4l2emu::libav::rebuildH264, slices);
	for (size_t i = 0; i < jobs.size(); i++) {
		std::vector<uint8_t> joined;
		size_t end = i + 1 < jobs.size() ? firstSlice[i + 1] : parts.size();
		for (size_t k = firstSlice[i]; k < end; k++)
			joined.insert(joined.end(), parts[k].begin(), parts[k].end());
		EXPECT_EQ(joined, frames[i]) << "picture " << i;
	}
}

/// The job with its slice headers using an SPS short-term RPS instead of their explicit one:
/// st_ref_pic_set() (DECODE_PARAMS short_term_ref_pic_set_size bits) replaced by
/// short_term_ref_pic_set_idx of the SPS's numSets sets, the header end found from
/// SLICE_PARAMS data_byte_offset, everything else kept. False if a slice does not qualify
/// (the first slice segment of a non-IDR picture only).
bool useSpsRps(CapturedJob &job, unsigned numSets, unsigned index)
{
	auto *sps = controlAs<struct v4l2_ctrl_hevc_sps>(job, V4L2_CID_STATELESS_HEVC_SPS);
	auto *pps = controlAs<struct v4l2_ctrl_hevc_pps>(job, V4L2_CID_STATELESS_HEVC_PPS);
	auto *d = controlAs<struct v4l2_ctrl_hevc_decode_params>(
		job, V4L2_CID_STATELESS_HEVC_DECODE_PARAMS);
	auto *sp = controlAs<struct v4l2_ctrl_hevc_slice_params>(
		job, V4L2_CID_STATELESS_HEVC_SLICE_PARAMS);
	std::vector<std::string> nals = nalsOf(job.bitstream);
	if (!sps || !pps || !d || !sp || nals.size() != 1 || sps->num_short_term_ref_pic_sets)
		return false;
	std::vector<uint8_t> rbsp;
	const auto *nal = reinterpret_cast<const uint8_t *>(nals[0].data());
	v4l2emu::libav::unescapeNal(nal, nals[0].size(), rbsp);
	const unsigned type = (rbsp[0] >> 1) & 0x3f;
	// data_byte_offset counts from the slice's start code (as long as the buffer has it).
	const size_t startCode = job.bitstream.size() - nals[0].size();
	if (type == 19 || type == 20 || sp->data_byte_offset <= startCode)
		return false;
	const size_t headerBytes = sp->data_byte_offset - startCode;
	BitReader r(rbsp.data(), rbsp.size());
	r.skip(16);
	if (!r.flag())	// first_slice_segment_in_pic_flag
		return false;
	if (type >= 16 && type <= 23)
		r.skip(1);
	r.ue();		// slice_pic_parameter_set_id
	r.skip(pps->num_extra_slice_header_bits);
	r.ue();		// slice_type
	if (pps->flags & V4L2_HEVC_PPS_FLAG_OUTPUT_FLAG_PRESENT)
		r.skip(1);
	r.skip(sps->log2_max_pic_order_cnt_lsb_minus4 + 4u);
	const size_t flagPos = r.position();
	if (r.flag())	// already an SPS set
		return false;
	const size_t rpsEnd = flagPos + 1 + d->short_term_ref_pic_set_size;
	// The header's last one bit is alignment_bit_equal_to_one.
	size_t alignPos = headerBytes * 8;
	while (alignPos > rpsEnd && !((rbsp[(alignPos - 1) / 8] >> (7 - (alignPos - 1) % 8)) & 1))
		alignPos--;
	if (alignPos <= rpsEnd)
		return false;
	alignPos--;

	std::vector<uint8_t> out;
	BitWriter w2(out);
	BitReader c2(rbsp.data(), rbsp.size());
	for (size_t i = 0; i < flagPos; i++)
		w2.bit(c2.bit());
	w2.bit(true);	// short_term_ref_pic_set_sps_flag
	unsigned idxBits = 0;
	while ((1u << idxBits) < numSets)
		idxBits++;
	w2.bits(index, idxBits);
	c2.skip(rpsEnd - flagPos);
	for (size_t i = rpsEnd; i < alignPos; i++)
		w2.bit(c2.bit());
	w2.trailingBits();
	out.insert(out.end(), rbsp.begin() + static_cast<ptrdiff_t>(headerBytes), rbsp.end());
	std::vector<uint8_t> escaped;
	v4l2emu::libav::appendNal(escaped, out);
	job.bitstream.assign(escaped.begin(), escaped.end());
	sps->num_short_term_ref_pic_sets = static_cast<uint8_t>(numSets);
	d->short_term_ref_pic_set_size = 0;	// as the driver reports an SPS set
	return true;
}

// A slice header that picks one of the SPS's short-term RPS (which the SPS control does not
// carry) is rewritten to the same explicit RPS: the packets equal those of the stream that
// spelled the RPS out.
TEST(RebuildModes, HevcSpsRpsSliceHeadersAreMadeExplicit)
{
	for (const char *file : {"hevc_main_bframes_176x144.mp4", "hevc_main_wpp_scaling_176x144.mp4"}) {
		std::vector<CapturedJob> jobs = jobsOf(file);
		ASSERT_FALSE(jobs.empty());
		std::vector<CapturedJob> spsRps = jobs;
		unsigned rewritten = 0;
		for (size_t i = 0; i < spsRps.size(); i++)
			rewritten += useSpsRps(spsRps[i], 5, static_cast<unsigned>(i % 5));
		EXPECT_GE(rewritten, jobs.size() - 1) << file << ": every non-IDR picture";
		auto expected = rebuildAll(v4l2emu::libav::rebuildHevc, jobs);
		auto got = rebuildAll(v4l2emu::libav::rebuildHevc, spsRps);
		ASSERT_EQ(got.size(), expected.size());
		for (size_t i = 0; i < got.size(); i++) {
			// The SPS written never has RPS candidates, so even it is the same.
			EXPECT_EQ(got[i], expected[i]) << file << " job " << i;
		}
	}
}

// An explicit RPS that does not predict from SPS sets is parsed when the controls do not
// size it (short_term_ref_pic_set_size 0).
TEST(RebuildModes, HevcExplicitRpsWithoutItsSize)
{
	std::vector<CapturedJob> jobs = jobsOf("hevc_main_bframes_176x144.mp4");
	ASSERT_FALSE(jobs.empty());
	std::vector<CapturedJob> unsized = jobs;
	for (CapturedJob &job : unsized)
		if (auto *d = controlAs<struct v4l2_ctrl_hevc_decode_params>(
			    job, V4L2_CID_STATELESS_HEVC_DECODE_PARAMS))
			d->short_term_ref_pic_set_size = 0;
	EXPECT_EQ(rebuildAll(v4l2emu::libav::rebuildHevc, unsized),
		  rebuildAll(v4l2emu::libav::rebuildHevc, jobs));
}

// The registered entries (through the engine's interface) give the same packets.
TEST(RebuildRegistry, EntriesAreRegisteredAndRebuild)
{
	const v4l2emu::libav::Rebuilder *h264 = v4l2emu::libav::findRebuilder("h264");
	const v4l2emu::libav::Rebuilder *hevc = v4l2emu::libav::findRebuilder("hevc");
	ASSERT_NE(h264, nullptr);
	ASSERT_NE(hevc, nullptr);
	EXPECT_EQ(h264->avCodecId, AV_CODEC_ID_H264);
	EXPECT_EQ(hevc->avCodecId, AV_CODEC_ID_HEVC);
	for (const auto &[entry, file, rebuild] :
	     {std::tuple{h264, "h264_high_cabac_bframes_176x144.mp4", Rebuild(v4l2emu::libav::rebuildH264)},
	      std::tuple{hevc, "hevc_main_bframes_176x144.mp4", Rebuild(v4l2emu::libav::rebuildHevc)}}) {
		const std::vector<CapturedJob> &jobs = jobsOf(file);
		ASSERT_FALSE(jobs.empty());
		auto expected = rebuildAll(rebuild, jobs);
		std::unique_ptr<v4l2emu::libav::RebuildState> state = entry->createState();
		std::vector<uint8_t> packet;
		for (size_t i = 0; i < jobs.size(); i++) {
			CapturedControls controls(jobs[i].controls);
			v4l2emu::DecodeJob job;
			job.controls = &controls;
			job.controlsValid = true;
			job.bitstream = reinterpret_cast<const uint8_t *>(jobs[i].bitstream.data());
			job.bitstreamSize = jobs[i].bitstream.size();
			packet.clear();
			const char *why = "";
			ASSERT_EQ(entry->rebuild(state.get(), job, packet, &why), 0) << why;
			EXPECT_EQ(packet, expected[i]) << file << " job " << i;
		}
	}
}

// Inputs that cannot be a bitstream fail with a reason, never crash.
TEST(RebuildErrors, BadInputsAreRefused)
{
	std::vector<CapturedJob> jobs = jobsOf("h264_high_cabac_bframes_176x144.mp4");
	ASSERT_FALSE(jobs.empty());
	CapturedJob job = jobs[0];
	std::vector<uint8_t> packet;
	const char *why = "";
	{
		CapturedJob noSps = job;
		noSps.controls.erase(V4L2_CID_STATELESS_H264_SPS);
		CapturedControls c(noSps.controls);
		EXPECT_EQ(v4l2emu::libav::rebuildH264(c, nullptr, 0, nullptr, packet, &why), -EINVAL);
		EXPECT_STRNE(why, "");
	}
	{
		CapturedControls c(job.controls);
		const uint8_t junk[] = {1, 2, 3, 4, 5};
		why = "";
		EXPECT_EQ(v4l2emu::libav::rebuildH264(c, junk, sizeof(junk), nullptr, packet, &why),
			  -EINVAL);
		EXPECT_STRNE(why, "");
		// Truncated slices: every prefix of the first NAL unit either rebuilds or fails cleanly.
		for (size_t n = 0; n < std::min<size_t>(job.bitstream.size(), 64); n++) {
			packet.clear();
			v4l2emu::libav::rebuildH264(
				c, reinterpret_cast<const uint8_t *>(job.bitstream.data()), n, nullptr,
				packet, &why);
		}
	}
	std::vector<CapturedJob> hevc = jobsOf("hevc_main_bframes_176x144.mp4");
	ASSERT_GE(hevc.size(), 2u);
	CapturedControls c(hevc[1].controls);
	for (size_t n = 0; n < hevc[1].bitstream.size(); n++) {
		packet.clear();
		int ret = v4l2emu::libav::rebuildHevc(
			c, reinterpret_cast<const uint8_t *>(hevc[1].bitstream.data()), n, nullptr,
			packet, &why);
		EXPECT_TRUE(ret == 0 || ret == -EINVAL);
	}
}

// Controls that cannot be a bitstream are refused with a reason.
TEST(RebuildErrors, InexpressibleControlsAreRefused)
{
	std::vector<CapturedJob> h264 = jobsOf("h264_high_cabac_bframes_176x144.mp4");
	std::vector<CapturedJob> hevc = jobsOf("hevc_main_bframes_176x144.mp4");
	ASSERT_FALSE(h264.empty());
	ASSERT_FALSE(hevc.empty());
	std::vector<uint8_t> packet;
	const char *why = "";
	CapturedJob fmo = h264[0];
	controlAs<struct v4l2_ctrl_h264_pps>(fmo, V4L2_CID_STATELESS_H264_PPS)->num_slice_groups_minus1 = 1;
	CapturedControls fmoControls(fmo.controls);
	EXPECT_EQ(v4l2emu::libav::rebuildH264(fmoControls,
					      reinterpret_cast<const uint8_t *>(fmo.bitstream.data()),
					      fmo.bitstream.size(), nullptr, packet, &why),
		  -EINVAL);
	EXPECT_NE(std::string(why).find("FMO"), std::string::npos) << why;
	CapturedJob ctb = hevc[1];
	controlAs<struct v4l2_ctrl_hevc_sps>(ctb, V4L2_CID_STATELESS_HEVC_SPS)
		->log2_diff_max_min_luma_coding_block_size = 200;
	CapturedControls ctbControls(ctb.controls);
	packet.clear();
	EXPECT_EQ(v4l2emu::libav::rebuildHevc(ctbControls,
					      reinterpret_cast<const uint8_t *>(ctb.bitstream.data()),
					      ctb.bitstream.size(), nullptr, packet, &why),
		  -EINVAL);
}

// Random control bytes (as userspace may set them: the codec validation leaves most fields
// alone) rebuild or fail cleanly; under ASan/UBSan this is the memory-safety check.
TEST(RebuildErrors, RandomControlBytesNeverCrash)
{
	uint64_t seed = 0x9e3779b97f4a7c15u;
	auto next = [&seed] {
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		return seed;
	};
	for (const auto &[file, rebuild] :
	     {std::pair{"h264_main_2slices_176x144.mkv", Rebuild(v4l2emu::libav::rebuildH264)},
	      std::pair{"hevc_main_wpp_scaling_176x144.mp4", Rebuild(v4l2emu::libav::rebuildHevc)}}) {
		const std::vector<CapturedJob> &jobs = jobsOf(file);
		ASSERT_FALSE(jobs.empty());
		for (unsigned round = 0; round < 300; round++) {
			CapturedJob job = jobs[round % jobs.size()];
			for (auto &[id, bytes] : job.controls)
				for (unsigned k = 0; k < 3 && !bytes.empty(); k++)
					bytes[next() % bytes.size()] = static_cast<char>(next());
			CapturedControls controls(job.controls);
			std::vector<uint8_t> packet;
			const char *why = "";
			int ret = rebuild(controls, reinterpret_cast<const uint8_t *>(job.bitstream.data()),
					  job.bitstream.size(), nullptr, packet, &why);
			EXPECT_TRUE(ret == 0 || (ret == -EINVAL && *why)) << file << " round " << round;
		}
	}
}

} // namespace
} // namespace v4l2va::test
