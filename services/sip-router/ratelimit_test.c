/* SPDX-License-Identifier: MIT */
/* Unit tests: per-source rate limiting (pike). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "ratelimit.h"

static sr_addr
addr(const char *ip, uint16_t port)
{
	sr_addr a;
	assert_int_equal(sr_addr_parse(&a, ip, strlen(ip), port, SR_UDP), 0);
	return (a);
}

static int
allowed(rl *r, const sr_addr *a, int n, int64_t now)
{
	int ok = 0;
	for (int i = 0; i < n; i++) {
		ok += rl_allow(r, a, now);
	}
	return (ok);
}

static void
test_burst_then_block_then_recover(void **state)
{
	(void)state;
	rl *r = rl_new(10, 20, 5000);
	sr_addr a = addr("198.51.100.1", 5060), b = addr("198.51.100.2", 5060);
	int64_t now = 1000;
	assert_int_equal(allowed(r, &a, 20, now), 20); /* the burst */
	assert_false(rl_allow(r, &a, now));            /* empty: blocked */
	json_t *bl = rl_blocked(r, now);
	assert_int_equal(json_array_size(bl), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(bl, 0), "source")),
	    "198.51.100.1");
	json_decref(bl);
	/* another port of the same host is the same source */
	sr_addr a2 = addr("198.51.100.1", 40000);
	assert_false(rl_allow(r, &a2, now + 100));
	/* others are not affected */
	assert_int_equal(allowed(r, &b, 20, now), 20);
	/* blocked for block_ms even though tokens came back meanwhile */
	assert_false(rl_allow(r, &a, now + 4999));
	/* then it starts over with what the rate gave it since the last message */
	assert_true(rl_allow(r, &a, now + 5001));
	bl = rl_blocked(r, now + 5001);
	assert_int_equal(json_array_size(bl), 0); /* a's block is over; b never went over */
	json_decref(bl);
	rl_free(r);
}

static void
test_sustained_rate(void **state)
{
	(void)state;
	rl *r = rl_new(100, 10, 30000);
	sr_addr a = addr("2001:db8::5", 5060);
	/* exactly the rate for 10 s: never blocked */
	int64_t now = 0;
	int ok = 0;
	for (int i = 0; i < 1000; i++, now += 10) {
		ok += rl_allow(r, &a, now);
	}
	assert_int_equal(ok, 1000);
	/* twice the rate: blocked soon, and stays blocked */
	int denied = 0;
	for (int i = 0; i < 200; i++, now += 5) {
		denied += !rl_allow(r, &a, now);
	}
	assert_true(denied > 150);
	rl_free(r);
}

static void
test_disabled_and_sweep(void **state)
{
	(void)state;
	rl *off = rl_new(0, 1, 1000);
	sr_addr a = addr("203.0.113.4", 5060);
	assert_int_equal(allowed(off, &a, 10000, 0), 10000);
	rl_free(off);

	rl *r = rl_new(1, 1, 1000);
	for (int i = 0; i < 300; i++) {
		char ip[32];
		snprintf(ip, sizeof(ip), "10.0.%d.%d", i / 250, i % 250);
		sr_addr x = addr(ip, 5060);
		assert_true(rl_allow(r, &x, 0));
		assert_false(rl_allow(r, &x, 0));
	}
	json_t *bl = rl_blocked(r, 10);
	assert_int_equal(json_array_size(bl), 300);
	json_decref(bl);
	rl_sweep(r, 30000); /* quiet for 30 s: kept */
	sr_addr x = addr("10.0.0.0", 5060);
	assert_true(rl_allow(r, &x, 30000)); /* unblocked, refilled */
	rl_sweep(r, 200000); /* quiet for > 60 s: forgotten (a fresh bucket next time) */
	bl = rl_blocked(r, 200000);
	assert_int_equal(json_array_size(bl), 0);
	json_decref(bl);
	assert_true(rl_allow(r, &x, 200000));
	rl_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_burst_then_block_then_recover),
	    cmocka_unit_test(test_sustained_rate),
	    cmocka_unit_test(test_disabled_and_sweep),
	};
	return (cmocka_run_group_tests_name("sip-router ratelimit", tests, NULL, NULL));
}
