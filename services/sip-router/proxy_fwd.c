/* SPDX-License-Identifier: MIT */
/* The proxy core: forwarding, forking, serial failover, best response (RFC 3261 §16.6-16.7). */
#include "proxy.h"
#include "proxy_int.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dialog.h"
#include "fspool.h"
#include "util/clock.h"
#include "util/mem.h"

/* px_loop_hash: what identifies this request for loop detection (§16.3.4). */
void
px_loop_hash(sr *r, const td_sip_msg *m, char out[17])
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

/* px_is_loop: one of the Vias is ours with this request's loop hash (a loop, not a spiral). */
bool
px_is_loop(sr *r, const td_sip_msg *m, const char *hash)
{
	td_sip_iter it;
	td_sip_via v;
	td_sip_iter_init(&it, m, TD_SIP_H_VIA);
	while (td_sip_via_next(&it, &v) == 1) {
		if (v.has_branch && v.branch.n >= sizeof(LOOP_TAG) - 1 + 16 &&
		    memcmp(v.branch.p, LOOP_TAG, sizeof(LOOP_TAG) - 1) == 0 && px_via_is_ours(r, &v) &&
		    memcmp(v.branch.p + sizeof(LOOP_TAG) - 1, hash, 16) == 0) {
			return (true);
		}
	}
	return (false);
}

/* ---- requests: forwarding --------------------------------------------------------------------- */

static void
preq_free(void *arg)
{
	preq *p = arg;
	for (int i = 0; i < MAX_TARGETS; i++) {
		free(p->t[i].ruri);
	}
	free(p);
}

void
px_target_ruri(target *t, const char *fmt, ...)
{
	char buf[LOC_MAX_URI + 128];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	free(t->ruri);
	t->ruri = td_xstrdup(buf);
}

preq *
px_preq_of(ctx *c)
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

/* px_start_forwarding: the targets are set; send in parallel or the first serial one. */
void
px_start_forwarding(ctx *c, worker *w, const td_sip_msg *m)
{
	preq *p = c->pctx;
	px_loop_hash(c->r, m, p->loop_hash);
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

/* ---- responses --------------------------------------------------------------------------------- */

/* actionable: a final response the caller can retry on (§16.7 step 6). */
static bool
actionable(int status)
{
	return (status == 401 || status == 407 || status == 415 || status == 420 || status == 484);
}

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
	/* Within a class, one the caller can act on (step 6's SHOULD) beats one it cannot. */
	if (actionable(status) != actionable(cur)) {
		return (actionable(status));
	}
	return (cur == 503 && status != 503) || (cur == 408 && status != 408);
}

/*
 * set_best makes resp the best response so far (NULL: none; status 408
 * then stands for a branch that timed out).  The challenges of the one it
 * replaces join those to be aggregated; chal holds resp's own (or NULL).
 */
static void
set_best(ctx *c, char *resp, size_t len, int status, char *chal)
{
	if (c->best_chal != NULL) {
		td_buf_append(&c->chal, c->best_chal, strlen(c->best_chal));
		free(c->best_chal);
	}
	free(c->best);
	c->best = resp;
	c->best_len = len;
	c->best_status = status;
	c->best_chal = chal;
}

/* challenges_of: m's WWW-/Proxy-Authenticate lines (a 401/407), or NULL. */
static char *
challenges_of(const td_sip_msg *m)
{
	if (m->status != 401 && m->status != 407) {
		return (NULL);
	}
	td_buf h;
	td_buf_init(&h, 64 * 1024);
	if (td_sip_put_challenges(&h, m) == 0 || td_buf_failed(&h)) {
		td_buf_free(&h);
		return (NULL);
	}
	return (td_buf_steal(&h, NULL));
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
			set_best(c, NULL, 0, 0, NULL);
			return;
		}
	}
	c->final_sent = true;
	int status = c->best_status ? c->best_status : 408;
	if (c->cancelled) {
		status = 487;
	}
	if (c->best != NULL && status == c->best_status) {
		td_buf merged = TD_BUF_INIT;
		if ((status == 401 || status == 407) && c->chal.len > 0 &&
		    td_sip_build_with_headers(&merged, c->best, c->best_len, c->chal.data,
		        c->chal.len) == 0) {
			/* every challenge received goes up, so the caller can answer them all */
			txn_send_response_locked(c, w, merged.data, merged.len, status);
		} else {
			txn_send_response_locked(c, w, c->best, c->best_len, status);
		}
		td_buf_free(&merged);
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
		set_best(c, NULL, 0, 408, NULL);
	}
	finish_upstream(c, w);
}

void
px_branch_response(ctx *c, worker *w, int br, const td_sip_msg *m)
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
	if (px_strip_top_via(m, &fb) != 0) {
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
		char *chal = challenges_of(m);
		if (better(st, c->best_status)) {
			size_t len;
			char *resp = td_buf_steal(&fb, &len);
			set_best(c, resp, len, st, chal);
		} else if (chal != NULL) {
			td_buf_append(&c->chal, chal, strlen(chal));
			free(chal);
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
	preq *p = px_preq_of(c);
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
