// SPDX-License-Identifier: MIT
// MPEG-2 buffers of a LIBVA_TRACE log: libva 2.17 prints the fields by position, under labels
// like "f mode" that are not the member names.
#include "va_trace_reader.h"

#include <cstdlib>

namespace v4l2va::test {

namespace {

bool mpeg2Picture(VaTraceReader &r, const SurfaceMap &map, uint32_t, std::vector<uint8_t> *out)
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
	*out = vaTraceBytesOf(p);
	return true;
}

bool mpeg2Matrix(VaTraceReader &r, const SurfaceMap &, uint32_t, std::vector<uint8_t> *out)
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
	*out = vaTraceBytesOf(m);
	return true;
}

bool mpeg2Slice(VaTraceReader &r, const SurfaceMap &, uint32_t, std::vector<uint8_t> *out)
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
	*out = vaTraceBytesOf(s);
	return true;
}

const VaStructRebuilder kMpeg2[] = {
	{"VAPictureParameterBufferMPEG2", mpeg2Picture},
	{"VAIQMatrixBufferMPEG2", mpeg2Matrix},
	{"VASliceParameterBufferMPEG2", mpeg2Slice},
};

} // namespace

std::span<const VaStructRebuilder> vaTraceMpeg2Rebuilders()
{
	return kMpeg2;
}

} // namespace v4l2va::test
