// SPDX-License-Identifier: MIT
#pragma once

// Facts shared by the writers and readers of both formats.

#include <v4l2emu/trace.h>

#include <cstdio>
#include <memory>
#include <string>

namespace v4l2emu::trace {

constexpr int kNativeVersion = 1;
/// Byte strings up to this size are inlined ("hex:..."); longer ones go to blobs/sha256/.
constexpr size_t kInlineBytes = 64;

/// The writers, over an open file (they own it).
std::shared_ptr<TraceSink> makeNativeWriter(const TraceWriterOptions &options, FILE *file);
std::shared_ptr<TraceSink> makeStraceWriter(const TraceWriterOptions &options, FILE *file);

/// strace's quoting of a byte string (U:string_quote): default octal escapes, -x (all hex when
/// any byte is not printable ASCII) or -xx (all hex).
enum class StringStyle { Octal, HexNonAscii, Hex };
std::string straceQuote(const std::string &bytes, StringStyle style);

} // namespace v4l2emu::trace
