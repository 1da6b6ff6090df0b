// SPDX-License-Identifier: MIT
#pragma once

// A per-open control handler (CCORE/CAPI) and its per-request clones (CREQ). Values are kept
// as raw element bytes; compound payloads are the uapi structs.
//
// What a driver registers is laid out once per driver profile (ControlLayout: the sorted
// definitions and their default values); opening a context copies that layout into one
// block (every control's current and new value), so an open costs two allocations, not a
// few hundred.

#include "codecs/codec.h"

#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

namespace v4l2emu {

class Context;
class Request;

/// The bytes of one control value: a region of its handler's block, or, once a dynamic
/// array outgrows that region, storage of its own.
class ControlValue {
public:
	uint8_t *data() { return data_; }
	const uint8_t *data() const { return data_; }
	/// Bytes available (elemSize * the elements there is room for).
	size_t size() const { return size_; }

	void bind(uint8_t *p, size_t bytes)
	{
		data_ = p;
		size_ = bytes;
		own_.reset();
	}
	/// Room for at least `bytes`, keeping the value (the new tail zeroed). Allocates only
	/// when the value does not fit yet.
	void grow(size_t bytes);
	/// Copies bytes in, growing first if they do not fit.
	void assign(const uint8_t *src, size_t bytes);

private:
	uint8_t *data_ = nullptr;
	size_t size_ = 0;
	std::unique_ptr<uint8_t[]> own_;
};

struct ControlStorage;

/// A driver's controls as every open starts with them (CCORE:v4l2_ctrl_new for each, plus the
/// class controls handler_new_ref adds): definitions sorted by id and their default values
/// back to back. Built once per driver profile and immutable.
class ControlLayout {
public:
	explicit ControlLayout(std::vector<ControlDef> defs);
	ControlLayout(const ControlLayout &) = delete;
	ControlLayout &operator=(const ControlLayout &) = delete;

	std::span<const ControlDef> defs() const { return defs_; }
	/// Element count a control starts with (1 for a dynamic array, else maxElems).
	uint32_t initialElems(size_t i) const { return initialElems_[i]; }
	size_t offset(size_t i) const { return offsets_[i]; }
	size_t bytes(size_t i) const { return offsets_[i + 1] - offsets_[i]; }
	/// Every default value, control i at offset(i).
	const std::vector<uint8_t> &defaults() const { return defaults_; }

	/// Storage a closed context's handler gave back, or nullptr. Opening and closing
	/// contexts is what streams and probes do all day: reusing the storage of the last
	/// closed one spares two allocations per open.
	std::unique_ptr<ControlStorage> takeStorage() const;
	void giveStorage(std::unique_ptr<ControlStorage> storage) const;

private:
	mutable std::mutex freeLock_;
	mutable std::vector<std::unique_ptr<ControlStorage>> free_;	// capacity kept, <= 4
	std::vector<ControlDef> defs_;
	std::vector<uint32_t> initialElems_;
	std::vector<size_t> offsets_;	// defs_.size() + 1 entries
	std::vector<uint8_t> defaults_;
};

class ControlHandler final : public ControlReader {
public:
	struct Control {
		ControlDef def;
		uint32_t elems = 1;		///< current element count (dynamic arrays)
		/// elemSize * allocated elements: maxElems, except for a dynamic array, whose
		/// storage starts at one element and grows with the largest value set
		/// (CAPI:user_to_new reallocates p_array when a bigger array arrives).
		ControlValue cur;
		/// The "new" value being tried (p_new), same size; written before it is read.
		ControlValue scratch;
		bool everSet = false;

		/// Makes room for n elements in cur and scratch (keeping both values). May
		/// allocate: only the first time a dynamic array gets this big.
		void reserveElems(uint32_t n);
	};

	ControlHandler(Context &ctx, const ControlLayout &layout);
	~ControlHandler() override;
	ControlHandler(const ControlHandler &) = delete;
	ControlHandler &operator=(const ControlHandler &) = delete;

	Context &context() const { return ctx_; }
	Control *find(uint32_t id);
	const Control *find(uint32_t id) const;
	/// Index of a control in controls(), or -1.
	int indexOf(uint32_t id) const;
	std::span<Control> controls();
	std::span<const Control> controls() const;

	// ControlReader
	const void *get(uint32_t id, uint32_t *elems = nullptr) const override;
	bool wasSet(uint32_t id) const override;

	/// Writes the default value of a control into dst (CDEFS: type_ops init).
	static void initDefault(const ControlDef &def, uint8_t *dst, uint32_t elems);

	const ControlLayout &layout() const { return layout_; }

private:
	Context &ctx_;
	const ControlLayout &layout_;
	std::unique_ptr<ControlStorage> storage_;
};

/// A handler's controls (sorted by id) and the block their values live in: the layout's
/// bytes twice, the current values, then the new ones.
struct ControlStorage {
	std::vector<ControlHandler::Control> controls;
	std::unique_ptr<uint8_t[]> values;
};

inline std::span<ControlHandler::Control> ControlHandler::controls() { return storage_->controls; }
inline std::span<const ControlHandler::Control> ControlHandler::controls() const
{
	return storage_->controls;
}

/// The control object a request holds for one handler (CREQ: the handler clone).
class RequestControls {
public:
	struct Slot {
		bool set = false;		///< set in this request (or filled at completion)
		uint32_t elems = 1;
		ControlValue data;		///< elemSize * elems bytes are the value when set
	};

	RequestControls(ControlHandler &handler, Request &request);

	ControlHandler &handler() const { return *handler_; }
	Request &request() const { return *request_; }
	std::span<Slot> slots() { return slots_; }
	std::span<const Slot> slots() const { return slots_; }
	Slot &slot(int index) { return slots_[index]; }
	/// Clears every value (the object is being recycled for a new binding).
	void reset();

	bool complete = false;		///< v4l2_ctrl_request_complete ran
	bool bound = false;

private:
	ControlHandler *handler_;
	Request *request_;
	std::vector<Slot> slots_;
	std::unique_ptr<uint8_t[]> values_;	// the handler layout's bytes, one region per slot
};

} // namespace v4l2emu
