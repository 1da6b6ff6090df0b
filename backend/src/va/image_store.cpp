// SPDX-License-Identifier: MIT
#include "va/image_store.h"

#include <sys/mman.h>
#include <unistd.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define V4L2VA_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define V4L2VA_ASAN 1
#endif
#ifdef V4L2VA_ASAN
#include <sanitizer/asan_interface.h>
#endif

namespace v4l2va {

namespace {

size_t pageSize()
{
	static const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
	return page;
}

} // namespace

ImageStore ImageStore::allocate(size_t size)
{
	ImageStore s;
	const size_t page = pageSize();
	if (!size || size > SIZE_MAX - 3 * page)
		return s;
	const size_t inner = (size + page - 1) / page * page;
	const size_t length = inner + 2 * page;
	// Reserved inaccessible, then the inner pages opened (and accounted: no room is a clean
	// failure here, not a fault later): a guard page stays on each side.
	void *base = ::mmap(nullptr, length, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return s;
	uint8_t *data = static_cast<uint8_t *>(base) + page;
	if (::mprotect(data, inner, PROT_READ | PROT_WRITE)) {
		::munmap(base, length);
		return s;
	}
#ifdef V4L2VA_ASAN
	ASAN_POISON_MEMORY_REGION(data + size, inner - size);
#endif
	s.base_ = base;
	s.length_ = length;
	s.data_ = data;
	s.size_ = size;
	return s;
}

void ImageStore::reset()
{
	if (base_) {
#ifdef V4L2VA_ASAN
		// The shadow outlives the mapping: whatever is mapped here next starts unpoisoned.
		// Only the slack was poisoned; unpoisoning the whole store would write (and fault in)
		// an eighth of its size in shadow pages, which cost more than the image's own copies.
		ASAN_UNPOISON_MEMORY_REGION(data_ + size_, length_ - 2 * pageSize() - size_);
#endif
		::munmap(base_, length_);
	}
	base_ = nullptr;
	length_ = 0;
	data_ = nullptr;
	size_ = 0;
}

} // namespace v4l2va
