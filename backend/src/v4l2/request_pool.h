// SPDX-License-Identifier: MIT
#pragma once

// A pool of media requests of one media device, allocated once and recycled with REINIT
// (GStreamer v4l2codecs' request pool): no request fd is allocated per frame in steady state.

#include "seam_fd.h"

#include <cstdint>
#include <vector>

namespace v4l2va {

class RequestPool {
public:
	RequestPool(v4l2emu::DeviceIo &io, int mediaFd) : io_(io), mediaFd_(mediaFd) {}
	RequestPool(const RequestPool &) = delete;
	RequestPool &operator=(const RequestPool &) = delete;

	/// Makes sure `count` requests exist. Returns 0 or -errno (nothing changes on failure
	/// beyond the requests already added).
	int reserve(size_t count);
	/// An idle request, reinitialised; allocates only when every request is in use.
	int acquire(int *fd);
	/// MEDIA_REQUEST_IOC_QUEUE.
	int queue(int fd);
	/// Gives a request back (after its completion was observed).
	void release(int fd);
	/// Waits for a queued request to complete: 0, -ETIMEDOUT, or -errno.
	int wait(int fd, int timeoutMs);

	size_t size() const { return slots_.size(); }
	size_t inUse() const;

private:
	struct Slot {
		SeamFd fd;
		bool busy = false;
		bool dirty = false;	///< used since its last REINIT
	};
	v4l2emu::DeviceIo &io_;
	int mediaFd_;
	std::vector<Slot> slots_;
};

} // namespace v4l2va
