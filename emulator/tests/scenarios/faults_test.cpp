// SPDX-License-Identifier: MIT
// Fault plans through the API and the environment: ioctl errno on the Nth call, decode
// errors, hangs until the watchdog, unplug, refused memory.
#include "emu_fixture.h"

#include <poll.h>

#include <chrono>
#include <cstdlib>

namespace v4l2emu::test {
namespace {

using Faults = EmuTest;

TEST_F(Faults, NthIoctlFailsWithErrnoAndChangesNothing)
{
	FaultPlan plan;
	plan.ioctls.push_back({"rkvdec", VIDIOC_REQBUFS, 2, 1, EIO});
	board().setFaults(plan);
	int fd = openVideo("rkvdec");
	ASSERT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_H264_SLICE, 320, 240), 0);
	EXPECT_EQ(reqbufs(fd, outType(fd), 2), 2);
	EXPECT_EQ(reqbufs(fd, capType(fd), 2), -EIO);
	EXPECT_EQ(board().stats().devices[0].liveBuffers, 2u);
	EXPECT_EQ(reqbufs(fd, capType(fd), 2), 2) << "count=1: only the second call fails";
	EXPECT_EQ(countDiagnostics(DiagnosticKind::Fault), 1u);
}

TEST_F(Faults, DiagnosticsKeepTheFirstFewThousandAndCountTheRest)
{
	// A fault on every QUERYCAP: one diagnostic per call, as a driver wrong on every frame
	// makes one per job.
	FaultPlan plan;
	plan.ioctls.push_back({"rkvdec", VIDIOC_QUERYCAP, 1, 0, EIO});
	board().setFaults(plan);
	int fd = openVideo("rkvdec");
	ASSERT_GE(fd, 0);
	constexpr int kCalls = 5000;
	for (int i = 0; i < kCalls; i++) {
		struct v4l2_capability cap {};
		ASSERT_EQ(xioctl(fd, VIDIOC_QUERYCAP, &cap), -EIO) << i;
	}
	std::vector<Diagnostic> d = board().diagnostics();
	ASSERT_EQ(d.size(), 4096u);
	EXPECT_EQ(board().diagnosticsDropped(), static_cast<uint64_t>(kCalls) - 4096);
	EXPECT_NE(d.front().message.find("on call 1 of"), std::string::npos) << d.front().message;
	EXPECT_NE(d.back().message.find("on call 4096 of"), std::string::npos) << d.back().message;
	board().clearDiagnostics();
	EXPECT_TRUE(board().diagnostics().empty());
	EXPECT_EQ(board().diagnosticsDropped(), 0u);
	struct v4l2_capability cap {};
	ASSERT_EQ(xioctl(fd, VIDIOC_QUERYCAP, &cap), -EIO);
	EXPECT_EQ(board().diagnostics().size(), 1u) << "recorded again after a clear";
	EXPECT_EQ(closeFd(fd), 0);
}

TEST_F(Faults, DecodeErrorMarksBothBuffersError)
{
	Session s;
	std::string what;
	ASSERT_EQ(startSession(s, "rkvdec", V4L2_PIX_FMT_VP9_FRAME, 320, 240, 2, 2, &what), 0) << what;
	FaultPlan plan;
	plan.decodes.push_back({"rkvdec", DecodeFaultKind::Error, 2});
	board().setFaults(plan);
	CodecControls c = CodecControls::vp9(320, 240);
	struct v4l2_buffer cap {};
	ASSERT_EQ(decodeOne(s, c, 0, 0, 1000, &cap), 0);
	EXPECT_FALSE(cap.flags & V4L2_BUF_FLAG_ERROR);
	ASSERT_EQ(decodeOne(s, c, 1, 1, 2000, &cap), 0);
	EXPECT_TRUE(cap.flags & V4L2_BUF_FLAG_ERROR);
	endSession(s);
}

