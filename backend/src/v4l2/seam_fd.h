// SPDX-License-Identifier: MIT
#pragma once

#include <v4l2emu/device_io.h>

#include <utility>

namespace v4l2va {

/// Owns one fd handed out by a seam; closes it through the same seam. Move-only.
class SeamFd {
public:
	SeamFd() = default;
	SeamFd(v4l2emu::DeviceIo &io, int fd) : io_(&io), fd_(fd) {}
	~SeamFd() { reset(); }
	SeamFd(SeamFd &&o) noexcept : io_(o.io_), fd_(std::exchange(o.fd_, -1)) {}
	SeamFd &operator=(SeamFd &&o) noexcept
	{
		if (this != &o) {
			reset();
			io_ = o.io_;
			fd_ = std::exchange(o.fd_, -1);
		}
		return *this;
	}
	SeamFd(const SeamFd &) = delete;
	SeamFd &operator=(const SeamFd &) = delete;

	int get() const { return fd_; }
	bool valid() const { return fd_ >= 0; }
	void reset()
	{
		if (fd_ >= 0 && io_)
			io_->close(fd_);
		fd_ = -1;
	}

private:
	v4l2emu::DeviceIo *io_ = nullptr;
	int fd_ = -1;
};

} // namespace v4l2va
