// SPDX-License-Identifier: MIT
#include "support/e2e.h"

#include "engine/picture.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#ifndef V4L2EMU_E2E_RUNNER
#error "V4L2EMU_E2E_RUNNER must name v4l2emu-run"
#endif

extern char **environ;

namespace v4l2emu::e2e {

std::string runnerPath() { return V4L2EMU_E2E_RUNNER; }
std::string streamPath(const std::string &file) { return std::string(V4L2EMU_E2E_STREAMS) + "/" + file; }
std::string sourcePath(const std::string &relative)
{
	return std::string(V4L2EMU_E2E_SOURCE_DIR) + "/" + relative;
}
std::string probePath() { return V4L2EMU_E2E_PROBE; }

bool haveProgram(const std::string &name)
{
	const char *path = getenv("PATH");
	std::stringstream dirs(path ? path : "/usr/bin:/bin");
	std::string dir;
	while (std::getline(dirs, dir, ':'))
		if (!dir.empty() && access((dir + "/" + name).c_str(), X_OK) == 0)
			return true;
	return false;
}

std::string RunResult::describe() const
{
	if (timedOut)
		return "timed out after " + std::to_string(static_cast<int>(seconds)) + " s";
	if (signal)
		return "killed by signal " + std::to_string(signal) + " (" + strsignal(signal) + ")";
	return "exit " + std::to_string(exitCode);
}

namespace {

std::vector<std::string> environmentWith(const RunOptions &options)
{
	std::map<std::string, std::string> env;
	for (char **e = environ; *e; e++) {
		std::string entry = *e;
		size_t eq = entry.find('=');
		if (eq != std::string::npos)
			env[entry.substr(0, eq)] = entry.substr(eq + 1);
	}
	for (const std::string &name : options.unsetEnv)
		env.erase(name);
	for (const auto &[name, value] : options.env)
		env[name] = value;
	std::vector<std::string> out;
	for (const auto &[name, value] : env)
		out.push_back(name + "=" + value);
	return out;
}

std::vector<char *> pointers(std::vector<std::string> &strings)
{
	std::vector<char *> out;
	for (std::string &s : strings)
		out.push_back(s.data());
	out.push_back(nullptr);
	return out;
}

} // namespace

RunResult runProgram(const RunOptions &options)
{
	RunResult result;
	char outPath[] = "/tmp/v4l2emu-e2e-out-XXXXXX";
	char errPath[] = "/tmp/v4l2emu-e2e-err-XXXXXX";
	int outFd = mkstemp(outPath);
	int errFd = mkstemp(errPath);
	if (outFd < 0 || errFd < 0) {
		result.err = "mkstemp failed";
		return result;
	}
	std::vector<std::string> argv = options.argv;
	std::vector<std::string> env = environmentWith(options);
	std::vector<char *> argvp = pointers(argv), envp = pointers(env);
	posix_spawn_file_actions_t actions;
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&actions, outFd, STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&actions, errFd, STDERR_FILENO);
	auto start = std::chrono::steady_clock::now();
	pid_t pid = -1;
	int spawned = posix_spawnp(&pid, argvp[0], &actions, nullptr, argvp.data(), envp.data());
	posix_spawn_file_actions_destroy(&actions);
	close(outFd);
	close(errFd);
	if (spawned != 0) {
		result.err = std::string("cannot start ") + argvp[0] + ": " + strerror(spawned);
	} else {
		auto deadline = start + std::chrono::seconds(options.timeoutSeconds);
		int status = 0;
		for (;;) {
			pid_t done = waitpid(pid, &status, WNOHANG);
			if (done == pid)
				break;
			if (std::chrono::steady_clock::now() > deadline) {
				result.timedOut = true;
				kill(pid, SIGKILL);	// the process this function started, by its id
				waitpid(pid, &status, 0);
				break;
			}
			std::this_thread::sleep_for(std::chrono::milliseconds(5));
		}
		if (!result.timedOut) {
			if (WIFEXITED(status))
				result.exitCode = WEXITSTATUS(status);
			else if (WIFSIGNALED(status))
				result.signal = WTERMSIG(status);
		}
		readFile(outPath, &result.out);
		readFile(errPath, &result.err);
	}
	result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
	unlink(outPath);
	unlink(errPath);
	return result;
}

