/* SPDX-License-Identifier: MIT */
/* The one-pass indexer (td_sip_parse): start lines, header lines, names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sip/sip.h"
#include "util/buf.h"

static void
assert_str(td_sip_str s, const char *want)
{
	if (!td_sip_str_eq(s, want)) {
		fail_msg("got \"%.*s\", want \"%s\"", (int)s.n, s.p ? s.p : "", want);
	}
}

static int
parse(td_sip_msg *m, const char *s)
{
	return (td_sip_parse(m, s, strlen(s)));
}

static void
test_header_names(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		td_sip_hdr_type type;
	} cases[] = {
		{ "Via", TD_SIP_H_VIA },
		{ "v", TD_SIP_H_VIA },
		{ "V", TD_SIP_H_VIA },
		{ "vIA", TD_SIP_H_VIA },
		{ "From", TD_SIP_H_FROM },
		{ "f", TD_SIP_H_FROM },
		{ "To", TD_SIP_H_TO },
		{ "t", TD_SIP_H_TO },
		{ "Call-ID", TD_SIP_H_CALL_ID },
		{ "call-id", TD_SIP_H_CALL_ID },
		{ "i", TD_SIP_H_CALL_ID },
		{ "CSeq", TD_SIP_H_CSEQ },
		{ "Contact", TD_SIP_H_CONTACT },
		{ "m", TD_SIP_H_CONTACT },
		{ "MaX-fOrWaRdS", TD_SIP_H_MAX_FORWARDS },
		{ "Content-Length", TD_SIP_H_CONTENT_LENGTH },
		{ "l", TD_SIP_H_CONTENT_LENGTH },
		{ "L", TD_SIP_H_CONTENT_LENGTH },
		{ "c", TD_SIP_H_CONTENT_TYPE },
		{ "e", TD_SIP_H_CONTENT_ENCODING },
		{ "s", TD_SIP_H_SUBJECT },
		{ "k", TD_SIP_H_SUPPORTED },
		{ "o", TD_SIP_H_EVENT },
		{ "u", TD_SIP_H_ALLOW_EVENTS },
		{ "r", TD_SIP_H_REFER_TO },
		{ "x", TD_SIP_H_SESSION_EXPIRES },
		{ "b", TD_SIP_H_REFERRED_BY },
		{ "a", TD_SIP_H_ACCEPT_CONTACT },
		{ "j", TD_SIP_H_REJECT_CONTACT },
		{ "d", TD_SIP_H_REQUEST_DISPOSITION },
		{ "y", TD_SIP_H_IDENTITY },
		{ "n", TD_SIP_H_IDENTITY_INFO },
		{ "Route", TD_SIP_H_ROUTE },
		{ "Record-Route", TD_SIP_H_RECORD_ROUTE },
		{ "Proxy-Require", TD_SIP_H_PROXY_REQUIRE },
		{ "Proxy-Authorization", TD_SIP_H_PROXY_AUTHORIZATION },
		{ "WWW-Authenticate", TD_SIP_H_WWW_AUTHENTICATE },
		{ "Min-Expires", TD_SIP_H_MIN_EXPIRES },
		{ "P-Asserted-Identity", TD_SIP_H_P_ASSERTED_IDENTITY },
		{ "C%6Fntact", TD_SIP_H_OTHER },
		{ "Contacts", TD_SIP_H_OTHER },
		{ "z", TD_SIP_H_OTHER },
		{ "Viaa", TD_SIP_H_OTHER },
		{ "X-Via", TD_SIP_H_OTHER },
		{ "Call_ID", TD_SIP_H_OTHER },
	};
	for (size_t i = 0; i < TD_ARRAY_LEN(cases); i++) {
		td_sip_hdr_type t = td_sip_hdr_lookup(cases[i].name, strlen(cases[i].name));
		if (t != cases[i].type) {
			fail_msg("%s -> %d, want %d", cases[i].name, t, cases[i].type);
		}
	}
	/* every canonical name maps back to its own type */
	for (int t = 1; t < TD_SIP_H__COUNT; t++) {
		const char *n = td_sip_hdr_name((td_sip_hdr_type)t);
		assert_int_equal(td_sip_hdr_lookup(n, strlen(n)), t);
	}
	assert_string_equal(td_sip_hdr_name(TD_SIP_H_OTHER), "");
}

static void
test_methods_and_reasons(void **state)
{
	(void)state;
	for (int i = 1; i < TD_SIP_METHOD__COUNT; i++) {
		const char *n = td_sip_method_name((td_sip_method)i);
		assert_int_equal(td_sip_method_lookup(td_sip_str_c(n)), i);
	}
	assert_int_equal(td_sip_method_lookup(td_sip_str_c("invite")), TD_SIP_METHOD_OTHER);
	assert_int_equal(td_sip_method_lookup(td_sip_str_c("INVITEX")), TD_SIP_METHOD_OTHER);
	assert_int_equal(td_sip_method_lookup(td_sip_str_c("RE%47IST%45R")), TD_SIP_METHOD_OTHER);
	assert_string_equal(td_sip_reason_phrase(483), "Too Many Hops");
	assert_string_equal(td_sip_reason_phrase(299), "Unknown");
	assert_true(td_sip_version_is_20(td_sip_str_c("SIP/2.0")));
	assert_true(td_sip_version_is_20(td_sip_str_c("sip/2.0")));
	assert_false(td_sip_version_is_20(td_sip_str_c("SIP/2.00")));
	assert_false(td_sip_version_is_20(td_sip_str_c("SIP/7.0")));
}

