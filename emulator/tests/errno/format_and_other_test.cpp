// SPDX-License-Identifier: MIT
// Spec §2.2-§2.5: format ioctls, other video-node ioctls, media-device and request-fd ioctls,
// and the rules for QUERYBUF, STREAMOFF, EXPBUF, mmap and poll.
#include "emu_fixture.h"

#include <poll.h>

#include <cstring>

namespace v4l2emu::test {
namespace {

using FormatIoctls = EmuTest;
using OtherIoctls = EmuTest;
using MediaIoctls = EmuTest;
using NodeRules = EmuTest;

TEST_F(FormatIoctls, Row1_EnumFmtPlanarityMustMatchAndIndexEnds)
{
	int fd = openVideo("rkvdec");
	struct v4l2_fmtdesc f {};
	f.type = V4L2_BUF_TYPE_VIDEO_OUTPUT;	// single-planar on an MPLANE node
	EXPECT_EQ(xioctl(fd, VIDIOC_ENUM_FMT, &f), -EINVAL);
	f.type = V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE;
	ASSERT_EQ(xioctl(fd, VIDIOC_ENUM_FMT, &f), 0);
	EXPECT_EQ(f.pixelformat, static_cast<uint32_t>(V4L2_PIX_FMT_HEVC_SLICE)) << "mainline lists S265 first";
	EXPECT_STREQ(reinterpret_cast<char *>(f.description), "HEVC Parsed Slice Data");
	EXPECT_TRUE(f.flags & V4L2_FMT_FLAG_COMPRESSED);
	f.index = 3;
	EXPECT_EQ(xioctl(fd, VIDIOC_ENUM_FMT, &f), -EINVAL);
	useBoard("cedrus");
	int c = openVideo("cedrus");
	f = {};
	f.type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
	EXPECT_EQ(xioctl(c, VIDIOC_ENUM_FMT, &f), -EINVAL);
	f.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	ASSERT_EQ(xioctl(c, VIDIOC_ENUM_FMT, &f), 0);
	EXPECT_EQ(f.pixelformat, static_cast<uint32_t>(V4L2_PIX_FMT_NV12));
	EXPECT_FALSE(f.flags & V4L2_FMT_FLAG_COMPRESSED);
}

TEST_F(FormatIoctls, Row2_FmtPlanarityTryNeverBusyUnknownFourccCorrected)
{
	int fd = openVideo("rkvdec");
	struct v4l2_format f {};
	f.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	EXPECT_EQ(xioctl(fd, VIDIOC_G_FMT, &f), -EINVAL);
	EXPECT_EQ(xioctl(fd, VIDIOC_TRY_FMT, &f), -EINVAL);
	EXPECT_EQ(xioctl(fd, VIDIOC_S_FMT, &f), -EINVAL);
	ASSERT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_H264_SLICE, 320, 240), 0);
	ASSERT_EQ(reqbufs(fd, outType(fd), 1), 1);
	ASSERT_EQ(streamon(fd, outType(fd)), 0);
	f = {};
	f.type = outType(fd);
	f.fmt.pix_mp.pixelformat = v4l2_fourcc('N', 'O', 'P', 'E');
	f.fmt.pix_mp.width = 320;
	f.fmt.pix_mp.height = 240;
	EXPECT_EQ(xioctl(fd, VIDIOC_TRY_FMT, &f), 0) << "TRY_FMT never EBUSY";
	EXPECT_EQ(f.fmt.pix_mp.pixelformat, static_cast<uint32_t>(V4L2_PIX_FMT_HEVC_SLICE))
		<< "corrected to the first coded format";
	f.fmt.pix_mp.pixelformat = V4L2_PIX_FMT_VP9_FRAME;
	EXPECT_EQ(xioctl(fd, VIDIOC_S_FMT, &f), -EBUSY);
}

TEST_F(FormatIoctls, Row3_EnumFramesizesCedrusHasNoOp)
{
	useBoard("cedrus");
	int c = openVideo("cedrus");
	struct v4l2_frmsizeenum fs {};
	fs.pixel_format = V4L2_PIX_FMT_H264_SLICE;
	EXPECT_EQ(xioctl(c, VIDIOC_ENUM_FRAMESIZES, &fs), -ENOTTY);
	useBoard("fresnel");
	int fd = openVideo("rkvdec");
	ASSERT_EQ(xioctl(fd, VIDIOC_ENUM_FRAMESIZES, &fs), 0);
	EXPECT_EQ(fs.type, static_cast<uint32_t>(V4L2_FRMSIZE_TYPE_CONTINUOUS));
	EXPECT_EQ(fs.stepwise.max_width, 4096u);
	fs.index = 1;
	EXPECT_EQ(xioctl(fd, VIDIOC_ENUM_FRAMESIZES, &fs), -EINVAL);
}

