/* SPDX-License-Identifier: MIT */
/*
 * Lazy header parsers: each reads one header value (or walks a list of them
 * across every line of a type) only when the caller asks.  Results are
 * slices into the message buffer (td_sip_str), valid while it is.  Nothing
 * is cached in the td_sip_msg, so every function takes it const and any
 * number of threads may read one message at once.
 *
 * Return convention: 0 = parsed; TD_ENOTFOUND = the header is absent;
 * TD_EPROTO = malformed; TD_ETOOBIG = a number above its range (the value
 * is unusable).  List walkers return 1 for an element, 0 at the end.
 *
 * Grammar follows RFC 3261 §25 with LWS (and line folds) allowed wherever
 * the ABNF allows SWS/LWS.  Lenient where the torture tests say to be (see
 * docs/sip-parser.md), strict elsewhere.
 */
#ifndef TD_SIP_HDR_H
#define TD_SIP_HDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sip/sip.h"
#include "sip/str.h"
#include "util/err.h"

/* ---- parameters -------------------------------------------------------- */

/*
 * td_sip_param_get finds the parameter name (case-insensitive) in a list
 * such as ";transport=tcp;lr" (the leading ';' is optional; LWS around ';'
 * and '=' is allowed, so header and URI parameters both work).  Returns
 * true if present; *value (may be NULL) gets its value as written (quotes
 * kept), empty with p == NULL when the parameter has no '='.
 */
bool td_sip_param_get(td_sip_str params, const char *name, td_sip_str *value);

/*
 * td_sip_unquote copies a quoted-string's content (without the quotes,
 * quoted-pairs undone) into out[0, cap).  A value without quotes is copied
 * as is.  Returns 0, TD_EPROTO (bad quoting) or TD_ETOOBIG (cap too small).
 */
int td_sip_unquote(td_sip_str in, char *out, size_t cap, size_t *outlen) TD_MUSTCHECK;

/* ---- walking list headers (Via, Contact, Route, Require, ...) ----------- */

typedef struct td_sip_iter {
	const td_sip_msg *m;
	const td_sip_hdr *h; /* current header line, NULL when done */
	size_t pos; /* offset of the next element in h->value */
	bool fresh; /* h has not been looked at yet */
} td_sip_iter;

/* td_sip_iter_init positions it before the first element of every header of type t. */
void td_sip_iter_init(td_sip_iter *it, const td_sip_msg *m, td_sip_hdr_type t);

/* ---- Via (RFC 3261 §20.42, RFC 3581 rport) ----------------------------- */

typedef struct td_sip_via {
	td_sip_str raw; /* the via-parm as written */
	td_sip_str proto_name; /* "SIP" */
	td_sip_str proto_version; /* "2.0" */
	td_sip_str transport; /* "UDP", "TCP", "TLS", ... as written */
	td_sip_str sent_by; /* host [":" port] as written (brackets kept) */
	td_sip_str host; /* IPv6 without its brackets */
	bool host_ipv6;
	uint16_t port; /* 0 if absent */
	td_sip_str params; /* from the first ';' to the end of the element, or empty */
	td_sip_str branch; /* value, if has_branch */
	td_sip_str received;
	td_sip_str maddr;
	td_sip_str rport; /* value; empty for a bare ";rport" */
	td_sip_str rport_name; /* the "rport" name as written (builders append "=port") */
	bool has_branch, has_received, has_rport, has_maddr;
} td_sip_via;

/*
 * td_sip_via_parse parses one via-parm of a Via value starting at *pos and
 * moves *pos past it and its separating comma (to value.n at the end).
 * Returns 0 or TD_EPROTO.
 */
int td_sip_via_parse(td_sip_str value, size_t *pos, td_sip_via *v) TD_MUSTCHECK;

/* td_sip_via_next: the next Via value across all Via lines: 1, 0 at the end, TD_EPROTO. */
int td_sip_via_next(td_sip_iter *it, td_sip_via *v) TD_MUSTCHECK;

/* td_sip_via_top: the first Via value: 0, TD_ENOTFOUND or TD_EPROTO. */
int td_sip_via_top(const td_sip_msg *m, td_sip_via *v) TD_MUSTCHECK;

/* td_sip_branch_is_rfc3261: branch starts with the magic cookie "z9hG4bK" and has more after it. */
bool td_sip_branch_is_rfc3261(td_sip_str branch);

/* ---- name-addr / addr-spec: From, To, Contact, Route, Record-Route ----- */

typedef struct td_sip_addr {
	td_sip_str raw; /* the element as written */
	td_sip_str display; /* display name as written (quotes kept), or empty */
	td_sip_str uri; /* inside <...>, or the bare addr-spec; parse with td_sip_uri_parse */
	td_sip_str params; /* header parameters as written, from the first ';', or empty */
	td_sip_str tag; /* tag= value */
	td_sip_str expires; /* expires= value (Contact), 1*DIGIT */
	td_sip_str q; /* q= value (Contact), a valid qvalue */
	bool has_tag, has_expires, has_q;
	bool angle; /* written as name-addr (<...>) */
	bool star; /* Contact: * (uri and params empty) */
} td_sip_addr;

