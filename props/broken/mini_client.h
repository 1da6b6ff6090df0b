// SPDX-License-Identifier: MIT
#pragma once

// A minimal VA-like decoder client over the emulator seam (MPEG-2 on the fresnel board's
// hantro node), for the seed-bug test. Surfaces are records; the first decode sets the device
// up (formats, OUTPUT and CAPTURE pools mapped, both queues streaming) and each surface is
// bound to a CAPTURE buffer whose mapping the client caches, as GetImage reads through it.
//
// Broken mode follows the iter5b design that crashed GetImage on the fresnel board: when a
// later CreateSurfaces asks for another pixel format, it tears its capture pool down
// destructively: REQBUFS(0) on the streaming CAPTURE queue without checking the result (the
// kernel says EBUSY and frees nothing), unmaps every capture mapping, S_FMT and REQBUFS again
// (EBUSY too, unchecked) and keeps the cached plane pointers. Fixed mode checks REQBUFS(0),
// sees EBUSY and keeps the pool (what the real driver does: a new stream instead).

#include <v4l2emu/board.h>

#include <cstdint>
#include <memory>
#include <vector>

namespace props::broken {

class MiniClient {
public:
	MiniClient(v4l2emu::Board &board, bool broken);
	~MiniClient();
	MiniClient(const MiniClient &) = delete;
	MiniClient &operator=(const MiniClient &) = delete;

	/// n surfaces of a pixel format (V4L2 fourcc); returns the first new surface's index.
	unsigned createSurfaces(uint32_t fourcc, unsigned n);
	unsigned surfaces() const { return static_cast<unsigned>(surfaces_.size()); }
	/// Decodes an intra picture into a surface; 0 or -errno.
	int decode(unsigned surface);
	/// The signature of the picture last decoded into a surface (0: none).
	uint64_t signature(unsigned surface) const { return surfaces_[surface].signature; }
	/// Reads a surface through its cached CAPTURE mapping: tight NV12 of the decode size.
	int getImage(unsigned surface, std::vector<uint8_t> *nv12) const;

	static constexpr uint32_t kWidth = 176, kHeight = 144;

private:
	struct SurfaceRec {
		uint32_t fourcc = 0;
		int capture = -1; ///< bound CAPTURE buffer
		uint64_t signature = 0;
	};
	struct Mapping {
		uint8_t *data = nullptr;
		size_t length = 0;
	};
	int setUp();
	void changeFormat(uint32_t fourcc);

	v4l2emu::Board &board_;
	v4l2emu::DeviceIo &io_;
	bool broken_;
	int fd_ = -1, mediaFd_ = -1, request_ = -1;
	bool ready_ = false;
	uint32_t fourcc_ = 0;
	uint32_t bytesperline_ = 0;
	std::vector<SurfaceRec> surfaces_;
	std::vector<Mapping> capture_; ///< cached plane pointers, per CAPTURE index
	Mapping output_;
	unsigned nextCapture_ = 0;
	uint64_t frame_ = 0;
};

} // namespace props::broken
