// SPDX-License-Identifier: MIT
#pragma once

// What the emulated hardware received per decode job, recovered from a native trace of a
// libavcodec VAAPI decode through our driver on the emulated fresnel board: for every queued
// request, the control values in force when its job ran (the context's current values with
// the request's on top, CCORE:v4l2_ctrl_request_setup) and the OUTPUT buffer's bitstream.

#include "codecs/codec.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace v4l2va::test {

struct CapturedJob {
	std::string device;		///< trace handle of the video node ("vid0")
	/// Control id -> payload (compound: the elements; others: the 4 or 8 value bytes).
	std::map<uint32_t, std::string> controls;
	std::string bitstream;
};

/// A ControlReader over a captured job's controls (element counts from the standard
/// control definitions).
class CapturedControls final : public v4l2emu::ControlReader {
public:
	explicit CapturedControls(const std::map<uint32_t, std::string> &values) : values_(values) {}
	const void *get(uint32_t id, uint32_t *elems = nullptr) const override;
	bool wasSet(uint32_t id) const override { return values_.count(id) != 0; }

private:
	const std::map<uint32_t, std::string> &values_;
};

/// Decodes file through the driver (hardware mode, one thread) with a native trace, and
/// returns the jobs in queue order. False with *error on failure.
bool captureJobs(const std::string &file, const std::string &driverDir,
		 std::vector<CapturedJob> *jobs, std::string *error);

} // namespace v4l2va::test
