// SPDX-License-Identifier: MIT
// v4l2emu_preload_probe: an ordinary program (libc only) that checks, one call at a time, what
// the preload library presents when run through v4l2emu-run on the fresnel board. Prints
// "ok <check>" or "FAIL <check>: <detail>" per check; exits 1 if any failed.
//   v4l2emu_preload_probe basic     nodes, fds, dup, stat, sysfs, libudev's walk, render node,
//                                   media, mmap, waits
//   v4l2emu_preload_probe fault     QUERYCAP fails with EIO (run with an ioctl fault plan)
//   v4l2emu_preload_probe threads   concurrent open/ioctl/dup/close of board and other fds
//   v4l2emu_preload_probe absent    without the preload: the nodes do not exist
#include <linux/media.h>
#include <linux/videodev2.h>

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

int failures = 0;

void check(bool ok, const char *name, const std::string &detail = "")
{
	if (ok) {
		printf("ok %s\n", name);
	} else {
		printf("FAIL %s: %s (errno %d %s)\n", name, detail.c_str(), errno, strerror(errno));
		failures++;
	}
	fflush(stdout);
}

/// -1 with the expected errno.
bool failsWith(long ret, int expected)
{
	return ret == -1 && errno == expected;
}

std::set<std::string> listing(const char *dir)
{
	std::set<std::string> names;
	if (DIR *d = opendir(dir)) {
		while (struct dirent *e = readdir(d))
			names.insert(e->d_name);
		closedir(d);
	}
	return names;
}

std::string readAll(int fd)
{
	std::string s;
	char buf[256];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		s.append(buf, static_cast<size_t>(n));
	return s;
}

bool querycap(int fd, const char *driver)
{
	struct v4l2_capability cap {};
	if (ioctl(fd, VIDIOC_QUERYCAP, &cap) != 0)
		return false;
	return strcmp(reinterpret_cast<const char *>(cap.driver), driver) == 0;
}

// libdrm's struct drm_version, for DRM_IOCTL_VERSION.
struct DrmVersion {
	int major, minor, patch;
	size_t nameLen;
	char *name;
	size_t dateLen;
	char *date;
	size_t descLen;
	char *desc;
};
constexpr unsigned long kDrmIoctlVersion = _IOWR('d', 0x00, struct DrmVersion);

void nodesAndStat(dev_t *videoRdev)
{
	struct stat st {};
	check(stat("/dev/video0", &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) == 81,
	      "stat /dev/video0 is char 81:N");
	*videoRdev = st.st_rdev;
	struct stat lst {};
	check(lstat("/dev/media0", &lst) == 0 && S_ISCHR(lst.st_mode), "lstat /dev/media0 is char");
	check(access("/dev/video0", R_OK | W_OK) == 0, "access /dev/video0");
	check(failsWith(stat("/dev/video7", &st), ENOENT), "stat of a node the board lacks");
	check(failsWith(open("/dev/video7", O_RDWR), ENOENT), "open of a node the board lacks");
	int null = open("/dev/null", O_RDWR);
	check(null >= 0 && fstat(null, &st) == 0 && st.st_rdev == makedev(1, 3),
	      "other paths untouched (/dev/null is 1:3)");
	close(null);
}

