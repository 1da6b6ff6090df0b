// SPDX-License-Identifier: MIT
#pragma once

// VA HEVC picture parameters -> the V4L2 SPS, PPS and scaling matrix controls, and the context
// the slice header parser needs (hevc_slice_header.h).

#include "hevc_slice_header.h"

#include <linux/videodev2.h>
#include <va/va.h>
#include <va/va_dec_hevc.h>

namespace v4l2va::hevc {

/// One picture's parameters, checked: what the slices are parsed and described with.
struct PictureParameters {
	VAPictureParameterBufferHEVC va = {};
	VAPictureParameterBufferHEVCRext rext = {};	///< zero unless VA sent the extension
	VAPictureParameterBufferHEVCScc scc = {};
	uint32_t ctbLog2 = 4;
	uint32_t widthCtbs = 0;
	uint32_t heightCtbs = 0;
	SliceHeaderContext headerContext;
};

/// Checks VA's values against their syntax ranges and derives the rest into *out; false (and
/// *out untouched) if a value is out of range. `ext` is the REXT/SCC extension when sent.
bool readPictureParameters(const VAPictureParameterBufferHEVC &va,
			   const VAPictureParameterBufferHEVCExtension *ext,
			   PictureParameters *out);

void fillSps(const PictureParameters &p, struct v4l2_ctrl_hevc_sps *sps);
/// `ppsId` comes from the slice header: VA has no parameter set ids.
void fillPps(const PictureParameters &p, uint8_t ppsId, struct v4l2_ctrl_hevc_pps *pps);
/// From VA's lists, or the default lists (7.4.5) when scaling is on without an IQ buffer.
void fillScalingMatrix(const VAIQMatrixBufferHEVC *iq, struct v4l2_ctrl_hevc_scaling_matrix *m);

} // namespace v4l2va::hevc
