// SPDX-License-Identifier: MIT
// The corpus streams (corpus/streams/) decoded in-process by libavcodec's VAAPI hwaccel
// through v4l2_request_drv_video.so on the emulated fresnel board (RK3399: rkvdec + hantro).
// Each stream must decode entirely through VA (no software fallback), give as many frames as
// the software decode (reference.tsv), and every downloaded frame must be one of the pictures
// the emulator says it decoded (the synthetic engine renders a picture per signature). The
// same harness in software mode must reproduce reference.tsv's MD5s exactly, which checks the
// demux/decode/NV12 path without the driver.
//
// Environment: V4L2VA_LIBAV_THREADS overrides the decoder thread count (default 4; 1 under
// ThreadSanitizer).
#include "libav_vaapi_decoder.h"
#include "stream_reference.h"

#include "engine/picture.h"

#include <v4l2emu/board.h>

#include <gtest/gtest.h>

#include <va/va_drm.h>
#include <xf86drm.h>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#ifndef V4L2VA_STREAM_DIR
#error "V4L2VA_STREAM_DIR must name corpus/streams"
#endif
#ifndef V4L2VA_DRIVER_DIR
#error "V4L2VA_DRIVER_DIR must name the directory of v4l2_request_drv_video.so"
#endif

namespace v4l2va::test {
namespace {

constexpr const char *kRenderNode = "/dev/dri/renderD128";

const std::vector<StreamReference> &referenceStreams()
{
	static const std::vector<StreamReference> streams = readStreamReferences();
	return streams;
}

/// The stream's file name as a test name ("vp8_altref_176x144.ivf" -> "vp8_altref_176x144_ivf").
std::string testName(const StreamReference &stream)
{
	std::string name = stream.file;
	for (char &c : name)
		if (!isalnum(static_cast<unsigned char>(c)))
			c = '_';
	return name;
}

#if defined(__SANITIZE_THREAD__)
constexpr bool kThreadSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
constexpr bool kThreadSanitizer = true;
#else
constexpr bool kThreadSanitizer = false;
#endif
#else
constexpr bool kThreadSanitizer = false;
#endif

int threadCount()
{
	const char *value = getenv("V4L2VA_LIBAV_THREADS");
	if (value && atoi(value) > 0)
		return atoi(value);
	// libavcodec's frame threads synchronise with atomics ThreadSanitizer cannot see in the
	// uninstrumented library (false races in av_buffer_unref and in every frame they hand
	// over), so under TSan decode on the calling thread; the driver's own threads still run.
	return kThreadSanitizer ? 1 : 4;
}

/// A downloaded frame's visible NV12 samples, tightly packed.
struct Nv12Copy {
	int width = 0, height = 0;
	VASurfaceID surface = VA_INVALID_SURFACE;
	std::vector<uint8_t> y, uv;

