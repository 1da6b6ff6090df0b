// SPDX-License-Identifier: MIT
// Interposers that describe paths and fds: the stat family (glibc 2.33+ symbols, statx, and the
// legacy __xstat entry points), access, readlink and realpath. Board node paths and fds are
// char devices with the board's major:minor (Board::nodes()); the sysfs files, directories and
// links of the virtual tree look like sysfs's.
#include "preload.h"

#undef _FORTIFY_SOURCE

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#define V4L2EMU_INTERPOSE extern "C" __attribute__((visibility("default")))

namespace v4l2emu::preload {

namespace {

int fail(int negativeErrno)
{
	errno = -negativeErrno;
	return -1;
}

ino_t inodeOf(const std::string &path)
{
	// Stable, distinct numbers per path (FNV-1a), as some programs compare st_ino.
	uint64_t h = 1469598103934665603ull;
	for (unsigned char c : path)
		h = (h ^ c) * 1099511628211ull;
	return static_cast<ino_t>(h | 1);
}

template <typename St>
void fillStat(const VEntry &entry, bool followLinks, St *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = inodeOf(entry.path);
	st->st_nlink = 1;
	st->st_blksize = 4096;
	switch (entry.type) {
	case VType::CharDevice:
		st->st_mode = S_IFCHR | 0660;
		st->st_rdev = entry.rdev;
		break;
	case VType::Directory:
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
		break;
	case VType::File:
		st->st_mode = S_IFREG | 0444;
		st->st_size = 4096;	// what sysfs reports for attributes
		st->st_blocks = 0;
		break;
	case VType::Symlink:
		if (followLinks) {
			st->st_mode = S_IFDIR | 0755;
			st->st_nlink = 2;
		} else {
			st->st_mode = S_IFLNK | 0777;
			st->st_size = static_cast<off_t>(entry.content.size());
		}
		break;
	}
}

/// A stat of a path: the virtual entry's answer, or the real call. Directories the host also
/// has answer for themselves.
template <typename St, typename Real>
int pathStat(const char *path, St *st, bool followLinks, Real real)
{
	if (insideEmulator())
		return real();
	const VEntry *entry = lookupPath(path);
	if (!entry)
		return real();
	if (entry->type == VType::Directory && entry->realMayExist) {
		int ret = real();
		if (ret == 0 || errno != ENOENT)
			return ret;
	}
	if (!st)
		return fail(-EFAULT);
	fillStat(*entry, followLinks, st);
	return 0;
}

/// A stat of an fd: the real answer, patched for the board's node fds and the render node.
template <typename St, typename Real>
int fdStat(int fd, St *st, Real real)
{
	if (insideEmulator())
		return real();
	if (emulatedFd(fd) == -2)
		return fail(-EBADF);
	int ret = real();
	dev_t rdev;
	if (ret == 0 && trackedNodeRdev(fd, &rdev)) {
		st->st_mode = S_IFCHR | 0660;
		st->st_rdev = rdev;
	}
	return ret;
}

void fillStatx(const VEntry &entry, bool followLinks, struct statx *stx)
{
	struct stat st;
	fillStat(entry, followLinks, &st);
	memset(stx, 0, sizeof(*stx));
	stx->stx_mask = STATX_BASIC_STATS;
	stx->stx_mode = static_cast<uint16_t>(st.st_mode);
	stx->stx_nlink = static_cast<uint32_t>(st.st_nlink);
	stx->stx_blksize = static_cast<uint32_t>(st.st_blksize);
	stx->stx_ino = st.st_ino;
	stx->stx_size = static_cast<uint64_t>(st.st_size);
	stx->stx_rdev_major = major(st.st_rdev);
	stx->stx_rdev_minor = minor(st.st_rdev);
}

bool emptyPathOnFd(const char *path, int flags)
{
	return path && !path[0] && (flags & AT_EMPTY_PATH);
}

template <typename Real>
int accessPath(const char *path, Real real)
{
	if (insideEmulator())
		return real();
	const VEntry *entry = lookupPath(path);
	if (!entry)
		return real();
	if (entry->type == VType::Directory && entry->realMayExist) {
		int ret = real();
		if (ret == 0 || errno != ENOENT)
			return ret;
	}
	return 0;
}

ssize_t readlinkPath(const VEntry &entry, char *buf, size_t size)
{
	if (entry.type != VType::Symlink)
		return fail(-EINVAL);
	size_t n = entry.content.size() < size ? entry.content.size() : size;
	memcpy(buf, entry.content.data(), n);
	return static_cast<ssize_t>(n);
}

} // namespace

} // namespace v4l2emu::preload

