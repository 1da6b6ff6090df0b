// SPDX-License-Identifier: MIT
// Spec §4.1 buffer states, §5.1 the S_FMT EBUSY matrix and §6.3 the EXT_CTRLS errno rules (one
// test per table row), and the rules of §4.1 (timestamps, sequence numbers, flags), §4.2
// (HOLD_CAPTURE_BUF), §4.3 (mmap offsets) and the reference checks of the decode engine.
#include "emu_fixture.h"

#include <v4l2emu/formats.h>

#include <poll.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>

namespace v4l2emu::test {
namespace {

constexpr uint32_t kCaptureBase = 0x40000000;
constexpr uint32_t kStateFlags = V4L2_BUF_FLAG_QUEUED | V4L2_BUF_FLAG_DONE | V4L2_BUF_FLAG_ERROR |
				 V4L2_BUF_FLAG_PREPARED | V4L2_BUF_FLAG_IN_REQUEST |
				 V4L2_BUF_FLAG_REQUEST_FD | V4L2_BUF_FLAG_MAPPED;

struct BufInfo {
	int ret = 0;
	uint32_t index = 0;
	uint32_t flags = 0;
	uint32_t field = 0;
	uint32_t offset = 0;
	uint32_t length = 0;
	uint32_t sequence = 0;
	uint64_t timestampUs = 0;
	int32_t requestFd = 0;
	struct v4l2_timecode timecode {};
};

BufInfo toInfo(const struct v4l2_buffer &b, const struct v4l2_plane *planes)
{
	BufInfo i;
	i.index = b.index;
	i.flags = b.flags;
	i.field = b.field;
	i.sequence = b.sequence;
	i.timestampUs = static_cast<uint64_t>(b.timestamp.tv_sec) * 1000000u +
			static_cast<uint64_t>(b.timestamp.tv_usec);
	i.requestFd = b.request_fd;
	i.timecode = b.timecode;
	if (V4L2_TYPE_IS_MULTIPLANAR(b.type)) {
		i.offset = planes[0].m.mem_offset;
		i.length = planes[0].length;
	} else {
		i.offset = b.m.offset;
		i.length = b.length;
	}
	return i;
}

class StateTest : public EmuTest {
protected:
	BufInfo info(int fd, uint32_t type, uint32_t index)
	{
		struct v4l2_plane planes[VIDEO_MAX_PLANES] = {};
		struct v4l2_buffer b {};
		int ret = querybuf(fd, type, index, &b, planes);
		BufInfo i = toInfo(b, planes);
		i.ret = ret;
		return i;
	}
	uint32_t flagsOf(int fd, uint32_t type, uint32_t index) { return info(fd, type, index).flags; }
	BufInfo dq(int fd, uint32_t type)
	{
		struct v4l2_plane planes[VIDEO_MAX_PLANES] = {};
		struct v4l2_buffer b {};
		int ret = dqbuf(fd, type, &b, planes);
		BufInfo i = toInfo(b, planes);
		i.ret = ret;
		return i;
	}
	short pollFd(int fd, short events, int timeoutMs = 0)
	{
		struct pollfd p {fd, events, 0};
		int n = io().poll(&p, 1, timeoutMs);
		return n > 0 ? p.revents : static_cast<short>(n);
	}
	int closeTracked(int fd)
	{
		auto it = std::find(openFds_.begin(), openFds_.end(), fd);
		if (it != openFds_.end())
			openFds_.erase(it);
		return closeFd(fd);
	}
	int prepare(int fd, uint32_t type, uint32_t index)
	{
		struct v4l2_plane planes[VIDEO_MAX_PLANES] = {};
		struct v4l2_buffer b {};
		b.type = type;
		b.index = index;
		b.memory = V4L2_MEMORY_MMAP;
		if (V4L2_TYPE_IS_MULTIPLANAR(type)) {
			b.m.planes = planes;
			b.length = 1;
		}
		return xioctl(fd, VIDIOC_PREPARE_BUF, &b);
	}
	/// QBUF of an OUTPUT buffer with every field under control (flags, field, timecode).
	int qbufOut(int fd, uint32_t index, int req, uint64_t timestampUs, uint32_t flags, uint32_t field,
		    const struct v4l2_timecode *tc = nullptr, BufInfo *reply = nullptr)
	{
		struct v4l2_plane planes[VIDEO_MAX_PLANES] = {};
		struct v4l2_buffer b {};
		b.type = outType(fd);
		b.index = index;
		b.memory = V4L2_MEMORY_MMAP;
		b.flags = flags;
		b.field = field;
		b.timestamp.tv_sec = static_cast<time_t>(timestampUs / 1000000);
		b.timestamp.tv_usec = static_cast<suseconds_t>(timestampUs % 1000000);
		if (tc)
			b.timecode = *tc;
		if (req >= 0) {
			b.flags |= V4L2_BUF_FLAG_REQUEST_FD;
			b.request_fd = req;
		}
		if (V4L2_TYPE_IS_MULTIPLANAR(b.type)) {
			b.m.planes = planes;
			b.length = 1;
			planes[0].bytesused = 64;
		} else {
			b.bytesused = 64;
		}
		int ret = xioctl(fd, VIDIOC_QBUF, &b);
		if (reply) {
			*reply = toInfo(b, planes);
			reply->ret = ret;
		}
		return ret;
	}
	int openWithBuffers(const std::string &device, uint32_t fourcc, uint32_t nOut, uint32_t nCap)
	{
		int fd = openVideo(device);
		EXPECT_GE(fd, 0);
		EXPECT_EQ(setFormat(fd, outType(fd), fourcc, 320, 240), 0);
		if (nOut) {
			EXPECT_EQ(reqbufs(fd, outType(fd), nOut), static_cast<int>(nOut));
		}
		if (nCap) {
			EXPECT_EQ(reqbufs(fd, capType(fd), nCap), static_cast<int>(nCap));
		}
		return fd;
	}
	void useThreaded(const std::string &name, unsigned decodeDelayUs)
	{
		BoardOptions o;
		o.scheduler = SchedulerMode::Threaded;
		o.decodeDelayUs = decodeDelayUs;
		useBoard(name, o);
	}
	void start(Session &s, const std::string &device, uint32_t fourcc, uint32_t nOut, uint32_t nCap)
	{
		std::string what;
		ASSERT_EQ(startSession(s, device, fourcc, 320, 240, nOut, nCap, &what), 0) << what;
	}
	/// Controls into request `slot`, OUTPUT buffer `slot` with flags, then QUEUE (no CAPTURE).
	int slice(Session &s, CodecControls &c, uint32_t slot, uint64_t timestampNs, uint32_t flags)
	{
		int req = s.requests.at(slot);
		int ret = reinitRequest(req);
		if (!ret)
			ret = queuePicture(s, c, slot, -1, timestampNs, flags);
		return ret;
	}
	uint64_t jobs(size_t device = 0) { return board().stats().devices.at(device).jobs; }
	struct v4l2_format fmt(int fd, uint32_t type)
	{
		struct v4l2_format f {};
		EXPECT_EQ(getFormat(fd, type, &f), 0);
		return f;
	}
	/// Capabilities of a queue, through the REQBUFS(0) query.
	uint32_t caps(int fd, uint32_t type)
	{
		struct v4l2_requestbuffers rb {};
		EXPECT_EQ(reqbufs(fd, type, 0, V4L2_MEMORY_MMAP, &rb), 0);
		return rb.capabilities;
	}
};

using BufferStates = StateTest;
using SFmtBusy = StateTest;
using BufferMetadata = StateTest;
using HoldCaptureBuf = StateTest;
using MmapOffsets = StateTest;
using Mpeg2References = StateTest;

// ---- §4.1 buffer states ---------------------------------------------------------------------

TEST_F(BufferStates, Row1_Dequeued_AfterAllocationDqbufCancelAndReinit)
{
	Session s;
	ASSERT_NO_FATAL_FAILURE(start(s, "rkvdec", V4L2_PIX_FMT_H264_SLICE, 2, 2));
	// Allocation. The OUTPUT buffers are mapped by the session: MAPPED, nothing else.
	EXPECT_EQ(flagsOf(s.fd, s.capType, 0) & kStateFlags, 0u);
	EXPECT_EQ(flagsOf(s.fd, s.capType, 0) & V4L2_BUF_FLAG_TIMESTAMP_MASK,
		  static_cast<uint32_t>(V4L2_BUF_FLAG_TIMESTAMP_COPY));
	EXPECT_EQ(flagsOf(s.fd, s.outType, 0) & kStateFlags, static_cast<uint32_t>(V4L2_BUF_FLAG_MAPPED));
	// MAPPED follows the users of the memory: an mmap, an exported dma-buf.
	size_t len = 0;
	void *p = mapBuffer(s.fd, s.capType, 0, 0, &len, PROT_READ);
	ASSERT_NE(p, nullptr);
	EXPECT_TRUE(flagsOf(s.fd, s.capType, 0) & V4L2_BUF_FLAG_MAPPED);
	ASSERT_EQ(unmap(p, len), 0);
	EXPECT_FALSE(flagsOf(s.fd, s.capType, 0) & V4L2_BUF_FLAG_MAPPED);
	struct v4l2_exportbuffer eb {};
	eb.type = s.capType;
	ASSERT_EQ(xioctl(s.fd, VIDIOC_EXPBUF, &eb), 0);
	EXPECT_TRUE(flagsOf(s.fd, s.capType, 0) & V4L2_BUF_FLAG_MAPPED);
	ASSERT_EQ(closeFd(eb.fd), 0);
	EXPECT_FALSE(flagsOf(s.fd, s.capType, 0) & V4L2_BUF_FLAG_MAPPED);
	// Prepared: PREPARED while DEQUEUED.
	ASSERT_EQ(prepare(s.fd, s.capType, 1), 0);
	EXPECT_EQ(flagsOf(s.fd, s.capType, 1) & kStateFlags, static_cast<uint32_t>(V4L2_BUF_FLAG_PREPARED));
	// DQBUF.
	CodecControls c = CodecControls::h264(320, 240);
	ASSERT_EQ(decodeOne(s, c, 0, 0, 1000), 0);
	EXPECT_EQ(flagsOf(s.fd, s.capType, 0) & kStateFlags, 0u) << "PREPARED is dropped at DQBUF";
	EXPECT_EQ(flagsOf(s.fd, s.outType, 0) & kStateFlags, static_cast<uint32_t>(V4L2_BUF_FLAG_MAPPED));
	// Cancel: a queued CAPTURE buffer and a QUEUED request's OUTPUT buffer.
	ASSERT_EQ(qbuf(s.fd, s.capType, 0), 0);
	ASSERT_EQ(streamoff(s.fd, s.capType), 0);
	EXPECT_EQ(flagsOf(s.fd, s.capType, 0) & kStateFlags, 0u);
	EXPECT_EQ(flagsOf(s.fd, s.capType, 1) & kStateFlags, 0u) << "PREPARED is dropped by a cancel";
	// REINIT of an IDLE request.
	ASSERT_EQ(qbuf(s.fd, s.outType, 1, s.requests[1], 2000, 64), 0);
	ASSERT_EQ(reinitRequest(s.requests[1]), 0);
	EXPECT_EQ(flagsOf(s.fd, s.outType, 1) & kStateFlags, static_cast<uint32_t>(V4L2_BUF_FLAG_MAPPED));
	endSession(s);
}

TEST_F(BufferStates, Row2_InRequest_FlagsAndRequestFd)
{
	int fd = openWithBuffers("rkvdec", V4L2_PIX_FMT_H264_SLICE, 2, 0);
	int media = openMedia("rkvdec");
	int req = allocRequest(media);
	BufInfo reply;
	ASSERT_EQ(qbufOut(fd, 0, req, 1000, 0, V4L2_FIELD_NONE, nullptr, &reply), 0);
	EXPECT_EQ(reply.flags & kStateFlags,
		  static_cast<uint32_t>(V4L2_BUF_FLAG_IN_REQUEST | V4L2_BUF_FLAG_REQUEST_FD));
	EXPECT_EQ(reply.requestFd, req);
	BufInfo b = info(fd, outType(fd), 0);
	EXPECT_EQ(b.flags & kStateFlags,
		  static_cast<uint32_t>(V4L2_BUF_FLAG_IN_REQUEST | V4L2_BUF_FLAG_REQUEST_FD));
	EXPECT_EQ(b.requestFd, req);
	// A prepared buffer keeps PREPARED while IN_REQUEST.
	ASSERT_EQ(prepare(fd, outType(fd), 1), 0);
	int req2 = allocRequest(media);
	ASSERT_EQ(qbufOut(fd, 1, req2, 2000, 0, V4L2_FIELD_NONE), 0);
	EXPECT_EQ(flagsOf(fd, outType(fd), 1) & kStateFlags,
		  static_cast<uint32_t>(V4L2_BUF_FLAG_IN_REQUEST | V4L2_BUF_FLAG_REQUEST_FD |
					V4L2_BUF_FLAG_PREPARED));
}

TEST_F(BufferStates, Row3_PreparingIsTransient)
{
	// PREPARING only exists inside buf_prepare: a PREPARE_BUF leaves the buffer DEQUEUED and
	// PREPARED, a failed one leaves it DEQUEUED without PREPARED (hantro lets S_FMT grow the
	// size over existing buffers, so buf_prepare fails).
	useBoard("hantro");
	int fd = openWithBuffers("hantro-vpu", V4L2_PIX_FMT_MPEG2_SLICE, 2, 2);
	ASSERT_EQ(prepare(fd, outType(fd), 0), 0);
	EXPECT_EQ(flagsOf(fd, outType(fd), 0) & kStateFlags, static_cast<uint32_t>(V4L2_BUF_FLAG_PREPARED));
	ASSERT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_MPEG2_SLICE, 1280, 720), 0);
	EXPECT_EQ(prepare(fd, outType(fd), 1), -EINVAL);
	EXPECT_EQ(flagsOf(fd, outType(fd), 1) & kStateFlags, 0u);
	EXPECT_EQ(prepare(fd, capType(fd), 0), -EINVAL);
	EXPECT_EQ(flagsOf(fd, capType(fd), 0) & kStateFlags, 0u);
	EXPECT_EQ(flagsOf(fd, outType(fd), 0) & kStateFlags, static_cast<uint32_t>(V4L2_BUF_FLAG_PREPARED))
		<< "the earlier prepare stays";
}

