// SPDX-License-Identifier: MIT
// The VA driver under generated consumer patterns (consumer-patterns.md §2-§6, properties of
// §8): for every consumer, random stream lengths, sizes, codecs, readback methods, downstream
// lags, reader threads and schedulers; no crash (run under asan), every status allowed for its
// call and successful, every read-back surface holds the picture the emulator decoded into it,
// no emulator diagnostic, nothing left after vaTerminate. The Faults suite draws a fault plan
// too: errors are tolerated inside the fault window, what was decoded before stays, and the
// stream decodes again after it. Counterexamples go to props-counterexamples/ in the corpus
// format; corpus/props/va-consumer/ replays.
#include "consumers.h"
#include "known_bugs.h"

#include "support/corpus.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace props::va {
namespace {

void property(Consumer c, bool faults, const char *name)
{
	const ConsumerParams p = *genConsumerParams(c, faults);
	RC_TAG(p.codec, toString(p.readback));
	const std::string failures = runConsumerCase(p, "");
	if (failures.empty())
		return;
	if (const KnownDivergence *bug = knownDriverBug(p, failures))
		knownDivergence(*bug, p.line() + "\n" + failures);
	writeCounterexample(name, "va-consumer", { p.line() },
			    failures); // the last one is the shrunk one
	RC_FAIL(p.line() + "\n" + failures);
}

#define PROPS_CONSUMER(Suite, Name, consumer, faults)                                              \
	RC_GTEST_PROP(Suite, Name, ())                                                             \
	{                                                                                          \
		property(consumer, faults, #Suite "." #Name);                                      \
	}

#ifdef PROPS_SUITE_CONSUMERS
PROPS_CONSUMER(VaConsumers, Ffmpeg51, Consumer::Ff51, false)
PROPS_CONSUMER(VaConsumers, Ffmpeg71DynamicPool, Consumer::Ffm, false)
PROPS_CONSUMER(VaConsumers, MpvProbeAndExport, Consumer::Mpv, false)
PROPS_CONSUMER(VaConsumers, GstreamerVa, Consumer::GstVa, false)
PROPS_CONSUMER(VaConsumers, Chromium, Consumer::Chromium, false)
PROPS_CONSUMER(VaConsumers, Kodi, Consumer::Kodi, false)
PROPS_CONSUMER(VaConsumers, GstreamerVaapi, Consumer::GstVaapi, false)
PROPS_CONSUMER(VaConsumers, LibvaUtils, Consumer::LibvaUtils, false)
#endif

#ifdef PROPS_SUITE_FAULTS

PROPS_CONSUMER(VaConsumerFaults, Ffmpeg51, Consumer::Ff51, true)
PROPS_CONSUMER(VaConsumerFaults, Ffmpeg71DynamicPool, Consumer::Ffm, true)
PROPS_CONSUMER(VaConsumerFaults, MpvProbeAndExport, Consumer::Mpv, true)
PROPS_CONSUMER(VaConsumerFaults, GstreamerVa, Consumer::GstVa, true)
PROPS_CONSUMER(VaConsumerFaults, Chromium, Consumer::Chromium, true)
PROPS_CONSUMER(VaConsumerFaults, Kodi, Consumer::Kodi, true)
PROPS_CONSUMER(VaConsumerFaults, GstreamerVaapi, Consumer::GstVaapi, true)
PROPS_CONSUMER(VaConsumerFaults, LibvaUtils, Consumer::LibvaUtils, true)
#endif

#ifdef PROPS_SUITE_CONSUMERS

RC_GTEST_PROP(VaConsumerCorpus, ParametersParseBackToThemselves, ())
{
	const Consumer c = *rc::gen::elementOf(
		std::vector<Consumer>(std::begin(kConsumers), std::end(kConsumers)));
	const ConsumerParams p = *genConsumerParams(c, *rc::gen::arbitrary<bool>());
	std::string error;
	auto back = ConsumerParams::parse(p.line(), &error);
	RC_ASSERT(back.has_value());
	RC_ASSERT(back->line() == p.line());
}

class VaConsumerReplay : public ::testing::TestWithParam<std::string> {};

TEST_P(VaConsumerReplay, Replays)
{
	CorpusFile file;
	std::string error;
	ASSERT_TRUE(readCorpusFile(GetParam(), &file, &error)) << error;
	ASSERT_EQ(file.kind, "va-consumer");
	for (const CorpusLine &l : file.commands) {
		auto p = ConsumerParams::parse(l.text, &error);
		ASSERT_TRUE(p.has_value()) << GetParam() << ":" << l.number << ": " << error;
		const std::string failures = runConsumerCase(*p, "");
		const KnownDivergence *bug = knownDriverBug(*p, failures);
		if (!failures.empty() && bug && !strictMode()) {
			RecordProperty("known_bug", bug->id);
			continue;
		}
		EXPECT_EQ(failures, "") << GetParam() << ":" << l.number << ": " << l.text;
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

INSTANTIATE_TEST_SUITE_P(Corpus, VaConsumerReplay,
			 ::testing::ValuesIn(corpusFiles(PROPS_CORPUS_DIR "/va-consumer")),
			 fileTestName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(VaConsumerReplay);
#endif

} // namespace
} // namespace props::va