using namespace v4l2emu;
using namespace v4l2emu::preload;

#define V4L2EMU_PATH_STAT(fnName, which, StType, follow)                                       \
	V4L2EMU_INTERPOSE int fnName(const char *path, StType *st) noexcept                     \
	{                                                                                       \
		return pathStat(path, st, follow, [&] {                                         \
			auto fn = next<int (*)(const char *, StType *)>(which);                 \
			return fn ? fn(path, st) : missingNext();                               \
		});                                                                             \
	}

V4L2EMU_PATH_STAT(stat, Fn::Stat, struct stat, true)
V4L2EMU_PATH_STAT(stat64, Fn::Stat64, struct stat64, true)
V4L2EMU_PATH_STAT(lstat, Fn::Lstat, struct stat, false)
V4L2EMU_PATH_STAT(lstat64, Fn::Lstat64, struct stat64, false)

#define V4L2EMU_FD_STAT(fnName, which, StType)                                                 \
	V4L2EMU_INTERPOSE int fnName(int fd, StType *st) noexcept                               \
	{                                                                                       \
		return fdStat(fd, st, [&] {                                                     \
			auto fn = next<int (*)(int, StType *)>(which);                          \
			return fn ? fn(fd, st) : missingNext();                                 \
		});                                                                             \
	}

V4L2EMU_FD_STAT(fstat, Fn::Fstat, struct stat)
V4L2EMU_FD_STAT(fstat64, Fn::Fstat64, struct stat64)

#define V4L2EMU_AT_STAT(fnName, which, StType)                                                 \
	V4L2EMU_INTERPOSE int fnName(int dirfd, const char *path, StType *st, int flags) noexcept \
	{                                                                                       \
		auto real = [&] {                                                               \
			auto fn = next<int (*)(int, const char *, StType *, int)>(which);       \
			return fn ? fn(dirfd, path, st, flags) : missingNext();                 \
		};                                                                              \
		if (emptyPathOnFd(path, flags))                                                 \
			return fdStat(dirfd, st, real);                                         \
		return pathStat(path, st, !(flags & AT_SYMLINK_NOFOLLOW), real);                \
	}

V4L2EMU_AT_STAT(fstatat, Fn::Fstatat, struct stat)
V4L2EMU_AT_STAT(fstatat64, Fn::Fstatat64, struct stat64)

#define V4L2EMU_XSTAT(fnName, which, StType, follow)                                           \
	V4L2EMU_INTERPOSE int fnName(int ver, const char *path, StType *st)                     \
	{                                                                                       \
		return pathStat(path, st, follow, [&] {                                         \
			auto fn = next<int (*)(int, const char *, StType *)>(which);            \
			return fn ? fn(ver, path, st) : missingNext();                          \
		});                                                                             \
	}

V4L2EMU_XSTAT(__xstat, Fn::Xstat, struct stat, true)
V4L2EMU_XSTAT(__xstat64, Fn::Xstat64, struct stat64, true)
V4L2EMU_XSTAT(__lxstat, Fn::Lxstat, struct stat, false)
V4L2EMU_XSTAT(__lxstat64, Fn::Lxstat64, struct stat64, false)

#define V4L2EMU_FXSTAT(fnName, which, StType)                                                  \
	V4L2EMU_INTERPOSE int fnName(int ver, int fd, StType *st)                               \
	{                                                                                       \
		return fdStat(fd, st, [&] {                                                     \
			auto fn = next<int (*)(int, int, StType *)>(which);                     \
			return fn ? fn(ver, fd, st) : missingNext();                            \
		});                                                                             \
	}

V4L2EMU_FXSTAT(__fxstat, Fn::Fxstat, struct stat)
V4L2EMU_FXSTAT(__fxstat64, Fn::Fxstat64, struct stat64)

#define V4L2EMU_FXSTATAT(fnName, which, StType)                                                \
	V4L2EMU_INTERPOSE int fnName(int ver, int dirfd, const char *path, StType *st, int flags) \
	{                                                                                       \
		auto real = [&] {                                                               \
			auto fn = next<int (*)(int, int, const char *, StType *, int)>(which);  \
			return fn ? fn(ver, dirfd, path, st, flags) : missingNext();            \
		};                                                                              \
		if (emptyPathOnFd(path, flags))                                                 \
			return fdStat(dirfd, st, real);                                         \
		return pathStat(path, st, !(flags & AT_SYMLINK_NOFOLLOW), real);                \
	}

