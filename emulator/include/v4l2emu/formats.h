// SPDX-License-Identifier: MIT
#pragma once

// Pixel formats newer than the vendored 6.12 headers (mainline rkvdec's 10-bit and 4:2:2
// CAPTURE formats). A newer videodev2.h that has them wins.

#include <linux/videodev2.h>

#ifndef V4L2_PIX_FMT_NV15
#define V4L2_PIX_FMT_NV15 v4l2_fourcc('N', 'V', '1', '5') /* 15  Y/CbCr 4:2:0 10-bit packed */
#endif
#ifndef V4L2_PIX_FMT_NV20
#define V4L2_PIX_FMT_NV20 v4l2_fourcc('N', 'V', '2', '0') /* 20  Y/CbCr 4:2:2 10-bit packed */
#endif
