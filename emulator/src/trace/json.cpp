// SPDX-License-Identifier: MIT
#include "json.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace v4l2emu::trace {

namespace {

const Json kNull;

class Parser {
public:
	explicit Parser(std::string_view t) : text_(t) {}

	bool parseDocument(Json *out, std::string *error)
	{
		skipSpace();
		if (!value(out, 0))
			return fail(error);
		skipSpace();
		if (pos_ != text_.size()) {
			message_ = "trailing characters";
			return fail(error);
		}
		return true;
	}

private:
	static constexpr int kMaxDepth = 64;

	bool fail(std::string *error)
	{
		if (error)
			*error = message_ + " at byte " + std::to_string(pos_);
		return false;
	}
	bool bad(const char *m)
	{
		message_ = m;
		return false;
	}
	void skipSpace()
	{
		while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
					       text_[pos_] == '\n' || text_[pos_] == '\r'))
			pos_++;
	}
	bool literal(std::string_view word)
	{
		if (text_.substr(pos_, word.size()) != word)
			return bad("unknown literal");
		pos_ += word.size();
		return true;
	}
	bool value(Json *out, int depth)
	{
		if (depth > kMaxDepth)
			return bad("nesting too deep");
		if (pos_ >= text_.size())
			return bad("unexpected end");
		char c = text_[pos_];
		switch (c) {
		case '{':
			return object(out, depth);
		case '[':
			return array(out, depth);
		case '"': {
			std::string s;
			if (!string(&s))
				return false;
			*out = Json::string(std::move(s));
			return true;
		}
		case 't':
			*out = Json::boolean(true);
			return literal("true");
		case 'f':
			*out = Json::boolean(false);
			return literal("false");
		case 'n':
			*out = Json::null();
			return literal("null");
		default:
			return number(out);
		}
	}
	bool object(Json *out, int depth)
	{
		pos_++;
		*out = Json::object();
		skipSpace();
		if (pos_ < text_.size() && text_[pos_] == '}') {
			pos_++;
			return true;
		}
		for (;;) {
			skipSpace();
			std::string key;
			if (pos_ >= text_.size() || text_[pos_] != '"')
				return bad("expected a key");
			if (!string(&key))
				return false;
			skipSpace();
			if (pos_ >= text_.size() || text_[pos_] != ':')
				return bad("expected ':'");
			pos_++;
			skipSpace();
			Json v;
			if (!value(&v, depth + 1))
				return false;
			out->set(std::move(key), std::move(v));
			skipSpace();
			if (pos_ < text_.size() && text_[pos_] == ',') {
				pos_++;
				continue;
			}
			if (pos_ < text_.size() && text_[pos_] == '}') {
				pos_++;
				return true;
			}
			return bad("expected ',' or '}'");
		}
	}
	bool array(Json *out, int depth)
	{
		pos_++;
		*out = Json::array();
		skipSpace();
		if (pos_ < text_.size() && text_[pos_] == ']') {
			pos_++;
			return true;
		}
		for (;;) {
			skipSpace();
			Json v;
			if (!value(&v, depth + 1))
				return false;
			out->push(std::move(v));
			skipSpace();
			if (pos_ < text_.size() && text_[pos_] == ',') {
				pos_++;
				continue;
			}
			if (pos_ < text_.size() && text_[pos_] == ']') {
				pos_++;
				return true;
			}
			return bad("expected ',' or ']'");
		}
	}
	static int hexDigit(char c)
	{
		if (c >= '0' && c <= '9')
			return c - '0';
		if (c >= 'a' && c <= 'f')
			return c - 'a' + 10;
		if (c >= 'A' && c <= 'F')
			return c - 'A' + 10;
		return -1;
	}
	bool hex4(unsigned *v)
	{
		if (pos_ + 4 > text_.size())
			return bad("short \\u escape");
		*v = 0;
		for (int i = 0; i < 4; i++) {
			int d = hexDigit(text_[pos_++]);
			if (d < 0)
				return bad("bad \\u escape");
			*v = *v << 4 | static_cast<unsigned>(d);
		}
		return true;
	}
	static void utf8(std::string *s, unsigned cp)
	{
		if (cp < 0x80) {
			*s += static_cast<char>(cp);
		} else if (cp < 0x800) {
			*s += static_cast<char>(0xc0 | cp >> 6);
			*s += static_cast<char>(0x80 | (cp & 0x3f));
		} else if (cp < 0x10000) {
			*s += static_cast<char>(0xe0 | cp >> 12);
			*s += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
			*s += static_cast<char>(0x80 | (cp & 0x3f));
		} else {
			*s += static_cast<char>(0xf0 | cp >> 18);
			*s += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
			*s += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
			*s += static_cast<char>(0x80 | (cp & 0x3f));
		}
	}
	bool string(std::string *s)
	{
		pos_++;
		for (;;) {
			if (pos_ >= text_.size())
				return bad("unterminated string");
			char c = text_[pos_++];
			if (c == '"')
				return true;
			if (static_cast<unsigned char>(c) < 0x20)
				return bad("control character in string");
			if (c != '\\') {
				*s += c;
				continue;
			}
			if (pos_ >= text_.size())
				return bad("unterminated escape");
			char e = text_[pos_++];
			switch (e) {
			case '"': *s += '"'; break;
			case '\\': *s += '\\'; break;
			case '/': *s += '/'; break;
			case 'b': *s += '\b'; break;
			case 'f': *s += '\f'; break;
			case 'n': *s += '\n'; break;
			case 'r': *s += '\r'; break;
			case 't': *s += '\t'; break;
			case 'u': {
				unsigned cp;
				if (!hex4(&cp))
					return false;
				if (cp >= 0xd800 && cp < 0xdc00 && text_.substr(pos_, 2) == "\\u") {
					pos_ += 2;
					unsigned lo;
					if (!hex4(&lo))
						return false;
					if (lo < 0xdc00 || lo >= 0xe000)
						return bad("bad surrogate pair");
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				}
				// The writer escapes single bytes as \u00XX: they come back as bytes.
				if (cp < 0x100)
					*s += static_cast<char>(cp);
				else
					utf8(s, cp);
				break;
			}
			default:
				return bad("unknown escape");
			}
		}
	}
	bool number(Json *out)
	{
		size_t start = pos_;
		bool negative = false;
		if (text_[pos_] == '-') {
			negative = true;
			pos_++;
		}
		size_t digits = pos_;
		while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9')
			pos_++;
		if (pos_ == digits)
			return bad("unexpected character");
		bool fraction = false;
		if (pos_ < text_.size() && (text_[pos_] == '.' || text_[pos_] == 'e' ||
					    text_[pos_] == 'E')) {
			fraction = true;
			pos_++;
			while (pos_ < text_.size() &&
			       ((text_[pos_] >= '0' && text_[pos_] <= '9') || text_[pos_] == 'e' ||
				text_[pos_] == 'E' || text_[pos_] == '+' || text_[pos_] == '-' ||
				text_[pos_] == '.'))
				pos_++;
		}
		std::string tok(text_.substr(start, pos_ - start));
		if (fraction) {
			char *end = nullptr;
			double d = strtod(tok.c_str(), &end);
			if (!end || *end)
				return bad("bad number");
			*out = Json::number(d);
			return true;
		}
		errno = 0;
		if (negative) {
			long long v = strtoll(tok.c_str(), nullptr, 10);
			if (errno)
				return bad("integer out of range");
			*out = Json::integer(v);
		} else {
			unsigned long long v = strtoull(tok.c_str(), nullptr, 10);
			if (errno)
				return bad("integer out of range");
			*out = Json::unsignedInteger(v);
		}
		return true;
	}

	std::string_view text_;
	size_t pos_ = 0;
	std::string message_;
};

} // namespace

