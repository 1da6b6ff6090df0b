// SPDX-License-Identifier: MIT
#pragma once

// A small JSON value for the native trace format: objects keep their key order (so a file
// written twice is byte-identical), integers keep 64 bits exactly, and parsing never throws
// (errors are values with a byte position).

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace v4l2emu::trace {

class Json {
public:
	enum class Type : uint8_t { Null, Bool, Int, Uint, Double, String, Array, Object };

	Json() = default;
	static Json null() { return {}; }
	static Json boolean(bool b);
	static Json integer(int64_t v);
	static Json unsignedInteger(uint64_t v);
	static Json number(double v);
	static Json string(std::string s);
	static Json array();
	static Json object();

	Type type() const { return type_; }
	bool isNull() const { return type_ == Type::Null; }
	bool isString() const { return type_ == Type::String; }
	bool isArray() const { return type_ == Type::Array; }
	bool isObject() const { return type_ == Type::Object; }
	bool isInteger() const { return type_ == Type::Int || type_ == Type::Uint; }
	bool isNumber() const { return isInteger() || type_ == Type::Double; }

	bool asBool() const { return type_ == Type::Bool && int_ != 0; }
	/// Integers as two's complement 64-bit; doubles truncated; anything else 0.
	uint64_t asU64() const;
	int64_t asI64() const { return static_cast<int64_t>(asU64()); }
	double asDouble() const;
	const std::string &asString() const { return str_; }

	// Arrays
	void push(Json v);
	size_t size() const { return items_.size(); }
	const Json &at(size_t i) const;
	// Objects (arrays of key/value pairs in insertion order)
	Json &set(std::string key, Json v);
	/// The member, or a null value.
	const Json &get(std::string_view key) const;
	bool has(std::string_view key) const;
	const std::vector<std::pair<std::string, Json>> &members() const;

	/// Compact text, keys in insertion order.
	std::string dump() const;
	void dumpTo(std::string *out) const;

	/// Parses one JSON value (surrounding whitespace allowed). Returns false with a message
	/// and byte offset on malformed input.
	static bool parse(std::string_view text, Json *out, std::string *error);

private:
	Type type_ = Type::Null;
	uint64_t int_ = 0;
	double dbl_ = 0;
	std::string str_;
	std::vector<Json> items_;
	std::vector<std::pair<std::string, Json>> members_;
};

/// Appends s as a JSON string literal.
void appendJsonString(std::string *out, std::string_view s);

} // namespace v4l2emu::trace
