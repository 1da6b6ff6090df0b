// SPDX-License-Identifier: MIT
// Which engine a board option names. The libavcodec engine is compiled only when CMake found
// libavcodec (V4L2EMU_HAVE_LIBAV); without it the option is refused up front
// (Board::create, Board::optionsFromEnvironment) and never reaches makeEngine.
#include "engine.h"

namespace v4l2emu {

bool engineAvailable(EngineKind kind)
{
	switch (kind) {
	case EngineKind::Synthetic:
		return true;
	case EngineKind::Libav:
#ifdef V4L2EMU_HAVE_LIBAV
		return true;
#else
		return false;
#endif
	}
	return false;
}

std::unique_ptr<DecodeEngine> makeEngine(EngineKind kind)
{
#ifdef V4L2EMU_HAVE_LIBAV
	if (kind == EngineKind::Libav)
		return makeLibavEngine();
#else
	(void)kind;
#endif
	return makeSyntheticEngine();
}

} // namespace v4l2emu
