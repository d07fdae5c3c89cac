/* SPDX-License-Identifier: MIT */
/* api-gateway's config table. */
#include <stddef.h>
#include <stdio.h>

#include "gateway.h"

#define OFF(f) offsetof(gateway_cfg, f)
const td_cfg_key gateway_cfg_keys[] = {
    {"http.listen", TD_CFG_STR, OFF(http_listen), "127.0.0.1:8080", 0, 0, NULL, 0,
        "host:port of the REST API, /health and /metrics"},
    {"http.max_connections", TD_CFG_INT, OFF(http_max_conns), "256", 1, 65536, NULL, 0,
        "concurrent HTTP connections (one thread each)"},
    {"pg.dsn", TD_CFG_STR, OFF(pg_dsn), NULL, 0, 0, NULL, 0,
        "PostgreSQL connection string for voip_platform"},
    {"pg.pool_size", TD_CFG_INT, OFF(pg_pool), "8", 1, 256, NULL, 0,
        "PostgreSQL connections shared by request threads"},
    {"pg.statement_timeout", TD_CFG_MS, OFF(pg_timeout_ms), "10s", 100, 600000, NULL, 0,
        "longest one API query may run"},
    {"api.key_pepper", TD_CFG_STR, OFF(key_pepper), "", 0, 0, NULL, TD_CFG_SECRET,
        "server-side secret mixed into API key hashes (same on every node); changing it "
        "invalidates every key"},
    {"api.key_cache_ttl", TD_CFG_MS, OFF(key_cache_ms), "10s", 0, 3600000, NULL, 0,
        "how long a verified key (or an unknown one) is remembered; a revocation on another "
        "node takes effect here within this time"},
    {"api.default_limit", TD_CFG_INT, OFF(default_limit), "100", 1, 10000, NULL, 0,
        "rows per page when the client gives no limit"},
    {"api.max_limit", TD_CFG_INT, OFF(max_limit), "1000", 1, 10000, NULL, 0,
        "largest limit a client may ask for"},
    {"api.metrics_public", TD_CFG_BOOL, OFF(metrics_public), "true", 0, 0, NULL, 0,
        "serve /metrics without an API key (else it needs metrics:read)"},
    {"fleet.members", TD_CFG_STR, OFF(fleet_members),
        "cdr-collector,cdr-writer,sip-router,recording-syncer,health-agent,"
        "failover-coordinator",
        0, 0, NULL, 0,
        "daemons reported by /health and merged into /metrics: name (control socket in "
        "run.dir) or name=nng-url"},
    {"fleet.timeout", TD_CFG_MS, OFF(fleet_timeout_ms), "500ms", 10, 60000, NULL, 0,
        "how long /health and /metrics wait for each daemon"},
};
#undef OFF
const size_t gateway_cfg_nkeys = sizeof(gateway_cfg_keys) / sizeof(gateway_cfg_keys[0]);

int
gateway_cfg_validate(void *cfgp, char *err, size_t errlen)
{
	gateway_cfg *c = cfgp;
	char ss[128];
	bool v6;
	if (td_http_parse_listen(c->http_listen, ss, sizeof(ss), &v6) != 0) {
		snprintf(err, errlen, "config: key 'http.listen' = '%s': expected host:port",
		    c->http_listen);
		return (-1);
	}
	if (c->pg_dsn[0] == '\0') {
		snprintf(err, errlen, "config: key 'pg.dsn' is empty");
		return (-1);
	}
	if (c->default_limit > c->max_limit) {
		snprintf(err, errlen, "config: key 'api.default_limit' exceeds 'api.max_limit'");
		return (-1);
	}
	return (0);
}
