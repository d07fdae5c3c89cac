/* SPDX-License-Identifier: MIT */
/*
 * A cdr-writer consumer thread.  The loop, and why it never loses or
 * duplicates a CDR:
 *
 *   1. If this worker's processing list is not empty (a crash, a lost
 *      reply, a restart), those items are the batch.  Otherwise move up to
 *      batch.max items from the queue into it (blocking briefly for the
 *      first, then filling for at most batch.wait).
 *   2. INSERT them in one statement, ON CONFLICT (leg_uuid, start_time) DO
 *      NOTHING, so rows already committed before a crash are skipped.
 *   3. Only after PostgreSQL has committed, DEL the processing list.
 *
 * PostgreSQL or Redis outages only delay this: the batch stays in the
 * processing list (and in memory) until it is committed and acknowledged.
 * A record PostgreSQL refuses as bad data (SQLSTATE class 22/23) is found
 * by retrying the batch row by row and moved to the dead-letter list with
 * the reason, so one poisoned record never blocks the queue.
 */
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cdrq/cdrq.h"
#include "kv/kv.h"
#include "log/log.h"
#include "pg/pg.h"
#include "cdrdb/rows.h"
#include "tandem/cdr.pb-c.h"
#include "util/clock.h"
#include "util/mem.h"
#include "writer.h"

#define BLOCK_MS 500 /* how long one BLMOVE waits before checking for stop */

struct worker {
	const writer_cfg *cfg;
	writer_metrics *m;
	int idx;
	char processing[192];
	pthread_t thr;
	_Atomic bool stop;
	td_kv *kv;
	td_pg *pg;
	bool *prepared;        /* prepared[n]: statement for n rows exists on this connection */
	uint64_t pg_conn_seen; /* td_pg connects count when prepared[] was valid */
	td_cdrdb_rows rows;
	struct rowinfo {
		int64_t received_us; /* for the end-to-end latency metric */
		size_t item;         /* index of the row's item in the batch */
	} *ri;
	size_t ri_cap;
	td_buf dead;           /* packed dead letters waiting to be pushed (len-prefixed) */
	pthread_mutex_t st_lock;
	worker_stats st;
};

void
writer_processing_key(const char *writer_id, int idx, char *out, size_t len)
{
	snprintf(out, len, "%s%s:%d", TD_CDRQ_PROCESSING_PREFIX, writer_id, idx);
}

/* ---- dead letters ----------------------------------------------------------- */

static void
dead_add(worker *w, const td_cdrq_item *it, const char *reason)
{
	Tandem__CdrDeadLetter dl = TANDEM__CDR_DEAD_LETTER__INIT;
	dl.received_us = td_wall_us();
	dl.reason = (char *)reason;
	dl.remote_addr = (char *)"cdr-writer";
	dl.content_type = (char *)"application/x-protobuf; msg=tandem.CdrRecord";
	dl.body.data = (uint8_t *)it->data;
	dl.body.len = it->len;
	size_t n = tandem__cdr_dead_letter__get_packed_size(&dl);
	uint32_t n32 = (uint32_t)n;
	td_buf_append(&w->dead, &n32, sizeof(n32));
	uint8_t *p = td_buf_extend(&w->dead, n);
	if (p != NULL) {
		tandem__cdr_dead_letter__pack(&dl, p);
	}
	LOG_WARN("CDRW-DEAD", "record moved to %s: %s", w->cfg->dead_key, reason);
}

/* dead_flush pushes the collected dead letters; they must be safe before the ack. */
static int
dead_flush(worker *w)
{
	if (w->dead.len == 0) {
		return (TD_OK);
	}
	size_t cnt = 0, off = 0;
	td_cdrq_item items[256];
	int rv = TD_OK;
	char err[256];
	while (off < w->dead.len && rv == 0) {
		uint32_t n32;
		memcpy(&n32, w->dead.data + off, sizeof(n32));
		items[cnt].data = w->dead.data + off + sizeof(n32);
		items[cnt].len = n32;
		cnt++;
		off += sizeof(n32) + n32;
		if (cnt == TD_ARRAY_LEN(items) || off >= w->dead.len) {
			rv = td_cdrq_push(w->kv, w->cfg->dead_key, items, cnt, (long)w->cfg->dead_max,
			    err, sizeof(err));
			if (rv == 0) {
				td_counter_add(w->m->dead, cnt);
			}
			cnt = 0;
		}
	}
	if (rv != 0) {
		td_counter_inc(w->m->err_redis);
		return (rv);
	}
	td_buf_reset(&w->dead);
	return (TD_OK);
}

/* ---- inserting ---------------------------------------------------------------- */

