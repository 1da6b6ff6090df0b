// SPDX-License-Identifier: MIT
#pragma once

// The H.264 and HEVC rebuilders as plain functions (the Rebuilder entries of h264_rebuild.cpp
// and hevc_rebuild.cpp call them), so tests can drive them with captured controls and
// bitstreams without the engine.
//
// What they write (Annex B, 4-byte start codes):
//   H.264: SPS (from V4L2_CID_STATELESS_H264_SPS), PPS (H264_PPS, with its id taken from the
//          first slice header so the slices find it, and H264_SCALING_MATRIX written out in
//          full when the PPS flag says the matrix applies), then the slice NAL units as queued
//          (start codes added when the START_CODE control says there are none).
//   HEVC:  VPS, SPS (HEVC_SPS + HEVC_SCALING_MATRIX), PPS (HEVC_PPS with its tile sizes),
//          then the slice segments with their short-term RPS spelled out from the DPB of
//          HEVC_DECODE_PARAMS (the SPS control carries no RPS sets, so the SPS written has
//          none and no slice header may refer to one); the rest of each header is kept.
// Parameter sets queued with the slices are dropped (the hardware takes them from the controls).
// Parameter sets are written again only when their bytes change (cache), like an encoder
// repeating them on change, and the sets depending on a changed one with it; a null cache
// writes them every time.

#include "bit_writer.h"
#include "codecs/codec.h"
#include "rebuild.h"

#include <linux/v4l2-controls.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

namespace v4l2emu::libav {

/// Buffers a rebuilder reuses from job to job, so that a stream's jobs stop allocating once
/// the buffers have grown to its sizes.
struct RebuildScratch {
	std::vector<NalSpan> nals;
	std::vector<uint8_t> sets[3];		///< VPS / SPS / PPS RBSPs being written
	std::vector<uint8_t> slices;		///< HEVC: the rewritten slice NAL units
	std::vector<uint8_t> rbsp, header;	///< HEVC: one slice unescaped, its new header
	std::vector<uint32_t> map;		///< HEVC: rbsp byte -> escaped offset
};

/// The parameter set NAL units last written, by kind and id (and the per-stream scratch).
class ParamSetCache {
public:
	RebuildScratch scratch;

	/// True (and remembers rbsp) if the set differs from the one last written under key.
	bool changed(uint32_t key, const std::vector<uint8_t> &rbsp)
	{
		auto it = sets_.find(key);
		if (it != sets_.end() && it->second == rbsp)
			return false;
		sets_[key] = rbsp;
		return true;
	}
	/// Forgets the sets from key on: decoders drop the PPSs of an SPS that changes (and the
	/// SPSs of a changed VPS), so those must be written again when next used.
	void forgetFrom(uint32_t key) { sets_.erase(sets_.lower_bound(key), sets_.end()); }
	void clear() { sets_.clear(); }

private:
	std::map<uint32_t, std::vector<uint8_t>> sets_;
};

// ---- H.264 --------------------------------------------------------------------------------

/// seq_parameter_set_rbsp() with its NAL header (nal_ref_idc 3, type 7).
/// -EINVAL (*why) when a field cannot be coded.
int writeH264Sps(const struct v4l2_ctrl_h264_sps &sps, std::vector<uint8_t> &rbsp,
		 const char **why);
/// pic_parameter_set_rbsp() with its NAL header, under pic_parameter_set_id ppsId; the
/// matrix is written when the PPS has V4L2_H264_PPS_FLAG_SCALING_MATRIX_PRESENT (matrix may be
/// null otherwise).
int writeH264Pps(const struct v4l2_ctrl_h264_sps &sps, const struct v4l2_ctrl_h264_pps &pps,
		 const struct v4l2_ctrl_h264_scaling_matrix *matrix, uint32_t ppsId,
		 std::vector<uint8_t> &rbsp, const char **why);
/// The access unit of one job (all its slices) appended to packet.
int rebuildH264(const ControlReader &controls, const uint8_t *bitstream, size_t size,
		ParamSetCache *cache, std::vector<uint8_t> &packet, const char **why);

// ---- HEVC ---------------------------------------------------------------------------------

int writeHevcVps(const struct v4l2_ctrl_hevc_sps &sps, std::vector<uint8_t> &rbsp,
		 const char **why);
int writeHevcSps(const struct v4l2_ctrl_hevc_sps &sps,
		 const struct v4l2_ctrl_hevc_scaling_matrix *matrix, std::vector<uint8_t> &rbsp,
		 const char **why);
/// Under pps_pic_parameter_set_id ppsId.
int writeHevcPps(const struct v4l2_ctrl_hevc_sps &sps, const struct v4l2_ctrl_hevc_pps &pps,
		 uint32_t ppsId, std::vector<uint8_t> &rbsp, const char **why);
int rebuildHevc(const ControlReader &controls, const uint8_t *bitstream, size_t size,
		ParamSetCache *cache, std::vector<uint8_t> &packet, const char **why);

/// The per-stream state of both H.26x rebuilders: the parameter sets last emitted.
class ParamSetState final : public RebuildState {
public:
	ParamSetCache cache;
};

inline std::unique_ptr<RebuildState> createParamSetState()
{
	return std::make_unique<ParamSetState>();
}

/// Rebuilder::rebuild for a rebuildH264 / rebuildHevc shaped function.
template <int (*Rebuild)(const ControlReader &, const uint8_t *, size_t, ParamSetCache *,
			 std::vector<uint8_t> &, const char **)>
int rebuildWithParamSets(RebuildState *state, const DecodeJob &job, std::vector<uint8_t> &packet,
			 const char **why)
{
	if (!job.controls) {
		*why = "no controls";
		return -EINVAL;
	}
	auto *s = static_cast<ParamSetState *>(state);
	return Rebuild(*job.controls, job.bitstream, job.bitstreamSize, s ? &s->cache : nullptr,
		       packet, why);
}

} // namespace v4l2emu::libav