void videoFd(dev_t videoRdev)
{
	int fd = open("/dev/video0", O_RDWR | O_CLOEXEC);
	check(fd >= 0, "open /dev/video0");
	struct stat st {};
	check(fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == videoRdev,
	      "fstat of the node fd");
	check(fstatat(fd, "", &st, AT_EMPTY_PATH) == 0 && st.st_rdev == videoRdev,
	      "fstatat(AT_EMPTY_PATH) of the node fd");
	struct statx stx {};
	check(statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx) == 0 &&
		      S_ISCHR(stx.stx_mode) && makedev(stx.stx_rdev_major, stx.stx_rdev_minor) == videoRdev,
	      "statx(AT_EMPTY_PATH) of the node fd");
	check(querycap(fd, "rkvdec"), "QUERYCAP says rkvdec");
	v4l2_std_id std = 0;
	check(failsWith(ioctl(fd, VIDIOC_G_STD, &std), ENOTTY), "unsupported ioctl is ENOTTY");
	check(failsWith(ioctl(fd, VIDIOC_G_STD, &std), ENOTTY), "unsupported ioctl again");
	check(failsWith(ioctl(fd, VIDIOC_QUERYCAP, nullptr), EFAULT), "NULL argument is EFAULT");
	char buf[16];
	check(failsWith(read(fd, buf, sizeof(buf)), EINVAL), "read of a node is EINVAL");
	check(failsWith(write(fd, buf, sizeof(buf)), EINVAL), "write of a node is EINVAL");

	int alias = dup(fd);
	check(alias >= 0 && fstat(alias, &st) == 0 && st.st_rdev == videoRdev, "dup keeps the node");
	check(querycap(alias, "rkvdec"), "ioctl through the dup");
	check(close(fd) == 0, "close the original while the dup lives");
	check(failsWith(ioctl(fd, VIDIOC_QUERYCAP, &buf), EBADF), "closed number is EBADF");
	check(querycap(alias, "rkvdec"), "the dup still works");
	int third = fcntl(alias, F_DUPFD_CLOEXEC, 100);
	check(third >= 100 && querycap(third, "rkvdec"), "fcntl(F_DUPFD_CLOEXEC)");
	check(close(alias) == 0 && close(third) == 0, "close the dups");
	check(failsWith(close(third), EBADF), "second close is EBADF");

	// O_NONBLOCK set after open with fcntl(F_SETFL) on a dup (GStreamer's GstPoll style):
	// one open file description, so the original sees it (fs/fcntl.c setfl) and so does the
	// board, whose DQEVENT then answers ENOENT at once instead of waiting for an event
	// (V4L2 core v4l2_event_dequeue reads file->f_flags). alarm: a wait kills the probe.
	int blocking = open("/dev/video0", O_RDWR);
	int flagsAlias = dup(blocking);
	check(fcntl(flagsAlias, F_SETFL, fcntl(flagsAlias, F_GETFL) | O_NONBLOCK) == 0 &&
		      (fcntl(blocking, F_GETFL) & O_NONBLOCK),
	      "fcntl(F_SETFL, O_NONBLOCK) on a dup reaches the original");
	struct v4l2_event event {};
	alarm(10);
	check(failsWith(ioctl(blocking, VIDIOC_DQEVENT, &event), ENOENT),
	      "DQEVENT honours O_NONBLOCK set later");
	alarm(0);
	check(fcntl(blocking, F_SETFL, fcntl(blocking, F_GETFL) & ~O_NONBLOCK) == 0 &&
		      !(fcntl(flagsAlias, F_GETFL) & O_NONBLOCK),
	      "fcntl(F_SETFL) clears O_NONBLOCK again");
	close(flagsAlias);
	close(blocking);

	int fd2 = open("/dev/video0", O_RDWR);
	int target = open("/dev/null", O_RDONLY);
	check(dup2(fd2, target) == target && querycap(target, "rkvdec"), "dup2 over another fd");
	check(close(fd2) == 0 && querycap(target, "rkvdec") && close(target) == 0,
	      "dup2 target outlives the original");

	int epfd = epoll_create1(EPOLL_CLOEXEC);
	int fd3 = open("/dev/video1", O_RDWR);
	struct epoll_event ev {};
	ev.events = EPOLLIN;
	check(querycap(fd3, "hantro-vpu"), "QUERYCAP of /dev/video1 says hantro-vpu");
	check(failsWith(epoll_ctl(epfd, EPOLL_CTL_ADD, fd3, &ev), EPERM), "epoll refused on a node");
	close(epfd);

	struct pollfd pfd = {fd3, POLLIN, 0};
	// M2M:v4l2_m2m_poll: neither queue streaming -> EPOLLERR.
	check(poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLERR), "poll of an idle m2m node");
	int pipes[2];
	check(pipe(pipes) == 0 && write(pipes[1], "x", 1) == 1, "pipe");
	struct pollfd mixed[2] = {{fd3, POLLPRI, 0}, {pipes[0], POLLIN, 0}};
	check(poll(mixed, 2, 1000) == 1 && mixed[1].revents == POLLIN && mixed[0].revents == 0,
	      "poll of a node and a pipe");
	fd_set readSet, exceptSet;
	FD_ZERO(&readSet);
	FD_ZERO(&exceptSet);
	FD_SET(fd3, &exceptSet);
	FD_SET(pipes[0], &readSet);
	struct timeval tv = {1, 0};
	int n = select(std::max(fd3, pipes[0]) + 1, &readSet, nullptr, &exceptSet, &tv);
	check(n == 1 && FD_ISSET(pipes[0], &readSet) && !FD_ISSET(fd3, &exceptSet),
	      "select over a node and a pipe", "select returned " + std::to_string(n));
	close(pipes[0]);
	close(pipes[1]);
	close(fd3);
}

