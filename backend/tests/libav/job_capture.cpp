// SPDX-License-Identifier: MIT
#include "job_capture.h"

#include "libav_vaapi_decoder.h"

#include "trace/ioctl_args.h"

#include <v4l2emu/trace.h>

#include <linux/media.h>
#include <linux/videodev2.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace v4l2va::test {

const void *CapturedControls::get(uint32_t id, uint32_t *elems) const
{
	auto it = values_.find(id);
	if (it == values_.end())
		return nullptr;
	if (elems) {
		const v4l2emu::ControlDef *def = v4l2emu::standardControl(id);
		uint32_t size = def && def->elemSize ? def->elemSize : 4;
		*elems = static_cast<uint32_t>(it->second.size() / size);
	}
	return it->second.data();
}

namespace {

using Values = std::map<uint32_t, std::string>;

/// The controls of an S_EXT_CTRLS argument as id -> bytes.
void controlsOf(const v4l2emu::IoctlPayload &p, Values *out)
{
	for (size_t i = 0; i < p.controls.size(); i++) {
		const struct v4l2_ext_control &c = p.controls[i];
		if (c.size && i < p.payloads.size())
			(*out)[c.id] = p.payloads[i];
		else
			(*out)[c.id] = std::string(reinterpret_cast<const char *>(&c.value64), 8);
	}
}

const v4l2emu::TraceCall::FdRef *requestRef(const v4l2emu::TraceCall &c)
{
	for (const auto &r : c.fdRefs)
		if (r.field == "request_fd")
			return &r;
	return nullptr;
}

struct PendingRequest {
	std::string device;
	Values controls;
	std::string bitstream;
};

} // namespace

bool captureJobs(const std::string &file, const std::string &driverDir,
		 std::vector<CapturedJob> *jobs, std::string *error)
{
	char dir[] = "/tmp/v4l2va-rebuild-XXXXXX";
	if (!mkdtemp(dir)) {
		*error = "mkdtemp failed";
		return false;
	}
	const std::string tracePath = std::string(dir) + "/trace.jsonl";
	setenv("V4L2VA_EMULATED_BOARD", "fresnel", 1);
	setenv("V4L2EMU_TRACE", (tracePath + ",format=native").c_str(), 1);
	bool decoded;
	{
		LibavDecoderOptions options;
		options.driversPath = driverDir;
		options.threads = 1;	// jobs queued in decode order, one at a time
		LibavVaapiDecoder decoder(options);
		decoded = decoder.open(file) &&
			  decoder.decodeAll([](const DecodedPicture &) { return true; });
		if (!decoded)
			*error = decoder.error();
	}	// the board and its trace writer go with the VA display
	unsetenv("V4L2EMU_TRACE");

	v4l2emu::Trace trace;
	int ret = decoded ? v4l2emu::readTraceFile(tracePath, {}, &trace) : 0;
	std::filesystem::remove_all(dir);
	if (!decoded)
		return false;
	if (ret < 0) {
		*error = "reading the trace: " + std::string(strerror(-ret));
		return false;
	}

	std::map<std::string, Values> current;		// per video node handle
	std::map<std::string, PendingRequest> pending;	// per request handle
	for (const v4l2emu::TraceCall &c : trace.calls) {
		if (c.kind != v4l2emu::CallKind::Ioctl || c.error || !c.payload)
			continue;
		const v4l2emu::IoctlPayload &p = *c.payload;
		if (c.request == VIDIOC_S_EXT_CTRLS) {
			const auto &ext = p.as<struct v4l2_ext_controls>();
			if (ext.which == V4L2_CTRL_WHICH_REQUEST_VAL) {
				const auto *ref = requestRef(c);
				if (!ref)
					continue;
				PendingRequest &r = pending[ref->handle];
				r.device = c.handle;
				controlsOf(p, &r.controls);
			} else {
				controlsOf(p, &current[c.handle]);
			}
		} else if (c.request == VIDIOC_QBUF) {
			const auto &b = p.as<struct v4l2_buffer>();
			const auto *ref = requestRef(c);
			if (!v4l2emu::isOutputType(b.type) || !(b.flags & V4L2_BUF_FLAG_REQUEST_FD) ||
			    !ref)
				continue;
			PendingRequest &r = pending[ref->handle];
			r.device = c.handle;
			for (const auto &d : c.planeData)
				if (d.plane == 0)
					r.bitstream = d.bytes;
		} else if (c.request == MEDIA_REQUEST_IOC_QUEUE) {
			auto it = pending.find(c.handle);
			if (it == pending.end())
				continue;
			Values &values = current[it->second.device];
			for (auto &[id, bytes] : it->second.controls)
				values[id] = bytes;
			jobs->push_back({it->second.device, values, it->second.bitstream});
			pending.erase(it);
		} else if (c.request == MEDIA_REQUEST_IOC_REINIT) {
			pending.erase(c.handle);
		}
	}
	return true;
}

} // namespace v4l2va::test