TEST_F(BufferStates, Row4_Queued_ByQbufOrByTheRequestQueue)
{
	Session s;
	ASSERT_NO_FATAL_FAILURE(start(s, "rkvdec", V4L2_PIX_FMT_H264_SLICE, 1, 1));
	ASSERT_EQ(streamoff(s.fd, s.capType), 0);
	ASSERT_EQ(streamoff(s.fd, s.outType), 0);
	struct v4l2_plane planes[VIDEO_MAX_PLANES] = {};
	struct v4l2_buffer b {};
	b.type = s.capType;
	b.memory = V4L2_MEMORY_MMAP;
	b.m.planes = planes;
	b.length = 1;
	ASSERT_EQ(xioctl(s.fd, VIDIOC_QBUF, &b), 0);
	EXPECT_EQ(b.flags & kStateFlags, static_cast<uint32_t>(V4L2_BUF_FLAG_QUEUED)) << "QBUF reply";
	EXPECT_EQ(flagsOf(s.fd, s.capType, 0) & kStateFlags, static_cast<uint32_t>(V4L2_BUF_FLAG_QUEUED));
	CodecControls c = CodecControls::h264(320, 240);
	ASSERT_EQ(queuePicture(s, c, 0, -1, 1000), 0);
	EXPECT_EQ(flagsOf(s.fd, s.outType, 0) & kStateFlags,
		  static_cast<uint32_t>(V4L2_BUF_FLAG_QUEUED | V4L2_BUF_FLAG_REQUEST_FD | V4L2_BUF_FLAG_MAPPED));
	EXPECT_EQ(jobs(), 0u);
	endSession(s);
}

TEST_F(BufferStates, Row5_Active_ShowsQueued)
{
	useThreaded("fresnel", 200000);
	Session s;
	ASSERT_NO_FATAL_FAILURE(start(s, "rkvdec", V4L2_PIX_FMT_H264_SLICE, 2, 2));
	// Given to the driver at QBUF while streaming; and while the hardware works on them.
	ASSERT_EQ(qbuf(s.fd, s.capType, 1), 0);
	EXPECT_EQ(flagsOf(s.fd, s.capType, 1) & kStateFlags, static_cast<uint32_t>(V4L2_BUF_FLAG_QUEUED));
	CodecControls c = CodecControls::h264(320, 240);
	ASSERT_EQ(queuePicture(s, c, 0, -1, 1000), 0);
	ASSERT_EQ(jobs(), 1u);
	EXPECT_EQ(flagsOf(s.fd, s.capType, 1) & kStateFlags, static_cast<uint32_t>(V4L2_BUF_FLAG_QUEUED))
		<< "decoding";
	EXPECT_EQ(flagsOf(s.fd, s.outType, 0) & kStateFlags,
		  static_cast<uint32_t>(V4L2_BUF_FLAG_QUEUED | V4L2_BUF_FLAG_REQUEST_FD | V4L2_BUF_FLAG_MAPPED));
	ASSERT_EQ(pollFd(s.requests[0], POLLPRI, 5000), POLLPRI);
	EXPECT_TRUE(flagsOf(s.fd, s.capType, 1) & V4L2_BUF_FLAG_DONE);
	endSession(s);
}

TEST_F(BufferStates, Row6_DoneAndError_DqbufClearsDone)
{
	Session s;
	ASSERT_NO_FATAL_FAILURE(start(s, "rkvdec", V4L2_PIX_FMT_H264_SLICE, 2, 2));
	CodecControls c = CodecControls::h264(320, 240);
	ASSERT_EQ(queuePicture(s, c, 0, 0, 1000), 0);
	EXPECT_EQ(flagsOf(s.fd, s.capType, 0) & kStateFlags, static_cast<uint32_t>(V4L2_BUF_FLAG_DONE));
	EXPECT_EQ(flagsOf(s.fd, s.outType, 0) & kStateFlags,
		  static_cast<uint32_t>(V4L2_BUF_FLAG_DONE | V4L2_BUF_FLAG_REQUEST_FD | V4L2_BUF_FLAG_MAPPED));
	BufInfo cap = dq(s.fd, s.capType);
	ASSERT_EQ(cap.ret, 0);
	EXPECT_EQ(cap.flags & kStateFlags, 0u) << "DQBUF clears DONE in its reply";
	ASSERT_EQ(dq(s.fd, s.outType).ret, 0);
	// A hardware error: both buffers DONE|ERROR; DQBUF still returns 0, with ERROR.
	FaultPlan plan;
	plan.decodes.push_back({"rkvdec", DecodeFaultKind::Error, 1});
	board().setFaults(plan);
	ASSERT_EQ(reinitRequest(s.requests[1]), 0);
	ASSERT_EQ(queuePicture(s, c, 1, 1, 2000), 0);
	EXPECT_EQ(flagsOf(s.fd, s.capType, 1) & kStateFlags,
		  static_cast<uint32_t>(V4L2_BUF_FLAG_DONE | V4L2_BUF_FLAG_ERROR));
	EXPECT_TRUE(flagsOf(s.fd, s.outType, 1) & V4L2_BUF_FLAG_ERROR);
	cap = dq(s.fd, s.capType);
	ASSERT_EQ(cap.ret, 0);
	EXPECT_EQ(cap.flags & kStateFlags, static_cast<uint32_t>(V4L2_BUF_FLAG_ERROR));
	BufInfo out = dq(s.fd, s.outType);
	ASSERT_EQ(out.ret, 0);
	EXPECT_TRUE(out.flags & V4L2_BUF_FLAG_ERROR);
	endSession(s);
	// visl always completes DONE, whatever happens.
	useBoard("visl");
	Session v;
	ASSERT_NO_FATAL_FAILURE(start(v, "visl", V4L2_PIX_FMT_H264_SLICE, 1, 1));
	FaultPlan vp;
	vp.decodes.push_back({"visl", DecodeFaultKind::Error, 1});
	board().setFaults(vp);
	ASSERT_EQ(queuePicture(v, c, 0, 0, 1000), 0);
	EXPECT_EQ(flagsOf(v.fd, v.capType, 0) & kStateFlags, static_cast<uint32_t>(V4L2_BUF_FLAG_DONE));
	endSession(v);
}

// ---- §5.1 EBUSY matrix for S_FMT --------------------------------------------------------------

TEST_F(SFmtBusy, Row1_Hantro612_OnlyACodecChangeWhileOutputStreams)
{
	BoardOptions o;
	o.kernel = KernelVersion::V6_12;
	useBoard("hantro", o);
	int fd = openWithBuffers("hantro-vpu", V4L2_PIX_FMT_MPEG2_SLICE, 1, 1);
	// Busy on both queues, not streaming: any OUTPUT change is fine, CAPTURE follows.
	EXPECT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_VP8_FRAME, 320, 240), 0);
	EXPECT_EQ(fmt(fd, outType(fd)).fmt.pix_mp.pixelformat, V4L2_PIX_FMT_VP8_FRAME);
	ASSERT_EQ(streamon(fd, outType(fd)), 0);
	// Streaming: a new codec is refused, the format stays.
	EXPECT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_MPEG2_SLICE, 640, 480), -EBUSY);
	struct v4l2_format f = fmt(fd, outType(fd));
	EXPECT_EQ(f.fmt.pix_mp.pixelformat, V4L2_PIX_FMT_VP8_FRAME);
	EXPECT_EQ(f.fmt.pix_mp.width, 320u);
	// An unknown fourcc is corrected first (MPEG-2 here), and then it is a codec change.
	EXPECT_EQ(setFormat(fd, outType(fd), v4l2_fourcc('N', 'O', 'P', 'E'), 320, 240), -EBUSY);
	// Same codec, new size: allowed while streaming, and CAPTURE is reset although it has
	// buffers.
	EXPECT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_VP8_FRAME, 640, 480), 0);
	EXPECT_EQ(fmt(fd, capType(fd)).fmt.pix_mp.width, 640u);
	EXPECT_EQ(fmt(fd, capType(fd)).fmt.pix_mp.height, 480u);
	// S_FMT(CAPTURE) is never EBUSY on a decoder, even busy and streaming.
	ASSERT_EQ(streamon(fd, capType(fd)), 0);
	EXPECT_EQ(setFormat(fd, capType(fd), V4L2_PIX_FMT_NV12, 640, 480), 0);
}

TEST_F(SFmtBusy, Row2_HantroBefore2023_NotModelled_Asserts612Rules)
{
	// The pre-2023 hantro refused S_FMT(OUTPUT) while streaming, while OUTPUT was busy with a
	// new codec or while CAPTURE was busy, and S_FMT(CAPTURE) while CAPTURE was busy. The
	// emulator models hantro as 6.12 for both kernel values (src/drivers/hantro.cpp: "The
	// same 6.12 rules are used for both kernel values"), and neither value is older than the
	// 2023 change, so this row cannot be reached: assert the 6.12 rules on mainline too.
	for (KernelVersion k : {KernelVersion::Mainline, KernelVersion::V6_12}) {
		BoardOptions o;
		o.kernel = k;
		useBoard("hantro", o);
		int fd = openWithBuffers("hantro-vpu", V4L2_PIX_FMT_MPEG2_SLICE, 1, 1);
		EXPECT_EQ(setFormat(fd, capType(fd), V4L2_PIX_FMT_NV12, 320, 240), 0) << "CAPTURE busy";
		EXPECT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_VP8_FRAME, 320, 240), 0)
			<< "OUTPUT busy with a new codec, CAPTURE busy";
		ASSERT_EQ(streamon(fd, outType(fd)), 0);
		EXPECT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_VP8_FRAME, 640, 480), 0) << "streaming";
		EXPECT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_MPEG2_SLICE, 640, 480), -EBUSY);
	}
}

