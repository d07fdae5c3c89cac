/* SPDX-License-Identifier: MIT */
/* The character-class table and the shared scanners of libs/sip (lex.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sip/lex.h"
#include "util/err.h"

#define ALNUM "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
#define MARK "-_.!~*'()"

/* The RFC 3261 §25 sets, written out independently of the generated table. */
static const struct {
	unsigned cls;
	const char *chars;
} classes[] = {
	{ SIP_C_TOKEN, ALNUM "-.!%*_+`'~" },
	{ SIP_C_DIGIT, "0123456789" },
	{ SIP_C_HEX, "0123456789abcdefABCDEF" },
	{ SIP_C_ALNUM, ALNUM },
	{ SIP_C_UNRES, ALNUM MARK },
	{ SIP_C_USER, ALNUM MARK "&=+$,;?/" },
	{ SIP_C_PASS, ALNUM MARK "&=+$," },
	{ SIP_C_PARAM, ALNUM MARK "[]/:&+$" },
	{ SIP_C_HNV, ALNUM MARK "[]/?:+$" },
	{ SIP_C_WORD, ALNUM "-.!%*_+`'~()<>:\\\"/[]?{}" },
	{ SIP_C_HOST, ALNUM "-._" },
	{ SIP_C_PVAL, ALNUM "-.!%*_+`'~:[]" },
	{ SIP_C_LWS, " \t\r\n" },
	{ SIP_C_SCHEME, ALNUM "+-." },
};

static void
test_class_table(void **state)
{
	(void)state;
	for (size_t k = 0; k < TD_ARRAY_LEN(classes); k++) {
		for (int c = 1; c < 256; c++) {
			bool want = strchr(classes[k].chars, c) != NULL;
			if (sip_is((char)c, classes[k].cls) != want) {
				fail_msg(
				    "class %#x, byte %#x: table says %d", classes[k].cls, c, !want);
			}
		}
		assert_false(sip_is('\0', classes[k].cls));
	}
	/* URIC: printable ASCII but < > " */
	for (int c = 0; c < 256; c++) {
		bool want = c >= 0x21 && c <= 0x7e && c != '<' && c != '>' && c != '"';
		assert_int_equal(sip_is((char)c, SIP_C_URIC), want);
	}
}

static void
test_u32(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		int rc;
		uint32_t v;
	} cases[] = {
		{ "0", 0, 0 },
		{ "0009", 0, 9 },
		{ "4294967295", 0, UINT32_MAX },
		{ "00000000000000000000004294967295", 0, UINT32_MAX },
		{ "4294967296", TD_ETOOBIG, 0 },
		{ "36893488147419103232", TD_ETOOBIG, 0 },
		{ "", TD_EINVAL, 0 },
		{ "-1", TD_EINVAL, 0 },
		{ "12a", TD_EINVAL, 0 },
		{ "99999999999999999999x", TD_EINVAL, 0 }, /* syntax beats size */
		{ " 1", TD_EINVAL, 0 },
	};
	for (size_t i = 0; i < TD_ARRAY_LEN(cases); i++) {
		uint32_t v = 12345;
		int rc = sip_u32(td_sip_str_c(cases[i].in), &v);
		if (rc != cases[i].rc || (rc == 0 && v != cases[i].v)) {
			fail_msg("sip_u32(\"%s\") = %d, %u", cases[i].in, rc, v);
		}
	}
}

