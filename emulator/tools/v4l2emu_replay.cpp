// SPDX-License-Identifier: MIT
// v4l2emu-replay: replays a trace (board strace text or native JSONL) against an emulated
// board and reports the first divergence with context, then totals.
// Exit status: 0 every call matched, 1 divergence, 2 bad input or usage.
#include <v4l2emu/ioctl_names.h>
#include <v4l2emu/trace.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

namespace {

constexpr int kMatch = 0, kDiverged = 1, kBadInput = 2;

void usage(FILE *to)
{
	fprintf(to,
		"usage: v4l2emu-replay [options] TRACE\n"
		"  TRACE                  strace -f text (5.11 .. 7.x) or a native .jsonl trace\n"
		"  --board NAME           emulated board (default: the native header's, else fresnel)\n"
		"  --kernel 6.12|mainline kernel behaviour (default: the header's, else mainline)\n"
		"  --scheduler deterministic|threaded\n"
		"  --faults PLAN|none     fault plan (V4L2EMU_FAULTS syntax; default: the header's, then the\n"
		"                         plans the recorded run installed, where it did)\n"
		"  --map TRACE=BOARD      map a trace device path to a board node (repeatable)\n"
		"  --keep-going           report every divergence, not only the first\n"
		"  --continue             read past undecodable lines (default: stop at the first)\n"
		"  --context N            calls shown before a divergence (default 4)\n"
		"  --sync-timeout MS      wait for readiness the trace saw (default 2000)\n"
		"  --record SPEC          record the replay: path[,format=native|strace][,...]\n"
		"  --parse-only           decode the trace and print its calls; no replay\n"
		"  --quiet                print only divergences and totals\n"
		"exit status: 0 match, 1 divergence, 2 bad input or usage\n");
}

void printCall(const v4l2emu::TraceCall &c)
{
	printf("line %u: %s", c.line, v4l2emu::toString(c.kind));
	if (!c.handle.empty())
		printf(" %s", c.handle.c_str());
	if (c.kind == v4l2emu::CallKind::Open)
		printf(" \"%s\" flags=%#llx", c.path.c_str(), static_cast<unsigned long long>(c.flags));
	if (c.kind == v4l2emu::CallKind::Ioctl)
		printf(" %s", c.requestName.c_str());
	if (c.kind == v4l2emu::CallKind::Mmap || c.kind == v4l2emu::CallKind::Munmap)
		printf(" %s len=%llu off=%#llx", c.mapHandle.c_str(),
		       static_cast<unsigned long long>(c.length), static_cast<unsigned long long>(c.offset));
	for (const auto &[p, v] : c.in)
		printf(" %s=%s", p.c_str(), v.toString().c_str());
	if (!c.out.empty()) {
		printf(" =>");
		for (const auto &[p, v] : c.out)
			printf(" %s=%s", p.c_str(), v.toString().c_str());
	}
	for (const auto &f : c.fdRefs)
		printf(" [%s%s=%s]", f.output ? "out " : "", f.field.c_str(), f.handle.c_str());
	if (c.error)
		printf(" = -1 %s", v4l2emu::errnoName(c.error) ? v4l2emu::errnoName(c.error) : "?");
	else
		printf(" = %lld", static_cast<long long>(c.ret));
	if (!c.skipReason.empty())
		printf("  (not replayable: %s)", c.skipReason.c_str());
	for (const std::string &n : c.notes)
		printf("  (%s)", n.c_str());
	printf("\n");
}

} // namespace

