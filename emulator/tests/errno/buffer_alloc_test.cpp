// SPDX-License-Identifier: MIT
// Spec §2.1: VIDIOC_REQBUFS, VIDIOC_CREATE_BUFS, VIDIOC_STREAMON and VIDIOC_REMOVE_BUFS, one
// test per table row (Suite.RowN_...), in the kernel's check order.
#include "emu_fixture.h"

#include <poll.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace v4l2emu::test {
namespace {

class BufferIoctl : public EmuTest {
protected:
	/// An open of device with its OUTPUT format set (fourcc at 320x240).
	int openWithFormat(const std::string &device, uint32_t fourcc)
	{
		int fd = openVideo(device);
		EXPECT_GE(fd, 0);
		EXPECT_EQ(setFormat(fd, outType(fd), fourcc, 320, 240), 0);
		return fd;
	}
};

using Reqbufs = BufferIoctl;
using CreateBufs = BufferIoctl;
using Streamon = BufferIoctl;
using RemoveBufs = BufferIoctl;

// ---- REQBUFS ----------------------------------------------------------------------------

TEST_F(Reqbufs, Row1_TypeNotValidForNode_Einval)
{
	useBoard("cedrus");
	int fd = openVideo("cedrus");
	ASSERT_GE(fd, 0);
	// cedrus is single-planar: MPLANE types fail check_fmt.
	EXPECT_EQ(reqbufs(fd, V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE, 2), -EINVAL);
	EXPECT_EQ(reqbufs(fd, V4L2_BUF_TYPE_VBI_CAPTURE, 2), -EINVAL);
}

TEST_F(Reqbufs, Row2_BadMemoryOrTypeMismatch_EinvalStructUnchanged)
{
	int fd = openWithFormat("rkvdec", V4L2_PIX_FMT_H264_SLICE);
	struct v4l2_requestbuffers rb {};
	// USERPTR is not in io_modes. vb2 fills in the capabilities before failing, but the
	// failed ioctl's struct is not copied back (IOC:video_usercopy, no ALWAYS_COPY).
	EXPECT_EQ(reqbufs(fd, outType(fd), 2, V4L2_MEMORY_USERPTR, &rb), -EINVAL);
	EXPECT_EQ(rb.capabilities, 0u);
	EXPECT_EQ(rb.count, 2u);
	// Single-planar type on an MPLANE driver: passes check_fmt, then type != queue type.
	EXPECT_EQ(reqbufs(fd, V4L2_BUF_TYPE_VIDEO_OUTPUT, 2, V4L2_MEMORY_MMAP, &rb), -EINVAL);
	EXPECT_EQ(reqbufs(fd, outType(fd), 2, 77), -EINVAL);
	EXPECT_EQ(board().stats().devices[0].liveBuffers, 0u);
	// The capabilities, from a call that succeeds.
	ASSERT_EQ(reqbufs(fd, outType(fd), 0, V4L2_MEMORY_MMAP, &rb), 0);
	EXPECT_TRUE(rb.capabilities & V4L2_BUF_CAP_SUPPORTS_MMAP);
	EXPECT_TRUE(rb.capabilities & V4L2_BUF_CAP_SUPPORTS_DMABUF);
	EXPECT_TRUE(rb.capabilities & V4L2_BUF_CAP_SUPPORTS_ORPHANED_BUFS);
	EXPECT_TRUE(rb.capabilities & V4L2_BUF_CAP_SUPPORTS_REQUESTS);
	EXPECT_FALSE(rb.capabilities & V4L2_BUF_CAP_SUPPORTS_USERPTR);
}

TEST_F(Reqbufs, Row3_QueueStreaming_EbusyEvenForCountZero)
{
	int fd = openWithFormat("rkvdec", V4L2_PIX_FMT_H264_SLICE);
	ASSERT_EQ(reqbufs(fd, capType(fd), 2), 2);
	ASSERT_EQ(streamon(fd, capType(fd)), 0);
	EXPECT_EQ(reqbufs(fd, capType(fd), 0), -EBUSY);
	EXPECT_EQ(reqbufs(fd, capType(fd), 4), -EBUSY);
	EXPECT_EQ(board().stats().devices[0].liveBuffers, 2u);
}

TEST_F(Reqbufs, Row4_AnotherThreadBlockedInDqbuf_Ebusy)
{
	// REQBUFS(count > 0) while another thread sleeps in DQBUF on the queue.
	int fd = openWithFormat("rkvdec", V4L2_PIX_FMT_H264_SLICE);
	ASSERT_EQ(reqbufs(fd, capType(fd), 2), 2);
	ASSERT_EQ(streamon(fd, capType(fd)), 0);
	std::atomic<int> result{1};
	std::thread t([&] { result = dqbuf(fd, capType(fd)); });
	// A second DQBUF sees the sleeper (EBUSY) once it is blocked.
	ASSERT_TRUE(waitForDqbufSleeper(fd, capType(fd)));
	int second = dqbuf(fd, capType(fd));
	ASSERT_EQ(second, -EBUSY);
	// The queue is streaming, so REQBUFS would be EBUSY anyway (row 3): stop streaming
	// wakes the sleeper; the row is exercised through CREATE_BUFS row 6 on a fresh queue.
	ASSERT_EQ(streamoff(fd, capType(fd)), 0);
	t.join();
	EXPECT_EQ(result.load(), -EINVAL) << "woken by STREAMOFF: the queue no longer streams";
}

TEST_F(Reqbufs, Row5_FreeingOrphansMappedBuffersAndClearsBusy)
{
	int fd = openWithFormat("rkvdec", V4L2_PIX_FMT_H264_SLICE);
	ASSERT_EQ(reqbufs(fd, capType(fd), 2), 2);
	size_t len = 0;
	void *p = mapBuffer(fd, capType(fd), 0, 0, &len, PROT_READ);
	ASSERT_NE(p, nullptr);
	// Busy CAPTURE blocks S_FMT(OUTPUT) on rkvdec; REQBUFS(0) clears it.
	EXPECT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_VP9_FRAME, 320, 240), -EBUSY);
	ASSERT_EQ(reqbufs(fd, capType(fd), 0), 0);
	EXPECT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_VP9_FRAME, 320, 240), 0);
	EXPECT_EQ(board().stats().liveMemory, 1u);
	EXPECT_EQ(unmap(p, len), 0);
	EXPECT_EQ(board().stats().liveMemory, 0u);
}

