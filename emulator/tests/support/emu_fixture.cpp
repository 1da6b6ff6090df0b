// SPDX-License-Identifier: MIT
#include "emu_fixture.h"

#include "core/board_impl.h"

#include <fcntl.h>
#include <poll.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

namespace v4l2emu::test {

void CodecControls::add(uint32_t id, const void *data, size_t size)
{
	storage.emplace_back(static_cast<const uint8_t *>(data),
			     static_cast<const uint8_t *>(data) + size);
	struct v4l2_ext_control c {};
	c.id = id;
	c.size = static_cast<uint32_t>(size);
	controls.push_back(c);
	for (size_t i = 0; i < controls.size(); i++)
		controls[i].ptr = storage[i].data();
}

CodecControls CodecControls::h264(uint32_t width, uint32_t height, bool idr)
{
	CodecControls c;
	c.fourcc = V4L2_PIX_FMT_H264_SLICE;
	struct v4l2_ctrl_h264_sps sps {};
	sps.profile_idc = 100;
	sps.level_idc = 40;
	sps.chroma_format_idc = 1;
	sps.max_num_ref_frames = 4;
	sps.pic_width_in_mbs_minus1 = static_cast<uint16_t>((width + 15) / 16 - 1);
	sps.pic_height_in_map_units_minus1 = static_cast<uint16_t>((height + 15) / 16 - 1);
	sps.flags = V4L2_H264_SPS_FLAG_FRAME_MBS_ONLY | V4L2_H264_SPS_FLAG_DIRECT_8X8_INFERENCE;
	c.add(V4L2_CID_STATELESS_H264_SPS, &sps, sizeof(sps));
	struct v4l2_ctrl_h264_pps pps {};
	c.add(V4L2_CID_STATELESS_H264_PPS, &pps, sizeof(pps));
	struct v4l2_ctrl_h264_decode_params dp {};
	dp.nal_ref_idc = 1;
	dp.flags = idr ? V4L2_H264_DECODE_PARAM_FLAG_IDR_PIC : 0;
	c.add(V4L2_CID_STATELESS_H264_DECODE_PARAMS, &dp, sizeof(dp));
	return c;
}

CodecControls CodecControls::hevc(uint32_t width, uint32_t height)
{
	CodecControls c;
	c.fourcc = V4L2_PIX_FMT_HEVC_SLICE;
	struct v4l2_ctrl_hevc_sps sps {};
	sps.pic_width_in_luma_samples = static_cast<uint16_t>(width);
	sps.pic_height_in_luma_samples = static_cast<uint16_t>(height);
	sps.chroma_format_idc = 1;
	sps.log2_min_luma_coding_block_size_minus3 = 0;
	sps.log2_diff_max_min_luma_coding_block_size = 3;
	sps.sps_max_dec_pic_buffering_minus1 = 4;
	c.add(V4L2_CID_STATELESS_HEVC_SPS, &sps, sizeof(sps));
	struct v4l2_ctrl_hevc_pps pps {};
	c.add(V4L2_CID_STATELESS_HEVC_PPS, &pps, sizeof(pps));
	struct v4l2_ctrl_hevc_decode_params dp {};
	dp.flags = V4L2_HEVC_DECODE_PARAM_FLAG_IRAP_PIC | V4L2_HEVC_DECODE_PARAM_FLAG_IDR_PIC;
	c.add(V4L2_CID_STATELESS_HEVC_DECODE_PARAMS, &dp, sizeof(dp));
	return c;
}

CodecControls CodecControls::mpeg2(uint32_t width, uint32_t height)
{
	CodecControls c;
	c.fourcc = V4L2_PIX_FMT_MPEG2_SLICE;
	struct v4l2_ctrl_mpeg2_sequence seq {};
	seq.horizontal_size = static_cast<uint16_t>(width);
	seq.vertical_size = static_cast<uint16_t>(height);
	seq.chroma_format = 1;
	seq.flags = V4L2_MPEG2_SEQ_FLAG_PROGRESSIVE;
	c.add(V4L2_CID_STATELESS_MPEG2_SEQUENCE, &seq, sizeof(seq));
	struct v4l2_ctrl_mpeg2_picture pic {};
	pic.picture_coding_type = V4L2_MPEG2_PIC_CODING_TYPE_I;
	pic.picture_structure = V4L2_MPEG2_PIC_FRAME;
	pic.f_code[0][0] = pic.f_code[0][1] = pic.f_code[1][0] = pic.f_code[1][1] = 15;
	c.add(V4L2_CID_STATELESS_MPEG2_PICTURE, &pic, sizeof(pic));
	return c;
}

CodecControls CodecControls::vp8(uint32_t width, uint32_t height)
{
	CodecControls c;
	c.fourcc = V4L2_PIX_FMT_VP8_FRAME;
	struct v4l2_ctrl_vp8_frame f {};
	f.width = static_cast<uint16_t>(width);
	f.height = static_cast<uint16_t>(height);
	f.num_dct_parts = 1;
	f.flags = V4L2_VP8_FRAME_FLAG_KEY_FRAME | V4L2_VP8_FRAME_FLAG_SHOW_FRAME;
	c.add(V4L2_CID_STATELESS_VP8_FRAME, &f, sizeof(f));
	return c;
}

CodecControls CodecControls::vp9(uint32_t width, uint32_t height)
{
	CodecControls c;
	c.fourcc = V4L2_PIX_FMT_VP9_FRAME;
	struct v4l2_ctrl_vp9_frame f {};
	f.frame_width_minus_1 = static_cast<uint16_t>(width - 1);
	f.frame_height_minus_1 = static_cast<uint16_t>(height - 1);
	f.render_width_minus_1 = f.frame_width_minus_1;
	f.render_height_minus_1 = f.frame_height_minus_1;
	f.bit_depth = 8;
	f.profile = 0;
	f.flags = V4L2_VP9_FRAME_FLAG_KEY_FRAME | V4L2_VP9_FRAME_FLAG_SHOW_FRAME |
		  V4L2_VP9_FRAME_FLAG_X_SUBSAMPLING | V4L2_VP9_FRAME_FLAG_Y_SUBSAMPLING;
	c.add(V4L2_CID_STATELESS_VP9_FRAME, &f, sizeof(f));
	return c;
}

CodecControls CodecControls::forFourcc(uint32_t fourcc, uint32_t width, uint32_t height)
{
	switch (fourcc) {
	case V4L2_PIX_FMT_H264_SLICE: return h264(width, height);
	case V4L2_PIX_FMT_HEVC_SLICE: return hevc(width, height);
	case V4L2_PIX_FMT_MPEG2_SLICE: return mpeg2(width, height);
	case V4L2_PIX_FMT_VP8_FRAME: return vp8(width, height);
	case V4L2_PIX_FMT_VP9_FRAME: return vp9(width, height);
	default: return {};
	}
}

void EmuTest::useBoard(const std::string &name, BoardOptions options)
{
	for (int fd : openFds_)
		if (board_)
			board_->io().close(fd);
	openFds_.clear();
	board_.reset();
	std::string error;
	board_ = Board::create(name, options, &error);
	ASSERT_TRUE(board_) << error;
}

void EmuTest::SetUp()
{
	useBoard("fresnel");
}

void EmuTest::TearDown()
{
	for (int fd : openFds_)
		board_->io().close(fd);
	openFds_.clear();
	board_.reset();
}

const NodeDescription &EmuTest::node(const std::string &device) const
{
	static std::vector<NodeDescription> keep;
	keep = board_->nodes();
	for (const NodeDescription &n : keep)
		if (n.device == device || n.driver == device)
			return n;
	ADD_FAILURE() << "no device " << device;
	return keep.front();
}

int EmuTest::openVideo(const std::string &device, int flags)
{
	int fd = io().open(node(device).videoPath.c_str(), flags);
	if (fd >= 0)
		openFds_.push_back(fd);
	return fd;
}

int EmuTest::openMedia(const std::string &device)
{
	int fd = io().open(node(device).mediaPath.c_str(), O_RDWR | O_CLOEXEC);
	if (fd >= 0)
		openFds_.push_back(fd);
	return fd;
}

bool EmuTest::isMplane(int fd)
{
	struct v4l2_capability cap {};
	if (xioctl(fd, VIDIOC_QUERYCAP, &cap))
		return true;
	return cap.device_caps & V4L2_CAP_VIDEO_M2M_MPLANE;
}

uint32_t EmuTest::outType(int fd)
{
	return isMplane(fd) ? V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE : V4L2_BUF_TYPE_VIDEO_OUTPUT;
}

uint32_t EmuTest::capType(int fd)
{
	return isMplane(fd) ? V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE : V4L2_BUF_TYPE_VIDEO_CAPTURE;
}

int EmuTest::setFormat(int fd, uint32_t type, uint32_t fourcc, uint32_t width, uint32_t height,
		       uint32_t sizeimage, struct v4l2_format *out)
{
	struct v4l2_format f {};
	f.type = type;
	if (V4L2_TYPE_IS_MULTIPLANAR(type)) {
		f.fmt.pix_mp.pixelformat = fourcc;
		f.fmt.pix_mp.width = width;
		f.fmt.pix_mp.height = height;
		f.fmt.pix_mp.num_planes = 1;
		f.fmt.pix_mp.plane_fmt[0].sizeimage = sizeimage;
	} else {
		f.fmt.pix.pixelformat = fourcc;
		f.fmt.pix.width = width;
		f.fmt.pix.height = height;
		f.fmt.pix.sizeimage = sizeimage;
	}
	int ret = xioctl(fd, VIDIOC_S_FMT, &f);
	if (out)
		*out = f;
	return ret;
}

int EmuTest::getFormat(int fd, uint32_t type, struct v4l2_format *out)
{
	memset(out, 0, sizeof(*out));
	out->type = type;
	return xioctl(fd, VIDIOC_G_FMT, out);
}

int EmuTest::reqbufs(int fd, uint32_t type, uint32_t count, uint32_t memory,
		     struct v4l2_requestbuffers *out)
{
	struct v4l2_requestbuffers rb {};
	rb.type = type;
	rb.count = count;
	rb.memory = memory;
	int ret = xioctl(fd, VIDIOC_REQBUFS, &rb);
	if (out)
		*out = rb;
	return ret ? ret : static_cast<int>(rb.count);
}

int EmuTest::createBufs(int fd, uint32_t type, uint32_t count, uint32_t sizeimage,
			struct v4l2_create_buffers *out)
{
	struct v4l2_create_buffers cb {};
	cb.count = count;
	cb.memory = V4L2_MEMORY_MMAP;
	int ret = getFormat(fd, type, &cb.format);
	if (ret)
		return ret;
	if (V4L2_TYPE_IS_MULTIPLANAR(type))
		cb.format.fmt.pix_mp.plane_fmt[0].sizeimage = sizeimage;
	else
		cb.format.fmt.pix.sizeimage = sizeimage;
	ret = xioctl(fd, VIDIOC_CREATE_BUFS, &cb);
	if (out)
		*out = cb;
	return ret ? ret : static_cast<int>(cb.count);
}

int EmuTest::querybuf(int fd, uint32_t type, uint32_t index, struct v4l2_buffer *b,
		      struct v4l2_plane *planes)
{
	memset(b, 0, sizeof(*b));
	b->type = type;
	b->index = index;
	if (V4L2_TYPE_IS_MULTIPLANAR(type)) {
		b->m.planes = planes;
		b->length = VIDEO_MAX_PLANES;
	}
	return xioctl(fd, VIDIOC_QUERYBUF, b);
}

int EmuTest::qbuf(int fd, uint32_t type, uint32_t index, int requestFd, uint64_t timestampNs,
		  uint32_t bytesused, uint32_t flags, struct v4l2_buffer *out)
{
	struct v4l2_plane planes[VIDEO_MAX_PLANES] = {};
	struct v4l2_buffer b {};
	b.type = type;
	b.index = index;
	b.memory = V4L2_MEMORY_MMAP;
	b.flags = flags;
	b.field = V4L2_FIELD_NONE;
	b.timestamp.tv_sec = static_cast<time_t>(timestampNs / 1000000000ull);
	b.timestamp.tv_usec = static_cast<suseconds_t>((timestampNs % 1000000000ull) / 1000);
	if (requestFd >= 0) {
		b.flags |= V4L2_BUF_FLAG_REQUEST_FD;
		b.request_fd = requestFd;
	}
	if (V4L2_TYPE_IS_MULTIPLANAR(type)) {
		b.m.planes = planes;
		b.length = 1;
		planes[0].bytesused = bytesused;
	} else {
		b.bytesused = bytesused;
	}
	int ret = xioctl(fd, VIDIOC_QBUF, &b);
	if (out) {
		*out = b;
		out->m.planes = nullptr;
	}
	return ret;
}

int EmuTest::dqbuf(int fd, uint32_t type, struct v4l2_buffer *out, struct v4l2_plane *planes)
{
	struct v4l2_plane local[VIDEO_MAX_PLANES] = {};
	struct v4l2_buffer b {};
	b.type = type;
	b.memory = V4L2_MEMORY_MMAP;
	if (V4L2_TYPE_IS_MULTIPLANAR(type)) {
		b.m.planes = planes ? planes : local;
		b.length = VIDEO_MAX_PLANES;
	}
	int ret = xioctl(fd, VIDIOC_DQBUF, &b);
	if (out) {
		*out = b;
		if (!planes)
			out->m.planes = nullptr;
	}
	return ret;
}

int EmuTest::streamon(int fd, uint32_t type)
{
	return xioctl(fd, VIDIOC_STREAMON, &type);
}

int EmuTest::streamoff(int fd, uint32_t type)
{
	return xioctl(fd, VIDIOC_STREAMOFF, &type);
}

int EmuTest::allocRequest(int mediaFd)
{
	int reqFd = -1;
	int ret = xioctl(mediaFd, MEDIA_IOC_REQUEST_ALLOC, &reqFd);
	if (ret)
		return ret;
	openFds_.push_back(reqFd);
	return reqFd;
}

int EmuTest::queueRequest(int reqFd)
{
	return xioctl(reqFd, MEDIA_REQUEST_IOC_QUEUE, nullptr);
}

int EmuTest::reinitRequest(int reqFd)
{
	return xioctl(reqFd, MEDIA_REQUEST_IOC_REINIT, nullptr);
}

int EmuTest::extCtrls(int fd, unsigned long cmd, uint32_t which, int requestFd,
		      std::vector<struct v4l2_ext_control> &ctrls, struct v4l2_ext_controls *out)
{
	struct v4l2_ext_controls cs {};
	cs.which = which;
	cs.count = static_cast<uint32_t>(ctrls.size());
	cs.controls = ctrls.empty() ? nullptr : ctrls.data();
	cs.request_fd = requestFd;
	int ret = xioctl(fd, cmd, &cs);
	if (out)
		*out = cs;
	return ret;
}

int EmuTest::setControls(int fd, CodecControls &ctrls, int requestFd, struct v4l2_ext_controls *out)
{
	return extCtrls(fd, VIDIOC_S_EXT_CTRLS,
			requestFd >= 0 ? V4L2_CTRL_WHICH_REQUEST_VAL : V4L2_CTRL_WHICH_CUR_VAL,
			requestFd, ctrls.controls, out);
}

void *EmuTest::mapBuffer(int fd, uint32_t type, uint32_t index, uint32_t plane, size_t *length,
			 int prot)
{
	struct v4l2_plane planes[VIDEO_MAX_PLANES] = {};
	struct v4l2_buffer b {};
	if (querybuf(fd, type, index, &b, planes))
		return nullptr;
	uint32_t offset = V4L2_TYPE_IS_MULTIPLANAR(type) ? planes[plane].m.mem_offset : b.m.offset;
	size_t len = V4L2_TYPE_IS_MULTIPLANAR(type) ? planes[plane].length : b.length;
	void *p = nullptr;
	if (io().mmap(nullptr, len, prot, MAP_SHARED, fd, offset, &p))
		return nullptr;
	if (length)
		*length = len;
	return p;
}

int EmuTest::startSession(Session &s, const std::string &device, uint32_t fourcc, uint32_t width,
			  uint32_t height, uint32_t numOutput, uint32_t numCapture, std::string *what)
{
	auto fail = [&](int ret, const char *step) {
		if (what)
			*what = step;
		return ret;
	};
	s.fd = openVideo(device);
	if (s.fd < 0)
		return fail(s.fd, "open video");
	s.mediaFd = openMedia(device);
	if (s.mediaFd < 0)
		return fail(s.mediaFd, "open media");
	s.outType = outType(s.fd);
	s.capType = capType(s.fd);
	s.fourcc = fourcc;
	s.width = width;
	s.height = height;
	int ret = setFormat(s.fd, s.outType, fourcc, width, height);
	if (ret)
		return fail(ret, "S_FMT(OUTPUT)");
	ret = getFormat(s.fd, s.capType, &s.captureFormat);
	if (ret)
		return fail(ret, "G_FMT(CAPTURE)");
	ret = reqbufs(s.fd, s.outType, numOutput);
	if (ret < 0)
		return fail(ret, "REQBUFS(OUTPUT)");
	s.numOutput = static_cast<uint32_t>(ret);
	ret = reqbufs(s.fd, s.capType, numCapture);
	if (ret < 0)
		return fail(ret, "REQBUFS(CAPTURE)");
	s.numCapture = static_cast<uint32_t>(ret);
	for (uint32_t i = 0; i < s.numOutput; i++) {
		size_t len = 0;
		void *p = mapBuffer(s.fd, s.outType, i, 0, &len);
		if (!p)
			return fail(-ENOMEM, "mmap(OUTPUT)");
		s.outputMaps.emplace_back(p, len);
		int req = allocRequest(s.mediaFd);
		if (req < 0)
			return fail(req, "REQUEST_ALLOC");
		s.requests.push_back(req);
	}
	ret = streamon(s.fd, s.outType);
	if (ret)
		return fail(ret, "STREAMON(OUTPUT)");
	ret = streamon(s.fd, s.capType);
	if (ret)
		return fail(ret, "STREAMON(CAPTURE)");
	return 0;
}

int EmuTest::decodeOne(Session &s, CodecControls &ctrls, uint32_t slot, uint32_t capIndex,
		       uint64_t timestampNs, struct v4l2_buffer *cap)
{
	int req = s.requests.at(slot);
	auto [mem, len] = s.outputMaps.at(slot);
	// A small bitstream that differs per picture.
	uint8_t *bytes = static_cast<uint8_t *>(mem);
	const uint32_t size = 256;
	for (uint32_t i = 0; i < size && i < len; i++)
		bytes[i] = static_cast<uint8_t>(i * 7 + timestampNs / 1000 + 1);
	int ret = reinitRequest(req);
	if (ret)
		return ret;
	ret = setControls(s.fd, ctrls, req);
	if (ret)
		return ret;
	ret = qbuf(s.fd, s.outType, slot, req, timestampNs, size);
	if (ret)
		return ret;
	ret = qbuf(s.fd, s.capType, capIndex);
	if (ret)
		return ret;
	ret = queueRequest(req);
	if (ret)
		return ret;
	struct pollfd pfd {};
	pfd.fd = req;
	pfd.events = POLLPRI;
	ret = io().poll(&pfd, 1, 5000);
	if (ret < 0)
		return ret;
	if (ret == 0)
		return -ETIMEDOUT;
	struct v4l2_buffer out {};
	ret = dqbuf(s.fd, s.outType, &out);
	if (ret)
		return ret;
	struct v4l2_buffer c {};
	ret = dqbuf(s.fd, s.capType, &c);
	if (ret)
		return ret;
	if (cap)
		*cap = c;
	return 0;
}

int EmuTest::queuePicture(Session &s, CodecControls &ctrls, uint32_t slot, int capIndex,
			  uint64_t timestampNs, uint32_t flags)
{
	int req = s.requests.at(slot);
	int ret = setControls(s.fd, ctrls, req);
	if (!ret)
		ret = qbuf(s.fd, s.outType, slot, req, timestampNs, 64, flags);
	if (!ret && capIndex >= 0)
		ret = qbuf(s.fd, s.capType, static_cast<uint32_t>(capIndex));
	if (!ret)
		ret = queueRequest(req);
	return ret;
}

void EmuTest::endSession(Session &s)
{
	for (auto &[p, len] : s.outputMaps)
		unmap(p, len);
	s.outputMaps.clear();
}

bool EmuTest::waitForDqbufSleeper(int fd, uint32_t type)
{
	std::shared_ptr<File> f = board_->impl().file(fd);
	if (!f || f->kind() != File::Kind::Video)
		return false;
	auto &vf = static_cast<VideoFile &>(*f);
	for (int i = 0; i < 5000; i++) {
		{
			std::lock_guard<std::mutex> lk(vf.device.lock());
			Queue &q = V4L2_TYPE_IS_OUTPUT(type) ? vf.context->output() : vf.context->capture();
			if (q.waitingInDqbuf())
				return true;
		}
		std::this_thread::sleep_for(std::chrono::milliseconds(1));
	}
	return false;
}

size_t EmuTest::countDiagnostics(DiagnosticKind kind) const
{
	size_t n = 0;
	for (const Diagnostic &d : board_->diagnostics())
		n += d.kind == kind;
	return n;
}

} // namespace v4l2emu::test
