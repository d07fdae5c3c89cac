/* SPDX-License-Identifier: MIT */
/* Validation (sip/check.h): one rule per row, on a request that is otherwise fine. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sip/check.h"
#include "sip/frame.h"
#include "util/buf.h"

enum { P = TD_SIP_ROLE_PROXY, U = TD_SIP_ROLE_UAS, R = TD_SIP_ROLE_REGISTRAR };

/*
 * The base request; a row replaces the line starting with its key (or adds
 * the line if no line has that key; "-Key" removes it).
 */
static const char *const base[] = {
	"OPTIONS sip:bob@example.com SIP/2.0",
	"Via: SIP/2.0/UDP pc.example.com;branch=z9hG4bK1",
	"Max-Forwards: 70",
	"From: <sip:alice@example.com>;tag=a1",
	"To: <sip:bob@example.com>",
	"Call-ID: c1@pc.example.com",
	"CSeq: 1 OPTIONS",
	NULL,
};

static void
build(td_buf *b, const char *const *edits)
{
	td_buf_reset(b);
	bool used[8] = { false };
	for (int i = 0; base[i] != NULL; i++) {
		const char *line = base[i];
		for (int e = 0; edits[e] != NULL; e++) {
			const char *ed = edits[e];
			bool del = ed[0] == '-';
			const char *key = del ? ed + 1 : ed;
			size_t kn = strcspn(key, ": ");
			if (i == 0 ? strncmp(ed, "START ", 6) == 0
			           : (strncmp(line, key, kn) == 0 && line[kn] == ':')) {
				line = del ? NULL : (i == 0 ? ed + 6 : ed);
				used[e] = true;
				break;
			}
		}
		if (line != NULL) {
			td_buf_printf(b, "%s\r\n", line);
		}
	}
	for (int e = 0; edits[e] != NULL; e++) {
		if (!used[e] && edits[e][0] != '-') {
			td_buf_printf(b, "%s\r\n", edits[e]);
		}
	}
	td_buf_puts(b, "\r\n");
}

