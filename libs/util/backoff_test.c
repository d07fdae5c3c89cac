/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for td_backoff.  Nothing sleeps: each failure's delay is
 * checked against the ceiling in force, and next_at_ms against the
 * monotonic clock read around the call.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "util/backoff.h"
#include "util/clock.h"
#include "util/err.h"

/* fail_checked records one failure and checks delay and deadline. */
static int64_t
fail_checked(td_backoff *b)
{
	int64_t ceiling = b->cur_ms;
	int64_t before = td_mono_ms();
	int64_t d = td_backoff_fail(b);
	int64_t after = td_mono_ms();
	if (d < ceiling / 2 || d > ceiling || d < 1) {
		fail_msg("delay %lld outside [%lld, %lld]", (long long)d, (long long)(ceiling / 2),
		    (long long)ceiling);
	}
	assert_true(b->next_at_ms >= before + d);
	assert_true(b->next_at_ms <= after + d);
	return (d);
}

static void
test_init_bounds(void **state)
{
	(void)state;
	td_backoff b;
	td_backoff_init(&b, 100, 5000);
	assert_int_equal(b.min_ms, 100);
	assert_int_equal(b.max_ms, 5000);
	assert_int_equal(b.cur_ms, 100);
	assert_int_equal(b.failures, 0);
	assert_true(td_backoff_ready(&b));
	/* Nonsense bounds are repaired: min >= 1, max >= min. */
	td_backoff_init(&b, 0, -5);
	assert_int_equal(b.min_ms, 1);
	assert_int_equal(b.max_ms, 1);
	td_backoff_init(&b, 500, 100);
	assert_int_equal(b.min_ms, 500);
	assert_int_equal(b.max_ms, 500);
}

static void
test_grows_and_caps(void **state)
{
	(void)state;
	td_backoff b;
	td_backoff_init(&b, 100, 5000);
	static const int64_t ceilings[] = { 100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000 };
	for (size_t i = 0; i < TD_ARRAY_LEN(ceilings); i++) {
		assert_int_equal(b.cur_ms, ceilings[i]);
		fail_checked(&b);
		assert_int_equal(b.failures, i + 1);
	}
	assert_false(td_backoff_ready(&b)); /* the last delay is >= 2.5 s */
	/* Many more failures: still capped. */
	for (int i = 0; i < 1000; i++) {
		assert_true(fail_checked(&b) <= 5000);
	}
	assert_int_equal(b.cur_ms, 5000);
}

static void
test_jitter_varies(void **state)
{
	(void)state;
	td_backoff b;
	td_backoff_init(&b, 1000, 1000);
	int64_t lo = 1000, hi = 0;
	for (int i = 0; i < 200; i++) {
		int64_t d = fail_checked(&b);
		lo = d < lo ? d : lo;
		hi = d > hi ? d : hi;
	}
	/* Full jitter over [500, 1000]: 200 draws do not all land together. */
	assert_true(hi - lo > 100);
}

static void
test_never_zero(void **state)
{
	(void)state;
	td_backoff b;
	td_backoff_init(&b, 1, 1);
	for (int i = 0; i < 50; i++) {
		assert_int_equal(fail_checked(&b), 1);
	}
}

static void
test_ready_and_reset(void **state)
{
	(void)state;
	td_backoff b;
	td_backoff_init(&b, 60000, 600000);
	fail_checked(&b);
	fail_checked(&b);
	assert_false(td_backoff_ready(&b));
	/* The window is all that ready() looks at. */
	b.next_at_ms = td_mono_ms() - 1;
	assert_true(td_backoff_ready(&b));
	b.next_at_ms = td_mono_ms() + 60000;
	assert_false(td_backoff_ready(&b));
	td_backoff_ok(&b);
	assert_true(td_backoff_ready(&b));
	assert_int_equal(b.failures, 0);
	assert_int_equal(b.cur_ms, 60000);
	assert_int_equal(b.next_at_ms, 0);
	/* After a reset the next delay starts from min again. */
	int64_t d = fail_checked(&b);
	assert_true(d >= 30000 && d <= 60000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_bounds),
		cmocka_unit_test(test_grows_and_caps),
		cmocka_unit_test(test_jitter_varies),
		cmocka_unit_test(test_never_zero),
		cmocka_unit_test(test_ready_and_reset),
	};
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
