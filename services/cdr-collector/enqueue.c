/* SPDX-License-Identifier: MIT */
/* Group commit of records to Redis lists (see enqueue.h). */
#include "enqueue.h"

#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cdrq/cdrq.h"
#include "kv/kv.h"
#include "log/log.h"
#include "util/clock.h"
#include "util/mem.h"

/* A submission; owned by the enqueuer from submit until its callback ran. */
typedef struct item {
	struct item *next;
	const char *key;
	void *data; /* owned */
	size_t len;
	long trim;
	int64_t deadline_ms;
	int64_t t0_us;
	enq_done_fn done;
	void *arg;
} item;

struct enq {
	const collector_cfg *cfg;
	collector_metrics *m;
	pthread_t thr;
	pthread_mutex_t lock;
	pthread_cond_t work; /* pending became non-empty, or stop */
	item *head, *tail;   /* pending, FIFO */
	bool stop;
	_Atomic bool redis_up;
	td_kv *kv; /* enqueuer thread only */
};

/* complete hands each item its result and frees it. */
static void
complete(enq *e, item *list, int rv)
{
	int64_t now = td_mono_us();
	for (item *it = list; it != NULL;) {
		item *next = it->next;
		if (rv == 0) {
			td_histogram_observe(e->m->enqueue_seconds, (double)(now - it->t0_us) / 1e6);
		}
		td_gauge_add(e->m->in_flight, -1);
		it->done(it->arg, rv);
		free(it->data);
		free(it);
		it = next;
	}
}

/* push_group pushes every item of list whose key is key (one LPUSH). */
static int
push_group(enq *e, item *list, const char *key, long trim, size_t n)
{
	td_cdrq_item *v = td_xcalloc(n, sizeof(td_cdrq_item));
	size_t k = 0;
	for (item *it = list; it != NULL; it = it->next) {
		if (strcmp(it->key, key) == 0) {
			v[k].data = it->data;
			v[k].len = it->len;
			k++;
		}
	}
	char err[256];
	int rv = td_cdrq_push(e->kv, key, v, k, trim, err, sizeof(err));
	free(v);
	if (rv != 0) {
		td_counter_inc(e->m->redis_errors);
		LOG_WARN("CDRC-PUSH-FAIL", "push of %zu records to %s failed: %s", k, key, err);
	} else {
		td_histogram_observe(e->m->group_size, (double)k);
	}
	return (rv);
}

/*
 * flush pushes a taken list.  Items are grouped by key (normally one or two
 * keys: the queue and the dead-letter list).  Returns 0 if all were pushed.
 */
static int
flush(enq *e, item *list)
{
	const char *keys[8];
	long trims[8];
	size_t counts[8], nk = 0;
	for (item *it = list; it != NULL; it = it->next) {
		size_t i;
		for (i = 0; i < nk && strcmp(keys[i], it->key) != 0; i++) {
		}
		if (i == nk) {
			if (nk == TD_ARRAY_LEN(keys)) {
				return (TD_EINVAL); /* cannot happen: the collector uses two keys */
			}
			keys[nk] = it->key;
			trims[nk] = it->trim;
			counts[nk] = 0;
			nk++;
		}
		counts[i]++;
	}
	for (size_t i = 0; i < nk; i++) {
		int rv = push_group(e, list, keys[i], trims[i], counts[i]);
		if (rv != 0) {
			return (rv);
		}
	}
	return (TD_OK);
}

/* expire splits off items past their deadline and fails them. */
static item *
expire(enq *e, item *list)
{
	int64_t now = td_mono_ms();
	item *keep = NULL, **kt = &keep, *dead = NULL, **dt = &dead;
	for (item *it = list; it != NULL;) {
		item *next = it->next;
		it->next = NULL;
		if (it->deadline_ms <= now) {
			*dt = it;
			dt = &it->next;
		} else {
			*kt = it;
			kt = &it->next;
		}
		it = next;
	}
	if (dead != NULL) {
		complete(e, dead, TD_ETIMEDOUT);
	}
	return (keep);
}

