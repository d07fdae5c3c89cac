/* SPDX-License-Identifier: MIT */
/* api-gateway: configuration and shared state. */
#ifndef API_GATEWAY_GATEWAY_H
#define API_GATEWAY_GATEWAY_H

#include <stdbool.h>
#include <stdint.h>

#include "cfg/cfg.h"
#include "http/http.h"
#include "pg/pool.h"

typedef struct gateway_cfg {
	char *http_listen;        /* http.listen */
	long long http_max_conns; /* http.max_connections */
	char *pg_dsn;             /* pg.dsn */
	long long pg_pool;        /* pg.pool_size */
	int64_t pg_timeout_ms;    /* pg.statement_timeout */
	char *key_pepper;         /* api.key_pepper */
	int64_t key_cache_ms;     /* api.key_cache_ttl */
	long long default_limit;  /* api.default_limit */
	long long max_limit;      /* api.max_limit */
	bool metrics_public;      /* api.metrics_public */
	char *fleet_members;      /* fleet.members */
	int64_t fleet_timeout_ms; /* fleet.timeout */
} gateway_cfg;

extern const td_cfg_key gateway_cfg_keys[];
extern const size_t gateway_cfg_nkeys;
int gateway_cfg_validate(void *cfg, char *err, size_t errlen);

typedef struct keystore keystore;
typedef struct fleet fleet;

/* Everything a request handler needs. */
typedef struct gateway {
	const gateway_cfg *cfg;
	const char *run_dir;
	td_pg_pool *pool;
	keystore *keys;
	fleet *fleet;
	td_http_server *http;
} gateway;

/* gateway_http dispatches one request (td_http_handler). */
void gateway_http(void *arg, const td_http_req *req, td_http_resp *resp);

/* GET /api/cdr (after authorization). */
void cdr_api_list(gateway *g, const td_http_req *req, td_http_resp *resp);

/*
 * with_pg borrows a pooled connection, makes sure it is up, and returns it;
 * NULL (after writing a 503 into resp) if PostgreSQL is unavailable.
 */
td_pg *gateway_pg_get(gateway *g, td_http_resp *resp);
void gateway_pg_put(gateway *g, td_pg *pg);

#endif
