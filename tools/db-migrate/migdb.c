/* SPDX-License-Identifier: MIT */
/* db-migrate's database operations on libs/pg (see migdb.h). */
#include "migdb.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log/log.h"
#include "util/buf.h"
#include "util/mem.h"

/* pg_advisory_lock(int4, int4) keys: "tand", "mig". */
#define MIGDB_LOCK_SQL_ARGS "1952542052, 7170407"

static void
on_notice(void *arg, const PGresult *r)
{
	const migdb *m = arg;
	const char *sev = PQresultErrorField(r, PG_DIAG_SEVERITY_NONLOCALIZED);
	const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
	LOG_WARN("MIGR-SERVER", "%s%s%s: %s", m->current_file ? m->current_file : "",
	    m->current_file ? ": " : "", sev ? sev : "NOTICE", msg ? msg : "");
}

/* query1 runs sql and copies the single value it returns into out. */
static int
query1(migdb *m, const char *sql, char *out, size_t outlen, char *err, size_t errlen)
{
	PGresult *r = PQexec(td_pg_conn(m->pg), sql);
	int rv = td_pg_check(m->pg, r, PGRES_TUPLES_OK, err, errlen);
	if (rv == TD_OK && (PQntuples(r) != 1 || PQnfields(r) != 1)) {
		snprintf(err, errlen, "%s: expected one value, got %d rows", sql, PQntuples(r));
		rv = TD_EPROTO;
	}
	if (rv == TD_OK) {
		snprintf(out, outlen, "%s", PQgetvalue(r, 0, 0));
	}
	PQclear(r);
	return (rv);
}

int
migdb_open(migdb *m, const char *dsn, int lock_timeout_ms, char *err, size_t errlen)
{
	memset(m, 0, sizeof(*m));
	m->lock_timeout_ms = lock_timeout_ms;
	td_pg_opts o = { .dsn = dsn, .app_name = "db-migrate" };
	m->pg = td_pg_new(&o);
	if (td_pg_ensure(m->pg) != TD_OK) {
		/* libs/pg logged the libpq reason (PG-CONNECT-FAIL). */
		snprintf(err, errlen,
		    "cannot connect to PostgreSQL (see the PG-CONNECT-FAIL line above)");
		return (TD_ECONN);
	}
	PQsetNoticeReceiver(td_pg_conn(m->pg), on_notice, m);
	char v[16];
	int rv = query1(m, "SELECT pg_is_in_recovery()", v, sizeof(v), err, errlen);
	if (rv != TD_OK) {
		return (rv);
	}
	if (strcmp(v, "t") == 0) {
		snprintf(err, errlen,
		    "connected to a standby (read-only) server; run db-migrate against the primary "
		    "(or add target_session_attrs=read-write to the DSN)");
		return (TD_EPERM);
	}
	return (td_pg_exec(m->pg,
	    "SET client_encoding = 'UTF8'; SET client_min_messages = warning; "
	    "SET statement_timeout = 0; SET idle_in_transaction_session_timeout = 0; "
	    "SET search_path = pg_catalog",
	    err, errlen));
}

void
migdb_close(migdb *m)
{
	/* Closing the session releases the advisory lock. */
	td_pg_free(m->pg);
	m->pg = NULL;
}

int
migdb_lock(migdb *m, char *err, size_t errlen)
{
	char got[8];
	int rv = query1(m, "SELECT pg_try_advisory_lock(" MIGDB_LOCK_SQL_ARGS ")", got, sizeof(got),
	    err, errlen);
	if (rv != TD_OK) {
		return (rv);
	}
	if (strcmp(got, "t") != 0) {
		LOG_INFO("MIGR-LOCK-WAIT",
		    "another db-migrate is running against this database; waiting");
		rv = query1(m, "SELECT 't' FROM pg_advisory_lock(" MIGDB_LOCK_SQL_ARGS ")", got,
		    sizeof(got), err, errlen);
		if (rv != TD_OK) {
			return (rv);
		}
	}
	/* Set only now: the wait above must not time out. */
	char sql[64];
	snprintf(sql, sizeof(sql), "SET lock_timeout = %d", m->lock_timeout_ms);
	return (td_pg_exec(m->pg, sql, err, errlen));
}

int
migdb_bootstrap(migdb *m, char *err, size_t errlen)
{
	return (td_pg_exec(m->pg,
	    "CREATE SCHEMA IF NOT EXISTS monitoring; "
	    "CREATE TABLE IF NOT EXISTS monitoring.schema_migrations ("
	    " version integer PRIMARY KEY,"
	    " name text NOT NULL,"
	    " sha256 text NOT NULL,"
	    " applied_at timestamptz NOT NULL DEFAULT now())",
	    err, errlen));
}

