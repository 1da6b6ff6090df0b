// SPDX-License-Identifier: MIT
// Spec §2.1: VIDIOC_PREPARE_BUF, VIDIOC_QBUF and VIDIOC_DQBUF, one test per table row.
#include "emu_fixture.h"

#include <poll.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace v4l2emu::test {
namespace {

class QueueIoctl : public EmuTest {
protected:
	int openWithBuffers(const std::string &device, uint32_t fourcc, uint32_t nOut = 2,
			    uint32_t nCap = 2)
	{
		int fd = openVideo(device);
		EXPECT_GE(fd, 0);
		EXPECT_EQ(setFormat(fd, outType(fd), fourcc, 320, 240), 0);
		EXPECT_EQ(reqbufs(fd, outType(fd), nOut), static_cast<int>(nOut));
		EXPECT_EQ(reqbufs(fd, capType(fd), nCap), static_cast<int>(nCap));
		return fd;
	}
	int prepare(int fd, uint32_t type, uint32_t index, uint32_t flags = 0)
	{
		struct v4l2_plane planes[VIDEO_MAX_PLANES] = {};
		struct v4l2_buffer b {};
		b.type = type;
		b.index = index;
		b.memory = V4L2_MEMORY_MMAP;
		b.flags = flags;
		if (V4L2_TYPE_IS_MULTIPLANAR(type)) {
			b.m.planes = planes;
			b.length = 1;
		}
		return xioctl(fd, VIDIOC_PREPARE_BUF, &b);
	}
};

using PrepareBuf = QueueIoctl;
using Qbuf = QueueIoctl;
using Dqbuf = QueueIoctl;

// ---- PREPARE_BUF ---------------------------------------------------------------------------

TEST_F(PrepareBuf, Row1_RequestFdFlag_Einval)
{
	int fd = openWithBuffers("rkvdec", V4L2_PIX_FMT_H264_SLICE);
	EXPECT_EQ(prepare(fd, outType(fd), 0, V4L2_BUF_FLAG_REQUEST_FD), -EINVAL);
}

TEST_F(PrepareBuf, Row2_BadIndexTypeMemoryOrPlanes_Einval)
{
	int fd = openWithBuffers("rkvdec", V4L2_PIX_FMT_H264_SLICE);
	EXPECT_EQ(prepare(fd, outType(fd), 7), -EINVAL);
	EXPECT_EQ(prepare(fd, V4L2_BUF_TYPE_VIDEO_OUTPUT, 0), -EINVAL);
	struct v4l2_buffer b {};
	b.type = outType(fd);
	b.memory = V4L2_MEMORY_MMAP;
	b.m.planes = nullptr;
	b.length = 1;
	EXPECT_EQ(xioctl(fd, VIDIOC_PREPARE_BUF, &b), -EINVAL);
	b.memory = V4L2_MEMORY_DMABUF;
	struct v4l2_plane planes[VIDEO_MAX_PLANES] = {};
	b.m.planes = planes;
	EXPECT_EQ(xioctl(fd, VIDIOC_PREPARE_BUF, &b), -EINVAL);
}

TEST_F(PrepareBuf, Row3_NotDequeuedOrAlreadyPrepared_Einval)
{
	int fd = openWithBuffers("rkvdec", V4L2_PIX_FMT_H264_SLICE);
	ASSERT_EQ(prepare(fd, capType(fd), 0), 0);
	EXPECT_EQ(prepare(fd, capType(fd), 0), -EINVAL);
	ASSERT_EQ(qbuf(fd, capType(fd), 1), 0);
	EXPECT_EQ(prepare(fd, capType(fd), 1), -EINVAL);
	struct v4l2_plane planes[VIDEO_MAX_PLANES] = {};
	struct v4l2_buffer b {};
	ASSERT_EQ(querybuf(fd, capType(fd), 0, &b, planes), 0);
	EXPECT_TRUE(b.flags & V4L2_BUF_FLAG_PREPARED);
}

TEST_F(PrepareBuf, Row4_QueueErrorFlagIsNeverSetByTheseDrivers)
{
	// q->error is only set by vb2_queue_error(), which none of rkvdec, hantro, visl and
	// cedrus call: a hardware error marks buffers ERROR but the queue stays usable.
	Session s;
	std::string what;
	ASSERT_EQ(startSession(s, "hantro-vpu", V4L2_PIX_FMT_MPEG2_SLICE, 320, 240, 2, 2, &what), 0)
		<< what;
	FaultPlan plan;
	plan.decodes.push_back({"hantro-vpu", DecodeFaultKind::Error, 1});
	board().setFaults(plan);
	CodecControls c = CodecControls::mpeg2(320, 240);
	struct v4l2_buffer cap {};
	ASSERT_EQ(decodeOne(s, c, 0, 0, 1000, &cap), 0);
	EXPECT_TRUE(cap.flags & V4L2_BUF_FLAG_ERROR);
	EXPECT_EQ(prepare(s.fd, s.capType, 1), 0) << "no EIO: the queue has no error flag";
	endSession(s);
}

TEST_F(PrepareBuf, Row5_PlaneSmallerThanCurrentFormat_Einval)
{
	// hantro 6.12 lets S_FMT(OUTPUT) grow the size while buffers exist (same codec).
	int fd = openWithBuffers("hantro-vpu", V4L2_PIX_FMT_MPEG2_SLICE);
	ASSERT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_MPEG2_SLICE, 640, 480), 0);
	EXPECT_EQ(prepare(fd, outType(fd), 0), -EINVAL);
	struct v4l2_plane planes[VIDEO_MAX_PLANES] = {};
	struct v4l2_buffer b {};
	ASSERT_EQ(querybuf(fd, outType(fd), 0, &b, planes), 0);
	EXPECT_FALSE(b.flags & V4L2_BUF_FLAG_PREPARED);
}

