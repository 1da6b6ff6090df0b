// SPDX-License-Identifier: MIT
// Pictures (layouts, rendering, detiling, checksums), fault plan text, ioctl/errno names.
#include "core/control_tamper.h"
#include "engine/picture.h"

#include <v4l2emu/fault_plan.h>
#include <v4l2emu/formats.h>
#include <v4l2emu/ioctl_names.h>

#include <gtest/gtest.h>

#include <linux/media.h>
#include <linux/videodev2.h>

#include <algorithm>
#include <cerrno>
#include <vector>

namespace v4l2emu {
namespace {

struct Size {
	uint32_t w, h;
};

TEST(Picture, EveryLayoutDetilesToTheExpectedNv12)
{
	for (uint32_t fourcc : {V4L2_PIX_FMT_NV12, V4L2_PIX_FMT_YUV420, V4L2_PIX_FMT_NV12_32L32,
				V4L2_PIX_FMT_NV12_4L4}) {
		for (Size s : {Size{48, 48}, Size{64, 36}, Size{33, 17}, Size{1920, 1088}}) {
			PictureLayout l;
			ASSERT_EQ(describeLayout(fourcc, s.w, s.h, 0, &l), 0);
			std::vector<uint8_t> pic(l.sizeimage);
			renderPicture(42, l, pic.data());
			uint32_t uvStride = 2 * ((s.w + 1) / 2);
			std::vector<uint8_t> y(s.w * s.h), uv(uvStride * ((s.h + 1) / 2));
			detileToNv12(l, pic.data(), y.data(), s.w, uv.data(), uvStride);
			std::vector<uint8_t> ey(y.size()), euv(uv.size());
			ASSERT_EQ(expectedNv12(42, s.w, s.h, ey.data(), s.w, euv.data(), uvStride), 0);
			EXPECT_EQ(y, ey) << std::hex << fourcc << " " << s.w << "x" << s.h;
			EXPECT_EQ(uv, euv) << std::hex << fourcc << " " << s.w << "x" << s.h;
			EXPECT_FALSE(isAllZero(l, pic.data()));
			EXPECT_TRUE(std::none_of(y.begin(), y.end(), [](uint8_t v) { return v == 0; }));
		}
	}
}

TEST(Picture, ChecksumIsLayoutIndependentAndSignatureDependent)
{
	PictureLayout lin, tiled;
	ASSERT_EQ(describeLayout(V4L2_PIX_FMT_NV12, 320, 240, 0, &lin), 0);
	ASSERT_EQ(describeLayout(V4L2_PIX_FMT_NV12_32L32, 320, 240, 0, &tiled), 0);
	std::vector<uint8_t> a(lin.sizeimage), b(tiled.sizeimage), c(lin.sizeimage);
	renderPicture(7, lin, a.data());
	renderPicture(7, tiled, b.data());
	renderPicture(8, lin, c.data());
	EXPECT_EQ(visibleChecksum(lin, a.data()), visibleChecksum(tiled, b.data()));
	EXPECT_NE(visibleChecksum(lin, a.data()), visibleChecksum(lin, c.data()));
}

TEST(Picture, VariesAlongColumnsSoStrideBugsShow)
{
	PictureLayout l;
	ASSERT_EQ(describeLayout(V4L2_PIX_FMT_NV12, 64, 16, 0, &l), 0);
	std::vector<uint8_t> a(l.sizeimage);
	renderPicture(3, l, a.data());
	uint64_t before = visibleChecksum(l, a.data());
	std::swap(a[5], a[6]);
	EXPECT_NE(before, visibleChecksum(l, a.data()));
	EXPECT_NE(a[0], a[1]);
}

TEST(Picture, BadLayouts_Einval)
{
	PictureLayout l;
	EXPECT_EQ(describeLayout(V4L2_PIX_FMT_H264_SLICE, 64, 64, 0, &l), -EINVAL);
	EXPECT_EQ(describeLayout(V4L2_PIX_FMT_NV12, 0, 64, 0, &l), -EINVAL);
	EXPECT_EQ(describeLayout(V4L2_PIX_FMT_NV12, 64, 64, 32, &l), -EINVAL) << "stride < width";
	EXPECT_EQ(describeLayout(V4L2_PIX_FMT_NV12_32L32, 64, 64, 48, &l), -EINVAL);
}

TEST(Picture, CedrusTiledSizeMatchesTheDriver)
{
	// CV:cedrus_prepare_format: stride align32(W), height align32, chroma align64(H)/2 rows.
	PictureLayout l;
	ASSERT_EQ(describeLayout(V4L2_PIX_FMT_NV12_32L32, 16, 32, 0, &l), 0);
	EXPECT_EQ(l.sizeimage, 2048u);
}

TEST(Hash, DeterministicAndSensitive)
{
	uint8_t a[13] = {1, 2, 3};
	uint8_t b[13] = {1, 2, 3};
	EXPECT_EQ(hashBytes(1, a, sizeof(a)), hashBytes(1, b, sizeof(b)));
	b[12] = 1;
	EXPECT_NE(hashBytes(1, a, sizeof(a)), hashBytes(1, b, sizeof(b)));
	EXPECT_NE(hashBytes(1, a, sizeof(a)), hashBytes(2, a, sizeof(a)));
	EXPECT_NE(mix64(1), mix64(2));
}

TEST(FaultPlanText, ParsesEveryRuleKind)
{
	FaultPlan p;
	std::string err;
	ASSERT_EQ(FaultPlan::parse("ioctl=VIDIOC_QBUF,nth=3,errno=EIO,count=2,device=rkvdec; "
				   "decode=hang,nth=2,device=hantro-vpu;unplug=rkvdec,after=100;"
				   "nomem=1,nth=4",
				   &p, &err), 0) << err;
	ASSERT_EQ(p.ioctls.size(), 1u);
	EXPECT_EQ(p.ioctls[0].request, static_cast<unsigned long>(VIDIOC_QBUF));
	EXPECT_EQ(p.ioctls[0].nth, 3u);
	EXPECT_EQ(p.ioctls[0].count, 2u);
	EXPECT_EQ(p.ioctls[0].error, EIO);
	EXPECT_EQ(p.ioctls[0].device, "rkvdec");
	ASSERT_EQ(p.decodes.size(), 1u);
	EXPECT_EQ(p.decodes[0].kind, DecodeFaultKind::Hang);
	ASSERT_EQ(p.unplugs.size(), 1u);
	EXPECT_EQ(p.unplugs[0].after, 100u);
	ASSERT_EQ(p.memory.size(), 1u);
	EXPECT_EQ(p.memory[0].nth, 4u);
	FaultPlan again;
	ASSERT_EQ(FaultPlan::parse(p.toString(), &again, &err), 0) << err;
	EXPECT_EQ(again.toString(), p.toString());
	FaultPlan empty;
	EXPECT_EQ(FaultPlan::parse("", &empty, &err), 0);
	EXPECT_TRUE(empty.empty());
	ASSERT_EQ(FaultPlan::parse("ioctl=MEDIA_REQUEST_IOC_QUEUE,errno=5", &p, &err), 0);
	EXPECT_EQ(p.ioctls[0].error, 5);
}

TEST(FaultPlanText, EveryErrorNamesTheRuleAndKeepsThePlan)
{
	const char *bad[] = {
		"ioctl=VIDIOC_NOPE,errno=EIO",	"ioctl=VIDIOC_QBUF",	     "ioctl=VIDIOC_QBUF,errno=ENOPE",
		"ioctl=VIDIOC_QBUF,errno=EIO,nth=0", "ioctl=VIDIOC_QBUF,errno=EIO,nth=-1",
		"ioctl=VIDIOC_QBUF,errno=EIO,nth=3x", "ioctl=VIDIOC_QBUF,errno=EIO,nth=99999999999999999999",
		"decode=boom",			"decode=error,errno=EIO",    "unplug=",
		"unplug=rkvdec,nth=2",		"nomem=2",		     "frobnicate=1",
		"ioctl",			"ioctl=VIDIOC_QBUF,errno=EIO,color=red",
	};
	for (const char *text : bad) {
		FaultPlan p;
		p.decodes.push_back({"x", DecodeFaultKind::Error, 9});
		std::string err;
		EXPECT_EQ(FaultPlan::parse(text, &p, &err), -EINVAL) << text;
		EXPECT_NE(err.find("fault rule"), std::string::npos) << text << ": " << err;
		EXPECT_EQ(p.decodes.size(), 1u) << "untouched on failure";
	}
}

TEST(Names, IoctlsAndErrnosBothWays)
{
	EXPECT_STREQ(ioctlName(VIDIOC_QBUF), "VIDIOC_QBUF");
	EXPECT_STREQ(ioctlName(MEDIA_REQUEST_IOC_QUEUE), "MEDIA_REQUEST_IOC_QUEUE");
	EXPECT_STREQ(ioctlName(VIDIOC_REMOVE_BUFS), "VIDIOC_REMOVE_BUFS");
	EXPECT_EQ(ioctlByName("VIDIOC_S_EXT_CTRLS"), static_cast<unsigned long>(VIDIOC_S_EXT_CTRLS));
	EXPECT_EQ(ioctlName(0x12345678), nullptr);
	EXPECT_EQ(ioctlByName("VIDIOC_NOPE"), 0u);
	EXPECT_STREQ(errnoName(EBADR), "EBADR");
	EXPECT_EQ(errnoByName("ENOTTY"), ENOTTY);
	EXPECT_EQ(errnoByName("ENOPE"), 0);
	EXPECT_EQ(errnoName(0), nullptr);
}

} // namespace
} // namespace v4l2emu

