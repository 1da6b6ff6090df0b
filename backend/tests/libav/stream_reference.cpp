// SPDX-License-Identifier: MIT
#include "stream_reference.h"

extern "C" {
#include <libavutil/md5.h>
#include <libavutil/mem.h>
}

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#ifndef V4L2VA_STREAM_DIR
#error "V4L2VA_STREAM_DIR must name corpus/streams"
#endif

namespace v4l2va::test {

std::string streamPath(const std::string &file)
{
	return std::string(V4L2VA_STREAM_DIR) + "/" + file;
}

std::string dirOf(const std::string &file)
{
	size_t slash = file.rfind('/');
	return slash == std::string::npos ? "" : file.substr(0, slash + 1);
}

std::vector<StreamReference> readStreamReferences(const std::string &dir)
{
	std::ifstream in(streamPath(dir + "reference.tsv"));
	std::map<std::string, StreamReference> byFile;
	std::string line;
	while (std::getline(in, line)) {
		if (line.empty() || line[0] == '#')
			continue;
		std::istringstream fields(line);
		std::string name, frame, pts;
		ReferenceFrame ref;
		if (!std::getline(fields, name, '\t') || !std::getline(fields, frame, '\t') ||
		    !std::getline(fields, pts, '\t') || !(fields >> ref.width >> ref.height >> ref.md5))
			continue;
		StreamReference &stream = byFile[dir + name];
		stream.file = dir + name;
		stream.frames.push_back(ref);
	}
	std::vector<StreamReference> streams;
	for (auto &entry : byFile)
		streams.push_back(std::move(entry.second));
	return streams;
}

std::vector<ReferenceFrame> referenceOf(const std::string &file)
{
	for (StreamReference &stream : readStreamReferences(dirOf(file)))
		if (stream.file == file)
			return std::move(stream.frames);
	return {};
}

std::string nv12Md5(const uint8_t *y, ptrdiff_t yStride, const uint8_t *uv, ptrdiff_t uvStride, int width,
		    int height)
{
	AVMD5 *md5 = av_md5_alloc();
	if (!md5)
		return "(out of memory)";
	av_md5_init(md5);
	for (int row = 0; row < height; row++)
		av_md5_update(md5, y + row * yStride, static_cast<size_t>(width));
	const size_t uvBytes = 2 * static_cast<size_t>((width + 1) / 2);
	for (int row = 0; row < (height + 1) / 2; row++)
		av_md5_update(md5, uv + row * uvStride, uvBytes);
	uint8_t digest[16];
	av_md5_final(md5, digest);
	av_free(md5);
	char hex[33];
	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
	return hex;
}

} // namespace v4l2va::test
