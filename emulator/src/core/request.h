// SPDX-License-Identifier: MIT
#pragma once

// A media request (MCR/MRH): a refcounted container of buffer objects and control objects
// with the state machine of MRH:enum media_request_state. Runs under the device lock.

#include "control_handler.h"
#include "queue.h"

#include <poll.h>

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

namespace v4l2emu {

class MediaDevice;

enum class RequestState { Idle, Validating, Queued, Complete, Cleaning, Updating };

const char *toString(RequestState state);

class Request {
public:
	Request(MediaDevice &device, uint64_t id);
	~Request();
	Request(const Request &) = delete;
	Request &operator=(const Request &) = delete;

	MediaDevice &device() const { return device_; }
	uint64_t id() const { return id_; }
	RequestState state() const { return state_; }

	/// Reference counting (MCR:media_request_get/put). The last put releases the objects
	/// and deletes the request.
	void get() { ++refs_; }
	void put();

	/// MRH:media_request_lock_for_update: IDLE/UPDATING -> UPDATING, else -EBUSY.
	int lockForUpdate();
	void unlockForUpdate();

	/// MCR:media_request_ioctl_queue.
	int queue();
	/// MCR:media_request_ioctl_reinit.
	int reinit();
	/// MCR:media_request_poll.
	short poll(short events) const;

	// Buffer objects (VB2C binds them at request QBUF).
	int bindBuffer(Buffer &buffer);
	void unbindBuffer(Buffer &buffer);
	uint32_t numBuffers() const { return numBuffers_; }
	Buffer *buffer(uint32_t i) const { return buffers_[i]; }

	// Control objects (CREQ).
	RequestControls *findControls(const ControlHandler &handler) const;
	/// True if the request holds control objects of a handler other than this one.
	bool hasControlsOtherThan(const ControlHandler &handler) const;
	/// Finds or binds (creating, or recycling a spare) the object for handler.
	RequestControls *bindControls(ControlHandler &handler);
	void unbindControls(RequestControls &obj);
	/// CREQ:v4l2_ctrl_request_complete for one object.
	void completeControls(RequestControls &obj);
	/// CREQ:v4l2_ctrl_request_complete: completes the handler's object, binding one first
	/// if the request has none (a QUEUED request accepts new objects).
	void completeHandler(ControlHandler &handler);
	/// CREQ:v4l2_ctrl_handler_free_request: a handler goes away.
	void dropHandler(const ControlHandler &handler);

private:
	/// MCR:media_request_object_unbind bookkeeping for one object.
	void objectUnbound(bool completed);
	void markComplete();
	void clean();

	MediaDevice &device_;
	uint64_t id_;
	RequestState state_ = RequestState::Idle;
	int refs_ = 1;
	bool releasing_ = false;
	uint32_t updating_ = 0;
	uint32_t numIncomplete_ = 0;
	std::array<Buffer *, 64> buffers_{};
	uint32_t numBuffers_ = 0;
	std::vector<std::unique_ptr<RequestControls>> controls_;
	std::vector<std::unique_ptr<RequestControls>> spare_;
};

} // namespace v4l2emu
