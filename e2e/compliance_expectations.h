// SPDX-License-Identifier: MIT
#pragma once

// e2e/v4l2-compliance-expected.txt: the v4l2-compliance checks that fail on the emulated
// board, each with its verdict and a one-line justification (format in the file's header).

#include <string>
#include <vector>

namespace v4l2emu::e2e {

struct ComplianceExpectation {
	std::string run;		///< video0, video1, media0, media1
	std::string test;		///< as printed after "test " and before ": FAIL", or "crash"
	std::string verdict;		///< "kernel" (accepted) or "emulator" (a known emulator bug)
	std::string justification;
	int line = 0;
};

/// Parses the file; malformed lines are reported in *errors (one entry each).
std::vector<ComplianceExpectation> loadComplianceExpectations(const std::string &path,
							      std::vector<std::string> *errors);

} // namespace v4l2emu::e2e
