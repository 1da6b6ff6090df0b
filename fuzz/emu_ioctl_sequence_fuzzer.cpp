// SPDX-License-Identifier: MIT
// Fuzz target: sequences of V4L2/media calls into the emulated fresnel board over several
// opens, requests and mappings. Handles are indices into tables of live fds, so the fuzzer
// spends its time on states, not on guessing fd numbers. The invariants: no crash, every
// failure is a negative errno, and once everything is closed and unmapped nothing is left.
// Input: byte 0 picks the kernel (bit 0: mainline), then up to 64 operations (opcode byte %
// 20 and its arguments). One board per kernel serves every input (emu_board_pool.h).
#include "byte_reader.h"
#include "emu_board_pool.h"

#include <v4l2emu/board.h>

#include <fcntl.h>
#include <linux/media.h>
#include <linux/videodev2.h>
#include <poll.h>
#include <sys/mman.h>

#include <cstdlib>
#include <memory>
#include <vector>

using v4l2va::fuzz::ByteReader;
using v4l2va::fuzz::EmuResources;

namespace {

constexpr const char *kTarget = "emu_ioctl_sequence";

[[noreturn]] void invariantBroken(const char *what)
{
	v4l2va::fuzz::invariantBroken(kTarget, what);
}

uint32_t pickType(ByteReader &in, bool mplane)
{
	static const uint32_t kMp[] = {V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE, V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE};
	static const uint32_t kSp[] = {V4L2_BUF_TYPE_VIDEO_OUTPUT, V4L2_BUF_TYPE_VIDEO_CAPTURE};
	uint8_t r = in.u8();
	if (r < 200)
		return mplane ? kMp[r % 2] : kSp[r % 2];
	return r % 16;
}

// Buffer counts and sizes: every buffer costs a memfd, a mapping and page faults, so inputs
// stay cheap by using few, small ones most of the time, and any value now and then.
uint32_t bufferCount(ByteReader &in)
{
	uint8_t r = in.u8();
	return r < 180 ? in.below(4) : r < 245 ? in.below(9) : in.u32();
}

uint32_t dimension(ByteReader &in, uint32_t step)
{
	uint8_t r = in.u8();
	uint32_t units = r < 180 ? in.below(3) : r < 245 ? in.below(16) : in.u32() % 256;
	return units * step + in.below(step);
}

uint32_t pickFourcc(ByteReader &in)
{
	static const uint32_t k[] = {V4L2_PIX_FMT_H264_SLICE, V4L2_PIX_FMT_HEVC_SLICE, V4L2_PIX_FMT_VP9_FRAME,
				     V4L2_PIX_FMT_MPEG2_SLICE, V4L2_PIX_FMT_VP8_FRAME, V4L2_PIX_FMT_NV12};
	uint8_t r = in.u8();
	return r < 240 ? k[r % 6] : in.u32();
}

uint32_t pickControl(ByteReader &in)
{
	static const uint32_t k[] = {V4L2_CID_STATELESS_H264_SPS, V4L2_CID_STATELESS_H264_PPS,
				     V4L2_CID_STATELESS_H264_DECODE_PARAMS, V4L2_CID_STATELESS_HEVC_SPS,
				     V4L2_CID_STATELESS_HEVC_SLICE_PARAMS, V4L2_CID_STATELESS_VP9_FRAME,
				     V4L2_CID_STATELESS_MPEG2_PICTURE, V4L2_CID_STATELESS_VP8_FRAME,
				     V4L2_CID_STATELESS_H264_DECODE_MODE, V4L2_CID_MPEG_VIDEO_H264_PROFILE};
	uint8_t r = in.u8();
	return r < 240 ? k[r % 10] : in.u32();
}

bool isCompound(uint32_t id)
{
	return id != V4L2_CID_STATELESS_H264_DECODE_MODE && id != V4L2_CID_MPEG_VIDEO_H264_PROFILE &&
	       (id & 0xffff0000) == V4L2_CTRL_CLASS_CODEC_STATELESS;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static v4l2va::fuzz::BoardPool pool(kTarget);
	static EmuResources res;
	ByteReader in(data, size);
	auto kernel = in.u8() & 1 ? v4l2emu::KernelVersion::Mainline : v4l2emu::KernelVersion::V6_12;
	v4l2emu::Board &board = pool.get("fresnel", kernel);
	v4l2emu::DeviceIo &io = board.io();
	static const std::vector<v4l2emu::NodeDescription> nodes = board.nodes();	// same per kernel

	auto &videos = res.videos;
	auto &medias = res.medias, &requests = res.requests, &dmabufs = res.dmabufs;
	auto &maps = res.maps;
	alignas(8) static uint8_t payload[8192];
	static const bool verbose = getenv("V4L2VA_FUZZ_VERBOSE") != nullptr;

	for (int step = 0; step < 64 && !in.empty(); step++) {
		uint8_t op = in.below(20);
		auto video = [&]() -> EmuResources::Video {
			if (videos.empty())
				return {-1, true};
			return videos[in.below(static_cast<uint32_t>(videos.size()))];
		};
		auto pick = [&](std::vector<int> &v) { return v.empty() ? -1 : v[in.below(static_cast<uint32_t>(v.size()))]; };
		int ret = 0;
		switch (op) {
		// Opens and request allocations stop at their table's size: zero bytes (which a
		// mutated input is full of) are opcode 0, and opening and at once closing a fifth
		// context for each of them was most of what an input did. To open another, an
		// input closes one first (op 13).
		case 0: {
			const auto &n = nodes[in.below(static_cast<uint32_t>(nodes.size()))];
			if (videos.size() >= 4)
				break;
			int fd = io.open(n.videoPath.c_str(), O_RDWR | O_NONBLOCK);
			if (fd >= 0)
				videos.push_back({fd, true});
			break;
		}
		case 1: {
			const auto &n = nodes[in.below(static_cast<uint32_t>(nodes.size()))];
			if (medias.size() >= 2)
				break;
			int fd = io.open(n.mediaPath.c_str(), O_RDWR);
			if (fd >= 0)
				medias.push_back(fd);
			break;
		}
		case 2: {
			int m = pick(medias);
			int fd = -1;
			if (requests.size() >= 8)
				break;
			ret = io.ioctl(m, MEDIA_IOC_REQUEST_ALLOC, &fd);
			if (!ret)
				requests.push_back(fd);
			break;
		}
		case 3: {
			auto [fd, mp] = video();
			struct v4l2_format f {};
			f.type = pickType(in, mp);
			f.fmt.pix_mp.pixelformat = pickFourcc(in);
			f.fmt.pix_mp.width = dimension(in, 64);
			f.fmt.pix_mp.height = dimension(in, 48);
			f.fmt.pix_mp.num_planes = static_cast<uint8_t>(in.below(3));
			f.fmt.pix_mp.plane_fmt[0].sizeimage = in.u8() < 200 ? 0 : in.u32() % (1 << 22);
			static const unsigned long cmds[] = {VIDIOC_S_FMT, VIDIOC_TRY_FMT, VIDIOC_G_FMT};
			ret = io.ioctl(fd, cmds[in.below(3)], &f);
			break;
		}
		case 4: {
			auto [fd, mp] = video();
			struct v4l2_requestbuffers rb {};
			rb.type = pickType(in, mp);
			rb.count = bufferCount(in);
			rb.memory = in.u8() < 230 ? static_cast<uint32_t>(V4L2_MEMORY_MMAP) : in.below(5);
			ret = io.ioctl(fd, VIDIOC_REQBUFS, &rb);
			break;
		}
		case 5: {
			auto [fd, mp] = video();
			struct v4l2_create_buffers cb {};
			cb.count = bufferCount(in);
			cb.memory = V4L2_MEMORY_MMAP;
			cb.format.type = pickType(in, mp);
			io.ioctl(fd, VIDIOC_G_FMT, &cb.format);
			if (in.u8() > 200)
				cb.format.fmt.pix_mp.plane_fmt[0].sizeimage = in.u32() % (1 << 22);
			ret = io.ioctl(fd, VIDIOC_CREATE_BUFS, &cb);
			break;
		}
		case 6:
		case 7: {
			auto [fd, mp] = video();
			struct v4l2_plane planes[VIDEO_MAX_PLANES] = {};
			struct v4l2_buffer b {};
			b.type = pickType(in, mp);
			b.memory = in.u8() < 240 ? static_cast<uint32_t>(V4L2_MEMORY_MMAP) : in.below(5);
			b.index = in.small();
			b.m.planes = planes;
			b.length = in.u8() < 240 ? 1 : in.below(10);
			planes[0].bytesused = in.u8() < 128 ? in.small() * 100 : 0;
			b.flags = in.u8() < 128 ? V4L2_BUF_FLAG_REQUEST_FD : (in.u8() < 20 ? in.u32() : 0);
			b.request_fd = pick(requests);
			b.timestamp.tv_usec = in.below(8) * 1000;
			static const unsigned long cmds[] = {VIDIOC_QBUF, VIDIOC_DQBUF, VIDIOC_QUERYBUF, VIDIOC_PREPARE_BUF};
			ret = io.ioctl(fd, cmds[op == 6 ? 0 : in.below(4)], &b);
			break;
		}
		case 8: {
			auto [fd, mp] = video();
			uint32_t type = pickType(in, mp);
			ret = io.ioctl(fd, in.u8() & 1 ? VIDIOC_STREAMON : VIDIOC_STREAMOFF, &type);
			break;
		}
		case 9: {
			auto [fd, mp] = video();
			struct v4l2_ext_control c[2] = {};
			uint32_t count = in.below(3);
			for (uint32_t i = 0; i < 2; i++) {
				c[i].id = pickControl(in);
				c[i].size = in.u8() < 200 ? 0 : in.u32() % sizeof(payload);
				// value and ptr share a union: compound controls get the payload.
				int32_t value = static_cast<int32_t>(in.small());
				if (isCompound(c[i].id))
					c[i].ptr = payload;
				else
					c[i].value = value;
			}
			in.bytes(payload, 64);
			struct v4l2_ext_controls cs {};
			cs.which = in.u8() < 150 ? V4L2_CTRL_WHICH_REQUEST_VAL : (in.u8() & 1 ? 0 : in.u32());
			cs.count = count;
			cs.controls = c;
			cs.request_fd = pick(requests);
			static const unsigned long cmds[] = {VIDIOC_S_EXT_CTRLS, VIDIOC_TRY_EXT_CTRLS, VIDIOC_G_EXT_CTRLS};
			// Sizes that match the control are the interesting ones: fill them in often.
			if (in.u8() < 200) {
				for (uint32_t i = 0; i < 2; i++) {
					struct v4l2_query_ext_ctrl q {};
					q.id = c[i].id;
					if (!io.ioctl(fd, VIDIOC_QUERY_EXT_CTRL, &q))
						c[i].size = q.elem_size * (q.elems ? q.elems : 1);
				}
			}
			ret = io.ioctl(fd, cmds[in.below(3)], &cs);

			break;
		}
		case 10: {
			int r = pick(requests);
			ret = io.ioctl(r, in.u8() & 1 ? MEDIA_REQUEST_IOC_QUEUE : MEDIA_REQUEST_IOC_REINIT, nullptr);
			break;
		}
		case 11: {
			auto [fd, mp] = video();
			struct v4l2_plane planes[VIDEO_MAX_PLANES] = {};
			struct v4l2_buffer b {};
			b.type = pickType(in, mp);
			b.index = in.small();
			b.m.planes = planes;
			b.length = VIDEO_MAX_PLANES;
			if (io.ioctl(fd, VIDIOC_QUERYBUF, &b))
				break;
			void *p = nullptr;
			size_t len = V4L2_TYPE_IS_MULTIPLANAR(b.type) ? planes[0].length : b.length;
			uint32_t off = V4L2_TYPE_IS_MULTIPLANAR(b.type) ? planes[0].m.mem_offset : b.m.offset;
			ret = io.mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off, &p);
			if (!ret) {
				static_cast<volatile uint8_t *>(p)[len - 1] = 1;
				maps.push_back({p, len});
			}
			break;
		}
		case 12: {
			if (maps.empty())
				break;
			size_t i = in.below(static_cast<uint32_t>(maps.size()));
			ret = io.munmap(maps[i].addr, maps[i].len);
			maps.erase(maps.begin() + static_cast<long>(i));
			break;
		}
		case 13: {
			// Close something: a video fd (its mappings keep the context), a request, ...
			uint8_t which = in.below(4);
			std::vector<int> *v = which == 0 ? nullptr : which == 1 ? &medias : which == 2 ? &requests : &dmabufs;
			if (!v && !videos.empty()) {
				size_t i = in.below(static_cast<uint32_t>(videos.size()));
				ret = io.close(videos[i].fd);
				videos.erase(videos.begin() + static_cast<long>(i));
			} else if (v && !v->empty()) {
				size_t i = in.below(static_cast<uint32_t>(v->size()));
				ret = io.close((*v)[i]);
				v->erase(v->begin() + static_cast<long>(i));
			}
			break;
		}
		case 14: {
			auto [fd, mp] = video();
			struct v4l2_exportbuffer eb {};
			eb.type = pickType(in, mp);
			eb.index = in.small();
			eb.flags = O_CLOEXEC;
			ret = io.ioctl(fd, VIDIOC_EXPBUF, &eb);
			if (!ret)
				dmabufs.push_back(eb.fd);
			break;
		}
		case 15: {
			struct pollfd p[2] = {{video().fd, POLLIN | POLLOUT | POLLPRI, 0},
					      {pick(requests), POLLPRI, 0}};
			ret = io.poll(p, 2, 0);
			if (ret < 0)
				invariantBroken("poll failed");
			ret = 0;
			break;
		}
		case 16: {
			auto [fd, mp] = video();
			struct v4l2_decoder_cmd dc {};
			dc.cmd = in.u8() < 200 ? V4L2_DEC_CMD_FLUSH : in.u32();
			ret = io.ioctl(fd, VIDIOC_DECODER_CMD, &dc);
			break;
		}
		case 17: {
			auto [fd, mp] = video();
			struct v4l2_remove_buffers rm {};
			rm.type = pickType(in, mp);
			rm.index = in.small();
			rm.count = in.small();
			ret = io.ioctl(fd, VIDIOC_REMOVE_BUFS, &rm);
			break;
		}
		case 18: {
			v4l2emu::FaultPlan plan;
			if (in.u8() & 1)
				plan.decodes.push_back({"", in.u8() & 1 ? v4l2emu::DecodeFaultKind::Error
									 : v4l2emu::DecodeFaultKind::Hang, 1 + in.below(3)});
			if (in.u8() < 40)
				plan.memory.push_back({"", 1 + in.below(4), 1});
			board.setFaults(plan);
			res.faultsSet = true;
			break;
		}
		default: {
			auto [fd, mp] = video();
			alignas(8) uint8_t arg[256];
			in.bytes(arg, sizeof(arg));
			static const unsigned long cmds[] = {VIDIOC_QUERYCAP, VIDIOC_ENUM_FMT, VIDIOC_ENUM_FRAMESIZES,
							     VIDIOC_QUERYCTRL, VIDIOC_QUERY_EXT_CTRL, VIDIOC_QUERYMENU,
							     VIDIOC_G_CTRL, VIDIOC_S_CTRL, VIDIOC_SUBSCRIBE_EVENT,
							     VIDIOC_DQEVENT, VIDIOC_G_SELECTION};
			ret = io.ioctl(fd, cmds[in.below(11)], arg);
			break;
		}
		}
		if (ret > 0)
			invariantBroken("an ioctl returned a positive value");
		if (verbose)
			fprintf(stderr, "%s: op %u: %d\n", kTarget, op, ret);
	}

	if (verbose) {
		uint64_t jobs = 0;
		for (const auto &d : board.stats().devices)
			jobs += d.jobs;
		fprintf(stderr, "%s: %lu jobs on this board so far, %zu diagnostics\n", kTarget,
			static_cast<unsigned long>(jobs), board.diagnostics().size());
	}
	pool.finish(board, res);
	return 0;
}
