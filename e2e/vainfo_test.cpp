// SPDX-License-Identifier: MIT
// vainfo (libva-utils 2.12, libva 2.17) loads our driver through the stand-in render node and
// lists the union of the fresnel board's decoders: rkvdec (H.264, HEVC, VP9) and the hantro
// VPU (MPEG-2, VP8), VLD only.
#include "support/e2e.h"

#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>
#include <sstream>

namespace v4l2emu::e2e {
namespace {

std::map<std::string, std::set<std::string>> profilesOf(const std::string &out)
{
	std::map<std::string, std::set<std::string>> profiles;
	static const std::regex line(R"(^\s*(VAProfile\w+)\s*:\s*(VAEntrypoint\w+)\s*$)");
	std::istringstream lines(out);
	std::string l;
	std::smatch m;
	while (std::getline(lines, l))
		if (std::regex_match(l, m, line))
			profiles[m[1]].insert(m[2]);
	return profiles;
}

void expectFresnelProfiles(const RunResult &r, bool mainline)
{
	ASSERT_EQ(r.exitCode, 0) << r.describe() << "\n" << r.out << r.err;
	EXPECT_NE(r.out.find("Driver version: v4l2-request"), std::string::npos) << r.out;
	auto profiles = profilesOf(r.out);
	std::set<std::string> required = {
		"VAProfileMPEG2Simple", "VAProfileMPEG2Main", "VAProfileVP8Version0_3",	// hantro
		"VAProfileH264ConstrainedBaseline", "VAProfileH264Main", "VAProfileH264High",
		"VAProfileVP9Profile0"};						// rkvdec
	if (mainline) {
		// Mainline rkvdec decodes HEVC, and 10-bit (NV15 capture) with it.
		required.insert({"VAProfileHEVCMain", "VAProfileHEVCMain10"});
	}
	std::set<std::string> listed;
	for (auto &[profile, entrypoints] : profiles) {
		listed.insert(profile);
		EXPECT_EQ(entrypoints, std::set<std::string>{"VAEntrypointVLD"}) << profile;
	}
	EXPECT_EQ(listed, required) << "vainfo output:\n" << r.out;
}

TEST(Vainfo, ListsTheUnionOfRkvdecAndHantroProfiles)
{
	ASSERT_TRUE(haveProgram("vainfo")) << "vainfo is not installed (run ci/bootstrap)";
	RunResult r = runOnBoard({}, {"vainfo", "--display", "drm", "--device", "/dev/dri/renderD128"});
	expectFresnelProfiles(r, true);
}

TEST(Vainfo, Kernel612RkvdecHasNoHevc)
{
	ASSERT_TRUE(haveProgram("vainfo")) << "vainfo is not installed (run ci/bootstrap)";
	RunResult r = runOnBoard({"--kernel", "6.12"},
				 {"vainfo", "--display", "drm", "--device", "/dev/dri/renderD128"});
	expectFresnelProfiles(r, false);
}

TEST(Vainfo, FindsTheDriverByTheRenderNodesName)
{
	// Without LIBVA_DRIVER_NAME libva asks DRM_IOCTL_VERSION (va_drm_utils.c), which the
	// stand-in node answers with "v4l2_request".
	ASSERT_TRUE(haveProgram("vainfo"));
	RunOptions o;
	o.argv = {"sh", "-c", "unset LIBVA_DRIVER_NAME; exec vainfo --display drm"};
	RunResult r = runOnBoard({}, o.argv);
	expectFresnelProfiles(r, true);
}

} // namespace
} // namespace v4l2emu::e2e