void sysfs()
{
	std::set<std::string> dev = listing("/dev");
	check(dev.count("media0") && dev.count("video0") && dev.count("media1") &&
		      dev.count("video1") && dev.count("null"),
	      "/dev lists the board's nodes and the real ones");
	check(listing("/dev/dri").count("renderD128"), "/dev/dri lists renderD128");
	FILE *f = fopen("/sys/dev/char/81:0/uevent", "r");
	std::string uevent;
	if (f) {
		char line[128];
		while (fgets(line, sizeof(line), f))
			uevent += line;
		fclose(f);
	}
	check(uevent.find("DEVNAME=video0\n") != std::string::npos, "fopen of the uevent file",
	      uevent);
	int fd = open("/sys/dev/char/236:1/uevent", O_RDONLY);
	check(fd >= 0 && readAll(fd).find("DEVNAME=media1\n") != std::string::npos,
	      "open/read of the media uevent file");
	if (fd >= 0)
		close(fd);
	check(failsWith(open("/sys/dev/char/81:0/uevent", O_WRONLY), EACCES), "sysfs is read-only");
	char target[256] = {};
	ssize_t n = readlink("/sys/dev/char/81:0", target, sizeof(target) - 1);
	check(n > 0 && std::string(target).size() > 7 &&
		      std::string(target).substr(std::string(target).size() - 7) == "/video0",
	      "readlink /sys/dev/char/81:0 ends in /video0", target);
	check(listing("/sys/dev/char/81:0/device").count("media0"), "device/ lists media0");
	check(listing("/sys/dev/char").count("81:1"), "/sys/dev/char lists the nodes");
	struct stat st {};
	check(stat("/sys/dev/char/226:128/device/drm", &st) == 0 && S_ISDIR(st.st_mode),
	      "render node's sysfs drm directory");
	check(lstat("/sys/dev/char/81:0", &st) == 0 && S_ISLNK(st.st_mode), "lstat of the link");
	check(stat("/sys/class/video4linux/video1/name", &st) == 0 && S_ISREG(st.st_mode),
	      "video4linux name file");
}

/// What libudev (systemd 252 sd-device) does to find the media devices: list
/// /sys/bus/media/devices, then resolve each entry component by component with O_PATH fds
/// (chase_symlinks), check uevent and that the result is on sysfs, read its subsystem link.
void udevWalk()
{
	check(listing("/sys/bus").count("media"), "/sys/bus lists media");
	std::set<std::string> media = listing("/sys/bus/media/devices");
	check(media.count("media0") && media.count("media1"), "/sys/bus/media/devices lists both");
	check(listing("/sys/class").count("video4linux"), "/sys/class lists video4linux");
	auto step = [](int dir, const char *name) {
		int fd = openat(dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		close(dir);
		return fd;
	};
	int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	for (const char *name : {"sys", "bus", "media", "devices"})
		fd = fd >= 0 ? step(fd, name) : -1;
	check(fd >= 0, "O_PATH walk to /sys/bus/media/devices");
	int link = fd >= 0 ? openat(fd, "media0", O_PATH | O_NOFOLLOW | O_CLOEXEC) : -1;
	struct stat st {};
	check(link >= 0 && fstat(link, &st) == 0 && S_ISLNK(st.st_mode), "media0 there is a link");
	if (link >= 0)
		close(link);
	char target[256] = {};
	ssize_t n = fd >= 0 ? readlinkat(fd, "media0", target, sizeof(target) - 1) : -1;
	check(n > 0 && std::string(target) == "../../../devices/platform/v4l2emu-rkvdec/media0",
	      "readlinkat of the link", target);
	for (const char *name : {"..", "..", "..", "devices", "platform", "v4l2emu-rkvdec", "media0"})
		fd = fd >= 0 ? step(fd, name) : -1;
	check(fd >= 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode), "the link's target by O_PATH");
	check(fd >= 0 && faccessat(fd, "uevent", F_OK, 0) == 0, "faccessat(uevent) there");
	struct statfs sfs {};
	check(fd >= 0 && fstatfs(fd, &sfs) == 0 && sfs.f_type == SYSFS_MAGIC, "it is on sysfs");
	int uevent = fd >= 0 ? openat(fd, "uevent", O_RDONLY | O_CLOEXEC) : -1;
	check(uevent >= 0 && readAll(uevent).find("DEVNAME=media0\n") != std::string::npos,
	      "its uevent names media0");
	if (uevent >= 0)
		close(uevent);
	if (fd >= 0)
		close(fd);
	n = readlink("/sys/devices/platform/v4l2emu-rkvdec/media0/subsystem", target,
		     sizeof(target) - 1);
	check(n > 0 && std::string(target, static_cast<size_t>(n)) == "../../../../bus/media",
	      "the subsystem link is bus/media");
	n = readlink("/sys/dev/char/81:1", target, sizeof(target) - 1);
	std::string video1(target, n > 0 ? static_cast<size_t>(n) : 0);
	check(video1 == "../../devices/platform/v4l2emu-hantro-vpu/video4linux/video1",
	      "/sys/dev/char/81:1 leads to the device", video1);
	check(stat("/sys/devices/platform/v4l2emu-hantro-vpu/video4linux/video1/uevent", &st) == 0 &&
		      S_ISREG(st.st_mode),
	      "the video device's uevent");
}

