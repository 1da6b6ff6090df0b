// SPDX-License-Identifier: MIT
// Which fd numbers are the board's: a lock-free table read on every fd call, and the alias
// bookkeeping of dup(2). The board keys its files by fd number, so a dup()ed number is an
// alias of the board's number; the file goes when the last number referring to it is closed
// (VFS: the file is released with its last reference), and the board's number stays open
// (hidden from the program) while aliases live.
#include "preload.h"

#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <mutex>

namespace v4l2emu::preload {

std::atomic<bool> gEmulatedMappings{false};

namespace {

// Slot layout: kind (2 bits), hidden (1), object (2), node index + 1 (6), canonical fd (21).
constexpr uint32_t kKindMask = 0x3, kHiddenBit = 1u << 2;
constexpr unsigned kObjectShift = 3, kNodeShift = 5, kCanonicalShift = 11;

std::atomic<uint32_t> gSlots[kMaxTrackedFd];
// Numbers referring to each board fd (the board's own, if not hidden, plus aliases).
int gRefs[kMaxTrackedFd];
std::mutex gAliasLock;

uint32_t encode(FdInfo::Kind kind, bool hidden, FdObject object, int node, int canonical)
{
	return static_cast<uint32_t>(kind) | (hidden ? kHiddenBit : 0) |
	       (static_cast<uint32_t>(object) << kObjectShift) |
	       (static_cast<uint32_t>(node + 1) << kNodeShift) |
	       (static_cast<uint32_t>(canonical) << kCanonicalShift);
}

FdInfo decode(uint32_t slot)
{
	FdInfo info;
	info.kind = static_cast<FdInfo::Kind>(slot & kKindMask);
	if (info.kind == FdInfo::None)
		return info;
	info.hidden = slot & kHiddenBit;
	info.object = static_cast<FdObject>((slot >> kObjectShift) & 0x3);
	info.node = static_cast<int>((slot >> kNodeShift) & 0x3f) - 1;
	info.canonical = static_cast<int>(slot >> kCanonicalShift);
	return info;
}

bool tracked(int fd)
{
	return fd >= 0 && fd < kMaxTrackedFd;
}

int realClose(int fd)
{
	auto fn = next<int (*)(int)>(Fn::Close);
	if (!fn)
		return -ENOSYS;
	return fn(fd) < 0 ? -errno : 0;
}

int boardClose(int fd)
{
	Board *board = existingBoard();
	if (!board)
		return realClose(fd);
	EmulatorGuard guard;
	return board->io().close(fd);
}

/// Drops one reference of canonical under gAliasLock; true if it was the last.
bool dropReference(int canonical)
{
	if (--gRefs[canonical] > 0)
		return false;
	gRefs[canonical] = 0;
	gSlots[canonical].store(0, std::memory_order_release);
	return true;
}

} // namespace

FdInfo fdInfo(int fd)
{
	if (!tracked(fd))
		return {};
	return decode(gSlots[fd].load(std::memory_order_acquire));
}

int emulatedFd(int fd)
{
	if (fd < 0)
		return -1;
	if (tracked(fd)) {
		FdInfo info = fdInfo(fd);
		if (info.kind != FdInfo::Emulated)
			return -1;
		return info.hidden ? -2 : info.canonical;
	}
	// Beyond the table (ulimit -n above 65536): ask the board; no aliases there.
	Board *board = existingBoard();
	if (!board)
		return -1;
	EmulatorGuard guard;
	return board->ownsFd(fd) ? fd : -1;
}

bool isRenderNodeFd(int fd)
{
	return fdInfo(fd).kind == FdInfo::RenderNode;
}

bool trackFd(int fd, FdInfo::Kind kind, FdObject object, int node)
{
	if (!tracked(fd))
		return false;
	std::lock_guard<std::mutex> lk(gAliasLock);
	gRefs[fd] = 1;
	gSlots[fd].store(encode(kind, false, object, node, fd), std::memory_order_release);
	return true;
}

int closeTrackedFd(int fd)
{
	FdInfo info = fdInfo(fd);
	if (info.kind == FdInfo::None) {
		if (!tracked(fd) && emulatedFd(fd) >= 0)
			return boardClose(fd);
		return realClose(fd);
	}
	if (info.kind == FdInfo::RenderNode) {
		// Forget first: once the real close returns, the number can be handed out again.
		gSlots[fd].store(0, std::memory_order_release);
		return realClose(fd);
	}
	std::unique_lock<std::mutex> lk(gAliasLock);
	info = decode(gSlots[fd].load(std::memory_order_acquire));
	if (info.kind != FdInfo::Emulated)
		return realClose(fd);	// closed by another thread meanwhile
	if (info.hidden)
		return -EBADF;
	int canonical = info.canonical;
	if (fd != canonical) {
		gSlots[fd].store(0, std::memory_order_release);
		int ret = realClose(fd);
		bool last = dropReference(canonical);
		lk.unlock();
		if (last)
			boardClose(canonical);
		return ret;
	}
	if (gRefs[canonical] > 1) {
		// Aliases keep the file: the number stays open for the board, hidden from the program.
		gRefs[canonical]--;
		gSlots[fd].store(encode(FdInfo::Emulated, true, info.object, info.node, canonical),
				 std::memory_order_release);
		return 0;
	}
	dropReference(canonical);
	lk.unlock();
	return boardClose(canonical);
}

void trackDup(int oldFd, int newFd)
{
	FdInfo info = fdInfo(oldFd);
	if (info.kind == FdInfo::None)
		return;
	if (!tracked(newFd)) {
		unsupported(EBADF, "dup of %s to fd %d (beyond the preload's fd table)",
			    info.kind == FdInfo::RenderNode ? "the render node"
							    : nodePathForMessage(info.node),
			    newFd);
		return;
	}
	if (info.kind == FdInfo::RenderNode) {
		gSlots[newFd].store(encode(FdInfo::RenderNode, false, FdObject::Node, -1, newFd),
				    std::memory_order_release);
		return;
	}
	std::lock_guard<std::mutex> lk(gAliasLock);
	info = decode(gSlots[oldFd].load(std::memory_order_acquire));
	if (info.kind != FdInfo::Emulated || info.hidden)
		return;
	gRefs[info.canonical]++;
	gSlots[newFd].store(encode(FdInfo::Emulated, false, info.object, info.node, info.canonical),
			    std::memory_order_release);
}

int releaseForDup2(int newFd)
{
	FdInfo info = fdInfo(newFd);
	if (info.kind == FdInfo::None)
		return 0;
	if (info.kind == FdInfo::RenderNode) {
		gSlots[newFd].store(0, std::memory_order_release);
		return 0;
	}
	std::unique_lock<std::mutex> lk(gAliasLock);
	info = decode(gSlots[newFd].load(std::memory_order_acquire));
	if (info.kind != FdInfo::Emulated)
		return 0;
	if (info.hidden || (newFd == info.canonical && gRefs[newFd] > 1))
		return -unsupported(EBUSY, "dup2 over fd %d, which the board still holds for %s",
				    newFd, nodePathForMessage(info.node));
	int canonical = info.canonical;
	if (newFd != canonical) {
		// dup2 closes the alias number itself; only the reference goes.
		gSlots[newFd].store(0, std::memory_order_release);
		bool last = dropReference(canonical);
		lk.unlock();
		if (last)
			boardClose(canonical);
		return 0;
	}
	dropReference(canonical);
	lk.unlock();
	return boardClose(canonical);
}

bool trackedNodeRdev(int fd, dev_t *rdev)
{
	FdInfo info = fdInfo(fd);
	if (info.kind == FdInfo::RenderNode) {
		*rdev = makedev(226, 128);
		return true;
	}
	if (info.kind != FdInfo::Emulated || info.object != FdObject::Node || info.node < 0)
		return false;
	const VirtualTree *tree = virtualTree();
	if (!tree)
		return false;
	int index = 0;
	for (const VEntry &e : tree->entries) {
		if (e.type != VType::CharDevice)
			continue;
		if (index++ == info.node) {
			*rdev = e.rdev;
			return true;
		}
	}
	return false;
}

} // namespace v4l2emu::preload
