// SPDX-License-Identifier: MIT
// The counting allocator (alloc_counter.h). glibc supports replacing malloc this way: its own
// functions (strdup, fopen, ...) call malloc through the interposable symbol, so they are seen
// too. Everything forwards to glibc's allocator, so memory from before a replacement was bound
// (or from the dynamic loader) is freed correctly.
#include "alloc_counter.h"

#include <dlfcn.h>
#include <execinfo.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

extern "C" {
void *__libc_malloc(size_t size);
void *__libc_calloc(size_t count, size_t size);
void *__libc_realloc(void *p, size_t size);
void *__libc_memalign(size_t alignment, size_t size);
void *__libc_valloc(size_t size);
void *__libc_pvalloc(size_t size);
void __libc_free(void *p);
}

namespace v4l2va::bench {

namespace {

std::atomic<bool> windowOpen {false};
std::atomic<uint64_t> totalCount {0}, totalBytes {0};
std::atomic<uint64_t> ownerCount[static_cast<unsigned>(AllocOwner::Count)] {};
std::atomic<unsigned> stacksTaken {0};
unsigned keepLimit = 0;
KeptStack kept[kMaxKeptStacks];
unsigned keptValid = 0;
const void *driverBase = nullptr, *emulatorBase = nullptr, *benchBase = nullptr;
/// Set while this thread is inside the counter: what backtrace()/dladdr() might allocate is
/// ours, not the caller's.
thread_local bool insideCounter = false;

AllocOwner ownerOf(void *const *frames, int depth)
{
	for (int i = 0; i < depth; i++) {
		Dl_info info {};
		if (!dladdr(frames[i], &info))
			continue;
		if (info.dli_fbase == driverBase)
			return AllocOwner::Driver;
		if (info.dli_fbase == emulatorBase)
			return AllocOwner::Emulator;
		if (info.dli_fbase == benchBase)
			return AllocOwner::Bench;
		// libc, libstdc++, libgcc: keep walking to the code that called them.
	}
	return AllocOwner::Other;
}

/// Counts one allocation. Not inlined, and called (not jumped to) by each allocation function,
/// so frame 0 of the backtrace is here, frame 1 the allocation function, frame 2 its caller.
__attribute__((noinline)) void noteAllocation(size_t size)
{
	if (!windowOpen.load(std::memory_order_relaxed) || insideCounter)
		return;
	insideCounter = true;
	void *frames[kStackDepth + 2];
	int depth = backtrace(frames, kStackDepth + 2);
	void *const *callers = frames + 2;
	int callerDepth = depth > 2 ? depth - 2 : 0;
	AllocOwner owner = ownerOf(callers, callerDepth);
	totalCount.fetch_add(1, std::memory_order_relaxed);
	totalBytes.fetch_add(size, std::memory_order_relaxed);
	ownerCount[static_cast<unsigned>(owner)].fetch_add(1, std::memory_order_relaxed);
	unsigned slot = stacksTaken.fetch_add(1, std::memory_order_relaxed);
	if (slot < keepLimit) {
		KeptStack &k = kept[slot];
		memcpy(k.frames, callers, sizeof(void *) * static_cast<size_t>(callerDepth));
		k.depth = callerDepth;
		k.size = size;
		k.owner = owner;
	}
	insideCounter = false;
}

const void *baseOf(const void *address)
{
	Dl_info info {};
	return address && dladdr(address, &info) ? info.dli_fbase : nullptr;
}

std::string objectPath(const Dl_info &info)
{
	if (info.dli_fbase == benchBase || !info.dli_fname || !info.dli_fname[0]) {
		char path[4096];
		ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
		return n > 0 ? std::string(path, static_cast<size_t>(n)) : std::string();
	}
	return info.dli_fname;
}

} // namespace

const char *toString(AllocOwner owner)
{
	switch (owner) {
	case AllocOwner::Driver: return "driver";
	case AllocOwner::Emulator: return "emulator";
	case AllocOwner::Bench: return "bench";
	default: return "other";
	}
}

void identifyObjects(const void *inDriver, const void *inEmulator, const void *inBench)
{
	driverBase = baseOf(inDriver);
	emulatorBase = baseOf(inEmulator);
	benchBase = baseOf(inBench);
}

void primeBacktrace()
{
	void *frames[4];
	backtrace(frames, 4);
}

void openWindow(unsigned keepStacks)
{
	totalCount.store(0);
	totalBytes.store(0);
	for (auto &c : ownerCount)
		c.store(0);
	stacksTaken.store(0);
	keepLimit = keepStacks < kMaxKeptStacks ? keepStacks : kMaxKeptStacks;
	windowOpen.store(true, std::memory_order_seq_cst);
}

AllocWindow closeWindow()
{
	windowOpen.store(false, std::memory_order_seq_cst);
	AllocWindow w;
	w.total = totalCount.load();
	w.bytes = totalBytes.load();
	for (unsigned i = 0; i < static_cast<unsigned>(AllocOwner::Count); i++)
		w.byOwner[i] = ownerCount[i].load();
	unsigned taken = stacksTaken.load();
	w.keptStacks = taken < keepLimit ? taken : keepLimit;
	keptValid = w.keptStacks;
	return w;
}

const KeptStack &keptStack(unsigned i)
{
	return kept[i < keptValid ? i : 0];
}

std::string describeStack(const KeptStack &k, unsigned number)
{
	char line[4608];
	snprintf(line, sizeof(line), "  allocation %u: %zu bytes, asked by the %s\n", number, k.size,
		 toString(k.owner));
	std::string out = line;
	char **symbols = backtrace_symbols(k.frames, k.depth);
	for (int f = 0; f < k.depth; f++) {
		snprintf(line, sizeof(line), "    #%-2d %s\n", f, symbols ? symbols[f] : "?");
		out += line;
		// Hidden functions print as object+offset only: resolve the frames of our objects.
		Dl_info info {};
		if (!dladdr(k.frames[f], &info))
			continue;
		if (info.dli_fbase != driverBase && info.dli_fbase != emulatorBase &&
		    info.dli_fbase != benchBase)
			continue;
		// A return address: the call is the byte before it.
		uintptr_t offset = reinterpret_cast<uintptr_t>(k.frames[f]) -
				   reinterpret_cast<uintptr_t>(info.dli_fbase) - 1;
		snprintf(line, sizeof(line), "addr2line -C -f -i -p -e '%s' 0x%zx 2>/dev/null",
			 objectPath(info).c_str(), static_cast<size_t>(offset));
		FILE *p = popen(line, "r");
		if (!p)
			continue;
		while (fgets(line, sizeof(line), p))
			out += std::string("         ") + line;
		pclose(p);
	}
	free(symbols);
	return out;
}

} // namespace v4l2va::bench

