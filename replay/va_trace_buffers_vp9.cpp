// SPDX-License-Identifier: MIT
// VP9 buffers of a LIBVA_TRACE log (libva 2.17 va_TraceVAPictureParameterBufferVP9 and
// va_TraceVASliceParameterBufferVP9): the picture's flags bit by bit (pic_fields.value is not
// printed), the segment parameters in full. libva 2.17 does not print bit_depth: profiles 0
// and 1 are 8-bit by definition (VP9 spec 7.2: BitDepth = 8 unless profile >= 2), profiles 2
// and 3 (10 or 12 bits) cannot be rebuilt and are refused with that reason. The slice data is
// dumped by va_TraceVABuffers (LIBVA_TRACE_BUFDATA).
#include "va_trace_reader.h"

namespace v4l2va::test {

namespace {

bool hexAfter(VaTraceReader &r, const std::string &label, size_t n, uint8_t *out)
{
	std::string rest;
	std::vector<int64_t> v;
	if (!r.skipToText(label, &rest))
		return false;
	if (!vaTraceHexList(rest, &v) || v.size() != n)
		return r.fail(label + " is not " + std::to_string(n) + " hex numbers: " + rest);
	for (size_t i = 0; i < n; i++)
		out[i] = static_cast<uint8_t>(v[i]);
	return true;
}

bool vp9Picture(VaTraceReader &r, const SurfaceMap &map, uint32_t, std::vector<uint8_t> *out)
{
	VADecPictureParameterBufferVP9 p {};
	int64_t w, h;
	if (!r.get("frame_width", &w) || !r.get("frame_height", &h) || !r.skipTo("reference_frames[8]"))
		return false;
	p.frame_width = static_cast<uint16_t>(w);
	p.frame_height = static_cast<uint16_t>(h);
	std::vector<std::string> refs = r.entries();
	if (refs.size() != 8)
		return r.fail("reference_frames has " + std::to_string(refs.size()) + " entries");
	for (int i = 0; i < 8; i++) {
		char *end = nullptr;
		int64_t id = vaTraceNumber(refs[i].c_str(), &end);
		if (end == refs[i].c_str() || *end)
			return r.fail("bad reference frame: " + refs[i]);
		p.reference_frames[i] = map(static_cast<VASurfaceID>(id));
	}
	const char *bits[22] = {"subsampling_x", "subsampling_y", "frame_type", "show_frame",
				"error_resilient_mode", "intra_only", "allow_high_precision_mv",
				"mcomp_filter_type", "frame_parallel_decoding_mode", "reset_frame_context",
				"refresh_frame_context", "frame_context_idx", "segmentation_enabled",
				"segmentation_temporal_update", "segmentation_update_map", "last_ref_frame",
				"last_ref_frame_sign_bias", "golden_ref_frame", "golden_ref_frame_sign_bias",
				"alt_ref_frame", "alt_ref_frame_sign_bias", "lossless_flag"};
	int64_t b[22];
	for (int i = 0; i < 22; i++)
		if (!r.get(bits[i], &b[i]))
			return false;
	auto &f = p.pic_fields.bits;
	f.subsampling_x = b[0] & 1;
	f.subsampling_y = b[1] & 1;
	f.frame_type = b[2] & 1;
	f.show_frame = b[3] & 1;
	f.error_resilient_mode = b[4] & 1;
	f.intra_only = b[5] & 1;
	f.allow_high_precision_mv = b[6] & 1;
	f.mcomp_filter_type = b[7] & 7;
	f.frame_parallel_decoding_mode = b[8] & 1;
	f.reset_frame_context = b[9] & 3;
	f.refresh_frame_context = b[10] & 1;
	f.frame_context_idx = b[11] & 3;
	f.segmentation_enabled = b[12] & 1;
	f.segmentation_temporal_update = b[13] & 1;
	f.segmentation_update_map = b[14] & 1;
	f.last_ref_frame = b[15] & 7;
	f.last_ref_frame_sign_bias = b[16] & 1;
	f.golden_ref_frame = b[17] & 7;
	f.golden_ref_frame_sign_bias = b[18] & 1;
	f.alt_ref_frame = b[19] & 7;
	f.alt_ref_frame_sign_bias = b[20] & 1;
	f.lossless_flag = b[21] & 1;
	int64_t v[6];
	const char *keys[6] = {"filter_level", "sharpness_level", "log2_tile_rows", "log2_tile_columns",
			       "frame_header_length_in_bytes", "first_partition_size"};
	for (int i = 0; i < 6; i++)
		if (!r.get(keys[i], &v[i]))
			return false;
	p.filter_level = static_cast<uint8_t>(v[0]);
	p.sharpness_level = static_cast<uint8_t>(v[1]);
	p.log2_tile_rows = static_cast<uint8_t>(v[2]);
	p.log2_tile_columns = static_cast<uint8_t>(v[3]);
	p.frame_header_length_in_bytes = static_cast<uint8_t>(v[4]);
	p.first_partition_size = static_cast<uint16_t>(v[5]);
	int64_t profile;
	if (!hexAfter(r, "mb_segment_tree_probs[7]:", 7, p.mb_segment_tree_probs) ||
	    !hexAfter(r, "segment_pred_probs[3]:", 3, p.segment_pred_probs) || !r.get("profile", &profile))
		return false;
	if (profile < 0 || profile > 3)
		return r.fail("profile out of range: " + std::to_string(profile));
	if (profile >= 2)
		return r.fail("profile " + std::to_string(profile) +
			      ": libva 2.17 does not print bit_depth (10 or 12), not rebuilt");
	p.profile = static_cast<uint8_t>(profile);
	p.bit_depth = 8;
	*out = vaTraceBytesOf(p);
	return true;
}

bool vp9Slice(VaTraceReader &r, const SurfaceMap &, uint32_t, std::vector<uint8_t> *out)
{
	VASliceParameterBufferVP9 s {};
	int64_t v[3];
	const char *keys[3] = {"slice_data_size", "slice_data_offset", "slice_data_flag"};
	for (int i = 0; i < 3; i++)
		if (!r.get(keys[i], &v[i]))
			return false;
	s.slice_data_size = static_cast<uint32_t>(v[0]);
	s.slice_data_offset = static_cast<uint32_t>(v[1]);
	s.slice_data_flag = static_cast<uint32_t>(v[2]);
	for (int i = 0; i < 8; i++) {
		VASegmentParameterVP9 &seg = s.seg_param[i];
		int64_t en, ref, skip;
		if (!r.skipTo("seg_param[" + std::to_string(i) + "]") || !r.get("segment_reference_enabled", &en) ||
		    !r.get("segment_reference", &ref) || !r.get("segment_reference_skipped", &skip) ||
		    !r.skipTo("filter_level[4][2]"))
			return false;
		seg.segment_flags.fields.segment_reference_enabled = en & 1;
		seg.segment_flags.fields.segment_reference = ref & 3;
		seg.segment_flags.fields.segment_reference_skipped = skip & 1;
		std::vector<int64_t> lf = r.rows();	// "[ 23,  23]" x 4
		if (lf.size() != 8)
			return r.fail("seg_param filter_level has " + std::to_string(lf.size()) + " entries");
		for (int k = 0; k < 8; k++)
			seg.filter_level[k / 2][k % 2] = static_cast<uint8_t>(lf[k]);
		int64_t q[4];
		const char *qk[4] = {"luma_ac_quant_scale", "luma_dc_quant_scale", "chroma_ac_quant_scale",
				     "chroma_dc_quant_scale"};
		for (int k = 0; k < 4; k++)
			if (!r.get(qk[k], &q[k]))
				return false;
		seg.luma_ac_quant_scale = static_cast<int16_t>(q[0]);
		seg.luma_dc_quant_scale = static_cast<int16_t>(q[1]);
		seg.chroma_ac_quant_scale = static_cast<int16_t>(q[2]);
		seg.chroma_dc_quant_scale = static_cast<int16_t>(q[3]);
	}
	*out = vaTraceBytesOf(s);
	return true;
}

const VaStructRebuilder kVp9[] = {
	{"VAPictureParameterBufferVP9", vp9Picture},
	{"VASliceParameterBufferVP9", vp9Slice},
};

} // namespace

std::span<const VaStructRebuilder> vaTraceVp9Rebuilders()
{
	return kVp9;
}

} // namespace v4l2va::test
