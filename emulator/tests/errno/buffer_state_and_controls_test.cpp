// SPDX-License-Identifier: MIT
// Spec §4.1 buffer states, §5.1 the S_FMT EBUSY matrix, §6.3 the EXT_CTRLS errno rules, and
// the §4.1/§4.2 rules for timestamps, sequence numbers, HOLD_CAPTURE_BUF and references.
#include "emu_fixture.h"

#include <poll.h>

namespace v4l2emu::test {
namespace {

class StateTest : public EmuTest {
protected:
	uint32_t flagsOf(int fd, uint32_t type, uint32_t index)
	{
		struct v4l2_plane planes[VIDEO_MAX_PLANES] = {};
		struct v4l2_buffer b {};
		EXPECT_EQ(querybuf(fd, type, index, &b, planes), 0);
		return b.flags;
	}
};

using BufferStates = StateTest;
using SFmtBusy = StateTest;
using ExtCtrls = StateTest;
using BufferRules = StateTest;

TEST_F(BufferStates, Row1_DequeuedAfterAllocation)
{
	int fd = openVideo("rkvdec");
	ASSERT_EQ(reqbufs(fd, capType(fd), 1), 1);
	uint32_t f = flagsOf(fd, capType(fd), 0);
	EXPECT_FALSE(f & (V4L2_BUF_FLAG_QUEUED | V4L2_BUF_FLAG_DONE | V4L2_BUF_FLAG_MAPPED));
	size_t len = 0;
	void *p = mapBuffer(fd, capType(fd), 0, 0, &len, PROT_READ);
	ASSERT_NE(p, nullptr);
	EXPECT_TRUE(flagsOf(fd, capType(fd), 0) & V4L2_BUF_FLAG_MAPPED);
	unmap(p, len);
	EXPECT_FALSE(flagsOf(fd, capType(fd), 0) & V4L2_BUF_FLAG_MAPPED);
}

TEST_F(BufferStates, Row2_InRequest)
{
	int fd = openVideo("rkvdec");
	int media = openMedia("rkvdec");
	ASSERT_EQ(reqbufs(fd, outType(fd), 1), 1);
	int req = allocRequest(media);
	ASSERT_EQ(qbuf(fd, outType(fd), 0, req, 1000, 16), 0);
	uint32_t f = flagsOf(fd, outType(fd), 0);
	EXPECT_TRUE(f & V4L2_BUF_FLAG_IN_REQUEST);
	EXPECT_TRUE(f & V4L2_BUF_FLAG_REQUEST_FD);
}

TEST_F(BufferStates, Row3_PreparingIsTransient)
{
	// PREPARING only exists inside buf_prepare; a prepared DEQUEUED buffer shows PREPARED.
	int fd = openVideo("rkvdec");
	ASSERT_EQ(reqbufs(fd, capType(fd), 1), 1);
	struct v4l2_plane planes[VIDEO_MAX_PLANES] = {};
	struct v4l2_buffer b {};
	b.type = capType(fd);
	b.memory = V4L2_MEMORY_MMAP;
	b.m.planes = planes;
	b.length = 1;
	ASSERT_EQ(xioctl(fd, VIDIOC_PREPARE_BUF, &b), 0);
	uint32_t f = flagsOf(fd, capType(fd), 0);
	EXPECT_TRUE(f & V4L2_BUF_FLAG_PREPARED);
	EXPECT_FALSE(f & V4L2_BUF_FLAG_QUEUED);
}

TEST_F(BufferStates, Row4_QueuedBeforeStreaming)
{
	int fd = openVideo("rkvdec");
	ASSERT_EQ(reqbufs(fd, capType(fd), 1), 1);
	ASSERT_EQ(qbuf(fd, capType(fd), 0), 0);
	EXPECT_TRUE(flagsOf(fd, capType(fd), 0) & V4L2_BUF_FLAG_QUEUED);
}

TEST_F(BufferStates, Row5_ActiveShowsQueued)
{
	int fd = openVideo("rkvdec");
	ASSERT_EQ(reqbufs(fd, capType(fd), 1), 1);
	ASSERT_EQ(streamon(fd, capType(fd)), 0);
	ASSERT_EQ(qbuf(fd, capType(fd), 0), 0);	// given to the driver at once
	EXPECT_TRUE(flagsOf(fd, capType(fd), 0) & V4L2_BUF_FLAG_QUEUED);
}

TEST_F(BufferStates, Row6_DoneAndErrorFlags)
{
	Session s;
	std::string what;
	ASSERT_EQ(startSession(s, "rkvdec", V4L2_PIX_FMT_H264_SLICE, 320, 240, 2, 2, &what), 0) << what;
	CodecControls c = CodecControls::h264(320, 240);
	ASSERT_EQ(queuePicture(s, c, 0, 0, 1000), 0);
	uint32_t f = flagsOf(s.fd, s.capType, 0);
	EXPECT_TRUE(f & V4L2_BUF_FLAG_DONE);
	EXPECT_FALSE(f & V4L2_BUF_FLAG_ERROR);
	FaultPlan plan;
	plan.decodes.push_back({"rkvdec", DecodeFaultKind::Error, 1});
	board().setFaults(plan);
	ASSERT_EQ(queuePicture(s, c, 1, 1, 2000), 0);
	f = flagsOf(s.fd, s.capType, 1);
	EXPECT_TRUE(f & V4L2_BUF_FLAG_DONE);
	EXPECT_TRUE(f & V4L2_BUF_FLAG_ERROR);
	endSession(s);
}

TEST_F(SFmtBusy, Row1_Hantro612OnlyCodecChangeWhileStreaming)
{
	int fd = openVideo("hantro-vpu");
	ASSERT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_MPEG2_SLICE, 320, 240), 0);
	ASSERT_EQ(reqbufs(fd, outType(fd), 1), 1);
	ASSERT_EQ(reqbufs(fd, capType(fd), 1), 1);
	EXPECT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_VP8_FRAME, 320, 240), 0) << "busy, not streaming";
	ASSERT_EQ(streamon(fd, outType(fd)), 0);
	EXPECT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_MPEG2_SLICE, 320, 240), -EBUSY);
	struct v4l2_format f {};
	EXPECT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_VP8_FRAME, 640, 480, 0, &f), 0)
		<< "same codec, new size: allowed while streaming";
	struct v4l2_format cap {};
	ASSERT_EQ(getFormat(fd, capType(fd), &cap), 0);
	EXPECT_EQ(cap.fmt.pix_mp.width, 640u) << "CAPTURE reset although it has buffers";
	EXPECT_EQ(setFormat(fd, capType(fd), V4L2_PIX_FMT_NV12, 640, 480), 0) << "CAPTURE never EBUSY";
}

