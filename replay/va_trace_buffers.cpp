// SPDX-License-Identifier: MIT
// The decode buffers of a LIBVA_TRACE log rebuilt as structs: each codec file
// (va_trace_buffers_<codec>.cpp) rebuilds the structs libva prints for it, by the name printed
// before the fields; slice data is rebuilt from the "0xOFFS: xx xx ..." rows of
// LIBVA_TRACE_BUFDATA. Surface ids go through `map` (trace id -> replay id).
#include "va_trace_reader.h"

#include <cstdlib>

namespace v4l2va::test {

namespace {

constexpr uint64_t kMaxBufferBytes = 64u << 20;

bool sliceData(VaTraceBuffer *b)
{
	const uint32_t size = b->size * b->numElements;
	std::vector<uint8_t> *out = &b->data;
	std::string *problem = &b->problem;
	out->clear();
	for (size_t i = 0; i < b->lines.size(); i++) {
		std::string t = vaTraceTrim(b->lines[i]);
		size_t colon = t.find(':');
		if (t.compare(0, 2, "0x") != 0 || colon == std::string::npos)
			continue;
		const char *p = t.c_str() + colon + 1;
		for (;;) {
			while (*p == ' ')
				p++;
			if (!*p)
				break;
			char *end = nullptr;
			unsigned long v = strtoul(p, &end, 16);
			if (end == p || v > 255) {
				*problem = "bad slice data row: " + t.substr(0, 60);
				b->problemLine = i < b->lineNumbers.size() ? b->lineNumbers[i] : b->line;
				return false;
			}
			out->push_back(static_cast<uint8_t>(v));
			p = end;
		}
	}
	if (out->empty() && size) {
		b->dataMissing = true;
		*problem = "the log holds none of the slice data's " + std::to_string(size) +
			   " bytes (LIBVA_TRACE_BUFDATA off, or libva 2.17's VP8 tracer, which prints none)";
		return false;
	}
	if (out->size() != size) {
		*problem = "slice data has " + std::to_string(out->size()) + " bytes, the buffer " +
			   std::to_string(size) + " (LIBVA_TRACE_BUFDATA missing?)";
		return false;
	}
	return true;
}

const VaStructRebuilder *find(const std::string &name)
{
	const std::span<const VaStructRebuilder> codecs[] = {
		vaTraceMpeg2Rebuilders(), vaTraceH264Rebuilders(), vaTraceHevcRebuilders(),
		vaTraceVp8Rebuilders(), vaTraceVp9Rebuilders(),
	};
	for (std::span<const VaStructRebuilder> c : codecs)
		for (const VaStructRebuilder &r : c)
			if (name == r.structName)
				return &r;
	return nullptr;
}

} // namespace

bool rebuildBuffer(VaTraceBuffer *b, const SurfaceMap &map)
{
	b->data.clear();
	b->problem.clear();
	b->dataMissing = false;
	if (b->numElements != 1 && b->type != VASliceDataBufferType) {
		b->problem = "buffers of several elements are not rebuilt";
		return false;
	}
	// A garbled size must not make a buffer the driver would read past.
	if (static_cast<uint64_t>(b->size) * b->numElements > kMaxBufferBytes) {
		b->problem = "buffer of " + std::to_string(b->size) + " x " + std::to_string(b->numElements) +
			     " bytes: larger than any decode buffer";
		return false;
	}
	if (b->type == VASliceDataBufferType) {
		if (sliceData(b))
			return true;
		b->data.clear();
		return false;
	}
	const std::string &n = b->structName;
	const VaStructRebuilder *rebuilder = find(n);
	if (!rebuilder) {
		b->problem = "no rebuilder for " + (n.empty() ? std::string("an unnamed buffer") : n);
		return false;
	}
	VaTraceReader r(b->lines);
	bool ok = rebuilder->rebuild(r, map, b->size, &b->data);
	if (!ok) {
		b->problem = n + ": " + r.error();
		size_t at = r.errorIndex();
		b->problemLine = at < b->lineNumbers.size() ? b->lineNumbers[at] : b->line;
		b->data.clear();
		return false;
	}
	if (b->data.size() != b->size) {
		b->problem = n + ": rebuilt " + std::to_string(b->data.size()) + " bytes, the trace says " +
			     std::to_string(b->size);
		b->data.clear();
		return false;
	}
	return true;
}

} // namespace v4l2va::test
