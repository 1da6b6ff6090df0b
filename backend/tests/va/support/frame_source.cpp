// SPDX-License-Identifier: MIT
#include "frame_source.h"

#include <cstring>

namespace v4l2va::test {

namespace {

template<typename T> VaBufferData bufferOf(VABufferType type, const T &value)
{
	VaBufferData b {type, sizeof(T), 1, {}};
	b.bytes.resize(sizeof(T));
	memcpy(b.bytes.data(), &value, sizeof(T));
	return b;
}

/// Deterministic filler standing in for macroblock data (never three zero bytes in a row,
/// so no accidental start code or emulation prevention).
void appendPayload(std::vector<uint8_t> *out, unsigned n, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1;
	for (unsigned i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		out->push_back(static_cast<uint8_t>((x >> 16) | 0x10));
	}
}

class BitWriter {
public:
	void u(unsigned bits, uint32_t v)
	{
		for (unsigned i = bits; i-- > 0;)
			bit((v >> i) & 1);
	}
	void ue(uint32_t v)
	{
		uint32_t x = v + 1;
		unsigned len = 0;
		for (uint32_t t = x; t > 1; t >>= 1)
			len++;
		u(len, 0);
		u(len + 1, x);
	}
	void se(int32_t v) { ue(v > 0 ? 2 * v - 1 : -2 * v); }
	size_t bits() const { return bytes_.size() * 8 - (8 - used_) % 8; }
	/// RBSP trailing bits are not wanted: the slice data continues. Pads with ones to a byte.
	std::vector<uint8_t> take()
	{
		while (used_ != 8 && used_ != 0)
			bit(1);
		return bytes_;
	}

private:
	void bit(unsigned b)
	{
		if (used_ == 8 || bytes_.empty()) {
			bytes_.push_back(0);
			used_ = 0;
		}
		bytes_.back() |= static_cast<uint8_t>(b << (7 - used_));
		used_++;
	}
	std::vector<uint8_t> bytes_;
	unsigned used_ = 8;
};

// --- MPEG-2 -------------------------------------------------------------------------------

class Mpeg2Source final : public FrameSource {
public:
	Mpeg2Source(uint32_t w, uint32_t h, unsigned gop) : FrameSource(w, h), gop_(gop) {}
	VAProfile profile() const override { return VAProfileMPEG2Main; }
	const char *name() const override { return "mpeg2"; }

	PictureBuffers picture(unsigned n, VASurfaceID target, VASurfaceID reference) override
	{
		(void)target;
		bool intra = n % gop_ == 0 || reference == VA_INVALID_SURFACE;
		VAPictureParameterBufferMPEG2 pp {};
		pp.horizontal_size = static_cast<uint16_t>(width_);
		pp.vertical_size = static_cast<uint16_t>(height_);
		pp.forward_reference_picture = intra ? VA_INVALID_SURFACE : reference;
		pp.backward_reference_picture = VA_INVALID_SURFACE;
		pp.picture_coding_type = intra ? 1 : 2;	// I, P
		pp.f_code = intra ? 0xffff : 0x11ff;
		pp.picture_coding_extension.bits.intra_dc_precision = 0;
		pp.picture_coding_extension.bits.picture_structure = 3;	// frame
		pp.picture_coding_extension.bits.top_field_first = 1;
		pp.picture_coding_extension.bits.frame_pred_frame_dct = 1;
		pp.picture_coding_extension.bits.progressive_frame = 1;
		pp.picture_coding_extension.bits.is_first_field = 1;
		VAIQMatrixBufferMPEG2 iq {};
		iq.load_intra_quantiser_matrix = 1;
		iq.load_non_intra_quantiser_matrix = 1;
		for (int i = 0; i < 64; i++) {
			iq.intra_quantiser_matrix[i] = static_cast<uint8_t>(8 + i / 4);
			iq.non_intra_quantiser_matrix[i] = 16;
		}
		PictureBuffers out;
		out.params.push_back(bufferOf(VAPictureParameterBufferType, pp));
		out.params.push_back(bufferOf(VAIQMatrixBufferType, iq));
		// One slice: start code 00 00 01 01, then quantiser_scale_code (5 bits) and filler.
		std::vector<uint8_t> data = {0x00, 0x00, 0x01, 0x01};
		appendPayload(&data, 60 + n % 7, n + 1);
		VASliceParameterBufferMPEG2 sp {};
		sp.slice_data_size = static_cast<uint32_t>(data.size());
		sp.slice_data_offset = 0;
		sp.slice_data_flag = VA_SLICE_DATA_FLAG_ALL;
		sp.macroblock_offset = 38;	// 32 start code bits + 5 quantiser bits + extra_bit_slice
		sp.slice_horizontal_position = 0;
		sp.slice_vertical_position = 0;
		sp.quantiser_scale_code = static_cast<int>(data[4] >> 3);
		sp.intra_slice_flag = intra;
		out.slices.push_back(bufferOf(VASliceParameterBufferType, sp));
		out.slices.push_back({VASliceDataBufferType, static_cast<uint32_t>(data.size()), 1, data});
		return out;
	}

private:
	unsigned gop_;
};

// --- H.264 --------------------------------------------------------------------------------

class H264Source final : public FrameSource {
public:
	H264Source(uint32_t w, uint32_t h, unsigned gop, unsigned slices)
		: FrameSource(w, h), gop_(gop), slices_(slices ? slices : 1)
	{
	}
	VAProfile profile() const override { return VAProfileH264ConstrainedBaseline; }
	const char *name() const override { return "h264"; }

