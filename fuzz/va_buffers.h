// SPDX-License-Identifier: MIT
#pragma once

// VA buffers from fuzz input, shared by the VA call-sequence target and the codec-state target.
// One buffer is
//   u8  type        < 200: one of the types the codecs handle (kBufferTypes), else u8: any
//                   VABufferType
//   u8  size mode   < 200: the element size the codec expects for (codec, type), and for
//                   slice data a u16 byte count; else a u16 element size
//   u8  elements    % 4 + 1 most of the time (slice parameters may hold several slices)
//   the element bytes (zeros past the end of the input)
// so that a seed made from a real stream (one VA buffer after another, as a consumer renders
// them) keeps its structure under mutation.

#include "byte_reader.h"
#include "known_findings.h"

#include <va/va.h>
#include <va/va_dec_hevc.h>
#include <va/va_dec_vp8.h>
#include <va/va_dec_vp9.h>

#include <cstdint>
#include <cstring>
#include <iterator>

namespace v4l2va::fuzz {

enum class CodecFamily : uint8_t { H264, Hevc, Mpeg2, Vp8, Vp9, Other };

inline CodecFamily familyOf(VAProfile p)
{
	switch (p) {
	case VAProfileH264ConstrainedBaseline:
	case VAProfileH264Main:
	case VAProfileH264High:
		return CodecFamily::H264;
	case VAProfileHEVCMain:
	case VAProfileHEVCMain10:
	case VAProfileHEVCMain12:
	case VAProfileHEVCMain422_10:
	case VAProfileHEVCMain422_12:
	case VAProfileHEVCMain444:
	case VAProfileHEVCMain444_10:
	case VAProfileHEVCMain444_12:
	case VAProfileHEVCSccMain:
	case VAProfileHEVCSccMain10:
	case VAProfileHEVCSccMain444:
	case VAProfileHEVCSccMain444_10:
		return CodecFamily::Hevc;
	case VAProfileMPEG2Simple:
	case VAProfileMPEG2Main:
		return CodecFamily::Mpeg2;
	case VAProfileVP8Version0_3:
		return CodecFamily::Vp8;
	case VAProfileVP9Profile0:
	case VAProfileVP9Profile1:
	case VAProfileVP9Profile2:
	case VAProfileVP9Profile3:
		return CodecFamily::Vp9;
	default:
		return CodecFamily::Other;
	}
}

inline constexpr VABufferType kBufferTypes[] = {
	VAPictureParameterBufferType, VAIQMatrixBufferType, VASliceParameterBufferType,
	VASliceDataBufferType, VAProbabilityBufferType, VAQMatrixBufferType,
	VAHuffmanTableBufferType, VASliceGroupMapBufferType,
};

/// The element size a codec expects in a buffer of `type` (0 when it takes none: slice data
/// and unknown types). `alternate` picks the extension struct where VA has one (HEVC).
inline uint32_t expectedElementSize(CodecFamily codec, VABufferType type, bool alternate)
{
	switch (codec) {
	case CodecFamily::H264:
		if (type == VAPictureParameterBufferType)
			return sizeof(VAPictureParameterBufferH264);
		if (type == VAIQMatrixBufferType)
			return sizeof(VAIQMatrixBufferH264);
		if (type == VASliceParameterBufferType)
			return sizeof(VASliceParameterBufferH264);
		break;
	case CodecFamily::Hevc:
		if (type == VAPictureParameterBufferType)
			return alternate ? sizeof(VAPictureParameterBufferHEVCExtension)
					 : sizeof(VAPictureParameterBufferHEVC);
		if (type == VAIQMatrixBufferType)
			return sizeof(VAIQMatrixBufferHEVC);
		if (type == VASliceParameterBufferType)
			return alternate ? sizeof(VASliceParameterBufferHEVCExtension)
					 : sizeof(VASliceParameterBufferHEVC);
		break;
	case CodecFamily::Mpeg2:
		if (type == VAPictureParameterBufferType)
			return sizeof(VAPictureParameterBufferMPEG2);
		if (type == VAIQMatrixBufferType)
			return sizeof(VAIQMatrixBufferMPEG2);
		if (type == VASliceParameterBufferType)
			return sizeof(VASliceParameterBufferMPEG2);
		break;
	case CodecFamily::Vp8:
		if (type == VAPictureParameterBufferType)
			return sizeof(VAPictureParameterBufferVP8);
		if (type == VAIQMatrixBufferType)
			return sizeof(VAIQMatrixBufferVP8);
		if (type == VAProbabilityBufferType)
			return sizeof(VAProbabilityDataBufferVP8);
		if (type == VASliceParameterBufferType)
			return sizeof(VASliceParameterBufferVP8);
		break;
	case CodecFamily::Vp9:
		if (type == VAPictureParameterBufferType)
			return sizeof(VADecPictureParameterBufferVP9);
		if (type == VASliceParameterBufferType)
			return sizeof(VASliceParameterBufferVP9);
		break;
	case CodecFamily::Other:
		break;
	}
	return 0;
}

/// One VA buffer read from the input; `data` points into the caller's arena.
struct FuzzBuffer {
	VABufferType type = VAPictureParameterBufferType;
	uint32_t elementSize = 0;
	uint32_t numElements = 0;
	const uint8_t *data = nullptr;
	size_t size() const { return static_cast<size_t>(elementSize) * numElements; }
};

/// Bytes for buffer contents; one per target (the largest buffer a seed holds is a slice's
/// data, a few kB; mutations may ask for up to 64 kB x 4).
class BufferArena {
public:
	static constexpr size_t kBytes = 1 << 20;
	void reset() { used_ = 0; }
	uint8_t *alloc(size_t n)
	{
		n = (n + 7) & ~size_t(7);
		if (n > kBytes - used_)
			return nullptr;
		uint8_t *p = bytes_ + used_;
		used_ += n;
		return p;
	}

private:
	alignas(16) uint8_t bytes_[kBytes];
	size_t used_ = 0;
};

/// Reads one buffer (see the top of the file). False when the arena is full.
inline bool readBuffer(ByteReader &in, CodecFamily codec, BufferArena &arena, FuzzBuffer *out)
{
	uint8_t t = in.u8();
	// Any other type within the enumeration (a value past it would be UB to load as one).
	out->type = t < 200 ? kBufferTypes[t % std::size(kBufferTypes)]
			    : static_cast<VABufferType>(in.below(VABufferTypeMax + 1));
	uint8_t mode = in.u8();
	uint32_t expected = expectedElementSize(codec, out->type, mode & 1);
	if (mode < 200 && expected) {
		out->elementSize = expected;
	} else {
		out->elementSize = in.u16();
	}
	uint8_t n = in.u8();
	out->numElements = n < 250 ? n % 4 + 1 : n - 250;	// 0..5 now and then
	if (out->type == VASliceDataBufferType && mode < 200)
		out->numElements = 1;
	uint8_t *p = arena.alloc(out->size());
	if (!p && out->size())
		return false;
	in.bytes(p, out->size());
	out->data = p;
	return true;
}

} // namespace v4l2va::fuzz
