// SPDX-License-Identifier: MIT
#pragma once

// The free mode: any sequence of VA calls over the driver's vtable (configs, surfaces,
// contexts, pictures begun/rendered/ended piece by piece, sync, status, GetImage, DeriveImage,
// export, images), as a rapidcheck state machine. The model knows which objects live and what
// state each picture is in, so it tells, per call, whether the VA API requires success, a
// particular error, or leaves the choice to the driver among the statuses allowed for the
// call; surfaces decoded read back the emulator's picture. Objects are named by creation
// index, so command lines (the corpus format of corpus/props/va-free/) replay exactly.

#include "va_run.h"

#include <rapidcheck.h>
#include <rapidcheck/state.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace props::va {

struct FreeSize {
	uint32_t w, h;
};
inline constexpr FreeSize kFreeSizes[] = { { 64, 64 }, { 176, 144 } };

struct FreeModel {
	struct Config {
		bool alive = true;
		bool h264 = false;
	};
	struct Surface {
		bool alive = true;
		int size = 0;
		bool decoded = false; ///< holds a picture decoded since creation
	};
	struct Context {
		bool alive = true;
		int config = 0;
		int size = 0;
		bool begun = false; ///< between Begin and End
		int target = -1;
		bool params = false, slices = false, failed = false;
		unsigned pictures = 0; ///< pictures submitted (the next one's index)
	};
	struct Image {
		bool alive = true;
	};
	std::vector<Config> configs;
	std::vector<Surface> surfaces;
	std::vector<Context> contexts;
	std::vector<Image> images;
};

/// The SUT: a driver run and the ids each model index got.
struct FreeSut {
	explicit FreeSut() : run(false) {}
	VaRun run;
	std::vector<VAConfigID> configs;
	std::vector<VASurfaceID> surfaces;
	std::vector<VAContextID> contexts;
	std::vector<VAImageID> images;
	std::vector<std::unique_ptr<FrameSource>> sources; ///< per context
};

using FreeCommand = rc::state::Command<FreeModel, FreeSut>;
using FreeCommands = rc::state::Commands<FreeCommand>;

rc::Gen<std::shared_ptr<const FreeCommand>> genFreeCommand(const FreeModel &m);
std::shared_ptr<const FreeCommand> parseFreeCommand(const std::string &line, std::string *error);

/// Runs a sequence on a fresh driver (then vaTerminate and the leak checks); returns the
/// failures, "" when every property held. Saved as a counterexample under `saveAs` if it fails.
/// `onStep` (if set) hears each command's line before it runs, then "vaTerminate" (a caller
/// running the sequence in a child process tells from it where a crash happened).
std::string runFreeSequence(const FreeCommands &cmds, const std::string &saveAs,
			    const std::function<void(const std::string &)> &onStep = {});

} // namespace props::va
