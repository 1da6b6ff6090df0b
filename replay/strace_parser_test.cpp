// SPDX-License-Identifier: MIT
// The strace importer on verbatim strace 6.1 output (every -X style, -x/-xx, -y/-yy,
// timestamps, -T, -a, -s, split calls) and on the strace 7.2 lines quoted in
// shared/spec/traces.md §1.4/§1.5: the same structured calls come out of every style.
#include <v4l2emu/trace.h>

#include <gtest/gtest.h>

#include <linux/media.h>
#include <linux/videodev2.h>

#include <fcntl.h>
#include <poll.h>

#include <fstream>
#include <sstream>

namespace v4l2emu {
namespace {

const std::vector<std::string> kStyles = {"default", "Xverbose", "Xraw", "xx", "yytttT", "xtt", "ta1"};

Trace parseFixture(const std::string &name)
{
	Trace t;
	TraceReadOptions o;
	o.devicePaths = {"/dev/null"};
	std::ifstream f(std::string(REPLAY_TESTDATA) + "/" + name);
	EXPECT_TRUE(f.good()) << name;
	EXPECT_EQ(parseStrace(f, o, &t), 0) << name;
	for (const TraceProblem &p : t.problems)
		ADD_FAILURE() << name << ":" << p.line << ": " << p.message << "\n" << p.text;
	return t;
}

Trace parseText(const std::string &text, bool stop = false)
{
	Trace t;
	TraceReadOptions o;
	o.stopAtFirstProblem = stop;
	std::istringstream in(text);
	parseStrace(in, o, &t);
	return t;
}

const TraceValue *field(const TraceFields &f, const std::string &path)
{
	for (const auto &[p, v] : f)
		if (p == path)
			return &v;
	return nullptr;
}

uint64_t num(const TraceFields &f, const std::string &path)
{
	const TraceValue *v = field(f, path);
	EXPECT_NE(v, nullptr) << path;
	return v ? v->number : ~0ull;
}

const TraceCall *findIoctl(const Trace &t, unsigned long request, size_t nth = 0)
{
	for (const TraceCall &c : t.calls)
		if (c.kind == CallKind::Ioctl && c.request == request && nth-- == 0)
			return &c;
	return nullptr;
}

TEST(StraceImport, EveryStyleOfStrace61DecodesToTheSameCalls)
{
	Trace reference = parseFixture("strace61-default.txt");
	ASSERT_EQ(reference.calls.size(), 30u);
	for (const std::string &style : kStyles) {
		Trace t = parseFixture("strace61-" + style + ".txt");
		ASSERT_EQ(t.calls.size(), reference.calls.size()) << style;
		for (size_t i = 0; i < t.calls.size(); i++) {
			const TraceCall &a = reference.calls[i], &b = t.calls[i];
			EXPECT_EQ(a.kind, b.kind) << style << " call " << i;
			EXPECT_EQ(a.request, b.request) << style << " call " << i;
			EXPECT_EQ(a.error, b.error) << style << " call " << i;
			EXPECT_EQ(a.in, b.in) << style << " line " << b.line << " " << b.requestName;
			EXPECT_EQ(a.out, b.out) << style << " line " << b.line << " " << b.requestName;
		}
	}
}

TEST(StraceImport, Strace61FieldsDecodeToTheirValues)
{
	Trace t = parseFixture("strace61-default.txt");
	const TraceCall *s = findIoctl(t, VIDIOC_S_EXT_CTRLS);
	ASSERT_NE(s, nullptr);
	EXPECT_EQ(num(s->in, "ctrl_class"), V4L2_CTRL_WHICH_REQUEST_VAL);
	EXPECT_EQ(num(s->in, "count"), 2u);
	ASSERT_NE(field(s->in, "controls[0].string"), nullptr);
	EXPECT_EQ(field(s->in, "controls[0].string")->bytes, std::string("\x01\x02\x03" "ab\0\0\x80", 8));
	EXPECT_EQ(static_cast<int64_t>(num(s->in, "controls[1].value64")), -5);
	EXPECT_EQ(num(s->in, "controls[1].id"), static_cast<uint64_t>(V4L2_CID_BRIGHTNESS));
	const TraceCall *q = findIoctl(t, VIDIOC_QUERY_EXT_CTRL);
	ASSERT_NE(q, nullptr);
	EXPECT_EQ(num(q->out, "type"), 0x270u);	// printed as "0x270 /* V4L2_CTRL_TYPE_??? */"
	EXPECT_EQ(num(q->out, "flags"), V4L2_CTRL_FLAG_HAS_PAYLOAD | 0x800u);
	EXPECT_EQ(num(q->out, "dims[0]"), 16u);
	EXPECT_EQ(field(q->out, "name")->bytes, "HEVC Sequence Parameter Set");
	const TraceCall *cb = findIoctl(t, VIDIOC_CREATE_BUFS);
	ASSERT_NE(cb, nullptr);
	EXPECT_EQ(num(cb->out, "index"), 4u);	// from "= 0 ({index=4, count=2})"
	EXPECT_EQ(num(cb->out, "count"), 2u);
	EXPECT_EQ(num(cb->in, "format.fmt.pix_mp.pixelformat"), static_cast<uint64_t>(V4L2_PIX_FMT_NV12));
	const TraceCall *cap = findIoctl(t, VIDIOC_QUERYCAP);
	ASSERT_NE(cap, nullptr);
	EXPECT_EQ(field(cap->out, "driver")->bytes, "rkvdec");
	EXPECT_EQ(num(cap->out, "version"), 0x60c00u);
	EXPECT_TRUE(cap->in.empty()) << "QUERYCAP has no inputs";
	const TraceCall *ef = findIoctl(t, VIDIOC_ENUM_FMT);
	EXPECT_EQ(num(ef->out, "pixelformat"), static_cast<uint64_t>(V4L2_PIX_FMT_HEVC_SLICE));
	EXPECT_EQ(num(ef->in, "index"), 0u);
	const TraceCall *dq = findIoctl(t, VIDIOC_DQBUF);
	EXPECT_EQ(num(dq->in, "type"), static_cast<uint64_t>(V4L2_BUF_TYPE_VIDEO_CAPTURE));
	EXPECT_EQ(num(dq->out, "timestamp.tv_usec"), 2u);
	EXPECT_EQ(num(dq->out, "m.offset"), 0x40008000u);
	const TraceCall *qb = findIoctl(t, VIDIOC_QUERYBUF);
	EXPECT_EQ(field(qb->out, "m.offset"), nullptr) << "m.offset of MPLANE is the planes pointer";
	EXPECT_EQ(num(qb->in, "length"), 1u);
	EXPECT_EQ(num(findIoctl(t, VIDIOC_STREAMON)->in, "type"),
		  static_cast<uint64_t>(V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE));
	EXPECT_EQ(num(findIoctl(t, VIDIOC_REQBUFS)->out, "count"), 3u);
	EXPECT_EQ(num(findIoctl(t, VIDIOC_S_FMT)->out, "fmt.pix.pixelformat"),
		  static_cast<uint64_t>(V4L2_PIX_FMT_MPEG2_SLICE));
	EXPECT_EQ(num(findIoctl(t, VIDIOC_ENUM_FRAMESIZES)->out, "stepwise.max_width"), 4096u);
	EXPECT_EQ(num(findIoctl(t, VIDIOC_ENUM_FRAMESIZES, 1)->out, "discrete.width"), 64u);
	EXPECT_EQ(num(findIoctl(t, VIDIOC_S_CTRL)->in, "value"), 5u);
	// 6.1 prints only a pointer for these: not replayable, and said so.
	EXPECT_FALSE(findIoctl(t, VIDIOC_SUBSCRIBE_EVENT)->skipReason.empty());
	EXPECT_FALSE(findIoctl(t, VIDIOC_EXPBUF)->skipReason.empty());
	EXPECT_TRUE(findIoctl(t, MEDIA_IOC_DEVICE_INFO)->skipReason.empty()) << "output only: zeroed";
	const TraceCall *mm = nullptr;
	for (const TraceCall &c : t.calls)
		if (c.kind == CallKind::Mmap)
			mm = &c;
	ASSERT_NE(mm, nullptr);
	EXPECT_EQ(mm->error, ENODEV);
	EXPECT_EQ(mm->offset, 0x40000000u);
	EXPECT_EQ(mm->prot, 3);
	const TraceCall *pl = nullptr;
	for (const TraceCall &c : t.calls)
		if (c.kind == CallKind::Poll)
			pl = &c;
	ASSERT_NE(pl, nullptr);
	ASSERT_EQ(pl->pollFds.size(), 1u);
	EXPECT_EQ(pl->pollFds[0].events, POLLPRI);
	EXPECT_EQ(pl->timeoutMs, 0);
}

TEST(StraceImport, DecorationsTimestampsAndTruncation)
{
	Trace y = parseFixture("strace61-yytttT.txt");
	const TraceCall *c = findIoctl(y, VIDIOC_QUERYCAP);
	ASSERT_NE(c, nullptr);
	EXPECT_EQ(c->fdPath, "/dev/null");
	EXPECT_GT(c->time, 1.0e9) << "-ttt seconds since the epoch";
	Trace tt = parseFixture("strace61-xtt.txt");
	EXPECT_GT(findIoctl(tt, VIDIOC_QUERYCAP)->time, 0.0);
	// -s 4: strings cut, marked degraded; numbers intact.
	Trace s4 = parseFixture("strace61-s4.txt");
	const TraceCall *ctrls = findIoctl(s4, VIDIOC_S_EXT_CTRLS);
	ASSERT_NE(ctrls, nullptr);
	EXPECT_TRUE(ctrls->degraded);
	EXPECT_TRUE(field(ctrls->in, "controls[0].string")->truncated);
	EXPECT_EQ(num(ctrls->in, "controls[0].size"), 8u);
	Trace reference = parseFixture("strace61-default.txt");
	EXPECT_EQ(findIoctl(s4, VIDIOC_REQBUFS)->out, findIoctl(reference, VIDIOC_REQBUFS)->out);
}

TEST(StraceImport, SplitCallsAreStitchedPerThread)
{
	for (const char *name : {"strace61-split-stderr.txt", "strace61-split-o.txt"}) {
		Trace t = parseFixture(name);
		ASSERT_EQ(t.calls.size(), 8u) << name;
		unsigned streamons = 0, dqbufs = 0, stitched = 0;
		std::vector<int> tids;
		for (const TraceCall &c : t.calls) {
			streamons += c.request == VIDIOC_STREAMON;
			dqbufs += c.request == VIDIOC_DQBUF;
			stitched += c.text.find("<unfinished ...>") != std::string::npos;
			if (c.kind == CallKind::Ioctl)
				tids.push_back(c.tid);
		}
		EXPECT_EQ(streamons, 3u) << name;
		EXPECT_EQ(dqbufs, 3u) << name;
		EXPECT_GE(stitched, 2u) << name;
		EXPECT_NE(tids.front(), 0) << name << ": thread ids from the prefixes";
		// DQBUFs (blocking) keep their completion order: indexes 0, 1, 2.
		unsigned expected = 0;
		for (const TraceCall &c : t.calls) {
			if (c.request == VIDIOC_DQBUF) {
				EXPECT_EQ(num(c.out, "index"), expected++) << name;
			}
		}
	}
}

// The strace 7.2 lines of shared/spec/traces.md (verbatim), behind an open of the node.
TEST(StraceImport, Strace72LinesOfTheSpec)
{
	const std::string open4 = "openat(AT_FDCWD, \"/dev/media0\", O_RDWR) = 4\n";
	const std::string open3 = "openat(AT_FDCWD, \"/dev/video0\", O_RDWR|O_NONBLOCK) = 3\n";
	Trace t = parseText(open3 + open4 +
			    "ioctl(3, VIDIOC_EXPBUF, {type=V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE, index=0, plane=0, "
			    "flags=O_RDONLY|O_CLOEXEC} => {fd=9}) = 0\n"
			    "ioctl(4, MEDIA_IOC_REQUEST_ALLOC, \"\\x0b\\x00\\x00\\x00\") = 0\n"
			    "ioctl(11, MEDIA_REQUEST_IOC_QUEUE, 0)   = 0\n"
			    "ioctl(3, VIDIOC_QUERY_EXT_CTRL, {id=V4L2_CTRL_FLAG_NEXT_CTRL|V4L2_CTRL_FLAG_NEXT_COMPOUND|0 "
			    "/* V4L2_CID_??? */ => V4L2_CTRL_CLASS_CODEC_STATELESS+0xa90, type=V4L2_CTRL_TYPE_HEVC_SPS, "
			    "name=\"HEVC Sequence Parameter Set\", ...}) = 0\n"
			    "ioctl(3, VIDIOC_REQBUFS, {type=V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE, memory=V4L2_MEMORY_MMAP, "
			    "count=4}) = 0\n"
			    "ioctl(3, VIDIOC_S_EXT_CTRLS, {ctrl_class=0xf010000 /* V4L2_CTRL_CLASS_??? */, count=3, "
			    "controls=[{id=0xa40a90 /* V4L2_CID_??? */, size=40, string=\"\\0\\0\\200\\78\\4\\0\\0\"...}, "
			    "...]} => {controls=[...], error_idx=0}) = -1 EINVAL (Invalid argument)\n"
			    "ioctl(fd=3, op=VIDIOC_QUERYCAP, argp={driver=\"rkvdec\", card=\"rkvdec\", "
			    "bus_info=\"platform:rkvdec\", version=KERNEL_VERSION(6, 1, 0), "
			    "capabilities=V4L2_CAP_VIDEO_M2M_MPLANE|V4L2_CAP_STREAMING|V4L2_CAP_DEVICE_CAPS, "
			    "device_caps=V4L2_CAP_VIDEO_M2M_MPLANE|V4L2_CAP_STREAMING}) = 0\n"
			    "ioctl(0x3, 0x80685600, 0x7ffde60e3490) = 0\n"
			    "ioctl(3, 0xc058560f /* VIDIOC_QBUF */, {type=0xa /* V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE */, "
			    "index=0, memory=0x1 /* V4L2_MEMORY_MMAP */, m.offset=0xcec636e0, length=1, bytesused=0, "
			    "flags=0x800000 /* V4L2_BUF_FLAG_REQUEST_FD */|0 /* V4L2_BUF_FLAG_TIMESTAMP_UNKNOWN */|0 "
			    "/* V4L2_BUF_FLAG_TSTAMP_SRC_EOF */, ...}) = 0\n"
			    "\x1b[1mioctl\x1b[0m(3, VIDIOC_STREAMON, [V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE]) = 0\n"
			    "ioctl(3, VIDIOC_DQBUF, {type=V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE}) = ? ERESTARTSYS "
			    "(To be restarted if SA_RESTART is set)\n"
			    "ioctl(3, VIDIOC_STREAMOFF, [V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE]) = -1 (errno 1234)\n");
	for (const TraceProblem &p : t.problems)
		ADD_FAILURE() << "line " << p.line << ": " << p.message;
	const TraceCall *e = findIoctl(t, VIDIOC_EXPBUF);
	ASSERT_NE(e, nullptr);
	EXPECT_EQ(num(e->in, "flags"), static_cast<uint64_t>(O_CLOEXEC));
	EXPECT_EQ(num(e->out, "fd"), 9u);
	ASSERT_EQ(e->fdRefs.size(), 1u);
	EXPECT_TRUE(e->fdRefs[0].output);
	const TraceCall *alloc = findIoctl(t, MEDIA_IOC_REQUEST_ALLOC);
	const TraceCall *queue = findIoctl(t, MEDIA_REQUEST_IOC_QUEUE);
	ASSERT_TRUE(alloc && queue);
	ASSERT_EQ(alloc->fdRefs.size(), 1u) << "the 6.11 -v dump names the request fd";
	EXPECT_EQ(alloc->fdRefs[0].handle, queue->handle);
	const TraceCall *q = findIoctl(t, VIDIOC_QUERY_EXT_CTRL);
	EXPECT_EQ(num(q->in, "id"), V4L2_CTRL_FLAG_NEXT_CTRL | V4L2_CTRL_FLAG_NEXT_COMPOUND);
	EXPECT_EQ(num(q->out, "id"), 0xa40a90u);
	EXPECT_EQ(num(q->out, "type"), static_cast<uint64_t>(V4L2_CTRL_TYPE_HEVC_SPS));
	EXPECT_EQ(num(findIoctl(t, VIDIOC_REQBUFS)->out, "count"), 4u) << "7.1+: no => when unchanged";
	const TraceCall *s = findIoctl(t, VIDIOC_S_EXT_CTRLS);
	EXPECT_EQ(s->error, EINVAL);
	EXPECT_TRUE(s->degraded);
	EXPECT_EQ(field(s->in, "controls[0].string")->bytes, std::string("\0\0\x80\x07" "8\x04\0\0", 8))
		<< "\\78 is \\7 then '8'";
	const TraceCall *cap = findIoctl(t, VIDIOC_QUERYCAP);
	EXPECT_EQ(field(cap->out, "bus_info")->bytes, "platform:rkvdec") << "-N argument names";
	EXPECT_EQ(num(cap->out, "version"), 0x60100u);
	ASSERT_NE(findIoctl(t, VIDIOC_QUERYCAP, 1), nullptr) << "-e raw=ioctl: the code in hex";
	EXPECT_TRUE(findIoctl(t, VIDIOC_QUERYCAP, 1)->out.empty()) << "-e raw=ioctl: nothing decoded";
	EXPECT_EQ(num(findIoctl(t, VIDIOC_QBUF)->in, "flags"), static_cast<uint64_t>(V4L2_BUF_FLAG_REQUEST_FD));
	EXPECT_NE(findIoctl(t, VIDIOC_STREAMON), nullptr) << "ANSI colours stripped";
	EXPECT_TRUE(findIoctl(t, VIDIOC_DQBUF)->interrupted);
	EXPECT_EQ(findIoctl(t, VIDIOC_STREAMOFF)->error, 1234);
}

} // namespace
} // namespace v4l2emu
