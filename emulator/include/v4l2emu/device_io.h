// SPDX-License-Identifier: MIT
#pragma once

// The device-io seam: the only way the backend (and the tools) touch a decoder. It has the
// kernel's syscall surface; every call returns 0 (or a count / fd) on success and -errno on
// failure, never sets errno and never throws. Two implementations exist: the kernel (plain
// syscalls, for the board) and the emulator (Board::io()).

#include <poll.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace v4l2emu {

class DeviceIo {
public:
	virtual ~DeviceIo() = default;

	/// open(2) of a device node. Returns the new fd or -errno.
	virtual int open(const char *path, int flags) = 0;
	/// close(2) of any fd this seam handed out (node, request, exported dma-buf).
	virtual int close(int fd) = 0;
	/// ioctl(2). Returns the ioctl's non-negative result or -errno.
	virtual int ioctl(int fd, unsigned long request, void *arg) = 0;
	/// mmap(2). On success stores the address in *mapped and returns 0; else -errno.
	virtual int mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset,
			 void **mapped) = 0;
	/// munmap(2) of a range obtained from mmap() above.
	virtual int munmap(void *addr, size_t length) = 0;
	/// poll(2). Returns the number of ready entries or -errno.
	virtual int poll(struct pollfd *fds, nfds_t nfds, int timeoutMs) = 0;

	/// Paths of the media controller nodes (/dev/mediaN), sorted.
	virtual std::vector<std::string> mediaNodes() = 0;
	/// The device node path for a char device major:minor (as MEDIA_IOC_G_TOPOLOGY reports
	/// interface devnodes), or an empty string if there is none.
	virtual std::string devnodePath(uint32_t major, uint32_t minor) = 0;
};

/// The seam over the running kernel (plain syscalls; /sys/dev/char for devnode lookup).
std::unique_ptr<DeviceIo> makeKernelDeviceIo();

} // namespace v4l2emu