/* ensure_prepared makes sure the n-row INSERT is prepared on this connection. */
static int
ensure_prepared(worker *w, size_t n, char *err, size_t errlen)
{
	td_pg_stats ps;
	td_pg_stats_get(w->pg, &ps);
	if (ps.connects != w->pg_conn_seen) {
		memset(w->prepared, 0, ((size_t)w->cfg->batch_max + 1) * sizeof(bool));
		w->pg_conn_seen = ps.connects;
	}
	if (w->prepared[n]) {
		return (TD_OK);
	}
	char name[32];
	snprintf(name, sizeof(name), "cdrw_ins_%zu", n);
	char *sql = td_cdrdb_insert_sql(n);
	PGresult *r = PQprepare(td_pg_conn(w->pg), name, sql, 0, NULL);
	free(sql);
	int rv = td_pg_check(w->pg, r, PGRES_COMMAND_OK, err, errlen);
	PQclear(r);
	if (rv == 0) {
		w->prepared[n] = true;
	}
	return (rv);
}

/* exec_rows inserts rows [first, first+n) in one statement. */
static int
exec_rows(worker *w, size_t first, size_t n, long *inserted, char *err, size_t errlen)
{
	int rv = ensure_prepared(w, n, err, errlen);
	if (rv != 0) {
		return (rv);
	}
	const char **values = td_xcalloc(n * TD_CDRDB_NCOLS, sizeof(char *));
	td_cdrdb_rows_params(&w->rows, first, n, values);
	char name[32];
	snprintf(name, sizeof(name), "cdrw_ins_%zu", n);
	int64_t t0 = td_mono_us();
	PGresult *r = PQexecPrepared(td_pg_conn(w->pg), name, (int)(n * TD_CDRDB_NCOLS), values, NULL,
	    NULL, 0);
	free(values);
	rv = td_pg_check(w->pg, r, PGRES_COMMAND_OK, err, errlen);
	if (rv == 0) {
		*inserted = atol(PQcmdTuples(r));
		td_histogram_observe(w->m->commit_seconds, (double)(td_mono_us() - t0) / 1e6);
	}
	PQclear(r);
	return (rv);
}

static void
count_pg_error(worker *w, int rv)
{
	if (rv == TD_ECONN) {
		td_counter_inc(w->m->err_pg_conn);
	} else if (rv == TD_EDATA) {
		td_counter_inc(w->m->err_pg_data);
	} else {
		td_counter_inc(w->m->err_pg_other);
	}
}

/*
 * write_batch makes every item of b durable in PostgreSQL (or the dead-letter
 * list).  0 when done; a transient td_err when the whole batch must be retried.
 */
static int
write_batch(worker *w, const td_cdrq_batch *b)
{
	char err[512], why[256];
	td_cdrdb_rows_reset(&w->rows);
	td_buf_reset(&w->dead);
	if (b->n > w->ri_cap) {
		w->ri_cap = b->n;
		w->ri = td_xrealloc(w->ri, b->n * sizeof(*w->ri));
	}
	for (size_t i = 0; i < b->n; i++) {
		Tandem__CdrRecord *rec =
		    tandem__cdr_record__unpack(NULL, b->items[i].len, (const uint8_t *)b->items[i].data);
		if (rec == NULL) {
			dead_add(w, &b->items[i], "not a valid tandem.CdrRecord");
			continue;
		}
		if (td_cdrdb_check(rec, why, sizeof(why)) != 0) {
			dead_add(w, &b->items[i], why);
		} else {
			w->ri[w->rows.n].received_us = rec->received_us;
			w->ri[w->rows.n].item = i;
			td_cdrdb_rows_add(&w->rows, rec);
		}
		tandem__cdr_record__free_unpacked(rec, NULL);
	}

	long inserted_total = 0;
	size_t chunk = (size_t)w->cfg->batch_max;
	for (size_t first = 0; first < w->rows.n; first += chunk) {
		size_t n = w->rows.n - first < chunk ? w->rows.n - first : chunk;
		long inserted = 0;
		int rv = exec_rows(w, first, n, &inserted, err, sizeof(err));
		if (rv == TD_EDATA) {
			/* Find the poisoned rows: one at a time. */
			count_pg_error(w, rv);
			LOG_WARN("CDRW-BAD-BATCH", "batch refused (%s); retrying row by row", err);
			for (size_t i = first; i < first + n; i++) {
				long one = 0;
				rv = exec_rows(w, i, 1, &one, err, sizeof(err));
				if (rv == TD_EDATA) {
					dead_add(w, &b->items[w->ri[i].item], err);
					rv = 0;
				}
				if (rv != 0) {
					count_pg_error(w, rv);
					return (rv);
				}
				inserted += one;
			}
		} else if (rv != 0) {
			count_pg_error(w, rv);
			LOG_WARN("CDRW-PG-FAIL", "insert failed, will retry the batch: %s", err);
			return (rv);
		}
		inserted_total += inserted;
	}
	int rv = dead_flush(w);
	if (rv != 0) {
		return (rv);
	}
	int64_t now = td_wall_us();
	for (size_t i = 0; i < w->rows.n; i++) {
		if (w->ri[i].received_us > 0 && now > w->ri[i].received_us) {
			td_histogram_observe(w->m->e2e_seconds,
			    (double)(now - w->ri[i].received_us) / 1e6);
		}
	}
	LOG_DEBUG("CDRW-COMMIT", "worker %d: %zu records, %ld new rows committed", w->idx, b->n,
	    inserted_total);
	td_counter_add(w->m->rows_inserted, (uint64_t)inserted_total);
	td_counter_add(w->m->rows_duplicate, w->rows.n - (size_t)inserted_total);
	td_counter_inc(w->m->batches);
	td_histogram_observe(w->m->batch_size, (double)b->n);
	if ((size_t)inserted_total < w->rows.n) {
		LOG_DEBUG("CDRW-DUP", "%zu of %zu rows were already stored (replay)",
		    w->rows.n - (size_t)inserted_total, w->rows.n);
	}
	return (TD_OK);
}

