// SPDX-License-Identifier: MIT
// Interposers that make and drop fds: the open family (board nodes, the render node, virtual
// sysfs files), close, the dup family and fcntl(F_DUPFD*), and read/write on board fds.
#include "preload.h"

// The fortified inline wrappers of open() would clash with these definitions.
#undef _FORTIFY_SOURCE

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>

#define V4L2EMU_INTERPOSE extern "C" __attribute__((visibility("default")))

namespace v4l2emu::preload {

namespace {

int fail(int negativeErrno)
{
	errno = -negativeErrno;
	return -1;
}

int openBoardNode(const VEntry &entry, int flags)
{
	Board *board = existingBoard();
	if (!board)
		return fail(-ENOENT);
	int fd;
	{
		EmulatorGuard guard;
		fd = board->io().open(entry.path.c_str(), flags);
	}
	if (fd < 0)
		return fail(fd);
	if (!trackFd(fd, FdInfo::Emulated, FdObject::Node, nodeIndexOf(&entry)))
		trace("fd %d of %s is beyond the fd table: no dup support", fd, entry.path.c_str());
	trace("open(%s, 0x%x) = %d", entry.path.c_str(), flags, fd);
	return fd;
}

/// open*() of a path: ours, or the real call.
template <typename Real>
int openPath(const char *path, int flags, Real real)
{
	if (insideEmulator() || !path)
		return real();
	const VEntry *entry = lookupPath(path);
	if (!entry)
		return real();
	switch (entry->type) {
	case VType::CharDevice:
		if (entry->renderNode) {
			int fd = openRenderNode(flags);
			trace("open(%s) = %d (stand-in render node)", path, fd);
			return fd;
		}
		return openBoardNode(*entry, flags);
	case VType::File: {
		int fd = openVirtualFile(*entry, flags);
		trace("open(%s) = %d (virtual file)", path, fd);
		return fd < 0 ? fail(fd) : fd;
	}
	case VType::Directory:
		if (entry->realMayExist)
			return real();
		break;
	case VType::Symlink:
		break;
	}
	return fail(unsupported(ENOTSUP, "open of the virtual directory %s", path));
}

mode_t modeArgument(int flags, va_list args)
{
	// O_TMPFILE includes O_DIRECTORY, so test all of its bits.
	if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE)
		return static_cast<mode_t>(va_arg(args, int));
	return 0;
}

} // namespace

int openRenderNode(int flags)
{
	// A real fd on /dev/null (read/write/poll behave), opened with the real openat.
	auto realOpenat = next<int (*)(int, const char *, int, ...)>(Fn::Openat);
	if (!realOpenat)
		return missingNext();
	int fd = realOpenat(AT_FDCWD, "/dev/null", O_RDWR | (flags & O_CLOEXEC));
	if (fd < 0)
		return fd;
	if (!trackFd(fd, FdInfo::RenderNode, FdObject::Node, -1)) {
		next<int (*)(int)>(Fn::Close)(fd);
		errno = EMFILE;
		return -1;
	}
	return fd;
}

int openVirtualFile(const VEntry &entry, int flags)
{
	if ((flags & O_ACCMODE) != O_RDONLY)
		return -EACCES;
	EmulatorGuard guard;
	unsigned memfdFlags = MFD_ALLOW_SEALING | ((flags & O_CLOEXEC) ? MFD_CLOEXEC : 0);
	int fd = memfd_create("v4l2emu-sysfs", memfdFlags);
	if (fd < 0)
		return -errno;
	auto realWrite = next<ssize_t (*)(int, const void *, size_t)>(Fn::Write);
	auto realClose = next<int (*)(int)>(Fn::Close);
	size_t done = 0;
	while (done < entry.content.size()) {
		ssize_t n = realWrite(fd, entry.content.data() + done, entry.content.size() - done);
		if (n <= 0) {
			int err = n < 0 ? -errno : -EIO;
			realClose(fd);
			return err;
		}
		done += static_cast<size_t>(n);
	}
	lseek(fd, 0, SEEK_SET);
	// Read-only like sysfs attributes.
	auto realFcntl = next<int (*)(int, int, ...)>(Fn::Fcntl);
	realFcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
	return fd;
}

} // namespace v4l2emu::preload

using namespace v4l2emu;
using namespace v4l2emu::preload;