TEST_F(FormatIoctls, Row4_SelectionOnlyOnHantroOutput)
{
	int fd = openVideo("rkvdec");
	struct v4l2_selection sel {};
	sel.type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
	sel.target = V4L2_SEL_TGT_CROP;
	EXPECT_EQ(xioctl(fd, VIDIOC_G_SELECTION, &sel), -ENOTTY);
	int h = openVideo("hantro-vpu");
	ASSERT_EQ(setFormat(h, outType(h), V4L2_PIX_FMT_VP8_FRAME, 3840, 2160), 0);
	EXPECT_EQ(xioctl(h, VIDIOC_G_SELECTION, &sel), 0);
	EXPECT_EQ(sel.r.width, 1920u) << "CROP reports the decoded (CAPTURE) size";
	sel.target = V4L2_SEL_TGT_CROP_BOUNDS;
	EXPECT_EQ(xioctl(h, VIDIOC_G_SELECTION, &sel), 0);
	EXPECT_EQ(sel.r.width, 3840u) << "BOUNDS report the OUTPUT size";
	sel.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	EXPECT_EQ(xioctl(h, VIDIOC_G_SELECTION, &sel), -EINVAL);
}

TEST_F(OtherIoctls, Row1_DecoderCmdOnlyFlush)
{
	int fd = openVideo("rkvdec");
	struct v4l2_decoder_cmd dc {};
	dc.cmd = V4L2_DEC_CMD_STOP;
	EXPECT_EQ(xioctl(fd, VIDIOC_TRY_DECODER_CMD, &dc), -EINVAL);
	EXPECT_EQ(xioctl(fd, VIDIOC_DECODER_CMD, &dc), -EINVAL);
	dc.cmd = V4L2_DEC_CMD_FLUSH;
	dc.flags = 0xff;
	EXPECT_EQ(xioctl(fd, VIDIOC_TRY_DECODER_CMD, &dc), 0);
	EXPECT_EQ(dc.flags, 0u) << "flags zeroed";
}

TEST_F(OtherIoctls, Row2_SubscribeOnlyControlEvents)
{
	int fd = openVideo("rkvdec");
	struct v4l2_event_subscription sub {};
	sub.type = V4L2_EVENT_SOURCE_CHANGE;
	EXPECT_EQ(xioctl(fd, VIDIOC_SUBSCRIBE_EVENT, &sub), -EINVAL);
	sub.type = V4L2_EVENT_EOS;
	EXPECT_EQ(xioctl(fd, VIDIOC_SUBSCRIBE_EVENT, &sub), -EINVAL);
	sub.type = V4L2_EVENT_CTRL;
	sub.id = V4L2_CID_MPEG_VIDEO_H264_PROFILE;
	sub.flags = V4L2_EVENT_SUB_FL_SEND_INITIAL;
	EXPECT_EQ(xioctl(fd, VIDIOC_SUBSCRIBE_EVENT, &sub), 0);
	struct v4l2_event ev {};
	EXPECT_EQ(xioctl(fd, VIDIOC_DQEVENT, &ev), 0);
	EXPECT_EQ(ev.type, static_cast<uint32_t>(V4L2_EVENT_CTRL));
	EXPECT_EQ(ev.u.ctrl.value, V4L2_MPEG_VIDEO_H264_PROFILE_MAIN);
}

TEST_F(OtherIoctls, Row3_GSCtrlOnCompound_Einval)
{
	int fd = openVideo("rkvdec");
	struct v4l2_control c {};
	c.id = V4L2_CID_STATELESS_H264_SPS;
	EXPECT_EQ(xioctl(fd, VIDIOC_G_CTRL, &c), -EINVAL);
	EXPECT_EQ(xioctl(fd, VIDIOC_S_CTRL, &c), -EINVAL);
	c.id = V4L2_CID_STATELESS_H264_DECODE_MODE;
	ASSERT_EQ(xioctl(fd, VIDIOC_G_CTRL, &c), 0);
	EXPECT_EQ(c.value, V4L2_STATELESS_H264_DECODE_MODE_FRAME_BASED);
}

