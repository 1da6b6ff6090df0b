// SPDX-License-Identifier: MIT
// The rebuilders' registry: a fixed, constant-initialised table the registrars fill during
// static initialisation of the library (before any board exists), read-only afterwards.
#include "rebuild.h"

#include <array>
#include <cstdio>
#include <cstring>

namespace v4l2emu::libav {

namespace {

constexpr size_t kMaxRebuilders = 16;

struct Registry {
	std::array<const Rebuilder *, kMaxRebuilders> entries{};
	size_t count = 0;
};

// constinit: zero-initialised before any registrar's constructor runs, whatever the order of
// the translation units.
constinit Registry registry;

} // namespace

void registerRebuilder(const Rebuilder *rebuilder)
{
	if (!rebuilder || !rebuilder->codec || !rebuilder->rebuild)
		return;
	for (size_t i = 0; i < registry.count; i++)
		if (!strcmp(registry.entries[i]->codec, rebuilder->codec)) {
			fprintf(stderr, "v4l2emu: two libav rebuilders for codec %s; keeping the first\n",
				rebuilder->codec);
			return;
		}
	if (registry.count == kMaxRebuilders) {
		fprintf(stderr, "v4l2emu: libav rebuilder table full, %s dropped\n", rebuilder->codec);
		return;
	}
	registry.entries[registry.count++] = rebuilder;
}

const Rebuilder *findRebuilder(const char *codec)
{
	if (!codec)
		return nullptr;
	for (size_t i = 0; i < registry.count; i++)
		if (!strcmp(registry.entries[i]->codec, codec))
			return registry.entries[i];
	return nullptr;
}

} // namespace v4l2emu::libav
