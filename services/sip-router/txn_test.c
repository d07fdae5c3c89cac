/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: the RFC 3261 transaction state machines (§17) over UDP, with
 * real loopback sockets and a test-driven clock.  A worker is set up but
 * not started: the test thread binds to it, plays the upstream client
 * (UAC) and the downstream server (UAS) on two sockets of its own, and
 * advances the worker's timer wheel by hand, so 32-second timers take no
 * time and nothing depends on the machine's speed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "router.h"
#include "sip/hdr.h"
#include "sip/sip.h"
#include "sr.h"
#include "txn.h"
#include "worker.h"

typedef struct env {
	router_cfg cfg;
	sr r;
	worker *w;
	int uac, uas;            /* our two peers */
	sr_addr uac_a, uas_a;    /* their addresses */
	sr_addr local;           /* the worker's UDP socket */
	int64_t now;             /* the wheel's clock (ms) */
} env;

static void advance(env *e, int64_t ms);

static int
peer_socket(sr_addr *a)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in in = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(fd, (struct sockaddr *)&in, sizeof(in)), 0);
	memset(a, 0, sizeof(*a));
	a->len = sizeof(a->u.in);
	assert_int_equal(getsockname(fd, &a->u.sa, &a->len), 0);
	a->proto = SR_UDP;
	return (fd);
}

static int
setup(void **state)
{
	env *e = calloc(1, sizeof(*e));
	e->cfg.txn_linger_ms = 5000;
	e->cfg.invite_timeout_ms = 180000;
	e->cfg.max_message = 65536;
	e->cfg.server_name = (char *)"tandem-test";
	e->r.cfg = &e->cfg;
	snprintf(e->r.adv_host, sizeof(e->r.adv_host), "127.0.0.1");
	sr_metrics_init(&e->r.m);
	e->r.txns = txn_table_new();
	e->r.tp = tp_new(&e->r);
	char err[256];
	assert_int_equal(tp_parse_listen("udp:127.0.0.1:5060", e->r.listen, TP_MAX_LISTEN,
	                     &e->r.nlisten, err, sizeof(err)),
	    0);
	e->r.listen[0].addr.u.in.sin_port = 0; /* any free port (the config requires one) */
	e->w = calloc(1, sizeof(worker));
	e->w->r = &e->r;
	e->w->ep = epoll_create1(0);
	tw_init(&e->w->wheel, 0);
	assert_int_equal(
	    tp_open_worker_sockets(e->r.tp, e->w, e->r.listen, e->r.nlisten, err, sizeof(err)), 0);
	e->local.len = sizeof(e->local.u);
	assert_int_equal(getsockname(e->w->udp[0].fd, &e->local.u.sa, &e->local.len), 0);
	e->local.proto = SR_UDP;
	e->r.adv_port = sr_addr_port(&e->local);
	e->r.w = &e->w;
	e->r.nworkers = 1;
	worker_bind(e->w);
	e->uac = peer_socket(&e->uac_a);
	e->uas = peer_socket(&e->uas_a);
	*state = e;
	return (0);
}

static int
teardown(void **state)
{
	env *e = *state;
	/* Let every timer run out (Timer C is the longest), so none holds a context. */
	advance(e, 200000);
	worker_bind(NULL);
	close(e->w->udp[0].fd);
	close(e->w->ep);
	tw_fini(&e->w->wheel);
	free(e->w);
	tp_free(e->r.tp);
	txn_table_free(e->r.txns);
	sr_metrics_fini(&e->r.m);
	close(e->uac);
	close(e->uas);
	free(e);
	return (0);
}

/* advance moves the clock forward by ms, firing timers as a worker would. */
static void
advance(env *e, int64_t ms)
{
	int64_t end = e->now + ms;
	while (e->now < end) {
		e->now += TW_TICK_MS;
		tw_advance(&e->w->wheel, e->now);
	}
}

/* take reads every datagram waiting on fd; returns how many start with prefix
 * (the others are dropped: call it once per expectation). */