TEST_F(SFmtBusy, Row3_Rkvdec_StreamingOrBusyWithNewCodecOrCaptureBusy)
{
	for (KernelVersion k : {KernelVersion::Mainline, KernelVersion::V6_12}) {
		BoardOptions o;
		o.kernel = k;
		useBoard("rkvdec", o);
		int fd = openVideo("rkvdec");
		ASSERT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_H264_SLICE, 320, 240), 0);
		ASSERT_EQ(reqbufs(fd, outType(fd), 1), 1);
		// OUTPUT busy: a new codec is refused (compared before the format is corrected, so
		// an unknown fourcc is a "change" too); the same codec at a new size is fine.
		EXPECT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_VP9_FRAME, 320, 240), -EBUSY);
		EXPECT_EQ(setFormat(fd, outType(fd), v4l2_fourcc('N', 'O', 'P', 'E'), 320, 240), -EBUSY);
		EXPECT_EQ(fmt(fd, outType(fd)).fmt.pix_mp.pixelformat, V4L2_PIX_FMT_H264_SLICE);
		EXPECT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_H264_SLICE, 640, 480), 0);
		EXPECT_EQ(fmt(fd, capType(fd)).fmt.pix_mp.width, 640u) << "CAPTURE reset";
		// Streaming: even the same format is refused.
		ASSERT_EQ(streamon(fd, outType(fd)), 0);
		EXPECT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_H264_SLICE, 640, 480), -EBUSY);
		ASSERT_EQ(streamoff(fd, outType(fd)), 0);
		EXPECT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_H264_SLICE, 320, 240), 0);
		// CAPTURE busy (CREATE_BUFS counts too): both directions refused.
		ASSERT_EQ(createBufs(fd, capType(fd), 1, fmt(fd, capType(fd)).fmt.pix_mp.plane_fmt[0].sizeimage), 1);
		struct v4l2_format before = fmt(fd, capType(fd));
		EXPECT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_H264_SLICE, 640, 480), -EBUSY);
		EXPECT_EQ(setFormat(fd, capType(fd), V4L2_PIX_FMT_NV12, 640, 480), -EBUSY);
		EXPECT_EQ(fmt(fd, capType(fd)).fmt.pix_mp.width, before.fmt.pix_mp.width);
		EXPECT_EQ(fmt(fd, outType(fd)).fmt.pix_mp.width, 320u);
		// TRY_FMT is never EBUSY.
		struct v4l2_format t {};
		t.type = capType(fd);
		t.fmt.pix_mp.pixelformat = V4L2_PIX_FMT_NV12;
		t.fmt.pix_mp.width = 640;
		t.fmt.pix_mp.height = 480;
		EXPECT_EQ(xioctl(fd, VIDIOC_TRY_FMT, &t), 0);
		// STREAMOFF does not clear busy; REQBUFS(0) does.
		ASSERT_EQ(streamon(fd, capType(fd)), 0);
		ASSERT_EQ(streamoff(fd, capType(fd)), 0);
		EXPECT_EQ(setFormat(fd, capType(fd), V4L2_PIX_FMT_NV12, 640, 480), -EBUSY);
		ASSERT_EQ(reqbufs(fd, capType(fd), 0), 0);
		EXPECT_EQ(setFormat(fd, capType(fd), V4L2_PIX_FMT_NV12, 640, 480), 0);
		EXPECT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_H264_SLICE, 640, 480), 0);
		// CREATE_BUFS with count 0 is a query: not busy.
		ASSERT_EQ(createBufs(fd, capType(fd), 0, fmt(fd, capType(fd)).fmt.pix_mp.plane_fmt[0].sizeimage), 0);
		EXPECT_EQ(setFormat(fd, capType(fd), V4L2_PIX_FMT_NV12, 640, 480), 0);
	}
}

TEST_F(SFmtBusy, Row4_Visl_OnlyCaptureBusyBlocksOutput)
{
	useBoard("visl");
	int fd = openVideo("visl");
	ASSERT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_H264_SLICE, 320, 240), 0);
	ASSERT_EQ(reqbufs(fd, outType(fd), 1), 1);
	EXPECT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_VP9_FRAME, 320, 240), 0) << "OUTPUT busy: fine";
	ASSERT_EQ(streamon(fd, outType(fd)), 0);
	EXPECT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_HEVC_SLICE, 640, 480), 0)
		<< "OUTPUT streaming is not checked";
	EXPECT_EQ(fmt(fd, outType(fd)).fmt.pix_mp.pixelformat, V4L2_PIX_FMT_HEVC_SLICE);
	ASSERT_EQ(reqbufs(fd, capType(fd), 1), 1);
	EXPECT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_H264_SLICE, 320, 240), -EBUSY);
	EXPECT_EQ(fmt(fd, outType(fd)).fmt.pix_mp.pixelformat, V4L2_PIX_FMT_HEVC_SLICE);
	// S_FMT(CAPTURE): never EBUSY, even busy and streaming.
	ASSERT_EQ(streamon(fd, capType(fd)), 0);
	EXPECT_EQ(setFormat(fd, capType(fd), V4L2_PIX_FMT_YUV420, 320, 240), 0);
	EXPECT_EQ(fmt(fd, capType(fd)).fmt.pix_mp.pixelformat, V4L2_PIX_FMT_YUV420);
	// REMOVE_BUFS of every CAPTURE buffer does not clear busy.
	ASSERT_EQ(streamoff(fd, capType(fd)), 0);
	struct v4l2_remove_buffers rb {};
	rb.type = capType(fd);
	rb.index = 0;
	rb.count = 1;
	ASSERT_EQ(xioctl(fd, VIDIOC_REMOVE_BUFS, &rb), 0);
	EXPECT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_H264_SLICE, 320, 240), -EBUSY);
	ASSERT_EQ(reqbufs(fd, capType(fd), 0), 0);
	EXPECT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_H264_SLICE, 320, 240), 0);
}

TEST_F(SFmtBusy, Row5_Cedrus_StreamingOrBusyWithNewCodecOrCaptureBusy)
{
	useBoard("cedrus");
	int fd = openVideo("cedrus");
	ASSERT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_H264_SLICE, 320, 240), 0);
	ASSERT_EQ(reqbufs(fd, outType(fd), 1), 1);
	EXPECT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_MPEG2_SLICE, 320, 240), -EBUSY);
	EXPECT_EQ(fmt(fd, outType(fd)).fmt.pix.pixelformat, V4L2_PIX_FMT_H264_SLICE);
	EXPECT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_H264_SLICE, 640, 480), 0);
	EXPECT_EQ(fmt(fd, capType(fd)).fmt.pix.width, 640u) << "CAPTURE follows";
	ASSERT_EQ(streamon(fd, outType(fd)), 0);
	EXPECT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_H264_SLICE, 320, 240), -EBUSY) << "streaming";
	ASSERT_EQ(streamoff(fd, outType(fd)), 0);
	ASSERT_EQ(reqbufs(fd, capType(fd), 1), 1);
	EXPECT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_H264_SLICE, 320, 240), -EBUSY) << "CAPTURE busy";
	EXPECT_EQ(setFormat(fd, capType(fd), V4L2_PIX_FMT_NV12_32L32, 640, 480), -EBUSY);
	EXPECT_EQ(fmt(fd, capType(fd)).fmt.pix.pixelformat, V4L2_PIX_FMT_NV12);
	ASSERT_EQ(reqbufs(fd, capType(fd), 0), 0);
	EXPECT_EQ(setFormat(fd, capType(fd), V4L2_PIX_FMT_NV12_32L32, 640, 480), 0);
	EXPECT_EQ(fmt(fd, capType(fd)).fmt.pix.pixelformat, V4L2_PIX_FMT_NV12_32L32);
}

// ---- §6.3 S/G/TRY_EXT_CTRLS errno rules -----------------------------------------------------

std::vector<struct v4l2_ext_control> one(uint32_t id, void *ptr, uint32_t size)
{
	std::vector<struct v4l2_ext_control> v(1);
	v[0].id = id;
	v[0].ptr = ptr;
	v[0].size = size;
	return v;
}

struct v4l2_ext_control menuCtrl(uint32_t id, int32_t value)
{
	struct v4l2_ext_control c {};
	c.id = id;
	c.value = value;
	return c;
}

class ExtCtrlsTest : public StateTest {
protected:
	int32_t level(int fd)
	{
		struct v4l2_control c {};
		c.id = V4L2_CID_MPEG_VIDEO_H264_LEVEL;
		EXPECT_EQ(xioctl(fd, VIDIOC_G_CTRL, &c), 0);
		return c.value;
	}
	/// One call, returning the errno and error_idx.
	int call(int fd, unsigned long cmd, uint32_t which, std::vector<struct v4l2_ext_control> &c,
		 uint32_t *errorIdx, int req = -1)
	{
		struct v4l2_ext_controls out {};
		int ret = extCtrls(fd, cmd, which, req, c, &out);
		*errorIdx = out.error_idx;
		return ret;
	}
};

using ExtCtrls = ExtCtrlsTest;

TEST_F(ExtCtrls, Row1_CountAbove1024_Einval)
{
	int fd = openVideo("rkvdec");
	std::vector<struct v4l2_ext_control> many(V4L2_CID_MAX_CTRLS + 1,
						  menuCtrl(V4L2_CID_MPEG_VIDEO_H264_LEVEL,
							   V4L2_MPEG_VIDEO_H264_LEVEL_4_0));
	for (unsigned long cmd : {VIDIOC_S_EXT_CTRLS, VIDIOC_TRY_EXT_CTRLS, VIDIOC_G_EXT_CTRLS})
		EXPECT_EQ(extCtrls(fd, cmd, 0, -1, many), -EINVAL) << cmd;
	EXPECT_EQ(level(fd), V4L2_MPEG_VIDEO_H264_LEVEL_1_0) << "nothing applied";
	many.pop_back();
	EXPECT_EQ(extCtrls(fd, VIDIOC_S_EXT_CTRLS, 0, -1, many), 0) << "1024 is allowed";
	EXPECT_EQ(level(fd), V4L2_MPEG_VIDEO_H264_LEVEL_4_0);
}

TEST_F(ExtCtrls, Row2_WhichClassMismatch_EinvalPrecheck)
{
	int fd = openVideo("rkvdec");
	// LEVEL is a codec-class control, DECODE_MODE a stateless-codec one.
	std::vector<struct v4l2_ext_control> c = {
		menuCtrl(V4L2_CID_MPEG_VIDEO_H264_LEVEL, V4L2_MPEG_VIDEO_H264_LEVEL_4_0),
		menuCtrl(V4L2_CID_STATELESS_H264_DECODE_MODE, V4L2_STATELESS_H264_DECODE_MODE_FRAME_BASED)};
	uint32_t idx = 99;
	EXPECT_EQ(call(fd, VIDIOC_S_EXT_CTRLS, V4L2_CTRL_CLASS_CODEC, c, &idx), -EINVAL);
	EXPECT_EQ(idx, 2u) << "S: count";
	EXPECT_EQ(level(fd), V4L2_MPEG_VIDEO_H264_LEVEL_1_0) << "nothing applied before the error";
	EXPECT_EQ(call(fd, VIDIOC_TRY_EXT_CTRLS, V4L2_CTRL_CLASS_CODEC, c, &idx), -EINVAL);
	EXPECT_EQ(idx, 1u) << "TRY: the offending control";
	EXPECT_EQ(call(fd, VIDIOC_G_EXT_CTRLS, V4L2_CTRL_CLASS_CODEC, c, &idx), -EINVAL);
	EXPECT_EQ(idx, 2u) << "G: count";
	// The right class works; count 0 checks that the handler has the class.
	c.pop_back();
	EXPECT_EQ(call(fd, VIDIOC_S_EXT_CTRLS, V4L2_CTRL_CLASS_CODEC, c, &idx), 0);
	std::vector<struct v4l2_ext_control> none;
	EXPECT_EQ(extCtrls(fd, VIDIOC_G_EXT_CTRLS, V4L2_CTRL_CLASS_CODEC_STATELESS, -1, none), 0);
	EXPECT_EQ(extCtrls(fd, VIDIOC_G_EXT_CTRLS, V4L2_CTRL_CLASS_CAMERA, -1, none), -EINVAL);
	// A "which" of V4L2_CID_PRIVATE_BASE is just another class that matches no id: with a
	// control handler on the file the core does not run check_ext_ctrls, so TRY reports
	// the index (CAPI:prepare_ext_ctrls).
	c[0] = menuCtrl(V4L2_CID_STATELESS_H264_DECODE_MODE, V4L2_STATELESS_H264_DECODE_MODE_FRAME_BASED);
	EXPECT_EQ(call(fd, VIDIOC_TRY_EXT_CTRLS, V4L2_CID_PRIVATE_BASE, c, &idx), -EINVAL);
	EXPECT_EQ(idx, 0u);
	EXPECT_EQ(call(fd, VIDIOC_S_EXT_CTRLS, V4L2_CID_PRIVATE_BASE, c, &idx), -EINVAL);
	EXPECT_EQ(idx, 1u);
}

