// SPDX-License-Identifier: MIT
// The decode buffers of a LIBVA_TRACE log rebuilt as structs: each codec file
// (va_trace_buffers_<codec>.cpp) rebuilds the structs libva prints for it, by the name printed
// before the fields; slice data is rebuilt from the "0xOFFS: xx xx ..." rows of
// LIBVA_TRACE_BUFDATA. Surface ids go through `map` (trace id -> replay id).
#include "va_trace_reader.h"

#include <cstdlib>

namespace v4l2va::test {

namespace {

bool sliceData(const std::vector<std::string> &lines, uint32_t size, std::vector<uint8_t> *out,
	       std::string *problem, bool *missing)
{
	out->clear();
	for (const std::string &l : lines) {
		std::string t = vaTraceTrim(l);
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
			unsigned long b = strtoul(p, &end, 16);
			if (end == p || b > 255) {
				*problem = "bad slice data row: " + t.substr(0, 60);
				return false;
			}
			out->push_back(static_cast<uint8_t>(b));
			p = end;
		}
	}
	if (out->empty() && size) {
		*missing = true;
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
	if (b->type == VASliceDataBufferType)
		return sliceData(b->lines, b->size * b->numElements, &b->data, &b->problem, &b->dataMissing);
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
