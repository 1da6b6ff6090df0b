// SPDX-License-Identifier: MIT
// v4l2va_bench: the VA decode path in steady state on the emulated fresnel board (RK3399),
// deterministic scheduler, synthetic engine.
//
//   v4l2va_bench [--frames N] [--warmup N] [--rounds N] [--where [N]] [--check]
//
// Per configuration (MPEG-2 on hantro, H.264 on rkvdec; 176x144 and 1280x720), FFmpeg's
// per-frame pattern into a fixed pool of surfaces used round robin: CreateBuffer x4, Begin,
// Render x2, End, DestroyBuffer x4, SyncSurface. After the warm-up frames it prints:
//   - allocations per frame over the counted frames (goal 0), by the object that asked for
//     them (driver .so, emulator library, bench); --where prints the first N stacks;
//   - ioctls per frame from the board's per-device counters (goal <= 7);
//   - frames per second of the VA path and of the same ioctl sequence issued directly on
//     another board of the same kind, with the same bitstream and control payloads (made by the
//     driver's own codec code); medians of --rounds alternating ~40 ms batches; ratio goal
//     >= 0.9.
// "same decode" says whether both boards decoded the same pictures (the synthetic engine's
// signatures), i.e. whether the comparison is like for like.
// Exit status 0 (a measurement); with --check, 1 when a goal is missed.
#include "alloc_counter.h"
#include "direct_path.h"
#include "frame_source.h"
#include "va_harness.h"

#include "codecs/codec.h"
#include "v4l2/decoder_finder.h"
#include "v4l2/device_probe.h"

#include <v4l2emu/board.h>

#include <fcntl.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace v4l2va::bench {

