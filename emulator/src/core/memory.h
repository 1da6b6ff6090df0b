// SPDX-License-Identifier: MIT
#pragma once

// Plane memory: a memfd, sized to a whole number of pages and mapped once for the emulator's
// own use (the engine writes pictures through it). Shared ownership models the kernel's
// refcount (DMAC/VMEM: vb2 holds one reference, every VMA and every exported dma-buf one
// more), so REQBUFS(0) can orphan memory that userspace still maps. Freed memory that was never
// exported is emptied and reused by the next allocation of its size (memory.cpp).

#include <v4l2emu/unique_fd.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace v4l2emu {

class PlaneMemory {
public:
	/// Allocates size bytes (rounded up to pages). Returns -ENOMEM etc. on failure.
	static int allocate(size_t size, std::shared_ptr<PlaneMemory> *out);
	/// Imports a dma-buf (any mappable fd). Takes its own reference (a dup), like
	/// VB2C:__prepare_dmabuf, so userspace may close its fd afterwards.
	static int import(int fd, std::shared_ptr<PlaneMemory> *out);

	~PlaneMemory();
	PlaneMemory(const PlaneMemory &) = delete;
	PlaneMemory &operator=(const PlaneMemory &) = delete;

	/// The emulator's own mapping. Taking it (or the fd) counts as touching the memory.
	uint8_t *data() const
	{
		touched_.store(true, std::memory_order_relaxed);
		return data_;
	}
	size_t size() const { return size_; }
	int fd() const
	{
		touched_.store(true, std::memory_order_relaxed);
		return fd_.get();
	}
	/// Identity of the underlying file (st_dev/st_ino), to tell whether a re-queued dma-buf is
	/// the same one.
	uint64_t inode() const { return inode_; }

	/// A dma-buf of this memory was handed out (EXPBUF): its file may outlive this object,
	/// so the memory is never reused.
	void markExported() { exported_ = true; }

	/// Users besides vb2 (mappings and exported dma-bufs): V4L2_BUF_FLAG_MAPPED when > 0
	/// (VB2C:vb2_buffer_in_use).
	std::atomic<int> externalUsers{0};

	/// Plane memory objects alive in the process (vb2-owned, orphaned or exported).
	static std::atomic<uint64_t> liveCount;

private:
	PlaneMemory() = default;
	UniqueFd fd_;
	uint8_t *data_ = nullptr;
	size_t size_ = 0;
	size_t mapped_ = 0;	// the emulator's mapping (reused memory: maybe more than size_)
	uint64_t inode_ = 0;
	bool recyclable_ = false;	// allocated here (not an imported dma-buf)
	// Nobody could have written it (its pages are still the zeros it came with).
	mutable std::atomic<bool> touched_{false};
	std::atomic<bool> exported_{false};
};

size_t pageAlign(size_t size);

} // namespace v4l2emu
