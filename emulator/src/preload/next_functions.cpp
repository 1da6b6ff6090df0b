// SPDX-License-Identifier: MIT
// The next definitions of the interposed functions, and the per-thread reentrancy flag.
#include "preload.h"

#include <dlfcn.h>

#include <cerrno>

namespace v4l2emu::preload {

__thread bool tInsideEmulator __attribute__((tls_model("initial-exec"))) = false;

namespace {

constexpr const char *kNames[static_cast<unsigned>(Fn::Count)] = {
	"open", "open64", "__open_2", "__open64_2", "openat", "openat64", "__openat_2",
	"__openat64_2",
	"close", "dup", "dup2", "dup3", "fcntl", "fcntl64", "read", "write", "ioctl",
	"mmap", "mmap64", "munmap", "poll", "ppoll", "select", "pselect", "epoll_ctl",
	"stat", "stat64", "lstat", "lstat64", "fstat", "fstat64", "fstatat", "fstatat64", "statx",
	"__xstat", "__xstat64", "__lxstat", "__lxstat64", "__fxstat", "__fxstat64", "__fxstatat",
	"__fxstatat64",
	"access", "faccessat", "euidaccess", "readlink", "readlinkat", "realpath",
	"opendir", "readdir", "readdir64", "closedir", "rewinddir",
	"fopen", "fopen64",
	"fstatfs", "fstatfs64", "syscall",
};

std::atomic<void *> gNext[static_cast<unsigned>(Fn::Count)];

// Resolved before main (lazily too: another library's constructor may get here first).
__attribute__((constructor)) void resolveAll()
{
	for (unsigned i = 0; i < static_cast<unsigned>(Fn::Count); i++)
		(void)nextFunction(static_cast<Fn>(i));
}

} // namespace

void *nextFunction(Fn which)
{
	auto index = static_cast<unsigned>(which);
	void *fn = gNext[index].load(std::memory_order_acquire);
	if (!fn) {
		fn = dlsym(RTLD_NEXT, kNames[index]);
		gNext[index].store(fn, std::memory_order_release);
	}
	return fn;
}

int missingNext()
{
	errno = ENOSYS;
	return -1;
}

} // namespace v4l2emu::preload