namespace {

using Clock = std::chrono::steady_clock;

/// FFmpeg-sized pool: a multiple of it divides the picture cycle (see kCycle).
constexpr unsigned kSurfaces = 16;
/// Pictures made once and replayed: a multiple of the surfaces, of the sources' GOP (8), and
/// of 4 IDRs (H.264 idr_pic_id cycles through 4), so the replay wraps onto an intra picture.
constexpr unsigned kCycle = 64;
constexpr double kMaxIoctlsPerFrame = 7.0;
constexpr double kMinRatio = 0.9;

struct Options {
	unsigned frames = 500;
	unsigned warmup = 50;
	unsigned rounds = 9;
	unsigned where = 0;
	bool check = false;
};

struct Config {
	const char *codec;
	VAProfile profile;
	uint32_t width, height;
};

struct Result {
	std::string name;
	std::string device;
	std::string error;	///< non-empty: the run stopped there
	AllocWindow vaAllocs, directAllocs;
	std::vector<std::string> stacks;	///< described while the driver is loaded
	double vaIoctls = 0, directIoctls = 0;
	unsigned timedFrames = 0;	///< per batch
	double vaFps = 0, directFps = 0, ratio = 0;
	bool sameDecode = false;
	size_t compared = 0;
	size_t diagnostics = 0;
};

struct VaSession {
	explicit VaSession(const test::DriverEnv &env) : drv(env) {}
	test::VaDriver drv;
	VAConfigID config = VA_INVALID_ID;
	VAContextID context = VA_INVALID_ID;
	std::vector<VASurfaceID> surfaces;
};

/// One frame the way FFmpeg's vaapi_decode.c issues it, then SyncSurface. Allocates nothing.
VAStatus vaFrame(VaSession &va, const Picture &pic)
{
	const VADriverVTable &vt = va.drv.vt();
	VADriverContextP ctx = va.drv.ctx();
	VABufferID params[8], slices[8];
	unsigned np = 0, ns = 0;
	VAStatus first = VA_STATUS_SUCCESS;
	auto note = [&](VAStatus st) {
		if (first == VA_STATUS_SUCCESS)
			first = st;
	};
	auto create = [&](const test::VaBufferData &b, VABufferID *ids, unsigned *n) {
		VAStatus st = vt.vaCreateBuffer(ctx, va.context, b.type, b.elementSize, b.numElements,
						const_cast<uint8_t *>(b.bytes.data()), &ids[*n]);
		if (st == VA_STATUS_SUCCESS)
			(*n)++;
		note(st);
	};
	for (const test::VaBufferData &b : pic.va.params)
		create(b, params, &np);
	for (const test::VaBufferData &b : pic.va.slices)
		create(b, slices, &ns);
	const VASurfaceID target = va.surfaces[pic.targetIndex];
	if (first == VA_STATUS_SUCCESS) {
		note(vt.vaBeginPicture(ctx, va.context, target));
		note(vt.vaRenderPicture(ctx, va.context, params, static_cast<int>(np)));
		note(vt.vaRenderPicture(ctx, va.context, slices, static_cast<int>(ns)));
		note(vt.vaEndPicture(ctx, va.context));
	}
	for (unsigned i = 0; i < np; i++)
		note(vt.vaDestroyBuffer(ctx, params[i]));
	for (unsigned i = 0; i < ns; i++)
		note(vt.vaDestroyBuffer(ctx, slices[i]));
	note(vt.vaSyncSurface(ctx, target));
	return first;
}

std::vector<v4l2emu::DeviceStats> deviceStats(const v4l2emu::Board &board)
{
	return board.stats().devices;
}

uint64_t ioctlsBetween(const std::vector<v4l2emu::DeviceStats> &before,
		       const std::vector<v4l2emu::DeviceStats> &after, std::string *busiest = nullptr)
{
	uint64_t total = 0, most = 0;
	for (size_t i = 0; i < after.size() && i < before.size(); i++) {
		uint64_t n = after[i].ioctls - before[i].ioctls;
		total += n;
		if (busiest && n > most) {
			most = n;
			*busiest = after[i].name;
		}
	}
	return total;
}

double median(std::vector<double> v)
{
	if (v.empty())
		return 0;
	std::sort(v.begin(), v.end());
	return v[v.size() / 2];
}

test::DriverEnv benchEnv()
{
	test::DriverEnv env;
	env.board = "fresnel";
	env.scheduler = "deterministic";
	return env;
}

void identify(VaSession &va)
{
	identifyObjects(reinterpret_cast<const void *>(va.drv.vt().vaBeginPicture),
			reinterpret_cast<const void *>(&v4l2emu::Board::create),
			reinterpret_cast<const void *>(&vaFrame));
}

/// The counter must see the driver's and the emulator's allocations, or a 0 means nothing.
bool checkCounter()
{
	VaSession va(benchEnv());
	if (va.drv.status() != VA_STATUS_SUCCESS) {
		printf("allocator check: the driver did not initialise (%s)\n", vaErrorStr(va.drv.status()));
		return false;
	}
	identify(va);
	v4l2emu::Board *board = va.drv.board();
	std::string path = board ? board->nodes().at(0).videoPath : std::string();
	VASurfaceID probe = VA_INVALID_SURFACE;
	openWindow(0);
	VAStatus st = va.drv.vt().vaCreateSurfaces2(va.drv.ctx(), VA_RT_FORMAT_YUV420, 64, 64, &probe, 1,
						    nullptr, 0);
	AllocWindow inDriver = closeWindow();
	int fd = -1;
	openWindow(0);
	if (board)
		fd = board->io().open(path.c_str(), O_RDWR);
	AllocWindow inEmulator = closeWindow();
	if (fd >= 0)
		board->io().close(fd);
	if (st == VA_STATUS_SUCCESS)
		va.drv.vt().vaDestroySurfaces(va.drv.ctx(), &probe, 1);
	const uint64_t d = inDriver.byOwner[static_cast<unsigned>(AllocOwner::Driver)];
	const uint64_t e = inEmulator.byOwner[static_cast<unsigned>(AllocOwner::Emulator)];
	const bool ok = st == VA_STATUS_SUCCESS && d > 0 && fd >= 0 && e > 0;
	printf("allocator check: vaCreateSurfaces2 (1 surface): %llu allocation(s), %llu by the driver "
	       ".so; emulated open(): %llu, %llu by the emulator: %s\n",
	       static_cast<unsigned long long>(inDriver.total), static_cast<unsigned long long>(d),
	       static_cast<unsigned long long>(inEmulator.total), static_cast<unsigned long long>(e),
	       ok ? "counted" : "NOT COUNTED (the figures below mean nothing)");
	return ok;
}

const DecoderNode *pickNode(v4l2emu::DeviceIo &io, const FinderResult &found,
			    const CodecDescriptor &codec, DeviceCaps *caps)
{
	// The driver's routing: the first decoder taking the coded format (driver_init.cpp).
	for (const DecoderNode &node : found.decoders)
		if (node.supports(codec.codedFourcc) && probeCodec(io, node, codec, caps) == 0)
			return &node;
	return nullptr;
}

Result run(const Config &cfg, const Options &opt)
{
	Result r;
	r.name = std::string(cfg.codec) + " " + std::to_string(cfg.width) + "x" +
		 std::to_string(cfg.height);
	auto fail = [&](const std::string &what) {
		r.error = what;
		return r;
	};

	// The VA side.
	VaSession va(benchEnv());
	if (va.drv.status() != VA_STATUS_SUCCESS)
		return fail(std::string("driver init: ") + vaErrorStr(va.drv.status()));
	identify(va);
	v4l2emu::Board *vaBoard = va.drv.board();
	if (!vaBoard)
		return fail("the driver has no emulated board");
	const VADriverVTable &vt = va.drv.vt();
	VAStatus st = va.drv.createConfig(cfg.profile, &va.config);
	if (st == VA_STATUS_SUCCESS)
		st = va.drv.createSurfaces(cfg.width, cfg.height, kSurfaces, &va.surfaces);
	if (st == VA_STATUS_SUCCESS)
		st = vt.vaCreateContext(va.drv.ctx(), va.config, static_cast<int>(cfg.width),
					static_cast<int>(cfg.height), VA_PROGRESSIVE, va.surfaces.data(),
					static_cast<int>(va.surfaces.size()), &va.context);
	if (st != VA_STATUS_SUCCESS)
		return fail(std::string("VA setup: ") + vaErrorStr(st));

	// The direct side: its own board, the driver's codec code for the payloads.
	std::string error;
	auto board = v4l2emu::Board::create("fresnel", {}, &error);
	if (!board)
		return fail(error);
	const CodecDescriptor *codec = codecForProfile(cfg.profile);
	if (!codec)
		return fail("no codec for the profile");
	FinderResult found;
	DeviceCaps caps;
	const DecoderNode *node = nullptr;
	if (findDecoders(board->io(), &found) == 0)
		node = pickNode(board->io(), found, *codec, &caps);
	if (!node)
		return fail("no decoder for the codec on the direct board");
	auto source = test::makeSource(cfg.codec, cfg.width, cfg.height);
	PictureCycle cycle;
	if (!source || !makePictureCycle(*codec, cfg.profile, caps, *source, va.surfaces, kCycle, &cycle,
					 &error))
		return fail(error.empty() ? "no frame source" : error);
	DirectPath direct;
	if (int ret = direct.setup(board->io(), *node, *codec, cfg.width, cfg.height, cycle, kSurfaces))
		return fail(std::string("direct setup: ") + strerror(-ret));

	uint64_t nVa = 0, nDirect = 0;
	auto vaFrames = [&](unsigned count) -> bool {
		for (unsigned i = 0; i < count; i++, nVa++) {
			VAStatus s = vaFrame(va, cycle.pictures[nVa % kCycle]);
			if (s != VA_STATUS_SUCCESS) {
				r.error = "VA frame " + std::to_string(nVa) + ": " + vaErrorStr(s);
				return false;
			}
		}
		return true;
	};
	auto directFrames = [&](unsigned count) -> bool {
		for (unsigned i = 0; i < count; i++, nDirect++) {
			int ret = direct.frame(cycle.pictures[nDirect % kCycle]);
			if (ret) {
				r.error = "direct frame " + std::to_string(nDirect) + ": " + strerror(-ret);
				return false;
			}
		}
		return true;
	};

	// Warm-up (pools, recycled VA buffers, the first CREATE_BUFS), then the counted window.
	if (!vaFrames(opt.warmup) || !directFrames(opt.warmup))
		return r;
	auto before = deviceStats(*vaBoard);
	openWindow(opt.where);
	auto windowStart = Clock::now();
	bool ok = vaFrames(opt.frames);
	auto windowEnd = Clock::now();
	r.vaAllocs = closeWindow();
	auto after = deviceStats(*vaBoard);
	if (!ok)
		return r;
	for (unsigned i = 0; i < r.vaAllocs.keptStacks; i++)
		r.stacks.push_back(describeStack(keptStack(i), i + 1));
	r.vaIoctls = static_cast<double>(ioctlsBetween(before, after, &r.device)) / opt.frames;

	before = deviceStats(*board);
	openWindow(0);
	ok = directFrames(opt.frames);
	r.directAllocs = closeWindow();
	after = deviceStats(*board);
	if (!ok)
		return r;
	r.directIoctls = static_cast<double>(ioctlsBetween(before, after)) / opt.frames;

	// Like for like: both boards decoded the same pictures, in the same CAPTURE buffers.
	std::vector<v4l2emu::DecodedFrame> a = vaBoard->decodedFrames(), b = board->decodedFrames();
	r.compared = std::min(a.size(), b.size());
	r.sameDecode = a.size() == b.size() && r.compared > 0;
	for (size_t i = 0; r.sameDecode && i < r.compared; i++)
		r.sameDecode = a[i].signature == b[i].signature && a[i].bufferIndex == b[i].bufferIndex &&
			       a[i].signature != 0;
	r.diagnostics = vaBoard->diagnostics().size() + board->diagnostics().size();

	// Throughput: batches of ~40 ms (sized from the counted window), alternating which path
	// goes first; the ratio is the median of each round's pair, so slow drifts of the machine
	// cancel out.
	const double windowSeconds = std::chrono::duration<double>(windowEnd - windowStart).count();
	const double estimate = windowSeconds > 0 ? opt.frames / windowSeconds : 1000;
	r.timedFrames = static_cast<unsigned>(std::clamp(estimate * 0.04, 100.0, 100000.0));
	std::vector<double> vaRates, directRates, ratios;
	for (unsigned round = 0; round < opt.rounds; round++) {
		double vaRate = 0, directRate = 0;
		for (unsigned leg = 0; leg < 2; leg++) {
			const bool vaLeg = (leg == 0) == (round % 2 == 0);
			auto t0 = Clock::now();
			if (!(vaLeg ? vaFrames(r.timedFrames) : directFrames(r.timedFrames)))
				return r;
			double rate = r.timedFrames / std::chrono::duration<double>(Clock::now() - t0).count();
			(vaLeg ? vaRate : directRate) = rate;
		}
		vaRates.push_back(vaRate);
		directRates.push_back(directRate);
		ratios.push_back(vaRate / directRate);
	}
	r.vaFps = median(vaRates);
	r.directFps = median(directRates);
	r.ratio = median(ratios);

	vt.vaDestroyContext(va.drv.ctx(), va.context);
	vt.vaDestroySurfaces(va.drv.ctx(), va.surfaces.data(), static_cast<int>(va.surfaces.size()));
	vt.vaDestroyConfig(va.drv.ctx(), va.config);
	return r;
}

double perFrame(uint64_t n, unsigned frames)
{
	return frames ? static_cast<double>(n) / frames : 0;
}

void usage(const char *argv0)
{
	fprintf(stderr, "usage: %s [--frames N] [--warmup N] [--rounds N] [--where [N]] [--check]\n",
		argv0);
}

bool parseCount(const char *s, unsigned *out)
{
	char *end = nullptr;
	unsigned long v = strtoul(s, &end, 10);
	if (!*s || *end || v > 1000000)
		return false;
	*out = static_cast<unsigned>(v);
	return true;
}

} // namespace

