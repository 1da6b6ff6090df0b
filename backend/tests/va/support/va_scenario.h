// SPDX-License-Identifier: MIT
#pragma once

// Scripted consumer steps over VaDriver: render a picture the way a given consumer does, and
// check a read-back picture against what the emulator decoded.

#include "frame_source.h"
#include "va_harness.h"

#include <cstdint>
#include <string>
#include <vector>

namespace v4l2va::test {

enum class RenderStyle {
	FFmpeg,		///< all buffers created before Begin; params in one Render, slices in another;
			///< every buffer destroyed right after End (vaapi_decode.c:ff_vaapi_decode_issue)
	GstreamerVaapi,	///< one Render per buffer; parameter buffers destroyed right after their
			///< Render, before End; slice buffers after End (gstvaapidecoder_objects.c)
	LibvaUtils,	///< one Render per buffer, all destroyed after Sync (mpeg2vldemo)
	OneCall,	///< Chromium: every buffer in one Render
};

/// Creates the picture's buffers, Begin/Render/End, destroys the buffers. Returns the first
/// failing status (buffers are destroyed whatever happens).
VAStatus decodePicture(VaDriver &drv, VAContextID context, FrameSource &source, unsigned n,
		       VASurfaceID target, VASurfaceID reference, RenderStyle style = RenderStyle::FFmpeg);

/// The signature of the decoded picture whose expected NV12 (width x height, tightly packed)
/// equals `nv12`, or 0 if none of the board's decoded frames matches. `allZero` set when the
/// luma is all zero.
uint64_t matchDecodedFrame(v4l2emu::Board &board, const std::vector<uint8_t> &nv12, uint32_t width,
			   uint32_t height, bool *allZero = nullptr);

/// Diagnostics of the board as one string per line, empty when there are none.
std::string diagnosticsText(v4l2emu::Board &board);

/// One driver instance per test, and the end-of-test check every consumer pattern makes.
class DriverSession {
protected:
	/// (Re)creates the driver with this environment; fails the test if it does not come up.
	void start(const DriverEnv &env);
	VaDriver &drv() { return *drv_; }
	const VADriverVTable &vt() { return drv_->vt(); }
	VADriverContextP ctx() { return drv_->ctx(); }
	v4l2emu::Board &board() { return *drv_->board(); }
	/// No diagnostics; after vaTerminate no fd, mapping, plane memory, context, request or
	/// buffer is left on the board.
	void expectNothingLeft();

	std::unique_ptr<VaDriver> drv_;
};

} // namespace v4l2va::test
