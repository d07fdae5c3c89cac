/* SPDX-License-Identifier: MIT */
/* Unit tests: the hashed timing wheel. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "timer.h"

typedef struct rec {
	int n, dropped;
	uint32_t a[64];
	int64_t at[64];
	int64_t *now;
} rec;

static void
on_fire(void *arg, uint32_t a, uint32_t b, bool fired)
{
	rec *r = arg;
	(void)b;
	if (!fired) {
		r->dropped++;
		return;
	}
	if (r->n < 64) {
		r->a[r->n] = a;
		r->at[r->n] = *r->now;
	}
	r->n++;
}

static void
test_fires_not_early_and_at_most_a_tick_late(void **state)
{
	(void)state;
	int64_t now = 1000003, start = now;
	tw w;
	tw_init(&w, now);
	rec r = {.now = &now};
	tw_add(&w, 500, on_fire, &r, 500, 0);
	tw_add(&w, 5, on_fire, &r, 5, 0);
	tw_add(&w, 0, on_fire, &r, 0, 0); /* zero delay still waits for the next tick */
	assert_int_equal(tw_advance(&w, now), 0);
	for (; now <= start + 520; now++) {
		tw_advance(&w, now);
	}
	assert_int_equal(r.n, 3);
	for (int k = 0; k < 3; k++) {
		int64_t late = r.at[k] - start - (int64_t)r.a[k];
		assert_true(late >= 0);
		assert_true(late <= 2 * TW_TICK_MS);
	}
	assert_int_equal(w.pending, 0);
	tw_fini(&w);
}

static void
test_order_and_timing(void **state)
{
	(void)state;
	int64_t now = 7;
	tw w;
	tw_init(&w, now);
	rec r = {.now = &now};
	const int64_t delays[] = {500, 20, 1000, 30000 /* three turns of the wheel */, 10, 11};
	for (uint32_t i = 0; i < 6; i++) {
		tw_add(&w, delays[i], on_fire, &r, i, 0);
	}
	int64_t start = now;
	for (now = start; now <= start + 31000; now++) {
		tw_advance(&w, now);
	}
	assert_int_equal(r.n, 6);
	for (int k = 0; k < 6; k++) {
		int64_t want = delays[r.a[k]];
		int64_t got = r.at[k] - start;
		assert_true(got >= want);
		assert_true(got <= want + 2 * TW_TICK_MS);
		if (k > 0) {
			assert_true(r.at[k] >= r.at[k - 1]); /* fired in time order */
		}
	}
	tw_fini(&w);
}

typedef struct chain {
	tw *w;
	int left;
	int fired;
} chain;

/* A callback that re-arms itself, as retransmission timers do. */
static void
rearm(void *arg, uint32_t a, uint32_t b, bool fired)
{
	chain *c = arg;
	(void)b;
	if (!fired) {
		return;
	}
	c->fired++;
	if (--c->left > 0) {
		tw_add(c->w, (int64_t)a * 2, rearm, c, a * 2, 0);
	}
}

static void
test_callbacks_may_add_timers(void **state)
{
	(void)state;
	tw w;
	int64_t now = 0;
	tw_init(&w, now);
	chain c = {.w = &w, .left = 6};
	tw_add(&w, 500, rearm, &c, 500, 0); /* 500, 1000, 2000, ... like Timer A */
	for (; now < 70000 && c.left > 0; now += 3) {
		tw_advance(&w, now);
	}
	assert_int_equal(c.fired, 6);
	assert_int_equal(w.pending, 0);
	tw_fini(&w);
}

static void
test_big_jump_and_next_ms(void **state)
{
	(void)state;
	tw w;
	int64_t now = 100;
	tw_init(&w, now);
	rec r = {.now = &now};
	assert_int_equal(tw_next_ms(&w, now, 250), 250); /* nothing pending: the cap */
	for (uint32_t i = 0; i < 40; i++) {
		tw_add(&w, 100 + (int64_t)i * 997, on_fire, &r, i, 0);
	}
	assert_true(tw_next_ms(&w, now, 250) <= TW_TICK_MS);
	now += 60000; /* the thread was stalled for a minute: everything due fires once */
	assert_int_equal(tw_advance(&w, now), 40);
	assert_int_equal(r.n, 40);
	assert_int_equal(tw_advance(&w, now + 100000), 0);
	tw_fini(&w);
}

static void
test_fini_releases_pending(void **state)
{
	(void)state;
	tw w;
	int64_t now = 0;
	tw_init(&w, now);
	rec r = {.now = &now};
	for (uint32_t i = 0; i < 5; i++) {
		tw_add(&w, 1000 * (int64_t)i, on_fire, &r, i, 0);
	}
	tw_advance(&w, 1500); /* two fire (0 and 1000 ms) */
	tw_fini(&w);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.dropped, 3); /* the rest were handed back, not leaked */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fires_not_early_and_at_most_a_tick_late),
	    cmocka_unit_test(test_order_and_timing),
	    cmocka_unit_test(test_callbacks_may_add_timers),
	    cmocka_unit_test(test_big_jump_and_next_ms),
	    cmocka_unit_test(test_fini_releases_pending),
	};
	return (cmocka_run_group_tests_name("sip-router timer", tests, NULL, NULL));
}
