// SPDX-License-Identifier: MIT
// gstreamer-vaapi 1.22 (vaapih264dec) decodes the H.264 clip through our driver on the
// emulated board. No X server is needed: GST_VAAPI_DRM_DEVICE names the stand-in render node
// (gstreamer-vaapi otherwise enumerates DRM devices with udev), and GST_VAAPI_ALL_DRIVERS lifts
// its vendor allow-list (shared/spec/toolchain.md 6). Every frame must be one of the pictures
// the board decoded, and the board must report no reference or control diagnostics.
#include "support/e2e.h"

#include <gtest/gtest.h>

namespace v4l2emu::e2e {
namespace {

TEST(Gstreamer, VaapiH264DecodesThroughTheBoard)
{
	ASSERT_TRUE(haveProgram("gst-launch-1.0")) << "GStreamer is not installed (run ci/bootstrap)";
	const std::string clip = "h264_high_cabac_bframes_176x144.mp4";
	std::vector<ReferenceFrame> reference;
	for (auto &[file, frames] : referenceStreams())
		if (file == clip)
			reference = frames;
	ASSERT_FALSE(reference.empty()) << clip << " is not in reference.tsv";

	ScratchDir dir("gst");
	std::string output = dir.file("out.nv12");
	// One summary per process: gst-plugin-scanner (spawned for a fresh registry) makes a
	// board of its own when it probes the vaapi plugin.
	std::string summaries = dir.file("summary-%p.json");
	std::vector<std::pair<std::string, std::string>> env = {
		{"GST_VAAPI_ALL_DRIVERS", "1"},
		{"GST_VAAPI_DRM_DEVICE", "/dev/dri/renderD128"},
		{"GST_REGISTRY", dir.file("registry.bin")},
		{"XDG_RUNTIME_DIR", dir.path()},
		{"GST_DEBUG", "2"},
		asanWithoutLeakChecks(),
	};
	RunResult r = runOnBoard(
		{"--summary", summaries},
		{"gst-launch-1.0", "-q", "filesrc", "location=" + streamPath(clip), "!", "qtdemux", "!",
		 "h264parse", "!", "vaapih264dec", "!", "videoconvert", "!",
		 "video/x-raw,format=NV12", "!", "filesink", "location=" + output},
		env, 120);
	ASSERT_EQ(r.exitCode, 0) << r.describe() << "\n" << r.out << r.err;
	EXPECT_EQ(r.err.find("decode error"), std::string::npos)
		<< "gstreamer-vaapi reports decode errors: a VA call failed (LIBVA_TRACE=<prefix> "
		   "names it)\n" << r.err;

	// The launcher's summary is the one that decoded.
	Json summary;
	bool found = false;
	for (const std::string &name : listDir(dir.path())) {
		if (name.rfind("summary-", 0) != 0)
			continue;
		Json s;
		std::string error;
		ASSERT_TRUE(loadSummary(dir.file(name), &s, &error)) << error;
		if (s["decodedFrames"].u64() > 0) {
			EXPECT_FALSE(found) << "two processes decoded";
			summary = s;
			found = true;
		}
	}
	ASSERT_TRUE(found) << "no process decoded anything on the board\n" << r.err;
	EXPECT_GE(summary["decodedFrames"].u64(), reference.size());
	for (const std::string &bad : badDiagnostics(summary))
		ADD_FAILURE() << "board diagnostic: " << bad;

	std::string data, error;
	ASSERT_TRUE(readFile(output, &data));
	std::vector<Nv12Frame> frames = splitNv12(data, 176, 144);
	EXPECT_EQ(frames.size(), reference.size()) << data.size() << " bytes out";
	ExpectedPictures expected;
	expected.add(framesOf(summary), &error);
	EXPECT_TRUE(error.empty()) << error;
	for (size_t i = 0; i < frames.size(); i++) {
		std::string closest;
		if (frames[i].lumaAllZero())
			ADD_FAILURE() << "frame " << i << ": luma all zero";
		else if (!expected.match(frames[i], &closest))
			ADD_FAILURE() << "frame " << i << " is none of the board's pictures; " << closest;
	}
	if (HasFailure())
		dir.keep();
}

} // namespace
} // namespace v4l2emu::e2e
