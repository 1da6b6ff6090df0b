// SPDX-License-Identifier: MIT
// The rebuilders' robustness and contracts: the registered entries, inputs that cannot be a
// bitstream (refused with a reason, never a crash), parameter sets FFmpeg's own parser must
// take (tiles, Main 10), and no allocation in steady state.
#include "rebuild_test_support.h"

#include "engine/libav/bit_writer.h"
#include "engine/libav/rebuild.h"

#include <gtest/gtest.h>

extern "C" {
#include <libavutil/mem.h>
}

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <tuple>
#include <utility>

namespace v4l2va::test {
namespace {

using v4l2emu::libav::ParamSetCache;

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

namespace v4l2va::test {
namespace {

/// Opens FFmpeg's HEVC decoder on the parameter sets written from the job's controls as
/// extradata, failing on any error in them (AV_EF_EXPLODE).
bool hevcDecoderTakesParameterSets(CapturedJob &job, std::string *error,
				   AVPixelFormat *format = nullptr, int *profile = nullptr)
{
	auto *sps = controlAs<struct v4l2_ctrl_hevc_sps>(job, V4L2_CID_STATELESS_HEVC_SPS);
	auto *pps = controlAs<struct v4l2_ctrl_hevc_pps>(job, V4L2_CID_STATELESS_HEVC_PPS);
	if (!sps || !pps) {
		*error = "no SPS/PPS";
		return false;
	}
	std::vector<uint8_t> extradata, rbsp;
	const char *why = "";
	if (v4l2emu::libav::writeHevcVps(*sps, rbsp, &why) ||
	    (v4l2emu::libav::appendNal(extradata, rbsp), false) ||
	    v4l2emu::libav::writeHevcSps(*sps, nullptr, rbsp, &why) ||
	    (v4l2emu::libav::appendNal(extradata, rbsp), false) ||
	    v4l2emu::libav::writeHevcPps(*sps, *pps, pps->pic_parameter_set_id, rbsp, &why)) {
		*error = why;
		return false;
	}
	v4l2emu::libav::appendNal(extradata, rbsp);
	const AVCodec *codec = avcodec_find_decoder(AV_CODEC_ID_HEVC);
	AVCodecContext *ctx = avcodec_alloc_context3(codec);
	ctx->extradata = static_cast<uint8_t *>(
		av_mallocz(extradata.size() + AV_INPUT_BUFFER_PADDING_SIZE));
	memcpy(ctx->extradata, extradata.data(), extradata.size());
	ctx->extradata_size = static_cast<int>(extradata.size());
	ctx->err_recognition = AV_EF_EXPLODE;
	int ret = avcodec_open2(ctx, codec, nullptr);
	const bool ok = ret >= 0 && ctx->width == sps->pic_width_in_luma_samples &&
			ctx->height == sps->pic_height_in_luma_samples;
	if (format)
		*format = ctx->pix_fmt;
	if (profile)
		*profile = ctx->profile;
	if (!ok)
		*error = "avcodec_open2: " + std::to_string(ret) + ", " + std::to_string(ctx->width) +
			 "x" + std::to_string(ctx->height);
	avcodec_free_context(&ctx);
	return ok;
}

// No encoder at hand makes tiles; the PPS tile syntax is checked by FFmpeg's own parser: good
// explicit and uniform layouts are taken, columns wider than the picture refused.
TEST(RebuildParameterSets, HevcTilesAsFfmpegParsesThem)
{
	std::vector<CapturedJob> jobs = jobsOf("hevc_main_bframes_176x144.mp4");
	ASSERT_FALSE(jobs.empty());
	std::string error;
	CapturedJob plain = jobs[0];
	EXPECT_TRUE(hevcDecoderTakesParameterSets(plain, &error)) << error;

	// 176x144 in 64x64 CTBs: 3 x 3. Explicit: columns 1 + 2, rows 2 + 1.
	CapturedJob tiles = jobs[0];
	auto *pps = controlAs<struct v4l2_ctrl_hevc_pps>(tiles, V4L2_CID_STATELESS_HEVC_PPS);
	pps->flags |= V4L2_HEVC_PPS_FLAG_TILES_ENABLED |
		      V4L2_HEVC_PPS_FLAG_LOOP_FILTER_ACROSS_TILES_ENABLED;
	pps->num_tile_columns_minus1 = 1;
	pps->num_tile_rows_minus1 = 1;
	pps->column_width_minus1[0] = 0;
	pps->row_height_minus1[0] = 1;
	EXPECT_TRUE(hevcDecoderTakesParameterSets(tiles, &error)) << error;

	CapturedJob uniform = tiles;
	controlAs<struct v4l2_ctrl_hevc_pps>(uniform, V4L2_CID_STATELESS_HEVC_PPS)->flags |=
		V4L2_HEVC_PPS_FLAG_UNIFORM_SPACING;
	EXPECT_TRUE(hevcDecoderTakesParameterSets(uniform, &error)) << error;

	CapturedJob tooWide = tiles;
	controlAs<struct v4l2_ctrl_hevc_pps>(tooWide, V4L2_CID_STATELESS_HEVC_PPS)
		->column_width_minus1[0] = 5;
	EXPECT_FALSE(hevcDecoderTakesParameterSets(tooWide, &error));
}

// Main 10 parameter sets give FFmpeg a 10-bit Main 10 stream.
TEST(RebuildParameterSets, HevcMain10)
{
	std::vector<CapturedJob> jobs = jobsOf("extra/hevc_main10_176x144.mp4");
	ASSERT_FALSE(jobs.empty());
	auto *sps = controlAs<struct v4l2_ctrl_hevc_sps>(jobs[0], V4L2_CID_STATELESS_HEVC_SPS);
	ASSERT_NE(sps, nullptr);
	EXPECT_EQ(sps->bit_depth_luma_minus8, 2);
	std::string error;
	AVPixelFormat format = AV_PIX_FMT_NONE;
	int profile = 0;
	EXPECT_TRUE(hevcDecoderTakesParameterSets(jobs[0], &error, &format, &profile)) << error;
	EXPECT_EQ(format, AV_PIX_FMT_YUV420P10LE);
	EXPECT_EQ(profile, FF_PROFILE_HEVC_MAIN_10);
}

} // namespace
} // namespace v4l2va::test

// Allocations counted while gCounting is set (the replaced global operator new of this test
// executable; everything else allocates as usual). Not under sanitizers, whose runtimes own
// the allocator (as backend/bench/alloc_counter.cpp).
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define REBUILD_COUNTS_ALLOCATIONS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
	__has_feature(memory_sanitizer)
#define REBUILD_COUNTS_ALLOCATIONS 0
#endif
#endif
#ifndef REBUILD_COUNTS_ALLOCATIONS
#define REBUILD_COUNTS_ALLOCATIONS 1
#endif

namespace {
std::atomic<bool> gCounting{false};
std::atomic<size_t> gAllocations{0};
} // namespace

#if REBUILD_COUNTS_ALLOCATIONS
// noinline: inlined into callers, GCC pairs the malloc with sized deletes as mismatched.
__attribute__((noinline)) void *operator new(size_t size)
{
	if (gCounting.load(std::memory_order_relaxed))
		gAllocations.fetch_add(1, std::memory_order_relaxed);
	if (void *p = malloc(size ? size : 1))
		return p;
	throw std::bad_alloc();
}
__attribute__((noinline)) void *operator new(size_t size, const std::nothrow_t &) noexcept
{
	if (gCounting.load(std::memory_order_relaxed))
		gAllocations.fetch_add(1, std::memory_order_relaxed);
	return malloc(size ? size : 1);
}
__attribute__((noinline)) void operator delete(void *p) noexcept { free(p); }
__attribute__((noinline)) void operator delete(void *p, size_t) noexcept { free(p); }
__attribute__((noinline)) void operator delete(void *p, const std::nothrow_t &) noexcept { free(p); }
#endif

namespace v4l2va::test {
namespace {

// The engine must not allocate in steady state: once a stream's jobs have been rebuilt, doing
// them again (same cache, same packet buffer) allocates nothing.
TEST(RebuildAllocations, SteadyStateJobsAllocateNothing)
{
	if (!REBUILD_COUNTS_ALLOCATIONS)
		GTEST_SKIP() << "allocations are not counted under sanitizers";
	// The counter counts.
	gAllocations = 0;
	gCounting = true;
	::operator delete(::operator new(16));	// a call, which unlike new-expressions is not elided
	gCounting = false;
	ASSERT_EQ(gAllocations.load(), 1u);
	for (const auto &[file, rebuild] :
	     {std::pair{"h264_main_2slices_176x144.mkv", Rebuild(v4l2emu::libav::rebuildH264)},
	      std::pair{"hevc_main_wpp_scaling_176x144.mp4", Rebuild(v4l2emu::libav::rebuildHevc)}}) {
		const std::vector<CapturedJob> &jobs = jobsOf(file);
		ASSERT_FALSE(jobs.empty());
		std::vector<CapturedControls> controls;
		controls.reserve(jobs.size());
		for (const CapturedJob &job : jobs)
			controls.emplace_back(job.controls);
		ParamSetCache cache;
		std::vector<uint8_t> packet;
		int failures = 0;
		for (int pass = 0; pass < 2; pass++) {
			gAllocations = 0;
			gCounting = pass == 1;
			for (size_t i = 0; i < jobs.size(); i++) {
				packet.clear();
				const char *why = "";
				failures += rebuild(controls[i],
						    reinterpret_cast<const uint8_t *>(jobs[i].bitstream.data()),
						    jobs[i].bitstream.size(), &cache, packet, &why) != 0;
			}
			gCounting = false;
		}
		EXPECT_EQ(failures, 0) << file;
		EXPECT_EQ(gAllocations.load(), 0u) << file;
	}
}

} // namespace
} // namespace v4l2va::test
