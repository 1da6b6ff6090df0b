// SPDX-License-Identifier: MIT
#include "pipeline.h"

namespace props::va {

namespace {

constexpr unsigned kGop = 8; // frame_source.h: every 8th picture is intra

} // namespace

Pipeline::Pipeline(VaRun &run, const ConsumerParams &p) : run_(run), p_(p)
{
	if (p.readerThread)
		worker_ = std::make_unique<Worker>(4);
}

Pipeline::~Pipeline()
{
	if (worker_)
		worker_->drain();
}

std::unique_ptr<Generation> Pipeline::generation(uint32_t w, uint32_t h)
{
	auto g = std::make_unique<Generation>();
	g->w = w;
	g->h = h;
	g->src = v4l2va::test::makeSource(p_.codec, w, h);
	return g;
}

void Pipeline::addFree(const std::vector<VASurfaceID> &s)
{
	std::lock_guard lock(m_);
	free_.insert(free_.end(), s.begin(), s.end());
	cv_.notify_all();
}

VASurfaceID Pipeline::take(const std::function<VASurfaceID()> &alloc)
{
	std::unique_lock lock(m_);
	for (;;) {
		if (!free_.empty()) {
			VASurfaceID s = free_.front();
			free_.pop_front();
			return s;
		}
		if (alloc) {
			lock.unlock();
			return alloc();
		}
		if (downstream_.size() <= 1 && !worker_) {
			run_.fail("fixed pool exhausted with nothing downstream (scenario bug)");
			return VA_INVALID_SURFACE;
		}
		if (downstream_.size() > 1) {
			// A fixed pool: the decoder waits until downstream gives a frame back (never
			// the newest: it is the next picture's reference).
			VASurfaceID s = downstream_.front();
			downstream_.pop_front();
			lock.unlock();
			deliver(s, {});
			lock.lock();
		}
		cv_.wait(lock, [&] { return !free_.empty(); });
	}
}

void Pipeline::deliver(VASurfaceID s, const std::function<void(VASurfaceID)> &read)
{
	auto task = [this, s, read] {
		if (read)
			read(s);
		std::lock_guard lock(m_);
		free_.push_back(s);
		cv_.notify_all();
	};
	if (worker_)
		worker_->push(task);
	else
		task();
}

void Pipeline::faultStep()
{
	if (p_.faults.empty())
		return;
	if (frame_ == p_.faultAt) {
		v4l2emu::FaultPlan plan;
		std::string error;
		if (v4l2emu::FaultPlan::parse(p_.faults, &plan, &error)) {
			run_.fail("bad fault plan " + p_.faults + ": " + error);
			return;
		}
		if (worker_)
			worker_->drain(); // the window covers this frame's calls, not old reads
		run_.settle();
		run_.beginFaults(plan);
		unplugged_ = !plan.unplugs.empty();
		faultsEnded_ = unplugged_; // an unplug stays until the end
	} else if (frame_ == p_.faultAt + 2 && !faultsEnded_) {
		if (worker_)
			worker_->drain();
		run_.endFaults();
		faultsEnded_ = true;
		restart_ = true;
	}
}

void Pipeline::decode(Generation &g, unsigned count, RenderStyle style,
		      const std::function<VASurfaceID()> &alloc,
		      const std::function<void(VASurfaceID)> &read)
{
	const uint32_t w = g.w, h = g.h;
	Readback how = p_.readback;
	VaRun *run = &run_;
	std::function<void(VASurfaceID)> reader =
		read ? read : [run, w, h, how](VASurfaceID s) { run->readback(s, w, h, how); };
	for (unsigned i = 0; i < count; i++) {
		faultStep();
		if (g.context == VA_INVALID_ID) { // its creation failed (in a fault window)
			frame_++;
			continue;
		}
		VASurfaceID target = take(alloc);
		if (target == VA_INVALID_SURFACE) {
			frame_++;
			restart_ = true;
			continue;
		}
		if (restart_ || g.reference == VA_INVALID_SURFACE) {
			g.picture = (g.picture + kGop - 1) / kGop * kGop;
			g.reference = VA_INVALID_SURFACE;
			restart_ = false;
		}
		if (gone_) { // the device went: a consumer stops decoding at the first error
			frame_++;
			deliver(target, {});
			continue;
		}
		const bool ok =
			run_.decode(g.context, *g.src, g.picture, target, g.reference, style);
		gone_ |= !ok && unplugged_;
		g.picture++;
		frame_++;
		g.reference = ok ? target : VA_INVALID_SURFACE;
		restart_ |= !ok;
		std::vector<VASurfaceID> out;
		{
			std::lock_guard lock(m_);
			downstream_.push_back(target);
			while (downstream_.size() > std::max(1u, p_.lag)) {
				out.push_back(downstream_.front());
				downstream_.pop_front();
			}
		}
		for (VASurfaceID s : out)
			deliver(s, reader);
	}
	// What stays downstream is read with this generation's size when flushed.
	heldReader_ = reader;
}

void Pipeline::flush()
{
	std::deque<VASurfaceID> left;
	{
		std::lock_guard lock(m_);
		left.swap(downstream_);
	}
	for (VASurfaceID s : left)
		deliver(s, heldReader_);
	if (worker_)
		worker_->drain();
}

std::deque<VASurfaceID> Pipeline::takeDownstream()
{
	if (worker_)
		worker_->drain();
	std::lock_guard lock(m_);
	std::deque<VASurfaceID> out;
	out.swap(downstream_);
	return out;
}

std::deque<VASurfaceID> Pipeline::takeFree()
{
	if (worker_)
		worker_->drain();
	std::lock_guard lock(m_);
	std::deque<VASurfaceID> out;
	out.swap(free_);
	return out;
}

void Pipeline::verifyAll(const std::vector<Generation *> &gens)
{
	if (worker_)
		worker_->drain();
	for (Generation *g : gens)
		for (VASurfaceID s : g->surfaces)
			if (run_.known(s) && !run_.maybe(s)) // decoded outside any fault window
				run_.readback(s, g->w, g->h, Readback::GetImage, true);
}

} // namespace props::va
