/* SPDX-License-Identifier: MIT */
/* Unit tests for plan.c: merging files with the applied list. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "plan.h"

#define SUM_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SUM_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static void
add_file(migfile_set *s, int v, const char *sum)
{
	char fn[32], path[48];
	snprintf(fn, sizeof(fn), "%04d_m.sql", v);
	snprintf(path, sizeof(path), "d/%s", fn);
	migfile_add(s, v, "m", fn, path, sum);
}

static plan_applied
applied(int v, const char *sum)
{
	plan_applied a = { .version = v, .name = "m", .applied_at = "2026-11-21T00:00:00Z" };
	snprintf(a.sha256, sizeof(a.sha256), "%s", sum);
	return (a);
}

static void
test_fresh_database_all_pending(void **state)
{
	(void)state;
	migfile_set f = { 0 };
	add_file(&f, 1, SUM_A);
	add_file(&f, 2, SUM_A);
	plan p;
	plan_build(&f, NULL, 0, &p);
	assert_int_equal(p.n, 2);
	assert_int_equal(p.pending, 2);
	assert_int_equal(p.applied + p.changed + p.missing + p.out_of_order, 0);
	assert_int_equal(p.rows[0].state, PLAN_PENDING);
	assert_int_equal(p.rows[0].version, 1);
	assert_ptr_equal(p.rows[1].file, &f.v[1]);
	assert_null(p.rows[1].applied);
	plan_free(&p);
	migfile_set_free(&f);
}

static void
test_up_to_date_and_one_new(void **state)
{
	(void)state;
	migfile_set f = { 0 };
	add_file(&f, 1, SUM_A);
	add_file(&f, 2, SUM_B);
	add_file(&f, 3, SUM_A);
	plan_applied a[] = { applied(1, SUM_A), applied(2, SUM_B) };
	plan p;
	plan_build(&f, a, 2, &p);
	assert_int_equal(p.n, 3);
	assert_int_equal(p.applied, 2);
	assert_int_equal(p.pending, 1);
	assert_int_equal(p.rows[2].state, PLAN_PENDING);
	assert_int_equal(p.rows[2].version, 3);
	assert_false(p.rows[2].out_of_order);
	assert_int_equal(p.out_of_order, 0);
	plan_free(&p);
	migfile_set_free(&f);
}

static void
test_changed_checksum_detected(void **state)
{
	(void)state;
	migfile_set f = { 0 };
	add_file(&f, 1, SUM_A);
	add_file(&f, 2, SUM_A); /* was applied with SUM_B */
	plan_applied a[] = { applied(1, SUM_A), applied(2, SUM_B) };
	plan p;
	plan_build(&f, a, 2, &p);
	assert_int_equal(p.changed, 1);
	assert_int_equal(p.applied, 1);
	assert_int_equal(p.rows[1].state, PLAN_CHANGED);
	assert_string_equal(plan_state_name(p.rows[1].state), "CHANGED");
	assert_ptr_equal(p.rows[1].applied, &a[1]);
	plan_free(&p);
	migfile_set_free(&f);
}

static void
test_missing_file_and_out_of_order(void **state)
{
	(void)state;
	migfile_set f = { 0 };
	add_file(&f, 1, SUM_A);
	add_file(&f, 2, SUM_A); /* merged late: below applied 3 */
	add_file(&f, 5, SUM_A);
	plan_applied a[] = { applied(1, SUM_A), applied(3, SUM_A), applied(4, SUM_B) };
	plan p;
	plan_build(&f, a, 3, &p);
	assert_int_equal(p.n, 5);
	int want_v[] = { 1, 2, 3, 4, 5 };
	plan_state want_s[]
	    = { PLAN_APPLIED, PLAN_PENDING, PLAN_MISSING, PLAN_MISSING, PLAN_PENDING };
	for (int i = 0; i < 5; i++) {
		assert_int_equal(p.rows[i].version, want_v[i]);
		assert_int_equal(p.rows[i].state, want_s[i]);
	}
	assert_true(p.rows[1].out_of_order);
	assert_false(p.rows[4].out_of_order);
	assert_null(p.rows[2].file);
	assert_int_equal(p.missing, 2);
	assert_int_equal(p.pending, 2);
	assert_int_equal(p.out_of_order, 1);
	plan_free(&p);
	migfile_set_free(&f);
}

static void
test_no_files_everything_missing(void **state)
{
	(void)state;
	migfile_set f = { 0 };
	plan_applied a[] = { applied(1, SUM_A) };
	plan p;
	plan_build(&f, a, 1, &p);
	assert_int_equal(p.n, 1);
	assert_int_equal(p.missing, 1);
	plan_free(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fresh_database_all_pending),
		cmocka_unit_test(test_up_to_date_and_one_new),
		cmocka_unit_test(test_changed_checksum_detected),
		cmocka_unit_test(test_missing_file_and_out_of_order),
		cmocka_unit_test(test_no_files_everything_missing),
	};
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
