// SPDX-License-Identifier: MIT
#pragma once

// VA object IDs and their tables. An ID is a per-type base (so a surface ID passed as a buffer
// is caught), a generation and a slot: a destroyed ID stays invalid even after its slot is
// reused. Lookups are O(1) under a short-held mutex and return a shared_ptr, so an object stays
// alive while a call uses it even if another thread destroys it meanwhile.
//
// Objects made per frame (buffers, images) are recycled: a removed object nobody else holds
// goes to a free list and is handed out again by reuse(), keeping its storage, so the steady
// state allocates nothing. The list is bounded in objects and in the bytes they hold.

#include <va/va.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace v4l2va {

enum class ObjectType : uint32_t {
	Config = 0x01000000,
	Context = 0x02000000,
	Surface = 0x04000000,
	Buffer = 0x08000000,
	Image = 0x10000000,
};

template<typename T> class ObjectTable {
public:
	/// `reserve` objects fit without reallocating; as many, holding `recycledByteLimit` bytes
	/// together, are kept for reuse.
	explicit ObjectTable(ObjectType type, size_t reserve = 64, size_t recycledByteLimit = SIZE_MAX)
		: base_(static_cast<uint32_t>(type)), recycledByteLimit_(recycledByteLimit)
	{
		slots_.reserve(reserve);
		freeSlots_.reserve(reserve);
		recycled_.reserve(reserve);
	}
	ObjectTable(const ObjectTable &) = delete;
	ObjectTable &operator=(const ObjectTable &) = delete;

	/// Inserts an object; returns its ID, or VA_INVALID_ID when the table is full.
	uint32_t insert(std::shared_ptr<T> object)
	{
		std::lock_guard lock(mutex_);
		uint32_t slot;
		if (!freeSlots_.empty()) {
			slot = freeSlots_.back();
			freeSlots_.pop_back();
		} else {
			if (slots_.size() >= kMaxSlots)
				return VA_INVALID_ID;
			slot = static_cast<uint32_t>(slots_.size());
			slots_.emplace_back();
		}
		Slot &s = slots_[slot];
		s.generation = (s.generation + 1) & kGenerationMask;
		s.object = std::move(object);
		live_++;
		return base_ | (s.generation << kSlotBits) | slot;
	}

	std::shared_ptr<T> get(uint32_t id) const
	{
		std::lock_guard lock(mutex_);
		const Slot *s = find(id);
		return s ? s->object : nullptr;
	}

	/// Removes and returns the object (nullptr for an unknown ID).
	std::shared_ptr<T> remove(uint32_t id)
	{
		std::lock_guard lock(mutex_);
		Slot *s = const_cast<Slot *>(find(id));
		if (!s)
			return nullptr;
		std::shared_ptr<T> out = std::move(s->object);
		s->object.reset();
		freeSlots_.push_back(id & kSlotMask);
		live_--;
		return out;
	}

	/// Keeps an object that nobody else references for reuse(), `bytes` being the memory it
	/// holds: takes it (leaving `object` empty) and returns true, or leaves it to the caller
	/// when the list is full or the object would take it past its byte budget.
	bool recycle(std::shared_ptr<T> &object, size_t bytes = 0)
	{
		std::lock_guard lock(mutex_);
		if (!object || object.use_count() != 1 || recycled_.size() >= recycled_.capacity() ||
		    bytes > recycledByteLimit_ - recycledBytes_)
			return false;
		recycled_.push_back({std::move(object), bytes});
		recycledBytes_ += bytes;
		return true;
	}
	/// The recycled object `cost` rates lowest (kUnfit: never), or nullptr.
	static constexpr uint64_t kUnfit = UINT64_MAX;
	template<typename Cost> std::shared_ptr<T> reuse(Cost cost)
	{
		std::lock_guard lock(mutex_);
		size_t best = recycled_.size();
		uint64_t bestCost = kUnfit;
		for (size_t i = 0; i < recycled_.size() && bestCost; i++) {
			uint64_t c = cost(static_cast<const T &>(*recycled_[i].object));
			if (c < bestCost) {
				best = i;
				bestCost = c;
			}
		}
		if (best == recycled_.size())
			return nullptr;
		std::shared_ptr<T> out = std::move(recycled_[best].object);
		recycledBytes_ -= recycled_[best].bytes;
		recycled_[best] = std::move(recycled_.back());
		recycled_.pop_back();
		return out;
	}

	/// All live objects (teardown, leak reports).
	std::vector<std::pair<uint32_t, std::shared_ptr<T>>> all() const
	{
		std::lock_guard lock(mutex_);
		std::vector<std::pair<uint32_t, std::shared_ptr<T>>> out;
		for (uint32_t i = 0; i < slots_.size(); i++)
			if (slots_[i].object)
				out.emplace_back(base_ | (slots_[i].generation << kSlotBits) | i,
						 slots_[i].object);
		return out;
	}
	size_t size() const
	{
		std::lock_guard lock(mutex_);
		return live_;
	}
	void clearRecycled()
	{
		std::lock_guard lock(mutex_);
		recycled_.clear();
		recycledBytes_ = 0;
	}

private:
	static constexpr uint32_t kSlotBits = 16;
	static constexpr uint32_t kSlotMask = (1u << kSlotBits) - 1;
	static constexpr uint32_t kGenerationMask = 0xff;
	static constexpr size_t kMaxSlots = kSlotMask;	// slot 0xffff never used: no 0xffffffff

	struct Slot {
		uint32_t generation = 0;
		std::shared_ptr<T> object;
	};

	const Slot *find(uint32_t id) const
	{
		if ((id & 0xff000000u) != base_)
			return nullptr;
		uint32_t slot = id & kSlotMask;
		uint32_t gen = (id >> kSlotBits) & kGenerationMask;
		if (slot >= slots_.size() || !slots_[slot].object || slots_[slot].generation != gen)
			return nullptr;
		return &slots_[slot];
	}

	const uint32_t base_;
	mutable std::mutex mutex_;
	std::vector<Slot> slots_;
	std::vector<uint32_t> freeSlots_;
	struct Recycled {
		std::shared_ptr<T> object;
		size_t bytes;
	};
	std::vector<Recycled> recycled_;
	size_t recycledBytes_ = 0;
	const size_t recycledByteLimit_;
	size_t live_ = 0;
};

} // namespace v4l2va
