// SPDX-License-Identifier: MIT
#pragma once

// The corpus text format of the property rig (corpus/props/README.md): a header line
// "props <kind> v1", then one command per line; '#' starts a comment, blank lines are skipped.
// Counterexamples are written in the same format so that a failing run becomes a regression
// test by copying its file under corpus/props/<kind>/.

#include <string>
#include <vector>

namespace props {

struct CorpusLine {
	unsigned number = 0; ///< 1-based line number in the file
	std::string text;
};

struct CorpusFile {
	std::string kind;
	std::vector<CorpusLine> commands;
};

/// Reads a corpus file; false with *error for a missing file or a bad header.
bool readCorpusFile(const std::string &path, CorpusFile *out, std::string *error);

/// The files of a corpus directory (*.txt), sorted; empty if it does not exist.
std::vector<std::string> corpusFiles(const std::string &dir);

/// Where counterexamples go: $PROPS_COUNTEREXAMPLE_DIR, else ./props-counterexamples.
std::string counterexampleDir();

/// Writes (overwriting) <counterexampleDir>/<name>.txt: header, the failure as a comment,
/// the commands. Returns the path, or "" when it could not be written. The last failing run
/// of a property is rapidcheck's shrunk one, so the file ends up holding the minimal case.
std::string writeCounterexample(const std::string &name, const std::string &kind,
				const std::vector<std::string> &commands,
				const std::string &failure);

/// Splits a line into whitespace-separated tokens.
std::vector<std::string> tokens(const std::string &line);

} // namespace props
