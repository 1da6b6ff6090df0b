// SPDX-License-Identifier: MIT
// Interposers of the calls on open fds: ioctl (board fds and the stand-in render node), mmap,
// munmap, and the waits (poll, ppoll, select, pselect; epoll is refused on board fds).
#include "preload.h"

#include <v4l2emu/ioctl_names.h>

#include <linux/dma-buf.h>
#include <linux/media.h>
#include <linux/videodev2.h>

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/select.h>

#include <cerrno>
#include <chrono>
#include <cstdarg>
#include <cstring>
#include <memory>

#define V4L2EMU_INTERPOSE extern "C" __attribute__((visibility("default")))

namespace v4l2emu::preload {

namespace {

int fail(int negativeErrno)
{
	errno = -negativeErrno;
	return -1;
}

const char *objectForMessage(const FdInfo &info)
{
	switch (info.object) {
	case FdObject::Request: return "a request fd";
	case FdObject::Dmabuf: return "a dma-buf fd";
	case FdObject::Node: break;
	}
	return nodePathForMessage(info.node);
}

/// The fds an ioctl hands out become the board's fds in the table.
void trackReturnedFd(unsigned long request, void *arg)
{
	if (request == MEDIA_IOC_REQUEST_ALLOC)
		trackFd(*static_cast<int *>(arg), FdInfo::Emulated, FdObject::Request, -1);
	else if (request == VIDIOC_EXPBUF)
		trackFd(static_cast<struct v4l2_exportbuffer *>(arg)->fd, FdInfo::Emulated,
			FdObject::Dmabuf, -1);
}

/// DMA_BUF_IOCTL_SYNC on an exported buffer (GStreamer's dmabuf allocator brackets every CPU
/// map with it). dma_buf_ioctl: unknown flags or no direction -> EINVAL, otherwise
/// dma_buf_begin/end_cpu_access, which for vb2-dma-contig/sg only syncs caches: 0. The
/// emulator's buffers are plain memory, so there is nothing to sync.
int dmabufSync(const void *arg)
{
	if (!arg)
		return -EFAULT;
	uint64_t flags = static_cast<const struct dma_buf_sync *>(arg)->flags;
	if (flags & ~static_cast<uint64_t>(DMA_BUF_SYNC_VALID_FLAGS_MASK))
		return -EINVAL;
	if (!(flags & DMA_BUF_SYNC_RW))
		return -EINVAL;
	return 0;
}

int boardIoctl(int fd, int canonical, unsigned long request, void *arg)
{
	Board *board = existingBoard();
	if (!board)
		return fail(-EBADF);
	if (request == DMA_BUF_IOCTL_SYNC && fdInfo(fd).object == FdObject::Dmabuf) {
		int ret = dmabufSync(arg);
		trace("ioctl(%d, DMA_BUF_IOCTL_SYNC) on a dma-buf fd = %d", fd, ret);
		return ret < 0 ? fail(ret) : 0;
	}
	int ret;
	{
		EmulatorGuard guard;
		ret = board->io().ioctl(canonical, request, arg);
	}
	if (logLevel() >= 2) {
		const char *name = ioctlName(request);
		trace("ioctl(%d, %s 0x%lx) on %s = %d", fd, name ? name : "?", request,
		      objectForMessage(fdInfo(fd)), ret);
	}
	if (ret >= 0) {
		trackReturnedFd(request, arg);
		return ret;
	}
	if (ret == -ENOTTY) {
		FdInfo info = fdInfo(fd);
		const char *name = ioctlName(request);
		if (name)
			unsupported(ENOTTY, "ioctl %s (0x%lx) on %s", name, request,
				    objectForMessage(info));
		else
			unsupported(ENOTTY, "ioctl 0x%lx on %s", request, objectForMessage(info));
	}
	return fail(ret);
}

/// The wait of poll/ppoll/select over a set with board fds: the board's poll, which checks its
/// own files and polls the others. Aliases are translated; numbers the program closed get
/// POLLNVAL like a closed fd.
int boardPoll(struct pollfd *fds, nfds_t nfds, int timeoutMs)
{
	Board *board = existingBoard();
	constexpr nfds_t kSmall = 64;
	struct pollfd small[kSmall];
	std::unique_ptr<struct pollfd[]> big;
	struct pollfd *copy = small;
	if (nfds > kSmall) {
		big.reset(new (std::nothrow) struct pollfd[nfds]);
		if (!big)
			return fail(-ENOMEM);
		copy = big.get();
	}
	for (nfds_t i = 0; i < nfds; i++) {
		copy[i] = fds[i];
		int canonical = emulatedFd(fds[i].fd);
		if (canonical >= 0)
			copy[i].fd = canonical;
		else if (canonical == -2)
			copy[i].fd = -1;
	}
	int ret;
	{
		EmulatorGuard guard;
		ret = board->io().poll(copy, nfds, timeoutMs);
	}
	if (ret < 0)
		return fail(ret);
	for (nfds_t i = 0; i < nfds; i++) {
		fds[i].revents = copy[i].revents;
		if (fds[i].fd >= 0 && emulatedFd(fds[i].fd) == -2) {
			fds[i].revents = POLLNVAL;
			ret++;
		}
	}
	return ret;
}

bool anyBoardFd(const struct pollfd *fds, nfds_t nfds)
{
	if (insideEmulator() || !existingBoard() || !fds)
		return false;
	for (nfds_t i = 0; i < nfds; i++)
		if (fds[i].fd >= 0 && emulatedFd(fds[i].fd) != -1)
			return true;
	return false;
}

int timeoutOf(const struct timespec *ts)
{
	if (!ts)
		return -1;
	long long ms = static_cast<long long>(ts->tv_sec) * 1000 + (ts->tv_nsec + 999999) / 1000000;
	return ms > INT32_MAX ? INT32_MAX : static_cast<int>(ms);
}

/// select(2) over board fds, through poll (kernel select: POLLIN_SET, POLLOUT_SET, POLLEX_SET).
int selectThroughPoll(int nfds, fd_set *readFds, fd_set *writeFds, fd_set *exceptFds,
		      int timeoutMs)
{
	if (nfds < 0 || nfds > FD_SETSIZE)
		return fail(-EINVAL);
	struct pollfd fds[FD_SETSIZE] = {};
	nfds_t count = 0;
	for (int fd = 0; fd < nfds; fd++) {
		short events = 0;
		if (readFds && FD_ISSET(fd, readFds))
			events |= POLLIN | POLLRDNORM;
		if (writeFds && FD_ISSET(fd, writeFds))
			events |= POLLOUT | POLLWRNORM;
		if (exceptFds && FD_ISSET(fd, exceptFds))
			events |= POLLPRI;
		if (events)
			fds[count++] = {fd, events, 0};
	}
	int ret = boardPoll(fds, count, timeoutMs);
	if (ret < 0)
		return ret;
	int ready = 0;
	for (nfds_t i = 0; i < count; i++) {
		int fd = fds[i].fd;
		short r = fds[i].revents;
		if (r & POLLNVAL)
			return fail(-EBADF);
		bool wantRead = readFds && FD_ISSET(fd, readFds);
		bool wantWrite = writeFds && FD_ISSET(fd, writeFds);
		bool wantExcept = exceptFds && FD_ISSET(fd, exceptFds);
		if (readFds)
			FD_CLR(fd, readFds);
		if (writeFds)
			FD_CLR(fd, writeFds);
		if (exceptFds)
			FD_CLR(fd, exceptFds);
		if (wantRead && (r & (POLLIN | POLLRDNORM | POLLHUP | POLLERR))) {
			FD_SET(fd, readFds);
			ready++;
		}
		if (wantWrite && (r & (POLLOUT | POLLWRNORM | POLLERR))) {
			FD_SET(fd, writeFds);
			ready++;
		}
		if (wantExcept && (r & POLLPRI)) {
			FD_SET(fd, exceptFds);
			ready++;
		}
	}
	return ready;
}

bool selectHasBoardFd(int nfds, fd_set *readFds, fd_set *writeFds, fd_set *exceptFds)
{
	if (insideEmulator() || !existingBoard())
		return false;
	for (int fd = 0; fd < nfds && fd < FD_SETSIZE; fd++) {
		bool set = (readFds && FD_ISSET(fd, readFds)) || (writeFds && FD_ISSET(fd, writeFds)) ||
			   (exceptFds && FD_ISSET(fd, exceptFds));
		if (set && emulatedFd(fd) != -1)
			return true;
	}
	return false;
}

class SignalMaskScope {
public:
	explicit SignalMaskScope(const sigset_t *mask) : active_(mask != nullptr)
	{
		if (active_)
			pthread_sigmask(SIG_SETMASK, mask, &saved_);
	}
	~SignalMaskScope()
	{
		if (active_)
			pthread_sigmask(SIG_SETMASK, &saved_, nullptr);
	}

private:
	bool active_;
	sigset_t saved_{};
};

// libdrm's struct drm_version (DRM_IOCTL_VERSION = DRM_IOWR(0x00, struct drm_version)).
struct DrmVersion {
	int versionMajor, versionMinor, versionPatchlevel;
	size_t nameLen;
	char *name;
	size_t dateLen;
	char *date;
	size_t descLen;
	char *desc;
};
constexpr unsigned long kDrmIoctlVersion = _IOWR('d', 0x00, struct DrmVersion);
static_assert(kDrmIoctlVersion == 0xc0406400, "DRM_IOCTL_VERSION as libdrm 2.4.114 issues it");

void copyDrmString(const char *value, size_t *length, char *buffer)
{
	// DRM:drm_version / drm_copy_field: copies up to the given length, reports the full one.
	size_t full = strlen(value);
	if (buffer && *length)
		memcpy(buffer, value, full < *length ? full : *length);
	*length = full;
}

} // namespace

int renderNodeIoctl(int, unsigned long request, void *arg)
{
	if (request == kDrmIoctlVersion) {
		if (!arg)
			return -EFAULT;
		auto *v = static_cast<DrmVersion *>(arg);
		v->versionMajor = 1;
		v->versionMinor = 0;
		v->versionPatchlevel = 0;
		// libva derives the driver name from this when LIBVA_DRIVER_NAME is not set.
		copyDrmString("v4l2_request", &v->nameLen, v->name);
		copyDrmString("20240101", &v->dateLen, v->date);
		copyDrmString("v4l2emu stand-in render node", &v->descLen, v->desc);
		return 0;
	}
	return unsupported(ENOTTY, "ioctl 0x%lx on the stand-in render node /dev/dri/renderD128",
			   request);
}

} // namespace v4l2emu::preload

