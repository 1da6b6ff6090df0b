// SPDX-License-Identifier: MIT
// H.264 slice header parser (ITU-T H.264 7.3.3 / 7.4.3). The bit sizes are RBSP bit counts, as
// GStreamer's gst_h264_parser_parse_slice_hdr and ffmpeg's h264_slice_header_parse report them
// (both remove emulation-prevention bytes first, or subtract them).
#include "h264_slice_header.h"

#include "bit_reader.h"

namespace v4l2va {

namespace {

// Syntax limits the parser enforces (7.4.3 / 7.4.3.1-3 semantics).
constexpr uint32_t kMaxPpsId = 255;
constexpr uint32_t kMaxIdrPicId = 65535;
constexpr uint32_t kMaxRedundantPicCnt = 127;
constexpr uint32_t kMaxNumRefIdxMinus1 = 31;
constexpr uint32_t kMaxWeightDenom = 7;
constexpr unsigned kMaxMarkingOps = 64;	// far more than a DPB of 16 frames can use

/// Reads an se(v) that must lie in [lo, hi]; clears `ok` otherwise.
int32_t seInRange(BitReader &br, int32_t lo, int32_t hi, bool &ok)
{
	int32_t v = br.se();
	if (v < lo || v > hi)
		ok = false;
	return v;
}

uint32_t ueAtMost(BitReader &br, uint32_t max, bool &ok)
{
	uint32_t v = br.ue();
	if (v > max)
		ok = false;
	return v;
}

/// ref_pic_list_modification() of one list (7.3.3.1): at most num_ref_idx_active + 1 entries.
void skipRefPicListModification(BitReader &br, unsigned numRefIdxActive, bool &ok)
{
	if (!br.flag())
		return;
	for (unsigned i = 0; i <= numRefIdxActive && ok && !br.overrun(); i++) {
		uint32_t idc = br.ue();
		if (idc == 3)
			return;
		if (idc > 3) {		// 4 and 5 exist only in MVC slices
			ok = false;
			return;
		}
		br.ue();		// abs_diff_pic_num_minus1 or long_term_pic_num
	}
	ok = false;			// no terminating idc 3 within the list size
}

/// The weights of one list of pred_weight_table() (7.3.3.2).
void skipWeights(BitReader &br, unsigned numRefIdxActive, uint8_t chromaArrayType, bool &ok)
{
	for (unsigned i = 0; i < numRefIdxActive && ok; i++) {
		if (br.flag()) {
			seInRange(br, -128, 127, ok);	// luma_weight
			seInRange(br, -128, 127, ok);	// luma_offset
		}
		if (chromaArrayType != 0 && br.flag()) {
			for (int j = 0; j < 2; j++) {
				seInRange(br, -128, 127, ok);
				seInRange(br, -128, 127, ok);
			}
		}
	}
}

void parsePredWeightTable(BitReader &br, const H264HeaderSyntax &syntax, H264SliceHeader &h,
			  bool &ok)
{
	h.hasPredWeightTable = true;
	h.lumaLog2WeightDenom = ueAtMost(br, kMaxWeightDenom, ok);
	if (syntax.chromaArrayType != 0)
		h.chromaLog2WeightDenom = ueAtMost(br, kMaxWeightDenom, ok);
	skipWeights(br, h.numRefIdxL0ActiveMinus1 + 1u, syntax.chromaArrayType, ok);
	if (h.sliceType == kH264SliceB)
		skipWeights(br, h.numRefIdxL1ActiveMinus1 + 1u, syntax.chromaArrayType, ok);
}

/// dec_ref_pic_marking() (7.3.3.3).
void parseDecRefPicMarking(BitReader &br, H264SliceHeader &h, bool &ok)
{
	if (h.nalUnitType == kH264NalIdrSlice) {
		h.noOutputOfPriorPics = br.flag();
		h.longTermReference = br.flag();
		return;
	}
	h.adaptiveRefPicMarking = br.flag();
	if (!h.adaptiveRefPicMarking)
		return;
	for (unsigned i = 0; i < kMaxMarkingOps && ok && !br.overrun(); i++) {
		uint32_t op = br.ue();	// memory_management_control_operation
		if (op == 0)
			return;
		if (op > 6) {
			ok = false;
			return;
		}
		if (op == 1 || op == 3)
			br.ue();	// difference_of_pic_nums_minus1
		if (op == 2)
			br.ue();	// long_term_pic_num
		if (op == 3 || op == 6)
			br.ue();	// long_term_frame_idx
		if (op == 4)
			br.ue();	// max_long_term_frame_idx_plus1
	}
	ok = false;
}

/// Bits of slice_group_change_cycle: Ceil(Log2(PicSizeInMapUnits / SliceGroupChangeRate + 1)).
unsigned sliceGroupChangeCycleBits(const H264HeaderSyntax &syntax)
{
	uint64_t rate = syntax.sliceGroupChangeRateMinus1 + 1ull;
	unsigned bits = 0;
	while (bits < 32 && rate * ((1ull << bits) - 1) < syntax.picSizeInMapUnits)
		bits++;
	return bits;
}

} // namespace

bool parseH264SliceHeader(const uint8_t *nal, size_t size, const H264HeaderSyntax &syntax,
			  H264SliceHeader *out)
{
	if (!nal || size < 2 || !out)
		return false;
	BitReader br(nal, size);
	H264SliceHeader h;
	bool ok = true;

	if (br.flag())		// forbidden_zero_bit
		return false;
	h.nalRefIdc = br.u(2);
	h.nalUnitType = br.u(5);
	if (h.nalUnitType != kH264NalSlice && h.nalUnitType != kH264NalIdrSlice)
		return false;
	const bool idr = h.nalUnitType == kH264NalIdrSlice;

	h.firstMbInSlice = br.ue();
	if (syntax.picSizeInMapUnits &&
	    h.firstMbInSlice >= syntax.picSizeInMapUnits * (syntax.frameMbsOnly ? 1u : 2u))
		ok = false;
	uint32_t sliceType = ueAtMost(br, 9, ok);
	h.sliceType = sliceType % 5;
	h.picParameterSetId = ueAtMost(br, kMaxPpsId, ok);
	if (syntax.separateColourPlane) {
		h.colourPlaneId = br.u(2);
		if (h.colourPlaneId > 2)
			ok = false;
	}
	h.frameNum = br.u(syntax.log2MaxFrameNum);
	if (!syntax.frameMbsOnly) {
		h.fieldPic = br.flag();
		if (h.fieldPic)
			h.bottomField = br.flag();
	}
	if (idr)
		h.idrPicId = ueAtMost(br, kMaxIdrPicId, ok);

	size_t pocStart = br.bitPosition();
	const bool bottomDeltaPresent = syntax.bottomFieldPicOrderInFramePresent && !h.fieldPic;
	if (syntax.picOrderCntType == 0) {
		h.picOrderCntLsb = br.u(syntax.log2MaxPicOrderCntLsb);
		if (bottomDeltaPresent)
			h.deltaPicOrderCntBottom = br.se();
	}
	if (syntax.picOrderCntType == 1 && !syntax.deltaPicOrderAlwaysZero) {
		h.deltaPicOrderCnt[0] = br.se();
		if (bottomDeltaPresent)
			h.deltaPicOrderCnt[1] = br.se();
	}
	h.picOrderCntBitSize = br.bitPosition() - pocStart;

	if (syntax.redundantPicCntPresent)
		h.redundantPicCnt = ueAtMost(br, kMaxRedundantPicCnt, ok);
	const bool isB = h.sliceType == kH264SliceB;
	const bool isP = h.sliceType == kH264SliceP || h.sliceType == kH264SliceSP;
	if (isB)
		h.directSpatialMvPred = br.flag();
	h.numRefIdxL0ActiveMinus1 = syntax.numRefIdxL0DefaultMinus1;
	h.numRefIdxL1ActiveMinus1 = syntax.numRefIdxL1DefaultMinus1;
	if (isP || isB) {
		h.numRefIdxActiveOverride = br.flag();
		if (h.numRefIdxActiveOverride) {
			h.numRefIdxL0ActiveMinus1 = ueAtMost(br, kMaxNumRefIdxMinus1, ok);
			if (isB)
				h.numRefIdxL1ActiveMinus1 = ueAtMost(br, kMaxNumRefIdxMinus1, ok);
		}
	}
	if (h.numRefIdxL0ActiveMinus1 > kMaxNumRefIdxMinus1 ||
	    h.numRefIdxL1ActiveMinus1 > kMaxNumRefIdxMinus1)
		ok = false;
	if (!isP && !isB)
		h.numRefIdxL0ActiveMinus1 = 0;
	if (!isB)
		h.numRefIdxL1ActiveMinus1 = 0;

	if (isP || isB)
		skipRefPicListModification(br, h.numRefIdxL0ActiveMinus1 + 1u, ok);
	if (isB)
		skipRefPicListModification(br, h.numRefIdxL1ActiveMinus1 + 1u, ok);

	if ((syntax.weightedPred && isP) || (syntax.weightedBipredIdc == 1 && isB))
		parsePredWeightTable(br, syntax, h, ok);

	if (h.nalRefIdc != 0) {
		size_t markingStart = br.bitPosition();
		parseDecRefPicMarking(br, h, ok);
		h.decRefPicMarkingBitSize = br.bitPosition() - markingStart;
	}

	if (syntax.entropyCodingMode && h.sliceType != kH264SliceI && h.sliceType != kH264SliceSI)
		h.cabacInitIdc = ueAtMost(br, 2, ok);
	h.sliceQpDelta = seInRange(br, -128, 127, ok);
	if (h.sliceType == kH264SliceSP || h.sliceType == kH264SliceSI) {
		if (h.sliceType == kH264SliceSP)
			h.spForSwitch = br.flag();
		h.sliceQsDelta = seInRange(br, -51, 51, ok);
	}
	if (syntax.deblockingFilterControlPresent) {
		h.disableDeblockingFilterIdc = ueAtMost(br, 2, ok);
		if (h.disableDeblockingFilterIdc != 1) {
			h.sliceAlphaC0OffsetDiv2 = seInRange(br, -6, 6, ok);
			h.sliceBetaOffsetDiv2 = seInRange(br, -6, 6, ok);
		}
	}
	if (syntax.numSliceGroupsMinus1 > 0 && syntax.sliceGroupMapType >= 3 &&
	    syntax.sliceGroupMapType <= 5)
		h.sliceGroupChangeCycle = br.u(sliceGroupChangeCycleBits(syntax));
	h.headerBitSize = br.bitPosition();

	if (!ok || br.overrun())
		return false;
	*out = h;
	return true;
}

} // namespace v4l2va
