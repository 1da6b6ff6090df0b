// SPDX-License-Identifier: MIT
// v4l2emu-run: runs an unmodified program on an emulated board. It checks its flags (board
// names, kernel, scheduler and fault plan are parsed here, so a typo fails before the program
// starts), sets the environment the preload library and libva read, and execs the program:
//   LD_PRELOAD           [sanitizer runtime:]libv4l2emu_preload.so[:previous LD_PRELOAD]
//   LIBVA_DRIVER_NAME    v4l2_request
//   LIBVA_DRIVERS_PATH   the build's dri/ (or --driver-dir)
//   V4L2EMU_*            the board and its options (Board::optionsFromEnvironment)
// The sanitizer runtime goes first when the preload was built with ASan/TSan (or --asan): a
// sanitized library inside an unsanitized program needs its runtime loaded before anything
// else (shared/spec/toolchain.md 5.7); not into a program that has it linked in.
#include "sanitizer_runtime.h"

#include <v4l2emu/board.h>
#include <v4l2emu/fault_plan.h>

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#ifndef V4L2EMU_PRELOAD_PATH
#error "V4L2EMU_PRELOAD_PATH must name libv4l2emu_preload.so"
#endif
#ifndef V4L2EMU_DRIVER_DIR
#error "V4L2EMU_DRIVER_DIR must name the directory of v4l2_request_drv_video.so"
#endif
#ifndef V4L2EMU_SANITIZER_RUNTIME
#define V4L2EMU_SANITIZER_RUNTIME ""	// the preload is not sanitized
#endif
#ifndef V4L2EMU_ASAN_RUNTIME
#define V4L2EMU_ASAN_RUNTIME ""
#endif

