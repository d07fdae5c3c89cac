/* SPDX-License-Identifier: MIT */
/*
 * sip-router: the call center's SIP registrar and stateful proxy (see
 * docs/sip-router.md).  This file only wires.
 */
#include <stdio.h>
#include <stdlib.h>

#include "daemon/daemon.h"
#include "router.h"
#include "svc.h"
#include "util/mem.h"

static router_cfg g_cfg;

static int
init(td_daemon *d)
{
	router_svc *s = TD_NEW(router_svc);
	td_daemon_set_ctx(d, s);
	char err[512];
	if (router_start(s, &g_cfg, td_daemon_common_cfg(d), err, sizeof(err)) != 0) {
		fprintf(stderr, "sip-router: %s\n", err);
		return (-1);
	}
	router_register_cmds(d, s);
	return (0);
}

static void
tick(td_daemon *d)
{
	router_tick(td_daemon_ctx(d));
}

static void
fini(td_daemon *d)
{
	router_svc *s = td_daemon_ctx(d);
	if (s != NULL) {
		router_stop(s);
		free(s);
	}
}

int
main(int argc, char **argv)
{
	td_daemon_spec spec = {
	    .name = "sip-router",
	    .summary = "SIP registrar and stateful proxy for the call center",
	    .keys = router_cfg_keys,
	    .nkeys = router_cfg_nkeys,
	    .cfg = &g_cfg,
	    .validate = router_cfg_validate,
	    .init = init,
	    .tick = tick,
	    .fini = fini,
	    .status = router_status,
	    .stats = router_stats,
	    .tick_ms = 250,
	};
	return (td_daemon_main(&spec, argc, argv));
}
