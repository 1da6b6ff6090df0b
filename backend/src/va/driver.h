// SPDX-License-Identifier: MIT
#pragma once

// The driver's state (VADriverContext::pDriverData) and its objects. Late binding (see
// ARCHITECTURE.md "Backend"): surfaces are plain records until a decode or an export needs
// memory; a context opens its own m2m stream; a surface, once bound to a CAPTURE buffer of a
// stream, keeps it (and the stream) alive for its whole life.
//
// Locks, always taken in this order: Context::mutex, Surface::mutex, DecodeStream's own mutex.
// Table mutexes are leaves (held only inside ObjectTable calls).

#include "codecs/codec.h"
#include "v4l2/decode_stream.h"
#include "v4l2/decoder_finder.h"
#include "v4l2/seam.h"
#include "va/image_store.h"
#include "va/object_table.h"

#include <va/va.h>
#include <va/va_backend.h>

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace v4l2va {

/// A (decoder node, codec) pair the display can decode with, probed at initialisation.
struct CodecRoute {
	const CodecDescriptor *codec = nullptr;
	const DecoderNode *node = nullptr;
	DeviceCaps caps;
};

struct Config {
	VAProfile profile = VAProfileNone;
	VAEntrypoint entrypoint = VAEntrypointVLD;
	uint32_t rtFormat = VA_RT_FORMAT_YUV420;
	const CodecRoute *route = nullptr;	///< nullptr for VAProfileNone (video processing)
};

struct Surface {
	uint32_t width = 0, height = 0;
	uint32_t rtFormat = VA_RT_FORMAT_YUV420;
	uint32_t fourcc = VA_FOURCC_NV12;	///< the pixel format consumers read it as

	std::mutex mutex;
	/// Binding: the stream and CAPTURE buffer holding the surface's picture.
	std::shared_ptr<DecodeStream> stream;
	int32_t capture = -1;
	/// Live images derived from it (their buffers pin the CAPTURE buffer in its stream).
	uint32_t derivedImages = 0;
	/// Whether the last decode into it failed (QuerySurfaceError, SyncSurface status).
	bool decodeFailed = false;
	/// QuerySurfaceError's answer: it must outlive the call.
	VASurfaceDecodeMBErrors errors[2] {};
	/// The binding as one word (stream serial << 32 | capture index + 1), readable without
	/// the mutex by reference resolution of other pictures.
	std::atomic<uint64_t> bindingKey {0};

	bool bound() const { return stream && capture >= 0; }
	void setBinding(std::shared_ptr<DecodeStream> s, int32_t index)
	{
		stream = std::move(s);
		capture = index;
		bindingKey.store(stream && index >= 0
					 ? (static_cast<uint64_t>(stream->serial()) << 32) |
						   static_cast<uint32_t>(index + 1)
					 : 0,
				 std::memory_order_release);
	}
};

struct Buffer {
	VABufferType type = VABufferTypeMax;
	VAContextID context = VA_INVALID_ID;
	uint32_t elementSize = 0;
	uint32_t numElements = 0;
	std::vector<uint8_t> storage;	///< parameters and slice data; capacity kept across recycling
	/// A vaCreateImage image's memory (never recycled: it goes when the buffer goes).
	ImageStore imageStore;
	/// Derived image: the CAPTURE buffer's own mapping (no copy), pinned in its stream.
	uint8_t *external = nullptr;
	std::shared_ptr<DecodeStream> pinnedStream;
	int32_t pinnedCapture = -1;
	std::atomic<bool> mapped {false};
	std::atomic<bool> ownedByImage {false};	///< an image's buffer: destroyed with the image only
	/// Its image was destroyed while the buffer was mapped: the memory stays until the buffer
	/// is unmapped (which destroys it) or destroyed.
	std::atomic<bool> imageGone {false};
	/// AcquireBufferHandle: exported dma-buf fd (closed on release/destroy).
	int exportedFd = -1;
	uint32_t exportedMemType = 0;

	uint8_t *data() { return external ? external : imageStore ? imageStore.data() : storage.data(); }
	size_t size() const { return static_cast<size_t>(elementSize) * numElements; }
	/// Bytes of memory behind data().
	size_t backingSize() const
	{
		return external ? size() : imageStore ? imageStore.size() : storage.size();
	}
};

struct Image {
	VAImage image {};
	VASurfaceID derivedFrom = VA_INVALID_SURFACE;
};

/// The picture being assembled between BeginPicture and EndPicture.
struct PictureState {
	bool active = false;
	VASurfaceID target = VA_INVALID_SURFACE;
	std::shared_ptr<Surface> surface;
	std::shared_ptr<DecodeStream> stream;	///< stream whose OUTPUT buffers hold the bitstream
	PictureBitstream bitstream;
	bool failed = false;			///< a Render failed: End reports it and submits nothing
};

struct Context {
	std::mutex mutex;
	// Set by CreateContext, constant afterwards (read without the mutex).
	std::shared_ptr<Config> config;
	const CodecRoute *route = nullptr;
	uint32_t width = 0, height = 0;
	int flags = 0;
	std::vector<VASurfaceID> renderTargets;

	std::unique_ptr<CodecState> codec;
	/// The stream new pictures go to; replaced on a sequence change (the old one lives on in
	/// the surfaces bound to it). Guarded by streamMutex (a leaf lock) so that surface code
	/// can read it without the context's mutex.
	std::mutex streamMutex;
	std::shared_ptr<DecodeStream> stream;
	std::shared_ptr<DecodeStream> currentStream()
	{
		std::lock_guard lock(streamMutex);
		return stream;
	}
	PictureState picture;
	std::array<UnitControls, kMaxUnitsPerPicture> units;
};

struct Driver {
	VADriverContextP ctx = nullptr;
	Seam seam;
	std::vector<DecoderNode> decoders;
	std::vector<CodecRoute> routes;
	std::string vendor;

	ObjectTable<Config> configs {ObjectType::Config};
	ObjectTable<Context> contexts {ObjectType::Context};
	ObjectTable<Surface> surfaces {ObjectType::Surface, 256};
	/// Recycled buffers hold at most this much storage together: plenty for the buffers of a
	/// few 8K frames, and the largest buffer ever asked for is not kept for the display's life.
	static constexpr size_t kRecycledBufferBytes = 64u << 20;
	ObjectTable<Buffer> buffers {ObjectType::Buffer, 256, kRecycledBufferBytes};
	ObjectTable<Image> images {ObjectType::Image};

	/// Streams made for surfaces exported or derived before any decode (mpv, GStreamer
	/// probes), keyed by nothing: the newest one with room is reused.
	std::mutex probeMutex;
	std::weak_ptr<DecodeStream> probeStream;

	/// Timeout of SyncSurface (the hardware watchdogs fire after 2 s).
	int syncTimeoutMs = 5000;

	v4l2emu::DeviceIo &io() { return *seam.io; }
	/// The route decoding a profile, or nullptr.
	const CodecRoute *routeFor(VAProfile profile) const;
	void log(const char *fmt, ...) const __attribute__((format(printf, 2, 3)));
	void error(const char *fmt, ...) const __attribute__((format(printf, 2, 3)));
};

inline Driver &driverOf(VADriverContextP ctx)
{
	return *static_cast<Driver *>(ctx->pDriverData);
}

/// What the device call that failed was doing, which decides the VA status of its errno:
/// va.h defines DECODING_ERROR only for a decode (vaRenderPicture, vaEndPicture, vaSyncSurface
/// and what waits on a decode), and SURFACE_BUSY only for a surface's state, which no errno
/// tells (a busy device is HW_BUSY whatever the call).
enum class DeviceStep : uint8_t {
	Setup,		///< contexts, surfaces' memory, buffers, exports, a picture's start
	Decode,		///< submitting or completing a picture: EIO is its decode failing
};

/// VA status for a -errno from the device.
VAStatus statusFromErrno(int err, DeviceStep step);

// Shared by the entry-point files.
/// Binds a surface to a CAPTURE buffer of `stream` (the stream must be ready); a surface
/// bound elsewhere is moved (its old buffer given back). Caller holds surface.mutex.
VAStatus bindSurface(Driver &drv, Surface &surface, const std::shared_ptr<DecodeStream> &stream);
/// Gives memory to a surface that is read or exported before any decode: a CAPTURE buffer of
/// a ready stream of a context listing it, else of a probe stream. Caller holds surface.mutex.
VAStatus ensureBacking(Driver &drv, VASurfaceID id, Surface &surface);
/// Drops what a buffer holds of a stream or an export (image buffers, AcquireBufferHandle).
void releaseBufferResources(Driver &drv, Buffer &buf);
/// Releases a buffer out of the table and keeps the object for reuse if the pool has room.
void recycleBuffer(Driver &drv, std::shared_ptr<Buffer> &buf);
/// Removes a buffer from the table and recycles it (no-op for an unknown ID).
void retireBuffer(Driver &drv, VABufferID id);
/// Waits for the surface's pending decode (takes surface.mutex only to read its binding).
VAStatus waitSurface(Surface &surface, int timeoutMs);

} // namespace v4l2va
