// SPDX-License-Identifier: MIT
// Request fd commands, the board counts, the parser and generator over every command, and the
// sequence runner that saves counterexamples.
#include "emu_command_base.h"

#include "emu_divergences.h"

#include "support/corpus.h"

#include <poll.h>

#include <algorithm>
#include <map>

namespace props::emu {

namespace {

class ReqAllocCmd final : public Cmd {
public:
	explicit ReqAllocCmd(int rs) : rs_(rs) {}
	void checkPreconditions(const EmuModel &m) const override { RC_PRE(m.reqSlots[rs_] < 0); }
	void apply(EmuModel &m) const override { m.requestAlloc(rs_); }
	void run(const EmuModel &, EmuSut &sut) const override
	{
		expectEq(line(), sut.requestAlloc(rs_).ret, 0);
	}
	std::string line() const override { return "req_alloc " + std::to_string(rs_); }

private:
	int rs_;
};

enum class ReqOp { Queue, Reinit, Close };

class ReqOpCmd final : public Cmd {
public:
	ReqOpCmd(ReqOp op, int rs) : op_(op), rs_(rs) {}
	void checkPreconditions(const EmuModel &m) const override { RC_PRE(m.reqSlots[rs_] >= 0); }
	void apply(EmuModel &m) const override { call(m); }
	void run(const EmuModel &s0, EmuSut &sut) const override
	{
		EmuModel m = s0;
		const int want = call(m).ret;
		const int got = op_ == ReqOp::Queue    ? sut.requestQueue(rs_).ret
				: op_ == ReqOp::Reinit ? sut.requestReinit(rs_).ret
						       : sut.requestClose(rs_).ret;
		expectEq(line(), got, want);
	}
	std::string line() const override
	{
		static const char *const names[] = { "req_queue ", "req_reinit ", "req_close " };
		return names[static_cast<int>(op_)] + std::to_string(rs_);
	}

private:
	Observed call(EmuModel &m) const
	{
		switch (op_) {
		case ReqOp::Queue: return m.requestQueue(rs_);
		case ReqOp::Reinit: return m.requestReinit(rs_);
		default: return m.requestClose(rs_);
		}
	}
	ReqOp op_;
	int rs_;
};

class ReqPollCmd final : public Cmd {
public:
	ReqPollCmd(int rs, bool pri) : rs_(rs), pri_(pri) {}
	void checkPreconditions(const EmuModel &m) const override { RC_PRE(m.reqSlots[rs_] >= 0); }
	void run(const EmuModel &s0, EmuSut &sut) const override
	{
		Observed want = s0.requestPoll(rs_, pri_);
		Observed got = sut.requestPoll(rs_, pri_);
		expectEq(line(), got.ret, want.ret);
		expectFlags(line() + ": revents", static_cast<uint16_t>(got.revents),
			    static_cast<uint16_t>(want.revents));
	}
	std::string line() const override
	{
		return "req_poll " + std::to_string(rs_) + (pri_ ? " pri" : " in");
	}

private:
	int rs_;
	bool pri_;
};

/// Board::stats() against the model's counts: contexts (closed-but-mapped ones included),
/// buffers, requests alive, open fds, mappings and plane memory (owned or orphaned).
class StatsCmd final : public Cmd {
public:
	void run(const EmuModel &s0, EmuSut &sut) const override
	{
		v4l2emu::DeviceStats d = sut.deviceStats();
		v4l2emu::BoardStats b = sut.board().stats();
		expectEq("stats: contexts", static_cast<long long>(d.openContexts),
			 static_cast<long long>(s0.liveContexts()));
		expectEq("stats: buffers", static_cast<long long>(d.liveBuffers),
			 static_cast<long long>(s0.liveBuffers()));
		expectEq("stats: requests", static_cast<long long>(d.liveRequests),
			 static_cast<long long>(s0.liveRequests()));
		expectEq("stats: fds", static_cast<long long>(b.openFds),
			 static_cast<long long>(s0.openFds()));
		expectEq("stats: mappings", static_cast<long long>(b.liveMappings),
			 static_cast<long long>(s0.maps.size()));
		expectEq("stats: plane memory", static_cast<long long>(b.liveMemory),
			 static_cast<long long>(s0.liveMemory()));
	}
	std::string line() const override { return "stats"; }
};

bool parseRequestSlot(const std::vector<std::string> &t, int *rs, std::string *error)
{
	auto n = t.size() >= 2 ? parseUint(t[1]) : std::nullopt;
	if (!n || *n >= kRequestSlots) {
		*error = "bad request slot";
		return false;
	}
	*rs = static_cast<int>(*n);
	return true;
}

CmdPtr reqOp(ReqOp op, const std::vector<std::string> &t, std::string *error)
{
	int rs;
	if (!parseRequestSlot(t, &rs, error) || t.size() != 2) {
		*error = "expected <op> <request slot>";
		return nullptr;
	}
	return std::make_shared<ReqOpCmd>(op, rs);
}

} // namespace

CmdPtr makeReqAlloc(int reqSlot)
{
	return std::make_shared<ReqAllocCmd>(reqSlot);
}

CmdPtr makeReqQueue(int reqSlot)
{
	return std::make_shared<ReqOpCmd>(ReqOp::Queue, reqSlot);
}

CmdPtr makeReqReinit(int reqSlot)
{
	return std::make_shared<ReqOpCmd>(ReqOp::Reinit, reqSlot);
}

CmdPtr genReqAlloc(const EmuModel &m)
{
	return std::make_shared<ReqAllocCmd>(pickRequestSlot(m, false));
}

CmdPtr parseReqAlloc(const std::vector<std::string> &t, std::string *error)
{
	int rs;
	return parseRequestSlot(t, &rs, error) ? std::make_shared<ReqAllocCmd>(rs) : nullptr;
}

CmdPtr genReqQueue(const EmuModel &m)
{
	return std::make_shared<ReqOpCmd>(
		ReqOp::Queue, pickRequest(m, [](const RequestModel &r) {
			return r.state == ReqState::Idle &&
			       std::any_of(r.objects.begin(), r.objects.end(),
					   [](const RequestObject &o) { return o.isBuffer; });
		}));
}

CmdPtr parseReqQueue(const std::vector<std::string> &t, std::string *error)
{
	return reqOp(ReqOp::Queue, t, error);
}

CmdPtr genReqReinit(const EmuModel &m)
{
	return std::make_shared<ReqOpCmd>(ReqOp::Reinit, pickRequest(m, [](const RequestModel &r) {
						  return r.state == ReqState::Complete;
					  }));
}

CmdPtr parseReqReinit(const std::vector<std::string> &t, std::string *error)
{
	return reqOp(ReqOp::Reinit, t, error);
}

CmdPtr genReqClose(const EmuModel &m)
{
	return std::make_shared<ReqOpCmd>(ReqOp::Close, pickRequestSlot(m, true));
}

CmdPtr parseReqClose(const std::vector<std::string> &t, std::string *error)
{
	return reqOp(ReqOp::Close, t, error);
}

CmdPtr genReqPoll(const EmuModel &m)
{
	const int rs = pickRequestSlot(m, true);
	return std::make_shared<ReqPollCmd>(
		rs, *rc::gen::weightedElement<bool>({ { 5, true }, { 1, false } }));
}

CmdPtr parseReqPoll(const std::vector<std::string> &t, std::string *error)
{
	int rs;
	if (!parseRequestSlot(t, &rs, error) || t.size() != 3 || (t[2] != "pri" && t[2] != "in")) {
		*error = "expected req_poll <request slot> pri|in";
		return nullptr;
	}
	return std::make_shared<ReqPollCmd>(rs, t[2] == "pri");
}

CmdPtr genStats(const EmuModel &)
{
	return std::make_shared<StatsCmd>();
}

CmdPtr parseStats(const std::vector<std::string> &t, std::string *error)
{
	if (t.size() != 1) {
		*error = "stats takes no argument";
		return nullptr;
	}
	return std::make_shared<StatsCmd>();
}

// --- parser, generator, runner --------------------------------------------------------------

namespace {

using Parser = CmdPtr (*)(const std::vector<std::string> &, std::string *);
using Generator = CmdPtr (*)(const EmuModel &);

struct CommandKind {
	const char *name;
	Parser parse;
	Generator gen;
	unsigned weight;
};

// Weights: the calls that move buffers and requests through their states dominate; the
// checking calls (querybuf, poll, stats) come often enough to observe each state.
const CommandKind kKinds[] = {
	{ "open", parseOpen, genOpen, 3 },
	{ "close", parseClose, genClose, 1 },
	{ "s_fmt", parseSFmt, genSFmt, 2 },
	{ "g_fmt", parseGFmt, genGFmt, 1 },
	{ "reqbufs", parseReqbufs, genReqbufs, 4 },
	{ "create_bufs", parseCreateBufs, genCreateBufs, 2 },
	{ "querybuf", parseQuerybuf, genQuerybuf, 4 },
	{ "qbuf", parseQbuf, genQbuf, 9 },
	{ "dqbuf", parseDqbuf, genDqbuf, 5 },
	{ "streamon", parseStreamon, genStreamon, 4 },
	{ "streamoff", parseStreamoff, genStreamoff, 1 },
	{ "s_ext_ctrls", parseSetControls, genSetControls, 4 },
	{ "mmap", parseMmap, genMmap, 3 },
	{ "munmap", parseMunmap, genMunmap, 2 },
	{ "req_alloc", parseReqAlloc, genReqAlloc, 3 },
	{ "req_queue", parseReqQueue, genReqQueue, 5 },
	{ "req_reinit", parseReqReinit, genReqReinit, 2 },
	{ "req_close", parseReqClose, genReqClose, 1 },
	{ "req_poll", parseReqPoll, genReqPoll, 3 },
	{ "stats", parseStats, genStats, 2 },
	{ "", nullptr, genProgress, 40 }, // generation only: the next step of a decode
};

} // namespace

std::shared_ptr<const EmuCommand> parseEmuCommand(const std::string &line, std::string *error)
{
	std::vector<std::string> t = tokens(line);
	if (t.empty()) {
		*error = "empty line";
		return nullptr;
	}
	for (const CommandKind &k : kKinds)
		if (k.parse && t[0] == k.name)
			return k.parse(t, error);
	*error = "unknown command " + t[0];
	return nullptr;
}

rc::Gen<std::shared_ptr<const EmuCommand>> genEmuCommand(const EmuModel &model)
{
	return rc::gen::exec([model] {
		unsigned total = 0;
		for (const CommandKind &k : kKinds)
			total += k.weight;
		unsigned pick = *rc::gen::inRange<unsigned>(0, total);
		for (const CommandKind &k : kKinds) {
			if (pick < k.weight)
				return k.gen(model);
			pick -= k.weight;
		}
		return genStats(model);
	});
}

void runEmuSequence(const EmuCommands &cmds, const std::string &saveAs)
{
	EmuSut sut;
	RC_ASSERT(sut.ready());
	EmuModel state;
	size_t i = 0;
	try {
		for (; i < cmds.size(); i++) {
			cmds[i]->checkPreconditions(state);
			cmds[i]->run(state, sut);
			const uint32_t before = state.quirks;
			cmds[i]->apply(state);
			for (const QuirkDivergence &d : kDivergences) {
				if ((state.quirks & d.bit) && !(before & d.bit)) {
					std::ostringstream os;
					cmds[i]->show(os);
					knownDivergence(d.divergence, "at \"" + os.str() + "\"");
				}
			}
		}
	} catch (const rc::detail::CaseResult &result) {
		if (result.type == rc::detail::CaseResult::Type::Failure && !saveAs.empty()) {
			std::vector<std::string> lines;
			for (size_t k = 0; k <= i && k < cmds.size(); k++) {
				std::ostringstream os;
				cmds[k]->show(os);
				lines.push_back(os.str());
			}
			writeCounterexample(saveAs, "emu-model", lines,
					    "fails at line " + std::to_string(i + 1) + ": " +
						    result.description);
		}
		throw;
	}
}

} // namespace props::emu
