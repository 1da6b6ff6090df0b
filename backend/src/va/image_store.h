// SPDX-License-Identifier: MIT
#pragma once

// The memory of a vaCreateImage image: a private anonymous mapping. The kernel hands out zero
// pages lazily, so an image costs nothing until written (GetImage writes the region it copies,
// a mapping reader the pages it touches), where a heap vector would be zero-filled up front;
// and it goes back to the system when the image goes (see destroyImage for a mapped one).
// Inaccessible guard pages on both sides turn a copy running past either end into a fault,
// and under AddressSanitizer the slack after the last byte is poisoned: overruns are caught as
// they were with a heap vector's redzones.

#include <cstddef>
#include <cstdint>
#include <utility>

namespace v4l2va {

class ImageStore {
public:
	ImageStore() = default;
	ImageStore(const ImageStore &) = delete;
	ImageStore &operator=(const ImageStore &) = delete;
	ImageStore(ImageStore &&o) noexcept
		: base_(std::exchange(o.base_, nullptr)), length_(std::exchange(o.length_, 0)),
		  data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0))
	{
	}
	ImageStore &operator=(ImageStore &&o) noexcept
	{
		if (this != &o) {
			reset();
			base_ = std::exchange(o.base_, nullptr);
			length_ = std::exchange(o.length_, 0);
			data_ = std::exchange(o.data_, nullptr);
			size_ = std::exchange(o.size_, 0);
		}
		return *this;
	}
	~ImageStore() { reset(); }

	/// A zero-filled store of `size` bytes (size > 0); an empty one if the system has no room.
	static ImageStore allocate(size_t size);
	void reset();

	explicit operator bool() const { return data_ != nullptr; }
	uint8_t *data() const { return data_; }
	size_t size() const { return size_; }

private:
	void *base_ = nullptr;	///< the whole mapping, guard pages included
	size_t length_ = 0;
	uint8_t *data_ = nullptr;
	size_t size_ = 0;
};

} // namespace v4l2va
