// SPDX-License-Identifier: MIT
#pragma once

// A decode stream: one m2m context of a decoder (its own open of the video node) configured for
// one coded format and one sequence, with everything a VA context decodes through:
//   - a ring of mmapped OUTPUT buffers, each picture's bitstream written straight into them;
//   - a request pool recycled with REINIT;
//   - a CAPTURE pool that only grows (CREATE_BUFS(1) per surface on first use), never REQBUFS'd
//     while streaming; a buffer freed by a destroyed surface is reused by the next one;
//   - completion tracking: a FIFO of queued decode units, reaped in order (poll the request for
//     POLLPRI, then exactly one DQBUF per queue), so a frame costs 7 ioctls in steady state.
//
// Surfaces and images keep a shared_ptr to the stream whose CAPTURE buffer they use: the stream
// (its fds, buffers and mappings) lives until the last of them goes, so DestroyContext and
// sequence changes never free memory a live object points into.
//
// Locking: one mutex per stream; waits (poll) run without it. Every call returns 0 or -errno
// and leaves the stream as it was on failure.

#include "codecs/codec.h"
#include "v4l2/decoder_finder.h"
#include "v4l2/m2m_context.h"
#include "v4l2/request_pool.h"

#include <linux/videodev2.h>
#include <v4l2emu/formats.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace v4l2va {

/// Decode units (requests) one picture may take: slices in slice-based decoding.
constexpr unsigned kMaxUnitsPerPicture = 32;
/// OUTPUT buffers: the ring starts at kInitialOutputBuffers and grows with CREATE_BUFS up to
/// kMaxOutputBuffers (multi-slice pictures in slice-based mode).
constexpr unsigned kInitialOutputBuffers = 4;
constexpr unsigned kMaxOutputBuffers = 32;
/// CAPTURE buffers per stream (vb2's limit for rkvdec/cedrus; hantro allows 64).
constexpr unsigned kMaxCaptureBuffers = 64;

enum class CaptureState : uint8_t {
	Free,		///< not owned by a surface
	Idle,		///< owned, never decoded into (contents undefined)
	Queued,		///< a decode into it is in flight
	Done,		///< holds a decoded picture
	Failed,		///< the last decode into it reported an error
};

/// One mapped plane of a CAPTURE buffer.
struct PlaneMapping {
	uint8_t *data = nullptr;
	size_t length = 0;
};

class DecodeStream;

/// The picture being assembled between BeginPicture and EndPicture: which OUTPUT buffers its
/// units use, and how much of each is filled. Lives inside the VA context (no allocation).
class PictureBitstream final : public BitstreamSink {
public:
	uint8_t *reserve(size_t n) override;
	void commit(size_t n) override;
	size_t unitSize() const override;
	VAStatus newUnit() override;
	unsigned unitCount() const override { return units_; }

	bool active() const { return stream_ != nullptr; }
	size_t unitUsed(unsigned unit) const { return unit < units_ ? used_[unit] : 0; }

private:
	friend class DecodeStream;
	DecodeStream *stream_ = nullptr;
	unsigned units_ = 0;
	std::array<uint32_t, kMaxUnitsPerPicture> slot_ {};
	std::array<size_t, kMaxUnitsPerPicture> used_ {};
};

class DecodeStream {
public:
	/// Opens the decoder, sets the OUTPUT format (coded fourcc at width x height), allocates the
	/// OUTPUT ring and the requests. Nothing touches CAPTURE yet.
	static int create(v4l2emu::DeviceIo &io, const DecoderNode &node,
			  const CodecDescriptor &codec, const DeviceCaps &caps, uint32_t width,
			  uint32_t height, std::shared_ptr<DecodeStream> *out);
	~DecodeStream();
	DecodeStream(const DecodeStream &) = delete;
	DecodeStream &operator=(const DecodeStream &) = delete;

	/// Unique per stream in the process (never reused), for bindings kept as plain integers.
	uint32_t serial() const { return serial_; }
	const DecoderNode &node() const { return node_; }
	const CodecDescriptor &codec() const { return codec_; }
	const DeviceCaps &caps() const { return caps_; }
	uint32_t width() const { return width_; }
	uint32_t height() const { return height_; }

	// --- CAPTURE side -------------------------------------------------------------------
	/// True once the CAPTURE format is set and both queues stream.
	bool ready() const;
	/// The sequence the CAPTURE format was chosen for (valid when ready()).
	SequenceInfo sequence() const;
	/// Sets the sequence controls without a request (so the driver picks the capture format),
	/// chooses a CAPTURE format we can read back (linear NV12 first, then NV15/P010, then
	/// tiled), sets it and starts streaming. `preferredFourcc` (0: none) wins when offered.
	int configureCapture(const UnitControls &sequenceControls, const SequenceInfo &sequence,
			     uint32_t preferredFourcc = 0);
	/// The CAPTURE format (valid when ready()).
	struct v4l2_pix_format_mplane captureFormat() const;
	/// A CAPTURE buffer for a surface: a freed one, or a new one (CREATE_BUFS + QUERYBUF + mmap).
	/// -ENOBUFS when the queue is full.
	int bindCapture(uint32_t *index);
	/// Gives a buffer back (surface destroyed or rebound). A buffer still decoding is reaped
	/// first; a buffer pinned by an image or export stays out of the free list until unpinned.
	void releaseCapture(uint32_t index);
	/// Pins keep a buffer from being reused while a derived image maps it.
	void pinCapture(uint32_t index);
	void unpinCapture(uint32_t index);
	CaptureState captureState(uint32_t index) const;
	/// The V4L2 timestamp naming a CAPTURE buffer: (index + 1) * 1000 ns (FFmpeg, MEGI).
	static uint64_t timestampOf(uint32_t index) { return (static_cast<uint64_t>(index) + 1) * 1000; }
	/// Index of the buffer named by a timestamp, or -1.
	static int indexOfTimestamp(uint64_t ts);
	/// The mapped planes of a buffer (READ|WRITE, kept for the stream's life).
	int captureMapping(uint32_t index, PlaneMapping planes[VIDEO_MAX_PLANES],
			   uint32_t *numPlanes) const;
	/// VIDIOC_EXPBUF of every plane (O_RDONLY | O_CLOEXEC); the caller owns the fds.
	int exportCapture(uint32_t index, int fds[VIDEO_MAX_PLANES], uint32_t *numPlanes);

