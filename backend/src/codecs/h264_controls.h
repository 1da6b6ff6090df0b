// SPDX-License-Identifier: MIT
#pragma once

// The VA -> V4L2 stateless H.264 mapping used by h264.cpp, as functions of the VA structures
// (and of the parsed slice headers for what VA leaves out). The field mapping follows
// GStreamer's gstv4l2codech264dec.c (fill_sequence, fill_pps, fill_scaling_matrix,
// fill_decoder_params, fill_slice_params, fill_references, fill_pred_weight) and ffmpeg's
// v4l2_request_h264.c, with VA's picture parameters in place of a parser's SPS/PPS.

#include "codec.h"
#include "h264_slice_header.h"

#include <linux/v4l2-controls.h>

namespace v4l2va::h264 {

inline bool isPSlice(uint8_t type) { return type == kH264SliceP || type == kH264SliceSP; }
inline bool isBSlice(uint8_t type) { return type == kH264SliceB; }

/// Range checks of VA picture parameters whose values reach the controls (the kernel's
/// std_validate_compound limits and the syntax ranges).
bool pictureParametersValid(const VAPictureParameterBufferH264 &pic, VAProfile profile);
/// Same for one slice; the weight denominators only when the slice has a weight table.
bool sliceParametersValid(const VAPictureParameterBufferH264 &pic,
			  const VASliceParameterBufferH264 &slice);
/// V4L2_H264_CTRL_PRED_WEIGHTS_REQUIRED from VA's picture fields.
bool predWeightsRequired(const VAPictureParameterBufferH264 &pic, uint8_t sliceType);

/// What the slice header parser needs, from VA's picture parameters. VA has the active
/// reference counts of each slice, which are the PPS defaults when the slice does not override.
H264HeaderSyntax headerSyntax(const VAPictureParameterBufferH264 &pic,
			      uint8_t numRefIdxL0ActiveMinus1, uint8_t numRefIdxL1ActiveMinus1);

void fillSps(const VAPictureParameterBufferH264 &pic, VAProfile profile,
	     struct v4l2_ctrl_h264_sps *sps);
/// The PPS id and the num_ref_idx defaults come from the slice headers (VA has neither).
void fillPps(const VAPictureParameterBufferH264 &pic, uint8_t picParameterSetId,
	     uint8_t numRefIdxL0DefaultMinus1, uint8_t numRefIdxL1DefaultMinus1,
	     bool scalingMatrixPresent, struct v4l2_ctrl_h264_pps *pps);
/// `iq` may be null (flat lists). Returns whether the lists are not flat.
bool fillScalingMatrix(const VAIQMatrixBufferH264 *iq, struct v4l2_ctrl_h264_scaling_matrix *m);
/// SLICE_PARAMS from VA, reference lists as indices into the DPB of fillDecodeParams (slot i =
/// ReferenceFrames[i]). The fields only the header has are left zero.
void fillSliceParams(const VAPictureParameterBufferH264 &pic,
		     const VASliceParameterBufferH264 &slice,
		     struct v4l2_ctrl_h264_slice_params *params);
void fillPredWeights(const VASliceParameterBufferH264 &slice,
		     struct v4l2_ctrl_h264_pred_weights *weights);

/// What the slices of a picture say beyond VA's picture parameters.
struct PictureHeaders {
	H264SliceHeader first;		///< slice-invariant fields (7.4.3)
	bool anyP = false;		///< some slice is P or SP
	bool anyB = false;		///< some slice is B
};

/// DECODE_PARAMS; references that do not resolve are left out (their slots stay empty).
void fillDecodeParams(const VAPictureParameterBufferH264 &pic, const PictureHeaders &headers,
		      const ReferenceResolver &refs, uint64_t targetTimestampNs,
		      struct v4l2_ctrl_h264_decode_params *params);

} // namespace v4l2va::h264
