/* SPDX-License-Identifier: MIT */
/*
 * sip-bench: how fast libs/sip parses what a proxy sees.  For an INVITE, a
 * REGISTER with digest credentials and a 200 OK it times, single-threaded:
 *   parse   td_sip_frame_datagram (start line, header index, Content-Length)
 *   proxy   parse + the headers a proxy reads for every message: top Via
 *           (branch), From/To tags, Call-ID, CSeq, Max-Forwards, top Route
 *           and its URI, every Contact and its URI
 *   forward proxy + td_sip_build_forward into a reused td_buf
 * and prints messages/s and ns/message.  Each figure is the best of -r rounds
 * of -n iterations, timed in thread CPU time (CLOCK_THREAD_CPUTIME_ID), so a
 * busy shared machine inflates it less.  Use a release build:
 *
 *   make build/release/bin/sip-bench && build/release/bin/sip-bench [-n iterations] [-r rounds]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sip/build.h"
#include "sip/frame.h"
#include "sip/hdr.h"
#include "sip/sip.h"
#include "sip/uri.h"
#include "util/buf.h"

static const char invite[]
    = "INVITE sip:2001@pbx.example.com SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 192.168.10.23:5060;branch=z9hG4bK-524287-1---8d7a3b1f0e4c2a61;rport\r\n"
      "Max-Forwards: 70\r\n"
      "Contact: <sip:1042@192.168.10.23:5060;transport=udp>\r\n"
      "To: <sip:2001@pbx.example.com>\r\n"
      "From: \"Agent 1042\" <sip:1042@pbx.example.com>;tag=5f0a2c1e\r\n"
      "Call-ID: Mjk1NTc4ZDc1ZjM0YmE2ZTRiMmE5ZTM4ZjE3ZDI3YWE.\r\n"
      "CSeq: 2 INVITE\r\n"
      "Allow: INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, MESSAGE, OPTIONS, INFO, SUBSCRIBE\r\n"
      "Content-Type: application/sdp\r\n"
      "Supported: replaces, norefersub, extended-refer, timer, outbound, path, "
      "X-cisco-serviceuri\r\n"
      "User-Agent: Zoiper rv2.10.19.6\r\n"
      "Allow-Events: presence, kpml, talk\r\n"
      "Proxy-Authorization: Digest username=\"1042\",realm=\"pbx.example.com\",nonce=\"YzQ2ZWM1\","
      "uri=\"sip:2001@pbx.example.com\",response=\"9d2fb0b2c5e1a4f8e7d6c5b4a3928170\","
      "algorithm=MD5,cnonce=\"0a4f113b\",qop=auth,nc=00000001\r\n"
      "Content-Length: 332\r\n"
      "\r\n"
      "v=0\r\n"
      "o=Z 0 1 IN IP4 192.168.10.23\r\n"
      "s=Z\r\n"
      "c=IN IP4 192.168.10.23\r\n"
      "t=0 0\r\n"
      "m=audio 8000 RTP/AVP 106 9 98 101 0 8 3\r\n"
      "a=rtpmap:106 opus/48000/2\r\n"
      "a=fmtp:106 sprop-maxcapturerate=16000; minptime=20; useinbandfec=1\r\n"
      "a=rtpmap:98 telephone-event/48000\r\n"
      "a=fmtp:98 0-16\r\n"
      "a=rtpmap:101 telephone-event/8000\r\n"
      "a=fmtp:101 0-16\r\n"
      "a=sendrecv\r\n"
      "a=rtcp-mux\r\n";

static const char reg[]
    = "REGISTER sip:pbx.example.com SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 192.168.10.23:5060;branch=z9hG4bK-524287-1---d1b7c0ffee;rport\r\n"
      "Max-Forwards: 70\r\n"
      "Contact: <sip:1042@192.168.10.23:5060;rinstance=7a1b2c3d4e5f6a7b;transport=udp>;"
      "+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-00a0c91e6bf6>\";expires=300\r\n"
      "To: <sip:1042@pbx.example.com>\r\n"
      "From: <sip:1042@pbx.example.com>;tag=9a8b7c6d\r\n"
      "Call-ID: ZDQ4YjM0ZjM1YzVmNDYxMmE0YTBmOTdiNzRiOGQwZDM.\r\n"
      "CSeq: 12 REGISTER\r\n"
      "Expires: 300\r\n"
      "Allow: INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, MESSAGE, OPTIONS, INFO, SUBSCRIBE\r\n"
      "Supported: replaces, norefersub, extended-refer, timer, outbound, path\r\n"
      "User-Agent: Zoiper rv2.10.19.6\r\n"
      "Authorization: Digest username=\"1042\",realm=\"pbx.example.com\",nonce=\"ZGVmNDU2\","
      "uri=\"sip:pbx.example.com\",response=\"1b2c3d4e5f60718293a4b5c6d7e8f901\",algorithm=MD5,"
      "cnonce=\"8e2f33aa\",qop=auth,nc=00000003\r\n"
      "Allow-Events: presence, kpml, talk\r\n"
      "Content-Length: 0\r\n"
      "\r\n";

static const char ok200[]
    = "SIP/2.0 200 OK\r\n"
      "Via: SIP/2.0/UDP 10.0.0.10:5060;branch=z9hG4bK3f9a1c0d2e7b;rport=5060;received=10.0.0.10\r\n"
      "Via: SIP/2.0/UDP 192.168.10.23:5060;branch=z9hG4bK-524287-1---8d7a3b1f0e4c2a61;rport=5060;"
      "received=192.168.10.23\r\n"
      "Record-Route: <sip:10.0.0.10;lr;ftag=5f0a2c1e>\r\n"
      "Contact: <sip:mod_sofia@10.0.0.20:5080>\r\n"
      "To: <sip:2001@pbx.example.com>;tag=Qm5a8cF2yK3eB\r\n"
      "From: \"Agent 1042\" <sip:1042@pbx.example.com>;tag=5f0a2c1e\r\n"
      "Call-ID: Mjk1NTc4ZDc1ZjM0YmE2ZTRiMmE5ZTM4ZjE3ZDI3YWE.\r\n"
      "CSeq: 2 INVITE\r\n"
      "User-Agent: FreeSWITCH-mod_sofia/1.10.9\r\n"
      "Accept: application/sdp\r\n"
      "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, MESSAGE, INFO, UPDATE, REGISTER, REFER, NOTIFY\r\n"
      "Supported: timer, path, replaces\r\n"
      "Allow-Events: talk, hold, conference, refer\r\n"
      "Session-Expires: 1800;refresher=uac\r\n"
      "Content-Type: application/sdp\r\n"
      "Content-Disposition: session\r\n"
      "Content-Length: 224\r\n"
      "\r\n"
      "v=0\r\n"
      "o=FreeSWITCH 1700000000 1700000001 IN IP4 10.0.0.20\r\n"
      "s=FreeSWITCH\r\n"
      "c=IN IP4 10.0.0.20\r\n"
      "t=0 0\r\n"
      "m=audio 16384 RTP/AVP 0 101\r\n"
      "a=rtpmap:0 PCMU/8000\r\n"
      "a=rtpmap:101 telephone-event/8000\r\n"
      "a=fmtp:101 0-16\r\n"
      "a=ptime:20\r\n"
      "a=sendrecv\r\n";

static volatile size_t sink;

static uint64_t
now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec);
}

/* proxy_headers reads what a stateful proxy needs from every message. */
static int
proxy_headers(const td_sip_msg *m)
{
	td_sip_via via;
	td_sip_str ftag, ttag, callid;
	td_sip_cseq cs;
	uint32_t mf = 0;
	if (td_sip_via_top(m, &via) != 0 || td_sip_from_tag(m, &ftag) != 0
	    || td_sip_to_tag(m, &ttag) != 0 || td_sip_callid(m, &callid) != 0
	    || td_sip_cseq_get(m, &cs) != 0) {
		return (-1);
	}
	int rc = td_sip_max_forwards(m, &mf);
	if (rc != 0 && rc != TD_ENOTFOUND) {
		return (-1);
	}
	size_t acc = via.branch.n + ftag.n + ttag.n + callid.n + cs.num + mf;
	td_sip_iter it;
	td_sip_addr a;
	td_sip_uri u;
	td_sip_iter_init(&it, m, TD_SIP_H_ROUTE);
	if (td_sip_addr_next(&it, &a) == 1 && td_sip_uri_parse(a.uri, &u) == 0) {
		acc += u.host.n + u.lr;
	}
	td_sip_iter_init(&it, m, TD_SIP_H_CONTACT);
	while ((rc = td_sip_contact_next(&it, &a)) == 1) {
		if (!a.star && td_sip_uri_parse(a.uri, &u) != 0) {
			return (-1);
		}
		acc += u.port;
	}
	sink += acc;
	return (rc);
}