int
migdb_load_applied(migdb *m, plan_applied **out, size_t *n, char *err, size_t errlen)
{
	*out = NULL;
	*n = 0;
	char exists[8];
	int rv = query1(m, "SELECT to_regclass('monitoring.schema_migrations') IS NOT NULL", exists,
	    sizeof(exists), err, errlen);
	if (rv != TD_OK || strcmp(exists, "t") != 0) {
		return (rv);
	}
	PGresult *r = PQexec(td_pg_conn(m->pg),
	    "SELECT version, name, sha256,"
	    " to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
	    " FROM monitoring.schema_migrations ORDER BY version");
	rv = td_pg_check(m->pg, r, PGRES_TUPLES_OK, err, errlen);
	if (rv == TD_OK) {
		int rows = PQntuples(r);
		*out = td_xcalloc((size_t)rows + 1, sizeof(**out));
		for (int i = 0; i < rows; i++) {
			plan_applied *a = &(*out)[i];
			a->version = atoi(PQgetvalue(r, i, 0));
			a->name = td_xstrdup(PQgetvalue(r, i, 1));
			snprintf(a->sha256, sizeof(a->sha256), "%s", PQgetvalue(r, i, 2));
			a->applied_at = td_xstrdup(PQgetvalue(r, i, 3));
		}
		*n = (size_t)rows;
	}
	PQclear(r);
	return (rv);
}

/* field appends " | label: value" when the server sent that field. */
static void
field(td_buf *b, const PGresult *r, int code, const char *label)
{
	const char *v = PQresultErrorField(r, code);
	if (v != NULL && *v != '\0') {
		td_buf_printf(b, " | %s: %s", label, v);
	}
}

/* describe_error builds the one-line report of a failed statement of f. */
static void
describe_error(td_buf *b, const migfile *f, const char *sql, size_t len, const PGresult *r, int nok,
    const char *last_cmd)
{
	const char *pos = PQresultErrorField(r, PG_DIAG_STATEMENT_POSITION);
	int line = 0, col = 0;
	size_t ls = 0, ll = 0;
	if (pos != NULL && migfile_locate(sql, len, atol(pos), &line, &col, &ls, &ll) == TD_OK) {
		td_buf_printf(b, "%s:%d:%d: ", f->filename, line, col);
	} else {
		td_buf_printf(b, "%s: ", f->filename);
	}
	const char *sev = PQresultErrorField(r, PG_DIAG_SEVERITY_NONLOCALIZED);
	const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
	td_buf_printf(b, "%s %s: %s", sev ? sev : "ERROR", state ? state : "?",
	    msg ? msg : PQresultErrorMessage(r));
	if (line > 0) {
		while (ll > 0 && (sql[ls] == ' ' || sql[ls] == '\t')) {
			ls++;
			ll--;
		}
		td_buf_printf(b, " | at: %.*s%s", (int)(ll > 160 ? 160 : ll), sql + ls,
		    ll > 160 ? "..." : "");
	}
	field(b, r, PG_DIAG_MESSAGE_DETAIL, "detail");
	field(b, r, PG_DIAG_MESSAGE_HINT, "hint");
	field(b, r, PG_DIAG_CONTEXT, "context");
	if (nok > 0) {
		td_buf_printf(b, " | failing statement: #%d of the file (#%d was %s)", nok + 1, nok,
		    last_cmd);
	} else {
		td_buf_printf(b, " | failing statement: the first of the file");
	}
	td_buf_puts(b, " | nothing from this file was applied");
}

static bool
is_txn_control(const char *cmd)
{
	return (strcmp(cmd, "BEGIN") == 0 || strcmp(cmd, "START TRANSACTION") == 0
	    || strcmp(cmd, "COMMIT") == 0 || strcmp(cmd, "ROLLBACK") == 0
	    || strcmp(cmd, "PREPARE TRANSACTION") == 0 || strcmp(cmd, "COMMIT PREPARED") == 0);
}

