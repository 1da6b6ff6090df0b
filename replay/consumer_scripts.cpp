// SPDX-License-Identifier: MIT
// The consumer patterns the corpus records: the VA call order of each consumer (see the
// references per script), reduced to a few pictures, with every status checked.
#include "consumer_scripts.h"

#include "consumer_session.h"

namespace v4l2va::test {

namespace consumer {
namespace {

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

} // namespace
} // namespace consumer

using namespace consumer;	// the scripts and their Session

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
