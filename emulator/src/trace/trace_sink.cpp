// SPDX-License-Identifier: MIT
// Trace sinks on a board: Board::setTraceSink, the writers named by V4L2EMU_TRACE, and a tee.
#include "digest.h"
#include "native_format.h"

#include "core/board_impl.h"

#include <mutex>
#include <set>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace v4l2emu {

const char *toString(CallKind kind)
{
	switch (kind) {
	case CallKind::Open: return "open";
	case CallKind::Close: return "close";
	case CallKind::Ioctl: return "ioctl";
	case CallKind::Mmap: return "mmap";
	case CallKind::Munmap: return "munmap";
	case CallKind::Poll: return "poll";
	}
	return "?";
}

std::string TraceValue::toString() const
{
	if (kind == Kind::Int) {
		int64_t s = static_cast<int64_t>(number);
		if (s < 0 && s > -65536)
			return std::to_string(s);
		if (number <= 0xffff)
			return std::to_string(number);
		char buf[24];
		snprintf(buf, sizeof(buf), "%#llx", static_cast<unsigned long long>(number));
		return buf;
	}
	std::string out = trace::straceQuote(bytes, trace::StringStyle::HexNonAscii);
	if (out.size() > 80)
		out = out.substr(0, 76) + "\"...";
	return truncated ? out + "..." : out;
}

namespace {

class TeeSink final : public TraceSink {
public:
	explicit TeeSink(std::vector<std::shared_ptr<TraceSink>> sinks) : sinks_(std::move(sinks)) {}
	uintptr_t beforeCall(const CallRecord &call) override
	{
		// Each sink gets back what it returned: the states live in one array.
		auto *states = new uintptr_t[sinks_.size()];
		for (size_t i = 0; i < sinks_.size(); i++)
			states[i] = sinks_[i]->beforeCall(call);
		return reinterpret_cast<uintptr_t>(states);
	}
	void onCall(const CallRecord &call) override
	{
		std::unique_ptr<uintptr_t[]> states(reinterpret_cast<uintptr_t *>(call.state));
		CallRecord each = call;
		for (size_t i = 0; i < sinks_.size(); i++) {
			each.state = states ? states[i] : 0;
			sinks_[i]->onCall(each);
		}
	}
	void onFaults(const std::string &plan) override
	{
		for (auto &s : sinks_)
			s->onFaults(plan);
	}
	void flush() override
	{
		for (auto &s : sinks_)
			s->flush();
	}

private:
	std::vector<std::shared_ptr<TraceSink>> sinks_;
};

bool parseOne(std::string_view text, TraceWriterOptions *o, std::string *error)
{
	size_t comma = text.find(',');
	o->path = std::string(text.substr(0, comma));
	if (o->path.empty()) {
		*error = "empty trace path";
		return false;
	}
	while (comma != std::string_view::npos) {
		text = text.substr(comma + 1);
		comma = text.find(',');
		std::string_view kv = text.substr(0, comma);
		size_t eq = kv.find('=');
		std::string_view key = kv.substr(0, eq);
		std::string_view value = eq == std::string_view::npos ? "" : kv.substr(eq + 1);
		if (key == "format" && value == "native") {
			o->format = TraceFormat::Native;
		} else if (key == "format" && value == "strace") {
			o->format = TraceFormat::Strace;
		} else if (key == "version" && (value == "6.1" || value == "7.2")) {
			o->straceVersion = value == "6.1" ? 61 : 72;
		} else if (key == "constants" && value == "abbrev") {
			o->straceConstants = TraceWriterOptions::Constants::Abbrev;
		} else if (key == "constants" && value == "verbose") {
			o->straceConstants = TraceWriterOptions::Constants::Verbose;
		} else if (key == "constants" && value == "raw") {
			o->straceConstants = TraceWriterOptions::Constants::Raw;
		} else if (key == "x" && value.size() == 1 && value[0] >= '0' && value[0] <= '2') {
			o->straceHexStrings = static_cast<unsigned>(value[0] - '0');
		} else if (key == "timestamps" && (value == "0" || value == "1")) {
			o->timestamps = value == "1";
		} else {
			*error = "'" + std::string(kv) +
				 "': expected format=native|strace, version=6.1|7.2, "
				 "constants=abbrev|verbose|raw, x=0|1|2 or timestamps=0|1";
			return false;
		}
	}
	return true;
}

// Paths the writers of this process are writing: a second board traced through the same
// V4L2EMU_TRACE path while the first lives writes path.2, and so on.
std::mutex pathLock;
std::set<std::string> pathsInUse;

std::string claimPath(const std::string &path)
{
	std::lock_guard<std::mutex> lk(pathLock);
	std::string p = path;
	for (unsigned n = 2; pathsInUse.count(p); n++)
		p = path + "." + std::to_string(n);
	pathsInUse.insert(p);
	return p;
}

/// A board's writer: gives its path back when it goes.
class ClaimedSink final : public TraceSink {
public:
	ClaimedSink(std::shared_ptr<TraceSink> sink, std::string path)
		: sink_(std::move(sink)), path_(std::move(path))
	{
	}
	~ClaimedSink() override
	{
		sink_.reset();	// closes the file first
		std::lock_guard<std::mutex> lk(pathLock);
		pathsInUse.erase(path_);
	}
	uintptr_t beforeCall(const CallRecord &call) override { return sink_->beforeCall(call); }
	void onCall(const CallRecord &call) override { sink_->onCall(call); }
	void onFaults(const std::string &plan) override { sink_->onFaults(plan); }
	void flush() override { sink_->flush(); }
	bool valid() const { return sink_ != nullptr; }

private:
	std::shared_ptr<TraceSink> sink_;
	std::string path_;
};

} // namespace