/* ---- the loop ----------------------------------------------------------------- */

static void
set_state(worker *w, bool redis_up, bool pg_up, bool committed)
{
	pthread_mutex_lock(&w->st_lock);
	w->st.redis_up = redis_up;
	w->st.pg_up = pg_up;
	if (committed) {
		w->st.batches++;
		w->st.last_commit_us = td_wall_us();
	}
	pthread_mutex_unlock(&w->st_lock);
}

static void *
worker_main(void *arg)
{
	worker *w = arg;
	td_cdrq_batch b = {0};
	bool committed = false; /* b is in PostgreSQL; only the ack is missing */
	char err[512];

	while (!atomic_load(&w->stop)) {
		if (td_kv_ensure(w->kv) != 0) {
			set_state(w, false, td_pg_connected(w->pg), false);
			td_sleep_ms(50);
			continue;
		}
		if (!committed && td_pg_ensure(w->pg) != 0) {
			set_state(w, true, false, false);
			td_sleep_ms(50);
			continue;
		}
		int rv;
		if (b.n == 0) {
			/* Leftovers first: they are ours and must be written before anything new. */
			rv = td_cdrq_recover(w->kv, w->processing, &b, err, sizeof(err));
			if (rv == 0 && b.n > 0) {
				td_counter_add(w->m->recovered, b.n);
				LOG_INFO("CDRW-RECOVER", "found %zu records in %s from before; writing them first",
				    b.n, w->processing);
			} else if (rv == 0) {
				rv = td_cdrq_fetch(w->kv, w->cfg->queue_key, w->processing,
				    (size_t)w->cfg->batch_max, BLOCK_MS, (int)w->cfg->batch_wait_ms, &b, err,
				    sizeof(err));
			}
			if (rv != 0) {
				/* The processing list is the truth: drop our copy, re-read later. */
				td_counter_inc(w->m->err_redis);
				LOG_WARN("CDRW-REDIS-FAIL", "queue read failed: %s", err);
				td_cdrq_batch_free(&b);
				continue;
			}
			if (b.n == 0) {
				set_state(w, true, td_pg_connected(w->pg), false);
				continue;
			}
		}
		if (!committed) {
			if (write_batch(w, &b) != 0) {
				set_state(w, true, td_pg_connected(w->pg), false);
				td_sleep_ms(100);
				continue;
			}
			committed = true;
		}
		rv = td_cdrq_ack(w->kv, w->processing, err, sizeof(err));
		if (rv != 0) {
			td_counter_inc(w->m->err_redis);
			LOG_WARN("CDRW-ACK-FAIL", "committed but could not clear %s yet: %s", w->processing,
			    err);
			continue;
		}
		td_cdrq_batch_free(&b);
		committed = false;
		set_state(w, true, true, true);
	}
	td_cdrq_batch_free(&b);
	return (NULL);
}

worker *
worker_start(const writer_cfg *cfg, const char *writer_id, int idx, writer_metrics *m)
{
	worker *w = TD_NEW(worker);
	w->cfg = cfg;
	w->m = m;
	w->idx = idx;
	writer_processing_key(writer_id, idx, w->processing, sizeof(w->processing));
	snprintf(w->st.processing_key, sizeof(w->st.processing_key), "%s", w->processing);
	pthread_mutex_init(&w->st_lock, NULL);
	w->kv = td_kv_new(&(td_kv_opts){.url = cfg->redis_url});
	w->pg = td_pg_new(&(td_pg_opts){.dsn = cfg->pg_dsn, .app_name = "cdr-writer",
	    .statement_timeout_ms = (int)cfg->pg_timeout_ms});
	w->prepared = td_xcalloc((size_t)cfg->batch_max + 1, sizeof(bool));
	td_cdrdb_rows_init(&w->rows);
	td_buf_init(&w->dead, 0);
	if (pthread_create(&w->thr, NULL, worker_main, w) != 0) {
		td_die("CDRW-THREAD", "cannot start worker thread %d", idx);
	}
	return (w);
}

void
worker_stop(worker *w)
{
	if (w == NULL) {
		return;
	}
	atomic_store(&w->stop, true);
	pthread_join(w->thr, NULL);
	td_kv_free(w->kv);
	td_pg_free(w->pg);
	td_cdrdb_rows_free(&w->rows);
	td_buf_free(&w->dead);
	free(w->prepared);
	free(w->ri);
	pthread_mutex_destroy(&w->st_lock);
	free(w);
}

void
worker_get_stats(worker *w, worker_stats *st)
{
	pthread_mutex_lock(&w->st_lock);
	*st = w->st;
	pthread_mutex_unlock(&w->st_lock);
}
