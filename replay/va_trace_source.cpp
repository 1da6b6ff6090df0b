// SPDX-License-Identifier: MIT
#include "va_trace_source.h"

#include "va_trace_buffers.h"
#include "va_trace_clip.h"
#include "va_trace_log.h"

#include <fstream>
#include <set>
#include <iterator>

namespace v4l2va::test {

namespace {

struct RunPicture {
	VASurfaceID traceTarget = VA_INVALID_SURFACE;
	std::vector<VaTraceBuffer> buffers;	///< not yet rebuilt (surface ids depend on the script)
	std::set<VASurfaceID> references;	///< run ids its buffers name, but its own target
};

class TraceSource final : public FrameSource {
public:
	TraceSource(VAProfile profile, std::string name, uint32_t w, uint32_t h, std::vector<RunPicture> pictures)
		: FrameSource(w, h), profile_(profile), name_(std::move(name)), pictures_(std::move(pictures))
	{
	}
	VAProfile profile() const override { return profile_; }
	const char *name() const override { return name_.c_str(); }

	PictureBuffers picture(unsigned n, VASurfaceID target, VASurfaceID) override
	{
		PictureBuffers out;
		if (n >= pictures_.size())
			return out;	// no buffers: the script's Begin/End pair fails visibly
		const RunPicture &p = pictures_[n];
		surfaces_[p.traceTarget] = target;
		heldBy_[target] = n;
		SurfaceMap map = [this](VASurfaceID s) {
			auto it = surfaces_.find(s);
			return it == surfaces_.end() ? VA_INVALID_SURFACE : it->second;
		};
		for (VaTraceBuffer b : p.buffers) {
			if (b.data.empty() && !rebuildBuffer(&b, map))
				return {};
			VaBufferData d {b.type, b.size, b.numElements, std::move(b.data)};
			bool slice = b.type == VASliceParameterBufferType || b.type == VASliceDataBufferType;
			(slice ? out.slices : out.params).push_back(std::move(d));
		}
		return out;
	}

	bool stillReferenced(VASurfaceID surface, unsigned next) const override
	{
		auto held = heldBy_.find(surface);
		if (held == heldBy_.end())
			return false;
		const VASurfaceID id = pictures_[held->second].traceTarget;
		// A later decode into the same run surface supersedes the held picture.
		for (size_t j = held->second + 1; j < next && j < pictures_.size(); j++)
			if (pictures_[j].traceTarget == id)
				return false;
		for (size_t k = next; k < pictures_.size(); k++) {
			if (pictures_[k].references.count(id))
				return true;
			if (pictures_[k].traceTarget == id)
				return false;
		}
		return false;
	}

private:
	VAProfile profile_;
	std::string name_;
	std::vector<RunPicture> pictures_;
	std::map<VASurfaceID, VASurfaceID> surfaces_;	///< run id -> script id
	std::map<VASurfaceID, unsigned> heldBy_;	///< script id -> the picture decoded into it
};

std::string metaClip(const std::string &runDir)
{
	std::ifstream f(runDir + "/meta.json");
	std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
	size_t k = text.find("\"clip\"");
	if (k == std::string::npos)
		return {};
	size_t a = text.find('"', text.find(':', k) + 1), b = text.find('"', a + 1);
	return a == std::string::npos || b == std::string::npos ? "" : text.substr(a + 1, b - a - 1);
}

} // namespace

std::unique_ptr<FrameSource> makeTraceSource(const std::string &runDir, const std::string &sourceDir,
					     const std::string &name, std::string *error)
{
	VaTraceLog log;
	if (!readVaTrace(vaTraceFiles(runDir + "/va_trace"), &log) || !log.problems.empty()) {
		*error = runDir + ": unreadable LIBVA_TRACE run";
		return nullptr;
	}
	VAProfile profile = VAProfileNone;
	uint32_t w = 0, h = 0;
	std::vector<RunPicture> pictures;
	VaClipFrames clip;
	bool clipOpen = false;
	bool inPicture = false;
	for (const VaTraceCall &c : log.calls) {
		if (c.name == "vaCreateConfig" && profile == VAProfileNone)
			profile = static_cast<VAProfile>(strtol(c.field("profile").c_str(), nullptr, 0));
		else if (c.name == "vaCreateContext" && !w) {
			w = static_cast<uint32_t>(c.number("width"));
			h = static_cast<uint32_t>(c.number("height"));
		} else if (c.name == "vaBeginPicture") {
			pictures.emplace_back();
			pictures.back().traceTarget = static_cast<VASurfaceID>(c.number("render_targets"));
			inPicture = true;
		} else if (c.name == "vaEndPicture") {
			inPicture = false;
		} else if (c.name == "vaRenderPicture" && inPicture) {
			for (VaTraceBuffer b : c.buffers) {
				// Slice data is id-free: rebuilt now (from the clip where the log has none).
				if (b.type == VASliceDataBufferType && !rebuildBuffer(&b, [](VASurfaceID s) { return s; })) {
					if (!b.dataMissing) {
						*error = c.file + ":" + std::to_string(c.line) + ": " + b.problem;
						return nullptr;
					}
					std::string clipError;
					if (!clipOpen && !(clipOpen = clip.open(sourceDir + "/" + metaClip(runDir), &clipError))) {
						*error = clipError;
						return nullptr;
					}
					if (!clip.nextSlice(b.size * b.numElements, &b.data)) {
						*error = c.file + ":" + std::to_string(c.line) + ": the clip's frame does not fit";
						return nullptr;
					}
				}
				pictures.back().buffers.push_back(std::move(b));
			}
		}
	}
	// What each picture references: the ids its rebuilders map.
	for (RunPicture &p : pictures)
		for (VaTraceBuffer b : p.buffers) {
			if (!b.data.empty())
				continue;
			if (!rebuildBuffer(&b, [&p](VASurfaceID s) {
				    if (s != p.traceTarget && s != VA_INVALID_SURFACE)
					    p.references.insert(s);
				    return s;
			    })) {
				*error = runDir + ": " + b.problem;
				return nullptr;
			}
		}
	if (profile == VAProfileNone || pictures.empty() || !w) {
		*error = runDir + ": no config, context or picture in the run";
		return nullptr;
	}
	return std::make_unique<TraceSource>(profile, name, w, h, std::move(pictures));
}

} // namespace v4l2va::test
