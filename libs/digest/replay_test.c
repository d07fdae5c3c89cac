/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: the nonce-count replay tracker.  Ids are chosen by hand, so
 * the tests know which bucket a nonce lands in (bucket = id mod buckets).
 */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "digest/digest.h"

#define SEC 1000000LL
#define T0 (1700000000LL * SEC) /* tracker creation time */
#define LIFE (300 * SEC)

static td_digest_replay *
mk(size_t slots)
{
	td_digest_replay *r = NULL;
	assert_int_equal(td_digest_replay_new(slots, LIFE, T0, &r), 0);
	assert_non_null(r);
	return (r);
}

static td_digest_replay_status
check(td_digest_replay *r, uint64_t id, int64_t issued, uint32_t nc)
{
	return (td_digest_replay_check(r, id, issued, nc, issued + SEC));
}

static void
test_increasing_nc(void **state)
{
	(void)state;
	td_digest_replay *r = mk(1024);
	int64_t t = T0 + SEC;
	assert_int_equal(check(r, 7, t, 1), TD_DIGEST_REPLAY_OK);
	assert_int_equal(check(r, 7, t, 1), TD_DIGEST_REPLAY_SEEN); /* exact replay */
	assert_int_equal(check(r, 7, t, 2), TD_DIGEST_REPLAY_OK);
	assert_int_equal(check(r, 7, t, 3), TD_DIGEST_REPLAY_OK);
	assert_int_equal(check(r, 7, t, 2), TD_DIGEST_REPLAY_SEEN);
	assert_int_equal(check(r, 7, t, 0), TD_DIGEST_REPLAY_SEEN); /* nc counts from 1 */
	/* Another nonce has its own count. */
	assert_int_equal(check(r, 8, t, 1), TD_DIGEST_REPLAY_OK);
	assert_int_equal(check(r, 8, t, 1), TD_DIGEST_REPLAY_SEEN);
	td_digest_replay_stats st;
	td_digest_replay_get_stats(r, &st);
	assert_int_equal(st.entries, 2);
	assert_int_equal(st.seen, 4);
	assert_int_equal(st.unknown, 0);
	assert_int_equal(st.evictions, 0);
	td_digest_replay_free(r);
}

/* Requests that overtake each other are accepted once each, within 64 of the highest. */
static void
test_window(void **state)
{
	(void)state;
	td_digest_replay *r = mk(1024);
	int64_t t = T0 + SEC;
	assert_int_equal(check(r, 1, t, 10), TD_DIGEST_REPLAY_OK); /* first seen: 10 */
	assert_int_equal(check(r, 1, t, 9), TD_DIGEST_REPLAY_OK); /* overtaken */
	assert_int_equal(check(r, 1, t, 9), TD_DIGEST_REPLAY_SEEN);
	assert_int_equal(check(r, 1, t, 1), TD_DIGEST_REPLAY_OK);
	assert_int_equal(check(r, 1, t, 10), TD_DIGEST_REPLAY_SEEN);
	assert_int_equal(check(r, 1, t, 73), TD_DIGEST_REPLAY_OK); /* 73 - 64 = 9: 9 drops off */
	assert_int_equal(check(r, 1, t, 10), TD_DIGEST_REPLAY_SEEN); /* 63 back: remembered */
	assert_int_equal(check(r, 1, t, 11), TD_DIGEST_REPLAY_OK); /* 62 back: a gap, accepted */
	assert_int_equal(check(r, 1, t, 9), TD_DIGEST_REPLAY_SEEN); /* 64 back: too old */
	assert_int_equal(check(r, 1, t, 2), TD_DIGEST_REPLAY_SEEN);
	/* A jump wider than the window forgets everything below it. */
	assert_int_equal(check(r, 1, t, 1000), TD_DIGEST_REPLAY_OK);
	assert_int_equal(check(r, 1, t, 936), TD_DIGEST_REPLAY_SEEN); /* 64 back */
	assert_int_equal(check(r, 1, t, 937), TD_DIGEST_REPLAY_OK); /* 63 back, never seen */
	assert_int_equal(check(r, 1, t, 73), TD_DIGEST_REPLAY_SEEN);
	/* The top of the range. */
	assert_int_equal(check(r, 1, t, 0xffffffffu), TD_DIGEST_REPLAY_OK);
	assert_int_equal(check(r, 1, t, 0xffffffffu), TD_DIGEST_REPLAY_SEEN);
	assert_int_equal(check(r, 1, t, 0xfffffffeu), TD_DIGEST_REPLAY_OK);
	td_digest_replay_free(r);
}

