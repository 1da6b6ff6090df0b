// SPDX-License-Identifier: MIT
// The text form of fault plans (see fault_plan.h).
#include <v4l2emu/fault_plan.h>
#include <v4l2emu/ioctl_names.h>

#include <cerrno>
#include <cstdlib>
#include <sstream>

namespace v4l2emu {

namespace {

std::vector<std::string_view> split(std::string_view s, char sep)
{
	std::vector<std::string_view> out;
	size_t start = 0;
	while (start <= s.size()) {
		size_t end = s.find(sep, start);
		if (end == std::string_view::npos)
			end = s.size();
		out.push_back(s.substr(start, end - start));
		start = end + 1;
	}
	return out;
}

std::string_view trim(std::string_view s)
{
	while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n'))
		s.remove_prefix(1);
	while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n'))
		s.remove_suffix(1);
	return s;
}

bool parseNumber(std::string_view s, uint64_t *out)
{
	if (s.empty() || s.size() > 19)
		return false;
	uint64_t v = 0;
	for (char c : s) {
		if (c < '0' || c > '9')
			return false;
		v = v * 10 + static_cast<uint64_t>(c - '0');
	}
	*out = v;
	return true;
}

} // namespace

int FaultPlan::parse(std::string_view text, FaultPlan *out, std::string *error)
{
	FaultPlan plan;
	auto fail = [&](std::string_view rule, const std::string &why) {
		if (error)
			*error = "fault rule '" + std::string(rule) + "': " + why;
		return -EINVAL;
	};
	for (std::string_view rawRule : split(text, ';')) {
		std::string_view rule = trim(rawRule);
		if (rule.empty())
			continue;
		std::vector<std::pair<std::string_view, std::string_view>> fields;
		for (std::string_view f : split(rule, ',')) {
			f = trim(f);
			size_t eq = f.find('=');
			if (eq == std::string_view::npos || eq == 0)
				return fail(rule, "expected key=value, got '" + std::string(f) + "'");
			fields.emplace_back(trim(f.substr(0, eq)), trim(f.substr(eq + 1)));
		}
		std::string_view kind = fields[0].first, arg = fields[0].second;
		uint64_t nth = 1, count = 1, after = 0;
		int err = 0;
		std::string device;
		bool haveErrno = false;
		for (size_t i = 1; i < fields.size(); i++) {
			auto [k, v] = fields[i];
			if (k == "nth" || k == "count" || k == "after") {
				uint64_t n;
				if (!parseNumber(v, &n))
					return fail(rule, std::string(k) + " needs a whole number, got '" +
								  std::string(v) + "'");
				if (k == "nth") {
					if (n == 0)
						return fail(rule, "nth counts from 1");
					nth = n;
				} else if (k == "count") {
					count = n;
				} else {
					after = n;
				}
			} else if (k == "errno") {
				uint64_t n;
				if (parseNumber(v, &n) && n > 0 && n < 4096)
					err = static_cast<int>(n);
				else
					err = errnoByName(v);
				if (!err)
					return fail(rule, "unknown errno '" + std::string(v) + "'");
				haveErrno = true;
			} else if (k == "device") {
				if (v.empty())
					return fail(rule, "device needs a name");
				device = v;
			} else {
				return fail(rule, "unknown key '" + std::string(k) + "'");
			}
		}
		auto allowOnly = [&](std::initializer_list<std::string_view> keys) -> std::string {
			for (size_t i = 1; i < fields.size(); i++) {
				bool ok = false;
				for (std::string_view k : keys)
					ok |= fields[i].first == k;
				if (!ok)
					return "'" + std::string(fields[i].first) + "' does not apply to " +
					       std::string(kind);
			}
			return {};
		};
		if (kind == "ioctl") {
			if (auto e = allowOnly({"nth", "count", "errno", "device"}); !e.empty())
				return fail(rule, e);
			unsigned long request = ioctlByName(arg);
			if (!request)
				return fail(rule, "unknown ioctl '" + std::string(arg) + "'");
			if (!haveErrno)
				return fail(rule, "ioctl faults need errno=");
			plan.ioctls.push_back({device, request, nth, count, err});
		} else if (kind == "decode") {
			if (auto e = allowOnly({"nth", "device"}); !e.empty())
				return fail(rule, e);
			DecodeFaultKind k;
			if (arg == "error")
				k = DecodeFaultKind::Error;
			else if (arg == "hang")
				k = DecodeFaultKind::Hang;
			else
				return fail(rule, "decode= takes error or hang");
			plan.decodes.push_back({device, k, nth});
		} else if (kind == "unplug") {
			if (auto e = allowOnly({"after"}); !e.empty())
				return fail(rule, e);
			if (arg.empty())
				return fail(rule, "unplug= needs a device name");
			plan.unplugs.push_back({std::string(arg), after});
		} else if (kind == "nomem") {
			if (auto e = allowOnly({"nth", "count", "device"}); !e.empty())
				return fail(rule, e);
			if (arg != "1")
				return fail(rule, "nomem takes the value 1");
			plan.memory.push_back({device, nth, count});
		} else {
			return fail(rule, "unknown fault kind '" + std::string(kind) +
						  "' (ioctl, decode, unplug, nomem)");
		}
	}
	*out = std::move(plan);
	return 0;
}

std::string FaultPlan::toString() const
{
	std::ostringstream s;
	const char *sep = "";
	auto deviceField = [](const std::string &d) { return d.empty() ? std::string() : ",device=" + d; };
	for (const IoctlFault &f : ioctls) {
		const char *name = ioctlName(f.request);
		const char *err = errnoName(f.error);
		s << sep << "ioctl=" << (name ? name : "?") << ",nth=" << f.nth << ",count=" << f.count
		  << ",errno=" << (err ? std::string(err) : std::to_string(f.error)) << deviceField(f.device);
		sep = ";";
	}
	for (const DecodeFault &f : decodes) {
		s << sep << "decode=" << (f.kind == DecodeFaultKind::Error ? "error" : "hang")
		  << ",nth=" << f.nth << deviceField(f.device);
		sep = ";";
	}
	for (const UnplugFault &f : unplugs) {
		s << sep << "unplug=" << f.device << ",after=" << f.after;
		sep = ";";
	}
	for (const MemoryFault &f : memory) {
		s << sep << "nomem=1,nth=" << f.nth << ",count=" << f.count << deviceField(f.device);
		sep = ";";
	}
	return s.str();
}

} // namespace v4l2emu