int parseTraceSpec(std::string_view spec, std::vector<TraceWriterOptions> *out, std::string *error)
{
	std::vector<TraceWriterOptions> result;
	std::string msg;
	while (!spec.empty()) {
		size_t semi = spec.find(';');
		TraceWriterOptions o;
		if (!parseOne(spec.substr(0, semi), &o, &msg)) {
			if (error)
				*error = msg;
			return -EINVAL;
		}
		result.push_back(std::move(o));
		spec = semi == std::string_view::npos ? std::string_view() : spec.substr(semi + 1);
	}
	if (result.empty()) {
		if (error)
			*error = "no trace path";
		return -EINVAL;
	}
	*out = std::move(result);
	return 0;
}

std::shared_ptr<TraceSink> makeTraceWriter(const TraceWriterOptions &options, std::string *error)
{
	FILE *f = fopen(options.path.c_str(), "w");
	if (!f) {
		if (error)
			*error = options.path + ": " + strerror(errno);
		return nullptr;
	}
	// One write per call: a run that crashes (the iter5b stale pointer) keeps its trace up to
	// the crash.
	setvbuf(f, nullptr, _IOLBF, 1 << 16);
	return options.format == TraceFormat::Native ? trace::makeNativeWriter(options, f)
						     : trace::makeStraceWriter(options, f);
}

std::shared_ptr<TraceSink> makeTeeSink(std::vector<std::shared_ptr<TraceSink>> sinks)
{
	return std::make_shared<TeeSink>(std::move(sinks));
}

void BoardImpl::setTraceSink(std::shared_ptr<TraceSink> sink)
{
	std::lock_guard<std::mutex> lk(sinkLock_);
	if (currentSink_)
		retiredSinks_.push_back(currentSink_);
	currentSink_ = std::move(sink);
	traceSink_.store(currentSink_.get(), std::memory_order_release);
}

std::shared_ptr<TraceSink> BoardImpl::sharedTraceSink() const
{
	std::lock_guard<std::mutex> lk(sinkLock_);
	return currentSink_;
}

void BoardImpl::installTraceFromOptions()
{
	if (options_.trace.empty())
		return;
	std::vector<TraceWriterOptions> writers;
	std::string error;
	if (parseTraceSpec(options_.trace, &writers, &error)) {
		fprintf(stderr, "v4l2emu: V4L2EMU_TRACE: %s\n", error.c_str());
		return;
	}
	std::vector<std::shared_ptr<TraceSink>> sinks;
	for (TraceWriterOptions &w : writers) {
		w.path = claimPath(w.path);
		w.board = name_;
		w.kernel = options_.kernel;
		w.faults = options_.faults.toString();
		std::shared_ptr<TraceSink> s = makeTraceWriter(w, &error);
		// The claim goes with the writer (or now, if there is none).
		auto claimed = std::make_shared<ClaimedSink>(std::move(s), w.path);
		if (!claimed->valid()) {
			fprintf(stderr, "v4l2emu: V4L2EMU_TRACE: %s\n", error.c_str());
			continue;
		}
		sinks.push_back(std::move(claimed));
	}
	if (sinks.size() == 1)
		setTraceSink(std::move(sinks[0]));
	else if (!sinks.empty())
		setTraceSink(makeTeeSink(std::move(sinks)));
}

void Board::setTraceSink(std::shared_ptr<TraceSink> sink) { impl_->setTraceSink(std::move(sink)); }

std::shared_ptr<TraceSink> Board::traceSink() const { return impl_->sharedTraceSink(); }

} // namespace v4l2emu
