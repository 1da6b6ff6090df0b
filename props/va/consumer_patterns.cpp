// SPDX-License-Identifier: MIT
// Each consumer's call order (shared/spec/consumer-patterns.md; the section is named at each
// runner), driven by generated parameters through the shared Pipeline. Every call is checked by
// VaRun; the runners only say what the consumer calls, in which order, from which thread.
#include "pipeline.h"

#include <algorithm>
#include <map>
#include <mutex>

namespace props::va {

namespace {

VASurfaceAttrib attrib(VASurfaceAttribType type, int32_t value,
		       uint32_t flags = VA_SURFACE_ATTRIB_SETTABLE,
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
const VASurfaceAttrib kPixNv12 = attrib(VASurfaceAttribPixelFormat, VA_FOURCC_NV12);
const VASurfaceAttrib kHintDecoder =
	attrib(VASurfaceAttribUsageHint, VA_SURFACE_ATTRIB_USAGE_HINT_DECODER);
const VASurfaceAttrib kHintGeneric =
	attrib(VASurfaceAttribUsageHint, VA_SURFACE_ATTRIB_USAGE_HINT_GENERIC);
// FF51's decoder PixelFormat: flags 0, value.type 0 (§2.3).
const VASurfaceAttrib kPixNv12Ff51 =
	attrib(VASurfaceAttribPixelFormat, VA_FOURCC_NV12, 0, static_cast<VAGenericValueType>(0));
constexpr uint32_t kExportRead = VA_EXPORT_SURFACE_READ_ONLY | VA_EXPORT_SURFACE_SEPARATE_LAYERS;

unsigned refsOf(const std::string &codec)
{
	return codec == "h264" ? 16 : 2; // VD: 1 + refs, H.264 +16, others +2
}

VAProfile profileOf(const Pipeline &pl)
{
	return pl.params().codec == "h264" ? VAProfileH264ConstrainedBaseline : VAProfileMPEG2Main;
}

std::function<VASurfaceID()> growing(VaRun &r, Generation &g, std::vector<VASurfaceAttrib> attribs)
{
	return [&r, &g, attribs] {
		std::vector<VASurfaceID> s =
			r.createSurfaces(VA_RT_FORMAT_YUV420, g.w, g.h, 1, attribs);
		if (s.empty())
			return static_cast<VASurfaceID>(VA_INVALID_SURFACE);
		g.surfaces.push_back(s[0]);
		return s[0];
	};
}

void destroyAll(VaRun &r, const std::vector<VASurfaceID> &s)
{
	for (auto it = s.rbegin(); it != s.rend(); ++it) // pool order, not creation order
		r.destroySurface(*it);
}

// --- FFmpeg (§2) ----------------------------------------------------------------------------

/// HWC:vaapi_frames_init + VD:ff_vaapi_decode_init: config #1 probed and destroyed, the test
/// surface and its derive probe, FF51's prealloc (fixed pool) or nothing (dynamic), config #2,
/// the context with the pool or 0 targets.
void ffmpegInit(Pipeline &pl, Generation &g, bool dynamic,
		const std::vector<VASurfaceAttrib> &attribs)
{
	VaRun &r = pl.run();
	const VAProfile profile = profileOf(pl);
	VAConfigID probe = r.createConfig(profile);
	r.querySurfaceAttributes(probe, false);
	r.querySurfaceAttributes(probe, true);
	r.destroyConfig(probe);
	g.surfaces = r.createSurfaces(VA_RT_FORMAT_YUV420, g.w, g.h, 1, attribs);
	if (g.surfaces.empty())
		return;
	r.deriveProbe(g.surfaces[0]);
	if (!dynamic) {
		const unsigned pool = 1 + refsOf(pl.params().codec) + 3 + pl.params().extraSurfaces;
		for (unsigned i = 1; i < pool; i++)
			for (VASurfaceID s :
			     r.createSurfaces(VA_RT_FORMAT_YUV420, g.w, g.h, 1, attribs))
				g.surfaces.push_back(s);
	}
	g.config = r.createConfig(profile);
	r.querySurfaceAttributes(g.config, false);
	r.querySurfaceAttributes(g.config, true);
	g.context = r.createContext(g.config, g.w, g.h,
				    dynamic ? std::vector<VASurfaceID> {} : g.surfaces);
	pl.addFree(g.surfaces);
}

/// FF51-NORMAL / FFM-NORMAL, and FF-RESCHANGE when a second size is set: the old context and
/// config go first, the new decoder is built, old frames still downstream are read after
/// their context is gone and old surfaces are destroyed one per new picture.
void runFfmpeg(Pipeline &pl, bool dynamic)
{
	VaRun &r = pl.run();
	const ConsumerParams &p = pl.params();
	const std::vector<VASurfaceAttrib> attribs =
		dynamic ? std::vector<VASurfaceAttrib> { kPixNv12, kMemTypeVa }
			: std::vector<VASurfaceAttrib> { kPixNv12Ff51, kMemTypeVa };
	auto g1 = pl.generation(p.width, p.height);
	ffmpegInit(pl, *g1, dynamic, attribs);
	if (g1->surfaces.empty())
		return;
	auto alloc1 = dynamic ? growing(r, *g1, attribs) : std::function<VASurfaceID()> {};
	if (!p.width2) {
		pl.decode(*g1, p.frames, RenderStyle::FFmpeg, alloc1);
		pl.flush();
		pl.verifyAll({ g1.get() });
		r.destroyContext(g1->context);
		r.destroyConfig(g1->config);
		destroyAll(r, g1->surfaces);
		return;
	}
	const unsigned first = std::max(1u, p.frames / 2);
	pl.decode(*g1, first, RenderStyle::FFmpeg, alloc1);
	std::deque<VASurfaceID> held = pl.takeDownstream();
	pl.takeFree();
	r.destroyContext(g1->context);
	r.destroyConfig(g1->config);
	auto g2 = pl.generation(p.width2, p.height2);
	ffmpegInit(pl, *g2, dynamic, attribs);
	auto alloc2 = dynamic ? growing(r, *g2, attribs) : std::function<VASurfaceID()> {};
	for (VASurfaceID s : held) // old frames read after their context was destroyed
		r.readback(s, g1->w, g1->h, p.readback);
	std::vector<VASurfaceID> oldLeft = g1->surfaces;
	for (unsigned n = first; n < p.frames; n++) {
		pl.decode(*g2, 1, RenderStyle::FFmpeg, alloc2);
		if (!oldLeft.empty()) { // the last reference to an old frame dropped
			r.destroySurface(oldLeft.back());
			oldLeft.pop_back();
		}
	}
	pl.flush();
	pl.verifyAll({ g1.get(), g2.get() });
	r.destroyContext(g2->context);
	r.destroyConfig(g2->config);
	destroyAll(r, oldLeft);
	destroyAll(r, g2->surfaces);
}

// --- mpv (§3) -------------------------------------------------------------------------------

/// MPV:hwdec_vaapi.c:determine_working_formats: a 128x128 frames context per image format,
/// each surface derive-probed, exported and synced, then destroyed; the probe config goes after
/// its surfaces; the VPP config attempt fails cleanly.
void mpvProbe(Pipeline &pl)
{
	VaRun &r = pl.run();
	std::vector<VAImageFormat> formats(
		static_cast<size_t>(std::max(r.ctx()->max_image_formats, 1)));
	int n = 0;
	r.check("vaQueryImageFormats", r.vt().vaQueryImageFormats(r.ctx(), formats.data(), &n));
	formats.resize(static_cast<size_t>(std::clamp(n, 0, static_cast<int>(formats.size()))));
	VAConfigID probe = r.createConfig(profileOf(pl));
	r.querySurfaceAttributes(probe, false);
	r.querySurfaceAttributes(probe, false);
	std::vector<VASurfaceID> first =
		r.createSurfaces(VA_RT_FORMAT_YUV420, 128, 128, 1, { kMemTypeVa, kPixNv12 });
	for (VASurfaceID s : first)
		r.deriveProbe(s);
	for (const VAImageFormat &f : formats) {
		const bool nv12 = f.fourcc == VA_FOURCC_NV12;
		const uint32_t rt =
			f.fourcc == VA_FOURCC_P010 ? VA_RT_FORMAT_YUV420_10 : VA_RT_FORMAT_YUV420;
		std::vector<VASurfaceAttrib> a = { kMemTypeVa,
						   attrib(VASurfaceAttribPixelFormat,
							  static_cast<int32_t>(f.fourcc)) };
		VASurfaceID s = VA_INVALID_SURFACE;
		VAStatus st = r.vt().vaCreateSurfaces2(r.ctx(), rt, 128, 128, &s, 1, a.data(), 2);
		r.check("vaCreateSurfaces2", st, "probe format",
			nv12 ? VA_STATUS_SUCCESS : st); // a failure marks it unsupported
		if (st != VA_STATUS_SUCCESS)
			continue;
		r.deriveProbe(s, !nv12);
		VADRMPRIMESurfaceDescriptor d {};
		st = r.vt().vaExportSurfaceHandle(
			r.ctx(), s, VA_SURFACE_ATTRIB_MEM_TYPE_DRM_PRIME_2, kExportRead, &d);
		r.check("vaExportSurfaceHandle", st, "probe format", nv12 ? VA_STATUS_SUCCESS : st);
		if (st == VA_STATUS_SUCCESS) {
			r.check("vaSyncSurface", r.vt().vaSyncSurface(r.ctx(), s), "probe");
			r.closeDescriptor(d);
		}
		r.destroySurface(s);
	}
	destroyAll(r, first);
	r.destroyConfig(probe);
	VAConfigID vpp = VA_INVALID_ID;
	VAStatus st = r.vt().vaCreateConfig(r.ctx(), VAProfileNone, VAEntrypointVideoProc, nullptr,
					    0, &vpp);
	r.check("vaCreateConfig", st, "VPP", st); // tolerated either way
	if (st == VA_STATUS_SUCCESS)
		r.destroyConfig(vpp);
}

void runMpv(Pipeline &pl)
{
	mpvProbe(pl);
	// Native decode through FFmpeg 5.1 with mpv's frames context ([MemType, PixFmt]), §3.2.
	VaRun &r = pl.run();
	const ConsumerParams &p = pl.params();
	auto g = pl.generation(p.width, p.height);
	ffmpegInit(pl, *g, false, { kMemTypeVa, kPixNv12 });
	if (g->surfaces.empty())
		return;
	pl.decode(*g, p.frames, RenderStyle::FFmpeg);
	pl.flush();
	pl.verifyAll({ g.get() });
	r.destroyContext(g->context);
	r.destroyConfig(g->config);
	destroyAll(r, g->surfaces);
}

// --- GStreamer va (§4) -------------------------------------------------------------------------

/// Context first ([RTFormat] config, 0 targets), the allocator's test surface (status + derive,
/// or export for the DMABuf allocator), a pool of dpb + 4 growing during decoding, frames
/// mapped downstream (derive) or read through the dma-buf each surface was exported as.
void runGstVa(Pipeline &pl)
{
	VaRun &r = pl.run();
	const ConsumerParams &p = pl.params();
	const bool dmabuf = p.readback == Readback::Export;
	auto g = pl.generation(p.width, p.height);
	g->config =
		r.createConfig(profileOf(pl), { { VAConfigAttribRTFormat, VA_RT_FORMAT_YUV420 } });
	g->context = r.createContext(g->config, g->w, g->h, {});
	const std::vector<VASurfaceAttrib> attribs =
		dmabuf ? std::vector<VASurfaceAttrib> { kPixNv12, kHintDecoder }
		       : std::vector<VASurfaceAttrib> { kHintDecoder, kMemTypeVa, kPixNv12 };
	std::map<VASurfaceID, VADRMPRIMESurfaceDescriptor> exports;
	std::mutex exportsMutex; // the allocator and downstream run on different threads
	auto allocate = [&]() -> VASurfaceID {
		std::vector<VASurfaceID> s =
			r.createSurfaces(VA_RT_FORMAT_YUV420, g->w, g->h, 1, attribs);
		if (s.empty())
			return VA_INVALID_SURFACE;
		std::lock_guard lock(exportsMutex);
		if (dmabuf) {
			VADRMPRIMESurfaceDescriptor d {};
			if (r.check("vaExportSurfaceHandle",
				    r.vt().vaExportSurfaceHandle(
					    r.ctx(), s[0], VA_SURFACE_ATTRIB_MEM_TYPE_DRM_PRIME_2,
					    VA_EXPORT_SURFACE_READ_WRITE |
						    VA_EXPORT_SURFACE_SEPARATE_LAYERS,
					    &d)) == VA_STATUS_SUCCESS)
				exports[s[0]] = d;
		}
		g->surfaces.push_back(s[0]);
		return s[0];
	};
	VASurfaceID test = allocate(); // set_format's test surface
	if (test != VA_INVALID_SURFACE) {
		if (!dmabuf) {
			VASurfaceStatus status = VASurfaceRendering;
			r.check("vaQuerySurfaceStatus",
				r.vt().vaQuerySurfaceStatus(r.ctx(), test, &status));
			if (status != VASurfaceReady)
				r.fail("a never-decoded surface is not Ready (GStreamer disables "
				       "derive)");
			r.deriveProbe(test);
		}
		r.destroySurface(test);
		g->surfaces.pop_back();
		if (exports.count(test)) {
			r.closeDescriptor(exports[test]);
			exports.erase(test);
		}
	}
	std::vector<VASurfaceID> pool;
	for (unsigned i = 0; i < 5 + p.extraSurfaces; i++) {
		VASurfaceID s = allocate();
		if (s != VA_INVALID_SURFACE)
			pool.push_back(s);
	}
	pl.addFree(pool);
	auto read = [&](VASurfaceID s) {
		std::unique_lock lock(exportsMutex);
		auto it = exports.find(s);
		const bool have = it != exports.end();
		VADRMPRIMESurfaceDescriptor d = have ? it->second : VADRMPRIMESurfaceDescriptor {};
		lock.unlock();
		if (dmabuf && have)
			r.readDescriptor(s, d, g->w, g->h);
		else if (!dmabuf)
			r.readback(s, g->w, g->h, Readback::DeriveImage);
	};
	pl.decode(*g, p.frames, RenderStyle::FFmpeg, allocate, read);
	pl.flush();
	pl.verifyAll({ g.get() });
	r.destroyContext(g->context); // stop: context and config first, then the pool
	r.destroyConfig(g->config);
	VASurfaceID last = g->surfaces.empty() ? VA_INVALID_SURFACE : g->surfaces.back();
	const uint64_t lastSig = r.expectedSignature(last);
	destroyAll(r, g->surfaces);
	for (auto &[s, d] : exports) {
		if (s == last) // the dma-buf outlives its surface
			r.compareSignature(r.readExport(d, g->w, g->h), g->w, g->h, lastSig,
					   "dma-buf of a destroyed surface");
		r.closeDescriptor(d);
	}
}

// --- Chromium (§5) ------------------------------------------------------------------------------

/// Profile probing, then per resolution a 0-target context and frames created on demand, each
/// synced and exported right after creation (one object: Chromium CHECKs it), decoded in one
/// Render call and read through its dma-buf; a resize destroys the context and surfaces while
/// the compositor keeps the last frame's dma-buf.
void runChromium(Pipeline &pl)
{
	VaRun &r = pl.run();
	const ConsumerParams &p = pl.params();
	const VAProfile profile = profileOf(pl);
	VAConfigID c1 =
		r.createConfig(profile, { { VAConfigAttribRTFormat, VA_RT_FORMAT_YUV420 } });
	r.querySurfaceAttributes(c1, false);
	r.destroyConfig(c1);
	VAConfigID cfg =
		r.createConfig(profile, { { VAConfigAttribRTFormat, VA_RT_FORMAT_YUV420 } });
	struct Held {
		VADRMPRIMESurfaceDescriptor d;
		uint32_t w, h;
		uint64_t signature;
	};
	std::vector<Held> compositor;
	std::vector<std::unique_ptr<Generation>> gens;
	std::vector<std::pair<uint32_t, uint32_t>> sizes = { { p.width, p.height } };
	if (p.width2)
		sizes.emplace_back(p.width2, p.height2);
	unsigned left = p.frames;
	for (size_t k = 0; k < sizes.size(); k++) {
		auto g = pl.generation(sizes[k].first, sizes[k].second);
		Generation &gen = *g;
		gen.context = r.createContext(cfg, gen.w, gen.h, {});
		std::map<VASurfaceID, VADRMPRIMESurfaceDescriptor> exports;
		std::mutex exportsMutex;
		auto allocate = [&]() -> VASurfaceID {
			std::vector<VASurfaceID> s = r.createSurfaces(VA_RT_FORMAT_YUV420, gen.w,
								      gen.h, 1, { kHintDecoder });
			if (s.empty())
				return VA_INVALID_SURFACE;
			std::lock_guard lock(exportsMutex);
			gen.surfaces.push_back(s[0]);
			r.check("vaSyncSurface", r.vt().vaSyncSurface(r.ctx(), s[0]), "new frame");
			VADRMPRIMESurfaceDescriptor d {};
			if (r.check("vaExportSurfaceHandle",
				    r.vt().vaExportSurfaceHandle(
					    r.ctx(), s[0], VA_SURFACE_ATTRIB_MEM_TYPE_DRM_PRIME_2,
					    kExportRead, &d)) == VA_STATUS_SUCCESS) {
				if (d.num_objects != 1)
					r.fail("export of a new frame has " +
					       std::to_string(d.num_objects) +
					       " objects: Chromium CHECK-fails");
				exports[s[0]] = d;
			}
			return s[0];
		};
		auto read = [&](VASurfaceID s) {
			std::unique_lock lock(exportsMutex);
			auto it = exports.find(s);
			const bool have = it != exports.end();
			VADRMPRIMESurfaceDescriptor d =
				have ? it->second : VADRMPRIMESurfaceDescriptor {};
			lock.unlock();
			if (have)
				r.readDescriptor(s, d, gen.w, gen.h);
		};
		const unsigned count = k + 1 == sizes.size() ? left : std::max(1u, p.frames / 2);
		left -= std::min(left, count);
		pl.decode(gen, count, RenderStyle::OneCall, allocate, read);
		pl.flush();
		pl.takeFree();
		pl.verifyAll({ &gen });
		r.destroyContext(gen.context);
		const VASurfaceID last = gen.reference;
		const uint64_t lastSig = r.expectedSignature(last);
		destroyAll(r, gen.surfaces);
		for (auto &[s, d] : exports) {
			if (s == last)
				compositor.push_back({ d, gen.w, gen.h, lastSig });
			else
				r.closeDescriptor(d);
		}
		for (const Held &h : compositor)
			r.compareSignature(r.readExport(h.d, h.w, h.h), h.w, h.h, h.signature,
					   "dma-buf of a destroyed surface");
		gens.push_back(std::move(g));
	}
	for (const Held &h : compositor)
		r.closeDescriptor(h.d);
	r.destroyConfig(cfg);
}

// --- Kodi (§6.1) ---------------------------------------------------------------------------------

void runKodi(Pipeline &pl)
{
	VaRun &r = pl.run();
	const ConsumerParams &p = pl.params();
	// RendererVAAPIGL::Configure: 1920x1080 NV12 then P010 export probes.
	for (uint32_t fourcc : { VA_FOURCC_NV12, VA_FOURCC_P010 }) {
		const bool nv12 = fourcc == VA_FOURCC_NV12;
		std::vector<VASurfaceID> s = r.createSurfaces(
			nv12 ? VA_RT_FORMAT_YUV420 : VA_RT_FORMAT_YUV420_10, 1920, 1080, 1,
			{ attrib(VASurfaceAttribPixelFormat, static_cast<int32_t>(fourcc)) });
		if (s.empty())
			continue;
		VADRMPRIMESurfaceDescriptor d {};
		VAStatus st = r.vt().vaExportSurfaceHandle(
			r.ctx(), s[0], VA_SURFACE_ATTRIB_MEM_TYPE_DRM_PRIME_2, kExportRead, &d);
		r.check("vaExportSurfaceHandle", st, "probe", nv12 ? VA_STATUS_SUCCESS : st);
		if (st == VA_STATUS_SUCCESS)
			r.closeDescriptor(d);
		r.destroySurface(s[0]);
	}
	// CDecoder::ConfigVAAPI: one call of refs + 6 surfaces; FFmpeg's own config and context.
	const VAProfile profile = profileOf(pl);
	VAConfigID kodiCfg =
		r.createConfig(profile, { { VAConfigAttribRTFormat, VA_RT_FORMAT_YUV420 } });
	auto g = pl.generation(p.width, p.height);
	g->surfaces = r.createSurfaces(VA_RT_FORMAT_YUV420, g->w, g->h,
				       refsOf(p.codec) + 6 + p.extraSurfaces, { kPixNv12 });
	g->config = r.createConfig(profile);
	r.querySurfaceAttributes(g->config, true);
	g->context = r.createContext(g->config, g->w, g->h, g->surfaces);
	pl.addFree(g->surfaces);
	pl.decode(*g, p.frames, RenderStyle::FFmpeg);
	pl.flush();
	pl.verifyAll({ g.get() });
	r.destroyContext(g->context);
	r.destroyConfig(g->config);
	for (VASurfaceID s : g->surfaces) // FiniVAAPIOutput: one by one, then Kodi's config
		r.destroySurface(s);
	r.destroyConfig(kodiCfg);
}

// --- gstreamer-vaapi (§6.4) ----------------------------------------------------------------------

/// derive + vaAcquireBufferHandle(DRM_PRIME), the dma-buf mapped and read (gstvaapibufferproxy.c).
void readBufferHandle(VaRun &r, VASurfaceID s, uint32_t w, uint32_t h)
{
	if (r.maybe(s) && r.deviceGone())
		return; // in flight when the device went: nothing to read
	const VAStatus st = r.vt().vaSyncSurface(r.ctx(), s);
	if (r.check("vaSyncSurface", st, "", r.maybe(s) ? st : VA_STATUS_SUCCESS) !=
	    VA_STATUS_SUCCESS)
		return;
	VAImage image {};
	if (r.check("vaDeriveImage", r.vt().vaDeriveImage(r.ctx(), s, &image)) != VA_STATUS_SUCCESS)
		return;
	VABufferInfo info {};
	info.mem_type = VA_SURFACE_ATTRIB_MEM_TYPE_DRM_PRIME;
	if (r.check("vaAcquireBufferHandle",
		    r.vt().vaAcquireBufferHandle(r.ctx(), image.buf, &info)) == VA_STATUS_SUCCESS) {
		VADRMPRIMESurfaceDescriptor d {}; // the one-object view of the handle
		d.num_objects = 1;
		d.objects[0].fd = static_cast<int>(info.handle);
		d.objects[0].size = static_cast<uint32_t>(info.mem_size);
		d.num_layers = 2;
		for (int l = 0; l < 2; l++) {
			d.layers[l].num_planes = 1;
			d.layers[l].offset[0] = image.offsets[l];
			d.layers[l].pitch[0] = image.pitches[l];
		}
		std::vector<uint8_t> nv12 = r.readExport(d, w, h);
		r.compareSignature(nv12, w, h, r.expectedSignature(s),
				   "buffer handle of a derived image");
		r.check("vaReleaseBufferHandle", r.vt().vaReleaseBufferHandle(r.ctx(), image.buf));
	}
	r.check("vaDestroyImage", r.vt().vaDestroyImage(r.ctx(), image.image_id));
}

void runGstVaapi(Pipeline &pl)
{
	VaRun &r = pl.run();
	const ConsumerParams &p = pl.params();
	const VAProfile profile = profileOf(pl);
	const std::vector<VASurfaceAttrib> attribs = { kPixNv12, kHintGeneric };
	std::vector<std::pair<uint32_t, uint32_t>> sizes = { { p.width, p.height } };
	if (p.width2)
		sizes.emplace_back(p.width2, p.height2);
	std::vector<std::unique_ptr<Generation>> gens;
	std::deque<VASurfaceID> downstreamOld;
	Generation *old = nullptr;
	unsigned left = p.frames;
	for (size_t k = 0; k < sizes.size(); k++) {
		auto g = pl.generation(sizes[k].first, sizes[k].second);
		g->config = r.createConfig(profile,
					   { { VAConfigAttribRTFormat, VA_RT_FORMAT_YUV420 } });
		r.querySurfaceAttributes(g->config, false);
		std::vector<VASurfaceID> pool;
		for (unsigned i = 0; i < 5 + p.extraSurfaces; i++) // surfaces first, one call each
			for (VASurfaceID s :
			     r.createSurfaces(VA_RT_FORMAT_YUV420, g->w, g->h, 1, attribs))
				pool.push_back(s);
		g->surfaces = pool;
		g->context = r.createContext(g->config, g->w, g->h, {});
		// The video memory allocator's probe: derive + map on a test surface.
		for (VASurfaceID t :
		     r.createSurfaces(VA_RT_FORMAT_YUV420, g->w, g->h, 1, attribs)) {
			VAImage image {};
			if (r.check("vaDeriveImage", r.vt().vaDeriveImage(r.ctx(), t, &image)) ==
			    VA_STATUS_SUCCESS) {
				void *ptr = nullptr;
				if (r.check("vaMapBuffer",
					    r.vt().vaMapBuffer(r.ctx(), image.buf, &ptr)) ==
				    VA_STATUS_SUCCESS)
					r.check("vaUnmapBuffer",
						r.vt().vaUnmapBuffer(r.ctx(), image.buf));
				r.check("vaDestroyImage",
					r.vt().vaDestroyImage(r.ctx(), image.image_id));
			}
			r.destroySurface(t);
		}
		if (old) { // released by the sink after the reset
			for (VASurfaceID s : downstreamOld) {
				r.readback(s, old->w, old->h, Readback::GetImage);
				r.destroySurface(s);
			}
			downstreamOld.clear();
		}
		pl.addFree(pool);
		Generation &gen = *g;
		auto read = [&r, &gen, &p](VASurfaceID s) {
			if (p.readback == Readback::DeriveImage)
				readBufferHandle(r, s, gen.w, gen.h);
			else
				r.readback(s, gen.w, gen.h, Readback::GetImage);
		};
		const unsigned count = k + 1 == sizes.size() ? left : std::max(1u, p.frames / 2);
		left -= std::min(left, count);
		pl.decode(gen, count, RenderStyle::GstreamerVaapi, growing(r, gen, attribs), read);
		if (k + 1 == sizes.size()) {
			pl.flush();
			pl.verifyAll({ &gen });
		}
		// gst_vaapi_context_reset: free surfaces destroyed before the context; held ones later.
		downstreamOld = pl.takeDownstream();
		for (VASurfaceID s : pl.takeFree())
			r.destroySurface(s);
		r.destroyContext(gen.context);
		r.destroyConfig(gen.config);
		old = &gen;
		gens.push_back(std::move(g));
	}
	for (VASurfaceID s : downstreamOld)
		r.destroySurface(s);
}

// --- libva-utils (§6.3) ----------------------------------------------------------------------------

/// mpeg2vldemo: [RTFormat] config, the surfaces (no attributes), a context with them at the
/// 16-aligned height, one Render per buffer and a sync per picture, GetImage; teardown surfaces
/// before config before context.
void runLibvaUtils(Pipeline &pl)
{
	VaRun &r = pl.run();
	const ConsumerParams &p = pl.params();
	auto g = pl.generation(p.width, p.height);
	VAConfigAttrib rt { VAConfigAttribRTFormat, 0 };
	r.check("vaGetConfigAttributes",
		r.vt().vaGetConfigAttributes(r.ctx(), profileOf(pl), VAEntrypointVLD, &rt, 1));
	g->config =
		r.createConfig(profileOf(pl), { { VAConfigAttribRTFormat, VA_RT_FORMAT_YUV420 } });
	g->surfaces =
		r.createSurfaces(VA_RT_FORMAT_YUV420, g->w, g->h, p.lag + 2 + p.extraSurfaces, {});
	g->context = r.createContext(g->config, g->w, (g->h + 15) & ~15u, g->surfaces);
	pl.addFree(g->surfaces);
	pl.decode(*g, p.frames, RenderStyle::LibvaUtils);
	pl.flush();
	pl.verifyAll({ g.get() });
	for (VASurfaceID s : g->surfaces)
		r.destroySurface(s);
	r.destroyConfig(g->config);
	r.destroyContext(g->context);
}

} // namespace

void runConsumer(VaRun &run, const ConsumerParams &p)
{
	Pipeline pl(run, p);
	switch (p.consumer) {
	case Consumer::Ff51: runFfmpeg(pl, false); break;
	case Consumer::Ffm: runFfmpeg(pl, true); break;
	case Consumer::Mpv: runMpv(pl); break;
	case Consumer::GstVa: runGstVa(pl); break;
	case Consumer::Chromium: runChromium(pl); break;
	case Consumer::Kodi: runKodi(pl); break;
	case Consumer::GstVaapi: runGstVaapi(pl); break;
	case Consumer::LibvaUtils: runLibvaUtils(pl); break;
	}
	if (run.inFaultWindow())
		run.endFaults();
}

} // namespace props::va