V4L2EMU_FXSTATAT(__fxstatat, Fn::Fxstatat, struct stat)
V4L2EMU_FXSTATAT(__fxstatat64, Fn::Fxstatat64, struct stat64)

V4L2EMU_INTERPOSE int statx(int dirfd, const char *path, int flags, unsigned int mask,
			    struct statx *stx) noexcept
{
	auto fn = next<int (*)(int, const char *, int, unsigned int, struct statx *)>(Fn::Statx);
	if (!fn)
		return missingNext();
	if (insideEmulator())
		return fn(dirfd, path, flags, mask, stx);
	if (emptyPathOnFd(path, flags)) {
		if (emulatedFd(dirfd) == -2)
			return fail(-EBADF);
		int ret = fn(dirfd, path, flags, mask, stx);
		dev_t rdev;
		if (ret == 0 && trackedNodeRdev(dirfd, &rdev)) {
			stx->stx_mode = static_cast<uint16_t>(S_IFCHR | 0660);
			stx->stx_rdev_major = major(rdev);
			stx->stx_rdev_minor = minor(rdev);
		}
		return ret;
	}
	const VEntry *entry = lookupPath(path);
	if (!entry)
		return fn(dirfd, path, flags, mask, stx);
	if (entry->type == VType::Directory && entry->realMayExist) {
		int ret = fn(dirfd, path, flags, mask, stx);
		if (ret == 0 || errno != ENOENT)
			return ret;
	}
	fillStatx(*entry, !(flags & AT_SYMLINK_NOFOLLOW), stx);
	return 0;
}

V4L2EMU_INTERPOSE int access(const char *path, int mode) noexcept
{
	return accessPath(path, [&] {
		auto fn = next<int (*)(const char *, int)>(Fn::Access);
		return fn ? fn(path, mode) : missingNext();
	});
}

V4L2EMU_INTERPOSE int faccessat(int dirfd, const char *path, int mode, int flags) noexcept
{
	return accessPath(path, [&] {
		auto fn = next<int (*)(int, const char *, int, int)>(Fn::Faccessat);
		if (!fn)
			return missingNext();
		std::string redirected = redirectAt(dirfd, path);
		return redirected.empty() ? fn(dirfd, path, mode, flags)
					  : fn(AT_FDCWD, redirected.c_str(), mode, flags);
	});
}

V4L2EMU_INTERPOSE int euidaccess(const char *path, int mode) noexcept
{
	return accessPath(path, [&] {
		auto fn = next<int (*)(const char *, int)>(Fn::Euidaccess);
		return fn ? fn(path, mode) : missingNext();
	});
}

V4L2EMU_INTERPOSE ssize_t readlink(const char *path, char *buf, size_t size) noexcept
{
	auto fn = next<ssize_t (*)(const char *, char *, size_t)>(Fn::Readlink);
	if (!fn)
		return missingNext();
	const VEntry *entry = insideEmulator() ? nullptr : lookupPath(path);
	return entry ? readlinkPath(*entry, buf, size) : fn(path, buf, size);
}

V4L2EMU_INTERPOSE ssize_t readlinkat(int dirfd, const char *path, char *buf, size_t size) noexcept
{
	auto fn = next<ssize_t (*)(int, const char *, char *, size_t)>(Fn::Readlinkat);
	if (!fn)
		return missingNext();
	const VEntry *entry = insideEmulator() ? nullptr : lookupPath(path);
	if (entry)
		return readlinkPath(*entry, buf, size);
	std::string redirected = redirectAt(dirfd, path);
	return fn(redirected.empty() ? dirfd : AT_FDCWD, redirected.empty() ? path : redirected.c_str(),
		  buf, size);
}

V4L2EMU_INTERPOSE char *realpath(const char *path, char *resolved) noexcept
{
	auto fn = next<char *(*)(const char *, char *)>(Fn::Realpath);
	if (!fn) {
		errno = ENOSYS;
		return nullptr;
	}
	const VEntry *entry = insideEmulator() ? nullptr : lookupPath(path);
	if (!entry || (entry->type == VType::Directory && entry->realMayExist))
		return fn(path, resolved);
	// Virtual paths are canonical already (links are not followed).
	if (!resolved)
		return strdup(entry->path.c_str());
	snprintf(resolved, PATH_MAX, "%s", entry->path.c_str());
	return resolved;
}
