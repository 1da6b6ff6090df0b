// SPDX-License-Identifier: MIT
// The MPEG-2 codec fed a real mpeg2video stream the way FFmpeg's vaapi_mpeg2.c fills the VA
// buffers (and, for the slice layouts, GStreamer's gstvampeg2dec.c and libva's spec): the
// controls are checked against the stream's own headers, the OUTPUT bytes against its slices.
#include "codecs/registry.h"

#include <gtest/gtest.h>

#include <va/va.h>

#include <map>
#include <vector>

namespace v4l2emu {
int validateCompoundElement(uint32_t type, void *elem);	// emulator/src/codecs/codec.h
}

namespace v4l2va {
namespace {

// ffmpeg -f lavfi -i testsrc=size=64x48:rate=25 -frames:v 6 -c:v mpeg2video -bf 2 -g 6
//   -qscale:v 31 -intra_matrix <8+(7i mod 50)> -inter_matrix <16+(5i mod 30)> -f mpeg2video
// Coded order I P B B P B, three slices per picture, both matrices in the sequence header.
constexpr char kClipBytes[] =
	"\x00\x00\x01\xb3\x04\x00\x30\x23\xff\xff\xe0\x1a\x10\x1e\x1c\x28\x2a\x2c\x3a\x38\x36\x34"
	"\x40\x42\x44\x46\x48\x56\x54\x52\x50\x4e\x4c\x58\x5a\x5c\x5e\x60\x62\x64\x72\x70\x6e\x6c"
	"\x6a\x68\x66\x64\x72\x10\x12\x14\x16\x18\x1a\x26\x24\x22\x20\x1e\x1c\x2a\x2c\x2e\x30\x32"
	"\x3e\x3c\x3a\x38\x46\x48\x4a\x56\x54\x63\x10\x15\x1a\x24\x1f\x1a\x1f\x24\x29\x10\x1a\x15"
	"\x10\x29\x24\x29\x10\x15\x1a\x1f\x24\x10\x29\x24\x1f\x1a\x15\x10\x15\x1a\x1f\x24\x29\x10"
	"\x15\x1a\x1f\x1a\x15\x10\x29\x24\x1f\x29\x10\x15\x1a\x1f\x24\x29\x24\x1f\x1a\x15\x1f\x24"
	"\x29\x10\x15\x10\x29\x15\x1a\x1f\x00\x00\x01\xb5\x14\x8a\x00\x01\x00\x00\x00\x00\x01\xb8"
	"\x00\x08\x00\x40\x00\x00\x01\x00\x00\x0f\xff\xf8\x00\x00\x01\xb5\x8f\xff\xf3\x41\x80\x00"
	"\x00\x01\x01\xfb\xf8\x7d\xf5\xe2\xcb\x61\x20\x1b\xdf\x36\x0d\x2f\x14\x8f\xc7\x00\x74\xfd"
	"\x4f\x7e\x81\xfd\xed\x7a\x58\x18\xbf\xfe\xf3\xca\x21\x62\xd2\xfc\xec\x0b\x20\x04\xa5\xdf"
	"\x85\xbe\x79\x7d\x06\xf9\xf5\xfa\xb1\x77\xda\x10\x8d\xbf\xd5\x37\xcf\x6f\xa1\x5f\x3e\xbf"
	"\x91\xd3\x7e\x6c\x05\x0d\xbc\x45\x86\x32\xf0\x00\xe2\xfb\x3d\xf9\x9a\xfb\x80\x15\x0c\x25"
	"\x17\xf1\x86\x00\xcc\x23\xa9\x63\xaf\xd5\x7a\x1a\xfb\xc0\xc2\x6f\x2f\x37\x30\x03\xbf\x98"
	"\xf8\x00\x00\x01\x02\xfb\xf3\xc0\x1a\xf0\x2c\x1e\x01\xee\x7d\x7d\x2e\xf9\xb8\x06\xa0\x38"
	"\xc2\x48\x37\xd2\x2f\x4d\x37\xc3\x81\x43\x6f\xe7\xf7\xcf\xaf\xa0\xdf\x3e\xbf\x4a\x4d\xfa"
	"\xf0\x14\x36\xff\x54\xdf\x3e\xbe\x83\x7c\xfa\xfe\x45\x4d\xf9\x98\x14\x36\xfe\x7f\x7b\x00"
	"\x0c\xf1\x20\x3c\x03\xcc\xfe\xf1\xf7\xad\x00\xcc\x0f\x07\x91\x2f\xd2\x93\x7e\xbc\x05\x0d"
	"\x80\x00\x00\x01\x03\xfb\xf3\xa4\x30\xd1\xa8\xe8\x60\x01\xee\x7d\x7d\x61\xef\x80\xf0\x28"
	"\x8e\x3e\xfa\x8a\x48\x46\xeb\xe7\x76\x0c\xe7\xeb\xb8\x30\x35\x28\xfb\x7e\x78\x07\x47\xdd"
	"\x58\xb1\x57\x9f\x00\x3f\x14\x4f\xbb\x58\xad\x79\x60\x0a\x90\x2e\xfd\x0c\x37\x90\x8c\xde"
	"\xf9\xf2\x67\x26\x19\xbd\xfd\x51\x04\xc7\x36\xf9\xd8\x05\x82\xef\xa7\x62\x6f\xc3\xaf\x9e"
	"\x00\xdf\x8a\xbe\x39\x38\x07\x63\xf1\x3a\xf2\x31\xa4\xab\xe3\x7f\x7a\x72\x68\x60\x19\x4b"
	"\xbb\x00\x6f\xdf\x8e\xab\x2c\x34\x70\x00\xee\xf7\x60\x07\xa9\x1d\xaf\xa0\x47\x49\xb7\xeb"
	"\x20\x60\xbd\x9f\x29\xc0\x3d\xc7\xc0\x00\x00\x01\x00\x00\xd7\xff\xfb\x80\x00\x00\x01\xb5"
	"\x81\x1f\xf3\x41\x80\x00\x00\x01\x01\xfa\x7a\xb0\x01\xec\xdd\x02\x30\x00\x00\x01\x02\xfa"
	"\xc0\x00\x7d\xe0\x01\xf4\x9b\x00\x1e\x40\x00\x00\x01\x03\xfa\x92\x01\x64\x02\xda\x8f\x80"
	"\xb2\x01\x6c\x03\xf3\xeb\x5d\x46\x40\x84\x02\xd8\x89\x00\x00\x00\x01\x00\x00\x5f\xff\xfb"
	"\xb8\x00\x00\x01\xb5\x81\x11\x13\x41\x80\x00\x00\x01\x01\xfb\x75\x56\xd6\x00\x00\x01\x02"
	"\xfa\xb4\xb0\x00\x00\x01\x03\xfb\xde\xb0\x16\x5f\xec\x2a\xd5\x75\x40\x00\x00\x01\x00\x00"
	"\x9f\xff\xfb\xb8\x00\x00\x01\xb5\x81\x11\x13\x41\x80\x00\x00\x01\x01\xfb\x75\x56\xd6\x00"
	"\x00\x01\x02\xfa\xb4\xb0\x00\x00\x01\x03\xfb\x6b\x4f\xbb\xaa\x00\x00\x01\x00\x01\x57\xff"
	"\xfb\x80\x00\x00\x01\xb5\x81\x1f\xf3\x41\x80\x00\x00\x01\x01\xfa\x74\x70\x00\x00\x01\x02"
	"\xfa\x74\x70\x00\x00\x01\x03\xfa\x8c\x54\x1f\x73\x46\x15\x75\x4e\x00\x00\x01\x00\x01\x1f"
	"\xff\xfb\xb8\x00\x00\x01\xb5\x81\x11\x13\x41\x80\x00\x00\x01\x01\xfb\x75\x56\xd6\x00\x00"
	"\x01\x02\xfa\xb4\xb0\x00\x00\x01\x03\xfb\x6b\x4f\xbb\xaa";
const uint8_t *const kClip = reinterpret_cast<const uint8_t *>(kClipBytes);
constexpr size_t kClipSize = sizeof(kClipBytes) - 1;

/// A BitstreamSink over a fixed buffer: one unit, nothing past its capacity.
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
	void clear() { used_ = 0; }

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

/// MSB-first bits (MPEG-2 headers have no emulation prevention).
class Bits {
public:
	Bits(const uint8_t *p, size_t n) : p_(p), n_(n) {}
	uint32_t u(unsigned bits)
	{
		uint32_t v = 0;
		for (unsigned i = 0; i < bits; i++, pos_++)
			v = v << 1 | (pos_ / 8 < n_ ? (p_[pos_ / 8] >> (7 - pos_ % 8)) & 1 : 0);
		return v;
	}
	size_t position() const { return pos_; }

private:
	const uint8_t *p_;
	size_t n_;
	size_t pos_ = 0;
};

struct Slice {
	size_t offset = 0, size = 0;	///< in kClip, from the start code to the next one
	uint32_t row = 0;		///< slice_vertical_position - 1, as VA counts it
	uint32_t quantiserScale = 0;
	bool intraSlice = false;
	uint32_t macroblockOffset = 0;	///< bits from the start code, as vaapi_mpeg2 counts
};

struct Picture {
	uint32_t type = 0;
	uint32_t fcode[2][2] = {};
	uint32_t intraDc = 0, structure = 0;
	bool tff = false, fpfd = false, cmv = false, qst = false, ivf = false, altScan = false,
	     rff = false, progressive = false;
	std::vector<Slice> slices;
};

struct Stream {
	uint32_t width = 0, height = 0;
	bool progressiveSequence = false;
	uint8_t intra[64] = {}, nonIntra[64] = {};	///< bitstream (zig-zag) order
	std::vector<Picture> pictures;
};

/// The headers mpeg12dec.c reads (ISO/IEC 13818-2 6.2).
Stream parseClip()
{
	Stream s;
	std::vector<size_t> codes;
	for (size_t i = 0; i + 3 < kClipSize; i++)
		if (kClip[i] == 0 && kClip[i + 1] == 0 && kClip[i + 2] == 1)
			codes.push_back(i);
	for (size_t c = 0; c < codes.size(); c++) {
		size_t at = codes[c], end = c + 1 < codes.size() ? codes[c + 1] : kClipSize;
		uint8_t code = kClip[at + 3];
		Bits b(kClip + at + 4, end - at - 4);
		if (code == 0xb3) {
			s.width = b.u(12);
			s.height = b.u(12);
			b.u(4 + 4 + 18 + 1 + 10 + 1);
			if (b.u(1))
				for (uint8_t &m : s.intra)
					m = static_cast<uint8_t>(b.u(8));
			if (b.u(1))
				for (uint8_t &m : s.nonIntra)
					m = static_cast<uint8_t>(b.u(8));
		} else if (code == 0xb5) {
			uint32_t id = b.u(4);
			if (id == 1) {
				b.u(8);
				s.progressiveSequence = b.u(1);
			} else if (id == 8) {
				Picture &p = s.pictures.back();
				for (auto &f : p.fcode)
					for (uint32_t &v : f)
						v = b.u(4);
				p.intraDc = b.u(2);
				p.structure = b.u(2);
				p.tff = b.u(1), p.fpfd = b.u(1), p.cmv = b.u(1), p.qst = b.u(1);
				p.ivf = b.u(1), p.altScan = b.u(1), p.rff = b.u(1);
				b.u(1);	// chroma_420_type
				p.progressive = b.u(1);
			}
		} else if (code == 0x00) {
			Picture p;
			b.u(10);
			p.type = b.u(3);
			s.pictures.push_back(p);
		} else if (code >= 0x01 && code <= 0xaf) {
			Slice sl;
			sl.offset = at;
			sl.size = end - at;
			sl.row = code - 1u;
			sl.quantiserScale = b.u(5);
			sl.intraSlice = b.u(1);
			if (sl.intraSlice) {
				b.u(8);
				while (b.u(1))
					b.u(8);
			}
			sl.macroblockOffset = static_cast<uint32_t>(32 + b.position());
			s.pictures.back().slices.push_back(sl);
		}
	}
	return s;
}

/// As vaapi_mpeg2_start_frame fills it.
VAPictureParameterBufferMPEG2 vaPicture(const Stream &s, const Picture &p, VASurfaceID forward,
					VASurfaceID backward)
{
	VAPictureParameterBufferMPEG2 v{};
	v.horizontal_size = static_cast<uint16_t>(s.width);
	v.vertical_size = static_cast<uint16_t>(s.height);
	v.forward_reference_picture = forward;
	v.backward_reference_picture = backward;
	v.picture_coding_type = static_cast<int32_t>(p.type);
	v.f_code = static_cast<int32_t>(p.fcode[0][0] << 12 | p.fcode[0][1] << 8 |
					p.fcode[1][0] << 4 | p.fcode[1][1]);
	auto &e = v.picture_coding_extension.bits;
	e.intra_dc_precision = p.intraDc;
	e.picture_structure = p.structure;
	e.top_field_first = p.tff;
	e.frame_pred_frame_dct = p.fpfd;
	e.concealment_motion_vectors = p.cmv;
	e.q_scale_type = p.qst;
	e.intra_vlc_format = p.ivf;
	e.alternate_scan = p.altScan;
	e.repeat_first_field = p.rff;
	e.progressive_frame = p.progressive;
	e.is_first_field = 1;
	return v;
}

/// FFmpeg loads all four every picture, chroma = luma for 4:2:0.
VAIQMatrixBufferMPEG2 vaMatrices(const uint8_t *intra, const uint8_t *nonIntra)
{
	VAIQMatrixBufferMPEG2 m{};
	m.load_intra_quantiser_matrix = m.load_non_intra_quantiser_matrix = 1;
	m.load_chroma_intra_quantiser_matrix = m.load_chroma_non_intra_quantiser_matrix = 1;
	memcpy(m.intra_quantiser_matrix, intra, 64);
	memcpy(m.chroma_intra_quantiser_matrix, intra, 64);
	memcpy(m.non_intra_quantiser_matrix, nonIntra, 64);
	memcpy(m.chroma_non_intra_quantiser_matrix, nonIntra, 64);
	return m;
}

VASliceParameterBufferMPEG2 vaSlice(const Slice &s, uint32_t offset, uint32_t size,
				    uint32_t startCodeBits = 32)
{
	VASliceParameterBufferMPEG2 v{};
	v.slice_data_size = size;
	v.slice_data_offset = offset;
	v.slice_data_flag = VA_SLICE_DATA_FLAG_ALL;
	v.macroblock_offset = s.macroblockOffset - 32 + startCodeBits;
	v.slice_vertical_position = s.row;
	v.quantiser_scale_code = static_cast<int32_t>(s.quantiserScale);
	v.intra_slice_flag = s.intraSlice;
	return v;
}

template<typename T> BufferView view(VABufferType type, const T &v, uint32_t elements = 1)
{
	return {type, reinterpret_cast<const uint8_t *>(&v), sizeof(T), elements};
}

BufferView dataView(const uint8_t *p, size_t n)
{
	return {VASliceDataBufferType, p, static_cast<uint32_t>(n), 1};
}

uint32_t compoundType(uint32_t id)
{
	switch (id) {
	case V4L2_CID_STATELESS_MPEG2_SEQUENCE:
		return V4L2_CTRL_TYPE_MPEG2_SEQUENCE;
	case V4L2_CID_STATELESS_MPEG2_PICTURE:
		return V4L2_CTRL_TYPE_MPEG2_PICTURE;
	case V4L2_CID_STATELESS_MPEG2_QUANTISATION:
		return V4L2_CTRL_TYPE_MPEG2_QUANTISATION;
	}
	return 0;
}

/// Every control passes the kernel's std_validate_compound unchanged (reserved fields zero).
void expectValid(const UnitControls &u)
{
	for (uint32_t i = 0; i < u.count; i++) {
		const v4l2_ext_control &c = u.controls[i];
		std::vector<uint8_t> copy(static_cast<const uint8_t *>(c.ptr),
					  static_cast<const uint8_t *>(c.ptr) + c.size);
		EXPECT_EQ(v4l2emu::validateCompoundElement(compoundType(c.id), copy.data()), 0)
			<< "control " << std::hex << c.id;
		EXPECT_EQ(memcmp(copy.data(), c.ptr, c.size), 0) << "sanitised " << c.id;
	}
}

using SequenceCtrl = v4l2_ctrl_mpeg2_sequence;
using PictureCtrl = v4l2_ctrl_mpeg2_picture;
using QuantCtrl = v4l2_ctrl_mpeg2_quantisation;

template<typename T> const T &payload(const UnitControls &u, uint32_t id)
{
	for (uint32_t i = 0; i < u.count; i++)
		if (u.controls[i].id == id) {
			EXPECT_EQ(u.controls[i].size, sizeof(T));
			return *static_cast<const T *>(u.controls[i].ptr);
		}
	ADD_FAILURE() << "no control " << std::hex << id;
	static T none{};
	return none;
}

/// One slice of the clip as FFmpeg passes it: its own SliceParam / SliceData pair.
VAStatus renderSlice(CodecState &state, const Slice &sl, BitstreamSink &sink)
{
	auto sp = vaSlice(sl, 0, static_cast<uint32_t>(sl.size));
	VAStatus status = state.render(view(VASliceParameterBufferType, sp), sink);
	if (status != VA_STATUS_SUCCESS)
		return status;
	return state.render(dataView(kClip + sl.offset, sl.size), sink);
}

std::unique_ptr<CodecState> createState(VAProfile profile = VAProfileMPEG2Main)
{
	const CodecDescriptor *codec = codecForProfile(profile);
	if (!codec)
		return nullptr;
	return codec->create(profile, DeviceCaps{}, 64, 48);
}

/// ISO/IEC 13818-2 Figure 7-2, generated by walking the anti-diagonals.
std::vector<int> zigzagScan()
{
	std::vector<int> scan;
	for (int d = 0; d < 15; d++)
		for (int i = 0; i <= d; i++) {
			int row = d % 2 ? i : d - i, col = d - row;
			if (row < 8 && col < 8)
				scan.push_back(row * 8 + col);
		}
	return scan;
}

TEST(Mpeg2Codec, ParserSeesWhatTraceHeadersPrints)
{
	// ffmpeg -i clip -c copy -bsf:v trace_headers -f null -
	Stream s = parseClip();
	EXPECT_EQ(s.width, 64u);
	EXPECT_EQ(s.height, 48u);
	EXPECT_TRUE(s.progressiveSequence);
	using Bytes = std::vector<uint8_t>;
	EXPECT_EQ(Bytes(s.intra, s.intra + 4), (Bytes{8, 15, 14, 20}));
	EXPECT_EQ(Bytes(s.nonIntra, s.nonIntra + 4), (Bytes{16, 21, 26, 36}));
	ASSERT_EQ(s.pictures.size(), 6u);
	const uint32_t types[] = {1, 2, 3, 3, 2, 3};
	for (size_t i = 0; i < 6; i++) {
		EXPECT_EQ(s.pictures[i].type, types[i]);
		EXPECT_EQ(s.pictures[i].structure, 3u);
		ASSERT_EQ(s.pictures[i].slices.size(), 3u);
		EXPECT_EQ(s.pictures[i].slices[2].row, 2u);
		EXPECT_EQ(s.pictures[i].slices[0].quantiserScale, 31u);
		EXPECT_EQ(s.pictures[i].slices[0].macroblockOffset, 38u);
	}
	EXPECT_EQ(s.pictures[1].fcode[0][0], 1u);
	EXPECT_EQ(s.pictures[1].fcode[1][0], 15u);
}

// FFmpeg's order: PicParam + IQMatrix in one render, then a SliceParam / SliceData pair per
// slice, the data starting at the slice start code.
TEST(Mpeg2Codec, DecodesTheClipAsFfmpegSubmitsIt)
{
	const Stream s = parseClip();
	auto state = createState();
	ASSERT_TRUE(state);
	MapResolver refs;
	FixedSink sink(4096);
	VASurfaceID older = VA_INVALID_SURFACE, newer = VA_INVALID_SURFACE;
	for (size_t n = 0; n < s.pictures.size(); n++) {
		const Picture &p = s.pictures[n];
		const VASurfaceID target = static_cast<VASurfaceID>(10 + n);
		const uint64_t targetTs = (n + 1) * 1000;
		// mpegvideo: a B picture predicts from the two last references, I/P from the newer.
		VASurfaceID forward = p.type == 3   ? older
				      : p.type == 2 ? newer
						    : VA_INVALID_SURFACE;
		VASurfaceID backward = p.type == 3 ? newer : VA_INVALID_SURFACE;
		sink.clear();
		state->beginPicture();
		auto pic = vaPicture(s, p, forward, backward);
		auto iq = vaMatrices(s.intra, s.nonIntra);
		ASSERT_EQ(state->render(view(VAPictureParameterBufferType, pic), sink),
			  VA_STATUS_SUCCESS);
		ASSERT_EQ(state->render(view(VAIQMatrixBufferType, iq), sink), VA_STATUS_SUCCESS);
		std::vector<uint8_t> expected;
		for (const Slice &sl : p.slices) {
			ASSERT_EQ(renderSlice(*state, sl, sink), VA_STATUS_SUCCESS);
			const uint8_t *bytes = kClip + sl.offset;
			expected.insert(expected.end(), bytes, bytes + sl.size);
		}
		SequenceInfo seq;
		ASSERT_EQ(state->endPicture(&seq), VA_STATUS_SUCCESS);
		EXPECT_EQ(seq, (SequenceInfo{64, 48, 8, 1}));
		UnitControls u;
		ASSERT_EQ(state->unitControls(0, refs, targetTs, &u), VA_STATUS_SUCCESS);
		ASSERT_EQ(u.count, 3u);
		expectValid(u);
		EXPECT_EQ(sink.bytes(), expected) << "picture " << n;

		const auto &sq = payload<SequenceCtrl>(u, V4L2_CID_STATELESS_MPEG2_SEQUENCE);
		EXPECT_EQ(sq.horizontal_size, 64);
		EXPECT_EQ(sq.vertical_size, 48);
		EXPECT_EQ(sq.chroma_format, 1);
		EXPECT_EQ(sq.flags, s.progressiveSequence ? V4L2_MPEG2_SEQ_FLAG_PROGRESSIVE : 0);
		EXPECT_EQ(sq.profile_and_level_indication, 0x4a);	// Main profile, Low level
		EXPECT_EQ(sq.vbv_buffer_size, 29u);

		const auto &pc = payload<PictureCtrl>(u, V4L2_CID_STATELESS_MPEG2_PICTURE);
		EXPECT_EQ(pc.picture_coding_type, p.type);
		EXPECT_EQ(pc.picture_structure, p.structure);
		EXPECT_EQ(pc.intra_dc_precision, p.intraDc);
		for (int i = 0; i < 2; i++)
			for (int j = 0; j < 2; j++)
				EXPECT_EQ(pc.f_code[i][j], p.fcode[i][j]);
		uint32_t flags = (p.fpfd ? V4L2_MPEG2_PIC_FLAG_FRAME_PRED_DCT : 0) |
				 (p.progressive ? V4L2_MPEG2_PIC_FLAG_PROGRESSIVE : 0) |
				 (p.tff ? V4L2_MPEG2_PIC_FLAG_TOP_FIELD_FIRST : 0) |
				 (p.altScan ? V4L2_MPEG2_PIC_FLAG_ALT_SCAN : 0) |
				 (p.ivf ? V4L2_MPEG2_PIC_FLAG_INTRA_VLC : 0) |
				 (p.qst ? V4L2_MPEG2_PIC_FLAG_Q_SCALE_TYPE : 0);
		EXPECT_EQ(pc.flags, flags);
		uint64_t fwdTs = p.type >= 2 ? refs.decoded.at(forward) : targetTs;
		uint64_t bwdTs = p.type == 3 ? refs.decoded.at(backward) : targetTs;
		EXPECT_EQ(pc.forward_ref_ts, fwdTs) << "picture " << n;
		EXPECT_EQ(pc.backward_ref_ts, bwdTs) << "picture " << n;

		const auto &q = payload<QuantCtrl>(u, V4L2_CID_STATELESS_MPEG2_QUANTISATION);
		EXPECT_EQ(memcmp(q.intra_quantiser_matrix, s.intra, 64), 0);
		EXPECT_EQ(memcmp(q.non_intra_quantiser_matrix, s.nonIntra, 64), 0);
		EXPECT_EQ(memcmp(q.chroma_intra_quantiser_matrix, s.intra, 64), 0);
		EXPECT_EQ(memcmp(q.chroma_non_intra_quantiser_matrix, s.nonIntra, 64), 0);

		state->pictureSubmitted();
		refs.decoded[target] = targetTs;
		if (p.type != 3) {
			older = newer;
			newer = target;
		}
	}
	// The B pictures of the clip did use two distinct references.
	EXPECT_EQ(refs.decoded.size(), 6u);
}

// One SliceParameter buffer with all the slices (num_elements = 3) and one data buffer that
// lacks the start codes: they are put back; a slice split BEGIN/END gets one.
TEST(Mpeg2Codec, AddsMissingStartCodesAcrossOneMultiSliceBuffer)
{
	const Stream s = parseClip();
	const Picture &p = s.pictures[1];
	auto state = createState();
	MapResolver refs;
	refs.decoded[10] = 1000;
	FixedSink sink(4096);
	state->beginPicture();
	auto pic = vaPicture(s, p, 10, VA_INVALID_SURFACE);
	ASSERT_EQ(state->render(view(VAPictureParameterBufferType, pic), sink), VA_STATUS_SUCCESS);

	std::vector<uint8_t> data, expected;
	VASliceParameterBufferMPEG2 params[3];
	for (size_t i = 0; i < 3; i++) {
		const Slice &sl = p.slices[i];
		params[i] = vaSlice(sl, static_cast<uint32_t>(data.size()),
				    static_cast<uint32_t>(sl.size - 4), 0);
		data.insert(data.end(), kClip + sl.offset + 4, kClip + sl.offset + sl.size);
		expected.insert(expected.end(), kClip + sl.offset, kClip + sl.offset + sl.size);
	}
	ASSERT_EQ(state->render(view(VASliceParameterBufferType, params[0], 3), sink),
		  VA_STATUS_SUCCESS);
	ASSERT_EQ(state->render(dataView(data.data(), data.size()), sink), VA_STATUS_SUCCESS);
	EXPECT_EQ(sink.bytes(), expected);

	// The first slice again, in two pieces.
	const Slice &sl = p.slices[0];
	const uint8_t *body = kClip + sl.offset + 4;
	uint32_t half = static_cast<uint32_t>(sl.size - 4) / 2;
	auto begin = vaSlice(sl, 0, half, 0);
	begin.slice_data_flag = VA_SLICE_DATA_FLAG_BEGIN;
	auto rest = vaSlice(sl, 0, static_cast<uint32_t>(sl.size - 4) - half, 0);
	rest.slice_data_flag = VA_SLICE_DATA_FLAG_END;
	ASSERT_EQ(state->render(view(VASliceParameterBufferType, begin), sink), VA_STATUS_SUCCESS);
	ASSERT_EQ(state->render(dataView(body, half), sink), VA_STATUS_SUCCESS);
	ASSERT_EQ(state->render(view(VASliceParameterBufferType, rest), sink), VA_STATUS_SUCCESS);
	ASSERT_EQ(state->render(dataView(body + half, sl.size - 4 - half), sink),
		  VA_STATUS_SUCCESS);
	expected.insert(expected.end(), kClip + sl.offset, kClip + sl.offset + sl.size);
	EXPECT_EQ(sink.bytes(), expected);
	SequenceInfo seq;
	EXPECT_EQ(state->endPicture(&seq), VA_STATUS_SUCCESS);
}

/// Renders an I picture of the clip with the given IQ buffer (or none) and returns its
/// quantisation control; `submit` commits it as pictureSubmitted() does.
QuantCtrl decodeWith(CodecState &state, const VAIQMatrixBufferMPEG2 *iq, bool submit)
{
	const Stream s = parseClip();
	const Picture &p = s.pictures[0];
	FixedSink sink(4096);
	MapResolver refs;
	state.beginPicture();
	auto pic = vaPicture(s, p, VA_INVALID_SURFACE, VA_INVALID_SURFACE);
	EXPECT_EQ(state.render(view(VAPictureParameterBufferType, pic), sink), VA_STATUS_SUCCESS);
	if (iq) {
		EXPECT_EQ(state.render(view(VAIQMatrixBufferType, *iq), sink), VA_STATUS_SUCCESS);
	}
	EXPECT_EQ(renderSlice(state, p.slices[0], sink), VA_STATUS_SUCCESS);
	SequenceInfo seq;
	EXPECT_EQ(state.endPicture(&seq), VA_STATUS_SUCCESS);
	UnitControls u;
	EXPECT_EQ(state.unitControls(0, refs, 5000, &u), VA_STATUS_SUCCESS);
	expectValid(u);
	if (submit)
		state.pictureSubmitted();
	return payload<QuantCtrl>(u, V4L2_CID_STATELESS_MPEG2_QUANTISATION);
}

// Matrices not loaded keep the previous ones; before any, the 13818-2 6.3.11 defaults (intra
// table in zig-zag order, non-intra flat 16). A picture that is not submitted changes nothing.
TEST(Mpeg2Codec, MatricesFollowTheLoadFlags)
{
	static const uint8_t kDefaultIntraRaster[64] = {
		8,  16, 19, 22, 26, 27, 29, 34, 16, 16, 22, 24, 27, 29, 34, 37,
		19, 22, 26, 27, 29, 34, 34, 38, 22, 22, 26, 27, 29, 34, 37, 40,
		22, 26, 27, 29, 32, 35, 40, 48, 26, 27, 29, 32, 35, 40, 48, 58,
		26, 27, 29, 34, 38, 46, 56, 69, 27, 29, 35, 38, 46, 56, 69, 83,
	};
	std::vector<int> scan = zigzagScan();
	ASSERT_EQ(scan.size(), 64u);
	uint8_t defaultIntra[64], flat[64];
	for (int i = 0; i < 64; i++)
		defaultIntra[i] = kDefaultIntraRaster[scan[i]];
	memset(flat, 16, sizeof(flat));
	EXPECT_EQ(defaultIntra[2], 16);	// raster (1,0)
	EXPECT_EQ(defaultIntra[3], 19);	// raster (2,0)

	auto state = createState();
	auto q = decodeWith(*state, nullptr, true);
	EXPECT_EQ(memcmp(q.intra_quantiser_matrix, defaultIntra, 64), 0);
	EXPECT_EQ(memcmp(q.chroma_intra_quantiser_matrix, defaultIntra, 64), 0);
	EXPECT_EQ(memcmp(q.non_intra_quantiser_matrix, flat, 64), 0);
	EXPECT_EQ(memcmp(q.chroma_non_intra_quantiser_matrix, flat, 64), 0);

	const Stream s = parseClip();
	VAIQMatrixBufferMPEG2 intraOnly{};
	intraOnly.load_intra_quantiser_matrix = 1;
	memcpy(intraOnly.intra_quantiser_matrix, s.intra, 64);
	memset(intraOnly.non_intra_quantiser_matrix, 99, 64);	// not loaded: ignored
	q = decodeWith(*state, &intraOnly, true);
	EXPECT_EQ(memcmp(q.intra_quantiser_matrix, s.intra, 64), 0);
	EXPECT_EQ(memcmp(q.chroma_intra_quantiser_matrix, s.intra, 64), 0);
	EXPECT_EQ(memcmp(q.non_intra_quantiser_matrix, flat, 64), 0);

	VAIQMatrixBufferMPEG2 nonIntraOnly{};
	nonIntraOnly.load_non_intra_quantiser_matrix = 1;
	memcpy(nonIntraOnly.non_intra_quantiser_matrix, s.nonIntra, 64);
	q = decodeWith(*state, &nonIntraOnly, false);	// never submitted
	EXPECT_EQ(memcmp(q.non_intra_quantiser_matrix, s.nonIntra, 64), 0);
	EXPECT_EQ(memcmp(q.intra_quantiser_matrix, s.intra, 64), 0);

	VAIQMatrixBufferMPEG2 none{};
	q = decodeWith(*state, &none, true);
	EXPECT_EQ(memcmp(q.intra_quantiser_matrix, s.intra, 64), 0);
	EXPECT_EQ(memcmp(q.non_intra_quantiser_matrix, flat, 64), 0);
}

// References the picture type does not use are the target itself (as the I picture's are);
// used ones that name no decoded surface are 0, which names no buffer.
TEST(Mpeg2Codec, UnresolvedReferencesNameNoBuffer)
{
	const Stream s = parseClip();
	auto state = createState();
	MapResolver refs;
	refs.decoded[10] = 1000;
	FixedSink sink(4096);
	for (uint32_t type : {2u, 3u}) {
		const Picture &p = s.pictures[type == 2 ? 1 : 2];
		state->beginPicture();
		sink.clear();
		auto pic = vaPicture(s, p, type == 2 ? 77 : 10, 77);	// 77 was never decoded
		ASSERT_EQ(state->render(view(VAPictureParameterBufferType, pic), sink),
			  VA_STATUS_SUCCESS);
		ASSERT_EQ(renderSlice(*state, p.slices[0], sink), VA_STATUS_SUCCESS);
		SequenceInfo seq;
		ASSERT_EQ(state->endPicture(&seq), VA_STATUS_SUCCESS);
		UnitControls u;
		ASSERT_EQ(state->unitControls(0, refs, 9000, &u), VA_STATUS_SUCCESS);
		const auto &pc = payload<PictureCtrl>(u, V4L2_CID_STATELESS_MPEG2_PICTURE);
		// A used reference that names nothing is 0 (no buffer); an unused one the target.
		EXPECT_EQ(pc.forward_ref_ts, type == 2 ? 0u : 1000u);
		EXPECT_EQ(pc.backward_ref_ts, type == 2 ? 9000u : 0u);
	}
}

TEST(Mpeg2Codec, RejectsBadInputAndKeepsItsState)
{
	const Stream s = parseClip();
	const Picture &p = s.pictures[0];
	const Slice &sl = p.slices[0];
	auto state = createState();
	MapResolver refs;
	FixedSink sink(4096);
	SequenceInfo seq;
	UnitControls u;
	auto pic = vaPicture(s, p, VA_INVALID_SURFACE, VA_INVALID_SURFACE);
	auto sp = vaSlice(sl, 0, static_cast<uint32_t>(sl.size));
	auto iq = vaMatrices(s.intra, s.nonIntra);

	state->beginPicture();
	EXPECT_EQ(state->unitControls(0, refs, 1000, &u), VA_STATUS_ERROR_OPERATION_FAILED);
	// Buffers shorter than their struct, or without data.
	BufferView shortPic = view(VAPictureParameterBufferType, pic);
	shortPic.elementSize -= 4;
	EXPECT_EQ(state->render(shortPic, sink), VA_STATUS_ERROR_INVALID_BUFFER);
	BufferView nullPic = view(VAPictureParameterBufferType, pic);
	nullPic.data = nullptr;
	EXPECT_EQ(state->render(nullPic, sink), VA_STATUS_ERROR_INVALID_BUFFER);
	BufferView shortIq = view(VAIQMatrixBufferType, iq);
	shortIq.elementSize = 16;
	EXPECT_EQ(state->render(shortIq, sink), VA_STATUS_ERROR_INVALID_BUFFER);
	BufferView shortSlice = view(VASliceParameterBufferType, sp);
	shortSlice.elementSize = 8;
	EXPECT_EQ(state->render(shortSlice, sink), VA_STATUS_ERROR_INVALID_BUFFER);
	EXPECT_EQ(state->render(dataView(nullptr, 10), sink), VA_STATUS_ERROR_INVALID_BUFFER);
	// Out-of-range values.
	auto badType = pic;
	badType.picture_coding_type = 4;	// D picture
	EXPECT_EQ(state->render(view(VAPictureParameterBufferType, badType), sink),
		  VA_STATUS_ERROR_INVALID_PARAMETER);
	auto badStructure = pic;
	badStructure.picture_coding_extension.bits.picture_structure = 0;
	EXPECT_EQ(state->render(view(VAPictureParameterBufferType, badStructure), sink),
		  VA_STATUS_ERROR_INVALID_PARAMETER);
	auto emptySlice = sp;
	emptySlice.slice_data_size = 0;
	EXPECT_EQ(state->render(view(VASliceParameterBufferType, emptySlice), sink),
		  VA_STATUS_ERROR_INVALID_PARAMETER);
	auto badFlag = sp;
	badFlag.slice_data_flag = 0x10;
	EXPECT_EQ(state->render(view(VASliceParameterBufferType, badFlag), sink),
		  VA_STATUS_ERROR_INVALID_PARAMETER);
	// Slice data without slice parameters.
	EXPECT_EQ(state->render(dataView(kClip + sl.offset, sl.size), sink),
		  VA_STATUS_ERROR_INVALID_PARAMETER);
	// No picture parameters, no slices.
	EXPECT_EQ(state->endPicture(&seq), VA_STATUS_ERROR_INVALID_PARAMETER);
	ASSERT_EQ(state->render(view(VAPictureParameterBufferType, pic), sink), VA_STATUS_SUCCESS);
	EXPECT_EQ(state->endPicture(&seq), VA_STATUS_ERROR_INVALID_PARAMETER);
	EXPECT_EQ(sink.unitSize(), 0u);

	// A slice reaching past its data buffer; a slice that does not fit the OUTPUT buffer.
	auto longSlice = sp;
	longSlice.slice_data_offset = 1;
	ASSERT_EQ(state->render(view(VASliceParameterBufferType, longSlice), sink),
		  VA_STATUS_SUCCESS);
	EXPECT_EQ(state->render(dataView(kClip + sl.offset, sl.size), sink),
		  VA_STATUS_ERROR_INVALID_BUFFER);
	FixedSink tiny(sl.size - 1);
	ASSERT_EQ(state->render(view(VASliceParameterBufferType, sp), tiny), VA_STATUS_SUCCESS);
	EXPECT_EQ(state->render(dataView(kClip + sl.offset, sl.size), tiny),
		  VA_STATUS_ERROR_NOT_ENOUGH_BUFFER);
	EXPECT_EQ(tiny.unitSize(), 0u);
	// The failure kept the slice parameters: the same data now fits a larger buffer.
	EXPECT_EQ(state->render(dataView(kClip + sl.offset, sl.size), sink), VA_STATUS_SUCCESS);
	EXPECT_EQ(sink.unitSize(), sl.size);
	ASSERT_EQ(state->endPicture(&seq), VA_STATUS_SUCCESS);
	EXPECT_EQ(state->unitControls(1, refs, 1000, &u), VA_STATUS_ERROR_INVALID_PARAMETER);
	u.count = kMaxControls - 2;
	EXPECT_EQ(state->unitControls(0, refs, 1000, &u), VA_STATUS_ERROR_MAX_NUM_EXCEEDED);

	// More slices than a picture can have macroblocks (1080p at least).
	std::vector<VASliceParameterBufferMPEG2> many(8161, sp);
	state->beginPicture();
	EXPECT_EQ(state->render({VASliceParameterBufferType,
				 reinterpret_cast<const uint8_t *>(many.data()),
				 sizeof(VASliceParameterBufferMPEG2), 8161},
				sink),
		  VA_STATUS_ERROR_INVALID_PARAMETER);
	// Unknown buffer types are ignored.
	EXPECT_EQ(state->render({VAProbabilityBufferType, kClip, 4, 1}, sink), VA_STATUS_SUCCESS);
}

TEST(Mpeg2Codec, DescriptorAndSequenceControls)
{
	const CodecDescriptor *main = codecForProfile(VAProfileMPEG2Main);
	ASSERT_TRUE(main);
	EXPECT_EQ(codecForProfile(VAProfileMPEG2Simple), main);
	EXPECT_STREQ(main->name, "mpeg2");
	EXPECT_EQ(main->codedFourcc, V4L2_PIX_FMT_MPEG2_SLICE);
	EXPECT_GE(main->outputBufferSize(1920, 1088), 1920u * 1088 * 3 / 2);
	EXPECT_GE(main->outputBufferSize(64, 48), 1u << 20);

	// Before any picture: the context's size, already valid for the driver.
	auto simple = createState(VAProfileMPEG2Simple);
	UnitControls u;
	simple->sequenceControls(&u);
	ASSERT_EQ(u.count, 1u);
	expectValid(u);
	const auto &sq = payload<SequenceCtrl>(u, V4L2_CID_STATELESS_MPEG2_SEQUENCE);
	EXPECT_EQ(sq.horizontal_size, 64);
	EXPECT_EQ(sq.profile_and_level_indication, 0x58);	// Simple profile, Main level
	EXPECT_EQ(sq.vbv_buffer_size, 112u);
}

} // namespace
} // namespace v4l2va
