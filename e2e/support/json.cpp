// SPDX-License-Identifier: MIT
#include "support/json.h"

#include <cstdlib>

namespace v4l2emu::e2e {

class JsonParser {
public:
	explicit JsonParser(std::string_view text) : text_(text) {}

	bool parseDocument(Json *out, std::string *error)
	{
		bool ok = value(out, 0);
		skipSpace();
		if (ok && pos_ != text_.size())
			ok = fail("trailing characters");
		if (!ok && error)
			*error = error_ + " at offset " + std::to_string(pos_);
		return ok;
	}

private:
	static constexpr int kMaxDepth = 64;

	bool fail(const std::string &why)
	{
		if (error_.empty())
			error_ = why;
		return false;
	}

	void skipSpace()
	{
		while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\n' ||
					       text_[pos_] == '\r' || text_[pos_] == '\t'))
			pos_++;
	}

	bool literal(std::string_view word)
	{
		if (text_.substr(pos_, word.size()) != word)
			return fail("unexpected token");
		pos_ += word.size();
		return true;
	}

	bool string(std::string *out)
	{
		if (pos_ >= text_.size() || text_[pos_] != '"')
			return fail("expected a string");
		pos_++;
		while (pos_ < text_.size() && text_[pos_] != '"') {
			char c = text_[pos_++];
			if (c != '\\') {
				*out += c;
				continue;
			}
			if (pos_ >= text_.size())
				return fail("unterminated escape");
			char e = text_[pos_++];
			switch (e) {
			case 'n': *out += '\n'; break;
			case 't': *out += '\t'; break;
			case 'r': *out += '\r'; break;
			case 'b': *out += '\b'; break;
			case 'f': *out += '\f'; break;
			case 'u': {
				if (pos_ + 4 > text_.size())
					return fail("short \\u escape");
				long code = strtol(std::string(text_.substr(pos_, 4)).c_str(), nullptr, 16);
				pos_ += 4;
				*out += code < 0x80 ? static_cast<char>(code) : '?';
				break;
			}
			default: *out += e; break;
			}
		}
		if (pos_ >= text_.size())
			return fail("unterminated string");
		pos_++;
		return true;
	}

	bool value(Json *out, int depth)
	{
		if (depth > kMaxDepth)
			return fail("nested too deeply");
		skipSpace();
		if (pos_ >= text_.size())
			return fail("unexpected end");
		char c = text_[pos_];
		if (c == '{') {
			out->type_ = Json::Type::Object;
			pos_++;
			skipSpace();
			if (pos_ < text_.size() && text_[pos_] == '}') {
				pos_++;
				return true;
			}
			for (;;) {
				skipSpace();
				std::string key;
				if (!string(&key))
					return false;
				skipSpace();
				if (pos_ >= text_.size() || text_[pos_] != ':')
					return fail("expected ':'");
				pos_++;
				if (!value(&out->members_[key], depth + 1))
					return false;
				skipSpace();
				if (pos_ < text_.size() && text_[pos_] == ',') {
					pos_++;
					continue;
				}
				if (pos_ < text_.size() && text_[pos_] == '}') {
					pos_++;
					return true;
				}
				return fail("expected ',' or '}'");
			}
		}
		if (c == '[') {
			out->type_ = Json::Type::Array;
			pos_++;
			skipSpace();
			if (pos_ < text_.size() && text_[pos_] == ']') {
				pos_++;
				return true;
			}
			for (;;) {
				out->items_.emplace_back();
				if (!value(&out->items_.back(), depth + 1))
					return false;
				skipSpace();
				if (pos_ < text_.size() && text_[pos_] == ',') {
					pos_++;
					continue;
				}
				if (pos_ < text_.size() && text_[pos_] == ']') {
					pos_++;
					return true;
				}
				return fail("expected ',' or ']'");
			}
		}
		if (c == '"') {
			out->type_ = Json::Type::String;
			return string(&out->text_);
		}
		if (c == 't' || c == 'f') {
			out->type_ = Json::Type::Bool;
			out->text_ = c == 't' ? "true" : "false";
			return literal(out->text_);
		}
		if (c == 'n') {
			out->type_ = Json::Type::Null;
			return literal("null");
		}
		size_t start = pos_;
		while (pos_ < text_.size() && (isdigit(static_cast<unsigned char>(text_[pos_])) ||
					       text_[pos_] == '-' || text_[pos_] == '+' ||
					       text_[pos_] == '.' || text_[pos_] == 'e' ||
					       text_[pos_] == 'E'))
			pos_++;
		if (start == pos_)
			return fail("unexpected character");
		out->type_ = Json::Type::Number;
		out->text_ = std::string(text_.substr(start, pos_ - start));
		return true;
	}

	std::string_view text_;
	size_t pos_ = 0;
	std::string error_;
};

bool Json::parse(std::string_view text, Json *out, std::string *error)
{
	Json parsed;
	JsonParser parser(text);
	if (!parser.parseDocument(&parsed, error))
		return false;
	*out = std::move(parsed);
	return true;
}

const Json &Json::operator[](const std::string &key) const
{
	static const Json kNull;
	auto it = members_.find(key);
	return it == members_.end() ? kNull : it->second;
}

bool Json::has(const std::string &key) const
{
	return members_.count(key) != 0;
}

uint64_t Json::u64() const
{
	if (type_ != Type::Number && type_ != Type::String)
		return 0;
	return strtoull(text_.c_str(), nullptr, 0);
}

long long Json::i64() const
{
	if (type_ != Type::Number)
		return 0;
	return strtoll(text_.c_str(), nullptr, 10);
}

} // namespace v4l2emu::e2e
