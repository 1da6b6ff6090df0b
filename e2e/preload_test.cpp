// SPDX-License-Identifier: MIT
// The preload library seen by an ordinary program (e2e/preload_probe.cpp) run through
// v4l2emu-run: every check of the probe passes, unsupported calls are named once on stderr and
// counted in the summary, injected faults surface as errno, threads are safe, nothing is left
// open, and without the runner the nodes do not exist on this machine.
#include "support/e2e.h"

#include <gtest/gtest.h>

#include <sstream>

namespace v4l2emu::e2e {
namespace {

/// The probe's "ok"/"FAIL" lines; failures are reported, the ok count returned.
int probeChecks(const RunResult &r)
{
	int ok = 0;
	std::istringstream lines(r.out);
	std::string line;
	while (std::getline(lines, line)) {
		if (line.rfind("ok ", 0) == 0)
			ok++;
		else if (line.rfind("FAIL ", 0) == 0)
			ADD_FAILURE() << line;
	}
	return ok;
}

size_t occurrences(const std::string &text, const std::string &what)
{
	size_t n = 0;
	for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
		n++;
	return n;
}

TEST(Preload, ProbeSeesTheBoardAsAKernel)
{
	ScratchDir dir("probe");
	std::string summaryPath = dir.file("summary.json");
	RunResult r = runOnBoard({"--summary", summaryPath}, {probePath(), "basic"});
	EXPECT_EQ(r.exitCode, 0) << r.describe() << "\n" << r.out << r.err;
	EXPECT_GE(probeChecks(r), 50) << r.out;

	// One line for the unsupported ioctl, although the probe made it twice.
	const std::string line = "v4l2emu-preload: ioctl VIDIOC_G_STD (0x80085617) on /dev/video0: "
				 "not emulated (ENOTTY)\n";
	EXPECT_EQ(occurrences(r.err, line), 1u) << r.err;
	EXPECT_EQ(occurrences(r.err, "epoll_ctl on /dev/video1"), 1u) << r.err;
	// fcntl(F_SETFL) of O_NONBLOCK is passed to the board's file: nothing to report.
	EXPECT_EQ(occurrences(r.err, "fcntl("), 0u) << r.err;

	Json summary;
	std::string error;
	ASSERT_TRUE(loadSummary(summaryPath, &summary, &error)) << error;
	EXPECT_EQ(summary["board"].str(), "fresnel");
	bool counted = false;
	for (const Json &u : summary["unsupported"].items()) {
		if (u["call"].str() == "ioctl VIDIOC_G_STD (0x80085617) on /dev/video0")
			counted = u["count"].u64() == 2 && u["errno"].u64() == ENOTTY;
		EXPECT_NE(u["call"].str().rfind("fcntl", 0), 0u) << u["call"].str();
	}
	EXPECT_TRUE(counted) << "the summary does not count the unsupported ioctl twice";
	EXPECT_EQ(summary["openFds"].u64(), 0u) << "fds of the probe still open in the board";
	EXPECT_EQ(summary["liveMappings"].u64(), 0u);
	ASSERT_EQ(summary["devices"].items().size(), 2u);
	EXPECT_EQ(summary["devices"].items()[0]["name"].str(), "rkvdec");
	EXPECT_GT(summary["devices"].items()[0]["ioctls"].u64(), 10u);
	if (HasFailure())
		dir.keep();
}

TEST(Preload, InjectedFaultIsTheCallersErrno)
{
	RunResult r = runOnBoard({"--faults", "ioctl=VIDIOC_QUERYCAP,nth=1,errno=EIO"},
				 {probePath(), "fault"});
	EXPECT_EQ(r.exitCode, 0) << r.describe() << "\n" << r.out << r.err;
	EXPECT_EQ(probeChecks(r), 2) << r.out;
}

TEST(Preload, ConcurrentThreadsKeepFdsApart)
{
	ScratchDir dir("threads");
	RunResult r = runOnBoard({"--summary", dir.file("summary.json")}, {probePath(), "threads"});
	EXPECT_EQ(r.exitCode, 0) << r.describe() << "\n" << r.out << r.err;
	EXPECT_EQ(probeChecks(r), 1) << r.out;
	Json summary;
	std::string error;
	ASSERT_TRUE(loadSummary(dir.file("summary.json"), &summary, &error)) << error;
	EXPECT_EQ(summary["openFds"].u64(), 0u);
	EXPECT_EQ(summary["unsupported"].items().size(), 0u);
}

TEST(Preload, ThreadedSchedulerAndKernel612)
{
	RunResult r = runOnBoard({"--scheduler", "threaded", "--kernel", "6.12"},
				 {probePath(), "basic"});
	EXPECT_EQ(r.exitCode, 0) << r.describe() << "\n" << r.out << r.err;
	EXPECT_GE(probeChecks(r), 50);
}

TEST(Preload, NodesDoNotExistWithoutIt)
{
	RunOptions o;
	o.argv = {probePath(), "absent"};
	o.unsetEnv = {"LD_PRELOAD"};
	RunResult r = runProgram(o);
	EXPECT_EQ(r.exitCode, 0) << r.describe() << "\n" << r.out << r.err;
	EXPECT_EQ(probeChecks(r), 2) << r.out;
}

TEST(Preload, BadBoardEnvironmentIsOneLineNotACrash)
{
	// The runner checks its flags; a broken environment reaching the preload directly must
	// still give one clear line and a program that runs on without nodes.
	RunResult r = runOnBoard({}, {probePath(), "absent"}, {{"V4L2EMU_KERNEL", "4.4"}});
	EXPECT_EQ(r.exitCode, 0) << r.describe() << "\n" << r.out << r.err;
	EXPECT_EQ(occurrences(r.err, "v4l2emu-preload: V4L2EMU_KERNEL='4.4'"), 1u) << r.err;
}

} // namespace
} // namespace v4l2emu::e2e
