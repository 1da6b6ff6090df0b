// SPDX-License-Identifier: MIT
// The consumer patterns the corpus records: the VA call order of each consumer (see the
// references per script), reduced to a few pictures, with every status checked.
#include "consumer_scripts.h"

#include "va_scenario.h"
#include "va_trace_source.h"

#include <va/va_drmcommon.h>

#include <sys/mman.h>

#include <cstdlib>
#include <deque>
#include <algorithm>

namespace v4l2va::test {

namespace {

constexpr uint32_t kWidth = 176, kHeight = 144;
constexpr uint32_t kExportRead = VA_EXPORT_SURFACE_READ_ONLY | VA_EXPORT_SURFACE_SEPARATE_LAYERS;

VASurfaceAttrib attrib(VASurfaceAttribType type, int32_t value, uint32_t flags = VA_SURFACE_ATTRIB_SETTABLE,
		       VAGenericValueType valueType = VAGenericValueTypeInteger)
{
	VASurfaceAttrib a {};
	a.type = type;
	a.flags = flags;
	a.value.type = valueType;
	a.value.value.i = value;
	return a;
}

const VASurfaceAttrib kMemTypeVa = attrib(VASurfaceAttribMemoryType, VA_SURFACE_ATTRIB_MEM_TYPE_VA);
const VASurfaceAttrib kHintDecoder =
	attrib(VASurfaceAttribUsageHint, VA_SURFACE_ATTRIB_USAGE_HINT_DECODER);
const VASurfaceAttrib kNv12 = attrib(VASurfaceAttribPixelFormat, static_cast<int32_t>(VA_FOURCC_NV12));
/// FFmpeg 5.1's pixel format attribute: flags 0, value type 0 (consumer-patterns.md §2.3).
const VASurfaceAttrib kNv12Ff51 = attrib(VASurfaceAttribPixelFormat, static_cast<int32_t>(VA_FOURCC_NV12),
					 0, static_cast<VAGenericValueType>(0));

class Session {
public:
	Session(const std::string &codec, const char *scheduler) : codec_(codec)
	{
		DriverEnv env;
		env.scheduler = scheduler;
		drv_ = std::make_unique<VaDriver>(env);
		check(drv_->status(), "vaInitialize");
		// MPEG-2 and H.264 are synthetic; HEVC, VP8 and VP9 are the real streams of the
		// recorded LIBVA_TRACE runs (corpus/traces/libva/<codec>-176x144).
		src_ = makeSource(codec, kWidth, kHeight);
		std::string error = "unknown codec " + codec;
		if (!src_ && (codec == "hevc" || codec == "vp8" || codec == "vp9"))
			src_ = makeTraceSource(std::string(V4L2VA_CORPUS_TRACES) + "/libva/" + codec + "-176x144",
					       V4L2VA_SOURCE_DIR, codec, &error);
		if (!src_)
			fail(error);
	}
	~Session() = default;

	/// The first failure, empty if every step succeeded. Steps after a failure still run
	/// (on invalid ids they fail cleanly), so the run always ends with vaTerminate.
	const std::string &error() const { return error_; }
	bool ready() const { return error_.empty() && src_; }
	void fail(const std::string &what)
	{
		if (error_.empty())
			error_ = what;
	}

	const VADriverVTable &vt() { return drv_->vt(); }
	VADriverContextP ctx() { return drv_->ctx(); }
	FrameSource &src() { return *src_; }
	VaDriver &drv() { return *drv_; }

