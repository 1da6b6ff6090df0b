// SPDX-License-Identifier: MIT
// Consumer run parameters: their corpus line, the generator, and the case runner.
#include "consumers.h"

#include "support/corpus.h"

#include <map>

namespace props::va {

const char *toString(Consumer c)
{
	switch (c) {
	case Consumer::Ff51: return "ff51";
	case Consumer::Ffm: return "ffm";
	case Consumer::Mpv: return "mpv";
	case Consumer::GstVa: return "gstva";
	case Consumer::Chromium: return "chromium";
	case Consumer::Kodi: return "kodi";
	case Consumer::GstVaapi: return "gstvaapi";
	case Consumer::LibvaUtils: return "libva-utils";
	}
	return "?";
}

namespace {

const Readback kReadbacks[] = { Readback::GetImage, Readback::DeriveImage, Readback::Export,
				Readback::ExportBeforeSync };

std::optional<unsigned> number(const std::string &s)
{
	if (s.empty() || s.size() > 6 || s.find_first_not_of("0123456789") != std::string::npos)
		return std::nullopt;
	return static_cast<unsigned>(std::stoul(s));
}

bool size(const std::string &s, uint32_t *w, uint32_t *h)
{
	const size_t x = s.find('x');
	auto a = x == std::string::npos ? std::nullopt : number(s.substr(0, x));
	auto b = x == std::string::npos ? std::nullopt : number(s.substr(x + 1));
	if (!a || !b)
		return false;
	*w = *a;
	*h = *b;
	return true;
}

/// The readbacks each consumer uses (consumer-patterns.md §9, "readback" and "export").
std::vector<Readback> readbacksOf(Consumer c)
{
	switch (c) {
	case Consumer::Ff51:
		return { Readback::GetImage, Readback::ExportBeforeSync }; // download, hwmap
	case Consumer::Ffm: return { Readback::GetImage, Readback::Export };
	case Consumer::Mpv:
		return { Readback::ExportBeforeSync, Readback::GetImage }; // VO, vaapi-copy
	case Consumer::GstVa: return { Readback::DeriveImage, Readback::Export }; // sysmem, dmabuf
	case Consumer::Chromium: return { Readback::Export };
	case Consumer::Kodi: return { Readback::ExportBeforeSync };
	case Consumer::GstVaapi: return { Readback::DeriveImage, Readback::GetImage };
	case Consumer::LibvaUtils: return { Readback::GetImage };
	}
	return { Readback::GetImage };
}

bool resizes(Consumer c)
{
	return c == Consumer::Ff51 || c == Consumer::Ffm || c == Consumer::Chromium ||
	       c == Consumer::GstVaapi;
}

rc::Gen<std::string> genFaultPlan(const std::string &codec)
{
	const std::string device = codec == "h264" ? "rkvdec" : "hantro-vpu";
	return rc::gen::exec([device] {
		// Unplugs are rarer: every sync of a picture in flight then waits for the driver's timeout.
		const int kind =
			*rc::gen::weightedElement<int>({ { 12, 0 }, { 4, 1 }, { 1, 2 }, { 2, 3 } });
		switch (kind) {
		case 0: {
			static const std::vector<std::string> ioctls = { "VIDIOC_QBUF",
									 "VIDIOC_DQBUF",
									 "VIDIOC_S_EXT_CTRLS",
									 "MEDIA_REQUEST_IOC_QUEUE",
									 "MEDIA_REQUEST_IOC_REINIT",
									 "VIDIOC_CREATE_BUFS",
									 "VIDIOC_REQBUFS",
									 "VIDIOC_STREAMON",
									 "VIDIOC_EXPBUF",
									 "MEDIA_IOC_REQUEST_ALLOC",
									 "VIDIOC_S_FMT" };
			static const std::vector<std::string> errnos = { "EIO", "ENOMEM", "EBUSY",
									 "EINVAL", "ENODEV" };
			const std::string ioctl = *rc::gen::elementOf(ioctls);
			const unsigned nth = *rc::gen::inRange(1u, 7u);
			const std::string err = *rc::gen::elementOf(errnos);
			return std::string("ioctl=") + ioctl + ",nth=" + std::to_string(nth) +
			       ",errno=" + err + ",device=" + device;
		}
		case 1:
			return "decode=error,nth=" + std::to_string(*rc::gen::inRange(1u, 4u)) +
			       ",device=" + device;
		case 2:
			return "unplug=" + device +
			       ",after=" + std::to_string(*rc::gen::inRange(0u, 25u));
		default:
			return "nomem=1,nth=" + std::to_string(*rc::gen::inRange(1u, 5u)) +
			       ",device=" + device;
		}
	});
}

} // namespace

std::string ConsumerParams::line() const
{
	std::string s = std::string(toString(consumer)) + " codec=" + codec +
			" size=" + std::to_string(width) + "x" + std::to_string(height) +
			" frames=" + std::to_string(frames) + " readback=" + toString(readback) +
			" reader=" + (readerThread ? "1" : "0") +
			" sched=" + (threadedScheduler ? "threaded" : "deterministic") +
			" lag=" + std::to_string(lag) + " extra=" + std::to_string(extraSurfaces);
	if (width2)
		s += " resize=" + std::to_string(width2) + "x" + std::to_string(height2);
	if (!faults.empty())
		s += " faults=" + faults + " fault_at=" + std::to_string(faultAt);
	return s;
}

std::optional<ConsumerParams> ConsumerParams::parse(const std::string &line, std::string *error)
{
	std::vector<std::string> t = tokens(line);
	ConsumerParams p;
	bool found = false;
	for (Consumer c : kConsumers)
		if (!t.empty() && t[0] == toString(c)) {
			p.consumer = c;
			found = true;
		}
	if (!found) {
		*error = "unknown consumer";
		return std::nullopt;
	}
	for (size_t i = 1; i < t.size(); i++) {
		const size_t eq = t[i].find('=');
		const std::string key = t[i].substr(0, eq),
				  value = eq == std::string::npos ? "" : t[i].substr(eq + 1);
		bool ok = true;
		if (key == "codec") {
			p.codec = value;
			ok = value == "mpeg2" || value == "h264";
		} else if (key == "size") {
			ok = size(value, &p.width, &p.height);
		} else if (key == "resize") {
			ok = size(value, &p.width2, &p.height2);
		} else if (key == "frames" || key == "lag" || key == "extra" || key == "fault_at") {
			auto n = number(value);
			ok = n.has_value();
			(key == "frames"  ? p.frames
			 : key == "lag"   ? p.lag
			 : key == "extra" ? p.extraSurfaces
					  : p.faultAt) = n.value_or(0);
		} else if (key == "readback") {
			ok = false;
			for (Readback r : kReadbacks)
				if (value == toString(r)) {
					p.readback = r;
					ok = true;
				}
		} else if (key == "reader") {
			p.readerThread = value == "1";
			ok = value == "0" || value == "1";
		} else if (key == "sched") {
			p.threadedScheduler = value == "threaded";
			ok = value == "threaded" || value == "deterministic";
		} else if (key == "faults") {
			p.faults = value;
		} else {
			ok = false;
		}
		if (!ok) {
			*error = "bad field " + t[i];
			return std::nullopt;
		}
	}
	return p;
}

rc::Gen<ConsumerParams> genConsumerParams(Consumer consumer, bool withFaults)
{
	return rc::gen::exec([consumer, withFaults] {
		ConsumerParams p;
		p.consumer = consumer;
		p.codec = *rc::gen::element<std::string>("mpeg2", "h264");
		// Inside both decoders' limits (hantro MPEG-2 48.., rkvdec H.264 64..), small enough
		// for sanitizer builds.
		p.width = 16 * *rc::gen::inRange(4u, 23u);
		p.height = 16 * *rc::gen::inRange(4u, 19u);
		p.frames = *rc::gen::inRange(1u, 13u);
		p.readback = *rc::gen::elementOf(readbacksOf(consumer));
		p.readerThread = *rc::gen::weightedElement<bool>({ { 2, false }, { 1, true } });
		p.threadedScheduler =
			*rc::gen::weightedElement<bool>({ { 3, false }, { 1, true } });
		p.lag = *rc::gen::inRange(1u, 5u);
		p.extraSurfaces = *rc::gen::inRange(0u, 3u);
		if (resizes(consumer) &&
		    *rc::gen::weightedElement<bool>({ { 2, false }, { 1, true } })) {
			p.width2 = 16 * *rc::gen::inRange(4u, 23u);
			p.height2 = 16 * *rc::gen::inRange(4u, 19u);
		}
		if (withFaults) {
			p.faults = *genFaultPlan(p.codec);
			p.faultAt = *rc::gen::inRange(0u, p.frames);
			p.frames = std::max(p.frames,
					    p.faultAt + 4); // frames after the window recover
		}
		return p;
	});
}

std::string runConsumerCase(const ConsumerParams &p, const std::string &saveAs)
{
	std::string text;
	{
		VaRun run(p.threadedScheduler);
		if (!run.ready())
			return "the driver did not initialise on the emulated board";
		runConsumer(run, p);
		run.finish();
		text = run.failureText();
	}
	if (!text.empty() && !saveAs.empty())
		writeCounterexample(saveAs, "va-consumer", { p.line() }, text);
	return text;
}

} // namespace props::va
