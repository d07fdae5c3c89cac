/* SPDX-License-Identifier: MIT */
/*
 * name-addr / addr-spec with header parameters (RFC 3261 §20.10, §20.20,
 * §20.39, §20.30, §20.34): From, To, Contact, Route, Record-Route.
 *
 *   ( name-addr / addr-spec ) *( SEMI param )
 *   name-addr    = [ display-name ] LAQUOT addr-spec RAQUOT
 *   display-name = *(token LWS) / quoted-string
 *
 * LAQUOT is SWS "<" and RAQUOT ">" SWS: no LWS inside the brackets
 * (RFC 4475 §3.1.2.14 badaspec).  A bare addr-spec ends at ';', ',' or
 * LWS, and may not hold a '?' (§3.1.2.13 regbadct: such a URI must be in
 * brackets).  A token display name may touch the '<' (§3.1.1.6 lwsdisp).
 */
#include <string.h>

#include "sip/hdr.h"
#include "sip/lex.h"

/* has_scheme: the URI starts with scheme ":" (the rest is td_sip_uri_parse's job). */
static bool
has_scheme(const char *p, size_t n)
{
	if (n == 0 || !((p[0] | 0x20) >= 'a' && (p[0] | 0x20) <= 'z')) {
		return (false);
	}
	size_t i = sip_span(p, 1, n, SIP_C_SCHEME);
	return (i < n && p[i] == ':');
}

static int
addr_param(td_sip_addr *a, td_sip_str name, td_sip_str val)
{
	if (td_sip_str_caseeq_c(name, "tag")) {
		/* tag-param = "tag" EQUAL token */
		if (a->has_tag || val.p == NULL
		    || sip_span(val.p, 0, val.n, SIP_C_TOKEN) != val.n) {
			return (TD_EPROTO);
		}
		a->tag = val;
		a->has_tag = true;
	} else if (td_sip_str_caseeq_c(name, "expires")) {
		uint32_t secs;
		if (a->has_expires || val.p == NULL
		    || td_sip_delta_seconds(val, &secs) == TD_EPROTO) {
			return (
			    TD_EPROTO); /* too big is left to the registrar (RFC 4475 §3.1.2.4) */
		}
		a->expires = val;
		a->has_expires = true;
	} else if (name.n == 1 && (name.p[0] | 0x20) == 'q') {
		unsigned q;
		if (a->has_q || val.p == NULL || td_sip_qvalue(val, &q) != 0) {
			return (TD_EPROTO);
		}
		a->q = val;
		a->has_q = true;
	}
	return (0);
}

/* finish: header params, then the end of the value or (lists) a comma. */
static int
finish(const char *p, size_t n, size_t i, size_t start, size_t *pos, unsigned flags, td_sip_addr *a)
{
	size_t pstart = i;
	bool any = false;
	for (;;) {
		size_t k = sip_skip_lws(p, i, n);
		if (k >= n || p[k] != ';') {
			break;
		}
		if (!any) {
			pstart = k;
			any = true;
		}
		k = sip_skip_lws(p, k + 1, n);
		td_sip_str name, val;
		if (sip_gparam(p, n, &k, &name, &val) != 0 || addr_param(a, name, val) != 0) {
			return (TD_EPROTO);
		}
		i = k;
	}
	a->params = (td_sip_str) { p + (any ? pstart : i), any ? i - pstart : 0 };
	a->raw = (td_sip_str) { p + start, i - start };
	size_t k = sip_skip_lws(p, i, n);
	if (k < n) {
		if (!(flags & TD_SIP_ADDR_LIST) || p[k] != ',') {
			return (TD_EPROTO);
		}
		k = sip_skip_lws(p, k + 1, n);
		if (k >= n) {
			return (TD_EPROTO);
		}
	}
	*pos = k;
	return (0);
}

