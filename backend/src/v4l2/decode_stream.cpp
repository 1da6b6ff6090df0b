// SPDX-License-Identifier: MIT
#include "decode_stream.h"

#include <fcntl.h>
#include <linux/media.h>
#include <poll.h>
#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <chrono>

namespace v4l2va {

namespace {

/// Capture formats we read back, best first: linear 8-bit, linear 10-bit, then tiled ones
/// GetImage detiles. A format not listed here is never chosen.
constexpr uint32_t kReadableCapture[] = {
	V4L2_PIX_FMT_NV12, V4L2_PIX_FMT_P010, V4L2_PIX_FMT_NV15, V4L2_PIX_FMT_NV16,
	V4L2_PIX_FMT_NV20, V4L2_PIX_FMT_YUV420, V4L2_PIX_FMT_NV12_32L32, V4L2_PIX_FMT_NV12_4L4,
};

bool isTenBit(uint32_t fourcc)
{
	return fourcc == V4L2_PIX_FMT_P010 || fourcc == V4L2_PIX_FMT_NV15 || fourcc == V4L2_PIX_FMT_NV20;
}

bool isFourTwoTwo(uint32_t fourcc)
{
	return fourcc == V4L2_PIX_FMT_NV16 || fourcc == V4L2_PIX_FMT_NV20;
}

uint32_t nextSerial()
{
	static std::atomic<uint32_t> serial {0};
	return ++serial;
}

} // namespace

// --- PictureBitstream ----------------------------------------------------------------------

uint8_t *PictureBitstream::reserve(size_t n)
{
	if (!stream_ || units_ == 0)
		return nullptr;
	const auto &slot = stream_->output_[slot_[units_ - 1]];
	size_t used = used_[units_ - 1];
	if (n > slot.length - used)
		return nullptr;
	return slot.data + used;
}

void PictureBitstream::commit(size_t n)
{
	if (stream_ && units_)
		used_[units_ - 1] += n;
}

size_t PictureBitstream::unitSize() const
{
	return units_ ? used_[units_ - 1] : 0;
}

VAStatus PictureBitstream::newUnit()
{
	if (!stream_)
		return VA_STATUS_ERROR_OPERATION_FAILED;
	if (units_ >= kMaxUnitsPerPicture)
		return VA_STATUS_ERROR_MAX_NUM_EXCEEDED;
	std::unique_lock lock(stream_->mutex_);
	uint32_t slot = 0;
	int ret = stream_->acquireOutputSlot(lock, &slot);
	if (ret)
		return ret == -ENOMEM ? VA_STATUS_ERROR_ALLOCATION_FAILED : VA_STATUS_ERROR_MAX_NUM_EXCEEDED;
	slot_[units_] = slot;
	used_[units_] = 0;
	units_++;
	return VA_STATUS_SUCCESS;
}

// --- DecodeStream ---------------------------------------------------------------------------

DecodeStream::DecodeStream(v4l2emu::DeviceIo &io, const DecoderNode &node, const CodecDescriptor &codec,
			   const DeviceCaps &caps, uint32_t width, uint32_t height)
	: io_(io), serial_(nextSerial()), node_(node), codec_(codec), caps_(caps), width_(width), height_(height)
{
	output_.reserve(kMaxOutputBuffers);
	capture_.reserve(kMaxCaptureBuffers);
	freeCapture_.reserve(kMaxCaptureBuffers);
}

DecodeStream::~DecodeStream()
{
	if (m2m_) {
		std::unique_lock lock(mutex_);
		while (inFlightCount_) {
			if (reapHead(lock, 2000))
				break;	// the device is gone or hung: closing the fd cancels the rest
		}
		for (CaptureBuffer &c : capture_)
			for (uint32_t p = 0; p < c.numPlanes; p++)
				if (c.planes[p].data)
					io_.munmap(c.planes[p].data, c.planes[p].length);
		if (m2m_->streaming())
			m2m_->streamOff();
	}
	// requests_ and m2m_ close their fds (requests first: they reference the media fd).
	requests_.reset();
	m2m_.reset();
}

int DecodeStream::create(v4l2emu::DeviceIo &io, const DecoderNode &node, const CodecDescriptor &codec,
			 const DeviceCaps &caps, uint32_t width, uint32_t height,
			 std::shared_ptr<DecodeStream> *out)
{
	std::shared_ptr<DecodeStream> s(new DecodeStream(io, node, codec, caps, width, height));
	int ret = M2MContext::open(io, node, &s->m2m_);
	if (ret)
		return ret;
	ret = s->m2m_->setOutputFormat(codec.codedFourcc, width, height,
				       codec.outputBufferSize(width, height));
	if (ret)
		return ret;
	ret = s->m2m_->allocateOutput(kInitialOutputBuffers);
	if (ret)
		return ret;
	for (uint32_t i = 0; i < s->m2m_->outputCount(); i++) {
		OutputSlot slot;
		slot.data = s->m2m_->outputMemory(i, &slot.length);
		s->output_.push_back(slot);
	}
	s->requests_ = std::make_unique<RequestPool>(io, s->m2m_->mediaFd());
	ret = s->requests_->reserve(s->output_.size());
	if (ret)
		return ret;
	*out = std::move(s);
	return 0;
}

int DecodeStream::ioctl(unsigned long request, void *arg)
{
	ioctls_.fetch_add(1, std::memory_order_relaxed);
	return io_.ioctl(m2m_->videoFd(), request, arg);
}

bool DecodeStream::ready() const
{
	std::lock_guard lock(mutex_);
	return ready_;
}

SequenceInfo DecodeStream::sequence() const
{
	std::lock_guard lock(mutex_);
	return sequence_;
}

struct v4l2_pix_format_mplane DecodeStream::captureFormat() const
{
	std::lock_guard lock(mutex_);
	return captureFormat_;
}

int DecodeStream::configureCapture(const UnitControls &sequenceControls, const SequenceInfo &sequence,
				   uint32_t preferredFourcc)
{
	std::lock_guard lock(mutex_);
	if (ready_)
		return -EBUSY;
	if (sequenceControls.count) {
		// The driver derives the capture format (bit depth, 4:2:2) from the SPS, so it goes
		// first without a request (GStreamer and FFmpeg do the same before G_FMT(CAPTURE)).
		UnitControls copy = sequenceControls;
		int ret = m2m_->setCurrentControls(copy.controls, copy.count);
		if (ret)
			return ret;
	}
	std::vector<uint32_t> offered;
	int ret = m2m_->enumFormats(m2m_->captureType(), &offered);
	if (ret)
		return ret;
	uint32_t chosen = 0;
	auto fits = [&](uint32_t f) {
		return (isTenBit(f) == (sequence.bitDepth > 8)) &&
		       (isFourTwoTwo(f) == (sequence.chromaFormatIdc == 2));
	};
	if (preferredFourcc && std::count(offered.begin(), offered.end(), preferredFourcc) &&
	    fits(preferredFourcc))
		chosen = preferredFourcc;
	for (uint32_t f : kReadableCapture) {
		if (chosen)
			break;
		if (std::count(offered.begin(), offered.end(), f) && fits(f))
			chosen = f;
	}
	if (!chosen)
		return -EINVAL;	// nothing we can read back for this sequence
	struct v4l2_pix_format_mplane fmt {};
	ret = m2m_->captureFormat(&fmt);
	if (ret)
		return ret;
	fmt.pixelformat = chosen;
	fmt.width = std::max(fmt.width, sequence.codedWidth);
	fmt.height = std::max(fmt.height, sequence.codedHeight);
	ret = m2m_->setCaptureFormat(&fmt);
	if (ret)
		return ret;
	if (fmt.pixelformat != chosen)
		return -EINVAL;
	// OUTPUT streams now; CAPTURE once its first buffer exists (bindCapture).
	ret = m2m_->streamOnQueue(m2m_->outputType());
	if (ret)
		return ret;
	captureFormat_ = fmt;
	sequence_ = sequence;
	ready_ = true;
	return 0;
}

// --- pictures ------------------------------------------------------------------------------

int DecodeStream::growOutput()
{
	if (output_.size() >= kMaxOutputBuffers)
		return -ENOBUFS;
	uint32_t before = m2m_->outputCount();
	int ret = m2m_->addOutput(1);
	if (ret)
		return ret;
	for (uint32_t i = before; i < m2m_->outputCount(); i++) {
		OutputSlot slot;
		slot.data = m2m_->outputMemory(i, &slot.length);
		output_.push_back(slot);
	}
	return requests_->reserve(output_.size());
}

int DecodeStream::acquireOutputSlot(std::unique_lock<std::mutex> &lock, uint32_t *slot)
{
	for (;;) {
		for (uint32_t i = 0; i < output_.size(); i++) {
			if (!output_[i].busy) {
				output_[i].busy = true;
				*slot = i;
				return 0;
			}
		}
		if (inFlightCount_) {
			// The ring is full of queued pictures: the oldest frees its buffer first.
			int ret = reapHead(lock, 5000);
			if (ret && ret != -EAGAIN)
				return ret;
			continue;
		}
		// Every buffer belongs to the picture being assembled (many slices): grow.
		int ret = growOutput();
		if (ret)
			return ret;
	}
}

int DecodeStream::beginPicture(PictureBitstream *picture)
{
	std::unique_lock lock(mutex_);
	uint32_t slot = 0;
	int ret = acquireOutputSlot(lock, &slot);
	if (ret)
		return ret;
	picture->stream_ = this;
	picture->units_ = 1;
	picture->slot_[0] = slot;
	picture->used_[0] = 0;
	return 0;
}

void DecodeStream::abandonPicture(PictureBitstream *picture)
{
	if (picture->stream_ != this)
		return;
	std::lock_guard lock(mutex_);
	for (unsigned u = 0; u < picture->units_; u++)
		output_[picture->slot_[u]].busy = false;
	picture->stream_ = nullptr;
	picture->units_ = 0;
}

void DecodeStream::pushInFlight(const InFlight &unit)
{
	inFlight_[(inFlightHead_ + inFlightCount_) % inFlight_.size()] = unit;
	inFlightCount_++;
}

int DecodeStream::submit(PictureBitstream *picture, uint32_t captureIndex, const UnitControls *unitControls)
{
	std::unique_lock lock(mutex_);
	if (picture->stream_ != this || !ready_ || !captureValid(captureIndex))
		return -EINVAL;
	CaptureBuffer &cap = capture_[captureIndex];
	if (cap.state == CaptureState::Queued)
		return -EBUSY;
	// Room in the in-flight ring for every unit (it holds one entry per OUTPUT buffer).
	while (inFlightCount_ + picture->units_ > inFlight_.size()) {
		int ret = reapHead(lock, 5000);
		if (ret && ret != -EAGAIN)
			return ret;
	}
	const uint64_t ts = timestampOf(captureIndex);
	const unsigned units = picture->units_;
	for (unsigned u = 0; u < units; u++) {
		const bool last = u + 1 == units;
		int requestFd = -1;
		int ret = requests_->acquire(&requestFd);
		if (!ret) {
			UnitControls ctrls = unitControls[u];	// S_EXT_CTRLS writes back
			ret = m2m_->setControls(requestFd, ctrls.controls, ctrls.count);
		}
		if (!ret)
			ret = m2m_->queueOutput(picture->slot_[u], requestFd, ts,
						static_cast<uint32_t>(picture->used_[u]),
						last ? 0 : V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF);
		bool outputQueued = !ret;
		bool captureQueued = false;
		if (!ret && u == 0) {
			ret = m2m_->queueCapture(captureIndex, cap.numPlanes);
			captureQueued = !ret;
		}
		if (!ret)
			ret = requests_->queue(requestFd);
		if (ret) {
			if (requestFd >= 0) {
				// MCR:media_request_ioctl_reinit unbinds the OUTPUT buffer of a request
				// that was never queued; the pool REINITs before its next use anyway.
				if (outputQueued) {
					int undo = io_.ioctl(requestFd, MEDIA_REQUEST_IOC_REINIT, nullptr);
					(void)undo;	// the original error is the one to report
				}
				requests_->release(requestFd);
			}
			for (unsigned v = u; v < units; v++)
				output_[picture->slot_[v]].busy = false;
			picture->stream_ = nullptr;
			picture->units_ = 0;
			// A CAPTURE buffer queued without a job (this picture's, or held by earlier
			// slices of it) would receive the next picture: bring it back.
			if (captureQueued || u > 0) {
				cap.state = CaptureState::Queued;
				recoverCapture(lock);
				cap.state = u > 0 ? CaptureState::Failed : CaptureState::Idle;
			}
			return ret;
		}
		InFlight unit;
		unit.requestFd = requestFd;
		unit.outputSlot = picture->slot_[u];
		unit.captureIndex = last ? static_cast<int32_t>(captureIndex) : -1;
		unit.sequence = nextSequence_++;
		pushInFlight(unit);
		if (u == 0)
			cap.state = CaptureState::Queued;
	}
	picture->stream_ = nullptr;
	picture->units_ = 0;
	return 0;
}

int DecodeStream::reapHead(std::unique_lock<std::mutex> &lock, int timeoutMs)
{
	if (!inFlightCount_)
		return -EAGAIN;
	const InFlight head = inFlight_[inFlightHead_];
	// The request reports POLLPRI once the unit completed. A queued request of an unplugged
	// device never completes, but its video fd then reports POLLERR | POLLHUP whatever was
	// asked (V4L2 core v4l2_poll on an unregistered device): poll both.
	struct pollfd p[2] = {{head.requestFd, POLLPRI, 0}, {m2m_->videoFd(), 0, 0}};
	int ret;
	if (timeoutMs > 0) {
		// Wait without the lock: other threads keep submitting, syncing and reading.
		lock.unlock();
		ret = io_.poll(p, 2, timeoutMs);
		lock.lock();
		if (!inFlightCount_ || inFlight_[inFlightHead_].sequence != head.sequence)
			return 0;	// another thread reaped it meanwhile
	} else {
		ret = io_.poll(p, 2, 0);
	}
	if (ret == -EINTR)
		return -EAGAIN;	// a signal: the caller waits again (its deadline still holds)
	if (ret < 0)
		return ret;
	const bool gone = p[1].revents & (POLLERR | POLLHUP);
	if (!p[0].revents && !gone)
		return timeoutMs > 0 ? -ETIMEDOUT : -EAGAIN;
	// POLLPRI: complete. POLLERR: not queued any more; gone: the device went away. Reap; a
	// DQBUF that fails while the device is there dequeued nothing (VB2C:vb2_core_dqbuf): the
	// buffer is still DONE on its queue, so the unit stays at the head for the next reap,
	// which dequeues only what is left (the OUTPUT buffer is not dequeued twice).
	InFlight &cur = inFlight_[inFlightHead_];
	M2MContext::Dequeued d;
	if (!cur.outputReaped) {
		int r = m2m_->dequeueOutput(&d);
		if (r && !gone)
			return r;
		if (r == 0 && d.index < output_.size())
			output_[d.index].busy = false;
		else
			output_[cur.outputSlot].busy = false;	// lost with the device
		cur.outputReaped = true;
	}
	if (cur.captureIndex >= 0) {
		int r = m2m_->dequeueCapture(&d);
		if (r && !gone)
			return r;
		uint32_t index = r == 0 ? d.index : static_cast<uint32_t>(cur.captureIndex);
		if (index < capture_.size() && capture_[index].state == CaptureState::Queued) {
			// The request completed (POLLPRI) but DQBUF cannot say how (the device was
			// unplugged meanwhile): the job ran, its picture is in the buffer.
			bool completed = p[0].revents & POLLPRI;
			bool failed = r != 0 ? !completed : (d.flags & V4L2_BUF_FLAG_ERROR) != 0;
			capture_[index].state = failed ? CaptureState::Failed : CaptureState::Done;
		}
	}
	inFlightHead_ = (inFlightHead_ + 1) % inFlight_.size();
	inFlightCount_--;
	requests_->release(head.requestFd);
	return 0;
}

void DecodeStream::recoverCapture(std::unique_lock<std::mutex> &lock)
{
	while (inFlightCount_)
		if (reapHead(lock, 2000) && reapHead(lock, 0))
			break;
	int ret = m2m_->restartCapture();
	(void)ret;	// nothing more can be done: the buffer states below stand either way
}

int DecodeStream::sync(uint32_t captureIndex, int timeoutMs)
{
	std::unique_lock lock(mutex_);
	if (!captureValid(captureIndex))
		return -EINVAL;
	auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
	while (capture_[captureIndex].state == CaptureState::Queued) {
		auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
			deadline - std::chrono::steady_clock::now()).count();
		if (left <= 0)
			return -ETIMEDOUT;
		int ret = reapHead(lock, static_cast<int>(left));
		if (ret == -EAGAIN && !inFlightCount_)
			break;	// nothing in flight yet still Queued: cannot happen, but never spin
		if (ret && ret != -EAGAIN)
			return ret;
	}
	switch (capture_[captureIndex].state) {
	case CaptureState::Failed: return -EIO;
	case CaptureState::Queued: return -ETIMEDOUT;
	default: return 0;
	}
}

void DecodeStream::poll()
{
	std::unique_lock lock(mutex_);
	while (inFlightCount_ && reapHead(lock, 0) == 0) {
	}
}

void DecodeStream::drain(int timeoutMs)
{
	std::unique_lock lock(mutex_);
	while (inFlightCount_)
		if (reapHead(lock, timeoutMs))
			break;
}

} // namespace v4l2va
