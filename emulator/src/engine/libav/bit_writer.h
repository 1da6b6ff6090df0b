// SPDX-License-Identifier: MIT
#pragma once

// Bit-level writing and reading for the H.264 / HEVC rebuilders: an RBSP writer (u(n), ue(v),
// se(v), rbsp_trailing_bits), NAL unit framing with emulation prevention (H.264 7.4.1,
// HEVC 7.4.2: 0x000003 before any 0x0000 followed by 0x00..0x03), and a reader over an RBSP
// already unescaped. Reads past the end yield zeros and set overrun(), so a truncated header is
// detected once instead of at every read.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace v4l2emu::libav {

class BitWriter {
public:
	explicit BitWriter(std::vector<uint8_t> &out) : out_(out) {}

	void bits(uint64_t value, unsigned count)
	{
		while (count--)
			bit((value >> count) & 1);
	}
	void bit(bool b)
	{
		cur_ = static_cast<uint8_t>((cur_ << 1) | (b ? 1 : 0));
		if (++fill_ == 8) {
			out_.push_back(cur_);
			cur_ = 0;
			fill_ = 0;
		}
	}
	void flag(bool b) { bit(b); }
	/// ue(v): Exp-Golomb (H.264 9.1, HEVC 9.2).
	void ue(uint32_t value)
	{
		uint64_t v = static_cast<uint64_t>(value) + 1;
		unsigned len = 0;
		while ((v >> len) > 1)
			len++;
		bits(0, len);
		bits(v, len + 1);
	}
	/// se(v): k > 0 maps to 2k - 1, k <= 0 to -2k.
	void se(int32_t value)
	{
		int64_t v = value;
		ue(static_cast<uint32_t>(v > 0 ? 2 * v - 1 : -2 * v));
	}
	/// rbsp_trailing_bits(): a one, then zeros up to the byte boundary.
	void trailingBits()
	{
		bit(true);
		alignZero();
	}
	/// Zero bits up to the byte boundary.
	void alignZero()
	{
		while (fill_)
			bit(false);
	}
	bool aligned() const { return fill_ == 0; }
	/// A start code prefix 00 00 01 and its code byte, after zero bits to the byte boundary
	/// (MPEG-2 headers).
	void startCode(uint8_t code)
	{
		alignZero();
		out_.insert(out_.end(), {0x00, 0x00, 0x01, code});
	}
	/// Bits written so far (including those of the partial byte).
	size_t bitCount() const { return (out_.size() - base_) * 8 + fill_; }

private:
	std::vector<uint8_t> &out_;
	size_t base_ = out_.size();
	uint8_t cur_ = 0;
	unsigned fill_ = 0;
};

/// Appends a 4-byte Annex B start code and rbsp (header bytes included) with emulation
/// prevention bytes inserted.
inline void appendNal(std::vector<uint8_t> &out, const std::vector<uint8_t> &rbsp)
{
	static const uint8_t kStartCode[] = {0, 0, 0, 1};
	out.insert(out.end(), kStartCode, kStartCode + 4);
	unsigned zeros = 0;
	for (uint8_t b : rbsp) {
		if (zeros >= 2 && b <= 3) {
			out.push_back(3);
			zeros = 0;
		}
		out.push_back(b);
		zeros = b ? 0 : zeros + 1;
	}
	// A NAL unit may not end in 0x00 (the trailing bits end in a one, so only raw copies can).
	if (!rbsp.empty() && rbsp.back() == 0)
		out.push_back(3);
}

/// Appends a 4-byte Annex B start code and an already escaped NAL unit as it is.
inline void appendEscapedNal(std::vector<uint8_t> &out, const uint8_t *nal, size_t size)
{
	static const uint8_t kStartCode[] = {0, 0, 0, 1};
	out.insert(out.end(), kStartCode, kStartCode + 4);
	out.insert(out.end(), nal, nal + size);
}

