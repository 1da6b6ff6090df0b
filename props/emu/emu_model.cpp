// SPDX-License-Identifier: MIT
#include "emu_model.h"

#include <poll.h>
#include <sys/mman.h>

#include <algorithm>
#include <cerrno>

namespace props::emu {

namespace {

// V4L2C:v4l2_apply_frmsize_constraints (clamp, then round up to the step).
uint32_t clampRoundup(uint32_t v, uint32_t min, uint32_t max, uint32_t step)
{
	v = std::clamp(v, min, max);
	return (v + step - 1) / step * step;
}

constexpr uint32_t kTimestampCopy = V4L2_BUF_FLAG_TIMESTAMP_COPY; // HD:queue_init

} // namespace

// --- formats (HV:hantro_try_fmt, HRK:rk3399_vpu_dec_fmts) -----------------------------------

Format EmuModel::outputFormat(const FormatChoice &f) const
{
	Format out;
	// An unknown fourcc becomes the default coded format, MPEG-2 (HV:hantro_try_fmt).
	out.fourcc = f.fourcc == V4L2_PIX_FMT_VP8_FRAME ? V4L2_PIX_FMT_VP8_FRAME
							: V4L2_PIX_FMT_MPEG2_SLICE;
	const bool vp8 = out.fourcc == V4L2_PIX_FMT_VP8_FRAME;
	out.width = clampRoundup(f.width, 48, vp8 ? 3840 : 1920, 16);
	out.height = clampRoundup(f.height, 48, vp8 ? 2160 : 1088, 16);
	out.sizeimage = out.width * out.height * 2; // max_depth 2, no header
	return out;
}

Format EmuModel::captureFormatFor(const Format &out) const
{
	// HV:hantro_reset_raw_fmt: NV12 at the OUTPUT size, clamped by the NV12 frmsize.
	Format cap;
	cap.fourcc = V4L2_PIX_FMT_NV12;
	cap.width = clampRoundup(out.width, 48, 1920, 16);
	cap.height = clampRoundup(out.height, 48, 1088, 16);
	cap.sizeimage = cap.width * cap.height * 3 / 2; // V4L2C:v4l2_fill_pixfmt_mp
	return cap;
}

uint32_t EmuModel::capabilities(Dir dir) const
{
	// VB2V:vb2_set_flags_and_caps, IOC:v4l_reqbufs (hantro implements REMOVE_BUFS).
	uint32_t caps = V4L2_BUF_CAP_SUPPORTS_ORPHANED_BUFS | V4L2_BUF_CAP_SUPPORTS_MMAP |
			V4L2_BUF_CAP_SUPPORTS_DMABUF | V4L2_BUF_CAP_SUPPORTS_REMOVE_BUFS;
	if (dir == Dir::Out)
		caps |= V4L2_BUF_CAP_SUPPORTS_REQUESTS;
	return caps;
}

bool EmuModel::memoryMapped(uint64_t memory) const
{
	return std::any_of(maps.begin(), maps.end(),
			   [&](const Mapping &m) { return m.memory == memory; });
}

uint32_t EmuModel::bufferFlags(const ContextModel &c, Dir dir, uint32_t index) const
{
	// VB2V:__fill_v4l2_buffer.
	const BufferModel &b = c.queue(dir).bufs[index];
	uint32_t flags = kTimestampCopy;
	switch (b.state) {
	case BufState::Queued: flags |= V4L2_BUF_FLAG_QUEUED; break;
	case BufState::InRequest: flags |= V4L2_BUF_FLAG_IN_REQUEST; break;
	case BufState::Error: flags |= V4L2_BUF_FLAG_ERROR | V4L2_BUF_FLAG_DONE; break;
	case BufState::Done: flags |= V4L2_BUF_FLAG_DONE; break;
	case BufState::Dequeued: break;
	}
	if ((b.state == BufState::Dequeued || b.state == BufState::InRequest) && b.synced &&
	    b.prepared)
		flags |= V4L2_BUF_FLAG_PREPARED;
	if (memoryMapped(b.memory)) // VB2C:vb2_buffer_in_use
		flags |= V4L2_BUF_FLAG_MAPPED;
	if (b.requestFd >= 0)
		flags |= V4L2_BUF_FLAG_REQUEST_FD;
	return flags;
}

// --- queues (VB2C, M2M, hantro) -------------------------------------------------------------

void EmuModel::enqueueInDriver(int ctx, Dir dir, uint32_t index)
{
	QueueModel &q = ctxs[ctx].queue(dir);
	q.bufs[index].inDriver = true; // M2M:v4l2_m2m_buf_queue
	q.ready.push_back(index);
}

void EmuModel::bufferDone(int ctx, Dir dir, uint32_t index, BufState state)
{
	// VB2C:vb2_buffer_done: to the done list; a request's buffer object is unbound.
	QueueModel &q = ctxs[ctx].queue(dir);
	BufferModel &b = q.bufs[index];
	b.state = state;
	b.inDriver = false;
	b.synced = false;
	q.done.push_back(index);
	if (b.reqObj >= 0)
		unbindBuffer(b.reqObj, ctx, index);
}

bool EmuModel::jobReady(const ContextModel &c) const
{
	// M2M:__v4l2_m2m_try_queue: both queues streaming, a buffer on each ready list.
	return c.alive && c.queue(Dir::Out).streaming && c.queue(Dir::Cap).streaming &&
	       !c.queue(Dir::Out).ready.empty() && !c.queue(Dir::Cap).ready.empty();
}

void EmuModel::runJobs()
{
	// The deterministic scheduler runs every runnable job inside the call that made it
	// runnable. Contexts are independent, so the order among them changes nothing visible.
	for (bool ran = true; ran;) {
		ran = false;
		for (size_t id = 0; id < ctxs.size(); id++) {
			ContextModel &c = ctxs[id];
			if (!jobReady(c))
				continue;
			ran = true;
			jobs++;
			QueueModel &out = c.queue(Dir::Out), &cap = c.queue(Dir::Cap);
			const uint32_t src = out.ready.front(), dst = cap.ready.front();
			out.ready.pop_front();
			cap.ready.pop_front();
			// HD:device_run -> hantro_end_prepare_run: the request's controls complete.
			completeControls(out.bufs[src].reqObj, static_cast<int>(id));
			// M2M:v4l2_m2m_buf_done_and_job_finish: CAPTURE first, then OUTPUT.
			bufferDone(static_cast<int>(id), Dir::Cap, dst, BufState::Done);
			bufferDone(static_cast<int>(id), Dir::Out, src, BufState::Done);
		}
	}
}

void EmuModel::cancel(int ctx, Dir dir)
{
	// VB2C:__vb2_queue_cancel.
	ContextModel &c = ctxs[ctx];
	QueueModel &q = c.queue(dir);
	if (q.streaming) {
		// HV:hantro_stop_streaming -> hantro_return_bufs: driver-owned buffers come back as
		// ERROR, OUTPUT ones completing their request's controls first.
		while (!q.ready.empty()) {
			const uint32_t i = q.ready.front();
			q.ready.pop_front();
			if (dir == Dir::Out)
				completeControls(q.bufs[i].reqObj, ctx);
			bufferDone(ctx, dir, i, BufState::Error);
		}
	}
	q.streaming = false;
	q.queued.clear();
	q.done.clear();
	q.ready.clear();
	for (uint32_t i = 0; i < q.bufs.size(); i++) {
		BufferModel &b = q.bufs[i];
		if (b.reqObj >= 0 && reqs[b.reqObj].state == ReqState::Queued)
			completeControls(b.reqObj, ctx); // HV:hantro_buf_request_complete
		b.synced = false;
		b.prepared = false;
		if (b.state != BufState::Dequeued) { // VB2C:__vb2_dqbuf
			b.state = BufState::Dequeued;
			b.requestFd = -1;
		}
		b.inDriver = false;
		if (b.reqObj >= 0)
			unbindBuffer(b.reqObj, ctx, i);
		b.reqRef = -1;
	}
}

void EmuModel::freeBuffers(int ctx, Dir dir)
{
	QueueModel &q = ctxs[ctx].queue(dir);
	q.bufs.clear(); // mapped memory is orphaned (the mappings keep their ids)
	q.busy = false;
}

void EmuModel::release(int ctx)
{
	// HD:hantro_release: M2M:v4l2_m2m_ctx_release (CAPTURE, then OUTPUT), then the control
	// handler (CREQ:v4l2_ctrl_handler_free_request unbinds its objects from every request).
	cancel(ctx, Dir::Cap);
	freeBuffers(ctx, Dir::Cap);
	cancel(ctx, Dir::Out);
	freeBuffers(ctx, Dir::Out);
	for (size_t r = 0; r < reqs.size(); r++) {
		for (;;) {
			int pos = findControls(static_cast<int>(r), ctx);
			if (pos < 0)
				break;
			unbindObject(static_cast<int>(r), static_cast<size_t>(pos));
		}
	}
	ctxs[ctx].alive = false;
}

// --- node ioctls ----------------------------------------------------------------------------

Observed EmuModel::open(int slot)
{
	ContextModel c;
	c.out = outputFormat({ V4L2_PIX_FMT_MPEG2_SLICE, 48, 48 }); // HV:hantro_reset_fmts
	c.cap = captureFormatFor(c.out);
	ctxs.push_back(c);
	slots[slot] = static_cast<int>(ctxs.size() - 1);
	return {};
}

Observed EmuModel::close(int slot)
{
	const int id = slots[slot];
	slots[slot] = -1;
	ctxs[id].fdOpen = false;
	if (ctxs[id].fileRefs == 0) // else the last munmap releases it
		release(id);
	return {};
}

Observed EmuModel::sFmt(int slot, Dir dir, const FormatChoice &f)
{
	ContextModel &c = ctxs[slots[slot]];
	Observed o;
	if (dir == Dir::Cap) {
		// HV:hantro_set_fmt_cap: never busy on a decoder; NV12 at the OUTPUT size.
		c.cap = captureFormatFor(c.out);
		o.count = c.cap.width;
		o.index = c.cap.height;
		o.length = c.cap.sizeimage;
		return o;
	}
	Format out = outputFormat(f);
	// HV:hantro_set_fmt_out: a codec change while OUTPUT streams is refused; a resolution
	// change is not, and resets CAPTURE even when it has buffers.
	if (c.queue(Dir::Out).streaming && out.fourcc != c.out.fourcc) {
		o.ret = -EBUSY;
		return o;
	}
	c.out = out;
	c.cap = captureFormatFor(out);
	o.count = out.width;
	o.index = out.height;
	o.length = out.sizeimage;
	return o;
}

Observed EmuModel::reqbufs(int slot, Dir dir, uint32_t count, bool userptr)
{
	const int id = slots[slot];
	Observed o;
	o.caps = capabilities(dir);
	if (userptr) { // VB2C:vb2_verify_memory_type: MMAP|DMABUF only
		o.ret = -EINVAL;
		return o;
	}
	QueueModel &q = ctxs[id].queue(dir);
	if (q.streaming) { // VB2C:vb2_core_reqbufs
		o.ret = -EBUSY;
		return o;
	}
	if (count == 0 || !q.bufs.empty()) {
		cancel(id, dir);
		freeBuffers(id, dir);
		if (count == 0)
			return o;
	}
	const uint32_t max = dir == Dir::Out ? kMaxOutput : kMaxCapture;
	const uint32_t n = std::clamp(count, 1u, max);
	const uint32_t length = dir == Dir::Out ? ctxs[id].out.sizeimage : ctxs[id].cap.sizeimage;
	for (uint32_t i = 0; i < n; i++) {
		BufferModel b;
		b.length = length;
		b.memory = nextMemory++;
		q.bufs.push_back(b);
	}
	q.busy = true;
	o.count = n;
	return o;
}

Observed EmuModel::createBufs(int slot, Dir dir, uint32_t count, uint32_t sizeimage)
{
	const int id = slots[slot];
	QueueModel &q = ctxs[id].queue(dir);
	Observed o;
	o.caps = capabilities(dir) | V4L2_BUF_CAP_SUPPORTS_MAX_NUM_BUFFERS;
	o.index = static_cast<uint32_t>(q.bufs.size());
	if (count == 0) // VB2V:vb2_create_bufs: a query
		return o;
	if (sizeimage == 0) {
		o.ret = -EINVAL;
		return o;
	}
	const uint32_t max = dir == Dir::Out ? kMaxOutput : kMaxCapture;
	if (q.bufs.size() == max) { // VB2C:vb2_core_create_bufs
		o.ret = -ENOBUFS;
		return o;
	}
	const uint32_t current = dir == Dir::Out ? ctxs[id].out.sizeimage : ctxs[id].cap.sizeimage;
	if (sizeimage < current) { // HV:hantro_queue_setup
		o.ret = -EINVAL;
		return o;
	}
	const uint32_t n = std::min<uint32_t>(count, max - static_cast<uint32_t>(q.bufs.size()));
	for (uint32_t i = 0; i < n; i++) {
		BufferModel b;
		b.length = sizeimage;
		b.memory = nextMemory++;
		q.bufs.push_back(b);
	}
	q.busy = true;
	o.count = n;
	return o;
}

Observed EmuModel::querybuf(int slot, Dir dir, uint32_t index) const
{
	const ContextModel &c = ctxs[slots[slot]];
	Observed o;
	if (index >= c.queue(dir).bufs.size()) { // VB2V:vb2_querybuf
		o.ret = -EINVAL;
		return o;
	}
	const BufferModel &b = c.queue(dir).bufs[index];
	o.flags = bufferFlags(c, dir, index);
	o.requestId = b.requestFd;
	o.length = b.length;
	return o;
}

Observed EmuModel::qbuf(int slot, Dir dir, uint32_t index, int reqSlot)
{
	const int id = slots[slot];
	ContextModel &c = ctxs[id];
	QueueModel &q = c.queue(dir);
	const bool withRequest = reqSlot >= 0;
	Observed o;
	if (dir == Dir::Cap && withRequest) { // M2M:v4l2_m2m_qbuf
		o.ret = -EPERM;
		return o;
	}
	if (index >= q.bufs.size()) { // VB2V:vb2_queue_or_prepare_buf
		o.ret = -EINVAL;
		return o;
	}
	BufferModel &b = q.bufs[index];
	if (withRequest && b.state != BufState::Dequeued) {
		o.ret = -EINVAL;
		return o;
	}
	if (!b.prepared) { // VB2V:vb2_fill_vb2_v4l2_buffer runs before the mode checks
		b.requestFd = -1;
	}
	int req = -1;
	if (!withRequest) {
		if (dir == Dir::Out) { // hantro: MPEG-2 and VP8 require requests
			o.ret = -EBADR;
			return o;
		}
	} else {
		req = requestIdOf(reqSlot);
		if (req < 0) { // MCR:media_request_get_by_fd: not a request fd
			o.ret = -EINVAL;
			return o;
		}
		if (reqs[req].state != ReqState::Idle) {
			o.ret = -EBUSY;
			return o;
		}
		b.requestFd = req;
	}
	// VB2C:vb2_core_qbuf.
	if (withRequest) {
		bindObject(req, RequestObject { true, id, index, false });
		b.state = BufState::InRequest;
		b.reqObj = req;
		b.reqRef = req;
		o.flags = bufferFlags(c, dir, index);
		o.requestId = b.requestFd;
		return o;
	}
	if (b.state != BufState::Dequeued) {
		o.ret = -EINVAL;
		return o;
	}
	if (!b.prepared) {
		if (b.length < c.cap.sizeimage) { // HV:hantro_buf_prepare
			o.ret = -EINVAL;
			return o;
		}
		b.prepared = b.synced = true;
	}
	b.state = BufState::Queued;
	q.queued.push_back(index);
	if (q.streaming)
		enqueueInDriver(id, dir, index);
	o.flags = bufferFlags(c, dir, index);
	o.requestId = b.requestFd;
	runJobs();
	return o;
}

Observed EmuModel::dqbuf(int slot, Dir dir)
{
	const int id = slots[slot];
	ContextModel &c = ctxs[id];
	QueueModel &q = c.queue(dir);
	Observed o;
	if (!q.streaming) { // VB2C:__vb2_wait_for_done_vb
		o.ret = -EINVAL;
		return o;
	}
	if (q.done.empty()) {
		o.ret = -EAGAIN;
		return o;
	}
	const uint32_t index = q.done.front();
	q.done.pop_front();
	BufferModel &b = q.bufs[index];
	b.prepared = false; // VB2C:vb2_core_dqbuf
	o.flags = bufferFlags(c, dir, index) & ~V4L2_BUF_FLAG_DONE; // VB2V:vb2_dqbuf
	o.requestId = b.requestFd;
	o.count = index;
	q.queued.erase(std::find(q.queued.begin(), q.queued.end(), index));
	b.state = BufState::Dequeued;
	b.requestFd = -1;
	b.reqRef = -1;
	return o;
}

Observed EmuModel::streamon(int slot, Dir dir)
{
	const int id = slots[slot];
	QueueModel &q = ctxs[id].queue(dir);
	Observed o;
	if (q.streaming) // VB2C:vb2_core_streamon
		return o;
	if (q.bufs.empty()) {
		o.ret = -EINVAL;
		return o;
	}
	for (uint32_t i : q.queued) // VB2C:vb2_start_streaming, in QBUF order
		enqueueInDriver(id, dir, i);
	q.streaming = true;
	runJobs(); // M2M:v4l2_m2m_streamon
	return o;
}

Observed EmuModel::streamoff(int slot, Dir dir)
{
	cancel(slots[slot], dir); // M2M:v4l2_m2m_streamoff
	return {};
}

Observed EmuModel::setControls(int slot, int reqSlot, bool valid)
{
	Observed o;
	if (reqSlot < 0) { // which = CUR: applied now, nothing the model tracks
		o.ret = valid ? 0 : -EINVAL;
		return o;
	}
	const int req = requestIdOf(reqSlot);
	if (req < 0) { // CREQ:try_set_ext_ctrls_request -> media_request_get_by_fd
		o.ret = -EINVAL;
		return o;
	}
	if (reqs[req].state != ReqState::Idle) { // MRH:media_request_lock_for_update
		o.ret = -EBUSY;
		return o;
	}
	// CREQ:v4l2_ctrls_find_req_obj binds the handler's object before the values are checked.
	if (findControls(req, slots[slot]) < 0)
		bindObject(req, RequestObject { false, slots[slot], 0, false });
	o.ret = valid ? 0 : -EINVAL; // CCORE:std_validate_compound (MPEG-2 picture)
	return o;
}

Observed EmuModel::mmap(int slot, Dir dir, uint32_t index, int prot, bool oversize)
{
	const int id = slots[slot];
	ContextModel &c = ctxs[id];
	Observed o;
	// VB2C:vb2_mmap.
	if (dir == Dir::Out ? !(prot & PROT_WRITE) : !(prot & PROT_READ)) {
		o.ret = -EINVAL;
		return o;
	}
	if (index >= c.queue(dir).bufs.size()) { // VB2C:__find_plane_by_offset
		o.ret = -EINVAL;
		return o;
	}
	const BufferModel &b = c.queue(dir).bufs[index];
	if (oversize) {
		o.ret = -EINVAL;
		return o;
	}
	maps.push_back(Mapping { id, b.memory });
	c.fileRefs++;
	return o;
}

Observed EmuModel::munmap(size_t mapping)
{
	const int id = maps[mapping].ctx;
	maps.erase(maps.begin() + static_cast<long>(mapping));
	ContextModel &c = ctxs[id];
	c.fileRefs--;
	if (!c.fdOpen && c.fileRefs == 0) // MM:remove_vma drops the file: the release runs now
		release(id);
	return {};
}

} // namespace props::emu
