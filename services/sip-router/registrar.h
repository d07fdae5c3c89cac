/* SPDX-License-Identifier: MIT */
/*
 * The registrar (RFC 3261 §10.3): REGISTER with digest authentication
 * against voip.users (401/403, stale nonces), several contacts per address
 * of record, Expires and contact expires, Min-Expires (423), "Contact: *"
 * with Expires: 0, max contacts per user.  Bindings go to the location
 * service; the 200 OK (listing every current binding) is sent only once
 * Redis holds the change.
 */
#ifndef SIP_ROUTER_REGISTRAR_H
#define SIP_ROUTER_REGISTRAR_H

#include "sip/sip.h"
#include "txn.h"

struct worker;

/*
 * registrar_handle takes over c (a REGISTER for one of our domains);
 * our_domain is the domain the Request-URI resolved to (sip.default_domain
 * when it named our address), used when the To header names our address
 * too.  ctx->lock held.
 */
void registrar_handle_locked(ctx *c, struct worker *w, const td_sip_msg *m,
    const char *our_domain);

#endif
