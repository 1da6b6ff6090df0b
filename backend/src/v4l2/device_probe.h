// SPDX-License-Identifier: MIT
#pragma once

// What a decoder node offers for one coded format, asked once at driver initialisation on a
// throw-away open of the node: S_FMT(OUTPUT) to the codec, then the OUTPUT queue's
// capabilities (HOLD_CAPTURE_BUF is only reported after S_FMT on cedrus), ENUM_FMT(CAPTURE),
// ENUM_FRAMESIZES, and every registered control.

#include "codecs/codec.h"
#include "v4l2/decoder_finder.h"

namespace v4l2va {

/// Returns 0 with *caps filled, or -errno (-EINVAL: the node does not take this codec).
int probeCodec(v4l2emu::DeviceIo &io, const DecoderNode &node, const CodecDescriptor &codec,
	       DeviceCaps *caps);

} // namespace v4l2va
