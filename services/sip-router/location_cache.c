/* SPDX-License-Identifier: MIT */
/* The location cache: sharded hash with per-shard LRU (see location_cache.h). */
#include "location_cache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

#define NSHARDS 32

typedef struct centry {
	struct centry *hnext; /* bucket chain */
	struct centry *prev, *next; /* LRU list, most recent at the head */
	uint64_t hash;
	int64_t at_ms; /* when the bindings were read or written (monotonic) */
	int n;
	int64_t min_exp; /* earliest expires_us of b (INT64_MAX when n == 0) */
	loc_binding *b; /* n of them (NULL when n == 0) */
	char aor[LOC_MAX_AOR];
} centry;

typedef struct shard {
	pthread_mutex_t mu;
	centry **tab;
	size_t nbuckets; /* a power of two */
	centry lru; /* sentinel */
	size_t count, cap;
	uint64_t gen; /* bumped by every put and drop */
} shard;

struct loc_cache {
	shard shards[NSHARDS];
	_Atomic size_t count;
};

static uint64_t
hash_aor(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return (h ^ (h >> 29));
}

loc_cache *
loc_cache_new(long max_entries)
{
	loc_cache *c = TD_NEW(loc_cache);
	size_t per = (size_t)(max_entries > 0 ? max_entries : 1) / NSHARDS;
	if (per == 0) {
		per = 1;
	}
	size_t nb = 8;
	while (nb < per) {
		nb *= 2;
	}
	for (int i = 0; i < NSHARDS; i++) {
		shard *s = &c->shards[i];
		pthread_mutex_init(&s->mu, NULL);
		s->nbuckets = nb;
		s->tab = td_xcalloc(nb, sizeof(centry *));
		s->lru.prev = s->lru.next = &s->lru;
		s->cap = per;
	}
	return (c);
}

static void
entry_free(centry *e)
{
	free(e->b);
	free(e);
}

void
loc_cache_free(loc_cache *c)
{
	if (c == NULL) {
		return;
	}
	for (int i = 0; i < NSHARDS; i++) {
		shard *s = &c->shards[i];
		for (centry *e = s->lru.next; e != &s->lru;) {
			centry *next = e->next;
			entry_free(e);
			e = next;
		}
		free(s->tab);
		pthread_mutex_destroy(&s->mu);
	}
	free(c);
}

static shard *
shard_of(loc_cache *c, uint64_t h)
{
	return (&c->shards[h % NSHARDS]);
}

static centry **
slot_of(shard *s, uint64_t h, const char *aor)
{
	centry **pp = &s->tab[(h / NSHARDS) & (s->nbuckets - 1)];
	while (*pp != NULL && ((*pp)->hash != h || strcmp((*pp)->aor, aor) != 0)) {
		pp = &(*pp)->hnext;
	}
	return (pp);
}

static void
lru_unlink(centry *e)
{
	e->prev->next = e->next;
	e->next->prev = e->prev;
}

static void
lru_push(shard *s, centry *e)
{
	e->next = s->lru.next;
	e->prev = &s->lru;
	s->lru.next->prev = e;
	s->lru.next = e;
}

/* unlink_entry takes e out of its bucket and the LRU list (caller frees). */
static void
unlink_entry(loc_cache *c, shard *s, centry *e)
{
	centry **pp = slot_of(s, e->hash, e->aor);
	*pp = e->hnext;
	lru_unlink(e);
	s->count--;
	atomic_fetch_sub(&c->count, 1);
}

int
loc_cache_get(loc_cache *c, const char *aor, int64_t now_ms, int64_t max_age_ms, int64_t now_us,
    bool whole, loc_binding *out, int max, int *n, uint64_t *gen)
{
	uint64_t h = hash_aor(aor);
	shard *s = shard_of(c, h);
	int held = -1;
	*n = 0;
	pthread_mutex_lock(&s->mu);
	if (gen != NULL) {
		*gen = s->gen;
	}
	centry *e = *slot_of(s, h, aor);
	if (e != NULL && max_age_ms > 0 && now_ms - e->at_ms < max_age_ms
	    && !(whole && e->min_exp <= now_us)) {
		held = e->n;
		for (int i = 0; i < e->n && *n < max; i++) {
			if (e->b[i].expires_us > now_us) {
				out[(*n)++] = e->b[i];
			}
		}
		lru_unlink(e);
		lru_push(s, e);
	}
	pthread_mutex_unlock(&s->mu);
	return (held);
}

static void
put_locked(loc_cache *c, shard *s, uint64_t h, const char *aor, const loc_binding *b, int n,
    int64_t now_ms)
{
	centry **pp = slot_of(s, h, aor);
	centry *e = *pp;
	if (e == NULL) {
		if (s->count >= s->cap) {
			centry *old = s->lru.prev; /* least recently used */
			unlink_entry(c, s, old);
			entry_free(old);
			pp = slot_of(s, h, aor); /* the chain may have changed */
		}
		e = TD_NEW(centry);
		e->hash = h;
		strncpy(e->aor, aor, sizeof(e->aor) - 1);
		e->hnext = NULL;
		*pp = e;
		lru_push(s, e);
		s->count++;
		atomic_fetch_add(&c->count, 1);
	} else {
		lru_unlink(e);
		lru_push(s, e);
	}
	free(e->b);
	e->b = NULL;
	e->n = n > 0 ? n : 0;
	e->min_exp = INT64_MAX;
	if (e->n > 0) {
		e->b = td_xmalloc((size_t)e->n * sizeof(loc_binding));
		memcpy(e->b, b, (size_t)e->n * sizeof(loc_binding));
		for (int i = 0; i < e->n; i++) {
			if (e->b[i].expires_us < e->min_exp) {
				e->min_exp = e->b[i].expires_us;
			}
		}
	}
	e->at_ms = now_ms;
	s->gen++;
}

void
loc_cache_put(loc_cache *c, const char *aor, const loc_binding *b, int n, int64_t now_ms)
{
	uint64_t h = hash_aor(aor);
	shard *s = shard_of(c, h);
	pthread_mutex_lock(&s->mu);
	put_locked(c, s, h, aor, b, n, now_ms);
	pthread_mutex_unlock(&s->mu);
}

void
loc_cache_put_if(
    loc_cache *c, const char *aor, const loc_binding *b, int n, int64_t now_ms, uint64_t gen)
{
	uint64_t h = hash_aor(aor);
	shard *s = shard_of(c, h);
	pthread_mutex_lock(&s->mu);
	if (s->gen == gen) {
		put_locked(c, s, h, aor, b, n, now_ms);
	}
	pthread_mutex_unlock(&s->mu);
}

void
loc_cache_drop(loc_cache *c, const char *aor)
{
	uint64_t h = hash_aor(aor);
	shard *s = shard_of(c, h);
	pthread_mutex_lock(&s->mu);
	centry *e = *slot_of(s, h, aor);
	if (e != NULL) {
		unlink_entry(c, s, e);
		entry_free(e);
	}
	s->gen++;
	pthread_mutex_unlock(&s->mu);
}

size_t
loc_cache_count(loc_cache *c)
{
	return (atomic_load(&c->count));
}
