// SPDX-License-Identifier: MIT
#pragma once

// Driver bugs the VA properties found (reported, not fixed here: the driver is not this
// folder's). A failing case whose parameters match one is counted as that bug and ends as a
// pass (support/check.h; PROPS_STRICT=1 fails it instead). Each names the driver code at fault.

#include "consumers.h"

#include "support/check.h"

namespace props::va {

inline constexpr KnownDivergence kDqbufFaultLosesOutputSlot {
	"dqbuf-fault-loses-output-slot",
	"VB2C:vb2_core_dqbuf (a failed DQBUF dequeues nothing: the buffer stays DONE on the queue)",
	"backend/src/v4l2/decode_stream.cpp DecodeStream::reapHead (a failed dequeueOutput marks "
	"the request's OUTPUT slot free although the buffer was never dequeued)",
	"after one failed VIDIOC_DQBUF the slot is reused: QBUF of a buffer still DONE gives "
	"EINVAL and every later picture in that slot fails (vaEndPicture INVALID_PARAMETER)"
};

inline constexpr KnownDivergence kFailedCaptureBindNeverRecovers {
	"failed-capture-bind-never-recovers",
	"VB2C:vb2_core_create_bufs (the buffer a CREATE_BUFS made stays allocated, numbered on)",
	"backend/src/v4l2/decode_stream.cpp DecodeStream::bindCapture (after a failed mmap or "
	"STREAMON(CAPTURE) the new buffer stays allocated but untracked; every later bind then "
	"fails its `first != capture_.size()` check with EIO)",
	"one failed STREAMON(CAPTURE) at the stream's first bind: no picture of the stream ever "
	"decodes again (vaEndPicture / vaSyncSurface DECODING_ERROR)"
};

inline constexpr KnownDivergence kErrnoMappedWithoutTheCall {
	"errno-mapped-without-the-call",
	"va/va.h (per-call statuses: SURFACE_BUSY and DECODING_ERROR belong to surfaces and "
	"decodes)",
	"backend/src/va/driver_init.cpp statusFromErrno (EBUSY -> SURFACE_BUSY, EIO -> "
	"DECODING_ERROR "
	"whatever the call)",
	"a device EBUSY/EIO during vaCreateContext (REQBUFS, S_FMT...) comes back as "
	"VA_STATUS_ERROR_SURFACE_BUSY / DECODING_ERROR instead of HW_BUSY / OPERATION_FAILED"
};

inline constexpr KnownDivergence kExportNotTheDecodeTarget {
	"export-not-the-decode-target",
	"consumer-patterns.md §8.6 / §5.2 (a surface exported before its decode must show it)",
	"backend/src/va/export.cpp + the probe streams of driver.h (an export made while the probe "
	"stream's setup fails once succeeds on memory the surface's later decode does not use)",
	"Chromium's export-at-creation inside a fault window (S_FMT ENOMEM): vaExportSurfaceHandle "
	"succeeds, the decode succeeds, the dma-buf never shows the picture"
};

/// Every failure line is a disallowed SURFACE_BUSY or DECODING_ERROR status.
inline bool onlyMappedStatuses(const std::string &failures)
{
	size_t start = 0;
	bool any = false;
	while (start < failures.size()) {
		size_t end = failures.find('\n', start);
		const std::string line = failures.substr(
			start, end == std::string::npos ? std::string::npos : end - start);
		start = end == std::string::npos ? failures.size() : end + 1;
		if (line.empty())
			continue;
		const bool mapped =
			line.find("a status the VA API does not give") != std::string::npos &&
			(line.find(vaErrorStr(VA_STATUS_ERROR_SURFACE_BUSY)) != std::string::npos ||
			 line.find(vaErrorStr(VA_STATUS_ERROR_DECODING_ERROR)) !=
				 std::string::npos);
		if (!mapped)
			return false;
		any = true;
	}
	return any;
}

/// The known bug a failing case is an instance of, or nullptr.
inline const KnownDivergence *knownDriverBug(const ConsumerParams &p, const std::string &failures)
{
	if (onlyMappedStatuses(failures))
		return &kErrnoMappedWithoutTheCall;
	if (!p.faults.empty() &&
	    failures.find("read by its dma-buf exported earlier: not") != std::string::npos)
		return &kExportNotTheDecodeTarget;
	if (p.faults.find("ioctl=VIDIOC_DQBUF") != std::string::npos)
		return &kDqbufFaultLosesOutputSlot;
	if (p.faults.find("ioctl=VIDIOC_STREAMON") != std::string::npos)
		return &kFailedCaptureBindNeverRecovers;
	return nullptr;
}

} // namespace props::va
