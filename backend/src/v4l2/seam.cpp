// SPDX-License-Identifier: MIT
#include "seam.h"

#include <v4l2emu/board.h>

#include <cerrno>
#include <cstdlib>

namespace v4l2va {

int openSeam(Seam *seam, std::string *error)
{
	const char *boardName = getenv("V4L2VA_EMULATED_BOARD");
	if (!boardName || !*boardName) {
		seam->io = v4l2emu::makeKernelDeviceIo();
		seam->description = "kernel";
		return 0;
	}
	v4l2emu::BoardOptions options;
	std::string msg;
	if (v4l2emu::Board::optionsFromEnvironment(&options, &msg)) {
		if (error)
			*error = msg;
		return -EINVAL;
	}
	std::shared_ptr<v4l2emu::Board> board = v4l2emu::Board::create(boardName, options, &msg);
	if (!board) {
		if (error)
			*error = "V4L2VA_EMULATED_BOARD: " + msg;
		return -EINVAL;
	}
	// The seam keeps its board alive (aliasing constructor: one ownership for both).
	seam->io = std::shared_ptr<v4l2emu::DeviceIo>(board, &board->io());
	seam->board = board;
	seam->description = "emulated " + board->name() + " board (" +
			    (options.kernel == v4l2emu::KernelVersion::V6_12 ? "6.12" : "mainline") + ")";
	return 0;
}

} // namespace v4l2va
