/* SPDX-License-Identifier: MIT */
/*
 * td_sip_str: a slice (pointer + length) into a buffer someone else owns.
 * Every field the SIP parser returns is one of these; none is
 * NUL-terminated and all live exactly as long as the parsed buffer.
 */
#ifndef TD_SIP_STR_H
#define TD_SIP_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

typedef struct td_sip_str {
	const char *p; /* first byte, or NULL for "absent" */
	size_t n; /* length in bytes; may be 0 */
} td_sip_str;

#define TD_SIP_STR_NULL ((td_sip_str) { NULL, 0 })

/* td_sip_str_c: a slice over a NUL-terminated string (NULL gives an empty slice). */
static inline td_sip_str
td_sip_str_c(const char *s)
{
	return ((td_sip_str) { s, s != NULL ? strlen(s) : 0 });
}

/* td_sip_str_eq: byte-exact comparison with a C string. */
static inline bool
td_sip_str_eq(td_sip_str a, const char *lit)
{
	size_t n = strlen(lit);
	return (a.n == n && (n == 0 || memcmp(a.p, lit, n) == 0));
}

/* td_sip_str_same: byte-exact comparison of two slices. */
static inline bool
td_sip_str_same(td_sip_str a, td_sip_str b)
{
	return (a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0));
}

/* td_sip_str_caseeq: ASCII case-insensitive comparison of two slices. */
bool td_sip_str_caseeq(td_sip_str a, td_sip_str b);

/* td_sip_str_caseeq_c: ASCII case-insensitive comparison with a C string. */
static inline bool
td_sip_str_caseeq_c(td_sip_str a, const char *lit)
{
	return (td_sip_str_caseeq(a, td_sip_str_c(lit)));
}

/*
 * td_sip_str_copy: copies the slice into out (cap bytes, cap >= 1) as a
 * NUL-terminated string, cut at cap - 1 bytes.  Returns the bytes copied.
 */
static inline size_t
td_sip_str_copy(char *out, size_t cap, td_sip_str s)
{
	size_t n = s.n < cap - 1 ? s.n : cap - 1;
	if (n > 0) {
		memcpy(out, s.p, n);
	}
	out[n] = '\0';
	return (n);
}

#endif
