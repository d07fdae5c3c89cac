/* SPDX-License-Identifier: MIT */
/*
 * Nonce-count replay tracker: which (nonce, nc) pairs this node has
 * accepted, bounded in memory, safe from many threads.
 *
 * A set-associative table with two choices: a nonce's id (random-looking,
 * from its MAC) names two buckets of WAYS entries, and a new nonce goes
 * where there is room ("power of two choices", which keeps buckets from
 * overflowing until the table is nearly full).  Both buckets lie under the
 * same one of a fixed set of mutexes (lock striping), so a check costs one
 * short critical section and never allocates.  Each entry keeps the highest nc accepted and a
 * bitmap of the WINDOW ncs below it (the anti-replay window of RFC 4303 §3.4.3), so requests that
 * overtake each other on the way in are still accepted, once each.
 *
 * Bounded means forgetting, and forgetting must never turn into accepting
 * a replay.  Each bucket keeps a watermark: the latest issue time of any
 * nonce it ever dropped (expired or evicted), starting at the tracker's
 * creation time.  A nonce that is not found and was issued after the
 * watermarks of both its buckets cannot have been dropped, so it really is
 * new; otherwise it might have been, so the answer is UNKNOWN and the
 * router re-challenges with stale=true.  The victim for room is the entry
 * issued earliest, which keeps watermarks, and so false UNKNOWNs, as low
 * as possible.
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

/*
 * The nonce's two buckets.  They differ only above the stripe bits, so both
 * are under one lock; they are the same bucket only in a table with no more
 * buckets than stripes (at most 512 slots).
 */
static void
buckets_for(const td_digest_replay *r, uint64_t id, size_t *b1, size_t *b2)
{
	size_t mask = r->nbuckets - 1;
	size_t alt = (size_t)(id >> 32) & mask & ~(r->nstripes - 1);
	if (alt == 0) {
		alt = r->nstripes & mask;
	}
	*b1 = (size_t)id & mask;
	*b2 = *b1 ^ alt;
}

static entry *
find(bucket *b, uint64_t id)
{
	for (int w = 0; w < WAYS; w++) {
		if (b->e[w].top != 0 && b->e[w].id == id) {
			return (&b->e[w]);
		}
	}
	return (NULL);
}

/* The entry to reuse in b (a free one, else the one issued earliest) and b's free count. */
static entry *
victim_in(bucket *b, int *nfree)
{
	entry *v = NULL;
	*nfree = 0;
	for (int w = 0; w < WAYS; w++) {
		entry *e = &b->e[w];
		if (e->top == 0) {
			(*nfree)++;
			v = e;
		} else if (*nfree == 0 && (v == NULL || e->issued_us < v->issued_us)) {
			v = e;
		}
	}
	return (v);
}

/*
 * Records a nonce found in neither of its buckets, in the emptier one (or,
 * both being full, over the earliest-issued entry of the two); the caller
 * holds their stripe.
 */
static void
insert(td_digest_replay *r, bucket *b1, bucket *b2, uint64_t id, int64_t issued_us, uint32_t nc,
    int64_t now_us)
{
	int f1, f2;
	entry *v1 = victim_in(b1, &f1), *v2 = victim_in(b2, &f2);
	bucket *b = b1;
	entry *victim = v1;
	if (f2 > f1 || (f1 == 0 && f2 == 0 && v2->issued_us < v1->issued_us)) {
		b = b2;
		victim = v2;
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
	size_t i1, i2;
	td_digest_replay_status st;

	if (nc == 0) {
		count(&r->seen);
		return (TD_DIGEST_REPLAY_SEEN);
	}
	buckets_for(r, id, &i1, &i2);
	bucket *b1 = &r->buckets[i1], *b2 = &r->buckets[i2];
	pthread_mutex_t *mu = &r->stripes[i1 & (r->nstripes - 1)].mu;
	pthread_mutex_lock(mu);
	entry *found = find(b1, id);
	if (found == NULL && b2 != b1) {
		found = find(b2, id);
	}
	if (found != NULL) {
		st = advance(found, nc);
	} else if (issued_us <= b1->watermark_us || issued_us <= b2->watermark_us) {
		st = TD_DIGEST_REPLAY_UNKNOWN;
	} else {
		insert(r, b1, b2, id, issued_us, nc, now_us);
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
