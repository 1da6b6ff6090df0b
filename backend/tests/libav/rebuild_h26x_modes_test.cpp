// SPDX-License-Identifier: MIT
// The rebuilders' bit-level helpers, and the decode modes and header forms the corpus clips
// do not have (no start codes, slice-based jobs, slice headers using SPS RPS sets, unsized
// RPS), parameter sets repeated on change, queued parameter sets ignored.
#include "rebuild_test_support.h"

#include "engine/libav/bit_writer.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

namespace v4l2va::test {
namespace {

using v4l2emu::libav::BitReader;
using v4l2emu::libav::BitWriter;
using v4l2emu::libav::ParamSetCache;

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

} // namespace
} // namespace v4l2va::test

namespace v4l2va::test {
namespace {

/// nal_unit_type of each H.264 NAL unit of a packet.
std::vector<unsigned> h264NalTypes(const std::vector<uint8_t> &packet)
{
	std::vector<unsigned> types;
	for (const std::string &nal : nalsOf(std::string(packet.begin(), packet.end())))
		types.push_back(static_cast<uint8_t>(nal[0]) & 0x1f);
	return types;
}

// Parameter sets come once, again when they change (the PPS with its SPS), and a refused job
// leaves the cache as it was.
TEST(RebuildModes, H264ParameterSetsRepeatOnlyOnChange)
{
	std::vector<CapturedJob> jobs = jobsOf("h264_high_cabac_bframes_176x144.mp4");
	ASSERT_GE(jobs.size(), 3u);
	ParamSetCache cache;
	auto rebuild = [&cache](CapturedJob &job, int *ret = nullptr) {
		CapturedControls controls(job.controls);
		std::vector<uint8_t> packet;
		const char *why = "";
		int r = v4l2emu::libav::rebuildH264(controls,
						    reinterpret_cast<const uint8_t *>(job.bitstream.data()),
						    job.bitstream.size(), &cache, packet, &why);
		if (ret)
			*ret = r;
		return h264NalTypes(packet);
	};
	EXPECT_EQ(rebuild(jobs[0]), (std::vector<unsigned>{7, 8, 5}));
	EXPECT_EQ(rebuild(jobs[1]), (std::vector<unsigned>{1}));
	CapturedJob levelChange = jobs[2];
	controlAs<struct v4l2_ctrl_h264_sps>(levelChange, V4L2_CID_STATELESS_H264_SPS)->level_idc = 40;
	CapturedJob refused = levelChange;
	controlAs<struct v4l2_ctrl_h264_pps>(refused, V4L2_CID_STATELESS_H264_PPS)
		->num_slice_groups_minus1 = 2;
	int ret = 0;
	EXPECT_TRUE(rebuild(refused, &ret).empty());
	EXPECT_EQ(ret, -EINVAL);
	EXPECT_EQ(rebuild(levelChange), (std::vector<unsigned>{7, 8, 1}));
	CapturedJob ppsChange = jobs[2];
	controlAs<struct v4l2_ctrl_h264_sps>(ppsChange, V4L2_CID_STATELESS_H264_SPS)->level_idc = 40;
	controlAs<struct v4l2_ctrl_h264_pps>(ppsChange, V4L2_CID_STATELESS_H264_PPS)
		->pic_init_qp_minus26 += 1;
	EXPECT_EQ(rebuild(ppsChange), (std::vector<unsigned>{8, 1}));
}

} // namespace
} // namespace v4l2va::test

namespace v4l2va::test {
namespace {

// Parameter sets queued with the slices do not override the controls' (the hardware does not
// read them): a PPS saying CAVLC before the CABAC slices changes nothing.
TEST(RebuildModes, QueuedParameterSetsAreIgnored)
{
	const Clip clip{"h264_high_cabac_bframes_176x144.mp4", AV_CODEC_ID_H264,
			v4l2emu::libav::rebuildH264};
	std::vector<ReferenceFrame> reference = referenceOf(clip.file);
	ASSERT_FALSE(reference.empty());
	SoftwareDecode got = rebuildAndDecode(clip, reference, [](CapturedJob &job) {
		auto *sps = controlAs<struct v4l2_ctrl_h264_sps>(job, V4L2_CID_STATELESS_H264_SPS);
		auto *pps = controlAs<struct v4l2_ctrl_h264_pps>(job, V4L2_CID_STATELESS_H264_PPS);
		if (!sps || !pps)
			return;
		struct v4l2_ctrl_h264_pps wrong = *pps;
		wrong.flags ^= V4L2_H264_PPS_FLAG_ENTROPY_CODING_MODE;
		std::vector<uint8_t> rbsp, injected;
		const char *why = "";
		v4l2emu::libav::writeH264Sps(*sps, rbsp, &why);
		v4l2emu::libav::appendNal(injected, rbsp);
		v4l2emu::libav::writeH264Pps(*sps, wrong, nullptr, pps->pic_parameter_set_id, rbsp,
					     &why);
		v4l2emu::libav::appendNal(injected, rbsp);
		job.bitstream.insert(0, std::string(injected.begin(), injected.end()));
	});
	ASSERT_TRUE(got.error.empty()) << got.error;
	EXPECT_EQ(matching(got, reference), reference.size());
}

} // namespace
} // namespace v4l2va::test
