// SPDX-License-Identifier: MIT
// MPEG-2 (ISO/IEC 13818-2): VA picture / IQ matrix / slice buffers -> the three stateless
// MPEG-2 controls, and the picture's slices, start codes included, into one OUTPUT buffer.
//
// Hantro and cedrus parse the OUTPUT buffer from its first byte, slice start codes and all
// (hantro_g1_mpeg2_dec.c:hantro_g1_mpeg2_dec_run starts at bit 0, macroblock 0/0), as
// GStreamer's gst_v4l2_codec_mpeg2_dec_decode_slice and FFmpeg's
// v4l2_request_mpeg2_decode_slice fill it.
// FFmpeg (vaapi_mpeg2_decode_slice) and GStreamer (gst_va_mpeg2_dec_decode_slice) already put
// the 00 00 01 xx start code in the VA slice data; a consumer that leaves it out gets it back.
#include "registry.h"

#include <va/va.h>

#include <algorithm>
#include <array>

namespace v4l2va {

namespace {

constexpr VAProfile kProfiles[] = {VAProfileMPEG2Simple, VAProfileMPEG2Main};

// ISO/IEC 13818-2 Figure 7-2 (alternate_scan 0): position in the zig-zag scan -> raster index.
constexpr uint8_t kZigzagToRaster[64] = {
	0,  1,  8,  16, 9,  2,  3,  10, 17, 24, 32, 25, 18, 11, 4,  5,
	12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6,  7,  14, 21, 28,
	35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
	58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
};

// ISO/IEC 13818-2 6.3.11: the default intra matrix, in raster order (non-intra: flat 16).
constexpr uint8_t kDefaultIntraRaster[64] = {
	8,  16, 19, 22, 26, 27, 29, 34, 16, 16, 22, 24, 27, 29, 34, 37,
	19, 22, 26, 27, 29, 34, 34, 38, 22, 22, 26, 27, 29, 34, 37, 40,
	22, 26, 27, 29, 32, 35, 40, 48, 26, 27, 29, 32, 35, 40, 48, 58,
	26, 27, 29, 34, 38, 46, 56, 69, 27, 29, 35, 38, 46, 56, 69, 83,
};

// Both VA (va.h) and V4L2 (struct v4l2_ctrl_mpeg2_quantisation) carry the matrices in zig-zag
// scan order, so they are copied as they are; only the defaults need reordering.
constexpr std::array<uint8_t, 64> defaultIntraZigzag()
{
	std::array<uint8_t, 64> m{};
	for (unsigned i = 0; i < 64; i++)
		m[i] = kDefaultIntraRaster[kZigzagToRaster[i]];
	return m;
}
constexpr std::array<uint8_t, 64> kDefaultIntraZigzag = defaultIntraZigzag();

// ISO/IEC 13818-2 Table 8-2 / 8-3 (profile_and_level_indication) and Table 8-13 (upper bounds
// of vbv_buffer_size, in its 16 384-bit units).
constexpr uint8_t kProfileSimple = 5, kProfileMain = 4;
struct Level {
	uint8_t code;
	uint16_t maxWidth, maxHeight;
	uint16_t vbvUnits;
};
constexpr Level kLevels[] = {
	{10, 352, 288, 29},	// Low
	{8, 720, 576, 112},	// Main
	{6, 1440, 1152, 448},	// High-1440
	{4, 1920, 1152, 597},	// High
};

// Slice start codes are 00 00 01 01..AF, the last byte being the macroblock row + 1 (no
// vertical position extension below 2800 lines: every level of Simple and Main). VA's
// slice_vertical_position is that row (FFmpeg: mb_y, GStreamer: mb_row).
constexpr uint32_t kMaxSliceRow = 0xaf - 1;

uint32_t macroblocks(uint32_t width, uint32_t height)
{
	return ((width + 15) / 16) * ((height + 15) / 16);
}

/// What a VA slice parameter says about the bytes of one slice in the following data buffer.
struct SliceExtent {
	uint32_t offset;
	uint32_t size;
	uint32_t flag;
	uint32_t row;	///< slice_vertical_position
};

class Mpeg2State final : public CodecState {
public:
	Mpeg2State(VAProfile profile, uint32_t width, uint32_t height)
		: profile_(profile),
		  // An MPEG-2 slice holds at least one macroblock; 1080p is the floor so that a
		  // context created at a small size still takes a larger stream.
		  maxSlices_(std::max(macroblocks(width, height), macroblocks(1920, 1088)))
	{
		std::copy(kDefaultIntraZigzag.begin(), kDefaultIntraZigzag.end(),
			  matrices_.intra_quantiser_matrix);
		std::copy(kDefaultIntraZigzag.begin(), kDefaultIntraZigzag.end(),
			  matrices_.chroma_intra_quantiser_matrix);
		memset(matrices_.non_intra_quantiser_matrix, 16, 64);
		memset(matrices_.chroma_non_intra_quantiser_matrix, 16, 64);
		quantisation_ = matrices_;
		fillSequence(std::max<uint32_t>(width, 16), std::max<uint32_t>(height, 16), false);
	}