TEST_F(Reqbufs, Row5_ReallocationCancelsQueuedAndUnbindsInRequest)
{
	useBoard("visl");
	int fd = openWithFormat("visl", V4L2_PIX_FMT_H264_SLICE);
	int media = openMedia("visl");
	ASSERT_EQ(reqbufs(fd, outType(fd), 2), 2);
	int req = allocRequest(media);
	ASSERT_GE(req, 0);
	ASSERT_EQ(qbuf(fd, outType(fd), 0, req, 1000, 16), 0);
	// A new REQBUFS frees (cancels) first: the IN_REQUEST buffer leaves the request.
	ASSERT_EQ(reqbufs(fd, outType(fd), 3), 3);
	EXPECT_EQ(queueRequest(req), -ENOENT) << "the request lost its only buffer";
}

TEST_F(Reqbufs, Row6_CountClampedToMaxNumBuffers)
{
	int fd = openWithFormat("hantro-vpu", V4L2_PIX_FMT_MPEG2_SLICE);
	EXPECT_EQ(reqbufs(fd, outType(fd), 100), 32);
	EXPECT_EQ(reqbufs(fd, capType(fd), 100), 64) << "hantro decoder CAPTURE allows 64";
	int rk = openWithFormat("rkvdec", V4L2_PIX_FMT_H264_SLICE);
	EXPECT_EQ(reqbufs(rk, capType(rk), 100), 32);
}

TEST_F(Reqbufs, Row6_NothingAllocated_Enomem)
{
	int fd = openWithFormat("rkvdec", V4L2_PIX_FMT_H264_SLICE);
	FaultPlan plan;
	plan.memory.push_back({"rkvdec", 1, 0});
	board().setFaults(plan);
	EXPECT_EQ(reqbufs(fd, capType(fd), 4), -ENOMEM);
	board().setFaults({});
	// Not busy: S_FMT(OUTPUT) is still allowed.
	EXPECT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_VP9_FRAME, 320, 240), 0);
}