/* run_file sends the whole file as one simple query and reads every result. */
static int
run_file(migdb *m, const migfile *f, const char *sql, size_t len, char *err, size_t errlen)
{
	PGconn *c = td_pg_conn(m->pg);
	if (!PQsendQuery(c, sql)) {
		snprintf(err, errlen, "%s: cannot send: %s", f->filename, PQerrorMessage(c));
		err[strcspn(err, "\n")] = '\0';
		td_pg_reset(m->pg);
		return (TD_ECONN);
	}
	int nok = 0, rv = TD_OK;
	char last_cmd[64] = "";
	char txn_cmd[64] = "";
	PGresult *fail = NULL;
	PGresult *r;
	while ((r = PQgetResult(c)) != NULL) {
		switch (PQresultStatus(r)) {
		case PGRES_COMMAND_OK:
		case PGRES_TUPLES_OK:
		case PGRES_EMPTY_QUERY:
			nok++;
			snprintf(last_cmd, sizeof(last_cmd), "%s", PQcmdStatus(r));
			if (is_txn_control(last_cmd) && txn_cmd[0] == '\0') {
				snprintf(
				    txn_cmd, sizeof(txn_cmd), "%s (statement #%d)", last_cmd, nok);
			}
			break;
		case PGRES_COPY_IN:
			/* No data to give: end it with an error, the server reports it. */
			(void)PQputCopyEnd(c, "COPY FROM STDIN is not supported in migrations");
			break;
		case PGRES_COPY_OUT: {
			char *buf = NULL;
			while (PQgetCopyData(c, &buf, 0) > 0) {
				PQfreemem(buf);
			}
			break;
		}
		default:
			if (fail == NULL) {
				fail = r;
				r = NULL;
			}
			break;
		}
		PQclear(r);
	}
	if (fail != NULL) {
		td_buf b = TD_BUF_INIT;
		td_buf_init(&b, 0);
		describe_error(&b, f, sql, len, fail, nok, last_cmd);
		snprintf(
		    err, errlen, "%s", td_buf_failed(&b) ? "error (message too long)" : b.data);
		td_buf_free(&b);
		char ignore[8];
		rv = td_pg_check(m->pg, fail, PGRES_COMMAND_OK, ignore, sizeof(ignore));
		PQclear(fail);
		return (rv == TD_ECONN ? TD_ECONN : TD_EDATA);
	}
	if (txn_cmd[0] != '\0' || PQtransactionStatus(c) != PQTRANS_INTRANS) {
		snprintf(err, errlen,
		    "%s: the file contains transaction control (%s); db-migrate runs each file in "
		    "its own transaction, remove it. %s",
		    f->filename, txn_cmd[0] ? txn_cmd : "the transaction ended early",
		    PQtransactionStatus(c) == PQTRANS_IDLE
		        ? "WARNING: statements before it were committed and are NOT recorded; "
		          "check the database by hand"
		        : "Nothing from this file was applied");
		return (TD_EDATA);
	}
	return (TD_OK);
}

int
migdb_apply(migdb *m, const migfile *f, char *err, size_t errlen)
{
	char *sql = NULL;
	size_t len = 0;
	int rv = migfile_read(f->path, &sql, &len, err, errlen);
	if (rv != TD_OK) {
		return (rv);
	}
	char sum[MIGFILE_SHA256_HEX];
	rv = migfile_sha256_hex(sql, len, sum);
	if (rv == TD_OK && strcmp(sum, f->sha256) != 0) {
		snprintf(
		    err, errlen, "%s: changed while db-migrate was running; run it again", f->path);
		rv = TD_EAGAIN;
	}
	if (rv != TD_OK) {
		goto out;
	}
	char e2[512];
	rv = td_pg_exec(m->pg, "BEGIN", err, errlen);
	if (rv != TD_OK) {
		goto out;
	}
	m->current_file = f->filename;
	rv = run_file(m, f, sql, len, err, errlen);
	m->current_file = NULL;
	if (rv != TD_OK) {
		goto rollback;
	}
	char ver[16];
	snprintf(ver, sizeof(ver), "%d", f->version);
	const char *params[] = { ver, f->name, f->sha256 };
	PGresult *r = PQexecParams(td_pg_conn(m->pg),
	    "INSERT INTO monitoring.schema_migrations (version, name, sha256) VALUES ($1, $2, $3)",
	    3, NULL, params, NULL, NULL, 0);
	rv = td_pg_check(m->pg, r, PGRES_COMMAND_OK, e2, sizeof(e2));
	PQclear(r);
	if (rv != TD_OK) {
		snprintf(err, errlen, "%s: recording it in monitoring.schema_migrations failed: %s",
		    f->filename, e2);
		goto rollback;
	}
	rv = td_pg_exec(m->pg, "COMMIT", e2, sizeof(e2));
	if (rv != TD_OK) {
		snprintf(err, errlen, "%s: COMMIT failed: %s", f->filename, e2);
	}
	goto out;
rollback:
	if (td_pg_connected(m->pg) && td_pg_exec(m->pg, "ROLLBACK", e2, sizeof(e2)) != TD_OK) {
		LOG_WARN("MIGR-ROLLBACK-FAIL", "ROLLBACK after %s failed: %s", f->filename, e2);
	}
out:
	free(sql);
	return (rv);
}

int
migdb_ensure_partitions(migdb *m, int *created, char *err, size_t errlen)
{
	*created = 0;
	char v[32];
	int rv = query1(m,
	    "SELECT to_regprocedure('voip.cdr_ensure_partitions(integer,integer)') IS NOT NULL", v,
	    sizeof(v), err, errlen);
	if (rv != TD_OK) {
		return (rv);
	}
	if (strcmp(v, "t") != 0) {
		return (TD_ENOTFOUND);
	}
	m->current_file = "voip.cdr_ensure_partitions()";
	rv = query1(m, "SELECT voip.cdr_ensure_partitions()", v, sizeof(v), err, errlen);
	m->current_file = NULL;
	if (rv == TD_OK) {
		*created = atoi(v);
	}
	return (rv);
}