TEST_F(SFmtBusy, Row2_HantroBefore2023IsNotModelled)
{
	// The emulator models hantro as in 6.12 for both kernel values (the pre-2023 rules
	// refused any OUTPUT change while streaming and a busy CAPTURE); assert that.
	BoardOptions o;
	o.kernel = KernelVersion::V6_12;
	useBoard("hantro", o);
	int fd = openVideo("hantro-vpu");
	ASSERT_EQ(reqbufs(fd, capType(fd), 1), 1);
	EXPECT_EQ(setFormat(fd, capType(fd), V4L2_PIX_FMT_NV12, 48, 48), 0);
	EXPECT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_VP8_FRAME, 320, 240), 0);
}

TEST_F(SFmtBusy, Row3_Rkvdec)
{
	int fd = openVideo("rkvdec");
	ASSERT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_H264_SLICE, 320, 240), 0);
	ASSERT_EQ(reqbufs(fd, outType(fd), 1), 1);
	EXPECT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_VP9_FRAME, 320, 240), -EBUSY) << "busy + new codec";
	EXPECT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_H264_SLICE, 640, 480), 0) << "busy, same codec";
	ASSERT_EQ(reqbufs(fd, capType(fd), 1), 1);
	EXPECT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_H264_SLICE, 320, 240), -EBUSY) << "CAPTURE busy";
	EXPECT_EQ(setFormat(fd, capType(fd), V4L2_PIX_FMT_NV12, 320, 240), -EBUSY);
	ASSERT_EQ(streamoff(fd, capType(fd)), 0);
	EXPECT_EQ(setFormat(fd, capType(fd), V4L2_PIX_FMT_NV12, 320, 240), -EBUSY) << "STREAMOFF keeps busy";
	ASSERT_EQ(reqbufs(fd, capType(fd), 0), 0);
	EXPECT_EQ(setFormat(fd, capType(fd), V4L2_PIX_FMT_NV12, 640, 480), 0);
}

