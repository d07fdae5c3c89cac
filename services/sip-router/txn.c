/* SPDX-License-Identifier: MIT */
/* Transactions: table, server and client state machines, timers (see txn.h). */
#include "txn.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dialog.h"
#include "log/log.h"
#include "sip/hdr.h"
#include "sr.h"
#include "util/clock.h"
#include "util/mem.h"
#include "worker.h"

#define SHARDS 256
#define BUCKETS 512
#define T64_MS (64 * TXN_T1_MS)

typedef enum ent_kind { ENT_SERVER, ENT_BRANCH, ENT_CANCEL } ent_kind;

typedef struct tentry {
	struct tentry *next;
	uint32_t hash;
	char *key;
	ctx *c;
	ent_kind kind;
	int br;
} tentry;

typedef struct tshard {
	pthread_mutex_t lock;
	tentry *b[BUCKETS];
} tshard;

struct txn_table {
	tshard s[SHARDS];
	_Atomic long count;
};

/* Per-context list of its table entries, for removal. */
typedef struct ctx_ents {
	tentry *e[2 + 2 * TXN_MAX_BRANCHES];
	int n;
} ctx_ents;

static uint32_t
fnv(const char *p, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++) {
		h = (h ^ (unsigned char)p[i]) * 16777619u;
	}
	return (h);
}

/* ---- table ---------------------------------------------------------------------------- */

txn_table *
txn_table_new(void)
{
	txn_table *t = TD_NEW(txn_table);
	for (int i = 0; i < SHARDS; i++) {
		pthread_mutex_init(&t->s[i].lock, NULL);
	}
	return (t);
}

long
txn_count(txn_table *t)
{
	return (atomic_load(&t->count));
}

static ctx_ents *
ents_of(ctx *c)
{
	/* The entry list hangs off the context's allocation (see ctx_new). */
	return ((ctx_ents *)(void *)(c + 1));
}

static tshard *
shard_of(txn_table *t, uint32_t h, size_t *bucket)
{
	*bucket = (h / SHARDS) % BUCKETS;
	return (&t->s[h % SHARDS]);
}

/* insert_entry adds key -> (c, kind, br); TD_EEXIST if the key is taken. */
static int
insert_entry(txn_table *t, ctx *c, const char *key, ent_kind kind, int br)
{
	size_t n = strlen(key), b;
	uint32_t h = fnv(key, n);
	tshard *s = shard_of(t, h, &b);
	pthread_mutex_lock(&s->lock);
	for (tentry *e = s->b[b]; e != NULL; e = e->next) {
		if (e->hash == h && strcmp(e->key, key) == 0) {
			pthread_mutex_unlock(&s->lock);
			return (TD_EEXIST);
		}
	}
	tentry *e = TD_NEW(tentry);
	e->hash = h;
	e->key = td_xstrndup(key, n);
	e->c = c;
	e->kind = kind;
	e->br = br;
	e->next = s->b[b];
	s->b[b] = e;
	pthread_mutex_unlock(&s->lock);
	ctx_ents *ce = ents_of(c);
	ce->e[ce->n++] = e;
	return (TD_OK);
}

