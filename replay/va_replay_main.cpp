// SPDX-License-Identifier: MIT
// v4l2emu-va-replay: replays the VA call sequence of a LIBVA_TRACE log (libva 2.17 text, one
// file per thread) through the VA driver on an emulated board.
// Exit status: 0 every status matched, 1 divergence, 2 bad input or usage.
#include "va_trace_replay.h"

#include <cstdio>
#include <string>

int main(int argc, char **argv)
{
	v4l2va::test::VaReplayOptions options;
	std::vector<std::string> files;
	for (int i = 1; i < argc; i++) {
		std::string a = argv[i];
		if ((a == "--board" || a == "--kernel" || a == "--v4l2-trace" || a == "--clip") && i + 1 < argc) {
			std::string v = argv[++i];
			if (a == "--clip")
				options.clip = v;
			else if (a == "--board")
				options.env.board = v;
			else if (a == "--kernel")
				options.env.kernel = v;
			else
				options.v4l2Trace = v;
		} else if (a == "--keep-going") {
			options.keepGoing = true;
		} else if (!a.empty() && a[0] == '-') {
			fprintf(stderr,
				"usage: v4l2emu-va-replay [--board B] [--kernel 6.12|mainline] [--keep-going]\n"
				"                         [--v4l2-trace SPEC] [--clip CLIP.ivf] LOG... | LIBVA_TRACE-BASE\n"
				"--clip: the clip the run decoded, for slice data the log lacks (VP8)\n");
			return 2;
		} else {
			files.push_back(a);
		}
	}
	// One argument that is not a file: the LIBVA_TRACE value of the run (base.* files).
	if (files.size() == 1) {
		FILE *f = fopen(files[0].c_str(), "r");
		if (f)
			fclose(f);
		else
			files = v4l2va::test::vaTraceFiles(files[0]);
	}
	if (files.empty()) {
		fprintf(stderr, "v4l2emu-va-replay: no LIBVA_TRACE files\n");
		return 2;
	}
	v4l2va::test::VaTraceLog log;
	bool read = v4l2va::test::readVaTrace(files, &log);
	for (const auto &p : log.problems)
		fprintf(stderr, "%s:%u: %s\n", p.file.c_str(), p.line, p.message.c_str());
	if (!read || !log.problems.empty())
		return 2;
	v4l2va::test::VaReplayReport report;
	bool ok = v4l2va::test::replayVaTrace(log, options, &report);
	printf("%s", report.text().c_str());
	return ok ? 0 : 1;
}
