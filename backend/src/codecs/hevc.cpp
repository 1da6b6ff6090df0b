// SPDX-License-Identifier: MIT
// HEVC: VA picture, scaling-list and slice buffers -> V4L2_CID_STATELESS_HEVC_{SPS, PPS,
// SCALING_MATRIX, DECODE_PARAMS, SLICE_PARAMS, ENTRY_POINT_OFFSETS}.
//
// The mapping follows GStreamer's gstv4l2codech265dec.c (gst_v4l2_codec_h265_dec_fill_*) and
// ffmpeg's v4l2_request_hevc.c (fill_decode_params, fill_slice_params), from the VA structures
// instead of parsed parameter sets (hevc_params.h). What VA does not carry (NAL header, RPS bit
// sizes, entry points, the slice data offset) comes from the slice header (hevc_slice_header.h).
//
// Devices: rkvdec and hantro decode FRAME_BASED with Annex B start codes (one request, every
// slice's parameters in the SLICE_PARAMS dynamic array; RKM:rkvdec_hevc_run_preamble counts
// them); cedrus is SLICE_BASED without start codes (one request per slice).
#include "hevc_params.h"
#include "registry.h"

#include <algorithm>
#include <array>
#include <utility>

#ifndef V4L2_PIX_FMT_NV15	// newer than the vendored 6.12 headers (mainline rkvdec)
#define V4L2_PIX_FMT_NV15 v4l2_fourcc('N', 'V', '1', '5')
#endif

namespace v4l2va {

namespace {

using namespace hevc;

constexpr uint32_t kMaxSlices = 600;			// SLICE_PARAMS dims of rkvdec and visl
constexpr uint32_t kInitialSlices = 4;		// per-slice storage grows up to kMaxSlices
constexpr uint32_t kMaxEntryPointsPerUnit = 256;	// ENTRY_POINT_OFFSETS dims (cedrus, visl)
constexpr uint32_t kEntryPointStorage = 8192;		// > tile columns x CTB rows at 8K
constexpr uint32_t kVaRefs = 15;	// VA ReferenceFrames[] / RefPicList[][] entries
constexpr uint8_t kVaNoRef = 0xff;
constexpr uint8_t kStartCode[3] = {0, 0, 1};

using DpbIndex = std::array<uint8_t, kVaRefs>;	///< VA ReferenceFrames[] index -> dpb[] index

/// Whether the node registers a control; an unprobed (empty) list means the usual set.
bool deviceHas(const DeviceCaps &caps, uint32_t id)
{
	if (caps.controls.empty())
		return id != V4L2_CID_STATELESS_HEVC_ENTRY_POINT_OFFSETS;
	return caps.hasControl(id);
}

class HevcState final : public CodecState {
public:
	explicit HevcState(const DeviceCaps &caps)
		: sliceBased_(caps.decodeMode == V4L2_STATELESS_HEVC_DECODE_MODE_SLICE_BASED),
		  annexB_(caps.startCode != V4L2_STATELESS_HEVC_START_CODE_NONE),
		  sendSliceParams_(deviceHas(caps, V4L2_CID_STATELESS_HEVC_SLICE_PARAMS)),
		  sendScalingMatrix_(deviceHas(caps, V4L2_CID_STATELESS_HEVC_SCALING_MATRIX)),
		  sendEntryPoints_(deviceHas(caps, V4L2_CID_STATELESS_HEVC_ENTRY_POINT_OFFSETS)),
		  entryPoints_(kEntryPointStorage)
	{
		reserveSlices(kInitialSlices);
	}

	void beginPicture() override
	{
		havePicture_ = false;
		haveIq_ = false;
		ready_ = false;
		pendingCount_ = 0;
		sliceCount_ = 0;
		entryStart_[0] = 0;
	}

	VAStatus render(const BufferView &buffer, BitstreamSink &bitstream) override
	{
		switch (buffer.type) {
		case VAPictureParameterBufferType:
			return renderPicture(buffer);
		case VAIQMatrixBufferType: {
			auto *iq = buffer.element<VAIQMatrixBufferHEVC>();
			if (!iq)
				return VA_STATUS_ERROR_INVALID_BUFFER;
			iq_ = *iq;
			haveIq_ = true;
			return VA_STATUS_SUCCESS;
		}
		case VASliceParameterBufferType:
			return renderSliceParameters(buffer);
		case VASliceDataBufferType:
			return renderSliceData(buffer, bitstream);
		default:
			return VA_STATUS_SUCCESS;
		}
	}

