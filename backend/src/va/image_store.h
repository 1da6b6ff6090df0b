// SPDX-License-Identifier: MIT
#pragma once

// The memory of a vaCreateImage image: a private anonymous mapping. The kernel hands out zero
// pages lazily, so an image costs nothing until written (GetImage writes the region it copies,
// a mapping reader the pages it touches), where a heap vector would be zero-filled up front;
// and it goes back to the system when the image goes (see destroyImage for a mapped one).

#include <sys/mman.h>

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
		: data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0))
	{
	}
	ImageStore &operator=(ImageStore &&o) noexcept
	{
		if (this != &o) {
			reset();
			data_ = std::exchange(o.data_, nullptr);
			size_ = std::exchange(o.size_, 0);
		}
		return *this;
	}
	~ImageStore() { reset(); }

	/// A zero-filled store of `size` bytes (size > 0); an empty one if the system has no room.
	static ImageStore allocate(size_t size)
	{
		ImageStore s;
		if (!size)
			return s;
		void *p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p != MAP_FAILED) {
			s.data_ = static_cast<uint8_t *>(p);
			s.size_ = size;
		}
		return s;
	}
	void reset()
	{
		if (data_)
			::munmap(data_, size_);
		data_ = nullptr;
		size_ = 0;
	}

	explicit operator bool() const { return data_ != nullptr; }
	uint8_t *data() const { return data_; }
	size_t size() const { return size_; }

private:
	uint8_t *data_ = nullptr;
	size_t size_ = 0;
};

} // namespace v4l2va
