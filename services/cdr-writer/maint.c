/* SPDX-License-Identifier: MIT */
/* cdr-writer housekeeping (see maint.h). */
#include "maint.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cdrq/cdrq.h"
#include "kv/kv.h"
#include "log/log.h"
#include "pg/pg.h"
#include "tandem/cdr.pb-c.h"
#include "util/clock.h"
#include "util/mem.h"

struct maint {
	const writer_cfg *cfg;
	writer_metrics *m;
	char writer_id[128];
	pthread_mutex_t lock;
	td_kv *kv;
	td_pg *pg;
	bool orphans_done;
	int64_t next_partitions_ms;
	int64_t last_partitions_us;
	int last_partitions_created;
};

maint *
maint_new(const writer_cfg *cfg, const char *writer_id, writer_metrics *m)
{
	maint *mt = TD_NEW(maint);
	mt->cfg = cfg;
	mt->m = m;
	snprintf(mt->writer_id, sizeof(mt->writer_id), "%s", writer_id);
	pthread_mutex_init(&mt->lock, NULL);
	mt->kv = td_kv_new(&(td_kv_opts){.url = cfg->redis_url});
	mt->pg = td_pg_new(&(td_pg_opts){.dsn = cfg->pg_dsn, .app_name = "cdr-writer-maint"});
	return (mt);
}

void
maint_free(maint *mt)
{
	if (mt == NULL) {
		return;
	}
	td_kv_free(mt->kv);
	td_pg_free(mt->pg);
	pthread_mutex_destroy(&mt->lock);
	free(mt);
}

/*
 * requeue_orphans hands back processing lists of worker numbers this run does
 * not have (writer.workers was lowered): their items go back to the queue.
 */
static void
requeue_orphans(maint *mt)
{
	char pattern[256], err[256];
	snprintf(pattern, sizeof(pattern), "%s%s:*", TD_CDRQ_PROCESSING_PREFIX, mt->writer_id);
	size_t plen = strlen(pattern) - 1;
	long long cursor = 0;
	do {
		int rv;
		redisReply *r = td_kv_cmd(mt->kv, &rv, "SCAN %lld MATCH %s COUNT 100", cursor, pattern);
		if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
			if (r) {
				freeReplyObject(r);
			}
			return;
		}
		cursor = atoll(r->element[0]->str);
		redisReply *keys = r->element[1];
		for (size_t i = 0; i < keys->elements; i++) {
			const char *k = keys->element[i]->str;
			long idx = strtol(k + plen, NULL, 10);
			if (idx < mt->cfg->workers) {
				continue;
			}
			long moved = 0;
			if (td_cdrq_requeue(mt->kv, k, mt->cfg->queue_key, &moved, err, sizeof(err)) == 0) {
				LOG_INFO("CDRW-ORPHAN", "moved %ld records from %s back to the queue", moved, k);
			}
		}
		freeReplyObject(r);
	} while (cursor != 0);
	mt->orphans_done = true;
}

static void
sample_depths(maint *mt)
{
	char err[256], key[192];
	long len = 0, total = 0;
	if (td_cdrq_len(mt->kv, mt->cfg->queue_key, &len, err, sizeof(err)) == 0) {
		td_gauge_set(mt->m->queue_depth, (double)len);
	}
	for (int i = 0; i < mt->cfg->workers; i++) {
		writer_processing_key(mt->writer_id, i, key, sizeof(key));
		if (td_cdrq_len(mt->kv, key, &len, err, sizeof(err)) == 0) {
			total += len;
		}
	}
	td_gauge_set(mt->m->processing_depth, (double)total);
	if (td_cdrq_len(mt->kv, mt->cfg->dead_key, &len, err, sizeof(err)) == 0) {
		td_gauge_set(mt->m->dead_depth, (double)len);
	}
}

static void
ensure_partitions(maint *mt)
{
	if (td_pg_ensure(mt->pg) != 0) {
		return;
	}
	char err[512];
	PGresult *r = PQexec(td_pg_conn(mt->pg), "SELECT voip.cdr_ensure_partitions()");
	if (td_pg_check(mt->pg, r, PGRES_TUPLES_OK, err, sizeof(err)) == 0) {
		mt->last_partitions_created = atoi(PQgetvalue(r, 0, 0));
		mt->last_partitions_us = td_wall_us();
		mt->next_partitions_ms = td_mono_ms() + mt->cfg->partitions_every_ms;
		if (mt->last_partitions_created > 0) {
			LOG_INFO("CDRW-PARTITIONS", "created %d voip.cdr partitions",
			    mt->last_partitions_created);
		}
	} else {
		LOG_WARN("CDRW-PARTITIONS-FAIL", "cannot ensure voip.cdr partitions: %s", err);
		mt->next_partitions_ms = td_mono_ms() + 60000;
	}
	PQclear(r);
}

void
maint_tick(maint *mt)
{
	pthread_mutex_lock(&mt->lock);
	if (td_kv_ensure(mt->kv) == 0) {
		if (!mt->orphans_done) {
			requeue_orphans(mt);
		}
		sample_depths(mt);
	}
	if (td_mono_ms() >= mt->next_partitions_ms) {
		ensure_partitions(mt);
	}
	pthread_mutex_unlock(&mt->lock);
}

int
maint_dead_list(maint *mt, long n, json_t **out, char *err, size_t errlen)
{
	pthread_mutex_lock(&mt->lock);
	int rv = td_kv_ensure(mt->kv);
	if (rv != 0) {
		pthread_mutex_unlock(&mt->lock);
		snprintf(err, errlen, "Redis unreachable");
		return (rv);
	}
	redisReply *r = td_kv_cmd(mt->kv, &rv, "LRANGE %s 0 %ld", mt->cfg->dead_key, n - 1);
	pthread_mutex_unlock(&mt->lock);
	if (r == NULL) {
		snprintf(err, errlen, "redis: %s", td_strerror(rv));
		return (rv);
	}
	json_t *a = json_array();
	for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
		Tandem__CdrDeadLetter *dl = tandem__cdr_dead_letter__unpack(NULL,
		    r->element[i]->len, (const uint8_t *)r->element[i]->str);
		if (dl == NULL) {
			continue;
		}
		char ts[40];
		const char *leg = "?";
		Tandem__CdrRecord *rec = tandem__cdr_record__unpack(NULL, dl->body.len, dl->body.data);
		if (rec != NULL && rec->leg_uuid != NULL && rec->leg_uuid[0]) {
			leg = rec->leg_uuid;
		}
		json_array_append_new(a, json_pack("{s:s, s:s, s:s}", "at",
		                             td_fmt_rfc3339(dl->received_us, ts, sizeof(ts)), "leg_uuid",
		                             leg, "reason", dl->reason));
		if (rec != NULL) {
			tandem__cdr_record__free_unpacked(rec, NULL);
		}
		tandem__cdr_dead_letter__free_unpacked(dl, NULL);
	}
	freeReplyObject(r);
	*out = a;
	return (TD_OK);
}

json_t *
maint_status(maint *mt)
{
	char ts[40] = "never";
	pthread_mutex_lock(&mt->lock);
	if (mt->last_partitions_us > 0) {
		td_fmt_rfc3339(mt->last_partitions_us, ts, sizeof(ts));
	}
	json_t *o = json_pack("{s:s, s:i}", "partitions_checked_at", ts, "partitions_created",
	    mt->last_partitions_created);
	pthread_mutex_unlock(&mt->lock);
	return (o);
}
