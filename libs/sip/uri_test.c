/* SPDX-License-Identifier: MIT */
/* SIP/SIPS/TEL URI parsing and %HH unescaping (sip/uri.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sip/uri.h"
#include "util/err.h"

static bool
eq(td_sip_str s, const char *want)
{
	return (want == NULL ? s.n == 0 : td_sip_str_eq(s, want));
}

static void
test_parse(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		int rc;
		td_sip_scheme scheme;
		const char *user, *password, *host;
		uint16_t port;
		bool v6;
		const char *params, *headers;
	} cases[] = {
		{ "sip:alice@atlanta.com", 0, TD_SIP_SCHEME_SIP, "alice", NULL, "atlanta.com", 0,
		    false, NULL, NULL },
		{ "SIP:alice:secretword@atlanta.com;transport=tcp", 0, TD_SIP_SCHEME_SIP, "alice",
		    "secretword", "atlanta.com", 0, false, "transport=tcp", NULL },
		{ "sips:alice@atlanta.com?subject=project%20x&priority=urgent", 0,
		    TD_SIP_SCHEME_SIPS, "alice", NULL, "atlanta.com", 0, false, NULL,
		    "subject=project%20x&priority=urgent" },
		{ "sip:+1-212-555-1212:1234@gateway.com;user=phone", 0, TD_SIP_SCHEME_SIP,
		    "+1-212-555-1212", "1234", "gateway.com", 0, false, "user=phone", NULL },
		{ "sip:atlanta.com;method=REGISTER?to=alice%40atlanta.com", 0, TD_SIP_SCHEME_SIP,
		    NULL, NULL, "atlanta.com", 0, false, "method=REGISTER",
		    "to=alice%40atlanta.com" },
		{ "sip:alice;day=tuesday@atlanta.com", 0, TD_SIP_SCHEME_SIP, "alice;day=tuesday",
		    NULL, "atlanta.com", 0, false, NULL, NULL },
		{ "sip:192.0.2.4:5070", 0, TD_SIP_SCHEME_SIP, NULL, NULL, "192.0.2.4", 5070, false,
		    NULL, NULL },
		{ "sip:user@[2001:db8::10]:5070;lr", 0, TD_SIP_SCHEME_SIP, "user", NULL,
		    "2001:db8::10", 5070, true, "lr", NULL },
		{ "sip:[2001:db8::10:5070]", 0, TD_SIP_SCHEME_SIP, NULL, NULL, "2001:db8::10:5070",
		    0, true, NULL, NULL },
		{ "sip:%00@host5.example.com", 0, TD_SIP_SCHEME_SIP, "%00", NULL,
		    "host5.example.com", 0, false, NULL, NULL },
		{ "sip:a@b;%6C%72;n%61me=v%61lue%25%34%31", 0, TD_SIP_SCHEME_SIP, "a", NULL, "b", 0,
		    false, "%6C%72;n%61me=v%61lue%25%34%31", NULL },
		{ "sip:a@b;x=[::1]:5;y=a/b", 0, TD_SIP_SCHEME_SIP, "a", NULL, "b", 0, false,
		    "x=[::1]:5;y=a/b", NULL },
		{ "sip:a:@b", 0, TD_SIP_SCHEME_SIP, "a", "", "b", 0, false, NULL, NULL },
		{ "tel:+1-201-555-0123", 0, TD_SIP_SCHEME_TEL, "+1-201-555-0123", NULL, NULL, 0,
		    false, NULL, NULL },
		{ "tel:7042;phone-context=example.com", 0, TD_SIP_SCHEME_TEL, "7042", NULL, NULL, 0,
		    false, "phone-context=example.com", NULL },
		{ "soap.beep://192.0.2.103:3002", 0, TD_SIP_SCHEME_OTHER, NULL, NULL, NULL, 0,
		    false, NULL, NULL },
		{ "nobodyKnowsThisScheme:totallyopaquecontent", 0, TD_SIP_SCHEME_OTHER, NULL, NULL,
		    NULL, 0, false, NULL, NULL },
		/* errors */
		{ "sip:2001:db8::10", TD_EPROTO, 0, NULL, NULL, NULL, 0, false, NULL, NULL },
		{ "sip:user@[2001:db8:::192.0.2.1]", TD_EPROTO, 0, NULL, NULL, NULL, 0, false, NULL,
		    NULL },
		{ "<sip:user@example.com>", TD_EPROTO, 0, NULL, NULL, NULL, 0, false, NULL, NULL },
		{ "sip:user@example.com;", TD_EPROTO, 0, NULL, NULL, NULL, 0, false, NULL, NULL },
		{ "sip:user@example.com; lr", TD_EPROTO, 0, NULL, NULL, NULL, 0, false, NULL,
		    NULL },
		{ "sip:user@example.com;a=", TD_EPROTO, 0, NULL, NULL, NULL, 0, false, NULL, NULL },
		{ "sip:user@example.com?", TD_EPROTO, 0, NULL, NULL, NULL, 0, false, NULL, NULL },
		{ "sip:user@example.com?a", TD_EPROTO, 0, NULL, NULL, NULL, 0, false, NULL, NULL },
		{ "sip:@example.com", TD_EPROTO, 0, NULL, NULL, NULL, 0, false, NULL, NULL },
		{ "sip:us er@example.com", TD_EPROTO, 0, NULL, NULL, NULL, 0, false, NULL, NULL },
		{ "sip:us%2@example.com", TD_EPROTO, 0, NULL, NULL, NULL, 0, false, NULL, NULL },
		{ "sip:us%zz@example.com", TD_EPROTO, 0, NULL, NULL, NULL, 0, false, NULL, NULL },
		{ "sip:a:b:c@example.com", TD_EPROTO, 0, NULL, NULL, NULL, 0, false, NULL, NULL },
		{ "sip:a@", TD_EPROTO, 0, NULL, NULL, NULL, 0, false, NULL, NULL },
		{ "sip:", TD_EPROTO, 0, NULL, NULL, NULL, 0, false, NULL, NULL },
		{ "sip:a@example.com:99999", TD_EPROTO, 0, NULL, NULL, NULL, 0, false, NULL, NULL },
		{ "sip:a@exa_mple.com", 0, TD_SIP_SCHEME_SIP, "a", NULL, "exa_mple.com", 0, false,
		    NULL, NULL },
		{ "sip:a@exa*mple.com", TD_EPROTO, 0, NULL, NULL, NULL, 0, false, NULL, NULL },
		{ "sip:a@b>", TD_EPROTO, 0, NULL, NULL, NULL, 0, false, NULL, NULL },
		{ "tel:", TD_EPROTO, 0, NULL, NULL, NULL, 0, false, NULL, NULL },
		{ "tel:+1 555", TD_EPROTO, 0, NULL, NULL, NULL, 0, false, NULL, NULL },
		{ "x:", TD_EPROTO, 0, NULL, NULL, NULL, 0, false, NULL, NULL },
		{ "x:<a>", TD_EPROTO, 0, NULL, NULL, NULL, 0, false, NULL, NULL },
		{ "1x:a", TD_EPROTO, 0, NULL, NULL, NULL, 0, false, NULL, NULL },
		{ "noscheme", TD_EPROTO, 0, NULL, NULL, NULL, 0, false, NULL, NULL },
		{ "", TD_EPROTO, 0, NULL, NULL, NULL, 0, false, NULL, NULL },
	};
	for (size_t i = 0; i < TD_ARRAY_LEN(cases); i++) {
		td_sip_uri u;
		int rc = td_sip_uri_parse(td_sip_str_c(cases[i].in), &u);
		if (rc != cases[i].rc) {
			fail_msg("uri \"%s\": %d", cases[i].in, rc);
		}
		if (rc != 0) {
			continue;
		}
		if (u.scheme != cases[i].scheme || !eq(u.user, cases[i].user)
		    || u.has_password != (cases[i].password != NULL)
		    || !eq(u.password, cases[i].password) || !eq(u.host, cases[i].host)
		    || u.port != cases[i].port || u.has_port != (cases[i].port != 0)
		    || u.host_ipv6 != cases[i].v6 || !eq(u.params, cases[i].params)
		    || !eq(u.headers, cases[i].headers)
		    || u.has_headers != (cases[i].headers != NULL)) {
			fail_msg("uri \"%s\": scheme %d user %.*s host %.*s port %u params %.*s",
			    cases[i].in, u.scheme, (int)u.user.n, u.user.p, (int)u.host.n, u.host.p,
			    u.port, (int)u.params.n, u.params.p);
		}
	}
}

