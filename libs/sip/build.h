/* SPDX-License-Identifier: MIT */
/*
 * Building SIP messages on a td_buf (sticky error): responses to a request
 * (RFC 3261 §8.2.6), forwarded requests (§16.6), CANCEL (§9.1), ACK for a
 * non-2xx final response (§17.1.1.3), plain requests (OPTIONS probes) and
 * Via branches (§8.1.1.7, §16.11).
 *
 * Each builder appends one whole message to b and returns 0, TD_EINVAL
 * (inputs that cannot make a valid message; b is left as it was), or
 * TD_ENOMEM (b failed: its cap was hit; td_buf_reset it before reuse).
 * Header lines copied from a parsed message keep their bytes (name as
 * written, folds and all; a bare LF line end becomes CRLF).  Strings the
 * caller passes must not hold CR, LF or NUL (TD_EINVAL otherwise), so no
 * input can inject a header.  Reentrant: all state is in b and the
 * arguments.
 */
#ifndef TD_SIP_BUILD_H
#define TD_SIP_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sip/sip.h"
#include "util/buf.h"

/* ---- responses ---------------------------------------------------------- */

typedef struct td_sip_resp_opts {
	const char *reason; /* NULL: td_sip_reason_phrase(status) */
	td_sip_str to_tag; /* added to To when it has no tag and status > 100; empty: none */
	td_sip_str received; /* non-empty: ";received=" on the top Via (if it has none) */
	uint16_t rport; /* non-zero: fills a bare ";rport" on the top Via (RFC 3581) */
	const char *headers; /* extra header lines, each ending in CRLF, or NULL */
	const char *content_type; /* for body; NULL: no Content-Type */
	const void *body;
	size_t body_len;
} td_sip_resp_opts;

/*
 * td_sip_build_response: a response to req with every Via (in order),
 * From, To (plus to_tag), Call-ID and CSeq copied, then o->headers,
 * Content-Type, Content-Length and the body.  o may be NULL.  Works on a
 * request that failed td_sip_check_request (whatever headers are there
 * are copied), so a 400 can be built for it.
 */
int td_sip_build_response(
    td_buf *b, const td_sip_msg *req, int status, const td_sip_resp_opts *o) TD_MUSTCHECK;

/* ---- forwarded requests (proxy) ---------------------------------------- */

typedef struct td_sip_fwd_opts {
	td_sip_str ruri; /* new Request-URI; empty: keep req's */
	const char *via_transport; /* "UDP", "TCP", "TLS" */
	td_sip_str via_sent_by; /* "10.0.0.1:5060", "[2001:db8::1]:5060" */
	td_sip_str branch; /* our branch, "z9hG4bK..." (td_sip_branch) */
	bool via_rport; /* add ";rport" to our Via */
	td_sip_str record_route; /* our URI for Record-Route ("sip:10.0.0.1;lr"); empty: none */
	bool pop_route; /* remove the top Route value (the caller found it is us) */
	td_sip_str received; /* as td_sip_resp_opts, for req's top Via */
	uint16_t rport;
	const char *headers; /* extra header lines, each ending in CRLF, or NULL */
} td_sip_fwd_opts;

/*
 * td_sip_build_forward: req as a proxy forwards it (§16.6): new
 * Request-URI, our Via on top, our Record-Route above any other, the top
 * Route removed if asked, Max-Forwards decremented (70 added if absent),
 * everything else kept byte for byte, Content-Length added if absent, body
 * as framed.  TD_EINVAL when Max-Forwards is 0 or malformed, pop_route is
 * set with no Route, or an option is malformed.  Only loose routing
 * (;lr); strict-routing rewrites are the caller's (see docs/sip-parser.md).
 */
int td_sip_build_forward(td_buf *b, const td_sip_msg *req, const td_sip_fwd_opts *o) TD_MUSTCHECK;

/* ---- CANCEL and ACK built from the INVITE we sent ----------------------- */

