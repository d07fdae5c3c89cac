/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the logging family: exact logfmt and JSON lines (captured
 * through td_log_set_fd into a temporary file), escaping, level filtering,
 * line limits and concurrent writers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log/log.h"
#include "util/clock.h"

static int g_fd = -1;

static int
setup(void **state)
{
	(void)state;
	g_fd = memfd_create("log_test", 0);
	if (g_fd < 0) {
		return (-1);
	}
	td_log_set_fd(g_fd);
	td_log_set_level(TD_LOG_INFO);
	td_log_setup("svc", "node1", TD_LOG_LOGFMT);
	return (0);
}

static int
teardown(void **state)
{
	(void)state;
	td_log_set_fd(2);
	close(g_fd);
	g_fd = -1;
	return (0);
}

/* take returns everything logged since the last take (caller frees). */
static char *
take(size_t *lenp)
{
	off_t end = lseek(g_fd, 0, SEEK_CUR);
	char *s = calloc(1, (size_t)end + 1);
	assert_non_null(s);
	assert_int_equal(pread(g_fd, s, (size_t)end, 0), end);
	assert_int_equal(ftruncate(g_fd, 0), 0);
	assert_int_equal(lseek(g_fd, 0, SEEK_SET), 0);
	if (lenp != NULL) {
		*lenp = (size_t)end;
	}
	return (s);
}

/* strip_ts checks the leading "ts=<RFC 3339> " and returns what follows. */
static const char *
strip_ts(const char *line)
{
	assert_memory_equal(line, "ts=", 3);
	const char *sp = strchr(line, ' ');
	assert_non_null(sp);
	char ts[64];
	assert_true(sp - line - 3 < (long)sizeof(ts));
	snprintf(ts, sizeof(ts), "%.*s", (int)(sp - line - 3), line + 3);
	int64_t us, now = td_wall_us();
	assert_int_equal(td_parse_time(ts, &us), 0);
	assert_true(us <= now && us > now - 60 * 1000000LL);
	return (sp + 1);
}

static void
test_logfmt_line(void **state)
{
	(void)state;
	LOG_INFO("TEST-HELLO", "committed %d rows in %.1f ms", 100, 3.14);
	char *s = take(NULL);
	assert_string_equal(strip_ts(s),
	    "level=info svc=svc node=node1 id=TEST-HELLO msg=\"committed 100 rows in 3.1 ms\"\n");
	free(s);

	/* No node: the field is left out. */
	td_log_setup("cdr-writer", "", TD_LOG_LOGFMT);
	LOG_WARN("TEST-W", "x");
	s = take(NULL);
	assert_string_equal(strip_ts(s), "level=warn svc=cdr-writer id=TEST-W msg=\"x\"\n");
	free(s);
}

static void
test_logfmt_escaping(void **state)
{
	(void)state;
	LOG_ERROR("TEST-ESC", "%s", "a\"b\\c\nd\te\rf\001g\177h\x1f");
	char *s = take(NULL);
	assert_string_equal(strip_ts(s),
	    "level=error svc=svc node=node1 id=TEST-ESC "
	    "msg=\"a\\\"b\\\\c\\nd\\te\\rf\\u0001g\\u007fh\\u001f\"\n");
	free(s);
	/* Exactly one line, whatever the message held. */
	LOG_INFO("TEST-ESC", "line1\nline2\n");
	s = take(NULL);
	assert_non_null(strchr(s, '\n'));
	assert_int_equal(strchr(s, '\n') - s, (long)strlen(s) - 1);
	free(s);
}

static void
test_logfmt_quotes_fields(void **state)
{
	(void)state;
	/* svc and node come from config: a space or '=' must not split the field. */
	td_log_setup("my svc", "a=b", TD_LOG_LOGFMT);
	LOG_INFO("TEST-Q", "m");
	char *s = take(NULL);
	assert_string_equal(
	    strip_ts(s), "level=info svc=\"my svc\" node=\"a=b\" id=TEST-Q msg=\"m\"\n");
	free(s);
}

