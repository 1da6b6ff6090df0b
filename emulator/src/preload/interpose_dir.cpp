// SPDX-License-Identifier: MIT
// Directory listings and stdio opens of virtual paths: opendir/readdir of /dev (the board's
// nodes are appended to the real listing), /sys/dev/char, the sysfs device directories, and
// fopen of the virtual sysfs files (what std::ifstream and libdrm use).
//
// Every DIR* handed out is a real one from libc, so telldir/seekdir/dirfd never see a foreign
// structure; a directory the host does not have is listed over a real opendir("/") whose own
// entries are skipped.
#include "preload.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <new>

#define V4L2EMU_INTERPOSE extern "C" __attribute__((visibility("default")))

static_assert(sizeof(struct dirent) == sizeof(struct dirent64) &&
		      offsetof(struct dirent, d_name) == offsetof(struct dirent64, d_name),
	      "readdir and readdir64 share one entry layout on this ABI");

namespace v4l2emu::preload {

namespace {

struct DirState {
	DIR *real = nullptr;
	const VEntry *dir = nullptr;
	bool skipReal = false;	///< real is opendir("/"): the host has no such directory
	bool realDone = false;	///< the host's entries are listed (or skipped)
	size_t next = 0;	///< next virtual child
	struct dirent64 entry {};
};

constexpr size_t kMaxDirs = 64;
std::mutex gDirLock;
DirState *gDirs[kMaxDirs];
std::atomic<size_t> gOpenDirs{0};

DirState *findDir(DIR *dir)
{
	for (DirState *s : gDirs)
		if (s && s->real == dir)
			return s;
	return nullptr;
}

bool listsChild(const VEntry &dir, const char *name)
{
	for (const std::string &child : dir.children)
		if (child == name)
			return true;
	return false;
}

struct dirent64 *nextEntry(DirState &s)
{
	if (!s.realDone) {
		auto realReaddir = next<struct dirent64 *(*)(DIR *)>(Fn::Readdir64);
		while (struct dirent64 *d = realReaddir(s.real)) {
			if (!listsChild(*s.dir, d->d_name))
				return d;	// the virtual one is listed below instead
		}
		s.realDone = true;
	}
	const VirtualTree *tree = virtualTree();
	if (!tree || s.next >= s.dir->children.size())
		return nullptr;
	const std::string &name = s.dir->children[s.next++];
	memset(&s.entry, 0, sizeof(s.entry));
	s.entry.d_ino = s.next + 1000;
	s.entry.d_off = static_cast<off64_t>(s.next);
	s.entry.d_reclen = sizeof(s.entry);
	s.entry.d_type = tree->childType(*s.dir, name);
	snprintf(s.entry.d_name, sizeof(s.entry.d_name), "%s", name.c_str());
	return &s.entry;
}

/// The next entry of a DIR* we augment; *ours false if the DIR* is not one of them.
struct dirent64 *readdirCommon(DIR *dir, bool *ours)
{
	*ours = false;
	if (insideEmulator() || gOpenDirs.load(std::memory_order_acquire) == 0)
		return nullptr;
	std::lock_guard<std::mutex> lk(gDirLock);
	DirState *s = findDir(dir);
	if (!s)
		return nullptr;
	*ours = true;
	return nextEntry(*s);
}

bool writesMode(const char *mode)
{
	return strpbrk(mode, "wa+") != nullptr;
}

FILE *fopenCommon(Fn which, const char *path, const char *mode)
{
	auto fn = next<FILE *(*)(const char *, const char *)>(which);
	if (!fn) {
		errno = ENOSYS;
		return nullptr;
	}
	const VEntry *entry = insideEmulator() || !mode ? nullptr : lookupPath(path);
	if (!entry || (entry->type == VType::Directory && entry->realMayExist))
		return fn(path, mode);
	int err = 0;
	switch (entry->type) {
	case VType::File:
		err = writesMode(mode) ? EACCES : 0;
		break;
	case VType::Directory:
	case VType::Symlink:
		err = EISDIR;
		break;
	case VType::CharDevice:
		err = -unsupported(ENOTSUP, "fopen of %s (use open)", path);
		break;
	}
	if (err) {
		errno = err;
		return nullptr;
	}
	int fd = openVirtualFile(*entry, O_RDONLY | (strchr(mode, 'e') ? O_CLOEXEC : 0));
	if (fd < 0) {
		errno = -fd;
		return nullptr;
	}
	FILE *f = fdopen(fd, mode);
	if (!f) {
		int saved = errno;
		next<int (*)(int)>(Fn::Close)(fd);
		errno = saved;
	}
	trace("fopen(%s) (virtual file)", path);
	return f;
}

} // namespace

} // namespace v4l2emu::preload