TEST_F(ExtCtrls, Row3_UnknownOrPrivateId_EinvalPrecheck)
{
	int fd = openVideo("hantro-vpu");
	struct v4l2_ctrl_vp8_frame vp8 {};
	vp8.num_dct_parts = 1;
	vp8.width = 320;
	struct v4l2_ctrl_hevc_sps sps {};
	std::vector<struct v4l2_ext_control> c(2);
	c[0].id = V4L2_CID_STATELESS_VP8_FRAME;
	c[0].ptr = &vp8;
	c[0].size = sizeof(vp8);
	c[1].id = V4L2_CID_STATELESS_HEVC_SPS;	// not registered on the RK3399 hantro
	c[1].ptr = &sps;
	c[1].size = sizeof(sps);
	uint32_t idx = 99;
	EXPECT_EQ(call(fd, VIDIOC_S_EXT_CTRLS, 0, c, &idx), -EINVAL);
	EXPECT_EQ(idx, 2u);
	struct v4l2_ctrl_vp8_frame cur {};
	auto g = one(V4L2_CID_STATELESS_VP8_FRAME, &cur, sizeof(cur));
	ASSERT_EQ(extCtrls(fd, VIDIOC_G_EXT_CTRLS, 0, -1, g), 0);
	EXPECT_EQ(cur.width, 0) << "the VP8 frame before it was not applied";
	EXPECT_EQ(call(fd, VIDIOC_TRY_EXT_CTRLS, 0, c, &idx), -EINVAL);
	EXPECT_EQ(idx, 1u);
	EXPECT_EQ(call(fd, VIDIOC_G_EXT_CTRLS, 0, c, &idx), -EINVAL);
	EXPECT_EQ(idx, 2u);
	// Old-style private ids are refused with extended controls.
	c[1] = menuCtrl(V4L2_CID_PRIVATE_BASE, 0);
	EXPECT_EQ(call(fd, VIDIOC_TRY_EXT_CTRLS, 0, c, &idx), -EINVAL);
	EXPECT_EQ(idx, 1u);
	c[1] = menuCtrl(V4L2_CID_PRIVATE_BASE + 5, 0);
	EXPECT_EQ(call(fd, VIDIOC_S_EXT_CTRLS, 0, c, &idx), -EINVAL);
	EXPECT_EQ(idx, 2u);
}

TEST_F(ExtCtrls, Row4_NoDriverDisablesAControl)
{
	// V4L2_CTRL_FLAG_DISABLED would give EINVAL, but none of the four drivers disables a
	// control: assert that every registered control is usable.
	struct Node {
		const char *board;
		const char *device;
	};
	for (const Node &n : {Node{"fresnel", "rkvdec"}, Node{"fresnel", "hantro-vpu"},
			      Node{"visl", "visl"}, Node{"cedrus", "cedrus"}}) {
		useBoard(n.board);
		int fd = openVideo(n.device);
		struct v4l2_query_ext_ctrl q {};
		q.id = V4L2_CTRL_FLAG_NEXT_CTRL | V4L2_CTRL_FLAG_NEXT_COMPOUND;
		int count = 0;
		while (xioctl(fd, VIDIOC_QUERY_EXT_CTRL, &q) == 0) {
			EXPECT_FALSE(q.flags & V4L2_CTRL_FLAG_DISABLED) << n.device << " " << q.name;
			q.id |= V4L2_CTRL_FLAG_NEXT_CTRL | V4L2_CTRL_FLAG_NEXT_COMPOUND;
			count++;
		}
		EXPECT_GT(count, 3) << n.device;
	}
}

TEST_F(ExtCtrls, Row5_CompoundSetSizeTooSmall_EfaultPrecheck)
{
	int fd = openVideo("rkvdec");
	struct v4l2_ctrl_h264_pps pps {};
	pps.pic_init_qp_minus26 = 7;
	struct v4l2_ctrl_h264_sps sps {};
	std::vector<struct v4l2_ext_control> c(2);
	c[0].id = V4L2_CID_STATELESS_H264_PPS;
	c[0].ptr = &pps;
	c[0].size = sizeof(pps);
	c[1].id = V4L2_CID_STATELESS_H264_SPS;
	c[1].ptr = &sps;
	c[1].size = sizeof(sps) - 1;
	uint32_t idx = 99;
	EXPECT_EQ(call(fd, VIDIOC_S_EXT_CTRLS, 0, c, &idx), -EFAULT);
	EXPECT_EQ(idx, 2u);
	EXPECT_EQ(call(fd, VIDIOC_TRY_EXT_CTRLS, 0, c, &idx), -EFAULT);
	EXPECT_EQ(idx, 1u);
	struct v4l2_ctrl_h264_pps cur {};
	auto g = one(V4L2_CID_STATELESS_H264_PPS, &cur, sizeof(cur));
	ASSERT_EQ(extCtrls(fd, VIDIOC_G_EXT_CTRLS, 0, -1, g), 0);
	EXPECT_EQ(cur.pic_init_qp_minus26, 0) << "the PPS before it was not applied";
	// A larger size is fine (and is written back as the element size).
	c[1].size = sizeof(sps) + 16;
	EXPECT_EQ(extCtrls(fd, VIDIOC_S_EXT_CTRLS, 0, -1, c), 0);
	EXPECT_EQ(c[1].size, sizeof(sps));
}

TEST_F(ExtCtrls, Row6_CompoundGetSizeTooSmall_EnospcSizeUpdated)
{
	int fd = openVideo("rkvdec");
	struct v4l2_ctrl_h264_sps sps {};
	std::vector<struct v4l2_ext_control> c(2);
	c[0] = menuCtrl(V4L2_CID_MPEG_VIDEO_H264_LEVEL, 12345);
	c[1].id = V4L2_CID_STATELESS_H264_SPS;
	c[1].ptr = &sps;
	c[1].size = 4;
	uint32_t idx = 99;
	EXPECT_EQ(call(fd, VIDIOC_G_EXT_CTRLS, 0, c, &idx), -ENOSPC);
	EXPECT_EQ(c[1].size, sizeof(sps)) << "the size needed";
	EXPECT_EQ(idx, 2u) << "G: count";
	EXPECT_EQ(c[0].value, 12345) << "nothing was read";
	EXPECT_EQ(call(fd, VIDIOC_G_EXT_CTRLS, 0, c, &idx), 0) << "the size given back works";
	EXPECT_EQ(c[0].value, V4L2_MPEG_VIDEO_H264_LEVEL_1_0);
}

TEST_F(ExtCtrls, Row7_DynamicArraySizes)
{
	int fd = openVideo("rkvdec");	// mainline: HEVC slice params, dims 600
	using Slice = struct v4l2_ctrl_hevc_slice_params;
	std::vector<Slice> slices(601);
	std::vector<struct v4l2_ext_control> c(2);
	c[0] = menuCtrl(V4L2_CID_MPEG_VIDEO_H264_LEVEL, V4L2_MPEG_VIDEO_H264_LEVEL_3_0);
	c[1].id = V4L2_CID_STATELESS_HEVC_SLICE_PARAMS;
	c[1].ptr = slices.data();
	c[1].size = static_cast<uint32_t>(601 * sizeof(Slice));
	uint32_t idx = 99;
	EXPECT_EQ(call(fd, VIDIOC_S_EXT_CTRLS, 0, c, &idx), -ENOSPC);
	EXPECT_EQ(c[1].size, 600 * sizeof(Slice)) << "size = the maximum";
	EXPECT_EQ(idx, 2u);
	EXPECT_EQ(level(fd), V4L2_MPEG_VIDEO_H264_LEVEL_1_0) << "pre-check: nothing applied";
	c[1].size = static_cast<uint32_t>(601 * sizeof(Slice));
	EXPECT_EQ(call(fd, VIDIOC_TRY_EXT_CTRLS, 0, c, &idx), -ENOSPC);
	EXPECT_EQ(idx, 1u);
	c[1].size = 0;
	EXPECT_EQ(call(fd, VIDIOC_S_EXT_CTRLS, 0, c, &idx), -EFAULT);
	EXPECT_EQ(idx, 2u);
	c[1].size = static_cast<uint32_t>(sizeof(Slice) - 1);	// rounds down to 0 elements
	EXPECT_EQ(call(fd, VIDIOC_TRY_EXT_CTRLS, 0, c, &idx), -EFAULT);
	EXPECT_EQ(idx, 1u);
	// A partial element is dropped: 2.5 elements set 2.
	c[1].size = static_cast<uint32_t>(sizeof(Slice) * 5 / 2);
	ASSERT_EQ(extCtrls(fd, VIDIOC_S_EXT_CTRLS, 0, -1, c), 0);
	EXPECT_EQ(c[1].size, 2 * sizeof(Slice));
	struct v4l2_query_ext_ctrl q {};
	q.id = V4L2_CID_STATELESS_HEVC_SLICE_PARAMS;
	ASSERT_EQ(xioctl(fd, VIDIOC_QUERY_EXT_CTRL, &q), 0);
	EXPECT_EQ(q.elems, 2u);
	EXPECT_EQ(q.dims[0], 600u);
	EXPECT_TRUE(q.flags & V4L2_CTRL_FLAG_DYNAMIC_ARRAY);
	// G with room for one: ENOSPC with the size of the current two.
	auto g = one(V4L2_CID_STATELESS_HEVC_SLICE_PARAMS, slices.data(), sizeof(Slice));
	struct v4l2_ext_controls out {};
	EXPECT_EQ(extCtrls(fd, VIDIOC_G_EXT_CTRLS, 0, -1, g, &out), -ENOSPC);
	EXPECT_EQ(g[0].size, 2 * sizeof(Slice));
	EXPECT_EQ(out.error_idx, 1u);
	// cedrus registers it with a maximum of one element.
	useBoard("cedrus");
	int ce = openVideo("cedrus");
	auto s2 = one(V4L2_CID_STATELESS_HEVC_SLICE_PARAMS, slices.data(), 2 * sizeof(Slice));
	EXPECT_EQ(extCtrls(ce, VIDIOC_S_EXT_CTRLS, 0, -1, s2), -ENOSPC);
	EXPECT_EQ(s2[0].size, sizeof(Slice));
}

TEST_F(ExtCtrls, Row8_ReadOnlyOrWriteOnly_EaccesPrecheck)
{
	int fd = openVideo("rkvdec");
	// The class control is read-only and write-only.
	std::vector<struct v4l2_ext_control> c = {
		menuCtrl(V4L2_CID_STATELESS_H264_DECODE_MODE, V4L2_STATELESS_H264_DECODE_MODE_FRAME_BASED),
		menuCtrl(V4L2_CID_CODEC_STATELESS_CLASS, 0)};
	uint32_t idx = 99;
	EXPECT_EQ(call(fd, VIDIOC_S_EXT_CTRLS, 0, c, &idx), -EACCES);
	EXPECT_EQ(idx, 2u);
	EXPECT_EQ(call(fd, VIDIOC_TRY_EXT_CTRLS, 0, c, &idx), -EACCES);
	EXPECT_EQ(idx, 1u);
	EXPECT_EQ(call(fd, VIDIOC_G_EXT_CTRLS, 0, c, &idx), -EACCES);
	EXPECT_EQ(idx, 2u);
	struct v4l2_queryctrl q {};
	q.id = V4L2_CID_CODEC_STATELESS_CLASS;
	ASSERT_EQ(xioctl(fd, VIDIOC_QUERYCTRL, &q), 0);
	EXPECT_EQ(q.flags & (V4L2_CTRL_FLAG_READ_ONLY | V4L2_CTRL_FLAG_WRITE_ONLY),
		  static_cast<uint32_t>(V4L2_CTRL_FLAG_READ_ONLY | V4L2_CTRL_FLAG_WRITE_ONLY));
}

