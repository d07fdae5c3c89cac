/* SPDX-License-Identifier: MIT */
/*
 * The sip-router's shared context: configuration, workers and the
 * subsystems every worker reaches (transactions, dialogs, location, routing,
 * FreeSWITCH pool, digest auth, rate limiting, events, metrics).
 */
#ifndef SIP_ROUTER_SR_H
#define SIP_ROUTER_SR_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "digest/digest.h"
#include "metrics/metrics.h"
#include "router.h"
#include "transport.h"

struct worker;
struct txn_table;
struct dlg_table;
struct loc;
struct rt;
struct fs_pool;
struct rl;
struct sr_events;

#define SR_MAX_TRUSTED 32

typedef struct sr_metrics {
	td_counter *req[16];        /* by td_sip_method (0 = other) */
	td_counter *resp[7];        /* by class 1xx..6xx ([0] unused), for the CLI */
	/* by method (td_sip_method, 0 = other) and code 100..699, made on first use */
	td_counter *_Atomic *resp_code;
	td_counter *parse_errors;
	td_counter *rate_limited;
	td_counter *oversize;
	td_counter *retransmissions;   /* requests absorbed as retransmissions */
	td_counter *stateless_fwd;     /* responses/ACKs forwarded without a transaction */
	td_counter *auth_challenges, *auth_failures;
	td_counter *reg_ok, *reg_fail;
	td_counter *calls_total[4];    /* answered, failed, cancelled, timeout */
	td_histogram *reg_seconds;     /* REGISTER in -> 200 out */
	td_histogram *setup_seconds;   /* INVITE in -> first 18x/200 out */
	td_gauge *transactions;
	td_gauge *calls_active;
	td_gauge *registrations;       /* bindings in Redis (sampled) */
	td_gauge *blocked_sources;     /* sources ignored by the rate limiter now */
} sr_metrics;

typedef struct sr {
	const router_cfg *cfg;
	char node[64];
	char run_dir[256];
	int nworkers;
	struct worker **w;
	tp *tp;
	tp_listen listen[TP_MAX_LISTEN];
	int nlisten;
	/* What we put in Via and Record-Route. */
	char adv_host[256];   /* host or [v6] */
	uint16_t adv_port;
	sr_cidr trusted[SR_MAX_TRUSTED];
	int ntrusted;
	struct txn_table *txns;
	struct dlg_table *dlgs;
	struct loc *loc;
	struct rt *rt;
	struct fs_pool *fs;
	struct rl *rl;
	struct sr_events *ev;
	struct sr_dns *dns;
	td_digest *digest;
	uint8_t branch_key[32];  /* keys stateless branch hashes (loop detection) */
	sr_metrics m;
} sr;

/* sr_metrics_init registers the router's series (metrics.c); sr_metrics_fini frees the tables. */
void sr_metrics_init(sr_metrics *m);
void sr_metrics_fini(sr_metrics *m);
/* sr_count_response counts a response we sent (generated or relayed) to a method's request. */
void sr_count_response(sr_metrics *m, int method, int status);

/* sr_is_us: does host[:port] name this router (advertised or a listen address)? */
bool sr_is_us(const sr *r, const char *host, size_t hlen, uint16_t port);

#endif
