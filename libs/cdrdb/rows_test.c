/* SPDX-License-Identifier: MIT */
/* Unit tests: CdrRecord -> INSERT parameters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cdrdb/rows.h"

static Tandem__CdrRecord
sample(void)
{
	Tandem__CdrRecord r = TANDEM__CDR_RECORD__INIT;
	r.leg_uuid = (char *)"leg-1";
	r.call_uuid = (char *)"call-1";
	r.leg = TANDEM__CDR_LEG__CDR_LEG_B;
	r.source = TANDEM__CDR_SOURCE__CDR_SOURCE_FREESWITCH;
	r.caller_id_number = (char *)"1001";
	r.destination_number = (char *)"";
	r.start_us = 1521025758006702;     /* 2018-03-14T11:09:18.006702Z */
	r.answer_us = 0;
	r.end_us = 1521025779000000;
	r.duration_s = 21;
	r.billsec = 0;
	r.hangup_cause_q850 = 16;
	r.sip_term_status = 0;
	r.mos = 4.492027;
	return (r);
}

/* col finds a column's parameter in row 0. */
static const char *
col(const td_cdrdb_rows *r, int c)
{
	const char *v[TD_CDRDB_NCOLS];
	td_cdrdb_rows_params(r, 0, 1, v);
	return (v[c]);
}

static void
test_params(void **state)
{
	(void)state;
	td_cdrdb_rows r;
	td_cdrdb_rows_init(&r);
	Tandem__CdrRecord rec = sample();
	td_cdrdb_rows_add(&r, &rec);
	assert_int_equal(r.n, 1);
	assert_string_equal(col(&r, 0), "leg-1");
	assert_string_equal(col(&r, 1), "call-1");
	assert_string_equal(col(&r, 2), "b");
	assert_string_equal(col(&r, 3), "freeswitch");
	assert_null(col(&r, 4));                     /* node unset -> NULL */
	assert_string_equal(col(&r, 6), "1001");
	assert_null(col(&r, 8));                     /* "" destination -> NULL */
	assert_string_equal(col(&r, 12), "2018-03-14T11:09:18.006702Z");
	assert_null(col(&r, 13));                    /* unanswered */
	assert_string_equal(col(&r, 15), "21");
	assert_string_equal(col(&r, 16), "0");       /* billsec 0 is a value */
	assert_string_equal(col(&r, 19), "16");
	assert_null(col(&r, 20));                    /* no SIP status */
	assert_string_equal(col(&r, 29), "4.4920");
	td_cdrdb_rows_free(&r);
}

static void
test_many_rows_stable_pointers(void **state)
{
	(void)state;
	td_cdrdb_rows r;
	td_cdrdb_rows_init(&r);
	char ids[300][16];
	for (int i = 0; i < 300; i++) {
		Tandem__CdrRecord rec = sample();
		snprintf(ids[i], sizeof(ids[i]), "leg-%d", i);
		rec.leg_uuid = ids[i];
		td_cdrdb_rows_add(&r, &rec);
	}
	const char **v = calloc(300 * TD_CDRDB_NCOLS, sizeof(char *));
	td_cdrdb_rows_params(&r, 0, 300, v);
	for (int i = 0; i < 300; i++) {
		assert_string_equal(v[i * TD_CDRDB_NCOLS], ids[i]);
	}
	td_cdrdb_rows_params(&r, 299, 1, v);
	assert_string_equal(v[0], "leg-299");
	free(v);
	td_cdrdb_rows_reset(&r);
	assert_int_equal(r.n, 0);
	td_cdrdb_rows_free(&r);
}

static void
test_check(void **state)
{
	(void)state;
	char why[128];
	Tandem__CdrRecord rec = sample();
	assert_int_equal(td_cdrdb_check(&rec, why, sizeof(why)), 0);
	rec.leg_uuid = (char *)"";
	assert_int_equal(td_cdrdb_check(&rec, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "leg_uuid"));
	rec = sample();
	rec.start_us = 0;
	assert_int_equal(td_cdrdb_check(&rec, why, sizeof(why)), -1);
	rec = sample();
	rec.end_us = rec.start_us - 1;
	assert_int_equal(td_cdrdb_check(&rec, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "ends before"));
}

static void
test_sql(void **state)
{
	(void)state;
	char *sql = td_cdrdb_insert_sql(2);
	assert_non_null(strstr(sql, "INSERT INTO voip.cdr (leg_uuid, call_uuid, leg,"));
	assert_non_null(strstr(sql, "VALUES ($1,$2,"));
	assert_non_null(strstr(sql, ",$32), ($33,"));
	assert_non_null(strstr(sql, ",$64) ON CONFLICT (leg_uuid, start_time) DO NOTHING"));
	assert_null(strstr(sql, "$65"));
	free(sql);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_params),
	    cmocka_unit_test(test_many_rows_stable_pointers),
	    cmocka_unit_test(test_check),
	    cmocka_unit_test(test_sql),
	};
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
