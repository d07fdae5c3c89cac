/* SPDX-License-Identifier: MIT */
/* The proxy core: requests, responses, routing, forking, CANCEL (see proxy.h). */
#include "proxy.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "dialog.h"
#include "fspool.h"
#include "location.h"
#include "log/log.h"
#include "ratelimit.h"
#include "registrar.h"
#include "routing.h"
#include "sip/check.h"
#include "sip/hdr.h"
#include "sip/uri.h"
#include "sr.h"
#include "util/clock.h"
#include "util/mem.h"
#include "worker.h"

#define MAX_TARGETS TXN_MAX_BRANCHES
#define LOOP_TAG "z9hG4bKtd"

/* Where a request may go, in order (serial) or all at once (parallel). */
typedef struct target {
	char ruri[LOC_MAX_URI + 64];
	sr_addr dst;
	int fs_node; /* FreeSWITCH node index, or -1 */
} target;

typedef enum preq_kind { PREQ_ROUTE = 1, PREQ_PROBE } preq_kind;

typedef struct preq {
	preq_kind kind;
	target t[MAX_TARGETS];
	int nt;
	int next;          /* serial: next target to try */
	bool serial;
	bool record_route;
	bool pop_route;
	uint32_t fs_tried; /* FreeSWITCH nodes tried (bitmask) */
	int probe_node;    /* PREQ_PROBE: which node */
	int64_t probe_t0;
	char loop_hash[17];
	uint32_t rnd;      /* branch uniqueness within this request */
	char kind_name[16];
} preq;

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
	if (td_sip_build_response(&b, m, status, &o) == 0) {
		if (tp_send(r->tp, w, src, conn_id, b.data, b.len) == 0) {
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

/* strip_top_via copies response m without its first Via value (ours) into b. */
static int
strip_top_via(const td_sip_msg *m, td_buf *b)
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

/* via_is_ours: the top Via's sent-by is our advertised address. */
static bool
via_is_ours(sr *r, const td_sip_via *v)
{
	return (sr_is_us(r, v->host.p, v->host.n, v->port));
}

/* loop_hash: what identifies this request for loop detection (§16.3.4). */
static void
loop_hash(sr *r, const td_sip_msg *m, char out[17])
{
	crypto_generichash_state st;
	uint8_t h[8];
	td_sip_ids id;
	td_sip_ids_get(m, &id);
	td_sip_str cid = id.call_id, ft = id.from_tag, tt = id.to_tag;
	td_sip_cseq cs = id.cseq;
	crypto_generichash_init(&st, r->branch_key, sizeof(r->branch_key), sizeof(h));
	crypto_generichash_update(&st, (const uint8_t *)m->ruri.p, m->ruri.n);
	crypto_generichash_update(&st, (const uint8_t *)"\n", 1);
	if (cid.p) {
		crypto_generichash_update(&st, (const uint8_t *)cid.p, cid.n);
	}
	crypto_generichash_update(&st, (const uint8_t *)"\n", 1);
	if (ft.p) {
		crypto_generichash_update(&st, (const uint8_t *)ft.p, ft.n);
	}
	crypto_generichash_update(&st, (const uint8_t *)"\n", 1);
	if (tt.p) {
		crypto_generichash_update(&st, (const uint8_t *)tt.p, tt.n);
	}
	crypto_generichash_update(&st, (const uint8_t *)&cs.num, sizeof(cs.num));
	crypto_generichash_final(&st, h, sizeof(h));
	sodium_bin2hex(out, 17, h, sizeof(h));
}

/* is_loop: one of the Vias is ours with this request's loop hash (a loop, not a spiral). */
static bool
is_loop(sr *r, const td_sip_msg *m, const char *hash)
{
	td_sip_iter it;
	td_sip_via v;
	td_sip_iter_init(&it, m, TD_SIP_H_VIA);
	while (td_sip_via_next(&it, &v) == 1) {
		if (v.has_branch && v.branch.n >= sizeof(LOOP_TAG) - 1 + 16 &&
		    memcmp(v.branch.p, LOOP_TAG, sizeof(LOOP_TAG) - 1) == 0 && via_is_ours(r, &v) &&
		    memcmp(v.branch.p + sizeof(LOOP_TAG) - 1, hash, 16) == 0) {
			return (true);
		}
	}
	return (false);
}

/* ---- requests: forwarding --------------------------------------------------------------------- */

static void
preq_free(void *p)
{
	free(p);
}

static preq *
preq_of(ctx *c)
{
	if (c->pctx == NULL) {
		preq *p = TD_NEW(preq);
		for (int i = 0; i < MAX_TARGETS; i++) {
			p->t[i].fs_node = -1;
		}
		p->rnd = randombytes_random();
		c->pctx = p;
		c->pctx_free = preq_free;
	}
	return (c->pctx);
}

/* uri_target fills t->dst from a SIP URI (numeric hosts; names resolved, blocking). */
static int
uri_target(const char *uri, size_t ulen, target *t)
{
	td_sip_uri u;
	if (td_sip_uri_parse((td_sip_str){uri, ulen}, &u) != 0 || u.host.n == 0) {
		return (TD_EINVAL);
	}
	sr_proto proto = SR_UDP;
	if (u.transport.n > 0 && td_sip_str_caseeq_c(u.transport, "tcp")) {
		proto = SR_TCP;
	}
	td_sip_str host = u.maddr.n ? u.maddr : u.host;
	if (sr_addr_parse(&t->dst, host.p, host.n, u.port, proto) != 0) {
		char h[256];
		snprintf(h, sizeof(h), "%.*s", (int)host.n, host.p);
		if (sr_addr_resolve(&t->dst, h, u.port, proto) != 0) {
			return (TD_ENOTFOUND);
		}
	}
	return (TD_OK);
}

/*
 * forward_branch builds request m for target ti and sends it on a new
 * branch.  Returns the branch index or -1 (the caller then answers).
 */
static int
forward_branch(ctx *c, worker *w, const td_sip_msg *m, int ti)
{
	sr *r = c->r;
	preq *p = c->pctx;
	target *t = &p->t[ti];
	if (c->nbr == TXN_MAX_BRANCHES) {
		return (-1);
	}
	int bi = c->nbr++;
	sr_branch *b = &c->br[bi];
	memset(b, 0, sizeof(*b));
	b->target = ti;
	b->dst = t->dst;
	if (p->serial) {
		b->fr_ms = r->cfg->fr_timeout_ms;
	}
	snprintf(b->id, sizeof(b->id), "%s%s.%08x.%d", LOOP_TAG, p->loop_hash, p->rnd, bi);
	char sent_by[300], rr[320];
	snprintf(sent_by, sizeof(sent_by), "%s:%u", r->adv_host, r->adv_port);
	snprintf(rr, sizeof(rr), "sip:%s:%u;lr%s", r->adv_host, r->adv_port,
	    (t->dst.proto == SR_TCP || c->src.proto == SR_TCP) ? ";transport=tcp" : "");
	td_sip_fwd_opts o = {
	    .ruri = td_sip_str_c(t->ruri),
	    .via_transport = sr_proto_name((sr_proto)t->dst.proto),
	    .via_sent_by = td_sip_str_c(sent_by),
	    .branch = td_sip_str_c(b->id),
	    .via_rport = true,
	    .record_route = p->record_route ? td_sip_str_c(rr) : TD_SIP_STR_NULL,
	    .pop_route = p->pop_route,
	};
	char host[64];
	td_sip_via v;
	if (td_sip_via_top(m, &v) == 0 && v.has_rport) {
		o.rport = sr_addr_port(&c->src);
		o.received = td_sip_str_c(sr_addr_host(&c->src, host, sizeof(host)));
	}
	td_buf fb;
	td_buf_init(&fb, (size_t)r->cfg->max_message + 4096);
	if (td_sip_build_forward(&fb, m, &o) != 0) {
		td_buf_free(&fb);
		b->state = BR_TERMINATED;
		b->status = 500;
		return (-1);
	}
	size_t len;
	char *req = td_buf_steal(&fb, &len);
	if (t->fs_node >= 0) {
		fs_call_begin(r->fs, t->fs_node);
	}
	if (txn_branch_send_locked(c, w, bi, req, len) != 0) {
		if (t->fs_node >= 0) {
			fs_result(r->fs, t->fs_node, false, 0);
			fs_call_end(r->fs, t->fs_node);
		}
		return (-1);
	}
	return (bi);
}

/* reparse gives the stored request back as a parsed message. */
static int
reparse(ctx *c, td_sip_msg *m)
{
	return (td_sip_parse(m, c->req, c->req_len));
}

/* try_next sends the request to the next serial target; false when none is left. */
static bool
try_next(ctx *c, worker *w)
{
	preq *p = c->pctx;
	td_sip_msg m;
	if (p == NULL || reparse(c, &m) != 0) {
		return (false);
	}
	while (p->next < p->nt) {
		int ti = p->next++;
		if (forward_branch(c, w, &m, ti) >= 0) {
			return (true);
		}
	}
	return (false);
}

/* start_forwarding: the targets are set; send in parallel or the first serial one. */
static void
start_forwarding(ctx *c, worker *w, const td_sip_msg *m)
{
	preq *p = c->pctx;
	loop_hash(c->r, m, p->loop_hash);
	if (p->serial) {
		if (!try_next(c, w)) {
			proxy_reply_locked(c, w, 503, "No Route Available", NULL);
		}
		return;
	}
	int sent = 0;
	for (int i = 0; i < p->nt; i++) {
		if (forward_branch(c, w, m, i) >= 0) {
			sent++;
		}
	}
	if (sent == 0) {
		proxy_reply_locked(c, w, 480, "Temporarily Unavailable", NULL);
	}
}

/* ---- requests: routing ---------------------------------------------------------------------------- */

static void
copy_str(char *out, size_t cap, td_sip_str s)
{
	size_t n = s.n < cap - 1 ? s.n : cap - 1;
	if (n > 0) {
		memcpy(out, s.p, n);
	}
	out[n] = '\0';
}

/* is_private: an address a phone behind NAT would put in its Contact. */
static bool
is_private(const sr_addr *a)
{
	static const char *const nets[] = {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
	    "100.64.0.0/10", "169.254.0.0/16", "fc00::/7", "fe80::/10"};
	for (size_t i = 0; i < sizeof(nets) / sizeof(nets[0]); i++) {
		sr_cidr c;
		if (sr_cidr_parse(&c, nets[i]) == 0 && sr_cidr_match(&c, &a->u.sa)) {
			return (true);
		}
	}
	return (false);
}

/*
 * binding_target: where to send a request for a registered contact.  The
 * address the REGISTER came from ("received") when the phone is reached
 * through its own flow: over TCP (its connection), with RFC 5626 outbound
 * (reg-id), or behind NAT (a private Contact address other than the
 * source).  Otherwise the Contact itself, so that a phone registered by a
 * third party, or sending from another port than it listens on, is reached
 * where it said.
 */
static int
binding_target(const loc_binding *b, target *t)
{
	sr_addr rx;
	bool have_rx = false;
	const char *colon = strrchr(b->received, ':');
	if (b->received[0] && colon != NULL) {
		have_rx = sr_addr_parse(&rx, b->received, (size_t)(colon - b->received),
		              (uint16_t)atoi(colon + 1), b->transport == LOC_TCP ? SR_TCP : SR_UDP) == 0;
	}
	bool contact_ok = uri_target(t->ruri, strlen(t->ruri), t) == 0;
	if (have_rx && (!contact_ok || b->transport == LOC_TCP || b->reg_id != 0 ||
	                   (is_private(&t->dst) && !sr_addr_same_host(&t->dst, &rx)))) {
		t->dst = rx;
		return (TD_OK);
	}
	return (contact_ok ? TD_OK : TD_ENOTFOUND);
}

/* route_user: every registered contact of user@domain, in parallel. */
static int
route_user(ctx *c, const char *user, const char *domain, preq *p)
{
	loc_binding *bs = td_xcalloc(LOC_MAX_PER_AOR, sizeof(loc_binding));
	char aor[LOC_MAX_AOR];
	snprintf(aor, sizeof(aor), "%s@%s", user, domain);
	int n = 0, rv = loc_lookup(c->r->loc, aor, bs, LOC_MAX_PER_AOR, &n);
	if (rv != 0) {
		free(bs);
		return (rv);
	}
	for (int i = 0; i < n && p->nt < MAX_TARGETS; i++) {
		target *t = &p->t[p->nt];
		snprintf(t->ruri, sizeof(t->ruri), "%s", bs[i].contact);
		if (binding_target(&bs[i], t) == 0) {
			t->fs_node = -1;
			p->nt++;
		}
	}
	free(bs);
	return (TD_OK);
}

/* route_media: the FreeSWITCH pool, tried in turn. */
static void
route_media(ctx *c, const td_sip_msg *m, const char *number, preq *p)
{
	sr *r = c->r;
	td_sip_ids id;
	td_sip_ids_get(m, &id);
	td_sip_str cid = id.call_id;
	p->serial = true;
	uint32_t tried = 0;
	for (int k = 0; k < fs_count(r->fs) && p->nt < MAX_TARGETS; k++) {
		int idx = fs_pick(r->fs, cid.p, cid.n, tried);
		if (idx < 0) {
			break;
		}
		tried |= 1u << idx;
		const fs_node *n = fs_node_at(r->fs, idx);
		target *t = &p->t[p->nt++];
		snprintf(t->ruri, sizeof(t->ruri), "sip:%s@%s", number, n->hostport);
		t->dst = n->addr;
		t->fs_node = idx;
	}
}

/* route_trunk: trunks for an outbound prefix, in turn (healthy first, by priority). */
static void
route_trunk(const rt_target *tg, preq *p)
{
	p->serial = true;
	for (int i = 0; i < tg->ntrunks && p->nt < MAX_TARGETS; i++) {
		const rt_trunk *tk = &tg->trunks[i];
		target *t = &p->t[p->nt];
		sr_proto proto = tk->transport == RT_TP_TCP ? SR_TCP : SR_UDP;
		char hp[300];
		if (tk->port) {
			snprintf(hp, sizeof(hp), "%s:%u", tk->host, tk->port);
		} else {
			snprintf(hp, sizeof(hp), "%s", tk->host);
		}
		snprintf(t->ruri, sizeof(t->ruri), "sip:%s@%s%s", tk->number, hp,
		    proto == SR_TCP ? ";transport=tcp" : "");
		if (uri_target(t->ruri, strlen(t->ruri), t) == 0) {
			t->fs_node = -1;
			p->nt++;
		}
	}
}

static const char *
kind_name(rt_kind k)
{
	switch (k) {
	case RT_USER: return ("user");
	case RT_QUEUE: return ("queue");
	case RT_IVR: return ("ivr");
	case RT_VOICEMAIL: return ("voicemail");
	case RT_CONFERENCE: return ("conference");
	case RT_TRUNK_OUT: return ("trunk_out");
	}
	return ("");
}

/* starts_dialog: requests we record-route and authenticate when initial. */
static bool
starts_dialog(td_sip_method m)
{
	return (m == TD_SIP_INVITE || m == TD_SIP_SUBSCRIBE || m == TD_SIP_REFER);
}

static bool
needs_auth(td_sip_method m)
{
	return (m == TD_SIP_INVITE || m == TD_SIP_MESSAGE || m == TD_SIP_SUBSCRIBE ||
	        m == TD_SIP_REFER || m == TD_SIP_PUBLISH || m == TD_SIP_INFO || m == TD_SIP_UPDATE);
}

static void
options_to_us(ctx *c, worker *w)
{
	proxy_reply_locked(c, w, 200, NULL,
	    "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, MESSAGE, SUBSCRIBE, NOTIFY, "
	    "REFER, INFO, UPDATE, PRACK\r\nAccept: application/sdp\r\n"
	    "Supported: path, outbound, replaces, timer\r\n");
}

/*
 * route_request decides where c's request goes and starts forwarding, or
 * answers.  Called with ctx->lock held, the request parsed in m.
 */
static void
route_request(ctx *c, worker *w, const td_sip_msg *m)
{
	sr *r = c->r;
	preq *p = preq_of(c);
	td_sip_ids id;
	td_sip_ids_get(m, &id);
	bool in_dialog = id.to_tag.n > 0;
	p->record_route = starts_dialog(m->method_id) && !in_dialog;

	/* Loose routing (§16.4): a top Route naming us is ours to remove. */
	td_sip_iter it;
	td_sip_addr ra;
	td_sip_iter_init(&it, m, TD_SIP_H_ROUTE);
	if (td_sip_addr_next(&it, &ra) == 1) {
		td_sip_uri ru;
		if (td_sip_uri_parse(ra.uri, &ru) == 0 && sr_is_us(r, ru.host.p, ru.host.n, ru.port)) {
			p->pop_route = true;
			if (td_sip_addr_next(&it, &ra) != 1) {
				ra.uri = TD_SIP_STR_NULL;
			}
		}
		if (ra.uri.n > 0) {
			/* More Route: the next hop is its first URI; the R-URI stays. */
			target *t = &p->t[0];
			copy_str(t->ruri, sizeof(t->ruri), m->ruri);
			if (uri_target(ra.uri.p, ra.uri.n, t) != 0) {
				proxy_reply_locked(c, w, 404, "Route Not Resolvable", NULL);
				return;
			}
			t->fs_node = -1;
			p->nt = 1;
			if (m->method_id == TD_SIP_BYE) {
				dlg_on_bye(r->dlgs, m);
			}
			start_forwarding(c, w, m);
			return;
		}
	}

	td_sip_uri u;
	if (td_sip_uri_parse(m->ruri, &u) != 0) {
		proxy_reply_locked(c, w, 400, "Bad Request-URI", NULL);
		return;
	}
	bool uri_is_us = sr_is_us(r, u.host.p, u.host.n, u.port);
	if (in_dialog && m->method_id != TD_SIP_REGISTER) {
		/*
		 * Inside a dialog we only relay what our Record-Route brought back
		 * (as Kamailio's loose_route()): to the remote target in the
		 * Request-URI.  Anything else would make us an open relay.
		 */
		if (!p->pop_route || uri_is_us) {
			proxy_reply_locked(c, w, 404, "Not Here", NULL);
			return;
		}
		target *t = &p->t[0];
		copy_str(t->ruri, sizeof(t->ruri), m->ruri);
		if (uri_target(m->ruri.p, m->ruri.n, t) != 0) {
			proxy_reply_locked(c, w, 404, "Remote Target Not Resolvable", NULL);
			return;
		}
		t->fs_node = -1;
		p->nt = 1;
		if (m->method_id == TD_SIP_BYE) {
			dlg_on_bye(r->dlgs, m);
		}
		start_forwarding(c, w, m);
		return;
	}
	char domain[128], user[128];
	copy_str(user, sizeof(user), u.user);
	copy_str(domain, sizeof(domain), u.host);
	if (uri_is_us) {
		/* Addressed to our IP: use the configured domain, else the caller's. */
		td_sip_addr fa;
		td_sip_uri fu;
		if (r->cfg->default_domain[0]) {
			snprintf(domain, sizeof(domain), "%s", r->cfg->default_domain);
		} else if (td_sip_from(m, &fa) == 0 && td_sip_uri_parse(fa.uri, &fu) == 0) {
			copy_str(domain, sizeof(domain), fu.host);
		}
	}
	bool local = rt_is_local(r->rt, domain, strlen(domain));

	if (m->method_id == TD_SIP_REGISTER) {
		if (local || uri_is_us) {
			registrar_handle_locked(c, w, m, domain);
		} else {
			proxy_reply_locked(c, w, 403, "Not Our Domain", NULL);
		}
		return;
	}
	if ((uri_is_us || local) && !u.has_user) {
		if (m->method_id == TD_SIP_OPTIONS) {
			options_to_us(c, w);
		} else {
			proxy_reply_locked(c, w, 404, "Not Found", NULL);
		}
		return;
	}
	if (!local) {
		proxy_reply_locked(c, w, 403, "Relaying Denied", NULL);
		return;
	}

	/* Initial requests from local callers prove who they are (407). */
	if (needs_auth(m->method_id) && !auth_is_trusted(r, &c->src)) {
		td_sip_addr fa;
		td_sip_uri fu;
		char fuser[128] = "", fdomain[128] = "", hdrs[2048];
		if (td_sip_from(m, &fa) == 0 && td_sip_uri_parse(fa.uri, &fu) == 0) {
			copy_str(fuser, sizeof(fuser), fu.user);
			copy_str(fdomain, sizeof(fdomain), fu.host);
			if (sr_is_us(r, fu.host.p, fu.host.n, fu.port)) {
				/* a phone that uses our address as its domain */
				snprintf(fdomain, sizeof(fdomain), "%s", domain);
			}
		}
		const char *why = NULL;
		switch (auth_check(r, m, false, fdomain, fuser, hdrs, sizeof(hdrs), &why)) {
		case AUTH_OK: break;
		case AUTH_CHALLENGE:
			td_counter_inc(r->m.auth_challenges);
			proxy_reply_locked(c, w, 407, NULL, hdrs);
			return;
		case AUTH_FORBIDDEN:
			td_counter_inc(r->m.auth_failures);
			proxy_reply_locked(c, w, 403, why, NULL);
			return;
		case AUTH_BAD_REQUEST:
			proxy_reply_locked(c, w, 400, why, NULL);
			return;
		}
	}

	rt_target tg;
	if (rt_lookup(r->rt, domain, strlen(domain), user, strlen(user), &tg) != 0) {
		proxy_reply_locked(c, w, 404, "Not Found", NULL);
		return;
	}
	snprintf(p->kind_name, sizeof(p->kind_name), "%s", kind_name(tg.kind));
	if (tg.kind == RT_USER) {
		int rv = route_user(c, tg.username, tg.domain, p);
		if (rv != 0) {
			proxy_reply_locked(c, w, 500, "Location Service Unavailable", "Retry-After: 5\r\n");
			return;
		}
		if (p->nt == 0) {
			proxy_reply_locked(c, w, 480, "Temporarily Unavailable", NULL);
			return;
		}
	} else if (tg.need_media) {
		route_media(c, m, tg.extension, p);
		if (p->nt == 0) {
			proxy_reply_locked(c, w, 503, "No Media Server Available", "Retry-After: 5\r\n");
			return;
		}
	} else if (tg.kind == RT_TRUNK_OUT) {
		route_trunk(&tg, p);
		if (p->nt == 0) {
			proxy_reply_locked(c, w, 503, "No Trunk Available", NULL);
			return;
		}
	} else {
		proxy_reply_locked(c, w, 404, "Not Found", NULL);
		return;
	}
	if (m->method_id == TD_SIP_INVITE && !in_dialog) {
		c->dlg = dlg_start(r->dlgs, m, &c->src, p->kind_name, user);
	}
	start_forwarding(c, w, m);
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
	    sr_is_us(r, nu.host.p, nu.host.n, nu.port) || uri_target(next.p, next.n, &t) != 0) {
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
			size_t o = (size_t)snprintf(extra, sizeof(extra), "Unsupported: ");
			for (unsigned i = 0; i < v.nunsupported && o < sizeof(extra) - 64; i++) {
				o += (size_t)snprintf(extra + o, sizeof(extra) - o, "%s%.*s", i ? ", " : "",
				    (int)v.unsupported[i].n, v.unsupported[i].p);
			}
			snprintf(extra + o, sizeof(extra) - o, "\r\n");
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
	loop_hash(r, m, lh);
	if (is_loop(r, m, lh)) {
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
	route_request(c, w, m);
	pthread_mutex_unlock(&c->lock);
	ctx_unref(c);
}

/* ---- responses --------------------------------------------------------------------------------- */

/* better: is status a better final response than cur (RFC 3261 §16.7 step 6)? */
static bool
better(int status, int cur)
{
	if (cur == 0) {
		return (true);
	}
	if ((status >= 600) != (cur >= 600)) {
		return (status >= 600);
	}
	/* Otherwise the lowest class wins; 503 is worse than other 5xx (it becomes 500). */
	int a = status / 100, b = cur / 100;
	if (a != b) {
		return (a < b);
	}
	return (cur == 503 && status != 503) || (cur == 408 && status != 408);
}

static bool
serial_retry(int status)
{
	return (status == 408 || status == 500 || status == 502 || status == 503 || status == 504);
}

/* all_final: no branch still waiting for a final response. */
static bool
all_final(ctx *c)
{
	for (int i = 0; i < c->nbr; i++) {
		if (c->br[i].state == BR_CALLING || c->br[i].state == BR_PROCEEDING) {
			return (false);
		}
	}
	return (true);
}

/* finish_upstream sends the best final response once every branch has one. */
static void
finish_upstream(ctx *c, worker *w)
{
	sr *r = c->r;
	if (c->final_sent || !all_final(c)) {
		return;
	}
	preq *p = c->pctx;
	if (p != NULL && p->serial && !c->cancelled && serial_retry(c->best_status) &&
	    p->next < p->nt) {
		if (try_next(c, w)) {
			free(c->best);
			c->best = NULL;
			c->best_status = 0;
			return;
		}
	}
	c->final_sent = true;
	int status = c->best_status ? c->best_status : 408;
	if (c->cancelled) {
		status = 487;
	}
	if (c->best != NULL && status == c->best_status) {
		txn_send_response_locked(c, w, c->best, c->best_len, status);
		sr_count_response(&r->m, c->method, status);
	} else {
		proxy_reply_locked(c, w, status == 503 ? 500 : status, NULL, NULL);
	}
	if (c->dlg != NULL) {
		dlg_failed(r->dlgs, c->dlg, status, c->cancelled);
	}
}

static void
probe_done(ctx *c, bool ok)
{
	preq *p = c->pctx;
	fs_probe_result(c->r->fs, p->probe_node, ok, td_mono_us() - p->probe_t0);
}

void
proxy_branch_timeout_locked(ctx *c, worker *w, int br)
{
	preq *p = c->pctx;
	if (p != NULL && p->kind == PREQ_PROBE) {
		probe_done(c, false);
		return;
	}
	sr_branch *b = &c->br[br];
	if (p != NULL && p->t[b->target].fs_node >= 0) {
		fs_result(c->r->fs, p->t[b->target].fs_node, false, 0);
		fs_call_end(c->r->fs, p->t[b->target].fs_node);
	}
	if (better(408, c->best_status)) {
		free(c->best);
		c->best = NULL;
		c->best_status = 408;
	}
	finish_upstream(c, w);
}

static void
branch_response(ctx *c, worker *w, int br, const td_sip_msg *m)
{
	sr *r = c->r;
	preq *p = c->pctx;
	int st = m->status;
	if (p != NULL && p->kind == PREQ_PROBE) {
		if (st >= 200) {
			probe_done(c, true);
		}
		return;
	}
	sr_branch *b = &c->br[br];
	int fsi = p != NULL ? p->t[b->target].fs_node : -1;
	if (st == 100) {
		return; /* hop by hop */
	}
	if (st >= 200 && fsi >= 0) {
		fs_result(r->fs, fsi, st != 503 && st != 408, 0);
		if (st >= 300 || c->method != TD_SIP_INVITE) {
			fs_call_end(r->fs, fsi);
		}
	}
	td_buf fb;
	td_buf_init(&fb, (size_t)r->cfg->max_message + 4096);
	if (strip_top_via(m, &fb) != 0) {
		td_buf_free(&fb);
		return;
	}
	if (st < 200) {
		if (!c->final_sent) {
			txn_send_response_locked(c, w, fb.data, fb.len, st);
			sr_count_response(&r->m, c->method, st);
			if (c->method == TD_SIP_INVITE && st >= 180) {
				td_histogram_observe(r->m.setup_seconds,
				    (double)(td_mono_us() - c->t0_us) / 1e6);
			}
		}
	} else if (st < 300) {
		/* 2xx: upstream at once (each fork's), and the other forks are cancelled. */
		bool first = !c->answered;
		c->answered = true;
		c->final_sent = true;
		txn_send_response_locked(c, w, fb.data, fb.len, st);
		sr_count_response(&r->m, c->method, st);
		if (c->method == TD_SIP_INVITE && first) {
			td_histogram_observe(r->m.setup_seconds, (double)(td_mono_us() - c->t0_us) / 1e6);
			for (int i = 0; i < c->nbr; i++) {
				if (i != br) {
					txn_branch_cancel_locked(c, w, i);
				}
			}
			if (c->dlg != NULL) {
				dlg_answered(r->dlgs, c->dlg, m);
			}
		}
	} else {
		if (better(st, c->best_status)) {
			free(c->best);
			c->best = td_buf_steal(&fb, &c->best_len);
			c->best_status = st;
		}
		if (st >= 600 && c->method == TD_SIP_INVITE) {
			for (int i = 0; i < c->nbr; i++) {
				txn_branch_cancel_locked(c, w, i);
			}
		}
		finish_upstream(c, w);
	}
	td_buf_free(&fb);
}

/* stateless_response relays a response no transaction knows (e.g. a 2xx retransmission). */
static void
stateless_response(worker *w, const td_sip_msg *m)
{
	sr *r = w->r;
	td_sip_iter it;
	td_sip_via v;
	td_sip_iter_init(&it, m, TD_SIP_H_VIA);
	if (td_sip_via_next(&it, &v) != 1 || !via_is_ours(r, &v) || td_sip_via_next(&it, &v) != 1) {
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
	if (strip_top_via(m, &b) == 0 && tp_send(r->tp, w, &dst, 0, b.data, b.len) == 0) {
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
		branch_response(c, w, br, m);
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
	if (frame_rv < 0 || frame_rv == 3 /* TD_SIP_FRAME_BAD */) {
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

void
proxy_worker_tick(worker *w)
{
	(void)w;
}

void
proxy_probe(worker *w, int idx)
{
	sr *r = w->r;
	const fs_node *n = fs_node_at(r->fs, idx);
	char bid[TD_SIP_BRANCH_MAX], sent_by[300], callid[64], from[320], tag[24];
	uint8_t rnd[12];
	randombytes_buf(rnd, sizeof(rnd));
	if (td_sip_branch(bid, sizeof(bid), rnd, sizeof(rnd)) < 0) {
		return;
	}
	snprintf(sent_by, sizeof(sent_by), "%s:%u", r->adv_host, r->adv_port);
	snprintf(callid, sizeof(callid), "probe-%s", bid + 7);
	snprintf(from, sizeof(from), "<sip:probe@%s>", sent_by);
	snprintf(tag, sizeof(tag), "%08x", randombytes_random());
	char ruri[160];
	snprintf(ruri, sizeof(ruri), "sip:%s", n->hostport);
	td_sip_req_opts o = {.method = "OPTIONS", .ruri = td_sip_str_c(ruri),
	    .via_transport = sr_proto_name((sr_proto)n->addr.proto), .via_sent_by = td_sip_str_c(sent_by),
	    .branch = td_sip_str_c(bid), .via_rport = true, .from = td_sip_str_c(from),
	    .from_tag = td_sip_str_c(tag), .to = td_sip_str_c(ruri), .call_id = td_sip_str_c(callid),
	    .cseq = 1, .headers = "Max-Forwards: 70\r\n"};
	td_buf b = TD_BUF_INIT;
	if (td_sip_build_request(&b, &o) != 0) {
		td_buf_free(&b);
		return;
	}
	/* A context with no server side: only the branch lives, then it ends. */
	td_sip_msg m;
	if (td_sip_parse(&m, b.data, b.len) != 0) {
		td_buf_free(&b);
		return;
	}
	ctx *c = ctx_new(r, CTX_LOCAL, &m, "", &n->addr, NULL, 0);
	pthread_mutex_lock(&c->lock);
	c->state = SRV_TERMINATED;
	txn_track(r->txns, c);
	preq *p = preq_of(c);
	p->kind = PREQ_PROBE;
	p->probe_node = idx;
	p->probe_t0 = td_mono_us();
	sr_branch *bb = &c->br[c->nbr++];
	snprintf(bb->id, sizeof(bb->id), "%s", bid);
	bb->dst = n->addr;
	size_t len;
	char *req = td_buf_steal(&b, &len);
	fs_probe_sent(r->fs, idx, td_mono_ms());
	if (txn_branch_send_locked(c, w, 0, req, len) != 0) {
		probe_done(c, false);
	}
	txn_maybe_done_locked(c);
	pthread_mutex_unlock(&c->lock);
	ctx_unref(c);
}
