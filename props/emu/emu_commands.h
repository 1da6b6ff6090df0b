// SPDX-License-Identifier: MIT
#pragma once

// The rapidcheck commands of the emulator-vs-model state machine, one per call a client can
// make on the hantro node, its media device and request fds. Each command's show() is its line
// of the corpus text format (corpus/props/README.md), and parseEmuCommand() reads it back, so a
// shrunk counterexample replays exactly.

#include "emu_model.h"
#include "emu_sut.h"

#include <rapidcheck.h>
#include <rapidcheck/state.h>

#include <memory>
#include <string>
#include <vector>

namespace props::emu {

using EmuCommand = rc::state::Command<EmuModel, EmuSut>;
using EmuCommands = rc::state::Commands<EmuCommand>;

/// A command from its corpus line; nullptr (with *error) for a malformed one.
std::shared_ptr<const EmuCommand> parseEmuCommand(const std::string &line, std::string *error);

/// The generator of the next command for a model state (weights favour the calls that make
/// progress: buffers, requests, decodes).
rc::Gen<std::shared_ptr<const EmuCommand>> genEmuCommand(const EmuModel &model);

/// Runs a sequence against a fresh SUT: preconditions, run (checks), apply, per command.
/// Returns normally when every check held; throws rapidcheck's case result otherwise. When a
/// check fails, the sequence up to the failing command is written to `saveAs` (if not empty).
void runEmuSequence(const EmuCommands &cmds, const std::string &saveAs);

} // namespace props::emu
