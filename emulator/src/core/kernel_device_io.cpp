// SPDX-License-Identifier: MIT
// The seam over the running kernel: plain syscalls, errors as -errno.
#include <v4l2emu/device_io.h>

#include <dirent.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

namespace v4l2emu {

namespace {

class KernelDeviceIo final : public DeviceIo {
public:
	int open(const char *path, int flags) override
	{
		int fd = ::open(path, flags | O_CLOEXEC);
		return fd < 0 ? -errno : fd;
	}
	int close(int fd) override { return ::close(fd) < 0 ? -errno : 0; }
	int ioctl(int fd, unsigned long request, void *arg) override
	{
		int ret;
		do {
			ret = ::ioctl(fd, request, arg);
		} while (ret < 0 && errno == EINTR);
		return ret < 0 ? -errno : ret;
	}
	int mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset,
		 void **mapped) override
	{
		void *p = ::mmap(addr, length, prot, flags, fd, offset);
		if (p == MAP_FAILED)
			return -errno;
		*mapped = p;
		return 0;
	}
	int munmap(void *addr, size_t length) override
	{
		return ::munmap(addr, length) < 0 ? -errno : 0;
	}
	int poll(struct pollfd *fds, nfds_t nfds, int timeoutMs) override
	{
		int ret = ::poll(fds, nfds, timeoutMs);
		return ret < 0 ? -errno : ret;
	}
	std::vector<std::string> mediaNodes() override
	{
		std::vector<std::pair<long, std::string>> found;
		if (DIR *d = opendir("/dev")) {
			while (struct dirent *e = readdir(d)) {
				if (strncmp(e->d_name, "media", 5) != 0)
					continue;
				char *end = nullptr;
				long n = strtol(e->d_name + 5, &end, 10);
				if (end == e->d_name + 5 || *end)
					continue;
				found.emplace_back(n, std::string("/dev/") + e->d_name);
			}
			closedir(d);
		}
		std::sort(found.begin(), found.end());
		std::vector<std::string> out;
		for (auto &f : found)
			out.push_back(f.second);
		return out;
	}
	std::string devnodePath(uint32_t major, uint32_t minor) override
	{
		std::string link = "/sys/dev/char/" + std::to_string(major) + ":" + std::to_string(minor);
		char target[PATH_MAX];
		ssize_t n = readlink(link.c_str(), target, sizeof(target) - 1);
		if (n <= 0)
			return {};
		target[n] = '\0';
		const char *base = strrchr(target, '/');
		std::string path = std::string("/dev/") + (base ? base + 1 : target);
		struct stat st {};
		if (stat(path.c_str(), &st) < 0)
			return {};
		return path;
	}
};

} // namespace

std::unique_ptr<DeviceIo> makeKernelDeviceIo()
{
	return std::make_unique<KernelDeviceIo>();
}

} // namespace v4l2emu