static tentry *
lookup(txn_table *t, const char *key, size_t n)
{
	size_t b;
	uint32_t h = fnv(key, n);
	tshard *s = shard_of(t, h, &b);
	tentry *found = NULL;
	pthread_mutex_lock(&s->lock);
	for (tentry *e = s->b[b]; e != NULL; e = e->next) {
		if (e->hash == h && strlen(e->key) == n && memcmp(e->key, key, n) == 0) {
			ctx_ref(e->c);
			found = e;
			break;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return (found);
}

static void
remove_entries(txn_table *t, ctx *c)
{
	ctx_ents *ce = ents_of(c);
	for (int i = 0; i < ce->n; i++) {
		tentry *e = ce->e[i];
		size_t b;
		tshard *s = shard_of(t, e->hash, &b);
		pthread_mutex_lock(&s->lock);
		for (tentry **p = &s->b[b]; *p != NULL; p = &(*p)->next) {
			if (*p == e) {
				*p = e->next;
				break;
			}
		}
		pthread_mutex_unlock(&s->lock);
		free(e->key);
		free(e);
	}
	ce->n = 0;
}

void
txn_table_free(txn_table *t)
{
	if (t == NULL) {
		return;
	}
	/* Shutdown: free every context still listed, whatever holds it. */
	for (int i = 0; i < SHARDS; i++) {
		for (int b = 0; b < BUCKETS; b++) {
			tentry *e;
			while ((e = t->s[i].b[b]) != NULL) {
				ctx *c = e->c;
				remove_entries(t, c);
				atomic_store(&c->refs, 1);
				ctx_unref(c);
			}
		}
		pthread_mutex_destroy(&t->s[i].lock);
	}
	free(t);
}

/* ---- keys ------------------------------------------------------------------------------ */

int
txn_server_key(const td_sip_msg *m, char *out, size_t cap)
{
	td_sip_via v;
	td_sip_cseq cs;
	if (td_sip_via_top(m, &v) != 0 || td_sip_cseq_get(m, &cs) != 0) {
		return (TD_EPROTO);
	}
	/* ACK matches its INVITE (§17.2.3); CANCEL has its own transaction. */
	const char *meth = m->method_id == TD_SIP_ACK ? "INVITE" : NULL;
	int mlen = meth ? (int)strlen(meth) : (int)m->method.n;
	const char *mp = meth ? meth : m->method.p;
	int n;
	if (v.has_branch && td_sip_branch_is_rfc3261(v.branch)) {
		n = snprintf(out, cap, "s|%.*s|%.*s|%.*s", (int)v.branch.n, v.branch.p,
		    (int)v.sent_by.n, v.sent_by.p, mlen, mp);
	} else {
		/* RFC 2543 (§17.2.3, last paragraphs): Call-ID, CSeq, From tag, top Via. */
		td_sip_str cid = TD_SIP_STR_NULL, ftag = TD_SIP_STR_NULL;
		if (td_sip_callid(m, &cid) != 0 || td_sip_from_tag(m, &ftag) != 0) {
			return (TD_EPROTO);
		}
		n = snprintf(out, cap, "s2|%.*s|%u|%.*s|%.*s|%.*s", (int)cid.n, cid.p, cs.num,
		    (int)ftag.n, ftag.p, (int)v.raw.n, v.raw.p, mlen, mp);
	}
	return (n > 0 && (size_t)n < cap ? TD_OK : TD_ETOOBIG);
}

static void
client_key(char *out, size_t cap, const char *branch, size_t blen, char cls)
{
	snprintf(out, cap, "c|%.*s|%c", (int)blen, branch, cls);
}

static char
method_class(td_sip_method m)
{
	return (m == TD_SIP_INVITE ? 'I' : m == TD_SIP_CANCEL ? 'C' : 'N');
}

void
txn_reply_addr(const sr *r, const td_sip_msg *m, const sr_addr *src, sr_addr *out)
{
	*out = *src;
	td_sip_via v;
	if (src->proto == SR_TCP || r->cfg->force_rport || td_sip_via_top(m, &v) != 0 ||
	    v.has_rport) {
		return;
	}
	sr_addr_set_port(out, v.port);
}

/* ---- contexts ---------------------------------------------------------------------------- */

ctx *
ctx_new(sr *r, ctx_kind kind, const td_sip_msg *m, const char *key, const sr_addr *src,
    const sr_addr *local, uint32_t conn_id)
{
	ctx *c = td_xcalloc(1, sizeof(ctx) + sizeof(ctx_ents));
	pthread_mutex_init(&c->lock, NULL);
	atomic_store(&c->refs, 1);
	c->r = r;
	c->kind = kind;
	snprintf(c->key, sizeof(c->key), "%s", key ? key : "");
	c->method = m->method_id;
	c->req = td_xstrndup(m->buf, m->len);
	c->req_len = m->len;
	c->src = *src;
	txn_reply_addr(r, m, src, &c->reply_to);
	if (local != NULL) {
		c->local = *local;
	}
	c->conn_id = conn_id;
	c->state = SRV_TRYING;
	c->retx_ms = TXN_T1_MS;
	c->t0_us = td_mono_us();
	/* Our To tag for responses we generate: random, per request. */
	uint64_t rnd = (uint64_t)td_mono_us() ^ ((uint64_t)(uintptr_t)c << 16);
	snprintf(c->to_tag, sizeof(c->to_tag), "td%016llx", (unsigned long long)rnd);
	return (c);
}

void
ctx_ref(ctx *c)
{
	atomic_fetch_add(&c->refs, 1);
}

void
ctx_unref(ctx *c)
{
	if (atomic_fetch_sub(&c->refs, 1) != 1) {
		return;
	}
	if (c->pctx != NULL && c->pctx_free != NULL) {
		c->pctx_free(c->pctx);
	}
	dlg_unref(c->dlg);
	for (int i = 0; i < c->nbr; i++) {
		free(c->br[i].req);
		free(c->br[i].cancel);
	}
	free(c->req);
	free(c->resp);
	free(c->best);
	free(c->best_chal);
	td_buf_free(&c->chal);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

int
txn_insert(txn_table *t, ctx *c)
{
	int rv = insert_entry(t, c, c->key, ENT_SERVER, -1);
	if (rv == 0) {
		c->in_table = true;
		ctx_ref(c); /* the table's */
		atomic_fetch_add(&t->count, 1);
	}
	return (rv);
}

void
txn_track(txn_table *t, ctx *c)
{
	c->in_table = true;
	ctx_ref(c); /* the table's */
	atomic_fetch_add(&t->count, 1);
}

ctx *
txn_find_server(txn_table *t, const char *key)
{
	tentry *e = lookup(t, key, strlen(key));
	return (e ? e->c : NULL);
}

ctx *
txn_find_client(txn_table *t, td_sip_str branch, td_sip_method method, int *br, bool *is_cancel)
{
	char key[TXN_KEY_MAX];
	client_key(key, sizeof(key), branch.p, branch.n, method_class(method));
	tentry *e = lookup(t, key, strlen(key));
	if (e == NULL) {
		return (NULL);
	}
	*br = e->br;
	*is_cancel = e->kind == ENT_CANCEL;
	return (e->c);
}

void
txn_maybe_done_locked(ctx *c)
{
	if (c->state != SRV_TERMINATED || !c->in_table) {
		return;
	}
	for (int i = 0; i < c->nbr; i++) {
		sr_branch *b = &c->br[i];
		if (b->state != BR_TERMINATED && b->state != BR_UNUSED) {
			return;
		}
		if (b->cancel_sent && !b->cancel_done) {
			return;
		}
	}
	remove_entries(c->r->txns, c);
	c->in_table = false;
	atomic_fetch_sub(&c->r->txns->count, 1);
	/* The table's reference; the caller holds another, so this never frees. */
	atomic_fetch_sub(&c->refs, 1);
}

/* ---- timers -------------------------------------------------------------------------------- */

enum {
	TM_G = 1,      /* retransmit final non-2xx upstream (INVITE server, UDP) */
	TM_H,          /* give up waiting for the ACK */
	TM_LINGER_S,   /* server side done lingering */
	TM_RETX,       /* retransmit a branch's request (A / E) */
	TM_TIMEOUT,    /* branch timeout (B / F) */
	TM_FR,         /* no answer at all within fr_ms: fail the branch early */
	TM_C,          /* INVITE branch proceeding for too long (Timer C) */
	TM_LINGER_B,   /* branch done lingering */
	TM_CANCEL_RETX,
	TM_CANCEL_TIMEOUT,
};

static void on_timer(void *arg, uint32_t a, uint32_t gen, bool fired);

static void
arm(ctx *c, worker *w, int type, int br, int64_t ms, uint32_t gen)
{
	if (w == NULL) {
		w = worker_self();
	}
	if (w == NULL) {
		return; /* not on a worker (shutdown paths): nothing to retransmit */
	}
	ctx_ref(c);
	tw_add(&w->wheel, ms, on_timer, c, (uint32_t)type | ((uint32_t)(br + 1) << 8), gen);
}

static int64_t
linger_ms(ctx *c, bool reliable)
{
	return (reliable ? 0 : c->r->cfg->txn_linger_ms);
}

static void
send_bytes(ctx *c, worker *w, const sr_addr *dst, uint32_t conn_id, const char *buf, size_t len)
{
	if (tp_send(c->r->tp, w, dst, conn_id, buf, len) != 0) {
		char a[64];
		LOG_DEBUG("SIPR-SEND-FAIL", "cannot send %zu bytes to %s/%s", len,
		    sr_addr_fmt(dst, a, sizeof(a)), sr_proto_name((sr_proto)dst->proto));
	}
}

/* ---- server side ------------------------------------------------------------------------------ */

static void
store_response(ctx *c, const char *buf, size_t len, int status)
{
	free(c->resp);
	c->resp = td_xstrndup(buf, len);
	c->resp_len = len;
	c->resp_status = status;
}

void
txn_send_response_locked(ctx *c, worker *w, const char *buf, size_t len, int status)
{
	bool reliable = c->src.proto == SR_TCP;
	if (c->state == SRV_TERMINATED ||
	    (c->state == SRV_COMPLETED || c->state == SRV_CONFIRMED)) {
		return; /* a final was already sent */
	}
	if (c->state == SRV_ACCEPTED && (status < 200 || status >= 300)) {
		return; /* after a 2xx only more 2xx pass (forked answers) */
	}
	send_bytes(c, w, &c->reply_to, c->conn_id, buf, len);
	if (status < 200) {
		c->state = SRV_PROCEEDING;
		store_response(c, buf, len, status);
		return;
	}
	store_response(c, buf, len, status);
	c->gen++;
	if (c->method == TD_SIP_INVITE) {
		if (status < 300) {
			/*
			 * RFC 6026 Accepted: absorb INVITE retransmissions, pass further
			 * 2xx.  For sip.txn_linger, not Timer L's 32 s (Kamailio's wait
			 * timer does the same): the caller stopped retransmitting at our
			 * 100 Trying, and 2xx retransmissions also pass statelessly.
			 * Answered calls are most of the contexts alive: this keeps the
			 * router's memory at a sixth.
			 */
			c->state = SRV_ACCEPTED;
			arm(c, w, TM_LINGER_S, -1, c->r->cfg->txn_linger_ms, c->gen);
		} else {
			c->state = SRV_COMPLETED;
			if (!reliable) {
				c->retx_ms = TXN_T1_MS;
				arm(c, w, TM_G, -1, c->retx_ms, c->gen);
			}
			arm(c, w, TM_H, -1, T64_MS, c->gen);
		}
	} else {
		c->state = SRV_COMPLETED;
		arm(c, w, TM_LINGER_S, -1, linger_ms(c, reliable), c->gen);
	}
}

void
txn_reply_locked(ctx *c, worker *w, int status, const td_sip_resp_opts *o)
{
	td_sip_msg m;
	if (td_sip_parse(&m, c->req, c->req_len) != 0) {
		return;
	}
	td_sip_resp_opts opts = o ? *o : (td_sip_resp_opts){0};
	if (opts.to_tag.n == 0 && status > 100) {
		opts.to_tag = td_sip_str_c(c->to_tag);
	}
	/* RFC 3581: tell the client where its request came from. */
	char host[64];
	td_sip_via v;
	if (td_sip_via_top(&m, &v) == 0 && v.has_rport && opts.rport == 0) {
		opts.rport = sr_addr_port(&c->src);
		opts.received = td_sip_str_c(sr_addr_host(&c->src, host, sizeof(host)));
	}
	td_buf b;
	td_buf_init(&b, 256 * 1024);
	if (td_sip_build_response(&b, &m, status, &opts) == 0) {
		txn_send_response_locked(c, w, b.data, b.len, status);
	}
	td_buf_free(&b);
}

void
txn_on_retransmission_locked(ctx *c, worker *w)
{
	td_counter_inc(c->r->m.retransmissions);
	if (c->resp != NULL && c->state != SRV_TERMINATED) {
		send_bytes(c, w, &c->reply_to, c->conn_id, c->resp, c->resp_len);
	}
}

void
txn_on_ack_locked(ctx *c, worker *w)
{
	if (c->method != TD_SIP_INVITE || c->state != SRV_COMPLETED) {
		return; /* retransmitted ACK, or an ACK for a 2xx (end to end) */
	}
	c->state = SRV_CONFIRMED;
	c->gen++;
	arm(c, w, TM_LINGER_S, -1, linger_ms(c, c->src.proto == SR_TCP), c->gen);
}

/* ---- client side ------------------------------------------------------------------------------- */

int
txn_branch_send_locked(ctx *c, worker *w, int br, char *req, size_t len)
{
	sr_branch *b = &c->br[br];
	b->req = req;
	b->req_len = len;
	b->state = BR_CALLING;
	b->retx_ms = TXN_T1_MS;
	char key[TXN_KEY_MAX];
	client_key(key, sizeof(key), b->id, strlen(b->id), method_class(c->method));
	if (insert_entry(c->r->txns, c, key, ENT_BRANCH, br) != 0) {
		LOG_WARN("SIPR-BRANCH-DUP", "branch %s already in use", b->id);
	}
	int rv = tp_send(c->r->tp, w, &b->dst, b->conn_id, req, len);
	if (rv != 0) {
		b->state = BR_TERMINATED;
		b->status = 503;
		return (rv);
	}
	b->gen++;
	if (b->dst.proto != SR_TCP) {
		arm(c, w, TM_RETX, br, b->retx_ms, b->gen);
	}
	arm(c, w, TM_TIMEOUT, br, T64_MS, b->gen);
	if (b->fr_ms > 0 && b->fr_ms < T64_MS) {
		arm(c, w, TM_FR, br, b->fr_ms, b->gen);
	}
	return (TD_OK);
}

static void
send_cancel_locked(ctx *c, worker *w, int br)
{
	sr_branch *b = &c->br[br];
	td_sip_msg m;
	if (b->req == NULL || td_sip_parse(&m, b->req, b->req_len) != 0) {
		return;
	}
	td_buf cb = TD_BUF_INIT;
	if (td_sip_build_cancel(&cb, &m) != 0) {
		td_buf_free(&cb);
		return;
	}
	b->cancel = td_buf_steal(&cb, &b->cancel_len);
	b->cancel_sent = true;
	char key[TXN_KEY_MAX];
	client_key(key, sizeof(key), b->id, strlen(b->id), 'C');
	(void)insert_entry(c->r->txns, c, key, ENT_CANCEL, br);
	send_bytes(c, w, &b->dst, b->conn_id, b->cancel, b->cancel_len);
	b->cancel_gen++;
	b->cancel_retx_ms = TXN_T1_MS;
	if (b->dst.proto != SR_TCP) {
		arm(c, w, TM_CANCEL_RETX, br, b->cancel_retx_ms, b->cancel_gen);
	}
	arm(c, w, TM_CANCEL_TIMEOUT, br, T64_MS, b->cancel_gen);
}

void
txn_branch_cancel_locked(ctx *c, worker *w, int br)
{
	sr_branch *b = &c->br[br];
	if (c->method != TD_SIP_INVITE || b->cancel_wanted) {
		return;
	}
	b->cancel_wanted = true;
	/* §9.1: only once a provisional came; until then it waits. */
	if (b->state == BR_PROCEEDING && !b->cancel_sent) {
		send_cancel_locked(c, w, br);
	}
}

void
txn_cancel_response_locked(ctx *c, int br, int status)
{
	sr_branch *b = &c->br[br];
	if (status >= 200 && !b->cancel_done) {
		b->cancel_done = true;
		b->cancel_gen++;
		txn_maybe_done_locked(c);
	}
}

/* send_ack_locked: hop-by-hop ACK for a non-2xx final on an INVITE branch (§17.1.1.3). */
static void
send_ack_locked(ctx *c, worker *w, int br, const td_sip_msg *resp)
{
	sr_branch *b = &c->br[br];
	td_sip_msg inv;
	if (td_sip_parse(&inv, b->req, b->req_len) != 0) {
		return;
	}
	td_buf ab = TD_BUF_INIT;
	if (td_sip_build_ack(&ab, &inv, resp) == 0) {
		send_bytes(c, w, &b->dst, b->conn_id, ab.data, ab.len);
	}
	td_buf_free(&ab);
}

bool
txn_branch_response_locked(ctx *c, worker *w, int br, const td_sip_msg *m)
{
	sr_branch *b = &c->br[br];
	int st = m->status;
	bool reliable = b->dst.proto == SR_TCP;
	bool invite = c->method == TD_SIP_INVITE;
	switch (b->state) {
	case BR_CALLING:
	case BR_PROCEEDING:
		if (st < 200) {
			bool first = b->state == BR_CALLING;
			b->state = BR_PROCEEDING;
			b->got_provisional = true;
			b->status = st;
			if (invite && first) {
				/* Retransmissions stop; Timer C replaces Timer B. */
				b->gen++;
				arm(c, w, TM_C, br, c->r->cfg->invite_timeout_ms, b->gen);
			}
			if (b->cancel_wanted && !b->cancel_sent) {
				send_cancel_locked(c, w, br);
			}
			return (true);
		}
		b->status = st;
		b->gen++;
		if (invite && st < 300) {
			b->state = BR_ACCEPTED; /* Timer M: as Timer L above */
			arm(c, w, TM_LINGER_B, br, c->r->cfg->txn_linger_ms, b->gen);
		} else {
			if (invite) {
				send_ack_locked(c, w, br, m);
			}
			b->state = BR_COMPLETED;
			arm(c, w, TM_LINGER_B, br, linger_ms(c, reliable), b->gen);
		}
		if (b->cancel_wanted && !b->cancel_sent) {
			b->cancel_wanted = false; /* nothing left to cancel */
		}
		return (true);
	case BR_COMPLETED:
		if (invite && st >= 300) {
			send_ack_locked(c, w, br, m); /* the final was retransmitted: ACK again */
		}
		return (false);
	case BR_ACCEPTED:
		/* 2xx retransmissions (and other forks' 2xx) go upstream, end to end. */
		return (st >= 200 && st < 300);
	default:
		return (false);
	}
}

/* ---- the timer callback ---------------------------------------------------------------------------- */

static void
on_timer(void *arg, uint32_t a, uint32_t gen, bool fired)
{
	ctx *c = arg;
	if (!fired) {
		ctx_unref(c); /* shutdown: the wheel goes away with this timer pending */
		return;
	}
	worker *w = worker_self();
	int type = (int)(a & 0xff), br = (int)(a >> 8) - 1;
	sr_branch *b = br >= 0 ? &c->br[br] : NULL;
	pthread_mutex_lock(&c->lock);
	switch (type) {
	case TM_G:
		if (gen == c->gen && c->state == SRV_COMPLETED && c->resp != NULL) {
			send_bytes(c, w, &c->reply_to, c->conn_id, c->resp, c->resp_len);
			c->retx_ms = c->retx_ms * 2 > TXN_T2_MS ? TXN_T2_MS : c->retx_ms * 2;
			arm(c, w, TM_G, -1, c->retx_ms, c->gen);
		}
		break;
	case TM_H:
	case TM_LINGER_S:
		if (gen == c->gen && c->state != SRV_TERMINATED) {
			c->state = SRV_TERMINATED;
			c->gen++;
			txn_maybe_done_locked(c);
		}
		break;
	case TM_RETX:
		if (gen == b->gen && (b->state == BR_CALLING ||
		                         (b->state == BR_PROCEEDING && c->method != TD_SIP_INVITE))) {
			send_bytes(c, w, &b->dst, b->conn_id, b->req, b->req_len);
			if (c->method == TD_SIP_INVITE) {
				b->retx_ms *= 2; /* Timer A doubles without cap (until B) */
			} else {
				b->retx_ms = b->state == BR_PROCEEDING || b->retx_ms * 2 > TXN_T2_MS
				                 ? TXN_T2_MS
				                 : b->retx_ms * 2;
			}
			arm(c, w, TM_RETX, br, b->retx_ms, b->gen);
		}
		break;
	case TM_FR:
	case TM_TIMEOUT:
		if (gen == b->gen && (b->state == BR_CALLING ||
		                         (type == TM_TIMEOUT && b->state == BR_PROCEEDING))) {
			b->state = BR_TERMINATED;
			b->status = 408;
			b->gen++;
			proxy_branch_timeout_locked(c, w, br);
			txn_maybe_done_locked(c);
		}
		break;
	case TM_C:
		if (gen == b->gen && b->state == BR_PROCEEDING) {
			/* Timer C: cancel, and give it 64*T1 to answer the CANCEL. */
			txn_branch_cancel_locked(c, w, br);
			arm(c, w, TM_TIMEOUT, br, T64_MS, b->gen);
		}
		break;
	case TM_LINGER_B:
		if (gen == b->gen && b->state != BR_TERMINATED) {
			b->state = BR_TERMINATED;
			b->gen++;
			txn_maybe_done_locked(c);
		}
		break;
	case TM_CANCEL_RETX:
		if (gen == b->cancel_gen && !b->cancel_done) {
			send_bytes(c, w, &b->dst, b->conn_id, b->cancel, b->cancel_len);
			b->cancel_retx_ms = b->cancel_retx_ms * 2 > TXN_T2_MS ? TXN_T2_MS
			                                                      : b->cancel_retx_ms * 2;
			arm(c, w, TM_CANCEL_RETX, br, b->cancel_retx_ms, b->cancel_gen);
		}
		break;
	case TM_CANCEL_TIMEOUT:
		if (gen == b->cancel_gen && !b->cancel_done) {
			b->cancel_done = true;
			txn_maybe_done_locked(c);
		}
		break;
	default: break;
	}
	pthread_mutex_unlock(&c->lock);
	ctx_unref(c);
}

/* ---- CLI --------------------------------------------------------------------------------------- */

json_t *
txn_list(txn_table *t, int limit)
{
	static const char *const sstate[] = {"trying", "proceeding", "completed", "confirmed",
	    "accepted", "terminated"};
	json_t *a = json_array();
	int n = 0;
	for (int i = 0; i < SHARDS && n < limit; i++) {
		pthread_mutex_lock(&t->s[i].lock);
		for (int b = 0; b < BUCKETS && n < limit; b++) {
			for (tentry *e = t->s[i].b[b]; e != NULL && n < limit; e = e->next) {
				if (e->kind != ENT_SERVER) {
					continue;
				}
				ctx *c = e->c;
				char src[64];
				/* Unlocked read of a few fields: good enough for a snapshot view. */
				json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:i, s:i, s:I}", "method",
				                             td_sip_method_name(c->method)[0]
				                                 ? td_sip_method_name(c->method)
				                                 : "OTHER",
				                             "from", sr_addr_fmt(&c->src, src, sizeof(src)),
				                             "state", sstate[c->state], "last_status",
				                             c->resp_status, "branches", c->nbr, "age_ms",
				                             (json_int_t)((td_mono_us() - c->t0_us) / 1000)));
				n++;
			}
		}
		pthread_mutex_unlock(&t->s[i].lock);
	}
	return (a);
}