TEST_F(OtherIoctls, Row4_ExtCtrlsCountAboveLimit_Einval)
{
	int fd = openVideo("rkvdec");
	std::vector<struct v4l2_ext_control> many(V4L2_CID_MAX_CTRLS + 1);
	struct v4l2_ext_controls cs {};
	cs.count = V4L2_CID_MAX_CTRLS + 1;
	cs.controls = many.data();
	cs.error_idx = 77;
	EXPECT_EQ(xioctl(fd, VIDIOC_G_EXT_CTRLS, &cs), -EINVAL);
	EXPECT_EQ(cs.error_idx, 77u) << "IOC:check_array_args fails before anything is copied back";
}

TEST_F(MediaIoctls, Row1_RequestAllocGivesAnIdleRequestFd)
{
	int media = openMedia("rkvdec");
	int req = -1;
	ASSERT_EQ(xioctl(media, MEDIA_IOC_REQUEST_ALLOC, &req), 0);
	EXPECT_GE(req, 0);
	EXPECT_TRUE(board().ownsFd(req));
	EXPECT_EQ(xioctl(media, MEDIA_IOC_REQUEST_ALLOC, nullptr), -EFAULT);
	EXPECT_EQ(closeFd(req), 0);
}

TEST_F(MediaIoctls, Row2_QueueOnRequestFd)
{
	int media = openMedia("rkvdec");
	int req = allocRequest(media);
	EXPECT_EQ(xioctl(req, MEDIA_REQUEST_IOC_QUEUE, nullptr), -ENOENT) << "nothing in it";
}

TEST_F(MediaIoctls, Row3_ReinitOnRequestFd)
{
	int media = openMedia("rkvdec");
	int req = allocRequest(media);
	EXPECT_EQ(xioctl(req, MEDIA_REQUEST_IOC_REINIT, nullptr), 0);
}

TEST_F(MediaIoctls, Row4_OtherIoctlsOnRequestFd_Enotty)
{
	int media = openMedia("rkvdec");
	int req = allocRequest(media);
	struct v4l2_capability cap {};
	EXPECT_EQ(xioctl(req, VIDIOC_QUERYCAP, &cap), -ENOTTY);
	struct media_device_info info {};
	EXPECT_EQ(xioctl(req, MEDIA_IOC_DEVICE_INFO, &info), -ENOTTY);
}

TEST_F(MediaIoctls, Row5_PollRequestFdNeedsPollpri)
{
	int media = openMedia("rkvdec");
	int req = allocRequest(media);
	struct pollfd p {req, POLLPRI, 0};
	ASSERT_EQ(io().poll(&p, 1, 0), 1);
	EXPECT_EQ(p.revents, POLLERR) << "IDLE";
	p.events = POLLIN;
	EXPECT_EQ(io().poll(&p, 1, 0), 0) << "no POLLPRI asked: nothing, ever";
}

TEST_F(MediaIoctls, Row6_CloseDropsOneReference)
{
	Session s;
	std::string what;
	ASSERT_EQ(startSession(s, "rkvdec", V4L2_PIX_FMT_H264_SLICE, 320, 240, 1, 1, &what), 0) << what;
	CodecControls c = CodecControls::h264(320, 240);
	int req = s.requests[0];
	ASSERT_EQ(setControls(s.fd, c, req), 0);
	ASSERT_EQ(qbuf(s.fd, s.outType, 0, req, 1000, 64), 0);
	ASSERT_EQ(queueRequest(req), 0);	// queued, waiting for a CAPTURE buffer
	ASSERT_EQ(closeFd(req), 0);
	openFds_.erase(std::find(openFds_.begin(), openFds_.end(), req));
	// The queued request lives on and decodes once a CAPTURE buffer arrives.
	ASSERT_EQ(qbuf(s.fd, s.capType, 0), 0);
	struct v4l2_buffer out {};
	EXPECT_EQ(dqbuf(s.fd, s.outType, &out), 0);
	EXPECT_EQ(out.request_fd, req);
	EXPECT_EQ(board().stats().devices[0].liveRequests, 0u) << "freed after DQBUF";
	endSession(s);
}