static int
take(int fd, const char *prefix, char *last, size_t lastcap)
{
	int n = 0;
	char buf[65536];
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 20) <= 0) {
			return (n);
		}
		ssize_t len = recv(fd, buf, sizeof(buf) - 1, 0);
		assert_true(len > 0);
		buf[len] = '\0';
		if (strncmp(buf, prefix, strlen(prefix)) == 0) {
			n++;
			if (last != NULL) {
				snprintf(last, lastcap, "%s", buf);
			}
		}
	}
}

static const char invite_fmt[] = "INVITE sip:1002@example.com SIP/2.0\r\n"
                                 "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK%s;rport\r\n"
                                 "Max-Forwards: 70\r\n"
                                 "From: <sip:1001@example.com>;tag=from1\r\n"
                                 "To: <sip:1002@example.com>\r\n"
                                 "Call-ID: %s@test\r\n"
                                 "CSeq: 1 %s\r\n"
                                 "Contact: <sip:1001@127.0.0.1:%u>\r\n"
                                 "Content-Length: 0\r\n\r\n";

/* request builds a request as the UAC would send it (method also in CSeq). */
static char *
request(env *e, const char *method, const char *branch, const char *callid)
{
	char *buf = malloc(2048);
	int n = snprintf(buf, 2048, invite_fmt, sr_addr_port(&e->uac_a), branch, callid, method,
	    sr_addr_port(&e->uac_a));
	if (strcmp(method, "INVITE") != 0) {
		/* same message, other method on the request line */
		char *rest = strchr(buf, ' ');
		char *out = malloc(2048);
		snprintf(out, 2048, "%s%s", method, rest);
		free(buf);
		buf = out;
		n = (int)strlen(buf);
	}
	(void)n;
	return (buf);
}

/* server_ctx: a context for a request from the UAC, in the table. */
static ctx *
server_ctx(env *e, const char *text)
{
	td_sip_msg m;
	assert_int_equal(td_sip_parse(&m, text, strlen(text)), 0);
	char key[TXN_KEY_MAX];
	assert_int_equal(txn_server_key(&m, key, sizeof(key)), 0);
	ctx *c = ctx_new(&e->r, CTX_PROXY, &m, key, &e->uac_a, &e->local, 0);
	assert_int_equal(txn_insert(e->r.txns, c), 0);
	return (c);
}

/* ---- keys --------------------------------------------------------------------------- */

static void
test_server_keys(void **state)
{
	env *e = *state;
	char *inv = request(e, "INVITE", "k1", "c1"), *ack = request(e, "ACK", "k1", "c1");
	char *can = request(e, "CANCEL", "k1", "c1"), *inv2 = request(e, "INVITE", "k2", "c1");
	char ki[TXN_KEY_MAX], ka[TXN_KEY_MAX], kc[TXN_KEY_MAX], k2[TXN_KEY_MAX];
	td_sip_msg m;
	assert_int_equal(td_sip_parse(&m, inv, strlen(inv)), 0);
	assert_int_equal(txn_server_key(&m, ki, sizeof(ki)), 0);
	assert_int_equal(td_sip_parse(&m, ack, strlen(ack)), 0);
	assert_int_equal(txn_server_key(&m, ka, sizeof(ka)), 0);
	assert_int_equal(td_sip_parse(&m, can, strlen(can)), 0);
	assert_int_equal(txn_server_key(&m, kc, sizeof(kc)), 0);
	assert_int_equal(td_sip_parse(&m, inv2, strlen(inv2)), 0);
	assert_int_equal(txn_server_key(&m, k2, sizeof(k2)), 0);
	assert_string_equal(ki, ka);     /* §17.2.3: the ACK for a non-2xx matches the INVITE */
	assert_string_not_equal(ki, kc); /* CANCEL is a transaction of its own */
	assert_string_not_equal(ki, k2); /* another branch, another transaction */

	/* RFC 2543 peers (no magic cookie): Call-ID, CSeq, From tag and top Via */
	const char *old = "INVITE sip:1002@example.com SIP/2.0\r\n"
	                  "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=1234\r\n"
	                  "From: <sip:a@example.com>;tag=x\r\nTo: <sip:b@example.com>\r\n"
	                  "Call-ID: old@x\r\nCSeq: 7 INVITE\r\nContent-Length: 0\r\n\r\n";
	assert_int_equal(td_sip_parse(&m, old, strlen(old)), 0);
	assert_int_equal(txn_server_key(&m, ki, sizeof(ki)), 0);
	assert_non_null(strstr(ki, "old@x"));
	const char *noval = "OPTIONS sip:x@example.com SIP/2.0\r\nCall-ID: a\r\n\r\n";
	assert_int_equal(td_sip_parse(&m, noval, strlen(noval)), 0);
	assert_int_equal(txn_server_key(&m, ki, sizeof(ki)), TD_EPROTO);
	free(inv);
	free(ack);
	free(can);
	free(inv2);
}

