/* SPDX-License-Identifier: MIT */
/* Builders (sip/build.h): responses, forwarding, CANCEL/ACK, requests, branches. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sip/build.h"
#include "sip/check.h"
#include "sip/frame.h"
#include "sip/hdr.h"
#include "sip/sip.h"

static const char reg[] = "REGISTER sip:example.com SIP/2.0\r\n"
                          "Via: SIP/2.0/UDP p1.example.com;branch=z9hG4bKp1,\r\n"
                          " SIP/2.0/UDP p2.example.com;branch=z9hG4bKp2\r\n"
                          "Max-Forwards: 69\r\n"
                          "v: SIP/2.0/UDP 10.0.0.9:5062;branch=z9hG4bKua;rport\r\n"
                          "To: Bob <sip:bob@example.com>\r\n"
                          "From: Bob <sip:bob@example.com>;tag=456248\r\n"
                          "Call-ID: 843817637684230@998sdasdh09\r\n"
                          "CSeq: 1826 REGISTER\r\n"
                          "Contact: <sip:bob@192.0.2.4>\r\n"
                          "Expires: 7200\r\n"
                          "Content-Length: 0\r\n"
                          "\r\n";

static const char inv[] = "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
                          "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n"
                          "Max-Forwards: 70\r\n"
                          "Route: <sip:proxy.example.com;lr>, <sip:edge.example.com;lr>\r\n"
                          "Route: <sip:last.example.com;lr>\r\n"
                          "Record-Route: <sip:rr1.example.com;lr>\r\n"
                          "To: Bob <sip:bob@biloxi.example.com>\r\n"
                          "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
                          "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
                          "CSeq: 314159 INVITE\r\n"
                          "X-Folded: one\r\n"
                          "   two\r\n"
                          "Contact: <sip:alice@pc33.atlanta.example.com>\r\n"
                          "Content-Type: application/sdp\r\n"
                          "Content-Length: 4\r\n"
                          "\r\n"
                          "v=0\n";

static void
parse(td_sip_msg *m, const char *buf, size_t len)
{
	int rc = td_sip_frame_datagram(m, buf, len, 0);
	if (rc != TD_SIP_FRAME_MSG) {
		fail_msg(
		    "frame %d (%s):\n%.*s", rc, m->err_reason ? m->err_reason : "", (int)len, buf);
	}
}

static void
assert_str(td_sip_str s, const char *want)
{
	if (!td_sip_str_eq(s, want)) {
		fail_msg("got \"%.*s\", want \"%s\"", (int)s.n, s.p ? s.p : "", want);
	}
}

/* count occurrences of needle in b */
static int
count(const td_buf *b, const char *needle)
{
	int n = 0;
	for (const char *p = b->data; (p = strstr(p, needle)) != NULL; p++) {
		n++;
	}
	return (n);
}

static void
test_response_register(void **state)
{
	(void)state;
	td_sip_msg req, rsp;
	td_buf b;
	parse(&req, reg, strlen(reg));
	td_buf_init(&b, 0);
	td_sip_resp_opts o = { .to_tag = td_sip_str_c("srv77"),
		.headers = "Contact: <sip:bob@192.0.2.4>;expires=7200\r\n" };
	assert_int_equal(td_sip_build_response(&b, &req, 200, &o), 0);
	parse(&rsp, b.data, b.len);
	assert_false(rsp.is_request);
	assert_int_equal(rsp.status, 200);
	assert_str(rsp.reason, "OK");

	/* every Via value, in order, lines kept as they were */
	static const char *const hosts[] = { "p1.example.com", "p2.example.com", "10.0.0.9" };
	td_sip_iter it;
	td_sip_via v;
	td_sip_iter_init(&it, &rsp, TD_SIP_H_VIA);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(td_sip_via_next(&it, &v), 1);
		assert_str(v.host, hosts[i]);
	}
	assert_int_equal(td_sip_via_next(&it, &v), 0);
	assert_int_equal(td_sip_hdr_count(&rsp, TD_SIP_H_VIA), 2);
	assert_str(td_sip_hdr_first(&rsp, TD_SIP_H_VIA)->value,
	    "SIP/2.0/UDP p1.example.com;branch=z9hG4bKp1,\r\n SIP/2.0/UDP "
	    "p2.example.com;branch=z9hG4bKp2");

	/* To gets our tag, once; the rest is copied */
	td_sip_str tag;
	assert_int_equal(td_sip_to_tag(&rsp, &tag), 0);
	assert_str(tag, "srv77");
	assert_int_equal(count(&b, "tag=srv77"), 1);
	assert_int_equal(td_sip_from_tag(&rsp, &tag), 0);
	assert_str(tag, "456248");
	td_sip_str id;
	assert_int_equal(td_sip_callid(&rsp, &id), 0);
	assert_str(id, "843817637684230@998sdasdh09");
	td_sip_cseq cs;
	assert_int_equal(td_sip_cseq_get(&rsp, &cs), 0);
	assert_int_equal(cs.num, 1826);
	assert_int_equal(cs.method_id, TD_SIP_REGISTER);
	assert_int_equal(td_sip_hdr_count(&rsp, TD_SIP_H_CONTACT), 1);
	assert_null(td_sip_hdr_first(&rsp, TD_SIP_H_EXPIRES)); /* not copied */
	td_sip_verdict vd;
	td_sip_check_opts none = { 0 };
	assert_int_equal(td_sip_check_response(&rsp, &none, &vd), 0);

	td_buf_free(&b);
}

