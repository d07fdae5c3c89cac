/* SPDX-License-Identifier: MIT */
/*
 * Inside the proxy core (proxy.c, proxy_route.c, proxy_fwd.c): the state a
 * routed request carries and the functions the three share.  Not for the
 * rest of the router; everything here expects ctx->lock held where a ctx is
 * passed.
 */
#ifndef SIP_ROUTER_PROXY_INT_H
#define SIP_ROUTER_PROXY_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "location.h"
#include "sip/hdr.h"
#include "sr.h"
#include "txn.h"
#include "util/buf.h"
#include "worker.h"

#define MAX_TARGETS TXN_MAX_BRANCHES
#define LOOP_TAG "z9hG4bKtd"

/* Where a request may go, in order (serial) or all at once (parallel). */
typedef struct target {
	char *ruri;  /* set with px_target_ruri; freed with the preq */
	sr_addr dst;
	int fs_node; /* FreeSWITCH node index, or -1 */
} target;

typedef enum preq_kind { PREQ_ROUTE = 1, PREQ_PROBE } preq_kind;

typedef struct preq {
	preq_kind kind;
	target t[MAX_TARGETS];
	int nt;
	int next;          /* serial: next target to try */
	bool serial;
	bool record_route;
	bool pop_route;
	uint32_t fs_tried; /* FreeSWITCH nodes tried (bitmask) */
	int probe_node;    /* PREQ_PROBE: which node */
	int64_t probe_t0;
	char loop_hash[17];
	uint32_t rnd;      /* branch uniqueness within this request */
	char kind_name[16];
} preq;

/* ---- proxy_fwd.c: forwarding, response aggregation --------------------------------- */

/* px_preq_of: c's routing state, made on first use. */
preq *px_preq_of(ctx *c);
/* px_target_ruri sets t's Request-URI, printf-style. */
void px_target_ruri(target *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* px_start_forwarding sends c's request to its targets (in parallel or the first serial one). */
void px_start_forwarding(ctx *c, worker *w, const td_sip_msg *m);
/* px_branch_response: a response matched to branch br of c. */
void px_branch_response(ctx *c, worker *w, int br, const td_sip_msg *m);
/* px_loop_hash: what identifies this request for loop detection (RFC 3261 §16.3.4). */
void px_loop_hash(sr *r, const td_sip_msg *m, char out[17]);
/* px_is_loop: one of the Vias is ours with this loop hash (a loop, not a spiral). */
bool px_is_loop(sr *r, const td_sip_msg *m, const char *hash);

/* ---- proxy_route.c: where a request goes ---------------------------------------------- */

/* px_route_locked decides where c's request goes and forwards it, or answers it. */
void px_route_locked(ctx *c, worker *w, const td_sip_msg *m);
/* px_uri_target fills t->dst from a SIP URI (names through r->dns: cached, bounded wait). */
int px_uri_target(sr *r, const char *uri, size_t ulen, target *t);

/* ---- proxy.c: messages in and out ------------------------------------------------------- */

/* px_strip_top_via copies response m without its first Via value (ours) into b. */
int px_strip_top_via(const td_sip_msg *m, td_buf *b);
/* px_via_is_ours: the Via's sent-by is one of our addresses. */
bool px_via_is_ours(sr *r, const td_sip_via *v);

#endif
