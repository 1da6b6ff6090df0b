// SPDX-License-Identifier: MIT
// The seed bug: a client written the iter5b way (mini_client.h) under the property every other
// client meets ("a decoded surface reads back the picture the emulator decoded into it, and the
// client survives"), each case run in a child process so that a stale-mapping fault is a
// failing case, not a dead test binary. The tests pass when the rig catches the broken client,
// shrinks its counterexample to a short sequence (create, decode, create with another format,
// read), and when the fixed client passes. corpus/props/broken-client/ holds the shrunk case.
#include "mini_client.h"

#include "support/corpus.h"

#include "engine/picture.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <rapidcheck/state.h>

#include <linux/videodev2.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sstream>

namespace props::broken {
namespace {

struct Model {
	std::vector<bool> decoded; ///< per surface
};
using Cmd = rc::state::Command<Model, int>;
using Cmds = rc::state::Commands<Cmd>;

/// One client call; exec() runs it in the child.
class Op : public Cmd {
public:
	enum Kind { Create, Decode, Read };
	Op(Kind k, unsigned a, unsigned b = 0) : kind_(k), a_(a), b_(b) {}
	void checkPreconditions(const Model &m) const override
	{
		if (kind_ != Create)
			RC_PRE(a_ < m.decoded.size());
		if (kind_ == Read)
			RC_PRE(m.decoded[a_]); // reading a never-decoded surface proves nothing
	}
	void apply(Model &m) const override
	{
		if (kind_ == Create)
			m.decoded.insert(m.decoded.end(), b_, false);
		if (kind_ == Decode)
			m.decoded[a_] = true;
	}
	void show(std::ostream &os) const override
	{
		if (kind_ == Create)
			os << "create_surfaces " << (a_ ? "nv16" : "nv12") << " " << b_;
		else
			os << (kind_ == Decode ? "decode " : "get_image ") << a_;
	}
	/// Returns a failure ("" when the call behaved).
	std::string exec(MiniClient &c) const
	{
		switch (kind_) {
		case Create:
			c.createSurfaces(a_ ? V4L2_PIX_FMT_NV16 : V4L2_PIX_FMT_NV12, b_);
			return "";
		case Decode: return c.decode(a_) ? "decode failed" : "";
		case Read: {
			std::vector<uint8_t> nv12;
			if (c.getImage(a_, &nv12))
				return "get_image failed";
			const uint32_t w = MiniClient::kWidth, h = MiniClient::kHeight;
			std::vector<uint8_t> want(nv12.size());
			if (!c.signature(a_) ||
			    v4l2emu::expectedNv12(c.signature(a_), w, h, want.data(), w,
						  want.data() + w * h, w) ||
			    want != nv12)
				return "surface " + std::to_string(a_) +
				       " does not read back its picture";
			return "";
		}
		}
		return "";
	}

private:
	Kind kind_;
	unsigned a_, b_;
};

rc::Gen<std::shared_ptr<const Cmd>> genOp(const Model &m)
{
	return rc::gen::exec([m]() -> std::shared_ptr<const Cmd> {
		std::vector<unsigned> decoded;
		for (unsigned i = 0; i < m.decoded.size(); i++)
			if (m.decoded[i])
				decoded.push_back(i);
		const int k = *rc::gen::weightedElement<int>({ { 2, 0 }, { 4, 1 }, { 3, 2 } });
		if (k == 0 || m.decoded.empty())
			return std::make_shared<Op>(
				Op::Create,
				*rc::gen::weightedElement<unsigned>({ { 3, 0 }, { 1, 1 } }),
				*rc::gen::inRange(1u, 3u));
		if (k == 1 || decoded.empty())
			return std::make_shared<Op>(
				Op::Decode,
				*rc::gen::inRange(0u, static_cast<unsigned>(m.decoded.size())));
		return std::make_shared<Op>(Op::Read, *rc::gen::elementOf(decoded));
	});
}

std::vector<std::string> linesOf(const Cmds &cmds)
{
	std::vector<std::string> out;
	for (const auto &c : cmds) {
		std::ostringstream os;
		c->show(os);
		out.push_back(os.str());
	}
	return out;
}

/// Runs the client over the commands in a child process: "" when it survived and every read
/// matched, else what went wrong (a signal: the stale mapping faulted).
std::string runInChild(const Cmds &cmds, bool broken)
{
	int pipefd[2];
	if (pipe(pipefd))
		return "pipe failed";
	fflush(nullptr);
	const pid_t pid = fork();
	if (pid == 0) {
		close(pipefd[0]);
		v4l2emu::BoardOptions options;
		options.scheduler = v4l2emu::SchedulerMode::Deterministic;
		auto board = v4l2emu::Board::create("fresnel", options);
		std::string failure;
		{
			MiniClient client(*board, broken);
			for (size_t i = 0; i < cmds.size() && failure.empty(); i++)
				failure = static_cast<const Op &>(*cmds[i]).exec(client);
		}
		if (!failure.empty() && write(pipefd[1], failure.data(), failure.size()) < 0)
			_exit(3);
		_exit(failure.empty() ? 0 : 1);
	}
	close(pipefd[1]);
	char buf[256] = {};
	const ssize_t n = read(pipefd[0], buf, sizeof(buf) - 1);
	close(pipefd[0]);
	int status = 0;
	waitpid(pid, &status, 0);
	if (WIFSIGNALED(status))
		return std::string("the client crashed: ") + strsignal(WTERMSIG(status)) +
		       " (a read through a stale capture mapping)";
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return "";
	if (n > 0)
		return std::string(buf, static_cast<size_t>(n));
	return "the client exited with " + std::to_string(WEXITSTATUS(status)) +
	       " (a sanitizer report: a read through a stale capture mapping)";
}

void clientProperty(bool broken, const std::string &name)
{
	const Cmds cmds = *rc::state::gen::commands(Model {}, &genOp);
	const std::string failure = runInChild(cmds, broken);
	if (!failure.empty()) {
		writeCounterexample(name, "broken-client", linesOf(cmds), failure);
		RC_FAIL(failure);
	}
}

TEST(SeedBug, TheRigCatchesTheIter5bTeardownAndShrinksIt)
{
	const std::string dir = ::testing::TempDir() + "props-seed-bug";
	std::filesystem::remove_all(dir);
	setenv("PROPS_COUNTEREXAMPLE_DIR", dir.c_str(), 1);
	const bool held = rc::check("the iter5b client reads back every decoded surface",
				    [] { clientProperty(true, "broken-client"); });
	unsetenv("PROPS_COUNTEREXAMPLE_DIR");
	ASSERT_FALSE(held) << "the property did not catch the destructive capture-pool teardown";
	CorpusFile shrunk;
	std::string error;
	ASSERT_TRUE(readCorpusFile(dir + "/broken-client.txt", &shrunk, &error)) << error;
	std::string text;
	for (const CorpusLine &l : shrunk.commands)
		text += l.text + "\n";
	std::cout << "shrunk counterexample:\n" << text;
	RecordProperty("shrunk", text);
	// Minimal: surfaces, a decode, surfaces of another format (the teardown), a read.
	EXPECT_LE(shrunk.commands.size(), 5u) << text;
	EXPECT_NE(text.find("create_surfaces nv16"), std::string::npos) << text;
	EXPECT_NE(text.find("get_image"), std::string::npos) << text;
}

TEST(SeedBug, TheFixedClientHolds)
{
	const bool held = rc::check("the fixed client reads back every decoded surface",
				    [] { clientProperty(false, "fixed-client"); });
	EXPECT_TRUE(held);
}

/// The kept counterexample: the broken client fails it, the fixed one passes it.
TEST(SeedBug, CorpusCaseCatchesTheBrokenClientOnly)
{
	for (const std::string &path : corpusFiles(PROPS_CORPUS_DIR "/broken-client")) {
		CorpusFile f;
		std::string error;
		ASSERT_TRUE(readCorpusFile(path, &f, &error)) << error;
		Cmds cmds;
		for (const CorpusLine &l : f.commands) {
			std::vector<std::string> t = tokens(l.text);
			if (t.size() == 3 && t[0] == "create_surfaces")
				cmds.push_back(std::make_shared<Op>(
					Op::Create, t[1] == "nv16" ? 1u : 0u,
					static_cast<unsigned>(std::stoul(t[2]))));
			else if (t.size() == 2 && (t[0] == "decode" || t[0] == "get_image"))
				cmds.push_back(std::make_shared<Op>(
					t[0] == "decode" ? Op::Decode : Op::Read,
					static_cast<unsigned>(std::stoul(t[1]))));
			else
				FAIL() << path << ":" << l.number << ": bad line";
		}
		EXPECT_NE(runInChild(cmds, true), "")
			<< path << ": the broken client was not caught";
		EXPECT_EQ(runInChild(cmds, false), "") << path << ": the fixed client failed";
	}
}

} // namespace
} // namespace props::broken