TEST_F(ExtCtrls, Row9_MenuOutOfRangeErangeSkippedEinval)
{
	int fd = openVideo("rkvdec");
	std::vector<struct v4l2_ext_control> c = {
		menuCtrl(V4L2_CID_MPEG_VIDEO_H264_LEVEL, V4L2_MPEG_VIDEO_H264_LEVEL_3_0),
		menuCtrl(V4L2_CID_STATELESS_H264_DECODE_MODE, V4L2_STATELESS_H264_DECODE_MODE_SLICE_BASED)};
	uint32_t idx = 99;
	EXPECT_EQ(call(fd, VIDIOC_S_EXT_CTRLS, 0, c, &idx), -ERANGE) << "rkvdec: frame-based only";
	EXPECT_EQ(idx, 2u);
	EXPECT_EQ(level(fd), V4L2_MPEG_VIDEO_H264_LEVEL_1_0) << "pre-check: nothing applied";
	EXPECT_EQ(call(fd, VIDIOC_TRY_EXT_CTRLS, 0, c, &idx), -ERANGE);
	EXPECT_EQ(idx, 1u);
	// In range but skipped by menu_skip_mask: EINVAL.
	c[1] = menuCtrl(V4L2_CID_MPEG_VIDEO_H264_PROFILE, V4L2_MPEG_VIDEO_H264_PROFILE_EXTENDED);
	EXPECT_EQ(call(fd, VIDIOC_S_EXT_CTRLS, 0, c, &idx), -EINVAL);
	EXPECT_EQ(idx, 2u);
	EXPECT_EQ(call(fd, VIDIOC_TRY_EXT_CTRLS, 0, c, &idx), -EINVAL);
	EXPECT_EQ(idx, 1u);
	// Mainline rkvdec starts the profile menu at Constrained Baseline; 6.12 at Baseline.
	c.resize(1);
	c[0] = menuCtrl(V4L2_CID_MPEG_VIDEO_H264_PROFILE, V4L2_MPEG_VIDEO_H264_PROFILE_BASELINE);
	EXPECT_EQ(call(fd, VIDIOC_S_EXT_CTRLS, 0, c, &idx), -ERANGE);
	BoardOptions o;
	o.kernel = KernelVersion::V6_12;
	useBoard("rkvdec", o);
	int r = openVideo("rkvdec");
	EXPECT_EQ(call(r, VIDIOC_S_EXT_CTRLS, 0, c, &idx), 0);
	// cedrus: slice-based only.
	useBoard("cedrus");
	int ce = openVideo("cedrus");
	c[0] = menuCtrl(V4L2_CID_STATELESS_H264_DECODE_MODE, V4L2_STATELESS_H264_DECODE_MODE_FRAME_BASED);
	EXPECT_EQ(call(ce, VIDIOC_S_EXT_CTRLS, 0, c, &idx), -ERANGE);
}

TEST_F(ExtCtrls, Row10_DefValWithSetOrTry_EinvalCount)
{
	int fd = openVideo("rkvdec");
	std::vector<struct v4l2_ext_control> c = {
		menuCtrl(V4L2_CID_MPEG_VIDEO_H264_LEVEL, V4L2_MPEG_VIDEO_H264_LEVEL_4_0)};
	uint32_t idx = 99;
	EXPECT_EQ(call(fd, VIDIOC_S_EXT_CTRLS, V4L2_CTRL_WHICH_DEF_VAL, c, &idx), -EINVAL);
	EXPECT_EQ(idx, 1u);
	EXPECT_EQ(call(fd, VIDIOC_TRY_EXT_CTRLS, V4L2_CTRL_WHICH_DEF_VAL, c, &idx), -EINVAL);
	EXPECT_EQ(idx, 1u) << "count for TRY too";
	ASSERT_EQ(call(fd, VIDIOC_S_EXT_CTRLS, V4L2_CTRL_WHICH_CUR_VAL, c, &idx), 0);
	// G with DEF_VAL reads the defaults, whatever the current values.
	c[0].value = 0;
	ASSERT_EQ(call(fd, VIDIOC_G_EXT_CTRLS, V4L2_CTRL_WHICH_DEF_VAL, c, &idx), 0);
	EXPECT_EQ(c[0].value, V4L2_MPEG_VIDEO_H264_LEVEL_1_0);
	EXPECT_EQ(level(fd), V4L2_MPEG_VIDEO_H264_LEVEL_4_0);
	struct v4l2_ctrl_h264_scaling_matrix m;
	memset(&m, 0, sizeof(m));
	auto g = one(V4L2_CID_STATELESS_H264_SCALING_MATRIX, &m, sizeof(m));
	ASSERT_EQ(extCtrls(fd, VIDIOC_G_EXT_CTRLS, V4L2_CTRL_WHICH_DEF_VAL, -1, g), 0);
	EXPECT_EQ(m.scaling_list_4x4[5][15], 16) << "the flat default matrix";
}

TEST_F(ExtCtrls, Row11_CompoundValidationFails_AtItsIndexEarlierOnesApplied)
{
	Session s;
	ASSERT_NO_FATAL_FAILURE(start(s, "rkvdec", V4L2_PIX_FMT_H264_SLICE, 1, 1));
	struct v4l2_ctrl_h264_pps pps {};
	pps.pic_init_qp_minus26 = 5;
	struct v4l2_ctrl_h264_decode_params dp {};
	dp.nal_ref_idc = 4;	// > 3: rejected by std_validate_compound
	std::vector<struct v4l2_ext_control> c(2);
	c[0].id = V4L2_CID_STATELESS_H264_PPS;
	c[0].ptr = &pps;
	c[0].size = sizeof(pps);
	c[1].id = V4L2_CID_STATELESS_H264_DECODE_PARAMS;
	c[1].ptr = &dp;
	c[1].size = sizeof(dp);
	auto readPps = [&](uint32_t which, int req) {
		struct v4l2_ctrl_h264_pps cur {};
		auto g = one(V4L2_CID_STATELESS_H264_PPS, &cur, sizeof(cur));
		EXPECT_EQ(extCtrls(s.fd, VIDIOC_G_EXT_CTRLS, which, req, g), 0);
		return cur.pic_init_qp_minus26;
	};
	uint32_t idx = 99;
	// TRY: the index, and nothing is ever applied by TRY.
	EXPECT_EQ(call(s.fd, VIDIOC_TRY_EXT_CTRLS, 0, c, &idx), -EINVAL);
	EXPECT_EQ(idx, 1u);
	EXPECT_EQ(readPps(0, -1), 0);
	// S: the index too, and the PPS before it was applied.
	EXPECT_EQ(call(s.fd, VIDIOC_S_EXT_CTRLS, 0, c, &idx), -EINVAL);
	EXPECT_EQ(idx, 1u);
	EXPECT_EQ(readPps(0, -1), 5);
	// Into a request: the PPS went into the request.
	pps.pic_init_qp_minus26 = 9;
	int req = s.requests[0];
	EXPECT_EQ(call(s.fd, VIDIOC_S_EXT_CTRLS, V4L2_CTRL_WHICH_REQUEST_VAL, c, &idx, req), -EINVAL);
	EXPECT_EQ(idx, 1u);
	EXPECT_EQ(readPps(0, -1), 5) << "not a current value";
	ASSERT_EQ(qbuf(s.fd, s.outType, 0, req, 1000, 64), 0);
	ASSERT_EQ(qbuf(s.fd, s.capType, 0), 0);
	ASSERT_EQ(queueRequest(req), 0);
	ASSERT_EQ(pollFd(req, POLLPRI, 5000), POLLPRI);
	EXPECT_EQ(readPps(V4L2_CTRL_WHICH_REQUEST_VAL, req), 9);
	EXPECT_EQ(readPps(0, -1), 9) << "applied at the job";
	// A driver try_ctrl failure is reported the same way: rkvdec, an SPS larger than the
	// OUTPUT format, after a valid PPS.
	CodecControls big = CodecControls::h264(1920, 1088);
	std::vector<struct v4l2_ext_control> b = {c[0], big.controls[0]};
	pps.pic_init_qp_minus26 = 3;
	EXPECT_EQ(call(s.fd, VIDIOC_S_EXT_CTRLS, 0, b, &idx), -EINVAL);
	EXPECT_EQ(idx, 1u);
	EXPECT_EQ(readPps(0, -1), 3);
	endSession(s);
}

TEST_F(ExtCtrls, Row12_RequestValErrors_CountAsErrorIdx)
{
	Session s;
	ASSERT_NO_FATAL_FAILURE(start(s, "rkvdec", V4L2_PIX_FMT_H264_SLICE, 1, 1));
	CodecControls cc = CodecControls::h264(320, 240);
	std::vector<struct v4l2_ext_control> c = cc.controls;
	const uint32_t count = static_cast<uint32_t>(c.size());
	uint32_t idx = 99;
	int req = s.requests[0];
	// EINVAL: request_fd < 0, not a request, another media device's request.
	EXPECT_EQ(call(s.fd, VIDIOC_S_EXT_CTRLS, V4L2_CTRL_WHICH_REQUEST_VAL, c, &idx, -1), -EINVAL);
	EXPECT_EQ(idx, count);
	EXPECT_EQ(call(s.fd, VIDIOC_S_EXT_CTRLS, V4L2_CTRL_WHICH_REQUEST_VAL, c, &idx, s.fd), -EINVAL);
	EXPECT_EQ(idx, count);
	int foreign = allocRequest(openMedia("hantro-vpu"));
	EXPECT_EQ(call(s.fd, VIDIOC_TRY_EXT_CTRLS, V4L2_CTRL_WHICH_REQUEST_VAL, c, &idx, foreign), -EINVAL);
	EXPECT_EQ(idx, count);
	// EBADR needs a media device without request ops; all four drivers have them.
	// ENOMEM: TRY on a request without a control object.
	EXPECT_EQ(call(s.fd, VIDIOC_TRY_EXT_CTRLS, V4L2_CTRL_WHICH_REQUEST_VAL, c, &idx, req), -ENOMEM);
	EXPECT_EQ(idx, count);
	// EACCES: G before completion.
	EXPECT_EQ(call(s.fd, VIDIOC_G_EXT_CTRLS, V4L2_CTRL_WHICH_REQUEST_VAL, c, &idx, req), -EACCES);
	EXPECT_EQ(idx, count);
	// EBUSY: S/TRY on a queued request.
	ASSERT_EQ(setControls(s.fd, cc, req), 0);
	ASSERT_EQ(qbuf(s.fd, s.outType, 0, req, 1000, 64), 0);
	ASSERT_EQ(queueRequest(req), 0);
	EXPECT_EQ(call(s.fd, VIDIOC_S_EXT_CTRLS, V4L2_CTRL_WHICH_REQUEST_VAL, c, &idx, req), -EBUSY);
	EXPECT_EQ(idx, count);
	EXPECT_EQ(call(s.fd, VIDIOC_TRY_EXT_CTRLS, V4L2_CTRL_WHICH_REQUEST_VAL, c, &idx, req), -EBUSY);
	EXPECT_EQ(idx, count);
	endSession(s);
}

TEST_F(ExtCtrls, SanitisedValuesAreWrittenBack)
{
	int fd = openVideo("rkvdec");
	ASSERT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_H264_SLICE, 320, 240), 0);
	for (unsigned long cmd : {VIDIOC_TRY_EXT_CTRLS, VIDIOC_S_EXT_CTRLS}) {
		CodecControls c = CodecControls::h264(320, 240);
		auto *sps = c.payload<struct v4l2_ctrl_h264_sps>(V4L2_CID_STATELESS_H264_SPS);
		sps->profile_idc = 66;	// Baseline has no chroma_format_idc: forced to 1
		sps->chroma_format_idc = 0;
		sps->flags |= V4L2_H264_SPS_FLAG_MB_ADAPTIVE_FRAME_FIELD;
		std::vector<struct v4l2_ext_control> v = c.controls;
		ASSERT_EQ(extCtrls(fd, cmd, 0, -1, v), 0);
		EXPECT_EQ(sps->chroma_format_idc, 1) << cmd;
		EXPECT_FALSE(sps->flags & V4L2_H264_SPS_FLAG_MB_ADAPTIVE_FRAME_FIELD)
			<< "FRAME_MBS_ONLY clears it";
	}
}

// ---- §4.1 rules: timestamps, metadata, sequence numbers, flags -------------------------------

TEST_F(BufferMetadata, TimestampsAreCopiedAtQbufOutputOnly)
{
	int fd = openWithBuffers("rkvdec", V4L2_PIX_FMT_H264_SLICE, 1, 1);
	int media = openMedia("rkvdec");
	int req = allocRequest(media);
	BufInfo reply;
	ASSERT_EQ(qbufOut(fd, 0, req, 123456789, 0, V4L2_FIELD_NONE, nullptr, &reply), 0);
	EXPECT_EQ(reply.timestampUs, 123456789u);
	EXPECT_EQ(info(fd, outType(fd), 0).timestampUs, 123456789u) << "request QBUF copies it now";
	// CAPTURE buffers take no timestamp from userspace.
	struct v4l2_plane planes[VIDEO_MAX_PLANES] = {};
	struct v4l2_buffer b {};
	b.type = capType(fd);
	b.memory = V4L2_MEMORY_MMAP;
	b.m.planes = planes;
	b.length = 1;
	b.timestamp.tv_sec = 7;
	ASSERT_EQ(xioctl(fd, VIDIOC_QBUF, &b), 0);
	EXPECT_EQ(info(fd, capType(fd), 0).timestampUs, 0u);
	// visl, plain QBUF: copied as well.
	useBoard("visl");
	int v = openWithBuffers("visl", V4L2_PIX_FMT_H264_SLICE, 1, 0);
	ASSERT_EQ(qbufOut(v, 0, -1, 42, 0, V4L2_FIELD_NONE), 0);
	EXPECT_EQ(info(v, outType(v), 0).timestampUs, 42u);
}

