/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: the Redis side of the CDR queue, against a real redis-server
 * that the test starts on a free loopback port (and skips without one).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cdrq/cdrq.h"
#include "util/clock.h"

static pid_t g_redis;
static char g_url[64];

static int
free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t l = sizeof(a);
	bind(fd, (struct sockaddr *)&a, sizeof(a));
	getsockname(fd, (struct sockaddr *)&a, &l);
	close(fd);
	return (ntohs(a.sin_port));
}

static int
start_redis(void **state)
{
	(void)state;
	int port = free_port();
	char ps[16];
	snprintf(ps, sizeof(ps), "%d", port);
	snprintf(g_url, sizeof(g_url), "redis://127.0.0.1:%d/0", port);
	g_redis = fork();
	if (g_redis == 0) {
		freopen("/dev/null", "w", stdout);
		execlp("redis-server", "redis-server", "--port", ps, "--bind", "127.0.0.1", "--save",
		    "", "--appendonly", "no", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 100; i++) {
		td_kv *k = td_kv_new(&(td_kv_opts){.url = g_url, .backoff_min_ms = 1,
		                         .backoff_max_ms = 1});
		int ok = td_kv_ensure(k) == 0;
		td_kv_free(k);
		if (ok) {
			return (0);
		}
		int st;
		if (waitpid(g_redis, &st, WNOHANG) == g_redis) {
			return (-1); /* not installed or failed: the group is skipped */
		}
		td_sleep_ms(50);
	}
	return (-1);
}

static int
stop_redis(void **state)
{
	(void)state;
	if (g_redis > 0) {
		kill(g_redis, SIGKILL);
		waitpid(g_redis, NULL, 0);
	}
	return (0);
}

/* A fresh connection with the test's keys cleared. */
static td_kv *
conn(void)
{
	td_kv *k = td_kv_new(&(td_kv_opts){.url = g_url});
	assert_int_equal(td_kv_ensure(k), 0);
	int rv;
	redisReply *r = td_kv_cmd(k, &rv, "FLUSHDB");
	assert_non_null(r);
	freeReplyObject(r);
	return (k);
}

static void
push_n(td_kv *k, const char *key, int first, int n)
{
	char bufs[64][16];
	td_cdrq_item it[64];
	char err[128];
	for (int i = 0; i < n; i++) {
		snprintf(bufs[i], sizeof(bufs[i]), "rec-%d", first + i);
		it[i].data = bufs[i];
		it[i].len = strlen(bufs[i]);
	}
	assert_int_equal(td_cdrq_push(k, key, it, (size_t)n, 0, err, sizeof(err)), 0);
}

static void
test_fifo_and_max(void **state)
{
	(void)state;
	td_kv *k = conn();
	char err[128];
	push_n(k, "q", 0, 25);
	td_cdrq_batch b = {0};
	assert_int_equal(td_cdrq_fetch(k, "q", "p", 10, 100, 0, &b, err, sizeof(err)), 0);
	assert_int_equal(b.n, 10);
	assert_memory_equal(b.items[0].data, "rec-0", 5);   /* oldest first */
	assert_memory_equal(b.items[9].data, "rec-9", 5);
	long len;
	assert_int_equal(td_cdrq_len(k, "q", &len, err, sizeof(err)), 0);
	assert_int_equal(len, 15);
	assert_int_equal(td_cdrq_len(k, "p", &len, err, sizeof(err)), 0);
	assert_int_equal(len, 10); /* in the processing list until acknowledged */
	td_cdrq_batch_free(&b);
	td_kv_free(k);
}

static void
test_recover_and_ack(void **state)
{
	(void)state;
	td_kv *k = conn();
	char err[128];
	push_n(k, "q", 0, 3);
	td_cdrq_batch b = {0};
	assert_int_equal(td_cdrq_fetch(k, "q", "p", 100, 100, 20, &b, err, sizeof(err)), 0);
	assert_int_equal(b.n, 3);
	td_cdrq_batch_free(&b);
	/* "Crash": the batch is forgotten; recover finds it again. */
	td_cdrq_batch r = {0};
	assert_int_equal(td_cdrq_recover(k, "p", &r, err, sizeof(err)), 0);
	assert_int_equal(r.n, 3);
	td_cdrq_batch_free(&r);
	assert_int_equal(td_cdrq_ack(k, "p", err, sizeof(err)), 0);
	td_cdrq_batch e = {0};
	assert_int_equal(td_cdrq_recover(k, "p", &e, err, sizeof(err)), 0);
	assert_int_equal(e.n, 0);
	td_cdrq_batch_free(&e);
	td_kv_free(k);
}

static void
test_empty_queue_times_out(void **state)
{
	(void)state;
	td_kv *k = conn();
	char err[128];
	td_cdrq_batch b = {0};
	assert_int_equal(td_cdrq_fetch(k, "q", "p", 10, 50, 10, &b, err, sizeof(err)), 0);
	assert_int_equal(b.n, 0);
	td_cdrq_batch_free(&b);
	td_kv_free(k);
}

static void
test_requeue_orphans(void **state)
{
	(void)state;
	td_kv *k = conn();
	char err[128];
	push_n(k, "q", 0, 5);
	td_cdrq_batch b = {0};
	assert_int_equal(td_cdrq_fetch(k, "q", "p", 5, 100, 0, &b, err, sizeof(err)), 0);
	td_cdrq_batch_free(&b);
	long moved = 0, len = 0;
	assert_int_equal(td_cdrq_requeue(k, "p", "q", &moved, err, sizeof(err)), 0);
	assert_int_equal(moved, 5);
	assert_int_equal(td_cdrq_len(k, "p", &len, err, sizeof(err)), 0);
	assert_int_equal(len, 0);
	/* Back at the consumer end: fetched again, oldest first. */
	assert_int_equal(td_cdrq_fetch(k, "q", "p", 5, 100, 0, &b, err, sizeof(err)), 0);
	assert_int_equal(b.n, 5);
	assert_memory_equal(b.items[0].data, "rec-0", 5);
	td_cdrq_batch_free(&b);
	td_kv_free(k);
}

static void
test_dead_letter_trim(void **state)
{
	(void)state;
	td_kv *k = conn();
	char err[128];
	for (int i = 0; i < 5; i++) {
		char v[16];
		snprintf(v, sizeof(v), "dead-%d", i);
		td_cdrq_item it = {v, strlen(v)};
		assert_int_equal(td_cdrq_push(k, "d", &it, 1, 3, err, sizeof(err)), 0);
	}
	long len;
	assert_int_equal(td_cdrq_len(k, "d", &len, err, sizeof(err)), 0);
	assert_int_equal(len, 3); /* newest three kept */
	int rv;
	redisReply *r = td_kv_cmd(k, &rv, "LINDEX d 0");
	assert_string_equal(r->str, "dead-4");
	freeReplyObject(r);
	td_kv_free(k);
}

static void
test_batch_fills_while_waiting(void **state)
{
	(void)state;
	td_kv *k = conn();
	char err[128];
	/* Items trickling in one by one are gathered into one batch (many replies). */
	push_n(k, "q", 0, 1);
	pid_t child = fork();
	if (child == 0) {
		td_kv *k2 = td_kv_new(&(td_kv_opts){.url = g_url});
		if (td_kv_ensure(k2) != 0) {
			_exit(1);
		}
		for (int i = 1; i < 20; i++) {
			td_sleep_ms(5);
			char v[16];
			snprintf(v, sizeof(v), "rec-%d", i);
			td_cdrq_item it = {v, strlen(v)};
			if (td_cdrq_push(k2, "q", &it, 1, 0, err, sizeof(err)) != 0) {
				_exit(1);
			}
		}
		_exit(0);
	}
	td_cdrq_batch b = {0};
	assert_int_equal(td_cdrq_fetch(k, "q", "p", 100, 100, 2000, &b, err, sizeof(err)), 0);
	int st;
	waitpid(child, &st, 0);
	assert_int_equal(WEXITSTATUS(st), 0);
	/* Everything that arrived within the wait is in the batch and in "p". */
	long len;
	assert_int_equal(td_cdrq_len(k, "p", &len, err, sizeof(err)), 0);
	assert_int_equal((long)b.n, len);
	assert_true(b.n >= 2);
	assert_true(b.nreplies >= 2);
	td_cdrq_batch_free(&b);
	td_kv_free(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fifo_and_max),
	    cmocka_unit_test(test_recover_and_ack),
	    cmocka_unit_test(test_empty_queue_times_out),
	    cmocka_unit_test(test_requeue_orphans),
	    cmocka_unit_test(test_dead_letter_trim),
	    cmocka_unit_test(test_batch_fills_while_waiting),
	};
	return (cmocka_run_group_tests(tests, start_redis, stop_redis));
}
