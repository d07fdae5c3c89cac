/* SPDX-License-Identifier: MIT */
/*
 * The location service: where each address of record ("user@domain") can be
 * reached.  Bindings live in Redis, so a restarted router and the peer node
 * see them; each router caches them in memory for lookups.
 *
 * Redis layout:
 *   tandem:loc:<aor>      hash: contact URI -> packed tandem.LocBinding
 *   tandem:loc:expiry     sorted set: "<aor>\n<contact>" scored by expiry (µs)
 *
 * Updates are applied by one writer thread that pipelines them (group
 * commit); an update's callback runs only once Redis has acknowledged it, so
 * a 200 OK to a REGISTER means the binding survives a router restart.  All
 * functions are thread-safe.
 */
#ifndef SIP_ROUTER_LOCATION_H
#define SIP_ROUTER_LOCATION_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"

#define LOC_MAX_URI 512
#define LOC_MAX_AOR 256
#define LOC_MAX_PER_AOR 16 /* hard cap; users.max_contacts is usually lower */

enum { LOC_UDP = 1, LOC_TCP = 2 };

typedef struct loc_binding {
	char contact[LOC_MAX_URI]; /* as registered */
	char received[64];         /* "ip:port" or "[v6]:port" the REGISTER came from */
	uint8_t transport;         /* LOC_UDP / LOC_TCP */
	int64_t expires_us;        /* absolute */
	uint16_t q;                /* q-value x 1000 */
	char call_id[256];
	uint32_t cseq;
	char user_agent[128];
	char instance[128];
	uint32_t reg_id;
	char node[64];
	int64_t updated_us;
} loc_binding;

/* What a REGISTER does to one AOR (computed by the registrar). */
typedef struct loc_update {
	char aor[LOC_MAX_AOR];
	loc_binding set[LOC_MAX_PER_AOR]; /* add or refresh (keyed by contact) */
	int nset;
	char remove[LOC_MAX_PER_AOR][LOC_MAX_URI]; /* contacts to remove */
	int nremove;
	bool remove_all; /* "Contact: *" with Expires: 0 */
} loc_update;

typedef enum loc_event {
	LOC_ADDED = 1,
	LOC_REFRESHED = 2,
	LOC_REMOVED = 3,
	LOC_EXPIRED = 4,
} loc_event;

/* Called (from the writer or janitor thread) for each binding change this router made. */
typedef void (*loc_event_fn)(void *arg, loc_event ev, const char *aor, const loc_binding *b);

typedef struct loc_cfg {
	const char *redis_url;
	const char *node;       /* stamped on bindings this router writes */
	int64_t cache_ttl_ms;   /* how long a looked-up AOR is trusted without Redis */
	int cmd_timeout_ms;     /* Redis command timeout (0 = 1000) */
	long group_max;         /* most updates pipelined in one write (0 = 64) */
	long cache_max;         /* most AORs held in the cache (0 = 16384) */
	int wait_replicas;      /* > 0: each write group WAITs for this many replicas ... */
	int wait_ms;            /* ... this long at most (0 = 50; <= cmd_timeout_ms / 2) */
	loc_event_fn on_event;  /* may be NULL */
	void *event_arg;
} loc_cfg;

typedef struct loc loc;

/* loc_new starts the writer thread; Redis may be down (it reconnects). */
loc *loc_new(const loc_cfg *cfg);
/*
 * loc_free stops the writer (pending updates complete with TD_ECLOSED, an
 * in-flight group first gets its reply, bounded by cmd_timeout_ms).  Call it
 * once no other thread uses l any more.
 */
void loc_free(loc *l);

/*
 * loc_lookup fills out[0..max) with aor's unexpired bindings, highest q
 * first (then most recently updated), and *n with how many.  From the cache
 * when fresh, else from Redis (blocking, bounded by cmd_timeout_ms).
 * 0 (also with *n == 0); TD_ECONN/TD_ETIMEDOUT when Redis could not be asked
 * and nothing is cached (the caller answers 5xx, not 480).  While Redis is
 * down, a cached entry older than the TTL is still served if it has
 * bindings (each is still dropped at its own expiry); a cached "none" is
 * not.  After a failure, lookups fail fast (TD_ECONN, no connect attempt)
 * for a short backoff (50 ms doubling to 1 s).  TD_EINVAL: aor is not
 * "user@domain" (shorter than LOC_MAX_AOR, no control bytes).  The domain
 * part is compared case-insensitively, the user part exactly.
 */
int loc_lookup(loc *l, const char *aor, loc_binding *out, int max, int *n) TD_MUSTCHECK;

/*
 * loc_done_fn gets the outcome of loc_apply: rv 0 when Redis holds the
 * update, and the AOR's bindings as they are afterwards (for the 200 OK's
 * Contact list); otherwise a td_err and no bindings.  Runs on the writer
 * thread: must be quick and must not call loc_apply.
 */
typedef void (*loc_done_fn)(void *arg, int rv, const loc_binding *now, int n);

/*
 * loc_apply queues an update (copied) and returns; done follows exactly once:
 * 0 once Redis ran it; TD_ECONN (Redis down) or TD_ETIMEDOUT when it was not
 * acknowledged within timeout_ms (<= 0: cmd_timeout_ms).  It may still have
 * been applied: updates are idempotent, the phone's retry is harmless.
 * TD_ECLOSED from loc_free.
 * An invalid update (bad AOR, counts out of range, an empty or unterminated
 * contact) gets TD_EINVAL at once, on the caller's thread.  Bindings in
 * set are stamped with cfg->node.
 */
void loc_apply(loc *l, const loc_update *u, int64_t timeout_ms, loc_done_fn done, void *arg);

/*
 * loc_expire_tick removes bindings whose time is up (call about every
 * second).  Removal is atomic in Redis, so when both nodes run it each
 * binding expires once, with one LOC_EXPIRED event.  Bounded: at most 2000
 * due bindings per call (the rest follow on the next).  Also samples the
 * bindings gauge.  Blocks for up to cmd_timeout_ms per script run.
 */
void loc_expire_tick(loc *l);

/* loc_invalidate drops aor from the cache (a peer changed it). */
void loc_invalidate(loc *l, const char *aor);

/*
 * loc_list: {"aors": N, "bindings": M, "more": bool, "items": [{"aor": ...,
 * "bindings": [{"contact", "received", "transport", "expires_in" (s), "q",
 * "call_id", "cseq", "user_agent", "instance", "reg_id", "node", "updated"}]}]}
 * for the CLI, at most limit AORs (SCAN: an AOR may appear twice if Redis
 * rehashes meanwhile).  The caller json_decref()s *out.
 */
int loc_list(loc *l, long limit, json_t **out, char *err, size_t errlen) TD_MUSTCHECK;

typedef struct loc_stats {
	uint64_t lookups, cache_hits, redis_errors, updates, update_failures, expired;
	uint64_t malformed;    /* stored values that were not a LocBinding (skipped) */
	uint64_t unreplicated; /* acknowledged without the replica's WAIT (wait_replicas) */
	uint64_t bindings; /* in Redis, sampled by loc_expire_tick */
	bool redis_up;
} loc_stats;
void loc_stats_get(loc *l, loc_stats *st);

#endif
