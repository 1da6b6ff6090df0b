// SPDX-License-Identifier: MIT
#pragma once

// The decode loop every consumer shares: a surface pool (fixed, or growing through a
// callback), pictures decoded in the consumer's render style, frames held downstream `lag`
// pictures and then read back (on the caller's thread or a Worker) and returned to the pool,
// the fault window (installed at frame faultAt, removed two frames later, after which the
// stream restarts from an intra picture), and the final re-read of every surface.

#include "consumers.h"

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>

namespace props::va {

/// One decoder generation: a size, its source, config and context, and the surfaces made for it.
struct Generation {
	uint32_t w = 0, h = 0;
	std::unique_ptr<FrameSource> src;
	VAConfigID config = VA_INVALID_ID;
	VAContextID context = VA_INVALID_ID;
	std::vector<VASurfaceID> surfaces;
	unsigned picture = 0; ///< next picture index of the source
	VASurfaceID reference = VA_INVALID_SURFACE;
};

class Pipeline {
public:
	Pipeline(VaRun &run, const ConsumerParams &p);
	~Pipeline();

	VaRun &run() { return run_; }
	const ConsumerParams &params() const { return p_; }
	Readback readback() const { return p_.readback; }

	/// Starts a generation at a size (source made, nothing else).
	std::unique_ptr<Generation> generation(uint32_t w, uint32_t h);
	/// Puts surfaces into the free pool.
	void addFree(const std::vector<VASurfaceID> &s);
	/// Decodes `count` pictures of g. `alloc` makes a new surface when the pool is empty
	/// (empty function: a fixed pool, the loop waits for downstream instead). `read` reads a
	/// frame leaving downstream (default: the run's readback at g's size).
	void decode(Generation &g, unsigned count, RenderStyle style,
		    const std::function<VASurfaceID()> &alloc = {},
		    const std::function<void(VASurfaceID)> &read = {});
	/// Reads and releases every frame still downstream, then waits for the worker.
	void flush();
	/// The frames still downstream (held across a reinit), without reading them.
	std::deque<VASurfaceID> takeDownstream();
	/// The free pool, emptied (a reinit destroys or keeps these itself).
	std::deque<VASurfaceID> takeFree();
	/// Re-reads every live surface with a known picture through GetImage: what was decoded
	/// before a fault must still be there, even with the device gone.
	void verifyAll(const std::vector<Generation *> &gens);

	unsigned framesDone() const { return frame_; }

private:
	VASurfaceID take(const std::function<VASurfaceID()> &alloc);
	void deliver(VASurfaceID s, const std::function<void(VASurfaceID)> &read);
	void faultStep();

	VaRun &run_;
	const ConsumerParams &p_;
	std::unique_ptr<Worker> worker_;
	std::mutex m_;
	std::condition_variable cv_;
	std::deque<VASurfaceID> free_;
	std::deque<VASurfaceID> downstream_;
	unsigned frame_ = 0; ///< pictures decoded so far over all generations
	bool faultsEnded_ = false;
	bool restart_ = false; ///< the next picture must be intra (after a fault)
	bool unplugged_ = false, gone_ = false; ///< an unplug fault; a decode failed after it
	std::function<void(VASurfaceID)> heldReader_;
};

} // namespace props::va
