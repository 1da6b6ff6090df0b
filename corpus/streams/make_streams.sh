#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# corpus/streams/make_streams.sh: (re)generates the small test clips of this directory and
# reference.tsv (the per-frame MD5 of the software decode, as NV12) with Debian's ffmpeg CLI.
#
#   corpus/streams/make_streams.sh [--check]
#     --check  regenerate into a temporary directory and compare its reference.tsv with the
#              committed one (equal as long as the encoders are the same builds), leaving
#              this directory untouched.
#
# Every encoder runs single-threaded with bitexact muxing so a rerun on the same ffmpeg build
# gives byte-identical files. README.md lists the resulting files.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
out="$here"
check=0
for arg in "$@"; do
	case "$arg" in
	--check) check=1 ;;
	-h | --help) sed -n '3,12p' "$0"; exit 0 ;;
	*) echo "make_streams.sh: unknown option '$arg'" >&2; exit 2 ;;
	esac
done
if [ "$check" = 1 ]; then
	out="$(mktemp -d)"
	trap 'rm -rf "$out"' EXIT
fi

if ! command -v ffmpeg >/dev/null; then
	echo "make_streams.sh: ffmpeg not found (apt-get install ffmpeg)" >&2
	exit 1
fi

FRAMES=10
common=(-hide_banner -loglevel error -nostdin -y)
# Muxer and encoder flags that keep version strings and dates out of the files.
exact=(-fflags +bitexact -flags:v +bitexact -map_metadata -1 -threads 1)

src_176() { echo "testsrc2=size=176x144:rate=25"; }

encode() { # name, lavfi source, encoder arguments...
	local name="$1" source="$2"
	shift 2
	ffmpeg "${common[@]}" -f lavfi -i "$source" -frames:v "$FRAMES" -pix_fmt yuv420p \
		"$@" "${exact[@]}" "$out/$name"
}

encode_2pass() { # name, lavfi source, frames, encoder arguments...
	local name="$1" source="$2" frames="$3"
	shift 3
	local log
	log="$(mktemp -d)"
	ffmpeg "${common[@]}" -f lavfi -i "$source" -frames:v "$frames" -pix_fmt yuv420p \
		"$@" "${exact[@]}" -pass 1 -passlogfile "$log/pass" -f null -
	ffmpeg "${common[@]}" -f lavfi -i "$source" -frames:v "$frames" -pix_fmt yuv420p \
		"$@" "${exact[@]}" -pass 2 -passlogfile "$log/pass" "$out/$name"
	rm -rf "$log"
}

# H.264 High: CABAC, 2 B-frames in a pyramid (B-frames used as references), 3 refs.
encode h264_high_cabac_bframes_176x144.mp4 "$(src_176)" \
	-c:v libx264 -profile:v high -preset medium -crf 30 \
	-x264-params bframes=2:b-adapt=0:b-pyramid=normal:ref=3:cabac=1:keyint=25
# H.264 Constrained Baseline: CAVLC, P only.
encode h264_cbaseline_cavlc_176x144.mp4 "$(src_176)" \
	-c:v libx264 -profile:v baseline -preset medium -crf 30 -x264-params keyint=25
# H.264 Main with 2 slices per picture (one VA slice buffer pair per slice), B-frames.
encode h264_main_2slices_176x144.mkv "$(src_176)" \
	-c:v libx264 -profile:v main -preset medium -crf 30 \
	-x264-params slices=2:bframes=2:b-adapt=0:keyint=25
# H.264 High at 320x240 (a size that is a multiple of 64 in width but not in height).
encode h264_high_mandelbrot_320x240.mp4 "mandelbrot=size=320x240:rate=25" \
	-c:v libx264 -profile:v high -preset medium -crf 34 \
	-x264-params bframes=2:b-adapt=0:keyint=25
# H.264 High, interlaced as MBAFF (x264's interlaced mode: frame pictures with field macroblock
# pairs; 144 rows are 4.5 pairs, so the coded height is 160, cropped).
encode h264_high_mbaff_176x144.mp4 "$(src_176)" \
	-c:v libx264 -profile:v high -preset medium -crf 30 \
	-x264-params interlaced=1:tff=1:bframes=2:b-adapt=0:keyint=25
# H.264 High with the JVT scaling matrices (pic_scaling_matrix_present_flag, 8x8 transform).
encode h264_high_cqm_176x144.mp4 "$(src_176)" \
	-c:v libx264 -profile:v high -preset medium -crf 30 \
	-x264-params cqm=jvt:bframes=2:b-adapt=0:keyint=25
# HEVC Main with B-frames.
encode hevc_main_bframes_176x144.mp4 "$(src_176)" \
	-c:v libx265 -profile:v main -preset medium -crf 32 -tag:v hvc1 \
	-x265-params log-level=error:bframes=2:b-adapt=0:keyint=25:pools=none:frame-threads=1
# HEVC Main at 128x128 (2x2 CTUs of 64; P only).
encode hevc_main_128x128.mp4 "mandelbrot=size=128x128:rate=25" \
	-c:v libx265 -profile:v main -preset medium -crf 34 -tag:v hvc1 \
	-x265-params log-level=error:bframes=0:keyint=25:pools=none:frame-threads=1
