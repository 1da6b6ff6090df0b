// SPDX-License-Identifier: MIT
#pragma once

// One decoder instance: its media device (/dev/mediaN, topology, request allocation), its
// video node (/dev/videoN with a driver profile) and the m2m job scheduler of its
// v4l2_m2m_dev. Every ioctl on the node, its requests and contexts runs under lock(), like
// the drivers' single vpu/rkvdec mutex; waits (DQBUF, poll) sleep on changed().

#include "context.h"
#include "request.h"

#include "drivers/driver_profile.h"
#include "control_tamper.h"
#include "engine/engine.h"

#include <v4l2emu/board.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <array>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace v4l2emu {

class BoardImpl;
class MediaDevice;

class VideoNode {
public:
	VideoNode(MediaDevice &device, std::unique_ptr<DriverProfile> driver, std::string path,
		  uint32_t major, uint32_t minor);
	MediaDevice &device() const { return device_; }
	const DriverProfile &driver() const { return *driver_; }
	const std::string &path() const { return path_; }
	uint32_t major() const { return major_; }
	uint32_t minor() const { return minor_; }
	/// QUERYCAP device_caps.
	uint32_t deviceCaps() const;

private:
	MediaDevice &device_;
	std::unique_ptr<DriverProfile> driver_;
	std::string path_;
	uint32_t major_, minor_;
};

class MediaDevice {
public:
	MediaDevice(BoardImpl &board, std::string name, std::string path, uint32_t major,
		    uint32_t minor);
	~MediaDevice();
	MediaDevice(const MediaDevice &) = delete;
	MediaDevice &operator=(const MediaDevice &) = delete;

	BoardImpl &board() const { return board_; }
	const std::string &name() const { return name_; }
	const std::string &path() const { return path_; }
	uint32_t major() const { return major_; }
	uint32_t minor() const { return minor_; }
	VideoNode &video() const { return *video_; }
	void setVideoNode(std::unique_ptr<VideoNode> node) { video_ = std::move(node); }

	std::mutex &lock() { return lock_; }
	/// Signalled whenever a buffer completes, a request completes, a queue is cancelled or a
	/// device is unplugged.
	std::condition_variable &changed() { return changed_; }
	void notify() { changed_.notify_all(); }

	// Object accounting (under lock()).
	uint64_t nextContextId() { return ++contextIds_; }
	uint64_t nextRequestId() { return ++requestIds_; }
	std::atomic<uint64_t> liveContexts{0};
	/// V4L2C:v4l2_prio_state of the video node: opens per priority (under the device lock).
	std::array<uint32_t, 4> priorityCounts {};
	/// V4L2C:v4l2_prio_max: the highest priority any open holds.
	uint32_t maxPriority() const
	{
		for (uint32_t p = 3; p > 0; p--)
			if (priorityCounts[p])
				return p;
		return 0;
	}
	std::atomic<uint64_t> liveRequests{0};
	std::atomic<uint64_t> liveBuffers{0};
	/// Written under lock(), read by stats() without it.
	std::atomic<uint64_t> ioctlCount{0};
	void countIoctl() { ioctlCount.store(ioctlCount.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed); }
	uint64_t jobCount = 0;

	bool unplugged() const { return unplugged_.load(std::memory_order_acquire); }
	/// Makes the device disappear; running and hung jobs complete with ERROR.
	void unplug();

	/// Fault hooks (under lock()). Return a positive errno to inject, 0 otherwise.
	int ioctlFault(unsigned long request);
	int memoryFault();

	// m2m scheduling (M2M:v4l2_m2m_try_schedule / try_run / job_finish).
	/// Queues ctx for a job if it is ready and runs what can run.
	void trySchedule(Context &ctx);
	/// M2M:v4l2_m2m_cancel_job: removes ctx from the job queue, waits for its running job
	/// (lock is held via lk and released while waiting).
	void cancelJob(Context &ctx, std::unique_lock<std::mutex> &lk);
	/// Completes a hung job once its watchdog deadline passed (called on every wait path).
	void checkWatchdog();
	/// Deadline of the hung job, if any.
	bool hungDeadline(std::chrono::steady_clock::time_point *when) const;

	/// Request allocation (MCD:media_device_request_alloc). The new request holds the
	/// reference its fd will own.
	int allocRequest(Request **out);
	/// Every live request of this device (for handler teardown).
	void dropHandlerFromRequests(const ControlHandler &handler);
	void registerRequest(Request *req);
	void unregisterRequest(Request *req);
	void setFaults(const FaultPlan &plan);
	/// A context went away: the engine drops what it kept for its stream.
	void endStream(uint64_t contextId) { engine_->endStream(contextId); }

private:
	struct RunningJob {
		Context *ctx = nullptr;
		Buffer *src = nullptr;
		Buffer *dst = nullptr;
		uint64_t number = 0;
		bool error = false;
		bool hung = false;
		uint64_t signature = 0;
		std::chrono::steady_clock::time_point deadline;
	};

	bool jobReady(Context &ctx);
	void tryRun();
	void deviceRun(Context &ctx);
	void finishJob(bool error);
	void workerLoop();

	BoardImpl &board_;
	std::string name_;
	std::string path_;
	uint32_t major_, minor_;
	std::unique_ptr<VideoNode> video_;
	std::mutex lock_;
	std::condition_variable changed_;
	std::atomic<bool> unplugged_{false};
	uint64_t contextIds_ = 0;
	uint64_t requestIds_ = 0;

	// Job queue of ready contexts (M2M: job_queue) and the running job.
	/// M2M's job_queue: contexts with a runnable job, each at most once (jobQueued). A vector
	/// that keeps its capacity, so queueing a job allocates nothing in steady state (a deque
	/// allocated a block every 64 pushes).
	std::vector<Context *> jobQueue_;
	RunningJob running_;
	bool hasRunning_ = false;
	bool scheduling_ = false;
	std::unique_ptr<DecodeEngine> engine_;
	std::vector<ControlTamper> tamper_;	///< BoardOptions::controlTamper
	std::vector<std::vector<uint8_t>> tamperScratch_;
	std::array<ResolvedReference, 40> refScratch_{};
	std::array<ReferenceClaim, 40> claimScratch_{};

	// Threaded scheduler.
	std::thread worker_;
	std::condition_variable workerWake_;
	bool stopWorker_ = false;
	bool workerPending_ = false;

	std::vector<Request *> requests_;

	// Fault plan rules for this device and their counters (1-based numbering).
	std::vector<IoctlFault> ioctlFaults_;
	std::vector<uint64_t> ioctlFaultCalls_;
	std::vector<DecodeFault> decodeFaults_;
	std::vector<MemoryFault> memoryFaults_;
	uint64_t memoryCalls_ = 0;
	uint64_t decodeBase_ = 0;	// jobs before the plan was installed
	bool unplugArmed_ = false;
	uint64_t unplugAfter_ = 0;
};

} // namespace v4l2emu
