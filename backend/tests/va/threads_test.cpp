// SPDX-License-Identifier: MIT
// Concurrency as FFmpeg drives it (consumer-patterns §2.6): decode calls on worker threads,
// SyncSurface/CreateImage/GetImage/DestroyImage on the main thread at the same time, surfaces
// created and destroyed from other threads, with the emulator completing jobs on its own worker
// thread like an interrupt. Run under the tsan preset for data races.
#include "va_scenario.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace v4l2va::test {
namespace {

/// A bounded hand-off of decoded surfaces from the decoding threads to the reader.
class SurfaceQueue {
public:
	void push(VASurfaceID s)
	{
		std::lock_guard lock(m_);
		q_.push_back(s);
		cv_.notify_all();
	}
	bool pop(VASurfaceID *s)
	{
		std::unique_lock lock(m_);
		cv_.wait(lock, [&] { return !q_.empty() || closed_; });
		if (q_.empty())
			return false;
		*s = q_.front();
		q_.pop_front();
		return true;
	}
	void close()
	{
		std::lock_guard lock(m_);
		closed_ = true;
		cv_.notify_all();
	}

private:
	std::mutex m_;
	std::condition_variable cv_;
	std::deque<VASurfaceID> q_;
	bool closed_ = false;
};

class VaThreads : public ::testing::TestWithParam<std::string> {};

TEST_P(VaThreads, DecodeWorkersReaderAndPoolThreadsConcurrently)
{
	DriverEnv env;
	env.scheduler = "threaded";
	VaDriver drv(env);
	ASSERT_EQ(drv.status(), VA_STATUS_SUCCESS);
	ASSERT_NE(drv.board(), nullptr);
	const uint32_t w = 176, h = 144;
	auto source = makeSource(GetParam(), w, h);
	VAConfigID cfg;
	ASSERT_EQ(drv.createConfig(source->profile(), &cfg), VA_STATUS_SUCCESS);
	VAContextID ctx;
	ASSERT_EQ(drv.vt().vaCreateContext(drv.ctx(), cfg, w, h, VA_PROGRESSIVE, nullptr, 0, &ctx), VA_STATUS_SUCCESS);

	// A pool of free surfaces; the reader gives surfaces back once read, like FFmpeg's frames.
	std::mutex poolMutex;
	std::deque<VASurfaceID> pool;
	std::vector<VASurfaceID> all;
	std::atomic<bool> failed {false};
	std::mutex whyMutex;
	std::string why;
	auto fail = [&](const std::string &what) {
		std::lock_guard lock(whyMutex);
		if (why.empty())
			why = what;
		failed = true;
	};
	auto takeSurface = [&]() -> VASurfaceID {
		{
			std::lock_guard lock(poolMutex);
			if (!pool.empty()) {
				VASurfaceID s = pool.front();
				pool.pop_front();
				return s;
			}
		}
		// Dynamic pool (FFmpeg >= 7.1): CreateSurfaces2 on a decoding thread, during decoding.
		std::vector<VASurfaceID> s;
		if (drv.createSurfaces(w, h, 1, &s) != VA_STATUS_SUCCESS)
			return VA_INVALID_SURFACE;
		std::lock_guard lock(poolMutex);
		all.push_back(s[0]);
		return s[0];
	};

	SurfaceQueue decoded;
	const unsigned frames = 60;
	// Frame threads: workers take turns, serialised among themselves (FFmpeg's hwaccel_mutex),
	// each on its own OS thread, while the reader runs freely.
	std::mutex hwaccelMutex;
	std::atomic<unsigned> next {0};
	VASurfaceID previous = VA_INVALID_SURFACE;
	std::atomic<unsigned> read {0};
	// Frames handed downstream but not read yet stay bounded (FFmpeg's queues are): a
	// decoder's CAPTURE queue holds at most 32 buffers on rkvdec.
	auto throttle = [&](unsigned n) {
		while (n >= read.load() + 12 && !failed)
			std::this_thread::yield();
	};
	auto worker = [&] {
		for (;;) {
			std::lock_guard serial(hwaccelMutex);
			unsigned n = next.fetch_add(1);
			if (n >= frames)
				return;
			throttle(n);
			VASurfaceID target = takeSurface();
			if (target == VA_INVALID_SURFACE) {
				failed = true;
				return;
			}
			// The reference is the previous picture; an intra picture where the pool
			// handed that very surface out again (no picture references its own target).
			VASurfaceID ref = n % 4 && target != previous ? previous : VA_INVALID_SURFACE;
			VAStatus st = decodePicture(drv, ctx, *source, n, target, ref);
			if (st != VA_STATUS_SUCCESS) {
				fail("picture " + std::to_string(n) + ": " + vaErrorStr(st));
				return;
			}
			previous = target;
			decoded.push(target);
		}
	};
	std::thread reader([&] {
		VASurfaceID s;
		while (decoded.pop(&s)) {
			std::vector<uint8_t> nv12;
			VAStatus st = drv.download(s, w, h, &nv12);
			if (st != VA_STATUS_SUCCESS)
				fail(std::string("download: ") + vaErrorStr(st));
			else if (!matchDecodedFrame(*drv.board(), nv12, w, h))
				fail("a read-back picture is not one the emulator decoded");
			read++;
			// Keep the reference alive one picture longer than its use.
			std::lock_guard lock(poolMutex);
			pool.push_back(s);
			if (pool.size() > 3) {
				VASurfaceID old = pool.front();
				pool.pop_front();
				pool.push_back(old);
			}
		}
	});
	// A status poller on yet another thread (GStreamer's QuerySurfaceStatus loop).
	std::atomic<bool> stop {false};
	std::thread poller([&] {
		while (!stop) {
			std::vector<VASurfaceID> snapshot;
			{
				std::lock_guard lock(poolMutex);
				snapshot = all;
			}
			for (VASurfaceID s : snapshot) {
				VASurfaceStatus st;
				VAStatus r = drv.vt().vaQuerySurfaceStatus(drv.ctx(), s, &st);
				if (r != VA_STATUS_SUCCESS && r != VA_STATUS_ERROR_INVALID_SURFACE)
					failed = true;
			}
			std::this_thread::yield();
		}
	});
	std::vector<std::thread> workers;
	for (int i = 0; i < 3; i++)
		workers.emplace_back(worker);
	for (auto &t : workers)
		t.join();
	decoded.close();
	reader.join();
	stop = true;
	poller.join();
	EXPECT_FALSE(failed) << why;
	EXPECT_EQ(read.load(), frames);
	EXPECT_EQ(diagnosticsText(*drv.board()), "");
	// Teardown from another thread than the decoding ones (§8.4).
	std::thread teardown([&] {
		EXPECT_EQ(drv.vt().vaDestroyContext(drv.ctx(), ctx), VA_STATUS_SUCCESS);
		for (VASurfaceID s : all)
			EXPECT_EQ(drv.vt().vaDestroySurfaces(drv.ctx(), &s, 1), VA_STATUS_SUCCESS);
	});
	teardown.join();
}

INSTANTIATE_TEST_SUITE_P(Codecs, VaThreads, ::testing::Values("mpeg2", "h264"),
			 [](const auto &info) { return info.param; });

} // namespace
} // namespace v4l2va::test
