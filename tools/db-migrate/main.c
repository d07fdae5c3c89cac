/* SPDX-License-Identifier: MIT */
/*
 * db-migrate: applies db/migrations/NNNN_name.sql to a PostgreSQL database
 * in version order, each file in its own transaction, recorded in
 * monitoring.schema_migrations; then makes sure the CDR partitions exist.
 * Wiring only: files are migfile.c, the plan is plan.c, the database is migdb.c.
 *
 *   db-migrate --dsn DSN [--dir DIR] [--status] [--no-partitions]
 *              [--lock-timeout SECONDS] [--verbose]
 *
 * Exit status: 0 success (or, with --status, a consistent database),
 * 1 failure, 2 bad usage.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log/log.h"
#include "migdb.h"
#include "migfile.h"
#include "plan.h"
#include "util/clock.h"

#define ERRLEN 4096

typedef struct opts {
	const char *dsn;
	const char *dir;
	bool status;
	bool no_partitions;
	int lock_timeout_s;
} opts;

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: db-migrate --dsn DSN [--dir DIR] [--status] [--no-partitions]\n"
	    "                  [--lock-timeout SECONDS] [--verbose]\n"
	    "\n"
	    "Applies DIR/NNNN_name.sql (default db/migrations) in version order, each in its\n"
	    "own transaction, records them in monitoring.schema_migrations, then calls\n"
	    "voip.cdr_ensure_partitions().  Refuses to run if an applied file has changed.\n"
	    "\n"
	    "  --dsn DSN             libpq connection string or postgresql:// URI\n"
	    "  --dir DIR             migrations directory (default db/migrations)\n"
	    "  --status              print applied/pending/changed/missing, change nothing\n"
	    "  --no-partitions       do not call voip.cdr_ensure_partitions()\n"
	    "  --lock-timeout S      give up on a table lock a migration waits for after S\n"
	    "                        seconds (default 30; 0 = wait forever)\n"
	    "  --verbose             debug logging\n");
}

static int
parse_args(int argc, char **argv, opts *o)
{
	static const struct option longopts[] = {
		{ "dsn", required_argument, NULL, 'd' },
		{ "dir", required_argument, NULL, 'D' },
		{ "status", no_argument, NULL, 's' },
		{ "no-partitions", no_argument, NULL, 'P' },
		{ "lock-timeout", required_argument, NULL, 'l' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	*o = (opts) { .dir = "db/migrations", .lock_timeout_s = 30 };
	int c;
	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': o->dsn = optarg; break;
		case 'D': o->dir = optarg; break;
		case 's': o->status = true; break;
		case 'P': o->no_partitions = true; break;
		case 'v': td_log_set_level(TD_LOG_DEBUG); break;
		case 'l': {
			char *end = NULL;
			long v = strtol(optarg, &end, 10);
			if (end == optarg || *end != '\0' || v < 0 || v > 86400) {
				fprintf(stderr,
				    "db-migrate: --lock-timeout wants 0..86400 seconds, got '%s'\n",
				    optarg);
				return (2);
			}
			o->lock_timeout_s = (int)v;
			break;
		}
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return (2);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "db-migrate: unexpected argument '%s'\n", argv[optind]);
		return (2);
	}
	if (o->dsn == NULL || *o->dsn == '\0') {
		fprintf(stderr, "db-migrate: --dsn is required\n");
		usage(stderr);
		return (2);
	}
	return (0);
}

/* print_status writes the plan as a table on stdout. */
static void
print_status(const plan *p)
{
	printf("%-7s  %-8s  %-20s  %s\n", "version", "state", "applied_at (UTC)", "file");
	for (size_t i = 0; i < p->n; i++) {
		const plan_row *r = &p->rows[i];
		printf("%04d     %-8s  %-20s  %s%s\n", r->version, plan_state_name(r->state),
		    r->applied ? r->applied->applied_at : "",
		    r->file ? r->file->filename : r->applied->name,
		    r->state == PLAN_MISSING       ? "  (applied; no such file here)"
		        : r->state == PLAN_CHANGED ? "  (file differs from what was applied)"
		        : r->out_of_order          ? "  (older than an applied version)"
		                                   : "");
	}
	printf("%zu applied, %zu pending, %zu changed, %zu missing\n", p->applied, p->pending,
	    p->changed, p->missing);
}

