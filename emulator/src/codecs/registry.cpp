// SPDX-License-Identifier: MIT
// The codec table: one line per codec.
#include "codec.h"

#include <cerrno>

namespace v4l2emu {

extern const CodecOps kH264Codec;
extern const CodecOps kHevcCodec;
extern const CodecOps kMpeg2Codec;
extern const CodecOps kVp8Codec;
extern const CodecOps kVp9Codec;
extern const CodecOps kAv1Codec;
extern const CodecOps kFwhtCodec;

namespace {

const CodecOps *const kCodecs[] = {
	&kH264Codec, &kHevcCodec, &kMpeg2Codec, &kVp8Codec, &kVp9Codec, &kAv1Codec, &kFwhtCodec,
};

} // namespace

std::span<const CodecOps *const> allCodecs()
{
	return kCodecs;
}

const CodecOps *codecForFourcc(uint32_t fourcc)
{
	for (const CodecOps *c : kCodecs)
		if (c->codedFourcc == fourcc)
			return c;
	return nullptr;
}

const ControlDef *standardControl(uint32_t id)
{
	for (const CodecOps *c : kCodecs)
		for (const ControlDef &d : c->controls)
			if (d.id == id)
				return &d;
	return nullptr;
}

int validateCompoundElement(uint32_t type, void *elem)
{
	for (const CodecOps *c : kCodecs)
		for (const CompoundType &t : c->compoundTypes)
			if (t.type == type)
				return t.validate(elem);
	return -EINVAL;	// CCORE:std_validate_compound default case
}

} // namespace v4l2emu
