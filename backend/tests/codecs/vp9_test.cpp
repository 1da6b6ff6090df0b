// SPDX-License-Identifier: MIT
// The VP9 codec fed real libvpx-vp9 frames (vp9_test_frames.h) the way ffmpeg's vaapi_vp9.c
// fills the VA buffers: picture parameters, one slice parameter and the whole frame as slice
// data. The controls are checked against the frames' own headers, the OUTPUT bytes against the
// frame, and every control goes through the emulator's copy of the kernel validation.
#include "codecs/registry.h"
#include "vp9_test_frames.h"

#include <gtest/gtest.h>

#include <va/va.h>
#include <va/va_dec_vp9.h>

#include <cstdlib>
#include <map>
#include <vector>

namespace v4l2emu {
int validateCompoundElement(uint32_t type, void *elem);	// emulator/src/codecs/codec.h
}

namespace v4l2va {
namespace {

using namespace vp9_frames;

/// A BitstreamSink over a fixed buffer: one unit, nothing past its capacity.
class FixedSink final : public BitstreamSink {
public:
	explicit FixedSink(size_t capacity = 4096) : buffer_(capacity) {}
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

/// MSB-first bit writer for synthetic uncompressed headers.
class BitWriter {
public:
	void put(uint32_t value, unsigned bits)
	{
		for (unsigned i = bits; i-- > 0;) {
			if (count_ % 8 == 0)
				bytes_.push_back(0);
			if ((value >> i) & 1)
				bytes_.back() |= static_cast<uint8_t>(0x80 >> (count_ % 8));
			count_++;
		}
	}
	void su(int value, unsigned bits)
	{
		put(static_cast<uint32_t>(std::abs(value)), bits);
		put(value < 0, 1);
	}
	const std::vector<uint8_t> &bytes() const { return bytes_; }

private:
	std::vector<uint8_t> bytes_;
	size_t count_ = 0;
};

/// An intra frame written field by field: kKeyFrame's header with other loop filter values,
/// or an intra-only frame of the same size. Quantizer, tiling and frame type keep kKeyFrame's
/// compressed header valid after it.
struct IntraFrame {
	bool intraOnly = false;
	uint8_t resetFrameContext = 0;	///< as coded (intra-only frames)
	int8_t ref[4] = {1, 0, -1, -1};
	int8_t mode[2] = {0, 0};
};

std::vector<uint8_t> intraFrame(const IntraFrame &s)
{
	BitWriter w;
	w.put(2, 2);			// frame_marker
	w.put(0, 2);			// profile 0
	w.put(0, 1);			// show_existing_frame
	w.put(s.intraOnly, 1);		// frame_type: KEY_FRAME (0) or NON_KEY
	w.put(!s.intraOnly, 1);		// show_frame (intra_only is coded for hidden frames)
	w.put(0, 1);			// error_resilient_mode
	if (s.intraOnly) {
		w.put(1, 1);		// intra_only
		w.put(s.resetFrameContext, 2);
		w.put(0x498342, 24);	// frame_sync_code; profile 0 codes no colour config
		w.put(0x05, 8);		// refresh_frame_flags
	} else {
		w.put(0x498342, 24);
		w.put(0, 3);		// color_space
		w.put(0, 1);		// color_range
	}
	w.put(511, 16);
	w.put(63, 16);
	w.put(0, 1);			// render_and_frame_size_different
	w.put(1, 1);			// refresh_frame_context
	w.put(1, 1);			// frame_parallel_decoding_mode
	w.put(2, 2);			// frame_context_idx
	w.put(9, 6);			// loop_filter_level
	w.put(2, 3);			// loop_filter_sharpness
	w.put(1, 1);			// loop_filter_delta_enabled
	w.put(1, 1);			// loop_filter_delta_update
	for (int8_t d : s.ref) {
		w.put(1, 1);
		w.su(d, 6);
	}
	for (int8_t d : s.mode) {
		w.put(1, 1);
		w.su(d, 6);
	}
	w.put(10, 8);			// base_q_idx, as kKeyFrame (not lossless)
	w.put(0, 3);			// no delta_q
	w.put(0, 1);			// segmentation_enabled
	w.put(1, 1);			// increment_tile_cols_log2 (512 wide: at most 1)
	w.put(0, 1);			// tile_rows_log2
	w.put(97, 16);			// header_size_in_bytes
	std::vector<uint8_t> frame = w.bytes();
	frame.insert(frame.end(), kKeyFrame + 18, kKeyFrame + sizeof(kKeyFrame));
	return frame;
}

DeviceCaps vp9Caps(bool compressedHeader = true)
{
	DeviceCaps caps;
	caps.captureFormats = {V4L2_PIX_FMT_NV12};
	caps.controls = {V4L2_CID_STATELESS_VP9_FRAME};
	if (compressedHeader)
		caps.controls.push_back(V4L2_CID_STATELESS_VP9_COMPRESSED_HDR);
	return caps;
}

VADecPictureParameterBufferVP9 pictureFor(uint8_t profile = 0, uint8_t bitDepth = 8)
{
	VADecPictureParameterBufferVP9 pic = {};
	pic.frame_width = 512;
	pic.frame_height = 64;
	for (unsigned i = 0; i < 8; i++)
		pic.reference_frames[i] = 10 + i;
	pic.pic_fields.bits.subsampling_x = 1;
	pic.pic_fields.bits.subsampling_y = 1;
	pic.profile = profile;
	pic.bit_depth = bitDepth;
	return pic;
}

template<typename T> BufferView view(VABufferType type, const T &value)
{
	return {type, reinterpret_cast<const uint8_t *>(&value), sizeof(T), 1};
}

BufferView dataView(const uint8_t *p, size_t n)
{
	return {VASliceDataBufferType, p, static_cast<uint32_t>(n), 1};
}

/// One VA picture: what came out of it.
struct Decoded {
	VAStatus status = VA_STATUS_SUCCESS;
	SequenceInfo sequence;
	struct v4l2_ctrl_vp9_frame frame = {};
	struct v4l2_ctrl_vp9_compressed_hdr probs = {};
	unsigned controls = 0;
	std::vector<uint8_t> output;
};

class Vp9Context {
public:
	explicit Vp9Context(const DeviceCaps &caps = vp9Caps())
	{
		const CodecDescriptor *codec = codecForProfile(VAProfileVP9Profile0);
		EXPECT_NE(codec, nullptr);
		state_ = codec->create(VAProfileVP9Profile0, caps, 512, 64);
	}

