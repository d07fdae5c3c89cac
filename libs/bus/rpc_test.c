/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for req/rep RPC: concurrent callers each get their own
 * answer, timeouts bound the whole call, replies that do not fit are an
 * error, error codes map, and stopping a server with calls in flight is
 * clean (ASan/LSan watch every path for leaked messages).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <nng/nng.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus/rpc.h"
#include "util/clock.h"

/*
 * The handler answers "re:<request>"; a request "sleep:N" sleeps N ms
 * first; "big:N" answers N bytes.
 */
static _Atomic int g_active, g_max_active;

static void
handler(void *arg, const uint8_t *req, size_t len, td_buf *reply)
{
	(void)arg;
	char r[128];
	snprintf(r, sizeof(r), "%.*s", (int)len, (const char *)req);
	int now = atomic_fetch_add(&g_active, 1) + 1;
	int max = atomic_load(&g_max_active);
	while (now > max && !atomic_compare_exchange_weak(&g_max_active, &max, now)) { }
	if (strncmp(r, "sleep:", 6) == 0) {
		td_sleep_ms(atoi(r + 6));
	}
	if (strncmp(r, "big:", 4) == 0) {
		size_t n = (size_t)atol(r + 4);
		memset(td_buf_extend(reply, n), 'x', n);
	} else {
		td_buf_printf(reply, "re:%s", r);
	}
	atomic_fetch_sub(&g_active, 1);
}

static int
call(td_rpc_client *c, const char *req, char *out, size_t outlen, int timeout_ms)
{
	td_buf r;
	td_buf_init(&r, outlen - 1);
	int rv = td_rpc_call(c, (const uint8_t *)req, strlen(req), &r, timeout_ms);
	snprintf(out, outlen, "%s", r.data ? r.data : "");
	td_buf_free(&r);
	return (rv);
}

static void
test_call_and_errors(void **state)
{
	(void)state;
	char err[256], out[256];
	td_rpc_server *s;
	assert_int_equal(
	    td_rpc_server_start(&s, "inproc://rpc1", 2, handler, NULL, err, sizeof(err)), 0);
	td_rpc_client *c;
	assert_int_equal(td_rpc_client_open(&c, "inproc://rpc1", true, err, sizeof(err)), 0);
	assert_int_equal(call(c, "hello", out, sizeof(out), 5000), 0);
	assert_string_equal(out, "re:hello");
	/* An empty request and an empty reply are fine. */
	td_buf r = TD_BUF_INIT;
	assert_int_equal(td_rpc_call(c, NULL, 0, &r, 5000), 0);
	assert_string_equal(r.data, "re:");
	td_buf_free(&r);

	/* A reply larger than the caller's buffer: an error, not a silent cut. */
	td_buf small;
	td_buf_init(&small, 100);
	assert_int_equal(td_rpc_call(c, (const uint8_t *)"big:101", 7, &small, 5000), TD_ETOOBIG);
	td_buf_free(&small);
	td_buf_init(&small, 100);
	assert_int_equal(td_rpc_call(c, (const uint8_t *)"big:100", 7, &small, 5000), 0);
	assert_int_equal(small.len, 100);
	td_buf_free(&small);

	/* A second server on the same address; unknown schemes; bad URLs. */
	td_rpc_server *s2;
	assert_int_equal(
	    td_rpc_server_start(&s2, "inproc://rpc1", 1, handler, NULL, err, sizeof(err)),
	    TD_EEXIST);
	assert_non_null(strstr(err, "inproc://rpc1"));
	assert_int_equal(
	    td_rpc_server_start(&s2, "nope://x", 1, handler, NULL, err, sizeof(err)), TD_EINVAL);
	assert_int_equal(
	    td_rpc_server_start(&s2, "tcp://", 1, handler, NULL, err, sizeof(err)), TD_EINVAL);

	/* Synchronous dial to nothing: "not running". */
	td_rpc_client *c2;
	assert_int_equal(
	    td_rpc_client_open(&c2, "ipc:///nonexistent/dir/x.sock", true, err, sizeof(err)),
	    TD_ECONN);
	assert_non_null(strstr(err, "ipc:///nonexistent/dir/x.sock"));
	assert_int_equal(
	    td_rpc_client_open(&c2, "inproc://nobody", true, err, sizeof(err)), TD_ECONN);

	td_rpc_client_close(c);
	td_rpc_server_stop(s);
}

static void
test_timeout_bounds_whole_call(void **state)
{
	(void)state;
	char err[256], out[256];
	td_rpc_server *s;
	assert_int_equal(
	    td_rpc_server_start(&s, "inproc://rpc-slow", 2, handler, NULL, err, sizeof(err)), 0);
	td_rpc_client *c;
	assert_int_equal(td_rpc_client_open(&c, "inproc://rpc-slow", true, err, sizeof(err)), 0);
	int64_t t0 = td_mono_ms();
	assert_int_equal(call(c, "sleep:800", out, sizeof(out), 150), TD_ETIMEDOUT);
	int64_t took = td_mono_ms() - t0;
	assert_true(took >= 140);
	assert_true(took < 800); /* did not wait for the slow handler */
	/* The client is fine afterwards; the late reply is dropped, not delivered here. */
	assert_int_equal(call(c, "after", out, sizeof(out), 5000), 0);
	assert_string_equal(out, "re:after");

	/* A client with no server: the timeout, without a hang. */
	td_rpc_client *lonely;
	assert_int_equal(
	    td_rpc_client_open(&lonely, "inproc://rpc-nobody", false, err, sizeof(err)), 0);
	assert_int_equal(call(lonely, "x", out, sizeof(out), 100), TD_ETIMEDOUT);
	td_rpc_client_close(lonely);
	td_rpc_client_close(c);
	td_rpc_server_stop(s); /* waits for the sleeping handler */
}