// --- the replaced allocation functions -----------------------------------------------------

using v4l2va::bench::noteAllocation;

extern "C" {

__attribute__((noinline)) void *malloc(size_t size) noexcept
{
	noteAllocation(size);
	return __libc_malloc(size);
}

__attribute__((noinline)) void *calloc(size_t count, size_t size) noexcept
{
	noteAllocation(count * size);
	return __libc_calloc(count, size);
}

__attribute__((noinline)) void *realloc(void *p, size_t size) noexcept
{
	if (size)
		noteAllocation(size);
	return __libc_realloc(p, size);
}

__attribute__((noinline)) void *reallocarray(void *p, size_t count, size_t size) noexcept
{
	size_t bytes = 0;
	if (__builtin_mul_overflow(count, size, &bytes)) {
		errno = ENOMEM;
		return nullptr;
	}
	if (bytes)
		noteAllocation(bytes);
	return __libc_realloc(p, bytes);
}

__attribute__((noinline)) void *memalign(size_t alignment, size_t size) noexcept
{
	noteAllocation(size);
	return __libc_memalign(alignment, size);
}

__attribute__((noinline)) void *aligned_alloc(size_t alignment, size_t size) noexcept
{
	noteAllocation(size);
	return __libc_memalign(alignment, size);
}

__attribute__((noinline)) int posix_memalign(void **out, size_t alignment, size_t size) noexcept
{
	if (alignment < sizeof(void *) || (alignment & (alignment - 1)))
		return EINVAL;
	noteAllocation(size);
	void *p = __libc_memalign(alignment, size);
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

__attribute__((noinline)) void *valloc(size_t size) noexcept
{
	noteAllocation(size);
	return __libc_valloc(size);
}

__attribute__((noinline)) void *pvalloc(size_t size) noexcept
{
	noteAllocation(size);
	return __libc_pvalloc(size);
}

void free(void *p) noexcept
{
	__libc_free(p);
}

} // extern "C"

namespace {

void *allocateOrThrow(size_t size)
{
	void *p = __libc_malloc(size ? size : 1);
	if (!p)
		throw std::bad_alloc();
	return p;
}

void *allocateAlignedOrThrow(size_t size, std::align_val_t alignment)
{
	size_t a = static_cast<size_t>(alignment);
	void *p = __libc_memalign(a < sizeof(void *) ? sizeof(void *) : a, size ? size : 1);
	if (!p)
		throw std::bad_alloc();
	return p;
}

} // namespace

// Each operator notes the allocation itself (so frame 2 is its caller), then allocates.
__attribute__((noinline)) void *operator new(size_t size)
{
	noteAllocation(size);
	return allocateOrThrow(size);
}

__attribute__((noinline)) void *operator new[](size_t size)
{
	noteAllocation(size);
	return allocateOrThrow(size);
}

__attribute__((noinline)) void *operator new(size_t size, const std::nothrow_t &) noexcept
{
	noteAllocation(size);
	return __libc_malloc(size ? size : 1);
}

__attribute__((noinline)) void *operator new[](size_t size, const std::nothrow_t &) noexcept
{
	noteAllocation(size);
	return __libc_malloc(size ? size : 1);
}

__attribute__((noinline)) void *operator new(size_t size, std::align_val_t alignment)
{
	noteAllocation(size);
	return allocateAlignedOrThrow(size, alignment);
}

__attribute__((noinline)) void *operator new[](size_t size, std::align_val_t alignment)
{
	noteAllocation(size);
	return allocateAlignedOrThrow(size, alignment);
}

__attribute__((noinline)) void *operator new(size_t size, std::align_val_t alignment,
					      const std::nothrow_t &) noexcept
{
	noteAllocation(size);
	size_t a = static_cast<size_t>(alignment);
	return __libc_memalign(a < sizeof(void *) ? sizeof(void *) : a, size ? size : 1);
}

__attribute__((noinline)) void *operator new[](size_t size, std::align_val_t alignment,
						const std::nothrow_t &) noexcept
{
	noteAllocation(size);
	size_t a = static_cast<size_t>(alignment);
	return __libc_memalign(a < sizeof(void *) ? sizeof(void *) : a, size ? size : 1);
}

void operator delete(void *p) noexcept { __libc_free(p); }
void operator delete[](void *p) noexcept { __libc_free(p); }
void operator delete(void *p, size_t) noexcept { __libc_free(p); }
void operator delete[](void *p, size_t) noexcept { __libc_free(p); }
void operator delete(void *p, const std::nothrow_t &) noexcept { __libc_free(p); }
void operator delete[](void *p, const std::nothrow_t &) noexcept { __libc_free(p); }
void operator delete(void *p, std::align_val_t) noexcept { __libc_free(p); }
void operator delete[](void *p, std::align_val_t) noexcept { __libc_free(p); }
void operator delete(void *p, size_t, std::align_val_t) noexcept { __libc_free(p); }
void operator delete[](void *p, size_t, std::align_val_t) noexcept { __libc_free(p); }
void operator delete(void *p, std::align_val_t, const std::nothrow_t &) noexcept { __libc_free(p); }
void operator delete[](void *p, std::align_val_t, const std::nothrow_t &) noexcept
{
	__libc_free(p);
}
