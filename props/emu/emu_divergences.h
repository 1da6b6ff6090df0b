// SPDX-License-Identifier: MIT
#pragma once

// Where the emulator is known to differ from the kernel: found by the emulator-vs-model
// property, decided by reading the kernel function named, reported (not fixed here). The model
// sets the Quirk bit when an operation takes the path; the sequence runner then ends the case
// (support/check.h: PROPS_STRICT=1 goes on and asserts the kernel's behaviour instead).

#include "emu_model.h"

#include "support/check.h"

#include <array>

namespace props::emu {

struct QuirkDivergence {
	Quirk bit;
	KnownDivergence divergence;
};

// Empty while the emulator matches the model; an entry is { kQuirkX, { id, kernel function,
// emulator file, what differs } }.
inline constexpr std::array<QuirkDivergence, 0> kDivergences {};

} // namespace props::emu