static void
test_rules(void **state)
{
	(void)state;
	static const char *const tags[] = { "path", "outbound", NULL };
	static const struct {
		const char *edits[5];
		unsigned role;
		int status;
		const char *reason;
	} cases[] = {
		{ { NULL }, P, 0, NULL },
		{ { NULL }, U, 0, NULL },
		{ { NULL }, R, 0, NULL },
		{ { "START OPTIONS sip:bob@example.com SIP/3.0", NULL }, P, 505,
		    "Version Not Supported" },
		{ { "-Via", NULL }, P, 400, "Missing Via" },
		{ { "-To", NULL }, P, 400, "Missing To" },
		{ { "-Call-ID", NULL }, P, 400, "Missing Call-ID" },
		{ { "-CSeq", NULL }, P, 400, "Missing CSeq" },
		{ { "-Max-Forwards", NULL }, P, 0, NULL }, /* RFC 2543 peers */
		{ { "To: <sip:bob@example.com>", "t: <sip:bob@example.com>", NULL }, P, 400,
		    "Duplicate To" },
		{ { "Max-Forwards: 70", "Max-Forwards: 70", NULL }, P, 400,
		    "Duplicate Max-Forwards" },
		{ { "Expires: 1", "Expires: 1", NULL }, P, 400, "Duplicate Expires" },
		{ { "l: 0", "Content-Length: 0", NULL }, P, 400, "Duplicate Content-Length" },
		{ { "CSeq: 4294967296 OPTIONS", NULL }, P, 400, "Bad CSeq" },
		{ { "CSeq: 4294967295 OPTIONS", NULL }, P, 0, NULL },
		{ { "CSeq: 1 INVITE", NULL }, P, 400, "CSeq Method Mismatch" },
		{ { "CSeq: 1 options", NULL }, P, 400, "CSeq Method Mismatch" },
		{ { "Call-ID: a b", NULL }, P, 400, "Bad Call-ID" },
		{ { "From: sip:alice@example.com;tag", NULL }, P, 400, "Bad From" },
		{ { "From: <sip:alice@exa mple.com>", NULL }, P, 400, "Bad From" },
		{ { "To: <sip:bob@[::1>", NULL }, P, 400, "Bad To" },
		{ { "Via: SIP/2.0/UDP pc.example.com;branch=z9hG4bK1,", NULL }, P, 400, "Bad Via" },
		{ { "Via: SIP/2.0/UDP pc.example.com;branch=z9hG4bK1", "Via: junk", NULL }, P, 400,
		    "Bad Via" },
		{ { "Max-Forwards: 256", NULL }, P, 400, "Bad Max-Forwards" },
		{ { "Max-Forwards: -1", NULL }, P, 400, "Bad Max-Forwards" },
		{ { "Max-Forwards: 0", NULL }, P, 483, "Too Many Hops" },
		{ { "Max-Forwards: 0", NULL }, U, 0, NULL },
		{ { "Content-Length: x", NULL }, P, 400, "Bad Content-Length" },
		{ { "Contact: <sip:a@b>, <sip:c@d>;expires=10;q=0.7", NULL }, P, 0, NULL },
		{ { "Contact: sip:a@b?x=y", NULL }, P, 400, "Bad Contact" },
		{ { "Contact: <sip:a@b:0>", NULL }, P, 400, "Bad Contact" },
		{ { "Contact: *, <sip:a@b>", NULL }, P, 400, "Bad Contact" },
		{ { "Route: <sip:p1;lr>, <sip:p2;lr>", NULL }, P, 0, NULL },
		{ { "Route: <sip:p1;lr>,, <sip:p2;lr>", NULL }, P, 400, "Bad Route" },
		{ { "Route: *", NULL }, P, 400, "Bad Route" },
		{ { "Record-Route: <sip:p1;lr", NULL }, P, 400, "Bad Record-Route" },
		{ { "Expires: 10000000000000000000000", NULL }, P, 0,
		    NULL }, /* registrar's default */
		{ { "Expires: soon", NULL }, P, 400, "Bad Expires" },
		{ { "Min-Expires: -1", NULL }, P, 400, "Bad Expires" },
		{ { "Supported: a,,b", NULL }, P, 400, "Bad Option Tag List" },
		{ { "START OPTIONS <sip:bob@example.com> SIP/2.0", NULL }, P, 400,
		    "Bad Request-URI" },
		{ { "START OPTIONS sip:bob@example.com?Subject=x SIP/2.0", NULL }, P, 400,
		    "Bad Request-URI" },
		{ { "START OPTIONS mailto:bob@example.com SIP/2.0", NULL }, P, 416,
		    "Unsupported URI Scheme" },
		{ { "START OPTIONS sips:bob@example.com SIP/2.0", NULL }, P, 0, NULL },
		{ { "START OPTIONS tel:+15551234567 SIP/2.0", NULL }, P, 0, NULL },
		{ { "START FOO sip:bob@example.com SIP/2.0", "CSeq: 1 FOO", NULL }, P, 0, NULL },
		{ { "START FOO sip:bob@example.com SIP/2.0", "CSeq: 1 FOO", NULL }, U, 501,
		    "Not Implemented" },
		{ { "Require: path", NULL }, U, 0, NULL },
		{ { "Require: path, gruu", NULL }, U, 420, "Bad Extension" },
		{ { "Require: gruu", NULL }, P, 0, NULL },
		{ { "Proxy-Require: gruu", NULL }, P, 420, "Bad Extension" },
		{ { "Proxy-Require: gruu", NULL }, U, 0, NULL },
		{ { "START ACK sip:bob@example.com SIP/2.0", "CSeq: 1 ACK", "Require: gruu", NULL },
		    U, 0, NULL },
		{ { "START REGISTER sip:example.com SIP/2.0", "CSeq: 1 REGISTER",
		      "To: <tel:+15551234567>", NULL },
		    R, 400, "Bad To URI Scheme" },
		{ { "START REGISTER sip:example.com SIP/2.0", "CSeq: 1 REGISTER", "Contact: *",
		      NULL },
		    R, 400, "Bad Contact" },
		{ { "START REGISTER sip:example.com SIP/2.0", "CSeq: 1 REGISTER", "Contact: *",
		      "Expires: 0" },
		    R, 0, NULL },
		{ { "START REGISTER sip:example.com SIP/2.0", "CSeq: 1 REGISTER", "Contact: *",
		      NULL },
		    P, 0, NULL },
	};
	td_buf b;
	td_buf_init(&b, 0);
	for (size_t i = 0; i < TD_ARRAY_LEN(cases); i++) {
		td_sip_msg m;
		td_sip_verdict v;
		td_sip_check_opts o = { .role = cases[i].role, .supported = tags };
		build(&b, cases[i].edits);
		/* td_sip_parse, not the framing: check must stand on its own */
		if (td_sip_parse(&m, b.data, b.len) != 0) {
			fail_msg("case %zu does not parse (%s):\n%s", i, m.err_reason, b.data);
		}
		int st = td_sip_check_request(&m, &o, &v);
		if (st != cases[i].status || v.status != st
		    || (cases[i].reason == NULL
		            ? v.reason != NULL
		            : v.reason == NULL || strcmp(v.reason, cases[i].reason) != 0)) {
			fail_msg("case %zu: %d \"%s\", want %d \"%s\"\n%s", i, st,
			    v.reason ? v.reason : "", cases[i].status,
			    cases[i].reason ? cases[i].reason : "", b.data);
		}
	}
	td_buf_free(&b);
}

