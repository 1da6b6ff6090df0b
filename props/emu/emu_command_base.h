// SPDX-License-Identifier: MIT
#pragma once

// Shared pieces of the emulator-vs-model commands (emu_node_commands.cpp,
// emu_request_commands.cpp): the base class, argument parsing and the choices generators draw
// from.

#include "emu_commands.h"

#include "support/check.h"

#include <functional>
#include <optional>
#include <sstream>

namespace props::emu {

/// A command whose show() is its corpus line.
class Cmd : public EmuCommand {
public:
	void show(std::ostream &os) const override { os << line(); }
	virtual std::string line() const = 0;
};

using CmdPtr = std::shared_ptr<const EmuCommand>;

const char *dirName(Dir d);
std::optional<Dir> parseDir(const std::string &s);
std::optional<uint32_t> parseUint(const std::string &s);

/// The request argument of QBUF and S_EXT_CTRLS: none (-1), a slot, or a bad fd.
std::string requestArgName(int reqArg);
/// Parses "req N" / "badfd" / "mediafd" starting at t[pos]; advances pos.
std::optional<int> parseRequestArg(const std::vector<std::string> &t, size_t *pos);

/// S_FMT choices: the two codecs at sizes inside, at and beyond the decoder's limits.
extern const FormatChoice kFormatChoices[];
extern const size_t kNumFormatChoices;
std::string formatName(const FormatChoice &f);
std::optional<size_t> parseFormat(const std::string &codec, const std::string &size);

// Generation helpers (rapidcheck's *gen inside command constructors).
int pickSlot(const EmuModel &m, bool open);
int pickRequestSlot(const EmuModel &m, bool live);
/// A buffer index of the queue, sometimes one past the end (refused by the kernel).
uint32_t pickIndex(const EmuModel &m, int slot, Dir dir);
Dir pickDir(unsigned outWeight = 1, unsigned capWeight = 1);
/// An open slot's queue, most of the time one for which `useful` holds (so that sequences make
/// progress: allocate empty queues, start stopped ones, dequeue done buffers...).
std::pair<int, Dir> pickQueue(const EmuModel &m,
			      const std::function<bool(const ContextModel &, Dir)> &useful);
/// A buffer of the queue in `state` most of the time, else any index (possibly past the end).
uint32_t pickBuffer(const EmuModel &m, int slot, Dir dir, BufState state);
/// A live request slot, most of the time one for which `useful` holds.
int pickRequest(const EmuModel &m, const std::function<bool(const RequestModel &)> &useful);

/// Whether request slot `reqArg` may take a buffer of `slot`'s context: the rig only puts
/// buffers of one context into a request (M2M:v4l2_m2m_request_queue WARNs otherwise and
/// schedules only the last buffer's context).
bool requestTakesContext(const EmuModel &m, int reqArg, int slot);

// Parsing and printing shapes: "<slot>", "<slot> <dir>".
std::string slotDir(int slot, Dir dir);
bool parseSlot(const std::vector<std::string> &t, size_t at, int *slot, std::string *error);
bool parseSlotDir(const std::vector<std::string> &t, int *slot, Dir *dir, std::string *error);

// Command factories (generation from a model, parsing from tokens).
#define PROPS_EMU_COMMAND(Name)                                                                    \
	CmdPtr gen##Name(const EmuModel &m);                                                       \
	CmdPtr parse##Name(const std::vector<std::string> &t, std::string *error)
PROPS_EMU_COMMAND(Open);
PROPS_EMU_COMMAND(Close);
PROPS_EMU_COMMAND(SFmt);
PROPS_EMU_COMMAND(GFmt);
PROPS_EMU_COMMAND(Reqbufs);
PROPS_EMU_COMMAND(CreateBufs);
PROPS_EMU_COMMAND(Querybuf);
PROPS_EMU_COMMAND(Qbuf);
PROPS_EMU_COMMAND(Dqbuf);
PROPS_EMU_COMMAND(Streamon);
PROPS_EMU_COMMAND(Streamoff);
PROPS_EMU_COMMAND(SetControls);
PROPS_EMU_COMMAND(Mmap);
PROPS_EMU_COMMAND(Munmap);
PROPS_EMU_COMMAND(ReqAlloc);
PROPS_EMU_COMMAND(ReqQueue);
PROPS_EMU_COMMAND(ReqReinit);
PROPS_EMU_COMMAND(ReqClose);
PROPS_EMU_COMMAND(ReqPoll);
PROPS_EMU_COMMAND(Stats);
#undef PROPS_EMU_COMMAND

/// The next step of a decode on one open (allocate, stream, fill a request, queue it, dequeue):
/// generated often so that sequences reach the completed states instead of wandering.
CmdPtr genProgress(const EmuModel &m);
CmdPtr makeReqbufs(int slot, Dir dir, uint32_t count);
CmdPtr makeQuerybuf(int slot, Dir dir, uint32_t index);
CmdPtr makeReqAlloc(int reqSlot);
CmdPtr makeReqQueue(int reqSlot);
CmdPtr makeReqReinit(int reqSlot);

} // namespace props::emu
