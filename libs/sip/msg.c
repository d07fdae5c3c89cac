/* SPDX-License-Identifier: MIT */
/*
 * The one-pass indexer: start line and header lines (RFC 3261 §7), with
 * line folding, compact names, CRLF or bare-LF line ends.  Header values
 * are not looked into here; that is the lazy parsers' job (hdr_*.c).
 */
#include <string.h>

#include "sip/lex.h"
#include "sip/sip.h"

static int
fail(td_sip_msg *m, int err, int status, const char *why)
{
	m->err_status = status;
	m->err_reason = why;
	return (err);
}

/* version_ok: "SIP" "/" 1*DIGIT "." 1*DIGIT, "SIP" in any case. */
static bool
version_ok(const char *p, size_t n)
{
	if (n < 7 || (p[0] | 0x20) != 's' || (p[1] | 0x20) != 'i' || (p[2] | 0x20) != 'p'
	    || p[3] != '/') {
		return (false);
	}
	size_t i = sip_span(p, 4, n, SIP_C_DIGIT);
	if (i == 4 || i >= n || p[i] != '.') {
		return (false);
	}
	size_t j = sip_span(p, i + 1, n, SIP_C_DIGIT);
	return (j > i + 1 && j == n);
}

/* Request-Line = Method SP Request-URI SP SIP-Version; exactly one SP each. */
static int
parse_request_line(td_sip_msg *m, const char *p, size_t n)
{
	const char *sp1 = memchr(p, ' ', n);
	if (sp1 == NULL || sp1 == p) {
		return (fail(m, TD_EPROTO, 400, "Bad Request-Line"));
	}
	size_t mlen = (size_t)(sp1 - p);
	if (sip_span(p, 0, mlen, SIP_C_TOKEN) != mlen) {
		return (fail(m, TD_EPROTO, 400, "Bad Method"));
	}
	const char *u = sp1 + 1;
	const char *end = p + n;
	const char *sp2 = memchr(u, ' ', (size_t)(end - u));
	if (sp2 == NULL || sp2 == u) {
		return (fail(m, TD_EPROTO, 400, "Bad Request-Line"));
	}
	for (const char *c = u; c < sp2; c++) {
		if ((unsigned char)*c <= 0x20 || *c == 0x7f) {
			return (fail(m, TD_EPROTO, 400, "Bad Request-URI"));
		}
	}
	const char *v = sp2 + 1;
	if (!version_ok(v, (size_t)(end - v))) {
		return (fail(m, TD_EPROTO, 400, "Bad SIP-Version"));
	}
	m->method = (td_sip_str) { p, mlen };
	m->method_id = td_sip_method_lookup(m->method);
	m->ruri = (td_sip_str) { u, (size_t)(sp2 - u) };
	m->version = (td_sip_str) { v, (size_t)(end - v) };
	return (0);
}

/* Status-Line = SIP-Version SP 3DIGIT SP Reason-Phrase (the last SP may be missing). */
static int
parse_status_line(td_sip_msg *m, const char *p, size_t n)
{
	const char *sp = memchr(p, ' ', n);
	if (sp == NULL || !version_ok(p, (size_t)(sp - p))) {
		return (fail(m, TD_EPROTO, 400, "Bad Status-Line"));
	}
	size_t i = (size_t)(sp - p) + 1;
	size_t j = sip_span(p, i, n, SIP_C_DIGIT);
	if (j - i != 3 || (j < n && p[j] != ' ')) {
		return (fail(m, TD_EPROTO, 400, "Bad Status-Code"));
	}
	unsigned code = (unsigned)(p[i] - '0') * 100 + (unsigned)(p[i + 1] - '0') * 10
	    + (unsigned)(p[i + 2] - '0');
	if (code < 100 || code > 699) {
		return (fail(m, TD_EPROTO, 400, "Bad Status-Code"));
	}
	m->version = (td_sip_str) { p, (size_t)(sp - p) };
	m->status = (uint16_t)code;
	m->reason = j < n ? (td_sip_str) { p + j + 1, n - j - 1 } : (td_sip_str) { p + j, 0 };
	return (0);
}

static void
add_header(td_sip_msg *m, const char *name, size_t nlen, const char *v, size_t vlen, size_t raw_len)
{
	uint8_t idx = (uint8_t)m->nhdrs++;
	td_sip_hdr *h = &m->hdrs[idx];
	td_sip_hdr_type t = td_sip_hdr_lookup(name, nlen);
	h->name = (td_sip_str) { name, nlen };
	h->value = (td_sip_str) { v, vlen };
	h->raw_len = (uint32_t)raw_len;
	h->type = (uint8_t)t;
	h->next = TD_SIP_HDR_NONE;
	if (m->first[t] == TD_SIP_HDR_NONE) {
		m->first[t] = idx;
	} else {
		m->hdrs[m->last[t]].next = idx;
	}
	m->last[t] = idx;
	if (m->count[t] < UINT8_MAX) {
		m->count[t]++;
	}
}