static void
test_reply_address(void **state)
{
	env *e = *state;
	const char *norport = "OPTIONS sip:x@example.com SIP/2.0\r\n"
	                      "Via: SIP/2.0/UDP 192.0.2.1:5070;branch=z9hG4bKra\r\n"
	                      "From: <sip:a@example.com>;tag=1\r\nTo: <sip:x@example.com>\r\n"
	                      "Call-ID: ra\r\nCSeq: 1 OPTIONS\r\n\r\n";
	const char *rport = "OPTIONS sip:x@example.com SIP/2.0\r\n"
	                    "Via: SIP/2.0/UDP 192.0.2.1;rport;branch=z9hG4bKrb\r\n"
	                    "From: <sip:a@example.com>;tag=1\r\nTo: <sip:x@example.com>\r\n"
	                    "Call-ID: rb\r\nCSeq: 1 OPTIONS\r\n\r\n";
	const char *noport = "OPTIONS sip:x@example.com SIP/2.0\r\n"
	                     "Via: SIP/2.0/UDP host.example.com;branch=z9hG4bKrc\r\n"
	                     "From: <sip:a@example.com>;tag=1\r\nTo: <sip:x@example.com>\r\n"
	                     "Call-ID: rc\r\nCSeq: 1 OPTIONS\r\n\r\n";
	sr_addr src, to;
	assert_int_equal(sr_addr_parse(&src, "203.0.113.9", 11, 40000, SR_UDP), 0);
	td_sip_msg m;
	char out[64];
	/* RFC 3261 §18.2.2: the source address, the Via's port */
	e->cfg.force_rport = false;
	assert_int_equal(td_sip_parse(&m, norport, strlen(norport)), 0);
	txn_reply_addr(&e->r, &m, &src, &to);
	assert_string_equal(sr_addr_fmt(&to, out, sizeof(out)), "203.0.113.9:5070");
	assert_int_equal(td_sip_parse(&m, noport, strlen(noport)), 0);
	txn_reply_addr(&e->r, &m, &src, &to);
	assert_string_equal(sr_addr_fmt(&to, out, sizeof(out)), "203.0.113.9:5060");
	/* RFC 3581: ;rport asks for the source port */
	assert_int_equal(td_sip_parse(&m, rport, strlen(rport)), 0);
	txn_reply_addr(&e->r, &m, &src, &to);
	assert_string_equal(sr_addr_fmt(&to, out, sizeof(out)), "203.0.113.9:40000");
	/* sip.force_rport: always the source */
	e->cfg.force_rport = true;
	assert_int_equal(td_sip_parse(&m, norport, strlen(norport)), 0);
	txn_reply_addr(&e->r, &m, &src, &to);
	assert_string_equal(sr_addr_fmt(&to, out, sizeof(out)), "203.0.113.9:40000");
	/* TCP: the connection, always */
	e->cfg.force_rport = false;
	src.proto = SR_TCP;
	txn_reply_addr(&e->r, &m, &src, &to);
	assert_string_equal(sr_addr_fmt(&to, out, sizeof(out)), "203.0.113.9:40000");
}

/* ---- INVITE server transaction --------------------------------------------------------- */

