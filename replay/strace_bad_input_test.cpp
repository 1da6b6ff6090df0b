// SPDX-License-Identifier: MIT
// Bad strace input: truncated, garbled and unknown lines each give a diagnostic with their
// line number (never a silent drop, never a crash); stop-at-first or read on.
#include <v4l2emu/trace.h>

#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>

namespace v4l2emu {
namespace {

const char *const kGood =
	"openat(AT_FDCWD, \"/dev/video0\", O_RDWR|O_NONBLOCK) = 3\n"
	"ioctl(3, VIDIOC_STREAMON, [V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE]) = 0\n";

Trace parse(const std::string &text, bool stop = false)
{
	Trace t;
	TraceReadOptions o;
	o.stopAtFirstProblem = stop;
	std::istringstream in(text);
	parseStrace(in, o, &t);
	return t;
}

struct BadLine {
	const char *line;
	const char *diagnostic;	///< part of the message
};

TEST(StraceBadInput, EachBadLineIsReportedWithItsNumber)
{
	const BadLine kBad[] = {
		{"ioctl(3, VIDIOC_S_FMT, {type=V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE, fmt.pix_mp={width=19",
		 "cannot parse"},
		{"ioctl(3, VIDIOC_NOT_A_THING, 0x7ffd1234) = 0", "unknown ioctl"},
		{"ioctl(3, VIDIOC_QBUF_TIME32, {type=V4L2_BUF_TYPE_VIDEO_OUTPUT, index=0}) = 0", "unknown ioctl"},
		{"ioctl(3, 0xc050560f, {type=0xa, index=0}) = 0", "32-bit ABI"},
		{"this is not strace output", "not a syscall line"},
		{"ioctl(3, VIDIOC_STREAMON, [V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE]) = -1", "without an errno"},
		{"ioctl(3, VIDIOC_STREAMON, [V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE]) = -1 EWHATEVER (x)", "unknown errno"},
		{"ioctl(3, VIDIOC_STREAMON, [V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE]) = 0 trailing junk", "unexpected text"},
		{"ioctl(3, VIDIOC_STREAMON, [V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE])", "result"},
		{"<... ioctl resumed>) = 0", "without its start"},
		{"ioctl(3, VIDIOC_S_EXT_CTRLS, {ctrl_class=0, count=1, controls=[{id=1, size=2, string=\"\\q\"}]}) = 0",
		 "escape"},
		{"mmap(NULL, 4096, PROT_READ, MAP_SHARED, 3) = 0x7f0000000000", "arguments expected"},
		{"\x01\x02\xff\xfe(", "not a syscall line"},
	};
	for (const BadLine &b : kBad) {
		std::string text = std::string(kGood) + b.line + "\n" + kGood;
		Trace t = parse(text);
		ASSERT_EQ(t.problems.size(), 1u) << b.line;
		EXPECT_EQ(t.problems[0].line, 3u) << b.line;
		EXPECT_NE(t.problems[0].message.find(b.diagnostic), std::string::npos)
			<< b.line << " -> " << t.problems[0].message;
		EXPECT_EQ(t.problems[0].text, b.line);
		// The good lines around it are still decoded (continue mode).
		EXPECT_EQ(t.calls.size(), 4u) << b.line;
	}
}

TEST(StraceBadInput, StopModeStopsAtTheFirstBadLine)
{
	std::string text = std::string(kGood) + "garbage\n" + kGood + "more garbage\n";
	Trace readOn = parse(text);
	ASSERT_EQ(readOn.problems.size(), 2u);
	EXPECT_EQ(readOn.problems[0].line, 3u);
	EXPECT_EQ(readOn.problems[1].line, 6u);
	Trace stop = parse(text, true);
	ASSERT_EQ(stop.problems.size(), 1u);
	EXPECT_EQ(stop.problems[0].line, 3u);
	EXPECT_EQ(stop.calls.size(), 2u) << "nothing after the bad line";
	EXPECT_EQ(parse(std::string(kGood) + kGood).problems.size(), 0u);
}

TEST(StraceBadInput, ACallThatNeverCompletesIsReportedAtItsStart)
{
	Trace t = parse(std::string(kGood) +
			"[pid 12] ioctl(3, VIDIOC_DQBUF, {type=V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE <unfinished ...>\n"
			"[pid 11] ioctl(3, VIDIOC_STREAMON, [V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE]) = 0\n");
	ASSERT_EQ(t.problems.size(), 1u);
	EXPECT_EQ(t.problems[0].line, 3u);
	EXPECT_NE(t.problems[0].message.find("truncated"), std::string::npos);
}

TEST(StraceBadInput, SkippedLinesAreCountedNotDropped)
{
	Trace t = parse(std::string(kGood) +
			"read(0, \"abc\", 3) = 3\n"
			"--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED} ---\n"
			"+++ exited with 0 +++\n"
			"openat(AT_FDCWD, \"/etc/passwd\", O_RDONLY) = 4\n"
			"ioctl(4, TCGETS, {c_iflag=0}) = 0\n"
			"close(4) = 0\n");
	EXPECT_TRUE(t.problems.empty());
	EXPECT_EQ(t.calls.size(), 2u);
	EXPECT_EQ(t.linesSkipped, 6u) << "non-device calls and exit/signal lines";
	EXPECT_EQ(t.linesRead, 8u);
}

// Every prefix of every fixture line and random byte flips: diagnostics, never a crash.
TEST(StraceBadInput, MutatedFixtureLinesNeverCrash)
{
	std::vector<std::string> lines;
	for (const char *name : {"strace61-default.txt", "strace61-Xverbose.txt", "strace61-split-stderr.txt"}) {
		std::ifstream f(std::string(REPLAY_TESTDATA) + "/" + name);
		for (std::string l; std::getline(f, l);)
			lines.push_back(l);
	}
	ASSERT_GT(lines.size(), 40u);
	std::mt19937 rng(7);
	size_t parsed = 0;
	for (const std::string &l : lines) {
		for (size_t cut = 0; cut < l.size(); cut += 1 + l.size() / 64) {
			Trace t = parse("openat(AT_FDCWD, \"/dev/video0\", O_RDWR) = 3\n" + l.substr(0, cut) + "\n");
			parsed++;
			for (const TraceProblem &p : t.problems)
				EXPECT_GT(p.line, 0u);
		}
		for (int k = 0; k < 8; k++) {
			std::string m = l;
			for (int flips = 0; flips < 3 && !m.empty(); flips++)
				m[rng() % m.size()] = static_cast<char>(1 + rng() % 255);
			for (char &c : m)	// one line stays one line
				c = c == '\n' || c == '\r' ? 'x' : c;
			Trace t = parse("openat(AT_FDCWD, \"/dev/video0\", O_RDWR) = 3\n" + m + "\n");
			parsed++;
			for (const TraceProblem &p : t.problems)
				EXPECT_EQ(p.line, 2u);
		}
	}
	EXPECT_GT(parsed, 1000u);
}

} // namespace
} // namespace v4l2emu
