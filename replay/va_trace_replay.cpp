// SPDX-License-Identifier: MIT
#include "va_trace_replay.h"

#include "va_scenario.h"
#include "va_trace_buffers.h"
#include "va_trace_clip.h"

#include <cstdlib>
#include <map>
#include <sstream>

namespace v4l2va::test {

namespace {

/// More surfaces than any consumer creates in one call: a garbled count, not replayed.
constexpr uint64_t kMaxCount = 4096;

/// "0x02010000 va_trace_flag 0x3" -> 0x02010000; "1, VAProfileMPEG2Main" -> 1.
uint32_t leading(const std::string &v)
{
	return static_cast<uint32_t>(strtoul(v.c_str(), nullptr, 0));
}

class VaReplayer {
public:
	VaReplayer(const VaTraceLog &log, const VaReplayOptions &o, VaReplayReport &r)
		: log_(log), o_(o), r_(r)
	{
	}

	bool run();

private:
	bool step(const VaTraceCall &c);
	bool check(const VaTraceCall &c, VAStatus got);
	bool diverge(const VaTraceCall &c, const std::string &m)
	{
		r_.divergences.push_back({c.file, c.line, m});
		return o_.keepGoing;
	}
	VAConfigID config(const std::string &traceId);
	VASurfaceID surface(VASurfaceID traceId) const
	{
		if (traceId == VA_INVALID_SURFACE)
			return VA_INVALID_SURFACE;
		auto it = surfaces_.find(traceId);
		return it == surfaces_.end() ? VA_INVALID_SURFACE - 1 : it->second;
	}
	std::vector<VASurfaceAttrib> attribs(const VaTraceCall &c) const;
	const VADriverVTable &vt() { return drv_->vt(); }
	VADriverContextP ctx() { return drv_->ctx(); }

