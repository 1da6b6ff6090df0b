// SPDX-License-Identifier: MIT
// The video node's commands that set it up: open/close, formats, buffer allocation and
// QUERYBUF. Each run() computes the model's answer on a copy of the state before the command
// and compares every value the emulator hands back.
#include "emu_command_base.h"

#include <sys/mman.h>

#include <algorithm>

namespace props::emu {

namespace {

// --- open / close ---------------------------------------------------------------------------

class OpenCmd final : public Cmd {
public:
	explicit OpenCmd(int slot) : slot_(slot) {}
	void checkPreconditions(const EmuModel &m) const override { RC_PRE(m.slots[slot_] < 0); }
	void apply(EmuModel &m) const override { m.open(slot_); }
	void run(const EmuModel &, EmuSut &sut) const override
	{
		expectEq("open(" + std::to_string(slot_) + ")", sut.open(slot_).ret, 0);
	}
	std::string line() const override { return "open " + std::to_string(slot_); }

private:
	int slot_;
};

class CloseCmd final : public Cmd {
public:
	explicit CloseCmd(int slot) : slot_(slot) {}
	void checkPreconditions(const EmuModel &m) const override { RC_PRE(m.slots[slot_] >= 0); }
	void apply(EmuModel &m) const override { m.close(slot_); }
	void run(const EmuModel &, EmuSut &sut) const override
	{
		expectEq("close(" + std::to_string(slot_) + ")", sut.close(slot_).ret, 0);
	}
	std::string line() const override { return "close " + std::to_string(slot_); }

private:
	int slot_;
};

// --- formats --------------------------------------------------------------------------------

class SFmtCmd final : public Cmd {
public:
	SFmtCmd(int slot, Dir dir, size_t choice) : slot_(slot), dir_(dir), choice_(choice) {}
	void checkPreconditions(const EmuModel &m) const override { RC_PRE(m.slots[slot_] >= 0); }
	void apply(EmuModel &m) const override { m.sFmt(slot_, dir_, kFormatChoices[choice_]); }
	void run(const EmuModel &s0, EmuSut &sut) const override
	{
		EmuModel m = s0;
		Observed want = m.sFmt(slot_, dir_, kFormatChoices[choice_]);
		Observed got = sut.sFmt(slot_, dir_, kFormatChoices[choice_]);
		expectEq(line(), got.ret, want.ret);
		if (got.ret)
			return;
		expectEq(line() + ": width", got.count, want.count);
		expectEq(line() + ": height", got.index, want.index);
		expectEq(line() + ": sizeimage", got.length, want.length);
	}
	std::string line() const override
	{
		return "s_fmt " + slotDir(slot_, dir_) +
		       (dir_ == Dir::Out ? " " + formatName(kFormatChoices[choice_]) : "");
	}

private:
	int slot_;
	Dir dir_;
	size_t choice_;
};

class GFmtCmd final : public Cmd {
public:
	explicit GFmtCmd(int slot) : slot_(slot) {}
	void checkPreconditions(const EmuModel &m) const override { RC_PRE(m.slots[slot_] >= 0); }
	void run(const EmuModel &s0, EmuSut &sut) const override
	{
		const ContextModel &c = *s0.context(slot_);
		for (Dir d : { Dir::Out, Dir::Cap }) {
			Format f;
			const Format &want = d == Dir::Out ? c.out : c.cap;
			const std::string what = line() + " " + dirName(d);
			expectEq(what, sut.gFmt(slot_, d, &f), 0);
			expectEq(what + ": fourcc", f.fourcc, want.fourcc);
			expectEq(what + ": width", f.width, want.width);
			expectEq(what + ": height", f.height, want.height);
			expectEq(what + ": sizeimage", f.sizeimage, want.sizeimage);
		}
	}
	std::string line() const override { return "g_fmt " + std::to_string(slot_); }

private:
	int slot_;
};

// --- buffers --------------------------------------------------------------------------------

class ReqbufsCmd final : public Cmd {
public:
	ReqbufsCmd(int slot, Dir dir, uint32_t count, bool userptr)
	    : slot_(slot), dir_(dir), count_(count), userptr_(userptr)
	{}
	void checkPreconditions(const EmuModel &m) const override { RC_PRE(m.slots[slot_] >= 0); }
	void apply(EmuModel &m) const override { m.reqbufs(slot_, dir_, count_, userptr_); }
	void run(const EmuModel &s0, EmuSut &sut) const override
	{
		EmuModel m = s0;
		Observed want = m.reqbufs(slot_, dir_, count_, userptr_);
		Observed got = sut.reqbufs(slot_, dir_, count_, userptr_);
		expectEq(line(), got.ret, want.ret);
		// IOC:video_usercopy copies the argument back on success only: a refused call
		// leaves the caller's struct as it was (capabilities 0 as passed).
		expectFlags(line() + ": capabilities", got.caps, got.ret ? 0 : want.caps);
		if (!got.ret)
			expectEq(line() + ": count", got.count, want.count);
	}
	std::string line() const override
	{
		return "reqbufs " + slotDir(slot_, dir_) + " " + std::to_string(count_) +
		       (userptr_ ? " userptr" : "");
	}

private:
	int slot_;
	Dir dir_;
	uint32_t count_;
	bool userptr_;
};

enum class SizeVariant { Same, Half, Double, Zero };
const char *const kSizeNames[] = { "same", "half", "double", "zero" };

class CreateBufsCmd final : public Cmd {
public:
	CreateBufsCmd(int slot, Dir dir, uint32_t count, SizeVariant size)
	    : slot_(slot), dir_(dir), count_(count), size_(size)
	{}
	void checkPreconditions(const EmuModel &m) const override { RC_PRE(m.slots[slot_] >= 0); }
	void apply(EmuModel &m) const override { m.createBufs(slot_, dir_, count_, sizeimage(m)); }
	void run(const EmuModel &s0, EmuSut &sut) const override
	{
		EmuModel m = s0;
		Observed want = m.createBufs(slot_, dir_, count_, sizeimage(s0));
		Observed got = sut.createBufs(slot_, dir_, count_, sizeimage(s0));
		expectEq(line(), got.ret, want.ret);
		// Copied back on success only (IOC:video_usercopy): index and capabilities as passed.
		expectFlags(line() + ": capabilities", got.caps, got.ret ? 0 : want.caps);
		expectEq(line() + ": index", got.index, got.ret ? 0 : want.index);
		if (!got.ret)
			expectEq(line() + ": count", got.count, want.count);
	}
	std::string line() const override
	{
		return "create_bufs " + slotDir(slot_, dir_) + " " + std::to_string(count_) + " " +
		       kSizeNames[static_cast<int>(size_)];
	}

private:
	uint32_t sizeimage(const EmuModel &m) const
	{
		const ContextModel &c = *m.context(slot_);
		const uint32_t cur = dir_ == Dir::Out ? c.out.sizeimage : c.cap.sizeimage;
		switch (size_) {
		case SizeVariant::Half: return cur / 2;
		case SizeVariant::Double: return cur * 2;
		case SizeVariant::Zero: return 0;
		default: return cur;
		}
	}
	int slot_;
	Dir dir_;
	uint32_t count_;
	SizeVariant size_;
};

class QuerybufCmd final : public Cmd {
public:
	QuerybufCmd(int slot, Dir dir, uint32_t index) : slot_(slot), dir_(dir), index_(index) {}
	void checkPreconditions(const EmuModel &m) const override { RC_PRE(m.slots[slot_] >= 0); }
	void run(const EmuModel &s0, EmuSut &sut) const override
	{
		Observed want = s0.querybuf(slot_, dir_, index_);
		uint32_t offset = 0;
		Observed got = sut.querybuf(slot_, dir_, index_, &offset);
		expectEq(line(), got.ret, want.ret);
		if (got.ret)
			return;
		expectFlags(line() + ": flags", got.flags, want.flags);
		expectEq(line() + ": request_fd", got.requestId, sut.requestFdOf(want.requestId));
		expectEq(line() + ": length", got.length, want.length);
		expectEq(line() + ": mem_offset", offset,
			 (index_ << 15) + (dir_ == Dir::Cap ? kCaptureOffsetBase : 0));
	}
	std::string line() const override
	{
		return "querybuf " + slotDir(slot_, dir_) + " " + std::to_string(index_);
	}

private:
	int slot_;
	Dir dir_;
	uint32_t index_;
};

} // namespace

// --- factories ------------------------------------------------------------------------------

CmdPtr genOpen(const EmuModel &m)
{
	return std::make_shared<OpenCmd>(pickSlot(m, false));
}

CmdPtr parseOpen(const std::vector<std::string> &t, std::string *error)
{
	int slot;
	return parseSlot(t, 1, &slot, error) ? std::make_shared<OpenCmd>(slot) : nullptr;
}

CmdPtr genClose(const EmuModel &m)
{
	return std::make_shared<CloseCmd>(pickSlot(m, true));
}

CmdPtr parseClose(const std::vector<std::string> &t, std::string *error)
{
	int slot;
	return parseSlot(t, 1, &slot, error) ? std::make_shared<CloseCmd>(slot) : nullptr;
}

CmdPtr genSFmt(const EmuModel &m)
{
	// Mostly before buffers exist, as clients do (a bigger format makes existing buffers too
	// small, which the sequence then only explores as errors).
	auto [slot, dir] = pickQueue(m, [](const ContextModel &c, Dir d) {
		return d == Dir::Out && c.queue(Dir::Out).bufs.empty() &&
		       c.queue(Dir::Cap).bufs.empty();
	});
	if (*rc::gen::weightedElement<bool>({ { 3, true }, { 1, false } }))
		dir = Dir::Out;
	const size_t choice = *rc::gen::weightedElement<size_t>(
		{ { 1, 0 }, { 4, 1 }, { 1, 2 }, { 1, 3 }, { 2, 4 }, { 1, 5 }, { 1, 6 } });
	return std::make_shared<SFmtCmd>(slot, dir, choice);
}

CmdPtr parseSFmt(const std::vector<std::string> &t, std::string *error)
{
	int slot;
	Dir dir;
	if (!parseSlotDir(t, &slot, &dir, error))
		return nullptr;
	if (dir == Dir::Cap)
		return std::make_shared<SFmtCmd>(slot, dir, 0);
	auto f = t.size() == 5 ? parseFormat(t[3], t[4]) : std::nullopt;
	if (!f) {
		*error = "bad format (e.g. mpeg2 176x144)";
		return nullptr;
	}
	return std::make_shared<SFmtCmd>(slot, dir, *f);
}

CmdPtr genGFmt(const EmuModel &m)
{
	return std::make_shared<GFmtCmd>(pickSlot(m, true));
}

CmdPtr parseGFmt(const std::vector<std::string> &t, std::string *error)
{
	int slot;
	return parseSlot(t, 1, &slot, error) ? std::make_shared<GFmtCmd>(slot) : nullptr;
}

CmdPtr genReqbufs(const EmuModel &m)
{
	const auto [slot, dir] =
		pickQueue(m, [](const ContextModel &c, Dir d) { return c.queue(d).bufs.empty(); });
	const uint32_t count = *rc::gen::weightedElement<uint32_t>(
		{ { 2, 0 }, { 3, 1 }, { 4, 2 }, { 4, 4 }, { 1, 33 }, { 1, 65 } });
	const bool userptr = *rc::gen::weightedElement<bool>({ { 19, false }, { 1, true } });
	return std::make_shared<ReqbufsCmd>(slot, dir, count, userptr);
}

CmdPtr parseReqbufs(const std::vector<std::string> &t, std::string *error)
{
	int slot;
	Dir dir;
	if (!parseSlotDir(t, &slot, &dir, error))
		return nullptr;
	auto n = t.size() > 3 ? parseUint(t[3]) : std::nullopt;
	const bool userptr = t.size() == 5 && t[4] == "userptr";
	if (!n || t.size() > 5 || (t.size() == 5 && !userptr)) {
		*error = "expected reqbufs <slot> <dir> <count> [userptr]";
		return nullptr;
	}
	return std::make_shared<ReqbufsCmd>(slot, dir, *n, userptr);
}

CmdPtr genCreateBufs(const EmuModel &m)
{
	const auto [slot, dir] = pickQueue(m, [](const ContextModel &c, Dir d) {
		return c.queue(d).streaming; // growing a streaming pool, as the driver does
	});
	const uint32_t count =
		*rc::gen::weightedElement<uint32_t>({ { 1, 0 }, { 4, 1 }, { 3, 2 }, { 1, 64 } });
	const auto size = *rc::gen::weightedElement<SizeVariant>({ { 6, SizeVariant::Same },
								   { 1, SizeVariant::Half },
								   { 2, SizeVariant::Double },
								   { 1, SizeVariant::Zero } });
	return std::make_shared<CreateBufsCmd>(slot, dir, count, size);
}

CmdPtr parseCreateBufs(const std::vector<std::string> &t, std::string *error)
{
	int slot;
	Dir dir;
	if (!parseSlotDir(t, &slot, &dir, error))
		return nullptr;
	auto n = t.size() == 5 ? parseUint(t[3]) : std::nullopt;
	for (int v = 0; n && v < 4; v++)
		if (t[4] == kSizeNames[v])
			return std::make_shared<CreateBufsCmd>(slot, dir, *n,
							       static_cast<SizeVariant>(v));
	*error = "expected create_bufs <slot> <dir> <count> same|half|double|zero";
	return nullptr;
}

CmdPtr genQuerybuf(const EmuModel &m)
{
	const int slot = pickSlot(m, true);
	const Dir dir = pickDir();
	return std::make_shared<QuerybufCmd>(slot, dir, pickIndex(m, slot, dir));
}

CmdPtr parseQuerybuf(const std::vector<std::string> &t, std::string *error)
{
	int slot;
	Dir dir;
	if (!parseSlotDir(t, &slot, &dir, error))
		return nullptr;
	auto n = t.size() == 4 ? parseUint(t[3]) : std::nullopt;
	if (!n) {
		*error = "expected querybuf <slot> <dir> <index>";
		return nullptr;
	}
	return std::make_shared<QuerybufCmd>(slot, dir, *n);
}

CmdPtr makeReqbufs(int slot, Dir dir, uint32_t count)
{
	return std::make_shared<ReqbufsCmd>(slot, dir, count, false);
}

CmdPtr makeQuerybuf(int slot, Dir dir, uint32_t index)
{
	return std::make_shared<QuerybufCmd>(slot, dir, index);
}

} // namespace props::emu
