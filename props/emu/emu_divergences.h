// SPDX-License-Identifier: MIT
#pragma once

// Where the emulator is known to differ from the kernel: found by the emulator-vs-model
// property, decided by reading the kernel function named, reported (not fixed here). The model
// sets the Quirk bit when an operation takes the path; the sequence runner then ends the case
// (support/check.h: PROPS_STRICT=1 goes on and asserts the kernel's behaviour instead).

#include "emu_model.h"

#include "support/check.h"

namespace props::emu {

struct QuirkDivergence {
	Quirk bit;
	KnownDivergence divergence;
};

inline constexpr QuirkDivergence kDivergences[] = {
	{ kQuirkStreamonOrder,
	  { "streamon-order", "VB2C:vb2_start_streaming (walks q->queued_list, i.e. QBUF order)",
	    "emulator/src/core/queue.cpp Queue::streamon (walks buffer indices)",
	    "buffers queued before STREAMON reach the driver in index order, not QBUF order: "
	    "another "
	    "CAPTURE buffer is decoded into and DQBUF returns another index" } },
	{ kQuirkRefusedQbufResetsFd,
	  { "refused-qbuf-clears-request-fd",
	    "VB2V:vb2_queue_or_prepare_buf (vb2_fill_vb2_v4l2_buffer runs before the "
	    "requires_requests check)",
	    "emulator/src/core/queue_io.cpp Queue::qbuf (checks the mode before filling the "
	    "buffer)",
	    "a plain QBUF of an OUTPUT buffer waiting in a request is refused (EBADR) but has "
	    "reset "
	    "vbuf->request_fd: QUERYBUF reports IN_REQUEST without REQUEST_FD" } },
	{ kQuirkUnbindCompleted,
	  { "unbind-completed-object-completes-request",
	    "MCR:media_request_object_unbind (decrements num_incomplete_objects whether or not the "
	    "object completed) via CREQ:v4l2_ctrl_handler_free_request",
	    "emulator/src/core/request.cpp Request::objectUnbound / dropHandler (counts completed "
	    "objects once)",
	    "a request with one context's buffer and another context's controls completes when the "
	    "buffer's context is released (its control object, completed by the cancel, is "
	    "unbound and counted again); the emulator keeps it QUEUED until the other context "
	    "goes" } },
	{ kQuirkUnprepareKeepsPrepared,
	  { "unprepare-keeps-prepared",
	    "VB2C:vb2_req_unprepare (__vb2_dqbuf resets request_fd, vb->prepared and synced stay "
	    "set)",
	    "emulator/src/core/queue_io.cpp Queue::unprepare (clears prepared, keeps request_fd)",
	    "when MEDIA_REQUEST_IOC_QUEUE fails on a later buffer, the buffers prepared before it "
	    "stay IN_REQUEST with PREPARED set and REQUEST_FD cleared" } },
};

} // namespace props::emu