	/// BeginPicture, PicParam, SliceParam + SliceData, EndPicture, the unit's controls
	/// (validated like the kernel) and, if all succeeded, pictureSubmitted().
	Decoded decode(const uint8_t *frame, size_t size,
		       const VADecPictureParameterBufferVP9 &pic = pictureFor(),
		       uint64_t target = 99000, bool submit = true)
	{
		Decoded d;
		FixedSink sink;
		state_->beginPicture();
		VASliceParameterBufferVP9 slice = {};
		slice.slice_data_size = static_cast<uint32_t>(size);
		slice.slice_data_flag = VA_SLICE_DATA_FLAG_ALL;
		for (const BufferView &b : {view(VAPictureParameterBufferType, pic),
					   view(VASliceParameterBufferType, slice),
					   dataView(frame, size)}) {
			d.status = state_->render(b, sink);
			if (d.status != VA_STATUS_SUCCESS)
				return d;
		}
		d.output = sink.bytes();
		d.status = state_->endPicture(&d.sequence);
		if (d.status != VA_STATUS_SUCCESS)
			return d;
		UnitControls unit;
		d.status = state_->unitControls(0, resolver, target, &unit);
		if (d.status != VA_STATUS_SUCCESS)
			return d;
		d.controls = unit.count;
		for (uint32_t i = 0; i < unit.count; i++) {
			const v4l2_ext_control &c = unit.controls[i];
			if (c.id == V4L2_CID_STATELESS_VP9_FRAME) {
				EXPECT_EQ(c.size, sizeof(d.frame));
				memcpy(&d.frame, c.ptr, sizeof(d.frame));
				auto copy = d.frame;
				EXPECT_EQ(v4l2emu::validateCompoundElement(V4L2_CTRL_TYPE_VP9_FRAME,
									   &copy), 0);
				// Nothing to sanitise: reserved fields are zero.
				EXPECT_EQ(memcmp(&copy, &d.frame, sizeof(copy)), 0);
			} else if (c.id == V4L2_CID_STATELESS_VP9_COMPRESSED_HDR) {
				EXPECT_EQ(c.size, sizeof(d.probs));
				memcpy(&d.probs, c.ptr, sizeof(d.probs));
				EXPECT_EQ(v4l2emu::validateCompoundElement(
						  V4L2_CTRL_TYPE_VP9_COMPRESSED_HDR, &d.probs),
					  0);
			} else {
				ADD_FAILURE() << "unexpected control " << c.id;
			}
		}
		if (submit)
			state_->pictureSubmitted();
		return d;
	}
	template<size_t N> Decoded decode(const uint8_t (&frame)[N])
	{
		return decode(frame, N);
	}
	Decoded decode(const std::vector<uint8_t> &frame, bool submit = true)
	{
		return decode(frame.data(), frame.size(), pictureFor(), 99000, submit);
	}

