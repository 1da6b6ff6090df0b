#!/bin/sh
# SPDX-License-Identifier: MIT
# Kernel-direct peer (b) for v4l2emu-conformance: GStreamer's own V4L2 stateless decoders
# (v4l2codecs: v4l2slmpeg2dec, v4l2slh264dec, v4l2slh265dec, v4l2slvp8dec, v4l2slvp9dec),
# unmodified, on the emulated board through v4l2emu-run, printing one MD5 per frame of the
# NV12 output (checksumsink). Exit 77 ("not available") when the element does not register on
# the emulated board (v4l2codecs finds its devices through udev) or the stream has no demuxer
# here.
#   v4l2emu-conformance --runner build/default/bin/v4l2emu-run \
#     --peer conformance/peers/gst-v4l2codecs.sh
# Environment (from v4l2emu-conformance): CONFORMANCE_STREAM, CONFORMANCE_CODEC,
# CONFORMANCE_RUNNER, CONFORMANCE_RAW. GST_V4L2CODECS_RUN_ARGS adds runner flags.
set -u
stream=${CONFORMANCE_STREAM:?}
runner=${CONFORMANCE_RUNNER:?}
case "$CONFORMANCE_CODEC" in
mpeg2) element=v4l2slmpeg2dec parse=mpegvideoparse ;;
h264) element=v4l2slh264dec parse=h264parse ;;
hevc) element=v4l2slh265dec parse=h265parse ;;
vp8) element=v4l2slvp8dec parse= ;;
vp9) element=v4l2slvp9dec parse=vp9parse ;;
*) echo "gst-v4l2codecs: no element for codec '$CONFORMANCE_CODEC'" >&2; exit 77 ;;
esac
case "$stream" in
*.mp4) demux="qtdemux !" ;;
*.mkv | *.webm) demux="matroskademux !" ;;
*.ivf) demux="ivfparse !" ;;
*.m2v) demux= ;;
*) echo "gst-v4l2codecs: no demuxer for $stream" >&2; exit 77 ;;
esac
# shellcheck disable=SC2086
if ! "$runner" ${GST_V4L2CODECS_RUN_ARGS:-} -- gst-inspect-1.0 --exists "$element"; then
	echo "gst-v4l2codecs: $element does not register on the emulated board" >&2
	exit 77
fi
[ -n "$parse" ] && parse="$parse !"
# Frames to CONFORMANCE_RAW (for the PNGs) and their MD5s on stdout, in output order.
# shellcheck disable=SC2086
exec "$runner" ${GST_V4L2CODECS_RUN_ARGS:-} -- gst-launch-1.0 -q filesrc location="$stream" ! \
	$demux $parse "$element" ! videoconvert ! video/x-raw,format=NV12 ! tee name=t \
	t. ! queue ! checksumsink hash=md5 \
	t. ! queue ! filesink location="${CONFORMANCE_RAW:-/dev/null}"
