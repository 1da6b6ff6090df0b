// SPDX-License-Identifier: MIT
#pragma once

#include <string_view>

namespace v4l2emu {

/// "VIDIOC_QBUF" for the V4L2 and media ioctls the emulator knows, nullptr otherwise.
const char *ioctlName(unsigned long request);
/// The request code for a name above, or 0 if unknown.
unsigned long ioctlByName(std::string_view name);
/// "EBUSY" for an errno value, nullptr if unknown; and the reverse (0 if unknown).
const char *errnoName(int error);
int errnoByName(std::string_view name);

} // namespace v4l2emu
