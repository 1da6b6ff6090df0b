// SPDX-License-Identifier: MIT
// Boards: which decoder instances exist, where their nodes are, and the board-wide tables.
#include "board_impl.h"
#include "control_tamper.h"

#include <v4l2emu/trace.h>

#include <fcntl.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace v4l2emu {

namespace {

constexpr uint32_t kVideoMajor = 81;	// VIDEO_MAJOR
constexpr uint32_t kMediaMajor = 236;	// dynamically allocated on real systems
constexpr size_t kFrameLogSize = 4096;
// A driver that gets something wrong on every frame (a missing control, a stale reference)
// adds a diagnostic per job; in a long preload session that grew without bound. The first
// ones are kept (the earliest is usually the cause) and the rest counted.
constexpr size_t kDiagnosticLogSize = 4096;

struct DeviceSpec {
	const char *name;
	const char *driver;
	bool untiled;
};

struct BoardSpec {
	const char *name;
	const char *description;
	std::vector<DeviceSpec> devices;
};

const std::vector<BoardSpec> &boardSpecs()
{
	static const std::vector<BoardSpec> specs = {
		{"fresnel", "RK3399 board: rkvdec (H.264, HEVC, VP9) and the hantro VPU (MPEG-2, VP8)",
		 {{"rkvdec", "rkvdec", true}, {"hantro-vpu", "hantro", true}}},
		{"rk3399", "same as fresnel",
		 {{"rkvdec", "rkvdec", true}, {"hantro-vpu", "hantro", true}}},
		{"rkvdec", "rkvdec alone", {{"rkvdec", "rkvdec", true}}},
		{"hantro", "the RK3399 hantro decoder alone", {{"hantro-vpu", "hantro", true}}},
		{"visl", "the virtual stateless decoder", {{"visl", "visl", true}}},
		{"cedrus", "Allwinner cedrus with untiled NV12 capture", {{"cedrus", "cedrus", true}}},
		{"cedrus-tiled", "Allwinner cedrus with tiled (ST12) capture only",
		 {{"cedrus", "cedrus", false}}},
	};
	return specs;
}

} // namespace

VideoFile::VideoFile(UniqueFd fd, MediaDevice &device, int flags)
	: File(Kind::Video, std::move(fd)), device(device), flags(flags)
{
}

BoardImpl::BoardImpl(std::string name, const BoardOptions &options)
	: name_(std::move(name)), options_(options)
{
	io_ = makeEmulatedDeviceIo(*this);
	frames_.resize(kFrameLogSize);
	files_.resize(1024);
}

BoardImpl::~BoardImpl()
{
	// Release every context still alive (open fds, or closed but mapped); userspace
	// mappings stay mapped but no longer keep emulator objects.
	std::vector<std::pair<int, std::shared_ptr<File>>> files;
	{
		std::lock_guard<std::mutex> lk(fdLock_);
		for (size_t fd = 0; fd < files_.size(); fd++)
			if (files_[fd])
				files.emplace_back(static_cast<int>(fd), std::move(files_[fd]));
		files_.clear();
		openFiles_ = 0;
	}
	std::map<uintptr_t, Mapping> maps;
	{
		std::lock_guard<std::mutex> lk(mapLock_);
		maps.swap(mappings_);
	}
	auto releaseFile = [](File &f) {
		if (f.kind() == File::Kind::Video) {
			auto &vf = static_cast<VideoFile &>(f);
			std::unique_lock<std::mutex> lk(vf.device.lock());
			if (vf.context && !vf.context->released()) {
				vf.device.cancelJob(*vf.context, lk);
				vf.context->release();
			}
		} else if (f.kind() == File::Kind::Request) {
			auto &rf = static_cast<RequestFile &>(f);
			std::lock_guard<std::mutex> lk(rf.device.lock());
			if (rf.request) {
				rf.request->put();
				rf.request = nullptr;
			}
		}
	};
	for (auto &[fd, f] : files)
		releaseFile(*f);
	for (auto &[addr, m] : maps)
		if (m.file)
			releaseFile(*m.file);
	// Contexts must go before their devices.
	for (auto &[fd, f] : files)
		if (f->kind() == File::Kind::Video) {
			auto &vf = static_cast<VideoFile &>(*f);
			std::lock_guard<std::mutex> lk(vf.device.lock());
			vf.context.reset();
		}
	for (auto &[addr, m] : maps)
		if (m.file) {
			std::lock_guard<std::mutex> lk(m.file->device.lock());
			m.file->context.reset();
		}
	files.clear();
	maps.clear();
	devices_.clear();
}

