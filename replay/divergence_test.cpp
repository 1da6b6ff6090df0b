// SPDX-License-Identifier: MIT
// Divergence reports: a trace edited to expect another errno (or another returned value) on
// one line reports exactly that line, in both formats, and the replay of the unedited trace
// does not.
#include "consumer_scripts.h"

#include <v4l2emu/trace.h>

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace v4l2emu {
namespace {

namespace fs = std::filesystem;

class Divergence : public ::testing::Test {
protected:
	void SetUp() override
	{
		dir_ = fs::temp_directory_path() / ("v4l2emu-divergence-" + std::to_string(getpid()));
		fs::remove_all(dir_);
		fs::create_directories(dir_);
		std::string error;
		ASSERT_TRUE(v4l2va::test::recordConsumer(
			"ffmpeg-5.1", "mpeg2",
			(dir_ / "trace.jsonl").string() + ";" + (dir_ / "trace.strace").string() + ",format=strace",
			&error))
			<< error;
	}
	void TearDown() override { fs::remove_all(dir_); }

	std::vector<std::string> lines(const char *file)
	{
		std::ifstream f(dir_ / file);
		std::vector<std::string> out;
		for (std::string l; std::getline(f, l);)
			out.push_back(l);
		return out;
	}
	/// Writes the edited copy and replays it (keep going: every divergence is listed).
	ReplayReport replayEdited(const char *file, const std::vector<std::string> &edited, Trace *t)
	{
		fs::path p = dir_ / (std::string("edited-") + file);
		{
			std::ofstream f(p);
			for (const std::string &l : edited)
				f << l << "\n";
		}
		EXPECT_EQ(readTraceFile(p.string(), {}, t), 0);
		ReplayOptions o;
		o.keepGoing = true;
		ReplayReport r;
		replayTrace(*t, o, &r);
		return r;
	}
	/// The 1-based number of the nth line containing all of `needles`.
	static size_t find(const std::vector<std::string> &lines, std::vector<std::string> needles,
			   unsigned nth = 0)
	{
		for (size_t i = 0; i < lines.size(); i++) {
			bool all = true;
			for (const std::string &n : needles)
				all &= lines[i].find(n) != std::string::npos;
			if (all && nth-- == 0)
				return i + 1;
		}
		return 0;
	}

	fs::path dir_;
};

TEST_F(Divergence, NativeLineExpectingAnotherErrnoIsTheOneReported)
{
	std::vector<std::string> l = lines("trace.jsonl");
	size_t n = find(l, {"\"op\":\"VIDIOC_QBUF\"", "\"errno\":0"}, 3);
	ASSERT_NE(n, 0u);
	std::string &line = l[n - 1];
	size_t at = line.rfind("\"ret\":0,\"errno\":0");
	ASSERT_NE(at, std::string::npos);
	line.replace(at, 17, "\"ret\":-1,\"errno\":\"EBUSY\"");
	Trace t;
	ReplayReport r = replayEdited("trace.jsonl", l, &t);
	ASSERT_EQ(r.divergences.size(), 1u) << r.text(t);
	EXPECT_EQ(r.divergences[0].line, n);
	EXPECT_EQ(r.divergences[0].message, "errno: expected EBUSY, got success");
	EXPECT_NE(r.text(t).find("DIVERGENCE at line " + std::to_string(n)), std::string::npos);
	EXPECT_EQ(r.matched + 1, r.replayed) << "every other call still matched";
}

TEST_F(Divergence, StraceLineExpectingAnotherErrnoIsTheOneReported)
{
	std::vector<std::string> l = lines("trace.strace");
	size_t n = find(l, {"VIDIOC_S_EXT_CTRLS", ") = 0"}, 2);
	ASSERT_NE(n, 0u);
	std::string &line = l[n - 1];
	size_t at = line.rfind(" = 0");
	line.replace(at, 4, " = -1 EINVAL (Invalid argument)");
	Trace t;
	ReplayReport r = replayEdited("trace.strace", l, &t);
	ASSERT_EQ(r.divergences.size(), 1u) << r.text(t);
	EXPECT_EQ(r.divergences[0].line, n);
	EXPECT_EQ(r.divergences[0].message, "errno: expected EINVAL, got success");
}

TEST_F(Divergence, StraceLineExpectingAnotherFieldIsTheOneReported)
{
	std::vector<std::string> l = lines("trace.strace");
	size_t n = find(l, {"VIDIOC_G_FMT", "V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE", "sizeimage="});
	ASSERT_NE(n, 0u);
	std::string &line = l[n - 1];
	size_t at = line.find("sizeimage=");
	line.insert(at + 10, "9");	// sizeimage=NNN -> 9NNN
	Trace t;
	ReplayReport r = replayEdited("trace.strace", l, &t);
	ASSERT_EQ(r.divergences.size(), 1u) << r.text(t);
	EXPECT_EQ(r.divergences[0].line, n);
	EXPECT_NE(r.divergences[0].message.find("fmt.pix_mp.plane_fmt[0].sizeimage: expected "),
		  std::string::npos)
		<< r.divergences[0].message;
}

TEST_F(Divergence, WithoutKeepGoingTheReplayStopsThere)
{
	std::vector<std::string> l = lines("trace.jsonl");
	size_t n = find(l, {"\"op\":\"VIDIOC_STREAMON\""});
	ASSERT_NE(n, 0u);
	size_t at = l[n - 1].rfind("\"errno\":0");
	l[n - 1].replace(at, 9, "\"errno\":\"EIO\"");
	l[n - 1].replace(l[n - 1].rfind("\"ret\":0"), 7, "\"ret\":-1");
	fs::path p = dir_ / "stop.jsonl";
	{
		std::ofstream f(p);
		for (const std::string &x : l)
			f << x << "\n";
	}
	Trace t;
	ASSERT_EQ(readTraceFile(p.string(), {}, &t), 0);
	ReplayReport r;
	EXPECT_EQ(replayTrace(t, {}, &r), 1);
	ASSERT_EQ(r.divergences.size(), 1u);
	EXPECT_EQ(r.divergences[0].line, n);
	EXPECT_TRUE(r.stoppedEarly);
	EXPECT_LT(r.replayed, t.calls.size());
	// Context: the calls before it, then the diverging line itself.
	std::string text = r.text(t, 2);
	EXPECT_NE(text.find("  > line " + std::to_string(n) + ":"), std::string::npos) << text;
	EXPECT_NE(text.find("    line " + std::to_string(n - 1) + ":"), std::string::npos) << text;
}

} // namespace
} // namespace v4l2emu
