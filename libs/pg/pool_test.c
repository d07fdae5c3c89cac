/* SPDX-License-Identifier: MIT */
/* Unit tests: the td_pg connection pool (no server needed: nothing connects). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>

#include "pg/pool.h"
#include "util/clock.h"

static td_pg_opts opts = {.dsn = "host=127.0.0.1 port=1 dbname=x"};

static void
test_borrow_all_then_timeout(void **state)
{
	(void)state;
	td_pg_pool *p = td_pg_pool_new(&opts, 3);
	td_pg *a = td_pg_pool_get(p, 10), *b = td_pg_pool_get(p, 10), *c = td_pg_pool_get(p, 10);
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(c);
	assert_true(a != b && b != c && a != c);
	assert_null(td_pg_pool_get(p, 20)); /* exhausted: waits, then gives up */
	td_pg_pool_put(p, b);
	assert_ptr_equal(td_pg_pool_get(p, 10), b);
	td_pg_pool_put(p, a);
	td_pg_pool_put(p, b);
	td_pg_pool_put(p, c);
	td_pg_pool_put(p, NULL); /* ignored */
	td_pg_pool_free(p);
}

typedef struct shared {
	td_pg_pool *p;
	_Atomic int inside, max_inside, done;
} shared;

static void *
borrower(void *arg)
{
	shared *s = arg;
	for (int i = 0; i < 200; i++) {
		td_pg *c = td_pg_pool_get(s->p, 5000);
		if (c == NULL) {
			continue;
		}
		int n = atomic_fetch_add(&s->inside, 1) + 1;
		int m = atomic_load(&s->max_inside);
		while (n > m && !atomic_compare_exchange_weak(&s->max_inside, &m, n)) {
		}
		atomic_fetch_sub(&s->inside, 1);
		td_pg_pool_put(s->p, c);
		atomic_fetch_add(&s->done, 1);
	}
	return (NULL);
}

static void
test_concurrent_borrowers_never_exceed_size(void **state)
{
	(void)state;
	shared s = {.p = td_pg_pool_new(&opts, 2)};
	pthread_t t[6];
	for (int i = 0; i < 6; i++) {
		pthread_create(&t[i], NULL, borrower, &s);
	}
	for (int i = 0; i < 6; i++) {
		pthread_join(t[i], NULL);
	}
	assert_int_equal(atomic_load(&s.done), 1200);
	assert_true(atomic_load(&s.max_inside) <= 2);
	td_pg_pool_free(s.p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_borrow_all_then_timeout),
	    cmocka_unit_test(test_concurrent_borrowers_never_exceed_size),
	};
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
