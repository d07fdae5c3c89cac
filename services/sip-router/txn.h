/* SPDX-License-Identifier: MIT */
/*
 * Transactions (RFC 3261 §17, RFC 6026).
 *
 * A ctx is one request we received (its server transaction) and, when we
 * proxy it, the branches we sent it on (client transactions).  One mutex
 * guards the whole ctx, so response aggregation, CANCEL and timers never
 * take two locks.  The table maps keys to contexts:
 *   server:  the top Via's branch + sent-by + method (ACK -> INVITE), or for
 *            RFC 2543 requests Call-ID + CSeq + From tag + top Via
 *   client:  our branch + method class (INVITE / other / CANCEL)
 *
 * Timers run on the wheel of the worker that armed them and carry the
 * transaction's generation number; a timer whose generation is stale does
 * nothing, so nothing ever needs cancelling.  Retransmissions (A, E, G) only
 * happen over UDP.  Lingering after the final response (timers D, I, J, K
 * and RFC 6026's L/M) is sip.txn_linger for all of them (Kamailio does the
 * same with its wait timer), except Timer H, which waits 64*T1 for the ACK.
 *
 * Locking: every function named *_locked expects ctx->lock held.  Contexts
 * are reference counted: the table holds one, each armed timer one, and a
 * caller holding a ctx from a lookup one.
 */
#ifndef SIP_ROUTER_TXN_H
#define SIP_ROUTER_TXN_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "sip/build.h"
#include "sip/sip.h"

struct sr;
struct worker;
struct dlg;

#define TXN_T1_MS 500
#define TXN_T2_MS 4000
#define TXN_T4_MS 5000
#define TXN_MAX_BRANCHES 16
#define TXN_KEY_MAX 320

typedef enum srv_state {
	SRV_TRYING = 0,   /* non-INVITE, no response yet */
	SRV_PROCEEDING,   /* a provisional response sent */
	SRV_COMPLETED,    /* final non-2xx sent (INVITE: waiting for ACK) */
	SRV_CONFIRMED,    /* INVITE: ACK received */
	SRV_ACCEPTED,     /* INVITE: 2xx sent (RFC 6026) */
	SRV_TERMINATED,
} srv_state;

typedef enum br_state {
	BR_UNUSED = 0,
	BR_CALLING,       /* request sent, nothing back yet */
	BR_PROCEEDING,    /* provisional received */
	BR_COMPLETED,     /* final non-2xx received */
	BR_ACCEPTED,      /* INVITE 2xx received */
	BR_TERMINATED,
} br_state;

typedef struct sr_branch {
	br_state state;
	uint32_t gen;
	char id[TD_SIP_BRANCH_MAX]; /* our Via branch */
	sr_addr dst;
	uint32_t conn_id;
	char *req;                  /* as sent (for retransmission, CANCEL, ACK) */
	size_t req_len;
	int64_t retx_ms;            /* current retransmission interval */
	int64_t fr_ms;              /* > 0: give up if nothing at all came back by then (serial
	                               failover); else only Timer B/F */
	int status;                 /* last status received; 408 if it timed out */
	bool got_provisional;
	/* CANCEL for this branch (its own non-INVITE client transaction) */
	bool cancel_wanted, cancel_sent, cancel_done;
	uint32_t cancel_gen;
	char *cancel;
	size_t cancel_len;
	int64_t cancel_retx_ms;
	int target;                 /* the proxy's target index for this branch */
} sr_branch;

typedef enum ctx_kind { CTX_PROXY = 1, CTX_LOCAL } ctx_kind;

typedef struct ctx {
	pthread_mutex_t lock;
	_Atomic int refs;
	struct sr *r;
	ctx_kind kind;
	/* server transaction */
	char key[TXN_KEY_MAX];
	bool in_table;
	td_sip_method method;
	char *req;                  /* the request as received */
	size_t req_len;
	sr_addr src, local;
	sr_addr reply_to;           /* where responses go (txn_reply_addr) */
	uint32_t conn_id;
	srv_state state;
	uint32_t gen;
	char to_tag[24];
	char *resp;                 /* last response sent (retransmitted on request retransmission) */
	size_t resp_len;
	int resp_status;
	int64_t retx_ms;            /* Timer G */
	int64_t t0_us;              /* monotonic, when the request arrived */
	/* proxy */
	int nbr;
	sr_branch br[TXN_MAX_BRANCHES];
	char *best;                 /* best final response so far (RFC 3261 §16.7) */
	size_t best_len;
	int best_status;
	char *best_chal;            /* best's own WWW-/Proxy-Authenticate lines (401/407), or NULL */
	td_buf chal;                /* those of every other 401/407 received (§16.7 step 7) */
	bool cancelled;             /* upstream CANCELled */
	bool answered;              /* a 2xx went upstream */
	bool final_sent;            /* a final response went upstream */
	void *pctx;                 /* proxy.c's per-request state (targets etc.) */
	void (*pctx_free)(void *);
	struct dlg *dlg;            /* the call this INVITE started, if tracked */
} ctx;

