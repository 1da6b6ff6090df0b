// SPDX-License-Identifier: MIT
#pragma once

// The VASurfaceID fields inside the codecs' parameter structs (current picture, references).
// The VA driver hands out new IDs every run, so fuzz inputs and seeds store a surface by its
// handle (the order in which the input created it) and the target rewrites handles to IDs
// before the buffer reaches the driver; the seed recorder does the reverse.

#include "va_buffers.h"

#include <va/va.h>
#include <va/va_dec_hevc.h>
#include <va/va_dec_vp8.h>
#include <va/va_dec_vp9.h>

#include <cstddef>
#include <cstring>

namespace v4l2va::fuzz {

/// Calls f(VASurfaceID &) for every surface field of the buffer's elements (structs the
/// codec expects, whole elements only).
template<typename F>
void forEachSurfaceField(CodecFamily codec, VABufferType type, uint8_t *data, uint32_t elementSize,
			 uint32_t numElements, F &&f)
{
	auto field = [&](uint8_t *elem, size_t offset) {
		VASurfaceID id;
		memcpy(&id, elem + offset, sizeof(id));
		f(id);
		memcpy(elem + offset, &id, sizeof(id));
	};
	for (uint32_t e = 0; data && e < numElements; e++) {
		uint8_t *p = data + static_cast<size_t>(e) * elementSize;
		switch (codec) {
		case CodecFamily::H264:
			if (type == VAPictureParameterBufferType && elementSize >= sizeof(VAPictureParameterBufferH264)) {
				field(p, offsetof(VAPictureParameterBufferH264, CurrPic.picture_id));
				for (size_t i = 0; i < 16; i++)
					field(p, offsetof(VAPictureParameterBufferH264, ReferenceFrames) +
							 i * sizeof(VAPictureH264) + offsetof(VAPictureH264, picture_id));
			} else if (type == VASliceParameterBufferType &&
				   elementSize >= sizeof(VASliceParameterBufferH264)) {
				for (size_t i = 0; i < 32; i++) {
					field(p, offsetof(VASliceParameterBufferH264, RefPicList0) +
							 i * sizeof(VAPictureH264) + offsetof(VAPictureH264, picture_id));
					field(p, offsetof(VASliceParameterBufferH264, RefPicList1) +
							 i * sizeof(VAPictureH264) + offsetof(VAPictureH264, picture_id));
				}
			}
			break;
		case CodecFamily::Hevc:
			if (type == VAPictureParameterBufferType && elementSize >= sizeof(VAPictureParameterBufferHEVC)) {
				field(p, offsetof(VAPictureParameterBufferHEVC, CurrPic.picture_id));
				for (size_t i = 0; i < 15; i++)
					field(p, offsetof(VAPictureParameterBufferHEVC, ReferenceFrames) +
							 i * sizeof(VAPictureHEVC) + offsetof(VAPictureHEVC, picture_id));
			}
			break;
		case CodecFamily::Mpeg2:
			if (type == VAPictureParameterBufferType && elementSize >= sizeof(VAPictureParameterBufferMPEG2)) {
				field(p, offsetof(VAPictureParameterBufferMPEG2, forward_reference_picture));
				field(p, offsetof(VAPictureParameterBufferMPEG2, backward_reference_picture));
			}
			break;
		case CodecFamily::Vp8:
			if (type == VAPictureParameterBufferType && elementSize >= sizeof(VAPictureParameterBufferVP8)) {
				field(p, offsetof(VAPictureParameterBufferVP8, last_ref_frame));
				field(p, offsetof(VAPictureParameterBufferVP8, golden_ref_frame));
				field(p, offsetof(VAPictureParameterBufferVP8, alt_ref_frame));
				field(p, offsetof(VAPictureParameterBufferVP8, out_of_loop_frame));
			}
			break;
		case CodecFamily::Vp9:
			if (type == VAPictureParameterBufferType && elementSize >= sizeof(VADecPictureParameterBufferVP9))
				for (size_t i = 0; i < 8; i++)
					field(p, offsetof(VADecPictureParameterBufferVP9, reference_frames) +
							 i * sizeof(VASurfaceID));
			break;
		case CodecFamily::Other:
			return;
		}
	}
}

/// Surface handles are small numbers; anything else (VA_INVALID_SURFACE, a raw ID) is kept.
constexpr VASurfaceID kMaxSurfaceHandle = 64;

} // namespace v4l2va::fuzz