	VAStatus endPicture(SequenceInfo *sequence) override
	{
		if (!havePicture_ || sliceCount_ == 0)
			return VA_STATUS_ERROR_INVALID_PARAMETER;
		const VAPictureParameterBufferHEVC &va = picture_.va;
		fillPps(picture_, static_cast<uint8_t>(firstHeader_.ppsId), &pps_);
		if (va.pic_fields.bits.scaling_list_enabled_flag)
			fillScalingMatrix(haveIq_ ? &iq_ : nullptr, &scaling_);
		sequence->codedWidth = va.pic_width_in_luma_samples;
		sequence->codedHeight = va.pic_height_in_luma_samples;
		sequence->bitDepth = static_cast<uint8_t>(va.bit_depth_luma_minus8 + 8);
		sequence->chromaFormatIdc =
			static_cast<uint8_t>(va.pic_fields.bits.chroma_format_idc);
		ready_ = true;
		return VA_STATUS_SUCCESS;
	}

	VAStatus unitControls(unsigned unit, const ReferenceResolver &refs, uint64_t,
			      UnitControls *out) override
	{
		unsigned units = sliceBased_ ? sliceCount_ : 1;
		if (!ready_ || unit >= units)
			return VA_STATUS_ERROR_INVALID_PARAMETER;
		// The DPB depends on the stream the core chose, so it is built here (idempotently).
		DpbIndex dpbIndex;
		fillDecodeParams(refs, &dpbIndex);
		uint32_t first = sliceBased_ ? unit : 0, count = sliceBased_ ? 1 : sliceCount_;
		for (uint32_t s = first; s < first + count; s++)
			fillReferenceIndices(s, dpbIndex);

		out->count = 0;
		out->add(V4L2_CID_STATELESS_HEVC_SPS, &sps_, sizeof(sps_));
		out->add(V4L2_CID_STATELESS_HEVC_PPS, &pps_, sizeof(pps_));
		out->add(V4L2_CID_STATELESS_HEVC_DECODE_PARAMS, &decode_, sizeof(decode_));
		if (sendScalingMatrix_ && picture_.va.pic_fields.bits.scaling_list_enabled_flag)
			out->add(V4L2_CID_STATELESS_HEVC_SCALING_MATRIX, &scaling_,
				 sizeof(scaling_));
		if (sendSliceParams_)
			out->add(V4L2_CID_STATELESS_HEVC_SLICE_PARAMS, &slices_[first],
				 static_cast<uint32_t>(count * sizeof(slices_[0])));
		// Only with tiles / WPP: an empty dynamic array cannot be set.
		uint32_t entries = entryStart_[first + count] - entryStart_[first];
		if (sendEntryPoints_ && entries)
			out->add(V4L2_CID_STATELESS_HEVC_ENTRY_POINT_OFFSETS,
				 &entryPoints_[entryStart_[first]], entries * 4);
		return VA_STATUS_SUCCESS;
	}

	void sequenceControls(UnitControls *out) override
	{
		out->count = 0;
		if (haveSps_)
			out->add(V4L2_CID_STATELESS_HEVC_SPS, &sps_, sizeof(sps_));
	}

private:
	VAStatus renderPicture(const BufferView &buffer);
	VAStatus renderSliceParameters(const BufferView &buffer);
	VAStatus renderSliceData(const BufferView &buffer, BitstreamSink &bitstream);
	/// Room for slices [0, n), n <= kMaxSlices: the storage grows with the pictures' slice
	/// counts rather than being sized for 600 slices (~350 KiB) in every context.
	void reserveSlices(uint32_t n)
	{
		if (slices_.size() >= n)
			return;
		size_t size = std::min<size_t>(kMaxSlices, std::max<size_t>(n, 2 * slices_.size()));
		pending_.resize(size);
		refLists_.resize(size);
		entryStart_.resize(size + 1);
		slices_.resize(size);	// last: its size says all of them have grown (bad_alloc)
	}
	VAStatus prepareSlice(const VASliceParameterBufferHEVC &va, const uint8_t *nal,
			      uint32_t index, uint32_t *entryEnd);
	void fillSliceParams(const VASliceParameterBufferHEVC &va, const SliceHeader &h,
			     struct v4l2_ctrl_hevc_slice_params *s) const;
	void fillDecodeParams(const ReferenceResolver &refs, DpbIndex *dpbIndex);
	void fillReferenceIndices(uint32_t slice, const DpbIndex &dpbIndex);

