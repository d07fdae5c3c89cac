/* SPDX-License-Identifier: MIT */
/* The proxy core: messages in (requests, ACK, CANCEL, responses) and replies (see proxy.h). */
#include "proxy.h"
#include "proxy_int.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "dialog.h"
#include "ratelimit.h"
#include "sip/check.h"
#include "sip/frame.h"
#include "sip/uri.h"

static const char *const supported_tags[] = {"path", "outbound", "replaces", "timer", NULL};
/* ---- helpers ----------------------------------------------------------------------------- */

static void
count_request(sr *r, td_sip_method m)
{
	td_counter_inc(r->m.req[(int)m < 16 ? (int)m : 0]);
}

bool
sr_is_us(const sr *r, const char *host, size_t hlen, uint16_t port)
{
	if (port == 0) {
		port = 5060;
	}
	const char *ah = r->adv_host;
	size_t al = strlen(ah);
	if (al >= 2 && ah[0] == '[') {
		ah++;
		al -= 2;
	}
	if (hlen >= 2 && host[0] == '[') {
		host++;
		hlen -= 2;
	}
	if (hlen == al && strncasecmp(host, ah, hlen) == 0 && port == r->adv_port) {
		return (true);
	}
	sr_addr a;
	if (sr_addr_parse(&a, host, hlen, port, SR_UDP) != 0) {
		return (false);
	}
	for (int i = 0; i < r->nlisten; i++) {
		const sr_addr *l = &r->listen[i].addr;
		if (sr_addr_port(l) != port) {
			continue;
		}
		if (sr_addr_same_host(l, &a)) {
			return (true);
		}
		/* A wildcard listener: any local address of the family; the
		 * loopback address is the one we can be sure of. */
		char lh[64], ah2[64];
		sr_addr_host(l, lh, sizeof(lh));
		sr_addr_host(&a, ah2, sizeof(ah2));
		if ((strcmp(lh, "0.0.0.0") == 0 && strncmp(ah2, "127.", 4) == 0) ||
		    (strcmp(lh, "::") == 0 && strcmp(ah2, "::1") == 0)) {
			return (true);
		}
	}
	return (false);
}

static void
reply_headers(sr *r, char *out, size_t len, const char *extra)
{
	snprintf(out, len, "Server: %s\r\n%s", r->cfg->server_name, extra ? extra : "");
}

/* stateless_reply answers a request without a transaction (errors before one exists). */
static void
stateless_reply(worker *w, const td_sip_msg *m, const sr_addr *src, uint32_t conn_id,
    int status, const char *reason, const char *extra)
{
	sr *r = w->r;
	if (m->method_id == TD_SIP_ACK) {
		return; /* an ACK is never answered */
	}
	char hdrs[1024], host[64];
	reply_headers(r, hdrs, sizeof(hdrs), extra);
	td_sip_resp_opts o = {.reason = reason, .headers = hdrs};
	td_sip_via v;
	if (td_sip_via_top(m, &v) == 0 && v.has_rport) {
		o.rport = sr_addr_port(src);
		o.received = td_sip_str_c(sr_addr_host(src, host, sizeof(host)));
	}
	char tag[24];
	snprintf(tag, sizeof(tag), "tds%08x", randombytes_random());
	o.to_tag = td_sip_str_c(tag);
	td_buf b;
	td_buf_init(&b, 256 * 1024);
	sr_addr to;
	txn_reply_addr(r, m, src, &to);
	if (td_sip_build_response(&b, m, status, &o) == 0) {
		if (tp_send(r->tp, w, &to, conn_id, b.data, b.len) == 0) {
			sr_count_response(&r->m, m->method_id, status);
		}
	}
	td_buf_free(&b);
}

void
proxy_reply_locked(ctx *c, worker *w, int status, const char *reason, const char *headers)
{
	char hdrs[4096];
	reply_headers(c->r, hdrs, sizeof(hdrs), headers);
	td_sip_resp_opts o = {.reason = reason, .headers = hdrs};
	txn_reply_locked(c, w, status, &o);
	sr_count_response(&c->r->m, c->method, status);
}

