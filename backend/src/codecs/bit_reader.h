// SPDX-License-Identifier: MIT
#pragma once

// A bit reader over NAL unit payloads (H.264 / HEVC slice headers): big-endian bits,
// Exp-Golomb codes, and emulation-prevention bytes (00 00 03) skipped transparently, so that
// bit positions are those of the RBSP, as the V4L2 "*_bit_size" fields count them... except
// where a field counts bits of the NAL payload including emulation prevention bytes; then use
// `rawBitPosition()`. Reading past the end sets `overrun()` and returns zeros: parsers check it
// once at the end instead of after every field.

#include <cstddef>
#include <cstdint>

namespace v4l2va {

class BitReader {
public:
	BitReader(const uint8_t *data, size_t size) : data_(data), size_(size) {}

	uint32_t u(unsigned bits)
	{
		uint32_t v = 0;
		for (unsigned i = 0; i < bits; i++)
			v = (v << 1) | bit();
		return v;
	}
	bool flag() { return bit() != 0; }
	/// ue(v); values past 2^32-2 saturate and set overrun (no valid syntax element has them).
	uint32_t ue()
	{
		unsigned zeros = 0;
		while (!bit()) {
			if (overrun_ || ++zeros > 31) {
				overrun_ = true;
				return 0;
			}
		}
		if (zeros == 0)
			return 0;
		return ((1u << zeros) - 1) + u(zeros);
	}
	int32_t se()
	{
		uint32_t k = ue();
		return (k & 1) ? static_cast<int32_t>((k + 1) / 2) : -static_cast<int32_t>(k / 2);
	}
	void skip(unsigned bits)
	{
		for (unsigned i = 0; i < bits; i++)
			bit();
	}

	/// RBSP bits consumed (emulation-prevention bytes not counted).
	size_t bitPosition() const { return rbspBits_; }
	/// Bits consumed in the raw payload, emulation-prevention bytes included.
	size_t rawBitPosition() const { return byte_ * 8 + bitInByte_; }
	bool overrun() const { return overrun_; }
	bool byteAligned() const { return bitInByte_ == 0; }

private:
	uint32_t bit()
	{
		if (bitInByte_ == 0 && !skipEmulationPrevention())
			return 0;
		uint32_t b = (data_[byte_] >> (7 - bitInByte_)) & 1;
		if (++bitInByte_ == 8) {
			bitInByte_ = 0;
			zeroRun_ = data_[byte_] == 0 ? zeroRun_ + 1 : 0;
			byte_++;
		}
		rbspBits_++;
		return b;
	}
	/// At a byte boundary: skips an emulation-prevention byte; false at the end of data.
	bool skipEmulationPrevention()
	{
		if (byte_ >= size_) {
			overrun_ = true;
			return false;
		}
		if (zeroRun_ >= 2 && data_[byte_] == 3) {
			byte_++;
			zeroRun_ = 0;
			if (byte_ >= size_) {
				overrun_ = true;
				return false;
			}
		}
		return true;
	}

	const uint8_t *data_;
	size_t size_;
	size_t byte_ = 0;
	unsigned bitInByte_ = 0;
	unsigned zeroRun_ = 0;
	size_t rbspBits_ = 0;
	bool overrun_ = false;
};

} // namespace v4l2va