TEST_F(BufferMetadata, CaptureGetsTheOutputMetadataAtDeviceRun)
{
	useThreaded("fresnel", 200000);
	Session s;
	ASSERT_NO_FATAL_FAILURE(start(s, "rkvdec", V4L2_PIX_FMT_H264_SLICE, 1, 1));
	CodecControls c = CodecControls::h264(320, 240);
	struct v4l2_timecode tc {};
	tc.type = V4L2_TC_TYPE_25FPS;
	tc.frames = 3;
	tc.seconds = 4;
	int req = s.requests[0];
	ASSERT_EQ(setControls(s.fd, c, req), 0);
	// Any field is forced to NONE by the drivers' buf_out_validate.
	ASSERT_EQ(qbufOut(s.fd, 0, req, 5000001, V4L2_BUF_FLAG_KEYFRAME | V4L2_BUF_FLAG_TIMECODE |
						  V4L2_BUF_FLAG_TSTAMP_SRC_SOE,
			  V4L2_FIELD_INTERLACED, &tc), 0);
	EXPECT_EQ(info(s.fd, s.outType, 0).field, static_cast<uint32_t>(V4L2_FIELD_NONE));
	ASSERT_EQ(qbuf(s.fd, s.capType, 0), 0);
	ASSERT_EQ(queueRequest(req), 0);
	// The copy happens at device_run, before the decode completes.
	BufInfo during = info(s.fd, s.capType, 0);
	EXPECT_TRUE(during.flags & V4L2_BUF_FLAG_QUEUED);
	EXPECT_EQ(during.timestampUs, 5000001u);
	ASSERT_EQ(pollFd(req, POLLPRI, 5000), POLLPRI);
	BufInfo cap = dq(s.fd, s.capType);
	ASSERT_EQ(cap.ret, 0);
	EXPECT_EQ(cap.timestampUs, 5000001u);
	EXPECT_TRUE(cap.flags & V4L2_BUF_FLAG_KEYFRAME);
	EXPECT_FALSE(cap.flags & (V4L2_BUF_FLAG_PFRAME | V4L2_BUF_FLAG_BFRAME));
	EXPECT_TRUE(cap.flags & V4L2_BUF_FLAG_TIMECODE);
	EXPECT_EQ(cap.timecode.frames, 3);
	EXPECT_EQ(cap.timecode.seconds, 4);
	EXPECT_EQ(cap.flags & V4L2_BUF_FLAG_TSTAMP_SRC_MASK, static_cast<uint32_t>(V4L2_BUF_FLAG_TSTAMP_SRC_SOE))
		<< "M2M:v4l2_m2m_buf_copy_metadata copies the timestamp source too";
	EXPECT_EQ(cap.field, static_cast<uint32_t>(V4L2_FIELD_NONE));
	BufInfo out = dq(s.fd, s.outType);
	ASSERT_EQ(out.ret, 0);
	EXPECT_EQ(out.field, static_cast<uint32_t>(V4L2_FIELD_NONE));
	EXPECT_TRUE(out.flags & V4L2_BUF_FLAG_KEYFRAME) << "OUTPUT flags are kept from QBUF";
	// A B-frame replaces the frame-type flags of the reused CAPTURE buffer.
	ASSERT_EQ(reinitRequest(req), 0);
	ASSERT_EQ(setControls(s.fd, c, req), 0);
	ASSERT_EQ(qbufOut(s.fd, 0, req, 6000000, V4L2_BUF_FLAG_BFRAME, V4L2_FIELD_ANY), 0);
	ASSERT_EQ(qbuf(s.fd, s.capType, 0), 0);
	ASSERT_EQ(queueRequest(req), 0);
	ASSERT_EQ(pollFd(req, POLLPRI, 5000), POLLPRI);
	cap = dq(s.fd, s.capType);
	ASSERT_EQ(cap.ret, 0);
	EXPECT_EQ(cap.flags & (V4L2_BUF_FLAG_KEYFRAME | V4L2_BUF_FLAG_PFRAME | V4L2_BUF_FLAG_BFRAME),
		  static_cast<uint32_t>(V4L2_BUF_FLAG_BFRAME));
	EXPECT_EQ(cap.field, static_cast<uint32_t>(V4L2_FIELD_NONE)) << "FIELD_ANY becomes NONE";
	endSession(s);
}

TEST_F(BufferMetadata, CaptureFlagsFromUserspaceAreDropped)
{
	int fd = openWithBuffers("rkvdec", V4L2_PIX_FMT_H264_SLICE, 0, 1);
	struct v4l2_plane planes[VIDEO_MAX_PLANES] = {};
	struct v4l2_buffer b {};
	b.type = capType(fd);
	b.memory = V4L2_MEMORY_MMAP;
	b.m.planes = planes;
	b.length = 1;
	b.flags = V4L2_BUF_FLAG_KEYFRAME | V4L2_BUF_FLAG_PFRAME | V4L2_BUF_FLAG_BFRAME |
		  V4L2_BUF_FLAG_TIMECODE | V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF | V4L2_BUF_FLAG_LAST |
		  V4L2_BUF_FLAG_TSTAMP_SRC_SOE;
	ASSERT_EQ(xioctl(fd, VIDIOC_QBUF, &b), 0);
	EXPECT_EQ(flagsOf(fd, capType(fd), 0) & ~static_cast<uint32_t>(V4L2_BUF_FLAG_TIMESTAMP_MASK),
		  static_cast<uint32_t>(V4L2_BUF_FLAG_QUEUED))
		<< "OUTPUT-only flags, LAST and the timestamp source are dropped";
}

TEST_F(BufferMetadata, SequenceNumbersSetByHantroAndVislZeroOnRkvdecAndCedrus)
{
	struct Case {
		const char *board;
		const char *device;
		uint32_t fourcc;
		bool counts;
	};
	for (const Case &k : {Case{"hantro", "hantro-vpu", V4L2_PIX_FMT_VP8_FRAME, true},
			      Case{"visl", "visl", V4L2_PIX_FMT_H264_SLICE, true},
			      Case{"rkvdec", "rkvdec", V4L2_PIX_FMT_H264_SLICE, false},
			      Case{"cedrus", "cedrus", V4L2_PIX_FMT_MPEG2_SLICE, false}}) {
		useBoard(k.board);
		Session s;
		ASSERT_NO_FATAL_FAILURE(start(s, k.device, k.fourcc, 2, 2));
		CodecControls c = CodecControls::forFourcc(k.fourcc, 320, 240);
		uint64_t ts = 1000;
		auto decode = [&](uint32_t i, uint32_t *outSeq) {
			struct v4l2_buffer cap {};
			EXPECT_EQ(decodeOne(s, c, i % 2, i % 2, ts += 1000, &cap), 0) << k.device;
			// decodeOne dequeued the OUTPUT buffer too: its sequence is in QUERYBUF.
			*outSeq = info(s.fd, s.outType, i % 2).sequence;
			return cap.sequence;
		};
		uint32_t outSeq = 0;
		for (uint32_t i = 0; i < 3; i++) {
			EXPECT_EQ(decode(i, &outSeq), k.counts ? i : 0u) << k.device << " CAPTURE " << i;
			EXPECT_EQ(outSeq, k.counts ? i : 0u) << k.device << " OUTPUT " << i;
		}
		// STREAMON resets the counter of that queue only.
		ASSERT_EQ(streamoff(s.fd, s.capType), 0);
		ASSERT_EQ(streamon(s.fd, s.capType), 0);
		EXPECT_EQ(decode(3, &outSeq), 0u) << k.device;
		EXPECT_EQ(outSeq, k.counts ? 3u : 0u) << k.device;
		endSession(s);
	}
}

TEST_F(BufferMetadata, HoldFlagStrippedWithoutHoldSupport)
{
	auto hold = [&](int fd, int media, uint32_t index) {
		BufInfo reply;
		int req = allocRequest(media);
		EXPECT_EQ(qbufOut(fd, index, req, 1000, V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF, V4L2_FIELD_NONE,
				  nullptr, &reply), 0);
		bool inReply = reply.flags & V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF;
		bool queried = flagsOf(fd, outType(fd), index) & V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF;
		EXPECT_EQ(inReply, queried);
		return queried;
	};
	// hantro: HOLD only for H.264, which RK3399 does not decode.
	useBoard("hantro");
	int h = openWithBuffers("hantro-vpu", V4L2_PIX_FMT_MPEG2_SLICE, 1, 0);
	EXPECT_FALSE(caps(h, outType(h)) & V4L2_BUF_CAP_SUPPORTS_M2M_HOLD_CAPTURE_BUF);
	ASSERT_EQ(reqbufs(h, outType(h), 1), 1);
	EXPECT_FALSE(hold(h, openMedia("hantro-vpu"), 0));

	// 6.12 rkvdec: nothing at open (the flag is ORed in by S_FMT), then H.264 sets it and it
	// is never cleared, not even for VP9.
	BoardOptions o;
	o.kernel = KernelVersion::V6_12;
	useBoard("rkvdec", o);
	int r = openVideo("rkvdec");
	int rm = openMedia("rkvdec");
	EXPECT_FALSE(caps(r, outType(r)) & V4L2_BUF_CAP_SUPPORTS_M2M_HOLD_CAPTURE_BUF);
	ASSERT_EQ(reqbufs(r, outType(r), 1), 1);
	EXPECT_FALSE(hold(r, rm, 0)) << "H.264 by default, but no S_FMT yet";
	ASSERT_EQ(reqbufs(r, outType(r), 0), 0);
	ASSERT_EQ(setFormat(r, outType(r), V4L2_PIX_FMT_H264_SLICE, 320, 240), 0);
	EXPECT_TRUE(caps(r, outType(r)) & V4L2_BUF_CAP_SUPPORTS_M2M_HOLD_CAPTURE_BUF);
	ASSERT_EQ(setFormat(r, outType(r), V4L2_PIX_FMT_VP9_FRAME, 320, 240), 0);
	EXPECT_TRUE(caps(r, outType(r)) & V4L2_BUF_CAP_SUPPORTS_M2M_HOLD_CAPTURE_BUF);
	ASSERT_EQ(reqbufs(r, outType(r), 1), 1);
	EXPECT_TRUE(hold(r, rm, 0)) << "VP9 after H.264: still supported";

	// Mainline rkvdec opens with HEVC, which has no HOLD on RK3399.
	useBoard("rkvdec");
	int m = openVideo("rkvdec");
	EXPECT_FALSE(caps(m, outType(m)) & V4L2_BUF_CAP_SUPPORTS_M2M_HOLD_CAPTURE_BUF);

	// cedrus: H.264 and HEVC; set and cleared by S_FMT(OUTPUT).
	useBoard("cedrus");
	int c = openVideo("cedrus");
	int cm = openMedia("cedrus");
	ASSERT_EQ(reqbufs(c, outType(c), 1), 1);
	EXPECT_FALSE(hold(c, cm, 0)) << "MPEG-2";
	ASSERT_EQ(reqbufs(c, outType(c), 0), 0);
	ASSERT_EQ(setFormat(c, outType(c), V4L2_PIX_FMT_HEVC_SLICE, 320, 240), 0);
	ASSERT_EQ(reqbufs(c, outType(c), 1), 1);
	EXPECT_TRUE(hold(c, cm, 0));
	ASSERT_EQ(reqbufs(c, outType(c), 0), 0);
	ASSERT_EQ(setFormat(c, outType(c), V4L2_PIX_FMT_MPEG2_SLICE, 320, 240), 0);
	EXPECT_FALSE(caps(c, outType(c)) & V4L2_BUF_CAP_SUPPORTS_M2M_HOLD_CAPTURE_BUF);

	// visl: always.
	useBoard("visl");
	int v = openWithBuffers("visl", V4L2_PIX_FMT_MPEG2_SLICE, 1, 0);
	EXPECT_TRUE(hold(v, openMedia("visl"), 0));
}

// ---- §4.2 HOLD_CAPTURE_BUF ------------------------------------------------------------------

