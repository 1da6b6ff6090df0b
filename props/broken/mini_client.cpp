// SPDX-License-Identifier: MIT
#include "mini_client.h"

#include <linux/media.h>
#include <linux/videodev2.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstring>

namespace props::broken {

namespace {

constexpr uint32_t kOut = V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE,
		   kCap = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
constexpr unsigned kCaptureCount = 4;

} // namespace

MiniClient::MiniClient(v4l2emu::Board &board, bool broken)
    : board_(board), io_(board.io()), broken_(broken)
{}

MiniClient::~MiniClient()
{
	if (output_.data)
		io_.munmap(output_.data, output_.length);
	if (!broken_) // the broken client already unmapped (and "forgot" that it did)
		for (const Mapping &m : capture_)
			if (m.data)
				io_.munmap(m.data, m.length);
	for (int fd : { request_, fd_, mediaFd_ })
		if (fd >= 0)
			io_.close(fd);
}

unsigned MiniClient::createSurfaces(uint32_t fourcc, unsigned n)
{
	const unsigned first = surfaces();
	if (ready_ && fourcc != fourcc_)
		changeFormat(fourcc);
	fourcc_ = fourcc;
	for (unsigned i = 0; i < n; i++)
		surfaces_.push_back({ fourcc, -1, 0 });
	return first;
}

void MiniClient::changeFormat(uint32_t fourcc)
{
	struct v4l2_requestbuffers rb {};
	rb.type = kCap;
	rb.memory = V4L2_MEMORY_MMAP;
	rb.count = 0;
	int ret = io_.ioctl(fd_, VIDIOC_REQBUFS, &rb);
	if (!broken_) {
		if (ret) // EBUSY while streaming: the pool stays, and so do its mappings
			return;
	}
	// The iter5b teardown: the result is not looked at, the mappings go, the plane pointers
	// stay cached in capture_ and the surfaces keep their bindings.
	for (Mapping &m : capture_)
		io_.munmap(m.data, m.length);
	struct v4l2_format f {};
	f.type = kCap;
	io_.ioctl(fd_, VIDIOC_G_FMT, &f);
	f.fmt.pix_mp.pixelformat = fourcc;
	io_.ioctl(fd_, VIDIOC_S_FMT, &f);
	rb.count = kCaptureCount;
	io_.ioctl(fd_, VIDIOC_REQBUFS, &rb);
}

int MiniClient::setUp()
{
	std::string video, media;
	for (const v4l2emu::NodeDescription &n : board_.nodes())
		if (n.device == "hantro-vpu") {
			video = n.videoPath;
			media = n.mediaPath;
		}
	fd_ = io_.open(video.c_str(), O_RDWR | O_CLOEXEC);
	mediaFd_ = io_.open(media.c_str(), O_RDWR | O_CLOEXEC);
	if (fd_ < 0 || mediaFd_ < 0)
		return -ENODEV;
	struct v4l2_format f {};
	f.type = kOut;
	f.fmt.pix_mp.pixelformat = V4L2_PIX_FMT_MPEG2_SLICE;
	f.fmt.pix_mp.width = kWidth;
	f.fmt.pix_mp.height = kHeight;
	f.fmt.pix_mp.num_planes = 1;
	int ret = io_.ioctl(fd_, VIDIOC_S_FMT, &f);
	struct v4l2_format cf {};
	cf.type = kCap;
	if (!ret)
		ret = io_.ioctl(fd_, VIDIOC_G_FMT, &cf);
	bytesperline_ = cf.fmt.pix_mp.plane_fmt[0].bytesperline;
	for (uint32_t type : { kOut, kCap }) {
		struct v4l2_requestbuffers rb {};
		rb.type = type;
		rb.memory = V4L2_MEMORY_MMAP;
		rb.count = type == kOut ? 1 : kCaptureCount;
		if (!ret)
			ret = io_.ioctl(fd_, VIDIOC_REQBUFS, &rb);
		for (uint32_t i = 0; !ret && i < rb.count; i++) {
			struct v4l2_plane planes[VIDEO_MAX_PLANES] = {};
			struct v4l2_buffer b {};
			b.type = type;
			b.index = i;
			b.m.planes = planes;
			b.length = VIDEO_MAX_PLANES;
			ret = io_.ioctl(fd_, VIDIOC_QUERYBUF, &b);
			void *p = nullptr;
			if (!ret)
				ret = io_.mmap(nullptr, planes[0].length, PROT_READ | PROT_WRITE,
					       MAP_SHARED, fd_, planes[0].m.mem_offset, &p);
			Mapping m { static_cast<uint8_t *>(p), planes[0].length };
			if (!ret)
				(type == kOut ? output_ : capture_.emplace_back()) = m;
		}
	}
	for (uint32_t type : { kOut, kCap })
		if (!ret)
			ret = io_.ioctl(fd_, VIDIOC_STREAMON, &type);
	if (!ret)
		ret = io_.ioctl(mediaFd_, MEDIA_IOC_REQUEST_ALLOC, &request_);
	ready_ = ret == 0;
	return ret;
}

int MiniClient::decode(unsigned surface)
{
	if (!ready_) {
		int ret = setUp();
		if (ret)
			return ret;
	}
	SurfaceRec &s = surfaces_[surface];
	if (s.capture < 0)
		s.capture = static_cast<int>(nextCapture_++ % kCaptureCount);
	const uint64_t ts = ++frame_ * 1000;
	struct v4l2_ctrl_mpeg2_sequence seq {};
	seq.horizontal_size = kWidth;
	seq.vertical_size = kHeight;
	seq.chroma_format = 1;
	seq.flags = V4L2_MPEG2_SEQ_FLAG_PROGRESSIVE;
	struct v4l2_ctrl_mpeg2_picture pic {};
	pic.picture_coding_type = V4L2_MPEG2_PIC_CODING_TYPE_I;
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
	cs.which = V4L2_CTRL_WHICH_REQUEST_VAL;
	cs.count = 2;
	cs.controls = c;
	cs.request_fd = request_;
	for (size_t i = 0; i < 256 && i < output_.length; i++) // a bitstream differing per frame
		output_.data[i] = static_cast<uint8_t>(i * 7 + frame_);
	int ret = io_.ioctl(request_, MEDIA_REQUEST_IOC_REINIT, nullptr);
	if (!ret)
		ret = io_.ioctl(fd_, VIDIOC_S_EXT_CTRLS, &cs);
	struct v4l2_plane planes[VIDEO_MAX_PLANES] = {};
	struct v4l2_buffer b {};
	b.type = kOut;
	b.memory = V4L2_MEMORY_MMAP;
	b.index = 0;
	b.flags = V4L2_BUF_FLAG_REQUEST_FD;
	b.request_fd = request_;
	b.timestamp.tv_usec = static_cast<suseconds_t>(ts / 1000);
	b.m.planes = planes;
	b.length = 1;
	planes[0].bytesused = 256;
	if (!ret)
		ret = io_.ioctl(fd_, VIDIOC_QBUF, &b);
	struct v4l2_buffer cb {};
	struct v4l2_plane cplanes[VIDEO_MAX_PLANES] = {};
	cb.type = kCap;
	cb.memory = V4L2_MEMORY_MMAP;
	cb.index = static_cast<uint32_t>(s.capture);
	cb.m.planes = cplanes;
	cb.length = 1;
	if (!ret)
		ret = io_.ioctl(fd_, VIDIOC_QBUF, &cb);
	if (!ret)
		ret = io_.ioctl(request_, MEDIA_REQUEST_IOC_QUEUE, nullptr);
	struct pollfd p {
		request_, POLLPRI, 0
	};
	if (!ret && io_.poll(&p, 1, 1000) != 1)
		ret = -ETIMEDOUT;
	for (uint32_t type : { kOut, kCap }) {
		struct v4l2_plane dp[VIDEO_MAX_PLANES] = {};
		struct v4l2_buffer d {};
		d.type = type;
		d.memory = V4L2_MEMORY_MMAP;
		d.m.planes = dp;
		d.length = VIDEO_MAX_PLANES;
		if (!ret)
			ret = io_.ioctl(fd_, VIDIOC_DQBUF, &d);
	}
	std::vector<v4l2emu::DecodedFrame> frames = board_.decodedFrames();
	s.signature = !ret && !frames.empty() ? frames.back().signature : 0;
	return ret;
}

int MiniClient::getImage(unsigned surface, std::vector<uint8_t> *nv12) const
{
	const SurfaceRec &s = surfaces_[surface];
	if (s.capture < 0 || static_cast<size_t>(s.capture) >= capture_.size())
		return -EINVAL;
	// The read through the cached plane pointer (what GetImage did on the board).
	const uint8_t *base = capture_[s.capture].data;
	nv12->resize(kWidth * kHeight * 3 / 2);
	for (uint32_t r = 0; r < kHeight; r++)
		memcpy(nv12->data() + r * kWidth, base + r * bytesperline_, kWidth);
	for (uint32_t r = 0; r < kHeight / 2; r++)
		memcpy(nv12->data() + kWidth * kHeight + r * kWidth,
		       base + bytesperline_ * kHeight + r * bytesperline_, kWidth);
	return 0;
}

} // namespace props::broken
