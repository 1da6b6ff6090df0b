// SPDX-License-Identifier: MIT
// The iter5b sequence captured on the fresnel board: an H.264 OUTPUT format fed HEVC
// controls decodes to an all-zero frame; the attempted switch to HEVC then fails with EBUSY
// on S_FMT and on REQBUFS(0) because the queues stream; a client that ignores those errors and
// tears down its capture mappings crashes on the next read of a plane pointer.
#include "emu_fixture.h"

#include <poll.h>

#include <algorithm>

namespace v4l2emu::test {
namespace {

class Iter5b : public EmuTest {
protected:
	static constexpr uint32_t kWidth = 320, kHeight = 240;

	// Steps 1-3 of the capture: H.264 session, capture pool mapped and streaming, one HEVC
	// picture decoded.
	void runUntilDecoded()
	{
		fd_ = openVideo("rkvdec");
		ASSERT_GE(fd_, 0);
		media_ = openMedia("rkvdec");
		ASSERT_GE(media_, 0);
		out_ = outType(fd_);
		cap_ = capType(fd_);
		ASSERT_EQ(setFormat(fd_, out_, V4L2_PIX_FMT_H264_SLICE, kWidth, kHeight), 0);
		ASSERT_EQ(reqbufs(fd_, out_, 2), 2);
		ASSERT_EQ(reqbufs(fd_, cap_, 4), 4);
		for (uint32_t i = 0; i < 4; i++) {
			size_t len = 0;
			void *p = mapBuffer(fd_, cap_, i, 0, &len, PROT_READ);
			ASSERT_NE(p, nullptr);
			capMaps_.emplace_back(static_cast<uint8_t *>(p), len);
		}
		size_t outLen = 0;
		auto *bits = static_cast<uint8_t *>(mapBuffer(fd_, out_, 0, 0, &outLen));
		ASSERT_NE(bits, nullptr);
		std::fill(bits, bits + 512, 0x5a);
		ASSERT_EQ(streamon(fd_, out_), 0);
		ASSERT_EQ(streamon(fd_, cap_), 0);

		int req = allocRequest(media_);
		ASSERT_GE(req, 0);
		CodecControls hevc = CodecControls::hevc(kWidth, kHeight);
		// rkvdec only runs the current codec's try_ctrl (RK:rkvdec_try_ctrl): accepted.
		ASSERT_EQ(setControls(fd_, hevc, req), 0);
		ASSERT_EQ(qbuf(fd_, out_, 0, req, 1000, 512), 0);
		ASSERT_EQ(qbuf(fd_, cap_, 0), 0);
		ASSERT_EQ(queueRequest(req), 0);
		struct pollfd pfd {req, POLLPRI, 0};
		ASSERT_EQ(io().poll(&pfd, 1, 2000), 1);
		struct v4l2_buffer b {};
		ASSERT_EQ(dqbuf(fd_, out_, &b), 0);
		ASSERT_EQ(dqbuf(fd_, cap_, &b), 0);
		decoded_ = b;
		unmap(bits, outLen);
	}

	int fd_ = -1, media_ = -1;
	uint32_t out_ = 0, cap_ = 0;
	std::vector<std::pair<uint8_t *, size_t>> capMaps_;
	struct v4l2_buffer decoded_ {};
};

TEST_F(Iter5b, HevcControlsOnH264OutputDecodeAllZero)
{
	runUntilDecoded();
	// The board returned the buffer without ERROR: DQBUF succeeds for garbage decodes.
	EXPECT_FALSE(decoded_.flags & V4L2_BUF_FLAG_ERROR);
	const auto &[p, len] = capMaps_[decoded_.index];
	EXPECT_TRUE(std::all_of(p, p + len, [](uint8_t v) { return v == 0; }));
	EXPECT_EQ(countDiagnostics(DiagnosticKind::MissingControls), 1u);
}

TEST_F(Iter5b, SFmtToHevcWhileStreamingIsEbusySixTimes)
{
	runUntilDecoded();
	struct v4l2_format before {};
	ASSERT_EQ(getFormat(fd_, out_, &before), 0);
	for (int attempt = 0; attempt < 6; attempt++)
		EXPECT_EQ(setFormat(fd_, out_, V4L2_PIX_FMT_HEVC_SLICE, kWidth, kHeight), -EBUSY);
	struct v4l2_format after {};
	ASSERT_EQ(getFormat(fd_, out_, &after), 0);
	EXPECT_EQ(after.fmt.pix_mp.pixelformat, static_cast<uint32_t>(V4L2_PIX_FMT_H264_SLICE));
	EXPECT_EQ(memcmp(&before, &after, sizeof(before)), 0);
}

TEST_F(Iter5b, ReqbufsZeroWhileStreamingIsEbusyAndFreesNothing)
{
	runUntilDecoded();
	EXPECT_EQ(reqbufs(fd_, cap_, 0), -EBUSY);
	struct v4l2_plane planes[VIDEO_MAX_PLANES] = {};
	struct v4l2_buffer b {};
	EXPECT_EQ(querybuf(fd_, cap_, 3, &b, planes), 0);
	EXPECT_EQ(board().stats().devices[0].liveBuffers, 6u);
}

TEST_F(Iter5b, StalePlanePointerAfterUnmapDies)
{
	GTEST_FLAG_SET(death_test_style, "threadsafe");
	runUntilDecoded();
	uint8_t *stale = capMaps_[0].first;
	for (auto &[p, len] : capMaps_)
		ASSERT_EQ(unmap(p, len), 0);
	// The capture pool is gone: what GetImage did on the board with its cached pointer.
	EXPECT_DEATH({ volatile uint8_t v = stale[0]; (void)v; }, "");
}

} // namespace
} // namespace v4l2emu::test
