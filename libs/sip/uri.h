/* SPDX-License-Identifier: MIT */
/*
 * SIP, SIPS and TEL URIs (RFC 3261 §19.1, §25; RFC 3966), zero-copy.
 *
 *   sip:user:password@host:port;uri-parameters?headers
 *   tel:+1-201-555-0123;phone-context=example.com
 *
 * Any other scheme ("scheme:" then opaque text) parses as
 * TD_SIP_SCHEME_OTHER with only scheme and opaque set: the caller decides
 * whether it means anything (a Request-URI answer is 416).
 * Fields are slices into the input, escapes left as written;
 * td_sip_unescape() decodes them (and does not stop at %00).
 */
#ifndef TD_SIP_URI_H
#define TD_SIP_URI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sip/str.h"
#include "util/err.h"

typedef enum td_sip_scheme {
	TD_SIP_SCHEME_OTHER = 0,
	TD_SIP_SCHEME_SIP,
	TD_SIP_SCHEME_SIPS,
	TD_SIP_SCHEME_TEL,
} td_sip_scheme;

typedef struct td_sip_uri {
	td_sip_scheme scheme;
	td_sip_str scheme_str; /* as written, without ':' */
	td_sip_str opaque; /* everything after "scheme:" */
	td_sip_str user; /* sip/sips: user part (escaped); tel: the number */
	td_sip_str password; /* if has_password */
	td_sip_str host; /* IPv6 without its brackets; empty for tel */
	td_sip_str hostport; /* host [":" port] as written (brackets kept) */
	td_sip_str params; /* after the first ';' up to '?', as written, or empty */
	td_sip_str headers; /* after '?', as written, or empty */
	td_sip_str transport; /* transport= value, if present */
	td_sip_str maddr; /* maddr= value, if present */
	uint16_t port; /* 0 if absent */
	bool has_user, has_password, has_port, host_ipv6, has_headers;
	bool lr; /* ;lr present (loose routing) */
} td_sip_uri;

/*
 * td_sip_uri_parse parses the whole of s.  Characters are checked against
 * the RFC 3261 classes for each part, escapes must be %HH, hosts must be a
 * hostname, an IPv4 address or a bracketed IPv6 address that inet_pton
 * accepts (so "[2001:db8:::1]", three colons, is rejected).
 * Returns 0 or TD_EPROTO.  Reentrant; u points into s.
 */
int td_sip_uri_parse(td_sip_str s, td_sip_uri *u) TD_MUSTCHECK;

/* td_sip_uri_param: look up a URI parameter (case-insensitive name); see td_sip_param_get. */
bool td_sip_uri_param(const td_sip_uri *u, const char *name, td_sip_str *value);

/*
 * td_sip_unescape decodes %HH escapes of in[0, n) into out[0, cap).  %00
 * decodes to a NUL byte and decoding goes on: the length is *outlen, never
 * strlen.  Returns 0, TD_EPROTO (a '%' not followed by two hex digits) or
 * TD_ETOOBIG (out too small; cap >= n always suffices).
 */
int td_sip_unescape(const char *in, size_t n, char *out, size_t cap, size_t *outlen) TD_MUSTCHECK;

#endif
