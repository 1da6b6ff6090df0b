// SPDX-License-Identifier: MIT
#pragma once

// Slice data a LIBVA_TRACE log does not hold (libva 2.17 prints none for VP8), taken from the
// clip the run decoded. IVF only: FFmpeg's vaapi_vp8 hands the driver a frame's bytes after its
// 3-byte (10 on key frames) uncompressed header, so a picture's data is the tail of the next
// IVF frame, which must be exactly that much longer than the slice.

#include <cstdint>
#include <string>
#include <vector>

namespace v4l2va::test {

class VaClipFrames {
public:
	/// False with *error if the file is not a readable IVF clip.
	bool open(const std::string &path, std::string *error);
	/// The next frame's slice data of `size` bytes; false (cursor unchanged) if it does not fit.
	bool nextSlice(uint32_t size, std::vector<uint8_t> *out);
	size_t frames() const { return frames_.size(); }
	size_t used() const { return cursor_; }

private:
	std::vector<std::vector<uint8_t>> frames_;
	size_t cursor_ = 0;
};

} // namespace v4l2va::test
