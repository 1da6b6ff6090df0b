// SPDX-License-Identifier: MIT
#include "request_pool.h"

#include <linux/media.h>
#include <poll.h>

#include <cerrno>

namespace v4l2va {

int RequestPool::reserve(size_t count)
{
	slots_.reserve(count);
	while (slots_.size() < count) {
		int fd = -1;
		int ret = io_.ioctl(mediaFd_, MEDIA_IOC_REQUEST_ALLOC, &fd);
		if (ret)
			return ret;
		Slot s;
		s.fd = SeamFd(io_, fd);
		slots_.push_back(std::move(s));
	}
	return 0;
}

int RequestPool::acquire(int *fd)
{
	for (Slot &s : slots_) {
		if (s.busy)
			continue;
		if (s.dirty) {
			// MCR:media_request_ioctl_reinit: IDLE or COMPLETE only.
			int ret = io_.ioctl(s.fd.get(), MEDIA_REQUEST_IOC_REINIT, nullptr);
			if (ret)
				return ret;
			s.dirty = false;
		}
		s.busy = true;
		s.dirty = true;
		*fd = s.fd.get();
		return 0;
	}
	int ret = reserve(slots_.size() + 1);
	if (ret)
		return ret;
	Slot &s = slots_.back();
	s.busy = true;
	s.dirty = true;
	*fd = s.fd.get();
	return 0;
}

int RequestPool::queue(int fd)
{
	return io_.ioctl(fd, MEDIA_REQUEST_IOC_QUEUE, nullptr);
}

void RequestPool::release(int fd)
{
	for (Slot &s : slots_)
		if (s.fd.get() == fd)
			s.busy = false;
}

int RequestPool::wait(int fd, int timeoutMs)
{
	// MCR:media_request_poll: completion is POLLPRI; POLLERR means it was never queued.
	struct pollfd p {fd, POLLPRI, 0};
	int ret = io_.poll(&p, 1, timeoutMs);
	if (ret < 0)
		return ret;
	if (ret == 0)
		return -ETIMEDOUT;
	if (p.revents & POLLERR)
		return -EINVAL;
	return 0;
}

size_t RequestPool::inUse() const
{
	size_t n = 0;
	for (const Slot &s : slots_)
		n += s.busy;
	return n;
}

} // namespace v4l2va
