// SPDX-License-Identifier: MIT
// ioctls on video nodes (IOC = v4l2-ioctl.c, M2M = v4l2-mem2mem.c, VB2V/VB2C) and poll.
#include "video_ioctl.h"

#include "board_impl.h"
#include "controls_ioctl.h"

#include "drivers/driver_profile.h"

#include <fcntl.h>
#include <linux/media.h>

#include <cerrno>
#include <cstring>

namespace v4l2emu {

namespace {

constexpr uint32_t kVersion612 = (6u << 16) | (12u << 8) | 117u;
constexpr uint32_t kVersionMainline = (6u << 16) | (18u << 8);

uint32_t kernelVersionCode(KernelVersion v)
{
	return v == KernelVersion::V6_12 ? kVersion612 : kVersionMainline;
}

void copyString(char *dst, size_t size, const char *src)
{
	memset(dst, 0, size);
	strncpy(dst, src, size - 1);
}

/// IOC:check_fmt for an m2m video node.
int checkFmt(const VideoNode &node, uint32_t type)
{
	bool mp = node.driver().multiplanar();
	switch (type) {
	case V4L2_BUF_TYPE_VIDEO_CAPTURE:
	case V4L2_BUF_TYPE_VIDEO_OUTPUT:
		return 0;	// passes with either the single- or multi-planar op
	case V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE:
	case V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE:
		return mp ? 0 : -EINVAL;
	default:
		return -EINVAL;
	}
}

/// The driver op exists for this exact type (single-planar ops only on cedrus).
bool hasFmtOp(const VideoNode &node, uint32_t type)
{
	return V4L2_TYPE_IS_MULTIPLANAR(type) == node.driver().multiplanar();
}

Direction dirOf(uint32_t type)
{
	return V4L2_TYPE_IS_OUTPUT(type) ? Direction::Output : Direction::Capture;
}

/// M2M:v4l2_m2m_get_vq: the queue is chosen by direction only.
Queue &queueFor(Context &ctx, uint32_t type)
{
	return ctx.queue(dirOf(type));
}

const char *formatDescription(uint32_t fourcc)
{
	// IOC:v4l_fill_fmtdesc.
	switch (fourcc) {
	case V4L2_PIX_FMT_YUV420: return "Planar YUV 4:2:0";
	case V4L2_PIX_FMT_NV12: return "Y/UV 4:2:0";
	case V4L2_PIX_FMT_NV16: return "Y/UV 4:2:2";
	case V4L2_PIX_FMT_P010: return "10-bit Y/UV 4:2:0";
	case V4L2_PIX_FMT_NV12_4L4: return "Y/UV 4:2:0 (4x4 Linear)";
	case V4L2_PIX_FMT_NV12_32L32: return "Y/UV 4:2:0 (32x32 Linear)";
	case V4L2_PIX_FMT_H264_SLICE: return "H.264 Parsed Slice Data";
	case V4L2_PIX_FMT_MPEG2_SLICE: return "MPEG-2 Parsed Slice Data";
	case V4L2_PIX_FMT_VP8_FRAME: return "VP8 Frame";
	case V4L2_PIX_FMT_VP9_FRAME: return "VP9 Frame";
	case V4L2_PIX_FMT_HEVC_SLICE: return "HEVC Parsed Slice Data";
	case V4L2_PIX_FMT_FWHT_STATELESS: return "FWHT Stateless";
	case V4L2_PIX_FMT_AV1_FRAME: return "AV1 Frame";
	default: return nullptr;
	}
}

void toSinglePlanar(const struct v4l2_pix_format_mplane &mp, struct v4l2_pix_format &sp)
{
	memset(&sp, 0, sizeof(sp));
	sp.width = mp.width;
	sp.height = mp.height;
	sp.pixelformat = mp.pixelformat;
	sp.field = mp.field;
	sp.bytesperline = mp.plane_fmt[0].bytesperline;
	sp.sizeimage = mp.plane_fmt[0].sizeimage;
	sp.colorspace = mp.colorspace;
	sp.priv = V4L2_PIX_FMT_PRIV_MAGIC;
	sp.flags = mp.flags;
	sp.ycbcr_enc = mp.ycbcr_enc;
	sp.quantization = mp.quantization;
	sp.xfer_func = mp.xfer_func;
}

void toMultiPlanar(const struct v4l2_pix_format &sp, struct v4l2_pix_format_mplane &mp)
{
	memset(&mp, 0, sizeof(mp));
	mp.width = sp.width;
	mp.height = sp.height;
	mp.pixelformat = sp.pixelformat;
	mp.field = sp.field;
	mp.num_planes = 1;
	mp.plane_fmt[0].bytesperline = sp.bytesperline;
	mp.plane_fmt[0].sizeimage = sp.sizeimage;
	mp.colorspace = sp.colorspace;
	mp.flags = static_cast<uint8_t>(sp.flags);
	mp.ycbcr_enc = static_cast<uint8_t>(sp.ycbcr_enc);
	mp.quantization = static_cast<uint8_t>(sp.quantization);
	mp.xfer_func = static_cast<uint8_t>(sp.xfer_func);
}

int doFmt(Context &ctx, unsigned long cmd, struct v4l2_format &f)
{
	const VideoNode &node = ctx.node();
	int ret = checkFmt(node, f.type);
	if (ret)
		return ret;
	if (!hasFmtOp(node, f.type))
		return -EINVAL;
	Direction dir = dirOf(f.type);
	const DriverProfile &drv = ctx.driver();
	if (cmd == VIDIOC_G_FMT) {
		memset(&f.fmt, 0, sizeof(f.fmt));
		const auto &cur = dir == Direction::Output ? ctx.outputFormat : ctx.captureFormat;
		if (V4L2_TYPE_IS_MULTIPLANAR(f.type))
			f.fmt.pix_mp = cur;
		else
			toSinglePlanar(cur, f.fmt.pix);
		return 0;
	}
	struct v4l2_pix_format_mplane mp {};
	if (V4L2_TYPE_IS_MULTIPLANAR(f.type)) {
		mp = f.fmt.pix_mp;
		// IOC:v4l_s_fmt/v4l_try_fmt clear the reserved fields.
		memset(mp.reserved, 0, sizeof(mp.reserved));
		for (auto &pf : mp.plane_fmt)
			memset(pf.reserved, 0, sizeof(pf.reserved));
	} else {
		toMultiPlanar(f.fmt.pix, mp);
	}
	ret = cmd == VIDIOC_TRY_FMT ? drv.tryFmt(ctx, dir, mp) : drv.sFmt(ctx, dir, mp);
	if (ret)
		return ret;
	if (V4L2_TYPE_IS_MULTIPLANAR(f.type))
		f.fmt.pix_mp = mp;
	else
		toSinglePlanar(mp, f.fmt.pix);
	return 0;
}

int enumFmt(Context &ctx, struct v4l2_fmtdesc &f)
{
	const VideoNode &node = ctx.node();
	int ret = checkFmt(node, f.type);
	if (ret)
		return ret;
	uint32_t index = f.index, type = f.type;
	memset(&f, 0, sizeof(f));
	f.index = index;
	f.type = type;
	// IOC:v4l_enum_fmt: the type's planarity must match the node's.
	if (V4L2_TYPE_IS_MULTIPLANAR(type) != node.driver().multiplanar())
		return -EINVAL;
	ret = ctx.driver().enumFmt(ctx, dirOf(type), f);
	if (ret)
		return ret;
	if (const char *descr = formatDescription(f.pixelformat))
		copyString(reinterpret_cast<char *>(f.description), sizeof(f.description), descr);
	if (isCodedFormat(f.pixelformat))
		f.flags |= V4L2_FMT_FLAG_COMPRESSED;
	return 0;
}

int qbuf(BoardImpl &board, Context &ctx, struct v4l2_buffer &b)
{
	int ret = checkFmt(ctx.node(), b.type);
	if (ret)
		return ret;
	Queue &q = queueFor(ctx, b.type);
	// M2M:v4l2_m2m_qbuf: requests only carry OUTPUT buffers.
	if (!V4L2_TYPE_IS_OUTPUT(q.type()) && (b.flags & V4L2_BUF_FLAG_REQUEST_FD))
		return -EPERM;
	Request *req = nullptr;
	if (b.flags & V4L2_BUF_FLAG_REQUEST_FD) {
		// Looked up lazily by the queue: a bad fd is EINVAL at its place in the order.
		if (board.requestFromFd(b.request_fd, ctx.device(), &req))
			req = nullptr;
	}
	ret = q.qbuf(b, req, b.request_fd);
	if (ret)
		return ret;
	// M2M:v4l2_m2m_qbuf schedules unless the buffer only went into a request.
	if (!(b.flags & V4L2_BUF_FLAG_IN_REQUEST))
		ctx.device().trySchedule(ctx);
	return 0;
}

int decoderCmd(Context &ctx, struct v4l2_decoder_cmd &dc, bool tryOnly)
{
	// M2M:v4l2_m2m_ioctl_stateless_try_decoder_cmd / _decoder_cmd.
	if (dc.cmd != V4L2_DEC_CMD_FLUSH)
		return -EINVAL;
	dc.flags = 0;
	if (tryOnly)
		return 0;
	Buffer *out = ctx.output().readyTail();
	Buffer *cap = ctx.capture().readyTail();
	if (out) {
		out->flags &= ~V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF;
	} else if (cap && cap->held) {
		cap->held = false;
		// The held buffer is at the head of the ready list (it stays there while held).
		Buffer *head = ctx.capture().readyPop();
		ctx.capture().bufferDone(*head, BufferState::Done);
	}
	return 0;
}

int subscribeEvent(Context &ctx, const struct v4l2_event_subscription &sub)
{
	// CAPI:v4l2_ctrl_subscribe_event: control events only; the control must exist.
	if (sub.type != V4L2_EVENT_CTRL)
		return -EINVAL;
	const ControlHandler::Control *c = ctx.controls().find(sub.id);
	if (!c)
		return -EINVAL;
	for (auto &s : ctx.subscriptions)
		if (s.id == sub.id)
			return 0;
	ctx.subscriptions.push_back({sub.id, sub.flags});
	ctx.events.reserve(ctx.subscriptions.size());
	// CAPI:v4l2_ctrl_add_event: no initial event for a control class.
	if ((sub.flags & V4L2_EVENT_SUB_FL_SEND_INITIAL) && c->def.type != V4L2_CTRL_TYPE_CTRL_CLASS)
		ctx.queueControlEvent(*c, V4L2_EVENT_CTRL_CH_VALUE | V4L2_EVENT_CTRL_CH_FLAGS, true);
	return 0;
}

int unsubscribeEvent(Context &ctx, const struct v4l2_event_subscription &sub)
{
	if (sub.type == V4L2_EVENT_ALL) {
		ctx.subscriptions.clear();
		ctx.events.clear();
		return 0;
	}
	for (auto it = ctx.subscriptions.begin(); it != ctx.subscriptions.end(); ++it) {
		if (it->id == sub.id && sub.type == V4L2_EVENT_CTRL) {
			ctx.subscriptions.erase(it);
			break;
		}
	}
	for (auto it = ctx.events.begin(); it != ctx.events.end(); ++it) {
		if (it->id == sub.id) {
			ctx.events.erase(it);
			break;
		}
	}
	return 0;
}

int dqevent(Context &ctx, struct v4l2_event &ev, bool nonblocking, std::unique_lock<std::mutex> &lk)
{
	// V4L2 core v4l2_event_dequeue.
	while (ctx.events.empty()) {
		if (nonblocking)
			return -ENOENT;
		if (ctx.device().unplugged())
			return -ENODEV;
		ctx.device().changed().wait(lk);
	}
	ev = ctx.events.front();
	ctx.events.erase(ctx.events.begin());
	ev.pending = static_cast<uint32_t>(ctx.events.size());
	return 0;
}

} // namespace

int videoIoctl(BoardImpl &board, VideoFile &file, unsigned long cmd, void *arg,
	       std::unique_lock<std::mutex> &lk)
{
	Context &ctx = *file.context;
	const VideoNode &node = ctx.node();
	MediaDevice &dev = ctx.device();
	// VB2V:vb2_ioctl_dqbuf and V4L2 core v4l2_event_dequeue read file->f_flags at the call,
	// so O_NONBLOCK set later with fcntl(F_SETFL) counts. The node's fd is a real eventfd
	// whose status flags are those of its open file description (dups share them).
	auto nonblocking = [&file] {
		int flags = ::fcntl(file.fd(), F_GETFL);
		return ((flags < 0 ? file.flags : flags) & O_NONBLOCK) != 0;
	};

	// IOC:__video_do_ioctl: ioctls flagged INFO_FL_PRIO fail with EBUSY (v4l2_prio_check)
	// when another open of the node holds a higher priority.
	switch (cmd) {
	case VIDIOC_S_FMT:
	case VIDIOC_REQBUFS:
	case VIDIOC_CREATE_BUFS:
	case VIDIOC_STREAMON:
	case VIDIOC_STREAMOFF:
	case VIDIOC_S_CTRL:
	case VIDIOC_S_EXT_CTRLS:
	case VIDIOC_S_SELECTION:
	case VIDIOC_S_PRIORITY:
	case VIDIOC_DECODER_CMD:
	case VIDIOC_REMOVE_BUFS:
		if (static_cast<uint32_t>(ctx.priority) < dev.maxPriority())
			return -EBUSY;
		break;
	default:
		break;
	}

	switch (cmd) {
	case VIDIOC_QUERYCAP: {
		auto &cap = *static_cast<struct v4l2_capability *>(arg);
		memset(&cap, 0, sizeof(cap));
		copyString(reinterpret_cast<char *>(cap.driver), sizeof(cap.driver),
			   node.driver().driverName());
		copyString(reinterpret_cast<char *>(cap.card), sizeof(cap.card),
			   node.driver().cardName());
		copyString(reinterpret_cast<char *>(cap.bus_info), sizeof(cap.bus_info),
			   node.driver().busInfo());
		cap.version = kernelVersionCode(ctx.kernel());
		cap.device_caps = node.deviceCaps() | V4L2_CAP_EXT_PIX_FORMAT;
		cap.capabilities = cap.device_caps | V4L2_CAP_DEVICE_CAPS;
		return 0;
	}
	case VIDIOC_ENUM_FMT:
		return enumFmt(ctx, *static_cast<struct v4l2_fmtdesc *>(arg));
	case VIDIOC_G_FMT:
	case VIDIOC_S_FMT:
	case VIDIOC_TRY_FMT:
		return doFmt(ctx, cmd, *static_cast<struct v4l2_format *>(arg));
	case VIDIOC_ENUM_FRAMESIZES: {
		auto &fs = *static_cast<struct v4l2_frmsizeenum *>(arg);
		uint32_t index = fs.index, fourcc = fs.pixel_format;
		memset(&fs, 0, sizeof(fs));
		fs.index = index;
		fs.pixel_format = fourcc;
		return node.driver().enumFramesizes(ctx, fs);
	}
	case VIDIOC_G_SELECTION:
	case VIDIOC_S_SELECTION: {
		// IOC: both are INFO_FL_CLEAR(v4l2_selection, r): the core zeroes what follows r.
		auto &sel = *static_cast<struct v4l2_selection *>(arg);
		memset(sel.reserved, 0, sizeof(sel.reserved));
		return node.driver().selection(ctx, sel, cmd == VIDIOC_S_SELECTION);
	}
	case VIDIOC_REQBUFS: {
		auto &rb = *static_cast<struct v4l2_requestbuffers *>(arg);
		int ret = checkFmt(node, rb.type);
		if (ret)
			return ret;
		memset(rb.reserved, 0, sizeof(rb.reserved));
		return queueFor(ctx, rb.type).reqbufs(rb);
	}
	case VIDIOC_CREATE_BUFS: {
		auto &cb = *static_cast<struct v4l2_create_buffers *>(arg);
		int ret = checkFmt(node, cb.format.type);
		if (ret)
			return ret;
		memset(cb.reserved, 0, sizeof(cb.reserved));
		return queueFor(ctx, cb.format.type).createBufs(cb);
	}
	case VIDIOC_QUERYBUF: {
		auto &b = *static_cast<struct v4l2_buffer *>(arg);
		int ret = checkFmt(node, b.type);
		if (ret)
			return ret;
		return queueFor(ctx, b.type).querybuf(b);
	}
	case VIDIOC_PREPARE_BUF: {
		auto &b = *static_cast<struct v4l2_buffer *>(arg);
		int ret = checkFmt(node, b.type);
		if (ret)
			return ret;
		return queueFor(ctx, b.type).prepareBuf(b);
	}
	case VIDIOC_QBUF:
		return qbuf(board, ctx, *static_cast<struct v4l2_buffer *>(arg));
	case VIDIOC_DQBUF: {
		auto &b = *static_cast<struct v4l2_buffer *>(arg);
		int ret = checkFmt(node, b.type);
		if (ret)
			return ret;
		return queueFor(ctx, b.type).dqbuf(b, nonblocking(), lk);
	}
	case VIDIOC_EXPBUF: {
		auto &eb = *static_cast<struct v4l2_exportbuffer *>(arg);
		std::shared_ptr<PlaneMemory> mem;
		int ret = queueFor(ctx, eb.type).expbuf(eb, &mem);
		if (ret)
			return ret;
		if (int fault = dev.memoryFault())
			return -fault;
		return board.exportDmabuf(mem, eb.flags, &eb.fd);
	}
	case VIDIOC_STREAMON: {
		uint32_t type = *static_cast<uint32_t *>(arg);
		Queue &q = queueFor(ctx, type);
		if (type != q.type())
			return -EINVAL;
		int ret = q.streamon();
		if (!ret)
			dev.trySchedule(ctx);
		return ret;
	}
	case VIDIOC_STREAMOFF: {
		uint32_t type = *static_cast<uint32_t *>(arg);
		Queue &q = queueFor(ctx, type);
		// M2M:v4l2_m2m_streamoff cancels this context's job first (waiting for a running
		// one), then vb2 rejects a wrong type.
		dev.cancelJob(ctx, lk);
		if (type != q.type())
			return -EINVAL;
		int ret = q.streamoff();
		dev.trySchedule(ctx);
		return ret;
	}
	case VIDIOC_REMOVE_BUFS: {
		if (!node.driver().supportsRemoveBufs())
			return -ENOTTY;
		auto &rb = *static_cast<struct v4l2_remove_buffers *>(arg);
		return queueFor(ctx, rb.type).removeBufs(rb);
	}
	case VIDIOC_QUERYCTRL:
		return queryCtrl(ctx.controls(), *static_cast<struct v4l2_queryctrl *>(arg));
	case VIDIOC_QUERY_EXT_CTRL:
		return queryExtCtrl(ctx.controls(), *static_cast<struct v4l2_query_ext_ctrl *>(arg));
	case VIDIOC_QUERYMENU:
		return queryMenu(ctx.controls(), *static_cast<struct v4l2_querymenu *>(arg));
	case VIDIOC_G_CTRL:
		return getCtrl(ctx.controls(), *static_cast<struct v4l2_control *>(arg));
	case VIDIOC_S_CTRL:
		return setCtrl(ctx, *static_cast<struct v4l2_control *>(arg));
	case VIDIOC_G_EXT_CTRLS:
	case VIDIOC_S_EXT_CTRLS:
	case VIDIOC_TRY_EXT_CTRLS:
		return extCtrls(board, ctx, cmd, *static_cast<struct v4l2_ext_controls *>(arg));
	case VIDIOC_SUBSCRIBE_EVENT:
		return subscribeEvent(ctx, *static_cast<struct v4l2_event_subscription *>(arg));
	case VIDIOC_UNSUBSCRIBE_EVENT:
		return unsubscribeEvent(ctx, *static_cast<struct v4l2_event_subscription *>(arg));
	case VIDIOC_DQEVENT:
		return dqevent(ctx, *static_cast<struct v4l2_event *>(arg), nonblocking(), lk);
	case VIDIOC_DECODER_CMD:
	case VIDIOC_TRY_DECODER_CMD:
		return decoderCmd(ctx, *static_cast<struct v4l2_decoder_cmd *>(arg),
				  cmd == VIDIOC_TRY_DECODER_CMD);
	case VIDIOC_G_PRIORITY:
		// IOC:v4l_g_priority: the highest priority of all opens of the node.
		*static_cast<uint32_t *>(arg) = dev.maxPriority();
		return 0;
	case VIDIOC_S_PRIORITY: {
		// V4L2C:v4l2_prio_change (the priority check ran above): BACKGROUND, INTERACTIVE
		// or RECORD; an open at a lower priority than another gets EBUSY for PRIO ioctls.
		uint32_t prio = *static_cast<uint32_t *>(arg);
		if (prio != V4L2_PRIORITY_BACKGROUND && prio != V4L2_PRIORITY_INTERACTIVE &&
		    prio != V4L2_PRIORITY_RECORD)
			return -EINVAL;
		dev.priorityCounts[static_cast<uint32_t>(ctx.priority)]--;
		ctx.priority = static_cast<int>(prio);
		dev.priorityCounts[prio]++;
		return 0;
	}
	default:
		return -ENOTTY;
	}
}

short videoPoll(VideoFile &file, short events)
{
	// M2M:v4l2_m2m_poll / v4l2_m2m_poll_for_data; V4L2 core: unregistered devices report
	// EPOLLERR | EPOLLHUP | EPOLLPRI.
	Context &ctx = *file.context;
	if (ctx.device().unplugged())
		return POLLERR | POLLHUP | POLLPRI;
	ctx.device().checkWatchdog();
	short rc = 0;
	if (events & (POLLOUT | POLLWRNORM | POLLIN | POLLRDNORM)) {
		const Queue &src = ctx.output();
		const Queue &dst = ctx.capture();
		bool srcIdle = !src.streaming() || src.error() || src.queuedCount() == 0;
		bool dstIdle = !dst.streaming() || dst.error() ||
			       (dst.queuedCount() == 0 && !dst.lastBufferDequeued());
		if (srcIdle && dstIdle) {
			rc = POLLERR;
		} else {
			if (src.hasDone())
				rc |= POLLOUT | POLLWRNORM;
			if (dst.hasDone() || dst.lastBufferDequeued())
				rc |= POLLIN | POLLRDNORM;
		}
	}
	if (!ctx.events.empty())
		rc |= POLLPRI;
	return rc;
}

short requestPoll(RequestFile &file, short events)
{
	return file.request->poll(events);
}

int requestIoctl(RequestFile &file, unsigned long cmd, void *)
{
	// MCR:media_request_ioctl.
	switch (cmd) {
	case MEDIA_REQUEST_IOC_QUEUE:
		return file.request->queue();
	case MEDIA_REQUEST_IOC_REINIT:
		return file.request->reinit();
	default:
		return -ENOTTY;
	}
}

} // namespace v4l2emu