static void
test_response_tags_and_via_fixups(void **state)
{
	(void)state;
	td_sip_msg req, rsp;
	td_buf b;
	const char *tagged = "BYE sip:a@b SIP/2.0\r\n"
	                     "Via: SIP/2.0/UDP 10.0.0.9;rport;branch=z9hG4bKz\r\n"
	                     "To: <sip:a@b>;tag=already\r\n"
	                     "From: <sip:c@d>;tag=f\r\n"
	                     "Call-ID: x\r\nCSeq: 2 BYE\r\n\r\n";
	parse(&req, tagged, strlen(tagged));
	td_buf_init(&b, 0);
	td_sip_resp_opts o = { .to_tag = td_sip_str_c("new"),
		.received = td_sip_str_c("192.0.2.77"),
		.rport = 5099,
		.reason = "Fine",
		.content_type = "text/plain",
		.body = "hi",
		.body_len = 2 };
	assert_int_equal(td_sip_build_response(&b, &req, 200, &o), 0);
	parse(&rsp, b.data, b.len);
	assert_int_equal(count(&b, "tag="), 2); /* From's and To's, no new one */
	assert_non_null(strstr(b.data, "To: <sip:a@b>;tag=already\r\n"));
	assert_non_null(strstr(b.data, "SIP/2.0 200 Fine\r\n"));
	assert_non_null(strstr(b.data,
	    "Via: SIP/2.0/UDP 10.0.0.9;rport=5099;branch=z9hG4bKz;received=192.0.2.77\r\n"));
	assert_str(rsp.body, "hi");
	assert_non_null(td_sip_hdr_first(&rsp, TD_SIP_H_CONTENT_TYPE));

	/* 100 Trying gets no tag */
	const char *untagged = "INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKq\r\n"
	                       "t: sip:a@b\r\nf: <sip:c@d>;tag=f\r\ni: x\r\nCSeq: 1 INVITE\r\n\r\n";
	parse(&req, untagged, strlen(untagged));
	td_buf_reset(&b);
	assert_int_equal(td_sip_build_response(&b, &req, 100, &o), 0);
	assert_int_equal(count(&b, "tag="), 1);
	td_buf_reset(&b);
	assert_int_equal(td_sip_build_response(&b, &req, 180, &o), 0);
	assert_non_null(strstr(b.data, "t: sip:a@b;tag=new\r\n"));

	/* a 400 for a request missing headers is still buildable */
	const char *insuf = "INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKq\r\n\r\n";
	parse(&req, insuf, strlen(insuf));
	td_buf_reset(&b);
	assert_int_equal(td_sip_build_response(&b, &req, 400, NULL), 0);
	assert_non_null(
	    strstr(b.data, "SIP/2.0 400 Bad Request\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKq\r\n"));

	/* refused: bad status, CR/LF in caller strings, a response as the request */
	size_t before = b.len;
	assert_int_equal(td_sip_build_response(&b, &req, 99, NULL), TD_EINVAL);
	assert_int_equal(td_sip_build_response(&b, &req, 700, NULL), TD_EINVAL);
	td_sip_resp_opts inj = { .reason = "OK\r\nX-Evil: 1" };
	assert_int_equal(td_sip_build_response(&b, &req, 200, &inj), TD_EINVAL);
	td_sip_resp_opts inj2 = { .headers = "X-A: 1\r\n\r\nbody" };
	assert_int_equal(td_sip_build_response(&b, &req, 200, &inj2), TD_EINVAL);
	td_sip_resp_opts inj3 = { .headers = "X-A: 1" };
	assert_int_equal(td_sip_build_response(&b, &req, 200, &inj3), TD_EINVAL);
	td_sip_resp_opts inj4 = { .to_tag = td_sip_str_c("a\nb") };
	assert_int_equal(td_sip_build_response(&b, &req, 200, &inj4), TD_EINVAL);
	assert_int_equal(td_sip_build_response(&b, &rsp, 200, NULL), TD_EINVAL);
	assert_int_equal(b.len, before);
	td_buf_free(&b);
}

