// SPDX-License-Identifier: MIT
#include "va_run.h"

#include "va_status.h"

#include "engine/picture.h"

#include <va/va_drmcommon.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstring>

namespace props::va {

using v4l2va::test::DriverEnv;
using v4l2va::test::VaDriver;

const char *toString(Readback r)
{
	switch (r) {
	case Readback::GetImage: return "getimage";
	case Readback::DeriveImage: return "derive";
	case Readback::Export: return "export";
	case Readback::ExportBeforeSync: return "export-then-sync";
	}
	return "?";
}

namespace {

constexpr uint32_t kExportRead = VA_EXPORT_SURFACE_READ_ONLY | VA_EXPORT_SURFACE_SEPARATE_LAYERS;

/// w x h NV12 out of two planes, bounds-checked against the space behind each.
std::vector<uint8_t> packNv12(const uint8_t *y, size_t ySpace, uint32_t yPitch, const uint8_t *uv,
			      size_t uvSpace, uint32_t uvPitch, uint32_t w, uint32_t h)
{
	if (!y || !uv || !w || !h || yPitch < w || uvPitch < w ||
	    static_cast<size_t>(yPitch) * (h - 1) + w > ySpace ||
	    static_cast<size_t>(uvPitch) * ((h + 1) / 2 - 1) + w > uvSpace)
		return {};
	std::vector<uint8_t> out(static_cast<size_t>(w) * h +
				 static_cast<size_t>(w) * ((h + 1) / 2));
	for (uint32_t r = 0; r < h; r++)
		memcpy(out.data() + static_cast<size_t>(r) * w, y + static_cast<size_t>(r) * yPitch,
		       w);
	for (uint32_t r = 0; r < (h + 1) / 2; r++)
		memcpy(out.data() + static_cast<size_t>(w) * h + static_cast<size_t>(r) * w,
		       uv + static_cast<size_t>(r) * uvPitch, w);
	return out;
}

} // namespace

VaRun::VaRun(bool threadedScheduler, const std::string &board) : threaded_(threadedScheduler)
{
	DriverEnv env;
	env.board = board;
	env.scheduler = threadedScheduler ? "threaded" : "deterministic";
	drv_ = std::make_unique<VaDriver>(env);
	if (drv_->status() != VA_STATUS_SUCCESS || !drv_->board())
		return;
	board_ = drv_->shareBoard();
	ready_ = board_ != nullptr;
}

VaRun::~VaRun()
{
	if (ready_ && !finished_)
		drv_->terminate();
}

VAStatus VaRun::check(const char *call, VAStatus st, const std::string &what, VAStatus expected)
{
	if (!statusAllowed(call, st)) {
		fail(std::string(call) + (what.empty() ? "" : " (" + what + ")") + " returned " +
		     vaErrorStr(st) + ", a status the VA API does not give for this call");
	} else if (st != expected) {
		std::lock_guard lock(mutex_);
		if (faultWindow_) {
			tolerated_++;
		} else {
			failures_.push_back(std::string(call) +
					    (what.empty() ? "" : " (" + what + ")") + ": " +
					    vaErrorStr(st) + ", expected " + vaErrorStr(expected));
		}
	}
	return st;
}

VAStatus VaRun::checkStrict(const char *call, VAStatus st, const std::string &what)
{
	if (!statusAllowed(call, st) || st != VA_STATUS_SUCCESS)
		fail(std::string(call) + (what.empty() ? "" : " (" + what + ")") + ": " +
		     vaErrorStr(st) + ", expected success (a picture decoded before the fault)");
	return st;
}

void VaRun::fail(const std::string &message)
{
	std::lock_guard lock(mutex_);
	failures_.push_back(message);
}

std::vector<std::string> VaRun::failures() const
{
	std::lock_guard lock(mutex_);
	return failures_;
}

std::string VaRun::failureText() const
{
	std::string out;
	for (const std::string &f : failures())
		out += f + "\n";
	return out;
}

void VaRun::beginFaults(const v4l2emu::FaultPlan &plan)
{
	{
		std::lock_guard lock(mutex_);
		faultsRan_ = true;
		faultWindow_ = true;
		deviceGone_ |= !plan.unplugs.empty();
	}
	board_->setFaults(plan);
}

void VaRun::endFaults()
{
	board_->setFaults({});
	std::lock_guard lock(mutex_);
	faultWindow_ = false;
}

void VaRun::recordDecode(VASurfaceID s, uint64_t signature)
{
	std::lock_guard lock(mutex_);
	if (!signature)
		book_[s] = Entry {};
	else
		book_[s] = Entry { Expect::Exact, signature };
}

void VaRun::forget(VASurfaceID s)
{
	std::lock_guard lock(mutex_);
	book_.erase(s);
}

bool VaRun::known(VASurfaceID s) const
{
	std::lock_guard lock(mutex_);
	auto it = book_.find(s);
	return it != book_.end() && it->second.expect != Expect::Unknown; // Maybe too: re-read
}

bool VaRun::maybe(VASurfaceID s) const
{
	std::lock_guard lock(mutex_);
	auto it = book_.find(s);
	return it != book_.end() && it->second.expect == Expect::Maybe;
}

void VaRun::settle()
{
	std::vector<VASurfaceID> pending;
	{
		std::lock_guard lock(mutex_);
		for (const auto &[s, e] : book_)
			if (e.expect == Expect::AnyDecoded)
				pending.push_back(s);
	}
	for (VASurfaceID s : pending)
		checkStrict("vaSyncSurface", vt().vaSyncSurface(ctx(), s),
			    "before the fault window");
}

VAConfigID VaRun::createConfig(VAProfile profile, std::vector<VAConfigAttrib> attribs)
{
	VAConfigID cfg = VA_INVALID_ID;
	check("vaCreateConfig", vt().vaCreateConfig(ctx(), profile, VAEntrypointVLD,
						    attribs.empty() ? nullptr : attribs.data(),
						    static_cast<int>(attribs.size()), &cfg));
	return cfg;
}

void VaRun::querySurfaceAttributes(VAConfigID cfg, bool garbage)
{
	unsigned n = garbage ? 32666 : 0; // FFmpeg's uninitialised nb_attr
	if (check("vaQuerySurfaceAttributes",
		  vt().vaQuerySurfaceAttributes(ctx(), cfg, nullptr, &n)) != VA_STATUS_SUCCESS)
		return;
	if (n == 0 || n > 64) {
		fail("vaQuerySurfaceAttributes(NULL) gave " + std::to_string(n) + " attributes");
		return;
	}
	std::vector<VASurfaceAttrib> list(n);
	check("vaQuerySurfaceAttributes",
	      vt().vaQuerySurfaceAttributes(ctx(), cfg, list.data(), &n));
	if (std::none_of(
		    list.begin(), list.begin() + std::min<size_t>(n, list.size()),
		    [](const VASurfaceAttrib &a) { return a.type == VASurfaceAttribPixelFormat; }))
		fail("vaQuerySurfaceAttributes: no PixelFormat attribute (FFmpeg needs one)");
}

std::vector<VASurfaceID> VaRun::createSurfaces(uint32_t rt, uint32_t w, uint32_t h, unsigned n,
					       std::vector<VASurfaceAttrib> attribs)
{
	std::vector<VASurfaceID> ids(n, VA_INVALID_SURFACE);
	VAStatus st =
		check("vaCreateSurfaces2",
		      vt().vaCreateSurfaces2(ctx(), rt, w, h, ids.data(), n,
					     attribs.empty() ? nullptr : attribs.data(),
					     static_cast<unsigned>(attribs.size())),
		      std::to_string(w) + "x" + std::to_string(h) + " n=" + std::to_string(n));
	return st == VA_STATUS_SUCCESS ? ids : std::vector<VASurfaceID> {};
}

VAContextID VaRun::createContext(VAConfigID cfg, uint32_t w, uint32_t h,
				 const std::vector<VASurfaceID> &targets)
{
	VAContextID c = VA_INVALID_ID;
	check("vaCreateContext",
	      vt().vaCreateContext(
		      ctx(), cfg, static_cast<int>(w), static_cast<int>(h), VA_PROGRESSIVE,
		      targets.empty() ? nullptr : const_cast<VASurfaceID *>(targets.data()),
		      static_cast<int>(targets.size()), &c),
	      std::to_string(targets.size()) + " targets");
	return c;
}

bool VaRun::decode(VAContextID c, FrameSource &src, unsigned n, VASurfaceID target, VASurfaceID ref,
		   RenderStyle style)
{
	std::lock_guard serial(decodeMutex_);
	const size_t before = board_->decodedFrames().size();
	VAStatus st = check("decodePicture",
			    v4l2va::test::decodePicture(*drv_, c, src, n, target, ref, style),
			    std::string(src.name()) + " picture " + std::to_string(n));
	if (st != VA_STATUS_SUCCESS) { // the surface may hold a failed decode now
		std::lock_guard lock(mutex_);
		book_[target] = Entry { Expect::Maybe, 0 };
		return false;
	}
	if (inFaultWindow()) { // a decode fault shows at completion: the picture may be bad
		std::lock_guard lock(mutex_);
		book_[target] = Entry { Expect::Maybe, 0 };
		return true;
	}
	if (threaded_) {
		std::lock_guard lock(mutex_);
		book_[target] = Entry { Expect::AnyDecoded, 0 };
		return true;
	}
	// The deterministic scheduler ran the job inside EndPicture: the newest frame is it.
	std::vector<v4l2emu::DecodedFrame> frames = board_->decodedFrames();
	if (frames.size() != before + 1 || !frames.back().signature) {
		if (!inFaultWindow())
			fail(std::string(src.name()) + " picture " + std::to_string(n) +
			     (frames.size() != before + 1 ? " was not decoded"
							  : " decoded all-zero"));
		std::lock_guard lock(mutex_);
		book_[target] = Entry { Expect::Maybe, 0 };
		return false;
	}
	recordDecode(target, frames.back().signature);
	return true;
}

void VaRun::compare(VASurfaceID s, const std::vector<uint8_t> &nv12, uint32_t w, uint32_t h,
		    const std::string &how)
{
	Entry e;
	{
		std::lock_guard lock(mutex_);
		auto it = book_.find(s);
		if (it == book_.end())
			return;
		e = it->second;
	}
	const std::string what = "surface " + std::to_string(s) + " read by " + how;
	if (e.expect == Expect::Unknown || e.expect == Expect::Maybe)
		return;
	if (nv12.size() != static_cast<size_t>(w) * h + static_cast<size_t>(w) * ((h + 1) / 2)) {
		fail(what + ": no picture (bad layout or size)");
		return;
	}
	if (e.expect == Expect::AnyDecoded) {
		if (!v4l2va::test::matchDecodedFrame(*board_, nv12, w, h))
			fail(what + ": not a picture the emulator decoded");
		return;
	}
	std::vector<uint8_t> expected(nv12.size());
	if (v4l2emu::expectedNv12(e.signature, w, h, expected.data(), w,
				  expected.data() + static_cast<size_t>(w) * h, w) ||
	    expected != nv12)
		fail(what + ": not the picture decoded into it");
}

std::vector<uint8_t> VaRun::readExport(const VADRMPRIMESurfaceDescriptor &d, uint32_t w, uint32_t h)
{
	if (d.num_objects < 1 || d.num_objects > 4 || d.num_layers < 1 || d.num_layers > 2)
		return {};
	void *maps[4] = {};
	bool ok = true;
	for (uint32_t i = 0; i < d.num_objects; i++)
		ok &= board_->io().mmap(nullptr, d.objects[i].size, PROT_READ, MAP_SHARED,
					d.objects[i].fd, 0, &maps[i]) == 0;
	auto plane = [&](uint32_t layer, uint32_t p, size_t *space,
			 uint32_t *pitch) -> const uint8_t * {
		const uint32_t obj = d.layers[layer].object_index[p],
			       off = d.layers[layer].offset[p];
		if (obj >= d.num_objects || !maps[obj] || off > d.objects[obj].size)
			return nullptr;
		*space = d.objects[obj].size - off;
		*pitch = d.layers[layer].pitch[p];
		return static_cast<const uint8_t *>(maps[obj]) + off;
	};
	size_t ySpace = 0, uvSpace = 0;
	uint32_t yPitch = 0, uvPitch = 0;
	const uint8_t *y = plane(0, 0, &ySpace, &yPitch);
	const uint8_t *uv = d.num_layers == 2 ? plane(1, 0, &uvSpace, &uvPitch)
					      : plane(0, 1, &uvSpace, &uvPitch);
	std::vector<uint8_t> out;
	if (ok)
		out = packNv12(y, ySpace, yPitch, uv, uvSpace, uvPitch, w, h);
	for (uint32_t i = 0; i < d.num_objects; i++)
		if (maps[i])
			board_->io().munmap(maps[i], d.objects[i].size);
	return out;
}

void VaRun::readback(VASurfaceID s, uint32_t w, uint32_t h, Readback how, bool strict)
{
	const std::string what = "surface " + std::to_string(s);
	bool maybe = false, exact = false;
	{
		std::lock_guard lock(mutex_);
		auto it = book_.find(s);
		maybe = it != book_.end() && it->second.expect == Expect::Maybe;
		exact = it != book_.end() && it->second.expect == Expect::Exact;
		if (maybe && deviceGone_)
			return; // in flight when the device went: its sync would only time out
	}
	// A picture decoded inside a fault window may have failed: any allowed status will do.
	// One decoded before it must read back whatever the device does now.
	auto check = [this, maybe, strict, exact](const char *call, VAStatus st,
						  const std::string &w) {
		if (strict && exact)
			return this->checkStrict(call, st, w);
		return this->check(call, st, w, maybe ? st : VA_STATUS_SUCCESS);
	};
	std::vector<uint8_t> nv12;
	switch (how) {
	case Readback::GetImage:
		if (check("download", drv_->download(s, w, h, &nv12), what) != VA_STATUS_SUCCESS)
			return;
		break;
	case Readback::DeriveImage: {
		if (check("vaSyncSurface", vt().vaSyncSurface(ctx(), s), what) != VA_STATUS_SUCCESS)
			return;
		VAImage image {};
		if (check("vaDeriveImage", vt().vaDeriveImage(ctx(), s, &image), what) !=
		    VA_STATUS_SUCCESS)
			return;
		void *p = nullptr;
		if (check("vaMapBuffer", vt().vaMapBuffer(ctx(), image.buf, &p), what) ==
		    VA_STATUS_SUCCESS) {
			auto *base = static_cast<const uint8_t *>(p);
			if (image.offsets[0] < image.data_size &&
			    image.offsets[1] < image.data_size)
				nv12 = packNv12(
					base + image.offsets[0], image.data_size - image.offsets[0],
					image.pitches[0], base + image.offsets[1],
					image.data_size - image.offsets[1], image.pitches[1], w, h);
			check("vaUnmapBuffer", vt().vaUnmapBuffer(ctx(), image.buf), what);
		}
		check("vaDestroyImage", vt().vaDestroyImage(ctx(), image.image_id), what);
		if (!p)
			return;
		break;
	}
	case Readback::Export:
	case Readback::ExportBeforeSync: {
		const bool syncFirst = how == Readback::Export;
		if (syncFirst &&
		    check("vaSyncSurface", vt().vaSyncSurface(ctx(), s), what) != VA_STATUS_SUCCESS)
			return;
		VADRMPRIMESurfaceDescriptor d {};
		if (check("vaExportSurfaceHandle",
			  vt().vaExportSurfaceHandle(ctx(), s,
						     VA_SURFACE_ATTRIB_MEM_TYPE_DRM_PRIME_2,
						     kExportRead, &d),
			  what) != VA_STATUS_SUCCESS)
			return;
		// mpv, Kodi, Firefox: export first, then sync before reading the dma-buf.
		VAStatus synced =
			syncFirst ? VA_STATUS_SUCCESS
				  : check("vaSyncSurface", vt().vaSyncSurface(ctx(), s), what);
		if (synced == VA_STATUS_SUCCESS)
			nv12 = readExport(d, w, h);
		for (uint32_t i = 0; i < d.num_objects && i < 4; i++)
			if (board_->io().close(d.objects[i].fd))
				fail(what + ": exported fd " + std::to_string(d.objects[i].fd) +
				     " did not close");
		if (synced != VA_STATUS_SUCCESS)
			return;
		break;
	}
	}
	compare(s, nv12, w, h, toString(how));
}

void VaRun::readDescriptor(VASurfaceID s, const VADRMPRIMESurfaceDescriptor &d, uint32_t w,
			   uint32_t h)
{
	bool maybe = false;
	{
		std::lock_guard lock(mutex_);
		auto it = book_.find(s);
		maybe = it != book_.end() && it->second.expect == Expect::Maybe;
		if (maybe && deviceGone_)
			return;
	}
	VAStatus st = vt().vaSyncSurface(ctx(), s);
	if (check("vaSyncSurface", st, "surface " + std::to_string(s),
		  maybe ? st : VA_STATUS_SUCCESS) != VA_STATUS_SUCCESS)
		return;
	compare(s, readExport(d, w, h), w, h, "its dma-buf exported earlier");
}

uint64_t VaRun::expectedSignature(VASurfaceID s) const
{
	std::lock_guard lock(mutex_);
	auto it = book_.find(s);
	return it != book_.end() && it->second.expect == Expect::Exact ? it->second.signature : 0;
}

void VaRun::compareSignature(const std::vector<uint8_t> &nv12, uint32_t w, uint32_t h,
			     uint64_t signature, const std::string &what)
{
	if (!signature)
		return;
	std::vector<uint8_t> expected(static_cast<size_t>(w) * h +
				      static_cast<size_t>(w) * ((h + 1) / 2));
	if (nv12.size() != expected.size() ||
	    v4l2emu::expectedNv12(signature, w, h, expected.data(), w,
				  expected.data() + static_cast<size_t>(w) * h, w) ||
	    expected != nv12)
		fail(what + ": not the picture decoded into it");
}

void VaRun::closeDescriptor(const VADRMPRIMESurfaceDescriptor &d)
{
	for (uint32_t i = 0; i < d.num_objects && i < 4; i++)
		if (board_->io().close(d.objects[i].fd))
			fail("exported fd " + std::to_string(d.objects[i].fd) + " did not close");
}

void VaRun::deriveProbe(VASurfaceID s, bool tolerateFailure)
{
	VAImage image {};
	VAStatus st = vt().vaDeriveImage(ctx(), s, &image);
	if (tolerateFailure && st != VA_STATUS_SUCCESS) {
		check("vaDeriveImage", st, "probe", st); // only its being allowed is checked
		return;
	}
	if (check("vaDeriveImage", st, "probe") == VA_STATUS_SUCCESS)
		check("vaDestroyImage", vt().vaDestroyImage(ctx(), image.image_id), "probe");
}

void VaRun::destroySurface(VASurfaceID s)
{
	check("vaDestroySurfaces", vt().vaDestroySurfaces(ctx(), &s, 1),
	      "surface " + std::to_string(s));
	forget(s);
}

void VaRun::destroyContext(VAContextID c)
{
	if (c != VA_INVALID_ID) // a consumer destroys only what it got
		check("vaDestroyContext", vt().vaDestroyContext(ctx(), c));
}

void VaRun::destroyConfig(VAConfigID c)
{
	if (c != VA_INVALID_ID)
		check("vaDestroyConfig", vt().vaDestroyConfig(ctx(), c));
}

void VaRun::finish()
{
	if (!ready_ || finished_)
		return;
	finished_ = true;
	const std::string diagnostics = v4l2va::test::diagnosticsText(*board_);
	if (!faultsRan_ && !diagnostics.empty())
		fail("emulator diagnostics for a valid sequence:\n" + diagnostics);
	check("vaTerminate", drv_->terminate());
	v4l2emu::BoardStats st = board_->stats();
	if (st.openFds || st.liveMappings || st.liveMemory)
		fail("after vaTerminate: " + std::to_string(st.openFds) + " fds, " +
		     std::to_string(st.liveMappings) + " mappings, " +
		     std::to_string(st.liveMemory) + " plane memories left");
	for (const v4l2emu::DeviceStats &d : st.devices)
		if (d.openContexts || d.liveRequests || d.liveBuffers)
			fail("after vaTerminate, " + d.name + ": " +
			     std::to_string(d.openContexts) + " contexts, " +
			     std::to_string(d.liveRequests) + " requests, " +
			     std::to_string(d.liveBuffers) + " buffers left");
}

// --- Worker ---------------------------------------------------------------------------------

Worker::Worker(size_t bound) : bound_(bound)
{
	thread_ = std::thread([this] {
		std::unique_lock lock(m_);
		for (;;) {
			cv_.wait(lock, [&] { return stop_ || !q_.empty(); });
			if (q_.empty())
				return;
			std::function<void()> task = std::move(q_.front());
			q_.pop_front();
			busy_ = true;
			lock.unlock();
			task();
			lock.lock();
			busy_ = false;
			cv_.notify_all();
		}
	});
}

Worker::~Worker()
{
	{
		std::lock_guard lock(m_);
		stop_ = true;
	}
	cv_.notify_all();
	thread_.join();
}

void Worker::push(std::function<void()> task)
{
	std::unique_lock lock(m_);
	cv_.wait(lock, [&] { return q_.size() < bound_; });
	q_.push_back(std::move(task));
	cv_.notify_all();
}

void Worker::drain()
{
	std::unique_lock lock(m_);
	cv_.wait(lock, [&] { return q_.empty() && !busy_; });
}

} // namespace props::va
