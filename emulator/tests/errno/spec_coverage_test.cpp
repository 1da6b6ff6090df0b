// SPDX-License-Identifier: MIT
// Every row of the errno tables in shared/spec/kernel-semantics.md (§2-§6) has a test named
// `<Suite>.Row<N>_...` in this binary, and no test claims a row the spec does not have.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct TableAnchor {
	const char *anchor;	// a substring of a line before the table
	const char *suite;
	bool headerIsRow;	// the table's header line is itself a rule
};

const TableAnchor kTables[] = {
	{"**VIDIOC_REQBUFS**", "Reqbufs", false},
	{"**VIDIOC_CREATE_BUFS**", "CreateBufs", false},
	{"**VIDIOC_PREPARE_BUF**", "PrepareBuf", false},
	{"**VIDIOC_QBUF**", "Qbuf", false},
	{"**VIDIOC_DQBUF**", "Dqbuf", false},
	{"**VIDIOC_STREAMON**", "Streamon", false},
	{"**VIDIOC_REMOVE_BUFS**", "RemoveBufs", true},
	{"### 2.2 Format ioctls", "FormatIoctls", false},
	{"### 2.3 Other video-node ioctls", "OtherIoctls", false},
	{"### 2.4 Media-device and request-fd ioctls", "MediaIoctls", false},
	{"### 3.1 States", "RequestStates", false},
	{"Validation per driver", "RequestValidate", false},
	{"### 4.1 vb2 buffer states", "BufferStates", false},
	{"### 5.1 EBUSY matrix", "SFmtBusy", false},
	{"### 6.3 S/G/TRY_EXT_CTRLS errno rules", "ExtCtrls", false},
};

std::string specPath()
{
	if (const char *env = getenv("V4L2VA_SPEC_DIR"))
		return std::string(env) + "/kernel-semantics.md";
	return V4L2VA_SPEC_DIR "/kernel-semantics.md";
}

/// Number of rules in the table following the anchor line.
int countRows(const std::vector<std::string> &lines, const TableAnchor &t)
{
	size_t i = 0;
	while (i < lines.size() && lines[i].find(t.anchor) == std::string::npos)
		i++;
	if (i == lines.size())
		return -1;
	for (i++; i < lines.size() && (lines[i].empty() || lines[i][0] != '|'); i++)
		if (lines[i][0] == '#')
			return -1;	// the next section started: no table here
	int rows = t.headerIsRow ? 1 : 0;
	i += 2;	// header and separator
	while (i < lines.size() && !lines[i].empty() && lines[i][0] == '|') {
		rows++;
		i++;
	}
	return rows;
}

TEST(SpecCoverage, EveryErrnoTableRowHasATest)
{
	std::ifstream in(specPath());
	if (!in)
		GTEST_SKIP() << "spec not found at " << specPath() << " (set V4L2VA_SPEC_DIR)";
	std::vector<std::string> lines;
	for (std::string line; std::getline(in, line);)
		lines.push_back(line);

	// Rows claimed by tests: Suite -> {N}.
	std::map<std::string, std::set<int>> claimed;
	const auto *unit = ::testing::UnitTest::GetInstance();
	for (int s = 0; s < unit->total_test_suite_count(); s++) {
		const auto *suite = unit->GetTestSuite(s);
		for (int t = 0; t < suite->total_test_count(); t++) {
			std::string name = suite->GetTestInfo(t)->name();
			if (name.rfind("Row", 0) != 0)
				continue;
			claimed[suite->name()].insert(atoi(name.c_str() + 3));
		}
	}

	int total = 0, covered = 0;
	std::ostringstream report;
	for (const TableAnchor &t : kTables) {
		int rows = countRows(lines, t);
		ASSERT_GT(rows, 0) << "table '" << t.anchor << "' not found in the spec";
		total += rows;
		const std::set<int> &have = claimed[t.suite];
		for (int r = 1; r <= rows; r++) {
			if (have.count(r))
				covered++;
			else
				ADD_FAILURE() << t.suite << ".Row" << r << "_*: no test for row " << r
					      << " of the table after '" << t.anchor << "'";
		}
		for (int r : have)
			EXPECT_LE(r, rows) << t.suite << ".Row" << r << " names a row the spec lacks";
		report << "  " << t.suite << ": " << have.size() << "/" << rows << "\n";
	}
	std::cout << "spec rows covered: " << covered << "/" << total << "\n" << report.str();
}

} // namespace