static void
test_forward(void **state)
{
	(void)state;
	td_sip_msg req, out;
	td_buf b;
	parse(&req, inv, strlen(inv));
	td_buf_init(&b, 0);
	td_sip_fwd_opts o = { .ruri = td_sip_str_c("sip:bob@192.0.2.4:5060"),
		.via_transport = "UDP",
		.via_sent_by = td_sip_str_c("10.1.1.1:5060"),
		.branch = td_sip_str_c("z9hG4bKours1"),
		.via_rport = true,
		.record_route = td_sip_str_c("sip:10.1.1.1;lr"),
		.pop_route = true,
		.received = td_sip_str_c("198.51.100.7") };
	assert_int_equal(td_sip_build_forward(&b, &req, &o), 0);
	parse(&out, b.data, b.len);

	assert_str(out.method, "INVITE");
	assert_str(out.ruri, "sip:bob@192.0.2.4:5060");
	uint32_t mf;
	assert_int_equal(td_sip_max_forwards(&out, &mf), 0);
	assert_int_equal(mf, 69);

	td_sip_iter it;
	td_sip_via v;
	td_sip_iter_init(&it, &out, TD_SIP_H_VIA);
	assert_int_equal(td_sip_via_next(&it, &v), 1);
	assert_str(v.sent_by, "10.1.1.1:5060");
	assert_str(v.branch, "z9hG4bKours1");
	assert_true(v.has_rport);
	assert_int_equal(td_sip_via_next(&it, &v), 1);
	assert_str(v.branch, "z9hG4bK776asdhds");
	assert_str(v.received, "198.51.100.7");
	assert_int_equal(td_sip_via_next(&it, &v), 0);
	/* our Via right above the request's own: the Via lines stay one block */
	const td_sip_hdr *v0 = td_sip_hdr_first(&out, TD_SIP_H_VIA);
	assert_int_equal(v0[1].type, TD_SIP_H_VIA);

	/* our Record-Route above the existing one */
	td_sip_addr a;
	td_sip_iter_init(&it, &out, TD_SIP_H_RECORD_ROUTE);
	assert_int_equal(td_sip_addr_next(&it, &a), 1);
	assert_str(a.uri, "sip:10.1.1.1;lr");
	assert_int_equal(td_sip_addr_next(&it, &a), 1);
	assert_str(a.uri, "sip:rr1.example.com;lr");

	/* top Route value popped, the rest of that line and the next line kept */
	const char *routes[] = { "sip:edge.example.com;lr", "sip:last.example.com;lr" };
	td_sip_iter_init(&it, &out, TD_SIP_H_ROUTE);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(td_sip_addr_next(&it, &a), 1);
		assert_str(a.uri, routes[i]);
	}
	assert_int_equal(td_sip_addr_next(&it, &a), 0);

	/* everything else byte for byte, body intact; it validates as a request */
	assert_non_null(strstr(b.data, "X-Folded: one\r\n   two\r\n"));
	assert_non_null(strstr(b.data,
	    "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
	    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
	    "CSeq: 314159 INVITE\r\n"));
	assert_str(out.body, "v=0\n");
	td_sip_verdict vd;
	td_sip_check_opts proxy = { .role = TD_SIP_ROLE_PROXY };
	assert_int_equal(td_sip_check_request(&out, &proxy, &vd), 0);

	/* a 180 to the forwarded INVITE: both Vias in order, our To tag once */
	td_sip_msg r180;
	td_buf r;
	td_buf_init(&r, 0);
	td_sip_resp_opts ro = { .to_tag = td_sip_str_c("t180") };
	assert_int_equal(td_sip_build_response(&r, &out, 180, &ro), 0);
	parse(&r180, r.data, r.len);
	td_sip_iter_init(&it, &r180, TD_SIP_H_VIA);
	assert_int_equal(td_sip_via_next(&it, &v), 1);
	assert_str(v.branch, "z9hG4bKours1");
	assert_int_equal(td_sip_via_next(&it, &v), 1);
	assert_str(v.branch, "z9hG4bK776asdhds");
	assert_int_equal(td_sip_via_next(&it, &v), 0);
	assert_int_equal(count(&r, "tag=t180"), 1);
	assert_str(r180.reason, "Ringing");
	td_buf_free(&r);

	/* popping the last Route line entirely */
	td_sip_msg hop2;
	td_buf c;
	td_buf_init(&c, 0);
	assert_int_equal(td_sip_build_forward(&c, &out, &o), 0);
	parse(&hop2, c.data, c.len);
	td_buf_reset(&b);
	assert_int_equal(td_sip_build_forward(&b, &hop2, &o), 0);
	parse(&out, b.data, b.len);
	assert_int_equal(td_sip_hdr_count(&out, TD_SIP_H_ROUTE), 0);
	assert_int_equal(td_sip_max_forwards(&out, &mf), 0);
	assert_int_equal(mf, 67);
	assert_int_equal(td_sip_hdr_count(&out, TD_SIP_H_VIA), 4);
	td_buf_free(&c);
	td_buf_free(&b);
}

