// SPDX-License-Identifier: MIT
#include "m2m_context.h"

#include <fcntl.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstring>

namespace v4l2va {

namespace {

uint64_t toNs(const struct timeval &tv)
{
	return static_cast<uint64_t>(tv.tv_sec) * 1000000000ull + static_cast<uint64_t>(tv.tv_usec) * 1000ull;
}

struct timeval toTimeval(uint64_t ns)
{
	struct timeval tv {};
	tv.tv_sec = static_cast<time_t>(ns / 1000000000ull);
	tv.tv_usec = static_cast<suseconds_t>((ns % 1000000000ull) / 1000ull);
	return tv;
}

} // namespace

int M2MContext::open(v4l2emu::DeviceIo &io, const DecoderNode &node, std::unique_ptr<M2MContext> *out)
{
	SeamFd video(io, io.open(node.videoPath.c_str(), O_RDWR | O_NONBLOCK));
	if (!video.valid())
		return video.get();
	SeamFd media(io, io.open(node.mediaPath.c_str(), O_RDWR));
	if (!media.valid())
		return media.get();
	out->reset(new M2MContext(io, std::move(video), std::move(media), node.multiplanar));
	return 0;
}

M2MContext::M2MContext(v4l2emu::DeviceIo &io, SeamFd video, SeamFd media, bool mplane)
	: io_(io), video_(std::move(video)), media_(std::move(media)),
	  outType_(mplane ? V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE : V4L2_BUF_TYPE_VIDEO_OUTPUT),
	  capType_(mplane ? V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE : V4L2_BUF_TYPE_VIDEO_CAPTURE)
{
}

M2MContext::~M2MContext()
{
	// Unmap before the fds go: close with live mappings would defer the teardown.
	for (auto &[p, len] : outputMaps_)
		io_.munmap(p, len);
}

int M2MContext::setOutputFormat(uint32_t fourcc, uint32_t width, uint32_t height, uint32_t sizeimage,
				struct v4l2_pix_format_mplane *result)
{
	struct v4l2_format f {};
	f.type = outType_;
	if (V4L2_TYPE_IS_MULTIPLANAR(outType_)) {
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
	int ret = io_.ioctl(video_.get(), VIDIOC_S_FMT, &f);
	if (ret)
		return ret;
	if (f.type == outType_ && (V4L2_TYPE_IS_MULTIPLANAR(outType_) ? f.fmt.pix_mp.pixelformat
								     : f.fmt.pix.pixelformat) != fourcc)
		return -EINVAL;	// the driver replaced the codec: it does not decode this one
	if (result) {
		if (V4L2_TYPE_IS_MULTIPLANAR(outType_)) {
			*result = f.fmt.pix_mp;
		} else {
			*result = {};
			result->width = f.fmt.pix.width;
			result->height = f.fmt.pix.height;
			result->pixelformat = f.fmt.pix.pixelformat;
			result->num_planes = 1;
			result->plane_fmt[0].sizeimage = f.fmt.pix.sizeimage;
		}
	}
	return 0;
}

int M2MContext::captureFormat(struct v4l2_pix_format_mplane *out) const
{
	struct v4l2_format f {};
	f.type = capType_;
	int ret = io_.ioctl(video_.get(), VIDIOC_G_FMT, &f);
	if (ret)
		return ret;
	if (V4L2_TYPE_IS_MULTIPLANAR(capType_)) {
		*out = f.fmt.pix_mp;
	} else {
		*out = {};
		out->width = f.fmt.pix.width;
		out->height = f.fmt.pix.height;
		out->pixelformat = f.fmt.pix.pixelformat;
		out->num_planes = 1;
		out->plane_fmt[0].bytesperline = f.fmt.pix.bytesperline;
		out->plane_fmt[0].sizeimage = f.fmt.pix.sizeimage;
	}
	return 0;
}

int M2MContext::setCaptureFormat(struct v4l2_pix_format_mplane *fmt)
{
	struct v4l2_format f {};
	f.type = capType_;
	if (V4L2_TYPE_IS_MULTIPLANAR(capType_)) {
		f.fmt.pix_mp = *fmt;
	} else {
		f.fmt.pix.width = fmt->width;
		f.fmt.pix.height = fmt->height;
		f.fmt.pix.pixelformat = fmt->pixelformat;
		f.fmt.pix.field = V4L2_FIELD_NONE;
	}
	int ret = io_.ioctl(video_.get(), VIDIOC_S_FMT, &f);
	if (ret)
		return ret;
	if (V4L2_TYPE_IS_MULTIPLANAR(capType_)) {
		*fmt = f.fmt.pix_mp;
	} else {
		*fmt = {};
		fmt->width = f.fmt.pix.width;
		fmt->height = f.fmt.pix.height;
		fmt->pixelformat = f.fmt.pix.pixelformat;
		fmt->num_planes = 1;
		fmt->plane_fmt[0].bytesperline = f.fmt.pix.bytesperline;
		fmt->plane_fmt[0].sizeimage = f.fmt.pix.sizeimage;
	}
	return 0;
}

int M2MContext::enumFormats(uint32_t type, std::vector<uint32_t> *out) const
{
	out->clear();
	for (uint32_t i = 0; i < 64; i++) {
		struct v4l2_fmtdesc d {};
		d.type = type;
		d.index = i;
		int ret = io_.ioctl(video_.get(), VIDIOC_ENUM_FMT, &d);
		if (ret == -EINVAL)
			return 0;	// past the end (V4L2C:v4l_enum_fmt)
		if (ret)
			return ret;
		out->push_back(d.pixelformat);
	}
	return 0;
}

int M2MContext::mapOutput(uint32_t first, uint32_t count, std::vector<std::pair<void *, size_t>> *maps)
{
	for (uint32_t i = first; i < first + count; i++) {
		struct v4l2_plane planes[VIDEO_MAX_PLANES] = {};
		struct v4l2_buffer b {};
		b.type = outType_;
		b.memory = V4L2_MEMORY_MMAP;
		b.index = i;
		b.m.planes = planes;
		b.length = VIDEO_MAX_PLANES;
		int ret = io_.ioctl(video_.get(), VIDIOC_QUERYBUF, &b);
		void *p = nullptr;
		size_t len = V4L2_TYPE_IS_MULTIPLANAR(outType_) ? planes[0].length : b.length;
		uint32_t off = V4L2_TYPE_IS_MULTIPLANAR(outType_) ? planes[0].m.mem_offset : b.m.offset;
		if (!ret)
			ret = io_.mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED, video_.get(), off, &p);
		if (ret) {
			for (auto &[q, l] : *maps)
				io_.munmap(q, l);
			maps->clear();
			return ret;
		}
		maps->emplace_back(p, len);
	}
	return 0;
}

int M2MContext::addOutput(uint32_t count)
{
	struct v4l2_create_buffers cb {};
	cb.count = count;
	cb.memory = V4L2_MEMORY_MMAP;
	cb.format.type = outType_;
	int ret = io_.ioctl(video_.get(), VIDIOC_G_FMT, &cb.format);
	if (ret)
		return ret;
	ret = io_.ioctl(video_.get(), VIDIOC_CREATE_BUFS, &cb);
	if (ret)
		return ret;
	if (cb.count == 0)
		return -ENOBUFS;
	std::vector<std::pair<void *, size_t>> maps;
	// On failure the buffers stay allocated (no REQBUFS while streaming) and are never used.
	ret = mapOutput(cb.index, cb.count, &maps);
	if (ret)
		return ret;
	outputMaps_.insert(outputMaps_.end(), maps.begin(), maps.end());
	return 0;
}

int M2MContext::allocateOutput(uint32_t count)
{
	if (streaming_ || !outputMaps_.empty())
		return -EBUSY;	// the kernel would refuse REQBUFS on a streaming queue
	struct v4l2_requestbuffers rb {};
	rb.type = outType_;
	rb.memory = V4L2_MEMORY_MMAP;
	rb.count = count;
	int ret = io_.ioctl(video_.get(), VIDIOC_REQBUFS, &rb);
	if (ret)
		return ret;
	std::vector<std::pair<void *, size_t>> maps;
	ret = mapOutput(0, rb.count, &maps);
	if (ret) {
		// Undo: free the buffers again (not streaming, nothing mapped any more).
		struct v4l2_requestbuffers undo {};
		undo.type = outType_;
		undo.memory = V4L2_MEMORY_MMAP;
		int undoRet = io_.ioctl(video_.get(), VIDIOC_REQBUFS, &undo);
		(void)undoRet;	// the original error is the one to report
		return ret;
	}
	outputMaps_ = std::move(maps);
	return 0;
}

int M2MContext::addCapture(uint32_t count, uint32_t *first, uint32_t *added)
{
	struct v4l2_create_buffers cb {};
	cb.count = count;
	cb.memory = V4L2_MEMORY_MMAP;
	cb.format.type = capType_;
	int ret = io_.ioctl(video_.get(), VIDIOC_G_FMT, &cb.format);
	if (ret)
		return ret;
	ret = io_.ioctl(video_.get(), VIDIOC_CREATE_BUFS, &cb);
	if (ret)
		return ret;
	*first = cb.index;
	*added = cb.count;
	captureCount_ += cb.count;
	return 0;
}

uint8_t *M2MContext::outputMemory(uint32_t index, size_t *length) const
{
	if (index >= outputMaps_.size())
		return nullptr;
	if (length)
		*length = outputMaps_[index].second;
	return static_cast<uint8_t *>(outputMaps_[index].first);
}

int M2MContext::streamOn()
{
	for (uint32_t type : {outType_, capType_}) {
		int ret = io_.ioctl(video_.get(), VIDIOC_STREAMON, &type);
		if (ret) {
			if (type == capType_) {
				// Undo OUTPUT's STREAMON; the error to report is the CAPTURE one, and
				// STREAMOFF of the right type cannot fail (VB2C:vb2_core_streamoff).
				uint32_t out = outType_;
				int undo = io_.ioctl(video_.get(), VIDIOC_STREAMOFF, &out);
				(void)undo;
			}
			return ret;
		}
	}
	streaming_ = true;
	return 0;
}

int M2MContext::streamOnQueue(uint32_t type)
{
	if (type != outType_ && type != capType_)
		return -EINVAL;
	int ret = io_.ioctl(video_.get(), VIDIOC_STREAMON, &type);
	if (ret)
		return ret;
	(type == outType_ ? outStreaming_ : capStreaming_) = true;
	return 0;
}

int M2MContext::streamOff()
{
	for (uint32_t type : {capType_, outType_}) {
		int ret = io_.ioctl(video_.get(), VIDIOC_STREAMOFF, &type);
		if (ret)
			return ret;
	}
	streaming_ = outStreaming_ = capStreaming_ = false;
	return 0;
}

int M2MContext::queueOutput(uint32_t index, int requestFd, uint64_t timestampNs, uint32_t bytesused,
			    uint32_t flags)
{
	struct v4l2_plane planes[VIDEO_MAX_PLANES] = {};
	struct v4l2_buffer b {};
	b.type = outType_;
	b.memory = V4L2_MEMORY_MMAP;
	b.index = index;
	b.field = V4L2_FIELD_NONE;
	b.flags = flags | V4L2_BUF_FLAG_REQUEST_FD;
	b.request_fd = requestFd;
	b.timestamp = toTimeval(timestampNs);
	if (V4L2_TYPE_IS_MULTIPLANAR(outType_)) {
		b.m.planes = planes;
		b.length = 1;
		planes[0].bytesused = bytesused;
	} else {
		b.bytesused = bytesused;
	}
	return io_.ioctl(video_.get(), VIDIOC_QBUF, &b);
}

int M2MContext::queueCapture(uint32_t index, uint32_t numPlanes)
{
	struct v4l2_plane planes[VIDEO_MAX_PLANES] = {};
	struct v4l2_buffer b {};
	b.type = capType_;
	b.memory = V4L2_MEMORY_MMAP;
	b.index = index;
	if (V4L2_TYPE_IS_MULTIPLANAR(capType_)) {
		b.m.planes = planes;
		b.length = numPlanes ? numPlanes : 1;
	}
	return io_.ioctl(video_.get(), VIDIOC_QBUF, &b);
}

int M2MContext::dequeue(uint32_t type, Dequeued *out)
{
	struct v4l2_plane planes[VIDEO_MAX_PLANES] = {};
	struct v4l2_buffer b {};
	b.type = type;
	b.memory = V4L2_MEMORY_MMAP;
	if (V4L2_TYPE_IS_MULTIPLANAR(type)) {
		b.m.planes = planes;
		b.length = VIDEO_MAX_PLANES;
	}
	int ret = io_.ioctl(video_.get(), VIDIOC_DQBUF, &b);
	if (ret)
		return ret;
	out->index = b.index;
	out->flags = b.flags;
	out->timestampNs = toNs(b.timestamp);
	return 0;
}

int M2MContext::dequeueOutput(Dequeued *out)
{
	return dequeue(outType_, out);
}

int M2MContext::dequeueCapture(Dequeued *out)
{
	return dequeue(capType_, out);
}

int M2MContext::setControls(int requestFd, struct v4l2_ext_control *controls, uint32_t count)
{
	struct v4l2_ext_controls cs {};
	cs.which = V4L2_CTRL_WHICH_REQUEST_VAL;
	cs.request_fd = requestFd;
	cs.count = count;
	cs.controls = controls;
	return io_.ioctl(video_.get(), VIDIOC_S_EXT_CTRLS, &cs);
}

int M2MContext::setCurrentControls(struct v4l2_ext_control *controls, uint32_t count)
{
	struct v4l2_ext_controls cs {};
	cs.which = V4L2_CTRL_WHICH_CUR_VAL;
	cs.count = count;
	cs.controls = controls;
	return io_.ioctl(video_.get(), VIDIOC_S_EXT_CTRLS, &cs);
}

int M2MContext::restartCapture()
{
	uint32_t type = capType_;
	// VB2C:vb2_core_streamoff returns every queued buffer to userspace (DEQUEUED) and cannot
	// fail for the right type; STREAMON then restarts the queue with no buffers queued.
	int ret = io_.ioctl(video_.get(), VIDIOC_STREAMOFF, &type);
	if (ret)
		return ret;
	return io_.ioctl(video_.get(), VIDIOC_STREAMON, &type);
}

} // namespace v4l2va
