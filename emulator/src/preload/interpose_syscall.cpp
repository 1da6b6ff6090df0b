// SPDX-License-Identifier: MIT
// Interposers that act on many fds or bypass libc's wrappers: close_range(2) and closefrom(3),
// and syscall(2) with the numbers of calls this library emulates (a raw SYS_ioctl on a board
// fd would otherwise reach the kernel's eventfd and fail with ENOTTY).
//
// close_range over board fds: the program's board files are closed as close(2) does (their
// aliases and the board's bookkeeping follow), then the rest of the range is closed except
// the numbers the board still needs: hidden numbers held for aliases outside the range, and
// the memfds holding buffer memory (named v4l2emu-plane). CLOSE_RANGE_CLOEXEC only marks fds
// and goes to the kernel as it is.
#include "preload.h"

#undef _FORTIFY_SOURCE

#include <dirent.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#define V4L2EMU_INTERPOSE extern "C" __attribute__((visibility("default")))

extern "C" int ioctl(int fd, unsigned long request, ...) noexcept;
extern "C" int ppoll(struct pollfd *fds, nfds_t nfds, const struct timespec *timeout,
		     const sigset_t *sigmask);

namespace v4l2emu::preload {

namespace {

long rawSyscall(long number, long a, long b, long c, long d, long e, long f)
{
	auto fn = next<long (*)(long, ...)>(Fn::Syscall);
	if (!fn) {
		errno = ENOSYS;
		return -1;
	}
	return fn(number, a, b, c, d, e, f);
}

/// An fd the board needs although the program never saw it: buffer memory.
bool boardInternalFd(int fd)
{
	char link[64], target[256];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	auto realReadlink = next<ssize_t (*)(const char *, char *, size_t)>(Fn::Readlink);
	ssize_t n = realReadlink ? realReadlink(link, target, sizeof(target) - 1) : -1;
	if (n <= 0)
		return false;
	target[n] = '\0';
	return strncmp(target, "/memfd:v4l2emu-plane", 20) == 0;
}

/// The open fds in [first, last], from /proc/self/fd.
std::vector<int> openFdsIn(unsigned first, unsigned last)
{
	std::vector<int> fds;
	auto realOpendir = next<DIR *(*)(const char *)>(Fn::Opendir);
	auto realReaddir = next<struct dirent64 *(*)(DIR *)>(Fn::Readdir64);
	auto realClosedir = next<int (*)(DIR *)>(Fn::Closedir);
	DIR *dir = realOpendir ? realOpendir("/proc/self/fd") : nullptr;
	if (!dir)
		return fds;
	int own = dirfd(dir);
	while (struct dirent64 *d = realReaddir(dir)) {
		char *end = nullptr;
		long fd = strtol(d->d_name, &end, 10);
		if (*end || end == d->d_name || fd == own)
			continue;
		if (static_cast<unsigned long>(fd) >= first && static_cast<unsigned long>(fd) <= last)
			fds.push_back(static_cast<int>(fd));
	}
	realClosedir(dir);
	return fds;
}

int closeRange(unsigned first, unsigned last, int flags)
{
	auto real = [&] {
		return static_cast<int>(rawSyscall(SYS_close_range, first, last, flags, 0, 0, 0));
	};
	if (insideEmulator() || !existingBoard() || (flags & CLOSE_RANGE_CLOEXEC) || first > last)
		return real();
	if (flags & ~static_cast<int>(CLOSE_RANGE_UNSHARE)) {
		errno = EINVAL;	// close_range: unknown flags
		return -1;
	}
	if (flags & CLOSE_RANGE_UNSHARE) {
		// The fd table would be copied first: our bookkeeping cannot follow into it.
		errno = -unsupported(EINVAL, "close_range with CLOSE_RANGE_UNSHARE while the board "
					     "has files");
		return -1;
	}
	// The program's board files first (as close(2) each).
	for (int fd : openFdsIn(first, last)) {
		FdInfo info = fdInfo(fd);
		if (info.kind == FdInfo::None ? emulatedFd(fd) >= 0 : !info.hidden)
			closeTrackedFd(fd);
	}
	// What remains, except what the board still holds.
	auto realClose = next<int (*)(int)>(Fn::Close);
	for (int fd : openFdsIn(first, last)) {
		FdInfo info = fdInfo(fd);
		if (info.kind != FdInfo::None || emulatedFd(fd) >= 0 || boardInternalFd(fd))
			continue;
		realClose(fd);
	}
	trace("close_range(%u, %u): board files closed, its own fds kept", first, last);
	return 0;
}

} // namespace

} // namespace v4l2emu::preload