enum { PARSE, PROXY, FORWARD };

static double
run(const char *msg, size_t len, int mode, long n, td_buf *b)
{
	static const td_sip_fwd_opts fo = {
		.via_transport = "UDP",
		.via_sent_by = { "10.0.0.10:5060", 14 },
		.branch = { "z9hG4bK3f9a1c0d2e7b", 19 },
		.via_rport = true,
		.record_route = { "sip:10.0.0.10;lr", 16 },
		.received = { "192.168.10.23", 13 },
		.rport = 5060,
	};
	td_sip_msg m;
	uint64_t t0 = now_ns();
	for (long i = 0; i < n; i++) {
		if (td_sip_frame_datagram(&m, msg, len, 65535) != TD_SIP_FRAME_MSG) {
			fprintf(stderr, "sip-bench: message does not parse: %s\n", m.err_reason);
			exit(1);
		}
		if (mode >= PROXY && proxy_headers(&m) != 0) {
			fprintf(stderr, "sip-bench: proxy headers do not parse\n");
			exit(1);
		}
		if (mode == FORWARD && m.is_request) {
			td_buf_reset(b);
			if (td_sip_build_forward(b, &m, &fo) != 0) {
				fprintf(stderr, "sip-bench: forward failed\n");
				exit(1);
			}
			sink += b->len;
		}
		sink += m.nhdrs;
	}
	return ((double)(now_ns() - t0) / (double)n);
}