TEST_F(Reqbufs, Row6_ShortageAllocatesFewer)
{
	int fd = openWithFormat("rkvdec", V4L2_PIX_FMT_H264_SLICE);
	FaultPlan plan;
	plan.memory.push_back({"rkvdec", 3, 0});	// allocations 3.. fail
	board().setFaults(plan);
	EXPECT_EQ(reqbufs(fd, capType(fd), 4), 2);
}

// ---- CREATE_BUFS --------------------------------------------------------------------------

TEST_F(CreateBufs, Row1_FormatTypeInvalid_Einval)
{
	int fd = openWithFormat("rkvdec", V4L2_PIX_FMT_H264_SLICE);
	struct v4l2_create_buffers cb {};
	cb.count = 1;
	cb.memory = V4L2_MEMORY_MMAP;
	cb.format.type = V4L2_BUF_TYPE_VBI_CAPTURE;
	EXPECT_EQ(xioctl(fd, VIDIOC_CREATE_BUFS, &cb), -EINVAL);
}

TEST_F(CreateBufs, Row2_MemoryOrTypeChecks_EinvalStructUnchanged)
{
	int fd = openWithFormat("rkvdec", V4L2_PIX_FMT_H264_SLICE);
	ASSERT_EQ(reqbufs(fd, capType(fd), 3), 3);
	struct v4l2_create_buffers cb {};
	cb.count = 1;
	cb.memory = V4L2_MEMORY_USERPTR;
	cb.index = 99;
	ASSERT_EQ(getFormat(fd, capType(fd), &cb.format), 0);
	EXPECT_EQ(xioctl(fd, VIDIOC_CREATE_BUFS, &cb), -EINVAL);
	EXPECT_EQ(cb.index, 99u) << "vb2 filled index and capabilities, but nothing is copied back";
	EXPECT_EQ(cb.capabilities, 0u);
	// count == 0 is the query that does return them.
	cb.memory = V4L2_MEMORY_MMAP;
	cb.count = 0;
	ASSERT_EQ(xioctl(fd, VIDIOC_CREATE_BUFS, &cb), 0);
	EXPECT_EQ(cb.index, 3u);
	EXPECT_EQ(cb.max_num_buffers, 32u);
}

TEST_F(CreateBufs, Row3_CountZeroIsAQuery)
{
	int fd = openWithFormat("rkvdec", V4L2_PIX_FMT_H264_SLICE);
	struct v4l2_create_buffers cb {};
	EXPECT_EQ(createBufs(fd, capType(fd), 0, 4096, &cb), 0);
	EXPECT_EQ(cb.index, 0u);
	EXPECT_TRUE(cb.capabilities & V4L2_BUF_CAP_SUPPORTS_MAX_NUM_BUFFERS);
	EXPECT_EQ(board().stats().devices[0].liveBuffers, 0u);
}

TEST_F(CreateBufs, Row4_BadPlaneCountOrZeroSize_Einval)
{
	int fd = openWithFormat("rkvdec", V4L2_PIX_FMT_H264_SLICE);
	struct v4l2_create_buffers cb {};
	cb.count = 1;
	cb.memory = V4L2_MEMORY_MMAP;
	ASSERT_EQ(getFormat(fd, capType(fd), &cb.format), 0);
	cb.format.fmt.pix_mp.num_planes = 0;
	EXPECT_EQ(xioctl(fd, VIDIOC_CREATE_BUFS, &cb), -EINVAL);
	cb.format.fmt.pix_mp.num_planes = 9;
	EXPECT_EQ(xioctl(fd, VIDIOC_CREATE_BUFS, &cb), -EINVAL);
	EXPECT_EQ(createBufs(fd, capType(fd), 1, 0), -EINVAL);
}

