/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the control protocol: dispatch through the command table
 * (unknown commands, help, arguments, errors, malformed requests), the CLI
 * side against a live server on ipc:// in a temporary directory, "daemon
 * not running", and td_ctl_print's output for objects, tables and text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl.h"
#include "tandem/ctl.pb-c.h"
#include "util/clock.h"

/* ---- commands under test ------------------------------------------------------------- */

static int
cmd_echo(void *arg, int argc, char **argv, json_t **out, char *err, size_t errlen)
{
	(void)err, (void)errlen;
	json_t *a = json_array();
	for (int i = 0; i < argc; i++) {
		json_array_append_new(a, json_string(argv[i]));
	}
	*out = json_pack("{s:s, s:i, s:o}", "tag", (const char *)arg, "argc", argc, "argv", a);
	return (TD_OK);
}

static int
cmd_fail(void *arg, int argc, char **argv, json_t **out, char *err, size_t errlen)
{
	(void)arg, (void)argv;
	*out = json_object(); /* set and then failing: must not leak */
	if (argc > 0) {
		snprintf(err, errlen, "no such call '%s'", argv[0]);
	}
	return (TD_ENOTFOUND);
}

static int
cmd_null(void *arg, int argc, char **argv, json_t **out, char *err, size_t errlen)
{
	(void)arg, (void)argc, (void)argv, (void)out, (void)err, (void)errlen;
	return (TD_OK);
}

static int
cmd_slow(void *arg, int argc, char **argv, json_t **out, char *err, size_t errlen)
{
	(void)arg, (void)argc, (void)argv, (void)err, (void)errlen;
	td_sleep_ms(500);
	*out = json_true();
	return (TD_OK);
}

static td_ctl_server *
new_server(const char *url)
{
	char err[256];
	td_ctl_server *s;
	assert_int_equal(td_ctl_server_start(&s, url, err, sizeof(err)), 0);
	td_ctl_register(s,
	    &(td_ctl_cmd) {
	        "echo", "[args...]", "print the arguments", cmd_echo, (void *)"first" });
	td_ctl_register(s, &(td_ctl_cmd) { "fail", "[id]", "always fails", cmd_fail, NULL });
	td_ctl_register(s, &(td_ctl_cmd) { "null", "", "answers nothing", cmd_null, NULL });
	td_ctl_register(s, &(td_ctl_cmd) { "slow", "", "takes its time", cmd_slow, NULL });
	return (s);
}

/* dispatch runs command/args through td_ctl_dispatch and decodes the reply. */
static Tandem__CtlReply *
dispatch(td_ctl_server *s, const char *command, int argc, char **argv)
{
	Tandem__CtlRequest rq = TANDEM__CTL_REQUEST__INIT;
	rq.command = (char *)command;
	rq.n_args = (size_t)argc;
	rq.args = argv;
	uint8_t buf[4096];
	size_t n = tandem__ctl_request__pack(&rq, buf);
	td_buf reply = TD_BUF_INIT;
	td_ctl_dispatch(s, buf, n, &reply);
	Tandem__CtlReply *r = tandem__ctl_reply__unpack(NULL, reply.len, (uint8_t *)reply.data);
	td_buf_free(&reply);
	assert_non_null(r);
	return (r);
}

/* ---- dispatch ------------------------------------------------------------------------- */