MediaDevice &BoardImpl::addDevice(const std::string &name, const std::string &driver,
				  const DriverConfig &config)
{
	unsigned index = static_cast<unsigned>(devices_.size());
	unsigned mediaIndex = options_.firstMediaIndex + index;
	unsigned videoIndex = options_.firstVideoIndex + index;
	std::string dir = options_.devDir;
	auto dev = std::make_unique<MediaDevice>(*this, name, dir + "/media" + std::to_string(mediaIndex),
						 kMediaMajor, mediaIndex);
	dev->setVideoNode(std::make_unique<VideoNode>(*dev, makeDriverProfile(driver, config),
						      dir + "/video" + std::to_string(videoIndex),
						      kVideoMajor, videoIndex));
	dev->setFaults(options_.faults);
	devices_.push_back(std::move(dev));
	return *devices_.back();
}

MediaDevice *BoardImpl::findDevice(std::string_view name)
{
	for (auto &d : devices_)
		if (d->name() == name)
			return d.get();
	return nullptr;
}

MediaDevice *BoardImpl::deviceByPath(std::string_view path, bool *isVideo)
{
	for (auto &d : devices_) {
		if (d->path() == path) {
			*isVideo = false;
			return d.get();
		}
		if (d->video().path() == path) {
			*isVideo = true;
			return d.get();
		}
	}
	return nullptr;
}

void BoardImpl::addFile(std::shared_ptr<File> file)
{
	std::lock_guard<std::mutex> lk(fdLock_);
	size_t fd = static_cast<size_t>(file->fd());
	if (fd >= files_.size())
		files_.resize(std::max<size_t>(fd + 1, files_.size() * 2));
	if (!files_[fd])
		openFiles_++;
	files_[fd] = std::move(file);
}

std::shared_ptr<File> BoardImpl::file(int fd) const
{
	std::lock_guard<std::mutex> lk(fdLock_);
	if (fd < 0 || static_cast<size_t>(fd) >= files_.size())
		return nullptr;
	return files_[fd];
}

std::shared_ptr<File> BoardImpl::takeFile(int fd)
{
	std::lock_guard<std::mutex> lk(fdLock_);
	if (fd < 0 || static_cast<size_t>(fd) >= files_.size() || !files_[fd])
		return nullptr;
	openFiles_--;
	return std::move(files_[fd]);
}

uint64_t BoardImpl::openFds() const
{
	std::lock_guard<std::mutex> lk(fdLock_);
	return openFiles_;
}

int BoardImpl::requestFromFd(int fd, MediaDevice &device, Request **out) const
{
	std::shared_ptr<File> f = file(fd);
	if (!f || f->kind() != File::Kind::Request)
		return -EINVAL;
	auto &rf = static_cast<RequestFile &>(*f);
	if (&rf.device != &device || !rf.request)
		return -EINVAL;
	*out = rf.request;
	return 0;
}

int BoardImpl::installRequest(MediaDevice &device, Request *request, int *fd)
{
	// MCR:media_request_alloc: an anon-inode fd with O_CLOEXEC.
	int efd = eventfd(0, EFD_CLOEXEC);
	if (efd < 0) {
		int err = -errno;
		request->put();
		return err;
	}
	addFile(std::make_shared<RequestFile>(UniqueFd(efd), device, request));
	*fd = efd;
	return 0;
}

