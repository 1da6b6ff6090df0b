// SPDX-License-Identifier: MIT
// A fake DRM render node for the test executable (no LD_PRELOAD): libva-drm's
// vaGetDisplayDRM(fd) only accepts an fd that libdrm's drmGetNodeTypeFromFd() calls a render
// node, and ffmpeg opens /dev/dri/renderD128 itself. These interposers, linked into the
// executable (exported with -rdynamic, so they take precedence over libc for libdrm, libva and
// libavutil too), make that path work on a machine without /dev/dri:
//   open*(kRenderNode)        -> a real fd on /dev/null, remembered in a fixed table
//   fstat*(remembered fd)     -> S_IFCHR, rdev 226:128
//   stat*(kRenderNode)        -> S_IFCHR, rdev 226:128
//   stat*(/sys/dev/char/226:128/device/drm and its parents) -> a directory
//   access/faccessat(kRenderNode) -> 0
//   close(remembered fd)      -> forgotten, then really closed
// Everything else goes to the next definition (dlsym(RTLD_NEXT)). libdrm 2.4.114 imports
// fstat64@GLIBC_2.33, stat64@GLIBC_2.33, open64 and access (nm -D libdrm.so.2); the legacy
// __fxstat/__xstat entry points are covered too for libraries built against older glibc.
// The driver never uses the DRM fd (it talks to V4L2 or the emulator), so no ioctl is faked:
// DRM_IOCTL_VERSION fails with ENOTTY and libva falls back to the driver name it was given.
// (shared/spec/toolchain.md §5.3, va-driver.md §4.1-4.3, experiment O.)
//
// No allocation and no locks on any path: the fd table is an array of atomics, and the next
// definitions are resolved once (prewarmed by a constructor, lazily if another library's
// constructor gets here first).

// The fortified inline wrappers of open() would clash with these definitions.
#undef _FORTIFY_SOURCE

#include <atomic>
#include <cerrno>
#include <cstdarg>
#include <cstring>

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