static void
test_invite_server_non2xx_until_ack(void **state)
{
	env *e = *state;
	char *inv = request(e, "INVITE", "srv1", "c-srv1");
	ctx *c = server_ctx(e, inv);
	assert_int_equal(txn_count(e->r.txns), 1);
	pthread_mutex_lock(&c->lock);
	txn_reply_locked(c, e->w, 100, NULL);
	pthread_mutex_unlock(&c->lock);
	char last[4096];
	assert_int_equal(take(e->uac, "SIP/2.0 100 ", last, sizeof(last)), 1);
	assert_null(strstr(last, "tag=td")); /* 100 carries no To tag */
	assert_non_null(strstr(last, "rport=")); /* RFC 3581 */
	assert_int_equal(c->state, SRV_PROCEEDING);

	/* a retransmitted INVITE gets the 100 again, and is counted */
	pthread_mutex_lock(&c->lock);
	txn_on_retransmission_locked(c, e->w);
	pthread_mutex_unlock(&c->lock);
	assert_int_equal(take(e->uac, "SIP/2.0 100 ", NULL, 0), 1);
	pthread_mutex_lock(&c->lock);
	txn_reply_locked(c, e->w, 486, NULL);
	pthread_mutex_unlock(&c->lock);
	assert_int_equal(take(e->uac, "SIP/2.0 486 ", last, sizeof(last)), 1);
	assert_non_null(strstr(last, "tag=td"));
	assert_int_equal(c->state, SRV_COMPLETED);

	/* Timer G: 500 ms, then 1 s, then 2 s */
	advance(e, 490);
	assert_int_equal(take(e->uac, "SIP/2.0 486 ", NULL, 0), 0);
	advance(e, 60);
	assert_int_equal(take(e->uac, "SIP/2.0 486 ", NULL, 0), 1);
	advance(e, 1000);
	assert_int_equal(take(e->uac, "SIP/2.0 486 ", NULL, 0), 1);
	advance(e, 2000);
	assert_int_equal(take(e->uac, "SIP/2.0 486 ", NULL, 0), 1);

	/* a late provisional from downstream must not go up after the final */
	pthread_mutex_lock(&c->lock);
	txn_send_response_locked(c, e->w, "SIP/2.0 180 Ringing\r\n\r\n", 23, 180);
	/* the ACK stops retransmissions (Confirmed) */
	txn_on_ack_locked(c, e->w);
	pthread_mutex_unlock(&c->lock);
	assert_int_equal(c->state, SRV_CONFIRMED);
	advance(e, 4000);
	assert_int_equal(take(e->uac, "SIP/2.0", NULL, 0), 0);
	assert_int_equal(txn_count(e->r.txns), 1);
	/* it lingers (Timer I: sip.txn_linger) to absorb ACK retransmissions, then leaves */
	advance(e, 1100);
	assert_int_equal(c->state, SRV_TERMINATED);
	assert_int_equal(txn_count(e->r.txns), 0);
	char key[TXN_KEY_MAX];
	snprintf(key, sizeof(key), "%s", c->key);
	ctx_unref(c);
	assert_null(txn_find_server(e->r.txns, key));
	free(inv);
}

static void
test_invite_server_timer_h(void **state)
{
	env *e = *state;
	char *inv = request(e, "INVITE", "srv2", "c-srv2");
	ctx *c = server_ctx(e, inv);
	pthread_mutex_lock(&c->lock);
	txn_reply_locked(c, e->w, 603, NULL);
	pthread_mutex_unlock(&c->lock);
	assert_int_equal(take(e->uac, "SIP/2.0 603 ", NULL, 0), 1);
	/* no ACK: G doubles up to T2 (0.5 1 2 4 4 4 ...) until H at 64*T1 = 32 s */
	int retx = 0;
	for (int i = 0; i < 33; i++) {
		advance(e, 1000);
		retx += take(e->uac, "SIP/2.0 603 ", NULL, 0);
	}
	/* sent at 0.5 1.5 3.5 7.5 11.5 15.5 19.5 23.5 27.5 31.5 */
	assert_int_equal(retx, 10);
	assert_int_equal(c->state, SRV_TERMINATED);
	assert_int_equal(txn_count(e->r.txns), 0);
	ctx_unref(c);
	free(inv);
}

