// SPDX-License-Identifier: MIT
#pragma once

// Consumer call patterns (shared/spec/consumer-patterns.md) played through the VA driver
// in-process on an emulated fresnel board whose seam is traced (V4L2EMU_TRACE): the source of
// corpus/traces/consumer/. Small on purpose (176x144, a few pictures) so the corpus stays small
// and its replay fast.

#include <string>
#include <vector>

namespace v4l2va::test {

struct ConsumerScript {
	const char *name;	///< "ffmpeg-5.1", "ffmpeg-7.1", "gstreamer-va", "chromium", "mpv", "kodi",
				///< "gstreamer-vaapi", "libva-utils"
	const char *description;
	const char *scheduler;	///< the emulator scheduler the recording runs with
	/// The codecs it is recorded for (empty: every codec of consumerCodecs()).
	std::vector<std::string> codecs = {};
};

/// mpeg2 and h264 (synthetic pictures), hevc, vp8 and vp9 (the recorded LIBVA_TRACE runs).
const std::vector<std::string> &consumerCodecs();

const std::vector<ConsumerScript> &consumerScripts();

/// Runs `script` for `codec` (one of consumerCodecs()) with the board's seam logged to traceSpec
/// (V4L2EMU_TRACE syntax). Returns false with a message if any VA call failed or the board
/// reported a diagnostic.
bool recordConsumer(const std::string &script, const std::string &codec, const std::string &traceSpec,
		    std::string *error);

} // namespace v4l2va::test
