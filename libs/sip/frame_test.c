/* SPDX-License-Identifier: MIT */
/*
 * Framing (sip/frame.h): Content-Length rules over datagrams; stream
 * framing with partial reads, keep-alives, pipelining and bad lengths.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sip/build.h"
#include "sip/frame.h"
#include "sip/hdr.h"
#include "sip/sip.h"
#include "util/buf.h"

#define HDRS                                                                                       \
	"INVITE sip:bob@example.com SIP/2.0\r\n"                                                   \
	"Via: SIP/2.0/TCP pc.example.com;branch=z9hG4bK1\r\n"                                      \
	"From: <sip:alice@example.com>;tag=1\r\n"                                                  \
	"To: <sip:bob@example.com>\r\n"                                                            \
	"Call-ID: c1@pc\r\n"                                                                       \
	"CSeq: 1 INVITE\r\n"

static const char msg_body[] = HDRS "Content-Length: 5\r\n\r\nhello";
static const char msg_nobody[] = HDRS "l: 0\r\n\r\n";

static void
test_datagram(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		int rc;
		const char *body; /* for TD_SIP_FRAME_MSG */
		const char *reason; /* for errors */
	} cases[] = {
		{ HDRS "Content-Length: 5\r\n\r\nhello", TD_SIP_FRAME_MSG, "hello", NULL },
		{ HDRS "Content-Length: 3\r\n\r\nhello", TD_SIP_FRAME_MSG, "hel", NULL },
		{ HDRS "\r\nhello world", TD_SIP_FRAME_MSG, "hello world", NULL },
		{ HDRS "Content-Length: 0\r\n\r\n\r\nINVITE ...", TD_SIP_FRAME_MSG, "", NULL },
		{ HDRS "l:5\r\nContent-Length: 5\r\n\r\nhello", TD_SIP_FRAME_MSG, "hello", NULL },
		{ HDRS "Content-Length: 00005\r\n\r\nhello", TD_SIP_FRAME_MSG, "hello", NULL },
		{ HDRS "Content-Length:\r\n 5\r\n\r\nhello", TD_SIP_FRAME_MSG, "hello", NULL },
		{ HDRS "Content-Length: 0", TD_SIP_FRAME_MSG, "", NULL },
		{ HDRS "Content-Length: 6\r\n\r\nhello", TD_EPROTO, NULL,
		    "Content-Length Exceeds Datagram" },
		{ HDRS "Content-Length: 5", TD_EPROTO, NULL, "Content-Length Exceeds Datagram" },
		{ HDRS "Content-Length: -5\r\n\r\nhello", TD_EPROTO, NULL, "Bad Content-Length" },
		{ HDRS "Content-Length: 5 5\r\n\r\nhello", TD_EPROTO, NULL, "Bad Content-Length" },
		{ HDRS "Content-Length: 4294967296\r\n\r\nhello", TD_EPROTO, NULL,
		    "Bad Content-Length" },
		{ HDRS "Content-Length: 5\r\nl: 3\r\n\r\nhello", TD_EPROTO, NULL,
		    "Conflicting Content-Length" },
		{ "\r\n\r\n", TD_SIP_FRAME_PING, NULL, NULL },
		{ "\r\n", TD_SIP_FRAME_PING, NULL, NULL },
	};
	for (size_t i = 0; i < TD_ARRAY_LEN(cases); i++) {
		td_sip_msg m;
		int rc = td_sip_frame_datagram(&m, cases[i].in, strlen(cases[i].in), 4096);
		if (rc != cases[i].rc) {
			fail_msg("case %zu: rc %d, want %d", i, rc, cases[i].rc);
		}
		if (rc == TD_SIP_FRAME_MSG) {
			assert_true(td_sip_str_eq(m.body, cases[i].body));
			assert_int_equal(m.len, m.hdr_len + m.body.n);
		} else if (rc < 0) {
			assert_int_equal(m.err_status, 400);
			assert_true(m.is_request);
			assert_string_equal(m.err_reason, cases[i].reason);
		}
	}
	/* size cap: refused, but indexed, so that the 513 can be built from it */
	td_sip_msg m;
	memset(&m, 0xa5, sizeof(m)); /* what a stack buffer may hold */
	assert_int_equal(td_sip_frame_datagram(&m, msg_body, strlen(msg_body), 50), TD_ETOOBIG);
	assert_int_equal(m.err_status, 513);
	assert_true(m.is_request);
	td_sip_via v;
	assert_int_equal(td_sip_via_top(&m, &v), 0);
	td_buf rb = TD_BUF_INIT;
	assert_int_equal(td_sip_build_response(&rb, &m, 513, NULL), 0);
	assert_memory_equal(rb.data, "SIP/2.0 513 ", 12);
	td_buf_free(&rb);
	assert_int_equal(td_sip_frame_datagram(&m, msg_body, strlen(msg_body), strlen(msg_body)),
	    TD_SIP_FRAME_MSG);
}