static void
test_forward_edges(void **state)
{
	(void)state;
	td_sip_msg req, out;
	td_buf b;
	td_buf_init(&b, 0);
	td_sip_fwd_opts o = { .via_transport = "TCP",
		.via_sent_by = td_sip_str_c("[2001:db8::1]:5060"),
		.branch = td_sip_str_c("z9hG4bKe") };

	/* RFC 2543 style over UDP: no Max-Forwards (70 added), no Content-Length (added) */
	const char *old = "INVITE sip:b@c SIP/2.0\nVia: SIP/2.0/UDP h\nFrom: <sip:a@b>\n"
	                  "To: sip:b@c\nCall-ID: 1@h\nCSeq: 56 INVITE\n\nbody to the end";
	parse(&req, old, strlen(old));
	assert_int_equal(td_sip_build_forward(&b, &req, &o), 0);
	parse(&out, b.data, b.len);
	uint32_t x;
	assert_int_equal(td_sip_max_forwards(&out, &x), 0);
	assert_int_equal(x, 70);
	assert_int_equal(td_sip_u32_header(&out, TD_SIP_H_CONTENT_LENGTH, &x), 0);
	assert_int_equal(x, 15);
	assert_str(out.body, "body to the end");
	assert_null(strstr(b.data, "\n\n")); /* bare LFs became CRLF */
	assert_str(out.ruri, "sip:b@c"); /* kept */

	/* Max-Forwards 0 (or malformed): refused, buffer untouched */
	const char *zero = "OPTIONS sip:a@b SIP/2.0\r\nMax-Forwards: 0\r\n\r\n";
	parse(&req, zero, strlen(zero));
	size_t before = b.len;
	assert_int_equal(td_sip_build_forward(&b, &req, &o), TD_EINVAL);
	assert_int_equal(b.len, before);
	const char *junk = "OPTIONS sip:a@b SIP/2.0\r\nMax-Forwards: x\r\n\r\n";
	parse(&req, junk, strlen(junk));
	assert_int_equal(td_sip_build_forward(&b, &req, &o), TD_EINVAL);
	/* pop_route without a Route, or a bad option */
	const char *plain = "OPTIONS sip:a@b SIP/2.0\r\nMax-Forwards: 5\r\n\r\n";
	parse(&req, plain, strlen(plain));
	td_sip_fwd_opts pop = o;
	pop.pop_route = true;
	assert_int_equal(td_sip_build_forward(&b, &req, &pop), TD_EINVAL);
	td_sip_fwd_opts badr = o;
	badr.ruri = td_sip_str_c("sip:a b");
	assert_int_equal(td_sip_build_forward(&b, &req, &badr), TD_EINVAL);
	td_sip_fwd_opts nob = o;
	nob.branch = TD_SIP_STR_NULL;
	assert_int_equal(td_sip_build_forward(&b, &req, &nob), TD_EINVAL);
	assert_int_equal(b.len, before);

	/* the sticky buffer: a cap too small gives TD_ENOMEM */
	td_buf small;
	td_buf_init(&small, 40);
	assert_int_equal(td_sip_build_forward(&small, &req, &o), TD_ENOMEM);
	assert_true(td_buf_failed(&small));
	td_buf_free(&small);
	td_buf_free(&b);
}

