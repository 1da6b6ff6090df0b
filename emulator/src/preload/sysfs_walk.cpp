// SPDX-License-Identifier: MIT
// Relative walks into the virtual sysfs. libudev (systemd 252 sd-device, what gudev and so
// GStreamer's v4l2codecs use) resolves a syspath with chase_symlinks(): open("/", O_PATH), then
// one openat(dirfd, component, O_PATH|O_NOFOLLOW) per component, readlinkat(dirfd, name) for
// links, ".." by openat, and at the end faccessat(fd, "uevent") and fstatfs(fd) == SYSFS_MAGIC.
// A path string never reaches us for those, only a directory fd and a name. So the first time
// such a walk steps from the real /sys into a virtual entry, the virtual /sys entries are
// written out once as a real tree (directories, files, symlinks) under a private temporary
// directory, and the step is redirected there; from then on the kernel resolves the walk itself
// (the tree mirrors /sys, so relative links and ".." stay inside it). fstatfs on an fd of that
// tree reports sysfs. The tree is removed at exit by the process that made it.
// Only O_PATH opens, readlinkat and faccessat are redirected (what chase_symlinks uses); other
// relative calls under a /sys dirfd get the host's answer (ENOENT for the board's entries).
#include "preload.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

#define V4L2EMU_INTERPOSE extern "C" __attribute__((visibility("default")))

