// SPDX-License-Identifier: MIT
#pragma once

// Test support shared by hevc_test.cpp and hevc_slice_header_test.cpp: libx265 slice NAL
// units (header fields per ffmpeg -bsf:v trace_headers), their stream's parameters as the
// parser context and as FFmpeg's VA buffers, a bit writer for synthetic headers, and the
// fakes a codec renders into.

#include "codecs/codec.h"
#include "codecs/hevc_slice_header.h"

#include <va/va.h>
#include <va/va_dec_hevc.h>

#include <cstdint>
#include <cstring>
#include <map>
#include <vector>

namespace v4l2va::hevc::test_stream {
namespace {

// ffmpeg -f lavfi -i testsrc=size=176x144:rate=25 -pix_fmt yuv420p -frames:v 9 -c:v libx265
//   -x265-params keyint=8:bframes=2:b-adapt=0 (WPP on, weighted P prediction, CTB 64: 3x3)
// Coded order: IDR 0, P 3, B 2, b 1, P 6, B 5, b 4, CRA 8, RASL 7.
const uint8_t kIdrPoc0[] = {	// IDR_N_LP, first 24 of 1592 bytes
	0x28, 0x01, 0xaf, 0x1d, 0x62, 0xa6, 0xca, 0xca, 0xbc, 0x79, 0xe3, 0x53,
	0x41, 0xbc, 0x60, 0xb0, 0xad, 0xff, 0xe3, 0xf8, 0xa1, 0xd4, 0xd4, 0x62,
};
const uint8_t kPPoc3[] = {	// TRAIL_R P, first 40 of 148 bytes
	0x02, 0x01, 0xd0, 0x19, 0x5f, 0x84, 0x31, 0x8e, 0x33, 0x89, 0xf1, 0xa9,
	0x74, 0x8d, 0x61, 0xb3, 0xda, 0xc7, 0x9d, 0xd0, 0x80, 0x59, 0xdf, 0x55,
	0x2f, 0xce, 0xb1, 0x32, 0x0b, 0x6a, 0x7d, 0x97, 0xe2, 0x29, 0x53, 0xa1,
	0x42, 0xe5, 0x37, 0x82,
};
const uint8_t kBPoc2[] = {	// TRAIL_R B
	0x02, 0x01, 0xe0, 0x44, 0x97, 0xe1, 0x84, 0x8d, 0xb9, 0xe6, 0xc8, 0xa2,
	0x80, 0x68, 0xda, 0xa8, 0x6b, 0x7a, 0x05, 0x94,
};
const uint8_t kBPoc1[] = {	// TRAIL_N B
	0x00, 0x01, 0xe0, 0x24, 0xff, 0xfa, 0x2c, 0x29, 0x6d, 0xa8, 0xe6, 0x58,
	0xd1, 0x80, 0x5a, 0x2d, 0xa0, 0x04, 0xd4,
};
const uint8_t kCraPoc8[] = {	// CRA, first 24 of 1331 bytes
	0x2a, 0x01, 0xac, 0x20, 0x5a, 0x49, 0x71, 0x86, 0x2a, 0x17, 0x8a, 0x60,
	0xc2, 0xe1, 0x9c, 0xee, 0xa4, 0xa7, 0xb2, 0xe1, 0xae, 0xef, 0xff, 0xb4,
};
const uint8_t kRaslPoc7[] = {	// RASL_N B: before 6 5 2, after 8
	0x10, 0x01, 0xe0, 0xe2, 0x2f, 0x7f, 0xdc, 0x61, 0x43, 0x75, 0xc0, 0xe6,
	0x60, 0x5d, 0x8b, 0xaa, 0x56, 0x5c, 0x4d, 0x0c, 0x3e, 0x04, 0x9c,
};
// The same source with -x265-params keyint=8:bframes=2:slices=2 (pps_loop_filter_across_
// slices_enabled_flag 0): picture POC 1, P, two slices (CTB 0 and CTB 3).
const uint8_t kTwoSliceP0[] = {
	0x02, 0x01, 0xd0, 0x09, 0x7e, 0x10, 0xc6, 0x3b, 0xab, 0x6a, 0x10, 0x80,
	0x3a, 0xef, 0xa8, 0xa9, 0xe0, 0x10,
};
const uint8_t kTwoSliceP1[] = {	// first 40 of 74 bytes
	0x02, 0x01, 0x4d, 0x00, 0x97, 0xe1, 0x0c, 0x63, 0x91, 0xb8, 0x80, 0xae,
	0x4a, 0xc8, 0x55, 0xaa, 0x4e, 0x6c, 0xc5, 0x88, 0x0a, 0xed, 0x76, 0x46,
	0xb4, 0x6b, 0x88, 0xf3, 0xb2, 0xdd, 0x5d, 0x24, 0x5a, 0xd5, 0xa5, 0x52,
	0x99, 0x09, 0x8c, 0x6b,
};

[[maybe_unused]] SliceHeaderContext streamContext(bool loopFilterAcrossSlices = true)
{
	SliceHeaderContext c;
	c.log2MaxPicOrderCntLsb = 8;
	c.spsTemporalMvpEnabled = true;
	c.sampleAdaptiveOffsetEnabled = true;
	c.weightedPred = true;
	c.ppsLoopFilterAcrossSlicesEnabled = loopFilterAcrossSlices;
	c.entropyCodingSyncEnabled = true;
	c.picSizeInCtbsY = 9;
	return c;
}

/// Writes RBSP bits, then escapes them into a NAL payload.
class BitWriter {
public:
	void u(uint64_t v, unsigned bits)
	{
		for (unsigned i = bits; i-- > 0;)
			bits_.push_back((v >> i) & 1);
	}
	void ue(uint32_t v)
	{
		unsigned len = 0;
		while ((uint64_t{v} + 1) >> (len + 1))
			len++;
		u(0, len);
		u(uint64_t{v} + 1, len + 1);
	}
	void se(int32_t v)
	{
		ue(v <= 0 ? static_cast<uint32_t>(-2 * v) : static_cast<uint32_t>(2 * v - 1));
	}
	size_t bits() const { return bits_.size(); }
	std::vector<uint8_t> nal(size_t *epb) const
	{
		std::vector<uint8_t> out;
		unsigned zeros = 0;
		*epb = 0;
		for (size_t i = 0; i < bits_.size(); i += 8) {
			uint8_t b = 0;
			for (size_t j = 0; j < 8; j++)
				b = static_cast<uint8_t>(b << 1 |
							 (i + j < bits_.size() ? bits_[i + j] : 0));
			if (zeros >= 2 && b <= 3) {
				out.push_back(3);
				zeros = 0;
				++*epb;
			}
			out.push_back(b);
			zeros = b ? 0 : zeros + 1;
		}
		return out;
	}

private:
	std::vector<uint8_t> bits_;
};

/// The x265 stream's SPS/PPS as VA picture parameters (FFmpeg's vaapi_hevc.c fill).
[[maybe_unused]] VAPictureParameterBufferHEVC streamPicture(int32_t poc,
							   bool loopFilterAcrossSlices = true)
{
	VAPictureParameterBufferHEVC p = {};
	p.CurrPic.picture_id = 100;
	p.CurrPic.pic_order_cnt = poc;
	for (VAPictureHEVC &r : p.ReferenceFrames) {
		r.picture_id = VA_INVALID_SURFACE;
		r.flags = VA_PICTURE_HEVC_INVALID;
	}
	p.pic_width_in_luma_samples = 176;
	p.pic_height_in_luma_samples = 144;
	auto &pf = p.pic_fields.bits;
	pf.chroma_format_idc = 1;
	pf.strong_intra_smoothing_enabled_flag = 1;
	pf.sign_data_hiding_enabled_flag = 1;
	pf.cu_qp_delta_enabled_flag = 1;
	pf.weighted_pred_flag = 1;
	pf.entropy_coding_sync_enabled_flag = 1;
	pf.pps_loop_filter_across_slices_enabled_flag = loopFilterAcrossSlices;
	p.sps_max_dec_pic_buffering_minus1 = 4;
	p.log2_diff_max_min_luma_coding_block_size = 3;
	p.log2_diff_max_min_transform_block_size = 3;
	p.diff_cu_qp_delta_depth = 1;
	p.slice_parsing_fields.bits.sps_temporal_mvp_enabled_flag = 1;
	p.slice_parsing_fields.bits.sample_adaptive_offset_enabled_flag = 1;
	p.log2_max_pic_order_cnt_lsb_minus4 = 4;
	return p;
}

/// The parser context VA's picture parameters give for the stream.
[[maybe_unused]] void setRef(VAPictureParameterBufferHEVC &p, int i, VASurfaceID s, int32_t poc,
			     uint32_t flags)
{
	p.ReferenceFrames[i].picture_id = s;
	p.ReferenceFrames[i].pic_order_cnt = poc;
	p.ReferenceFrames[i].flags = flags;
}

/// A slice as FFmpeg fills it; values per the stream's trace.
[[maybe_unused]] VASliceParameterBufferHEVC streamSlice(size_t size, uint32_t headerBytes,
							uint32_t type)
{
	VASliceParameterBufferHEVC s = {};
	s.slice_data_size = static_cast<uint32_t>(size);
	s.slice_data_flag = VA_SLICE_DATA_FLAG_ALL;
	s.slice_data_byte_offset = headerBytes;
	memset(s.RefPicList, 0xff, sizeof(s.RefPicList));
	s.LongSliceFlags.fields.slice_type = type;
	s.LongSliceFlags.fields.slice_sao_luma_flag = 1;
	s.LongSliceFlags.fields.slice_sao_chroma_flag = 1;
	s.LongSliceFlags.fields.slice_temporal_mvp_enabled_flag = type != kSliceI;
	s.LongSliceFlags.fields.collocated_from_l0_flag = type == kSliceP;
	s.collocated_ref_idx = type == kSliceI ? 0xff : 0;
	s.five_minus_max_num_merge_cand = type == kSliceI ? 0 : 2;
	return s;
}

/// A BitstreamSink over fixed buffers: up to kUnits units of `capacity` bytes each.
class FixedSink final : public BitstreamSink {
public:
	static constexpr unsigned kUnits = 4;
	explicit FixedSink(size_t capacity = 4096) : capacity_(capacity) {}
	uint8_t *reserve(size_t n) override
	{
		return used_[units_ - 1] + n <= capacity_ ? &data_[units_ - 1][used_[units_ - 1]]
							  : nullptr;
	}
	void commit(size_t n) override { used_[units_ - 1] += n; }
	size_t unitSize() const override { return used_[units_ - 1]; }
	VAStatus newUnit() override
	{
		if (units_ == kUnits)
			return VA_STATUS_ERROR_MAX_NUM_EXCEEDED;
		used_[units_++] = 0;
		return VA_STATUS_SUCCESS;
	}
	unsigned unitCount() const override { return units_; }
	std::vector<uint8_t> unit(unsigned u) const { return {data_[u], data_[u] + used_[u]}; }

private:
	size_t capacity_;
	uint8_t data_[kUnits][4096] = {};
	size_t used_[kUnits] = {};
	unsigned units_ = 1;
};

class MapResolver final : public ReferenceResolver {
public:
	std::map<VASurfaceID, uint64_t> timestamps;
	bool timestampOf(VASurfaceID s, uint64_t *ts) const override
	{
		auto it = timestamps.find(s);
		if (it == timestamps.end())
			return false;
		*ts = it->second;
		return true;
	}
};

[[maybe_unused]] const uint8_t *bytes(const void *p)
{
	return static_cast<const uint8_t *>(p);
}

[[maybe_unused]] std::vector<uint8_t> withStartCode(const uint8_t *nal, size_t size)
{
	std::vector<uint8_t> v = {0, 0, 1};
	v.insert(v.end(), nal, nal + size);
	return v;
}

} // namespace
} // namespace v4l2va::hevc::test_stream
