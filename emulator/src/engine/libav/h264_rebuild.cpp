// SPDX-License-Identifier: MIT
// H.264 for the libavcodec engine: SPS and PPS NAL units written from the stateless controls
// (syntax of H.264 7.3.2.1.1 and 7.3.2.2), then the queued slice NAL units. The hardware
// takes everything the parameter sets say from the controls, so what the bitstream's own
// SPS/PPS said does not matter: the slices are decoded against the controls, wrong or not.
#include "h26x_rebuild.h"

#include "bit_writer.h"
#include "rebuild.h"

#include <libavcodec/codec_id.h>

#include <cerrno>
#include <cstring>

namespace v4l2emu::libav {

namespace {

constexpr uint32_t kSpsKey = 0x100;	// ParamSetCache keys: SPS, PPS + id
constexpr uint32_t kPpsKey = 0x200;

// Frame zig-zag scans (H.264 8.5.6, Table 8-13): the raster position of the j-th coefficient,
// the order scaling lists are coded in (7.3.2.1.1.1) whatever the field/frame coding.
constexpr uint8_t kZigzag4x4[16] = {0, 1, 4, 8, 5, 2, 3, 6, 9, 12, 13, 10, 7, 11, 14, 15};
constexpr uint8_t kZigzag8x8[64] = {
	0,  1,  8,  16, 9,  2,  3,  10, 17, 24, 32, 25, 18, 11, 4,  5,
	12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6,  7,  14, 21, 28,
	35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
	58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63};

bool hasChromaFormat(uint8_t profileIdc)
{
	// uapi V4L2_H264_SPS_HAS_CHROMA_FORMAT, the profiles of 7.3.2.1.1 with chroma_format_idc.
	switch (profileIdc) {
	case 100: case 110: case 122: case 244: case 44: case 83: case 86: case 118: case 128:
	case 138: case 139: case 134: case 135:
		return true;
	default:
		return false;
	}
}

/// scaling_list() (7.3.2.1.1.1) of a raster-order list: every value coded explicitly (a list
/// is never signalled as "use default", which a first delta reaching 0 would mean).
int writeScalingList(BitWriter &w, const uint8_t *raster, const uint8_t *scan, unsigned size,
		     const char **why)
{
	int last = 8;
	for (unsigned j = 0; j < size; j++) {
		int value = raster[scan[j]];
		if (value == 0) {
			*why = "H.264 scaling list value 0 cannot be coded";
			return -EINVAL;
		}
		int delta = (value - last + 256) % 256;
		if (delta > 127)
			delta -= 256;
		w.se(delta);
		last = value;
	}
	return 0;
}

/// The pic_parameter_set_id of a slice NAL unit (7.3.3: first_mb_in_slice, slice_type,
/// pic_parameter_set_id, the first three fields after the NAL header).
bool slicePpsId(const uint8_t *nal, size_t size, uint32_t *ppsId)
{
	uint8_t rbsp[16];
	BitReader r(rbsp, unescapePrefix(nal, size, rbsp, sizeof(rbsp)));
	r.skip(8);
	r.ue();
	r.ue();
	*ppsId = r.ue();
	return !r.overrun() && *ppsId <= 255;
}

bool isSlice(uint8_t nalHeader)
{
	uint8_t type = nalHeader & 0x1f;
	return type == 1 || type == 5;
}

/// SPS, PPS, SPS extension and subset SPS: the hardware takes these from the controls, so
/// queued ones are dropped rather than let override them in the software decoder.
bool isParameterSet(uint8_t nalHeader)
{
	uint8_t type = nalHeader & 0x1f;
	return type == 7 || type == 8 || type == 13 || type == 15;
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

} // namespace

int writeH264Sps(const struct v4l2_ctrl_h264_sps &sps, std::vector<uint8_t> &rbsp,
		 const char **why)
{
	rbsp.clear();
	BitWriter w(rbsp);
	w.bits(0x67, 8);	// forbidden_zero_bit 0, nal_ref_idc 3, nal_unit_type 7
	w.bits(sps.profile_idc, 8);
	for (unsigned i = 0; i < 6; i++)	// constraint_set0_flag first
		w.flag(sps.constraint_set_flags & (1u << i));
	w.bits(0, 2);				// reserved_zero_2bits
	w.bits(sps.level_idc, 8);
	if (sps.seq_parameter_set_id > 31) {
		*why = "H.264 seq_parameter_set_id above 31";
		return -EINVAL;
	}
	w.ue(sps.seq_parameter_set_id);
	if (hasChromaFormat(sps.profile_idc)) {
		w.ue(sps.chroma_format_idc);
		if (sps.chroma_format_idc == 3)
			w.flag(sps.flags & V4L2_H264_SPS_FLAG_SEPARATE_COLOUR_PLANE);
		w.ue(sps.bit_depth_luma_minus8);
		w.ue(sps.bit_depth_chroma_minus8);
		w.flag(sps.flags & V4L2_H264_SPS_FLAG_QPPRIME_Y_ZERO_TRANSFORM_BYPASS);
		// The one scaling matrix the controls have goes into the PPS (writeH264Pps): it is
		// the matrix in force, after the SPS/PPS fall-back rules.
		w.flag(false);	// seq_scaling_matrix_present_flag
	}
	w.ue(sps.log2_max_frame_num_minus4);
	w.ue(sps.pic_order_cnt_type);
	if (sps.pic_order_cnt_type == 0) {
		w.ue(sps.log2_max_pic_order_cnt_lsb_minus4);
	} else if (sps.pic_order_cnt_type == 1) {
		w.flag(sps.flags & V4L2_H264_SPS_FLAG_DELTA_PIC_ORDER_ALWAYS_ZERO);
		w.se(sps.offset_for_non_ref_pic);
		w.se(sps.offset_for_top_to_bottom_field);
		w.ue(sps.num_ref_frames_in_pic_order_cnt_cycle);
		for (unsigned i = 0; i < sps.num_ref_frames_in_pic_order_cnt_cycle; i++)
			w.se(sps.offset_for_ref_frame[i]);
	}
	w.ue(sps.max_num_ref_frames);
	w.flag(sps.flags & V4L2_H264_SPS_FLAG_GAPS_IN_FRAME_NUM_VALUE_ALLOWED);
	w.ue(sps.pic_width_in_mbs_minus1);
	w.ue(sps.pic_height_in_map_units_minus1);
	const bool frameMbsOnly = sps.flags & V4L2_H264_SPS_FLAG_FRAME_MBS_ONLY;
	w.flag(frameMbsOnly);
	if (!frameMbsOnly)
		w.flag(sps.flags & V4L2_H264_SPS_FLAG_MB_ADAPTIVE_FRAME_FIELD);
	w.flag(sps.flags & V4L2_H264_SPS_FLAG_DIRECT_8X8_INFERENCE);
	// Neither cropping nor VUI is in the control: the picture is the whole macroblock area.
	w.flag(false);	// frame_cropping_flag
	w.flag(false);	// vui_parameters_present_flag
	w.trailingBits();
	return 0;
}

int writeH264Pps(const struct v4l2_ctrl_h264_sps &sps, const struct v4l2_ctrl_h264_pps &pps,
		 const struct v4l2_ctrl_h264_scaling_matrix *matrix, uint32_t ppsId,
		 std::vector<uint8_t> &rbsp, const char **why)
{
	if (pps.num_slice_groups_minus1) {
		// The slice group map (FMO) syntax is not in the controls.
		*why = "H.264 FMO (num_slice_groups_minus1 > 0) cannot be expressed";
		return -EINVAL;
	}
	rbsp.clear();
	BitWriter w(rbsp);
	w.bits(0x68, 8);	// nal_ref_idc 3, nal_unit_type 8
	w.ue(ppsId);
	// The PPS names the SPS the controls give (the hardware has only that one).
	w.ue(sps.seq_parameter_set_id);
	w.flag(pps.flags & V4L2_H264_PPS_FLAG_ENTROPY_CODING_MODE);
	w.flag(pps.flags & V4L2_H264_PPS_FLAG_BOTTOM_FIELD_PIC_ORDER_IN_FRAME_PRESENT);
	w.ue(pps.num_slice_groups_minus1);
	w.ue(pps.num_ref_idx_l0_default_active_minus1);
	w.ue(pps.num_ref_idx_l1_default_active_minus1);
	w.flag(pps.flags & V4L2_H264_PPS_FLAG_WEIGHTED_PRED);
	w.bits(pps.weighted_bipred_idc, 2);
	w.se(pps.pic_init_qp_minus26);
	w.se(pps.pic_init_qs_minus26);
	w.se(pps.chroma_qp_index_offset);
	w.flag(pps.flags & V4L2_H264_PPS_FLAG_DEBLOCKING_FILTER_CONTROL_PRESENT);
	w.flag(pps.flags & V4L2_H264_PPS_FLAG_CONSTRAINED_INTRA_PRED);
	w.flag(pps.flags & V4L2_H264_PPS_FLAG_REDUNDANT_PIC_CNT_PRESENT);
	const bool transform8x8 = pps.flags & V4L2_H264_PPS_FLAG_TRANSFORM_8X8_MODE;
	const bool scaling = pps.flags & V4L2_H264_PPS_FLAG_SCALING_MATRIX_PRESENT;
	// The High profile tail only when it says something (decoders infer transform 8x8 off,
	// flat lists and second_chroma_qp_index_offset = chroma_qp_index_offset without it).
	if (transform8x8 || scaling || pps.second_chroma_qp_index_offset != pps.chroma_qp_index_offset) {
		w.flag(transform8x8);
		w.flag(scaling);
		if (scaling) {
			if (!matrix) {
				*why = "H.264 PPS says scaling matrix present but there is no matrix";
				return -EINVAL;
			}
			// Lists 0..5 are 4x4 (Intra Y, Cb, Cr, Inter Y, Cb, Cr); 8x8 lists follow in
			// the uapi's order, which is the syntax order (Intra Y, Inter Y, Intra Cb, ...).
			const unsigned lists8x8 = transform8x8 ? (sps.chroma_format_idc == 3 ? 6 : 2) : 0;
			for (unsigned i = 0; i < 6 + lists8x8; i++) {
				w.flag(true);	// pic_scaling_list_present_flag
				int ret = i < 6 ? writeScalingList(w, matrix->scaling_list_4x4[i],
								   kZigzag4x4, 16, why)
						: writeScalingList(w, matrix->scaling_list_8x8[i - 6],
								   kZigzag8x8, 64, why);
				if (ret)
					return ret;
			}
		}
		w.se(pps.second_chroma_qp_index_offset);
	}
	w.trailingBits();
	return 0;
}

int rebuildH264(const ControlReader &controls, const uint8_t *bitstream, size_t size,
		ParamSetCache *cache, std::vector<uint8_t> &packet, const char **why)
{
	uint32_t spsElems = 0, ppsElems = 0;
	const auto *sps = static_cast<const struct v4l2_ctrl_h264_sps *>(
		controls.get(V4L2_CID_STATELESS_H264_SPS, &spsElems));
	const auto *pps = static_cast<const struct v4l2_ctrl_h264_pps *>(
		controls.get(V4L2_CID_STATELESS_H264_PPS, &ppsElems));
	const auto *matrix = static_cast<const struct v4l2_ctrl_h264_scaling_matrix *>(
		controls.get(V4L2_CID_STATELESS_H264_SCALING_MATRIX));
	if (!sps || !pps || !spsElems || !ppsElems) {
		*why = "H.264 SPS or PPS control missing";
		return -EINVAL;
	}
	// Without the controls a device has its defaults (frame-based, Annex B for rkvdec).
	const int32_t startCode = menuValue(controls, V4L2_CID_STATELESS_H264_START_CODE,
					    V4L2_STATELESS_H264_START_CODE_ANNEX_B);

	// The slice NAL units. Without start codes a buffer holds one NAL unit (a slice, in
	// slice-based mode; frame-based hardware cannot tell slices apart without them).
	RebuildScratch local;
	RebuildScratch &scratch = cache ? cache->scratch : local;
	std::vector<NalSpan> &nals = scratch.nals;
	nals.clear();
	if (startCode == V4L2_STATELESS_H264_START_CODE_ANNEX_B) {
		if (!splitAnnexB(bitstream, size, nals)) {
			*why = "H.264 Annex B bitstream without a start code";
			return -EINVAL;
		}
	} else if (size) {
		nals.push_back({bitstream, size});
	}
	const NalSpan *first = nullptr;
	for (const NalSpan &n : nals)
		if (n.size && isSlice(n.data[0])) {
			first = &n;
			break;
		}
	uint32_t ppsId = 0;
	if (!first || !slicePpsId(first->data, first->size, &ppsId)) {
		*why = "H.264 bitstream without a parsable slice";
		return -EINVAL;
	}

	// Everything that can fail first: a refused job leaves the cache as it was.
	std::vector<uint8_t> &spsRbsp = scratch.sets[1], &ppsRbsp = scratch.sets[2];
	int ret = writeH264Sps(*sps, spsRbsp, why);
	if (!ret)
		ret = writeH264Pps(*sps, *pps, matrix, ppsId, ppsRbsp, why);
	if (ret)
		return ret;
	const bool newSps = !cache || cache->changed(kSpsKey, spsRbsp);
	if (newSps)
		appendNal(packet, spsRbsp);
	// A changed SPS makes the decoder drop the PPSs referring to it (all of ours do).
	if (cache && newSps)
		cache->forgetFrom(kPpsKey);
	if (!cache || cache->changed(kPpsKey + ppsId, ppsRbsp))
		appendNal(packet, ppsRbsp);
	for (const NalSpan &n : nals)
		if (!n.size || !isParameterSet(n.data[0]))
			appendEscapedNal(packet, n.data, n.size);
	return 0;
}

namespace {

const Rebuilder kH264Rebuilder = {
	.codec = "h264",
	.avCodecId = AV_CODEC_ID_H264,
	.createState = createParamSetState,
	.rebuild = rebuildWithParamSets<rebuildH264>,
};

} // namespace

V4L2EMU_REGISTER_REBUILDER(kH264Rebuilder);

} // namespace v4l2emu::libav
