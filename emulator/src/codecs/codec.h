// SPDX-License-Identifier: MIT
#pragma once

// A codec is a table entry: its control definitions (as the kernel's v4l2_ctrl_fill and the
// drivers' control descriptors register them), the validation of its compound control types
// (CCORE:std_validate_compound), the controls a decode needs, and how to read reference
// timestamps and frame identity out of the current control values. Adding a codec means one
// new file with one CodecOps and one line in registry.cpp; the core never switches on codecs.

#include <linux/videodev2.h>

#include <cstddef>
#include <cstdint>
#include <span>

namespace v4l2emu {

/// One control as registered on a handler (CDEFS:v4l2_ctrl_fill + driver overrides).
struct ControlDef {
	uint32_t id = 0;
	const char *name = "";
	uint32_t type = 0;		///< V4L2_CTRL_TYPE_*
	int64_t minimum = 0;
	int64_t maximum = 0;
	uint64_t step = 0;
	int64_t defaultValue = 0;
	uint64_t menuSkipMask = 0;
	uint32_t flags = 0;		///< V4L2_CTRL_FLAG_* (HAS_PAYLOAD, DYNAMIC_ARRAY, READ_ONLY, ...)
	uint32_t elemSize = 0;		///< bytes per element: 4 for INTEGER/MENU/BOOLEAN, 8 for
					///< INTEGER64, sizeof(struct) for compound types
	uint32_t dims = 0;		///< 0: one element; else the maximum element count (dims[0])
	const char *const *menuNames = nullptr; ///< MENU: names indexed by value (nullptr = none)

	/// Passed by pointer with a payload (CCORE: is_ptr types), U8/U16/U32 arrays included.
	bool isCompound() const { return type >= V4L2_CTRL_COMPOUND_TYPES; }
	/// Elements are uapi structs (std_validate_compound / std_init_compound), not the
	/// integer element types U8/U16/U32 whose type values also sit above
	/// V4L2_CTRL_COMPOUND_TYPES (CCORE:std_validate_elem and std_init round and set those).
	bool hasStructElements() const
	{
		return isCompound() && type != V4L2_CTRL_TYPE_U8 && type != V4L2_CTRL_TYPE_U16 &&
		       type != V4L2_CTRL_TYPE_U32;
	}
	bool isDynamicArray() const { return flags & V4L2_CTRL_FLAG_DYNAMIC_ARRAY; }
	uint32_t maxElems() const { return dims ? dims : 1; }
};

/// Validation of one compound control type, per element (CCORE:std_validate_compound).
/// The function may sanitise the element in place (the kernel "zeroes" fields) and returns
/// 0 or -EINVAL.
struct CompoundType {
	uint32_t type;			///< V4L2_CTRL_TYPE_*
	uint32_t elemSize;		///< sizeof the uapi struct
	int (*validate)(void *elem);
};

/// Read access to a handler's current values, given to codec callbacks.
class ControlReader {
public:
	virtual ~ControlReader() = default;
	/// Current payload of control id (elements back to back) or nullptr if the handler does
	/// not have it. *elems receives the element count when not null.
	virtual const void *get(uint32_t id, uint32_t *elems = nullptr) const = 0;
	/// True once the control's current value was set (through S_EXT_CTRLS or a request).
	virtual bool wasSet(uint32_t id) const = 0;
};

/// What the controls claim about a frame, compared when a reference is resolved. Codecs whose
/// references are named only by timestamp (MPEG-2, VP8, VP9, AV1) leave hasPoc false.
struct FrameIdentity {
	bool hasPoc = false;
	int32_t topPoc = 0;		///< H.264 top field order count; HEVC PicOrderCntVal
	int32_t bottomPoc = 0;		///< H.264 bottom field order count; HEVC: same as top
	bool checkTop = true;		///< compare topPoc (H.264 field references may name one field)
	bool checkBottom = true;
};

struct ReferenceClaim {
	uint64_t timestamp = 0;		///< ns, as userspace put it in the control
	FrameIdentity identity;
	const char *role = "";		///< "dpb[3]", "golden", "backward", ... for diagnostics
};

struct CodecOps {
	const char *name;		///< "h264", "hevc", "vp8", "vp9", "mpeg2", "av1", "fwht"
	uint32_t codedFourcc;		///< V4L2_PIX_FMT_*_SLICE / *_FRAME / FWHT_STATELESS
	std::span<const ControlDef> controls;	///< every control of the codec, standard defaults
	std::span<const CompoundType> compoundTypes;
	std::span<const uint32_t> requiredControls; ///< a job without any of these set decodes garbage
	/// Appends the references the current values name (only those in use: valid DPB entries,
	/// refs of P/B pictures, non-intra frames) to out; returns how many were written.
	size_t (*collectReferences)(const ControlReader &ctrls, std::span<ReferenceClaim> out);
	/// The identity of the frame being decoded, recorded for later reference checks.
	FrameIdentity (*frameIdentity)(const ControlReader &ctrls);
	/// False when the current values cannot describe a picture (e.g. zero-sized SPS) even
	/// though they were set; the engine then writes an all-zero picture like the hardware.
	bool (*controlsUsable)(const ControlReader &ctrls);
};

/// All codecs (registry.cpp).
std::span<const CodecOps *const> allCodecs();
const CodecOps *codecForFourcc(uint32_t fourcc);
/// The standard definition of a control id, across all codecs; nullptr if unknown.
const ControlDef *standardControl(uint32_t id);
/// Validates one element of a compound control; -EINVAL for an unknown type (CCORE default).
int validateCompoundElement(uint32_t type, void *elem);

} // namespace v4l2emu
