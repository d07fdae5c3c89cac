/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for libs/sip: datagram framing and parsing, every lazy
 * header parser, URIs, validation in every role, stream framing (whole,
 * pipelined and split at a point the input picks), and the builders, whose
 * output must parse back and pass validation when the input did, and must
 * never let input bytes inject a header.
 *
 *   make VARIANT=fuzz build/fuzz/fuzz/fuzz_sip_parse
 *   build/fuzz/fuzz/fuzz_sip_parse -max_len=16384 fuzz/corpus/sip_parse
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sip/build.h"
#include "sip/check.h"
#include "sip/frame.h"
#include "sip/hdr.h"
#include "digest/digest.h"
#include "sip/sip.h"
#include "sip/uri.h"
#include "util/buf.h"

#define MAX_INPUT 16384

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* A volatile sink so the optimiser keeps every parse. */
static volatile size_t sink;

static void
uri(td_sip_str s)
{
	td_sip_uri u;
	char out[512];
	size_t n;
	if (td_sip_uri_parse(s, &u) == 0) {
		td_sip_str v;
		sink += u.host.n + u.port + (td_sip_uri_param(&u, "transport", &v) ? v.n : 0);
		if (u.user.n <= sizeof(out)
		    && td_sip_unescape(u.user.p, u.user.n, out, sizeof(out), &n) == 0) {
			CHECK(n <= u.user.n);
		}
	}
}

static void
addr_list(const td_sip_msg *m, td_sip_hdr_type t)
{
	td_sip_iter it;
	td_sip_addr a;
	td_sip_iter_init(&it, m, t);
	int rc, guard = 0;
	while (
	    (rc = t == TD_SIP_H_CONTACT ? td_sip_contact_next(&it, &a) : td_sip_addr_next(&it, &a))
	    == 1) {
		CHECK(++guard <= MAX_INPUT);
		uri(a.uri);
		unsigned q;
		uint32_t x;
		if (a.has_q) {
			CHECK(td_sip_qvalue(a.q, &q) == 0 && q <= 1000);
		}
		if (a.has_expires) {
			CHECK(td_sip_delta_seconds(a.expires, &x) != TD_EPROTO);
		}
		sink += td_sip_param_get(a.params, "tag", NULL);
	}
}

static void
headers(const td_sip_msg *m)
{
	td_sip_iter it;
	td_sip_via v;
	td_sip_str tok;
	td_sip_addr a;
	td_sip_cseq cs;
	td_digest_creds au;
	uint32_t x;
	int rc, guard = 0;

	td_sip_iter_init(&it, m, TD_SIP_H_VIA);
	while ((rc = td_sip_via_next(&it, &v)) == 1) {
		CHECK(++guard <= MAX_INPUT);
		CHECK(v.raw.p >= m->buf && v.raw.p + v.raw.n <= m->buf + m->len);
		sink += v.port + td_sip_branch_is_rfc3261(v.branch);
	}
	addr_list(m, TD_SIP_H_CONTACT);
	addr_list(m, TD_SIP_H_ROUTE);
	addr_list(m, TD_SIP_H_RECORD_ROUTE);
	static const td_sip_hdr_type lists[] = { TD_SIP_H_REQUIRE, TD_SIP_H_PROXY_REQUIRE,
		TD_SIP_H_SUPPORTED, TD_SIP_H_ALLOW, TD_SIP_H_UNSUPPORTED };
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		td_sip_iter_init(&it, m, lists[i]);
		guard = 0;
		while (td_sip_token_next(&it, &tok) == 1) {
			CHECK(++guard <= MAX_INPUT);
		}
	}
	if (td_sip_from(m, &a) == 0) {
		uri(a.uri);
	}
	if (td_sip_to(m, &a) == 0) {
		uri(a.uri);
	}
	sink += td_sip_cseq_get(m, &cs) + td_sip_callid(m, &tok) + td_sip_max_forwards(m, &x)
	    + td_sip_u32_header(m, TD_SIP_H_EXPIRES, &x) + td_sip_from_tag(m, &tok)
	    + td_sip_to_tag(m, &tok);
	for (const td_sip_hdr *h = td_sip_hdr_first(m, TD_SIP_H_AUTHORIZATION); h != NULL;
	     h = td_sip_hdr_next(m, h)) {
		td_digest_perr perr;
		if (td_digest_parse(h->value.p, h->value.n, &au, &perr) == 0) {
			CHECK(au.username.len <= h->value.n);
		}
	}
}

/* b must parse as one datagram and pass td_sip_check_* with no role. */
static void
reparse(const td_buf *b, td_sip_msg *out)
{
	static const td_sip_check_opts none = { 0 };
	td_sip_verdict vd;
	CHECK(!td_buf_failed(b));
	CHECK(td_sip_frame_datagram(out, b->data, b->len, 0) == TD_SIP_FRAME_MSG);
	if (out->is_request) {
		CHECK(td_sip_check_request(out, &none, &vd) == 0);
	} else {
		CHECK(td_sip_check_response(out, &none, &vd) == 0);
	}
}

