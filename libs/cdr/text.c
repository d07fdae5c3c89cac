/* SPDX-License-Identifier: MIT */
/* Small text helpers of the CDR mapper: percent-decoding, recording paths, errors. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cdr/internal.h"

int
td_cdr__errf(int rv, char *err, size_t errlen, const char *fmt, ...)
{
	if (err != NULL && errlen > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return (rv);
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9') {
		return (c - '0');
	}
	if (c >= 'A' && c <= 'F') {
		return (c - 'A' + 10);
	}
	if (c >= 'a' && c <= 'f') {
		return (c - 'a' + 10);
	}
	return (-1);
}

size_t
td_cdr__pct_decode(char *p, size_t n)
{
	char *q = memchr(p, '%', n);
	if (q == NULL) {
		return (n); /* the common case: nothing to do */
	}
	size_t r = (size_t)(q - p), w = r;
	while (r < n) {
		if (p[r] == '%' && n - r >= 3) {
			int hi = hexval((unsigned char)p[r + 1]);
			int lo = hexval((unsigned char)p[r + 2]);
			if (hi >= 0 && lo >= 0) {
				p[w++] = (char)(hi * 16 + lo);
				r += 3;
				continue;
			}
		}
		p[w++] = p[r++];
	}
	return (w);
}

static bool
is_blank(char c)
{
	return (c == ' ' || c == '\t' || c == '\r' || c == '\n');
}

/* find returns the offset of needle in hay, or (size_t)-1. */
static size_t
find(const char *hay, size_t n, const char *needle)
{
	size_t m = strlen(needle);
	const char *p = (m <= n) ? memmem(hay, n, needle, m) : NULL;
	return (p == NULL ? (size_t)-1 : (size_t)(p - hay));
}

bool
td_cdr__rec_path(const char *data, size_t n, bool is_app, size_t *off, size_t *len)
{
	size_t b = 0, e = n;
	if (!is_app) {
		size_t at = find(data, n, "record_session");
		if (at == (size_t)-1) {
			return (false);
		}
		b = at + strlen("record_session");
		/* "record_session::<path>" (bind_meta_app, execute_on_answer), or a blank. */
		if (b + 2 <= n && data[b] == ':' && data[b + 1] == ':') {
			b += 2;
		} else if (b < n && (data[b] == ':' || is_blank(data[b]))) {
			b++;
		} else {
			return (false); /* e.g. "record_session_mask" */
		}
	}
	while (b < e && is_blank(data[b])) {
		b++;
	}
	/* {var=value,...}/path: per-recording variables, not part of the path. */
	if (b < e && data[b] == '{') {
		const char *c = memchr(data + b, '}', e - b);
		if (c == NULL) {
			return (false);
		}
		b = (size_t)(c - data) + 1;
		while (b < e && is_blank(data[b])) {
			b++;
		}
	}
	while (e > b && is_blank(data[e - 1])) {
		e--;
	}
	/* "<path> +<seconds>": the time limit of record_session. */
	size_t t = e;
	while (t > b && data[t - 1] >= '0' && data[t - 1] <= '9') {
		t--;
	}
	if (t < e && t > b && data[t - 1] == '+' && t - 1 > b && is_blank(data[t - 2])) {
		e = t - 1;
		while (e > b && is_blank(data[e - 1])) {
			e--;
		}
	}
	if (e <= b) {
		return (false);
	}
	*off = b;
	*len = e - b;
	return (true);
}
