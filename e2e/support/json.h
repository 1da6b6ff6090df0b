// SPDX-License-Identifier: MIT
#pragma once

// A small JSON reader for the preload's V4L2EMU_SUMMARY files (objects, arrays, strings,
// numbers, booleans, null). Numbers keep their text so 64-bit values survive.

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace v4l2emu::e2e {

class Json {
public:
	enum class Type { Null, Bool, Number, String, Array, Object };

	/// Parses text; on failure returns false and says where in *error.
	static bool parse(std::string_view text, Json *out, std::string *error);

	Type type() const { return type_; }
	bool isObject() const { return type_ == Type::Object; }
	bool isArray() const { return type_ == Type::Array; }

	/// Member of an object (a Null value if absent or not an object).
	const Json &operator[](const std::string &key) const;
	bool has(const std::string &key) const;
	/// Elements of an array (empty if not an array).
	const std::vector<Json> &items() const { return items_; }

	std::string str() const { return type_ == Type::String ? text_ : std::string(); }
	uint64_t u64() const;	///< numbers, and strings such as "0x1f" (signatures)
	long long i64() const;
	bool boolean() const { return type_ == Type::Bool && text_ == "true"; }

private:
	friend class JsonParser;
	Type type_ = Type::Null;
	std::string text_;
	std::vector<Json> items_;
	std::map<std::string, Json> members_;
};

} // namespace v4l2emu::e2e
