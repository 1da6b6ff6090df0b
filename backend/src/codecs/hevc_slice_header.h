// SPDX-License-Identifier: MIT
#pragma once

// The HEVC slice segment header (H.265 7.3.6.1), parsed for what V4L2 needs and VA does not
// carry: the NAL header, the bit sizes of the reference picture sets, the entry point offsets
// and the exact RBSP byte offset of slice_data(). The SPS/PPS values the syntax depends on come
// from the VA picture parameters (SliceHeaderContext), not from parsed parameter sets.

#include <cstddef>
#include <cstdint>
#include <span>

namespace v4l2va::hevc {

/// NAL unit types (H.265 Table 7-1).
enum NalUnitType : uint8_t {
	kNalRaslR = 9,
	kNalBlaWLp = 16,
	kNalIdrWRadl = 19,
	kNalIdrNLp = 20,
	kNalCraNut = 21,
	kNalRsvIrap23 = 23,
};

inline bool isIrap(uint8_t nalUnitType)
{
	return nalUnitType >= kNalBlaWLp && nalUnitType <= kNalRsvIrap23;
}
inline bool isIdr(uint8_t nalUnitType)
{
	return nalUnitType == kNalIdrWRadl || nalUnitType == kNalIdrNLp;
}

enum SliceType : uint8_t { kSliceB = 0, kSliceP = 1, kSliceI = 2 };

/// The SPS/PPS values the slice segment header syntax depends on.
struct SliceHeaderContext {
	bool dependentSliceSegmentsEnabled = false;
	bool outputFlagPresent = false;
	uint8_t numExtraSliceHeaderBits = 0;
	bool separateColourPlane = false;
	uint8_t chromaArrayType = 1;
	uint8_t log2MaxPicOrderCntLsb = 4;
	uint8_t numShortTermRefPicSets = 0;
	/// VA st_rps_bits: size of a slice's own st_ref_pic_set(); needed only for an
	/// inter-predicted one, whose length depends on an SPS set VA does not carry.
	uint32_t shortTermRefPicSetBits = 0;
	bool longTermRefPicsPresent = false;
	uint8_t numLongTermRefPicsSps = 0;
	bool spsTemporalMvpEnabled = false;
	bool sampleAdaptiveOffsetEnabled = false;
	bool cabacInitPresent = false;
	bool listsModificationPresent = false;
	bool weightedPred = false;
	bool weightedBipred = false;
	uint8_t numRefIdxL0DefaultActiveMinus1 = 0;
	uint8_t numRefIdxL1DefaultActiveMinus1 = 0;
	bool sliceChromaQpOffsetsPresent = false;
	bool sliceActQpOffsetsPresent = false;		///< SCC extension
	bool chromaQpOffsetListEnabled = false;		///< range extension
	uint8_t motionVectorResolutionControlIdc = 0;	///< SCC extension
	bool deblockingFilterOverrideEnabled = false;
	bool ppsDeblockingFilterDisabled = false;
	bool ppsLoopFilterAcrossSlicesEnabled = false;
	bool tilesEnabled = false;
	bool entropyCodingSyncEnabled = false;
	bool sliceSegmentHeaderExtensionPresent = false;
	uint32_t picSizeInCtbsY = 1;
	/// NumPicTotalCurr (7-55), as the VA reference frame RPS flags give it.
	uint8_t numPicTotalCurr = 0;
	/// Bit i set: RefPicListX[i] is the current picture (SCC), for which no weights are coded.
	uint16_t currentPicInL0 = 0;
	uint16_t currentPicInL1 = 0;
};

struct SliceHeader {
	uint8_t nalUnitType = 0;
	uint8_t nuhLayerId = 0;
	uint8_t temporalIdPlus1 = 0;
	bool firstSliceSegmentInPic = false;
	bool noOutputOfPriorPics = false;
	bool dependentSliceSegment = false;
	uint32_t ppsId = 0;
	uint32_t sliceSegmentAddress = 0;
	uint32_t sliceType = kSliceI;
	uint8_t colourPlaneId = 0;
	uint32_t picOrderCntLsb = 0;
	bool shortTermRefPicSetSpsFlag = false;
	/// Bits of st_ref_pic_set() in this header (0 when the set comes from the SPS).
	uint32_t shortTermRefPicSetBits = 0;
	/// NumDeltaPocs[RefRpsIdx] of an inter-predicted st_ref_pic_set() in this header.
	uint32_t numDeltaPocsOfRefRpsIdx = 0;
	/// Bits of the long-term block (from num_long_term_sps to the last delta_poc_msb_cycle_lt).
	uint32_t longTermRefPicSetBits = 0;
	bool sliceTemporalMvpEnabled = false;
	bool saoLuma = false;
	bool saoChroma = false;
	uint32_t numRefIdxL0ActiveMinus1 = 0;
	uint32_t numRefIdxL1ActiveMinus1 = 0;
	bool mvdL1Zero = false;
	bool cabacInit = false;
	bool collocatedFromL0 = true;
	uint32_t collocatedRefIdx = 0;
	uint32_t fiveMinusMaxNumMergeCand = 0;
	bool useIntegerMv = false;
	int32_t sliceQpDelta = 0;
	int32_t sliceCbQpOffset = 0;
	int32_t sliceCrQpOffset = 0;
	int32_t sliceActYQpOffset = 0;
	int32_t sliceActCbQpOffset = 0;
	int32_t sliceActCrQpOffset = 0;
	bool deblockingFilterDisabled = false;
	int32_t betaOffsetDiv2 = 0;
	int32_t tcOffsetDiv2 = 0;
	bool loopFilterAcrossSlicesEnabled = false;
	uint32_t numEntryPointOffsets = 0;
	/// RBSP bytes from the NAL unit header to slice_data() (the VA slice_data_byte_offset).
	uint32_t headerBytes = 0;
	/// The same offset counted in the raw payload (emulation-prevention bytes included).
	uint32_t headerRawBytes = 0;
};

enum class ParseStatus {
	Ok,
	Truncated,		///< the data ends inside the header
	Invalid,		///< a value out of its range, or a syntax this parser cannot follow
	TooManyEntryPoints,	///< more entry points than `entryPoints` can take
};

/// Parses the slice segment header of one NAL unit (from its 2-byte header, no start code).
/// The entry point offsets (entry_point_offset_minus1[i] + 1) go to entryPoints.
ParseStatus parseSliceHeader(const uint8_t *nal, size_t size, const SliceHeaderContext &ctx,
			     SliceHeader *out, std::span<uint32_t> entryPoints);

} // namespace v4l2va::hevc
