// SPDX-License-Identifier: MIT
// VP8 (RFC 6386): VA picture / probability / IQ matrix / slice buffers -> one
// V4L2_CID_STATELESS_VP8_FRAME control, and the whole frame into the OUTPUT buffer.
//
// The drivers want the frame as it was coded: hantro locates the partitions from the frame
// start, 3 (inter) or 10 (key frame) bytes of uncompressed header, then first_part_size bytes
// of first partition, the 3-byte DCT partition sizes and the partitions
// (hantro_g1_vp8_dec.c:cfg_parts). VA consumers differ in what they hand over: FFmpeg's
// slice data starts after the uncompressed header (vaapi_vp8_decode_slice), GStreamer's is the
// whole frame with slice_data_offset pointing past the header (gstvavp8dec.c _add_slice).
// The header is therefore always rebuilt from the VA parameters (MX vp8.cc prefix_data
// rebuilds it too), taking show_frame and the scaling bits, which VA does not carry, from the
// original header when the consumer passed it.
#include "registry.h"

#include <va/va.h>
#include <va/va_dec_vp8.h>

#include <algorithm>

namespace v4l2va {

namespace {

constexpr VAProfile kProfiles[] = {VAProfileVP8Version0_3};

constexpr uint32_t kMaxDimension = (1u << 14) - 1;	///< 14-bit width/height fields
constexpr uint32_t kMaxFirstPartSize = (1u << 19) - 1;	///< 19-bit frame tag field
constexpr size_t kKeyHeaderSize = 10, kInterHeaderSize = 3;
constexpr uint8_t kStartCode[3] = {0x9d, 0x01, 0x2a};

/// What the rebuilt uncompressed header says; endPicture checks the picture still agrees.
struct FrameHeader {
	bool key = false;
	bool show = true;
	uint8_t version = 0;
	uint8_t horizontalScale = 0, verticalScale = 0;
	uint32_t width = 0, height = 0;
	uint32_t firstPartSize = 0;
};

class Vp8State final : public CodecState {
public:
	void beginPicture() override
	{
		havePicture_ = haveProbabilities_ = haveMatrix_ = haveSliceParameters_ = false;
		haveSlice_ = ended_ = false;
	}

	VAStatus render(const BufferView &buffer, BitstreamSink &bitstream) override
	{
		switch (buffer.type) {
		case VAPictureParameterBufferType:
			return renderPicture(buffer);
		case VAProbabilityBufferType:
			return copyElement(buffer, &probabilities_, &haveProbabilities_);
		case VAIQMatrixBufferType:
			return renderMatrix(buffer);
		case VASliceParameterBufferType:
			return renderSliceParameters(buffer);
		case VASliceDataBufferType:
			return renderSliceData(buffer, bitstream);
		default:
			return VA_STATUS_SUCCESS;
		}
	}

	VAStatus endPicture(SequenceInfo *sequence) override;

	VAStatus unitControls(unsigned unit, const ReferenceResolver &refs, uint64_t,
			      UnitControls *out) override;

	/// VP8 has no sequence header; every driver decodes it to 8-bit 4:2:0.
	void sequenceControls(UnitControls *) override {}

	void pictureSubmitted() override
	{
		if (ended_ && header_.key) {
			keyHorizontalScale_ = header_.horizontalScale;
			keyVerticalScale_ = header_.verticalScale;
		}
	}

private:
	template<typename T>
	static VAStatus copyElement(const BufferView &buffer, T *dst, bool *have)
	{
		const T *src = buffer.data ? buffer.element<T>() : nullptr;
		if (!src)
			return VA_STATUS_ERROR_INVALID_BUFFER;
		*dst = *src;
		*have = true;
		return VA_STATUS_SUCCESS;
	}

	VAStatus renderPicture(const BufferView &buffer)
	{
		const auto *p =
			buffer.data ? buffer.element<VAPictureParameterBufferVP8>() : nullptr;
		if (!p)
			return VA_STATUS_ERROR_INVALID_BUFFER;
		if (!p->frame_width || !p->frame_height || p->frame_width > kMaxDimension ||
		    p->frame_height > kMaxDimension)
			return VA_STATUS_ERROR_INVALID_PARAMETER;
		picture_ = *p;
		havePicture_ = true;
		return VA_STATUS_SUCCESS;
	}

