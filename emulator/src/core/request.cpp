// SPDX-License-Identifier: MIT
// Media requests (MCR = mc-request.c, CREQ = v4l2-ctrls-request.c, M2M request queueing).
#include "request.h"

#include "context.h"
#include "media_device.h"

#include "drivers/driver_profile.h"

#include <cerrno>

namespace v4l2emu {

const char *toString(RequestState state)
{
	switch (state) {
	case RequestState::Idle: return "idle";
	case RequestState::Validating: return "validating";
	case RequestState::Queued: return "queued";
	case RequestState::Complete: return "complete";
	case RequestState::Cleaning: return "cleaning";
	case RequestState::Updating: return "updating";
	}
	return "?";
}

Request::Request(MediaDevice &device, uint64_t id) : device_(device), id_(id)
{
	device_.registerRequest(this);
}

Request::~Request()
{
	device_.unregisterRequest(this);
}

void Request::put()
{
	if (--refs_ > 0 || releasing_)
		return;
	releasing_ = true;
	// MCR:media_request_release: CLEANING, then every object is unbound and released.
	state_ = RequestState::Cleaning;
	clean();
	delete this;
}

int Request::lockForUpdate()
{
	// MRH:media_request_lock_for_update.
	if (state_ == RequestState::Idle)
		state_ = RequestState::Updating;
	else if (state_ != RequestState::Updating)
		return -EBUSY;
	updating_++;
	return 0;
}

void Request::unlockForUpdate()
{
	if (updating_ && --updating_ == 0)
		state_ = RequestState::Idle;
}

void Request::markComplete()
{
	state_ = RequestState::Complete;
	device_.notify();
	// The reference MEDIA_REQUEST_IOC_QUEUE took is dropped on completion.
	put();
}

void Request::objectUnbound(bool completed)
{
	// MCR:media_request_object_unbind: only CLEANING looks at obj->completed; otherwise
	// the counter drops whether or not the object completed (so unbinding a completed
	// object of a QUEUED request can complete it while another object is incomplete).
	if (state_ == RequestState::Complete)
		return;
	if (state_ == RequestState::Cleaning) {
		if (!completed && numIncomplete_)
			numIncomplete_--;
		return;
	}
	if (!numIncomplete_)
		return;
	numIncomplete_--;
	if (state_ == RequestState::Queued && numIncomplete_ == 0)
		markComplete();
}

int Request::bindBuffer(Buffer &buffer)
{
	// VB2C:vb2_core_qbuf binds the buffer object (list tail) under lock_for_update.
	int ret = lockForUpdate();
	if (ret)
		return ret;
	if (numBuffers_ == buffers_.size()) {
		unlockForUpdate();
		return -ENOMEM;
	}
	buffers_[numBuffers_++] = &buffer;
	buffer.reqObjBound = true;
	numIncomplete_++;
	unlockForUpdate();
	return 0;
}

void Request::unbindBuffer(Buffer &buffer)
{
	uint32_t w = 0;
	bool found = false;
	for (uint32_t i = 0; i < numBuffers_; i++) {
		if (buffers_[i] == &buffer)
			found = true;
		else
			buffers_[w++] = buffers_[i];
	}
	if (!found)
		return;
	numBuffers_ = w;
	buffer.reqObjBound = false;
	// Keep this request alive while its state settles (completion drops a reference).
	get();
	objectUnbound(false);
	// VB2C:vb2_req_unbind + vb2_req_release for a buffer still IN_REQUEST.
	if (buffer.state == BufferState::InRequest) {
		buffer.state = BufferState::Dequeued;
		buffer.prepared = false;
		buffer.requestFd = -1;
		if (buffer.request == this) {
			buffer.request = nullptr;
			put();
		}
	}
	put();
}

RequestControls *Request::findControls(const ControlHandler &handler) const
{
	for (const auto &obj : controls_)
		if (&obj->handler() == &handler)
			return obj.get();
	return nullptr;
}

bool Request::hasControlsOtherThan(const ControlHandler &handler) const
{
	for (const auto &obj : controls_)
		if (&obj->handler() != &handler)
			return true;
	return false;
}

RequestControls *Request::bindControls(ControlHandler &handler)
{
	if (RequestControls *obj = findControls(handler))
		return obj;
	std::unique_ptr<RequestControls> obj;
	// Recycle an object this request used with the same handler (no allocation per frame).
	for (auto it = spare_.begin(); it != spare_.end(); ++it) {
		if (&(*it)->handler() == &handler) {
			obj = std::move(*it);
			spare_.erase(it);
			break;
		}
	}
	if (!obj)
		obj = std::make_unique<RequestControls>(handler, *this);
	obj->reset();
	obj->bound = true;
	// Control objects go to the head of the list (CREQ:v4l2_ctrl_request_bind).
	controls_.insert(controls_.begin(), std::move(obj));
	numIncomplete_++;
	return controls_.front().get();
}

void Request::unbindControls(RequestControls &obj)
{
	for (auto it = controls_.begin(); it != controls_.end(); ++it) {
		if (it->get() != &obj)
			continue;
		std::unique_ptr<RequestControls> owned = std::move(*it);
		controls_.erase(it);
		owned->bound = false;
		bool completed = owned->complete;
		spare_.push_back(std::move(owned));
		get();
		objectUnbound(completed);
		put();
		return;
	}
}

void Request::completeControls(RequestControls &obj)
{
	// CREQ:v4l2_ctrl_request_complete: values not set in the request read back the value
	// current at completion; then the object completes (MCR:media_request_object_complete).
	ControlHandler &hdl = obj.handler();
	auto ctrls = hdl.controls();
	for (size_t i = 0; i < ctrls.size(); i++) {
		RequestControls::Slot &slot = obj.slot(static_cast<int>(i));
		if (slot.set)
			continue;
		slot.elems = ctrls[i].elems;
		size_t bytes = static_cast<size_t>(ctrls[i].def.elemSize) * slot.elems;
		slot.data.assign(ctrls[i].cur.data(), bytes);
		slot.set = true;
	}
	if (obj.complete)
		return;
	obj.complete = true;
	if (state_ != RequestState::Queued || !numIncomplete_)
		return;
	get();
	if (--numIncomplete_ == 0)
		markComplete();
	put();
}

void Request::completeHandler(ControlHandler &handler)
{
	RequestControls *obj = findControls(handler);
	if (!obj)
		obj = bindControls(handler);
	if (obj && !obj->complete)
		completeControls(*obj);
}

void Request::dropHandler(const ControlHandler &handler)
{
	if (RequestControls *obj = findControls(handler)) {
		unbindControls(*obj);
		// The handler is going away: a spare keyed by it must not be recycled.
		for (auto it = spare_.begin(); it != spare_.end(); ++it) {
			if (&(*it)->handler() == &handler) {
				spare_.erase(it);
				break;
			}
		}
	}
	for (auto it = spare_.begin(); it != spare_.end();) {
		if (&(*it)->handler() == &handler)
			it = spare_.erase(it);
		else
			++it;
	}
}

/**
 * \brief MEDIA_REQUEST_IOC_QUEUE (MCR:media_request_ioctl_queue)
 */
int Request::queue()
{
	if (state_ != RequestState::Idle)
		return -EBUSY;
	get();
	state_ = RequestState::Validating;

	// mdev->ops->req_validate.
	const DriverProfile &driver = device_.video().driver();
	int ret = 0;
	uint32_t maxBuffers = driver.maxBuffersPerRequest();
	if (numBuffers_ == 0)
		ret = -ENOENT;
	else if (maxBuffers && numBuffers_ > maxBuffers)
		ret = -EINVAL;	// RK:rkvdec_request_validate, VV/CE: one buffer per request
	if (!ret) {
		// VB2V:vb2_request_validate: prepare each buffer, unpreparing on failure.
		uint32_t prepared = 0;
		for (; prepared < numBuffers_; prepared++) {
			Buffer *b = buffers_[prepared];
			ret = b->queue->prepareForRequest(*b);
			if (ret)
				break;
		}
		// Every buffer before the failing one is unprepared, also one prepared before
		// (VB2C:vb2_request_validate walks back over all of them).
		if (ret)
			for (uint32_t i = 0; i < prepared; i++)
				buffers_[i]->queue->unprepare(*buffers_[i]);
	}
	if (ret) {
		// Objects stay attached; the request can be fixed and queued again.
		state_ = RequestState::Idle;
		put();
		return ret;
	}
	state_ = RequestState::Queued;

	// M2M:v4l2_m2m_request_queue: control objects join their handler's queued list, then
	// buffers go IN_REQUEST -> QUEUED (and to the driver when streaming); then schedule.
	std::array<Context *, 64> contexts{};
	uint32_t numContexts = 0;
	std::array<Buffer *, 64> bufs = buffers_;
	uint32_t n = numBuffers_;
	for (uint32_t i = 0; i < n; i++) {
		Queue *q = bufs[i]->queue;
		q->queueFromRequest(*bufs[i]);
		Context *ctx = &q->context();
		bool seen = false;
		for (uint32_t c = 0; c < numContexts; c++)
			seen |= contexts[c] == ctx;
		if (!seen)
			contexts[numContexts++] = ctx;
	}
	// Hold a reference while jobs may complete the request synchronously.
	get();
	for (uint32_t c = 0; c < numContexts; c++)
		device_.trySchedule(*contexts[c]);
	put();
	return 0;
}

/**
 * \brief MEDIA_REQUEST_IOC_REINIT (MCR:media_request_ioctl_reinit)
 */
int Request::reinit()
{
	if (state_ != RequestState::Idle && state_ != RequestState::Complete)
		return -EBUSY;
	state_ = RequestState::Cleaning;
	get();
	clean();
	state_ = RequestState::Idle;
	device_.notify();
	put();
	return 0;
}

void Request::clean()
{
	// MCR:media_request_clean: unbind and release every object.
	while (!controls_.empty())
		unbindControls(*controls_.front());
	while (numBuffers_) {
		Buffer *b = buffers_[numBuffers_ - 1];
		unbindBuffer(*b);
	}
	numIncomplete_ = 0;
	updating_ = 0;
}

/**
 * \brief poll() on the request fd (MCR:media_request_poll)
 */
short Request::poll(short events) const
{
	if (!(events & POLLPRI))
		return 0;	// no wait registered: poll(POLLIN) just times out
	if (state_ == RequestState::Complete)
		return POLLPRI;
	if (state_ != RequestState::Queued)
		return POLLERR;
	return 0;
}

} // namespace v4l2emu