	CodecState &state() { return *state_; }
	MapResolver resolver;

private:
	std::unique_ptr<CodecState> state_;
};

TEST(Vp9Codec, Descriptor)
{
	const CodecDescriptor *codec = codecForProfile(VAProfileVP9Profile2);
	ASSERT_NE(codec, nullptr);
	EXPECT_STREQ(codec->name, "vp9");
	EXPECT_EQ(codec->codedFourcc, V4L2_PIX_FMT_VP9_FRAME);
	EXPECT_EQ(codecForProfile(VAProfileVP9Profile0), codec);
	EXPECT_EQ(codecForProfile(VAProfileVP9Profile1), nullptr);
	DeviceCaps caps = vp9Caps();
	EXPECT_TRUE(codec->profileSupported(VAProfileVP9Profile0, caps));
	EXPECT_FALSE(codec->profileSupported(VAProfileVP9Profile2, caps));
	caps.captureFormats.push_back(V4L2_PIX_FMT_P010);
	EXPECT_TRUE(codec->profileSupported(VAProfileVP9Profile2, caps));
	caps.captureFormats = {V4L2_PIX_FMT_NV12, v4l2_fourcc('N', 'V', '1', '5')};
	EXPECT_TRUE(codec->profileSupported(VAProfileVP9Profile2, caps));
	EXPECT_GE(codec->outputBufferSize(176, 144), 1u << 20);
	EXPECT_GE(codec->outputBufferSize(3840, 2160), 3840u * 2160 / 2);
}

TEST(Vp9Codec, KeyFrameControls)
{
	Vp9Context ctx;
	Decoded d = ctx.decode(kKeyFrame);
	ASSERT_EQ(d.status, VA_STATUS_SUCCESS);
	EXPECT_EQ(d.output, std::vector<uint8_t>(kKeyFrame, kKeyFrame + sizeof(kKeyFrame)));
	EXPECT_EQ(d.sequence, (SequenceInfo{512, 64, 8, 1}));
	EXPECT_EQ(d.controls, 2u);
	const struct v4l2_ctrl_vp9_frame &f = d.frame;
	EXPECT_EQ(f.flags, V4L2_VP9_FRAME_FLAG_KEY_FRAME | V4L2_VP9_FRAME_FLAG_SHOW_FRAME |
				   V4L2_VP9_FRAME_FLAG_REFRESH_FRAME_CTX |
				   V4L2_VP9_FRAME_FLAG_PARALLEL_DEC_MODE |
				   V4L2_VP9_FRAME_FLAG_X_SUBSAMPLING |
				   V4L2_VP9_FRAME_FLAG_Y_SUBSAMPLING);
	EXPECT_EQ(f.frame_width_minus_1, 511);
	EXPECT_EQ(f.frame_height_minus_1, 63);
	EXPECT_EQ(f.render_width_minus_1, 511);
	EXPECT_EQ(f.uncompressed_header_size, 18);
	EXPECT_EQ(f.compressed_header_size, 97);
	EXPECT_EQ(f.quant.base_q_idx, 10);
	EXPECT_EQ(f.lf.flags, V4L2_VP9_LOOP_FILTER_FLAG_DELTA_ENABLED |
				      V4L2_VP9_LOOP_FILTER_FLAG_DELTA_UPDATE);
	EXPECT_EQ(f.lf.ref_deltas[0], 1);
	EXPECT_EQ(f.lf.ref_deltas[3], -1);
	EXPECT_EQ(f.tile_cols_log2, 1);
	EXPECT_EQ(f.profile, 0);
	EXPECT_EQ(f.bit_depth, 8);
	EXPECT_EQ(f.last_frame_ts, 0u);	// intra: no references
	EXPECT_EQ(d.probs.tx_mode, V4L2_VP9_TX_MODE_SELECT);
	EXPECT_EQ(d.probs.coef[2][1][0][1][5][0], 202);

	// Before the CAPTURE format is chosen: the frame control alone, for its bit depth.
	UnitControls seq;
	ctx.state().sequenceControls(&seq);
	ASSERT_EQ(seq.count, 1u);
	EXPECT_EQ(seq.controls[0].id, V4L2_CID_STATELESS_VP9_FRAME);

	// A device without the compressed-header control (hantro) gets the frame control only.
	Vp9Context hantro(vp9Caps(false));
	EXPECT_EQ(hantro.decode(kKeyFrame).controls, 1u);
}

TEST(Vp9Codec, ReferenceTimestampsAndHiddenFrames)
{
	Vp9Context ctx;
	ASSERT_EQ(ctx.decode(kKeyFrame).status, VA_STATUS_SUCCESS);
	ctx.resolver.decoded = {{10, 1000}, {11, 2000}, {12, 3000}};
	Decoded hidden = ctx.decode(kHiddenFrame);
	ASSERT_EQ(hidden.status, VA_STATUS_SUCCESS);
	EXPECT_FALSE(hidden.frame.flags & V4L2_VP9_FRAME_FLAG_SHOW_FRAME);
	EXPECT_EQ(hidden.frame.frame_context_idx, 1);
	EXPECT_EQ(hidden.frame.last_frame_ts, 1000u);
	EXPECT_EQ(hidden.frame.golden_frame_ts, 2000u);
	EXPECT_EQ(hidden.frame.alt_frame_ts, 3000u);
	EXPECT_EQ(hidden.probs.inter_mode[5][1], 189);

	// Slot 2 (the alt-ref) unknown to the resolver: the target's own timestamp stands in.
	ctx.resolver.decoded.erase(12);
	Decoded d = ctx.decode(kCompoundFrame, sizeof(kCompoundFrame), pictureFor(), 77000);
	ASSERT_EQ(d.status, VA_STATUS_SUCCESS);
	EXPECT_EQ(d.frame.last_frame_ts, 1000u);
	EXPECT_EQ(d.frame.golden_frame_ts, 2000u);
	EXPECT_EQ(d.frame.alt_frame_ts, 77000u);
	EXPECT_EQ(d.frame.reference_mode, V4L2_VP9_REFERENCE_MODE_SELECT);
	EXPECT_EQ(d.frame.ref_frame_sign_bias, V4L2_VP9_SIGN_BIAS_ALT);
	EXPECT_EQ(d.frame.interpolation_filter, V4L2_VP9_INTERP_FILTER_EIGHTTAP_SMOOTH);
	EXPECT_EQ(d.frame.flags, V4L2_VP9_FRAME_FLAG_SHOW_FRAME |
					 V4L2_VP9_FRAME_FLAG_ALLOW_HIGH_PREC_MV |
					 V4L2_VP9_FRAME_FLAG_REFRESH_FRAME_CTX |
					 V4L2_VP9_FRAME_FLAG_PARALLEL_DEC_MODE |
					 V4L2_VP9_FRAME_FLAG_X_SUBSAMPLING |
					 V4L2_VP9_FRAME_FLAG_Y_SUBSAMPLING);
	EXPECT_EQ(d.frame.quant.base_q_idx, 45);
	EXPECT_EQ(d.frame.lf.level, 4);
	EXPECT_EQ(d.frame.lf.flags, V4L2_VP9_LOOP_FILTER_FLAG_DELTA_ENABLED);
	EXPECT_EQ(d.probs.mv.hp[1], 1);
}

TEST(Vp9Codec, LoopFilterDeltasPersistUntilReset)
{
	Vp9Context ctx;
	IntraFrame coded;
	const int8_t kCoded[6] = {2, -3, 5, -7, 4, -6};
	std::copy(kCoded, kCoded + 4, coded.ref);
	std::copy(kCoded + 4, kCoded + 6, coded.mode);
	Decoded key = ctx.decode(intraFrame(coded));
	ASSERT_EQ(key.status, VA_STATUS_SUCCESS);
	EXPECT_EQ(key.frame.lf.level, 9);
	EXPECT_EQ(key.frame.lf.sharpness, 2);
	EXPECT_EQ(key.frame.frame_context_idx, 2);	// as coded; the kernel zeroes it
	auto expectDeltas = [](const Decoded &d, const int8_t (&v)[6]) {
		ASSERT_EQ(d.status, VA_STATUS_SUCCESS);
		for (unsigned i = 0; i < 4; i++)
			EXPECT_EQ(d.frame.lf.ref_deltas[i], v[i]) << i;
		for (unsigned i = 0; i < 2; i++)
			EXPECT_EQ(d.frame.lf.mode_deltas[i], v[4 + i]) << i;
	};
	expectDeltas(key, kCoded);
	// kCompoundFrame codes delta_enabled without an update: the key frame's values carry.
	expectDeltas(ctx.decode(kCompoundFrame), kCoded);

	// A picture that fails (no picture parameters) or is never submitted changes nothing.
	IntraFrame nines;
	std::fill(nines.ref, nines.ref + 4, 9);
	std::fill(nines.mode, nines.mode + 2, 9);
	auto other = intraFrame(nines);
	ctx.state().beginPicture();
	FixedSink sink;
	SequenceInfo seq;
	ASSERT_EQ(ctx.state().render(dataView(other.data(), other.size()), sink),
		  VA_STATUS_SUCCESS);
	EXPECT_EQ(ctx.state().endPicture(&seq), VA_STATUS_ERROR_INVALID_PARAMETER);
	ASSERT_EQ(ctx.decode(other, false).status, VA_STATUS_SUCCESS);
	expectDeltas(ctx.decode(kCompoundFrame), kCoded);

	// A key frame resets them (setup_past_independence) before its own updates.
	const int8_t kDefaults[6] = {1, 0, -1, -1, 0, 0};
	expectDeltas(ctx.decode(kKeyFrame), kDefaults);
	expectDeltas(ctx.decode(kCompoundFrame), kDefaults);
}

TEST(Vp9Codec, IntraOnlyFrames)
{
	Vp9Context ctx;
	ASSERT_EQ(ctx.decode(kKeyFrame).status, VA_STATUS_SUCCESS);
	ctx.resolver.decoded = {{10, 1000}, {11, 2000}, {12, 3000}};
	// reset_frame_context as coded -> V4L2 (ffmpeg: resetctx - 1; 0 and 1 do not reset).
	const uint8_t kV4l2Reset[4] = {V4L2_VP9_RESET_FRAME_CTX_NONE, V4L2_VP9_RESET_FRAME_CTX_NONE,
				       V4L2_VP9_RESET_FRAME_CTX_SPEC, V4L2_VP9_RESET_FRAME_CTX_ALL};
	for (uint8_t coded = 0; coded < 4; coded++) {
		IntraFrame s;
		s.intraOnly = true;
		s.resetFrameContext = coded;
		s.ref[1] = 7;
		Decoded d = ctx.decode(intraFrame(s));
		ASSERT_EQ(d.status, VA_STATUS_SUCCESS);
		EXPECT_EQ(d.frame.flags, V4L2_VP9_FRAME_FLAG_INTRA_ONLY |
						 V4L2_VP9_FRAME_FLAG_REFRESH_FRAME_CTX |
						 V4L2_VP9_FRAME_FLAG_PARALLEL_DEC_MODE |
						 V4L2_VP9_FRAME_FLAG_X_SUBSAMPLING |
						 V4L2_VP9_FRAME_FLAG_Y_SUBSAMPLING);
		EXPECT_EQ(d.frame.reset_frame_context, kV4l2Reset[coded]);
		EXPECT_EQ(d.frame.last_frame_ts, 0u);	// intra: references unused
		EXPECT_EQ(d.frame.bit_depth, 8);
		EXPECT_EQ(d.frame.lf.ref_deltas[1], 7);
		EXPECT_EQ(d.probs.tx_mode, V4L2_VP9_TX_MODE_SELECT);
		EXPECT_EQ(d.sequence, (SequenceInfo{512, 64, 8, 1}));
	}
}

TEST(Vp9Codec, SegmentationPersists)
{
	Vp9Context ctx;
	Decoded key = ctx.decode(kSegKeyFrame);
	ASSERT_EQ(key.status, VA_STATUS_SUCCESS);
	const struct v4l2_vp9_segmentation &s = key.frame.seg;
	EXPECT_EQ(s.flags, V4L2_VP9_SEGMENTATION_FLAG_ENABLED |
				   V4L2_VP9_SEGMENTATION_FLAG_UPDATE_MAP |
				   V4L2_VP9_SEGMENTATION_FLAG_UPDATE_DATA);
	const uint8_t kTree[7] = {118, 255, 255, 255, 128, 255, 128};
	EXPECT_EQ(memcmp(s.tree_probs, kTree, sizeof(kTree)), 0);
	EXPECT_EQ(s.pred_probs[0], 255);
	const int16_t kAltQ[8] = {-24, -20, -13, 0, 14, 0, 0, 0};
	for (unsigned i = 0; i < 8; i++) {
		EXPECT_EQ(s.feature_data[i][V4L2_VP9_SEG_LVL_ALT_Q], kAltQ[i]) << i;
		EXPECT_EQ(s.feature_enabled[i],
			  kAltQ[i] ? V4L2_VP9_SEGMENT_FEATURE_ENABLED(V4L2_VP9_SEG_LVL_ALT_Q) : 0)
			<< i;
	}
	EXPECT_EQ(key.frame.quant.base_q_idx, 33);

	Decoded inter = ctx.decode(kSegInterFrame);
	ASSERT_EQ(inter.status, VA_STATUS_SUCCESS);
	EXPECT_EQ(inter.frame.seg.flags, V4L2_VP9_SEGMENTATION_FLAG_ENABLED);
	EXPECT_EQ(memcmp(inter.frame.seg.feature_data, s.feature_data, sizeof(s.feature_data)), 0);
	EXPECT_EQ(memcmp(inter.frame.seg.feature_enabled, s.feature_enabled,
			 sizeof(s.feature_enabled)),
		  0);
	EXPECT_EQ(memcmp(inter.frame.seg.tree_probs, kTree, sizeof(kTree)), 0);
	EXPECT_EQ(inter.frame.quant.base_q_idx, 74);
	EXPECT_EQ(inter.frame.interpolation_filter, V4L2_VP9_INTERP_FILTER_SWITCHABLE);

	// A temporal map update codes prediction probabilities; new data replaces the old.
	Decoded temporal = ctx.decode(kSegTemporalFrame);
	ASSERT_EQ(temporal.status, VA_STATUS_SUCCESS);
	const struct v4l2_vp9_segmentation &t = temporal.frame.seg;
	EXPECT_EQ(t.flags, V4L2_VP9_SEGMENTATION_FLAG_ENABLED |
				   V4L2_VP9_SEGMENTATION_FLAG_UPDATE_MAP |
				   V4L2_VP9_SEGMENTATION_FLAG_TEMPORAL_UPDATE |
				   V4L2_VP9_SEGMENTATION_FLAG_UPDATE_DATA);
	const uint8_t kTree2[7] = {128, 250, 255, 220, 255, 255, 128};
	const uint8_t kPred[3] = {211, 146, 26};
	EXPECT_EQ(memcmp(t.tree_probs, kTree2, sizeof(kTree2)), 0);
	EXPECT_EQ(memcmp(t.pred_probs, kPred, sizeof(kPred)), 0);
	const int16_t kAltQ2[8] = {-13, -6, -1, 0, 4, 0, 0, 0};
	for (unsigned i = 0; i < 8; i++)
		EXPECT_EQ(t.feature_data[i][V4L2_VP9_SEG_LVL_ALT_Q], kAltQ2[i]) << i;
	EXPECT_EQ(temporal.frame.uncompressed_header_size, 28);
	EXPECT_EQ(temporal.frame.compressed_header_size, 14);
}

TEST(Vp9Codec, Profile2)
{
	Vp9Context ctx;
	Decoded d = ctx.decode(kTenBitKeyFrame, sizeof(kTenBitKeyFrame), pictureFor(2, 10));
	ASSERT_EQ(d.status, VA_STATUS_SUCCESS);
	EXPECT_EQ(d.frame.profile, 2);
	EXPECT_EQ(d.frame.bit_depth, 10);
	EXPECT_EQ(d.sequence, (SequenceInfo{512, 64, 10, 1}));
	EXPECT_EQ(d.frame.compressed_header_size, 75);
}

TEST(Vp9Codec, InterFrameFirstTakesColourFromVa)
{
	Vp9Context ctx;
	Decoded d = ctx.decode(kCompoundFrame);	// found_ref size from the VA frame size
	ASSERT_EQ(d.status, VA_STATUS_SUCCESS);
	EXPECT_EQ(d.sequence, (SequenceInfo{512, 64, 8, 1}));
	EXPECT_EQ(ctx.decode(kCompoundFrame, sizeof(kCompoundFrame), pictureFor(0, 10)).status,
		  VA_STATUS_ERROR_INVALID_PARAMETER);	// profile 0 is 8-bit
}

TEST(Vp9Codec, SliceDataOffset)
{
	Vp9Context ctx;
	std::vector<uint8_t> buffer(7, 0xee);
	buffer.insert(buffer.end(), kKeyFrame, kKeyFrame + sizeof(kKeyFrame));
	buffer.resize(buffer.size() + 5, 0xee);
	VADecPictureParameterBufferVP9 pic = pictureFor();
	VASliceParameterBufferVP9 slice = {};
	slice.slice_data_offset = 7;
	slice.slice_data_size = sizeof(kKeyFrame);
	slice.slice_data_flag = VA_SLICE_DATA_FLAG_ALL;
	FixedSink sink;
	ctx.state().beginPicture();
	ASSERT_EQ(ctx.state().render(view(VAPictureParameterBufferType, pic), sink),
		  VA_STATUS_SUCCESS);
	ASSERT_EQ(ctx.state().render(view(VASliceParameterBufferType, slice), sink),
		  VA_STATUS_SUCCESS);
	ASSERT_EQ(ctx.state().render(dataView(buffer.data(), buffer.size()), sink),
		  VA_STATUS_SUCCESS);
	EXPECT_EQ(sink.bytes(), std::vector<uint8_t>(kKeyFrame, kKeyFrame + sizeof(kKeyFrame)));
	SequenceInfo seq;
	EXPECT_EQ(ctx.state().endPicture(&seq), VA_STATUS_SUCCESS);

	// Offset or size past the buffer.
	ctx.state().beginPicture();
	FixedSink none;
	slice.slice_data_size = static_cast<uint32_t>(buffer.size());
	ASSERT_EQ(ctx.state().render(view(VASliceParameterBufferType, slice), none),
		  VA_STATUS_SUCCESS);
	EXPECT_EQ(ctx.state().render(dataView(buffer.data(), buffer.size()), none),
		  VA_STATUS_ERROR_INVALID_PARAMETER);
	EXPECT_EQ(none.unitSize(), 0u);
}

TEST(Vp9Codec, BadInputLeavesStateAlone)
{
	Vp9Context ctx;
	CodecState &state = ctx.state();
	FixedSink sink;
	SequenceInfo seq;
	const VADecPictureParameterBufferVP9 pic = pictureFor();

	state.beginPicture();
	EXPECT_EQ(state.endPicture(&seq), VA_STATUS_ERROR_INVALID_PARAMETER);	// nothing
	ASSERT_EQ(state.render(view(VAPictureParameterBufferType, pic), sink), VA_STATUS_SUCCESS);
	EXPECT_EQ(state.endPicture(&seq), VA_STATUS_ERROR_INVALID_PARAMETER);	// no slice data
	UnitControls unit;
	EXPECT_NE(state.unitControls(0, ctx.resolver, 1, &unit), VA_STATUS_SUCCESS);
	BufferView shortPic = view(VAPictureParameterBufferType, pic);
	shortPic.elementSize -= 4;
	EXPECT_EQ(state.render(shortPic, sink), VA_STATUS_ERROR_INVALID_BUFFER);
	VASliceParameterBufferVP9 partial = {};
	partial.slice_data_flag = VA_SLICE_DATA_FLAG_BEGIN;
	EXPECT_EQ(state.render(view(VASliceParameterBufferType, partial), sink),
		  VA_STATUS_ERROR_INVALID_PARAMETER);
	EXPECT_EQ(state.render(dataView(nullptr, 0), sink), VA_STATUS_ERROR_INVALID_BUFFER);

	std::vector<uint8_t> superframe(kStillFrame, kStillFrame + sizeof(kStillFrame));
	superframe.insert(superframe.end(), {0xc0, sizeof(kStillFrame), 0xc0});
	const uint8_t kShowExisting[] = {0x8a};	// frame_marker, profile 0, show slot 2
	std::vector<uint8_t> corrupt(kKeyFrame, kKeyFrame + sizeof(kKeyFrame));
	corrupt[18] = 0xff;	// compressed header marker bit
	struct Case {
		std::vector<uint8_t> frame;
		VAStatus render, end;
	} cases[] = {
		{{kKeyFrame, kKeyFrame + 10}, VA_STATUS_ERROR_INVALID_BUFFER, 0},
		{{kKeyFrame, kKeyFrame + 60}, VA_STATUS_ERROR_INVALID_BUFFER, 0},   // header > data
		{{kKeyFrame, kKeyFrame + 115}, VA_STATUS_ERROR_INVALID_BUFFER, 0},  // no tile data
		{{0x42, 0x00, 0x00, 0x00}, VA_STATUS_ERROR_INVALID_PARAMETER, 0},  // frame marker
		{corrupt, VA_STATUS_ERROR_INVALID_PARAMETER, 0},
		{superframe, VA_STATUS_ERROR_INVALID_PARAMETER, 0},
		{{kShowExisting, kShowExisting + 1}, VA_STATUS_SUCCESS,
		 VA_STATUS_ERROR_INVALID_PARAMETER},
	};
	for (const Case &c : cases) {
		FixedSink out;
		state.beginPicture();
		ASSERT_EQ(state.render(view(VAPictureParameterBufferType, pic), out),
			  VA_STATUS_SUCCESS);
		EXPECT_EQ(state.render(dataView(c.frame.data(), c.frame.size()), out), c.render)
			<< c.frame.size();
		EXPECT_EQ(out.unitSize(), 0u);
		EXPECT_EQ(state.endPicture(&seq),
			  c.render ? VA_STATUS_ERROR_INVALID_PARAMETER : c.end);
	}

	// The OUTPUT buffer too small, then a second frame in one picture.
	FixedSink tiny(64);
	state.beginPicture();
	EXPECT_EQ(state.render(dataView(kKeyFrame, sizeof(kKeyFrame)), tiny),
		  VA_STATUS_ERROR_NOT_ENOUGH_BUFFER);
	EXPECT_EQ(tiny.unitSize(), 0u);
	FixedSink big;
	ASSERT_EQ(state.render(dataView(kKeyFrame, sizeof(kKeyFrame)), big), VA_STATUS_SUCCESS);
	EXPECT_EQ(state.render(dataView(kKeyFrame, sizeof(kKeyFrame)), big),
		  VA_STATUS_ERROR_INVALID_PARAMETER);
	ASSERT_EQ(state.render(view(VAPictureParameterBufferType, pic), big), VA_STATUS_SUCCESS);
	ASSERT_EQ(state.endPicture(&seq), VA_STATUS_SUCCESS);
	EXPECT_EQ(state.unitControls(1, ctx.resolver, 1, &unit), VA_STATUS_ERROR_INVALID_PARAMETER);

	// Nothing above was submitted: an inter frame still finds no colour config or slot sizes
	// of its own and takes the VA values; the deltas are the defaults.
	Decoded d = ctx.decode(kCompoundFrame);
	ASSERT_EQ(d.status, VA_STATUS_SUCCESS);
	EXPECT_EQ(d.frame.lf.ref_deltas[0], 1);
}

} // namespace
} // namespace v4l2va