TEST_F(PrepareBuf, Row6_AllowedOnRequestOnlyQueue)
{
	int fd = openWithBuffers("rkvdec", V4L2_PIX_FMT_H264_SLICE);
	EXPECT_EQ(prepare(fd, outType(fd), 0), 0);
	EXPECT_EQ(qbuf(fd, outType(fd), 0), -EBADR) << "while QBUF still requires a request";
}

// ---- QBUF ----------------------------------------------------------------------------------

TEST_F(Qbuf, Row1_TypeInvalidForNode_Einval)
{
	int fd = openWithBuffers("rkvdec", V4L2_PIX_FMT_H264_SLICE);
	EXPECT_EQ(qbuf(fd, V4L2_BUF_TYPE_VBI_OUTPUT, 0), -EINVAL);
	useBoard("cedrus");
	int c = openVideo("cedrus");
	EXPECT_EQ(qbuf(c, V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE, 0), -EINVAL);
}

TEST_F(Qbuf, Row2_CaptureWithRequestFd_Eperm)
{
	int fd = openWithBuffers("rkvdec", V4L2_PIX_FMT_H264_SLICE);
	int media = openMedia("rkvdec");
	int req = allocRequest(media);
	EXPECT_EQ(qbuf(fd, capType(fd), 0, req), -EPERM);
	// Even with a bad index: EPERM is decided first (M2M:v4l2_m2m_qbuf).
	EXPECT_EQ(qbuf(fd, capType(fd), 99, req), -EPERM);
}

TEST_F(Qbuf, Row3_IndexDoesNotExist_Einval)
{
	int fd = openWithBuffers("rkvdec", V4L2_PIX_FMT_H264_SLICE);
	EXPECT_EQ(qbuf(fd, capType(fd), 2), -EINVAL);
	EXPECT_EQ(qbuf(fd, capType(fd), 1000), -EINVAL);
}

TEST_F(Qbuf, Row4_TypeMemoryOrPlanesMismatch_Einval)
{
	int fd = openWithBuffers("rkvdec", V4L2_PIX_FMT_H264_SLICE);
	EXPECT_EQ(qbuf(fd, V4L2_BUF_TYPE_VIDEO_CAPTURE, 0), -EINVAL);
	struct v4l2_plane planes[VIDEO_MAX_PLANES] = {};
	struct v4l2_buffer b {};
	b.type = capType(fd);
	b.memory = V4L2_MEMORY_DMABUF;
	b.m.planes = planes;
	b.length = 1;
	EXPECT_EQ(xioctl(fd, VIDIOC_QBUF, &b), -EINVAL);
	b.memory = V4L2_MEMORY_MMAP;
	b.length = 0;
	EXPECT_EQ(xioctl(fd, VIDIOC_QBUF, &b), -EINVAL);
	b.length = 1;
	b.m.planes = nullptr;
	EXPECT_EQ(xioctl(fd, VIDIOC_QBUF, &b), -EINVAL);
}

