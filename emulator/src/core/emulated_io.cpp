// SPDX-License-Identifier: MIT
// The emulated device-io seam: fds, mappings and poll for a board's nodes. Anything that is
// not the board's goes to the kernel unchanged.
#include "board_impl.h"
#include "video_ioctl.h"

#include <v4l2emu/trace.h>

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace v4l2emu {

namespace {

constexpr uint32_t kDstQueueOffBase = 1u << 30;	// M2M: DST_QUEUE_OFF_BASE

/// A real fd standing for an emulated file (a node open, a request): poll, dup and close
/// behave and numbers never collide with the process's other fds.
int newObjectFd(int flags)
{
	int efdFlags = 0;
	if (flags & O_CLOEXEC)
		efdFlags |= EFD_CLOEXEC;
	if (flags & O_NONBLOCK)
		efdFlags |= EFD_NONBLOCK;
	int fd = eventfd(0, efdFlags);
	return fd < 0 ? -errno : fd;
}

class EmulatedDeviceIo final : public DeviceIo {
public:
	explicit EmulatedDeviceIo(BoardImpl &board) : board_(board) {}

	int open(const char *path, int flags) override;
	int close(int fd) override;
	int ioctl(int fd, unsigned long request, void *arg) override;
	int mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset,
		 void **mapped) override;
	int munmap(void *addr, size_t length) override;
	int poll(struct pollfd *fds, nfds_t nfds, int timeoutMs) override;
	std::vector<std::string> mediaNodes() override;
	std::string devnodePath(uint32_t major, uint32_t minor) override;

private:
	int doOpen(const char *path, int flags);
	int doClose(int fd);
	int doIoctl(int fd, unsigned long request, void *arg);
	int doMmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset,
		   void **mapped);
	int doMunmap(void *addr, size_t length);
	int doPoll(struct pollfd *fds, nfds_t nfds, int timeoutMs);
	short pollOne(File &file, short events);
	int dispatch(File &file, unsigned long request, void *arg);
	BoardImpl &board_;
};

/// Reports a call to the board's trace sink around running it. With no sink the entry
/// points below cost one atomic load more than the call itself.
template<typename Call>
int traced(TraceSink &sink, CallRecord &record, Call &&call)
{
	record.state = sink.beforeCall(record);
	record.result = call();
	sink.onCall(record);
	return record.result;
}

int EmulatedDeviceIo::open(const char *path, int flags)
{
	TraceSink *sink = board_.traceSink();
	if (__builtin_expect(!sink, 1))
		return doOpen(path, flags);
	CallRecord r;
	r.kind = CallKind::Open;
	r.path = path;
	r.flags = flags;
	return traced(*sink, r, [&] { return doOpen(path, flags); });
}

int EmulatedDeviceIo::close(int fd)
{
	TraceSink *sink = board_.traceSink();
	if (__builtin_expect(!sink, 1))
		return doClose(fd);
	CallRecord r;
	r.kind = CallKind::Close;
	r.fd = fd;
	return traced(*sink, r, [&] { return doClose(fd); });
}

int EmulatedDeviceIo::ioctl(int fd, unsigned long request, void *arg)
{
	TraceSink *sink = board_.traceSink();
	if (__builtin_expect(!sink, 1))
		return doIoctl(fd, request, arg);
	CallRecord r;
	r.kind = CallKind::Ioctl;
	r.fd = fd;
	r.request = request;
	r.arg = arg;
	return traced(*sink, r, [&] { return doIoctl(fd, request, arg); });
}

int EmulatedDeviceIo::mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset,
			   void **mapped)
{
	TraceSink *sink = board_.traceSink();
	if (__builtin_expect(!sink, 1))
		return doMmap(addr, length, prot, flags, fd, offset, mapped);
	CallRecord r;
	r.kind = CallKind::Mmap;
	r.addr = addr;
	r.length = length;
	r.prot = prot;
	r.flags = flags;
	r.fd = fd;
	r.offset = offset;
	return traced(*sink, r, [&] {
		int ret = doMmap(addr, length, prot, flags, fd, offset, mapped);
		r.mapped = ret == 0 && mapped ? *mapped : nullptr;
		return ret;
	});
}