static void
test_invite_server_2xx_accepted(void **state)
{
	env *e = *state;
	char *inv = request(e, "INVITE", "srv3", "c-srv3");
	ctx *c = server_ctx(e, inv);
	pthread_mutex_lock(&c->lock);
	txn_send_response_locked(c, e->w, "SIP/2.0 200 OK\r\n\r\n", 18, 200);
	/* RFC 6026: further 2xx (other forks) pass, non-2xx do not */
	txn_send_response_locked(c, e->w, "SIP/2.0 200 OK\r\n\r\n", 18, 200);
	txn_send_response_locked(c, e->w, "SIP/2.0 486 Busy\r\n\r\n", 20, 486);
	pthread_mutex_unlock(&c->lock);
	assert_int_equal(take(e->uac, "SIP/2.0 200 ", NULL, 0), 2);
	assert_int_equal(take(e->uac, "SIP/2.0 486 ", NULL, 0), 0);
	assert_int_equal(c->state, SRV_ACCEPTED);
	/* no retransmission of a 2xx by the proxy: that is the UAS's job */
	advance(e, 4900);
	assert_int_equal(take(e->uac, "SIP/2.0", NULL, 0), 0);
	assert_int_equal(c->state, SRV_ACCEPTED);
	advance(e, 200); /* Timer L: sip.txn_linger (5 s here), not 64*T1 */
	assert_int_equal(c->state, SRV_TERMINATED);
	assert_int_equal(txn_count(e->r.txns), 0);
	ctx_unref(c);
	free(inv);
}

/* ---- non-INVITE server transaction ------------------------------------------------------- */

static void
test_non_invite_server(void **state)
{
	env *e = *state;
	char *reg = request(e, "REGISTER", "srv4", "c-srv4");
	ctx *c = server_ctx(e, reg);
	/* the same request again is found by its key (and would be absorbed) */
	td_sip_msg m;
	assert_int_equal(td_sip_parse(&m, reg, strlen(reg)), 0);
	char key[TXN_KEY_MAX];
	assert_int_equal(txn_server_key(&m, key, sizeof(key)), 0);
	ctx *again = txn_find_server(e->r.txns, key);
	assert_ptr_equal(again, c);
	ctx_unref(again);
	/* a second context under the same key is refused (racing retransmission) */
	ctx *dup = ctx_new(&e->r, CTX_PROXY, &m, key, &e->uac_a, &e->local, 0);
	assert_int_equal(txn_insert(e->r.txns, dup), TD_EEXIST);
	ctx_unref(dup);

	pthread_mutex_lock(&c->lock);
	txn_on_retransmission_locked(c, e->w); /* nothing sent yet: nothing to resend */
	txn_reply_locked(c, e->w, 200, NULL);
	pthread_mutex_unlock(&c->lock);
	assert_int_equal(take(e->uac, "SIP/2.0 200 ", NULL, 0), 1);
	/* non-INVITE finals are not retransmitted by timer, only on request retransmission */
	advance(e, 2000);
	assert_int_equal(take(e->uac, "SIP/2.0", NULL, 0), 0);
	pthread_mutex_lock(&c->lock);
	txn_on_retransmission_locked(c, e->w);
	pthread_mutex_unlock(&c->lock);
	assert_int_equal(take(e->uac, "SIP/2.0 200 ", NULL, 0), 1);
	/* Timer J (sip.txn_linger) */
	advance(e, 3100);
	assert_int_equal(txn_count(e->r.txns), 0);
	assert_null(txn_find_server(e->r.txns, key));
	ctx_unref(c);
	free(reg);
}

/* ---- client transactions ------------------------------------------------------------------- */

/* branch_ctx: an upstream request from the UAC forwarded on one branch to the UAS. */
static ctx *
branch_ctx_fr(env *e, const char *method, const char *up_branch, const char *our_branch,
    int64_t fr_ms);

