// SPDX-License-Identifier: MIT
// Control ioctls (CAPI = v4l2-ctrls-api.c, CCORE = v4l2-ctrls-core.c, CREQ =
// v4l2-ctrls-request.c, IOC = v4l2-ioctl.c).
#include "controls_ioctl.h"

#include "board_impl.h"
#include "context.h"
#include "control_handler.h"
#include "request.h"
#include "usercopy.h"

#include "drivers/driver_profile.h"

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

namespace v4l2emu {

namespace {

using Control = ControlHandler::Control;

bool isPtr(const ControlDef &d)
{
	// CCORE: compound types and arrays are passed by pointer.
	return d.isCompound() || d.dims > 0;
}

bool isInt(const ControlDef &d)
{
	return !isPtr(d) && d.type != V4L2_CTRL_TYPE_INTEGER64;
}

bool isCompoundForQuery(const ControlDef &d)
{
	return d.dims > 0 || d.type >= V4L2_CTRL_COMPOUND_TYPES;
}

/// CCORE:std_validate_elem for scalar element types; may sanitise the value in place.
int validateScalar(const ControlDef &d, void *elem)
{
	auto roundToRange = [&](int64_t v) {
		// CCORE: ROUND_TO_RANGE.
		int64_t step = d.step ? static_cast<int64_t>(d.step) : 1;
		if (v < d.minimum)
			v = d.minimum;
		if (v > d.maximum)
			v = d.maximum;
		int64_t off = v - d.minimum;
		off = (off + step / 2) / step * step;
		v = d.minimum + off;
		if (v > d.maximum)
			v -= step;
		return v;
	};
	switch (d.type) {
	case V4L2_CTRL_TYPE_INTEGER: {
		int32_t v;
		memcpy(&v, elem, 4);
		v = static_cast<int32_t>(roundToRange(v));
		memcpy(elem, &v, 4);
		return 0;
	}
	case V4L2_CTRL_TYPE_INTEGER64: {
		int64_t v;
		memcpy(&v, elem, 8);
		v = roundToRange(v);
		memcpy(elem, &v, 8);
		return 0;
	}
	case V4L2_CTRL_TYPE_U8: {
		uint8_t v = *static_cast<uint8_t *>(elem);
		*static_cast<uint8_t *>(elem) = static_cast<uint8_t>(roundToRange(v));
		return 0;
	}
	case V4L2_CTRL_TYPE_U16: {
		uint16_t v;
		memcpy(&v, elem, 2);
		v = static_cast<uint16_t>(roundToRange(v));
		memcpy(elem, &v, 2);
		return 0;
	}
	case V4L2_CTRL_TYPE_U32: {
		uint32_t v;
		memcpy(&v, elem, 4);
		v = static_cast<uint32_t>(roundToRange(v));
		memcpy(elem, &v, 4);
		return 0;
	}
	case V4L2_CTRL_TYPE_BOOLEAN: {
		int32_t v;
		memcpy(&v, elem, 4);
		v = !!v;
		memcpy(elem, &v, 4);
		return 0;
	}
	case V4L2_CTRL_TYPE_MENU:
	case V4L2_CTRL_TYPE_INTEGER_MENU: {
		int32_t v;
		memcpy(&v, elem, 4);
		if (v < d.minimum || v > d.maximum)
			return -ERANGE;
		if (v < 64 && (d.menuSkipMask & (1ull << v)))
			return -EINVAL;
		if (d.type == V4L2_CTRL_TYPE_MENU &&
		    (!d.menuNames || !d.menuNames[v] || d.menuNames[v][0] == '\0'))
			return -EINVAL;
		return 0;
	}
	case V4L2_CTRL_TYPE_BITMASK: {
		int32_t v;
		memcpy(&v, elem, 4);
		v &= static_cast<int32_t>(d.maximum);
		memcpy(elem, &v, 4);
		return 0;
	}
	case V4L2_CTRL_TYPE_BUTTON:
	case V4L2_CTRL_TYPE_CTRL_CLASS:
		memset(elem, 0, 4);
		return 0;
	default:
		return -EINVAL;
	}
}

/// CCORE:std_validate over all elements of a pointer payload.
int validatePayload(const ControlDef &d, uint8_t *p, uint32_t elems)
{
	for (uint32_t i = 0; i < elems; i++) {
		uint8_t *elem = p + static_cast<size_t>(i) * d.elemSize;
		int ret = d.hasStructElements() ? validateCompoundElement(d.type, elem)
						: validateScalar(d, elem);
		if (ret)
			return ret;
	}
	return 0;
}

/// CAPI:prepare_ext_ctrls for one control: the id checks and payload size rules.
int prepareOne(const ControlHandler &hdl, struct v4l2_ext_controls &cs,
	       struct v4l2_ext_control &c, bool get, const RequestControls *reqObj,
	       const Control **out)
{
	uint32_t id = c.id & V4L2_CTRL_ID_MASK;
	if (cs.which && cs.which != V4L2_CTRL_WHICH_DEF_VAL &&
	    cs.which != V4L2_CTRL_WHICH_REQUEST_VAL && V4L2_CTRL_ID2WHICH(id) != cs.which)
		return -EINVAL;
	if (id >= V4L2_CID_PRIVATE_BASE)
		return -EINVAL;
	int index = hdl.indexOf(id);
	if (index < 0)
		return -EINVAL;
	const Control &ctrl = hdl.controls()[index];
	const ControlDef &d = ctrl.def;
	if (d.flags & V4L2_CTRL_FLAG_DISABLED)
		return -EINVAL;
	if (d.isDynamicArray()) {
		uint32_t maxSize = d.dims * d.elemSize;
		uint32_t elems = ctrl.elems;
		if (cs.which == V4L2_CTRL_WHICH_REQUEST_VAL && reqObj)
			elems = reqObj->slots()[index].set ? reqObj->slots()[index].elems : ctrl.elems;
		uint32_t totSize = d.elemSize * elems;
		c.size = d.elemSize * (c.size / d.elemSize);
		if (get) {
			if (c.size < totSize) {
				c.size = totSize;
				return -ENOSPC;
			}
			c.size = totSize;
		} else {
			if (c.size > maxSize) {
				c.size = maxSize;
				return -ENOSPC;
			}
			if (!c.size)
				return -EFAULT;
		}
	} else if (isPtr(d)) {
		uint32_t totSize = d.maxElems() * d.elemSize;
		if (c.size < totSize) {
			if (get) {
				c.size = totSize;
				return -ENOSPC;
			}
			return -EFAULT;
		}
		c.size = totSize;
	}
	*out = &ctrl;
	return 0;
}

/// CAPI:class_check.
int classCheck(const ControlHandler &hdl, uint32_t which)
{
	if (which == 0 || which == V4L2_CTRL_WHICH_DEF_VAL || which == V4L2_CTRL_WHICH_REQUEST_VAL)
		return 0;
	return hdl.indexOf(which | 1) >= 0 ? 0 : -EINVAL;
}

int toUser(struct v4l2_ext_control &c, const ControlDef &d, const uint8_t *value, uint32_t elems)
{
	if (isPtr(d)) {
		size_t bytes = static_cast<size_t>(d.elemSize) * elems;
		int ret = copyToUser(c.ptr, value, bytes);
		if (ret)
			return ret;
		c.size = static_cast<uint32_t>(bytes);
		return 0;
	}
	if (d.type == V4L2_CTRL_TYPE_INTEGER64)
		memcpy(&c.value64, value, 8);
	else
		memcpy(&c.value, value, 4);
	return 0;
}

int getCommon(const ControlHandler &hdl, struct v4l2_ext_controls &cs,
	      const RequestControls *reqObj)
{
	// CAPI:v4l2_g_ext_ctrls_common.
	bool isDefault = cs.which == V4L2_CTRL_WHICH_DEF_VAL;
	bool isRequest = cs.which == V4L2_CTRL_WHICH_REQUEST_VAL;
	cs.error_idx = cs.count;
	cs.which = V4L2_CTRL_ID2WHICH(cs.which);
	if (cs.count == 0)
		return classCheck(hdl, cs.which);
	std::array<const Control *, 64> smallCtrls{};
	std::vector<const Control *> bigCtrls;
	const Control **ctrls = smallCtrls.data();
	if (cs.count > smallCtrls.size()) {
		bigCtrls.resize(cs.count);
		ctrls = bigCtrls.data();
	}
	uint32_t savedWhich = isRequest ? V4L2_CTRL_WHICH_REQUEST_VAL
					: (isDefault ? V4L2_CTRL_WHICH_DEF_VAL : cs.which);
	uint32_t which = cs.which;
	cs.which = savedWhich;
	int ret = 0;
	for (uint32_t i = 0; i < cs.count && !ret; i++) {
		cs.error_idx = i;
		ret = prepareOne(hdl, cs, cs.controls[i], true, reqObj, &ctrls[i]);
	}
	cs.which = which;
	cs.error_idx = cs.count;
	for (uint32_t i = 0; !ret && i < cs.count; i++)
		if (ctrls[i]->def.flags & V4L2_CTRL_FLAG_WRITE_ONLY)
			ret = -EACCES;
	for (uint32_t i = 0; !ret && i < cs.count; i++) {
		cs.error_idx = i;
		const Control &ctrl = *ctrls[i];
		struct v4l2_ext_control &c = cs.controls[i];
		if (isDefault) {
			uint8_t buf[64];
			if (!isPtr(ctrl.def)) {
				ControlHandler::initDefault(ctrl.def, buf, 1);
				ret = toUser(c, ctrl.def, buf, 1);
			} else {
				uint32_t elems = ctrl.def.isDynamicArray() ? 1 : ctrl.def.maxElems();
				// The default is built in the control's scratch area, then copied out.
				auto &scratch = const_cast<Control &>(ctrl).scratch;
				ControlHandler::initDefault(ctrl.def, scratch.data(), elems);
				ret = toUser(c, ctrl.def, scratch.data(), elems);
			}
		} else if (isRequest && reqObj) {
			int index = static_cast<int>(&ctrl - hdl.controls().data());
			const RequestControls::Slot &slot = reqObj->slots()[index];
			if (slot.set)
				ret = toUser(c, ctrl.def, slot.data.data(), slot.elems);
			else
				ret = toUser(c, ctrl.def, ctrl.cur.data(), ctrl.elems);
		} else {
			ret = toUser(c, ctrl.def, ctrl.cur.data(), ctrl.elems);
		}
	}
	return ret;
}

/**
 * CAPI:try_set_ext_ctrls_common. reqObj is the request clone for REQUEST_VAL (values go
 * there, the driver's s_ctrl is not called).
 */
int trySetCommon(Context &ctx, struct v4l2_ext_controls &cs, bool set, RequestControls *reqObj)
{
	ControlHandler &hdl = ctx.controls();
	cs.error_idx = cs.count;
	if (cs.which == V4L2_CTRL_WHICH_DEF_VAL)
		return -EINVAL;
	bool isRequest = cs.which == V4L2_CTRL_WHICH_REQUEST_VAL;
	uint32_t which = V4L2_CTRL_ID2WHICH(cs.which);
	if (cs.count == 0)
		return classCheck(hdl, which);

	std::array<const Control *, 64> smallCtrls{};
	std::vector<const Control *> bigCtrls;
	const Control **ctrls = smallCtrls.data();
	if (cs.count > smallCtrls.size()) {
		bigCtrls.resize(cs.count);
		ctrls = bigCtrls.data();
	}
	int ret = 0;
	for (uint32_t i = 0; i < cs.count && !ret; i++) {
		cs.error_idx = i;
		ret = prepareOne(hdl, cs, cs.controls[i], false, reqObj, &ctrls[i]);
	}
	cs.which = which;
	// CAPI:validate_ctrls: read-only, then scalar values (validated in the user's array).
	if (!ret) {
		cs.error_idx = cs.count;
		for (uint32_t i = 0; i < cs.count; i++) {
			const ControlDef &d = ctrls[i]->def;
			cs.error_idx = i;
			if (d.flags & V4L2_CTRL_FLAG_READ_ONLY) {
				ret = -EACCES;
				break;
			}
			if (isPtr(d))
				continue;
			void *value = d.type == V4L2_CTRL_TYPE_INTEGER64
					      ? static_cast<void *>(&cs.controls[i].value64)
					      : static_cast<void *>(&cs.controls[i].value);
			ret = validateScalar(d, value);
			if (ret)
				break;
		}
	}
	if (ret && set)
		cs.error_idx = cs.count;
	if (isRequest)
		cs.which = V4L2_CTRL_WHICH_REQUEST_VAL;

	// Apply loop: every control is its own cluster for these drivers, so controls before a
	// failing one are already applied (compound S_EXT_CTRLS is not atomic).
	for (uint32_t i = 0; !ret && i < cs.count; i++) {
		cs.error_idx = i;
		Control &ctrl = const_cast<Control &>(*ctrls[i]);
		const ControlDef &d = ctrl.def;
		struct v4l2_ext_control &c = cs.controls[i];
		uint32_t elems = ctrl.elems;
		// CAPI:user_to_new.
		if (isPtr(d)) {
			if (!c.ptr) {
				ret = -EFAULT;
				break;
			}
			elems = d.isDynamicArray() ? c.size / d.elemSize : d.maxElems();
			ctrl.reserveElems(elems);
			ret = copyFromUser(ctrl.scratch.data(), c.ptr, static_cast<size_t>(elems) * d.elemSize);
			if (ret)
				break;
			ret = validatePayload(d, ctrl.scratch.data(), elems);
			if (ret)
				break;
		} else if (d.type == V4L2_CTRL_TYPE_INTEGER64) {
			memcpy(ctrl.scratch.data(), &c.value64, 8);
		} else {
			memcpy(ctrl.scratch.data(), &c.value, 4);
		}
		// CCORE:try_or_set_cluster: try_ctrl, then s_ctrl if setting a changed value.
		ret = ctx.driver().tryCtrl(ctx, d, ctrl.scratch.data(), elems);
		if (ret)
			break;
		size_t bytes = static_cast<size_t>(elems) * d.elemSize;
		if (reqObj && set) {
			// CAPI: new_to_req.
			int index = static_cast<int>(&ctrl - hdl.controls().data());
			RequestControls::Slot &slot = reqObj->slot(index);
			slot.data.assign(ctrl.scratch.data(), bytes);
			slot.elems = elems;
			slot.set = true;
		} else if (set && !reqObj) {
			bool changed = elems != ctrl.elems ||
				       memcmp(ctrl.cur.data(), ctrl.scratch.data(), bytes) != 0;
			if (changed) {
				ret = ctx.driver().sCtrl(ctx, d, ctrl.scratch.data());
				if (ret)
					break;
				memcpy(ctrl.cur.data(), ctrl.scratch.data(), bytes);
				ctrl.elems = elems;
				ctx.queueControlEvent(ctrl, V4L2_EVENT_CTRL_CH_VALUE, false, true);
			}
			ctrl.everSet = true;
		}
		// CAPI:new_to_user: the sanitised value goes back.
		ret = toUser(c, d, ctrl.scratch.data(), elems);
	}
	return ret;
}

} // namespace

int queryExtCtrl(const ControlHandler &hdl, struct v4l2_query_ext_ctrl &qc)
{
	// CAPI:v4l2_query_ext_ctrl.
	const uint32_t nextFlags = V4L2_CTRL_FLAG_NEXT_CTRL | V4L2_CTRL_FLAG_NEXT_COMPOUND;
	uint32_t id = qc.id & V4L2_CTRL_ID_MASK;
	auto ctrls = hdl.controls();
	const Control *found = nullptr;
	if ((qc.id & nextFlags) && !ctrls.empty()) {
		bool match = false;
		bool mask = true;
		if ((qc.id & nextFlags) == V4L2_CTRL_FLAG_NEXT_COMPOUND)
			match = true;
		else if ((qc.id & nextFlags) == nextFlags)
			mask = false;
		for (const Control &c : ctrls) {
			bool compound = isCompoundForQuery(c.def);
			if (id < c.def.id && ((compound && mask) == match)) {
				found = &c;
				break;
			}
		}
	} else {
		found = hdl.find(id);
	}
	if (!found)
		return -EINVAL;
	const ControlDef &d = found->def;
	memset(&qc, 0, sizeof(qc));
	qc.id = d.id;
	snprintf(qc.name, sizeof(qc.name), "%s", d.name);
	qc.flags = d.flags;
	if (isPtr(d))
		qc.flags |= V4L2_CTRL_FLAG_HAS_PAYLOAD;
	qc.type = d.type;
	qc.elem_size = d.elemSize;
	qc.elems = found->elems;
	if (d.dims) {
		qc.nr_of_dims = 1;
		qc.dims[0] = d.dims;
	}
	qc.minimum = d.minimum;
	qc.maximum = d.maximum;
	qc.default_value = d.defaultValue;
	qc.step = (d.type == V4L2_CTRL_TYPE_MENU || d.type == V4L2_CTRL_TYPE_INTEGER_MENU) ? 1
											   : d.step;
	return 0;
}

int queryCtrl(const ControlHandler &hdl, struct v4l2_queryctrl &qc)
{
	// CAPI:v4l2_queryctrl, on top of the extended query.
	struct v4l2_query_ext_ctrl qec {};
	qec.id = qc.id;
	int ret = queryExtCtrl(hdl, qec);
	if (ret)
		return ret;
	qc.id = qec.id;
	qc.type = qec.type;
	qc.flags = qec.flags;
	memset(qc.name, 0, sizeof(qc.name));
	snprintf(reinterpret_cast<char *>(qc.name), sizeof(qc.name), "%s", qec.name);
	switch (qc.type) {
	case V4L2_CTRL_TYPE_INTEGER:
	case V4L2_CTRL_TYPE_BOOLEAN:
	case V4L2_CTRL_TYPE_MENU:
	case V4L2_CTRL_TYPE_INTEGER_MENU:
	case V4L2_CTRL_TYPE_STRING:
	case V4L2_CTRL_TYPE_BITMASK:
		qc.minimum = static_cast<int32_t>(qec.minimum);
		qc.maximum = static_cast<int32_t>(qec.maximum);
		qc.step = static_cast<int32_t>(qec.step);
		qc.default_value = static_cast<int32_t>(qec.default_value);
		break;
	default:
		qc.minimum = qc.maximum = qc.step = qc.default_value = 0;
		break;
	}
	memset(qc.reserved, 0, sizeof(qc.reserved));
	return 0;
}

int queryMenu(const ControlHandler &hdl, struct v4l2_querymenu &qm)
{
	// CAPI:v4l2_querymenu.
	const Control *c = hdl.find(qm.id);
	if (!c)
		return -EINVAL;
	qm.reserved = 0;
	const ControlDef &d = c->def;
	if (d.type != V4L2_CTRL_TYPE_MENU || !d.menuNames)
		return -EINVAL;
	int64_t i = qm.index;
	if (i < d.minimum || i > d.maximum)
		return -EINVAL;
	if (i < 64 && (d.menuSkipMask & (1ull << i)))
		return -EINVAL;
	if (!d.menuNames[i] || d.menuNames[i][0] == '\0')
		return -EINVAL;
	memset(qm.name, 0, sizeof(qm.name));
	snprintf(reinterpret_cast<char *>(qm.name), sizeof(qm.name), "%s", d.menuNames[i]);
	return 0;
}

int getCtrl(const ControlHandler &hdl, struct v4l2_control &c)
{
	// CAPI:v4l2_g_ctrl: integer-like controls only.
	const Control *ctrl = hdl.find(c.id);
	if (!ctrl || !isInt(ctrl->def))
		return -EINVAL;
	if (ctrl->def.flags & V4L2_CTRL_FLAG_WRITE_ONLY)
		return -EACCES;
	memcpy(&c.value, ctrl->cur.data(), 4);
	return 0;
}

int setCtrl(Context &ctx, struct v4l2_control &c)
{
	// CAPI:v4l2_s_ctrl -> set_ctrl -> try_or_set_cluster.
	ControlHandler::Control *ctrl = ctx.controls().find(c.id);
	if (!ctrl || !isInt(ctrl->def))
		return -EINVAL;
	if (ctrl->def.flags & V4L2_CTRL_FLAG_READ_ONLY)
		return -EACCES;
	int32_t v = c.value;
	int ret = validateScalar(ctrl->def, &v);
	if (ret)
		return ret;
	memcpy(ctrl->scratch.data(), &v, 4);
	ret = ctx.driver().tryCtrl(ctx, ctrl->def, ctrl->scratch.data(), 1);
	if (ret)
		return ret;
	if (memcmp(ctrl->cur.data(), &v, 4) != 0) {
		ret = ctx.driver().sCtrl(ctx, ctrl->def, &v);
		if (ret)
			return ret;
		memcpy(ctrl->cur.data(), &v, 4);
		ctx.queueControlEvent(*ctrl, V4L2_EVENT_CTRL_CH_VALUE, false, true);
	}
	ctrl->everSet = true;
	c.value = v;
	return 0;
}

namespace {

int extCtrlsOnKernelCopy(BoardImpl &board, Context &ctx, unsigned long cmd, struct v4l2_ext_controls &cs)
{
	// IOC:v4l_*_ext_ctrls: with a control handler on the file (all four drivers) the core's
	// check_ext_ctrls is skipped; the control framework checks the class itself.
	bool get = cmd == VIDIOC_G_EXT_CTRLS;
	bool set = cmd == VIDIOC_S_EXT_CTRLS;
	if (cs.which != V4L2_CTRL_WHICH_REQUEST_VAL) {
		if (get)
			return getCommon(ctx.controls(), cs, nullptr);
		return trySetCommon(ctx, cs, set, nullptr);
	}

	// REQUEST_VAL (CREQ:try_set_ext_ctrls_request / v4l2_g_ext_ctrls_request).
	if (cs.request_fd < 0)
		return -EINVAL;
	Request *req = nullptr;
	int ret = board.requestFromFd(cs.request_fd, ctx.device(), &req);
	if (ret)
		return ret;
	if (get) {
		if (req->state() != RequestState::Complete)
			return -EACCES;
		RequestControls *obj = req->findControls(ctx.controls());
		if (!obj)
			return -ENOMEM;	// CREQ:v4l2_ctrls_find_req_obj with set == false
		return getCommon(ctx.controls(), cs, obj);
	}
	ret = req->lockForUpdate();
	if (ret)
		return ret;
	RequestControls *obj = req->findControls(ctx.controls());
	if (!obj) {
		if (!set) {
			req->unlockForUpdate();
			return -ENOMEM;
		}
		obj = req->bindControls(ctx.controls());
	}
	ret = trySetCommon(ctx, cs, set, obj);
	req->unlockForUpdate();
	return ret;
}

} // namespace

int extCtrls(BoardImpl &board, Context &ctx, unsigned long cmd, struct v4l2_ext_controls &cs)
{
	// IOC:video_usercopy: too many controls or an unreadable array fail before anything is
	// copied back (the caller's struct is untouched); otherwise the array is copied in, the
	// ioctl runs on the copy, and struct and array go back out whatever the result.
	if (cs.count > V4L2_CID_MAX_CTRLS)
		return -EINVAL;
	if (cs.count == 0) {
		cs.error_idx = 0;
		return extCtrlsOnKernelCopy(board, ctx, cmd, cs);
	}
	std::array<struct v4l2_ext_control, 16> small;
	std::vector<struct v4l2_ext_control> big;
	struct v4l2_ext_control *copy = small.data();
	if (cs.count > small.size()) {
		big.resize(cs.count);
		copy = big.data();
	}
	size_t bytes = sizeof(struct v4l2_ext_control) * cs.count;
	struct v4l2_ext_control *user = cs.controls;
	if (copyFromUser(copy, user, bytes))
		return -EFAULT;
	cs.error_idx = cs.count;	// IOC:check_array_args
	cs.controls = copy;
	int ret = extCtrlsOnKernelCopy(board, ctx, cmd, cs);
	cs.controls = user;
	if (copyToUser(user, copy, bytes))
		return -EFAULT;
	return ret;
}

void requestSetup(Context &ctx, Request &req)
{
	// CREQ:v4l2_ctrl_request_setup: values set in the request become current, in id order,
	// through try_ctrl and (when changed) s_ctrl; the first refusal leaves that value and
	// every later one as they were. The controls the request did not set keep their values.
	RequestControls *obj = req.findControls(ctx.controls());
	if (!obj || obj->complete)
		return;
	auto ctrls = ctx.controls().controls();
	for (size_t i = 0; i < ctrls.size(); i++) {
		RequestControls::Slot &slot = obj->slot(static_cast<int>(i));
		if (!slot.set)
			continue;
		Control &c = ctrls[i];
		size_t bytes = static_cast<size_t>(slot.elems) * c.def.elemSize;
		c.reserveElems(slot.elems);
		memcpy(c.scratch.data(), slot.data.data(), bytes);
		if (ctx.driver().tryCtrl(ctx, c.def, c.scratch.data(), slot.elems))
			return;
		bool changed = slot.elems != c.elems || memcmp(c.cur.data(), c.scratch.data(), bytes);
		if (changed) {
			if (ctx.driver().sCtrl(ctx, c.def, c.scratch.data()))
				return;
			memcpy(c.cur.data(), c.scratch.data(), bytes);
			c.elems = slot.elems;
			ctx.queueControlEvent(c, V4L2_EVENT_CTRL_CH_VALUE);
		}
		c.everSet = true;
	}
}

} // namespace v4l2emu
