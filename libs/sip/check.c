/* SPDX-License-Identifier: MIT */
/* Request and response validation: facts in, recommended answer out. */
#include "sip/check.h"

#include <stdbool.h>
#include <string.h>

#include "sip/hdr.h"
#include "sip/uri.h"
#include "util/appendf.h"

static int
verdict(td_sip_verdict *v, int status, const char *reason)
{
	v->status = status;
	v->reason = reason;
	return (status);
}

/* Headers that may appear once (RFC 3261 §20 table "single-valued"). */
static const struct {
	td_sip_hdr_type type;
	const char *dup;
} singles[] = {
	{ TD_SIP_H_FROM, "Duplicate From" },
	{ TD_SIP_H_TO, "Duplicate To" },
	{ TD_SIP_H_CALL_ID, "Duplicate Call-ID" },
	{ TD_SIP_H_CSEQ, "Duplicate CSeq" },
	{ TD_SIP_H_MAX_FORWARDS, "Duplicate Max-Forwards" },
	{ TD_SIP_H_CONTENT_LENGTH, "Duplicate Content-Length" },
	{ TD_SIP_H_CONTENT_TYPE, "Duplicate Content-Type" },
	{ TD_SIP_H_EXPIRES, "Duplicate Expires" },
	{ TD_SIP_H_MIN_EXPIRES, "Duplicate Min-Expires" },
};

static const struct {
	td_sip_hdr_type type;
	const char *missing;
} mandatory[] = {
	{ TD_SIP_H_VIA, "Missing Via" },
	{ TD_SIP_H_FROM, "Missing From" },
	{ TD_SIP_H_TO, "Missing To" },
	{ TD_SIP_H_CALL_ID, "Missing Call-ID" },
	{ TD_SIP_H_CSEQ, "Missing CSeq" },
};

/* addr_ok: the single name-addr of From/To, with a URI that parses. */
static bool
addr_ok(const td_sip_msg *m, td_sip_hdr_type t, td_sip_uri *u)
{
	td_sip_addr a;
	int rc = t == TD_SIP_H_FROM ? td_sip_from(m, &a) : td_sip_to(m, &a);
	return (rc == 0 && td_sip_uri_parse(a.uri, u) == 0);
}

static bool
vias_ok(const td_sip_msg *m)
{
	td_sip_iter it;
	td_sip_via via;
	int rc;
	td_sip_iter_init(&it, m, TD_SIP_H_VIA);
	while ((rc = td_sip_via_next(&it, &via)) == 1) { }
	return (rc == 0);
}

/* the parts both requests and responses must get right */
static int
common(const td_sip_msg *m, td_sip_verdict *v)
{
	for (size_t i = 0; i < TD_ARRAY_LEN(mandatory); i++) {
		if (m->count[mandatory[i].type] == 0) {
			return (verdict(v, 400, mandatory[i].missing));
		}
	}
	for (size_t i = 0; i < TD_ARRAY_LEN(singles); i++) {
		if (m->count[singles[i].type] > 1) {
			return (verdict(v, 400, singles[i].dup));
		}
	}
	td_sip_cseq cs;
	td_sip_str id;
	td_sip_uri u;
	uint32_t x;
	if (td_sip_cseq_get(m, &cs) != 0) {
		return (verdict(v, 400, "Bad CSeq"));
	}
	if (td_sip_callid(m, &id) != 0) {
		return (verdict(v, 400, "Bad Call-ID"));
	}
	if (!addr_ok(m, TD_SIP_H_FROM, &u)) {
		return (verdict(v, 400, "Bad From"));
	}
	if (!addr_ok(m, TD_SIP_H_TO, &u)) {
		return (verdict(v, 400, "Bad To"));
	}
	if (!vias_ok(m)) {
		return (verdict(v, 400, "Bad Via"));
	}
	int rc = td_sip_u32_header(m, TD_SIP_H_CONTENT_LENGTH, &x);
	if (rc != 0 && rc != TD_ENOTFOUND) {
		return (verdict(v, 400, "Bad Content-Length"));
	}
	return (verdict(v, 0, NULL));
}

