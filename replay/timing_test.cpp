// SPDX-License-Identifier: MIT
// Timing-dependent results are synchronisation points (shared/spec/traces.md §7.2): a run on a
// slow threaded board (DQBUF EAGAIN and REINIT EBUSY while the job runs) replays on the
// deterministic board, where the job is already done, and a deterministic run replays on the
// slow board, where the replayer waits for what the trace saw ready. Neither diverges.
#include <v4l2emu/board.h>
#include <v4l2emu/trace.h>

#include <gtest/gtest.h>

#include <linux/media.h>
#include <linux/videodev2.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <unistd.h>

#include <filesystem>

namespace v4l2emu {
namespace {

namespace fs = std::filesystem;

constexpr uint32_t kOut = V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE, kCap = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;

struct Results {
	int firstDqbuf, busyReinit, poll, dqbufCapture, dqbufOutput, reinit;
};

/// One picture on rkvdec, asking for it before it can be done; returns what each asked.
Results picture(DeviceIo &io)
{
	Results r {};
	int media = io.open("/dev/media0", O_RDWR);
	int fd = io.open("/dev/video0", O_RDWR | O_NONBLOCK);
	struct v4l2_format f {};
	f.type = kOut;
	f.fmt.pix_mp.pixelformat = V4L2_PIX_FMT_H264_SLICE;
	f.fmt.pix_mp.width = 320;
	f.fmt.pix_mp.height = 240;
	f.fmt.pix_mp.num_planes = 1;
	EXPECT_EQ(io.ioctl(fd, VIDIOC_S_FMT, &f), 0);
	for (uint32_t type : {kOut, kCap}) {
		struct v4l2_requestbuffers rb {};
		rb.type = type;
		rb.memory = V4L2_MEMORY_MMAP;
		rb.count = 1;
		EXPECT_EQ(io.ioctl(fd, VIDIOC_REQBUFS, &rb), 0);
		int t = static_cast<int>(type);
		EXPECT_EQ(io.ioctl(fd, VIDIOC_STREAMON, &t), 0);
	}
	auto queue = [&](uint32_t type, int request) {
		struct v4l2_plane planes[1] = {};
		struct v4l2_buffer b {};
		b.type = type;
		b.memory = V4L2_MEMORY_MMAP;
		b.m.planes = planes;
		b.length = 1;
		if (request >= 0) {
			b.flags = V4L2_BUF_FLAG_REQUEST_FD;
			b.request_fd = request;
			planes[0].bytesused = 100;
			b.timestamp.tv_usec = 7;
		}
		return io.ioctl(fd, VIDIOC_QBUF, &b);
	};
	auto dequeue = [&](uint32_t type) {
		struct v4l2_plane planes[1] = {};
		struct v4l2_buffer b {};
		b.type = type;
		b.memory = V4L2_MEMORY_MMAP;
		b.m.planes = planes;
		b.length = 1;
		return io.ioctl(fd, VIDIOC_DQBUF, &b);
	};
	EXPECT_EQ(queue(kCap, -1), 0);
	int req = -1;
	EXPECT_EQ(io.ioctl(media, MEDIA_IOC_REQUEST_ALLOC, &req), 0);
	EXPECT_EQ(queue(kOut, req), 0);
	EXPECT_EQ(io.ioctl(req, MEDIA_REQUEST_IOC_QUEUE, nullptr), 0);
	r.firstDqbuf = dequeue(kCap);
	r.busyReinit = io.ioctl(req, MEDIA_REQUEST_IOC_REINIT, nullptr);
	struct pollfd p {fd, POLLIN, 0};
	r.poll = io.poll(&p, 1, 600);
	r.dqbufCapture = dequeue(kCap);
	r.dqbufOutput = dequeue(kOut);
	r.reinit = io.ioctl(req, MEDIA_REQUEST_IOC_REINIT, nullptr);
	io.close(req);
	io.close(fd);
	io.close(media);
	return r;
}

std::string record(const fs::path &dir, BoardOptions options, Results *results)
{
	TraceWriterOptions w;
	w.path = (dir / "trace.jsonl").string();
	w.board = "fresnel";
	std::string error;
	auto sink = makeTraceWriter(w, &error);
	EXPECT_NE(sink, nullptr) << error;
	auto board = Board::create("fresnel", options);
	board->setTraceSink(sink);
	*results = picture(board->io());
	board.reset();
	return w.path;
}

fs::path tempDir(const char *name)
{
	fs::path p = fs::temp_directory_path() / ("v4l2emu-timing-" + std::to_string(getpid())) / name;
	fs::remove_all(p);
	fs::create_directories(p);
	return p;
}

BoardOptions slowBoard()
{
	BoardOptions o;
	o.scheduler = SchedulerMode::Threaded;
	o.decodeDelayUs = 300000;
	return o;
}

TEST(ReplayTiming, SlowBoardRunReplaysOnTheDeterministicBoard)
{
	Results r;
	std::string path = record(tempDir("slow"), slowBoard(), &r);
	ASSERT_EQ(r.firstDqbuf, -EAGAIN) << "the job was still running";
	ASSERT_EQ(r.busyReinit, -EBUSY);
	ASSERT_EQ(r.poll, 1);
	ASSERT_EQ(r.dqbufCapture, 0);
	ASSERT_EQ(r.reinit, 0);
	Trace t;
	ASSERT_EQ(readTraceFile(path, {}, &t), 0);
	ReplayReport report;
	EXPECT_EQ(replayTrace(t, {}, &report), 0) << report.text(t);
	// The buffer the board had not finished is kept for the trace's later DQBUF; the
	// REINIT that the board refused has nothing to wait for.
	EXPECT_GE(report.timingNotes.size(), 2u) << report.text(t);
	EXPECT_EQ(report.matched, report.replayed);
}

TEST(ReplayTiming, DeterministicRunReplaysOnTheSlowBoard)
{
	Results r;
	std::string path = record(tempDir("fast"), {}, &r);
	ASSERT_EQ(r.firstDqbuf, 0) << "deterministic: done inside QUEUE";
	ASSERT_EQ(r.busyReinit, 0);
	Trace t;
	ASSERT_EQ(readTraceFile(path, {}, &t), 0);
	ReplayOptions o;
	o.boardOptions = slowBoard();
	ReplayReport report;
	// DQBUF and REINIT wait for the job the trace saw done.
	EXPECT_EQ(replayTrace(t, o, &report), 0) << report.text(t);
	EXPECT_TRUE(report.divergences.empty());
}

} // namespace
} // namespace v4l2emu
