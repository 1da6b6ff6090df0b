// SPDX-License-Identifier: MIT
#include "context.h"

#include "media_device.h"
#include "request.h"

#include "drivers/driver_profile.h"

#include <cstring>
#include <ctime>

namespace v4l2emu {

namespace {

uint32_t queueType(const DriverProfile &driver, Direction dir)
{
	if (driver.multiplanar())
		return dir == Direction::Output ? V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE
						: V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
	return dir == Direction::Output ? V4L2_BUF_TYPE_VIDEO_OUTPUT : V4L2_BUF_TYPE_VIDEO_CAPTURE;
}

} // namespace

Context::Context(VideoNode &node, uint64_t id)
	: node_(node), id_(id),
	  output_(*this, Direction::Output, queueType(node.driver(), Direction::Output),
		  node.driver().maxBuffers(Direction::Output)),
	  capture_(*this, Direction::Capture, queueType(node.driver(), Direction::Capture),
		   node.driver().maxBuffers(Direction::Capture))
{
	controls_ = std::make_unique<ControlHandler>(*this, node.driver().controlLayout());
	node.driver().openContext(*this);
	device().liveContexts++;
	// V4L2C:v4l2_prio_open: every open starts at DEFAULT.
	device().priorityCounts[priority]++;
}

Context::~Context()
{
	if (!released_)
		release();
	device().liveContexts--;
	device().priorityCounts[priority]--;	// V4L2C:v4l2_prio_close
}

MediaDevice &Context::device() const
{
	return node_.device();
}

const DriverProfile &Context::driver() const
{
	return node_.driver();
}

KernelVersion Context::kernel() const
{
	return node_.driver().kernel();
}

const CodecOps *Context::codec() const
{
	return codecForFourcc(outputFormat.pixelformat);
}

void Context::queueControlEvent(const ControlHandler::Control &c, uint32_t changes, bool initial,
				bool fromSelf)
{
	const Subscription *sub = nullptr;
	for (const Subscription &s : subscriptions)
		if (s.id == c.def.id)
			sub = &s;
	if (!sub)
		return;
	if (fromSelf && !initial && !(sub->flags & V4L2_EVENT_SUB_FL_ALLOW_FEEDBACK))
		return;
	struct v4l2_event ev {};
	ev.type = V4L2_EVENT_CTRL;
	ev.id = c.def.id;
	ev.u.ctrl.changes = changes;
	ev.u.ctrl.type = c.def.type;
	if (!c.def.isCompound() && c.def.dims == 0) {
		if (c.def.elemSize == 8)
			memcpy(&ev.u.ctrl.value64, c.cur.data(), 8);
		else
			memcpy(&ev.u.ctrl.value, c.cur.data(), 4);
	}
	ev.u.ctrl.flags = c.def.flags;
	ev.u.ctrl.minimum = static_cast<int32_t>(c.def.minimum);
	ev.u.ctrl.maximum = static_cast<int32_t>(c.def.maximum);
	ev.u.ctrl.step = static_cast<int32_t>(c.def.step);
	ev.u.ctrl.default_value = static_cast<int32_t>(c.def.defaultValue);
	ev.sequence = eventSequence++;
	clock_gettime(CLOCK_MONOTONIC, &ev.timestamp);
	// One pending event per control: a newer one merges into it (V4L2 ctrl merge op).
	for (struct v4l2_event &pending : events) {
		if (pending.id == ev.id) {
			ev.u.ctrl.changes |= pending.u.ctrl.changes;
			pending = ev;
			device().notify();
			return;
		}
	}
	events.push_back(ev);
	device().notify();
}

void Context::release()
{
	if (released_)
		return;
	released_ = true;
	// M2M:v4l2_m2m_ctx_release: queues are released (cancel + free); then the control
	// handler is freed, unbinding its objects from every request that still holds one
	// (CREQ:v4l2_ctrl_handler_free_request).
	output_.release();
	capture_.release();
	device().dropHandlerFromRequests(*controls_);
	device().endStream(id_);
}

} // namespace v4l2emu
