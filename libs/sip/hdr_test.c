/* SPDX-License-Identifier: MIT */
/* Lazy header parsers (sip/hdr.h), table-driven on header values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sip/hdr.h"
#include "util/buf.h"

static void
assert_str(td_sip_str s, const char *want)
{
	if (want == NULL) {
		if (s.p != NULL && s.n != 0) {
			fail_msg("got \"%.*s\", want nothing", (int)s.n, s.p);
		}
		return;
	}
	if (!td_sip_str_eq(s, want)) {
		fail_msg("got \"%.*s\", want \"%s\"", (int)s.n, s.p ? s.p : "", want);
	}
}

/* msg_with: a request whose headers are the given lines (each without CRLF). */
static void
msg_with(td_sip_msg *m, td_buf *b, const char *const *lines)
{
	td_buf_reset(b);
	td_buf_puts(b, "OPTIONS sip:a@example.com SIP/2.0\r\n");
	for (; *lines != NULL; lines++) {
		td_buf_printf(b, "%s\r\n", *lines);
	}
	td_buf_puts(b, "\r\n");
	assert_int_equal(td_sip_parse(m, b->data, b->len), 0);
}

static void
test_via(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		int rc;
		const char *transport, *host;
		uint16_t port;
		const char *branch, *received, *rport;
		bool has_rport;
	} cases[] = {
		{ "SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK776;rport", 0, "UDP", "10.0.0.1", 5060,
		    "z9hG4bK776", NULL, NULL, true },
		{ "SIP/2.0/TCP host;rport=5062;received=192.0.2.9", 0, "TCP", "host", 0, NULL,
		    "192.0.2.9", "5062", true },
		{ "SIP / 2.0 / TLS  host.example.com : 5061 ; branch = z9hG4bKx", 0, "TLS",
		    "host.example.com", 5061, "z9hG4bKx", NULL, NULL, false },
		{ "SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bK1", 0, "UDP", "2001:db8::1", 5060,
		    "z9hG4bK1", NULL, NULL, false },
		{ "SIP/2.0/UDP h;maddr=224.2.0.1;ttl=16;x", 0, "UDP", "h", 0, NULL, NULL, NULL,
		    false },
		{ "SIP/2.0/UDP h;BRANCH=z9hG4bKcase", 0, "UDP", "h", 0, "z9hG4bKcase", NULL, NULL,
		    false },
		{ "SIP/2.0/UDP", TD_EPROTO, NULL, NULL, 0, NULL, NULL, NULL, false },
		{ "SIP/2.0/UDPhost", TD_EPROTO, NULL, NULL, 0, NULL, NULL, NULL, false },
		{ "SIP/2.0 UDP host", TD_EPROTO, NULL, NULL, 0, NULL, NULL, NULL, false },
		{ "SIP/2.0/UDP host;", TD_EPROTO, NULL, NULL, 0, NULL, NULL, NULL, false },
		{ "SIP/2.0/UDP host;;a", TD_EPROTO, NULL, NULL, 0, NULL, NULL, NULL, false },
		{ "SIP/2.0/UDP host;branch", TD_EPROTO, NULL, NULL, 0, NULL, NULL, NULL, false },
		{ "SIP/2.0/UDP host;branch=a;branch=b", TD_EPROTO, NULL, NULL, 0, NULL, NULL, NULL,
		    false },
		{ "SIP/2.0/UDP host;rport=x", TD_EPROTO, NULL, NULL, 0, NULL, NULL, NULL, false },
		{ "SIP/2.0/UDP host junk", TD_EPROTO, NULL, NULL, 0, NULL, NULL, NULL, false },
		{ "SIP/2.0/UDP host,", TD_EPROTO, NULL, NULL, 0, NULL, NULL, NULL, false },
		{ "SIP/2.0/UDP 192.0.2.15;;,;,,", TD_EPROTO, NULL, NULL, 0, NULL, NULL, NULL,
		    false },
	};
	for (size_t i = 0; i < TD_ARRAY_LEN(cases); i++) {
		td_sip_via v;
		size_t pos = 0;
		int rc = td_sip_via_parse(td_sip_str_c(cases[i].in), &pos, &v);
		if (rc != cases[i].rc) {
			fail_msg("via \"%s\": %d", cases[i].in, rc);
		}
		if (rc != 0) {
			continue;
		}
		assert_str(v.proto_name, "SIP");
		assert_str(v.proto_version, "2.0");
		assert_str(v.transport, cases[i].transport);
		assert_str(v.host, cases[i].host);
		assert_int_equal(v.port, cases[i].port);
		assert_str(v.branch, cases[i].branch);
		assert_int_equal(v.has_branch, cases[i].branch != NULL);
		assert_str(v.received, cases[i].received);
		assert_str(v.rport, cases[i].rport);
		assert_int_equal(v.has_rport, cases[i].has_rport);
		assert_int_equal(pos, strlen(cases[i].in));
	}
	assert_true(td_sip_branch_is_rfc3261(td_sip_str_c("z9hG4bK1")));
	assert_false(td_sip_branch_is_rfc3261(td_sip_str_c("z9hG4bK")));
	assert_false(td_sip_branch_is_rfc3261(td_sip_str_c("z9hg4bk123")));
}