int BoardImpl::exportDmabuf(const std::shared_ptr<PlaneMemory> &mem, uint32_t flags, int32_t *fd)
{
	// A separate open of the memfd: another process can mmap it, and the memory lives as
	// long as the fd (DMAC:vb2_dc_get_dmabuf holds a reference).
	std::string path = "/proc/self/fd/" + std::to_string(mem->fd());
	int nfd = ::open(path.c_str(), O_RDWR | ((flags & O_CLOEXEC) ? O_CLOEXEC : 0));
	if (nfd < 0)
		return -errno;
	mem->markExported();
	mem->externalUsers++;
	addFile(std::make_shared<DmabufFile>(UniqueFd(nfd), mem));
	*fd = nfd;
	return 0;
}

void BoardImpl::addMapping(void *addr, Mapping mapping)
{
	std::lock_guard<std::mutex> lk(mapLock_);
	mappings_[reinterpret_cast<uintptr_t>(addr)] = std::move(mapping);
}

bool BoardImpl::takeMapping(void *addr, size_t length, Mapping *out, bool *last)
{
	std::lock_guard<std::mutex> lk(mapLock_);
	uintptr_t a = reinterpret_cast<uintptr_t>(addr);
	auto it = mappings_.upper_bound(a);
	if (it == mappings_.begin())
		return false;
	--it;
	uintptr_t start = it->first;
	size_t len = pageAlign(it->second.length);
	if (a >= start + len)
		return false;
	// Partial unmaps shrink what is left; the references go with the last page.
	uintptr_t end = std::min<uintptr_t>(a + pageAlign(length), start + len);
	size_t covered = end - a;
	Mapping &m = it->second;
	size_t remaining = pageAlign(m.remaining);
	remaining = covered >= remaining ? 0 : remaining - covered;
	m.remaining = remaining;
	*last = remaining == 0;
	if (*last) {
		*out = std::move(m);
		mappings_.erase(it);
	}
	return true;
}

uint64_t BoardImpl::liveMappings() const
{
	std::lock_guard<std::mutex> lk(mapLock_);
	return mappings_.size();
}

void BoardImpl::notifyAll()
{
	{
		std::lock_guard<std::mutex> lk(waitLock_);
		eventSeq_.fetch_add(1, std::memory_order_release);
	}
	waitCv_.notify_all();
}

void BoardImpl::waitEvent(uint64_t seen, std::chrono::steady_clock::time_point deadline)
{
	std::unique_lock<std::mutex> lk(waitLock_);
	waitCv_.wait_until(lk, deadline, [&] { return eventSequence() != seen; });
}

void BoardImpl::addDiagnostic(Diagnostic d)
{
	std::lock_guard<std::mutex> lk(diagLock_);
	if (diagnostics_.size() < kDiagnosticLogSize)
		diagnostics_.push_back(std::move(d));
	else
		diagnosticsDropped_++;
}

std::vector<Diagnostic> BoardImpl::diagnostics() const
{
	std::lock_guard<std::mutex> lk(diagLock_);
	return diagnostics_;
}

uint64_t BoardImpl::diagnosticsDropped() const
{
	std::lock_guard<std::mutex> lk(diagLock_);
	return diagnosticsDropped_;
}

void BoardImpl::clearDiagnostics()
{
	std::lock_guard<std::mutex> lk(diagLock_);
	diagnostics_.clear();
	diagnosticsDropped_ = 0;
}

void BoardImpl::setFaults(const FaultPlan &plan)
{
	options_.faults = plan;
	for (auto &d : devices_) {
		std::lock_guard<std::mutex> lk(d->lock());
		d->setFaults(plan);
	}
	// The header names the plan the board started with; a replay needs this one too.
	if (TraceSink *sink = traceSink())
		sink->onFaults(plan.toString());
}