static bool
addr_list_ok(const td_sip_msg *m, td_sip_hdr_type t, unsigned *n, bool *star)
{
	td_sip_iter it;
	td_sip_addr a;
	td_sip_uri u;
	int rc;
	*n = 0;
	*star = false;
	td_sip_iter_init(&it, m, t);
	while (
	    (rc = t == TD_SIP_H_CONTACT ? td_sip_contact_next(&it, &a) : td_sip_addr_next(&it, &a))
	    == 1) {
		(*n)++;
		if (a.star) {
			*star = true;
		} else if (td_sip_uri_parse(a.uri, &u) != 0) {
			return (false);
		}
	}
	return (rc == 0 && (!*star || *n == 1));
}

static bool
tokens_ok(const td_sip_msg *m, td_sip_hdr_type t)
{
	td_sip_iter it;
	td_sip_str tok;
	int rc;
	td_sip_iter_init(&it, m, t);
	while ((rc = td_sip_token_next(&it, &tok)) == 1) { }
	return (rc == 0);
}

static bool
delta_ok(const td_sip_msg *m, td_sip_hdr_type t)
{
	uint32_t x;
	int rc = td_sip_u32_header(m, t, &x);
	/* too big is tolerated: a registrar reads it as its default (RFC 4475 §3.1.2.4) */
	return (rc == 0 || rc == TD_ENOTFOUND || rc == TD_ETOOBIG);
}

static bool
supported(const td_sip_check_opts *o, td_sip_str tag)
{
	for (const char *const *s = o->supported; s != NULL && *s != NULL; s++) {
		if (td_sip_str_caseeq_c(tag, *s)) {
			return (true);
		}
	}
	return (false);
}

/* collect the tags of t we do not support into v; returns how many */
static unsigned
unsupported(const td_sip_msg *m, const td_sip_check_opts *o, td_sip_hdr_type t, td_sip_verdict *v)
{
	td_sip_iter it;
	td_sip_str tok;
	td_sip_iter_init(&it, m, t);
	while (td_sip_token_next(&it, &tok) == 1) {
		if (!supported(o, tok) && v->nunsupported < TD_SIP_MAX_UNSUPPORTED) {
			v->unsupported[v->nunsupported++] = tok;
		}
	}
	return (v->nunsupported);
}

