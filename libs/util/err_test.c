/* SPDX-License-Identifier: MIT */
/* Unit tests for td_err and td_strerror, and the x-allocators' contracts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/mem.h"

static void
test_every_code_named(void **state)
{
	(void)state;
	/* Every code from TD_OK down to the last one, which is TD_EPERM. */
	const char *names[-TD_EPERM + 1];
	for (int e = TD_OK; e >= TD_EPERM; e--) {
		const char *n = td_strerror(e);
		assert_non_null(n);
		assert_true(strlen(n) > 0);
		if (strcmp(n, "unknown error") == 0) {
			fail_msg("code %d has no name", e);
		}
		for (int j = TD_OK; j > e; j--) {
			if (strcmp(names[-j], n) == 0) {
				fail_msg("codes %d and %d share the name '%s'", j, e, n);
			}
		}
		names[-e] = n;
	}
	assert_string_equal(td_strerror(TD_OK), "ok");
	assert_string_equal(td_strerror(TD_ETIMEDOUT), "timed out");
}

static void
test_unknown_codes(void **state)
{
	(void)state;
	static const int bad[] = { TD_EPERM - 1, -100, 1, 42, -2147483647 - 1 };
	for (size_t i = 0; i < TD_ARRAY_LEN(bad); i++) {
		assert_string_equal(td_strerror(bad[i]), "unknown error");
	}
}

static void
test_alloc_helpers(void **state)
{
	(void)state;
	char *s = td_xstrdup("hello");
	assert_string_equal(s, "hello");
	char *t = td_xstrndup("hello", 3);
	assert_string_equal(t, "hel");
	char *z = td_xmalloc(0); /* zero-size requests still give a pointer */
	assert_non_null(z);
	int *c = td_xcalloc(4, sizeof(int));
	for (int i = 0; i < 4; i++) {
		assert_int_equal(c[i], 0);
	}
	c = td_xrealloc(c, 8 * sizeof(int));
	c[7] = 7;
	td_free_and_null(&s);
	assert_null(s);
	td_free_and_null(&s); /* twice is harmless */
	free(t);
	free(z);
	free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_code_named),
		cmocka_unit_test(test_unknown_codes),
		cmocka_unit_test(test_alloc_helpers),
	};
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