static void
test_methods_mask_and_unsupported_list(void **state)
{
	(void)state;
	td_buf b;
	td_sip_msg m;
	td_sip_verdict v;
	td_buf_init(&b, 0);
	static const char *const bye[]
	    = { "START BYE sip:bob@example.com SIP/2.0", "CSeq: 1 BYE", NULL };
	build(&b, bye);
	assert_int_equal(td_sip_frame_datagram(&m, b.data, b.len, 0), TD_SIP_FRAME_MSG);
	td_sip_check_opts o
	    = { .role = U, .methods = (1u << TD_SIP_REGISTER) | (1u << TD_SIP_OPTIONS) };
	assert_int_equal(td_sip_check_request(&m, &o, &v), 405);

	static const char *const req[] = { "Require: a, b", "Require: c,d,e,f,g,h,i,j,k", NULL };
	build(&b, req);
	assert_int_equal(td_sip_frame_datagram(&m, b.data, b.len, 0), TD_SIP_FRAME_MSG);
	o.methods = 0;
	assert_int_equal(td_sip_check_request(&m, &o, &v), 420);
	assert_int_equal(v.nunsupported, TD_SIP_MAX_UNSUPPORTED); /* capped */
	assert_true(td_sip_str_eq(v.unsupported[0], "a"));
	assert_true(td_sip_str_eq(v.unsupported[7], "h"));

	/* the Unsupported line: every tag that fits, whole */
	char line[64];
	td_sip_unsupported_line(&v, line, sizeof(line));
	assert_string_equal(line, "Unsupported: a, b, c, d, e, f, g, h\r\n");
	char small[24]; /* "Unsupported: a, b, c" + CRLF + NUL = 23: d no longer fits */
	td_sip_unsupported_line(&v, small, sizeof(small));
	assert_string_equal(small, "Unsupported: a, b, c\r\n");
	char tiny[15]; /* not even one tag: no line */
	td_sip_unsupported_line(&v, tiny, sizeof(tiny));
	assert_string_equal(tiny, "");
	/* a tag too long for the line is left out, the others stay */
	char longtag[600];
	memset(longtag, 'y', sizeof(longtag) - 1);
	longtag[sizeof(longtag) - 1] = '\0';
	v.nunsupported = 3;
	v.unsupported[1] = td_sip_str_c(longtag);
	td_sip_unsupported_line(&v, line, sizeof(line));
	assert_string_equal(line, "Unsupported: a, c\r\n");
	v.nunsupported = 0;
	td_sip_unsupported_line(&v, line, sizeof(line));
	assert_string_equal(line, "");
	td_buf_free(&b);
}

static void
test_responses(void **state)
{
	(void)state;
	static const struct {
		const char *msg;
		unsigned role;
		int rc;
		const char *reason;
	} cases[] = {
		{ "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\nFrom: "
		  "<sip:a@b>;tag=1\r\n"
		  "To: <sip:c@d>;tag=2\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\n\r\n",
		    P, 0, NULL },
		{ "SIP/3.0 200 OK\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\nFrom: "
		  "<sip:a@b>;tag=1\r\n"
		  "To: <sip:c@d>;tag=2\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\n\r\n",
		    P, TD_EPROTO, "Version Not Supported" },
		{ "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\nFrom: "
		  "<sip:a@b>;tag=1\r\n"
		  "To: <sip:c@d>;tag=2\r\nCSeq: 1 INVITE\r\n\r\n",
		    P, TD_EPROTO, "Missing Call-ID" },
		{ "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\nFrom: "
		  "<sip:a@b>;tag=1\r\n"
		  "To: <sip:c@d>;tag=2\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nCSeq: 2 INVITE\r\n\r\n",
		    P, TD_EPROTO, "Duplicate CSeq" },
		{ "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\n"
		  "Via: SIP/2.0/UDP 255.255.255.255\r\nFrom: <sip:a@b>;tag=1\r\n"
		  "To: <sip:c@d>;tag=2\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\n\r\n",
		    P, TD_EPROTO, "Broadcast Via" },
		{ "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\n"
		  "Via: SIP/2.0/UDP 255.255.255.255\r\nFrom: <sip:a@b>;tag=1\r\n"
		  "To: <sip:c@d>;tag=2\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\n\r\n",
		    U, 0, NULL },
	};
	for (size_t i = 0; i < TD_ARRAY_LEN(cases); i++) {
		td_sip_msg m;
		td_sip_verdict v;
		td_sip_check_opts o = { .role = cases[i].role };
		assert_int_equal(td_sip_frame_datagram(&m, cases[i].msg, strlen(cases[i].msg), 0),
		    TD_SIP_FRAME_MSG);
		int rc = td_sip_check_response(&m, &o, &v);
		assert_int_equal(rc, cases[i].rc);
		if (cases[i].reason != NULL) {
			assert_string_equal(v.reason, cases[i].reason);
		}
	}
	/* a request is not a response and vice versa */
	td_sip_msg m;
	td_sip_verdict v;
	td_sip_check_opts o = { .role = P };
	const char *r = cases[0].msg;
	assert_int_equal(td_sip_frame_datagram(&m, r, strlen(r), 0), TD_SIP_FRAME_MSG);
	assert_int_equal(td_sip_check_request(&m, &o, &v), 400);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_methods_mask_and_unsupported_list),
		cmocka_unit_test(test_responses),
	};
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
