// SPDX-License-Identifier: MIT
// End-to-end decode through the seam for every codec of every board.
#include "emu_fixture.h"

#include "engine/picture.h"

#include <algorithm>

namespace v4l2emu::test {
namespace {

struct DecodeCase {
	const char *board;
	const char *device;
	uint32_t fourcc;
	uint32_t width, height;
	KernelVersion kernel;
};

class DecodeEachCodec : public EmuTest, public ::testing::WithParamInterface<DecodeCase> {
};

TEST_P(DecodeEachCodec, FramesAreNonZeroAndMatchTheLog)
{
	const DecodeCase &c = GetParam();
	BoardOptions options;
	options.kernel = c.kernel;
	useBoard(c.board, options);
	Session s;
	std::string what;
	ASSERT_EQ(startSession(s, c.device, c.fourcc, c.width, c.height, 2, 4, &what), 0) << what;
	std::vector<std::pair<uint8_t *, size_t>> caps;
	for (uint32_t i = 0; i < s.numCapture; i++) {
		size_t len = 0;
		auto *p = static_cast<uint8_t *>(mapBuffer(s.fd, s.capType, i, 0, &len, PROT_READ));
		ASSERT_NE(p, nullptr);
		caps.emplace_back(p, len);
	}
	CodecControls ctrls = CodecControls::forFourcc(c.fourcc, c.width, c.height);
	std::vector<uint64_t> signatures;
	for (uint32_t frame = 0; frame < 6; frame++) {
		struct v4l2_buffer cap {};
		uint64_t ts = 1000 * (frame + 1);
		ASSERT_EQ(decodeOne(s, ctrls, frame % s.numOutput, frame % s.numCapture, ts, &cap), 0);
		EXPECT_FALSE(cap.flags & V4L2_BUF_FLAG_ERROR);
		EXPECT_EQ(cap.timestamp.tv_usec, static_cast<suseconds_t>(ts / 1000));
		auto [p, len] = caps[cap.index];
		PictureLayout layout;
		const auto &f = s.captureFormat;
		uint32_t fourcc = V4L2_TYPE_IS_MULTIPLANAR(f.type) ? f.fmt.pix_mp.pixelformat
								  : f.fmt.pix.pixelformat;
		uint32_t w = V4L2_TYPE_IS_MULTIPLANAR(f.type) ? f.fmt.pix_mp.width : f.fmt.pix.width;
		uint32_t h = V4L2_TYPE_IS_MULTIPLANAR(f.type) ? f.fmt.pix_mp.height : f.fmt.pix.height;
		uint32_t bpl = V4L2_TYPE_IS_MULTIPLANAR(f.type) ? f.fmt.pix_mp.plane_fmt[0].bytesperline
							       : f.fmt.pix.bytesperline;
		ASSERT_EQ(describeLayout(fourcc, w, h, bpl, &layout), 0);
		EXPECT_FALSE(isAllZero(layout, p));
		auto frames = board().decodedFrames();
		ASSERT_FALSE(frames.empty());
		EXPECT_EQ(frames.back().timestampNs, ts);
		std::vector<uint8_t> expected(layout.sizeimage);
		renderPicture(frames.back().signature, layout, expected.data());
		EXPECT_EQ(visibleChecksum(layout, p), visibleChecksum(layout, expected.data()));
		signatures.push_back(frames.back().signature);
	}
	std::sort(signatures.begin(), signatures.end());
	EXPECT_EQ(std::unique(signatures.begin(), signatures.end()), signatures.end())
		<< "different pictures must have different signatures";
	EXPECT_TRUE(board().diagnostics().empty());
	for (auto &[p, len] : caps)
		unmap(p, len);
	endSession(s);
}

INSTANTIATE_TEST_SUITE_P(
	Boards, DecodeEachCodec,
	::testing::Values(
		DecodeCase{"fresnel", "rkvdec", V4L2_PIX_FMT_H264_SLICE, 320, 240, KernelVersion::Mainline},
		DecodeCase{"fresnel", "rkvdec", V4L2_PIX_FMT_HEVC_SLICE, 320, 240, KernelVersion::Mainline},
		DecodeCase{"fresnel", "rkvdec", V4L2_PIX_FMT_VP9_FRAME, 320, 240, KernelVersion::Mainline},
		DecodeCase{"fresnel", "hantro-vpu", V4L2_PIX_FMT_MPEG2_SLICE, 320, 240, KernelVersion::Mainline},
		DecodeCase{"fresnel", "hantro-vpu", V4L2_PIX_FMT_VP8_FRAME, 320, 240, KernelVersion::Mainline},
		DecodeCase{"rkvdec", "rkvdec", V4L2_PIX_FMT_H264_SLICE, 320, 240, KernelVersion::V6_12},
		DecodeCase{"visl", "visl", V4L2_PIX_FMT_H264_SLICE, 320, 240, KernelVersion::Mainline},
		DecodeCase{"visl", "visl", V4L2_PIX_FMT_VP9_FRAME, 320, 240, KernelVersion::Mainline},
		DecodeCase{"cedrus", "cedrus", V4L2_PIX_FMT_MPEG2_SLICE, 320, 240, KernelVersion::Mainline},
		DecodeCase{"cedrus-tiled", "cedrus", V4L2_PIX_FMT_H264_SLICE, 320, 240, KernelVersion::Mainline}),
	[](const ::testing::TestParamInfo<DecodeCase> &info) {
		std::string n = std::string(info.param.board) + "_" + info.param.device + "_";
		uint32_t f = info.param.fourcc;
		for (int i = 0; i < 4; i++)
			n += static_cast<char>((f >> (8 * i)) & 0xff);
		n += info.param.kernel == KernelVersion::V6_12 ? "_6_12" : "_mainline";
		std::replace(n.begin(), n.end(), '-', '_');
		return n;
	});

} // namespace
} // namespace v4l2emu::test
