/* SPDX-License-Identifier: MIT */
/*
 * cdr-collector: takes CDRs from FreeSWITCH (mod_json_cdr over HTTP) and
 * call-ended events from the bus, and acknowledges each only once Redis
 * holds it.  This file only wires.
 */
#include <stdio.h>
#include <stdlib.h>

#include "daemon/daemon.h"
#include "svc.h"
#include "util/mem.h"

static collector_cfg g_cfg;

static int
init(td_daemon *d)
{
	svc *s = TD_NEW(svc);
	td_daemon_set_ctx(d, s);
	const td_daemon_common *cm = td_daemon_common_cfg(d);
	char err[512];
	snprintf(s->node, sizeof(s->node), "%s", cm->node_name);
	collector_metrics_init(&s->m);
	s->enq = enq_start(&g_cfg, &s->m);
	s->in = (intake){.cfg = &g_cfg, .m = &s->m, .enq = s->enq, .node = s->node};
	td_http_opts ho = {.listen = g_cfg.http_listen, .max_body = (size_t)g_cfg.http_max_body,
	    .conn_limit = (unsigned)g_cfg.http_max_conns, .threads = (unsigned)g_cfg.http_threads};
	if (td_http_start(&s->http, &ho, intake_http, &s->in, err, sizeof(err)) != 0 ||
	    svc_bus_start(s, &g_cfg, cm->run_dir, err, sizeof(err)) != 0) {
		fprintf(stderr, "cdr-collector: %s\n", err);
		return (-1);
	}
	return (0);
}

static void
fini(td_daemon *d)
{
	svc *s = td_daemon_ctx(d);
	if (s == NULL) {
		return;
	}
	/*
	 * The enqueuer first: it answers every parked request (503 if not yet
	 * in Redis) and refuses new ones, so no connection stays suspended
	 * when the HTTP server stops.
	 */
	svc_bus_stop(s);
	enq_stop(s->enq);
	td_http_stop(s->http);
	enq_free(s->enq);
	free(s);
}

int
main(int argc, char **argv)
{
	td_daemon_spec spec = {
	    .name = "cdr-collector",
	    .summary = "accepts FreeSWITCH CDRs and call-ended events; acknowledges once queued",
	    .keys = collector_cfg_keys,
	    .nkeys = collector_cfg_nkeys,
	    .cfg = &g_cfg,
	    .validate = collector_cfg_validate,
	    .init = init,
	    .fini = fini,
	    .status = svc_status,
	    .stats = svc_stats,
	};
	return (td_daemon_main(&spec, argc, argv));
}