TEST_F(SFmtBusy, Row4_VislOnlyCaptureBusy)
{
	useBoard("visl");
	int fd = openVideo("visl");
	ASSERT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_H264_SLICE, 320, 240), 0);
	ASSERT_EQ(reqbufs(fd, outType(fd), 1), 1);
	ASSERT_EQ(streamon(fd, outType(fd)), 0);
	EXPECT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_VP9_FRAME, 320, 240), 0) << "streaming is not checked";
	ASSERT_EQ(reqbufs(fd, capType(fd), 1), 1);
	EXPECT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_H264_SLICE, 320, 240), -EBUSY);
	EXPECT_EQ(setFormat(fd, capType(fd), V4L2_PIX_FMT_YUV420, 320, 240), 0) << "CAPTURE never";
}

TEST_F(SFmtBusy, Row5_Cedrus)
{
	useBoard("cedrus");
	int fd = openVideo("cedrus");
	ASSERT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_H264_SLICE, 320, 240), 0);
	ASSERT_EQ(reqbufs(fd, outType(fd), 1), 1);
	EXPECT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_MPEG2_SLICE, 320, 240), -EBUSY);
	EXPECT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_H264_SLICE, 640, 480), 0);
	ASSERT_EQ(reqbufs(fd, capType(fd), 1), 1);
	EXPECT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_H264_SLICE, 320, 240), -EBUSY);
	EXPECT_EQ(setFormat(fd, capType(fd), V4L2_PIX_FMT_NV12, 320, 240), -EBUSY);
}

// ---- EXT_CTRLS (§6.3) --------------------------------------------------------------------

std::vector<struct v4l2_ext_control> one(uint32_t id, void *ptr, uint32_t size)
{
	std::vector<struct v4l2_ext_control> v(1);
	v[0].id = id;
	v[0].ptr = ptr;
	v[0].size = size;
	return v;
}

TEST_F(ExtCtrls, Row1_CountAboveMax_Einval)
{
	int fd = openVideo("rkvdec");
	std::vector<struct v4l2_ext_control> many(V4L2_CID_MAX_CTRLS + 1);
	EXPECT_EQ(extCtrls(fd, VIDIOC_S_EXT_CTRLS, 0, -1, many), -EINVAL);
}

TEST_F(ExtCtrls, Row2_ClassMismatch_EinvalErrorIdx)
{
	int fd = openVideo("rkvdec");
	struct v4l2_ctrl_h264_sps sps {};
	auto c = one(V4L2_CID_STATELESS_H264_SPS, &sps, sizeof(sps));
	struct v4l2_ext_controls out {};
	EXPECT_EQ(extCtrls(fd, VIDIOC_S_EXT_CTRLS, V4L2_CTRL_CLASS_CODEC, -1, c, &out), -EINVAL);
	EXPECT_EQ(out.error_idx, 1u) << "S: count";
	EXPECT_EQ(extCtrls(fd, VIDIOC_TRY_EXT_CTRLS, V4L2_CTRL_CLASS_CODEC, -1, c, &out), -EINVAL);
	EXPECT_EQ(out.error_idx, 0u) << "TRY: the index";
}

TEST_F(ExtCtrls, Row3_UnknownId_Einval)
{
	int fd = openVideo("hantro-vpu");
	struct v4l2_ctrl_hevc_sps sps {};
	auto c = one(V4L2_CID_STATELESS_HEVC_SPS, &sps, sizeof(sps));
	struct v4l2_ext_controls out {};
	EXPECT_EQ(extCtrls(fd, VIDIOC_S_EXT_CTRLS, 0, -1, c, &out), -EINVAL);
	EXPECT_EQ(out.error_idx, 1u);
	c[0].id = V4L2_CID_PRIVATE_BASE;
	EXPECT_EQ(extCtrls(fd, VIDIOC_TRY_EXT_CTRLS, 0, -1, c, &out), -EINVAL);
	EXPECT_EQ(out.error_idx, 0u);
}

