/* SPDX-License-Identifier: MIT */
/* Growable buffer with a sticky error flag. */
#include "util/buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

void
td_buf_init(td_buf *b, size_t limit)
{
	memset(b, 0, sizeof(*b));
	b->limit = limit;
}

void
td_buf_free(td_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

void
td_buf_reset(td_buf *b)
{
	b->len = 0;
	b->failed = false;
	if (b->data != NULL) {
		b->data[0] = '\0';
	}
}

/* reserve makes room for n more bytes plus the NUL, or sets failed. */
static bool
reserve(td_buf *b, size_t n)
{
	if (b->failed) {
		return (false);
	}
	if (n > SIZE_MAX / 2 - b->len || (b->limit != 0 && b->len + n > b->limit)) {
		b->failed = true;
		return (false);
	}
	size_t need = b->len + n + 1;
	if (need > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		while (cap < need) {
			cap *= 2;
		}
		b->data = td_xrealloc(b->data, cap);
		b->cap = cap;
	}
	return (true);
}

void
td_buf_reserve(td_buf *b, size_t n)
{
	/* A hint: never more than the limit allows, and never a failure by itself. */
	if (b->limit != 0) {
		size_t room = b->limit > b->len ? b->limit - b->len : 0;
		n = n < room ? n : room;
	}
	if (!b->failed && n <= SIZE_MAX / 2 - b->len) {
		(void)reserve(b, n);
	}
}

void
td_buf_append(td_buf *b, const void *p, size_t n)
{
	if (!reserve(b, n)) {
		return;
	}
	if (n > 0) {
		memcpy(b->data + b->len, p, n);
	}
	b->len += n;
	b->data[b->len] = '\0';
}

void *
td_buf_extend(td_buf *b, size_t n)
{
	if (!reserve(b, n)) {
		return (NULL);
	}
	void *p = b->data + b->len;
	b->len += n;
	b->data[b->len] = '\0';
	return (p);
}

void
td_buf_puts(td_buf *b, const char *s)
{
	td_buf_append(b, s, strlen(s));
}

void
td_buf_putc(td_buf *b, char c)
{
	td_buf_append(b, &c, 1);
}

void
td_buf_vprintf(td_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	va_copy(cp, ap);
	int n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0) {
		b->failed = true;
		return;
	}
	if (!reserve(b, (size_t)n)) {
		return;
	}
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void
td_buf_printf(td_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	td_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

char *
td_buf_steal(td_buf *b, size_t *len)
{
	/* Always hand out a string, even for an empty (or failed-empty) buffer. */
	char *p = b->data != NULL ? b->data : td_xstrdup("");
	if (len != NULL) {
		*len = b->data != NULL ? b->len : 0;
	}
	b->data = NULL;
	b->len = b->cap = 0;
	b->failed = false;
	return (p);
}