/* Nonces issued at or before the tracker was created cannot be vouched for. */
static void
test_before_start(void **state)
{
	(void)state;
	td_digest_replay *r = mk(1024);
	assert_int_equal(check(r, 3, T0 - 10 * SEC, 1), TD_DIGEST_REPLAY_UNKNOWN);
	assert_int_equal(check(r, 3, T0, 1), TD_DIGEST_REPLAY_UNKNOWN);
	assert_int_equal(check(r, 3, T0 + 1, 1), TD_DIGEST_REPLAY_OK);
	td_digest_replay_stats st;
	td_digest_replay_get_stats(r, &st);
	assert_int_equal(st.unknown, 2);
	td_digest_replay_free(r);
}

static uint64_t
xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return (*x);
}

/*
 * The tracker is bounded, and what it forgets it never accepts blindly:
 * after far more nonces than slots, replaying any of them is refused
 * (SEEN if remembered, UNKNOWN if evicted), while nonces issued later are
 * still accepted on first use.  Run on a one-choice table (64 slots: every
 * bucket is its own stripe) and a two-choice one.
 */
static void
bounded_eviction_safe(size_t slots, int n)
{
	td_digest_replay *r = mk(slots);
	td_digest_replay_stats st;
	td_digest_replay_get_stats(r, &st);
	assert_int_equal(st.capacity, slots);
	uint64_t *ids = calloc((size_t)n, sizeof(*ids));
	assert_non_null(ids);
	uint64_t x = 88172645463325252ull;

	for (int k = 0; k < n; k++) {
		int64_t t = T0 + SEC + k; /* issued 1 µs apart, all alive */
		ids[k] = xorshift(&x);
		assert_int_equal(td_digest_replay_check(r, ids[k], t, 1, t), TD_DIGEST_REPLAY_OK);
	}
	td_digest_replay_get_stats(r, &st);
	assert_int_equal(st.entries, slots);
	assert_int_equal(st.evictions, (uint64_t)n - slots);

	int unknown = 0, seen = 0;
	for (int k = 0; k < n; k++) {
		int64_t t = T0 + SEC + k;
		td_digest_replay_status s = td_digest_replay_check(r, ids[k], t, 1, T0 + 2 * SEC);
		assert_int_not_equal(s, TD_DIGEST_REPLAY_OK); /* the replay */
		unknown += s == TD_DIGEST_REPLAY_UNKNOWN;
		seen += s == TD_DIGEST_REPLAY_SEEN;
		/* nc=2 is new: accepted only for a nonce still remembered, and only once. */
		s = td_digest_replay_check(r, ids[k], t, 2, T0 + 2 * SEC);
		if (s == TD_DIGEST_REPLAY_OK) {
			assert_int_equal(td_digest_replay_check(r, ids[k], t, 2, T0 + 2 * SEC),
			    TD_DIGEST_REPLAY_SEEN);
		}
	}
	assert_true(unknown >= n - (int)slots);
	assert_true(seen > 0);
	/* Fresh nonces (issued later, at distinct times) are still welcome. */
	for (size_t k = 0; k < slots; k++) {
		int64_t t = T0 + 10 * SEC + (int64_t)k;
		assert_int_equal(
		    td_digest_replay_check(r, xorshift(&x), t, 1, t), TD_DIGEST_REPLAY_OK);
	}
	free(ids);
	td_digest_replay_free(r);
}

