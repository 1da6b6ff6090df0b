// SPDX-License-Identifier: MIT
#pragma once

// Internals of libv4l2emu_preload.so, the LD_PRELOAD library that presents an emulated board's
// /dev/mediaN and /dev/videoN nodes (and a stand-in DRM render node for libva) to unmodified
// programs. The interposers (interpose_*.cpp) decide per call whether it is ours: a board node
// path, an fd the board handed out, a faked sysfs path; everything else goes to the next
// definition (libc) untouched.
//
// Rules every interposer follows:
// - While the emulator itself runs on this thread (EmulatorGuard), every call goes straight to
//   libc: the board opens, maps, polls and closes its own eventfds and memfds.
// - Errors are libc's: return -1 (or MAP_FAILED / nullptr) and set errno from the seam's -errno.
// - No allocation on the paths every program call takes (fd checks are lock-free table reads);
//   the board and the virtual file tree are built once, at the first call that needs them.

#include <v4l2emu/board.h>

#include <sys/stat.h>
#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace v4l2emu::preload {

// ---------------------------------------------------------------------------------------------
// The next definition of every interposed function (libc's), resolved once with RTLD_NEXT.

enum class Fn : unsigned {
	Open, Open64, Open2, Open64_2, Openat, Openat64, Openat2, Openat64_2,
	Close, Dup, Dup2, Dup3, Fcntl, Fcntl64, Read, Write, Ioctl,
	Mmap, Mmap64, Munmap, Poll, Ppoll, Select, Pselect, EpollCtl,
	Stat, Stat64, Lstat, Lstat64, Fstat, Fstat64, Fstatat, Fstatat64, Statx,
	Xstat, Xstat64, Lxstat, Lxstat64, Fxstat, Fxstat64, Fxstatat, Fxstatat64,
	Access, Faccessat, Euidaccess, Readlink, Readlinkat, Realpath,
	Opendir, Readdir, Readdir64, Closedir, Rewinddir,
	Fopen, Fopen64,
	Fstatfs, Fstatfs64, Syscall,
	Count
};

void *nextFunction(Fn which);

template <typename F>
F next(Fn which)
{
	return reinterpret_cast<F>(nextFunction(which));
}

/// errno = ENOSYS, -1: the next definition could not be found (never on glibc).
int missingNext();

// ---------------------------------------------------------------------------------------------
// Reentrancy: set while this thread runs emulator code.

extern __thread bool tInsideEmulator __attribute__((tls_model("initial-exec")));

inline bool insideEmulator()
{
	return tInsideEmulator;
}

class EmulatorGuard {
public:
	EmulatorGuard() : previous_(tInsideEmulator) { tInsideEmulator = true; }
	~EmulatorGuard() { tInsideEmulator = previous_; }
	EmulatorGuard(const EmulatorGuard &) = delete;
	EmulatorGuard &operator=(const EmulatorGuard &) = delete;

private:
	bool previous_;
};

// ---------------------------------------------------------------------------------------------
// The fd table: which fd numbers are the board's (and the stand-in render node's), lock-free.
// dup()ed numbers are aliases of the board's fd (the board keys its files by fd number).

enum class FdObject : uint32_t { Node = 0, Request = 1, Dmabuf = 2 };

struct FdInfo {
	enum Kind { None, Emulated, RenderNode } kind = None;
	bool hidden = false;	///< the program closed this number, aliases keep the file open
	FdObject object = FdObject::Node;
	int node = -1;		///< index into the virtual tree's char nodes (Node objects)
	int canonical = -1;	///< the board's fd number for this file
};

constexpr int kMaxTrackedFd = 1 << 16;

