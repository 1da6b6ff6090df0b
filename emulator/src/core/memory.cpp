// SPDX-License-Identifier: MIT
#include "memory.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <mutex>

namespace v4l2emu {

std::atomic<uint64_t> PlaneMemory::liveCount{0};

namespace {

// Which kept mapping an allocation reuses depends on what earlier inputs freed, so under a
// fuzzer the cache's branches are coverage no input reproduces on its own, and its searches'
// compares were the fuzzer's most frequent cmp hooks: coverage builds leave it uninstrumented.
#if defined(__clang__)
#define V4L2EMU_NOT_COVERED __attribute__((no_sanitize("coverage"), noinline))
#else
#define V4L2EMU_NOT_COVERED
#endif

/// Freed plane memory that never left the emulator (no dma-buf export), kept for the next
/// allocation: creating, sizing and mapping a memfd and tearing it down costs seven syscalls,
/// emptying and resizing a kept one two at most. Emptied memory has no pages (it reads as
/// zeros, as a new vb2 buffer does: DMAC:vb2_dc_alloc gets it from dma_alloc_attrs, which
/// returns zeroed memory, VMEM:vb2_vmalloc_alloc from vmalloc_user; and it costs no memory),
/// so only fds and address space are kept, and few of them. An allocation takes the smallest
/// kept mapping that fits and sizes the file to exactly what it asked for (a dma-buf's size is
/// what userspace sees).
class RecycledMemory {
public:
	struct Entry {
		UniqueFd fd;
		uint8_t *data = nullptr;
		size_t mapped = 0;	///< length of the emulator's mapping, >= the file size
		size_t fileSize = 0;
		uint64_t inode = 0;

		void release()
		{
			if (data)
				::munmap(data, mapped);
			data = nullptr;
			fd.reset();
		}
	};

	static RecycledMemory &instance()
	{
		// Never destroyed: plane memory may be freed by static destructors after it.
		static RecycledMemory *cache = new RecycledMemory();
		return *cache;
	}

	/// An emptied memfd of exactly `bytes`, or false.
	V4L2EMU_NOT_COVERED bool take(size_t bytes, Entry *out)
	{
		{
			std::lock_guard<std::mutex> lk(lock_);
			size_t best = count_;
			for (size_t i = 0; i < count_; i++)
				if (entries_[i].mapped >= bytes &&
				    (best == count_ || entries_[i].mapped < entries_[best].mapped))
					best = i;
			if (best == count_)
				return false;
			*out = std::move(entries_[best]);
			entries_[best] = std::move(entries_[--count_]);
			mappedBytes_ -= out->mapped;
		}
		if (out->fileSize != bytes) {
			if (ftruncate(out->fd.get(), static_cast<off_t>(bytes)) != 0) {
				out->release();
				return false;
			}
			out->fileSize = bytes;
		}
		return true;
	}

	/// Whether an entry of this mapping length would be kept (give may still refuse it).
	V4L2EMU_NOT_COVERED bool wouldKeep(size_t mapped)
	{
		std::lock_guard<std::mutex> lk(lock_);
		return mapped <= kMaxBytes &&
		       (count_ < entries_.size() || entries_[smallest()].mapped < mapped);
	}

	/// Keeps e, making room by dropping the smallest entry if it is smaller; returns false
	/// (e untouched) when e is not kept.
	V4L2EMU_NOT_COVERED bool give(Entry &e)
	{
		Entry evicted;
		{
			std::lock_guard<std::mutex> lk(lock_);
			if (count_ == entries_.size()) {
				size_t i = smallest();
				if (entries_[i].mapped >= e.mapped)
					return false;
				evicted = std::move(entries_[i]);
				entries_[i] = std::move(entries_[--count_]);
				mappedBytes_ -= evicted.mapped;
			}
			while (count_ && mappedBytes_ + e.mapped > kMaxBytes) {
				size_t i = smallest();
				mappedBytes_ -= entries_[i].mapped;
				entries_[i].release();
				entries_[i] = std::move(entries_[--count_]);
			}
			if (mappedBytes_ + e.mapped > kMaxBytes)
				return false;
			entries_[count_++] = std::move(e);
			mappedBytes_ += entries_[count_ - 1].mapped;
		}
		evicted.release();
		return true;
	}

private:
	V4L2EMU_NOT_COVERED size_t smallest() const
	{
		size_t s = 0;
		for (size_t i = 1; i < count_; i++)
			if (entries_[i].mapped < entries_[s].mapped)
				s = i;
		return s;
	}

