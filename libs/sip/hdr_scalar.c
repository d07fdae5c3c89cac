/* SPDX-License-Identifier: MIT */
/* Single-valued headers: CSeq, Call-ID and the 1*DIGIT ones (Max-Forwards, Expires, ...). */
#include "sip/hdr.h"
#include "sip/lex.h"

int
td_sip_cseq_parse(td_sip_str value, td_sip_cseq *c)
{
	const char *p = value.p;
	size_t n = value.n;
	size_t i = sip_span(p, 0, n, SIP_C_DIGIT);
	size_t j = sip_skip_lws(p, i, n);
	if (i == 0 || j == i) {
		return (TD_EPROTO);
	}
	size_t k = sip_span(p, j, n, SIP_C_TOKEN);
	if (k == j || sip_skip_lws(p, k, n) != n) {
		return (TD_EPROTO);
	}
	c->method = (td_sip_str) { p + j, k - j };
	c->method_id = td_sip_method_lookup(c->method);
	int rc = sip_u32((td_sip_str) { p, i }, &c->num);
	return (rc == TD_ETOOBIG ? TD_ETOOBIG : rc != 0 ? TD_EPROTO : 0);
}

int
td_sip_cseq_get(const td_sip_msg *m, td_sip_cseq *c)
{
	const td_sip_hdr *h = td_sip_hdr_first(m, TD_SIP_H_CSEQ);
	if (h == NULL) {
		return (TD_ENOTFOUND);
	}
	return (td_sip_cseq_parse(h->value, c));
}

int
td_sip_callid(const td_sip_msg *m, td_sip_str *id)
{
	const td_sip_hdr *h = td_sip_hdr_first(m, TD_SIP_H_CALL_ID);
	if (h == NULL) {
		return (TD_ENOTFOUND);
	}
	const char *p = h->value.p;
	size_t n = h->value.n;
	size_t i = sip_span(p, 0, n, SIP_C_WORD);
	if (i == 0) {
		return (TD_EPROTO);
	}
	if (i < n && p[i] == '@') {
		size_t j = sip_span(p, i + 1, n, SIP_C_WORD);
		if (j == i + 1) {
			return (TD_EPROTO);
		}
		i = j;
	}
	if (i != n) {
		return (TD_EPROTO);
	}
	*id = h->value;
	return (0);
}

int
td_sip_u32_header(const td_sip_msg *m, td_sip_hdr_type t, uint32_t *v)
{
	const td_sip_hdr *h = td_sip_hdr_first(m, t);
	if (h == NULL) {
		return (TD_ENOTFOUND);
	}
	int rc = sip_u32(h->value, v);
	return (rc == TD_EINVAL ? TD_EPROTO : rc);
}

int
td_sip_max_forwards(const td_sip_msg *m, uint32_t *v)
{
	uint32_t x;
	int rc = td_sip_u32_header(m, TD_SIP_H_MAX_FORWARDS, &x);
	if (rc != 0) {
		return (rc);
	}
	if (x > 255) {
		return (TD_ETOOBIG);
	}
	*v = x;
	return (0);
}
