/* SPDX-License-Identifier: MIT */
/* GET /api/cdr: filters and keyset pagination over voip.cdr (see cdr_query.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cdr_query.h"
#include "gateway.h"
#include "log/log.h"

typedef struct parse_ctx {
	cdr_filter *f;
	int max_limit;
	char err[256];
} parse_ctx;

static int
on_arg(void *arg, const char *key, const char *value)
{
	parse_ctx *p = arg;
	return (cdr_filter_set(p->f, key, value, p->max_limit, p->err, sizeof(p->err)));
}

void
cdr_api_list(gateway *g, const td_http_req *req, td_http_resp *resp)
{
	cdr_filter f;
	cdr_filter_init(&f, (int)g->cfg->default_limit);
	parse_ctx pc = {.f = &f, .max_limit = (int)g->cfg->max_limit};
	if (td_http_args_foreach(req, on_arg, &pc) != 0) {
		td_http_resp_error(resp, 400, "bad_parameter", "%s", pc.err);
		return;
	}
	if (f.from_us != 0 && f.to_us != 0 && f.to_us <= f.from_us) {
		td_http_resp_error(resp, 400, "bad_parameter", "'to' must be after 'from'");
		return;
	}
	td_pg *pg = gateway_pg_get(g, resp);
	if (pg == NULL) {
		return;
	}
	cdr_query q;
	cdr_query_build(&f, &q);
	PGresult *r = PQexecParams(td_pg_conn(pg), q.sql.data, q.nparams, NULL, q.params, NULL,
	    NULL, 0);
	char err[512];
	int rv = td_pg_check(pg, r, PGRES_TUPLES_OK, err, sizeof(err));
	if (rv != 0) {
		LOG_WARN("API-CDR-QUERY", "CDR query failed: %s", err);
		td_http_resp_error(resp, rv == TD_ETIMEDOUT ? 504 : 503, "database",
		    "the CDR query failed; narrow the time range or retry");
	} else {
		int n = PQntuples(r);
		int shown = n > f.limit ? f.limit : n;
		/* Rows arrive as JSON text from PostgreSQL; splice them in. */
		td_buf_puts(&resp->body, "{\"items\":[");
		for (int i = 0; i < shown; i++) {
			if (i > 0) {
				td_buf_putc(&resp->body, ',');
			}
			td_buf_puts(&resp->body, PQgetvalue(r, i, 0));
		}
		td_buf_puts(&resp->body, "],\"next_cursor\":");
		if (n > f.limit) {
			char cur[128];
			cdr_cursor_encode(atoll(PQgetvalue(r, shown - 1, 1)),
			    atoll(PQgetvalue(r, shown - 1, 2)), cur, sizeof(cur));
			td_buf_printf(&resp->body, "\"%s\"", cur);
		} else {
			td_buf_puts(&resp->body, "null");
		}
		td_buf_printf(&resp->body, ",\"count\":%d}\n", shown);
		resp->status = 200;
	}
	PQclear(r);
	cdr_query_free(&q);
	gateway_pg_put(g, pg);
}