int benchMain(int argc, char **argv)
{
	Options opt;
	for (int i = 1; i < argc; i++) {
		std::string a = argv[i];
		bool ok = true;
		if (a == "--frames" && i + 1 < argc)
			ok = parseCount(argv[++i], &opt.frames) && opt.frames > 0;
		else if (a == "--warmup" && i + 1 < argc)
			ok = parseCount(argv[++i], &opt.warmup);
		else if (a == "--rounds" && i + 1 < argc)
			ok = parseCount(argv[++i], &opt.rounds) && opt.rounds > 0;
		else if (a == "--where") {
			opt.where = 4;
			if (i + 1 < argc && argv[i + 1][0] != '-')
				ok = parseCount(argv[++i], &opt.where);
			opt.where = std::min(opt.where, kMaxKeptStacks);
		} else if (a == "--check")
			opt.check = true;
		else
			ok = false;
		if (!ok) {
			usage(argv[0]);
			return 2;
		}
	}
	primeBacktrace();

	printf("v4l2va_bench: fresnel board, deterministic scheduler, synthetic engine, %u surfaces "
	       "round robin; %u warm-up frames, then %u counted frames per path\n",
	       kSurfaces, opt.warmup, opt.frames);
	const bool counterOk = checkCounter();

	const Config configs[] = {
		{"mpeg2", VAProfileMPEG2Main, 176, 144},
		{"mpeg2", VAProfileMPEG2Main, 1280, 720},
		{"h264", VAProfileH264ConstrainedBaseline, 176, 144},
		{"h264", VAProfileH264ConstrainedBaseline, 1280, 720},
	};
	std::vector<Result> results;
	for (const Config &c : configs)
		results.push_back(run(c, opt));

	// The emulator stands in for the kernel (and allocates the same on the direct path): the
	// allocation goal is about the driver and the consumer-side loop.
	printf("\n%-15s %-11s %-22s %-14s %-17s %-7s %s\n", "", "", "VA allocs/frame", "ioctls/frame",
	       "frames/s", "VA/", "same");
	printf("%-15s %-11s %-7s %-7s %-6s %-6s %-7s %-8s %-8s %-7s %s\n", "config", "device", "driver",
	       "emul.", "bench", "VA", "direct", "VA", "direct", "direct", "decode");
	bool goalsMet = counterOk;
	for (const Result &r : results) {
		if (!r.error.empty()) {
			printf("%-15s FAILED: %s\n", r.name.c_str(), r.error.c_str());
			goalsMet = false;
			continue;
		}
		const unsigned f = opt.frames;
		auto owned = [&](AllocOwner owner) {
			return r.vaAllocs.byOwner[static_cast<unsigned>(owner)];
		};
		const uint64_t bench = owned(AllocOwner::Bench) + owned(AllocOwner::Other);
		const uint64_t ours = owned(AllocOwner::Driver) + bench;
		printf("%-15s %-11s %-7.3f %-7.3f %-6.3f %-6.2f %-7.2f %-8.0f %-8.0f %-7.3f %s (%zu)\n",
		       r.name.c_str(), r.device.c_str(), perFrame(owned(AllocOwner::Driver), f),
		       perFrame(owned(AllocOwner::Emulator), f), perFrame(bench, f), r.vaIoctls,
		       r.directIoctls, r.vaFps, r.directFps, r.ratio, r.sameDecode ? "yes" : "NO",
		       r.compared);
		if (ours > 0 || r.vaIoctls > kMaxIoctlsPerFrame || r.ratio < kMinRatio || !r.sameDecode)
			goalsMet = false;
	}
	printf("\ngoals: driver+bench allocs/frame 0, ioctls/frame <= %.0f, VA/direct >= %.2f: %s\n",
	       kMaxIoctlsPerFrame, kMinRatio, goalsMet ? "met" : "NOT MET");
	printf("timing: median of %u rounds, VA and direct batches alternating; frames per batch:",
	       opt.rounds);
	for (const Result &r : results)
		if (r.error.empty())
			printf(" %s %u;", r.name.c_str(), r.timedFrames);
	printf("\ndirect path allocs/frame (all emulator):");
	for (const Result &r : results)
		if (r.error.empty())
			printf(" %s %.3f;", r.name.c_str(), perFrame(r.directAllocs.total, opt.frames));
	size_t diagnostics = 0;
	for (const Result &r : results)
		diagnostics += r.diagnostics;
	printf("\nboard diagnostics: %zu; same decode: synthetic-engine signatures of both boards' "
	       "decoded frames (count compared)\n", diagnostics);

	for (const Result &r : results) {
		if (r.stacks.empty())
			continue;
		printf("\n%s: first %zu of %llu allocations in the counted window\n", r.name.c_str(),
		       r.stacks.size(), static_cast<unsigned long long>(r.vaAllocs.total));
		for (const std::string &text : r.stacks)
			fputs(text.c_str(), stdout);
	}
	if (opt.where == 0) {
		for (const Result &r : results) {
			if (r.error.empty() && r.vaAllocs.total > 0) {
				printf("\n(allocations counted: --where N prints the first N stacks of each)\n");
				break;
			}
		}
	}
	return opt.check && !goalsMet ? 1 : 0;
}

} // namespace v4l2va::bench

int main(int argc, char **argv)
{
	return v4l2va::bench::benchMain(argc, argv);
}
