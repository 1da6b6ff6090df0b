// SPDX-License-Identifier: MIT
// LIBVA_TRACE logs of the libav harness (corpus/traces/libva/: FFmpeg's VAAPI hwaccel through
// the driver on the emulated fresnel board, libva 2.17 with LIBVA_TRACE_BUFDATA): parsed,
// every buffer rebuilt, the VA sequence replayed through the driver with every status matching,
// and the driver then hands the board the same control payloads and bitstream as in the run
// (the blobs of the replay's V4L2 trace are those of the run's) and the board decodes the same
// pictures (the CRC-32 of every dequeued CAPTURE plane, in order, is the run's).
#include "va_trace_buffers.h"
#include "va_trace_replay.h"

#include <v4l2emu/trace.h>

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>

namespace v4l2va::test {
namespace {

namespace fs = std::filesystem;

std::string runDir(const std::string &name)
{
	return std::string(V4L2VA_CORPUS_TRACES) + "/libva/" + name;
}

VaTraceLog readRun(const std::string &name)
{
	VaTraceLog log;
	std::vector<std::string> files = vaTraceFiles(runDir(name) + "/va_trace");
	EXPECT_FALSE(files.empty()) << name;
	EXPECT_TRUE(readVaTrace(files, &log)) << name;
	for (const auto &p : log.problems)
		ADD_FAILURE() << p.file << ":" << p.line << ": " << p.message;
	return log;
}

std::set<std::string> blobs(const fs::path &dir)
{
	std::set<std::string> out;
	if (fs::exists(dir / "blobs" / "sha256"))
		for (const auto &e : fs::directory_iterator(dir / "blobs" / "sha256"))
			out.insert(e.path().filename().string());
	return out;
}

/// meta.json's "clip", from the repository root ("" if none).
std::string runClip(const std::string &name)
{
	std::ifstream f(runDir(name) + "/meta.json");
	std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
	size_t k = text.find("\"clip\"");
	if (k == std::string::npos)
		return {};
	size_t a = text.find('"', text.find(':', k) + 1), b = text.find('"', a + 1);
	return std::string(V4L2VA_SOURCE_DIR) + "/" + text.substr(a + 1, b - a - 1);
}

/// The CRC-32s of the CAPTURE planes a native trace's DQBUFs returned, in order.
std::vector<uint32_t> pictureCrcs(const std::string &path)
{
	v4l2emu::Trace t;
	EXPECT_EQ(v4l2emu::readTraceFile(path, {}, &t), 0) << path;
	std::vector<uint32_t> out;
	for (const v4l2emu::TraceCall &c : t.calls)
		for (const auto &crc : c.crcs)
			out.push_back(crc.crc);
	return out;
}

class LibvaRun : public ::testing::TestWithParam<std::string> {};

TEST_P(LibvaRun, EveryCallParsesAndEveryBufferRebuilds)
{
	VaTraceLog log = readRun(GetParam());
	std::map<std::string, unsigned> count;
	unsigned rebuilt = 0, missing = 0;
	const bool vp8 = GetParam().compare(0, 3, "vp8") == 0;
	for (const VaTraceCall &c : log.calls) {
		count[c.name]++;
		for (VaTraceBuffer b : c.buffers) {
			bool ok = rebuildBuffer(&b, [](VASurfaceID s) { return s; });
			// libva 2.17 prints no VP8 slice data: only those are missing, and only for VP8.
			if (!ok && b.dataMissing && vp8 && b.type == VASliceDataBufferType) {
				missing++;
				continue;
			}
			EXPECT_TRUE(ok) << c.file << ":" << c.line << ": " << b.problem;
			rebuilt++;
		}
	}
	EXPECT_EQ(missing > 0, vp8);
	EXPECT_EQ(count["vaInitialize"], 1u);
	EXPECT_EQ(count["vaTerminate"], 1u);
	EXPECT_GE(count["vaBeginPicture"], 10u);
	EXPECT_EQ(count["vaBeginPicture"], count["vaEndPicture"]);
	// Every frame downloaded, but VP8's hidden altref frames.
	EXPECT_LE(count["vaSyncSurface"], count["vaEndPicture"]);
	EXPECT_GE(count["vaSyncSurface"] + (vp8 ? 1 : 0), count["vaEndPicture"]);
	// Picture parameters, slice parameters, slice data at least.
	EXPECT_GE(rebuilt + missing, 3 * count["vaBeginPicture"]);
	// Time order across the thread files: nothing renders before its context exists.
	bool context = false;
	for (const VaTraceCall &c : log.calls) {
		context |= c.name == "vaCreateContext";
		if (c.name == "vaBeginPicture") {
			EXPECT_TRUE(context) << c.file << ":" << c.line;
		}
	}
}

TEST_P(LibvaRun, ReplaysThroughTheDriverWithTheRunsBuffers)
{
	VaTraceLog log = readRun(GetParam());
	fs::path out = fs::temp_directory_path() / ("v4l2emu-va-replay-" + std::to_string(getpid())) / GetParam();
	fs::remove_all(out);
	fs::create_directories(out);
	VaReplayOptions o;
	o.v4l2Trace = (out / "trace.jsonl").string() + ",timestamps=0";
	o.clip = runClip(GetParam());
	VaReplayReport r;
	EXPECT_TRUE(replayVaTrace(log, o, &r)) << r.text();
	EXPECT_TRUE(r.divergences.empty()) << r.text();
	EXPECT_GE(r.pictures, 10u);
	EXPECT_GT(r.matched, 100u);
	// Same VA buffers in, same V4L2 controls and bitstream out.
	std::set<std::string> run = blobs(runDir(GetParam())), replay = blobs(out);
	EXPECT_FALSE(run.empty());
	EXPECT_EQ(run, replay) << "the rebuilt buffers made the driver send other payloads";
	// Every picture the board decoded is the run's.
	std::vector<uint32_t> runPictures = pictureCrcs(runDir(GetParam()) + "/trace.jsonl");
	EXPECT_GE(runPictures.size(), 10u);
	EXPECT_EQ(runPictures, pictureCrcs((out / "trace.jsonl").string()));
	// And the V4L2 side of the replay replays.
	v4l2emu::Trace t;
	ASSERT_EQ(v4l2emu::readTraceFile((out / "trace.jsonl").string(), {}, &t), 0);
	v4l2emu::ReplayReport vr;
	EXPECT_EQ(v4l2emu::replayTrace(t, {}, &vr), 0) << vr.text(t);
	fs::remove_all(out);
}

INSTANTIATE_TEST_SUITE_P(Corpus, LibvaRun, ::testing::Values("mpeg2-176x144", "h264-176x144", "hevc-176x144",
									    "vp8-176x144", "vp9-176x144"),
			 [](const auto &info) {
				 std::string n = info.param;
				 for (char &c : n)
					 c = isalnum(static_cast<unsigned char>(c)) ? c : '_';
				 return n;
			 });

std::vector<std::string> lines(const std::string &path)
{
	std::ifstream f(path);
	std::vector<std::string> out;
	for (std::string l; std::getline(f, l);)
		out.push_back(l);
	return out;
}

std::string writeLog(const std::vector<std::string> &l, const char *name)
{
	fs::path p = fs::temp_directory_path() / (std::string("v4l2emu-va-bad-") + std::to_string(getpid()) + name);
	std::ofstream f(p);
	for (const std::string &x : l)
		f << x << "\n";
	return p.string();
}

TEST(LibvaBadLog, DamagedLinesAreReportedWithFileAndLine)
{
	std::vector<std::string> good = lines(vaTraceFiles(runDir("mpeg2-176x144") + "/va_trace")[0]);
	ASSERT_GT(good.size(), 100u);
	// Truncated in the middle of a call.
	{
		std::vector<std::string> l(good.begin(), good.begin() + 4);	// CreateConfig block cut
		l.pop_back();
		while (l.back().find("==========va_Trace") == std::string::npos)
			l.pop_back();
		l.push_back(good[4].substr(0, good[4].find(']') + 1) + "[ctx       none]\tprofile = 1, VAProfileMPEG2Main");
		VaTraceLog log;
		std::string p = writeLog(l, "trunc");
		readVaTrace({p}, &log);
		ASSERT_FALSE(log.problems.empty());
		EXPECT_NE(log.problems.back().message.find("truncated"), std::string::npos);
		EXPECT_EQ(log.problems.back().line, static_cast<unsigned>(l.size() - 1));
		fs::remove(p);
	}
	// An unknown status and stray text.
	{
		std::vector<std::string> l = good;
		size_t st = 1;	// the vaInitialize status line
		ASSERT_NE(l[st].find("VA_STATUS_SUCCESS"), std::string::npos);
		l[st].replace(l[st].find("VA_STATUS_SUCCESS"), 17, "VA_STATUS_NONSENSE");
		l.insert(l.begin() + 2, "[39125.228990][ctx       none]garbage between calls");
		VaTraceLog log;
		std::string p = writeLog(l, "garbled");
		readVaTrace({p}, &log);
		ASSERT_EQ(log.problems.size(), 2u);
		EXPECT_EQ(log.problems[0].line, 2u);
		EXPECT_NE(log.problems[0].message.find("unknown status"), std::string::npos);
		EXPECT_EQ(log.problems[1].line, 3u);
		fs::remove(p);
	}
	// Without LIBVA_TRACE_BUFDATA's rows the slice data cannot be rebuilt: the replay says
	// where, and stops there.
	{
		std::vector<std::string> l;
		for (const std::string &x : good)
			if (x.find("\t\t0x") != 0)
				l.push_back(x);
		VaTraceLog log;
		std::string p = writeLog(l, "nodata");
		ASSERT_TRUE(readVaTrace({p}, &log));
		VaReplayReport r;
		EXPECT_FALSE(replayVaTrace(log, {}, &r));
		ASSERT_FALSE(r.divergences.empty());
		EXPECT_NE(r.divergences[0].message.find("LIBVA_TRACE_BUFDATA"), std::string::npos)
			<< r.divergences[0].message;
		EXPECT_GT(r.divergences[0].line, 0u);
		fs::remove(p);
	}
}

} // namespace
} // namespace v4l2va::test
