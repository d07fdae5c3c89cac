/* SPDX-License-Identifier: MIT */
/* td_cdr_decode_body: the three body forms mod_json_cdr sends, sniffed, and bad bodies. */
#include "cdr/cdr_testutil.h"

#include <sodium.h>

#include "cdr/fssim.h"

static td_buf json;
static char err[TD_CDR_ERRLEN];

static int
setup(void **state)
{
	(void)state;
	td_buf_init(&json, 0);
	return (0);
}

static int
teardown(void **state)
{
	(void)state;
	td_buf_free(&json);
	return (0);
}

static int
decode(const char *body, const char *ctype)
{
	return (td_cdr_decode_body(body, strlen(body), ctype, &json, err, sizeof(err)));
}

static void
want_err(const char *body, const char *ctype, int rv, const char *reason)
{
	int got = decode(body, ctype);
	if (got != rv || strstr(err, reason) == NULL) {
		fail_msg("body \"%.40s\": want %s \"%s\", got %s \"%s\"", body, td_strerror(rv),
		    reason, td_strerror(got), err);
	}
}

static void
test_raw_json(void **state)
{
	(void)state;
	assert_int_equal(decode("{\"a\":1}", "application/json"), 0);
	assert_string_equal(json.data, "{\"a\":1}");
	/* leading whitespace is dropped; the Content-Type is not believed */
	assert_int_equal(decode(" \r\n{\"a\":1}\n", "application/x-www-form-urlencoded"), 0);
	assert_string_equal(json.data, "{\"a\":1}\n");
	/* an array goes through: the mapper refuses it with a better reason */
	assert_int_equal(decode("[1]", NULL), 0);
	assert_string_equal(json.data, "[1]");
}

static void
test_form_urlencoded(void **state)
{
	(void)state;
	assert_int_equal(decode("cdr=%7B%22a%22%3A%22x+y%2Bz%20%25%22%7D", NULL), 0);
	assert_string_equal(json.data, "{\"a\":\"x y+z %\"}"); /* form rules: '+' is a space */
	assert_int_equal(decode("cdr=%7b%22a%22:1%7d", "application/json"), 0); /* lower hex */
	assert_string_equal(json.data, "{\"a\":1}");
	/* raw '{' from a client that escapes less than FreeSWITCH */
	assert_int_equal(decode("cdr={\"a\":1}", NULL), 0);
	assert_string_equal(json.data, "{\"a\":1}");
	/* other fields around it; names that only end in cdr do not count */
	assert_int_equal(decode("xcdr=zzz&uuid=1&cdr=%7B%7D&cdr2=q&", NULL), 0);
	assert_string_equal(json.data, "{}");
}

static void
test_form_base64(void **state)
{
	(void)state;
	/* bytes chosen so that the base64 text holds '+' and '/' */
	const char *doc = "{\"k\":\"\xfb\xff\xbf~~>?\"}";
	td_buf body = TD_BUF_INIT;
	td_cdr_fs_body(&body, doc, strlen(doc), TD_CDR_FS_BASE64);
	assert_non_null(strchr(body.data, '+'));
	assert_non_null(strchr(body.data, '/'));
	assert_int_equal(decode(body.data, "application/x-www-form-base64-encoded"), 0);
	assert_string_equal(json.data, doc);
	/* also when labelled otherwise, with fields around it, or with a line break */
	assert_int_equal(decode(body.data, "application/x-www-form-urlencoded"), 0);
	assert_string_equal(json.data, doc);
	td_buf wrapped = TD_BUF_INIT;
	td_buf_printf(&wrapped, "a=b&%.10s\r\n%s&z=", body.data, body.data + 10);
	assert_int_equal(decode(wrapped.data, NULL), 0);
	assert_string_equal(json.data, doc);
	td_buf_free(&wrapped);
	td_buf_free(&body);
	/* without padding */
	assert_int_equal(decode("cdr=eyJhIjoxfQ", NULL), 0); /* {"a":1} */
	assert_string_equal(json.data, "{\"a\":1}");
	assert_int_equal(decode("cdr=eyJhIjoxfQ==", NULL), 0);
	assert_string_equal(json.data, "{\"a\":1}");
}

