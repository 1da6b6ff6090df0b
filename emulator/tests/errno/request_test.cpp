// SPDX-License-Identifier: MIT
// Spec §3: the request state table (§3.1), validation per driver, and the rules for
// completion (§3.2), control values through a request (§3.3), poll on a request fd (§3.4),
// and controls set through another open (§1.4, §8.15).
#include "emu_fixture.h"

#include <v4l2emu/formats.h>

#include <poll.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>

namespace v4l2emu::test {
namespace {

struct BufInfo {
	int ret = 0;
	uint32_t flags = 0;
	uint64_t timestampUs = 0;
	int32_t requestFd = 0;
};

class RequestTest : public EmuTest {
protected:
	void start(const std::string &device = "rkvdec", uint32_t fourcc = V4L2_PIX_FMT_H264_SLICE,
		   uint32_t nOut = 2, uint32_t nCap = 2)
	{
		std::string what;
		ASSERT_EQ(startSession(s_, device, fourcc, 320, 240, nOut, nCap, &what), 0) << what;
		ctrls_ = CodecControls::forFourcc(fourcc, 320, 240);
	}
	void TearDown() override
	{
		endSession(s_);
		EmuTest::TearDown();
	}
	void useThreaded(const std::string &name, unsigned decodeDelayUs)
	{
		BoardOptions o;
		o.scheduler = SchedulerMode::Threaded;
		o.decodeDelayUs = decodeDelayUs;
		useBoard(name, o);
	}
	/// revents, 0 on timeout, or -errno.
	short pollFd(int fd, short events, int timeoutMs = 0)
	{
		struct pollfd p {fd, events, 0};
		int n = io().poll(&p, 1, timeoutMs);
		return n > 0 ? p.revents : static_cast<short>(n);
	}
	BufInfo info(int fd, uint32_t type, uint32_t index)
	{
		struct v4l2_plane planes[VIDEO_MAX_PLANES] = {};
		struct v4l2_buffer b {};
		BufInfo i;
		i.ret = querybuf(fd, type, index, &b, planes);
		i.flags = b.flags;
		i.timestampUs = static_cast<uint64_t>(b.timestamp.tv_sec) * 1000000u + b.timestamp.tv_usec;
		i.requestFd = b.request_fd;
		return i;
	}
	BufInfo dq(int fd, uint32_t type)
	{
		struct v4l2_buffer b {};
		BufInfo i;
		i.ret = dqbuf(fd, type, &b);
		i.flags = b.flags;
		i.timestampUs = static_cast<uint64_t>(b.timestamp.tv_sec) * 1000000u + b.timestamp.tv_usec;
		i.requestFd = b.request_fd;
		return i;
	}
	int closeTracked(int fd)
	{
		auto it = std::find(openFds_.begin(), openFds_.end(), fd);
		if (it != openFds_.end())
			openFds_.erase(it);
		return closeFd(fd);
	}
	/// G/S/TRY_EXT_CTRLS of one control; returns the result, *errorIdx the error_idx.
	int one(int fd, unsigned long cmd, uint32_t which, int req, uint32_t id, void *ptr, uint32_t size,
		uint32_t *errorIdx = nullptr)
	{
		std::vector<struct v4l2_ext_control> c(1);
		c[0].id = id;
		c[0].ptr = ptr;
		c[0].size = size;
		struct v4l2_ext_controls out {};
		int ret = extCtrls(fd, cmd, which, req, c, &out);
		if (errorIdx)
			*errorIdx = out.error_idx;
		return ret;
	}
	int getSps(int fd, uint32_t which, int req, struct v4l2_ctrl_h264_sps *sps)
	{
		*sps = {};
		return one(fd, VIDIOC_G_EXT_CTRLS, which, req, V4L2_CID_STATELESS_H264_SPS, sps, sizeof(*sps));
	}
	int getScaling(int fd, uint32_t which, int req, struct v4l2_ctrl_h264_scaling_matrix *m)
	{
		memset(m, 0xee, sizeof(*m));
		return one(fd, VIDIOC_G_EXT_CTRLS, which, req, V4L2_CID_STATELESS_H264_SCALING_MATRIX, m,
			   sizeof(*m));
	}
	/// The request of slot with its controls and OUTPUT buffer `slot` (not queued).
	int fill(uint32_t slot, uint64_t ts)
	{
		int ret = setControls(s_.fd, ctrls_, s_.requests.at(slot));
		if (!ret)
			ret = qbuf(s_.fd, s_.outType, slot, s_.requests.at(slot), ts, 64);
		return ret;
	}
	uint64_t liveRequests() { return board().stats().devices[0].liveRequests; }
	uint64_t jobs() { return board().stats().devices[0].jobs; }

