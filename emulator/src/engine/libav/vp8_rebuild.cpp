// SPDX-License-Identifier: MIT
// VP8 (RFC 6386): the OUTPUT buffer of V4L2_PIX_FMT_VP8_FRAME is the frame as coded, frame
// tag and uncompressed header included (hantro_g1_vp8_dec.c:cfg_parts locates the partitions
// from the frame start), so the packet is the buffer as queued. What the controls say that the
// frame does not (the reference timestamps) is checked by the device; the frame header the
// driver wrote is what the software decoder parses, so a header rebuilt wrongly decodes
// wrongly, as on the hardware.
#include "rebuild.h"

extern "C" {
#include <libavcodec/codec_id.h>
}

#include <cerrno>

namespace v4l2emu::libav {

namespace {

int rebuild(RebuildState *, const DecodeJob &job, std::vector<uint8_t> &packet, const char **why)
{
	if (!job.bitstream || job.bitstreamSize < 3) {
		*why = "the OUTPUT buffer holds no VP8 frame tag";
		return -EINVAL;
	}
	packet.insert(packet.end(), job.bitstream, job.bitstream + job.bitstreamSize);
	return 0;
}

const Rebuilder kVp8Rebuilder = {"vp8", AV_CODEC_ID_VP8, nullptr, rebuild};

} // namespace

V4L2EMU_REGISTER_REBUILDER(kVp8Rebuilder);

} // namespace v4l2emu::libav
