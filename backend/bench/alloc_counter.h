// SPDX-License-Identifier: MIT
#pragma once

// A counting allocator for the benchmark: alloc_counter.cpp defines malloc, calloc, realloc,
// the aligned variants, free and every global operator new/delete in the executable, forwarding
// to glibc's __libc_* functions. The executable exports them (see CMakeLists.txt), so the VA
// driver loaded with dlopen and the emulator library resolve to them too.
//
// While a window is open every allocation is counted and attributed to the object that asked
// for it: the nearest stack frame outside libc/libstdc++/libgcc decides (driver .so, emulator
// library, or the bench executable). The first few stacks of a window are kept (no allocation
// needed to keep them) for --where.

#include <cstddef>
#include <cstdint>
#include <string>

namespace v4l2va::bench {

enum class AllocOwner : uint8_t { Driver, Emulator, Bench, Other, Count };

const char *toString(AllocOwner owner);

constexpr unsigned kMaxKeptStacks = 16;
constexpr unsigned kStackDepth = 32;

struct AllocWindow {
	uint64_t total = 0;
	uint64_t bytes = 0;
	uint64_t byOwner[static_cast<unsigned>(AllocOwner::Count)] = {};
	unsigned keptStacks = 0;	///< min(total, the keep limit given to open())
};

/// One kept stack of a window: the frames from the allocator's caller outwards.
struct KeptStack {
	void *frames[kStackDepth];
	int depth = 0;
	size_t size = 0;
	AllocOwner owner = AllocOwner::Other;
};

/// Tells the counter which loaded objects are which: an address inside each (any function).
/// Call before the first window (dladdr, outside any window).
void identifyObjects(const void *inDriver, const void *inEmulator, const void *inBench);

/// Loads what backtrace() needs (libgcc_s) outside any window.
void primeBacktrace();

/// Opens a window: counts from now on; keeps the first `keepStacks` stacks (0..kMaxKeptStacks).
void openWindow(unsigned keepStacks);
/// Closes the window and returns its figures.
AllocWindow closeWindow();
/// Stack i of the last closed window (i < AllocWindow::keptStacks).
const KeptStack &keptStack(unsigned i);

/// A kept stack as text: backtrace_symbols lines, then function and file:line for the frames in
/// the driver, emulator and bench (addr2line, when installed). The objects must still be loaded
/// as identifyObjects() saw them.
std::string describeStack(const KeptStack &stack, unsigned number);

} // namespace v4l2va::bench