	PictureBuffers picture(unsigned n, VASurfaceID target, VASurfaceID reference) override
	{
		const bool idr = n % gop_ == 0 || reference == VA_INVALID_SURFACE;
		if (idr)
			idrIndex_ = n;
		const unsigned k = n - idrIndex_;	// pictures since the IDR
		const uint32_t frameNum = k % 16;	// log2_max_frame_num = 4
		const int32_t poc = static_cast<int32_t>(2 * k);
		const uint32_t mbsW = (width_ + 15) / 16, mbsH = (height_ + 15) / 16;

		VAPictureParameterBufferH264 pp {};
		pp.CurrPic.picture_id = target;
		pp.CurrPic.frame_idx = frameNum;
		pp.CurrPic.flags = 0;
		pp.CurrPic.TopFieldOrderCnt = poc;
		pp.CurrPic.BottomFieldOrderCnt = poc;
		for (auto &r : pp.ReferenceFrames) {
			r.picture_id = VA_INVALID_SURFACE;
			r.flags = VA_PICTURE_H264_INVALID;
		}
		if (!idr) {
			pp.ReferenceFrames[0].picture_id = reference;
			pp.ReferenceFrames[0].frame_idx = (frameNum + 15) % 16;
			pp.ReferenceFrames[0].flags = VA_PICTURE_H264_SHORT_TERM_REFERENCE;
			pp.ReferenceFrames[0].TopFieldOrderCnt = poc - 2;
			pp.ReferenceFrames[0].BottomFieldOrderCnt = poc - 2;
		}
		pp.picture_width_in_mbs_minus1 = static_cast<uint16_t>(mbsW - 1);
		pp.picture_height_in_mbs_minus1 = static_cast<uint16_t>(mbsH - 1);
		pp.num_ref_frames = 1;
		pp.seq_fields.bits.chroma_format_idc = 1;
		pp.seq_fields.bits.frame_mbs_only_flag = 1;
		pp.seq_fields.bits.direct_8x8_inference_flag = 1;
		pp.seq_fields.bits.log2_max_frame_num_minus4 = 0;
		pp.seq_fields.bits.pic_order_cnt_type = 0;
		pp.seq_fields.bits.log2_max_pic_order_cnt_lsb_minus4 = 2;	// 6 bits
		pp.pic_fields.bits.deblocking_filter_control_present_flag = 1;
		pp.pic_fields.bits.reference_pic_flag = 1;
		pp.frame_num = static_cast<uint16_t>(frameNum);

		VAIQMatrixBufferH264 iq {};
		memset(&iq, 16, sizeof(iq));

		PictureBuffers out;
		out.params.push_back(bufferOf(VAPictureParameterBufferType, pp));
		out.params.push_back(bufferOf(VAIQMatrixBufferType, iq));
		const uint32_t mbs = mbsW * mbsH;
		for (unsigned s = 0; s < slices_; s++) {
			const uint32_t firstMb = mbs * s / slices_;
			BitWriter w;
			w.u(1, 0);		// forbidden_zero_bit
			w.u(2, 3);		// nal_ref_idc
			w.u(5, idr ? 5 : 1);	// nal_unit_type
			w.ue(firstMb);
			w.ue(idr ? 7 : 5);	// slice_type: all I / all P
			w.ue(0);		// pic_parameter_set_id
			w.u(4, frameNum);
			if (idr)
				w.ue(idrPicId_);
			w.u(6, static_cast<uint32_t>(poc) & 63);	// pic_order_cnt_lsb
			if (!idr) {
				w.u(1, 0);	// num_ref_idx_active_override_flag
				w.u(1, 0);	// ref_pic_list_modification_flag_l0
			}
			if (idr) {
				w.u(1, 0);	// no_output_of_prior_pics_flag
				w.u(1, 0);	// long_term_reference_flag
			} else {
				w.u(1, 0);	// adaptive_ref_pic_marking_mode_flag
			}
			w.se(0);		// slice_qp_delta
			w.ue(0);		// disable_deblocking_filter_idc
			w.se(0);		// slice_alpha_c0_offset_div2
			w.se(0);		// slice_beta_offset_div2
			size_t headerBits = w.bits();
			std::vector<uint8_t> nal = w.take();
			appendPayload(&nal, 40 + (n + s) % 9, n * 31 + s + 1);
			VASliceParameterBufferH264 sp {};
			sp.slice_data_size = static_cast<uint32_t>(nal.size());
			sp.slice_data_offset = 0;
			sp.slice_data_flag = VA_SLICE_DATA_FLAG_ALL;
			sp.slice_data_bit_offset = static_cast<uint16_t>(headerBits);
			sp.first_mb_in_slice = static_cast<uint16_t>(firstMb);
			sp.slice_type = idr ? 2 : 0;	// I : P (VA uses slice_type % 5)
			sp.num_ref_idx_l0_active_minus1 = 0;
			sp.disable_deblocking_filter_idc = 0;
			for (auto &r : sp.RefPicList0) {
				r.picture_id = VA_INVALID_SURFACE;
				r.flags = VA_PICTURE_H264_INVALID;
			}
			for (auto &r : sp.RefPicList1) {
				r.picture_id = VA_INVALID_SURFACE;
				r.flags = VA_PICTURE_H264_INVALID;
			}
			if (!idr)
				sp.RefPicList0[0] = pp.ReferenceFrames[0];
			out.slices.push_back(bufferOf(VASliceParameterBufferType, sp));
			out.slices.push_back({VASliceDataBufferType, static_cast<uint32_t>(nal.size()), 1, nal});
		}
		if (idr)
			idrPicId_ = (idrPicId_ + 1) % 4;
		return out;
	}

private:
	unsigned gop_, slices_;
	unsigned idrIndex_ = 0;
	uint32_t idrPicId_ = 0;
};

} // namespace

std::unique_ptr<FrameSource> makeMpeg2Source(uint32_t width, uint32_t height, unsigned gop)
{
	return std::make_unique<Mpeg2Source>(width, height, gop ? gop : 8);
}

std::unique_ptr<FrameSource> makeH264Source(uint32_t width, uint32_t height, unsigned gop, unsigned slices)
{
	return std::make_unique<H264Source>(width, height, gop ? gop : 8, slices);
}

std::unique_ptr<FrameSource> makeSource(const std::string &codec, uint32_t width, uint32_t height)
{
	if (codec == "mpeg2")
		return makeMpeg2Source(width, height);
	if (codec == "h264")
		return makeH264Source(width, height);
	return nullptr;
}

} // namespace v4l2va::test