	VAStatus renderMatrix(const BufferView &buffer)
	{
		const auto *m = buffer.data ? buffer.element<VAIQMatrixBufferVP8>() : nullptr;
		if (!m)
			return VA_STATUS_ERROR_INVALID_BUFFER;
		for (const auto &segment : m->quantization_index)
			for (uint16_t q : segment)
				if (q > 127)
					return VA_STATUS_ERROR_INVALID_PARAMETER;
		matrix_ = *m;
		haveMatrix_ = true;
		return VA_STATUS_SUCCESS;
	}

	VAStatus renderSliceParameters(const BufferView &buffer)
	{
		const auto *s = buffer.data ? buffer.element<VASliceParameterBufferVP8>() : nullptr;
		if (!s)
			return VA_STATUS_ERROR_INVALID_BUFFER;
		// One frame, one slice.
		if (buffer.numElements != 1 || haveSlice_)
			return VA_STATUS_ERROR_INVALID_PARAMETER;
		switch (s->num_of_partitions) {
		case 2: case 3: case 5: case 9:
			break;
		default:
			return VA_STATUS_ERROR_INVALID_PARAMETER;
		}
		if (s->slice_data_flag != VA_SLICE_DATA_FLAG_ALL)
			return VA_STATUS_ERROR_INVALID_PARAMETER;
		slice_ = *s;
		haveSliceParameters_ = true;
		return VA_STATUS_SUCCESS;
	}

	VAStatus renderSliceData(const BufferView &buffer, BitstreamSink &bitstream);

