// SPDX-License-Identifier: MIT
// The libavcodec engine end to end, in-process: each corpus stream decoded by libavcodec's
// VAAPI hwaccel through v4l2_request_drv_video.so on an emulated board whose engine is the
// libavcodec one (V4L2EMU_ENGINE=libav). For a codec with a rebuilder (engine/libav/rebuild.h)
// every downloaded frame must be bit-exact with the software decode (reference.tsv) and the
// board must have recorded no reference, control or engine diagnostic; for a codec without
// one the decode must fail with the engine's "no rebuilder" diagnostic (a hardware error),
// never with a picture. Boards: fresnel (NV12 CAPTURE) and cedrus-tiled (NV12_32L32 only, so
// the engine's tiling and the driver's detiling meet).
#include "libav_vaapi_decoder.h"
#include "stream_reference.h"

#include "engine/libav/rebuild.h"

#include <v4l2emu/board.h>

#include <gtest/gtest.h>

#include <linux/videodev2.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#ifndef V4L2VA_STREAM_DIR
#error "V4L2VA_STREAM_DIR must name corpus/streams"
#endif
#ifndef V4L2VA_DRIVER_DIR
#error "V4L2VA_DRIVER_DIR must name the directory of v4l2_request_drv_video.so"
#endif

namespace v4l2va::test {
namespace {

struct Reference {
	std::string file;
	std::vector<std::string> md5s;	///< output order
};

/// The streams of reference.tsv with their frames' MD5s (output order).
std::vector<Reference> loadReference()
{
	std::vector<Reference> out;
	for (const StreamReference &stream : readStreamReferences()) {
		Reference ref {stream.file, {}};
		for (const ReferenceFrame &frame : stream.frames)
			ref.md5s.push_back(frame.md5);
		out.push_back(std::move(ref));
	}
	return out;
}

std::string codecOf(const std::string &file)
{
	return file.substr(0, file.find('_'));
}

std::string md5Of(const DecodedPicture &p)
{
	return nv12Md5(p.y, p.yStride, p.uv, p.uvStride, p.width, p.height);
}

using TestBoardFn = void *(*)(VADriverContextP);

class EngineStreamTest : public testing::Test {
public:
	EngineStreamTest(Reference ref, std::string board) : ref_(std::move(ref)), board_(std::move(board)) {}
	void TestBody() override;

private:
	Reference ref_;
	std::string board_;
};

void EngineStreamTest::TestBody()
{
	ASSERT_TRUE(v4l2emu::Board::engineAvailable(v4l2emu::EngineKind::Libav));
	setenv("V4L2VA_EMULATED_BOARD", board_.c_str(), 1);
	setenv("V4L2EMU_ENGINE", "libav", 1);
	LibavDecoderOptions options;
	options.driversPath = V4L2VA_DRIVER_DIR;
	// Frame threads make the hwaccel submit from several threads; the engine decodes in
	// submission (decode) order whatever the threads do. 1 under TSan (see libav_decode_test).
	options.threads = getenv("V4L2VA_LIBAV_THREADS") ? atoi(getenv("V4L2VA_LIBAV_THREADS")) : 2;
	LibavVaapiDecoder decoder(options);
	bool opened = decoder.open(streamPath(ref_.file));
	unsetenv("V4L2EMU_ENGINE");
	ASSERT_TRUE(opened) << decoder.error();
	auto testBoard = reinterpret_cast<TestBoardFn>(decoder.driverSymbol("v4l2va_test_board"));
	ASSERT_NE(testBoard, nullptr);
	auto *board = static_cast<v4l2emu::Board *>(testBoard(decoder.driverContext()));
	ASSERT_NE(board, nullptr);
	ASSERT_EQ(board->options().engine, v4l2emu::EngineKind::Libav);

	std::vector<std::string> md5s;
	bool ok = decoder.decodeAll([&](const DecodedPicture &picture) {
		md5s.push_back(md5Of(picture));
		return true;
	});
	std::vector<v4l2emu::Diagnostic> diagnostics = board->diagnostics();
	std::string codec = codecOf(ref_.file);
	if (!v4l2emu::libav::findRebuilder(codec.c_str())) {
		// No rebuilder: every job fails as a hardware error naming the reason.
		EXPECT_FALSE(ok && md5s == ref_.md5s) << "decoded without a rebuilder?";
		bool said = false;
		for (const v4l2emu::Diagnostic &d : diagnostics)
			said |= d.kind == v4l2emu::DiagnosticKind::EngineError &&
				d.message.find("no rebuilder for codec " + codec) != std::string::npos;
		EXPECT_TRUE(said) << "no 'no rebuilder' engine diagnostic for " << codec;
		return;
	}
	ASSERT_TRUE(ok) << decoder.error();
	EXPECT_FALSE(decoder.softwareFallback());
	ASSERT_EQ(md5s.size(), ref_.md5s.size());
	for (size_t i = 0; i < md5s.size(); i++)
		EXPECT_EQ(md5s[i], ref_.md5s[i]) << "frame " << i << " differs from the software decode";
	std::ostringstream bad;
	for (const v4l2emu::Diagnostic &d : diagnostics)
		if (d.kind != v4l2emu::DiagnosticKind::UnsupportedCall)
			bad << "\n  " << v4l2emu::toString(d.kind) << " job " << d.job << ": " << d.message;
	EXPECT_TRUE(bad.str().empty()) << "board diagnostics:" << bad.str();
	for (const v4l2emu::DecodedFrame &f : board->decodedFrames()) {
		EXPECT_NE(f.signature, 0u) << "job " << f.job << " recorded an all-zero picture";
		if (board_ == "cedrus-tiled") {
			EXPECT_EQ(f.pixelformat, static_cast<uint32_t>(V4L2_PIX_FMT_NV12_32L32));
		}
	}
}

std::string testName(const std::string &file)
{
	std::string name = file;
	for (char &c : name)
		if (!isalnum(static_cast<unsigned char>(c)))
			c = '_';
	return name;
}

[[maybe_unused]] const bool kRegistered = [] {
	for (const Reference &ref : loadReference()) {
		std::string name = testName(ref.file);
		testing::RegisterTest("LibavEngineFresnel", name.c_str(), nullptr, nullptr, __FILE__,
				      __LINE__, [ref]() -> testing::Test * {
					      return new EngineStreamTest(ref, "fresnel");
				      });
		// cedrus decodes H.264 and HEVC slice by slice (HOLD_CAPTURE_BUF between the
		// slices of a picture): the engine joins them into one packet. The WPP clip also
		// sends ENTRY_POINT_OFFSETS (a U32 array), which cedrus registers.
		if (codecOf(ref.file) == "h264" || codecOf(ref.file) == "hevc")
			testing::RegisterTest("LibavEngineCedrusSliceBased", name.c_str(), nullptr,
					      nullptr, __FILE__, __LINE__, [ref]() -> testing::Test * {
						      return new EngineStreamTest(ref, "cedrus");
					      });
		// cedrus-tiled decodes into 32x32 tiles only.
		if (codecOf(ref.file) == "mpeg2")
			testing::RegisterTest("LibavEngineCedrusTiled", name.c_str(), nullptr, nullptr,
					      __FILE__, __LINE__, [ref]() -> testing::Test * {
						      return new EngineStreamTest(ref, "cedrus-tiled");
					      });
	}
	return true;
}();

} // namespace
} // namespace v4l2va::test