	Session s_;
	CodecControls ctrls_;
};

using RequestStates = RequestTest;
using RequestValidate = RequestTest;
using RequestCompletion = RequestTest;
using RequestControlValues = RequestTest;
using RequestPoll = RequestTest;
using RequestForeignControls = RequestTest;

// ---- §3.1 state table -----------------------------------------------------------------------

TEST_F(RequestStates, Row1_AllocGivesAnIdleRequest)
{
	start();
	uint64_t live = liveRequests();
	int req = allocRequest(s_.mediaFd);
	ASSERT_GE(req, 0);
	EXPECT_EQ(liveRequests(), live + 1);
	EXPECT_EQ(pollFd(req, POLLPRI), POLLERR) << "IDLE";
	EXPECT_EQ(::fcntl(req, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	EXPECT_EQ(reinitRequest(req), 0) << "REINIT is allowed from IDLE";
	struct v4l2_ctrl_h264_sps sps {};
	EXPECT_EQ(getSps(s_.fd, V4L2_CTRL_WHICH_REQUEST_VAL, req, &sps), -EACCES) << "not COMPLETE";
	EXPECT_EQ(queueRequest(req), -ENOENT) << "IDLE, but empty";
	EXPECT_EQ(pollFd(req, POLLPRI), POLLERR) << "still IDLE";
}

TEST_F(RequestStates, Row2_UpdatesOnlyWhileIdle_ElseEbusy)
{
	start();
	int req = s_.requests[0];
	// IDLE: S/TRY_EXT_CTRLS and QBUF update it; it is IDLE again afterwards.
	struct v4l2_ext_controls out {};
	ASSERT_EQ(setControls(s_.fd, ctrls_, req, &out), 0);
	EXPECT_EQ(pollFd(req, POLLPRI), POLLERR);
	std::vector<struct v4l2_ext_control> c = ctrls_.controls;
	ASSERT_EQ(extCtrls(s_.fd, VIDIOC_TRY_EXT_CTRLS, V4L2_CTRL_WHICH_REQUEST_VAL, req, c), 0);
	ASSERT_EQ(qbuf(s_.fd, s_.outType, 0, req, 1000, 64), 0);
	EXPECT_EQ(pollFd(req, POLLPRI), POLLERR);
	ASSERT_EQ(queueRequest(req), 0);	// QUEUED: no CAPTURE buffer yet
	ASSERT_EQ(pollFd(req, POLLPRI), 0);

	// QUEUED: every update is EBUSY (error_idx = count for the request errors).
	EXPECT_EQ(setControls(s_.fd, ctrls_, req, &out), -EBUSY);
	EXPECT_EQ(out.error_idx, static_cast<uint32_t>(ctrls_.controls.size()));
	EXPECT_EQ(extCtrls(s_.fd, VIDIOC_TRY_EXT_CTRLS, V4L2_CTRL_WHICH_REQUEST_VAL, req, c, &out), -EBUSY);
	EXPECT_EQ(out.error_idx, static_cast<uint32_t>(c.size()));
	EXPECT_EQ(qbuf(s_.fd, s_.outType, 1, req, 2000, 64), -EBUSY);
	EXPECT_FALSE(info(s_.fd, s_.outType, 1).flags & (V4L2_BUF_FLAG_IN_REQUEST | V4L2_BUF_FLAG_QUEUED));
	EXPECT_EQ(pollFd(req, POLLPRI), 0) << "still QUEUED";

	// COMPLETE: the same.
	ASSERT_EQ(qbuf(s_.fd, s_.capType, 0), 0);
	ASSERT_EQ(pollFd(req, POLLPRI, 5000), POLLPRI);
	EXPECT_EQ(setControls(s_.fd, ctrls_, req), -EBUSY);
	EXPECT_EQ(extCtrls(s_.fd, VIDIOC_TRY_EXT_CTRLS, V4L2_CTRL_WHICH_REQUEST_VAL, req, c), -EBUSY);
	EXPECT_EQ(qbuf(s_.fd, s_.outType, 1, req, 2000, 64), -EBUSY);
	EXPECT_FALSE(info(s_.fd, s_.outType, 1).flags & (V4L2_BUF_FLAG_IN_REQUEST | V4L2_BUF_FLAG_QUEUED));
	EXPECT_EQ(pollFd(req, POLLPRI), POLLPRI) << "still COMPLETE";

	// A QUEUED request without any control object: the state check (EBUSY) comes before
	// the missing object (ENOMEM) for TRY.
	int bare = s_.requests[1];
	ASSERT_EQ(qbuf(s_.fd, s_.outType, 1, bare, 3000, 64), 0);
	ASSERT_EQ(queueRequest(bare), 0);
	ASSERT_EQ(pollFd(bare, POLLPRI), 0);
	EXPECT_EQ(extCtrls(s_.fd, VIDIOC_TRY_EXT_CTRLS, V4L2_CTRL_WHICH_REQUEST_VAL, bare, c, &out), -EBUSY);
}

TEST_F(RequestStates, Row3_QueueWhenNotIdle_Ebusy)
{
	start();
	int req = s_.requests[0];
	ASSERT_EQ(fill(0, 1000), 0);
	ASSERT_EQ(queueRequest(req), 0);
	EXPECT_EQ(queueRequest(req), -EBUSY) << "QUEUED";
	EXPECT_EQ(pollFd(req, POLLPRI), 0) << "still QUEUED";
	EXPECT_EQ(jobs(), 0u);
	ASSERT_EQ(qbuf(s_.fd, s_.capType, 0), 0);
	ASSERT_EQ(pollFd(req, POLLPRI, 5000), POLLPRI);
	EXPECT_EQ(queueRequest(req), -EBUSY) << "COMPLETE: reusing it needs REINIT";
	EXPECT_EQ(pollFd(req, POLLPRI), POLLPRI) << "still COMPLETE";
	EXPECT_EQ(jobs(), 1u) << "decoded once";
	ASSERT_EQ(reinitRequest(req), 0);
	EXPECT_EQ(queueRequest(req), -ENOENT) << "IDLE and empty after REINIT";
}

TEST_F(RequestStates, Row4_ValidateFails_IdleAgainWithObjectsAttached)
{
	start();
	int req = s_.requests[0];
	// Controls only: ENOENT; the control object stays (TRY finds it: no ENOMEM).
	ASSERT_EQ(setControls(s_.fd, ctrls_, req), 0);
	EXPECT_EQ(queueRequest(req), -ENOENT);
	EXPECT_EQ(pollFd(req, POLLPRI), POLLERR) << "IDLE";
	std::vector<struct v4l2_ext_control> c = ctrls_.controls;
	EXPECT_EQ(extCtrls(s_.fd, VIDIOC_TRY_EXT_CTRLS, V4L2_CTRL_WHICH_REQUEST_VAL, req, c), 0);
	// Two buffers on rkvdec: EINVAL; both stay IN_REQUEST.
	ASSERT_EQ(qbuf(s_.fd, s_.outType, 0, req, 1000, 64), 0);
	ASSERT_EQ(qbuf(s_.fd, s_.outType, 1, req, 1000, 64), 0);
	EXPECT_EQ(queueRequest(req), -EINVAL);
	EXPECT_EQ(pollFd(req, POLLPRI), POLLERR);
	for (uint32_t i = 0; i < 2; i++) {
		BufInfo b = info(s_.fd, s_.outType, i);
		EXPECT_TRUE(b.flags & V4L2_BUF_FLAG_IN_REQUEST) << i;
		EXPECT_EQ(b.requestFd, req) << i;
	}
	EXPECT_EQ(jobs(), 0u);
	// The request can still be updated (it is IDLE) and the controls are still in it.
	ASSERT_EQ(reinitRequest(req), 0);
	ASSERT_EQ(setControls(s_.fd, ctrls_, req), 0);
	EXPECT_EQ(queueRequest(req), -ENOENT);
	ASSERT_EQ(qbuf(s_.fd, s_.outType, 0, req, 1000, 64), 0);
	ASSERT_EQ(qbuf(s_.fd, s_.capType, 0), 0);
	ASSERT_EQ(queueRequest(req), 0);
	EXPECT_EQ(pollFd(req, POLLPRI, 5000), POLLPRI);
	EXPECT_EQ(countDiagnostics(DiagnosticKind::MissingControls), 0u) << "the controls were applied";
}

TEST_F(RequestStates, Row4_FixAndRequeueAfterAPrepareFailure)
{
	// hantro lets S_FMT(OUTPUT) grow the size over existing buffers: QUEUE fails in
	// buf_prepare; restoring the size makes the same request queueable.
	useBoard("hantro");
	start("hantro-vpu", V4L2_PIX_FMT_MPEG2_SLICE, 1, 1);
	int req = s_.requests[0];
	ASSERT_EQ(streamoff(s_.fd, s_.outType), 0);
	ASSERT_EQ(setFormat(s_.fd, s_.outType, V4L2_PIX_FMT_MPEG2_SLICE, 1280, 720), 0);
	ASSERT_EQ(fill(0, 1000), 0);
	EXPECT_EQ(queueRequest(req), -EINVAL);
	EXPECT_TRUE(info(s_.fd, s_.outType, 0).flags & V4L2_BUF_FLAG_IN_REQUEST);
	EXPECT_FALSE(info(s_.fd, s_.outType, 0).flags & V4L2_BUF_FLAG_PREPARED);
	ASSERT_EQ(setFormat(s_.fd, s_.outType, V4L2_PIX_FMT_MPEG2_SLICE, 320, 240), 0);
	ASSERT_EQ(streamon(s_.fd, s_.outType), 0);
	ASSERT_EQ(qbuf(s_.fd, s_.capType, 0), 0);
	ASSERT_EQ(queueRequest(req), 0);
	EXPECT_EQ(pollFd(req, POLLPRI, 5000), POLLPRI);
	EXPECT_EQ(countDiagnostics(DiagnosticKind::MissingControls), 0u);
}

TEST_F(RequestStates, Row5_ValidateOk_ObjectsQueued)
{
	start();
	int req = s_.requests[0];
	// Not streaming yet: the buffer goes IN_REQUEST -> QUEUED, but not to the driver.
	ASSERT_EQ(streamoff(s_.fd, s_.outType), 0);
	ASSERT_EQ(fill(0, 1000), 0);
	ASSERT_EQ(qbuf(s_.fd, s_.capType, 0), 0);
	ASSERT_EQ(queueRequest(req), 0);
	BufInfo b = info(s_.fd, s_.outType, 0);
	EXPECT_TRUE(b.flags & V4L2_BUF_FLAG_QUEUED);
	EXPECT_FALSE(b.flags & V4L2_BUF_FLAG_IN_REQUEST);
	EXPECT_TRUE(b.flags & V4L2_BUF_FLAG_REQUEST_FD) << "the request_fd is kept until DQBUF";
	EXPECT_EQ(b.requestFd, req);
	EXPECT_EQ(pollFd(req, POLLPRI), 0) << "QUEUED";
	struct v4l2_ctrl_h264_sps sps {};
	EXPECT_EQ(getSps(s_.fd, V4L2_CTRL_WHICH_REQUEST_VAL, req, &sps), -EACCES);
	EXPECT_EQ(jobs(), 0u);
	ASSERT_EQ(streamon(s_.fd, s_.outType), 0);
	EXPECT_EQ(pollFd(req, POLLPRI, 5000), POLLPRI) << "reaches the driver at STREAMON";
	EXPECT_EQ(jobs(), 1u);
}

TEST_F(RequestStates, Row6_CompletesWhenTheLastIncompleteObjectCompletesOrUnbinds)
{
	// hantro accepts two buffers in one request: it completes only with the second.
	useBoard("hantro");
	start("hantro-vpu", V4L2_PIX_FMT_MPEG2_SLICE, 2, 2);
	int req = s_.requests[0];
	ASSERT_EQ(setControls(s_.fd, ctrls_, req), 0);
	ASSERT_EQ(qbuf(s_.fd, s_.outType, 0, req, 1000, 64), 0);
	ASSERT_EQ(qbuf(s_.fd, s_.outType, 1, req, 2000, 64), 0);
	ASSERT_EQ(qbuf(s_.fd, s_.capType, 0), 0);
	ASSERT_EQ(queueRequest(req), 0);
	EXPECT_EQ(jobs(), 1u);
	EXPECT_EQ(pollFd(req, POLLPRI), 0) << "the controls and one buffer completed, not the other";
	EXPECT_EQ(dq(s_.fd, s_.outType).ret, 0) << "the first OUTPUT buffer is done";
	ASSERT_EQ(qbuf(s_.fd, s_.capType, 1), 0);
	EXPECT_EQ(jobs(), 2u);
	EXPECT_EQ(pollFd(req, POLLPRI), POLLPRI) << "the last object completed";
	// A cancel unbinds the objects of a queued request: it completes without a decode.
	int other = s_.requests[1];
	ASSERT_EQ(dq(s_.fd, s_.outType).ret, 0);
	ASSERT_EQ(setControls(s_.fd, ctrls_, other), 0);
	ASSERT_EQ(qbuf(s_.fd, s_.outType, 0, other, 3000, 64), 0);
	ASSERT_EQ(queueRequest(other), 0);	// no CAPTURE buffer left
	ASSERT_EQ(pollFd(other, POLLPRI), 0);
	ASSERT_EQ(streamoff(s_.fd, s_.outType), 0);
	EXPECT_EQ(pollFd(other, POLLPRI), POLLPRI);
	EXPECT_EQ(jobs(), 2u);
}

TEST_F(RequestStates, Row7_ReinitFromIdleOrCompleteOnly)
{
	start();
	int req = s_.requests[0];
	ASSERT_EQ(fill(0, 1000), 0);
	ASSERT_EQ(reinitRequest(req), 0) << "IDLE with objects";
	BufInfo b = info(s_.fd, s_.outType, 0);
	EXPECT_FALSE(b.flags & (V4L2_BUF_FLAG_IN_REQUEST | V4L2_BUF_FLAG_REQUEST_FD | V4L2_BUF_FLAG_QUEUED))
		<< "the IN_REQUEST buffer went back to DEQUEUED";
	std::vector<struct v4l2_ext_control> c = ctrls_.controls;
	EXPECT_EQ(extCtrls(s_.fd, VIDIOC_TRY_EXT_CTRLS, V4L2_CTRL_WHICH_REQUEST_VAL, req, c), -ENOMEM)
		<< "the control object was released";
	// The buffer can go into another request now.
	ASSERT_EQ(qbuf(s_.fd, s_.outType, 0, s_.requests[1], 1000, 64), 0);
	ASSERT_EQ(reinitRequest(s_.requests[1]), 0);
	ASSERT_EQ(fill(0, 1000), 0);
	ASSERT_EQ(queueRequest(req), 0);
	EXPECT_EQ(reinitRequest(req), -EBUSY) << "QUEUED";
	EXPECT_TRUE(info(s_.fd, s_.outType, 0).flags & V4L2_BUF_FLAG_QUEUED) << "nothing unbound";
	ASSERT_EQ(qbuf(s_.fd, s_.capType, 0), 0);
	ASSERT_EQ(pollFd(req, POLLPRI, 5000), POLLPRI);
	struct v4l2_ctrl_h264_sps sps {};
	ASSERT_EQ(getSps(s_.fd, V4L2_CTRL_WHICH_REQUEST_VAL, req, &sps), 0);
	EXPECT_EQ(reinitRequest(req), 0) << "COMPLETE";
	EXPECT_EQ(pollFd(req, POLLPRI), POLLERR) << "IDLE";
	EXPECT_EQ(getSps(s_.fd, V4L2_CTRL_WHICH_REQUEST_VAL, req, &sps), -EACCES);
	// "EBUSY while a G_EXT_CTRLS holds it for access" needs a REINIT racing inside a
	// G_EXT_CTRLS call; the emulator runs both under one device lock, so it is not reachable
	// from a test.
}

TEST_F(RequestStates, Row8_LastReferenceFreesTheRequest)
{
	start();
	uint64_t live = liveRequests();
	// IN_REQUEST buffer: it holds a reference, so closing the fd frees nothing.
	int req = allocRequest(s_.mediaFd);
	ASSERT_EQ(qbuf(s_.fd, s_.outType, 0, req, 1000, 64), 0);
	ASSERT_EQ(closeTracked(req), 0);
	EXPECT_EQ(liveRequests(), live + 1);
	// The cancel unbinds the buffer: the last reference goes.
	ASSERT_EQ(streamoff(s_.fd, s_.outType), 0);
	EXPECT_EQ(liveRequests(), live);
	ASSERT_EQ(streamon(s_.fd, s_.outType), 0);
	// QUEUED: the queue and the buffer hold it until completion and DQBUF.
	req = s_.requests[1];
	ASSERT_EQ(fill(1, 2000), 0);
	ASSERT_EQ(queueRequest(req), 0);
	ASSERT_EQ(closeTracked(req), 0);
	EXPECT_EQ(liveRequests(), live);
	ASSERT_EQ(qbuf(s_.fd, s_.capType, 0), 0);
	EXPECT_EQ(liveRequests(), live) << "COMPLETE, the OUTPUT buffer still refers to it";
	BufInfo out = dq(s_.fd, s_.outType);
	ASSERT_EQ(out.ret, 0);
	EXPECT_EQ(out.requestFd, req);
	EXPECT_EQ(liveRequests(), live - 1);
}

// ---- §3.1 validation per driver -------------------------------------------------------------

TEST_F(RequestValidate, Row1_Hantro_SeveralBuffersAccepted)
{
	useBoard("hantro");
	start("hantro-vpu", V4L2_PIX_FMT_MPEG2_SLICE, 2, 2);
	int req = s_.requests[0];
	EXPECT_EQ(queueRequest(req), -ENOENT) << "no buffer";
	ASSERT_EQ(setControls(s_.fd, ctrls_, req), 0);
	EXPECT_EQ(queueRequest(req), -ENOENT) << "controls only";
	ASSERT_EQ(qbuf(s_.fd, s_.outType, 0, req, 1000, 64), 0);
	ASSERT_EQ(qbuf(s_.fd, s_.outType, 1, req, 2000, 64), 0);
	ASSERT_EQ(qbuf(s_.fd, s_.capType, 0), 0);
	ASSERT_EQ(qbuf(s_.fd, s_.capType, 1), 0);
	ASSERT_EQ(queueRequest(req), 0);
	EXPECT_EQ(pollFd(req, POLLPRI, 5000), POLLPRI);
	EXPECT_EQ(jobs(), 2u) << "one job per OUTPUT buffer";
	BufInfo c0 = dq(s_.fd, s_.capType), c1 = dq(s_.fd, s_.capType);
	EXPECT_EQ(c0.timestampUs, 1u);
	EXPECT_EQ(c1.timestampUs, 2u);
	EXPECT_EQ(countDiagnostics(DiagnosticKind::MissingControls), 0u) << "both used the controls";
	// A buffer alone validates: there is no control check.
	int bare = s_.requests[1];
	ASSERT_EQ(dq(s_.fd, s_.outType).ret, 0);
	ASSERT_EQ(qbuf(s_.fd, s_.outType, 0, bare, 3000, 64), 0);
	EXPECT_EQ(queueRequest(bare), 0);
}

TEST_F(RequestValidate, Row2_Rkvdec_OneBufferOnly)
{
	start();
	int req = s_.requests[0];
	EXPECT_EQ(queueRequest(req), -ENOENT);
	ASSERT_EQ(setControls(s_.fd, ctrls_, req), 0);
	ASSERT_EQ(qbuf(s_.fd, s_.outType, 0, req, 1000, 64), 0);
	ASSERT_EQ(qbuf(s_.fd, s_.outType, 1, req, 1000, 64), 0);
	EXPECT_EQ(queueRequest(req), -EINVAL);
	EXPECT_TRUE(info(s_.fd, s_.outType, 0).flags & V4L2_BUF_FLAG_IN_REQUEST);
	EXPECT_TRUE(info(s_.fd, s_.outType, 1).flags & V4L2_BUF_FLAG_IN_REQUEST);
	EXPECT_FALSE(info(s_.fd, s_.outType, 0).flags & V4L2_BUF_FLAG_PREPARED) << "nothing prepared";
	std::vector<struct v4l2_ext_control> c = ctrls_.controls;
	EXPECT_EQ(extCtrls(s_.fd, VIDIOC_TRY_EXT_CTRLS, V4L2_CTRL_WHICH_REQUEST_VAL, req, c), 0)
		<< "the control object is still attached";
	// A buffer without controls validates (no control check): the job runs on the current
	// values, and the emulator reports that none were ever set.
	int bare = s_.requests[1];
	ASSERT_EQ(reinitRequest(req), 0);
	ASSERT_EQ(qbuf(s_.fd, s_.outType, 0, bare, 2000, 64), 0);
	ASSERT_EQ(qbuf(s_.fd, s_.capType, 0), 0);
	ASSERT_EQ(queueRequest(bare), 0);
	EXPECT_EQ(pollFd(bare, POLLPRI, 5000), POLLPRI);
	EXPECT_EQ(countDiagnostics(DiagnosticKind::MissingControls), 1u);
}

TEST_F(RequestValidate, Row3_Visl_OneBufferOnly)
{
	useBoard("visl");
	start("visl", V4L2_PIX_FMT_H264_SLICE, 2, 2);
	int req = s_.requests[0];
	ASSERT_EQ(setControls(s_.fd, ctrls_, req), 0);
	EXPECT_EQ(queueRequest(req), -ENOENT) << "no buffer object";
	ASSERT_EQ(qbuf(s_.fd, s_.outType, 0, req, 1000, 64), 0);
	ASSERT_EQ(qbuf(s_.fd, s_.outType, 1, req, 1000, 64), 0);
	EXPECT_EQ(queueRequest(req), -EINVAL);
	EXPECT_TRUE(info(s_.fd, s_.outType, 0).flags & V4L2_BUF_FLAG_IN_REQUEST);
	EXPECT_TRUE(info(s_.fd, s_.outType, 1).flags & V4L2_BUF_FLAG_IN_REQUEST);
	ASSERT_EQ(reinitRequest(req), 0);
	ASSERT_EQ(fill(0, 1000), 0);
	ASSERT_EQ(qbuf(s_.fd, s_.capType, 0), 0);
	ASSERT_EQ(queueRequest(req), 0);
	EXPECT_EQ(pollFd(req, POLLPRI, 5000), POLLPRI);
}

TEST_F(RequestValidate, Row4_Cedrus_OneBufferOnlyNoRequiredControls)
{
	useBoard("cedrus");
	start("cedrus", V4L2_PIX_FMT_MPEG2_SLICE, 2, 2);
	int req = s_.requests[0];
	EXPECT_EQ(queueRequest(req), -ENOENT);
	ASSERT_EQ(qbuf(s_.fd, s_.outType, 0, req, 1000, 64), 0);
	ASSERT_EQ(qbuf(s_.fd, s_.outType, 1, req, 1000, 64), 0);
	EXPECT_EQ(queueRequest(req), -EINVAL);
	EXPECT_TRUE(info(s_.fd, s_.outType, 0).flags & V4L2_BUF_FLAG_IN_REQUEST);
	EXPECT_TRUE(info(s_.fd, s_.outType, 1).flags & V4L2_BUF_FLAG_IN_REQUEST);
	ASSERT_EQ(reinitRequest(req), 0);
	// 6.12: no "Missing required codec control" ENOENT: a buffer alone validates.
	ASSERT_EQ(qbuf(s_.fd, s_.outType, 0, req, 1000, 64), 0);
	ASSERT_EQ(qbuf(s_.fd, s_.capType, 0), 0);
	ASSERT_EQ(queueRequest(req), 0);
	EXPECT_EQ(pollFd(req, POLLPRI, 5000), POLLPRI);
}

// ---- §3.2 completion ------------------------------------------------------------------------

TEST_F(RequestCompletion, CaptureIsDequeueableWhenTheRequestSignals)
{
	useThreaded("fresnel", 20000);
	start("rkvdec", V4L2_PIX_FMT_H264_SLICE, 2, 2);
	for (uint32_t i = 0; i < 6; i++) {
		uint32_t slot = i % 2;
		int req = s_.requests[slot];
		ASSERT_EQ(reinitRequest(req), 0);
		ASSERT_EQ(queuePicture(s_, ctrls_, slot, static_cast<int>(slot), 1000 * (i + 1)), 0);
		ASSERT_EQ(pollFd(req, POLLPRI, 5000), POLLPRI) << i;
		// CAPTURE is returned before OUTPUT: no wait needed once the request signalled.
		EXPECT_EQ(pollFd(s_.fd, POLLIN), POLLIN) << i;
		BufInfo cap = dq(s_.fd, s_.capType);
		ASSERT_EQ(cap.ret, 0);
		EXPECT_EQ(cap.timestampUs, i + 1u);
		ASSERT_EQ(dq(s_.fd, s_.outType).ret, 0);
	}
}

TEST_F(RequestCompletion, ControlsCompleteAtDeviceRunBeforeTheDecode)
{
	useThreaded("fresnel", 300000);
	start("rkvdec", V4L2_PIX_FMT_H264_SLICE, 1, 1);
	int req = s_.requests[0];
	ASSERT_EQ(queuePicture(s_, ctrls_, 0, 0, 1000), 0);
	ASSERT_EQ(jobs(), 1u) << "device_run ran";
	ASSERT_EQ(pollFd(req, POLLPRI), 0) << "decoding";
	struct v4l2_ctrl_h264_sps sps {};
	EXPECT_EQ(getSps(s_.fd, V4L2_CTRL_WHICH_REQUEST_VAL, req, &sps), -EACCES)
		<< "the control object completed, the request did not";
	// Change a control the request did not set while the hardware decodes.
	struct v4l2_ctrl_h264_scaling_matrix m;
	memset(&m, 0x21, sizeof(m));
	ASSERT_EQ(one(s_.fd, VIDIOC_S_EXT_CTRLS, V4L2_CTRL_WHICH_CUR_VAL, -1,
		      V4L2_CID_STATELESS_H264_SCALING_MATRIX, &m, sizeof(m)), 0);
	ASSERT_EQ(pollFd(req, POLLPRI, 5000), POLLPRI);
	// The request captured the current values when its controls completed (device_run),
	// not when the decode finished.
	struct v4l2_ctrl_h264_scaling_matrix got;
	ASSERT_EQ(getScaling(s_.fd, V4L2_CTRL_WHICH_REQUEST_VAL, req, &got), 0);
	EXPECT_EQ(got.scaling_list_4x4[0][0], 16) << "the default flat matrix, not 0x21";
	ASSERT_EQ(getScaling(s_.fd, V4L2_CTRL_WHICH_CUR_VAL, -1, &got), 0);
	EXPECT_EQ(got.scaling_list_4x4[0][0], 0x21);
}

TEST_F(RequestCompletion, WorkQueuedWhileAJobRunsWaitsForItsOwnBuffers)
{
	// M2M: a context stays TRANS_QUEUED while its job runs, so a QBUF or a request QUEUE
	// during the decode cannot queue the context again for the buffers the running job
	// owns (M2M:__v4l2_m2m_try_queue, _v4l2_m2m_job_finish). Run in a child process: an
	// emulator that schedules the context twice crashes when the second job finds no
	// buffers.
	GTEST_FLAG_SET(death_test_style, "threadsafe");
	EXPECT_EXIT(
		{
			useThreaded("fresnel", 100000);
			Session s;
			if (startSession(s, "rkvdec", V4L2_PIX_FMT_H264_SLICE, 320, 240, 2, 2))
				std::_Exit(10);
			CodecControls c = CodecControls::h264(320, 240);
			// A CAPTURE buffer queued during the decode: the next job must wait for an
			// OUTPUT buffer of its own.
			if (queuePicture(s, c, 0, 0, 1000) || qbuf(s.fd, s.capType, 1))
				std::_Exit(11);
			if (pollFd(s.requests[0], POLLPRI, 5000) != POLLPRI)
				std::_Exit(12);
			std::this_thread::sleep_for(std::chrono::milliseconds(250));
			if (jobs() != 1 || !(info(s.fd, s.capType, 1).flags & V4L2_BUF_FLAG_QUEUED))
				std::_Exit(13);
			if (dq(s.fd, s.capType).timestampUs != 1 || dq(s.fd, s.outType).ret ||
			    reinitRequest(s.requests[0]))
				std::_Exit(14);
			// A request queued during the decode: it must wait for a CAPTURE buffer.
			if (queuePicture(s, c, 1, -1, 2000) || queuePicture(s, c, 0, -1, 3000))
				std::_Exit(15);
			if (pollFd(s.requests[1], POLLPRI, 5000) != POLLPRI)
				std::_Exit(16);
			std::this_thread::sleep_for(std::chrono::milliseconds(250));
			if (jobs() != 2 || pollFd(s.requests[0], POLLPRI) != 0)
				std::_Exit(17);
			if (dq(s.fd, s.capType).timestampUs != 2 || qbuf(s.fd, s.capType, 0))
				std::_Exit(18);
			if (pollFd(s.requests[0], POLLPRI, 5000) != POLLPRI || jobs() != 3 ||
			    dq(s.fd, s.capType).timestampUs != 3)
				std::_Exit(19);
			endSession(s);
			std::_Exit(0);
		},
		::testing::ExitedWithCode(0), "");
}

TEST_F(RequestCompletion, ARequestWithoutControlsGetsAControlObjectAtCompletion)
{
	start();
	// Current values from an earlier S_EXT_CTRLS(CUR).
	ASSERT_EQ(setControls(s_.fd, ctrls_), 0);
	int req = s_.requests[0];
	ASSERT_EQ(qbuf(s_.fd, s_.outType, 0, req, 1000, 64), 0);
	ASSERT_EQ(qbuf(s_.fd, s_.capType, 0), 0);
	ASSERT_EQ(queueRequest(req), 0);
	ASSERT_EQ(pollFd(req, POLLPRI, 5000), POLLPRI);
	struct v4l2_ctrl_h264_sps sps {};
	ASSERT_EQ(getSps(s_.fd, V4L2_CTRL_WHICH_REQUEST_VAL, req, &sps), 0) << "no ENOMEM";
	EXPECT_EQ(sps.pic_width_in_mbs_minus1, 19) << "the values current at completion";
	EXPECT_EQ(countDiagnostics(DiagnosticKind::MissingControls), 0u);
}

// ---- §3.3 control values through a request --------------------------------------------------

TEST_F(RequestControlValues, SetIntoARequestNeverTouchesCurrentValues)
{
	start();
	int req = s_.requests[0];
	ASSERT_EQ(setControls(s_.fd, ctrls_, req), 0);
	struct v4l2_ctrl_h264_sps sps {};
	ASSERT_EQ(getSps(s_.fd, V4L2_CTRL_WHICH_CUR_VAL, -1, &sps), 0);
	EXPECT_EQ(sps.pic_width_in_mbs_minus1, 0) << "still the default";
	EXPECT_EQ(sps.profile_idc, 0);
	// ...until the job starts: then they become current.
	ASSERT_EQ(qbuf(s_.fd, s_.outType, 0, req, 1000, 64), 0);
	ASSERT_EQ(qbuf(s_.fd, s_.capType, 0), 0);
	ASSERT_EQ(queueRequest(req), 0);
	ASSERT_EQ(pollFd(req, POLLPRI, 5000), POLLPRI);
	ASSERT_EQ(getSps(s_.fd, V4L2_CTRL_WHICH_CUR_VAL, -1, &sps), 0);
	EXPECT_EQ(sps.pic_width_in_mbs_minus1, 19);
	EXPECT_EQ(sps.profile_idc, 100);
}

TEST_F(RequestControlValues, TryCtrlRunsAtSetTimeSCtrlDoesNot)
{
	// Mainline rkvdec: an H.264 SPS with 10-bit depth selects another CAPTURE image format in
	// s_ctrl. Set into a request, only try_ctrl runs: the CAPTURE format is untouched.
	start();
	ASSERT_EQ(reqbufs(s_.fd, s_.capType, 0), -EBUSY) << "streaming";
	ASSERT_EQ(streamoff(s_.fd, s_.capType), 0);
	ASSERT_EQ(reqbufs(s_.fd, s_.capType, 0), 0);	// CAPTURE not busy
	CodecControls ten = CodecControls::h264(320, 240);
	auto *sps = ten.payload<struct v4l2_ctrl_h264_sps>(V4L2_CID_STATELESS_H264_SPS);
	sps->profile_idc = 110;
	sps->bit_depth_luma_minus8 = 2;
	sps->bit_depth_chroma_minus8 = 2;
	ASSERT_EQ(setControls(s_.fd, ten, s_.requests[0]), 0);
	struct v4l2_format cap {};
	ASSERT_EQ(getFormat(s_.fd, s_.capType, &cap), 0);
	EXPECT_EQ(cap.fmt.pix_mp.pixelformat, V4L2_PIX_FMT_NV12) << "s_ctrl was not called";
	// The same SPS as a current value: s_ctrl resets CAPTURE to the 10-bit format.
	ASSERT_EQ(setControls(s_.fd, ten), 0);
	ASSERT_EQ(getFormat(s_.fd, s_.capType, &cap), 0);
	EXPECT_EQ(cap.fmt.pix_mp.pixelformat, V4L2_PIX_FMT_NV15);
	// try_ctrl does run at set time: an SPS larger than the OUTPUT format is refused, at
	// the index of that control.
	CodecControls big = CodecControls::h264(1920, 1088);
	struct v4l2_ext_controls out {};
	EXPECT_EQ(setControls(s_.fd, big, s_.requests[1], &out), -EINVAL);
	EXPECT_EQ(out.error_idx, 0u) << "the SPS is the first control";
	std::vector<struct v4l2_ext_control> c = big.controls;
	EXPECT_EQ(extCtrls(s_.fd, VIDIOC_TRY_EXT_CTRLS, V4L2_CTRL_WHICH_REQUEST_VAL, s_.requests[1], c, &out),
		  -EINVAL) << "TRY too (the object exists now)";
}

TEST_F(RequestControlValues, AValueRefusedAtJobStartStopsTheSetup)
{
	// CREQ:v4l2_ctrl_request_setup runs try_or_set_cluster (try_ctrl again, then s_ctrl)
	// for each control the request set, in id order, and stops at the first failure: the
	// refused value does not become current, and neither do the controls after it. 6.12
	// rkvdec checks the H.264 SPS against the current OUTPUT size, which can shrink between
	// the S_EXT_CTRLS into the request and the job.
	BoardOptions o;
	o.kernel = KernelVersion::V6_12;
	useBoard("rkvdec", o);
	int fd = openVideo("rkvdec");
	int media = openMedia("rkvdec");
	ASSERT_EQ(setFormat(fd, V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE, V4L2_PIX_FMT_H264_SLICE, 320, 240), 0);
	ASSERT_EQ(reqbufs(fd, V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE, 1), 1);
	int req = allocRequest(media);
	CodecControls c = CodecControls::h264(320, 240);
	c.payload<struct v4l2_ctrl_h264_pps>(V4L2_CID_STATELESS_H264_PPS)->pic_init_qp_minus26 = 5;
	ASSERT_EQ(setControls(fd, c, req), 0) << "valid for 320x240";
	ASSERT_EQ(qbuf(fd, V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE, 0, req, 1000, 64), 0);
	// Same codec, smaller: allowed while OUTPUT is busy (CAPTURE has no buffers yet).
	ASSERT_EQ(setFormat(fd, V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE, V4L2_PIX_FMT_H264_SLICE, 160, 128), 0);
	ASSERT_EQ(reqbufs(fd, V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE, 1), 1);
	ASSERT_EQ(streamon(fd, V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE), 0);
	ASSERT_EQ(streamon(fd, V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE), 0);
	ASSERT_EQ(qbuf(fd, V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE, 0), 0);
	ASSERT_EQ(queueRequest(req), 0);
	ASSERT_EQ(pollFd(req, POLLPRI, 5000), POLLPRI) << "the request still completes";
	struct v4l2_ctrl_h264_sps sps {};
	ASSERT_EQ(getSps(fd, V4L2_CTRL_WHICH_CUR_VAL, -1, &sps), 0);
	EXPECT_EQ(sps.pic_width_in_mbs_minus1, 0) << "the refused SPS did not become current";
	struct v4l2_ctrl_h264_pps pps {};
	ASSERT_EQ(one(fd, VIDIOC_G_EXT_CTRLS, V4L2_CTRL_WHICH_CUR_VAL, -1, V4L2_CID_STATELESS_H264_PPS,
		      &pps, sizeof(pps)), 0);
	EXPECT_EQ(pps.pic_init_qp_minus26, 0) << "the PPS (a higher id) was not applied either";
	ASSERT_EQ(getSps(fd, V4L2_CTRL_WHICH_REQUEST_VAL, req, &sps), 0);
	EXPECT_EQ(sps.pic_width_in_mbs_minus1, 19) << "the request keeps the value it was given";
}

TEST_F(RequestControlValues, GetOnlyAfterCompletion_UnsetControlsReadTheValueAtCompletion)
{
	start();
	int req = s_.requests[0];
	struct v4l2_ctrl_h264_sps sps {};
	EXPECT_EQ(getSps(s_.fd, V4L2_CTRL_WHICH_REQUEST_VAL, req, &sps), -EACCES) << "IDLE, empty";
	ASSERT_EQ(setControls(s_.fd, ctrls_, req), 0);
	uint32_t idx = 0;
	EXPECT_EQ(one(s_.fd, VIDIOC_G_EXT_CTRLS, V4L2_CTRL_WHICH_REQUEST_VAL, req,
		      V4L2_CID_STATELESS_H264_SPS, &sps, sizeof(sps), &idx), -EACCES) << "IDLE";
	EXPECT_EQ(idx, 1u) << "error_idx = count";
	ASSERT_EQ(qbuf(s_.fd, s_.outType, 0, req, 1000, 64), 0);
	ASSERT_EQ(queueRequest(req), 0);
	EXPECT_EQ(getSps(s_.fd, V4L2_CTRL_WHICH_REQUEST_VAL, req, &sps), -EACCES) << "QUEUED";
	ASSERT_EQ(qbuf(s_.fd, s_.capType, 0), 0);
	ASSERT_EQ(pollFd(req, POLLPRI, 5000), POLLPRI);
	ASSERT_EQ(getSps(s_.fd, V4L2_CTRL_WHICH_REQUEST_VAL, req, &sps), 0);
	EXPECT_EQ(sps.pic_width_in_mbs_minus1, 19) << "the value set in the request";
	// Not set in the request: the value current at completion (here the default)...
	struct v4l2_ctrl_h264_scaling_matrix m;
	ASSERT_EQ(getScaling(s_.fd, V4L2_CTRL_WHICH_REQUEST_VAL, req, &m), 0);
	EXPECT_EQ(m.scaling_list_8x8[0][0], 16);
	// ...and later changes of the current value do not show through.
	struct v4l2_ctrl_h264_scaling_matrix flat;
	memset(&flat, 3, sizeof(flat));
	ASSERT_EQ(one(s_.fd, VIDIOC_S_EXT_CTRLS, V4L2_CTRL_WHICH_CUR_VAL, -1,
		      V4L2_CID_STATELESS_H264_SCALING_MATRIX, &flat, sizeof(flat)), 0);
	ASSERT_EQ(getScaling(s_.fd, V4L2_CTRL_WHICH_REQUEST_VAL, req, &m), 0);
	EXPECT_EQ(m.scaling_list_8x8[0][0], 16);
	// A control of another codec, never set anywhere: its default.
	struct v4l2_ctrl_vp9_frame vp9 {};
	ASSERT_EQ(one(s_.fd, VIDIOC_G_EXT_CTRLS, V4L2_CTRL_WHICH_REQUEST_VAL, req,
		      V4L2_CID_STATELESS_VP9_FRAME, &vp9, sizeof(vp9)), 0);
	EXPECT_EQ(vp9.bit_depth, 8);
}

TEST_F(RequestControlValues, TryWithoutAControlObject_EnomemAndCountZeroCreatesOne)
{
	start();
	int req = s_.requests[0];
	std::vector<struct v4l2_ext_control> c = ctrls_.controls;
	struct v4l2_ext_controls out {};
	EXPECT_EQ(extCtrls(s_.fd, VIDIOC_TRY_EXT_CTRLS, V4L2_CTRL_WHICH_REQUEST_VAL, req, c, &out), -ENOMEM);
	EXPECT_EQ(out.error_idx, static_cast<uint32_t>(c.size()));
	// A buffer in the request does not create a control object.
	ASSERT_EQ(qbuf(s_.fd, s_.outType, 0, req, 1000, 64), 0);
	EXPECT_EQ(extCtrls(s_.fd, VIDIOC_TRY_EXT_CTRLS, V4L2_CTRL_WHICH_REQUEST_VAL, req, c), -ENOMEM);
	// S_EXT_CTRLS with count 0 binds an empty object and returns 0.
	std::vector<struct v4l2_ext_control> none;
	EXPECT_EQ(extCtrls(s_.fd, VIDIOC_S_EXT_CTRLS, V4L2_CTRL_WHICH_REQUEST_VAL, req, none), 0);
	EXPECT_EQ(extCtrls(s_.fd, VIDIOC_TRY_EXT_CTRLS, V4L2_CTRL_WHICH_REQUEST_VAL, req, c), 0);
	// TRY stores nothing in the request: the values are not "set" in it.
	ASSERT_EQ(qbuf(s_.fd, s_.capType, 0), 0);
	ASSERT_EQ(queueRequest(req), 0);
	ASSERT_EQ(pollFd(req, POLLPRI, 5000), POLLPRI);
	struct v4l2_ctrl_h264_sps sps {};
	ASSERT_EQ(getSps(s_.fd, V4L2_CTRL_WHICH_REQUEST_VAL, req, &sps), 0);
	EXPECT_EQ(sps.pic_width_in_mbs_minus1, 0) << "the TRY values were not stored";
	EXPECT_EQ(countDiagnostics(DiagnosticKind::MissingControls), 1u) << "nothing was ever set";
}

TEST_F(RequestControlValues, ValuesPersistAsCurrentValuesForLaterRequests)
{
	start();
	struct v4l2_buffer cap {};
	ASSERT_EQ(decodeOne(s_, ctrls_, 0, 0, 1000, &cap), 0);
	// The next request carries only its buffer: the controls of the first one are current.
	int req = s_.requests[1];
	ASSERT_EQ(qbuf(s_.fd, s_.outType, 1, req, 2000, 64), 0);
	ASSERT_EQ(qbuf(s_.fd, s_.capType, 1), 0);
	ASSERT_EQ(queueRequest(req), 0);
	ASSERT_EQ(pollFd(req, POLLPRI, 5000), POLLPRI);
	EXPECT_EQ(countDiagnostics(DiagnosticKind::MissingControls), 0u);
	struct v4l2_ctrl_h264_sps sps {};
	ASSERT_EQ(getSps(s_.fd, V4L2_CTRL_WHICH_REQUEST_VAL, req, &sps), 0);
	EXPECT_EQ(sps.pic_width_in_mbs_minus1, 19);
	ASSERT_EQ(getSps(s_.fd, V4L2_CTRL_WHICH_CUR_VAL, -1, &sps), 0);
	EXPECT_EQ(sps.pic_width_in_mbs_minus1, 19);
	ASSERT_EQ(board().decodedFrames().size(), 2u);
	EXPECT_NE(board().decodedFrames()[1].signature, 0u) << "a real picture, not all-zero";
}

TEST_F(RequestControlValues, RequestPathErrors)
{
	start();
	int req = s_.requests[0];
	std::vector<struct v4l2_ext_control> c = ctrls_.controls;
	const uint32_t count = static_cast<uint32_t>(c.size());
	struct v4l2_ext_controls out {};
	// request_fd < 0: EINVAL for S, TRY and G.
	for (unsigned long cmd : {VIDIOC_S_EXT_CTRLS, VIDIOC_TRY_EXT_CTRLS, VIDIOC_G_EXT_CTRLS}) {
		EXPECT_EQ(extCtrls(s_.fd, cmd, V4L2_CTRL_WHICH_REQUEST_VAL, -1, c, &out), -EINVAL) << cmd;
		EXPECT_EQ(out.error_idx, count) << cmd;
	}
	// Not a request (the video fd, a number that is not open), or another device's.
	int hantroMedia = openMedia("hantro-vpu");
	int foreign = allocRequest(hantroMedia);
	for (int bad : {s_.fd, s_.mediaFd, 999, foreign}) {
		EXPECT_EQ(extCtrls(s_.fd, VIDIOC_S_EXT_CTRLS, V4L2_CTRL_WHICH_REQUEST_VAL, bad, c), -EINVAL) << bad;
		EXPECT_EQ(extCtrls(s_.fd, VIDIOC_G_EXT_CTRLS, V4L2_CTRL_WHICH_REQUEST_VAL, bad, c), -EINVAL) << bad;
	}
	EXPECT_EQ(pollFd(foreign, POLLPRI), POLLERR) << "nothing was bound to it";
	// The request stays untouched by all of this: TRY still finds no object.
	EXPECT_EQ(extCtrls(s_.fd, VIDIOC_TRY_EXT_CTRLS, V4L2_CTRL_WHICH_REQUEST_VAL, req, c), -ENOMEM);
	// G from another open (another handler) on a completed request: ENOMEM.
	ASSERT_EQ(fill(0, 1000), 0);
	ASSERT_EQ(qbuf(s_.fd, s_.capType, 0), 0);
	ASSERT_EQ(queueRequest(req), 0);
	ASSERT_EQ(pollFd(req, POLLPRI, 5000), POLLPRI);
	int other = openVideo("rkvdec");
	struct v4l2_ctrl_h264_sps sps {};
	EXPECT_EQ(getSps(other, V4L2_CTRL_WHICH_REQUEST_VAL, req, &sps), -ENOMEM);
	EXPECT_EQ(getSps(s_.fd, V4L2_CTRL_WHICH_REQUEST_VAL, req, &sps), 0);
}

// ---- §3.4 poll ------------------------------------------------------------------------------

TEST_F(RequestPoll, WithoutPollpriNothingEverAndNoWait)
{
	start();
	int req = s_.requests[0];
	auto t0 = std::chrono::steady_clock::now();
	EXPECT_EQ(pollFd(req, POLLIN | POLLOUT | POLLRDNORM, 30), 0) << "IDLE, but no POLLPRI asked";
	EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(25)) << "timed out";
	ASSERT_EQ(fill(0, 1000), 0);
	ASSERT_EQ(qbuf(s_.fd, s_.capType, 0), 0);
	ASSERT_EQ(queueRequest(req), 0);
	ASSERT_EQ(pollFd(req, POLLPRI), POLLPRI);
	t0 = std::chrono::steady_clock::now();
	EXPECT_EQ(pollFd(req, POLLIN, 30), 0) << "COMPLETE, but no POLLPRI asked";
	EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(25));
	EXPECT_EQ(pollFd(req, POLLIN | POLLPRI), POLLPRI) << "only POLLPRI is ever reported";
}

TEST_F(RequestPoll, IdleErrQueuedWaitsCompletePri)
{
	useThreaded("fresnel", 150000);
	start("rkvdec", V4L2_PIX_FMT_H264_SLICE, 1, 1);
	int req = s_.requests[0];
	EXPECT_EQ(pollFd(req, POLLPRI), POLLERR) << "IDLE";
	ASSERT_EQ(fill(0, 1000), 0);
	EXPECT_EQ(pollFd(req, POLLPRI), POLLERR) << "IDLE with objects";
	ASSERT_EQ(qbuf(s_.fd, s_.capType, 0), 0);
	ASSERT_EQ(queueRequest(req), 0);
	EXPECT_EQ(pollFd(req, POLLPRI), 0) << "QUEUED";
	auto t0 = std::chrono::steady_clock::now();
	EXPECT_EQ(pollFd(req, POLLPRI, 5000), POLLPRI) << "the wait ends at completion";
	EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(50));
	EXPECT_EQ(pollFd(req, POLLPRI), POLLPRI) << "COMPLETE stays signalled";
	ASSERT_EQ(reinitRequest(req), 0);
	EXPECT_EQ(pollFd(req, POLLPRI), POLLERR) << "IDLE after REINIT";
}

TEST_F(RequestPoll, AQueuedRequestTimesOutWhileItCannotRun)
{
	start("rkvdec", V4L2_PIX_FMT_H264_SLICE, 1, 1);
	int req = s_.requests[0];
	ASSERT_EQ(fill(0, 1000), 0);
	ASSERT_EQ(queueRequest(req), 0);	// no CAPTURE buffer
	auto t0 = std::chrono::steady_clock::now();
	EXPECT_EQ(pollFd(req, POLLPRI, 30), 0);
	EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(25));
}

