// SPDX-License-Identifier: MIT
// The consumer patterns of consumer-patterns.md §6: Kodi, gstreamer-vaapi, libva-utils.
#include "consumer_session.h"

namespace v4l2va::test::consumer {

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

} // namespace v4l2va::test::consumer