static void
test_via_list(void **state)
{
	(void)state;
	td_sip_msg m;
	td_buf b = TD_BUF_INIT;
	static const char *const lines[] = { "Via: SIP/2.0/UDP a;branch=z9hG4bK1 , SIP/2.0/TCP b",
		"X: y", "v: SIP/2.0/UDP c:5070", NULL };
	msg_with(&m, &b, lines);
	td_sip_iter it;
	td_sip_via v;
	const char *hosts[] = { "a", "b", "c" };
	td_sip_iter_init(&it, &m, TD_SIP_H_VIA);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(td_sip_via_next(&it, &v), 1);
		assert_str(v.host, hosts[i]);
	}
	assert_str(v.sent_by, "c:5070");
	assert_int_equal(td_sip_via_next(&it, &v), 0);
	assert_int_equal(td_sip_via_top(&m, &v), 0);
	assert_str(v.raw, "SIP/2.0/UDP a;branch=z9hG4bK1");
	assert_str(v.params, ";branch=z9hG4bK1");

	static const char *const empty[] = { "Via: SIP/2.0/UDP a", "Via:", NULL };
	msg_with(&m, &b, empty);
	td_sip_iter_init(&it, &m, TD_SIP_H_VIA);
	assert_int_equal(td_sip_via_next(&it, &v), 1);
	assert_int_equal(td_sip_via_next(&it, &v), TD_EPROTO);

	static const char *const none[] = { "X: y", NULL };
	msg_with(&m, &b, none);
	assert_int_equal(td_sip_via_top(&m, &v), TD_ENOTFOUND);
	td_buf_free(&b);
}

