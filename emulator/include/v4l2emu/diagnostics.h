// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <string>

namespace v4l2emu {

/// What kind of misuse or anomaly the emulator observed. None of these change the errno the
/// kernel would return; they are what a test asserts on afterwards.
enum class DiagnosticKind {
	ReferenceMissing,	///< a reference timestamp resolves to no CAPTURE buffer
	ReferenceNotDecoded,	///< it resolves to a buffer that holds no successfully decoded frame
	ReferenceIdentity,	///< it resolves to a frame whose identity differs from the claim
	ReferenceIsTarget,	///< a reference names the buffer being decoded into
	MissingControls,	///< a job ran without valid controls for the OUTPUT codec (all-zero output)
	ForeignControls,	///< a request's controls were set through another open (never applied)
	UnsupportedCall,	///< a call the emulator does not implement (ENOTTY/EINVAL returned)
	Fault,			///< an injected fault fired
	EngineError,		///< the decode engine could not decode the job (libavcodec engine:
				///< no rebuilder for the codec, inputs not expressible, decoder error)
};

const char *toString(DiagnosticKind kind);

struct Diagnostic {
	DiagnosticKind kind;
	std::string device;	///< driver instance, e.g. "rkvdec"
	uint64_t job = 0;	///< job sequence number on that device (0 if not job related)
	std::string message;
};

} // namespace v4l2emu