using namespace v4l2emu;
using namespace v4l2emu::preload;

V4L2EMU_INTERPOSE int ioctl(int fd, unsigned long request, ...) noexcept
{
	va_list args;
	va_start(args, request);
	void *arg = va_arg(args, void *);
	va_end(args);
	auto fn = next<int (*)(int, unsigned long, ...)>(Fn::Ioctl);
	if (!fn)
		return missingNext();
	if (insideEmulator())
		return fn(fd, request, arg);
	int canonical = emulatedFd(fd);
	if (canonical == -2)
		return fail(-EBADF);
	if (canonical >= 0)
		return boardIoctl(fd, canonical, request, arg);
	if (isRenderNodeFd(fd)) {
		int ret = renderNodeIoctl(fd, request, arg);
		return ret < 0 ? fail(ret) : ret;
	}
	return fn(fd, request, arg);
}

namespace {

void *mmapCommon(Fn which, void *addr, size_t length, int prot, int flags, int fd, off_t offset)
{
	auto fn = next<void *(*)(void *, size_t, int, int, int, off_t)>(which);
	if (!fn) {
		errno = ENOSYS;
		return MAP_FAILED;
	}
	if (insideEmulator() || fd < 0)
		return fn(addr, length, prot, flags, fd, offset);
	int canonical = emulatedFd(fd);
	if (canonical == -1)
		return fn(addr, length, prot, flags, fd, offset);
	Board *board = existingBoard();
	if (canonical == -2 || !board) {
		errno = EBADF;
		return MAP_FAILED;
	}
	void *mapped = nullptr;
	int ret;
	{
		EmulatorGuard guard;
		ret = board->io().mmap(addr, length, prot, flags, canonical, offset, &mapped);
	}
	trace("mmap(fd %d, %zu, offset 0x%llx) = %d", fd, length,
	      static_cast<unsigned long long>(offset), ret);
	if (ret < 0) {
		errno = -ret;
		return MAP_FAILED;
	}
	gEmulatedMappings.store(true, std::memory_order_release);
	return mapped;
}

} // namespace

