/* SPDX-License-Identifier: MIT */
/*
 * Nonce-count replay tracker: which (nonce, nc) pairs this node has
 * accepted, bounded in memory, safe from many threads.
 *
 * A set-associative table: a nonce's id (random-looking, from its MAC)
 * picks one bucket of WAYS entries; buckets are guarded by a fixed set of
 * mutexes (lock striping), so a check costs one short critical section and
 * never allocates.  Each entry keeps the highest nc accepted and a bitmap
 * of the WINDOW ncs below it (the anti-replay window of RFC 4303 §3.4.3),
 * so requests that overtake each other on the way in are still accepted,
 * once each.
 *
 * Bounded means forgetting, and forgetting must never turn into accepting
 * a replay.  Each bucket keeps a watermark: the latest issue time of any
 * nonce it ever dropped (expired or evicted), starting at the tracker's
 * creation time.  A nonce that is not found and was issued after the
 * watermark cannot have been dropped, so it really is new; one issued at
 * or before it might have been, so the answer is UNKNOWN and the router
 * re-challenges with stale=true.  The victim for room is the entry issued
 * earliest, which keeps watermarks, and so false UNKNOWNs, as low as
 * possible.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "digest/digest.h"
#include "util/mem.h"

#define WAYS 8
#define WINDOW 64
#define MAX_STRIPES 64

typedef struct entry {
	uint64_t id;
	int64_t issued_us;
	uint64_t window; /* bit k set: nc == top - k was accepted */
	uint32_t top; /* highest nc accepted; 0 marks a free entry */
	uint32_t pad;
} entry;

typedef struct bucket {
	int64_t watermark_us; /* every nonce dropped from here was issued at or before this */
	entry e[WAYS];
} bucket;

/* A mutex padded to a cache line so that neighbouring stripes do not share one. */
typedef struct stripe {
	pthread_mutex_t mu;
	char pad[64 - sizeof(pthread_mutex_t) % 64];
} stripe;

struct td_digest_replay {
	bucket *buckets;
	size_t nbuckets; /* power of two */
	stripe *stripes;
	size_t nstripes; /* power of two, <= nbuckets */
	int64_t lifetime_us;
	atomic_uint_fast64_t entries, evictions, unknown, seen;
};

int
td_digest_replay_new(size_t slots, int64_t lifetime_us, int64_t now_us, td_digest_replay **out)
{
	*out = NULL;
	if (lifetime_us <= 0 || slots > ((size_t)1 << 30)) {
		return (TD_EINVAL);
	}
	size_t nb = 8;
	while (nb * WAYS < slots) {
		nb <<= 1;
	}
	td_digest_replay *r = TD_NEW(td_digest_replay);
	r->nbuckets = nb;
	r->buckets = td_xcalloc(nb, sizeof(bucket));
	for (size_t b = 0; b < nb; b++) {
		r->buckets[b].watermark_us = now_us;
	}
	r->nstripes = nb < MAX_STRIPES ? nb : MAX_STRIPES;
	r->stripes = td_xcalloc(r->nstripes, sizeof(stripe));
	for (size_t s = 0; s < r->nstripes; s++) {
		pthread_mutex_init(&r->stripes[s].mu, NULL);
	}
	r->lifetime_us = lifetime_us;
	atomic_init(&r->entries, 0);
	atomic_init(&r->evictions, 0);
	atomic_init(&r->unknown, 0);
	atomic_init(&r->seen, 0);
	*out = r;
	return (0);
}

void
td_digest_replay_free(td_digest_replay *r)
{
	if (r == NULL) {
		return;
	}
	for (size_t s = 0; s < r->nstripes; s++) {
		pthread_mutex_destroy(&r->stripes[s].mu);
	}
	free(r->stripes);
	free(r->buckets);
	free(r);
}

static void
count(atomic_uint_fast64_t *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

/* The window check for a remembered nonce; records nc when it is new. */
static td_digest_replay_status
advance(entry *e, uint32_t nc)
{
	if (nc > e->top) {
		uint32_t shift = nc - e->top;
		e->window = shift >= WINDOW ? 0 : e->window << shift;
		e->window |= 1;
		e->top = nc;
		return (TD_DIGEST_REPLAY_OK);
	}
	uint32_t back = e->top - nc;
	if (back >= WINDOW || (e->window & ((uint64_t)1 << back)) != 0) {
		return (TD_DIGEST_REPLAY_SEEN);
	}
	e->window |= (uint64_t)1 << back;
	return (TD_DIGEST_REPLAY_OK);
}

/* Records a nonce not yet in bucket b; the caller holds b's stripe. */
static void
insert(td_digest_replay *r, bucket *b, uint64_t id, int64_t issued_us, uint32_t nc, int64_t now_us)
{
	entry *victim = NULL;
	for (int w = 0; w < WAYS; w++) {
		entry *e = &b->e[w];
		if (e->top == 0) {
			victim = e;
			break;
		}
		if (victim == NULL || e->issued_us < victim->issued_us) {
			victim = e;
		}
	}
	if (victim->top == 0) {
		count(&r->entries);
	} else {
		if (victim->issued_us > b->watermark_us) {
			b->watermark_us = victim->issued_us;
		}
		if (now_us - victim->issued_us <= r->lifetime_us) {
			count(&r->evictions); /* a live nonce forgotten: its bucket's watermark rose
			                       */
		}
	}
	victim->id = id;
	victim->issued_us = issued_us;
	victim->top = nc;
	victim->window = 1;
}

td_digest_replay_status
td_digest_replay_check(
    td_digest_replay *r, uint64_t id, int64_t issued_us, uint32_t nc, int64_t now_us)
{
	size_t bi = (size_t)id & (r->nbuckets - 1);
	bucket *b = &r->buckets[bi];
	pthread_mutex_t *mu = &r->stripes[bi & (r->nstripes - 1)].mu;
	td_digest_replay_status st;

	if (nc == 0) {
		count(&r->seen);
		return (TD_DIGEST_REPLAY_SEEN);
	}
	pthread_mutex_lock(mu);
	entry *found = NULL;
	for (int w = 0; w < WAYS; w++) {
		if (b->e[w].top != 0 && b->e[w].id == id) {
			found = &b->e[w];
			break;
		}
	}
	if (found != NULL) {
		st = advance(found, nc);
	} else if (issued_us <= b->watermark_us) {
		st = TD_DIGEST_REPLAY_UNKNOWN;
	} else {
		insert(r, b, id, issued_us, nc, now_us);
		st = TD_DIGEST_REPLAY_OK;
	}
	pthread_mutex_unlock(mu);

	if (st == TD_DIGEST_REPLAY_SEEN) {
		count(&r->seen);
	} else if (st == TD_DIGEST_REPLAY_UNKNOWN) {
		count(&r->unknown);
	}
	return (st);
}

void
td_digest_replay_get_stats(td_digest_replay *r, td_digest_replay_stats *st)
{
	st->entries = atomic_load_explicit(&r->entries, memory_order_relaxed);
	st->capacity = (uint64_t)r->nbuckets * WAYS;
	st->evictions = atomic_load_explicit(&r->evictions, memory_order_relaxed);
	st->unknown = atomic_load_explicit(&r->unknown, memory_order_relaxed);
	st->seen = atomic_load_explicit(&r->seen, memory_order_relaxed);
}