	static constexpr size_t kMaxBytes = size_t(2) << 30;	// address space, not memory
	std::mutex lock_;
	std::array<Entry, 64> entries_;
	size_t count_ = 0;
	size_t mappedBytes_ = 0;
};

/// Memory the emulator keeps for itself has no fd in the kernel; here it is a memfd (or the
/// dup of an imported dma-buf), numbered above the fds a program's own files get, so that the
/// fds a program sees (devices, requests, dma-bufs) are numbered as on the board whatever
/// memory the emulator holds or keeps. -1 when the limit leaves no room up there.
int internalFdBase()
{
	static const int base = [] {
		struct rlimit rl {};
		if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < 64)
			return -1;
		return static_cast<int>(std::min<rlim_t>(rl.rlim_cur / 2, 1024));
	}();
	return base;
}

/// A close-on-exec duplicate of fd numbered from internalFdBase() (else the lowest free).
int dupInternal(int fd)
{
	int base = internalFdBase();
	int high = base > 0 ? fcntl(fd, F_DUPFD_CLOEXEC, base) : -1;
	return high >= 0 ? high : fcntl(fd, F_DUPFD_CLOEXEC, 3);
}

} // namespace

size_t pageAlign(size_t size)
{
	static const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
	return (size + page - 1) / page * page;
}

/**
 * \brief Allocate plane memory backed by a memfd
 * \return 0 on success or a negative error code
 *
 * Like DMAC/VMEM allocation the memory is zeroed and page sized. It is mapped once for the
 * emulator's own access; userspace mappings map the same memfd.
 */
int PlaneMemory::allocate(size_t size, std::shared_ptr<PlaneMemory> *out)
{
	if (size == 0)
		return -EINVAL;
	size_t bytes = pageAlign(size);
	RecycledMemory::Entry reused;
	if (RecycledMemory::instance().take(bytes, &reused)) {
		std::shared_ptr<PlaneMemory> mem(new PlaneMemory());
		liveCount++;
		mem->fd_ = std::move(reused.fd);
		mem->data_ = reused.data;
		mem->size_ = bytes;
		mem->mapped_ = reused.mapped;
		mem->inode_ = reused.inode;
		mem->recyclable_ = true;
		*out = std::move(mem);
		return 0;
	}
	UniqueFd created(memfd_create("v4l2emu-plane", MFD_CLOEXEC));
	if (!created)
		return -errno;
	UniqueFd fd(dupInternal(created.get()));
	if (!fd)
		return -errno;
	created.reset();
	if (ftruncate(fd.get(), static_cast<off_t>(bytes)) < 0)
		return -errno;
	void *data = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
	if (data == MAP_FAILED)
		return -ENOMEM;
	struct stat st {};
	if (fstat(fd.get(), &st) < 0) {
		int err = -errno;
		::munmap(data, bytes);
		return err;
	}
	std::shared_ptr<PlaneMemory> mem(new PlaneMemory());
	liveCount++;
	mem->fd_ = std::move(fd);
	mem->data_ = static_cast<uint8_t *>(data);
	mem->size_ = bytes;
	mem->mapped_ = bytes;
	mem->inode_ = static_cast<uint64_t>(st.st_ino) ^ (static_cast<uint64_t>(st.st_dev) << 40);
	mem->recyclable_ = true;
	*out = std::move(mem);
	return 0;
}

/**
 * \brief Import a dma-buf fd
 * \return 0, or -EINVAL when fd is not a mappable file (DMAC:vb2_dc_attach_dmabuf fails)
 */
int PlaneMemory::import(int fd, std::shared_ptr<PlaneMemory> *out)
{
	if (fd < 0)
		return -EINVAL;
	struct stat st {};
	if (fstat(fd, &st) < 0)
		return -EINVAL;
	if (!S_ISREG(st.st_mode) || st.st_size <= 0)
		return -EINVAL;
	UniqueFd own(dupInternal(fd));
	if (!own)
		return -errno;
	size_t bytes = static_cast<size_t>(st.st_size);
	void *data = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, own.get(), 0);
	if (data == MAP_FAILED)
		return -EINVAL;
	std::shared_ptr<PlaneMemory> mem(new PlaneMemory());
	liveCount++;
	mem->fd_ = std::move(own);
	mem->data_ = static_cast<uint8_t *>(data);
	mem->size_ = bytes;
	mem->mapped_ = bytes;
	mem->inode_ = static_cast<uint64_t>(st.st_ino) ^ (static_cast<uint64_t>(st.st_dev) << 40);
	*out = std::move(mem);
	return 0;
}

PlaneMemory::~PlaneMemory()
{
	liveCount--;
	// Nobody else can reach memory that was never exported (every mapping held a reference),
	// so it may be emptied and reused: punching out every page makes it read as zeros.
	// Memory nobody touched (no mapping, no engine access) is still empty.
	RecycledMemory &cache = RecycledMemory::instance();
	if (recyclable_ && !exported_ && cache.wouldKeep(mapped_) &&
	    (!touched_.load(std::memory_order_relaxed) ||
	     fallocate(fd_.get(), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
		       static_cast<off_t>(size_)) == 0)) {
		RecycledMemory::Entry e{std::move(fd_), data_, mapped_, size_, inode_};
		if (cache.give(e))
			return;
		fd_ = std::move(e.fd);
	}
	if (data_)
		::munmap(data_, mapped_);
}

} // namespace v4l2emu
