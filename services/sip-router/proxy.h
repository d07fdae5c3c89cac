/* SPDX-License-Identifier: MIT */
/*
 * The proxy core (RFC 3261 §16): what happens to every message a worker
 * receives.  Requests are validated, matched to transactions (retransmissions
 * absorbed), authenticated when they must be, routed by the extension model
 * and forwarded (forked in parallel to a user's contacts, tried in turn over
 * FreeSWITCH nodes and trunks); responses are matched to the branch that
 * sent the request, aggregated and relayed upstream.
 */
#ifndef SIP_ROUTER_PROXY_H
#define SIP_ROUTER_PROXY_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "sip/sip.h"
#include "txn.h"

struct worker;

/* proxy_admit: may this source send to us now (rate limit)?  Counts refusals. */
bool proxy_admit(struct worker *w, const sr_addr *src);

/*
 * proxy_on_msg handles one framed message: frame_rv is what the framing
 * said (TD_SIP_FRAME_MSG / TD_SIP_FRAME_BAD / a negative td_err); a request
 * that did not parse is answered with its error status, a response that did
 * not is dropped.  Worker threads only.
 */
void proxy_on_msg(struct worker *w, td_sip_msg *m, int frame_rv, const sr_addr *src,
    const sr_addr *local, uint32_t conn_id);

/*
 * proxy_reply_locked answers c's request with status (and extra header
 * lines, each ending in CRLF, or NULL) and a Server header; ctx->lock held,
 * worker thread.
 */
void proxy_reply_locked(ctx *c, struct worker *w, int status, const char *reason,
    const char *headers);

/* proxy_probe sends an OPTIONS to FreeSWITCH node idx (worker thread). */
void proxy_probe(struct worker *w, int fs_idx);

#endif
