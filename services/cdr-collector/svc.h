/* SPDX-License-Identifier: MIT */
/* cdr-collector: the service's state, its bus endpoints, and its reports. */
#ifndef CDR_COLLECTOR_SVC_H
#define CDR_COLLECTOR_SVC_H

#include <jansson.h>

#include "bus/bus.h"
#include "collector.h"
#include "daemon/daemon.h"
#include "enqueue.h"
#include "http/http.h"
#include "intake.h"

typedef struct svc {
	collector_metrics m;
	enq *enq;
	intake in;
	td_http_server *http;
	td_bus_sub *sub;
	td_bus_inbox *inbox;
	char inbox_url[512];
	char node[128];
} svc;

/* svc_bus_start subscribes to call.ended and opens the inbox, per config. */
int svc_bus_start(svc *s, const collector_cfg *cfg, const char *run_dir, char *err,
    size_t errlen);
void svc_bus_stop(svc *s);

json_t *svc_status(td_daemon *d);
json_t *svc_stats(td_daemon *d);

#endif