TEST_F(ExtCtrls, Row4_NoDriverDisablesAControl)
{
	// V4L2_CTRL_FLAG_DISABLED would give EINVAL; none of the four drivers disables one.
	for (const char *device : {"rkvdec", "hantro-vpu"}) {
		int fd = openVideo(device);
		struct v4l2_query_ext_ctrl q {};
		q.id = V4L2_CTRL_FLAG_NEXT_CTRL | V4L2_CTRL_FLAG_NEXT_COMPOUND;
		int n = 0;
		while (xioctl(fd, VIDIOC_QUERY_EXT_CTRL, &q) == 0) {
			EXPECT_FALSE(q.flags & V4L2_CTRL_FLAG_DISABLED) << q.name;
			q.id |= V4L2_CTRL_FLAG_NEXT_CTRL | V4L2_CTRL_FLAG_NEXT_COMPOUND;
			n++;
		}
		EXPECT_GT(n, 3) << device;
	}
}

TEST_F(ExtCtrls, Row5_CompoundSetSizeTooSmall_Efault)
{
	int fd = openVideo("rkvdec");
	struct v4l2_ctrl_h264_sps sps {};
	auto c = one(V4L2_CID_STATELESS_H264_SPS, &sps, sizeof(sps) - 1);
	EXPECT_EQ(extCtrls(fd, VIDIOC_S_EXT_CTRLS, 0, -1, c), -EFAULT);
	EXPECT_EQ(extCtrls(fd, VIDIOC_TRY_EXT_CTRLS, 0, -1, c), -EFAULT);
}

TEST_F(ExtCtrls, Row6_CompoundGetSizeTooSmall_EnospcWithSize)
{
	int fd = openVideo("rkvdec");
	struct v4l2_ctrl_h264_sps sps {};
	auto c = one(V4L2_CID_STATELESS_H264_SPS, &sps, 4);
	struct v4l2_ext_controls out {};
	EXPECT_EQ(extCtrls(fd, VIDIOC_G_EXT_CTRLS, 0, -1, c, &out), -ENOSPC);
	EXPECT_EQ(c[0].size, sizeof(sps));
	EXPECT_EQ(out.error_idx, 1u);
}

TEST_F(ExtCtrls, Row7_DynamicArraySizes)
{
	int fd = openVideo("rkvdec");	// mainline: HEVC slice params, dims 600
	std::vector<struct v4l2_ctrl_hevc_slice_params> slices(601);
	auto c = one(V4L2_CID_STATELESS_HEVC_SLICE_PARAMS, slices.data(),
		     static_cast<uint32_t>(slices.size() * sizeof(slices[0])));
	EXPECT_EQ(extCtrls(fd, VIDIOC_S_EXT_CTRLS, 0, -1, c), -ENOSPC);
	EXPECT_EQ(c[0].size, 600 * sizeof(slices[0])) << "size = the maximum";
	c[0].size = 0;
	EXPECT_EQ(extCtrls(fd, VIDIOC_S_EXT_CTRLS, 0, -1, c), -EFAULT);
	c[0].size = 3 * sizeof(slices[0]);
	EXPECT_EQ(extCtrls(fd, VIDIOC_S_EXT_CTRLS, 0, -1, c), 0);
	struct v4l2_query_ext_ctrl q {};
	q.id = V4L2_CID_STATELESS_HEVC_SLICE_PARAMS;
	ASSERT_EQ(xioctl(fd, VIDIOC_QUERY_EXT_CTRL, &q), 0);
	EXPECT_EQ(q.elems, 3u);
	EXPECT_EQ(q.dims[0], 600u);
	EXPECT_TRUE(q.flags & V4L2_CTRL_FLAG_DYNAMIC_ARRAY);
}

TEST_F(ExtCtrls, Row8_ReadOnlyAndWriteOnly_Eacces)
{
	int fd = openVideo("rkvdec");
	// The class control is both read-only and write-only.
	std::vector<struct v4l2_ext_control> c(1);
	c[0].id = V4L2_CID_CODEC_STATELESS_CLASS;
	EXPECT_EQ(extCtrls(fd, VIDIOC_G_EXT_CTRLS, 0, -1, c), -EACCES);
	EXPECT_EQ(extCtrls(fd, VIDIOC_S_EXT_CTRLS, 0, -1, c), -EACCES);
}

