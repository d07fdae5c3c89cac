/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the group committer: groups are bounded and in order, what
 * commit hands back is retried ahead of newer items, items wait while the
 * store is not ready and fail at their deadline, stop fails the rest, and
 * every item is finished exactly once.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "util/clock.h"
#include "util/err.h"
#include "util/groupcommit.h"

#define N 2000
#define WAIT_MS 20000 /* a generous bound for anything the tests wait for */

typedef struct titem {
	td_gc_item gc; /* first: the committer's part */
	int id;
} titem;

/* A fake store.  Every field is guarded by lock. */
typedef struct store {
	pthread_mutex_t lock;
	bool ready;
	int refuse_next;        /* the next commits hand back their whole group this many times */
	int handback_tail;      /* ... or only the group's last item, this many times */
	int finished[N];        /* how many times each id was finished */
	int rv[N];              /* with what */
	int order[N], norder;   /* ids in the order they were committed */
	int groups, max_group, commits_while_unready, ready_calls;
} store;

static td_gc_item *
commit(void *arg, td_gc_item *group)
{
	store *s = arg;
	pthread_mutex_lock(&s->lock);
	int n = 0;
	for (td_gc_item *it = group; it != NULL; it = it->next) {
		n++;
	}
	s->groups++;
	if (n > s->max_group) {
		s->max_group = n;
	}
	if (!s->ready) {
		s->commits_while_unready++;
	}
	if (s->refuse_next > 0) {
		s->refuse_next--;
		pthread_mutex_unlock(&s->lock);
		return (group);
	}
	td_gc_item *back = NULL;
	bool tail_back = s->handback_tail > 0;
	if (tail_back) {
		s->handback_tail--;
	}
	for (td_gc_item *it = group; it != NULL;) {
		td_gc_item *next = it->next;
		titem *t = (titem *)it;
		if (tail_back && next == NULL) {
			back = it; /* this one's outcome is "unknown": try again */
		} else {
			s->order[s->norder++] = t->id;
			s->finished[t->id]++;
			s->rv[t->id] = TD_OK;
			free(t);
		}
		it = next;
	}
	pthread_mutex_unlock(&s->lock);
	return (back);
}

static bool
ready(void *arg)
{
	store *s = arg;
	pthread_mutex_lock(&s->lock);
	s->ready_calls++;
	bool r = s->ready;
	pthread_mutex_unlock(&s->lock);
	return (r);
}

static void
fail_item(void *arg, td_gc_item *it, int rv)
{
	store *s = arg;
	titem *t = (titem *)it;
	pthread_mutex_lock(&s->lock);
	s->finished[t->id]++;
	s->rv[t->id] = rv;
	pthread_mutex_unlock(&s->lock);
	free(t);
}

static const td_gc_ops ops = {.ready = ready, .commit = commit, .fail = fail_item};

static store *
store_new(bool is_ready)
{
	store *s = calloc(1, sizeof(*s));
	assert_non_null(s);
	pthread_mutex_init(&s->lock, NULL);
	s->ready = is_ready;
	return (s);
}

