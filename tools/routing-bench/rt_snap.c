/* SPDX-License-Identifier: MIT */
/* sip-router's routing snapshot, compiled into this tool (see rt_routing.c). */
#include "../../services/sip-router/routing_snap.c"