static void
test_cancel_and_ack(void **state)
{
	(void)state;
	td_sip_msg req, sent, cancel, ack, rsp;
	td_buf b, c;
	parse(&req, inv, strlen(inv));
	td_buf_init(&b, 0);
	td_buf_init(&c, 0);
	td_sip_fwd_opts o = { .via_transport = "UDP",
		.via_sent_by = td_sip_str_c("10.1.1.1"),
		.branch = td_sip_str_c("z9hG4bKcanc") };
	assert_int_equal(td_sip_build_forward(&b, &req, &o), 0);
	parse(&sent, b.data, b.len);

	assert_int_equal(td_sip_build_cancel(&c, &sent), 0);
	parse(&cancel, c.data, c.len);
	assert_str(cancel.method, "CANCEL");
	assert_true(td_sip_str_same(cancel.ruri, sent.ruri));
	assert_int_equal(td_sip_hdr_count(&cancel, TD_SIP_H_VIA), 1);
	td_sip_via v1, v2;
	assert_int_equal(td_sip_via_top(&sent, &v1), 0);
	assert_int_equal(td_sip_via_top(&cancel, &v2), 0);
	assert_true(td_sip_str_same(v1.branch, v2.branch));
	assert_true(td_sip_str_same(v1.sent_by, v2.sent_by));
	td_sip_cseq a, z;
	assert_int_equal(td_sip_cseq_get(&sent, &a), 0);
	assert_int_equal(td_sip_cseq_get(&cancel, &z), 0);
	assert_int_equal(a.num, z.num);
	assert_int_equal(z.method_id, TD_SIP_CANCEL);
	assert_int_equal(td_sip_hdr_count(&cancel, TD_SIP_H_ROUTE), 2);
	assert_int_equal(cancel.body.n, 0);
	td_sip_verdict vd;
	td_sip_check_opts uas = { .role = TD_SIP_ROLE_UAS };
	assert_int_equal(td_sip_check_request(&cancel, &uas, &vd), 0);

	/* ACK for a 486 carries the response's To tag */
	td_buf r;
	td_buf_init(&r, 0);
	td_sip_resp_opts ro = { .to_tag = td_sip_str_c("busy9") };
	assert_int_equal(td_sip_build_response(&r, &sent, 486, &ro), 0);
	parse(&rsp, r.data, r.len);
	td_buf_reset(&c);
	assert_int_equal(td_sip_build_ack(&c, &sent, &rsp), 0);
	parse(&ack, c.data, c.len);
	assert_str(ack.method, "ACK");
	td_sip_str tag;
	assert_int_equal(td_sip_to_tag(&ack, &tag), 0);
	assert_str(tag, "busy9");
	assert_int_equal(td_sip_cseq_get(&ack, &z), 0);
	assert_int_equal(z.num, a.num);
	assert_int_equal(z.method_id, TD_SIP_ACK);
	assert_int_equal(td_sip_via_top(&ack, &v2), 0);
	assert_true(td_sip_str_same(v1.branch, v2.branch));
	assert_int_equal(td_sip_check_request(&ack, &uas, &vd), 0);

	/* no ACK for a 2xx here, no CANCEL for a non-INVITE */
	td_buf_reset(&r);
	assert_int_equal(td_sip_build_response(&r, &sent, 200, &ro), 0);
	parse(&rsp, r.data, r.len);
	assert_int_equal(td_sip_build_ack(&c, &sent, &rsp), TD_EINVAL);
	parse(&req, reg, strlen(reg));
	assert_int_equal(td_sip_build_cancel(&c, &req), TD_EINVAL);
	td_buf_free(&r);
	td_buf_free(&c);
	td_buf_free(&b);
}