static void
test_bounded_eviction_safe(void **state)
{
	(void)state;
	bounded_eviction_safe(64, 5000);
	bounded_eviction_safe(1024, 20000);
}

/*
 * Two choices per nonce keep buckets from overflowing: 60% full, nothing
 * live is evicted (with one choice, some 8-way buckets would overflow).
 */
static void
test_two_choices_fill(void **state)
{
	(void)state;
	td_digest_replay *r = mk(65536);
	uint64_t x = 2463534242ull;
	int n = 65536 * 60 / 100;
	for (int k = 0; k < n; k++) {
		int64_t t = T0 + SEC + k;
		assert_int_equal(
		    td_digest_replay_check(r, xorshift(&x), t, 1, t), TD_DIGEST_REPLAY_OK);
	}
	td_digest_replay_stats st;
	td_digest_replay_get_stats(r, &st);
	assert_int_equal(st.entries, n);
	assert_int_equal(st.evictions, 0);
	td_digest_replay_free(r);
}

/* A bucket's evictions do not make nonces of other buckets unknown. */
static void
test_watermark_per_bucket(void **state)
{
	(void)state;
	td_digest_replay *r = mk(64); /* 8 buckets: bucket = id % 8 */
	int64_t t = T0 + SEC;
	/* Nine nonces into bucket 0, issued t+0..t+8: the one issued at t is evicted. */
	for (uint64_t k = 0; k < 9; k++) {
		assert_int_equal(td_digest_replay_check(r, 8 * (k + 1), t + (int64_t)k, 1, t + 8),
		    TD_DIGEST_REPLAY_OK);
	}
	assert_int_equal(td_digest_replay_check(r, 8, t, 1, t + 9), TD_DIGEST_REPLAY_UNKNOWN);
	assert_int_equal(td_digest_replay_check(r, 8, t, 2, t + 9), TD_DIGEST_REPLAY_UNKNOWN);
	/* Bucket 0: an unseen nonce issued at the watermark is unknown, one after it is new. */
	assert_int_equal(td_digest_replay_check(r, 800, t, 1, t + 9), TD_DIGEST_REPLAY_UNKNOWN);
	/* Bucket 1, same issue time: unaffected. */
	assert_int_equal(td_digest_replay_check(r, 801, t, 1, t + 9), TD_DIGEST_REPLAY_OK);
	td_digest_replay_free(r);
}

/* Expired entries make room without counting as evictions of live nonces. */
static void
test_expired_reuse(void **state)
{
	(void)state;
	td_digest_replay *r = mk(64);
	int64_t t = T0 + SEC;
	for (uint64_t k = 0; k < 8; k++) {
		assert_int_equal(
		    td_digest_replay_check(r, 8 * (k + 1), t, 1, t), TD_DIGEST_REPLAY_OK);
	}
	int64_t later = t + LIFE + SEC;
	for (uint64_t k = 0; k < 8; k++) {
		assert_int_equal(
		    td_digest_replay_check(r, 8 * (k + 100), later, 1, later), TD_DIGEST_REPLAY_OK);
	}
	td_digest_replay_stats st;
	td_digest_replay_get_stats(r, &st);
	assert_int_equal(st.evictions, 0);
	assert_int_equal(st.entries, 8);
	/* The expired ones are gone, and not accepted again (their nonce would be stale anyway). */
	assert_int_equal(td_digest_replay_check(r, 8, t, 2, later), TD_DIGEST_REPLAY_UNKNOWN);
	td_digest_replay_free(r);
}

