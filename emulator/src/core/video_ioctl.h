// SPDX-License-Identifier: MIT
#pragma once

#include <mutex>

namespace v4l2emu {

class BoardImpl;
class VideoFile;
class MediaFile;
class RequestFile;

/// An ioctl on a video node (IOC:__video_do_ioctl with the m2m and driver ops). Runs with
/// the device lock held in lk. Returns 0 or -errno.
int videoIoctl(BoardImpl &board, VideoFile &file, unsigned long cmd, void *arg,
	       std::unique_lock<std::mutex> &lk);
/// An ioctl on a media node (MCD:media_device_ioctl).
int mediaIoctl(BoardImpl &board, MediaFile &file, unsigned long cmd, void *arg);
/// An ioctl on a request fd (MCR:media_request_ioctl).
int requestIoctl(RequestFile &file, unsigned long cmd, void *arg);
/// poll() masks.
short videoPoll(VideoFile &file, short events);
short requestPoll(RequestFile &file, short events);

} // namespace v4l2emu
