/* SPDX-License-Identifier: MIT */
/* Unit tests for td_parse_time and td_fmt_rfc3339. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "util/clock.h"
#include "util/err.h"

#define S 1000000LL

/* 2026-11-21T18:40:00Z, from `date -u -d 2026-11-21T18:40:00Z +%s`. */
#define T0 1795286400LL

static const struct {
	const char *in;
	int64_t us;
} accepts[] = {
	{ "2026-11-21T18:40:00Z", T0 *S },
	{ "2026-11-21t18:40:00z", T0 *S },
	{ "2026-11-21 18:40:00", T0 *S },
	{ "2026-11-21T18:40:00", T0 *S },
	{ "2026-11-21T18:40:00+00:00", T0 *S },
	{ "2026-11-21T18:40:00.5+02:00", (T0 - 7200) * S + 500000 },
	{ "2026-11-21T18:40:00-05:30", (T0 + 5 * 3600 + 1800) * S },
	{ "2026-11-21T18:40:00.123456Z", T0 *S + 123456 },
	{ "2026-11-21T18:40:00.1Z", T0 *S + 100000 },
	{ "2026-11-21T18:40:00.000001Z", T0 *S + 1 },
	{ "2026-11-21T18:40:00.123456789Z", T0 *S + 123456 }, /* truncated to µs */
	{ "2026-11-21", 1795219200LL * S },
	{ "2024-02-29", 1709164800LL * S }, /* leap day */
	{ "1970-01-01T00:00:00Z", 0 },
	{ "1969-12-31T23:59:59.5Z", -500000 },
	{ "9999-12-31T23:59:59Z", 253402300799LL * S },
	{ "0", 0 },
	{ "1700000000", 1700000000LL * S },
	{ "253402300799", 253402300799LL * S },
};

static const char *const rejects[] = {
	"",
	"garbage",
	"-5",
	"+5",
	"12a",
	"1.5",
	"253402300800", /* after year 9999 */
	"99999999999999999999999", /* overflows */
	"2026-11",
	"2026-1-21",
	"2026/11/21",
	"2026-13-01",
	"2026-00-10",
	"2026-11-00",
	"2026-11-32",
	"2026-02-30", /* no such day */
	"2025-02-29", /* not a leap year */
	"2026-04-31",
	"2026-11-21T",
	"2026-11-21T18:40Z",
	"2026-11-21T24:00:00Z",
	"2026-11-21T18:60:00Z",
	"2026-11-21T18:40:61Z",
	"2026-11-21T18:40:00.Z",
	"2026-11-21T18:40:00+0200",
	"2026-11-21T18:40:00+02",
	"2026-11-21T18:40:00+24:00",
	"2026-11-21T18:40:00+02:60",
	"2026-11-21T18:40:00Zjunk",
	"2026-11-21T18:40:00 Z",
	" 2026-11-21",
	"2026-11-21 ",
	"2026-11-21X18:40:00Z",
};

static void
test_parse_accepts(void **state)
{
	(void)state;
	for (size_t i = 0; i < TD_ARRAY_LEN(accepts); i++) {
		int64_t us = 42;
		int rv = td_parse_time(accepts[i].in, &us);
		if (rv != 0 || us != accepts[i].us) {
			fail_msg("'%s': rv=%d us=%lld, want %lld", accepts[i].in, rv, (long long)us,
			    (long long)accepts[i].us);
		}
	}
}

static void
test_parse_rejects(void **state)
{
	(void)state;
	for (size_t i = 0; i < TD_ARRAY_LEN(rejects); i++) {
		int64_t us = 42;
		int rv = td_parse_time(rejects[i], &us);
		if (rv != TD_EINVAL) {
			fail_msg("'%s': accepted (rv=%d us=%lld)", rejects[i], rv, (long long)us);
		}
		assert_int_equal(us, 42); /* untouched on error */
	}
	int64_t us;
	assert_int_equal(td_parse_time(NULL, &us), TD_EINVAL);
}

