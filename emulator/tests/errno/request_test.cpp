// SPDX-License-Identifier: MIT
// Spec §3: the request state table, per-driver validation, completion and poll rules.
#include "emu_fixture.h"

#include <poll.h>

namespace v4l2emu::test {
namespace {

class RequestTest : public EmuTest {
protected:
	/// rkvdec session with the queues streaming, and controls for one picture ready.
	void start(const std::string &device = "rkvdec", uint32_t fourcc = V4L2_PIX_FMT_H264_SLICE)
	{
		std::string what;
		ASSERT_EQ(startSession(s_, device, fourcc, 320, 240, 2, 2, &what), 0) << what;
		ctrls_ = CodecControls::forFourcc(fourcc, 320, 240);
	}
	short pollRequest(int req, short events, int timeoutMs = 0)
	{
		struct pollfd p {req, events, 0};
		int n = io().poll(&p, 1, timeoutMs);
		return n > 0 ? p.revents : static_cast<short>(n);
	}
	Session s_;
	CodecControls ctrls_;
};

using RequestStates = RequestTest;
using RequestValidate = RequestTest;
using RequestRules = RequestTest;

TEST_F(RequestStates, Row1_AllocGivesIdle)
{
	start();
	int req = allocRequest(s_.mediaFd);
	ASSERT_GE(req, 0);
	EXPECT_EQ(pollRequest(req, POLLPRI), POLLERR) << "IDLE polls as POLLERR";
	EXPECT_EQ(fcntl(req, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC) << "O_CLOEXEC like the kernel";
	endSession(s_);
}

TEST_F(RequestStates, Row2_UpdatesOnlyWhileIdleOrUpdating)
{
	start();
	int req = s_.requests[0];
	ASSERT_EQ(queuePicture(s_, ctrls_, 0, 0, 1000), 0);
	// COMPLETE now (deterministic scheduler): adding controls or buffers is EBUSY.
	EXPECT_EQ(setControls(s_.fd, ctrls_, req), -EBUSY);
	EXPECT_EQ(qbuf(s_.fd, s_.outType, 1, req, 2000, 64), -EBUSY);
	endSession(s_);
}

TEST_F(RequestStates, Row3_QueueWhenNotIdle_Ebusy)
{
	start();
	int req = s_.requests[0];
	ASSERT_EQ(queuePicture(s_, ctrls_, 0, 0, 1000), 0);
	EXPECT_EQ(queueRequest(req), -EBUSY) << "reusing without REINIT";
	endSession(s_);
}

TEST_F(RequestStates, Row4_ValidateFailureReturnsToIdleWithObjectsAttached)
{
	start();
	int req = s_.requests[0];
	ASSERT_EQ(setControls(s_.fd, ctrls_, req), 0);
	EXPECT_EQ(queueRequest(req), -ENOENT) << "controls only, no buffer";
	EXPECT_EQ(pollRequest(req, POLLPRI), POLLERR) << "IDLE again";
	// The control object is still there: the request can be completed and queued.
	ASSERT_EQ(qbuf(s_.fd, s_.outType, 0, req, 1000, 64), 0);
	ASSERT_EQ(qbuf(s_.fd, s_.capType, 0), 0);
	EXPECT_EQ(queueRequest(req), 0);
	EXPECT_EQ(countDiagnostics(DiagnosticKind::MissingControls), 0u) << "the controls were applied";
	endSession(s_);
}

TEST_F(RequestStates, Row5_ValidateOkQueuesTheObjects)
{
	BoardOptions o;
	o.scheduler = SchedulerMode::Threaded;
	o.decodeDelayUs = 200000;
	useBoard("fresnel", o);
	start();
	int req = s_.requests[0];
	ASSERT_EQ(queuePicture(s_, ctrls_, 0, 0, 1000), 0);
	EXPECT_EQ(pollRequest(req, POLLPRI), 0) << "QUEUED: no event yet";
	struct v4l2_plane planes[VIDEO_MAX_PLANES] = {};
	struct v4l2_buffer b {};
	ASSERT_EQ(querybuf(s_.fd, s_.outType, 0, &b, planes), 0);
	EXPECT_TRUE(b.flags & V4L2_BUF_FLAG_QUEUED);
	EXPECT_FALSE(b.flags & V4L2_BUF_FLAG_IN_REQUEST);
	EXPECT_EQ(pollRequest(req, POLLPRI, 5000), POLLPRI);
	endSession(s_);
}

TEST_F(RequestStates, Row6_CompletesWhenTheLastObjectCompletes)
{
	start();
	int req = s_.requests[0];
	ASSERT_EQ(queuePicture(s_, ctrls_, 0, 0, 1000), 0);
	EXPECT_EQ(pollRequest(req, POLLPRI), POLLPRI);
	// CAPTURE is returned before OUTPUT: dequeueable once the request signals.
	struct v4l2_buffer cap {};
	EXPECT_EQ(dqbuf(s_.fd, s_.capType, &cap), 0);
	endSession(s_);
}

TEST_F(RequestStates, Row7_ReinitFromIdleOrCompleteOnly)
{
	BoardOptions o;
	o.scheduler = SchedulerMode::Threaded;
	o.decodeDelayUs = 200000;
	useBoard("fresnel", o);
	start();
	int req = s_.requests[0];
	ASSERT_EQ(qbuf(s_.fd, s_.outType, 0, req, 1000, 64), 0);
	EXPECT_EQ(reinitRequest(req), 0) << "IDLE";
	// The IN_REQUEST buffer went back to DEQUEUED.
	struct v4l2_plane planes[VIDEO_MAX_PLANES] = {};
	struct v4l2_buffer b {};
	ASSERT_EQ(querybuf(s_.fd, s_.outType, 0, &b, planes), 0);
	EXPECT_FALSE(b.flags & (V4L2_BUF_FLAG_IN_REQUEST | V4L2_BUF_FLAG_REQUEST_FD));
	ASSERT_EQ(queuePicture(s_, ctrls_, 0, 0, 1000), 0);
	EXPECT_EQ(reinitRequest(req), -EBUSY) << "QUEUED";
	ASSERT_EQ(pollRequest(req, POLLPRI, 5000), POLLPRI);
	EXPECT_EQ(reinitRequest(req), 0) << "COMPLETE";
	endSession(s_);
}

TEST_F(RequestStates, Row8_LastReferenceFreesTheRequest)
{
	start();
	int req = allocRequest(s_.mediaFd);
	ASSERT_EQ(qbuf(s_.fd, s_.outType, 0, req, 1000, 64), 0);
	uint64_t live = board().stats().devices[0].liveRequests;
	// close drops the fd's reference; the bound buffer keeps the request alive.
	ASSERT_EQ(closeFd(req), 0);
	openFds_.erase(std::find(openFds_.begin(), openFds_.end(), req));
	EXPECT_EQ(board().stats().devices[0].liveRequests, live);
	// A cancel unbinds the IN_REQUEST buffer: the last reference goes.
	ASSERT_EQ(streamoff(s_.fd, s_.outType), 0);
	EXPECT_EQ(board().stats().devices[0].liveRequests, live - 1);
	endSession(s_);
}

TEST_F(RequestValidate, Row1_HantroAcceptsSeveralBuffers)
{
	start("hantro-vpu", V4L2_PIX_FMT_MPEG2_SLICE);
	int req = s_.requests[0];
	EXPECT_EQ(queueRequest(req), -ENOENT) << "0 buffers";
	ASSERT_EQ(qbuf(s_.fd, s_.outType, 0, req, 1000, 64), 0);
	ASSERT_EQ(qbuf(s_.fd, s_.outType, 1, req, 1000, 64), 0);
	EXPECT_EQ(queueRequest(req), 0);
	endSession(s_);
}

TEST_F(RequestValidate, Row2_RkvdecRefusesTwoBuffers_Einval)
{
	start();
	int req = s_.requests[0];
	EXPECT_EQ(queueRequest(req), -ENOENT);
	ASSERT_EQ(qbuf(s_.fd, s_.outType, 0, req, 1000, 64), 0);
	ASSERT_EQ(qbuf(s_.fd, s_.outType, 1, req, 1000, 64), 0);
	EXPECT_EQ(queueRequest(req), -EINVAL);
	// Objects stay attached after the failed validation.
	struct v4l2_plane planes[VIDEO_MAX_PLANES] = {};
	struct v4l2_buffer b {};
	ASSERT_EQ(querybuf(s_.fd, s_.outType, 1, &b, planes), 0);
	EXPECT_TRUE(b.flags & V4L2_BUF_FLAG_IN_REQUEST);
	endSession(s_);
}

TEST_F(RequestValidate, Row3_VislRefusesTwoBuffers_Einval)
{
	useBoard("visl");
	start("visl");
	int req = s_.requests[0];
	EXPECT_EQ(queueRequest(req), -ENOENT);
	ASSERT_EQ(qbuf(s_.fd, s_.outType, 0, req, 1000, 64), 0);
	ASSERT_EQ(qbuf(s_.fd, s_.outType, 1, req, 1000, 64), 0);
	EXPECT_EQ(queueRequest(req), -EINVAL);
	endSession(s_);
}

TEST_F(RequestValidate, Row4_CedrusRefusesTwoBuffersAndChecksNoControls)
{
	useBoard("cedrus");
	start("cedrus", V4L2_PIX_FMT_MPEG2_SLICE);
	int req = s_.requests[0];
	EXPECT_EQ(queueRequest(req), -ENOENT);
	ASSERT_EQ(qbuf(s_.fd, s_.outType, 0, req, 1000, 64), 0);
	ASSERT_EQ(qbuf(s_.fd, s_.outType, 1, req, 1000, 64), 0);
	EXPECT_EQ(queueRequest(req), -EINVAL);
	ASSERT_EQ(reinitRequest(req), 0);
	// No required-control check in 6.12: a buffer alone validates.
	ASSERT_EQ(qbuf(s_.fd, s_.outType, 0, req, 1000, 64), 0);
	EXPECT_EQ(queueRequest(req), 0);
	endSession(s_);
}

TEST_F(RequestValidate, PlaneTooSmallAtQueue_Einval)
{
	// hantro lets S_FMT(OUTPUT) grow the size over existing buffers: the request path
	// finds it at QUEUE time (buf_prepare), and the objects stay attached.
	start("hantro-vpu", V4L2_PIX_FMT_MPEG2_SLICE);
	int req = s_.requests[0];
	ASSERT_EQ(qbuf(s_.fd, s_.outType, 0, req, 1000, 64), 0);
	ASSERT_EQ(streamoff(s_.fd, s_.outType), 0);
	ASSERT_EQ(qbuf(s_.fd, s_.outType, 0, req, 1000, 64), 0);
	ASSERT_EQ(setFormat(s_.fd, s_.outType, V4L2_PIX_FMT_MPEG2_SLICE, 640, 480), 0);
	EXPECT_EQ(queueRequest(req), -EINVAL);
	endSession(s_);
}

TEST_F(RequestRules, PollWithoutPollpriNeverSignals)
{
	start();
	int req = s_.requests[0];
	ASSERT_EQ(queuePicture(s_, ctrls_, 0, 0, 1000), 0);
	EXPECT_EQ(pollRequest(req, POLLIN, 20), 0) << "COMPLETE, but POLLIN just times out";
	EXPECT_EQ(pollRequest(req, POLLIN | POLLPRI), POLLPRI);
	endSession(s_);
}

TEST_F(RequestRules, GetRequestValuesOnlyAfterCompletion)
{
	start();
	int req = s_.requests[0];
	ASSERT_EQ(setControls(s_.fd, ctrls_, req), 0);
	struct v4l2_ctrl_h264_sps sps {};
	std::vector<struct v4l2_ext_control> get(1);
	get[0].id = V4L2_CID_STATELESS_H264_SPS;
	get[0].size = sizeof(sps);
	get[0].ptr = &sps;
	EXPECT_EQ(extCtrls(s_.fd, VIDIOC_G_EXT_CTRLS, V4L2_CTRL_WHICH_REQUEST_VAL, req, get), -EACCES);
	ASSERT_EQ(qbuf(s_.fd, s_.outType, 0, req, 1000, 64), 0);
	ASSERT_EQ(qbuf(s_.fd, s_.capType, 0), 0);
	ASSERT_EQ(queueRequest(req), 0);
	EXPECT_EQ(extCtrls(s_.fd, VIDIOC_G_EXT_CTRLS, V4L2_CTRL_WHICH_REQUEST_VAL, req, get), 0);
	EXPECT_EQ(sps.pic_width_in_mbs_minus1, 19) << "320 / 16 - 1";
	// A control the request did not set reads back the value current at completion.
	struct v4l2_ctrl_vp9_frame vp9 {};
	get[0].id = V4L2_CID_STATELESS_VP9_FRAME;
	get[0].size = sizeof(vp9);
	get[0].ptr = &vp9;
	EXPECT_EQ(extCtrls(s_.fd, VIDIOC_G_EXT_CTRLS, V4L2_CTRL_WHICH_REQUEST_VAL, req, get), 0);
	EXPECT_EQ(vp9.bit_depth, 8) << "the default";
	endSession(s_);
}

TEST_F(RequestRules, TryOnRequestWithoutControlObject_Enomem)
{
	start();
	int req = s_.requests[0];
	EXPECT_EQ(setControls(s_.fd, ctrls_, -1), 0);
	std::vector<struct v4l2_ext_control> c = ctrls_.controls;
	EXPECT_EQ(extCtrls(s_.fd, VIDIOC_TRY_EXT_CTRLS, V4L2_CTRL_WHICH_REQUEST_VAL, req, c), -ENOMEM);
	EXPECT_EQ(extCtrls(s_.fd, VIDIOC_S_EXT_CTRLS, V4L2_CTRL_WHICH_REQUEST_VAL, -1, c), -EINVAL)
		<< "request_fd < 0";
	std::vector<struct v4l2_ext_control> none;
	EXPECT_EQ(extCtrls(s_.fd, VIDIOC_S_EXT_CTRLS, V4L2_CTRL_WHICH_REQUEST_VAL, req, none), 0)
		<< "count 0 binds an empty object";
	EXPECT_EQ(extCtrls(s_.fd, VIDIOC_TRY_EXT_CTRLS, V4L2_CTRL_WHICH_REQUEST_VAL, req, c), 0);
	endSession(s_);
}

TEST_F(RequestRules, RequestValuesPersistAsCurrentValues)
{
	start();
	struct v4l2_buffer cap {};
	ASSERT_EQ(decodeOne(s_, ctrls_, 0, 0, 1000, &cap), 0);
	// A second request without controls decodes with the values the first one left.
	int req = s_.requests[1];
	ASSERT_EQ(qbuf(s_.fd, s_.outType, 1, req, 2000, 64), 0);
	ASSERT_EQ(qbuf(s_.fd, s_.capType, 1), 0);
	ASSERT_EQ(queueRequest(req), 0);
	EXPECT_EQ(countDiagnostics(DiagnosticKind::MissingControls), 0u);
	struct v4l2_ctrl_h264_sps sps {};
	std::vector<struct v4l2_ext_control> get(1);
	get[0].id = V4L2_CID_STATELESS_H264_SPS;
	get[0].size = sizeof(sps);
	get[0].ptr = &sps;
	ASSERT_EQ(extCtrls(s_.fd, VIDIOC_G_EXT_CTRLS, V4L2_CTRL_WHICH_CUR_VAL, -1, get), 0);
	EXPECT_EQ(sps.pic_width_in_mbs_minus1, 19);
	endSession(s_);
}

TEST_F(RequestRules, ControlsThroughAnotherOpenNeverApplyUntilThatOpenCloses)
{
	start();
	int other = openVideo("rkvdec");
	ASSERT_EQ(setFormat(other, s_.outType, V4L2_PIX_FMT_H264_SLICE, 320, 240), 0);
	int req = s_.requests[0];
	ASSERT_EQ(setControls(other, ctrls_, req), 0);	// through the other open
	ASSERT_EQ(qbuf(s_.fd, s_.outType, 0, req, 1000, 64), 0);
	ASSERT_EQ(qbuf(s_.fd, s_.capType, 0), 0);
	ASSERT_EQ(queueRequest(req), 0);
	EXPECT_EQ(countDiagnostics(DiagnosticKind::ForeignControls), 1u);
	EXPECT_EQ(countDiagnostics(DiagnosticKind::MissingControls), 1u) << "nothing was applied";
	EXPECT_EQ(pollRequest(req, POLLPRI), 0) << "still QUEUED";
	ASSERT_EQ(closeFd(other), 0);
	openFds_.erase(std::find(openFds_.begin(), openFds_.end(), other));
	EXPECT_EQ(pollRequest(req, POLLPRI), POLLPRI) << "completes when the other open goes";
	endSession(s_);
}

TEST_F(RequestRules, StreamoffCompletesQueuedRequests)
{
	start();
	int req = s_.requests[0];
	ASSERT_EQ(setControls(s_.fd, ctrls_, req), 0);
	ASSERT_EQ(qbuf(s_.fd, s_.outType, 0, req, 1000, 64), 0);
	ASSERT_EQ(queueRequest(req), 0);	// no CAPTURE buffer: stays queued
	EXPECT_EQ(pollRequest(req, POLLPRI), 0);
	ASSERT_EQ(streamoff(s_.fd, s_.outType), 0);
	EXPECT_EQ(pollRequest(req, POLLPRI), POLLPRI);
	endSession(s_);
}

} // namespace
} // namespace v4l2emu::test