static ctx *
branch_ctx(env *e, const char *method, const char *up_branch, const char *our_branch)
{
	return (branch_ctx_fr(e, method, up_branch, our_branch, 0));
}

static ctx *
branch_ctx_fr(env *e, const char *method, const char *up_branch, const char *our_branch,
    int64_t fr_ms)
{
	char *req = request(e, method, up_branch, up_branch);
	ctx *c = server_ctx(e, req);
	free(req);
	pthread_mutex_lock(&c->lock);
	sr_branch *b = &c->br[c->nbr++];
	snprintf(b->id, sizeof(b->id), "z9hG4bK%s", our_branch);
	b->dst = e->uas_a;
	b->fr_ms = fr_ms;
	char *down = malloc(2048);
	int n = snprintf(down, 2048,
	    "%s sip:1002@127.0.0.1:%u SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=%s\r\n"
	    "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK%s;rport\r\n"
	    "Max-Forwards: 69\r\nFrom: <sip:1001@example.com>;tag=from1\r\n"
	    "To: <sip:1002@example.com>\r\nCall-ID: %s@test\r\nCSeq: 1 %s\r\n"
	    "Content-Length: 0\r\n\r\n",
	    method, sr_addr_port(&e->uas_a), e->r.adv_port, b->id, sr_addr_port(&e->uac_a), up_branch,
	    up_branch, method);
	assert_int_equal(txn_branch_send_locked(c, e->w, 0, down, (size_t)n), 0);
	pthread_mutex_unlock(&c->lock);
	return (c);
}

/* respond delivers a response from the UAS as the proxy would: matched by branch. */
static bool
respond(env *e, const char *branch_id, const char *method, int status, bool *is_cancel)
{
	char text[1024];
	int n = snprintf(text, sizeof(text),
	    "SIP/2.0 %d Whatever\r\nVia: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK%s\r\n"
	    "From: <sip:1001@example.com>;tag=from1\r\nTo: <sip:1002@example.com>;tag=uas1\r\n"
	    "Call-ID: x@test\r\nCSeq: 1 %s\r\nContent-Length: 0\r\n\r\n",
	    status, e->r.adv_port, branch_id, method);
	td_sip_msg m;
	assert_int_equal(td_sip_parse(&m, text, (size_t)n), 0);
	char id[64];
	snprintf(id, sizeof(id), "z9hG4bK%s", branch_id);
	int br = -1;
	bool cancel = false;
	td_sip_cseq cs;
	assert_int_equal(td_sip_cseq_get(&m, &cs), 0);
	ctx *c = txn_find_client(e->r.txns, td_sip_str_c(id), cs.method_id, &br, &cancel);
	if (c == NULL) {
		return (false);
	}
	bool pass;
	pthread_mutex_lock(&c->lock);
	if (cancel) {
		txn_cancel_response_locked(c, br, status);
		pass = false;
	} else {
		pass = txn_branch_response_locked(c, e->w, br, &m);
	}
	pthread_mutex_unlock(&c->lock);
	ctx_unref(c);
	if (is_cancel != NULL) {
		*is_cancel = cancel;
	}
	return (pass);
}

