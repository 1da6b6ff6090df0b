// SPDX-License-Identifier: MIT
// Debian's ffmpeg (5.1) decodes every corpus clip through libavcodec's VAAPI hwaccel, our VA
// driver and the emulated fresnel board (preload), in three ways:
//   hwdownload: -hwaccel vaapi -hwaccel_device /dev/dri/renderD128 -hwaccel_output_format vaapi
//               -vf hwdownload,format=nv12
//   auto:       plain -hwaccel vaapi (ffmpeg finds the render node and downloads itself)
//   threaded:   hwdownload with the board's threaded scheduler (jobs complete on a worker, as
//               interrupts do)
// Each run must give as many frames as the software decode (reference.tsv), none all-zero, and
// every frame must be a picture the board decoded (the synthetic engine's pictures cannot come
// from a software fallback); ffmpeg's log must not show a fallback; the board must report no
// reference or control diagnostics, no unsupported call, and nothing left open at exit.
#include "support/e2e.h"

#include <gtest/gtest.h>

#include <sstream>

namespace v4l2emu::e2e {
namespace {

enum class Mode { HwDownload, Auto, Threaded };

// What ffmpeg 5.1 prints when it gives up on the hwaccel (FF51 decode.c/hwaccel setup) and
// goes on in software, or when the driver fails a decode.
const char *const kFallbackMarks[] = {
	"Failed setup for format vaapi",
	"hwaccel initialisation returned error",
	"Failed to initialise VAAPI connection",
	"Device creation failed",
	"Failed to create decode",
	"Failed to end picture decode",
	"Failed to sync surface",
	"Failed to transfer",
	"Error while decoding",
	"Impossible to convert between the formats",
};

class FfmpegTest : public testing::Test {
public:
	FfmpegTest(std::string file, std::vector<ReferenceFrame> frames, Mode mode)
		: file_(std::move(file)), reference_(std::move(frames)), mode_(mode)
	{
	}
	void TestBody() override;

private:
	std::string file_;
	std::vector<ReferenceFrame> reference_;
	Mode mode_;
};

void FfmpegTest::TestBody()
{
	ASSERT_TRUE(haveProgram("ffmpeg")) << "ffmpeg is not installed (run ci/bootstrap)";
	ASSERT_FALSE(reference_.empty());
	ScratchDir dir("ffmpeg");
	std::string output = dir.file("out.nv12"), summaryPath = dir.file("summary.json");
	std::vector<std::string> cmd = {"ffmpeg", "-nostdin", "-hide_banner", "-v", "verbose"};
	const bool download = mode_ != Mode::Auto;
	if (download)
		cmd.insert(cmd.end(), {"-hwaccel", "vaapi", "-hwaccel_device", "/dev/dri/renderD128",
				       "-hwaccel_output_format", "vaapi"});
	else
		cmd.insert(cmd.end(), {"-hwaccel", "vaapi"});
	cmd.insert(cmd.end(), {"-i", streamPath(file_), "-map", "0:v:0"});
	if (download)
		cmd.insert(cmd.end(), {"-vf", "hwdownload,format=nv12"});
	// Every decoded frame once (rawvideo would otherwise be constant-rate: duplicates).
	cmd.insert(cmd.end(), {"-pix_fmt", "nv12", "-fps_mode", "passthrough", "-f", "rawvideo",
			       "-y", output});

	std::vector<std::string> flags = {"--summary", summaryPath};
	if (mode_ == Mode::Threaded)
		flags.insert(flags.end(), {"--scheduler", "threaded"});
	RunResult run = runOnBoard(flags, cmd, {}, 120);
	std::string log = run.err;
	ASSERT_EQ(run.exitCode, 0) << "ffmpeg: " << run.describe() << "\n" << log;
	for (const char *mark : kFallbackMarks)
		EXPECT_EQ(log.find(mark), std::string::npos)
			<< "ffmpeg log says \"" << mark << "\" (software fallback or VA failure):\n"
			<< log;
	// The VAAPI device is our driver (FF51 hwcontext_vaapi.c logs the vendor string); that
	// the pictures are the board's is checked below.
	EXPECT_NE(log.find("VAAPI driver: v4l2-request"), std::string::npos)
		<< "ffmpeg did not open our VA driver:\n" << log;

	Json summary;
	std::string error;
	ASSERT_TRUE(loadSummary(summaryPath, &summary, &error)) << error << "\n" << log;
	std::vector<DecodedFrame> decoded = framesOf(summary);
	EXPECT_GE(decoded.size(), reference_.size())
		<< "the board decoded fewer pictures than ffmpeg output";
	for (const std::string &bad : badDiagnostics(summary))
		ADD_FAILURE() << "board diagnostic: " << bad;
	for (const Json &u : summary["unsupported"].items())
		ADD_FAILURE() << "ffmpeg made a call the preload does not emulate: "
			      << u["call"].str();
	EXPECT_EQ(summary["openFds"].u64(), 0u) << "board fds still open at exit";
	EXPECT_EQ(summary["liveMappings"].u64(), 0u) << "board buffers still mapped at exit";
	EXPECT_TRUE(summary.has("diagnosticsDropped")) << "the summary says how many it left out";

	std::string data;
	ASSERT_TRUE(readFile(output, &data)) << "no output file";
	uint32_t width = static_cast<uint32_t>(reference_[0].width);
	uint32_t height = static_cast<uint32_t>(reference_[0].height);
	std::vector<Nv12Frame> frames = splitNv12(data, width, height);
	EXPECT_EQ(frames.size(), reference_.size()) << "frames out of the VA decode vs the software "
						       "decode (" << data.size() << " bytes)";
	ExpectedPictures expected;
	expected.add(decoded, &error);
	EXPECT_TRUE(error.empty()) << error;
	for (size_t i = 0; i < frames.size(); i++) {
		if (frames[i].lumaAllZero()) {
			ADD_FAILURE() << "frame " << i << ": luma all zero";
			continue;
		}
		std::string closest;
		if (!expected.match(frames[i], &closest))
			ADD_FAILURE() << "frame " << i << " is none of the " << expected.size()
				      << " pictures the board decoded; " << closest;
	}
	if (HasFailure())
		dir.keep();
	RecordProperty("seconds", std::to_string(run.seconds));
}

[[maybe_unused]] const bool kRegistered = [] {
	for (auto &[file, frames] : referenceStreams()) {
		std::string name = testNameOf(file);
		for (Mode mode : {Mode::HwDownload, Mode::Auto, Mode::Threaded}) {
			const char *suite = mode == Mode::HwDownload ? "FfmpegHwdownload"
					    : mode == Mode::Auto     ? "FfmpegAuto"
								     : "FfmpegThreaded";
			testing::RegisterTest(suite, name.c_str(), nullptr, nullptr, __FILE__, __LINE__,
					      [file = file, frames = frames, mode]() -> testing::Test * {
						      return new FfmpegTest(file, frames, mode);
					      });
		}
	}
	return true;
}();

TEST(FfmpegFaults, DecodeErrorReachesFfmpeg)
{
	// The third job completes with V4L2_BUF_FLAG_ERROR: the driver must report the surface
	// as failed (ffmpeg's download gives EIO) instead of handing out a stale picture.
	ASSERT_TRUE(haveProgram("ffmpeg"));
	ScratchDir dir("ffmpeg-fault");
	RunResult run = runOnBoard(
		{"--faults", "decode=error,nth=3", "--summary", dir.file("summary.json")},
		{"ffmpeg", "-nostdin", "-hide_banner", "-hwaccel", "vaapi", "-hwaccel_device",
		 "/dev/dri/renderD128", "-hwaccel_output_format", "vaapi", "-i",
		 streamPath("h264_high_cabac_bframes_176x144.mp4"), "-vf", "hwdownload,format=nv12",
		 "-f", "rawvideo", "-y", dir.file("out.nv12")});
	EXPECT_NE(run.exitCode, 0) << "ffmpeg did not notice the failed decode\n" << run.err;
	Json summary;
	std::string error;
	ASSERT_TRUE(loadSummary(dir.file("summary.json"), &summary, &error)) << error;
	bool injected = false;
	for (const Json &d : summary["diagnostics"].items())
		injected |= d["kind"].str() == "fault" && d["job"].u64() == 3;
	EXPECT_TRUE(injected) << "the fault plan did not fire";
}

TEST(FfmpegChecks, ExpectedPicturesRejectAChangedFrame)
{
	// The comparison the corpus tests rely on must see a single changed byte.
	ASSERT_TRUE(haveProgram("ffmpeg"));
	ScratchDir dir("ffmpeg-check");
	RunResult run = runOnBoard(
		{"--summary", dir.file("summary.json")},
		{"ffmpeg", "-nostdin", "-hide_banner", "-hwaccel", "vaapi", "-i",
		 streamPath("hevc_main_128x128.mp4"), "-pix_fmt", "nv12", "-fps_mode", "passthrough",
		 "-f", "rawvideo", "-y", dir.file("out.nv12")});
	ASSERT_EQ(run.exitCode, 0) << run.err;
	Json summary;
	std::string data, error;
	ASSERT_TRUE(loadSummary(dir.file("summary.json"), &summary, &error)) << error;
	ASSERT_TRUE(readFile(dir.file("out.nv12"), &data));
	std::vector<Nv12Frame> frames = splitNv12(data, 128, 128);
	ASSERT_FALSE(frames.empty());
	ExpectedPictures expected;
	expected.add(framesOf(summary), &error);
	std::string closest;
	ASSERT_NE(expected.match(frames[0], &closest), 0u) << closest;
	Nv12Frame changed = frames[0];
	changed.bytes[changed.lumaSize() + 7] ^= 1;	// one chroma byte
	EXPECT_EQ(expected.match(changed, &closest), 0u);
	EXPECT_NE(closest.find("1 bytes differ"), std::string::npos) << closest;
}

TEST(FfmpegCorpus, EveryClipHasAReference)
{
	auto streams = referenceStreams();
	EXPECT_GE(streams.size(), 9u) << "corpus/streams/reference.tsv lists too few clips";
	for (const auto &[file, frames] : streams)
		EXPECT_TRUE(access(streamPath(file).c_str(), R_OK) == 0) << file;
}

} // namespace
} // namespace v4l2emu::e2e
