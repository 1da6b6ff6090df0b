// SPDX-License-Identifier: MIT
#pragma once

// Finding the stateless decoders of a system through the device-io seam: every media
// device whose topology has a PROC_VIDEO_DECODER entity, the video node its V4L interface
// names, and the coded formats that node's OUTPUT queue accepts. Used by the VA driver to
// route each VA profile to the decoder that supports it (one display may span several
// devices, as on RK3399: rkvdec and the hantro VPU).

#include <v4l2emu/device_io.h>

#include <cstdint>
#include <string>
#include <vector>

namespace v4l2va {

struct DecoderNode {
	std::string mediaPath;
	std::string videoPath;
	std::string driver;			///< QUERYCAP driver, e.g. "rkvdec"
	std::string card;
	bool multiplanar = true;		///< V4L2_CAP_VIDEO_M2M_MPLANE (else VIDEO_M2M)
	std::vector<uint32_t> codedFormats;	///< ENUM_FMT(OUTPUT), in the driver's order

	bool supports(uint32_t fourcc) const;
};

struct FinderResult {
	std::vector<DecoderNode> decoders;
	/// One line per node that was skipped, with the reason (for the driver's log).
	std::vector<std::string> skipped;
};

/// Probes every media node the seam lists. With LIBVA_V4L2_REQUEST_VIDEO_PATH and
/// LIBVA_V4L2_REQUEST_MEDIA_PATH both set (the variables the fresnel board uses), only that
/// pair is probed. Returns 0 (possibly with no decoder found) or -errno when the environment
/// names a pair that cannot be used.
int findDecoders(v4l2emu::DeviceIo &io, FinderResult *result);

/// Probes one media/video pair.
int probeDecoder(v4l2emu::DeviceIo &io, const std::string &mediaPath, const std::string &videoPath,
		 DecoderNode *out);

} // namespace v4l2va