RunResult runOnBoard(const std::vector<std::string> &runnerFlags,
		     const std::vector<std::string> &program,
		     const std::vector<std::pair<std::string, std::string>> &env, int timeoutSeconds)
{
	RunOptions o;
	o.argv.push_back(runnerPath());
	o.argv.insert(o.argv.end(), runnerFlags.begin(), runnerFlags.end());
	o.argv.push_back("--");
	o.argv.insert(o.argv.end(), program.begin(), program.end());
	o.env = env;
	o.timeoutSeconds = timeoutSeconds;
	return runProgram(o);
}

std::pair<std::string, std::string> asanWithoutLeakChecks()
{
	const char *current = getenv("ASAN_OPTIONS");
	std::string options = current && *current ? std::string(current) + ":" : std::string();
	return {"ASAN_OPTIONS", options + "detect_leaks=0"};
}

ScratchDir::ScratchDir(const std::string &tag)
{
	std::string pattern = "/tmp/v4l2emu-e2e-" + tag + "-XXXXXX";
	std::vector<char> buf(pattern.begin(), pattern.end());
	buf.push_back('\0');
	if (mkdtemp(buf.data()))
		path_ = buf.data();
}

ScratchDir::~ScratchDir()
{
	if (path_.empty())
		return;
	if (keep_) {
		fprintf(stderr, "e2e: files kept in %s\n", path_.c_str());
		return;
	}
	for (const std::string &name : listDir(path_))
		unlink((path_ + "/" + name).c_str());
	rmdir(path_.c_str());
}

bool readFile(const std::string &path, std::string *out)
{
	std::ifstream in(path, std::ios::binary);
	if (!in)
		return false;
	std::ostringstream s;
	s << in.rdbuf();
	*out = s.str();
	return true;
}

std::vector<std::string> listDir(const std::string &dir)
{
	std::vector<std::string> out;
	if (DIR *d = opendir(dir.c_str())) {
		while (dirent *e = readdir(d))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				out.push_back(e->d_name);
		closedir(d);
	}
	std::sort(out.begin(), out.end());
	return out;
}

bool loadSummary(const std::string &path, Json *summary, std::string *error)
{
	std::string text;
	if (!readFile(path, &text)) {
		*error = "no summary at " + path + " (the program never created the board?)";
		return false;
	}
	std::string why;
	if (!Json::parse(text, summary, &why)) {
		*error = path + ": " + why;
		return false;
	}
	return true;
}

std::vector<DecodedFrame> framesOf(const Json &summary)
{
	std::vector<DecodedFrame> out;
	for (const Json &f : summary["frames"].items()) {
		DecodedFrame d;
		d.device = f["device"].str();
		d.job = f["job"].u64();
		d.timestampNs = f["timestampNs"].u64();
		d.bufferIndex = static_cast<uint32_t>(f["buffer"].u64());
		d.signature = f["signature"].u64();
		d.pixelformat = static_cast<uint32_t>(f["fourcc"].u64());
		d.width = static_cast<uint32_t>(f["width"].u64());
		d.height = static_cast<uint32_t>(f["height"].u64());
		d.bytesperline = static_cast<uint32_t>(f["bytesperline"].u64());
		out.push_back(d);
	}
	return out;
}

std::vector<std::string> badDiagnostics(const Json &summary)
{
	static const std::set<std::string> kBad = {"reference-missing", "reference-not-decoded",
						   "reference-identity", "reference-is-target",
						   "missing-controls"};
	std::vector<std::string> out;
	for (const Json &d : summary["diagnostics"].items())
		if (kBad.count(d["kind"].str()))
			out.push_back(d["kind"].str() + " on " + d["device"].str() + " job " +
				      std::to_string(d["job"].u64()) + ": " + d["message"].str());
	// The board keeps the first 4096; what came after is of unknown kind, so it counts.
	if (uint64_t dropped = summary["diagnosticsDropped"].u64())
		out.push_back(std::to_string(dropped) + " further diagnostics not kept by the board");
	return out;
}

bool Nv12Frame::lumaAllZero() const
{
	return std::all_of(bytes.begin(), bytes.begin() + static_cast<long>(lumaSize()),
			   [](uint8_t v) { return v == 0; });
}