V4L2EMU_INTERPOSE int open(const char *path, int flags, ...)
{
	va_list args;
	va_start(args, flags);
	mode_t mode = modeArgument(flags, args);
	va_end(args);
	return openPath(path, flags, [&] {
		auto fn = next<int (*)(const char *, int, ...)>(Fn::Open);
		return fn ? fn(path, flags, mode) : missingNext();
	});
}

V4L2EMU_INTERPOSE int open64(const char *path, int flags, ...)
{
	va_list args;
	va_start(args, flags);
	mode_t mode = modeArgument(flags, args);
	va_end(args);
	return openPath(path, flags, [&] {
		auto fn = next<int (*)(const char *, int, ...)>(Fn::Open64);
		return fn ? fn(path, flags, mode) : missingNext();
	});
}

V4L2EMU_INTERPOSE int __open_2(const char *path, int flags)
{
	return openPath(path, flags, [&] {
		auto fn = next<int (*)(const char *, int)>(Fn::Open2);
		return fn ? fn(path, flags) : missingNext();
	});
}

V4L2EMU_INTERPOSE int __open64_2(const char *path, int flags)
{
	return openPath(path, flags, [&] {
		auto fn = next<int (*)(const char *, int)>(Fn::Open64_2);
		return fn ? fn(path, flags) : missingNext();
	});
}

// Absolute paths are looked up as they are; a relative O_PATH open under a /sys dirfd can be a
// walk into the virtual sysfs (libudev's chase_symlinks, see sysfs_walk.cpp).
V4L2EMU_INTERPOSE int openat(int dirfd, const char *path, int flags, ...)
{
	va_list args;
	va_start(args, flags);
	mode_t mode = modeArgument(flags, args);
	va_end(args);
	return openPath(path, flags, [&] {
		auto fn = next<int (*)(int, const char *, int, ...)>(Fn::Openat);
		if (!fn)
			return missingNext();
		std::string redirected = (flags & O_PATH) ? redirectAt(dirfd, path) : std::string();
		return redirected.empty() ? fn(dirfd, path, flags, mode) : fn(AT_FDCWD, redirected.c_str(), flags, mode);
	});
}

V4L2EMU_INTERPOSE int openat64(int dirfd, const char *path, int flags, ...)
{
	va_list args;
	va_start(args, flags);
	mode_t mode = modeArgument(flags, args);
	va_end(args);
	return openPath(path, flags, [&] {
		auto fn = next<int (*)(int, const char *, int, ...)>(Fn::Openat64);
		if (!fn)
			return missingNext();
		std::string redirected = (flags & O_PATH) ? redirectAt(dirfd, path) : std::string();
		return redirected.empty() ? fn(dirfd, path, flags, mode) : fn(AT_FDCWD, redirected.c_str(), flags, mode);
	});
}

V4L2EMU_INTERPOSE int __openat_2(int dirfd, const char *path, int flags)
{
	return openPath(path, flags, [&] {
		auto fn = next<int (*)(int, const char *, int)>(Fn::Openat2);
		if (!fn)
			return missingNext();
		std::string redirected = (flags & O_PATH) ? redirectAt(dirfd, path) : std::string();
		return redirected.empty() ? fn(dirfd, path, flags) : fn(AT_FDCWD, redirected.c_str(), flags);
	});
}

V4L2EMU_INTERPOSE int __openat64_2(int dirfd, const char *path, int flags)
{
	return openPath(path, flags, [&] {
		auto fn = next<int (*)(int, const char *, int)>(Fn::Openat64_2);
		if (!fn)
			return missingNext();
		std::string redirected = (flags & O_PATH) ? redirectAt(dirfd, path) : std::string();
		return redirected.empty() ? fn(dirfd, path, flags) : fn(AT_FDCWD, redirected.c_str(), flags);
	});
}

V4L2EMU_INTERPOSE int close(int fd)
{
	if (insideEmulator()) {
		auto fn = next<int (*)(int)>(Fn::Close);
		return fn ? fn(fd) : missingNext();
	}
	int ret = closeTrackedFd(fd);
	return ret < 0 ? fail(ret) : 0;
}

