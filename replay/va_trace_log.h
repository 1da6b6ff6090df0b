// SPDX-License-Identifier: MIT
#pragma once

// LIBVA_TRACE logs (libva 2.17's va_trace.c text, shared/spec/traces.md §5): the per-thread
// files merged by time into VA calls with their printed arguments, and the decode buffers of
// vaRenderPicture rebuilt as the structs the driver receives (MPEG-2, H.264, HEVC, VP8, VP9;
// with LIBVA_TRACE_BUFDATA for the slice data, which libva 2.17 never prints for VP8).

#include <va/va.h>

#include <cstdint>
#include <istream>
#include <string>
#include <vector>

namespace v4l2va::test {

struct VaTraceBuffer {
	uint32_t id = 0;
	VABufferType type = VAPictureParameterBufferType;
	uint32_t size = 0;		///< element size as vaBufferInfo reports it
	uint32_t numElements = 1;
	std::string structName;		///< "VAPictureParameterBufferMPEG2", "VASliceDataBufferType"
	std::vector<std::string> lines;	///< the element's printed lines, prefix removed
	std::vector<unsigned> lineNumbers;	///< of each of `lines` in the file
	unsigned line = 0;		///< of its "buffers[i] = " line
	std::vector<uint8_t> data;	///< rebuilt bytes (size * numElements); empty if not rebuilt
	std::string problem;		///< why data is empty
	bool dataMissing = false;	///< slice data the log does not hold at all (VP8)
	unsigned problemLine = 0;	///< the file line `problem` is about (0: the buffer as a whole)
};

struct VaTraceCall {
	std::string name;		///< "vaCreateSurfaces"
	std::string file;
	unsigned line = 0;		///< of the status line in its file
	VAStatus status = VA_STATUS_SUCCESS;
	std::string context;		///< "[ctx 0x02010000]" value, "none"
	std::vector<std::pair<std::string, std::string>> fields;	///< "key = value" lines, in order
	std::vector<VaTraceBuffer> buffers;	///< vaRenderPicture
	bool detailed = false;		///< the call had a va_Trace block (else: status line only)

	/// The value of the first field named key ("" if none); `n`th occurrence.
	std::string field(const std::string &key, unsigned nth = 0) const;
	uint64_t number(const std::string &key, unsigned nth = 0) const;
};

struct VaTraceLog {
	std::vector<VaTraceCall> calls;
	struct Problem {
		std::string file;
		unsigned line;
		std::string message;
	};
	std::vector<Problem> problems;
};

/// Reads the thread files of one run (LIBVA_TRACE=path gives path.HHMMSS.thd-0xN files).
/// Returns false if nothing could be read; problems name file and line.
bool readVaTrace(const std::vector<std::string> &files, VaTraceLog *log);
/// One thread file's text, named `name` in problems (the fuzz target's entry point).
bool readVaTraceText(std::istream &in, const std::string &name, VaTraceLog *log);
/// The files of the run whose LIBVA_TRACE value was `base` (base.* in its directory).
std::vector<std::string> vaTraceFiles(const std::string &base);

/// VA_STATUS_SUCCESS etc. by name; false if unknown.
bool vaStatusByName(const std::string &name, VAStatus *status);

} // namespace v4l2va::test