static void
test_addr(void **state)
{
	(void)state;
	enum { L = TD_SIP_ADDR_LIST, S = TD_SIP_ADDR_STAR };
	static const struct {
		const char *in;
		unsigned flags;
		int rc;
		const char *display, *uri, *tag, *params;
		bool angle;
	} cases[] = {
		{ "<sip:a@b>", 0, 0, NULL, "sip:a@b", NULL, NULL, true },
		{ "\"A B\" <sip:a@b>;tag=x", 0, 0, "\"A B\"", "sip:a@b", "x", ";tag=x", true },
		{ "A B <sip:a@b> ; tag = 12", 0, 0, "A B", "sip:a@b", "12", "; tag = 12", true },
		{ "caller<sip:a@b>", 0, 0, "caller", "sip:a@b", NULL, NULL, true },
		{ "sip:a@b;tag=1;x=\"q;,\"", 0, 0, NULL, "sip:a@b", "1", ";tag=1;x=\"q;,\"",
		    false },
		{ "sip:a@b ;tag=1", 0, 0, NULL, "sip:a@b", "1", ";tag=1", false },
		{ "<sip:a@b;lr>", 0, 0, NULL, "sip:a@b;lr", NULL, NULL, true },
		{ "isbn:2983792873", 0, 0, NULL, "isbn:2983792873", NULL, NULL, false },
		{ "<sip:a@b>, <sip:c@d>", L, 0, NULL, "sip:a@b", NULL, NULL, true },
		{ "*", S, 0, NULL, "", NULL, NULL, false },
		{ "\"Mr. J. User <sip:j.user@example.com>", 0, TD_EPROTO, NULL, NULL, NULL, NULL,
		    false },
		{ "< sip:a@b >", 0, TD_EPROTO, NULL, NULL, NULL, NULL, false },
		{ "<sip:a@b >", 0, TD_EPROTO, NULL, NULL, NULL, NULL, false },
		{ "<>", 0, TD_EPROTO, NULL, NULL, NULL, NULL, false },
		{ "<sip:a@b", 0, TD_EPROTO, NULL, NULL, NULL, NULL, false },
		{ "Bell, Alexander <sip:a@b>", 0, TD_EPROTO, NULL, NULL, NULL, NULL, false },
		{ "sip:a@b?Route=x", 0, TD_EPROTO, NULL, NULL, NULL, NULL, false },
		{ "<sip:a@b>;;;;", 0, TD_EPROTO, NULL, NULL, NULL, NULL, false },
		{ "<sip:a@b>;tag", 0, TD_EPROTO, NULL, NULL, NULL, NULL, false },
		{ "<sip:a@b>;tag=\"q\"", 0, TD_EPROTO, NULL, NULL, NULL, NULL, false },
		{ "<sip:a@b>;tag=1;tag=2", 0, TD_EPROTO, NULL, NULL, NULL, NULL, false },
		{ "<sip:a@b>, <sip:c@d>", 0, TD_EPROTO, NULL, NULL, NULL, NULL, false },
		{ "<sip:a@b>,", L, TD_EPROTO, NULL, NULL, NULL, NULL, false },
		{ "*", 0, TD_EPROTO, NULL, NULL, NULL, NULL, false },
		{ "* x", S, TD_EPROTO, NULL, NULL, NULL, NULL, false },
		{ "<sip:a@b>;q=2", 0, TD_EPROTO, NULL, NULL, NULL, NULL, false },
		{ "<sip:a@b>;expires=-1", 0, TD_EPROTO, NULL, NULL, NULL, NULL, false },
		{ "", 0, TD_EPROTO, NULL, NULL, NULL, NULL, false },
		{ "\"x\"", 0, TD_EPROTO, NULL, NULL, NULL, NULL, false },
	};
	for (size_t i = 0; i < TD_ARRAY_LEN(cases); i++) {
		td_sip_addr a;
		size_t pos = 0;
		int rc = td_sip_addr_parse(td_sip_str_c(cases[i].in), &pos, cases[i].flags, &a);
		if (rc != cases[i].rc) {
			fail_msg("addr \"%s\": %d", cases[i].in, rc);
		}
		if (rc != 0) {
			continue;
		}
		assert_str(a.display, cases[i].display);
		assert_str(a.uri, cases[i].uri);
		assert_str(a.tag, cases[i].tag);
		assert_int_equal(a.has_tag, cases[i].tag != NULL);
		assert_str(a.params, cases[i].params);
		assert_int_equal(a.angle, cases[i].angle);
	}
}

