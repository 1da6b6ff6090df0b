// SPDX-License-Identifier: MIT
// Generates the strace61-*.txt fixtures (see README.md): every decoded V4L2/media ioctl on a
// stand-in fd, run under `strace -e inject=ioctl:retval=0` so every call "succeeds".
#include <linux/videodev2.h>
#include <linux/media.h>
#include <sys/ioctl.h>
#include <fcntl.h>
#include <string.h>
#include <stdio.h>
#include <poll.h>
#include <sys/mman.h>
#include <unistd.h>
int main() {
	int fd = open("/dev/null", O_RDWR|O_NONBLOCK);
	struct v4l2_buffer b; memset(&b, 0, sizeof b);
	struct v4l2_plane pl[2]; memset(pl, 0, sizeof pl);
	b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE; b.index = 1; b.memory = V4L2_MEMORY_MMAP; b.m.offset = 0x40008000; b.length = 4096; b.bytesused=100;
	b.flags = 0; b.timestamp.tv_sec = 1; b.timestamp.tv_usec = 2;
	ioctl(fd, VIDIOC_DQBUF, &b);
	b.flags = V4L2_BUF_FLAG_TIMESTAMP_COPY | V4L2_BUF_FLAG_DONE;
	ioctl(fd, VIDIOC_QBUF, &b);
	b.type = V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE; b.m.planes = pl; b.length = 1; b.memory = V4L2_MEMORY_DMABUF;
	ioctl(fd, VIDIOC_QUERYBUF, &b);
	struct v4l2_frmsizeenum fs; memset(&fs, 0, sizeof fs);
	fs.pixel_format = V4L2_PIX_FMT_NV12; fs.type = V4L2_FRMSIZE_TYPE_STEPWISE; fs.stepwise.min_width = 64; fs.stepwise.max_width=4096; fs.stepwise.step_width=16;
	ioctl(fd, VIDIOC_ENUM_FRAMESIZES, &fs);
	fs.type = V4L2_FRMSIZE_TYPE_DISCRETE; fs.discrete.width = 64; 
	ioctl(fd, VIDIOC_ENUM_FRAMESIZES, &fs);
	struct v4l2_event_subscription sub = {V4L2_EVENT_SOURCE_CHANGE, 0, 0};
	ioctl(fd, VIDIOC_SUBSCRIBE_EVENT, &sub);
	struct v4l2_event ev; memset(&ev, 0, sizeof ev);
	ioctl(fd, VIDIOC_DQEVENT, &ev);
	struct v4l2_decoder_cmd dc; memset(&dc, 0, sizeof dc); dc.cmd = V4L2_DEC_CMD_STOP;
	ioctl(fd, VIDIOC_DECODER_CMD, &dc);
	struct v4l2_selection sel; memset(&sel, 0, sizeof sel); sel.type = V4L2_BUF_TYPE_VIDEO_CAPTURE; sel.target = V4L2_SEL_TGT_COMPOSE; sel.r.width = 64;
	ioctl(fd, VIDIOC_G_SELECTION, &sel);
	struct v4l2_control c = {V4L2_CID_BRIGHTNESS, 5};
	ioctl(fd, VIDIOC_S_CTRL, &c);
	struct v4l2_queryctrl qc; memset(&qc, 0, sizeof qc); qc.id = V4L2_CID_BRIGHTNESS | V4L2_CTRL_FLAG_NEXT_CTRL; strcpy((char*)qc.name, "Brightness");
	ioctl(fd, VIDIOC_QUERYCTRL, &qc);
	struct v4l2_query_ext_ctrl qe; memset(&qe, 0, sizeof qe); qe.id = 0xa40a90; qe.type = V4L2_CTRL_TYPE_HEVC_SPS; qe.elem_size = 40; qe.elems=1; strcpy(qe.name,"HEVC Sequence Parameter Set"); qe.flags = V4L2_CTRL_FLAG_HAS_PAYLOAD|V4L2_CTRL_FLAG_DYNAMIC_ARRAY; qe.nr_of_dims=1; qe.dims[0]=16;
	ioctl(fd, VIDIOC_QUERY_EXT_CTRL, &qe);
	struct v4l2_ext_control ctl[2]; memset(ctl,0,sizeof ctl); unsigned char pay[8] = {1,2,3,'a','b',0,0,0x80};
	ctl[0].id = 0xa40a90; ctl[0].size = 8; ctl[0].ptr = pay; ctl[1].id = V4L2_CID_BRIGHTNESS; ctl[1].value64 = -5;
	struct v4l2_ext_controls ec; memset(&ec, 0, sizeof ec); ec.which = V4L2_CTRL_WHICH_REQUEST_VAL; ec.count = 2; ec.controls = ctl; ec.request_fd = 7;
	ioctl(fd, VIDIOC_S_EXT_CTRLS, &ec);
	ec.which = V4L2_CTRL_CLASS_CODEC_STATELESS;
	ioctl(fd, VIDIOC_G_EXT_CTRLS, &ec);
	ec.count = 0;
	ioctl(fd, VIDIOC_G_EXT_CTRLS, &ec);
	struct v4l2_create_buffers cb; memset(&cb, 0, sizeof cb); cb.count = 2; cb.memory = V4L2_MEMORY_MMAP; cb.format.type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE; cb.format.fmt.pix_mp.num_planes=1; cb.format.fmt.pix_mp.pixelformat = V4L2_PIX_FMT_NV12; cb.index = 4;
	ioctl(fd, VIDIOC_CREATE_BUFS, &cb);
	struct v4l2_format f; memset(&f, 0, sizeof f); f.type = V4L2_BUF_TYPE_VIDEO_OUTPUT; f.fmt.pix.width = 16; f.fmt.pix.pixelformat = V4L2_PIX_FMT_MPEG2_SLICE;
	ioctl(fd, VIDIOC_S_FMT, &f);
	ioctl(fd, VIDIOC_G_FMT, &f);
	struct v4l2_requestbuffers rb = {0}; rb.count = 3; rb.type = 9; rb.memory = 1;
	ioctl(fd, VIDIOC_REQBUFS, &rb);
	struct v4l2_capability cap; memset(&cap, 0, sizeof cap); strcpy((char*)cap.driver, "rkvdec"); cap.version = 0x60c00; cap.capabilities = V4L2_CAP_DEVICE_CAPS|V4L2_CAP_STREAMING|V4L2_CAP_VIDEO_M2M_MPLANE; cap.device_caps = V4L2_CAP_STREAMING|V4L2_CAP_VIDEO_M2M_MPLANE;
	ioctl(fd, VIDIOC_QUERYCAP, &cap);
	struct v4l2_fmtdesc fd2; memset(&fd2, 0, sizeof fd2); fd2.type = 10; fd2.pixelformat = V4L2_PIX_FMT_HEVC_SLICE; fd2.flags = V4L2_FMT_FLAG_COMPRESSED|V4L2_FMT_FLAG_DYN_RESOLUTION; strcpy((char*)fd2.description, "HEVC");
	ioctl(fd, VIDIOC_ENUM_FMT, &fd2);
	int t = 10; ioctl(fd, VIDIOC_STREAMON, &t);
	struct v4l2_exportbuffer eb; memset(&eb, 0, sizeof eb); eb.type = 9; eb.flags = O_CLOEXEC|O_RDWR; eb.fd = 9;
	ioctl(fd, VIDIOC_EXPBUF, &eb);
	int r = 11; ioctl(fd, MEDIA_IOC_REQUEST_ALLOC, &r);
	ioctl(fd, MEDIA_REQUEST_IOC_QUEUE, 0);
	struct media_device_info di; memset(&di, 0, sizeof di); strcpy(di.driver, "rkvdec");
	ioctl(fd, MEDIA_IOC_DEVICE_INFO, &di);
	struct pollfd p = {fd, POLLPRI, 0};
	poll(&p, 1, 0);
	void *m = mmap(NULL, 4096, PROT_READ|PROT_WRITE, MAP_SHARED, fd, 0x40000000);
	munmap(m, 4096);
	close(fd);
	return 0;
}
