// SPDX-License-Identifier: MIT
// Fuzz target: stateless codec control payloads (the compound controls of H.264, HEVC, VP8,
// VP9, MPEG-2, AV1 and FWHT) through S/TRY/G_EXT_CTRLS into one open of an emulated decoder,
// current values or a request's, and decodes of requests carrying them, so that the payloads
// reach validation (std_validate_compound, the drivers' try_ctrl), request binding and the
// decode engine's reference and identity checks.
//
// Input (structure-aware: payloads start from zeros, the control's current value or raw bytes,
// then take a few byte patches, so most of them are nearly valid structs):
//   u8 configuration (board, kernel, device, coded format; kConfigs), u8 size class,
//   then up to 24 operations: u8 opcode % 8 and its arguments (see runOp).
// Invariants: every call returns 0 or -errno; TRY_EXT_CTRLS never changes a current value;
// a successful S_EXT_CTRLS of one control makes the value it returned current; a queued
// request whose buffers were accepted completes (the deterministic scheduler runs its job at
// once); the board is clean once the input's fds are closed.
#include "byte_reader.h"
#include "emu_board_pool.h"

#include <fcntl.h>
#include <linux/media.h>
#include <linux/videodev2.h>
#include <poll.h>

#include <array>
#include <cstring>
#include <iterator>

using v4l2va::fuzz::ByteReader;
using v4l2va::fuzz::EmuResources;

