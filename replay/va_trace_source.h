// SPDX-License-Identifier: MIT
#pragma once

// A FrameSource (backend/tests/va/support) that serves the pictures of a recorded LIBVA_TRACE
// run (corpus/traces/libva/<codec>-176x144): real HEVC, VP8 and VP9 streams, whose buffers the
// consumer scripts render in their own order and style. The run's surface ids become the
// script's: a picture's CurrPic is the target the script chose, its references the targets
// the script chose for the pictures they name (decode order, from picture 0). `reference` is
// ignored: the stream's own references are used.

#include "frame_source.h"

#include <map>
#include <memory>
#include <string>

namespace v4l2va::test {

/// The source for `runDir` (its va_trace.* files and meta.json's clip, from sourceDir), or
/// nullptr with *error.
std::unique_ptr<FrameSource> makeTraceSource(const std::string &runDir, const std::string &sourceDir,
					     const std::string &name, std::string *error);

} // namespace v4l2va::test
