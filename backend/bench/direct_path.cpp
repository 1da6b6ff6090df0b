// SPDX-License-Identifier: MIT
#include "direct_path.h"

#include "v4l2/decode_stream.h"

#include <linux/media.h>
#include <poll.h>
#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace v4l2va::bench {

namespace {

/// The picture's bitstream, written by the codec into plain memory (one decode unit).
class MemorySink final : public BitstreamSink {
public:
	explicit MemorySink(size_t capacity) : data_(capacity) {}
	void reset()
	{
		used_ = 0;
		units_ = 1;
	}
	uint8_t *reserve(size_t n) override
	{
		return n <= data_.size() - used_ ? data_.data() + used_ : nullptr;
	}
	void commit(size_t n) override { used_ += n; }
	size_t unitSize() const override { return used_; }
	VAStatus newUnit() override
	{
		units_++;	// counted, refused later: the benchmark's decoders are frame based
		return VA_STATUS_SUCCESS;
	}
	unsigned unitCount() const override { return units_; }
	const uint8_t *data() const { return data_.data(); }

private:
	std::vector<uint8_t> data_;
	size_t used_ = 0;
	unsigned units_ = 1;
};

/// Surface i holds CAPTURE buffer i once decoded, as in the driver when the surfaces are first
/// used in order (DecodeStream::bindCapture grows the pool one buffer per new surface).
class IndexResolver final : public ReferenceResolver {
public:
	IndexResolver(const std::vector<VASurfaceID> &surfaces, const std::vector<bool> &decoded)
		: surfaces_(surfaces), decoded_(decoded)
	{
	}
	bool timestampOf(VASurfaceID surface, uint64_t *timestampNs) const override
	{
		for (size_t i = 0; i < surfaces_.size(); i++) {
			if (surfaces_[i] == surface && decoded_[i]) {
				*timestampNs = DecodeStream::timestampOf(static_cast<uint32_t>(i));
				return true;
			}
		}
		return false;
	}

private:
	const std::vector<VASurfaceID> &surfaces_;
	const std::vector<bool> &decoded_;
};

} // namespace

void ControlSet::assign(const UnitControls &from)
{
	size_t words = 0;
	for (uint32_t i = 0; i < from.count; i++)
		words += (from.controls[i].size + 7) / 8;
	payload.assign(words, 0);
	controls = from;
	size_t at = 0;
	for (uint32_t i = 0; i < from.count; i++) {
		const struct v4l2_ext_control &c = from.controls[i];
		if (!c.size)
			continue;	// a plain value travels in the control itself
		memcpy(payload.data() + at, c.ptr, c.size);
		controls.controls[i].ptr = payload.data() + at;
		at += (c.size + 7) / 8;
	}
}

bool makePictureCycle(const CodecDescriptor &codec, VAProfile profile, const DeviceCaps &caps,
		      test::FrameSource &source, const std::vector<VASurfaceID> &surfaces,
		      unsigned count, PictureCycle *cycle, std::string *error)
{
	const uint32_t w = source.width(), h = source.height();
	std::unique_ptr<CodecState> state = codec.create(profile, caps, w, h);
	if (!state) {
		*error = std::string(codec.name) + ": codec state not created";
		return false;
	}
	MemorySink sink(codec.outputBufferSize(w, h));
	std::vector<bool> decoded(surfaces.size());
	IndexResolver refs(surfaces, decoded);
	cycle->pictures.clear();
	cycle->pictures.reserve(count);
	for (unsigned n = 0; n < count; n++) {
		Picture pic;
		pic.targetIndex = n % static_cast<uint32_t>(surfaces.size());
		VASurfaceID reference = n ? surfaces[(n - 1) % surfaces.size()] : VA_INVALID_SURFACE;
		pic.va = source.picture(n, surfaces[pic.targetIndex], reference);
		if (pic.va.params.size() > 8 || pic.va.slices.size() > 8) {
			*error = "more than 8 parameter or slice buffers in a picture";
			return false;
		}
		state->beginPicture();
		sink.reset();
		// FFmpeg's order: parameter buffers, then (slice parameter, slice data) pairs.
		for (const auto *list : {&pic.va.params, &pic.va.slices}) {
			for (const test::VaBufferData &b : *list) {
				BufferView view;
				view.type = b.type;
				view.data = b.bytes.data();
				view.elementSize = b.elementSize;
				view.numElements = b.numElements;
				VAStatus st = state->render(view, sink);
				if (st != VA_STATUS_SUCCESS) {
					*error = "render of picture " + std::to_string(n) + ": " + vaErrorStr(st);
					return false;
				}
			}
		}
		SequenceInfo seq;
		VAStatus st = state->endPicture(&seq);
		if (st != VA_STATUS_SUCCESS) {
			*error = "endPicture of picture " + std::to_string(n) + ": " + vaErrorStr(st);
			return false;
		}
		if (sink.unitCount() != 1) {
			*error = "picture " + std::to_string(n) + " has several decode units";
			return false;
		}
		if (n == 0) {
			UnitControls sc;
			state->sequenceControls(&sc);
			cycle->sequenceControls.assign(sc);
			cycle->sequence = seq;
		}
		UnitControls uc;
		st = state->unitControls(0, refs, DecodeStream::timestampOf(pic.targetIndex), &uc);
		if (st != VA_STATUS_SUCCESS) {
			*error = "unitControls of picture " + std::to_string(n) + ": " + vaErrorStr(st);
			return false;
		}
		pic.unit.assign(uc);
		pic.bitstream.assign(sink.data(), sink.data() + sink.unitSize());
		state->pictureSubmitted();
		decoded[pic.targetIndex] = true;
		cycle->pictures.push_back(std::move(pic));
	}
	return true;
}

