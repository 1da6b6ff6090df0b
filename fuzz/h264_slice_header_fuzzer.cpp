// SPDX-License-Identifier: MIT
// Fuzz target: the VA driver's H.264 slice header parser (backend/src/codecs/
// h264_slice_header.cpp) with the syntax the driver derives from VA picture parameters
// (h264::headerSyntax), so that the SPS/PPS values it sees are the ones a consumer can send.
//
// Input: u8 num_ref_idx_l0_active_minus1, u8 _l1_, u32 seq_fields, u32 pic_fields,
// u8 num_slice_groups_minus1, u8 slice_group_map_type, u16 slice_group_change_rate_minus1,
// u16 picture_width_in_mbs_minus1, u16 picture_height_in_mbs_minus1 (the VA fields), then the
// slice NAL unit from its header byte (no start code), as VASliceDataBuffer carries it.
// Invariants: no crash; a parsed header's bit sizes lie within the data and nest.
#include "byte_reader.h"

#include "codecs/h264_controls.h"
#include "codecs/h264_slice_header.h"

#include <cstdio>
#include <cstdlib>

using v4l2va::fuzz::ByteReader;

namespace {

[[noreturn]] void invariantBroken(const char *what)
{
	fprintf(stderr, "h264_slice_header: invariant broken: %s\n", what);
	abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ByteReader in(data, size);
	VAPictureParameterBufferH264 pic {};
	uint8_t l0 = in.u8(), l1 = in.u8();
	pic.seq_fields.value = in.u32();
	pic.pic_fields.value = in.u32();
	// Deprecated in va.h, but still read by the driver (FMO, Baseline/Extended).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
	pic.num_slice_groups_minus1 = in.u8();
	pic.slice_group_map_type = in.u8();
	pic.slice_group_change_rate_minus1 = in.u16();
#pragma GCC diagnostic pop
	pic.picture_width_in_mbs_minus1 = in.u16();
	pic.picture_height_in_mbs_minus1 = in.u16();
	v4l2va::H264HeaderSyntax syntax = v4l2va::h264::headerSyntax(pic, l0, l1);

	size_t n = 0;
	const uint8_t *nal = in.take(in.remaining(), &n);
	v4l2va::H264SliceHeader h;
	if (!v4l2va::parseH264SliceHeader(nal, n, syntax, &h))
		return 0;
	if (h.headerBitSize > n * 8)
		invariantBroken("the header is longer than the data");
	if (h.picOrderCntBitSize > h.headerBitSize || h.decRefPicMarkingBitSize > h.headerBitSize)
		invariantBroken("a part of the header is longer than the header");
	if (h.nalUnitType != v4l2va::kH264NalSlice && h.nalUnitType != v4l2va::kH264NalIdrSlice)
		invariantBroken("a NAL unit that is not a slice was parsed as one");
	if (h.sliceType > v4l2va::kH264SliceSI)
		invariantBroken("slice_type % 5 out of range");
	return 0;
}
