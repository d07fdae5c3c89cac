/* SPDX-License-Identifier: MIT */
/*
 * Appending formatted text to a fixed char array, whole or not at all: a
 * piece that does not fit leaves the array as it was, so a header line or
 * a list item is never cut in half, and the offset can never run past the
 * array (the trap of "o += snprintf(...)", whose return value is the length
 * it wanted, not what it wrote).
 */
#ifndef TD_UTIL_APPENDF_H
#define TD_UTIL_APPENDF_H

#include <stdbool.h>
#include <stddef.h>


/*
 * td_appendf formats at buf + *off (buf holds cap bytes, NUL-terminated at
 * *off) and advances *off; true if it fit.  Otherwise buf and *off are
 * unchanged (still terminated) and it returns false.
 */
bool td_appendf(char *buf, size_t cap, size_t *off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
