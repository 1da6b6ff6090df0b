// SPDX-License-Identifier: MIT
// HEVC slice segment header parser (H.265 7.3.6.1 - 7.3.6.3, 7.3.7, 7.3.8.1).
#include "hevc_slice_header.h"

#include "bit_reader.h"

namespace v4l2va::hevc {

namespace {

constexpr uint32_t kMaxRefIdx = 14;		// num_ref_idx_lX_active_minus1 (7.4.7.1)
constexpr uint32_t kMaxDeltaPocs = 16;		// num_negative_pics + num_positive_pics
constexpr uint32_t kMaxLongTermPics = 32;
constexpr uint32_t kMaxHeaderExtensionBytes = 256;

/// Ceil(Log2(n)) for n >= 1: the width of the u(v) indices into n things.
unsigned ceilLog2(uint32_t n)
{
	unsigned bits = 0;
	while (bits < 32 && (1ull << bits) < n)
		bits++;
	return bits;
}

/// st_ref_pic_set(num_short_term_ref_pic_sets) as coded in a slice header (7.3.7).
ParseStatus parseShortTermRefPicSet(BitReader &br, const SliceHeaderContext &ctx, SliceHeader &h)
{
	size_t start = br.bitPosition();
	size_t rawStart = br.rawBitPosition();
	bool interPrediction = ctx.numShortTermRefPicSets != 0 && br.flag();
	if (interPrediction) {
		// delta_idx_minus1 may only point at an SPS set.
		if (br.ue() >= ctx.numShortTermRefPicSets)
			return ParseStatus::Invalid;
		br.skip(1);	// delta_rps_sign
		if (br.ue() > 0x7fff)	// abs_delta_rps_minus1 (7.4.8)
			return ParseStatus::Invalid;
		// One used_by_curr_pic_flag (+ use_delta_flag when 0) for each of the
		// NumDeltaPocs[RefRpsIdx] + 1 entries. The reference set is in the SPS, which VA
		// does not carry, so the count comes from the set's length in bits: VA's
		// st_rps_bits (RBSP bits, or raw bits as some parsers count them).
		uint32_t expected = ctx.shortTermRefPicSetBits;
		if (!expected)
			return ParseStatus::Invalid;
		uint32_t entries = 0;
		for (;;) {
			size_t used = br.bitPosition() - start;
			size_t rawUsed = br.rawBitPosition() - rawStart;
			if (used == expected || rawUsed == expected)
				break;
			if (used > expected || entries > kMaxDeltaPocs || br.overrun())
				return br.overrun() ? ParseStatus::Truncated : ParseStatus::Invalid;
			if (!br.flag())
				br.skip(1);	// use_delta_flag
			entries++;
		}
		if (entries == 0)
			return ParseStatus::Invalid;
		h.numDeltaPocsOfRefRpsIdx = entries - 1;
	} else {
		uint32_t negative = br.ue();
		uint32_t positive = br.ue();
		if (negative > kMaxDeltaPocs || positive > kMaxDeltaPocs - negative)
			return ParseStatus::Invalid;
		for (uint32_t i = 0; i < negative + positive; i++) {
			if (br.ue() > 0x7fff)	// delta_poc_sX_minus1
				return ParseStatus::Invalid;
			br.skip(1);	// used_by_curr_pic_sX_flag
		}
	}
	h.shortTermRefPicSetBits = static_cast<uint32_t>(br.bitPosition() - start);
	return ParseStatus::Ok;
}

/// The long-term reference part of the header (7.3.6.1, if long_term_ref_pics_present_flag).
ParseStatus parseLongTermRefPics(BitReader &br, const SliceHeaderContext &ctx, SliceHeader &h)
{
	size_t start = br.bitPosition();
	uint32_t numLongTermSps = 0;
	if (ctx.numLongTermRefPicsSps > 0) {
		numLongTermSps = br.ue();
		if (numLongTermSps > ctx.numLongTermRefPicsSps)
			return ParseStatus::Invalid;
	}
	uint32_t numLongTermPics = br.ue();
	if (numLongTermPics > kMaxLongTermPics - numLongTermSps)
		return ParseStatus::Invalid;
	unsigned ltIdxBits = ceilLog2(ctx.numLongTermRefPicsSps);
	for (uint32_t i = 0; i < numLongTermSps + numLongTermPics; i++) {
		if (i < numLongTermSps) {
			br.skip(ltIdxBits);	// lt_idx_sps
		} else {
			br.skip(ctx.log2MaxPicOrderCntLsb);	// poc_lsb_lt
			br.skip(1);	// used_by_curr_pic_lt_flag
		}
		if (br.flag())	// delta_poc_msb_present_flag
			br.ue();	// delta_poc_msb_cycle_lt
	}
	h.longTermRefPicSetBits = static_cast<uint32_t>(br.bitPosition() - start);
	return ParseStatus::Ok;
}

/// pred_weight_table() (7.3.6.3): only walked; VA carries the values.
void skipPredWeightTable(BitReader &br, const SliceHeaderContext &ctx, const SliceHeader &h)
{
	br.ue();	// luma_log2_weight_denom
	if (ctx.chromaArrayType != 0)
		br.se();	// delta_chroma_log2_weight_denom
	for (int list = 0; list < (h.sliceType == kSliceB ? 2 : 1); list++) {
		uint32_t count = (list ? h.numRefIdxL1ActiveMinus1 : h.numRefIdxL0ActiveMinus1) + 1;
		uint16_t current = list ? ctx.currentPicInL1 : ctx.currentPicInL0;
		uint16_t lumaFlags = 0, chromaFlags = 0;
		for (uint32_t i = 0; i < count; i++)
			if (!(current & (1u << i)) && br.flag())
				lumaFlags |= 1u << i;
		if (ctx.chromaArrayType != 0)
			for (uint32_t i = 0; i < count; i++)
				if (!(current & (1u << i)) && br.flag())
					chromaFlags |= 1u << i;
		for (uint32_t i = 0; i < count; i++) {
			if (lumaFlags & (1u << i)) {
				br.se();	// delta_luma_weight_lX
				br.se();	// luma_offset_lX
			}
			if (chromaFlags & (1u << i))
				for (int j = 0; j < 4; j++)
					br.se();	// delta_chroma_weight / _offset_lX
		}
	}
}

/// The part of the header after slice_type that only independent slice segments carry.
ParseStatus parseIndependentFields(BitReader &br, const SliceHeaderContext &ctx, SliceHeader &h)
{
	if (ctx.outputFlagPresent)
		br.skip(1);	// pic_output_flag
	if (ctx.separateColourPlane)
		h.colourPlaneId = static_cast<uint8_t>(br.u(2));
	if (!isIdr(h.nalUnitType)) {
		h.picOrderCntLsb = br.u(ctx.log2MaxPicOrderCntLsb);
		h.shortTermRefPicSetSpsFlag = br.flag();
		if (!h.shortTermRefPicSetSpsFlag) {
			ParseStatus st = parseShortTermRefPicSet(br, ctx, h);
			if (st != ParseStatus::Ok)
				return st;
		} else if (ctx.numShortTermRefPicSets == 0) {
			return ParseStatus::Invalid;	// no SPS set to pick
		} else {
			// short_term_ref_pic_set_idx
			br.skip(ceilLog2(ctx.numShortTermRefPicSets));
		}
		if (ctx.longTermRefPicsPresent) {
			ParseStatus st = parseLongTermRefPics(br, ctx, h);
			if (st != ParseStatus::Ok)
				return st;
		}
		if (ctx.spsTemporalMvpEnabled)
			h.sliceTemporalMvpEnabled = br.flag();
	}
	if (ctx.sampleAdaptiveOffsetEnabled) {
		h.saoLuma = br.flag();
		if (ctx.chromaArrayType != 0)
			h.saoChroma = br.flag();
	}
	if (h.sliceType != kSliceI) {
		h.numRefIdxL0ActiveMinus1 = ctx.numRefIdxL0DefaultActiveMinus1;
		h.numRefIdxL1ActiveMinus1 = ctx.numRefIdxL1DefaultActiveMinus1;
		if (br.flag()) {	// num_ref_idx_active_override_flag
			h.numRefIdxL0ActiveMinus1 = br.ue();
			if (h.sliceType == kSliceB)
				h.numRefIdxL1ActiveMinus1 = br.ue();
		}
		if (h.numRefIdxL0ActiveMinus1 > kMaxRefIdx ||
		    h.numRefIdxL1ActiveMinus1 > kMaxRefIdx)
			return ParseStatus::Invalid;
		if (h.sliceType != kSliceB)
			h.numRefIdxL1ActiveMinus1 = 0;
		if (ctx.listsModificationPresent && ctx.numPicTotalCurr > 1) {
			// ref_pic_lists_modification() (7.3.6.2)
			unsigned entryBits = ceilLog2(ctx.numPicTotalCurr);
			if (br.flag())
				br.skip(entryBits * (h.numRefIdxL0ActiveMinus1 + 1));
			if (h.sliceType == kSliceB && br.flag())
				br.skip(entryBits * (h.numRefIdxL1ActiveMinus1 + 1));
		}
		if (h.sliceType == kSliceB)
			h.mvdL1Zero = br.flag();
		if (ctx.cabacInitPresent)
			h.cabacInit = br.flag();
		if (h.sliceTemporalMvpEnabled) {
			if (h.sliceType == kSliceB)
				h.collocatedFromL0 = br.flag();
			uint32_t refs = h.collocatedFromL0 ? h.numRefIdxL0ActiveMinus1
							   : h.numRefIdxL1ActiveMinus1;
			if (refs > 0) {
				h.collocatedRefIdx = br.ue();
				if (h.collocatedRefIdx > refs)
					return ParseStatus::Invalid;
			}
		}
		if ((ctx.weightedPred && h.sliceType == kSliceP) ||
		    (ctx.weightedBipred && h.sliceType == kSliceB))
			skipPredWeightTable(br, ctx, h);
		h.fiveMinusMaxNumMergeCand = br.ue();
		if (h.fiveMinusMaxNumMergeCand > 4)
			return ParseStatus::Invalid;
		if (ctx.motionVectorResolutionControlIdc == 2)
			h.useIntegerMv = br.flag();
	}
	h.sliceQpDelta = br.se();
	if (ctx.sliceChromaQpOffsetsPresent) {
		h.sliceCbQpOffset = br.se();
		h.sliceCrQpOffset = br.se();
	}
	if (ctx.sliceActQpOffsetsPresent) {
		h.sliceActYQpOffset = br.se();
		h.sliceActCbQpOffset = br.se();
		h.sliceActCrQpOffset = br.se();
	}
	if (ctx.chromaQpOffsetListEnabled)
		br.skip(1);	// cu_chroma_qp_offset_enabled_flag
	bool deblockingOverride = ctx.deblockingFilterOverrideEnabled && br.flag();
	h.deblockingFilterDisabled = ctx.ppsDeblockingFilterDisabled;
	if (deblockingOverride) {
		h.deblockingFilterDisabled = br.flag();
		if (!h.deblockingFilterDisabled) {
			h.betaOffsetDiv2 = br.se();
			h.tcOffsetDiv2 = br.se();
		}
	}
	h.loopFilterAcrossSlicesEnabled = ctx.ppsLoopFilterAcrossSlicesEnabled;
	if (ctx.ppsLoopFilterAcrossSlicesEnabled &&
	    (h.saoLuma || h.saoChroma || !h.deblockingFilterDisabled))
		h.loopFilterAcrossSlicesEnabled = br.flag();
	// The Exp-Golomb values above are small unless the data is garbage.
	if (h.sliceQpDelta < -128 || h.sliceQpDelta > 127 || h.betaOffsetDiv2 < -6 ||
	    h.betaOffsetDiv2 > 6 || h.tcOffsetDiv2 < -6 || h.tcOffsetDiv2 > 6)
		return ParseStatus::Invalid;
	return ParseStatus::Ok;
}

} // namespace

ParseStatus parseSliceHeader(const uint8_t *nal, size_t size, const SliceHeaderContext &ctx,
			     SliceHeader *out, std::span<uint32_t> entryPoints)
{
	if (!nal || size < 3)
		return ParseStatus::Truncated;
	SliceHeader h;
	BitReader br(nal, size);
	if (br.flag())	// forbidden_zero_bit
		return ParseStatus::Invalid;
	h.nalUnitType = static_cast<uint8_t>(br.u(6));
	h.nuhLayerId = static_cast<uint8_t>(br.u(6));
	h.temporalIdPlus1 = static_cast<uint8_t>(br.u(3));
	// Slice NAL units are types 0..9 (VCL) and 16..21 (IRAP).
	if ((h.nalUnitType > kNalRaslR && h.nalUnitType < kNalBlaWLp) ||
	    h.nalUnitType > kNalCraNut || h.temporalIdPlus1 == 0)
		return ParseStatus::Invalid;

	h.firstSliceSegmentInPic = br.flag();
	if (isIrap(h.nalUnitType))
		h.noOutputOfPriorPics = br.flag();
	h.ppsId = br.ue();
	if (h.ppsId > 63)
		return ParseStatus::Invalid;
	if (!h.firstSliceSegmentInPic) {
		if (ctx.dependentSliceSegmentsEnabled)
			h.dependentSliceSegment = br.flag();
		h.sliceSegmentAddress = br.u(ceilLog2(ctx.picSizeInCtbsY));
		if (h.sliceSegmentAddress >= ctx.picSizeInCtbsY)
			return ParseStatus::Invalid;
	}
	if (!h.dependentSliceSegment) {
		br.skip(ctx.numExtraSliceHeaderBits);	// slice_reserved_flag
		h.sliceType = br.ue();
		if (h.sliceType > kSliceI)
			return ParseStatus::Invalid;
		ParseStatus st = parseIndependentFields(br, ctx, h);
		if (st != ParseStatus::Ok)
			return br.overrun() ? ParseStatus::Truncated : st;
	}
	if (ctx.tilesEnabled || ctx.entropyCodingSyncEnabled) {
		h.numEntryPointOffsets = br.ue();
		// At most one substream per CTB.
		if (h.numEntryPointOffsets >= ctx.picSizeInCtbsY)
			return ParseStatus::Invalid;
		if (h.numEntryPointOffsets > entryPoints.size())
			return br.overrun() ? ParseStatus::Truncated
					    : ParseStatus::TooManyEntryPoints;
		if (h.numEntryPointOffsets > 0) {
			uint32_t offsetLenMinus1 = br.ue();
			if (offsetLenMinus1 > 31)
				return ParseStatus::Invalid;
			for (uint32_t i = 0; i < h.numEntryPointOffsets; i++)
				entryPoints[i] = br.u(offsetLenMinus1 + 1) + 1;
		}
	}
	if (ctx.sliceSegmentHeaderExtensionPresent) {
		uint32_t length = br.ue();
		if (length > kMaxHeaderExtensionBytes)
			return ParseStatus::Invalid;
		br.skip(length * 8);	// slice_segment_header_extension_data_byte
	}
	// byte_alignment(): a one bit, then zero bits up to the byte boundary.
	if (!br.flag())
		return br.overrun() ? ParseStatus::Truncated : ParseStatus::Invalid;
	while (!br.byteAligned())
		if (br.flag())
			return ParseStatus::Invalid;
	if (br.overrun())
		return ParseStatus::Truncated;
	h.headerBytes = static_cast<uint32_t>(br.bitPosition() / 8);
	h.headerRawBytes = static_cast<uint32_t>(br.rawBitPosition() / 8);
	*out = h;
	return ParseStatus::Ok;
}

} // namespace v4l2va::hevc
