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

#include <gtest/gtest.h>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/md5.h>
#include <libavutil/mem.h>
#include <libavutil/pixdesc.h>
}

#include <algorithm>
#include <cstring>
#include <fstream>
#include <functional>
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

/// reference.tsv: stream, frame, pts, width, height, nv12_md5 (make_streams.sh).
std::vector<ReferenceFrame> referenceOf(const std::string &file)
{
	std::ifstream in(streamPath("reference.tsv"));
	std::vector<ReferenceFrame> frames;
	std::string line;
	while (std::getline(in, line)) {
		std::istringstream fields(line);
		std::string name, frame, pts;
		ReferenceFrame ref;
		if (line.empty() || line[0] == '#' || !std::getline(fields, name, '\t') ||
		    name != file || !std::getline(fields, frame, '\t') ||
		    !std::getline(fields, pts, '\t') || !(fields >> ref.width >> ref.height >> ref.md5))
			continue;
		frames.push_back(ref);
	}
	return frames;
}

/// MD5 of the frame's top-left width x height as packed NV12 (the reference's packing).
std::string nv12Md5(const AVFrame *f, int width, int height)
{
	const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(static_cast<AVPixelFormat>(f->format));
	const bool highDepth = desc && desc->comp[0].depth > 8;
	AVMD5 *md5 = av_md5_alloc();
	av_md5_init(md5);
	std::vector<uint8_t> row;
	// 10-bit output reduced to 8 bits as -pix_fmt nv12 would (swscale truncates >> 2 with
	// its dither off for bitexact); only used for streams the reference made the same way.
	auto sample = [&](int plane, int x, int y) -> uint8_t {
		const uint8_t *line = f->data[plane] + static_cast<ptrdiff_t>(y) * f->linesize[plane];
		if (!highDepth)
			return line[x];
		uint16_t v;
		memcpy(&v, line + 2 * x, 2);
		return static_cast<uint8_t>(v >> (desc->comp[0].depth - 8));
	};
	row.resize(width);
	for (int y = 0; y < height; y++) {
		for (int x = 0; x < width; x++)
			row[x] = sample(0, x, y);
		av_md5_update(md5, row.data(), row.size());
	}
	const int cw = (width + 1) / 2, ch = (height + 1) / 2;
	row.resize(2 * cw);
	for (int y = 0; y < ch; y++) {
		for (int x = 0; x < cw; x++) {
			row[2 * x] = sample(1, x, y);
			row[2 * x + 1] = sample(2, x, y);
		}
		av_md5_update(md5, row.data(), row.size());
	}
	uint8_t digest[16];
	av_md5_final(md5, digest);
	av_free(md5);
	char hex[33];
	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
	return hex;
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

/// Rebuilds every job of the clip (one state for the stream) and decodes the packets.
SoftwareDecode rebuildAndDecode(const Clip &clip, const std::vector<ReferenceFrame> &reference,
				const Tamper &tamper = {})
{
	std::vector<CapturedJob> jobs = jobsOf(clip.file);
	EXPECT_FALSE(jobs.empty()) << clip.file << ": no jobs captured";
	ParamSetCache cache;
	std::vector<std::vector<uint8_t>> packets;
	std::vector<int64_t> pts;
	int64_t epoch = 0;
	for (size_t i = 0; i < jobs.size(); i++) {
		// Display order: POC within each IDR period (DECODE_PARAMS).
		int32_t poc = 0;
		bool idr = false;
		if (auto *d = controlAs<const struct v4l2_ctrl_h264_decode_params>(
			    jobs[i], V4L2_CID_STATELESS_H264_DECODE_PARAMS)) {
			poc = std::min(d->top_field_order_cnt, d->bottom_field_order_cnt);
			idr = d->flags & V4L2_H264_DECODE_PARAM_FLAG_IDR_PIC;
		} else if (auto *e = controlAs<const struct v4l2_ctrl_hevc_decode_params>(
				   jobs[i], V4L2_CID_STATELESS_HEVC_DECODE_PARAMS)) {
			poc = e->pic_order_cnt_val;
			idr = e->flags & V4L2_HEVC_DECODE_PARAM_FLAG_IDR_PIC;
		}
		epoch += idr;
		pts.push_back(epoch * (int64_t{1} << 32) + poc);
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
		std::ofstream out(std::string(dump) + "/" + clip.file +
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

std::vector<Clip> clips()
{
	std::vector<Clip> out;
	std::ifstream in(streamPath("reference.tsv"));
	std::string line, last;
	while (std::getline(in, line)) {
		std::string file = line.substr(0, line.find('\t'));
		if (line.empty() || line[0] == '#' || file == last)
			continue;
		last = file;
		if (file.rfind("h264_", 0) == 0)
			out.push_back({file, AV_CODEC_ID_H264, v4l2emu::libav::rebuildH264});
		else if (file.rfind("hevc_", 0) == 0)
			out.push_back({file, AV_CODEC_ID_HEVC, v4l2emu::libav::rebuildHevc});
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
