// SPDX-License-Identifier: MIT
#include "names.h"

#include <linux/media.h>
#include <linux/v4l2-controls.h>
#include <linux/videodev2.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <unordered_map>
#include <vector>

namespace v4l2emu::trace {

namespace {

struct Entry {
	Family family;
	const char *name;
	uint64_t value;
};

#define NAME(family, name) {Family::family, #name, static_cast<uint64_t>(name)},
const Entry kUapi[] = {
#include "uapi_names.inc"
};
#undef NAME

#define LIBC(family, name) {Family::family, #name, static_cast<uint64_t>(name)}
const Entry kLibc[] = {
	// Access modes are handled by formatOpenFlags; the rest are plain bits.
	LIBC(OpenFlag, O_CREAT), LIBC(OpenFlag, O_EXCL), LIBC(OpenFlag, O_NOCTTY),
	LIBC(OpenFlag, O_TRUNC), LIBC(OpenFlag, O_APPEND), LIBC(OpenFlag, O_NONBLOCK),
	LIBC(OpenFlag, O_DSYNC), LIBC(OpenFlag, O_DIRECT), LIBC(OpenFlag, O_LARGEFILE),
	LIBC(OpenFlag, O_DIRECTORY), LIBC(OpenFlag, O_NOFOLLOW), LIBC(OpenFlag, O_NOATIME),
	LIBC(OpenFlag, O_CLOEXEC), LIBC(OpenFlag, O_PATH),
	LIBC(Prot, PROT_READ), LIBC(Prot, PROT_WRITE), LIBC(Prot, PROT_EXEC),
	LIBC(MapFlag, MAP_SHARED), LIBC(MapFlag, MAP_PRIVATE), LIBC(MapFlag, MAP_FIXED),
	LIBC(MapFlag, MAP_ANONYMOUS), LIBC(MapFlag, MAP_NORESERVE), LIBC(MapFlag, MAP_POPULATE),
	LIBC(MapFlag, MAP_DENYWRITE), LIBC(MapFlag, MAP_LOCKED), LIBC(MapFlag, MAP_STACK),
	LIBC(MapFlag, MAP_FIXED_NOREPLACE), LIBC(MapFlag, MAP_SHARED_VALIDATE),
	LIBC(PollEvent, POLLIN), LIBC(PollEvent, POLLPRI), LIBC(PollEvent, POLLOUT),
	LIBC(PollEvent, POLLERR), LIBC(PollEvent, POLLHUP), LIBC(PollEvent, POLLNVAL),
	LIBC(PollEvent, POLLRDNORM), LIBC(PollEvent, POLLRDBAND), LIBC(PollEvent, POLLWRNORM),
	LIBC(PollEvent, POLLWRBAND), LIBC(PollEvent, POLLMSG), LIBC(PollEvent, POLLRDHUP),
	LIBC(Fcntl, F_DUPFD), LIBC(Fcntl, F_DUPFD_CLOEXEC), LIBC(Fcntl, F_GETFD),
	LIBC(Fcntl, F_SETFD), LIBC(Fcntl, F_GETFL), LIBC(Fcntl, F_SETFL), LIBC(Fcntl, FD_CLOEXEC),
};
#undef LIBC

const Entry kMisc[] = {
	{Family::Misc, "NULL", 0},
	{Family::Misc, "AT_FDCWD", static_cast<uint64_t>(static_cast<int64_t>(AT_FDCWD))},
	{Family::Misc, "O_RDONLY", O_RDONLY},
	{Family::Misc, "O_WRONLY", O_WRONLY},
	{Family::Misc, "O_RDWR", O_RDWR},
	{Family::Misc, "O_ACCMODE", O_ACCMODE},
	{Family::Misc, "O_SYNC", O_SYNC},
	{Family::Misc, "PROT_NONE", PROT_NONE},
	{Family::Misc, "MAP_FILE", 0},
	{Family::Misc, "MAP_ANON", MAP_ANONYMOUS},
};

struct Tables {
	std::unordered_map<std::string_view, uint64_t> byName;
	std::array<std::vector<const Entry *>, static_cast<size_t>(Family::Misc) + 1> byFamily;
	Tables()
	{
		auto add = [&](const Entry &e) {
			byName.emplace(e.name, e.value);
			byFamily[static_cast<size_t>(e.family)].push_back(&e);
		};
		for (const Entry &e : kUapi)
			add(e);
		for (const Entry &e : kLibc)
			add(e);
		for (const Entry &e : kMisc)
			add(e);
		// strace prints flag names in bit order; among equal values the first name wins.
		for (auto &v : byFamily)
			std::stable_sort(v.begin(), v.end(),
					 [](const Entry *a, const Entry *b) { return a->value < b->value; });
	}
};

const Tables &tables()
{
	static const Tables t;
	return t;
}

std::string hex(uint64_t v)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "%#llx", static_cast<unsigned long long>(v));
	return v ? buf : "0";
}

} // namespace

