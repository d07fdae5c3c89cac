/* SPDX-License-Identifier: MIT */
/*
 * td_buf: a growable byte buffer with a sticky error flag (pgbouncer's
 * PktBuf shape).  Appends after a failure do nothing, so builders are
 * straight-line code with one check at the end: td_buf_failed().
 * A buffer may have a size cap; exceeding it sets the flag.
 * The content is always NUL-terminated (the NUL is not counted in len).
 */
#ifndef TD_UTIL_BUF_H
#define TD_UTIL_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

typedef struct td_buf {
	char *data;   /* owned, NUL-terminated */
	size_t len;   /* bytes used, excluding the NUL */
	size_t cap;   /* bytes allocated */
	size_t limit; /* 0 = no cap, else the most len may reach */
	bool failed;  /* sticky: an append did not fit */
} td_buf;

#define TD_BUF_INIT {NULL, 0, 0, 0, false}

void td_buf_init(td_buf *b, size_t limit);
void td_buf_free(td_buf *b);
void td_buf_reset(td_buf *b); /* len = 0, failed = false; keeps memory */

/* td_buf_reserve makes room for up to n more bytes at once (a hint: capped at
 * the limit, never a failure by itself); len is unchanged. */
void td_buf_reserve(td_buf *b, size_t n);
void td_buf_append(td_buf *b, const void *p, size_t n);
void td_buf_puts(td_buf *b, const char *s);
void td_buf_putc(td_buf *b, char c);
void td_buf_printf(td_buf *b, const char *fmt, ...) TD_PRINTF(2, 3);
void td_buf_vprintf(td_buf *b, const char *fmt, va_list ap) TD_PRINTF(2, 0);

static inline bool
td_buf_failed(const td_buf *b)
{
	return (b->failed);
}

/*
 * td_buf_extend grows len by n and returns the new region (uninitialised,
 * for the caller to fill), or NULL if the buffer failed.
 */
void *td_buf_extend(td_buf *b, size_t n);

/*
 * td_buf_steal hands the data to the caller (free() it; never NULL, "" for
 * an empty buffer) and resets b, keeping its limit.
 */
char *td_buf_steal(td_buf *b, size_t *len);

#endif
