// SPDX-License-Identifier: MIT
// H.264: VA picture, IQ matrix and slice buffers -> the V4L2 stateless H.264 controls (SPS, PPS,
// SCALING_MATRIX, DECODE_PARAMS, and per slice SLICE_PARAMS / PRED_WEIGHTS in slice-based
// mode) and the OUTPUT bitstream: slice NAL units as the consumer passed them (from the NAL
// header byte), with an Annex B start code when the device wants one. What VA leaves out comes
// from the slice headers (h264_slice_header.cpp); the field mapping is in h264_controls.cpp.
#include "h264_controls.h"
#include "h264_slice_header.h"
#include "registry.h"

#include <iterator>

namespace v4l2va {

namespace {

using namespace h264;

const VAProfile kProfiles[] = {VAProfileH264ConstrainedBaseline, VAProfileH264Main,
			       VAProfileH264High};

const uint8_t kStartCode[] = {0x00, 0x00, 0x01};
// Slices per picture (slice-based) or per slice parameter buffer: a slice has at least one
// macroblock; the bound keeps slice-based storage (SLICE_PARAMS + PRED_WEIGHTS) near 1 MiB.
constexpr unsigned kMinSliceCapacity = 32;
constexpr unsigned kMaxSliceCapacity = 1024;

/// What render() keeps of one VA slice parameter element until its slice data arrives.
struct PendingSlice {
	uint32_t offset = 0;
	uint32_t size = 0;
	uint8_t sliceType = 0;		///< slice_type % 5
	uint8_t numRefIdxL0ActiveMinus1 = 0;
	uint8_t numRefIdxL1ActiveMinus1 = 0;
};

/// num_ref_idx_l0/l1_default_active_minus1 of a PPS as learnt from slices (-1: unknown).
struct RefIdxDefaults {
	int8_t l0 = -1;
	int8_t l1 = -1;
};

class H264State final : public CodecState {
public:
	H264State(VAProfile profile, const DeviceCaps &caps, uint32_t width, uint32_t height);

	void beginPicture() override;
	VAStatus render(const BufferView &buffer, BitstreamSink &bitstream) override;
	VAStatus endPicture(SequenceInfo *sequence) override;
	VAStatus unitControls(unsigned unit, const ReferenceResolver &refs,
			      uint64_t targetTimestampNs, UnitControls *out) override;
	void sequenceControls(UnitControls *out) override;
	void pictureSubmitted() override;

private:
	VAStatus renderPictureParameters(const BufferView &buffer);
	VAStatus renderIqMatrix(const BufferView &buffer);
	VAStatus renderSliceParameters(const BufferView &buffer);
	VAStatus renderSliceData(const BufferView &buffer, BitstreamSink &bitstream);
	void acceptSlice(const PendingSlice &pending, const H264SliceHeader &header);
	unsigned unitCount() const { return sliceBased_ ? sliceCount_ : 1; }

	const VAProfile profile_;
	const bool sliceBased_;
	const bool annexB_;
	const bool sendScalingMatrix_;
	const bool sendPredWeights_;
	const unsigned sliceCapacity_;

	VAPictureParameterBufferH264 picture_ = {};
	bool havePicture_ = false;
	VAIQMatrixBufferH264 iqMatrix_ = {};
	bool haveIqMatrix_ = false;

	std::vector<PendingSlice> pending_;
	std::vector<H264SliceHeader> parsed_;	///< the pending slices' headers (scratch)
	unsigned pendingCount_ = 0;
	unsigned sliceCount_ = 0;
	PictureHeaders headers_;
	RefIdxDefaults pictureRefIdxDefaults_;	///< learnt from this picture's slices
	RefIdxDefaults refIdxDefaults_[256];	///< by PPS id, updated by pictureSubmitted()

	// Slice-based mode: the controls of slice i; slots from sliceCount_ on are pending.
	std::vector<struct v4l2_ctrl_h264_slice_params> sliceParams_;
	std::vector<struct v4l2_ctrl_h264_pred_weights> predWeights_;
	std::vector<uint8_t> predWeightsRequired_;

