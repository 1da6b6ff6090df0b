// SPDX-License-Identifier: MIT
#pragma once

// A codec of the VA driver is a table entry (nvidia-vaapi-driver's NVCodec): the VA profiles it
// serves, the V4L2 coded format it feeds, and a per-context state object that turns VA buffers
// into V4L2 controls and the OUTPUT bitstream. One file per codec registers one CodecDescriptor
// (registry.cpp lists them); the VA core never switches on codecs.
//
// Rules every codec follows:
// - render() copies what it needs at once: consumers destroy parameter buffers right after
//   vaRenderPicture / vaEndPicture (gstreamer-vaapi even before End).
// - Nothing on the per-picture path allocates: payloads live in the state object, sized at
//   creation; control arrays point into that storage.
// - Bad input (short buffers, out-of-range fields, slice data past the OUTPUT buffer) returns a
//   VA error status and leaves the state as it was before the call.

#include <linux/videodev2.h>
#include <va/va.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <vector>

namespace v4l2va {

/// A VA buffer as RenderPicture hands it to a codec: `numElements` elements of `elementSize`
/// bytes back to back (SliceParameter buffers may hold several slices).
struct BufferView {
	VABufferType type = VABufferTypeMax;
	const uint8_t *data = nullptr;
	uint32_t elementSize = 0;
	uint32_t numElements = 0;

	size_t size() const { return static_cast<size_t>(elementSize) * numElements; }
	/// Element i as T, or nullptr if the element is smaller than T (a truncated buffer) or
	/// the buffer's elements are not aligned for T (an element size that is not a multiple of
	/// alignof(T), which no consumer sends: reading through such a pointer is UB). Either
	/// holds for every element alike, so element(0) != nullptr vouches for all of them.
	template<typename T> const T *element(uint32_t i = 0) const
	{
		if (i >= numElements || elementSize < sizeof(T) || !alignedFor<T>())
			return nullptr;
		return reinterpret_cast<const T *>(data + static_cast<size_t>(i) * elementSize);
	}
	template<typename T> bool alignedFor() const
	{
		return reinterpret_cast<uintptr_t>(data) % alignof(T) == 0 &&
		       (numElements <= 1 || elementSize % alignof(T) == 0);
	}
};

/// Where the picture's bitstream goes: straight into the mapped OUTPUT buffer(s) of the
/// picture (no intermediate copy). Implemented by the VA core.
class BitstreamSink {
public:
	virtual ~BitstreamSink() = default;
	/// Space for n more bytes of the current decode unit, or nullptr if they do not fit in its
	/// OUTPUT buffer. Commit with commit(n) after writing.
	virtual uint8_t *reserve(size_t n) = 0;
	virtual void commit(size_t n) = 0;
	/// Bytes written to the current unit so far.
	virtual size_t unitSize() const = 0;
	/// Starts a new decode unit (slice-based decoding: one request per slice, the capture buffer
	/// held between them). The first unit exists from BeginPicture. Returns VA status
	/// (VA_STATUS_ERROR_MAX_NUM_EXCEEDED when no OUTPUT buffer can be had).
	virtual VAStatus newUnit() = 0;
	/// Number of units so far (>= 1).
	virtual unsigned unitCount() const = 0;

	/// Appends bytes; false (nothing written) if they do not fit.
	bool append(const void *p, size_t n)
	{
		uint8_t *dst = reserve(n);
		if (!dst)
			return false;
		if (n)
			memcpy(dst, p, n);
		commit(n);
		return true;
	}
};

/// What the decoder node offers for one coded format, probed once at driver initialisation
/// (S_FMT(OUTPUT) to the codec, then the queries below).
struct DeviceCaps {
	bool multiplanar = true;
	bool holdCaptureBuf = false;	///< OUTPUT queue has V4L2_BUF_CAP_SUPPORTS_M2M_HOLD_CAPTURE_BUF
	/// H.264 / HEVC: the V4L2_STATELESS_*_DECODE_MODE_* and *_START_CODE_* the driver
	/// accepts (their controls' default values; -1 if the driver has no such control).
	int32_t decodeMode = -1;
	int32_t startCode = -1;
	/// ENUM_FMT(CAPTURE) after S_FMT(OUTPUT), in the driver's order.
	std::vector<uint32_t> captureFormats;
	/// Every control id the node registers (QUERY_EXT_CTRL enumeration), sorted.
	std::vector<uint32_t> controls;
	/// Frame size limits of the coded format (ENUM_FRAMESIZES), 0 if unknown.
	uint32_t minWidth = 0, maxWidth = 0, minHeight = 0, maxHeight = 0;