namespace {

constexpr const char *kRenderNode = "/dev/dri/renderD128";
constexpr unsigned kDrmMajor = 226;
constexpr unsigned kRenderMinor = 128;
// drmNodeIsDRM() checks the first; the parents make a directory walk look consistent.
constexpr const char *kSysfsDirs[] = {
	"/sys/dev/char/226:128/device/drm",
	"/sys/dev/char/226:128/device",
	"/sys/dev/char/226:128",
};

// fd + 1 of every open fake node (0: free slot), so the zero-initialised table is empty before
// any constructor runs.
constexpr unsigned kMaxFakeFds = 32;
std::atomic<int> gFakeFds[kMaxFakeFds];

bool isRenderNodePath(const char *path)
{
	return path && strcmp(path, kRenderNode) == 0;
}

bool isSysfsDir(const char *path)
{
	if (!path)
		return false;
	for (const char *dir : kSysfsDirs)
		if (strcmp(path, dir) == 0)
			return true;
	return false;
}

bool isFakeFd(int fd)
{
	if (fd < 0)
		return false;
	for (auto &slot : gFakeFds)
		if (slot.load(std::memory_order_acquire) == fd + 1)
			return true;
	return false;
}

bool rememberFd(int fd)
{
	for (auto &slot : gFakeFds) {
		int expected = 0;
		if (slot.compare_exchange_strong(expected, fd + 1, std::memory_order_acq_rel))
			return true;
	}
	return false;
}

void forgetFd(int fd)
{
	for (auto &slot : gFakeFds) {
		int expected = fd + 1;
		if (slot.compare_exchange_strong(expected, 0, std::memory_order_acq_rel))
			return;
	}
}

// The next definition of each interposed function, resolved once.
enum NextFn {
	kOpen, kOpen64, kOpen2, kOpen64_2, kOpenat, kOpenat64, kOpenat2, kOpenat64_2, kClose,
	kFstat, kFstat64, kFxstat, kFxstat64, kFstatat, kFstatat64,
	kStat, kStat64, kLstat, kLstat64, kXstat, kXstat64, kLxstat, kLxstat64,
	kAccess, kFaccessat, kNextCount
};
constexpr const char *kNextNames[kNextCount] = {
	"open", "open64", "__open_2", "__open64_2", "openat", "openat64", "__openat_2",
	"__openat64_2", "close",
	"fstat", "fstat64", "__fxstat", "__fxstat64", "fstatat", "fstatat64",
	"stat", "stat64", "lstat", "lstat64", "__xstat", "__xstat64", "__lxstat", "__lxstat64",
	"access", "faccessat",
};
std::atomic<void *> gNext[kNextCount];

template <typename Fn>
Fn next(NextFn which)
{
	void *fn = gNext[which].load(std::memory_order_acquire);
	if (!fn) {
		fn = dlsym(RTLD_NEXT, kNextNames[which]);
		gNext[which].store(fn, std::memory_order_release);
	}
	return reinterpret_cast<Fn>(fn);
}

__attribute__((constructor)) void resolveNextDefinitions()
{
	for (unsigned i = 0; i < kNextCount; i++)
		(void)next<void *>(static_cast<NextFn>(i));
}

// The fake node is a real fd on /dev/null (so read/write/poll/mmap behave sanely), opened
// with the real openat so no interposer runs.
int openFakeNode(int flags)
{
	using OpenatFn = int (*)(int, const char *, int, ...);
	auto realOpenat = next<OpenatFn>(kOpenat);
	if (!realOpenat) {
		errno = ENOSYS;
		return -1;
	}
	int fd = realOpenat(AT_FDCWD, "/dev/null", O_RDWR | (flags & O_CLOEXEC));
	if (fd < 0)
		return fd;
	if (!rememberFd(fd)) {
		next<int (*)(int)>(kClose)(fd);
		errno = EMFILE;
		return -1;
	}
	return fd;
}

template <typename St>
void patchCharDevice(St *st)
{
	st->st_mode = S_IFCHR | 0666;
	st->st_rdev = makedev(kDrmMajor, kRenderMinor);
}

template <typename St>
void fillCharDevice(St *st)
{
	memset(st, 0, sizeof(*st));
	st->st_nlink = 1;
	st->st_blksize = 4096;
	patchCharDevice(st);
}

template <typename St>
void fillDirectory(St *st)
{
	memset(st, 0, sizeof(*st));
	st->st_mode = S_IFDIR | 0755;
	st->st_nlink = 2;
	st->st_blksize = 4096;
}

/// Answers a path stat for the faked paths; false: not ours.
template <typename St>
bool fakePathStat(const char *path, St *st)
{
	if (isRenderNodePath(path)) {
		fillCharDevice(st);
		return true;
	}
	if (isSysfsDir(path)) {
		fillDirectory(st);
		return true;
	}
	return false;
}

/// fstat of a fake fd: the real /dev/null answer with the node's type and number.
template <typename St, typename Fn>
int fakeFdStat(Fn realFstat, int fd, St *st)
{
	int ret = realFstat(fd, st);
	if (ret == 0)
		patchCharDevice(st);
	return ret;
}

mode_t modeArgument(int flags, va_list args)
{
	// O_TMPFILE includes O_DIRECTORY, so test all of its bits.
	if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE)
		return static_cast<mode_t>(va_arg(args, int));
	return 0;
}

int missingNext()
{
	errno = ENOSYS;
	return -1;
}

} // namespace

