/* SPDX-License-Identifier: MIT */
/*
 * The location service's in-memory cache (internal to location.c): AOR ->
 * its bindings as last read from or written to Redis, sorted (highest q,
 * then most recent).  Sharded, a mutex per shard; bounded in entries, least
 * recently used evicted first.  Negative entries (no bindings) are cached
 * too.  Entries are never too old to keep: the caller decides how old an
 * entry it accepts (fresh for normal lookups, any age while Redis is down).
 * All functions are thread-safe.
 */
#ifndef SIP_ROUTER_LOCATION_CACHE_H
#define SIP_ROUTER_LOCATION_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "location.h"

typedef struct loc_cache loc_cache;

/* max_entries > 0: the most AORs held (spread over the shards). */
loc_cache *loc_cache_new(long max_entries);
void loc_cache_free(loc_cache *c);

/*
 * loc_cache_get looks aor up.  If it is there and younger than max_age_ms
 * (monotonic ms, now_ms; 0 never hits), copies its bindings that are
 * unexpired at now_us (wall µs) into out[0..max), sets *n, and returns how
 * many bindings the entry holds (0 for a negative entry, before the expiry
 * filter).  Returns -1 on a miss; with whole, also when one of the entry's
 * bindings has expired since (it may have been refreshed elsewhere: ask
 * Redis rather than answer without it).  *gen (if not NULL) receives the shard's
 * generation, for a later loc_cache_put_if.
 */
int loc_cache_get(loc_cache *c, const char *aor, int64_t now_ms, int64_t max_age_ms, int64_t now_us,
    bool whole, loc_binding *out, int max, int *n, uint64_t *gen);

/*
 * loc_cache_put stores a copy of b[0..n) (already sorted) for aor, replacing
 * what was there: the writer's result, which is newer than anything read
 * before it.
 */
void loc_cache_put(loc_cache *c, const char *aor, const loc_binding *b, int n, int64_t now_ms);

/*
 * loc_cache_put_if stores like loc_cache_put only if the shard's generation
 * is still gen (nothing was written or invalidated in the shard since the
 * caller's loc_cache_get): a lookup's Redis read never overwrites a newer
 * update that raced it.
 */
void loc_cache_put_if(
    loc_cache *c, const char *aor, const loc_binding *b, int n, int64_t now_ms, uint64_t gen);

/* loc_cache_drop forgets aor. */
void loc_cache_drop(loc_cache *c, const char *aor);

/* loc_cache_count: entries held. */
size_t loc_cache_count(loc_cache *c);

#endif