static void
test_json_line(void **state)
{
	(void)state;
	const char *nasty = "q\"uote \\ nl\n tab\t cr\r bell\a del\177 é end";
	td_log_setup("svc", "node1", TD_LOG_JSON);
	LOG_WARN("TEST-JSON", "%s", nasty);
	char *s = take(NULL);
	assert_int_equal(s[strlen(s) - 1], '\n');
	assert_ptr_equal(strchr(s, '\n'), s + strlen(s) - 1); /* one line */
	json_error_t je;
	json_t *o = json_loads(s, 0, &je);
	if (o == NULL) {
		fail_msg("not JSON (%s): %s", je.text, s);
	}
	assert_int_equal(json_object_size(o), 6);
	assert_string_equal(json_string_value(json_object_get(o, "level")), "warn");
	assert_string_equal(json_string_value(json_object_get(o, "svc")), "svc");
	assert_string_equal(json_string_value(json_object_get(o, "node")), "node1");
	assert_string_equal(json_string_value(json_object_get(o, "id")), "TEST-JSON");
	assert_string_equal(json_string_value(json_object_get(o, "msg")), nasty);
	int64_t us;
	assert_int_equal(td_parse_time(json_string_value(json_object_get(o, "ts")), &us), 0);
	/* Field order is fixed: ts first, msg last. */
	assert_memory_equal(s, "{\"ts\":\"", 7);
	assert_non_null(
	    strstr(s, "\",\"level\":\"warn\",\"svc\":\"svc\",\"node\":\"node1\",\"id\":"));
	json_decref(o);
	free(s);

	td_log_setup("svc", "", TD_LOG_JSON);
	LOG_ERROR("TEST-JSON", "plain");
	s = take(NULL);
	o = json_loads(s, 0, &je);
	assert_non_null(o);
	assert_null(json_object_get(o, "node"));
	assert_string_equal(json_string_value(json_object_get(o, "msg")), "plain");
	json_decref(o);
	free(s);
}

static void
test_json_invalid_utf8(void **state)
{
	(void)state;
	/* Bytes from the wire (a SIP header, a CDR field) may not be UTF-8. */
	td_log_setup("svc", "node1", TD_LOG_JSON);
	LOG_INFO("TEST-UTF8", "bad \xff\xfe lone \xc3 overlong \xc0\xaf ok \xe2\x82\xac");
	char *s = take(NULL);
	json_error_t je;
	json_t *o = json_loads(s, 0, &je);
	if (o == NULL) {
		fail_msg("not JSON (%s): %s", je.text, s);
	}
	assert_string_equal(json_string_value(json_object_get(o, "msg")),
	    "bad \xef\xbf\xbd\xef\xbf\xbd lone \xef\xbf\xbd overlong \xef\xbf\xbd\xef\xbf\xbd "
	    "ok \xe2\x82\xac");
	json_decref(o);
	free(s);
}

static int g_evaluated;

static int
side_effect(void)
{
	g_evaluated++;
	return (1);
}

static void
test_level_filter(void **state)
{
	(void)state;
	td_log_set_level(TD_LOG_WARN);
	assert_int_equal(td_log_get_level(), TD_LOG_WARN);
	g_evaluated = 0;
	LOG_DEBUG("TEST-L", "debug %d", side_effect());
	LOG_INFO("TEST-L", "info %d", side_effect());
	size_t len;
	char *s = take(&len);
	assert_int_equal(len, 0);
	assert_int_equal(g_evaluated, 0); /* arguments not even evaluated */
	free(s);

	LOG_WARN("TEST-L", "warn %d", side_effect());
	LOG_ERROR("TEST-L", "error");
	s = take(NULL);
	assert_int_equal(g_evaluated, 1);
	assert_non_null(strstr(s, "level=warn svc=svc node=node1 id=TEST-L msg=\"warn 1\"\n"));
	assert_non_null(strstr(s, "level=error svc=svc node=node1 id=TEST-L msg=\"error\"\n"));
	free(s);

	td_log_set_level(TD_LOG_DEBUG);
	LOG_DEBUG("TEST-L", "now shown");
	s = take(NULL);
	assert_non_null(strstr(s, "level=debug "));
	free(s);
	td_log_set_level(TD_LOG_FATAL);
	LOG_ERROR("TEST-L", "hidden");
	s = take(&len);
	assert_int_equal(len, 0);
	free(s);
}

static void
test_level_parse(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		td_log_level lvl;
	} good[] = {
		{ "fatal", TD_LOG_FATAL },
		{ "error", TD_LOG_ERROR },
		{ "warn", TD_LOG_WARN },
		{ "warning", TD_LOG_WARN },
		{ "info", TD_LOG_INFO },
		{ "debug", TD_LOG_DEBUG },
		{ "DEBUG", TD_LOG_DEBUG },
		{ "Warning", TD_LOG_WARN },
		{ "INFO", TD_LOG_INFO },
	};
	for (size_t i = 0; i < TD_ARRAY_LEN(good); i++) {
		td_log_level l = TD_LOG_FATAL;
		assert_int_equal(td_log_level_parse(good[i].in, &l), 0);
		assert_int_equal(l, good[i].lvl);
	}
	static const char *const bad[] = { "", "verbose", "info ", " info", "err", "4", "trace" };
	for (size_t i = 0; i < TD_ARRAY_LEN(bad); i++) {
		td_log_level l = TD_LOG_INFO;
		assert_int_equal(td_log_level_parse(bad[i], &l), TD_EINVAL);
		assert_int_equal(l, TD_LOG_INFO);
	}
	/* The names table is what config and the loglevel command use. */
	assert_string_equal(td_log_level_names[TD_LOG_WARN], "warn");
	assert_null(td_log_level_names[TD_LOG_DEBUG + 1]);
	assert_string_equal(td_log_format_names[TD_LOG_JSON], "json");
	assert_null(td_log_format_names[TD_LOG_JSON + 1]);
}