static void
test_invite_client_timer_a_then_cancel_and_ack(void **state)
{
	env *e = *state;
	ctx *c = branch_ctx(e, "INVITE", "up5", "dn5");
	assert_int_equal(take(e->uas, "INVITE ", NULL, 0), 1);
	/* Timer A: 0.5, 1, 2 s apart */
	advance(e, 600);
	assert_int_equal(take(e->uas, "INVITE ", NULL, 0), 1);
	advance(e, 1000);
	assert_int_equal(take(e->uas, "INVITE ", NULL, 0), 1);
	advance(e, 2000);
	assert_int_equal(take(e->uas, "INVITE ", NULL, 0), 1);
	/* a provisional stops them */
	assert_true(respond(e, "dn5", "INVITE", 180, NULL));
	assert_int_equal(c->br[0].state, BR_PROCEEDING);
	advance(e, 8000);
	assert_int_equal(take(e->uas, "INVITE ", NULL, 0), 0);

	/* CANCEL goes out at once (a provisional came), with our branch, and is retransmitted */
	pthread_mutex_lock(&c->lock);
	txn_branch_cancel_locked(c, e->w, 0);
	pthread_mutex_unlock(&c->lock);
	char last[4096];
	assert_int_equal(take(e->uas, "CANCEL ", last, sizeof(last)), 1);
	assert_non_null(strstr(last, "branch=z9hG4bKdn5"));
	assert_non_null(strstr(last, "CSeq: 1 CANCEL"));
	advance(e, 520);
	assert_int_equal(take(e->uas, "CANCEL ", NULL, 0), 1);
	bool is_cancel = false;
	assert_false(respond(e, "dn5", "CANCEL", 200, &is_cancel));
	assert_true(is_cancel);
	advance(e, 4000);
	assert_int_equal(take(e->uas, "CANCEL ", NULL, 0), 0);

	/* 487: ACKed hop by hop on the same branch, and passed to the proxy once */
	assert_true(respond(e, "dn5", "INVITE", 487, NULL));
	assert_int_equal(take(e->uas, "ACK ", last, sizeof(last)), 1);
	assert_non_null(strstr(last, "branch=z9hG4bKdn5"));
	assert_non_null(strstr(last, "tag=uas1"));
	assert_non_null(strstr(last, "CSeq: 1 ACK"));
	/* the UAS retransmits its 487: ACK again, not passed up again */
	assert_false(respond(e, "dn5", "INVITE", 487, NULL));
	assert_int_equal(take(e->uas, "ACK ", NULL, 0), 1);
	assert_int_equal(c->br[0].state, BR_COMPLETED);
	/* Timer D (sip.txn_linger) ends the branch; the server side still holds the context */
	advance(e, 5100);
	assert_int_equal(c->br[0].state, BR_TERMINATED);
	assert_false(respond(e, "dn5", "INVITE", 487, NULL)); /* a terminated branch ignores it */
	assert_int_equal(txn_count(e->r.txns), 1);
	pthread_mutex_lock(&c->lock);
	txn_reply_locked(c, e->w, 487, NULL);
	txn_on_ack_locked(c, e->w);
	pthread_mutex_unlock(&c->lock);
	advance(e, 5100);
	assert_int_equal(txn_count(e->r.txns), 0);
	ctx_unref(c);
}

static void
test_cancel_waits_for_a_provisional(void **state)
{
	env *e = *state;
	ctx *c = branch_ctx(e, "INVITE", "up6", "dn6");
	assert_int_equal(take(e->uas, "INVITE ", NULL, 0), 1);
	pthread_mutex_lock(&c->lock);
	txn_branch_cancel_locked(c, e->w, 0);
	pthread_mutex_unlock(&c->lock);
	/* §9.1: no CANCEL before a provisional response */
	assert_int_equal(take(e->uas, "CANCEL ", NULL, 0), 0);
	assert_true(respond(e, "dn6", "INVITE", 100, NULL));
	assert_int_equal(take(e->uas, "CANCEL ", NULL, 0), 1);
	ctx_unref(c);
}

static void
test_invite_client_timer_b_answers_408(void **state)
{
	env *e = *state;
	ctx *c = branch_ctx(e, "INVITE", "up7", "dn7");
	assert_int_equal(take(e->uas, "INVITE ", NULL, 0), 1);
	int sent = 0;
	for (int i = 0; i < 33; i++) {
		advance(e, 1000);
		sent += take(e->uas, "INVITE ", NULL, 0);
	}
	/* Timer A never caps: 0.5 1.5 3.5 7.5 15.5 31.5 */
	assert_int_equal(sent, 6);
	assert_int_equal(c->br[0].state, BR_TERMINATED);
	assert_int_equal(c->br[0].status, 408);
	/* the proxy answered upstream with 408 (no branch gave anything better) at 32 s,
	 * and Timer G sent it again at 32.5 s */
	assert_int_equal(take(e->uac, "SIP/2.0 408 ", NULL, 0), 2);
	assert_int_equal(c->state, SRV_COMPLETED);
	ctx_unref(c);
}

