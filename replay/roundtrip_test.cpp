// SPDX-License-Identifier: MIT
// Consumer patterns recorded through the VA driver in-process: each recording replays with
// zero divergences in both formats; a native trace recorded, replayed while recording, and
// recorded again is byte-identical; every strace dialect the writer imitates replays.
#include "consumer_scripts.h"

#include <v4l2emu/trace.h>

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace v4l2emu {
namespace {

namespace fs = std::filesystem;
using v4l2va::test::consumerScripts;
using v4l2va::test::recordConsumer;

fs::path tempDir(const std::string &name)
{
	fs::path p = fs::temp_directory_path() / ("v4l2emu-replay-" + std::to_string(getpid())) / name;
	fs::remove_all(p);
	fs::create_directories(p);
	return p;
}

std::string slurp(const fs::path &p)
{
	std::ifstream f(p, std::ios::binary);
	std::ostringstream s;
	s << f.rdbuf();
	return s.str();
}

std::set<std::string> blobs(const fs::path &dir)
{
	std::set<std::string> out;
	if (fs::exists(dir / "blobs" / "sha256"))
		for (const auto &e : fs::directory_iterator(dir / "blobs" / "sha256"))
			out.insert(e.path().filename().string());
	return out;
}

/// Reads and replays a trace file; returns the report (read problems included).
ReplayReport replayFile(const fs::path &path, std::shared_ptr<TraceSink> record = nullptr,
			Trace *out = nullptr)
{
	Trace t;
	ReplayReport r;
	if (readTraceFile(path.string(), {}, &t) != 0) {
		r.problems = t.problems;
		if (r.problems.empty())
			r.problems.push_back({0, "cannot read " + path.string(), ""});
		return r;
	}
	ReplayOptions o;
	o.record = std::move(record);
	replayTrace(t, o, &r);
	if (out)
		*out = std::move(t);
	return r;
}

std::string describe(const ReplayReport &r, const fs::path &path)
{
	Trace t;
	readTraceFile(path.string(), {}, &t);
	return r.text(t);
}

class ConsumerRecording : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {};

TEST_P(ConsumerRecording, ReplaysWithZeroDivergencesInBothFormats)
{
	const auto &[script, codec] = GetParam();
	fs::path dir = tempDir(script + "-" + codec);
	std::string error;
	ASSERT_TRUE(recordConsumer(script, codec,
				   (dir / "trace.jsonl").string() + ";" + (dir / "trace.strace").string() +
					   ",format=strace",
				   &error))
		<< error;
	for (const char *file : {"trace.jsonl", "trace.strace"}) {
		ReplayReport r = replayFile(dir / file);
		EXPECT_TRUE(r.problems.empty()) << file << "\n" << describe(r, dir / file);
		EXPECT_TRUE(r.divergences.empty()) << file << "\n" << describe(r, dir / file);
		EXPECT_GT(r.matched, 50u) << file;
		EXPECT_GT(r.compared, 100u) << file << ": returned fields were compared";
	}
}

std::vector<std::tuple<std::string, std::string>> allRecordings()
{
	std::vector<std::tuple<std::string, std::string>> out;
	for (const auto &s : consumerScripts())
		for (const std::string &codec : s.codecs.empty() ? v4l2va::test::consumerCodecs() : s.codecs)
			out.emplace_back(s.name, codec);
	return out;
}

INSTANTIATE_TEST_SUITE_P(Consumers, ConsumerRecording, ::testing::ValuesIn(allRecordings()),
			 [](const auto &info) {
				 std::string n = std::get<0>(info.param) + "_" + std::get<1>(info.param);
				 for (char &c : n)
					 c = isalnum(static_cast<unsigned char>(c)) ? c : '_';
				 return n;
			 });

std::shared_ptr<TraceSink> writer(const fs::path &path, TraceFormat format = TraceFormat::Native)
{
	TraceWriterOptions w;
	w.path = path.string();
	w.format = format;
	w.board = "fresnel";
	w.timestamps = false;
	std::string error;
	auto s = makeTraceWriter(w, &error);
	EXPECT_NE(s, nullptr) << error;
	return s;
}

TEST(NativeRoundTrip, RecordReplayRecordIsIdentical)
{
	fs::path a = tempDir("rt-a"), b = tempDir("rt-b"), c = tempDir("rt-c");
	std::string error;
	ASSERT_TRUE(recordConsumer("ffmpeg-7.1", "h264", (a / "trace.jsonl").string() + ",timestamps=0", &error))
		<< error;
	ReplayReport r1 = replayFile(a / "trace.jsonl", writer(b / "trace.jsonl"));
	ASSERT_TRUE(r1.divergences.empty()) << describe(r1, a / "trace.jsonl");
	ReplayReport r2 = replayFile(b / "trace.jsonl", writer(c / "trace.jsonl"));
	ASSERT_TRUE(r2.divergences.empty()) << describe(r2, b / "trace.jsonl");
	std::string first = slurp(a / "trace.jsonl");
	EXPECT_GT(first.size(), 10000u);
	EXPECT_EQ(first, slurp(b / "trace.jsonl")) << "the replay's recording differs from the run's";
	EXPECT_EQ(slurp(b / "trace.jsonl"), slurp(c / "trace.jsonl"));
	EXPECT_FALSE(blobs(a).empty());
	EXPECT_EQ(blobs(a), blobs(b));
	EXPECT_EQ(blobs(b), blobs(c));
}

TEST(StraceDialects, EveryDialectTheWriterImitatesReplays)
{
	fs::path dir = tempDir("dialects");
	const std::vector<std::string> specs = {
		"t72.strace,format=strace",
		"t72-verbose-xx.strace,format=strace,constants=verbose,x=2",
		"t72-raw.strace,format=strace,constants=raw",
		"t61.strace,format=strace,version=6.1,x=0",
		"t61-verbose.strace,format=strace,version=6.1,constants=verbose",
	};
	std::string spec;
	for (const std::string &s : specs)
		spec += (spec.empty() ? "" : ";") + (dir / s).string();
	std::string error;
	ASSERT_TRUE(recordConsumer("gstreamer-va", "h264", spec, &error)) << error;
	size_t calls = 0;
	for (const std::string &s : specs) {
		fs::path p = dir / s.substr(0, s.find(','));
		Trace t;
		ReplayReport r = replayFile(p, nullptr, &t);
		EXPECT_TRUE(r.problems.empty()) << p << "\n" << describe(r, p);
		EXPECT_TRUE(r.divergences.empty()) << p << "\n" << describe(r, p);
		if (!calls)
			calls = t.calls.size();
		EXPECT_EQ(t.calls.size(), calls) << p;
		EXPECT_GT(r.compared, 100u) << p;
	}
	// 6.1 prints MEDIA_IOC_REQUEST_ALLOC as a pointer: the request fds were inferred.
	Trace t61;
	ASSERT_EQ(readTraceFile((dir / "t61.strace").string(), {}, &t61), 0);
	unsigned inferred = 0;
	for (const TraceCall &c : t61.calls)
		for (const std::string &n : c.notes)
			inferred += n.find("inferred from its first use") != std::string::npos;
	EXPECT_GT(inferred, 0u);
}

} // namespace
} // namespace v4l2emu
