// SPDX-License-Identifier: MIT
#include "usercopy.h"

#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

namespace v4l2emu {

namespace {

// process_vm_* may be unavailable (seccomp, old kernels): then plain copies are used.
std::atomic<bool> unavailable{false};

int transfer(void *dst, const void *src, size_t size, bool write)
{
	if (size == 0)
		return 0;
	if (!src || !dst)
		return -EFAULT;
	if (!unavailable.load(std::memory_order_relaxed)) {
		struct iovec local {write ? const_cast<void *>(src) : dst, size};
		struct iovec remote {write ? dst : const_cast<void *>(src), size};
		ssize_t n = write ? process_vm_writev(getpid(), &local, 1, &remote, 1, 0)
				  : process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
		if (n == static_cast<ssize_t>(size))
			return 0;
		if (n >= 0 || errno == EFAULT)
			return -EFAULT;
		if (errno != ENOSYS && errno != EPERM)
			return -EFAULT;
		unavailable.store(true, std::memory_order_relaxed);
	}
	memcpy(dst, src, size);
	return 0;
}

} // namespace

int copyFromUser(void *dst, const void *userSrc, size_t size)
{
	return transfer(dst, userSrc, size, false);
}

int copyToUser(void *userDst, const void *src, size_t size)
{
	return transfer(userDst, src, size, true);
}

} // namespace v4l2emu
