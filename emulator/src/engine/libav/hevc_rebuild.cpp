// SPDX-License-Identifier: MIT
// HEVC for the libavcodec engine: VPS, SPS and PPS NAL units written from the stateless
// controls (hevc_param_sets.cpp), then the queued slice segments with their headers made
// self-contained. The SPS control carries neither the SPS's short-term RPS candidates nor its
// long-term reference POCs, so the SPS written has none, and every slice segment header is
// re-spelled (7.3.6.1): its RPS part becomes an explicit st_ref_pic_set derived from the DPB
// of HEVC_DECODE_PARAMS (the pictures kept, with the POC st_curr lists saying which the current
// picture uses), everything else is copied bit for bit, and the slice data follows the new
// byte_alignment() unchanged (entry point offsets count slice data bytes only, and the
// alignment bit keeps the emulation prevention of the data as it was).
#include "h26x_rebuild.h"

#include "bit_writer.h"
#include "rebuild.h"

#include <libavcodec/codec_id.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace v4l2emu::libav {

namespace {

constexpr uint32_t kVpsKey = 0x100;	// ParamSetCache keys: VPS, SPS, PPS + id
constexpr uint32_t kSpsKey = 0x200;
constexpr uint32_t kPpsKey = 0x300;

// NAL unit types (Table 7-1).
constexpr unsigned kBlaWLp = 16, kIdrWRadl = 19, kIdrNLp = 20, kRsvIrap23 = 23;
constexpr unsigned kSliceB = 0, kSliceP = 1;

unsigned ceilLog2(uint32_t v)
{
	unsigned n = 0;
	while ((uint64_t{1} << n) < v)
		n++;
	return n;
}

int32_t menuValue(const ControlReader &controls, uint32_t id, int32_t fallback)
{
	const void *p = controls.get(id);
	if (!p)
		return fallback;
	int32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

/// Copies count bits from r to w.
void copyBits(BitReader &r, BitWriter &w, size_t count)
{
	while (count >= 32) {
		w.bits(r.bits(32), 32);
		count -= 32;
	}
	w.bits(r.bits(static_cast<unsigned>(count)), static_cast<unsigned>(count));
}

/// st_ref_pic_set(num_short_term_ref_pic_sets = 0) (7.3.7) of the DPB's short-term pictures:
/// negative deltas nearest first, then positive ones; used when st_curr lists name them.
void explicitRps(BitWriter &w, const struct v4l2_ctrl_hevc_decode_params &d)
{
	struct Ref {
		int32_t delta;
		bool used;
	};
	Ref neg[V4L2_HEVC_DPB_ENTRIES_NUM_MAX], pos[V4L2_HEVC_DPB_ENTRIES_NUM_MAX];
	unsigned nNeg = 0, nPos = 0;
	const unsigned entries = std::min<unsigned>(d.num_active_dpb_entries,
						    V4L2_HEVC_DPB_ENTRIES_NUM_MAX);
	auto listed = [](const uint8_t *list, unsigned n, unsigned idx) {
		n = std::min<unsigned>(n, V4L2_HEVC_DPB_ENTRIES_NUM_MAX);
		return std::find(list, list + n, idx) != list + n;
	};
	for (unsigned i = 0; i < entries; i++) {
		const struct v4l2_hevc_dpb_entry &e = d.dpb[i];
		if (e.flags & V4L2_HEVC_DPB_ENTRY_LONG_TERM_REFERENCE)
			continue;
		int32_t delta = e.pic_order_cnt_val - d.pic_order_cnt_val;
		if (delta < 0)
			neg[nNeg++] = {delta, listed(d.poc_st_curr_before, d.num_poc_st_curr_before, i)};
		else if (delta > 0)
			pos[nPos++] = {delta, listed(d.poc_st_curr_after, d.num_poc_st_curr_after, i)};
	}
	std::sort(neg, neg + nNeg, [](const Ref &a, const Ref &b) { return a.delta > b.delta; });
	std::sort(pos, pos + nPos, [](const Ref &a, const Ref &b) { return a.delta < b.delta; });
	w.ue(nNeg);	// num_negative_pics
	w.ue(nPos);	// num_positive_pics
	int32_t prev = 0;
	for (unsigned i = 0; i < nNeg; i++) {
		w.ue(static_cast<uint32_t>(prev - neg[i].delta - 1));	// delta_poc_s0_minus1
		w.flag(neg[i].used);
		prev = neg[i].delta;
	}
	prev = 0;
	for (unsigned i = 0; i < nPos; i++) {
		w.ue(static_cast<uint32_t>(pos[i].delta - prev - 1));	// delta_poc_s1_minus1
		w.flag(pos[i].used);
		prev = pos[i].delta;
	}
}

/// Skips an explicit st_ref_pic_set(numSets) of a slice header that does not predict from an
/// SPS set (then it parses without the SPS); false if it does, or is malformed.
bool skipRps(BitReader &r, unsigned numSets)
{
	if (numSets && r.flag())	// inter_ref_pic_set_prediction_flag
		return false;
	const uint32_t negative = r.ue(), positive = r.ue();
	if (negative > V4L2_HEVC_DPB_ENTRIES_NUM_MAX || positive > V4L2_HEVC_DPB_ENTRIES_NUM_MAX)
		return false;
	for (uint32_t i = 0; i < negative + positive; i++) {
		r.ue();		// delta_poc_sX_minus1
		r.skip(1);	// used_by_curr_pic_sX_flag
	}
	return !r.overrun();
}

struct HevcInputs {
	const struct v4l2_ctrl_hevc_sps *sps;
	const struct v4l2_ctrl_hevc_pps *pps;
	const struct v4l2_ctrl_hevc_decode_params *decode;
};

/// The slice segment NAL unit nal (escaped, header included) with its header re-spelled
/// as the file comment says, appended to packet with a start code.
int rewriteSlice(const HevcInputs &in, const uint8_t *nal, size_t size, RebuildScratch &scratch,
		 std::vector<uint8_t> &packet, const char **why)
{
	const struct v4l2_ctrl_hevc_sps &sps = *in.sps;
	const struct v4l2_ctrl_hevc_pps &pps = *in.pps;
	std::vector<uint8_t> &rbsp = scratch.rbsp;
	std::vector<uint32_t> &map = scratch.map;
	unescapeNal(nal, size, rbsp, &map);
	BitReader r(rbsp.data(), rbsp.size());
	std::vector<uint8_t> &out = scratch.header;
	out.clear();
	BitWriter w(out);

	copyBits(r, w, 16);	// nal_unit_header()
	const unsigned type = (rbsp[0] >> 1) & 0x3f;
	const bool first = r.flag();	// first_slice_segment_in_pic_flag
	w.flag(first);
	if (type >= kBlaWLp && type <= kRsvIrap23)
		copyBits(r, w, 1);	// no_output_of_prior_pics_flag
	w.ue(r.ue());		// slice_pic_parameter_set_id
	bool dependent = false;
	if (!first) {
		if (pps.flags & V4L2_HEVC_PPS_FLAG_DEPENDENT_SLICE_SEGMENT_ENABLED) {
			dependent = r.flag();
			w.flag(dependent);
		}
		const unsigned ctbLog2 = sps.log2_min_luma_coding_block_size_minus3 + 3u +
					 sps.log2_diff_max_min_luma_coding_block_size;
		const uint32_t ctb = 1u << ctbLog2;
		const uint32_t ctbs = ((sps.pic_width_in_luma_samples + ctb - 1) / ctb) *
				      ((sps.pic_height_in_luma_samples + ctb - 1) / ctb);
		copyBits(r, w, ceilLog2(ctbs));	// slice_segment_address
	}
	if (!dependent) {
		copyBits(r, w, pps.num_extra_slice_header_bits);	// slice_reserved_flag[]
		const uint32_t sliceType = r.ue();
		w.ue(sliceType);
		if (pps.flags & V4L2_HEVC_PPS_FLAG_OUTPUT_FLAG_PRESENT)
			copyBits(r, w, 1);	// pic_output_flag
		if (sps.flags & V4L2_HEVC_SPS_FLAG_SEPARATE_COLOUR_PLANE)
			copyBits(r, w, 2);	// colour_plane_id
		bool temporalMvp = false;
		unsigned ltUsed = 0;
		if (type != kIdrWRadl && type != kIdrNLp) {
			const unsigned pocBits = sps.log2_max_pic_order_cnt_lsb_minus4 + 4u;
			copyBits(r, w, pocBits);	// slice_pic_order_cnt_lsb
			// The RPS: skipped as the controls size it (an explicit set may predict
			// from SPS sets, which cannot be parsed without them), written explicitly.
			const bool spsRps = r.flag();	// short_term_ref_pic_set_sps_flag
			if (!spsRps && in.decode->short_term_ref_pic_set_size) {
				r.skip(in.decode->short_term_ref_pic_set_size);
			} else if (!spsRps && !skipRps(r, sps.num_short_term_ref_pic_sets)) {
				*why = "HEVC slice RPS predicted from an SPS set, and "
				       "short_term_ref_pic_set_size is 0";
				return -EINVAL;
			} else if (spsRps && sps.num_short_term_ref_pic_sets > 1)
				r.skip(ceilLog2(sps.num_short_term_ref_pic_sets));
			w.flag(false);
			explicitRps(w, *in.decode);
			if (sps.flags & V4L2_HEVC_SPS_FLAG_LONG_TERM_REF_PICS_PRESENT) {
				uint32_t ltSps = 0;
				if (sps.num_long_term_ref_pics_sps > 0)
					ltSps = r.ue();	// num_long_term_sps
				if (ltSps) {
					*why = "HEVC long-term pictures from the SPS candidates "
					       "(lt_idx_sps) are not in the controls";
					return -EINVAL;
				}
				// The SPS written has no candidates: num_long_term_sps is absent.
				const uint32_t ltPics = r.ue();
				if (ltPics > 32) {
					*why = "HEVC num_long_term_pics out of range";
					return -EINVAL;
				}
				w.ue(ltPics);
				for (uint32_t i = 0; i < ltPics; i++) {
					copyBits(r, w, pocBits);	// poc_lsb_lt
					const bool used = r.flag();
					w.flag(used);
					ltUsed += used;
					const bool msb = r.flag();
					w.flag(msb);
					if (msb)
						w.ue(r.ue());	// delta_poc_msb_cycle_lt
				}
			}
			if (sps.flags & V4L2_HEVC_SPS_FLAG_SPS_TEMPORAL_MVP_ENABLED) {
				temporalMvp = r.flag();
				w.flag(temporalMvp);
			}
		}
		bool saoLuma = false, saoChroma = false;
		const bool chroma = sps.chroma_format_idc &&
				    !(sps.flags & V4L2_HEVC_SPS_FLAG_SEPARATE_COLOUR_PLANE);
		if (sps.flags & V4L2_HEVC_SPS_FLAG_SAMPLE_ADAPTIVE_OFFSET) {
			saoLuma = r.flag();
			w.flag(saoLuma);
			if (chroma) {
				saoChroma = r.flag();
				w.flag(saoChroma);
			}
		}
		if (sliceType == kSliceP || sliceType == kSliceB) {
			const bool b = sliceType == kSliceB;
			uint32_t l0 = pps.num_ref_idx_l0_default_active_minus1;
			uint32_t l1 = pps.num_ref_idx_l1_default_active_minus1;
			const bool override = r.flag();
			w.flag(override);
			if (override) {
				l0 = r.ue();
				w.ue(l0);
				if (b) {
					l1 = r.ue();
					w.ue(l1);
				}
			}
			if (l0 > 14 || l1 > 14) {
				*why = "HEVC num_ref_idx_active_minus1 out of range";
				return -EINVAL;
			}
			const unsigned total = in.decode->num_poc_st_curr_before +
					       in.decode->num_poc_st_curr_after + ltUsed;
			if ((pps.flags & V4L2_HEVC_PPS_FLAG_LISTS_MODIFICATION_PRESENT) && total > 1) {
				const unsigned entryBits = ceilLog2(total);
				for (unsigned list = 0; list < (b ? 2u : 1u); list++) {
					const bool modified = r.flag();
					w.flag(modified);
					if (modified)
						copyBits(r, w, entryBits * ((list ? l1 : l0) + 1));
				}
			}
			if (b)
				copyBits(r, w, 1);	// mvd_l1_zero_flag
			if (pps.flags & V4L2_HEVC_PPS_FLAG_CABAC_INIT_PRESENT)
				copyBits(r, w, 1);	// cabac_init_flag
			if (temporalMvp) {
				bool fromL0 = true;
				if (b) {
					fromL0 = r.flag();
					w.flag(fromL0);
				}
				if ((fromL0 && l0 > 0) || (!fromL0 && l1 > 0))
					w.ue(r.ue());	// collocated_ref_idx
			}
			const bool weighted =
				(b && (pps.flags & V4L2_HEVC_PPS_FLAG_WEIGHTED_BIPRED)) ||
				(!b && (pps.flags & V4L2_HEVC_PPS_FLAG_WEIGHTED_PRED));
			if (weighted) {	// pred_weight_table() (7.3.6.3)
				w.ue(r.ue());	// luma_log2_weight_denom
				if (chroma)
					w.se(r.se());	// delta_chroma_log2_weight_denom
				for (unsigned list = 0; list < (b ? 2u : 1u); list++) {
					const unsigned n = (list ? l1 : l0) + 1;
					bool lumaFlags[16], chromaFlags[16] = {};
					for (unsigned i = 0; i < n; i++) {
						lumaFlags[i] = r.flag();
						w.flag(lumaFlags[i]);
					}
					if (chroma)
						for (unsigned i = 0; i < n; i++) {
							chromaFlags[i] = r.flag();
							w.flag(chromaFlags[i]);
						}
					for (unsigned i = 0; i < n; i++) {
						if (lumaFlags[i]) {
							w.se(r.se());	// delta_luma_weight
							w.se(r.se());	// luma_offset
						}
						if (chromaFlags[i])
							for (unsigned j = 0; j < 2; j++) {
								w.se(r.se());
								w.se(r.se());
							}
					}
				}
			}
			w.ue(r.ue());	// five_minus_max_num_merge_cand
		}
		w.se(r.se());	// slice_qp_delta
		if (pps.flags & V4L2_HEVC_PPS_FLAG_PPS_SLICE_CHROMA_QP_OFFSETS_PRESENT) {
			w.se(r.se());	// slice_cb_qp_offset
			w.se(r.se());	// slice_cr_qp_offset
		}
		bool deblockingDisabled = pps.flags & V4L2_HEVC_PPS_FLAG_PPS_DISABLE_DEBLOCKING_FILTER;
		const bool control = pps.flags & V4L2_HEVC_PPS_FLAG_DEBLOCKING_FILTER_CONTROL_PRESENT;
		bool override = false;
		if (control && (pps.flags & V4L2_HEVC_PPS_FLAG_DEBLOCKING_FILTER_OVERRIDE_ENABLED)) {
			override = r.flag();
			w.flag(override);
		}
		if (override) {
			deblockingDisabled = r.flag();
			w.flag(deblockingDisabled);
			if (!deblockingDisabled) {
				w.se(r.se());	// slice_beta_offset_div2
				w.se(r.se());	// slice_tc_offset_div2
			}
		}
		if ((pps.flags & V4L2_HEVC_PPS_FLAG_PPS_LOOP_FILTER_ACROSS_SLICES_ENABLED) &&
		    (saoLuma || saoChroma || !deblockingDisabled))
			copyBits(r, w, 1);	// slice_loop_filter_across_slices_enabled_flag
	}
	if (pps.flags & (V4L2_HEVC_PPS_FLAG_TILES_ENABLED |
			 V4L2_HEVC_PPS_FLAG_ENTROPY_CODING_SYNC_ENABLED)) {
		const uint32_t entries = r.ue();	// num_entry_point_offsets
		w.ue(entries);
		if (entries) {
			const uint32_t lenMinus1 = r.ue();
			if (lenMinus1 > 31 || entries > 4096) {
				*why = "HEVC entry points out of range";
				return -EINVAL;
			}
			w.ue(lenMinus1);
			copyBits(r, w, size_t{entries} * (lenMinus1 + 1));
		}
	}
	if (pps.flags & V4L2_HEVC_PPS_FLAG_SLICE_SEGMENT_HEADER_EXTENSION_PRESENT) {
		const uint32_t length = r.ue();
		w.ue(length);
		copyBits(r, w, size_t{length} * 8);
	}
	// byte_alignment(): alignment_bit_equal_to_one, then zeros.
	if (!r.flag()) {
		*why = "HEVC slice segment header does not end where the controls say";
		return -EINVAL;
	}
	while (r.position() % 8)
		if (r.flag()) {
			*why = "HEVC slice segment header does not end where the controls say";
			return -EINVAL;
		}
	if (r.overrun()) {
		*why = "HEVC slice segment header longer than its NAL unit";
		return -EINVAL;
	}
	w.trailingBits();
	appendNal(packet, out);
	// The slice data as it was (escaped): from the escaped offset of its first RBSP byte.
	const size_t dataStart = r.position() / 8;
	if (dataStart < map.size())
		packet.insert(packet.end(), nal + map[dataStart], nal + size);
	return 0;
}

bool isSliceSegment(unsigned type)
{
	return type <= 9 || (type >= kBlaWLp && type <= 21);
}

} // namespace

int rebuildHevc(const ControlReader &controls, const uint8_t *bitstream, size_t size,
		ParamSetCache *cache, std::vector<uint8_t> &packet, const char **why)
{
	HevcInputs in{};
	uint32_t spsElems = 0, ppsElems = 0, decodeElems = 0;
	in.sps = static_cast<const struct v4l2_ctrl_hevc_sps *>(
		controls.get(V4L2_CID_STATELESS_HEVC_SPS, &spsElems));
	in.pps = static_cast<const struct v4l2_ctrl_hevc_pps *>(
		controls.get(V4L2_CID_STATELESS_HEVC_PPS, &ppsElems));
	in.decode = static_cast<const struct v4l2_ctrl_hevc_decode_params *>(
		controls.get(V4L2_CID_STATELESS_HEVC_DECODE_PARAMS, &decodeElems));
	const auto *matrix = static_cast<const struct v4l2_ctrl_hevc_scaling_matrix *>(
		controls.get(V4L2_CID_STATELESS_HEVC_SCALING_MATRIX));
	if (!in.sps || !in.pps || !in.decode || !spsElems || !ppsElems || !decodeElems) {
		*why = "HEVC SPS, PPS or DECODE_PARAMS control missing";
		return -EINVAL;
	}
	// The CTB size sizes slice_segment_address: 16, 32 or 64 (7.4.3.2.1).
	const unsigned ctbLog2 = in.sps->log2_min_luma_coding_block_size_minus3 + 3u +
				 in.sps->log2_diff_max_min_luma_coding_block_size;
	if (ctbLog2 < 4 || ctbLog2 > 6 || !in.sps->pic_width_in_luma_samples ||
	    !in.sps->pic_height_in_luma_samples) {
		*why = "HEVC SPS with a CTB size other than 16, 32, 64 or an empty picture";
		return -EINVAL;
	}
	const int32_t startCode = menuValue(controls, V4L2_CID_STATELESS_HEVC_START_CODE,
					    V4L2_STATELESS_HEVC_START_CODE_ANNEX_B);
	RebuildScratch local;
	RebuildScratch &scratch = cache ? cache->scratch : local;
	std::vector<NalSpan> &nals = scratch.nals;
	nals.clear();
	if (startCode == V4L2_STATELESS_HEVC_START_CODE_ANNEX_B) {
		if (!splitAnnexB(bitstream, size, nals)) {
			*why = "HEVC Annex B bitstream without a start code";
			return -EINVAL;
		}
	} else if (size) {
		nals.push_back({bitstream, size});
	}
	// slice_pic_parameter_set_id of the first slice segment (after the 2-byte NAL header,
	// first_slice_segment_in_pic_flag and, for IRAP pictures, no_output_of_prior_pics_flag).
	uint32_t ppsId = 0;
	bool found = false;
	for (const NalSpan &n : nals) {
		if (n.size < 3 || !isSliceSegment((n.data[0] >> 1) & 0x3f))
			continue;
		uint8_t head[16];
		BitReader r(head, unescapePrefix(n.data, n.size, head, sizeof(head)));
		const unsigned type = (head[0] >> 1) & 0x3f;
		r.skip(17);
		if (type >= kBlaWLp && type <= kRsvIrap23)
			r.skip(1);
		ppsId = r.ue();
		found = !r.overrun() && ppsId <= 63;
		break;
	}
	if (!found) {
		*why = "HEVC bitstream without a parsable slice segment";
		return -EINVAL;
	}

	// Everything that can fail first: a refused job leaves the cache as it was.
	std::vector<uint8_t> &vps = scratch.sets[0], &sps = scratch.sets[1], &pps = scratch.sets[2];
	std::vector<uint8_t> &slices = scratch.slices;
	slices.clear();
	int ret = writeHevcVps(*in.sps, vps, why);
	if (!ret)
		ret = writeHevcSps(*in.sps, matrix, sps, why);
	if (!ret)
		ret = writeHevcPps(*in.sps, *in.pps, ppsId, pps, why);
	for (size_t i = 0; !ret && i < nals.size(); i++) {
		const NalSpan &n = nals[i];
		const unsigned type = n.size ? (n.data[0] >> 1) & 0x3f : 0;
		// VPS, SPS, PPS: the hardware takes them from the controls; queued ones are
		// dropped rather than let override them in the software decoder.
		if (type >= 32 && type <= 34)
			continue;
		if (n.size < 3 || !isSliceSegment(type))
			appendEscapedNal(slices, n.data, n.size);
		else
			ret = rewriteSlice(in, n.data, n.size, scratch, slices, why);
	}
	if (ret)
		return ret;
	const bool newVps = !cache || cache->changed(kVpsKey, vps);
	if (newVps)
		appendNal(packet, vps);
	// A changed VPS / SPS makes the decoder drop the sets referring to it (all of ours do).
	if (cache && newVps)
		cache->forgetFrom(kSpsKey);
	const bool newSps = !cache || cache->changed(kSpsKey, sps);
	if (newSps)
		appendNal(packet, sps);
	if (cache && newSps)
		cache->forgetFrom(kPpsKey);
	if (!cache || cache->changed(kPpsKey + ppsId, pps))
		appendNal(packet, pps);
	packet.insert(packet.end(), slices.begin(), slices.end());
	return 0;
}

namespace {

const Rebuilder kHevcRebuilder = {
	.codec = "hevc",
	.avCodecId = AV_CODEC_ID_HEVC,
	.createState = createParamSetState,
	.rebuild = rebuildWithParamSets<rebuildHevc>,
};

} // namespace

V4L2EMU_REGISTER_REBUILDER(kHevcRebuilder);

} // namespace v4l2emu::libav
