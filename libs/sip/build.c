/* SPDX-License-Identifier: MIT */
/* Message builders: responses, forwarded requests, CANCEL, ACK, plain requests. */
#include "sip/build.h"

#include <string.h>

#include "sip/hdr.h"

/* ---- helpers -------------------------------------------------------------- */

/* clean: no CR, LF or NUL, so the string cannot end a line or a header section. */
static bool
clean(td_sip_str s)
{
	for (size_t i = 0; i < s.n; i++) {
		if (s.p[i] == '\r' || s.p[i] == '\n' || s.p[i] == '\0') {
			return (false);
		}
	}
	return (true);
}

static bool
clean_c(const char *s)
{
	return (s == NULL || clean(td_sip_str_c(s)));
}

/* clean_token: non-empty, no LWS or CTL (method, transport, sent-by, Request-URI). */
static bool
clean_token(td_sip_str s)
{
	if (s.n == 0) {
		return (false);
	}
	for (size_t i = 0; i < s.n; i++) {
		if ((unsigned char)s.p[i] <= 0x20 || s.p[i] == 0x7f) {
			return (false);
		}
	}
	return (true);
}

/* headers_ok: NULL, or header lines each ending in CRLF, with no empty line and no bare CR/LF. */
static bool
headers_ok(const char *h)
{
	if (h == NULL || h[0] == '\0') {
		return (true);
	}
	size_t n = strlen(h);
	if (n < 2 || h[n - 2] != '\r' || h[n - 1] != '\n' || h[0] == '\r') {
		return (false);
	}
	for (size_t i = 0; i < n; i++) {
		if (h[i] == '\r' && (i + 1 >= n || h[i + 1] != '\n')) {
			return (false);
		}
		if (h[i] == '\n'
		    && (i == 0 || h[i - 1] != '\r' || (i + 1 < n && h[i + 1] == '\r'))) {
			return (false);
		}
	}
	return (true);
}

static void
put(td_buf *b, td_sip_str s)
{
	td_buf_append(b, s.p, s.n);
}

/* put_norm appends p[0, n) turning every bare LF into CRLF. */
static void
put_norm(td_buf *b, const char *p, size_t n)
{
	size_t i = 0;
	while (i < n) {
		const char *nl = memchr(p + i, '\n', n - i);
		if (nl == NULL) {
			td_buf_append(b, p + i, n - i);
			return;
		}
		size_t k = (size_t)(nl - p);
		if (k > 0 && p[k - 1] == '\r') {
			td_buf_append(b, p + i, k + 1 - i);
		} else {
			td_buf_append(b, p + i, k - i);
			td_buf_append(b, "\r\n", 2);
		}
		i = k + 1;
	}
}

/* line_end: one past the last byte of h's line (its terminator included). */
static const char *
line_end(const td_sip_hdr *h)
{
	return (h->name.p + h->raw_len);
}

/* put_line copies a header line as received; one that ended the input gets a CRLF. */
static void
put_line(td_buf *b, const td_sip_hdr *h)
{
	put_norm(b, h->name.p, h->raw_len);
	if (h->raw_len == 0 || h->name.p[h->raw_len - 1] != '\n') {
		td_buf_append(b, "\r\n", 2);
	}
}

/* put_upto: h's line from its name up to end (no terminator). */
static void
put_upto(td_buf *b, const td_sip_hdr *h, const char *end)
{
	put_norm(b, h->name.p, (size_t)(end - h->name.p));
}

/*
 * put_top_via copies the first Via line, adding received= and filling a
 * bare rport in its first value (RFC 3261 §18.2.1, RFC 3581 §4).
 */
static void
put_top_via(td_buf *b, const td_sip_hdr *h, td_sip_str received, uint16_t rport)
{
	td_sip_via v;
	size_t pos = 0;
	bool add_rec = received.n > 0;
	if ((!add_rec && rport == 0) || td_sip_via_parse(h->value, &pos, &v) != 0) {
		put_line(b, h);
		return;
	}
	const char *vend = v.raw.p + v.raw.n;
	if (rport != 0 && v.has_rport && v.rport.p == NULL) {
		const char *rn = v.rport_name.p + v.rport_name.n;
		put_upto(b, h, rn);
		td_buf_printf(b, "=%u", (unsigned)rport);
		put_norm(b, rn, (size_t)(vend - rn));
	} else {
		put_upto(b, h, vend);
	}
	if (add_rec && !v.has_received) {
		td_buf_puts(b, ";received=");
		put(b, received);
	}
	put_norm(b, vend, (size_t)(line_end(h) - vend));
	if (h->name.p[h->raw_len - 1] != '\n') {
		td_buf_append(b, "\r\n", 2);
	}
}

