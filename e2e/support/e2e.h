// SPDX-License-Identifier: MIT
#pragma once

// Helpers of the end-to-end suites: running unmodified programs through v4l2emu-run (with
// a timeout, output captured), scratch directories, the preload's summary, and the pictures the
// emulated board says it decoded (to compare downloaded frames with).

#include "support/json.h"

#include <v4l2emu/board.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace v4l2emu::e2e {

/// Build-time paths (compile definitions of e2e/CMakeLists.txt).
std::string runnerPath();
std::string streamPath(const std::string &file);
std::string sourcePath(const std::string &relative);
std::string probePath();

/// Whether a program is on PATH (the suites fail with a hint when one is missing).
bool haveProgram(const std::string &name);

struct RunResult {
	int exitCode = -1;	///< -1 when killed by a signal or on timeout
	int signal = 0;
	bool timedOut = false;
	double seconds = 0;
	std::string out, err;
	std::string describe() const;	///< "exit 0", "killed by signal 11", "timed out after N s"
};

struct RunOptions {
	std::vector<std::string> argv;
	std::vector<std::pair<std::string, std::string>> env;	///< added to (or replacing) ours
	std::vector<std::string> unsetEnv;
	int timeoutSeconds = 60;
};

RunResult runProgram(const RunOptions &options);
/// PROGRAM through v4l2emu-run with the runner flags given.
RunResult runOnBoard(const std::vector<std::string> &runnerFlags,
		     const std::vector<std::string> &program,
		     const std::vector<std::pair<std::string, std::string>> &env = {},
		     int timeoutSeconds = 60);

/// ASAN_OPTIONS (as the caller has it) plus detect_leaks=0, for programs whose own leaks LSan
/// would report when the sanitized preload brings the runtime in (GStreamer, v4l2-compliance).
/// Leak checks stay on for ffmpeg and the probe, which free everything.
std::pair<std::string, std::string> asanWithoutLeakChecks();

/// A scratch directory, removed unless keep() was called (failed tests keep their files).
class ScratchDir {
public:
	explicit ScratchDir(const std::string &tag);
	~ScratchDir();
	ScratchDir(const ScratchDir &) = delete;
	ScratchDir &operator=(const ScratchDir &) = delete;
	const std::string &path() const { return path_; }
	std::string file(const std::string &name) const { return path_ + "/" + name; }
	void keep() { keep_ = true; }

private:
	std::string path_;
	bool keep_ = false;
};

bool readFile(const std::string &path, std::string *out);
std::vector<std::string> listDir(const std::string &dir);

/// The V4L2EMU_SUMMARY a process wrote; false (with *error) if missing or malformed.
bool loadSummary(const std::string &path, Json *summary, std::string *error);
std::vector<DecodedFrame> framesOf(const Json &summary);
/// Diagnostics of the kinds a correct driver never causes (references, missing controls).
std::vector<std::string> badDiagnostics(const Json &summary);

/// A frame as tightly packed NV12 (luma rows of width bytes, chroma rows of 2*ceil(width/2)).
struct Nv12Frame {
	uint32_t width = 0, height = 0;
	std::vector<uint8_t> bytes;
	size_t lumaSize() const { return size_t(width) * height; }
	bool lumaAllZero() const;
};

/// Splits a rawvideo NV12 file into frames of width x height.
std::vector<Nv12Frame> splitNv12(const std::string &data, uint32_t width, uint32_t height);

/// The linear NV12 picture the board rendered for each decoded signature.
class ExpectedPictures {
public:
	/// Renders every distinct non-zero signature; *error lists frames it could not render.
	void add(const std::vector<DecodedFrame> &frames, std::string *error);
	size_t size() const { return pictures_.size(); }
	/// The signature of the picture a frame shows (its visible area), 0 if none matches;
	/// *closest describes the nearest picture otherwise.
	uint64_t match(const Nv12Frame &frame, std::string *closest) const;

private:
	struct Picture {
		DecodedFrame frame;
		uint32_t width, height, stride;
		std::vector<uint8_t> y, uv;
	};
	long differingBytes(const Nv12Frame &frame, const Picture &picture) const;
	std::vector<Picture> pictures_;
};

struct ReferenceFrame {
	int width = 0, height = 0;
	std::string md5;
};

/// corpus/streams/reference.tsv: the software decode of each clip, in output order.
std::vector<std::pair<std::string, std::vector<ReferenceFrame>>> referenceStreams();

/// "h264_main_2slices_176x144.mkv" -> "h264_main_2slices_176x144_mkv" (test names).
std::string testNameOf(const std::string &file);

} // namespace v4l2emu::e2e
