// SPDX-License-Identifier: MIT
// VP9 uncompressed and compressed header parsers (spec sections 6.2, 6.3, 9.2), written from
// the specification; the V4L2 conventions follow GStreamer's gstvp9statefulparser.c (what
// gstv4l2codecvp9dec.c feeds the kernel) and the kernel's v4l2-vp9.c consumers.
#include "vp9_headers.h"

#include <array>

namespace v4l2va::vp9 {

namespace {

/// Plain MSB-first bit reader (VP9 has no emulation prevention). Reading past the end returns
/// zeros and sets overrun(), checked once at the end.
class BitReader {
public:
	BitReader(const uint8_t *data, size_t size) : data_(data), bits_(size * 8) {}

	uint32_t f(unsigned n)
	{
		uint32_t v = 0;
		for (unsigned i = 0; i < n; i++)
			v = (v << 1) | bit();
		return v;
	}
	bool flag() { return bit() != 0; }
	/// su(n): magnitude then sign bit (spec 4.10.6).
	int32_t su(unsigned n)
	{
		int32_t v = static_cast<int32_t>(f(n));
		return flag() ? -v : v;
	}
	size_t position() const { return pos_; }
	bool overrun() const { return overrun_; }
	/// True if every bit not read yet is zero (trailing padding).
	bool restIsZero() const
	{
		for (size_t p = pos_; p < bits_; p++)
			if ((data_[p >> 3] >> (7 - (p & 7))) & 1)
				return false;
		return true;
	}

private:
	uint32_t bit()
	{
		if (pos_ >= bits_) {
			overrun_ = true;
			return 0;
		}
		uint32_t b = (data_[pos_ >> 3] >> (7 - (pos_ & 7))) & 1;
		pos_++;
		return b;
	}