int main(int argc, char **argv)
{
	v4l2emu::ReplayOptions options;
	v4l2emu::TraceReadOptions read;
	read.stopAtFirstProblem = true;
	std::string path, board, kernel, scheduler, record, faults;
	bool parseOnly = false, quiet = false;
	for (int i = 1; i < argc; i++) {
		std::string a = argv[i];
		auto value = [&](const char *name) -> const char * {
			if (i + 1 >= argc) {
				fprintf(stderr, "v4l2emu-replay: %s needs a value\n", name);
				exit(kBadInput);
			}
			return argv[++i];
		};
		if (a == "--board") {
			board = value("--board");
		} else if (a == "--kernel") {
			kernel = value("--kernel");
		} else if (a == "--faults") {
			faults = value("--faults");
		} else if (a == "--scheduler") {
			scheduler = value("--scheduler");
		} else if (a == "--map") {
			std::string m = value("--map");
			size_t eq = m.find('=');
			if (eq == std::string::npos || !eq || eq + 1 == m.size()) {
				fprintf(stderr, "v4l2emu-replay: --map wants TRACEPATH=BOARDPATH\n");
				return kBadInput;
			}
			options.pathMap.emplace_back(m.substr(0, eq), m.substr(eq + 1));
			read.devicePaths.push_back(m.substr(0, eq));
		} else if (a == "--keep-going") {
			options.keepGoing = true;
		} else if (a == "--continue") {
			read.stopAtFirstProblem = false;
		} else if (a == "--context") {
			options.contextLines = static_cast<unsigned>(atoi(value("--context")));
		} else if (a == "--sync-timeout") {
			options.syncTimeoutMs = static_cast<unsigned>(atoi(value("--sync-timeout")));
		} else if (a == "--record") {
			record = value("--record");
		} else if (a == "--parse-only") {
			parseOnly = true;
		} else if (a == "--quiet") {
			quiet = true;
		} else if (a == "-h" || a == "--help") {
			usage(stdout);
			return kMatch;
		} else if (!a.empty() && a[0] == '-') {
			fprintf(stderr, "v4l2emu-replay: unknown option %s\n", a.c_str());
			usage(stderr);
			return kBadInput;
		} else if (path.empty()) {
			path = a;
		} else {
			usage(stderr);
			return kBadInput;
		}
	}
	if (path.empty()) {
		usage(stderr);
		return kBadInput;
	}
	v4l2emu::Trace trace;
	int rc = v4l2emu::readTraceFile(path, read, &trace);
	if (rc == -ENOENT) {
		fprintf(stderr, "v4l2emu-replay: cannot open %s\n", path.c_str());
		return kBadInput;
	}
	for (const v4l2emu::TraceProblem &p : trace.problems)
		fprintf(stderr, "%s:%u: %s\n    %s\n", path.c_str(), p.line, p.message.c_str(),
			p.text.substr(0, 300).c_str());
	if (rc && read.stopAtFirstProblem) {
		fprintf(stderr, "v4l2emu-replay: stopped at the first undecodable line (--continue reads on)\n");
		return kBadInput;
	}
	if (parseOnly) {
		for (const v4l2emu::TraceCall &c : trace.calls)
			printCall(c);
		printf("%zu calls from %u lines (%u skipped as not device calls), %zu bad lines\n",
		       trace.calls.size(), trace.linesRead, trace.linesSkipped, trace.problems.size());
		return trace.problems.empty() ? kMatch : kBadInput;
	}
	options.board = !board.empty() ? board : !trace.board.empty() ? trace.board : "fresnel";
	std::string k = !kernel.empty() ? kernel : trace.kernel;
	if (k == "6.12")
		options.boardOptions.kernel = v4l2emu::KernelVersion::V6_12;
	else if (k.empty() || k == "mainline")
		options.boardOptions.kernel = v4l2emu::KernelVersion::Mainline;
	else {
		fprintf(stderr, "v4l2emu-replay: --kernel wants 6.12 or mainline\n");
		return kBadInput;
	}
	std::string plan = faults.empty() ? trace.faults : faults;
	options.traceFaults = faults.empty();	// --faults replaces the trace's plans, all of them
	if (!plan.empty() && plan != "none") {
		std::string error;
		if (v4l2emu::FaultPlan::parse(plan, &options.boardOptions.faults, &error)) {
			fprintf(stderr, "v4l2emu-replay: faults '%s': %s\n", plan.c_str(), error.c_str());
			return kBadInput;
		}
	}
	if (scheduler == "threaded")
		options.boardOptions.scheduler = v4l2emu::SchedulerMode::Threaded;
	else if (!scheduler.empty() && scheduler != "deterministic") {
		fprintf(stderr, "v4l2emu-replay: --scheduler wants deterministic or threaded\n");
		return kBadInput;
	}
	if (!record.empty()) {
		std::vector<v4l2emu::TraceWriterOptions> writers;
		std::string error;
		if (v4l2emu::parseTraceSpec(record, &writers, &error)) {
			fprintf(stderr, "v4l2emu-replay: --record: %s\n", error.c_str());
			return kBadInput;
		}
		std::vector<std::shared_ptr<v4l2emu::TraceSink>> sinks;
		for (v4l2emu::TraceWriterOptions &w : writers) {
			w.board = options.board;
			w.kernel = options.boardOptions.kernel;
			auto s = v4l2emu::makeTraceWriter(w, &error);
			if (!s) {
				fprintf(stderr, "v4l2emu-replay: --record: %s\n", error.c_str());
				return kBadInput;
			}
			sinks.push_back(std::move(s));
		}
		options.record = sinks.size() == 1 ? sinks[0] : v4l2emu::makeTeeSink(sinks);
	}
	v4l2emu::ReplayReport report;
	rc = v4l2emu::replayTrace(trace, options, &report);
	if (rc < 0) {
		for (const auto &p : report.problems)
			fprintf(stderr, "v4l2emu-replay: %s\n", p.message.c_str());
		return kBadInput;
	}
	std::string text = report.text(trace, options.contextLines);
	if (quiet && report.divergences.empty())
		text = text.substr(text.rfind("totals:"));
	printf("%s: %s trace on the %s board\n%s", path.c_str(),
	       trace.source == v4l2emu::Trace::Source::Native ? "native" : "strace",
	       options.board.c_str(), text.c_str());
	if (!report.divergences.empty())
		return kDiverged;
	return trace.problems.empty() ? kMatch : kBadInput;
}