/// The RBSP of an escaped NAL unit (header included): emulation prevention bytes dropped.
/// When map is given, map[i] is the offset in nal of rbsp byte i.
inline void unescapeNal(const uint8_t *nal, size_t size, std::vector<uint8_t> &rbsp,
			std::vector<uint32_t> *map = nullptr)
{
	rbsp.clear();
	if (map)
		map->clear();
	unsigned zeros = 0;
	for (size_t i = 0; i < size; i++) {
		uint8_t b = nal[i];
		if (zeros >= 2 && b == 3) {
			zeros = 0;
			continue;
		}
		rbsp.push_back(b);
		if (map)
			map->push_back(static_cast<uint32_t>(i));
		zeros = b ? 0 : zeros + 1;
	}
}

/// The first RBSP bytes of an escaped NAL unit into out (at most cap); returns how many.
inline size_t unescapePrefix(const uint8_t *nal, size_t size, uint8_t *out, size_t cap)
{
	size_t n = 0;
	unsigned zeros = 0;
	for (size_t i = 0; i < size && n < cap; i++) {
		uint8_t b = nal[i];
		if (zeros >= 2 && b == 3) {
			zeros = 0;
			continue;
		}
		out[n++] = b;
		zeros = b ? 0 : zeros + 1;
	}
	return n;
}

class BitReader {
public:
	BitReader(const uint8_t *data, size_t size) : data_(data), size_(size) {}

	uint32_t bits(unsigned count)
	{
		uint32_t v = 0;
		while (count--)
			v = (v << 1) | bit();
		return v;
	}
	uint32_t bit()
	{
		if (pos_ >= size_ * 8) {
			overrun_ = true;
			pos_++;
			return 0;
		}
		uint32_t b = (data_[pos_ / 8] >> (7 - pos_ % 8)) & 1;
		pos_++;
		return b;
	}
	bool flag() { return bit() != 0; }
	uint32_t ue()
	{
		unsigned zeros = 0;
		while (!bit()) {
			if (++zeros > 31 || overrun_) {
				overrun_ = true;
				return 0;
			}
		}
		return static_cast<uint32_t>(((uint64_t{1} << zeros) - 1) + bits(zeros));
	}
	int32_t se()
	{
		uint32_t k = ue();
		return (k & 1) ? static_cast<int32_t>((k + 1) / 2) : -static_cast<int32_t>(k / 2);
	}
	void skip(size_t count) { pos_ += count; overrun_ = overrun_ || pos_ > size_ * 8; }
	size_t position() const { return pos_; }
	bool overrun() const { return overrun_ || pos_ > size_ * 8; }

private:
	const uint8_t *data_;
	size_t size_;
	size_t pos_ = 0;
	bool overrun_ = false;
};

/// One NAL unit of an Annex B buffer, start code excluded.
struct NalSpan {
	const uint8_t *data = nullptr;
	size_t size = 0;
};

/// Splits an Annex B buffer at its start codes (00 00 01, with any leading zero bytes: the
/// zero_byte of 00 00 00 01 and trailing_zero_8bits belong to no NAL unit). Bytes before the
/// first start code are dropped. Returns false if the buffer holds no start code.
inline bool splitAnnexB(const uint8_t *data, size_t size, std::vector<NalSpan> &out)
{
	out.clear();
	size_t i = 0;
	auto findStart = [&](size_t from) -> size_t {
		for (size_t j = from; j + 2 < size; j++)
			if (data[j] == 0 && data[j + 1] == 0 && data[j + 2] == 1)
				return j;
		return size;
	};
	i = findStart(0);
	if (i == size)
		return false;
	while (i < size) {
		size_t begin = i + 3;
		size_t next = findStart(begin);
		size_t end = next;
		while (end > begin && data[end - 1] == 0)
			end--;
		if (end > begin)
			out.push_back({data + begin, end - begin});
		i = next;
	}
	return true;
}

} // namespace v4l2emu::libav
