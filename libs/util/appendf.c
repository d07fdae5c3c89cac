/* SPDX-License-Identifier: MIT */
/* Whole-or-nothing formatted appends (see appendf.h). */
#include "util/appendf.h"

#include <stdarg.h>
#include <stdio.h>

bool
td_appendf(char *buf, size_t cap, size_t *off, const char *fmt, ...)
{
	if (cap == 0 || *off >= cap) {
		return (false);
	}
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf + *off, cap - *off, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= cap - *off) {
		buf[*off] = '\0'; /* undo the part that fit */
		return (false);
	}
	*off += (size_t)n;
	return (true);
}
