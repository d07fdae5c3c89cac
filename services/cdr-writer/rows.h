/* SPDX-License-Identifier: MIT */
/*
 * Turning CdrRecords into parameters of one multi-row INSERT into voip.cdr.
 * Pure and allocation-light: no database access here (see rows_test.c).
 */
#ifndef CDR_WRITER_ROWS_H
#define CDR_WRITER_ROWS_H

#include <stddef.h>

#include "tandem/cdr.pb-c.h"
#include "util/buf.h"

#define ROWS_NCOLS 32

/* Parameter texts for up to n rows; NULL parameters are SQL NULL. */
typedef struct rows {
	td_buf text;  /* NUL-terminated parameter strings, back to back */
	size_t *off;  /* ROWS_NCOLS per row: offset into text, or ROWS_NULL */
	size_t n, cap;
} rows;

#define ROWS_NULL ((size_t)-1)

void rows_init(rows *r);
void rows_reset(rows *r);
void rows_free(rows *r);

/*
 * rows_check says whether a record can be inserted at all: 0, or -1 with
 * the reason (missing identity or start time, end before start, ...).
 */
int rows_check(const Tandem__CdrRecord *rec, char *why, size_t len);

/* rows_add appends one record's parameters. */
void rows_add(rows *r, const Tandem__CdrRecord *rec);

/*
 * rows_params fills values[n * ROWS_NCOLS] for rows [first, first+n).
 * The pointers are valid until the next rows_add/rows_reset.
 */
void rows_params(const rows *r, size_t first, size_t n, const char **values);

/*
 * rows_insert_sql returns (malloc) the statement inserting n rows,
 * idempotent on (leg_uuid, start_time).
 */
char *rows_insert_sql(size_t n);

#endif
