// SPDX-License-Identifier: MIT
// The decode buffers of a LIBVA_TRACE log rebuilt as structs: libva 2.17 prints MPEG-2 fields
// by position (labels like "f mode"), H.264 fields by label with the reference lists as
// "TopPOC-BottomPOC-0xID-frame_idx-0xflags" lines, matrices as rows of numbers and slice
// data as "0xOFFS: xx xx ..." rows (LIBVA_TRACE_BUFDATA). Bitfield words are printed whole
// ("seq fields", "pic_fields", "picture coding extension"); the per-bit lines after them are
// redundant and skipped. Surface ids go through `map` (trace id -> replay id).
#include "va_trace_buffers.h"

#include <cstdlib>
#include <cstring>

namespace v4l2va::test {

namespace {

std::string trim(const std::string &s)
{
	size_t a = s.find_first_not_of(" \t");
	size_t b = s.find_last_not_of(" \t\r");
	return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

struct Field {
	std::string key, value;
};

/// "key = value" or "key= value" lines; other lines (reference entries, rows) as keyless.
std::vector<Field> fields(const std::vector<std::string> &lines)
{
	std::vector<Field> out;
	for (const std::string &l : lines) {
		std::string t = trim(l);
		size_t eq = t.find('=');
		if (eq == std::string::npos)
			out.push_back({"", t});
		else
			out.push_back({trim(t.substr(0, eq)), trim(t.substr(eq + 1))});
	}
	return out;
}

/// Decimal, or hex with 0x (libva pads decimals with zeros: "00000008" is not octal).
int64_t parseNumber(const char *p, char **end)
{
	bool negative = *p == '-';
	const char *q = negative ? p + 1 : p;
	int base = q[0] == '0' && (q[1] == 'x' || q[1] == 'X') ? 16 : 10;
	unsigned long long v = strtoull(q, end, base);
	if (*end == q) {
		*end = const_cast<char *>(p);
		return 0;
	}
	return negative ? -static_cast<int64_t>(v) : static_cast<int64_t>(v);
}

bool toInt(const std::string &s, int64_t *v)
{
	if (s.empty())
		return false;
	char *end = nullptr;
	*v = parseNumber(s.c_str(), &end);
	return end != s.c_str() && (*end == '\0' || *end == ' ' || *end == '\t');
}

/// Every integer of a run of lines (matrix rows, weight rows).
std::vector<int64_t> numbers(const std::string &text)
{
	std::vector<int64_t> out;
	const char *p = text.c_str();
	while (*p) {
		char *end = nullptr;
		int64_t v = parseNumber(p, &end);
		if (end == p) {
			p++;
			continue;
		}
		out.push_back(v);
		p = end;
	}
	return out;
}

class Reader {
public:
	explicit Reader(const std::vector<std::string> &lines) : f_(fields(lines)) {}

	/// The value of a labelled field, searching forward from the cursor.
	bool get(const std::string &key, int64_t *v)
	{
		for (size_t i = pos_; i < f_.size(); i++)
			if (f_[i].key == key) {
				pos_ = i + 1;
				if (!toInt(f_[i].value, v))
					return fail("field " + key + " is not a number: " + f_[i].value);
				return true;
			}
		return fail("field " + key + " missing");
	}
	/// The next labelled field, whatever its label (MPEG-2's positional fields).
	bool next(int64_t *v)
	{
		for (; pos_ < f_.size(); pos_++)
			if (!f_[pos_].key.empty()) {
				const Field &f = f_[pos_++];
				if (!toInt(f.value, v))
					return fail("field " + f.key + " is not a number: " + f.value);
				return true;
			}
		return fail("fewer fields than the struct has");
	}
	/// Keyless lines right after the cursor (reference entries), consumed.
	std::vector<std::string> entries()
	{
		std::vector<std::string> out;
		while (pos_ < f_.size() && f_[pos_].key.empty()) {
			if (!f_[pos_].value.empty())
				out.push_back(f_[pos_].value);
			pos_++;
		}
		return out;
	}
	/// All integers from the cursor to the next labelled field.
	std::vector<int64_t> rows()
	{
		std::string text;
		while (pos_ < f_.size() && f_[pos_].key.empty()) {
			text += " " + f_[pos_].value;
			pos_++;
		}
		// "{" / "}" of matrix braces are not numbers; numbers() skips them.
		return numbers(text);
	}
	/// Past the unlabelled line that starts with text ("ReferenceFrames (...):").
	bool skipToText(const std::string &text)
	{
		for (size_t i = pos_; i < f_.size(); i++)
			if (f_[i].key.empty() && f_[i].value.compare(0, text.size(), text) == 0) {
				pos_ = i + 1;
				return true;
			}
		return fail(text + " missing");
	}
	bool skipTo(const std::string &key)
	{
		for (size_t i = pos_; i < f_.size(); i++)
			if (f_[i].key == key) {
				pos_ = i + 1;
				return true;
			}
		return fail("field " + key + " missing");
	}
	bool fail(const std::string &m)
	{
		if (error_.empty())
			error_ = m;
		return false;
	}
	const std::string &error() const { return error_; }

private:
	std::vector<Field> f_;
	size_t pos_ = 0;
	std::string error_;
};

/// "00000002-00000002-0x04010016-00000001-0x00000008" (TopPOC-BottomPOC-id-frame_idx-flags).
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
		v[i] = parseNumber(q, &end);
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

template<typename T> std::vector<uint8_t> bytesOf(const T &v)
{
	std::vector<uint8_t> out(sizeof(T));
	memcpy(out.data(), &v, sizeof(T));
	return out;
}

bool mpeg2Picture(Reader &r, const SurfaceMap &map, std::vector<uint8_t> *out)
{
	VAPictureParameterBufferMPEG2 p {};
	int64_t v[7];
	for (int64_t &x : v)
		if (!r.next(&x))
			return false;
	p.horizontal_size = static_cast<uint16_t>(v[0]);
	p.vertical_size = static_cast<uint16_t>(v[1]);
	p.forward_reference_picture = v[2] == -1 ? VA_INVALID_SURFACE : map(static_cast<VASurfaceID>(v[2]));
	p.backward_reference_picture = v[3] == -1 ? VA_INVALID_SURFACE : map(static_cast<VASurfaceID>(v[3]));
	p.picture_coding_type = static_cast<int32_t>(v[4]);
	p.f_code = static_cast<int32_t>(v[5]);
	p.picture_coding_extension.value = static_cast<uint32_t>(v[6]);
	*out = bytesOf(p);
	return true;
}

bool mpeg2Matrix(Reader &r, std::vector<uint8_t> *out)
{
	VAIQMatrixBufferMPEG2 m {};
	int64_t load[4];
	for (int64_t &x : load)
		if (!r.next(&x))
			return false;
	m.load_intra_quantiser_matrix = static_cast<int32_t>(load[0]);
	m.load_non_intra_quantiser_matrix = static_cast<int32_t>(load[1]);
	m.load_chroma_intra_quantiser_matrix = static_cast<int32_t>(load[2]);
	m.load_chroma_non_intra_quantiser_matrix = static_cast<int32_t>(load[3]);
	uint8_t *mats[4] = {m.intra_quantiser_matrix, m.non_intra_quantiser_matrix,
			    m.chroma_intra_quantiser_matrix, m.chroma_non_intra_quantiser_matrix};
	for (uint8_t *mat : mats) {
		r.entries();
		std::vector<int64_t> v;
		if (!r.skipTo(std::string(mat == m.intra_quantiser_matrix ? "intra_quantiser_matrix[]"
					  : mat == m.non_intra_quantiser_matrix ? "non_intra_quantiser_matrix[]"
					  : mat == m.chroma_intra_quantiser_matrix ? "chroma_intra_quantiser_matrix[]"
										   : "chroma_non_intra_quantiser_matrix[]")))
			return false;
		v = r.rows();
		if (v.size() != 64)
			return r.fail("a quantiser matrix has " + std::to_string(v.size()) + " entries");
		for (int i = 0; i < 64; i++)
			mat[i] = static_cast<uint8_t>(v[i]);
	}
	*out = bytesOf(m);
	return true;
}

bool mpeg2Slice(Reader &r, std::vector<uint8_t> *out)
{
	VASliceParameterBufferMPEG2 s {};
	int64_t v[8];
	for (int64_t &x : v)
		if (!r.next(&x))
			return false;
	s.slice_data_size = static_cast<uint32_t>(v[0]);
	s.slice_data_offset = static_cast<uint32_t>(v[1]);
	s.slice_data_flag = static_cast<uint32_t>(v[2]);
	s.macroblock_offset = static_cast<uint32_t>(v[3]);
	s.slice_horizontal_position = static_cast<uint32_t>(v[4]);
	s.slice_vertical_position = static_cast<uint32_t>(v[5]);
	s.quantiser_scale_code = static_cast<int32_t>(v[6]);
	s.intra_slice_flag = static_cast<int32_t>(v[7]);
	*out = bytesOf(s);
	return true;
}

bool h264Picture(Reader &r, const SurfaceMap &map, std::vector<uint8_t> *out)
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
	*out = bytesOf(p);
	return true;
}

bool h264Matrix(Reader &r, std::vector<uint8_t> *out)
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
	*out = bytesOf(m);
	return true;
}

bool h264Slice(Reader &r, const SurfaceMap &map, std::vector<uint8_t> *out)
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
	*out = bytesOf(s);
	return true;
}

