// SPDX-License-Identifier: MIT
#pragma once

// Choosing the device-io seam once, at driver initialisation: the running kernel, or an
// emulated board when V4L2VA_EMULATED_BOARD names one (with the emulator's own V4L2EMU_*
// options). Nothing else in the driver knows which one it got.

#include <v4l2emu/board.h>
#include <v4l2emu/device_io.h>

#include <memory>
#include <string>

namespace v4l2va {

/// A seam and what it is, e.g. "kernel" or "emulated fresnel board (mainline)".
struct Seam {
	std::shared_ptr<v4l2emu::DeviceIo> io;
	std::string description;
	/// The emulated board behind io (nullptr on the kernel): for tests and diagnostics.
	std::shared_ptr<v4l2emu::Board> board;
};

/// Returns 0 and the seam, or -EINVAL with a message for a bad environment (unknown board,
/// malformed V4L2EMU_* value).
int openSeam(Seam *seam, std::string *error);

} // namespace v4l2va
