/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the Redis helper without a Redis: URL parsing, reply
 * classification, connect failures and the backoff window against a closed
 * port, and the AUTH/SELECT handshake and command timeout against a tiny
 * scripted fake on loopback.  Behaviour against a real Redis (failover,
 * READONLY replicas) is covered by the integration tests.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kv/kv.h"
#include "log/log.h"
#include "log/logcapture.h"
#include "util/clock.h"

/* ---- URLs ------------------------------------------------------------------------------ */

static void
test_parse_url(void **state)
{
	(void)state;
	static const struct {
		const char *url;
		const char *host;
		int port;
		const char *unix_path;
		int db;
		const char *password;
	} good[] = {
		{ "redis://127.0.0.1:6379/0", "127.0.0.1", 6379, "", 0, "" },
		{ "redis://localhost", "localhost", 6379, "", 0, "" },
		{ "redis://localhost/", "localhost", 6379, "", 0, "" },
		{ "redis://h:6380", "h", 6380, "", 0, "" },
		{ "redis://h/15", "h", 6379, "", 15, "" },
		{ "redis://:pw@host:6380/2", "host", 6380, "", 2, "pw" },
		{ "redis://user:pw@host", "host", 6379, "", 0, "pw" },
		{ "redis://legacy@host", "host", 6379, "", 0, "legacy" },
		{ "redis://:p@ss:w0rd@host:1/1", "host", 1, "", 1, "p@ss:w0rd" },
		{ "redis://:@host", "host", 6379, "", 0, "" },
		{ "redis://[::1]:6379/1", "::1", 6379, "", 1, "" },
		{ "redis://[::1]", "::1", 6379, "", 0, "" },
		{ "redis://:pw@[fd00::2]:7000/3", "fd00::2", 7000, "", 3, "pw" },
		{ "redis://h:65535", "h", 65535, "", 0, "" },
		{ "unix:///run/redis/redis.sock", "", 6379, "/run/redis/redis.sock", 0, "" },
		{ "unix:///tmp/r.sock?db=3", "", 6379, "/tmp/r.sock", 3, "" },
	};
	for (size_t i = 0; i < TD_ARRAY_LEN(good); i++) {
		td_kv_url u;
		if (td_kv_parse_url(good[i].url, &u) != 0) {
			fail_msg("'%s' rejected", good[i].url);
		}
		assert_string_equal(u.host, good[i].host);
		assert_int_equal(u.port, good[i].port);
		assert_string_equal(u.unix_path, good[i].unix_path);
		assert_int_equal(u.db, good[i].db);
		assert_string_equal(u.password, good[i].password);
	}
	char longhost[300], longpw[300];
	snprintf(longhost, sizeof(longhost), "redis://%0256d", 0);
	snprintf(longpw, sizeof(longpw), "redis://:%0256d@h", 0);
	const char *bad[] = { "", "redis://", "redis:///0", "redis://:6379", "redis://:pw@",
		"redis://h:0", "redis://h:65536", "redis://h:abc", "redis://h:", "redis://h: 6379",
		"redis://h:+6379", "redis://h:6379x", "redis://h:6379?x=1", "redis://h/16",
		"redis://h/-1", "redis://h/x", "redis://h/1/2", "redis://h/ 1", "redis://[::1",
		"redis://[]:6379", "redis://[::1]x", "rediss://h", "http://h", "REDIS://h",
		"unix://relative.sock", "unix://", "unix:///p?db=16",
		"unix:///p?db=", "unix:///p?db=x", "unix:///p?x=1", "unix:///p?db=1&x=2", longhost,
		longpw };
	for (size_t i = 0; i < TD_ARRAY_LEN(bad); i++) {
		td_kv_url u;
		if (td_kv_parse_url(bad[i], &u) != TD_EINVAL) {
			fail_msg("'%s' accepted (host '%s' port %d db %d)", bad[i], u.host, u.port,
			    u.db);
		}
	}
}

/* ---- reply classification ----------------------------------------------------------------- */

