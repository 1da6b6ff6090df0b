// SPDX-License-Identifier: MIT
// Control handler storage (CCORE = v4l2-ctrls-core.c, CREQ = v4l2-ctrls-request.c).
#include "control_handler.h"

#include "request.h"

#include <linux/v4l2-controls.h>

#include <algorithm>
#include <cstring>

namespace v4l2emu {

namespace {

const char *className(uint32_t ctrlClass)
{
	// CDEFS:v4l2_ctrl_get_name for the class controls.
	switch (ctrlClass) {
	case V4L2_CTRL_CLASS_USER: return "User Controls";
	case V4L2_CTRL_CLASS_CODEC: return "Codec Controls";
	case V4L2_CTRL_CLASS_CODEC_STATELESS: return "Stateless Codec Controls";
	default: return "Controls";
	}
}

} // namespace

// Payloads are the uapi structs (u64 members): every value starts on this boundary.
constexpr size_t kValueAlign = 16;

size_t alignValue(size_t n)
{
	return (n + kValueAlign - 1) & ~(kValueAlign - 1);
}

void ControlValue::grow(size_t bytes)
{
	if (bytes <= size_)
		return;
	auto bigger = std::make_unique<uint8_t[]>(bytes);	// zeroed
	if (size_)
		memcpy(bigger.get(), data_, size_);
	own_ = std::move(bigger);
	data_ = own_.get();
	size_ = bytes;
}

void ControlValue::assign(const uint8_t *src, size_t bytes)
{
	grow(bytes);
	if (bytes)
		memcpy(data_, src, bytes);
}

ControlLayout::ControlLayout(std::vector<ControlDef> defs) : defs_(std::move(defs))
{
	// CCORE:handler_new_ref adds the class control of every class that has a control.
	std::vector<uint32_t> classes;
	for (const ControlDef &d : defs_) {
		uint32_t cls = V4L2_CTRL_ID2WHICH(d.id);
		if (std::find(classes.begin(), classes.end(), cls) == classes.end())
			classes.push_back(cls);
	}
	for (uint32_t cls : classes) {
		ControlDef c;
		c.id = cls | 1;
		c.name = className(cls);
		c.type = V4L2_CTRL_TYPE_CTRL_CLASS;
		c.flags = V4L2_CTRL_FLAG_READ_ONLY | V4L2_CTRL_FLAG_WRITE_ONLY;
		c.elemSize = 4;
		defs_.push_back(c);
	}
	std::sort(defs_.begin(), defs_.end(),
		  [](const ControlDef &a, const ControlDef &b) { return a.id < b.id; });
	initialElems_.resize(defs_.size());
	offsets_.resize(defs_.size() + 1);
	size_t total = 0;
	for (size_t i = 0; i < defs_.size(); i++) {
		ControlDef &d = defs_[i];
		if (d.isCompound())
			d.flags |= V4L2_CTRL_FLAG_HAS_PAYLOAD;
		// A dynamic array starts with one element (CCORE:v4l2_ctrl_new).
		initialElems_[i] = d.isDynamicArray() ? 1 : d.maxElems();
		offsets_[i] = total;
		total += alignValue(static_cast<size_t>(d.elemSize) * initialElems_[i]);
	}
	offsets_[defs_.size()] = total;
	defaults_.assign(total, 0);
	for (size_t i = 0; i < defs_.size(); i++)
		ControlHandler::initDefault(defs_[i], defaults_.data() + offsets_[i], initialElems_[i]);
}

std::unique_ptr<ControlStorage> ControlLayout::takeStorage() const
{
	std::lock_guard<std::mutex> lk(freeLock_);
	if (free_.empty())
		return nullptr;
	std::unique_ptr<ControlStorage> s = std::move(free_.back());
	free_.pop_back();
	return s;
}

void ControlLayout::giveStorage(std::unique_ptr<ControlStorage> storage) const
{
	std::lock_guard<std::mutex> lk(freeLock_);
	if (free_.capacity() == 0)
		free_.reserve(4);
	if (free_.size() < free_.capacity())
		free_.push_back(std::move(storage));
}

ControlHandler::ControlHandler(Context &ctx, const ControlLayout &layout)
	: ctx_(ctx), layout_(layout), storage_(layout.takeStorage())
{
	size_t n = layout.defs().size();
	const std::vector<uint8_t> &defaults = layout.defaults();
	size_t total = defaults.size();
	if (!storage_) {
		storage_ = std::make_unique<ControlStorage>();
		storage_->controls.resize(n);
		storage_->values = std::make_unique_for_overwrite<uint8_t[]>(2 * total);
	}
	// The current values start as the defaults (CCORE:v4l2_ctrl_new). The new values need
	// none: every path writes one (from the caller, a request or initDefault) before it
	// reads it.
	uint8_t *values = storage_->values.get();
	if (total)
		memcpy(values, defaults.data(), total);
	for (size_t i = 0; i < n; i++) {
		Control &c = storage_->controls[i];
		c.def = layout.defs()[i];
		c.elems = layout.initialElems(i);
		c.everSet = false;
		size_t bytes = static_cast<size_t>(c.def.elemSize) * c.elems;
		c.cur.bind(values + layout.offset(i), bytes);
		c.scratch.bind(values + total + layout.offset(i), bytes);
	}
}

ControlHandler::~ControlHandler()
{
	layout_.giveStorage(std::move(storage_));
}

void ControlHandler::Control::reserveElems(uint32_t n)
{
	size_t bytes = static_cast<size_t>(def.elemSize) * n;
	cur.grow(bytes);
	scratch.grow(bytes);
}

namespace {

// ISO/IEC 13818-2 default intra quantiser matrix, in zigzag scan order.
const uint8_t kMpeg2DefaultIntra[64] = {
	8,  16, 16, 19, 16, 19, 22, 22, 22, 22, 22, 22, 26, 24, 26, 27,
	27, 27, 26, 26, 26, 26, 27, 27, 27, 29, 29, 29, 34, 34, 34, 29,
	29, 29, 27, 27, 29, 29, 32, 32, 34, 34, 37, 38, 37, 35, 35, 34,
	35, 38, 38, 40, 40, 40, 48, 48, 46, 46, 56, 56, 58, 69, 69, 83,
};

// CCORE:std_init_compound: zero, then the per-type defaults.
void initCompound(uint32_t type, uint8_t *p)
{
	switch (type) {
	case V4L2_CTRL_TYPE_MPEG2_SEQUENCE:
		reinterpret_cast<struct v4l2_ctrl_mpeg2_sequence *>(p)->chroma_format = 1;
		break;
	case V4L2_CTRL_TYPE_MPEG2_PICTURE: {
		auto *pic = reinterpret_cast<struct v4l2_ctrl_mpeg2_picture *>(p);
		pic->picture_structure = V4L2_MPEG2_PIC_TOP_FIELD;
		pic->picture_coding_type = V4L2_MPEG2_PIC_CODING_TYPE_I;
		break;
	}
	case V4L2_CTRL_TYPE_MPEG2_QUANTISATION: {
		auto *q = reinterpret_cast<struct v4l2_ctrl_mpeg2_quantisation *>(p);
		memcpy(q->intra_quantiser_matrix, kMpeg2DefaultIntra, 64);
		memset(q->non_intra_quantiser_matrix, 16, sizeof(q->non_intra_quantiser_matrix));
		break;
	}
	case V4L2_CTRL_TYPE_VP8_FRAME:
		reinterpret_cast<struct v4l2_ctrl_vp8_frame *>(p)->num_dct_parts = 1;
		break;
	case V4L2_CTRL_TYPE_VP9_FRAME: {
		auto *f = reinterpret_cast<struct v4l2_ctrl_vp9_frame *>(p);
		f->profile = 0;
		f->bit_depth = 8;
		f->flags |= V4L2_VP9_FRAME_FLAG_X_SUBSAMPLING | V4L2_VP9_FRAME_FLAG_Y_SUBSAMPLING;
		break;
	}
	case V4L2_CTRL_TYPE_AV1_SEQUENCE:
		reinterpret_cast<struct v4l2_ctrl_av1_sequence *>(p)->bit_depth = 8;
		break;
	case V4L2_CTRL_TYPE_FWHT_PARAMS: {
		auto *f = reinterpret_cast<struct v4l2_ctrl_fwht_params *>(p);
		f->version = V4L2_FWHT_VERSION;
		f->width = 1280;
		f->height = 720;
		f->flags = V4L2_FWHT_FL_PIXENC_YUV | (2 << V4L2_FWHT_FL_COMPONENTS_NUM_OFFSET);
		break;
	}
	case V4L2_CTRL_TYPE_H264_SCALING_MATRIX:
		memset(p, 16, sizeof(struct v4l2_ctrl_h264_scaling_matrix));
		break;
	}
}

} // namespace

void ControlHandler::initDefault(const ControlDef &def, uint8_t *dst, uint32_t elems)
{
	size_t bytes = static_cast<size_t>(def.elemSize) * elems;
	memset(dst, 0, bytes);
	for (uint32_t i = 0; i < elems; i++) {
		uint8_t *p = dst + static_cast<size_t>(i) * def.elemSize;
		// CCORE:std_init: the integer types (U8/U16/U32 too) take the default value.
		if (def.hasStructElements()) {
			initCompound(def.type, p);
		} else if (def.elemSize == 8) {
			int64_t v = def.defaultValue;
			memcpy(p, &v, 8);
		} else if (def.elemSize == 4) {
			uint32_t v = static_cast<uint32_t>(def.defaultValue);
			memcpy(p, &v, 4);
		} else if (def.elemSize == 2) {
			uint16_t v = static_cast<uint16_t>(def.defaultValue);
			memcpy(p, &v, 2);
		} else if (def.elemSize == 1) {
			*p = static_cast<uint8_t>(def.defaultValue);
		}
	}
}

ControlHandler::Control *ControlHandler::find(uint32_t id)
{
	int i = indexOf(id);
	return i < 0 ? nullptr : &storage_->controls[i];
}

const ControlHandler::Control *ControlHandler::find(uint32_t id) const
{
	int i = indexOf(id);
	return i < 0 ? nullptr : &storage_->controls[i];
}

int ControlHandler::indexOf(uint32_t id) const
{
	const std::vector<Control> &controls_ = storage_->controls;
	size_t lo = 0, hi = controls_.size();
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (controls_[mid].def.id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < controls_.size() && controls_[lo].def.id == id)
		return static_cast<int>(lo);
	return -1;
}

const void *ControlHandler::get(uint32_t id, uint32_t *elems) const
{
	const Control *c = find(id);
	if (!c)
		return nullptr;
	if (elems)
		*elems = c->elems;
	return c->cur.data();
}

bool ControlHandler::wasSet(uint32_t id) const
{
	const Control *c = find(id);
	return c && c->everSet;
}

RequestControls::RequestControls(ControlHandler &handler, Request &request)
	: handler_(&handler), request_(&request), slots_(handler.controls().size())
{
	// One region per control, the layout's; a dynamic array set bigger than its region gets
	// storage of its own. Kept across recycling (reset).
	const ControlLayout &layout = handler.layout();
	values_ = std::make_unique_for_overwrite<uint8_t[]>(layout.defaults().size());
	for (size_t i = 0; i < slots_.size(); i++)
		slots_[i].data.bind(values_.get() + layout.offset(i), layout.bytes(i));
}

void RequestControls::reset()
{
	for (Slot &s : slots_) {
		s.set = false;
		s.elems = 1;
	}
	complete = false;
}

} // namespace v4l2emu