namespace v4l2emu::preload {

namespace {

std::mutex gMaterializeLock;
std::atomic<bool> gMaterialized{false};
// Never destroyed (static destructors may run before the exit-time removal below).
std::string &gRoot = *new std::string;	///< the tree's directory (set before gMaterialized)
std::vector<std::string> &gCreated = *new std::vector<std::string>;	///< in creation order
pid_t gCreator = 0;

bool startsWith(const std::string &s, const char *prefix)
{
	return s.rfind(prefix, 0) == 0;
}

/// The path an fd was opened at (/proc/self/fd), empty if unknown.
std::string fdPath(int fd)
{
	char link[64], target[PATH_MAX];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	auto realReadlink = next<ssize_t (*)(const char *, char *, size_t)>(Fn::Readlink);
	ssize_t n = realReadlink ? realReadlink(link, target, sizeof(target) - 1) : -1;
	return n > 0 ? std::string(target, static_cast<size_t>(n)) : std::string();
}

/// Whether an entry lies behind one of the tree's symlinks (its content is at the target).
bool behindLink(const VirtualTree &tree, const std::string &path)
{
	for (size_t slash = path.find('/', 1); slash != std::string::npos;
	     slash = path.find('/', slash + 1)) {
		const VEntry *e = tree.findExact(std::string_view(path).substr(0, slash));
		if (e && e->type == VType::Symlink)
			return true;
	}
	return false;
}

/// mkdir -p of a directory below gRoot, recording what it made.
bool makeDirs(const std::string &path)
{
	for (size_t slash = path.find('/', gRoot.size() + 1);; slash = path.find('/', slash + 1)) {
		std::string prefix = slash == std::string::npos ? path : path.substr(0, slash);
		if (mkdir(prefix.c_str(), 0755) == 0)
			gCreated.push_back(prefix);
		else if (errno != EEXIST)
			return false;
		if (slash == std::string::npos)
			return true;
	}
}

bool writeFile(const std::string &path, const std::string &content)
{
	int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
	if (fd < 0)
		return false;
	gCreated.push_back(path);
	auto realWrite = next<ssize_t (*)(int, const void *, size_t)>(Fn::Write);
	size_t done = 0;
	while (done < content.size()) {
		ssize_t n = realWrite(fd, content.data() + done, content.size() - done);
		if (n <= 0)
			break;
		done += static_cast<size_t>(n);
	}
	next<int (*)(int)>(Fn::Close)(fd);
	return done == content.size();
}

void removeTree()
{
	for (auto it = gCreated.rbegin(); it != gCreated.rend(); ++it)
		if (unlink(it->c_str()) != 0)
			rmdir(it->c_str());
	gCreated.clear();
	if (!gRoot.empty())
		rmdir(gRoot.c_str());
}

/// Writes the virtual /sys out under a fresh temporary directory; false if that failed.
bool materialize(const VirtualTree &tree)
{
	if (gMaterialized.load(std::memory_order_acquire))
		return true;
	std::lock_guard<std::mutex> lk(gMaterializeLock);
	if (gMaterialized.load(std::memory_order_relaxed))
		return true;
	static bool failed = false;
	if (failed)
		return false;
	EmulatorGuard guard;
	const char *tmp = getenv("TMPDIR");
	std::string pattern = std::string(tmp && tmp[0] == '/' ? tmp : "/tmp") + "/v4l2emu-sysfs.XXXXXX";
	std::vector<char> buffer(pattern.begin(), pattern.end());
	buffer.push_back('\0');
	if (!mkdtemp(buffer.data())) {
		errorLine("cannot create the sysfs mirror %s: %s", pattern.c_str(), strerror(errno));
		failed = true;
		return false;
	}
	gRoot = buffer.data();
	gCreator = getpid();
	bool ok = true;
	for (const VEntry &e : tree.entries) {
		if (!ok)
			break;
		if (!startsWith(e.path, "/sys/") || behindLink(tree, e.path))
			continue;
		std::string path = gRoot + e.path;
		size_t slash = path.rfind('/');
		switch (e.type) {
		case VType::Directory:
			ok = makeDirs(path);
			break;
		case VType::File:
			ok = makeDirs(path.substr(0, slash)) && writeFile(path, e.content);
			break;
		case VType::Symlink:
			ok = makeDirs(path.substr(0, slash)) && symlink(e.content.c_str(), path.c_str()) == 0;
			if (ok)
				gCreated.push_back(path);
			break;
		case VType::CharDevice:
			break;
		}
	}
	if (!ok) {
		errorLine("cannot write the sysfs mirror under %s: %s", gRoot.c_str(), strerror(errno));
		removeTree();
		failed = true;
		return false;
	}
	trace("sysfs mirror for relative walks at %s", gRoot.c_str());
	gMaterialized.store(true, std::memory_order_release);
	return true;
}

__attribute__((destructor)) void removeMirrorAtExit()
{
	// A forked child that exits without exec must not remove its parent's tree.
	if (gMaterialized.load(std::memory_order_acquire) && getpid() == gCreator) {
		EmulatorGuard guard;
		removeTree();
	}
}

} // namespace

std::string redirectAt(int dirfd, const char *path)
{
	if (insideEmulator() || !path || path[0] == '/' || path[0] == '\0' || dirfd < 0)
		return {};
	std::string base = fdPath(dirfd);
	if (base != "/" && base != "/sys" && !startsWith(base, "/sys/"))
		return {};
	std::string joined = joinPath(base, path);
	const VEntry *entry = lookupPath(joined.c_str());
	if (!entry || (entry->type == VType::Directory && entry->realMayExist))
		return {};
	const VirtualTree *tree = virtualTree();
	if (!tree || !materialize(*tree))
		return {};
	trace("relative walk %s (fd %d) -> %s%s", joined.c_str(), dirfd, gRoot.c_str(),
	      joined.c_str());
	return gRoot + joined;
}

bool inSysfsMirror(int fd)
{
	if (!gMaterialized.load(std::memory_order_acquire) || insideEmulator())
		return false;
	std::string path = fdPath(fd);
	return path.size() > gRoot.size() && startsWith(path, gRoot.c_str()) &&
	       path[gRoot.size()] == '/';
}

} // namespace v4l2emu::preload

using namespace v4l2emu::preload;

// The files of the mirror are sysfs's (sd-device's device_set_syspath checks the magic).
V4L2EMU_INTERPOSE int fstatfs(int fd, struct statfs *buf) noexcept
{
	auto fn = next<int (*)(int, struct statfs *)>(Fn::Fstatfs);
	if (!fn)
		return missingNext();
	int ret = fn(fd, buf);
	if (ret == 0 && inSysfsMirror(fd))
		buf->f_type = SYSFS_MAGIC;
	return ret;
}

V4L2EMU_INTERPOSE int fstatfs64(int fd, struct statfs64 *buf) noexcept
{
	auto fn = next<int (*)(int, struct statfs64 *)>(Fn::Fstatfs64);
	if (!fn)
		return missingNext();
	int ret = fn(fd, buf);
	if (ret == 0 && inSysfsMirror(fd))
		buf->f_type = SYSFS_MAGIC;
	return ret;
}