Json Json::boolean(bool b)
{
	Json j;
	j.type_ = Type::Bool;
	j.int_ = b;
	return j;
}

Json Json::integer(int64_t v)
{
	Json j;
	j.type_ = v < 0 ? Type::Int : Type::Uint;
	j.int_ = static_cast<uint64_t>(v);
	return j;
}

Json Json::unsignedInteger(uint64_t v)
{
	Json j;
	j.type_ = Type::Uint;
	j.int_ = v;
	return j;
}

Json Json::number(double v)
{
	Json j;
	j.type_ = Type::Double;
	j.dbl_ = v;
	return j;
}

Json Json::string(std::string s)
{
	Json j;
	j.type_ = Type::String;
	j.str_ = std::move(s);
	return j;
}

Json Json::array()
{
	Json j;
	j.type_ = Type::Array;
	return j;
}

Json Json::object()
{
	Json j;
	j.type_ = Type::Object;
	return j;
}

uint64_t Json::asU64() const
{
	if (type_ == Type::Int || type_ == Type::Uint || type_ == Type::Bool)
		return int_;
	if (type_ == Type::Double && std::isfinite(dbl_))
		return static_cast<uint64_t>(static_cast<int64_t>(dbl_));
	return 0;
}

double Json::asDouble() const
{
	if (type_ == Type::Double)
		return dbl_;
	if (type_ == Type::Int)
		return static_cast<double>(static_cast<int64_t>(int_));
	if (type_ == Type::Uint)
		return static_cast<double>(int_);
	return 0;
}

