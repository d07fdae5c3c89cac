/* SPDX-License-Identifier: MIT */
/*
 * The database side of db-migrate, on libs/pg: connect (refusing a
 * standby), the cross-process lock, the bookkeeping table, applying one file
 * in its own transaction, and the CDR partition maintenance call.
 *
 * One migdb per process, used from one thread.
 */
#ifndef DB_MIGRATE_MIGDB_H
#define DB_MIGRATE_MIGDB_H

#include <stddef.h>

#include "migfile.h"
#include "pg/pg.h"
#include "plan.h"

typedef struct migdb {
	td_pg *pg;
	int lock_timeout_ms; /* applied to migration statements; 0 = wait forever */
	const char *current_file; /* file being applied, for server warnings */
} migdb;

/*
 * migdb_open connects and prepares the session: UTF-8, no statement
 * timeout (migrations may be long), search_path = pg_catalog so that every
 * name in a migration must be schema-qualified, and only warnings passed on
 * (logged with id MIGR-SERVER).  Fails with a clear err on a standby.
 */
int migdb_open(
    migdb *m, const char *dsn, int lock_timeout_ms, char *err, size_t errlen) TD_MUSTCHECK;
void migdb_close(migdb *m);

/*
 * migdb_lock takes the session advisory lock that serialises db-migrate
 * runs (any node, any process), waiting as long as another run holds it.
 * Released by migdb_close.
 */
int migdb_lock(migdb *m, char *err, size_t errlen) TD_MUSTCHECK;

/* migdb_bootstrap creates monitoring.schema_migrations if it is missing. */
int migdb_bootstrap(migdb *m, char *err, size_t errlen) TD_MUSTCHECK;

/*
 * migdb_load_applied returns the recorded migrations ordered by version
 * (an empty list if the bookkeeping table does not exist yet).  The caller
 * frees *out with plan_applied_free(*out, *n).
 */
int migdb_load_applied(
    migdb *m, plan_applied **out, size_t *n, char *err, size_t errlen) TD_MUSTCHECK;

/*
 * migdb_apply runs one file and records it, in one transaction: all of it
 * or none of it.  The file is read again and must still have the checksum
 * f->sha256.  On failure err names the file, the line and column when the
 * server gives a position, the error with its SQLSTATE, detail, hint and
 * context, and how many statements of the file had run.  A file that ends
 * the transaction itself (COMMIT/ROLLBACK) is refused.
 */
int migdb_apply(migdb *m, const migfile *f, char *err, size_t errlen) TD_MUSTCHECK;

/*
 * migdb_ensure_partitions calls voip.cdr_ensure_partitions() with its
 * defaults and stores the number of partitions created.  TD_ENOTFOUND if
 * the function does not exist (a database migrated only part way).
 */
int migdb_ensure_partitions(migdb *m, int *created, char *err, size_t errlen) TD_MUSTCHECK;

#endif
