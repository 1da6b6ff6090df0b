// SPDX-License-Identifier: MIT
// GStreamer's own V4L2 stateless decoders (gst-plugins-bad 1.22 "v4l2codecs"), unmodified, on
// the emulated fresnel board: a second kernel-direct client, independent of our VA driver.
// The plugin finds decoders only through udev (gudev: the "media" subsystem, then
// MEDIA_IOC_G_TOPOLOGY on each /dev/mediaN) when the registry scan runs it, so the preload's
// sysfs (virtual_tree.cpp, sysfs_walk.cpp) must satisfy libudev; every run uses a private
// GST_REGISTRY.
//
// GstV4l2Codecs.<clip> decodes every corpus clip with e2e/tools/gst-v4l2codecs-decode
// (v4l2slh264dec on rkvdec, v4l2slh265dec and v4l2slvp9dec on rkvdec, v4l2slmpeg2dec and
// v4l2slvp8dec on hantro): as many frames as the software decode, every frame one of the
// pictures the board decoded for that process (the synthetic engine's pictures), the tool's
// per-frame MD5s those of the frames, no board diagnostic, nothing left open.
// GstV4l2CodecsBoards.<board>_<clip> does the same on other boards (cedrus-tiled, visl),
// GstV4l2CodecsThreaded.* / GstV4l2CodecsKernel612.* with the threaded scheduler / Linux 6.12.
// A clip GStreamer itself crashes on (kKnownGstCrashes) must fail exactly as that bug does,
// for as long as the installed GStreamer predates the fix.
#include "support/e2e.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <tuple>

#ifndef V4L2EMU_E2E_GST_DECODE_TOOL
#error "V4L2EMU_E2E_GST_DECODE_TOOL must name e2e/tools/gst-v4l2codecs-decode"
#endif

