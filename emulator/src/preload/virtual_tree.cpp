// SPDX-License-Identifier: MIT
// The board, created at the first call that needs it, and the virtual files that make its
// nodes look like a kernel's: the char devices, their /dev listing, and the sysfs files and
// links programs read to identify a node:
//   /sys/dev/char/M:m -> a link whose basename is the devnode (kernel seam devnodePath)
//   /sys/dev/char/M:m/uevent   DEVNAME=video0 (v4l2-compliance media_detect_type)
//   /sys/dev/char/M:m/device/  lists mediaN (v4l2-compliance/v4l2-ctl mi_get_media_fd)
//   /sys/dev/char/226:128/device/drm  (libdrm drmGetNodeTypeFromFd, for libva-drm)
//   /sys/class/video4linux/videoN/{name,dev,index,uevent,device}
// and, for libudev (sd-device: enumeration of /sys/bus/<subsystem>/devices and /sys/class/<class>,
// syspaths resolved to /sys/devices/..., subsystem links, uevent), the kernel's layout:
//   /sys/devices/platform/v4l2emu-<device>/{uevent,mediaN,video4linux/videoN}
//     mediaN/{dev,uevent,device,subsystem -> ../../../../bus/media}   (media_devnode_register:
//     bus "media", device named mediaN, parent the platform device)
//     video4linux/videoN/{dev,uevent,name,index,device,subsystem -> .../class/video4linux}
//     (__video_register_device: class "video4linux", parent the platform device)
//   /sys/bus/media/devices/mediaN -> ../../../devices/platform/v4l2emu-<device>/mediaN
// Node paths follow BoardOptions::devDir (V4L2EMU_DEV_DIR); the stand-in render node is always
// /dev/dri/renderD128 (226:128), as libva and ffmpeg expect.
#include "preload.h"

#include <dirent.h>
#include <sys/sysmacros.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>

