// SPDX-License-Identifier: MIT
#pragma once

// Findings already reported to their owners, which the targets steer around so that fuzzing
// keeps finding new ones (each steering point names its finding). Once a finding is fixed,
// its steering goes and its minimised input becomes corpus/fuzz/<target>/crash-<name>.
// V4L2VA_FUZZ_KNOWN=<name>[,<name>...] or =all fuzzes into them again (to check a fix).
//
// None at present. Fixed: odd-elements (corpus/fuzz/codec_state/crash-odd-elements),
// getimage-derived (corpus/fuzz/va_call_sequence/crash-getimage-derived).

#include <cstdlib>
#include <cstring>
#include <string>

namespace v4l2va::fuzz {

/// True while the target should avoid the finding `name`.
inline bool avoidKnownFinding(const char *name)
{
	const char *env = getenv("V4L2VA_FUZZ_KNOWN");
	if (!env || !*env)
		return true;
	std::string list = std::string(",") + env + ",";
	return list.find(",all,") == std::string::npos &&
	       list.find(std::string(",") + name + ",") == std::string::npos;
}

} // namespace v4l2va::fuzz
