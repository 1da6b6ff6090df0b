// SPDX-License-Identifier: MIT
#pragma once

// A small consumer of fuzz input (libFuzzer's FuzzedDataProvider is clang-only; the targets
// also build with gcc as corpus replayers). Reads past the end give zeros.

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace v4l2va::fuzz {

class ByteReader {
public:
	ByteReader(const uint8_t *data, size_t size) : data_(data), size_(size) {}
	bool empty() const { return pos_ >= size_; }
	uint8_t u8() { return pos_ < size_ ? data_[pos_++] : 0; }
	uint32_t u32()
	{
		uint32_t v = 0;
		for (int i = 0; i < 4; i++)
			v |= static_cast<uint32_t>(u8()) << (8 * i);
		return v;
	}
	/// A value in [0, n).
	uint32_t below(uint32_t n) { return n ? u8() % n : 0; }
	/// Small values most of the time, anything sometimes.
	uint32_t small() { return u8() < 230 ? below(16) : u32(); }
	void bytes(void *dst, size_t n)
	{
		auto *d = static_cast<uint8_t *>(dst);
		for (size_t i = 0; i < n; i++)
			d[i] = u8();
	}

private:
	const uint8_t *data_;
	size_t size_;
	size_t pos_ = 0;
};

} // namespace v4l2va::fuzz