static unsigned
count_vias(const td_sip_msg *m)
{
	td_sip_iter it;
	td_sip_via v;
	unsigned n = 0;
	td_sip_iter_init(&it, m, TD_SIP_H_VIA);
	while (td_sip_via_next(&it, &v) == 1) {
		n++;
	}
	return (n);
}

static void
build(const td_sip_msg *m)
{
	static const td_sip_check_opts none = { 0 };
	static td_sip_msg out, out2;
	td_sip_verdict vd;
	td_buf b;
	bool valid = m->is_request && td_sip_check_request(m, &none, &vd) == 0;
	td_buf_init(&b, 0);

	if (m->is_request) {
		/* a response can always be built; if the request was valid it must be too */
		td_sip_resp_opts ro = { .to_tag = td_sip_str_c("fz1"),
			.received = td_sip_str_c("192.0.2.1"),
			.rport = 5060 };
		CHECK(td_sip_build_response(&b, m, 400, &ro) == 0);
		if (valid) {
			reparse(&b, &out);
			CHECK(count_vias(&out) == count_vias(m));
			td_sip_str tag;
			CHECK(td_sip_to_tag(&out, &tag) == 0 && tag.n > 0);
		}
		td_buf_reset(&b);
	}
	if (!valid || m->nhdrs + 4 > TD_SIP_MAX_HEADERS) {
		td_buf_free(&b);
		return;
	}
	uint32_t mf = 70;
	int mrc = td_sip_max_forwards(m, &mf);
	td_sip_fwd_opts fo = { .via_transport = "TCP",
		.via_sent_by = td_sip_str_c("[2001:db8::1]:5060"),
		.branch = td_sip_str_c("z9hG4bKfuzz"),
		.via_rport = true,
		.record_route = td_sip_str_c("sip:10.0.0.1;lr"),
		.pop_route = td_sip_hdr_first(m, TD_SIP_H_ROUTE) != NULL,
		.received = td_sip_str_c("192.0.2.1"),
		.rport = 5060 };
	int rc = td_sip_build_forward(&b, m, &fo);
	if (mrc == 0 && mf == 0) {
		CHECK(rc == TD_EINVAL && b.len == 0);
	} else {
		CHECK(rc == 0);
		reparse(&b, &out);
		CHECK(count_vias(&out) == count_vias(m) + 1);
		CHECK(td_sip_str_same(out.body, m->body));
		uint32_t mf2;
		CHECK(td_sip_max_forwards(&out, &mf2) == 0 && mf2 == (mrc == 0 ? mf - 1 : 70));
		td_sip_via top;
		CHECK(td_sip_via_top(&out, &top) == 0 && td_sip_str_eq(top.branch, "z9hG4bKfuzz"));
		if (m->method_id == TD_SIP_INVITE) {
			/* CANCEL for the INVITE as we sent it */
			td_buf c;
			td_buf_init(&c, 0);
			CHECK(td_sip_build_cancel(&c, &out) == 0);
			reparse(&c, &out2);
			td_sip_cseq a, z;
			td_sip_via cv;
			CHECK(td_sip_cseq_get(&out, &a) == 0 && td_sip_cseq_get(&out2, &z) == 0);
			CHECK(a.num == z.num && z.method_id == TD_SIP_CANCEL);
			CHECK(td_sip_via_top(&out2, &cv) == 0
			    && td_sip_str_same(cv.branch, top.branch));
			/* and the ACK for a 486 to it */
			td_buf r;
			td_buf_init(&r, 0);
			td_sip_resp_opts ro = { .to_tag = td_sip_str_c("busy") };
			CHECK(td_sip_build_response(&r, &out, 486, &ro) == 0);
			reparse(&r, &out2);
			td_buf_reset(&c);
			static td_sip_msg ack;
			CHECK(td_sip_build_ack(&c, &out, &out2) == 0);
			reparse(&c, &ack);
			td_sip_str tag, had;
			CHECK(td_sip_to_tag(&out, &had) == 0 && td_sip_to_tag(&ack, &tag) == 0);
			CHECK(td_sip_str_same(tag, had)
			    || (had.n == 0 && td_sip_str_eq(tag, "busy")));
			CHECK(td_sip_via_top(&ack, &cv) == 0
			    && td_sip_str_same(cv.branch, top.branch));
			td_buf_free(&r);
			td_buf_free(&c);
		}
	}
	char br[TD_SIP_BRANCH_MAX];
	static const uint8_t key[16] = "0123456789abcdef";
	CHECK(td_sip_branch_stateless(br, sizeof(br), m, key, sizeof(key)) > 7);
	td_buf_free(&b);
}