static void
put_body(td_buf *b, const char *ctype, const void *body, size_t n)
{
	if (ctype != NULL && n > 0) {
		td_buf_printf(b, "Content-Type: %s\r\n", ctype);
	}
	td_buf_printf(b, "Content-Length: %zu\r\n\r\n", n);
	if (n > 0) {
		td_buf_append(b, body, n);
	}
}

/* finish: TD_ENOMEM if b failed; on TD_EINVAL, b goes back to mark. */
static int
finish(td_buf *b, size_t mark, int rc)
{
	if (rc == TD_EINVAL && !b->failed && b->data != NULL) {
		b->len = mark;
		b->data[mark] = '\0';
	}
	if (b->failed) {
		return (TD_ENOMEM);
	}
	return (rc);
}

static void
put_all(td_buf *b, const td_sip_msg *m, td_sip_hdr_type t)
{
	for (const td_sip_hdr *h = td_sip_hdr_first(m, t); h != NULL; h = td_sip_hdr_next(m, h)) {
		put_line(b, h);
	}
}

static void
put_first(td_buf *b, const td_sip_msg *m, td_sip_hdr_type t)
{
	const td_sip_hdr *h = td_sip_hdr_first(m, t);
	if (h != NULL) {
		put_line(b, h);
	}
}

static void
put_our_via(td_buf *b, const char *transport, td_sip_str sent_by, td_sip_str branch, bool rport)
{
	td_buf_printf(b, "Via: SIP/2.0/%s ", transport);
	put(b, sent_by);
	td_buf_puts(b, ";branch=");
	put(b, branch);
	td_buf_puts(b, rport ? ";rport\r\n" : "\r\n");
}

static bool
via_opts_ok(const char *transport, td_sip_str sent_by, td_sip_str branch)
{
	return (transport != NULL && clean_token(td_sip_str_c(transport)) && clean_token(sent_by)
	    && clean_token(branch));
}

/* ---- responses ---------------------------------------------------------------- */

int
td_sip_build_response(td_buf *b, const td_sip_msg *req, int status, const td_sip_resp_opts *o)
{
	static const td_sip_resp_opts none;
	size_t mark = b->len;
	/* one allocation instead of a doubling series: the response is about the request's headers */
	td_buf_reserve(b, req->hdr_len + 512 + (o != NULL ? o->body_len : 0));
	if (o == NULL) {
		o = &none;
	}
	const char *reason = o->reason != NULL ? o->reason : td_sip_reason_phrase(status);
	if (!req->is_request || status < 100 || status > 699 || !clean_c(reason)
	    || !clean(o->to_tag) || (o->received.n > 0 && !clean_token(o->received))
	    || !headers_ok(o->headers) || !clean_c(o->content_type)) {
		return (finish(b, mark, TD_EINVAL));
	}
	td_buf_printf(b, "SIP/2.0 %d %s\r\n", status, reason);
	for (const td_sip_hdr *h = td_sip_hdr_first(req, TD_SIP_H_VIA); h != NULL;
	     h = td_sip_hdr_next(req, h)) {
		if (h == td_sip_hdr_first(req, TD_SIP_H_VIA)) {
			put_top_via(b, h, o->received, o->rport);
		} else {
			put_line(b, h);
		}
	}
	put_first(b, req, TD_SIP_H_FROM);
	const td_sip_hdr *to = td_sip_hdr_first(req, TD_SIP_H_TO);
	td_sip_addr a;
	size_t pos = 0;
	if (to != NULL && status > 100 && o->to_tag.n > 0
	    && td_sip_addr_parse(to->value, &pos, 0, &a) == 0 && !a.has_tag) {
		put_upto(b, to, to->value.p + to->value.n);
		td_buf_puts(b, ";tag=");
		put(b, o->to_tag);
		td_buf_puts(b, "\r\n");
	} else if (to != NULL) {
		put_line(b, to);
	}
	put_first(b, req, TD_SIP_H_CALL_ID);
	put_first(b, req, TD_SIP_H_CSEQ);
	if (o->headers != NULL) {
		td_buf_puts(b, o->headers);
	}
	put_body(b, o->content_type, o->body, o->body_len);
	return (finish(b, mark, 0));
}

/* ---- forwarding ------------------------------------------------------------- */

