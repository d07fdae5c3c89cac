/* SPDX-License-Identifier: MIT */
/*
 * sip-router: the call center's SIP registrar and stateful proxy (see
 * docs/sip-router.md).  This file only wires.
 */
#include "daemon/daemon.h"
#include "router.h"

static router_cfg g_cfg;

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
	};
	return (td_daemon_main(&spec, argc, argv));
}