/*
 * line_end: from i, find the end of one physical line.  Sets *ce to the
 * end of its content (before CR LF or LF) and returns the index after the
 * terminator, or n if the input ends without one (then *ce = n).  A CR
 * that is not right before the LF is an error: returns (size_t)-1.
 */
static size_t
line_end(const char *p, size_t i, size_t n, size_t *ce)
{
	const char *nl = memchr(p + i, '\n', n - i);
	size_t e = nl != NULL ? (size_t)(nl - p) : n;
	const char *cr = memchr(p + i, '\r', e - i);
	if (cr != NULL && (nl == NULL || cr != nl - 1)) {
		return ((size_t)-1);
	}
	*ce = cr != NULL ? e - 1 : e;
	return (nl != NULL ? e + 1 : n);
}

int
td_sip_parse(td_sip_msg *m, const char *buf, size_t len)
{
	m->buf = buf;
	m->len = len;
	m->nhdrs = 0;
	m->unterminated = false;
	m->method = m->ruri = m->reason = m->version = m->body = TD_SIP_STR_NULL;
	m->method_id = TD_SIP_METHOD_OTHER;
	m->status = 0;
	m->hdr_len = 0;
	m->err_status = 0;
	m->err_reason = NULL;
	memset(m->first, TD_SIP_HDR_NONE, sizeof(m->first));
	memset(m->count, 0, sizeof(m->count));
	m->is_request = !(len >= 4 && (buf[0] | 0x20) == 's' && (buf[1] | 0x20) == 'i'
	    && (buf[2] | 0x20) == 'p' && buf[3] == '/');

	size_t ce;
	size_t pos = len == 0 ? (size_t)-1 : line_end(buf, 0, len, &ce);
	if (pos == (size_t)-1) {
		return (fail(m, TD_EPROTO, 400, "Bad Start-Line"));
	}
	int rc = m->is_request ? parse_request_line(m, buf, ce) : parse_status_line(m, buf, ce);
	if (rc != 0) {
		return (rc);
	}

	for (;;) {
		if (pos >= len) {
			m->unterminated = true;
			m->hdr_len = len;
			break;
		}
		char c = buf[pos];
		if (c == '\n' || (c == '\r' && pos + 1 < len && buf[pos + 1] == '\n')) {
			m->hdr_len = pos + (c == '\n' ? 1 : 2);
			break;
		}
		/* name [WS] ":" -- a line starting with WS here is a fold with nothing to fold */
		size_t ne = sip_span(buf, pos, len, SIP_C_TOKEN);
		if (ne == pos) {
			return (fail(m, TD_EPROTO, 400, "Bad Header Name"));
		}
		size_t k = ne;
		while (k < len && (buf[k] == ' ' || buf[k] == '\t')) {
			k++;
		}
		if (k >= len || buf[k] != ':') {
			return (fail(m, TD_EPROTO, 400, "Bad Header Line"));
		}
		/* the value runs over folded lines until a line end not followed by WS */
		size_t vs = k + 1, x = vs, next, vend;
		for (;;) {
			next = line_end(buf, x, len, &vend);
			if (next == (size_t)-1) {
				return (fail(m, TD_EPROTO, 400, "Bare CR in Header"));
			}
			if (next < len && (buf[next] == ' ' || buf[next] == '\t')) {
				x = next;
				continue;
			}
			break;
		}
		if (m->nhdrs >= TD_SIP_MAX_HEADERS) {
			return (fail(m, TD_ETOOBIG, 513, "Too Many Headers"));
		}
		size_t v0 = sip_skip_lws(buf, vs, vend);
		size_t v1 = vend;
		while (v1 > v0 && sip_is(buf[v1 - 1], SIP_C_LWS)) {
			v1--;
		}
		add_header(m, buf + pos, ne - pos, buf + v0, v1 - v0, next - pos);
		pos = next;
	}
	m->body = (td_sip_str) { buf + m->hdr_len, len - m->hdr_len };
	return (0);
}

const td_sip_hdr *
td_sip_hdr_find(const td_sip_msg *m, const char *name)
{
	td_sip_hdr_type t = td_sip_hdr_lookup(name, strlen(name));
	if (t != TD_SIP_H_OTHER) {
		return (td_sip_hdr_first(m, t));
	}
	td_sip_str want = td_sip_str_c(name);
	for (const td_sip_hdr *h = td_sip_hdr_first(m, TD_SIP_H_OTHER); h != NULL;
	     h = td_sip_hdr_next(m, h)) {
		if (td_sip_str_caseeq(h->name, want)) {
			return (h);
		}
	}
	return (NULL);
}
