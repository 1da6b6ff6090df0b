// SPDX-License-Identifier: MIT
#pragma once

// The inverse of fuzz/byte_reader.h for writing seeds: each call produces the bytes that make
// the matching ByteReader call return the given value. The seed recorder writes every input
// format with it, mirroring each target's reads step by step.

#include "../va_buffers.h"

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace v4l2va::fuzz {

class SeedWriter {
public:
	void u8(uint8_t v) { bytes_.push_back(v); }
	void u16(uint16_t v)
	{
		u8(static_cast<uint8_t>(v));
		u8(static_cast<uint8_t>(v >> 8));
	}
	void u32(uint32_t v)
	{
		for (int i = 0; i < 4; i++)
			u8(static_cast<uint8_t>(v >> (8 * i)));
	}
	/// ByteReader::below(n) returning v (< n <= 256).
	void below(uint32_t v) { u8(static_cast<uint8_t>(v)); }
	void bytes(const void *p, size_t n)
	{
		auto *b = static_cast<const uint8_t *>(p);
		bytes_.insert(bytes_.end(), b, b + n);
	}
	/// One buffer in the va_buffers.h layout.
	void buffer(CodecFamily codec, VABufferType type, uint32_t elementSize, uint32_t numElements,
		    const uint8_t *data)
	{
		int typeIndex = -1;
		for (size_t i = 0; i < std::size(kBufferTypes); i++)
			if (kBufferTypes[i] == type)
				typeIndex = static_cast<int>(i);
		if (typeIndex >= 0) {
			u8(static_cast<uint8_t>(typeIndex));
		} else {
			u8(200);
			u8(static_cast<uint8_t>(type));
		}
		bool sliceData = type == VASliceDataBufferType;
		if (!sliceData && expectedElementSize(codec, type, false) == elementSize) {
			u8(0);
		} else if (!sliceData && expectedElementSize(codec, type, true) == elementSize) {
			u8(1);
		} else {
			u8(sliceData ? 0 : 200);
			u16(static_cast<uint16_t>(elementSize));
		}
		if (sliceData)
			u8(0);
		else if (numElements >= 1 && numElements <= 4)
			u8(static_cast<uint8_t>(numElements - 1));
		else
			u8(static_cast<uint8_t>(250 + numElements));
		bytes(data, static_cast<size_t>(elementSize) * numElements);
	}
	const std::vector<uint8_t> &data() const { return bytes_; }
	bool save(const std::string &path) const
	{
		FILE *f = fopen(path.c_str(), "wb");
		if (!f)
			return false;
		bool ok = fwrite(bytes_.data(), 1, bytes_.size(), f) == bytes_.size();
		return fclose(f) == 0 && ok;
	}

private:
	std::vector<uint8_t> bytes_;
};

} // namespace v4l2va::fuzz
