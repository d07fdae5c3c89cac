/* SPDX-License-Identifier: MIT */
/* sip-router: the service around the router context (start, stop, tick, control). */
#ifndef SIP_ROUTER_SVC_H
#define SIP_ROUTER_SVC_H

#include <jansson.h>

#include "bus/bus.h"
#include "daemon/daemon.h"
#include "sr.h"

typedef struct router_svc {
	sr r;
	td_bus_sub *peers;       /* the other node's registration events */
	int64_t next_probe_ms;
	int64_t next_second_ms;
	uint64_t seconds;
} router_svc;

/* router_start brings everything up; error names the config key at fault. */
int router_start(router_svc *s, const router_cfg *cfg, const td_daemon_common *cm, char *err,
    size_t errlen);
void router_stop(router_svc *s);
/* router_tick: main thread, every 250 ms (probes, janitors, gauges). */
void router_tick(router_svc *s);

/* Control endpoint: status/stats and the router's own commands. */
json_t *router_status(td_daemon *d);
json_t *router_stats(td_daemon *d);
void router_register_cmds(td_daemon *d, router_svc *s);

#endif
