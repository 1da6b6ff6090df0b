// SPDX-License-Identifier: MIT
// VP9: VA picture parameters + the whole frame -> V4L2_CID_STATELESS_VP9_FRAME (and
// V4L2_CID_STATELESS_VP9_COMPRESSED_HDR where the device registers it, as rkvdec does).
//
// VA-API leaves out much of what V4L2 wants (loop filter and quantizer deltas, reset and
// reference modes, the compressed header), but both VA consumers pass the whole frame as slice
// data (ffmpeg vaapi_vp9.c, GStreamer gstvavp9dec.c), so the codec parses the frame's headers
// itself (vp9_headers.h) and takes from VA only the surfaces of the reference slots. The
// mapping follows GStreamer's gst_v4l2_codec_vp9_dec_fill_dec_params and ffmpeg's
// v4l2_request_vp9.c:fill_frame.
#include "registry.h"
#include "vp9_headers.h"

#include <va/va_dec_vp9.h>

#ifndef V4L2_PIX_FMT_NV15	// newer than the vendored 6.12 headers (mainline rkvdec)
#define V4L2_PIX_FMT_NV15 v4l2_fourcc('N', 'V', '1', '5')
#endif

namespace v4l2va {

namespace {

class Vp9State final : public CodecState {
public:
	explicit Vp9State(const DeviceCaps &caps)
		: sendCompressedHeader_(caps.hasControl(V4L2_CID_STATELESS_VP9_COMPRESSED_HDR))
	{
	}

	void beginPicture() override
	{
		havePicture_ = false;
		haveSliceParams_ = false;
		haveFrame_ = false;
		ready_ = false;
	}

	VAStatus render(const BufferView &buffer, BitstreamSink &bitstream) override
	{
		switch (buffer.type) {
		case VAPictureParameterBufferType: {
			auto *pic = buffer.element<VADecPictureParameterBufferVP9>();
			if (!pic)
				return VA_STATUS_ERROR_INVALID_BUFFER;
			picture_ = *pic;
			havePicture_ = true;
			return VA_STATUS_SUCCESS;
		}
		case VASliceParameterBufferType: {
			auto *slice = buffer.element<VASliceParameterBufferVP9>();
			if (!slice)
				return VA_STATUS_ERROR_INVALID_BUFFER;
			if (slice->slice_data_flag != VA_SLICE_DATA_FLAG_ALL)
				return VA_STATUS_ERROR_INVALID_PARAMETER;	// partial frames
			sliceOffset_ = slice->slice_data_offset;
			sliceSize_ = slice->slice_data_size;
			haveSliceParams_ = true;
			return VA_STATUS_SUCCESS;
		}
		case VASliceDataBufferType:
			return renderFrame(buffer, bitstream);
		default:
			return VA_STATUS_SUCCESS;
		}
	}

	VAStatus endPicture(SequenceInfo *sequence) override
	{
		if (!havePicture_ || !haveFrame_)
			return VA_STATUS_ERROR_INVALID_PARAMETER;
		// show_existing_frame has nothing to decode: ffmpeg (vp9.c:vp9_decode_frame) and
		// GStreamer output the reference themselves and never submit one.
		if (header_.showExistingFrame)
			return VA_STATUS_ERROR_INVALID_PARAMETER;

		const vp9::FrameHeader &h = header_;
		uint8_t bitDepth = h.bitDepth;
		bool subsamplingX = h.subsamplingX, subsamplingY = h.subsamplingY;
		if (!pending_.colorKnown) {
			// An inter frame before any intra frame in this context: ask the consumer.
			bitDepth = picture_.bit_depth;
			subsamplingX = picture_.pic_fields.bits.subsampling_x;
			subsamplingY = picture_.pic_fields.bits.subsampling_y;
		}
		if (h.profile != 0 && h.profile != 2)
			return VA_STATUS_ERROR_UNSUPPORTED_PROFILE;	// 4:2:2 / 4:4:4 not served
		if ((h.profile == 0 && bitDepth != 8) ||
		    (h.profile == 2 && bitDepth != 10 && bitDepth != 12) || !subsamplingX ||
		    !subsamplingY)
			return VA_STATUS_ERROR_INVALID_PARAMETER;

		fillFrame(bitDepth);
		sequence->codedWidth = h.width;
		sequence->codedHeight = h.height;
		sequence->bitDepth = bitDepth;
		sequence->chromaFormatIdc = 1;
		ready_ = true;
		return VA_STATUS_SUCCESS;
	}

