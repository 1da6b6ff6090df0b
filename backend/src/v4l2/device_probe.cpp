// SPDX-License-Identifier: MIT
#include "device_probe.h"

#include "v4l2/m2m_context.h"

#include <algorithm>
#include <cerrno>

namespace v4l2va {

namespace {

/// Every control id of the node (V4L2C:v4l2_query_ext_ctrl with NEXT_CTRL | NEXT_COMPOUND).
int listControls(v4l2emu::DeviceIo &io, int fd, std::vector<uint32_t> *ids)
{
	uint32_t id = 0;
	for (int guard = 0; guard < 4096; guard++) {
		struct v4l2_query_ext_ctrl q {};
		q.id = id | V4L2_CTRL_FLAG_NEXT_CTRL | V4L2_CTRL_FLAG_NEXT_COMPOUND;
		int ret = io.ioctl(fd, VIDIOC_QUERY_EXT_CTRL, &q);
		if (ret == -EINVAL)
			break;	// past the last control
		if (ret)
			return ret;
		if (q.id <= id)
			break;	// a driver that does not advance: stop rather than loop
		id = q.id;
		if (q.type != V4L2_CTRL_TYPE_CTRL_CLASS)
			ids->push_back(id);
	}
	std::sort(ids->begin(), ids->end());
	return 0;
}

int32_t menuDefault(v4l2emu::DeviceIo &io, int fd, uint32_t id)
{
	if (!id)
		return -1;
	struct v4l2_query_ext_ctrl q {};
	q.id = id;
	if (io.ioctl(fd, VIDIOC_QUERY_EXT_CTRL, &q))
		return -1;
	return static_cast<int32_t>(q.default_value);
}

} // namespace

int probeCodec(v4l2emu::DeviceIo &io, const DecoderNode &node, const CodecDescriptor &codec,
	       DeviceCaps *caps)
{
	if (!node.supports(codec.codedFourcc))
		return -EINVAL;
	std::unique_ptr<M2MContext> m2m;
	int ret = M2MContext::open(io, node, &m2m);
	if (ret)
		return ret;
	DeviceCaps out;
	out.multiplanar = node.multiplanar;
	ret = m2m->setOutputFormat(codec.codedFourcc, 1280, 720, codec.outputBufferSize(1280, 720));
	if (ret)
		return ret;
	struct v4l2_requestbuffers rb {};
	rb.type = m2m->outputType();
	rb.memory = V4L2_MEMORY_MMAP;
	rb.count = 0;
	ret = io.ioctl(m2m->videoFd(), VIDIOC_REQBUFS, &rb);
	if (ret)
		return ret;
	if (!(rb.capabilities & V4L2_BUF_CAP_SUPPORTS_REQUESTS))
		return -ENOTSUP;	// a stateful decoder, or no request API
	out.holdCaptureBuf = rb.capabilities & V4L2_BUF_CAP_SUPPORTS_M2M_HOLD_CAPTURE_BUF;
	ret = m2m->enumFormats(m2m->captureType(), &out.captureFormats);
	if (ret)
		return ret;
	struct v4l2_frmsizeenum fs {};
	fs.pixel_format = codec.codedFourcc;
	if (io.ioctl(m2m->videoFd(), VIDIOC_ENUM_FRAMESIZES, &fs) == 0) {
		if (fs.type == V4L2_FRMSIZE_TYPE_DISCRETE) {
			out.minWidth = out.maxWidth = fs.discrete.width;
			out.minHeight = out.maxHeight = fs.discrete.height;
		} else {
			out.minWidth = fs.stepwise.min_width;
			out.maxWidth = fs.stepwise.max_width;
			out.minHeight = fs.stepwise.min_height;
			out.maxHeight = fs.stepwise.max_height;
		}
	}	// ENOTTY (cedrus has no such op): limits stay unknown
	ret = listControls(io, m2m->videoFd(), &out.controls);
	if (ret)
		return ret;
	out.decodeMode = menuDefault(io, m2m->videoFd(), codec.decodeModeControl);
	out.startCode = menuDefault(io, m2m->videoFd(), codec.startCodeControl);
	*caps = std::move(out);
	return 0;
}

} // namespace v4l2va