	bool havePicture_ = false, haveProbabilities_ = false, haveMatrix_ = false;
	bool haveSliceParameters_ = false, haveSlice_ = false, ended_ = false;
	VAPictureParameterBufferVP8 picture_{};
	VAProbabilityDataBufferVP8 probabilities_{};
	VAIQMatrixBufferVP8 matrix_{};
	VASliceParameterBufferVP8 slice_{};
	FrameHeader header_;
	/// Scaling of the last key frame: inter frames keep it (RFC 6386 9.1).
	uint8_t keyHorizontalScale_ = 0, keyVerticalScale_ = 0;
	struct v4l2_ctrl_vp8_frame frame_{};
};

/// The original uncompressed header right before the partitions, if the consumer passed it:
/// the frame tag's key bit agrees with VA and, on key frames, the start code is there.
const uint8_t *originalHeader(const uint8_t *data, uint32_t partitionsOffset, bool key)
{
	size_t size = key ? kKeyHeaderSize : kInterHeaderSize;
	if (partitionsOffset < size)
		return nullptr;
	const uint8_t *h = data + partitionsOffset - size;
	if ((h[0] & 1) != (key ? 0 : 1))
		return nullptr;
	if (key && memcmp(h + 3, kStartCode, sizeof(kStartCode)) != 0)
		return nullptr;
	return h;
}

/// RFC 6386 9.1: frame tag (key bit inverted, version, show_frame, 19-bit first_part_size),
/// then on key frames the start code and 14-bit width/height with 2-bit scaling each.
size_t writeHeader(const FrameHeader &h, uint8_t *out)
{
	uint32_t tag = (h.key ? 0u : 1u) | (h.version & 7u) << 1 | (h.show ? 1u : 0u) << 4 |
		       h.firstPartSize << 5;
	out[0] = tag & 0xff;
	out[1] = (tag >> 8) & 0xff;
	out[2] = (tag >> 16) & 0xff;
	if (!h.key)
		return kInterHeaderSize;
	memcpy(out + 3, kStartCode, sizeof(kStartCode));
	uint32_t w = h.width | static_cast<uint32_t>(h.horizontalScale) << 14;
	uint32_t ht = h.height | static_cast<uint32_t>(h.verticalScale) << 14;
	out[6] = w & 0xff;
	out[7] = (w >> 8) & 0xff;
	out[8] = ht & 0xff;
	out[9] = (ht >> 8) & 0xff;
	return kKeyHeaderSize;
}

VAStatus Vp8State::renderSliceData(const BufferView &buffer, BitstreamSink &bitstream)
{
	if (!buffer.data)
		return VA_STATUS_ERROR_INVALID_BUFFER;
	// The header is rebuilt from the picture and slice parameters, so both come first (as
	// every consumer sends them).
	if (!havePicture_ || !haveSliceParameters_ || haveSlice_)
		return VA_STATUS_ERROR_INVALID_PARAMETER;
	const VASliceParameterBufferVP8 &s = slice_;
	if (s.slice_data_offset > buffer.size())
		return VA_STATUS_ERROR_INVALID_BUFFER;
	// GStreamer counts the header in slice_data_size although the partitions start at
	// slice_data_offset: what follows the offset in this buffer is what there is.
	size_t available = std::min<size_t>(s.slice_data_size, buffer.size() - s.slice_data_offset);

	// VA's partition_size[0] is the first partition less the header bytes already parsed
	// (FFmpeg and GStreamer both subtract (macroblock_offset + 7) / 8).
	uint64_t firstPartSize = static_cast<uint64_t>(s.partition_size[0]) +
				 (static_cast<uint64_t>(s.macroblock_offset) + 7) / 8;
	unsigned dctParts = s.num_of_partitions - 1u;
	uint64_t needed = firstPartSize + 3u * (dctParts - 1);
	for (unsigned i = 1; i <= dctParts; i++)
		needed += s.partition_size[i];
	if (firstPartSize > kMaxFirstPartSize)
		return VA_STATUS_ERROR_INVALID_PARAMETER;
	if (needed > available)
		return VA_STATUS_ERROR_INVALID_BUFFER;

	FrameHeader h;
	h.key = picture_.pic_fields.bits.key_frame == 0;	// VA: 0 means key frame
	h.version = static_cast<uint8_t>(picture_.pic_fields.bits.version);
	h.width = picture_.frame_width;
	h.height = picture_.frame_height;
	h.firstPartSize = static_cast<uint32_t>(firstPartSize);
	if (const uint8_t *orig = originalHeader(buffer.data, s.slice_data_offset, h.key)) {
		h.show = (orig[0] >> 4) & 1;
		if (h.key) {
			h.horizontalScale = orig[7] >> 6;
			h.verticalScale = orig[9] >> 6;
		}
	}

	uint8_t header[kKeyHeaderSize];
	size_t headerSize = writeHeader(h, header);
	uint8_t *dst = bitstream.reserve(headerSize + available);
	if (!dst)
		return VA_STATUS_ERROR_NOT_ENOUGH_BUFFER;
	memcpy(dst, header, headerSize);
	memcpy(dst + headerSize, buffer.data + s.slice_data_offset, available);
	bitstream.commit(headerSize + available);
	header_ = h;
	haveSlice_ = true;
	return VA_STATUS_SUCCESS;
}

/// VA's IQ matrix holds the per-segment indices after the deltas were added and clipped;
/// V4L2 wants the deltas. A segment whose value was not clipped gives the delta exactly.
int8_t quantDelta(const VAIQMatrixBufferVP8 &m, unsigned segments, unsigned index)
{
	unsigned chosen = 0;
	for (unsigned i = 0; i < segments; i++) {
		if (m.quantization_index[i][index] > 0 && m.quantization_index[i][index] < 127) {
			chosen = i;
			break;
		}
	}
	int delta = static_cast<int>(m.quantization_index[chosen][index]) -
		    static_cast<int>(m.quantization_index[chosen][0]);
	return static_cast<int8_t>(std::clamp(delta, -15, 15));	// 4-bit magnitude + sign
}

VAStatus Vp8State::endPicture(SequenceInfo *sequence)
{
	if (!havePicture_ || !haveSlice_ || !haveProbabilities_ || !haveMatrix_)
		return VA_STATUS_ERROR_INVALID_PARAMETER;
	const VAPictureParameterBufferVP8 &p = picture_;
	const auto &bits = p.pic_fields.bits;
	// Picture parameters rendered again after the slice must not contradict its header.
	if ((bits.key_frame == 0) != header_.key || bits.version != header_.version ||
	    p.frame_width != header_.width || p.frame_height != header_.height)
		return VA_STATUS_ERROR_INVALID_PARAMETER;
	bool key = header_.key;
	bool segmentation = bits.segmentation_enabled;

	// as FFmpeg's v4l2_request_vp8_decode_slice / GStreamer's gst_v4l2_codec_vp8_dec_fill_*
	frame_ = {};
	struct v4l2_vp8_segment &seg = frame_.segment;
	seg.flags = (segmentation ? V4L2_VP8_SEGMENT_FLAG_ENABLED : 0) |
		    (bits.update_mb_segmentation_map ? V4L2_VP8_SEGMENT_FLAG_UPDATE_MAP : 0) |
		    (bits.update_segment_feature_data ? V4L2_VP8_SEGMENT_FLAG_UPDATE_FEATURE_DATA
						      : 0);
	memcpy(seg.segment_probs, p.mb_segment_tree_probs, sizeof(seg.segment_probs));
	// VA gives each segment's final quantiser and filter level, so the segments are passed
	// in absolute mode (DELTA_VALUE_MODE clear), which hantro_g1_vp8_dec.c:cfg_qp / cfg_lf
	// use as they are.
	if (segmentation) {
		for (unsigned i = 0; i < 4; i++) {
			seg.quant_update[i] = static_cast<int8_t>(matrix_.quantization_index[i][0]);
			seg.lf_update[i] = static_cast<int8_t>(p.loop_filter_level[i]);
		}
	}

	struct v4l2_vp8_loop_filter &lf = frame_.lf;
	memcpy(lf.ref_frm_delta, p.loop_filter_deltas_ref_frame, sizeof(lf.ref_frm_delta));
	memcpy(lf.mb_mode_delta, p.loop_filter_deltas_mode, sizeof(lf.mb_mode_delta));
	lf.sharpness_level = static_cast<uint8_t>(bits.sharpness_level);
	// hantro turns filtering off for the frame when level is 0. Without segmentation VA's
	// level[0] is the frame's; with it only the segments' levels exist, and any non-zero
	// value keeps the filter on.
	uint8_t level = p.loop_filter_level[0];
	if (segmentation)
		level = std::max<uint8_t>(1, *std::max_element(p.loop_filter_level,
							       p.loop_filter_level + 4));
	lf.level = bits.loop_filter_disable ? 0 : std::min<uint8_t>(level, 63);
	lf.flags = (bits.loop_filter_adj_enable ? V4L2_VP8_LF_ADJ_ENABLE : 0) |
		   (bits.mode_ref_lf_delta_update ? V4L2_VP8_LF_DELTA_UPDATE : 0) |
		   (bits.filter_type ? V4L2_VP8_LF_FILTER_TYPE_SIMPLE : 0);

	// VA order: yac, ydc, y2dc, y2ac, uvdc, uvac (va_dec_vp8.h).
	unsigned segments = segmentation ? 4 : 1;
	struct v4l2_vp8_quantization &q = frame_.quant;
	q.y_ac_qi = static_cast<uint8_t>(matrix_.quantization_index[0][0]);
	q.y_dc_delta = quantDelta(matrix_, segments, 1);
	q.y2_dc_delta = quantDelta(matrix_, segments, 2);
	q.y2_ac_delta = quantDelta(matrix_, segments, 3);
	q.uv_dc_delta = quantDelta(matrix_, segments, 4);
	q.uv_ac_delta = quantDelta(matrix_, segments, 5);

	struct v4l2_vp8_entropy &e = frame_.entropy;
	static_assert(sizeof(e.coeff_probs) == sizeof(probabilities_.dct_coeff_probs));
	memcpy(e.coeff_probs, probabilities_.dct_coeff_probs, sizeof(e.coeff_probs));
	memcpy(e.y_mode_probs, p.y_mode_probs, sizeof(e.y_mode_probs));
	memcpy(e.uv_mode_probs, p.uv_mode_probs, sizeof(e.uv_mode_probs));
	static_assert(sizeof(e.mv_probs) == sizeof(p.mv_probs));
	memcpy(e.mv_probs, p.mv_probs, sizeof(e.mv_probs));

	// Both describe the bool decoder right after the first partition's header.
	frame_.coder_state.range = p.bool_coder_ctx.range;
	frame_.coder_state.value = p.bool_coder_ctx.value;
	frame_.coder_state.bit_count = p.bool_coder_ctx.count;

	frame_.width = static_cast<uint16_t>(p.frame_width);
	frame_.height = static_cast<uint16_t>(p.frame_height);
	frame_.horizontal_scale = key ? header_.horizontalScale : keyHorizontalScale_;
	frame_.vertical_scale = key ? header_.verticalScale : keyVerticalScale_;
	// Versions 4..7 are experimental (FFmpeg: version = profile & 3, EXPERIMENTAL = & 4).
	frame_.version = bits.version & 3;
	frame_.prob_skip_false = p.prob_skip_false;
	frame_.prob_intra = p.prob_intra;
	frame_.prob_last = p.prob_last;
	frame_.prob_gf = p.prob_gf;
	frame_.num_dct_parts = static_cast<uint8_t>(slice_.num_of_partitions - 1);
	frame_.first_part_size = header_.firstPartSize;
	frame_.first_part_header_bits = slice_.macroblock_offset;
	for (unsigned i = 0; i < frame_.num_dct_parts; i++)
		frame_.dct_part_sizes[i] = slice_.partition_size[i + 1];

	frame_.flags = (key ? V4L2_VP8_FRAME_FLAG_KEY_FRAME : 0) |
		       ((bits.version & 4) ? V4L2_VP8_FRAME_FLAG_EXPERIMENTAL : 0) |
		       (header_.show ? V4L2_VP8_FRAME_FLAG_SHOW_FRAME : 0) |
		       (bits.mb_no_coeff_skip ? V4L2_VP8_FRAME_FLAG_MB_NO_SKIP_COEFF : 0) |
		       (bits.sign_bias_golden ? V4L2_VP8_FRAME_FLAG_SIGN_BIAS_GOLDEN : 0) |
		       (bits.sign_bias_alternate ? V4L2_VP8_FRAME_FLAG_SIGN_BIAS_ALT : 0);

	if (sequence) {
		*sequence = {};
		sequence->codedWidth = p.frame_width;
		sequence->codedHeight = p.frame_height;
		sequence->bitDepth = 8;
		sequence->chromaFormatIdc = 1;
	}
	ended_ = true;
	return VA_STATUS_SUCCESS;
}

VAStatus Vp8State::unitControls(unsigned unit, const ReferenceResolver &refs, uint64_t,
				UnitControls *out)
{
	if (!ended_)
		return VA_STATUS_ERROR_OPERATION_FAILED;
	if (unit != 0)
		return VA_STATUS_ERROR_INVALID_PARAMETER;	// one frame, one request
	if (out->count + 1 > kMaxControls)
		return VA_STATUS_ERROR_MAX_NUM_EXCEEDED;
	// A key frame predicts from nothing: 0, V4L2's "no reference", whatever VA names (FFmpeg
	// may still name the previous frames there). An inter frame's reference that names no
	// decoded surface is 0 too: hantro then predicts from the destination buffer
	// (hantro_g1_vp8_dec.c:cfg_ref); the stream was broken anyway.
	if (!header_.key) {
		uint64_t ts = 0;
		frame_.last_frame_ts = refs.timestampOf(picture_.last_ref_frame, &ts) ? ts : 0;
		frame_.golden_frame_ts = refs.timestampOf(picture_.golden_ref_frame, &ts) ? ts : 0;
		frame_.alt_frame_ts = refs.timestampOf(picture_.alt_ref_frame, &ts) ? ts : 0;
	}

	out->add(V4L2_CID_STATELESS_VP8_FRAME, &frame_, sizeof(frame_));
	return VA_STATUS_SUCCESS;
}

uint32_t outputBufferSize(uint32_t width, uint32_t height)
{
	// The raw frame size bounds any sensible coded frame; 2 MiB is FFmpeg's floor
	// (v4l2_request_vp8_init).
	uint64_t raw = static_cast<uint64_t>(width) * height * 3 / 2;
	return static_cast<uint32_t>(std::clamp<uint64_t>(raw, 2u << 20, 256u << 20));
}

std::unique_ptr<CodecState> create(VAProfile, const DeviceCaps &, uint32_t, uint32_t)
{
	return std::make_unique<Vp8State>();
}

} // namespace

extern const CodecDescriptor kVp8Codec;
const CodecDescriptor kVp8Codec = {
	"vp8", V4L2_PIX_FMT_VP8_FRAME, kProfiles, outputBufferSize, nullptr, create,
};
V4L2VA_REGISTER_CODEC(kVp8Codec);

} // namespace v4l2va
