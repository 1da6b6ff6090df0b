// SPDX-License-Identifier: MIT
#pragma once

// MSB-first bit writer for the rebuilders' headers, appending to a byte vector (which keeps
// its capacity between jobs). Exp-Golomb helpers for the H.264/HEVC parameter sets.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace v4l2emu::libav {

class BitWriter {
public:
	explicit BitWriter(std::vector<uint8_t> &out) : out_(out) {}

	/// Appends the low n bits of value (n <= 32), most significant first.
	void put(uint32_t value, unsigned n)
	{
		for (unsigned i = n; i-- > 0;)
			putBit((value >> i) & 1);
	}
	void putBit(unsigned bit)
	{
		if (!bitPos_)
			out_.push_back(0);
		if (bit)
			out_.back() |= static_cast<uint8_t>(0x80u >> bitPos_);
		bitPos_ = (bitPos_ + 1) & 7;
	}
	/// ue(v) and se(v) (H.264 9.1).
	void ue(uint32_t value)
	{
		uint64_t v = static_cast<uint64_t>(value) + 1;
		unsigned bits = 0;
		while ((v >> bits) > 1)
			bits++;
		put(0, bits);
		for (unsigned i = bits + 1; i-- > 0;)
			putBit((v >> i) & 1);
	}
	void se(int32_t value)
	{
		ue(value > 0 ? static_cast<uint32_t>(2 * static_cast<int64_t>(value) - 1)
			     : static_cast<uint32_t>(-2 * static_cast<int64_t>(value)));
	}
	/// Pads with zero bits to the next byte boundary.
	void alignZero()
	{
		bitPos_ = 0;
	}
	bool aligned() const { return bitPos_ == 0; }
	/// A start code prefix 00 00 01 and the code byte (the writer must be aligned).
	void startCode(uint8_t code)
	{
		alignZero();
		out_.insert(out_.end(), {0x00, 0x00, 0x01, code});
	}

private:
	std::vector<uint8_t> &out_;
	unsigned bitPos_ = 0;	///< bits used in out_.back(), 0 = byte complete
};

} // namespace v4l2emu::libav
