// SPDX-License-Identifier: MIT
// VP9: the OUTPUT buffer of V4L2_PIX_FMT_VP9_FRAME is one frame as coded, uncompressed and
// compressed headers included (rkvdec-vp9.c and hantro_g2_vp9_dec.c parse the tiles from it
// and take the header fields from V4L2_CID_STATELESS_VP9_FRAME), so the packet is the buffer
// as queued: one frame, hidden (show_frame 0) frames too, never a superframe. The frame
// header is the software decoder's source for what the control duplicates.
#include "rebuild.h"

extern "C" {
#include <libavcodec/codec_id.h>
}

#include <cerrno>

namespace v4l2emu::libav {

namespace {

int rebuild(RebuildState *, const DecodeJob &job, std::vector<uint8_t> &packet, const char **why)
{
	if (!job.bitstream || !job.bitstreamSize) {
		*why = "the OUTPUT buffer holds no VP9 frame";
		return -EINVAL;
	}
	packet.insert(packet.end(), job.bitstream, job.bitstream + job.bitstreamSize);
	return 0;
}

const Rebuilder kVp9Rebuilder = {"vp9", AV_CODEC_ID_VP9, nullptr, rebuild};

} // namespace

V4L2EMU_REGISTER_REBUILDER(kVp9Rebuilder);

} // namespace v4l2emu::libav