int
td_sip_addr_parse(td_sip_str value, size_t *pos, unsigned flags, td_sip_addr *a)
{
	const char *p = value.p;
	size_t n = value.n;
	size_t i = sip_skip_lws(p, *pos, n);
	memset(a, 0, sizeof(*a));
	if (i >= n) {
		return (TD_EPROTO);
	}
	size_t start = i;

	if ((flags & TD_SIP_ADDR_STAR) && p[i] == '*') {
		size_t k = sip_skip_lws(p, i + 1, n);
		if (k < n && p[k] != ',') {
			return (TD_EPROTO);
		}
		a->star = true;
		a->uri = (td_sip_str) { p + i, 0 };
		return (finish(p, n, i + 1, start, pos, flags, a));
	}

	if (p[i] == '"') {
		size_t e = sip_quoted(p, i, n);
		if (e == (size_t)-1) {
			return (TD_EPROTO);
		}
		a->display = (td_sip_str) { p + i, e - i };
		i = sip_skip_lws(p, e, n);
		if (i >= n || p[i] != '<') {
			return (TD_EPROTO);
		}
	} else {
		/* *(token LWS) "<" is a name-addr; anything else is an addr-spec */
		size_t j = i;
		while (j < n && sip_is(p[j], SIP_C_TOKEN | SIP_C_LWS)) {
			j++;
		}
		if (j < n && p[j] == '<') {
			size_t e = j;
			while (e > i && sip_is(p[e - 1], SIP_C_LWS)) {
				e--;
			}
			a->display = (td_sip_str) { p + i, e - i };
			i = j;
		}
	}

	if (p[i] == '<') {
		size_t u = i + 1, k = u;
		while (k < n && p[k] != '>') {
			if (sip_is(p[k], SIP_C_LWS) || p[k] == '<' || p[k] == '"') {
				return (TD_EPROTO);
			}
			k++;
		}
		if (k >= n || !has_scheme(p + u, k - u)) {
			return (TD_EPROTO);
		}
		a->uri = (td_sip_str) { p + u, k - u };
		a->angle = true;
		return (finish(p, n, k + 1, start, pos, flags, a));
	}

	size_t k = i;
	while (k < n && p[k] != ';' && p[k] != ',' && !sip_is(p[k], SIP_C_LWS)) {
		if (p[k] == '?' || p[k] == '<' || p[k] == '>' || p[k] == '"') {
			return (TD_EPROTO);
		}
		k++;
	}
	if (!has_scheme(p + i, k - i)) {
		return (TD_EPROTO);
	}
	a->uri = (td_sip_str) { p + i, k - i };
	return (finish(p, n, k, start, pos, flags, a));
}

static int
single(const td_sip_msg *m, td_sip_hdr_type t, td_sip_addr *a)
{
	const td_sip_hdr *h = td_sip_hdr_first(m, t);
	if (h == NULL) {
		return (TD_ENOTFOUND);
	}
	size_t pos = 0;
	return (td_sip_addr_parse(h->value, &pos, 0, a) != 0 ? TD_EPROTO : 0);
}

int
td_sip_from(const td_sip_msg *m, td_sip_addr *a)
{
	return (single(m, TD_SIP_H_FROM, a));
}

int
td_sip_to(const td_sip_msg *m, td_sip_addr *a)
{
	return (single(m, TD_SIP_H_TO, a));
}

static int
tag_of(const td_sip_msg *m, td_sip_hdr_type t, td_sip_str *tag)
{
	td_sip_addr a;
	int rc = single(m, t, &a);
	if (rc != 0) {
		return (rc);
	}
	*tag = a.has_tag ? a.tag : (td_sip_str) { a.raw.p, 0 };
	return (0);
}

int
td_sip_from_tag(const td_sip_msg *m, td_sip_str *tag)
{
	return (tag_of(m, TD_SIP_H_FROM, tag));
}

int
td_sip_to_tag(const td_sip_msg *m, td_sip_str *tag)
{
	return (tag_of(m, TD_SIP_H_TO, tag));
}

void
td_sip_ids_get(const td_sip_msg *m, td_sip_ids *ids)
{
	memset(ids, 0, sizeof(*ids));
	if (td_sip_callid(m, &ids->call_id) != 0) {
		ids->call_id = TD_SIP_STR_NULL;
	}
	if (tag_of(m, TD_SIP_H_FROM, &ids->from_tag) != 0) {
		ids->from_tag = TD_SIP_STR_NULL;
	}
	if (tag_of(m, TD_SIP_H_TO, &ids->to_tag) != 0) {
		ids->to_tag = TD_SIP_STR_NULL;
	}
	if (td_sip_cseq_get(m, &ids->cseq) != 0) {
		memset(&ids->cseq, 0, sizeof(ids->cseq));
	}
}

static int
list_next(td_sip_iter *it, unsigned flags, td_sip_addr *a)
{
	int rc = sip_iter_ready(it, false);
	if (rc <= 0) {
		return (rc);
	}
	if (td_sip_addr_parse(it->h->value, &it->pos, flags, a) != 0) {
		return (TD_EPROTO);
	}
	return (1);
}

int
td_sip_contact_next(td_sip_iter *it, td_sip_addr *a)
{
	return (list_next(it, TD_SIP_ADDR_LIST | TD_SIP_ADDR_STAR, a));
}

int
td_sip_addr_next(td_sip_iter *it, td_sip_addr *a)
{
	return (list_next(it, TD_SIP_ADDR_LIST, a));
}