using namespace v4l2emu::preload;

V4L2EMU_INTERPOSE int close_range(unsigned first, unsigned last, int flags) noexcept
{
	return closeRange(first, last, flags);
}

V4L2EMU_INTERPOSE void closefrom(int lowfd) noexcept
{
	// glibc's closefrom: close_range(lowfd, ~0U, 0), falling back to closing one by one.
	if (lowfd < 0)
		lowfd = 0;
	closeRange(static_cast<unsigned>(lowfd), ~0U, 0);
}

// syscall(2): the numbers of the calls emulated here go through their interposers; every other
// number, and every call while the emulator runs, reaches the kernel unchanged.
V4L2EMU_INTERPOSE long syscall(long number, ...) noexcept
{
	va_list args;
	va_start(args, number);
	long a = va_arg(args, long), b = va_arg(args, long), c = va_arg(args, long);
	long d = va_arg(args, long), e = va_arg(args, long), f = va_arg(args, long);
	va_end(args);
	if (insideEmulator())
		return rawSyscall(number, a, b, c, d, e, f);
	auto fd = static_cast<int>(a);
	switch (number) {
	case SYS_ioctl:
		return ioctl(fd, static_cast<unsigned long>(b), reinterpret_cast<void *>(c));
	case SYS_close:
		return close(fd);
	case SYS_close_range:
		return closeRange(static_cast<unsigned>(a), static_cast<unsigned>(b),
				  static_cast<int>(c));
	case SYS_dup:
		return dup(fd);
	case SYS_dup2:
		return dup2(fd, static_cast<int>(b));
	case SYS_dup3:
		return dup3(fd, static_cast<int>(b), static_cast<int>(c));
	case SYS_fcntl:
		return fcntl(fd, static_cast<int>(b), c);
	case SYS_read:
		return read(fd, reinterpret_cast<void *>(b), static_cast<size_t>(c));
	case SYS_write:
		return write(fd, reinterpret_cast<const void *>(b), static_cast<size_t>(c));
	case SYS_openat:
		return openat(fd, reinterpret_cast<const char *>(b), static_cast<int>(c),
			      static_cast<mode_t>(d));
	case SYS_mmap: {
		void *p = mmap(reinterpret_cast<void *>(a), static_cast<size_t>(b),
			       static_cast<int>(c), static_cast<int>(d), static_cast<int>(e),
			       static_cast<off_t>(f));
		return reinterpret_cast<long>(p);
	}
	case SYS_munmap:
		return munmap(reinterpret_cast<void *>(a), static_cast<size_t>(b));
	case SYS_poll:
		return poll(reinterpret_cast<struct pollfd *>(a), static_cast<nfds_t>(b),
			    static_cast<int>(c));
	case SYS_ppoll:
		// The kernel's sigsetsize argument (e) is libc's business.
		return ppoll(reinterpret_cast<struct pollfd *>(a), static_cast<nfds_t>(b),
			     reinterpret_cast<const struct timespec *>(c),
			     reinterpret_cast<const sigset_t *>(d));
	default:
		break;
	}
	// Calls on one fd that this library does not route: say so once if it is a board fd.
	switch (number) {
	case SYS_epoll_ctl:
		if (emulatedFd(static_cast<int>(c)) != -1 && b != EPOLL_CTL_DEL)
			break;
		return rawSyscall(number, a, b, c, d, e, f);
	case SYS_fstat:
	case SYS_newfstatat:
	case SYS_readv:
	case SYS_writev:
	case SYS_pread64:
	case SYS_pwrite64:
	case SYS_lseek:
	case SYS_flock:
	case SYS_fsync:
		if (emulatedFd(fd) == -1)
			return rawSyscall(number, a, b, c, d, e, f);
		break;
	default:
		return rawSyscall(number, a, b, c, d, e, f);
	}
	errno = -unsupported(ENOSYS, "raw syscall %ld on a board fd (use the libc call)", number);
	return -1;
}
