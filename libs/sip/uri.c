/* SPDX-License-Identifier: MIT */
/* SIP/SIPS/TEL URI parser and %HH decoding. */
#include "sip/uri.h"

#include <string.h>

#include "sip/hdr.h"
#include "sip/lex.h"

/*
 * params: *( ";" pname [ "=" pvalue ] ) over p[i, n) stopping at '?';
 * i points just after the first ';'.  Returns the end index or (size_t)-1.
 */
static size_t
parse_params(td_sip_uri *u, const char *p, size_t i, size_t n)
{
	for (;;) {
		size_t j = sip_escaped_span(p, i, n, SIP_C_PARAM);
		if (j == (size_t)-1 || j == i) {
			return ((size_t)-1);
		}
		td_sip_str name = { p + i, j - i };
		td_sip_str val = TD_SIP_STR_NULL;
		if (j < n && p[j] == '=') {
			size_t k = sip_escaped_span(p, j + 1, n, SIP_C_PARAM);
			if (k == (size_t)-1 || k == j + 1) {
				return ((size_t)-1);
			}
			val = (td_sip_str) { p + j + 1, k - j - 1 };
			j = k;
		}
		if (td_sip_str_caseeq_c(name, "lr")) {
			u->lr = true;
		} else if (td_sip_str_caseeq_c(name, "transport")) {
			u->transport = val;
		} else if (td_sip_str_caseeq_c(name, "maddr")) {
			u->maddr = val;
		}
		if (j >= n || p[j] != ';') {
			return (j);
		}
		i = j + 1;
	}
}

/* headers: hname "=" hvalue *( "&" hname "=" hvalue ); returns the end or (size_t)-1. */
static size_t
parse_headers(const char *p, size_t i, size_t n)
{
	for (;;) {
		size_t j = sip_escaped_span(p, i, n, SIP_C_HNV);
		if (j == (size_t)-1 || j == i || j >= n || p[j] != '=') {
			return ((size_t)-1);
		}
		size_t k = sip_escaped_span(p, j + 1, n, SIP_C_HNV);
		if (k == (size_t)-1) {
			return ((size_t)-1);
		}
		if (k >= n || p[k] != '&') {
			return (k);
		}
		i = k + 1;
	}
}

static int
parse_sip(td_sip_uri *u, const char *p, size_t i, size_t n)
{
	const char *at = memchr(p + i, '@', n - i);
	if (at != NULL) {
		size_t e = (size_t)(at - p);
		const char *colon = memchr(p + i, ':', e - i);
		size_t ue = colon != NULL ? (size_t)(colon - p) : e;
		if (ue == i || sip_escaped_span(p, i, ue, SIP_C_USER) != ue) {
			return (TD_EPROTO);
		}
		u->user = (td_sip_str) { p + i, ue - i };
		u->has_user = true;
		if (colon != NULL) {
			if (sip_escaped_span(p, ue + 1, e, SIP_C_PASS) != e) {
				return (TD_EPROTO);
			}
			u->password = (td_sip_str) { p + ue + 1, e - ue - 1 };
			u->has_password = true;
		}
		i = e + 1;
	}
	size_t h = i;
	if (sip_hostport(p, n, &i, false, &u->host, &u->host_ipv6, &u->port, &u->has_port) != 0) {
		return (TD_EPROTO);
	}
	u->hostport = (td_sip_str) { p + h, i - h };
	if (i < n && p[i] == ';') {
		size_t e = parse_params(u, p, i + 1, n);
		if (e == (size_t)-1) {
			return (TD_EPROTO);
		}
		u->params = (td_sip_str) { p + i + 1, e - i - 1 };
		i = e;
	}
	if (i < n && p[i] == '?') {
		size_t e = parse_headers(p, i + 1, n);
		if (e == (size_t)-1) {
			return (TD_EPROTO);
		}
		u->headers = (td_sip_str) { p + i + 1, e - i - 1 };
		u->has_headers = true;
		i = e;
	}
	return (i == n ? 0 : TD_EPROTO);
}

/* tel: global or local number of phonedigit-hex / visual separators, then params. */
static int
parse_tel(td_sip_uri *u, const char *p, size_t i, size_t n)
{
	size_t j = i;
	while (
	    j < n && (sip_is(p[j], SIP_C_HEX) || strchr("+-.()*#", p[j]) != NULL) && p[j] != '\0') {
		j++;
	}
	if (j == i) {
		return (TD_EPROTO);
	}
	u->user = (td_sip_str) { p + i, j - i };
	u->has_user = true;
	if (j < n && p[j] == ';') {
		size_t e = parse_params(u, p, j + 1, n);
		if (e == (size_t)-1) {
			return (TD_EPROTO);
		}
		u->params = (td_sip_str) { p + j + 1, e - j - 1 };
		j = e;
	}
	return (j == n ? 0 : TD_EPROTO);
}

int
td_sip_uri_parse(td_sip_str s, td_sip_uri *u)
{
	const char *p = s.p;
	size_t n = s.n;
	memset(u, 0, sizeof(*u));
	if (n == 0 || !((p[0] | 0x20) >= 'a' && (p[0] | 0x20) <= 'z')) {
		return (TD_EPROTO);
	}
	size_t i = sip_span(p, 1, n, SIP_C_SCHEME);
	if (i >= n || p[i] != ':') {
		return (TD_EPROTO);
	}
	u->scheme_str = (td_sip_str) { p, i };
	u->opaque = (td_sip_str) { p + i + 1, n - i - 1 };
	u->host = (td_sip_str) { p + i + 1, 0 };
	if (td_sip_str_caseeq_c(u->scheme_str, "sip")) {
		u->scheme = TD_SIP_SCHEME_SIP;
		return (parse_sip(u, p, i + 1, n));
	}
	if (td_sip_str_caseeq_c(u->scheme_str, "sips")) {
		u->scheme = TD_SIP_SCHEME_SIPS;
		return (parse_sip(u, p, i + 1, n));
	}
	if (td_sip_str_caseeq_c(u->scheme_str, "tel")) {
		u->scheme = TD_SIP_SCHEME_TEL;
		return (parse_tel(u, p, i + 1, n));
	}
	u->scheme = TD_SIP_SCHEME_OTHER;
	if (u->opaque.n == 0 || sip_span(p, i + 1, n, SIP_C_URIC) != n) {
		return (TD_EPROTO);
	}
	return (0);
}

bool
td_sip_uri_param(const td_sip_uri *u, const char *name, td_sip_str *value)
{
	return (td_sip_param_get(u->params, name, value));
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9') {
		return (c - '0');
	}
	return ((c | 0x20) - 'a' + 10);
}

int
td_sip_unescape(const char *in, size_t n, char *out, size_t cap, size_t *outlen)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		char c = in[i];
		if (c == '%') {
			if (n - i < 3 || !sip_is(in[i + 1], SIP_C_HEX)
			    || !sip_is(in[i + 2], SIP_C_HEX)) {
				return (TD_EPROTO);
			}
			c = (char)(hexval(in[i + 1]) * 16 + hexval(in[i + 2]));
			i += 2;
		}
		if (o >= cap) {
			return (TD_ETOOBIG);
		}
		out[o++] = c;
	}
	*outlen = o;
	return (0);
}