/// Calls that bypass the per-fd wrappers: syscall(2), close_range(2), closefrom(3).
void rawCalls()
{
	int fd = open("/dev/video0", O_RDWR);
	struct v4l2_capability cap {};
	check(fd >= 0 && syscall(SYS_ioctl, fd, VIDIOC_QUERYCAP, &cap) == 0 &&
		      strcmp(reinterpret_cast<char *>(cap.driver), "rkvdec") == 0,
	      "syscall(SYS_ioctl) reaches the board");
	check(failsWith(syscall(SYS_pread64, fd, &cap, 4, 0), ENOSYS),
	      "an unrouted raw syscall on a board fd is ENOSYS");
	int pipes[2] = {-1, -1};
	check(pipe(pipes) == 0, "pipe");
	int low = fd < pipes[0] ? fd : pipes[0];
	int high = fd > pipes[1] ? fd : pipes[1];
	if (pipes[0] > high)
		high = pipes[0];
	check(close_range(static_cast<unsigned>(low), static_cast<unsigned>(high), 0) == 0,
	      "close_range over a board fd and a pipe");
	check(failsWith(ioctl(fd, VIDIOC_QUERYCAP, &cap), EBADF) &&
		      failsWith(fcntl(pipes[0], F_GETFD), EBADF),
	      "both are closed");
	int media = open("/dev/media0", O_RDWR);
	int alias = media >= 0 ? fcntl(media, F_DUPFD, 600) : -1;
	check(alias >= 600, "a board alias at 600");
	closefrom(600);
	check(failsWith(fcntl(alias, F_GETFD), EBADF), "closefrom(600) closes it");
	struct media_device_info info {};
	check(ioctl(media, MEDIA_IOC_DEVICE_INFO, &info) == 0, "the original still works");
	close(media);
}

void renderNode()
{
	int fd = open("/dev/dri/renderD128", O_RDWR);
	struct stat st {};
	check(fd >= 0 && fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) &&
		      st.st_rdev == makedev(226, 128),
	      "render node fd is char 226:128");
	char name[32] = {};
	DrmVersion v {};
	v.nameLen = sizeof(name) - 1;
	v.name = name;
	check(ioctl(fd, kDrmIoctlVersion, &v) == 0 && strcmp(name, "v4l2_request") == 0 &&
		      v.nameLen == strlen("v4l2_request"),
	      "DRM_IOCTL_VERSION names the driver", name);
	int alias = dup(fd);
	check(alias >= 0 && fstat(alias, &st) == 0 && st.st_rdev == makedev(226, 128),
	      "dup of the render node");
	close(alias);
	close(fd);
}

void mediaAndRequests()
{
	int media = open("/dev/media0", O_RDWR);
	struct media_device_info info {};
	check(media >= 0 && ioctl(media, MEDIA_IOC_DEVICE_INFO, &info) == 0 &&
		      strcmp(info.driver, "rkvdec") == 0,
	      "MEDIA_IOC_DEVICE_INFO");
	int request = -1;
	check(ioctl(media, MEDIA_IOC_REQUEST_ALLOC, &request) == 0 && request >= 0,
	      "MEDIA_IOC_REQUEST_ALLOC");
	struct pollfd pfd = {request, POLLPRI, 0};
	// MCR:media_request_poll: a request that was never queued reports EPOLLERR.
	check(poll(&pfd, 1, 0) == 1 && pfd.revents == POLLERR, "poll of an unqueued request");
	check(ioctl(request, MEDIA_REQUEST_IOC_REINIT) == 0, "MEDIA_REQUEST_IOC_REINIT");
	check(close(request) == 0 && failsWith(ioctl(request, MEDIA_REQUEST_IOC_REINIT), EBADF),
	      "request fd closes");
	close(media);
}

