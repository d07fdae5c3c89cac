/* SPDX-License-Identifier: MIT */
/* Parameter lookup, quoted strings, list iteration, token lists, qvalues. */
#include "sip/hdr.h"
#include "sip/lex.h"

bool
td_sip_param_get(td_sip_str params, const char *name, td_sip_str *value)
{
	const char *p = params.p;
	size_t n = params.n, i = 0;
	td_sip_str want = td_sip_str_c(name);
	while (i < n) {
		i = sip_skip_lws(p, i, n);
		if (i < n && p[i] == ';') {
			i = sip_skip_lws(p, i + 1, n);
		}
		/* a name: token, or URI paramchars (escapes included) */
		size_t j = i;
		while (j < n && p[j] != '=' && p[j] != ';' && !sip_is(p[j], SIP_C_LWS)) {
			j++;
		}
		if (j == i) {
			if (i < n && p[i] != ';') {
				i++; /* not a parameter list we understand: step over */
			}
			continue;
		}
		td_sip_str nm = { p + i, j - i };
		td_sip_str val = TD_SIP_STR_NULL;
		size_t k = sip_skip_lws(p, j, n);
		if (k < n && p[k] == '=') {
			k = sip_skip_lws(p, k + 1, n);
			size_t e = k;
			if (k < n && p[k] == '"') {
				e = sip_quoted(p, k, n);
				if (e == (size_t)-1) {
					e = n;
				}
			} else {
				while (e < n && p[e] != ';' && !sip_is(p[e], SIP_C_LWS)) {
					e++;
				}
			}
			val = (td_sip_str) { p + k, e - k };
			j = e;
		}
		if (td_sip_str_caseeq(nm, want)) {
			if (value != NULL) {
				*value = val;
			}
			return (true);
		}
		i = j;
	}
	return (false);
}

int
td_sip_unquote(td_sip_str in, char *out, size_t cap, size_t *outlen)
{
	const char *p = in.p;
	size_t n = in.n, o = 0, i = 0, end = n;
	if (n > 0 && p[0] == '"') {
		if (sip_quoted(p, 0, n) != n) {
			return (TD_EPROTO);
		}
		i = 1;
		end = n - 1;
	}
	while (i < end) {
		char c = p[i];
		if (c == '\\' && n > 0 && p[0] == '"') {
			c = p[++i];
		}
		if (o >= cap) {
			return (TD_ETOOBIG);
		}
		out[o++] = c;
		i++;
	}
	*outlen = o;
	return (0);
}

void
td_sip_iter_init(td_sip_iter *it, const td_sip_msg *m, td_sip_hdr_type t)
{
	it->m = m;
	it->h = td_sip_hdr_first(m, t);
	it->pos = 0;
	it->fresh = true;
}

int
sip_iter_ready(td_sip_iter *it, bool skip_empty)
{
	while (it->h != NULL) {
		if (it->fresh && it->h->value.n == 0) {
			if (!skip_empty) {
				return (TD_EPROTO);
			}
		} else if (it->pos < it->h->value.n) {
			it->fresh = false;
			return (1);
		}
		it->h = td_sip_hdr_next(it->m, it->h);
		it->pos = 0;
		it->fresh = true;
	}
	return (0);
}

int
td_sip_token_next(td_sip_iter *it, td_sip_str *tok)
{
	int rc = sip_iter_ready(it, true);
	if (rc <= 0) {
		return (rc);
	}
	const char *p = it->h->value.p;
	size_t n = it->h->value.n;
	size_t i = sip_skip_lws(p, it->pos, n);
	size_t j = sip_span(p, i, n, SIP_C_TOKEN);
	if (j == i) {
		return (TD_EPROTO);
	}
	*tok = (td_sip_str) { p + i, j - i };
	size_t k = sip_skip_lws(p, j, n);
	if (k < n) {
		if (p[k] != ',') {
			return (TD_EPROTO);
		}
		k = sip_skip_lws(p, k + 1, n);
		if (k == n) {
			return (TD_EPROTO); /* trailing comma */
		}
	}
	it->pos = k;
	return (1);
}

int
td_sip_qvalue(td_sip_str s, unsigned *permille)
{
	if (s.n == 0 || (s.p[0] != '0' && s.p[0] != '1') || (s.n > 1 && s.p[1] != '.') || s.n > 5) {
		return (TD_EPROTO);
	}
	unsigned v = (unsigned)(s.p[0] - '0') * 1000, scale = 100;
	for (size_t i = 2; i < s.n; i++, scale /= 10) {
		if (!sip_is(s.p[i], SIP_C_DIGIT)) {
			return (TD_EPROTO);
		}
		v += (unsigned)(s.p[i] - '0') * scale;
	}
	if (v > 1000) {
		return (TD_EPROTO);
	}
	*permille = v;
	return (0);
}

int
td_sip_delta_seconds(td_sip_str s, uint32_t *v)
{
	int rc = sip_u32(s, v);
	return (rc == TD_EINVAL ? TD_EPROTO : rc);
}
