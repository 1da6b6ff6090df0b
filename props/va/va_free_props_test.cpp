// SPDX-License-Identifier: MIT
// Free mode: any VA call sequence over the vtable (va_free.h). Every status is one the VA API
// allows for the call, success where the call was valid, the INVALID_* status for a destroyed
// ID; surfaces read back the picture decoded into them (or the one they held before a failed
// call); nothing is left after vaTerminate. corpus/props/va-free/ replays.
#include "va_free.h"

#include "support/corpus.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <rapidcheck/gtest.h>

namespace props::va {
namespace {

RC_GTEST_PROP(VaFree, AnyCallSequence, ())
{
	const FreeCommands cmds = *rc::state::gen::commands(FreeModel {}, &genFreeCommand);
	FreeModel end;
	rc::state::applyAll(cmds, end);
	RC_CLASSIFY(std::any_of(end.surfaces.begin(), end.surfaces.end(),
				[](const auto &s) { return s.decoded; }),
		    "decoded");
	const std::string failures = runFreeSequence(cmds, "VaFree.AnyCallSequence");
	if (!failures.empty())
		RC_FAIL(failures);
}

RC_GTEST_PROP(VaFreeCorpus, CommandLinesParseBackToThemselves, ())
{
	const FreeCommands cmds = *rc::state::gen::commands(FreeModel {}, &genFreeCommand);
	for (const auto &c : cmds) {
		std::ostringstream os;
		c->show(os);
		std::string error;
		auto back = parseFreeCommand(os.str(), &error);
		RC_ASSERT(back != nullptr);
		std::ostringstream again;
		back->show(again);
		RC_ASSERT(again.str() == os.str());
	}
}

class VaFreeReplay : public ::testing::TestWithParam<std::string> {};

TEST_P(VaFreeReplay, Replays)
{
	CorpusFile file;
	std::string error;
	ASSERT_TRUE(readCorpusFile(GetParam(), &file, &error)) << error;
	ASSERT_EQ(file.kind, "va-free");
	FreeCommands cmds;
	for (const CorpusLine &l : file.commands) {
		auto c = parseFreeCommand(l.text, &error);
		ASSERT_NE(c, nullptr) << GetParam() << ":" << l.number << ": " << error;
		cmds.push_back(c);
	}
	try {
		EXPECT_EQ(runFreeSequence(cmds, ""), "") << GetParam();
	} catch (const rc::detail::CaseResult &r) {
		FAIL() << GetParam() << ": not a valid sequence: " << r.description;
	}
}

std::string fileTestName(const ::testing::TestParamInfo<std::string> &info)
{
	std::string n = info.param.substr(info.param.find_last_of('/') + 1);
	n = n.substr(0, n.size() - 4);
	for (char &c : n)
		if (!isalnum(static_cast<unsigned char>(c)))
			c = '_';
	return n;
}

INSTANTIATE_TEST_SUITE_P(Corpus, VaFreeReplay,
			 ::testing::ValuesIn(corpusFiles(PROPS_CORPUS_DIR "/va-free")),
			 fileTestName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(VaFreeReplay);

} // namespace
} // namespace props::va
