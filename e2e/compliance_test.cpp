// SPDX-License-Identifier: MIT
// Debian's v4l2-compliance 1.22.1 against the emulated fresnel nodes, through v4l2emu-run:
// -d /dev/videoN (the decoder nodes and their media controller information) and -M /dev/mediaN
// (the media devices). Each run's summary (Total/Succeeded/Failed/Warnings) goes to the test
// output; its failing checks must be exactly the ones e2e/v4l2-compliance-expected.txt lists for
// it, each with a verdict: "kernel" (the real driver fails it too, or 1.22 predates the kernel
// behaviour) or "emulator" (a known emulator bug, printed as such until fixed). A check that
// fails without a line, or a line whose check passes, fails the test.
#include "compliance_expectations.h"
#include "support/e2e.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <map>
#include <regex>
#include <set>
#include <sstream>

namespace v4l2emu::e2e {
namespace {

constexpr const char *kStdbufLibrary = "/usr/libexec/coreutils/libstdbuf.so";

struct ComplianceRun {
	const char *name;
	std::vector<std::string> args;
};

struct Outcome {
	std::set<std::string> failed;
	std::map<std::string, std::string> failDetails;	///< test -> its "fail:" lines
	std::string total;		///< the "Total for ..." line, if printed
	std::string lastTest;		///< the last test or section seen (where a crash happened)
};

Outcome parseOutput(const RunResult &r)
{
	Outcome o;
	static const std::regex testLine(R"(^\s*test (.+): (OK|FAIL)(.*)$)");
	std::istringstream lines(r.out);
	std::string line, pendingFails;
	std::smatch m;
	while (std::getline(lines, line)) {
		if (line.find("fail:") != std::string::npos) {
			pendingFails += "\n      " + line.substr(line.find("fail:"));
			continue;
		}
		if (std::regex_match(line, m, testLine)) {
			o.lastTest = "test " + m[1].str();
			if (m[2] == "FAIL") {
				o.failed.insert(m[1]);
				o.failDetails[m[1]] = pendingFails;
			}
			pendingFails.clear();
			continue;
		}
		if (line.rfind("Total for ", 0) == 0)
			o.total = line;
		else if (!line.empty() && line.back() == ':' && line[0] != '\t')
			o.lastTest = line;	// a section header ("Media Controller ioctls:")
	}
	if (r.signal)
		o.failed.insert("crash");
	return o;
}

const std::vector<ComplianceExpectation> &expectations()
{
	static std::vector<std::string> errors;
	static const std::vector<ComplianceExpectation> all =
		loadComplianceExpectations(sourcePath("e2e/v4l2-compliance-expected.txt"), &errors);
	for (const std::string &e : errors)
		ADD_FAILURE() << e;
	return all;
}

class ComplianceTest : public testing::Test {
public:
	explicit ComplianceTest(ComplianceRun run) : run_(std::move(run)) {}
	void TestBody() override;

private:
	ComplianceRun run_;
};

void ComplianceTest::TestBody()
{
	ASSERT_TRUE(haveProgram("v4l2-compliance")) << "v4l-utils is not installed (run ci/bootstrap)";
	// Line-buffered stdout (coreutils' stdbuf library, preloaded after the runtime and the
	// emulator), so a crash loses nothing of what was printed.
	std::vector<std::string> flags;
	std::vector<std::pair<std::string, std::string>> env = {asanWithoutLeakChecks()};
	if (access(kStdbufLibrary, R_OK) == 0) {
		flags = {"--preload", kStdbufLibrary};
		env.emplace_back("_STDBUF_O", "L");
	}
	std::vector<std::string> program = {"v4l2-compliance"};
	program.insert(program.end(), run_.args.begin(), run_.args.end());
	RunResult r = runOnBoard(flags, program, env, 120);
	ASSERT_FALSE(r.timedOut) << r.describe() << "\n" << r.out;
	Outcome outcome = parseOutput(r);

	std::string total = outcome.total.empty()
				    ? "no summary (v4l2-compliance " + r.describe() + " in " +
					      outcome.lastTest + ")"
				    : outcome.total;
	printf("v4l2-compliance %s: %s\n", run_.name, total.c_str());
	RecordProperty("summary", total);
	if (!r.signal) {
		EXPECT_FALSE(outcome.total.empty()) << "v4l2-compliance printed no Total line\n" << r.out;
	}

	std::map<std::string, const ComplianceExpectation *> expected;
	for (const ComplianceExpectation &e : expectations())
		if (e.run == run_.name)
			expected[e.test] = &e;
	for (const std::string &test : outcome.failed) {
		auto it = expected.find(test);
		if (it == expected.end()) {
			ADD_FAILURE() << run_.name << ": \"" << test << "\" fails and is not in "
				      << "e2e/v4l2-compliance-expected.txt"
				      << (test == "crash" ? " (crashed in " + outcome.lastTest + ")"
							  : outcome.failDetails[test]);
		} else if (it->second->verdict == "emulator") {
			printf("  KNOWN EMULATOR BUG %s \"%s\": %s%s\n", run_.name, test.c_str(),
			       it->second->justification.c_str(), outcome.failDetails[test].c_str());
		} else {
			printf("  accepted %s \"%s\": %s\n", run_.name, test.c_str(),
			       it->second->justification.c_str());
		}
	}
	for (const auto &[test, e] : expected)
		if (!outcome.failed.count(test))
			ADD_FAILURE() << run_.name << ": \"" << test << "\" no longer fails: remove line "
				      << e->line << " of e2e/v4l2-compliance-expected.txt";
	if (HasFailure())
		printf("v4l2-compliance output:\n%s\nstderr:\n%s\n", r.out.c_str(), r.err.c_str());
}

[[maybe_unused]] const bool kRegistered = [] {
	const ComplianceRun runs[] = {
		{"video0", {"-d", "/dev/video0"}},
		{"video1", {"-d", "/dev/video1"}},
		{"media0", {"-M", "/dev/media0"}},
		{"media1", {"-M", "/dev/media1"}},
	};
	for (const ComplianceRun &run : runs) {
		std::string name = std::string(run.name);
		testing::RegisterTest("V4l2Compliance", name.c_str(), nullptr, nullptr, __FILE__,
				      __LINE__,
				      [run]() -> testing::Test * { return new ComplianceTest(run); });
	}
	return true;
}();

TEST(V4l2ComplianceExpectations, FileIsWellFormed)
{
	std::vector<std::string> errors;
	auto all = loadComplianceExpectations(sourcePath("e2e/v4l2-compliance-expected.txt"), &errors);
	for (const std::string &e : errors)
		ADD_FAILURE() << e;
	EXPECT_FALSE(all.empty());
	std::set<std::string> seen;
	for (const ComplianceExpectation &e : all) {
		EXPECT_TRUE(seen.insert(e.run + "|" + e.test).second)
			<< "line " << e.line << ": duplicate entry";
		EXPECT_TRUE(e.run == "video0" || e.run == "video1" || e.run == "media0" ||
			    e.run == "media1")
			<< "line " << e.line << ": unknown run " << e.run;
	}
}

} // namespace
} // namespace v4l2emu::e2e