/* A message far beyond the limits is cut, not lost. */
static void
test_long_message_truncated(void **state)
{
	(void)state;
	size_t n = 200 * 1024;
	char *big = malloc(n + 1);
	memset(big, 'a', n);
	big[n] = '\0';
	LOG_INFO("TEST-LONG", "%s", big);
	size_t len;
	char *s = take(&len);
	assert_true(len > 1000);
	assert_true(len <= 80 * 1024);
	assert_int_equal(s[len - 1], '\n');
	assert_non_null(strstr(s, "id=TEST-LONG msg=\"aaaa"));
	assert_non_null(strstr(s, "...(truncated)\"\n"));
	free(s);
	free(big);
}

/* Escaping can grow a message six-fold; the line must still be written. */
static void
test_escaped_message_not_dropped(void **state)
{
	(void)state;
	size_t n = 60 * 1024;
	char *ctl = malloc(n + 1);
	memset(ctl, '\001', n);
	ctl[n] = '\0';
	for (int f = TD_LOG_LOGFMT; f <= TD_LOG_JSON; f++) {
		td_log_setup("svc", "node1", (td_log_format)f);
		LOG_INFO("TEST-CTL", "%s", ctl);
		LOG_INFO("TEST-AFTER", "next");
		size_t len;
		char *s = take(&len);
		char *nl = strchr(s, '\n');
		assert_non_null(nl);
		assert_true(nl - s > 1000);
		assert_true(nl - s < 80 * 1024);
		assert_non_null(strstr(s, "TEST-CTL"));
		assert_non_null(strstr(s, "\\u0001\\u0001"));
		assert_non_null(strstr(nl, "TEST-AFTER"));
		if (f == TD_LOG_JSON) {
			*nl = '\0';
			json_t *o = json_loads(s, 0, NULL);
			assert_non_null(o);
			json_decref(o);
		}
		free(s);
	}
	free(ctl);
}

#define NTHREADS 4
#define NLINES 300

static void *
writer(void *arg)
{
	int id = (int)(intptr_t)arg;
	char pad[300];
	memset(pad, 'a' + id, sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	for (int i = 0; i < NLINES; i++) {
		LOG_INFO("TEST-MT", "t=%d i=%d %s", id, i, pad);
	}
	return (NULL);
}

static void
test_threads_do_not_interleave(void **state)
{
	(void)state;
	pthread_t t[NTHREADS];
	for (int i = 0; i < NTHREADS; i++) {
		assert_int_equal(pthread_create(&t[i], NULL, writer, (void *)(intptr_t)i), 0);
	}
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(t[i], NULL);
	}
	char *s = take(NULL);
	int seen[NTHREADS] = { 0 };
	int lines = 0;
	for (char *line = strtok(s, "\n"); line != NULL; line = strtok(NULL, "\n")) {
		int id, i;
		const char *rest = strip_ts(line);
		assert_int_equal(
		    sscanf(
		        rest, "level=info svc=svc node=node1 id=TEST-MT msg=\"t=%d i=%d", &id, &i),
		    2);
		assert_true(id >= 0 && id < NTHREADS);
		assert_int_equal(i, seen[id]); /* in order per thread, none lost */
		seen[id]++;
		assert_int_equal(strlen(rest),
		    strlen("level=info svc=svc node=node1 id=TEST-MT msg=\"t=0 i=")
		        + (i < 10         ? 1
		                : i < 100 ? 2
		                          : 3)
		        + 1 + 299 + 1);
		lines++;
	}
	assert_int_equal(lines, NTHREADS * NLINES);
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_logfmt_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_logfmt_escaping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_logfmt_quotes_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_invalid_utf8, setup, teardown),
		cmocka_unit_test_setup_teardown(test_level_filter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_level_parse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_message_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_escaped_message_not_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_threads_do_not_interleave, setup, teardown),
	};
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