static void
test_dispatch(void **state)
{
	(void)state;
	td_ctl_server *s = new_server(NULL);

	Tandem__CtlReply *r = dispatch(s, "nope", 0, NULL);
	assert_false(r->ok);
	assert_string_equal(r->error, "unknown command 'nope' (try 'help')");
	assert_string_equal(r->json, "");
	tandem__ctl_reply__free_unpacked(r, NULL);

	char *args[] = { "a", "b c", "" };
	r = dispatch(s, "echo", 3, args);
	assert_true(r->ok);
	assert_string_equal(r->error, "");
	assert_string_equal(
	    r->json, "{\"tag\":\"first\",\"argc\":3,\"argv\":[\"a\",\"b c\",\"\"]}");
	tandem__ctl_reply__free_unpacked(r, NULL);
	r = dispatch(s, "echo", 0, NULL);
	assert_string_equal(r->json, "{\"tag\":\"first\",\"argc\":0,\"argv\":[]}");
	tandem__ctl_reply__free_unpacked(r, NULL);

	/* Errors: the handler's reason, or the code's name when it gave none. */
	char *id[] = { "42" };
	r = dispatch(s, "fail", 1, id);
	assert_false(r->ok);
	assert_string_equal(r->error, "no such call '42'");
	tandem__ctl_reply__free_unpacked(r, NULL);
	r = dispatch(s, "fail", 0, NULL);
	assert_false(r->ok);
	assert_string_equal(r->error, "not found");
	tandem__ctl_reply__free_unpacked(r, NULL);

	/* Success with no document is JSON null. */
	r = dispatch(s, "null", 0, NULL);
	assert_true(r->ok);
	assert_string_equal(r->json, "null");
	tandem__ctl_reply__free_unpacked(r, NULL);

	/* A later registration of a name wins. */
	td_ctl_register(s, &(td_ctl_cmd) { "echo", "", "replaced", cmd_echo, (void *)"second" });
	r = dispatch(s, "echo", 0, NULL);
	assert_string_equal(r->json, "{\"tag\":\"second\",\"argc\":0,\"argv\":[]}");
	tandem__ctl_reply__free_unpacked(r, NULL);

	/* Too many arguments. */
	char *many[65];
	for (int i = 0; i < 65; i++) {
		many[i] = "x";
	}
	r = dispatch(s, "echo", 65, many);
	assert_false(r->ok);
	assert_string_equal(r->error, "too many arguments");
	tandem__ctl_reply__free_unpacked(r, NULL);
	r = dispatch(s, "echo", 64, many);
	assert_true(r->ok);
	tandem__ctl_reply__free_unpacked(r, NULL);

	/* Bytes that are not a CtlRequest. */
	td_buf reply = TD_BUF_INIT;
	td_ctl_dispatch(s, (const uint8_t *)"\xff\xff\xff\xff", 4, &reply);
	r = tandem__ctl_reply__unpack(NULL, reply.len, (uint8_t *)reply.data);
	assert_non_null(r);
	assert_false(r->ok);
	assert_string_equal(r->error, "malformed control request");
	tandem__ctl_reply__free_unpacked(r, NULL);
	td_buf_free(&reply);

	td_ctl_server_stop(s);
}

static void
test_help(void **state)
{
	(void)state;
	td_ctl_server *s = new_server(NULL);
	Tandem__CtlReply *r = dispatch(s, "help", 0, NULL);
	assert_true(r->ok);
	json_t *a = json_loads(r->json, 0, NULL);
	assert_true(json_is_array(a));
	assert_int_equal(json_array_size(a), 5);
	static const char *const names[] = { "help", "echo", "fail", "null", "slow" };
	for (size_t i = 0; i < 5; i++) {
		json_t *c = json_array_get(a, i);
		assert_string_equal(json_string_value(json_object_get(c, "command")), names[i]);
	}
	json_t *echo = json_array_get(a, 1);
	assert_string_equal(json_string_value(json_object_get(echo, "usage")), "[args...]");
	assert_string_equal(
	    json_string_value(json_object_get(echo, "help")), "print the arguments");
	json_decref(a);
	tandem__ctl_reply__free_unpacked(r, NULL);
	td_ctl_server_stop(s);
}

/* ---- the CLI side over ipc:// ------------------------------------------------------------- */