#define TD_SIP_ADDR_LIST 0x1u /* a ',' may end the element (Contact, Route, ...) */
#define TD_SIP_ADDR_STAR 0x2u /* "*" is allowed (Contact) */

/*
 * td_sip_addr_parse parses one ( name-addr / addr-spec ) *( ";" param )
 * starting at *pos and moves *pos past it (and its comma with
 * TD_SIP_ADDR_LIST).  Strict where RFC 4475 asks for a 400: unterminated
 * quotes, LWS inside <>, unquoted non-token display names, a '?' in a
 * bare addr-spec, empty parameters, a URI without "scheme:".  Past its
 * scheme the URI is only delimited here, not parsed (td_sip_uri_parse).
 * Returns 0 or TD_EPROTO.
 */
int td_sip_addr_parse(td_sip_str value, size_t *pos, unsigned flags, td_sip_addr *a) TD_MUSTCHECK;

/* td_sip_from / td_sip_to: the From / To header: 0, TD_ENOTFOUND or TD_EPROTO. */
int td_sip_from(const td_sip_msg *m, td_sip_addr *a) TD_MUSTCHECK;
int td_sip_to(const td_sip_msg *m, td_sip_addr *a) TD_MUSTCHECK;

/* td_sip_contact_next: next Contact value (star allowed): 1, 0 at the end, TD_EPROTO. */
int td_sip_contact_next(td_sip_iter *it, td_sip_addr *a) TD_MUSTCHECK;

/* td_sip_addr_next: next value of an addr list header (Route, Record-Route, Path, ...). */
int td_sip_addr_next(td_sip_iter *it, td_sip_addr *a) TD_MUSTCHECK;

/* td_sip_qvalue: "0.5" -> 500; qvalue = "0" ["." 0*3DIGIT] / "1" ["." 0*3"0"]. 0 or TD_EPROTO. */
int td_sip_qvalue(td_sip_str s, unsigned *permille) TD_MUSTCHECK;

/* ---- scalars ----------------------------------------------------------- */

typedef struct td_sip_cseq {
	uint32_t num;
	td_sip_str method;
	td_sip_method method_id;
} td_sip_cseq;

/* td_sip_cseq_parse: 1*DIGIT LWS Method.  0, TD_EPROTO, TD_ETOOBIG (number > 2^32-1). */
int td_sip_cseq_parse(td_sip_str value, td_sip_cseq *c) TD_MUSTCHECK;

/* td_sip_cseq_get: the CSeq header: as td_sip_cseq_parse, or TD_ENOTFOUND. */
int td_sip_cseq_get(const td_sip_msg *m, td_sip_cseq *c) TD_MUSTCHECK;

/* td_sip_callid: the Call-ID (word ["@" word]): 0, TD_ENOTFOUND, TD_EPROTO. */
int td_sip_callid(const td_sip_msg *m, td_sip_str *id) TD_MUSTCHECK;

/*
 * td_sip_u32_header: the first header of type t read as 1*DIGIT (Content-
 * Length, Expires, Min-Expires, Max-Forwards...): 0, TD_ENOTFOUND,
 * TD_EPROTO, TD_ETOOBIG (> 2^32-1).
 */
int td_sip_u32_header(const td_sip_msg *m, td_sip_hdr_type t, uint32_t *v) TD_MUSTCHECK;

/* td_sip_max_forwards: as td_sip_u32_header, and TD_ETOOBIG above 255. */
int td_sip_max_forwards(const td_sip_msg *m, uint32_t *v) TD_MUSTCHECK;

/* td_sip_delta_seconds: a delta-seconds value (1*DIGIT): 0, TD_EPROTO, TD_ETOOBIG. */
int td_sip_delta_seconds(td_sip_str s, uint32_t *v) TD_MUSTCHECK;

/* td_sip_from_tag / td_sip_to_tag: the tag, or an empty slice when there is
 * none.  0, TD_ENOTFOUND (no header) or TD_EPROTO. */
int td_sip_from_tag(const td_sip_msg *m, td_sip_str *tag) TD_MUSTCHECK;
int td_sip_to_tag(const td_sip_msg *m, td_sip_str *tag) TD_MUSTCHECK;

/*
 * td_sip_ids: what identifies a message's transaction and dialog, read in
 * one call.  A field that is absent or malformed is left empty (cseq zeroed):
 * for a message that passed td_sip_check_* only the To tag can be empty.
 */
typedef struct td_sip_ids {
	td_sip_str call_id, from_tag, to_tag;
	td_sip_cseq cseq;
} td_sip_ids;

void td_sip_ids_get(const td_sip_msg *m, td_sip_ids *ids);

/* ---- option tags and other token lists (Require, Supported, Allow...) -- */

/* td_sip_token_next: next token of a comma list; empty header lines are skipped.
 * 1, 0 at the end, TD_EPROTO. */
int td_sip_token_next(td_sip_iter *it, td_sip_str *tok) TD_MUSTCHECK;

/* Authorization / Proxy-Authorization: parsed by libs/digest (td_digest_parse). */

#endif
