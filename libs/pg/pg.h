/* SPDX-License-Identifier: MIT */
/*
 * PostgreSQL connection helper on libpq: connect on demand, reconnect with
 * backoff, never block forever (connect_timeout, statement_timeout and TCP
 * user timeout are always set), and classify failures so callers can tell
 * "retry later" from "this data is bad".
 *
 * A td_pg is one connection, owned by one thread at a time.
 */
#ifndef TD_PG_PG_H
#define TD_PG_PG_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"

typedef struct td_pg_opts {
	const char *dsn;          /* libpq conninfo or postgresql:// URI */
	const char *app_name;     /* application_name, e.g. "cdr-writer" */
	int connect_timeout_s;    /* 0 = 5 */
	int statement_timeout_ms; /* 0 = 30000 */
	int64_t backoff_min_ms;   /* 0 = 100 */
	int64_t backoff_max_ms;   /* 0 = 5000 */
} td_pg_opts;

typedef struct td_pg td_pg;

td_pg *td_pg_new(const td_pg_opts *opts);
void td_pg_free(td_pg *p);

/*
 * td_pg_ensure returns 0 with a live connection, connecting if needed.
 * TD_EAGAIN while a backoff window after a failure is open; TD_ECONN if
 * this attempt failed (the reason is logged once per outage).
 */
int td_pg_ensure(td_pg *p) TD_MUSTCHECK;
PGconn *td_pg_conn(td_pg *p);
bool td_pg_connected(const td_pg *p);
/* td_pg_reset drops the connection; the next ensure reconnects. */
void td_pg_reset(td_pg *p);

/*
 * td_pg_check classifies a result: 0 if its status is want; otherwise
 * TD_ECONN (connection lost: it is reset), TD_EDATA (SQLSTATE class 22 or
 * 23: the data is bad, retrying will not help), TD_ETIMEDOUT (statement
 * timeout), TD_EAGAIN (serialization failure/deadlock), or TD_EIO.  The
 * message goes into err.  Does not PQclear.
 */
int td_pg_check(td_pg *p, const PGresult *r, ExecStatusType want, char *err, size_t errlen)
    TD_MUSTCHECK;

/* td_pg_exec runs a statement that returns no rows (BEGIN, COMMIT, DDL). */
int td_pg_exec(td_pg *p, const char *sql, char *err, size_t errlen) TD_MUSTCHECK;

typedef struct td_pg_stats {
	uint64_t connects;         /* successful connections */
	uint64_t connect_failures; /* failed attempts */
	uint64_t disconnects;      /* connections found dead */
} td_pg_stats;
void td_pg_stats_get(const td_pg *p, td_pg_stats *st);

#endif
