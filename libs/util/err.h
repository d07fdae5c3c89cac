/* SPDX-License-Identifier: MIT */
/*
 * One error convention for the whole fleet: 0 is success, every failure is
 * a negative td_err, and td_strerror() names it.  Functions that can fail
 * return int and are marked TD_MUSTCHECK so callers cannot ignore them.
 */
#ifndef TD_UTIL_ERR_H
#define TD_UTIL_ERR_H

#define TD_MUSTCHECK __attribute__((warn_unused_result))
#define TD_UNUSED    __attribute__((unused))
#define TD_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define TD_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

typedef enum td_err {
	TD_OK = 0,
	TD_EINVAL = -1,    /* bad argument or malformed input */
	TD_ENOMEM = -2,    /* allocation failed or a size cap was hit */
	TD_EIO = -3,       /* I/O or system call failed */
	TD_ETIMEDOUT = -4, /* a deadline passed */
	TD_ECONN = -5,     /* no connection to a peer (PostgreSQL, Redis, ...) */
	TD_ENOTFOUND = -6, /* the thing asked for does not exist */
	TD_EPROTO = -7,    /* the peer spoke the protocol wrong */
	TD_EAGAIN = -8,    /* try again later (e.g. inside a backoff window) */
	TD_EEXIST = -9,    /* already exists */
	TD_ECLOSED = -10,  /* object is shut down */
	TD_ETOOBIG = -11,  /* input larger than the configured maximum */
	TD_EDATA = -12,    /* a peer rejected the data itself (not transient) */
	TD_EPERM = -13,    /* not allowed */
} td_err;

/* td_strerror returns a static, human-readable name for a td_err. */
const char *td_strerror(int err);

#endif