namespace v4l2emu::e2e {
namespace {

// Calls the board answers with ENOTTY on purpose, which the preload cannot tell from a
// missing ioctl: hantro's vidioc_enum_framesizes returns -ENOTTY for a raw (CAPTURE) format
// when no post-processor is needed (Linux 6.12 hantro_v4l2.c), and the emulated cedrus has no
// enum_framesizes op (drivers/driver_profile.h); v4l2codecs probes every CAPTURE format with it
// when it registers the decoders.
bool expectedUnsupported(const std::string &call, const std::string &board)
{
	if (call.rfind("ioctl VIDIOC_ENUM_FRAMESIZES", 0) != 0)
		return false;
	if (board.rfind("cedrus", 0) == 0)
		return true;
	return board.empty() && call.find("/dev/video1") != std::string::npos;
}

// Clips that GStreamer itself cannot decode, with the first release that can. The board answers
// as the kernel does; the crash is in GStreamer and would happen on the real board too.
struct KnownGstCrash {
	const char *clip;
	std::array<int, 3> fixedIn;
	const char *why;
};

const KnownGstCrash kKnownGstCrashes[] = {
	// x265 with WPP: every slice has entry points (num_entry_point_offsets > 0). 1.22.0's
	// gst_h265_decoder_parse_slice() (libgstcodecs, gsth265decoder.c) calls
	// gst_h265_slice_hdr_free() right after parsing, which frees and NULLs
	// entry_point_offset_minus1 but keeps num_entry_point_offsets; rkvdec offers
	// HEVC_SLICE_PARAMS (a dynamic array, as RKM:rkvdec_hevc_ctrl_descs), so v4l2codecs runs
	// "frame based with slices" and gst_v4l2_codec_h265_dec_fill_slice_params() reads
	// entry_point_offset_minus1[i] (NULL) for the first slice: SIGSEGV before any request is
	// queued. Independent of ENTRY_POINT_OFFSETS (rkvdec has none; cedrus and visl, which have
	// it, crash the same). Fixed by "codecs: h265: Do not free slice header before using it"
	// (GStreamer 99435dc4, MR !5503), first in 1.22.10.
	{"hevc_main_wpp_scaling_176x144.mp4", {1, 22, 10},
	 "GStreamer < 1.22.10: gst_h265_decoder_parse_slice() frees "
	 "GstH265SliceHdr.entry_point_offset_minus1 that gst_v4l2_codec_h265_dec_fill_slice_params() "
	 "then reads (NULL) for WPP slices"},
};

const KnownGstCrash *knownGstCrash(const std::string &clip)
{
	for (const KnownGstCrash &k : kKnownGstCrashes)
		if (clip == k.clip)
			return &k;
	return nullptr;
}

/// The installed GStreamer's version ("GStreamer 1.22.0" of gst-launch-1.0 --version; core,
/// base and bad are released together), {0, 0, 0} if unknown.
std::array<int, 3> gstreamerVersion()
{
	RunOptions options;
	options.argv = {"gst-launch-1.0", "--version"};
	RunResult r = runProgram(options);
	std::array<int, 3> v{};
	size_t at = r.out.find("GStreamer ");
	if (r.exitCode != 0 || at == std::string::npos ||
	    std::sscanf(r.out.c_str() + at, "GStreamer %d.%d.%d", &v[0], &v[1], &v[2]) != 3)
		return {};
	return v;
}

std::string versionText(const std::array<int, 3> &v)
{
	return std::to_string(v[0]) + "." + std::to_string(v[1]) + "." + std::to_string(v[2]);
}

/// The strace-format lines of the trace file that contain what.
std::vector<std::string> traceLines(const std::string &trace, const std::string &what)
{
	std::vector<std::string> out;
	std::istringstream lines(trace);
	std::string line;
	while (std::getline(lines, line))
		if (line.find(what) != std::string::npos)
			out.push_back(line);
	return out;
}

/// The run of a clip GStreamer crashes on: the tool ends at once and names the crash, and the
/// trace shows where: the decoder opened with slice parameters, CAPTURE streaming, no request
/// queued (the crash is in the first slice's fill_slice_params, before any submission).
void expectKnownCrash(const KnownGstCrash &known, const RunResult &run, const std::string &trace,
		      const std::string &log)
{
	EXPECT_FALSE(run.timedOut) << "the tool must end at once on a crash (gst-launch --no-fault)";
	EXPECT_EQ(run.exitCode, 1) << run.describe() << "\n" << run.err << "\n" << log;
	EXPECT_NE(run.err.find("gst-launch-1.0 was killed by SIGSEGV"), std::string::npos)
		<< "expected the known GStreamer crash (" << known.why << "):\n" << run.err;
	EXPECT_NE(run.err.find("gst_v4l2_codec_h265_dec_fill_slice_params"), std::string::npos)
		<< "the tool does not name the known bug:\n" << run.err;
	bool slices = false;
	for (const std::string &line :
	     traceLines(trace, "VIDIOC_QUERY_EXT_CTRL, {id=V4L2_CID_STATELESS_HEVC_SLICE_PARAMS,"))
		slices |= line.find("V4L2_CTRL_FLAG_DYNAMIC_ARRAY") != std::string::npos &&
			  line.size() >= 4 && line.compare(line.size() - 4, 4, " = 0") == 0;
	EXPECT_TRUE(slices) << "the board did not offer HEVC_SLICE_PARAMS: v4l2codecs would run "
			       "frame based and not reach fill_slice_params";
	EXPECT_FALSE(traceLines(trace, "VIDIOC_STREAMON, [V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE]) = 0")
			     .empty())
		<< "the crash came before decoding started";
	EXPECT_TRUE(traceLines(trace, "MEDIA_REQUEST_IOC_QUEUE").empty())
		<< "a request was queued: the crash is not the one in the first slice's parameters";
}

std::vector<std::pair<std::string, std::string>> gstEnvironment(const ScratchDir &dir)
{
	return {
		{"GST_REGISTRY", dir.file("registry.bin")},
		{"XDG_RUNTIME_DIR", dir.path()},
		// The preload's sysfs mirror goes here: the test sees that it is removed at exit.
		{"TMPDIR", dir.path()},
		{"GST_DEBUG", "2"},
		asanWithoutLeakChecks(),
	};
}

/// The summary of the one process that decoded (gst-plugin-scanner only probes the nodes).
bool decodingSummary(const ScratchDir &dir, Json *summary, std::string *error)
{
	bool found = false;
	for (const std::string &name : listDir(dir.path())) {
		if (name.rfind("summary-", 0) != 0)
			continue;
		Json s;
		if (!loadSummary(dir.file(name), &s, error))
			return false;
		if (s["decodedFrames"].u64() == 0)
			continue;
		if (found) {
			*error = "two processes decoded";
			return false;
		}
		*summary = s;
		found = true;
	}
	if (!found)
		*error = "no process decoded anything on the board";
	return found;
}

void expectNoMirrorLeft(const ScratchDir &dir)
{
	for (const std::string &name : listDir(dir.path()))
		EXPECT_NE(name.rfind("v4l2emu-sysfs.", 0), 0u)
			<< "the preload left its sysfs mirror " << name << " behind";
}

/// md5sum of each frame (written to files), in order.
std::vector<std::string> md5sOf(const ScratchDir &dir, const std::vector<Nv12Frame> &frames)
{
	RunOptions options;
	options.argv = {"md5sum"};
	for (size_t i = 0; i < frames.size(); i++) {
		std::string path = dir.file("frame" + std::to_string(i) + ".nv12");
		std::ofstream(path, std::ios::binary)
			.write(reinterpret_cast<const char *>(frames[i].bytes.data()),
			       static_cast<std::streamsize>(frames[i].bytes.size()));
		options.argv.push_back(path);
	}
	RunResult r = runProgram(options);
	std::vector<std::string> out;
	std::istringstream lines(r.out);
	std::string md5, rest;
	while (lines >> md5 && std::getline(lines, rest))
		out.push_back(md5);
	return out;
}

class GstV4l2CodecsTest : public testing::Test {
public:
	GstV4l2CodecsTest(std::string file, std::vector<ReferenceFrame> frames, std::string board,
			  std::vector<std::string> runnerFlags = {})
		: file_(std::move(file)), reference_(std::move(frames)), board_(std::move(board)),
		  runnerFlags_(std::move(runnerFlags))
	{
	}
	void TestBody() override;

private:
	std::string file_;
	std::vector<ReferenceFrame> reference_;
	std::string board_;	///< empty: the runner's default (fresnel)
	std::vector<std::string> runnerFlags_;	///< more v4l2emu-run flags
};

void GstV4l2CodecsTest::TestBody()
{
	ASSERT_TRUE(haveProgram("gst-launch-1.0")) << "GStreamer is not installed (run ci/bootstrap)";
	ASSERT_TRUE(haveProgram("python3")) << "python3 is not installed (run ci/bootstrap)";
	ASSERT_FALSE(reference_.empty());
	ScratchDir dir("gst-v4l2codecs");
	std::string raw = dir.file("out.nv12"), tsv = dir.file("frames.tsv");
	RunOptions options;
	options.argv = {V4L2EMU_E2E_GST_DECODE_TOOL, "--runner", runnerPath(),
			"--summary", dir.file("summary-%p.json"), "--raw", raw, "--format", "tsv",
			"--output", tsv, "--keep-log", dir.file("gst.log"), streamPath(file_)};
	if (!board_.empty())
		options.argv.insert(options.argv.begin() + 1, "--runner-flag=--board=" + board_);
	for (const std::string &flag : runnerFlags_)
		options.argv.insert(options.argv.begin() + 1, "--runner-flag=" + flag);
	options.env = gstEnvironment(dir);
	options.timeoutSeconds = 120;
	const KnownGstCrash *known = knownGstCrash(file_);
	std::array<int, 3> version = known ? gstreamerVersion() : std::array<int, 3>{};
	const bool expectCrash = known && version != std::array<int, 3>{} && version < known->fixedIn;
	if (expectCrash)
		options.env.emplace_back("V4L2EMU_TRACE", dir.file("trace.txt") + ",format=strace");
	RunResult run = runProgram(options);
	std::string log;
	readFile(dir.file("gst.log"), &log);
	if (expectCrash) {
		std::string trace;
		readFile(dir.file("trace.txt"), &trace);
		if (run.exitCode == 0)
			ADD_FAILURE() << "GStreamer " << versionText(version) << " decoded " << file_
				      << " although it predates the fix of the known crash ("
				      << known->why << "): was the fix backported? Update "
				      << "kKnownGstCrashes.";
		else
			expectKnownCrash(*known, run, trace, log);
		RecordProperty("known_gstreamer_bug", known->why);
		std::printf("[ KNOWN    ] %s: GStreamer %s crashes as expected: %s\n", file_.c_str(),
			    versionText(version).c_str(), known->why);
		if (HasFailure())
			dir.keep();
		return;
	}
	ASSERT_EQ(run.exitCode, 0) << run.describe() << "\n" << run.err << "\n" << log;

	Json summary;
	std::string error;
	ASSERT_TRUE(decodingSummary(dir, &summary, &error)) << error << "\n" << log;
	EXPECT_GE(summary["decodedFrames"].u64(), reference_.size());
	for (const std::string &bad : badDiagnostics(summary))
		ADD_FAILURE() << "board diagnostic: " << bad;
	for (const Json &u : summary["unsupported"].items())
		if (!expectedUnsupported(u["call"].str(), board_))
			ADD_FAILURE() << "GStreamer made a call the preload does not emulate: "
				      << u["call"].str();
	EXPECT_EQ(summary["openFds"].u64(), 0u) << "board fds still open at exit";
	EXPECT_EQ(summary["liveMappings"].u64(), 0u) << "board buffers still mapped at exit";
	expectNoMirrorLeft(dir);

	std::string data;
	ASSERT_TRUE(readFile(raw, &data)) << "no output file";
	std::vector<Nv12Frame> frames = splitNv12(data, static_cast<uint32_t>(reference_[0].width),
						  static_cast<uint32_t>(reference_[0].height));
	EXPECT_EQ(frames.size(), reference_.size())
		<< "frames out of v4l2codecs vs the software decode (" << data.size() << " bytes)";
	ExpectedPictures expected;
	expected.add(framesOf(summary), &error);
	EXPECT_TRUE(error.empty()) << error;
	for (size_t i = 0; i < frames.size(); i++) {
		std::string closest;
		if (frames[i].lumaAllZero())
			ADD_FAILURE() << "frame " << i << ": luma all zero";
		else if (!expected.match(frames[i], &closest))
			ADD_FAILURE() << "frame " << i << " is none of the " << expected.size()
				      << " pictures the board decoded; " << closest;
	}

	// The tool's lines: reference.tsv's columns, one per frame, the MD5 of that frame.
	std::vector<std::string> md5s = md5sOf(dir, frames);
	EXPECT_EQ(md5s.size(), frames.size()) << "md5sum failed";
	std::string text;
	ASSERT_TRUE(readFile(tsv, &text));
	std::istringstream lines(text);
	std::string line;
	size_t n = 0;
	while (std::getline(lines, line)) {
		if (line.empty() || line[0] == '#')
			continue;
		std::istringstream fields(line);
		std::string stream, md5;
		size_t index = 0;
		long pts = 0;
		int width = 0, height = 0;
		fields >> stream >> index >> pts >> width >> height >> md5;
		EXPECT_EQ(stream, file_) << line;
		EXPECT_EQ(index, n) << line;
		EXPECT_EQ(width, reference_[0].width) << line;
		EXPECT_EQ(height, reference_[0].height) << line;
		if (n < md5s.size()) {
			EXPECT_EQ(md5, md5s[n]) << "frame " << n << ": the tool's MD5 is not the frame's";
		}
		n++;
	}
	EXPECT_EQ(n, frames.size()) << "tool lines vs frames\n" << text;
	if (HasFailure())
		dir.keep();
	RecordProperty("seconds", std::to_string(run.seconds));
}

// Other boards' drivers, a few clips each: cedrus-tiled offers only ST12 (NV12 in 32x32 tiles),
// which GStreamer detiles itself (NV12_32L32) - an independent reader of the emulator's tiled
// layout; visl is the virtual driver with every codec.
const std::pair<const char *, const char *> kOtherBoards[] = {
	{"cedrus-tiled", "h264_high_cabac_bframes_176x144.mp4"},
	{"cedrus-tiled", "mpeg2_main_bframes_176x144.m2v"},
	{"visl", "vp9_p0_altref_176x144.webm"},
	{"visl", "hevc_main_bframes_176x144.mp4"},
};

// The board's other behaviours, one clip each: jobs completing on a worker thread (as
// interrupts do) while GStreamer polls request fds, and Linux 6.12's rkvdec (no HEVC).
const std::tuple<const char *, const char *, const char *> kModes[] = {
	{"Threaded", "--scheduler=threaded", "h264_high_cabac_bframes_176x144.mp4"},
	{"Threaded", "--scheduler=threaded", "vp8_altref_176x144.ivf"},
	{"Kernel612", "--kernel=6.12", "vp9_p0_altref_176x144.webm"},
	{"Kernel612", "--kernel=6.12", "h264_main_2slices_176x144.mkv"},
};

std::string boardTestName(const std::string &board, const std::string &file)
{
	std::string name = board + "_" + testNameOf(file);
	for (char &c : name)
		if (c == '-')
			c = '_';
	return name;
}

[[maybe_unused]] const bool kRegistered = [] {
	for (auto &[file, frames] : referenceStreams()) {
		testing::RegisterTest("GstV4l2Codecs", testNameOf(file).c_str(), nullptr, nullptr,
				      __FILE__, __LINE__,
				      [file = file, frames = frames]() -> testing::Test * {
					      return new GstV4l2CodecsTest(file, frames, "");
				      });
		for (const auto &[mode, flag, clip] : kModes) {
			if (file != clip)
				continue;
			testing::RegisterTest(("GstV4l2Codecs" + std::string(mode)).c_str(),
					      testNameOf(file).c_str(), nullptr, nullptr, __FILE__,
					      __LINE__,
					      [file = file, frames = frames,
					       flag = std::string(flag)]() -> testing::Test * {
						      return new GstV4l2CodecsTest(file, frames, "", {flag});
					      });
		}
		for (const auto &[board, clip] : kOtherBoards) {
			if (file != clip)
				continue;
			testing::RegisterTest("GstV4l2CodecsBoards", boardTestName(board, file).c_str(),
					      nullptr, nullptr, __FILE__, __LINE__,
					      [file = file, frames = frames,
					       board = std::string(board)]() -> testing::Test * {
						      return new GstV4l2CodecsTest(file, frames, board);
					      });
		}
	}
	return true;
}();

const char *const kElements[] = {"v4l2slh264dec", "v4l2slh265dec", "v4l2slvp8dec", "v4l2slvp9dec",
				 "v4l2slmpeg2dec"};

TEST(GstV4l2CodecsPlugin, RegistersTheBoardsDecodersThroughUdev)
{
	// Both fresnel decoders are found (rkvdec: H.264, HEVC, VP9; hantro: MPEG-2, VP8) by the
	// registry scan, which runs in gst-plugin-scanner.
	ASSERT_TRUE(haveProgram("gst-inspect-1.0"));
	ScratchDir dir("gst-v4l2codecs-inspect");
	RunResult r = runOnBoard({"--summary", dir.file("summary-%p.json")},
				 {"gst-inspect-1.0", "v4l2codecs"}, gstEnvironment(dir), 60);
	ASSERT_EQ(r.exitCode, 0) << r.describe() << "\n" << r.out << r.err;
	for (const char *element : kElements)
		EXPECT_NE(r.out.find(std::string(element) + ":"), std::string::npos)
			<< element << " not registered:\n" << r.out << r.err;
	expectNoMirrorLeft(dir);
	if (HasFailure())
		dir.keep();
}

TEST(GstV4l2CodecsPlugin, Kernel612RkvdecHasNoHevc)
{
	// rkvdec gained HEVC after 6.12: the plugin must see the board's per-kernel formats.
	ASSERT_TRUE(haveProgram("gst-inspect-1.0"));
	ScratchDir dir("gst-v4l2codecs-612");
	RunResult r = runOnBoard({"--kernel", "6.12"}, {"gst-inspect-1.0", "v4l2codecs"},
				 gstEnvironment(dir), 60);
	ASSERT_EQ(r.exitCode, 0) << r.describe() << "\n" << r.out << r.err;
	EXPECT_EQ(r.out.find("v4l2slh265dec:"), std::string::npos) << r.out;
	for (const char *element : {"v4l2slh264dec", "v4l2slvp9dec", "v4l2slmpeg2dec", "v4l2slvp8dec"})
		EXPECT_NE(r.out.find(std::string(element) + ":"), std::string::npos) << r.out;
}

TEST(GstV4l2CodecsPlugin, FindsNothingWithoutTheBoard)
{
	// The same scan without the preload: this machine has no media devices, so the elements
	// above come from the emulated board and nowhere else.
	ASSERT_TRUE(haveProgram("gst-inspect-1.0"));
	ScratchDir dir("gst-v4l2codecs-bare");
	RunOptions options;
	options.argv = {"gst-inspect-1.0", "v4l2codecs"};
	options.env = gstEnvironment(dir);
	options.unsetEnv = {"LD_PRELOAD"};
	RunResult r = runProgram(options);
	ASSERT_EQ(r.exitCode, 0) << r.describe() << "\n" << r.out << r.err;
	for (const char *element : kElements)
		EXPECT_EQ(r.out.find(std::string(element) + ":"), std::string::npos)
			<< element << " registered without the emulated board:\n" << r.out;
}

} // namespace
} // namespace v4l2emu::e2e
