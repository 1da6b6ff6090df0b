// SPDX-License-Identifier: MIT
#pragma once

// Synthetic pictures for scripted consumer patterns: the VA buffers a consumer would render for
// picture n of a small stream (an intra picture, then predicted ones referencing the previous
// picture), with bitstreams whose headers are well formed so the driver's parsers accept them.
// The pixels are not real video: the emulator's synthetic engine only needs what the hardware
// receives to be consistent. Real streams are decoded by the libav tests.

#include <va/va.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace v4l2va::test {

struct VaBufferData {
	VABufferType type;
	uint32_t elementSize;
	uint32_t numElements;
	std::vector<uint8_t> bytes;
};

/// The buffers of one picture in consumer order: parameter buffers, then (slice parameter,
/// slice data) pairs.
struct PictureBuffers {
	std::vector<VaBufferData> params;
	std::vector<VaBufferData> slices;
};

class FrameSource {
public:
	virtual ~FrameSource() = default;
	virtual VAProfile profile() const = 0;
	virtual const char *name() const = 0;
	uint32_t width() const { return width_; }
	uint32_t height() const { return height_; }
	/// Picture n into `target`; `reference` is the target of picture n-1 (VA_INVALID_SURFACE
	/// for n = 0). Picture 0 (and every `gop`-th) is intra.
	virtual PictureBuffers picture(unsigned n, VASurfaceID target, VASurfaceID reference) = 0;
	/// Whether `surface` holds a picture that picture `next` or a later one references (a
	/// consumer does not decode into it yet). Synthetic sources reference only picture n-1.
	virtual bool stillReferenced(VASurfaceID surface, unsigned next) const
	{
		(void)surface;
		(void)next;
		return false;
	}

protected:
	FrameSource(uint32_t w, uint32_t h) : width_(w), height_(h) {}
	uint32_t width_, height_;
};

/// MPEG-2 Main, I then P pictures, one slice per macroblock row... (one slice per picture).
std::unique_ptr<FrameSource> makeMpeg2Source(uint32_t width, uint32_t height, unsigned gop = 8);
/// H.264 Constrained Baseline (CAVLC), IDR then P pictures, `slices` slices per picture.
std::unique_ptr<FrameSource> makeH264Source(uint32_t width, uint32_t height, unsigned gop = 8,
					    unsigned slices = 1);
/// By codec name: "mpeg2", "h264".
std::unique_ptr<FrameSource> makeSource(const std::string &codec, uint32_t width, uint32_t height);

} // namespace v4l2va::test
