/* SPDX-License-Identifier: MIT */
/*
 * The migration plan: files on disk merged with what the database has
 * applied, by version.  Pure: the caller loads both sides.
 *
 *   applied  file present, checksum equal to the recorded one
 *   pending  file present, not applied yet
 *   changed  file present, checksum differs from the recorded one: the tool
 *            refuses to run (an applied migration is history; write a new one)
 *   missing  applied, but no file (an older tree against a newer database):
 *            reported, not fatal
 */
#ifndef DB_MIGRATE_PLAN_H
#define DB_MIGRATE_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "migfile.h"

typedef struct plan_applied {
	int version;
	char *name; /* as recorded (owned) */
	char sha256[MIGFILE_SHA256_HEX]; /* as recorded */
	char *applied_at; /* as text from the database (owned) */
} plan_applied;

typedef enum plan_state {
	PLAN_APPLIED,
	PLAN_PENDING,
	PLAN_CHANGED,
	PLAN_MISSING,
} plan_state;

typedef struct plan_row {
	int version;
	plan_state state;
	const migfile *file; /* NULL when missing */
	const plan_applied *applied; /* NULL when pending */
	bool out_of_order; /* pending, below the highest applied version */
} plan_row;

typedef struct plan {
	plan_row *rows; /* by version (owned) */
	size_t n;
	size_t applied, pending, changed, missing, out_of_order;
} plan;

/*
 * plan_build merges files (sorted, no duplicates: migfile_sort_check) and
 * applied (sorted by version, as ORDER BY version returns it).  The rows
 * point into both inputs, which must outlive p.  Free with plan_free.
 */
void plan_build(const migfile_set *files, const plan_applied *applied, size_t napplied, plan *p);
void plan_free(plan *p);
const char *plan_state_name(plan_state s);

/* plan_applied_free frees n records and the array. */
void plan_applied_free(plan_applied *a, size_t n);

#endif
