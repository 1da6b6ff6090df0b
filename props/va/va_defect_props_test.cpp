// SPDX-License-Identifier: MIT
// The rig against a broken driver: the real driver built with one defect compiled in
// (backend/src/va/defect_hooks.h, V4L2VA_DEFECT_UNCHECKED_REQBUFS: iter5b's destructive
// CAPTURE pool teardown when CreateSurfaces2 asks for another size, REQBUFS(0) on the
// streaming queue unchecked and the mappings unmapped but still used), loaded in place of the
// real module (V4L2VA_DRIVER_PATH). The free-mode property and the FFmpeg consumer properties
// must fail on it; each case runs in a child process, so a read through a stale mapping is a
// failing case (a signal, or the sanitizer's report) rather than a dead test binary. The tests
// pass when rapidcheck finds the defect and shrinks it: the free-mode sequence to a few calls,
// the consumer parameters to a one-frame resize; the shrunk cases pass on the real driver.
#include "consumers.h"
#include "va_free.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <sstream>

namespace props::va {
namespace {

const std::string kDefectDriver = PROPS_DEFECT_DRIVER;

std::string readAll(FILE *f)
{
	std::string out;
	rewind(f);
	char buf[4096];
	for (size_t n; (n = fread(buf, 1, sizeof(buf), f)) > 0;)
		out.append(buf, n);
	fclose(f);
	return out;
}

/// The first line of a sanitizer report in a child's stderr ("" if none).
std::string sanitizerLine(const std::string &err)
{
	for (const char *marker : { "ERROR: AddressSanitizer", "runtime error:", "ERROR: " }) {
		const size_t at = err.find(marker);
		if (at == std::string::npos)
			continue;
		const size_t begin = err.rfind('\n', at) + 1; // npos + 1 == 0
		return err.substr(begin, err.find('\n', at) - begin);
	}
	return "";
}

using Step = std::function<void(const std::string &)>;

/// Runs `body` in a child process with the driver module `driver` (empty: the real one).
/// Returns "" when it returned "", else its failure, or how the child died and in which step
/// (the last line `body` passed to its Step) with the sanitizer's first line if it reported.
std::string inChild(const std::string &driver, const std::function<std::string(const Step &)> &body)
{
	FILE *out = tmpfile(), *err = tmpfile(), *steps = tmpfile();
	if (!out || !err || !steps)
		return "tmpfile failed";
	fflush(nullptr);
	const pid_t pid = fork();
	if (pid < 0)
		return std::string("fork failed: ") + strerror(errno);
	if (pid == 0) {
		dup2(fileno(err), STDERR_FILENO); // the sanitizer's report, the driver's log
		if (driver.empty())
			unsetenv("V4L2VA_DRIVER_PATH");
		else
			setenv("V4L2VA_DRIVER_PATH", driver.c_str(), 1);
		const Step step = [steps](const std::string &line) {
			fprintf(steps, "%s\n", line.c_str());
			fflush(steps);
		};
		std::string failure;
		try {
			failure = body(step);
		} catch (const rc::detail::CaseResult &r) {
			failure = "not a valid case: " + r.description;
		} catch (const std::exception &e) {
			failure = std::string("exception: ") + e.what();
		}
		fwrite(failure.data(), 1, failure.size(), out);
		fflush(out);
		_exit(failure.empty() ? 0 : 1);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	const std::string failure = readAll(out), log = readAll(err);
	std::string where = readAll(steps);
	if (!where.empty())
		where.pop_back();
	where = where.substr(where.rfind('\n') + 1); // npos + 1 == 0
	if (!where.empty())
		where = " in: " + where;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return "";
	if (WIFEXITED(status) && !failure.empty())
		return failure;
	// A signal, or a sanitizer's exit (abort_on_error=1 makes that SIGABRT).
	const std::string report = sanitizerLine(log);
	return (WIFSIGNALED(status) ? std::string("the driver crashed (") +
					      strsignal(WTERMSIG(status)) + ")"
				    : "the process died (exit " +
					      std::to_string(WEXITSTATUS(status)) + ")") +
	       where + (report.empty() ? "" : " (" + report + ")");
}

/// The last failing case of a property: rapidcheck's shrunk counterexample.
struct Shrunk {
	FreeCommands commands; ///< free mode
	ConsumerParams params; ///< consumers
	std::string failure;
	unsigned failingRuns = 0;
};

std::vector<std::string> linesOf(const FreeCommands &cmds)
{
	std::vector<std::string> out;
	for (const auto &c : cmds) {
		std::ostringstream os;
		c->show(os);
		out.push_back(os.str());
	}
	return out;
}

std::string joined(const std::vector<std::string> &lines)
{
	std::string s;
	for (const std::string &l : lines)
		s += "  " + l + "\n";
	return s;
}

double secondsSince(std::chrono::steady_clock::time_point t0)
{
	return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

TEST(VaDefect, FreeModeCatchesTheUncheckedReqbufsAndShrinksIt)
{
	const auto t0 = std::chrono::steady_clock::now();
	Shrunk shrunk;
	const bool held = rc::check("free VA call sequences on the defect driver", [&shrunk] {
		const FreeCommands cmds = *rc::state::gen::commands(FreeModel {}, &genFreeCommand);
		const std::string failure =
			inChild(kDefectDriver, [&cmds](const Step &step) {
				return runFreeSequence(cmds, "", step);
			});
		if (failure.empty())
			return;
		shrunk.commands = cmds;
		shrunk.failure = failure;
		shrunk.failingRuns++;
		RC_FAIL(failure);
	});
	ASSERT_FALSE(held) << "the free mode did not catch the unchecked REQBUFS(0) teardown";
	const std::vector<std::string> lines = linesOf(shrunk.commands);
	std::cout << "shrunk counterexample (" << lines.size() << " calls, "
		  << shrunk.failingRuns << " failing runs, " << secondsSince(t0) << " s):\n"
		  << joined(lines) << "failure: " << shrunk.failure << "\n";
	RecordProperty("shrunk", joined(lines));
	EXPECT_LE(lines.size(), 6u) << joined(lines);
	// It names what went wrong: where the process died, or the picture that read back wrong.
	EXPECT_TRUE(shrunk.failure.find(" in: ") != std::string::npos ||
		    shrunk.failure.find("picture") != std::string::npos)
		<< shrunk.failure;
	// Its shape: surfaces of both sizes (a call for the second size is the teardown).
	const std::string text = joined(lines);
	EXPECT_NE(text.find("surfaces 0 "), std::string::npos) << text;
	EXPECT_NE(text.find("surfaces 1 "), std::string::npos) << text;
	// The defect, not the driver, fails it.
	EXPECT_EQ(inChild("", [&](const Step &) { return runFreeSequence(shrunk.commands, ""); }), "")
		<< "the shrunk sequence fails on the real driver too:\n"
		<< text;
}

void consumerCaught(Consumer consumer)
{
	const auto t0 = std::chrono::steady_clock::now();
	Shrunk shrunk;
	const bool held = rc::check(std::string(toString(consumer)) + " on the defect driver",
				    [consumer, &shrunk] {
					    const ConsumerParams p =
						    *genConsumerParams(consumer, false);
					    const std::string failure =
						    inChild(kDefectDriver, [&p](const Step &) {
							    return runConsumerCase(p, "");
						    });
					    if (failure.empty())
						    return;
					    shrunk.params = p;
					    shrunk.failure = failure;
					    shrunk.failingRuns++;
					    RC_FAIL(p.line() + "\n" + failure);
				    });
	ASSERT_FALSE(held) << toString(consumer) << " did not catch the unchecked REQBUFS(0)";
	const ConsumerParams &p = shrunk.params;
	std::cout << "shrunk counterexample (" << shrunk.failingRuns << " failing runs, "
		  << secondsSince(t0) << " s):\n  " << p.line() << "\nfailure: " << shrunk.failure
		  << "\n";
	::testing::Test::RecordProperty(std::string("shrunk_") + toString(consumer), p.line());
	// Minimal: a resize (the second CreateSurfaces2 size) after the fewest pictures.
	EXPECT_TRUE(p.width2 && (p.width2 != p.width || p.height2 != p.height)) << p.line();
	EXPECT_LE(p.frames, 2u) << p.line();
	EXPECT_EQ(inChild("", [&](const Step &) { return runConsumerCase(p, ""); }), "")
		<< "the shrunk case fails on the real driver too: " << p.line();
}

TEST(VaDefect, Ffmpeg51CatchesTheUncheckedReqbufs)
{
	consumerCaught(Consumer::Ff51);
}

TEST(VaDefect, Ffmpeg71DynamicPoolCatchesTheUncheckedReqbufs)
{
	consumerCaught(Consumer::Ffm);
}

} // namespace
} // namespace props::va
