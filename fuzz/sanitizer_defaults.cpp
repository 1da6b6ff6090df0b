// SPDX-License-Identifier: MIT
// AddressSanitizer defaults compiled into every fuzz target and replayer (ASAN_OPTIONS in the
// environment still override them flag by flag, so OSS-Fuzz and ci/fuzz-env.sh keep theirs).
//
// clear_shadow_mmap_threshold: ASan's mmap and munmap interceptors zero the shadow of the
// region (compiler-rt asan_interceptors.cpp mmap_interceptor/munmap_interceptor ->
// PoisonShadow). Above the threshold (default 64 KiB of shadow, a 512 KiB mapping) they do it
// by remapping the shadow pages (mmap(MAP_FIXED) plus madvise, splitting the shadow mapping);
// below it with memset. The driver maps each 1 MiB OUTPUT buffer of a decode context and
// unmaps it when the context goes (and the VA target makes and ends a context per input):
// remapping the shadow was a tenth of that target's profile. memset of the 128 KiB of shadow
// gives part of that back (the target ran ~3% faster on a fixed corpus) and leaves the shadow
// just as clear, so detection is unchanged; the price is that shadow pages of often-mapped
// addresses stay resident (an eighth of those mappings).
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define V4L2VA_FUZZ_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define V4L2VA_FUZZ_ASAN 1
#endif

#ifdef V4L2VA_FUZZ_ASAN
extern "C" __attribute__((visibility("default"), used)) const char *__asan_default_options()
{
	return "clear_shadow_mmap_threshold=1048576";
}
#endif