namespace v4l2emu {
namespace {

TEST(Picture, TenBitAnd422LayoutsRenderNonZero)
{
	for (uint32_t fourcc : {V4L2_PIX_FMT_NV16, V4L2_PIX_FMT_NV15, V4L2_PIX_FMT_NV20}) {
		PictureLayout l;
		ASSERT_EQ(describeLayout(fourcc, 64, 48, 0, &l), 0);
		std::vector<uint8_t> pic(l.sizeimage);
		renderPicture(9, l, pic.data());
		EXPECT_FALSE(isAllZero(l, pic.data())) << std::hex << fourcc;
		std::vector<uint8_t> other(l.sizeimage);
		renderPicture(10, l, other.data());
		EXPECT_NE(visibleChecksum(l, pic.data()), visibleChecksum(l, other.data()));
	}
	PictureLayout nv15;
	ASSERT_EQ(describeLayout(V4L2_PIX_FMT_NV15, 64, 48, 0, &nv15), 0);
	EXPECT_EQ(nv15.bytesperline, 80u) << "64 samples of 10 bits";
	EXPECT_EQ(nv15.sizeimage, 80u * 48 + 80u * 24);
}

} // namespace
} // namespace v4l2emu

namespace v4l2emu {
namespace {

// tileFromNv12 is detileToNv12's inverse: linear planes stored into every layout read back
// the same, and the stored picture has the same visible checksum as the one rendered there.
TEST(Picture, TileFromNv12InvertsDetileInEveryLayout)
{
	for (uint32_t fourcc : {V4L2_PIX_FMT_NV12, V4L2_PIX_FMT_YUV420, V4L2_PIX_FMT_NV12_32L32,
				V4L2_PIX_FMT_NV12_4L4, V4L2_PIX_FMT_NV16, V4L2_PIX_FMT_NV15,
				V4L2_PIX_FMT_NV20}) {
		for (Size s : {Size{48, 48}, Size{33, 17}, Size{176, 144}}) {
			PictureLayout l;
			ASSERT_EQ(describeLayout(fourcc, s.w, s.h, 0, &l), 0);
			std::vector<uint8_t> rendered(l.sizeimage);
			renderPicture(77, l, rendered.data());
			uint32_t lumaBytes, chromaBytes, chromaRows;
			visibleGeometry(l, &lumaBytes, &chromaBytes, &chromaRows);
			std::vector<uint8_t> y(static_cast<size_t>(lumaBytes) * s.h),
				uv(static_cast<size_t>(chromaBytes) * chromaRows);
			detileToNv12(l, rendered.data(), y.data(), lumaBytes, uv.data(), chromaBytes);
			std::vector<uint8_t> stored(l.sizeimage, 0);
			tileFromNv12(l, y.data(), lumaBytes, uv.data(), chromaBytes, stored.data());
			EXPECT_EQ(visibleChecksum(l, stored.data()), visibleChecksum(l, rendered.data()))
				<< std::hex << fourcc << std::dec << " " << s.w << "x" << s.h;
			std::vector<uint8_t> y2(y.size()), uv2(uv.size());
			detileToNv12(l, stored.data(), y2.data(), lumaBytes, uv2.data(), chromaBytes);
			EXPECT_EQ(y2, y);
			EXPECT_EQ(uv2, uv);
		}
	}
}

} // namespace
} // namespace v4l2emu

