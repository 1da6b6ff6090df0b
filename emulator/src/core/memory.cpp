// SPDX-License-Identifier: MIT
#include "memory.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace v4l2emu {

std::atomic<uint64_t> PlaneMemory::liveCount{0};

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
	UniqueFd fd(memfd_create("v4l2emu-plane", MFD_CLOEXEC));
	if (!fd)
		return -errno;
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
	mem->inode_ = static_cast<uint64_t>(st.st_ino) ^ (static_cast<uint64_t>(st.st_dev) << 40);
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
	UniqueFd own(fcntl(fd, F_DUPFD_CLOEXEC, 3));
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
	mem->inode_ = static_cast<uint64_t>(st.st_ino) ^ (static_cast<uint64_t>(st.st_dev) << 40);
	*out = std::move(mem);
	return 0;
}

PlaneMemory::~PlaneMemory()
{
	liveCount--;
	if (data_)
		::munmap(data_, size_);
}

} // namespace v4l2emu