/* check_plan logs what is wrong with the plan; false if migrating must stop. */
static bool
check_plan(const plan *p, const char *dir)
{
	for (size_t i = 0; i < p->n; i++) {
		const plan_row *r = &p->rows[i];
		switch (r->state) {
		case PLAN_CHANGED:
			LOG_ERROR("MIGR-CHECKSUM",
			    "%s/%s was changed after it was applied on %s (sha256 then %s, now "
			    "%s); "
			    "an applied migration is history: restore the file and put the change "
			    "in "
			    "a new migration",
			    dir, r->file->filename, r->applied->applied_at, r->applied->sha256,
			    r->file->sha256);
			break;
		case PLAN_MISSING:
			LOG_WARN("MIGR-MISSING",
			    "version %04d (%s) is applied but has no file in %s: the database is "
			    "newer than these migrations",
			    r->version, r->applied->name, dir);
			break;
		case PLAN_PENDING:
			if (r->out_of_order) {
				LOG_WARN("MIGR-OUT-OF-ORDER",
				    "%s is pending but older than an applied migration; applying "
				    "it "
				    "anyway",
				    r->file->filename);
			}
			break;
		case PLAN_APPLIED:
			if (strcmp(r->file->name, r->applied->name) != 0) {
				LOG_WARN("MIGR-RENAMED",
				    "%s was applied as version %04d '%s' with the same content",
				    r->file->filename, r->version, r->applied->name);
			}
			break;
		}
	}
	return (p->changed == 0);
}

static int
migrate(migdb *db, const opts *o, const plan *p)
{
	char err[ERRLEN];
	size_t done = 0;
	for (size_t i = 0; i < p->n; i++) {
		const plan_row *r = &p->rows[i];
		if (r->state != PLAN_PENDING) {
			continue;
		}
		LOG_INFO("MIGR-APPLY", "applying %s", r->file->filename);
		int64_t t0 = td_mono_us();
		if (migdb_apply(db, r->file, err, sizeof(err)) != TD_OK) {
			LOG_ERROR("MIGR-FAIL", "%s", err);
			LOG_ERROR("MIGR-STOP",
			    "stopped at %s; %zu of %zu pending migrations applied",
			    r->file->filename, done, p->pending);
			return (1);
		}
		done++;
		LOG_INFO("MIGR-APPLIED", "applied %s in %.1f ms", r->file->filename,
		    (double)(td_mono_us() - t0) / 1000.0);
	}
	if (done == 0) {
		LOG_INFO(
		    "MIGR-UP-TO-DATE", "all %zu migrations in %s are applied", p->applied, o->dir);
	} else {
		LOG_INFO("MIGR-DONE", "applied %zu migrations (%zu were already applied)", done,
		    p->applied);
	}
	if (o->no_partitions) {
		return (0);
	}
	int created = 0;
	int rv = migdb_ensure_partitions(db, &created, err, sizeof(err));
	if (rv == TD_ENOTFOUND) {
		LOG_WARN("MIGR-PARTITIONS",
		    "voip.cdr_ensure_partitions() does not exist yet; no partitions created");
		return (0);
	}
	if (rv != TD_OK) {
		LOG_ERROR("MIGR-PARTITIONS", "voip.cdr_ensure_partitions() failed: %s", err);
		return (1);
	}
	LOG_INFO("MIGR-PARTITIONS", "voip.cdr_ensure_partitions() created %d partitions", created);
	return (0);
}

int
main(int argc, char **argv)
{
	td_log_setup("db-migrate", NULL, TD_LOG_LOGFMT);
	opts o;
	int rc = parse_args(argc, argv, &o);
	if (rc != 0) {
		return (rc);
	}
	char err[ERRLEN];
	migfile_set files = { 0 };
	migdb db = { 0 };
	plan_applied *applied = NULL;
	size_t napplied = 0;
	plan p = { 0 };
	rc = 1;

	if (migfile_scan(o.dir, &files, err, sizeof(err)) != TD_OK) {
		LOG_ERROR("MIGR-FILES", "%s", err);
		goto out;
	}
	if (migdb_open(&db, o.dsn, o.lock_timeout_s * 1000, err, sizeof(err)) != TD_OK) {
		LOG_ERROR("MIGR-CONNECT", "%s", err);
		goto out;
	}
	if (!o.status) {
		/* Lock before looking: another run may be half way through. */
		if (migdb_lock(&db, err, sizeof(err)) != TD_OK
		    || migdb_bootstrap(&db, err, sizeof(err)) != TD_OK) {
			LOG_ERROR("MIGR-BOOTSTRAP", "%s", err);
			goto out;
		}
	}
	if (migdb_load_applied(&db, &applied, &napplied, err, sizeof(err)) != TD_OK) {
		LOG_ERROR("MIGR-LOAD", "reading monitoring.schema_migrations: %s", err);
		goto out;
	}
	plan_build(&files, applied, napplied, &p);
	if (o.status) {
		print_status(&p);
		rc = p.changed == 0 ? 0 : 1;
		goto out;
	}
	if (!check_plan(&p, o.dir)) {
		LOG_ERROR("MIGR-REFUSED", "%zu applied migration file(s) changed; nothing was done",
		    p.changed);
		goto out;
	}
	rc = migrate(&db, &o, &p);
out:
	plan_free(&p);
	plan_applied_free(applied, napplied);
	if (db.pg != NULL) {
		migdb_close(&db);
	}
	migfile_set_free(&files);
	return (rc);
}