int EmulatedDeviceIo::munmap(void *addr, size_t length)
{
	TraceSink *sink = board_.traceSink();
	if (__builtin_expect(!sink, 1))
		return doMunmap(addr, length);
	CallRecord r;
	r.kind = CallKind::Munmap;
	r.addr = addr;
	r.length = length;
	return traced(*sink, r, [&] { return doMunmap(addr, length); });
}

int EmulatedDeviceIo::poll(struct pollfd *fds, nfds_t nfds, int timeoutMs)
{
	TraceSink *sink = board_.traceSink();
	if (__builtin_expect(!sink, 1))
		return doPoll(fds, nfds, timeoutMs);
	CallRecord r;
	r.kind = CallKind::Poll;
	r.fds = fds;
	r.nfds = nfds;
	r.timeoutMs = timeoutMs;
	return traced(*sink, r, [&] { return doPoll(fds, nfds, timeoutMs); });
}

int EmulatedDeviceIo::doOpen(const char *path, int flags)
{
	if (!path)
		return -EFAULT;
	bool isVideo = false;
	MediaDevice *dev = board_.deviceByPath(path, &isVideo);
	if (!dev) {
		int fd = ::open(path, flags | O_CLOEXEC);
		return fd < 0 ? -errno : fd;
	}
	if (dev->unplugged())
		return -ENODEV;	// V4L2 core v4l2_open / media_open on an unregistered node
	int fd = newObjectFd(flags);
	if (fd < 0)
		return fd;
	UniqueFd own(fd);
	if (isVideo) {
		auto file = std::make_shared<VideoFile>(std::move(own), *dev, flags);
		{
			std::lock_guard<std::mutex> lk(dev->lock());
			file->context = std::make_unique<Context>(dev->video(), dev->nextContextId());
		}
		board_.addFile(file);
	} else {
		board_.addFile(std::make_shared<MediaFile>(std::move(own), *dev));
	}
	return fd;
}

int EmulatedDeviceIo::doClose(int fd)
{
	std::shared_ptr<File> file = board_.takeFile(fd);
	if (!file)
		return ::close(fd) < 0 ? -errno : 0;
	file->closeFd();
	switch (file->kind()) {
	case File::Kind::Video: {
		auto &vf = static_cast<VideoFile &>(*file);
		std::unique_lock<std::mutex> lk(vf.device.lock());
		vf.closed = true;
		if (vf.mappings == 0 && vf.context && !vf.context->released()) {
			// M2M:v4l2_m2m_ctx_release: wait for (or drop) the context's job first.
			vf.device.cancelJob(*vf.context, lk);
			vf.context->release();
		}
		break;
	}
	case File::Kind::Request: {
		auto &rf = static_cast<RequestFile &>(*file);
		std::lock_guard<std::mutex> lk(rf.device.lock());
		// MCR:media_request_close drops only the fd's reference.
		rf.request->put();
		rf.request = nullptr;
		break;
	}
	case File::Kind::Dmabuf: {
		auto &df = static_cast<DmabufFile &>(*file);
		df.memory->externalUsers--;
		break;
	}
	case File::Kind::Media:
		break;
	}
	return 0;
}

namespace {

/// Ioctls whose argument goes back to userspace even when they fail (IOC: the
/// INFO_FL_ALWAYS_COPY entries this emulator implements).
bool alwaysCopy(unsigned long request)
{
	return request == VIDIOC_G_EXT_CTRLS || request == VIDIOC_S_EXT_CTRLS ||
	       request == VIDIOC_TRY_EXT_CTRLS;
}

} // namespace

int EmulatedDeviceIo::doIoctl(int fd, unsigned long request, void *arg)
{
	std::shared_ptr<File> file = board_.file(fd);
	if (!file) {
		int ret = ::ioctl(fd, request, arg);
		return ret < 0 ? -errno : ret;
	}
	// IOC:video_usercopy / MCD:media_device_ioctl: the argument is copied into the kernel,
	// the ioctl works on that copy, and the copy goes back only on success (or for
	// INFO_FL_ALWAYS_COPY ioctls): a failed call leaves the caller's struct as it was. The
	// argument itself is copied with memcpy (NULL is EFAULT); a checked copy costs a syscall,
	// so it is kept for the payload pointers inside arguments (usercopy.h).
	alignas(8) uint8_t karg[1024];
	size_t size = _IOC_SIZE(request);
	bool copies = _IOC_DIR(request) != _IOC_NONE && size > 0;
	if (copies) {
		if (size > sizeof(karg))
			return -ENOTTY;	// no emulated ioctl has an argument this large
		if (!arg)
			return -EFAULT;
		if (_IOC_DIR(request) & _IOC_WRITE) {
			memcpy(karg, arg, size);
		} else {
			memset(karg, 0, size);
		}
	}
	void *kptr = copies ? static_cast<void *>(karg) : arg;
	int ret = dispatch(*file, request, kptr);
	if (copies && (_IOC_DIR(request) & _IOC_READ) && (ret >= 0 || alwaysCopy(request)) &&
	    ret != -ENOTTY)
		memcpy(arg, karg, size);
	return ret;
}