// ---- §1.4 / §8.15 controls through another open ----------------------------------------------

TEST_F(RequestForeignControls, NeverAppliedAndTheRequestWaitsForThatOpenToClose)
{
	start("rkvdec", V4L2_PIX_FMT_H264_SLICE, 1, 1);
	int other = openVideo("rkvdec");
	ASSERT_EQ(setFormat(other, s_.outType, V4L2_PIX_FMT_H264_SLICE, 320, 240), 0);
	int req = s_.requests[0];
	ASSERT_EQ(setControls(other, ctrls_, req), 0);	// accepted: keyed by the other handler
	ASSERT_EQ(qbuf(s_.fd, s_.outType, 0, req, 1000, 64), 0);
	ASSERT_EQ(qbuf(s_.fd, s_.capType, 0), 0);
	ASSERT_EQ(queueRequest(req), 0);
	EXPECT_EQ(jobs(), 1u) << "the job runs";
	// The buffers complete; the foreign control object never does.
	EXPECT_EQ(pollFd(req, POLLPRI), 0) << "still QUEUED";
	BufInfo cap = dq(s_.fd, s_.capType);
	EXPECT_EQ(cap.ret, 0);
	BufInfo out = dq(s_.fd, s_.outType);
	EXPECT_EQ(out.ret, 0);
	EXPECT_EQ(out.requestFd, req);
	EXPECT_EQ(pollFd(req, POLLPRI, 30), 0) << "still QUEUED after the buffers are gone";
	// Nothing was applied, on either open.
	struct v4l2_ctrl_h264_sps sps {};
	ASSERT_EQ(getSps(s_.fd, V4L2_CTRL_WHICH_CUR_VAL, -1, &sps), 0);
	EXPECT_EQ(sps.pic_width_in_mbs_minus1, 0);
	ASSERT_EQ(getSps(other, V4L2_CTRL_WHICH_CUR_VAL, -1, &sps), 0);
	EXPECT_EQ(sps.pic_width_in_mbs_minus1, 0);
	// The emulator says why (diagnostics.h: ForeignControls), and the job had no controls.
	EXPECT_EQ(countDiagnostics(DiagnosticKind::ForeignControls), 1u);
	EXPECT_EQ(countDiagnostics(DiagnosticKind::MissingControls), 1u);
	for (const Diagnostic &d : board().diagnostics())
		if (d.kind == DiagnosticKind::ForeignControls) {
			EXPECT_EQ(d.device, "rkvdec");
			EXPECT_EQ(d.job, 1u);
		}
	EXPECT_EQ(reinitRequest(req), -EBUSY) << "QUEUED";
	// Closing the open that set the controls frees its handler: the object is unbound and
	// the request completes.
	ASSERT_EQ(closeTracked(other), 0);
	EXPECT_EQ(pollFd(req, POLLPRI), POLLPRI);
	ASSERT_EQ(getSps(s_.fd, V4L2_CTRL_WHICH_REQUEST_VAL, req, &sps), 0)
		<< "this open's object was created at device_run";
	EXPECT_EQ(sps.pic_width_in_mbs_minus1, 0);
	EXPECT_EQ(reinitRequest(req), 0);
}

