// SPDX-License-Identifier: MIT
#pragma once

// The control ioctls on a context's handler (CAPI = v4l2-ctrls-api.c, CREQ, IOC).

#include <linux/videodev2.h>

namespace v4l2emu {

class BoardImpl;
class Context;
class ControlHandler;
class Request;

int queryExtCtrl(const ControlHandler &hdl, struct v4l2_query_ext_ctrl &qc);
int queryCtrl(const ControlHandler &hdl, struct v4l2_queryctrl &qc);
int queryMenu(const ControlHandler &hdl, struct v4l2_querymenu &qm);
int getCtrl(const ControlHandler &hdl, struct v4l2_control &c);
int setCtrl(Context &ctx, struct v4l2_control &c);
/// VIDIOC_G/S/TRY_EXT_CTRLS (cmd is the ioctl request code).
int extCtrls(BoardImpl &board, Context &ctx, unsigned long cmd, struct v4l2_ext_controls &cs);
/// CREQ:v4l2_ctrl_request_setup: the request's values for ctx's handler become current.
void requestSetup(Context &ctx, Request &req);

} // namespace v4l2emu
