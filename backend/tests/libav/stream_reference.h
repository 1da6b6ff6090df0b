// SPDX-License-Identifier: MIT
#pragma once

// What the libav tests compare with: corpus/streams/<dir>reference.tsv, written by
// make_streams.sh from FFmpeg's software decode (stream, frame, pts, width, height, MD5 of the
// frame as packed NV12, in output order), and the MD5 of a picture packed the same way.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace v4l2va::test {

struct ReferenceFrame {
	int width = 0, height = 0;
	std::string md5;
};

struct StreamReference {
	std::string file;	///< as named in streamPath: "x.mp4" or "extra/x.mp4"
	std::vector<ReferenceFrame> frames;	///< output order
};

/// corpus/streams/<file>; file may be "extra/<name>".
std::string streamPath(const std::string &file);
/// The directory part of a clip name ("extra/x.mp4" -> "extra/"), where its reference.tsv is.
std::string dirOf(const std::string &file);
/// Every stream of <dir>reference.tsv (dir "" or "extra/"), by file name; comment, blank and
/// malformed lines are skipped.
std::vector<StreamReference> readStreamReferences(const std::string &dir = "");
/// The clip's frames, from its directory's reference.tsv (empty if it has none).
std::vector<ReferenceFrame> referenceOf(const std::string &file);

/// The MD5 (hex, as `ffmpeg -f framemd5` prints it) of a width x height picture stored as a
/// luma plane and an interleaved chroma plane, hashed as packed NV12 (rows without padding).
std::string nv12Md5(const uint8_t *y, ptrdiff_t yStride, const uint8_t *uv, ptrdiff_t uvStride, int width,
		    int height);

} // namespace v4l2va::test
