/* SPDX-License-Identifier: MIT */
/*
 * cdr-writer housekeeping on the main thread: queue depth sampling, orphaned
 * processing lists (from a run with more workers), monthly partitions, and
 * the dead-letter inspection command.  Its Redis and PostgreSQL connections
 * are separate from the workers' and guarded by one mutex, because control
 * commands run on other threads.
 */
#ifndef CDR_WRITER_MAINT_H
#define CDR_WRITER_MAINT_H

#include <jansson.h>

#include "writer.h"

typedef struct maint maint;

maint *maint_new(const writer_cfg *cfg, const char *writer_id, writer_metrics *m);
void maint_free(maint *mt);
/* maint_tick: call every second from the daemon's main loop. */
void maint_tick(maint *mt);
/* maint_dead_list: the newest n dead letters as JSON (for the CLI). */
int maint_dead_list(maint *mt, long n, json_t **out, char *err, size_t errlen);
/* maint_status: reachability and last partition run. */
json_t *maint_status(maint *mt);

#endif