int
td_sip_check_request(const td_sip_msg *m, const td_sip_check_opts *o, td_sip_verdict *v)
{
	memset(v, 0, sizeof(*v));
	if (!m->is_request) {
		return (verdict(v, 400, "Not A Request"));
	}
	if (!td_sip_version_is_20(m->version)) {
		return (verdict(v, 505, "Version Not Supported"));
	}
	if (common(m, v) != 0) {
		return (v->status);
	}

	/* the remaining headers the library knows, when present */
	uint32_t mf = 0;
	int rc = td_sip_max_forwards(m, &mf);
	bool has_mf = rc == 0;
	if (rc != 0 && rc != TD_ENOTFOUND) {
		return (verdict(v, 400, "Bad Max-Forwards"));
	}
	unsigned n;
	bool star;
	if (!addr_list_ok(m, TD_SIP_H_CONTACT, &n, &star)) {
		return (verdict(v, 400, "Bad Contact"));
	}
	if (!addr_list_ok(m, TD_SIP_H_ROUTE, &n, &star) || star) {
		return (verdict(v, 400, "Bad Route"));
	}
	if (!addr_list_ok(m, TD_SIP_H_RECORD_ROUTE, &n, &star) || star) {
		return (verdict(v, 400, "Bad Record-Route"));
	}
	if (!delta_ok(m, TD_SIP_H_EXPIRES) || !delta_ok(m, TD_SIP_H_MIN_EXPIRES)) {
		return (verdict(v, 400, "Bad Expires"));
	}
	if (!tokens_ok(m, TD_SIP_H_REQUIRE) || !tokens_ok(m, TD_SIP_H_PROXY_REQUIRE)
	    || !tokens_ok(m, TD_SIP_H_SUPPORTED)) {
		return (verdict(v, 400, "Bad Option Tag List"));
	}

	/* Request-URI (RFC 3261 §8.2.2.1; §19.1.1: no headers in a Request-URI) */
	td_sip_uri ru;
	if (td_sip_uri_parse(m->ruri, &ru) != 0) {
		return (verdict(v, 400, "Bad Request-URI"));
	}
	if (ru.scheme == TD_SIP_SCHEME_OTHER) {
		return (verdict(v, 416, "Unsupported URI Scheme"));
	}
	if (ru.has_headers) {
		return (verdict(v, 400, "Bad Request-URI"));
	}

	/* UAS: a method we do not know (501) or do not do here (405), before the
	 * CSeq comparison, as RFC 4475 §3.1.2.18 prefers */
	if (o->role & TD_SIP_ROLE_UAS) {
		if (m->method_id == TD_SIP_METHOD_OTHER) {
			return (verdict(v, 501, "Not Implemented"));
		}
		if (o->methods != 0 && !(o->methods & (1u << m->method_id))) {
			return (verdict(v, 405, "Method Not Allowed"));
		}
	}
	td_sip_cseq cs;
	if (td_sip_cseq_get(m, &cs) != 0 || !td_sip_str_same(cs.method, m->method)) {
		return (verdict(v, 400, "CSeq Method Mismatch"));
	}

	if ((o->role & TD_SIP_ROLE_PROXY) && has_mf && mf == 0) {
		return (verdict(v, 483, "Too Many Hops"));
	}
	if (m->method_id != TD_SIP_ACK && m->method_id != TD_SIP_CANCEL) {
		if (((o->role & TD_SIP_ROLE_PROXY) && unsupported(m, o, TD_SIP_H_PROXY_REQUIRE, v))
		    || ((o->role & TD_SIP_ROLE_UAS) && unsupported(m, o, TD_SIP_H_REQUIRE, v))) {
			return (verdict(v, 420, "Bad Extension"));
		}
	}

	if ((o->role & TD_SIP_ROLE_REGISTRAR) == TD_SIP_ROLE_REGISTRAR
	    && m->method_id == TD_SIP_REGISTER) {
		td_sip_uri to;
		if (!addr_ok(m, TD_SIP_H_TO, &to)
		    || (to.scheme != TD_SIP_SCHEME_SIP && to.scheme != TD_SIP_SCHEME_SIPS)) {
			return (verdict(v, 400, "Bad To URI Scheme"));
		}
		(void)addr_list_ok(m, TD_SIP_H_CONTACT, &n, &star);
		uint32_t exp = 1;
		if (star && (td_sip_u32_header(m, TD_SIP_H_EXPIRES, &exp) != 0 || exp != 0)) {
			return (verdict(v, 400, "Bad Contact"));
		}
	}
	return (verdict(v, 0, NULL));
}

int
td_sip_check_response(const td_sip_msg *m, const td_sip_check_opts *o, td_sip_verdict *v)
{
	memset(v, 0, sizeof(*v));
	if (m->is_request) {
		verdict(v, 0, "Not A Response");
		return (TD_EPROTO);
	}
	if (!td_sip_version_is_20(m->version)) {
		verdict(v, 0, "Version Not Supported");
		return (TD_EPROTO);
	}
	if (common(m, v) != 0) {
		v->status = 0;
		return (TD_EPROTO);
	}
	if (o->role & TD_SIP_ROLE_PROXY) {
		td_sip_iter it;
		td_sip_via via;
		td_sip_iter_init(&it, m, TD_SIP_H_VIA);
		if (td_sip_via_next(&it, &via) == 1 && td_sip_via_next(&it, &via) == 1
		    && td_sip_str_eq(via.host, "255.255.255.255")) {
			verdict(v, 0, "Broadcast Via");
			return (TD_EPROTO);
		}
	}
	return (0);
}

void
td_sip_unsupported_line(const td_sip_verdict *v, char *out, size_t cap)
{
	if (cap == 0) {
		return;
	}
	out[0] = '\0';
	if (v->nunsupported == 0 || cap < 3) {
		return;
	}
	size_t o = 0;
	bool any = false;
	if (!td_appendf(out, cap - 2, &o, "Unsupported: ")) {
		return;
	}
	for (unsigned i = 0; i < v->nunsupported && i < TD_SIP_MAX_UNSUPPORTED; i++) {
		if (td_appendf(out, cap - 2, &o, "%s%.*s", any ? ", " : "",
		        (int)v->unsupported[i].n, v->unsupported[i].p)) {
			any = true;
		}
	}
	if (!any) {
		out[0] = '\0'; /* not one tag fits: no header rather than an empty one */
		return;
	}
	(void)td_appendf(out, cap, &o, "\r\n");
}