TEST_F(RequestForeignControls, BothOpensSetControlsOnlyTheOwnOnesApply)
{
	start("rkvdec", V4L2_PIX_FMT_H264_SLICE, 1, 1);
	int other = openVideo("rkvdec");
	ASSERT_EQ(setFormat(other, s_.outType, V4L2_PIX_FMT_H264_SLICE, 320, 240), 0);
	int req = s_.requests[0];
	CodecControls theirs = CodecControls::h264(160, 128);
	ASSERT_EQ(setControls(other, theirs, req), 0);
	ASSERT_EQ(setControls(s_.fd, ctrls_, req), 0);
	ASSERT_EQ(qbuf(s_.fd, s_.outType, 0, req, 1000, 64), 0);
	ASSERT_EQ(qbuf(s_.fd, s_.capType, 0), 0);
	ASSERT_EQ(queueRequest(req), 0);
	EXPECT_EQ(pollFd(req, POLLPRI), 0) << "the other open's object keeps it QUEUED";
	struct v4l2_ctrl_h264_sps sps {};
	ASSERT_EQ(getSps(s_.fd, V4L2_CTRL_WHICH_CUR_VAL, -1, &sps), 0);
	EXPECT_EQ(sps.pic_width_in_mbs_minus1, 19) << "this open's values were applied";
	EXPECT_EQ(countDiagnostics(DiagnosticKind::ForeignControls), 1u);
	EXPECT_EQ(countDiagnostics(DiagnosticKind::MissingControls), 0u);
	ASSERT_EQ(closeTracked(other), 0);
	EXPECT_EQ(pollFd(req, POLLPRI), POLLPRI);
}

} // namespace
} // namespace v4l2emu::test
