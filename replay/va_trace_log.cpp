// SPDX-License-Identifier: MIT
// LIBVA_TRACE text -> VA calls. Every line libva writes starts "[SSSS.uuuuuu][ctx X]"; a call
// traced in detail opens with "==========va_TraceXxx", its argument lines follow, and
// "=========vaXxx ret = VA_STATUS_..., text" closes it. Calls libva does not detail have the
// status line only. Dumped arrays (scaling lists, slice data) continue on lines without the
// prefix. vaRenderPicture's block holds the buffers, with the trace's own vaBufferInfo /
// vaMapBuffer / vaUnmapBuffer status lines in between (not calls of the application).
#include "va_trace_log.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <tuple>

namespace v4l2va::test {

namespace {

struct Line {
	std::string text;	///< after the prefix
	std::string ctx;
	unsigned number = 0;
	double time = -1;	///< -1: a continuation line (no prefix)
};

bool parsePrefix(const std::string &raw, Line *out)
{
	// "[39125.224659][ctx       none]" or "[39125.229664][ctx 0x02010000]"
	if (raw.size() < 20 || raw[0] != '[')
		return false;
	size_t close = raw.find(']');
	if (close == std::string::npos || raw.compare(close + 1, 5, "[ctx ") != 0)
		return false;
	size_t end = raw.find(']', close + 1);
	if (end == std::string::npos)
		return false;
	// "%04d.%06d": digits and one dot only (strtod alone would take "nan" or "-1", and a NaN
	// time breaks the merge's ordering).
	if (close < 2 || raw.find_first_not_of("0123456789.", 1) != close)
		return false;
	char *stop = nullptr;
	out->time = strtod(raw.c_str() + 1, &stop);
	if (stop != raw.c_str() + close || !(out->time >= 0))
		return false;
	std::string ctx = raw.substr(close + 6, end - close - 6);
	ctx.erase(0, ctx.find_first_not_of(' '));
	out->ctx = ctx;
	out->text = raw.substr(end + 1);
	return true;
}

struct FileCalls {
	std::string file;
	std::vector<std::pair<double, VaTraceCall>> calls;
};

std::string trim(const std::string &s)
{
	size_t a = s.find_first_not_of(" \t");
	size_t b = s.find_last_not_of(" \t\r");
	return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

/// "key = value" / "key= value" (MPEG-2 labels) / "key =" (a nested group follows).
bool splitField(const std::string &line, std::string *key, std::string *value)
{
	size_t eq = line.find('=');
	if (eq == std::string::npos || eq == 0)
		return false;
	*key = trim(line.substr(0, eq));
	*value = trim(line.substr(eq + 1));
	return !key->empty();
}

/// vaBufferTypeStr() names of the buffers a decoder receives.
const std::pair<const char *, VABufferType> kDecodeBufferTypes[] = {
	{"VAPictureParameterBufferType", VAPictureParameterBufferType},
	{"VAIQMatrixBufferType", VAIQMatrixBufferType},
	{"VASliceParameterBufferType", VASliceParameterBufferType},
	{"VASliceDataBufferType", VASliceDataBufferType},
	{"VAProbabilityBufferType", VAProbabilityBufferType},
	{"VAHuffmanTableBufferType", VAHuffmanTableBufferType},
};

/// The buffers of a vaRenderPicture block.
void parseBuffers(const std::vector<Line> &block, VaTraceCall *call)
{
	VaTraceBuffer *b = nullptr;
	bool inElement = false;
	for (const Line &l : block) {
		std::string t = trim(l.text);
		if (l.time >= 0 && t.compare(0, 9, "=========") == 0)
			continue;	// the trace's own vaBufferInfo/vaMapBuffer/vaUnmapBuffer
		if (t.compare(0, 8, "buffers[") == 0) {
			call->buffers.emplace_back();
			b = &call->buffers.back();
			b->line = l.number;
			// "buffers[i] = id"; a line without '=' names no ID (and c_str() + npos would
			// point outside the string).
			size_t eq = t.find('=');
			b->id = eq == std::string::npos ? 0 : static_cast<uint32_t>(strtoul(t.c_str() + eq + 1, nullptr, 0));
			inElement = false;
			continue;
		}
		if (!b || t.find_first_not_of('-') == std::string::npos)
			continue;
		std::string key, value;
		if (!inElement && splitField(t, &key, &value)) {
			if (key == "type") {
				b->type = VABufferTypeMax;	// not a decode buffer type
				for (const auto &[name, type] : kDecodeBufferTypes)
					if (value == name)
						b->type = type;
			} else if (key == "size") {
				b->size = static_cast<uint32_t>(strtoul(value.c_str(), nullptr, 0));
			} else if (key == "num_elements") {
				b->numElements = static_cast<uint32_t>(strtoul(value.c_str(), nullptr, 0));
			} else if (key.compare(0, 8, "element[") == 0) {
				// HEVC prints the struct name on the element line ("element[0] = VA...",
				// "element[0] = --VASliceDataBufferType"), the others on the next one.
				inElement = true;
				if (!value.empty())
					b->structName = value.compare(0, 2, "--") == 0 ? value.substr(2) : value;
			}
			continue;
		}
		if (!inElement)
			continue;
		if (b->structName.empty() && (t.compare(0, 2, "VA") == 0 || t.compare(0, 4, "--VA") == 0)) {
			b->structName = t.compare(0, 2, "--") == 0 ? t.substr(2) : t;
			continue;
		}
		b->lines.push_back(l.text);
		b->lineNumbers.push_back(l.number);
	}
}

/// Lines without the prefix continue a dump: BUFDATA rows ("\t\t0x0010: 8f 3a ..."), the
/// "--VASliceDataBufferType" heading of va_TraceVABuffers, rows of numbers (H.264's scaling
/// lists), or nothing.
bool continuation(const std::string &raw)
{
	std::string t = raw;
	t.erase(0, t.find_first_not_of(" \t"));
	while (!t.empty() && (t.back() == '\r' || t.back() == ' ' || t.back() == '\t'))
		t.pop_back();
	if (t.empty() || t.compare(0, 2, "--") == 0 || t.find_first_not_of("0123456789-,{} \t") == std::string::npos)
		return true;
	size_t colon = t.find(':');
	return t.compare(0, 2, "0x") == 0 && colon != std::string::npos && colon > 2 &&
	       t.find_first_not_of("0123456789abcdefABCDEF", 2) == colon &&
	       t.find_first_not_of("0123456789abcdefABCDEF ", colon + 1) == std::string::npos;
}

bool readStream(std::istream &f, const std::string &path, FileCalls *out, VaTraceLog *log)
{
	out->file = path;
	std::vector<Line> block;
	bool inBlock = false;
	std::string blockName;
	unsigned blockLine = 0;
	double blockTime = 0;
	std::string raw;
	unsigned n = 0;
	while (std::getline(f, raw)) {
		n++;
		Line l;
		l.number = n;
		if (!parsePrefix(raw, &l)) {
			l.text = raw;	// continuation of the previous line's dump
			l.time = -1;
			if (!continuation(raw)) {
				log->problems.push_back({path, n, "garbled line (no [time][ctx] prefix, not a dump row): " +
								  raw.substr(0, 80)});
				continue;
			}
		}
		if (l.time >= 0 && l.text.compare(0, 18, "==========va_Trace") == 0) {
			if (inBlock)
				log->problems.push_back({path, blockLine, blockName + ": no status line before the next call"});
			inBlock = true;
			blockName = "va" + l.text.substr(18);
			blockLine = n;
			blockTime = l.time;
			block.clear();
			continue;
		}
		if (l.time >= 0 && l.text.compare(0, 11, "=========va") == 0) {
			size_t ret = l.text.find(" ret = ");
			if (ret == std::string::npos) {
				log->problems.push_back({path, n, "malformed status line"});
				continue;
			}
			std::string name = l.text.substr(9, ret - 9);
			std::string statusName = l.text.substr(ret + 7);
			statusName = statusName.substr(0, statusName.find(','));
			if (inBlock && name != blockName) {
				block.push_back(l);	// the trace's own calls inside the block
				continue;
			}
			VaTraceCall c;
			c.name = name;
			c.file = path;
			c.line = n;
			c.context = l.ctx;
			if (!vaStatusByName(statusName, &c.status)) {
				log->problems.push_back({path, n, "unknown status " + statusName});
				c.status = VA_STATUS_ERROR_UNKNOWN;
			}
			double t = l.time;
			if (inBlock) {
				c.detailed = true;
				t = blockTime;
				for (const Line &b : block) {
					std::string key, value;
					if (b.time >= 0 && splitField(b.text, &key, &value))
						c.fields.emplace_back(key, value);
				}
				if (name == "vaRenderPicture")
					parseBuffers(block, &c);
				inBlock = false;
			}
			out->calls.emplace_back(t, std::move(c));
			continue;
		}
		if (inBlock)
			block.push_back(l);
		else if (l.time >= 0 && !trim(l.text).empty())
			log->problems.push_back({path, n, "text outside a call: " + l.text.substr(0, 80)});
	}
	if (inBlock)
		log->problems.push_back({path, blockLine, blockName + ": truncated (no status line)"});
	return true;
}

bool readFile(const std::string &path, FileCalls *out, VaTraceLog *log)
{
	std::ifstream f(path);
	if (!f) {
		log->problems.push_back({path, 0, "cannot open"});
		return false;
	}
	return readStream(f, path, out, log);
}

void merge(std::vector<FileCalls> &all, VaTraceLog *log)
{
	// One timeline: calls ordered by when they started (ties keep file order).
	std::vector<std::tuple<double, size_t, size_t>> order;
	for (size_t f = 0; f < all.size(); f++)
		for (size_t c = 0; c < all[f].calls.size(); c++)
			order.emplace_back(all[f].calls[c].first, f, c);
	std::stable_sort(order.begin(), order.end(),
			 [](const auto &a, const auto &b) { return std::get<0>(a) < std::get<0>(b); });
	for (const auto &[t, f, c] : order)
		log->calls.push_back(std::move(all[f].calls[c].second));
}

} // namespace

std::string VaTraceCall::field(const std::string &key, unsigned nth) const
{
	for (const auto &[k, v] : fields)
		if (k == key && nth-- == 0)
			return v;
	return {};
}

uint64_t VaTraceCall::number(const std::string &key, unsigned nth) const
{
	return strtoull(field(key, nth).c_str(), nullptr, 0);
}

bool vaStatusByName(const std::string &name, VAStatus *status)
{
#define S(n) {#n, n}
	static const std::pair<const char *, VAStatus> kStatus[] = {
		S(VA_STATUS_SUCCESS), S(VA_STATUS_ERROR_OPERATION_FAILED),
		S(VA_STATUS_ERROR_ALLOCATION_FAILED), S(VA_STATUS_ERROR_INVALID_DISPLAY),
		S(VA_STATUS_ERROR_INVALID_CONFIG), S(VA_STATUS_ERROR_INVALID_CONTEXT),
		S(VA_STATUS_ERROR_INVALID_SURFACE), S(VA_STATUS_ERROR_INVALID_BUFFER),
		S(VA_STATUS_ERROR_INVALID_IMAGE), S(VA_STATUS_ERROR_INVALID_SUBPICTURE),
		S(VA_STATUS_ERROR_ATTR_NOT_SUPPORTED), S(VA_STATUS_ERROR_MAX_NUM_EXCEEDED),
		S(VA_STATUS_ERROR_UNSUPPORTED_PROFILE), S(VA_STATUS_ERROR_UNSUPPORTED_ENTRYPOINT),
		S(VA_STATUS_ERROR_UNSUPPORTED_RT_FORMAT), S(VA_STATUS_ERROR_UNSUPPORTED_BUFFERTYPE),
		S(VA_STATUS_ERROR_SURFACE_BUSY), S(VA_STATUS_ERROR_FLAG_NOT_SUPPORTED),
		S(VA_STATUS_ERROR_INVALID_PARAMETER), S(VA_STATUS_ERROR_RESOLUTION_NOT_SUPPORTED),
		S(VA_STATUS_ERROR_UNIMPLEMENTED), S(VA_STATUS_ERROR_SURFACE_IN_DISPLAYING),
		S(VA_STATUS_ERROR_INVALID_IMAGE_FORMAT), S(VA_STATUS_ERROR_DECODING_ERROR),
		S(VA_STATUS_ERROR_ENCODING_ERROR), S(VA_STATUS_ERROR_INVALID_VALUE),
		S(VA_STATUS_ERROR_UNSUPPORTED_FILTER), S(VA_STATUS_ERROR_INVALID_FILTER_CHAIN),
		S(VA_STATUS_ERROR_HW_BUSY), S(VA_STATUS_ERROR_UNSUPPORTED_MEMORY_TYPE),
		S(VA_STATUS_ERROR_NOT_ENOUGH_BUFFER), S(VA_STATUS_ERROR_TIMEDOUT),
		S(VA_STATUS_ERROR_UNKNOWN),
	};
#undef S
	for (const auto &[n, v] : kStatus)
		if (name == n) {
			*status = v;
			return true;
		}
	return false;
}

bool readVaTrace(const std::vector<std::string> &files, VaTraceLog *log)
{
	std::vector<FileCalls> all(files.size());
	bool any = false;
	for (size_t i = 0; i < files.size(); i++)
		any |= readFile(files[i], &all[i], log);
	merge(all, log);
	return any && !log->calls.empty();
}

bool readVaTraceText(std::istream &in, const std::string &name, VaTraceLog *log)
{
	std::vector<FileCalls> all(1);
	readStream(in, name, &all[0], log);
	merge(all, log);
	return !log->calls.empty();
}

std::vector<std::string> vaTraceFiles(const std::string &base)
{
	size_t slash = base.rfind('/');
	std::string dir = slash == std::string::npos ? "." : base.substr(0, slash);
	std::string prefix = (slash == std::string::npos ? base : base.substr(slash + 1)) + ".";
	std::vector<std::string> out;
	if (DIR *d = opendir(dir.c_str())) {
		while (struct dirent *e = readdir(d))
			if (strncmp(e->d_name, prefix.c_str(), prefix.size()) == 0)
				out.push_back(dir + "/" + e->d_name);
		closedir(d);
	}
	std::sort(out.begin(), out.end());
	return out;
}

} // namespace v4l2va::test
