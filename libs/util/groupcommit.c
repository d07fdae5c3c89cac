/* SPDX-License-Identifier: MIT */
/* The group committer's thread (see groupcommit.h). */
#include "util/groupcommit.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "log/log.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/mem.h"

struct td_gc {
	td_gc_ops ops;
	void *arg;
	size_t group_max;
	int retry_ms;
	pthread_t thr;
	bool started;
	pthread_mutex_t lock;
	pthread_cond_t cv;         /* work arrived, or stop (CLOCK_MONOTONIC, for the pause) */
	td_gc_item *head, *tail;   /* pending, FIFO */
	size_t npending;
	bool stop;
	bool drain; /* at stop, one more try at what is queued (td_gc_drain) */
};

static void
fail_all(td_gc *g, td_gc_item *list, int rv)
{
	while (list != NULL) {
		td_gc_item *next = list->next;
		list->next = NULL;
		g->ops.fail(g->arg, list, rv);
		list = next;
	}
}

/* expire fails the items past their deadline and returns the rest, in order. */
static td_gc_item *
expire(td_gc *g, td_gc_item *list)
{
	int64_t now = td_mono_ms();
	td_gc_item *keep = NULL, **kt = &keep;
	while (list != NULL) {
		td_gc_item *next = list->next;
		list->next = NULL;
		if (list->deadline_ms <= now) {
			g->ops.fail(g->arg, list, TD_ETIMEDOUT);
		} else {
			*kt = list;
			kt = &list->next;
		}
		list = next;
	}
	return (keep);
}

/* split takes up to max items off the front of *list, in order. */
static td_gc_item *
split(td_gc_item **list, size_t max)
{
	td_gc_item *group = *list, **tail = list;
	for (size_t n = 0; *tail != NULL && n < max; n++) {
		tail = &(*tail)->next;
	}
	*list = *tail;
	*tail = NULL;
	return (group);
}

/*
 * drain gives list (all that is left at stop, in order) one more try, a
 * group at a time; from the first group that does not go wholly, the
 * rest is failed.
 */
static void
drain(td_gc *g, td_gc_item *list)
{
	while (list != NULL) {
		td_gc_item *group = expire(g, split(&list, g->group_max));
		if (group == NULL) {
			continue;
		}
		td_gc_item *left = group;
		if (g->ops.ready == NULL || g->ops.ready(g->arg)) {
			left = g->ops.commit(g->arg, group);
		}
		if (left != NULL) {
			fail_all(g, left, TD_ECLOSED);
			break;
		}
	}
	fail_all(g, list, TD_ECLOSED);
}

/* pause waits retry_ms, or less if stopping (lock held). */
static void
pause_locked(td_gc *g)
{
	struct timespec ts;
	td_mono_deadline(&ts, g->retry_ms);
	while (!g->stop && pthread_cond_timedwait(&g->cv, &g->lock, &ts) == 0) {
		/* woken by new work: keep pausing until the time is up */
	}
}

static void *
gc_main(void *arg)
{
	td_gc *g = arg;
	td_gc_item *mine = NULL; /* taken, not yet finished: retried ahead of newer items */
	bool backoff = false;
	pthread_mutex_lock(&g->lock);
	for (;;) {
		if (backoff) {
			pause_locked(g);
			backoff = false;
		}
		while (g->head == NULL && mine == NULL && !g->stop) {
			pthread_cond_wait(&g->cv, &g->lock);
		}
		if (g->stop) {
			td_gc_item *all = g->head;
			g->head = g->tail = NULL;
			g->npending = 0;
			bool again = g->drain;
			pthread_mutex_unlock(&g->lock);
			if (again) {
				td_gc_item **end = &mine; /* what was being retried goes first */
				while (*end != NULL) {
					end = &(*end)->next;
				}
				*end = all;
				drain(g, mine);
			} else {
				fail_all(g, mine, TD_ECLOSED);
				fail_all(g, all, TD_ECLOSED);
			}
			return (NULL);
		}
		size_t n = 0;
		td_gc_item **tail = &mine;
		while (*tail != NULL) {
			tail = &(*tail)->next;
			n++;
		}
		while (g->head != NULL && n < g->group_max) {
			td_gc_item *it = g->head;
			g->head = it->next;
			it->next = NULL;
			*tail = it;
			tail = &it->next;
			n++;
			g->npending--;
		}
		if (g->head == NULL) {
			g->tail = NULL;
		}
		pthread_mutex_unlock(&g->lock);

		mine = expire(g, mine);
		if (mine != NULL) {
			if (g->ops.ready != NULL && !g->ops.ready(g->arg)) {
				backoff = true;
			} else {
				mine = g->ops.commit(g->arg, mine);
				backoff = mine != NULL;
			}
		}
		pthread_mutex_lock(&g->lock);
	}
}

td_gc *
td_gc_start(const td_gc_ops *ops, void *arg, size_t group_max, int retry_ms, const char *name)
{
	td_gc *g = TD_NEW(td_gc);
	g->ops = *ops;
	g->arg = arg;
	g->group_max = group_max > 0 ? group_max : 1;
	g->retry_ms = retry_ms > 0 ? retry_ms : 1;
	pthread_mutex_init(&g->lock, NULL);
	td_cond_init_mono(&g->cv);
	if (pthread_create(&g->thr, NULL, gc_main, g) != 0) {
		td_die("TD-GC-THREAD", "cannot start the %s thread", name ? name : "group commit");
	}
	g->started = true;
	if (name != NULL) {
		char n16[16];
		snprintf(n16, sizeof(n16), "%s", name);
		(void)pthread_setname_np(g->thr, n16);
	}
	return (g);
}

void
td_gc_submit(td_gc *g, td_gc_item *it)
{
	it->next = NULL;
	pthread_mutex_lock(&g->lock);
	if (g->stop) {
		pthread_mutex_unlock(&g->lock);
		g->ops.fail(g->arg, it, TD_ECLOSED);
		return;
	}
	if (g->tail != NULL) {
		g->tail->next = it;
	} else {
		g->head = it;
	}
	g->tail = it;
	g->npending++;
	pthread_cond_signal(&g->cv);
	pthread_mutex_unlock(&g->lock);
}

size_t
td_gc_pending(td_gc *g)
{
	pthread_mutex_lock(&g->lock);
	size_t n = g->npending;
	pthread_mutex_unlock(&g->lock);
	return (n);
}

static void
stop(td_gc *g, bool drain_first)
{
	if (g == NULL) {
		return;
	}
	pthread_mutex_lock(&g->lock);
	bool join = g->started;
	g->started = false;
	g->drain = g->drain || drain_first;
	g->stop = true;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->lock);
	if (join) {
		pthread_join(g->thr, NULL);
	}
}

void
td_gc_stop(td_gc *g)
{
	stop(g, false);
}

void
td_gc_drain(td_gc *g)
{
	stop(g, true);
}

void
td_gc_free(td_gc *g)
{
	if (g == NULL) {
		return;
	}
	td_gc_stop(g);
	pthread_cond_destroy(&g->cv);
	pthread_mutex_destroy(&g->lock);
	free(g);
}
