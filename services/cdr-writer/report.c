/* SPDX-License-Identifier: MIT */
/* cdr-writer: status, stats and the dead-letter command. */
#include <stdio.h>
#include <stdlib.h>

#include "svc.h"
#include "util/clock.h"

json_t *
svc_status(td_daemon *d)
{
	svc *s = td_daemon_ctx(d);
	json_t *ws = json_array();
	bool redis = true, pg = true;
	for (int i = 0; i < s->nworkers; i++) {
		worker_stats st;
		char ts[40] = "never";
		worker_get_stats(s->workers[i], &st);
		if (st.last_commit_us > 0) {
			td_fmt_rfc3339(st.last_commit_us, ts, sizeof(ts));
		}
		redis = redis && st.redis_up;
		pg = pg && st.pg_up;
		json_array_append_new(ws, json_pack("{s:i, s:s, s:s, s:s, s:I, s:s}", "worker", i,
		                              "processing", st.processing_key, "redis",
		                              st.redis_up ? "up" : "down", "postgres",
		                              st.pg_up ? "up" : "down", "batches",
		                              (json_int_t)st.batches, "last_commit", ts));
	}
	json_t *o = json_pack("{s:s, s:s, s:s, s:o}", "writer_id", s->writer_id, "redis",
	    redis ? "up" : "down", "postgres", pg ? "up" : "down", "workers", ws);
	json_t *m = maint_status(s->maint);
	json_object_update(o, m);
	json_decref(m);
	return (o);
}

static double
ms(double s)
{
	return (s != s ? -1 : s * 1000.0); /* NaN (no samples) -> -1 */
}

json_t *
svc_stats(td_daemon *d)
{
	svc *s = td_daemon_ctx(d);
	writer_metrics *m = &s->m;
	return (json_pack("{s:I, s:I, s:I, s:I, s:I, s:{s:I, s:I, s:I, s:I}, s:I, s:I, s:I, "
	                  "s:f, s:f, s:f, s:f, s:f}",
	    "rows_inserted", (json_int_t)td_counter_get(m->rows_inserted), "rows_duplicate",
	    (json_int_t)td_counter_get(m->rows_duplicate), "batches",
	    (json_int_t)td_counter_get(m->batches), "recovered",
	    (json_int_t)td_counter_get(m->recovered), "dead_letters",
	    (json_int_t)td_counter_get(m->dead), "errors", "pg_conn",
	    (json_int_t)td_counter_get(m->err_pg_conn), "pg_data",
	    (json_int_t)td_counter_get(m->err_pg_data), "pg_other",
	    (json_int_t)td_counter_get(m->err_pg_other), "redis",
	    (json_int_t)td_counter_get(m->err_redis), "queue_depth",
	    (json_int_t)td_gauge_get(m->queue_depth), "processing_depth",
	    (json_int_t)td_gauge_get(m->processing_depth), "dead_depth",
	    (json_int_t)td_gauge_get(m->dead_depth), "batch_size_p50",
	    td_histogram_quantile(m->batch_size, 0.5), "insert_ms_p50",
	    ms(td_histogram_quantile(m->commit_seconds, 0.5)), "insert_ms_p99",
	    ms(td_histogram_quantile(m->commit_seconds, 0.99)), "end_to_end_ms_p50",
	    ms(td_histogram_quantile(m->e2e_seconds, 0.5)), "end_to_end_ms_p99",
	    ms(td_histogram_quantile(m->e2e_seconds, 0.99))));
}

int
svc_cmd_dead(void *arg, int argc, char **argv, json_t **out, char *err, size_t errlen)
{
	svc *s = arg;
	long n = argc > 0 ? atol(argv[0]) : 20;
	if (n <= 0 || n > 1000) {
		snprintf(err, errlen, "usage: dead [1..1000]");
		return (-1);
	}
	return (maint_dead_list(s->maint, n, out, err, errlen));
}

