/* SPDX-License-Identifier: MIT */
/* Group commit of records to Redis lists (see enqueue.h). */
#include "enqueue.h"

#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cdrq/cdrq.h"
#include "kv/kv.h"
#include "log/log.h"
#include "util/clock.h"
#include "util/groupcommit.h"
#include "util/mem.h"

/* A submission; owned by the enqueuer from submit until its callback ran. */
typedef struct item {
	td_gc_item gc; /* first: the enqueuer's link and the deadline */
	const char *key;
	void *data; /* owned */
	size_t len;
	long trim;
	int64_t t0_us;
	enq_done_fn done;
	void *arg;
} item;

struct enq {
	const collector_cfg *cfg;
	collector_metrics *m;
	td_gc *gc; /* the group committer whose thread owns kv */
	_Atomic bool redis_up;
	td_kv *kv; /* enqueuer thread only */
};

static item *
next_of(const item *it)
{
	return ((item *)it->gc.next);
}

/* complete hands each item its result and frees it. */
static void
complete(enq *e, item *list, int rv)
{
	int64_t now = td_mono_us();
	for (item *it = list; it != NULL;) {
		item *next = next_of(it);
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
	for (item *it = list; it != NULL; it = next_of(it)) {
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
	for (item *it = list; it != NULL; it = next_of(it)) {
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

/* The group-commit callbacks (util/groupcommit.h), on the enqueuer's thread. */

static bool
enq_ready(void *arg)
{
	enq *e = arg;
	if (td_kv_ensure(e->kv) != 0) {
		atomic_store(&e->redis_up, false);
		return (false);
	}
	return (true);
}

static td_gc_item *
enq_commit(void *arg, td_gc_item *group)
{
	enq *e = arg;
	if (flush(e, (item *)group) == 0) {
		atomic_store(&e->redis_up, true);
		complete(e, (item *)group, TD_OK);
		return (NULL);
	}
	/*
	 * Unknown outcome for this group (the reply may be lost): retry until
	 * the deadline.  A duplicate is harmless: the writer is idempotent on
	 * the leg's identity.
	 */
	atomic_store(&e->redis_up, td_kv_connected(e->kv));
	return (group);
}

static void
enq_fail(void *arg, td_gc_item *it, int rv)
{
	complete(arg, (item *)it, rv);
}

enq *
enq_start(const collector_cfg *cfg, collector_metrics *m)
{
	enq *e = TD_NEW(enq);
	e->cfg = cfg;
	e->m = m;
	e->kv = td_kv_new(&(td_kv_opts){.url = cfg->redis_url, .cmd_timeout_ms = 2000});
	static const td_gc_ops ops = {.ready = enq_ready, .commit = enq_commit, .fail = enq_fail};
	e->gc = td_gc_start(&ops, e, (size_t)cfg->group_max, 20, "cdrc-enqueue");
	return (e);
}

void
enq_stop(enq *e)
{
	if (e == NULL) {
		return;
	}
	td_gc_stop(e->gc); /* what is still queued is failed with TD_ECLOSED */
}

void
enq_free(enq *e)
{
	if (e == NULL) {
		return;
	}
	td_gc_free(e->gc);
	td_kv_free(e->kv);
	free(e);
}

void
enq_submit_async(enq *e, const char *key, void *data, size_t len, long trim, int64_t timeout_ms,
    enq_done_fn done, void *arg)
{
	item *it = TD_NEW(item);
	*it = (item){.gc.deadline_ms = td_mono_ms() + timeout_ms, .key = key, .data = data,
	    .len = len, .trim = trim, .t0_us = td_mono_us(), .done = done, .arg = arg};
	td_gauge_add(e->m->in_flight, 1);
	td_gc_submit(e->gc, &it->gc);
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