namespace {

constexpr const char *kTarget = "emu_stateless_controls";
using Kernel = v4l2emu::KernelVersion;

[[noreturn]] void invariantBroken(const char *what)
{
	v4l2va::fuzz::invariantBroken(kTarget, what);
}

struct Config {
	const char *board;
	Kernel kernel;
	const char *device;
	uint32_t fourcc;
};

// Every codec on visl (which registers all of them), and the real drivers' own control sets
// and try_ctrl checks.
const Config kConfigs[] = {
	{"visl", Kernel::Mainline, "visl", V4L2_PIX_FMT_H264_SLICE},
	{"visl", Kernel::Mainline, "visl", V4L2_PIX_FMT_HEVC_SLICE},
	{"visl", Kernel::Mainline, "visl", V4L2_PIX_FMT_VP8_FRAME},
	{"visl", Kernel::Mainline, "visl", V4L2_PIX_FMT_VP9_FRAME},
	{"visl", Kernel::Mainline, "visl", V4L2_PIX_FMT_MPEG2_SLICE},
	{"visl", Kernel::Mainline, "visl", V4L2_PIX_FMT_AV1_FRAME},
	{"visl", Kernel::Mainline, "visl", V4L2_PIX_FMT_FWHT_STATELESS},
	{"fresnel", Kernel::Mainline, "rkvdec", V4L2_PIX_FMT_H264_SLICE},
	{"fresnel", Kernel::Mainline, "rkvdec", V4L2_PIX_FMT_HEVC_SLICE},
	{"fresnel", Kernel::Mainline, "rkvdec", V4L2_PIX_FMT_VP9_FRAME},
	{"fresnel", Kernel::Mainline, "hantro-vpu", V4L2_PIX_FMT_MPEG2_SLICE},
	{"fresnel", Kernel::Mainline, "hantro-vpu", V4L2_PIX_FMT_VP8_FRAME},
	{"fresnel", Kernel::V6_12, "rkvdec", V4L2_PIX_FMT_H264_SLICE},
	{"fresnel", Kernel::V6_12, "rkvdec", V4L2_PIX_FMT_VP9_FRAME},
	{"cedrus", Kernel::Mainline, "cedrus", V4L2_PIX_FMT_MPEG2_SLICE},
	{"cedrus", Kernel::Mainline, "cedrus", V4L2_PIX_FMT_H264_SLICE},
	{"cedrus", Kernel::Mainline, "cedrus", V4L2_PIX_FMT_HEVC_SLICE},
	{"cedrus", Kernel::Mainline, "cedrus", V4L2_PIX_FMT_VP8_FRAME},
};
constexpr uint32_t kNumConfigs = std::size(kConfigs);

// Every stateless control id, registered or not on the device at hand.
const uint32_t kStatelessIds[] = {
	V4L2_CID_STATELESS_H264_DECODE_MODE, V4L2_CID_STATELESS_H264_START_CODE,
	V4L2_CID_STATELESS_H264_SPS, V4L2_CID_STATELESS_H264_PPS,
	V4L2_CID_STATELESS_H264_SCALING_MATRIX, V4L2_CID_STATELESS_H264_PRED_WEIGHTS,
	V4L2_CID_STATELESS_H264_SLICE_PARAMS, V4L2_CID_STATELESS_H264_DECODE_PARAMS,
	V4L2_CID_STATELESS_FWHT_PARAMS, V4L2_CID_STATELESS_VP8_FRAME,
	V4L2_CID_STATELESS_MPEG2_SEQUENCE, V4L2_CID_STATELESS_MPEG2_PICTURE,
	V4L2_CID_STATELESS_MPEG2_QUANTISATION, V4L2_CID_STATELESS_HEVC_SPS,
	V4L2_CID_STATELESS_HEVC_PPS, V4L2_CID_STATELESS_HEVC_SLICE_PARAMS,
	V4L2_CID_STATELESS_HEVC_SCALING_MATRIX, V4L2_CID_STATELESS_HEVC_DECODE_PARAMS,
	V4L2_CID_STATELESS_HEVC_DECODE_MODE, V4L2_CID_STATELESS_HEVC_START_CODE,
	V4L2_CID_STATELESS_HEVC_ENTRY_POINT_OFFSETS, V4L2_CID_STATELESS_VP9_FRAME,
	V4L2_CID_STATELESS_VP9_COMPRESSED_HDR, V4L2_CID_STATELESS_AV1_SEQUENCE,
	V4L2_CID_STATELESS_AV1_TILE_GROUP_ENTRY, V4L2_CID_STATELESS_AV1_FRAME,
	V4L2_CID_STATELESS_AV1_FILM_GRAIN,
};

/// A control as QUERY_EXT_CTRL describes it.
struct ControlInfo {
	uint32_t id;
	uint32_t type;
	uint32_t elemSize;
	uint32_t elems;
	uint32_t maxDim;	///< dims[0] of an array, 0 otherwise
	uint32_t flags;
};

/// What one configuration's node offers, learnt on its first use.
struct NodeInfo {
	bool known = false;
	bool usable = false;
	std::string videoPath, mediaPath;
	bool mplane = true;
	std::vector<ControlInfo> controls;
};

NodeInfo gNodes[kNumConfigs];

// A picture and the two it may reference.
constexpr uint32_t kCaptureBuffers = 3;

// Payload storage: the largest control is an HEVC slice parameter array (600 x 280 bytes).
constexpr size_t kMaxControls = 4;
constexpr size_t kPayloadBytes = 192 * 1024;
alignas(64) uint8_t gPayload[kMaxControls][kPayloadBytes];
alignas(64) uint8_t gBefore[kPayloadBytes];
alignas(64) uint8_t gAfter[kPayloadBytes];

void learnNode(const Config &cfg, v4l2emu::Board &board, NodeInfo *info)
{
	info->known = true;
	for (const auto &n : board.nodes())
		if (n.device == cfg.device) {
			info->videoPath = n.videoPath;
			info->mediaPath = n.mediaPath;
		}
	v4l2emu::DeviceIo &io = board.io();
	int fd = io.open(info->videoPath.c_str(), O_RDWR | O_NONBLOCK);
	if (fd < 0)
		return;
	struct v4l2_capability cap {};
	if (!io.ioctl(fd, VIDIOC_QUERYCAP, &cap))
		info->mplane = cap.device_caps & V4L2_CAP_VIDEO_M2M_MPLANE;
	struct v4l2_query_ext_ctrl q {};
	q.id = V4L2_CTRL_FLAG_NEXT_CTRL | V4L2_CTRL_FLAG_NEXT_COMPOUND;
	while (!io.ioctl(fd, VIDIOC_QUERY_EXT_CTRL, &q)) {
		if (q.type != V4L2_CTRL_TYPE_CTRL_CLASS && q.elem_size &&
		    static_cast<size_t>(q.elem_size) * q.elems <= kPayloadBytes)
			info->controls.push_back({q.id, q.type, q.elem_size, q.elems,
						  q.nr_of_dims ? q.dims[0] : 0, q.flags});
		q.id |= V4L2_CTRL_FLAG_NEXT_CTRL | V4L2_CTRL_FLAG_NEXT_COMPOUND;
	}
	io.close(fd);
	info->usable = !info->controls.empty();
}

const ControlInfo *findControl(const NodeInfo &node, uint32_t id)
{
	for (const auto &c : node.controls)
		if (c.id == id)
			return &c;
	return nullptr;
}

class Session {
public:
	Session(v4l2emu::Board &board, const Config &cfg, const NodeInfo &node, EmuResources &res)
		: io_(board.io()), cfg_(cfg), node_(node), res_(res)
	{
	}

