#!/bin/bash -eu
# SPDX-License-Identifier: MIT
# OSS-Fuzz / ClusterFuzzLite build: every fuzz target of fuzz/CMakeLists.txt, compiled with
# $CC/$CXX/$CFLAGS/$CXXFLAGS and linked with $LIB_FUZZING_ENGINE, into $OUT with
#   <target>                    the fuzzer
#   <target>_seed_corpus.zip    corpus/fuzz/<target>/ (seeds and crash-* regression inputs)
#   <target>.dict               fuzz/<target>.dict where there is one
#   lib/                        the shared libraries the fuzzers need (libv4l2emu, libva)
#   v4l2_request_drv_video.so   the VA driver module va_call_sequence loads
# The fuzzers find lib/ through RUNPATH $ORIGIN/lib, and va_call_sequence finds the driver
# next to itself (V4L2VA_DRIVER_PATH).
#
# Runs outside OSS-Fuzz too (for checking this script): set CC, CXX, CFLAGS, CXXFLAGS,
# LIB_FUZZING_ENGINE, SRC, WORK and OUT, e.g. CFLAGS="-fsanitize=address,fuzzer-no-link"
# LIB_FUZZING_ENGINE=-fsanitize=fuzzer.
# Here too, not only in the #! line: `bash build.sh` (as when checking it) ignores that line, and
# a failed configure or build then went on to package nothing and exit 0.
set -euo pipefail
src=${SRC}/v4l2-request-va
[ -f "$src/CMakeLists.txt" ] || src=$(cd "$(dirname "$0")/../.." && pwd)
build=${WORK}/v4l2va-build

# The VA target links the harness, which links the distribution's GoogleTest (built against
# libstdc++): use libstdc++ throughout (MSan, which needs libc++, is not enabled in
# project.yaml).
CXXFLAGS=${CXXFLAGS//-stdlib=libc++/}
export CXXFLAGS
export LDFLAGS="${LDFLAGS:-} -Wl,-rpath,'\$ORIGIN/lib'"

cmake -S "$src" -B "$build" -G Ninja \
  -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" \
  -DV4L2VA_SANITIZE= -DV4L2VA_FUZZ=OFF -DV4L2VA_BUILD_BENCH=OFF -DV4L2VA_BUILD_TESTS=ON \
  -DV4L2VA_FUZZ_ENGINE_LDFLAGS="$LIB_FUZZING_ENGINE"
cmake --build "$build" --target all_fuzzers

mkdir -p "$OUT/lib"
while read -r target; do
  [ -n "$target" ] || continue
  cp "$build/fuzz/$target" "$OUT/$target"
  rm -f "$OUT/${target}_seed_corpus.zip"
  if [ -d "$src/corpus/fuzz/$target" ]; then
    (cd "$src/corpus/fuzz/$target" && zip -q -r "$OUT/${target}_seed_corpus.zip" .)
  fi
  if [ -f "$src/fuzz/$target.dict" ]; then
    cp "$src/fuzz/$target.dict" "$OUT/$target.dict"
  fi
done < "$build/fuzz/fuzz_targets.txt"
cp "$build/dri/v4l2_request_drv_video.so" "$OUT/"

# Shared libraries the runner image does not have: the project's own and libva/libdrm.
for f in "$OUT"/v4l2_request_drv_video.so $(sed "s|^|$OUT/|" "$build/fuzz/fuzz_targets.txt"); do
  ldd "$f" | awk '/=> \// { print $3 }' | grep -E '/(libv4l2emu|libva|libdrm)[^/]*$' || true
done | sort -u | while read -r lib; do
  cp -L "$lib" "$OUT/lib/"
done
