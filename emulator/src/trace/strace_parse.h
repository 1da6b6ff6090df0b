// SPDX-License-Identifier: MIT
#pragma once

// strace's value grammar (shared/spec/traces.md §1, §7.1): structs {k=v, ...}, arrays [...],
// C string literals with "..." truncation, flag expressions A|B|0x10, verbose terms
// `N /* NAME */`, v4l2_fourcc(...), KERNEL_VERSION(...), CLASS+0xN, _IOC(...), "=>" for values
// the call changed, -y decorations N</path<char 1:3>>; and one line's syscall: name, arguments,
// result, errno and the text after it.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace v4l2emu::trace {

struct SMember;

struct SValue {
	enum class Kind : uint8_t { Int, Str, Struct, Array, Ellipsis, Symbol };
	Kind kind = Kind::Int;
	uint64_t num = 0;
	bool known = true;		///< Int: every name in the expression was resolved
	std::string str;		///< Str bytes; Symbol: the unresolved text
	bool truncated = false;		///< Str followed by "..."
	std::string fdPath;		///< -y decoration
	std::vector<SMember> members;	///< Struct ("" key if none)
	std::vector<SValue> items;	///< Array
	std::shared_ptr<SValue> after;	///< "=> value": what the call wrote back

	const SValue *member(std::string_view key) const;
	bool isInt() const { return kind == Kind::Int && known; }
};

// A named struct member. Not a std::pair: pair<string, SValue> needs SValue complete where
// SValue's own members are declared, which libstdc++ accepts only under gcc.
struct SMember {
	std::string key;
	SValue value;
};

struct SyscallLine {
	std::string name;
	std::vector<SValue> args;
	bool resultUnknown = false;	///< "= ?"
	int64_t ret = 0;
	std::string retFdPath;		///< -y decoration of a returned fd
	int error = 0;			///< positive errno (name or "(errno N)")
	std::string errorName;
	std::vector<SValue> aux;	///< "(...)" groups after the result, parsed as values
	std::vector<std::string> auxText;	///< the same groups as text
	double duration = -1;		///< -T
};

/// Parses "name(args) = result ..." (prefix already removed). False with *error (and the
/// column in it) on anything malformed.
bool parseSyscall(std::string_view body, SyscallLine *out, std::string *error);

/// Parses one value (for tests and for aux text).
bool parseValue(std::string_view text, SValue *out, std::string *error);

/// Line prefix: "[pid N] ", "N " (strace -f -o), timestamps (-t, -tt, -ttt, -r).
struct LinePrefix {
	int tid = 0;
	double time = 0;
	size_t bodyOffset = 0;
};
LinePrefix splitPrefix(std::string_view line);

/// ANSI SGR sequences removed (strace --color).
std::string stripAnsi(std::string_view line);

} // namespace v4l2emu::trace