TEST_F(ExtCtrls, Row9_MenuOutOfRangeOrSkipped)
{
	int fd = openVideo("rkvdec");
	std::vector<struct v4l2_ext_control> c(1);
	c[0].id = V4L2_CID_STATELESS_H264_DECODE_MODE;
	c[0].value = V4L2_STATELESS_H264_DECODE_MODE_SLICE_BASED;
	EXPECT_EQ(extCtrls(fd, VIDIOC_S_EXT_CTRLS, 0, -1, c), -ERANGE) << "rkvdec: frame-based only";
	c[0].id = V4L2_CID_MPEG_VIDEO_H264_PROFILE;
	c[0].value = V4L2_MPEG_VIDEO_H264_PROFILE_EXTENDED;
	EXPECT_EQ(extCtrls(fd, VIDIOC_S_EXT_CTRLS, 0, -1, c), -EINVAL) << "skipped by the mask";
	useBoard("cedrus");
	int ce = openVideo("cedrus");
	c[0].id = V4L2_CID_STATELESS_H264_DECODE_MODE;
	c[0].value = V4L2_STATELESS_H264_DECODE_MODE_FRAME_BASED;
	EXPECT_EQ(extCtrls(ce, VIDIOC_S_EXT_CTRLS, 0, -1, c), -ERANGE) << "cedrus: slice-based only";
}

TEST_F(ExtCtrls, Row10_DefValWithSetOrTry_Einval)
{
	int fd = openVideo("rkvdec");
	struct v4l2_ctrl_h264_sps sps {};
	auto c = one(V4L2_CID_STATELESS_H264_SPS, &sps, sizeof(sps));
	struct v4l2_ext_controls out {};
	EXPECT_EQ(extCtrls(fd, VIDIOC_S_EXT_CTRLS, V4L2_CTRL_WHICH_DEF_VAL, -1, c, &out), -EINVAL);
	EXPECT_EQ(out.error_idx, 1u);
	EXPECT_EQ(extCtrls(fd, VIDIOC_TRY_EXT_CTRLS, V4L2_CTRL_WHICH_DEF_VAL, -1, c), -EINVAL);
	EXPECT_EQ(extCtrls(fd, VIDIOC_G_EXT_CTRLS, V4L2_CTRL_WHICH_DEF_VAL, -1, c), 0);
}

TEST_F(ExtCtrls, Row11_CompoundValidationFailsAtItsIndexAfterEarlierOnesApplied)
{
	int fd = openVideo("rkvdec");
	ASSERT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_H264_SLICE, 320, 240), 0);
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
	struct v4l2_ext_controls out {};
	EXPECT_EQ(extCtrls(fd, VIDIOC_S_EXT_CTRLS, 0, -1, c, &out), -EINVAL);
	EXPECT_EQ(out.error_idx, 1u);
	struct v4l2_ctrl_h264_pps readback {};
	auto g = one(V4L2_CID_STATELESS_H264_PPS, &readback, sizeof(readback));
	ASSERT_EQ(extCtrls(fd, VIDIOC_G_EXT_CTRLS, 0, -1, g), 0);
	EXPECT_EQ(readback.pic_init_qp_minus26, 5) << "the PPS before it was applied";
	// And the driver's try_ctrl: an SPS larger than the OUTPUT format (rkvdec).
	CodecControls big = CodecControls::h264(1920, 1088);
	EXPECT_EQ(setControls(fd, big, -1), -EINVAL);
}

TEST_F(ExtCtrls, Row12_RequestValErrors)
{
	int fd = openVideo("rkvdec");
	int media = openMedia("rkvdec");
	CodecControls c = CodecControls::h264(64, 48);
	ASSERT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_H264_SLICE, 320, 240), 0);
	EXPECT_EQ(setControls(fd, c, 9999), -EINVAL) << "not a request";
	int hantroMedia = openMedia("hantro-vpu");
	int foreign = allocRequest(hantroMedia);
	EXPECT_EQ(setControls(fd, c, foreign), -EINVAL) << "another media device's request";
	int req = allocRequest(media);
	std::vector<struct v4l2_ext_control> ctrls = c.controls;
	EXPECT_EQ(extCtrls(fd, VIDIOC_TRY_EXT_CTRLS, V4L2_CTRL_WHICH_REQUEST_VAL, req, ctrls), -ENOMEM);
	EXPECT_EQ(extCtrls(fd, VIDIOC_G_EXT_CTRLS, V4L2_CTRL_WHICH_REQUEST_VAL, req, ctrls), -EACCES);
}