namespace v4l2emu {
namespace {

TEST(ControlTamper, ParsesRulesAndRefusesBadOnes)
{
	std::vector<ControlTamper> rules;
	std::string error;
	ASSERT_EQ(parseControlTamper("0xa409dd:16:0x10;10:2:255", &rules, &error), 0) << error;
	ASSERT_EQ(rules.size(), 2u);
	EXPECT_EQ(rules[0].id, 0xa409ddu);
	EXPECT_EQ(rules[0].offset, 16u);
	EXPECT_EQ(rules[0].mask, 0x10);
	EXPECT_EQ(rules[1].mask, 0xff);
	for (const char *bad : {"1:2", "1:2:0", "1:2:256", "x:1:1", "1:1:1:1", "1:2:3junk"}) {
		std::vector<ControlTamper> kept = rules;
		EXPECT_EQ(parseControlTamper(bad, &kept, &error), -EINVAL) << bad;
		EXPECT_NE(error.find(bad), std::string::npos) << error;
		EXPECT_EQ(kept.size(), 2u) << "a refused text keeps the rules";
	}
	EXPECT_EQ(parseControlTamper("", &rules, &error), 0);
	EXPECT_TRUE(rules.empty());
}

class OneControl final : public ControlReader {
public:
	struct v4l2_ctrl_mpeg2_picture pic {};
	const void *get(uint32_t id, uint32_t *elems) const override
	{
		if (elems)
			*elems = 1;
		return id == V4L2_CID_STATELESS_MPEG2_PICTURE ? &pic : nullptr;
	}
	bool wasSet(uint32_t) const override { return true; }
};

TEST(ControlTamper, FlipsTheByteAsTheJobSeesItAndLeavesTheHandler)
{
	OneControl base;
	base.pic.flags = V4L2_MPEG2_PIC_FLAG_ALT_SCAN;
	std::vector<ControlTamper> rules;
	ASSERT_EQ(parseControlTamper("0xa409dd:16:0x10;0xa409dd:16:0x20;0xa409dd:999:1", &rules, nullptr), 0);
	std::vector<std::vector<uint8_t>> scratch;
	TamperedControls seen(base, rules, scratch);
	auto *pic = static_cast<const struct v4l2_ctrl_mpeg2_picture *>(
		seen.get(V4L2_CID_STATELESS_MPEG2_PICTURE));
	ASSERT_NE(pic, nullptr);
	EXPECT_EQ(pic->flags, static_cast<uint32_t>(V4L2_MPEG2_PIC_FLAG_INTRA_VLC));
	EXPECT_EQ(base.pic.flags, static_cast<uint32_t>(V4L2_MPEG2_PIC_FLAG_ALT_SCAN));
	EXPECT_EQ(seen.get(V4L2_CID_STATELESS_MPEG2_SEQUENCE), nullptr);
}

} // namespace
} // namespace v4l2emu