static void
test_bad_args(void **state)
{
	(void)state;
	td_digest_replay *r = (td_digest_replay *)&r;
	assert_int_equal(td_digest_replay_new(64, 0, T0, &r), TD_EINVAL);
	assert_null(r);
	assert_int_equal(td_digest_replay_new((size_t)1 << 31, LIFE, T0, &r), TD_EINVAL);
	td_digest_replay_free(NULL);
	/* Tiny sizes round up to the minimum of 64. */
	r = mk(1);
	td_digest_replay_stats st;
	td_digest_replay_get_stats(r, &st);
	assert_int_equal(st.capacity, 64);
	td_digest_replay_free(r);
}

/* ---- concurrency --------------------------------------------------------- */

/*
 * Each round, every thread waits at a spinning barrier and then presents
 * the same (nonce, nc) at the same moment; exactly one must get OK.
 * Mode 0 uses a new nonce per round (the insert path), mode 1 the next nc
 * of one nonce (the update path).
 */
#define THREADS 4
#define ROUNDS 20000

typedef struct race {
	td_digest_replay *r;
	int mode;
	atomic_int arrived; /* threads x rounds begun, for the barrier */
	uint8_t wins[ROUNDS][THREADS]; /* wins[round][thread]: that thread got OK */
} race;

typedef struct racer {
	race *rc;
	int idx;
} racer;

static void
spin_barrier(race *rc, int round)
{
	atomic_fetch_add(&rc->arrived, 1);
	while (atomic_load(&rc->arrived) < THREADS * (round + 1)) {
		sched_yield();
	}
}

static void *
run_racer(void *arg)
{
	racer *me = arg;
	race *rc = me->rc;
	int64_t t = T0 + SEC;
	for (int round = 0; round < ROUNDS; round++) {
		spin_barrier(rc, round);
		uint64_t id = rc->mode == 0 ? (uint64_t)round + 1 : 42;
		uint32_t nc = rc->mode == 0 ? 1 : (uint32_t)round + 1;
		if (td_digest_replay_check(rc->r, id, t, nc, t) == TD_DIGEST_REPLAY_OK) {
			rc->wins[round][me->idx] = 1;
		}
	}
	return (NULL);
}

static void
race_and_count(int mode)
{
	race *rc = calloc(1, sizeof(*rc));
	assert_non_null(rc);
	rc->r = mk(4 * ROUNDS);
	rc->mode = mode;
	atomic_init(&rc->arrived, 0);
	pthread_t th[THREADS];
	racer rs[THREADS];
	for (int k = 0; k < THREADS; k++) {
		rs[k].rc = rc;
		rs[k].idx = k;
		assert_int_equal(pthread_create(&th[k], NULL, run_racer, &rs[k]), 0);
	}
	for (int k = 0; k < THREADS; k++) {
		pthread_join(th[k], NULL);
	}
	for (int round = 0; round < ROUNDS; round++) {
		int w = 0;
		for (int k = 0; k < THREADS; k++) {
			w += rc->wins[round][k];
		}
		if (w != 1) {
			print_message("round %d: %d winners\n", round, w);
		}
		assert_int_equal(w, 1);
	}
	td_digest_replay_stats st;
	td_digest_replay_get_stats(rc->r, &st);
	assert_int_equal(st.entries, mode == 0 ? ROUNDS : 1);
	assert_int_equal(st.seen, (uint64_t)ROUNDS * (THREADS - 1));
	assert_int_equal(st.evictions, 0);
	td_digest_replay_free(rc->r);
	free(rc);
}

/* Threads presenting the same new nonce at once: exactly one wins. */
static void
test_concurrent_same_nonce(void **state)
{
	(void)state;
	race_and_count(0);
}

/* Threads presenting the same nc of one nonce at once: exactly one wins each. */
static void
test_concurrent_same_nc(void **state)
{
	(void)state;
	race_and_count(1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_increasing_nc),
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_before_start),
		cmocka_unit_test(test_bounded_eviction_safe),
		cmocka_unit_test(test_two_choices_fill),
		cmocka_unit_test(test_watermark_per_bucket),
		cmocka_unit_test(test_expired_reuse),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_concurrent_same_nonce),
		cmocka_unit_test(test_concurrent_same_nc),
	};
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