	void beginPicture() override
	{
		havePicture_ = false;
		haveMatrices_ = false;
		pendingCount_ = 0;
		slices_ = 0;
		ended_ = false;
	}

	VAStatus render(const BufferView &buffer, BitstreamSink &bitstream) override
	{
		switch (buffer.type) {
		case VAPictureParameterBufferType:
			return renderPicture(buffer);
		case VAIQMatrixBufferType:
			return renderMatrices(buffer);
		case VASliceParameterBufferType:
			return renderSliceParameters(buffer);
		case VASliceDataBufferType:
			return renderSliceData(buffer, bitstream);
		default:
			return VA_STATUS_SUCCESS;
		}
	}

	VAStatus endPicture(SequenceInfo *sequence) override;

	VAStatus unitControls(unsigned unit, const ReferenceResolver &refs,
			      uint64_t targetTimestampNs, UnitControls *out) override;

	void sequenceControls(UnitControls *out) override
	{
		if (out->count < kMaxControls)
			out->add(V4L2_CID_STATELESS_MPEG2_SEQUENCE, &sequence_, sizeof(sequence_));
	}

	void pictureSubmitted() override
	{
		if (ended_)
			matrices_ = quantisation_;
	}

private:
	VAStatus renderPicture(const BufferView &buffer)
	{
		const auto *p =
			buffer.data ? buffer.element<VAPictureParameterBufferMPEG2>() : nullptr;
		if (!p)
			return VA_STATUS_ERROR_INVALID_BUFFER;
		// VA uses the bitstream's codes: 1 I, 2 P, 3 B (D pictures have no V4L2 decode).
		if (p->picture_coding_type < 1 || p->picture_coding_type > 3 ||
		    p->picture_coding_extension.bits.picture_structure == 0 ||
		    !p->horizontal_size || !p->vertical_size)
			return VA_STATUS_ERROR_INVALID_PARAMETER;
		vaPicture_ = *p;
		havePicture_ = true;
		return VA_STATUS_SUCCESS;
	}

	VAStatus renderMatrices(const BufferView &buffer)
	{
		const auto *m = buffer.data ? buffer.element<VAIQMatrixBufferMPEG2>() : nullptr;
		if (!m)
			return VA_STATUS_ERROR_INVALID_BUFFER;
		// Merged at endPicture and kept once the picture is submitted, so that a picture
		// that fails leaves the matrices alone.
		vaMatrices_ = *m;
		haveMatrices_ = true;
		return VA_STATUS_SUCCESS;
	}

	VAStatus renderSliceParameters(const BufferView &buffer)
	{
		if (!buffer.data || !buffer.numElements ||
		    !buffer.element<VASliceParameterBufferMPEG2>())
			return VA_STATUS_ERROR_INVALID_BUFFER;
		if (buffer.numElements > maxSlices_)
			return VA_STATUS_ERROR_INVALID_PARAMETER;
		for (uint32_t i = 0; i < buffer.numElements; i++) {
			const auto *s = buffer.element<VASliceParameterBufferMPEG2>(i);
			if (!s->slice_data_size || s->slice_vertical_position > kMaxSliceRow)
				return VA_STATUS_ERROR_INVALID_PARAMETER;
			switch (s->slice_data_flag) {
			case VA_SLICE_DATA_FLAG_ALL:
			case VA_SLICE_DATA_FLAG_BEGIN:
			case VA_SLICE_DATA_FLAG_MIDDLE:
			case VA_SLICE_DATA_FLAG_END:
				break;
			default:
				return VA_STATUS_ERROR_INVALID_PARAMETER;
			}
		}
		// A slice parameter buffer describes the next slice data buffer (any earlier one
		// that got no data is forgotten). The storage grows to the largest buffer seen.
		if (pending_.size() < buffer.numElements)
			pending_.resize(buffer.numElements);
		for (uint32_t i = 0; i < buffer.numElements; i++) {
			const auto *s = buffer.element<VASliceParameterBufferMPEG2>(i);
			pending_[i] = {s->slice_data_offset, s->slice_data_size, s->slice_data_flag,
				       s->slice_vertical_position};
		}
		pendingCount_ = buffer.numElements;
		return VA_STATUS_SUCCESS;
	}