TEST_F(MediaIoctls, DeviceInfoAndTopology)
{
	int media = openMedia("rkvdec");
	struct media_device_info info {};
	ASSERT_EQ(xioctl(media, MEDIA_IOC_DEVICE_INFO, &info), 0);
	EXPECT_STREQ(info.driver, "rkvdec");
	EXPECT_STREQ(info.model, "rkvdec");
	struct media_v2_topology topo {};
	ASSERT_EQ(xioctl(media, MEDIA_IOC_G_TOPOLOGY, &topo), 0);
	EXPECT_EQ(topo.num_entities, 3u);
	EXPECT_EQ(topo.num_interfaces, 1u);
	EXPECT_EQ(topo.num_pads, 4u);
	EXPECT_EQ(topo.num_links, 4u);
	std::vector<struct media_v2_entity> ents(topo.num_entities);
	std::vector<struct media_v2_interface> intfs(topo.num_interfaces);
	topo.ptr_entities = reinterpret_cast<uintptr_t>(ents.data());
	topo.ptr_interfaces = reinterpret_cast<uintptr_t>(intfs.data());
	ASSERT_EQ(xioctl(media, MEDIA_IOC_G_TOPOLOGY, &topo), 0);
	EXPECT_STREQ(ents[1].name, "rkvdec-proc");
	EXPECT_EQ(ents[1].function, static_cast<uint32_t>(MEDIA_ENT_F_PROC_VIDEO_DECODER));
	EXPECT_EQ(io().devnodePath(intfs[0].devnode.major, intfs[0].devnode.minor), node("rkvdec").videoPath);
	topo.num_entities = 1;
	EXPECT_EQ(xioctl(media, MEDIA_IOC_G_TOPOLOGY, &topo), -ENOSPC);
	EXPECT_EQ(topo.num_entities, 1u) << "MCD:media_device_ioctl copies out only on success";
	EXPECT_EQ(io().mediaNodes().size(), 2u);
}

TEST_F(NodeRules, QuerybufOffsetsAndErrors)
{
	int fd = openVideo("rkvdec");
	ASSERT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_H264_SLICE, 320, 240), 0);
	ASSERT_EQ(reqbufs(fd, outType(fd), 2), 2);
	ASSERT_EQ(reqbufs(fd, capType(fd), 2), 2);
	struct v4l2_plane planes[VIDEO_MAX_PLANES] = {};
	struct v4l2_buffer b {};
	ASSERT_EQ(querybuf(fd, outType(fd), 1, &b, planes), 0);
	EXPECT_EQ(planes[0].m.mem_offset, 0x8000u);
	ASSERT_EQ(querybuf(fd, capType(fd), 1, &b, planes), 0);
	EXPECT_EQ(planes[0].m.mem_offset, 0x40008000u);
	EXPECT_EQ(querybuf(fd, capType(fd), 2, &b, planes), -EINVAL);
	b = {};
	b.type = capType(fd);
	b.m.planes = planes;
	b.length = 0;
	EXPECT_EQ(xioctl(fd, VIDIOC_QUERYBUF, &b), -EINVAL) << "planes array too short";
	// A DMABUF buffer reports fd 0 until an fd was queued.
	int d = openVideo("rkvdec");
	ASSERT_EQ(setFormat(d, outType(d), V4L2_PIX_FMT_H264_SLICE, 320, 240), 0);
	ASSERT_EQ(reqbufs(d, capType(d), 1, V4L2_MEMORY_DMABUF), 1);
	planes[0].m.fd = -7;
	ASSERT_EQ(querybuf(d, capType(d), 0, &b, planes), 0);
	EXPECT_EQ(planes[0].m.fd, 0);
}

TEST_F(NodeRules, ExpbufErrorsInOrder)
{
	int fd = openVideo("rkvdec");
	ASSERT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_H264_SLICE, 320, 240), 0);
	ASSERT_EQ(reqbufs(fd, capType(fd), 1), 1);
	struct v4l2_exportbuffer eb {};
	eb.type = capType(fd);
	eb.index = 5;
	EXPECT_EQ(xioctl(fd, VIDIOC_EXPBUF, &eb), -EINVAL);
	eb.index = 0;
	eb.flags = O_NONBLOCK;
	EXPECT_EQ(xioctl(fd, VIDIOC_EXPBUF, &eb), -EINVAL);
	eb.flags = O_CLOEXEC;
	eb.plane = 1;
	EXPECT_EQ(xioctl(fd, VIDIOC_EXPBUF, &eb), -EINVAL);
	eb.plane = 0;
	ASSERT_EQ(xioctl(fd, VIDIOC_EXPBUF, &eb), 0);
	EXPECT_EQ(closeFd(eb.fd), 0);
	int d = openVideo("rkvdec");
	ASSERT_EQ(setFormat(d, outType(d), V4L2_PIX_FMT_H264_SLICE, 320, 240), 0);
	ASSERT_EQ(reqbufs(d, capType(d), 1, V4L2_MEMORY_DMABUF), 1);
	eb = {};
	eb.type = capType(d);
	EXPECT_EQ(xioctl(d, VIDIOC_EXPBUF, &eb), -EINVAL) << "not MMAP";
}

