// SPDX-License-Identifier: MIT
// Corpus replayer for builds without libFuzzer: runs LLVMFuzzerTestOneInput on every file
// named (directories are walked). Exit status 0 when every input ran.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
	size_t ran = 0;
	for (int i = 1; i < argc; i++) {
		std::vector<std::filesystem::path> files;
		std::error_code ec;
		if (std::filesystem::is_directory(argv[i], ec)) {
			for (const auto &e : std::filesystem::recursive_directory_iterator(argv[i]))
				if (e.is_regular_file())
					files.push_back(e.path());
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
	printf("replay: %zu inputs ran\n", ran);
	return ran ? 0 : 1;
}
