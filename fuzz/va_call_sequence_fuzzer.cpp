// SPDX-License-Identifier: MIT
// Fuzz target: sequences of VA calls into the driver (v4l2_request_drv_video.so, loaded by the
// in-process harness of backend/tests/va/support/) on the emulated fresnel board: configs,
// surfaces, contexts, buffers with arbitrary parameter structs and slice data, pictures,
// readback through images and exports. Handles are indices into tables of the IDs the input
// created, so the fuzzer spends its time on states, not on guessing IDs. One driver instance
// serves every input; what an input created is destroyed at its end.
//
// Input: up to 48 operations, u8 opcode % 20 and its arguments (runOp). Buffer contents use
// va_buffers.h; op 16 renders a whole picture the way FFmpeg does, which is what the seeds
// (real streams recorded through libavcodec) mostly hold.
// Invariants: no crash or sanitizer report; every status is a VA status; the mapping of an
// image destroyed while mapped stays readable until it is unmapped; once everything the input
// created is destroyed, the board holds what it held after vaInitialize (no fd, mapping, m2m
// context, request or vb2 buffer leaks).
#include "byte_reader.h"
#include "known_findings.h"
#include "va_buffers.h"
#include "va_surfaces.h"

#include "va_harness.h"

#include <va/va_drmcommon.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <string>
#include <vector>

using v4l2va::fuzz::BufferArena;
using v4l2va::fuzz::ByteReader;
using v4l2va::fuzz::CodecFamily;
using v4l2va::fuzz::FuzzBuffer;

namespace {

[[noreturn]] void invariantBroken(const char *what)
{
	fprintf(stderr, "va_call_sequence: invariant broken: %s\n", what);
	abort();
}

constexpr unsigned kMaxPictureBuffers = 24;

/// The board counters that must come back to their post-initialisation values.
struct Footprint {
	uint64_t fds = 0, mappings = 0, contexts = 0, requests = 0, buffers = 0;
	bool operator==(const Footprint &) const = default;
};

Footprint footprint(const v4l2emu::Board &board)
{
	v4l2emu::BoardStats st = board.stats();
	Footprint f;
	f.fds = st.openFds;
	f.mappings = st.liveMappings;
	for (const auto &d : st.devices) {
		f.contexts += d.openContexts;
		f.requests += d.liveRequests;
		f.buffers += d.liveBuffers;
	}
	return f;
}

struct Config {
	VAConfigID id;
	CodecFamily family;
};
struct Context {
	VAContextID id;
	CodecFamily family;
};
struct Buffer {
	VABufferID id;
	size_t size;
	bool mapped;
};
struct Image {
	VAImage image;
	bool mapped;
	VASurfaceID derivedFrom;	///< VA_INVALID_SURFACE for CreateImage's
	const uint8_t *data = nullptr;	///< where it is mapped, while mapped
};
/// The buffer of an image destroyed while mapped: still mapped, unmapping it destroys it.
struct OrphanMapping {
	VABufferID buf;
	const uint8_t *data;
	uint32_t size;
};

/// Reads both ends: a mapping shorter than `size`, or one already gone, faults here.
void touchMapping(const void *p, uint32_t size)
{
	if (!p || !size)
		return;
	volatile const uint8_t *b = static_cast<const uint8_t *>(p);
	(void)b[0];
	(void)b[size - 1];
}

class Sequence {
public:
	explicit Sequence(v4l2va::test::VaDriver &drv)
		: drv_(drv), vt_(drv.vt()), ctx_(drv.ctx())
	{
	}
	void runOp(ByteReader &in);
	void destroyAll();

