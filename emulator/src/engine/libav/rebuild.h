// SPDX-License-Identifier: MIT
#pragma once

// The libavcodec engine's per-codec half: from exactly what the hardware receives (OUTPUT
// format, the codec's current controls, the queued bitstream) rebuild the packet FFmpeg's
// software decoder takes. One file per codec, each registering one Rebuilder with
// V4L2EMU_REGISTER_REBUILDER; the engine looks entries up by CodecOps::name and never
// switches on codecs.
//
// No silent repair: a rebuilder writes what the controls say, so controls that would make
// hardware decode wrongly make the software decode wrong too. It fails (-EINVAL + reason) only
// when the inputs cannot be expressed as a bitstream at all.

#include "engine/engine.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace v4l2emu::libav {

/// Per decode stream (one m2m context) state of a rebuilder, e.g. the parameter sets last
/// emitted, so a rebuilder can repeat them only when they change.
class RebuildState {
public:
	virtual ~RebuildState() = default;
};

struct Rebuilder {
	const char *codec = "";		///< CodecOps::name ("h264", "hevc", "mpeg2", "vp8", "vp9")
	int avCodecId = 0;		///< enum AVCodecID of FFmpeg's software decoder
	/// State for a new stream; may return nullptr when the codec keeps none.
	std::unique_ptr<RebuildState> (*createState)() = nullptr;
	/// Appends to packet (handed in empty, capacity kept between jobs) the bytes of this job.
	/// 0, or -EINVAL with *why set to a static string naming what cannot be expressed, or 1
	/// with *why set when the packet is fine but the references the controls name are not the
	/// ones the software decoder will predict from (the bitstream cannot say "use that
	/// picture"): the engine decodes it and then corrupts the picture, as the hardware's
	/// prediction from other pictures would be wrong too.
	int (*rebuild)(RebuildState *state, const DecodeJob &job, std::vector<uint8_t> &packet,
		       const char **why) = nullptr;
	/// Optional: adjusts the AVCodecContext (passed as void *, an AVCodecContext *) before
	/// avcodec_open2, e.g. flags2 |= AV_CODEC_FLAG2_CHUNKS for pictures split over several
	/// jobs. The engine has already set thread_count 1, get_buffer2 and opaque.
	void (*configureDecoder)(void *avCodecContext) = nullptr;
};

/// Registry (constant-initialised, filled by the registrars before main).
void registerRebuilder(const Rebuilder *rebuilder);
const Rebuilder *findRebuilder(const char *codec);

struct RebuilderRegistrar {
	explicit RebuilderRegistrar(const Rebuilder *rebuilder) { registerRebuilder(rebuilder); }
};

#define V4L2EMU_REGISTER_REBUILDER(entry) \
	static const ::v4l2emu::libav::RebuilderRegistrar entry##_registrar { &(entry) }

} // namespace v4l2emu::libav
