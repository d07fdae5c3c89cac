/* SPDX-License-Identifier: MIT */
/* cdr-load: the two load modes and what they report. */
#ifndef CDR_LOAD_LOAD_H
#define CDR_LOAD_LOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "template.h"

typedef struct post_opts {
	const char *url;
	long count;          /* CDRs to send */
	int concurrency;     /* parallel HTTP clients (keep-alive) */
	tmpl_encoding enc;
	int retries;         /* re-POSTs of the same body after a failure, like mod_json_cdr */
	int retry_delay_ms;
	const char *auth_header; /* "Authorization: Basic ..." or NULL */
	bool new_connection;     /* one TCP connection per CDR, as mod_json_cdr does */
	int threads;             /* event-loop threads sharing the connections */
	double rate;             /* CDRs per second across all threads; 0 = as fast as possible */
	const char *acked_path; /* file: one "uuid<TAB>post_us" line per acknowledged CDR */
} post_opts;

typedef struct load_result {
	uint64_t ok, failed, retries;
	uint64_t status[6]; /* by first digit of the HTTP status; [0] = transport error */
	double elapsed_s;
	double lat_p50_ms, lat_p99_ms, lat_max_ms; /* client-side, acknowledged requests */
} load_result;

int post_run(const tmpl *t, const post_opts *o, load_result *r);

typedef struct raw_opts {
	const char *dsn;
	long rows;
	int batch;
	int concurrency;
} raw_opts;

/* raw_run inserts rows straight into voip.cdr with the writer's statement. */
int raw_run(const raw_opts *o, load_result *r);

/* percentiles sorts v (ms) and fills p50/p99/max. */
void percentiles(double *v, size_t n, load_result *r);

#endif
