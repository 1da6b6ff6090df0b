// SPDX-License-Identifier: MIT
// Stand-in for the libav engine's rebuilder registry (registerRebuilder / findRebuilder of
// rebuild.h) for the rebuild tests, which link the rebuilders as objects without the engine
// library (libv4l2emu_libav.so) that holds the real one.
#include "engine/libav/rebuild.h"

#include <cstring>

namespace v4l2emu::libav {

namespace {
constexpr unsigned kMax = 8;
const Rebuilder *gEntries[kMax];
unsigned gCount;
} // namespace

void registerRebuilder(const Rebuilder *rebuilder)
{
	if (gCount < kMax)
		gEntries[gCount++] = rebuilder;
}

const Rebuilder *findRebuilder(const char *codec)
{
	for (unsigned i = 0; i < gCount; i++)
		if (!strcmp(gEntries[i]->codec, codec))
			return gEntries[i];
	return nullptr;
}

} // namespace v4l2emu::libav
