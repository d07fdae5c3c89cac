/* SPDX-License-Identifier: MIT */
/* Unit tests for migfile.c: names, ordering, duplicates, checksums, positions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "migfile.h"

/* ---- names ------------------------------------------------------------------ */

static void
test_parse_good(void **state)
{
	(void)state;
	char name[MIGFILE_NAME_MAX + 1];
	int v = -1;
	assert_int_equal(migfile_parse_name("0001_base.sql", &v, name, sizeof(name)), TD_OK);
	assert_int_equal(v, 1);
	assert_string_equal(name, "base");
	assert_int_equal(migfile_parse_name("0042_cdr_v2.sql", &v, name, sizeof(name)), TD_OK);
	assert_int_equal(v, 42);
	assert_string_equal(name, "cdr_v2");
	assert_int_equal(migfile_parse_name("9999_x.sql", &v, name, sizeof(name)), TD_OK);
	assert_int_equal(v, 9999);
	assert_string_equal(name, "x");
}

static void
test_parse_ignored(void **state)
{
	(void)state;
	char name[MIGFILE_NAME_MAX + 1];
	int v = -1;
	const char *ignored[] = { "README.md", ".0001_hidden.sql", "0001_base.sql~",
		"0001_base.sql.orig", "0001_base.sql.swp", "notes", ".", "..", "sql", ".sql" };
	for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++) {
		assert_int_equal(
		    migfile_parse_name(ignored[i], &v, name, sizeof(name)), TD_ENOTFOUND);
	}
	assert_int_equal(v, -1);
}

static void
test_parse_bad(void **state)
{
	(void)state;
	char name[MIGFILE_NAME_MAX + 1];
	int v = -1;
	const char *bad[] = {
		"1_base.sql", /* too few digits */
		"00001_base.sql", /* too many digits */
		"0000_zero.sql", /* version 0 */
		"0001base.sql", /* no underscore */
		"0001_.sql", /* empty name */
		"0001_Base.sql", /* upper case */
		"0001_with-dash.sql", "0001_with space.sql", "000a_base.sql",
		"0001_base.SQL", /* wrong case suffix: refused, not ignored */
		"x.sql",
		"0001_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.sql", /* 65
		                                                                               */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rv = migfile_parse_name(bad[i], &v, name, sizeof(name));
		if (rv != TD_EINVAL) {
			fail_msg("%s: expected TD_EINVAL, got %d", bad[i], rv);
		}
	}
	/* 64 name characters is the limit, and allowed. */
	assert_int_equal(
	    migfile_parse_name(
	        "0001_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.sql", &v,
	        name, sizeof(name)),
	    TD_OK);
	assert_int_equal(strlen(name), 64);
}

/* ---- ordering and duplicates -------------------------------------------------- */

static void
test_sort_orders_by_number_not_text(void **state)
{
	(void)state;
	migfile_set s = { 0 };
	migfile_add(&s, 10, "ten", "0010_ten.sql", "d/0010_ten.sql", "");
	migfile_add(&s, 2, "two", "0002_two.sql", "d/0002_two.sql", "");
	migfile_add(&s, 100, "hundred", "0100_hundred.sql", "d/0100_hundred.sql", "");
	migfile_add(&s, 1, "one", "0001_one.sql", "d/0001_one.sql", "");
	char err[256] = "";
	assert_int_equal(migfile_sort_check(&s, err, sizeof(err)), TD_OK);
	assert_int_equal(s.n, 4);
	assert_int_equal(s.v[0].version, 1);
	assert_int_equal(s.v[1].version, 2);
	assert_int_equal(s.v[2].version, 10);
	assert_int_equal(s.v[3].version, 100);
	assert_string_equal(s.v[3].filename, "0100_hundred.sql");
	migfile_set_free(&s);
}

static void
test_sort_duplicate_versions(void **state)
{
	(void)state;
	migfile_set s = { 0 };
	migfile_add(&s, 3, "b", "0003_b.sql", "d/0003_b.sql", "");
	migfile_add(&s, 1, "x", "0001_x.sql", "d/0001_x.sql", "");
	migfile_add(&s, 3, "a", "0003_a.sql", "d/0003_a.sql", "");
	char err[256] = "";
	assert_int_equal(migfile_sort_check(&s, err, sizeof(err)), TD_EEXIST);
	assert_non_null(strstr(err, "0003_a.sql"));
	assert_non_null(strstr(err, "0003_b.sql"));
	assert_non_null(strstr(err, "duplicate"));
	migfile_set_free(&s);
}