TEST_F(Qbuf, Row5_RequestFdOnBufferNotDequeued_Einval)
{
	int fd = openWithBuffers("rkvdec", V4L2_PIX_FMT_H264_SLICE);
	int media = openMedia("rkvdec");
	int r1 = allocRequest(media), r2 = allocRequest(media);
	ASSERT_EQ(qbuf(fd, outType(fd), 0, r1, 1000, 16), 0);
	EXPECT_EQ(qbuf(fd, outType(fd), 0, r2, 1000, 16), -EINVAL);
}

TEST_F(Qbuf, Row6_OutputLengthChecks_EinvalAndZeroBytesusedMeansFull)
{
	useBoard("visl");
	int fd = openWithBuffers("visl", V4L2_PIX_FMT_H264_SLICE);
	struct v4l2_plane planes[VIDEO_MAX_PLANES] = {};
	struct v4l2_buffer q {};
	ASSERT_EQ(querybuf(fd, outType(fd), 0, &q, planes), 0);
	uint32_t length = planes[0].length;
	EXPECT_EQ(qbuf(fd, outType(fd), 0, -1, 0, length + 1), -EINVAL);
	// data_offset >= bytesused.
	struct v4l2_plane p2[VIDEO_MAX_PLANES] = {};
	struct v4l2_buffer b {};
	b.type = outType(fd);
	b.memory = V4L2_MEMORY_MMAP;
	b.index = 0;
	b.m.planes = p2;
	b.length = 1;
	p2[0].bytesused = 100;
	p2[0].data_offset = 100;
	EXPECT_EQ(xioctl(fd, VIDIOC_QBUF, &b), -EINVAL);
	p2[0].data_offset = 0;
	b.field = V4L2_FIELD_ALTERNATE;
	EXPECT_EQ(xioctl(fd, VIDIOC_QBUF, &b), -EINVAL);
	// bytesused 0 becomes the plane length.
	struct v4l2_buffer out {};
	ASSERT_EQ(qbuf(fd, outType(fd), 1, -1, 0, 0, 0, &out), 0);
	ASSERT_EQ(querybuf(fd, outType(fd), 1, &q, planes), 0);
	EXPECT_EQ(planes[0].bytesused, planes[0].length);
}

TEST_F(Qbuf, Row7_PlainQbufOnRequestOnlyQueue_Ebadr)
{
	int fd = openWithBuffers("rkvdec", V4L2_PIX_FMT_H264_SLICE);
	EXPECT_EQ(qbuf(fd, outType(fd), 0, -1, 0, 16), -EBADR);
	useBoard("hantro");
	int h = openWithBuffers("hantro-vpu", V4L2_PIX_FMT_MPEG2_SLICE);
	EXPECT_EQ(qbuf(h, outType(h), 0, -1, 0, 16), -EBADR);
}

TEST_F(Qbuf, Row8_PlainAfterRequestsOnVisl_Ebusy)
{
	useBoard("visl");
	int fd = openWithBuffers("visl", V4L2_PIX_FMT_H264_SLICE);
	int media = openMedia("visl");
	int req = allocRequest(media);
	ASSERT_EQ(qbuf(fd, outType(fd), 0, req, 1000, 16), 0);
	EXPECT_EQ(qbuf(fd, outType(fd), 1, -1, 1000, 16), -EBUSY);
	// The mode resets only with a cancel.
	ASSERT_EQ(streamoff(fd, outType(fd)), 0);
	EXPECT_EQ(qbuf(fd, outType(fd), 1, -1, 1000, 16), 0);
}

