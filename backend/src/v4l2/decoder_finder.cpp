// SPDX-License-Identifier: MIT
#include "decoder_finder.h"

#include "seam_fd.h"

#include <fcntl.h>
#include <linux/media.h>
#include <linux/videodev2.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace v4l2va {

namespace {

std::string errorText(int err)
{
	return strerror(-err);
}

/// The video node of the decoder on a media device: the devnode interface linked to an
/// IO_V4L entity of a topology that has a video decoder entity.
int videoNodeOf(v4l2emu::DeviceIo &io, int mediaFd, std::string *path)
{
	struct media_v2_topology topo {};
	int ret = io.ioctl(mediaFd, MEDIA_IOC_G_TOPOLOGY, &topo);
	if (ret)
		return ret;
	std::vector<struct media_v2_entity> ents(topo.num_entities);
	std::vector<struct media_v2_interface> intfs(topo.num_interfaces);
	std::vector<struct media_v2_link> links(topo.num_links);
	topo.ptr_entities = reinterpret_cast<uintptr_t>(ents.data());
	topo.ptr_interfaces = reinterpret_cast<uintptr_t>(intfs.data());
	topo.ptr_links = reinterpret_cast<uintptr_t>(links.data());
	topo.ptr_pads = 0;
	ret = io.ioctl(mediaFd, MEDIA_IOC_G_TOPOLOGY, &topo);
	if (ret)
		return ret;
	ents.resize(std::min<size_t>(ents.size(), topo.num_entities));
	intfs.resize(std::min<size_t>(intfs.size(), topo.num_interfaces));
	links.resize(std::min<size_t>(links.size(), topo.num_links));

	bool decoder = std::any_of(ents.begin(), ents.end(), [](const auto &e) {
		return e.function == MEDIA_ENT_F_PROC_VIDEO_DECODER;
	});
	if (!decoder)
		return -ENODEV;
	for (const auto &l : links) {
		if ((l.flags & MEDIA_LNK_FL_LINK_TYPE) != MEDIA_LNK_FL_INTERFACE_LINK)
			continue;
		auto ent = std::find_if(ents.begin(), ents.end(),
					[&](const auto &e) { return e.id == l.sink_id; });
		auto intf = std::find_if(intfs.begin(), intfs.end(),
					 [&](const auto &i) { return i.id == l.source_id; });
		if (ent == ents.end() || intf == intfs.end())
			continue;
		if (ent->function != MEDIA_ENT_F_IO_V4L || intf->intf_type != MEDIA_INTF_T_V4L_VIDEO)
			continue;
		std::string p = io.devnodePath(intf->devnode.major, intf->devnode.minor);
		if (!p.empty()) {
			*path = p;
			return 0;
		}
	}
	return -ENOENT;
}

} // namespace

bool DecoderNode::supports(uint32_t fourcc) const
{
	return std::find(codedFormats.begin(), codedFormats.end(), fourcc) != codedFormats.end();
}

int probeDecoder(v4l2emu::DeviceIo &io, const std::string &mediaPath, const std::string &videoPath,
		 DecoderNode *out)
{
	SeamFd video(io, io.open(videoPath.c_str(), O_RDWR | O_NONBLOCK));
	if (video.get() < 0)
		return video.get();
	struct v4l2_capability cap {};
	int ret = io.ioctl(video.get(), VIDIOC_QUERYCAP, &cap);
	if (ret)
		return ret;
	uint32_t caps = (cap.capabilities & V4L2_CAP_DEVICE_CAPS) ? cap.device_caps : cap.capabilities;
	if (!(caps & V4L2_CAP_STREAMING) || !(caps & (V4L2_CAP_VIDEO_M2M | V4L2_CAP_VIDEO_M2M_MPLANE)))
		return -ENODEV;
	DecoderNode node;
	node.mediaPath = mediaPath;
	node.videoPath = videoPath;
	node.driver = reinterpret_cast<const char *>(cap.driver);
	node.card = reinterpret_cast<const char *>(cap.card);
	node.multiplanar = caps & V4L2_CAP_VIDEO_M2M_MPLANE;
	uint32_t type = node.multiplanar ? V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE : V4L2_BUF_TYPE_VIDEO_OUTPUT;
	for (uint32_t i = 0; i < 64; i++) {
		struct v4l2_fmtdesc f {};
		f.type = type;
		f.index = i;
		ret = io.ioctl(video.get(), VIDIOC_ENUM_FMT, &f);
		if (ret == -EINVAL)
			break;
		if (ret)
			return ret;
		if (f.flags & V4L2_FMT_FLAG_COMPRESSED)
			node.codedFormats.push_back(f.pixelformat);
	}
	if (node.codedFormats.empty())
		return -ENODEV;
	*out = std::move(node);
	return 0;
}

int findDecoders(v4l2emu::DeviceIo &io, FinderResult *result)
{
	FinderResult r;
	const char *videoEnv = getenv("LIBVA_V4L2_REQUEST_VIDEO_PATH");
	const char *mediaEnv = getenv("LIBVA_V4L2_REQUEST_MEDIA_PATH");
	if (videoEnv && mediaEnv && *videoEnv && *mediaEnv) {
		DecoderNode node;
		int ret = probeDecoder(io, mediaEnv, videoEnv, &node);
		if (ret)
			return ret;
		r.decoders.push_back(std::move(node));
		*result = std::move(r);
		return 0;
	}
	for (const std::string &mediaPath : io.mediaNodes()) {
		SeamFd media(io, io.open(mediaPath.c_str(), O_RDWR));
		if (media.get() < 0) {
			r.skipped.push_back(mediaPath + ": open: " + errorText(media.get()));
			continue;
		}
		std::string videoPath;
		int ret = videoNodeOf(io, media.get(), &videoPath);
		if (ret) {
			r.skipped.push_back(mediaPath + ": no decoder video node: " + errorText(ret));
			continue;
		}
		DecoderNode node;
		ret = probeDecoder(io, mediaPath, videoPath, &node);
		if (ret) {
			r.skipped.push_back(mediaPath + " / " + videoPath + ": " + errorText(ret));
			continue;
		}
		r.decoders.push_back(std::move(node));
	}
	*result = std::move(r);
	return 0;
}

} // namespace v4l2va