	const uint8_t *data_;
	size_t bits_;
	size_t pos_ = 0;
	bool overrun_ = false;
};

constexpr unsigned kCsRgb = 7;		// color_space CS_RGB
constexpr unsigned kCsBt601 = 1;

/// 7.2 setup_past_independence: the parts that live outside the probability contexts.
void setupPastIndependence(PersistentState *s)
{
	for (unsigned i = 0; i < kMaxSegments; i++) {
		s->segFeatureEnabled[i] = 0;
		for (unsigned j = 0; j < kSegLevels; j++)
			s->segFeatureData[i][j] = 0;
	}
	s->segAbsOrDeltaUpdate = false;
	s->lfRefDeltas[0] = 1;
	s->lfRefDeltas[1] = 0;
	s->lfRefDeltas[2] = -1;
	s->lfRefDeltas[3] = -1;
	s->lfModeDeltas[0] = 0;
	s->lfModeDeltas[1] = 0;
}

/// 6.2.2 color_config. False for combinations the syntax forbids.
bool readColorConfig(BitReader &br, FrameHeader &h)
{
	h.bitDepth = h.profile >= 2 ? (br.flag() ? 12 : 10) : 8;
	h.colorSpace = static_cast<uint8_t>(br.f(3));
	const bool subsampledProfile = h.profile == 0 || h.profile == 2;
	if (h.colorSpace != kCsRgb) {
		h.colorRangeFull = br.flag();
		if (subsampledProfile) {
			h.subsamplingX = h.subsamplingY = true;
		} else {
			h.subsamplingX = br.flag();
			h.subsamplingY = br.flag();
			if (h.subsamplingX && h.subsamplingY)
				return false;	// 4:2:0 is for profiles 0 and 2
			if (br.flag())
				return false;	// reserved_zero
		}
	} else {
		h.colorRangeFull = true;
		if (subsampledProfile)
			return false;	// 4:4:4 needs profile 1 or 3
		h.subsamplingX = h.subsamplingY = false;
		if (br.flag())
			return false;
	}
	h.colorCoded = true;
	return true;
}

bool readSyncCode(BitReader &br)
{
	return br.f(8) == 0x49 && br.f(8) == 0x83 && br.f(8) == 0x42;
}

void readFrameSize(BitReader &br, FrameHeader &h)
{
	h.width = br.f(16) + 1;
	h.height = br.f(16) + 1;
}

void readRenderSize(BitReader &br, FrameHeader &h)
{
	if (br.flag()) {
		h.renderWidth = br.f(16) + 1;
		h.renderHeight = br.f(16) + 1;
	} else {
		h.renderWidth = h.width;
		h.renderHeight = h.height;
	}
}

/// 6.2.5 frame_size_with_refs. False if a found_ref names a slot of unknown size.
bool readFrameSizeWithRefs(BitReader &br, const PersistentState &s, const FrameSize *override,
			   FrameHeader &h)
{
	for (unsigned i = 0; i < kRefsPerFrame; i++) {
		if (!br.flag())
			continue;
		const unsigned slot = h.refFrameIdx[i];
		h.sizeFromRef = true;
		h.width = override ? override->width : s.refWidth[slot];
		h.height = override ? override->height : s.refHeight[slot];
		if (!h.width || !h.height)
			return false;
		break;
	}
	if (!h.sizeFromRef)
		readFrameSize(br, h);
	readRenderSize(br, h);
	return true;
}

/// 6.2.7: literal_to_type, in V4L2 numbering.
uint8_t readInterpolationFilter(BitReader &br)
{
	static const uint8_t kLiteralToType[4] = {
		V4L2_VP9_INTERP_FILTER_EIGHTTAP_SMOOTH, V4L2_VP9_INTERP_FILTER_EIGHTTAP,
		V4L2_VP9_INTERP_FILTER_EIGHTTAP_SHARP, V4L2_VP9_INTERP_FILTER_BILINEAR};
	if (br.flag())
		return V4L2_VP9_INTERP_FILTER_SWITCHABLE;
	return kLiteralToType[br.f(2)];
}

/// 6.2.8: deltas not coded keep their previous values.
void readLoopFilterParams(BitReader &br, PersistentState &s, FrameHeader &h)
{
	h.lfLevel = static_cast<uint8_t>(br.f(6));
	h.lfSharpness = static_cast<uint8_t>(br.f(3));
	h.lfDeltaEnabled = br.flag();
	if (!h.lfDeltaEnabled)
		return;
	h.lfDeltaUpdate = br.flag();
	if (!h.lfDeltaUpdate)
		return;
	for (int8_t &delta : s.lfRefDeltas)
		if (br.flag())
			delta = static_cast<int8_t>(br.su(6));
	for (int8_t &delta : s.lfModeDeltas)
		if (br.flag())
			delta = static_cast<int8_t>(br.su(6));
}

int8_t readDeltaQ(BitReader &br)
{
	return br.flag() ? static_cast<int8_t>(br.su(4)) : 0;
}

uint8_t readProb(BitReader &br)
{
	return br.flag() ? static_cast<uint8_t>(br.f(8)) : 255;
}

/// 6.2.11: features and probabilities not coded keep their previous values.
void readSegmentationParams(BitReader &br, PersistentState &s, FrameHeader &h)
{
	static const unsigned kFeatureBits[kSegLevels] = {8, 6, 2, 0};
	static const bool kFeatureSigned[kSegLevels] = {true, true, false, false};
	h.segEnabled = br.flag();
	if (!h.segEnabled)
		return;
	h.segUpdateMap = br.flag();
	if (h.segUpdateMap) {
		for (uint8_t &p : s.segTreeProbs)
			p = readProb(br);
		h.segTemporalUpdate = br.flag();
		for (uint8_t &p : s.segPredProbs)
			p = h.segTemporalUpdate ? readProb(br) : 255;
	}
	h.segUpdateData = br.flag();
	if (!h.segUpdateData)
		return;
	s.segAbsOrDeltaUpdate = br.flag();
	for (unsigned i = 0; i < kMaxSegments; i++) {
		s.segFeatureEnabled[i] = 0;
		for (unsigned j = 0; j < kSegLevels; j++) {
			int16_t value = 0;
			if (br.flag()) {
				s.segFeatureEnabled[i] |= V4L2_VP9_SEGMENT_FEATURE_ENABLED(j);
				value = static_cast<int16_t>(br.f(kFeatureBits[j]));
				if (kFeatureSigned[j] && br.flag())
					value = static_cast<int16_t>(-value);
			}
			s.segFeatureData[i][j] = value;
		}
	}
}

/// 6.2.13 tile_info with 6.2.14's bounds. False past 64 tile columns.
bool readTileInfo(BitReader &br, FrameHeader &h)
{
	const uint32_t miCols = (h.width + 7) >> 3;
	const uint32_t sb64Cols = (miCols + 7) >> 3;
	unsigned minLog2 = 0;
	while ((64u << minLog2) < sb64Cols)
		minLog2++;
	unsigned maxLog2 = 1;
	while ((sb64Cols >> maxLog2) >= 4)
		maxLog2++;
	maxLog2--;
	unsigned cols = minLog2;
	while (cols < maxLog2 && br.flag())
		cols++;
	if (cols > 6)
		return false;
	h.tileColsLog2 = static_cast<uint8_t>(cols);
	h.tileRowsLog2 = br.flag() ? static_cast<uint8_t>(1 + br.f(1)) : 0;
	return true;
}

ParseStatus failure(const BitReader &br)
{
	return br.overrun() ? ParseStatus::Truncated : ParseStatus::Invalid;
}

/// inv_map_table (spec 6.3.5), built rather than spelled out: the 20 coarse steps 7 + 13k
/// first, then every other value in 1..253, then 253 once more.
constexpr std::array<uint8_t, 255> makeInvMapTable()
{
	std::array<uint8_t, 255> t{};
	size_t n = 0;
	for (unsigned k = 0; k < 20; k++)
		t[n++] = static_cast<uint8_t>(7 + 13 * k);
	for (unsigned v = 1; v <= 253; v++)
		if (v < 7 || (v - 7) % 13 != 0)
			t[n++] = static_cast<uint8_t>(v);
	t[n++] = 253;
	return n == t.size() ? t : std::array<uint8_t, 255>{};
}
constexpr std::array<uint8_t, 255> kInvMapTable = makeInvMapTable();
static_assert(kInvMapTable[0] == 7 && kInvMapTable[19] == 254 && kInvMapTable[20] == 1 &&
	      kInvMapTable[26] == 8 && kInvMapTable[253] == 253 && kInvMapTable[254] == 253);

/// The boolean decoder of spec 9.2, bit by bit. Running out of data sets overrun().
class BoolDecoder {
public:
	BoolDecoder(const uint8_t *data, size_t size) : br_(data, size)
	{
		value_ = br_.f(8);
		if (readBool(128))	// marker bit
			invalid_ = true;
	}