TEST_F(Qbuf, Row9_RequestOnQueueWithoutRequestSupport_PreemptedByEperm)
{
	// Only CAPTURE queues lack request support here, and M2M refuses REQUEST_FD on them
	// first (row 2), so EBADR cannot be reached through an m2m decoder.
	int fd = openWithBuffers("rkvdec", V4L2_PIX_FMT_H264_SLICE);
	int media = openMedia("rkvdec");
	int req = allocRequest(media);
	struct v4l2_requestbuffers rb {};
	ASSERT_EQ(reqbufs(fd, capType(fd), 2, V4L2_MEMORY_MMAP, &rb), 2);
	EXPECT_FALSE(rb.capabilities & V4L2_BUF_CAP_SUPPORTS_REQUESTS);
	EXPECT_EQ(qbuf(fd, capType(fd), 0, req), -EPERM);
}

TEST_F(Qbuf, Row10_RequestAfterPlainQbufOnVisl_Ebusy)
{
	useBoard("visl");
	int fd = openWithBuffers("visl", V4L2_PIX_FMT_H264_SLICE);
	int media = openMedia("visl");
	int req = allocRequest(media);
	ASSERT_EQ(qbuf(fd, outType(fd), 0, -1, 1000, 16), 0);
	EXPECT_EQ(qbuf(fd, outType(fd), 1, req, 1000, 16), -EBUSY);
}

TEST_F(Qbuf, Row11_NotARequestOrForeignMediaDevice_Einval)
{
	int fd = openWithBuffers("rkvdec", V4L2_PIX_FMT_H264_SLICE);
	int hantroMedia = openMedia("hantro-vpu");
	int foreign = allocRequest(hantroMedia);
	EXPECT_EQ(qbuf(fd, outType(fd), 0, foreign, 1000, 16), -EINVAL);
	EXPECT_EQ(qbuf(fd, outType(fd), 0, fd, 1000, 16), -EINVAL) << "a video fd is no request";
	EXPECT_EQ(qbuf(fd, outType(fd), 0, 9999, 1000, 16), -EINVAL);
}

TEST_F(Qbuf, Row12_RequestNotIdle_Ebusy)
{
	int fd = openWithBuffers("rkvdec", V4L2_PIX_FMT_H264_SLICE);
	int media = openMedia("rkvdec");
	int req = allocRequest(media);
	ASSERT_EQ(qbuf(fd, outType(fd), 0, req, 1000, 16), 0);
	ASSERT_EQ(queueRequest(req), 0);
	EXPECT_EQ(qbuf(fd, outType(fd), 1, req, 2000, 16), -EBUSY);
}

TEST_F(Qbuf, Row13_QueueErrorFlagIsNeverSetByTheseDrivers)
{
	Session s;
	std::string what;
	ASSERT_EQ(startSession(s, "rkvdec", V4L2_PIX_FMT_H264_SLICE, 320, 240, 2, 2, &what), 0) << what;
	FaultPlan plan;
	plan.decodes.push_back({"rkvdec", DecodeFaultKind::Error, 1});
	board().setFaults(plan);
	CodecControls c = CodecControls::h264(320, 240);
	struct v4l2_buffer cap {};
	ASSERT_EQ(decodeOne(s, c, 0, 0, 1000, &cap), 0);
	EXPECT_TRUE(cap.flags & V4L2_BUF_FLAG_ERROR);
	EXPECT_EQ(decodeOne(s, c, 1, 1, 2000, &cap), 0) << "QBUF after a hardware error: no EIO";
	EXPECT_FALSE(cap.flags & V4L2_BUF_FLAG_ERROR);
	endSession(s);
}

TEST_F(Qbuf, Row14_14a_RequestBeingCompleted_Ebusy)
{
	// lock_for_update fails for any state but IDLE/UPDATING: a completed request.
	Session s;
	std::string what;
	ASSERT_EQ(startSession(s, "rkvdec", V4L2_PIX_FMT_H264_SLICE, 320, 240, 2, 2, &what), 0) << what;
	CodecControls c = CodecControls::h264(320, 240);
	ASSERT_EQ(decodeOne(s, c, 0, 0, 1000), 0);
	EXPECT_EQ(qbuf(s.fd, s.outType, 1, s.requests[0], 2000, 16), -EBUSY) << "COMPLETE, not reinit";
	endSession(s);
}

