// SPDX-License-Identifier: MIT
// The synthetic decode engine: what the "hardware" writes when the emulator does not decode
// for real. The picture is a deterministic function of a signature that hashes what the
// hardware receives (codec, bitstream, the frame's identity and the pictures it references),
// so a wrong reference or a lost bitstream shows in the output, and a job without valid
// controls writes an all-zero picture like the fresnel board did.
#include "engine.h"

#include "picture.h"

#include <cstring>

namespace v4l2emu {

namespace {

class SyntheticEngine final : public DecodeEngine {
public:
	const char *name() const override { return "synthetic"; }

	DecodeResult decode(const DecodeJob &job) override
	{
		DecodeResult result;
		if (!job.capture || !job.captureSize)
			return result;
		PictureLayout layout;
		const struct v4l2_pix_format_mplane &fmt = job.captureFormat;
		int ret = describeLayout(fmt.pixelformat, fmt.width, fmt.height,
					 fmt.plane_fmt[0].bytesperline, &layout);
		if (ret || layout.sizeimage > job.captureSize || !job.controlsValid) {
			// Garbage in, zeros out: the decoder ran with nothing it could use.
			memset(job.capture, 0, job.captureSize);
			return result;
		}
		uint64_t sig = mix64(job.codec ? job.codec->codedFourcc : 0);
		sig = hashBytes(sig, job.bitstream, job.bitstreamSize);
		if (job.codec && job.codec->frameIdentity) {
			FrameIdentity id = job.codec->frameIdentity(*job.controls);
			int32_t pocs[2] = {id.hasPoc ? id.topPoc : 0, id.hasPoc ? id.bottomPoc : 0};
			sig = hashBytes(sig, pocs, sizeof(pocs));
		}
		for (const ResolvedReference &r : job.references)
			sig = mix64(sig ^ r.signature);
		if (sig == 0)
			sig = 1;	// 0 is reserved for "all-zero"
		renderPicture(sig, layout, job.capture);
		result.signature = sig;
		return result;
	}
};

} // namespace

std::unique_ptr<DecodeEngine> makeSyntheticEngine()
{
	return std::make_unique<SyntheticEngine>();
}

} // namespace v4l2emu
