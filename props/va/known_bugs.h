// SPDX-License-Identifier: MIT
#pragma once

// Driver bugs the VA properties found (reported, not fixed here: the driver is not this
// folder's). A failing case whose parameters match one is counted as that bug and ends as a
// pass (support/check.h; PROPS_STRICT=1 fails it instead). Each names the driver code at fault.

#include "consumers.h"

#include "support/check.h"

namespace props::va {

// None at present. Fixed in the driver, their corpus/props/va-consumer files now replay as
// plain regressions: dqbuf-fault-loses-output-slot (DecodeStream::reapHead keeps the unit at
// the head until its DQBUFs succeed), failed-capture-bind-never-recovers (bindCapture tracks
// the buffer CREATE_BUFS made and finishes binding it next time), errno-mapped-without-the-call
// (statusFromErrno takes the DeviceStep), export-not-the-decode-target (ensureBacking fails
// instead of falling back to a probe stream when the context's stream cannot be set up).
// An entry is a KnownDivergence { id, what decides, driver code at fault, what goes wrong }
// and a test of the failing case's parameters/failures in knownDriverBug().

/// The known bug a failing case is an instance of, or nullptr.
inline const KnownDivergence *knownDriverBug(const ConsumerParams &, const std::string &)
{
	return nullptr;
}

} // namespace props::va
