// SPDX-License-Identifier: MIT
#include "strace_parse.h"

#include "names.h"

#include <v4l2emu/ioctl_names.h>

#include <sys/ioctl.h>

#include <cctype>
#include <cstdlib>

namespace v4l2emu::trace {

namespace {

constexpr int kMaxDepth = 32;

bool isIdentStart(char c) { return isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool isIdent(char c) { return isalnum(static_cast<unsigned char>(c)) || c == '_'; }

class Parser {
public:
	explicit Parser(std::string_view s) : s_(s) {}

	size_t pos() const { return p_; }
	bool atEnd() const { return p_ >= s_.size(); }
	char peek(size_t ahead = 0) const { return p_ + ahead < s_.size() ? s_[p_ + ahead] : '\0'; }
	bool startsWith(std::string_view w) const { return s_.substr(p_, w.size()) == w; }
	void skipSpaces()
	{
		while (!atEnd() && (s_[p_] == ' ' || s_[p_] == '\t'))
			p_++;
	}
	std::string rest() const { return std::string(s_.substr(std::min(p_, s_.size()))); }
	const std::string &error() const { return error_; }
	void seek(size_t p) { p_ = std::min(p, s_.size()); }

	/// "(...)" or "<...>" with nesting and strings, the inner text in *inner.
	bool balanced(std::string *inner)
	{
		char open = peek(), close = open == '(' ? ')' : '>';
		int level = 0;
		bool inString = false;
		size_t start = p_;
		for (; p_ < s_.size(); p_++) {
			char c = s_[p_];
			if (inString) {
				if (c == '\\')
					p_++;
				else if (c == '"')
					inString = false;
				continue;
			}
			if (c == '"')
				inString = true;
			else if (c == open)
				level++;
			else if (c == close && --level == 0)
				break;
		}
		if (p_ >= s_.size())
			return false;
		*inner = std::string(s_.substr(start + 1, p_ - start - 1));
		p_++;
		return true;
	}

	bool fail(const std::string &m)
	{
		if (error_.empty())
			error_ = m + " at column " + std::to_string(p_ + 1);
		return false;
	}

	std::string ident()
	{
		size_t start = p_;
		if (!atEnd() && isIdentStart(s_[p_]))
			while (!atEnd() && isIdent(s_[p_]))
				p_++;
		return std::string(s_.substr(start, p_ - start));
	}

	bool value(SValue *out, int depth = 0)
	{
		if (depth > kMaxDepth)
			return fail("nesting too deep");
		skipSpaces();
		if (atEnd())
			return fail("value expected");
		bool ok;
		char c = peek();
		if (c == '{')
			ok = structure(out, depth);
		else if (c == '[' || (c == '~' && peek(1) == '['))
			ok = array(out, depth);
		else if (c == '"')
			ok = string(out);
		else if (startsWith("..."))
			ok = ellipsis(out);
		else
			ok = expr(out, depth);
		if (!ok)
			return false;
		skipSpaces();
		if (startsWith("=>")) {
			p_ += 2;
			auto after = std::make_shared<SValue>();
			if (!value(after.get(), depth + 1))
				return false;
			out->after = std::move(after);
		}
		return true;
	}

	bool number(uint64_t *v)
	{
		size_t start = p_;
		int base = 10;
		if (startsWith("0x") || startsWith("0X")) {
			base = 16;
			p_ += 2;
		} else if (peek() == '0' && isdigit(static_cast<unsigned char>(peek(1)))) {
			base = 8;
		}
		size_t digits = p_;
		while (!atEnd() && isxdigit(static_cast<unsigned char>(s_[p_])) &&
		       (base == 16 || isdigit(static_cast<unsigned char>(s_[p_]))))
			p_++;
		if (p_ == digits) {
			p_ = start;
			return fail("number expected");
		}
		std::string tok(s_.substr(digits, p_ - digits));
		*v = strtoull(tok.c_str(), nullptr, base);
		return true;
	}

private:
	bool ellipsis(SValue *out)
	{
		p_ += 3;
		out->kind = SValue::Kind::Ellipsis;
		return true;
	}

	bool structure(SValue *out, int depth)
	{
		p_++;
		out->kind = SValue::Kind::Struct;
		for (;;) {
			skipSpaces();
			if (peek() == '}') {
				p_++;
				return true;
			}
			std::string key;
			size_t save = p_;
			// key = [A-Za-z_][A-Za-z0-9_.[\]]* followed by '=' (not "=>")
			if (isIdentStart(peek())) {
				while (!atEnd() && (isIdent(s_[p_]) || s_[p_] == '.' || s_[p_] == '[' ||
						    s_[p_] == ']'))
					p_++;
				if (peek() == '=' && peek(1) != '>') {
					key = std::string(s_.substr(save, p_ - save));
					p_++;
				} else {
					p_ = save;
				}
			}
			SValue v;
			if (!value(&v, depth + 1))
				return false;
			out->members.push_back(SMember{std::move(key), std::move(v)});
			skipSpaces();
			if (peek() == ',') {
				p_++;
				continue;
			}
			if (peek() == '}') {
				p_++;
				return true;
			}
			return fail("',' or '}' expected");
		}
	}

	bool array(SValue *out, int depth)
	{
		if (peek() == '~')
			p_++;
		p_++;
		out->kind = SValue::Kind::Array;
		for (;;) {
			skipSpaces();
			if (peek() == ']') {
				p_++;
				return true;
			}
			SValue v;
			if (!value(&v, depth + 1))
				return false;
			out->items.push_back(std::move(v));
			skipSpaces();
			if (peek() == ',') {
				p_++;
				continue;
			}
			if (peek() == ']') {
				p_++;
				return true;
			}
			// Signal sets print space-separated names: "[INT TERM]".
			if (isIdentStart(peek()))
				continue;
			return fail("',' or ']' expected");
		}
	}

	static int hexValue(char c)
	{
		if (c >= '0' && c <= '9')
			return c - '0';
		if (c >= 'a' && c <= 'f')
			return c - 'a' + 10;
		if (c >= 'A' && c <= 'F')
			return c - 'A' + 10;
		return -1;
	}

	/// One C escape after the backslash (U:string_quote's escapes, -x/-xx hex).
	bool escape(std::string *out)
	{
		if (atEnd())
			return fail("unterminated escape");
		char e = s_[p_++];
		switch (e) {
		case 'n': *out += '\n'; return true;
		case 't': *out += '\t'; return true;
		case 'r': *out += '\r'; return true;
		case 'f': *out += '\f'; return true;
		case 'v': *out += '\v'; return true;
		case 'a': *out += '\a'; return true;
		case 'b': *out += '\b'; return true;
		case '"': *out += '"'; return true;
		case '\'': *out += '\''; return true;
		case '\\': *out += '\\'; return true;
		case 'x': {
			int v = 0, n = 0;
			while (n < 2 && !atEnd() && hexValue(s_[p_]) >= 0) {
				v = v * 16 + hexValue(s_[p_++]);
				n++;
			}
			if (!n)
				return fail("bad \\x escape");
			*out += static_cast<char>(v);
			return true;
		}
		default:
			if (e >= '0' && e <= '7') {
				int v = e - '0', n = 1;
				while (n < 3 && !atEnd() && s_[p_] >= '0' && s_[p_] <= '7') {
					v = v * 8 + (s_[p_++] - '0');
					n++;
				}
				*out += static_cast<char>(v & 0xff);
				return true;
			}
			return fail(std::string("unknown escape \\") + e);
		}
	}

	bool string(SValue *out)
	{
		p_++;
		out->kind = SValue::Kind::Str;
		for (;;) {
			if (atEnd())
				return fail("unterminated string");
			char c = s_[p_++];
			if (c == '"')
				break;
			if (c == '\\') {
				if (!escape(&out->str))
					return false;
				continue;
			}
			out->str += c;
		}
		if (startsWith("...")) {
			p_ += 3;
			out->truncated = true;
		}
		return true;
	}

	bool charLiteral(uint64_t *v)
	{
		p_++;
		std::string c;
		if (peek() == '\\') {
			p_++;
			if (!escape(&c))
				return false;
		} else if (!atEnd()) {
			c += s_[p_++];
		}
		if (peek() != '\'' || c.size() != 1)
			return fail("bad character literal");
		p_++;
		*v = static_cast<unsigned char>(c[0]);
		return true;
	}

	/// Arguments of NAME(...) as numbers (char literals included).
	bool callArgs(std::vector<uint64_t> *args, bool *known, int depth)
	{
		p_++;
		for (;;) {
			skipSpaces();
			if (peek() == ')') {
				p_++;
				return true;
			}
			SValue v;
			if (peek() == '\'') {
				uint64_t c = 0;
				if (!charLiteral(&c))
					return false;
				v.num = c;
				skipSpaces();
			} else if (!expr(&v, depth + 1)) {
				return false;
			}
			*known &= v.known && v.kind == SValue::Kind::Int;
			args->push_back(v.num);
			skipSpaces();
			if (peek() == ',') {
				p_++;
				continue;
			}
			if (peek() == ')') {
				p_++;
				return true;
			}
			return fail("',' or ')' expected");
		}
	}

	bool skipComment()
	{
		skipSpaces();
		if (!startsWith("/*"))
			return true;
		size_t end = s_.find("*/", p_ + 2);
		if (end == std::string_view::npos)
			return fail("unterminated comment");
		p_ = end + 2;
		return true;
	}

public:
	/// -y decoration: <path> or </dev/null<char 1:3>> (nested angle brackets).
	bool decoration(SValue *out)
	{
		if (peek() != '<')
			return true;
		int level = 0;
		size_t start = p_;
		for (; !atEnd(); p_++) {
			if (s_[p_] == '<')
				level++;
			else if (s_[p_] == '>' && --level == 0)
				break;
		}
		if (atEnd())
			return fail("unterminated fd decoration");
		std::string_view inner = s_.substr(start + 1, p_ - start - 1);
		p_++;
		size_t nested = inner.find('<');	// -yy: "<char 81:0>" after the path
		out->fdPath = std::string(inner.substr(0, nested));
		return true;
	}

private:
	bool term(SValue *out, int depth)
	{
		skipSpaces();
		bool negative = false;
		if (peek() == '-' && isdigit(static_cast<unsigned char>(peek(1)))) {
			negative = true;
			p_++;
		}
		if (isdigit(static_cast<unsigned char>(peek()))) {
			uint64_t v;
			if (!number(&v))
				return false;
			out->num = negative ? static_cast<uint64_t>(-static_cast<int64_t>(v)) : v;
			return decoration(out);
		}
		if (!isIdentStart(peek()))
			return fail("value expected");
		std::string name = ident();
		if (peek() == '(') {
			std::vector<uint64_t> a;
			bool known = true;
			if (!callArgs(&a, &known, depth))
				return false;
			out->known = known;
			if (name == "v4l2_fourcc" && a.size() == 4) {
				out->num = a[0] | a[1] << 8 | a[2] << 16 | a[3] << 24;
			} else if (name == "KERNEL_VERSION" && a.size() == 3) {
				out->num = a[0] << 16 | a[1] << 8 | a[2];
			} else if (name == "_IOC" && a.size() == 4) {
				out->num = _IOC(a[0], a[1], a[2], a[3]);
			} else if (name == "makedev" && a.size() == 2) {
				out->num = a[0] << 8 | a[1];
			} else {
				out->known = false;
				out->str = name + "(...)";
			}
			return true;
		}
		uint64_t v = 0;
		if (name == "_IOC_NONE") {
			v = _IOC_NONE;
		} else if (name == "_IOC_READ") {
			v = _IOC_READ;
		} else if (name == "_IOC_WRITE") {
			v = _IOC_WRITE;
		} else if (unsigned long code = ioctlByName(name)) {
			v = code;
		} else if (!constantValue(name, &v)) {
			out->known = false;
			if (!out->str.empty())
				out->str += '|';
			out->str += name;
		}
		out->num = v;
		return decoration(out);	// -yy: AT_FDCWD</cwd>
	}

	bool expr(SValue *out, int depth)
	{
		out->kind = SValue::Kind::Int;
		uint64_t acc = 0;
		char op = '|';
		for (;;) {
			SValue t;
			if (!term(&t, depth))
				return false;
			if (!skipComment())
				return false;
			acc = op == '+' ? acc + t.num : acc | t.num;
			out->known &= t.known;
			if (!t.str.empty())
				out->str += (out->str.empty() ? "" : "|") + t.str;
			if (!t.fdPath.empty())
				out->fdPath = t.fdPath;
			skipSpaces();
			if (peek() == '|' || (peek() == '+' && peek(1) != '+')) {
				op = peek();
				p_++;
				continue;
			}
			break;
		}
		out->num = acc;
		if (!out->known)
			out->kind = SValue::Kind::Symbol;
		return true;
	}

	std::string_view s_;
	size_t p_ = 0;
	std::string error_;
};

} // namespace

const SValue *SValue::member(std::string_view key) const
{
	for (const auto &m : members)
		if (m.key == key)
			return &m.value;
	return nullptr;
}

bool parseValue(std::string_view text, SValue *out, std::string *error)
{
	Parser p(text);
	if (!p.value(out)) {
		*error = p.error();
		return false;
	}
	return true;
}

bool parseSyscall(std::string_view body, SyscallLine *out, std::string *error)
{
	Parser p(body);
	auto failed = [&](const std::string &m) {
		p.fail(m);
		*error = p.error();
		return false;
	};
	p.skipSpaces();
	out->name = p.ident();
	if (out->name.empty() || p.peek() != '(')
		return failed("syscall name expected");
	p.seek(p.pos() + 1);
	for (;;) {
		p.skipSpaces();
		if (p.peek() == ')')
			break;
		if (p.atEnd())
			return failed("')' expected");
		// -N / --arg-names (6.16): "fd=3, op=..., argp=..." at the top level.
		size_t start = p.pos();
		std::string name = p.ident();
		if (name.empty() || p.peek() != '=' || p.peek(1) == '>' || p.peek(1) == '=')
			p.seek(start);
		else
			p.seek(p.pos() + 1);
		SValue v;
		if (!p.value(&v)) {
			*error = p.error();
			return false;
		}
		out->args.push_back(std::move(v));
		p.skipSpaces();
		if (p.peek() == ',') {
			p.seek(p.pos() + 1);
			continue;
		}
		if (p.peek() != ')')
			return failed("',' or ')' expected");
	}
	p.seek(p.pos() + 1);
	p.skipSpaces();
	if (p.peek() != '=')
		return failed("'= result' expected");
	p.seek(p.pos() + 1);
	p.skipSpaces();
	if (p.peek() == '?') {
		out->resultUnknown = true;
		p.seek(p.pos() + 1);
	} else {
		bool negative = p.peek() == '-';
		if (negative)
			p.seek(p.pos() + 1);
		uint64_t v;
		if (!p.number(&v)) {
			*error = p.error();
			return false;
		}
		out->ret = negative ? -static_cast<int64_t>(v) : static_cast<int64_t>(v);
		SValue d;
		if (!p.decoration(&d)) {
			*error = p.error();
			return false;
		}
		out->retFdPath = d.fdPath;
	}
	// errno name, "(...)" groups, "<duration>".
	for (;;) {
		p.skipSpaces();
		if (p.atEnd())
			break;
		if (p.peek() == 'E' && out->errorName.empty()) {
			std::string name = p.ident();
			out->errorName = name;
			out->error = errnoByName(name);
			if (name == "ERESTARTSYS")
				out->error = 512;
			else if (name == "ERESTARTNOINTR")
				out->error = 513;
			else if (name == "ERESTARTNOHAND")
				out->error = 514;
			else if (name == "ERESTART_RESTARTBLOCK")
				out->error = 516;
			if (!out->error)
				return failed("unknown errno " + name);
			continue;
		}
		if (p.peek() != '(' && p.peek() != '<')
			return failed("unexpected text after the result");
		std::string inner;
		char open = p.peek();
		if (!p.balanced(&inner))
			return failed("unbalanced group after the result");
		if (open == '<') {
			out->duration = strtod(inner.c_str(), nullptr);
			continue;
		}
		if (inner.compare(0, 6, "errno ") == 0) {
			out->error = atoi(inner.c_str() + 6);
			out->errorName = inner;
			continue;
		}
		SValue v;
		v.kind = SValue::Kind::Symbol;
		v.str = inner;
		if (!inner.empty() && (inner[0] == '{' || inner[0] == '[')) {
			std::string ignored;
			SValue parsed;
			if (parseValue(inner, &parsed, &ignored))
				v = std::move(parsed);
		}
		out->aux.push_back(std::move(v));
		out->auxText.push_back(std::move(inner));
	}
	return true;
}

} // namespace v4l2emu::trace