V4L2EMU_INTERPOSE void *mmap(void *addr, size_t length, int prot, int flags, int fd,
			     off_t offset) noexcept
{
	return mmapCommon(Fn::Mmap, addr, length, prot, flags, fd, offset);
}

V4L2EMU_INTERPOSE void *mmap64(void *addr, size_t length, int prot, int flags, int fd,
			       off64_t offset) noexcept
{
	return mmapCommon(Fn::Mmap64, addr, length, prot, flags, fd, offset);
}

V4L2EMU_INTERPOSE int munmap(void *addr, size_t length) noexcept
{
	auto fn = next<int (*)(void *, size_t)>(Fn::Munmap);
	if (!fn)
		return missingNext();
	Board *board = existingBoard();
	if (insideEmulator() || !board || !gEmulatedMappings.load(std::memory_order_acquire))
		return fn(addr, length);
	// The board's registry drops the mapping's references (and does the real munmap).
	int ret;
	{
		EmulatorGuard guard;
		ret = board->io().munmap(addr, length);
	}
	return ret < 0 ? fail(ret) : 0;
}

// glibc declares poll's array write-only (__attr_access), so reading it looks uninitialised.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
V4L2EMU_INTERPOSE int poll(struct pollfd *fds, nfds_t nfds, int timeoutMs)
{
	if (anyBoardFd(fds, nfds))
		return boardPoll(fds, nfds, timeoutMs);
	auto fn = next<int (*)(struct pollfd *, nfds_t, int)>(Fn::Poll);
	return fn ? fn(fds, nfds, timeoutMs) : missingNext();
}