static void
test_request_builder(void **state)
{
	(void)state;
	td_buf b;
	td_sip_msg m;
	td_buf_init(&b, 0);
	char br[TD_SIP_BRANCH_MAX];
	uint8_t rnd[8] = { 0xde, 0xad, 0xbe, 0xef, 0x00, 0x01, 0x02, 0xff };
	assert_int_equal(td_sip_branch(br, sizeof(br), rnd, sizeof(rnd)), 23);
	assert_string_equal(br, "z9hG4bKdeadbeef000102ff");
	td_sip_req_opts o = { .method = "OPTIONS",
		.ruri = td_sip_str_c("sip:10.0.0.5:5080"),
		.via_transport = "UDP",
		.via_sent_by = td_sip_str_c("10.0.0.1:5060"),
		.branch = td_sip_str_c(br),
		.via_rport = true,
		.from = td_sip_str_c("<sip:probe@10.0.0.1>"),
		.from_tag = td_sip_str_c("pr1"),
		.to = td_sip_str_c("<sip:10.0.0.5:5080>"),
		.call_id = td_sip_str_c("probe-1@10.0.0.1"),
		.cseq = 7 };
	assert_int_equal(td_sip_build_request(&b, &o), 0);
	parse(&m, b.data, b.len);
	td_sip_verdict vd;
	td_sip_check_opts uas = { .role = TD_SIP_ROLE_UAS };
	assert_int_equal(td_sip_check_request(&m, &uas, &vd), 0);
	assert_int_equal(m.method_id, TD_SIP_OPTIONS);
	uint32_t mf;
	assert_int_equal(td_sip_max_forwards(&m, &mf), 0);
	assert_int_equal(mf, 70);
	td_sip_cseq cs;
	assert_int_equal(td_sip_cseq_get(&m, &cs), 0);
	assert_int_equal(cs.num, 7);
	td_sip_str tag;
	assert_int_equal(td_sip_from_tag(&m, &tag), 0);
	assert_str(tag, "pr1");
	td_sip_via v;
	assert_int_equal(td_sip_via_top(&m, &v), 0);
	assert_str(v.branch, br);
	assert_int_equal(m.body.n, 0);

	size_t before = b.len;
	td_sip_req_opts bad = o;
	bad.from = td_sip_str_c("<sip:a@b>\r\nX-Evil: 1");
	assert_int_equal(td_sip_build_request(&b, &bad), TD_EINVAL);
	bad = o;
	bad.method = "OPT IONS";
	assert_int_equal(td_sip_build_request(&b, &bad), TD_EINVAL);
	bad = o;
	bad.call_id = TD_SIP_STR_NULL;
	assert_int_equal(td_sip_build_request(&b, &bad), TD_EINVAL);
	assert_int_equal(b.len, before);

	assert_int_equal(td_sip_branch(br, sizeof(br), rnd, 3), TD_EINVAL);
	assert_int_equal(td_sip_branch(br, 10, rnd, sizeof(rnd)), TD_ETOOBIG);
	td_buf_free(&b);
}

static void
test_branch_stateless(void **state)
{
	(void)state;
	static const uint8_t key[16] = "0123456789abcdef";
	static const uint8_t key2[16] = "fedcba9876543210";
	td_sip_msg m, c;
	td_buf b;
	char x[TD_SIP_BRANCH_MAX], y[TD_SIP_BRANCH_MAX];
	parse(&m, inv, strlen(inv));
	assert_int_equal(td_sip_branch_stateless(x, sizeof(x), &m, key, sizeof(key)), 39);
	assert_int_equal(strncmp(x, "z9hG4bK", 7), 0);
	assert_int_equal(td_sip_branch_stateless(y, sizeof(y), &m, key, sizeof(key)), 39);
	assert_string_equal(x, y);
	assert_int_equal(td_sip_branch_stateless(y, sizeof(y), &m, key2, sizeof(key2)), 39);
	assert_string_not_equal(x, y);

	/* the CANCEL of a request gets the same branch as the request */
	td_buf_init(&b, 0);
	assert_int_equal(td_sip_build_cancel(&b, &m), 0);
	parse(&c, b.data, b.len);
	assert_int_equal(td_sip_branch_stateless(y, sizeof(y), &c, key, sizeof(key)), 39);
	assert_string_equal(x, y);

	/* RFC 2543 requests (no cookie): hashed over the transaction's fields */
	const char *old1 = "INVITE sip:b@c SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nCall-ID: 1@h\r\n"
	                   "CSeq: 1 INVITE\r\n\r\n";
	const char *old2 = "INVITE sip:b@c SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nCall-ID: 2@h\r\n"
	                   "CSeq: 1 INVITE\r\n\r\n";
	parse(&m, old1, strlen(old1));
	assert_int_equal(td_sip_branch_stateless(x, sizeof(x), &m, key, sizeof(key)), 39);
	parse(&m, old2, strlen(old2));
	assert_int_equal(td_sip_branch_stateless(y, sizeof(y), &m, key, sizeof(key)), 39);
	assert_string_not_equal(x, y);
	assert_int_equal(td_sip_branch_stateless(y, sizeof(y), &m, key, 8), TD_EINVAL);
	td_buf_free(&b);
}

