/* SPDX-License-Identifier: MIT */
/*
 * GET /api/cdr: query parameters -> one SQL statement with keyset
 * pagination.  Pure (no I/O) so it is unit-tested without a database.
 *
 * Parameters: from, to (RFC 3339 or epoch seconds; from inclusive, to
 * exclusive), caller, destination, direction, queue, agent, hangup_cause,
 * leg, call_uuid, sip_call_id (exact matches), limit (1..max), cursor (the
 * next_cursor of the previous page).  Unknown parameters are an error, so a
 * typo never silently returns everything.
 *
 * Rows come newest first, ordered by (start_time, id) descending; the cursor
 * is the (start_time, id) of the last row returned, so pages stay stable
 * while new CDRs arrive.
 */
#ifndef API_GATEWAY_CDR_QUERY_H
#define API_GATEWAY_CDR_QUERY_H

#include <stdbool.h>
#include <stdint.h>

#include "util/buf.h"

#define CDR_QUERY_MAX_PARAMS 16

typedef struct cdr_filter {
	int64_t from_us, to_us; /* 0 = unbounded */
	const char *caller, *destination, *direction, *queue, *agent, *hangup_cause, *leg,
	    *call_uuid, *sip_call_id; /* borrowed; NULL = any */
	int limit;
	bool has_cursor;
	int64_t cursor_start_us, cursor_id;
} cdr_filter;

/* cdr_filter_init: no filters, limit = default_limit. */
void cdr_filter_init(cdr_filter *f, int default_limit);

/*
 * cdr_filter_set applies one query parameter (value borrowed).  0, or -1 with
 * a message naming the parameter in err.
 */
int cdr_filter_set(cdr_filter *f, const char *key, const char *value, int max_limit, char *err,
    size_t errlen);

/* The statement and its text parameters. */
typedef struct cdr_query {
	td_buf sql;
	const char *params[CDR_QUERY_MAX_PARAMS];
	char nums[CDR_QUERY_MAX_PARAMS][24]; /* storage for numeric parameters */
	int nparams;
} cdr_query;

/*
 * cdr_query_build writes the statement.  Each result row has three columns:
 * the CDR as a JSON object (text), its start time in µs, and its id.  It
 * asks for limit + 1 rows: a row beyond the limit means there is a next page.
 */
void cdr_query_build(const cdr_filter *f, cdr_query *q);
void cdr_query_free(cdr_query *q);

/* Opaque cursor: base64url("v1:<start_us>:<id>"). */
void cdr_cursor_encode(int64_t start_us, int64_t id, char *out, size_t len);
int cdr_cursor_decode(const char *s, int64_t *start_us, int64_t *id);

#endif