TEST_F(Qbuf, Row15_14b_RequestPathBindsOnly)
{
	int fd = openWithBuffers("rkvdec", V4L2_PIX_FMT_H264_SLICE);
	int media = openMedia("rkvdec");
	int req = allocRequest(media);
	ASSERT_EQ(streamon(fd, outType(fd)), 0);
	ASSERT_EQ(streamon(fd, capType(fd)), 0);
	ASSERT_EQ(qbuf(fd, capType(fd), 0), 0);
	struct v4l2_buffer out {};
	ASSERT_EQ(qbuf(fd, outType(fd), 0, req, 123456789000ull, 16, 0, &out), 0);
	EXPECT_TRUE(out.flags & V4L2_BUF_FLAG_IN_REQUEST);
	EXPECT_TRUE(out.flags & V4L2_BUF_FLAG_REQUEST_FD);
	EXPECT_EQ(out.request_fd, req);
	EXPECT_EQ(board().stats().devices[0].jobs, 0u) << "nothing reaches the driver before QUEUE";
	struct v4l2_plane planes[VIDEO_MAX_PLANES] = {};
	struct v4l2_buffer q {};
	ASSERT_EQ(querybuf(fd, outType(fd), 0, &q, planes), 0);
	EXPECT_TRUE(q.flags & V4L2_BUF_FLAG_IN_REQUEST);
	EXPECT_EQ(q.timestamp.tv_sec, 123);
	EXPECT_EQ(q.timestamp.tv_usec, 456789) << "the timestamp is copied at QBUF";
}

TEST_F(Qbuf, Row16_15_PlainQbufOfQueuedBuffer_Einval)
{
	int fd = openWithBuffers("rkvdec", V4L2_PIX_FMT_H264_SLICE);
	ASSERT_EQ(qbuf(fd, capType(fd), 0), 0);
	EXPECT_EQ(qbuf(fd, capType(fd), 0), -EINVAL);
}

TEST_F(Qbuf, Row17_16_PrepareFailsLeavesBufferUnchanged)
{
	int fd = openWithBuffers("hantro-vpu", V4L2_PIX_FMT_MPEG2_SLICE);
	// CAPTURE grows with the OUTPUT size on hantro: the existing buffer is now too small.
	ASSERT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_MPEG2_SLICE, 640, 480), 0);
	EXPECT_EQ(qbuf(fd, capType(fd), 0), -EINVAL);
	struct v4l2_plane planes[VIDEO_MAX_PLANES] = {};
	struct v4l2_buffer q {};
	ASSERT_EQ(querybuf(fd, capType(fd), 0, &q, planes), 0);
	EXPECT_FALSE(q.flags & (V4L2_BUF_FLAG_QUEUED | V4L2_BUF_FLAG_PREPARED));
	// DMABUF: an fd that is no dma-buf.
	int dfd = openVideo("rkvdec");
	ASSERT_EQ(setFormat(dfd, outType(dfd), V4L2_PIX_FMT_H264_SLICE, 320, 240), 0);
	ASSERT_EQ(reqbufs(dfd, capType(dfd), 1, V4L2_MEMORY_DMABUF), 1);
	struct v4l2_plane dp[VIDEO_MAX_PLANES] = {};
	struct v4l2_buffer b {};
	b.type = capType(dfd);
	b.memory = V4L2_MEMORY_DMABUF;
	b.m.planes = dp;
	b.length = 1;
	dp[0].m.fd = -1;
	EXPECT_EQ(xioctl(dfd, VIDIOC_QBUF, &b), -EINVAL);
}

TEST_F(Qbuf, Row18_17_PlainSuccessQueuesAndSchedules)
{
	useBoard("visl");
	int fd = openWithBuffers("visl", V4L2_PIX_FMT_H264_SLICE);
	ASSERT_EQ(streamon(fd, outType(fd)), 0);
	ASSERT_EQ(streamon(fd, capType(fd)), 0);
	CodecControls c = CodecControls::h264(320, 240);
	ASSERT_EQ(setControls(fd, c), 0);	// visl: plain QBUF uses current values
	struct v4l2_buffer out {};
	ASSERT_EQ(qbuf(fd, capType(fd), 0, -1, 0, 0, 0, &out), 0);
	EXPECT_TRUE(out.flags & V4L2_BUF_FLAG_QUEUED);
	ASSERT_EQ(qbuf(fd, outType(fd), 0, -1, 5000, 64), 0);
	EXPECT_EQ(board().stats().devices[0].jobs, 1u);
	struct v4l2_buffer cap {};
	EXPECT_EQ(dqbuf(fd, capType(fd), &cap), 0);
	EXPECT_EQ(cap.timestamp.tv_usec, 5);
}

