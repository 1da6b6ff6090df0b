// SPDX-License-Identifier: MIT
#pragma once

// A per-open control handler (CCORE/CAPI) and its per-request clones (CREQ). Values are kept
// as raw element bytes; compound payloads are the uapi structs.

#include "codecs/codec.h"

#include <cstdint>
#include <span>
#include <vector>

namespace v4l2emu {

class Context;
class Request;

class ControlHandler final : public ControlReader {
public:
	struct Control {
		ControlDef def;
		uint32_t elems = 1;		///< current element count (dynamic arrays)
		/// elemSize * allocated elements: maxElems, except for a dynamic array, whose
		/// storage starts at one element and grows with the largest value set
		/// (CAPI:user_to_new reallocates p_array when a bigger array arrives).
		std::vector<uint8_t> cur;
		std::vector<uint8_t> scratch;	///< the "new" value being tried (p_new), same size
		bool everSet = false;

		/// Makes room for n elements in cur and scratch (keeping both values). May
		/// allocate: only the first time a dynamic array gets this big.
		void reserveElems(uint32_t n);
	};

	ControlHandler(Context &ctx, std::vector<ControlDef> defs);
	ControlHandler(const ControlHandler &) = delete;
	ControlHandler &operator=(const ControlHandler &) = delete;

	Context &context() const { return ctx_; }
	Control *find(uint32_t id);
	const Control *find(uint32_t id) const;
	/// Index of a control in controls(), or -1.
	int indexOf(uint32_t id) const;
	std::span<Control> controls() { return controls_; }
	std::span<const Control> controls() const { return controls_; }

	// ControlReader
	const void *get(uint32_t id, uint32_t *elems = nullptr) const override;
	bool wasSet(uint32_t id) const override;

	/// Writes the default value of a control into dst (CDEFS: type_ops init).
	static void initDefault(const ControlDef &def, uint8_t *dst, uint32_t elems);

private:
	Context &ctx_;
	std::vector<Control> controls_;	// sorted by id
};

/// The control object a request holds for one handler (CREQ: the handler clone).
class RequestControls {
public:
	struct Slot {
		bool set = false;		///< set in this request (or filled at completion)
		uint32_t elems = 1;
		std::vector<uint8_t> data;
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
};

} // namespace v4l2emu
