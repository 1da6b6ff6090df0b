// SPDX-License-Identifier: MIT
// v4l2emu-run: documented flags, the environment it sets, and exit status 2 with a clear
// message for a bad command line (before the program ever starts).
#include "support/e2e.h"

#include <gtest/gtest.h>

namespace v4l2emu::e2e {
namespace {

RunResult runner(const std::vector<std::string> &args)
{
	RunOptions o;
	o.argv = {runnerPath()};
	o.argv.insert(o.argv.end(), args.begin(), args.end());
	o.timeoutSeconds = 30;
	return runProgram(o);
}

TEST(Runner, HelpDocumentsEveryOption)
{
	RunResult r = runner({"--help"});
	ASSERT_EQ(r.exitCode, 0) << r.describe() << r.err;
	for (const char *option : {"--board", "--kernel", "--scheduler", "--faults", "--dev-dir",
				   "--driver-dir", "--summary", "--log", "--asan", "--preload", "--print-env",
				   "LD_PRELOAD", "LIBVA_DRIVER_NAME", "LIBVA_DRIVERS_PATH", "fresnel"})
		EXPECT_NE(r.out.find(option), std::string::npos) << option << " missing from --help";
}

TEST(Runner, PrintEnvShowsWhatThePreloadAndLibvaRead)
{
	RunResult r = runner({"--print-env", "--board", "rkvdec", "--kernel", "6.12", "--scheduler",
			      "threaded", "--faults", "ioctl=VIDIOC_QBUF,nth=3,errno=EIO", "--log",
			      "2", "--summary", "/tmp/x-%p.json", "--driver-dir", "/opt/dri",
			      "--preload", "/opt/lib/extra.so"});
	ASSERT_EQ(r.exitCode, 0) << r.describe() << r.err;
	for (const char *line : {"V4L2EMU_BOARD=rkvdec\n", "V4L2EMU_KERNEL=6.12\n",
				 "V4L2EMU_SCHEDULER=threaded\n",
				 "V4L2EMU_FAULTS=ioctl=VIDIOC_QBUF,nth=3,errno=EIO\n",
				 "V4L2EMU_PRELOAD_LOG=2\n", "V4L2EMU_SUMMARY=/tmp/x-%p.json\n",
				 "LIBVA_DRIVER_NAME=v4l2_request\n", "LIBVA_DRIVERS_PATH=/opt/dri\n"})
		EXPECT_NE(r.out.find(line), std::string::npos) << line << "in:\n" << r.out;
	// The sanitizer runtime (if any) first, then the emulator, then the extra library.
	size_t ours = r.out.find("libv4l2emu_preload.so:/opt/lib/extra.so\n");
	EXPECT_NE(ours, std::string::npos) << r.out;
}

TEST(Runner, BadCommandLinesExitTwoWithAMessage)
{
	struct Case {
		std::vector<std::string> args;
		const char *message;
	};
	const Case cases[] = {
		{{"--board", "nosuchboard", "--", "true"}, "unknown board 'nosuchboard'"},
		{{"--kernel", "5.4", "--", "true"}, "expected 6.12 or mainline"},
		{{"--scheduler", "fast", "--", "true"}, "expected deterministic or threaded"},
		{{"--faults", "ioctl=VIDIOC_NOPE", "--", "true"}, "--faults:"},
		{{"--dev-dir", "relative", "--", "true"}, "expected an absolute path"},
		{{"--log", "9", "--", "true"}, "expected 0, 1 or 2"},
		{{"--preload", "a.so:b.so", "--", "true"}, "expected one library path"},
		{{"--frobnicate", "--", "true"}, "unknown option '--frobnicate'"},
		{{"--board"}, "--board needs a value"},
		{{"--"}, "no program after --"},
		{{}, "no program to run"},
	};
	for (const Case &c : cases) {
		RunResult r = runner(c.args);
		std::string joined;
		for (const std::string &a : c.args)
			joined += a + " ";
		EXPECT_EQ(r.exitCode, 2) << joined << r.describe();
		EXPECT_NE(r.err.find(c.message), std::string::npos)
			<< joined << ": expected \"" << c.message << "\" in: " << r.err;
	}
}

TEST(Runner, RunsTheProgramWithItsArgumentsAndStatus)
{
	RunResult r = runOnBoard({}, {"sh", "-c", "echo \"$V4L2EMU_BOARD $LIBVA_DRIVER_NAME\"; exit 7"});
	EXPECT_EQ(r.exitCode, 7) << r.describe() << r.err;
	EXPECT_EQ(r.out, "fresnel v4l2_request\n");
	RunResult missing = runOnBoard({}, {"/nonexistent/program"});
	EXPECT_EQ(missing.exitCode, 127) << missing.describe();
	EXPECT_NE(missing.err.find("cannot run '/nonexistent/program'"), std::string::npos)
		<< missing.err;
}

} // namespace
} // namespace v4l2emu::e2e