/* Every proper prefix asks for more; the whole message frames, with nothing left over. */
static void
test_stream_partial(void **state)
{
	(void)state;
	size_t len = strlen(msg_body);
	char *copy = malloc(len); /* exact size: ASan catches a read past a prefix */
	assert_non_null(copy);
	for (size_t k = 0; k < len; k++) {
		td_sip_msg m;
		size_t used = 99;
		memcpy(copy, msg_body, k);
		int rc = td_sip_frame_stream(&m, copy, k, 4096, &used);
		if (rc != TD_SIP_FRAME_MORE || used != 0) {
			fail_msg("prefix %zu: rc %d used %zu", k, rc, used);
		}
	}
	memcpy(copy, msg_body, len);
	td_sip_msg m;
	size_t used;
	assert_int_equal(td_sip_frame_stream(&m, copy, len, 4096, &used), TD_SIP_FRAME_MSG);
	assert_int_equal(used, len);
	assert_true(td_sip_str_eq(m.body, "hello"));
	assert_int_equal(m.method_id, TD_SIP_INVITE);
	free(copy);
}

/* Drain: frame everything in buf, return the sequence of results as a string. */
static void
drain(const char *buf, size_t len, char *out, size_t cap)
{
	size_t off = 0;
	out[0] = '\0';
	for (int guard = 0; guard < 32; guard++) {
		td_sip_msg m;
		size_t used;
		int rc = td_sip_frame_stream(&m, buf + off, len - off, 4096, &used);
		const char *tag = rc == TD_SIP_FRAME_MSG ? "M"
		    : rc == TD_SIP_FRAME_PING            ? "P"
		    : rc == TD_SIP_FRAME_BAD             ? "B"
		    : rc == TD_SIP_FRAME_MORE            ? "."
		                                         : "X";
		strncat(out, tag, cap - strlen(out) - 1);
		off += used;
		if (rc == TD_SIP_FRAME_MORE || rc < 0) {
			return;
		}
	}
}

static void
test_stream_sequences(void **state)
{
	(void)state;
	td_buf b;
	char seq[64];
	static const struct {
		const char *parts[6];
		const char *want;
	} cases[] = {
		/* pipelined: three messages in one read */
		{ { msg_body, msg_nobody, msg_body, NULL }, "MMM." },
		/* keep-alives: a ping before, a lone CRLF between */
		{ { "\r\n\r\n", msg_body, "\r\n", msg_nobody, NULL }, "PMM." },
		{ { "\r\n\r\n\r\n\r\n", NULL }, "PP." },
		/* a ping split over reads waits, a stray CRLF before a message is skipped */
		{ { "\r\n", NULL }, "." },
		{ { "\r\n", msg_nobody, NULL }, "M." },
		/* a framed but malformed message, then a good one */
		{ { "GARBAGE\r\nl: 2\r\n\r\nxx", msg_nobody, NULL }, "BM." },
		/* a broken Content-Length loses the framing */
		{ { HDRS "Content-Length: -999\r\n\r\n", msg_body, NULL }, "X" },
		{ { HDRS "Content-Length: 13\r\nContent-Length: 5\r\n\r\n", NULL }, "X" },
		{ { HDRS "l: x\r\n\r\n", NULL }, "X" },
		{ { HDRS "l:\r\n\r\n", NULL }, "X" },
		/* no Content-Length over a stream: 0 */
		{ { HDRS "\r\n", msg_nobody, NULL }, "MM." },
		/* equal duplicates frame (validation flags them later) */
		{ { HDRS "l: 5\r\nContent-Length:  5 \r\n\r\nhello", NULL }, "M." },
		/* folded and compact, any case */
		{ { HDRS "L :\r\n\t5\r\n\r\nhello", NULL }, "M." },
		/* the body may hold what looks like a header section */
		{ { HDRS "l: 12\r\n\r\nl: 9\r\n\r\nabcd", NULL }, "M." },
		/* bare LF line ends */
		{ { "OPTIONS sip:a@b SIP/2.0\nl: 2\n\nhi", NULL }, "M." },
	};
	for (size_t i = 0; i < TD_ARRAY_LEN(cases); i++) {
		td_buf_init(&b, 0);
		for (int k = 0; cases[i].parts[k] != NULL; k++) {
			td_buf_puts(&b, cases[i].parts[k]);
		}
		drain(b.data, b.len, seq, sizeof(seq));
		if (strcmp(seq, cases[i].want) != 0) {
			fail_msg("case %zu: %s, want %s", i, seq, cases[i].want);
		}
		td_buf_free(&b);
	}
}

