// SPDX-License-Identifier: MIT
#pragma once

// A small consumer of fuzz input (libFuzzer's FuzzedDataProvider is clang-only; the targets
// also build with gcc as corpus replayers). Reads past the end give zeros.
//
// Targets read at most once per full expression (or in ?: and comma-separated declarations,
// which are sequenced): the order of function arguments and of operands is unspecified, and
// gcc and clang differ, so an input would mean different things in the replayer and the fuzzer.

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace v4l2va::fuzz {

class ByteReader {
public:
	ByteReader(const uint8_t *data, size_t size) : data_(data), size_(size) {}
	bool empty() const { return pos_ >= size_; }
	size_t remaining() const { return pos_ < size_ ? size_ - pos_ : 0; }
	uint8_t u8() { return pos_ < size_ ? data_[pos_++] : 0; }
	uint16_t u16()
	{
		uint16_t lo = u8();	// one read per statement: operands are unsequenced
		return static_cast<uint16_t>(lo | u8() << 8);
	}
	uint32_t u32()
	{
		uint32_t v = 0;
		for (int i = 0; i < 4; i++)
			v |= static_cast<uint32_t>(u8()) << (8 * i);
		return v;
	}
	bool flag() { return u8() & 1; }
	/// A value in [0, n).
	uint32_t below(uint32_t n) { return n ? u8() % n : 0; }
	/// Small values most of the time, anything sometimes.
	uint32_t small() { return u8() < 230 ? below(16) : u32(); }
	void bytes(void *dst, size_t n)
	{
		size_t avail = remaining() < n ? remaining() : n;
		if (avail)
			memcpy(dst, data_ + pos_, avail);
		if (n > avail)
			memset(static_cast<uint8_t *>(dst) + avail, 0, n - avail);
		pos_ += avail;
	}
	/// The next n bytes in place (fewer at the end of the input).
	const uint8_t *take(size_t n, size_t *got)
	{
		*got = remaining() < n ? remaining() : n;
		const uint8_t *p = data_ + pos_;
		pos_ += *got;
		return p;
	}

private:
	const uint8_t *data_;
	size_t size_;
	size_t pos_ = 0;
};

} // namespace v4l2va::fuzz