	struct v4l2_ctrl_h264_sps sps_ = {};
	bool haveSps_ = false;
	struct v4l2_ctrl_h264_pps pps_ = {};
	struct v4l2_ctrl_h264_scaling_matrix scalingMatrix_ = {};
	struct v4l2_ctrl_h264_decode_params decodeParams_ = {};
	bool ready_ = false;	///< endPicture() succeeded
};

H264State::H264State(VAProfile profile, const DeviceCaps &caps, uint32_t width, uint32_t height)
	: profile_(profile),
	  sliceBased_(caps.decodeMode == V4L2_STATELESS_H264_DECODE_MODE_SLICE_BASED),
	  // Without a START_CODE control, frame-based devices get Annex B to tell slices apart.
	  annexB_(caps.startCode == V4L2_STATELESS_H264_START_CODE_ANNEX_B ||
		  (caps.startCode < 0 && !sliceBased_)),
	  sendScalingMatrix_(caps.controls.empty() ||
			     caps.hasControl(V4L2_CID_STATELESS_H264_SCALING_MATRIX)),
	  sendPredWeights_(caps.controls.empty() ||
			   caps.hasControl(V4L2_CID_STATELESS_H264_PRED_WEIGHTS)),
	  sliceCapacity_(std::clamp(((width + 15) / 16) * ((height + 15) / 16), kMinSliceCapacity,
				    kMaxSliceCapacity))
{
	pending_.resize(sliceCapacity_);
	parsed_.resize(sliceCapacity_);
	if (sliceBased_) {
		sliceParams_.resize(sliceCapacity_);
		predWeights_.resize(sliceCapacity_);
		predWeightsRequired_.resize(sliceCapacity_);
	}
}

void H264State::beginPicture()
{
	havePicture_ = false;
	haveIqMatrix_ = false;
	pendingCount_ = 0;
	sliceCount_ = 0;
	headers_ = {};
	pictureRefIdxDefaults_ = {};
	ready_ = false;
}

VAStatus H264State::render(const BufferView &buffer, BitstreamSink &bitstream)
{
	switch (buffer.type) {
	case VAPictureParameterBufferType:
		return renderPictureParameters(buffer);
	case VAIQMatrixBufferType:
		return renderIqMatrix(buffer);
	case VASliceParameterBufferType:
		return renderSliceParameters(buffer);
	case VASliceDataBufferType:
		return renderSliceData(buffer, bitstream);
	default:
		return VA_STATUS_SUCCESS;
	}
}

VAStatus H264State::renderPictureParameters(const BufferView &buffer)
{
	const auto *p = buffer.element<VAPictureParameterBufferH264>();
	if (!p)
		return VA_STATUS_ERROR_INVALID_BUFFER;
	if (!pictureParametersValid(*p, profile_))
		return VA_STATUS_ERROR_INVALID_PARAMETER;
	picture_ = *p;
	havePicture_ = true;
	fillSps(picture_, profile_, &sps_);
	haveSps_ = true;
	return VA_STATUS_SUCCESS;
}

VAStatus H264State::renderIqMatrix(const BufferView &buffer)
{
	const auto *m = buffer.element<VAIQMatrixBufferH264>();
	if (!m)
		return VA_STATUS_ERROR_INVALID_BUFFER;
	iqMatrix_ = *m;
	haveIqMatrix_ = true;
	return VA_STATUS_SUCCESS;
}

VAStatus H264State::renderSliceParameters(const BufferView &buffer)
{
	// Reference lists and slice header syntax depend on the picture parameters, which every
	// consumer renders first.
	if (!havePicture_)
		return VA_STATUS_ERROR_INVALID_PARAMETER;
	const uint32_t n = buffer.numElements;
	if (n == 0 || !buffer.data || !buffer.element<VASliceParameterBufferH264>(0))
		return VA_STATUS_ERROR_INVALID_BUFFER;
	// Slice-based mode keeps every slice's controls; frame-based mode only the pending ones.
	if (n > sliceCapacity_ - (sliceBased_ ? sliceCount_ : 0))
		return VA_STATUS_ERROR_MAX_NUM_EXCEEDED;
	using SliceParameters = VASliceParameterBufferH264;
	for (uint32_t i = 0; i < n; i++) {
		const SliceParameters &s = *buffer.element<SliceParameters>(i);
		if (s.slice_data_flag != VA_SLICE_DATA_FLAG_ALL)
			return VA_STATUS_ERROR_UNIMPLEMENTED;	// split slices: no consumer does it
		if (!sliceParametersValid(picture_, s))
			return VA_STATUS_ERROR_INVALID_PARAMETER;
	}
	for (uint32_t i = 0; i < n; i++) {
		const SliceParameters &s = *buffer.element<SliceParameters>(i);
		PendingSlice &p = pending_[i];
		p.offset = s.slice_data_offset;
		p.size = s.slice_data_size;
		p.sliceType = s.slice_type % 5;
		p.numRefIdxL0ActiveMinus1 = s.num_ref_idx_l0_active_minus1;
		p.numRefIdxL1ActiveMinus1 = s.num_ref_idx_l1_active_minus1;
		if (!sliceBased_)
			continue;
		const unsigned slot = sliceCount_ + i;
		fillSliceParams(picture_, s, &sliceParams_[slot]);
		predWeightsRequired_[slot] =
			sendPredWeights_ && predWeightsRequired(picture_, p.sliceType);
		predWeights_[slot] = {};
		if (predWeightsRequired_[slot])
			fillPredWeights(s, &predWeights_[slot]);
	}
	pendingCount_ = n;
	return VA_STATUS_SUCCESS;
}

VAStatus H264State::renderSliceData(const BufferView &buffer, BitstreamSink &bitstream)
{
	if (pendingCount_ == 0)
		return VA_STATUS_ERROR_INVALID_PARAMETER;	// no slice parameters for it
	const size_t size = buffer.size();
	if (!buffer.data && size)
		return VA_STATUS_ERROR_INVALID_BUFFER;
	const size_t prefix = annexB_ ? sizeof(kStartCode) : 0;
	size_t total = 0;
	// Every slice is checked before any is written, so a bad one leaves nothing behind.
	for (unsigned i = 0; i < pendingCount_; i++) {
		const PendingSlice &p = pending_[i];
		if (p.offset > size || p.size > size - p.offset)
			return VA_STATUS_ERROR_INVALID_PARAMETER;
		H264HeaderSyntax syntax = headerSyntax(picture_, p.numRefIdxL0ActiveMinus1,
						       p.numRefIdxL1ActiveMinus1);
		if (!parseH264SliceHeader(buffer.data + p.offset, p.size, syntax, &parsed_[i]))
			return VA_STATUS_ERROR_INVALID_PARAMETER;
		if (parsed_[i].sliceType != p.sliceType)	// data and parameters disagree
			return VA_STATUS_ERROR_INVALID_PARAMETER;
		total += prefix + p.size;
	}

	if (!sliceBased_) {
		uint8_t *dst = bitstream.reserve(total);
		if (!dst)
			return VA_STATUS_ERROR_NOT_ENOUGH_BUFFER;
		for (unsigned i = 0; i < pendingCount_; i++) {
			memcpy(dst, kStartCode, prefix);
			memcpy(dst + prefix, buffer.data + pending_[i].offset, pending_[i].size);
			dst += prefix + pending_[i].size;
			acceptSlice(pending_[i], parsed_[i]);
		}
		bitstream.commit(total);
		pendingCount_ = 0;
		return VA_STATUS_SUCCESS;
	}

	// Slice-based: one decode unit per slice (as ffmpeg's v4l2_request_h264_decode_slice). A
	// unit that cannot be had or filled ends the buffer there; the slices before it stay, as
	// units cannot be taken back.
	const unsigned count = pendingCount_;
	pendingCount_ = 0;
	for (unsigned i = 0; i < count; i++) {
		const PendingSlice &p = pending_[i];
		if (sliceCount_ > 0) {
			VAStatus status = bitstream.newUnit();
			if (status != VA_STATUS_SUCCESS)
				return status;
		}
		uint8_t *dst = bitstream.reserve(prefix + p.size);
		if (!dst)
			return VA_STATUS_ERROR_NOT_ENOUGH_BUFFER;
		memcpy(dst, kStartCode, prefix);
		memcpy(dst + prefix, buffer.data + p.offset, p.size);
		bitstream.commit(prefix + p.size);
		acceptSlice(p, parsed_[i]);	// its controls were staged at slot sliceCount_
	}
	return VA_STATUS_SUCCESS;
}

/// Records a slice written to the bitstream: per-picture facts and, in slice-based mode, the
/// SLICE_PARAMS fields only the header has.
void H264State::acceptSlice(const PendingSlice &pending, const H264SliceHeader &h)
{
	if (sliceCount_ == 0)
		headers_.first = h;
	headers_.anyP |= isPSlice(h.sliceType);
	headers_.anyB |= isBSlice(h.sliceType);
	// A slice without an override uses the PPS defaults, which VA lacks but frame-based
	// hardware parsing the headers itself needs. All slices of a picture share a PPS (7.4.3).
	if (!h.numRefIdxActiveOverride) {
		if (isPSlice(h.sliceType) || isBSlice(h.sliceType))
			pictureRefIdxDefaults_.l0 = pending.numRefIdxL0ActiveMinus1;
		if (isBSlice(h.sliceType))
			pictureRefIdxDefaults_.l1 = pending.numRefIdxL1ActiveMinus1;
	}
	if (sliceBased_) {
		struct v4l2_ctrl_h264_slice_params &sp = sliceParams_[sliceCount_];
		sp.colour_plane_id = h.colourPlaneId;
		sp.redundant_pic_cnt = h.redundantPicCnt;
		sp.slice_qs_delta = h.sliceQsDelta;
		if (h.spForSwitch)
			sp.flags |= V4L2_H264_SLICE_FLAG_SP_FOR_SWITCH;
	}
	sliceCount_++;
}

VAStatus H264State::endPicture(SequenceInfo *sequence)
{
	if (!havePicture_ || sliceCount_ == 0)
		return VA_STATUS_ERROR_INVALID_PARAMETER;
	// This picture's slices, else an earlier picture with that PPS id; defaults still unknown
	// matter to no slice of this picture (all of them override).
	const H264SliceHeader &first = headers_.first;
	const RefIdxDefaults &now = pictureRefIdxDefaults_;
	const RefIdxDefaults &before = refIdxDefaults_[first.picParameterSetId];
	const uint8_t l0 = now.l0 >= 0 ? now.l0 : before.l0 >= 0 ? before.l0
				       : first.numRefIdxL0ActiveMinus1;
	const uint8_t l1 = now.l1 >= 0 ? now.l1 : before.l1 >= 0 ? before.l1
				       : first.numRefIdxL1ActiveMinus1;
	bool scaling = fillScalingMatrix(haveIqMatrix_ ? &iqMatrix_ : nullptr, &scalingMatrix_);
	fillPps(picture_, first.picParameterSetId, l0, l1, scaling, &pps_);
	if (sequence) {
		const auto &seq = picture_.seq_fields.bits;
		// VA's height counts frame macroblock rows, also for field coding.
		sequence->codedWidth = (picture_.picture_width_in_mbs_minus1 + 1u) * 16;
		sequence->codedHeight = (picture_.picture_height_in_mbs_minus1 + 1u) * 16;
		sequence->bitDepth = 8 + picture_.bit_depth_luma_minus8;
		// Monochrome pictures decode into a 4:2:0 layout.
		sequence->chromaFormatIdc = seq.chroma_format_idc ? seq.chroma_format_idc : 1;
	}
	ready_ = true;
	return VA_STATUS_SUCCESS;
}

VAStatus H264State::unitControls(unsigned unit, const ReferenceResolver &refs,
				 uint64_t targetTimestampNs, UnitControls *out)
{
	if (!ready_ || !out || unit >= unitCount())
		return VA_STATUS_ERROR_INVALID_PARAMETER;
	// Every unit of the picture gets the same DECODE_PARAMS; rebuilding it is cheap.
	fillDecodeParams(picture_, headers_, refs, targetTimestampNs, &decodeParams_);
	out->count = 0;
	out->add(V4L2_CID_STATELESS_H264_SPS, &sps_, sizeof(sps_));
	out->add(V4L2_CID_STATELESS_H264_PPS, &pps_, sizeof(pps_));
	if (sendScalingMatrix_)
		out->add(V4L2_CID_STATELESS_H264_SCALING_MATRIX, &scalingMatrix_,
			 sizeof(scalingMatrix_));
	out->add(V4L2_CID_STATELESS_H264_DECODE_PARAMS, &decodeParams_, sizeof(decodeParams_));
	if (!sliceBased_)
		return VA_STATUS_SUCCESS;	// frame-based decoding has no slice parameters
	out->add(V4L2_CID_STATELESS_H264_SLICE_PARAMS, &sliceParams_[unit],
		 sizeof(sliceParams_[unit]));
	if (predWeightsRequired_[unit])
		out->add(V4L2_CID_STATELESS_H264_PRED_WEIGHTS, &predWeights_[unit],
			 sizeof(predWeights_[unit]));
	return VA_STATUS_SUCCESS;
}

void H264State::sequenceControls(UnitControls *out)
{
	if (!out)
		return;
	out->count = 0;
	if (haveSps_)
		out->add(V4L2_CID_STATELESS_H264_SPS, &sps_, sizeof(sps_));
}

void H264State::pictureSubmitted()
{
	if (!ready_)
		return;
	RefIdxDefaults &d = refIdxDefaults_[headers_.first.picParameterSetId];
	if (pictureRefIdxDefaults_.l0 >= 0)
		d.l0 = pictureRefIdxDefaults_.l0;
	if (pictureRefIdxDefaults_.l1 >= 0)
		d.l1 = pictureRefIdxDefaults_.l1;
}

/// A coded picture is at most PicSizeInMbs * 384 / MinCR bytes (A.3.1, MinCR >= 2), plus room
/// for headers, start codes and emulation prevention: 1080p gets 1.6 MiB, 4K 6.3 MiB.
uint32_t outputBufferSize(uint32_t width, uint32_t height)
{
	const uint64_t mbs = ((width + 15ull) / 16) * ((height + 15ull) / 16);
	uint64_t size = std::max<uint64_t>(mbs * 384 / 2 + 64 * 1024, 1024 * 1024);
	size = (size + 4095) & ~4095ull;
	return static_cast<uint32_t>(std::min<uint64_t>(size, 64ull * 1024 * 1024));
}

bool profileSupported(VAProfile, const DeviceCaps &caps)
{
	const bool sliceBased = caps.decodeMode == V4L2_STATELESS_H264_DECODE_MODE_SLICE_BASED;
	if (caps.decodeMode >= 0 && !sliceBased &&
	    caps.decodeMode != V4L2_STATELESS_H264_DECODE_MODE_FRAME_BASED)
		return false;
	if (caps.controls.empty())
		return true;	// not enumerated: the coded format is all we know
	for (uint32_t id : {V4L2_CID_STATELESS_H264_SPS, V4L2_CID_STATELESS_H264_PPS,
			    V4L2_CID_STATELESS_H264_DECODE_PARAMS})
		if (!caps.hasControl(id))
			return false;
	return !sliceBased || caps.hasControl(V4L2_CID_STATELESS_H264_SLICE_PARAMS);
}

std::unique_ptr<CodecState> create(VAProfile profile, const DeviceCaps &caps, uint32_t width,
				   uint32_t height)
{
	if (std::find(std::begin(kProfiles), std::end(kProfiles), profile) == std::end(kProfiles))
		return nullptr;
	return std::make_unique<H264State>(profile, caps, width, height);
}

} // namespace

extern const CodecDescriptor kH264Codec;
const CodecDescriptor kH264Codec = {
	"h264", V4L2_PIX_FMT_H264_SLICE, kProfiles, outputBufferSize, profileSupported, create,
	V4L2_CID_STATELESS_H264_DECODE_MODE, V4L2_CID_STATELESS_H264_START_CODE,
};
V4L2VA_REGISTER_CODEC(kH264Codec);

} // namespace v4l2va