TEST_F(Faults, VislCompletesDoneEvenWhenTheDecodeFails)
{
	useBoard("visl");
	Session s;
	std::string what;
	ASSERT_EQ(startSession(s, "visl", V4L2_PIX_FMT_H264_SLICE, 320, 240, 1, 1, &what), 0) << what;
	FaultPlan plan;
	plan.decodes.push_back({"visl", DecodeFaultKind::Error, 1});
	board().setFaults(plan);
	CodecControls c = CodecControls::h264(320, 240);
	struct v4l2_buffer cap {};
	ASSERT_EQ(decodeOne(s, c, 0, 0, 1000, &cap), 0);
	EXPECT_FALSE(cap.flags & V4L2_BUF_FLAG_ERROR) << "VD:visl_device_run always completes DONE";
	endSession(s);
}

TEST_F(Faults, HangCompletesWithErrorAtTheWatchdog)
{
	BoardOptions o;
	o.watchdogMs = 100;
	o.faults.decodes.push_back({"hantro-vpu", DecodeFaultKind::Hang, 1});
	useBoard("fresnel", o);
	Session s;
	std::string what;
	ASSERT_EQ(startSession(s, "hantro-vpu", V4L2_PIX_FMT_MPEG2_SLICE, 320, 240, 1, 1, &what), 0)
		<< what;
	CodecControls c = CodecControls::mpeg2(320, 240);
	ASSERT_EQ(queuePicture(s, c, 0, 0, 1000), 0);
	struct pollfd pfd {s.requests[0], POLLPRI, 0};
	EXPECT_EQ(io().poll(&pfd, 1, 10), 0) << "hung: nothing completes";
	auto t0 = std::chrono::steady_clock::now();
	EXPECT_EQ(io().poll(&pfd, 1, 5000), 1);
	EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
	struct v4l2_buffer cap {};
	ASSERT_EQ(dqbuf(s.fd, s.capType, &cap), 0);
	EXPECT_TRUE(cap.flags & V4L2_BUF_FLAG_ERROR);
	endSession(s);
}

TEST_F(Faults, UnplugMakesIoctlsFailWithEnodevAndPollHangUp)
{
	int fd = openVideo("rkvdec");
	int media = openMedia("rkvdec");
	ASSERT_GE(fd, 0);
	ASSERT_EQ(board().unplug("rkvdec"), 0);
	struct v4l2_capability cap {};
	EXPECT_EQ(xioctl(fd, VIDIOC_QUERYCAP, &cap), -ENODEV);
	struct media_device_info info {};
	EXPECT_EQ(xioctl(media, MEDIA_IOC_DEVICE_INFO, &info), -ENODEV);
	struct pollfd pfd {fd, POLLIN, 0};
	EXPECT_EQ(io().poll(&pfd, 1, 0), 1);
	EXPECT_TRUE(pfd.revents & POLLERR);
	EXPECT_TRUE(pfd.revents & POLLHUP);
	EXPECT_EQ(io().open(node("rkvdec").videoPath.c_str(), O_RDWR), -ENODEV);
	EXPECT_EQ(closeFd(fd), 0) << "close still works";
	openFds_.erase(std::find(openFds_.begin(), openFds_.end(), fd));
	// The other device is unaffected.
	int h = openVideo("hantro-vpu");
	EXPECT_EQ(xioctl(h, VIDIOC_QUERYCAP, &cap), 0);
}

TEST_F(Faults, UnplugAfterNIoctlsFromThePlan)
{
	BoardOptions o;
	o.faults.unplugs.push_back({"hantro-vpu", 3});
	useBoard("fresnel", o);
	int fd = openVideo("hantro-vpu");
	struct v4l2_capability cap {};
	EXPECT_EQ(xioctl(fd, VIDIOC_QUERYCAP, &cap), 0);
	EXPECT_EQ(xioctl(fd, VIDIOC_QUERYCAP, &cap), 0);
	EXPECT_EQ(xioctl(fd, VIDIOC_QUERYCAP, &cap), 0);
	EXPECT_EQ(xioctl(fd, VIDIOC_QUERYCAP, &cap), -ENODEV);
}

