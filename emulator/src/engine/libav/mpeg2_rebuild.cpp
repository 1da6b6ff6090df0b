// SPDX-License-Identifier: MIT
// MPEG-2 (ISO/IEC 13818-2 6.2): the headers the hardware never sees, rebuilt from the three
// stateless controls, then the slices exactly as queued (hantro and cedrus take them with
// their start codes: hantro_g1_mpeg2_dec.c starts at bit 0). Every packet carries
//   sequence_header (6.2.2.1) + sequence_extension (6.2.2.3)
//   picture_header (6.2.3) + picture_coding_extension (6.2.3.1) + quant_matrix_extension
// so the software decoder's state follows the controls of each job, as the hardware's
// registers do. Fields the controls do not carry and that do not change the decoded samples
// are fixed: aspect ratio 1 (square), frame rate code 3 (25 Hz), bit rate 0x3ffff (VBR),
// temporal_reference 0, vbv_delay 0xffff, low_delay 0, chroma_420_type = progressive_frame.
#include "bit_writer.h"
#include "rebuild.h"

extern "C" {
#include <libavcodec/codec_id.h>
}

#include <linux/v4l2-controls.h>

#include <cerrno>
#include <cstring>

namespace v4l2emu::libav {

namespace {

constexpr uint8_t kSequenceHeader = 0xb3, kExtension = 0xb5, kPicture = 0x00;
constexpr uint32_t kSequenceExtensionId = 1, kQuantMatrixExtensionId = 3,
		   kPictureCodingExtensionId = 8;

void writeSequence(BitWriter &w, const struct v4l2_ctrl_mpeg2_sequence &seq)
{
	w.startCode(kSequenceHeader);
	w.bits(seq.horizontal_size & 0xfff, 12);
	w.bits(seq.vertical_size & 0xfff, 12);
	w.bits(1, 4);			// aspect_ratio_information: square samples
	w.bits(3, 4);			// frame_rate_code: 25 Hz
	w.bits(0x3ffff, 18);		// bit_rate_value (low 18 bits)
	w.bit(1);			// marker
	w.bits(seq.vbv_buffer_size & 0x3ff, 10);
	w.bit(0);			// constrained_parameters_flag
	w.bit(0);			// load_intra_quantiser_matrix (quant_matrix_extension does)
	w.bit(0);			// load_non_intra_quantiser_matrix
	w.startCode(kExtension);
	w.bits(kSequenceExtensionId, 4);
	w.bits(seq.profile_and_level_indication & 0xff, 8);
	w.bit(seq.flags & V4L2_MPEG2_SEQ_FLAG_PROGRESSIVE ? 1 : 0);
	w.bits(seq.chroma_format & 3, 2);
	w.bits(seq.horizontal_size >> 12, 2);
	w.bits(seq.vertical_size >> 12, 2);
	w.bits(0xfff, 12);		// bit_rate_extension
	w.bit(1);			// marker
	w.bits((seq.vbv_buffer_size >> 10) & 0xff, 8);
	w.bit(0);			// low_delay
	w.bits(0, 2);			// frame_rate_extension_n
	w.bits(0, 5);			// frame_rate_extension_d
}

void writePicture(BitWriter &w, const struct v4l2_ctrl_mpeg2_picture &pic)
{
	w.startCode(kPicture);
	w.bits(0, 10);			// temporal_reference
	w.bits(pic.picture_coding_type, 3);
	w.bits(0xffff, 16);		// vbv_delay
	if (pic.picture_coding_type == V4L2_MPEG2_PIC_CODING_TYPE_P ||
	    pic.picture_coding_type == V4L2_MPEG2_PIC_CODING_TYPE_B) {
		w.bit(0);		// full_pel_forward_vector (MPEG-2: 0)
		w.bits(7, 3);		// forward_f_code (MPEG-2: 7, f_code in the extension)
	}
	if (pic.picture_coding_type == V4L2_MPEG2_PIC_CODING_TYPE_B) {
		w.bit(0);
		w.bits(7, 3);
	}
	w.bit(0);			// extra_bit_picture
	w.startCode(kExtension);
	w.bits(kPictureCodingExtensionId, 4);
	w.bits(pic.f_code[0][0] & 0xf, 4);
	w.bits(pic.f_code[0][1] & 0xf, 4);
	w.bits(pic.f_code[1][0] & 0xf, 4);
	w.bits(pic.f_code[1][1] & 0xf, 4);
	w.bits(pic.intra_dc_precision & 3, 2);
	w.bits(pic.picture_structure & 3, 2);
	auto flag = [&](uint32_t f) { w.bit(pic.flags & f ? 1 : 0); };
	flag(V4L2_MPEG2_PIC_FLAG_TOP_FIELD_FIRST);
	flag(V4L2_MPEG2_PIC_FLAG_FRAME_PRED_DCT);
	flag(V4L2_MPEG2_PIC_FLAG_CONCEALMENT_MV);
	flag(V4L2_MPEG2_PIC_FLAG_Q_SCALE_TYPE);
	flag(V4L2_MPEG2_PIC_FLAG_INTRA_VLC);
	flag(V4L2_MPEG2_PIC_FLAG_ALT_SCAN);
	flag(V4L2_MPEG2_PIC_FLAG_REPEAT_FIRST);
	flag(V4L2_MPEG2_PIC_FLAG_PROGRESSIVE);	// chroma_420_type
	flag(V4L2_MPEG2_PIC_FLAG_PROGRESSIVE);	// progressive_frame
	w.bit(0);			// composite_display_flag
}

/// The matrices as the controls hold them (zig-zag scan order, like the bitstream, 6.3.11).
void writeQuantisation(BitWriter &w, const struct v4l2_ctrl_mpeg2_quantisation &q,
		       bool chromaMatrices)
{
	w.startCode(kExtension);
	w.bits(kQuantMatrixExtensionId, 4);
	auto matrix = [&](const uint8_t *m) {
		w.bit(1);
		for (int i = 0; i < 64; i++)
			w.bits(m[i], 8);
	};
	matrix(q.intra_quantiser_matrix);
	matrix(q.non_intra_quantiser_matrix);
	if (chromaMatrices) {	// 4:2:2 and 4:4:4 only; 4:2:0 uses the luma ones
		matrix(q.chroma_intra_quantiser_matrix);
		matrix(q.chroma_non_intra_quantiser_matrix);
	} else {
		w.bit(0);
		w.bit(0);
	}
}

/// The sequence header is repeated only when the sequence control changes: libavcodec resets
/// its field pairing (and matrices) on every sequence header, which would break a second
/// field queued in its own job.
///
/// It also follows the anchors (I and P pictures) the software decoder will predict from
/// (ISO/IEC 13818-2 7.6.3: P from the latest anchor, B from the two latest) by their
/// timestamps, to tell when the controls name other pictures.
class Mpeg2State final : public RebuildState {
public:
	bool emitted = false;
	struct v4l2_ctrl_mpeg2_sequence last {};
	uint64_t anchors[2] = {};	///< [0] older, [1] latest
	unsigned anchorCount = 0;
	uint64_t lastTimestamp = 0;	///< of the previous job (a field pair shares one)
	bool lastWasField = false;
};

/// 1 when the references the picture control names are not the decoder's anchors.
int checkReferences(Mpeg2State &st, const DecodeJob &job, const struct v4l2_ctrl_mpeg2_picture &pic,
		    const char **why)
{
	bool field = pic.picture_structure != V4L2_MPEG2_PIC_FRAME;
	bool secondField = field && st.lastWasField && st.lastTimestamp == job.timestampNs;
	int wrong = 0;
	// A second field may predict from the first field of its own frame.
	auto isAnchor = [&](uint64_t ts, unsigned which) {
		return ts == st.anchors[which] || (secondField && ts == job.timestampNs);
	};
	if (pic.picture_coding_type == V4L2_MPEG2_PIC_CODING_TYPE_P && st.anchorCount >= 1 &&
	    !isAnchor(pic.forward_ref_ts, 1)) {
		*why = "the P picture's forward reference is not the latest I/P picture, which the "
		       "bitstream makes the decoder predict from";
		wrong = 1;
	}
	if (pic.picture_coding_type == V4L2_MPEG2_PIC_CODING_TYPE_B && st.anchorCount >= 2 &&
	    (pic.forward_ref_ts != st.anchors[0] || pic.backward_ref_ts != st.anchors[1])) {
		*why = "the B picture's references are not the two latest I/P pictures (forward: the "
		       "older, backward: the latest), which the bitstream makes the decoder use";
		wrong = 1;
	}
	bool anchor = pic.picture_coding_type != V4L2_MPEG2_PIC_CODING_TYPE_B;
	if (anchor && !secondField) {
		st.anchors[0] = st.anchors[1];
		st.anchors[1] = job.timestampNs;
		st.anchorCount = st.anchorCount < 2 ? st.anchorCount + 1 : 2;
	}
	st.lastTimestamp = job.timestampNs;
	st.lastWasField = field && !secondField;
	return wrong;
}

std::unique_ptr<RebuildState> createState()
{
	return std::make_unique<Mpeg2State>();
}

int rebuild(RebuildState *state, const DecodeJob &job, std::vector<uint8_t> &packet, const char **why)
{
	auto *seq = static_cast<const struct v4l2_ctrl_mpeg2_sequence *>(
		job.controls->get(V4L2_CID_STATELESS_MPEG2_SEQUENCE));
	auto *pic = static_cast<const struct v4l2_ctrl_mpeg2_picture *>(
		job.controls->get(V4L2_CID_STATELESS_MPEG2_PICTURE));
	auto *quant = static_cast<const struct v4l2_ctrl_mpeg2_quantisation *>(
		job.controls->get(V4L2_CID_STATELESS_MPEG2_QUANTISATION));
	if (!seq || !pic || !quant) {
		*why = "the device has no MPEG-2 sequence, picture or quantisation control";
		return -EINVAL;
	}
	if (!job.bitstream || job.bitstreamSize < 4) {
		*why = "no slice data in the OUTPUT buffer";
		return -EINVAL;
	}
	auto *st = static_cast<Mpeg2State *>(state);
	int wrongReferences = checkReferences(*st, job, *pic, why);
	BitWriter w(packet);
	if (!st->emitted || memcmp(&st->last, seq, sizeof(*seq))) {
		writeSequence(w, *seq);
		st->emitted = true;
		st->last = *seq;
	}
	writePicture(w, *pic);
	writeQuantisation(w, *quant, seq->chroma_format != 1);
	w.alignZero();
	packet.insert(packet.end(), job.bitstream, job.bitstream + job.bitstreamSize);
	return wrongReferences;
}

const Rebuilder kMpeg2Rebuilder = {"mpeg2", AV_CODEC_ID_MPEG2VIDEO, createState, rebuild};

} // namespace

V4L2EMU_REGISTER_REBUILDER(kMpeg2Rebuilder);

} // namespace v4l2emu::libav
