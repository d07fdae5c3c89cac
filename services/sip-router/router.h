/* SPDX-License-Identifier: MIT */
/* sip-router: configuration. */
#ifndef SIP_ROUTER_ROUTER_H
#define SIP_ROUTER_ROUTER_H

#include <stdbool.h>
#include <stdint.h>

#include "cfg/cfg.h"

typedef struct router_cfg {
	char *listen;             /* sip.listen: udp:HOST:PORT,tcp:HOST:PORT,... */
	char *advertise;          /* sip.advertise: host[:port] for Via/Record-Route */
	long long workers;        /* sip.workers: 0 = one per CPU of cpu.set (>= 2) */
	int64_t max_message;      /* sip.max_message */
	int64_t tcp_idle_ms;      /* sip.tcp_idle_timeout */
	long long min_expires;    /* sip.min_expires */
	long long max_expires;    /* sip.max_expires */
	long long default_expires;/* sip.default_expires */
	char *trusted;            /* sip.trusted: CIDR list that is never challenged */
	long long pike_rate;      /* sip.pike_rate: requests/s per source; 0 = off */
	long long pike_burst;     /* sip.pike_burst */
	int64_t pike_block_ms;    /* sip.pike_block */
	int64_t max_call_ms;      /* sip.max_call_duration */
	int64_t txn_linger_ms;    /* sip.txn_linger */
	int64_t invite_timeout_ms;/* sip.invite_timeout (Timer C) */
	int64_t fr_timeout_ms;    /* sip.failover_timeout */
	int64_t dns_timeout_ms;   /* sip.dns_timeout */
	int64_t dns_ttl_ms;       /* sip.dns_cache_ttl */
	int64_t dns_neg_ttl_ms;   /* sip.dns_negative_ttl */
	char *default_domain;     /* sip.default_domain */
	bool force_rport;         /* sip.force_rport */
	char *server_name;        /* sip.server_name: Server/User-Agent header */
	char *auth_secret;        /* auth.secret: 64 hex digits, the same on both nodes */
	int64_t nonce_lifetime_ms;/* auth.nonce_lifetime */
	char *auth_algorithms;    /* auth.algorithms: "SHA-256,MD5" */
	char *redis_url;          /* redis.url */
	int64_t loc_cache_ms;     /* location.cache_ttl */
	long long loc_wait_replicas; /* location.wait_replicas */
	int64_t loc_wait_ms;      /* location.wait_timeout */
	char *pg_dsn;             /* pg.dsn */
	int64_t routing_reload_ms;/* routing.reload_interval */
	int64_t routing_debounce_ms; /* routing.debounce */
	char *fs_nodes;           /* fs.nodes: sip:host:port,... */
	int fs_strategy;          /* fs.strategy */
	int64_t fs_probe_ms;      /* fs.probe_interval */
	int64_t fs_probe_timeout_ms; /* fs.probe_timeout */
	long long fs_fail_after;  /* fs.fail_after */
	char *bus_pub;            /* bus.publish: where we publish; "" = ipc://<run.dir>/sip-router.pub */
	char *bus_peers;          /* bus.peers: the other node's router pub URL(s) */
	char *cdr_inbox;          /* cdr.inbox: cdr-collector's inbox; "" = ipc://<run.dir>/cdr-collector.inbox */
	long long cdr_queue_max;  /* cdr.queue_max */
} router_cfg;

extern const char *const router_fs_strategies[];
extern const td_cfg_key router_cfg_keys[];
extern const size_t router_cfg_nkeys;
int router_cfg_validate(void *cfg, char *err, size_t errlen);

#endif
