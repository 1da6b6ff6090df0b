// SPDX-License-Identifier: MIT
#pragma once

// The system under test of the emulator-vs-model property: a fresh fresnel board
// (deterministic scheduler), its hantro media fd, two opens of the hantro video node, three
// request fd slots and the mappings made so far. Every call goes through the DeviceIo seam
// and returns what it returned, in the model's Observed form.

#include "emu_model.h"

#include <v4l2emu/board.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

namespace props::emu {

class EmuSut {
public:
	EmuSut();
	~EmuSut();
	EmuSut(const EmuSut &) = delete;
	EmuSut &operator=(const EmuSut &) = delete;

	bool ready() const { return mediaFd_ >= 0; }
	v4l2emu::Board &board() { return *board_; }

	Observed open(int slot);
	Observed close(int slot);
	Observed sFmt(int slot, Dir dir, const FormatChoice &f);
	int gFmt(int slot, Dir dir, Format *out);
	Observed reqbufs(int slot, Dir dir, uint32_t count, bool userptr);
	Observed createBufs(int slot, Dir dir, uint32_t count, uint32_t sizeimage);
	/// *offset receives the plane's mmap cookie.
	Observed querybuf(int slot, Dir dir, uint32_t index, uint32_t *offset);
	/// reqSlot as in EmuModel::qbuf; the reply's request_fd comes back as an fd number.
	Observed qbuf(int slot, Dir dir, uint32_t index, int reqSlot, int *replyFd);
	Observed dqbuf(int slot, Dir dir, int *replyFd);
	Observed streamon(int slot, Dir dir);
	Observed streamoff(int slot, Dir dir);
	Observed setControls(int slot, int reqSlot, bool valid);
	/// length: the plane length the model knows (0 when the buffer does not exist).
	Observed mmap(int slot, Dir dir, uint32_t index, int prot, bool oversize, uint32_t length);
	Observed munmap(size_t mapping);

	Observed requestAlloc(int reqSlot);
	Observed requestQueue(int reqSlot);
	Observed requestReinit(int reqSlot);
	Observed requestClose(int reqSlot);
	Observed requestPoll(int reqSlot, bool pri);

	/// The fd number request `id` was allocated with (ids count allocations, as in the model).
	int requestFdOf(int id) const
	{
		return id >= 0 && static_cast<size_t>(id) < requestFdById_.size()
			       ? requestFdById_[id]
			       : -1;
	}
	v4l2emu::DeviceStats deviceStats();

private:
	int requestArg(int reqSlot) const;

	std::unique_ptr<v4l2emu::Board> board_;
	v4l2emu::DeviceIo *io_ = nullptr;
	std::string videoPath_, mediaPath_;
	int mediaFd_ = -1;
	std::array<int, kSlots> nodeFd_ { -1, -1 };
	std::array<int, kRequestSlots> reqFd_ { -1, -1, -1 };
	std::vector<int> requestFdById_;
	std::vector<std::pair<void *, size_t>> maps_;
};

} // namespace props::emu
