// SPDX-License-Identifier: MIT
#pragma once

// Test-only defects. Each one is compiled in only by the test module built with its
// V4L2VA_DEFECT_* definition (v4l2_request_defect_drv_video.so, never installed), which
// props/va/va_defect_props_test.cpp must catch and shrink. The real module defines none of
// them: this header is then empty and every hook point is preprocessed away.

#ifdef V4L2VA_DEFECT_UNCHECKED_REQBUFS

#include "va/driver.h"

#include <linux/videodev2.h>
#include <sys/mman.h>

#include <algorithm>
#include <vector>

namespace v4l2va {

struct DefectHooks {
	/// iter5b's pool teardown, done by a CreateSurfaces2 of another size or format: for every
	/// ready stream a live surface is bound to that does not match, REQBUFS(0) on its
	/// streaming CAPTURE queue with the result ignored (VB2C:vb2_core_reqbufs refuses a
	/// streaming queue with -EBUSY and frees nothing) and munmap of its CAPTURE mappings,
	/// whose pointers the stream keeps using (and munmaps again when it goes).
	static void tearDownCapturePools(Driver &drv, uint32_t width, uint32_t height,
					 uint32_t fourcc)
	{
		std::vector<std::shared_ptr<DecodeStream>> streams;
		for (auto &[id, s] : drv.surfaces.all()) {
			std::lock_guard lock(s->mutex);
			if (s->bound() &&
			    std::find(streams.begin(), streams.end(), s->stream) == streams.end())
				streams.push_back(s->stream);
		}
		for (const std::shared_ptr<DecodeStream> &stream : streams) {
			DecodeStream &d = *stream;
			std::lock_guard lock(d.mutex_);
			const bool tenBit = d.sequence_.bitDepth > 8;
			if (!d.ready_ || (d.width_ == width && d.height_ == height &&
					  tenBit == (fourcc == VA_FOURCC_P010)))
				continue;
			struct v4l2_requestbuffers rb {};
			rb.type = d.m2m_->captureType();
			rb.memory = V4L2_MEMORY_MMAP;
			rb.count = 0;
			d.io_.ioctl(d.m2m_->videoFd(), VIDIOC_REQBUFS, &rb); // the defect: unchecked
			for (DecodeStream::CaptureBuffer &c : d.capture_)
				for (uint32_t p = 0; p < c.numPlanes; p++) {
					d.io_.munmap(c.planes[p].data, c.planes[p].length);
					// The range stays reserved (PROT_NONE) so that a stale access
					// faults every time: were a later mapping to land there, what
					// the rig sees would depend on the address layout (ASLR).
					::mmap(c.planes[p].data, c.planes[p].length, PROT_NONE,
					       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
						       MAP_FIXED_NOREPLACE,
					       -1, 0);
				}
		}
	}
};

} // namespace v4l2va

#endif // V4L2VA_DEFECT_UNCHECKED_REQBUFS
