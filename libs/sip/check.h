/* SPDX-License-Identifier: MIT */
/*
 * Validation: the facts about a parsed message and the answer a server
 * should give (RFC 3261 §8.2, §16.3, §10.3; RFC 4475).  The router decides
 * policy; these functions only recommend.
 *
 * Roles change what is checked, as RFC 3261 does:
 *   TD_SIP_ROLE_PROXY      forwarding: Max-Forwards 0 -> 483, Proxy-Require -> 420
 *   TD_SIP_ROLE_UAS        answering: unknown method -> 501, Require -> 420
 *   TD_SIP_ROLE_REGISTRAR  a UAS that also checks REGISTER (To must be
 *                          sip/sips, Contact "*" alone and with Expires: 0)
 */
#ifndef TD_SIP_CHECK_H
#define TD_SIP_CHECK_H

#include <stdint.h>

#include "sip/sip.h"

#define TD_SIP_ROLE_PROXY 0x1u
#define TD_SIP_ROLE_UAS 0x2u
#define TD_SIP_ROLE_REGISTRAR 0x6u /* includes UAS */

#define TD_SIP_MAX_UNSUPPORTED 8

typedef struct td_sip_check_opts {
	unsigned role; /* TD_SIP_ROLE_* */
	const char *const *supported; /* option tags we support, NULL-terminated; NULL = none */
	uint32_t methods; /* UAS: (1u << td_sip_method) bits implemented; 0 = all known */
} td_sip_check_opts;

typedef struct td_sip_verdict {
	int status; /* 0 = go ahead, else the status code to answer */
	const char *reason; /* reason phrase for status (static), or NULL */
	/* 420: the option tags we do not support, for an Unsupported header */
	td_sip_str unsupported[TD_SIP_MAX_UNSUPPORTED];
	unsigned nunsupported;
} td_sip_verdict;

/*
 * td_sip_check_request validates a parsed request (m->is_request) and
 * returns the status to answer (also in v->status): 0 = well formed, go
 * ahead; 400 (missing, duplicated or malformed header, CSeq method or
 * number wrong, bad Request-URI...), 416 (Request-URI scheme not sip/sips/
 * tel), 420 (unsupported Require/Proxy-Require tags, listed in v),
 * 483 (proxy, Max-Forwards 0), 501 (UAS, method not implemented),
 * 505 (not SIP/2.0).  Reentrant; v points into m.
 */
int td_sip_check_request(const td_sip_msg *m, const td_sip_check_opts *o, td_sip_verdict *v);

/*
 * td_sip_unsupported_line writes "Unsupported: tag, tag\r\n" for v's
 * unsupported option tags into out (cap bytes, NUL-terminated), or "" if
 * there are none.  The tags come from the request: those that do not fit
 * are left out whole, never cut.
 */
void td_sip_unsupported_line(const td_sip_verdict *v, char *out, size_t cap);

/*
 * td_sip_check_response validates a parsed response.  Returns 0 to accept
 * it, or TD_EPROTO to drop it silently (a response is never answered):
 * not SIP/2.0, a mandatory header missing, duplicated or malformed, CSeq
 * out of range, or (proxy) a second Via whose sent-by is the broadcast
 * address 255.255.255.255 (RFC 4475 §3.3.10).  v->reason says why.
 */
int td_sip_check_response(const td_sip_msg *m, const td_sip_check_opts *o, td_sip_verdict *v);

#endif
