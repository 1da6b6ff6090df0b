// SPDX-License-Identifier: MIT
// Which engine a board option names. The libavcodec engine is a separate library
// (libv4l2emu_libav.so, built when CMake found libavcodec: V4L2EMU_HAVE_LIBAV) loaded on first
// use from the directory libv4l2emu.so was loaded from (then the library search path), so
// nothing that never selects it loads libavcodec. Without it the option is refused up front
// (Board::create, Board::optionsFromEnvironment, v4l2emu-run) and never reaches makeEngine.
#include "engine.h"

#include <dlfcn.h>

#include <climits>
#include <cstdlib>
#include <mutex>

namespace v4l2emu {

namespace {

#ifdef V4L2EMU_HAVE_LIBAV
struct LibavLibrary {
	MakeLibavEngineFn *make = nullptr;
	std::string error;
};

std::string besideThisLibrary(const char *file, bool resolveLinks)
{
	Dl_info info {};
	if (!dladdr(reinterpret_cast<void *>(&besideThisLibrary), &info) || !info.dli_fname)
		return {};
	std::string self = info.dli_fname;
	if (resolveLinks) {
		char real[PATH_MAX];
		if (!realpath(info.dli_fname, real))
			return {};
		self = real;
	}
	size_t slash = self.rfind('/');
	return slash == std::string::npos ? std::string() : self.substr(0, slash + 1) + file;
}

const LibavLibrary &libavLibrary()
{
	static LibavLibrary lib;
	static std::once_flag once;
	std::call_once(once, [] {
		// Kept loaded for the life of the process: engines made from it may live as long.
		void *handle = nullptr;
		std::string tried, previous;
		for (const std::string &path : {besideThisLibrary(V4L2EMU_LIBAV_LIBRARY, false),
						besideThisLibrary(V4L2EMU_LIBAV_LIBRARY, true),
						std::string(V4L2EMU_LIBAV_LIBRARY)}) {
			if (path.empty() || path == previous)
				continue;
			previous = path;
			handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
			if (handle)
				break;
			const char *e = dlerror();
			tried += std::string(tried.empty() ? "" : "; ") + (e ? e : path);
		}
		if (!handle) {
			lib.error = "cannot load the libavcodec engine: " + tried;
			return;
		}
		lib.make = reinterpret_cast<MakeLibavEngineFn *>(dlsym(handle, V4L2EMU_LIBAV_ENTRY));
		if (!lib.make)
			lib.error = std::string(V4L2EMU_LIBAV_LIBRARY) + " has no " V4L2EMU_LIBAV_ENTRY;
	});
	return lib;
}
#endif

} // namespace

bool engineAvailable(EngineKind kind, std::string *why)
{
	switch (kind) {
	case EngineKind::Synthetic:
		return true;
	case EngineKind::Libav:
#ifdef V4L2EMU_HAVE_LIBAV
		if (libavLibrary().make)
			return true;
		if (why)
			*why = libavLibrary().error;
		return false;
#else
		if (why)
			*why = "this build has no libavcodec engine (libavcodec-dev was not found at "
			       "configure time)";
		return false;
#endif
	}
	return false;
}

std::unique_ptr<DecodeEngine> makeEngine(EngineKind kind)
{
#ifdef V4L2EMU_HAVE_LIBAV
	if (kind == EngineKind::Libav && libavLibrary().make)
		return std::unique_ptr<DecodeEngine>(libavLibrary().make());
#else
	(void)kind;
#endif
	return makeSyntheticEngine();
}

} // namespace v4l2emu
