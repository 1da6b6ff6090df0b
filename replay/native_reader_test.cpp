// SPDX-License-Identifier: MIT
// The trace sink on the emulated seam (every call kind, V4L2EMU_TRACE), the native writer and
// reader on a small hand-driven session, and bad native input.
#include <v4l2emu/board.h>
#include <v4l2emu/trace.h>

#include <gtest/gtest.h>

#include <linux/media.h>
#include <linux/videodev2.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

namespace v4l2emu {
namespace {

namespace fs = std::filesystem;

class CountingSink : public TraceSink {
public:
	uintptr_t beforeCall(const CallRecord &c) override
	{
		before[static_cast<int>(c.kind)]++;
		return 1000 + static_cast<uintptr_t>(c.kind);
	}
	void onCall(const CallRecord &c) override
	{
		after[static_cast<int>(c.kind)]++;
		statesMatch &= c.state == 1000 + static_cast<uintptr_t>(c.kind);
		if (c.kind == CallKind::Ioctl)
			results.push_back(c.result);
	}
	int before[6] = {}, after[6] = {};
	bool statesMatch = true;
	std::vector<int> results;
};

fs::path tempDir(const char *name)
{
	fs::path p = fs::temp_directory_path() / ("v4l2emu-replay-" + std::to_string(getpid())) / name;
	fs::remove_all(p);
	fs::create_directories(p);
	return p;
}

/// A short session on rkvdec: formats, buffers, a mapping with bitstream, a refused QBUF
/// (the queue needs requests), poll, teardown.
void session(DeviceIo &io)
{
	int media = io.open("/dev/media0", O_RDWR);
	int video = io.open("/dev/video0", O_RDWR | O_NONBLOCK);
	ASSERT_GE(video, 0);
	struct v4l2_capability cap {};
	EXPECT_EQ(io.ioctl(video, VIDIOC_QUERYCAP, &cap), 0);
	struct v4l2_format f {};
	f.type = V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE;
	f.fmt.pix_mp.pixelformat = V4L2_PIX_FMT_H264_SLICE;
	f.fmt.pix_mp.width = 320;
	f.fmt.pix_mp.height = 240;
	f.fmt.pix_mp.num_planes = 1;
	EXPECT_EQ(io.ioctl(video, VIDIOC_S_FMT, &f), 0);
	struct v4l2_requestbuffers rb {};
	rb.count = 1;
	rb.type = V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE;
	rb.memory = V4L2_MEMORY_MMAP;
	EXPECT_EQ(io.ioctl(video, VIDIOC_REQBUFS, &rb), 0);
	struct v4l2_plane planes[1] = {};
	struct v4l2_buffer b {};
	b.type = V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE;
	b.memory = V4L2_MEMORY_MMAP;
	b.m.planes = planes;
	b.length = 1;
	EXPECT_EQ(io.ioctl(video, VIDIOC_QUERYBUF, &b), 0);
	void *p = nullptr;
	ASSERT_EQ(io.mmap(nullptr, planes[0].length, PROT_READ | PROT_WRITE, MAP_SHARED, video,
			  planes[0].m.mem_offset, &p),
		  0);
	for (int i = 0; i < 200; i++)
		static_cast<uint8_t *>(p)[i] = static_cast<uint8_t>(i * 7);
	planes[0].bytesused = 200;
	EXPECT_LT(io.ioctl(video, VIDIOC_QBUF, &b), 0);	// no request: refused
	struct pollfd pf {video, POLLIN, 0};
	io.poll(&pf, 1, 0);
	EXPECT_EQ(io.munmap(p, planes[0].length), 0);
	EXPECT_EQ(io.close(video), 0);
	EXPECT_EQ(io.close(media), 0);
}

TEST(TraceSink, SeesEveryCallOnceBeforeAndAfter)
{
	auto board = Board::create("fresnel");
	auto sink = std::make_shared<CountingSink>();
	board->setTraceSink(sink);
	EXPECT_EQ(board->traceSink(), sink);
	session(board->io());
	EXPECT_TRUE(sink->statesMatch);
	for (int k = 0; k < 6; k++)
		EXPECT_EQ(sink->before[k], sink->after[k]) << toString(static_cast<CallKind>(k));
	EXPECT_EQ(sink->after[static_cast<int>(CallKind::Open)], 2);
	EXPECT_EQ(sink->after[static_cast<int>(CallKind::Close)], 2);
	EXPECT_EQ(sink->after[static_cast<int>(CallKind::Ioctl)], 5);
	EXPECT_EQ(sink->after[static_cast<int>(CallKind::Mmap)], 1);
	EXPECT_EQ(sink->after[static_cast<int>(CallKind::Munmap)], 1);
	EXPECT_EQ(sink->after[static_cast<int>(CallKind::Poll)], 1);
	EXPECT_LT(sink->results.back(), 0) << "failed calls are reported too";
	board->setTraceSink(nullptr);
	session(board->io());
	EXPECT_EQ(sink->after[static_cast<int>(CallKind::Open)], 2) << "no sink, no calls";
}

TEST(TraceSink, SpecAndEnvironment)
{
	std::vector<TraceWriterOptions> w;
	std::string error;
	ASSERT_EQ(parseTraceSpec("/tmp/a.jsonl;/tmp/b.strace,format=strace,version=6.1,constants=verbose,x=2",
				 &w, &error),
		  0)
		<< error;
	ASSERT_EQ(w.size(), 2u);
	EXPECT_EQ(w[0].format, TraceFormat::Native);
	EXPECT_EQ(w[1].format, TraceFormat::Strace);
	EXPECT_EQ(w[1].straceVersion, 61u);
	EXPECT_EQ(w[1].straceConstants, TraceWriterOptions::Constants::Verbose);
	EXPECT_EQ(w[1].straceHexStrings, 2u);
	EXPECT_EQ(parseTraceSpec("/tmp/a,format=xml", &w, &error), -EINVAL);
	EXPECT_NE(error.find("format=xml"), std::string::npos);
	EXPECT_EQ(parseTraceSpec(",format=native", &w, &error), -EINVAL);
	setenv("V4L2EMU_TRACE", "/tmp/x,bogus=1", 1);
	BoardOptions o;
	EXPECT_EQ(Board::optionsFromEnvironment(&o, &error), -EINVAL);
	EXPECT_NE(error.find("V4L2EMU_TRACE"), std::string::npos);
	// Two live boards on one path: the second writes path.2.
	fs::path dir = tempDir("env");
	std::string path = (dir / "t.jsonl").string();
	setenv("V4L2EMU_TRACE", path.c_str(), 1);
	ASSERT_EQ(Board::optionsFromEnvironment(&o, &error), 0) << error;
	unsetenv("V4L2EMU_TRACE");
	{
		auto a = Board::create("fresnel", o);
		auto b = Board::create("hantro", o);
		session(a->io());
	}
	EXPECT_TRUE(fs::exists(path));
	EXPECT_TRUE(fs::exists(path + ".2"));
	Trace t;
	ASSERT_EQ(readTraceFile(path, {}, &t), 0);
	EXPECT_EQ(t.board, "fresnel");
	EXPECT_EQ(t.calls.size(), 12u);
	Trace t2;
	ASSERT_EQ(readTraceFile(path + ".2", {}, &t2), 0);
	EXPECT_EQ(t2.board, "hantro");
	EXPECT_TRUE(t2.calls.empty());
}

/// Records session() natively into dir; returns the trace path.
std::string recordSession(const fs::path &dir)
{
	TraceWriterOptions w;
	w.path = (dir / "trace.jsonl").string();
	w.board = "fresnel";
	w.timestamps = false;
	std::string error;
	auto sink = makeTraceWriter(w, &error);
	EXPECT_NE(sink, nullptr) << error;
	auto board = Board::create("fresnel");
	board->setTraceSink(sink);
	session(board->io());
	board.reset();
	sink.reset();
	return w.path;
}

std::vector<std::string> readLines(const std::string &path)
{
	std::ifstream f(path);
	std::vector<std::string> out;
	for (std::string l; std::getline(f, l);)
		out.push_back(l);
	return out;
}

void writeLines(const std::string &path, const std::vector<std::string> &lines)
{
	std::ofstream f(path);
	for (const std::string &l : lines)
		f << l << "\n";
}

// Garbage arguments (valid top-level memory, nonsense inside: counts, sizes, nested
// pointers) through both writers: every call is logged, nothing crashes, both files read back.
TEST(TraceSink, WritersSurviveGarbageArguments)
{
	fs::path dir = tempDir("garbage");
	std::vector<TraceWriterOptions> w;
	std::string error;
	ASSERT_EQ(parseTraceSpec((dir / "trace.jsonl").string() + ";" + (dir / "trace.strace").string() +
					 ",format=strace",
				 &w, &error),
		  0);
	std::vector<std::shared_ptr<TraceSink>> sinks;
	for (TraceWriterOptions &o : w)
		sinks.push_back(makeTraceWriter(o, &error));
	auto board = Board::create("fresnel");
	board->setTraceSink(makeTeeSink(sinks));
	DeviceIo &io = board->io();
	int fds[2] = {io.open("/dev/video0", O_RDWR | O_NONBLOCK), io.open("/dev/media0", O_RDWR)};
	const unsigned long requests[] = {VIDIOC_QBUF, VIDIOC_DQBUF, VIDIOC_QUERYBUF, VIDIOC_S_EXT_CTRLS,
					  VIDIOC_G_EXT_CTRLS, VIDIOC_TRY_EXT_CTRLS, VIDIOC_S_FMT,
					  VIDIOC_CREATE_BUFS, VIDIOC_EXPBUF, MEDIA_IOC_G_TOPOLOGY,
					  VIDIOC_QUERY_EXT_CTRL, VIDIOC_STREAMON, MEDIA_IOC_REQUEST_ALLOC};
	std::mt19937_64 rng(5);
	alignas(8) uint8_t arg[1024];
	const uintptr_t junk[] = {0, 1, 0xdeadbeef, 0x7ffffffff000, 0xfffffffffffff000};
	unsigned calls = 0;
	for (int i = 0; i < 500; i++) {
		for (auto &b : arg)
			b = static_cast<uint8_t>(rng());
		// Nested pointers at their usual offsets: junk, or this buffer itself.
		for (size_t off : {static_cast<size_t>(offsetof(struct v4l2_buffer, m.planes)),
				   static_cast<size_t>(offsetof(struct v4l2_ext_controls, controls)),
				   static_cast<size_t>(offsetof(struct media_v2_topology, ptr_entities))}) {
			uintptr_t p = rng() % 3 ? junk[rng() % 5] : reinterpret_cast<uintptr_t>(arg + 256);
			memcpy(arg + off, &p, sizeof(p));
		}
		unsigned long r = requests[rng() % (sizeof(requests) / sizeof(requests[0]))];
		int ret = io.ioctl(fds[rng() % 2], r, arg);
		if (r == VIDIOC_EXPBUF || r == MEDIA_IOC_REQUEST_ALLOC) {
			int fd = r == VIDIOC_EXPBUF ? reinterpret_cast<struct v4l2_exportbuffer *>(arg)->fd
						    : *reinterpret_cast<int *>(arg);
			if (ret == 0)
				io.close(fd);
		}
		calls++;
	}
	io.close(fds[0]);
	io.close(fds[1]);
	board.reset();
	sinks.clear();
	Trace native, text;
	TraceReadOptions keepReading;
	EXPECT_EQ(readTraceFile((dir / "trace.jsonl").string(), keepReading, &native), 0);
	for (const TraceProblem &p : native.problems)
		ADD_FAILURE() << "native line " << p.line << ": " << p.message;
	EXPECT_GE(native.calls.size(), calls + 4);
	readTraceFile((dir / "trace.strace").string(), keepReading, &text);
	EXPECT_GE(text.calls.size() + text.problems.size(), calls) << "every call is a line";
}

TEST(NativeTrace, SessionIsLosslessAndReplays)
{
	fs::path dir = tempDir("native");
	std::string path = recordSession(dir);
	Trace t;
	ASSERT_EQ(readTraceFile(path, {}, &t), 0);
	ASSERT_EQ(t.calls.size(), 12u);
	const TraceCall *qbuf = nullptr;
	for (const TraceCall &c : t.calls)
		if (c.request == VIDIOC_QBUF)
			qbuf = &c;
	ASSERT_NE(qbuf, nullptr);
	EXPECT_NE(qbuf->error, 0) << "the refused QBUF is in the trace";
	ASSERT_EQ(qbuf->planeData.size(), 1u) << "bitstream of a failed QBUF too";
	EXPECT_EQ(qbuf->planeData[0].bytes.size(), 200u);
	EXPECT_EQ(static_cast<uint8_t>(qbuf->planeData[0].bytes[3]), 21u);
	EXPECT_FALSE(fs::is_empty(dir / "blobs" / "sha256")) << "200 bytes go to a side file";
	ReplayOptions ro;
	ReplayReport report;
	EXPECT_EQ(replayTrace(t, ro, &report), 0) << report.text(t);
	EXPECT_EQ(report.matched, 12u);
}

// Board::setFaults while recording: the native trace holds each plan between the calls it
// separates, and the replay installs it there, so the injected error replays as recorded.
TEST(NativeTrace, RuntimeFaultPlansAreRecordedAndReplayed)
{
	fs::path dir = tempDir("faults");
	TraceWriterOptions w;
	w.path = (dir / "trace.jsonl").string();
	w.board = "fresnel";
	w.timestamps = false;
	std::string error;
	auto sink = makeTraceWriter(w, &error);
	ASSERT_NE(sink, nullptr) << error;
	auto board = Board::create("fresnel");
	board->setTraceSink(sink);
	DeviceIo &io = board->io();
	int fd = io.open("/dev/video0", O_RDWR | O_NONBLOCK);
	ASSERT_GE(fd, 0);
	FaultPlan plan;
	ASSERT_EQ(FaultPlan::parse("ioctl=VIDIOC_QUERYCAP,nth=1,errno=EIO", &plan, &error), 0) << error;
	board->setFaults(plan);
	struct v4l2_capability cap {};
	EXPECT_EQ(io.ioctl(fd, VIDIOC_QUERYCAP, &cap), -EIO);
	board->setFaults({});
	EXPECT_EQ(io.ioctl(fd, VIDIOC_QUERYCAP, &cap), 0);
	EXPECT_EQ(io.close(fd), 0);
	board.reset();
	sink.reset();

	Trace t;
	ASSERT_EQ(readTraceFile(w.path, {}, &t), 0);
	ASSERT_EQ(t.calls.size(), 4u);
	ASSERT_EQ(t.faultChanges.size(), 2u);
	EXPECT_EQ(t.faultChanges[0].beforeCall, 1u);
	EXPECT_EQ(t.faultChanges[0].plan, plan.toString());
	EXPECT_EQ(t.faultChanges[1].beforeCall, 2u);
	EXPECT_EQ(t.faultChanges[1].plan, "");
	ReplayOptions ro;
	ReplayReport report;
	EXPECT_EQ(replayTrace(t, ro, &report), 0) << report.text(t);
	EXPECT_EQ(report.matched, 4u);
	// Without the trace's plans the refused QUERYCAP is a divergence.
	ro.traceFaults = false;
	ReplayReport without;
	replayTrace(t, ro, &without);
	EXPECT_FALSE(without.divergences.empty());
}

TEST(NativeTrace, BadLinesAreReportedWithTheirNumbers)
{
	fs::path dir = tempDir("bad");
	std::string path = recordSession(dir);
	std::vector<std::string> good = readLines(path);
	ASSERT_GT(good.size(), 8u);
	struct Edit {
		const char *from, *to, *diagnostic;
	};
	const Edit kEdits[] = {
		{"\"call\":\"ioctl\"", "\"call\":\"ioctl\",", "not JSON"},
		{"\"call\":\"ioctl\"", "\"call\":\"fork\"", "unknown call"},
		{"\"errno\":0", "\"errno\":\"ENOPE\"", "unknown errno"},
		{"\"in_raw\":\"", "\"in_raw\":\"AAAA", "bytes, the ioctl takes"},
		{"\"in_raw\":\"", "\"in_raw\":\"A", "not base64"},
		{"\"bytes\":\"blob:", "\"bytes\":\"blob:0", "bad blob name"},
	};
	for (const Edit &e : kEdits) {
		std::vector<std::string> lines = good;
		size_t edited = 0;
		for (size_t i = 1; i < lines.size() && !edited; i++) {
			size_t at = lines[i].find(e.from);
			if (at == std::string::npos)
				continue;
			lines[i].replace(at, strlen(e.from), e.to);
			edited = i + 1;
		}
		ASSERT_NE(edited, 0u) << e.from;
		writeLines(path + ".edit", lines);
		Trace t;
		std::ifstream f(path + ".edit");
		EXPECT_EQ(readNativeTrace(f, path, {}, &t), -EINVAL) << e.from;
		ASSERT_EQ(t.problems.size(), 1u) << e.from;
		EXPECT_EQ(t.problems[0].line, edited) << e.from;
		EXPECT_NE(t.problems[0].message.find(e.diagnostic), std::string::npos)
			<< e.from << " -> " << t.problems[0].message;
	}
	// A missing side file is named.
	for (const auto &entry : fs::directory_iterator(dir / "blobs" / "sha256"))
		fs::remove(entry.path());
	Trace t;
	EXPECT_EQ(readTraceFile(path, {}, &t), -EINVAL);
	ASSERT_FALSE(t.problems.empty());
	EXPECT_NE(t.problems[0].message.find("missing blob"), std::string::npos);
}

TEST(NativeTrace, MutatedLinesNeverCrash)
{
	fs::path dir = tempDir("mutate");
	std::vector<std::string> good = readLines(recordSession(dir));
	std::mt19937 rng(11);
	unsigned reads = 0;
	for (size_t i = 0; i < good.size(); i++) {
		for (int k = 0; k < 40; k++) {
			std::vector<std::string> lines = good;
			std::string &l = lines[i];
			if (k % 2)
				l = l.substr(0, rng() % (l.size() + 1));
			else
				for (int f = 0; f < 2; f++)
					l[rng() % l.size()] = "{}[]\",:0aZ\\"[rng() % 11];
			writeLines((dir / "m.jsonl").string(), lines);
			Trace t;
			readTraceFile((dir / "m.jsonl").string(), {}, &t);
			reads++;
			if (t.problems.empty()) {
				ReplayReport r;
				replayTrace(t, {}, &r);	// whatever it says, it must not crash
			}
		}
	}
	EXPECT_GT(reads, 400u);
}

} // namespace
} // namespace v4l2emu
