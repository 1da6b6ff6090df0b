// SPDX-License-Identifier: MIT
#include "va_scenario.h"

#include "engine/picture.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace v4l2va::test {

VAStatus decodePicture(VaDriver &drv, VAContextID context, FrameSource &source, unsigned n,
		       VASurfaceID target, VASurfaceID reference, RenderStyle style)
{
	PictureBuffers pic = source.picture(n, target, reference);
	const VADriverVTable &vt = drv.vt();
	VADriverContextP ctx = drv.ctx();
	std::vector<VABufferID> params, slices;
	VAStatus first = VA_STATUS_SUCCESS;
	auto note = [&](VAStatus st) {
		if (first == VA_STATUS_SUCCESS && st != VA_STATUS_SUCCESS)
			first = st;
		return st;
	};
	auto create = [&](const VaBufferData &b, std::vector<VABufferID> *into) {
		VABufferID id = VA_INVALID_ID;
		if (note(drv.createBuffer(context, b.type, b.bytes.data(), b.elementSize, &id, b.numElements)) ==
		    VA_STATUS_SUCCESS)
			into->push_back(id);
	};
	auto destroyAll = [&](std::vector<VABufferID> &ids) {
		for (VABufferID id : ids)
			note(vt.vaDestroyBuffer(ctx, id));
		ids.clear();
	};

	if (style == RenderStyle::GstreamerVaapi) {
		note(vt.vaBeginPicture(ctx, context, target));
		for (const VaBufferData &b : pic.params) {
			std::vector<VABufferID> one;
			create(b, &one);
			if (!one.empty())
				note(vt.vaRenderPicture(ctx, context, one.data(), 1));
			destroyAll(one);	// before End: the driver must have copied it
		}
		for (size_t i = 0; i + 1 < pic.slices.size(); i += 2) {
			std::vector<VABufferID> pair;
			create(pic.slices[i], &pair);
			create(pic.slices[i + 1], &pair);
			if (pair.size() == 2)
				note(vt.vaRenderPicture(ctx, context, pair.data(), 2));
			slices.insert(slices.end(), pair.begin(), pair.end());
		}
		note(vt.vaEndPicture(ctx, context));
		destroyAll(slices);
		return first;
	}

	for (const VaBufferData &b : pic.params)
		create(b, &params);
	for (const VaBufferData &b : pic.slices)
		create(b, &slices);
	if (first != VA_STATUS_SUCCESS) {
		destroyAll(params);
		destroyAll(slices);
		return first;
	}
	note(vt.vaBeginPicture(ctx, context, target));
	switch (style) {
	case RenderStyle::FFmpeg:
		note(vt.vaRenderPicture(ctx, context, params.data(), static_cast<int>(params.size())));
		note(vt.vaRenderPicture(ctx, context, slices.data(), static_cast<int>(slices.size())));
		break;
	case RenderStyle::OneCall: {
		std::vector<VABufferID> all = params;
		all.insert(all.end(), slices.begin(), slices.end());
		note(vt.vaRenderPicture(ctx, context, all.data(), static_cast<int>(all.size())));
		break;
	}
	default:
		for (VABufferID id : params)
			note(vt.vaRenderPicture(ctx, context, &id, 1));
		for (VABufferID id : slices)
			note(vt.vaRenderPicture(ctx, context, &id, 1));
		break;
	}
	note(vt.vaEndPicture(ctx, context));
	if (style == RenderStyle::LibvaUtils)
		note(vt.vaSyncSurface(ctx, target));
	destroyAll(params);
	destroyAll(slices);
	return first;
}

uint64_t matchDecodedFrame(v4l2emu::Board &board, const std::vector<uint8_t> &nv12, uint32_t width,
			   uint32_t height, bool *allZero)
{
	if (allZero) {
		*allZero = std::all_of(nv12.begin(), nv12.begin() + static_cast<long>(width) * height,
				       [](uint8_t b) { return b == 0; });
	}
	std::vector<uint8_t> expected(nv12.size());
	for (const v4l2emu::DecodedFrame &f : board.decodedFrames()) {
		if (!f.signature || f.width < width || f.height < height)
			continue;
		if (v4l2emu::expectedNv12(f.signature, width, height, expected.data(), width,
					  expected.data() + static_cast<size_t>(width) * height, width))
			continue;
		if (expected == nv12)
			return f.signature;
	}
	return 0;
}

std::string diagnosticsText(v4l2emu::Board &board)
{
	std::string out;
	for (const v4l2emu::Diagnostic &d : board.diagnostics())
		out += std::string(v4l2emu::toString(d.kind)) + " [" + d.device + " job " +
		       std::to_string(d.job) + "]: " + d.message + "\n";
	if (uint64_t dropped = board.diagnosticsDropped())
		out += std::to_string(dropped) + " further diagnostics not kept\n";
	return out;
}

void DriverSession::start(const DriverEnv &env)
{
	drv_.reset();
	drv_ = std::make_unique<VaDriver>(env);
	ASSERT_EQ(drv_->status(), VA_STATUS_SUCCESS);
	ASSERT_NE(drv_->board(), nullptr);
}

void DriverSession::expectNothingLeft()
{
	std::shared_ptr<v4l2emu::Board> b = drv_ ? drv_->shareBoard() : nullptr;
	if (!b)
		return;
	EXPECT_EQ(diagnosticsText(*b), "");
	EXPECT_EQ(drv_->terminate(), VA_STATUS_SUCCESS);
	v4l2emu::BoardStats st = b->stats();
	EXPECT_EQ(st.openFds, 0u) << "fds left after vaTerminate";
	EXPECT_EQ(st.liveMappings, 0u) << "mappings left after vaTerminate";
	EXPECT_EQ(st.liveMemory, 0u) << "plane memory left after vaTerminate";
	for (const v4l2emu::DeviceStats &d : st.devices) {
		EXPECT_EQ(d.openContexts, 0u) << d.name;
		EXPECT_EQ(d.liveRequests, 0u) << d.name;
		EXPECT_EQ(d.liveBuffers, 0u) << d.name;
	}
	EXPECT_EQ(diagnosticsText(*b), "") << "after vaTerminate";
}

} // namespace v4l2va::test
