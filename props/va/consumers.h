// SPDX-License-Identifier: MIT
#pragma once

// Generated consumer runs (shared/spec/consumer-patterns.md §2-§6): each consumer's VA call
// order, with the stream length, size, codec, readback method, downstream lag, threads,
// mid-stream resize and (for the fault properties) an emulator fault plan drawn by
// rapidcheck. A run's parameters print as one corpus line and parse back (corpus/props/
// va-consumer/), so a shrunk counterexample replays.

#include "va_run.h"

#include <rapidcheck.h>

#include <optional>
#include <string>

namespace props::va {

enum class Consumer : uint8_t {
	Ff51, ///< FFmpeg 5.1: fixed pool created before the context (§2.10 FF51-NORMAL)
	Ffm, ///< FFmpeg >= 7.1: 0-target context, dynamic pool (§2.10 FFM-NORMAL)
	Mpv, ///< mpv: VO probe of every image format with export, then native decode (§3)
	GstVa, ///< GStreamer va: context first, test surface, growing pool (§4)
	Chromium, ///< Chromium: 0-target context, surfaces exported at creation (§5)
	Kodi, ///< Kodi: export probes, one CreateSurfaces call for the pool (§6.1)
	GstVaapi, ///< gstreamer-vaapi: surfaces first, derive + buffer handle (§6.4)
	LibvaUtils, ///< mpeg2vldemo: one Render per buffer, teardown out of order (§6.3)
};
inline constexpr Consumer kConsumers[] = { Consumer::Ff51,     Consumer::Ffm,       Consumer::Mpv,
					   Consumer::GstVa,    Consumer::Chromium,  Consumer::Kodi,
					   Consumer::GstVaapi, Consumer::LibvaUtils };
const char *toString(Consumer c);

struct ConsumerParams {
	Consumer consumer = Consumer::Ff51;
	std::string codec = "mpeg2"; ///< "mpeg2" (hantro) or "h264" (rkvdec)
	uint32_t width = 176, height = 144;
	unsigned frames = 4;
	Readback readback = Readback::GetImage;
	bool readerThread = false; ///< readback and release on a second thread
	bool threadedScheduler = false; ///< jobs complete on the emulator's worker thread
	unsigned lag = 1; ///< decoded frames held downstream before release
	unsigned extraSurfaces = 0; ///< pool surfaces beyond the consumer's minimum
	uint32_t width2 = 0, height2 = 0; ///< a mid-stream resize to this size (0: none)
	std::string faults; ///< fault plan (fault_plan.h text), installed at faultAt
	unsigned faultAt = 0;

	std::string line() const;
	static std::optional<ConsumerParams> parse(const std::string &line, std::string *error);
};

/// Parameters for one consumer; withFaults adds a fault plan installed mid-stream.
rc::Gen<ConsumerParams> genConsumerParams(Consumer consumer, bool withFaults);

/// Runs the consumer's call sequence on `run`; failures are collected in `run`.
void runConsumer(VaRun &run, const ConsumerParams &p);

/// Runs a whole case: a fresh driver, the consumer, the end-of-run checks. Returns the
/// failures ("" when every property held). Writes the case to the counterexample file
/// `saveAs` when it fails (if not empty).
std::string runConsumerCase(const ConsumerParams &p, const std::string &saveAs);

} // namespace props::va
