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

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>

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

INSTANTIATE_TEST_SUITE_P(Corpus, LibvaRun,
			 ::testing::Values("mpeg2-176x144", "h264-176x144", "hevc-176x144", "hevc10-176x144",
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

/// The thread file of a run that holds its pictures (the most vaRenderPicture blocks).
std::string renderFile(const std::string &run)
{
	std::string best;
	size_t most = 0;
	for (const std::string &f : vaTraceFiles(runDir(run) + "/va_trace")) {
		size_t n = 0;
		for (const std::string &l : lines(f))
			n += l.find("==========va_TraceRenderPicture") != std::string::npos;
		if (n > most) {
			most = n;
			best = f;
		}
	}
	return best;
}

VaTraceLog parse(const std::vector<std::string> &l)
{
	std::string text;
	for (const std::string &x : l)
		text += x + "\n";
	std::istringstream in(text);
	VaTraceLog log;
	readVaTraceText(in, "damaged", &log);
	return log;
}

/// Every buffer rebuilt or refused with a reason and a line inside the text.
void expectBuffersRebuiltOrRefused(const VaTraceLog &log, size_t lineCount)
{
	for (const VaTraceCall &c : log.calls)
		for (VaTraceBuffer b : c.buffers) {
			if (rebuildBuffer(&b, [](VASurfaceID s) { return s; })) {
				ASSERT_EQ(b.data.size(), static_cast<size_t>(b.size) * b.numElements);
			} else {
				ASSERT_FALSE(b.problem.empty());
				ASSERT_LE(b.problemLine, lineCount);
			}
		}
}

/// A field of the log's text replaced: the replay stops at that line with the field's name.
TEST(LibvaBadLog, AGarbledFieldIsReportedAtItsLine)
{
	struct Case {
		const char *run, *field, *garbage;
	} cases[] = {
		{"hevc-176x144", "slice_qp_delta = ", "1x1"},
		{"hevc-176x144", "pic_fields = ", "many"},
		{"vp8-176x144", "prob_intra = ", "zz"},
		{"vp9-176x144", "frame_context_idx = ", "-"},
		{"h264-176x144", "slice_data_bit_offset = ", "?"},
	};
	for (const Case &k : cases) {
		std::vector<std::string> l = lines(renderFile(k.run));
		size_t at = 0;
		for (size_t i = 0; i < l.size() && !at; i++)
			if (l[i].find(std::string("\t") + k.field) != std::string::npos)
				at = i;
		ASSERT_GT(at, 0u) << k.run << " " << k.field;
		l[at] = l[at].substr(0, l[at].find(k.field) + strlen(k.field)) + k.garbage;
		VaTraceLog log = parse(l);
		EXPECT_TRUE(log.problems.empty()) << k.run << ": a value is not a line problem";
		bool found = false;
		for (const VaTraceCall &c : log.calls)
			for (VaTraceBuffer b : c.buffers)
				if (!rebuildBuffer(&b, [](VASurfaceID s) { return s; }) && !b.dataMissing) {
					EXPECT_EQ(b.problemLine, at + 1) << k.run << ": " << b.problem;
					EXPECT_NE(b.problem.find(std::string(k.field).substr(0, strlen(k.field) - 3)),
						  std::string::npos)
						<< b.problem;
					found = true;
				}
		EXPECT_TRUE(found) << k.run << " " << k.field;
	}
}

TEST(LibvaBadLog, AGarbledLineIsReportedAtItsLine)
{
	std::vector<std::string> l = lines(renderFile("vp9-176x144"));
	ASSERT_GT(l.size(), 200u);
	l[150] = "\x01\x02 not libva's";
	VaTraceLog log = parse(l);
	ASSERT_EQ(log.problems.size(), 1u);
	EXPECT_EQ(log.problems[0].line, 151u);
	EXPECT_NE(log.problems[0].message.find("garbled line"), std::string::npos);
}

/// Cut after any line, the log reads (the cut call reported as truncated, with its first
/// line) and every buffer before the cut rebuilds or is refused with a line.
TEST(LibvaBadLog, TruncatedAnywhereIsReportedNeverACrash)
{
	for (const char *run : {"mpeg2-176x144", "h264-176x144", "hevc-176x144", "vp8-176x144", "vp9-176x144"}) {
		std::vector<std::string> all = lines(renderFile(run));
		ASSERT_GT(all.size(), 100u) << run;
		const size_t stride = std::max<size_t>(1, all.size() / 60);
		unsigned truncated = 0;
		for (size_t cut = 1; cut < all.size(); cut += stride) {
			std::vector<std::string> l(all.begin(), all.begin() + static_cast<ptrdiff_t>(cut));
			// A cut in the middle of a line too: half of the last one.
			l.back() = l.back().substr(0, l.back().size() / 2);
			VaTraceLog log = parse(l);
			for (const auto &p : log.problems) {
				ASSERT_GE(p.line, 1u) << run << " cut " << cut;
				ASSERT_LE(p.line, cut) << run << " cut " << cut << ": " << p.message;
				truncated += p.message.find("truncated") != std::string::npos;
			}
			expectBuffersRebuiltOrRefused(log, cut);
		}
		EXPECT_GT(truncated, 5u) << run << ": most cuts land inside a call";
	}
}

/// Bytes of the text flipped (fixed seed): read, rebuilt or refused, and a few replayed
/// through the driver; none crashes.
TEST(LibvaBadLog, FlippedBytesNeverCrash)
{
	uint32_t x = 12345;
	auto next = [&x]() {
		x = x * 1103515245u + 12345u;
		return x >> 8;
	};
	for (const char *run : {"hevc-176x144", "vp8-176x144", "vp9-176x144"}) {
		std::vector<std::string> all = lines(renderFile(run));
		std::vector<std::string> head(all.begin(), all.begin() + static_cast<ptrdiff_t>(std::min<size_t>(all.size(), 1500)));
		for (int variant = 0; variant < 60; variant++) {
			std::vector<std::string> l = head;
			for (int k = 0; k < 8; k++) {
				std::string &line = l[next() % l.size()];
				if (line.empty())
					continue;
				const char junk[] = "0x-9 =\tzZ[]";
				line[next() % line.size()] = junk[next() % (sizeof(junk) - 1)];
			}
			VaTraceLog log = parse(l);
			expectBuffersRebuiltOrRefused(log, l.size());
			if (variant % 20 == 0 && log.problems.empty()) {
				VaReplayOptions o;
				o.clip = runClip(run);
				VaReplayReport r;
				replayVaTrace(log, o, &r);
				EXPECT_LE(r.replayed, r.calls);
			}
		}
	}
}

} // namespace
} // namespace v4l2va::test
