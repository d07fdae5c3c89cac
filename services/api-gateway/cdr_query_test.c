/* SPDX-License-Identifier: MIT */
/* Unit tests: GET /api/cdr parameter parsing and SQL building. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "cdr_query.h"

static void
test_no_filters(void **state)
{
	(void)state;
	cdr_filter f;
	cdr_query q;
	cdr_filter_init(&f, 100);
	cdr_query_build(&f, &q);
	assert_non_null(strstr(q.sql.data, "FROM voip.cdr WHERE true ORDER BY start_time DESC, id "
	                                   "DESC LIMIT $1::int"));
	assert_int_equal(q.nparams, 1);
	assert_string_equal(q.params[0], "101"); /* one extra row detects the next page */
	cdr_query_free(&q);
}

static void
test_all_filters(void **state)
{
	(void)state;
	cdr_filter f;
	cdr_query q;
	char err[256];
	cdr_filter_init(&f, 100);
	const char *kv[][2] = {{"from", "2018-03-14T00:00:00Z"}, {"to", "1521072000"},
	    {"caller", "1001"}, {"destination", "1002"}, {"direction", "inbound"},
	    {"queue", "support@default"}, {"agent", "1005"}, {"hangup_cause", "NORMAL_CLEARING"},
	    {"leg", "a"}, {"call_uuid", "u1"}, {"sip_call_id", "c1@h"}, {"limit", "5"}};
	for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++) {
		assert_int_equal(cdr_filter_set(&f, kv[i][0], kv[i][1], 1000, err, sizeof(err)), 0);
	}
	assert_int_equal(f.from_us, 1520985600000000LL);
	assert_int_equal(f.to_us, 1521072000000000LL);
	cdr_query_build(&f, &q);
	assert_int_equal(q.nparams, 12);
	assert_non_null(strstr(q.sql.data, "start_time >= ('epoch'::timestamptz + $1::bigint"));
	assert_non_null(strstr(q.sql.data, "start_time < ('epoch'::timestamptz + $2::bigint"));
	assert_non_null(strstr(q.sql.data, "caller_id_number = $3"));
	assert_non_null(strstr(q.sql.data, "queue = $6"));
	assert_non_null(strstr(q.sql.data, "sip_call_id = $11"));
	assert_non_null(strstr(q.sql.data, "LIMIT $12::int"));
	assert_string_equal(q.params[0], "1520985600000000");
	assert_string_equal(q.params[2], "1001");
	assert_string_equal(q.params[11], "6");
	cdr_query_free(&q);
}

static void
test_bad_params(void **state)
{
	(void)state;
	cdr_filter f;
	char err[256];
	cdr_filter_init(&f, 100);
	assert_int_equal(cdr_filter_set(&f, "calller", "1", 1000, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unknown parameter 'calller'"));
	assert_int_equal(cdr_filter_set(&f, "limit", "0", 1000, err, sizeof(err)), -1);
	assert_int_equal(cdr_filter_set(&f, "limit", "1001", 1000, err, sizeof(err)), -1);
	assert_int_equal(cdr_filter_set(&f, "limit", "12x", 1000, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "limit"));
	assert_int_equal(cdr_filter_set(&f, "from", "yesterday", 1000, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "'from'"));
	assert_int_equal(cdr_filter_set(&f, "caller", "", 1000, err, sizeof(err)), -1);
	assert_int_equal(cdr_filter_set(&f, "cursor", "!!!", 1000, err, sizeof(err)), -1);
	assert_int_equal(cdr_filter_set(&f, "cursor", "djE6eDox", 1000, err, sizeof(err)), -1);
}

static void
test_cursor(void **state)
{
	(void)state;
	char c[128], err[256];
	int64_t s, id;
	cdr_cursor_encode(1521025758006702LL, 42, c, sizeof(c));
	assert_null(strchr(c, '='));
	assert_int_equal(cdr_cursor_decode(c, &s, &id), 0);
	assert_int_equal(s, 1521025758006702LL);
	assert_int_equal(id, 42);
	cdr_filter f;
	cdr_query q;
	cdr_filter_init(&f, 10);
	assert_int_equal(cdr_filter_set(&f, "cursor", c, 1000, err, sizeof(err)), 0);
	cdr_query_build(&f, &q);
	assert_non_null(strstr(q.sql.data, "AND (start_time, id) < (('epoch'::timestamptz + "
	                                   "$1::bigint * interval '1 microsecond'), $2::bigint)"));
	assert_string_equal(q.params[1], "42");
	cdr_query_free(&q);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_no_filters),
	    cmocka_unit_test(test_all_filters),
	    cmocka_unit_test(test_bad_params),
	    cmocka_unit_test(test_cursor),
	};
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
