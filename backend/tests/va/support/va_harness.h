// SPDX-License-Identifier: MIT
#pragma once

// Test harness: loads v4l2_request_drv_video.so, builds the VADriverContext the way libva does
// (calloc'd context and vtables, then __vaDriverInit_1_N) and calls the vtable directly, on an
// emulated board chosen through the driver's own environment (V4L2VA_EMULATED_BOARD, V4L2EMU_*).

#include <v4l2emu/board.h>

#include <va/va.h>
#include <va/va_backend.h>
#include <va/va_backend_vpp.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace v4l2va::test {

/// Environment for one driver instance: board and emulator options.
struct DriverEnv {
	std::string board = "fresnel";
	std::string kernel;	///< "", "6.12" or "mainline"
	std::string scheduler;	///< "", "deterministic" or "threaded"
	std::string faults;	///< V4L2EMU_FAULTS syntax
	std::string videoPath;	///< LIBVA_V4L2_REQUEST_VIDEO_PATH
	std::string mediaPath;	///< LIBVA_V4L2_REQUEST_MEDIA_PATH
};

class VaDriver {
public:
	/// Loads and initialises the driver; status() says how that went.
	explicit VaDriver(const DriverEnv &env = {});
	~VaDriver();
	VaDriver(const VaDriver &) = delete;
	VaDriver &operator=(const VaDriver &) = delete;

	VAStatus status() const { return initStatus_; }
	VADriverContextP ctx() { return &ctx_; }
	const VADriverVTable &vt() const { return vtable_; }
	/// The emulated board behind the driver.
	v4l2emu::Board *board();
	/// The board, kept alive past Terminate (for leak checks).
	std::shared_ptr<v4l2emu::Board> shareBoard();
	/// Terminates now (the destructor does it otherwise); returns Terminate's status.
	VAStatus terminate();

	// Small conveniences over the vtable.
	std::vector<VAProfile> profiles();
	VAStatus createConfig(VAProfile profile, VAConfigID *config);
	VAStatus createSurfaces(unsigned width, unsigned height, unsigned count, std::vector<VASurfaceID> *out,
				unsigned rtFormat = VA_RT_FORMAT_YUV420, uint32_t fourcc = VA_FOURCC_NV12);
	VAStatus createBuffer(VAContextID context, VABufferType type, const void *data, unsigned size,
			      VABufferID *id, unsigned numElements = 1);
	/// Reads a surface back through CreateImage + GetImage + MapBuffer (FFmpeg's download):
	/// fills y/uv (width x height NV12, tightly packed).
	VAStatus download(VASurfaceID surface, unsigned width, unsigned height, std::vector<uint8_t> *nv12);

private:
	VADriverContext ctx_ {};
	VADriverVTable vtable_ {};
	VADriverVTableVPP vtableVpp_ {};
	void *handle_ = nullptr;
	VAStatus initStatus_ = VA_STATUS_ERROR_UNKNOWN;
	bool terminated_ = false;
	std::map<std::string, std::string> savedEnv_;
};

/// Path of the driver module under test: $V4L2VA_DRIVER_PATH if set, else the build's module
/// (compile definition V4L2VA_DRIVER_DIR).
std::string driverPath();

} // namespace v4l2va::test
