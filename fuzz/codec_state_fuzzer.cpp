// SPDX-License-Identifier: MIT
// Fuzz target: the VA driver's codecs (backend/src/codecs/) on arbitrary VA buffers, without
// the VA core or a device: CodecState::beginPicture, render, endPicture, unitControls,
// sequenceControls and pictureSubmitted over a few pictures, with device capabilities of the
// kinds the drivers have (frame- or slice-based, start codes or not, a partial control set).
//
// Input: u8 codec (kCodecNames), u8 profile index, u8 x3 capabilities, u8 size class
// [u16 u16], u32 known-reference mask, then pictures: u8 decode units - 1, u8 buffer count - 1,
// the buffers (va_buffers.h), u8 picture flags (< 224: submitted).
// Invariants: no crash, no sanitizer report; every control a picture yields has a payload
// size that is a whole number of the control's elements, and each compound element passes
// the kernel's std_validate_compound (the emulator's copy) unchanged, as the codecs promise
// (codec.h: bad input returns a VA error instead); the bitstream stays within the OUTPUT
// buffer the sink offers.
#include "byte_reader.h"
#include "codec_sink.h"
#include "va_buffers.h"

#include "codecs/codec.h"

#include <linux/v4l2-controls.h>
#include <v4l2emu/formats.h>	// NV15, NV20 (newer than the vendored uAPI)

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>

namespace v4l2emu {
// The emulator's CCORE:std_validate_compound (emulator/src/codecs/codec.h; its header clashes
// with the driver's codecs/codec.h by name).
int validateCompoundElement(uint32_t type, void *elem);
} // namespace v4l2emu

using namespace v4l2va;
using v4l2va::fuzz::BufferArena;
using v4l2va::fuzz::BitstreamArena;
using v4l2va::fuzz::ByteReader;
using v4l2va::fuzz::FuzzBuffer;

