// SPDX-License-Identifier: MIT
// The codec table: every codec file registers its descriptor with V4L2VA_REGISTER_CODEC, which
// places a pointer in the linker section walked here (nvidia-vaapi-driver's DECLARE_CODEC), so
// adding a codec is adding its file.
#include "registry.h"

extern "C" {
// Defined by the linker when the section is non-empty; weak so that a build without codecs links.
extern const v4l2va::CodecDescriptor *const __start_v4l2va_codecs[] __attribute__((weak));
extern const v4l2va::CodecDescriptor *const __stop_v4l2va_codecs[] __attribute__((weak));
}

namespace v4l2va {

std::span<const CodecDescriptor *const> allCodecs()
{
	if (!__start_v4l2va_codecs || !__stop_v4l2va_codecs)
		return {};
	return {__start_v4l2va_codecs, __stop_v4l2va_codecs};
}

const CodecDescriptor *codecForProfile(VAProfile profile)
{
	for (const CodecDescriptor *c : allCodecs())
		for (VAProfile p : c->profiles)
			if (p == profile)
				return c;
	return nullptr;
}

} // namespace v4l2va
