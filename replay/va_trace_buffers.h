// SPDX-License-Identifier: MIT
#pragma once

#include "va_trace_log.h"

#include <functional>

namespace v4l2va::test {

/// Trace surface id -> replay surface id (VA_INVALID_SURFACE passes through).
using SurfaceMap = std::function<VASurfaceID(VASurfaceID)>;

/// Fills b->data with the struct the buffer's printed lines describe; false with b->problem.
bool rebuildBuffer(VaTraceBuffer *b, const SurfaceMap &map);

} // namespace v4l2va::test