TEST_F(ExtCtrls, SanitisedValuesAreWrittenBack)
{
	int fd = openVideo("rkvdec");
	ASSERT_EQ(setFormat(fd, outType(fd), V4L2_PIX_FMT_H264_SLICE, 320, 240), 0);
	CodecControls c = CodecControls::h264(320, 240);
	auto *sps = c.payload<struct v4l2_ctrl_h264_sps>(V4L2_CID_STATELESS_H264_SPS);
	sps->profile_idc = 66;	// no chroma_format_idc in Baseline: forced to 1
	sps->chroma_format_idc = 0;
	sps->flags |= V4L2_H264_SPS_FLAG_MB_ADAPTIVE_FRAME_FIELD;
	ASSERT_EQ(setControls(fd, c, -1), 0);
	EXPECT_EQ(sps->chroma_format_idc, 1);
	EXPECT_FALSE(sps->flags & V4L2_H264_SPS_FLAG_MB_ADAPTIVE_FRAME_FIELD) << "FRAME_MBS_ONLY clears it";
}

// ---- Buffer rules (§4.1, §4.2) -------------------------------------------------------------

TEST_F(BufferRules, SequenceNumbersHantroCountRkvdecZero)
{
	for (const char *device : {"hantro-vpu", "rkvdec"}) {
		useBoard("fresnel");
		bool hantro = std::string(device) == "hantro-vpu";
		uint32_t fourcc = hantro ? V4L2_PIX_FMT_VP8_FRAME : V4L2_PIX_FMT_H264_SLICE;
		Session s;
		std::string what;
		ASSERT_EQ(startSession(s, device, fourcc, 320, 240, 2, 2, &what), 0) << what;
		CodecControls c = CodecControls::forFourcc(fourcc, 320, 240);
		for (uint32_t i = 0; i < 3; i++) {
			struct v4l2_buffer cap {};
			ASSERT_EQ(decodeOne(s, c, i % 2, i % 2, 1000 * (i + 1), &cap), 0);
			EXPECT_EQ(cap.sequence, hantro ? i : 0u) << device;
		}
		endSession(s);
	}
}

TEST_F(BufferRules, HoldCaptureBufferCollectsSlicesUntilTimestampChanges)
{
	useBoard("visl");
	Session s;
	std::string what;
	ASSERT_EQ(startSession(s, "visl", V4L2_PIX_FMT_H264_SLICE, 320, 240, 3, 2, &what), 0) << what;
	CodecControls c = CodecControls::h264(320, 240);
	ASSERT_EQ(qbuf(s.fd, s.capType, 0), 0);
	ASSERT_EQ(qbuf(s.fd, s.capType, 1), 0);
	// Two slices of picture 1000 with HOLD, then picture 2000.
	for (uint32_t slice = 0; slice < 2; slice++) {
		ASSERT_EQ(setControls(s.fd, c, s.requests[slice]), 0);
		ASSERT_EQ(qbuf(s.fd, s.outType, slice, s.requests[slice], 1000, 64,
			       V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF), 0);
		ASSERT_EQ(queueRequest(s.requests[slice]), 0);
	}
	struct pollfd p {s.fd, POLLIN, 0};
	EXPECT_EQ(io().poll(&p, 1, 0), 0) << "the CAPTURE buffer is held";
	ASSERT_EQ(setControls(s.fd, c, s.requests[2]), 0);
	ASSERT_EQ(qbuf(s.fd, s.outType, 2, s.requests[2], 2000, 64), 0);
	ASSERT_EQ(queueRequest(s.requests[2]), 0);
	struct v4l2_buffer cap {};
	ASSERT_EQ(dqbuf(s.fd, s.capType, &cap), 0);
	EXPECT_EQ(cap.index, 0u);
	EXPECT_EQ(cap.timestamp.tv_usec, 1) << "released when the timestamp changed";
	ASSERT_EQ(dqbuf(s.fd, s.capType, &cap), 0);
	EXPECT_EQ(cap.timestamp.tv_usec, 2);
	endSession(s);
}

