// SPDX-License-Identifier: MIT
#pragma once

// A per-open m2m context (M2M:v4l2_m2m_ctx plus the driver's ctx): two vb2 queues, the
// formats, the control handler and the driver's per-context state.

#include "control_handler.h"
#include "queue.h"

#include <v4l2emu/board.h>

#include <linux/videodev2.h>

#include <cstdint>
#include <memory>
#include <vector>

namespace v4l2emu {

class DriverProfile;
class MediaDevice;
class VideoNode;

class Context {
public:
	Context(VideoNode &node, uint64_t id);
	~Context();
	Context(const Context &) = delete;
	Context &operator=(const Context &) = delete;

	uint64_t id() const { return id_; }
	VideoNode &node() const { return node_; }
	MediaDevice &device() const;
	const DriverProfile &driver() const;
	KernelVersion kernel() const;

	Queue &output() { return output_; }
	Queue &capture() { return capture_; }
	const Queue &output() const { return output_; }
	const Queue &capture() const { return capture_; }
	Queue &queue(Direction dir) { return dir == Direction::Output ? output_ : capture_; }
	const Queue &queue(Direction dir) const
	{
		return dir == Direction::Output ? output_ : capture_;
	}

	/// Formats are kept in multi-planar form for every driver; the ioctl layer converts for
	/// single-planar nodes (cedrus).
	struct v4l2_pix_format_mplane outputFormat {};
	struct v4l2_pix_format_mplane captureFormat {};

	/// The codec of the current OUTPUT format (nullptr for a raw or unknown format).
	const CodecOps *codec() const;

	ControlHandler &controls() { return *controls_; }
	const ControlHandler &controls() const { return *controls_; }

	// Driver state kept per context.
	uint32_t bitDepth = 8;		///< hantro/cedrus ctx->bit_depth
	uint32_t imageFormat = 0;	///< [mainline] rkvdec ctx->image_fmt (0: any)

	// m2m job state (M2M: job_flags).
	bool jobQueued = false;
	bool jobRunning = false;
	bool aborting = false;
	uint64_t sequenceOut = 0;	///< hantro/visl sequence counters
	uint64_t sequenceCap = 0;

	// Events (V4L2_EVENT_CTRL only: CAPI:v4l2_ctrl_subscribe_event).
	struct Subscription {
		uint32_t id;
		uint32_t flags;
	};
	std::vector<Subscription> subscriptions;
	std::vector<struct v4l2_event> events;	///< pending, oldest first
	uint32_t eventSequence = 0;
	int priority = V4L2_PRIORITY_DEFAULT;
	/// Queues a V4L2_EVENT_CTRL for a subscribed control (V4L2 core send_event): a change
	/// made through this open is only reported with V4L2_EVENT_SUB_FL_ALLOW_FEEDBACK.
	void queueControlEvent(const ControlHandler::Control &c, uint32_t changes,
			       bool initial = false, bool fromSelf = false);

	/// Ends the context: cancels both queues (completing queued requests), frees buffers
	/// (orphaning mapped memory) and unbinds its control objects from requests
	/// (M2M:v4l2_m2m_ctx_release, CREQ:v4l2_ctrl_handler_free_request).
	void release();
	bool released() const { return released_; }

private:
	VideoNode &node_;
	uint64_t id_;
	Queue output_;
	Queue capture_;
	std::unique_ptr<ControlHandler> controls_;
	bool released_ = false;
};

} // namespace v4l2emu
