// SPDX-License-Identifier: MIT
// The VP8 codec fed real libvpx frames (a key frame, a hidden alt-ref frame, inter frames
// predicting from last, golden and alt-ref), once as FFmpeg's vaapi_vp8.c submits them (slice
// data after the uncompressed header) and once as GStreamer's gstvavp8dec.c does (the whole
// frame, slice_data_offset past the header). The test parses the uncompressed header and the
// first partition's header up to the refresh flags itself (RFC 6386 9.2-9.8); the rest of the
// VA parameters (token, mode and MV probabilities, skip/intra/last/golden probabilities) would
// need RFC 6386's 1056-entry coefficient update table to parse, so the test gives them
// patterns and checks they are carried over.
#include "codecs/registry.h"

#include <gtest/gtest.h>

#include <va/va.h>
#include <va/va_dec_vp8.h>

#include <algorithm>
#include <map>
#include <vector>

namespace v4l2emu {
int validateCompoundElement(uint32_t type, void *elem);	// emulator/src/codecs/codec.h
}

namespace v4l2va {
namespace {

// Two-pass: ffmpeg -f lavfi -i testsrc=size=64x48:rate=25 -frames:v 12 -c:v libvpx
//   -auto-alt-ref 1 -lag-in-frames 8 -arnr-maxframes 3 -b:v 30k -slices 2 -g 30 -pass 1|2
//   -f ivf; the first four frames: key, hidden alt-ref, two inter frames; two DCT partitions.
constexpr char kFrame0[] =
	"\x50\x17\x00\x9d\x01\x2a\x40\x00\x30\x00\x00\x47\x08\x85\x85\x88\x85\x84\x88\x44\x02\x02"
	"\x75\xba\x24\xfa\x9e\x2d\xf8\x4b\xfb\x01\xf0\x13\x52\xfe\x23\xf6\x4b\xf5\xdb\xfa\xae\x60"
	"\xe7\x0f\xff\x47\xfc\xc5\xff\x01\xec\x03\xf8\x03\xd8\x03\xfa\x03\xfc\x93\xf0\xa7\x80\x0f"
	"\xe8\xd7\xf6\x8e\x00\x1f\xef\x9f\xd5\x7a\xc0\x7d\x00\x7f\x60\x3d\x12\xbf\xb0\xff\x80\xf8"
	"\x1a\xfd\x69\xff\x77\xff\x2b\xdc\x33\xf9\xae\x60\x0f\x69\x1f\xcb\xbf\x13\xba\x0b\x8f\x92"
	"\xfc\x06\x65\x1c\x72\x7f\xde\xe9\x92\x7d\x0d\x3f\xbc\xf3\x31\xf8\x57\xf4\x7f\xfa\x7e\xe0"
	"\xff\xc3\xbf\x9d\xff\x96\xfc\xc6\xe3\x01\xfd\x20\xec\xa2\xd0\xac\xaa\xb5\x09\xc0\x14\x58"
	"\x9f\x68\xbc\xe2\x18\x25\x55\x7e\xdd\xd0\x52\xc3\x6b\x90\xbc\x02\x81\xa2\xa2\x5e\x2d\x7b"
	"\x04\xf9\x13\xdf\xc1\x86\x7b\xf9\x6b\xce\xac\xcc\xca\xd9\xef\x5c\x64\x07\x00\x00\xc0\x02"
	"\x00\xfe\xff\xe7\xc9\xf3\x2c\x0c\xed\xb8\xfa\xc9\x27\xd4\xa8\x28\x61\x85\x8d\xb3\xf3\xbc"
	"\x65\xed\x9f\x96\x9c\x04\x39\xe6\x38\x04\x28\xa4\x03\x38\x04\x40\x1a\xb8\xea\xee\x74\xfb"
	"\xa2\x5f\xea\xe3\x3d\xfe\x54\x6b\x88\x37\xf2\x0a\x7a\xd6\xdc\x14\x7c\x37\x20\xd3\xda\x9a"
	"\xec\xab\xaa\x11\xba\x9d\xab\xed\x01\xe9\xf8\x27\xc1\xb3\xa0\x37\x84\x93\xed\xcb\xfb\x18"
	"\x71\x91\x40\x8b\x18\x0f\x67\xe2\x6a\x3f\x0d\x0d\x0c\x3a\x80\xc5\x7d\x12\xc9\xd9\x51\x8f"
	"\x6c\xda\xf3\xa7\x74\xd7\xed\x04\x82\xec\xda\x3d\x3f\x38\x19\x6a\x17\xd9\x84\x0d\xeb\x87"
	"\xce\xaa\x7e\xb8\x5a\x82\x07\x0e\x5d\x44\xec\xdd\xe4\xf1\xa7\x74\x1f\xf2\x03\xfe\xaa\x96"
	"\xf1\x03\xb0\x75\x59\x4e\x3f\xc8\xbe\xc5\x83\x87\x02\xe2\x97\xb3\xfa\xf2\x36\x0d\xea\x63"
	"\x52\x5c\x48\x38\x21\x69\x64\xc0\x8f\xd0\xf0\x46\x2c\x9b\xee\x6e\x6a\xe8\x94\xb0\xa6\x7f"
	"\x19\x84\x1f\xbb\xc7\x8f\x1d\x10\x2c\x4e\xb0\xd4\x7e\x6d\x4e\x8a\x08\x89\xc2\x05\x66\xd5"
	"\x85\xfd\x4e\x69\x8f\xe6\xe3\xf6\xb6\x0b\xd2\x0d\x47\x4a\x38\xf9\x32\xff\x5f\x57\xfe\x92"
	"\x97\x53\x65\x45\xf6\x55\x05\x01\xfd\x52\x77\xa5\xaa\x4b\x61\x74\x4a\xa8\x91\xe5\x71\x8e"
	"\x89\xa2\xcd\x84\xb3\x57\xfd\x47\xd8\xdb\xab\x47\xcb\xe9\x09\xe7\xc4\x51\xae\x84\xde\x01"
	"\xb6\x53\x6c\xff\x86\x6f\x04\xfc\x63\xe4\xa2\xbe\x27\xf2\x6a\x21\x0d\x93\x23\x23\x2d\xbf"
	"\xf9\x0b\xc3\xcc\x02\x0e\x00\x94\xc4\x1e\x63\xa4\xd6\xa0\x64\x66\xb6\xe1\xca\xed\x71\xbe"
	"\xe7\x7c\x8d\x37\x67\xaa\x42\x0c\x61\x68\x9e\x45\x76\xd6\x7a\x9e\xec\xf3\x07\xff\xf5\xec"
	"\x13\x68\x60\x3a\xd5\xd6\x90\xd0\xc7\x10\x78\x6e\xe0\x66\xe7\x64\x0c\x8c\x67\x28\x07\x09"
	"\x19\x39\x35\xff\xfb\x9e\x56\x2c\x70\x2a\xcf\x04\x7f\x6a\xd1\xa0\xe8\xd0\xa7\x0c\x84\xed"
	"\xf9\x6e\xa5\x9e\x63\xae\x8b\xa4\x87\x40\x6c\x05\xb1\x72\x7b\x7c\x4f\x5b\xa0\xc2\xd3\xdc"
	"\xa4\xfd\x4e\xe0\x50\x61\x4d\x44\xc9\xef\xdd\xff\xc9\xb8\xde\xb7\xd8\x05\xb8\x3d\x91\x3f"
	"\x20\xb8\x76\xf8\x8f\x9e\x1d\x64\x68\x68\x15\x8d\x57\x7f\x13\xc1\x7f\xaf\x1a\x05\x8a\xcc"
	"\x2c\x6c\x2a\x75\x05\x10\x2b\x1c\xdf\xf4\x1b\xab\x9b\x93\xe4\xd8\x54\xac\xe2\xa8\xbf\xf6"
	"\x12\xc2\xba\x2d\x79\x42\xf0\x24\xfb\x38\x96\xf6\x81\xe6\x5a\x95\x6b\xff\x3b\xdd\x50\x84"
	"\x69\xa6\x11\x79\x82\x12\xc2\x49\x2b\x53\x05\x2f\x81\x47\x13\x61\x9a\x24\xa8\x38\xac\x7d"
	"\xe5\xe5\xbb\x13\x4f\xf8\x1a\x29\x27\xd4\x32\xbb\x7f\x58\x49\xdb\x8a\xaf\xcd\x72\x8b\x40"
	"\x40\x74\xeb\x2c\x34\xa7\x74\x2a\x81\x87\xae\xdf\x5b\x34\x94\x3a\xcf\x04\x31\xa6\xba\x85"
	"\x11\x56\xd9\x33\x42\xcc\xa0\x61\x3a\xd9\x01\xfe\x61\x00\x08\x80\xfe\x8e\x44\x78\xff\xe4"
	"\xdb\xc0\x2b\x6a\x12\xa6\xf4\x57\xd7\x98\xc4\x74\x4e\x24\x93\xcd\x7e\x47\xb5\x87\xb3\xcf"
	"\x6f\xa8\xd1\x59\x45\x8f\x47\x8f\x84\x2f\xf8\x9f\x65\xd1\x3c\x5e\x9f\xd1\x09\x55\xbd\x5e"
	"\x12\x6b\x47\xc4\x1d\xc8\x1f\x85\x9a\x2f\x38\x22\xd6\xff\xdc\x91\xa9\xe3\xc5\x79\xd8\x11"
	"\xd8\x5a\xf0\x33\x56\x13\xf9\x08\x6c\x6a\x9b\x52\x9a\x2d\xf5\x18\x1b\xa3\x42\x2b\x9c\x11"
	"\x1c\x2f\xca\x0e\xc7\x0e\xb9\xdc\x15\xb3\x2d\x8a\xcd\xd1\x0c\x49\xc5\xfd\xfd\x46\x97\x26"
	"\x00\x95\x2b\xf7\xc1\xcf\xf1\xb9\xf7\x9d\x72\x5a\x29\x52\xc6\x3f\xdb\x80\x00\x10\x16\x90"
	"\x00\x80\xb4\x80\x00\x00\x00\xc0\x13\x00\x0b\x81\xec\xdf\x53\x7e\xa8\x64\x7c\x7f\xa8\x33"
	"\x51\x6c\x68\x04\x5a\x00\x02\x18\x40\x03\xc0\x78\x00";
constexpr char kFrame1[] =
	"\x61\x06\x00\x09\x12\x78\x08\x40\x25\x41\xe5\xfa\x5a\xff\x8b\xf0\xff\x93\xff\xc4\x0f\xff"
	"\xff\xe8\x1e\xe0\x7f\x00\xe7\xff\xfa\xff\xdd\xff\xfb\x77\xbc\xb4\xb7\x7f\xe9\xff\x1a\x65"
	"\xa7\x96\x09\x46\xe1\x39\xfa\x5c\xbf\x00\x65\x00\x00\x61\x10\xf4\xe4\xaf\xe2\x24\x28\x49"
	"\xce\x32\xec\xc0\x09\x5e\x0f\xf2\x49\xcc\xc4\x20\xdd\x07\xb9\xaf\x05\x99\xe4\x58\x73\x98"
	"\xa1\x37\x58\xd9\x6b\x26\x4c\x58\x2b\x8d\x9d\x8f\xd2\x3f\x24\x27\x98\xfa\xcf\x34\xd9\xc8"
	"\x06\xf5\x29\xc5\x10\xb0\x35\x2d\xbb\x1b\xaf\x17\x5f\x6a\x05\x8d\xe7\xf5\x0f\x9e\xe3\x34"
	"\x50\x33\x9b\x3b\x14\xaf\x5d\x59\x70\x2f\xb3\x7b\xea\xd2\x1c\x34\x7f\x11\xc6\x04\xd7\x08"
	"\xda\xaf\x10\x00\x00";
constexpr char kFrame2[] =
	"\x11\x02\x00\x09\x12\xdc\x00\x38\x0d\x8c\x4a\x54\xd1\xbb\x90\x36\x2e\x62\x60\x07\x00\x00"
	"\xe2\x2d\x28\x8b\x3e\xf0\x00\x00";
constexpr char kFrame3[] =
	"\xb1\x02\x00\x07\x12\xc8\x00\x38\x0c\xdb\xeb\xfe\xa2\x08\x0e\x0b\xfd\x00\x3d\x51\x93\x9f"
	"\x04\x80\x13\x00\x00\x51\xef\x18\x97\x6b\xdf\x02\xb6\x75\x81\xc0\xf5\xe3\xef\x74\x32\xa5"
	"\xb8\x00\x00";

struct Frame {
	const uint8_t *data;
	size_t size;
};
template<size_t N> Frame frame(const char (&bytes)[N])
{
	return {reinterpret_cast<const uint8_t *>(bytes), N - 1};	// less the literal's NUL
}
const Frame kFrames[] = {frame(kFrame0), frame(kFrame1), frame(kFrame2), frame(kFrame3)};

class FixedSink final : public BitstreamSink {
public:
	explicit FixedSink(size_t capacity) : buffer_(capacity) {}
	uint8_t *reserve(size_t n) override
	{
		return n <= buffer_.size() - used_ ? buffer_.data() + used_ : nullptr;
	}
	void commit(size_t n) override { used_ += n; }
	size_t unitSize() const override { return used_; }
	VAStatus newUnit() override { return VA_STATUS_ERROR_MAX_NUM_EXCEEDED; }
	unsigned unitCount() const override { return 1; }
	std::vector<uint8_t> bytes() const { return {buffer_.begin(), buffer_.begin() + used_}; }

private:
	std::vector<uint8_t> buffer_;
	size_t used_ = 0;
};

class MapResolver final : public ReferenceResolver {
public:
	bool timestampOf(VASurfaceID surface, uint64_t *timestampNs) const override
	{
		auto it = decoded.find(surface);
		if (it == decoded.end())
			return false;
		*timestampNs = it->second;
		return true;
	}
	std::map<VASurfaceID, uint64_t> decoded;
};

/// The boolean decoder of RFC 6386 7.3, with its position in bits.
class BoolDecoder {
public:
	BoolDecoder(const uint8_t *p, size_t n) : p_(p), n_(n)
	{
		value_ = static_cast<uint32_t>(byte() << 8);
		value_ |= byte();
	}
	bool read(uint32_t prob)
	{
		uint32_t split = 1 + (((range_ - 1) * prob) >> 8);
		bool bit = value_ >= split << 8;
		if (bit) {
			range_ -= split;
			value_ -= split << 8;
		} else {
			range_ = split;
		}
		while (range_ < 128) {
			value_ <<= 1;
			range_ <<= 1;
			if (++bitCount_ == 8) {
				bitCount_ = 0;
				value_ |= byte();
			}
		}
		return bit;
	}
	uint32_t literal(unsigned bits)
	{
		uint32_t v = 0;
		while (bits--)
			v = v << 1 | read(128);
		return v;
	}
	int signedValue(unsigned bits)	///< flag, magnitude, sign
	{
		if (!read(128))
			return 0;
		int v = static_cast<int>(literal(bits));
		return read(128) ? -v : v;
	}
	/// Bits consumed: what VA calls macroblock_offset at the end of the header.
	uint32_t bitPosition() const { return static_cast<uint32_t>(8 * (pos_ - 2) + bitCount_); }
	VABoolCoderContextVPX state() const
	{
		return {static_cast<uint8_t>(range_), static_cast<uint8_t>(value_ >> 8),
			static_cast<uint8_t>(bitCount_)};
	}

private:
	uint32_t byte() { return pos_ < n_ ? p_[pos_++] : (pos_++, 0u); }
	const uint8_t *p_;
	size_t n_, pos_ = 0;
	uint32_t value_ = 0, range_ = 255;
	int bitCount_ = 0;
};

/// What FFmpeg's vp8.c keeps between frames and reads from one (RFC 6386 9.2-9.8, 19.2).
struct Header {
	bool key = false, show = false;
	uint32_t version = 0, firstPartSize = 0, tagSize = 0;
	uint32_t width = 0, height = 0;
	bool filterSimple = false, adjEnable = false, deltaUpdate = false;
	uint32_t level = 0, sharpness = 0, log2Parts = 0, yac = 0;
	int refDelta[4] = {}, modeDelta[4] = {}, quantDelta[5] = {};
	bool refreshGolden = true, refreshAlt = true, refreshLast = true;
	bool signGolden = false, signAlt = false;
	uint32_t copyGolden = 0, copyAlt = 0;
	uint32_t partitionSizes[8] = {};
	uint32_t macroblockOffset = 0;
	VABoolCoderContextVPX coder{};
};

Header parse(const Frame &f, const Header &previous)
{
	Header h = previous;	// dimensions and loop-filter deltas persist
	uint32_t tag = f.data[0] | f.data[1] << 8 | f.data[2] << 16;
	h.key = !(tag & 1);
	h.version = (tag >> 1) & 7;
	h.show = (tag >> 4) & 1;
	h.firstPartSize = tag >> 5;
	h.tagSize = h.key ? 10 : 3;
	if (h.key) {
		h.width = (f.data[6] | f.data[7] << 8) & 0x3fff;
		h.height = (f.data[8] | f.data[9] << 8) & 0x3fff;
	}
	BoolDecoder b(f.data + h.tagSize, h.firstPartSize);
	if (h.key)
		b.literal(2);	// color_space, clamping_type
	EXPECT_FALSE(b.literal(1)) << "segmentation is not parsed here";
	h.filterSimple = b.literal(1);
	h.level = b.literal(6);
	h.sharpness = b.literal(3);
	h.adjEnable = b.literal(1);
	h.deltaUpdate = h.adjEnable && b.literal(1);
	if (h.deltaUpdate) {
		for (int &d : h.refDelta)
			d = b.signedValue(6);
		for (int &d : h.modeDelta)
			d = b.signedValue(6);
	}
	h.log2Parts = b.literal(2);
	h.yac = b.literal(7);
	for (int &d : h.quantDelta)
		d = b.signedValue(4);
	if (h.key) {
		h.refreshGolden = h.refreshAlt = h.refreshLast = true;
		h.signGolden = h.signAlt = false;
		b.literal(1);	// refresh_entropy_probs
	} else {
		h.refreshGolden = b.literal(1);
		h.refreshAlt = b.literal(1);
		h.copyGolden = h.refreshGolden ? 0 : b.literal(2);
		h.copyAlt = h.refreshAlt ? 0 : b.literal(2);
		h.signGolden = b.literal(1);
		h.signAlt = b.literal(1);
		b.literal(1);	// refresh_entropy_probs
		h.refreshLast = b.literal(1);
	}
	h.macroblockOffset = b.bitPosition();
	h.coder = b.state();
	// RFC 6386 9.5: 3-byte sizes of all but the last partition after the first partition.
	uint32_t parts = 1u << h.log2Parts, at = h.tagSize + h.firstPartSize, used = 0;
	for (uint32_t i = 0; i + 1 < parts; i++) {
		const uint8_t *s = f.data + at + 3 * i;
		h.partitionSizes[i] = s[0] | s[1] << 8 | s[2] << 16;
		used += h.partitionSizes[i];
	}
	h.partitionSizes[parts - 1] =
		static_cast<uint32_t>(f.size) - at - 3 * (parts - 1) - used;
	return h;
}

/// Reference surfaces as FFmpeg's vp8.c tracks them (copies read the buffers before update).
struct References {
	VASurfaceID last = VA_INVALID_SURFACE, golden = VA_INVALID_SURFACE,
		    alt = VA_INVALID_SURFACE;
	void update(const Header &h, VASurfaceID current)
	{
		VASurfaceID g = h.refreshGolden ? current
			      : h.copyGolden == 1 ? last
			      : h.copyGolden == 2 ? alt
						  : golden;
		VASurfaceID a = h.refreshAlt ? current
			      : h.copyAlt == 1 ? last
			      : h.copyAlt == 2 ? golden
					       : alt;
		if (h.refreshLast)
			last = current;
		golden = g;
		alt = a;
	}
};

struct VaFrame {
	VAPictureParameterBufferVP8 picture{};
	VAProbabilityDataBufferVP8 probabilities{};
	VAIQMatrixBufferVP8 matrix{};
	VASliceParameterBufferVP8 slice{};
	const uint8_t *data = nullptr;
	size_t size = 0;
};

enum class Layout { Ffmpeg, Gstreamer };

/// vaapi_vp8_start_frame / vaapi_vp8_decode_slice (or gstvavp8dec.c _add_slice).
VaFrame vaFrame(const Frame &f, const Header &h, const References &r, Layout layout)
{
	VaFrame v;
	VAPictureParameterBufferVP8 &p = v.picture;
	p.frame_width = h.width;
	p.frame_height = h.height;
	p.last_ref_frame = r.last;
	p.golden_ref_frame = r.golden;
	p.alt_ref_frame = r.alt;
	p.out_of_loop_frame = VA_INVALID_SURFACE;
	auto &bits = p.pic_fields.bits;
	bits.key_frame = !h.key;
	bits.version = h.version;
	bits.filter_type = h.filterSimple;
	bits.sharpness_level = h.sharpness;
	bits.loop_filter_adj_enable = h.adjEnable;
	bits.mode_ref_lf_delta_update = h.deltaUpdate;
	bits.sign_bias_golden = h.signGolden;
	bits.sign_bias_alternate = h.signAlt;
	bits.mb_no_coeff_skip = 1;
	bits.loop_filter_disable = h.level == 0;
	std::fill(std::begin(p.mb_segment_tree_probs), std::end(p.mb_segment_tree_probs), 255);
	for (int i = 0; i < 4; i++) {
		p.loop_filter_level[i] = static_cast<uint8_t>(h.level);
		p.loop_filter_deltas_ref_frame[i] = static_cast<int8_t>(h.refDelta[i]);
		p.loop_filter_deltas_mode[i] = static_cast<int8_t>(h.modeDelta[i]);
	}
	p.prob_skip_false = 201, p.prob_intra = 63, p.prob_last = 150, p.prob_gf = 128;
	const uint8_t keyY[4] = {145, 156, 163, 128}, keyUv[3] = {142, 114, 183};
	const uint8_t interY[4] = {112, 86, 140, 37}, interUv[3] = {162, 101, 204};
	memcpy(p.y_mode_probs, h.key ? keyY : interY, 4);
	memcpy(p.uv_mode_probs, h.key ? keyUv : interUv, 3);
	for (int i = 0; i < 2; i++)
		for (int j = 0; j < 19; j++)
			p.mv_probs[i][j] = static_cast<uint8_t>(1 + i * 19 + j);
	p.bool_coder_ctx = h.coder;
	uint8_t *coeff = &v.probabilities.dct_coeff_probs[0][0][0][0];
	for (size_t i = 0; i < sizeof(v.probabilities.dct_coeff_probs); i++)
		coeff[i] = static_cast<uint8_t>(1 + i % 254);
	for (auto &segment : v.matrix.quantization_index) {
		segment[0] = static_cast<uint16_t>(h.yac);
		for (int k = 0; k < 5; k++)
			segment[k + 1] = static_cast<uint16_t>(
				std::clamp(static_cast<int>(h.yac) + h.quantDelta[k], 0, 127));
	}
	VASliceParameterBufferVP8 &s = v.slice;
	s.slice_data_flag = VA_SLICE_DATA_FLAG_ALL;
	s.macroblock_offset = h.macroblockOffset;
	s.num_of_partitions = static_cast<uint8_t>((1u << h.log2Parts) + 1);
	s.partition_size[0] = h.firstPartSize - (h.macroblockOffset + 7) / 8;
	for (uint32_t i = 0; i < (1u << h.log2Parts); i++)
		s.partition_size[i + 1] = h.partitionSizes[i];
	if (layout == Layout::Ffmpeg) {
		s.slice_data_size = static_cast<uint32_t>(f.size - h.tagSize);
		s.slice_data_offset = 0;
		v.data = f.data + h.tagSize;
		v.size = f.size - h.tagSize;
	} else {
		s.slice_data_size = static_cast<uint32_t>(f.size);	// header included
		s.slice_data_offset = h.tagSize;
		v.data = f.data;
		v.size = f.size;
	}
	return v;
}

template<typename T> BufferView view(VABufferType type, const T &v, uint32_t elements = 1)
{
	return {type, reinterpret_cast<const uint8_t *>(&v), sizeof(T), elements};
}

/// FFmpeg's order (GStreamer sends IQ, probabilities, picture: any order works).
VAStatus renderFrame(CodecState &state, const VaFrame &v, BitstreamSink &sink)
{
	const BufferView buffers[] = {
		view(VAPictureParameterBufferType, v.picture),
		view(VAProbabilityBufferType, v.probabilities),
		view(VAIQMatrixBufferType, v.matrix),
		view(VASliceParameterBufferType, v.slice),
		{VASliceDataBufferType, v.data, static_cast<uint32_t>(v.size), 1},
	};
	for (const BufferView &b : buffers)
		if (VAStatus st = state.render(b, sink); st != VA_STATUS_SUCCESS)
			return st;
	return VA_STATUS_SUCCESS;
}

/// The frame control, checked by the kernel's std_validate_compound (padding zero).
const v4l2_ctrl_vp8_frame &frameControl(const UnitControls &u)
{
	static v4l2_ctrl_vp8_frame none{};
	if (u.count != 1 || u.controls[0].id != V4L2_CID_STATELESS_VP8_FRAME ||
	    u.controls[0].size != sizeof(v4l2_ctrl_vp8_frame)) {
		ADD_FAILURE() << "not one VP8_FRAME control";
		return none;
	}
	const auto &f = *static_cast<const v4l2_ctrl_vp8_frame *>(u.controls[0].ptr);
	v4l2_ctrl_vp8_frame copy = f;
	EXPECT_EQ(v4l2emu::validateCompoundElement(V4L2_CTRL_TYPE_VP8_FRAME, &copy), 0);
	EXPECT_EQ(memcmp(&copy, &f, sizeof(f)), 0) << "padding not zero";
	return f;
}

std::unique_ptr<CodecState> createState()
{
	const CodecDescriptor *codec = codecForProfile(VAProfileVP8Version0_3);
	return codec ? codec->create(VAProfileVP8Version0_3, DeviceCaps{}, 64, 48) : nullptr;
}

TEST(Vp8Codec, ParserSeesTheClip)
{
	Header h;
	const bool key[] = {true, false, false, false}, show[] = {true, false, true, true};
	for (size_t n = 0; n < 4; n++) {
		h = parse(kFrames[n], h);
		EXPECT_EQ(h.key, key[n]);
		EXPECT_EQ(h.show, show[n]);
		EXPECT_EQ(h.version, 0u);
		EXPECT_EQ(h.log2Parts, 1u);	// -slices 2
		EXPECT_EQ(h.width, 64u);
		EXPECT_EQ(h.height, 48u);
		EXPECT_LE(h.macroblockOffset, 8 * h.firstPartSize);
	}
	h = parse(kFrames[1], parse(kFrames[0], Header{}));
	EXPECT_TRUE(h.refreshAlt);	// the hidden frame is the alt-ref
	EXPECT_FALSE(h.refreshGolden);
	EXPECT_FALSE(h.refreshLast);
}

void expectFrame(const v4l2_ctrl_vp8_frame &f, const Header &h, const VaFrame &v, bool show)
{
	EXPECT_EQ(!!(f.flags & V4L2_VP8_FRAME_FLAG_KEY_FRAME), h.key);
	EXPECT_EQ(!!(f.flags & V4L2_VP8_FRAME_FLAG_SHOW_FRAME), show);
	EXPECT_EQ(!!(f.flags & V4L2_VP8_FRAME_FLAG_SIGN_BIAS_GOLDEN), h.signGolden);
	EXPECT_EQ(!!(f.flags & V4L2_VP8_FRAME_FLAG_SIGN_BIAS_ALT), h.signAlt);
	EXPECT_TRUE(f.flags & V4L2_VP8_FRAME_FLAG_MB_NO_SKIP_COEFF);
	EXPECT_FALSE(f.flags & V4L2_VP8_FRAME_FLAG_EXPERIMENTAL);
	EXPECT_EQ(f.width, h.width);
	EXPECT_EQ(f.height, h.height);
	EXPECT_EQ(f.version, h.version);
	EXPECT_EQ(f.first_part_size, h.firstPartSize);
	EXPECT_EQ(f.first_part_header_bits, h.macroblockOffset);
	EXPECT_EQ(f.num_dct_parts, 1u << h.log2Parts);
	for (uint32_t i = 0; i < 8; i++)
		EXPECT_EQ(f.dct_part_sizes[i], i < f.num_dct_parts ? h.partitionSizes[i] : 0u);
	EXPECT_EQ(f.coder_state.range, h.coder.range);
	EXPECT_EQ(f.coder_state.value, h.coder.value);
	EXPECT_EQ(f.coder_state.bit_count, h.coder.count);
	EXPECT_EQ(f.segment.flags, 0u);
	EXPECT_EQ(f.lf.level, h.level);
	EXPECT_EQ(f.lf.sharpness_level, h.sharpness);
	EXPECT_EQ(f.lf.flags, (h.adjEnable ? V4L2_VP8_LF_ADJ_ENABLE : 0u) |
				      (h.deltaUpdate ? V4L2_VP8_LF_DELTA_UPDATE : 0u) |
				      (h.filterSimple ? V4L2_VP8_LF_FILTER_TYPE_SIMPLE : 0u));
	for (int i = 0; i < 4; i++) {
		EXPECT_EQ(f.lf.ref_frm_delta[i], h.refDelta[i]);
		EXPECT_EQ(f.lf.mb_mode_delta[i], h.modeDelta[i]);
	}
	EXPECT_EQ(f.quant.y_ac_qi, h.yac);
	EXPECT_EQ(f.quant.y_dc_delta, h.quantDelta[0]);
	EXPECT_EQ(f.quant.y2_dc_delta, h.quantDelta[1]);
	EXPECT_EQ(f.quant.y2_ac_delta, h.quantDelta[2]);
	EXPECT_EQ(f.quant.uv_dc_delta, h.quantDelta[3]);
	EXPECT_EQ(f.quant.uv_ac_delta, h.quantDelta[4]);
	EXPECT_EQ(memcmp(f.entropy.coeff_probs, v.probabilities.dct_coeff_probs,
			 sizeof(f.entropy.coeff_probs)), 0);
	EXPECT_EQ(memcmp(f.entropy.y_mode_probs, v.picture.y_mode_probs, 4), 0);
	EXPECT_EQ(memcmp(f.entropy.uv_mode_probs, v.picture.uv_mode_probs, 3), 0);
	EXPECT_EQ(memcmp(f.entropy.mv_probs, v.picture.mv_probs, sizeof(f.entropy.mv_probs)), 0);
	EXPECT_EQ(f.prob_skip_false, v.picture.prob_skip_false);
	EXPECT_EQ(f.prob_intra, v.picture.prob_intra);
	EXPECT_EQ(f.prob_last, v.picture.prob_last);
	EXPECT_EQ(f.prob_gf, v.picture.prob_gf);
}

/// Decodes the four frames in a layout; checks the OUTPUT bytes and the control of each.
void decodeClip(Layout layout)
{
	auto state = createState();
	ASSERT_TRUE(state);
	MapResolver resolver;
	References refs;
	Header h;
	for (size_t n = 0; n < 4; n++) {
		const Frame &frame = kFrames[n];
		h = parse(frame, h);
		VaFrame v = vaFrame(frame, h, refs, layout);
		FixedSink sink(4096);
		state->beginPicture();
		ASSERT_EQ(renderFrame(*state, v, sink), VA_STATUS_SUCCESS);
		SequenceInfo seq;
		ASSERT_EQ(state->endPicture(&seq), VA_STATUS_SUCCESS);
		EXPECT_EQ(seq, (SequenceInfo{64, 48, 8, 1}));
		UnitControls u;
		const VASurfaceID target = static_cast<VASurfaceID>(20 + n);
		const uint64_t ts = (n + 1) * 1000;
		ASSERT_EQ(state->unitControls(0, resolver, ts, &u), VA_STATUS_SUCCESS);
		const v4l2_ctrl_vp8_frame &f = frameControl(u);

		// The rebuilt header is the frame's own, but for show_frame when VA lost it
		// (FFmpeg's data starts after the header): the hidden alt-ref then claims shown.
		std::vector<uint8_t> expected(frame.data, frame.data + frame.size);
		bool show = h.show || layout == Layout::Ffmpeg;
		if (show)
			expected[0] |= 0x10;
		EXPECT_EQ(sink.bytes(), expected) << "frame " << n;
		expectFrame(f, h, v, show);
		if (h.key) {
			EXPECT_EQ(f.last_frame_ts, 0u);
			EXPECT_EQ(f.golden_frame_ts, 0u);
			EXPECT_EQ(f.alt_frame_ts, 0u);
		} else {
			EXPECT_EQ(f.last_frame_ts, resolver.decoded.at(refs.last));
			EXPECT_EQ(f.golden_frame_ts, resolver.decoded.at(refs.golden));
			EXPECT_EQ(f.alt_frame_ts, resolver.decoded.at(refs.alt));
		}
		if (n >= 2) {
			// After the alt-ref: last is the previous shown frame, golden the key.
			EXPECT_EQ(f.alt_frame_ts, 2000u);
			EXPECT_EQ(f.golden_frame_ts, 1000u);
			EXPECT_EQ(f.last_frame_ts, n == 2 ? 1000u : 3000u);
		}
		state->pictureSubmitted();
		resolver.decoded[target] = ts;
		refs.update(h, target);
	}
}

TEST(Vp8Codec, FfmpegLayoutGetsItsHeaderRebuilt)
{
	decodeClip(Layout::Ffmpeg);
}

TEST(Vp8Codec, GstreamerLayoutKeepsTheFrameAsItIs)
{
	decodeClip(Layout::Gstreamer);
}

// Key frames name no reference whatever VA says; an inter frame's reference that names no
// decoded surface is 0 ("no reference").
TEST(Vp8Codec, ReferencesOfKeyFramesAndUnknownSurfacesAreZero)
{
	auto state = createState();
	MapResolver resolver;
	resolver.decoded[5] = 7000;
	References refs;
	refs.last = refs.golden = refs.alt = 5;
	Header key = parse(kFrames[0], Header{});
	FixedSink sink(4096);
	state->beginPicture();
	ASSERT_EQ(renderFrame(*state, vaFrame(kFrames[0], key, refs, Layout::Ffmpeg), sink),
		  VA_STATUS_SUCCESS);
	SequenceInfo seq;
	ASSERT_EQ(state->endPicture(&seq), VA_STATUS_SUCCESS);
	UnitControls u;
	ASSERT_EQ(state->unitControls(0, resolver, 1000, &u), VA_STATUS_SUCCESS);
	EXPECT_EQ(frameControl(u).last_frame_ts, 0u);
	EXPECT_EQ(frameControl(u).alt_frame_ts, 0u);
	state->pictureSubmitted();

	Header inter = parse(kFrames[2], parse(kFrames[1], key));
	refs.golden = 6;	// never decoded
	refs.alt = VA_INVALID_SURFACE;
	FixedSink sink2(4096);
	state->beginPicture();
	ASSERT_EQ(renderFrame(*state, vaFrame(kFrames[2], inter, refs, Layout::Ffmpeg), sink2),
		  VA_STATUS_SUCCESS);
	ASSERT_EQ(state->endPicture(&seq), VA_STATUS_SUCCESS);
	UnitControls u2;
	ASSERT_EQ(state->unitControls(0, resolver, 2000, &u2), VA_STATUS_SUCCESS);
	EXPECT_EQ(frameControl(u2).last_frame_ts, 7000u);
	EXPECT_EQ(frameControl(u2).golden_frame_ts, 0u);
	EXPECT_EQ(frameControl(u2).alt_frame_ts, 0u);
}

// With segmentation VA has only each segment's final indices and levels (clipped to 0..127 /
// 0..63): the segments go in absolute mode and the deltas come from unclipped values.
TEST(Vp8Codec, SegmentsAreAbsoluteAndDeltasSurviveClipping)
{
	Header key = parse(kFrames[0], Header{});
	Header h = parse(kFrames[2], parse(kFrames[1], key));
	VaFrame v = vaFrame(kFrames[2], h, References{}, Layout::Ffmpeg);
	auto &bits = v.picture.pic_fields.bits;
	bits.segmentation_enabled = 1;
	bits.update_mb_segmentation_map = 1;
	const uint8_t probs[3] = {10, 20, 30};
	memcpy(v.picture.mb_segment_tree_probs, probs, 3);
	const uint8_t levels[4] = {10, 0, 63, 20};
	memcpy(v.picture.loop_filter_level, levels, 4);
	const int base[4] = {0, 40, 127, 60}, delta[5] = {-3, 5, 15, -15, 0};
	for (int i = 0; i < 4; i++) {
		v.matrix.quantization_index[i][0] = static_cast<uint16_t>(base[i]);
		for (int k = 0; k < 5; k++)
			v.matrix.quantization_index[i][k + 1] =
				static_cast<uint16_t>(std::clamp(base[i] + delta[k], 0, 127));
	}
	auto state = createState();
	FixedSink sink(4096);
	MapResolver resolver;
	state->beginPicture();
	ASSERT_EQ(renderFrame(*state, v, sink), VA_STATUS_SUCCESS);
	SequenceInfo seq;
	ASSERT_EQ(state->endPicture(&seq), VA_STATUS_SUCCESS);
	UnitControls u;
	ASSERT_EQ(state->unitControls(0, resolver, 1000, &u), VA_STATUS_SUCCESS);
	const v4l2_ctrl_vp8_frame &f = frameControl(u);
	EXPECT_EQ(f.segment.flags,
		  V4L2_VP8_SEGMENT_FLAG_ENABLED | V4L2_VP8_SEGMENT_FLAG_UPDATE_MAP);
	EXPECT_EQ(memcmp(f.segment.segment_probs, probs, 3), 0);
	for (int i = 0; i < 4; i++) {
		EXPECT_EQ(f.segment.quant_update[i], base[i]);
		EXPECT_EQ(f.segment.lf_update[i], levels[i]);
	}
	EXPECT_EQ(f.quant.y_dc_delta, -3);
	EXPECT_EQ(f.quant.y2_dc_delta, 5);
	EXPECT_EQ(f.quant.y2_ac_delta, 15);
	EXPECT_EQ(f.quant.uv_dc_delta, -15);
	EXPECT_EQ(f.quant.uv_ac_delta, 0);
	EXPECT_EQ(f.lf.level, 63);	// non-zero: the frame is filtered

	bits.loop_filter_disable = 1;
	state->beginPicture();
	FixedSink sink2(4096);
	ASSERT_EQ(renderFrame(*state, v, sink2), VA_STATUS_SUCCESS);
	ASSERT_EQ(state->endPicture(&seq), VA_STATUS_SUCCESS);
	UnitControls u2;
	ASSERT_EQ(state->unitControls(0, resolver, 1000, &u2), VA_STATUS_SUCCESS);
	EXPECT_EQ(frameControl(u2).lf.level, 0);
}

// The scaling bits exist only in a key frame's header: taken from it when the consumer passes
// it, kept for the inter frames once the key frame was submitted.
TEST(Vp8Codec, ScalingComesFromTheKeyFrameHeader)
{
	std::vector<uint8_t> scaled(kFrames[0].data, kFrames[0].data + kFrames[0].size);
	scaled[7] |= 1 << 6;	// horizontal_scale 1
	scaled[9] |= 2 << 6;	// vertical_scale 2
	const Frame keyFrame{scaled.data(), scaled.size()};
	Header key = parse(keyFrame, Header{});
	auto state = createState();
	MapResolver resolver;
	SequenceInfo seq;
	for (bool submit : {false, true}) {
		FixedSink sink(4096);
		state->beginPicture();
		ASSERT_EQ(renderFrame(*state, vaFrame(keyFrame, key, References{},
						      Layout::Gstreamer), sink),
			  VA_STATUS_SUCCESS);
		ASSERT_EQ(state->endPicture(&seq), VA_STATUS_SUCCESS);
		UnitControls u;
		ASSERT_EQ(state->unitControls(0, resolver, 1000, &u), VA_STATUS_SUCCESS);
		EXPECT_EQ(frameControl(u).horizontal_scale, 1);
		EXPECT_EQ(frameControl(u).vertical_scale, 2);
		EXPECT_EQ(sink.bytes(), scaled);
		if (submit)
			state->pictureSubmitted();

		Header inter = parse(kFrames[1], key);
		FixedSink sink2(4096);
		state->beginPicture();
		ASSERT_EQ(renderFrame(*state, vaFrame(kFrames[1], inter, References{},
						      Layout::Ffmpeg), sink2),
			  VA_STATUS_SUCCESS);
		ASSERT_EQ(state->endPicture(&seq), VA_STATUS_SUCCESS);
		UnitControls u2;
		ASSERT_EQ(state->unitControls(0, resolver, 2000, &u2), VA_STATUS_SUCCESS);
		EXPECT_EQ(frameControl(u2).horizontal_scale, submit ? 1 : 0);
		EXPECT_EQ(frameControl(u2).vertical_scale, submit ? 2 : 0);
	}
}

TEST(Vp8Codec, RejectsBadInputAndKeepsItsState)
{
	Header key = parse(kFrames[0], Header{});
	const VaFrame good = vaFrame(kFrames[0], key, References{}, Layout::Ffmpeg);
	auto state = createState();
	MapResolver resolver;
	SequenceInfo seq;
	UnitControls u;
	FixedSink sink(4096);
	const BufferView data{VASliceDataBufferType, good.data, static_cast<uint32_t>(good.size),
			      1};

	state->beginPicture();
	EXPECT_EQ(state->unitControls(0, resolver, 1000, &u), VA_STATUS_ERROR_OPERATION_FAILED);
	// Short or missing buffers.
	BufferView shortPic = view(VAPictureParameterBufferType, good.picture);
	shortPic.elementSize -= 1;
	EXPECT_EQ(state->render(shortPic, sink), VA_STATUS_ERROR_INVALID_BUFFER);
	BufferView shortProb = view(VAProbabilityBufferType, good.probabilities);
	shortProb.elementSize = 100;
	EXPECT_EQ(state->render(shortProb, sink), VA_STATUS_ERROR_INVALID_BUFFER);
	BufferView nullIq = view(VAIQMatrixBufferType, good.matrix);
	nullIq.data = nullptr;
	EXPECT_EQ(state->render(nullIq, sink), VA_STATUS_ERROR_INVALID_BUFFER);
	BufferView shortSlice = view(VASliceParameterBufferType, good.slice);
	shortSlice.elementSize = 16;
	EXPECT_EQ(state->render(shortSlice, sink), VA_STATUS_ERROR_INVALID_BUFFER);
	// Out-of-range values.
	auto badPic = good.picture;
	badPic.frame_width = 0;
	EXPECT_EQ(state->render(view(VAPictureParameterBufferType, badPic), sink),
		  VA_STATUS_ERROR_INVALID_PARAMETER);
	badPic.frame_width = 16384;
	EXPECT_EQ(state->render(view(VAPictureParameterBufferType, badPic), sink),
		  VA_STATUS_ERROR_INVALID_PARAMETER);
	auto badIq = good.matrix;
	badIq.quantization_index[3][5] = 128;
	EXPECT_EQ(state->render(view(VAIQMatrixBufferType, badIq), sink),
		  VA_STATUS_ERROR_INVALID_PARAMETER);
	auto badParts = good.slice;
	badParts.num_of_partitions = 4;
	EXPECT_EQ(state->render(view(VASliceParameterBufferType, badParts), sink),
		  VA_STATUS_ERROR_INVALID_PARAMETER);
	EXPECT_EQ(state->render(view(VASliceParameterBufferType, good.slice, 2), sink),
		  VA_STATUS_ERROR_INVALID_PARAMETER);
	// Slice data before the parameters it is rebuilt from; nothing to end yet.
	EXPECT_EQ(state->render(data, sink), VA_STATUS_ERROR_INVALID_PARAMETER);
	EXPECT_EQ(state->endPicture(&seq), VA_STATUS_ERROR_INVALID_PARAMETER);
	ASSERT_EQ(state->render(view(VAPictureParameterBufferType, good.picture), sink),
		  VA_STATUS_SUCCESS);
	EXPECT_EQ(state->render(data, sink), VA_STATUS_ERROR_INVALID_PARAMETER);

	// Partitions that claim more bytes than the data holds; a frame past the OUTPUT buffer.
	auto longParts = good.slice;
	longParts.partition_size[2] += 1;
	ASSERT_EQ(state->render(view(VASliceParameterBufferType, longParts), sink),
		  VA_STATUS_SUCCESS);
	EXPECT_EQ(state->render(data, sink), VA_STATUS_ERROR_INVALID_BUFFER);
	auto farOffset = good.slice;
	farOffset.slice_data_offset = static_cast<uint32_t>(good.size + 1);
	ASSERT_EQ(state->render(view(VASliceParameterBufferType, farOffset), sink),
		  VA_STATUS_SUCCESS);
	EXPECT_EQ(state->render(data, sink), VA_STATUS_ERROR_INVALID_BUFFER);
	ASSERT_EQ(state->render(view(VASliceParameterBufferType, good.slice), sink),
		  VA_STATUS_SUCCESS);
	FixedSink tiny(kFrames[0].size - 1);
	EXPECT_EQ(state->render(data, tiny), VA_STATUS_ERROR_NOT_ENOUGH_BUFFER);
	EXPECT_EQ(tiny.unitSize(), 0u);
	EXPECT_EQ(sink.unitSize(), 0u);
	ASSERT_EQ(state->render(data, sink), VA_STATUS_SUCCESS);
	EXPECT_EQ(sink.unitSize(), kFrames[0].size);
	// One frame, one slice.
	EXPECT_EQ(state->render(view(VASliceParameterBufferType, good.slice), sink),
		  VA_STATUS_ERROR_INVALID_PARAMETER);
	// Probabilities and quantisers are missing still.
	EXPECT_EQ(state->endPicture(&seq), VA_STATUS_ERROR_INVALID_PARAMETER);
	ASSERT_EQ(state->render(view(VAProbabilityBufferType, good.probabilities), sink),
		  VA_STATUS_SUCCESS);
	EXPECT_EQ(state->endPicture(&seq), VA_STATUS_ERROR_INVALID_PARAMETER);
	ASSERT_EQ(state->render(view(VAIQMatrixBufferType, good.matrix), sink),
		  VA_STATUS_SUCCESS);
	// Picture parameters that contradict the header already written.
	auto inter = good.picture;
	inter.pic_fields.bits.key_frame = 1;
	ASSERT_EQ(state->render(view(VAPictureParameterBufferType, inter), sink),
		  VA_STATUS_SUCCESS);
	EXPECT_EQ(state->endPicture(&seq), VA_STATUS_ERROR_INVALID_PARAMETER);
	ASSERT_EQ(state->render(view(VAPictureParameterBufferType, good.picture), sink),
		  VA_STATUS_SUCCESS);
	ASSERT_EQ(state->endPicture(&seq), VA_STATUS_SUCCESS);
	EXPECT_EQ(state->unitControls(1, resolver, 1000, &u), VA_STATUS_ERROR_INVALID_PARAMETER);
	u.count = kMaxControls;
	EXPECT_EQ(state->unitControls(0, resolver, 1000, &u), VA_STATUS_ERROR_MAX_NUM_EXCEEDED);
	EXPECT_EQ(sink.bytes(), std::vector<uint8_t>(good.data - 10, good.data + good.size));
	// Unknown buffer types are ignored.
	EXPECT_EQ(state->render({VAHuffmanTableBufferType, good.data, 4, 1}, sink),
		  VA_STATUS_SUCCESS);
}

TEST(Vp8Codec, Descriptor)
{
	const CodecDescriptor *codec = codecForProfile(VAProfileVP8Version0_3);
	ASSERT_TRUE(codec);
	EXPECT_STREQ(codec->name, "vp8");
	EXPECT_EQ(codec->codedFourcc, V4L2_PIX_FMT_VP8_FRAME);
	EXPECT_GE(codec->outputBufferSize(3840, 2160), 3840u * 2160 * 3 / 2);
	EXPECT_GE(codec->outputBufferSize(64, 48), 2u << 20);
	auto state = createState();
	UnitControls u;
	state->sequenceControls(&u);
	EXPECT_EQ(u.count, 0u);
}

} // namespace
} // namespace v4l2va