static void
store_free(store *s)
{
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static void
submit(td_gc *g, int id, int64_t timeout_ms)
{
	titem *t = calloc(1, sizeof(*t));
	assert_non_null(t);
	t->id = id;
	t->gc.deadline_ms = td_mono_ms() + timeout_ms;
	td_gc_submit(g, &t->gc);
}

/* finished counts the items finished so far (with rv, or any if want_any). */
static int
finished(store *s, int n, int rv, bool want_any)
{
	int k = 0;
	pthread_mutex_lock(&s->lock);
	for (int i = 0; i < n; i++) {
		k += s->finished[i] > 0 && (want_any || s->rv[i] == rv);
	}
	pthread_mutex_unlock(&s->lock);
	return (k);
}

static void
wait_finished(store *s, int n)
{
	int64_t deadline = td_mono_ms() + WAIT_MS;
	while (finished(s, n, 0, true) < n) {
		if (td_mono_ms() > deadline) {
			fail_msg("only %d of %d items finished", finished(s, n, 0, true), n);
		}
		td_sleep_ms(1);
	}
}

static void
assert_each_once(store *s, int n)
{
	for (int i = 0; i < n; i++) {
		if (s->finished[i] != 1) {
			fail_msg("item %d finished %d times", i, s->finished[i]);
		}
	}
}

static void
test_groups_bounded_in_order(void **state)
{
	(void)state;
	store *s = store_new(true);
	td_gc *g = td_gc_start(&ops, s, 64, 5, "gc-test");
	for (int i = 0; i < N; i++) {
		submit(g, i, WAIT_MS);
	}
	wait_finished(s, N);
	td_gc_free(g);
	assert_each_once(s, N);
	assert_int_equal(finished(s, N, TD_OK, false), N);
	assert_int_equal(s->norder, N);
	for (int i = 0; i < N; i++) {
		assert_int_equal(s->order[i], i);
	}
	assert_true(s->max_group <= 64);
	assert_true(s->groups >= N / 64);
	store_free(s);
}

static void
test_handed_back_retried_first(void **state)
{
	(void)state;
	store *s = store_new(true);
	s->refuse_next = 3;   /* the first group comes back whole three times */
	s->handback_tail = 5; /* then some groups' last item comes back */
	td_gc *g = td_gc_start(&ops, s, 8, 1, "gc-test");
	for (int i = 0; i < 200; i++) {
		submit(g, i, WAIT_MS);
	}
	wait_finished(s, 200);
	td_gc_free(g);
	assert_each_once(s, 200);
	assert_int_equal(finished(s, 200, TD_OK, false), 200);
	/* what came back went ahead of everything submitted after it */
	for (int i = 0; i < 200; i++) {
		assert_int_equal(s->order[i], i);
	}
	store_free(s);
}

static void
test_not_ready_then_deadline(void **state)
{
	(void)state;
	store *s = store_new(false);
	td_gc *g = td_gc_start(&ops, s, 16, 5, "gc-test");
	for (int i = 0; i < 10; i++) {
		submit(g, i, 50); /* short deadlines: they pass while the store is away */
	}
	wait_finished(s, 10);
	assert_int_equal(finished(s, 10, TD_ETIMEDOUT, false), 10);
	assert_int_equal(s->commits_while_unready, 0);

	/* the store comes back: new items go through */
	pthread_mutex_lock(&s->lock);
	s->ready = true;
	pthread_mutex_unlock(&s->lock);
	for (int i = 10; i < 20; i++) {
		submit(g, i, WAIT_MS);
	}
	wait_finished(s, 20);
	td_gc_free(g);
	assert_each_once(s, 20);
	assert_int_equal(finished(s, 20, TD_OK, false), 10);
	store_free(s);
}

static void
test_stop_fails_the_rest(void **state)
{
	(void)state;
	store *s = store_new(false);
	/* a pause far longer than the test: stop must cut it short */
	td_gc *g = td_gc_start(&ops, s, 4, 600000, "gc-test");
	for (int i = 0; i < 50; i++) {
		submit(g, i, 600000);
	}
	int64_t t0 = td_mono_ms();
	td_gc_stop(g);
	assert_true(td_mono_ms() - t0 < WAIT_MS);
	assert_int_equal(finished(s, 50, TD_ECLOSED, false), 50);
	submit(g, 50, WAIT_MS); /* after stop: failed at once */
	assert_int_equal(s->rv[50], TD_ECLOSED);
	assert_int_equal(td_gc_pending(g), 0);
	td_gc_stop(g); /* idempotent */
	td_gc_free(g);
	assert_each_once(s, 51);
	store_free(s);
}

/* wait_groups waits until the store has seen at least n commits. */
static void
wait_groups(store *s, int n)
{
	int64_t deadline = td_mono_ms() + WAIT_MS;
	for (;;) {
		pthread_mutex_lock(&s->lock);
		int g = s->groups;
		pthread_mutex_unlock(&s->lock);
		if (g >= n) {
			return;
		}
		assert_true(td_mono_ms() < deadline);
		td_sleep_ms(1);
	}
}

static void
test_drain_commits_what_is_queued(void **state)
{
	(void)state;
	store *s = store_new(true);
	s->refuse_next = 1; /* the first group comes back: a 10-minute pause follows */
	td_gc *g = td_gc_start(&ops, s, 8, 600000, "gc-test");
	for (int i = 0; i < 8; i++) {
		submit(g, i, 600000);
	}
	wait_groups(s, 1);
	for (int i = 8; i < 30; i++) {
		submit(g, i, 600000);
	}
	td_gc_drain(g); /* cuts the pause short and commits all of it, in order */
	assert_int_equal(finished(s, 30, TD_OK, false), 30);
	for (int i = 0; i < 30; i++) {
		assert_int_equal(s->order[i], i);
	}
	td_gc_free(g);
	assert_each_once(s, 30);
	store_free(s);
}

static void
test_drain_stops_at_the_first_refusal(void **state)
{
	(void)state;
	store *s = store_new(false); /* away: the thread pauses */
	td_gc *g = td_gc_start(&ops, s, 4, 600000, "gc-test");
	for (int i = 0; i < 10; i++) {
		submit(g, i, 600000);
	}
	/* the thread has asked, been told no, and pauses for 10 minutes */
	int64_t deadline = td_mono_ms() + WAIT_MS;
	for (;;) {
		pthread_mutex_lock(&s->lock);
		int asked = s->ready_calls;
		pthread_mutex_unlock(&s->lock);
		if (asked > 0) {
			break;
		}
		assert_true(td_mono_ms() < deadline);
		td_sleep_ms(1);
	}
	pthread_mutex_lock(&s->lock);
	s->ready = true;
	s->handback_tail = 1; /* the first group's last item comes back */
	pthread_mutex_unlock(&s->lock);
	td_gc_drain(g);
	assert_int_equal(finished(s, 10, TD_OK, false), 3);
	assert_int_equal(finished(s, 10, TD_ECLOSED, false), 7);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(s->rv[i], TD_OK);
	}
	td_gc_free(g);
	assert_each_once(s, 10);
	store_free(s);

	/* away at the drain: nothing is committed, everything fails */
	s = store_new(false);
	g = td_gc_start(&ops, s, 4, 600000, "gc-test");
	for (int i = 0; i < 5; i++) {
		submit(g, i, 600000);
	}
	td_gc_drain(g);
	assert_int_equal(finished(s, 5, TD_ECLOSED, false), 5);
	assert_int_equal(s->commits_while_unready, 0);
	td_gc_free(g);
	assert_each_once(s, 5);
	store_free(s);
}

