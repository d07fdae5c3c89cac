/* SPDX-License-Identifier: MIT */
/* Unit tests for td_buf: growth, the sticky error flag, extend, steal, reset. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

static void
test_append_and_nul(void **state)
{
	(void)state;
	td_buf b = TD_BUF_INIT;
	assert_null(b.data);
	td_buf_append(&b, "abc", 3);
	td_buf_puts(&b, "def");
	td_buf_putc(&b, 'g');
	td_buf_append(&b, NULL, 0);
	assert_false(td_buf_failed(&b));
	assert_int_equal(b.len, 7);
	assert_string_equal(b.data, "abcdefg");
	assert_int_equal(b.data[b.len], '\0');
	assert_true(b.cap >= b.len + 1);
	/* Embedded NULs are data, not terminators. */
	td_buf_append(&b, "x\0y", 3);
	assert_int_equal(b.len, 10);
	assert_memory_equal(b.data + 7, "x\0y", 3);
	td_buf_free(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
}

static void
test_limit_is_sticky(void **state)
{
	(void)state;
	td_buf b;
	td_buf_init(&b, 10);
	td_buf_puts(&b, "12345");
	assert_false(td_buf_failed(&b));
	td_buf_puts(&b, "678901"); /* would make 11 */
	assert_true(td_buf_failed(&b));
	assert_int_equal(b.len, 5);
	assert_string_equal(b.data, "12345");
	/* Sticky: even an append that would fit is ignored now. */
	td_buf_putc(&b, 'x');
	td_buf_printf(&b, "%d", 7);
	assert_null(td_buf_extend(&b, 1));
	assert_true(td_buf_failed(&b));
	assert_int_equal(b.len, 5);
	assert_string_equal(b.data, "12345");
	td_buf_free(&b);
}

static void
test_limit_exact_fit(void **state)
{
	(void)state;
	td_buf b;
	td_buf_init(&b, 5);
	td_buf_puts(&b, "12345");
	assert_false(td_buf_failed(&b));
	assert_int_equal(b.len, 5);
	td_buf_append(&b, "", 0); /* zero bytes still fit */
	assert_false(td_buf_failed(&b));
	td_buf_putc(&b, '6');
	assert_true(td_buf_failed(&b));
	assert_string_equal(b.data, "12345");
	td_buf_free(&b);
}

