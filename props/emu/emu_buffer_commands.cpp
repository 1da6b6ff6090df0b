// SPDX-License-Identifier: MIT
// The buffer-exchange commands (QBUF, DQBUF, streaming, controls, mappings) and genProgress,
// the generator of the next step of a decode. Each run() computes the model's answer on a
// copy of the state before the command and compares every value the emulator hands back.
#include "emu_command_base.h"

#include <sys/mman.h>

#include <algorithm>

namespace props::emu {

namespace {

class QbufCmd final : public Cmd {
public:
	QbufCmd(int slot, Dir dir, uint32_t index, int reqArg)
	    : slot_(slot), dir_(dir), index_(index), reqArg_(reqArg)
	{}
	void checkPreconditions(const EmuModel &m) const override
	{
		RC_PRE(m.slots[slot_] >= 0);
		RC_PRE(requestTakesContext(m, reqArg_, slot_));
	}
	void apply(EmuModel &m) const override { m.qbuf(slot_, dir_, index_, reqArg_); }
	void run(const EmuModel &s0, EmuSut &sut) const override
	{
		EmuModel m = s0;
		Observed want = m.qbuf(slot_, dir_, index_, reqArg_);
		int replyFd = -1;
		Observed got = sut.qbuf(slot_, dir_, index_, reqArg_, &replyFd);
		expectEq(line(), got.ret, want.ret);
		if (got.ret)
			return;
		expectFlags(line() + ": flags", got.flags, want.flags);
		expectEq(line() + ": request_fd", replyFd, sut.requestFdOf(want.requestId));
	}
	std::string line() const override
	{
		return "qbuf " + slotDir(slot_, dir_) + " " + std::to_string(index_) +
		       (reqArg_ >= 0 ? " " + requestArgName(reqArg_) : "");
	}

private:
	int slot_;
	Dir dir_;
	uint32_t index_;
	int reqArg_;
};

class DqbufCmd final : public Cmd {
public:
	DqbufCmd(int slot, Dir dir) : slot_(slot), dir_(dir) {}
	void checkPreconditions(const EmuModel &m) const override { RC_PRE(m.slots[slot_] >= 0); }
	void apply(EmuModel &m) const override { m.dqbuf(slot_, dir_); }
	void run(const EmuModel &s0, EmuSut &sut) const override
	{
		EmuModel m = s0;
		Observed want = m.dqbuf(slot_, dir_);
		int replyFd = -1;
		Observed got = sut.dqbuf(slot_, dir_, &replyFd);
		expectEq(line(), got.ret, want.ret);
		if (got.ret)
			return;
		expectEq(line() + ": index", got.count, want.count);
		expectFlags(line() + ": flags", got.flags, want.flags);
		expectEq(line() + ": request_fd", replyFd, sut.requestFdOf(want.requestId));
	}
	std::string line() const override { return "dqbuf " + slotDir(slot_, dir_); }

private:
	int slot_;
	Dir dir_;
};

class StreamCmd final : public Cmd {
public:
	StreamCmd(int slot, Dir dir, bool on) : slot_(slot), dir_(dir), on_(on) {}
	void checkPreconditions(const EmuModel &m) const override { RC_PRE(m.slots[slot_] >= 0); }
	void apply(EmuModel &m) const override
	{
		on_ ? m.streamon(slot_, dir_) : m.streamoff(slot_, dir_);
	}
	void run(const EmuModel &s0, EmuSut &sut) const override
	{
		EmuModel m = s0;
		Observed want = on_ ? m.streamon(slot_, dir_) : m.streamoff(slot_, dir_);
		Observed got = on_ ? sut.streamon(slot_, dir_) : sut.streamoff(slot_, dir_);
		expectEq(line(), got.ret, want.ret);
	}
	std::string line() const override
	{
		return std::string(on_ ? "streamon " : "streamoff ") + slotDir(slot_, dir_);
	}

private:
	int slot_;
	Dir dir_;
	bool on_;
};

class SetControlsCmd final : public Cmd {
public:
	SetControlsCmd(int slot, int reqArg, bool valid)
	    : slot_(slot), reqArg_(reqArg), valid_(valid)
	{}
	void checkPreconditions(const EmuModel &m) const override
	{
		RC_PRE(m.slots[slot_] >= 0);
		RC_PRE((reqArg_ < 0 || reqArg_ >= kRequestSlots || m.reqSlots[reqArg_] >= 0));
	}
	void apply(EmuModel &m) const override { m.setControls(slot_, reqArg_, valid_); }
	void run(const EmuModel &s0, EmuSut &sut) const override
	{
		EmuModel m = s0;
		expectEq(line(), sut.setControls(slot_, reqArg_, valid_).ret,
			 m.setControls(slot_, reqArg_, valid_).ret);
	}
	std::string line() const override
	{
		return "s_ext_ctrls " + std::to_string(slot_) + " " +
		       (reqArg_ < 0 ? std::string("cur") : requestArgName(reqArg_)) +
		       (valid_ ? " valid" : " invalid");
	}

private:
	int slot_;
	int reqArg_;
	bool valid_;
};

// --- mappings -------------------------------------------------------------------------------

const char *const kProtNames[] = { "rw", "r", "w" };
const int kProts[] = { PROT_READ | PROT_WRITE, PROT_READ, PROT_WRITE };

class MmapCmd final : public Cmd {
public:
	MmapCmd(int slot, Dir dir, uint32_t index, int prot, bool oversize)
	    : slot_(slot), dir_(dir), index_(index), prot_(prot), oversize_(oversize)
	{}
	void checkPreconditions(const EmuModel &m) const override { RC_PRE(m.slots[slot_] >= 0); }
	void apply(EmuModel &m) const override
	{
		m.mmap(slot_, dir_, index_, kProts[prot_], oversize_);
	}
	void run(const EmuModel &s0, EmuSut &sut) const override
	{
		EmuModel m = s0;
		Observed want = m.mmap(slot_, dir_, index_, kProts[prot_], oversize_);
		const auto &bufs = s0.context(slot_)->queue(dir_).bufs;
		const uint32_t length = index_ < bufs.size() ? bufs[index_].length : 0;
		expectEq(line(),
			 sut.mmap(slot_, dir_, index_, kProts[prot_], oversize_, length).ret,
			 want.ret);
	}
	std::string line() const override
	{
		return "mmap " + slotDir(slot_, dir_) + " " + std::to_string(index_) + " " +
		       kProtNames[prot_] + (oversize_ ? " oversize" : "");
	}

private:
	int slot_;
	Dir dir_;
	uint32_t index_;
	int prot_;
	bool oversize_;
};

class MunmapCmd final : public Cmd {
public:
	explicit MunmapCmd(size_t pos) : pos_(pos) {}
	void checkPreconditions(const EmuModel &m) const override { RC_PRE(pos_ < m.maps.size()); }
	void apply(EmuModel &m) const override { m.munmap(pos_); }
	void run(const EmuModel &, EmuSut &sut) const override
	{
		expectEq(line(), sut.munmap(pos_).ret, 0);
	}
	std::string line() const override { return "munmap " + std::to_string(pos_); }

private:
	size_t pos_;
};

} // namespace

CmdPtr genQbuf(const EmuModel &m)
{
	const auto [slot, dir] = pickQueue(m, [](const ContextModel &c, Dir d) {
		return std::any_of(
			c.queue(d).bufs.begin(), c.queue(d).bufs.end(),
			[](const BufferModel &b) { return b.state == BufState::Dequeued; });
	});
	const uint32_t index = pickBuffer(m, slot, dir, BufState::Dequeued);
	std::vector<int> live, empty;
	for (int r = 0; r < kRequestSlots; r++) {
		if (m.reqSlots[r] < 0 || !requestTakesContext(m, r, slot))
			continue;
		live.push_back(r);
		const RequestModel &req = m.reqs[m.reqSlots[r]];
		if (req.state == ReqState::Idle &&
		    std::none_of(req.objects.begin(), req.objects.end(),
				 [](const RequestObject &o) { return o.isBuffer; }))
			empty.push_back(r);
	}
	if (!empty.empty() && *rc::gen::weightedElement<bool>({ { 3, true }, { 1, false } }))
		live = empty;
	// OUTPUT takes requests (plain QBUF is refused), CAPTURE plain QBUF (requests refused).
	const bool usual = *rc::gen::weightedElement<bool>({ { 9, true }, { 1, false } });
	int reqArg = -1;
	if ((dir == Dir::Out) == usual) {
		if (!live.empty() && *rc::gen::weightedElement<bool>({ { 9, true }, { 1, false } }))
			reqArg = *rc::gen::elementOf(live);
		else
			reqArg = *rc::gen::element(EmuModel::kBadFd, EmuModel::kMediaFd);
	}
	return std::make_shared<QbufCmd>(slot, dir, index, reqArg);
}

CmdPtr parseQbuf(const std::vector<std::string> &t, std::string *error)
{
	int slot;
	Dir dir;
	if (!parseSlotDir(t, &slot, &dir, error))
		return nullptr;
	auto n = t.size() > 3 ? parseUint(t[3]) : std::nullopt;
	size_t pos = 4;
	std::optional<int> req = t.size() > 4 ? parseRequestArg(t, &pos) : std::optional<int>(-1);
	if (!n || !req || (t.size() > 4 && pos != t.size())) {
		*error = "expected qbuf <slot> <dir> <index> [req N|badfd|mediafd]";
		return nullptr;
	}
	return std::make_shared<QbufCmd>(slot, dir, *n, *req);
}

CmdPtr genDqbuf(const EmuModel &m)
{
	const auto [slot, dir] =
		pickQueue(m, [](const ContextModel &c, Dir d) { return !c.queue(d).done.empty(); });
	return std::make_shared<DqbufCmd>(slot, dir);
}

CmdPtr parseDqbuf(const std::vector<std::string> &t, std::string *error)
{
	int slot;
	Dir dir;
	if (!parseSlotDir(t, &slot, &dir, error))
		return nullptr;
	return std::make_shared<DqbufCmd>(slot, dir);
}

CmdPtr genStreamon(const EmuModel &m)
{
	const auto [slot, dir] = pickQueue(m, [](const ContextModel &c, Dir d) {
		return !c.queue(d).streaming && !c.queue(d).bufs.empty();
	});
	return std::make_shared<StreamCmd>(slot, dir, true);
}

CmdPtr parseStreamon(const std::vector<std::string> &t, std::string *error)
{
	int slot;
	Dir dir;
	if (!parseSlotDir(t, &slot, &dir, error))
		return nullptr;
	return std::make_shared<StreamCmd>(slot, dir, true);
}

CmdPtr genStreamoff(const EmuModel &m)
{
	const int slot = pickSlot(m, true);
	return std::make_shared<StreamCmd>(slot, pickDir(), false);
}

CmdPtr parseStreamoff(const std::vector<std::string> &t, std::string *error)
{
	int slot;
	Dir dir;
	if (!parseSlotDir(t, &slot, &dir, error))
		return nullptr;
	return std::make_shared<StreamCmd>(slot, dir, false);
}

CmdPtr genSetControls(const EmuModel &m)
{
	const int slot = pickSlot(m, true);
	std::vector<int> live, idle;
	for (int r = 0; r < kRequestSlots; r++) {
		if (m.reqSlots[r] >= 0)
			live.push_back(r);
		if (m.reqSlots[r] >= 0 && m.reqs[m.reqSlots[r]].state == ReqState::Idle)
			idle.push_back(r);
	}
	if (!idle.empty() && *rc::gen::weightedElement<bool>({ { 4, true }, { 1, false } }))
		live = idle;
	int reqArg = -1;
	const int kind = *rc::gen::weightedElement<int>({ { 8, 0 }, { 1, 1 }, { 1, 2 } });
	if (kind == 0 && !live.empty())
		reqArg = *rc::gen::elementOf(live);
	else if (kind == 2)
		reqArg = *rc::gen::element(EmuModel::kBadFd, EmuModel::kMediaFd);
	const bool valid = *rc::gen::weightedElement<bool>({ { 9, true }, { 1, false } });
	return std::make_shared<SetControlsCmd>(slot, reqArg, valid);
}

CmdPtr parseSetControls(const std::vector<std::string> &t, std::string *error)
{
	int slot;
	if (!parseSlot(t, 1, &slot, error))
		return nullptr;
	size_t pos = 2;
	std::optional<int> req;
	if (pos < t.size() && t[pos] == "cur") {
		req = -1;
		pos++;
	} else {
		req = parseRequestArg(t, &pos);
	}
	if (!req || pos + 1 != t.size() || (t[pos] != "valid" && t[pos] != "invalid")) {
		*error = "expected s_ext_ctrls <slot> cur|req N|badfd|mediafd valid|invalid";
		return nullptr;
	}
	return std::make_shared<SetControlsCmd>(slot, *req, t[pos] == "valid");
}

CmdPtr genMmap(const EmuModel &m)
{
	const auto [slot, dir] =
		pickQueue(m, [](const ContextModel &c, Dir d) { return !c.queue(d).bufs.empty(); });
	const uint32_t index = pickIndex(m, slot, dir);
	const int prot = *rc::gen::weightedElement<int>({ { 8, 0 }, { 1, 1 }, { 1, 2 } });
	const bool oversize = *rc::gen::weightedElement<bool>({ { 12, false }, { 1, true } });
	return std::make_shared<MmapCmd>(slot, dir, index, prot, oversize);
}

CmdPtr parseMmap(const std::vector<std::string> &t, std::string *error)
{
	int slot;
	Dir dir;
	if (!parseSlotDir(t, &slot, &dir, error))
		return nullptr;
	auto n = t.size() > 4 ? parseUint(t[3]) : std::nullopt;
	const bool oversize = t.size() == 6 && t[5] == "oversize";
	for (int p = 0; n && (t.size() == 5 || oversize) && p < 3; p++)
		if (t[4] == kProtNames[p])
			return std::make_shared<MmapCmd>(slot, dir, *n, p, oversize);
	*error = "expected mmap <slot> <dir> <index> rw|r|w [oversize]";
	return nullptr;
}

CmdPtr genProgress(const EmuModel &m)
{
	const int slot = pickSlot(m, true);
	const int id = m.slots[slot];
	const ContextModel &c = m.ctxs[id];
	const QueueModel &out = c.queue(Dir::Out), &cap = c.queue(Dir::Cap);
	auto firstIn = [](const QueueModel &q, BufState s) -> int {
		for (uint32_t i = 0; i < q.bufs.size(); i++)
			if (q.bufs[i].state == s)
				return static_cast<int>(i);
		return -1;
	};
	for (Dir d : { Dir::Out, Dir::Cap })
		if (c.queue(d).bufs.empty())
			return makeReqbufs(slot, d, *rc::gen::element(1u, 2u, 4u));
	// Clients map every buffer before streaming.
	for (Dir d : { Dir::Out, Dir::Cap }) {
		const auto &bufs = c.queue(d).bufs;
		for (uint32_t i = 0; i < bufs.size() && !c.queue(d).streaming; i++)
			if (std::none_of(m.maps.begin(), m.maps.end(), [&](const Mapping &mp) {
				    return mp.memory == bufs[i].memory;
			    }))
				return std::make_shared<MmapCmd>(slot, d, i, 0, false);
	}
	for (Dir d : { Dir::Out, Dir::Cap })
		if (!c.queue(d).streaming)
			return std::make_shared<StreamCmd>(slot, d, true);
	for (Dir d : { Dir::Cap, Dir::Out })
		if (!c.queue(d).done.empty())
			return std::make_shared<DqbufCmd>(slot, d);
	// A request of this context in progress, else a fresh one.
	int rs = -1, freeSlot = -1;
	for (int r = 0; r < kRequestSlots; r++) {
		if (m.reqSlots[r] < 0) {
			freeSlot = freeSlot < 0 ? r : freeSlot;
			continue;
		}
		const RequestModel &req = m.reqs[m.reqSlots[r]];
		if (req.state != ReqState::Queued && requestTakesContext(m, r, slot) && rs < 0)
			rs = r;
	}
	if (rs < 0)
		return freeSlot >= 0 ? makeReqAlloc(freeSlot)
				     : std::make_shared<StreamCmd>(slot, Dir::Out, false);
	const RequestModel &req = m.reqs[m.reqSlots[rs]];
	if (req.state == ReqState::Complete)
		return makeReqReinit(rs);
	const bool hasBuffer = std::any_of(req.objects.begin(), req.objects.end(),
					   [](const RequestObject &o) { return o.isBuffer; });
	if (!hasBuffer) {
		const int i = firstIn(out, BufState::Dequeued);
		if (i >= 0)
			return std::make_shared<QbufCmd>(slot, Dir::Out, static_cast<uint32_t>(i),
							 rs);
	}
	if (hasBuffer &&
	    std::none_of(req.objects.begin(), req.objects.end(),
			 [&](const RequestObject &o) { return !o.isBuffer && o.ctx == id; }))
		return std::make_shared<SetControlsCmd>(slot, rs, true);
	if (firstIn(cap, BufState::Queued) < 0 && firstIn(cap, BufState::Dequeued) >= 0)
		return std::make_shared<QbufCmd>(
			slot, Dir::Cap, static_cast<uint32_t>(firstIn(cap, BufState::Dequeued)),
			-1);
	if (hasBuffer)
		return makeReqQueue(rs);
	return makeQuerybuf(slot, Dir::Out, 0);
}

CmdPtr genMunmap(const EmuModel &m)
{
	RC_PRE(!m.maps.empty());
	return std::make_shared<MunmapCmd>(*rc::gen::inRange<size_t>(0, m.maps.size()));
}

CmdPtr parseMunmap(const std::vector<std::string> &t, std::string *error)
{
	auto n = t.size() == 2 ? parseUint(t[1]) : std::nullopt;
	if (!n) {
		*error = "expected munmap <mapping position>";
		return nullptr;
	}
	return std::make_shared<MunmapCmd>(*n);
}

} // namespace props::emu
