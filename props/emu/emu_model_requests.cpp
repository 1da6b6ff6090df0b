// SPDX-License-Identifier: MIT
// The model's requests: the request-object bookkeeping of MCR (media_request_object_bind /
// unbind / complete, with the kernel's counter arithmetic), CREQ's control objects, the
// request fd ioctls, and the counts Board::stats() is compared with.
#include "emu_model.h"

#include <poll.h>

#include <algorithm>
#include <cerrno>

namespace props::emu {

// --- request objects (MCR) ------------------------------------------------------------------

int EmuModel::findControls(int req, int ctx) const
{
	const auto &objs = reqs[req].objects;
	for (size_t i = 0; i < objs.size(); i++)
		if (!objs[i].isBuffer && objs[i].ctx == ctx)
			return static_cast<int>(i);
	return -1;
}

void EmuModel::bindObject(int req, RequestObject obj)
{
	// MCR:media_request_object_bind: only while UPDATING (Idle here, inside an ioctl) or
	// QUEUED; buffers go to the tail, controls to the head.
	RequestModel &r = reqs[req];
	if (r.state == ReqState::Complete)
		return;
	if (obj.isBuffer)
		r.objects.push_back(obj);
	else
		r.objects.insert(r.objects.begin(), obj);
	r.incomplete++;
}

void EmuModel::unbindObject(int req, size_t pos)
{
	// MCR:media_request_object_unbind. The counter is decremented whether or not the object
	// had completed (only the CLEANING path, clean() below, looks at that).
	RequestModel &r = reqs[req];
	RequestObject obj = r.objects[pos];
	r.objects.erase(r.objects.begin() + static_cast<long>(pos));
	if (r.state != ReqState::Complete && r.incomplete > 0) {
		r.incomplete--;
		if (r.state == ReqState::Queued && r.incomplete == 0)
			markComplete(req); // also when obj completed: counted twice
	}
	if (obj.isBuffer) {
		BufferModel &b = ctxs[obj.ctx].queue(Dir::Out).bufs[obj.index];
		b.reqObj = -1;
		// VB2C:vb2_req_unbind, then vb2_req_release (the object's last reference).
		if (b.state == BufState::InRequest) {
			b.requestFd = -1;
			b.state = BufState::Dequeued;
			b.reqRef = -1;
		}
	}
}

void EmuModel::unbindBuffer(int req, int ctx, uint32_t index)
{
	auto &objs = reqs[req].objects;
	for (size_t i = 0; i < objs.size(); i++)
		if (objs[i].isBuffer && objs[i].ctx == ctx && objs[i].index == index) {
			unbindObject(req, i);
			return;
		}
}

void EmuModel::completeObject(int req, size_t pos)
{
	// MCR:media_request_object_complete.
	RequestModel &r = reqs[req];
	RequestObject &obj = r.objects[pos];
	if (obj.completed)
		return;
	obj.completed = true;
	if (r.incomplete == 0 || r.state != ReqState::Queued)
		return; // the kernel WARNs and leaves the counter alone
	if (--r.incomplete == 0)
		markComplete(req);
}

void EmuModel::completeControls(int req, int ctx)
{
	if (req < 0)
		return;
	int pos = findControls(req, ctx);
	if (pos < 0) {
		if (reqs[req].state != ReqState::Queued)
			return;
		bindObject(req, RequestObject { false, ctx, 0, false });
		pos = 0;
	}
	completeObject(req, static_cast<size_t>(pos));
}

void EmuModel::markComplete(int req)
{
	reqs[req].state = ReqState::Complete; // the queue's reference is dropped
}

void EmuModel::clean(int req)
{
	// MCR:media_request_clean, state CLEANING: every object unbound and released.
	RequestModel &r = reqs[req];
	for (const RequestObject &obj : r.objects) {
		if (!obj.isBuffer)
			continue;
		BufferModel &b = ctxs[obj.ctx].queue(Dir::Out).bufs[obj.index];
		b.reqObj = -1;
		if (b.state == BufState::InRequest) { // VB2C:vb2_req_unbind + vb2_req_release
			b.requestFd = -1;
			b.state = BufState::Dequeued;
			b.reqRef = -1;
		}
	}
	r.objects.clear();
	r.incomplete = 0;
}

// --- requests -------------------------------------------------------------------------------

Observed EmuModel::requestAlloc(int reqSlot)
{
	reqs.push_back(RequestModel {}); // MCD:media_device_request_alloc
	reqSlots[reqSlot] = static_cast<int>(reqs.size() - 1);
	return {};
}

Observed EmuModel::requestQueue(int reqSlot)
{
	const int req = reqSlots[reqSlot];
	RequestModel &r = reqs[req];
	Observed o;
	if (r.state != ReqState::Idle) { // MCR:media_request_ioctl_queue
		o.ret = -EBUSY;
		return o;
	}
	// VB2C:vb2_request_validate: at least one buffer, then every buffer prepared in list
	// order; on a failure the ones before it are unprepared (VB2C:vb2_req_unprepare).
	std::vector<RequestObject> buffers;
	for (const RequestObject &obj : r.objects)
		if (obj.isBuffer)
			buffers.push_back(obj);
	if (buffers.empty()) {
		o.ret = -ENOENT;
		return o;
	}
	for (size_t i = 0; i < buffers.size(); i++) {
		ContextModel &c = ctxs[buffers[i].ctx];
		BufferModel &b = c.queue(Dir::Out).bufs[buffers[i].index];
		if (b.prepared)
			continue;
		if (b.length < c.out.sizeimage) { // HV:hantro_buf_prepare
			for (size_t k = i; k-- > 0;) {
				BufferModel &p =
					ctxs[buffers[k].ctx].queue(Dir::Out).bufs[buffers[k].index];
				p.requestFd = -1; // __vb2_dqbuf re-initialises it; prepared stays
			}
			o.ret = -EINVAL;
			return o;
		}
		b.prepared = b.synced = true;
	}
	// M2M:v4l2_m2m_request_queue: QUEUED first, then every object queued.
	r.state = ReqState::Queued;
	for (const RequestObject &obj : buffers) {
		QueueModel &q = ctxs[obj.ctx].queue(Dir::Out);
		q.bufs[obj.index].state = BufState::Queued;
		q.queued.push_back(obj.index);
		if (q.streaming)
			enqueueInDriver(obj.ctx, Dir::Out, obj.index);
	}
	runJobs();
	return o;
}

Observed EmuModel::requestReinit(int reqSlot)
{
	const int req = reqSlots[reqSlot];
	Observed o;
	if (reqs[req].state == ReqState::Queued) { // MCR:media_request_ioctl_reinit
		o.ret = -EBUSY;
		return o;
	}
	clean(req);
	reqs[req].state = ReqState::Idle;
	return o;
}

Observed EmuModel::requestClose(int reqSlot)
{
	const int req = reqSlots[reqSlot];
	reqSlots[reqSlot] = -1;
	reqs[req].fdOpen = false;
	// Without other references the request is released (MCR:media_request_release): its
	// objects go. Only control objects can be left then (a bound buffer holds a reference).
	if (reqs[req].state != ReqState::Queued) {
		bool referenced = false;
		for (const ContextModel &c : ctxs)
			for (const BufferModel &b : c.queue(Dir::Out).bufs)
				referenced |= c.alive && b.reqRef == req;
		if (!referenced)
			clean(req);
	}
	return {};
}

Observed EmuModel::requestPoll(int reqSlot, bool pri) const
{
	// MCR:media_request_poll: nothing without POLLPRI.
	Observed o;
	if (!pri)
		return o;
	const ReqState s = reqs[reqSlots[reqSlot]].state;
	o.revents = s == ReqState::Complete ? POLLPRI : s == ReqState::Queued ? 0 : POLLERR;
	o.ret = o.revents ? 1 : 0;
	return o;
}

// --- counts ---------------------------------------------------------------------------------

uint64_t EmuModel::liveContexts() const
{
	return static_cast<uint64_t>(std::count_if(ctxs.begin(), ctxs.end(),
						   [](const ContextModel &c) { return c.alive; }));
}

uint64_t EmuModel::liveBuffers() const
{
	uint64_t n = 0;
	for (const ContextModel &c : ctxs)
		if (c.alive)
			n += c.q[0].bufs.size() + c.q[1].bufs.size();
	return n;
}

uint64_t EmuModel::liveRequests() const
{
	// A request lives while its fd is open, while queued, and while a buffer holds it
	// (vb->request, until DQBUF or a cancel).
	uint64_t n = 0;
	for (size_t r = 0; r < reqs.size(); r++) {
		bool live = reqs[r].fdOpen || reqs[r].state == ReqState::Queued;
		for (const ContextModel &c : ctxs)
			for (const QueueModel &q : c.q)
				for (const BufferModel &b : q.bufs)
					live |= c.alive && b.reqRef == static_cast<int>(r);
		n += live;
	}
	return n;
}

uint64_t EmuModel::liveMemory() const
{
	std::vector<uint64_t> ids;
	for (const ContextModel &c : ctxs)
		if (c.alive)
			for (const QueueModel &q : c.q)
				for (const BufferModel &b : q.bufs)
					ids.push_back(b.memory);
	for (const Mapping &m : maps)
		ids.push_back(m.memory);
	std::sort(ids.begin(), ids.end());
	return static_cast<uint64_t>(std::unique(ids.begin(), ids.end()) - ids.begin());
}

uint64_t EmuModel::openFds() const
{
	uint64_t n = 1; // the media fd
	for (int s : slots)
		n += s >= 0;
	for (int r : reqSlots)
		n += r >= 0;
	return n;
}

} // namespace props::emu
