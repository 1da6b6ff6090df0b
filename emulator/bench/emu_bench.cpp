// SPDX-License-Identifier: MIT
// v4l2emu_bench: what an emulated ioctl costs next to one real syscall, how many decode
// cycles per second the deterministic emulator sustains, and how many open / set-up / close
// cycles (what probing and stream set-up do, and what the fuzz targets do per input).
//
//   v4l2emu_bench [--iterations N] [--frames N] [--size WxH]
//
// Prints the medians of 31 batches; the ratio goal is < 1.0 (an emulated ioctl is cheaper
// than entering the kernel once).
#include <v4l2emu/board.h>

#include <fcntl.h>
#include <linux/media.h>
#include <linux/videodev2.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

using namespace v4l2emu;

namespace {

using Clock = std::chrono::steady_clock;

double medianNsPerCall(int batches, int perBatch, const std::function<void()> &fn)
{
	std::vector<double> samples;
	for (int b = 0; b < batches; b++) {
		auto t0 = Clock::now();
		for (int i = 0; i < perBatch; i++)
			fn();
		auto t1 = Clock::now();
		samples.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count() / perBatch);
	}
	std::sort(samples.begin(), samples.end());
	return samples[samples.size() / 2];
}

[[noreturn]] void die(const char *what, int ret)
{
	fprintf(stderr, "v4l2emu_bench: %s failed: %s\n", what, strerror(-ret));
	exit(1);
}

} // namespace

