// SPDX-License-Identifier: MIT
// The H.264 codec fed slices of real libx264 streams the way ffmpeg's vaapi_h264.c fills the VA
// buffers: the controls are checked against the streams' headers (ffmpeg -bsf:v trace_headers),
// the OUTPUT bytes against the slices, and every control goes through the emulator's
// std_validate_compound, which must accept it and leave it as it is.
#include "codecs/registry.h"

#include <gtest/gtest.h>

#include <va/va.h>

#include <algorithm>
#include <map>
#include <vector>

namespace v4l2emu {
int validateCompoundElement(uint32_t type, void *elem);	// emulator/src/codecs/codec.h
}

namespace v4l2va {
namespace {

// ffmpeg -f lavfi -i testsrc=size=176x144:rate=25 -frames:v 5 -pix_fmt yuv420p -c:v libx264
//   -profile:v high -x264-params bframes=2:b-adapt=0:b-pyramid=none:ref=3:weightp=2:direct=spatial
// SPS: log2_max_frame_num 4, POC type 0 with 5 lsb bits, 3 refs, 11x9 MBs, level 1.1. PPS:
// CABAC, num_ref_idx_l0_default_active_minus1 2, weighted_pred, weighted_bipred_idc 2,
// init_qp -3, chroma offsets -2, 8x8 transform. Decode order IDR(poc 0) P(6) B(2) B(4) P(8);
// the first bytes of each slice NAL unit (the headers fit in them).
const uint8_t kHighIdr[] = {0x65, 0x88, 0x84, 0x00, 0x67, 0xff, 0xfe, 0xf6, 0xec, 0xbe, 0x05,
			    0x36, 0x14, 0xa2, 0x3b, 0x00, 0xb7, 0x39, 0x78, 0x01};
const uint8_t kHighB[] = {0x01, 0x9e, 0x42, 0xf2, 0x15, 0xff, 0x0f, 0x1a, 0x72, 0x83, 0x08, 0xfe,
			  0xb9, 0xe2, 0x20, 0x5f, 0x57, 0xe2, 0xf3, 0x1b, 0xc4, 0xb0, 0x81};
// P, frame_num 2, no override (3 refs), list0 modified to P1 P1 IDR, weights on entry 1.
const uint8_t kHighP2[] = {0x41, 0x9a, 0x48, 0x78, 0x43, 0x26, 0x53, 0x08, 0x57, 0xff, 0xfe, 0x38,
			   0x40, 0x13, 0x3f, 0xa2, 0x6a, 0x46, 0xce, 0x18, 0x5d, 0x3c, 0xed, 0x6d};
// -profile:v baseline -x264-params slices=2: CAVLC, POC type 2, the IDR's two slices.
const uint8_t kBaseIdr0[] = {0x65, 0x88, 0x84, 0x0c, 0xf2, 0x62, 0x80, 0x00, 0xb0, 0xbf, 0xc3,
			     0xff, 0xe0, 0xac, 0x14, 0x40};
const uint8_t kBaseIdr1[] = {0x65, 0x07, 0x02, 0x21, 0x02, 0x5f, 0xfa, 0x7d, 0x28, 0x11, 0x51,
			     0x40, 0x00, 0x40, 0x07, 0xc0};
// -profile:v high -x264-params interlaced=1:tff=1: MBAFF, 11x5 map units, POC lsb 4 bits with
// delta_pic_order_cnt_bottom -1, the IDR.
const uint8_t kMbaffIdr[] = {0x65, 0x88, 0x82, 0x2c, 0x0c, 0xff, 0xf6, 0xf6, 0xec, 0xbe, 0x05,
			     0x36, 0x14, 0xc8, 0x8c, 0x42};
// Synthetic bottom-field P slice: frame_num 3 (4 bits), field_pic 1, bottom 1, POC lsb 5 (4
// bits), no override, no modification, no marking operations, slice_qp_delta 0.
const uint8_t kBottomFieldP[] = {0x41, 0xe7, 0xa8, 0xc0};

constexpr VASurfaceID kIdrSurface = 10, kP1Surface = 11, kTarget = 12;
constexpr uint64_t kIdrTs = 1000, kP1Ts = 2000, kTargetTs = 3000;
constexpr uint32_t kShortRef = VA_PICTURE_H264_SHORT_TERM_REFERENCE;

/// A BitstreamSink over fixed buffers, one per unit.
class FixedSink final : public BitstreamSink {
public:
	explicit FixedSink(size_t capacity = 4096, unsigned maxUnits = 8)
		: capacity_(capacity), maxUnits_(maxUnits), units_(1) {}
	uint8_t *reserve(size_t n) override
	{
		if (n > capacity_ - units_.back().size())
			return nullptr;
		scratch_.resize(n);
		return scratch_.data();
	}
	void commit(size_t n) override
	{
		units_.back().insert(units_.back().end(), scratch_.begin(), scratch_.begin() + n);
	}
	size_t unitSize() const override { return units_.back().size(); }
	VAStatus newUnit() override
	{
		if (units_.size() >= maxUnits_)
			return VA_STATUS_ERROR_MAX_NUM_EXCEEDED;
		units_.emplace_back();
		return VA_STATUS_SUCCESS;
	}
	unsigned unitCount() const override { return units_.size(); }
	const std::vector<uint8_t> &unit(unsigned i) const { return units_.at(i); }

private:
	size_t capacity_;
	unsigned maxUnits_;
	std::vector<std::vector<uint8_t>> units_;
	std::vector<uint8_t> scratch_;
};

class FakeResolver final : public ReferenceResolver {
public:
	std::map<VASurfaceID, uint64_t> known = {{kIdrSurface, kIdrTs}, {kP1Surface, kP1Ts}};
	bool timestampOf(VASurfaceID s, uint64_t *ts) const override
	{
		auto it = known.find(s);
		if (it == known.end())
			return false;
		*ts = it->second;
		return true;
	}
};

DeviceCaps frameCaps()	// rkvdec
{
	DeviceCaps c;
	c.decodeMode = V4L2_STATELESS_H264_DECODE_MODE_FRAME_BASED;
	c.startCode = V4L2_STATELESS_H264_START_CODE_ANNEX_B;
	c.controls = {V4L2_CID_STATELESS_H264_DECODE_MODE, V4L2_CID_STATELESS_H264_START_CODE,
		      V4L2_CID_STATELESS_H264_SPS, V4L2_CID_STATELESS_H264_PPS,
		      V4L2_CID_STATELESS_H264_SCALING_MATRIX,
		      V4L2_CID_STATELESS_H264_DECODE_PARAMS};
	std::sort(c.controls.begin(), c.controls.end());
	return c;
}

DeviceCaps sliceCaps()	// cedrus
{
	DeviceCaps c = frameCaps();
	c.decodeMode = V4L2_STATELESS_H264_DECODE_MODE_SLICE_BASED;
	c.startCode = V4L2_STATELESS_H264_START_CODE_NONE;
	c.controls.push_back(V4L2_CID_STATELESS_H264_PRED_WEIGHTS);
	c.controls.push_back(V4L2_CID_STATELESS_H264_SLICE_PARAMS);
	std::sort(c.controls.begin(), c.controls.end());
	return c;
}

VAPictureH264 vaPic(VASurfaceID id, uint32_t frameIdx, int32_t poc, uint32_t flags)
{
	VAPictureH264 p = {};
	p.picture_id = id;
	p.frame_idx = frameIdx;
	p.flags = flags;
	p.TopFieldOrderCnt = p.BottomFieldOrderCnt = poc;
	return p;
}

const VAPictureH264 kNoPic = {VA_INVALID_SURFACE, 0, VA_PICTURE_H264_INVALID, 0, 0, {}};
const VAPictureH264 kP1Ref = vaPic(kP1Surface, 1, 6, kShortRef);
const VAPictureH264 kIdrRef = vaPic(kIdrSurface, 0, 0, kShortRef);

/// VA picture parameters of the High stream as vaapi_h264.c fills them; DPB P1 then IDR.
VAPictureParameterBufferH264 highPicture(uint16_t frameNum, int32_t poc)
{
	VAPictureParameterBufferH264 p = {};
	p.CurrPic = vaPic(kTarget, frameNum, poc, 0);
	std::fill(std::begin(p.ReferenceFrames), std::end(p.ReferenceFrames), kNoPic);
	p.ReferenceFrames[0] = kP1Ref;
	p.ReferenceFrames[1] = kIdrRef;
	p.picture_width_in_mbs_minus1 = 10;
	p.picture_height_in_mbs_minus1 = 8;
	p.num_ref_frames = 3;
	auto &seq = p.seq_fields.bits;
	seq.chroma_format_idc = 1;
	seq.frame_mbs_only_flag = 1;
	seq.direct_8x8_inference_flag = 1;
	seq.log2_max_pic_order_cnt_lsb_minus4 = 1;
	p.pic_init_qp_minus26 = -3;
	p.chroma_qp_index_offset = p.second_chroma_qp_index_offset = -2;
	auto &pf = p.pic_fields.bits;
	pf.entropy_coding_mode_flag = 1;
	pf.weighted_pred_flag = 1;
	pf.weighted_bipred_idc = 2;
	pf.transform_8x8_mode_flag = 1;
	pf.deblocking_filter_control_present_flag = 1;
	pf.reference_pic_flag = 1;
	p.frame_num = frameNum;
	return p;
}

/// The Baseline stream's IDR (POC type 2, CAVLC, no weighted prediction).
VAPictureParameterBufferH264 basePicture()
{
	VAPictureParameterBufferH264 p = highPicture(0, 0);
	std::fill(std::begin(p.ReferenceFrames), std::end(p.ReferenceFrames), kNoPic);
	p.seq_fields.bits.pic_order_cnt_type = 2;
	p.seq_fields.bits.log2_max_pic_order_cnt_lsb_minus4 = 0;
	p.seq_fields.bits.MinLumaBiPredSize8x8 = 1;
	p.pic_fields.value = 0;
	p.pic_fields.bits.deblocking_filter_control_present_flag = 1;
	p.pic_fields.bits.reference_pic_flag = 1;
	return p;
}

VASliceParameterBufferH264 vaSlice(size_t size, uint16_t bitOffset, uint8_t type, int8_t qp)
{
	VASliceParameterBufferH264 s = {};
	s.slice_data_size = size;
	s.slice_data_bit_offset = bitOffset;
	s.slice_type = type;
	s.slice_qp_delta = qp;
	std::fill(std::begin(s.RefPicList0), std::end(s.RefPicList0), kNoPic);
	std::fill(std::begin(s.RefPicList1), std::end(s.RefPicList1), kNoPic);
	return s;
}

/// The P2 slice: 3 refs P1 P1 IDR, explicit luma weights with entry 1 at (1, -1).
VASliceParameterBufferH264 highP2Slice()
{
	VASliceParameterBufferH264 s = vaSlice(sizeof(kHighP2), 73, 0, -10);
	s.num_ref_idx_l0_active_minus1 = 2;
	s.RefPicList0[0] = s.RefPicList0[1] = kP1Ref;
	s.RefPicList0[2] = kIdrRef;
	s.luma_weight_l0_flag = 1;
	std::fill(s.luma_weight_l0, s.luma_weight_l0 + 3, 1);
	s.luma_offset_l0[1] = -1;
	return s;
}

template<typename T> BufferView view(VABufferType type, const T &v, uint32_t count = 1)
{
	return {type, reinterpret_cast<const uint8_t *>(&v), sizeof(T), count};
}

BufferView dataView(const void *p, size_t n)
{
	return {VASliceDataBufferType, static_cast<const uint8_t *>(p), 1,
		static_cast<uint32_t>(n)};
}

/// One picture as ffmpeg submits it: picture parameters, IQ matrix, then one slice parameter
/// buffer (possibly several slices) and the slice data. Returns the first failure, else
/// endPicture's status.
struct Picture {
	VAPictureParameterBufferH264 pic;
	std::vector<VASliceParameterBufferH264> slices;
	std::vector<uint8_t> data;
	const VAIQMatrixBufferH264 *iq = nullptr;