static void
test_printf_growth(void **state)
{
	(void)state;
	td_buf b = TD_BUF_INIT;
	char want[8192];
	size_t o = 0;
	for (int i = 0; i < 500; i++) {
		td_buf_printf(&b, "%d:%s;", i, i % 2 ? "odd" : "even");
		o += (size_t)snprintf(
		    want + o, sizeof(want) - o, "%d:%s;", i, i % 2 ? "odd" : "even");
	}
	assert_false(td_buf_failed(&b));
	assert_int_equal(b.len, o);
	assert_string_equal(b.data, want);
	/* One format much larger than the current capacity. */
	char big[3000];
	memset(big, 'q', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	td_buf_reset(&b);
	td_buf_printf(&b, "<%s>", big);
	assert_int_equal(b.len, sizeof(big) + 1);
	assert_int_equal(b.data[0], '<');
	assert_int_equal(b.data[b.len - 1], '>');
	assert_int_equal(b.data[b.len], '\0');
	td_buf_free(&b);
}

static void
test_printf_over_limit(void **state)
{
	(void)state;
	td_buf b;
	td_buf_init(&b, 8);
	td_buf_printf(&b, "%s", "1234");
	td_buf_printf(&b, "%d", 123456); /* 4 + 6 > 8 */
	assert_true(td_buf_failed(&b));
	assert_int_equal(b.len, 4);
	assert_string_equal(b.data, "1234");
	td_buf_free(&b);
}

static void
test_extend(void **state)
{
	(void)state;
	td_buf b;
	td_buf_init(&b, 100);
	td_buf_puts(&b, "ab");
	char *p = td_buf_extend(&b, 4);
	assert_non_null(p);
	assert_ptr_equal(p, b.data + 2);
	memcpy(p, "cdef", 4);
	assert_int_equal(b.len, 6);
	assert_string_equal(b.data, "abcdef");
	assert_null(td_buf_extend(&b, 95)); /* 6 + 95 > 100 */
	assert_true(td_buf_failed(&b));
	assert_int_equal(b.len, 6);
	td_buf_free(&b);

	/* Overflow-sized requests fail cleanly instead of aborting. */
	td_buf u = TD_BUF_INIT;
	td_buf_putc(&u, 'x');
	assert_null(td_buf_extend(&u, SIZE_MAX));
	assert_true(td_buf_failed(&u));
	assert_int_equal(u.len, 1);
	td_buf_free(&u);
}

static void
test_reserve(void **state)
{
	(void)state;
	td_buf b;
	td_buf_init(&b, 100);
	td_buf_reserve(&b, 80); /* one allocation, nothing written */
	assert_int_equal(b.len, 0);
	assert_true(b.cap >= 81);
	char *before = b.data;
	td_buf_puts(&b, "0123456789012345678901234567890123456789");
	assert_ptr_equal(b.data, before); /* no regrowth */
	td_buf_reserve(&b, 1000); /* past the limit: capped, not failed */
	assert_false(td_buf_failed(&b));
	assert_true(b.cap <= 128);
	td_buf_free(&b);
	td_buf u = TD_BUF_INIT;
	td_buf_reserve(&u, SIZE_MAX); /* absurd: ignored */
	assert_false(td_buf_failed(&u));
	td_buf_free(&u);
}

static void
test_steal(void **state)
{
	(void)state;
	td_buf b;
	td_buf_init(&b, 64);
	td_buf_puts(&b, "hello");
	size_t len = 0;
	char *s = td_buf_steal(&b, &len);
	assert_string_equal(s, "hello");
	assert_int_equal(len, 5);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	assert_false(td_buf_failed(&b));
	free(s);
	/* The buffer is usable again, with its limit. */
	td_buf_puts(&b, "again");
	assert_string_equal(b.data, "again");
	td_buf_puts(&b, "0123456789012345678901234567890123456789012345678901234567890");
	assert_true(td_buf_failed(&b));
	s = td_buf_steal(&b, NULL);
	assert_string_equal(s, "again");
	free(s);

	/* An empty buffer yields an allocated "". */
	td_buf e = TD_BUF_INIT;
	s = td_buf_steal(&e, &len);
	assert_non_null(s);
	assert_string_equal(s, "");
	assert_int_equal(len, 0);
	free(s);

	/* So does one that failed before anything fit. */
	td_buf f;
	td_buf_init(&f, 2);
	td_buf_puts(&f, "too long");
	assert_true(td_buf_failed(&f));
	s = td_buf_steal(&f, &len);
	assert_non_null(s);
	assert_string_equal(s, "");
	assert_int_equal(len, 0);
	assert_false(td_buf_failed(&f));
	free(s);
	td_buf_free(&f);
}

static void
test_reset(void **state)
{
	(void)state;
	td_buf b;
	td_buf_init(&b, 16);
	td_buf_puts(&b, "0123456789");
	td_buf_puts(&b, "0123456789");
	assert_true(td_buf_failed(&b));
	char *mem = b.data;
	size_t cap = b.cap;
	td_buf_reset(&b);
	assert_false(td_buf_failed(&b));
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
	assert_ptr_equal(b.data, mem); /* memory kept */
	assert_int_equal(b.cap, cap);
	assert_int_equal(b.limit, 16);
	td_buf_puts(&b, "fresh");
	assert_string_equal(b.data, "fresh");
	td_buf_free(&b);

	td_buf e = TD_BUF_INIT;
	td_buf_reset(&e); /* no memory yet: must not crash or allocate */
	assert_null(e.data);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_and_nul),
		cmocka_unit_test(test_limit_is_sticky),
		cmocka_unit_test(test_limit_exact_fit),
		cmocka_unit_test(test_printf_growth),
		cmocka_unit_test(test_printf_over_limit),
		cmocka_unit_test(test_extend),
		cmocka_unit_test(test_reserve),
		cmocka_unit_test(test_steal),
		cmocka_unit_test(test_reset),
	};
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
