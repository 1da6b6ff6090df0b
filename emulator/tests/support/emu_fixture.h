// SPDX-License-Identifier: MIT
#pragma once

// Test support: a board, its seam, and small helpers that issue real ioctls through it.
// Every helper returns what the seam returns (0 / count / fd, or -errno), so tests assert on
// the kernel's errno directly.

#include <v4l2emu/board.h>

#include <gtest/gtest.h>

#include <linux/media.h>
#include <linux/videodev2.h>
#include <fcntl.h>
#include <sys/mman.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace v4l2emu::test {

/// Minimal, valid control payloads for one picture of a codec at a size.
struct CodecControls {
	uint32_t fourcc = 0;
	std::vector<struct v4l2_ext_control> controls;	// point into the storage below
	std::vector<std::vector<uint8_t>> storage;

	static CodecControls h264(uint32_t width, uint32_t height, bool idr = true);
	static CodecControls hevc(uint32_t width, uint32_t height);
	static CodecControls mpeg2(uint32_t width, uint32_t height);
	static CodecControls vp8(uint32_t width, uint32_t height);
	static CodecControls vp9(uint32_t width, uint32_t height);
	static CodecControls forFourcc(uint32_t fourcc, uint32_t width, uint32_t height);
	/// The payload of a control, typed (nullptr if absent).
	template<typename T> T *payload(uint32_t id)
	{
		for (size_t i = 0; i < controls.size(); i++)
			if (controls[i].id == id)
				return reinterpret_cast<T *>(storage[i].data());
		return nullptr;
	}

private:
	void add(uint32_t id, const void *data, size_t size);
};

class EmuTest : public ::testing::Test {
protected:
	/// Creates the board (default: fresnel, deterministic, mainline kernel).
	void useBoard(const std::string &name, BoardOptions options = {});
	void SetUp() override;
	void TearDown() override;

	DeviceIo &io() { return board_->io(); }
	Board &board() { return *board_; }
	const NodeDescription &node(const std::string &device) const;

	int openVideo(const std::string &device, int flags = O_RDWR | O_CLOEXEC);
	int openMedia(const std::string &device);
	int closeFd(int fd) { return io().close(fd); }
	int xioctl(int fd, unsigned long cmd, void *arg) { return io().ioctl(fd, cmd, arg); }

	/// Queue types of a node (MPLANE unless the driver is single-planar).
	uint32_t outType(int fd);
	uint32_t capType(int fd);
	bool isMplane(int fd);

	int setFormat(int fd, uint32_t type, uint32_t fourcc, uint32_t width, uint32_t height,
		      uint32_t sizeimage = 0, struct v4l2_format *out = nullptr);
	int getFormat(int fd, uint32_t type, struct v4l2_format *out);
	/// REQBUFS; returns the count allocated (or -errno).
	int reqbufs(int fd, uint32_t type, uint32_t count, uint32_t memory = V4L2_MEMORY_MMAP,
		    struct v4l2_requestbuffers *out = nullptr);
	int createBufs(int fd, uint32_t type, uint32_t count, uint32_t sizeimage,
		       struct v4l2_create_buffers *out = nullptr);
	int querybuf(int fd, uint32_t type, uint32_t index, struct v4l2_buffer *b,
		     struct v4l2_plane *planes);
	/// QBUF of an MMAP buffer; requestFd < 0 for a plain QBUF.
	int qbuf(int fd, uint32_t type, uint32_t index, int requestFd = -1, uint64_t timestampNs = 0,
		 uint32_t bytesused = 0, uint32_t flags = 0, struct v4l2_buffer *out = nullptr);
	int dqbuf(int fd, uint32_t type, struct v4l2_buffer *out = nullptr,
		  struct v4l2_plane *planes = nullptr);
	int streamon(int fd, uint32_t type);
	int streamoff(int fd, uint32_t type);
	int allocRequest(int mediaFd);
	int queueRequest(int reqFd);
	int reinitRequest(int reqFd);
	/// S_EXT_CTRLS of ctrls (which = REQUEST_VAL when requestFd >= 0, else CUR).
	int setControls(int fd, CodecControls &ctrls, int requestFd = -1,
			struct v4l2_ext_controls *out = nullptr);
	int extCtrls(int fd, unsigned long cmd, uint32_t which, int requestFd,
		     std::vector<struct v4l2_ext_control> &ctrls, struct v4l2_ext_controls *out = nullptr);
	/// mmap of one plane of a buffer through the seam.
	void *mapBuffer(int fd, uint32_t type, uint32_t index, uint32_t plane = 0, size_t *length = nullptr,
			int prot = PROT_READ | PROT_WRITE);
	int unmap(void *addr, size_t length) { return io().munmap(addr, length); }

	/// A fully set-up decoding session on one open: OUTPUT format, buffers on both queues,
	/// both queues streaming, one request per OUTPUT buffer.
	struct Session {
		int fd = -1;
		int mediaFd = -1;
		uint32_t outType = 0, capType = 0;
		uint32_t fourcc = 0, width = 0, height = 0;
		uint32_t numOutput = 0, numCapture = 0;
		std::vector<int> requests;
		struct v4l2_format captureFormat {};
		std::vector<std::pair<void *, size_t>> outputMaps;
	};
	/// Returns 0 or the first -errno (with what failed in *what).
	int startSession(Session &s, const std::string &device, uint32_t fourcc, uint32_t width,
			 uint32_t height, uint32_t numOutput = 2, uint32_t numCapture = 4,
			 std::string *what = nullptr);
	/// Decodes one picture: controls into request `slot`, OUTPUT buffer `slot` with a small
	/// synthetic bitstream, CAPTURE buffer `capIndex` queued, request queued, then waits
	/// for the request and dequeues both buffers. Returns 0 or -errno; *cap receives the
	/// dequeued CAPTURE buffer.
	int decodeOne(Session &s, CodecControls &ctrls, uint32_t slot, uint32_t capIndex,
		      uint64_t timestampNs, struct v4l2_buffer *cap = nullptr);
	/// Queues one picture without waiting: its controls into request `slot`, OUTPUT buffer
	/// `slot` (64 bytes), CAPTURE buffer capIndex (none if negative), then the request.
	int queuePicture(Session &s, CodecControls &ctrls, uint32_t slot, int capIndex,
			 uint64_t timestampNs, uint32_t flags = 0);
	void endSession(Session &s);

	/// Waits (up to 5 s) until a thread sleeps in DQBUF on the queue of type on fd; reads
	/// the emulator's own state, so the caller never races into DQBUF itself.
	bool waitForDqbufSleeper(int fd, uint32_t type);

	/// Diagnostics of a kind recorded so far.
	size_t countDiagnostics(DiagnosticKind kind) const;

	std::unique_ptr<Board> board_;
	std::vector<int> openFds_;
};

} // namespace v4l2emu::test
