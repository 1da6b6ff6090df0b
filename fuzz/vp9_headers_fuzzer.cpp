// SPDX-License-Identifier: MIT
// Fuzz target: the VA driver's VP9 header parsers (backend/src/codecs/vp9_headers.cpp): the
// uncompressed header of each frame, the compressed header after it, and the superframe
// index check, over a few frames in a row so the state carried between frames (loop filter
// and segmentation values, colour config, reference sizes) is exercised too.
//
// Input: u8 flags (bit 0: pass the VA frame size as refSizeOverride; bit 1: start from a
// fuzzed state instead of the defaults), [the state], [u16 u16 override], then frames:
// u16 length and that many bytes, up to 4 frames.
// Invariants: no crash; parsed header sizes lie within the frame; the colour config a frame
// reports is a legal one.
#include "byte_reader.h"

#include "codecs/vp9_headers.h"

#include <cstdio>
#include <cstdlib>

using v4l2va::fuzz::ByteReader;
namespace vp9 = v4l2va::vp9;

namespace {

[[noreturn]] void invariantBroken(const char *what)
{
	fprintf(stderr, "vp9_headers: invariant broken: %s\n", what);
	abort();
}

void readState(ByteReader &in, vp9::PersistentState *s)
{
	for (auto &d : s->lfRefDeltas)
		d = static_cast<int8_t>(in.u8());
	for (auto &d : s->lfModeDeltas)
		d = static_cast<int8_t>(in.u8());
	s->segAbsOrDeltaUpdate = in.flag();
	for (unsigned i = 0; i < vp9::kMaxSegments; i++) {
		s->segFeatureEnabled[i] = in.u8();
		for (auto &d : s->segFeatureData[i])
			d = static_cast<int16_t>(in.u16());
	}
	in.bytes(s->segTreeProbs, sizeof(s->segTreeProbs));
	in.bytes(s->segPredProbs, sizeof(s->segPredProbs));
	uint8_t colour = in.u8();
	s->colorKnown = colour & 1;
	s->colorRangeFull = colour & 2;
	s->subsamplingX = colour & 4;
	s->subsamplingY = colour & 8;
	s->bitDepth = (colour & 0x30) == 0 ? 8 : (colour & 0x30) == 0x10 ? 10 : 12;
	s->colorSpace = in.below(8);
	for (unsigned i = 0; i < vp9::kNumRefFrames; i++) {
		s->refWidth[i] = in.u16();
		s->refHeight[i] = in.u16();
	}
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ByteReader in(data, size);
	uint8_t flags = in.u8();
	vp9::PersistentState state;
	if (flags & 2)
		readState(in, &state);
	vp9::FrameSize override;
	if (flags & 1) {
		override.width = in.u16();
		override.height = in.u16();
	}
	for (int frame = 0; frame < 4 && !in.empty(); frame++) {
		size_t n = 0;
		const uint8_t *p = in.take(in.u16(), &n);
		// As the codec (vp9.cpp): superframes are refused, consumers split them.
		if (vp9::hasSuperframeIndex(p, n))
			continue;
		vp9::PersistentState scratch = state;
		vp9::FrameHeader hdr;
		if (vp9::parseUncompressedHeader(p, n, &scratch, flags & 1 ? &override : nullptr, &hdr) !=
		    vp9::ParseStatus::Ok)
			continue;
		if (hdr.uncompressedHeaderSize > n)
			invariantBroken("the uncompressed header is longer than the frame");
		if (hdr.bitDepth != 8 && hdr.bitDepth != 10 && hdr.bitDepth != 12)
			invariantBroken("a bit depth VP9 does not have");
		if (hdr.profile > 3)
			invariantBroken("a profile VP9 does not have");
		state = scratch;
		if (hdr.showExistingFrame)
			continue;
		// The codec refuses a frame with no room for the compressed header and tile data.
		if (size_t{hdr.uncompressedHeaderSize} + hdr.compressedHeaderSize >= n)
			continue;
		static struct v4l2_ctrl_vp9_compressed_hdr compressed;
		compressed = {};
		vp9::CompressedHeaderInfo info;
		vp9::parseCompressedHeader(p + hdr.uncompressedHeaderSize, hdr.compressedHeaderSize, hdr,
					   &compressed, &info);
	}
	return 0;
}