TEST_F(CreateBufs, Row5_QueueFull_Enobufs)
{
	int fd = openWithFormat("rkvdec", V4L2_PIX_FMT_H264_SLICE);
	ASSERT_EQ(reqbufs(fd, capType(fd), 32), 32);
	struct v4l2_format f {};
	ASSERT_EQ(getFormat(fd, capType(fd), &f), 0);
	EXPECT_EQ(createBufs(fd, capType(fd), 1, f.fmt.pix_mp.plane_fmt[0].sizeimage), -ENOBUFS);
}

TEST_F(CreateBufs, Row6_FreshQueueWhileBlockedInDqbuf_Ebusy)
{
	// A DQBUF sleeper needs a streaming queue, which needs buffers; REMOVE_BUFS of every
	// buffer empties the queue while it keeps streaming (hantro supports REMOVE_BUFS).
	int fd = openWithFormat("hantro-vpu", V4L2_PIX_FMT_MPEG2_SLICE);
	uint32_t cap = capType(fd);
	ASSERT_EQ(reqbufs(fd, cap, 1), 1);
	ASSERT_EQ(streamon(fd, cap), 0);
	struct v4l2_remove_buffers rm {};
	rm.type = cap;
	rm.index = 0;
	rm.count = 1;
	ASSERT_EQ(xioctl(fd, VIDIOC_REMOVE_BUFS, &rm), 0);
	std::atomic<int> result{1};
	std::thread t([&] { result = dqbuf(fd, cap); });
	ASSERT_TRUE(waitForDqbufSleeper(fd, cap));
	int second = dqbuf(fd, cap);
	ASSERT_EQ(second, -EBUSY);
	struct v4l2_format f {};
	ASSERT_EQ(getFormat(fd, cap, &f), 0);
	EXPECT_EQ(createBufs(fd, cap, 1, f.fmt.pix_mp.plane_fmt[0].sizeimage), -EBUSY);
	ASSERT_EQ(streamoff(fd, cap), 0);
	t.join();
}

TEST_F(CreateBufs, Row7_DifferentMemoryType_Einval)
{
	int fd = openWithFormat("rkvdec", V4L2_PIX_FMT_H264_SLICE);
	ASSERT_EQ(reqbufs(fd, capType(fd), 1, V4L2_MEMORY_DMABUF), 1);
	struct v4l2_format f {};
	ASSERT_EQ(getFormat(fd, capType(fd), &f), 0);
	EXPECT_EQ(createBufs(fd, capType(fd), 1, f.fmt.pix_mp.plane_fmt[0].sizeimage), -EINVAL);
}

TEST_F(CreateBufs, Row8_SizeBelowCurrentFormat_Einval)
{
	int fd = openWithFormat("rkvdec", V4L2_PIX_FMT_H264_SLICE);
	struct v4l2_format f {};
	ASSERT_EQ(getFormat(fd, capType(fd), &f), 0);
	EXPECT_EQ(createBufs(fd, capType(fd), 1, f.fmt.pix_mp.plane_fmt[0].sizeimage - 1), -EINVAL);
	EXPECT_EQ(createBufs(fd, capType(fd), 1, f.fmt.pix_mp.plane_fmt[0].sizeimage + 4096), 1);
}

TEST_F(CreateBufs, Row9_AllowedWhileStreaming)
{
	int fd = openWithFormat("rkvdec", V4L2_PIX_FMT_H264_SLICE);
	ASSERT_EQ(reqbufs(fd, capType(fd), 2), 2);
	ASSERT_EQ(streamon(fd, capType(fd)), 0);
	struct v4l2_format f {};
	ASSERT_EQ(getFormat(fd, capType(fd), &f), 0);
	struct v4l2_create_buffers cb {};
	EXPECT_EQ(createBufs(fd, capType(fd), 3, f.fmt.pix_mp.plane_fmt[0].sizeimage, &cb), 3);
	EXPECT_EQ(cb.index, 2u);
	struct v4l2_plane planes[VIDEO_MAX_PLANES] = {};
	struct v4l2_buffer b {};
	EXPECT_EQ(querybuf(fd, capType(fd), 4, &b, planes), 0);
}

// ---- STREAMON ------------------------------------------------------------------------------

