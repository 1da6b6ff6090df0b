// SPDX-License-Identifier: MIT
#pragma once

// Traces of the device-io seam: a sink the emulated seam calls for every open, close, ioctl,
// mmap, munmap and poll (Board::setTraceSink, or V4L2EMU_TRACE for any run), writers that log
// those calls as strace-compatible text or in the lossless native JSONL format
// (shared/spec/traces.md §7.1), and (library v4l2emu_trace) readers for both formats, an
// importer for board strace captures, and a replayer that re-issues a trace against an emulated
// board and reports where it diverges.
//
// V4L2EMU_TRACE=path[,format=native|strace][;path2,...]: every board created from the
// environment logs to each path; a board created while another still writes that path gets
// "path.2", and so on.
// Native traces keep payloads and bitstream in path's directory under blobs/sha256/.

#include <v4l2emu/board.h>

#include <poll.h>
#include <sys/types.h>

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace v4l2emu {

// ---- The sink (libv4l2emu) --------------------------------------------------------------

enum class CallKind : uint8_t { Open, Close, Ioctl, Mmap, Munmap, Poll };

const char *toString(CallKind kind);

/// One call through the emulated seam. Pointers are the caller's and valid only during the
/// callback; nested pointers inside ioctl arguments may be garbage (copy them checked).
struct CallRecord {
	CallKind kind = CallKind::Ioctl;
	int fd = -1;			///< close, ioctl, mmap
	const char *path = nullptr;	///< open
	int flags = 0;			///< open flags, or mmap flags
	unsigned long request = 0;	///< ioctl
	void *arg = nullptr;		///< ioctl argument
	void *addr = nullptr;		///< mmap hint, munmap address
	size_t length = 0;		///< mmap, munmap
	int prot = 0;			///< mmap
	off_t offset = 0;		///< mmap
	struct pollfd *fds = nullptr;	///< poll
	nfds_t nfds = 0;
	int timeoutMs = 0;
	/// onCall only: what the seam returned (fd, count, 0, or -errno); for mmap, *mapped.
	int result = 0;
	void *mapped = nullptr;
	/// What beforeCall returned for this call (0 if it was not called).
	uintptr_t state = 0;
};

class TraceSink {
public:
	virtual ~TraceSink() = default;
	/// Before the call runs, for inputs the call overwrites (nested arrays, bitstream in
	/// mapped buffers). The value comes back in CallRecord::state; onCall always follows.
	virtual uintptr_t beforeCall(const CallRecord &) { return 0; }
	/// After the call. Calls from several threads arrive concurrently.
	virtual void onCall(const CallRecord &call) = 0;
	/// A fault plan installed while the board runs (Board::setFaults), in the text form of
	/// FaultPlan::toString ("" for none), between the calls it separates.
	virtual void onFaults(const std::string &plan) { (void)plan; }
	/// Pushes buffered output to storage.
	virtual void flush() {}
};

enum class TraceFormat { Native, Strace };

struct TraceWriterOptions {
	std::string path;
	TraceFormat format = TraceFormat::Native;
	/// Header facts (native) for the reader: the board the run used.
	std::string board;
	KernelVersion kernel = KernelVersion::Mainline;
	/// Times (native "t", strace -ttt), thread ids and raw fd numbers / addresses: off for
	/// files that are byte-identical between a run and its replay.
	bool timestamps = true;
	/// Header fact (native): the fault plan the board was created with (fault_plan.h).
	std::string faults;
	/// strace text: the version imitated (61: Debian 12's 6.1, no EXPBUF or media ioctl
	/// decoding; 72: 7.2 with -v, media ioctls hex-dumped), the -X style and -x / -xx.
	unsigned straceVersion = 72;
	enum class Constants { Abbrev, Verbose, Raw } straceConstants = Constants::Abbrev;
	unsigned straceHexStrings = 1;	///< 0: octal escapes, 1: -x, 2: -xx
};

/// "path[,format=native|strace][,version=6.1|7.2][,constants=abbrev|verbose|raw][,x=0|1|2]
/// [,timestamps=0|1]" (several separated by ';') into writer options.
int parseTraceSpec(std::string_view spec, std::vector<TraceWriterOptions> *out,
		   std::string *error);
/// A writer sink; nullptr and *error if the file cannot be created.
std::shared_ptr<TraceSink> makeTraceWriter(const TraceWriterOptions &options, std::string *error);
/// A sink forwarding every call to each of sinks, in order.
std::shared_ptr<TraceSink> makeTeeSink(std::vector<std::shared_ptr<TraceSink>> sinks);

// ---- The trace model (library v4l2emu_trace) ----------------------------------------------

/// A field value: an integer, or bytes (strings, payloads; possibly cut short by strace -s).
struct TraceValue {
	enum class Kind : uint8_t { Int, Bytes } kind = Kind::Int;
	uint64_t number = 0;		///< two's complement for negative values
	std::string bytes;
	bool truncated = false;		///< strace printed "..." after the string
	static TraceValue integer(uint64_t v) { return {Kind::Int, v, {}, false}; }
	static TraceValue data(std::string b, bool cut = false) { return {Kind::Bytes, 0, std::move(b), cut}; }
	bool operator==(const TraceValue &o) const = default;
	std::string toString() const;
};

/// Argument fields by strace's names ("fmt.pix_mp.width", "controls[0].id", "m.offset").
using TraceFields = std::vector<std::pair<std::string, TraceValue>>;

struct IoctlPayload;	// raw argument bytes and nested arrays (native traces)

/// One call of a trace.
struct TraceCall {
	CallKind kind = CallKind::Ioctl;
	unsigned line = 0;		///< 1-based line of the source (the completing line)
	uint64_t seq = 0;
	int tid = 0;
	double time = 0;		///< seconds, 0 if the trace has none
	std::string text;		///< the source text (stitched for split strace calls)

	int fd = -1;			///< trace fd number (-1 if none)
	std::string fdPath;		///< -y decoration or native path of the fd
	std::string handle;		///< native handle of the fd ("vid0"), or of a new object
	std::string path;		///< open
	uint64_t flags = 0;		///< open, mmap
	unsigned long request = 0;	///< ioctl code (LP64)
	std::string requestName;
	TraceFields in;			///< argument before the call (what the trace shows)
	TraceFields out;		///< argument after the call (shown fields only)
	bool outKnown = false;		///< out fields were shown at all
	std::shared_ptr<const IoctlPayload> payload;	///< exact bytes (native), else null

	uint64_t length = 0, offset = 0;	///< mmap, munmap
	int prot = 0;
	uint64_t addr = 0;		///< mmap result / munmap address in the trace
	std::string mapHandle;		///< native mapping handle
	uint64_t mapDelta = 0;		///< native munmap: offset into the mapping
	struct PollEntry {
		int fd;
		std::string handle;
		short events, revents;
	};
	std::vector<PollEntry> pollFds;
	int timeoutMs = -1;

	int64_t ret = 0;		///< return value (fd, count, address low bits)
	int error = 0;			///< positive errno, 0 on success
	bool interrupted = false;	///< ERESTART* / EINTR: the retry is another call
	bool resultUnknown = false;	///< "= ?" (the process died inside the call)
	bool degraded = false;		///< payload cut short by strace -s
	std::vector<std::string> notes;	///< importer remarks (inferred request fd, ...)

	/// Fds inside the argument by handle: request_fd, DMABUF m.fd (in), EXPBUF and
	/// REQUEST_ALLOC results (out).
	struct FdRef {
		std::string field;
		std::string handle;
		bool output = false;
	};
	std::vector<FdRef> fdRefs;
	/// Native: OUTPUT bytes written before a QBUF, CRC-32 of dequeued CAPTURE planes.
	struct PlaneBytes {
		uint32_t plane = 0;
		std::string bytes;
	};
	std::vector<PlaneBytes> planeData;
	struct PlaneCrc {
		uint32_t plane = 0, length = 0, crc = 0;
	};
	std::vector<PlaneCrc> crcs;
	/// Native mmap: the plane the mapping shows (queue "capture"/"output", index, plane).
	bool planeKnown = false;
	bool planeCapture = false;
	uint32_t planeIndex = 0, planeNumber = 0;
	/// Calls the replayer cannot re-issue (argument never shown, foreign fd): why.
	std::string skipReason;
};

struct TraceProblem {
	unsigned line = 0;
	std::string message;
	std::string text;
};

struct Trace {
	enum class Source { Strace, Native } source = Source::Strace;
	std::string path;		///< for blobs and messages
	std::vector<TraceCall> calls;
	std::vector<TraceProblem> problems;	///< lines that could not be decoded
	unsigned linesRead = 0;
	unsigned linesSkipped = 0;	///< syscalls that are not device calls, exit/signal lines
	std::string board;		///< native header, if any
	std::string kernel;
	std::string faults;		///< the fault plan the board was created with (text form)
	/// Fault plans installed during the run (native "kind":"faults" lines): `plan` holds
	/// from calls[beforeCall] on.
	struct FaultChange {
		size_t beforeCall = 0;
		std::string plan;
	};
	std::vector<FaultChange> faultChanges;
};

struct TraceReadOptions {
	bool stopAtFirstProblem = false;
	/// strace: paths treated as decoder nodes besides /dev/video* and /dev/media*.
	std::vector<std::string> devicePaths;
};

/// Parses strace -f text (5.11 ... 7.x; any -X style, -v, -y/-yy, -t/-tt/-ttt, -T, -N, split
/// calls). Returns 0 if every line decoded, -EINVAL if some did (see trace->problems; with
/// stopAtFirstProblem reading stops there).
int parseStrace(std::istream &in, const TraceReadOptions &options, Trace *trace);
/// Reads a native JSONL trace (blobs from the file's directory).
int readNativeTrace(std::istream &in, const std::string &path, const TraceReadOptions &options,
		    Trace *trace);
/// Either format, by content; -ENOENT if the file cannot be opened.
int readTraceFile(const std::string &path, const TraceReadOptions &options, Trace *trace);

// ---- Replay (library v4l2emu_trace) ---------------------------------------------------------

struct ReplayOptions {
	std::string board = "fresnel";
	BoardOptions boardOptions;	///< kernel, scheduler, faults
	/// Installs the fault plans the recorded run changed to (Trace::faultChanges) where it
	/// did; off when the caller chose the faults (boardOptions) itself.
	bool traceFaults = true;
	bool keepGoing = false;		///< report every divergence, not just the first
	unsigned contextLines = 4;
	unsigned syncTimeoutMs = 2000;	///< wait for readiness the trace saw
	/// Trace path -> emulator path, e.g. {"/dev/video2", "/dev/video0"}.
	std::vector<std::pair<std::string, std::string>> pathMap;
	/// Sink installed on the replay board (records the replay itself).
	std::shared_ptr<TraceSink> record;
};

struct ReplayDivergence {
	unsigned line = 0;
	uint64_t seq = 0;
	size_t callIndex = 0;
	std::string message;		///< what differs: "errno: expected EBUSY, got 0"
	bool timing = false;		///< a timing note, not a failure
};

struct ReplayReport {
	size_t calls = 0;		///< calls in the trace
	size_t replayed = 0;
	size_t matched = 0;
	size_t skipped = 0;		///< not replayable (interrupted, non-device, unknown result)
	size_t degraded = 0;
	size_t tolerated = 0;		///< tolerant-class differences (identity strings)
	size_t compared = 0;		///< returned fields compared
	std::vector<ReplayDivergence> divergences;
	std::vector<ReplayDivergence> timingNotes;
	std::vector<TraceProblem> problems;	///< from reading
	bool stoppedEarly = false;
	/// The human report: first divergence with context, then totals.
	std::string text(const Trace &trace, unsigned contextLines = 4) const;
};

/// Replays trace on a fresh emulated board. Returns 0 when every call matched, 1 on a
/// divergence, -EINVAL if the board cannot be created (message in report->problems).
int replayTrace(const Trace &trace, const ReplayOptions &options, ReplayReport *report);

} // namespace v4l2emu
