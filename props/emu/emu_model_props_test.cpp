// SPDX-License-Identifier: MIT
// Emulator vs model: random call sequences on two opens of the fresnel board's hantro node
// (deterministic scheduler); every return value, errno, buffer flag, request state and count
// the emulator reports must equal the model's (emu_model.h). A failing case is shrunk by
// rapidcheck and written to props-counterexamples/<test>.txt in the corpus format; files under
// corpus/props/emu-model/ replay as regression tests.
#include "emu_commands.h"

#include "support/check.h"
#include "support/corpus.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace props::emu {
namespace {

RC_GTEST_PROP(EmulatorVsModel, HantroTwoOpensDeterministic, ())
{
	const EmuCommands cmds = *rc::state::gen::commands(EmuModel {}, &genEmuCommand);
	// The corpus format: every command's line parses back to the same command.
	for (const auto &c : cmds) {
		std::ostringstream os, again;
		c->show(os);
		std::string error;
		auto back = parseEmuCommand(os.str(), &error);
		RC_ASSERT(back != nullptr);
		back->show(again);
		RC_ASSERT(again.str() == os.str());
	}
	EmuModel end;
	rc::state::applyAll(cmds, end);
	RC_CLASSIFY(end.jobs > 0, "decoded");
	RC_CLASSIFY(
		std::any_of(end.reqs.begin(), end.reqs.end(),
			    [](const RequestModel &r) { return r.state == ReqState::Complete; }),
		"request completed");
	runEmuSequence(cmds, "EmulatorVsModel.HantroTwoOpensDeterministic");
}

/// The generator reaches the states the property is about (a property that never gets there
/// proves nothing): sampled with fixed seeds, independent of RC_PARAMS.
TEST(EmulatorVsModelCoverage, GeneratedSequencesReachEveryState)
{
	unsigned decoded = 0, completed = 0, zombie = 0, orphaned = 0, prepared = 0,
		 twoContexts = 0;
	for (uint64_t seed = 1; seed <= 120; seed++) {
		auto shrinkable =
			rc::state::gen::commands(EmuModel {}, &genEmuCommand)(rc::Random(seed), 80);
		EmuCommands cmds = shrinkable.value();
		EmuModel m;
		bool z = false, o = false, p = false, two = false;
		for (const auto &c : cmds) {
			c->checkPreconditions(m);
			c->apply(m);
			int alive = 0;
			for (const ContextModel &ctx : m.ctxs) {
				alive += ctx.alive;
				z |= ctx.alive && !ctx.fdOpen;
				for (const QueueModel &q : ctx.q)
					for (const BufferModel &b : q.bufs)
						p |= b.prepared && b.synced &&
						     b.state == BufState::InRequest;
			}
			two |= alive >= 2;
			o |= m.liveMemory() > m.liveBuffers();
		}
		decoded += m.jobs > 0;
		completed += std::any_of(m.reqs.begin(), m.reqs.end(), [](const RequestModel &r) {
			return r.state == ReqState::Complete;
		});
		zombie += z;
		orphaned += o;
		prepared += p;
		twoContexts += two;
	}
	EXPECT_GE(decoded, 20u) << "sequences that ran a decode job";
	EXPECT_GE(completed, 15u) << "sequences with a completed request";
	EXPECT_GE(zombie, 5u) << "sequences with a closed-but-mapped context";
	EXPECT_GE(orphaned, 5u) << "sequences with orphaned mapped memory";
	EXPECT_GE(twoContexts, 20u) << "sequences with both opens alive";
	RecordProperty("decoded", decoded);
	RecordProperty("completed", completed);
	RecordProperty("prepared_in_request", prepared);
}

// --- the corpus ------------------------------------------------------------------------------

class EmuCorpusReplay : public ::testing::TestWithParam<std::string> {};

TEST_P(EmuCorpusReplay, Replays)
{
	CorpusFile file;
	std::string error;
	ASSERT_TRUE(readCorpusFile(GetParam(), &file, &error)) << error;
	ASSERT_EQ(file.kind, "emu-model") << GetParam();
	EmuCommands cmds;
	for (const CorpusLine &l : file.commands) {
		auto c = parseEmuCommand(l.text, &error);
		ASSERT_NE(c, nullptr) << GetParam() << ":" << l.number << ": " << error;
		cmds.push_back(c);
	}
	try {
		runEmuSequence(cmds, "");
	} catch (const rc::detail::CaseResult &r) {
		if (r.type == rc::detail::CaseResult::Type::Success) {
			RecordProperty("known_divergence", r.description); // ended at one
			return;
		}
		FAIL() << GetParam() << ": "
		       << (r.type == rc::detail::CaseResult::Type::Discard
				   ? "not a valid sequence: "
				   : "")
		       << r.description;
	}
}

std::string corpusTestName(const ::testing::TestParamInfo<std::string> &info)
{
	std::string n = info.param.substr(info.param.find_last_of('/') + 1);
	n = n.substr(0, n.size() - 4);
	for (char &c : n)
		if (!isalnum(static_cast<unsigned char>(c)))
			c = '_';
	return n;
}

INSTANTIATE_TEST_SUITE_P(Corpus, EmuCorpusReplay,
			 ::testing::ValuesIn(corpusFiles(PROPS_CORPUS_DIR "/emu-model")),
			 corpusTestName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(EmuCorpusReplay);

} // namespace
} // namespace props::emu