	bool check(VAStatus st, const std::string &what)
	{
		if (st != VA_STATUS_SUCCESS)
			fail(what + ": " + vaErrorStr(st));
		return st == VA_STATUS_SUCCESS;
	}
	void imageFormats()
	{
		std::vector<VAImageFormat> formats(static_cast<size_t>(ctx()->max_image_formats));
		int n = 0;
		check(vt().vaQueryImageFormats(ctx(), formats.data(), &n), "vaQueryImageFormats");
	}
	VAConfigID config(std::vector<VAConfigAttrib> attribs = {})
	{
		VAConfigID c = VA_INVALID_ID;
		check(vt().vaCreateConfig(ctx(), src_->profile(), VAEntrypointVLD,
					  attribs.empty() ? nullptr : attribs.data(),
					  static_cast<int>(attribs.size()), &c),
		      "vaCreateConfig");
		return c;
	}
	void surfaceAttributes(VAConfigID c)
	{
		unsigned n = 0;
		check(vt().vaQuerySurfaceAttributes(ctx(), c, nullptr, &n), "vaQuerySurfaceAttributes");
		std::vector<VASurfaceAttrib> list(std::min(n, 64u));
		n = static_cast<unsigned>(list.size());
		check(vt().vaQuerySurfaceAttributes(ctx(), c, list.data(), &n), "vaQuerySurfaceAttributes");
	}
	VASurfaceID surface(std::vector<VASurfaceAttrib> attribs, uint32_t w = kWidth, uint32_t h = kHeight)
	{
		return surfaces(1, attribs, w, h)[0];
	}
	/// One vaCreateSurfaces2 call for n surfaces.
	std::vector<VASurfaceID> surfaces(unsigned n, std::vector<VASurfaceAttrib> attribs, uint32_t w = kWidth,
					  uint32_t h = kHeight)
	{
		std::vector<VASurfaceID> s(n, VA_INVALID_SURFACE);
		check(vt().vaCreateSurfaces2(ctx(), VA_RT_FORMAT_YUV420, w, h, s.data(), n,
					     attribs.empty() ? nullptr : attribs.data(),
					     static_cast<unsigned>(attribs.size())),
		      "vaCreateSurfaces2");
		return s;
	}
	void derive(VASurfaceID s)
	{
		VAImage image;
		if (check(vt().vaDeriveImage(ctx(), s, &image), "vaDeriveImage"))
			check(vt().vaDestroyImage(ctx(), image.image_id), "vaDestroyImage");
	}
	VAContextID context(VAConfigID c, std::vector<VASurfaceID> targets)
	{
		VAContextID x = VA_INVALID_ID;
		check(vt().vaCreateContext(ctx(), c, kWidth, kHeight, VA_PROGRESSIVE,
					   targets.empty() ? nullptr : targets.data(),
					   static_cast<int>(targets.size()), &x),
		      "vaCreateContext");
		return x;
	}
	void decode(VAContextID x, unsigned n, VASurfaceID target, VASurfaceID ref, RenderStyle style)
	{
		check(decodePicture(*drv_, x, *src_, n, target, ref, style),
		      "picture " + std::to_string(n));
	}
	void download(VASurfaceID s)
	{
		std::vector<uint8_t> nv12;
		check(drv_->download(s, kWidth, kHeight, &nv12), "download");
	}
	/// Export, sync, map the dma-buf through the seam and read it, close the fds.
	void exportAndRead(VASurfaceID s, bool syncFirst)
	{
		VADRMPRIMESurfaceDescriptor d {};
		if (syncFirst)
			check(vt().vaSyncSurface(ctx(), s), "vaSyncSurface");
		if (!check(vt().vaExportSurfaceHandle(ctx(), s, VA_SURFACE_ATTRIB_MEM_TYPE_DRM_PRIME_2,
						      kExportRead, &d),
			   "vaExportSurfaceHandle"))
			return;
		if (!syncFirst)
			check(vt().vaSyncSurface(ctx(), s), "vaSyncSurface");
		v4l2emu::DeviceIo &io = drv_->board()->io();
		for (uint32_t i = 0; i < d.num_objects && i < 4; i++) {
			void *p = nullptr;
			if (io.mmap(nullptr, d.objects[i].size, PROT_READ, MAP_SHARED, d.objects[i].fd, 0,
				    &p) == 0) {
				volatile uint8_t first = static_cast<const uint8_t *>(p)[0];
				(void)first;
				io.munmap(p, d.objects[i].size);
			}
			io.close(d.objects[i].fd);
		}
	}
	void destroy(VASurfaceID s) { check(vt().vaDestroySurfaces(ctx(), &s, 1), "vaDestroySurfaces"); }
	/// The first surface of `free` no picture from `next` on references, taken out of it;
	/// VA_INVALID_SURFACE if there is none (the pool grows). A consumer never decodes into a
	/// reference it still needs (real streams keep golden/altref and DPB pictures long).
	VASurfaceID takeFree(std::deque<VASurfaceID> &free, unsigned next)
	{
		for (auto it = free.begin(); it != free.end(); ++it)
			if (!src_->stillReferenced(*it, next)) {
				VASurfaceID id = *it;
				free.erase(it);
				return id;
			}
		return VA_INVALID_SURFACE;
	}
	/// A fixed pool used in rotation from slot n, skipping surfaces still referenced.
	VASurfaceID rotate(const std::vector<VASurfaceID> &pool, unsigned n)
	{
		for (size_t i = 0; i < pool.size(); i++) {
			VASurfaceID id = pool[(n + i) % pool.size()];
			if (!src_->stillReferenced(id, n))
				return id;
		}
		fail("every surface of the fixed pool is still referenced");
		return pool[n % pool.size()];
	}
	void finish()
	{
		if (drv_->board()) {
			std::string diag = diagnosticsText(*drv_->board());
			if (!diag.empty())
				fail("board diagnostics: " + diag);
		}
		check(drv_->terminate(), "vaTerminate");
	}

private:
	std::string error_;
	std::string codec_;
	std::unique_ptr<VaDriver> drv_;
	std::unique_ptr<FrameSource> src_;
};

/// FF51-NORMAL (§2.10): fixed pool created before the context, downloads every frame.
void ffmpeg51(Session &s)
{
	s.imageFormats();
	VAConfigID probe = s.config();
	s.surfaceAttributes(probe);
	s.surfaceAttributes(probe);
	s.check(s.vt().vaDestroyConfig(s.ctx(), probe), "vaDestroyConfig");
	std::vector<VASurfaceID> pool = {s.surface({kNv12Ff51, kMemTypeVa})};
	s.derive(pool[0]);
	for (int i = 1; i < 6; i++)
		pool.push_back(s.surface({kNv12Ff51, kMemTypeVa}));
	VAConfigID c = s.config();
	s.surfaceAttributes(c);
	VAContextID x = s.context(c, pool);
	for (unsigned n = 0; n < 6; n++) {
		s.decode(x, n, pool[n], n ? pool[n - 1] : VA_INVALID_SURFACE, RenderStyle::FFmpeg);
		s.download(pool[n]);
	}
	s.check(s.vt().vaDestroyContext(s.ctx(), x), "vaDestroyContext");
	s.check(s.vt().vaDestroyConfig(s.ctx(), c), "vaDestroyConfig");
	for (VASurfaceID id : pool)
		s.destroy(id);
}

/// FFM-NORMAL (FFmpeg >= 7.1): a 0-target context, the pool grows on demand, frames are
/// downloaded two behind.
void ffmpeg71(Session &s)
{
	s.imageFormats();
	VAConfigID probe = s.config();
	s.surfaceAttributes(probe);
	s.check(s.vt().vaDestroyConfig(s.ctx(), probe), "vaDestroyConfig");
	std::vector<VASurfaceID> all = {s.surface({kNv12, kMemTypeVa})};
	s.derive(all[0]);
	std::deque<VASurfaceID> free(all.begin(), all.end()), queued;
	VAConfigID c = s.config();
	s.surfaceAttributes(c);
	VAContextID x = s.context(c, {});
	VASurfaceID ref = VA_INVALID_SURFACE;
	for (unsigned n = 0; n < 8; n++) {
		VASurfaceID target = s.takeFree(free, n);
		if (target == VA_INVALID_SURFACE) {
			all.push_back(s.surface({kNv12, kMemTypeVa}));
			target = all.back();
		}
		s.decode(x, n, target, ref, RenderStyle::FFmpeg);
		queued.push_back(target);
		if (queued.size() > 2) {
			s.download(queued.front());
			free.push_back(queued.front());
			queued.pop_front();
		}
		ref = target;
	}
	for (VASurfaceID q : queued)
		s.download(q);
	s.check(s.vt().vaDestroyContext(s.ctx(), x), "vaDestroyContext");
	s.check(s.vt().vaDestroyConfig(s.ctx(), c), "vaDestroyConfig");
	for (auto it = all.rbegin(); it != all.rend(); ++it)
		s.destroy(*it);
}

/// GStreamer va (§4): the context before any surface, a test surface probed and destroyed,
/// then a pool that grows while decoding; frames read through derived images.
void gstreamerVa(Session &s)
{
	VAConfigID c = s.config({{VAConfigAttribRTFormat, VA_RT_FORMAT_YUV420}});
	VAContextID x = s.context(c, {});
	VASurfaceID test = s.surface({kHintDecoder, kMemTypeVa, kNv12});
	VASurfaceStatus status = VASurfaceRendering;
	s.check(s.vt().vaQuerySurfaceStatus(s.ctx(), test, &status), "vaQuerySurfaceStatus");
	s.derive(test);
	s.destroy(test);
	std::vector<VASurfaceID> pool;
	for (int i = 0; i < 3; i++)
		pool.push_back(s.surface({kHintDecoder, kMemTypeVa, kNv12}));
	std::deque<VASurfaceID> free(pool.begin(), pool.end()), downstream;
	VASurfaceID ref = VA_INVALID_SURFACE;
	for (unsigned n = 0; n < 8; n++) {
		VASurfaceID target = s.takeFree(free, n);
		if (target == VA_INVALID_SURFACE) {
			pool.push_back(s.surface({kHintDecoder, kMemTypeVa, kNv12}));
			target = pool.back();
		}
		s.decode(x, n, target, ref, RenderStyle::FFmpeg);
		downstream.push_back(target);
		if (downstream.size() > 3) {
			VASurfaceID f = downstream.front();
			downstream.pop_front();
			s.check(s.vt().vaQuerySurfaceStatus(s.ctx(), f, &status), "vaQuerySurfaceStatus");
			s.check(s.vt().vaSyncSurface(s.ctx(), f), "vaSyncSurface");
			VAImage image;
			if (s.check(s.vt().vaDeriveImage(s.ctx(), f, &image), "vaDeriveImage")) {
				void *p = nullptr;
				if (s.check(s.vt().vaMapBuffer(s.ctx(), image.buf, &p), "vaMapBuffer"))
					s.check(s.vt().vaUnmapBuffer(s.ctx(), image.buf), "vaUnmapBuffer");
				s.check(s.vt().vaDestroyImage(s.ctx(), image.image_id), "vaDestroyImage");
			}
			free.push_back(f);
		}
		ref = target;
	}
	s.check(s.vt().vaDestroyContext(s.ctx(), x), "vaDestroyContext");
	s.check(s.vt().vaDestroyConfig(s.ctx(), c), "vaDestroyConfig");
	for (VASurfaceID id : pool)
		s.destroy(id);
}

/// Chromium (§5): a 0-target context, every frame exported right after its creation, all
/// buffers in one vaRenderPicture, each frame synced and read through its dma-buf.
void chromium(Session &s)
{
	VAConfigAttrib rt {VAConfigAttribRTFormat, 0};
	s.check(s.vt().vaGetConfigAttributes(s.ctx(), s.src().profile(), VAEntrypointVLD, &rt, 1),
		"vaGetConfigAttributes");
	VAConfigID c1 = s.config({{VAConfigAttribRTFormat, VA_RT_FORMAT_YUV420}});
	s.surfaceAttributes(c1);
	s.check(s.vt().vaDestroyConfig(s.ctx(), c1), "vaDestroyConfig");
	s.imageFormats();
	VAConfigID c = s.config({{VAConfigAttribRTFormat, VA_RT_FORMAT_YUV420}});
	VAContextID x = s.context(c, {});
	std::vector<VASurfaceID> frames;
	std::deque<VASurfaceID> free, shown;
	VASurfaceID ref = VA_INVALID_SURFACE;
	for (unsigned n = 0; n < 6; n++) {
		VASurfaceID target = s.takeFree(free, n);
		if (target == VA_INVALID_SURFACE) {
			target = s.surface({kHintDecoder});
			s.exportAndRead(target, true);
			frames.push_back(target);
		}
		s.decode(x, n, target, ref, RenderStyle::OneCall);
		s.exportAndRead(target, true);
		shown.push_back(target);
		if (shown.size() > 2) {
			free.push_back(shown.front());
			shown.pop_front();
		}
		ref = target;
	}
	s.check(s.vt().vaDestroyContext(s.ctx(), x), "vaDestroyContext");
	for (VASurfaceID f : frames)
		s.destroy(f);
	s.check(s.vt().vaDestroyConfig(s.ctx(), c), "vaDestroyConfig");
}

/// mpv (§3.2) with FFmpeg 5.1's pool: the VO exports each frame before syncing it, while
/// jobs complete on the emulator's worker thread (recorded threaded, replayed deterministic:
/// the timing points of the trace are synchronised, not compared).
void mpv(Session &s)
{
	VAConfigID probe = s.config();
	s.surfaceAttributes(probe);
	s.check(s.vt().vaDestroyConfig(s.ctx(), probe), "vaDestroyConfig");
	std::vector<VASurfaceID> pool;
	for (int i = 0; i < 5; i++) {
		pool.push_back(s.surface({kMemTypeVa, kNv12}));
		if (i == 0)
			s.derive(pool[0]);
	}
	VAConfigID c = s.config();
	VAContextID x = s.context(c, pool);
	VASurfaceID ref = VA_INVALID_SURFACE;
	for (unsigned n = 0; n < 6; n++) {
		VASurfaceID target = s.rotate(pool, n);
		s.decode(x, n, target, ref, RenderStyle::FFmpeg);
		s.exportAndRead(target, false);
		ref = target;
	}
	s.check(s.vt().vaDestroyContext(s.ctx(), x), "vaDestroyContext");
	s.check(s.vt().vaDestroyConfig(s.ctx(), c), "vaDestroyConfig");
	for (VASurfaceID id : pool)
		s.destroy(id);
}

/// Kodi (§6.1): its own config and one vaCreateSurfaces2 call for refs + 6 surfaces, a 1080p
/// probe surface exported and destroyed (TestEsh), FFmpeg's config and a context with the full
/// list (no pool growth), export then sync per frame, surfaces destroyed one by one.
void kodi(Session &s, const std::string &codec)
{
	VAConfigAttrib rt {VAConfigAttribRTFormat, 0};
	s.check(s.vt().vaGetConfigAttributes(s.ctx(), s.src().profile(), VAEntrypointVLD, &rt, 1),
		"vaGetConfigAttributes");
	VAConfigID kodiConfig = s.config({{VAConfigAttribRTFormat, VA_RT_FORMAT_YUV420}});
	// CDecoder::ConfigVAAPI's maxReferences: H.264 5..16 (5 here: one reference), HEVC 16,
	// VP9 8; 2 for the codecs §6.1 does not list.
	const unsigned refs = codec == "h264" ? 5 : codec == "hevc" ? 16 : codec == "vp9" ? 8 : 2;
	std::vector<VASurfaceID> pool = s.surfaces(refs + 6, {kNv12});
	// CVaapi2Texture::TestEsh at renderer configure.
	VASurfaceID probe = s.surface({kNv12}, 1920, 1080);
	VADRMPRIMESurfaceDescriptor d {};
	if (s.check(s.vt().vaExportSurfaceHandle(s.ctx(), probe, VA_SURFACE_ATTRIB_MEM_TYPE_DRM_PRIME_2, kExportRead,
						 &d),
		    "vaExportSurfaceHandle (probe)"))
		for (uint32_t i = 0; i < d.num_objects && i < 4; i++)
			s.drv().board()->io().close(d.objects[i].fd);
	s.destroy(probe);
	VAConfigID c = s.config();
	VAContextID x = s.context(c, pool);
	VASurfaceID ref = VA_INVALID_SURFACE;
	for (unsigned n = 0; n < 6; n++) {
		VASurfaceID target = s.rotate(pool, n);
		s.decode(x, n, target, ref, RenderStyle::FFmpeg);
		s.exportAndRead(target, false);
		ref = target;
	}
	s.check(s.vt().vaDestroyContext(s.ctx(), x), "vaDestroyContext");
	s.check(s.vt().vaDestroyConfig(s.ctx(), c), "vaDestroyConfig");
	for (VASurfaceID id : pool)
		s.destroy(id);
	s.check(s.vt().vaDestroyConfig(s.ctx(), kodiConfig), "vaDestroyConfig");
}

/// gstreamer-vaapi 1.22 (§6.4): display probing (profiles, entrypoints, display attributes,
/// image and subpicture formats), config with one attribute and two surface attribute queries,
/// surfaces first (one call each, [PixelFormat, UsageHint GENERIC]), a 0-target context, a
/// derive+map probe on a never-decoded surface, one vaRenderPicture per parameter buffer
/// (destroyed before End) and per slice pair, frames exported through vaDeriveImage +
/// vaAcquireBufferHandle; the context and config go before the surfaces.
void gstreamerVaapi(Session &s)
{
	std::vector<VAProfile> profiles(static_cast<size_t>(s.ctx()->max_profiles));
	int np = 0;
	s.check(s.vt().vaQueryConfigProfiles(s.ctx(), profiles.data(), &np), "vaQueryConfigProfiles");
	for (int i = 0; i < np; i++) {
		std::vector<VAEntrypoint> e(static_cast<size_t>(s.ctx()->max_entrypoints));
		int ne = 0;
		s.check(s.vt().vaQueryConfigEntrypoints(s.ctx(), profiles[static_cast<size_t>(i)], e.data(), &ne),
			"vaQueryConfigEntrypoints");
	}
	std::vector<VADisplayAttribute> attrs(static_cast<size_t>(std::max(1, s.ctx()->max_display_attributes)));
	int na = 0;
	s.check(s.vt().vaQueryDisplayAttributes(s.ctx(), attrs.data(), &na), "vaQueryDisplayAttributes");
	s.imageFormats();
	std::vector<VAImageFormat> sub(static_cast<size_t>(std::max(1, s.ctx()->max_subpic_formats)));
	std::vector<unsigned> flags(sub.size());
	unsigned ns = 0;
	s.check(s.vt().vaQuerySubpictureFormats(s.ctx(), sub.data(), flags.data(), &ns), "vaQuerySubpictureFormats");
	VAConfigAttrib rt {VAConfigAttribRTFormat, 0};
	s.check(s.vt().vaGetConfigAttributes(s.ctx(), s.src().profile(), VAEntrypointVLD, &rt, 1),
		"vaGetConfigAttributes");
	VAConfigID c = s.config({{VAConfigAttribRTFormat, VA_RT_FORMAT_YUV420}});
	s.surfaceAttributes(c);
	const VASurfaceAttrib generic = attrib(VASurfaceAttribUsageHint, VA_SURFACE_ATTRIB_USAGE_HINT_GENERIC);
	std::vector<VASurfaceID> pool;
	for (int i = 0; i < 5; i++)	// ref_frames (1) + 4 scratch
		pool.push_back(s.surface({kNv12, generic}));
	VAContextID x = s.context(c, {});
	// gstvaapivideomemory.c: allocator_configure_surface_try_specified_format.
	VAImage image;
	if (s.check(s.vt().vaDeriveImage(s.ctx(), pool.back(), &image), "vaDeriveImage (probe)")) {
		void *p = nullptr;
		if (s.check(s.vt().vaMapBuffer(s.ctx(), image.buf, &p), "vaMapBuffer"))
			s.check(s.vt().vaUnmapBuffer(s.ctx(), image.buf), "vaUnmapBuffer");
		s.check(s.vt().vaDestroyImage(s.ctx(), image.image_id), "vaDestroyImage");
	}
	std::deque<VASurfaceID> free(pool.begin(), pool.end()), downstream;
	VASurfaceID ref = VA_INVALID_SURFACE;
	for (unsigned n = 0; n < 6; n++) {
		VASurfaceID target = s.takeFree(free, n);
		if (target == VA_INVALID_SURFACE) {
			pool.push_back(s.surface({kNv12, generic}));
			target = pool.back();
		}
		s.decode(x, n, target, ref, RenderStyle::GstreamerVaapi);
		downstream.push_back(target);
		if (downstream.size() > 2) {
			VASurfaceID f = downstream.front();
			downstream.pop_front();
			s.check(s.vt().vaSyncSurface(s.ctx(), f), "vaSyncSurface");
			// gstvaapibufferproxy.c: derive, acquire the dma-buf, release, destroy.
			if (s.check(s.vt().vaDeriveImage(s.ctx(), f, &image), "vaDeriveImage")) {
				VABufferInfo info {};
				info.mem_type = VA_SURFACE_ATTRIB_MEM_TYPE_DRM_PRIME;
				if (s.check(s.vt().vaAcquireBufferHandle(s.ctx(), image.buf, &info), "vaAcquireBufferHandle"))
					s.check(s.vt().vaReleaseBufferHandle(s.ctx(), image.buf), "vaReleaseBufferHandle");
				s.check(s.vt().vaDestroyImage(s.ctx(), image.image_id), "vaDestroyImage");
			}
			free.push_back(f);
		}
		ref = target;
	}
	s.check(s.vt().vaDestroyContext(s.ctx(), x), "vaDestroyContext");
	s.check(s.vt().vaDestroyConfig(s.ctx(), c), "vaDestroyConfig");
	for (VASurfaceID id : pool)
		s.destroy(id);
}

/// libva-utils mpeg2vldemo (§6.3): one surface without attributes, a context with it, each
/// buffer in its own vaRenderPicture, sync, then surfaces, config and context destroyed in that
/// order (the surface goes while its context still exists). The demo's clip is 16x16; the
/// script's pictures are 176x144.
void libvaUtils(Session &s)
{
	std::vector<VAEntrypoint> e(static_cast<size_t>(s.ctx()->max_entrypoints));
	int ne = 0;
	s.check(s.vt().vaQueryConfigEntrypoints(s.ctx(), s.src().profile(), e.data(), &ne), "vaQueryConfigEntrypoints");
	VAConfigAttrib rt {VAConfigAttribRTFormat, 0};
	s.check(s.vt().vaGetConfigAttributes(s.ctx(), s.src().profile(), VAEntrypointVLD, &rt, 1),
		"vaGetConfigAttributes");
	VAConfigID c = s.config({{VAConfigAttribRTFormat, VA_RT_FORMAT_YUV420}});
	VASurfaceID surface = s.surfaces(1, {})[0];
	VAContextID x = s.context(c, {surface});
	s.decode(x, 0, surface, VA_INVALID_SURFACE, RenderStyle::LibvaUtils);
	s.download(surface);
	s.destroy(surface);
	s.check(s.vt().vaDestroyConfig(s.ctx(), c), "vaDestroyConfig");
	s.check(s.vt().vaDestroyContext(s.ctx(), x), "vaDestroyContext");
}

} // namespace

const std::vector<std::string> &consumerCodecs()
{
	static const std::vector<std::string> codecs = {"mpeg2", "h264", "hevc", "vp8", "vp9"};
	return codecs;
}

const std::vector<ConsumerScript> &consumerScripts()
{
	static const std::vector<ConsumerScript> scripts = {
		{"ffmpeg-5.1", "FFmpeg 5.1: fixed pool before the context, download per frame",
		 "deterministic"},
		{"ffmpeg-7.1", "FFmpeg >= 7.1: 0-target context, dynamic pool, downloads two behind",
		 "deterministic"},
		{"gstreamer-va", "GStreamer va: context first, test surface, growing pool, derived images",
		 "deterministic"},
		{"chromium", "Chromium: export at creation, one vaRenderPicture, dma-buf reads",
		 "deterministic"},
		{"mpv", "mpv: FF51 pool, export before sync, jobs on a worker thread", "threaded"},
		{"kodi", "Kodi: one call for refs+6 surfaces, 1080p export probe, full-list context, export before sync",
		 "deterministic"},
		{"gstreamer-vaapi", "gstreamer-vaapi 1.22: surfaces first, 0-target context, params destroyed before End, "
				    "derive + acquire handle",
		 "deterministic"},
		{"libva-utils", "libva-utils mpeg2vldemo: one surface, one buffer per render, surface destroyed before "
				"config and context",
		 "deterministic", {"mpeg2"}},
	};
	return scripts;
}

bool recordConsumer(const std::string &script, const std::string &codec, const std::string &traceSpec,
		    std::string *error)
{
	const ConsumerScript *found = nullptr;
	for (const ConsumerScript &c : consumerScripts())
		if (script == c.name)
			found = &c;
	if (!found) {
		*error = "unknown consumer script " + script;
		return false;
	}
	// The board reads V4L2EMU_TRACE when the driver creates it, inside vaInitialize.
	setenv("V4L2EMU_TRACE", traceSpec.c_str(), 1);
	Session s(codec, found->scheduler);
	unsetenv("V4L2EMU_TRACE");
	if (s.ready()) {
		if (script == "ffmpeg-5.1")
			ffmpeg51(s);
		else if (script == "ffmpeg-7.1")
			ffmpeg71(s);
		else if (script == "gstreamer-va")
			gstreamerVa(s);
		else if (script == "chromium")
			chromium(s);
		else if (script == "kodi")
			kodi(s, codec);
		else if (script == "gstreamer-vaapi")
			gstreamerVaapi(s);
		else if (script == "libva-utils")
			libvaUtils(s);
		else
			mpv(s);
	}
	s.finish();
	bool ok = s.error().empty();
	if (!ok)
		*error = script + " " + codec + ": " + s.error();
	return ok;
}

} // namespace v4l2va::test