	int uvBytes() const { return 2 * ((width + 1) / 2); }
	int uvRows() const { return (height + 1) / 2; }
};

Nv12Copy copyPicture(const DecodedPicture &picture)
{
	Nv12Copy copy;
	copy.width = picture.width;
	copy.height = picture.height;
	copy.surface = picture.surface;
	copy.y.resize(static_cast<size_t>(copy.width) * copy.height);
	copy.uv.resize(static_cast<size_t>(copy.uvBytes()) * copy.uvRows());
	for (int row = 0; row < copy.height; row++)
		memcpy(&copy.y[static_cast<size_t>(row) * copy.width],
		       picture.y + static_cast<ptrdiff_t>(row) * picture.yStride, copy.width);
	for (int row = 0; row < copy.uvRows(); row++)
		memcpy(&copy.uv[static_cast<size_t>(row) * copy.uvBytes()],
		       picture.uv + static_cast<ptrdiff_t>(row) * picture.uvStride, copy.uvBytes());
	return copy;
}

/// MD5 of the packed NV12 frame, as `ffmpeg -f framemd5 -pix_fmt nv12` computes it.
std::string md5Of(const Nv12Copy &copy)
{
	return nv12Md5(copy.y.data(), copy.width, copy.uv.data(), copy.uvBytes(), copy.width, copy.height);
}

bool lumaAllZero(const Nv12Copy &copy)
{
	return std::all_of(copy.y.begin(), copy.y.end(), [](uint8_t v) { return v == 0; });
}

/// The picture of one decoded frame as the emulator rendered it into its CAPTURE buffer, read
/// back as linear NV12 at the capture size.
struct ExpectedPicture {
	v4l2emu::DecodedFrame frame;
	v4l2emu::PictureLayout layout;
	uint32_t stride = 0;
	std::vector<uint8_t> y, uv;
};

bool renderExpected(const v4l2emu::DecodedFrame &frame, ExpectedPicture *out, std::string *why)
{
	out->frame = frame;
	if (v4l2emu::describeLayout(frame.pixelformat, frame.width, frame.height,
				    frame.bytesperline, &out->layout) < 0) {
		*why = "describeLayout refused fourcc " + std::to_string(frame.pixelformat) + " " +
		       std::to_string(frame.width) + "x" + std::to_string(frame.height);
		return false;
	}
	std::vector<uint8_t> capture(out->layout.sizeimage);
	v4l2emu::renderPicture(frame.signature, out->layout, capture.data());
	out->stride = std::max(out->layout.bytesperline, out->layout.width);
	out->y.assign(static_cast<size_t>(out->stride) * out->layout.height, 0);
	out->uv.assign(static_cast<size_t>(out->stride) * out->layout.height, 0);
	v4l2emu::detileToNv12(out->layout, capture.data(), out->y.data(), out->stride,
			      out->uv.data(), out->stride);
	return true;
}

std::string at(const char *plane, int x, int y)
{
	return std::string(plane) + " (" + std::to_string(x) + "," + std::to_string(y) + ")";
}

/// Bytes of the common visible area (min of both sizes) that differ; -1 if none overlaps.
long differingBytes(const Nv12Copy &got, const ExpectedPicture &expected, std::string *first)
{
	int width = std::min<int>(got.width, expected.layout.width);
	int height = std::min<int>(got.height, expected.layout.height);
	if (width <= 0 || height <= 0)
		return -1;
	long differ = 0;
	for (int row = 0; row < height; row++)
		for (int x = 0; x < width; x++)
			if (got.y[static_cast<size_t>(row) * got.width + x] !=
			    expected.y[static_cast<size_t>(row) * expected.stride + x]) {
				if (!differ++ && first)
					*first = at("luma", x, row);
			}
	int uvBytes = 2 * ((width + 1) / 2);
	for (int row = 0; row < (height + 1) / 2; row++)
		for (int x = 0; x < uvBytes; x++)
			if (got.uv[static_cast<size_t>(row) * got.uvBytes() + x] !=
			    expected.uv[static_cast<size_t>(row) * expected.stride + x]) {
				if (!differ++ && first)
					*first = at("chroma byte", x, row);
			}
	return differ;
}

bool isReferenceOrControlDiagnostic(v4l2emu::DiagnosticKind kind)
{
	switch (kind) {
	case v4l2emu::DiagnosticKind::ReferenceMissing:
	case v4l2emu::DiagnosticKind::ReferenceNotDecoded:
	case v4l2emu::DiagnosticKind::ReferenceIdentity:
	case v4l2emu::DiagnosticKind::ReferenceIsTarget:
	case v4l2emu::DiagnosticKind::MissingControls:
		return true;
	default:
		return false;
	}
}

using TestBoardFn = void *(*)(VADriverContextP);

// ---------------------------------------------------------------------------------------------
// The fake render node and the harness without the driver.

TEST(LibavHarness, FakeRenderNodeLooksLikeARenderNode)
{
	int fd = open(kRenderNode, O_RDWR | O_CLOEXEC);
	ASSERT_GE(fd, 0) << "open(" << kRenderNode << "): " << strerror(errno);
	struct stat st = {};
	ASSERT_EQ(fstat(fd, &st), 0);
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(major(st.st_rdev), 226u);
	EXPECT_EQ(minor(st.st_rdev), 128u);
	struct stat64 st64 = {};
	ASSERT_EQ(fstat64(fd, &st64), 0);
	EXPECT_TRUE(S_ISCHR(st64.st_mode));
	EXPECT_EQ(st64.st_rdev, makedev(226, 128));
	struct stat dir = {};
	ASSERT_EQ(stat("/sys/dev/char/226:128/device/drm", &dir), 0);
	EXPECT_TRUE(S_ISDIR(dir.st_mode));
	EXPECT_EQ(access(kRenderNode, R_OK | W_OK), 0);
	EXPECT_EQ(faccessat(AT_FDCWD, kRenderNode, F_OK, 0), 0);
	// libdrm's own verdict, which is what vaGetDisplayDRM asks.
	EXPECT_EQ(drmGetNodeTypeFromFd(fd), DRM_NODE_RENDER);
	ASSERT_EQ(close(fd), 0);

	// A closed fd is forgotten: the number, reused for an ordinary file, is not a node.
	int other = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ASSERT_GE(other, 0);
	ASSERT_EQ(fstat(other, &st), 0);
	EXPECT_NE(st.st_rdev, makedev(226, 128));
	close(other);
	// Other paths are untouched.
	EXPECT_NE(stat("/sys/dev/char/226:129/device/drm", &dir), 0);
}

TEST(LibavHarness, FakeRenderNodeGivesADrmDisplay)
{
	int fd = open(kRenderNode, O_RDWR | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	VADisplay display = vaGetDisplayDRM(fd);
	EXPECT_NE(display, nullptr) << "libva-drm refused the fake render node";
	if (display)
		vaTerminate(display);
	close(fd);
}

TEST(LibavHarness, ReferenceCoversEveryStream)
{
	std::set<std::string> referenced;
	for (const StreamReference &stream : referenceStreams()) {
		referenced.insert(stream.file);
		EXPECT_GE(stream.frames.size(), 8u) << stream.file;
	}
	EXPECT_GE(referenced.size(), 7u) << "reference.tsv lists too few streams";
	DIR *dir = opendir(V4L2VA_STREAM_DIR);
	ASSERT_NE(dir, nullptr) << V4L2VA_STREAM_DIR;
	static const char *const kMedia[] = {".mp4", ".mkv", ".webm", ".ivf", ".m2v", ".ts"};
	while (dirent *entry = readdir(dir)) {
		std::string name = entry->d_name;
		for (const char *ext : kMedia) {
			size_t n = strlen(ext);
			bool media = name.size() > n &&
				     name.compare(name.size() - n, std::string::npos, ext) == 0;
			if (media) {
				EXPECT_TRUE(referenced.count(name))
					<< name << " is not in reference.tsv (run make_streams.sh)";
			}
		}
	}
	closedir(dir);
}

TEST(LibavHarness, MissingDriverFailsCleanly)
{
	char emptyDir[] = "/tmp/v4l2va-no-driver-XXXXXX";
	ASSERT_NE(mkdtemp(emptyDir), nullptr);
	LibavDecoderOptions options;
	options.driversPath = emptyDir;
	LibavVaapiDecoder decoder(options);
	EXPECT_FALSE(decoder.open(streamPath("h264_high_cabac_bframes_176x144.mp4")));
	const std::string &error = decoder.error();
	EXPECT_NE(error.find("creating the VAAPI device"), std::string::npos) << error;
	// The display was made (the fake render node works) and only the driver load failed.
	EXPECT_EQ(error.find("Cannot open a VA display"), std::string::npos) << error;
	EXPECT_NE(error.find("Failed to initialise VAAPI connection"), std::string::npos) << error;
	EXPECT_EQ(decoder.display(), nullptr);
	rmdir(emptyDir);
}

// ---------------------------------------------------------------------------------------------
// Per stream.

// One test per stream and mode, registered from reference.tsv with plain names (no value
// parameter), so ctest shows e.g. LibavEmulatedFresnel.vp8_altref_176x144_ivf.
class StreamTest : public testing::Test {
public:
	explicit StreamTest(StreamReference stream) : stream_(std::move(stream)) {}

protected:
	StreamReference stream_;
};

class SoftwareDecodeTest : public StreamTest {
public:
	using StreamTest::StreamTest;
	void TestBody() override;
};

class EmulatedFresnelTest : public StreamTest {
public:
	using StreamTest::StreamTest;
	void TestBody() override;
};

void SoftwareDecodeTest::TestBody()
{
	const StreamReference &stream = stream_;
	LibavDecoderOptions options;
	options.hardware = false;
	options.threads = threadCount();
	LibavVaapiDecoder decoder(options);
	ASSERT_TRUE(decoder.open(streamPath(stream.file))) << decoder.error();
	std::vector<std::string> md5s;
	std::vector<std::string> problems;
	bool ok = decoder.decodeAll([&](const DecodedPicture &picture) {
		Nv12Copy copy = copyPicture(picture);
		size_t i = md5s.size();
		if (lumaAllZero(copy))
			problems.push_back("frame " + std::to_string(i) + ": luma all zero");
		bool sizeDiffers = i < stream.frames.size() &&
				   (copy.width != stream.frames[i].width ||
				    copy.height != stream.frames[i].height);
		if (sizeDiffers)
			problems.push_back("frame " + std::to_string(i) + ": " +
					   std::to_string(copy.width) + "x" +
					   std::to_string(copy.height));
		md5s.push_back(md5Of(copy));
		return true;
	});
	ASSERT_TRUE(ok) << decoder.error();
	EXPECT_FALSE(decoder.softwareFallback());
	ASSERT_EQ(md5s.size(), stream.frames.size()) << decoder.codecName();
	for (size_t i = 0; i < md5s.size(); i++)
		EXPECT_EQ(md5s[i], stream.frames[i].md5) << "frame " << i;
	for (const std::string &problem : problems)
		ADD_FAILURE() << problem;
}

void EmulatedFresnelTest::TestBody()
{
	const StreamReference &stream = stream_;
	// Read by the driver's seam selection when vaInitialize creates its instance.
	setenv("V4L2VA_EMULATED_BOARD", "fresnel", 1);
	LibavDecoderOptions options;
	options.driversPath = V4L2VA_DRIVER_DIR;
	options.threads = threadCount();
	LibavVaapiDecoder decoder(options);
	ASSERT_TRUE(decoder.open(streamPath(stream.file))) << decoder.error();
	ASSERT_NE(decoder.driverContext(), nullptr);
	auto testBoard = reinterpret_cast<TestBoardFn>(decoder.driverSymbol("v4l2va_test_board"));
	ASSERT_NE(testBoard, nullptr) << "the driver does not export v4l2va_test_board";
	auto *board = static_cast<v4l2emu::Board *>(testBoard(decoder.driverContext()));
	ASSERT_NE(board, nullptr) << "v4l2va_test_board returned nullptr: not on an emulated board "
				     "(V4L2VA_EMULATED_BOARD=fresnel was set)";

	std::vector<Nv12Copy> frames;
	bool ok = decoder.decodeAll([&](const DecodedPicture &picture) {
		frames.push_back(copyPicture(picture));
		return true;
	});
	ASSERT_FALSE(decoder.softwareFallback()) << decoder.error();
	ASSERT_TRUE(ok) << decoder.error();
	EXPECT_EQ(frames.size(), stream.frames.size())
		<< "frames out of the VA decode vs the software decode";

	// The emulator's view, read while the driver instance (and so the board) is alive.
	std::vector<v4l2emu::DecodedFrame> decoded = board->decodedFrames();
	std::vector<v4l2emu::Diagnostic> diagnostics = board->diagnostics();
	EXPECT_FALSE(decoded.empty()) << "the board decoded nothing";

	std::vector<ExpectedPicture> expected;
	std::set<uint64_t> rendered;
	for (const v4l2emu::DecodedFrame &frame : decoded) {
		if (!frame.signature || !rendered.insert(frame.signature).second)
			continue;	// 0: the all-zero picture, which a frame must not be anyway
		ExpectedPicture picture;
		std::string why;
		if (renderExpected(frame, &picture, &why))
			expected.push_back(std::move(picture));
		else
			ADD_FAILURE() << "job " << frame.job << " on " << frame.device << ": "
				      << why;
	}

	for (size_t i = 0; i < frames.size(); i++) {
		const Nv12Copy &got = frames[i];
		if (i < stream.frames.size()) {
			EXPECT_EQ(got.width, stream.frames[i].width) << "frame " << i;
			EXPECT_EQ(got.height, stream.frames[i].height) << "frame " << i;
		}
		if (lumaAllZero(got)) {
			ADD_FAILURE() << "frame " << i << " (surface " << got.surface
				      << "): luma is all zero";
			continue;
		}
		long best = -1;
		const ExpectedPicture *closest = nullptr;
		std::string closestFirst;
		for (const ExpectedPicture &picture : expected) {
			std::string first;
			long differ = differingBytes(got, picture, &first);
			if (differ >= 0 && (best < 0 || differ < best)) {
				best = differ;
				closest = &picture;
				closestFirst = first;
			}
			if (differ == 0)
				break;
		}
		if (best == 0)
			continue;
		std::ostringstream message;
		message << "frame " << i << " (surface " << got.surface << ", " << got.width << "x"
			<< got.height << ") is none of the " << expected.size()
			<< " pictures the board decoded";
		if (closest)
			message << "; closest: job " << closest->frame.job << " signature 0x"
				<< std::hex << closest->frame.signature << std::dec << " ("
				<< closest->layout.width << "x" << closest->layout.height << "), "
				<< best << " bytes differ, first at " << closestFirst;
		ADD_FAILURE() << message.str();
	}

	std::ostringstream bad;
	for (const v4l2emu::Diagnostic &d : diagnostics)
		if (isReferenceOrControlDiagnostic(d.kind))
			bad << "\n  " << v4l2emu::toString(d.kind) << " on " << d.device << " job "
			    << d.job << ": " << d.message;
	EXPECT_TRUE(bad.str().empty()) << "board diagnostics:" << bad.str();
}

[[maybe_unused]] const bool kStreamTestsRegistered = [] {
	for (const StreamReference &stream : referenceStreams()) {
		std::string name = testName(stream);
		testing::RegisterTest(
			"LibavSoftware", name.c_str(), nullptr, nullptr, __FILE__, __LINE__,
			[stream]() -> StreamTest * { return new SoftwareDecodeTest(stream); });
		testing::RegisterTest(
			"LibavEmulatedFresnel", name.c_str(), nullptr, nullptr, __FILE__, __LINE__,
			[stream]() -> StreamTest * { return new EmulatedFresnelTest(stream); });
	}
	return true;
}();

} // namespace
} // namespace v4l2va::test
