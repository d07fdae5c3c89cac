/* SPDX-License-Identifier: MIT */
/* Per-source token buckets (see ratelimit.h). */
#include "ratelimit.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

#define SHARDS 64
#define BUCKETS 256
#define MAX_PER_SHARD 4096 /* beyond this, new sources are not tracked (let in) */

typedef struct src {
	struct src *next;
	sr_addr a; /* port ignored */
	double tokens;
	int64_t last_ms, blocked_until;
} src;

typedef struct rshard {
	pthread_mutex_t lock;
	src *b[BUCKETS];
	int n;
} rshard;

struct rl {
	double rate, burst;
	int64_t block_ms;
	rshard s[SHARDS];
};

rl *
rl_new(long rate, long burst, int64_t block_ms)
{
	rl *r = TD_NEW(rl);
	r->rate = (double)rate;
	r->burst = (double)(burst > 0 ? burst : 1);
	r->block_ms = block_ms;
	for (int i = 0; i < SHARDS; i++) {
		pthread_mutex_init(&r->s[i].lock, NULL);
	}
	return (r);
}

void
rl_free(rl *r)
{
	if (r == NULL) {
		return;
	}
	for (int i = 0; i < SHARDS; i++) {
		for (int b = 0; b < BUCKETS; b++) {
			src *s = r->s[i].b[b];
			while (s != NULL) {
				src *n = s->next;
				free(s);
				s = n;
			}
		}
		pthread_mutex_destroy(&r->s[i].lock);
	}
	free(r);
}

static uint32_t
host_hash(const sr_addr *a)
{
	sr_addr h = *a;
	if (h.u.sa.sa_family == AF_INET) {
		h.u.in.sin_port = 0;
	} else {
		h.u.in6.sin6_port = 0;
	}
	h.proto = 0;
	return (sr_addr_hash(&h));
}

bool
rl_allow(rl *r, const sr_addr *a, int64_t now_ms)
{
	if (r == NULL || r->rate <= 0) {
		return (true);
	}
	uint32_t h = host_hash(a);
	rshard *sh = &r->s[h % SHARDS];
	size_t b = (h / SHARDS) % BUCKETS;
	bool ok = true;
	pthread_mutex_lock(&sh->lock);
	src *s;
	for (s = sh->b[b]; s != NULL && !sr_addr_same_host(&s->a, a); s = s->next) {
	}
	if (s == NULL) {
		if (sh->n < MAX_PER_SHARD) {
			s = TD_NEW(src);
			s->a = *a;
			s->tokens = r->burst - 1;
			s->last_ms = now_ms;
			s->next = sh->b[b];
			sh->b[b] = s;
			sh->n++;
		}
		pthread_mutex_unlock(&sh->lock);
		return (true);
	}
	if (s->blocked_until > now_ms) {
		ok = false;
	} else {
		s->tokens += r->rate * (double)(now_ms - s->last_ms) / 1000.0;
		if (s->tokens > r->burst) {
			s->tokens = r->burst;
		}
		s->last_ms = now_ms;
		if (s->tokens >= 1.0) {
			s->tokens -= 1.0;
		} else {
			s->blocked_until = now_ms + r->block_ms;
			s->tokens = 0;
			ok = false;
		}
	}
	pthread_mutex_unlock(&sh->lock);
	return (ok);
}

void
rl_sweep(rl *r, int64_t now_ms)
{
	if (r == NULL) {
		return;
	}
	for (int i = 0; i < SHARDS; i++) {
		rshard *sh = &r->s[i];
		pthread_mutex_lock(&sh->lock);
		for (int b = 0; b < BUCKETS; b++) {
			for (src **p = &sh->b[b]; *p != NULL;) {
				src *s = *p;
				if (s->blocked_until < now_ms && now_ms - s->last_ms > 60000) {
					*p = s->next;
					free(s);
					sh->n--;
				} else {
					p = &s->next;
				}
			}
		}
		pthread_mutex_unlock(&sh->lock);
	}
}

json_t *
rl_blocked(rl *r, int64_t now_ms)
{
	json_t *a = json_array();
	for (int i = 0; r != NULL && i < SHARDS; i++) {
		rshard *sh = &r->s[i];
		pthread_mutex_lock(&sh->lock);
		for (int b = 0; b < BUCKETS; b++) {
			for (src *s = sh->b[b]; s != NULL; s = s->next) {
				if (s->blocked_until > now_ms) {
					char h[64];
					json_array_append_new(a, json_pack("{s:s, s:I}", "source",
					                             sr_addr_host(&s->a, h, sizeof(h)), "seconds_left",
					                             (json_int_t)((s->blocked_until - now_ms) / 1000)));
				}
			}
		}
		pthread_mutex_unlock(&sh->lock);
	}
	return (a);
}
