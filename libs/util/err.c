/* SPDX-License-Identifier: MIT */
/* Names for td_err codes. */
#include "util/err.h"

const char *
td_strerror(int err)
{
	switch ((td_err)err) {
	case TD_OK: return "ok";
	case TD_EINVAL: return "invalid argument or input";
	case TD_ENOMEM: return "out of memory";
	case TD_EIO: return "I/O error";
	case TD_ETIMEDOUT: return "timed out";
	case TD_ECONN: return "not connected";
	case TD_ENOTFOUND: return "not found";
	case TD_EPROTO: return "protocol error";
	case TD_EAGAIN: return "try again later";
	case TD_EEXIST: return "already exists";
	case TD_ECLOSED: return "closed";
	case TD_ETOOBIG: return "too big";
	case TD_EDATA: return "data rejected";
	case TD_EPERM: return "not permitted";
	}
	return "unknown error";
}
