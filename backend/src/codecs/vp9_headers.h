// SPDX-License-Identifier: MIT
#pragma once

// VP9 frame header parsers (VP9 bitstream specification v0.6, sections 6.2 and 6.3): the
// uncompressed header, which VA-API passes only in part (no loop filter deltas, quantizer
// deltas, reset/reference details), and the compressed header, whose probability updates
// V4L2_CID_STATELESS_VP9_COMPRESSED_HDR carries for decoders that cannot read it (rkvdec).
//
// Parsers are pure functions over bytes: the values that persist from frame to frame (loop
// filter deltas, segmentation features, the colour config of the last intra frame, the sizes
// of the reference slots) are passed in and updated in a caller-owned copy, so a caller
// commits them only once the picture is accepted.

#include <linux/v4l2-controls.h>

#include <cstddef>
#include <cstdint>

namespace v4l2va::vp9 {

constexpr unsigned kNumRefFrames = 8;	///< NUM_REF_FRAMES: reference slots
constexpr unsigned kRefsPerFrame = 3;	///< LAST, GOLDEN, ALTREF
constexpr unsigned kMaxSegments = 8;
constexpr unsigned kSegLevels = 4;	///< SEG_LVL_ALT_Q, _ALT_L, _REF_FRAME, _SKIP

/// State carried from one frame to the next (spec 7.2, 7.4: "the previous values").
struct PersistentState {
	int8_t lfRefDeltas[4] = {1, 0, -1, -1};	///< setup_past_independence defaults
	int8_t lfModeDeltas[2] = {0, 0};
	bool segAbsOrDeltaUpdate = false;
	uint8_t segFeatureEnabled[kMaxSegments] = {};	///< V4L2_VP9_SEGMENT_FEATURE_ENABLED bits
	int16_t segFeatureData[kMaxSegments][kSegLevels] = {};
	uint8_t segTreeProbs[7] = {255, 255, 255, 255, 255, 255, 255};
	uint8_t segPredProbs[3] = {255, 255, 255};
	/// Colour config of the last key / intra-only frame; inter frames inherit it.
	bool colorKnown = false;
	uint8_t bitDepth = 8;
	uint8_t colorSpace = 0;
	bool colorRangeFull = false;
	bool subsamplingX = true;
	bool subsamplingY = true;
	/// Size of the frame each reference slot holds (0 = never refreshed), for found_ref.
	uint32_t refWidth[kNumRefFrames] = {};
	uint32_t refHeight[kNumRefFrames] = {};
};

struct FrameSize {
	uint32_t width = 0;
	uint32_t height = 0;
};

/// The uncompressed header (spec 6.2) with the V4L2 value conventions where they differ.
struct FrameHeader {
	uint8_t profile = 0;
	bool showExistingFrame = false;
	uint8_t frameToShowMapIdx = 0;
	bool keyFrame = false;		///< frame_type == KEY_FRAME (0)
	bool showFrame = false;
	bool errorResilient = false;
	bool intraOnly = false;
	uint8_t resetFrameContext = 0;	///< as coded: 0/1 none, 2 this context, 3 all
	/// Colour config: coded in this frame (key, intra-only: colorCoded) or, for inter
	/// frames, the state's when it knows one (PersistentState::colorKnown), else defaults.
	bool colorCoded = false;
	uint8_t bitDepth = 8;
	uint8_t colorSpace = 0;
	bool colorRangeFull = false;
	bool subsamplingX = true;
	bool subsamplingY = true;
	uint8_t refreshFrameFlags = 0;
	uint8_t refFrameIdx[kRefsPerFrame] = {};
	uint8_t refFrameSignBias = 0;	///< V4L2_VP9_SIGN_BIAS_* bits
	bool sizeFromRef = false;	///< frame_size_with_refs found_ref
	uint32_t width = 0, height = 0;
	uint32_t renderWidth = 0, renderHeight = 0;
	bool allowHighPrecisionMv = false;
	uint8_t interpolationFilter = 0;	///< V4L2_VP9_INTERP_FILTER_*
	bool refreshFrameContext = false;
	bool frameParallelDecodingMode = false;
	uint8_t frameContextIdx = 0;	///< as coded (before setup_past_independence zeroes it)
	uint8_t lfLevel = 0;
	uint8_t lfSharpness = 0;
	bool lfDeltaEnabled = false;
	bool lfDeltaUpdate = false;
	uint8_t baseQIdx = 0;
	int8_t deltaQYDc = 0, deltaQUvDc = 0, deltaQUvAc = 0;
	bool lossless = false;
	bool segEnabled = false;
	bool segUpdateMap = false;
	bool segTemporalUpdate = false;
	bool segUpdateData = false;
	uint8_t tileColsLog2 = 0;
	uint8_t tileRowsLog2 = 0;
	uint16_t compressedHeaderSize = 0;	///< header_size_in_bytes
	uint32_t uncompressedHeaderSize = 0;	///< bytes up to the trailing bits, inclusive

	bool frameIsIntra() const { return keyFrame || intraOnly; }
};

enum class ParseStatus {
	Ok,
	Truncated,	///< the data ends inside the header
	Invalid,	///< a value the syntax forbids, or a size the decoder cannot know
};

/// Parses the uncompressed header of one frame (not a superframe). `state` holds the values
/// of the previous frames on entry and those after this frame on return (also on failure:
/// pass a scratch copy). `refSizeOverride`, when not null, is the frame size a found_ref
/// frame takes instead of the slot's recorded size (the VA picture parameters' frame size).
ParseStatus parseUncompressedHeader(const uint8_t *data, size_t size, PersistentState *state,
				    const FrameSize *refSizeOverride, FrameHeader *out);

/// What the compressed header says beyond its probability deltas.
struct CompressedHeaderInfo {
	uint8_t referenceMode = V4L2_VP9_REFERENCE_MODE_SINGLE_REFERENCE;
	bool paddingZero = false;	///< exit_bool: the unread bits are zero (conformance)
};

/// Parses the compressed header (the `hdr.compressedHeaderSize` bytes at `data`) into the
/// V4L2 control layout: tx_mode and the probability updates, each the inv_map_table value of
/// the coded delta (0 = no update), motion vector probabilities as the new 7-bit value << 1 | 1
/// (kernel v4l2-vp9.c:v4l2_vp9_fw_update_probs consumes them that way).
ParseStatus parseCompressedHeader(const uint8_t *data, size_t size, const FrameHeader &hdr,
				  struct v4l2_ctrl_vp9_compressed_hdr *out,
				  CompressedHeaderInfo *info);

/// True if the data ends with a superframe index (spec Annex B): several frames in one buffer.
bool hasSuperframeIndex(const uint8_t *data, size_t size);

} // namespace v4l2va::vp9