	/// What went through, for V4L2VA_FUZZ_VERBOSE=1 (checking that seeds decode).
	struct Counts {
		unsigned contexts = 0, pictures = 0, ended = 0, synced = 0, images = 0;
	} counts;

private:
	template<typename T> T *pick(ByteReader &in, std::vector<T> &v)
	{
		return v.empty() ? nullptr : &v[in.below(static_cast<uint32_t>(v.size()))];
	}
	VASurfaceID pickSurface(ByteReader &in)
	{
		if (surfaces_.empty() || in.u8() >= 250)
			return in.u8() < 128 ? VA_INVALID_SURFACE : in.u32();
		return surfaces_[in.below(static_cast<uint32_t>(surfaces_.size()))];
	}
	static void dimensions(ByteReader &in, unsigned *w, unsigned *h)
	{
		static const unsigned kSizes[][2] = {{176, 144}, {320, 240}, {128, 128}, {64, 64}, {1920, 1088}};
		uint8_t r = in.u8();
		*w = kSizes[r % 5][0];
		*h = kSizes[r % 5][1];
		if (r >= 240) {
			*w = in.u16() % 8193;
			*h = in.u16() % 8193;
		}
	}
	void createConfig(ByteReader &in);
	void createSurfaces(ByteReader &in);
	void createContext(ByteReader &in);
	bool createBuffer(ByteReader &in, const Context &c, VABufferID *id, VABufferType *type);
	void renderWholePicture(ByteReader &in);
	void readImage(ByteReader &in);
	void exportSurface(ByteReader &in);
	void destroyOne(ByteReader &in);
	void queries(ByteReader &in);

