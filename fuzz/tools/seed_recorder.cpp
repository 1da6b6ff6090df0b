// SPDX-License-Identifier: MIT
// Seed recorder: decodes a real stream (corpus/streams/) with libavcodec's VAAPI hwaccel through
// v4l2_request_drv_video.so on the emulated fresnel board (the libav test harness), records the
// VA calls FFmpeg makes (the vtable is wrapped once the display is up), and writes seeds for
// the fuzz targets from them:
//   va_call_sequence   config, surfaces, context and the first pictures as FFmpeg renders them
//   codec_state        the pictures' VA buffers
//   emu_stateless_controls  the V4L2 controls the driver's codec builds for those pictures,
//                      set in a request and decoded, on the board's decoder and on visl
//   h264_slice_header, hevc_slice_header, vp9_headers  each slice's header with its context
// Usage: seed_recorder <stream> <corpus/fuzz dir> <name> (fuzz/tools/make_seeds.sh runs it).
#include "../codec_sink.h"
#include "../va_surfaces.h"
#include "seed_writer.h"

#include "codecs/registry.h"
#include "libav_vaapi_decoder.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

using namespace v4l2va;
using namespace v4l2va::fuzz;

namespace {

struct RecBuffer {
	VABufferType type;
	uint32_t elementSize;
	uint32_t numElements;
	std::vector<uint8_t> bytes;
};
struct RecPicture {
	VASurfaceID target;
	std::vector<RecBuffer> buffers;
};
struct Recording {
	VAProfile profile = VAProfileNone;
	unsigned width = 0, height = 0;		///< the context's
	unsigned surfaceWidth = 0, surfaceHeight = 0;
	std::vector<VASurfaceID> surfaces;	///< creation order = handle
	std::vector<RecPicture> pictures;
	std::map<VABufferID, RecBuffer> created;
};

Recording gRec;
VADriverVTable gOrig;
VADriverContextP gCtx;
constexpr size_t kMaxPictures = 4;	// seeds stay small; mutations add pictures

VAStatus recCreateConfig(VADriverContextP c, VAProfile p, VAEntrypoint e, VAConfigAttrib *a, int n, VAConfigID *id)
{
	gRec.profile = p;
	return gOrig.vaCreateConfig(c, p, e, a, n, id);
}

VAStatus recCreateSurfaces2(VADriverContextP c, unsigned f, unsigned w, unsigned h, VASurfaceID *s, unsigned n,
			    VASurfaceAttrib *a, unsigned na)
{
	VAStatus st = gOrig.vaCreateSurfaces2(c, f, w, h, s, n, a, na);
	if (st == VA_STATUS_SUCCESS) {
		gRec.surfaces.insert(gRec.surfaces.end(), s, s + n);
		gRec.surfaceWidth = w;
		gRec.surfaceHeight = h;
	}
	return st;
}

VAStatus recCreateContext(VADriverContextP c, VAConfigID cfg, int w, int h, int flag, VASurfaceID *t, int n,
			  VAContextID *id)
{
	gRec.width = static_cast<unsigned>(w);
	gRec.height = static_cast<unsigned>(h);
	return gOrig.vaCreateContext(c, cfg, w, h, flag, t, n, id);
}

VAStatus recCreateBuffer(VADriverContextP c, VAContextID ctx, VABufferType type, unsigned size, unsigned n,
			 void *data, VABufferID *id)
{
	VAStatus st = gOrig.vaCreateBuffer(c, ctx, type, size, n, data, id);
	if (st == VA_STATUS_SUCCESS)
		gRec.created[*id] = {type, size, n, {}};
	return st;
}

bool gRecording = false;	///< the current picture is one of the first kMaxPictures

VAStatus recBeginPicture(VADriverContextP c, VAContextID ctx, VASurfaceID target)
{
	gRecording = gRec.pictures.size() < kMaxPictures;
	if (gRecording)
		gRec.pictures.push_back({target, {}});
	return gOrig.vaBeginPicture(c, ctx, target);
}

VAStatus recRenderPicture(VADriverContextP c, VAContextID ctx, VABufferID *ids, int n)
{
	// The contents as the driver will read them (FFmpeg fills buffers at creation).
	for (int i = 0; i < n && gRecording; i++) {
		auto it = gRec.created.find(ids[i]);
		void *p = nullptr;
		if (it == gRec.created.end() || gOrig.vaMapBuffer(c, ids[i], &p) != VA_STATUS_SUCCESS)
			continue;
		RecBuffer b = it->second;
		auto *src = static_cast<const uint8_t *>(p);
		b.bytes.assign(src, src + static_cast<size_t>(b.elementSize) * b.numElements);
		gOrig.vaUnmapBuffer(c, ids[i]);
		gRec.pictures.back().buffers.push_back(std::move(b));
	}
	return gOrig.vaRenderPicture(c, ctx, ids, n);
}

void installRecorder(VADriverContextP ctx)
{
	gCtx = ctx;
	gOrig = *ctx->vtable;
	ctx->vtable->vaCreateConfig = recCreateConfig;
	ctx->vtable->vaCreateSurfaces2 = recCreateSurfaces2;
	ctx->vtable->vaCreateContext = recCreateContext;
	ctx->vtable->vaCreateBuffer = recCreateBuffer;
	ctx->vtable->vaBeginPicture = recBeginPicture;
	ctx->vtable->vaRenderPicture = recRenderPicture;
}

/// Surface IDs in the parameter structs become handles (creation order).
void toHandles(CodecFamily family, RecBuffer &b)
{
	forEachSurfaceField(family, b.type, b.bytes.data(), b.elementSize, b.numElements, [](VASurfaceID &id) {
		auto it = std::find(gRec.surfaces.begin(), gRec.surfaces.end(), id);
		if (it != gRec.surfaces.end())
			id = static_cast<VASurfaceID>(it - gRec.surfaces.begin());
	});
}

uint32_t handleOf(VASurfaceID id)
{
	auto it = std::find(gRec.surfaces.begin(), gRec.surfaces.end(), id);
	return it == gRec.surfaces.end() ? 0 : static_cast<uint32_t>(it - gRec.surfaces.begin());
}

void dimensions(SeedWriter &w, unsigned width, unsigned height)
{
	static const unsigned kSizes[][2] = {{176, 144}, {320, 240}, {128, 128}, {64, 64}, {1920, 1088}};
	for (unsigned i = 0; i < 5; i++)
		if (kSizes[i][0] == width && kSizes[i][1] == height) {
			w.u8(static_cast<uint8_t>(i));
			return;
		}
	w.u8(240);
	w.u16(static_cast<uint16_t>(width));
	w.u16(static_cast<uint16_t>(height));
}

std::string gDir, gName;

void save(const SeedWriter &w, const std::string &target, const std::string &suffix)
{
	std::string dir = gDir + "/" + target;
	mkdir(dir.c_str(), 0755);
	std::string path = dir + "/seed-" + gName + suffix;
	if (!w.save(path)) {
		fprintf(stderr, "seed_recorder: cannot write %s\n", path.c_str());
		exit(1);
	}
}

/// va_call_sequence: the session FFmpeg sets up, its first pictures, one readback.
void writeVaSequence(CodecFamily family, const std::vector<VAProfile> &profiles)
{
	SeedWriter w;
	auto op = [&](uint8_t code) { w.below(code); };
	op(0);		// createConfig
	w.u8(0);
	auto p = std::find(profiles.begin(), profiles.end(), gRec.profile);
	w.below(static_cast<uint32_t>(p - profiles.begin()));
	w.u8(0);	// VLD
	w.below(0);	// no attributes
	size_t surfaces = std::min<size_t>(gRec.surfaces.size(), 24);
	for (size_t made = 0; made < surfaces; made += 4) {
		op(1);
		dimensions(w, gRec.surfaceWidth, gRec.surfaceHeight);
		w.below(static_cast<uint32_t>(std::min<size_t>(4, surfaces - made) - 1));
		w.u8(0);	// YUV420
		w.u8(0);	// NV12
		w.below(2);	// both attributes
	}
	op(2);		// createContext
	w.below(0);
	dimensions(w, gRec.width, gRec.height);
	w.below(0);	// no render targets (allowed; surfaces bind at first decode)
	w.u8(0);	// VA_PROGRESSIVE
	size_t pictures = std::min<size_t>(gRec.pictures.size(), 4);
	for (size_t i = 0; i < pictures; i++) {
		RecPicture pic = gRec.pictures[i];
		if (pic.buffers.size() > 24 || handleOf(pic.target) >= surfaces)
			break;
		op(16);
		w.below(0);	// context 0
		w.u8(0);
		w.below(handleOf(pic.target));
		w.below(static_cast<uint32_t>(pic.buffers.size() - 1));
		for (RecBuffer &b : pic.buffers) {
			toHandles(family, b);
			w.buffer(family, b.type, b.elementSize, b.numElements, b.bytes.data());
			w.u8(0);	// with data
		}
		w.u8(0);	// sync the target
	}
	// Read the first picture back: an NV12 image, GetImage, map it.
	op(10);
	w.u8(0);
	dimensions(w, gRec.width, gRec.height);
	op(12);
	w.below(0);
	w.u8(0);	// GetImage
	w.u8(0);
	w.below(pictures ? handleOf(gRec.pictures[0].target) : 0);
	w.below(0);
	w.below(0);
	op(13);
	w.below(0);
	w.u8(200);	// map and touch
	w.u8(0);	// unmap
	save(w, "va_call_sequence", "");
}

/// codec_state: every recorded picture's buffers on capabilities like the board's decoder.
void writeCodecState(CodecFamily family, const CodecDescriptor &codec)
{
	static const char *const kNames[] = {"h264", "hevc", "mpeg2", "vp8", "vp9"};
	SeedWriter w;
	for (uint32_t i = 0; i < 5; i++)
		if (strcmp(kNames[i], codec.name) == 0)
			w.below(i);
	auto p = std::find(codec.profiles.begin(), codec.profiles.end(), gRec.profile);
	w.below(static_cast<uint32_t>(p - codec.profiles.begin()));
	// Capabilities: multiplanar, frame-based, Annex B, every control, NV12 (rkvdec, hantro).
	w.u8(0);
	w.u8(0);
	w.u8(0);
	w.u8(240);
	w.u16(static_cast<uint16_t>(gRec.width));
	w.u16(static_cast<uint16_t>(gRec.height));
	w.u32(0xffffffff);	// every surface handle resolves
	for (RecPicture pic : gRec.pictures) {
		if (pic.buffers.size() > 24)
			break;
		w.below(1);	// at most 2 units
		w.below(static_cast<uint32_t>(pic.buffers.size() - 1));
		for (RecBuffer &b : pic.buffers) {
			toHandles(family, b);
			w.buffer(family, b.type, b.elementSize, b.numElements, b.bytes.data());
		}
		w.u8(0);	// submitted
	}
	save(w, "codec_state", "");
}

/// Resolves recorded surfaces to the timestamps the stateless-controls target gives pictures.
class PictureResolver final : public ReferenceResolver {
public:
	std::map<VASurfaceID, uint64_t> decoded;
	bool timestampOf(VASurfaceID s, uint64_t *ts) const override
	{
		auto it = decoded.find(s);
		if (it == decoded.end())
			return false;
		*ts = it->second;
		return true;
	}
};

const uint32_t kStatelessIds[] = {
	V4L2_CID_STATELESS_H264_DECODE_MODE, V4L2_CID_STATELESS_H264_START_CODE,
	V4L2_CID_STATELESS_H264_SPS, V4L2_CID_STATELESS_H264_PPS,
	V4L2_CID_STATELESS_H264_SCALING_MATRIX, V4L2_CID_STATELESS_H264_PRED_WEIGHTS,
	V4L2_CID_STATELESS_H264_SLICE_PARAMS, V4L2_CID_STATELESS_H264_DECODE_PARAMS,
	V4L2_CID_STATELESS_FWHT_PARAMS, V4L2_CID_STATELESS_VP8_FRAME,
	V4L2_CID_STATELESS_MPEG2_SEQUENCE, V4L2_CID_STATELESS_MPEG2_PICTURE,
	V4L2_CID_STATELESS_MPEG2_QUANTISATION, V4L2_CID_STATELESS_HEVC_SPS,
	V4L2_CID_STATELESS_HEVC_PPS, V4L2_CID_STATELESS_HEVC_SLICE_PARAMS,
	V4L2_CID_STATELESS_HEVC_SCALING_MATRIX, V4L2_CID_STATELESS_HEVC_DECODE_PARAMS,
	V4L2_CID_STATELESS_HEVC_DECODE_MODE, V4L2_CID_STATELESS_HEVC_START_CODE,
	V4L2_CID_STATELESS_HEVC_ENTRY_POINT_OFFSETS, V4L2_CID_STATELESS_VP9_FRAME,
	V4L2_CID_STATELESS_VP9_COMPRESSED_HDR, V4L2_CID_STATELESS_AV1_SEQUENCE,
	V4L2_CID_STATELESS_AV1_TILE_GROUP_ENTRY, V4L2_CID_STATELESS_AV1_FRAME,
	V4L2_CID_STATELESS_AV1_FILM_GRAIN,
};	// emu_stateless_controls_fuzzer.cpp's table, same order

/// emu_stateless_controls: the codec's controls for each picture, set in the request with one
/// S_EXT_CTRLS per four controls, then a decode. `config` indexes that target's kConfigs.
void writeStatelessControls(CodecFamily family, const CodecDescriptor &codec, uint32_t config,
			    const char *suffix)
{
	DeviceCaps caps;
	caps.decodeMode = V4L2_STATELESS_H264_DECODE_MODE_FRAME_BASED;
	caps.startCode = V4L2_STATELESS_H264_START_CODE_ANNEX_B;
	caps.captureFormats = {V4L2_PIX_FMT_NV12};
	auto state = codec.create(gRec.profile, caps, gRec.width, gRec.height);
	if (!state)
		return;
	static BitstreamArena sink;
	PictureResolver refs;
	SeedWriter w;
	w.below(config);
	w.u8(240);
	w.u32(gRec.width);
	w.u32(gRec.height);
	unsigned decoded = 0;
	for (RecPicture pic : gRec.pictures) {
		if (decoded == 4)
			break;
		state->beginPicture();
		sink.start(codec.outputBufferSize(gRec.width, gRec.height), 1);
		for (RecBuffer &b : pic.buffers) {
			BufferView v {b.type, b.bytes.data(), b.elementSize, b.numElements};
			state->render(v, sink);
		}
		SequenceInfo seq;
		UnitControls out;
		uint64_t ts = (decoded + 1ull) * 1000;
		if (state->endPicture(&seq) != VA_STATUS_SUCCESS ||
		    state->unitControls(0, refs, ts, &out) != VA_STATUS_SUCCESS)
			continue;
		state->pictureSubmitted();
		for (uint32_t first = 0; first < out.count; first += 4) {
			uint32_t n = std::min<uint32_t>(4, out.count - first);
			w.below(0);		// extCtrls
			w.below(0);		// S_EXT_CTRLS
			w.u8(110);		// REQUEST_VAL
			if (n == 1) {
				w.u8(0);
				w.below(0);
			} else {
				w.u8(200);
				w.below(n - 1);
			}
			for (uint32_t i = first; i < first + n; i++) {
				const v4l2_ext_control &c = out.controls[i];
				auto id = std::find(std::begin(kStatelessIds), std::end(kStatelessIds), c.id);
				w.u8(220);
				w.below(static_cast<uint32_t>(id - std::begin(kStatelessIds)));
				w.u8(255);	// size given
				w.u32(c.size);
				w.u8(230);	// the whole payload
				w.bytes(c.ptr, c.size);
				w.below(0);	// no patches
			}
			w.u8(0);		// this request
		}
		w.below(4);			// decode
		w.below(decoded % 3);		// CAPTURE buffer
		w.u8(0);
		w.below(63);			// 64 bytes of bitstream
		w.u8(0);			// no HOLD_CAPTURE_BUF
		w.u8(0);			// REINIT afterwards
		refs.decoded[pic.target] = ts;
		decoded++;
	}
	(void)family;
	if (decoded)
		save(w, "emu_stateless_controls", suffix);
}

/// Parser seeds: one per slice (H.264, HEVC) or a run of frames (VP9).
void writeParserSeeds(CodecFamily family)
{
	unsigned n = 0;
	const RecPicture *prevPic = nullptr;
	SeedWriter vp9;
	unsigned vp9Frames = 0;
	for (const RecPicture &pic : gRec.pictures) {
		const RecBuffer *pp = nullptr, *sp = nullptr;
		for (const RecBuffer &b : pic.buffers) {
			if (b.type == VAPictureParameterBufferType)
				pp = &b;
			if (b.type == VASliceParameterBufferType)
				sp = &b;
			if (b.type != VASliceDataBufferType || !pp || n >= 12)
				continue;
			if (family == CodecFamily::H264 && sp &&
			    pp->bytes.size() >= sizeof(VAPictureParameterBufferH264)) {
				VAPictureParameterBufferH264 p;
				VASliceParameterBufferH264 s;
				memcpy(&p, pp->bytes.data(), sizeof(p));
				memcpy(&s, sp->bytes.data(), sizeof(s));
				SeedWriter w;
				w.u8(s.num_ref_idx_l0_active_minus1);
				w.u8(s.num_ref_idx_l1_active_minus1);
				w.u32(p.seq_fields.value);
				w.u32(p.pic_fields.value);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
				w.u8(p.num_slice_groups_minus1);
				w.u8(p.slice_group_map_type);
				w.u16(p.slice_group_change_rate_minus1);
#pragma GCC diagnostic pop
				w.u16(p.picture_width_in_mbs_minus1);
				w.u16(p.picture_height_in_mbs_minus1);
				w.bytes(b.bytes.data() + s.slice_data_offset,
					std::min<size_t>(b.bytes.size() - s.slice_data_offset, 64));
				save(w, "h264_slice_header", "-" + std::to_string(n++));
			} else if (family == CodecFamily::Hevc && sp &&
				   pp->bytes.size() >= sizeof(VAPictureParameterBufferHEVC)) {
				VAPictureParameterBufferHEVC p;
				VASliceParameterBufferHEVC s;
				memcpy(&p, pp->bytes.data(), sizeof(p));
				memcpy(&s, sp->bytes.data(), sizeof(s));
				uint8_t total = 0;
				for (const VAPictureHEVC &r : p.ReferenceFrames)
					if (r.flags & (VA_PICTURE_HEVC_RPS_ST_CURR_BEFORE | VA_PICTURE_HEVC_RPS_ST_CURR_AFTER |
						       VA_PICTURE_HEVC_RPS_LT_CURR))
						total++;
				SeedWriter w;
				w.u8(0);
				w.u8(total);
				w.u16(0);
				w.u16(0);
				w.below(64);
				size_t off = offsetof(VAPictureParameterBufferHEVC, pic_width_in_luma_samples);
				w.bytes(reinterpret_cast<const uint8_t *>(&p) + off, sizeof(p) - off);
				w.bytes(b.bytes.data() + s.slice_data_offset,
					std::min<size_t>(b.bytes.size() - s.slice_data_offset, 96));
				save(w, "hevc_slice_header", "-" + std::to_string(n++));
			} else if (family == CodecFamily::Vp9 && vp9Frames < 4) {
				if (!vp9Frames)
					vp9.u8(0);	// default state, no size override
				size_t len = std::min<size_t>(b.bytes.size(), 512);
				vp9.u16(static_cast<uint16_t>(len));
				vp9.bytes(b.bytes.data(), len);
				vp9Frames++;
			}
		}
		prevPic = &pic;
	}
	(void)prevPic;
	if (vp9Frames)
		save(vp9, "vp9_headers", "");
}

} // namespace

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: seed_recorder STREAM CORPUS_DIR NAME\n");
		return 2;
	}
	gDir = argv[2];
	gName = argv[3];
	setenv("V4L2VA_EMULATED_BOARD", "fresnel", 1);
	test::LibavDecoderOptions options;
	options.driversPath = V4L2VA_DRIVER_DIR;
	options.threads = 1;	// one order of calls
	test::LibavVaapiDecoder decoder(options);
	if (!decoder.open(argv[1]) || !decoder.driverContext()) {
		fprintf(stderr, "seed_recorder: %s: %s\n", argv[1], decoder.error().c_str());
		return 1;
	}
	installRecorder(decoder.driverContext());
	std::vector<VAProfile> profiles(static_cast<size_t>(gCtx->max_profiles));
	int numProfiles = 0;
	gOrig.vaQueryConfigProfiles(gCtx, profiles.data(), &numProfiles);
	profiles.resize(static_cast<size_t>(numProfiles));
	if (!decoder.decodeAll([](const test::DecodedPicture &) { return true; }))
		fprintf(stderr, "seed_recorder: %s: decode stopped: %s (seeds from what was recorded)\n",
			argv[1], decoder.error().c_str());
	*gCtx->vtable = gOrig;

	const CodecDescriptor *codec = codecForProfile(gRec.profile);
	if (!codec || gRec.pictures.empty()) {
		fprintf(stderr, "seed_recorder: %s: nothing recorded\n", argv[1]);
		return 1;
	}
	CodecFamily family = familyOf(gRec.profile);
	writeVaSequence(family, profiles);
	writeCodecState(family, *codec);
	writeParserSeeds(family);
	// emu_stateless_controls kConfigs: the fresnel decoder of the codec, and visl.
	struct {
		CodecFamily family;
		uint32_t board, visl;
	} const kConfig[] = {{CodecFamily::H264, 7, 0}, {CodecFamily::Hevc, 8, 1}, {CodecFamily::Vp9, 9, 3},
			     {CodecFamily::Mpeg2, 10, 4}, {CodecFamily::Vp8, 11, 2}};
	for (const auto &c : kConfig)
		if (c.family == family) {
			writeStatelessControls(family, *codec, c.board, "");
			writeStatelessControls(family, *codec, c.visl, "-visl");
		}
	printf("seed_recorder: %s: %zu pictures recorded\n", argv[1], gRec.pictures.size());
	return 0;
}
