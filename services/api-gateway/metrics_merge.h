/* SPDX-License-Identifier: MIT */
/*
 * Merging the Prometheus text of several daemons into one exposition, so
 * one scrape of the gateway covers the node: each sample gets a
 * daemon="<name>" label, and each family's HELP/TYPE appears once with all
 * daemons' samples under it (the format requires a family's samples to be
 * contiguous).  Pure; unit-tested.
 */
#ifndef API_GATEWAY_METRICS_MERGE_H
#define API_GATEWAY_METRICS_MERGE_H

#include "util/buf.h"

typedef struct metrics_merge metrics_merge;

metrics_merge *metrics_merge_new(void);
/* metrics_merge_add adds one daemon's exposition text (copied). */
void metrics_merge_add(metrics_merge *m, const char *daemon, const char *text);
void metrics_merge_render(const metrics_merge *m, td_buf *out);
void metrics_merge_free(metrics_merge *m);

#endif
