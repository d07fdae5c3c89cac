/* SPDX-License-Identifier: MIT */
/*
 * Turning CdrRecords into parameters of one multi-row INSERT into voip.cdr.
 * Pure and allocation-light: no database access here (see rows_test.c; used by cdr-writer and the benchmark).
 */
#ifndef TD_CDRDB_ROWS_H
#define TD_CDRDB_ROWS_H

#include <stddef.h>

#include "tandem/cdr.pb-c.h"
#include "util/buf.h"

#define TD_CDRDB_NCOLS 32

/* Parameter texts for up to n rows; NULL parameters are SQL NULL. */
typedef struct td_cdrdb_rows {
	td_buf text;  /* NUL-terminated parameter strings, back to back */
	size_t *off;  /* TD_CDRDB_NCOLS per row: offset into text, or TD_CDRDB_NULL */
	size_t n, cap;
} td_cdrdb_rows;

#define TD_CDRDB_NULL ((size_t)-1)

void td_cdrdb_rows_init(td_cdrdb_rows *r);
void td_cdrdb_rows_reset(td_cdrdb_rows *r);
void td_cdrdb_rows_free(td_cdrdb_rows *r);

/*
 * td_cdrdb_check says whether a record can be inserted at all: 0, or -1 with
 * the reason (missing identity or start time, end before start, ...).
 */
int td_cdrdb_check(const Tandem__CdrRecord *rec, char *why, size_t len);

/* td_cdrdb_rows_add appends one record's parameters. */
void td_cdrdb_rows_add(td_cdrdb_rows *r, const Tandem__CdrRecord *rec);

/*
 * td_cdrdb_rows_params fills values[n * TD_CDRDB_NCOLS] for rows [first, first+n).
 * The pointers are valid until the next td_cdrdb_rows_add/td_cdrdb_rows_reset.
 */
void td_cdrdb_rows_params(const td_cdrdb_rows *r, size_t first, size_t n, const char **values);

/*
 * td_cdrdb_insert_sql returns (malloc) the statement inserting n rows,
 * idempotent on (leg_uuid, start_time).
 */
char *td_cdrdb_insert_sql(size_t n);

#endif
