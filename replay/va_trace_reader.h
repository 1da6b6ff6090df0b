// SPDX-License-Identifier: MIT
#pragma once

// What the per-codec buffer rebuilders share: a cursor over the printed lines of one buffer
// element ("key = value" fields, unlabelled rows and entries), libva's number spellings, and
// the table entry each codec file contributes (va_trace_buffers.cpp looks struct names up in
// the tables of every codec).

#include "va_trace_buffers.h"

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

namespace v4l2va::test {

std::string vaTraceTrim(const std::string &s);

/// Decimal, or hex with 0x (libva pads decimals with zeros: "00000008" is not octal).
int64_t vaTraceNumber(const char *p, char **end);
/// Every integer of a text, decimal or 0x-hex (matrix rows, weight rows).
std::vector<int64_t> vaTraceNumbers(const std::string &text);
/// Hex numbers with or without 0x, separated by spaces, tabs or commas; "0x 5" (libva's
/// "0x%2x") is 5. False on a token that is not hex.
bool vaTraceHexList(const std::string &text, std::vector<int64_t> *out);

class VaTraceReader {
public:
	explicit VaTraceReader(const std::vector<std::string> &lines);

	/// The value of a labelled field, searching forward from the cursor.
	bool get(const std::string &key, int64_t *v);
	/// Same, the value printed as hex without 0x ("%x", "%2x").
	bool getHex(const std::string &key, int64_t *v);
	/// The value text of a labelled field, searching forward.
	bool getText(const std::string &key, std::string *v);
	/// The next labelled field, whatever its label (MPEG-2's positional fields).
	bool next(int64_t *v);
	/// Keyless lines right after the cursor (reference entries), consumed.
	std::vector<std::string> entries();
	/// All integers from the cursor to the next labelled field.
	std::vector<int64_t> rows();
	/// Past the unlabelled line that starts with text; *rest is what follows it on the line.
	bool skipToText(const std::string &text, std::string *rest = nullptr);
	bool skipTo(const std::string &key);
	bool fail(const std::string &m);
	const std::string &error() const { return error_; }
	/// The line (index into the lines given) the first failure is about.
	size_t errorIndex() const { return errorIndex_; }

private:
	struct Field {
		std::string key, value;
	};
	std::vector<Field> f_;
	size_t pos_ = 0;
	std::string error_;
	size_t errorIndex_ = 0;
	size_t last_ = 0;	///< the field last read
};

template<typename T> std::vector<uint8_t> vaTraceBytesOf(const T &v)
{
	std::vector<uint8_t> out(sizeof(T));
	memcpy(out.data(), &v, sizeof(T));
	return out;
}

/// One struct a codec's rebuilder knows, by the name libva prints before its fields.
struct VaStructRebuilder {
	const char *structName;
	/// size: the buffer's element size (a struct's extended variants differ by size).
	bool (*rebuild)(VaTraceReader &r, const SurfaceMap &map, uint32_t size, std::vector<uint8_t> *out);
};

std::span<const VaStructRebuilder> vaTraceMpeg2Rebuilders();
std::span<const VaStructRebuilder> vaTraceH264Rebuilders();
std::span<const VaStructRebuilder> vaTraceHevcRebuilders();
std::span<const VaStructRebuilder> vaTraceVp8Rebuilders();
std::span<const VaStructRebuilder> vaTraceVp9Rebuilders();

} // namespace v4l2va::test
