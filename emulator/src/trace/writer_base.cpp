// SPDX-License-Identifier: MIT
#include "writer_base.h"

#include "core/usercopy.h"

#include <sys/ioctl.h>

#include <algorithm>

namespace v4l2emu::trace {

namespace {

constexpr uint64_t kDstQueueOffBase = 1ull << 30;	// M2M: DST_QUEUE_OFF_BASE
constexpr unsigned kPageShift = 12;

OpenFile::Kind kindOfPath(const char *path)
{
	std::string_view p(path ? path : "");
	size_t slash = p.rfind('/');
	std::string_view base = slash == std::string_view::npos ? p : p.substr(slash + 1);
	if (base.substr(0, 5) == "video")
		return OpenFile::Kind::Video;
	if (base.substr(0, 5) == "media")
		return OpenFile::Kind::Media;
	return OpenFile::Kind::Other;
}

const char *prefixOf(OpenFile::Kind kind)
{
	switch (kind) {
	case OpenFile::Kind::Video: return "vid";
	case OpenFile::Kind::Media: return "med";
	case OpenFile::Kind::Request: return "req";
	case OpenFile::Kind::Dmabuf: return "dmabuf";
	case OpenFile::Kind::Other: return "file";
	}
	return "file";
}

} // namespace

PlaneId planeFromCookie(const std::string &video, uint64_t offset)
{
	PlaneId id;
	id.video = video;
	id.capture = offset >= kDstQueueOffBase;
	uint64_t off = id.capture ? offset - kDstQueueOffBase : offset;
	id.index = static_cast<uint32_t>(off >> (kPageShift + 3));
	id.plane = static_cast<uint32_t>((off >> kPageShift) & 7);
	return id;
}

uint64_t cookieFromPlane(const PlaneId &id)
{
	uint64_t off = static_cast<uint64_t>(id.index) << (kPageShift + 3) |
		       static_cast<uint64_t>(id.plane) << kPageShift;
	return id.capture ? off + kDstQueueOffBase : off;
}

WriterBase::WriterBase(const TraceWriterOptions &options, FILE *file)
	: options_(options), file_(file), start_(std::chrono::steady_clock::now())
{
}

WriterBase::~WriterBase()
{
	if (file_)
		fclose(file_);
}

void WriterBase::writeLine(const std::string &line)
{
	fwrite(line.data(), 1, line.size(), file_);
	fputc('\n', file_);
}

void WriterBase::flush()
{
	std::lock_guard<std::mutex> lk(lock_);
	fflush(file_);
}

double WriterBase::elapsed() const
{
	return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

const OpenFile *WriterBase::file(int fd) const
{
	auto it = files_.find(fd);
	return it == files_.end() ? nullptr : &it->second;
}

std::string WriterBase::handleOf(int fd) const
{
	const OpenFile *f = file(fd);
	if (f)
		return f->handle;
	return "fd" + std::to_string(fd);	// never born in this run: inherited or foreign
}

const OpenFile &WriterBase::bind(int fd, OpenFile::Kind kind, std::string path, PlaneId dmabufOf)
{
	OpenFile f;
	const char *prefix = prefixOf(kind);
	f.handle = prefix + std::to_string(counters_[prefix]++);
	f.path = std::move(path);
	f.kind = kind;
	f.dmabufOf = std::move(dmabufOf);
	return files_[fd] = std::move(f);
}

const Mapping *WriterBase::mappingAt(uintptr_t addr) const
{
	auto it = mappings_.upper_bound(addr);
	if (it == mappings_.begin())
		return nullptr;
	--it;
	if (addr >= it->first + it->second.length)
		return nullptr;
	return &it->second;
}

const Mapping *WriterBase::mappingOf(const PlaneId &plane) const
{
	for (const auto &[addr, m] : mappings_)
		if (m.known && m.plane == plane)
			return &m;
	return nullptr;
}

uintptr_t WriterBase::beforeCall(const CallRecord &call)
{
	if (call.kind != CallKind::Ioctl)
		return 0;
	auto *p = new PendingCall;
	p->beforeValid = p->before.capture(call.request, call.arg);
	if (!p->beforeValid || p->before.kind() != ArgKind::Buffer || call.request != VIDIOC_QBUF)
		return reinterpret_cast<uintptr_t>(p);
	// OUTPUT bitstream: what the caller wrote into the mapped planes, up to bytesused.
	const auto &b = p->before.as<struct v4l2_buffer>();
	if (!isOutputType(b.type) || b.memory != V4L2_MEMORY_MMAP)
		return reinterpret_cast<uintptr_t>(p);
	std::lock_guard<std::mutex> lk(lock_);
	const OpenFile *f = file(call.fd);
	if (!f)
		return reinterpret_cast<uintptr_t>(p);
	size_t planes = isMplaneType(b.type) ? p->before.planes.size() : 1;
	for (size_t i = 0; i < planes; i++) {
		uint32_t used = isMplaneType(b.type) ? p->before.planes[i].bytesused : b.bytesused;
		const Mapping *m = mappingOf({f->handle, false, b.index, static_cast<uint32_t>(i)});
		if (!m || !used)
			continue;
		std::string bytes(std::min<size_t>(used, m->length), '\0');
		if (copyFromUser(bytes.data(), reinterpret_cast<const void *>(m->addr), bytes.size()))
			continue;
		p->data.push_back({static_cast<uint32_t>(i), std::move(bytes)});
	}
	return reinterpret_cast<uintptr_t>(p);
}

void WriterBase::trackBirths(const CallRecord &call, const IoctlPayload *after)
{
	switch (call.kind) {
	case CallKind::Open:
		if (call.result >= 0)
			bind(call.result, kindOfPath(call.path), call.path ? call.path : "");
		break;
	case CallKind::Ioctl:
		if (call.result < 0 || !after || after->top.empty())
			break;
		if (call.request == MEDIA_IOC_REQUEST_ALLOC) {
			bind(after->as<int32_t>(), OpenFile::Kind::Request, "anon_inode:request");
		} else if (call.request == VIDIOC_EXPBUF) {
			const auto &e = after->as<struct v4l2_exportbuffer>();
			PlaneId id{handleOf(call.fd), !isOutputType(e.type), e.index, e.plane};
			bind(e.fd, OpenFile::Kind::Dmabuf, "anon_inode:dmabuf", id);
		}
		break;
	case CallKind::Mmap: {
		if (call.result < 0 || !call.mapped)
			break;
		Mapping m;
		m.addr = reinterpret_cast<uintptr_t>(call.mapped);
		m.length = call.length;
		const OpenFile *f = file(call.fd);
		m.handle = "map" + std::to_string(counters_["map"]++);
		if (f && f->kind == OpenFile::Kind::Video) {
			m.plane = planeFromCookie(f->handle, static_cast<uint64_t>(call.offset));
			m.known = true;
		} else if (f && f->kind == OpenFile::Kind::Dmabuf) {
			m.plane = f->dmabufOf;
			m.known = true;
		}
		mappings_[m.addr] = std::move(m);
		break;
	}
	default:
		break;
	}
}

void WriterBase::trackDeaths(const CallRecord &call)
{
	if (call.kind == CallKind::Close && call.result == 0) {
		files_.erase(call.fd);
	} else if (call.kind == CallKind::Munmap && call.result == 0) {
		// Whole mappings only: a partial unmap keeps the entry (its start still names it).
		auto it = mappings_.find(reinterpret_cast<uintptr_t>(call.addr));
		if (it != mappings_.end() && call.length >= it->second.length)
			mappings_.erase(it);
	}
}

void WriterBase::onFaults(const std::string &plan)
{
	std::lock_guard<std::mutex> lk(lock_);
	emitFaults(plan);
}

void WriterBase::onCall(const CallRecord &call)
{
	std::unique_ptr<PendingCall> pending(reinterpret_cast<PendingCall *>(call.state));
	IoctlPayload after;
	bool afterValid = false;
	if (call.kind == CallKind::Ioctl)
		afterValid = after.capture(call.request, call.arg, pending ? &pending->before : nullptr);
	std::lock_guard<std::mutex> lk(lock_);
	seq_++;
	trackBirths(call, afterValid ? &after : nullptr);
	emit(call, pending.get(), afterValid ? &after : nullptr);
	trackDeaths(call);
}

} // namespace v4l2emu::trace
