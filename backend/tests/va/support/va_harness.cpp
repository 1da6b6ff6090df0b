// SPDX-License-Identifier: MIT
#include "va_harness.h"

#include <dlfcn.h>

#include <cstdlib>
#include <cstring>

#define V4L2VA_STR2(x) #x
#define V4L2VA_STR(x) V4L2VA_STR2(x)

namespace v4l2va::test {

std::string driverPath()
{
	// An override: another build of the driver (a defect module, a relocated OSS-Fuzz build).
	if (const char *path = getenv("V4L2VA_DRIVER_PATH"); path && *path)
		return path;
	return std::string(V4L2VA_DRIVER_DIR) + "/v4l2_request_drv_video.so";
}

namespace {

void setOrUnset(const char *name, const std::string &value, std::map<std::string, std::string> *saved)
{
	const char *old = getenv(name);
	(*saved)[name] = old ? old : std::string("\x01");	// \x01: was unset
	if (value.empty())
		unsetenv(name);
	else
		setenv(name, value.c_str(), 1);
}

} // namespace

VaDriver::VaDriver(const DriverEnv &env)
{
	// The driver reads its environment at init only.
	setOrUnset("V4L2VA_EMULATED_BOARD", env.board, &savedEnv_);
	setOrUnset("V4L2EMU_KERNEL", env.kernel, &savedEnv_);
	setOrUnset("V4L2EMU_SCHEDULER", env.scheduler, &savedEnv_);
	setOrUnset("V4L2EMU_FAULTS", env.faults, &savedEnv_);
	setOrUnset("LIBVA_V4L2_REQUEST_VIDEO_PATH", env.videoPath, &savedEnv_);
	setOrUnset("LIBVA_V4L2_REQUEST_MEDIA_PATH", env.mediaPath, &savedEnv_);
	handle_ = dlopen(driverPath().c_str(), RTLD_NOW | RTLD_LOCAL);
	if (!handle_) {
		initStatus_ = VA_STATUS_ERROR_UNKNOWN;
		return;
	}
	std::string sym = "__vaDriverInit_" V4L2VA_STR(V4L2VA_VA_MAJOR) "_" V4L2VA_STR(V4L2VA_VA_MINOR);
	auto init = reinterpret_cast<VAStatus (*)(VADriverContextP)>(dlsym(handle_, sym.c_str()));
	if (!init) {
		initStatus_ = VA_STATUS_ERROR_UNKNOWN;
		return;
	}
	// As LIBVA:va.c:va_openDriver does: zeroed vtables, VPP version set, then init.
	ctx_.vtable = &vtable_;
	vtableVpp_.version = VA_DRIVER_VTABLE_VPP_VERSION;
	ctx_.vtable_vpp = &vtableVpp_;
	ctx_.display_type = 0x31;	// VA_DISPLAY_DRM_RENDERNODES
	initStatus_ = init(&ctx_);
}

VaDriver::~VaDriver()
{
	terminate();
	if (handle_)
		dlclose(handle_);
	for (auto &[name, value] : savedEnv_) {
		if (value == "\x01")
			unsetenv(name.c_str());
		else
			setenv(name.c_str(), value.c_str(), 1);
	}
}

VAStatus VaDriver::terminate()
{
	if (terminated_ || initStatus_ != VA_STATUS_SUCCESS)
		return VA_STATUS_SUCCESS;
	terminated_ = true;
	return vtable_.vaTerminate(&ctx_);
}

v4l2emu::Board *VaDriver::board()
{
	if (!handle_ || initStatus_ != VA_STATUS_SUCCESS || terminated_)
		return nullptr;
	auto hook = reinterpret_cast<void *(*)(VADriverContextP)>(dlsym(handle_, "v4l2va_test_board"));
	return hook ? static_cast<v4l2emu::Board *>(hook(&ctx_)) : nullptr;
}

std::shared_ptr<v4l2emu::Board> VaDriver::shareBoard()
{
	if (!handle_ || initStatus_ != VA_STATUS_SUCCESS || terminated_)
		return nullptr;
	auto hook = reinterpret_cast<void *(*)(VADriverContextP)>(dlsym(handle_, "v4l2va_test_board_share"));
	auto *p = hook ? static_cast<std::shared_ptr<v4l2emu::Board> *>(hook(&ctx_)) : nullptr;
	if (!p)
		return nullptr;
	std::shared_ptr<v4l2emu::Board> out = *p;
	delete p;
	return out;
}

std::vector<VAProfile> VaDriver::profiles()
{
	std::vector<VAProfile> out(ctx_.max_profiles > 0 ? ctx_.max_profiles : 0);
	int n = 0;
	if (out.empty() || vtable_.vaQueryConfigProfiles(&ctx_, out.data(), &n) != VA_STATUS_SUCCESS)
		return {};
	out.resize(n);
	return out;
}

VAStatus VaDriver::createConfig(VAProfile profile, VAConfigID *config)
{
	return vtable_.vaCreateConfig(&ctx_, profile, VAEntrypointVLD, nullptr, 0, config);
}

VAStatus VaDriver::createSurfaces(unsigned width, unsigned height, unsigned count,
				  std::vector<VASurfaceID> *out, unsigned rtFormat, uint32_t fourcc)
{
	VASurfaceAttrib attribs[2] = {};
	attribs[0].type = VASurfaceAttribPixelFormat;
	attribs[0].flags = VA_SURFACE_ATTRIB_SETTABLE;
	attribs[0].value.type = VAGenericValueTypeInteger;
	attribs[0].value.value.i = static_cast<int>(fourcc);
	attribs[1].type = VASurfaceAttribMemoryType;
	attribs[1].flags = VA_SURFACE_ATTRIB_SETTABLE;
	attribs[1].value.type = VAGenericValueTypeInteger;
	attribs[1].value.value.i = VA_SURFACE_ATTRIB_MEM_TYPE_VA;
	std::vector<VASurfaceID> ids(count);
	VAStatus st = vtable_.vaCreateSurfaces2(&ctx_, rtFormat, width, height, ids.data(), count, attribs, 2);
	if (st == VA_STATUS_SUCCESS)
		out->insert(out->end(), ids.begin(), ids.end());
	return st;
}

VAStatus VaDriver::createBuffer(VAContextID context, VABufferType type, const void *data, unsigned size,
				VABufferID *id, unsigned numElements)
{
	return vtable_.vaCreateBuffer(&ctx_, context, type, size, numElements, const_cast<void *>(data), id);
}

VAStatus VaDriver::download(VASurfaceID surface, unsigned width, unsigned height, std::vector<uint8_t> *nv12)
{
	VAStatus st = vtable_.vaSyncSurface(&ctx_, surface);
	if (st != VA_STATUS_SUCCESS)
		return st;
	VAImageFormat fmt {};
	fmt.fourcc = VA_FOURCC_NV12;
	fmt.byte_order = VA_LSB_FIRST;
	fmt.bits_per_pixel = 12;
	VAImage image {};
	st = vtable_.vaCreateImage(&ctx_, &fmt, static_cast<int>(width), static_cast<int>(height), &image);
	if (st != VA_STATUS_SUCCESS)
		return st;
	st = vtable_.vaGetImage(&ctx_, surface, 0, 0, width, height, image.image_id);
	void *p = nullptr;
	if (st == VA_STATUS_SUCCESS)
		st = vtable_.vaMapBuffer(&ctx_, image.buf, &p);
	if (st == VA_STATUS_SUCCESS) {
		auto *base = static_cast<const uint8_t *>(p);
		nv12->assign(static_cast<size_t>(width) * height + static_cast<size_t>(width) * ((height + 1) / 2), 0);
		for (unsigned r = 0; r < height; r++)
			memcpy(nv12->data() + r * width, base + image.offsets[0] + r * image.pitches[0], width);
		for (unsigned r = 0; r < (height + 1) / 2; r++)
			memcpy(nv12->data() + width * height + r * width,
			       base + image.offsets[1] + r * image.pitches[1], width);
		vtable_.vaUnmapBuffer(&ctx_, image.buf);
	}
	VAStatus d = vtable_.vaDestroyImage(&ctx_, image.image_id);
	return st != VA_STATUS_SUCCESS ? st : d;
}

} // namespace v4l2va::test
