// SPDX-License-Identifier: MIT
#pragma once

// Shared by the rebuild tests (reference.tsv is read by stream_reference.h): the jobs of a clip
// (captured once per process), rebuilding them into packets, and decoding packets with FFmpeg's
// software decoders into reference-comparable MD5s.

#include "job_capture.h"
#include "stream_reference.h"

#include "engine/libav/h26x_rebuild.h"

extern "C" {
#include <libavcodec/avcodec.h>
}

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace v4l2va::test {

struct SoftwareDecode {
	std::vector<std::string> md5s;		///< display order (by packet pts)
	std::vector<std::string> sizes;
	std::vector<unsigned> picturesPerPacket;	///< get_buffer2 calls per send_packet
	std::string error;
};

/// Decodes packets with FFmpeg's software decoder codecId, single-threaded. Packet i has pts
/// pts[i] (the picture's order in display); the frames are sorted by it, since the decoder's
/// own output order depends on reorder limits the controls may not carry. Each frame's MD5 is
/// of its top-left reference-sized area as NV12.
SoftwareDecode decodePackets(AVCodecID codecId, const std::vector<std::vector<uint8_t>> &packets,
			     const std::vector<int64_t> &pts,
			     const std::vector<ReferenceFrame> &reference);

using Rebuild = int (*)(const v4l2emu::ControlReader &, const uint8_t *, size_t,
			v4l2emu::libav::ParamSetCache *, std::vector<uint8_t> &, const char **);
/// Changes a job's controls before rebuilding (negative tests).
using Tamper = std::function<void(CapturedJob &)>;

struct Clip {
	std::string file;
	AVCodecID codec;
	Rebuild rebuild;
};

/// The jobs of a VA decode of the clip through the driver (captured once per process).
const std::vector<CapturedJob> &jobsOf(const std::string &file);

/// A job's control payload as T (nullptr if absent or short).
template<typename T> T *controlAs(CapturedJob &job, uint32_t id)
{
	auto it = job.controls.find(id);
	if (it == job.controls.end() || it->second.size() < sizeof(T))
		return nullptr;
	return reinterpret_cast<T *>(it->second.data());
}

/// Per job, its place in display order: the POC (DECODE_PARAMS) within its IDR period.
std::vector<int64_t> displayOrder(std::vector<CapturedJob> &jobs);
/// Rebuilds every job of the clip (one ParamSetCache for the stream) and decodes the packets.
SoftwareDecode rebuildAndDecode(const Clip &clip, const std::vector<ReferenceFrame> &reference,
				const Tamper &tamper = {});
/// Frames whose MD5 equals the reference's.
unsigned matching(const SoftwareDecode &got, const std::vector<ReferenceFrame> &reference);
/// The rebuilt packets of jobs, one ParamSetCache for the stream.
std::vector<std::vector<uint8_t>> rebuildAll(Rebuild rebuild, const std::vector<CapturedJob> &jobs);
/// The NAL units of an Annex B job (start codes excluded).
std::vector<std::string> nalsOf(const std::string &bitstream);
/// Sets a menu control of a job.
void setMenu(CapturedJob &job, uint32_t id, int32_t value);

} // namespace v4l2va::test
