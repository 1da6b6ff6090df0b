// SPDX-License-Identifier: MIT
// Corpus replayer for builds without libFuzzer: runs LLVMFuzzerTestOneInput on every file
// named (directories are walked, in name order so a replay is the same every time). Exit
// status 0 when every input ran; a target reports a broken invariant by aborting.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);

int main(int argc, char **argv)
{
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	auto start = std::chrono::steady_clock::now();
	size_t ran = 0;
	for (int i = 1; i < argc; i++) {
		std::vector<std::filesystem::path> files;
		std::error_code ec;
		if (std::filesystem::is_directory(argv[i], ec)) {
			for (const auto &e : std::filesystem::recursive_directory_iterator(argv[i]))
				if (e.is_regular_file())
					files.push_back(e.path());
			std::sort(files.begin(), files.end());
		} else {
			files.emplace_back(argv[i]);
		}
		for (const auto &f : files) {
			std::ifstream in(f, std::ios::binary);
			if (!in) {
				fprintf(stderr, "replay: cannot read %s\n", f.c_str());
				return 2;
			}
			std::vector<uint8_t> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
			LLVMFuzzerTestOneInput(data.data(), data.size());
			ran++;
		}
	}
	double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
	printf("replay: %zu inputs ran in %.0f ms\n", ran, ms);
	return ran ? 0 : 1;
}
