// SPDX-License-Identifier: MIT
#include "compliance_expectations.h"

#include <fstream>

namespace v4l2emu::e2e {

namespace {

std::string trimmed(const std::string &s)
{
	size_t b = s.find_first_not_of(" \t");
	size_t e = s.find_last_not_of(" \t\r");
	return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

} // namespace

std::vector<ComplianceExpectation> loadComplianceExpectations(const std::string &path,
							      std::vector<std::string> *errors)
{
	std::vector<ComplianceExpectation> out;
	std::ifstream in(path);
	if (!in) {
		errors->push_back("cannot read " + path);
		return out;
	}
	std::string line;
	int number = 0;
	while (std::getline(in, line)) {
		number++;
		if (trimmed(line).empty() || trimmed(line)[0] == '#')
			continue;
		std::vector<std::string> fields;
		size_t start = 0;
		// The justification is the rest of the line: it may contain '|'.
		for (int i = 0; i < 3; i++) {
			size_t bar = line.find('|', start);
			if (bar == std::string::npos)
				break;
			fields.push_back(trimmed(line.substr(start, bar - start)));
			start = bar + 1;
		}
		fields.push_back(trimmed(line.substr(start)));
		std::string where = path + ":" + std::to_string(number) + ": ";
		if (fields.size() != 4) {
			errors->push_back(where + "expected run | test | verdict | justification");
			continue;
		}
		ComplianceExpectation e{fields[0], fields[1], fields[2], fields[3], number};
		if (e.run.empty() || e.test.empty())
			errors->push_back(where + "empty run or test");
		else if (e.verdict != "kernel" && e.verdict != "emulator")
			errors->push_back(where + "verdict must be kernel or emulator, not '" + e.verdict + "'");
		else if (e.justification.size() < 20)
			errors->push_back(where + "the justification is missing or too short");
		else
			out.push_back(e);
	}
	return out;
}

} // namespace v4l2emu::e2e
