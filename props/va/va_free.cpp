// SPDX-License-Identifier: MIT
// The free-mode commands. Each one's expectation: Must(status) when the VA API leaves no
// choice (a valid call succeeds, a destroyed ID is refused with its INVALID_* status), Any when
// the driver may choose among the statuses allowed for the call (a picture begun twice, a
// surface of another size, End of an incomplete picture: any error). VaRun checks the status
// against the call's allowed set in every case.
#include "va_free.h"

#include "support/corpus.h"

#include <sstream>

namespace props::va {

namespace {

struct Expect {
	bool any = false;
	VAStatus status = VA_STATUS_SUCCESS;
	bool notSuccess = false; ///< any error, but not success
	static Expect must(VAStatus s) { return { false, s, false }; }
	static Expect anyStatus() { return { true, VA_STATUS_SUCCESS, false }; }
	static Expect anyError() { return { true, VA_STATUS_SUCCESS, true }; }
};

VAStatus expectStatus(VaRun &r, const char *call, VAStatus st, const Expect &e,
		      const std::string &what)
{
	if (e.notSuccess && st == VA_STATUS_SUCCESS)
		r.fail(std::string(call) + " (" + what +
		       ") succeeded where the VA API requires an error");
	return r.check(call, st, what, e.any ? st : e.status);
}

class FreeCmd : public FreeCommand {
public:
	explicit FreeCmd(std::string name, std::vector<int> args = {})
	    : name_(std::move(name)), args_(std::move(args))
	{}
	void show(std::ostream &os) const override
	{
		os << name_;
		for (int a : args_)
			os << " " << a;
	}

protected:
	int arg(size_t i) const { return args_[i]; }
	std::string what() const
	{
		std::ostringstream os;
		show(os);
		return os.str();
	}
	std::string name_;
	std::vector<int> args_;
};

bool alive(const std::vector<FreeModel::Surface> &v, int i)
{
	return i >= 0 && i < static_cast<int>(v.size()) && v[i].alive;
}

// --- configs, surfaces, contexts ------------------------------------------------------------

class ConfigCmd final : public FreeCmd {
public:
	explicit ConfigCmd(int h264) : FreeCmd("config", { h264 }) {}
	void apply(FreeModel &m) const override { m.configs.push_back({ true, arg(0) != 0 }); }
	void run(const FreeModel &, FreeSut &s) const override
	{
		s.configs.push_back(s.run.createConfig(arg(0) ? VAProfileH264ConstrainedBaseline
							      : VAProfileMPEG2Main));
	}
};

class DestroyConfigCmd final : public FreeCmd {
public:
	explicit DestroyConfigCmd(int i) : FreeCmd("destroy_config", { i }) {}
	void checkPreconditions(const FreeModel &m) const override
	{
		RC_PRE(arg(0) < static_cast<int>(m.configs.size()));
	}
	void apply(FreeModel &m) const override { m.configs[arg(0)].alive = false; }
	void run(const FreeModel &m, FreeSut &s) const override
	{
		const bool live = m.configs[arg(0)].alive;
		expectStatus(
			s.run, "vaDestroyConfig",
			s.run.vt().vaDestroyConfig(s.run.ctx(), s.configs[arg(0)]),
			Expect::must(live ? VA_STATUS_SUCCESS : VA_STATUS_ERROR_INVALID_CONFIG),
			what());
	}
};

class QueryAttribsCmd final : public FreeCmd {
public:
	explicit QueryAttribsCmd(int i) : FreeCmd("query_attribs", { i }) {}
	void checkPreconditions(const FreeModel &m) const override
	{
		RC_PRE(arg(0) < static_cast<int>(m.configs.size()));
	}
	void run(const FreeModel &m, FreeSut &s) const override
	{
		if (m.configs[arg(0)].alive) {
			s.run.querySurfaceAttributes(s.configs[arg(0)], true);
			return;
		}
		unsigned n = 0;
		expectStatus(s.run, "vaQuerySurfaceAttributes",
			     s.run.vt().vaQuerySurfaceAttributes(s.run.ctx(), s.configs[arg(0)],
								 nullptr, &n),
			     Expect::must(VA_STATUS_ERROR_INVALID_CONFIG), what());
	}
};

class SurfacesCmd final : public FreeCmd {
public:
	SurfacesCmd(int size, int n) : FreeCmd("surfaces", { size, n }) {}
	void checkPreconditions(const FreeModel &) const override
	{
		RC_PRE((arg(0) >= 0 && arg(0) < 2 && arg(1) >= 1 && arg(1) <= 4));
	}
	void apply(FreeModel &m) const override
	{
		for (int i = 0; i < arg(1); i++)
			m.surfaces.push_back({ true, arg(0), false });
	}
	void run(const FreeModel &, FreeSut &s) const override
	{
		const FreeSize z = kFreeSizes[arg(0)];
		std::vector<VASurfaceID> ids = s.run.createSurfaces(
			VA_RT_FORMAT_YUV420, z.w, z.h, static_cast<unsigned>(arg(1)), {});
		ids.resize(static_cast<size_t>(arg(1)), VA_INVALID_SURFACE);
		s.surfaces.insert(s.surfaces.end(), ids.begin(), ids.end());
	}
};

class DestroySurfaceCmd final : public FreeCmd {
public:
	explicit DestroySurfaceCmd(int i) : FreeCmd("destroy_surface", { i }) {}
	void checkPreconditions(const FreeModel &m) const override
	{
		RC_PRE(arg(0) < static_cast<int>(m.surfaces.size()));
	}
	void apply(FreeModel &m) const override { m.surfaces[arg(0)].alive = false; }
	void run(const FreeModel &m, FreeSut &s) const override
	{
		VASurfaceID id = s.surfaces[arg(0)];
		expectStatus(s.run, "vaDestroySurfaces",
			     s.run.vt().vaDestroySurfaces(s.run.ctx(), &id, 1),
			     Expect::must(m.surfaces[arg(0)].alive
						  ? VA_STATUS_SUCCESS
						  : VA_STATUS_ERROR_INVALID_SURFACE),
			     what());
		s.run.forget(id);
	}
};

class ContextCmd final : public FreeCmd {
public:
	/// withTargets: the live surfaces of the context's size as render targets.
	ContextCmd(int config, int size, int withTargets)
	    : FreeCmd("context", { config, size, withTargets })
	{}
	void checkPreconditions(const FreeModel &m) const override
	{
		RC_PRE((arg(0) < static_cast<int>(m.configs.size()) && arg(1) >= 0 && arg(1) < 2));
		int live = 0;
		for (const auto &c : m.contexts)
			live += c.alive;
		RC_PRE(live < 4); // each opens an m2m context: keep the runs small
	}
	void apply(FreeModel &m) const override
	{
		FreeModel::Context c;
		c.alive = m.configs[arg(0)].alive;
		c.config = arg(0);
		c.size = arg(1);
		m.contexts.push_back(c);
	}
	void run(const FreeModel &m, FreeSut &s) const override
	{
		const FreeSize z = kFreeSizes[arg(1)];
		std::vector<VASurfaceID> targets;
		for (size_t i = 0; arg(2) && i < m.surfaces.size(); i++)
			if (m.surfaces[i].alive && m.surfaces[i].size == arg(1))
				targets.push_back(s.surfaces[i]);
		VAContextID c = VA_INVALID_ID;
		const bool live = m.configs[arg(0)].alive;
		expectStatus(
			s.run, "vaCreateContext",
			s.run.vt().vaCreateContext(s.run.ctx(), s.configs[arg(0)],
						   static_cast<int>(z.w), static_cast<int>(z.h),
						   VA_PROGRESSIVE,
						   targets.empty() ? nullptr : targets.data(),
						   static_cast<int>(targets.size()), &c),
			Expect::must(live ? VA_STATUS_SUCCESS : VA_STATUS_ERROR_INVALID_CONFIG),
			what());
		s.contexts.push_back(c);
		s.sources.push_back(v4l2va::test::makeSource(
			live && m.configs[arg(0)].h264 ? "h264" : "mpeg2", z.w, z.h));
	}
};

class DestroyContextCmd final : public FreeCmd {
public:
	explicit DestroyContextCmd(int i) : FreeCmd("destroy_context", { i }) {}
	void checkPreconditions(const FreeModel &m) const override
	{
		RC_PRE(arg(0) < static_cast<int>(m.contexts.size()));
	}
	void apply(FreeModel &m) const override { m.contexts[arg(0)].alive = false; }
	void run(const FreeModel &m, FreeSut &s) const override
	{
		expectStatus(s.run, "vaDestroyContext",
			     s.run.vt().vaDestroyContext(s.run.ctx(), s.contexts[arg(0)]),
			     Expect::must(m.contexts[arg(0)].alive
						  ? VA_STATUS_SUCCESS
						  : VA_STATUS_ERROR_INVALID_CONTEXT),
			     what());
	}
};

// --- pictures -------------------------------------------------------------------------------

/// A whole intra picture into a surface (decodePicture, in a render style).
class DecodeCmd final : public FreeCmd {
public:
	DecodeCmd(int ctx, int surface, int style) : FreeCmd("decode", { ctx, surface, style }) {}
	void checkPreconditions(const FreeModel &m) const override
	{
		RC_PRE((arg(0) < static_cast<int>(m.contexts.size()) &&
			arg(1) < static_cast<int>(m.surfaces.size())));
		RC_PRE((arg(2) >= 0 && arg(2) < 4));
	}
	bool valid(const FreeModel &m) const
	{
		const auto &c = m.contexts[arg(0)];
		return c.alive && !c.begun && alive(m.surfaces, arg(1)) &&
		       m.surfaces[arg(1)].size == c.size;
	}
	void apply(FreeModel &m) const override
	{
		auto &c = m.contexts[arg(0)];
		if (valid(m))
			m.surfaces[arg(1)].decoded = true;
		if (c.alive && !c.begun)
			c.pictures++;
		if (c.alive && c.begun)
			c.failed =
				true; // Begin again inside a picture: the driver's choice what's left
		if (c.alive && c.begun && c.target >= 0 &&
		    c.target < static_cast<int>(m.surfaces.size()))
			m.surfaces[c.target].decoded = false;
	}
	void run(const FreeModel &m, FreeSut &s) const override
	{
		const auto &c = m.contexts[arg(0)];
		const VASurfaceID target = s.surfaces[arg(1)];
		FrameSource &src = *s.sources[arg(0)];
		const auto style = static_cast<RenderStyle>(arg(2));
		const unsigned n = c.pictures * 8; // intra pictures only: no references to track
		if (valid(m)) {
			s.run.decode(s.contexts[arg(0)], src, n, target, VA_INVALID_SURFACE, style);
			return;
		}
		Expect e = !c.alive ? Expect::must(VA_STATUS_ERROR_INVALID_CONTEXT)
			   : !alive(m.surfaces, arg(1))
				   ? Expect::must(VA_STATUS_ERROR_INVALID_SURFACE)
				   : Expect::anyStatus();
		if (c.begun)
			e = Expect::anyStatus(); // a picture in progress: the driver decides
		expectStatus(s.run, "decodePicture",
			     v4l2va::test::decodePicture(s.run.drv(), s.contexts[arg(0)], src, n,
							 target, VA_INVALID_SURFACE, style),
			     e, what());
		if (alive(m.surfaces, arg(1)) && c.alive)
			s.run.recordDecode(target,
					   0); // whatever happened, its picture is unknown now
		if (c.alive && c.begun && alive(m.surfaces, c.target))
			s.run.recordDecode(s.surfaces[c.target], 0);
	}
};

class BeginCmd final : public FreeCmd {
public:
	BeginCmd(int ctx, int surface) : FreeCmd("begin", { ctx, surface }) {}
	void checkPreconditions(const FreeModel &m) const override
	{
		RC_PRE((arg(0) < static_cast<int>(m.contexts.size()) &&
			arg(1) < static_cast<int>(m.surfaces.size())));
	}
	void apply(FreeModel &m) const override
	{
		auto &c = m.contexts[arg(0)];
		if (c.alive && !c.begun && alive(m.surfaces, arg(1))) {
			c.begun = true;
			c.target = arg(1);
			c.params = c.slices = c.failed = false;
		} else if (c.alive && c.begun) {
			c.failed = true; // Begin inside a picture: the driver's choice what's left
		}
	}
	void run(const FreeModel &m, FreeSut &s) const override
	{
		const auto &c = m.contexts[arg(0)];
		Expect e = !c.alive ? Expect::must(VA_STATUS_ERROR_INVALID_CONTEXT)
			   : !alive(m.surfaces, arg(1))
				   ? Expect::must(VA_STATUS_ERROR_INVALID_SURFACE)
			   : c.begun                           ? Expect::anyStatus()
			   : m.surfaces[arg(1)].size == c.size ? Expect::must(VA_STATUS_SUCCESS)
							       : Expect::anyStatus();
		expectStatus(s.run, "vaBeginPicture",
			     s.run.vt().vaBeginPicture(s.run.ctx(), s.contexts[arg(0)],
						       s.surfaces[arg(1)]),
			     e, what());
	}
};

/// Renders the begun picture's parameter buffers (slices=0) or its slices (slices=1); the
/// buffers are created right before and destroyed right after (the driver copies at Render).
class RenderCmd final : public FreeCmd {
public:
	RenderCmd(int ctx, int slices) : FreeCmd("render", { ctx, slices }) {}
	void checkPreconditions(const FreeModel &m) const override
	{
		RC_PRE(arg(0) < static_cast<int>(m.contexts.size()));
	}
	bool sizeMatches(const FreeModel &m) const
	{
		const auto &c = m.contexts[arg(0)];
		return c.target >= 0 && m.surfaces[c.target].size == c.size;
	}
	void apply(FreeModel &m) const override
	{
		auto &c = m.contexts[arg(0)];
		if (!c.alive || !c.begun)
			return;
		// Slices before the picture parameters: no consumer does it, the driver may refuse.
		if (!sizeMatches(m) || !alive(m.surfaces, c.target) || (arg(1) && !c.params))
			c.failed = true;
		(arg(1) ? c.slices : c.params) = true;
	}
	void run(const FreeModel &m, FreeSut &s) const override
	{
		const auto &c = m.contexts[arg(0)];
		VaRun &r = s.run;
		const VASurfaceID target =
			c.target >= 0 ? s.surfaces[c.target] : VA_INVALID_SURFACE;
		v4l2va::test::PictureBuffers pic =
			s.sources[arg(0)]->picture(c.pictures * 8, target, VA_INVALID_SURFACE);
		const auto &bufs = arg(1) ? pic.slices : pic.params;
		std::vector<VABufferID> ids;
		for (const auto &b : bufs) {
			VABufferID id = VA_INVALID_ID;
			VAStatus st =
				r.drv().createBuffer(s.contexts[arg(0)], b.type, b.bytes.data(),
						     b.elementSize, &id, b.numElements);
			expectStatus(r, "vaCreateBuffer", st,
				     Expect::must(c.alive ? VA_STATUS_SUCCESS
							  : VA_STATUS_ERROR_INVALID_CONTEXT),
				     what());
			if (st == VA_STATUS_SUCCESS)
				ids.push_back(id);
		}
		if (!ids.empty()) {
			Expect e = !c.begun ? Expect::anyError()
				   : c.failed || !sizeMatches(m) || !alive(m.surfaces, c.target) ||
						   (arg(1) && !c.params)
					   ? Expect::anyStatus()
					   : Expect::must(VA_STATUS_SUCCESS);
			expectStatus(r, "vaRenderPicture",
				     r.vt().vaRenderPicture(r.ctx(), s.contexts[arg(0)], ids.data(),
							    static_cast<int>(ids.size())),
				     e, what());
		}
		for (VABufferID id : ids)
			r.check("vaDestroyBuffer", r.vt().vaDestroyBuffer(r.ctx(), id), what());
	}
};

class EndCmd final : public FreeCmd {
public:
	explicit EndCmd(int ctx) : FreeCmd("end", { ctx }) {}
	void checkPreconditions(const FreeModel &m) const override
	{
		RC_PRE(arg(0) < static_cast<int>(m.contexts.size()));
	}
	bool complete(const FreeModel &m) const
	{
		const auto &c = m.contexts[arg(0)];
		return c.alive && c.begun && c.params && c.slices && !c.failed &&
		       alive(m.surfaces, c.target) && m.surfaces[c.target].size == c.size;
	}
	void apply(FreeModel &m) const override
	{
		auto &c = m.contexts[arg(0)];
		if (complete(m))
			m.surfaces[c.target].decoded = true;
		if (c.alive && c.begun) {
			c.begun = false;
			c.pictures++;
		}
	}
	void run(const FreeModel &m, FreeSut &s) const override
	{
		const auto &c = m.contexts[arg(0)];
		VaRun &r = s.run;
		const size_t before = r.board().decodedFrames().size();
		Expect e = !c.alive                 ? Expect::must(VA_STATUS_ERROR_INVALID_CONTEXT)
			   : !c.begun               ? Expect::anyError()
			   : complete(m)            ? Expect::must(VA_STATUS_SUCCESS)
			   : c.failed               ? Expect::anyStatus()
			   : !c.params || !c.slices ? Expect::anyError()
						    : Expect::anyStatus();
		VAStatus st =
			expectStatus(r, "vaEndPicture",
				     r.vt().vaEndPicture(r.ctx(), s.contexts[arg(0)]), e, what());
		if (!c.alive || !c.begun || c.target < 0)
			return;
		const VASurfaceID target = s.surfaces[c.target];
		if (!complete(m)) {
			if (st == VA_STATUS_SUCCESS && alive(m.surfaces, c.target))
				r.recordDecode(target, 0); // submitted something: unknown picture
			return;
		}
		std::vector<v4l2emu::DecodedFrame> frames = r.board().decodedFrames();
		if (frames.size() != before + 1 || !frames.back().signature) {
			r.fail(what() + ": the picture was not decoded");
			r.recordDecode(target, 0);
			return;
		}
		r.recordDecode(target, frames.back().signature);
	}
};

// --- readback -------------------------------------------------------------------------------

enum class ReadOp { Sync, Status, GetImage, Derive, Export };
const char *const kReadNames[] = { "sync", "status", "getimage", "derive", "export" };

class ReadCmd final : public FreeCmd {
public:
	ReadCmd(ReadOp op, int surface)
	    : FreeCmd(kReadNames[static_cast<int>(op)], { surface }), op_(op)
	{}
	void checkPreconditions(const FreeModel &m) const override
	{
		RC_PRE(arg(0) < static_cast<int>(m.surfaces.size()));
	}
	void run(const FreeModel &m, FreeSut &s) const override
	{
		VaRun &r = s.run;
		const VASurfaceID id = s.surfaces[arg(0)];
		const FreeSize z = kFreeSizes[m.surfaces[arg(0)].size];
		if (alive(m.surfaces, arg(0))) {
			switch (op_) {
			case ReadOp::Sync:
				r.check("vaSyncSurface", r.vt().vaSyncSurface(r.ctx(), id), what());
				break;
			case ReadOp::Status: {
				VASurfaceStatus st = VASurfaceRendering;
				r.check("vaQuerySurfaceStatus",
					r.vt().vaQuerySurfaceStatus(r.ctx(), id, &st), what());
				if (st !=
				    VASurfaceReady) // the deterministic scheduler completed every job
					r.fail(what() + ": not Ready");
				break;
			}
			case ReadOp::GetImage: r.readback(id, z.w, z.h, Readback::GetImage); break;
			case ReadOp::Derive: r.readback(id, z.w, z.h, Readback::DeriveImage); break;
			case ReadOp::Export: r.readback(id, z.w, z.h, Readback::Export); break;
			}
			return;
		}
		const Expect dead = Expect::must(VA_STATUS_ERROR_INVALID_SURFACE);
		switch (op_) {
		case ReadOp::Sync:
			expectStatus(r, "vaSyncSurface", r.vt().vaSyncSurface(r.ctx(), id), dead,
				     what());
			break;
		case ReadOp::Status: {
			VASurfaceStatus st;
			expectStatus(r, "vaQuerySurfaceStatus",
				     r.vt().vaQuerySurfaceStatus(r.ctx(), id, &st), dead, what());
			break;
		}
		case ReadOp::GetImage: {
			std::vector<uint8_t> nv12;
			expectStatus(r, "download", r.drv().download(id, z.w, z.h, &nv12), dead,
				     what());
			break;
		}
		case ReadOp::Derive: {
			VAImage image {};
			expectStatus(r, "vaDeriveImage", r.vt().vaDeriveImage(r.ctx(), id, &image),
				     dead, what());
			break;
		}
		case ReadOp::Export: {
			VADRMPRIMESurfaceDescriptor d {};
			expectStatus(r, "vaExportSurfaceHandle",
				     r.vt().vaExportSurfaceHandle(
					     r.ctx(), id, VA_SURFACE_ATTRIB_MEM_TYPE_DRM_PRIME_2,
					     VA_EXPORT_SURFACE_READ_ONLY |
						     VA_EXPORT_SURFACE_SEPARATE_LAYERS,
					     &d),
				     dead, what());
			break;
		}
		}
	}

private:
	ReadOp op_;
};

/// A derived image kept (it pins the surface's buffer) until destroy_image.
class DeriveKeepCmd final : public FreeCmd {
public:
	explicit DeriveKeepCmd(int surface) : FreeCmd("derive_keep", { surface }) {}
	void checkPreconditions(const FreeModel &m) const override
	{
		RC_PRE(arg(0) < static_cast<int>(m.surfaces.size()));
	}
	void apply(FreeModel &m) const override
	{
		m.images.push_back({ alive(m.surfaces, arg(0)) });
	}
	void run(const FreeModel &m, FreeSut &s) const override
	{
		VAImage image {};
		image.image_id = VA_INVALID_ID;
		expectStatus(s.run, "vaDeriveImage",
			     s.run.vt().vaDeriveImage(s.run.ctx(), s.surfaces[arg(0)], &image),
			     Expect::must(alive(m.surfaces, arg(0))
						  ? VA_STATUS_SUCCESS
						  : VA_STATUS_ERROR_INVALID_SURFACE),
			     what());
		s.images.push_back(image.image_id);
	}
};

class DestroyImageCmd final : public FreeCmd {
public:
	explicit DestroyImageCmd(int i) : FreeCmd("destroy_image", { i }) {}
	void checkPreconditions(const FreeModel &m) const override
	{
		RC_PRE(arg(0) < static_cast<int>(m.images.size()));
	}
	void apply(FreeModel &m) const override { m.images[arg(0)].alive = false; }
	void run(const FreeModel &m, FreeSut &s) const override
	{
		expectStatus(s.run, "vaDestroyImage",
			     s.run.vt().vaDestroyImage(s.run.ctx(), s.images[arg(0)]),
			     Expect::must(m.images[arg(0)].alive ? VA_STATUS_SUCCESS
								 : VA_STATUS_ERROR_INVALID_IMAGE),
			     what());
	}
};

// --- generation and parsing -----------------------------------------------------------------

/// An argument in [lo, hi), uniform at any size, shrinking towards lo. rapidcheck's inRange
/// scales its range with the size (gen/detail/ScaleInteger: (range - 1) * size / 100,
/// rounded), so below size 50 inRange(0, 2) is always 0: small sequences would never get a
/// second surface size, an H.264 config or the later render styles.
int choose(int lo, int hi)
{
	return *rc::gen::resize(100, rc::gen::inRange<int>(lo, hi));
}

int pick(size_t n)
{
	RC_PRE(n > 0);
	return choose(0, static_cast<int>(n));
}

/// An index, mostly of a live object.
template <typename T>
int pickLive(const std::vector<T> &v)
{
	RC_PRE(!v.empty());
	std::vector<int> live;
	for (size_t i = 0; i < v.size(); i++)
		if (v[i].alive)
			live.push_back(static_cast<int>(i));
	if (!live.empty() && *rc::gen::weightedElement<bool>({ { 6, true }, { 1, false } }))
		return live[static_cast<size_t>(choose(0, static_cast<int>(live.size())))]; // shrinks to the first
	return pick(v.size());
}

using Ptr = std::shared_ptr<const FreeCommand>;

} // namespace

rc::Gen<Ptr> genFreeCommand(const FreeModel &m)
{
	return rc::gen::exec([m]() -> Ptr {
		const int k = *rc::gen::weightedElement<int>({ { 3, 0 },
							       { 1, 1 },
							       { 1, 2 },
							       { 4, 3 },
							       { 2, 4 },
							       { 4, 5 },
							       { 1, 6 },
							       { 6, 7 },
							       { 3, 8 },
							       { 3, 9 },
							       { 3, 10 },
							       { 3, 11 },
							       { 5, 12 },
							       { 2, 13 } });
		switch (k) {
		case 0: return std::make_shared<ConfigCmd>(choose(0, 2));
		case 1: return std::make_shared<DestroyConfigCmd>(pickLive(m.configs));
		case 2: return std::make_shared<QueryAttribsCmd>(pickLive(m.configs));
		case 3:
			return std::make_shared<SurfacesCmd>(choose(0, 2),
							     choose(1, 5));
		case 4: return std::make_shared<DestroySurfaceCmd>(pickLive(m.surfaces));
		case 5:
			return std::make_shared<ContextCmd>(pickLive(m.configs),
							    choose(0, 2),
							    choose(0, 2));
		case 6: return std::make_shared<DestroyContextCmd>(pickLive(m.contexts));
		case 7:
			return std::make_shared<DecodeCmd>(pickLive(m.contexts),
							   pickLive(m.surfaces),
							   choose(0, 4));
		case 8:
			return std::make_shared<BeginCmd>(pickLive(m.contexts),
							  pickLive(m.surfaces));
		case 9:
			return std::make_shared<RenderCmd>(pickLive(m.contexts),
							   choose(0, 2));
		case 10: return std::make_shared<EndCmd>(pickLive(m.contexts));
		case 11: return std::make_shared<DeriveKeepCmd>(pickLive(m.surfaces));
		case 12: {
			const auto op = static_cast<ReadOp>(choose(0, 5));
			return std::make_shared<ReadCmd>(op, pickLive(m.surfaces));
		}
		default: return std::make_shared<DestroyImageCmd>(pickLive(m.images));
		}
	});
}

Ptr parseFreeCommand(const std::string &line, std::string *error)
{
	std::vector<std::string> t = tokens(line);
	std::vector<int> a;
	for (size_t i = 1; i < t.size(); i++) {
		if (t[i].empty() || t[i].size() > 6 ||
		    t[i].find_first_not_of("0123456789") != std::string::npos) {
			*error = "bad argument " + t[i];
			return nullptr;
		}
		a.push_back(std::stoi(t[i]));
	}
	auto need = [&](size_t n) {
		if (a.size() == n)
			return true;
		*error = t[0] + " takes " + std::to_string(n) + " arguments";
		return false;
	};
	if (t.empty()) {
		*error = "empty line";
		return nullptr;
	}
	const std::string &n = t[0];
	if (n == "config" && need(1))
		return std::make_shared<ConfigCmd>(a[0]);
	if (n == "destroy_config" && need(1))
		return std::make_shared<DestroyConfigCmd>(a[0]);
	if (n == "query_attribs" && need(1))
		return std::make_shared<QueryAttribsCmd>(a[0]);
	if (n == "surfaces" && need(2))
		return std::make_shared<SurfacesCmd>(a[0], a[1]);
	if (n == "destroy_surface" && need(1))
		return std::make_shared<DestroySurfaceCmd>(a[0]);
	if (n == "context" && need(3))
		return std::make_shared<ContextCmd>(a[0], a[1], a[2]);
	if (n == "destroy_context" && need(1))
		return std::make_shared<DestroyContextCmd>(a[0]);
	if (n == "decode" && need(3))
		return std::make_shared<DecodeCmd>(a[0], a[1], a[2]);
	if (n == "begin" && need(2))
		return std::make_shared<BeginCmd>(a[0], a[1]);
	if (n == "render" && need(2))
		return std::make_shared<RenderCmd>(a[0], a[1]);
	if (n == "end" && need(1))
		return std::make_shared<EndCmd>(a[0]);
	if (n == "derive_keep" && need(1))
		return std::make_shared<DeriveKeepCmd>(a[0]);
	if (n == "destroy_image" && need(1))
		return std::make_shared<DestroyImageCmd>(a[0]);
	for (int op = 0; op < 5; op++)
		if (n == kReadNames[op] && need(1))
			return std::make_shared<ReadCmd>(static_cast<ReadOp>(op), a[0]);
	if (error->empty())
		*error = "unknown command " + n;
	return nullptr;
}

std::string runFreeSequence(const FreeCommands &cmds, const std::string &saveAs,
			    const std::function<void(const std::string &)> &onStep)
{
	std::string failures;
	std::vector<std::string> lines;
	{
		FreeSut sut;
		if (!sut.run.ready())
			return "the driver did not initialise on the emulated board";
		FreeModel state;
		for (const auto &c : cmds) {
			std::ostringstream os;
			c->show(os);
			lines.push_back(os.str());
			if (onStep)
				onStep(lines.back());
			c->checkPreconditions(state);
			c->run(state, sut);
			c->apply(state);
			if (!sut.run.failures().empty())
				break; // the first failing command ends the sequence
		}
		if (onStep)
			onStep("vaTerminate");
		sut.run.finish();
		failures = sut.run.failureText();
	}
	if (!failures.empty() && !saveAs.empty())
		writeCounterexample(saveAs, "va-free", lines, failures);
	return failures;
}

} // namespace props::va
