/* SPDX-License-Identifier: MIT */
/*
 * The baseline: idempotent batch INSERTs straight into voip.cdr, with the
 * writer's own statement (libs/cdrdb), no Redis, no HTTP, no parsing.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cdrdb/rows.h"
#include "load.h"
#include "log/log.h"
#include "pg/pg.h"
#include "util/clock.h"
#include "util/mem.h"

typedef struct rthr {
	const raw_opts *o;
	_Atomic long *next;
	pthread_t id;
	uint64_t ok, failed;
	double *lat;
	size_t nlat, latcap;
} rthr;

static void *
rthr_main(void *arg)
{
	rthr *th = arg;
	const raw_opts *o = th->o;
	td_pg *pg = td_pg_new(&(td_pg_opts){.dsn = o->dsn, .app_name = "cdr-load-raw"});
	td_cdrdb_rows rows;
	td_cdrdb_rows_init(&rows);
	char err[512], name[32];
	if (td_pg_ensure(pg) != 0) {
		td_pg_free(pg);
		return (NULL);
	}
	char *sql = td_cdrdb_insert_sql((size_t)o->batch);
	snprintf(name, sizeof(name), "raw_%d", o->batch);
	PGresult *r = PQprepare(td_pg_conn(pg), name, sql, 0, NULL);
	free(sql);
	if (td_pg_check(pg, r, PGRES_COMMAND_OK, err, sizeof(err)) != 0) {
		fprintf(stderr, "prepare: %s\n", err);
		PQclear(r);
		td_pg_free(pg);
		return (NULL);
	}
	PQclear(r);
	const char **values = td_xcalloc((size_t)o->batch * TD_CDRDB_NCOLS, sizeof(char *));
	char uuids[1000][37], calls[1000][48];
	for (;;) {
		long first = atomic_fetch_add(th->next, o->batch);
		if (first >= o->rows) {
			break;
		}
		td_cdrdb_rows_reset(&rows);
		int64_t now = td_wall_us();
		for (int i = 0; i < o->batch; i++) {
			Tandem__CdrRecord rec = TANDEM__CDR_RECORD__INIT;
			tmpl_uuid(uuids[i]);
			snprintf(calls[i], sizeof(calls[i]), "%s@load.test", uuids[i]);
			rec.leg_uuid = uuids[i];
			rec.call_uuid = uuids[i];
			rec.leg = TANDEM__CDR_LEG__CDR_LEG_A;
			rec.source = TANDEM__CDR_SOURCE__CDR_SOURCE_FREESWITCH;
			rec.node = (char *)"teo";
			rec.direction = (char *)"inbound";
			rec.caller_id_number = (char *)"1001";
			rec.caller_id_name = (char *)"Extension 1001";
			rec.destination_number = (char *)"1002";
			rec.context = (char *)"default";
			rec.domain = (char *)"192.168.56.202";
			rec.accountcode = (char *)"1001";
			rec.start_us = now;
			rec.answer_us = now + 4000000;
			rec.end_us = now + 25000000;
			rec.duration_s = 25;
			rec.billsec = 21;
			rec.billmsec = 21000;
			rec.hangup_cause = (char *)"NORMAL_CLEARING";
			rec.hangup_cause_q850 = 16;
			rec.sip_term_status = 200;
			rec.sip_hangup_disposition = (char *)"send_bye";
			rec.sip_call_id = calls[i];
			rec.mos = 4.49;
			rec.received_us = now;
			rec.remote_addr = (char *)"127.0.0.1:1";
			td_cdrdb_rows_add(&rows, &rec);
		}
		td_cdrdb_rows_params(&rows, 0, (size_t)o->batch, values);
		int64_t t0 = td_mono_us();
		r = PQexecPrepared(td_pg_conn(pg), name, o->batch * TD_CDRDB_NCOLS, values, NULL, NULL,
		    0);
		if (td_pg_check(pg, r, PGRES_COMMAND_OK, err, sizeof(err)) == 0) {
			th->ok += (uint64_t)atol(PQcmdTuples(r));
			if (th->nlat == th->latcap) {
				th->latcap = th->latcap ? th->latcap * 2 : 1024;
				th->lat = td_xrealloc(th->lat, th->latcap * sizeof(double));
			}
			th->lat[th->nlat++] = (double)(td_mono_us() - t0) / 1000.0;
		} else {
			th->failed += (uint64_t)o->batch;
			fprintf(stderr, "insert: %s\n", err);
		}
		PQclear(r);
	}
	free(values);
	td_cdrdb_rows_free(&rows);
	td_pg_free(pg);
	return (NULL);
}

int
raw_run(const raw_opts *o, load_result *res)
{
	_Atomic long next = 0;
	rthr *ths = td_xcalloc((size_t)o->concurrency, sizeof(rthr));
	memset(res, 0, sizeof(*res));
	int64_t t0 = td_mono_us();
	for (int i = 0; i < o->concurrency; i++) {
		ths[i] = (rthr){.o = o, .next = &next};
		pthread_create(&ths[i].id, NULL, rthr_main, &ths[i]);
	}
	size_t n = 0;
	for (int i = 0; i < o->concurrency; i++) {
		pthread_join(ths[i].id, NULL);
		n += ths[i].nlat;
	}
	res->elapsed_s = (double)(td_mono_us() - t0) / 1e6;
	double *all = td_xcalloc(n + 1, sizeof(double));
	size_t k = 0;
	for (int i = 0; i < o->concurrency; i++) {
		res->ok += ths[i].ok;
		res->failed += ths[i].failed;
		memcpy(all + k, ths[i].lat, ths[i].nlat * sizeof(double));
		k += ths[i].nlat;
		free(ths[i].lat);
	}
	percentiles(all, k, res);
	free(all);
	free(ths);
	return (res->failed == 0 ? 0 : -1);
}