	VAStatus unitControls(unsigned unit, const ReferenceResolver &refs,
			      uint64_t targetTimestampNs, UnitControls *out) override
	{
		if (!ready_)
			return VA_STATUS_ERROR_OPERATION_FAILED;
		if (unit != 0)
			return VA_STATUS_ERROR_INVALID_PARAMETER;	// one frame, one request
		if (out->count + 2 > kMaxControls)
			return VA_STATUS_ERROR_MAX_NUM_EXCEEDED;
		if (!header_.frameIsIntra()) {
			frame_.last_frame_ts =
				referenceTimestamp(refs, header_.refFrameIdx[0], targetTimestampNs);
			frame_.golden_frame_ts =
				referenceTimestamp(refs, header_.refFrameIdx[1], targetTimestampNs);
			frame_.alt_frame_ts =
				referenceTimestamp(refs, header_.refFrameIdx[2], targetTimestampNs);
		}
		out->add(V4L2_CID_STATELESS_VP9_FRAME, &frame_, sizeof(frame_));
		if (sendCompressedHeader_)
			out->add(V4L2_CID_STATELESS_VP9_COMPRESSED_HDR, &compressed_,
				 sizeof(compressed_));
		return VA_STATUS_SUCCESS;
	}

	/// The frame control tells hantro the bit depth before the CAPTURE format is chosen
	/// (ffmpeg v4l2_request_vp9_init sets it the same way).
	void sequenceControls(UnitControls *out) override
	{
		if (ready_ && out->count < kMaxControls)
			out->add(V4L2_CID_STATELESS_VP9_FRAME, &frame_, sizeof(frame_));
	}

	/// Loop filter deltas, segmentation, colour config and reference sizes carry over only
	/// once the frame was queued.
	void pictureSubmitted() override
	{
		if (ready_)
			state_ = pending_;
	}

private:
	/// The slice data: the whole frame, uncompressed header included. Parses both headers
	/// (into scratch state), then copies the frame once into the OUTPUT buffer.
	VAStatus renderFrame(const BufferView &buffer, BitstreamSink &bitstream)
	{
		if (haveFrame_)
			return VA_STATUS_ERROR_INVALID_PARAMETER;	// one frame per picture
		if (!buffer.data || buffer.size() == 0)
			return VA_STATUS_ERROR_INVALID_BUFFER;
		size_t offset = 0, size = buffer.size();
		if (haveSliceParams_) {
			if (sliceOffset_ > size || sliceSize_ > size - sliceOffset_ || !sliceSize_)
				return VA_STATUS_ERROR_INVALID_PARAMETER;
			offset = sliceOffset_;
			size = sliceSize_;
		}
		const uint8_t *frame = buffer.data + offset;
		// Consumers split superframes (ffmpeg vp9_superframe_split, GStreamer vp9parse);
		// one request decodes one frame.
		if (vp9::hasSuperframeIndex(frame, size))
			return VA_STATUS_ERROR_INVALID_PARAMETER;

		pending_ = state_;
		vp9::FrameSize vaSize;
		const vp9::FrameSize *sizeHint = nullptr;
		if (havePicture_ && picture_.frame_width && picture_.frame_height) {
			vaSize.width = picture_.frame_width;
			vaSize.height = picture_.frame_height;
			sizeHint = &vaSize;
		}
		VAStatus status = toVaStatus(
			vp9::parseUncompressedHeader(frame, size, &pending_, sizeHint, &header_));
		if (status != VA_STATUS_SUCCESS)
			return status;
		if (header_.showExistingFrame) {
			haveFrame_ = true;	// refused by endPicture: there is nothing to decode
			return VA_STATUS_SUCCESS;
		}
		const size_t headersEnd =
			size_t{header_.uncompressedHeaderSize} + header_.compressedHeaderSize;
		if (headersEnd >= size)	// no room for the compressed header and tile data
			return VA_STATUS_ERROR_INVALID_BUFFER;
		const uint8_t *compressed = frame + header_.uncompressedHeaderSize;
		const size_t compressedSize = header_.compressedHeaderSize;
		vp9::CompressedHeaderInfo info;
		status = toVaStatus(vp9::parseCompressedHeader(compressed, compressedSize, header_,
								&compressed_, &info));
		if (status != VA_STATUS_SUCCESS)
			return status;
		referenceMode_ = info.referenceMode;
		if (!bitstream.append(frame, size))
			return VA_STATUS_ERROR_NOT_ENOUGH_BUFFER;
		haveFrame_ = true;
		return VA_STATUS_SUCCESS;
	}

