/* SPDX-License-Identifier: MIT */
/* PostgreSQL connection with bounded waits and reconnect backoff. */
#include "pg/pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log/log.h"
#include "util/backoff.h"
#include "util/mem.h"

struct td_pg {
	char *dsn, *app;
	int connect_timeout_s, statement_timeout_ms;
	PGconn *conn;
	td_backoff bo;
	bool down_logged; /* one log line per outage, not per attempt */
	td_pg_stats st;
};

td_pg *
td_pg_new(const td_pg_opts *o)
{
	td_pg *p = TD_NEW(td_pg);
	p->dsn = td_xstrdup(o->dsn ? o->dsn : "");
	p->app = td_xstrdup(o->app_name ? o->app_name : "tandem");
	p->connect_timeout_s = o->connect_timeout_s > 0 ? o->connect_timeout_s : 5;
	p->statement_timeout_ms = o->statement_timeout_ms > 0 ? o->statement_timeout_ms : 30000;
	td_backoff_init(&p->bo, o->backoff_min_ms > 0 ? o->backoff_min_ms : 100,
	    o->backoff_max_ms > 0 ? o->backoff_max_ms : 5000);
	return (p);
}

void
td_pg_free(td_pg *p)
{
	if (p == NULL) {
		return;
	}
	if (p->conn != NULL) {
		PQfinish(p->conn);
	}
	free(p->dsn);
	free(p->app);
	free(p);
}

int
td_pg_ensure(td_pg *p)
{
	if (p->conn != NULL && PQstatus(p->conn) == CONNECTION_OK) {
		return (TD_OK);
	}
	if (p->conn != NULL) {
		td_pg_reset(p);
	}
	if (!td_backoff_ready(&p->bo)) {
		return (TD_EAGAIN);
	}
	char ct[16], opts[96], tcp_to[16];
	snprintf(ct, sizeof(ct), "%d", p->connect_timeout_s);
	/* UTC sessions: timestamps we format or compare never depend on the host. */
	snprintf(opts, sizeof(opts), "-c statement_timeout=%d -c TimeZone=UTC",
	    p->statement_timeout_ms);
	/* Dead peers must not hang a send: cap unacknowledged data at 10 s. */
	snprintf(tcp_to, sizeof(tcp_to), "%d", 10000);
	/* Our defaults first; the DSN (expanded last) overrides any of them. */
	const char *keys[] = {"connect_timeout", "application_name", "options", "keepalives",
	    "keepalives_idle", "keepalives_interval", "keepalives_count", "tcp_user_timeout",
	    "dbname", NULL};
	const char *vals[] = {ct, p->app, opts, "1", "10", "3", "3", tcp_to, p->dsn, NULL};
	p->conn = PQconnectdbParams(keys, vals, 1);
	if (PQstatus(p->conn) != CONNECTION_OK) {
		int64_t delay = td_backoff_fail(&p->bo);
		p->st.connect_failures++;
		if (!p->down_logged) {
			char *m = PQerrorMessage(p->conn);
			char msg[512];
			snprintf(msg, sizeof(msg), "%s", m ? m : "");
			msg[strcspn(msg, "\n")] = '\0';
			LOG_WARN("PG-CONNECT-FAIL", "cannot connect to PostgreSQL: %s (retrying, next in %lld ms)",
			    msg, (long long)delay);
			p->down_logged = true;
		}
		PQfinish(p->conn);
		p->conn = NULL;
		return (TD_ECONN);
	}
	if (p->down_logged || p->st.connects > 0) {
		LOG_INFO("PG-CONNECTED", "connected to PostgreSQL after %u failed attempts",
		    p->bo.failures);
	}
	p->down_logged = false;
	td_backoff_ok(&p->bo);
	p->st.connects++;
	return (TD_OK);
}

PGconn *
td_pg_conn(td_pg *p)
{
	return (p->conn);
}

bool
td_pg_connected(const td_pg *p)
{
	return (p->conn != NULL && PQstatus(p->conn) == CONNECTION_OK);
}

void
td_pg_reset(td_pg *p)
{
	if (p->conn != NULL) {
		PQfinish(p->conn);
		p->conn = NULL;
		p->st.disconnects++;
		/* Reconnect right away once, then back off if that fails too. */
	}
}

int
td_pg_check(td_pg *p, const PGresult *r, ExecStatusType want, char *err, size_t errlen)
{
	if (r != NULL && PQresultStatus(r) == want) {
		return (TD_OK);
	}
	const char *msg = r ? PQresultErrorMessage(r) : PQerrorMessage(p->conn);
	snprintf(err, errlen, "%s", (msg && *msg) ? msg : "no result");
	err[strcspn(err, "\n")] = '\0';
	if (p->conn == NULL || PQstatus(p->conn) != CONNECTION_OK || r == NULL ||
	    PQresultStatus(r) == PGRES_FATAL_ERROR) {
		const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
		if (p->conn == NULL || PQstatus(p->conn) != CONNECTION_OK || state == NULL ||
		    strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0) {
			/* Connection-level failure (08xxx, admin shutdown 57P01...). */
			td_pg_reset(p);
			return (TD_ECONN);
		}
		if (strncmp(state, "22", 2) == 0 || strncmp(state, "23", 2) == 0) {
			return (TD_EDATA);
		}
		if (strcmp(state, "57014") == 0) {
			return (TD_ETIMEDOUT);
		}
		if (strcmp(state, "25006") == 0) {
			/*
			 * Read-only transaction: we are talking to a standby
			 * (after a failover).  Reconnect; a DSN with
			 * target_session_attrs=read-write finds the primary.
			 */
			td_pg_reset(p);
			return (TD_ECONN);
		}
		if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0) {
			return (TD_EAGAIN);
		}
	}
	return (TD_EIO);
}

int
td_pg_exec(td_pg *p, const char *sql, char *err, size_t errlen)
{
	if (p->conn == NULL) {
		snprintf(err, errlen, "not connected");
		return (TD_ECONN);
	}
	PGresult *r = PQexec(p->conn, sql);
	int rv = td_pg_check(p, r, PGRES_COMMAND_OK, err, errlen);
	PQclear(r);
	return (rv);
}

void
td_pg_stats_get(const td_pg *p, td_pg_stats *st)
{
	*st = p->st;
}