typedef struct txn_table txn_table;

txn_table *txn_table_new(void);
void txn_table_free(txn_table *t);
/* txn_count: contexts in the table (gauge). */
long txn_count(txn_table *t);

/* ---- keys ---------------------------------------------------------------------- */

/* txn_server_key: the matching key of a request (ACK keyed as its INVITE).  0 or TD_EPROTO. */
int txn_server_key(const td_sip_msg *m, char *out, size_t cap) TD_MUSTCHECK;

/*
 * txn_reply_addr: where responses to request m from src go (RFC 3261
 * §18.2.2, RFC 3581).  Over TCP, and over UDP when the top Via has ;rport
 * or sip.force_rport is on: the source address and port.  Otherwise the
 * source address with the Via's sent-by port (5060 if none).
 */
void txn_reply_addr(const struct sr *r, const td_sip_msg *m, const sr_addr *src, sr_addr *out);

/* ---- contexts -------------------------------------------------------------------- */

/*
 * ctx_new makes a context for request m (copied) received from src over
 * local/conn_id, with refs = 1 (the caller's).  Not yet in the table.
 */
ctx *ctx_new(struct sr *r, ctx_kind kind, const td_sip_msg *m, const char *key, const sr_addr *src,
    const sr_addr *local, uint32_t conn_id);
void ctx_ref(ctx *c);
void ctx_unref(ctx *c);

/*
 * txn_insert puts c in the table under its key.  TD_EEXIST if another
 * context has the key (a retransmission raced us): the caller drops c and
 * treats the request as a retransmission of that one.
 */
int txn_insert(txn_table *t, ctx *c) TD_MUSTCHECK;

/*
 * txn_track holds c in the table without a server transaction (requests we
 * originate, e.g. OPTIONS probes): its branches' entries keep it findable,
 * and it leaves when they end.  c->state must be SRV_TERMINATED.
 */
void txn_track(txn_table *t, ctx *c);

/* txn_find_server: the context for a request key, referenced, or NULL. */
ctx *txn_find_server(txn_table *t, const char *key);

/*
 * txn_find_client: the context whose branch sent branch id for method
 * (CSeq method of the response), referenced, and which branch; *is_cancel
 * when it is the branch's CANCEL.  NULL if none.
 */
ctx *txn_find_client(txn_table *t, td_sip_str branch, td_sip_method method, int *br,
    bool *is_cancel);

/* ---- server side (ctx->lock held) --------------------------------------------------- */

/* txn_reply_locked builds and sends a response to c's request; updates state and timers. */
void txn_reply_locked(ctx *c, struct worker *w, int status, const td_sip_resp_opts *o);
/* txn_send_response_locked sends an already built response upstream (proxied). */
void txn_send_response_locked(ctx *c, struct worker *w, const char *buf, size_t len, int status);
/* txn_on_retransmission_locked: the request came again; resend what we last sent. */
void txn_on_retransmission_locked(ctx *c, struct worker *w);
/* txn_on_ack_locked: ACK for our non-2xx final response (INVITE server). */
void txn_on_ack_locked(ctx *c, struct worker *w);

/* ---- client side (ctx->lock held) ----------------------------------------------------- */

/*
 * txn_branch_send_locked takes the built request (owned afterwards), sends it
 * on branch br (already filled: id, dst, conn_id, target), arms
 * retransmission and timeout timers and puts the branch in the table.
 * 0, or the send error (the branch is then completed with 503).
 */
int txn_branch_send_locked(ctx *c, struct worker *w, int br, char *req, size_t len);
/* txn_branch_cancel_locked sends CANCEL on br now if it is proceeding, else when it is. */
void txn_branch_cancel_locked(ctx *c, struct worker *w, int br);
/*
 * txn_branch_response_locked applies a response (parsed in m, raw bytes buf)
 * to branch br's state machine: retransmissions of finals are absorbed, ACK
 * is sent for non-2xx INVITE finals.  Returns true when the proxy should look
 * at it (a new provisional or final, or a 2xx retransmission).
 */
bool txn_branch_response_locked(ctx *c, struct worker *w, int br, const td_sip_msg *m);
/* txn_cancel_response_locked: a response to our CANCEL on br. */
void txn_cancel_response_locked(ctx *c, int br, int status);

/* txn_done_locked: every part of c is finished: remove it from the table. */
void txn_maybe_done_locked(ctx *c);

/* Set by the proxy: a branch timed out (Timer B/F/C). Called with ctx->lock held. */
extern void proxy_branch_timeout_locked(ctx *c, struct worker *w, int br);

/* For the CLI: a JSON array of live contexts, at most limit. */
struct json_t;
struct json_t *txn_list(txn_table *t, int limit);

#endif