TEST_F(Faults, RefusedMemoryFailsRequestAllocAndExpbuf)
{
	int media = openMedia("rkvdec");
	int fd = openVideo("rkvdec");
	ASSERT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_H264_SLICE, 320, 240), 0);
	ASSERT_EQ(reqbufs(fd, capType(fd), 1), 1);
	FaultPlan plan;
	plan.memory.push_back({"rkvdec", 1, 2});
	board().setFaults(plan);
	int req = -1;
	EXPECT_EQ(xioctl(media, MEDIA_IOC_REQUEST_ALLOC, &req), -ENOMEM);
	struct v4l2_exportbuffer eb {};
	eb.type = capType(fd);
	EXPECT_EQ(xioctl(fd, VIDIOC_EXPBUF, &eb), -ENOMEM);
	EXPECT_GE(allocRequest(media), 0) << "count=2: the third allocation works";
}

TEST_F(Faults, PlanFromTheEnvironment)
{
	setenv("V4L2EMU_FAULTS", "ioctl=VIDIOC_QUERYCAP,nth=1,errno=EIO,device=rkvdec", 1);
	setenv("V4L2EMU_KERNEL", "6.12", 1);
	BoardOptions o;
	std::string error;
	ASSERT_EQ(Board::optionsFromEnvironment(&o, &error), 0) << error;
	unsetenv("V4L2EMU_FAULTS");
	unsetenv("V4L2EMU_KERNEL");
	EXPECT_EQ(o.kernel, KernelVersion::V6_12);
	useBoard("fresnel", o);
	int fd = openVideo("rkvdec");
	struct v4l2_capability cap {};
	EXPECT_EQ(xioctl(fd, VIDIOC_QUERYCAP, &cap), -EIO);
	EXPECT_EQ(xioctl(fd, VIDIOC_QUERYCAP, &cap), 0);
}

TEST_F(Faults, MalformedEnvironmentIsAClearError)
{
	setenv("V4L2EMU_FAULTS", "ioctl=VIDIOC_NOPE,nth=1,errno=EIO", 1);
	BoardOptions o;
	std::string error;
	EXPECT_EQ(Board::optionsFromEnvironment(&o, &error), -EINVAL);
	EXPECT_NE(error.find("V4L2EMU_FAULTS"), std::string::npos) << error;
	unsetenv("V4L2EMU_FAULTS");
	setenv("V4L2EMU_SCHEDULER", "sometimes", 1);
	EXPECT_EQ(Board::optionsFromEnvironment(&o, &error), -EINVAL);
	EXPECT_NE(error.find("deterministic"), std::string::npos) << error;
	unsetenv("V4L2EMU_SCHEDULER");
}

TEST_F(Faults, ThreadedSchedulerCompletesOnTheWorker)
{
	BoardOptions o;
	o.scheduler = SchedulerMode::Threaded;
	o.decodeDelayUs = 1000;
	useBoard("fresnel", o);
	Session s;
	std::string what;
	ASSERT_EQ(startSession(s, "rkvdec", V4L2_PIX_FMT_H264_SLICE, 320, 240, 2, 4, &what), 0) << what;
	CodecControls c = CodecControls::h264(320, 240);
	for (uint32_t i = 0; i < 8; i++) {
		struct v4l2_buffer cap {};
		ASSERT_EQ(decodeOne(s, c, i % 2, i % 4, 1000 * (i + 1), &cap), 0);
		EXPECT_FALSE(cap.flags & V4L2_BUF_FLAG_ERROR);
	}
	EXPECT_EQ(board().stats().devices[0].jobs, 8u);
	endSession(s);
}

} // namespace
} // namespace v4l2emu::test