static void
test_challenges_aggregated(void **state)
{
	(void)state;
	static const char r401[] = "SIP/2.0 401 Unauthorized\r\n"
	                           "Via: SIP/2.0/UDP 10.0.0.9:5062;branch=z9hG4bKua\r\n"
	                           "To: <sip:bob@example.com>;tag=b1\r\n"
	                           "From: <sip:alice@example.com>;tag=a1\r\n"
	                           "Call-ID: c1\r\n"
	                           "CSeq: 1 INVITE\r\n"
	                           "WWW-Authenticate: Digest realm=\"one\", nonce=\"n1\"\r\n"
	                           "Proxy-Authenticate: Digest realm=\"two\",\r\n"
	                           " nonce=\"n2\"\r\n"
	                           "Content-Length: 0\r\n"
	                           "\r\n";
	td_sip_msg m;
	parse(&m, r401, sizeof(r401) - 1);
	td_buf h = TD_BUF_INIT;
	assert_int_equal(td_sip_put_challenges(&h, &m), 2);
	assert_string_equal(h.data, "WWW-Authenticate: Digest realm=\"one\", nonce=\"n1\"\r\n"
	                            "Proxy-Authenticate: Digest realm=\"two\",\r\n"
	                            " nonce=\"n2\"\r\n");

	/* added at the end of another response's header section, its body kept */
	static const char r407[] = "SIP/2.0 407 Proxy Authentication Required\r\n"
	                           "Via: SIP/2.0/UDP 10.0.0.9:5062;branch=z9hG4bKua\r\n"
	                           "Proxy-Authenticate: Digest realm=\"three\", nonce=\"n3\"\r\n"
	                           "Content-Type: text/plain\r\n"
	                           "Content-Length: 3\r\n"
	                           "\r\n"
	                           "abc";
	td_buf b = TD_BUF_INIT;
	assert_int_equal(td_sip_build_with_headers(&b, r407, sizeof(r407) - 1, h.data, h.len), 0);
	td_sip_msg out;
	parse(&out, b.data, b.len);
	assert_int_equal(out.status, 407);
	assert_int_equal(out.count[TD_SIP_H_PROXY_AUTHENTICATE], 2);
	assert_int_equal(out.count[TD_SIP_H_WWW_AUTHENTICATE], 1);
	assert_int_equal(out.body.n, 3);
	assert_memory_equal(out.body.p, "abc", 3);
	assert_non_null(strstr(b.data, "Content-Length: 3\r\nWWW-Authenticate: Digest realm=\"one\""));

	/* bare LF line ends: inserted before the LF that ends the headers */
	static const char lf[] = "SIP/2.0 401 X\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\nContent-Length: 0\n\n";
	td_buf_reset(&b);
	assert_int_equal(td_sip_build_with_headers(&b, lf, sizeof(lf) - 1, "A: 1\r\n", 6), 0);
	assert_string_equal(b.data, "SIP/2.0 401 X\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\n"
	                            "Content-Length: 0\nA: 1\r\n\n");

	/* not a message: nothing appended */
	td_buf_reset(&b);
	td_buf_append(&b, "keep", 4);
	assert_int_equal(td_sip_build_with_headers(&b, "garbage", 7, "A: 1\r\n", 6), TD_EINVAL);
	assert_int_equal(b.len, 4);
	td_buf_free(&b);
	td_buf_free(&h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_response_register),
		cmocka_unit_test(test_response_tags_and_via_fixups),
		cmocka_unit_test(test_forward),
		cmocka_unit_test(test_forward_edges),
		cmocka_unit_test(test_cancel_and_ack),
		cmocka_unit_test(test_request_builder),
		cmocka_unit_test(test_branch_stateless),
		cmocka_unit_test(test_challenges_aggregated),
	};
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
