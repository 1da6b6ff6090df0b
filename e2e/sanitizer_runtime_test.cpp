// SPDX-License-Identifier: MIT
// v4l2emu-run's check for a program that has its sanitizer runtime linked in (it must then not
// preload the shared runtime: sanitizer_runtime.h), on the preload probe this build made and on
// files that are not such programs.
#include "sanitizer_runtime.h"
#include "support/e2e.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>
#include <string>

#ifndef V4L2EMU_E2E_PROBE
#error "V4L2EMU_E2E_PROBE must name the preload probe"
#endif

namespace v4l2emu::e2e {
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

/// Writes bytes to a file of the scratch directory and returns its path.
std::string writeScratch(const ScratchDir &dir, const std::string &name, const std::string &bytes)
{
	std::string file = dir.file(name);
	std::ofstream(file, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
	return file;
}

TEST(SanitizerRuntime, TheProbeCarriesOneExactlyWhenThisCompilerLinksItIn)
{
	EXPECT_EQ(definesSanitizerRuntime(V4L2EMU_E2E_PROBE), kRuntimeLinkedIn);
}

TEST(SanitizerRuntime, OtherFilesDoNot)
{
	ScratchDir dir("runtime");
	ASSERT_FALSE(dir.path().empty());
	std::string probe;
	ASSERT_TRUE(readFile(V4L2EMU_E2E_PROBE, &probe));
	ASSERT_GT(probe.size(), 4096u);
	EXPECT_FALSE(definesSanitizerRuntime(writeScratch(dir, "script", "#!/bin/sh\n")));
	EXPECT_FALSE(definesSanitizerRuntime(writeScratch(dir, "empty", "")));
	// An ELF header whose section table lies past the end of the file.
	EXPECT_FALSE(definesSanitizerRuntime(writeScratch(dir, "truncated", probe.substr(0, 4096))));
	// A section table pointing anywhere.
	std::string scrambled = probe;
	for (size_t i = 0x28; i < 0x30; i++)	// e_shoff
		scrambled[i] = static_cast<char>(0xff);
	EXPECT_FALSE(definesSanitizerRuntime(writeScratch(dir, "scrambled", scrambled)));
	EXPECT_FALSE(definesSanitizerRuntime(dir.path()));
	EXPECT_FALSE(definesSanitizerRuntime(dir.file("missing")));
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
} // namespace v4l2emu::e2e