/*
 * request_from: the input cut into caller strings for td_sip_build_request.
 * Either it refuses them, or the result is one message with exactly the
 * header lines it wrote: no input can inject a header or a body.
 */
static void
request_from(const char *buf, size_t size)
{
	static td_sip_msg m;
	size_t q = size / 4;
	td_sip_req_opts o = { .method = "OPTIONS",
		.ruri = { buf, q },
		.via_transport = "UDP",
		.via_sent_by = td_sip_str_c("10.0.0.1:5060"),
		.branch = td_sip_str_c("z9hG4bKprobe"),
		.from = { buf + q, q },
		.from_tag = td_sip_str_c("f"),
		.to = { buf + 2 * q, q },
		.call_id = td_sip_str_c("probe@10.0.0.1"),
		.cseq = 1,
		.contact = { buf + 3 * q, size - 3 * q } };
	td_buf b;
	td_buf_init(&b, 0);
	if (td_sip_build_request(&b, &o) == 0) {
		CHECK(td_sip_frame_datagram(&m, b.data, b.len, 0) == TD_SIP_FRAME_MSG);
		CHECK(m.nhdrs == (o.contact.n > 0 ? 8 : 7) && m.body.n == 0);
		CHECK(m.len == b.len);
	}
	td_buf_free(&b);
}

static void
stream(const char *buf, size_t size, size_t split)
{
	static td_sip_msg m, m2;
	size_t used, used2, off = 0;
	int guard = 0;
	while (off < size && guard++ < 256) {
		size_t avail = size - off;
		int rc = td_sip_frame_stream(&m, buf + off, avail, MAX_INPUT, &used);
		CHECK(used <= avail);
		if (rc == TD_SIP_FRAME_MSG || rc == TD_SIP_FRAME_BAD) {
			CHECK(used > 0);
			/* a partial read of this message must ask for more, and change nothing */
			size_t cut = split % used;
			if (cut > 0) {
				int rc2
				    = td_sip_frame_stream(&m2, buf + off, cut, MAX_INPUT, &used2);
				CHECK(rc2 == TD_SIP_FRAME_MORE || rc2 == TD_SIP_FRAME_PING);
			}
			if (rc == TD_SIP_FRAME_MSG) {
				CHECK(m.len == (size_t)(buf + off + used - m.buf));
			}
		} else if (rc == TD_SIP_FRAME_PING) {
			CHECK(used == 4);
		} else {
			break; /* MORE, or the framing is lost: a server closes */
		}
		off += used;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static td_sip_msg m;
	if (size > MAX_INPUT) {
		return (0);
	}
	const char *buf = (const char *)data;
	static const td_sip_check_opts roles[] = { { .role = TD_SIP_ROLE_PROXY },
		{ .role = TD_SIP_ROLE_UAS }, { .role = TD_SIP_ROLE_REGISTRAR } };
	td_sip_verdict vd;

	int rc = td_sip_frame_datagram(&m, buf, size, MAX_INPUT);
	if (rc == TD_SIP_FRAME_MSG) {
		CHECK(m.len <= size && m.hdr_len <= m.len);
		CHECK(m.body.p + m.body.n == m.buf + m.len);
		for (uint16_t i = 0; i < m.nhdrs; i++) {
			const td_sip_hdr *h = &m.hdrs[i];
			CHECK(h->name.n > 0 && h->value.p >= h->name.p + h->name.n);
			CHECK(td_sip_hdr_lookup(h->name.p, h->name.n) == h->type);
		}
		headers(&m);
		uri(m.ruri);
		for (size_t i = 0; i < 3; i++) {
			if (m.is_request) {
				int st = td_sip_check_request(&m, &roles[i], &vd);
				CHECK(st == 0 || (st >= 400 && st <= 599 && vd.reason != NULL));
				char line[64]; /* small, so that long tags are left out */
				td_sip_unsupported_line(&vd, line, sizeof(line));
				CHECK(strlen(line) < sizeof(line));
				CHECK(line[0] == '\0' || (strncmp(line, "Unsupported: ", 13) == 0 &&
				                              strcmp(line + strlen(line) - 2, "\r\n") == 0));
			} else {
				sink += td_sip_check_response(&m, &roles[i], &vd);
			}
		}
		build(&m);
	} else if (rc < 0) {
		CHECK(m.err_status == 400 || m.err_status == 513);
		CHECK(m.err_reason != NULL);
	}

	/* the raw input as a URI, an escaped string, credentials */
	uri((td_sip_str) { buf, size });
	td_digest_creds au;
	td_digest_perr perr;
	sink += td_digest_parse(buf, size, &au, &perr);
	char out[MAX_INPUT];
	size_t n;
	if (td_sip_unescape(buf, size, out, sizeof(out), &n) == 0) {
		CHECK(n <= size);
	}
	stream(buf, size, size > 0 ? (size_t)data[0] * 7 + size / 3 : 0);
	request_from(buf, size);
	return (0);
}
