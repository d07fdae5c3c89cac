/* SPDX-License-Identifier: MIT */
/*
 * SIP messages: a zero-copy index over one message in a caller's buffer.
 *
 * td_sip_parse() makes one pass over the start line and the header section
 * and records, for every header line, its name, its value and its type
 * (compact and long forms, any case, map to the same td_sip_hdr_type).
 * Nothing is allocated and nothing is copied: every td_sip_str points into
 * the buffer, which must outlive the message.  Header values are parsed
 * only when asked, by the functions in sip/hdr.h; URIs by sip/uri.h.
 * Framing (how long the message is, where the body ends) is sip/frame.h,
 * validation sip/check.h, building messages sip/build.h.
 *
 * Every function here is pure and reentrant: many threads may parse at once,
 * each into its own td_sip_msg.  A td_sip_msg is about 5 KiB (the fixed
 * header index), so it can live on a worker's stack.
 */
#ifndef TD_SIP_SIP_H
#define TD_SIP_SIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sip/str.h"
#include "util/err.h"

/* The most header lines one message may have; more is a 513 error. */
#define TD_SIP_MAX_HEADERS 128

/* Methods the library knows by name (RFC 3261 and extensions).  Case-sensitive. */
typedef enum td_sip_method {
	TD_SIP_METHOD_OTHER = 0, /* any other token: see td_sip_msg.method */
	TD_SIP_INVITE,
	TD_SIP_ACK,
	TD_SIP_BYE,
	TD_SIP_CANCEL,
	TD_SIP_OPTIONS,
	TD_SIP_REGISTER,
	TD_SIP_PRACK,
	TD_SIP_SUBSCRIBE,
	TD_SIP_NOTIFY,
	TD_SIP_PUBLISH,
	TD_SIP_INFO,
	TD_SIP_REFER,
	TD_SIP_MESSAGE,
	TD_SIP_UPDATE,
	TD_SIP_METHOD__COUNT
} td_sip_method;

/* Header types.  The comment gives the canonical name and the compact form. */
typedef enum td_sip_hdr_type {
	TD_SIP_H_OTHER = 0, /* any header the library does not know */
	TD_SIP_H_VIA, /* Via (v) */
	TD_SIP_H_FROM, /* From (f) */
	TD_SIP_H_TO, /* To (t) */
	TD_SIP_H_CALL_ID, /* Call-ID (i) */
	TD_SIP_H_CSEQ, /* CSeq */
	TD_SIP_H_CONTACT, /* Contact (m) */
	TD_SIP_H_MAX_FORWARDS, /* Max-Forwards */
	TD_SIP_H_CONTENT_LENGTH, /* Content-Length (l) */
	TD_SIP_H_CONTENT_TYPE, /* Content-Type (c) */
	TD_SIP_H_CONTENT_ENCODING, /* Content-Encoding (e) */
	TD_SIP_H_ROUTE, /* Route */
	TD_SIP_H_RECORD_ROUTE, /* Record-Route */
	TD_SIP_H_EXPIRES, /* Expires */
	TD_SIP_H_MIN_EXPIRES, /* Min-Expires */
	TD_SIP_H_AUTHORIZATION, /* Authorization */
	TD_SIP_H_PROXY_AUTHORIZATION, /* Proxy-Authorization */
	TD_SIP_H_WWW_AUTHENTICATE, /* WWW-Authenticate */
	TD_SIP_H_PROXY_AUTHENTICATE, /* Proxy-Authenticate */
	TD_SIP_H_REQUIRE, /* Require */
	TD_SIP_H_PROXY_REQUIRE, /* Proxy-Require */
	TD_SIP_H_SUPPORTED, /* Supported (k) */
	TD_SIP_H_UNSUPPORTED, /* Unsupported */
	TD_SIP_H_ALLOW, /* Allow */
	TD_SIP_H_ALLOW_EVENTS, /* Allow-Events (u) */
	TD_SIP_H_EVENT, /* Event (o) */
	TD_SIP_H_SUBJECT, /* Subject (s) */
	TD_SIP_H_REFER_TO, /* Refer-To (r) */
	TD_SIP_H_REFERRED_BY, /* Referred-By (b) */
	TD_SIP_H_SESSION_EXPIRES, /* Session-Expires (x) */
	TD_SIP_H_ACCEPT, /* Accept */
	TD_SIP_H_ACCEPT_CONTACT, /* Accept-Contact (a) */
	TD_SIP_H_REJECT_CONTACT, /* Reject-Contact (j) */
	TD_SIP_H_REQUEST_DISPOSITION, /* Request-Disposition (d) */
	TD_SIP_H_IDENTITY, /* Identity (y) */
	TD_SIP_H_IDENTITY_INFO, /* Identity-Info (n) */
	TD_SIP_H_PATH, /* Path */
	TD_SIP_H_SERVICE_ROUTE, /* Service-Route */
	TD_SIP_H_USER_AGENT, /* User-Agent */
	TD_SIP_H_SERVER, /* Server */
	TD_SIP_H_DATE, /* Date */
	TD_SIP_H_RETRY_AFTER, /* Retry-After */
	TD_SIP_H_WARNING, /* Warning */
	TD_SIP_H_TIMESTAMP, /* Timestamp */
	TD_SIP_H_P_ASSERTED_IDENTITY, /* P-Asserted-Identity */
	TD_SIP_H_P_PREFERRED_IDENTITY, /* P-Preferred-Identity */
	TD_SIP_H_REASON, /* Reason */
	TD_SIP_H_PRIVACY, /* Privacy */
	TD_SIP_H__COUNT
} td_sip_hdr_type;

