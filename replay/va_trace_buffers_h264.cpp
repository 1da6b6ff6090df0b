// SPDX-License-Identifier: MIT
// H.264 buffers of a LIBVA_TRACE log: fields by label, the reference lists as
// "TopPOC-BottomPOC-0xID-frame_idx-0xflags" lines, the bitfield words printed whole ("seq fields",
// "pic_fields"; the per-bit lines after them are redundant and skipped).
#include "va_trace_reader.h"

#include <cstdlib>

namespace v4l2va::test {

namespace {

bool pictureH264(const std::string &entry, const SurfaceMap &map, VAPictureH264 *p)
{
	// Five numbers joined by '-' (a negative POC adds its own '-': "-0000002").
	int64_t v[5];
	const char *q = entry.c_str();
	for (int i = 0; i < 5; i++) {
		if (i) {
			if (*q != '-')
				return false;
			q++;
		}
		char *end = nullptr;
		v[i] = vaTraceNumber(q, &end);
		if (end == q)
			return false;
		q = end;
	}
	if (*q)
		return false;
	p->TopFieldOrderCnt = static_cast<int32_t>(v[0]);
	p->BottomFieldOrderCnt = static_cast<int32_t>(v[1]);
	p->picture_id = map(static_cast<VASurfaceID>(v[2]));
	p->frame_idx = static_cast<uint32_t>(v[3]);
	p->flags = static_cast<uint32_t>(v[4]);
	return true;
}

void invalidH264(VAPictureH264 *p)
{
	*p = {};
	p->picture_id = VA_INVALID_SURFACE;
	p->flags = VA_PICTURE_H264_INVALID;
}

bool h264Picture(VaTraceReader &r, const SurfaceMap &map, uint32_t, std::vector<uint8_t> *out)
{
	VAPictureParameterBufferH264 p {};
	int64_t v;
	if (!r.get("CurrPic.picture_id", &v))
		return false;
	p.CurrPic.picture_id = map(static_cast<VASurfaceID>(v));
	if (!r.get("CurrPic.frame_idx", &v))
		return false;
	p.CurrPic.frame_idx = static_cast<uint32_t>(v);
	if (!r.get("CurrPic.flags", &v))
		return false;
	p.CurrPic.flags = static_cast<uint32_t>(v);
	if (!r.get("CurrPic.TopFieldOrderCnt", &v))
		return false;
	p.CurrPic.TopFieldOrderCnt = static_cast<int32_t>(v);
	if (!r.get("CurrPic.BottomFieldOrderCnt", &v))
		return false;
	p.CurrPic.BottomFieldOrderCnt = static_cast<int32_t>(v);
	if (!r.skipToText("ReferenceFrames"))
		return false;
	std::vector<std::string> refs = r.entries();
	for (int i = 0; i < 16; i++)
		invalidH264(&p.ReferenceFrames[i]);
	for (size_t i = 0; i < refs.size() && i < 16; i++)
		if (!pictureH264(refs[i], map, &p.ReferenceFrames[i]))
			return r.fail("bad reference frame line: " + refs[i]);
	auto num = [&](const char *key, int64_t *x) { return r.get(key, x); };
	int64_t w, h, bl, bc, nrf, seq, qp, qs, cqp, scqp, pic, fn;
	if (!num("picture_width_in_mbs_minus1", &w) || !num("picture_height_in_mbs_minus1", &h) ||
	    !num("bit_depth_luma_minus8", &bl) || !num("bit_depth_chroma_minus8", &bc) ||
	    !num("num_ref_frames", &nrf) || !num("seq fields", &seq) ||
	    !num("pic_init_qp_minus26", &qp) || !num("pic_init_qs_minus26", &qs) ||
	    !num("chroma_qp_index_offset", &cqp) || !num("second_chroma_qp_index_offset", &scqp) ||
	    !num("pic_fields", &pic) || !num("frame_num", &fn))
		return false;
	p.picture_width_in_mbs_minus1 = static_cast<uint16_t>(w);
	p.picture_height_in_mbs_minus1 = static_cast<uint16_t>(h);
	p.bit_depth_luma_minus8 = static_cast<uint8_t>(bl);
	p.bit_depth_chroma_minus8 = static_cast<uint8_t>(bc);
	p.num_ref_frames = static_cast<uint8_t>(nrf);
	p.seq_fields.value = static_cast<uint32_t>(seq);
	p.pic_init_qp_minus26 = static_cast<int8_t>(qp);
	p.pic_init_qs_minus26 = static_cast<int8_t>(qs);
	p.chroma_qp_index_offset = static_cast<int8_t>(cqp);
	p.second_chroma_qp_index_offset = static_cast<int8_t>(scqp);
	p.pic_fields.value = static_cast<uint32_t>(pic);
	p.frame_num = static_cast<uint16_t>(fn);
	*out = vaTraceBytesOf(p);
	return true;
}

bool h264Matrix(VaTraceReader &r, const SurfaceMap &, uint32_t, std::vector<uint8_t> *out)
{
	VAIQMatrixBufferH264 m {};
	if (!r.skipTo("ScalingList4x4[6][16]"))
		return false;
	std::vector<int64_t> a = r.rows();
	if (!r.skipTo("ScalingList8x8[2][64]"))
		return false;
	std::vector<int64_t> b = r.rows();
	if (a.size() != 96 || b.size() != 128)
		return r.fail("scaling lists have " + std::to_string(a.size()) + " and " +
			      std::to_string(b.size()) + " entries");
	for (int i = 0; i < 96; i++)
		m.ScalingList4x4[i / 16][i % 16] = static_cast<uint8_t>(a[i]);
	for (int i = 0; i < 128; i++)
		m.ScalingList8x8[i / 64][i % 64] = static_cast<uint8_t>(b[i]);
	*out = vaTraceBytesOf(m);
	return true;
}

bool h264Slice(VaTraceReader &r, const SurfaceMap &map, uint32_t, std::vector<uint8_t> *out)
{
	VASliceParameterBufferH264 s {};
	int64_t v[14];
	const char *keys[14] = {"slice_data_size", "slice_data_offset", "slice_data_flag",
				"slice_data_bit_offset", "first_mb_in_slice", "slice_type",
				"direct_spatial_mv_pred_flag", "num_ref_idx_l0_active_minus1",
				"num_ref_idx_l1_active_minus1", "cabac_init_idc", "slice_qp_delta",
				"disable_deblocking_filter_idc", "slice_alpha_c0_offset_div2",
				"slice_beta_offset_div2"};
	for (int i = 0; i < 14; i++)
		if (!r.get(keys[i], &v[i]))
			return false;
	s.slice_data_size = static_cast<uint32_t>(v[0]);
	s.slice_data_offset = static_cast<uint32_t>(v[1]);
	s.slice_data_flag = static_cast<uint32_t>(v[2]);
	s.slice_data_bit_offset = static_cast<uint16_t>(v[3]);
	s.first_mb_in_slice = static_cast<uint16_t>(v[4]);
	s.slice_type = static_cast<uint8_t>(v[5]);
	s.direct_spatial_mv_pred_flag = static_cast<uint8_t>(v[6]);
	s.num_ref_idx_l0_active_minus1 = static_cast<uint8_t>(v[7]);
	s.num_ref_idx_l1_active_minus1 = static_cast<uint8_t>(v[8]);
	s.cabac_init_idc = static_cast<uint8_t>(v[9]);
	s.slice_qp_delta = static_cast<int8_t>(v[10]);
	s.disable_deblocking_filter_idc = static_cast<uint8_t>(v[11]);
	s.slice_alpha_c0_offset_div2 = static_cast<int8_t>(v[12]);
	s.slice_beta_offset_div2 = static_cast<int8_t>(v[13]);
	for (int list = 0; list < 2; list++) {
		VAPictureH264 *refs = list ? s.RefPicList1 : s.RefPicList0;
		if (!r.skipTo(list ? "RefPicList1" : "RefPicList0"))
			return false;
		for (int i = 0; i < 32; i++)
			invalidH264(&refs[i]);
		std::vector<std::string> e = r.entries();
		for (size_t i = 0; i < e.size() && i < 32; i++)
			if (!pictureH264(e[i], map, &refs[i]))
				return r.fail("bad RefPicList line: " + e[i]);
	}
	int64_t ld, cd;
	if (!r.get("luma_log2_weight_denom", &ld) || !r.get("chroma_log2_weight_denom", &cd))
		return false;
	s.luma_log2_weight_denom = static_cast<uint8_t>(ld);
	s.chroma_log2_weight_denom = static_cast<uint8_t>(cd);
	// One row per active reference: "w o" (luma), "w0 o0 w1 o1" (chroma).
	const unsigned active[2] = {s.num_ref_idx_l0_active_minus1 + 1u, s.num_ref_idx_l1_active_minus1 + 1u};
	for (int list = 0; list < 2; list++) {
		int64_t lumaFlag, chromaFlag;
		if (!r.get(list ? "luma_weight_l1_flag" : "luma_weight_l0_flag", &lumaFlag))
			return false;
		std::vector<int64_t> luma = r.rows();
		if (!r.get(list ? "chroma_weight_l1_flag" : "chroma_weight_l0_flag", &chromaFlag))
			return false;
		std::vector<int64_t> chroma = r.rows();
		(list ? s.luma_weight_l1_flag : s.luma_weight_l0_flag) = static_cast<uint8_t>(lumaFlag);
		(list ? s.chroma_weight_l1_flag : s.chroma_weight_l0_flag) = static_cast<uint8_t>(chromaFlag);
		if (luma.size() < 2 * active[list] || chroma.size() < 4 * active[list])
			return r.fail("weight tables shorter than the active references");
		for (unsigned i = 0; i < active[list] && i < 32; i++) {
			(list ? s.luma_weight_l1 : s.luma_weight_l0)[i] = static_cast<int16_t>(luma[2 * i]);
			(list ? s.luma_offset_l1 : s.luma_offset_l0)[i] = static_cast<int16_t>(luma[2 * i + 1]);
			for (int c = 0; c < 2; c++) {
				(list ? s.chroma_weight_l1 : s.chroma_weight_l0)[i][c] =
					static_cast<int16_t>(chroma[4 * i + 2 * c]);
				(list ? s.chroma_offset_l1 : s.chroma_offset_l0)[i][c] =
					static_cast<int16_t>(chroma[4 * i + 2 * c + 1]);
			}
		}
	}
	*out = vaTraceBytesOf(s);
	return true;
}

const VaStructRebuilder kH264[] = {
	{"VAPictureParameterBufferH264", h264Picture},
	{"VAIQMatrixBufferH264", h264Matrix},
	{"VASliceParameterBufferH264", h264Slice},
};

} // namespace

std::span<const VaStructRebuilder> vaTraceH264Rebuilders()
{
	return kH264;
}

} // namespace v4l2va::test