/* px_strip_top_via copies response m without its first Via value (ours) into b. */
int
px_strip_top_via(const td_sip_msg *m, td_buf *b)
{
	const td_sip_hdr *h = td_sip_hdr_first(m, TD_SIP_H_VIA);
	if (h == NULL) {
		return (TD_EPROTO);
	}
	size_t pos = 0;
	td_sip_via v;
	if (td_sip_via_parse(h->value, &pos, &v) != 0) {
		return (TD_EPROTO);
	}
	const char *line = h->name.p, *line_end = h->name.p + h->raw_len;
	if (pos >= h->value.n) {
		/* The line held only our value: drop the whole line. */
		td_buf_append(b, m->buf, (size_t)(line - m->buf));
		td_buf_append(b, line_end, (size_t)(m->buf + m->len - line_end));
	} else {
		/* "Via: ours, theirs": drop "ours," and the blanks after it. */
		const char *cut = h->value.p, *resume = h->value.p + pos;
		while (resume < line_end && (*resume == ' ' || *resume == '\t')) {
			resume++;
		}
		td_buf_append(b, m->buf, (size_t)(cut - m->buf));
		td_buf_append(b, resume, (size_t)(m->buf + m->len - resume));
	}
	return (td_buf_failed(b) ? TD_ENOMEM : TD_OK);
}

/* px_via_is_ours: the top Via's sent-by is our advertised address. */
bool
px_via_is_ours(sr *r, const td_sip_via *v)
{
	return (sr_is_us(r, v->host.p, v->host.n, v->port));
}

/* ---- requests: entry ------------------------------------------------------------------------------ */

static void
on_ack(worker *w, const td_sip_msg *m, const sr_addr *src)
{
	sr *r = w->r;
	char key[TXN_KEY_MAX];
	if (txn_server_key(m, key, sizeof(key)) == 0) {
		ctx *c = txn_find_server(r->txns, key);
		if (c != NULL) {
			pthread_mutex_lock(&c->lock);
			bool hop = c->state == SRV_COMPLETED || c->state == SRV_CONFIRMED;
			txn_on_ack_locked(c, w);
			pthread_mutex_unlock(&c->lock);
			ctx_unref(c);
			if (hop) {
				return; /* ACK for our non-2xx: it ends here */
			}
		}
	}
	/* ACK for a 2xx is end to end: forward it statelessly along its Route. */
	td_sip_iter it;
	td_sip_addr ra;
	bool pop = false;
	td_sip_str next = m->ruri;
	td_sip_iter_init(&it, m, TD_SIP_H_ROUTE);
	if (td_sip_addr_next(&it, &ra) == 1) {
		td_sip_uri ru;
		if (td_sip_uri_parse(ra.uri, &ru) == 0 && sr_is_us(r, ru.host.p, ru.host.n, ru.port)) {
			pop = true;
			if (td_sip_addr_next(&it, &ra) == 1) {
				next = ra.uri;
			}
		} else {
			next = ra.uri;
		}
	}
	target t;
	td_sip_uri nu;
	if (td_sip_uri_parse(next, &nu) != 0 ||
	    sr_is_us(r, nu.host.p, nu.host.n, nu.port) || px_uri_target(r, next.p, next.n, &t) != 0) {
		return; /* nowhere to send it (or a loop back to us): drop */
	}
	char branch[TD_SIP_BRANCH_MAX], sent_by[300], host[64];
	if (td_sip_branch_stateless(branch, sizeof(branch), m, r->branch_key,
	        sizeof(r->branch_key)) < 0) {
		return;
	}
	snprintf(sent_by, sizeof(sent_by), "%s:%u", r->adv_host, r->adv_port);
	td_sip_fwd_opts o = {.via_transport = sr_proto_name((sr_proto)t.dst.proto),
	    .via_sent_by = td_sip_str_c(sent_by), .branch = td_sip_str_c(branch),
	    .via_rport = true, .pop_route = pop};
	td_sip_via v;
	if (td_sip_via_top(m, &v) == 0 && v.has_rport) {
		o.rport = sr_addr_port(src);
		o.received = td_sip_str_c(sr_addr_host(src, host, sizeof(host)));
	}
	td_buf b;
	td_buf_init(&b, (size_t)r->cfg->max_message + 4096);
	if (td_sip_build_forward(&b, m, &o) == 0 && tp_send(r->tp, w, &t.dst, 0, b.data, b.len) == 0) {
		td_counter_inc(r->m.stateless_fwd);
	}
	td_buf_free(&b);
}

