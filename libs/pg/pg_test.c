/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the PostgreSQL helper without a server: connect failure
 * and the backoff window against a closed port, one log line per outage,
 * and the not-connected paths.  td_pg_check's classification of server
 * errors needs a server and is covered by the integration tests.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log/log.h"
#include "log/logcapture.h"
#include "pg/pg.h"
#include "util/clock.h"

static int
log_setup(void **state)
{
	(void)state;
	return (td_logcap_start("pg_test"));
}

static int
log_teardown(void **state)
{
	(void)state;
	td_logcap_stop();
	return (0);
}

static int
log_count(const char *needle)
{
	return (td_logcap_count(needle));
}

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
	int port = closed_port();
	char dsn[128];
	snprintf(dsn, sizeof(dsn), "host=127.0.0.1 port=%d dbname=voip user=tandem", port);
	td_pg *p = td_pg_new(&(td_pg_opts) {
	    .dsn = dsn, .app_name = "pg_test", .backoff_min_ms = 60000, .backoff_max_ms = 120000 });
	assert_false(td_pg_connected(p));
	assert_null(td_pg_conn(p));
	assert_int_equal(td_pg_ensure(p), TD_ECONN);
	assert_false(td_pg_connected(p));
	assert_null(td_pg_conn(p));
	/* Inside the backoff window: no new attempt. */
	assert_int_equal(td_pg_ensure(p), TD_EAGAIN);
	assert_int_equal(td_pg_ensure(p), TD_EAGAIN);
	td_pg_stats st;
	td_pg_stats_get(p, &st);
	assert_int_equal(st.connect_failures, 1);
	assert_int_equal(st.connects, 0);
	assert_int_equal(st.disconnects, 0);
	/* The reason is logged once, on one line, naming the address. */
	assert_int_equal(log_count("id=PG-CONNECT-FAIL"), 1);
	char port_s[32];
	snprintf(port_s, sizeof(port_s), "%d", port);
	assert_true(log_count(port_s) >= 1);

	/* Not connected: statements fail at once. */
	char err[128];
	assert_int_equal(td_pg_exec(p, "SELECT 1", err, sizeof(err)), TD_ECONN);
	assert_string_equal(err, "not connected");
	td_pg_reset(p); /* nothing to drop */
	td_pg_stats_get(p, &st);
	assert_int_equal(st.disconnects, 0);
	td_pg_free(p);
}

static void
test_retries_log_once(void **state)
{
	(void)state;
	char dsn[128];
	/* A URI works as well as keywords; the DSN's own settings win over ours. */
	snprintf(dsn, sizeof(dsn), "postgresql://tandem@127.0.0.1:%d/voip?connect_timeout=2",
	    closed_port());
	td_pg *p
	    = td_pg_new(&(td_pg_opts) { .dsn = dsn, .backoff_min_ms = 1, .backoff_max_ms = 2 });
	int before = log_count("id=PG-CONNECT-FAIL");
	int failures = 0;
	int64_t deadline = td_mono_ms() + 10000;
	while (failures < 3 && td_mono_ms() < deadline) {
		int rv = td_pg_ensure(p);
		assert_true(rv == TD_ECONN || rv == TD_EAGAIN);
		failures += rv == TD_ECONN;
	}
	assert_int_equal(failures, 3);
	td_pg_stats st;
	td_pg_stats_get(p, &st);
	assert_int_equal(st.connect_failures, 3);
	assert_int_equal(log_count("id=PG-CONNECT-FAIL"), before + 1);
	td_pg_free(p);

	/* A DSN that does not parse fails like an unreachable server. */
	p = td_pg_new(&(td_pg_opts) { .dsn = "host= = =", .backoff_min_ms = 60000 });
	assert_int_equal(td_pg_ensure(p), TD_ECONN);
	assert_int_equal(td_pg_ensure(p), TD_EAGAIN);
	td_pg_free(p);
	td_pg_free(NULL);
}

static void
test_check_without_connection(void **state)
{
	(void)state;
	td_pg *p = td_pg_new(&(td_pg_opts) { .dsn = "host=127.0.0.1 port=1" });
	char err[128];
	/* No result and no connection: a connection problem. */
	assert_int_equal(td_pg_check(p, NULL, PGRES_COMMAND_OK, err, sizeof(err)), TD_ECONN);
	assert_true(strlen(err) > 0);
	assert_null(strchr(err, '\n'));
	/* A result of the wanted status is fine whatever the connection. */
	PGresult *ok = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
	assert_int_equal(td_pg_check(p, ok, PGRES_TUPLES_OK, err, sizeof(err)), 0);
	assert_int_equal(td_pg_check(p, ok, PGRES_COMMAND_OK, err, sizeof(err)), TD_ECONN);
	PQclear(ok);
	td_pg_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_closed_port_backoff),
		cmocka_unit_test(test_retries_log_once),
		cmocka_unit_test(test_check_without_connection),
	};
	return (cmocka_run_group_tests(tests, log_setup, log_teardown));
}