DirectPath::~DirectPath()
{
	if (!m2m_)
		return;
	for (auto &[p, len] : captureMaps_)
		io_->munmap(p, len);
	if (m2m_->streaming())
		m2m_->streamOff();
	requests_.reset();	// request fds before the media fd
	m2m_.reset();
}

int DirectPath::setup(v4l2emu::DeviceIo &io, const DecoderNode &node, const CodecDescriptor &codec,
		      uint32_t width, uint32_t height, const PictureCycle &cycle, unsigned captures)
{
	io_ = &io;
	int ret = M2MContext::open(io, node, &m2m_);
	if (!ret)
		ret = m2m_->setOutputFormat(codec.codedFourcc, width, height,
					    codec.outputBufferSize(width, height));
	if (!ret)
		ret = m2m_->allocateOutput(kInitialOutputBuffers);
	if (ret)
		return ret;
	requests_ = std::make_unique<RequestPool>(io, m2m_->mediaFd());
	ret = requests_->reserve(m2m_->outputCount());
	if (!ret && cycle.sequenceControls.controls.count) {
		UnitControls copy = cycle.sequenceControls.controls;
		ret = m2m_->setCurrentControls(copy.controls, copy.count);
	}
	std::vector<uint32_t> offered;
	if (!ret)
		ret = m2m_->enumFormats(m2m_->captureType(), &offered);
	if (ret)
		return ret;
	if (std::find(offered.begin(), offered.end(), V4L2_PIX_FMT_NV12) == offered.end())
		return -EINVAL;	// the driver would pick NV12 first: compare like with like
	struct v4l2_pix_format_mplane fmt {};
	ret = m2m_->captureFormat(&fmt);
	if (ret)
		return ret;
	fmt.pixelformat = V4L2_PIX_FMT_NV12;
	fmt.width = std::max(fmt.width, cycle.sequence.codedWidth);
	fmt.height = std::max(fmt.height, cycle.sequence.codedHeight);
	ret = m2m_->setCaptureFormat(&fmt);
	if (!ret && fmt.pixelformat != V4L2_PIX_FMT_NV12)
		ret = -EINVAL;
	if (!ret)
		ret = m2m_->streamOnQueue(m2m_->outputType());
	uint32_t first = 0, added = 0;
	if (!ret)
		ret = m2m_->addCapture(captures, &first, &added);
	if (ret)
		return ret;
	if (first != 0 || added != captures)
		return -ENOBUFS;
	for (uint32_t i = 0; i < captures; i++) {
		struct v4l2_plane planes[VIDEO_MAX_PLANES] = {};
		struct v4l2_buffer b {};
		b.type = m2m_->captureType();
		b.memory = V4L2_MEMORY_MMAP;
		b.index = i;
		b.m.planes = planes;
		b.length = VIDEO_MAX_PLANES;
		ret = io.ioctl(m2m_->videoFd(), VIDIOC_QUERYBUF, &b);
		if (ret)
			return ret;
		const bool mplane = V4L2_TYPE_IS_MULTIPLANAR(b.type);
		capturePlanes_ = mplane ? b.length : 1;
		for (uint32_t p = 0; p < capturePlanes_; p++) {
			size_t len = mplane ? planes[p].length : b.length;
			uint32_t off = mplane ? planes[p].m.mem_offset : b.m.offset;
			void *addr = nullptr;
			ret = io.mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED, m2m_->videoFd(), off,
				      &addr);
			if (ret)
				return ret;
			captureMaps_.emplace_back(addr, len);
		}
	}
	return m2m_->streamOnQueue(m2m_->captureType());
}

int DirectPath::frame(const Picture &picture)
{
	size_t length = 0;
	uint8_t *output = m2m_->outputMemory(0, &length);
	if (!output || picture.bitstream.size() > length)
		return -ENOSPC;
	memcpy(output, picture.bitstream.data(), picture.bitstream.size());
	int requestFd = -1;
	int ret = requests_->acquire(&requestFd);	// REINITs the request used last time
	if (ret)
		return ret;
	UnitControls ctrls = picture.unit.controls;	// S_EXT_CTRLS writes back, as in submit()
	ret = m2m_->setControls(requestFd, ctrls.controls, ctrls.count);
	const uint64_t ts = DecodeStream::timestampOf(picture.targetIndex);
	if (!ret)
		ret = m2m_->queueOutput(0, requestFd, ts, static_cast<uint32_t>(picture.bitstream.size()));
	if (!ret)
		ret = m2m_->queueCapture(picture.targetIndex, capturePlanes_);
	if (!ret)
		ret = requests_->queue(requestFd);
	if (ret) {
		requests_->release(requestFd);
		return ret;	// the benchmark stops at the first error
	}
	struct pollfd p {requestFd, POLLPRI, 0};
	ret = io_->poll(&p, 1, 5000);
	if (ret <= 0)
		return ret ? ret : -ETIMEDOUT;
	M2MContext::Dequeued d;
	ret = m2m_->dequeueOutput(&d);
	requests_->release(requestFd);
	if (!ret)
		ret = m2m_->dequeueCapture(&d);
	if (!ret && (d.flags & V4L2_BUF_FLAG_ERROR))
		ret = -EIO;
	return ret;
}

} // namespace v4l2va::bench
