// SPDX-License-Identifier: MIT
// HEVC buffers of a LIBVA_TRACE log (libva 2.17 va_TraceVAPictureParameterBufferHEVC and
// friends): fields by label, the bitfield words printed whole ("pic_fields",
// "slice_parsing_fields", "LongSliceFlags.value"; the per-bit lines after them are redundant),
// arrays as rows of numbers. What the text loses, and how it is filled in:
//  - CurrPic's line labelled "frame_idx" is its pic_order_cnt (the quirk of traces.md §5.2);
//  - a ReferenceFrames entry that is invalid prints "inv-inv-inv-inv-inv": rebuilt as FFmpeg's
//    init_vaapi_pic() writes it (VA_INVALID_ID, POC 0, VA_PICTURE_HEVC_INVALID);
//  - the prediction weights print only the active references' rows: the rest are zero, as
//    FFmpeg leaves them;
//  - the range-extension and screen-content variants (Rext/SCC profiles) are not rebuilt: the
//    buffer is refused with a reason.
#include "va_trace_reader.h"

#include <cstdlib>

namespace v4l2va::test {

namespace {

/// "0x04010017-00000003-0x00000010" (picture_id-pic_order_cnt-flags) or "inv-inv-inv-inv-inv".
bool pictureHevc(const std::string &entry, const SurfaceMap &map, VAPictureHEVC *p)
{
	*p = {};
	if (entry == "inv-inv-inv-inv-inv") {
		p->picture_id = VA_INVALID_SURFACE;
		p->flags = VA_PICTURE_HEVC_INVALID;
		return true;
	}
	int64_t v[3];
	const char *q = entry.c_str();
	for (int i = 0; i < 3; i++) {
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
	p->picture_id = map(static_cast<VASurfaceID>(v[0]));
	p->pic_order_cnt = static_cast<int32_t>(v[1]);
	p->flags = static_cast<uint32_t>(v[2]);
	return true;
}

/// Reads the labelled fields in order into the members they name.
template<typename T> bool fields(VaTraceReader &r, std::initializer_list<std::pair<const char *, T *>> list)
{
	for (const auto &[key, member] : list) {
		int64_t v;
		if (!r.get(key, &v))
			return false;
		*member = static_cast<T>(v);
	}
	return true;
}

bool array(VaTraceReader &r, const char *key, size_t n, auto *out)
{
	if (!r.skipTo(key))
		return false;
	std::vector<int64_t> v = r.rows();
	if (v.size() != n)
		return r.fail(std::string(key) + " has " + std::to_string(v.size()) + " entries");
	for (size_t i = 0; i < n; i++)
		out[i] = static_cast<std::remove_reference_t<decltype(out[0])>>(v[i]);
	return true;
}

bool hevcPicture(VaTraceReader &r, const SurfaceMap &map, uint32_t size, std::vector<uint8_t> *out)
{
	if (size != sizeof(VAPictureParameterBufferHEVC))
		return r.fail("the range-extension/screen-content picture parameters (" + std::to_string(size) +
			      " bytes) are not rebuilt");
	VAPictureParameterBufferHEVC p {};
	int64_t id, poc, flags;
	if (!r.get("CurrPic.picture_id", &id) || !r.get("CurrPic.frame_idx", &poc) || !r.get("CurrPic.flags", &flags))
		return false;
	p.CurrPic.picture_id = map(static_cast<VASurfaceID>(id));
	p.CurrPic.pic_order_cnt = static_cast<int32_t>(poc);
	p.CurrPic.flags = static_cast<uint32_t>(flags);
	if (!r.skipToText("ReferenceFrames"))
		return false;
	std::vector<std::string> refs = r.entries();
	if (refs.size() != 15)
		return r.fail("ReferenceFrames has " + std::to_string(refs.size()) + " entries");
	for (size_t i = 0; i < 15; i++)
		if (!pictureHevc(refs[i], map, &p.ReferenceFrames[i]))
			return r.fail("bad reference frame line: " + refs[i]);
	int64_t w, h, pic;
	if (!r.get("pic_width_in_luma_samples", &w) || !r.get("pic_height_in_luma_samples", &h) ||
	    !r.get("pic_fields", &pic))
		return false;
	p.pic_width_in_luma_samples = static_cast<uint16_t>(w);
	p.pic_height_in_luma_samples = static_cast<uint16_t>(h);
	p.pic_fields.value = static_cast<uint32_t>(pic);
	int64_t cb, cr;
	if (!fields<uint8_t>(r, {{"sps_max_dec_pic_buffering_minus1", &p.sps_max_dec_pic_buffering_minus1},
				 {"bit_depth_luma_minus8", &p.bit_depth_luma_minus8},
				 {"bit_depth_chroma_minus8", &p.bit_depth_chroma_minus8},
				 {"pcm_sample_bit_depth_luma_minus1", &p.pcm_sample_bit_depth_luma_minus1},
				 {"pcm_sample_bit_depth_chroma_minus1", &p.pcm_sample_bit_depth_chroma_minus1},
				 {"log2_min_luma_coding_block_size_minus3", &p.log2_min_luma_coding_block_size_minus3},
				 {"log2_diff_max_min_luma_coding_block_size", &p.log2_diff_max_min_luma_coding_block_size},
				 {"log2_min_transform_block_size_minus2", &p.log2_min_transform_block_size_minus2},
				 {"log2_diff_max_min_transform_block_size", &p.log2_diff_max_min_transform_block_size},
				 {"log2_min_pcm_luma_coding_block_size_minus3", &p.log2_min_pcm_luma_coding_block_size_minus3},
				 {"log2_diff_max_min_pcm_luma_coding_block_size", &p.log2_diff_max_min_pcm_luma_coding_block_size},
				 {"max_transform_hierarchy_depth_intra", &p.max_transform_hierarchy_depth_intra},
				 {"max_transform_hierarchy_depth_inter", &p.max_transform_hierarchy_depth_inter}}))
		return false;
	int64_t qp;
	if (!r.get("init_qp_minus26", &qp))
		return false;
	p.init_qp_minus26 = static_cast<int8_t>(qp);
	if (!fields<uint8_t>(r, {{"diff_cu_qp_delta_depth", &p.diff_cu_qp_delta_depth}}) ||
	    !r.get("pps_cb_qp_offset", &cb) || !r.get("pps_cr_qp_offset", &cr))
		return false;
	p.pps_cb_qp_offset = static_cast<int8_t>(cb);
	p.pps_cr_qp_offset = static_cast<int8_t>(cr);
	if (!fields<uint8_t>(r, {{"log2_parallel_merge_level_minus2", &p.log2_parallel_merge_level_minus2},
				 {"num_tile_columns_minus1", &p.num_tile_columns_minus1},
				 {"num_tile_rows_minus1", &p.num_tile_rows_minus1}}) ||
	    !array(r, "column_width_minus1[19]", 19, p.column_width_minus1) ||
	    !array(r, "row_height_minus1[21]", 21, p.row_height_minus1))
		return false;
	int64_t slice;
	if (!r.get("slice_parsing_fields", &slice))
		return false;
	p.slice_parsing_fields.value = static_cast<uint32_t>(slice);
	int64_t beta, tc, rps;
	if (!fields<uint8_t>(r, {{"log2_max_pic_order_cnt_lsb_minus4", &p.log2_max_pic_order_cnt_lsb_minus4},
				 {"num_short_term_ref_pic_sets", &p.num_short_term_ref_pic_sets},
				 {"num_long_term_ref_pic_sps", &p.num_long_term_ref_pic_sps},
				 {"num_ref_idx_l0_default_active_minus1", &p.num_ref_idx_l0_default_active_minus1},
				 {"num_ref_idx_l1_default_active_minus1", &p.num_ref_idx_l1_default_active_minus1}}) ||
	    !r.get("pps_beta_offset_div2", &beta) || !r.get("pps_tc_offset_div2", &tc) ||
	    !fields<uint8_t>(r, {{"num_extra_slice_header_bits", &p.num_extra_slice_header_bits}}) ||
	    !r.get("st_rps_bits", &rps))
		return false;
	p.pps_beta_offset_div2 = static_cast<int8_t>(beta);
	p.pps_tc_offset_div2 = static_cast<int8_t>(tc);
	p.st_rps_bits = static_cast<uint32_t>(rps);
	*out = vaTraceBytesOf(p);
	return true;
}

bool hevcSlice(VaTraceReader &r, const SurfaceMap &, uint32_t size, std::vector<uint8_t> *out)
{
	if (size != sizeof(VASliceParameterBufferHEVC))
		return r.fail("the range-extension slice parameters (" + std::to_string(size) + " bytes) are not rebuilt");
	VASliceParameterBufferHEVC s {};
	if (!fields<uint32_t>(r, {{"slice_data_size", &s.slice_data_size},
				  {"slice_data_offset", &s.slice_data_offset},
				  {"slice_data_flag", &s.slice_data_flag},
				  {"slice_data_byte_offset", &s.slice_data_byte_offset},
				  {"slice_segment_address", &s.slice_segment_address}}) ||
	    !array(r, "RefPicList[2][15]", 30, &s.RefPicList[0][0]))
		return false;
	int64_t flags;
	if (!r.get("LongSliceFlags.value", &flags))
		return false;
	s.LongSliceFlags.value = static_cast<uint32_t>(flags);
	int64_t v[7];
	const char *keys[7] = {"slice_qp_delta", "slice_cb_qp_offset", "slice_cr_qp_offset",
			       "slice_beta_offset_div2", "slice_tc_offset_div2", "luma_log2_weight_denom",
			       "delta_chroma_log2_weight_denom"};
	if (!fields<uint8_t>(r, {{"collocated_ref_idx", &s.collocated_ref_idx}}))
		return false;
	for (int i = 0; i < 7; i++)
		if (!r.get(keys[i], &v[i]))
			return false;
	s.slice_qp_delta = static_cast<int8_t>(v[0]);
	s.slice_cb_qp_offset = static_cast<int8_t>(v[1]);
	s.slice_cr_qp_offset = static_cast<int8_t>(v[2]);
	s.slice_beta_offset_div2 = static_cast<int8_t>(v[3]);
	s.slice_tc_offset_div2 = static_cast<int8_t>(v[4]);
	s.luma_log2_weight_denom = static_cast<uint8_t>(v[5]);
	s.delta_chroma_log2_weight_denom = static_cast<int8_t>(v[6]);
	// One row per active reference: delta_luma_weight, luma_offset, delta_chroma_weight[2],
	// ChromaOffset[2].
	for (int list = 0; list < 2; list++) {
		int64_t active;
		if (!r.get(list ? "num_ref_idx_l1_active_minus1" : "num_ref_idx_l0_active_minus1", &active))
			return false;
		if (active < 0 || active > 14)
			return r.fail("num_ref_idx_active_minus1 out of range: " + std::to_string(active));
		std::vector<int64_t> w = r.rows();
		if (w.size() != 6 * static_cast<size_t>(active + 1))
			return r.fail("weight table of list " + std::to_string(list) + " has " + std::to_string(w.size()) +
				      " entries");
		(list ? s.num_ref_idx_l1_active_minus1 : s.num_ref_idx_l0_active_minus1) = static_cast<uint8_t>(active);
		for (int i = 0; i <= active; i++) {
			const int64_t *row = &w[6 * i];
			(list ? s.delta_luma_weight_l1 : s.delta_luma_weight_l0)[i] = static_cast<int8_t>(row[0]);
			(list ? s.luma_offset_l1 : s.luma_offset_l0)[i] = static_cast<int8_t>(row[1]);
			for (int c = 0; c < 2; c++) {
				(list ? s.delta_chroma_weight_l1 : s.delta_chroma_weight_l0)[i][c] = static_cast<int8_t>(row[2 + c]);
				(list ? s.ChromaOffsetL1 : s.ChromaOffsetL0)[i][c] = static_cast<int8_t>(row[4 + c]);
			}
		}
	}
	int64_t emu;
	if (!fields<uint8_t>(r, {{"five_minus_max_num_merge_cand", &s.five_minus_max_num_merge_cand}}) ||
	    !fields<uint16_t>(r, {{"num_entry_point_offsets", &s.num_entry_point_offsets},
				  {"entry_offset_to_subset_array", &s.entry_offset_to_subset_array}}) ||
	    !r.get("slice_data_num_emu_prevn_bytes", &emu))
		return false;
	s.slice_data_num_emu_prevn_bytes = static_cast<uint16_t>(emu);
	*out = vaTraceBytesOf(s);
	return true;
}

bool hevcMatrix(VaTraceReader &r, const SurfaceMap &, uint32_t, std::vector<uint8_t> *out)
{
	VAIQMatrixBufferHEVC m {};
	if (!array(r, "ScalingList4x4[6][16]", 96, &m.ScalingList4x4[0][0]) ||
	    !array(r, "ScalingList8x8[6][64]", 384, &m.ScalingList8x8[0][0]) ||
	    !array(r, "ScalingList16x16[6][64]", 384, &m.ScalingList16x16[0][0]) ||
	    !array(r, "ScalingList32x32[2][64]", 128, &m.ScalingList32x32[0][0]) ||
	    !array(r, "ScalingListDC16x16[6]", 6, m.ScalingListDC16x16) ||
	    !array(r, "ScalingListDC32x32[2]", 2, m.ScalingListDC32x32))
		return false;
	*out = vaTraceBytesOf(m);
	return true;
}

const VaStructRebuilder kHevc[] = {
	{"VAPictureParameterBufferHEVC", hevcPicture},
	{"VASliceParameterBufferHEVC", hevcSlice},
	{"VAIQMatrixBufferHEVC", hevcMatrix},
};

} // namespace

std::span<const VaStructRebuilder> vaTraceHevcRebuilders()
{
	return kHevc;
}

} // namespace v4l2va::test
