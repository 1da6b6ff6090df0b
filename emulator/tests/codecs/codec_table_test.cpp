// SPDX-License-Identifier: MIT
// The codec table: control definitions as the kernel registers them (names, element sizes
// against the uapi structs, like GStreamer's API check), references and frame identity.
#include "codecs/codec.h"

#include <gtest/gtest.h>

#include <linux/v4l2-controls.h>

#include <cstring>
#include <map>
#include <vector>

namespace v4l2emu {
namespace {

TEST(CodecTable, EveryCompoundElementSizeMatchesTheUapiStruct)
{
	const std::map<uint32_t, size_t> sizes = {
		{V4L2_CID_STATELESS_H264_SPS, sizeof(struct v4l2_ctrl_h264_sps)},
		{V4L2_CID_STATELESS_H264_PPS, sizeof(struct v4l2_ctrl_h264_pps)},
		{V4L2_CID_STATELESS_H264_SCALING_MATRIX, sizeof(struct v4l2_ctrl_h264_scaling_matrix)},
		{V4L2_CID_STATELESS_H264_PRED_WEIGHTS, sizeof(struct v4l2_ctrl_h264_pred_weights)},
		{V4L2_CID_STATELESS_H264_SLICE_PARAMS, sizeof(struct v4l2_ctrl_h264_slice_params)},
		{V4L2_CID_STATELESS_H264_DECODE_PARAMS, sizeof(struct v4l2_ctrl_h264_decode_params)},
		{V4L2_CID_STATELESS_HEVC_SPS, sizeof(struct v4l2_ctrl_hevc_sps)},
		{V4L2_CID_STATELESS_HEVC_PPS, sizeof(struct v4l2_ctrl_hevc_pps)},
		{V4L2_CID_STATELESS_HEVC_SLICE_PARAMS, sizeof(struct v4l2_ctrl_hevc_slice_params)},
		{V4L2_CID_STATELESS_HEVC_SCALING_MATRIX, sizeof(struct v4l2_ctrl_hevc_scaling_matrix)},
		{V4L2_CID_STATELESS_HEVC_DECODE_PARAMS, sizeof(struct v4l2_ctrl_hevc_decode_params)},
		{V4L2_CID_STATELESS_HEVC_ENTRY_POINT_OFFSETS, 4},
		{V4L2_CID_STATELESS_MPEG2_SEQUENCE, sizeof(struct v4l2_ctrl_mpeg2_sequence)},
		{V4L2_CID_STATELESS_MPEG2_PICTURE, sizeof(struct v4l2_ctrl_mpeg2_picture)},
		{V4L2_CID_STATELESS_MPEG2_QUANTISATION, sizeof(struct v4l2_ctrl_mpeg2_quantisation)},
		{V4L2_CID_STATELESS_VP8_FRAME, sizeof(struct v4l2_ctrl_vp8_frame)},
		{V4L2_CID_STATELESS_VP9_FRAME, sizeof(struct v4l2_ctrl_vp9_frame)},
		{V4L2_CID_STATELESS_VP9_COMPRESSED_HDR, sizeof(struct v4l2_ctrl_vp9_compressed_hdr)},
		{V4L2_CID_STATELESS_AV1_SEQUENCE, sizeof(struct v4l2_ctrl_av1_sequence)},
		{V4L2_CID_STATELESS_AV1_TILE_GROUP_ENTRY, sizeof(struct v4l2_ctrl_av1_tile_group_entry)},
		{V4L2_CID_STATELESS_AV1_FRAME, sizeof(struct v4l2_ctrl_av1_frame)},
		{V4L2_CID_STATELESS_AV1_FILM_GRAIN, sizeof(struct v4l2_ctrl_av1_film_grain)},
		{V4L2_CID_STATELESS_FWHT_PARAMS, sizeof(struct v4l2_ctrl_fwht_params)},
	};
	for (auto [id, size] : sizes) {
		const ControlDef *d = standardControl(id);
		ASSERT_NE(d, nullptr) << std::hex << id;
		EXPECT_EQ(d->elemSize, size) << d->name;
	}
	// The spec's measured sizes (toolchain.md §4) for a few of them.
	EXPECT_EQ(sizeof(struct v4l2_ctrl_h264_sps), 1048u);
	EXPECT_EQ(sizeof(struct v4l2_ctrl_vp8_frame), 1232u);
}

TEST(CodecTable, KernelNamesAndFlags)
{
	EXPECT_STREQ(standardControl(V4L2_CID_STATELESS_H264_SPS)->name, "H264 Sequence Parameter Set");
	EXPECT_STREQ(standardControl(V4L2_CID_STATELESS_VP9_COMPRESSED_HDR)->name, "VP9 Probabilities Updates");
	EXPECT_STREQ(standardControl(V4L2_CID_STATELESS_MPEG2_QUANTISATION)->name,
		     "MPEG-2 Quantisation Matrices");
	EXPECT_TRUE(standardControl(V4L2_CID_STATELESS_HEVC_SLICE_PARAMS)->isDynamicArray());
	EXPECT_TRUE(standardControl(V4L2_CID_STATELESS_AV1_TILE_GROUP_ENTRY)->isDynamicArray());
	EXPECT_FALSE(standardControl(V4L2_CID_STATELESS_H264_SLICE_PARAMS)->isDynamicArray())
		<< "H.264 slice params: one element";
	EXPECT_TRUE(standardControl(V4L2_CID_STATELESS_H264_PPS)->flags & V4L2_CTRL_FLAG_HAS_PAYLOAD);
	const ControlDef *mode = standardControl(V4L2_CID_STATELESS_H264_DECODE_MODE);
	EXPECT_EQ(mode->type, static_cast<uint32_t>(V4L2_CTRL_TYPE_MENU));
	EXPECT_STREQ(mode->menuNames[1], "Frame-Based");
	EXPECT_EQ(standardControl(0x00a409ff), nullptr);
}

TEST(CodecTable, EveryStatelessCodecIsRegisteredByFourcc)
{
	for (uint32_t f : {V4L2_PIX_FMT_H264_SLICE, V4L2_PIX_FMT_HEVC_SLICE, V4L2_PIX_FMT_MPEG2_SLICE,
			   V4L2_PIX_FMT_VP8_FRAME, V4L2_PIX_FMT_VP9_FRAME, V4L2_PIX_FMT_AV1_FRAME,
			   V4L2_PIX_FMT_FWHT_STATELESS}) {
		const CodecOps *c = codecForFourcc(f);
		ASSERT_NE(c, nullptr);
		EXPECT_FALSE(c->requiredControls.empty()) << c->name;
		for (uint32_t id : c->requiredControls)
			EXPECT_NE(standardControl(id), nullptr);
	}
	EXPECT_EQ(codecForFourcc(V4L2_PIX_FMT_NV12), nullptr);
}

/// A ControlReader over a few payloads.
class FakeControls : public ControlReader {
public:
	std::map<uint32_t, std::vector<uint8_t>> values;
	template<typename T> void set(uint32_t id, const T &v)
	{
		values[id].assign(reinterpret_cast<const uint8_t *>(&v),
				  reinterpret_cast<const uint8_t *>(&v) + sizeof(v));
	}
	const void *get(uint32_t id, uint32_t *elems) const override
	{
		auto it = values.find(id);
		if (it == values.end())
			return nullptr;
		if (elems)
			*elems = 1;
		return it->second.data();
	}
	bool wasSet(uint32_t id) const override { return values.count(id); }
};

TEST(CodecReferences, H264ValidActiveDpbEntriesOnly)
{
	FakeControls c;
	struct v4l2_ctrl_h264_decode_params dp {};
	dp.dpb[0].reference_ts = 1000;
	dp.dpb[0].flags = V4L2_H264_DPB_ENTRY_FLAG_VALID | V4L2_H264_DPB_ENTRY_FLAG_ACTIVE;
	dp.dpb[0].fields = V4L2_H264_BOTTOM_FIELD_REF;
	dp.dpb[0].bottom_field_order_cnt = 7;
	dp.dpb[1].reference_ts = 2000;
	dp.dpb[1].flags = V4L2_H264_DPB_ENTRY_FLAG_VALID;	// not active: not a reference now
	dp.top_field_order_cnt = 10;
	dp.bottom_field_order_cnt = 11;
	c.set(V4L2_CID_STATELESS_H264_DECODE_PARAMS, dp);
	const CodecOps *h264 = codecForFourcc(V4L2_PIX_FMT_H264_SLICE);
	ReferenceClaim out[4];
	ASSERT_EQ(h264->collectReferences(c, std::span<ReferenceClaim>(out)), 1u);
	EXPECT_EQ(out[0].timestamp, 1000u);
	EXPECT_FALSE(out[0].identity.checkTop);
	EXPECT_TRUE(out[0].identity.checkBottom);
	EXPECT_EQ(out[0].identity.bottomPoc, 7);
	FrameIdentity id = h264->frameIdentity(c);
	EXPECT_TRUE(id.hasPoc);
	EXPECT_EQ(id.topPoc, 10);
	EXPECT_EQ(h264->collectReferences(c, std::span<ReferenceClaim>(out, 0)), 0u) << "bounded";
}

TEST(CodecReferences, Mpeg2AndVp8ByPictureType)
{
	FakeControls c;
	struct v4l2_ctrl_mpeg2_picture pic {};
	pic.picture_coding_type = V4L2_MPEG2_PIC_CODING_TYPE_B;
	pic.forward_ref_ts = 1;
	pic.backward_ref_ts = 2;
	c.set(V4L2_CID_STATELESS_MPEG2_PICTURE, pic);
	ReferenceClaim out[4];
	EXPECT_EQ(codecForFourcc(V4L2_PIX_FMT_MPEG2_SLICE)->collectReferences(c, std::span<ReferenceClaim>(out)), 2u);
	pic.picture_coding_type = V4L2_MPEG2_PIC_CODING_TYPE_I;
	c.set(V4L2_CID_STATELESS_MPEG2_PICTURE, pic);
	EXPECT_EQ(codecForFourcc(V4L2_PIX_FMT_MPEG2_SLICE)->collectReferences(c, std::span<ReferenceClaim>(out)), 0u);
	struct v4l2_ctrl_vp8_frame f {};
	f.golden_frame_ts = 5;
	c.set(V4L2_CID_STATELESS_VP8_FRAME, f);
	EXPECT_EQ(codecForFourcc(V4L2_PIX_FMT_VP8_FRAME)->collectReferences(c, std::span<ReferenceClaim>(out)), 3u);
	EXPECT_EQ(out[1].timestamp, 5u);
	f.flags = V4L2_VP8_FRAME_FLAG_KEY_FRAME;
	c.set(V4L2_CID_STATELESS_VP8_FRAME, f);
	EXPECT_EQ(codecForFourcc(V4L2_PIX_FMT_VP8_FRAME)->collectReferences(c, std::span<ReferenceClaim>(out)), 0u);
}

TEST(CodecReferences, HevcActiveEntriesCarryPoc)
{
	FakeControls c;
	struct v4l2_ctrl_hevc_decode_params dp {};
	dp.num_active_dpb_entries = 2;
	dp.dpb[1].timestamp = 77;
	dp.dpb[1].pic_order_cnt_val = -3;
	c.set(V4L2_CID_STATELESS_HEVC_DECODE_PARAMS, dp);
	ReferenceClaim out[16];
	ASSERT_EQ(codecForFourcc(V4L2_PIX_FMT_HEVC_SLICE)->collectReferences(c, std::span<ReferenceClaim>(out)), 2u);
	EXPECT_EQ(out[1].timestamp, 77u);
	EXPECT_EQ(out[1].identity.topPoc, -3);
}

} // namespace
} // namespace v4l2emu