void BoardImpl::recordFrame(const std::string &device, uint64_t job, const Buffer &dst,
			    const struct v4l2_pix_format_mplane &fmt)
{
	std::lock_guard<std::mutex> lk(frameLock_);
	DecodedFrame &f = frames_[frameNext_];
	frameNext_ = (frameNext_ + 1) % frames_.size();
	framesTotal_++;
	f.device = device;
	f.job = job;
	f.timestampNs = dst.timestampNs;
	f.bufferIndex = dst.index;
	f.signature = dst.signature;
	f.pixelformat = fmt.pixelformat;
	f.width = fmt.width;
	f.height = fmt.height;
	f.bytesperline = fmt.plane_fmt[0].bytesperline;
}

std::vector<DecodedFrame> BoardImpl::decodedFrames() const
{
	std::lock_guard<std::mutex> lk(frameLock_);
	std::vector<DecodedFrame> out;
	size_t n = std::min<uint64_t>(framesTotal_, frames_.size());
	size_t start = (frameNext_ + frames_.size() - n) % frames_.size();
	for (size_t i = 0; i < n; i++)
		out.push_back(frames_[(start + i) % frames_.size()]);
	return out;
}

// Board

Board::Board(std::unique_ptr<BoardImpl> impl) : impl_(std::move(impl)) {}

Board::~Board() = default;

std::unique_ptr<Board> Board::create(std::string_view name, const BoardOptions &options,
				     std::string *error)
{
	std::vector<ControlTamper> tamper;
	std::string tamperError;
	if (parseControlTamper(options.controlTamper, &tamper, &tamperError)) {
		if (error)
			*error = tamperError;
		return nullptr;
	}
	if (std::string why; !v4l2emu::engineAvailable(options.engine, &why)) {
		if (error)
			*error = why;
		return nullptr;
	}
	for (const BoardSpec &spec : boardSpecs()) {
		if (name != spec.name)
			continue;
		auto impl = std::make_unique<BoardImpl>(spec.name, options);
		for (const DeviceSpec &d : spec.devices) {
			DriverConfig config;
			config.kernel = options.kernel;
			config.untiledCapture = d.untiled;
			impl->addDevice(d.name, d.driver, config);
		}
		impl->installTraceFromOptions();
		return std::unique_ptr<Board>(new Board(std::move(impl)));
	}
	if (error) {
		*error = "unknown board '" + std::string(name) + "' (known:";
		for (const BoardSpec &spec : boardSpecs())
			*error += std::string(" ") + spec.name;
		*error += ")";
	}
	return nullptr;
}

bool Board::engineAvailable(EngineKind kind, std::string *why)
{
	return v4l2emu::engineAvailable(kind, why);
}

std::vector<std::string> Board::boardNames()
{
	std::vector<std::string> out;
	for (const BoardSpec &spec : boardSpecs())
		out.push_back(spec.name);
	return out;
}