namespace v4l2va::test {
namespace {

/// The MPEG-2 controls of one picture, for calling the rebuilder directly.
class Mpeg2Controls final : public v4l2emu::ControlReader {
public:
	struct v4l2_ctrl_mpeg2_sequence seq {};
	struct v4l2_ctrl_mpeg2_picture pic {};
	struct v4l2_ctrl_mpeg2_quantisation quant {};
	const void *get(uint32_t id, uint32_t *elems) const override
	{
		if (elems)
			*elems = 1;
		switch (id) {
		case V4L2_CID_STATELESS_MPEG2_SEQUENCE: return &seq;
		case V4L2_CID_STATELESS_MPEG2_PICTURE: return &pic;
		case V4L2_CID_STATELESS_MPEG2_QUANTISATION: return &quant;
		default: return nullptr;
		}
	}
	bool wasSet(uint32_t) const override { return true; }
};

// Decode order I0 P1 B2 (refs I0, P1) P3 (ref P1): the rebuilder follows the anchors the
// bitstream makes the decoder use and says when the controls name other pictures.
TEST(Mpeg2Rebuilder, ReferencesOtherThanTheDecodersAnchorsAreReported)
{
	const v4l2emu::libav::Rebuilder *r = v4l2emu::libav::findRebuilder("mpeg2");
	ASSERT_NE(r, nullptr);
	auto state = r->createState();
	Mpeg2Controls c;
	c.seq = {176, 144, 0, 0x48, 1, V4L2_MPEG2_SEQ_FLAG_PROGRESSIVE};
	c.pic.picture_structure = V4L2_MPEG2_PIC_FRAME;
	const uint8_t slice[] = {0, 0, 1, 1, 0x12, 0x34};
	v4l2emu::DecodeJob job;
	job.controls = &c;
	job.bitstream = slice;
	job.bitstreamSize = sizeof(slice);
	std::vector<uint8_t> packet;
	auto run = [&](uint64_t ts, uint8_t type, uint64_t fwd, uint64_t bwd, const char **why) {
		job.timestampNs = ts;
		c.pic.picture_coding_type = type;
		c.pic.forward_ref_ts = fwd;
		c.pic.backward_ref_ts = bwd;
		packet.clear();
		return r->rebuild(state.get(), job, packet, why);
	};
	const char *why = nullptr;
	EXPECT_EQ(run(1000, V4L2_MPEG2_PIC_CODING_TYPE_I, 0, 0, &why), 0);
	// Sequence header (once), picture header, extensions, then the slice as queued.
	ASSERT_GE(packet.size(), sizeof(slice) + 12);
	EXPECT_EQ(packet[3], 0xb3);
	EXPECT_TRUE(std::equal(std::end(slice) - sizeof(slice), std::end(slice), packet.end() - sizeof(slice)));
	EXPECT_EQ(run(2000, V4L2_MPEG2_PIC_CODING_TYPE_P, 1000, 0, &why), 0);
	EXPECT_NE(packet[3], 0xb3) << "the unchanged sequence header is not repeated";
	EXPECT_EQ(run(3000, V4L2_MPEG2_PIC_CODING_TYPE_B, 1000, 2000, &why), 0);
	EXPECT_EQ(run(3100, V4L2_MPEG2_PIC_CODING_TYPE_B, 2000, 1000, &why), 1) << "swapped";
	EXPECT_NE(std::string(why).find("B picture"), std::string::npos) << why;
	EXPECT_EQ(run(4000, V4L2_MPEG2_PIC_CODING_TYPE_P, 1000, 0, &why), 1) << "not the latest anchor";
	EXPECT_EQ(run(5000, V4L2_MPEG2_PIC_CODING_TYPE_P, 4000, 0, &why), 0) << "P4000 was an anchor";
}

} // namespace
} // namespace v4l2va::test