int main(int argc, char **argv)
{
	int iterations = 20000;
	int frames = 2000;
	uint32_t width = 320, height = 240;
	for (int i = 1; i < argc; i++) {
		std::string a = argv[i];
		if (a == "--iterations" && i + 1 < argc)
			iterations = std::max(1, atoi(argv[++i]));
		else if (a == "--frames" && i + 1 < argc)
			frames = std::max(1, atoi(argv[++i]));
		else if (a == "--size" && i + 1 < argc)
			sscanf(argv[++i], "%ux%u", &width, &height);
		else {
			fprintf(stderr, "usage: %s [--iterations N] [--frames N] [--size WxH]\n", argv[0]);
			return 2;
		}
	}

	std::string error;
	auto board = Board::create("fresnel", {}, &error);
	if (!board) {
		fprintf(stderr, "%s\n", error.c_str());
		return 1;
	}
	DeviceIo &io = board->io();
	auto nodes = board->nodes();
	int fd = io.open(nodes[0].videoPath.c_str(), O_RDWR);
	int media = io.open(nodes[0].mediaPath.c_str(), O_RDWR);
	if (fd < 0 || media < 0)
		die("open", fd < 0 ? fd : media);

	// 1. One emulated ioctl against one real syscall.
	struct v4l2_capability cap {};
	double emulated = medianNsPerCall(31, iterations, [&] { io.ioctl(fd, VIDIOC_QUERYCAP, &cap); });
	int devnull = ::open("/dev/null", O_RDWR);
	double syscallNs = medianNsPerCall(31, iterations, [&] {
		// The same request on a real fd: the kernel rejects it (ENOTTY) after one entry.
		(void)::ioctl(devnull, VIDIOC_QUERYCAP, &cap);
	});
	::close(devnull);
	printf("emulated VIDIOC_QUERYCAP: %.1f ns/call (median of 31 x %d)\n", emulated, iterations);
	printf("real ioctl syscall:       %.1f ns/call\n", syscallNs);
	printf("ratio emulated/syscall:   %.2f (goal < 1.0)\n", emulated / syscallNs);

	// 2. Decode cycles in deterministic mode.
	const uint32_t out = V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE, capq = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
	struct v4l2_format f {};
	f.type = out;
	f.fmt.pix_mp.pixelformat = V4L2_PIX_FMT_H264_SLICE;
	f.fmt.pix_mp.width = width;
	f.fmt.pix_mp.height = height;
	f.fmt.pix_mp.num_planes = 1;
	if (int r = io.ioctl(fd, VIDIOC_S_FMT, &f))
		die("S_FMT", r);
	struct v4l2_requestbuffers rb {};
	rb.type = out;
	rb.memory = V4L2_MEMORY_MMAP;
	rb.count = 1;
	if (int r = io.ioctl(fd, VIDIOC_REQBUFS, &rb))
		die("REQBUFS(OUTPUT)", r);
	rb = {};
	rb.type = capq;
	rb.memory = V4L2_MEMORY_MMAP;
	rb.count = 1;
	if (int r = io.ioctl(fd, VIDIOC_REQBUFS, &rb))
		die("REQBUFS(CAPTURE)", r);
	int req = -1;
	if (int r = io.ioctl(media, MEDIA_IOC_REQUEST_ALLOC, &req))
		die("REQUEST_ALLOC", r);
	uint32_t types[2] = {out, capq};
	for (uint32_t t : types)
		if (int r = io.ioctl(fd, VIDIOC_STREAMON, &t))
			die("STREAMON", r);

	struct v4l2_ctrl_h264_sps sps {};
	sps.profile_idc = 100;
	sps.chroma_format_idc = 1;
	sps.pic_width_in_mbs_minus1 = static_cast<uint16_t>(width / 16 - 1);
	sps.pic_height_in_map_units_minus1 = static_cast<uint16_t>(height / 16 - 1);
	sps.flags = V4L2_H264_SPS_FLAG_FRAME_MBS_ONLY;
	struct v4l2_ctrl_h264_pps pps {};
	struct v4l2_ctrl_h264_decode_params dp {};
	dp.flags = V4L2_H264_DECODE_PARAM_FLAG_IDR_PIC;
	struct v4l2_ext_control ctrls[3] = {};
	ctrls[0].id = V4L2_CID_STATELESS_H264_SPS;
	ctrls[0].size = sizeof(sps);
	ctrls[0].ptr = &sps;
	ctrls[1].id = V4L2_CID_STATELESS_H264_PPS;
	ctrls[1].size = sizeof(pps);
	ctrls[1].ptr = &pps;
	ctrls[2].id = V4L2_CID_STATELESS_H264_DECODE_PARAMS;
	ctrls[2].size = sizeof(dp);
	ctrls[2].ptr = &dp;

	struct v4l2_plane planes[VIDEO_MAX_PLANES] = {};
	auto cycle = [&](uint64_t n) {
		struct v4l2_ext_controls cs {};
		cs.which = V4L2_CTRL_WHICH_REQUEST_VAL;
		cs.count = 3;
		cs.controls = ctrls;
		cs.request_fd = req;
		dp.frame_num = static_cast<uint16_t>(n);
		if (int r = io.ioctl(fd, VIDIOC_S_EXT_CTRLS, &cs))
			die("S_EXT_CTRLS", r);
		struct v4l2_buffer b {};
		b.type = out;
		b.memory = V4L2_MEMORY_MMAP;
		b.index = 0;
		b.m.planes = planes;
		b.length = 1;
		planes[0].bytesused = 1024;
		b.flags = V4L2_BUF_FLAG_REQUEST_FD;
		b.request_fd = req;
		b.timestamp.tv_usec = static_cast<suseconds_t>(n % 1000000);
		if (int r = io.ioctl(fd, VIDIOC_QBUF, &b))
			die("QBUF(OUTPUT)", r);
		b = {};
		b.type = capq;
		b.memory = V4L2_MEMORY_MMAP;
		b.index = 0;
		b.m.planes = planes;
		b.length = 1;
		if (int r = io.ioctl(fd, VIDIOC_QBUF, &b))
			die("QBUF(CAPTURE)", r);
		if (int r = io.ioctl(req, MEDIA_REQUEST_IOC_QUEUE, nullptr))
			die("REQUEST_QUEUE", r);
		struct pollfd p {req, POLLPRI, 0};
		if (io.poll(&p, 1, 1000) != 1)
			die("poll", -ETIMEDOUT);
		for (uint32_t t : types) {
			b = {};
			b.type = t;
			b.memory = V4L2_MEMORY_MMAP;
			b.m.planes = planes;
			b.length = VIDEO_MAX_PLANES;
			if (int r = io.ioctl(fd, VIDIOC_DQBUF, &b))
				die("DQBUF", r);
		}
		if (int r = io.ioctl(req, MEDIA_REQUEST_IOC_REINIT, nullptr))
			die("REQUEST_REINIT", r);
	};
	uint64_t n = 0;
	for (int i = 0; i < 100; i++)
		cycle(++n);	// warm-up
	auto t0 = Clock::now();
	for (int i = 0; i < frames; i++)
		cycle(++n);
	double secs = std::chrono::duration<double>(Clock::now() - t0).count();
	printf("decode cycles (S_EXT_CTRLS, QBUF x2, REQUEST_QUEUE, poll, DQBUF x2, REINIT), "
	       "%ux%u synthetic: %.0f cycles/s (%d cycles in %.3f s)\n",
	       width, height, frames / secs, frames, secs);
	if (!board->diagnostics().empty())
		printf("warning: %zu diagnostics recorded\n", board->diagnostics().size());
	io.close(req);
	io.close(media);
	io.close(fd);

	// 3. Open, OUTPUT format, REQBUFS(OUTPUT 1, CAPTURE 4), close: the control handler is
	// built and the plane memory allocated and freed each time.
	auto setUp = [&] {
		int v = io.open(nodes[0].videoPath.c_str(), O_RDWR);
		if (v < 0)
			die("open", v);
		struct v4l2_format sf = f;
		if (int r = io.ioctl(v, VIDIOC_S_FMT, &sf))
			die("S_FMT", r);
		for (uint32_t t : types) {
			struct v4l2_requestbuffers q {};
			q.type = t;
			q.memory = V4L2_MEMORY_MMAP;
			q.count = t == out ? 1 : 4;
			if (int r = io.ioctl(v, VIDIOC_REQBUFS, &q))
				die("REQBUFS", r);
		}
		if (int r = io.close(v))
			die("close", r);
	};
	for (int i = 0; i < 50; i++)
		setUp();	// warm-up
	int setUps = std::max(1, frames / 2);
	t0 = Clock::now();
	for (int i = 0; i < setUps; i++)
		setUp();
	secs = std::chrono::duration<double>(Clock::now() - t0).count();
	printf("open, S_FMT, REQBUFS(1 + 4), close, %ux%u: %.0f cycles/s (%d in %.3f s)\n", width,
	       height, setUps / secs, setUps, secs);
	return 0;
}
