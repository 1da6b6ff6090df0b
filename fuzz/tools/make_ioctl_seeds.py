#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Writes the hand-made seeds of emu_ioctl_sequence: one complete decode (open, S_FMT, buffers
# on both queues, STREAMON, controls in a request, QBUF both, QUEUE, poll, DQBUF, mmap,
# REINIT, close) per decoder of the fresnel board, in the target's byte encoding (each list
# below mirrors the reads of one operation in emu_ioctl_sequence_fuzzer.cpp).
#   fuzz/tools/make_ioctl_seeds.py [CORPUS_DIR]   (default corpus/fuzz/emu_ioctl_sequence)
import os
import sys

OUT, CAP = 0, 1          # pickType: < 200 picks OUTPUT_MPLANE / CAPTURE_MPLANE by parity
H264, MPEG2, VP8 = 0, 3, 4   # pickFourcc table indices


def decode(node, fourcc, ctrl0, ctrl1):
    ops = [
        [0, node],                                   # open video node
        [1, node],                                   # open media node
        [2, 0],                                      # MEDIA_IOC_REQUEST_ALLOC
        # S_FMT(OUTPUT 176x144): video, type, fourcc, dimension(64) = 2 * 64 + 48,
        # dimension(48) = 3 * 48 + 0, planes, sizeimage, cmd
        [3, 0, OUT, fourcc, 0, 2, 48, 180, 3, 0, 1, 0, 0],
        [4, 0, OUT, 0, 2, 0],                        # REQBUFS(OUTPUT, 2, MMAP)
        [4, 0, CAP, 0, 2, 0],                        # REQBUFS(CAPTURE, 2, MMAP)
        [8, 0, OUT, 1],                              # STREAMON(OUTPUT)
        [8, 0, CAP, 1],                              # STREAMON(CAPTURE)
        # S_EXT_CTRLS(REQUEST): video, count 2, {id, size 0, value small} x2, 64 payload bytes,
        # which, request, cmd, sizes from QUERY_EXT_CTRL
        [9, 0, 2, ctrl0, 0, 0, 0, ctrl1, 0, 0, 0] + [0] * 64 + [0, 0, 0, 0],
        # QBUF(OUTPUT 0, request, 100 bytes, ts 1 ms): video, type, memory, index (small: 2
        # bytes), length, bytesused (u8, small), flags, request, timestamp
        [6, 0, OUT, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1],
        [6, 0, CAP, 0, 0, 0, 0, 200, 200, 100, 0, 0],    # QBUF(CAPTURE 0)
        [10, 0, 1],                                  # MEDIA_REQUEST_IOC_QUEUE
        [15, 0, 0],                                  # poll
        [7, 0, CAP, 0, 0, 0, 0, 200, 200, 100, 0, 0, 1],  # DQBUF(CAPTURE)
        [7, 0, OUT, 0, 0, 0, 0, 200, 200, 100, 0, 0, 1],  # DQBUF(OUTPUT)
        [11, 0, CAP, 0, 0],                          # QUERYBUF + mmap CAPTURE 0
        [12, 0],                                     # munmap
        [10, 0, 0],                                  # MEDIA_REQUEST_IOC_REINIT
        [13, 0, 0],                                  # close the video fd
    ]
    return bytes([1] + [b for op in ops for b in op])   # byte 0: mainline kernel


def main():
    root = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, '../../corpus/fuzz/emu_ioctl_sequence')
    seeds = {
        # pickControl indices: 1 H.264 PPS, 2 H.264 DECODE_PARAMS, 6 MPEG-2 PICTURE, 7 VP8 FRAME
        'seed-decode-rkvdec-h264': decode(0, H264, 2, 1),
        'seed-decode-hantro-mpeg2': decode(1, MPEG2, 6, 6),
        'seed-decode-hantro-vp8': decode(1, VP8, 7, 7),
    }
    for name, data in seeds.items():
        with open(os.path.join(out, name), 'wb') as f:
            f.write(data)


main()