V4L2EMU_INTERPOSE int ppoll(struct pollfd *fds, nfds_t nfds, const struct timespec *timeout,
			    const sigset_t *sigmask)
{
	if (anyBoardFd(fds, nfds)) {
		SignalMaskScope mask(sigmask);
		return boardPoll(fds, nfds, timeoutOf(timeout));
	}
	auto fn = next<int (*)(struct pollfd *, nfds_t, const struct timespec *, const sigset_t *)>(
		Fn::Ppoll);
	return fn ? fn(fds, nfds, timeout, sigmask) : missingNext();
}
#pragma GCC diagnostic pop

V4L2EMU_INTERPOSE int select(int nfds, fd_set *readFds, fd_set *writeFds, fd_set *exceptFds,
			     struct timeval *timeout)
{
	if (selectHasBoardFd(nfds, readFds, writeFds, exceptFds)) {
		auto start = std::chrono::steady_clock::now();
		int ms = -1;
		if (timeout)
			ms = static_cast<int>(timeout->tv_sec * 1000 + (timeout->tv_usec + 999) / 1000);
		int ret = selectThroughPoll(nfds, readFds, writeFds, exceptFds, ms);
		if (timeout) {
			// Linux select() leaves the time not slept in *timeout.
			auto spent = std::chrono::duration_cast<std::chrono::microseconds>(
					     std::chrono::steady_clock::now() - start).count();
			long long left = static_cast<long long>(timeout->tv_sec) * 1000000 +
					 timeout->tv_usec - spent;
			left = left < 0 ? 0 : left;
			timeout->tv_sec = left / 1000000;
			timeout->tv_usec = left % 1000000;
		}
		return ret;
	}
	auto fn = next<int (*)(int, fd_set *, fd_set *, fd_set *, struct timeval *)>(Fn::Select);
	return fn ? fn(nfds, readFds, writeFds, exceptFds, timeout) : missingNext();
}

V4L2EMU_INTERPOSE int pselect(int nfds, fd_set *readFds, fd_set *writeFds, fd_set *exceptFds,
			      const struct timespec *timeout, const sigset_t *sigmask)
{
	if (selectHasBoardFd(nfds, readFds, writeFds, exceptFds)) {
		SignalMaskScope mask(sigmask);
		return selectThroughPoll(nfds, readFds, writeFds, exceptFds, timeoutOf(timeout));
	}
	auto fn = next<int (*)(int, fd_set *, fd_set *, fd_set *, const struct timespec *,
			       const sigset_t *)>(Fn::Pselect);
	return fn ? fn(nfds, readFds, writeFds, exceptFds, timeout, sigmask) : missingNext();
}

V4L2EMU_INTERPOSE int epoll_ctl(int epfd, int op, int fd, struct epoll_event *event) noexcept
{
	auto fn = next<int (*)(int, int, int, struct epoll_event *)>(Fn::EpollCtl);
	if (!fn)
		return missingNext();
	if (!insideEmulator() && op != EPOLL_CTL_DEL && emulatedFd(fd) != -1)
		return fail(unsupported(EPERM, "epoll_ctl on %s (use poll or select)",
					objectForMessage(fdInfo(fd))));
	return fn(epfd, op, fd, event);
}