TEST_F(BufferRules, HoldFlagStrippedWithoutSupport)
{
	int fd = openVideo("hantro-vpu");
	int media = openMedia("hantro-vpu");
	ASSERT_EQ(reqbufs(fd, outType(fd), 1), 1);
	int req = allocRequest(media);
	struct v4l2_buffer out {};
	ASSERT_EQ(qbuf(fd, outType(fd), 0, req, 1000, 64, V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF, &out), 0);
	EXPECT_FALSE(out.flags & V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF);
}

TEST_F(BufferRules, FlushReleasesAHeldCaptureBuffer)
{
	useBoard("visl");
	Session s;
	std::string what;
	ASSERT_EQ(startSession(s, "visl", V4L2_PIX_FMT_H264_SLICE, 320, 240, 1, 1, &what), 0) << what;
	CodecControls c = CodecControls::h264(320, 240);
	ASSERT_EQ(qbuf(s.fd, s.capType, 0), 0);
	ASSERT_EQ(setControls(s.fd, c, s.requests[0]), 0);
	ASSERT_EQ(qbuf(s.fd, s.outType, 0, s.requests[0], 1000, 64, V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF), 0);
	ASSERT_EQ(queueRequest(s.requests[0]), 0);
	struct pollfd p {s.fd, POLLIN, 0};
	EXPECT_EQ(io().poll(&p, 1, 0), 0);
	struct v4l2_decoder_cmd dc {};
	dc.cmd = V4L2_DEC_CMD_FLUSH;
	ASSERT_EQ(xioctl(s.fd, VIDIOC_DECODER_CMD, &dc), 0);
	EXPECT_EQ(dqbuf(s.fd, s.capType), 0);
	endSession(s);
}

TEST_F(BufferRules, ReferencesResolveByExactTimestampAndIdentity)
{
	Session s;
	std::string what;
	ASSERT_EQ(startSession(s, "rkvdec", V4L2_PIX_FMT_H264_SLICE, 320, 240, 2, 4, &what), 0) << what;
	CodecControls idr = CodecControls::h264(320, 240, true);
	auto *dp = idr.payload<struct v4l2_ctrl_h264_decode_params>(V4L2_CID_STATELESS_H264_DECODE_PARAMS);
	dp->top_field_order_cnt = dp->bottom_field_order_cnt = 0;
	ASSERT_EQ(decodeOne(s, idr, 0, 0, 1000000), 0);
	CodecControls p = CodecControls::h264(320, 240, false);
	auto *pdp = p.payload<struct v4l2_ctrl_h264_decode_params>(V4L2_CID_STATELESS_H264_DECODE_PARAMS);
	pdp->top_field_order_cnt = pdp->bottom_field_order_cnt = 2;
	pdp->dpb[0].reference_ts = 1000000;
	pdp->dpb[0].flags = V4L2_H264_DPB_ENTRY_FLAG_VALID | V4L2_H264_DPB_ENTRY_FLAG_ACTIVE;
	pdp->dpb[0].fields = V4L2_H264_FRAME_REF;
	ASSERT_EQ(decodeOne(s, p, 1, 1, 2000000), 0);
	EXPECT_TRUE(board().diagnostics().empty()) << board().diagnostics()[0].message;
	// A timestamp off by 1 us names no buffer.
	pdp->dpb[0].reference_ts = 1001000;
	ASSERT_EQ(decodeOne(s, p, 0, 2, 3000000), 0);
	EXPECT_EQ(countDiagnostics(DiagnosticKind::ReferenceMissing), 1u);
	// The right timestamp with the wrong POC.
	pdp->dpb[0].reference_ts = 1000000;
	pdp->dpb[0].top_field_order_cnt = 40;
	ASSERT_EQ(decodeOne(s, p, 1, 3, 4000000), 0);
	EXPECT_EQ(countDiagnostics(DiagnosticKind::ReferenceIdentity), 1u);
	endSession(s);
}

} // namespace
} // namespace v4l2emu::test