FdInfo fdInfo(int fd);
/// The board's fd for a program fd: >= 0 ours, -1 not ours, -2 closed by the program (EBADF).
int emulatedFd(int fd);
bool isRenderNodeFd(int fd);
/// Records an fd the board (or the render node) just handed out.
bool trackFd(int fd, FdInfo::Kind kind, FdObject object, int node);
/// close(2) of a tracked fd, with alias bookkeeping. Returns 0 or -errno.
int closeTrackedFd(int fd);
/// After a successful real dup of a tracked fd: newFd is an alias of oldFd's file.
void trackDup(int oldFd, int newFd);
/// Before dup2/dup3 over newFd: closes what the program had there. -errno if newFd may not be
/// replaced (it is a number the board still holds for an alias).
int releaseForDup2(int newFd);
/// Any emulated mmap done yet (munmap needs the board's registry only then).
extern std::atomic<bool> gEmulatedMappings;

// ---------------------------------------------------------------------------------------------
// The board and the virtual file tree.

enum class VType { CharDevice, Directory, File, Symlink };

struct VEntry {
	std::string path;
	VType type;
	dev_t rdev = 0;			///< CharDevice
	int device = -1;		///< board device index (CharDevice of the board), -1 otherwise
	bool renderNode = false;
	std::string content;		///< File; Symlink: the link target
	std::vector<std::string> children;	///< Directory and Symlink (a link to a directory)
	bool realMayExist = false;	///< a Directory the host has too (listings are merged)
};

struct VirtualTree {
	std::vector<VEntry> entries;
	std::string devDir;
	/// Entry for a path (trailing slashes ignored; links of the tree on the way are followed),
	/// nullptr if none.
	const VEntry *find(std::string_view path) const;
	/// Entry whose path is exactly this one.
	const VEntry *findExact(std::string_view path) const;
	/// d_type of a child of dir.
	unsigned char childType(const VEntry &dir, const std::string &child) const;
};

/// base (absolute, canonical) + "/" + relative, with "." and ".." applied.
std::string joinPath(const std::string &base, std::string_view relative);

/// Quick test, without building anything, whether a path can be one of ours.
bool candidatePath(const char *path);
/// The tree (creating the board on first use), nullptr if the board could not be made.
const VirtualTree *virtualTree();
/// The board if it has been created (never creates it).
Board *existingBoard();
/// The entry of a candidate path, creating the board if needed; nullptr if not ours.
const VEntry *lookupPath(const char *path);
/// Path of a char entry by index (for messages), "?" if unknown.
const char *nodePathForMessage(int node);
int nodeIndexOf(const VEntry *entry);

// ---------------------------------------------------------------------------------------------
// Messages: one line per distinct unsupported call, rate limited, kept for the summary.

int logLevel();		///< V4L2EMU_PRELOAD_LOG: 0 silent, 1 unsupported calls (default), 2 trace
/// "v4l2emu-preload: <what>: not emulated (<ERRNO>)" once per distinct what; returns -error.
int unsupported(int error, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void errorLine(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

struct UnsupportedRecord {
	std::string what;
	int error;
	uint64_t count;
};
std::vector<UnsupportedRecord> unsupportedCalls();

// ---------------------------------------------------------------------------------------------
// Fake files and stat answers.

/// A read-only memfd holding a virtual file's content (flags: the caller's O_CLOEXEC).
int openVirtualFile(const VEntry &entry, int flags);
/// The char device number a tracked fd stands for; false if it is not a node fd.
bool trackedNodeRdev(int fd, dev_t *rdev);

/// A relative *at() path under a dirfd in the real /sys (or /) that names a virtual entry: the
/// same path in the sysfs mirror (sysfs_walk.cpp), written out on first use; empty if not ours.
/// Callers only ask for walks that can be libudev's (O_PATH opens, readlinkat, faccessat).
std::string redirectAt(int dirfd, const char *path);
/// Whether fd is a file or directory of the sysfs mirror (fstatfs answers sysfs for them).
bool inSysfsMirror(int fd);

/// The stand-in DRM render node: DRM_IOCTL_VERSION answers, other DRM ioctls ENOTTY.
int renderNodeIoctl(int fd, unsigned long request, void *arg);
int openRenderNode(int flags);

/// Writes V4L2EMU_SUMMARY (if set and the board exists). Called at exit.
void writeSummary();

} // namespace v4l2emu::preload
