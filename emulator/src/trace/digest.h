// SPDX-License-Identifier: MIT
#pragma once

// Content digests for the native trace: SHA-256 names the side files (blobs/sha256/<hex>),
// CRC-32 (IEEE, as zlib) summarises CAPTURE planes.

#include <cstddef>
#include <cstdint>
#include <string>

namespace v4l2emu::trace {

/// Lower-case hex SHA-256 of data (FIPS 180-4).
std::string sha256Hex(const void *data, size_t size);
uint32_t crc32(const void *data, size_t size, uint32_t crc = 0);

std::string toHex(const void *data, size_t size);
/// Decodes hex (even length, [0-9a-fA-F]); false on anything else.
bool fromHex(const std::string &hex, std::string *out);
/// RFC 4648 base64 with padding.
std::string toBase64(const void *data, size_t size);
bool fromBase64(const std::string &text, std::string *out);

} // namespace v4l2emu::trace