static void
test_reply_err(void **state)
{
	(void)state;
	td_kv *k = td_kv_new(&(td_kv_opts) { .url = "redis://127.0.0.1:1" });
	static const struct {
		const char *msg;
		int want;
	} cases[] = {
		{ "LOADING Redis is loading the dataset in memory", TD_EAGAIN },
		{ "BUSY Redis is busy running a script", TD_EAGAIN },
		{ "TRYAGAIN Multiple keys request during rehashing", TD_EAGAIN },
		{ "MASTERDOWN Link with MASTER is down", TD_EAGAIN },
		{ "READONLY You can't write against a read only replica.", TD_ECONN },
		{ "ERR unknown command 'FOO'", TD_EIO },
		{ "WRONGTYPE Operation against a key holding the wrong kind of value", TD_EIO },
		{ "", TD_EIO },
	};
	for (size_t i = 0; i < TD_ARRAY_LEN(cases); i++) {
		redisReply r = { .type = REDIS_REPLY_ERROR,
			.str = (char *)cases[i].msg,
			.len = strlen(cases[i].msg) };
		char err[128] = "";
		assert_int_equal(td_kv_reply_err(k, &r, err, sizeof(err)), cases[i].want);
		assert_string_equal(err, cases[i].msg);
	}
	redisReply ok = { .type = REDIS_REPLY_STATUS, .str = "OK", .len = 2 };
	char err[16] = "untouched";
	assert_int_equal(td_kv_reply_err(k, &ok, err, sizeof(err)), 0);
	assert_string_equal(err, "untouched");
	redisReply noerr = { .type = REDIS_REPLY_ERROR, .str = NULL };
	assert_int_equal(td_kv_reply_err(k, &noerr, err, sizeof(err)), TD_EIO);
	assert_string_equal(err, "error");
	td_kv_free(k);
}

/* ---- connecting ---------------------------------------------------------------------------- */

static int
log_setup(void **state)
{
	(void)state;
	return (td_logcap_start("kv_test"));
}

static int
log_teardown(void **state)
{
	(void)state;
	td_logcap_stop();
	return (0);
}

/* log_count counts lines logged with this event id so far. */
static int
log_count(const char *id)
{
	char pat[64];
	snprintf(pat, sizeof(pat), " id=%s ", id);
	return (td_logcap_count(pat));
}

/* closed_port returns a loopback port nothing listens on. */
static int
closed_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	socklen_t l = sizeof(a);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &l), 0);
	close(fd);
	return (ntohs(a.sin_port));
}

static void
test_closed_port_backoff(void **state)
{
	(void)state;
	char url[64];
	snprintf(url, sizeof(url), "redis://127.0.0.1:%d/0", closed_port());
	td_kv *k = td_kv_new(
	    &(td_kv_opts) { .url = url, .backoff_min_ms = 60000, .backoff_max_ms = 120000 });
	assert_false(td_kv_connected(k));
	assert_null(td_kv_ctx(k));
	assert_int_equal(td_kv_ensure(k), TD_ECONN);
	assert_false(td_kv_connected(k));
	/* Inside the backoff window (at least 30 s): no new attempt. */
	assert_int_equal(td_kv_ensure(k), TD_EAGAIN);
	assert_int_equal(td_kv_ensure(k), TD_EAGAIN);
	td_kv_stats st;
	td_kv_stats_get(k, &st);
	assert_int_equal(st.connect_failures, 1);
	assert_int_equal(st.connects, 0);
	assert_int_equal(log_count("KV-CONNECT-FAIL"), 1);
	/* Commands on no connection fail at once. */
	int rv = 0;
	assert_null(td_kv_cmd(k, &rv, "PING"));
	assert_int_equal(rv, TD_ECONN);
	const char *argv[] = { "PING" };
	assert_null(td_kv_cmdargv(k, 1, argv, NULL, &rv));
	assert_int_equal(rv, TD_ECONN);
	td_kv_set_timeout(k, 10); /* no connection: nothing to do */
	td_kv_reset(k);
	td_kv_free(k);

	/* Short windows: every attempt fails again, logged once per outage. */
	k = td_kv_new(&(td_kv_opts) { .url = url, .backoff_min_ms = 1, .backoff_max_ms = 2 });
	int failures = 0;
	int64_t deadline = td_mono_ms() + 5000;
	while (failures < 3 && td_mono_ms() < deadline) {
		rv = td_kv_ensure(k);
		assert_true(rv == TD_ECONN || rv == TD_EAGAIN);
		failures += rv == TD_ECONN;
	}
	assert_int_equal(failures, 3);
	td_kv_stats_get(k, &st);
	assert_int_equal(st.connect_failures, 3);
	assert_int_equal(log_count("KV-CONNECT-FAIL"), 2);
	td_kv_free(k);

	/* A URL that does not parse never connects. */
	k = td_kv_new(&(td_kv_opts) { .url = "nonsense", .backoff_min_ms = 60000 });
	assert_int_equal(td_kv_ensure(k), TD_ECONN);
	assert_int_equal(td_kv_ensure(k), TD_EAGAIN);
	td_kv_free(k);
	k = td_kv_new(&(td_kv_opts) { .url = NULL });
	assert_int_equal(td_kv_ensure(k), TD_ECONN);
	td_kv_free(k);
}

/* ---- a scripted fake Redis ------------------------------------------------------------------ */

typedef struct fake {
	int lfd, port;
	pthread_t thr;
	const char *const *replies; /* one per command received; NULL: stay silent */
	char got[2048]; /* everything received */
	size_t ngot;
} fake;