	VAStatus render(CodecState &state, BitstreamSink &sink, SequenceInfo *seq = nullptr) const
	{
		state.beginPicture();
		VAStatus st = state.render(view(VAPictureParameterBufferType, pic), sink);
		if (st == VA_STATUS_SUCCESS && iq)
			st = state.render(view(VAIQMatrixBufferType, *iq), sink);
		const uint32_t n = slices.size();
		if (st == VA_STATUS_SUCCESS)
			st = state.render(view(VASliceParameterBufferType, slices[0], n), sink);
		if (st == VA_STATUS_SUCCESS)
			st = state.render(dataView(data.data(), data.size()), sink);
		return st == VA_STATUS_SUCCESS ? state.endPicture(seq) : st;
	}
};

Picture picture(const VAPictureParameterBufferH264 &pic, VASliceParameterBufferH264 slice,
		const uint8_t *nal, size_t size)
{
	return {pic, {slice}, std::vector<uint8_t>(nal, nal + size)};
}

const CodecDescriptor &h264()
{
	const CodecDescriptor *c = codecForProfile(VAProfileH264High);
	EXPECT_NE(c, nullptr);
	return *c;
}

uint32_t typeOf(uint32_t id)
{
	switch (id) {
	case V4L2_CID_STATELESS_H264_SPS: return V4L2_CTRL_TYPE_H264_SPS;
	case V4L2_CID_STATELESS_H264_PPS: return V4L2_CTRL_TYPE_H264_PPS;
	case V4L2_CID_STATELESS_H264_SCALING_MATRIX: return V4L2_CTRL_TYPE_H264_SCALING_MATRIX;
	case V4L2_CID_STATELESS_H264_DECODE_PARAMS: return V4L2_CTRL_TYPE_H264_DECODE_PARAMS;
	case V4L2_CID_STATELESS_H264_SLICE_PARAMS: return V4L2_CTRL_TYPE_H264_SLICE_PARAMS;
	case V4L2_CID_STATELESS_H264_PRED_WEIGHTS: return V4L2_CTRL_TYPE_H264_PRED_WEIGHTS;
	default: return 0;
	}
}

/// The payload of control id in `u`, after checking every control of `u` as the kernel would.
template<typename T> const T &payload(const UnitControls &u, uint32_t id)
{
	static const T none = {};
	const T *found = &none;
	for (uint32_t i = 0; i < u.count; i++) {
		const v4l2_ext_control &c = u.controls[i];
		const uint8_t *p = static_cast<const uint8_t *>(c.ptr);
		std::vector<uint8_t> copy(p, p + c.size);
		EXPECT_EQ(v4l2emu::validateCompoundElement(typeOf(c.id), copy.data()), 0) << c.id;
		EXPECT_EQ(memcmp(copy.data(), p, c.size), 0) << "sanitised: " << c.id;
		if (c.id == id) {
			EXPECT_EQ(c.size, sizeof(T));
			found = static_cast<const T *>(c.ptr);
		}
	}
	EXPECT_NE(found, &none) << "missing control " << id;
	return *found;
}

using Sps = v4l2_ctrl_h264_sps;
using Pps = v4l2_ctrl_h264_pps;
using Matrix = v4l2_ctrl_h264_scaling_matrix;
using Decode = v4l2_ctrl_h264_decode_params;
using Slice = v4l2_ctrl_h264_slice_params;
using Weights = v4l2_ctrl_h264_pred_weights;
constexpr uint32_t kSps = V4L2_CID_STATELESS_H264_SPS, kPps = V4L2_CID_STATELESS_H264_PPS,
		   kMatrix = V4L2_CID_STATELESS_H264_SCALING_MATRIX,
		   kDecode = V4L2_CID_STATELESS_H264_DECODE_PARAMS,
		   kSlice = V4L2_CID_STATELESS_H264_SLICE_PARAMS,
		   kWeights = V4L2_CID_STATELESS_H264_PRED_WEIGHTS;
constexpr uint32_t kActive = V4L2_H264_DPB_ENTRY_FLAG_VALID | V4L2_H264_DPB_ENTRY_FLAG_ACTIVE;

std::vector<uint8_t> bytes(const uint8_t *p, size_t n, bool startCode = false)
{
	std::vector<uint8_t> v;
	if (startCode)
		v = {0, 0, 1};
	v.insert(v.end(), p, p + n);
	return v;
}

TEST(H264Codec, Descriptor)
{
	for (VAProfile p :
	     {VAProfileH264ConstrainedBaseline, VAProfileH264Main, VAProfileH264High}) {
		const CodecDescriptor *c = codecForProfile(p);
		ASSERT_NE(c, nullptr);
		EXPECT_STREQ(c->name, "h264");
		EXPECT_EQ(c->codedFourcc, V4L2_PIX_FMT_H264_SLICE);
	}
	const CodecDescriptor &c = h264();
	EXPECT_EQ(c.decodeModeControl, V4L2_CID_STATELESS_H264_DECODE_MODE);
	EXPECT_EQ(c.startCodeControl, V4L2_CID_STATELESS_H264_START_CODE);
	EXPECT_EQ(c.outputBufferSize(176, 144), 1024u * 1024);
	EXPECT_GE(c.outputBufferSize(1920, 1088), 8160u * 384 / 2);
	EXPECT_GE(c.outputBufferSize(3840, 2160), 32400u * 384 / 2);
	EXPECT_LT(c.outputBufferSize(3840, 2160), 8u << 20);
	EXPECT_TRUE(c.profileSupported(VAProfileH264High, frameCaps()));
	EXPECT_TRUE(c.profileSupported(VAProfileH264High, sliceCaps()));
	DeviceCaps noSliceParams = frameCaps();
	noSliceParams.decodeMode = V4L2_STATELESS_H264_DECODE_MODE_SLICE_BASED;
	EXPECT_FALSE(c.profileSupported(VAProfileH264High, noSliceParams));
	EXPECT_EQ(c.create(VAProfileHEVCMain, frameCaps(), 176, 144), nullptr);
}

TEST(H264Codec, FrameBasedWeightedPicture)
{
	auto state = h264().create(VAProfileH264High, frameCaps(), 176, 144);
	FixedSink sink;
	FakeResolver refs;
	VAIQMatrixBufferH264 flat;
	memset(&flat, 16, sizeof(flat));	// ffmpeg always sends one
	Picture p = picture(highPicture(2, 8), highP2Slice(), kHighP2, sizeof(kHighP2));
	p.iq = &flat;
	SequenceInfo seq;
	ASSERT_EQ(p.render(*state, sink, &seq), VA_STATUS_SUCCESS);
	EXPECT_EQ(sink.unitCount(), 1u);
	EXPECT_EQ(sink.unit(0), bytes(kHighP2, sizeof(kHighP2), true));
	EXPECT_EQ(seq, (SequenceInfo{176, 144, 8, 1}));

	UnitControls u;
	EXPECT_EQ(state->unitControls(1, refs, kTargetTs, &u), VA_STATUS_ERROR_INVALID_PARAMETER);
	ASSERT_EQ(state->unitControls(0, refs, kTargetTs, &u), VA_STATUS_SUCCESS);
	ASSERT_EQ(u.count, 4u);		// no slice parameters in frame-based mode
	EXPECT_EQ(u.controls[0].id, kSps);
	EXPECT_EQ(u.controls[3].id, kDecode);

	const Sps &sps = payload<Sps>(u, kSps);
	EXPECT_EQ(sps.profile_idc, 100);
	EXPECT_EQ(sps.level_idc, 30);		// MinLumaBiPredSize8x8 clear: below 3.1
	EXPECT_EQ(sps.chroma_format_idc, 1);
	EXPECT_EQ(sps.log2_max_pic_order_cnt_lsb_minus4, 1);
	EXPECT_EQ(sps.max_num_ref_frames, 3);
	EXPECT_EQ(sps.pic_width_in_mbs_minus1, 10);
	EXPECT_EQ(sps.pic_height_in_map_units_minus1, 8);
	EXPECT_EQ(sps.flags,
		  V4L2_H264_SPS_FLAG_FRAME_MBS_ONLY | V4L2_H264_SPS_FLAG_DIRECT_8X8_INFERENCE);

	const Pps &pps = payload<Pps>(u, kPps);
	EXPECT_EQ(pps.num_ref_idx_l0_default_active_minus1, 2);	// learnt: no override
	EXPECT_EQ(pps.weighted_bipred_idc, 2);
	EXPECT_EQ(pps.pic_init_qp_minus26, -3);
	EXPECT_EQ(pps.chroma_qp_index_offset, -2);
	EXPECT_EQ(pps.second_chroma_qp_index_offset, -2);
	EXPECT_EQ(pps.flags, V4L2_H264_PPS_FLAG_ENTROPY_CODING_MODE |
				     V4L2_H264_PPS_FLAG_WEIGHTED_PRED |
				     V4L2_H264_PPS_FLAG_DEBLOCKING_FILTER_CONTROL_PRESENT |
				     V4L2_H264_PPS_FLAG_TRANSFORM_8X8_MODE);
	EXPECT_EQ(payload<Matrix>(u, kMatrix).scaling_list_8x8[5][63], 16);

	const Decode &dp = payload<Decode>(u, kDecode);
	EXPECT_EQ(dp.nal_ref_idc, 2);
	EXPECT_EQ(dp.frame_num, 2);
	EXPECT_EQ(dp.top_field_order_cnt, 8);
	EXPECT_EQ(dp.bottom_field_order_cnt, 8);
	EXPECT_EQ(dp.pic_order_cnt_lsb, 8);
	EXPECT_EQ(dp.pic_order_cnt_bit_size, 5u);
	EXPECT_EQ(dp.dec_ref_pic_marking_bit_size, 1u);
	EXPECT_EQ(dp.flags, V4L2_H264_DECODE_PARAM_FLAG_PFRAME);
	EXPECT_EQ(dp.dpb[0].reference_ts, kP1Ts);
	EXPECT_EQ(dp.dpb[0].frame_num, 1);
	EXPECT_EQ(dp.dpb[0].pic_num, 1u);
	EXPECT_EQ(dp.dpb[0].fields, V4L2_H264_FRAME_REF);
	EXPECT_EQ(dp.dpb[0].top_field_order_cnt, 6);
	EXPECT_EQ(dp.dpb[0].bottom_field_order_cnt, 6);
	EXPECT_EQ(dp.dpb[0].flags, kActive);
	EXPECT_EQ(dp.dpb[1].reference_ts, kIdrTs);
	EXPECT_EQ(dp.dpb[1].frame_num, 0);
	EXPECT_EQ(dp.dpb[1].flags, kActive);
	for (int i = 2; i < 16; i++)
		EXPECT_EQ(dp.dpb[i].flags, 0u) << i;

	UnitControls s;
	state->sequenceControls(&s);
	ASSERT_EQ(s.count, 1u);
	EXPECT_EQ(s.controls[0].id, kSps);
}

TEST(H264Codec, SliceBasedWeightsListsAndLearntDefaults)
{
	auto state = h264().create(VAProfileH264High, sliceCaps(), 176, 144);
	FixedSink sink;
	FakeResolver refs;
	ASSERT_EQ(picture(highPicture(2, 8), highP2Slice(), kHighP2, sizeof(kHighP2))
			  .render(*state, sink),
		  VA_STATUS_SUCCESS);
	EXPECT_EQ(sink.unit(0), bytes(kHighP2, sizeof(kHighP2)));
	UnitControls u;
	ASSERT_EQ(state->unitControls(0, refs, kTargetTs, &u), VA_STATUS_SUCCESS);
	ASSERT_EQ(u.count, 6u);
	const Slice &sp = payload<Slice>(u, kSlice);
	EXPECT_EQ(sp.header_bit_size, 73u);
	EXPECT_EQ(sp.slice_type, V4L2_H264_SLICE_TYPE_P);
	EXPECT_EQ(sp.slice_qp_delta, -10);
	EXPECT_EQ(sp.num_ref_idx_l0_active_minus1, 2);
	const uint8_t slots[] = {0, 0, 1};	// P1 P1 IDR
	for (int i = 0; i < 3; i++) {
		EXPECT_EQ(sp.ref_pic_list0[i].index, slots[i]) << i;
		EXPECT_EQ(sp.ref_pic_list0[i].fields, V4L2_H264_FRAME_REF);
	}
	const Weights &pw = payload<Weights>(u, kWeights);
	EXPECT_EQ(pw.luma_log2_weight_denom, 0);
	EXPECT_EQ(pw.weight_factors[0].luma_weight[1], 1);
	EXPECT_EQ(pw.weight_factors[0].luma_offset[1], -1);
	EXPECT_EQ(pw.weight_factors[0].luma_offset[2], 0);
	EXPECT_EQ(pw.weight_factors[0].chroma_weight[2][1], 1);	// inferred: 1 << denom
	EXPECT_EQ(pw.weight_factors[1].luma_weight[0], 0);
	state->pictureSubmitted();

	// The non-reference B picture: lists IDR / P1, spatial direct, implicit weights.
	VASliceParameterBufferH264 b = vaSlice(sizeof(kHighB), 43, 1, -10);
	b.direct_spatial_mv_pred_flag = 1;
	b.RefPicList0[0] = kIdrRef;
	b.RefPicList1[0] = kP1Ref;
	Picture bp = picture(highPicture(2, 2), b, kHighB, sizeof(kHighB));
	bp.pic.pic_fields.bits.reference_pic_flag = 0;
	FixedSink bsink;
	ASSERT_EQ(bp.render(*state, bsink), VA_STATUS_SUCCESS);
	ASSERT_EQ(state->unitControls(0, refs, kTargetTs, &u), VA_STATUS_SUCCESS);
	EXPECT_EQ(u.count, 5u);
	const Slice &bs = payload<Slice>(u, kSlice);
	EXPECT_EQ(bs.slice_type, V4L2_H264_SLICE_TYPE_B);
	EXPECT_EQ(bs.flags, V4L2_H264_SLICE_FLAG_DIRECT_SPATIAL_MV_PRED);
	EXPECT_EQ(bs.ref_pic_list0[0].index, 1);
	EXPECT_EQ(bs.ref_pic_list1[0].index, 0);
	const Decode &dp = payload<Decode>(u, kDecode);
	EXPECT_EQ(dp.nal_ref_idc, 0);
	EXPECT_EQ(dp.dec_ref_pic_marking_bit_size, 0u);
	EXPECT_EQ(dp.flags, V4L2_H264_DECODE_PARAM_FLAG_BFRAME);
	// The B slice overrides; the PPS default learnt from the submitted P picture stays.
	EXPECT_EQ(payload<Pps>(u, kPps).num_ref_idx_l0_default_active_minus1, 2);

	// Learnt defaults only count once submitted: a fresh state falls back to the override.
	auto fresh = h264().create(VAProfileH264High, sliceCaps(), 176, 144);
	ASSERT_EQ(picture(highPicture(2, 8), highP2Slice(), kHighP2, sizeof(kHighP2))
			  .render(*fresh, sink),
		  VA_STATUS_SUCCESS);
	FixedSink sink3;
	ASSERT_EQ(bp.render(*fresh, sink3), VA_STATUS_SUCCESS);
	ASSERT_EQ(fresh->unitControls(0, refs, kTargetTs, &u), VA_STATUS_SUCCESS);
	EXPECT_EQ(payload<Pps>(u, kPps).num_ref_idx_l0_default_active_minus1, 0);
}

TEST(H264Codec, SliceBasedTwoSlicesInOneBuffer)
{
	auto state = h264().create(VAProfileH264ConstrainedBaseline, sliceCaps(), 176, 144);
	FixedSink sink;
	FakeResolver refs;
	Picture p = picture(basePicture(), vaSlice(sizeof(kBaseIdr0), 36, 2, -12),
			    kBaseIdr0, sizeof(kBaseIdr0));
	p.slices.push_back(vaSlice(sizeof(kBaseIdr1), 46, 2, 9));
	p.slices[1].slice_data_offset = sizeof(kBaseIdr0);
	p.slices[1].first_mb_in_slice = 55;
	p.data.insert(p.data.end(), kBaseIdr1, kBaseIdr1 + sizeof(kBaseIdr1));
	ASSERT_EQ(p.render(*state, sink), VA_STATUS_SUCCESS);
	ASSERT_EQ(sink.unitCount(), 2u);
	EXPECT_EQ(sink.unit(0), bytes(kBaseIdr0, sizeof(kBaseIdr0)));
	EXPECT_EQ(sink.unit(1), bytes(kBaseIdr1, sizeof(kBaseIdr1)));

	UnitControls u0, u1;
	ASSERT_EQ(state->unitControls(0, refs, kTargetTs, &u0), VA_STATUS_SUCCESS);
	ASSERT_EQ(state->unitControls(1, refs, kTargetTs, &u1), VA_STATUS_SUCCESS);
	EXPECT_EQ(state->unitControls(2, refs, kTargetTs, &u1), VA_STATUS_ERROR_INVALID_PARAMETER);
	EXPECT_EQ(u1.count, 5u);	// I slices: no weights
	const Slice &s0 = payload<Slice>(u0, kSlice);
	const Slice &s1 = payload<Slice>(u1, kSlice);
	EXPECT_EQ(s0.first_mb_in_slice, 0u);
	EXPECT_EQ(s0.header_bit_size, 36u);
	EXPECT_EQ(s0.slice_type, V4L2_H264_SLICE_TYPE_I);
	EXPECT_EQ(s1.first_mb_in_slice, 55u);
	EXPECT_EQ(s1.header_bit_size, 46u);
	EXPECT_EQ(s1.slice_qp_delta, 9);
	const Sps &sps = payload<Sps>(u1, kSps);
	EXPECT_EQ(sps.profile_idc, 66);
	EXPECT_EQ(sps.constraint_set_flags,
		  V4L2_H264_SPS_CONSTRAINT_SET0_FLAG | V4L2_H264_SPS_CONSTRAINT_SET1_FLAG);
	EXPECT_EQ(sps.level_idc, 51);
	EXPECT_EQ(sps.pic_order_cnt_type, 2);
	EXPECT_EQ(sps.log2_max_pic_order_cnt_lsb_minus4, 0);
	const Decode &dp = payload<Decode>(u0, kDecode);
	EXPECT_EQ(dp.flags, V4L2_H264_DECODE_PARAM_FLAG_IDR_PIC);
	EXPECT_EQ(dp.nal_ref_idc, 3);
	EXPECT_EQ(dp.idr_pic_id, 0);
	EXPECT_EQ(dp.pic_order_cnt_bit_size, 0u);
	EXPECT_EQ(dp.dec_ref_pic_marking_bit_size, 2u);
	EXPECT_EQ(payload<Pps>(u0, kPps).flags,
		  V4L2_H264_PPS_FLAG_DEBLOCKING_FILTER_CONTROL_PRESENT);
}

TEST(H264Codec, MbaffSequenceCountsMapUnits)
{
	auto state = h264().create(VAProfileH264High, frameCaps(), 176, 160);
	FixedSink sink;
	FakeResolver refs;
	Picture p = picture(highPicture(0, 1), vaSlice(sizeof(kMbaffIdr), 44, 2, -12),
			    kMbaffIdr, sizeof(kMbaffIdr));
	std::fill(std::begin(p.pic.ReferenceFrames), std::end(p.pic.ReferenceFrames), kNoPic);
	p.pic.CurrPic.BottomFieldOrderCnt = 0;
	p.pic.picture_height_in_mbs_minus1 = 9;		// frame rows: 2 x 5 map units
	p.pic.seq_fields.bits.frame_mbs_only_flag = 0;
	p.pic.seq_fields.bits.mb_adaptive_frame_field_flag = 1;
	p.pic.seq_fields.bits.log2_max_pic_order_cnt_lsb_minus4 = 0;
	p.pic.pic_fields.bits.weighted_pred_flag = 0;
	p.pic.pic_fields.bits.weighted_bipred_idc = 0;
	p.pic.pic_fields.bits.pic_order_present_flag = 1;
	SequenceInfo seq;
	ASSERT_EQ(p.render(*state, sink, &seq), VA_STATUS_SUCCESS);
	EXPECT_EQ(seq, (SequenceInfo{176, 160, 8, 1}));
	UnitControls u;
	ASSERT_EQ(state->unitControls(0, refs, kTargetTs, &u), VA_STATUS_SUCCESS);
	const Sps &sps = payload<Sps>(u, kSps);
	EXPECT_EQ(sps.pic_height_in_map_units_minus1, 4);
	EXPECT_EQ(sps.flags, V4L2_H264_SPS_FLAG_MB_ADAPTIVE_FRAME_FIELD |
				     V4L2_H264_SPS_FLAG_DIRECT_8X8_INFERENCE);
	EXPECT_TRUE(payload<Pps>(u, kPps).flags &
		    V4L2_H264_PPS_FLAG_BOTTOM_FIELD_PIC_ORDER_IN_FRAME_PRESENT);
	const Decode &dp = payload<Decode>(u, kDecode);
	EXPECT_EQ(dp.pic_order_cnt_lsb, 1);
	EXPECT_EQ(dp.delta_pic_order_cnt_bottom, -1);
	EXPECT_EQ(dp.pic_order_cnt_bit_size, 7u);
	EXPECT_EQ(dp.top_field_order_cnt, 1);
	EXPECT_EQ(dp.bottom_field_order_cnt, 0);
}

TEST(H264Codec, ReferencesThatDoNotResolve)
{
	auto state = h264().create(VAProfileH264High, sliceCaps(), 176, 144);
	FixedSink sink;
	FakeResolver refs;
	refs.known.erase(kIdrSurface);
	VASliceParameterBufferH264 slice = highP2Slice();
	slice.RefPicList0[1] = vaPic(77, 1, 6, kShortRef);	// not in the DPB at all
	ASSERT_EQ(picture(highPicture(2, 8), slice, kHighP2, sizeof(kHighP2)).render(*state, sink),
		  VA_STATUS_SUCCESS);
	UnitControls u;
	ASSERT_EQ(state->unitControls(0, refs, kTargetTs, &u), VA_STATUS_SUCCESS);
	const Decode &dp = payload<Decode>(u, kDecode);
	EXPECT_EQ(dp.dpb[0].reference_ts, kP1Ts);
	EXPECT_EQ(dp.dpb[1].flags, 0u);		// the IDR's buffer is gone: left out
	const Slice &sp = payload<Slice>(u, kSlice);
	EXPECT_EQ(sp.ref_pic_list0[0].index, 0);
	EXPECT_EQ(sp.ref_pic_list0[1].index, 2);	// the first empty slot, never ACTIVE
	EXPECT_EQ(sp.ref_pic_list0[2].index, 1);
}

TEST(H264Codec, SecondFieldReferencesItsFirstField)
{
	auto state = h264().create(VAProfileH264Main, frameCaps(), 176, 160);
	FixedSink sink;
	FakeResolver refs;
	const VAPictureH264 top = vaPic(kTarget, 3, 4, VA_PICTURE_H264_TOP_FIELD | kShortRef);
	VASliceParameterBufferH264 slice = vaSlice(sizeof(kBottomFieldP), 30, 0, 0);
	slice.RefPicList0[0] = top;
	Picture p = picture(highPicture(3, 0), slice, kBottomFieldP, sizeof(kBottomFieldP));
	p.pic.CurrPic.flags = VA_PICTURE_H264_BOTTOM_FIELD;
	p.pic.CurrPic.TopFieldOrderCnt = 4;
	p.pic.CurrPic.BottomFieldOrderCnt = 5;
	p.pic.ReferenceFrames[0] = top;
	p.pic.ReferenceFrames[1] = kNoPic;
	p.pic.picture_height_in_mbs_minus1 = 9;
	p.pic.seq_fields.bits.frame_mbs_only_flag = 0;
	p.pic.seq_fields.bits.log2_max_pic_order_cnt_lsb_minus4 = 0;
	p.pic.pic_fields.value = 0;
	p.pic.pic_fields.bits.field_pic_flag = 1;
	ASSERT_EQ(p.render(*state, sink), VA_STATUS_SUCCESS);
	UnitControls u;
	ASSERT_EQ(state->unitControls(0, refs, kTargetTs, &u), VA_STATUS_SUCCESS);
	const Decode &dp = payload<Decode>(u, kDecode);
	EXPECT_EQ(dp.flags, V4L2_H264_DECODE_PARAM_FLAG_FIELD_PIC |
				    V4L2_H264_DECODE_PARAM_FLAG_BOTTOM_FIELD |
				    V4L2_H264_DECODE_PARAM_FLAG_PFRAME);
	EXPECT_EQ(dp.frame_num, 3);
	EXPECT_EQ(dp.pic_order_cnt_lsb, 5);
	EXPECT_EQ(dp.bottom_field_order_cnt, 5);
	// The top field is in the buffer being decoded into, which the resolver does not know yet.
	EXPECT_EQ(dp.dpb[0].reference_ts, kTargetTs);
	EXPECT_EQ(dp.dpb[0].fields, V4L2_H264_TOP_FIELD_REF);
	EXPECT_EQ(dp.dpb[0].flags, kActive | V4L2_H264_DPB_ENTRY_FLAG_FIELD);
	EXPECT_EQ(dp.dpb[0].pic_num, 6u);		// 2 * FrameNumWrap, opposite parity
	EXPECT_EQ(dp.dpb[0].top_field_order_cnt, 4);
}

TEST(H264Codec, ScalingMatrix)
{
	auto state = h264().create(VAProfileH264High, frameCaps(), 176, 144);
	FixedSink sink;
	FakeResolver refs;
	VAIQMatrixBufferH264 iq;
	memset(&iq, 16, sizeof(iq));
	for (int i = 0; i < 16; i++)
		iq.ScalingList4x4[3][i] = 6 + i;
	for (int i = 0; i < 64; i++)
		iq.ScalingList8x8[1][i] = 7 + i;
	Picture p = picture(highPicture(0, 0), vaSlice(sizeof(kHighIdr), 41, 2, -12),
			    kHighIdr, sizeof(kHighIdr));
	p.iq = &iq;
	ASSERT_EQ(p.render(*state, sink), VA_STATUS_SUCCESS);
	UnitControls u;
	ASSERT_EQ(state->unitControls(0, refs, kTargetTs, &u), VA_STATUS_SUCCESS);
	const Matrix &m = payload<Matrix>(u, kMatrix);
	EXPECT_EQ(memcmp(m.scaling_list_4x4, iq.ScalingList4x4, sizeof(m.scaling_list_4x4)), 0);
	EXPECT_EQ(memcmp(m.scaling_list_8x8[0], iq.ScalingList8x8[0], 64), 0);	// Intra Y
	EXPECT_EQ(memcmp(m.scaling_list_8x8[1], iq.ScalingList8x8[1], 64), 0);	// Inter Y
	EXPECT_TRUE(payload<Pps>(u, kPps).flags & V4L2_H264_PPS_FLAG_SCALING_MATRIX_PRESENT);
	EXPECT_EQ(payload<Decode>(u, kDecode).flags, V4L2_H264_DECODE_PARAM_FLAG_IDR_PIC);

	// Without an IQ buffer: flat lists, flag clear.
	p.iq = nullptr;
	FixedSink sink2;
	ASSERT_EQ(p.render(*state, sink2), VA_STATUS_SUCCESS);
	ASSERT_EQ(state->unitControls(0, refs, kTargetTs, &u), VA_STATUS_SUCCESS);
	EXPECT_EQ(payload<Matrix>(u, kMatrix).scaling_list_4x4[3][5], 16);
	EXPECT_FALSE(payload<Pps>(u, kPps).flags & V4L2_H264_PPS_FLAG_SCALING_MATRIX_PRESENT);
}

TEST(H264Codec, BadInputIsRefusedAndLeavesNothing)
{
	auto state = h264().create(VAProfileH264High, frameCaps(), 176, 144);
	FixedSink sink;
	FakeResolver refs;
	const VAPictureParameterBufferH264 pic = highPicture(2, 8);
	const VASliceParameterBufferH264 slice = highP2Slice();
	const BufferView data = dataView(kHighP2, sizeof(kHighP2));
	auto renderSlice = [&](const VASliceParameterBufferH264 &s, uint32_t n = 1) {
		return state->render(view(VASliceParameterBufferType, s, n), sink);
	};
	auto renderPic = [&](const VAPictureParameterBufferH264 &p) {
		return state->render(view(VAPictureParameterBufferType, p), sink);
	};
	UnitControls u;
	state->beginPicture();
	EXPECT_EQ(state->endPicture(nullptr), VA_STATUS_ERROR_INVALID_PARAMETER);
	EXPECT_EQ(state->unitControls(0, refs, kTargetTs, &u), VA_STATUS_ERROR_INVALID_PARAMETER);
	BufferView shortPic = view(VAPictureParameterBufferType, pic);
	shortPic.elementSize -= 4;
	EXPECT_EQ(state->render(shortPic, sink), VA_STATUS_ERROR_INVALID_BUFFER);
	EXPECT_EQ(renderSlice(slice), VA_STATUS_ERROR_INVALID_PARAMETER);	// before picture
	VAPictureParameterBufferH264 bad = pic;
	bad.seq_fields.bits.log2_max_frame_num_minus4 = 13;
	EXPECT_EQ(renderPic(bad), VA_STATUS_ERROR_INVALID_PARAMETER);
	bad = pic;
	bad.pic_init_qp_minus26 = -27;
	EXPECT_EQ(renderPic(bad), VA_STATUS_ERROR_INVALID_PARAMETER);
	EXPECT_EQ(state->endPicture(nullptr), VA_STATUS_ERROR_INVALID_PARAMETER);

	ASSERT_EQ(renderPic(pic), VA_STATUS_SUCCESS);
	EXPECT_EQ(state->render(data, sink), VA_STATUS_ERROR_INVALID_PARAMETER);	// no params
	BufferView shortSlice = view(VASliceParameterBufferType, slice);
	shortSlice.elementSize = 100;
	EXPECT_EQ(state->render(shortSlice, sink), VA_STATUS_ERROR_INVALID_BUFFER);
	VASliceParameterBufferH264 s = slice;
	s.slice_alpha_c0_offset_div2 = 7;
	EXPECT_EQ(renderSlice(s), VA_STATUS_ERROR_INVALID_PARAMETER);
	s = slice;
	s.luma_log2_weight_denom = 8;
	EXPECT_EQ(renderSlice(s), VA_STATUS_ERROR_INVALID_PARAMETER);
	s = slice;
	s.slice_data_flag = VA_SLICE_DATA_FLAG_BEGIN;
	EXPECT_EQ(renderSlice(s), VA_STATUS_ERROR_UNIMPLEMENTED);
	std::vector<VASliceParameterBufferH264> many(100, slice);	// 99 macroblocks
	EXPECT_EQ(renderSlice(many[0], many.size()), VA_STATUS_ERROR_MAX_NUM_EXCEEDED);

	// Slice data outside its buffer, not a slice, of another type, or too big for the sink.
	s = slice;
	s.slice_data_offset = 4;
	ASSERT_EQ(renderSlice(s), VA_STATUS_SUCCESS);
	EXPECT_EQ(state->render(data, sink), VA_STATUS_ERROR_INVALID_PARAMETER);
	const uint8_t sps[] = {0x67, 0x64, 0x00, 0x0b, 0xac, 0xd1, 0x02, 0xc4};
	s = slice;
	s.slice_data_size = sizeof(sps);
	ASSERT_EQ(renderSlice(s), VA_STATUS_SUCCESS);
	EXPECT_EQ(state->render(dataView(sps, sizeof(sps)), sink),
		  VA_STATUS_ERROR_INVALID_PARAMETER);
	s = slice;
	s.slice_type = 1;
	ASSERT_EQ(renderSlice(s), VA_STATUS_SUCCESS);
	EXPECT_EQ(state->render(data, sink), VA_STATUS_ERROR_INVALID_PARAMETER);
	FixedSink tiny(sizeof(kHighP2));	// no room for the start code too
	ASSERT_EQ(renderSlice(slice), VA_STATUS_SUCCESS);
	EXPECT_EQ(state->render(data, tiny), VA_STATUS_ERROR_NOT_ENOUGH_BUFFER);
	EXPECT_EQ(tiny.unitSize(), 0u);
	EXPECT_EQ(sink.unitSize(), 0u);
	EXPECT_EQ(state->endPicture(nullptr), VA_STATUS_ERROR_INVALID_PARAMETER);	// no slice

	// Still usable: the pending slice goes through once there is room.
	EXPECT_EQ(state->render(data, sink), VA_STATUS_SUCCESS);
	EXPECT_EQ(sink.unit(0), bytes(kHighP2, sizeof(kHighP2), true));
	EXPECT_EQ(state->endPicture(nullptr), VA_STATUS_SUCCESS);

	// Main profile cannot carry 4:2:2.
	auto main = h264().create(VAProfileH264Main, frameCaps(), 176, 144);
	bad = pic;
	bad.seq_fields.bits.chroma_format_idc = 2;
	main->beginPicture();
	EXPECT_EQ(main->render(view(VAPictureParameterBufferType, bad), sink),
		  VA_STATUS_ERROR_INVALID_PARAMETER);
}

TEST(H264Codec, SliceBasedUnitThatCannotBeHad)
{
	auto state = h264().create(VAProfileH264ConstrainedBaseline, sliceCaps(), 176, 144);
	FixedSink sink(4096, 1);	// no second OUTPUT buffer
	FakeResolver refs;
	Picture p = picture(basePicture(), vaSlice(sizeof(kBaseIdr0), 36, 2, -12),
			    kBaseIdr0, sizeof(kBaseIdr0));
	p.slices.push_back(vaSlice(sizeof(kBaseIdr1), 46, 2, 9));
	p.slices[1].slice_data_offset = sizeof(kBaseIdr0);
	p.data.insert(p.data.end(), kBaseIdr1, kBaseIdr1 + sizeof(kBaseIdr1));
	EXPECT_EQ(p.render(*state, sink), VA_STATUS_ERROR_MAX_NUM_EXCEEDED);
	// The first slice made it: the picture has that one unit.
	ASSERT_EQ(state->endPicture(nullptr), VA_STATUS_SUCCESS);
	UnitControls u;
	EXPECT_EQ(state->unitControls(0, refs, kTargetTs, &u), VA_STATUS_SUCCESS);
	EXPECT_EQ(state->unitControls(1, refs, kTargetTs, &u), VA_STATUS_ERROR_INVALID_PARAMETER);
}

} // namespace
} // namespace v4l2va