	bool open(ByteReader &in);
	void runOp(ByteReader &in);

	/// What went through, for V4L2VA_FUZZ_VERBOSE=1 (checking that seeds decode).
	struct Counts {
		unsigned setOk = 0, setFailed = 0, decodes = 0, completed = 0, done = 0;
	} counts;

private:
	uint32_t outType() const
	{
		return node_.mplane ? V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE : V4L2_BUF_TYPE_VIDEO_OUTPUT;
	}
	uint32_t capType() const
	{
		return node_.mplane ? V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE : V4L2_BUF_TYPE_VIDEO_CAPTURE;
	}
	int call(unsigned long cmd, void *arg)
	{
		int ret = io_.ioctl(fd_, cmd, arg);
		if (ret > 0)
			invariantBroken("an ioctl returned a positive value");
		return ret;
	}
	uint32_t pickId(ByteReader &in) const;
	uint32_t pickSize(ByteReader &in, const ControlInfo *info) const;
	void fillPayload(ByteReader &in, uint32_t id, uint8_t *p, uint32_t size);
	int getCurrent(uint32_t id, uint8_t *out, uint32_t size);
	void extCtrls(ByteReader &in);
	bool startStreaming();
	void decode(ByteReader &in);

	v4l2emu::DeviceIo &io_;
	const Config &cfg_;
	const NodeInfo &node_;
	EmuResources &res_;
	int fd_ = -1;
	int request_ = -1;
	bool streaming_ = false;
	bool streamFailed_ = false;
	bool holdUsed_ = false;	///< a held CAPTURE buffer changes which job can run
	uint32_t decodes_ = 0;
};

bool Session::open(ByteReader &in)
{
	fd_ = io_.open(node_.videoPath.c_str(), O_RDWR | O_NONBLOCK);
	if (fd_ < 0)
		invariantBroken("cannot open the decoder node");
	res_.videos.push_back({fd_, node_.mplane});
	int media = io_.open(node_.mediaPath.c_str(), O_RDWR);
	if (media < 0)
		invariantBroken("cannot open the media node");
	res_.medias.push_back(media);
	if (io_.ioctl(media, MEDIA_IOC_REQUEST_ALLOC, &request_) == 0)
		res_.requests.push_back(request_);

	static const uint32_t kSizes[][2] = {{176, 144}, {320, 240}, {64, 64}, {1920, 1088}};
	uint8_t sizeClass = in.u8();
	uint32_t w, h;
	if (sizeClass < 240) {
		w = kSizes[sizeClass % 4][0];
		h = kSizes[sizeClass % 4][1];
	} else {
		w = in.u32() % 8192;
		h = in.u32() % 8192;
	}
	struct v4l2_format f {};
	f.type = outType();
	if (node_.mplane) {
		f.fmt.pix_mp.pixelformat = cfg_.fourcc;
		f.fmt.pix_mp.width = w;
		f.fmt.pix_mp.height = h;
		f.fmt.pix_mp.num_planes = 1;
	} else {
		f.fmt.pix.pixelformat = cfg_.fourcc;
		f.fmt.pix.width = w;
		f.fmt.pix.height = h;
	}
	return call(VIDIOC_S_FMT, &f) == 0;
}

uint32_t Session::pickId(ByteReader &in) const
{
	uint8_t r = in.u8();
	if (r < 220)
		return node_.controls[in.below(static_cast<uint32_t>(node_.controls.size()))].id;
	if (r < 250)
		return kStatelessIds[in.below(std::size(kStatelessIds))];
	return in.u32();
}

uint32_t Session::pickSize(ByteReader &in, const ControlInfo *info) const
{
	uint8_t r = in.u8();
	if (info && r < 200) {
		if (info->flags & V4L2_CTRL_FLAG_DYNAMIC_ARRAY)
			return info->elemSize * (1 + in.below(info->maxDim < 255 ? info->maxDim : 255));
		return info->elemSize * info->elems;
	}
	if (info && r < 230)
		return info->elemSize * in.below(4);
	return in.u32() % (kPayloadBytes + 1);
}

int Session::getCurrent(uint32_t id, uint8_t *out, uint32_t size)
{
	struct v4l2_ext_control c {};
	c.id = id;
	c.size = size;
	c.ptr = out;
	struct v4l2_ext_controls cs {};
	cs.count = 1;
	cs.controls = &c;
	return call(VIDIOC_G_EXT_CTRLS, &cs);
}

/// A payload: a base (zeros, the current value, or raw input bytes) and a few patches.
void Session::fillPayload(ByteReader &in, uint32_t id, uint8_t *p, uint32_t size)
{
	uint8_t base = in.u8();
	if (base < 100 || !size) {
		memset(p, 0, size);
	} else if (base < 170) {
		if (getCurrent(id, p, size))
			memset(p, 0, size);
	} else {
		// A prefix, or all of it (the seeds' real payloads).
		uint32_t raw = base < 230 ? std::min<uint32_t>(size, in.below(256) + 1) : size;
		in.bytes(p, raw);
		memset(p + raw, 0, size - raw);
	}
	uint32_t patches = in.below(6);
	for (uint32_t i = 0; i < patches && size; i++) {
		uint32_t offset = in.u16();
		if (size > 65536)
			offset |= static_cast<uint32_t>(in.u8()) << 16;
		offset %= size;
		uint32_t len = std::min<uint32_t>(1 + in.below(8), size - offset);
		in.bytes(p + offset, len);
	}
}

void Session::extCtrls(ByteReader &in)
{
	static const unsigned long kCmds[] = {VIDIOC_S_EXT_CTRLS, VIDIOC_S_EXT_CTRLS,
					      VIDIOC_TRY_EXT_CTRLS, VIDIOC_G_EXT_CTRLS};
	unsigned long cmd = kCmds[in.below(4)];
	uint8_t w = in.u8();
	uint32_t which = w < 110   ? 0
			 : w < 210 ? V4L2_CTRL_WHICH_REQUEST_VAL
			 : w < 235 ? V4L2_CTRL_WHICH_DEF_VAL
			 : w < 245 ? V4L2_CTRL_CLASS_CODEC_STATELESS
				   : in.u32();
	uint32_t count = 1 + in.below(in.u8() < 200 ? 1 : kMaxControls);
	std::array<struct v4l2_ext_control, kMaxControls> c {};
	for (uint32_t i = 0; i < count; i++) {
		c[i].id = pickId(in);
		const ControlInfo *info = findControl(node_, c[i].id);
		if (info && !(info->flags & V4L2_CTRL_FLAG_HAS_PAYLOAD) && !info->maxDim) {
			c[i].value = static_cast<int32_t>(in.u8() < 200 ? in.below(4) : in.u32());
			continue;
		}
		c[i].size = pickSize(in, info);
		c[i].ptr = gPayload[i];
		if (cmd != VIDIOC_G_EXT_CTRLS)
			fillPayload(in, c[i].id, gPayload[i], c[i].size);
	}
	struct v4l2_ext_controls cs {};
	cs.which = which;
	cs.count = count;
	cs.controls = c.data();
	cs.request_fd = which == V4L2_CTRL_WHICH_REQUEST_VAL && in.u8() < 250 ? request_ : -1;

	// The invariants look at the first control's current value, when it has a payload.
	const ControlInfo *first = findControl(node_, c[0].id);
	bool current = which == 0 || which == V4L2_CTRL_CLASS_CODEC_STATELESS;
	uint32_t curSize = first ? first->elemSize * first->elems : 0;
	bool watch = current && first && (first->flags & V4L2_CTRL_FLAG_HAS_PAYLOAD) &&
		     !(first->flags & V4L2_CTRL_FLAG_DYNAMIC_ARRAY) && curSize <= kPayloadBytes;
	bool haveBefore = watch && cmd == VIDIOC_TRY_EXT_CTRLS && getCurrent(c[0].id, gBefore, curSize) == 0;

	int ret = call(cmd, &cs);
	if (cmd == VIDIOC_S_EXT_CTRLS)
		(ret ? counts.setFailed : counts.setOk)++;

	if (haveBefore) {
		if (getCurrent(c[0].id, gAfter, curSize) || memcmp(gBefore, gAfter, curSize))
			invariantBroken("TRY_EXT_CTRLS changed a current value");
	}
	if (watch && ret == 0 && cmd == VIDIOC_S_EXT_CTRLS && count == 1 && c[0].size == curSize) {
		if (getCurrent(c[0].id, gAfter, curSize))
			invariantBroken("G_EXT_CTRLS failed right after S_EXT_CTRLS of the control");
		if (memcmp(gPayload[0], gAfter, curSize))
			invariantBroken("S_EXT_CTRLS returned a value that did not become current");
	}
}

bool Session::startStreaming()
{
	if (streaming_ || streamFailed_)
		return streaming_;
	streamFailed_ = true;
	struct v4l2_requestbuffers rb {};
	rb.type = outType();
	rb.memory = V4L2_MEMORY_MMAP;
	rb.count = 1;
	if (call(VIDIOC_REQBUFS, &rb) || rb.count < 1)
		return false;
	rb = {};
	rb.type = capType();
	rb.memory = V4L2_MEMORY_MMAP;
	rb.count = kCaptureBuffers;
	if (call(VIDIOC_REQBUFS, &rb) || rb.count < kCaptureBuffers)
		return false;
	uint32_t t = outType();
	if (call(VIDIOC_STREAMON, &t))
		return false;
	t = capType();
	if (call(VIDIOC_STREAMON, &t))
		return false;
	streaming_ = true;
	streamFailed_ = false;
	return true;
}

/// One picture: the request's controls (set by earlier operations), OUTPUT buffer 0 in the
/// request, a CAPTURE buffer, QUEUE, then dequeue both and recycle the request. Picture k of
/// the input has timestamp k * 1000 ns (tv_usec k), which is how payloads name references.
void Session::decode(ByteReader &in)
{
	uint32_t capIndex = in.below(kCaptureBuffers);
	uint32_t bytesused = in.u8() < 200 ? 1 + in.below(255) : in.u32();
	uint32_t flags = in.u8() < 230 ? 0 : V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF;
	if (request_ < 0 || !startStreaming())
		return;
	decodes_++;
	struct v4l2_plane planes[VIDEO_MAX_PLANES] = {};
	struct v4l2_buffer b {};
	b.type = capType();
	b.memory = V4L2_MEMORY_MMAP;
	b.index = capIndex;
	b.m.planes = planes;
	b.length = VIDEO_MAX_PLANES;
	bool capQueued = call(VIDIOC_QBUF, &b) == 0;
	if (!capQueued && call(VIDIOC_QUERYBUF, &b) == 0)
		capQueued = b.flags & V4L2_BUF_FLAG_QUEUED;

	b = {};
	memset(planes, 0, sizeof(planes));
	b.type = outType();
	b.memory = V4L2_MEMORY_MMAP;
	b.index = 0;
	b.m.planes = planes;
	b.length = 1;
	b.flags = V4L2_BUF_FLAG_REQUEST_FD | flags;
	b.request_fd = request_;
	// Timestamps 1000 ns apart: payloads name references by these values.
	b.timestamp.tv_usec = decodes_;
	if (node_.mplane)
		planes[0].bytesused = bytesused;
	else
		b.bytesused = bytesused;
	bool outQueued = call(VIDIOC_QBUF, &b) == 0;
	holdUsed_ |= flags != 0;
	int qret = io_.ioctl(request_, MEDIA_REQUEST_IOC_QUEUE, nullptr);
	if (qret > 0)
		invariantBroken("MEDIA_REQUEST_IOC_QUEUE returned a positive value");
	if (outQueued && qret == 0)
		counts.decodes++;
	struct pollfd done = {request_, POLLPRI, 0};
	if (qret == 0 && io_.poll(&done, 1, 0) == 1)
		counts.completed++;
	if (outQueued && qret == 0 && capQueued && !holdUsed_) {
		// Deterministic scheduler: the job ran inside QUEUE, so the request is complete.
		struct pollfd p = {request_, POLLPRI, 0};
		if (io_.poll(&p, 1, 0) != 1 || !(p.revents & POLLPRI))
			invariantBroken("a queued request with both buffers did not complete");
	}
	for (uint32_t type : {outType(), capType()}) {
		struct v4l2_plane dqPlanes[VIDEO_MAX_PLANES] = {};
		struct v4l2_buffer dq {};
		dq.type = type;
		dq.memory = V4L2_MEMORY_MMAP;
		dq.m.planes = dqPlanes;
		dq.length = VIDEO_MAX_PLANES;
		while (call(VIDIOC_DQBUF, &dq) == 0)
			if (type == capType() && !(dq.flags & V4L2_BUF_FLAG_ERROR))
				counts.done++;
	}
	if (in.u8() < 230)
		io_.ioctl(request_, MEDIA_REQUEST_IOC_REINIT, nullptr);
}

void Session::runOp(ByteReader &in)
{
	switch (in.below(8)) {
	case 0:
	case 1:
	case 2:
	case 3:
		extCtrls(in);
		break;
	case 4:
	case 5:
		decode(in);
		break;
	case 6: {
		int ret = io_.ioctl(request_, MEDIA_REQUEST_IOC_REINIT, nullptr);
		if (ret > 0)
			invariantBroken("MEDIA_REQUEST_IOC_REINIT returned a positive value");
		break;
	}
	default: {
		struct v4l2_query_ext_ctrl q {};
		q.id = pickId(in);
		call(VIDIOC_QUERY_EXT_CTRL, &q);
		break;
	}
	}
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static v4l2va::fuzz::BoardPool pool(kTarget);
	static EmuResources res;
	ByteReader in(data, size);
	uint32_t index = in.below(kNumConfigs);
	const Config &cfg = kConfigs[index];
	v4l2emu::Board &board = pool.get(cfg.board, cfg.kernel);
	NodeInfo &node = gNodes[index];
	if (!node.known)
		learnNode(cfg, board, &node);
	if (!node.usable)
		invariantBroken("a configuration's decoder has no controls");
	{
		Session session(board, cfg, node, res);
		if (session.open(in))
			for (int step = 0; step < 24 && !in.empty(); step++)
				session.runOp(in);
		static const bool verbose = getenv("V4L2VA_FUZZ_VERBOSE") != nullptr;
		if (verbose) {
			const auto &n = session.counts;
			size_t diags = board.diagnostics().size();
			fprintf(stderr, "%s: %s %s: S_EXT_CTRLS %u ok %u failed, %u decodes queued, %u completed, "
					"%u CAPTURE done; %zu diagnostics\n",
				kTarget, cfg.board, cfg.device, n.setOk, n.setFailed, n.decodes, n.completed,
				n.done, diags);
			for (const auto &d : board.diagnostics())
				fprintf(stderr, "  %s: %s\n", v4l2emu::toString(d.kind), d.message.c_str());
		}
	}
	pool.finish(board, res);
	return 0;
}