	static VAStatus toVaStatus(vp9::ParseStatus s)
	{
		switch (s) {
		case vp9::ParseStatus::Ok:
			return VA_STATUS_SUCCESS;
		case vp9::ParseStatus::Truncated:
			return VA_STATUS_ERROR_INVALID_BUFFER;
		default:
			return VA_STATUS_ERROR_INVALID_PARAMETER;
		}
	}

	/// A reference slot's CAPTURE timestamp; the target's own when unknown (V4L2 needs a
	/// value, and the drivers fall back to the target buffer too).
	uint64_t referenceTimestamp(const ReferenceResolver &refs, unsigned slot,
				    uint64_t targetTimestampNs) const
	{
		uint64_t ts = 0;
		if (!refs.timestampOf(picture_.reference_frames[slot], &ts))
			ts = targetTimestampNs;
		return ts;
	}

	/// The frame control but its reference timestamps (unitControls() resolves those), as
	/// GStreamer's gst_v4l2_codec_vp9_dec_fill_dec_params.
	void fillFrame(uint8_t bitDepth)
	{
		const vp9::FrameHeader &h = header_;
		const vp9::PersistentState &s = pending_;
		struct v4l2_ctrl_vp9_frame &f = frame_;
		f = {};

		f.lf.level = h.lfLevel;
		f.lf.sharpness = h.lfSharpness;
		f.lf.flags = (h.lfDeltaEnabled ? V4L2_VP9_LOOP_FILTER_FLAG_DELTA_ENABLED : 0) |
			     (h.lfDeltaUpdate ? V4L2_VP9_LOOP_FILTER_FLAG_DELTA_UPDATE : 0);
		std::copy(std::begin(s.lfRefDeltas), std::end(s.lfRefDeltas), f.lf.ref_deltas);
		std::copy(std::begin(s.lfModeDeltas), std::end(s.lfModeDeltas), f.lf.mode_deltas);

		f.quant.base_q_idx = h.baseQIdx;
		f.quant.delta_q_y_dc = h.deltaQYDc;
		f.quant.delta_q_uv_dc = h.deltaQUvDc;
		f.quant.delta_q_uv_ac = h.deltaQUvAc;

		uint32_t segFlags = 0;
		if (h.segEnabled)
			segFlags |= V4L2_VP9_SEGMENTATION_FLAG_ENABLED;
		if (h.segUpdateMap)
			segFlags |= V4L2_VP9_SEGMENTATION_FLAG_UPDATE_MAP;
		if (h.segTemporalUpdate)
			segFlags |= V4L2_VP9_SEGMENTATION_FLAG_TEMPORAL_UPDATE;
		if (h.segUpdateData)
			segFlags |= V4L2_VP9_SEGMENTATION_FLAG_UPDATE_DATA;
		if (s.segAbsOrDeltaUpdate)	// persists like the data it qualifies
			segFlags |= V4L2_VP9_SEGMENTATION_FLAG_ABS_OR_DELTA_UPDATE;
		f.seg.flags = static_cast<uint8_t>(segFlags);
		memcpy(f.seg.feature_data, s.segFeatureData, sizeof(f.seg.feature_data));
		memcpy(f.seg.feature_enabled, s.segFeatureEnabled, sizeof(f.seg.feature_enabled));
		memcpy(f.seg.tree_probs, s.segTreeProbs, sizeof(f.seg.tree_probs));
		// Prediction probabilities only mean something with a temporal map update (ffmpeg).
		if (h.segTemporalUpdate)
			memcpy(f.seg.pred_probs, s.segPredProbs, sizeof(f.seg.pred_probs));
		else
			memset(f.seg.pred_probs, 255, sizeof(f.seg.pred_probs));

		// Profiles 0 and 2 are 4:2:0 (endPicture refuses others).
		f.flags = V4L2_VP9_FRAME_FLAG_X_SUBSAMPLING | V4L2_VP9_FRAME_FLAG_Y_SUBSAMPLING |
			  (h.keyFrame ? V4L2_VP9_FRAME_FLAG_KEY_FRAME : 0) |
			  (h.showFrame ? V4L2_VP9_FRAME_FLAG_SHOW_FRAME : 0) |
			  (h.errorResilient ? V4L2_VP9_FRAME_FLAG_ERROR_RESILIENT : 0) |
			  (h.intraOnly ? V4L2_VP9_FRAME_FLAG_INTRA_ONLY : 0) |
			  (h.allowHighPrecisionMv ? V4L2_VP9_FRAME_FLAG_ALLOW_HIGH_PREC_MV : 0) |
			  (h.refreshFrameContext ? V4L2_VP9_FRAME_FLAG_REFRESH_FRAME_CTX : 0) |
			  (h.frameParallelDecodingMode ? V4L2_VP9_FRAME_FLAG_PARALLEL_DEC_MODE
						       : 0) |
			  (h.colorRangeFull ? V4L2_VP9_FRAME_FLAG_COLOR_RANGE_FULL_SWING : 0);

		f.compressed_header_size = h.compressedHeaderSize;
		f.uncompressed_header_size = static_cast<uint16_t>(h.uncompressedHeaderSize);
		f.frame_width_minus_1 = static_cast<uint16_t>(h.width - 1);
		f.frame_height_minus_1 = static_cast<uint16_t>(h.height - 1);
		f.render_width_minus_1 = static_cast<uint16_t>(h.renderWidth - 1);
		f.render_height_minus_1 = static_cast<uint16_t>(h.renderHeight - 1);
		f.ref_frame_sign_bias = h.refFrameSignBias;
		// Coded 0/1 mean no reset, 2 this context, 3 all (ffmpeg: resetctx - 1).
		f.reset_frame_context = h.resetFrameContext >= 2
						? static_cast<uint8_t>(h.resetFrameContext - 1)
						: V4L2_VP9_RESET_FRAME_CTX_NONE;
		f.frame_context_idx = h.frameContextIdx;
		f.profile = h.profile;
		f.bit_depth = bitDepth;
		f.interpolation_filter = h.interpolationFilter;
		f.tile_cols_log2 = h.tileColsLog2;
		f.tile_rows_log2 = h.tileRowsLog2;
		f.reference_mode = referenceMode_;
	}

