// SPDX-License-Identifier: MIT
#pragma once

// Whether a program carries its own sanitizer runtime. clang links the ASan/TSan runtime into a
// sanitized executable statically; preloading the shared runtime into such a program makes
// the runtime abort ("linked against incompatible ASan runtimes"), so v4l2emu-run preloads it
// only into programs without one (gcc's sanitized programs import theirs from the shared
// library, which preloading loads once).

#include <string>

namespace v4l2emu::tools {

/// The file execvp would run for `program` (searched in PATH when it has no '/'), or "".
std::string resolveProgram(const std::string &program);

/// True when the ELF file at `path` defines __asan_init or __tsan_init in its dynamic symbol
/// table; false for anything else (not ELF, unreadable, malformed, runtime imported).
bool definesSanitizerRuntime(const std::string &path);

} // namespace v4l2emu::tools
