/* SPDX-License-Identifier: MIT */
/*
 * Per-source rate limiting, like Kamailio's pike: a token bucket per source
 * address; a source that empties its bucket is ignored (its messages
 * dropped unanswered) for pike_block, then starts over.  Sharded, so
 * workers do not contend.
 */
#ifndef SIP_ROUTER_RATELIMIT_H
#define SIP_ROUTER_RATELIMIT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "addr.h"

typedef struct rl rl;

/* rl_new: rate per second and burst; rate 0 disables. */
rl *rl_new(long rate, long burst, int64_t block_ms);
void rl_free(rl *r);
/* rl_allow: true to let this message in (now_ms monotonic). */
bool rl_allow(rl *r, const sr_addr *src, int64_t now_ms);
/* rl_sweep forgets quiet sources (call now and then). */
void rl_sweep(rl *r, int64_t now_ms);
/* rl_blocked: the sources being ignored now. */
json_t *rl_blocked(rl *r, int64_t now_ms);

#endif