namespace {

constexpr int kUsageError = 2;

void printHelp()
{
	std::string boards;
	for (const std::string &b : v4l2emu::Board::boardNames())
		boards += (boards.empty() ? "" : ", ") + b;
	printf(R"(Usage: v4l2emu-run [OPTIONS] [--] PROGRAM [ARGS...]

Runs PROGRAM unmodified on an emulated V4L2 stateless-decoder board: the preload library
(%s)
presents the board's /dev/mediaN and /dev/videoN nodes, their sysfs entries, and a stand-in DRM
render node /dev/dri/renderD128 for libva; the VA driver v4l2_request_drv_video.so reaches the
board through plain syscalls, as on the real board.

Options:
  --board NAME          emulated board (default: fresnel). Known: %s
  --kernel 6.12|mainline
                        kernel behaviour (default: the board's, mainline)
  --scheduler deterministic|threaded
                        when decode jobs run (default: deterministic)
  --engine synthetic|libav
                        what writes the pictures (default: synthetic): libav decodes for real
                        with libavcodec from what the hardware receives (if this build has it)
  --faults PLAN         fault plan, e.g. 'ioctl=VIDIOC_QBUF,nth=3,errno=EIO;decode=hang,nth=2'
                        (syntax: emulator/include/v4l2emu/fault_plan.h)
  --dev-dir DIR         directory the nodes appear in (default: /dev; sysfs lookups such as
                        libva's and v4l2-compliance's assume /dev)
  --driver-dir DIR      LIBVA_DRIVERS_PATH (default: %s)
  --summary PATH        write what the board saw as JSON at exit (V4L2EMU_SUMMARY; %%p in
                        PATH becomes the process id)
  --log LEVEL           preload messages: 0 none, 1 unsupported calls (default), 2 trace
  --asan                put the ASan runtime first in LD_PRELOAD (for an ASan-built driver in
                        --driver-dir; automatic when the preload itself is sanitized)
  --preload LIB         also preload LIB, after the runtime and the emulator (repeatable;
                        e.g. coreutils' libstdbuf.so with _STDBUF_O=L for line-buffered output)
  --print-env           print the variables that would be set, one per line, and exit
  -h, --help            this text

Environment set for PROGRAM: LD_PRELOAD, LIBVA_DRIVER_NAME=v4l2_request, LIBVA_DRIVERS_PATH,
V4L2EMU_BOARD and, for the options given, V4L2EMU_KERNEL, V4L2EMU_SCHEDULER, V4L2EMU_ENGINE,
V4L2EMU_FAULTS,
V4L2EMU_DEV_DIR, V4L2EMU_SUMMARY, V4L2EMU_PRELOAD_LOG. V4L2VA_EMULATED_BOARD is removed (it
would make the driver create a board of its own instead of using the preload's).
Exit status: PROGRAM's, 2 for a bad command line, 127 if PROGRAM cannot be run.
)",
	       V4L2EMU_PRELOAD_PATH, boards.c_str(), V4L2EMU_DRIVER_DIR);
}

[[noreturn]] void usageError(const std::string &message)
{
	fprintf(stderr, "v4l2emu-run: %s (see v4l2emu-run --help)\n", message.c_str());
	exit(kUsageError);
}

struct Settings {
	std::string board = "fresnel";
	std::vector<std::pair<std::string, std::string>> env;
	std::string driverDir = V4L2EMU_DRIVER_DIR;
	bool asan = false;
	bool printEnv = false;
	std::vector<std::string> extraPreloads;
	int programIndex = -1;
};

bool oneOf(std::string_view value, std::initializer_list<std::string_view> allowed)
{
	for (std::string_view a : allowed)
		if (value == a)
			return true;
	return false;
}

Settings parse(int argc, char **argv)
{
	Settings s;
	for (int i = 1; i < argc; i++) {
		std::string_view arg = argv[i];
		if (arg == "--") {
			if (i + 1 >= argc)
				usageError("no program after --");
			s.programIndex = i + 1;
			return s;
		}
		if (arg == "-h" || arg == "--help") {
			printHelp();
			exit(0);
		}
		if (arg == "--asan") {
			s.asan = true;
			continue;
		}
		if (arg == "--print-env") {
			s.printEnv = true;
			continue;
		}
		if (arg.size() < 2 || arg.substr(0, 2) != "--") {
			s.programIndex = i;	// the program, without a "--" before it
			return s;
		}
		// Options with a value: "--name value" or "--name=value".
		std::string name(arg), value;
		size_t eq = arg.find('=');
		if (eq != std::string_view::npos) {
			name = std::string(arg.substr(0, eq));
			value = std::string(arg.substr(eq + 1));
		} else {
			if (!oneOf(name, {"--board", "--kernel", "--scheduler", "--engine", "--faults",
					  "--dev-dir",
					  "--driver-dir", "--summary", "--log", "--preload"}))
				usageError("unknown option '" + name + "'");
			if (i + 1 >= argc)
				usageError(name + " needs a value");
			value = argv[++i];
		}
		if (name == "--board") {
			bool known = false;
			for (const std::string &b : v4l2emu::Board::boardNames())
				known |= b == value;
			if (!known)
				usageError("unknown board '" + value + "'");
			s.board = value;
		} else if (name == "--kernel") {
			if (!oneOf(value, {"6.12", "mainline"}))
				usageError("--kernel '" + value + "': expected 6.12 or mainline");
			s.env.emplace_back("V4L2EMU_KERNEL", value);
		} else if (name == "--scheduler") {
			if (!oneOf(value, {"deterministic", "threaded"}))
				usageError("--scheduler '" + value + "': expected deterministic or threaded");
			s.env.emplace_back("V4L2EMU_SCHEDULER", value);
		} else if (name == "--engine") {
			if (!oneOf(value, {"synthetic", "libav"}))
				usageError("--engine '" + value + "': expected synthetic or libav");
			std::string why;
			if (value == "libav" &&
			    !v4l2emu::Board::engineAvailable(v4l2emu::EngineKind::Libav, &why))
				usageError("--engine libav: " + why);
			s.env.emplace_back("V4L2EMU_ENGINE", value);
		} else if (name == "--faults") {
			v4l2emu::FaultPlan plan;
			std::string error;
			if (v4l2emu::FaultPlan::parse(value, &plan, &error))
				usageError("--faults: " + error);
			s.env.emplace_back("V4L2EMU_FAULTS", value);
		} else if (name == "--dev-dir") {
			if (value.empty() || value[0] != '/')
				usageError("--dev-dir '" + value + "': expected an absolute path");
			s.env.emplace_back("V4L2EMU_DEV_DIR", value);
		} else if (name == "--driver-dir") {
			if (value.empty())
				usageError("--driver-dir needs a directory");
			s.driverDir = value;
		} else if (name == "--summary") {
			if (value.empty())
				usageError("--summary needs a path");
			s.env.emplace_back("V4L2EMU_SUMMARY", value);
		} else if (name == "--preload") {
			if (value.empty() || value.find_first_of(": ") != std::string::npos)
				usageError("--preload '" + value + "': expected one library path");
			s.extraPreloads.push_back(value);
		} else if (name == "--log") {
			if (!oneOf(value, {"0", "1", "2"}))
				usageError("--log '" + value + "': expected 0, 1 or 2");
			s.env.emplace_back("V4L2EMU_PRELOAD_LOG", value);
		} else {
			usageError("unknown option '" + name + "'");
		}
	}
	if (!s.printEnv)
		usageError("no program to run");
	return s;
}

/// `program` is what will be exec'd, or nullptr (--print-env alone).
std::string preloadList(const Settings &s, const char *program)
{
	std::string runtime = V4L2EMU_SANITIZER_RUNTIME;
	if (runtime.empty() && s.asan)
		runtime = V4L2EMU_ASAN_RUNTIME;
	if (s.asan && runtime.empty())
		usageError("--asan: this build does not know where the ASan runtime is");
	// A program with the runtime linked in (clang's sanitized executables) already has it
	// first; a second copy aborts it (sanitizer_runtime.h).
	if (!runtime.empty() && program && v4l2emu::tools::definesSanitizerRuntime(v4l2emu::tools::resolveProgram(program)))
		runtime.clear();
	std::string list;
	if (!runtime.empty())
		list = runtime + ":";
	list += V4L2EMU_PRELOAD_PATH;
	for (const std::string &lib : s.extraPreloads)
		list += ":" + lib;
	if (const char *previous = getenv("LD_PRELOAD"); previous && *previous) {
		// Keep what was there, but never a second copy of ours or of the runtime.
		std::string rest;
		std::string_view p = previous;
		while (!p.empty()) {
			size_t end = p.find_first_of(": ");
			std::string_view item = p.substr(0, end);
			if (!item.empty() && item != V4L2EMU_PRELOAD_PATH && item != runtime)
				rest += ":" + std::string(item);
			p = end == std::string_view::npos ? std::string_view() : p.substr(end + 1);
		}
		list += rest;
	}
	return list;
}

} // namespace

int main(int argc, char **argv)
{
	Settings s = parse(argc, argv);
	s.env.emplace_back("V4L2EMU_BOARD", s.board);
	s.env.emplace_back("LIBVA_DRIVER_NAME", "v4l2_request");
	s.env.emplace_back("LIBVA_DRIVERS_PATH", s.driverDir);
	s.env.emplace_back("LD_PRELOAD", preloadList(s, s.programIndex >= 0 ? argv[s.programIndex] : nullptr));
	if (s.printEnv) {
		for (const auto &[name, value] : s.env)
			printf("%s=%s\n", name.c_str(), value.c_str());
		if (s.programIndex < 0)
			return 0;
	}
	unsetenv("V4L2VA_EMULATED_BOARD");
	for (const auto &[name, value] : s.env)
		setenv(name.c_str(), value.c_str(), 1);
	if (s.printEnv)
		return 0;
	execvp(argv[s.programIndex], argv + s.programIndex);
	fprintf(stderr, "v4l2emu-run: cannot run '%s': %s\n", argv[s.programIndex], strerror(errno));
	return 127;
}