static void
test_stream_used_and_limits(void **state)
{
	(void)state;
	td_sip_msg m;
	size_t used;
	/* the ping and the stray CRLF are reported as used octets */
	assert_int_equal(td_sip_frame_stream(&m, "\r\n\r\nXY", 6, 4096, &used), TD_SIP_FRAME_PING);
	assert_int_equal(used, 4);
	assert_int_equal(td_sip_frame_stream(&m, "\r\nXY", 4, 4096, &used), TD_SIP_FRAME_MORE);
	assert_int_equal(used, 2);
	assert_int_equal(td_sip_frame_stream(&m, "\n\n\n", 3, 4096, &used), TD_SIP_FRAME_MORE);
	assert_int_equal(used, 3);
	assert_int_equal(td_sip_frame_stream(&m, "\r\n\r", 3, 4096, &used), TD_SIP_FRAME_MORE);
	assert_int_equal(used, 0);

	/* a malformed message still reports its length */
	const char *bad = "NOT A REQUEST LINE AT ALL\r\nl: 3\r\n\r\nabcNEXT";
	assert_int_equal(td_sip_frame_stream(&m, bad, strlen(bad), 4096, &used), TD_SIP_FRAME_BAD);
	assert_int_equal(used, strlen(bad) - 4);
	assert_int_equal(m.err_status, 400);
	assert_true(m.is_request);

	/* max: header section never ends, or Content-Length points past it */
	char big[600];
	memset(big, 'a', sizeof(big));
	memcpy(big, "OPTIONS sip:a@b SIP/2.0\r\nX: ", 28);
	memset(&m, 0xa5, sizeof(m));
	assert_int_equal(td_sip_frame_stream(&m, big, sizeof(big), 512, &used), TD_ETOOBIG);
	assert_int_equal(m.err_status, 513);
	assert_true(m.is_request);
	assert_int_equal(m.method_id, TD_SIP_OPTIONS); /* indexed as far as it goes */
	assert_int_equal(td_sip_frame_stream(&m, big, 500, 512, &used), TD_SIP_FRAME_MORE);
	const char *cl = HDRS "Content-Length: 4000\r\n\r\n";
	assert_int_equal(td_sip_frame_stream(&m, cl, strlen(cl), 1024, &used), TD_ETOOBIG);
	assert_int_equal(td_sip_frame_stream(&m, cl, strlen(cl), 0, &used), TD_SIP_FRAME_MORE);
	assert_int_equal(
	    td_sip_frame_stream(&m, msg_body, strlen(msg_body), strlen(msg_body), &used),
	    TD_SIP_FRAME_MSG);
	assert_int_equal(
	    td_sip_frame_stream(&m, msg_body, strlen(msg_body), strlen(msg_body) - 1, &used),
	    TD_ETOOBIG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_datagram),
		cmocka_unit_test(test_stream_partial),
		cmocka_unit_test(test_stream_sequences),
		cmocka_unit_test(test_stream_used_and_limits),
	};
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