int Board::optionsFromEnvironment(BoardOptions *options, std::string *error)
{
	BoardOptions o = *options;
	auto fail = [&](const std::string &msg) {
		if (error)
			*error = msg;
		return -EINVAL;
	};
	if (const char *k = getenv("V4L2EMU_KERNEL")) {
		std::string v = k;
		if (v == "6.12")
			o.kernel = KernelVersion::V6_12;
		else if (v == "mainline")
			o.kernel = KernelVersion::Mainline;
		else
			return fail("V4L2EMU_KERNEL='" + v + "': expected 6.12 or mainline");
	}
	if (const char *s = getenv("V4L2EMU_SCHEDULER")) {
		std::string v = s;
		if (v == "deterministic")
			o.scheduler = SchedulerMode::Deterministic;
		else if (v == "threaded")
			o.scheduler = SchedulerMode::Threaded;
		else
			return fail("V4L2EMU_SCHEDULER='" + v + "': expected deterministic or threaded");
	}
	if (const char *f = getenv("V4L2EMU_FAULTS")) {
		FaultPlan plan;
		std::string msg;
		if (FaultPlan::parse(f, &plan, &msg))
			return fail("V4L2EMU_FAULTS: " + msg);
		o.faults = plan;
	}
	if (const char *t = getenv("V4L2EMU_TRACE")) {
		std::vector<TraceWriterOptions> writers;
		std::string msg;
		if (parseTraceSpec(t, &writers, &msg))
			return fail("V4L2EMU_TRACE: " + msg);
		o.trace = t;
	}
	if (const char *e = getenv("V4L2EMU_ENGINE")) {
		std::string v = e;
		if (v == "synthetic")
			o.engine = EngineKind::Synthetic;
		else if (v == "libav")
			o.engine = EngineKind::Libav;
		else
			return fail("V4L2EMU_ENGINE='" + v + "': expected synthetic or libav");
		std::string why;
		if (!v4l2emu::engineAvailable(o.engine, &why))
			return fail("V4L2EMU_ENGINE=libav: " + why);
	}
	if (const char *t = getenv("V4L2EMU_CONTROL_TAMPER")) {
		std::vector<ControlTamper> rules;
		std::string msg;
		if (parseControlTamper(t, &rules, &msg))
			return fail("V4L2EMU_CONTROL_TAMPER: " + msg);
		o.controlTamper = t;
	}
	if (const char *d = getenv("V4L2EMU_DEV_DIR")) {
		if (!*d || d[0] != '/')
			return fail("V4L2EMU_DEV_DIR='" + std::string(d) + "': expected an absolute path");
		o.devDir = d;
	}
	*options = o;
	return 0;
}

const std::string &Board::name() const { return impl_->name(); }
const BoardOptions &Board::options() const { return impl_->options(); }
DeviceIo &Board::io() { return impl_->io(); }

std::vector<NodeDescription> Board::nodes() const
{
	std::vector<NodeDescription> out;
	for (auto &d : impl_->devices()) {
		NodeDescription n;
		n.device = d->name();
		n.driver = d->video().driver().driverName();
		n.mediaPath = d->path();
		n.videoPath = d->video().path();
		n.mediaMajor = d->major();
		n.mediaMinor = d->minor();
		n.videoMajor = d->video().major();
		n.videoMinor = d->video().minor();
		out.push_back(n);
	}
	return out;
}

void Board::setFaults(const FaultPlan &plan) { impl_->setFaults(plan); }

int Board::unplug(std::string_view device)
{
	MediaDevice *d = impl_->findDevice(device);
	if (!d)
		return -ENODEV;
	std::lock_guard<std::mutex> lk(d->lock());
	d->unplug();
	return 0;
}

std::vector<Diagnostic> Board::diagnostics() const { return impl_->diagnostics(); }
uint64_t Board::diagnosticsDropped() const { return impl_->diagnosticsDropped(); }
void Board::clearDiagnostics() { impl_->clearDiagnostics(); }
std::vector<DecodedFrame> Board::decodedFrames() const { return impl_->decodedFrames(); }

BoardStats Board::stats() const
{
	BoardStats s;
	for (auto &d : impl_->devices()) {
		DeviceStats ds;
		ds.name = d->name();
		ds.ioctls = d->ioctlCount.load();
		{
			std::lock_guard<std::mutex> lk(d->lock());
			ds.jobs = d->jobCount;
		}
		ds.openContexts = d->liveContexts.load();
		ds.liveRequests = d->liveRequests.load();
		ds.liveBuffers = d->liveBuffers.load();
		s.devices.push_back(ds);
	}
	s.openFds = impl_->openFds();
	s.liveMappings = impl_->liveMappings();
	s.liveMemory = PlaneMemory::liveCount.load();
	return s;
}

bool Board::ownsFd(int fd) const { return impl_->file(fd) != nullptr; }

} // namespace v4l2emu