#define TD_SIP_HDR_NONE 0xffu /* "no header" in the index links */

/* The index links are uint8_t: the cap must stay below the "none" marker. */
_Static_assert(TD_SIP_MAX_HEADERS < TD_SIP_HDR_NONE, "header index links are uint8_t");

/* One header line.  value has leading and trailing LWS removed; a folded
 * value keeps its inner CRLF+WS (every parser in sip/hdr.h reads it as LWS). */
typedef struct td_sip_hdr {
	td_sip_str name; /* as written, e.g. "v" or "VIA" */
	td_sip_str value; /* may be empty (n == 0), never NULL */
	uint32_t raw_len; /* bytes from name.p through the line end (CRLF or LF) */
	uint8_t type; /* td_sip_hdr_type */
	uint8_t next; /* index of the next header of the same type, or TD_SIP_HDR_NONE */
} td_sip_hdr;

typedef struct td_sip_msg {
	const char *buf; /* the message: start line through end of body */
	size_t len; /* set by td_sip_parse, trimmed to the body by the framing */

	bool is_request; /* false: status line ("SIP/..."); set even when parsing fails */
	bool unterminated; /* the header section ended with the input, not an empty line */

	/* request line */
	td_sip_str method; /* token as written */
	td_sip_method method_id; /* TD_SIP_METHOD_OTHER if not a known method */
	td_sip_str ruri; /* Request-URI as written (parse with td_sip_uri_parse) */

	/* status line */
	uint16_t status; /* 100..699 */
	td_sip_str reason; /* may be empty */

	td_sip_str version; /* "SIP/2.0" as written; any SIP/x.y parses (505 is check.h's call) */

	size_t hdr_len; /* start line + headers + empty line: the body starts here */
	td_sip_str body; /* td_sip_parse: the rest of the input; framing: per Content-Length */

	/* Why parsing failed: the status a server should answer a request with
	 * (400, 505, 513), and a short reason phrase (static storage). */
	int err_status;
	const char *err_reason;

	uint16_t nhdrs; /* header lines in hdrs[] */
	uint8_t first[TD_SIP_H__COUNT]; /* first header of each type, or TD_SIP_HDR_NONE */
	uint8_t last[TD_SIP_H__COUNT]; /* last header of each type (for linking) */
	uint8_t count[TD_SIP_H__COUNT]; /* header lines of each type */
	td_sip_hdr hdrs[TD_SIP_MAX_HEADERS]; /* in message order; only [0, nhdrs) is set */
} td_sip_msg;

/*
 * td_sip_parse indexes one message in buf[0, len): the start line and every
 * header line, up to the empty line that ends the header section (or the
 * end of the input, which sets m->unterminated).  Lines may end in CRLF or a
 * bare LF; a bare CR elsewhere is an error.  m->body is everything after the
 * header section: applying Content-Length is the framing's job
 * (td_sip_frame_datagram / td_sip_frame_stream), which most callers use
 * instead of calling this directly.
 *
 * Returns 0, TD_EPROTO (malformed start line or header line) or TD_ETOOBIG
 * (more than TD_SIP_MAX_HEADERS lines); on error m->err_status and
 * m->err_reason say what to answer.  m keeps pointers into buf.
 * Reentrant; no allocation.
 */
int td_sip_parse(td_sip_msg *m, const char *buf, size_t len) TD_MUSTCHECK;

/* td_sip_hdr_first: the first header of type t, or NULL. */
static inline const td_sip_hdr *
td_sip_hdr_first(const td_sip_msg *m, td_sip_hdr_type t)
{
	uint8_t i = m->first[t];
	return (i == TD_SIP_HDR_NONE ? NULL : &m->hdrs[i]);
}

/* td_sip_hdr_next: the next header of the same type as h, or NULL. */
static inline const td_sip_hdr *
td_sip_hdr_next(const td_sip_msg *m, const td_sip_hdr *h)
{
	return (h->next == TD_SIP_HDR_NONE ? NULL : &m->hdrs[h->next]);
}

/* td_sip_hdr_count: how many header lines of type t the message has. */
static inline unsigned
td_sip_hdr_count(const td_sip_msg *m, td_sip_hdr_type t)
{
	return (m->count[t]);
}

/*
 * td_sip_hdr_find: the first header whose name equals name (case-insensitive,
 * compact forms of known headers included), or NULL.  For headers the
 * library has no type for; known types are faster with td_sip_hdr_first.
 */
const td_sip_hdr *td_sip_hdr_find(const td_sip_msg *m, const char *name);

/* td_sip_hdr_lookup: the type of a header name (case-insensitive, compact forms too). */
td_sip_hdr_type td_sip_hdr_lookup(const char *name, size_t n);

/* td_sip_hdr_name: the canonical name of t ("" for TD_SIP_H_OTHER). */
const char *td_sip_hdr_name(td_sip_hdr_type t);

/* td_sip_method_lookup: the method a token names (exact case), or TD_SIP_METHOD_OTHER. */
td_sip_method td_sip_method_lookup(td_sip_str tok);

/* td_sip_method_name: "INVITE" etc.; "" for TD_SIP_METHOD_OTHER. */
const char *td_sip_method_name(td_sip_method m);

/* td_sip_version_is_20: whether a version slice is SIP/2.0 ("SIP" in any case). */
bool td_sip_version_is_20(td_sip_str v);

/* td_sip_reason_phrase: the RFC 3261 reason phrase for a status ("Unknown" if none). */
const char *td_sip_reason_phrase(int status);

#endif