void mappings()
{
	int fd = open("/dev/video0", O_RDWR);
	struct v4l2_requestbuffers rb {};
	rb.count = 1;
	rb.type = V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE;
	rb.memory = V4L2_MEMORY_MMAP;
	check(ioctl(fd, VIDIOC_REQBUFS, &rb) == 0 && rb.count >= 1, "REQBUFS OUTPUT");
	struct v4l2_plane planes[VIDEO_MAX_PLANES] {};
	struct v4l2_buffer b {};
	b.type = rb.type;
	b.memory = V4L2_MEMORY_MMAP;
	b.index = 0;
	b.m.planes = planes;
	b.length = VIDEO_MAX_PLANES;
	check(ioctl(fd, VIDIOC_QUERYBUF, &b) == 0 && planes[0].length > 0, "QUERYBUF");
	void *p = mmap(nullptr, planes[0].length, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		       planes[0].m.mem_offset);
	check(p != MAP_FAILED, "mmap of an OUTPUT buffer");
	if (p != MAP_FAILED) {
		memset(p, 0x5a, planes[0].length);
		check(munmap(p, planes[0].length) == 0, "munmap");
	}
	void *bad = mmap(nullptr, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	check(bad == MAP_FAILED && errno == EINVAL, "MAP_PRIVATE of a buffer is EINVAL");
	rb.count = 0;
	check(ioctl(fd, VIDIOC_REQBUFS, &rb) == 0, "REQBUFS 0");
	close(fd);
	struct stat st {};
	check(failsWith(fstat(fd, &st), EBADF), "fstat of a closed node fd");
}

int threads()
{
	std::atomic<int> bad{0};
	auto worker = [&](int id) {
		for (int i = 0; i < 150; i++) {
			const char *node = (i + id) % 2 ? "/dev/video0" : "/dev/video1";
			int fd = open(node, O_RDWR | O_CLOEXEC);
			int other = open("/dev/null", O_RDONLY);
			struct v4l2_capability cap {};
			if (fd < 0 || other < 0 || ioctl(fd, VIDIOC_QUERYCAP, &cap) != 0)
				bad++;
			int alias = dup(fd);
			if (alias < 0 || ioctl(alias, VIDIOC_QUERYCAP, &cap) != 0)
				bad++;
			struct stat st {};
			if (fstat(other, &st) != 0 || major(st.st_rdev) == 81)
				bad++;
			if (close(fd) || close(alias) || close(other))
				bad++;
		}
	};
	std::vector<std::thread> pool;
	for (int t = 0; t < 4; t++)
		pool.emplace_back(worker, t);
	for (auto &t : pool)
		t.join();
	check(bad == 0, "4 threads open/ioctl/dup/close", std::to_string(bad.load()) + " bad calls");
	return failures ? 1 : 0;
}

} // namespace

int main(int argc, char **argv)
{
	std::string mode = argc > 1 ? argv[1] : "basic";
	if (mode == "absent") {
		struct stat st {};
		check(failsWith(stat("/dev/video0", &st), ENOENT), "no /dev/video0 without the preload");
		check(failsWith(open("/dev/dri/renderD128", O_RDWR), ENOENT),
		      "no render node without the preload");
		return failures ? 1 : 0;
	}
	if (mode == "fault") {
		int fd = open("/dev/video0", O_RDWR);
		struct v4l2_capability cap {};
		check(fd >= 0 && failsWith(ioctl(fd, VIDIOC_QUERYCAP, &cap), EIO),
		      "injected QUERYCAP fault is EIO");
		check(querycap(fd, "rkvdec"), "the next QUERYCAP works");
		close(fd);
		return failures ? 1 : 0;
	}
	if (mode == "threads")
		return threads();
	dev_t videoRdev = 0;
	nodesAndStat(&videoRdev);
	videoFd(videoRdev);
	sysfs();
	udevWalk();
	rawCalls();
	renderNode();
	mediaAndRequests();
	mappings();
	return failures ? 1 : 0;
}