	static bool startsSlice(const SliceExtent &s)
	{
		return s.flag == VA_SLICE_DATA_FLAG_ALL || (s.flag & VA_SLICE_DATA_FLAG_BEGIN);
	}

	/// Unambiguous: a slice without its start code begins with quantiser_scale_code (1..31),
	/// so never with a zero byte.
	static bool hasStartCode(const uint8_t *p, uint32_t size)
	{
		return size >= 4 && p[0] == 0 && p[1] == 0 && p[2] == 1;
	}

	VAStatus renderSliceData(const BufferView &buffer, BitstreamSink &bitstream)
	{
		if (!buffer.data)
			return VA_STATUS_ERROR_INVALID_BUFFER;
		if (!pendingCount_)
			return VA_STATUS_ERROR_INVALID_PARAMETER;
		// Everything is checked and sized first: one reserve, so a failure writes nothing.
		size_t total = 0;
		for (uint32_t i = 0; i < pendingCount_; i++) {
			const SliceExtent &s = pending_[i];
			if (static_cast<uint64_t>(s.offset) + s.size > buffer.size())
				return VA_STATUS_ERROR_INVALID_BUFFER;
			total += s.size;
			if (startsSlice(s) && !hasStartCode(buffer.data + s.offset, s.size))
				total += 4;
		}
		uint8_t *dst = bitstream.reserve(total);
		if (!dst)
			return VA_STATUS_ERROR_NOT_ENOUGH_BUFFER;
		for (uint32_t i = 0; i < pendingCount_; i++) {
			const SliceExtent &s = pending_[i];
			const uint8_t *src = buffer.data + s.offset;
			if (startsSlice(s) && !hasStartCode(src, s.size)) {
				const uint8_t code[4] = {0, 0, 1, static_cast<uint8_t>(s.row + 1)};
				memcpy(dst, code, sizeof(code));
				dst += sizeof(code);
			}
			memcpy(dst, src, s.size);
			dst += s.size;
		}
		bitstream.commit(total);
		slices_ += pendingCount_;
		pendingCount_ = 0;
		return VA_STATUS_SUCCESS;
	}

	void applyMatrices();
	void fillSequence(uint32_t width, uint32_t height, bool progressive);

	VAProfile profile_;
	const size_t maxSlices_;			///< slice parameters one buffer may hold
	std::vector<SliceExtent> pending_;	///< grows up to maxSlices_
	uint32_t pendingCount_ = 0;
	unsigned slices_ = 0;
	bool havePicture_ = false;
	bool haveMatrices_ = false;
	bool ended_ = false;
	VAPictureParameterBufferMPEG2 vaPicture_{};
	VAIQMatrixBufferMPEG2 vaMatrices_{};