static void
on_cancel(worker *w, const td_sip_msg *m, const sr_addr *src, uint32_t conn_id)
{
	sr *r = w->r;
	char key[TXN_KEY_MAX];
	if (txn_server_key(m, key, sizeof(key)) != 0) {
		stateless_reply(w, m, src, conn_id, 400, "Bad Via", NULL);
		return;
	}
	/* The INVITE it cancels has the same key but for the method. */
	size_t kl = strlen(key);
	if (kl < 6 || strcmp(key + kl - 6, "CANCEL") != 0) {
		stateless_reply(w, m, src, conn_id, 481, NULL, NULL);
		return;
	}
	snprintf(key + kl - 6, sizeof(key) - (kl - 6), "INVITE");
	ctx *c = txn_find_server(r->txns, key);
	if (c == NULL) {
		stateless_reply(w, m, src, conn_id, 481, "Call/Transaction Does Not Exist", NULL);
		return;
	}
	stateless_reply(w, m, src, conn_id, 200, NULL, NULL);
	pthread_mutex_lock(&c->lock);
	if (!c->final_sent && !c->cancelled) {
		c->cancelled = true;
		int live = 0;
		for (int i = 0; i < c->nbr; i++) {
			if (c->br[i].state == BR_CALLING || c->br[i].state == BR_PROCEEDING) {
				txn_branch_cancel_locked(c, w, i);
				live++;
			}
		}
		if (live == 0) {
			c->final_sent = true;
			proxy_reply_locked(c, w, 487, "Request Terminated", NULL);
			if (c->dlg != NULL) {
				dlg_failed(r->dlgs, c->dlg, 487, true);
			}
		}
	}
	pthread_mutex_unlock(&c->lock);
	ctx_unref(c);
}

static void
on_request(worker *w, td_sip_msg *m, const sr_addr *src, const sr_addr *local, uint32_t conn_id)
{
	sr *r = w->r;
	count_request(r, m->method_id);
	td_sip_check_opts co = {.role = TD_SIP_ROLE_PROXY, .supported = supported_tags};
	if (m->method_id == TD_SIP_REGISTER) {
		co.role = TD_SIP_ROLE_REGISTRAR;
	}
	td_sip_verdict v;
	int st = td_sip_check_request(m, &co, &v);
	if (st != 0 && st != 483) {
		char extra[512] = "";
		if (st == 420) {
			td_sip_unsupported_line(&v, extra, sizeof(extra));
		}
		td_counter_inc(r->m.parse_errors);
		stateless_reply(w, m, src, conn_id, st, v.reason, extra);
		return;
	}
	if (m->method_id == TD_SIP_ACK) {
		on_ack(w, m, src);
		return;
	}
	if (m->method_id == TD_SIP_CANCEL) {
		on_cancel(w, m, src, conn_id);
		return;
	}
	char key[TXN_KEY_MAX];
	if (txn_server_key(m, key, sizeof(key)) != 0) {
		stateless_reply(w, m, src, conn_id, 400, "Bad Via", NULL);
		return;
	}
	ctx *c = txn_find_server(r->txns, key);
	if (c != NULL) {
		pthread_mutex_lock(&c->lock);
		txn_on_retransmission_locked(c, w);
		pthread_mutex_unlock(&c->lock);
		ctx_unref(c);
		return;
	}
	if (st == 483) {
		stateless_reply(w, m, src, conn_id, 483, "Too Many Hops", NULL);
		return;
	}
	char lh[17];
	px_loop_hash(r, m, lh);
	if (px_is_loop(r, m, lh)) {
		stateless_reply(w, m, src, conn_id, 482, "Loop Detected", NULL);
		return;
	}
	c = ctx_new(r, CTX_PROXY, m, key, src, local, conn_id);
	pthread_mutex_lock(&c->lock);
	if (txn_insert(r->txns, c) != 0) {
		/* The same request arrived on another worker a moment ago. */
		pthread_mutex_unlock(&c->lock);
		ctx_unref(c);
		return;
	}
	if (m->method_id == TD_SIP_INVITE) {
		proxy_reply_locked(c, w, 100, "Trying", NULL); /* stop the caller's Timer A */
	}
	px_route_locked(c, w, m);
	pthread_mutex_unlock(&c->lock);
	ctx_unref(c);
}