	const bool sliceBased_;
	const bool annexB_;
	const bool sendSliceParams_;
	const bool sendScalingMatrix_;
	const bool sendEntryPoints_;

	// Per picture, reset by beginPicture().
	bool havePicture_ = false;
	bool haveIq_ = false;
	bool ready_ = false;		///< endPicture() succeeded
	PictureParameters picture_;
	VAIQMatrixBufferHEVC iq_ = {};
	std::vector<VASliceParameterBufferHEVC> pending_;	///< slice parameters awaiting data
	uint32_t pendingCount_ = 0;
	uint32_t sliceCount_ = 0;
	SliceHeader firstHeader_;	///< slice 0's: PPS id, the decode parameters' RPS sizes
	std::vector<struct v4l2_ctrl_hevc_slice_params> slices_;
	std::vector<std::array<uint8_t, 2 * kVaRefs>> refLists_;	///< VA RefPicList per slice
	std::vector<uint32_t> entryStart_;	///< slice i's entry points: [start[i], start[i+1])
	std::vector<uint32_t> entryPoints_;

	// Payloads. The SPS stays for sequenceControls() until the next picture parameters.
	bool haveSps_ = false;
	struct v4l2_ctrl_hevc_sps sps_ = {};
	struct v4l2_ctrl_hevc_pps pps_ = {};
	struct v4l2_ctrl_hevc_scaling_matrix scaling_ = {};
	struct v4l2_ctrl_hevc_decode_params decode_ = {};
};

VAStatus HevcState::renderPicture(const BufferView &buffer)
{
	// REXT/SCC consumers send VAPictureParameterBufferHEVCExtension, which starts with it.
	auto *va = buffer.element<VAPictureParameterBufferHEVC>();
	if (!va)
		return VA_STATUS_ERROR_INVALID_BUFFER;
	if (sliceCount_ || pendingCount_)
		return VA_STATUS_ERROR_INVALID_PARAMETER;	// slices already used the old
	if (!readPictureParameters(*va, buffer.element<VAPictureParameterBufferHEVCExtension>(),
				   &picture_))
		return VA_STATUS_ERROR_INVALID_PARAMETER;
	fillSps(picture_, &sps_);
	haveSps_ = true;
	havePicture_ = true;
	return VA_STATUS_SUCCESS;
}

VAStatus HevcState::renderSliceParameters(const BufferView &buffer)
{
	// REXT consumers send VASliceParameterBufferHEVCExtension elements; the base comes first.
	if (!havePicture_)
		return VA_STATUS_ERROR_INVALID_PARAMETER;
	if (!buffer.numElements || !buffer.element<VASliceParameterBufferHEVC>(0))
		return VA_STATUS_ERROR_INVALID_BUFFER;
	if (buffer.numElements > kMaxSlices - sliceCount_)
		return VA_STATUS_ERROR_MAX_NUM_EXCEEDED;
	reserveSlices(sliceCount_ + buffer.numElements);	// data slices go at sliceCount_ + i
	for (uint32_t i = 0; i < buffer.numElements; i++)
		pending_[i] = *buffer.element<VASliceParameterBufferHEVC>(i);
	pendingCount_ = buffer.numElements;	// parameters left without data are replaced
	return VA_STATUS_SUCCESS;
}

VAStatus HevcState::renderSliceData(const BufferView &buffer, BitstreamSink &bitstream)
{
	if (!pendingCount_)
		return VA_STATUS_ERROR_INVALID_PARAMETER;	// slice data before its parameters
	if (!buffer.data)
		return VA_STATUS_ERROR_INVALID_BUFFER;
	// Pass 1: check and describe every slice; none counts until all of them are written.
	const size_t startCode = annexB_ ? sizeof(kStartCode) : 0;
	size_t total = 0;
	uint32_t entryEnd = entryStart_[sliceCount_];
	for (uint32_t i = 0; i < pendingCount_; i++) {
		const VASliceParameterBufferHEVC &va = pending_[i];
		if (va.slice_data_flag != VA_SLICE_DATA_FLAG_ALL)
			return VA_STATUS_ERROR_INVALID_PARAMETER;	// partial slices
		if (va.slice_data_offset > buffer.size() ||
		    va.slice_data_size > buffer.size() - va.slice_data_offset ||
		    va.slice_data_size > (1u << 28))
			return VA_STATUS_ERROR_INVALID_BUFFER;
		VAStatus st = prepareSlice(va, buffer.data + va.slice_data_offset, sliceCount_ + i,
					   &entryEnd);
		if (st != VA_STATUS_SUCCESS)
			return st;
		total += startCode + va.slice_data_size;
	}
	// Pass 2: the bitstream. Frame mode reserves it at once, so what does not fit leaves
	// nothing behind.
	const uint32_t count = pendingCount_;
	if (!sliceBased_) {
		uint8_t *dst = bitstream.reserve(total);
		if (!dst)
			return VA_STATUS_ERROR_NOT_ENOUGH_BUFFER;
		for (uint32_t i = 0; i < count; i++) {
			const VASliceParameterBufferHEVC &va = pending_[i];
			memcpy(dst, kStartCode, startCode);
			memcpy(dst + startCode, buffer.data + va.slice_data_offset,
			       va.slice_data_size);
			dst += startCode + va.slice_data_size;
		}
		bitstream.commit(total);
		sliceCount_ += count;
		pendingCount_ = 0;
		return VA_STATUS_SUCCESS;
	}
	for (uint32_t i = 0; i < count; i++) {
		const VASliceParameterBufferHEVC &va = pending_[i];
		// A unit an earlier attempt opened but could not fill is reused.
		VAStatus st = VA_STATUS_SUCCESS;
		if (bitstream.unitCount() < sliceCount_ + 1)
			st = bitstream.newUnit();
		uint8_t *dst = st == VA_STATUS_SUCCESS
				       ? bitstream.reserve(startCode + va.slice_data_size)
				       : nullptr;
		if (!dst) {
			if (i)	// earlier slices of the buffer are in their own units: they stay
				pendingCount_ = 0;
			return st != VA_STATUS_SUCCESS ? st : VA_STATUS_ERROR_NOT_ENOUGH_BUFFER;
		}
		memcpy(dst, kStartCode, startCode);
		memcpy(dst + startCode, buffer.data + va.slice_data_offset, va.slice_data_size);
		bitstream.commit(startCode + va.slice_data_size);
		sliceCount_++;
	}
	pendingCount_ = 0;
	return VA_STATUS_SUCCESS;
}

VAStatus HevcState::prepareSlice(const VASliceParameterBufferHEVC &va, const uint8_t *nal,
				 uint32_t index, uint32_t *entryEnd)
{
	const auto &f = va.LongSliceFlags.fields;
	const uint32_t type = f.slice_type;
	if (type > kSliceI || va.slice_segment_address >= picture_.headerContext.picSizeInCtbsY ||
	    (type != kSliceI && (va.num_ref_idx_l0_active_minus1 >= kVaRefs ||
				 va.five_minus_max_num_merge_cand > 4)) ||
	    (type == kSliceB && va.num_ref_idx_l1_active_minus1 >= kVaRefs))
		return VA_STATUS_ERROR_INVALID_PARAMETER;
	for (const auto &list : va.RefPicList)
		for (uint8_t ref : list)
			if (ref != kVaNoRef && ref >= kVaRefs)
				return VA_STATUS_ERROR_INVALID_PARAMETER;

	SliceHeaderContext ctx = picture_.headerContext;
	const VAPictureParameterBufferHEVC &pic = picture_.va;
	if (picture_.scc.screen_content_pic_fields.bits.pps_curr_pic_ref_enabled_flag) {
		// The current picture in a list has no weights (7.3.6.3); VA names it by its POC.
		for (uint32_t i = 0; i < kVaRefs; i++) {
			uint8_t r0 = va.RefPicList[0][i], r1 = va.RefPicList[1][i];
			int32_t poc = pic.CurrPic.pic_order_cnt;
			if (r0 != kVaNoRef && pic.ReferenceFrames[r0].pic_order_cnt == poc)
				ctx.currentPicInL0 |= 1u << i;
			if (r1 != kVaNoRef && pic.ReferenceFrames[r1].pic_order_cnt == poc)
				ctx.currentPicInL1 |= 1u << i;
		}
	}
	// Entry points accumulate only when the device takes them; else the storage is scratch.
	uint32_t start = sendEntryPoints_ ? *entryEnd : 0;
	uint32_t room = kEntryPointStorage - start;
	if (sendEntryPoints_) {
		uint32_t inUnit = sliceBased_ ? 0 : start - entryStart_[0];
		room = std::min(room, kMaxEntryPointsPerUnit - std::min(kMaxEntryPointsPerUnit,
									 inUnit));
	}
	SliceHeader h;
	switch (parseSliceHeader(nal, va.slice_data_size, ctx, &h,
				 std::span<uint32_t>(entryPoints_.data() + start, room))) {
	case ParseStatus::Ok:
		break;
	case ParseStatus::TooManyEntryPoints:
		return VA_STATUS_ERROR_MAX_NUM_EXCEEDED;
	case ParseStatus::Truncated:
	case ParseStatus::Invalid:
		return VA_STATUS_ERROR_INVALID_BUFFER;
	}
	// VA's view of the header must agree with the bitstream's (its offset may count the
	// emulation-prevention bytes, or be 0 when the consumer leaves it out).
	if ((va.slice_data_byte_offset && va.slice_data_byte_offset != h.headerBytes &&
	     va.slice_data_byte_offset != h.headerRawBytes) ||
	    f.dependent_slice_segment_flag != h.dependentSliceSegment ||
	    (!h.dependentSliceSegment && type != h.sliceType))
		return VA_STATUS_ERROR_INVALID_PARAMETER;

	fillSliceParams(va, h, &slices_[index]);
	std::array<uint8_t, 2 * kVaRefs> &refs = refLists_[index];
	memcpy(refs.data(), va.RefPicList, sizeof(va.RefPicList));
	if (type == kSliceI)
		refs.fill(kVaNoRef);
	else if (type == kSliceP)
		std::fill(refs.begin() + kVaRefs, refs.end(), kVaNoRef);
	if (index == 0)
		firstHeader_ = h;
	if (sendEntryPoints_)
		*entryEnd = start + h.numEntryPointOffsets;
	entryStart_[index + 1] = sendEntryPoints_ ? *entryEnd : 0;
	return VA_STATUS_SUCCESS;
}

// as GStreamer's gst_v4l2_codec_h265_dec_fill_slice_params, from VA's slice parameters.
void HevcState::fillSliceParams(const VASliceParameterBufferHEVC &va, const SliceHeader &h,
				struct v4l2_ctrl_hevc_slice_params *out) const
{
	const auto &f = va.LongSliceFlags.fields;
	const uint32_t type = f.slice_type;
	const uint32_t startCode = annexB_ ? sizeof(kStartCode) : 0;
	struct v4l2_ctrl_hevc_slice_params &s = *out;
	s = {};
	// Sizes and offsets count from the slice's own start code (GStreamer; the uAPI's "current
	// slice data"). data_byte_offset is in RBSP bytes: CE:cedrus_h265_setup skips it with the
	// VLD reader, which drops emulation-prevention bytes.
	s.bit_size = (startCode + va.slice_data_size) * 8;
	s.data_byte_offset = startCode + h.headerBytes;
	s.num_entry_point_offsets = h.numEntryPointOffsets;
	s.nal_unit_type = h.nalUnitType;
	s.nuh_temporal_id_plus1 = h.temporalIdPlus1;
	s.slice_type = static_cast<uint8_t>(type);
	s.colour_plane_id = static_cast<uint8_t>(f.color_plane_id);
	s.slice_pic_order_cnt = picture_.va.CurrPic.pic_order_cnt;	// PicOrderCntVal (both)
	if (type != kSliceI) {
		s.num_ref_idx_l0_active_minus1 = va.num_ref_idx_l0_active_minus1;
		s.five_minus_max_num_merge_cand = va.five_minus_max_num_merge_cand;
	}
	if (type == kSliceB)
		s.num_ref_idx_l1_active_minus1 = va.num_ref_idx_l1_active_minus1;
	// ffmpeg's VA path puts 0xff there without temporal MVP; V4L2 wants an index.
	if (f.slice_temporal_mvp_enabled_flag && type != kSliceI &&
	    va.collocated_ref_idx <= (f.collocated_from_l0_flag ? s.num_ref_idx_l0_active_minus1
								 : s.num_ref_idx_l1_active_minus1))
		s.collocated_ref_idx = va.collocated_ref_idx;
	s.slice_qp_delta = va.slice_qp_delta;
	s.slice_cb_qp_offset = va.slice_cb_qp_offset;
	s.slice_cr_qp_offset = va.slice_cr_qp_offset;
	s.slice_act_y_qp_offset = static_cast<int8_t>(h.sliceActYQpOffset);
	s.slice_act_cb_qp_offset = static_cast<int8_t>(h.sliceActCbQpOffset);
	s.slice_act_cr_qp_offset = static_cast<int8_t>(h.sliceActCrQpOffset);
	s.slice_beta_offset_div2 = va.slice_beta_offset_div2;
	s.slice_tc_offset_div2 = va.slice_tc_offset_div2;
	s.slice_segment_addr = va.slice_segment_address;
	s.short_term_ref_pic_set_size = static_cast<uint16_t>(h.shortTermRefPicSetBits);
	s.long_term_ref_pic_set_size = static_cast<uint16_t>(h.longTermRefPicSetBits);
	const auto &pf = picture_.va.pic_fields.bits;
	if ((type == kSliceP && pf.weighted_pred_flag) ||
	    (type == kSliceB && pf.weighted_bipred_flag)) {
		struct v4l2_hevc_pred_weight_table &w = s.pred_weight_table;
		w.luma_log2_weight_denom = va.luma_log2_weight_denom;
		w.delta_chroma_log2_weight_denom = va.delta_chroma_log2_weight_denom;
		for (uint32_t i = 0; i < kVaRefs; i++) {
			w.delta_luma_weight_l0[i] = va.delta_luma_weight_l0[i];
			w.luma_offset_l0[i] = va.luma_offset_l0[i];
			w.delta_luma_weight_l1[i] = va.delta_luma_weight_l1[i];
			w.luma_offset_l1[i] = va.luma_offset_l1[i];
			for (int j = 0; j < 2; j++) {
				w.delta_chroma_weight_l0[i][j] = va.delta_chroma_weight_l0[i][j];
				w.chroma_offset_l0[i][j] = va.ChromaOffsetL0[i][j];
				w.delta_chroma_weight_l1[i][j] = va.delta_chroma_weight_l1[i][j];
				w.chroma_offset_l1[i][j] = va.ChromaOffsetL1[i][j];
			}
		}
	}
	const std::pair<bool, uint64_t> map[] = {
		{f.slice_sao_luma_flag, V4L2_HEVC_SLICE_PARAMS_FLAG_SLICE_SAO_LUMA},
		{f.slice_sao_chroma_flag, V4L2_HEVC_SLICE_PARAMS_FLAG_SLICE_SAO_CHROMA},
		{f.slice_temporal_mvp_enabled_flag,
		 V4L2_HEVC_SLICE_PARAMS_FLAG_SLICE_TEMPORAL_MVP_ENABLED},
		{f.mvd_l1_zero_flag, V4L2_HEVC_SLICE_PARAMS_FLAG_MVD_L1_ZERO},
		{f.cabac_init_flag, V4L2_HEVC_SLICE_PARAMS_FLAG_CABAC_INIT},
		{f.collocated_from_l0_flag, V4L2_HEVC_SLICE_PARAMS_FLAG_COLLOCATED_FROM_L0},
		{h.useIntegerMv, V4L2_HEVC_SLICE_PARAMS_FLAG_USE_INTEGER_MV},
		{f.slice_deblocking_filter_disabled_flag,
		 V4L2_HEVC_SLICE_PARAMS_FLAG_SLICE_DEBLOCKING_FILTER_DISABLED},
		{f.slice_loop_filter_across_slices_enabled_flag,
		 V4L2_HEVC_SLICE_PARAMS_FLAG_SLICE_LOOP_FILTER_ACROSS_SLICES_ENABLED},
		{f.dependent_slice_segment_flag,
		 V4L2_HEVC_SLICE_PARAMS_FLAG_DEPENDENT_SLICE_SEGMENT},
	};
	for (const auto &[set, flag] : map)
		if (set)
			s.flags |= flag;
}

// as ffmpeg's v4l2_request_hevc.c:fill_decode_params, from VA's ReferenceFrames[].
void HevcState::fillDecodeParams(const ReferenceResolver &refs, DpbIndex *dpbIndex)
{
	const VAPictureParameterBufferHEVC &pic = picture_.va;
	struct v4l2_ctrl_hevc_decode_params &d = decode_;
	d = {};
	d.pic_order_cnt_val = pic.CurrPic.pic_order_cnt;
	d.short_term_ref_pic_set_size = static_cast<uint16_t>(firstHeader_.shortTermRefPicSetBits);
	d.long_term_ref_pic_set_size = static_cast<uint16_t>(firstHeader_.longTermRefPicSetBits);
	d.num_delta_pocs_of_ref_rps_idx =
		static_cast<uint8_t>(firstHeader_.numDeltaPocsOfRefRpsIdx);
	if (isIrap(firstHeader_.nalUnitType))
		d.flags |= V4L2_HEVC_DECODE_PARAM_FLAG_IRAP_PIC;
	if (isIdr(firstHeader_.nalUnitType))
		d.flags |= V4L2_HEVC_DECODE_PARAM_FLAG_IDR_PIC;
	if (firstHeader_.noOutputOfPriorPics)
		d.flags |= V4L2_HEVC_DECODE_PARAM_FLAG_NO_OUTPUT_OF_PRIOR;

	// The DPB: every valid reference whose surface resolves; the others are left out.
	dpbIndex->fill(0);
	uint8_t order[3][kVaRefs];	// VA indices of StCurrBefore, StCurrAfter, LtCurr
	uint8_t counts[3] = {};
	for (uint32_t i = 0; i < kVaRefs; i++) {
		const VAPictureHEVC &ref = pic.ReferenceFrames[i];
		if ((ref.flags & VA_PICTURE_HEVC_INVALID) || ref.picture_id == VA_INVALID_SURFACE)
			continue;
		uint64_t timestamp = 0;
		if (refs.timestampOf(ref.picture_id, &timestamp)) {
			struct v4l2_hevc_dpb_entry &e = d.dpb[d.num_active_dpb_entries];
			e.timestamp = timestamp;
			e.pic_order_cnt_val = ref.pic_order_cnt;
			e.field_pic = (ref.flags & VA_PICTURE_HEVC_FIELD_PIC) ? 1 : 0;
			if (ref.flags & VA_PICTURE_HEVC_LONG_TERM_REFERENCE)
				e.flags = V4L2_HEVC_DPB_ENTRY_LONG_TERM_REFERENCE;
			(*dpbIndex)[i] = d.num_active_dpb_entries++;
		}
		// An RPS reference that did not resolve keeps its place in the lists (their lengths
		// are NumPicTotalCurr, which the slice syntax depends on) as entry 0, like ffmpeg's
		// get_ref_pic_index.
		if (ref.flags & VA_PICTURE_HEVC_RPS_ST_CURR_BEFORE)
			order[0][counts[0]++] = static_cast<uint8_t>(i);
		else if (ref.flags & VA_PICTURE_HEVC_RPS_ST_CURR_AFTER)
			order[1][counts[1]++] = static_cast<uint8_t>(i);
		else if (ref.flags & VA_PICTURE_HEVC_RPS_LT_CURR)
			order[2][counts[2]++] = static_cast<uint8_t>(i);
	}
	// VA gives the RPS as flags, in DPB order. The spec's order (8.3.2): StCurrBefore by
	// decreasing POC, StCurrAfter by increasing POC (the delta POCs are strictly monotonic),
	// LtCurr as the slice header lists it, which RefPicList0 shows when not modified.
	auto poc = [&](uint8_t i) { return pic.ReferenceFrames[i].pic_order_cnt; };
	auto later = [&](uint8_t a, uint8_t b) { return poc(a) > poc(b); };
	auto earlier = [&](uint8_t a, uint8_t b) { return poc(a) < poc(b); };
	std::sort(order[0], order[0] + counts[0], later);
	std::sort(order[1], order[1] + counts[1], earlier);
	uint32_t firstInter = 0;
	while (firstInter < sliceCount_ && slices_[firstInter].slice_type == kSliceI)
		firstInter++;
	if (firstInter < sliceCount_ && counts[2] > 1) {
		uint8_t sorted[kVaRefs];
		uint32_t n = 0;
		auto has = [](const uint8_t *b, uint32_t len, uint8_t v) {
			return std::find(b, b + len, v) != b + len;
		};
		for (uint8_t r : refLists_[firstInter])
			if (has(order[2], counts[2], r) && !has(sorted, n, r))
				sorted[n++] = r;
		for (uint32_t k = 0; k < counts[2]; k++)
			if (!has(sorted, n, order[2][k]))
				sorted[n++] = order[2][k];
		std::copy(sorted, sorted + counts[2], order[2]);
	}
	uint8_t *lists[3] = {d.poc_st_curr_before, d.poc_st_curr_after, d.poc_lt_curr};
	for (int l = 0; l < 3; l++)
		for (uint32_t k = 0; k < counts[l]; k++)
			lists[l][k] = (*dpbIndex)[order[l][k]];
	d.num_poc_st_curr_before = counts[0];
	d.num_poc_st_curr_after = counts[1];
	d.num_poc_lt_curr = counts[2];
}

void HevcState::fillReferenceIndices(uint32_t slice, const DpbIndex &dpbIndex)
{
	// Holes and unresolved references become entry 0: drivers index dpb[] with these
	// (RKM:assemble_sw_rps), and an out-of-range index would read past it.
	struct v4l2_ctrl_hevc_slice_params &s = slices_[slice];
	const std::array<uint8_t, 2 * kVaRefs> &va = refLists_[slice];
	for (uint32_t i = 0; i < kVaRefs; i++) {
		s.ref_idx_l0[i] = va[i] == kVaNoRef ? 0 : dpbIndex[va[i]];
		s.ref_idx_l1[i] = va[kVaRefs + i] == kVaNoRef ? 0 : dpbIndex[va[kVaRefs + i]];
	}
}

const VAProfile kHevcProfiles[] = {VAProfileHEVCMain, VAProfileHEVCMain10};

/// About a byte per pixel (a 10-bit 4:2:0 picture at the smallest compression ratio the
/// levels allow), at least 2 MiB (ffmpeg's v4l2-request uses 4 MiB for every size).
uint32_t hevcOutputBufferSize(uint32_t width, uint32_t height)
{
	const uint64_t ctbAligned = uint64_t{(width + 63) & ~63u} * ((height + 63) & ~63u);
	return static_cast<uint32_t>(std::clamp<uint64_t>(ctbAligned, 2u << 20, 1u << 30));
}

bool hevcProfileSupported(VAProfile profile, const DeviceCaps &caps)
{
	if (profile == VAProfileHEVCMain10)
		return caps.canCapture(V4L2_PIX_FMT_NV15) || caps.canCapture(V4L2_PIX_FMT_P010);
	return profile == VAProfileHEVCMain;
}

std::unique_ptr<CodecState> createHevc(VAProfile, const DeviceCaps &caps, uint32_t, uint32_t)
{
	return std::make_unique<HevcState>(caps);
}

} // namespace

extern const CodecDescriptor kHevcCodec;
const CodecDescriptor kHevcCodec = {
	"hevc", V4L2_PIX_FMT_HEVC_SLICE, kHevcProfiles, hevcOutputBufferSize, hevcProfileSupported,
	createHevc, V4L2_CID_STATELESS_HEVC_DECODE_MODE, V4L2_CID_STATELESS_HEVC_START_CODE,
};
V4L2VA_REGISTER_CODEC(kHevcCodec);

} // namespace v4l2va
