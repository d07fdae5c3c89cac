/* SPDX-License-Identifier: MIT */
/*
 * cdr-writer: moves CDRs from the Redis queue into voip.cdr, in batches,
 * exactly once (see worker.c for the protocol).  This file only wires.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/daemon.h"
#include "maint.h"
#include "svc.h"
#include "util/mem.h"
#include "writer.h"

static writer_cfg g_cfg;

static int
init(td_daemon *d)
{
	svc *s = TD_NEW(svc);
	td_daemon_set_ctx(d, s);
	snprintf(s->writer_id, sizeof(s->writer_id), "%s",
	    g_cfg.writer_id[0] ? g_cfg.writer_id : td_daemon_common_cfg(d)->node_name);
	writer_metrics_init(&s->m);
	s->maint = maint_new(&g_cfg, s->writer_id, &s->m);
	maint_tick(s->maint); /* orphans and partitions before the workers start */
	s->nworkers = (int)g_cfg.workers;
	s->workers = td_xcalloc((size_t)s->nworkers, sizeof(worker *));
	for (int i = 0; i < s->nworkers; i++) {
		s->workers[i] = worker_start(&g_cfg, s->writer_id, i, &s->m);
	}
	td_daemon_add_cmd(d, &(td_ctl_cmd){"dead", "[n]",
	                         "newest dead letters: records PostgreSQL refused", svc_cmd_dead, s});
	return (0);
}

static void
tick(td_daemon *d)
{
	svc *s = td_daemon_ctx(d);
	maint_tick(s->maint);
}

static void
fini(td_daemon *d)
{
	svc *s = td_daemon_ctx(d);
	if (s == NULL) {
		return;
	}
	for (int i = 0; i < s->nworkers; i++) {
		worker_stop(s->workers[i]);
	}
	free(s->workers);
	maint_free(s->maint);
	free(s);
}

int
main(int argc, char **argv)
{
	td_daemon_spec spec = {
	    .name = "cdr-writer",
	    .summary = "moves CDRs from the Redis queue into PostgreSQL, exactly once",
	    .keys = writer_cfg_keys,
	    .nkeys = writer_cfg_nkeys,
	    .cfg = &g_cfg,
	    .validate = writer_cfg_validate,
	    .init = init,
	    .tick = tick,
	    .fini = fini,
	    .status = svc_status,
	    .stats = svc_stats,
	    .tick_ms = 1000,
	};
	return (td_daemon_main(&spec, argc, argv));
}
