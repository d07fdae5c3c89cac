/* SPDX-License-Identifier: MIT */
/*
 * api-gateway: the platform's REST API (CDRs, with API keys), /health and
 * /metrics for the node.  This file only wires.
 */
#include <stdio.h>
#include <stdlib.h>

#include "daemon/daemon.h"
#include "fleet.h"
#include "gateway.h"
#include "keys.h"
#include "util/mem.h"

static gateway_cfg g_cfg;

static int
init(td_daemon *d)
{
	gateway *g = TD_NEW(gateway);
	td_daemon_set_ctx(d, g);
	const td_daemon_common *cm = td_daemon_common_cfg(d);
	char err[512];
	g->cfg = &g_cfg;
	g->run_dir = cm->run_dir;
	g->pool = td_pg_pool_new(&(td_pg_opts){.dsn = g_cfg.pg_dsn, .app_name = "api-gateway",
	                             .statement_timeout_ms = (int)g_cfg.pg_timeout_ms},
	    (int)g_cfg.pg_pool);
	g->keys = keys_new(g->pool, g_cfg.key_pepper, g_cfg.key_cache_ms);
	g->fleet = fleet_new(g_cfg.fleet_members, cm->run_dir, (int)g_cfg.fleet_timeout_ms);
	keys_register_cmds(g->keys, d);
	td_http_opts ho = {.listen = g_cfg.http_listen, .max_body = 64 * 1024,
	    .conn_limit = (unsigned)g_cfg.http_max_conns};
	if (td_http_start(&g->http, &ho, gateway_http, g, err, sizeof(err)) != 0) {
		fprintf(stderr, "api-gateway: config: key 'http.listen': %s\n", err);
		return (-1);
	}
	return (0);
}

static void
tick(td_daemon *d)
{
	gateway *g = td_daemon_ctx(d);
	keys_tick(g->keys);
}

static void
fini(td_daemon *d)
{
	gateway *g = td_daemon_ctx(d);
	if (g == NULL) {
		return;
	}
	td_http_stop(g->http);
	keys_free(g->keys);
	fleet_free(g->fleet);
	td_pg_pool_free(g->pool);
	free(g);
}

static json_t *
status(td_daemon *d)
{
	(void)d;
	return (json_pack("{s:s}", "http", g_cfg.http_listen));
}

int
main(int argc, char **argv)
{
	td_daemon_spec spec = {
	    .name = "api-gateway",
	    .summary = "REST API (CDRs, API keys), /health and /metrics for the node",
	    .keys = gateway_cfg_keys,
	    .nkeys = gateway_cfg_nkeys,
	    .cfg = &g_cfg,
	    .validate = gateway_cfg_validate,
	    .init = init,
	    .tick = tick,
	    .fini = fini,
	    .status = status,
	    .tick_ms = 5000,
	};
	return (td_daemon_main(&spec, argc, argv));
}