/* stateless_response relays a response no transaction knows (e.g. a 2xx retransmission). */
static void
stateless_response(worker *w, const td_sip_msg *m)
{
	sr *r = w->r;
	td_sip_iter it;
	td_sip_via v;
	td_sip_iter_init(&it, m, TD_SIP_H_VIA);
	if (td_sip_via_next(&it, &v) != 1 || !px_via_is_ours(r, &v) || td_sip_via_next(&it, &v) != 1) {
		return;
	}
	/* The next hop is the second Via: received/rport when present (§18.2.2). */
	td_sip_str host = v.has_received ? v.received : v.host;
	uint16_t port = v.port;
	if (v.has_rport && v.rport.n > 0) {
		port = (uint16_t)atoi(v.rport.p);
	}
	sr_addr dst;
	sr_proto proto = td_sip_str_caseeq_c(v.transport, "TCP") ? SR_TCP : SR_UDP;
	if (sr_addr_parse(&dst, host.p, host.n, port, proto) != 0) {
		return;
	}
	td_buf b;
	td_buf_init(&b, (size_t)r->cfg->max_message + 4096);
	if (px_strip_top_via(m, &b) == 0 && tp_send(r->tp, w, &dst, 0, b.data, b.len) == 0) {
		td_counter_inc(r->m.stateless_fwd);
	}
	td_buf_free(&b);
}

static void
on_response(worker *w, td_sip_msg *m)
{
	sr *r = w->r;
	td_sip_verdict v;
	td_sip_check_opts co = {.role = TD_SIP_ROLE_PROXY};
	if (td_sip_check_response(m, &co, &v) != 0) {
		td_counter_inc(r->m.parse_errors);
		return;
	}
	td_sip_via via;
	td_sip_cseq cs;
	if (td_sip_via_top(m, &via) != 0 || !via.has_branch || td_sip_cseq_get(m, &cs) != 0) {
		return;
	}
	int br;
	bool is_cancel;
	ctx *c = txn_find_client(r->txns, via.branch, cs.method_id, &br, &is_cancel);
	if (c == NULL) {
		stateless_response(w, m);
		return;
	}
	pthread_mutex_lock(&c->lock);
	if (is_cancel) {
		txn_cancel_response_locked(c, br, m->status);
	} else if (txn_branch_response_locked(c, w, br, m)) {
		px_branch_response(c, w, br, m);
	}
	txn_maybe_done_locked(c);
	pthread_mutex_unlock(&c->lock);
	ctx_unref(c);
}

/* ---- entry points ---------------------------------------------------------------------------------- */

bool
proxy_admit(worker *w, const sr_addr *src)
{
	sr *r = w->r;
	if (rl_allow(r->rl, src, w->now_ms) || auth_is_trusted(r, src)) {
		return (true);
	}
	td_counter_inc(r->m.rate_limited);
	return (false);
}

void
proxy_on_msg(worker *w, td_sip_msg *m, int frame_rv, const sr_addr *src, const sr_addr *local,
    uint32_t conn_id)
{
	sr *r = w->r;
	if (frame_rv < 0 || frame_rv == TD_SIP_FRAME_BAD) {
		td_counter_inc(r->m.parse_errors);
		if (frame_rv == TD_ETOOBIG) {
			td_counter_inc(r->m.oversize);
		}
		if (m->is_request && m->err_status >= 400 && m->method.n > 0) {
			stateless_reply(w, m, src, conn_id, m->err_status, m->err_reason, NULL);
		}
		return;
	}
	if (m->is_request) {
		on_request(w, m, src, local, conn_id);
	} else {
		on_response(w, m);
	}
}