TEST_F(HoldCaptureBuf, Visl_HeldUntilTheNextTimestampDiffers)
{
	useBoard("visl");
	Session s;
	ASSERT_NO_FATAL_FAILURE(start(s, "visl", V4L2_PIX_FMT_H264_SLICE, 3, 2));
	CodecControls c = CodecControls::h264(320, 240);
	ASSERT_EQ(qbuf(s.fd, s.capType, 0), 0);
	ASSERT_EQ(qbuf(s.fd, s.capType, 1), 0);
	ASSERT_EQ(slice(s, c, 0, 1000, V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF), 0);
	ASSERT_EQ(slice(s, c, 1, 1000, V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF), 0);
	// Both slices decoded into CAPTURE 0; their requests and OUTPUT buffers are done.
	EXPECT_EQ(jobs(), 2u);
	EXPECT_EQ(pollFd(s.requests[0], POLLPRI), POLLPRI);
	EXPECT_EQ(pollFd(s.requests[1], POLLPRI), POLLPRI);
	EXPECT_EQ(pollFd(s.fd, POLLIN | POLLOUT), POLLOUT) << "the CAPTURE buffer is held";
	BufInfo held = info(s.fd, s.capType, 0);
	EXPECT_EQ(held.flags & kStateFlags, static_cast<uint32_t>(V4L2_BUF_FLAG_QUEUED));
	EXPECT_EQ(held.timestampUs, 1u);
	EXPECT_TRUE(info(s.fd, s.capType, 1).flags & V4L2_BUF_FLAG_QUEUED);
	// The next picture (another timestamp, no HOLD) releases it DONE first.
	ASSERT_EQ(slice(s, c, 2, 2000, 0), 0);
	EXPECT_EQ(jobs(), 3u);
	BufInfo cap = dq(s.fd, s.capType);
	ASSERT_EQ(cap.ret, 0);
	EXPECT_EQ(cap.index, 0u);
	EXPECT_EQ(cap.timestampUs, 1u);
	EXPECT_FALSE(cap.flags & V4L2_BUF_FLAG_ERROR);
	cap = dq(s.fd, s.capType);
	ASSERT_EQ(cap.ret, 0);
	EXPECT_EQ(cap.index, 1u);
	EXPECT_EQ(cap.timestampUs, 2u);
	endSession(s);
}

TEST_F(HoldCaptureBuf, Rkvdec_AJobWithoutHoldReleasesTheBuffer)
{
	Session s;
	ASSERT_NO_FATAL_FAILURE(start(s, "rkvdec", V4L2_PIX_FMT_H264_SLICE, 2, 2));
	CodecControls c = CodecControls::h264(320, 240);
	ASSERT_EQ(qbuf(s.fd, s.capType, 0), 0);
	ASSERT_EQ(qbuf(s.fd, s.capType, 1), 0);
	ASSERT_EQ(slice(s, c, 0, 1000, V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF), 0);
	EXPECT_EQ(pollFd(s.fd, POLLIN), 0);
	ASSERT_EQ(slice(s, c, 1, 1000, 0), 0);	// the last slice of the picture
	EXPECT_EQ(jobs(), 2u);
	BufInfo cap = dq(s.fd, s.capType);
	ASSERT_EQ(cap.ret, 0);
	EXPECT_EQ(cap.index, 0u) << "both slices went into the same buffer";
	EXPECT_EQ(cap.timestampUs, 1u);
	EXPECT_TRUE(info(s.fd, s.capType, 1).flags & V4L2_BUF_FLAG_QUEUED) << "buffer 1 is unused";
	endSession(s);
}

TEST_F(HoldCaptureBuf, Rkvdec_ReleaseOnANewTimestampWithOneCaptureBuffer)
{
	Session s;
	ASSERT_NO_FATAL_FAILURE(start(s, "rkvdec", V4L2_PIX_FMT_H264_SLICE, 2, 1));
	CodecControls c = CodecControls::h264(320, 240);
	ASSERT_EQ(qbuf(s.fd, s.capType, 0), 0);
	ASSERT_EQ(slice(s, c, 0, 1000, V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF), 0);
	ASSERT_EQ(slice(s, c, 1, 2000, V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF), 0);
	// The held buffer went back DONE; the new picture waits for a CAPTURE buffer.
	EXPECT_EQ(jobs(), 1u);
	EXPECT_EQ(pollFd(s.requests[1], POLLPRI), 0);
	BufInfo cap = dq(s.fd, s.capType);
	ASSERT_EQ(cap.ret, 0);
	EXPECT_EQ(cap.timestampUs, 1u);
	ASSERT_EQ(qbuf(s.fd, s.capType, 0), 0);
	EXPECT_EQ(jobs(), 2u);
	EXPECT_EQ(pollFd(s.requests[1], POLLPRI), POLLPRI);
	EXPECT_EQ(pollFd(s.fd, POLLIN), 0) << "held again (HOLD on the second picture)";
	endSession(s);
}

TEST_F(HoldCaptureBuf, FlushReleasesAHeldBufferWhenNoOutputIsPending)
{
	useBoard("visl");
	Session s;
	ASSERT_NO_FATAL_FAILURE(start(s, "visl", V4L2_PIX_FMT_H264_SLICE, 1, 1));
	CodecControls c = CodecControls::h264(320, 240);
	ASSERT_EQ(qbuf(s.fd, s.capType, 0), 0);
	ASSERT_EQ(slice(s, c, 0, 1000, V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF), 0);
	EXPECT_EQ(pollFd(s.fd, POLLIN), 0);
	struct v4l2_decoder_cmd dc {};
	dc.cmd = V4L2_DEC_CMD_FLUSH;
	ASSERT_EQ(xioctl(s.fd, VIDIOC_TRY_DECODER_CMD, &dc), 0);
	EXPECT_EQ(pollFd(s.fd, POLLIN), 0) << "TRY_DECODER_CMD changes nothing";
	ASSERT_EQ(xioctl(s.fd, VIDIOC_DECODER_CMD, &dc), 0);
	BufInfo cap = dq(s.fd, s.capType);
	ASSERT_EQ(cap.ret, 0);
	EXPECT_EQ(cap.timestampUs, 1u);
	EXPECT_FALSE(cap.flags & V4L2_BUF_FLAG_ERROR);
	endSession(s);
}

TEST_F(HoldCaptureBuf, FlushLooksOnlyAtTheLastCaptureBuffer)
{
	// M2M:v4l2_m2m_ioctl_stateless_decoder_cmd checks v4l2_m2m_last_dst_buf(): with another
	// CAPTURE buffer queued behind the held one, FLUSH releases nothing.
	useBoard("visl");
	Session s;
	ASSERT_NO_FATAL_FAILURE(start(s, "visl", V4L2_PIX_FMT_H264_SLICE, 2, 2));
	CodecControls c = CodecControls::h264(320, 240);
	ASSERT_EQ(qbuf(s.fd, s.capType, 0), 0);
	ASSERT_EQ(slice(s, c, 0, 1000, V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF), 0);
	ASSERT_EQ(qbuf(s.fd, s.capType, 1), 0);
	struct v4l2_decoder_cmd dc {};
	dc.cmd = V4L2_DEC_CMD_FLUSH;
	ASSERT_EQ(xioctl(s.fd, VIDIOC_DECODER_CMD, &dc), 0);
	EXPECT_EQ(pollFd(s.fd, POLLIN), 0) << "still held";
	EXPECT_TRUE(info(s.fd, s.capType, 0).flags & V4L2_BUF_FLAG_QUEUED);
	// The last slice (no HOLD) releases it.
	ASSERT_EQ(slice(s, c, 1, 1000, 0), 0);
	BufInfo cap = dq(s.fd, s.capType);
	ASSERT_EQ(cap.ret, 0);
	EXPECT_EQ(cap.index, 0u);
	endSession(s);
}

TEST_F(HoldCaptureBuf, FlushClearsTheHoldFlagOfAPendingOutputBuffer)
{
	useThreaded("visl", 200000);
	Session s;
	ASSERT_NO_FATAL_FAILURE(start(s, "visl", V4L2_PIX_FMT_H264_SLICE, 2, 1));
	CodecControls c = CodecControls::h264(320, 240);
	ASSERT_EQ(qbuf(s.fd, s.capType, 0), 0);
	ASSERT_EQ(slice(s, c, 0, 1000, V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF), 0);	// running
	ASSERT_EQ(slice(s, c, 1, 1000, V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF), 0);	// pending
	ASSERT_TRUE(flagsOf(s.fd, s.outType, 1) & V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF);
	struct v4l2_decoder_cmd dc {};
	dc.cmd = V4L2_DEC_CMD_FLUSH;
	ASSERT_EQ(xioctl(s.fd, VIDIOC_DECODER_CMD, &dc), 0);
	EXPECT_FALSE(flagsOf(s.fd, s.outType, 1) & V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF)
		<< "the last pending OUTPUT buffer lost its HOLD flag";
	// So the picture ends with that slice and the buffer is returned.
	EXPECT_EQ(pollFd(s.fd, POLLIN, 5000), POLLIN);
	BufInfo cap = dq(s.fd, s.capType);
	ASSERT_EQ(cap.ret, 0);
	EXPECT_EQ(jobs(), 2u);
	endSession(s);
}

TEST_F(HoldCaptureBuf, Rkvdec_AnErrorOfAnEarlierSliceIsNotCarried)
{
	Session s;
	ASSERT_NO_FATAL_FAILURE(start(s, "rkvdec", V4L2_PIX_FMT_H264_SLICE, 2, 2));
	CodecControls c = CodecControls::h264(320, 240);
	FaultPlan plan;
	plan.decodes.push_back({"rkvdec", DecodeFaultKind::Error, 1});
	plan.decodes.push_back({"rkvdec", DecodeFaultKind::Error, 3});
	board().setFaults(plan);
	ASSERT_EQ(qbuf(s.fd, s.capType, 0), 0);
	ASSERT_EQ(slice(s, c, 0, 1000, V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF), 0);	// job 1: error
	BufInfo out = dq(s.fd, s.outType);
	ASSERT_EQ(out.ret, 0);
	EXPECT_TRUE(out.flags & V4L2_BUF_FLAG_ERROR) << "the slice's OUTPUT buffer reports it";
	EXPECT_EQ(pollFd(s.fd, POLLIN), 0) << "the CAPTURE buffer is still held";
	ASSERT_EQ(slice(s, c, 1, 1000, 0), 0);	// job 2: fine, no HOLD
	BufInfo cap = dq(s.fd, s.capType);
	ASSERT_EQ(cap.ret, 0);
	EXPECT_FALSE(cap.flags & V4L2_BUF_FLAG_ERROR) << "the earlier slice's error is lost";
	ASSERT_EQ(dq(s.fd, s.outType).ret, 0);
	// An error on the last held slice is not carried by the timestamp release either.
	ASSERT_EQ(qbuf(s.fd, s.capType, 0), 0);
	ASSERT_EQ(qbuf(s.fd, s.capType, 1), 0);
	ASSERT_EQ(slice(s, c, 0, 2000, V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF), 0);	// job 3: error
	ASSERT_EQ(slice(s, c, 1, 3000, 0), 0);
	cap = dq(s.fd, s.capType);
	ASSERT_EQ(cap.ret, 0);
	EXPECT_EQ(cap.timestampUs, 2u);
	EXPECT_FALSE(cap.flags & V4L2_BUF_FLAG_ERROR) << "the timestamp release always uses DONE";
	endSession(s);
}

// ---- §4.3 mmap offsets ----------------------------------------------------------------------

TEST_F(MmapOffsets, IndexTimes0x8000AndReusedByANewReqbufs)
{
	int fd = openWithBuffers("rkvdec", V4L2_PIX_FMT_H264_SLICE, 3, 3);
	for (uint32_t i = 0; i < 3; i++) {
		EXPECT_EQ(info(fd, outType(fd), i).offset, i * 0x8000u);
		EXPECT_EQ(info(fd, capType(fd), i).offset, kCaptureBase + i * 0x8000u);
	}
	// CREATE_BUFS continues after the last index.
	uint32_t size = fmt(fd, capType(fd)).fmt.pix_mp.plane_fmt[0].sizeimage;
	struct v4l2_create_buffers cb {};
	ASSERT_EQ(createBufs(fd, capType(fd), 2, size, &cb), 2);
	EXPECT_EQ(cb.index, 3u);
	EXPECT_EQ(info(fd, capType(fd), 4).offset, kCaptureBase + 4 * 0x8000u);
	// A new REQBUFS hands out the same offsets for new memory; the old mapping keeps the
	// old (orphaned) memory.
	size_t len = 0;
	auto *old = static_cast<uint8_t *>(mapBuffer(fd, capType(fd), 0, 0, &len, PROT_READ | PROT_WRITE));
	ASSERT_NE(old, nullptr);
	old[0] = 0x77;
	ASSERT_EQ(reqbufs(fd, capType(fd), 0), 0);
	ASSERT_EQ(reqbufs(fd, capType(fd), 1), 1);
	EXPECT_EQ(info(fd, capType(fd), 0).offset, kCaptureBase);
	auto *fresh = static_cast<uint8_t *>(mapBuffer(fd, capType(fd), 0, 0, &len, PROT_READ | PROT_WRITE));
	ASSERT_NE(fresh, nullptr);
	EXPECT_EQ(fresh[0], 0) << "new memory behind the same offset";
	EXPECT_EQ(old[0], 0x77) << "the orphaned mapping still works";
	fresh[0] = 0x12;
	EXPECT_EQ(old[0], 0x77);
	EXPECT_EQ(unmap(fresh, len), 0);
	EXPECT_EQ(unmap(old, len), 0);
}

