// SPDX-License-Identifier: MIT
#pragma once

#include "codec.h"

/// Registers a codec descriptor (a `const CodecDescriptor` with static storage) in the table.
#define V4L2VA_REGISTER_CODEC(descriptor)                                                     \
	__attribute__((used, section("v4l2va_codecs"))) static const ::v4l2va::CodecDescriptor \
		*const v4l2va_codec_entry_##descriptor = &(descriptor)
