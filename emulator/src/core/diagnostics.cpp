// SPDX-License-Identifier: MIT
#include <v4l2emu/diagnostics.h>

namespace v4l2emu {

const char *toString(DiagnosticKind kind)
{
	switch (kind) {
	case DiagnosticKind::ReferenceMissing: return "reference-missing";
	case DiagnosticKind::ReferenceNotDecoded: return "reference-not-decoded";
	case DiagnosticKind::ReferenceIdentity: return "reference-identity";
	case DiagnosticKind::ReferenceIsTarget: return "reference-is-target";
	case DiagnosticKind::MissingControls: return "missing-controls";
	case DiagnosticKind::ForeignControls: return "foreign-controls";
	case DiagnosticKind::UnsupportedCall: return "unsupported-call";
	case DiagnosticKind::Fault: return "fault";
	case DiagnosticKind::EngineError: return "engine-error";
	}
	return "unknown";
}

} // namespace v4l2emu
