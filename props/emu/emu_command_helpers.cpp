// SPDX-License-Identifier: MIT
// Helpers of the emulator-vs-model commands: argument names and parsing, the S_FMT choices,
// and the pickers generators draw parameters with.
#include "emu_command_base.h"

#include <algorithm>

namespace props::emu {

// --- helpers --------------------------------------------------------------------------------

const char *dirName(Dir d)
{
	return d == Dir::Out ? "out" : "cap";
}

std::optional<Dir> parseDir(const std::string &s)
{
	if (s == "out")
		return Dir::Out;
	if (s == "cap")
		return Dir::Cap;
	return std::nullopt;
}

std::optional<uint32_t> parseUint(const std::string &s)
{
	if (s.empty() || s.size() > 9 || !std::all_of(s.begin(), s.end(), ::isdigit))
		return std::nullopt;
	return static_cast<uint32_t>(std::stoul(s));
}

std::string requestArgName(int reqArg)
{
	if (reqArg == EmuModel::kBadFd)
		return "badfd";
	if (reqArg == EmuModel::kMediaFd)
		return "mediafd";
	return "req " + std::to_string(reqArg);
}

std::optional<int> parseRequestArg(const std::vector<std::string> &t, size_t *pos)
{
	if (*pos >= t.size())
		return std::nullopt;
	if (t[*pos] == "badfd" || t[*pos] == "mediafd") {
		return t[(*pos)++] == "badfd" ? EmuModel::kBadFd : EmuModel::kMediaFd;
	}
	if (t[*pos] != "req" || *pos + 1 >= t.size())
		return std::nullopt;
	auto n = parseUint(t[*pos + 1]);
	if (!n || *n >= kRequestSlots)
		return std::nullopt;
	*pos += 2;
	return static_cast<int>(*n);
}

const FormatChoice kFormatChoices[] = {
	{ V4L2_PIX_FMT_MPEG2_SLICE, 48, 48 },     { V4L2_PIX_FMT_MPEG2_SLICE, 176, 144 },
	{ V4L2_PIX_FMT_MPEG2_SLICE, 1920, 1080 }, { V4L2_PIX_FMT_MPEG2_SLICE, 2000, 1200 },
	{ V4L2_PIX_FMT_VP8_FRAME, 176, 144 },     { V4L2_PIX_FMT_VP8_FRAME, 2000, 1200 },
	{ V4L2_PIX_FMT_VP8_FRAME, 50, 20 },
};
const size_t kNumFormatChoices = sizeof(kFormatChoices) / sizeof(kFormatChoices[0]);

std::string formatName(const FormatChoice &f)
{
	return std::string(f.fourcc == V4L2_PIX_FMT_VP8_FRAME ? "vp8" : "mpeg2") + " " +
	       std::to_string(f.width) + "x" + std::to_string(f.height);
}

std::optional<size_t> parseFormat(const std::string &codec, const std::string &size)
{
	for (size_t i = 0; i < kNumFormatChoices; i++)
		if (formatName(kFormatChoices[i]) == codec + " " + size)
			return i;
	return std::nullopt;
}

int pickSlot(const EmuModel &m, bool open)
{
	std::vector<int> s;
	for (int i = 0; i < kSlots; i++)
		if ((m.slots[i] >= 0) == open)
			s.push_back(i);
	RC_PRE(!s.empty());
	return *rc::gen::elementOf(s);
}

int pickRequestSlot(const EmuModel &m, bool live)
{
	std::vector<int> s;
	for (int i = 0; i < kRequestSlots; i++)
		if ((m.reqSlots[i] >= 0) == live)
			s.push_back(i);
	RC_PRE(!s.empty());
	return *rc::gen::elementOf(s);
}

uint32_t pickIndex(const EmuModel &m, int slot, Dir dir)
{
	const uint32_t n = static_cast<uint32_t>(m.context(slot)->queue(dir).bufs.size());
	// Mostly existing buffers; one past the end now and then.
	return *rc::gen::weightedOneOf<uint32_t>(
		{ { 9, rc::gen::inRange<uint32_t>(0, std::max(n, 1u)) }, { 1, rc::gen::just(n) } });
}

Dir pickDir(unsigned outWeight, unsigned capWeight)
{
	return *rc::gen::weightedElement<Dir>({ { outWeight, Dir::Out }, { capWeight, Dir::Cap } });
}

std::pair<int, Dir> pickQueue(const EmuModel &m,
			      const std::function<bool(const ContextModel &, Dir)> &useful)
{
	std::vector<std::pair<int, Dir>> good;
	for (int s = 0; s < kSlots; s++)
		for (Dir d : { Dir::Out, Dir::Cap })
			if (m.slots[s] >= 0 && useful(*m.context(s), d))
				good.emplace_back(s, d);
	if (!good.empty() && *rc::gen::weightedElement<bool>({ { 4, true }, { 1, false } }))
		return *rc::gen::elementOf(good);
	const int slot = pickSlot(m, true);
	return { slot, pickDir() };
}

uint32_t pickBuffer(const EmuModel &m, int slot, Dir dir, BufState state)
{
	std::vector<uint32_t> good;
	const auto &bufs = m.context(slot)->queue(dir).bufs;
	for (uint32_t i = 0; i < bufs.size(); i++)
		if (bufs[i].state == state)
			good.push_back(i);
	if (!good.empty() && *rc::gen::weightedElement<bool>({ { 5, true }, { 1, false } }))
		return *rc::gen::elementOf(good);
	return pickIndex(m, slot, dir);
}

int pickRequest(const EmuModel &m, const std::function<bool(const RequestModel &)> &useful)
{
	std::vector<int> good;
	for (int r = 0; r < kRequestSlots; r++)
		if (m.reqSlots[r] >= 0 && useful(m.reqs[m.reqSlots[r]]))
			good.push_back(r);
	if (!good.empty() && *rc::gen::weightedElement<bool>({ { 4, true }, { 1, false } }))
		return *rc::gen::elementOf(good);
	return pickRequestSlot(m, true);
}

bool requestTakesContext(const EmuModel &m, int reqArg, int slot)
{
	if (reqArg < 0 || reqArg >= kRequestSlots)
		return true;
	const int req = m.reqSlots[reqArg];
	if (req < 0)
		return false;
	for (const RequestObject &o : m.reqs[req].objects)
		if (o.isBuffer && o.ctx != m.slots[slot])
			return false;
	return true;
}

// Parsing shapes shared by the command files.
std::string slotDir(int slot, Dir dir)
{
	return std::to_string(slot) + " " + dirName(dir);
}

/// The three parsing shapes: "<slot>", "<slot> <dir>", and the rest by hand.
bool parseSlot(const std::vector<std::string> &t, size_t at, int *slot, std::string *error)
{
	auto n = at < t.size() ? parseUint(t[at]) : std::nullopt;
	if (!n || *n >= kSlots) {
		*error = "bad open slot";
		return false;
	}
	*slot = static_cast<int>(*n);
	return true;
}

bool parseSlotDir(const std::vector<std::string> &t, int *slot, Dir *dir, std::string *error)
{
	if (!parseSlot(t, 1, slot, error))
		return false;
	auto d = t.size() > 2 ? parseDir(t[2]) : std::nullopt;
	if (!d) {
		*error = "bad queue (out|cap)";
		return false;
	}
	*dir = *d;
	return true;
}

} // namespace props::emu