bool sliceData(const std::vector<std::string> &lines, uint32_t size, std::vector<uint8_t> *out,
	       std::string *problem)
{
	out->clear();
	for (const std::string &l : lines) {
		std::string t = trim(l);
		size_t colon = t.find(':');
		if (t.compare(0, 2, "0x") != 0 || colon == std::string::npos)
			continue;
		const char *p = t.c_str() + colon + 1;
		for (;;) {
			while (*p == ' ')
				p++;
			if (!*p)
				break;
			char *end = nullptr;
			unsigned long b = strtoul(p, &end, 16);
			if (end == p || b > 255) {
				*problem = "bad slice data row: " + t.substr(0, 60);
				return false;
			}
			out->push_back(static_cast<uint8_t>(b));
			p = end;
		}
	}
	if (out->size() != size) {
		*problem = "slice data has " + std::to_string(out->size()) + " bytes, the buffer " +
			   std::to_string(size) + " (LIBVA_TRACE_BUFDATA missing?)";
		return false;
	}
	return true;
}

} // namespace

bool rebuildBuffer(VaTraceBuffer *b, const SurfaceMap &map)
{
	b->data.clear();
	b->problem.clear();
	if (b->numElements != 1 && b->type != VASliceDataBufferType) {
		b->problem = "buffers of several elements are not rebuilt";
		return false;
	}
	if (b->type == VASliceDataBufferType)
		return sliceData(b->lines, b->size * b->numElements, &b->data, &b->problem);
	Reader r(b->lines);
	bool ok;
	const std::string &n = b->structName;
	if (n == "VAPictureParameterBufferMPEG2")
		ok = mpeg2Picture(r, map, &b->data);
	else if (n == "VAIQMatrixBufferMPEG2")
		ok = mpeg2Matrix(r, &b->data);
	else if (n == "VASliceParameterBufferMPEG2")
		ok = mpeg2Slice(r, &b->data);
	else if (n == "VAPictureParameterBufferH264")
		ok = h264Picture(r, map, &b->data);
	else if (n == "VAIQMatrixBufferH264")
		ok = h264Matrix(r, &b->data);
	else if (n == "VASliceParameterBufferH264")
		ok = h264Slice(r, map, &b->data);
	else {
		b->problem = "no rebuilder for " + (n.empty() ? std::string("an unnamed buffer") : n);
		return false;
	}
	if (!ok) {
		b->problem = n + ": " + r.error();
		b->data.clear();
		return false;
	}
	if (b->data.size() != b->size) {
		b->problem = n + ": rebuilt " + std::to_string(b->data.size()) + " bytes, the trace says " +
			     std::to_string(b->size);
		b->data.clear();
		return false;
	}
	return true;
}

} // namespace v4l2va::test