static void
test_non_invite_client_timer_e_f(void **state)
{
	env *e = *state;
	ctx *c = branch_ctx(e, "OPTIONS", "up8", "dn8");
	assert_int_equal(take(e->uas, "OPTIONS ", NULL, 0), 1);
	/* Timer E: 0.5 1 2 4 4 ... (capped at T2) */
	int at[16], n = 0;
	for (int t = 1; t <= 12; t++) {
		advance(e, 1000);
		int k = take(e->uas, "OPTIONS ", NULL, 0);
		for (int j = 0; j < k && n < 16; j++) {
			at[n++] = t;
		}
	}
	/* sent at 0.5 1.5 3.5 7.5 11.5 */
	assert_int_equal(n, 5);
	assert_int_equal(at[4], 12);
	/* a provisional: from now on every T2 */
	assert_true(respond(e, "dn8", "OPTIONS", 100, NULL));
	advance(e, 3900);
	assert_int_equal(take(e->uas, "OPTIONS ", NULL, 0), 1); /* the one due at 15.5 */
	advance(e, 4000);
	assert_int_equal(take(e->uas, "OPTIONS ", NULL, 0), 1);
	/* a final stops them; a retransmitted final is absorbed */
	assert_true(respond(e, "dn8", "OPTIONS", 200, NULL));
	assert_false(respond(e, "dn8", "OPTIONS", 200, NULL));
	advance(e, 8000);
	assert_int_equal(take(e->uas, "OPTIONS ", NULL, 0), 0);
	ctx_unref(c);

	/* Timer F: no answer at all, 408 upstream after 64*T1 */
	c = branch_ctx(e, "OPTIONS", "up9", "dn9");
	advance(e, 31000);
	assert_int_equal(take(e->uac, "SIP/2.0 408 ", NULL, 0), 0);
	advance(e, 1100);
	assert_int_equal(take(e->uac, "SIP/2.0 408 ", NULL, 0), 1);
	assert_int_equal(c->br[0].status, 408);
	ctx_unref(c);
}

static void
test_failover_timeout(void **state)
{
	env *e = *state;
	/* a serially tried target that says nothing at all is given up after fr_ms */
	ctx *c = branch_ctx_fr(e, "INVITE", "up10", "dn10", 3000);
	advance(e, 2900);
	assert_int_equal(c->br[0].state, BR_CALLING);
	advance(e, 200);
	assert_int_equal(c->br[0].state, BR_TERMINATED);
	assert_int_equal(c->br[0].status, 408);
	assert_int_equal(take(e->uac, "SIP/2.0 408 ", NULL, 0), 1);
	pthread_mutex_lock(&c->lock);
	txn_on_ack_locked(c, e->w); /* the caller ACKs the 408 */
	pthread_mutex_unlock(&c->lock);
	ctx_unref(c);

	/* one that said 100 Trying is alive: only Timer C applies from then on */
	c = branch_ctx_fr(e, "INVITE", "up11", "dn11", 3000);
	advance(e, 100);
	assert_true(respond(e, "dn11", "INVITE", 100, NULL));
	advance(e, 40000);
	assert_int_equal(c->br[0].state, BR_PROCEEDING);
	assert_int_equal(take(e->uac, "SIP/2.0 408 ", NULL, 0), 0);
	ctx_unref(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_server_keys, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reply_address, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_invite_server_non2xx_until_ack, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_invite_server_timer_h, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_invite_server_2xx_accepted, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_non_invite_server, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_invite_client_timer_a_then_cancel_and_ack, setup,
	        teardown),
	    cmocka_unit_test_setup_teardown(test_cancel_waits_for_a_provisional, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_invite_client_timer_b_answers_408, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_non_invite_client_timer_e_f, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_failover_timeout, setup, teardown),
	};
	return (cmocka_run_group_tests_name("sip-router transactions", tests, NULL, NULL));
}
