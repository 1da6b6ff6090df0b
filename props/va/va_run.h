// SPDX-License-Identifier: MIT
#pragma once

// One driver instance under test for the VA properties (shared/spec/consumer-patterns.md §8):
// every VA call goes through check(), which holds its status against the statuses the VA API
// allows for that call (va_status.h) and, outside a fault window, requires success; a book of
// what each surface must read back (the picture the emulator decoded into it); readback by
// GetImage, DeriveImage or DRM PRIME export; and the end-of-run checks (no diagnostics, nothing
// left after vaTerminate). Thread-safe: consumer scenarios call it from several threads, and
// failures are collected (rapidcheck's assertions may only throw on the property's thread).

#include "frame_source.h"
#include "va_harness.h"
#include "va_scenario.h"

#include <v4l2emu/board.h>

#include <va/va_drmcommon.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace props::va {

using v4l2va::test::FrameSource;
using v4l2va::test::RenderStyle;

enum class Readback : uint8_t { GetImage, DeriveImage, Export, ExportBeforeSync };
const char *toString(Readback r);

class VaRun {
public:
	/// threadedScheduler: jobs complete on the emulator's worker (pictures are then matched
	/// against any decoded frame rather than the one the End call produced).
	explicit VaRun(bool threadedScheduler = false, const std::string &board = "fresnel");
	~VaRun();
	VaRun(const VaRun &) = delete;
	VaRun &operator=(const VaRun &) = delete;

	bool ready() const { return ready_; }
	v4l2va::test::VaDriver &drv() { return *drv_; }
	const VADriverVTable &vt() { return drv_->vt(); }
	VADriverContextP ctx() { return drv_->ctx(); }
	v4l2emu::Board &board() { return *board_; }

	/// Checks a status against the call's allowed statuses; outside a fault window anything
	/// but `expected` (SUCCESS by default) is a failure. Returns st.
	VAStatus check(const char *call, VAStatus st, const std::string &what = "",
		       VAStatus expected = VA_STATUS_SUCCESS);
	/// As check(), but a fault window tolerates nothing (reading what was decoded before it).
	VAStatus checkStrict(const char *call, VAStatus st, const std::string &what = "");
	void fail(const std::string &message);
	std::vector<std::string> failures() const;
	std::string failureText() const;

	/// Faults: inside a window, errors the call may return are tolerated (and surfaces a
	/// failing call touched become unknown); the plan is installed on entry, removed on exit.
	void beginFaults(const v4l2emu::FaultPlan &plan);
	void endFaults();
	bool inFaultWindow() const { return faultWindow_; }
	/// An unplug fault ran: pictures in flight then never complete (their syncs time out).
	bool deviceGone() const { return deviceGone_; }
	unsigned toleratedErrors() const { return tolerated_; }

	// The surface book.
	void recordDecode(VASurfaceID s, uint64_t signature); ///< 0: the picture is unknown
	void forget(VASurfaceID s);
	bool known(VASurfaceID s) const;
	/// Decoded inside a fault window (it may have failed).
	bool maybe(VASurfaceID s) const;
	/// Syncs every surface whose picture is still completing (threaded scheduler) so that
	/// what was decoded before a fault window is complete when it opens.
	void settle();

	// Consumer steps (each checked).
	VAConfigID createConfig(VAProfile profile, std::vector<VAConfigAttrib> attribs = {});
	/// vaQuerySurfaceAttributes(NULL) then the list; `garbage`: FFmpeg's uninitialised count.
	void querySurfaceAttributes(VAConfigID cfg, bool garbage);
	std::vector<VASurfaceID> createSurfaces(uint32_t rt, uint32_t w, uint32_t h, unsigned n,
						std::vector<VASurfaceAttrib> attribs);
	VAContextID createContext(VAConfigID cfg, uint32_t w, uint32_t h,
				  const std::vector<VASurfaceID> &targets);
	/// One picture in a consumer's render style; records the target's picture.
	bool decode(VAContextID c, FrameSource &src, unsigned n, VASurfaceID target,
		    VASurfaceID ref, RenderStyle style);
	/// Reads a surface back and compares it with the book (if the picture is known). strict:
	/// a surface whose picture is known must read back even inside a fault window.
	void readback(VASurfaceID s, uint32_t w, uint32_t h, Readback how, bool strict = false);
	/// DeriveImage + DestroyImage on a surface (the probes of FFmpeg, GStreamer, mpv).
	void deriveProbe(VASurfaceID s, bool tolerateFailure = false);
	void destroySurface(VASurfaceID s);
	void destroyContext(VAContextID c);
	void destroyConfig(VAConfigID c);

	/// vaTerminate, then: no diagnostics (unless faults ran), no fd, mapping, buffer, request,
	/// context or plane memory left. Idempotent.
	void finish();

	/// Syncs, reads a descriptor exported earlier and compares it with the book.
	void readDescriptor(VASurfaceID s, const VADRMPRIMESurfaceDescriptor &d, uint32_t w,
			    uint32_t h);
	/// The signature a surface must read back (0: unknown / any).
	uint64_t expectedSignature(VASurfaceID s) const;
	/// Compares a picture with the one of `signature` (a dma-buf outliving its surface).
	void compareSignature(const std::vector<uint8_t> &nv12, uint32_t w, uint32_t h,
			      uint64_t signature, const std::string &what);
	/// Closes the fds of a descriptor (each must close).
	void closeDescriptor(const VADRMPRIMESurfaceDescriptor &d);

	/// The NV12 of an exported descriptor (objects mapped through the board's seam).
	std::vector<uint8_t> readExport(const VADRMPRIMESurfaceDescriptor &d, uint32_t w,
					uint32_t h);

private:
	/// Maybe: decoded inside a fault window: it may have failed (Sync, GetImage report it).
	enum class Expect { Unknown, Exact, AnyDecoded, Maybe };
	struct Entry {
		Expect expect = Expect::Unknown;
		uint64_t signature = 0;
	};
	void compare(VASurfaceID s, const std::vector<uint8_t> &nv12, uint32_t w, uint32_t h,
		     const std::string &how);

	std::unique_ptr<v4l2va::test::VaDriver> drv_;
	std::shared_ptr<v4l2emu::Board> board_;
	bool ready_ = false;
	bool threaded_ = false;
	bool finished_ = false;
	bool faultsRan_ = false;
	bool faultWindow_ = false;
	bool deviceGone_ = false; ///< an unplug fault ran: pictures in flight never complete
	unsigned tolerated_ = 0;
	mutable std::mutex mutex_;
	std::vector<std::string> failures_;
	std::map<VASurfaceID, Entry> book_;
	std::mutex decodeMutex_; ///< one decode at a time: End's newest frame is its picture
};

/// A bounded hand-off to a second thread (FFmpeg's filter thread, GStreamer's downstream, a
/// VO): tasks run in order; push() waits while `bound` tasks are pending.
class Worker {
public:
	explicit Worker(size_t bound = 4);
	~Worker();
	void push(std::function<void()> task);
	void drain();

private:
	std::mutex m_;
	std::condition_variable cv_;
	std::deque<std::function<void()>> q_;
	size_t bound_;
	bool busy_ = false, stop_ = false;
	std::thread thread_;
};

} // namespace props::va