	struct v4l2_ctrl_mpeg2_sequence sequence_{};
	struct v4l2_ctrl_mpeg2_picture picture_{};
	struct v4l2_ctrl_mpeg2_quantisation quantisation_{};
	/// The matrices in force after the last submitted picture: VA's load_* flags leave the
	/// matrices they do not load as they were.
	struct v4l2_ctrl_mpeg2_quantisation matrices_{};
};

void Mpeg2State::applyMatrices()
{
	const VAIQMatrixBufferMPEG2 &m = vaMatrices_;	// onto quantisation_ (a copy of matrices_)
	// For 4:2:0 (the only chroma format of these profiles) a loaded luma matrix also stands
	// for chroma unless chroma has its own (FFmpeg's load_matrix does the same); hantro
	// programs all four tables (hantro_mpeg2_dec_copy_qtable).
	if (m.load_intra_quantiser_matrix) {
		memcpy(quantisation_.intra_quantiser_matrix, m.intra_quantiser_matrix, 64);
		if (!m.load_chroma_intra_quantiser_matrix)
			memcpy(quantisation_.chroma_intra_quantiser_matrix,
			       m.intra_quantiser_matrix, 64);
	}
	if (m.load_non_intra_quantiser_matrix) {
		memcpy(quantisation_.non_intra_quantiser_matrix, m.non_intra_quantiser_matrix, 64);
		if (!m.load_chroma_non_intra_quantiser_matrix)
			memcpy(quantisation_.chroma_non_intra_quantiser_matrix,
			       m.non_intra_quantiser_matrix, 64);
	}
	if (m.load_chroma_intra_quantiser_matrix)
		memcpy(quantisation_.chroma_intra_quantiser_matrix,
		       m.chroma_intra_quantiser_matrix, 64);
	if (m.load_chroma_non_intra_quantiser_matrix)
		memcpy(quantisation_.chroma_non_intra_quantiser_matrix,
		       m.chroma_non_intra_quantiser_matrix, 64);
}

// VA has no sequence header. No driver reads vbv_buffer_size or profile_and_level_indication
// (hantro, cedrus and visl only print or ignore them), so they get the values the VA profile
// and picture size imply: the smallest level that holds the picture and that level's VBV
// bound, in the syntax element's 16 384-bit units as the uAPI defines the field (GStreamer
// multiplies it out to bits, FFmpeg puts its OUTPUT buffer size there). Both VA profiles are
// 4:2:0 only, so chroma_format is 1.
void Mpeg2State::fillSequence(uint32_t width, uint32_t height, bool progressive)
{
	const Level *level = &kLevels[std::size(kLevels) - 1];
	for (const Level &l : kLevels) {
		if (width <= l.maxWidth && height <= l.maxHeight) {
			level = &l;
			break;
		}
	}
	uint8_t profile = kProfileMain;
	if (profile_ == VAProfileMPEG2Simple) {
		// Simple profile exists at Main level only.
		profile = kProfileSimple;
		level = &kLevels[1];
	}
	sequence_ = {};
	sequence_.horizontal_size = static_cast<uint16_t>(width);
	sequence_.vertical_size = static_cast<uint16_t>(height);
	sequence_.vbv_buffer_size = level->vbvUnits;
	sequence_.profile_and_level_indication = static_cast<uint16_t>(profile << 4 | level->code);
	sequence_.chroma_format = 1;
	sequence_.flags = progressive ? V4L2_MPEG2_SEQ_FLAG_PROGRESSIVE : 0;
}

VAStatus Mpeg2State::endPicture(SequenceInfo *sequence)
{
	if (!havePicture_ || !slices_)
		return VA_STATUS_ERROR_INVALID_PARAMETER;
	const VAPictureParameterBufferMPEG2 &p = vaPicture_;
	const auto &ext = p.picture_coding_extension.bits;

	quantisation_ = matrices_;
	if (haveMatrices_)
		applyMatrices();

	// progressive_sequence forces progressive_frame, frame pictures and frame_pred_frame_dct
	// (13818-2 6.3.10); a picture with all three decodes the same whichever the sequence
	// flag says (no field prediction or field DCT left), so it stands for the missing flag.
	bool progressive = ext.progressive_frame && ext.frame_pred_frame_dct &&
			   ext.picture_structure == V4L2_MPEG2_PIC_FRAME;
	fillSequence(p.horizontal_size, p.vertical_size, progressive);

	// as GStreamer's gst_v4l2_codec_mpeg2_dec_start_picture
	picture_ = {};
	picture_.picture_coding_type = static_cast<uint8_t>(p.picture_coding_type);
	picture_.picture_structure = static_cast<uint8_t>(ext.picture_structure);
	picture_.intra_dc_precision = static_cast<uint8_t>(ext.intra_dc_precision);
	picture_.f_code[0][0] = (p.f_code >> 12) & 0xf;
	picture_.f_code[0][1] = (p.f_code >> 8) & 0xf;
	picture_.f_code[1][0] = (p.f_code >> 4) & 0xf;
	picture_.f_code[1][1] = p.f_code & 0xf;
	picture_.flags = (ext.top_field_first ? V4L2_MPEG2_PIC_FLAG_TOP_FIELD_FIRST : 0) |
			 (ext.frame_pred_frame_dct ? V4L2_MPEG2_PIC_FLAG_FRAME_PRED_DCT : 0) |
			 (ext.concealment_motion_vectors ? V4L2_MPEG2_PIC_FLAG_CONCEALMENT_MV : 0) |
			 (ext.q_scale_type ? V4L2_MPEG2_PIC_FLAG_Q_SCALE_TYPE : 0) |
			 (ext.intra_vlc_format ? V4L2_MPEG2_PIC_FLAG_INTRA_VLC : 0) |
			 (ext.alternate_scan ? V4L2_MPEG2_PIC_FLAG_ALT_SCAN : 0) |
			 (ext.repeat_first_field ? V4L2_MPEG2_PIC_FLAG_REPEAT_FIRST : 0) |
			 (ext.progressive_frame ? V4L2_MPEG2_PIC_FLAG_PROGRESSIVE : 0);

	if (sequence) {
		*sequence = {};
		sequence->codedWidth = p.horizontal_size;
		sequence->codedHeight = p.vertical_size;
		sequence->bitDepth = 8;
		sequence->chromaFormatIdc = 1;
	}
	ended_ = true;
	return VA_STATUS_SUCCESS;
}

VAStatus Mpeg2State::unitControls(unsigned unit, const ReferenceResolver &refs,
				  uint64_t targetTimestampNs, UnitControls *out)
{
	if (!ended_)
		return VA_STATUS_ERROR_OPERATION_FAILED;
	if (unit != 0)
		return VA_STATUS_ERROR_INVALID_PARAMETER;	// one picture, one request
	if (out->count + 3 > kMaxControls)
		return VA_STATUS_ERROR_MAX_NUM_EXCEEDED;
	const VAPictureParameterBufferMPEG2 &p = vaPicture_;
	// A reference the picture does not use is the picture itself (FFmpeg's v4l2_request_mpeg2
	// and BOOT's mpeg2.c do so for I pictures). One it uses but that names no picture of this
	// stream (a surface of another context, or never decoded) becomes 0, which names no
	// buffer: hantro then reads the destination buffer (hantro_g1_mpeg2_dec_set_buffers), and
	// the emulator reports the missing reference instead of a self-reference.
	uint64_t forward = targetTimestampNs, backward = targetTimestampNs;
	if (p.picture_coding_type >= 2 && !refs.timestampOf(p.forward_reference_picture, &forward))
		forward = 0;
	if (p.picture_coding_type == 3 &&
	    !refs.timestampOf(p.backward_reference_picture, &backward))
		backward = 0;
	picture_.forward_ref_ts = forward;
	picture_.backward_ref_ts = backward;

	out->add(V4L2_CID_STATELESS_MPEG2_SEQUENCE, &sequence_, sizeof(sequence_));
	out->add(V4L2_CID_STATELESS_MPEG2_PICTURE, &picture_, sizeof(picture_));
	out->add(V4L2_CID_STATELESS_MPEG2_QUANTISATION, &quantisation_, sizeof(quantisation_));
	return VA_STATUS_SUCCESS;
}

uint32_t outputBufferSize(uint32_t width, uint32_t height)
{
	// A coded picture fits its VBV buffer (at most 1.2 MB at MP@HL); the raw picture size is
	// a generous bound above that, 1 MiB the floor FFmpeg's v4l2_request_mpeg2_init uses.
	uint64_t raw = static_cast<uint64_t>(width) * height * 3 / 2;
	return static_cast<uint32_t>(std::clamp<uint64_t>(raw, 1u << 20, 64u << 20));
}

std::unique_ptr<CodecState> create(VAProfile profile, const DeviceCaps &, uint32_t width,
				   uint32_t height)
{
	return std::make_unique<Mpeg2State>(profile, width, height);
}

} // namespace

extern const CodecDescriptor kMpeg2Codec;
const CodecDescriptor kMpeg2Codec = {
	"mpeg2", V4L2_PIX_FMT_MPEG2_SLICE, kProfiles, outputBufferSize, nullptr, create,
};
V4L2VA_REGISTER_CODEC(kMpeg2Codec);

} // namespace v4l2va
