/* SPDX-License-Identifier: MIT */
/*
 * Who must prove who they are, and the digest exchange for it.
 *
 * Requests that start something (INVITE, MESSAGE, SUBSCRIBE, REFER, ...)
 * from a local caller (From in one of our domains) coming from an
 * untrusted address are challenged with 407; FreeSWITCH nodes, trunks and
 * sip.trusted networks are trusted.  An untrusted caller from a foreign
 * domain is refused (403): this is not an open relay.  REGISTER always
 * authenticates (401).  Credentials are checked with libs/digest against
 * the HA1s of voip.users (never a plaintext password).
 */
#ifndef SIP_ROUTER_AUTH_H
#define SIP_ROUTER_AUTH_H

#include <stdbool.h>

#include "addr.h"
#include "sip/sip.h"

struct sr;

typedef enum auth_verdict {
	AUTH_OK = 0,        /* go on */
	AUTH_CHALLENGE,     /* answer 401/407 with the challenge in hdrs */
	AUTH_FORBIDDEN,     /* answer 403 (wrong password, identity mismatch, foreign caller) */
	AUTH_BAD_REQUEST,   /* answer 400 (credentials malformed) */
} auth_verdict;

/* auth_is_trusted: a FreeSWITCH node, a trunk or a sip.trusted network. */
bool auth_is_trusted(struct sr *r, const sr_addr *src);

/*
 * auth_check verifies the request's credentials (Authorization for
 * REGISTER, Proxy-Authorization otherwise) for user@domain in realm.
 * On AUTH_CHALLENGE, hdrs receives the WWW-/Proxy-Authenticate lines (with
 * stale=true when the nonce was only old).  reason gets a short phrase.
 */
auth_verdict auth_check(struct sr *r, const td_sip_msg *m, bool registrar, const char *domain,
    const char *user, char *hdrs, size_t hlen, const char **reason);

#endif