	const bool sendCompressedHeader_;

	// Per picture, reset by beginPicture().
	bool havePicture_ = false;
	bool haveSliceParams_ = false;
	bool haveFrame_ = false;
	bool ready_ = false;	///< endPicture() succeeded: frame_ / compressed_ are current
	VADecPictureParameterBufferVP9 picture_ = {};
	uint32_t sliceOffset_ = 0;
	uint32_t sliceSize_ = 0;
	vp9::FrameHeader header_;
	vp9::PersistentState pending_;	///< state_ after this frame, for pictureSubmitted()
	uint8_t referenceMode_ = V4L2_VP9_REFERENCE_MODE_SINGLE_REFERENCE;
	struct v4l2_ctrl_vp9_compressed_hdr compressed_ = {};
	struct v4l2_ctrl_vp9_frame frame_ = {};

	// Across pictures.
	vp9::PersistentState state_;
};

const VAProfile kVp9Profiles[] = {VAProfileVP9Profile0, VAProfileVP9Profile2};

/// Compressed frames rarely exceed the raw 4:2:0 size halved; at least 1 MiB (ffmpeg's
/// v4l2-request uses 3 MiB for every size).
uint32_t vp9OutputBufferSize(uint32_t width, uint32_t height)
{
	const uint64_t raw = uint64_t{width} * height * 3 / 2;
	return static_cast<uint32_t>(std::clamp<uint64_t>(raw / 2, 1u << 20, 1u << 30));
}

bool vp9ProfileSupported(VAProfile profile, const DeviceCaps &caps)
{
	if (profile == VAProfileVP9Profile2)
		return caps.canCapture(V4L2_PIX_FMT_NV15) || caps.canCapture(V4L2_PIX_FMT_P010);
	return profile == VAProfileVP9Profile0;
}

std::unique_ptr<CodecState> createVp9(VAProfile, const DeviceCaps &caps, uint32_t, uint32_t)
{
	return std::make_unique<Vp9State>(caps);
}

} // namespace

extern const CodecDescriptor kVp9Codec;
const CodecDescriptor kVp9Codec = {
	"vp9", V4L2_PIX_FMT_VP9_FRAME, kVp9Profiles, vp9OutputBufferSize, vp9ProfileSupported,
	createVp9,
};
V4L2VA_REGISTER_CODEC(kVp9Codec);

} // namespace v4l2va