namespace v4l2va::test {
namespace {

class Vp9Controls final : public v4l2emu::ControlReader {
public:
	struct v4l2_ctrl_vp9_frame frame {};
	const void *get(uint32_t id, uint32_t *elems) const override
	{
		if (elems)
			*elems = 1;
		return id == V4L2_CID_STATELESS_VP9_FRAME ? &frame : nullptr;
	}
	bool wasSet(uint32_t) const override { return true; }
};

/// The start of a VP9 profile 0 uncompressed header (6.2): a key frame, or a shown inter
/// frame with refresh_frame_flags and ref_frame_idx[3].
std::vector<uint8_t> vp9Header(bool key, uint8_t refresh, const uint8_t refIdx[3])
{
	std::vector<bool> bits = {true, false, false, false, false, !key, true, false};
	auto put = [&](uint32_t v, int n) {
		for (int i = n - 1; i >= 0; i--)
			bits.push_back((v >> i) & 1);
	};
	if (key) {
		put(0x498342, 24);
	} else {
		put(0, 2);	// reset_frame_context
		put(refresh, 8);
		for (int i = 0; i < 3; i++) {
			put(refIdx[i], 3);
			put(0, 1);
		}
	}
	std::vector<uint8_t> out((bits.size() + 7) / 8 + 8, 0);
	for (size_t i = 0; i < bits.size(); i++)
		if (bits[i])
			out[i / 8] |= static_cast<uint8_t>(0x80 >> (i % 8));
	return out;
}

// Slots: key frame K (ts 1) fills all 8; inter frame A (ts 2) refreshes slot 0. A frame whose
// header predicts from slots 0/1/2 must name A, K, K in the control.
TEST(Vp9Rebuilder, ReferencesOtherThanTheHeadersSlotsAreReported)
{
	const v4l2emu::libav::Rebuilder *r = v4l2emu::libav::findRebuilder("vp9");
	ASSERT_NE(r, nullptr);
	auto state = r->createState();
	Vp9Controls c;
	v4l2emu::DecodeJob job;
	job.controls = &c;
	std::vector<uint8_t> packet;
	const char *why = nullptr;
	auto run = [&](uint64_t ts, const std::vector<uint8_t> &frame, uint64_t last, uint64_t golden,
		       uint64_t alt) {
		job.timestampNs = ts;
		job.bitstream = frame.data();
		job.bitstreamSize = frame.size();
		c.frame.last_frame_ts = last;
		c.frame.golden_frame_ts = golden;
		c.frame.alt_frame_ts = alt;
		packet.clear();
		int ret = r->rebuild(state.get(), job, packet, &why);
		EXPECT_EQ(packet, frame) << "the frame goes to the decoder as queued";
		return ret;
	};
	const uint8_t slots012[3] = {0, 1, 2};
	EXPECT_EQ(run(1, vp9Header(true, 0, slots012), 0, 0, 0), 0);
	EXPECT_EQ(run(2, vp9Header(false, 0x01, slots012), 1, 1, 1), 0);
	EXPECT_EQ(run(3, vp9Header(false, 0x00, slots012), 2, 1, 1), 0);
	EXPECT_EQ(run(4, vp9Header(false, 0x00, slots012), 1, 1, 1), 1) << "last is slot 0 = ts 2";
	EXPECT_NE(std::string(why).find("ref_frame_idx"), std::string::npos) << why;
	EXPECT_EQ(run(5, vp9Header(false, 0x00, slots012), 2, 2, 1), 1) << "golden is slot 1 = ts 1";
}

} // namespace
} // namespace v4l2va::test