	v4l2va::test::VaDriver &drv_;
	const VADriverVTable &vt_;
	VADriverContextP ctx_;
	BufferArena arena_;
	std::vector<Config> configs_;
	std::vector<VASurfaceID> surfaces_;
	std::vector<Context> contexts_;
	std::vector<Buffer> buffers_;
	std::vector<Image> images_;
	std::vector<OrphanMapping> orphans_;
};

void Sequence::createConfig(ByteReader &in)
{
	if (configs_.size() >= 4)
		return;
	static const std::vector<VAProfile> profiles = drv_.profiles();
	VAProfile profile = !profiles.empty() && in.u8() < 240
				    ? profiles[in.below(static_cast<uint32_t>(profiles.size()))]
				    : static_cast<VAProfile>(static_cast<int>(in.below(42)) - 1);
	VAEntrypoint ep = in.u8() < 240 ? VAEntrypointVLD : static_cast<VAEntrypoint>(1 + in.below(12));
	VAConfigAttrib attribs[2] = {};
	int numAttribs = in.below(3);
	for (int i = 0; i < numAttribs; i++) {
		static const VAConfigAttribType kTypes[] = {VAConfigAttribRTFormat, VAConfigAttribDecSliceMode,
							    VAConfigAttribMaxPictureWidth};
		attribs[i].type = kTypes[in.below(3)];
		attribs[i].value = in.u8() < 200 ? VA_RT_FORMAT_YUV420 : in.u32();
	}
	VAConfigID id = VA_INVALID_ID;
	if (vt_.vaCreateConfig(ctx_, profile, ep, attribs, numAttribs, &id) == VA_STATUS_SUCCESS)
		configs_.push_back({id, v4l2va::fuzz::familyOf(profile)});
}

void Sequence::createSurfaces(ByteReader &in)
{
	unsigned w, h;
	dimensions(in, &w, &h);
	unsigned count = 1 + in.below(4);
	if (surfaces_.size() + count > 24)
		return;
	static const uint32_t kRt[] = {VA_RT_FORMAT_YUV420, VA_RT_FORMAT_YUV420_10, VA_RT_FORMAT_YUV422};
	uint8_t r = in.u8();
	uint32_t rt = r < 240 ? kRt[r % 3] : in.u32();
	static const uint32_t kFourcc[] = {VA_FOURCC_NV12, VA_FOURCC_P010, VA_FOURCC_NV12};
	VASurfaceAttrib attribs[2] = {};
	attribs[0].type = VASurfaceAttribPixelFormat;
	attribs[0].flags = VA_SURFACE_ATTRIB_SETTABLE;
	attribs[0].value.type = VAGenericValueTypeInteger;
	uint8_t f = in.u8();
	attribs[0].value.value.i = static_cast<int>(f < 240 ? kFourcc[f % 3] : in.u32());
	attribs[1].type = VASurfaceAttribMemoryType;
	attribs[1].flags = VA_SURFACE_ATTRIB_SETTABLE;
	attribs[1].value.type = VAGenericValueTypeInteger;
	attribs[1].value.value.i = VA_SURFACE_ATTRIB_MEM_TYPE_VA;
	unsigned numAttribs = in.below(3);
	VASurfaceID ids[4];
	if (vt_.vaCreateSurfaces2(ctx_, rt, w, h, ids, count, numAttribs ? attribs : nullptr, numAttribs) ==
	    VA_STATUS_SUCCESS)
		surfaces_.insert(surfaces_.end(), ids, ids + count);
}

void Sequence::createContext(ByteReader &in)
{
	Config *cfg = pick(in, configs_);
	if (!cfg || contexts_.size() >= 3)
		return;
	unsigned w, h;
	dimensions(in, &w, &h);
	VASurfaceID targets[8];
	int n = static_cast<int>(in.below(9));
	for (int i = 0; i < n; i++)
		targets[i] = pickSurface(in);
	int flag = in.u8() < 240 ? VA_PROGRESSIVE : static_cast<int>(in.u32());
	VAContextID id = VA_INVALID_ID;
	if (vt_.vaCreateContext(ctx_, cfg->id, static_cast<int>(w), static_cast<int>(h), flag,
				n ? targets : nullptr, n, &id) == VA_STATUS_SUCCESS) {
		contexts_.push_back({id, cfg->family});
		counts.contexts++;
	}
}

bool Sequence::createBuffer(ByteReader &in, const Context &c, VABufferID *id, VABufferType *type)
{
	FuzzBuffer b;
	if (buffers_.size() >= 64 || !v4l2va::fuzz::readBuffer(in, c.family, arena_, &b))
		return false;
	// Surface handles in the parameter structs become this run's surface IDs.
	auto *bytes = const_cast<uint8_t *>(b.data);
	v4l2va::fuzz::forEachSurfaceField(c.family, b.type, bytes, b.elementSize, b.numElements,
					  [&](VASurfaceID &id) {
						  if (id < v4l2va::fuzz::kMaxSurfaceHandle && !surfaces_.empty())
							  id = surfaces_[id % surfaces_.size()];
					  });
	// Some consumers (gstreamer-vaapi) create with no data and fill through MapBuffer.
	void *data = in.u8() < 230 ? bytes : nullptr;
	if (vt_.vaCreateBuffer(ctx_, c.id, b.type, b.elementSize, b.numElements, data, id) != VA_STATUS_SUCCESS)
		return false;
	buffers_.push_back({*id, b.size(), false});
	if (type)
		*type = b.type;
	return true;
}

/// FFmpeg's order (vaapi_decode.c:ff_vaapi_decode_issue): every buffer created, Begin, the
/// parameter buffers in one Render, each slice pair in another, End, every buffer destroyed.
void Sequence::renderWholePicture(ByteReader &in)
{
	Context *c = pick(in, contexts_);
	if (!c)
		return;
	VASurfaceID target = pickSurface(in);
	// MPEG-2 streams have a slice per macroblock row: 9 slices at 176x144, 20 buffers.
	unsigned count = 1 + in.below(kMaxPictureBuffers);
	VABufferID ids[kMaxPictureBuffers];
	VABufferType types[kMaxPictureBuffers];
	unsigned made = 0;
	size_t firstNew = buffers_.size();
	for (unsigned i = 0; i < count; i++)
		if (createBuffer(in, *c, &ids[made], &types[made]))
			made++;
	if (vt_.vaBeginPicture(ctx_, c->id, target) == VA_STATUS_SUCCESS) {
		unsigned params = 0;
		while (params < made && types[params] != VASliceParameterBufferType &&
		       types[params] != VASliceDataBufferType)
			params++;
		if (params)
			vt_.vaRenderPicture(ctx_, c->id, ids, static_cast<int>(params));
		for (unsigned i = params; i < made; i += 2)
			vt_.vaRenderPicture(ctx_, c->id, ids + i, static_cast<int>(made - i < 2 ? made - i : 2));
		counts.pictures++;
		if (vt_.vaEndPicture(ctx_, c->id) == VA_STATUS_SUCCESS)
			counts.ended++;
	}
	for (size_t i = firstNew; i < buffers_.size(); i++)
		vt_.vaDestroyBuffer(ctx_, buffers_[i].id);
	buffers_.resize(firstNew);
	if (in.u8() < 128 && vt_.vaSyncSurface(ctx_, target) == VA_STATUS_SUCCESS)
		counts.synced++;
}

void Sequence::readImage(ByteReader &in)
{
	Image *img = pick(in, images_);
	if (!img)
		return;
	if (in.u8() < 200) {
		VASurfaceID s = pickSurface(in);
		int x = static_cast<int>(in.below(32)), y = static_cast<int>(in.below(32));
		VAStatus st = vt_.vaGetImage(ctx_, s, x, y, img->image.width, img->image.height, img->image.image_id);
		if (st == VA_STATUS_SUCCESS)
			counts.images++;
		return;
	}
	void *p = nullptr;
	if (img->mapped || vt_.vaMapBuffer(ctx_, img->image.buf, &p) != VA_STATUS_SUCCESS)
		return;
	touchMapping(p, img->image.data_size);
	if (in.u8() < 230) {
		vt_.vaUnmapBuffer(ctx_, img->image.buf);
	} else {
		img->mapped = true;
		img->data = static_cast<const uint8_t *>(p);
	}
}

void Sequence::exportSurface(ByteReader &in)
{
	VADRMPRIMESurfaceDescriptor d {};
	uint32_t memType = in.u8() < 230 ? VA_SURFACE_ATTRIB_MEM_TYPE_DRM_PRIME_2 : in.u32();
	uint32_t flags = in.u8() < 200 ? VA_EXPORT_SURFACE_READ_ONLY | VA_EXPORT_SURFACE_SEPARATE_LAYERS
				       : in.u32();
	if (vt_.vaExportSurfaceHandle(ctx_, pickSurface(in), memType, flags, &d) != VA_STATUS_SUCCESS)
		return;
	if (d.num_objects > 4)
		invariantBroken("an export with more objects than the descriptor holds");
	for (uint32_t i = 0; i < d.num_objects; i++)
		if (drv_.board()->io().close(d.objects[i].fd))
			invariantBroken("an exported object's fd does not close");
}

void Sequence::destroyOne(ByteReader &in)
{
	switch (in.below(5)) {
	case 0:
		if (!buffers_.empty()) {
			size_t i = in.below(static_cast<uint32_t>(buffers_.size()));
			vt_.vaDestroyBuffer(ctx_, buffers_[i].id);
			buffers_.erase(buffers_.begin() + static_cast<long>(i));
		}
		break;
	case 1:
		if (!surfaces_.empty()) {
			size_t i = in.below(static_cast<uint32_t>(surfaces_.size()));
			if (vt_.vaDestroySurfaces(ctx_, &surfaces_[i], 1) == VA_STATUS_SUCCESS)
				surfaces_.erase(surfaces_.begin() + static_cast<long>(i));
		}
		break;
	case 2:
		if (!contexts_.empty()) {
			size_t i = in.below(static_cast<uint32_t>(contexts_.size()));
			vt_.vaDestroyContext(ctx_, contexts_[i].id);
			contexts_.erase(contexts_.begin() + static_cast<long>(i));
		}
		break;
	case 3:
		if (!configs_.empty()) {
			size_t i = in.below(static_cast<uint32_t>(configs_.size()));
			vt_.vaDestroyConfig(ctx_, configs_[i].id);
			configs_.erase(configs_.begin() + static_cast<long>(i));
		}
		break;
	default:
		if (!images_.empty()) {
			size_t i = in.below(static_cast<uint32_t>(images_.size()));
			const Image &img = images_[i];
			if (vt_.vaDestroyImage(ctx_, img.image.image_id) == VA_STATUS_SUCCESS && img.mapped)
				orphans_.push_back({img.image.buf, img.data, img.image.data_size});
			images_.erase(images_.begin() + static_cast<long>(i));
		}
		break;
	}
}

void Sequence::queries(ByteReader &in)
{
	switch (in.below(4)) {
	case 0: {
		Config *cfg = pick(in, configs_);
		VAProfile profile;
		VAEntrypoint ep;
		VAConfigAttrib attribs[VAConfigAttribTypeMax];
		int num = 0;
		vt_.vaQueryConfigAttributes(ctx_, cfg ? cfg->id : in.u32(), &profile, &ep, attribs, &num);
		if (num < 0 || num > VAConfigAttribTypeMax)
			invariantBroken("QueryConfigAttributes wrote past the attribute array");
		break;
	}
	case 1: {
		Config *cfg = pick(in, configs_);
		VASurfaceAttrib attribs[32];
		unsigned num = 32;
		vt_.vaQuerySurfaceAttributes(ctx_, cfg ? cfg->id : in.u32(), attribs, &num);
		break;
	}
	case 2: {
		VASurfaceStatus status;
		vt_.vaQuerySurfaceStatus(ctx_, pickSurface(in), &status);
		break;
	}
	default: {
		Buffer *b = pick(in, buffers_);
		if (b)
			vt_.vaBufferSetNumElements(ctx_, b->id, in.u8() < 200 ? 1 + in.below(4) : in.u32());
		break;
	}
	}
}

void Sequence::runOp(ByteReader &in)
{
	arena_.reset();
	switch (in.below(20)) {
	case 0:
		createConfig(in);
		break;
	case 1:
		createSurfaces(in);
		break;
	case 2:
		createContext(in);
		break;
	case 3: {
		Context *c = pick(in, contexts_);
		VABufferID id;
		if (c)
			createBuffer(in, *c, &id, nullptr);
		break;
	}
	case 4: {
		Buffer *b = pick(in, buffers_);
		void *p = nullptr;
		if (!b || b->mapped || vt_.vaMapBuffer(ctx_, b->id, &p) != VA_STATUS_SUCCESS)
			break;
		if (p && b->size) {
			uint32_t offset = in.u16() % b->size;
			size_t n = 0;
			const uint8_t *src = in.take(std::min<size_t>(b->size - offset, in.u16()), &n);
			memcpy(static_cast<uint8_t *>(p) + offset, src, n);
		}
		if (in.u8() < 230)
			vt_.vaUnmapBuffer(ctx_, b->id);
		else
			b->mapped = true;
		break;
	}
	case 5: {
		Context *c = pick(in, contexts_);
		VAContextID id = c ? c->id : in.u32();
		vt_.vaBeginPicture(ctx_, id, pickSurface(in));
		break;
	}
	case 6: {
		Context *c = pick(in, contexts_);
		VABufferID ids[4];
		int n = static_cast<int>(in.below(5));
		for (int i = 0; i < n; i++) {
			Buffer *b = pick(in, buffers_);
			ids[i] = b ? b->id : in.u32();
		}
		vt_.vaRenderPicture(ctx_, c ? c->id : in.u32(), ids, n);
		break;
	}
	case 7: {
		Context *c = pick(in, contexts_);
		vt_.vaEndPicture(ctx_, c ? c->id : in.u32());
		break;
	}
	case 8: {
		bool plain = in.u8() < 200;
		VASurfaceID s = pickSurface(in);
		if (plain)
			vt_.vaSyncSurface(ctx_, s);
		else
			vt_.vaSyncSurface2(ctx_, s, in.u8() < 128 ? 0 : 1000000);
		break;
	}
	case 9:
	case 15:
		destroyOne(in);
		break;
	case 10: {
		if (images_.size() >= 4)
			break;
		VAImageFormat fmt {};
		static const uint32_t kFourcc[] = {VA_FOURCC_NV12, VA_FOURCC_P010, VA_FOURCC_I420, VA_FOURCC_YV12};
		uint8_t f = in.u8();
		fmt.fourcc = f < 240 ? kFourcc[f % 4] : in.u32();
		fmt.byte_order = VA_LSB_FIRST;
		fmt.bits_per_pixel = fmt.fourcc == VA_FOURCC_P010 ? 24 : 12;
		unsigned w, h;
		dimensions(in, &w, &h);
		VAImage img {};
		if (vt_.vaCreateImage(ctx_, &fmt, static_cast<int>(w), static_cast<int>(h), &img) == VA_STATUS_SUCCESS)
			images_.push_back({img, false, VA_INVALID_SURFACE});
		break;
	}
	case 11: {
		if (images_.size() >= 4)
			break;
		VAImage img {};
		VASurfaceID s = pickSurface(in);
		if (vt_.vaDeriveImage(ctx_, s, &img) == VA_STATUS_SUCCESS)
			images_.push_back({img, false, s});
		break;
	}
	case 12:
	case 13:
		readImage(in);
		break;
	case 14:
		exportSurface(in);
		break;
	case 16:
	case 17:
		renderWholePicture(in);
		break;
	default:
		queries(in);
		break;
	}
}

void Sequence::destroyAll()
{
	for (auto &b : buffers_) {
		if (b.mapped)
			vt_.vaUnmapBuffer(ctx_, b.id);
		vt_.vaDestroyBuffer(ctx_, b.id);
	}
	for (const OrphanMapping &o : orphans_) {
		touchMapping(o.data, o.size);
		if (vt_.vaUnmapBuffer(ctx_, o.buf) != VA_STATUS_SUCCESS)
			invariantBroken("the mapping of a destroyed image does not unmap");
	}
	orphans_.clear();
	for (auto &img : images_) {
		if (img.mapped)
			vt_.vaUnmapBuffer(ctx_, img.image.buf);
		if (vt_.vaDestroyImage(ctx_, img.image.image_id) != VA_STATUS_SUCCESS)
			invariantBroken("an image the input created does not destroy");
	}
	for (auto &c : contexts_)
		if (vt_.vaDestroyContext(ctx_, c.id) != VA_STATUS_SUCCESS)
			invariantBroken("a context the input created does not destroy");
	for (VASurfaceID s : surfaces_)
		if (vt_.vaDestroySurfaces(ctx_, &s, 1) != VA_STATUS_SUCCESS)
			invariantBroken("a surface the input created does not destroy");
	for (auto &c : configs_)
		if (vt_.vaDestroyConfig(ctx_, c.id) != VA_STATUS_SUCCESS)
			invariantBroken("a config the input created does not destroy");
	buffers_.clear();
	images_.clear();
	contexts_.clear();
	surfaces_.clear();
	configs_.clear();
}

/// One driver for the whole run (loading it and probing the devices takes milliseconds),
/// never unloaded: the process exits with it.
v4l2va::test::VaDriver &driver()
{
	static v4l2va::test::VaDriver *drv = [] {
		// Packaged fuzzers (ci/oss-fuzz) carry the driver next to the executable; the build
		// tree the harness names does not exist where they run.
		char exe[4096];
		ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		if (n > 0 && !getenv("V4L2VA_DRIVER_PATH")) {
			exe[n] = 0;
			std::string beside = std::string(exe, strrchr(exe, '/') - exe) + "/v4l2_request_drv_video.so";
			if (access(beside.c_str(), R_OK) == 0)
				setenv("V4L2VA_DRIVER_PATH", beside.c_str(), 1);
		}
		v4l2va::test::DriverEnv env;
		env.board = "fresnel";
		auto *d = new v4l2va::test::VaDriver(env);
		if (d->status() != VA_STATUS_SUCCESS || !d->board())
			invariantBroken("the driver does not initialise on the emulated board");
		return d;
	}();
	return *drv;
}

} // namespace