int EmulatedDeviceIo::dispatch(File &file, unsigned long request, void *arg)
{
	switch (file.kind()) {
	case File::Kind::Video: {
		auto &vf = static_cast<VideoFile &>(file);
		MediaDevice &dev = vf.device;
		std::unique_lock<std::mutex> lk(dev.lock());
		dev.countIoctl();
		if (int fault = dev.ioctlFault(request))
			return -fault;
		if (dev.unplugged())
			return -ENODEV;	// V4L2 core v4l2_ioctl on an unregistered device
		dev.checkWatchdog();
		return videoIoctl(board_, vf, request, arg, lk);
	}
	case File::Kind::Media: {
		auto &mf = static_cast<MediaFile &>(file);
		MediaDevice &dev = mf.device;
		std::lock_guard<std::mutex> lk(dev.lock());
		dev.countIoctl();
		if (int fault = dev.ioctlFault(request))
			return -fault;
		if (dev.unplugged())
			return -ENODEV;
		return mediaIoctl(board_, mf, request, arg);
	}
	case File::Kind::Request: {
		auto &rf = static_cast<RequestFile &>(file);
		MediaDevice &dev = rf.device;
		std::lock_guard<std::mutex> lk(dev.lock());
		dev.countIoctl();
		if (int fault = dev.ioctlFault(request))
			return -fault;
		dev.checkWatchdog();
		return requestIoctl(rf, request, arg);
	}
	case File::Kind::Dmabuf:
		return -ENOTTY;	// no dma-buf ioctls are emulated
	}
	return -ENOTTY;
}

int EmulatedDeviceIo::doMmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset,
			     void **mapped)
{
	std::shared_ptr<File> file = board_.file(fd);
	if (!file || file->kind() == File::Kind::Dmabuf) {
		// Exported dma-bufs are real memfds: the kernel maps them and keeps them alive.
		int realFd = file ? file->fd() : fd;
		void *p = ::mmap(addr, length, prot, flags, realFd, offset);
		if (p == MAP_FAILED)
			return -errno;
		*mapped = p;
		return 0;
	}
	if (file->kind() != File::Kind::Video)
		return -ENODEV;	// media and request files have no mmap
	auto vf = std::static_pointer_cast<VideoFile>(file);
	MediaDevice &dev = vf->device;
	std::shared_ptr<PlaneMemory> mem;
	{
		std::lock_guard<std::mutex> lk(dev.lock());
		if (dev.unplugged())
			return -ENODEV;
		if (length == 0)
			return -EINVAL;
		// VB2C:vb2_mmap checks.
		if (!(flags & MAP_SHARED))
			return -EINVAL;
		uint64_t off = static_cast<uint64_t>(offset);
		Queue *q = &vf->context->output();
		if (off >= kDstQueueOffBase) {
			q = &vf->context->capture();
			off -= kDstQueueOffBase;
		}
		if (q->isOutput() && !(prot & PROT_WRITE))
			return -EINVAL;
		if (!q->isOutput() && !(prot & PROT_READ))
			return -EINVAL;
		int ret = q->findMmap(static_cast<uint32_t>(off), length, &mem);
		if (ret)
			return ret;
		// The whole buffer is always mapped from its start.
		void *p = ::mmap(addr, length, prot, flags, mem->fd(), 0);
		if (p == MAP_FAILED)
			return -errno;
		vf->mappings++;
		mem->externalUsers++;
		*mapped = p;
	}
	board_.addMapping(*mapped, {length, length, std::move(mem), vf});
	return 0;
}

