// SPDX-License-Identifier: MIT
#pragma once

// One ioctl argument with everything it points to (planes, control arrays and payloads,
// topology arrays), as plain owned storage: captured from a caller's memory by the writers,
// rebuilt from a trace by the readers, bound (pointers at its own storage) to be issued again.
// Fields are named as strace names them, one visitor per argument kind serves both
// directions: extract (argument -> fields) and apply (fields -> argument).

#include <v4l2emu/trace.h>

#include <linux/media.h>
#include <linux/videodev2.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace v4l2emu {

/// The argument kinds the trace code understands (by LP64 request code).
enum class ArgKind : uint8_t {
	None,		///< _IOC_NONE (MEDIA_REQUEST_IOC_QUEUE/REINIT) or no argument
	Raw,		///< unknown: bytes only
	Int,		///< STREAMON/OFF (buffer type), MEDIA_IOC_REQUEST_ALLOC (fd)
	Capability, Fmtdesc, Format, Reqbufs, CreateBufs, Buffer, Expbuf, ExtCtrls,
	QueryExtCtrl, QueryCtrl, QueryMenu, Control, Frmsize, EventSub, Event, DecoderCmd,
	Selection, MediaInfo, Topology,
};

ArgKind argKind(unsigned long request);

// Bounds for arguments from untrusted memory or traces.
constexpr size_t kMaxControls = 1024;		// V4L2_CID_MAX_CTRLS
constexpr size_t kMaxPayload = 64u << 20;	// beyond any real compound control
constexpr size_t kMaxPayloads = 64u << 20;	// all payloads of one argument
constexpr size_t kMaxTopology = 4096;

/// "planes[2].m.fd" and the like.
std::string arrayPath(std::string_view prefix, size_t i, std::string_view field);

struct IoctlPayload {
	unsigned long request = 0;
	std::vector<uint8_t> top;		///< _IOC_SIZE(request) bytes
	std::vector<struct v4l2_plane> planes;
	std::vector<struct v4l2_ext_control> controls;
	std::vector<std::string> payloads;	///< per control: its payload bytes (size > 0)
	std::vector<struct media_v2_entity> entities;
	std::vector<struct media_v2_interface> interfaces;
	std::vector<struct media_v2_pad> pads;
	std::vector<struct media_v2_link> links;
	bool nestedFault = false;		///< a nested pointer could not be read

	ArgKind kind() const { return argKind(request); }
	template<typename T> T &as() { return *reinterpret_cast<T *>(top.data()); }
	template<typename T> const T &as() const { return *reinterpret_cast<const T *>(top.data()); }
	/// Sized, zeroed storage for request (top only).
	void reset(unsigned long request);

	/// Copies the caller's argument and what it points to (checked: garbage pointers set
	/// nestedFault). `shape` (the capture before the call) bounds output-only arrays.
	/// Returns false if the argument itself is unreadable.
	bool capture(unsigned long request, const void *arg, const IoctlPayload *shape = nullptr);
	/// Points nested pointers at this payload's storage (allocating it from the counts),
	/// for issuing the ioctl; returns the argument pointer.
	void *bind();
	/// Pointers replaced by 0/1 (null or not), fd numbers by 0 (fds the call returns only
	/// `after` it): what the native trace stores as raw bytes, identical between a run and
	/// its replay.
	void normalise(bool after);
};

/// How a returned field is compared (shared/spec/traces.md §7.2).
enum class FieldClass : uint8_t {
	Exact,
	BufferFlags,	///< exact except MAPPED and NO_CACHE_* (replay history)
	Fd,		///< an fd: compared through handles
	Cookie,		///< an mmap cookie: mapped, not compared
	Tolerant,	///< identity strings: differences are noted, not failures
	Ignored,	///< pointers, reserved, timestamps of events
};

struct ClassifiedField {
	std::string path;
	TraceValue value;
	FieldClass cls;
};

/// All fields of the argument, in struct order.
std::vector<ClassifiedField> extractFields(const IoctlPayload &payload);
/// Sets the argument from fields (missing ones stay as they are); unknown paths are
/// returned in *unknown. Nested arrays are sized from the counts the fields give.
void applyFields(IoctlPayload *payload, const TraceFields &fields,
		 std::vector<std::string> *unknown = nullptr);

/// An fd inside an argument: where it is and whether the call produces it.
struct FdSlot {
	std::string path;
	int32_t *fd;
	bool output;
};
/// The fds the argument carries (request_fd when the flags/which say so, DMABUF m.fd,
/// exported and allocated fds).
std::vector<FdSlot> fdSlots(IoctlPayload *payload);

bool isMplaneType(uint32_t type);
bool isOutputType(uint32_t type);

} // namespace v4l2emu
