/* SPDX-License-Identifier: MIT */
/*
 * Authorization / Proxy-Authorization credentials (RFC 3261 §25, RFC 2617):
 *   credentials = ("Digest" LWS digest-response) / other-response
 *   auth-param  = token EQUAL ( token / quoted-string ), COMMA separated
 */
#include <string.h>

#include "sip/hdr.h"
#include "sip/lex.h"

static td_sip_str
strip_quotes(td_sip_str v)
{
	if (v.n >= 2 && v.p[0] == '"' && v.p[v.n - 1] == '"') {
		return ((td_sip_str) { v.p + 1, v.n - 2 });
	}
	return (v);
}

/* digest_slot: the named field for a Digest parameter, or NULL. */
static td_sip_str *
digest_slot(td_sip_auth *a, td_sip_str name)
{
	static const struct {
		const char *name;
		size_t off;
	} map[] = {
		{ "username", offsetof(td_sip_auth, username) },
		{ "realm", offsetof(td_sip_auth, realm) },
		{ "nonce", offsetof(td_sip_auth, nonce) },
		{ "uri", offsetof(td_sip_auth, uri) },
		{ "response", offsetof(td_sip_auth, response) },
		{ "algorithm", offsetof(td_sip_auth, algorithm) },
		{ "cnonce", offsetof(td_sip_auth, cnonce) },
		{ "opaque", offsetof(td_sip_auth, opaque) },
		{ "qop", offsetof(td_sip_auth, qop) },
		{ "nc", offsetof(td_sip_auth, nc) },
	};
	for (size_t i = 0; i < TD_ARRAY_LEN(map); i++) {
		if (td_sip_str_caseeq_c(name, map[i].name)) {
			return ((td_sip_str *)(void *)((char *)a + map[i].off));
		}
	}
	return (NULL);
}

static int
parse_params(td_sip_auth *a, const char *p, size_t n, bool digest)
{
	size_t i = 0;
	while (i < n) {
		size_t j = sip_span(p, i, n, SIP_C_TOKEN);
		if (j == i) {
			return (TD_EPROTO);
		}
		td_sip_str name = { p + i, j - i };
		size_t k = sip_skip_lws(p, j, n);
		if (k >= n || p[k] != '=') {
			return (TD_EPROTO);
		}
		k = sip_skip_lws(p, k + 1, n);
		size_t e;
		if (k < n && p[k] == '"') {
			e = sip_quoted(p, k, n);
			if (e == (size_t)-1) {
				return (TD_EPROTO);
			}
		} else {
			e = k;
			while (e < n && p[e] != ',' && p[e] != '"' && !sip_is(p[e], SIP_C_LWS)) {
				e++;
			}
			if (e == k) {
				return (TD_EPROTO);
			}
		}
		if (a->nparams >= TD_SIP_AUTH_MAX_PARAMS) {
			return (TD_EPROTO);
		}
		td_sip_str val = { p + k, e - k };
		a->params[a->nparams].name = name;
		a->params[a->nparams].value = val;
		a->nparams++;
		if (digest) {
			td_sip_str *slot = digest_slot(a, name);
			if (slot != NULL) {
				if (slot->p != NULL) {
					return (TD_EPROTO); /* repeated */
				}
				*slot = strip_quotes(val);
			}
		}
		i = sip_skip_lws(p, e, n);
		if (i < n) {
			if (p[i] != ',') {
				return (TD_EPROTO);
			}
			i = sip_skip_lws(p, i + 1, n);
			if (i >= n) {
				return (TD_EPROTO);
			}
		}
	}
	return (0);
}

int
td_sip_auth_parse(td_sip_str value, td_sip_auth *a)
{
	const char *p = value.p;
	size_t n = value.n;
	memset(a, 0, sizeof(*a));
	size_t i = sip_span(p, 0, n, SIP_C_TOKEN);
	if (i == 0) {
		return (TD_EPROTO);
	}
	a->scheme = (td_sip_str) { p, i };
	size_t j = sip_skip_lws(p, i, n);
	if (j == i || j == n) {
		return (TD_EPROTO); /* scheme LWS, then at least one parameter */
	}
	a->rest = (td_sip_str) { p + j, n - j };
	bool digest = td_sip_str_caseeq_c(a->scheme, "Digest");
	int rc = parse_params(a, p + j, n - j, digest);
	if (rc != 0) {
		if (digest) {
			return (rc);
		}
		/* another scheme: only scheme and rest are promised */
		a->nparams = 0;
	}
	return (0);
}
