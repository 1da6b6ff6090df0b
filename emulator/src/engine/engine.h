// SPDX-License-Identifier: MIT
#pragma once

// Decode engines: produce the picture of one job from exactly what the hardware receives.

#include "codecs/codec.h"

#include <v4l2emu/board.h>

#include <linux/videodev2.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace v4l2emu {

struct ResolvedReference {
	const ReferenceClaim *claim = nullptr;
	/// Signature of the frame the reference resolved to, 0 if it did not resolve to a
	/// decoded frame (the hardware then reads whatever is there; see §8.17 fallbacks).
	uint64_t signature = 0;
};

struct DecodeJob {
	uint64_t jobNumber = 0;
	/// The decode stream (m2m context) the job belongs to: engines that keep decoder state
	/// between jobs (the libavcodec engine) key it by this; unique per device.
	uint64_t streamId = 0;
	uint64_t timestampNs = 0;	///< the OUTPUT buffer's timestamp (what references name)
	const CodecOps *codec = nullptr;	///< codec of the OUTPUT format (nullptr: none)
	const ControlReader *controls = nullptr;
	/// The controls of the OUTPUT codec are present and usable; false makes hardware
	/// decode garbage, which the engines model as an all-zero picture.
	bool controlsValid = false;
	/// The OUTPUT buffer carries V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF: later jobs (further slices
	/// or the second field) decode more of this picture into the same CAPTURE buffer.
	bool moreOfThePictureFollows = false;
	const uint8_t *bitstream = nullptr;
	size_t bitstreamSize = 0;
	uint32_t outputFourcc = 0;
	struct v4l2_pix_format_mplane captureFormat {};
	uint8_t *capture = nullptr;		///< plane 0 of the CAPTURE buffer
	size_t captureSize = 0;
	std::span<const ResolvedReference> references;
};

struct DecodeResult {
	bool error = false;		///< hardware error: both buffers complete with ERROR
	uint64_t signature = 0;		///< what identifies the picture written (0: all-zero)
	/// Why the engine failed the job or corrupted the picture (static or engine-owned text,
	/// valid until the next decode); nullptr when there is nothing to say. The device
	/// records it as an EngineError diagnostic.
	const char *diagnostic = nullptr;
};

class DecodeEngine {
public:
	virtual ~DecodeEngine() = default;
	virtual const char *name() const = 0;
	/// Decodes one job into job.capture. Must not allocate on the steady-state path (the
	/// libavcodec engine is the exception: libavcodec allocates per packet).
	virtual DecodeResult decode(const DecodeJob &job) = 0;
	/// The stream's context was released: state kept for it can go.
	virtual void endStream(uint64_t streamId) { (void)streamId; }
};

/// The synthetic engine: a deterministic non-zero picture whose signature hashes the codec,
/// the codec's current control values, the bitstream and the referenced frames' signatures.
std::unique_ptr<DecodeEngine> makeSyntheticEngine();

/// The engine of a board option (engine_factory.cpp). The libavcodec engine lives in
/// libv4l2emu_libav.so (built when libavcodec was found), loaded on first use from beside
/// libv4l2emu.so; engineAvailable says whether that worked (*why: what failed) and makeEngine
/// falls back to the synthetic engine when it did not (Board::create refuses that case first).
bool engineAvailable(EngineKind kind, std::string *why = nullptr);
std::unique_ptr<DecodeEngine> makeEngine(EngineKind kind);

/// The entry point libv4l2emu_libav.so exports (engine/libav/libav_engine.cpp).
extern "C" using MakeLibavEngineFn = DecodeEngine *();
#define V4L2EMU_LIBAV_ENTRY "v4l2emu_make_libav_engine"

} // namespace v4l2emu