static void
test_call_over_ipc(void **state)
{
	(void)state;
	char dir[] = "/tmp/ctl_test.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char url[128], err[512];
	snprintf(url, sizeof(url), "ipc://%s/svc.ctl", dir);

	/* Nobody there yet: a clear "not running". */
	json_t *out = NULL;
	assert_int_equal(td_ctl_call(url, "help", 0, NULL, 1000, &out, err, sizeof(err)), TD_ECONN);
	char want[256];
	snprintf(want, sizeof(want), "cannot reach %s: is the daemon running?", url);
	assert_string_equal(err, want);
	assert_null(out);

	td_ctl_server *s = new_server(url);
	char *args[] = { "x", "y" };
	assert_int_equal(td_ctl_call(url, "echo", 2, args, 5000, &out, err, sizeof(err)), 0);
	assert_string_equal(json_string_value(json_object_get(out, "tag")), "first");
	assert_int_equal(json_integer_value(json_object_get(out, "argc")), 2);
	assert_string_equal(
	    json_string_value(json_array_get(json_object_get(out, "argv"), 1)), "y");
	json_decref(out);
	out = NULL;

	assert_int_equal(td_ctl_call(url, "help", 0, NULL, 5000, &out, err, sizeof(err)), 0);
	assert_int_equal(json_array_size(out), 5);
	json_decref(out);
	out = NULL;

	/* null is a valid answer. */
	assert_int_equal(td_ctl_call(url, "null", 0, NULL, 5000, &out, err, sizeof(err)), 0);
	assert_true(json_is_null(out));
	json_decref(out);
	out = NULL;

	/* The command's failure comes back as its message. */
	char *id[] = { "7" };
	assert_int_equal(td_ctl_call(url, "fail", 1, id, 5000, &out, err, sizeof(err)), TD_EINVAL);
	assert_string_equal(err, "no such call '7'");
	assert_null(out);
	assert_int_equal(
	    td_ctl_call(url, "bogus", 0, NULL, 5000, &out, err, sizeof(err)), TD_EINVAL);
	assert_string_equal(err, "unknown command 'bogus' (try 'help')");

	/* Too slow: the CLI gives up and says so. */
	assert_int_equal(
	    td_ctl_call(url, "slow", 0, NULL, 100, &out, err, sizeof(err)), TD_ETIMEDOUT);
	snprintf(want, sizeof(want), "%s: no answer: timed out", url);
	assert_string_equal(err, want);

	td_ctl_server_stop(s);
	/* Stopped: "not running" again. */
	assert_int_equal(td_ctl_call(url, "help", 0, NULL, 1000, &out, err, sizeof(err)), TD_ECONN);

	/* A server that cannot listen says where. */
	td_ctl_server *bad;
	assert_int_equal(
	    td_ctl_server_start(&bad, "ipc:///nonexistent/dir/x.ctl", err, sizeof(err)), TD_ECONN);
	assert_non_null(strstr(err, "ipc:///nonexistent/dir/x.ctl"));

	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* ---- printing ------------------------------------------------------------------------------ */

static char *
print(const char *json, bool raw)
{
	json_t *doc = json_loads(json, JSON_DECODE_ANY, NULL);
	assert_non_null(doc);
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	td_ctl_print(f, doc, raw);
	fclose(f);
	json_decref(doc);
	return (out);
}

static void
test_print(void **state)
{
	(void)state;
	static const struct {
		const char *json;
		const char *out;
	} cases[] = {
		/* objects: aligned "key: value", nested objects indented */
		{ "{\"service\":\"cdr-writer\",\"pid\":42,\"up\":true,\"load\":1.5,\"node\":null}",
		    "service: cdr-writer\n"
		    "pid:     42\n"
		    "up:      true\n"
		    "load:    1.5\n"
		    "node:    -\n" },
		{ "{\"a\":1,\"queue\":{\"depth\":3,\"oldest_s\":0.25},\"z\":\"end\"}",
		    "a:     1\n"
		    "queue:\n"
		    "  depth:    3\n"
		    "  oldest_s: 0.25\n"
		    "z:     end\n" },
		{ "{\"tags\":[\"x\",\"y\"],\"none\":[]}",
		    "tags:\n"
		    "  - x\n"
		    "  - y\n"
		    "none: []\n" },
		/* arrays of objects: a table, columns from the first row */
		{ "[{\"command\":\"help\",\"usage\":\"\",\"n\":1},"
		  "{\"command\":\"loglevel\",\"usage\":\"[level]\",\"n\":22},"
		  "{\"command\":\"x\",\"extra\":true}]",
		    "command   usage    n\n"
		    "help               1\n"
		    "loglevel  [level]  22\n"
		    "x         -        -\n" },
		/* a lone text document: the text itself, newline-terminated */
		{ "{\"text\":\"# HELP a\\na 1\\n\"}", "# HELP a\na 1\n" },
		{ "{\"text\":\"reloaded\"}", "reloaded\n" },
		/* scalars and lists */
		{ "\"just a string\"", "just a string\n" },
		{ "[1,2,3]", "- 1\n- 2\n- 3\n" },
		{ "{}", "" },
	};
	for (size_t i = 0; i < TD_ARRAY_LEN(cases); i++) {
		char *out = print(cases[i].json, false);
		if (strcmp(out, cases[i].out) != 0) {
			fail_msg("case %zu: got\n%s---\nwant\n%s---", i, out, cases[i].out);
		}
		free(out);
	}
	/* --json: pretty JSON, parseable and equal. */
	char *out = print("{\"a\":{\"b\":[1,2]}}", true);
	assert_string_equal(out, "{\n  \"a\": {\n    \"b\": [\n      1,\n      2\n    ]\n  }\n}\n");
	free(out);
	out = print("null", true);
	assert_string_equal(out, "null\n");
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dispatch),
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_call_over_ipc),
		cmocka_unit_test(test_print),
	};
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
