// SPDX-License-Identifier: MIT
// The H.264 and HEVC rebuilders of the libavcodec engine (emulator/src/engine/libav/) proven
// on real streams, independently of the engine: each corpus clip is decoded through our VA
// driver on the emulated fresnel board with a native trace, every job's controls and
// bitstream are recovered from the trace (job_capture.h), rebuilt into a packet, and the
// packets are decoded by FFmpeg's software decoder; every output frame must have the MD5 of
// reference.tsv (FFmpeg's own software decode of the clip). Each packet must start exactly one
// picture (get_buffer2 once per send_packet), which is what lets the engine take the picture
// as soon as the packet is sent. Wrong controls must make the frames differ.
#include "rebuild_test_support.h"

#include <gtest/gtest.h>

#include <cctype>
#include <cstring>

namespace v4l2va::test {
namespace {

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
		for (const StreamReference &stream : readStreamReferences(dir)) {
			const std::string base = stream.file.substr(dir.size());
			if (base.rfind("h264_", 0) == 0)
				out.push_back({stream.file, AV_CODEC_ID_H264, v4l2emu::libav::rebuildH264});
			else if (base.rfind("hevc_", 0) == 0)
				out.push_back({stream.file, AV_CODEC_ID_HEVC, v4l2emu::libav::rebuildHevc});
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

} // namespace
} // namespace v4l2va::test