#define NCALLERS 8
#define NCALLS 40

typedef struct caller {
	td_rpc_client *c;
	int id;
	int ok;
} caller;

static void *
caller_main(void *arg)
{
	caller *k = arg;
	for (int i = 0; i < NCALLS; i++) {
		char req[64], want[80], out[128];
		snprintf(req, sizeof(req), "sleep:%d:caller%d:%d", i % 3, k->id, i);
		snprintf(want, sizeof(want), "re:%s", req);
		if (call(k->c, req, out, sizeof(out), 10000) == 0 && strcmp(out, want) == 0) {
			k->ok++;
		}
	}
	return (NULL);
}

static void
test_concurrent_callers(void **state)
{
	(void)state;
	char err[256];
	char dir[] = "/tmp/rpc_test.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char url[128];
	snprintf(url, sizeof(url), "ipc://%s/rpc.sock", dir);
	td_rpc_server *s;
	assert_int_equal(td_rpc_server_start(&s, url, 4, handler, NULL, err, sizeof(err)), 0);
	/* One shared client (each call has its own context), plus one per odd caller. */
	td_rpc_client *shared;
	assert_int_equal(td_rpc_client_open(&shared, url, true, err, sizeof(err)), 0);
	caller k[NCALLERS];
	pthread_t t[NCALLERS];
	atomic_store(&g_max_active, 0);
	for (int i = 0; i < NCALLERS; i++) {
		k[i].id = i;
		k[i].ok = 0;
		k[i].c = shared;
		if (i % 2) {
			assert_int_equal(
			    td_rpc_client_open(&k[i].c, url, true, err, sizeof(err)), 0);
		}
		assert_int_equal(pthread_create(&t[i], NULL, caller_main, &k[i]), 0);
	}
	for (int i = 0; i < NCALLERS; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(k[i].ok, NCALLS);
		if (i % 2) {
			td_rpc_client_close(k[i].c);
		}
	}
	/* Several workers really ran handlers at the same time. */
	assert_true(atomic_load(&g_max_active) > 1);
	assert_true(atomic_load(&g_max_active) <= 4);
	td_rpc_client_close(shared);
	td_rpc_server_stop(s);
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* Stopping the server while calls are in flight and more keep coming. */
typedef struct storm {
	td_rpc_client *c;
	_Atomic int stop;
	int answered, failed;
} storm;

static void *
storm_main(void *arg)
{
	storm *st = arg;
	while (!atomic_load(&st->stop)) {
		char out[64];
		if (call(st->c, "sleep:5", out, sizeof(out), 200) == 0) {
			st->answered++;
		} else {
			st->failed++;
		}
	}
	return (NULL);
}

static void
test_stop_under_load(void **state)
{
	(void)state;
	char err[256];
	char dir[] = "/tmp/rpc_test.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char url[128];
	snprintf(url, sizeof(url), "ipc://%s/rpc.sock", dir);
	for (int round = 0; round < 3; round++) {
		td_rpc_server *s;
		/*
		 * More workers than callers: nng 1.5.2 leaks a request that
		 * waits on a pipe for a free worker when the socket closes
		 * (fixed upstream in rep0_pipe_fini), so the test does not
		 * queue any.
		 */
		assert_int_equal(
		    td_rpc_server_start(&s, url, 4, handler, NULL, err, sizeof(err)), 0);
		storm st = { 0 };
		assert_int_equal(td_rpc_client_open(&st.c, url, true, err, sizeof(err)), 0);
		pthread_t t[3];
		for (int i = 0; i < 3; i++) {
			assert_int_equal(pthread_create(&t[i], NULL, storm_main, &st), 0);
		}
		int64_t deadline = td_mono_ms() + 10000;
		while (st.answered < 10 && td_mono_ms() < deadline) {
			td_sleep_ms(5);
		}
		assert_true(st.answered >= 10);
		td_rpc_server_stop(s);
		td_sleep_ms(50); /* callers now time out against nobody */
		atomic_store(&st.stop, 1);
		for (int i = 0; i < 3; i++) {
			pthread_join(t[i], NULL);
		}
		assert_true(st.failed > 0);
		td_rpc_client_close(st.c);
	}
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void
test_nng_err_map(void **state)
{
	(void)state;
	static const struct {
		int nng, td;
	} m[] = {
		{ 0, TD_OK },
		{ NNG_ENOMEM, TD_ENOMEM },
		{ NNG_EINVAL, TD_EINVAL },
		{ NNG_EADDRINVAL, TD_EINVAL },
		{ NNG_ENOTSUP, TD_EINVAL },
		{ NNG_ETIMEDOUT, TD_ETIMEDOUT },
		{ NNG_ECLOSED, TD_ECLOSED },
		{ NNG_ECONNREFUSED, TD_ECONN },
		{ NNG_ECONNSHUT, TD_ECONN },
		{ NNG_ECONNRESET, TD_ECONN },
		{ NNG_ENOENT, TD_ECONN },
		{ NNG_EADDRINUSE, TD_EEXIST },
		{ NNG_EPROTO, TD_EPROTO },
		{ NNG_EMSGSIZE, TD_ETOOBIG },
		{ NNG_EBUSY, TD_EIO },
		{ NNG_ESYSERR + 5, TD_EIO },
	};
	for (size_t i = 0; i < TD_ARRAY_LEN(m); i++) {
		assert_int_equal(td_nng_err(m[i].nng), m[i].td);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_call_and_errors),
		cmocka_unit_test(test_timeout_bounds_whole_call),
		cmocka_unit_test(test_concurrent_callers),
		cmocka_unit_test(test_stop_under_load),
		cmocka_unit_test(test_nng_err_map),
	};
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