V4L2EMU_INTERPOSE int dup(int fd) noexcept
{
	auto fn = next<int (*)(int)>(Fn::Dup);
	if (!fn)
		return missingNext();
	if (insideEmulator())
		return fn(fd);
	if (emulatedFd(fd) == -2)
		return fail(-EBADF);
	int newFd = fn(fd);
	if (newFd >= 0)
		trackDup(fd, newFd);
	return newFd;
}

V4L2EMU_INTERPOSE int dup2(int oldFd, int newFd) noexcept
{
	auto fn = next<int (*)(int, int)>(Fn::Dup2);
	if (!fn)
		return missingNext();
	if (insideEmulator() || oldFd == newFd)
		return fn(oldFd, newFd);
	if (emulatedFd(oldFd) == -2)
		return fail(-EBADF);
	if (int ret = releaseForDup2(newFd))
		return fail(ret);
	int ret = fn(oldFd, newFd);
	if (ret >= 0)
		trackDup(oldFd, ret);
	return ret;
}

V4L2EMU_INTERPOSE int dup3(int oldFd, int newFd, int flags) noexcept
{
	auto fn = next<int (*)(int, int, int)>(Fn::Dup3);
	if (!fn)
		return missingNext();
	if (insideEmulator() || oldFd == newFd)
		return fn(oldFd, newFd, flags);
	if (emulatedFd(oldFd) == -2)
		return fail(-EBADF);
	if (int ret = releaseForDup2(newFd))
		return fail(ret);
	int ret = fn(oldFd, newFd, flags);
	if (ret >= 0)
		trackDup(oldFd, ret);
	return ret;
}

namespace {

int fcntlCommon(Fn which, int fd, int cmd, void *arg)
{
	auto fn = next<int (*)(int, int, ...)>(which);
	if (!fn)
		return missingNext();
	if (insideEmulator())
		return fn(fd, cmd, arg);
	int canonical = emulatedFd(fd);
	if (canonical == -2)
		return fail(-EBADF);
	if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC) {
		int newFd = fn(fd, cmd, arg);
		if (newFd >= 0)
			trackDup(fd, newFd);
		return newFd;
	}
	// F_SETFL/F_GETFL (and the rest) go to the real fd: a board number and its aliases are
	// the board's object fd and real dups of it, one open file description, so the status
	// flags set here are the ones the board reads at DQBUF/DQEVENT (core/video_ioctl.cpp),
	// shared by dups as fs/fcntl.c setfl changes filp->f_flags.
	return fn(fd, cmd, arg);
}

/// read/write on a node or request fd: V4L2 core v4l2_read/v4l2_write give EINVAL when the
/// driver has no read/write op (the stateless decoders have none), and so does the VFS for
/// media and request files. Dma-bufs are real memfds.
bool refusesReadWrite(int fd, int *canonical)
{
	*canonical = emulatedFd(fd);
	if (*canonical == -2)
		return true;
	return *canonical >= 0 && fdInfo(fd).object != FdObject::Dmabuf;
}

} // namespace

V4L2EMU_INTERPOSE int fcntl(int fd, int cmd, ...)
{
	va_list args;
	va_start(args, cmd);
	void *arg = va_arg(args, void *);
	va_end(args);
	return fcntlCommon(Fn::Fcntl, fd, cmd, arg);
}

V4L2EMU_INTERPOSE int fcntl64(int fd, int cmd, ...)
{
	va_list args;
	va_start(args, cmd);
	void *arg = va_arg(args, void *);
	va_end(args);
	return fcntlCommon(Fn::Fcntl64, fd, cmd, arg);
}

V4L2EMU_INTERPOSE ssize_t read(int fd, void *buf, size_t count)
{
	auto fn = next<ssize_t (*)(int, void *, size_t)>(Fn::Read);
	if (!fn)
		return missingNext();
	int canonical;
	if (!insideEmulator() && refusesReadWrite(fd, &canonical))
		return fail(canonical == -2 ? -EBADF : -EINVAL);
	return fn(fd, buf, count);
}

V4L2EMU_INTERPOSE ssize_t write(int fd, const void *buf, size_t count)
{
	auto fn = next<ssize_t (*)(int, const void *, size_t)>(Fn::Write);
	if (!fn)
		return missingNext();
	int canonical;
	if (!insideEmulator() && refusesReadWrite(fd, &canonical))
		return fail(canonical == -2 ? -EBADF : -EINVAL);
	return fn(fd, buf, count);
}
