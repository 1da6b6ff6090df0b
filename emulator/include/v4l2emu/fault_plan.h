// SPDX-License-Identifier: MIT
#pragma once

// Fault plans: make the emulated hardware or kernel fail on purpose. Set through the API
// (Board::faults()) or the environment (V4L2EMU_FAULTS, parsed by FaultPlan::parse).
//
// Text form, rules separated by ';', fields by ',':
//   ioctl=VIDIOC_QBUF,nth=3,errno=EIO[,count=N][,device=rkvdec]
//       the Nth call of that ioctl (1-based, counted per device) fails with errno before it
//       changes anything; count=N fails N consecutive calls from there (0 = every later call)
//   decode=error|hang,nth=2[,device=hantro]
//       the Nth job on the device (counted from when the plan is set) completes with V4L2_BUF_FLAG_ERROR, or hangs until the
//       watchdog (BoardOptions::watchdogMs) fires and then completes with ERROR
//   unplug=rkvdec[,after=N]
//       the device disappears after N ioctls on it (0: now): ioctls, mmap and open give
//       ENODEV, poll gives POLLERR|POLLHUP, running jobs complete with ERROR
//   nomem=1[,nth=2][,count=N][,device=rkvdec]
//       the Nth memory allocation (buffer planes, requests, dma-buf exports) fails ENOMEM

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace v4l2emu {

struct IoctlFault {
	std::string device;		///< empty: any device
	unsigned long request = 0;	///< ioctl request code
	uint64_t nth = 1;		///< 1-based call number on that device
	uint64_t count = 1;		///< how many calls fail from nth on (0: all)
	int error = 0;			///< positive errno
};

enum class DecodeFaultKind { Error, Hang };

struct DecodeFault {
	std::string device;
	DecodeFaultKind kind = DecodeFaultKind::Error;
	uint64_t nth = 1;		///< 1-based job number on that device, counted from
					///< when the plan was installed
};

struct UnplugFault {
	std::string device;
	uint64_t after = 0;		///< ioctls on the device before it disappears
};

struct MemoryFault {
	std::string device;
	uint64_t nth = 1;
	uint64_t count = 1;
};

struct FaultPlan {
	std::vector<IoctlFault> ioctls;
	std::vector<DecodeFault> decodes;
	std::vector<UnplugFault> unplugs;
	std::vector<MemoryFault> memory;

	bool empty() const
	{
		return ioctls.empty() && decodes.empty() && unplugs.empty() && memory.empty();
	}

	/// Parses the text form above. Returns 0, or -EINVAL with a message naming the bad rule
	/// in *error; *out is untouched on failure.
	static int parse(std::string_view text, FaultPlan *out, std::string *error);
	/// The text form (parse(toString()) gives the same plan).
	std::string toString() const;
};

} // namespace v4l2emu