static void *
enq_main(void *arg)
{
	enq *e = arg;
	item *mine = NULL; /* taken, not yet pushed */
	for (;;) {
		pthread_mutex_lock(&e->lock);
		while (e->head == NULL && mine == NULL && !e->stop) {
			pthread_cond_wait(&e->work, &e->lock);
		}
		if (e->stop) {
			item *all = e->head;
			e->head = e->tail = NULL;
			pthread_mutex_unlock(&e->lock);
			complete(e, mine, TD_ECLOSED);
			complete(e, all, TD_ECLOSED);
			return (NULL);
		}
		/* Take up to group_max pending items, appended after any we hold. */
		size_t n = 0;
		item **tail = &mine;
		while (*tail != NULL) {
			tail = &(*tail)->next;
			n++;
		}
		while (e->head != NULL && n < (size_t)e->cfg->group_max) {
			item *it = e->head;
			e->head = it->next;
			it->next = NULL;
			*tail = it;
			tail = &it->next;
			n++;
		}
		if (e->head == NULL) {
			e->tail = NULL;
		}
		pthread_mutex_unlock(&e->lock);

		mine = expire(e, mine);
		if (mine == NULL) {
			continue;
		}
		if (td_kv_ensure(e->kv) != 0) {
			atomic_store(&e->redis_up, false);
			td_sleep_ms(20);
			continue;
		}
		if (flush(e, mine) == 0) {
			atomic_store(&e->redis_up, true);
			complete(e, mine, TD_OK);
			mine = NULL;
		} else {
			/*
			 * Unknown outcome for this group (the reply may be lost):
			 * retry until the deadline.  A duplicate is harmless: the
			 * writer is idempotent on the leg's identity.
			 */
			atomic_store(&e->redis_up, td_kv_connected(e->kv));
			td_sleep_ms(20);
		}
	}
}

enq *
enq_start(const collector_cfg *cfg, collector_metrics *m)
{
	enq *e = TD_NEW(enq);
	e->cfg = cfg;
	e->m = m;
	pthread_mutex_init(&e->lock, NULL);
	pthread_cond_init(&e->work, NULL);
	e->kv = td_kv_new(&(td_kv_opts){.url = cfg->redis_url, .cmd_timeout_ms = 2000});
	if (pthread_create(&e->thr, NULL, enq_main, e) != 0) {
		td_die("CDRC-THREAD", "cannot start the enqueuer thread");
	}
	return (e);
}

void
enq_stop(enq *e)
{
	if (e == NULL) {
		return;
	}
	pthread_mutex_lock(&e->lock);
	if (e->stop) {
		pthread_mutex_unlock(&e->lock);
		return;
	}
	e->stop = true;
	pthread_cond_signal(&e->work);
	pthread_mutex_unlock(&e->lock);
	pthread_join(e->thr, NULL);
}

void
enq_free(enq *e)
{
	if (e == NULL) {
		return;
	}
	enq_stop(e);
	td_kv_free(e->kv);
	pthread_cond_destroy(&e->work);
	pthread_mutex_destroy(&e->lock);
	free(e);
}

void
enq_submit_async(enq *e, const char *key, void *data, size_t len, long trim, int64_t timeout_ms,
    enq_done_fn done, void *arg)
{
	item *it = TD_NEW(item);
	*it = (item){.key = key, .data = data, .len = len, .trim = trim,
	    .deadline_ms = td_mono_ms() + timeout_ms, .t0_us = td_mono_us(), .done = done,
	    .arg = arg};
	td_gauge_add(e->m->in_flight, 1);
	pthread_mutex_lock(&e->lock);
	if (e->stop) {
		pthread_mutex_unlock(&e->lock);
		complete(e, it, TD_ECLOSED);
		return;
	}
	if (e->tail != NULL) {
		e->tail->next = it;
	} else {
		e->head = it;
	}
	e->tail = it;
	pthread_cond_signal(&e->work);
	pthread_mutex_unlock(&e->lock);
}

/* A synchronous submission waits on its own semaphore: only it is woken. */
typedef struct waiter {
	sem_t sem;
	int rv;
} waiter;

static void
wake(void *arg, int rv)
{
	waiter *w = arg;
	w->rv = rv;
	sem_post(&w->sem);
}

int
enq_submit(enq *e, const char *key, const void *data, size_t len, long trim, int64_t timeout_ms)
{
	waiter w = {.rv = TD_EIO};
	sem_init(&w.sem, 0, 0);
	void *copy = td_xmalloc(len ? len : 1);
	memcpy(copy, data, len);
	enq_submit_async(e, key, copy, len, trim, timeout_ms, wake, &w);
	while (sem_wait(&w.sem) != 0) {
	}
	sem_destroy(&w.sem);
	return (w.rv);
}

bool
enq_redis_up(enq *e)
{
	return (atomic_load(&e->redis_up));
}