	bool hasControl(uint32_t id) const
	{
		return std::binary_search(controls.begin(), controls.end(), id);
	}
	bool canCapture(uint32_t fourcc) const
	{
		return std::find(captureFormats.begin(), captureFormats.end(), fourcc) !=
		       captureFormats.end();
	}
};

/// Maps a VA surface named as a reference to the V4L2 timestamp of the CAPTURE buffer holding
/// its last decoded picture in this context's stream. Returns false for VA_INVALID_SURFACE, an
/// unknown surface or one that was never decoded in this stream (the codec then leaves the
/// reference out, or uses the target's own timestamp where V4L2 needs a value).
class ReferenceResolver {
public:
	virtual ~ReferenceResolver() = default;
	virtual bool timestampOf(VASurfaceID surface, uint64_t *timestampNs) const = 0;
};

/// The sequence a picture belongs to: what the CAPTURE format depends on. A change makes the
/// VA core move the context to a new m2m stream (old surfaces keep the old one).
struct SequenceInfo {
	uint32_t codedWidth = 0;
	uint32_t codedHeight = 0;
	uint8_t bitDepth = 8;		///< luma bit depth
	uint8_t chromaFormatIdc = 1;	///< 1 = 4:2:0, 2 = 4:2:2
	bool operator==(const SequenceInfo &) const = default;
};

/// Up to this many controls in one S_EXT_CTRLS.
constexpr unsigned kMaxControls = 8;

/// The controls of one decode unit (one request). `controls[i].ptr` points into the codec
/// state's storage, valid until the next beginPicture().
struct UnitControls {
	struct v4l2_ext_control controls[kMaxControls] = {};
	uint32_t count = 0;
	/// Adds a compound/array control whose payload is `size` bytes at p.
	void add(uint32_t id, void *p, uint32_t size)
	{
		struct v4l2_ext_control &c = controls[count++];
		c = {};
		c.id = id;
		c.size = size;
		c.ptr = p;
	}
};

class CodecState {
public:
	virtual ~CodecState() = default;
	/// vaBeginPicture: forget the previous picture's per-picture buffers.
	virtual void beginPicture() = 0;
	/// One buffer of vaRenderPicture. Parameter buffers are copied into the state; slice data
	/// goes into `bitstream` (with start codes / rebuilt headers as the device needs).
	/// Unknown buffer types return VA_STATUS_SUCCESS and are ignored (logged by the core).
	virtual VAStatus render(const BufferView &buffer, BitstreamSink &bitstream) = 0;
	/// vaEndPicture, step 1: checks that the picture is complete (picture parameters and at
	/// least one slice) and reports its sequence. The core uses the sequence to choose (or
	/// replace) the m2m stream and the CAPTURE buffer before step 2, so nothing here may depend
	/// on references or the target timestamp. Must not change state kept across pictures.
	virtual VAStatus endPicture(SequenceInfo *sequence) = 0;
	/// Step 2, once per decode unit (unit < BitstreamSink::unitCount()), after endPicture()
	/// succeeded: the controls of that request. `targetTimestampNs` names the CAPTURE buffer
	/// being decoded into; references resolve through `refs` (in the target's stream).
	/// Must not change state kept across pictures either (see pictureSubmitted()).
	virtual VAStatus unitControls(unsigned unit, const ReferenceResolver &refs,
				      uint64_t targetTimestampNs, UnitControls *out) = 0;
	/// The controls to set without a request before the CAPTURE format is chosen (the SPS, so the
	/// driver picks the capture format for the bit depth). May be empty.
	virtual void sequenceControls(UnitControls *out) = 0;
	/// Step 3: every unit was queued to the device. State kept across pictures (VP9 loop-filter
	/// and segmentation persistence, probability contexts, ...) is committed here and only
	/// here, so a picture that failed to submit leaves the codec as it was.
	virtual void pictureSubmitted() {}
};

struct CodecDescriptor {
	const char *name;			///< "h264", "hevc", "mpeg2", "vp8", "vp9"
	uint32_t codedFourcc;			///< V4L2_PIX_FMT_H264_SLICE, ...
	std::span<const VAProfile> profiles;	///< VA profiles served (device support permitting)
	/// OUTPUT buffer size for a coded size (sizeimage asked of S_FMT(OUTPUT)).
	uint32_t (*outputBufferSize)(uint32_t width, uint32_t height);
	/// Whether the profile needs a device capability beyond the coded format (e.g. HEVC Main10
	/// needs a 10-bit capture format). nullptr: the coded format suffices.
	bool (*profileSupported)(VAProfile profile, const DeviceCaps &caps);
	/// A state object for one VA context (width/height from vaCreateContext).
	std::unique_ptr<CodecState> (*create)(VAProfile profile, const DeviceCaps &caps,
					      uint32_t width, uint32_t height);
	/// The menu controls whose default values fill DeviceCaps::decodeMode / startCode
	/// (e.g. V4L2_CID_STATELESS_H264_DECODE_MODE / _START_CODE); 0 when the codec has none.
	uint32_t decodeModeControl = 0;
	uint32_t startCodeControl = 0;
};

/// Every codec (registry.cpp).
std::span<const CodecDescriptor *const> allCodecs();
/// The codec serving a VA profile, or nullptr.
const CodecDescriptor *codecForProfile(VAProfile profile);

} // namespace v4l2va
