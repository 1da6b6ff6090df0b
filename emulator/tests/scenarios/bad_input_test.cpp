// SPDX-License-Identifier: MIT
// Bad input: unknown ioctls, NULL arguments, closed and foreign fds, and a deterministic
// storm of garbage structs. Every call gets an errno, nothing crashes (the asan preset runs
// this too) and the board ends with nothing leaked.
#include "emu_fixture.h"

#include <v4l2emu/ioctl_names.h>

#include <poll.h>

#include <random>

namespace v4l2emu::test {
namespace {

using BadInput = EmuTest;

TEST_F(BadInput, UnknownIoctl_Enotty)
{
	int fd = openVideo("rkvdec");
	int media = openMedia("rkvdec");
	// Arguments as large as the ioctl says: the ioctl layer copies them in first.
	alignas(8) uint8_t arg[256] = {};
	EXPECT_EQ(xioctl(fd, _IOWR('V', 250, uint32_t), arg), -ENOTTY);
	EXPECT_EQ(xioctl(fd, VIDIOC_ENUMINPUT, arg), -ENOTTY) << "a V4L2 ioctl these drivers lack";
	EXPECT_EQ(xioctl(media, VIDIOC_QUERYCAP, arg), -ENOTTY);
}

TEST_F(BadInput, NullArgument_Efault)
{
	int fd = openVideo("rkvdec");
	for (unsigned long cmd : {VIDIOC_QUERYCAP, VIDIOC_S_FMT, VIDIOC_REQBUFS, VIDIOC_QBUF, VIDIOC_DQBUF,
				  VIDIOC_S_EXT_CTRLS, VIDIOC_STREAMON, VIDIOC_EXPBUF})
		EXPECT_EQ(xioctl(fd, cmd, nullptr), -EFAULT) << std::hex << cmd;
	// A NULL controls array with a count is a fault too, and leaves the count untouched.
	struct v4l2_ext_controls cs {};
	cs.count = 2;
	EXPECT_EQ(xioctl(fd, VIDIOC_S_EXT_CTRLS, &cs), -EFAULT);
}

TEST_F(BadInput, ClosedAndForeignFds)
{
	int fd = openVideo("rkvdec");
	ASSERT_EQ(closeFd(fd), 0);
	openFds_.erase(std::find(openFds_.begin(), openFds_.end(), fd));
	struct v4l2_capability cap {};
	EXPECT_EQ(xioctl(fd, VIDIOC_QUERYCAP, &cap), -EBADF);
	EXPECT_EQ(closeFd(fd), -EBADF);
	EXPECT_EQ(xioctl(-1, VIDIOC_QUERYCAP, &cap), -EBADF);
	// A real file that is not a V4L2 node: the kernel's answer.
	int other = io().open("/dev/null", O_RDWR);
	ASSERT_GE(other, 0);
	EXPECT_EQ(xioctl(other, VIDIOC_QUERYCAP, &cap), -ENOTTY);
	EXPECT_EQ(closeFd(other), 0);
	EXPECT_EQ(io().open("/dev/video77", O_RDWR), -ENOENT);
}

TEST_F(BadInput, GarbageStructsNeverCrashOrLeak)
{
	// Random bytes into every ioctl the emulator knows, with the pointer fields of the
	// structs that carry them pointed at valid scratch memory: errno values only.
	const unsigned long cmds[] = {
		VIDIOC_QUERYCAP, VIDIOC_ENUM_FMT, VIDIOC_G_FMT, VIDIOC_S_FMT, VIDIOC_TRY_FMT,
		VIDIOC_ENUM_FRAMESIZES, VIDIOC_REQBUFS, VIDIOC_CREATE_BUFS, VIDIOC_QUERYBUF,
		VIDIOC_PREPARE_BUF, VIDIOC_QBUF, VIDIOC_DQBUF, VIDIOC_EXPBUF, VIDIOC_STREAMON,
		VIDIOC_STREAMOFF, VIDIOC_REMOVE_BUFS, VIDIOC_QUERYCTRL, VIDIOC_QUERY_EXT_CTRL,
		VIDIOC_QUERYMENU, VIDIOC_G_CTRL, VIDIOC_S_CTRL, VIDIOC_G_EXT_CTRLS, VIDIOC_S_EXT_CTRLS,
		VIDIOC_TRY_EXT_CTRLS, VIDIOC_SUBSCRIBE_EVENT, VIDIOC_UNSUBSCRIBE_EVENT, VIDIOC_DQEVENT,
		VIDIOC_DECODER_CMD, VIDIOC_TRY_DECODER_CMD, VIDIOC_G_SELECTION, VIDIOC_S_SELECTION,
	};
	std::mt19937_64 rng(1234);
	for (const char *device : {"rkvdec", "hantro-vpu"}) {
		int fd = openVideo(device, O_RDWR | O_NONBLOCK);
		int media = openMedia(device);
		ASSERT_GE(fd, 0);
		std::vector<int> requests;
		for (int i = 0; i < 3; i++)
			requests.push_back(allocRequest(media));
		alignas(8) uint8_t scratch[8192];
		struct v4l2_plane planes[VIDEO_MAX_PLANES];
		struct v4l2_ext_control ctrls[4];
		for (int iter = 0; iter < 20000; iter++) {
			alignas(8) uint8_t arg[512];
			for (auto &b : arg)
				b = static_cast<uint8_t>(rng());
			// Small values make valid-looking indices and types more likely.
			if (rng() % 2)
				for (size_t i = 0; i < sizeof(arg); i += 4)
					arg[i] %= 12, arg[i + 1] = arg[i + 2] = arg[i + 3] = 0;
			unsigned long cmd = cmds[rng() % std::size(cmds)];
			switch (cmd) {
			case VIDIOC_QBUF: case VIDIOC_DQBUF: case VIDIOC_QUERYBUF: case VIDIOC_PREPARE_BUF: {
				auto *b = reinterpret_cast<struct v4l2_buffer *>(arg);
				for (auto &p : planes)
					memset(&p, static_cast<int>(rng() % 3), sizeof(p));
				b->m.planes = planes;
				b->length = static_cast<uint32_t>(rng() % 10);
				if (rng() % 4 == 0)
					b->request_fd = requests[rng() % requests.size()];
				break;
			}
			case VIDIOC_G_EXT_CTRLS: case VIDIOC_S_EXT_CTRLS: case VIDIOC_TRY_EXT_CTRLS: {
				auto *cs = reinterpret_cast<struct v4l2_ext_controls *>(arg);
				cs->count = static_cast<uint32_t>(rng() % 5);
				cs->controls = ctrls;
				for (auto &c : ctrls) {
					c.id = rng() % 2 ? V4L2_CID_CODEC_STATELESS_BASE + static_cast<uint32_t>(rng() % 410)
							 : static_cast<uint32_t>(rng());
					c.size = static_cast<uint32_t>(rng() % sizeof(scratch));
					c.ptr = scratch;
				}
				for (auto &b : scratch)
					b = static_cast<uint8_t>(rng());
				if (rng() % 2)
					cs->request_fd = requests[rng() % requests.size()];
				break;
			}
			default:
				break;
			}
			int ret = xioctl(fd, cmd, arg);
			EXPECT_LE(ret, 0) << std::hex << cmd;
			if (rng() % 64 == 0)
				(void)xioctl(requests[rng() % requests.size()],
					     rng() % 2 ? MEDIA_REQUEST_IOC_QUEUE : MEDIA_REQUEST_IOC_REINIT, nullptr);
			if (ret < 0) {
				EXPECT_NE(errnoName(-ret), nullptr) << "a real errno: " << ret;
			}
		}
	}
	for (int fd : openFds_)
		closeFd(fd);
	openFds_.clear();
	BoardStats st = board().stats();
	EXPECT_EQ(st.openFds, 0u);
	EXPECT_EQ(st.liveMappings, 0u);
	for (const DeviceStats &d : st.devices) {
		EXPECT_EQ(d.openContexts, 0u) << d.name;
		EXPECT_EQ(d.liveRequests, 0u) << d.name;
		EXPECT_EQ(d.liveBuffers, 0u) << d.name;
	}
}

} // namespace
} // namespace v4l2emu::test
