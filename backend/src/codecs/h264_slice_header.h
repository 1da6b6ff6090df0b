// SPDX-License-Identifier: MIT
#pragma once

// H.264 slice header parsing (ITU-T H.264 7.3.3) for the fields VA's slice parameters leave out
// but the V4L2 stateless controls need: the NAL header, idr_pic_id, the picture order count
// syntax, redundant_pic_cnt, sp_for_switch_flag / slice_qs_delta, slice_group_change_cycle and
// the sizes of the picture order count and dec_ref_pic_marking() syntax.

#include <cstddef>
#include <cstdint>

namespace v4l2va {

/// Values of slice_type % 5 (Table 7-6); the V4L2_H264_SLICE_TYPE_* values are the same.
enum H264SliceType : uint8_t {
	kH264SliceP = 0,
	kH264SliceB = 1,
	kH264SliceI = 2,
	kH264SliceSP = 3,
	kH264SliceSI = 4,
};

constexpr uint8_t kH264NalSlice = 1;
constexpr uint8_t kH264NalIdrSlice = 5;

/// The sequence and picture parameter set fields the slice header syntax depends on.
struct H264HeaderSyntax {
	uint8_t log2MaxFrameNum = 4;		///< log2_max_frame_num_minus4 + 4
	uint8_t picOrderCntType = 0;
	uint8_t log2MaxPicOrderCntLsb = 4;	///< log2_max_pic_order_cnt_lsb_minus4 + 4
	bool frameMbsOnly = true;
	bool deltaPicOrderAlwaysZero = false;
	bool separateColourPlane = false;
	uint8_t chromaArrayType = 1;		///< 0 when monochrome or separate colour planes
	bool bottomFieldPicOrderInFramePresent = false;
	bool redundantPicCntPresent = false;
	bool weightedPred = false;
	uint8_t weightedBipredIdc = 0;
	bool entropyCodingMode = false;
	bool deblockingFilterControlPresent = false;
	uint8_t numSliceGroupsMinus1 = 0;
	uint8_t sliceGroupMapType = 0;
	uint16_t sliceGroupChangeRateMinus1 = 0;
	uint32_t picSizeInMapUnits = 0;		///< PicWidthInMbs * PicHeightInMapUnits
	/// num_ref_idx_l0/l1_active_minus1 of a slice that does not override them.
	uint8_t numRefIdxL0DefaultMinus1 = 0;
	uint8_t numRefIdxL1DefaultMinus1 = 0;
};

/// One parsed slice header. Bit sizes count RBSP bits (emulation-prevention bytes removed), as
/// ffmpeg's and GStreamer's parsers report them to V4L2 and VA.
struct H264SliceHeader {
	uint8_t nalRefIdc = 0;
	uint8_t nalUnitType = 0;
	uint32_t firstMbInSlice = 0;
	uint8_t sliceType = 0;			///< slice_type % 5
	uint8_t picParameterSetId = 0;
	uint8_t colourPlaneId = 0;
	uint16_t frameNum = 0;
	bool fieldPic = false;
	bool bottomField = false;
	uint16_t idrPicId = 0;
	uint16_t picOrderCntLsb = 0;
	int32_t deltaPicOrderCntBottom = 0;
	int32_t deltaPicOrderCnt[2] = {};
	uint8_t redundantPicCnt = 0;
	bool directSpatialMvPred = false;
	bool numRefIdxActiveOverride = false;
	uint8_t numRefIdxL0ActiveMinus1 = 0;
	uint8_t numRefIdxL1ActiveMinus1 = 0;
	bool hasPredWeightTable = false;
	uint8_t lumaLog2WeightDenom = 0;
	uint8_t chromaLog2WeightDenom = 0;
	bool noOutputOfPriorPics = false;
	bool longTermReference = false;
	bool adaptiveRefPicMarking = false;
	uint8_t cabacInitIdc = 0;
	int8_t sliceQpDelta = 0;
	bool spForSwitch = false;
	int8_t sliceQsDelta = 0;
	uint8_t disableDeblockingFilterIdc = 0;
	int8_t sliceAlphaC0OffsetDiv2 = 0;
	int8_t sliceBetaOffsetDiv2 = 0;
	uint32_t sliceGroupChangeCycle = 0;
	uint32_t picOrderCntBitSize = 0;	///< pic_order_cnt_lsb .. delta_pic_order_cnt[1]
	uint32_t decRefPicMarkingBitSize = 0;	///< dec_ref_pic_marking(), 0 if absent
	uint32_t headerBitSize = 0;		///< NAL header byte to slice_data(), as VA's
						///< slice_data_bit_offset
};

/// Parses the slice header of a slice NAL unit (`nal` starts at the NAL header byte, without
/// start code). False for a truncated header, a NAL unit that is not a coded slice (types 1 and
/// 5; no data partitioning, no MVC/SVC), or a value out of its syntax range.
bool parseH264SliceHeader(const uint8_t *nal, size_t size, const H264HeaderSyntax &syntax,
			  H264SliceHeader *out);

} // namespace v4l2va
