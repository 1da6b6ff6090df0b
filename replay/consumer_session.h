// SPDX-License-Identifier: MIT
#pragma once

// What the consumer scripts share (consumer_scripts.cpp, consumer_scripts_more.cpp): one VA
// driver on the traced fresnel board, the picture source of the codec, and the steps every
// script is made of, each checked.

#include "va_scenario.h"
#include "va_trace_source.h"

#include <va/va_drmcommon.h>

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <deque>
#include <string>
#include <vector>

namespace v4l2va::test::consumer {

constexpr uint32_t kWidth = 176, kHeight = 144;
constexpr uint32_t kExportRead = VA_EXPORT_SURFACE_READ_ONLY | VA_EXPORT_SURFACE_SEPARATE_LAYERS;

inline VASurfaceAttrib attrib(VASurfaceAttribType type, int32_t value, uint32_t flags = VA_SURFACE_ATTRIB_SETTABLE,
		       VAGenericValueType valueType = VAGenericValueTypeInteger)
{
	VASurfaceAttrib a {};
	a.type = type;
	a.flags = flags;
	a.value.type = valueType;
	a.value.value.i = value;
	return a;
}

inline const VASurfaceAttrib kMemTypeVa = attrib(VASurfaceAttribMemoryType, VA_SURFACE_ATTRIB_MEM_TYPE_VA);
inline const VASurfaceAttrib kHintDecoder =
	attrib(VASurfaceAttribUsageHint, VA_SURFACE_ATTRIB_USAGE_HINT_DECODER);
inline const VASurfaceAttrib kNv12 = attrib(VASurfaceAttribPixelFormat, static_cast<int32_t>(VA_FOURCC_NV12));
/// FFmpeg 5.1's pixel format attribute: flags 0, value type 0 (consumer-patterns.md §2.3).
inline const VASurfaceAttrib kNv12Ff51 = attrib(VASurfaceAttribPixelFormat, static_cast<int32_t>(VA_FOURCC_NV12),
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

// consumer-patterns.md §6 (consumer_scripts_more.cpp).
void kodi(Session &s, const std::string &codec);
void gstreamerVaapi(Session &s);
void libvaUtils(Session &s);

} // namespace v4l2va::test::consumer
