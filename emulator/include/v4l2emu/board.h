// SPDX-License-Identifier: MIT
#pragma once

// An emulated board: a set of V4L2 stateless decoder instances, each a media device with one
// decoder video node, reached through the DeviceIo seam that Board::io() returns.

#include <v4l2emu/device_io.h>
#include <v4l2emu/diagnostics.h>
#include <v4l2emu/fault_plan.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace v4l2emu {

/// Where 6.12 and newer kernels differ (rkvdec left staging and gained HEVC; format order
/// and size steps changed). See shared/spec/kernel-semantics.md, [mainline] marks.
enum class KernelVersion { V6_12, Mainline };

enum class SchedulerMode {
	Deterministic,	///< jobs run to completion inside the call that makes them runnable
	Threaded,	///< jobs complete on a worker thread, like an interrupt
};

/// What writes the pictures (emulator/src/engine/): the synthetic engine renders a picture
/// per signature (fast, the default); the libavcodec engine decodes for real from exactly
/// what the hardware receives (bit-exact with a software decode when the inputs are right).
enum class EngineKind { Synthetic, Libav };

struct BoardOptions {
	KernelVersion kernel = KernelVersion::Mainline;
	SchedulerMode scheduler = SchedulerMode::Deterministic;
	FaultPlan faults;
	/// Directory the nodes appear in; "/dev" gives /dev/media0, /dev/video0, ...
	std::string devDir = "/dev";
	unsigned firstMediaIndex = 0;
	unsigned firstVideoIndex = 0;
	/// Hardware watchdog (rkvdec, hantro: 2 s) after which a hung job completes with ERROR.
	unsigned watchdogMs = 2000;
	/// Threaded mode: simulated decode time per job.
	unsigned decodeDelayUs = 0;
	/// Trace writers installed at creation, "path[,format=native|strace][;...]" (trace.h).
	std::string trace;
	EngineKind engine = EngineKind::Synthetic;
	/// Controls as the jobs see them, tampered on purpose: "id:offset:xor-mask[;...]", e.g.
	/// "0xa409dd:16:0x10" sets MPEG-2 intra_vlc_format in every job (a driver bug on demand,
	/// to prove that a conformance comparison fails). Empty: none.
	std::string controlTamper;
};

/// Per device counters, for leak checks and benchmarks.
struct DeviceStats {
	std::string name;
	uint64_t ioctls = 0;
	uint64_t jobs = 0;
	uint64_t openContexts = 0;	///< contexts not yet released (closed-but-mapped count)
	uint64_t liveRequests = 0;
	uint64_t liveBuffers = 0;	///< allocated vb2 buffers in all contexts
};

struct BoardStats {
	std::vector<DeviceStats> devices;
	uint64_t openFds = 0;		///< node, request and dma-buf fds not yet closed
	uint64_t liveMappings = 0;	///< mmaps not yet unmapped
	uint64_t liveMemory = 0;	///< plane memory objects alive in the process (vb2-owned,
					///< orphaned or exported)
};

/// One successfully decoded picture (the synthetic engine's signature identifies it; see
/// engine/picture.h for rendering the expected picture).
struct DecodedFrame {
	std::string device;
	uint64_t job = 0;
	uint64_t timestampNs = 0;	///< the CAPTURE buffer's (copied) timestamp
	uint32_t bufferIndex = 0;
	uint64_t signature = 0;		///< 0: all-zero picture
	uint32_t pixelformat = 0;
	uint32_t width = 0, height = 0, bytesperline = 0;
};

/// Description of one decoder instance of a board.
struct NodeDescription {
	std::string device;		///< instance name, e.g. "rkvdec", "hantro-vpu"
	std::string driver;		///< driver profile: rkvdec, hantro, visl, cedrus
	std::string mediaPath;		///< /dev/mediaN
	std::string videoPath;		///< /dev/videoN
	uint32_t mediaMajor, mediaMinor, videoMajor, videoMinor;
};

class BoardImpl;
class TraceSink;

class Board {
public:
	/// Boards: "fresnel" (RK3399: rkvdec + hantro), "rk3399" (same), "rkvdec", "hantro",
	/// "visl", "cedrus" (A64-like, NV12 + tiled), "cedrus-tiled" (ST12 only).
	/// Returns nullptr and fills *error for an unknown name.
	static std::unique_ptr<Board> create(std::string_view name, const BoardOptions &options = {},
					     std::string *error = nullptr);
	/// Options from the environment: V4L2EMU_KERNEL (6.12|mainline), V4L2EMU_SCHEDULER
	/// (deterministic|threaded), V4L2EMU_FAULTS (see fault_plan.h), V4L2EMU_DEV_DIR,
	/// V4L2EMU_TRACE (see trace.h), V4L2EMU_ENGINE (synthetic|libav; libav fails when this
	/// build has no libavcodec engine), V4L2EMU_CONTROL_TAMPER (BoardOptions::controlTamper).
	/// Returns -EINVAL with a message for a malformed value.
	static int optionsFromEnvironment(BoardOptions *options, std::string *error);
	static std::vector<std::string> boardNames();
	/// Whether the engine can be used (the libavcodec one is optional and loaded on first
	/// use); *why says what is missing.
	static bool engineAvailable(EngineKind kind, std::string *why = nullptr);

	~Board();
	Board(const Board &) = delete;
	Board &operator=(const Board &) = delete;

	const std::string &name() const;
	const BoardOptions &options() const;
	/// The emulated seam. Paths and fds not belonging to the board are passed to the kernel.
	DeviceIo &io();
	std::vector<NodeDescription> nodes() const;

	/// Replaces the fault plan (counters restart). Thread-safe.
	void setFaults(const FaultPlan &plan);
	/// Makes a device disappear now (see fault_plan.h, unplug).
	int unplug(std::string_view device);

	/// Diagnostics recorded so far (reference checks, missing controls, faults, ...): the
	/// first 4096 since the board was made or last cleared.
	std::vector<Diagnostic> diagnostics() const;
	/// How many were recorded after those and not kept.
	uint64_t diagnosticsDropped() const;
	void clearDiagnostics();

	BoardStats stats() const;
	/// The most recent decoded frames (up to 4096), oldest first.
	std::vector<DecodedFrame> decodedFrames() const;

	/// True if fd is a node, request or dma-buf fd handed out by this board.
	bool ownsFd(int fd) const;

	/// Every later call through io() is reported to sink (trace.h); nullptr stops tracing.
	/// A replaced sink stays alive until the board goes (calls in flight may still use it).
	void setTraceSink(std::shared_ptr<TraceSink> sink);
	std::shared_ptr<TraceSink> traceSink() const;

	BoardImpl &impl() { return *impl_; }

private:
	explicit Board(std::unique_ptr<BoardImpl> impl);
	std::unique_ptr<BoardImpl> impl_;
};

} // namespace v4l2emu