// ---- DQBUF ---------------------------------------------------------------------------------

TEST_F(Dqbuf, Row1_TypeInvalidOrNotQueueType_Einval)
{
	int fd = openWithBuffers("rkvdec", V4L2_PIX_FMT_H264_SLICE);
	EXPECT_EQ(dqbuf(fd, V4L2_BUF_TYPE_VBI_CAPTURE), -EINVAL);
	EXPECT_EQ(dqbuf(fd, V4L2_BUF_TYPE_VIDEO_CAPTURE), -EINVAL);
}

TEST_F(Dqbuf, Row2_AnotherThreadBlocked_Ebusy)
{
	int fd = openWithBuffers("rkvdec", V4L2_PIX_FMT_H264_SLICE);
	ASSERT_EQ(streamon(fd, capType(fd)), 0);
	std::atomic<int> result{1};
	std::thread t([&] { result = dqbuf(fd, capType(fd)); });
	ASSERT_TRUE(waitForDqbufSleeper(fd, capType(fd)));
	int second = dqbuf(fd, capType(fd));
	EXPECT_EQ(second, -EBUSY);
	ASSERT_EQ(streamoff(fd, capType(fd)), 0);
	t.join();
}

TEST_F(Dqbuf, Row3_NotStreaming_Einval)
{
	int fd = openWithBuffers("rkvdec", V4L2_PIX_FMT_H264_SLICE);
	ASSERT_EQ(qbuf(fd, capType(fd), 0), 0);
	EXPECT_EQ(dqbuf(fd, capType(fd)), -EINVAL);
}

TEST_F(Dqbuf, Row4_QueueErrorFlagIsNeverSetByTheseDrivers)
{
	Session s;
	std::string what;
	ASSERT_EQ(startSession(s, "hantro-vpu", V4L2_PIX_FMT_VP8_FRAME, 320, 240, 2, 2, &what), 0) << what;
	FaultPlan plan;
	plan.decodes.push_back({"hantro-vpu", DecodeFaultKind::Error, 1});
	board().setFaults(plan);
	CodecControls c = CodecControls::vp8(320, 240);
	struct v4l2_buffer cap {};
	EXPECT_EQ(decodeOne(s, c, 0, 0, 1000, &cap), 0) << "DQBUF returns 0, not EIO";
	EXPECT_TRUE(cap.flags & V4L2_BUF_FLAG_ERROR);
	endSession(s);
}

TEST_F(Dqbuf, Row5_StatelessDecodersNeverSetLast)
{
	// EPIPE follows a dequeued FLAG_LAST buffer; stateless m2m drivers never mark one (only
	// the stateful drain does), so decoding and FLUSH keep DQBUF away from EPIPE.
	Session s;
	std::string what;
	ASSERT_EQ(startSession(s, "rkvdec", V4L2_PIX_FMT_H264_SLICE, 320, 240, 2, 2, &what), 0) << what;
	CodecControls c = CodecControls::h264(320, 240);
	struct v4l2_buffer cap {};
	ASSERT_EQ(decodeOne(s, c, 0, 0, 1000, &cap), 0);
	EXPECT_FALSE(cap.flags & V4L2_BUF_FLAG_LAST);
	struct v4l2_decoder_cmd dc {};
	dc.cmd = V4L2_DEC_CMD_FLUSH;
	ASSERT_EQ(xioctl(s.fd, VIDIOC_DECODER_CMD, &dc), 0);
	EXPECT_EQ(decodeOne(s, c, 1, 1, 2000, &cap), 0);
	endSession(s);
}

TEST_F(Dqbuf, Row6_NothingDoneNonblocking_Eagain)
{
	int fd = openVideo("rkvdec", O_RDWR | O_NONBLOCK);
	ASSERT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_H264_SLICE, 320, 240), 0);
	ASSERT_EQ(reqbufs(fd, capType(fd), 1), 1);
	ASSERT_EQ(streamon(fd, capType(fd)), 0);
	EXPECT_EQ(dqbuf(fd, capType(fd)), -EAGAIN);
}