// Loads the driver before fuzzing starts, so libFuzzer counts its coverage from the first input.
extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
	driver();
	return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	v4l2va::test::VaDriver *drv = &driver();
	static const Footprint initial = footprint(*drv->board());
	static Sequence *seq = new Sequence(*drv);

	static const bool verbose = getenv("V4L2VA_FUZZ_VERBOSE") != nullptr;
	size_t framesBefore = verbose ? drv->board()->decodedFrames().size() : 0;
	ByteReader in(data, size);
	seq->counts = {};
	for (int step = 0; step < 48 && !in.empty(); step++)
		seq->runOp(in);
	if (verbose) {
		auto frames = drv->board()->decodedFrames();
		unsigned nonzero = 0;
		for (size_t i = framesBefore; i < frames.size(); i++)
			nonzero += frames[i].signature != 0;
		fprintf(stderr, "va_call_sequence: %u contexts, %u pictures, %u ended, %u synced, %u images; "
				"%zu frames decoded (%u with a picture)\n",
			seq->counts.contexts, seq->counts.pictures, seq->counts.ended, seq->counts.synced,
			seq->counts.images, frames.size() - framesBefore, nonzero);
	}
	seq->destroyAll();
	// The board keeps every diagnostic until told otherwise: per input, or a campaign's
	// memory grows with them (and each input that adds one costs libFuzzer a leak check).
	drv->board()->clearDiagnostics();
	if (!(footprint(*drv->board()) == initial))
		invariantBroken("the board holds more than after vaInitialize once everything is destroyed");
	return 0;
}
