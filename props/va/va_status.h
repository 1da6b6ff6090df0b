// SPDX-License-Identifier: MIT
#pragma once

// The statuses each VA entry point may return (va/va.h documents them per call; the generic
// allocation/operation failures are allowed everywhere a device can fail). A status outside
// its call's set fails the property whatever the sequence.

#include <va/va.h>

#include <string>

namespace props::va {

/// True if `st` is a status `call` ("vaCreateSurfaces2", ...) may return. Unknown calls allow
/// only the generic set.
bool statusAllowed(const std::string &call, VAStatus st);

} // namespace props::va