TEST_F(Dqbuf, Row7_BlockingSleepsUntilDone)
{
	BoardOptions o;
	o.scheduler = SchedulerMode::Threaded;
	o.decodeDelayUs = 20000;
	useBoard("fresnel", o);
	Session s;
	std::string what;
	ASSERT_EQ(startSession(s, "rkvdec", V4L2_PIX_FMT_H264_SLICE, 320, 240, 1, 1, &what), 0) << what;
	CodecControls c = CodecControls::h264(320, 240);
	ASSERT_EQ(setControls(s.fd, c, s.requests[0]), 0);
	ASSERT_EQ(qbuf(s.fd, s.outType, 0, s.requests[0], 1000, 16), 0);
	ASSERT_EQ(qbuf(s.fd, s.capType, 0), 0);
	ASSERT_EQ(queueRequest(s.requests[0]), 0);
	auto t0 = std::chrono::steady_clock::now();
	EXPECT_EQ(dqbuf(s.fd, s.capType), 0);
	EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(10));
	endSession(s);
}

TEST_F(Dqbuf, Row8_PlanesArrayTooShort_EinvalBufferStaysDone)
{
	Session s;
	std::string what;
	ASSERT_EQ(startSession(s, "rkvdec", V4L2_PIX_FMT_H264_SLICE, 320, 240, 1, 1, &what), 0) << what;
	CodecControls c = CodecControls::h264(320, 240);
	ASSERT_EQ(setControls(s.fd, c, s.requests[0]), 0);
	ASSERT_EQ(qbuf(s.fd, s.outType, 0, s.requests[0], 1000, 16), 0);
	ASSERT_EQ(qbuf(s.fd, s.capType, 0), 0);
	ASSERT_EQ(queueRequest(s.requests[0]), 0);
	struct v4l2_buffer b {};
	b.type = s.capType;
	b.memory = V4L2_MEMORY_MMAP;
	b.m.planes = nullptr;
	b.length = 1;
	EXPECT_EQ(xioctl(s.fd, VIDIOC_DQBUF, &b), -EINVAL);
	EXPECT_EQ(dqbuf(s.fd, s.capType), 0) << "the buffer stayed on the done list";
	endSession(s);
}

TEST_F(Dqbuf, Row9_SuccessReportsRequestFdAndClearsDone)
{
	Session s;
	std::string what;
	ASSERT_EQ(startSession(s, "rkvdec", V4L2_PIX_FMT_H264_SLICE, 320, 240, 1, 1, &what), 0) << what;
	CodecControls c = CodecControls::h264(320, 240);
	ASSERT_EQ(setControls(s.fd, c, s.requests[0]), 0);
	ASSERT_EQ(qbuf(s.fd, s.outType, 0, s.requests[0], 1000, 16), 0);
	ASSERT_EQ(qbuf(s.fd, s.capType, 0), 0);
	ASSERT_EQ(queueRequest(s.requests[0]), 0);
	struct v4l2_buffer out {};
	ASSERT_EQ(dqbuf(s.fd, s.outType, &out), 0);
	EXPECT_TRUE(out.flags & V4L2_BUF_FLAG_REQUEST_FD);
	EXPECT_EQ(out.request_fd, s.requests[0]);
	EXPECT_FALSE(out.flags & V4L2_BUF_FLAG_DONE);
	struct v4l2_plane planes[VIDEO_MAX_PLANES] = {};
	struct v4l2_buffer q {};
	ASSERT_EQ(querybuf(s.fd, s.outType, 0, &q, planes), 0);
	EXPECT_FALSE(q.flags & (V4L2_BUF_FLAG_REQUEST_FD | V4L2_BUF_FLAG_QUEUED | V4L2_BUF_FLAG_DONE));
	// Failed decodes still dequeue with 0 and carry ERROR.
	FaultPlan plan;
	plan.decodes.push_back({"rkvdec", DecodeFaultKind::Error, 1});
	board().setFaults(plan);
	struct v4l2_buffer cap {};
	ASSERT_EQ(dqbuf(s.fd, s.capType, &cap), 0);
	ASSERT_EQ(decodeOne(s, c, 0, 0, 2000, &cap), 0);
	EXPECT_TRUE(cap.flags & V4L2_BUF_FLAG_ERROR);
	endSession(s);
}

} // namespace
} // namespace v4l2emu::test
