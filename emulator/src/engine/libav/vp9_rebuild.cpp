// SPDX-License-Identifier: MIT
// VP9: the OUTPUT buffer of V4L2_PIX_FMT_VP9_FRAME is one frame as coded, uncompressed and
// compressed headers included (rkvdec-vp9.c and hantro_g2_vp9_dec.c parse the tiles from it
// and take the header fields from V4L2_CID_STATELESS_VP9_FRAME), so the packet is the buffer
// as queued: one frame, hidden (show_frame 0) frames too, never a superframe. The frame
// header is the software decoder's source for what the control duplicates.
//
// The decoder predicts from the reference slots the header names (ref_frame_idx), filled by
// earlier frames' refresh_frame_flags; the hardware from the buffers the control's
// last/golden/alt timestamps name. The rebuilder follows the slots by timestamp and reports
// (return 1) when the two disagree, so the engine corrupts the picture instead of repairing it.
#include "rebuild.h"

extern "C" {
#include <libavcodec/codec_id.h>
}

#include <linux/v4l2-controls.h>

#include <cerrno>
#include <cstring>

namespace v4l2emu::libav {

namespace {

class Bits {
public:
	Bits(const uint8_t *data, size_t size) : data_(data), size_(size) {}
	uint32_t get(unsigned n)
	{
		uint32_t v = 0;
		for (unsigned i = 0; i < n; i++, pos_++)
			v = (v << 1) | (pos_ / 8 < size_ ? (data_[pos_ / 8] >> (7 - pos_ % 8)) & 1 : 0);
		return v;
	}
	bool overrun() const { return pos_ > 8 * size_; }

private:
	const uint8_t *data_;
	size_t size_;
	size_t pos_ = 0;
};

/// What the uncompressed header (VP9 spec 6.2) says about reference slots.
struct SlotUse {
	bool parsed = false;
	bool inter = false;
	uint8_t refresh = 0;
	uint8_t refIdx[3] = {};
};

SlotUse parseSlots(const uint8_t *data, size_t size)
{
	SlotUse u;
	Bits b(data, size);
	if (b.get(2) != 2)	// frame_marker
		return u;
	unsigned profile = b.get(1);
	profile |= b.get(1) << 1;
	if (profile == 3)
		b.get(1);
	if (b.get(1))		// show_existing_frame: no decode
		return u;
	unsigned frameType = b.get(1);
	unsigned showFrame = b.get(1);
	unsigned errorResilient = b.get(1);
	if (frameType == 0) {	// key frame: every slot refreshed
		u.refresh = 0xff;
		u.parsed = true;
		return u;
	}
	unsigned intraOnly = showFrame ? 0 : b.get(1);
	if (!errorResilient)
		b.get(2);	// reset_frame_context
	if (intraOnly) {
		if (b.get(24) != 0x498342)
			return u;
		if (profile > 0) {	// color_config
			if (profile >= 2)
				b.get(1);
			unsigned colorSpace = b.get(3);
			if (colorSpace != 7) {
				b.get(1);
				if (profile == 1 || profile == 3)
					b.get(3);
			} else if (profile == 1 || profile == 3) {
				b.get(1);
			}
		}
		u.refresh = static_cast<uint8_t>(b.get(8));
	} else {
		u.refresh = static_cast<uint8_t>(b.get(8));
		for (uint8_t &idx : u.refIdx) {
			idx = static_cast<uint8_t>(b.get(3));
			b.get(1);	// sign bias
		}
		u.inter = true;
	}
	u.parsed = !b.overrun();
	return u;
}

class Vp9State final : public RebuildState {
public:
	uint64_t slots[8] = {};
	uint8_t known = 0;	///< slots a frame of this stream refreshed
};

std::unique_ptr<RebuildState> createState()
{
	return std::make_unique<Vp9State>();
}

int rebuild(RebuildState *state, const DecodeJob &job, std::vector<uint8_t> &packet, const char **why)
{
	if (!job.bitstream || !job.bitstreamSize) {
		*why = "the OUTPUT buffer holds no VP9 frame";
		return -EINVAL;
	}
	packet.insert(packet.end(), job.bitstream, job.bitstream + job.bitstreamSize);
	auto *st = static_cast<Vp9State *>(state);
	auto *frame = static_cast<const struct v4l2_ctrl_vp9_frame *>(
		job.controls->get(V4L2_CID_STATELESS_VP9_FRAME));
	SlotUse use = parseSlots(job.bitstream, job.bitstreamSize);
	if (!frame || !use.parsed)
		return 0;	// the decoder will say what is wrong with the frame
	int wrong = 0;
	if (use.inter) {
		const uint64_t named[3] = {frame->last_frame_ts, frame->golden_frame_ts,
					   frame->alt_frame_ts};
		for (int i = 0; i < 3; i++) {
			uint8_t slot = use.refIdx[i];
			if ((st->known >> slot & 1) && st->slots[slot] != named[i]) {
				*why = "a reference timestamp of the VP9 frame control (last, golden or alt) "
				       "is not the frame in the slot the header's ref_frame_idx names";
				wrong = 1;
			}
		}
	}
	for (int i = 0; i < 8; i++)
		if (use.refresh >> i & 1)
			st->slots[i] = job.timestampNs;
	st->known |= use.refresh;
	return wrong;
}

const Rebuilder kVp9Rebuilder = {"vp9", AV_CODEC_ID_VP9, createState, rebuild};

} // namespace

V4L2EMU_REGISTER_REBUILDER(kVp9Rebuilder);

} // namespace v4l2emu::libav