TEST_F(Streamon, Row1_TypeNotQueueType_Einval)
{
	int fd = openWithFormat("rkvdec", V4L2_PIX_FMT_H264_SLICE);
	ASSERT_EQ(reqbufs(fd, capType(fd), 1), 1);
	EXPECT_EQ(streamon(fd, V4L2_BUF_TYPE_VIDEO_CAPTURE), -EINVAL);
}

TEST_F(Streamon, Row2_AlreadyStreaming_ReturnsZero)
{
	int fd = openWithFormat("rkvdec", V4L2_PIX_FMT_H264_SLICE);
	ASSERT_EQ(reqbufs(fd, capType(fd), 1), 1);
	EXPECT_EQ(streamon(fd, capType(fd)), 0);
	EXPECT_EQ(streamon(fd, capType(fd)), 0);
}

TEST_F(Streamon, Row3_NoBuffers_Einval)
{
	int fd = openWithFormat("rkvdec", V4L2_PIX_FMT_H264_SLICE);
	EXPECT_EQ(streamon(fd, capType(fd)), -EINVAL);
}

TEST_F(Streamon, Row4_DriverStartStreamingErrorsComeBack)
{
	// 6.12 rkvdec H.264: an SPS too large for the OUTPUT format fails start_streaming
	// (RKH:rkvdec_h264_start).
	BoardOptions o;
	o.kernel = KernelVersion::V6_12;
	useBoard("rkvdec", o);
	int fd = openVideo("rkvdec");
	ASSERT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_H264_SLICE, 1920, 1088), 0);
	CodecControls big = CodecControls::h264(1920, 1088);
	ASSERT_EQ(setControls(fd, big), 0);
	ASSERT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_H264_SLICE, 320, 240), 0);
	ASSERT_EQ(reqbufs(fd, outType(fd), 1), 1);
	EXPECT_EQ(streamon(fd, outType(fd)), -EINVAL);
	struct v4l2_plane planes[VIDEO_MAX_PLANES] = {};
	struct v4l2_buffer b {};
	ASSERT_EQ(querybuf(fd, outType(fd), 0, &b, planes), 0);
	// Not streaming: DQBUF says so.
	EXPECT_EQ(dqbuf(fd, outType(fd)), -EINVAL);
}

TEST_F(Streamon, Row5_SuccessSchedulesAJob)
{
	Session s;
	std::string what;
	ASSERT_EQ(startSession(s, "hantro-vpu", V4L2_PIX_FMT_MPEG2_SLICE, 320, 240, 1, 1, &what), 0)
		<< what;
	// Queue both buffers with the queues stopped, then STREAMON runs the job.
	ASSERT_EQ(streamoff(s.fd, s.outType), 0);
	ASSERT_EQ(streamoff(s.fd, s.capType), 0);
	CodecControls c = CodecControls::mpeg2(320, 240);
	ASSERT_EQ(queuePicture(s, c, 0, 0, 1000), 0);
	ASSERT_EQ(streamon(s.fd, s.outType), 0);
	EXPECT_EQ(board().stats().devices[1].jobs, 0u) << "CAPTURE not streaming yet";
	ASSERT_EQ(streamon(s.fd, s.capType), 0);
	EXPECT_EQ(board().stats().devices[1].jobs, 1u);
	endSession(s);
}

// ---- REMOVE_BUFS ---------------------------------------------------------------------------

TEST_F(RemoveBufs, Row1_RkvdecAndCedrusHaveNoOp_Enotty)
{
	int fd = openWithFormat("rkvdec", V4L2_PIX_FMT_H264_SLICE);
	struct v4l2_remove_buffers rm {};
	rm.type = capType(fd);
	EXPECT_EQ(xioctl(fd, VIDIOC_REMOVE_BUFS, &rm), -ENOTTY);
	useBoard("cedrus");
	int c = openVideo("cedrus");
	rm.type = capType(c);
	EXPECT_EQ(xioctl(c, VIDIOC_REMOVE_BUFS, &rm), -ENOTTY);
	useBoard("visl");
	int v = openVideo("visl");
	rm.type = capType(v);
	EXPECT_EQ(xioctl(v, VIDIOC_REMOVE_BUFS, &rm), 0);
}