static void
test_fmt_exact(void **state)
{
	(void)state;
	static const struct {
		int64_t us;
		const char *out;
	} cases[] = {
		{ 0, "1970-01-01T00:00:00.000000Z" },
		{ 1, "1970-01-01T00:00:00.000001Z" },
		{ -1, "1969-12-31T23:59:59.999999Z" },
		{ -1000000, "1969-12-31T23:59:59.000000Z" },
		{ -1500000, "1969-12-31T23:59:58.500000Z" },
		{ T0 * S + 123456, "2026-11-21T18:40:00.123456Z" },
		{ 253402300799LL * S + 999999, "9999-12-31T23:59:59.999999Z" },
	};
	for (size_t i = 0; i < TD_ARRAY_LEN(cases); i++) {
		char buf[40];
		assert_ptr_equal(td_fmt_rfc3339(cases[i].us, buf, sizeof(buf)), buf);
		assert_string_equal(buf, cases[i].out);
	}
	/* A short buffer is truncated, never overrun. */
	char small[11];
	td_fmt_rfc3339(0, small, sizeof(small));
	assert_string_equal(small, "1970-01-01");
}

static void
test_round_trip(void **state)
{
	(void)state;
	static const int64_t vals[] = { 0, 1, -1, 999999, -999999, 1000000, -1000001, T0 * S,
		T0 * S + 500000, -86400LL * S * 365 * 50 + 7, 1709208000LL * S + 42,
		253402300799LL * S + 999999 };
	for (size_t i = 0; i < TD_ARRAY_LEN(vals); i++) {
		char buf[40];
		int64_t back = 0;
		td_fmt_rfc3339(vals[i], buf, sizeof(buf));
		assert_int_equal(td_parse_time(buf, &back), TD_OK);
		if (back != vals[i]) {
			fail_msg("%lld -> %s -> %lld", (long long)vals[i], buf, (long long)back);
		}
	}
	/* And the wall clock, which is what records carry. */
	char buf[40];
	int64_t now = td_wall_us(), back;
	td_fmt_rfc3339(now, buf, sizeof(buf));
	assert_int_equal(td_parse_time(buf, &back), TD_OK);
	assert_int_equal(back, now);
}

static void
test_clocks(void **state)
{
	(void)state;
	/* Monotonic time never goes back; wall time is after 2020. */
	int64_t a = td_mono_us(), b = td_mono_us();
	assert_true(b >= a);
	assert_true(td_wall_us() > 1577836800LL * S);
	int64_t m0 = td_mono_ms();
	td_sleep_ms(2);
	assert_true(td_mono_ms() - m0 >= 2);
}

static void
test_mono_deadline(void **state)
{
	(void)state;
	/* the deadline is ms from now on CLOCK_MONOTONIC, nanoseconds normalised */
	struct timespec now, ts;
	int64_t ms[] = {0, 1, 999, 1000, 1500, 123456};
	for (size_t i = 0; i < sizeof(ms) / sizeof(ms[0]); i++) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		td_mono_deadline(&ts, ms[i]);
		assert_true(ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000L);
		int64_t d = ((int64_t)ts.tv_sec - now.tv_sec) * 1000 + (ts.tv_nsec - now.tv_nsec) / 1000000;
		assert_true(d >= ms[i] && d <= ms[i] + 100);
	}
	/* a wait on a monotonic condition variable ends at such a deadline */
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t cv;
	td_cond_init_mono(&cv);
	pthread_mutex_lock(&mu);
	int64_t t0 = td_mono_ms();
	td_mono_deadline(&ts, 20);
	int rc;
	while ((rc = pthread_cond_timedwait(&cv, &mu, &ts)) == 0) {
	}
	pthread_mutex_unlock(&mu);
	assert_int_equal(rc, ETIMEDOUT);
	assert_true(td_mono_ms() - t0 >= 20);
	pthread_cond_destroy(&cv);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_accepts),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_fmt_exact),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_clocks),
		cmocka_unit_test(test_mono_deadline),
	};
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