static void
test_bad_bodies(void **state)
{
	(void)state;
	assert_int_equal(td_cdr_decode_body(NULL, 0, NULL, &json, err, sizeof(err)), TD_EINVAL);
	assert_string_equal(err, "empty body");
	want_err("", NULL, TD_EINVAL, "empty body");
	want_err(" \r\n ", NULL, TD_EINVAL, "empty body");
	want_err("hello", "text/plain", TD_EINVAL,
	    "neither JSON nor a form with a cdr= field (Content-Type: text/plain)");
	want_err("a=1&b=2", NULL, TD_EINVAL, "(Content-Type: none)");
	want_err("cdr=", NULL, TD_EINVAL, "empty cdr= field");
	want_err("a=1&cdr=&b=2", NULL, TD_EINVAL, "empty cdr= field");
	want_err("cdr=%7B%7D&cdr=%7B%7D", NULL, TD_EINVAL, "more than one cdr= field");
	/* bad percent-escapes: the position is in the body */
	want_err("cdr=%7B%2", NULL, TD_EINVAL, "bad percent-escape in cdr= at byte 7");
	want_err("cdr=%7B%ZZ%7D", NULL, TD_EINVAL, "bad percent-escape");
	want_err("cdr=%", NULL, TD_EINVAL, "bad percent-escape");
	want_err("cdr=%7B%", NULL, TD_EINVAL, "bad percent-escape");
	/* bad base64 */
	want_err("cdr=ab=c", NULL, TD_EINVAL, "not valid base64");
	want_err("cdr=e", NULL, TD_EINVAL, "not valid base64");
	want_err("cdr=eyJhIjoxfQ===", NULL, TD_EINVAL, "not valid base64");
	/* what OpenSSL's lax decoder would take, refused before it sees it */
	want_err("cdr=eyJh=joxfQ==", NULL, TD_EINVAL, "not valid base64");
	want_err("cdr=eyJhIjox====", NULL, TD_EINVAL, "not valid base64");
	want_err("cdr=eyJhIjoxf===", NULL, TD_EINVAL, "not valid base64");
	/* decodes, but not to a JSON object */
	want_err("cdr=aGVsbG8=", NULL, TD_EINVAL, "does not decode to a JSON object"); /* hello */
	want_err("cdr=%5B1%5D", NULL, TD_EINVAL, "does not decode to a JSON object");
	want_err("cdr=%20%20", NULL, TD_EINVAL, "does not decode to a JSON object");
	want_err("cdr=a b", NULL, TD_EINVAL, "does not decode to a JSON object");
	/* too large */
	size_t n = TD_CDR_MAX_BODY + 1;
	char *big = malloc(n);
	assert_non_null(big);
	memset(big, ' ', n);
	big[0] = '{';
	assert_int_equal(td_cdr_decode_body(big, n, NULL, &json, err, sizeof(err)), TD_ETOOBIG);
	free(big);
}

static void
test_fs_url_encode(void **state)
{
	(void)state;
	td_buf b = TD_BUF_INIT;
	const char *in = "\"1001\" <1001>@a:b;c=d&e+f%41%4g%zz~\x7f\xc3\xa9\r\n{|}";
	td_cdr_fs_url_encode(&b, in, strlen(in));
	assert_string_equal(b.data,
	    "%221001%22%20%3C1001%3E%40a%3Ab%3Bc%3Dd%26e%2Bf%41%254g%25zz~"
	    "%7F%C3%A9%0D%0A%7B%7C%7D");
	td_buf_free(&b);
	assert_string_equal(td_cdr_fs_content_type(TD_CDR_FS_RAW), "application/json");
	assert_string_equal(
	    td_cdr_fs_content_type(TD_CDR_FS_FORM), "application/x-www-form-urlencoded");
	assert_string_equal(
	    td_cdr_fs_content_type(TD_CDR_FS_BASE64), "application/x-www-form-base64-encoded");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_raw_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_form_urlencoded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_form_base64, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_bodies, setup, teardown),
		cmocka_unit_test(test_fs_url_encode),
	};
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