std::vector<Nv12Frame> splitNv12(const std::string &data, uint32_t width, uint32_t height)
{
	size_t uvRow = 2 * ((width + 1) / 2);
	size_t frameSize = size_t(width) * height + uvRow * ((height + 1) / 2);
	std::vector<Nv12Frame> out;
	for (size_t off = 0; frameSize && off + frameSize <= data.size(); off += frameSize) {
		Nv12Frame f;
		f.width = width;
		f.height = height;
		f.bytes.assign(data.begin() + static_cast<long>(off),
			       data.begin() + static_cast<long>(off + frameSize));
		out.push_back(std::move(f));
	}
	return out;
}

void ExpectedPictures::add(const std::vector<DecodedFrame> &frames, std::string *error)
{
	std::set<uint64_t> seen;
	for (const Picture &p : pictures_)
		seen.insert(p.frame.signature);
	for (const DecodedFrame &f : frames) {
		if (!f.signature || !seen.insert(f.signature).second)
			continue;
		PictureLayout layout;
		if (describeLayout(f.pixelformat, f.width, f.height, f.bytesperline, &layout) < 0) {
			*error += "job " + std::to_string(f.job) + " on " + f.device +
				  ": unknown layout; ";
			continue;
		}
		std::vector<uint8_t> capture(layout.sizeimage);
		renderPicture(f.signature, layout, capture.data());
		Picture p;
		p.frame = f;
		p.width = layout.width;
		p.height = layout.height;
		p.stride = std::max(layout.bytesperline, layout.width);
		p.y.assign(size_t(p.stride) * layout.height, 0);
		p.uv.assign(size_t(p.stride) * layout.height, 0);
		detileToNv12(layout, capture.data(), p.y.data(), p.stride, p.uv.data(), p.stride);
		pictures_.push_back(std::move(p));
	}
}

long ExpectedPictures::differingBytes(const Nv12Frame &frame, const Picture &p) const
{
	// The visible area the frame shows; the decoder's buffer may be larger (aligned).
	if (frame.width > p.width || frame.height > p.height)
		return -1;
	long differ = 0;
	const uint8_t *y = frame.bytes.data();
	for (uint32_t row = 0; row < frame.height; row++)
		for (uint32_t x = 0; x < frame.width; x++)
			differ += y[size_t(row) * frame.width + x] != p.y[size_t(row) * p.stride + x];
	size_t uvRow = 2 * ((frame.width + 1) / 2);
	const uint8_t *uv = y + frame.lumaSize();
	for (uint32_t row = 0; row < (frame.height + 1) / 2; row++)
		for (size_t x = 0; x < uvRow; x++)
			differ += uv[row * uvRow + x] != p.uv[size_t(row) * p.stride + x];
	return differ;
}

uint64_t ExpectedPictures::match(const Nv12Frame &frame, std::string *closest) const
{
	long best = -1;
	const Picture *nearest = nullptr;
	for (const Picture &p : pictures_) {
		long d = differingBytes(frame, p);
		if (d == 0)
			return p.frame.signature;
		if (d > 0 && (best < 0 || d < best)) {
			best = d;
			nearest = &p;
		}
	}
	if (closest) {
		std::ostringstream s;
		if (nearest)
			s << "closest: job " << nearest->frame.job << " on " << nearest->frame.device
			  << " (signature 0x" << std::hex << nearest->frame.signature << std::dec
			  << "), " << best << " bytes differ";
		else
			s << "no decoded picture is at least " << frame.width << "x" << frame.height;
		*closest = s.str();
	}
	return 0;
}

std::vector<std::pair<std::string, std::vector<ReferenceFrame>>> referenceStreams()
{
	std::ifstream in(streamPath("reference.tsv"));
	std::map<std::string, std::vector<ReferenceFrame>> byFile;
	std::string line;
	while (std::getline(in, line)) {
		if (line.empty() || line[0] == '#')
			continue;
		std::istringstream fields(line);
		std::string file, frame, pts;
		ReferenceFrame ref;
		if (std::getline(fields, file, '\t') && std::getline(fields, frame, '\t') &&
		    std::getline(fields, pts, '\t') && (fields >> ref.width >> ref.height >> ref.md5))
			byFile[file].push_back(ref);
	}
	return {byFile.begin(), byFile.end()};
}

std::string testNameOf(const std::string &file)
{
	std::string name = file;
	for (char &c : name)
		if (!isalnum(static_cast<unsigned char>(c)))
			c = '_';
	return name;
}

} // namespace v4l2emu::e2e
