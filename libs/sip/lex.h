/* SPDX-License-Identifier: MIT */
/*
 * Internal to libs/sip: character classes of the RFC 3261 grammar and the
 * small scanners every header parser shares.  Not a public header.
 *
 * Inside a header value slice every CR and LF belongs to a line fold (the
 * header indexer guarantees that a line end inside a value is followed by
 * SP or HT), so the scanners treat SP, HT, CR and LF alike as LWS.
 */
#ifndef TD_SIP_LEX_H
#define TD_SIP_LEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sip/str.h"

enum {
	SIP_C_TOKEN = 1u << 0, /* token: alphanum -.!%*_+`'~ */
	SIP_C_DIGIT = 1u << 1, /* 0-9 */
	SIP_C_HEX = 1u << 2, /* 0-9 a-f A-F */
	SIP_C_ALNUM = 1u << 3, /* a-z A-Z 0-9 */
	SIP_C_UNRES = 1u << 4, /* unreserved: alphanum / mark */
	SIP_C_USER = 1u << 5, /* URI user: unreserved / &=+$,;?/ (escapes apart) */
	SIP_C_PASS = 1u << 6, /* URI password: unreserved / &=+$, */
	SIP_C_PARAM = 1u << 7, /* URI paramchar: unreserved / []/:&+$ */
	SIP_C_HNV = 1u << 8, /* URI header name/value: unreserved / []/?:+$ */
	SIP_C_WORD = 1u << 9, /* Call-ID word */
	SIP_C_HOST = 1u << 10, /* hostname / IPv4: alphanum -. _ (lenient) */
	SIP_C_PVAL = 1u << 11, /* unquoted gen-value: token / host (adds :[]) */
	SIP_C_LWS = 1u << 12, /* SP HT CR LF */
	SIP_C_URIC = 1u << 13, /* opaque URI part: printable ASCII but <>" */
	SIP_C_SCHEME = 1u << 14, /* URI scheme after the first ALPHA */
};

extern const uint16_t sip_cc[256];

static inline bool
sip_is(char c, unsigned cls)
{
	return ((sip_cc[(unsigned char)c] & cls) != 0);
}

/* sip_skip_lws returns the first index >= i that is not LWS (or n). */
static inline size_t
sip_skip_lws(const char *p, size_t i, size_t n)
{
	while (i < n && sip_is(p[i], SIP_C_LWS)) {
		i++;
	}
	return (i);
}

/* sip_span returns the first index >= i whose byte is not in cls (or n). */
static inline size_t
sip_span(const char *p, size_t i, size_t n, unsigned cls)
{
	while (i < n && sip_is(p[i], cls)) {
		i++;
	}
	return (i);
}

static inline int
sip_lower(int c)
{
	return (c >= 'A' && c <= 'Z' ? c + 32 : c);
}

/*
 * sip_u32 reads 1*DIGIT (leading zeros allowed) into *out.  Returns 0,
 * TD_EINVAL if s is empty or holds a non-digit, TD_ETOOBIG above 2^32-1.
 */
int sip_u32(td_sip_str s, uint32_t *out);

/*
 * sip_escaped_span: from i, consume bytes of class cls and %HH escapes.
 * Returns the end index, or (size_t)-1 on a bad escape.
 */
size_t sip_escaped_span(const char *p, size_t i, size_t n, unsigned cls);

/*
 * sip_quoted: p[i] is '"'; returns the index just past the closing quote,
 * honouring quoted-pairs, or (size_t)-1 if the string is unterminated.
 */
size_t sip_quoted(const char *p, size_t i, size_t n);

/*
 * sip_hostport parses host [":" port] at p[*i].  host is returned without
 * the brackets of an IPv6 reference (checked with inet_pton), a hostname
 * or IPv4 address is checked against the RFC 3261 grammar.  With lws true
 * (Via sent-by), LWS may surround the colon.  *i ends after the port.
 * Returns 0 or TD_EPROTO.
 */
int sip_hostport(const char *p, size_t n, size_t *i, bool lws, td_sip_str *host, bool *ipv6,
    uint16_t *port, bool *has_port);

/*
 * sip_gparam parses one generic-param at p[*i] (just after a ';' and any
 * LWS): token [ EQUAL ( token / host / quoted-string ) ].  value is empty
 * (p == NULL) when there is no '='.  *i ends after the value (not after
 * trailing LWS).  Returns 0 or TD_EPROTO.
 */
int sip_gparam(const char *p, size_t n, size_t *i, td_sip_str *name, td_sip_str *value);

struct td_sip_iter;

/*
 * sip_iter_ready moves an iterator to the next header line that still has
 * an element.  Returns 1 if there is one, 0 at the end, TD_EPROTO when it
 * meets an empty header value and skip_empty is false.
 */
int sip_iter_ready(struct td_sip_iter *it, bool skip_empty);

#endif