	// --- Pictures -----------------------------------------------------------------------
	/// Starts a picture: takes a free OUTPUT buffer for its first unit (reaping finished
	/// decodes, waiting for one if all are in flight).
	int beginPicture(PictureBitstream *picture);
	/// The OUTPUT memory of a picture's unit.
	const uint8_t *unitData(const PictureBitstream &picture, unsigned unit) const
	{
		return unit < picture.units_ ? output_[picture.slot_[unit]].data : nullptr;
	}
	/// Gives the OUTPUT buffers of an abandoned picture back.
	void abandonPicture(PictureBitstream *picture);
	/// Queues every unit of the picture into captureIndex: per unit a request with one
	/// S_EXT_CTRLS, QBUF(OUTPUT) (HOLD_CAPTURE_BUF on all but the last), QBUF(CAPTURE) with the
	/// first unit, MEDIA_REQUEST_IOC_QUEUE. On failure nothing stays queued that would land in
	/// another buffer, and the picture is given back. `unitControls[i]` for unit i.
	int submit(PictureBitstream *picture, uint32_t captureIndex,
		   const UnitControls *unitControls);
	/// Waits until the decode into captureIndex completes: 0, -EIO (decode error), -ETIMEDOUT.
	int sync(uint32_t captureIndex, int timeoutMs);
	/// Reaps what has completed without waiting.
	void poll();
	/// Waits for everything in flight (teardown).
	void drain(int timeoutMs);

	/// ioctls issued through this stream (benchmarks).
	uint64_t ioctlCount() const { return ioctls_.load(std::memory_order_relaxed); }

private:
	friend class PictureBitstream;
	friend struct DefectHooks;	///< test-only defects (va/defect_hooks.h)
	DecodeStream(v4l2emu::DeviceIo &io, const DecoderNode &node, const CodecDescriptor &codec,
		     const DeviceCaps &caps, uint32_t width, uint32_t height);

	struct OutputSlot {
		uint8_t *data = nullptr;
		size_t length = 0;
		bool busy = false;	///< held by a picture being assembled or in flight
	};
	struct CaptureBuffer {
		CaptureState state = CaptureState::Free;
		uint32_t numPlanes = 0;
		PlaneMapping planes[VIDEO_MAX_PLANES] {};
		uint32_t pins = 0;
		bool released = false;	///< surface gone while pinned: free on last unpin
	};
	/// One queued decode unit.
	struct InFlight {
		int requestFd = -1;
		uint32_t outputSlot = 0;
		int32_t captureIndex = -1;	///< set on the unit that completes the capture buffer
		uint64_t sequence = 0;
		bool outputReaped = false;	///< its OUTPUT buffer was dequeued (CAPTURE DQBUF failed)
	};

	int ioctl(unsigned long request, void *arg);
	int acquireOutputSlot(std::unique_lock<std::mutex> &lock, uint32_t *slot);
	int growOutput();
	int mapCapture(uint32_t index, CaptureBuffer *buf);
	/// Reaps the head unit if its request completed (wait: up to timeoutMs). Returns 0 when one
	/// was reaped, -EAGAIN when it is not done, -ETIMEDOUT, or -errno. Drops the lock to wait.
	int reapHead(std::unique_lock<std::mutex> &lock, int timeoutMs);
	/// After a failure that left a CAPTURE buffer queued with no job for it: wait for every
	/// decode in flight, then STREAMOFF/STREAMON CAPTURE so it comes back.
	void recoverCapture(std::unique_lock<std::mutex> &lock);
	void pushInFlight(const InFlight &unit);
	bool captureValid(uint32_t index) const
	{
		return index < capture_.size() && capture_[index].state != CaptureState::Free;
	}

	v4l2emu::DeviceIo &io_;
	const uint32_t serial_;
	DecoderNode node_;
	const CodecDescriptor &codec_;
	DeviceCaps caps_;
	uint32_t width_, height_;
	std::unique_ptr<M2MContext> m2m_;
	std::unique_ptr<RequestPool> requests_;

	mutable std::mutex mutex_;
	bool ready_ = false;
	SequenceInfo sequence_ {};
	struct v4l2_pix_format_mplane captureFormat_ {};
	std::vector<OutputSlot> output_;		///< reserved to kMaxOutputBuffers
	std::vector<CaptureBuffer> capture_;		///< reserved to kMaxCaptureBuffers
	std::vector<uint32_t> freeCapture_;		///< reserved
	int32_t unboundCapture_ = -1;	///< created by a bind that failed after CREATE_BUFS
	std::array<InFlight, kMaxOutputBuffers> inFlight_ {};	///< ring
	unsigned inFlightHead_ = 0, inFlightCount_ = 0;
	uint64_t nextSequence_ = 1;
	std::atomic<uint64_t> ioctls_ {0};
};

} // namespace v4l2va