/* ---- checksums ------------------------------------------------------------------ */

static void
test_sha256_vectors(void **state)
{
	(void)state;
	char out[MIGFILE_SHA256_HEX];
	assert_int_equal(migfile_sha256_hex("", 0, out), TD_OK);
	assert_string_equal(
	    out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_int_equal(migfile_sha256_hex("abc", 3, out), TD_OK);
	assert_string_equal(
	    out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	/* One byte more (a trailing newline) is a different file. */
	assert_int_equal(migfile_sha256_hex("abc\n", 4, out), TD_OK);
	assert_string_not_equal(
	    out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

/* ---- scanning a directory -------------------------------------------------------- */

typedef struct tmpdir {
	char path[64];
} tmpdir;

static void
put(const tmpdir *t, const char *name, const char *content, size_t len)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", t->path, name);
	FILE *f = fopen(p, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(content, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static int
setup_dir(void **state)
{
	tmpdir *t = calloc(1, sizeof(*t));
	snprintf(t->path, sizeof(t->path), "/tmp/migfile_test.XXXXXX");
	if (mkdtemp(t->path) == NULL) {
		free(t);
		return (-1);
	}
	*state = t;
	return (0);
}

static int
teardown_dir(void **state)
{
	tmpdir *t = *state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->path);
	int rc = system(cmd);
	free(t);
	return (rc == 0 ? 0 : -1);
}

static void
test_scan_orders_and_ignores(void **state)
{
	tmpdir *t = *state;
	put(t, "0010_ten.sql", "SELECT 10;\n", 11);
	put(t, "0002_two.sql", "SELECT 2;\n", 10);
	put(t, "0001_one.sql", "abc", 3);
	put(t, "README.md", "# migrations\n", 13);
	put(t, "0003_three.sql~", "backup", 6);
	put(t, ".0004_hidden.sql", "hidden", 6);
	char sub[128];
	snprintf(sub, sizeof(sub), "%s/0005_dir.sql", t->path);
	assert_int_equal(mkdir(sub, 0755), 0);

	migfile_set s = { 0 };
	char err[512] = "";
	int rv = migfile_scan(t->path, &s, err, sizeof(err));
	if (rv != TD_OK) {
		fail_msg("scan failed: %s", err);
	}
	assert_int_equal(s.n, 3);
	assert_int_equal(s.v[0].version, 1);
	assert_int_equal(s.v[1].version, 2);
	assert_int_equal(s.v[2].version, 10);
	assert_string_equal(s.v[0].name, "one");
	assert_string_equal(s.v[2].filename, "0010_ten.sql");
	char want[300];
	snprintf(want, sizeof(want), "%s/0010_ten.sql", t->path);
	assert_string_equal(s.v[2].path, want);
	/* The checksum is of the file's bytes. */
	assert_string_equal(
	    s.v[0].sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	migfile_set_free(&s);
}

static void
test_scan_checksum_follows_bytes(void **state)
{
	tmpdir *t = *state;
	put(t, "0001_one.sql", "CREATE TABLE voip.t (a int);\n", 29);
	migfile_set s1 = { 0 }, s2 = { 0 };
	char err[512] = "";
	assert_int_equal(migfile_scan(t->path, &s1, err, sizeof(err)), TD_OK);
	/* Same length, one byte different. */
	put(t, "0001_one.sql", "CREATE TABLE voip.t (b int);\n", 29);
	assert_int_equal(migfile_scan(t->path, &s2, err, sizeof(err)), TD_OK);
	assert_string_not_equal(s1.v[0].sha256, s2.v[0].sha256);
	migfile_set_free(&s1);
	migfile_set_free(&s2);
}

static void
test_scan_bad_name_fails(void **state)
{
	tmpdir *t = *state;
	put(t, "0001_one.sql", "SELECT 1;", 9);
	put(t, "2_two.sql", "SELECT 2;", 9);
	migfile_set s = { 0 };
	char err[512] = "";
	assert_int_equal(migfile_scan(t->path, &s, err, sizeof(err)), TD_EINVAL);
	assert_non_null(strstr(err, "2_two.sql"));
	assert_non_null(strstr(err, "bad migration file name"));
	assert_int_equal(s.n, 0);
	assert_null(s.v);
}

static void
test_scan_duplicate_fails(void **state)
{
	tmpdir *t = *state;
	put(t, "0001_one.sql", "SELECT 1;", 9);
	put(t, "0001_uno.sql", "SELECT 1;", 9);
	migfile_set s = { 0 };
	char err[512] = "";
	assert_int_equal(migfile_scan(t->path, &s, err, sizeof(err)), TD_EEXIST);
	assert_non_null(strstr(err, "0001_one.sql"));
	assert_non_null(strstr(err, "0001_uno.sql"));
	assert_int_equal(s.n, 0);
}

static void
test_scan_nul_byte_fails(void **state)
{
	tmpdir *t = *state;
	put(t, "0001_one.sql", "SELECT\0 1;", 10);
	migfile_set s = { 0 };
	char err[512] = "";
	assert_int_equal(migfile_scan(t->path, &s, err, sizeof(err)), TD_EINVAL);
	assert_non_null(strstr(err, "NUL byte at offset 6"));
}

static void
test_scan_missing_dir_fails(void **state)
{
	(void)state;
	migfile_set s = { 0 };
	char err[512] = "";
	assert_int_equal(migfile_scan("/nonexistent/migrations", &s, err, sizeof(err)), TD_EIO);
	assert_non_null(strstr(err, "/nonexistent/migrations"));
}

static void
test_scan_empty_dir(void **state)
{
	tmpdir *t = *state;
	migfile_set s = { 0 };
	char err[512] = "";
	assert_int_equal(migfile_scan(t->path, &s, err, sizeof(err)), TD_OK);
	assert_int_equal(s.n, 0);
	migfile_set_free(&s);
}

/* ---- error positions ---------------------------------------------------------------- */

static void
test_locate(void **state)
{
	(void)state;
	/* "é" is two bytes but one character, as the server counts. */
	const char *sql = "-- é\nCREATE TABLE voip.y (b intt);\n";
	size_t len = strlen(sql);
	int line = 0, col = 0;
	size_t ls = 0, ll = 0;
	/* Characters: "-- é\n" = 5, then "CREATE TABLE voip.y (b " = 23; intt is char 29. */
	assert_int_equal(migfile_locate(sql, len, 29, &line, &col, &ls, &ll), TD_OK);
	assert_int_equal(line, 2);
	assert_int_equal(col, 24);
	assert_int_equal(ls, 6);
	assert_int_equal(ll, strlen("CREATE TABLE voip.y (b intt);"));
	assert_memory_equal(sql + ls + col - 1, "intt", 4);
	/* First character. */
	assert_int_equal(migfile_locate(sql, len, 1, &line, &col, &ls, &ll), TD_OK);
	assert_int_equal(line, 1);
	assert_int_equal(col, 1);
	/* "at end of input": one past the last character. */
	const char *open = "SELECT (1";
	assert_int_equal(migfile_locate(open, 9, 10, &line, &col, &ls, &ll), TD_OK);
	assert_int_equal(line, 1);
	assert_int_equal(col, 10);
	/* Out of range. */
	assert_int_equal(migfile_locate(open, 9, 11, &line, &col, &ls, &ll), TD_EINVAL);
	assert_int_equal(migfile_locate(open, 9, 0, &line, &col, &ls, &ll), TD_EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_ignored),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_sort_orders_by_number_not_text),
		cmocka_unit_test(test_sort_duplicate_versions),
		cmocka_unit_test(test_sha256_vectors),
		cmocka_unit_test_setup_teardown(
		    test_scan_orders_and_ignores, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(
		    test_scan_checksum_follows_bytes, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_scan_bad_name_fails, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_scan_duplicate_fails, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_scan_nul_byte_fails, setup_dir, teardown_dir),
		cmocka_unit_test(test_scan_missing_dir_fails),
		cmocka_unit_test_setup_teardown(test_scan_empty_dir, setup_dir, teardown_dir),
		cmocka_unit_test(test_locate),
	};
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
