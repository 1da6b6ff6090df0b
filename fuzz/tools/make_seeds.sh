#!/usr/bin/env bash
# fuzz/tools/make_seeds.sh: regenerate the seeds recorded from real streams.
#
#   fuzz/tools/make_seeds.sh [BUILD_DIR]
#
# Builds fuzz_seed_recorder in BUILD_DIR (a gcc or clang build without the fuzz preset; default
# build/default, configured if missing), decodes every clip of corpus/streams/ through the VA
# driver on the emulated fresnel board with libavcodec, and rewrites corpus/fuzz/<target>/
# seed-<clip>* for va_call_sequence, codec_state, emu_stateless_controls, h264_slice_header,
# hevc_slice_header and vp9_headers. Other files there (hand-written seeds, crash-* regression
# inputs) are left alone. Run the replays afterwards: ctest -L fuzz-replay.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build/default}
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi
cmake --build "$build" --target fuzz_seed_recorder
recorder=$build/fuzz/fuzz_seed_recorder
corpus=$root/corpus/fuzz
status=0
for clip in "$root"/corpus/streams/*.{mp4,mkv,m2v,ivf,webm}; do
  [ -f "$clip" ] || continue
  name=$(basename "$clip"); name=${name%.*}
  for target in va_call_sequence codec_state emu_stateless_controls h264_slice_header \
                hevc_slice_header vp9_headers; do
    rm -f "$corpus/$target/seed-$name" "$corpus/$target/seed-$name"-*
  done
  if ! "$recorder" "$clip" "$corpus" "$name"; then
    echo "make_seeds: $clip: recording failed" >&2
    status=1
  fi
done
exit $status
