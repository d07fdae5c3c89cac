/* SPDX-License-Identifier: MIT */
/* api-gateway HTTP routing, authorization and per-route metrics. */
#include <stdio.h>
#include <string.h>

#include "fleet.h"
#include "gateway.h"
#include "keys.h"
#include "log/log.h"
#include "metrics/metrics.h"
#include "util/clock.h"

td_pg *
gateway_pg_get(gateway *g, td_http_resp *resp)
{
	td_pg *pg = td_pg_pool_get(g->pool, 2000);
	if (pg == NULL) {
		td_http_resp_header(resp, "Retry-After", "1");
		td_http_resp_error(resp, 503, "busy", "all database connections are busy");
		return (NULL);
	}
	if (td_pg_ensure(pg) != 0) {
		td_pg_pool_put(g->pool, pg);
		td_http_resp_header(resp, "Retry-After", "5");
		td_http_resp_error(resp, 503, "database", "PostgreSQL is unreachable");
		return (NULL);
	}
	return (pg);
}

void
gateway_pg_put(gateway *g, td_pg *pg)
{
	td_pg_pool_put(g->pool, pg);
}

static bool
authorize(gateway *g, const td_http_req *req, td_http_resp *resp, td_perms need)
{
	char id[32], msg[256];
	int status = keys_authorize(g->keys, req, need, id, sizeof(id), msg, sizeof(msg));
	if (status == 0) {
		return (true);
	}
	if (status == 401) {
		td_http_resp_header(resp, "WWW-Authenticate", "Bearer realm=\"tandem\"");
		LOG_DEBUG("API-AUTH-FAIL", "401 for %s %s from %s (key %s)", req->method, req->path,
		    req->remote, id[0] ? id : "-");
	}
	td_http_resp_error(resp, status,
	    status == 401 ? "unauthorized" : status == 403 ? "forbidden" : "unavailable", "%s", msg);
	return (false);
}

static void
health(gateway *g, const td_http_req *req, td_http_resp *resp)
{
	/* The gateway itself is healthy when it can reach PostgreSQL. */
	int64_t t0 = td_mono_us();
	td_pg *pg = td_pg_pool_get(g->pool, 1000);
	bool db = false;
	if (pg != NULL) {
		if (td_pg_ensure(pg) == 0) {
			PGresult *r = PQexec(td_pg_conn(pg), "SELECT 1");
			char err[128];
			db = td_pg_check(pg, r, PGRES_TUPLES_OK, err, sizeof(err)) == 0;
			PQclear(r);
		}
		td_pg_pool_put(g->pool, pg);
	}
	double db_ms = (double)(td_mono_us() - t0) / 1000.0;
	json_t *o = json_pack("{s:s, s:{s:b, s:f}}", "status", "ok", "postgres", "up", db,
	    "latency_ms", db_ms);
	const char *fleet_arg = td_http_arg(req, "fleet");
	int up = 0, total = 0;
	if (fleet_arg == NULL || strcmp(fleet_arg, "0") != 0) {
		json_object_set_new(o, "fleet", fleet_status(g->fleet, &up, &total));
	}
	const char *status = !db ? "down" : up < total ? "degraded" : "ok";
	json_object_set_new(o, "status", json_string(status));
	td_http_resp_json(resp, db ? 200 : 503, o);
}

static void
metrics(gateway *g, const td_http_req *req, td_http_resp *resp)
{
	snprintf(resp->content_type, sizeof(resp->content_type),
	    "text/plain; version=0.0.4; charset=utf-8");
	const char *fleet_arg = td_http_arg(req, "fleet");
	if (fleet_arg != NULL && strcmp(fleet_arg, "0") == 0) {
		td_metrics_render(&resp->body);
		return;
	}
	td_buf own = TD_BUF_INIT;
	td_metrics_render(&own);
	fleet_metrics(g->fleet, "api-gateway", own.data ? own.data : "", &resp->body);
	td_buf_free(&own);
}

static void
count(const char *route, int status)
{
	char labels[96];
	snprintf(labels, sizeof(labels), "route=\"%s\",code=\"%d\"", route, status);
	td_counter_inc(td_metrics_counter("tandem_api_requests_total",
	    "HTTP requests by route and status code", labels));
}

void
gateway_http(void *arg, const td_http_req *req, td_http_resp *resp)
{
	gateway *g = arg;
	int64_t t0 = td_mono_us();
	const char *route = "other";
	bool get = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;

	if (strcmp(req->path, "/health") == 0) {
		route = "/health";
		health(g, req, resp);
	} else if (strcmp(req->path, "/metrics") == 0) {
		route = "/metrics";
		if (g->cfg->metrics_public || authorize(g, req, resp, TD_PERM_METRICS_READ)) {
			metrics(g, req, resp);
		}
	} else if (strcmp(req->path, "/api/cdr") == 0) {
		route = "/api/cdr";
		if (!get) {
			td_http_resp_header(resp, "Allow", "GET");
			td_http_resp_error(resp, 405, "method_not_allowed", "use GET");
		} else if (authorize(g, req, resp, TD_PERM_CDR_READ)) {
			cdr_api_list(g, req, resp);
		}
	} else {
		td_http_resp_error(resp, 404, "not_found", "no such resource: %s", req->path);
	}
	count(route, resp->status);
	static td_histogram *lat;
	if (lat == NULL) {
		lat = td_metrics_histogram("tandem_api_request_seconds", "HTTP request latency", NULL,
		    td_metrics_latency_buckets, td_metrics_latency_nbuckets);
	}
	td_histogram_observe(lat, (double)(td_mono_us() - t0) / 1e6);
}