const char *constantName(Family family, uint64_t value)
{
	for (const Entry *e : tables().byFamily[static_cast<size_t>(family)])
		if (e->value == value)
			return e->name;
	return nullptr;
}

bool constantValue(std::string_view name, uint64_t *value)
{
	const auto &m = tables().byName;
	auto it = m.find(name);
	if (it == m.end())
		return false;
	*value = it->second;
	return true;
}

std::string formatEnum(Family family, uint64_t value, const char *unknownComment)
{
	if (const char *n = constantName(family, value))
		return n;
	std::string s = hex(value);
	if (unknownComment)
		s += std::string(" /* ") + unknownComment + " */";
	return s;
}

std::string formatFlags(Family family, uint64_t value)
{
	if (!value)
		return "0";
	std::string out;
	uint64_t left = value;
	for (const Entry *e : tables().byFamily[static_cast<size_t>(family)]) {
		// Single bits only, so aliases and masks do not print twice.
		if (!e->value || (e->value & (e->value - 1)) || !(left & e->value))
			continue;
		if (!out.empty())
			out += '|';
		out += e->name;
		left &= ~e->value;
	}
	if (left) {
		if (!out.empty())
			out += '|';
		out += hex(left);
	}
	return out;
}

std::string formatOpenFlags(uint64_t flags)
{
	const char *mode = (flags & O_ACCMODE) == O_WRONLY ? "O_WRONLY"
			   : (flags & O_ACCMODE) == O_RDWR ? "O_RDWR"
							   : "O_RDONLY";
	std::string out = mode;
	uint64_t rest = flags & ~static_cast<uint64_t>(O_ACCMODE);
	if (rest)
		out += "|" + formatFlags(Family::OpenFlag, rest);
	return out;
}

std::string formatBufferFlags(uint32_t flags)
{
	// V:print_v4l2_buffer_flags: plain flags (omitted when none), timestamp type, source.
	uint32_t plain = flags & ~(V4L2_BUF_FLAG_TIMESTAMP_MASK | V4L2_BUF_FLAG_TSTAMP_SRC_MASK);
	std::string out;
	if (plain)
		out = formatFlags(Family::BufFlag, plain) + "|";
	out += formatEnum(Family::BufTimestamp, flags & V4L2_BUF_FLAG_TIMESTAMP_MASK);
	out += "|" + formatEnum(Family::BufTstampSrc, flags & V4L2_BUF_FLAG_TSTAMP_SRC_MASK);
	return out;
}

std::string formatFourcc(uint32_t fourcc, bool withName)
{
	std::string out = "v4l2_fourcc(";
	for (int i = 0; i < 4; i++) {
		unsigned char c = static_cast<unsigned char>(fourcc >> (8 * i));
		char buf[8];
		if (c == '\'' || c == '\\')
			snprintf(buf, sizeof(buf), "'\\%c'", c);
		else if (c >= 0x20 && c < 0x7f)
			snprintf(buf, sizeof(buf), "'%c'", c);
		else
			snprintf(buf, sizeof(buf), "'\\x%02x'", c);
		out += buf;
		out += i < 3 ? ", " : ")";
	}
	if (withName)
		if (const char *n = constantName(Family::PixFmt, fourcc))
			out += std::string(" /* ") + n + " */";
	return out;
}

std::string formatCid(uint32_t id)
{
	std::string out;
	uint32_t next = id & (V4L2_CTRL_FLAG_NEXT_CTRL | V4L2_CTRL_FLAG_NEXT_COMPOUND);
	uint32_t bare = id & ~next;
	if (next)
		out = formatFlags(Family::CtrlNext, next) + "|";
	if (const char *n = constantName(Family::Cid, bare)) {
		out += n;
	} else if (const char *c = constantName(Family::CtrlClass, V4L2_CTRL_ID2CLASS(bare));
		   c && bare & 0xffff) {
		out += std::string(c) + "+" + hex(bare & 0xffff);
	} else {
		out += hex(bare) + " /* V4L2_CID_??? */";
	}
	return out;
}

} // namespace v4l2emu::trace
