/* SPDX-License-Identifier: MIT */
/* Fixed-size pool of td_pg connections. */
#include "pg/pool.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "util/clock.h"
#include "util/mem.h"

struct td_pg_pool {
	pthread_mutex_t lock;
	pthread_cond_t freed;
	td_pg **idle;
	int nidle, size;
};

td_pg_pool *
td_pg_pool_new(const td_pg_opts *opts, int size)
{
	td_pg_pool *p = TD_NEW(td_pg_pool);
	pthread_mutex_init(&p->lock, NULL);
	td_cond_init_mono(&p->freed);
	p->size = size > 0 ? size : 1;
	p->idle = td_xcalloc((size_t)p->size, sizeof(td_pg *));
	for (int i = 0; i < p->size; i++) {
		p->idle[p->nidle++] = td_pg_new(opts);
	}
	return (p);
}

void
td_pg_pool_free(td_pg_pool *p)
{
	if (p == NULL) {
		return;
	}
	for (int i = 0; i < p->nidle; i++) {
		td_pg_free(p->idle[i]);
	}
	free(p->idle);
	pthread_cond_destroy(&p->freed);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

td_pg *
td_pg_pool_get(td_pg_pool *p, int timeout_ms)
{
	struct timespec until;
	td_mono_deadline(&until, timeout_ms);
	pthread_mutex_lock(&p->lock);
	while (p->nidle == 0) {
		if (pthread_cond_timedwait(&p->freed, &p->lock, &until) == ETIMEDOUT) {
			pthread_mutex_unlock(&p->lock);
			return (NULL);
		}
	}
	td_pg *c = p->idle[--p->nidle];
	pthread_mutex_unlock(&p->lock);
	return (c);
}

void
td_pg_pool_put(td_pg_pool *p, td_pg *c)
{
	if (c == NULL) {
		return;
	}
	pthread_mutex_lock(&p->lock);
	p->idle[p->nidle++] = c;
	pthread_cond_signal(&p->freed);
	pthread_mutex_unlock(&p->lock);
}
