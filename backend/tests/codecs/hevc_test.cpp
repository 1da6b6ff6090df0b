// SPDX-License-Identifier: MIT
// The HEVC codec fed libx265 slices the way FFmpeg's vaapi_hevc.c fills the VA buffers: the
// controls are checked against what the stream's headers say (ffmpeg -bsf:v trace_headers),
// the OUTPUT bytes against its slices, every compound control against the emulator's copy of
// the kernel's validation.
#include "hevc_test_stream.h"
#include "codecs/registry.h"

#include <gtest/gtest.h>

#include <va/va.h>
#include <va/va_dec_hevc.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <vector>

namespace v4l2emu {
int validateCompoundElement(uint32_t type, void *elem);	// emulator/src/codecs/codec.h
}

namespace v4l2va {
namespace {

using namespace hevc;
using namespace hevc::test_stream;

const CodecDescriptor &hevc()
{
	const CodecDescriptor *c = codecForProfile(VAProfileHEVCMain);
	EXPECT_NE(c, nullptr);
	return *c;
}

/// rkvdec (mainline): frame-based with Annex B start codes; visl adds entry points; cedrus:
/// slice-based without start codes.
DeviceCaps frameCaps(bool entryPoints = false)
{
	DeviceCaps caps;
	caps.decodeMode = V4L2_STATELESS_HEVC_DECODE_MODE_FRAME_BASED;
	caps.startCode = V4L2_STATELESS_HEVC_START_CODE_ANNEX_B;
	caps.controls = {V4L2_CID_STATELESS_HEVC_SPS, V4L2_CID_STATELESS_HEVC_PPS,
			 V4L2_CID_STATELESS_HEVC_SLICE_PARAMS,
			 V4L2_CID_STATELESS_HEVC_SCALING_MATRIX,
			 V4L2_CID_STATELESS_HEVC_DECODE_PARAMS};
	if (entryPoints)
		caps.controls.push_back(V4L2_CID_STATELESS_HEVC_ENTRY_POINT_OFFSETS);
	std::sort(caps.controls.begin(), caps.controls.end());
	return caps;
}
DeviceCaps sliceCaps()
{
	DeviceCaps caps = frameCaps(true);
	caps.decodeMode = V4L2_STATELESS_HEVC_DECODE_MODE_SLICE_BASED;
	caps.startCode = V4L2_STATELESS_HEVC_START_CODE_NONE;
	return caps;
}

/// The compound type of a control id, 0 for plain arrays.
uint32_t compoundType(uint32_t id)
{
	switch (id) {
	case V4L2_CID_STATELESS_HEVC_SPS: return V4L2_CTRL_TYPE_HEVC_SPS;
	case V4L2_CID_STATELESS_HEVC_PPS: return V4L2_CTRL_TYPE_HEVC_PPS;
	case V4L2_CID_STATELESS_HEVC_SLICE_PARAMS: return V4L2_CTRL_TYPE_HEVC_SLICE_PARAMS;
	case V4L2_CID_STATELESS_HEVC_SCALING_MATRIX: return V4L2_CTRL_TYPE_HEVC_SCALING_MATRIX;
	case V4L2_CID_STATELESS_HEVC_DECODE_PARAMS: return V4L2_CTRL_TYPE_HEVC_DECODE_PARAMS;
	default: return 0;
	}
}
uint32_t compoundSize(uint32_t type)
{
	switch (type) {
	case V4L2_CTRL_TYPE_HEVC_SPS: return sizeof(struct v4l2_ctrl_hevc_sps);
	case V4L2_CTRL_TYPE_HEVC_PPS: return sizeof(struct v4l2_ctrl_hevc_pps);
	case V4L2_CTRL_TYPE_HEVC_SLICE_PARAMS: return sizeof(struct v4l2_ctrl_hevc_slice_params);
	case V4L2_CTRL_TYPE_HEVC_SCALING_MATRIX:
		return sizeof(struct v4l2_ctrl_hevc_scaling_matrix);
	default: return sizeof(struct v4l2_ctrl_hevc_decode_params);
	}
}

/// One request's controls by id, each element checked like the kernel would.
struct Controls {
	std::map<uint32_t, const v4l2_ext_control *> byId;
	UnitControls unit;
	template<typename T> const T *get(uint32_t id, uint32_t *elems = nullptr) const
	{
		auto it = byId.find(id);
		if (it == byId.end())
			return nullptr;
		if (elems)
			*elems = it->second->size / sizeof(T);
		return static_cast<const T *>(it->second->ptr);
	}
};
void collect(CodecState &state, unsigned unit, const ReferenceResolver &refs, Controls *out)
{
	ASSERT_EQ(state.unitControls(unit, refs, 5000, &out->unit), VA_STATUS_SUCCESS);
	for (uint32_t i = 0; i < out->unit.count; i++) {
		const v4l2_ext_control &c = out->unit.controls[i];
		EXPECT_EQ(out->byId.count(c.id), 0u) << "control set twice";
		out->byId[c.id] = &c;
		uint32_t type = compoundType(c.id);
		if (!type)
			continue;
		uint32_t size = compoundSize(type);
		ASSERT_TRUE(c.size && c.size % size == 0) << std::hex << c.id;
		for (uint32_t off = 0; off < c.size; off += size) {
			std::vector<uint8_t> copy(static_cast<const uint8_t *>(c.ptr) + off,
						  static_cast<const uint8_t *>(c.ptr) + off + size);
			std::vector<uint8_t> before = copy;
			EXPECT_EQ(v4l2emu::validateCompoundElement(type, copy.data()), 0)
				<< std::hex << c.id;
			// The kernel only zeroes what is unused: the codec already sends it zeroed.
			EXPECT_EQ(copy, before) << "sanitised by the kernel: " << std::hex << c.id;
		}
	}
}

struct Renderer {
	CodecState &state;
	FixedSink &sink;
	VAStatus pic(const VAPictureParameterBufferHEVC &p,
		     uint32_t size = sizeof(VAPictureParameterBufferHEVC))
	{
		return state.render({VAPictureParameterBufferType, bytes(&p), size, 1}, sink);
	}
	VAStatus slices(const VASliceParameterBufferHEVC *s, uint32_t n, const uint8_t *data,
			size_t size)
	{
		VAStatus st = state.render({VASliceParameterBufferType, bytes(s), sizeof(*s), n},
					   sink);
		if (st != VA_STATUS_SUCCESS)
			return st;
		return state.render({VASliceDataBufferType, data, static_cast<uint32_t>(size), 1},
				    sink);
	}
	VAStatus slice(const VASliceParameterBufferHEVC &s, const uint8_t *nal)
	{
		return slices(&s, 1, nal, s.slice_data_size);
	}
};

// --- the codec -------------------------------------------------------------------------------

TEST(HevcCodec, Descriptor)
{
	const CodecDescriptor &c = hevc();
	EXPECT_STREQ(c.name, "hevc");
	EXPECT_EQ(c.codedFourcc, V4L2_PIX_FMT_HEVC_SLICE);
	EXPECT_EQ(codecForProfile(VAProfileHEVCMain10), &c);
	EXPECT_EQ(c.decodeModeControl, V4L2_CID_STATELESS_HEVC_DECODE_MODE);
	EXPECT_EQ(c.startCodeControl, V4L2_CID_STATELESS_HEVC_START_CODE);
	DeviceCaps caps;
	caps.captureFormats = {V4L2_PIX_FMT_NV12};
	EXPECT_TRUE(c.profileSupported(VAProfileHEVCMain, caps));
	EXPECT_FALSE(c.profileSupported(VAProfileHEVCMain10, caps));
	caps.captureFormats.push_back(v4l2_fourcc('N', 'V', '1', '5'));
	EXPECT_TRUE(c.profileSupported(VAProfileHEVCMain10, caps));
	caps.captureFormats = {V4L2_PIX_FMT_P010};
	EXPECT_TRUE(c.profileSupported(VAProfileHEVCMain10, caps));
	EXPECT_GE(c.outputBufferSize(176, 144), 1u << 20);
	EXPECT_GE(c.outputBufferSize(3840, 2160), 3840u * 2160 / 2);
	EXPECT_LE(c.outputBufferSize(3840, 2160), 3840u * 2160 * 3);
}

TEST(HevcCodec, FrameBasedBPicture)
{
	auto state = hevc().create(VAProfileHEVCMain, frameCaps(), 176, 144);
	FixedSink sink;
	Renderer r{*state, sink};
	UnitControls seq;
	state->sequenceControls(&seq);
	EXPECT_EQ(seq.count, 0u);

	state->beginPicture();
	VAPictureParameterBufferHEVC p = streamPicture(2);
	setRef(p, 0, 11, 3, VA_PICTURE_HEVC_RPS_ST_CURR_AFTER);
	setRef(p, 1, 10, 0, VA_PICTURE_HEVC_RPS_ST_CURR_BEFORE);
	setRef(p, 2, 12, -4, 0);	// in the DPB, never decoded in this stream: left out
	ASSERT_EQ(r.pic(p), VA_STATUS_SUCCESS);
	VASliceParameterBufferHEVC s = streamSlice(sizeof(kBPoc2), 9, kSliceB);
	s.RefPicList[0][0] = 1;
	s.RefPicList[1][0] = 0;
	s.slice_qp_delta = 9;
	s.LongSliceFlags.fields.LastSliceOfPic = 1;
	ASSERT_EQ(r.slice(s, kBPoc2), VA_STATUS_SUCCESS);
	SequenceInfo seqInfo;
	ASSERT_EQ(state->endPicture(&seqInfo), VA_STATUS_SUCCESS);
	EXPECT_EQ(seqInfo, (SequenceInfo{176, 144, 8, 1}));
	EXPECT_EQ(sink.unitCount(), 1u);
	EXPECT_EQ(sink.unit(0), withStartCode(kBPoc2, sizeof(kBPoc2)));

	MapResolver refs;
	refs.timestamps = {{10, 1000}, {11, 2000}};
	Controls c;
	collect(*state, 0, refs, &c);
	EXPECT_EQ(c.unit.count, 4u);	// no scaling lists, no entry point control
	auto *sps = c.get<v4l2_ctrl_hevc_sps>(V4L2_CID_STATELESS_HEVC_SPS);
	ASSERT_NE(sps, nullptr);
	EXPECT_EQ(sps->pic_width_in_luma_samples, 176);
	EXPECT_EQ(sps->pic_height_in_luma_samples, 144);
	EXPECT_EQ(sps->chroma_format_idc, 1);
	EXPECT_EQ(sps->log2_max_pic_order_cnt_lsb_minus4, 4);
	EXPECT_EQ(sps->sps_max_dec_pic_buffering_minus1, 4);
	EXPECT_EQ(sps->log2_diff_max_min_luma_coding_block_size, 3);
	EXPECT_EQ(sps->log2_diff_max_min_luma_transform_block_size, 3);
	EXPECT_EQ(sps->flags, V4L2_HEVC_SPS_FLAG_SAMPLE_ADAPTIVE_OFFSET |
				      V4L2_HEVC_SPS_FLAG_SPS_TEMPORAL_MVP_ENABLED |
				      V4L2_HEVC_SPS_FLAG_STRONG_INTRA_SMOOTHING_ENABLED);
	auto *pps = c.get<v4l2_ctrl_hevc_pps>(V4L2_CID_STATELESS_HEVC_PPS);
	ASSERT_NE(pps, nullptr);
	EXPECT_EQ(pps->diff_cu_qp_delta_depth, 1);
	EXPECT_EQ(pps->flags, V4L2_HEVC_PPS_FLAG_SIGN_DATA_HIDING_ENABLED |
				      V4L2_HEVC_PPS_FLAG_CU_QP_DELTA_ENABLED |
				      V4L2_HEVC_PPS_FLAG_WEIGHTED_PRED |
				      V4L2_HEVC_PPS_FLAG_ENTROPY_CODING_SYNC_ENABLED |
				      V4L2_HEVC_PPS_FLAG_PPS_LOOP_FILTER_ACROSS_SLICES_ENABLED);
	auto *dp = c.get<v4l2_ctrl_hevc_decode_params>(V4L2_CID_STATELESS_HEVC_DECODE_PARAMS);
	ASSERT_NE(dp, nullptr);
	EXPECT_EQ(dp->pic_order_cnt_val, 2);
	EXPECT_EQ(dp->flags, 0u);
	EXPECT_EQ(dp->short_term_ref_pic_set_size, 12);
	ASSERT_EQ(dp->num_active_dpb_entries, 2);
	EXPECT_EQ(dp->dpb[0].timestamp, 2000u);
	EXPECT_EQ(dp->dpb[0].pic_order_cnt_val, 3);
	EXPECT_EQ(dp->dpb[1].timestamp, 1000u);
	EXPECT_EQ(dp->dpb[1].pic_order_cnt_val, 0);
	ASSERT_EQ(dp->num_poc_st_curr_before, 1);
	ASSERT_EQ(dp->num_poc_st_curr_after, 1);
	EXPECT_EQ(dp->num_poc_lt_curr, 0);
	EXPECT_EQ(dp->poc_st_curr_before[0], 1);
	EXPECT_EQ(dp->poc_st_curr_after[0], 0);
	uint32_t n = 0;
	auto *sl = c.get<v4l2_ctrl_hevc_slice_params>(V4L2_CID_STATELESS_HEVC_SLICE_PARAMS, &n);
	ASSERT_EQ(n, 1u);
	EXPECT_EQ(sl->bit_size, (3 + sizeof(kBPoc2)) * 8);
	EXPECT_EQ(sl->data_byte_offset, 3u + 9);
	EXPECT_EQ(sl->num_entry_point_offsets, 2u);
	EXPECT_EQ(sl->nal_unit_type, 1);
	EXPECT_EQ(sl->nuh_temporal_id_plus1, 1);
	EXPECT_EQ(sl->slice_type, V4L2_HEVC_SLICE_TYPE_B);
	EXPECT_EQ(sl->slice_pic_order_cnt, 2);
	EXPECT_EQ(sl->ref_idx_l0[0], 1);	// POC 0 is dpb[1]
	EXPECT_EQ(sl->ref_idx_l1[0], 0);
	EXPECT_EQ(sl->five_minus_max_num_merge_cand, 2);
	EXPECT_EQ(sl->slice_qp_delta, 9);
	EXPECT_EQ(sl->short_term_ref_pic_set_size, 12);
	EXPECT_EQ(sl->flags, V4L2_HEVC_SLICE_PARAMS_FLAG_SLICE_SAO_LUMA |
				     V4L2_HEVC_SLICE_PARAMS_FLAG_SLICE_SAO_CHROMA |
				     V4L2_HEVC_SLICE_PARAMS_FLAG_SLICE_TEMPORAL_MVP_ENABLED);
	state->sequenceControls(&seq);
	ASSERT_EQ(seq.count, 1u);
	EXPECT_EQ(seq.controls[0].id, V4L2_CID_STATELESS_HEVC_SPS);
	EXPECT_EQ(state->unitControls(1, refs, 5000, &seq), VA_STATUS_ERROR_INVALID_PARAMETER);
}

TEST(HevcCodec, FrameBasedIdrWithEntryPoints)
{
	// visl-like: frame based, and the entry points of every slice in one array.
	auto state = hevc().create(VAProfileHEVCMain, frameCaps(true), 176, 144);
	FixedSink sink;
	Renderer r{*state, sink};
	state->beginPicture();
	ASSERT_EQ(r.pic(streamPicture(0)), VA_STATUS_SUCCESS);
	ASSERT_EQ(r.slice(streamSlice(sizeof(kIdrPoc0), 8, kSliceI), kIdrPoc0), VA_STATUS_SUCCESS);
	SequenceInfo seqInfo;
	ASSERT_EQ(state->endPicture(&seqInfo), VA_STATUS_SUCCESS);
	MapResolver refs;
	Controls c;
	collect(*state, 0, refs, &c);
	auto *dp = c.get<v4l2_ctrl_hevc_decode_params>(V4L2_CID_STATELESS_HEVC_DECODE_PARAMS);
	EXPECT_EQ(dp->flags,
		  V4L2_HEVC_DECODE_PARAM_FLAG_IRAP_PIC | V4L2_HEVC_DECODE_PARAM_FLAG_IDR_PIC);
	EXPECT_EQ(dp->num_active_dpb_entries, 0);
	auto *sl = c.get<v4l2_ctrl_hevc_slice_params>(V4L2_CID_STATELESS_HEVC_SLICE_PARAMS);
	EXPECT_EQ(sl->data_byte_offset, 3u + 8);
	EXPECT_EQ(sl->nal_unit_type, kNalIdrNLp);
	EXPECT_EQ(sl->five_minus_max_num_merge_cand, 0);
	EXPECT_EQ(sl->collocated_ref_idx, 0);	// VA's 0xff
	uint32_t n = 0;
	auto *ep = c.get<uint32_t>(V4L2_CID_STATELESS_HEVC_ENTRY_POINT_OFFSETS, &n);
	ASSERT_EQ(n, 2u);
	EXPECT_EQ(ep[0], 621u);
	EXPECT_EQ(ep[1], 691u);
}

TEST(HevcCodec, FrameBasedTwoSlicesInOneRequest)
{
	auto state = hevc().create(VAProfileHEVCMain, frameCaps(), 176, 144);
	FixedSink sink;
	Renderer r{*state, sink};
	state->beginPicture();
	VAPictureParameterBufferHEVC p = streamPicture(1, false);
	setRef(p, 0, 10, 0, VA_PICTURE_HEVC_RPS_ST_CURR_BEFORE);
	ASSERT_EQ(r.pic(p), VA_STATUS_SUCCESS);
	VASliceParameterBufferHEVC s0 = streamSlice(sizeof(kTwoSliceP0), 8, kSliceP);
	VASliceParameterBufferHEVC s1 = streamSlice(sizeof(kTwoSliceP1), 11, kSliceP);
	s0.RefPicList[0][0] = s1.RefPicList[0][0] = 0;
	s1.slice_segment_address = 3;
	s0.luma_log2_weight_denom = s1.luma_log2_weight_denom = 7;
	s0.delta_chroma_log2_weight_denom = s1.delta_chroma_log2_weight_denom = -1;
	ASSERT_EQ(r.slice(s0, kTwoSliceP0), VA_STATUS_SUCCESS);
	ASSERT_EQ(r.slice(s1, kTwoSliceP1), VA_STATUS_SUCCESS);
	SequenceInfo seqInfo;
	ASSERT_EQ(state->endPicture(&seqInfo), VA_STATUS_SUCCESS);
	std::vector<uint8_t> expected = withStartCode(kTwoSliceP0, sizeof(kTwoSliceP0));
	std::vector<uint8_t> second = withStartCode(kTwoSliceP1, sizeof(kTwoSliceP1));
	expected.insert(expected.end(), second.begin(), second.end());
	EXPECT_EQ(sink.unitCount(), 1u);
	EXPECT_EQ(sink.unit(0), expected);

	MapResolver refs;
	refs.timestamps = {{10, 7000}};
	Controls c;
	collect(*state, 0, refs, &c);
	uint32_t n = 0;
	auto *sl = c.get<v4l2_ctrl_hevc_slice_params>(V4L2_CID_STATELESS_HEVC_SLICE_PARAMS, &n);
	ASSERT_EQ(n, 2u);
	EXPECT_EQ(sl[0].slice_segment_addr, 0u);
	EXPECT_EQ(sl[1].slice_segment_addr, 3u);
	EXPECT_EQ(sl[0].data_byte_offset, 3u + 8);	// from each slice's start code
	EXPECT_EQ(sl[1].data_byte_offset, 3u + 11);
	EXPECT_EQ(sl[1].bit_size, (3 + sizeof(kTwoSliceP1)) * 8);
	EXPECT_EQ(sl[0].num_entry_point_offsets, 0u);
	EXPECT_EQ(sl[1].num_entry_point_offsets, 1u);
	EXPECT_EQ(sl[1].short_term_ref_pic_set_size, 6);
	EXPECT_EQ(sl[1].pred_weight_table.luma_log2_weight_denom, 7);
	EXPECT_EQ(sl[1].pred_weight_table.delta_chroma_log2_weight_denom, -1);
	EXPECT_EQ(sl[1].flags & V4L2_HEVC_SLICE_PARAMS_FLAG_COLLOCATED_FROM_L0,
		  V4L2_HEVC_SLICE_PARAMS_FLAG_COLLOCATED_FROM_L0);
	auto *dp = c.get<v4l2_ctrl_hevc_decode_params>(V4L2_CID_STATELESS_HEVC_DECODE_PARAMS);
	ASSERT_EQ(dp->num_active_dpb_entries, 1);
	EXPECT_EQ(dp->dpb[0].timestamp, 7000u);
	EXPECT_EQ(c.get<uint32_t>(V4L2_CID_STATELESS_HEVC_ENTRY_POINT_OFFSETS), nullptr);
}

TEST(HevcCodec, SliceBasedOneRequestPerSlice)
{
	// cedrus-like: both slices in one SliceParameter buffer (num_elements 2) + one data buffer.
	auto state = hevc().create(VAProfileHEVCMain, sliceCaps(), 176, 144);
	FixedSink sink;
	Renderer r{*state, sink};
	state->beginPicture();
	VAPictureParameterBufferHEVC p = streamPicture(1, false);
	setRef(p, 0, 10, 0, VA_PICTURE_HEVC_RPS_ST_CURR_BEFORE);
	ASSERT_EQ(r.pic(p), VA_STATUS_SUCCESS);
	VASliceParameterBufferHEVC s[2] = {streamSlice(sizeof(kTwoSliceP0), 8, kSliceP),
					   streamSlice(sizeof(kTwoSliceP1), 11, kSliceP)};
	s[1].slice_data_offset = sizeof(kTwoSliceP0);
	s[1].slice_segment_address = 3;
	s[0].RefPicList[0][0] = s[1].RefPicList[0][0] = 0;
	std::vector<uint8_t> data(kTwoSliceP0, kTwoSliceP0 + sizeof(kTwoSliceP0));
	data.insert(data.end(), kTwoSliceP1, kTwoSliceP1 + sizeof(kTwoSliceP1));
	ASSERT_EQ(r.slices(s, 2, data.data(), data.size()), VA_STATUS_SUCCESS);
	SequenceInfo seqInfo;
	ASSERT_EQ(state->endPicture(&seqInfo), VA_STATUS_SUCCESS);
	ASSERT_EQ(sink.unitCount(), 2u);
	using Bytes = std::vector<uint8_t>;
	EXPECT_EQ(sink.unit(0), Bytes(std::begin(kTwoSliceP0), std::end(kTwoSliceP0)));
	EXPECT_EQ(sink.unit(1), Bytes(std::begin(kTwoSliceP1), std::end(kTwoSliceP1)));

	MapResolver refs;
	refs.timestamps = {{10, 7000}};
	Controls c0, c1;
	collect(*state, 0, refs, &c0);
	collect(*state, 1, refs, &c1);
	uint32_t n = 0;
	auto *sl = c0.get<v4l2_ctrl_hevc_slice_params>(V4L2_CID_STATELESS_HEVC_SLICE_PARAMS, &n);
	ASSERT_EQ(n, 1u);
	EXPECT_EQ(sl->slice_segment_addr, 0u);
	EXPECT_EQ(sl->data_byte_offset, 8u);	// no start code
	EXPECT_EQ(sl->bit_size, sizeof(kTwoSliceP0) * 8);
	EXPECT_EQ(c0.get<uint32_t>(V4L2_CID_STATELESS_HEVC_ENTRY_POINT_OFFSETS), nullptr);
	sl = c1.get<v4l2_ctrl_hevc_slice_params>(V4L2_CID_STATELESS_HEVC_SLICE_PARAMS, &n);
	ASSERT_EQ(n, 1u);
	EXPECT_EQ(sl->slice_segment_addr, 3u);
	EXPECT_EQ(sl->data_byte_offset, 11u);
	EXPECT_EQ(sl->ref_idx_l0[0], 0);
	auto *ep = c1.get<uint32_t>(V4L2_CID_STATELESS_HEVC_ENTRY_POINT_OFFSETS, &n);
	ASSERT_EQ(n, 1u);
	EXPECT_EQ(ep[0], 57u);
	for (const Controls *c : {&c0, &c1}) {
		auto *dp =
			c->get<v4l2_ctrl_hevc_decode_params>(V4L2_CID_STATELESS_HEVC_DECODE_PARAMS);
		ASSERT_EQ(dp->num_active_dpb_entries, 1);
		EXPECT_EQ(dp->dpb[0].timestamp, 7000u);
		EXPECT_EQ(dp->pic_order_cnt_val, 1);
	}
	UnitControls extra;
	EXPECT_EQ(state->unitControls(2, refs, 5000, &extra), VA_STATUS_ERROR_INVALID_PARAMETER);
}

TEST(HevcCodec, ReferenceSetOrderAndMissingReferences)
{
	// RASL POC 7: StCurrBefore 6 5 2 (decreasing POC), StCurrAfter 8; VA lists them in DPB
	// order, and POC 5's surface was never decoded in this stream.
	auto state = hevc().create(VAProfileHEVCMain, frameCaps(), 176, 144);
	FixedSink sink;
	Renderer r{*state, sink};
	state->beginPicture();
	VAPictureParameterBufferHEVC p = streamPicture(7);
	setRef(p, 0, 18, 8, VA_PICTURE_HEVC_RPS_ST_CURR_AFTER);
	setRef(p, 1, 12, 2, VA_PICTURE_HEVC_RPS_ST_CURR_BEFORE);
	setRef(p, 2, 16, 6, VA_PICTURE_HEVC_RPS_ST_CURR_BEFORE);
	setRef(p, 3, 15, 5, VA_PICTURE_HEVC_RPS_ST_CURR_BEFORE);
	ASSERT_EQ(r.pic(p), VA_STATUS_SUCCESS);
	VASliceParameterBufferHEVC s = streamSlice(sizeof(kRaslPoc7), 11, kSliceB);
	s.num_ref_idx_l0_active_minus1 = 2;
	s.RefPicList[0][0] = 2;
	s.RefPicList[0][1] = 3;
	s.RefPicList[0][2] = 1;
	s.RefPicList[1][0] = 0;
	ASSERT_EQ(r.slice(s, kRaslPoc7), VA_STATUS_SUCCESS);
	SequenceInfo seqInfo;
	ASSERT_EQ(state->endPicture(&seqInfo), VA_STATUS_SUCCESS);
	MapResolver refs;
	refs.timestamps = {{18, 8000}, {12, 2000}, {16, 6000}};
	Controls c;
	collect(*state, 0, refs, &c);
	auto *dp = c.get<v4l2_ctrl_hevc_decode_params>(V4L2_CID_STATELESS_HEVC_DECODE_PARAMS);
	ASSERT_EQ(dp->num_active_dpb_entries, 3);	// 8 -> 0, 2 -> 1, 6 -> 2
	for (int i = 0; i < 3; i++)	// each claims the POC its frame was decoded with
		EXPECT_EQ(dp->dpb[i].timestamp, dp->dpb[i].pic_order_cnt_val * 1000u);
	EXPECT_EQ(dp->flags, 0u);	// RASL is not IRAP
	ASSERT_EQ(dp->num_poc_st_curr_before, 3);
	EXPECT_EQ(dp->poc_st_curr_before[0], 2);	// POC 6
	EXPECT_EQ(dp->poc_st_curr_before[1], 0);	// POC 5, unresolved: kept as entry 0
	EXPECT_EQ(dp->poc_st_curr_before[2], 1);	// POC 2
	ASSERT_EQ(dp->num_poc_st_curr_after, 1);
	EXPECT_EQ(dp->poc_st_curr_after[0], 0);
	auto *sl = c.get<v4l2_ctrl_hevc_slice_params>(V4L2_CID_STATELESS_HEVC_SLICE_PARAMS);
	EXPECT_EQ(sl->nal_unit_type, 8);
	EXPECT_EQ(sl->num_ref_idx_l0_active_minus1, 2);
	EXPECT_EQ(sl->ref_idx_l0[0], 2);
	EXPECT_EQ(sl->ref_idx_l0[1], 0);
	EXPECT_EQ(sl->ref_idx_l0[2], 1);
	EXPECT_EQ(sl->ref_idx_l1[0], 0);
}

TEST(HevcCodec, ScalingListsTilesAndExtensionBuffers)
{
	auto state = hevc().create(VAProfileHEVCMain, frameCaps(), 176, 144);
	FixedSink sink;
	Renderer r{*state, sink};
	MapResolver refs;
	// REXT-sized picture parameters; scaling lists without an IQ buffer are the defaults.
	VAPictureParameterBufferHEVCExtension ext = {};
	ext.base = streamPicture(0);
	ext.base.pic_fields.bits.scaling_list_enabled_flag = 1;
	ext.base.pic_fields.bits.tiles_enabled_flag = 1;
	ext.base.num_tile_columns_minus1 = 1;	// 3 CTB columns: 1 + 2, the uniform split
	ext.base.num_tile_rows_minus1 = 1;
	ext.base.column_width_minus1[0] = 0;
	ext.base.row_height_minus1[0] = 0;
	state->beginPicture();
	ASSERT_EQ(r.pic(ext.base, sizeof(ext)), VA_STATUS_SUCCESS);
	ASSERT_EQ(r.slice(streamSlice(sizeof(kIdrPoc0), 8, kSliceI), kIdrPoc0), VA_STATUS_SUCCESS);
	SequenceInfo seqInfo;
	ASSERT_EQ(state->endPicture(&seqInfo), VA_STATUS_SUCCESS);
	Controls c;
	collect(*state, 0, refs, &c);
	auto *m = c.get<v4l2_ctrl_hevc_scaling_matrix>(V4L2_CID_STATELESS_HEVC_SCALING_MATRIX);
	ASSERT_NE(m, nullptr);
	EXPECT_EQ(m->scaling_list_4x4[5][15], 16);
	EXPECT_EQ(m->scaling_list_8x8[0][63], 115);	// Table 7-6, intra
	EXPECT_EQ(m->scaling_list_16x16[4][63], 91);	// inter
	EXPECT_EQ(m->scaling_list_32x32[1][7], 24);
	EXPECT_EQ(m->scaling_list_dc_coef_32x32[0], 16);
	auto *pps = c.get<v4l2_ctrl_hevc_pps>(V4L2_CID_STATELESS_HEVC_PPS);
	EXPECT_TRUE(pps->flags & V4L2_HEVC_PPS_FLAG_TILES_ENABLED);
	EXPECT_TRUE(pps->flags & V4L2_HEVC_PPS_FLAG_UNIFORM_SPACING);
	EXPECT_EQ(pps->column_width_minus1[0], 0);
	EXPECT_EQ(pps->column_width_minus1[1], 1);	// what the picture leaves
	EXPECT_EQ(pps->row_height_minus1[1], 1);

	// With an IQ buffer (and uneven tiles) the lists are VA's.
	VAIQMatrixBufferHEVC iq = {};
	for (int i = 0; i < 6; i++)
		for (int j = 0; j < 64; j++)
			iq.ScalingList8x8[i][j] = static_cast<uint8_t>(1 + i + j);
	iq.ScalingListDC32x32[1] = 77;
	ext.base.column_width_minus1[0] = 1;
	state->beginPicture();
	ASSERT_EQ(r.pic(ext.base, sizeof(ext)), VA_STATUS_SUCCESS);
	ASSERT_EQ(state->render({VAIQMatrixBufferType, bytes(&iq), sizeof(iq), 1}, sink),
		  VA_STATUS_SUCCESS);
	// Extension-sized slice parameters too.
	VASliceParameterBufferHEVCExtension sx = {};
	sx.base = streamSlice(sizeof(kIdrPoc0), 8, kSliceI);
	ASSERT_EQ(state->render({VASliceParameterBufferType, bytes(&sx), sizeof(sx), 1}, sink),
		  VA_STATUS_SUCCESS);
	ASSERT_EQ(state->render({VASliceDataBufferType, kIdrPoc0, sizeof(kIdrPoc0), 1}, sink),
		  VA_STATUS_SUCCESS);
	ASSERT_EQ(state->endPicture(&seqInfo), VA_STATUS_SUCCESS);
	Controls c2;
	collect(*state, 0, refs, &c2);
	m = c2.get<v4l2_ctrl_hevc_scaling_matrix>(V4L2_CID_STATELESS_HEVC_SCALING_MATRIX);
	EXPECT_EQ(m->scaling_list_8x8[2][10], 13);
	EXPECT_EQ(m->scaling_list_dc_coef_32x32[1], 77);
	pps = c2.get<v4l2_ctrl_hevc_pps>(V4L2_CID_STATELESS_HEVC_PPS);
	EXPECT_FALSE(pps->flags & V4L2_HEVC_PPS_FLAG_UNIFORM_SPACING);
	EXPECT_EQ(pps->column_width_minus1[1], 0);
}

TEST(HevcCodec, BadInputLeavesThePictureUsable)
{
	auto state = hevc().create(VAProfileHEVCMain, frameCaps(), 176, 144);
	FixedSink sink;
	Renderer r{*state, sink};
	SequenceInfo seqInfo;
	state->beginPicture();
	EXPECT_EQ(state->endPicture(&seqInfo), VA_STATUS_ERROR_INVALID_PARAMETER);	// nothing
	VASliceParameterBufferHEVC s = streamSlice(sizeof(kIdrPoc0), 8, kSliceI);
	EXPECT_EQ(r.slice(s, kIdrPoc0), VA_STATUS_ERROR_INVALID_PARAMETER);	// no picture yet
	VAPictureParameterBufferHEVC p = streamPicture(0);
	EXPECT_EQ(r.pic(p, sizeof(p) - 1), VA_STATUS_ERROR_INVALID_BUFFER);
	VAPictureParameterBufferHEVC bad = p;
	bad.pic_fields.bits.tiles_enabled_flag = 1;
	bad.num_tile_columns_minus1 = 20;
	EXPECT_EQ(r.pic(bad), VA_STATUS_ERROR_INVALID_PARAMETER);
	bad = p;
	bad.log2_diff_max_min_luma_coding_block_size = 4;	// CTB 128
	EXPECT_EQ(r.pic(bad), VA_STATUS_ERROR_INVALID_PARAMETER);
	ASSERT_EQ(r.pic(p), VA_STATUS_SUCCESS);
	EXPECT_EQ(state->endPicture(&seqInfo), VA_STATUS_ERROR_INVALID_PARAMETER);	// no slice
	UnitControls u;
	MapResolver refs;
	EXPECT_EQ(state->unitControls(0, refs, 1, &u), VA_STATUS_ERROR_INVALID_PARAMETER);

	EXPECT_EQ(state->render({VASliceDataBufferType, kIdrPoc0, sizeof(kIdrPoc0), 1}, sink),
		  VA_STATUS_ERROR_INVALID_PARAMETER);	// data without parameters
	VASliceParameterBufferHEVC t = s;
	t.slice_data_size = sizeof(kIdrPoc0) + 1;	// past the data buffer
	EXPECT_EQ(r.slices(&t, 1, kIdrPoc0, sizeof(kIdrPoc0)), VA_STATUS_ERROR_INVALID_BUFFER);
	t = s;
	t.slice_data_byte_offset = 9;	// VA and the bitstream disagree
	EXPECT_EQ(r.slice(t, kIdrPoc0), VA_STATUS_ERROR_INVALID_PARAMETER);
	t = s;
	t.LongSliceFlags.fields.slice_type = kSliceP;
	EXPECT_EQ(r.slice(t, kIdrPoc0), VA_STATUS_ERROR_INVALID_PARAMETER);
	t = s;
	t.LongSliceFlags.fields.slice_type = kSliceB;
	t.RefPicList[1][0] = 20;
	EXPECT_EQ(r.slice(t, kIdrPoc0), VA_STATUS_ERROR_INVALID_PARAMETER);
	t = s;
	t.slice_data_flag = VA_SLICE_DATA_FLAG_BEGIN;
	EXPECT_EQ(r.slice(t, kIdrPoc0), VA_STATUS_ERROR_INVALID_PARAMETER);
	uint8_t corrupt[sizeof(kIdrPoc0)];
	memcpy(corrupt, kIdrPoc0, sizeof(corrupt));
	corrupt[0] |= 0x80;
	EXPECT_EQ(r.slice(s, corrupt), VA_STATUS_ERROR_INVALID_BUFFER);
	t = s;
	t.slice_data_size = 6;	// the header does not fit
	EXPECT_EQ(r.slice(t, kIdrPoc0), VA_STATUS_ERROR_INVALID_BUFFER);
	std::vector<VASliceParameterBufferHEVC> many(601, s);
	EXPECT_EQ(state->render({VASliceParameterBufferType, bytes(many.data()), sizeof(s), 601},
				sink),
		  VA_STATUS_ERROR_MAX_NUM_EXCEEDED);
	EXPECT_EQ(state->render({VASliceParameterBufferType, bytes(&s), sizeof(s) - 1, 1}, sink),
		  VA_STATUS_ERROR_INVALID_BUFFER);
	EXPECT_EQ(sink.unitSize(), 0u);	// nothing written so far
	EXPECT_EQ(state->endPicture(&seqInfo), VA_STATUS_ERROR_INVALID_PARAMETER);

	// An OUTPUT buffer too small takes nothing; the same slice then fits a bigger one.
	FixedSink tiny(sizeof(kIdrPoc0) + 2);
	Renderer small{*state, tiny};
	EXPECT_EQ(small.slice(s, kIdrPoc0), VA_STATUS_ERROR_NOT_ENOUGH_BUFFER);
	EXPECT_EQ(tiny.unitSize(), 0u);
	EXPECT_EQ(state->endPicture(&seqInfo), VA_STATUS_ERROR_INVALID_PARAMETER);
	ASSERT_EQ(r.slice(s, kIdrPoc0), VA_STATUS_SUCCESS);
	EXPECT_EQ(r.pic(p), VA_STATUS_ERROR_INVALID_PARAMETER);	// slices were parsed with it
	ASSERT_EQ(state->endPicture(&seqInfo), VA_STATUS_SUCCESS);
	EXPECT_EQ(sink.unit(0), withStartCode(kIdrPoc0, sizeof(kIdrPoc0)));
	Controls c;
	collect(*state, 0, refs, &c);
	uint32_t n = 0;
	c.get<v4l2_ctrl_hevc_slice_params>(V4L2_CID_STATELESS_HEVC_SLICE_PARAMS, &n);
	EXPECT_EQ(n, 1u);
}

TEST(HevcCodec, EntryPointLimitPerRequest)
{
	// A 4096x2304 picture in 16x16 CTBs with 300 WPP substreams: more than the 256 the
	// drivers' ENTRY_POINT_OFFSETS holds, which only matters to a device that takes them.
	VAPictureParameterBufferHEVC p = streamPicture(0);
	p.pic_width_in_luma_samples = 4096;
	p.pic_height_in_luma_samples = 2304;
	p.log2_diff_max_min_luma_coding_block_size = 1;
	BitWriter w;
	w.u(0x2801, 16);	// IDR_N_LP
	w.u(1, 1);		// first_slice_segment_in_pic_flag
	w.u(0, 1);		// no_output_of_prior_pics_flag
	w.ue(0);
	w.ue(kSliceI);
	w.u(0, 2);		// SAO
	w.se(0);
	w.u(0, 1);		// slice_loop_filter_across_slices_enabled_flag
	w.ue(300);
	w.ue(7);
	for (int i = 0; i < 300; i++)
		w.u(i & 0xff, 8);
	w.u(1, 1);
	while (w.bits() % 8)
		w.u(0, 1);
	w.u(0xffff, 16);
	size_t epb = 0;
	std::vector<uint8_t> nal = w.nal(&epb);
	for (bool entryPoints : {true, false}) {
		auto state = hevc().create(VAProfileHEVCMain, frameCaps(entryPoints), 4096, 2304);
		FixedSink sink;
		Renderer r{*state, sink};
		state->beginPicture();
		ASSERT_EQ(r.pic(p), VA_STATUS_SUCCESS);
		VASliceParameterBufferHEVC s = streamSlice(nal.size(), 0, kSliceI);
		s.LongSliceFlags.fields.slice_sao_luma_flag = 0;
		s.LongSliceFlags.fields.slice_sao_chroma_flag = 0;
		EXPECT_EQ(r.slice(s, nal.data()),
			  entryPoints ? VA_STATUS_ERROR_MAX_NUM_EXCEEDED : VA_STATUS_SUCCESS);
	}
}

} // namespace
} // namespace v4l2va