static void
test_known_params(void **state)
{
	(void)state;
	td_sip_uri u;
	td_sip_str v;
	assert_int_equal(
	    td_sip_uri_parse(td_sip_str_c("sip:p.example.com;LR;Transport=TCP;maddr=10.0.0.1"), &u),
	    0);
	assert_true(u.lr);
	assert_true(td_sip_str_eq(u.transport, "TCP"));
	assert_true(td_sip_str_eq(u.maddr, "10.0.0.1"));
	assert_true(td_sip_uri_param(&u, "transport", &v));
	assert_true(td_sip_str_eq(v, "TCP"));
	assert_false(td_sip_uri_param(&u, "user", &v));
	assert_true(td_sip_str_eq(u.hostport, "p.example.com"));
	assert_int_equal(td_sip_uri_parse(td_sip_str_c("sip:a@[::1]:5060"), &u), 0);
	assert_true(td_sip_str_eq(u.hostport, "[::1]:5060"));
	assert_true(td_sip_str_eq(u.scheme_str, "sip"));
	assert_true(td_sip_str_eq(u.opaque, "a@[::1]:5060"));
}

static void
test_unescape(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		int rc;
		const char *out;
		size_t n;
	} cases[] = {
		{ "sips%3Auser%40example.com", 0, "sips:user@example.com", 21 },
		{ "%00", 0, "\0", 1 },
		{ "null-%00-null", 0, "null-\0-null", 11 },
		{ "%00%00", 0, "\0\0", 2 },
		{ "%ff%FF", 0, "\xff\xff", 2 },
		{ "plain", 0, "plain", 5 },
		{ "", 0, "", 0 },
		{ "%", TD_EPROTO, NULL, 0 },
		{ "%4", TD_EPROTO, NULL, 0 },
		{ "%4g", TD_EPROTO, NULL, 0 },
		{ "%Z%45", TD_EPROTO, NULL, 0 },
	};
	for (size_t i = 0; i < TD_ARRAY_LEN(cases); i++) {
		char out[64];
		size_t n = 99;
		int rc = td_sip_unescape(cases[i].in, strlen(cases[i].in), out, sizeof(out), &n);
		assert_int_equal(rc, cases[i].rc);
		if (rc == 0) {
			assert_int_equal(n, cases[i].n);
			assert_memory_equal(out, cases[i].out, n);
		}
	}
	char small[3];
	size_t n;
	assert_int_equal(td_sip_unescape("abcd", 4, small, sizeof(small), &n), TD_ETOOBIG);
	assert_int_equal(td_sip_unescape("%41%42%43", 9, small, sizeof(small), &n), 0);
	assert_memory_equal(small, "ABC", 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_known_params),
		cmocka_unit_test(test_unescape),
	};
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