int EmulatedDeviceIo::doMunmap(void *addr, size_t length)
{
	BoardImpl::Mapping m;
	bool last = false;
	bool ours = board_.takeMapping(addr, length, &m, &last);
	if (::munmap(addr, length) < 0)
		return -errno;
	if (!ours || !last)
		return 0;
	// MM:remove_vma: the VMA's references go (memory, then the file).
	m.memory->externalUsers--;
	if (m.file) {
		std::unique_lock<std::mutex> lk(m.file->device.lock());
		m.file->mappings--;
		if (m.file->closed && m.file->mappings == 0 && m.file->context &&
		    !m.file->context->released()) {
			m.file->device.cancelJob(*m.file->context, lk);
			m.file->context->release();
		}
	}
	return 0;
}

short EmulatedDeviceIo::pollOne(File &file, short events)
{
	switch (file.kind()) {
	case File::Kind::Video: {
		auto &vf = static_cast<VideoFile &>(file);
		std::lock_guard<std::mutex> lk(vf.device.lock());
		return videoPoll(vf, events);
	}
	case File::Kind::Request: {
		auto &rf = static_cast<RequestFile &>(file);
		std::lock_guard<std::mutex> lk(rf.device.lock());
		rf.device.checkWatchdog();
		return requestPoll(rf, events);
	}
	case File::Kind::Media:
		return 0;	// media nodes have no poll op: DEFAULT_POLLMASK semantics are unused
	case File::Kind::Dmabuf:
		return POLLIN | POLLOUT;
	}
	return 0;
}

int EmulatedDeviceIo::doPoll(struct pollfd *fds, nfds_t nfds, int timeoutMs)
{
	if (nfds && !fds)
		return -EFAULT;
	auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
	std::array<struct pollfd, 16> smallReal{};
	std::array<nfds_t, 16> smallIndex{};
	std::vector<struct pollfd> bigReal;
	std::vector<nfds_t> bigIndex;
	struct pollfd *real = smallReal.data();
	nfds_t *realIndex = smallIndex.data();
	if (nfds > smallReal.size()) {
		bigReal.resize(nfds);
		bigIndex.resize(nfds);
		real = bigReal.data();
		realIndex = bigIndex.data();
	}
	for (;;) {
		uint64_t seen = board_.eventSequence();
		int ready = 0;
		nfds_t nreal = 0;
		for (nfds_t i = 0; i < nfds; i++) {
			fds[i].revents = 0;
			if (fds[i].fd < 0)
				continue;
			std::shared_ptr<File> file = board_.file(fds[i].fd);
			if (!file) {
				real[nreal] = fds[i];
				realIndex[nreal++] = i;
				continue;
			}
			short mask = fds[i].events | POLLERR | POLLHUP | POLLNVAL;
			fds[i].revents = static_cast<short>(pollOne(*file, fds[i].events) & mask);
			if (fds[i].revents)
				ready++;
		}
		if (nreal) {
			int r = ::poll(real, nreal, 0);
			if (r < 0)
				return -errno;
			for (nfds_t j = 0; j < nreal; j++) {
				fds[realIndex[j]].revents = real[j].revents;
				if (real[j].revents)
					ready++;
			}
		}
		if (ready || timeoutMs == 0)
			return ready;
		auto now = std::chrono::steady_clock::now();
		if (timeoutMs > 0 && now >= deadline)
			return 0;
		// Real fds cannot wake us: re-check them every few milliseconds. Emulated objects
		// notify the board; a slice also covers watchdog deadlines.
		auto slice = now + std::chrono::milliseconds(nreal ? 2 : 50);
		auto until = timeoutMs > 0 ? std::min(deadline, slice) : slice;
		board_.waitEvent(seen, until);
	}
}

std::vector<std::string> EmulatedDeviceIo::mediaNodes()
{
	std::vector<std::string> out;
	for (auto &d : board_.devices())
		out.push_back(d->path());
	std::sort(out.begin(), out.end());
	return out;
}

std::string EmulatedDeviceIo::devnodePath(uint32_t major, uint32_t minor)
{
	for (auto &d : board_.devices()) {
		if (d->video().major() == major && d->video().minor() == minor)
			return d->video().path();
		if (d->major() == major && d->minor() == minor)
			return d->path();
	}
	return {};
}

} // namespace

std::unique_ptr<DeviceIo> makeEmulatedDeviceIo(BoardImpl &board)
{
	return std::make_unique<EmulatedDeviceIo>(board);
}

} // namespace v4l2emu
