// SPDX-License-Identifier: MIT
// Memory lifetime (spec §4.4, §2.5 close): mappings keep memory and their context alive,
// REQBUFS(0) orphans mapped buffers, close with live mappings defers the teardown, an
// exported dma-buf outlives its buffer and can be mapped by another process.
#include "emu_fixture.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

namespace v4l2emu::test {
namespace {

class MemoryLifetime : public EmuTest {
protected:
	void setUpCapturePool(uint32_t count = 2)
	{
		fd_ = openVideo("hantro-vpu");
		ASSERT_GE(fd_, 0);
		cap_ = capType(fd_);
		out_ = outType(fd_);
		ASSERT_EQ(setFormat(fd_, out_, V4L2_PIX_FMT_MPEG2_SLICE, 320, 240), 0);
		ASSERT_EQ(reqbufs(fd_, cap_, count), static_cast<int>(count));
	}
	int fd_ = -1;
	uint32_t cap_ = 0, out_ = 0;
};

TEST_F(MemoryLifetime, OrphanedMappingStaysReadableAfterReqbufsZero)
{
	setUpCapturePool();
	size_t len = 0;
	auto *p = static_cast<uint8_t *>(mapBuffer(fd_, cap_, 0, 0, &len));
	ASSERT_NE(p, nullptr);
	std::fill(p, p + len, 0xab);
	// REQBUFS(0) on mapped buffers succeeds: vb2 drops its reference (orphaning).
	ASSERT_EQ(reqbufs(fd_, cap_, 0), 0);
	EXPECT_EQ(board().stats().devices[1].liveBuffers, 0u);
	EXPECT_TRUE(std::all_of(p, p + len, [](uint8_t v) { return v == 0xab; }));
	EXPECT_EQ(board().stats().liveMemory, 1u) << "the orphaned plane is still alive";
	// QUERYBUF reports nothing for the old index; a new mmap of the old offset fails.
	struct v4l2_plane planes[VIDEO_MAX_PLANES] = {};
	struct v4l2_buffer b {};
	EXPECT_EQ(querybuf(fd_, cap_, 0, &b, planes), -EINVAL);
	void *again = nullptr;
	EXPECT_EQ(io().mmap(nullptr, len, PROT_READ, MAP_SHARED, fd_, 0x40000000, &again), -EINVAL);
	ASSERT_EQ(unmap(p, len), 0);
	EXPECT_EQ(board().stats().liveMemory, 0u) << "freed at the last munmap";
}

TEST_F(MemoryLifetime, AccessAfterLastMunmapDies)
{
	GTEST_FLAG_SET(death_test_style, "threadsafe");
	setUpCapturePool();
	size_t len = 0;
	auto *p = static_cast<uint8_t *>(mapBuffer(fd_, cap_, 0, 0, &len));
	ASSERT_NE(p, nullptr);
	ASSERT_EQ(reqbufs(fd_, cap_, 0), 0);
	ASSERT_EQ(unmap(p, len), 0);
	EXPECT_DEATH({ volatile uint8_t v = p[0]; (void)v; }, "");
}

TEST_F(MemoryLifetime, CloseWithLiveMappingDefersTeardownToLastMunmap)
{
	setUpCapturePool();
	size_t len = 0;
	auto *p = static_cast<uint8_t *>(mapBuffer(fd_, cap_, 1, 0, &len));
	ASSERT_NE(p, nullptr);
	p[0] = 42;
	ASSERT_EQ(closeFd(fd_), 0);
	openFds_.erase(std::find(openFds_.begin(), openFds_.end(), fd_));
	// MM:mmap_region holds the file: the context and its buffers are still there.
	EXPECT_EQ(board().stats().devices[1].openContexts, 1u);
	EXPECT_EQ(board().stats().devices[1].liveBuffers, 2u);
	EXPECT_EQ(p[0], 42);
	// The fd number itself is gone.
	struct v4l2_capability cap {};
	EXPECT_EQ(xioctl(fd_, VIDIOC_QUERYCAP, &cap), -EBADF);
	ASSERT_EQ(unmap(p, len), 0);
	EXPECT_EQ(board().stats().devices[1].openContexts, 0u);
	EXPECT_EQ(board().stats().devices[1].liveBuffers, 0u);
	EXPECT_EQ(board().stats().liveMemory, 0u);
}

TEST_F(MemoryLifetime, ExportedDmabufOutlivesBufferAndIsMappableByAnotherProcess)
{
	setUpCapturePool();
	size_t len = 0;
	auto *p = static_cast<uint8_t *>(mapBuffer(fd_, cap_, 0, 0, &len));
	ASSERT_NE(p, nullptr);
	for (size_t i = 0; i < len; i++)
		p[i] = static_cast<uint8_t>(i * 13);
	struct v4l2_exportbuffer eb {};
	eb.type = cap_;
	eb.index = 0;
	eb.flags = O_RDONLY;	// no O_CLOEXEC: the child inherits it
	ASSERT_EQ(xioctl(fd_, VIDIOC_EXPBUF, &eb), 0);
	ASSERT_GE(eb.fd, 0);
	struct v4l2_plane planes[VIDEO_MAX_PLANES] = {};
	struct v4l2_buffer b {};
	ASSERT_EQ(querybuf(fd_, cap_, 0, &b, planes), 0);
	EXPECT_TRUE(b.flags & V4L2_BUF_FLAG_MAPPED);
	ASSERT_EQ(unmap(p, len), 0);
	ASSERT_EQ(reqbufs(fd_, cap_, 0), 0);
	EXPECT_EQ(board().stats().liveMemory, 1u) << "the dma-buf holds the memory";

	pid_t child = fork();
	ASSERT_GE(child, 0);
	if (child == 0) {
		// Another process: plain mmap of the inherited fd, no emulator involved.
		void *m = mmap(nullptr, len, PROT_READ, MAP_SHARED, eb.fd, 0);
		if (m == MAP_FAILED)
			_exit(2);
		auto *q = static_cast<uint8_t *>(m);
		for (size_t i = 0; i < len; i++)
			if (q[i] != static_cast<uint8_t>(i * 13))
				_exit(3);
		_exit(0);
	}
	int status = 0;
	ASSERT_EQ(waitpid(child, &status, 0), child);
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(WEXITSTATUS(status), 0);
	ASSERT_EQ(closeFd(eb.fd), 0);
	EXPECT_EQ(board().stats().liveMemory, 0u);
}

TEST_F(MemoryLifetime, NewReqbufsReusesOffsetsForNewMemory)
{
	setUpCapturePool();
	struct v4l2_plane planes[VIDEO_MAX_PLANES] = {};
	struct v4l2_buffer b {};
	ASSERT_EQ(querybuf(fd_, cap_, 1, &b, planes), 0);
	uint32_t offset = planes[0].m.mem_offset;
	EXPECT_EQ(offset, 0x40000000u + 0x8000u) << "index << (PAGE_SHIFT + 3), plus the CAPTURE base";
	size_t len = 0;
	auto *old = static_cast<uint8_t *>(mapBuffer(fd_, cap_, 1, 0, &len));
	ASSERT_NE(old, nullptr);
	old[0] = 7;
	ASSERT_EQ(reqbufs(fd_, cap_, 0), 0);
	ASSERT_EQ(reqbufs(fd_, cap_, 2), 2);
	ASSERT_EQ(querybuf(fd_, cap_, 1, &b, planes), 0);
	EXPECT_EQ(planes[0].m.mem_offset, offset);
	auto *fresh = static_cast<uint8_t *>(mapBuffer(fd_, cap_, 1, 0, &len));
	ASSERT_NE(fresh, nullptr);
	EXPECT_EQ(fresh[0], 0) << "same offset, new memory";
	EXPECT_EQ(old[0], 7) << "the old mapping still sees the orphaned memory";
	unmap(old, len);
	unmap(fresh, len);
}

// Freed plane memory is reused by the next allocation of its size (memory.cpp): it must come
// back as fresh memory does, every byte zero.
TEST_F(MemoryLifetime, ReallocatedMemoryReadsAsZeros)
{
	setUpCapturePool();
	for (uint32_t i = 0; i < 2; i++) {
		size_t len = 0;
		auto *p = static_cast<uint8_t *>(mapBuffer(fd_, cap_, i, 0, &len));
		ASSERT_NE(p, nullptr);
		std::fill(p, p + len, 0xcd);
		ASSERT_EQ(unmap(p, len), 0);
	}
	ASSERT_EQ(reqbufs(fd_, cap_, 0), 0);
	ASSERT_EQ(reqbufs(fd_, cap_, 2), 2);
	for (uint32_t i = 0; i < 2; i++) {
		size_t len = 0;
		auto *p = static_cast<uint8_t *>(mapBuffer(fd_, cap_, i, 0, &len));
		ASSERT_NE(p, nullptr);
		EXPECT_TRUE(std::all_of(p, p + len, [](uint8_t v) { return v == 0; })) << "buffer " << i;
		std::fill(p, p + len, 0xef);
		ASSERT_EQ(unmap(p, len), 0);
	}
	// Smaller buffers may reuse bigger memory: still zeros, and a dma-buf of one is exactly
	// the buffer's size (what lseek(SEEK_END) tells an importer).
	ASSERT_EQ(reqbufs(fd_, cap_, 0), 0);
	ASSERT_EQ(setFormat(fd_, out_, V4L2_PIX_FMT_MPEG2_SLICE, 160, 112), 0);
	ASSERT_EQ(reqbufs(fd_, cap_, 2), 2);
	for (uint32_t i = 0; i < 2; i++) {
		struct v4l2_plane planes[VIDEO_MAX_PLANES] = {};
		struct v4l2_buffer b {};
		ASSERT_EQ(querybuf(fd_, cap_, i, &b, planes), 0);
		size_t len = 0;
		auto *p = static_cast<uint8_t *>(mapBuffer(fd_, cap_, i, 0, &len));
		ASSERT_NE(p, nullptr);
		EXPECT_TRUE(std::all_of(p, p + len, [](uint8_t v) { return v == 0; })) << "buffer " << i;
		ASSERT_EQ(unmap(p, len), 0);
		struct v4l2_exportbuffer eb {};
		eb.type = cap_;
		eb.index = i;
		eb.flags = O_CLOEXEC;
		ASSERT_EQ(xioctl(fd_, VIDIOC_EXPBUF, &eb), 0);
		uint32_t length = V4L2_TYPE_IS_MULTIPLANAR(cap_) ? planes[0].length : b.length;
		off_t page = sysconf(_SC_PAGESIZE);
		EXPECT_EQ(lseek(eb.fd, 0, SEEK_END), (static_cast<off_t>(length) + page - 1) / page * page);
		ASSERT_EQ(closeFd(eb.fd), 0);
	}
}

// An exported dma-buf's file can outlive everything the emulator tracks (a plain mmap of it
// is nothing the emulator sees), so its memory is never emptied or reused.
TEST_F(MemoryLifetime, ExportedMemoryIsNeverReused)
{
	setUpCapturePool(1);
	struct v4l2_exportbuffer eb {};
	eb.type = cap_;
	eb.index = 0;
	eb.flags = O_CLOEXEC;
	ASSERT_EQ(xioctl(fd_, VIDIOC_EXPBUF, &eb), 0);
	struct v4l2_plane planes[VIDEO_MAX_PLANES] = {};
	struct v4l2_buffer b {};
	ASSERT_EQ(querybuf(fd_, cap_, 0, &b, planes), 0);
	size_t len = planes[0].length;
	void *m = ::mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED, eb.fd, 0);
	ASSERT_NE(m, MAP_FAILED);
	auto *outside = static_cast<uint8_t *>(m);
	std::fill(outside, outside + len, 0x5a);
	ASSERT_EQ(closeFd(eb.fd), 0);
	ASSERT_EQ(reqbufs(fd_, cap_, 0), 0);
	EXPECT_EQ(board().stats().liveMemory, 0u) << "the emulator holds nothing of it any more";
	ASSERT_EQ(reqbufs(fd_, cap_, 1), 1);
	size_t newLen = 0;
	auto *fresh = static_cast<uint8_t *>(mapBuffer(fd_, cap_, 0, 0, &newLen));
	ASSERT_NE(fresh, nullptr);
	EXPECT_TRUE(std::all_of(fresh, fresh + newLen, [](uint8_t v) { return v == 0; }));
	std::fill(fresh, fresh + newLen, 0x11);
	EXPECT_TRUE(std::all_of(outside, outside + len, [](uint8_t v) { return v == 0x5a; }))
		<< "the outside mapping still has its own memory";
	ASSERT_EQ(unmap(fresh, newLen), 0);
	::munmap(m, len);
}

TEST_F(MemoryLifetime, NothingLeftAfterEveryFdClosed)
{
	Session s;
	std::string what;
	ASSERT_EQ(startSession(s, "rkvdec", V4L2_PIX_FMT_H264_SLICE, 320, 240, 2, 4, &what), 0) << what;
	CodecControls c = CodecControls::h264(320, 240);
	ASSERT_EQ(decodeOne(s, c, 0, 0, 1000), 0);
	endSession(s);
	for (int fd : openFds_)
		ASSERT_EQ(closeFd(fd), 0);
	openFds_.clear();
	BoardStats st = board().stats();
	EXPECT_EQ(st.openFds, 0u);
	EXPECT_EQ(st.liveMappings, 0u);
	EXPECT_EQ(st.liveMemory, 0u);
	for (const DeviceStats &d : st.devices) {
		EXPECT_EQ(d.openContexts, 0u) << d.name;
		EXPECT_EQ(d.liveRequests, 0u) << d.name;
		EXPECT_EQ(d.liveBuffers, 0u) << d.name;
	}
}

} // namespace
} // namespace v4l2emu::test