/*
 * td_sip_build_cancel: CANCEL for invite (the request as sent by us, so
 * its top Via is ours): same Request-URI, top Via only, Route, From, To,
 * Call-ID, CSeq number with method CANCEL, Max-Forwards 70, no body.
 * TD_EINVAL if invite is not an INVITE or lacks a usable Via or CSeq.
 */
int td_sip_build_cancel(td_buf *b, const td_sip_msg *invite) TD_MUSTCHECK;

/*
 * td_sip_build_ack: ACK for a non-2xx final response resp (300-699) to
 * invite: like the CANCEL, but To from the response (with its tag) and
 * CSeq method ACK.  TD_EINVAL otherwise.
 */
int td_sip_build_ack(td_buf *b, const td_sip_msg *invite, const td_sip_msg *resp) TD_MUSTCHECK;

/* ---- plain requests ------------------------------------------------------ */

typedef struct td_sip_req_opts {
	const char *method; /* "OPTIONS" */
	td_sip_str ruri; /* "sip:10.0.0.5:5060" */
	const char *via_transport; /* "UDP" */
	td_sip_str via_sent_by;
	td_sip_str branch;
	bool via_rport;
	td_sip_str from; /* name-addr or addr-spec: "<sip:probe@10.0.0.1>" */
	td_sip_str from_tag; /* required (RFC 3261 §8.1.1.3) */
	td_sip_str to; /* name-addr or addr-spec */
	td_sip_str to_tag; /* empty: none */
	td_sip_str call_id;
	uint32_t cseq;
	uint32_t max_forwards; /* 0: 70 */
	td_sip_str contact; /* empty: none */
	const char *headers; /* extra header lines, each ending in CRLF, or NULL */
	const char *content_type;
	const void *body;
	size_t body_len;
} td_sip_req_opts;

/* td_sip_build_request: a new out-of-dialog request from o.  TD_EINVAL for a missing field. */
int td_sip_build_request(td_buf *b, const td_sip_req_opts *o) TD_MUSTCHECK;

/* ---- aggregating challenges (RFC 3261 §16.7 step 7) ---------------------- */

/*
 * td_sip_put_challenges appends every WWW-Authenticate and
 * Proxy-Authenticate line of m to b, bytes kept (a bare LF becomes CRLF),
 * and returns how many.
 */
int td_sip_put_challenges(td_buf *b, const td_sip_msg *m);

/*
 * td_sip_build_with_headers appends msg[0, len) (a whole message) with the
 * header lines hdrs[0, hlen) (each ending in CRLF) added at the end of its
 * header section; the body is unchanged.  TD_EINVAL if msg does not parse.
 */
int td_sip_build_with_headers(td_buf *b, const char *msg, size_t len, const char *hdrs,
    size_t hlen) TD_MUSTCHECK;

/* ---- branches ------------------------------------------------------------ */

#define TD_SIP_BRANCH_MAX 64 /* enough for any branch these functions make, with NUL */

/*
 * td_sip_branch writes "z9hG4bK" followed by the lower-case hex of n bytes
 * the caller supplies (random: randombytes_buf; or a hash) into out, NUL
 * terminated.  n must be 4..24.  Returns the length, or TD_EINVAL/TD_ETOOBIG.
 */
int td_sip_branch(char *out, size_t cap, const void *bytes, size_t n) TD_MUSTCHECK;

/*
 * td_sip_branch_stateless derives a branch for forwarding req statelessly
 * (§16.11): the same request (and its CANCEL and non-2xx ACK) always gets
 * the same branch.  Keyed BLAKE2b (libsodium) over the incoming top Via's
 * branch and sent-by when that branch is RFC 3261, else over To tag, From
 * tag, Call-ID, Request-URI, top Via and CSeq number.  key is 16..64 bytes
 * the caller keeps secret.  Returns the length or TD_EINVAL.
 */
int td_sip_branch_stateless(
    char *out, size_t cap, const td_sip_msg *req, const void *key, size_t keylen) TD_MUSTCHECK;

#endif
