/* SPDX-License-Identifier: MIT */
/* cdr-writer's metrics, registered once at start. */
#include "writer.h"

void
writer_metrics_init(writer_metrics *m)
{
	static const double sizes[] = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000};
	m->rows_inserted = td_metrics_counter("tandem_cdr_writer_rows_inserted_total",
	    "CDR rows committed to voip.cdr", NULL);
	m->rows_duplicate = td_metrics_counter("tandem_cdr_writer_rows_duplicate_total",
	    "CDR rows skipped because the leg was already stored (replays)", NULL);
	m->batches = td_metrics_counter("tandem_cdr_writer_batches_total",
	    "batches committed and acknowledged", NULL);
	m->recovered = td_metrics_counter("tandem_cdr_writer_recovered_total",
	    "records found in processing lists after a restart or a lost reply", NULL);
	m->dead = td_metrics_counter("tandem_cdr_writer_dead_letters_total",
	    "records PostgreSQL refused, moved to the dead-letter list", NULL);
	const char *h = "errors by kind";
	m->err_pg_conn = td_metrics_counter("tandem_cdr_writer_errors_total", h, "kind=\"pg_conn\"");
	m->err_pg_data = td_metrics_counter("tandem_cdr_writer_errors_total", h, "kind=\"pg_data\"");
	m->err_pg_other = td_metrics_counter("tandem_cdr_writer_errors_total", h, "kind=\"pg_other\"");
	m->err_redis = td_metrics_counter("tandem_cdr_writer_errors_total", h, "kind=\"redis\"");
	m->batch_size = td_metrics_histogram("tandem_cdr_writer_batch_size", "records per batch",
	    NULL, sizes, TD_ARRAY_LEN(sizes));
	m->commit_seconds = td_metrics_histogram("tandem_cdr_writer_insert_seconds",
	    "time of one batch INSERT (including its commit)", NULL, td_metrics_latency_buckets,
	    td_metrics_latency_nbuckets);
	m->e2e_seconds = td_metrics_histogram("tandem_cdr_end_to_end_seconds",
	    "from the collector accepting a CDR to its row being committed", NULL,
	    td_metrics_latency_buckets, td_metrics_latency_nbuckets);
	m->queue_depth = td_metrics_gauge("tandem_cdr_queue_depth", "CDRs waiting in the queue",
	    NULL);
	m->processing_depth = td_metrics_gauge("tandem_cdr_processing_depth",
	    "CDRs taken by this writer's workers, not yet acknowledged", NULL);
	m->dead_depth = td_metrics_gauge("tandem_cdr_writer_dead_depth",
	    "records in the writer's dead-letter list", NULL);
}
