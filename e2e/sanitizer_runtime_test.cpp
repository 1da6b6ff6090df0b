// SPDX-License-Identifier: MIT
// v4l2emu-run's check for a program that has its sanitizer runtime linked in (it must then not
// preload the shared runtime: sanitizer_runtime.h), on the preload probe this build made and on
// files that are not such programs.
#include "sanitizer_runtime.h"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#ifndef V4L2EMU_E2E_PROBE
#error "V4L2EMU_E2E_PROBE must name the preload probe"
#endif

namespace {

using v4l2emu::tools::definesSanitizerRuntime;
using v4l2emu::tools::resolveProgram;

// clang links a sanitizer runtime into the executables it sanitizes; gcc's import libasan.so.
#if defined(__clang__) && defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr bool kRuntimeLinkedIn = true;
#else
constexpr bool kRuntimeLinkedIn = false;
#endif
#else
constexpr bool kRuntimeLinkedIn = false;
#endif

class ScratchDir {
public:
	ScratchDir()
	{
		char tmpl[] = "/tmp/v4l2emu-runtime-test-XXXXXX";
		path_ = mkdtemp(tmpl) ? tmpl : "";
	}
	~ScratchDir()
	{
		if (!path_.empty())
			std::system(("rm -rf '" + path_ + "'").c_str());
	}
	std::string write(const std::string &name, const std::vector<char> &bytes) const
	{
		std::string file = path_ + "/" + name;
		std::ofstream(file, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
		return file;
	}
	const std::string &path() const { return path_; }

private:
	std::string path_;
};

std::vector<char> readAll(const std::string &path)
{
	std::ifstream in(path, std::ios::binary);
	return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(SanitizerRuntime, TheProbeCarriesOneExactlyWhenThisCompilerLinksItIn)
{
	EXPECT_EQ(definesSanitizerRuntime(V4L2EMU_E2E_PROBE), kRuntimeLinkedIn);
}

TEST(SanitizerRuntime, OtherFilesDoNot)
{
	ScratchDir dir;
	ASSERT_FALSE(dir.path().empty());
	std::vector<char> probe = readAll(V4L2EMU_E2E_PROBE);
	ASSERT_GT(probe.size(), 4096u);
	EXPECT_FALSE(definesSanitizerRuntime(dir.write("script", {'#', '!', '/', 'b', 'i', 'n', '/', 's', 'h', '\n'})));
	EXPECT_FALSE(definesSanitizerRuntime(dir.write("empty", {})));
	// An ELF header whose section table lies past the end of the file.
	EXPECT_FALSE(definesSanitizerRuntime(dir.write("truncated", {probe.begin(), probe.begin() + 4096})));
	// A section table pointing anywhere.
	std::vector<char> scrambled = probe;
	for (size_t i = 0x28; i < 0x30; i++)	// e_shoff
		scrambled[i] = static_cast<char>(0xff);
	EXPECT_FALSE(definesSanitizerRuntime(dir.write("scrambled", scrambled)));
	EXPECT_FALSE(definesSanitizerRuntime(dir.path()));
	EXPECT_FALSE(definesSanitizerRuntime(dir.path() + "/missing"));
	EXPECT_FALSE(definesSanitizerRuntime(""));
}

TEST(SanitizerRuntime, ProgramsResolveAsExecvpFindsThem)
{
	EXPECT_EQ(resolveProgram("/bin/sh"), "/bin/sh");
	EXPECT_EQ(resolveProgram("./x"), "./x");
	std::string sh = resolveProgram("sh");
	EXPECT_FALSE(sh.empty());
	EXPECT_EQ(access(sh.c_str(), X_OK), 0) << sh;
	EXPECT_EQ(resolveProgram("v4l2emu-no-such-program"), "");
	EXPECT_EQ(resolveProgram(""), "");
}

} // namespace