int
td_sip_build_forward(td_buf *b, const td_sip_msg *req, const td_sip_fwd_opts *o)
{
	size_t mark = b->len;
	td_buf_reserve(b, req->len + 512 + (o->headers != NULL ? strlen(o->headers) : 0));
	uint32_t mf = 70;
	int rc = td_sip_max_forwards(req, &mf);
	bool has_mf = rc == 0;
	td_sip_str ruri = o->ruri.n > 0 ? o->ruri : req->ruri;
	if (!req->is_request || (rc != 0 && rc != TD_ENOTFOUND) || (has_mf && mf == 0)
	    || !clean_token(ruri) || !via_opts_ok(o->via_transport, o->via_sent_by, o->branch)
	    || (o->record_route.n > 0 && !clean_token(o->record_route))
	    || (o->received.n > 0 && !clean_token(o->received)) || !headers_ok(o->headers)
	    || (o->pop_route && td_sip_hdr_first(req, TD_SIP_H_ROUTE) == NULL)) {
		return (finish(b, mark, TD_EINVAL));
	}

	put(b, req->method);
	td_buf_putc(b, ' ');
	put(b, ruri);
	td_buf_puts(b, " SIP/2.0\r\n");
	/* Record-Route first, so that our Via stays next to the others (UAs that
	 * copy "the Via lines" as one block, like SIPp's regexps, rely on it). */
	if (o->record_route.n > 0) {
		td_buf_puts(b, "Record-Route: <");
		put(b, o->record_route);
		td_buf_puts(b, ">\r\n");
	}
	put_our_via(b, o->via_transport, o->via_sent_by, o->branch, o->via_rport);
	bool first_via = true, first_route = true, mf_done = false;
	for (uint16_t i = 0; i < req->nhdrs; i++) {
		const td_sip_hdr *h = &req->hdrs[i];
		switch (h->type) {
		case TD_SIP_H_VIA:
			if (first_via) {
				put_top_via(b, h, o->received, o->rport);
				first_via = false;
				continue;
			}
			break;
		case TD_SIP_H_MAX_FORWARDS:
			if (!mf_done) {
				td_buf_printf(b, "Max-Forwards: %u\r\n", (unsigned)(mf - 1));
				mf_done = true;
			}
			continue;
		case TD_SIP_H_ROUTE:
			if (o->pop_route && first_route) {
				first_route = false;
				td_sip_addr a;
				size_t pos = 0;
				if (td_sip_addr_parse(h->value, &pos, TD_SIP_ADDR_LIST, &a) != 0) {
					return (finish(b, mark, TD_EINVAL));
				}
				if (pos < h->value.n) {
					/* keep the rest of this line's values */
					put_upto(b, h, h->value.p);
					put_norm(b, h->value.p + pos, h->value.n - pos);
					td_buf_puts(b, "\r\n");
				}
				continue;
			}
			break;
		default: break;
		}
		put_line(b, h);
	}
	if (!has_mf) {
		td_buf_puts(b, "Max-Forwards: 70\r\n");
	}
	if (td_sip_hdr_first(req, TD_SIP_H_CONTENT_LENGTH) == NULL) {
		td_buf_printf(b, "Content-Length: %zu\r\n", req->body.n);
	}
	if (o->headers != NULL) {
		td_buf_puts(b, o->headers);
	}
	td_buf_puts(b, "\r\n");
	put(b, req->body);
	return (finish(b, mark, 0));
}

/* ---- CANCEL and ACK ------------------------------------------------------------ */

/* cancel_or_ack: the shared shape of CANCEL (§9.1) and non-2xx ACK (§17.1.1.3). */
static int
cancel_or_ack(td_buf *b, const td_sip_msg *inv, const td_sip_msg *resp, const char *method)
{
	size_t mark = b->len;
	td_sip_via v;
	td_sip_cseq cs;
	if (!inv->is_request || inv->method_id != TD_SIP_INVITE || td_sip_via_top(inv, &v) != 0
	    || td_sip_cseq_get(inv, &cs) != 0 || !clean_token(inv->ruri)
	    || td_sip_hdr_first(inv, TD_SIP_H_FROM) == NULL
	    || td_sip_hdr_first(resp != NULL ? resp : inv, TD_SIP_H_TO) == NULL
	    || td_sip_hdr_first(inv, TD_SIP_H_CALL_ID) == NULL) {
		return (finish(b, mark, TD_EINVAL));
	}
	td_buf_printf(b, "%s ", method);
	put(b, inv->ruri);
	td_buf_puts(b, " SIP/2.0\r\nVia: ");
	put_norm(b, v.raw.p, v.raw.n);
	td_buf_puts(b, "\r\n");
	put_all(b, inv, TD_SIP_H_ROUTE);
	td_buf_puts(b, "Max-Forwards: 70\r\n");
	put_first(b, inv, TD_SIP_H_FROM);
	put_first(b, resp != NULL ? resp : inv, TD_SIP_H_TO);
	put_first(b, inv, TD_SIP_H_CALL_ID);
	td_buf_printf(b, "CSeq: %u %s\r\nContent-Length: 0\r\n\r\n", (unsigned)cs.num, method);
	return (finish(b, mark, 0));
}

