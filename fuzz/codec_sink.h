// SPDX-License-Identifier: MIT
#pragma once

// A BitstreamSink for running the driver's codecs without the VA core: the OUTPUT buffer of the
// current decode unit in one static region (a unit's bytes are not looked at again once the
// next one starts). Shared by the codec-state target and the seed recorder.

#include "codecs/codec.h"

#include <cstdio>
#include <cstdlib>

namespace v4l2va::fuzz {

class BitstreamArena final : public BitstreamSink {
public:
	static constexpr size_t kMaxCapacity = 8 << 20;
	void start(size_t capacity, unsigned maxUnits)
	{
		capacity_ = capacity < kMaxCapacity ? capacity : kMaxCapacity;
		maxUnits_ = maxUnits;
		size_ = 0;
		units_ = 1;
	}
	uint8_t *reserve(size_t n) override
	{
		if (n > capacity_ - size_)
			return nullptr;
		reserved_ = n;
		return bytes_ + size_;
	}
	void commit(size_t n) override
	{
		if (n > reserved_) {
			fprintf(stderr, "codec sink: a codec committed more bitstream bytes than it reserved\n");
			abort();
		}
		size_ += n;
		reserved_ = 0;
	}
	size_t unitSize() const override { return size_; }
	VAStatus newUnit() override
	{
		if (units_ >= maxUnits_)
			return VA_STATUS_ERROR_MAX_NUM_EXCEEDED;
		units_++;
		size_ = 0;
		return VA_STATUS_SUCCESS;
	}
	unsigned unitCount() const override { return units_; }
	/// The current unit's bytes.
	const uint8_t *data() const { return bytes_; }

private:
	alignas(64) static inline uint8_t bytes_[kMaxCapacity];
	size_t capacity_ = 0;
	size_t size_ = 0;
	size_t reserved_ = 0;
	unsigned units_ = 1;
	unsigned maxUnits_ = 1;
};

} // namespace v4l2va::fuzz
