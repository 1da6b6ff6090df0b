// SPDX-License-Identifier: MIT
// V4L2EMU_SUMMARY=path: at process exit, what the board saw, as JSON: per device ioctls and
// jobs, every decoded frame (signature, format, size: engine/picture.h renders the expected
// picture), the diagnostics and the unsupported calls. "%p" in the path becomes the pid (a
// program that spawns helpers, e.g. gst-plugin-scanner, gets one file per process). Written
// only by processes that created the board, atomically (temporary file, then rename).
#include "preload.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace v4l2emu::preload {

namespace {

void appendEscaped(std::string &out, std::string_view text)
{
	out += '"';
	for (char c : text) {
		switch (c) {
		case '"': out += "\\\""; break;
		case '\\': out += "\\\\"; break;
		case '\n': out += "\\n"; break;
		case '\t': out += "\\t"; break;
		default:
			if (static_cast<unsigned char>(c) < 0x20) {
				char buf[8];
				snprintf(buf, sizeof(buf), "\\u%04x", c);
				out += buf;
			} else {
				out += c;
			}
		}
	}
	out += '"';
}

std::string fourcc(uint32_t v)
{
	std::string s;
	for (int i = 0; i < 4; i++) {
		char c = static_cast<char>((v >> (8 * i)) & 0xff);
		s += (c >= 0x20 && c < 0x7f) ? c : '?';
	}
	return s;
}

std::string expandPath(const char *pattern)
{
	std::string out;
	for (const char *p = pattern; *p; p++) {
		if (p[0] == '%' && p[1] == 'p') {
			out += std::to_string(getpid());
			p++;
		} else {
			out += *p;
		}
	}
	return out;
}

std::string summaryJson(const Board &board)
{
	std::string j = "{\n  \"board\": ";
	appendEscaped(j, board.name());
	j += ",\n  \"kernel\": ";
	j += board.options().kernel == KernelVersion::V6_12 ? "\"6.12\"" : "\"mainline\"";
	j += ",\n  \"pid\": " + std::to_string(getpid()) + ",\n  \"program\": ";
	appendEscaped(j, program_invocation_name ? program_invocation_name : "");

	BoardStats stats = board.stats();
	std::vector<NodeDescription> nodes = board.nodes();
	j += ",\n  \"devices\": [";
	for (size_t i = 0; i < stats.devices.size(); i++) {
		const DeviceStats &d = stats.devices[i];
		j += i ? ",\n    {" : "\n    {";
		j += "\"name\": ";
		appendEscaped(j, d.name);
		if (i < nodes.size()) {
			j += ", \"driver\": ";
			appendEscaped(j, nodes[i].driver);
			j += ", \"media\": ";
			appendEscaped(j, nodes[i].mediaPath);
			j += ", \"video\": ";
			appendEscaped(j, nodes[i].videoPath);
		}
		j += ", \"ioctls\": " + std::to_string(d.ioctls) + ", \"jobs\": " +
		     std::to_string(d.jobs) + ", \"openContexts\": " + std::to_string(d.openContexts) +
		     ", \"liveRequests\": " + std::to_string(d.liveRequests) +
		     ", \"liveBuffers\": " + std::to_string(d.liveBuffers) + "}";
	}
	j += "\n  ],\n  \"openFds\": " + std::to_string(stats.openFds) +
	     ",\n  \"liveMappings\": " + std::to_string(stats.liveMappings);

	std::vector<DecodedFrame> frames = board.decodedFrames();
	j += ",\n  \"decodedFrames\": " + std::to_string(frames.size()) + ",\n  \"frames\": [";
	for (size_t i = 0; i < frames.size(); i++) {
		const DecodedFrame &f = frames[i];
		char sig[24];
		snprintf(sig, sizeof(sig), "0x%016" PRIx64, f.signature);
		j += i ? ",\n    {" : "\n    {";
		j += "\"device\": ";
		appendEscaped(j, f.device);
		j += ", \"job\": " + std::to_string(f.job) +
		     ", \"timestampNs\": " + std::to_string(f.timestampNs) +
		     ", \"buffer\": " + std::to_string(f.bufferIndex) + ", \"signature\": \"" + sig +
		     "\", \"fourcc\": " + std::to_string(f.pixelformat) + ", \"pixelformat\": ";
		appendEscaped(j, fourcc(f.pixelformat));
		j += ", \"width\": " + std::to_string(f.width) + ", \"height\": " +
		     std::to_string(f.height) + ", \"bytesperline\": " + std::to_string(f.bytesperline) +
		     "}";
	}
	j += "\n  ],\n  \"diagnostics\": [";
	std::vector<Diagnostic> diagnostics = board.diagnostics();
	for (size_t i = 0; i < diagnostics.size(); i++) {
		const Diagnostic &d = diagnostics[i];
		j += i ? ",\n    {" : "\n    {";
		j += "\"kind\": ";
		appendEscaped(j, toString(d.kind));
		j += ", \"device\": ";
		appendEscaped(j, d.device);
		j += ", \"job\": " + std::to_string(d.job) + ", \"message\": ";
		appendEscaped(j, d.message);
		j += "}";
	}
	j += "\n  ],\n  \"diagnosticsDropped\": " + std::to_string(board.diagnosticsDropped());
	j += ",\n  \"unsupported\": [";
	std::vector<UnsupportedRecord> calls = unsupportedCalls();
	for (size_t i = 0; i < calls.size(); i++) {
		j += i ? ",\n    {" : "\n    {";
		j += "\"call\": ";
		appendEscaped(j, calls[i].what);
		j += ", \"errno\": " + std::to_string(calls[i].error) +
		     ", \"count\": " + std::to_string(calls[i].count) + "}";
	}
	j += "\n  ]\n}\n";
	return j;
}

bool writeFile(const std::string &path, const std::string &text)
{
	std::string tmp = path + ".tmp." + std::to_string(getpid());
	int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return false;
	size_t done = 0;
	while (done < text.size()) {
		ssize_t n = ::write(fd, text.data() + done, text.size() - done);
		if (n <= 0) {
			::close(fd);
			::unlink(tmp.c_str());
			return false;
		}
		done += static_cast<size_t>(n);
	}
	if (::close(fd) < 0 || ::rename(tmp.c_str(), path.c_str()) < 0) {
		::unlink(tmp.c_str());
		return false;
	}
	return true;
}

// Runs before libv4l2emu's own destructors (it is a dependency of this library).
__attribute__((destructor)) void writeSummaryAtExit()
{
	writeSummary();
}

} // namespace

void writeSummary()
{
	const char *pattern = getenv("V4L2EMU_SUMMARY");
	Board *board = existingBoard();
	if (!pattern || !*pattern || !board)
		return;
	EmulatorGuard guard;
	std::string path = expandPath(pattern);
	if (!writeFile(path, summaryJson(*board)))
		errorLine("V4L2EMU_SUMMARY: cannot write %s: %s", path.c_str(), strerror(errno));
	else
		trace("summary written to %s", path.c_str());
}

} // namespace v4l2emu::preload
