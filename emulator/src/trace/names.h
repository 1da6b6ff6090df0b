// SPDX-License-Identifier: MIT
#pragma once

// Names of uAPI constants by family (generated from the vendored headers: uapi_names.inc),
// plus the libc ones strace prints (open flags, PROT_*, MAP_*, POLL*): printing values the
// way strace does, and reading any name back.

#include <cstdint>
#include <string>
#include <string_view>

namespace v4l2emu::trace {

enum class Family : uint8_t {
	BufType, Memory, Field, Colorspace, CtrlType, FrmsizeType, Cap, BufCap, FmtFlag, BufFlag,
	BufTimestamp, BufTstampSrc, CtrlFlag, CtrlNext, CtrlClass, CtrlWhich, Cid, PixFmt,
	EventType, SelTarget, DecCmd, EntFunction, IntfType, LinkFlag, PadFlag,
	OpenFlag, Prot, MapFlag, PollEvent, Fcntl, Misc,
};

/// The name of value in family, nullptr if it has none.
const char *constantName(Family family, uint64_t value);
/// The value of any known name (all families; "NULL", "AT_FDCWD" included).
bool constantValue(std::string_view name, uint64_t *value);

/// strace -X abbrev style: "NAME", else "0xN /* PREFIX??? */" (unknownComment) or "0xN".
std::string formatEnum(Family family, uint64_t value, const char *unknownComment = nullptr);
/// "A|B|0x100" for a flag set, "0" when empty (strace printflags).
std::string formatFlags(Family family, uint64_t value);
/// Open flags as strace prints them: the access mode first, "O_RDWR|O_CLOEXEC".
std::string formatOpenFlags(uint64_t flags);
/// v4l2_buffer flags: the plain flags, then the timestamp type, then the source.
std::string formatBufferFlags(uint32_t flags);
/// "v4l2_fourcc('N', 'V', '1', '2') /* V4L2_PIX_FMT_NV12 */" (comment only if named).
std::string formatFourcc(uint32_t fourcc, bool withName = true);
/// A control id as VIDIOC_QUERY_EXT_CTRL prints it: NEXT flags, then the name or CLASS+0xN.
std::string formatCid(uint32_t id);

} // namespace v4l2emu::trace
