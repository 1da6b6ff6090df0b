// SPDX-License-Identifier: MIT
#include "va_trace_clip.h"

#include <fstream>
#include <iterator>

namespace v4l2va::test {

namespace {

uint32_t le(const uint8_t *p, int n)
{
	uint32_t v = 0;
	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

} // namespace

bool VaClipFrames::open(const std::string &path, std::string *error)
{
	frames_.clear();
	cursor_ = 0;
	std::ifstream f(path, std::ios::binary);
	if (!f) {
		*error = path + ": cannot open";
		return false;
	}
	std::vector<uint8_t> d((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
	// IVF: "DKIF", version, header length (32), fourcc, ...; then per frame a 4-byte size and
	// an 8-byte timestamp before the payload.
	if (d.size() < 32 || d[0] != 'D' || d[1] != 'K' || d[2] != 'I' || d[3] != 'F') {
		*error = path + ": not an IVF file";
		return false;
	}
	size_t pos = le(&d[6], 2);
	if (pos < 32 || pos > d.size()) {
		*error = path + ": bad IVF header length";
		return false;
	}
	while (pos + 12 <= d.size()) {
		uint32_t size = le(&d[pos], 4);
		pos += 12;
		if (size > d.size() - pos) {
			*error = path + ": frame " + std::to_string(frames_.size()) + " runs past the end";
			return false;
		}
		frames_.emplace_back(d.begin() + static_cast<ptrdiff_t>(pos), d.begin() + static_cast<ptrdiff_t>(pos + size));
		pos += size;
	}
	if (frames_.empty()) {
		*error = path + ": no frames";
		return false;
	}
	return true;
}

bool VaClipFrames::nextSlice(uint32_t size, std::vector<uint8_t> *out)
{
	// Frames in decode order, none skipped (FFmpeg decodes the invisible altref frames too).
	if (cursor_ >= frames_.size())
		return false;
	const std::vector<uint8_t> &fr = frames_[cursor_];
	// RFC 6386 9.1: frame tag bit 0 is 0 on key frames, whose 3-byte tag is followed by the
	// start code 9d 01 2a and the 4-byte dimensions.
	bool key = !fr.empty() && !(fr[0] & 1);
	size_t header = key ? 10 : 3;
	if (fr.size() != static_cast<size_t>(size) + header ||
	    (key && (fr[3] != 0x9d || fr[4] != 0x01 || fr[5] != 0x2a)))
		return false;
	out->assign(fr.end() - size, fr.end());
	cursor_++;
	return true;
}

} // namespace v4l2va::test