	const VaTraceLog &log_;
	const VaReplayOptions &o_;
	VaReplayReport &r_;
	std::unique_ptr<VaDriver> drv_;
	std::map<std::string, VAConfigID> configs_;
	std::vector<VAConfigID> unbound_;	///< created, their trace id not seen yet
	std::map<VASurfaceID, VASurfaceID> surfaces_;
	std::map<VASurfaceID, std::pair<uint32_t, uint32_t>> sizes_;	///< by replay id
	std::map<uint32_t, VAContextID> contexts_;
	std::map<VAContextID, std::vector<VABufferID>> pictureBuffers_;
	VASurfaceID lastCreated_ = VA_INVALID_SURFACE, lastSynced_ = VA_INVALID_SURFACE;
	VAImage image_ {};
	bool haveImage_ = false;
	VaClipFrames clip_;
	bool haveClip_ = false;
};

VAConfigID VaReplayer::config(const std::string &traceId)
{
	auto it = configs_.find(traceId);
	if (it != configs_.end())
		return it->second;
	// The log names a config only when it is used: bind the newest unbound one.
	if (unbound_.empty())
		return VA_INVALID_ID;
	VAConfigID id = unbound_.back();
	unbound_.pop_back();
	configs_[traceId] = id;
	return id;
}

std::vector<VASurfaceAttrib> VaReplayer::attribs(const VaTraceCall &c) const
{
	// attrib_list[i] =, then type, flags, value.type, value.value.i|f|p.
	std::vector<VASurfaceAttrib> out;
	for (size_t i = 0; i < c.fields.size(); i++) {
		if (c.fields[i].first.compare(0, 12, "attrib_list[") != 0)
			continue;
		VASurfaceAttrib a {};
		for (size_t k = i + 1; k < c.fields.size() && c.fields[k].first.compare(0, 12, "attrib_list[") != 0; k++) {
			const auto &[key, value] = c.fields[k];
			uint64_t v = strtoull(value.c_str(), nullptr, 0);
			// Out-of-range enum values (a garbled log) are kept out of the enums: passed as
			// VASurfaceAttribCount / 0, which the driver refuses.
			if (key == "type")
				a.type = v < VASurfaceAttribCount ? static_cast<VASurfaceAttribType>(v) : VASurfaceAttribCount;
			else if (key == "flags")
				a.flags = static_cast<uint32_t>(v);
			else if (key == "value.type")
				a.value.type = v < 8 ? static_cast<VAGenericValueType>(v) : static_cast<VAGenericValueType>(0);
			else if (key == "value.value.i")
				a.value.value.i = static_cast<int32_t>(v);
		}
		out.push_back(a);
	}
	return out;
}

bool VaReplayer::check(const VaTraceCall &c, VAStatus got)
{
	if (got == c.status) {
		r_.matched++;
		return true;
	}
	return diverge(c, c.name + ": expected " + vaErrorStr(c.status) + ", got " + vaErrorStr(got));
}

bool VaReplayer::step(const VaTraceCall &c)
{
	const std::string &n = c.name;
	r_.replayed++;
	if (n == "vaInitialize")
		return check(c, drv_->status());
	if (n == "vaTerminate")
		return check(c, drv_->terminate());
	if (n == "vaQueryConfigProfiles") {
		std::vector<VAProfile> p(static_cast<size_t>(ctx()->max_profiles));
		int count = 0;
		return check(c, vt().vaQueryConfigProfiles(ctx(), p.data(), &count));
	}
	if (n == "vaCreateConfig") {
		VAConfigID id = VA_INVALID_ID;
		// Within the enums' value ranges (VAProfile -1..63, VAEntrypoint 0..15), else garbled.
		int32_t profile = static_cast<int32_t>(leading(c.field("profile")));
		uint32_t entrypoint = leading(c.field("entrypoint"));
		if (profile < -1 || profile > 63 || entrypoint > 15)
			return diverge(c, "vaCreateConfig: implausible profile or entrypoint");
		VAStatus st = vt().vaCreateConfig(ctx(), static_cast<VAProfile>(profile),
						  static_cast<VAEntrypoint>(entrypoint), nullptr, 0, &id);
		if (st == VA_STATUS_SUCCESS)
			unbound_.push_back(id);
		if (c.number("num_attribs"))
			r_.notes.push_back(c.file + ":" + std::to_string(c.line) + ": config attributes not replayed");
		return check(c, st);
	}
	if (n == "vaQuerySurfaceAttributes") {
		VAConfigID cfg = config(c.field("config"));
		std::vector<VASurfaceAttrib> expected = attribs(c);
		if (expected.empty()) {
			unsigned count = 0;
			return check(c, vt().vaQuerySurfaceAttributes(ctx(), cfg, nullptr, &count));
		}
		std::vector<VASurfaceAttrib> got(expected.size());
		unsigned count = static_cast<unsigned>(got.size());
		VAStatus st = vt().vaQuerySurfaceAttributes(ctx(), cfg, got.data(), &count);
		if (!check(c, st))
			return false;
		for (size_t i = 0; st == VA_STATUS_SUCCESS && i < expected.size(); i++)
			if (i >= count || got[i].type != expected[i].type ||
			    got[i].value.value.i != expected[i].value.value.i)
				return diverge(c, "vaQuerySurfaceAttributes: attribute " + std::to_string(i) + " differs");
		return true;
	}
	if (n == "vaDestroyConfig")
		return check(c, vt().vaDestroyConfig(ctx(), config(c.field("config"))));
	if (n == "vaCreateSurfaces") {
		if (c.number("num_surfaces") > kMaxCount)
			return diverge(c, "vaCreateSurfaces: implausible num_surfaces " + c.field("num_surfaces"));
		unsigned count = static_cast<unsigned>(c.number("num_surfaces"));
		std::vector<VASurfaceID> ids(count, VA_INVALID_SURFACE);
		std::vector<VASurfaceAttrib> a = attribs(c);
		uint32_t format = static_cast<uint32_t>(c.number("format"));
		for (VASurfaceAttrib &x : a) {
			// libva prints no value for value.type 0 (FFmpeg 5.1's PixelFormat attribute
			// still carries the fourcc there): the fourcc of the surface format.
			if (x.type == VASurfaceAttribPixelFormat && x.value.type == 0 && !x.value.value.i) {
				x.value.value.i = static_cast<int32_t>(format == VA_RT_FORMAT_YUV420_10 ? VA_FOURCC_P010
												  : VA_FOURCC_NV12);
				r_.approximated++;
			}
		}
		uint32_t w = static_cast<uint32_t>(c.number("width")), h = static_cast<uint32_t>(c.number("height"));
		VAStatus st = vt().vaCreateSurfaces2(ctx(), format, w, h,
						     ids.data(), count, a.empty() ? nullptr : a.data(),
						     static_cast<unsigned>(a.size()));
		for (unsigned i = 0; st == VA_STATUS_SUCCESS && i < count; i++) {
			VASurfaceID traceId = leading(c.field("surfaces[" + std::to_string(i) + "]"));
			surfaces_[traceId] = ids[i];
			sizes_[ids[i]] = {w, h};
			lastCreated_ = ids[i];
		}
		return check(c, st);
	}
	if (n == "vaCreateContext") {
		if (c.number("num_render_targets") > kMaxCount)
			return diverge(c, "vaCreateContext: implausible num_render_targets " + c.field("num_render_targets"));
		std::vector<VASurfaceID> targets;
		for (unsigned i = 0; i < c.number("num_render_targets"); i++)
			targets.push_back(surface(leading(c.field("render_targets[" + std::to_string(i) + "]"))));
		VAContextID id = VA_INVALID_ID;
		VAStatus st = vt().vaCreateContext(ctx(), config(c.field("config")),
						   static_cast<int>(c.number("width")), static_cast<int>(c.number("height")),
						   static_cast<int>(c.number("flag")),
						   targets.empty() ? nullptr : targets.data(), static_cast<int>(targets.size()),
						   &id);
		if (st == VA_STATUS_SUCCESS)
			contexts_[leading(c.field("context"))] = id;
		return check(c, st);
	}
	auto context = [&]() {
		auto it = contexts_.find(leading(c.field("context")));
		return it == contexts_.end() ? VA_INVALID_ID : it->second;
	};
	if (n == "vaDestroyContext" && c.field("context").empty()) {
		// libva 2.17 logs only its status: the newest context still alive.
		r_.approximated++;
		if (contexts_.empty())
			return check(c, VA_STATUS_ERROR_INVALID_CONTEXT);
		auto last = std::prev(contexts_.end());
		VAContextID id = last->second;
		contexts_.erase(last);
		return check(c, vt().vaDestroyContext(ctx(), id));
	}
	if (n == "vaBeginPicture") {
		r_.pictures++;
		return check(c, vt().vaBeginPicture(ctx(), context(), surface(leading(c.field("render_targets")))));
	}
	if (n == "vaRenderPicture") {
		VAContextID x = context();
		std::vector<VABufferID> ids;
		for (VaTraceBuffer b : c.buffers) {
			if (!rebuildBuffer(&b, [&](VASurfaceID s) { return surface(s); })) {
				// The clip is opened when first needed: the logs of other codecs name theirs too.
				std::string clipError = "; pass the run's clip (--clip)";
				if (b.dataMissing && !haveClip_ && !o_.clip.empty()) {
					haveClip_ = clip_.open(o_.clip, &clipError);
					clipError = haveClip_ ? "" : "; " + clipError;
				}
				if (!b.dataMissing || !haveClip_) {
					r_.divergences.push_back({c.file, b.problemLine ? b.problemLine : c.line,
								  "buffer " + std::to_string(ids.size()) +
									  " cannot be rebuilt: " + b.problem +
									  (b.dataMissing ? clipError : "")});
					return false;
				}
				if (!clip_.nextSlice(b.size * b.numElements, &b.data)) {
					diverge(c, "buffer " + std::to_string(ids.size()) + ": clip frame " +
							   std::to_string(clip_.used()) + " is not the slice data of " +
							   std::to_string(b.size) + " bytes the log names");
					return false;
				}
				r_.fromClip++;
			}
			VABufferID id = VA_INVALID_ID;
			VAStatus st = drv_->createBuffer(x, b.type, b.data.data(), b.size, &id, b.numElements);
			if (st != VA_STATUS_SUCCESS)
				return diverge(c, std::string("vaCreateBuffer for the picture: ") + vaErrorStr(st));
			ids.push_back(id);
			pictureBuffers_[x].push_back(id);
		}
		return check(c, vt().vaRenderPicture(ctx(), x, ids.data(), static_cast<int>(ids.size())));
	}
	if (n == "vaEndPicture") {
		VAContextID x = context();
		bool ok = check(c, vt().vaEndPicture(ctx(), x));
		// FFmpeg destroys the picture's buffers after End (the log's vaDestroyBuffer lines).
		for (VABufferID id : pictureBuffers_[x])
			vt().vaDestroyBuffer(ctx(), id);
		pictureBuffers_[x].clear();
		return ok;
	}
	if (n == "vaSyncSurface") {
		lastSynced_ = surface(leading(c.field("render_target")));
		return check(c, vt().vaSyncSurface(ctx(), lastSynced_));
	}
	if (n == "vaDestroySurfaces") {
		std::vector<VASurfaceID> ids;
		for (unsigned i = 0;; i++) {
			std::string v = c.field("surfaces[" + std::to_string(i) + "]");
			if (v.empty())
				break;
			ids.push_back(surface(leading(v)));
		}
		return check(c, vt().vaDestroySurfaces(ctx(), ids.data(), static_cast<int>(ids.size())));
	}
	if (n == "vaDestroyContext")
		return check(c, vt().vaDestroyContext(ctx(), context()));
	// Status-only calls: arguments unknown, approximated as FFmpeg issues them.
	r_.approximated++;
	if (n == "vaCreateBuffer" || n == "vaDestroyBuffer" || n == "vaBufferInfo") {
		r_.matched += c.status == VA_STATUS_SUCCESS;	// the buffers of vaRenderPicture
		return c.status == VA_STATUS_SUCCESS || diverge(c, n + " failed in the trace: not replayed");
	}
	if (n == "vaDeriveImage") {
		haveImage_ = vt().vaDeriveImage(ctx(), lastCreated_, &image_) == VA_STATUS_SUCCESS;
		return check(c, haveImage_ ? VA_STATUS_SUCCESS : VA_STATUS_ERROR_OPERATION_FAILED);
	}
	if (n == "vaCreateImage") {
		VASurfaceID s = lastSynced_ != VA_INVALID_SURFACE ? lastSynced_ : lastCreated_;
		auto size = sizes_[s];
		VAImageFormat fmt {};
		fmt.fourcc = VA_FOURCC_NV12;
		fmt.byte_order = VA_LSB_FIRST;
		fmt.bits_per_pixel = 12;
		VAStatus st = vt().vaCreateImage(ctx(), &fmt, static_cast<int>(size.first),
						 static_cast<int>(size.second), &image_);
		haveImage_ = st == VA_STATUS_SUCCESS;
		return check(c, st);
	}
	if (n == "vaGetImage") {
		auto size = sizes_[lastSynced_];
		return check(c, vt().vaGetImage(ctx(), lastSynced_, 0, 0, size.first, size.second,
						haveImage_ ? image_.image_id : VA_INVALID_ID));
	}
	if (n == "vaMapBuffer" && haveImage_) {
		void *p = nullptr;
		return check(c, vt().vaMapBuffer(ctx(), image_.buf, &p));
	}
	if (n == "vaUnmapBuffer" && haveImage_)
		return check(c, vt().vaUnmapBuffer(ctx(), image_.buf));
	if (n == "vaDestroyImage") {
		VAStatus st = haveImage_ ? vt().vaDestroyImage(ctx(), image_.image_id) : VA_STATUS_ERROR_INVALID_IMAGE;
		haveImage_ = false;
		return check(c, st);
	}
	r_.replayed--;
	r_.skipped++;
	r_.notes.push_back(c.file + ":" + std::to_string(c.line) + ": " + n + " not replayed");
	return true;
}

bool VaReplayer::run()
{
	if (!o_.v4l2Trace.empty())
		setenv("V4L2EMU_TRACE", o_.v4l2Trace.c_str(), 1);
	drv_ = std::make_unique<VaDriver>(o_.env);
	unsetenv("V4L2EMU_TRACE");
	std::shared_ptr<v4l2emu::Board> board = drv_->shareBoard();
	r_.calls = log_.calls.size();

	for (const VaTraceCall &c : log_.calls)
		if (!step(c))
			break;
	if (board) {
		std::string diag = diagnosticsText(*board);
		if (!diag.empty())
			r_.divergences.push_back({"", 0, "emulator diagnostics:\n" + diag});
	}
	// The board's control block lives in the driver module: release it before unloading.
	board.reset();
	drv_.reset();
	return r_.divergences.empty();
}

} // namespace

std::string VaReplayReport::text() const
{
	std::ostringstream o;
	for (const VaReplayDivergence &d : divergences)
		o << "DIVERGENCE " << d.file << ":" << d.line << ": " << d.message << "\n";
	for (size_t i = 0; i < notes.size() && i < 10; i++)
		o << "note: " << notes[i] << "\n";
	o << "totals: " << calls << " VA calls, " << replayed << " replayed, " << matched << " matched, "
	  << approximated << " approximated (status-only in the log), " << skipped << " skipped, "
	  << pictures << " pictures, " << fromClip << " slice data buffers from the clip, " << divergences.size()
	  << " divergences\n";
	return o.str();
}

bool replayVaTrace(const VaTraceLog &log, const VaReplayOptions &options, VaReplayReport *report)
{
	*report = VaReplayReport{};
	VaReplayer r(log, options, *report);
	return r.run();
}

} // namespace v4l2va::test
