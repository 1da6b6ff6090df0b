// SPDX-License-Identifier: MIT
#pragma once

// One m2m context of a decoder (one open of its video node), with typed operations over
// the seam. Every call returns 0 or -errno and changes nothing on failure. The CAPTURE pool
// only grows (CREATE_BUFS); REQBUFS is never issued on a streaming queue, and buffers are
// never freed while a mapping or export may point into them: the context keeps them until
// it is destroyed.

#include "decoder_finder.h"
#include "seam_fd.h"

#include <linux/videodev2.h>

#include <cstdint>
#include <memory>
#include <vector>

namespace v4l2va {

class M2MContext {
public:
	/// Opens the decoder's video node (non-blocking) and its media node.
	static int open(v4l2emu::DeviceIo &io, const DecoderNode &node, std::unique_ptr<M2MContext> *out);
	~M2MContext();
	M2MContext(const M2MContext &) = delete;
	M2MContext &operator=(const M2MContext &) = delete;

	v4l2emu::DeviceIo &io() const { return io_; }
	int videoFd() const { return video_.get(); }
	int mediaFd() const { return media_.get(); }
	uint32_t outputType() const { return outType_; }
	uint32_t captureType() const { return capType_; }

	/// S_FMT(OUTPUT); *result (if given) receives the format the driver chose.
	int setOutputFormat(uint32_t fourcc, uint32_t width, uint32_t height, uint32_t sizeimage,
			    struct v4l2_pix_format_mplane *result = nullptr);
	/// G_FMT(CAPTURE) (re-read after every S_FMT(OUTPUT): the driver resets it).
	int captureFormat(struct v4l2_pix_format_mplane *out) const;
	/// S_FMT(CAPTURE); *fmt receives the format the driver chose.
	int setCaptureFormat(struct v4l2_pix_format_mplane *fmt);
	/// ENUM_FMT over a queue, in the driver's order.
	int enumFormats(uint32_t type, std::vector<uint32_t> *out) const;

	/// REQBUFS(OUTPUT, count) while the OUTPUT queue is not streaming, then maps the planes.
	int allocateOutput(uint32_t count);
	/// Adds CAPTURE buffers with CREATE_BUFS (allowed while streaming); *first receives the
	/// first new index.
	int addCapture(uint32_t count, uint32_t *first, uint32_t *added);
	/// Adds OUTPUT buffers with CREATE_BUFS (allowed while streaming) and maps them.
	int addOutput(uint32_t count);
	uint32_t outputCount() const { return static_cast<uint32_t>(outputMaps_.size()); }
	uint32_t captureCount() const { return captureCount_; }
	/// The OUTPUT buffer's mapped memory.
	uint8_t *outputMemory(uint32_t index, size_t *length) const;

	int streamOn();
	/// STREAMON of one queue (CAPTURE can only start once it has buffers:
	/// VB2C:vb2_core_streamon refuses a queue with none).
	int streamOnQueue(uint32_t type);
	int streamOff();
	bool streaming() const { return streaming_ || outStreaming_ || capStreaming_; }
	bool captureStreaming() const { return streaming_ || capStreaming_; }

	/// QBUF(OUTPUT) into a request, with the timestamp that names the picture.
	int queueOutput(uint32_t index, int requestFd, uint64_t timestampNs, uint32_t bytesused,
			uint32_t flags = 0);
	int queueCapture(uint32_t index, uint32_t numPlanes = 1);

	struct Dequeued {
		uint32_t index = 0;
		uint32_t flags = 0;
		uint64_t timestampNs = 0;
	};
	/// DQBUF without blocking: -EAGAIN when nothing is done.
	int dequeueOutput(Dequeued *out);
	int dequeueCapture(Dequeued *out);

	/// S_EXT_CTRLS(REQUEST_VAL) of count controls into a request (one call per picture).
	int setControls(int requestFd, struct v4l2_ext_control *controls, uint32_t count);
	/// S_EXT_CTRLS of current values, without a request (the SPS before choosing CAPTURE).
	int setCurrentControls(struct v4l2_ext_control *controls, uint32_t count);
	/// STREAMOFF then STREAMON of CAPTURE alone: returns every queued CAPTURE buffer.
	int restartCapture();

private:
	M2MContext(v4l2emu::DeviceIo &io, SeamFd video, SeamFd media, bool mplane);
	int dequeue(uint32_t type, Dequeued *out);
	/// QUERYBUF + mmap of OUTPUT buffers first..first+count-1; on failure nothing stays mapped.
	int mapOutput(uint32_t first, uint32_t count, std::vector<std::pair<void *, size_t>> *maps);

	v4l2emu::DeviceIo &io_;
	SeamFd video_;
	SeamFd media_;
	uint32_t outType_, capType_;
	std::vector<std::pair<void *, size_t>> outputMaps_;
	uint32_t captureCount_ = 0;
	bool streaming_ = false;
	bool outStreaming_ = false, capStreaming_ = false;
};

} // namespace v4l2va