void Json::push(Json v)
{
	items_.push_back(std::move(v));
}

const Json &Json::at(size_t i) const
{
	return i < items_.size() ? items_[i] : kNull;
}

Json &Json::set(std::string key, Json v)
{
	for (auto &m : members_)
		if (m.first == key) {
			m.second = std::move(v);
			return m.second;
		}
	members_.emplace_back(std::move(key), std::move(v));
	return members_.back().second;
}

const Json &Json::get(std::string_view key) const
{
	for (const auto &m : members_)
		if (m.first == key)
			return m.second;
	return kNull;
}

bool Json::has(std::string_view key) const
{
	for (const auto &m : members_)
		if (m.first == key)
			return true;
	return false;
}

const std::vector<std::pair<std::string, Json>> &Json::members() const
{
	return members_;
}

void appendJsonString(std::string *out, std::string_view s)
{
	*out += '"';
	for (unsigned char c : s) {
		switch (c) {
		case '"': *out += "\\\""; break;
		case '\\': *out += "\\\\"; break;
		case '\n': *out += "\\n"; break;
		case '\r': *out += "\\r"; break;
		case '\t': *out += "\\t"; break;
		default:
			if (c < 0x20 || c >= 0x7f) {
				// Bytes, not text: every non-ASCII byte is one code point, so any
				// byte string survives a round trip.
				char buf[8];
				snprintf(buf, sizeof(buf), "\\u%04x", c);
				*out += buf;
			} else {
				*out += static_cast<char>(c);
			}
		}
	}
	*out += '"';
}

void Json::dumpTo(std::string *out) const
{
	switch (type_) {
	case Type::Null:
		*out += "null";
		break;
	case Type::Bool:
		*out += int_ ? "true" : "false";
		break;
	case Type::Int:
		*out += std::to_string(static_cast<int64_t>(int_));
		break;
	case Type::Uint:
		*out += std::to_string(int_);
		break;
	case Type::Double: {
		char buf[32];
		snprintf(buf, sizeof(buf), "%.6f", dbl_);
		*out += buf;
		break;
	}
	case Type::String:
		appendJsonString(out, str_);
		break;
	case Type::Array:
		*out += '[';
		for (size_t i = 0; i < items_.size(); i++) {
			if (i)
				*out += ',';
			items_[i].dumpTo(out);
		}
		*out += ']';
		break;
	case Type::Object:
		*out += '{';
		for (size_t i = 0; i < members_.size(); i++) {
			if (i)
				*out += ',';
			appendJsonString(out, members_[i].first);
			*out += ':';
			members_[i].second.dumpTo(out);
		}
		*out += '}';
		break;
	}
}

std::string Json::dump() const
{
	std::string out;
	dumpTo(&out);
	return out;
}

bool Json::parse(std::string_view text, Json *out, std::string *error)
{
	Parser p(text);
	return p.parseDocument(out, error);
}

} // namespace v4l2emu::trace
