// SPDX-License-Identifier: MIT
#pragma once

// What the VA path is compared with: the same pictures as the driver would submit them, made
// once by the driver's own codec code (so the bitstream bytes and control payloads are the
// ones the driver produces), and a decoder driven directly with the driver's per-frame ioctl
// sequence through its typed wrappers (M2MContext, RequestPool), without the VA layer.

#include "codecs/codec.h"
#include "frame_source.h"
#include "v4l2/decoder_finder.h"
#include "v4l2/m2m_context.h"
#include "v4l2/request_pool.h"

#include <va/va.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace v4l2va::bench {

/// Controls with their payloads copied out of the codec state (8-byte aligned storage).
struct ControlSet {
	std::vector<uint64_t> payload;
	UnitControls controls;

	ControlSet() = default;
	ControlSet(ControlSet &&) = default;	// the payload's heap block moves with it
	ControlSet &operator=(ControlSet &&) = default;
	ControlSet(const ControlSet &) = delete;
	ControlSet &operator=(const ControlSet &) = delete;
	void assign(const UnitControls &from);
};

/// One picture of the cycle: the VA buffers a consumer renders, and what the driver makes of
/// them (one decode unit).
struct Picture {
	test::PictureBuffers va;
	uint32_t targetIndex = 0;	///< surface (and CAPTURE buffer) index
	std::vector<uint8_t> bitstream;
	ControlSet unit;
};

struct PictureCycle {
	std::vector<Picture> pictures;
	ControlSet sequenceControls;	///< set without a request before choosing CAPTURE
	SequenceInfo sequence;
};

/// Pictures 0..count-1 of `source` into surfaces[n % surfaces.size()] (each referencing the
/// previous one), run through a fresh state of `codec` as the driver's EndPicture would
/// (render, endPicture, sequenceControls for the first, unitControls, pictureSubmitted).
/// Surface i's CAPTURE buffer is index i. Returns false with *error on failure.
bool makePictureCycle(const CodecDescriptor &codec, VAProfile profile, const DeviceCaps &caps,
		      test::FrameSource &source, const std::vector<VASurfaceID> &surfaces,
		      unsigned count, PictureCycle *cycle, std::string *error);

/// A decoder opened and fed directly.
class DirectPath {
public:
	DirectPath() = default;
	~DirectPath();
	DirectPath(const DirectPath &) = delete;
	DirectPath &operator=(const DirectPath &) = delete;

	/// The driver's setup, in the same order: S_FMT(OUTPUT), REQBUFS(OUTPUT) + mmap, requests,
	/// the sequence controls, S_FMT(CAPTURE) to NV12, STREAMON(OUTPUT), then CREATE_BUFS of
	/// `captures` buffers + mmap and STREAMON(CAPTURE). 0 or -errno.
	int setup(v4l2emu::DeviceIo &io, const DecoderNode &node, const CodecDescriptor &codec,
		  uint32_t width, uint32_t height, const PictureCycle &cycle, unsigned captures);
	/// One frame, exactly the driver's steady-state sequence: bitstream into OUTPUT buffer 0,
	/// (REINIT,) S_EXT_CTRLS, QBUF(OUTPUT), QBUF(CAPTURE), REQUEST_QUEUE, poll(POLLPRI),
	/// DQBUF(OUTPUT), DQBUF(CAPTURE). 0, -EIO for a decode error, or -errno.
	int frame(const Picture &picture);

private:
	v4l2emu::DeviceIo *io_ = nullptr;
	std::unique_ptr<M2MContext> m2m_;
	std::unique_ptr<RequestPool> requests_;
	std::vector<std::pair<void *, size_t>> captureMaps_;
	uint32_t capturePlanes_ = 1;
};

} // namespace v4l2va::bench
