/* SPDX-License-Identifier: MIT */
/* cdr-writer: configuration and the shared state of its workers. */
#ifndef CDR_WRITER_WRITER_H
#define CDR_WRITER_WRITER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "cfg/cfg.h"
#include "metrics/metrics.h"

typedef struct writer_cfg {
	char *redis_url;         /* redis.url */
	char *pg_dsn;            /* pg.dsn */
	char *queue_key;         /* queue.key */
	char *dead_key;          /* queue.dead_key: records PostgreSQL refused */
	long long dead_max;      /* queue.dead_max */
	char *writer_id;         /* writer.id; "" = node.name */
	long long workers;       /* writer.workers */
	long long batch_max;     /* batch.max */
	int64_t batch_wait_ms;   /* batch.wait */
	int64_t pg_timeout_ms;   /* pg.statement_timeout */
	int64_t partitions_every_ms; /* partitions.interval */
} writer_cfg;

extern const td_cfg_key writer_cfg_keys[];
extern const size_t writer_cfg_nkeys;
int writer_cfg_validate(void *cfg, char *err, size_t errlen);

/* Metrics shared by all workers (looked up once at start). */
typedef struct writer_metrics {
	td_counter *rows_inserted;   /* rows new to PostgreSQL */
	td_counter *rows_duplicate;  /* rows already there (replays) */
	td_counter *batches;
	td_counter *recovered;       /* items found in processing lists at (re)start */
	td_counter *dead;            /* items moved to the dead-letter list */
	td_counter *err_pg_conn, *err_pg_data, *err_pg_other, *err_redis;
	td_histogram *batch_size;
	td_histogram *commit_seconds;
	td_histogram *e2e_seconds;   /* collector acceptance -> commit */
	td_gauge *queue_depth, *processing_depth, *dead_depth;
} writer_metrics;

void writer_metrics_init(writer_metrics *m);

/* One consumer thread: its own Redis and PostgreSQL connections. */
typedef struct worker worker;

typedef struct worker_stats {
	bool redis_up, pg_up;
	uint64_t batches;
	int64_t last_commit_us;
	char processing_key[192];
} worker_stats;

/*
 * worker_start starts consumer number idx.  The worker keeps running until
 * worker_stop; it never gives up on PostgreSQL or Redis outages.
 */
worker *worker_start(const writer_cfg *cfg, const char *writer_id, int idx,
    writer_metrics *m);
void worker_stop(worker *w); /* joins and frees */
void worker_get_stats(worker *w, worker_stats *st);

/* processing_key formats the processing list name for (writer id, idx). */
void writer_processing_key(const char *writer_id, int idx, char *out, size_t len);

#endif
