// SPDX-License-Identifier: MIT
#pragma once

// copy_from_user / copy_to_user for an in-process kernel: payload pointers inside ioctl
// arguments (v4l2_ext_control.ptr, ...) come from the caller and may be garbage. The kernel
// answers EFAULT; so does the emulator, by copying through process_vm_readv/writev on its own
// process, which fails cleanly on unmapped addresses instead of faulting.

#include <cstddef>

namespace v4l2emu {

/// 0 or -EFAULT.
int copyFromUser(void *dst, const void *userSrc, size_t size);
int copyToUser(void *userDst, const void *src, size_t size);

} // namespace v4l2emu