TEST_F(NodeRules, MmapChecks)
{
	int fd = openVideo("rkvdec");
	ASSERT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_H264_SLICE, 320, 240), 0);
	ASSERT_EQ(reqbufs(fd, outType(fd), 1), 1);
	ASSERT_EQ(reqbufs(fd, capType(fd), 1), 1);
	struct v4l2_plane planes[VIDEO_MAX_PLANES] = {};
	struct v4l2_buffer b {};
	ASSERT_EQ(querybuf(fd, capType(fd), 0, &b, planes), 0);
	size_t len = planes[0].length;
	void *p = nullptr;
	EXPECT_EQ(io().mmap(nullptr, len, PROT_READ, MAP_PRIVATE, fd, 0x40000000, &p), -EINVAL);
	EXPECT_EQ(io().mmap(nullptr, len, PROT_WRITE, MAP_SHARED, fd, 0x40000000, &p), -EINVAL)
		<< "CAPTURE without PROT_READ";
	EXPECT_EQ(io().mmap(nullptr, 4096, PROT_READ, MAP_SHARED, fd, 0, &p), -EINVAL)
		<< "OUTPUT without PROT_WRITE";
	EXPECT_EQ(io().mmap(nullptr, len, PROT_READ, MAP_SHARED, fd, 0x40008000, &p), -EINVAL)
		<< "no such buffer";
	EXPECT_EQ(io().mmap(nullptr, len + 8192, PROT_READ, MAP_SHARED, fd, 0x40000000, &p), -EINVAL)
		<< "longer than the page-aligned plane";
	ASSERT_EQ(io().mmap(nullptr, len, PROT_READ, MAP_SHARED, fd, 0x40000000 + 100, &p), 0)
		<< "the in-buffer part of the offset is ignored";
	EXPECT_EQ(unmap(p, len), 0);
}

TEST_F(NodeRules, PollErrWhenBothQueuesIdleAndInRequestDoesNotCount)
{
	int fd = openVideo("rkvdec");
	int media = openMedia("rkvdec");
	ASSERT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_H264_SLICE, 320, 240), 0);
	ASSERT_EQ(reqbufs(fd, outType(fd), 1), 1);
	ASSERT_EQ(reqbufs(fd, capType(fd), 1), 1);
	struct pollfd p {fd, POLLIN | POLLOUT, 0};
	ASSERT_EQ(io().poll(&p, 1, 0), 1);
	EXPECT_EQ(p.revents, POLLERR);
	ASSERT_EQ(streamon(fd, outType(fd)), 0);
	int req = allocRequest(media);
	ASSERT_EQ(qbuf(fd, outType(fd), 0, req, 1000, 64), 0);
	ASSERT_EQ(io().poll(&p, 1, 0), 1);
	EXPECT_EQ(p.revents, POLLERR) << "an IN_REQUEST buffer is not queued in vb2";
	ASSERT_EQ(queueRequest(req), 0);
	EXPECT_EQ(io().poll(&p, 1, 0), 0) << "queued: not idle, nothing done";
}

TEST_F(NodeRules, StreamoffAlwaysZeroAndDiscardsDoneBuffers)
{
	Session s;
	std::string what;
	ASSERT_EQ(startSession(s, "rkvdec", V4L2_PIX_FMT_H264_SLICE, 320, 240, 1, 1, &what), 0) << what;
	EXPECT_EQ(streamoff(s.fd, V4L2_BUF_TYPE_VIDEO_CAPTURE), -EINVAL);
	CodecControls c = CodecControls::h264(320, 240);
	ASSERT_EQ(queuePicture(s, c, 0, 0, 1000), 0);
	ASSERT_EQ(streamoff(s.fd, s.capType), 0);
	ASSERT_EQ(streamoff(s.fd, s.capType), 0) << "not streaming: still 0";
	ASSERT_EQ(streamon(s.fd, s.capType), 0);
	struct v4l2_plane planes[VIDEO_MAX_PLANES] = {};
	struct v4l2_buffer b {};
	ASSERT_EQ(querybuf(s.fd, s.capType, 0, &b, planes), 0);
	EXPECT_FALSE(b.flags & (V4L2_BUF_FLAG_DONE | V4L2_BUF_FLAG_QUEUED)) << "discarded";
	// The OUTPUT queue was untouched: its done buffer is still there.
	EXPECT_EQ(dqbuf(s.fd, s.outType), 0);
	endSession(s);
}

} // namespace
} // namespace v4l2emu::test