static void *
fake_main(void *arg)
{
	fake *f = arg;
	int c = accept(f->lfd, NULL, NULL);
	if (c < 0) {
		return (NULL);
	}
	for (int i = 0;; i++) {
		ssize_t n = read(c, f->got + f->ngot, sizeof(f->got) - 1 - f->ngot);
		if (n <= 0) {
			break;
		}
		f->ngot += (size_t)n;
		if (f->replies[i] == NULL) {
			/* Silent from here on: wait for the client to hang up. */
			char sink[256];
			while (read(c, sink, sizeof(sink)) > 0) { }
			break;
		}
		ssize_t w = write(c, f->replies[i], strlen(f->replies[i]));
		(void)w;
	}
	close(c);
	return (NULL);
}

static void
fake_start(fake *f, const char *const *replies)
{
	memset(f, 0, sizeof(*f));
	f->replies = replies;
	f->lfd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	assert_int_equal(bind(f->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(f->lfd, 4), 0);
	socklen_t l = sizeof(a);
	assert_int_equal(getsockname(f->lfd, (struct sockaddr *)&a, &l), 0);
	f->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&f->thr, NULL, fake_main, f), 0);
}

static void
fake_stop(fake *f)
{
	pthread_join(f->thr, NULL);
	close(f->lfd);
}

static void
test_handshake_and_commands(void **state)
{
	(void)state;
	static const char *const replies[]
	    = { "+OK\r\n", "+OK\r\n", "+PONG\r\n", "-LOADING still loading\r\n", NULL };
	fake f;
	fake_start(&f, replies);
	char url[80];
	snprintf(url, sizeof(url), "redis://:sekret@127.0.0.1:%d/3", f.port);
	td_kv *k = td_kv_new(&(td_kv_opts) { .url = url, .cmd_timeout_ms = 300 });
	assert_int_equal(td_kv_ensure(k), 0);
	assert_true(td_kv_connected(k));
	assert_non_null(td_kv_ctx(k));
	assert_int_equal(td_kv_ensure(k), 0); /* already connected: no new attempt */
	int rv = -1;
	redisReply *r = td_kv_cmd(k, &rv, "PING");
	assert_int_equal(rv, 0);
	assert_non_null(r);
	assert_int_equal(r->type, REDIS_REPLY_STATUS);
	assert_string_equal(r->str, "PONG");
	freeReplyObject(r);
	/* An error reply is a reply: the caller classifies it. */
	const char *argv[] = { "GET", "k" };
	r = td_kv_cmdargv(k, 2, argv, NULL, &rv);
	assert_int_equal(rv, 0);
	char err[64];
	assert_int_equal(td_kv_reply_err(k, r, err, sizeof(err)), TD_EAGAIN);
	freeReplyObject(r);
	/* No answer within cmd_timeout_ms: TD_ETIMEDOUT and the connection is dropped. */
	r = td_kv_cmd(k, &rv, "PING");
	assert_null(r);
	assert_int_equal(rv, TD_ETIMEDOUT);
	assert_false(td_kv_connected(k));
	td_kv_stats st;
	td_kv_stats_get(k, &st);
	assert_int_equal(st.connects, 1);
	assert_int_equal(st.disconnects, 1);
	td_kv_free(k);
	fake_stop(&f);
	f.got[f.ngot] = '\0';
	/* AUTH, then SELECT, then the commands, in that order. */
	assert_string_equal(f.got,
	    "*2\r\n$4\r\nAUTH\r\n$6\r\nsekret\r\n"
	    "*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n"
	    "*1\r\n$4\r\nPING\r\n"
	    "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"
	    "*1\r\n$4\r\nPING\r\n");
}

static void
test_auth_refused(void **state)
{
	(void)state;
	static const char *const replies[]
	    = { "-WRONGPASS invalid username-password pair\r\n", NULL };
	fake f;
	fake_start(&f, replies);
	char url[80];
	snprintf(url, sizeof(url), "redis://:bad@127.0.0.1:%d", f.port);
	td_kv *k = td_kv_new(&(td_kv_opts) { .url = url, .backoff_min_ms = 60000 });
	int before = log_count("KV-CONNECT-FAIL");
	assert_int_equal(td_kv_ensure(k), TD_ECONN);
	assert_false(td_kv_connected(k));
	assert_int_equal(td_kv_ensure(k), TD_EAGAIN);
	assert_int_equal(log_count("KV-CONNECT-FAIL"), before + 1);
	td_kv_free(k);
	fake_stop(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_url),
		cmocka_unit_test(test_reply_err),
		cmocka_unit_test(test_closed_port_backoff),
		cmocka_unit_test(test_handshake_and_commands),
		cmocka_unit_test(test_auth_refused),
	};
	return (cmocka_run_group_tests(tests, log_setup, log_teardown));
}
