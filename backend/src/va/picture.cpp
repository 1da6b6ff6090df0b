// SPDX-License-Identifier: MIT
// Begin/Render/End. Render hands each buffer to the codec, which copies what it needs at once
// (consumers destroy parameter buffers right after Render or End) and writes slice data
// straight into the mapped OUTPUT buffer. End picks the stream for the picture's sequence (a
// change moves the context to a new stream and leaves the old one to its surfaces), binds the
// target to a CAPTURE buffer on first use, and queues one request per decode unit. Nothing here
// allocates in steady state.
#include "va/driver.h"
#include "va/entry_points.h"

#include <cerrno>
#include <cstring>

namespace v4l2va {

namespace {

/// References resolve to CAPTURE buffers of the picture's own stream only: the kernel looks
/// timestamps up in the same queue (VB2V:vb2_find_buffer).
class StreamResolver final : public ReferenceResolver {
public:
	StreamResolver(Driver &drv, const DecodeStream &stream) : drv_(drv), stream_(stream) {}
	bool timestampOf(VASurfaceID id, uint64_t *ts) const override
	{
		if (id == VA_INVALID_SURFACE)
			return false;
		std::shared_ptr<Surface> s = drv_.surfaces.get(id);
		if (!s)
			return false;
		uint64_t key = s->bindingKey.load(std::memory_order_acquire);
		if ((key >> 32) != stream_.serial() || (key & 0xffffffffu) == 0)
			return false;
		uint32_t index = static_cast<uint32_t>(key & 0xffffffffu) - 1;
		CaptureState state = stream_.captureState(index);
		if (state != CaptureState::Done && state != CaptureState::Queued && state != CaptureState::Failed)
			return false;	// bound but never decoded: the buffer has no picture
		*ts = DecodeStream::timestampOf(index);
		return true;
	}

private:
	Driver &drv_;
	const DecodeStream &stream_;
};

bool compatible(const SequenceInfo &have, const SequenceInfo &want)
{
	return have == want;
}

void endActivePicture(Context &c)
{
	if (c.picture.active && c.picture.stream)
		c.picture.stream->abandonPicture(&c.picture.bitstream);
	c.picture.active = false;
	c.picture.failed = false;
	c.picture.surface.reset();
	c.picture.stream.reset();
}

/// Moves the picture's bitstream to another stream's OUTPUT buffers (only on a sequence
/// change, the one place a picture's bitstream is copied).
int moveBitstream(PictureState &pic, const std::shared_ptr<DecodeStream> &to)
{
	PictureBitstream moved;
	int ret = to->beginPicture(&moved);
	if (ret)
		return ret;
	for (unsigned u = 0; u < pic.bitstream.unitCount(); u++) {
		if (u > 0 && moved.newUnit() != VA_STATUS_SUCCESS) {
			to->abandonPicture(&moved);
			return -ENOBUFS;
		}
		const uint8_t *src = pic.stream->unitData(pic.bitstream, u);
		size_t n = pic.bitstream.unitUsed(u);
		if (!moved.append(src, n)) {
			to->abandonPicture(&moved);
			return -ENOSPC;
		}
	}
	pic.stream->abandonPicture(&pic.bitstream);
	pic.bitstream = moved;
	pic.stream = to;
	return 0;
}

} // namespace

VAStatus beginPicture(VADriverContextP ctx, VAContextID contextId, VASurfaceID target)
{
	Driver &drv = driverOf(ctx);
	auto context = drv.contexts.get(contextId);
	if (!context)
		return VA_STATUS_ERROR_INVALID_CONTEXT;
	auto surface = drv.surfaces.get(target);
	if (!surface)
		return VA_STATUS_ERROR_INVALID_SURFACE;
	std::lock_guard lock(context->mutex);
	if (context->picture.active) {
		drv.log("BeginPicture without EndPicture: the previous picture is dropped");
		endActivePicture(*context);
	}
	std::shared_ptr<DecodeStream> stream = context->currentStream();
	int ret = stream->beginPicture(&context->picture.bitstream);
	if (ret)
		return statusFromErrno(ret, DeviceStep::Setup);
	context->codec->beginPicture();
	context->picture.active = true;
	context->picture.failed = false;
	context->picture.target = target;
	context->picture.surface = std::move(surface);
	context->picture.stream = std::move(stream);
	return VA_STATUS_SUCCESS;
}

VAStatus renderPicture(VADriverContextP ctx, VAContextID contextId, VABufferID *buffers, int num)
{
	Driver &drv = driverOf(ctx);
	auto context = drv.contexts.get(contextId);
	if (!context)
		return VA_STATUS_ERROR_INVALID_CONTEXT;
	if (num < 0 || (num > 0 && !buffers))
		return VA_STATUS_ERROR_INVALID_PARAMETER;
	std::lock_guard lock(context->mutex);
	if (!context->picture.active)
		return VA_STATUS_ERROR_OPERATION_FAILED;	// no BeginPicture
	// Check every ID first, so that a bad one renders nothing.
	for (int i = 0; i < num; i++)
		if (!drv.buffers.get(buffers[i]))
			return VA_STATUS_ERROR_INVALID_BUFFER;
	for (int i = 0; i < num; i++) {
		std::shared_ptr<Buffer> buf = drv.buffers.get(buffers[i]);
		if (!buf)
			return VA_STATUS_ERROR_INVALID_BUFFER;	// destroyed meanwhile
		BufferView view;
		view.type = buf->type;
		view.data = buf->data();
		view.elementSize = buf->elementSize;
		view.numElements = buf->numElements;
		VAStatus st = context->codec->render(view, context->picture.bitstream);
		if (st != VA_STATUS_SUCCESS) {
			// The codec kept its state; the picture would be incomplete, so End submits
			// nothing and reports the failure.
			context->picture.failed = true;
			return st;
		}
	}
	return VA_STATUS_SUCCESS;
}

VAStatus endPicture(VADriverContextP ctx, VAContextID contextId)
{
	Driver &drv = driverOf(ctx);
	auto context = drv.contexts.get(contextId);
	if (!context)
		return VA_STATUS_ERROR_INVALID_CONTEXT;
	std::lock_guard lock(context->mutex);
	Context &c = *context;
	PictureState &pic = c.picture;
	if (!pic.active)
		return VA_STATUS_ERROR_OPERATION_FAILED;
	if (pic.failed) {
		endActivePicture(c);
		return VA_STATUS_ERROR_INVALID_PARAMETER;
	}
	SequenceInfo seq;
	VAStatus st = c.codec->endPicture(&seq);
	if (st != VA_STATUS_SUCCESS) {
		endActivePicture(c);
		return st;
	}

	// The stream for this sequence.
	std::shared_ptr<DecodeStream> stream = c.currentStream();
	int ret = 0;
	if (!stream->ready()) {
		UnitControls seqCtrls;
		c.codec->sequenceControls(&seqCtrls);
		ret = stream->configureCapture(seqCtrls, seq);
		if (ret == -EBUSY)
			ret = 0;	// made ready meanwhile (an early export): checked below
		if (ret) {
			drv.error("%s: no usable CAPTURE format for %ux%u %u-bit: %s",
				  stream->node().videoPath.c_str(), seq.codedWidth, seq.codedHeight,
				  seq.bitDepth, strerror(-ret));
			endActivePicture(c);
			return statusFromErrno(ret, DeviceStep::Decode);
		}
	}
	if (!compatible(stream->sequence(), seq)) {
		// A sequence change never touches what live surfaces use: a new stream takes over.
		std::shared_ptr<DecodeStream> next;
		ret = DecodeStream::create(drv.io(), stream->node(), stream->codec(), stream->caps(),
					   std::max(seq.codedWidth, 1u), std::max(seq.codedHeight, 1u), &next);
		if (!ret) {
			UnitControls seqCtrls;
			c.codec->sequenceControls(&seqCtrls);
			ret = next->configureCapture(seqCtrls, seq);
		}
		if (!ret)
			ret = moveBitstream(pic, next);
		if (ret) {
			drv.error("sequence change to %ux%u %u-bit failed: %s", seq.codedWidth,
				  seq.codedHeight, seq.bitDepth, strerror(-ret));
			endActivePicture(c);
			return statusFromErrno(ret, DeviceStep::Decode);
		}
		drv.log("sequence change: %ux%u %u-bit on a new stream", seq.codedWidth, seq.codedHeight,
			seq.bitDepth);
		std::lock_guard streamLock(c.streamMutex);
		c.stream = next;
		stream = std::move(next);
	} else if (pic.stream != stream) {
		ret = moveBitstream(pic, stream);
		if (ret) {
			endActivePicture(c);
			return statusFromErrno(ret, DeviceStep::Decode);
		}
	}

	// The target's CAPTURE buffer: bound on first use, kept for life; a decode still
	// writing into it (the consumer reuses a surface) completes first.
	Surface &target = *pic.surface;
	VAStatus wait = waitSurface(target, drv.syncTimeoutMs);
	if (wait == VA_STATUS_ERROR_TIMEDOUT) {
		endActivePicture(c);
		return VA_STATUS_ERROR_SURFACE_BUSY;
	}
	std::unique_lock surfaceLock(target.mutex);
	st = bindSurface(drv, target, stream);
	if (st != VA_STATUS_SUCCESS) {
		endActivePicture(c);
		return st;
	}
	const uint32_t capture = static_cast<uint32_t>(target.capture);
	surfaceLock.unlock();	// references of other surfaces are read below

	const uint64_t ts = DecodeStream::timestampOf(capture);
	StreamResolver resolver(drv, *stream);
	const unsigned units = pic.bitstream.unitCount();
	for (unsigned u = 0; u < units; u++) {
		c.units[u].count = 0;
		st = c.codec->unitControls(u, resolver, ts, &c.units[u]);
		if (st != VA_STATUS_SUCCESS) {
			endActivePicture(c);
			return st;
		}
	}
	ret = stream->submit(&pic.bitstream, capture, c.units.data());
	pic.active = false;
	pic.surface.reset();
	pic.stream.reset();
	if (ret) {
		drv.error("decode submission failed: %s", strerror(-ret));
		return statusFromErrno(ret, DeviceStep::Decode);
	}
	c.codec->pictureSubmitted();
	return VA_STATUS_SUCCESS;
}

} // namespace v4l2va