int
main(int argc, char **argv)
{
	long n = 200000, rounds = 5;
	int c;
	while ((c = getopt(argc, argv, "n:r:h")) != -1) {
		if (c == 'n') {
			n = strtol(optarg, NULL, 10);
		} else if (c == 'r') {
			rounds = strtol(optarg, NULL, 10);
		} else {
			fprintf(stderr, "usage: %s [-n iterations] [-r rounds]\n", argv[0]);
			return (c == 'h' ? 0 : 2);
		}
	}
	if (n <= 0 || rounds <= 0) {
		fprintf(stderr, "sip-bench: -n and -r must be positive\n");
		return (2);
	}
	static const struct {
		const char *name, *msg;
		size_t len;
	} msgs[] = {
		{ "INVITE", invite, sizeof(invite) - 1 },
		{ "REGISTER", reg, sizeof(reg) - 1 },
		{ "200 OK", ok200, sizeof(ok200) - 1 },
	};
	static const char *const modes[] = { "parse", "proxy", "forward" };
	td_buf b;
	td_buf_init(&b, 0);
	printf("%-9s %6s %-8s %12s %10s\n", "message", "bytes", "mode", "msgs/s", "ns/msg");
	for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		for (int mode = PARSE; mode <= FORWARD; mode++) {
			if (mode == FORWARD && msgs[i].msg == ok200) {
				continue;
			}
			double ns
			    = run(msgs[i].msg, msgs[i].len, mode, n / 10 + 1, &b); /* warm up */
			for (long r = 0; r < rounds; r++) {
				double t = run(msgs[i].msg, msgs[i].len, mode, n, &b);
				ns = r == 0 || t < ns ? t : ns;
			}
			printf("%-9s %6zu %-8s %12.0f %10.1f\n", msgs[i].name, msgs[i].len,
			    modes[mode], 1e9 / ns, ns);
		}
	}
	td_buf_free(&b);
	return (0);
}
