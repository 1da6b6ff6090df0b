// SPDX-License-Identifier: MIT
// v4l2emu-record-corpus DIR: records every consumer script for its codecs through the
// VA driver on the emulated fresnel board into DIR/<script>-<codec>/ (trace.jsonl + blobs/,
// trace.strace, meta.json), then checks that each replays with zero divergences.
// Regenerate the corpus with: v4l2emu-record-corpus corpus/traces/consumer
#include "consumer_scripts.h"

#include <v4l2emu/trace.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace {

bool replays(const fs::path &path)
{
	v4l2emu::Trace t;
	if (v4l2emu::readTraceFile(path.string(), {}, &t) != 0) {
		fprintf(stderr, "%s: unreadable\n", path.c_str());
		return false;
	}
	v4l2emu::ReplayReport r;
	int rc = v4l2emu::replayTrace(t, {}, &r);
	if (rc != 0)
		fprintf(stderr, "%s:\n%s", path.c_str(), r.text(t).c_str());
	return rc == 0;
}

} // namespace

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: v4l2emu-record-corpus DIR [SCRIPT-CODEC...]\n");
		return 2;
	}
	fs::path root = argv[1];
	int failures = 0;
	// v4l2emu-record-corpus DIR [SCRIPT-CODEC...]: only those (all when none is named).
	std::vector<std::string> only(argv + 2, argv + argc);
	for (const v4l2va::test::ConsumerScript &s : v4l2va::test::consumerScripts()) {
		for (const std::string &codec :
		     s.codecs.empty() ? v4l2va::test::consumerCodecs() : s.codecs) {
			fs::path dir = root / (std::string(s.name) + "-" + codec);
			if (!only.empty() && std::find(only.begin(), only.end(), dir.filename().string()) == only.end())
				continue;
			fs::remove_all(dir);
			fs::create_directories(dir);
			// Byte-stable files: no times, thread ids or raw fd numbers.
			std::string spec = (dir / "trace.jsonl").string() + ",timestamps=0;" +
					   (dir / "trace.strace").string() + ",format=strace,timestamps=0";
			std::string error;
			if (!v4l2va::test::recordConsumer(s.name, codec, spec, &error)) {
				fprintf(stderr, "%s\n", error.c_str());
				failures++;
				continue;
			}
			std::ofstream meta(dir / "meta.json");
			meta << "{\"board\":\"fresnel\",\"kernel\":\"mainline\",\"consumer\":\"" << s.name
			     << "\",\"codec\":\"" << codec << "\",\"description\":\"" << s.description
			     << "\",\"recorded_with_scheduler\":\"" << s.scheduler
			     << "\",\"recorder\":\"v4l2emu-record-corpus (VA driver in-process, "
				"backend/tests/va/support)\",\"strace_dialect\":\"7.2 -f -v -y -x\"}\n";
			bool ok = replays(dir / "trace.jsonl") && replays(dir / "trace.strace");
			printf("%-26s %s\n", dir.filename().c_str(), ok ? "recorded, replays" : "DIVERGES");
			failures += !ok;
		}
	}
	return failures ? 1 : 0;
}
