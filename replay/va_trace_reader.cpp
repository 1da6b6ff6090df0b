// SPDX-License-Identifier: MIT
#include "va_trace_reader.h"

#include <cstdlib>

namespace v4l2va::test {

std::string vaTraceTrim(const std::string &s)
{
	size_t a = s.find_first_not_of(" \t");
	size_t b = s.find_last_not_of(" \t\r");
	return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

int64_t vaTraceNumber(const char *p, char **end)
{
	bool negative = *p == '-';
	const char *q = negative ? p + 1 : p;
	int base = q[0] == '0' && (q[1] == 'x' || q[1] == 'X') ? 16 : 10;
	unsigned long long v = strtoull(q, end, base);
	if (*end == q) {
		*end = const_cast<char *>(p);
		return 0;
	}
	return negative ? -static_cast<int64_t>(v) : static_cast<int64_t>(v);
}

namespace {

bool toInt(const std::string &s, int64_t *v)
{
	if (s.empty())
		return false;
	char *end = nullptr;
	*v = vaTraceNumber(s.c_str(), &end);
	return end != s.c_str() && (*end == '\0' || *end == ' ' || *end == '\t');
}

bool toHex(const std::string &s, int64_t *v)
{
	std::vector<int64_t> l;
	if (!vaTraceHexList(s, &l) || l.size() != 1)
		return false;
	*v = l[0];
	return true;
}

} // namespace

std::vector<int64_t> vaTraceNumbers(const std::string &text)
{
	std::vector<int64_t> out;
	const char *p = text.c_str();
	while (*p) {
		char *end = nullptr;
		int64_t v = vaTraceNumber(p, &end);
		if (end == p) {
			p++;
			continue;
		}
		out.push_back(v);
		p = end;
	}
	return out;
}

bool vaTraceHexList(const std::string &text, std::vector<int64_t> *out)
{
	out->clear();
	size_t i = 0;
	while (i < text.size()) {
		while (i < text.size() && strchr(" \t,[]", text[i]))
			i++;
		size_t start = i;
		while (i < text.size() && !strchr(" \t,[]", text[i]))
			i++;
		std::string t = text.substr(start, i - start);
		if (t.empty())
			break;
		if (t == "0x" || t == "0X")
			continue;	// "0x%2x" of a value below 16: "0x 5"
		if (t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X'))
			t = t.substr(2);
		if (t.size() > 16 || t.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
			return false;
		out->push_back(static_cast<int64_t>(strtoull(t.c_str(), nullptr, 16)));
	}
	return true;
}

VaTraceReader::VaTraceReader(const std::vector<std::string> &lines)
{
	for (const std::string &l : lines) {
		std::string t = vaTraceTrim(l);
		size_t eq = t.find('=');
		if (eq == std::string::npos)
			f_.push_back({"", t});
		else
			f_.push_back({vaTraceTrim(t.substr(0, eq)), vaTraceTrim(t.substr(eq + 1))});
	}
}

bool VaTraceReader::getText(const std::string &key, std::string *v)
{
	for (size_t i = pos_; i < f_.size(); i++)
		if (f_[i].key == key) {
			pos_ = i + 1;
			last_ = i;
			*v = f_[i].value;
			return true;
		}
	last_ = f_.size();
	return fail("field " + key + " missing");
}

bool VaTraceReader::get(const std::string &key, int64_t *v)
{
	std::string text;
	if (!getText(key, &text))
		return false;
	if (!toInt(text, v))
		return fail("field " + key + " is not a number: " + text);
	return true;
}

bool VaTraceReader::getHex(const std::string &key, int64_t *v)
{
	std::string text;
	if (!getText(key, &text))
		return false;
	if (!toHex(text, v))
		return fail("field " + key + " is not a hex number: " + text);
	return true;
}

bool VaTraceReader::next(int64_t *v)
{
	for (; pos_ < f_.size(); pos_++)
		if (!f_[pos_].key.empty()) {
			last_ = pos_;
			const Field &f = f_[pos_++];
			if (!toInt(f.value, v))
				return fail("field " + f.key + " is not a number: " + f.value);
			return true;
		}
	return fail("fewer fields than the struct has");
}

std::vector<std::string> VaTraceReader::entries()
{
	std::vector<std::string> out;
	last_ = pos_;
	while (pos_ < f_.size() && f_[pos_].key.empty()) {
		if (!f_[pos_].value.empty())
			out.push_back(f_[pos_].value);
		pos_++;
	}
	return out;
}

std::vector<int64_t> VaTraceReader::rows()
{
	std::string text;
	last_ = pos_;
	while (pos_ < f_.size() && f_[pos_].key.empty()) {
		text += " " + f_[pos_].value;
		pos_++;
	}
	// "{" / "}" of matrix braces are not numbers; vaTraceNumbers() skips them.
	return vaTraceNumbers(text);
}

bool VaTraceReader::skipToText(const std::string &text, std::string *rest)
{
	for (size_t i = pos_; i < f_.size(); i++)
		if (f_[i].key.empty() && f_[i].value.compare(0, text.size(), text) == 0) {
			pos_ = i + 1;
			if (rest)
				*rest = f_[i].value.substr(text.size());
			return true;
		}
	return fail(text + " missing");
}

bool VaTraceReader::skipTo(const std::string &key)
{
	for (size_t i = pos_; i < f_.size(); i++)
		if (f_[i].key == key) {
			pos_ = i + 1;
			return true;
		}
	return fail("field " + key + " missing");
}

bool VaTraceReader::fail(const std::string &m)
{
	if (error_.empty()) {
		error_ = m;
		// A bad value: its line; a missing field: where the search ended.
		errorIndex_ = last_ < f_.size() ? last_ : (f_.empty() ? 0 : f_.size() - 1);
	}
	return false;
}

} // namespace v4l2va::test
