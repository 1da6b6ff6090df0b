// SPDX-License-Identifier: MIT
#pragma once

// Helpers for the codec table files.

#include "codec.h"

#include <linux/v4l2-controls.h>

#include <cerrno>
#include <cstring>

namespace v4l2emu::codec_detail {

/// A compound control with its standard flags (CDEFS:v4l2_ctrl_fill).
constexpr ControlDef compound(uint32_t id, const char *name, uint32_t type, uint32_t elemSize,
			      uint32_t flags = 0, uint32_t dims = 0)
{
	ControlDef d;
	d.id = id;
	d.name = name;
	d.type = type;
	d.flags = flags | V4L2_CTRL_FLAG_HAS_PAYLOAD;
	d.elemSize = elemSize;
	d.dims = dims;
	return d;
}

/// A menu control (CDEFS:v4l2_ctrl_fill gives min 0, max = last entry, step 1).
constexpr ControlDef menu(uint32_t id, const char *name, int64_t max, int64_t def,
			  const char *const *names)
{
	ControlDef d;
	d.id = id;
	d.name = name;
	d.type = V4L2_CTRL_TYPE_MENU;
	d.minimum = 0;
	d.maximum = max;
	d.step = 1;
	d.defaultValue = def;
	d.elemSize = 4;
	d.menuNames = names;
	return d;
}

template<typename T> void zeroReserved(T &s)
{
	memset(&s.reserved, 0, sizeof(s.reserved));
}

} // namespace v4l2emu::codec_detail
