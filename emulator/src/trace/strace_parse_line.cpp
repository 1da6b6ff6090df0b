// SPDX-License-Identifier: MIT
// What comes before a syscall on a strace line: pid prefixes, timestamps, colour codes.
#include "strace_parse.h"

#include <cctype>
#include <cstdlib>

namespace v4l2emu::trace {

LinePrefix splitPrefix(std::string_view line)
{
	LinePrefix out;
	size_t p = 0;
	auto digits = [&](size_t from) {
		size_t q = from;
		while (q < line.size() && isdigit(static_cast<unsigned char>(line[q])))
			q++;
		return q;
	};
	if (line.substr(0, 5) == "[pid ") {
		size_t q = 5;
		while (q < line.size() && line[q] == ' ')
			q++;
		size_t end = digits(q);
		out.tid = atoi(std::string(line.substr(q, end - q)).c_str());
		size_t close = line.find(']', end);
		p = close == std::string_view::npos ? end : close + 1;
	} else {
		size_t end = digits(0);
		// "-f -o file": the tid, then spaces (a -ttt time has a '.', -t a ':').
		if (end > 0 && end < line.size() && line[end] == ' ') {
			out.tid = atoi(std::string(line.substr(0, end)).c_str());
			p = end;
		} else if (end > 0 && end < line.size() && line[end] == '<') {
			// -Y / --decode-pids=comm: "123<ffmpeg> ".
			out.tid = atoi(std::string(line.substr(0, end)).c_str());
			size_t close = line.find('>', end);
			p = close == std::string_view::npos ? end : close + 1;
		}
	}
	while (p < line.size() && line[p] == ' ')
		p++;
	// Timestamps: HH:MM:SS[.frac] (-t, -tt), SEC.frac (-ttt, -r).
	size_t a = digits(p);
	if (a > p && a < line.size() && line[a] == ':') {
		size_t b = digits(a + 1);
		if (b < line.size() && line[b] == ':') {
			size_t c = digits(b + 1);
			double frac = 0;
			size_t end = c;
			if (c < line.size() && line[c] == '.') {
				end = digits(c + 1);
				frac = strtod(std::string(line.substr(c, end - c)).c_str(), nullptr);
			}
			if (end < line.size() && line[end] == ' ') {
				out.time = atoi(std::string(line.substr(p, a - p)).c_str()) * 3600.0 +
					   atoi(std::string(line.substr(a + 1, b - a - 1)).c_str()) * 60.0 +
					   atoi(std::string(line.substr(b + 1, c - b - 1)).c_str()) + frac;
				p = end;
			}
		}
	} else if (a > p && a < line.size() && line[a] == '.') {
		size_t end = digits(a + 1);
		if (end < line.size() && line[end] == ' ') {
			out.time = strtod(std::string(line.substr(p, end - p)).c_str(), nullptr);
			p = end;
		}
	}
	while (p < line.size() && line[p] == ' ')
		p++;
	out.bodyOffset = p;
	return out;
}

std::string stripAnsi(std::string_view line)
{
	std::string out;
	out.reserve(line.size());
	for (size_t i = 0; i < line.size(); i++) {
		if (line[i] == '\x1b' && i + 1 < line.size() && line[i + 1] == '[') {
			size_t j = i + 2;
			while (j < line.size() && !isalpha(static_cast<unsigned char>(line[j])))
				j++;
			i = j;
			continue;
		}
		out += line[i];
	}
	return out;
}

} // namespace v4l2emu::trace