TEST_F(MmapOffsets, RemoveBufsLeavesAHoleThatCreateBufsFills)
{
	useBoard("visl");
	int fd = openWithBuffers("visl", V4L2_PIX_FMT_H264_SLICE, 0, 3);
	struct v4l2_remove_buffers rb {};
	rb.type = capType(fd);
	rb.index = 1;
	rb.count = 1;
	ASSERT_EQ(xioctl(fd, VIDIOC_REMOVE_BUFS, &rb), 0);
	EXPECT_EQ(info(fd, capType(fd), 1).ret, -EINVAL);
	EXPECT_EQ(info(fd, capType(fd), 2).offset, kCaptureBase + 2 * 0x8000u) << "others keep theirs";
	uint32_t size = fmt(fd, capType(fd)).fmt.pix_mp.plane_fmt[0].sizeimage;
	struct v4l2_create_buffers cb {};
	ASSERT_EQ(createBufs(fd, capType(fd), 1, size, &cb), 1);
	EXPECT_EQ(cb.index, 1u);
	EXPECT_EQ(info(fd, capType(fd), 1).offset, kCaptureBase + 0x8000u);
}

// ---- References (decode-engine checks, diagnostics.h) ---------------------------------------

class ReferenceTest : public StateTest {
protected:
	void SetUp() override
	{
		StateTest::SetUp();
		ASSERT_NO_FATAL_FAILURE(start(s_, "rkvdec", V4L2_PIX_FMT_H264_SLICE, 2, 4));
	}
	void TearDown() override
	{
		endSession(s_);
		StateTest::TearDown();
	}
	/// H.264 picture with POC poc referencing (ts, POC refPoc) in dpb[0] (none if ts == 0).
	CodecControls picture(int32_t poc, uint64_t refTs, int32_t refTop, int32_t refBottom,
			      uint32_t dpbFlags = V4L2_H264_DPB_ENTRY_FLAG_VALID | V4L2_H264_DPB_ENTRY_FLAG_ACTIVE,
			      uint32_t fields = V4L2_H264_FRAME_REF)
	{
		CodecControls c = CodecControls::h264(320, 240, refTs == 0);
		auto *dp = c.payload<struct v4l2_ctrl_h264_decode_params>(V4L2_CID_STATELESS_H264_DECODE_PARAMS);
		dp->top_field_order_cnt = poc;
		dp->bottom_field_order_cnt = poc;
		if (refTs) {
			dp->dpb[0].reference_ts = refTs;
			dp->dpb[0].flags = dpbFlags;
			dp->dpb[0].fields = static_cast<uint8_t>(fields);
			dp->dpb[0].top_field_order_cnt = refTop;
			dp->dpb[0].bottom_field_order_cnt = refBottom;
		}
		return c;
	}
	int decode(CodecControls &c, uint32_t capIndex, uint64_t ts, struct v4l2_buffer *cap = nullptr)
	{
		int ret = decodeOne(s_, c, slot_, capIndex, ts, cap);
		slot_ ^= 1;
		return ret;
	}
	size_t referenceDiagnostics()
	{
		return countDiagnostics(DiagnosticKind::ReferenceMissing) +
		       countDiagnostics(DiagnosticKind::ReferenceNotDecoded) +
		       countDiagnostics(DiagnosticKind::ReferenceIdentity) +
		       countDiagnostics(DiagnosticKind::ReferenceIsTarget);
	}
	Session s_;
	uint32_t slot_ = 0;
};

using H264References = ReferenceTest;

TEST_F(H264References, AValidReferenceResolvesSilently)
{
	CodecControls idr = picture(0, 0, 0, 0);
	ASSERT_EQ(decode(idr, 0, 1000000), 0);
	CodecControls p = picture(2, 1000000, 0, 0);
	struct v4l2_buffer cap {};
	ASSERT_EQ(decode(p, 1, 2000000, &cap), 0);
	EXPECT_EQ(referenceDiagnostics(), 0u);
	EXPECT_FALSE(cap.flags & V4L2_BUF_FLAG_ERROR);
	// Entries that are not both VALID and ACTIVE are not references.
	CodecControls stale = picture(4, 999, 0, 0, V4L2_H264_DPB_ENTRY_FLAG_VALID);
	ASSERT_EQ(decode(stale, 2, 3000000), 0);
	CodecControls inactive = picture(4, 999, 0, 0, V4L2_H264_DPB_ENTRY_FLAG_ACTIVE);
	ASSERT_EQ(decode(inactive, 3, 4000000), 0);
	EXPECT_EQ(referenceDiagnostics(), 0u);
}

TEST_F(H264References, LookupIsAnExactNanosecondMatch)
{
	CodecControls idr = picture(0, 0, 0, 0);
	ASSERT_EQ(decode(idr, 0, 1000000), 0);	// 1 ms: 1000000 ns
	CodecControls p1 = picture(2, 1000001, 0, 0);	// 1 ns off
	struct v4l2_buffer cap {};
	ASSERT_EQ(decode(p1, 1, 2000000, &cap), 0) << "a bad reference never fails the request";
	EXPECT_FALSE(cap.flags & V4L2_BUF_FLAG_ERROR);
	EXPECT_EQ(countDiagnostics(DiagnosticKind::ReferenceMissing), 1u);
	CodecControls p2 = picture(2, 1001000, 0, 0);	// 1 us off
	ASSERT_EQ(decode(p2, 2, 3000000), 0);
	EXPECT_EQ(countDiagnostics(DiagnosticKind::ReferenceMissing), 2u);
	CodecControls p3 = picture(2, 1000, 0, 0);	// microseconds instead of nanoseconds
	ASSERT_EQ(decode(p3, 3, 4000000), 0);
	EXPECT_EQ(countDiagnostics(DiagnosticKind::ReferenceMissing), 3u);
	for (const Diagnostic &d : board().diagnostics()) {
		EXPECT_EQ(d.device, "rkvdec");
		EXPECT_GE(d.job, 2u);
	}
	EXPECT_EQ(countDiagnostics(DiagnosticKind::ReferenceIdentity), 0u);
}

TEST_F(H264References, StreamoffOfCaptureForgetsEveryTimestamp)
{
	CodecControls idr = picture(0, 0, 0, 0);
	ASSERT_EQ(decode(idr, 0, 1000000), 0);
	ASSERT_EQ(streamoff(s_.fd, s_.capType), 0);
	ASSERT_EQ(streamon(s_.fd, s_.capType), 0);
	CodecControls p = picture(2, 1000000, 0, 0);
	ASSERT_EQ(decode(p, 1, 2000000), 0);
	EXPECT_EQ(countDiagnostics(DiagnosticKind::ReferenceMissing), 1u)
		<< "copied_timestamp was cleared by the cancel";
}

TEST_F(H264References, ReusingAReferencedBufferLosesTheReference)
{
	// vb2_find_buffer runs after the copy of the new timestamp into the target buffer.
	CodecControls idr = picture(0, 0, 0, 0);
	ASSERT_EQ(decode(idr, 0, 1000000), 0);
	CodecControls p = picture(2, 1000000, 0, 0);
	ASSERT_EQ(decode(p, 0, 2000000), 0);
	EXPECT_EQ(countDiagnostics(DiagnosticKind::ReferenceMissing), 1u);
	// Naming the picture being decoded itself.
	CodecControls self = picture(4, 3000000, 4, 4);
	ASSERT_EQ(decode(self, 1, 3000000), 0);
	EXPECT_EQ(countDiagnostics(DiagnosticKind::ReferenceIsTarget), 1u);
}

TEST_F(H264References, AFailedDecodeIsNoReference)
{
	FaultPlan plan;
	plan.decodes.push_back({"rkvdec", DecodeFaultKind::Error, 1});
	board().setFaults(plan);
	CodecControls idr = picture(0, 0, 0, 0);
	struct v4l2_buffer cap {};
	ASSERT_EQ(decode(idr, 0, 1000000, &cap), 0);
	ASSERT_TRUE(cap.flags & V4L2_BUF_FLAG_ERROR);
	CodecControls p = picture(2, 1000000, 0, 0);
	ASSERT_EQ(decode(p, 1, 2000000), 0);
	EXPECT_EQ(countDiagnostics(DiagnosticKind::ReferenceNotDecoded), 1u);
	EXPECT_EQ(countDiagnostics(DiagnosticKind::ReferenceMissing), 0u) << "the timestamp did resolve";
}

TEST_F(H264References, IdentityIsThePictureOrderCount)
{
	CodecControls idr = picture(0, 0, 0, 0);
	ASSERT_EQ(decode(idr, 0, 1000000), 0);
	CodecControls wrong = picture(2, 1000000, 40, 40);
	ASSERT_EQ(decode(wrong, 1, 2000000), 0);
	EXPECT_EQ(countDiagnostics(DiagnosticKind::ReferenceIdentity), 1u);
	// A top-field reference names only the top field: a bottom POC mismatch is not checked.
	CodecControls top = picture(2, 1000000, 0, 77, V4L2_H264_DPB_ENTRY_FLAG_VALID |
						       V4L2_H264_DPB_ENTRY_FLAG_ACTIVE,
				    V4L2_H264_TOP_FIELD_REF);
	ASSERT_EQ(decode(top, 2, 3000000), 0);
	EXPECT_EQ(countDiagnostics(DiagnosticKind::ReferenceIdentity), 1u);
	CodecControls bottom = picture(2, 1000000, 0, 77, V4L2_H264_DPB_ENTRY_FLAG_VALID |
							  V4L2_H264_DPB_ENTRY_FLAG_ACTIVE,
				       V4L2_H264_BOTTOM_FIELD_REF);
	ASSERT_EQ(decode(bottom, 3, 4000000), 0);
	EXPECT_EQ(countDiagnostics(DiagnosticKind::ReferenceIdentity), 2u);
	EXPECT_EQ(countDiagnostics(DiagnosticKind::ReferenceMissing), 0u);
}

TEST_F(Mpeg2References, ResolvedByTimestampOnHantro)
{
	// Not H.264 only: MPEG-2 names its references by timestamp alone.
	useBoard("hantro");
	Session s;
	ASSERT_NO_FATAL_FAILURE(start(s, "hantro-vpu", V4L2_PIX_FMT_MPEG2_SLICE, 2, 3));
	CodecControls i = CodecControls::mpeg2(320, 240);
	auto *ipic = i.payload<struct v4l2_ctrl_mpeg2_picture>(V4L2_CID_STATELESS_MPEG2_PICTURE);
	ipic->forward_ref_ts = 12345;	// ignored for an I picture
	ASSERT_EQ(decodeOne(s, i, 0, 0, 1000000), 0);
	CodecControls p = CodecControls::mpeg2(320, 240);
	auto *ppic = p.payload<struct v4l2_ctrl_mpeg2_picture>(V4L2_CID_STATELESS_MPEG2_PICTURE);
	ppic->picture_coding_type = V4L2_MPEG2_PIC_CODING_TYPE_P;
	ppic->forward_ref_ts = 1000000;
	ASSERT_EQ(decodeOne(s, p, 1, 1, 2000000), 0);
	EXPECT_EQ(countDiagnostics(DiagnosticKind::ReferenceMissing), 0u);
	ppic->picture_coding_type = V4L2_MPEG2_PIC_CODING_TYPE_B;
	ppic->backward_ref_ts = 7000000;
	ASSERT_EQ(decodeOne(s, p, 0, 2, 3000000), 0);
	EXPECT_EQ(countDiagnostics(DiagnosticKind::ReferenceMissing), 1u) << "the backward one";
	endSession(s);
}

} // namespace
} // namespace v4l2emu::test