# HEVC Main with wavefronts (entropy_coding_sync, entry points), the default scaling lists
# (scaling_list_enabled_flag without data) and 32x32 CTUs; a one-thread pool for WPP.
encode hevc_main_wpp_scaling_176x144.mp4 "$(src_176)" \
	-c:v libx265 -profile:v main -preset medium -crf 32 -tag:v hvc1 \
	-x265-params log-level=error:bframes=2:b-adapt=0:keyint=25:pools=1:frame-threads=1:wpp=1:scaling-list=default:ctu=32
# extra/: clips only the rebuild tests (backend/tests/libav, v4l2va_rebuild_tests) take.
# HEVC Main 10 (10-bit 4:2:0) with B-frames: the VA harnesses of the corpus take 8-bit only.
mkdir -p "$out/extra"
encode_in() { # directory, name, pixel format, encoder arguments...
	local dir="$1" name="$2" pixfmt="$3"
	shift 3
	ffmpeg "${common[@]}" -f lavfi -i "$(src_176)" -frames:v "$FRAMES" -pix_fmt "$pixfmt" \
		"$@" "${exact[@]}" "$out/$dir/$name"
}
encode_in extra hevc_main10_176x144.mp4 yuv420p10le \
	-c:v libx265 -profile:v main10 -preset medium -crf 32 -tag:v hvc1 \
	-x265-params log-level=error:bframes=2:b-adapt=0:keyint=25:pools=none:frame-threads=1
# HEVC Main with 2 slices per picture (slice_segment_address) and explicit weighted
# bi-prediction: FFmpeg 5.1's frame-threaded HEVC decoder gives varying pictures for x265's
# multi-slice streams, so it is not for the multi-threaded harnesses (and its reference is
# decoded single-threaded).
encode_in extra hevc_main_2slices_176x144.mp4 yuv420p \
	-c:v libx265 -profile:v main -preset medium -crf 32 -tag:v hvc1 \
	-x265-params log-level=error:bframes=2:b-adapt=0:keyint=25:pools=none:frame-threads=1:slices=2:weightb=1
# VP8 with an alt-ref: the second packet is a hidden (show_frame=0) frame. libvpx only places
# alt-refs in two-pass mode, and with this lookahead only from 12 frames on.
encode_2pass vp8_altref_176x144.ivf "$(src_176)" 12 \
	-c:v libvpx -b:v 150k -auto-alt-ref 1 -lag-in-frames 8 -deadline good -cpu-used 4 -g 25
# VP9 profile 0 with 2 hidden alt-ref frames in one superframe and 2 show_existing_frame
# headers later (auto-alt-ref 2: a two-level alt-ref pyramid; two-pass only).
encode_2pass vp9_p0_altref_176x144.webm "$(src_176)" "$FRAMES" \
	-c:v libvpx-vp9 -profile:v 0 -b:v 150k -auto-alt-ref 2 -lag-in-frames 16 \
	-deadline good -cpu-used 4 -g 25 -row-mt 0 -tile-columns 0
# MPEG-2 Main (4:2:0, Main level) with 2 B-frames between references.
encode mpeg2_main_bframes_176x144.m2v "$(src_176)" \
	-c:v mpeg2video -profile:v main -level:v main -bf 2 -g 12 -q:v 6

# reference.tsv: stream, frame (output order), pts (as framemd5 prints it: in 1/25 s, the
# frame rate), width, height, MD5 of the frame as packed NV12 (luma rows of width bytes, then
# interleaved chroma rows of 2 * ceil(width / 2) bytes).
# One reference.tsv per directory (the top one and extra/, decoded single-threaded).
write_reference() { # directory, decoder arguments...
	local dir="$1"
	shift
	printf '# stream\tframe\tpts\twidth\theight\tnv12_md5\n'
	for f in $(cd "$dir" && ls -1 *.mp4 *.mkv *.ivf *.webm *.m2v 2>/dev/null | sort); do
		probe=$(ffprobe -v error -select_streams v:0 -show_entries stream=width,height \
			-of default=nw=1 "$dir/$f")
		w=$(sed -n 's/^width=//p' <<<"$probe")
		h=$(sed -n 's/^height=//p' <<<"$probe")
		ffmpeg -hide_banner -loglevel error -nostdin "$@" -i "$dir/$f" -map 0:v:0 -f framemd5 \
			-pix_fmt nv12 - |
			awk -F', *' -v s="$f" -v w="$w" -v h="$h" \
				'!/^#/ { printf "%s\t%d\t%s\t%s\t%s\t%s\n", s, n++, $3, w, h, $6 }'
	done
}
write_reference "$out" >"$out/reference.tsv"
write_reference "$out/extra" -threads 1 >"$out/extra/reference.tsv"

status=0
for f in "$out"/*.mp4 "$out"/*.mkv "$out"/*.ivf "$out"/*.webm "$out"/*.m2v "$out"/extra/*.mp4; do
	size=$(stat -c %s "$f")
	if [ "$size" -ge 30720 ]; then
		echo "make_streams.sh: $(basename "$f") is $size bytes (limit 30 KiB)" >&2
		status=1
	fi
done
if [ "$check" = 1 ]; then
	if diff -u "$here/reference.tsv" "$out/reference.tsv" &&
		diff -u "$here/extra/reference.tsv" "$out/extra/reference.tsv"; then
		echo "make_streams.sh: reference.tsv matches"
	else
		echo "make_streams.sh: reference.tsv differs from a fresh encode" >&2
		status=1
	fi
fi
exit "$status"