static void
test_request(void **state)
{
	(void)state;
	td_sip_msg m;
	const char *s = "INVITE sip:bob@example.com SIP/2.0\r\n"
	                "Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1\r\n"
	                "v: SIP/2.0/UDP b.example.com;branch=z9hG4bK2\r\n"
	                "Subject:   folded\r\n"
	                " \t value  \r\n"
	                "X-Empty:\r\n"
	                "VIA :SIP/2.0/TCP c.example.com\r\n"
	                "\r\n"
	                "body";
	assert_int_equal(parse(&m, s), 0);
	assert_true(m.is_request);
	assert_false(m.unterminated);
	assert_str(m.method, "INVITE");
	assert_int_equal(m.method_id, TD_SIP_INVITE);
	assert_str(m.ruri, "sip:bob@example.com");
	assert_str(m.version, "SIP/2.0");
	assert_int_equal(m.nhdrs, 5);
	assert_int_equal(td_sip_hdr_count(&m, TD_SIP_H_VIA), 3);
	const td_sip_hdr *h = td_sip_hdr_first(&m, TD_SIP_H_VIA);
	assert_str(h->name, "Via");
	h = td_sip_hdr_next(&m, h);
	assert_str(h->name, "v");
	h = td_sip_hdr_next(&m, h);
	assert_str(h->name, "VIA");
	assert_str(h->value, "SIP/2.0/TCP c.example.com");
	assert_null(td_sip_hdr_next(&m, h));
	h = td_sip_hdr_first(&m, TD_SIP_H_SUBJECT);
	assert_str(h->value, "folded\r\n \t value");
	assert_int_equal(h->raw_len, strlen("Subject:   folded\r\n \t value  \r\n"));
	h = td_sip_hdr_find(&m, "x-empty");
	assert_non_null(h);
	assert_int_equal(h->value.n, 0);
	assert_non_null(h->value.p);
	assert_null(td_sip_hdr_find(&m, "X-Absent"));
	assert_str(m.body, "body");
	assert_int_equal(m.hdr_len, strlen(s) - 4);
}

static void
test_response_and_bare_lf(void **state)
{
	(void)state;
	td_sip_msg m;
	assert_int_equal(parse(&m, "SIP/2.0 180 Ringing\nVia: x\n\n"), 0);
	assert_false(m.is_request);
	assert_int_equal(m.status, 180);
	assert_str(m.reason, "Ringing");
	assert_int_equal(m.nhdrs, 1);
	assert_int_equal(m.body.n, 0);

	/* folded with bare LF */
	assert_int_equal(parse(&m, "SIP/2.0 200 OK\nSubject: a\n b\n\n"), 0);
	assert_str(td_sip_hdr_first(&m, TD_SIP_H_SUBJECT)->value, "a\n b");

	/* no empty line: the input's end ends the header section */
	assert_int_equal(parse(&m, "SIP/2.0 200 OK\r\nVia: x\r\nl: 0"), 0);
	assert_true(m.unterminated);
	assert_int_equal(m.nhdrs, 2);
	assert_str(td_sip_hdr_first(&m, TD_SIP_H_CONTENT_LENGTH)->value, "0");
}

