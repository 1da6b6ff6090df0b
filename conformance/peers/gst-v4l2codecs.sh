#!/bin/sh
# SPDX-License-Identifier: MIT
# Kernel-direct peer (b) for v4l2emu-conformance: GStreamer's own V4L2 stateless decoders
# (v4l2codecs: v4l2slmpeg2dec, v4l2slh264dec, v4l2slh265dec, v4l2slvp8dec, v4l2slvp9dec),
# unmodified, on the emulated board (libavcodec engine) through v4l2emu-run, via
# e2e/tools/gst-v4l2codecs-decode (private registry, udev view from the preload, tight NV12):
# one MD5 per output frame on stdout, the frames in CONFORMANCE_RAW for the PNGs.
#   v4l2emu-conformance --runner build/default/bin/v4l2emu-run \
#     --peer conformance/peers/gst-v4l2codecs.sh
# Environment (from v4l2emu-conformance): CONFORMANCE_STREAM, CONFORMANCE_CODEC,
# CONFORMANCE_RUNNER, CONFORMANCE_RAW. GST_V4L2CODECS_BOARD picks the board (fresnel).
# Exit 77 ("not available", never counted as a pass): no element for the codec, or the
# installed GStreamer has a crash the tool recognises as GStreamer's own (e.g. 1.22.0's
# v4l2slh265dec on WPP streams, fixed in 1.22.10; see e2e/README.md) - the reason goes to stderr.
set -u
stream=${CONFORMANCE_STREAM:?}
runner=${CONFORMANCE_RUNNER:?}
tool=$(dirname "$0")/../../e2e/tools/gst-v4l2codecs-decode
case "$CONFORMANCE_CODEC" in
mpeg2 | vp8 | vp9) codec=$CONFORMANCE_CODEC ;;
h264) codec=h264 ;;
hevc) codec=h265 ;;
*) echo "gst-v4l2codecs: no element for codec '$CONFORMANCE_CODEC'" >&2; exit 77 ;;
esac
# With a sanitized build the ASan runtime is in GStreamer's process: GStreamer's own leaks at
# exit are not the board's (the e2e tests do the same; the board's leftovers are checked there).
case "${ASAN_OPTIONS:-}" in
'') ;;
*) export ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0" ;;
esac
err=$(mktemp)
trap 'rm -f "$err"' EXIT
python3 "$tool" --runner "$runner" --runner-flag=--engine --runner-flag=libav \
	--runner-flag=--board --runner-flag="${GST_V4L2CODECS_BOARD:-fresnel}" \
	--codec "$codec" --format md5 ${CONFORMANCE_RAW:+--raw "$CONFORMANCE_RAW"} "$stream" 2>"$err"
rc=$?
if [ "$rc" != 0 ]; then
	cat "$err" >&2
	# A known GStreamer crash (the tool names the fixed version) or an element that did not
	# register is "not available", not a failure of the emulator or the driver.
	if grep -q -e "known GStreamer bug" -e "v4l2codecs registered no" "$err"; then
		exit 77
	fi
fi
exit "$rc"