	bool readBool(unsigned probability)
	{
		const uint32_t split = 1 + (((range_ - 1) * probability) >> 8);
		bool bit;
		if (value_ < split) {
			range_ = split;
			bit = false;
		} else {
			range_ -= split;
			value_ -= split;
			bit = true;
		}
		while (range_ < 128) {
			value_ = (value_ << 1) | br_.f(1);
			range_ <<= 1;
		}
		return bit;
	}
	uint32_t literal(unsigned n)
	{
		uint32_t v = 0;
		for (unsigned i = 0; i < n; i++)
			v = (v << 1) | readBool(128);
		return v;
	}
	bool overrun() const { return br_.overrun(); }
	bool invalid() const { return invalid_; }
	/// exit_bool's padding: every bit the decoder did not consume is zero.
	bool paddingZero() const { return br_.restIsZero(); }

private:
	BitReader br_;
	uint32_t value_ = 0;
	uint32_t range_ = 255;
	bool invalid_ = false;
};

/// 6.3.3 decode_term_subexp.
unsigned decodeTermSubexp(BoolDecoder &bd)
{
	if (!bd.literal(1))
		return bd.literal(4);
	if (!bd.literal(1))
		return bd.literal(4) + 16;
	if (!bd.literal(1))
		return bd.literal(5) + 32;
	const unsigned v = bd.literal(7);
	if (v < 65)
		return v + 64;
	return (v << 1) - 1 + bd.literal(1);
}

/// 6.3.4 diff_update_prob, stopping at inv_map_table: the value V4L2 carries (0 = none).
uint8_t diffUpdateProb(BoolDecoder &bd)
{
	if (!bd.readBool(252))
		return 0;
	return kInvMapTable[decodeTermSubexp(bd)];
}

/// 6.3.17 update_mv_prob: the new probability itself.
uint8_t updateMvProb(BoolDecoder &bd)
{
	if (!bd.readBool(252))
		return 0;
	return static_cast<uint8_t>((bd.literal(7) << 1) | 1);
}

template<size_t N> void diffUpdateProbs(BoolDecoder &bd, uint8_t (&probs)[N])
{
	for (uint8_t &p : probs)
		p = diffUpdateProb(bd);
}

void readTxModeProbs(BoolDecoder &bd, struct v4l2_ctrl_vp9_compressed_hdr &c)
{
	for (auto &p : c.tx8)
		diffUpdateProbs(bd, p);
	for (auto &p : c.tx16)
		diffUpdateProbs(bd, p);
	for (auto &p : c.tx32)
		diffUpdateProbs(bd, p);
}

void readCoefProbs(BoolDecoder &bd, struct v4l2_ctrl_vp9_compressed_hdr &c)
{
	// tx_mode_to_biggest_tx_size: TX_MODE_SELECT allows 32x32 like ALLOW_32X32.
	const unsigned maxTxSize = c.tx_mode == V4L2_VP9_TX_MODE_SELECT ? 3 : c.tx_mode;
	for (unsigned txSize = 0; txSize <= maxTxSize; txSize++) {
		if (!bd.literal(1))	// update_probs
			continue;
		for (auto &plane : c.coef[txSize])
			for (auto &ref : plane)
				for (unsigned band = 0; band < 6; band++)
					for (unsigned ctx = 0; ctx < (band == 0 ? 3u : 6u); ctx++)
						diffUpdateProbs(bd, ref[band][ctx]);
	}
}

/// 6.3.18 frame_reference_mode: compound prediction needs references of both sign biases.
uint8_t readFrameReferenceMode(BoolDecoder &bd, const FrameHeader &h)
{
	const unsigned last = h.refFrameSignBias & V4L2_VP9_SIGN_BIAS_LAST ? 1 : 0;
	const unsigned golden = h.refFrameSignBias & V4L2_VP9_SIGN_BIAS_GOLDEN ? 1 : 0;
	const unsigned alt = h.refFrameSignBias & V4L2_VP9_SIGN_BIAS_ALT ? 1 : 0;
	if (golden == last && alt == last)
		return V4L2_VP9_REFERENCE_MODE_SINGLE_REFERENCE;
	if (!bd.literal(1))	// non_single_reference
		return V4L2_VP9_REFERENCE_MODE_SINGLE_REFERENCE;
	return bd.literal(1) ? V4L2_VP9_REFERENCE_MODE_SELECT
			     : V4L2_VP9_REFERENCE_MODE_COMPOUND_REFERENCE;
}

void readFrameReferenceModeProbs(BoolDecoder &bd, uint8_t mode,
				 struct v4l2_ctrl_vp9_compressed_hdr &c)
{
	if (mode == V4L2_VP9_REFERENCE_MODE_SELECT)
		diffUpdateProbs(bd, c.comp_mode);
	if (mode != V4L2_VP9_REFERENCE_MODE_COMPOUND_REFERENCE)
		for (auto &p : c.single_ref)
			diffUpdateProbs(bd, p);
	if (mode != V4L2_VP9_REFERENCE_MODE_SINGLE_REFERENCE)
		diffUpdateProbs(bd, c.comp_ref);
}

/// 6.3.17 mv_probs: note the order, sign/classes/class0/bits per component first.
void readMvProbs(BoolDecoder &bd, bool highPrecision, struct v4l2_vp9_mv_probs &mv)
{
	for (uint8_t &p : mv.joint)
		p = updateMvProb(bd);
	for (unsigned i = 0; i < 2; i++) {
		mv.sign[i] = updateMvProb(bd);
		for (uint8_t &p : mv.classes[i])
			p = updateMvProb(bd);
		mv.class0_bit[i] = updateMvProb(bd);
		for (uint8_t &p : mv.bits[i])
			p = updateMvProb(bd);
	}
	for (unsigned i = 0; i < 2; i++) {
		for (auto &fr : mv.class0_fr[i])
			for (uint8_t &p : fr)
				p = updateMvProb(bd);
		for (uint8_t &p : mv.fr[i])
			p = updateMvProb(bd);
	}
	if (!highPrecision)
		return;
	for (unsigned i = 0; i < 2; i++) {
		mv.class0_hp[i] = updateMvProb(bd);
		mv.hp[i] = updateMvProb(bd);
	}
}

} // namespace

ParseStatus parseUncompressedHeader(const uint8_t *data, size_t size, PersistentState *state,
				    const FrameSize *refSizeOverride, FrameHeader *out)
{
	FrameHeader &h = *out;
	h = FrameHeader{};
	PersistentState &s = *state;
	BitReader br(data, size);

	if (br.f(2) != 2)	// frame_marker
		return failure(br);
	const uint32_t profileLow = br.f(1);
	h.profile = static_cast<uint8_t>((br.f(1) << 1) | profileLow);
	if (h.profile == 3 && br.flag())	// reserved_zero
		return failure(br);
	h.showExistingFrame = br.flag();
	if (h.showExistingFrame) {
		h.frameToShowMapIdx = static_cast<uint8_t>(br.f(3));
		if (br.overrun())
			return ParseStatus::Truncated;
		h.uncompressedHeaderSize = static_cast<uint32_t>((br.position() + 7) / 8);
		return ParseStatus::Ok;
	}
	h.keyFrame = !br.flag();	// frame_type: KEY_FRAME = 0
	h.showFrame = br.flag();
	h.errorResilient = br.flag();
	if (h.keyFrame) {
		if (!readSyncCode(br) || !readColorConfig(br, h))
			return failure(br);
		readFrameSize(br, h);
		readRenderSize(br, h);
		h.refreshFrameFlags = 0xff;
	} else {
		h.intraOnly = h.showFrame ? false : br.flag();
		h.resetFrameContext = h.errorResilient ? 0 : static_cast<uint8_t>(br.f(2));
		if (h.intraOnly) {
			if (!readSyncCode(br))
				return failure(br);
			if (h.profile > 0) {
				if (!readColorConfig(br, h))
					return failure(br);
			} else {
				// Profile 0 intra-only frames imply 8-bit BT.601 4:2:0 (as libvpx).
				h.colorCoded = true;
				h.bitDepth = 8;
				h.colorSpace = kCsBt601;
				h.colorRangeFull = false;
				h.subsamplingX = h.subsamplingY = true;
			}
			h.refreshFrameFlags = static_cast<uint8_t>(br.f(8));
			readFrameSize(br, h);
			readRenderSize(br, h);
		} else {
			h.refreshFrameFlags = static_cast<uint8_t>(br.f(8));
			for (unsigned i = 0; i < kRefsPerFrame; i++) {
				h.refFrameIdx[i] = static_cast<uint8_t>(br.f(3));
				if (br.flag())
					h.refFrameSignBias |= 1u << i;	// SIGN_BIAS_LAST << i
			}
			if (!readFrameSizeWithRefs(br, s, refSizeOverride, h))
				return failure(br);
			h.allowHighPrecisionMv = br.flag();
			h.interpolationFilter = readInterpolationFilter(br);
			if (s.colorKnown) {
				h.bitDepth = s.bitDepth;
				h.colorSpace = s.colorSpace;
				h.colorRangeFull = s.colorRangeFull;
				h.subsamplingX = s.subsamplingX;
				h.subsamplingY = s.subsamplingY;
			}
		}
	}
	if (!h.errorResilient) {
		h.refreshFrameContext = br.flag();
		h.frameParallelDecodingMode = br.flag();
	} else {
		h.frameParallelDecodingMode = true;
	}
	h.frameContextIdx = static_cast<uint8_t>(br.f(2));
	if (h.frameIsIntra() || h.errorResilient)
		setupPastIndependence(&s);
	readLoopFilterParams(br, s, h);
	h.baseQIdx = static_cast<uint8_t>(br.f(8));
	h.deltaQYDc = readDeltaQ(br);
	h.deltaQUvDc = readDeltaQ(br);
	h.deltaQUvAc = readDeltaQ(br);
	h.lossless = h.baseQIdx == 0 && h.deltaQYDc == 0 && h.deltaQUvDc == 0 && h.deltaQUvAc == 0;
	readSegmentationParams(br, s, h);
	if (!readTileInfo(br, h))
		return failure(br);
	h.compressedHeaderSize = static_cast<uint16_t>(br.f(16));
	if (br.overrun())
		return ParseStatus::Truncated;
	if (h.compressedHeaderSize == 0)	// conformance: the compressed header is never empty
		return ParseStatus::Invalid;
	h.uncompressedHeaderSize = static_cast<uint32_t>((br.position() + 7) / 8);

	if (h.colorCoded) {
		s.colorKnown = true;
		s.bitDepth = h.bitDepth;
		s.colorSpace = h.colorSpace;
		s.colorRangeFull = h.colorRangeFull;
		s.subsamplingX = h.subsamplingX;
		s.subsamplingY = h.subsamplingY;
	}
	for (unsigned i = 0; i < kNumRefFrames; i++) {
		if (h.refreshFrameFlags & (1u << i)) {
			s.refWidth[i] = h.width;
			s.refHeight[i] = h.height;
		}
	}
	return ParseStatus::Ok;
}

ParseStatus parseCompressedHeader(const uint8_t *data, size_t size, const FrameHeader &hdr,
				  struct v4l2_ctrl_vp9_compressed_hdr *out,
				  CompressedHeaderInfo *info)
{
	struct v4l2_ctrl_vp9_compressed_hdr &c = *out;
	c = {};
	*info = CompressedHeaderInfo{};
	if (size == 0)
		return ParseStatus::Truncated;
	BoolDecoder bd(data, size);
	if (bd.invalid())
		return ParseStatus::Invalid;

	// 6.3.1 read_tx_mode
	if (hdr.lossless) {
		c.tx_mode = V4L2_VP9_TX_MODE_ONLY_4X4;
	} else {
		c.tx_mode = static_cast<uint8_t>(bd.literal(2));
		if (c.tx_mode == V4L2_VP9_TX_MODE_ALLOW_32X32)
			c.tx_mode = static_cast<uint8_t>(c.tx_mode + bd.literal(1));
	}
	if (c.tx_mode == V4L2_VP9_TX_MODE_SELECT)
		readTxModeProbs(bd, c);
	readCoefProbs(bd, c);
	diffUpdateProbs(bd, c.skip);
	if (!hdr.frameIsIntra()) {
		for (auto &p : c.inter_mode)
			diffUpdateProbs(bd, p);
		if (hdr.interpolationFilter == V4L2_VP9_INTERP_FILTER_SWITCHABLE)
			for (auto &p : c.interp_filter)
				diffUpdateProbs(bd, p);
		diffUpdateProbs(bd, c.is_inter);
		info->referenceMode = readFrameReferenceMode(bd, hdr);
		readFrameReferenceModeProbs(bd, info->referenceMode, c);
		for (auto &p : c.y_mode)
			diffUpdateProbs(bd, p);
		for (auto &p : c.partition)
			diffUpdateProbs(bd, p);
		readMvProbs(bd, hdr.allowHighPrecisionMv, c.mv);
	}
	if (bd.overrun())
		return ParseStatus::Truncated;
	info->paddingZero = bd.paddingZero();
	return ParseStatus::Ok;
}

bool hasSuperframeIndex(const uint8_t *data, size_t size)
{
	if (size == 0)
		return false;
	const uint8_t marker = data[size - 1];
	if ((marker & 0xe0) != 0xc0)
		return false;
	const size_t frames = (marker & 7) + 1;
	const size_t bytesPerSize = ((marker >> 3) & 3) + 1;
	const size_t indexSize = 2 + bytesPerSize * frames;
	return size >= indexSize && data[size - indexSize] == marker;
}

} // namespace v4l2va::vp9