static void
test_start_line_errors(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		int rc;
		const char *reason; /* for errors */
	} cases[] = {
		{ "OPTIONS sip:a@b SIP/2.0\r\n\r\n", 0, NULL },
		{ "OPTIONS sip:a@b SIP/7.0\r\n\r\n", 0, NULL }, /* 505 is check.h's call */
		{ "OPTIONS sip:a@b SIP/2.0 \r\n\r\n", TD_EPROTO, "Bad SIP-Version" },
		{ "OPTIONS  sip:a@b SIP/2.0\r\n\r\n", TD_EPROTO, "Bad Request-Line" },
		{ "OPTIONS sip:a@b  SIP/2.0\r\n\r\n", TD_EPROTO, "Bad SIP-Version" },
		{ " OPTIONS sip:a@b SIP/2.0\r\n\r\n", TD_EPROTO, "Bad Request-Line" },
		{ "OPTIONS sip:a@b\r\n\r\n", TD_EPROTO, "Bad Request-Line" },
		{ "OPTIONS sip:a@b SIP/2\r\n\r\n", TD_EPROTO, "Bad SIP-Version" },
		{ "OPTIONS sip:a@b HTTP/1.1\r\n\r\n", TD_EPROTO, "Bad SIP-Version" },
		{ "OPT<IONS sip:a@b SIP/2.0\r\n\r\n", TD_EPROTO, "Bad Method" },
		{ "OPTIONS sip:a\x01 SIP/2.0\r\n\r\n", TD_EPROTO, "Bad Request-URI" },
		{ "OPTIONS sip:a@b SIP/2.0\rX\r\n\r\n", TD_EPROTO, "Bad Start-Line" },
		{ "SIP/2.0 200 OK\r\n\r\n", 0, NULL },
		{ "SIP/2.0 200\r\n\r\n", 0, NULL },
		{ "SIP/2.0 699 x\r\n\r\n", 0, NULL },
		{ "SIP/2.0 700 x\r\n\r\n", TD_EPROTO, "Bad Status-Code" },
		{ "SIP/2.0 099 x\r\n\r\n", TD_EPROTO, "Bad Status-Code" },
		{ "SIP/2.0 4294967301 x\r\n\r\n", TD_EPROTO, "Bad Status-Code" },
		{ "SIP/2.0 20 x\r\n\r\n", TD_EPROTO, "Bad Status-Code" },
		{ "SIP/2.0 200OK\r\n\r\n", TD_EPROTO, "Bad Status-Code" },
		{ "SIP/2.0x 200 OK\r\n\r\n", TD_EPROTO, "Bad Status-Line" },
		{ "", TD_EPROTO, "Bad Start-Line" },
	};
	for (size_t i = 0; i < TD_ARRAY_LEN(cases); i++) {
		td_sip_msg m;
		int rc = parse(&m, cases[i].in);
		if (rc != cases[i].rc) {
			fail_msg("case %zu: rc %d, want %d", i, rc, cases[i].rc);
		}
		if (rc != 0) {
			assert_int_equal(m.err_status, 400);
			assert_string_equal(m.err_reason, cases[i].reason);
		}
	}
	td_sip_msg m;
	assert_int_equal(parse(&m, "SIP/2.0 200 x\r\n\r\n"), 0);
	assert_false(m.is_request);
	assert_int_equal(parse(&m, "sip/2.0 200 x\r\n\r\n"), 0);
	assert_false(m.is_request);
}

static void
test_header_line_errors(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"OPTIONS sip:a@b SIP/2.0\r\nFoobar roobar\r\n\r\n",
		"OPTIONS sip:a@b SIP/2.0\r\n folded-nothing: x\r\n\r\n",
		"OPTIONS sip:a@b SIP/2.0\r\n: x\r\n\r\n",
		"OPTIONS sip:a@b SIP/2.0\r\nVia x: y\r\n\r\n",
		"OPTIONS sip:a@b SIP/2.0\r\nVia: x\ry\r\n\r\n",
		"OPTIONS sip:a@b SIP/2.0\r\nVia: x\r\r\n\r\n",
		"OPTIONS sip:a@b SIP/2.0\r\nVi\"a: x\r\n\r\n",
		"OPTIONS sip:a@b SIP/2.0\r\nVia",
	};
	for (size_t i = 0; i < TD_ARRAY_LEN(bad); i++) {
		td_sip_msg m;
		if (parse(&m, bad[i]) != TD_EPROTO) {
			fail_msg("case %zu parsed", i);
		}
		assert_int_equal(m.err_status, 400);
	}
	/* a CR in the body is the body's business */
	td_sip_msg m;
	assert_int_equal(parse(&m, "OPTIONS sip:a@b SIP/2.0\r\nl: 3\r\n\r\na\rb"), 0);
	assert_str(m.body, "a\rb");
}

static void
test_too_many_headers(void **state)
{
	(void)state;
	td_buf b;
	td_sip_msg m;
	td_buf_init(&b, 0);
	td_buf_puts(&b, "OPTIONS sip:a@b SIP/2.0\r\n");
	for (int i = 0; i < TD_SIP_MAX_HEADERS; i++) {
		td_buf_printf(&b, "X-H%d: %d\r\n", i, i);
	}
	td_buf_puts(&b, "\r\n");
	assert_int_equal(td_sip_parse(&m, b.data, b.len), 0);
	assert_int_equal(m.nhdrs, TD_SIP_MAX_HEADERS);
	assert_int_equal(td_sip_hdr_count(&m, TD_SIP_H_OTHER), TD_SIP_MAX_HEADERS);
	b.len -= 2;
	td_buf_puts(&b, "Via: one-too-many\r\n\r\n");
	assert_int_equal(td_sip_parse(&m, b.data, b.len), TD_ETOOBIG);
	assert_int_equal(m.err_status, 513);
	td_buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_names),
		cmocka_unit_test(test_methods_and_reasons),
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_response_and_bare_lf),
		cmocka_unit_test(test_start_line_errors),
		cmocka_unit_test(test_header_line_errors),
		cmocka_unit_test(test_too_many_headers),
	};
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
