/* SPDX-License-Identifier: MIT */
/* Unit tests for td_appendf: whole pieces, refusals that change nothing, no overrun. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/appendf.h"

static void
test_appends_whole_pieces(void **state)
{
	(void)state;
	char buf[16];
	size_t o = 0;
	buf[0] = '\0';
	assert_true(td_appendf(buf, sizeof(buf), &o, "%s", "abc"));
	assert_true(td_appendf(buf, sizeof(buf), &o, ", %d", 42));
	assert_string_equal(buf, "abc, 42");
	assert_int_equal(o, 7);
	/* 9 more bytes and the NUL need 10 of the 9 left: refused, nothing changed */
	assert_false(td_appendf(buf, sizeof(buf), &o, "%s", "123456789"));
	assert_string_equal(buf, "abc, 42");
	assert_int_equal(o, 7);
	/* 8 bytes and the NUL: fits exactly */
	assert_true(td_appendf(buf, sizeof(buf), &o, "%s", "1234567x"));
	assert_int_equal(o, 15);
	assert_string_equal(buf, "abc, 421234567x");
	assert_true(td_appendf(buf, sizeof(buf), &o, "%s", "")); /* only the NUL: fits */
	assert_false(td_appendf(buf, sizeof(buf), &o, "y"));
	assert_int_equal(o, 15);
}

static void
test_long_piece_never_overruns(void **state)
{
	(void)state;
	/* a guard on each side catches a write outside buf */
	struct {
		char before[8];
		char buf[32];
		char after[8];
	} g;
	memset(&g, 'G', sizeof(g));
	size_t o = 0;
	g.buf[0] = '\0';
	char big[1000];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (int i = 0; i < 5; i++) {
		assert_false(td_appendf(g.buf, sizeof(g.buf), &o, "%s", big));
		assert_int_equal(o, 0);
	}
	assert_true(td_appendf(g.buf, sizeof(g.buf), &o, "ok"));
	assert_string_equal(g.buf, "ok");
	for (int i = 0; i < 8; i++) {
		assert_int_equal(g.before[i], 'G');
		assert_int_equal(g.after[i], 'G');
	}
	/* an offset already at or past the end is refused */
	size_t at_end = sizeof(g.buf);
	assert_false(td_appendf(g.buf, sizeof(g.buf), &at_end, "x"));
	assert_int_equal(at_end, sizeof(g.buf));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_appends_whole_pieces),
	    cmocka_unit_test(test_long_piece_never_overruns),
	};
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