extern "C" {

int open(const char *path, int flags, ...)
{
	va_list args;
	va_start(args, flags);
	mode_t mode = modeArgument(flags, args);
	va_end(args);
	if (isRenderNodePath(path))
		return openFakeNode(flags);
	auto fn = next<int (*)(const char *, int, ...)>(kOpen);
	return fn ? fn(path, flags, mode) : missingNext();
}

int open64(const char *path, int flags, ...)
{
	va_list args;
	va_start(args, flags);
	mode_t mode = modeArgument(flags, args);
	va_end(args);
	if (isRenderNodePath(path))
		return openFakeNode(flags);
	auto fn = next<int (*)(const char *, int, ...)>(kOpen64);
	return fn ? fn(path, flags, mode) : missingNext();
}

int __open_2(const char *path, int flags)
{
	if (isRenderNodePath(path))
		return openFakeNode(flags);
	auto fn = next<int (*)(const char *, int)>(kOpen2);
	return fn ? fn(path, flags) : missingNext();
}

int __open64_2(const char *path, int flags)
{
	if (isRenderNodePath(path))
		return openFakeNode(flags);
	auto fn = next<int (*)(const char *, int)>(kOpen64_2);
	return fn ? fn(path, flags) : missingNext();
}

int openat(int dirfd, const char *path, int flags, ...)
{
	va_list args;
	va_start(args, flags);
	mode_t mode = modeArgument(flags, args);
	va_end(args);
	// The node path is absolute, so dirfd does not matter.
	if (isRenderNodePath(path))
		return openFakeNode(flags);
	auto fn = next<int (*)(int, const char *, int, ...)>(kOpenat);
	return fn ? fn(dirfd, path, flags, mode) : missingNext();
}

int openat64(int dirfd, const char *path, int flags, ...)
{
	va_list args;
	va_start(args, flags);
	mode_t mode = modeArgument(flags, args);
	va_end(args);
	if (isRenderNodePath(path))
		return openFakeNode(flags);
	auto fn = next<int (*)(int, const char *, int, ...)>(kOpenat64);
	return fn ? fn(dirfd, path, flags, mode) : missingNext();
}

int __openat_2(int dirfd, const char *path, int flags)
{
	if (isRenderNodePath(path))
		return openFakeNode(flags);
	auto fn = next<int (*)(int, const char *, int)>(kOpenat2);
	return fn ? fn(dirfd, path, flags) : missingNext();
}

int __openat64_2(int dirfd, const char *path, int flags)
{
	if (isRenderNodePath(path))
		return openFakeNode(flags);
	auto fn = next<int (*)(int, const char *, int)>(kOpenat64_2);
	return fn ? fn(dirfd, path, flags) : missingNext();
}

int close(int fd)
{
	// Forget first: once the real close returns, another thread may be handed the same number.
	forgetFd(fd);
	auto fn = next<int (*)(int)>(kClose);
	return fn ? fn(fd) : missingNext();
}

int fstat(int fd, struct stat *st) noexcept
{
	auto fn = next<int (*)(int, struct stat *)>(kFstat);
	if (!fn)
		return missingNext();
	return isFakeFd(fd) ? fakeFdStat(fn, fd, st) : fn(fd, st);
}

int fstat64(int fd, struct stat64 *st) noexcept
{
	auto fn = next<int (*)(int, struct stat64 *)>(kFstat64);
	if (!fn)
		return missingNext();
	return isFakeFd(fd) ? fakeFdStat(fn, fd, st) : fn(fd, st);
}

int __fxstat(int ver, int fd, struct stat *st)
{
	auto fn = next<int (*)(int, int, struct stat *)>(kFxstat);
	if (!fn)
		return missingNext();
	int ret = fn(ver, fd, st);
	if (ret == 0 && isFakeFd(fd))
		patchCharDevice(st);
	return ret;
}

int __fxstat64(int ver, int fd, struct stat64 *st)
{
	auto fn = next<int (*)(int, int, struct stat64 *)>(kFxstat64);
	if (!fn)
		return missingNext();
	int ret = fn(ver, fd, st);
	if (ret == 0 && isFakeFd(fd))
		patchCharDevice(st);
	return ret;
}

int fstatat(int dirfd, const char *path, struct stat *st, int flags) noexcept
{
	auto fn = next<int (*)(int, const char *, struct stat *, int)>(kFstatat);
	if (!fn)
		return missingNext();
	if (!path[0] && (flags & AT_EMPTY_PATH) && isFakeFd(dirfd)) {
		int ret = fn(dirfd, path, st, flags);
		if (ret == 0)
			patchCharDevice(st);
		return ret;
	}
	if (fakePathStat(path, st))
		return 0;
	return fn(dirfd, path, st, flags);
}

int fstatat64(int dirfd, const char *path, struct stat64 *st, int flags) noexcept
{
	auto fn = next<int (*)(int, const char *, struct stat64 *, int)>(kFstatat64);
	if (!fn)
		return missingNext();
	if (!path[0] && (flags & AT_EMPTY_PATH) && isFakeFd(dirfd)) {
		int ret = fn(dirfd, path, st, flags);
		if (ret == 0)
			patchCharDevice(st);
		return ret;
	}
	if (fakePathStat(path, st))
		return 0;
	return fn(dirfd, path, st, flags);
}

int stat(const char *path, struct stat *st) noexcept
{
	if (fakePathStat(path, st))
		return 0;
	auto fn = next<int (*)(const char *, struct stat *)>(kStat);
	return fn ? fn(path, st) : missingNext();
}

int stat64(const char *path, struct stat64 *st) noexcept
{
	if (fakePathStat(path, st))
		return 0;
	auto fn = next<int (*)(const char *, struct stat64 *)>(kStat64);
	return fn ? fn(path, st) : missingNext();
}

int lstat(const char *path, struct stat *st) noexcept
{
	if (fakePathStat(path, st))
		return 0;
	auto fn = next<int (*)(const char *, struct stat *)>(kLstat);
	return fn ? fn(path, st) : missingNext();
}

int lstat64(const char *path, struct stat64 *st) noexcept
{
	if (fakePathStat(path, st))
		return 0;
	auto fn = next<int (*)(const char *, struct stat64 *)>(kLstat64);
	return fn ? fn(path, st) : missingNext();
}

int __xstat(int ver, const char *path, struct stat *st)
{
	if (fakePathStat(path, st))
		return 0;
	auto fn = next<int (*)(int, const char *, struct stat *)>(kXstat);
	return fn ? fn(ver, path, st) : missingNext();
}

int __xstat64(int ver, const char *path, struct stat64 *st)
{
	if (fakePathStat(path, st))
		return 0;
	auto fn = next<int (*)(int, const char *, struct stat64 *)>(kXstat64);
	return fn ? fn(ver, path, st) : missingNext();
}

int __lxstat(int ver, const char *path, struct stat *st)
{
	if (fakePathStat(path, st))
		return 0;
	auto fn = next<int (*)(int, const char *, struct stat *)>(kLxstat);
	return fn ? fn(ver, path, st) : missingNext();
}

int __lxstat64(int ver, const char *path, struct stat64 *st)
{
	if (fakePathStat(path, st))
		return 0;
	auto fn = next<int (*)(int, const char *, struct stat64 *)>(kLxstat64);
	return fn ? fn(ver, path, st) : missingNext();
}

int access(const char *path, int mode) noexcept
{
	// Newer libdrm tells the node type from access("/dev/dri/renderD<minor>").
	if (isRenderNodePath(path) || isSysfsDir(path))
		return 0;
	auto fn = next<int (*)(const char *, int)>(kAccess);
	return fn ? fn(path, mode) : missingNext();
}

int faccessat(int dirfd, const char *path, int mode, int flags) noexcept
{
	if (isRenderNodePath(path) || isSysfsDir(path))
		return 0;
	auto fn = next<int (*)(int, const char *, int, int)>(kFaccessat);
	return fn ? fn(dirfd, path, mode, flags) : missingNext();
}

} // extern "C"
