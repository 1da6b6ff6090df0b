// SPDX-License-Identifier: MIT
#pragma once

// Helpers shared by the vb2 queue files (queue.cpp, queue_memory.cpp, queue_io.cpp).

#include "queue.h"

#include <cerrno>
#include <cstdint>

namespace v4l2emu::vb2 {

constexpr uint32_t kPlaneIndexShift = 12 + 3;	// VB2C:__setup_offsets, 4 KiB pages
constexpr uint32_t kDstQueueOffBase = 1u << 30;	// M2M: DST_QUEUE_OFF_BASE

// VB2V: V4L2_BUFFER_MASK_FLAGS, the state bits vb2 owns.
constexpr uint32_t kStateFlags = V4L2_BUF_FLAG_MAPPED | V4L2_BUF_FLAG_QUEUED |
				 V4L2_BUF_FLAG_DONE | V4L2_BUF_FLAG_ERROR |
				 V4L2_BUF_FLAG_PREPARED | V4L2_BUF_FLAG_IN_REQUEST |
				 V4L2_BUF_FLAG_REQUEST_FD | V4L2_BUF_FLAG_TIMESTAMP_MASK;
// VB2V: V4L2_BUFFER_OUT_FLAGS.
constexpr uint32_t kOutputOnlyFlags = V4L2_BUF_FLAG_PFRAME | V4L2_BUF_FLAG_BFRAME |
				      V4L2_BUF_FLAG_KEYFRAME | V4L2_BUF_FLAG_TIMECODE |
				      V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF;

inline uint64_t timestampNs(const struct timeval &tv)
{
	return static_cast<uint64_t>(tv.tv_sec) * 1000000000ull +
	       static_cast<uint64_t>(tv.tv_usec) * 1000ull;
}

inline struct timeval toTimeval(uint64_t ns)
{
	struct timeval tv {};
	tv.tv_sec = static_cast<time_t>(ns / 1000000000ull);
	tv.tv_usec = static_cast<suseconds_t>((ns % 1000000000ull) / 1000ull);
	return tv;
}

} // namespace v4l2emu::vb2