static void
test_hostport(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		bool lws;
		int rc;
		const char *host;
		bool v6;
		uint16_t port;
		size_t end; /* where parsing stopped */
	} cases[] = {
		{ "example.com", false, 0, "example.com", false, 0, 11 },
		{ "example.com.", false, 0, "example.com.", false, 0, 12 },
		{ "a-b.example.com:5060;x", false, 0, "a-b.example.com", false, 5060, 20 },
		{ "192.0.2.1:65535", false, 0, "192.0.2.1", false, 65535, 15 },
		{ "[2001:db8::1]:5061", false, 0, "2001:db8::1", true, 5061, 18 },
		{ "[::ffff:192.0.2.1]", false, 0, "::ffff:192.0.2.1", true, 0, 18 },
		{ "[2001:db8::10:5070]", false, 0, "2001:db8::10:5070", true, 0, 19 },
		{ "host : 5060", true, 0, "host", false, 5060, 11 },
		{ "host : 5060", false, 0, "host", false, 0, 4 },
		{ "host ;", true, 0, "host", false, 0, 4 },
		{ "[2001:db8:::192.0.2.1]", false, TD_EPROTO, NULL, false, 0, 0 },
		{ "[2001:db8::1", false, TD_EPROTO, NULL, false, 0, 0 },
		{ "[]", false, TD_EPROTO, NULL, false, 0, 0 },
		{ "[1:2:3:4:5:6:7:8:9]", false, TD_EPROTO, NULL, false, 0, 0 },
		{ "256.0.0.1", false, TD_EPROTO, NULL, false, 0, 0 },
		{ "1.2.3", false, TD_EPROTO, NULL, false, 0, 0 },
		{ "1.2.3.4.5", false, TD_EPROTO, NULL, false, 0, 0 },
		{ "10.0.0.1a", false, TD_EPROTO, NULL, false, 0, 0 },
		{ "-a.com", false, TD_EPROTO, NULL, false, 0, 0 },
		{ "a..com", false, TD_EPROTO, NULL, false, 0, 0 },
		{ "a.com:0", false, TD_EPROTO, NULL, false, 0, 0 },
		{ "a.com:65536", false, TD_EPROTO, NULL, false, 0, 0 },
		{ "a.com:", false, TD_EPROTO, NULL, false, 0, 0 },
		{ "a.com:123456", false, TD_EPROTO, NULL, false, 0, 0 },
		{ "", false, TD_EPROTO, NULL, false, 0, 0 },
		{ "fs_1.example_net.local", false, 0, "fs_1.example_net.local", false, 0, 22 },
		{ "1_2.3.4.5", false, TD_EPROTO, NULL, false, 0, 0 },
		{ "a.-b", false, TD_EPROTO, NULL, false, 0, 0 },
	};
	for (size_t i = 0; i < TD_ARRAY_LEN(cases); i++) {
		td_sip_str s = td_sip_str_c(cases[i].in), host = TD_SIP_STR_NULL;
		size_t pos = 0;
		bool v6 = false, has_port = false;
		uint16_t port = 1;
		int rc = sip_hostport(s.p, s.n, &pos, cases[i].lws, &host, &v6, &port, &has_port);
		if (rc != cases[i].rc) {
			fail_msg("hostport(\"%s\") = %d", cases[i].in, rc);
		}
		if (rc != 0) {
			continue;
		}
		if (!td_sip_str_eq(host, cases[i].host) || v6 != cases[i].v6
		    || port != cases[i].port || has_port != (cases[i].port != 0)
		    || pos != cases[i].end) {
			fail_msg("hostport(\"%s\"): host %.*s v6 %d port %u end %zu", cases[i].in,
			    (int)host.n, host.p, v6, port, pos);
		}
	}
}

static void
test_quoted_and_params(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		size_t end; /* (size_t)-1: unterminated */
	} q[] = {
		{ "\"\"", 2 },
		{ "\"abc\" rest", 5 },
		{ "\"a\\\"b\"", 6 },
		{ "\"a\\\\\"x", 5 },
		{ "\"abc", (size_t)-1 },
		{ "\"abc\\\"", (size_t)-1 },
		{ "\"a\\\r\n b\"", (size_t)-1 },
	};
	for (size_t i = 0; i < TD_ARRAY_LEN(q); i++) {
		td_sip_str s = td_sip_str_c(q[i].in);
		assert_int_equal(sip_quoted(s.p, 0, s.n), q[i].end);
	}

	static const struct {
		const char *in;
		int rc;
		const char *name, *value; /* value NULL: no '=' */
	} g[] = {
		{ "lr", 0, "lr", NULL },
		{ "branch = z9hG4bK1 ;", 0, "branch", "z9hG4bK1" },
		{ "received=[2001:db8::1]", 0, "received", "[2001:db8::1]" },
		{ "received=2001:db8::9:255", 0, "received", "2001:db8::9:255" },
		{ "x=\"a b\"", 0, "x", "\"a b\"" },
		{ "x=", TD_EPROTO, NULL, NULL },
		{ "=x", TD_EPROTO, NULL, NULL },
		{ "x=\"open", TD_EPROTO, NULL, NULL },
		{ ";", TD_EPROTO, NULL, NULL },
	};
	for (size_t i = 0; i < TD_ARRAY_LEN(g); i++) {
		td_sip_str s = td_sip_str_c(g[i].in), name, value;
		size_t pos = 0;
		int rc = sip_gparam(s.p, s.n, &pos, &name, &value);
		assert_int_equal(rc, g[i].rc);
		if (rc == 0) {
			assert_true(td_sip_str_eq(name, g[i].name));
			if (g[i].value == NULL) {
				assert_null(value.p);
			} else {
				assert_true(td_sip_str_eq(value, g[i].value));
			}
		}
	}
}

static void
test_str(void **state)
{
	(void)state;
	assert_true(td_sip_str_caseeq_c(td_sip_str_c("Content-Length"), "content-LENGTH"));
	assert_false(td_sip_str_caseeq_c(td_sip_str_c("Content-Lengt"), "content-length"));
	assert_false(td_sip_str_caseeq_c(td_sip_str_c("a["), "a{")); /* no |0x20 shortcut */
	char small[4];
	assert_int_equal(td_sip_str_copy(small, sizeof(small), td_sip_str_c("abcdef")), 3);
	assert_string_equal(small, "abc"); /* cut, still terminated */
	assert_int_equal(td_sip_str_copy(small, sizeof(small), TD_SIP_STR_NULL), 0);
	assert_string_equal(small, "");
	assert_true(td_sip_str_eq(td_sip_str_c(""), ""));
	assert_true(td_sip_str_same(TD_SIP_STR_NULL, td_sip_str_c("")));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_class_table),
		cmocka_unit_test(test_u32),
		cmocka_unit_test(test_hostport),
		cmocka_unit_test(test_quoted_and_params),
		cmocka_unit_test(test_str),
	};
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
