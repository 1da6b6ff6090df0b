// SPDX-License-Identifier: MIT
#include "digest.h"

#include <array>
#include <cstring>

namespace v4l2emu::trace {

namespace {

constexpr std::array<uint32_t, 64> kRound = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
	0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
	0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
	0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
	0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
	0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
	0xc67178f2,
};

uint32_t rotr(uint32_t x, unsigned n) { return x >> n | x << (32 - n); }

void compress(std::array<uint32_t, 8> &h, const uint8_t *block)
{
	uint32_t w[64];
	for (int i = 0; i < 16; i++)
		w[i] = uint32_t(block[4 * i]) << 24 | uint32_t(block[4 * i + 1]) << 16 |
		       uint32_t(block[4 * i + 2]) << 8 | block[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
	for (int i = 0; i < 64; i++) {
		uint32_t t1 = k + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) +
			      kRound[i] + w[i];
		uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
		k = g;
		g = f;
		f = e;
		e = d + t1;
		d = c;
		c = b;
		b = a;
		a = t1 + t2;
	}
	h[0] += a; h[1] += b; h[2] += c; h[3] += d;
	h[4] += e; h[5] += f; h[6] += g; h[7] += k;
}

} // namespace

std::string sha256Hex(const void *data, size_t size)
{
	std::array<uint32_t, 8> h = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
				     0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
	const auto *p = static_cast<const uint8_t *>(data);
	size_t full = size / 64;
	for (size_t i = 0; i < full; i++)
		compress(h, p + 64 * i);
	// Padding: 0x80, zeros, the bit length big-endian in the last 8 bytes.
	uint8_t tail[128] = {};
	size_t rest = size % 64;
	if (rest)
		memcpy(tail, p + 64 * full, rest);
	tail[rest] = 0x80;
	size_t tailLen = rest < 56 ? 64 : 128;
	uint64_t bits = static_cast<uint64_t>(size) * 8;
	for (int i = 0; i < 8; i++)
		tail[tailLen - 1 - i] = static_cast<uint8_t>(bits >> (8 * i));
	for (size_t off = 0; off < tailLen; off += 64)
		compress(h, tail + off);
	uint8_t out[32];
	for (int i = 0; i < 8; i++)
		for (int j = 0; j < 4; j++)
			out[4 * i + j] = static_cast<uint8_t>(h[i] >> (24 - 8 * j));
	return toHex(out, sizeof(out));
}

uint32_t crc32(const void *data, size_t size, uint32_t crc)
{
	static const std::array<uint32_t, 256> table = [] {
		std::array<uint32_t, 256> t{};
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;
			for (int k = 0; k < 8; k++)
				c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
			t[i] = c;
		}
		return t;
	}();
	const auto *p = static_cast<const uint8_t *>(data);
	crc = ~crc;
	for (size_t i = 0; i < size; i++)
		crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
	return ~crc;
}

std::string toHex(const void *data, size_t size)
{
	static const char digits[] = "0123456789abcdef";
	const auto *p = static_cast<const uint8_t *>(data);
	std::string out(size * 2, '0');
	for (size_t i = 0; i < size; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	return out;
}

bool fromHex(const std::string &hex, std::string *out)
{
	if (hex.size() % 2)
		return false;
	auto digit = [](char c) {
		if (c >= '0' && c <= '9')
			return c - '0';
		if (c >= 'a' && c <= 'f')
			return c - 'a' + 10;
		if (c >= 'A' && c <= 'F')
			return c - 'A' + 10;
		return -1;
	};
	out->assign(hex.size() / 2, '\0');
	for (size_t i = 0; i < out->size(); i++) {
		int hi = digit(hex[2 * i]), lo = digit(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		(*out)[i] = static_cast<char>(hi << 4 | lo);
	}
	return true;
}

std::string toBase64(const void *data, size_t size)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const auto *p = static_cast<const uint8_t *>(data);
	std::string out;
	out.reserve((size + 2) / 3 * 4);
	for (size_t i = 0; i < size; i += 3) {
		uint32_t v = uint32_t(p[i]) << 16;
		if (i + 1 < size)
			v |= uint32_t(p[i + 1]) << 8;
		if (i + 2 < size)
			v |= p[i + 2];
		out += alphabet[(v >> 18) & 63];
		out += alphabet[(v >> 12) & 63];
		out += i + 1 < size ? alphabet[(v >> 6) & 63] : '=';
		out += i + 2 < size ? alphabet[v & 63] : '=';
	}
	return out;
}

bool fromBase64(const std::string &text, std::string *out)
{
	auto value = [](char c) {
		if (c >= 'A' && c <= 'Z')
			return c - 'A';
		if (c >= 'a' && c <= 'z')
			return c - 'a' + 26;
		if (c >= '0' && c <= '9')
			return c - '0' + 52;
		if (c == '+')
			return 62;
		if (c == '/')
			return 63;
		return -1;
	};
	if (text.size() % 4)
		return false;
	out->clear();
	out->reserve(text.size() / 4 * 3);
	for (size_t i = 0; i < text.size(); i += 4) {
		int v[4];
		int pad = 0;
		for (int k = 0; k < 4; k++) {
			char c = text[i + k];
			if (c == '=' && i + 4 == text.size() && k >= 2) {
				v[k] = 0;
				pad++;
				continue;
			}
			if (pad || (v[k] = value(c)) < 0)
				return false;
		}
		uint32_t n = uint32_t(v[0]) << 18 | uint32_t(v[1]) << 12 | uint32_t(v[2]) << 6 | uint32_t(v[3]);
		*out += static_cast<char>(n >> 16);
		if (pad < 2)
			*out += static_cast<char>((n >> 8) & 0xff);
		if (pad < 1)
			*out += static_cast<char>(n & 0xff);
	}
	return true;
}

} // namespace v4l2emu::trace
