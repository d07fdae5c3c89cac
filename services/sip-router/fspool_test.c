/* SPDX-License-Identifier: MIT */
/* Unit tests: the FreeSWITCH pool's strategies and health. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "fspool.h"

enum { RR = 0, LEAST = 1, HASH = 2, PRIO = 3 }; /* the order of fs.strategy's names */

static fs_pool *
pool(int strategy)
{
	char err[256] = "";
	fs_pool *p = fs_new("sip:127.0.0.1:5080, sip:127.0.0.2:5080;transport=tcp,sip:[::1]:5090",
	    strategy, 2, err, sizeof(err));
	assert_non_null(p);
	assert_int_equal(fs_count(p), 3);
	return (p);
}

static void
test_parse(void **state)
{
	(void)state;
	fs_pool *p = pool(RR);
	assert_string_equal(fs_node_at(p, 0)->hostport, "127.0.0.1:5080");
	assert_int_equal(fs_node_at(p, 1)->addr.proto, SR_TCP);
	assert_string_equal(fs_node_at(p, 2)->hostport, "[::1]:5090");
	sr_addr a;
	assert_int_equal(sr_addr_parse(&a, "127.0.0.2", 9, 9999, SR_UDP), 0);
	assert_true(fs_is_node(p, &a.u.sa)); /* any port */
	assert_int_equal(sr_addr_parse(&a, "127.0.0.3", 9, 5080, SR_UDP), 0);
	assert_false(fs_is_node(p, &a.u.sa));
	fs_free(p);

	char err[256] = "";
	assert_null(fs_new("sip:127.0.0.1:5080,http://x", RR, 2, err, sizeof(err)));
	assert_non_null(strstr(err, "http://x"));
	assert_null(fs_new("sip:no-such-host.invalid", RR, 2, err, sizeof(err)));
	assert_non_null(strstr(err, "no-such-host.invalid"));
	fs_pool *empty = fs_new("", RR, 2, err, sizeof(err));
	assert_int_equal(fs_count(empty), 0);
	assert_int_equal(fs_pick(empty, NULL, 0, 0), -1);
	fs_free(empty);
}

static void
test_round_robin_skips_the_dead(void **state)
{
	(void)state;
	fs_pool *p = pool(RR);
	int seen[3] = {0};
	for (int i = 0; i < 30; i++) {
		seen[fs_pick(p, NULL, 0, 0)]++;
	}
	assert_int_equal(seen[0], 10);
	assert_int_equal(seen[1], 10);
	assert_int_equal(seen[2], 10);
	/* node 1 misses two probes (fail_after = 2): skipped */
	fs_probe_sent(p, 1, 1000);
	fs_probe_expire(p, 1500, 1000); /* not yet */
	fs_probe_expire(p, 2001, 1000);
	fs_probe_result(p, 1, false, 0); /* a late failure of the same probe counts once */
	fs_probe_sent(p, 1, 3000);
	fs_probe_expire(p, 4001, 1000);
	memset(seen, 0, sizeof(seen));
	for (int i = 0; i < 30; i++) {
		seen[fs_pick(p, NULL, 0, 0)]++;
	}
	assert_int_equal(seen[1], 0);
	assert_int_equal(seen[0] + seen[2], 30);
	/* a tried bitmask excludes nodes: failover goes to the other live one */
	assert_int_equal(fs_pick(p, NULL, 0, 1u << 0), 2);
	/* everything tried but the dead one: it is still offered (probes may lag) */
	assert_int_equal(fs_pick(p, NULL, 0, (1u << 0) | (1u << 2)), 1);
	assert_int_equal(fs_pick(p, NULL, 0, 7), -1);
	/* one answered probe brings it back */
	fs_probe_sent(p, 1, 5000);
	fs_probe_result(p, 1, true, 1500);
	memset(seen, 0, sizeof(seen));
	for (int i = 0; i < 30; i++) {
		seen[fs_pick(p, NULL, 0, 0)]++;
	}
	assert_int_equal(seen[1], 10);
	json_t *st = fs_status(p);
	assert_string_equal(json_string_value(json_object_get(json_array_get(st, 1), "state")), "up");
	json_decref(st);
	fs_free(p);
}

static void
test_least_calls_and_priority_and_hash(void **state)
{
	(void)state;
	fs_pool *p = pool(LEAST);
	fs_call_begin(p, 0);
	fs_call_begin(p, 0);
	fs_call_begin(p, 1);
	assert_int_equal(fs_pick(p, NULL, 0, 0), 2);
	fs_call_begin(p, 2);
	fs_call_begin(p, 2);
	assert_int_equal(fs_pick(p, NULL, 0, 0), 1);
	fs_call_end(p, 0);
	fs_call_end(p, 0);
	fs_call_end(p, 0); /* one too many: clamps at zero */
	assert_int_equal(fs_pick(p, NULL, 0, 0), 0);
	fs_free(p);

	p = pool(PRIO);
	assert_int_equal(fs_pick(p, NULL, 0, 0), 0);
	assert_int_equal(fs_pick(p, NULL, 0, 0), 0);
	fs_result(p, 0, false, 0); /* calls that fail count like probes */
	fs_result(p, 0, false, 0);
	assert_int_equal(fs_pick(p, NULL, 0, 0), 1);
	fs_free(p);

	p = pool(HASH);
	const char *id = "a84b4c76e66710@pc33.atlanta.example.com";
	int first = fs_pick(p, id, strlen(id), 0);
	for (int i = 0; i < 10; i++) {
		assert_int_equal(fs_pick(p, id, strlen(id), 0), first); /* sticky per Call-ID */
	}
	int spread[3] = {0};
	for (int i = 0; i < 300; i++) {
		char cid[32];
		snprintf(cid, sizeof(cid), "call-%d@host", i);
		spread[fs_pick(p, cid, strlen(cid), 0)]++;
	}
	for (int i = 0; i < 3; i++) {
		assert_true(spread[i] > 50);
	}
	fs_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_round_robin_skips_the_dead),
	    cmocka_unit_test(test_least_calls_and_priority_and_hash),
	};
	return (cmocka_run_group_tests_name("sip-router fspool", tests, NULL, NULL));
}
