// SPDX-License-Identifier: MIT
#include "check.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>

namespace props {

namespace {

std::mutex g_mutex;
std::map<std::string, unsigned> g_hits;

} // namespace

std::string retName(long long value)
{
	if (value >= 0)
		return std::to_string(value);
	const char *name = strerrorname_np(static_cast<int>(-value));
	return name ? std::string("-") + name : std::to_string(value);
}

bool strictMode()
{
	const char *s = getenv("PROPS_STRICT");
	return s && *s && strcmp(s, "0") != 0;
}

void knownDivergence(const KnownDivergence &d, const std::string &detail)
{
	const std::string text = std::string("known divergence ") + d.id + " (" + d.what +
				 "; kernel: " + d.kernelFunction + "; SUT: " + d.sutFile +
				 "): " + detail;
	if (strictMode())
		return;
	{
		std::lock_guard lock(g_mutex);
		g_hits[d.id]++;
	}
	RC_TAG(std::string("known divergence ") + d.id);
	// The SUT and the model no longer agree on the state: nothing after this is comparable.
	RC_SUCCEED(text);
}

std::string knownDivergenceSummary()
{
	std::lock_guard lock(g_mutex);
	std::string out;
	for (const auto &[id, n] : g_hits)
		out += id + ": " + std::to_string(n) + " case(s)\n";
	return out;
}

} // namespace props