using namespace v4l2emu;
using namespace v4l2emu::preload;

V4L2EMU_INTERPOSE DIR *opendir(const char *path)
{
	auto fn = next<DIR *(*)(const char *)>(Fn::Opendir);
	if (!fn) {
		errno = ENOSYS;
		return nullptr;
	}
	const VEntry *entry = insideEmulator() ? nullptr : lookupPath(path);
	if (!entry || (entry->type != VType::Directory && entry->type != VType::Symlink))
		return fn(path);
	auto *state = new (std::nothrow) DirState;
	if (!state) {
		errno = ENOMEM;
		return nullptr;
	}
	state->dir = entry;
	state->real = entry->realMayExist ? fn(path) : nullptr;
	if (!state->real) {
		state->real = fn("/");
		state->skipReal = true;
		state->realDone = true;
	}
	if (!state->real) {
		int saved = errno;
		delete state;
		errno = saved;
		return nullptr;
	}
	std::lock_guard<std::mutex> lk(gDirLock);
	for (DirState *&slot : gDirs) {
		if (!slot) {
			slot = state;
			gOpenDirs.fetch_add(1, std::memory_order_acq_rel);
			trace("opendir(%s)", path);
			return state->real;
		}
	}
	DIR *real = state->real;
	delete state;
	next<int (*)(DIR *)>(Fn::Closedir)(real);
	errno = -unsupported(EMFILE, "opendir of %s (more than %zu virtual listings open)", path,
			     kMaxDirs);
	return nullptr;
}

V4L2EMU_INTERPOSE struct dirent *readdir(DIR *dir)
{
	bool ours;
	struct dirent64 *d = readdirCommon(dir, &ours);
	if (ours)
		return reinterpret_cast<struct dirent *>(d);
	auto fn = next<struct dirent *(*)(DIR *)>(Fn::Readdir);
	return fn ? fn(dir) : nullptr;
}

V4L2EMU_INTERPOSE struct dirent64 *readdir64(DIR *dir)
{
	bool ours;
	struct dirent64 *d = readdirCommon(dir, &ours);
	if (ours)
		return d;
	auto fn = next<struct dirent64 *(*)(DIR *)>(Fn::Readdir64);
	return fn ? fn(dir) : nullptr;
}

V4L2EMU_INTERPOSE void rewinddir(DIR *dir)
{
	auto fn = next<void (*)(DIR *)>(Fn::Rewinddir);
	if (!fn)
		return;
	if (!insideEmulator() && gOpenDirs.load(std::memory_order_acquire)) {
		std::lock_guard<std::mutex> lk(gDirLock);
		if (DirState *s = findDir(dir)) {
			s->next = 0;
			s->realDone = s->skipReal;
		}
	}
	fn(dir);
}

V4L2EMU_INTERPOSE int closedir(DIR *dir)
{
	auto fn = next<int (*)(DIR *)>(Fn::Closedir);
	if (!fn)
		return missingNext();
	if (!insideEmulator() && gOpenDirs.load(std::memory_order_acquire)) {
		std::lock_guard<std::mutex> lk(gDirLock);
		for (DirState *&slot : gDirs) {
			if (slot && slot->real == dir) {
				delete slot;
				slot = nullptr;
				gOpenDirs.fetch_sub(1, std::memory_order_acq_rel);
				break;
			}
		}
	}
	return fn(dir);
}

V4L2EMU_INTERPOSE FILE *fopen(const char *path, const char *mode)
{
	return fopenCommon(Fn::Fopen, path, mode);
}

V4L2EMU_INTERPOSE FILE *fopen64(const char *path, const char *mode)
{
	return fopenCommon(Fn::Fopen64, path, mode);
}
