/* SPDX-License-Identifier: MIT */
/* Datagram and stream framing of SIP messages (see frame.h for the rules). */
#include "sip/frame.h"

#include <string.h>

#include "sip/lex.h"

/*
 * fail: the framing refuses buf.  m is still indexed as far as the parser
 * gets (its start line and header lines), so that a server can build the
 * error response from the request's own Via, From, To, Call-ID and CSeq.
 */
static int
fail(td_sip_msg *m, const char *buf, size_t len, int err, int status, const char *why)
{
	if (td_sip_parse(m, buf, len) != 0) {
		/* whatever could be indexed is; m->is_request is set either way */
	}
	m->err_status = status;
	m->err_reason = why;
	return (err);
}

/* only_crlf: every octet of buf[0, len) is CR or LF. */
static bool
only_crlf(const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (buf[i] != '\r' && buf[i] != '\n') {
			return (false);
		}
	}
	return (true);
}

int
td_sip_frame_datagram(td_sip_msg *m, const char *buf, size_t len, size_t max)
{
	if (max != 0 && len > max) {
		return (fail(m, buf, len, TD_ETOOBIG, 513, "Message Too Large"));
	}
	if (only_crlf(buf, len)) {
		return (TD_SIP_FRAME_PING);
	}
	int rc = td_sip_parse(m, buf, len);
	if (rc != 0) {
		return (rc);
	}
	bool have = false;
	uint32_t cl = 0;
	for (const td_sip_hdr *h = td_sip_hdr_first(m, TD_SIP_H_CONTENT_LENGTH); h != NULL;
	     h = td_sip_hdr_next(m, h)) {
		uint32_t v;
		if (sip_u32(h->value, &v) != 0) {
			return (fail(m, buf, len, TD_EPROTO, 400, "Bad Content-Length"));
		}
		if (have && v != cl) {
			return (fail(m, buf, len, TD_EPROTO, 400, "Conflicting Content-Length"));
		}
		have = true;
		cl = v;
	}
	if (have) {
		if (cl > m->body.n) {
			return (
			    fail(m, buf, len, TD_EPROTO, 400, "Content-Length Exceeds Datagram"));
		}
		m->body.n = cl;
		m->len = m->hdr_len + cl;
	}
	return (TD_SIP_FRAME_MSG);
}

/*
 * scan_cl reads the Content-Length of a header section p[i, end) (i at the
 * first header line, end just after the empty line) without indexing it:
 * long or compact name in any case, value 1*DIGIT with LWS around it,
 * folds included.  Sets *found and *cl.  Returns 0 or TD_EPROTO (not a
 * number, too big, or two different values).
 */
static int
scan_cl(const char *p, size_t i, size_t end, bool *found, uint32_t *cl)
{
	int phase = -1; /* -1 other header, 0 before digits, 1 digits, 2 after */
	uint64_t v = 0;
	*found = false;
	for (;;) {
		const char *nl = memchr(p + i, '\n', end - i);
		size_t le = nl != NULL ? (size_t)(nl - p) : end;
		size_t ce = le > i && p[le - 1] == '\r' ? le - 1 : le;
		bool blank = ce == i;
		bool fold = !blank && (p[i] == ' ' || p[i] == '\t');
		size_t k = i;
		if (!fold && phase >= 0) {
			/* the previous header was a Content-Length: close it */
			if (phase == 0 || (*found && v != *cl)) {
				return (TD_EPROTO);
			}
			*found = true;
			*cl = (uint32_t)v;
			phase = -1;
		}
		if (blank || le >= end) {
			return (0);
		}
		if (!fold) {
			size_t ne = sip_span(p, i, ce, SIP_C_TOKEN);
			bool is_cl = (ne - i == 1 && (p[i] | 0x20) == 'l')
			    || (ne - i == 14
			        && td_sip_str_caseeq_c(
			            (td_sip_str) { p + i, 14 }, "content-length"));
			k = ne;
			while (k < ce && (p[k] == ' ' || p[k] == '\t')) {
				k++;
			}
			if (is_cl && k < ce && p[k] == ':') {
				phase = 0;
				v = 0;
				k++;
			}
		}
		for (; phase >= 0 && k < ce; k++) {
			char c = p[k];
			if (c == ' ' || c == '\t' || c == '\r') {
				phase = phase == 1 ? 2 : phase;
			} else if (c >= '0' && c <= '9' && phase <= 1) {
				phase = 1;
				v = v * 10 + (uint64_t)(c - '0');
				if (v > UINT32_MAX) {
					return (TD_EPROTO);
				}
			} else {
				return (TD_EPROTO);
			}
		}
		i = le + 1;
	}
}

/* header_end: the index just after the first empty line at or after i, or 0 if none yet. */
static size_t
header_end(const char *p, size_t i, size_t len)
{
	while (i < len) {
		const char *nl = memchr(p + i, '\n', len - i);
		if (nl == NULL) {
			return (0);
		}
		size_t k = (size_t)(nl - p) + 1;
		if (k < len && p[k] == '\n') {
			return (k + 1);
		}
		if (k + 1 < len && p[k] == '\r' && p[k + 1] == '\n') {
			return (k + 2);
		}
		i = k;
	}
	return (0);
}

int
td_sip_frame_stream(td_sip_msg *m, const char *buf, size_t len, size_t max, size_t *used)
{
	*used = 0;
	if (len >= 4 && memcmp(buf, "\r\n\r\n", 4) == 0) {
		*used = 4;
		return (TD_SIP_FRAME_PING);
	}
	size_t start = 0;
	while (start < len && (buf[start] == '\r' || buf[start] == '\n')) {
		start++;
	}
	if (start == len) {
		/* all CR/LF: maybe the first half of a ping; keep it until more comes */
		bool prefix = len < 4 && memcmp(buf, "\r\n\r\n", len) == 0;
		*used = prefix ? 0 : len;
		return (TD_SIP_FRAME_MORE);
	}
	*used = start;
	const char *p = buf + start;
	size_t avail = len - start;
	size_t hend = header_end(p, 0, avail);
	if (hend == 0) {
		if (max != 0 && avail > max) {
			return (fail(m, p, avail, TD_ETOOBIG, 513, "Message Too Large"));
		}
		return (TD_SIP_FRAME_MORE);
	}
	/* skip the start line, then read Content-Length */
	const char *nl = memchr(p, '\n', hend);
	bool found;
	uint32_t cl = 0;
	if (nl != NULL && (size_t)(nl - p) + 1 < hend
	    && scan_cl(p, (size_t)(nl - p) + 1, hend, &found, &cl) != 0) {
		return (fail(m, p, avail, TD_EPROTO, 400, "Bad Content-Length"));
	}
	if (max != 0 && (hend > max || cl > max - hend)) {
		return (fail(m, p, avail, TD_ETOOBIG, 513, "Message Too Large"));
	}
	size_t total = hend + cl;
	if (avail < total) {
		return (TD_SIP_FRAME_MORE);
	}
	*used = start + total;
	if (td_sip_parse(m, p, total) != 0) {
		return (TD_SIP_FRAME_BAD);
	}
	return (TD_SIP_FRAME_MSG);
}