namespace v4l2emu::preload {

namespace {

constexpr const char *kRenderNodePath = "/dev/dri/renderD128";
constexpr unsigned kDrmMajor = 226, kRenderMinor = 128;

std::mutex gCreateLock;
// 0: not yet, 1: ready, 2: failed (message printed once).
std::atomic<int> gState{0};
std::atomic<Board *> gBoard{nullptr};
const VirtualTree *gTree = nullptr;

std::string_view withoutTrailingSlashes(std::string_view path)
{
	while (path.size() > 1 && path.back() == '/')
		path.remove_suffix(1);
	return path;
}

std::string baseName(const std::string &path)
{
	size_t slash = path.rfind('/');
	return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string dirName(const std::string &path)
{
	size_t slash = path.rfind('/');
	if (slash == std::string::npos || slash == 0)
		return "/";
	return path.substr(0, slash);
}

std::string majorMinor(dev_t rdev)
{
	return std::to_string(major(rdev)) + ":" + std::to_string(minor(rdev));
}

/// DEVNAME of a node: its path below /dev (sd-device prefixes "/dev/"), else its basename.
std::string devName(const std::string &devDir, const std::string &node)
{
	if (devDir == "/dev")
		return node;
	if (devDir.rfind("/dev/", 0) == 0)
		return devDir.substr(5) + "/" + node;
	return node;
}

class TreeBuilder {
public:
	explicit TreeBuilder(VirtualTree &tree) : tree_(tree) {}

	void charDevice(const std::string &path, dev_t rdev, int device, bool render)
	{
		VEntry &e = add(path, VType::CharDevice);
		e.rdev = rdev;
		e.device = device;
		e.renderNode = render;
	}
	void directory(const std::string &path, std::vector<std::string> children, bool real)
	{
		VEntry &e = add(path, VType::Directory);
		e.children = std::move(children);
		e.realMayExist = real;
	}
	void file(const std::string &path, std::string content)
	{
		add(path, VType::File).content = std::move(content);
	}
	void link(const std::string &path, std::string target, std::vector<std::string> children)
	{
		VEntry &e = add(path, VType::Symlink);
		e.content = std::move(target);
		e.children = std::move(children);
	}

	/// A sysfs class device directory (what /sys/dev/char/M:m and /sys/class/.../name link
	/// to): dev, uevent, and the parent device with the media node listed in it.
	/// An empty target makes base the device's own directory (under /sys/devices), with its
	/// subsystem link (sd_device_get_subsystem reads it).
	void classDevice(const std::string &base, const std::string &target, dev_t rdev,
			 const std::string &devname, const std::string &name,
			 const std::string &platformDevice, const std::string &driver,
			 const std::string &mediaName, const std::string &videoName)
	{
		bool video = !name.empty();
		std::vector<std::string> children = {"dev", "uevent", "device"};
		if (video) {
			children.push_back("name");
			children.push_back("index");
		}
		if (target.empty()) {
			children.push_back("subsystem");
			directory(base, children, false);
			if (!driver.empty())
				link(base + "/subsystem",
				     video ? "../../../../../class/video4linux" : "../../../../bus/media",
				     {});
		} else {
			link(base, target, children);
		}
		file(base + "/dev", majorMinor(rdev) + "\n");
		file(base + "/uevent", "MAJOR=" + std::to_string(major(rdev)) +
					       "\nMINOR=" + std::to_string(minor(rdev)) +
					       "\nDEVNAME=" + devname + "\n");
		if (video) {
			file(base + "/name", name + "\n");
			file(base + "/index", "0\n");
		}
		if (target.empty() && !driver.empty()) {
			// The device link of a class device names its parent (device_add); what lies
			// behind it is found through the link.
			link(base + "/device", video ? "../../../" + platformDevice : "../../" + platformDevice,
			     {"uevent", mediaName, "video4linux"});
			return;
		}
		std::string device = base + "/device";
		if (driver.empty()) {	// the render node's device: drmNodeIsDRM() needs device/drm
			link(device, "../../../" + platformDevice, {"drm"});
			directory(device + "/drm", {baseName(devname)}, false);
			return;
		}
		link(device, "../../../" + platformDevice, {mediaName, "video4linux", "uevent"});
		directory(device + "/" + mediaName, {}, false);
		directory(device + "/video4linux", {videoName}, false);
		file(device + "/uevent", "DRIVER=" + driver + "\nOF_NAME=video-codec\n");
	}

private:
	VEntry &add(const std::string &path, VType type)
	{
		tree_.entries.push_back({});
		VEntry &e = tree_.entries.back();
		e.path = path;
		e.type = type;
		return e;
	}
	VirtualTree &tree_;
};

void buildTree(const Board &board, VirtualTree &tree)
{
	tree.devDir = board.options().devDir;
	TreeBuilder b(tree);
	std::vector<NodeDescription> nodes = board.nodes();
	std::vector<std::string> devChildren, charChildren, video4linux, platforms, mediaDevices;
	for (size_t i = 0; i < nodes.size(); i++) {
		const NodeDescription &n = nodes[i];
		int device = static_cast<int>(i);
		b.charDevice(n.mediaPath, makedev(n.mediaMajor, n.mediaMinor), device, false);
		b.charDevice(n.videoPath, makedev(n.videoMajor, n.videoMinor), device, false);
		devChildren.push_back(baseName(n.mediaPath));
		devChildren.push_back(baseName(n.videoPath));
	}
	b.charDevice(kRenderNodePath, makedev(kDrmMajor, kRenderMinor), -1, true);

	if (tree.devDir == "/dev") {
		devChildren.push_back("dri");
	} else {
		b.directory(dirName(tree.devDir), {baseName(tree.devDir)}, true);
		b.directory("/dev", {"dri"}, true);
	}
	b.directory(tree.devDir, devChildren, true);
	b.directory("/dev/dri", {"renderD128"}, true);

	for (const NodeDescription &n : nodes) {
		std::string platform = "v4l2emu-" + n.device;
		std::string media = baseName(n.mediaPath), video = baseName(n.videoPath);
		dev_t mediaRdev = makedev(n.mediaMajor, n.mediaMinor);
		dev_t videoRdev = makedev(n.videoMajor, n.videoMinor);
		std::string videoTarget = "../../devices/platform/" + platform + "/video4linux/" + video;
		b.classDevice("/sys/dev/char/" + majorMinor(videoRdev), videoTarget, videoRdev, video,
			      n.device, platform, n.driver, media, video);
		b.classDevice("/sys/class/video4linux/" + video, videoTarget,
			      videoRdev, video, n.device, platform, n.driver, media, video);
		b.classDevice("/sys/dev/char/" + majorMinor(mediaRdev),
			      "../../devices/platform/" + platform + "/" + media, mediaRdev, media,
			      "", platform, n.driver, media, video);
		charChildren.push_back(majorMinor(videoRdev));
		charChildren.push_back(majorMinor(mediaRdev));
		video4linux.push_back(video);

		// The devices themselves, where the links above lead (libudev resolves them).
		std::string platformDir = "/sys/devices/platform/" + platform;
		b.directory(platformDir, {"uevent", media, "video4linux"}, false);
		b.file(platformDir + "/uevent", "DRIVER=" + n.driver + "\nOF_NAME=video-codec\n");
		b.classDevice(platformDir + "/" + media, "", mediaRdev, devName(tree.devDir, media),
			      "", platform, n.driver, media, video);
		b.directory(platformDir + "/video4linux", {video}, false);
		b.classDevice(platformDir + "/video4linux/" + video, "", videoRdev,
			      devName(tree.devDir, video), n.device, platform, n.driver, media, video);
		b.link("/sys/bus/media/devices/" + media,
		       "../../../devices/platform/" + platform + "/" + media,
		       {"dev", "uevent", "device", "subsystem"});
		platforms.push_back(platform);
		mediaDevices.push_back(media);
	}
	b.directory("/sys/devices/platform", platforms, true);
	b.directory("/sys/bus", {"media"}, true);
	b.directory("/sys/bus/media", {"devices"}, false);
	b.directory("/sys/bus/media/devices", mediaDevices, false);
	b.directory("/sys/class", {"video4linux"}, true);
	dev_t renderRdev = makedev(kDrmMajor, kRenderMinor);
	b.classDevice("/sys/dev/char/" + majorMinor(renderRdev),
		      "../../devices/platform/v4l2emu-render/drm/renderD128", renderRdev,
		      "dri/renderD128", "", "v4l2emu-render", "", "", "");
	charChildren.push_back(majorMinor(renderRdev));
	b.directory("/sys/dev/char", charChildren, true);
	b.directory("/sys/class/video4linux", video4linux, true);
}

bool startsWith(const char *s, const char *prefix, size_t *len = nullptr)
{
	size_t n = strlen(prefix);
	if (strncmp(s, prefix, n) != 0)
		return false;
	if (len)
		*len = n;
	return true;
}

/// The node directory before the tree exists: the environment's (checked by the board).
const char *devDirForCandidates()
{
	if (gState.load(std::memory_order_acquire) == 1)
		return gTree->devDir.c_str();
	const char *dir = getenv("V4L2EMU_DEV_DIR");
	return dir && dir[0] == '/' ? dir : "/dev";
}

} // namespace

std::string joinPath(const std::string &base, std::string_view relative)
{
	std::string out = base == "/" ? std::string() : base;
	while (!relative.empty()) {
		size_t end = relative.find('/');
		std::string_view part = relative.substr(0, end);
		relative = end == std::string_view::npos ? std::string_view() : relative.substr(end + 1);
		if (part.empty() || part == ".")
			continue;
		if (part == "..") {
			size_t slash = out.rfind('/');
			out.erase(slash == std::string::npos ? 0 : slash);
			continue;
		}
		out += "/";
		out += part;
	}
	return out.empty() ? "/" : out;
}

const VEntry *VirtualTree::findExact(std::string_view path) const
{
	for (const VEntry &e : entries)
		if (e.path == path)
			return &e;
	return nullptr;
}

const VEntry *VirtualTree::find(std::string_view path) const
{
	path = withoutTrailingSlashes(path);
	if (const VEntry *e = findExact(path))
		return e;
	// Through a link of the tree (e.g. /sys/bus/media/devices/media0/uevent): the deepest
	// existing prefix decides; a link there is followed like the VFS does, a few levels deep.
	std::string resolved(path);
	for (int depth = 0; depth < 8; depth++) {
		const VEntry *link = nullptr;
		size_t slash = resolved.rfind('/');
		for (; slash != std::string::npos && slash > 0; slash = resolved.rfind('/', slash - 1)) {
			link = findExact(std::string_view(resolved).substr(0, slash));
			if (link)
				break;
		}
		if (!link || link->type != VType::Symlink)
			return nullptr;
		resolved = joinPath(dirName(link->path), link->content) + resolved.substr(slash);
		if (const VEntry *e = findExact(resolved))
			return e;
	}
	return nullptr;
}

unsigned char VirtualTree::childType(const VEntry &dir, const std::string &child) const
{
	const VEntry *e = find(dir.path + "/" + child);
	if (!e)
		return DT_DIR;
	switch (e->type) {
	case VType::CharDevice: return DT_CHR;
	case VType::Directory: return DT_DIR;
	case VType::File: return DT_REG;
	case VType::Symlink: return DT_LNK;
	}
	return DT_UNKNOWN;
}

bool candidatePath(const char *path)
{
	if (!path || path[0] != '/')
		return false;
	size_t n = 0;
	if (startsWith(path, "/sys/", &n)) {
		const char *rest = path + n;
		return startsWith(rest, "dev/char") || startsWith(rest, "class") ||
		       startsWith(rest, "bus") || startsWith(rest, "devices/platform");
	}
	for (const char *dir : {devDirForCandidates(), "/dev"}) {
		if (!startsWith(path, dir, &n))
			continue;
		const char *rest = path + n;
		while (*rest == '/')
			rest++;
		if (!*rest || startsWith(rest, "media") || startsWith(rest, "video") ||
		    startsWith(rest, "dri"))
			return true;
	}
	// The parent of a custom node directory lists it.
	const char *dir = devDirForCandidates();
	const char *slash = strrchr(dir, '/');
	return slash && slash != dir && strncmp(path, dir, slash - dir) == 0 &&
	       (path[slash - dir] == '\0' || strcmp(path + (slash - dir), "/") == 0);
}

Board *existingBoard()
{
	return gBoard.load(std::memory_order_acquire);
}

const VirtualTree *virtualTree()
{
	int state = gState.load(std::memory_order_acquire);
	if (state == 1)
		return gTree;
	if (state == 2 || insideEmulator())
		return nullptr;
	std::lock_guard<std::mutex> lk(gCreateLock);
	state = gState.load(std::memory_order_acquire);
	if (state != 0)
		return state == 1 ? gTree : nullptr;
	EmulatorGuard guard;
	const char *name = getenv("V4L2EMU_BOARD");
	if (!name || !*name)
		name = "fresnel";
	BoardOptions options;
	std::string error;
	std::unique_ptr<Board> board;
	if (Board::optionsFromEnvironment(&options, &error) == 0)
		board = Board::create(name, options, &error);
	if (!board) {
		errorLine("%s: no emulated board, the nodes do not exist", error.c_str());
		gState.store(2, std::memory_order_release);
		return nullptr;
	}
	auto *tree = new VirtualTree;
	buildTree(*board, *tree);
	gTree = tree;
	// Never destroyed: threads of the host program may still use it while the process exits.
	gBoard.store(board.release(), std::memory_order_release);
	gState.store(1, std::memory_order_release);
	trace("board %s created (%zu virtual paths)", name, gTree->entries.size());
	return gTree;
}

const VEntry *lookupPath(const char *path)
{
	if (!candidatePath(path))
		return nullptr;
	const VirtualTree *tree = virtualTree();
	return tree ? tree->find(path) : nullptr;
}

int nodeIndexOf(const VEntry *entry)
{
	const VirtualTree *tree = virtualTree();
	if (!tree || !entry)
		return -1;
	int index = 0;
	for (const VEntry &e : tree->entries) {
		if (e.type != VType::CharDevice)
			continue;
		if (&e == entry)
			return index;
		index++;
	}
	return -1;
}

const char *nodePathForMessage(int node)
{
	if (gState.load(std::memory_order_acquire) != 1 || node < 0)
		return "?";
	int index = 0;
	for (const VEntry &e : gTree->entries) {
		if (e.type != VType::CharDevice)
			continue;
		if (index++ == node)
			return e.path.c_str();
	}
	return "?";
}

} // namespace v4l2emu::preload