static void *
submitter(void *arg)
{
	void **a = arg;
	td_gc *g = a[0];
	int base = *(int *)a[1];
	for (int i = 0; i < N / 4; i++) {
		submit(g, base + i, WAIT_MS);
	}
	return (NULL);
}

static void
test_many_submitters(void **state)
{
	(void)state;
	store *s = store_new(true);
	s->handback_tail = 20;
	td_gc *g = td_gc_start(&ops, s, 32, 1, "gc-test");
	pthread_t thr[4];
	int bases[4];
	void *args[4][2];
	for (int i = 0; i < 4; i++) {
		bases[i] = i * (N / 4);
		args[i][0] = g;
		args[i][1] = &bases[i];
		assert_int_equal(pthread_create(&thr[i], NULL, submitter, args[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(thr[i], NULL);
	}
	wait_finished(s, N);
	td_gc_free(g);
	assert_each_once(s, N);
	assert_int_equal(finished(s, N, TD_OK, false), N);
	/* each submitter's items were committed in its own order */
	int last[4] = {-1, -1, -1, -1};
	for (int i = 0; i < N; i++) {
		int who = s->order[i] / (N / 4);
		assert_true(s->order[i] > last[who]);
		last[who] = s->order[i];
	}
	store_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_groups_bounded_in_order),
	    cmocka_unit_test(test_handed_back_retried_first),
	    cmocka_unit_test(test_not_ready_then_deadline),
	    cmocka_unit_test(test_stop_fails_the_rest),
	    cmocka_unit_test(test_many_submitters),
	    cmocka_unit_test(test_drain_commits_what_is_queued),
	    cmocka_unit_test(test_drain_stops_at_the_first_refusal),
	};
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
