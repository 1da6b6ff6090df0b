// SPDX-License-Identifier: MIT
#include "emu_sut.h"

#include <linux/media.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstring>

namespace props::emu {

namespace {

constexpr const char *kDevice = "hantro-vpu";

uint32_t typeOf(Dir dir)
{
	return dir == Dir::Out ? V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE
			       : V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
}

} // namespace

EmuSut::EmuSut()
{
	v4l2emu::BoardOptions options;
	options.scheduler = v4l2emu::SchedulerMode::Deterministic;
	board_ = v4l2emu::Board::create("fresnel", options);
	if (!board_)
		return;
	io_ = &board_->io();
	for (const v4l2emu::NodeDescription &n : board_->nodes()) {
		if (n.device == kDevice) {
			videoPath_ = n.videoPath;
			mediaPath_ = n.mediaPath;
		}
	}
	if (!videoPath_.empty())
		mediaFd_ = io_->open(mediaPath_.c_str(), O_RDWR | O_CLOEXEC);
}

EmuSut::~EmuSut()
{
	if (!io_)
		return;
	for (auto &[p, len] : maps_)
		io_->munmap(p, len);
	for (int fd : reqFd_)
		if (fd >= 0)
			io_->close(fd);
	for (int fd : nodeFd_)
		if (fd >= 0)
			io_->close(fd);
	if (mediaFd_ >= 0)
		io_->close(mediaFd_);
}

Observed EmuSut::open(int slot)
{
	// Non-blocking: a DQBUF with nothing done must return EAGAIN, never sleep.
	int fd = io_->open(videoPath_.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
	Observed o;
	o.ret = fd < 0 ? fd : 0;
	if (fd >= 0)
		nodeFd_[slot] = fd;
	return o;
}

Observed EmuSut::close(int slot)
{
	Observed o;
	o.ret = io_->close(nodeFd_[slot]);
	nodeFd_[slot] = -1;
	return o;
}

Observed EmuSut::sFmt(int slot, Dir dir, const FormatChoice &f)
{
	struct v4l2_format fmt {};
	fmt.type = typeOf(dir);
	fmt.fmt.pix_mp.pixelformat = dir == Dir::Out ? f.fourcc : V4L2_PIX_FMT_NV12;
	fmt.fmt.pix_mp.width = f.width;
	fmt.fmt.pix_mp.height = f.height;
	fmt.fmt.pix_mp.num_planes = 1;
	Observed o;
	o.ret = io_->ioctl(nodeFd_[slot], VIDIOC_S_FMT, &fmt);
	o.count = fmt.fmt.pix_mp.width;
	o.index = fmt.fmt.pix_mp.height;
	o.length = fmt.fmt.pix_mp.plane_fmt[0].sizeimage;
	return o;
}

int EmuSut::gFmt(int slot, Dir dir, Format *out)
{
	struct v4l2_format fmt {};
	fmt.type = typeOf(dir);
	int ret = io_->ioctl(nodeFd_[slot], VIDIOC_G_FMT, &fmt);
	out->fourcc = fmt.fmt.pix_mp.pixelformat;
	out->width = fmt.fmt.pix_mp.width;
	out->height = fmt.fmt.pix_mp.height;
	out->sizeimage = fmt.fmt.pix_mp.plane_fmt[0].sizeimage;
	return ret;
}

Observed EmuSut::reqbufs(int slot, Dir dir, uint32_t count, bool userptr)
{
	struct v4l2_requestbuffers rb {};
	rb.type = typeOf(dir);
	rb.count = count;
	rb.memory = userptr ? V4L2_MEMORY_USERPTR : V4L2_MEMORY_MMAP;
	Observed o;
	o.ret = io_->ioctl(nodeFd_[slot], VIDIOC_REQBUFS, &rb);
	o.count = rb.count;
	o.caps = rb.capabilities;
	return o;
}

Observed EmuSut::createBufs(int slot, Dir dir, uint32_t count, uint32_t sizeimage)
{
	struct v4l2_create_buffers cb {};
	cb.count = count;
	cb.memory = V4L2_MEMORY_MMAP;
	cb.format.type = typeOf(dir);
	Observed o;
	o.ret = io_->ioctl(nodeFd_[slot], VIDIOC_G_FMT, &cb.format);
	if (o.ret)
		return o;
	cb.format.fmt.pix_mp.plane_fmt[0].sizeimage = sizeimage;
	o.ret = io_->ioctl(nodeFd_[slot], VIDIOC_CREATE_BUFS, &cb);
	o.count = cb.count;
	o.index = cb.index;
	o.caps = cb.capabilities;
	return o;
}

Observed EmuSut::querybuf(int slot, Dir dir, uint32_t index, uint32_t *offset)
{
	struct v4l2_plane planes[VIDEO_MAX_PLANES] = {};
	struct v4l2_buffer b {};
	b.type = typeOf(dir);
	b.index = index;
	b.m.planes = planes;
	b.length = VIDEO_MAX_PLANES;
	Observed o;
	o.ret = io_->ioctl(nodeFd_[slot], VIDIOC_QUERYBUF, &b);
	o.flags = b.flags & kModelledFlags;
	o.requestId = (b.flags & V4L2_BUF_FLAG_REQUEST_FD) ? b.request_fd : -1;
	o.length = planes[0].length;
	*offset = planes[0].m.mem_offset;
	return o;
}

int EmuSut::requestArg(int reqSlot) const
{
	if (reqSlot == EmuModel::kBadFd)
		return -1;
	if (reqSlot == EmuModel::kMediaFd)
		return mediaFd_;
	return reqFd_[reqSlot];
}

Observed EmuSut::qbuf(int slot, Dir dir, uint32_t index, int reqSlot, int *replyFd)
{
	struct v4l2_plane planes[VIDEO_MAX_PLANES] = {};
	struct v4l2_buffer b {};
	b.type = typeOf(dir);
	b.index = index;
	b.memory = V4L2_MEMORY_MMAP;
	b.field = V4L2_FIELD_NONE;
	b.timestamp.tv_usec = static_cast<suseconds_t>(index + 1);
	b.m.planes = planes;
	b.length = 1;
	if (dir == Dir::Out)
		planes[0].bytesused = 64; // a small slice; 0 would mean "the whole buffer"
	if (reqSlot >= 0) {
		b.flags = V4L2_BUF_FLAG_REQUEST_FD;
		b.request_fd = requestArg(reqSlot);
	}
	Observed o;
	o.ret = io_->ioctl(nodeFd_[slot], VIDIOC_QBUF, &b);
	o.flags = b.flags & kModelledFlags;
	*replyFd = (b.flags & V4L2_BUF_FLAG_REQUEST_FD) ? b.request_fd : -1;
	return o;
}

Observed EmuSut::dqbuf(int slot, Dir dir, int *replyFd)
{
	struct v4l2_plane planes[VIDEO_MAX_PLANES] = {};
	struct v4l2_buffer b {};
	b.type = typeOf(dir);
	b.memory = V4L2_MEMORY_MMAP;
	b.m.planes = planes;
	b.length = VIDEO_MAX_PLANES;
	Observed o;
	o.ret = io_->ioctl(nodeFd_[slot], VIDIOC_DQBUF, &b);
	o.count = b.index;
	o.flags = b.flags & kModelledFlags;
	*replyFd = (b.flags & V4L2_BUF_FLAG_REQUEST_FD) ? b.request_fd : -1;
	return o;
}

Observed EmuSut::streamon(int slot, Dir dir)
{
	uint32_t type = typeOf(dir);
	Observed o;
	o.ret = io_->ioctl(nodeFd_[slot], VIDIOC_STREAMON, &type);
	return o;
}

Observed EmuSut::streamoff(int slot, Dir dir)
{
	uint32_t type = typeOf(dir);
	Observed o;
	o.ret = io_->ioctl(nodeFd_[slot], VIDIOC_STREAMOFF, &type);
	return o;
}

Observed EmuSut::setControls(int slot, int reqSlot, bool valid)
{
	// MPEG-2 sequence and picture, as a decoder sets them per picture.
	struct v4l2_ctrl_mpeg2_sequence seq {};
	seq.horizontal_size = 176;
	seq.vertical_size = 144;
	seq.chroma_format = 1;
	seq.flags = V4L2_MPEG2_SEQ_FLAG_PROGRESSIVE;
	struct v4l2_ctrl_mpeg2_picture pic {};
	pic.picture_coding_type = valid ? V4L2_MPEG2_PIC_CODING_TYPE_I : 0; // 0: rejected
	pic.picture_structure = V4L2_MPEG2_PIC_FRAME;
	pic.f_code[0][0] = pic.f_code[0][1] = pic.f_code[1][0] = pic.f_code[1][1] = 15;
	struct v4l2_ext_control c[2] = {};
	c[0].id = V4L2_CID_STATELESS_MPEG2_SEQUENCE;
	c[0].size = sizeof(seq);
	c[0].ptr = &seq;
	c[1].id = V4L2_CID_STATELESS_MPEG2_PICTURE;
	c[1].size = sizeof(pic);
	c[1].ptr = &pic;
	struct v4l2_ext_controls cs {};
	cs.which = reqSlot >= 0 ? V4L2_CTRL_WHICH_REQUEST_VAL : V4L2_CTRL_WHICH_CUR_VAL;
	cs.count = 2;
	cs.controls = c;
	cs.request_fd = reqSlot >= 0 ? requestArg(reqSlot) : 0;
	Observed o;
	o.ret = io_->ioctl(nodeFd_[slot], VIDIOC_S_EXT_CTRLS, &cs);
	return o;
}

Observed EmuSut::mmap(int slot, Dir dir, uint32_t index, int prot, bool oversize, uint32_t length)
{
	// The cookie of plane 0 (VB2C:__setup_offsets, 4 KiB pages), CAPTURE above the m2m base.
	off_t offset = static_cast<off_t>(index) << 15;
	if (dir == Dir::Cap)
		offset += kCaptureOffsetBase;
	size_t len = length ? length : kPage;
	if (oversize)
		len = ((len + kPage - 1) & ~static_cast<size_t>(kPage - 1)) + kPage;
	void *p = nullptr;
	Observed o;
	o.ret = io_->mmap(nullptr, len, prot, MAP_SHARED, nodeFd_[slot], offset, &p);
	if (o.ret == 0)
		maps_.emplace_back(p, len);
	return o;
}

Observed EmuSut::munmap(size_t mapping)
{
	auto [p, len] = maps_[mapping];
	maps_.erase(maps_.begin() + static_cast<long>(mapping));
	Observed o;
	o.ret = io_->munmap(p, len);
	return o;
}

Observed EmuSut::requestAlloc(int reqSlot)
{
	int fd = -1;
	Observed o;
	o.ret = io_->ioctl(mediaFd_, MEDIA_IOC_REQUEST_ALLOC, &fd);
	if (o.ret == 0) {
		reqFd_[reqSlot] = fd;
		requestFdById_.push_back(fd);
	}
	return o;
}

Observed EmuSut::requestQueue(int reqSlot)
{
	Observed o;
	o.ret = io_->ioctl(reqFd_[reqSlot], MEDIA_REQUEST_IOC_QUEUE, nullptr);
	return o;
}

Observed EmuSut::requestReinit(int reqSlot)
{
	Observed o;
	o.ret = io_->ioctl(reqFd_[reqSlot], MEDIA_REQUEST_IOC_REINIT, nullptr);
	return o;
}

Observed EmuSut::requestClose(int reqSlot)
{
	Observed o;
	o.ret = io_->close(reqFd_[reqSlot]);
	reqFd_[reqSlot] = -1;
	return o;
}

Observed EmuSut::requestPoll(int reqSlot, bool pri)
{
	struct pollfd p {};
	p.fd = reqFd_[reqSlot];
	p.events = pri ? POLLPRI : POLLIN;
	Observed o;
	o.ret = io_->poll(&p, 1, 0);
	o.revents = p.revents;
	return o;
}

v4l2emu::DeviceStats EmuSut::deviceStats()
{
	for (const v4l2emu::DeviceStats &d : board_->stats().devices)
		if (d.name == kDevice)
			return d;
	return {};
}

} // namespace props::emu
