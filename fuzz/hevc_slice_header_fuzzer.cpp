// SPDX-License-Identifier: MIT
// Fuzz target: the VA driver's HEVC slice segment header parser (backend/src/codecs/
// hevc_slice_header.cpp) with the context the driver derives from VA picture parameters
// (hevc::readPictureParameters), so the SPS/PPS values it sees are ones a consumer can send.
//
// Input: u8 flags (bit 0: a REXT/SCC extension follows the picture parameters), u8
// NumPicTotalCurr, u16 x2 current-picture-in-list masks (SCC), u8 entry point capacity, the
// VAPictureParameterBufferHEVC fields after its reference frames (CurrPic and ReferenceFrames
// stay zero), [the extension's REXT and SCC parts], then the slice NAL unit from its 2-byte
// header (no start code).
// Invariants: no crash; a parsed header's byte offsets lie within the data and the entry
// points within the span given.
#include "byte_reader.h"

#include "codecs/hevc_params.h"
#include "codecs/hevc_slice_header.h"

#include <cstddef>
#include <cstdio>
#include <cstdlib>

using v4l2va::fuzz::ByteReader;
namespace hevc = v4l2va::hevc;

namespace {

[[noreturn]] void invariantBroken(const char *what)
{
	fprintf(stderr, "hevc_slice_header: invariant broken: %s\n", what);
	abort();
}

constexpr size_t kFieldsOffset = offsetof(VAPictureParameterBufferHEVC, pic_width_in_luma_samples);

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ByteReader in(data, size);
	uint8_t flags = in.u8();
	uint8_t numPicTotalCurr = in.u8();
	uint16_t inL0 = in.u16(), inL1 = in.u16();
	uint32_t capacity = in.below(65);
	static VAPictureParameterBufferHEVCExtension ext;
	ext = {};
	in.bytes(reinterpret_cast<uint8_t *>(&ext.base) + kFieldsOffset, sizeof(ext.base) - kFieldsOffset);
	if (flags & 1) {
		in.bytes(&ext.rext, sizeof(ext.rext));
		in.bytes(&ext.scc, sizeof(ext.scc));
	}
	static hevc::PictureParameters params;
	params = {};
	if (!hevc::readPictureParameters(ext.base, flags & 1 ? &ext : nullptr, &params))
		return 0;
	hevc::SliceHeaderContext ctx = params.headerContext;
	ctx.numPicTotalCurr = numPicTotalCurr % 17;
	ctx.currentPicInL0 = inL0;
	ctx.currentPicInL1 = inL1;

	size_t n = 0;
	const uint8_t *nal = in.take(in.remaining(), &n);
	uint32_t entryPoints[64];
	hevc::SliceHeader h;
	hevc::ParseStatus st = hevc::parseSliceHeader(nal, n, ctx, &h, std::span<uint32_t>(entryPoints, capacity));
	if (st != hevc::ParseStatus::Ok)
		return 0;
	if (h.headerRawBytes > n || h.headerBytes > h.headerRawBytes)
		invariantBroken("slice_data() starts outside the data");
	if (h.numEntryPointOffsets > capacity)
		invariantBroken("more entry points than the span holds");
	if (h.sliceType > hevc::kSliceI)
		invariantBroken("slice_type out of range");
	return 0;
}