TEST_F(RemoveBufs, Row2_TypeNotQueue_Einval)
{
	int fd = openWithFormat("hantro-vpu", V4L2_PIX_FMT_MPEG2_SLICE);
	struct v4l2_remove_buffers rm {};
	rm.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	rm.count = 1;
	EXPECT_EQ(xioctl(fd, VIDIOC_REMOVE_BUFS, &rm), -EINVAL);
}

TEST_F(RemoveBufs, Row3_CountZero_ReturnsZero)
{
	int fd = openWithFormat("hantro-vpu", V4L2_PIX_FMT_MPEG2_SLICE);
	struct v4l2_remove_buffers rm {};
	rm.type = capType(fd);
	rm.index = 40;
	EXPECT_EQ(xioctl(fd, VIDIOC_REMOVE_BUFS, &rm), 0);
}

TEST_F(RemoveBufs, Row4_CountOrRangeTooLarge_Einval)
{
	int fd = openWithFormat("hantro-vpu", V4L2_PIX_FMT_MPEG2_SLICE);
	ASSERT_EQ(reqbufs(fd, capType(fd), 2), 2);
	struct v4l2_remove_buffers rm {};
	rm.type = capType(fd);
	rm.count = 3;
	EXPECT_EQ(xioctl(fd, VIDIOC_REMOVE_BUFS, &rm), -EINVAL);
	rm.count = 1;
	rm.index = 64;
	EXPECT_EQ(xioctl(fd, VIDIOC_REMOVE_BUFS, &rm), -EINVAL);
}

TEST_F(RemoveBufs, Row5_HoleInRange_Einval)
{
	int fd = openWithFormat("hantro-vpu", V4L2_PIX_FMT_MPEG2_SLICE);
	ASSERT_EQ(reqbufs(fd, capType(fd), 2), 2);
	struct v4l2_remove_buffers rm {};
	rm.type = capType(fd);
	rm.index = 1;
	rm.count = 2;
	EXPECT_EQ(xioctl(fd, VIDIOC_REMOVE_BUFS, &rm), -EINVAL);
	EXPECT_EQ(board().stats().devices[1].liveBuffers, 2u);
}

TEST_F(RemoveBufs, Row6_BufferNotDequeued_Ebusy)
{
	int fd = openWithFormat("hantro-vpu", V4L2_PIX_FMT_MPEG2_SLICE);
	ASSERT_EQ(reqbufs(fd, capType(fd), 2), 2);
	ASSERT_EQ(qbuf(fd, capType(fd), 1), 0);
	struct v4l2_remove_buffers rm {};
	rm.type = capType(fd);
	rm.index = 0;
	rm.count = 2;
	EXPECT_EQ(xioctl(fd, VIDIOC_REMOVE_BUFS, &rm), -EBUSY);
	EXPECT_EQ(board().stats().devices[1].liveBuffers, 2u);
}

TEST_F(RemoveBufs, Row7_SuccessFreesButQueueStaysBusy)
{
	int fd = openWithFormat("hantro-vpu", V4L2_PIX_FMT_MPEG2_SLICE);
	ASSERT_EQ(reqbufs(fd, outType(fd), 2), 2);
	struct v4l2_remove_buffers rm {};
	rm.type = outType(fd);
	rm.index = 0;
	rm.count = 2;
	ASSERT_EQ(xioctl(fd, VIDIOC_REMOVE_BUFS, &rm), 0);
	EXPECT_EQ(board().stats().devices[1].liveBuffers, 0u);
	// CREATE_BUFS fills the first free range again.
	struct v4l2_format f {};
	ASSERT_EQ(getFormat(fd, outType(fd), &f), 0);
	struct v4l2_create_buffers cb {};
	EXPECT_EQ(createBufs(fd, outType(fd), 1, f.fmt.pix_mp.plane_fmt[0].sizeimage, &cb), 1);
	EXPECT_EQ(cb.index, 0u);
}

} // namespace
} // namespace v4l2emu::test