int
td_sip_build_cancel(td_buf *b, const td_sip_msg *invite)
{
	return (cancel_or_ack(b, invite, NULL, "CANCEL"));
}

int
td_sip_build_ack(td_buf *b, const td_sip_msg *invite, const td_sip_msg *resp)
{
	if (resp->is_request || resp->status < 300) {
		return (finish(b, b->len, TD_EINVAL));
	}
	return (cancel_or_ack(b, invite, resp, "ACK"));
}

/* ---- plain requests ------------------------------------------------------------- */

int
td_sip_build_request(td_buf *b, const td_sip_req_opts *o)
{
	size_t mark = b->len;
	if (o->method == NULL || !clean_token(td_sip_str_c(o->method)) || !clean_token(o->ruri)
	    || !via_opts_ok(o->via_transport, o->via_sent_by, o->branch) || o->from.n == 0
	    || !clean(o->from) || !clean_token(o->from_tag) || o->to.n == 0 || !clean(o->to)
	    || !clean(o->to_tag) || !clean_token(o->call_id) || !clean(o->contact)
	    || !headers_ok(o->headers) || !clean_c(o->content_type)) {
		return (finish(b, mark, TD_EINVAL));
	}
	td_buf_printf(b, "%s ", o->method);
	put(b, o->ruri);
	td_buf_puts(b, " SIP/2.0\r\n");
	put_our_via(b, o->via_transport, o->via_sent_by, o->branch, o->via_rport);
	td_buf_printf(b,
	    "Max-Forwards: %u\r\nFrom: ", (unsigned)(o->max_forwards != 0 ? o->max_forwards : 70));
	put(b, o->from);
	td_buf_puts(b, ";tag=");
	put(b, o->from_tag);
	td_buf_puts(b, "\r\nTo: ");
	put(b, o->to);
	if (o->to_tag.n > 0) {
		td_buf_puts(b, ";tag=");
		put(b, o->to_tag);
	}
	td_buf_puts(b, "\r\nCall-ID: ");
	put(b, o->call_id);
	td_buf_printf(b, "\r\nCSeq: %u %s\r\n", (unsigned)o->cseq, o->method);
	if (o->contact.n > 0) {
		td_buf_puts(b, "Contact: ");
		put(b, o->contact);
		td_buf_puts(b, "\r\n");
	}
	if (o->headers != NULL) {
		td_buf_puts(b, o->headers);
	}
	put_body(b, o->content_type, o->body, o->body_len);
	return (finish(b, mark, 0));
}

int
td_sip_put_challenges(td_buf *b, const td_sip_msg *m)
{
	int n = 0;
	for (size_t i = 0; i < m->nhdrs; i++) {
		const td_sip_hdr *h = &m->hdrs[i];
		if (h->type == TD_SIP_H_WWW_AUTHENTICATE || h->type == TD_SIP_H_PROXY_AUTHENTICATE) {
			put_line(b, h);
			n++;
		}
	}
	return (n);
}

int
td_sip_build_with_headers(td_buf *b, const char *msg, size_t len, const char *hdrs, size_t hlen)
{
	size_t mark = b->len;
	td_sip_msg m;
	if (td_sip_parse(&m, msg, len) != 0 || m.unterminated || m.hdr_len < 2 || m.hdr_len > len) {
		return (TD_EINVAL);
	}
	/* the empty line that ends the header section: CRLF, or a bare LF */
	size_t at = msg[m.hdr_len - 1] == '\n' && msg[m.hdr_len - 2] == '\r' ? m.hdr_len - 2
	                                                                        : m.hdr_len - 1;
	td_buf_append(b, msg, at);
	td_buf_append(b, hdrs, hlen);
	td_buf_append(b, msg + at, len - at);
	return (finish(b, mark, TD_OK));
}