static void
test_contacts(void **state)
{
	(void)state;
	td_sip_msg m;
	td_buf b = TD_BUF_INIT;
	static const char *const lines[] = {
		"Contact: <sip:a@h1>;expires=60;q=0.5, \"B\" <sip:b@h2>;q=1",
		"m: sip:c@h3;expires=4294967296",
		NULL,
	};
	msg_with(&m, &b, lines);
	td_sip_iter it;
	td_sip_addr a;
	unsigned q;
	uint32_t e;
	td_sip_iter_init(&it, &m, TD_SIP_H_CONTACT);
	assert_int_equal(td_sip_contact_next(&it, &a), 1);
	assert_str(a.uri, "sip:a@h1");
	assert_int_equal(td_sip_delta_seconds(a.expires, &e), 0);
	assert_int_equal(e, 60);
	assert_int_equal(td_sip_qvalue(a.q, &q), 0);
	assert_int_equal(q, 500);
	assert_int_equal(td_sip_contact_next(&it, &a), 1);
	assert_str(a.display, "\"B\"");
	assert_int_equal(td_sip_qvalue(a.q, &q), 0);
	assert_int_equal(q, 1000);
	assert_int_equal(td_sip_contact_next(&it, &a), 1);
	assert_str(a.uri, "sip:c@h3");
	assert_int_equal(td_sip_delta_seconds(a.expires, &e), TD_ETOOBIG);
	assert_int_equal(td_sip_contact_next(&it, &a), 0);

	static const char *const qs[] = { "0", "0.", "0.5", "0.123", "1", "1.000" };
	for (size_t i = 0; i < TD_ARRAY_LEN(qs); i++) {
		assert_int_equal(td_sip_qvalue(td_sip_str_c(qs[i]), &q), 0);
	}
	static const char *const badq[] = { "", "2", "1.001", "0.1234", ".5", "0,5", "01" };
	for (size_t i = 0; i < TD_ARRAY_LEN(badq); i++) {
		assert_int_equal(td_sip_qvalue(td_sip_str_c(badq[i]), &q), TD_EPROTO);
	}
	td_buf_free(&b);
}

static void
test_scalars(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		int rc;
		uint32_t num;
		const char *method;
	} cseqs[] = {
		{ "1 INVITE", 0, 1, "INVITE" },
		{ "0009\r\n  INVITE", 0, 9, "INVITE" },
		{ "4294967295 ACK ", 0, UINT32_MAX, "ACK" },
		{ "4294967296 ACK", TD_ETOOBIG, 0, NULL },
		{ "1INVITE", TD_EPROTO, 0, NULL },
		{ "INVITE", TD_EPROTO, 0, NULL },
		{ "1", TD_EPROTO, 0, NULL },
		{ "1 INVITE x", TD_EPROTO, 0, NULL },
		{ "-1 INVITE", TD_EPROTO, 0, NULL },
	};
	for (size_t i = 0; i < TD_ARRAY_LEN(cseqs); i++) {
		td_sip_cseq c;
		int rc = td_sip_cseq_parse(td_sip_str_c(cseqs[i].in), &c);
		if (rc != cseqs[i].rc) {
			fail_msg("cseq \"%s\": %d", cseqs[i].in, rc);
		}
		if (rc == 0) {
			assert_int_equal(c.num, cseqs[i].num);
			assert_str(c.method, cseqs[i].method);
		}
	}

	td_sip_msg m;
	td_buf b = TD_BUF_INIT;
	td_sip_str id;
	uint32_t x;
	static const char *const ok[]
	    = { "Call-ID: abc@192.0.2.1", "Max-Forwards: 255", "Expires: 3600", NULL };
	msg_with(&m, &b, ok);
	assert_int_equal(td_sip_callid(&m, &id), 0);
	assert_str(id, "abc@192.0.2.1");
	assert_int_equal(td_sip_max_forwards(&m, &x), 0);
	assert_int_equal(x, 255);
	assert_int_equal(td_sip_u32_header(&m, TD_SIP_H_EXPIRES, &x), 0);
	assert_int_equal(x, 3600);
	assert_int_equal(td_sip_u32_header(&m, TD_SIP_H_MIN_EXPIRES, &x), TD_ENOTFOUND);
	assert_int_equal(td_sip_cseq_get(&m, &(td_sip_cseq) { 0 }), TD_ENOTFOUND);

	static const char *const bad[]
	    = { "Call-ID: a b", "Max-Forwards: 256", "Expires: 1h", NULL };
	msg_with(&m, &b, bad);
	assert_int_equal(td_sip_callid(&m, &id), TD_EPROTO);
	assert_int_equal(td_sip_max_forwards(&m, &x), TD_ETOOBIG);
	assert_int_equal(td_sip_u32_header(&m, TD_SIP_H_EXPIRES, &x), TD_EPROTO);

	static const char *const ids[] = { "@x", "x@", "x@y@z", "", NULL };
	for (size_t i = 0; ids[i] != NULL; i++) {
		char line[64];
		snprintf(line, sizeof(line), "i: %s", ids[i]);
		const char *one[] = { line, NULL };
		msg_with(&m, &b, one);
		assert_int_equal(td_sip_callid(&m, &id), TD_EPROTO);
	}

	static const char *const tags[] = { "From: <sip:a@b>;tag=f1", "To: sip:c@d", NULL };
	td_sip_str tag;
	msg_with(&m, &b, tags);
	assert_int_equal(td_sip_from_tag(&m, &tag), 0);
	assert_str(tag, "f1");
	assert_int_equal(td_sip_to_tag(&m, &tag), 0);
	assert_int_equal(tag.n, 0);
	td_buf_free(&b);
}

