/* SPDX-License-Identifier: MIT */
/*
 * Via (RFC 3261 §20.42 and §25: sent-protocol LWS sent-by *(SEMI via-params),
 * with SWS around "/", ":", ";" and "=") and rport (RFC 3581).  received may
 * hold an IPv6 address with or without brackets (RFC 5118 §4.5).
 */
#include <string.h>

#include "sip/hdr.h"
#include "sip/lex.h"

/* expect_sep: skip LWS, require c, skip LWS.  Returns the new index or (size_t)-1. */
static size_t
expect_sep(const char *p, size_t i, size_t n, char c)
{
	i = sip_skip_lws(p, i, n);
	if (i >= n || p[i] != c) {
		return ((size_t)-1);
	}
	return (sip_skip_lws(p, i + 1, n));
}

static int
via_param(td_sip_via *v, td_sip_str name, td_sip_str val)
{
	switch (name.n) {
	case 5:
		if (td_sip_str_caseeq_c(name, "maddr")) {
			v->maddr = val;
			v->has_maddr = true;
		} else if (td_sip_str_caseeq_c(name, "rport")) {
			if (val.p != NULL && sip_span(val.p, 0, val.n, SIP_C_DIGIT) != val.n) {
				return (TD_EPROTO);
			}
			v->rport = val;
			v->rport_name = name;
			v->has_rport = true;
		}
		break;
	case 6:
		if (td_sip_str_caseeq_c(name, "branch")) {
			if (val.p == NULL || val.p[0] == '"' || v->has_branch) {
				return (TD_EPROTO);
			}
			v->branch = val;
			v->has_branch = true;
		}
		break;
	case 8:
		if (td_sip_str_caseeq_c(name, "received")) {
			if (val.p == NULL || val.p[0] == '"') {
				return (TD_EPROTO);
			}
			v->received = val;
			v->has_received = true;
		}
		break;
	default: break;
	}
	return (0);
}

int
td_sip_via_parse(td_sip_str value, size_t *pos, td_sip_via *v)
{
	const char *p = value.p;
	size_t n = value.n;
	size_t i = sip_skip_lws(p, *pos, n), j;
	memset(v, 0, sizeof(*v));
	size_t start = i;

	/* sent-protocol = protocol-name SLASH protocol-version SLASH transport */
	td_sip_str *parts[3] = { &v->proto_name, &v->proto_version, &v->transport };
	for (int k = 0; k < 3; k++) {
		if (k > 0 && (i = expect_sep(p, i, n, '/')) == (size_t)-1) {
			return (TD_EPROTO);
		}
		j = sip_span(p, i, n, SIP_C_TOKEN);
		if (j == i) {
			return (TD_EPROTO);
		}
		*parts[k] = (td_sip_str) { p + i, j - i };
		i = j;
	}
	/* LWS sent-by */
	j = sip_skip_lws(p, i, n);
	if (j == i) {
		return (TD_EPROTO);
	}
	i = j;
	bool has_port;
	if (sip_hostport(p, n, &i, true, &v->host, &v->host_ipv6, &v->port, &has_port) != 0) {
		return (TD_EPROTO);
	}
	v->sent_by = (td_sip_str) { p + j, i - j };

	/* *( SEMI via-params ) */
	size_t pstart = i;
	for (;;) {
		size_t k = sip_skip_lws(p, i, n);
		if (k >= n || p[k] != ';') {
			break;
		}
		if (v->params.p == NULL) {
			pstart = k;
			v->params.p = p + k;
		}
		k = sip_skip_lws(p, k + 1, n);
		td_sip_str name, val;
		if (sip_gparam(p, n, &k, &name, &val) != 0 || via_param(v, name, val) != 0) {
			return (TD_EPROTO);
		}
		i = k;
	}
	v->params = v->params.p != NULL ? (td_sip_str) { p + pstart, i - pstart }
	                                : (td_sip_str) { p + i, 0 };
	v->raw = (td_sip_str) { p + start, i - start };

	/* end of value, or COMMA and another via-parm */
	j = sip_skip_lws(p, i, n);
	if (j < n) {
		if (p[j] != ',') {
			return (TD_EPROTO);
		}
		j = sip_skip_lws(p, j + 1, n);
		if (j >= n) {
			return (TD_EPROTO);
		}
	}
	*pos = j;
	return (0);
}

int
td_sip_via_next(td_sip_iter *it, td_sip_via *v)
{
	int rc = sip_iter_ready(it, false);
	if (rc <= 0) {
		return (rc);
	}
	if (td_sip_via_parse(it->h->value, &it->pos, v) != 0) {
		return (TD_EPROTO);
	}
	return (1);
}

int
td_sip_via_top(const td_sip_msg *m, td_sip_via *v)
{
	const td_sip_hdr *h = td_sip_hdr_first(m, TD_SIP_H_VIA);
	if (h == NULL) {
		return (TD_ENOTFOUND);
	}
	size_t pos = 0;
	return (td_sip_via_parse(h->value, &pos, v) != 0 ? TD_EPROTO : 0);
}

bool
td_sip_branch_is_rfc3261(td_sip_str branch)
{
	return (branch.n > 7 && memcmp(branch.p, "z9hG4bK", 7) == 0);
}
