// SPDX-License-Identifier: MIT
// VP8 buffers of a LIBVA_TRACE log (libva 2.17 va_TraceVAPictureParameterBufferVP8 and
// friends). libva prints many of them in hex without 0x ("%x" surface ids, "%2x"
// probabilities, "0x%2x" as "0x 5") and the picture's flags bit by bit (pic_fields.value is not
// printed: bits outside the named ones are lost, rebuilt as 0). Every member of the four structs
// is printed; the slice data is not (va_TraceVP8Buf has an empty case for it, even with
// LIBVA_TRACE_BUFDATA): the replayer takes it from the clip (va_trace_clip.h).
#include "va_trace_reader.h"

namespace v4l2va::test {

namespace {

/// The hex numbers after a "label:" line ("mb_segment_tree_probs: 0x 0, 0x 0, 0x 0").
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

/// The decimal numbers after a "label:" line ("loop_filter_deltas_mode: 4, -2, 2, 4").
template<typename T> bool decAfter(VaTraceReader &r, const std::string &label, size_t n, T *out)
{
	std::string rest;
	if (!r.skipToText(label, &rest))
		return false;
	std::vector<int64_t> v = vaTraceNumbers(rest);
	if (v.size() != n)
		return r.fail(label + " is not " + std::to_string(n) + " numbers: " + rest);
	for (size_t i = 0; i < n; i++)
		out[i] = static_cast<T>(v[i]);
	return true;
}

/// "[1] = a4 80 cc ..." / "[0, 3] =  1, b9, ...": the hex values of the row labelled key.
bool hexRow(VaTraceReader &r, const std::string &key, size_t n, auto *out)
{
	std::string text;
	std::vector<int64_t> v;
	if (!r.getText(key, &text))
		return false;
	if (!vaTraceHexList(text, &v) || v.size() != n)
		return r.fail(key + " is not " + std::to_string(n) + " hex numbers");
	for (size_t i = 0; i < n; i++)
		out[i] = static_cast<std::remove_reference_t<decltype(out[0])>>(v[i]);
	return true;
}

bool vp8Picture(VaTraceReader &r, const SurfaceMap &map, uint32_t, std::vector<uint8_t> *out)
{
	VAPictureParameterBufferVP8 p {};
	int64_t w, h, ref[4];
	if (!r.get("frame_width", &w) || !r.get("frame_height", &h) || !r.getHex("last_ref_frame", &ref[0]) ||
	    !r.getHex("golden_ref_frame", &ref[1]) || !r.getHex("alt_ref_frame", &ref[2]) ||
	    !r.getHex("out_of_loop_frame", &ref[3]))
		return false;
	p.frame_width = static_cast<uint32_t>(w);
	p.frame_height = static_cast<uint32_t>(h);
	VASurfaceID *refs[4] = {&p.last_ref_frame, &p.golden_ref_frame, &p.alt_ref_frame, &p.out_of_loop_frame};
	for (int i = 0; i < 4; i++)
		*refs[i] = map(static_cast<VASurfaceID>(ref[i]));
	const char *bits[13] = {"key_frame", "version", "segmentation_enabled", "update_mb_segmentation_map",
				"update_segment_feature_data", "filter_type", "sharpness_level",
				"loop_filter_adj_enable", "mode_ref_lf_delta_update", "sign_bias_golden",
				"sign_bias_alternate", "mb_no_coeff_skip", "loop_filter_disable"};
	int64_t b[13];
	for (int i = 0; i < 13; i++)
		if (!r.get(bits[i], &b[i]))
			return false;
	auto &f = p.pic_fields.bits;
	f.key_frame = b[0] & 1;
	f.version = b[1] & 7;
	f.segmentation_enabled = b[2] & 1;
	f.update_mb_segmentation_map = b[3] & 1;
	f.update_segment_feature_data = b[4] & 1;
	f.filter_type = b[5] & 1;
	f.sharpness_level = b[6] & 7;
	f.loop_filter_adj_enable = b[7] & 1;
	f.mode_ref_lf_delta_update = b[8] & 1;
	f.sign_bias_golden = b[9] & 1;
	f.sign_bias_alternate = b[10] & 1;
	f.mb_no_coeff_skip = b[11] & 1;
	f.loop_filter_disable = b[12] & 1;
	if (!hexAfter(r, "mb_segment_tree_probs:", 3, p.mb_segment_tree_probs) ||
	    !decAfter(r, "loop_filter_level:", 4, p.loop_filter_level) ||
	    !decAfter(r, "loop_filter_deltas_ref_frame:", 4, p.loop_filter_deltas_ref_frame) ||
	    !decAfter(r, "loop_filter_deltas_mode:", 4, p.loop_filter_deltas_mode))
		return false;
	int64_t prob[4];
	if (!r.getHex("prob_skip_false", &prob[0]) || !r.getHex("prob_intra", &prob[1]) ||
	    !r.getHex("prob_last", &prob[2]) || !r.getHex("prob_gf", &prob[3]))
		return false;
	p.prob_skip_false = static_cast<uint8_t>(prob[0]);
	p.prob_intra = static_cast<uint8_t>(prob[1]);
	p.prob_last = static_cast<uint8_t>(prob[2]);
	p.prob_gf = static_cast<uint8_t>(prob[3]);
	if (!hexAfter(r, "y_mode_probs:", 4, p.y_mode_probs) || !hexAfter(r, "uv_mode_probs:", 3, p.uv_mode_probs) ||
	    !r.skipToText("mv_probs[2][19]:") || !hexRow(r, "[0]", 19, p.mv_probs[0]) ||
	    !hexRow(r, "[1]", 19, p.mv_probs[1]))
		return false;
	// "bool_coder_ctx: range = b1, value = 04, count = 4": range and value in hex.
	std::string text;
	if (!r.getText("bool_coder_ctx: range", &text))
		return false;
	unsigned range = 0, value = 0, count = 0;
	if (sscanf(text.c_str(), "%x, value = %x, count = %u", &range, &value, &count) != 3 || range > 255 ||
	    value > 255 || count > 255)
		return r.fail("bad bool_coder_ctx: " + text);
	p.bool_coder_ctx.range = static_cast<uint8_t>(range);
	p.bool_coder_ctx.value = static_cast<uint8_t>(value);
	p.bool_coder_ctx.count = static_cast<uint8_t>(count);
	*out = vaTraceBytesOf(p);
	return true;
}

bool vp8Slice(VaTraceReader &r, const SurfaceMap &, uint32_t, std::vector<uint8_t> *out)
{
	VASliceParameterBufferVP8 s {};
	int64_t v[5];
	const char *keys[5] = {"slice_data_size", "slice_data_offset", "slice_data_flag", "macroblock_offset",
			       "num_of_partitions"};
	for (int i = 0; i < 5; i++)
		if (!r.get(keys[i], &v[i]))
			return false;
	s.slice_data_size = static_cast<uint32_t>(v[0]);
	s.slice_data_offset = static_cast<uint32_t>(v[1]);
	s.slice_data_flag = static_cast<uint32_t>(v[2]);
	s.macroblock_offset = static_cast<uint32_t>(v[3]);
	s.num_of_partitions = static_cast<uint8_t>(v[4]);
	for (int i = 0; i < 9; i++) {
		int64_t size;
		if (!r.get("partition_size[" + std::to_string(i) + "]", &size))
			return false;
		s.partition_size[i] = static_cast<uint32_t>(size);
	}
	*out = vaTraceBytesOf(s);
	return true;
}

bool vp8Matrix(VaTraceReader &r, const SurfaceMap &, uint32_t, std::vector<uint8_t> *out)
{
	VAIQMatrixBufferVP8 m {};
	if (!r.skipTo("quantization_index[4][6]"))
		return false;
	for (int i = 0; i < 4; i++)
		if (!hexRow(r, "[" + std::to_string(i) + "]", 6, m.quantization_index[i]))
			return false;
	*out = vaTraceBytesOf(m);
	return true;
}

bool vp8Probability(VaTraceReader &r, const SurfaceMap &, uint32_t, std::vector<uint8_t> *out)
{
	VAProbabilityDataBufferVP8 p {};
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 8; j++)
			if (!hexRow(r, "[" + std::to_string(i) + ", " + std::to_string(j) + "]", 33,
				    &p.dct_coeff_probs[i][j][0][0]))
				return false;
	*out = vaTraceBytesOf(p);
	return true;
}

const VaStructRebuilder kVp8[] = {
	{"VAPictureParameterBufferVP8", vp8Picture},
	{"VASliceParameterBufferVP8", vp8Slice},
	{"VAIQMatrixBufferVP8", vp8Matrix},
	{"VAProbabilityDataBufferVP8", vp8Probability},
};

} // namespace

std::span<const VaStructRebuilder> vaTraceVp8Rebuilders()
{
	return kVp8;
}

} // namespace v4l2va::test
