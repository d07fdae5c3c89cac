/* SPDX-License-Identifier: MIT */
/*
 * The gateway's view of the other daemons on its node, through their
 * control endpoints: who is up (for /health) and their metrics (merged
 * into /metrics).
 */
#ifndef API_GATEWAY_FLEET_H
#define API_GATEWAY_FLEET_H

#include <jansson.h>

#include "gateway.h"
#include "util/buf.h"

/* members: "name" (ipc://<run_dir>/<name>.ctl) or "name=url", comma-separated. */
fleet *fleet_new(const char *members, const char *run_dir, int timeout_ms);
void fleet_free(fleet *f);

/* fleet_status: {"<name>": {"up": true, "uptime_s": ...} | {"up": false, "error": ...}}. */
json_t *fleet_status(fleet *f, int *up, int *total);

/* fleet_metrics appends every reachable member's metrics, labelled by daemon. */
void fleet_metrics(fleet *f, const char *self, const char *self_text, td_buf *out);

#endif