namespace {

[[noreturn]] void invariantBroken(const char *what, uint32_t id = 0)
{
	fprintf(stderr, "codec_state: invariant broken: %s (control 0x%08x)\n", what, id);
	abort();
}

const char *const kCodecNames[] = {"h264", "hevc", "mpeg2", "vp8", "vp9"};

const CodecDescriptor *codecByName(const char *name)
{
	for (const CodecDescriptor *c : allCodecs())
		if (strcmp(c->name, name) == 0)
			return c;
	return nullptr;
}

/// The compound controls a codec may emit, with their uapi type and element size.
struct CompoundInfo {
	uint32_t id;
	uint32_t type;
	uint32_t elemSize;
};

const CompoundInfo kCompounds[] = {
	{V4L2_CID_STATELESS_H264_SPS, V4L2_CTRL_TYPE_H264_SPS, sizeof(v4l2_ctrl_h264_sps)},
	{V4L2_CID_STATELESS_H264_PPS, V4L2_CTRL_TYPE_H264_PPS, sizeof(v4l2_ctrl_h264_pps)},
	{V4L2_CID_STATELESS_H264_SCALING_MATRIX, V4L2_CTRL_TYPE_H264_SCALING_MATRIX,
	 sizeof(v4l2_ctrl_h264_scaling_matrix)},
	{V4L2_CID_STATELESS_H264_PRED_WEIGHTS, V4L2_CTRL_TYPE_H264_PRED_WEIGHTS,
	 sizeof(v4l2_ctrl_h264_pred_weights)},
	{V4L2_CID_STATELESS_H264_SLICE_PARAMS, V4L2_CTRL_TYPE_H264_SLICE_PARAMS,
	 sizeof(v4l2_ctrl_h264_slice_params)},
	{V4L2_CID_STATELESS_H264_DECODE_PARAMS, V4L2_CTRL_TYPE_H264_DECODE_PARAMS,
	 sizeof(v4l2_ctrl_h264_decode_params)},
	{V4L2_CID_STATELESS_HEVC_SPS, V4L2_CTRL_TYPE_HEVC_SPS, sizeof(v4l2_ctrl_hevc_sps)},
	{V4L2_CID_STATELESS_HEVC_PPS, V4L2_CTRL_TYPE_HEVC_PPS, sizeof(v4l2_ctrl_hevc_pps)},
	{V4L2_CID_STATELESS_HEVC_SLICE_PARAMS, V4L2_CTRL_TYPE_HEVC_SLICE_PARAMS,
	 sizeof(v4l2_ctrl_hevc_slice_params)},
	{V4L2_CID_STATELESS_HEVC_SCALING_MATRIX, V4L2_CTRL_TYPE_HEVC_SCALING_MATRIX,
	 sizeof(v4l2_ctrl_hevc_scaling_matrix)},
	{V4L2_CID_STATELESS_HEVC_DECODE_PARAMS, V4L2_CTRL_TYPE_HEVC_DECODE_PARAMS,
	 sizeof(v4l2_ctrl_hevc_decode_params)},
	{V4L2_CID_STATELESS_HEVC_ENTRY_POINT_OFFSETS, V4L2_CTRL_TYPE_U32, sizeof(uint32_t)},
	{V4L2_CID_STATELESS_MPEG2_SEQUENCE, V4L2_CTRL_TYPE_MPEG2_SEQUENCE,
	 sizeof(v4l2_ctrl_mpeg2_sequence)},
	{V4L2_CID_STATELESS_MPEG2_PICTURE, V4L2_CTRL_TYPE_MPEG2_PICTURE,
	 sizeof(v4l2_ctrl_mpeg2_picture)},
	{V4L2_CID_STATELESS_MPEG2_QUANTISATION, V4L2_CTRL_TYPE_MPEG2_QUANTISATION,
	 sizeof(v4l2_ctrl_mpeg2_quantisation)},
	{V4L2_CID_STATELESS_VP8_FRAME, V4L2_CTRL_TYPE_VP8_FRAME, sizeof(v4l2_ctrl_vp8_frame)},
	{V4L2_CID_STATELESS_VP9_FRAME, V4L2_CTRL_TYPE_VP9_FRAME, sizeof(v4l2_ctrl_vp9_frame)},
	{V4L2_CID_STATELESS_VP9_COMPRESSED_HDR, V4L2_CTRL_TYPE_VP9_COMPRESSED_HDR,
	 sizeof(v4l2_ctrl_vp9_compressed_hdr)},
};

const CompoundInfo *compoundInfo(uint32_t id)
{
	for (const auto &c : kCompounds)
		if (c.id == id)
			return &c;
	return nullptr;
}

/// Surfaces 0..31 whose bit is set resolve to timestamp (id + 1) * 1000.
class MaskResolver final : public ReferenceResolver {
public:
	uint32_t known = 0;
	bool timestampOf(VASurfaceID surface, uint64_t *ts) const override
	{
		if (surface >= 32 || !(known >> surface & 1))
			return false;
		*ts = (surface + 1ull) * 1000;
		return true;
	}
};

const uint32_t kCodecControls[] = {
	V4L2_CID_STATELESS_H264_DECODE_MODE, V4L2_CID_STATELESS_H264_START_CODE,
	V4L2_CID_STATELESS_H264_SPS, V4L2_CID_STATELESS_H264_PPS,
	V4L2_CID_STATELESS_H264_SCALING_MATRIX, V4L2_CID_STATELESS_H264_PRED_WEIGHTS,
	V4L2_CID_STATELESS_H264_SLICE_PARAMS, V4L2_CID_STATELESS_H264_DECODE_PARAMS,
	V4L2_CID_STATELESS_HEVC_SPS, V4L2_CID_STATELESS_HEVC_PPS,
	V4L2_CID_STATELESS_HEVC_SLICE_PARAMS, V4L2_CID_STATELESS_HEVC_SCALING_MATRIX,
	V4L2_CID_STATELESS_HEVC_DECODE_PARAMS, V4L2_CID_STATELESS_HEVC_DECODE_MODE,
	V4L2_CID_STATELESS_HEVC_START_CODE, V4L2_CID_STATELESS_HEVC_ENTRY_POINT_OFFSETS,
	V4L2_CID_STATELESS_MPEG2_SEQUENCE, V4L2_CID_STATELESS_MPEG2_PICTURE,
	V4L2_CID_STATELESS_MPEG2_QUANTISATION, V4L2_CID_STATELESS_VP8_FRAME,
	V4L2_CID_STATELESS_VP9_FRAME, V4L2_CID_STATELESS_VP9_COMPRESSED_HDR,
};

/// Capabilities like the drivers': decode mode and start code as rkvdec (frame, Annex B),
/// cedrus (slice, none) or unknown; all controls, none known, or some dropped.
DeviceCaps readCaps(ByteReader &in)
{
	DeviceCaps caps;
	uint8_t a = in.u8(), b = in.u8(), c = in.u8();
	caps.multiplanar = !(a & 1);
	caps.holdCaptureBuf = a & 2;
	static const int32_t kModes[] = {V4L2_STATELESS_H264_DECODE_MODE_FRAME_BASED,
					 V4L2_STATELESS_H264_DECODE_MODE_SLICE_BASED, -1};
	static const int32_t kStarts[] = {V4L2_STATELESS_H264_START_CODE_ANNEX_B,
					  V4L2_STATELESS_H264_START_CODE_NONE, -1};
	caps.decodeMode = kModes[(a >> 2) % 3];
	caps.startCode = kStarts[(a >> 4) % 3];
	if (!(b & 0x80)) {
		for (size_t i = 0; i < std::size(kCodecControls); i++)
			if (!(b & 1) || (c >> (i % 8) & 1))
				caps.controls.push_back(kCodecControls[i]);
		std::sort(caps.controls.begin(), caps.controls.end());
	}
	switch ((b >> 1) % 4) {
	case 0: caps.captureFormats = {V4L2_PIX_FMT_NV12}; break;
	case 1: caps.captureFormats = {V4L2_PIX_FMT_NV12, V4L2_PIX_FMT_NV15, V4L2_PIX_FMT_NV16,
				       V4L2_PIX_FMT_NV20}; break;
	case 2: caps.captureFormats = {V4L2_PIX_FMT_NV12_32L32}; break;
	default: break;
	}
	if (b & 8) {
		caps.minWidth = 48;
		caps.maxWidth = 4096;
		caps.minHeight = 48;
		caps.maxHeight = 2304;
	}
	return caps;
}

void checkControls(const UnitControls &out)
{
	if (out.count > kMaxControls)
		invariantBroken("more controls than UnitControls holds");
	alignas(8) static uint8_t scratch[4096];
	for (uint32_t i = 0; i < out.count; i++) {
		const struct v4l2_ext_control &c = out.controls[i];
		const CompoundInfo *info = compoundInfo(c.id);
		if (!info)
			invariantBroken("a control the codec has no business sending", c.id);
		if (!c.ptr || !c.size || c.size % info->elemSize)
			invariantBroken("a payload that is not a whole number of elements", c.id);
		if (info->type < V4L2_CTRL_COMPOUND_TYPES)
			continue;
		for (uint32_t off = 0; off < c.size; off += info->elemSize) {
			const uint8_t *elem = static_cast<const uint8_t *>(c.ptr) + off;
			memcpy(scratch, elem, info->elemSize);
			if (v4l2emu::validateCompoundElement(info->type, scratch))
				invariantBroken("std_validate_compound refuses a control the codec built", c.id);
			if (memcmp(scratch, elem, info->elemSize))
				invariantBroken("std_validate_compound changes a control the codec built", c.id);
		}
	}
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static BufferArena arena;
	static BitstreamArena sink;
	ByteReader in(data, size);
	const CodecDescriptor *codec = codecByName(kCodecNames[in.below(std::size(kCodecNames))]);
	if (!codec || codec->profiles.empty())
		return 0;
	VAProfile profile = codec->profiles[in.below(static_cast<uint32_t>(codec->profiles.size()))];
	DeviceCaps caps = readCaps(in);
	if (codec->profileSupported && !codec->profileSupported(profile, caps))
		return 0;
	static const uint32_t kSizes[][2] = {{176, 144}, {320, 240}, {128, 128}, {1920, 1088}, {16, 16}};
	uint8_t sizeClass = in.u8();
	uint32_t width = kSizes[sizeClass % 5][0], height = kSizes[sizeClass % 5][1];
	if (sizeClass >= 240) {
		width = in.u16() % 8193;
		height = in.u16() % 8193;
	}
	MaskResolver refs;
	refs.known = in.u32();
	auto state = codec->create(profile, caps, width, height);
	if (!state)
		return 0;
	fuzz::CodecFamily family = fuzz::familyOf(profile);
	size_t capacity = codec->outputBufferSize(width, height);

	for (unsigned picture = 0; picture < 8 && !in.empty(); picture++) {
		arena.reset();
		sink.start(capacity, 1 + in.below(32));
		state->beginPicture();
		unsigned count = 1 + in.below(24);	// MPEG-2: a slice per macroblock row
		for (unsigned i = 0; i < count; i++) {
			FuzzBuffer b;
			if (!fuzz::readBuffer(in, family, arena, &b))
				break;
			BufferView view;
			view.type = b.type;
			view.data = b.size() ? b.data : nullptr;
			view.elementSize = b.elementSize;
			view.numElements = b.numElements;
			state->render(view, sink);
		}
		uint8_t flags = in.u8();
		SequenceInfo seq;
		if (state->endPicture(&seq) != VA_STATUS_SUCCESS)
			continue;
		UnitControls seqControls;
		state->sequenceControls(&seqControls);
		checkControls(seqControls);
		bool ok = true;
		for (unsigned unit = 0; unit < sink.unitCount(); unit++) {
			UnitControls out;
			uint64_t target = (picture + 33ull) * 1000;
			if (state->unitControls(unit, refs, target, &out) != VA_STATUS_SUCCESS) {
				ok = false;
				break;
			}
			checkControls(out);
		}
		if (ok && flags < 224)
			state->pictureSubmitted();
	}
	return 0;
}
