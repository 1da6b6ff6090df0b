// SPDX-License-Identifier: MIT
// A decoder instance: media device, video node and the m2m job scheduler
// (M2M = v4l2-mem2mem.c, MCD = mc-device.c).
#include "media_device.h"

#include "board_impl.h"
#include "controls_ioctl.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sstream>

namespace v4l2emu {

VideoNode::VideoNode(MediaDevice &device, std::unique_ptr<DriverProfile> driver, std::string path,
		     uint32_t major, uint32_t minor)
	: device_(device), driver_(std::move(driver)), path_(std::move(path)), major_(major),
	  minor_(minor)
{
}

uint32_t VideoNode::deviceCaps() const
{
	return (driver_->multiplanar() ? V4L2_CAP_VIDEO_M2M_MPLANE : V4L2_CAP_VIDEO_M2M) |
	       V4L2_CAP_STREAMING;
}

MediaDevice::MediaDevice(BoardImpl &board, std::string name, std::string path, uint32_t major,
			 uint32_t minor)
	: board_(board), name_(std::move(name)), path_(std::move(path)), major_(major),
	  minor_(minor), engine_(makeEngine(board.options().engine))
{
	jobQueue_.reserve(16);
	// Board::create validated the rules.
	(void)parseControlTamper(board_.options().controlTamper, &tamper_, nullptr);
	if (board_.options().scheduler == SchedulerMode::Threaded)
		worker_ = std::thread([this] { workerLoop(); });
}

MediaDevice::~MediaDevice()
{
	if (worker_.joinable()) {
		{
			std::lock_guard<std::mutex> lk(lock_);
			stopWorker_ = true;
		}
		workerWake_.notify_all();
		worker_.join();
	}
}

void MediaDevice::registerRequest(Request *req)
{
	requests_.push_back(req);
	liveRequests++;
}

void MediaDevice::unregisterRequest(Request *req)
{
	auto it = std::find(requests_.begin(), requests_.end(), req);
	if (it != requests_.end())
		requests_.erase(it);
	liveRequests--;
}

void MediaDevice::dropHandlerFromRequests(const ControlHandler &handler)
{
	// Copy: dropping an object may complete (and free) a request.
	std::vector<Request *> reqs = requests_;
	for (Request *r : reqs) {
		if (std::find(requests_.begin(), requests_.end(), r) == requests_.end())
			continue;
		r->get();
		r->dropHandler(handler);
		r->put();
	}
}

int MediaDevice::allocRequest(Request **out)
{
	// MCD:media_device_request_alloc (all four drivers have req_validate/req_queue).
	if (int fault = memoryFault())
		return -fault;
	*out = new Request(*this, nextRequestId());
	return 0;
}

void MediaDevice::setFaults(const FaultPlan &plan)
{
	ioctlFaults_.clear();
	decodeFaults_.clear();
	memoryFaults_.clear();
	for (const IoctlFault &f : plan.ioctls)
		if (f.device.empty() || f.device == name_)
			ioctlFaults_.push_back(f);
	ioctlFaultCalls_.assign(ioctlFaults_.size(), 0);
	for (const DecodeFault &f : plan.decodes)
		if (f.device.empty() || f.device == name_)
			decodeFaults_.push_back(f);
	for (const MemoryFault &f : plan.memory)
		if (f.device.empty() || f.device == name_)
			memoryFaults_.push_back(f);
	memoryCalls_ = 0;
	decodeBase_ = jobCount;
	unplugArmed_ = false;
	for (const UnplugFault &f : plan.unplugs) {
		if (f.device != name_)
			continue;
		if (f.after == 0) {
			unplug();
		} else {
			unplugArmed_ = true;
			unplugAfter_ = ioctlCount + f.after;
		}
	}
}

int MediaDevice::ioctlFault(unsigned long request)
{
	// ioctlCount already counts this call: it is the (after+1)th.
	if (unplugArmed_ && ioctlCount > unplugAfter_) {
		unplugArmed_ = false;
		unplug();
	}
	for (size_t i = 0; i < ioctlFaults_.size(); i++) {
		const IoctlFault &f = ioctlFaults_[i];
		if (f.request != request)
			continue;
		uint64_t n = ++ioctlFaultCalls_[i];
		if (n >= f.nth && (f.count == 0 || n < f.nth + f.count)) {
			std::ostringstream msg;
			msg << "injected errno " << f.error << " on call " << n << " of ioctl 0x"
			    << std::hex << request;
			board_.addDiagnostic({DiagnosticKind::Fault, name_, jobCount, msg.str()});
			return f.error;
		}
	}
	return 0;
}

int MediaDevice::memoryFault()
{
	uint64_t n = ++memoryCalls_;
	for (const MemoryFault &f : memoryFaults_) {
		if (n >= f.nth && (f.count == 0 || n < f.nth + f.count)) {
			board_.addDiagnostic({DiagnosticKind::Fault, name_, jobCount,
					      "injected ENOMEM on allocation " + std::to_string(n)});
			return ENOMEM;
		}
	}
	return 0;
}

void MediaDevice::unplug()
{
	if (unplugged_.exchange(true))
		return;
	board_.addDiagnostic({DiagnosticKind::Fault, name_, jobCount, "device unplugged"});
	jobQueue_.clear();
	if (hasRunning_)
		finishJob(true);
	notify();
	board_.notifyAll();
}

/**
 * \brief M2M:__v4l2_m2m_try_queue readiness, including the held-capture release
 */
bool MediaDevice::jobReady(Context &ctx)
{
	// M2M: a context stays TRANS_QUEUED while its job runs (cleared in job_finish).
	if (ctx.aborting || ctx.jobQueued || ctx.jobRunning || ctx.released())
		return false;
	if (!ctx.output().streaming() || !ctx.capture().streaming())
		return false;
	Buffer *src = ctx.output().readyHead();
	Buffer *dst = ctx.capture().readyHead();
	if (!src || !dst)
		return false;
	// A held CAPTURE buffer is returned DONE when the next OUTPUT buffer has a different
	// timestamp (M2M:__v4l2_m2m_try_queue).
	if (dst->held && dst->copiedTimestamp && dst->timestampNs != src->timestampNs) {
		dst->held = false;
		ctx.capture().readyPop();
		ctx.capture().bufferDone(*dst, BufferState::Done);
		if (!ctx.capture().readyHead())
			return false;
	}
	return true;
}

void MediaDevice::trySchedule(Context &ctx)
{
	if (unplugged())
		return;
	if (jobReady(ctx)) {
		ctx.jobQueued = true;
		jobQueue_.push_back(&ctx);
	}
	tryRun();
}

void MediaDevice::tryRun()
{
	// M2M:v4l2_m2m_try_run: one job at a time per device. In deterministic mode a job
	// completes inside this loop, so the next one starts right away (no recursion).
	if (scheduling_)
		return;
	scheduling_ = true;
	while (!hasRunning_ && !jobQueue_.empty() && !unplugged()) {
		Context *ctx = jobQueue_.front();
		jobQueue_.erase(jobQueue_.begin());
		deviceRun(*ctx);
		if (hasRunning_ && !running_.hung &&
		    board_.options().scheduler == SchedulerMode::Deterministic)
			finishJob(running_.error);
	}
	scheduling_ = false;
	if (hasRunning_ && !running_.hung && board_.options().scheduler == SchedulerMode::Threaded) {
		workerPending_ = true;
		workerWake_.notify_all();
	}
}

namespace {

/// What the codec needs from the handler, through the codec-facing reader interface.
bool controlsValidFor(const CodecOps *codec, const ControlReader &hdl)
{
	if (!codec)
		return false;
	for (uint32_t id : codec->requiredControls)
		if (!hdl.wasSet(id))
			return false;
	return !codec->controlsUsable || codec->controlsUsable(hdl);
}

} // namespace

/**
 * \brief The drivers' device_run (HD:device_run, RK:rkvdec_device_run, VD:visl_device_run,
 * CD:cedrus_device_run) with the engine doing the "hardware" part
 */
void MediaDevice::deviceRun(Context &ctx)
{
	Buffer *src = ctx.output().readyHead();
	Buffer *dst = ctx.capture().readyHead();
	ctx.jobQueued = false;
	ctx.jobRunning = true;
	hasRunning_ = true;
	running_ = RunningJob{};
	running_.ctx = &ctx;
	running_.src = src;
	running_.dst = dst;
	running_.number = ++jobCount;

	// Apply the request's controls (CREQ:v4l2_ctrl_request_setup). Controls set through
	// another open are never applied, and that request will not complete until the other
	// open goes away (spec §1.4): the kernel accepts it silently, the emulator says so.
	if (src->request) {
		requestSetup(ctx, *src->request);
		if (src->request->hasControlsOtherThan(ctx.controls()))
			board_.addDiagnostic({DiagnosticKind::ForeignControls, name_, running_.number,
					      "the request carries controls set through another open; "
					      "they are not applied and the request stays QUEUED until "
					      "that open is closed"});
	}

	// A buffer reused for a new picture stops holding its previous one.
	bool continuing = dst->held && dst->copiedTimestamp && dst->timestampNs == src->timestampNs;
	if (!continuing)
		dst->holdsFrame = false;

	// M2M:v4l2_m2m_buf_copy_metadata(src, dst, true).
	dst->timestampNs = src->timestampNs;
	dst->timecode = src->timecode;
	dst->field = src->field;
	constexpr uint32_t kFrameFlags = V4L2_BUF_FLAG_KEYFRAME | V4L2_BUF_FLAG_PFRAME |
					 V4L2_BUF_FLAG_BFRAME | V4L2_BUF_FLAG_TIMECODE |
					 V4L2_BUF_FLAG_TSTAMP_SRC_MASK;
	dst->flags = (dst->flags & ~kFrameFlags) | (src->flags & kFrameFlags);
	dst->copiedTimestamp = true;

	// References (VB2V:vb2_find_buffer: exact ns among CAPTURE buffers with a copied
	// timestamp) and their identity checks.
	const CodecOps *codec = ctx.codec();
	// The controls as this job sees them (tampered on purpose when the board says so).
	TamperedControls tampered(ctx.controls(), tamper_, tamperScratch_);
	const ControlReader &hdl = tamper_.empty() ? static_cast<const ControlReader &>(ctx.controls())
						   : tampered;
	bool valid = controlsValidFor(codec, hdl);
	size_t nrefs = 0;
	if (codec && valid && codec->collectReferences)
		nrefs = codec->collectReferences(hdl, claimScratch_);
	for (size_t i = 0; i < nrefs; i++) {
		const ReferenceClaim &claim = claimScratch_[i];
		ResolvedReference &r = refScratch_[i];
		r.claim = &claim;
		r.signature = 0;
		Buffer *found = nullptr;
		Queue &cap = ctx.capture();
		for (uint32_t b = 0; b < cap.maxBuffers(); b++) {
			Buffer *cand = cap.buffer(b);
			if (cand && cand->copiedTimestamp && cand->timestampNs == claim.timestamp) {
				found = cand;
				break;
			}
		}
		auto report = [&](DiagnosticKind kind, const std::string &what) {
			std::ostringstream m;
			m << codec->name << " " << claim.role << " ts=" << claim.timestamp << ": "
			  << what;
			board_.addDiagnostic({kind, name_, running_.number, m.str()});
		};
		if (!found) {
			report(DiagnosticKind::ReferenceMissing, "no CAPTURE buffer has this timestamp");
			continue;
		}
		if (found == dst && !continuing) {
			report(DiagnosticKind::ReferenceIsTarget,
			       "names the buffer being decoded into (index " +
				       std::to_string(dst->index) + ")");
			continue;
		}
		if (!found->holdsFrame) {
			report(DiagnosticKind::ReferenceNotDecoded,
			       "CAPTURE buffer " + std::to_string(found->index) +
				       " holds no decoded frame");
			continue;
		}
		const FrameIdentity &want = claim.identity;
		const FrameIdentity &have = found->identity;
		if (want.hasPoc && have.hasPoc &&
		    ((want.checkTop && have.checkTop && want.topPoc != have.topPoc) ||
		     (want.checkBottom && have.checkBottom && want.bottomPoc != have.bottomPoc))) {
			std::ostringstream m;
			m << "claims POC " << want.topPoc << "/" << want.bottomPoc << " but buffer "
			  << found->index << " holds POC " << have.topPoc << "/" << have.bottomPoc;
			report(DiagnosticKind::ReferenceIdentity, m.str());
			continue;
		}
		r.signature = found->signature;
	}

	if (!valid) {
		std::string what = codec ? std::string("no valid ") + codec->name +
						   " controls were set for the OUTPUT format"
					 : "the OUTPUT format is not a coded format";
		board_.addDiagnostic({DiagnosticKind::MissingControls, name_, running_.number, what});
	}

	DecodeJob job;
	job.jobNumber = running_.number;
	job.streamId = ctx.id();
	job.timestampNs = src->timestampNs;
	job.codec = codec;
	job.controls = &hdl;
	job.controlsValid = valid;
	// The same test finishJob applies to keep the CAPTURE buffer (M2M:v4l2_m2m_buf_done_and_job_finish).
	job.moreOfThePictureFollows = (src->flags & V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF) != 0;
	const Plane &in = src->planes[0];
	if (in.mem && in.dataOffset < in.bytesused && in.bytesused <= in.mem->size()) {
		job.bitstream = in.mem->data() + in.dataOffset;
		job.bitstreamSize = in.bytesused - in.dataOffset;
	}
	job.outputFourcc = ctx.outputFormat.pixelformat;
	job.captureFormat = ctx.captureFormat;
	if (dst->planes[0].mem) {
		job.capture = dst->planes[0].mem->data();
		job.captureSize = std::min<size_t>(dst->planes[0].length, dst->planes[0].mem->size());
	}
	job.references = std::span<const ResolvedReference>(refScratch_.data(), nrefs);
	DecodeResult result = engine_->decode(job);
	if (result.diagnostic)
		board_.addDiagnostic({DiagnosticKind::EngineError, name_, running_.number,
				      std::string(engine_->name()) + " engine: " + result.diagnostic});
	running_.signature = result.signature;
	running_.error = result.error;
	if (codec && valid && codec->frameIdentity)
		dst->identity = codec->frameIdentity(hdl);
	else
		dst->identity = FrameIdentity{};

	// Injected decode faults.
	for (const DecodeFault &f : decodeFaults_) {
		if (f.nth != running_.number - decodeBase_)
			continue;
		if (f.kind == DecodeFaultKind::Error) {
			running_.error = true;
			board_.addDiagnostic({DiagnosticKind::Fault, name_, running_.number,
					      "injected decode error"});
		} else {
			running_.hung = true;
			running_.deadline = std::chrono::steady_clock::now() +
					    std::chrono::milliseconds(board_.options().watchdogMs);
			board_.addDiagnostic({DiagnosticKind::Fault, name_, running_.number,
					      "injected hang until the watchdog"});
		}
	}
	if (!ctx.driver().reportsDecodeErrors())
		running_.error = false;	// visl always completes DONE

	// The drivers complete the request's controls right after programming the hardware,
	// before the decode finishes (HD:hantro_end_prepare_run, RK:rkvdec_run_postamble).
	if (src->request)
		src->request->completeHandler(ctx.controls());
}

/**
 * \brief M2M:v4l2_m2m_buf_done_and_job_finish
 */
void MediaDevice::finishJob(bool error)
{
	if (!hasRunning_)
		return;
	Context &ctx = *running_.ctx;
	Buffer *src = running_.src;
	Buffer *dst = running_.dst;
	BufferState state = error ? BufferState::Error : BufferState::Done;
	hasRunning_ = false;
	ctx.jobRunning = false;

	Buffer *s = ctx.output().readyPop();
	(void)s;
	if (ctx.driver().setsSequence()) {
		src->sequence = static_cast<uint32_t>(ctx.sequenceOut++);
		dst->sequence = static_cast<uint32_t>(ctx.sequenceCap++);
	}
	dst->held = (src->flags & V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF) != 0;
	if (!error) {
		dst->holdsFrame = true;
		dst->signature = running_.signature;
		dst->decodeJob = running_.number;
		board_.recordFrame(name_, running_.number, *dst, ctx.captureFormat);
	} else {
		dst->holdsFrame = false;
	}
	// CAPTURE first, so it is dequeueable once the request fd signals.
	if (!dst->held) {
		ctx.capture().readyPop();
		ctx.capture().bufferDone(*dst, state);
	}
	ctx.output().bufferDone(*src, state);
	notify();
	board_.notifyAll();
	// M2M:v4l2_m2m_job_finish schedules the next job (this context may be ready again).
	if (!ctx.released())
		trySchedule(ctx);
	else
		tryRun();
}

void MediaDevice::cancelJob(Context &ctx, std::unique_lock<std::mutex> &lk)
{
	// M2M:v4l2_m2m_cancel_job: a running job is waited for; a queued one is dequeued.
	ctx.aborting = true;
	while (hasRunning_ && running_.ctx == &ctx) {
		if (running_.hung) {
			// Nothing else will finish it before the watchdog.
			changed_.wait_until(lk, running_.deadline);
			checkWatchdog();
			continue;
		}
		changed_.wait(lk);
	}
	auto it = std::find(jobQueue_.begin(), jobQueue_.end(), &ctx);
	if (it != jobQueue_.end())
		jobQueue_.erase(it);
	ctx.jobQueued = false;
	ctx.aborting = false;
}

void MediaDevice::checkWatchdog()
{
	if (hasRunning_ && running_.hung && std::chrono::steady_clock::now() >= running_.deadline) {
		board_.addDiagnostic({DiagnosticKind::Fault, name_, running_.number,
				      "watchdog: hung job completed with ERROR"});
		running_.hung = false;
		finishJob(true);
	}
}

bool MediaDevice::hungDeadline(std::chrono::steady_clock::time_point *when) const
{
	if (hasRunning_ && running_.hung) {
		*when = running_.deadline;
		return true;
	}
	return false;
}

void MediaDevice::workerLoop()
{
	// Threaded mode: the "interrupt" that completes the running job after the decode time.
	std::unique_lock<std::mutex> lk(lock_);
	while (!stopWorker_) {
		std::chrono::steady_clock::time_point deadline;
		if (hungDeadline(&deadline)) {
			workerWake_.wait_until(lk, deadline);
			checkWatchdog();
			continue;
		}
		if (!workerPending_) {
			workerWake_.wait(lk);
			continue;
		}
		workerPending_ = false;
		unsigned delay = board_.options().decodeDelayUs;
		if (delay) {
			lk.unlock();
			std::this_thread::sleep_for(std::chrono::microseconds(delay));
			lk.lock();
		}
		if (hasRunning_ && !running_.hung)
			finishJob(running_.error);
	}
}

} // namespace v4l2emu