static void
test_tokens(void **state)
{
	(void)state;
	td_sip_msg m;
	td_buf b = TD_BUF_INIT;
	static const char *const lines[]
	    = { "Supported: 100rel, timer", "Supported:", "k: path", NULL };
	msg_with(&m, &b, lines);
	td_sip_iter it;
	td_sip_str t;
	const char *want[] = { "100rel", "timer", "path" };
	td_sip_iter_init(&it, &m, TD_SIP_H_SUPPORTED);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(td_sip_token_next(&it, &t), 1);
		assert_str(t, want[i]);
	}
	assert_int_equal(td_sip_token_next(&it, &t), 0);

	static const char *const bad[] = { "Require: a,,b", "Require: a b", "Require: a,", NULL };
	for (int i = 0; bad[i] != NULL; i++) {
		const char *one[] = { bad[i], NULL };
		msg_with(&m, &b, one);
		td_sip_iter_init(&it, &m, TD_SIP_H_REQUIRE);
		int rc;
		while ((rc = td_sip_token_next(&it, &t)) == 1) { }
		assert_int_equal(rc, TD_EPROTO);
	}
	td_buf_free(&b);
}

static void
test_unquote(void **state)
{
	(void)state;
	char out[16];
	size_t n;
	assert_int_equal(td_sip_unquote(td_sip_str_c("\"o\\\"q\""), out, sizeof(out), &n), 0);
	assert_int_equal(n, 3);
	assert_memory_equal(out, "o\"q", 3);
	assert_int_equal(td_sip_unquote(td_sip_str_c("\"o\\\"q\""), out, 2, &n), TD_ETOOBIG);
}

static void
test_param_get(void **state)
{
	(void)state;
	td_sip_str v;
	td_sip_str p = td_sip_str_c(";transport=tcp; lr ;maddr = 10.0.0.1;X=\"a;b\";empty=");
	assert_true(td_sip_param_get(p, "TRANSPORT", &v));
	assert_str(v, "tcp");
	assert_true(td_sip_param_get(p, "lr", &v));
	assert_null(v.p);
	assert_true(td_sip_param_get(p, "maddr", &v));
	assert_str(v, "10.0.0.1");
	assert_true(td_sip_param_get(p, "x", &v));
	assert_str(v, "\"a;b\"");
	assert_true(td_sip_param_get(p, "empty", &v));
	assert_int_equal(v.n, 0);
	assert_false(td_sip_param_get(p, "l", &v));
	assert_false(td_sip_param_get(p, "b\"", &v));
	assert_true(td_sip_param_get(td_sip_str_c("a=1;b"), "b", NULL));
	assert_false(td_sip_param_get(TD_SIP_STR_NULL, "b", NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_via),
		cmocka_unit_test(test_via_list),
		cmocka_unit_test(test_addr),
		cmocka_unit_test(test_contacts),
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_unquote),
		cmocka_unit_test(test_param_get),
	};
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
