// SPDX-License-Identifier: MIT
#pragma once

// Assertions for property commands: a failure names what was compared and both values (errnos
// by name), so a shrunk counterexample reads without a debugger. Known divergences (the SUT is
// wrong, reported, not yet fixed) are declared once with the kernel function that decides the
// behaviour and the file that gets it wrong. A command whose model state triggers one ends the
// test case there as a pass (tagged, counted): past that point the SUT's state is known to
// differ from the kernel's. With PROPS_STRICT=1 the case goes on and the kernel behaviour is
// asserted, so a fixed SUT passes and an unfixed one fails.

#include <rapidcheck.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace props {

// Note: RC_PRE/RC_ASSERT decompose their expression with overloaded operators, so `a || b`
// evaluates both sides; conditions that guard an index are written RC_PRE((a || b)).

struct KnownDivergence {
	const char *id;
	const char *kernelFunction; ///< who decides (e.g. MCR:media_request_object_unbind)
	const char *sutFile; ///< where the SUT decides differently
	const char *what;
};

/// "-EBUSY", "0", "3" ...
std::string retName(long long value);

bool strictMode();

/// At a known divergence's trigger: ends the test case as a pass (counted, tagged), or in
/// strict mode returns so that the following checks assert the kernel's behaviour.
void knownDivergence(const KnownDivergence &d, const std::string &detail);
/// How often each known divergence was hit in this process (for the test's summary).
std::string knownDivergenceSummary();

inline void expectEq(std::string_view what, long long actual, long long expected)
{
	if (actual != expected)
		RC_FAIL(std::string(what) + ": got " + retName(actual) + ", model expects " +
			retName(expected));
}

inline void expectFlags(std::string_view what, uint32_t actual, uint32_t expected)
{
	if (actual != expected) {
		char buf[96];
		snprintf(buf, sizeof(buf), ": got 0x%08x, model expects 0x%08x (diff 0x%08x)",
			 actual, expected, actual ^ expected);
		RC_FAIL(std::string(what) + buf);
	}
}

} // namespace props
