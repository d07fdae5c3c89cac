/* SPDX-License-Identifier: MIT */
/* cdr-writer: the service's state, and what it reports over the control endpoint. */
#ifndef CDR_WRITER_SVC_H
#define CDR_WRITER_SVC_H

#include <jansson.h>

#include "daemon/daemon.h"
#include "maint.h"
#include "writer.h"

typedef struct svc {
	char writer_id[128];
	writer_metrics m;
	worker **workers;
	int nworkers;
	maint *maint;
} svc;

json_t *svc_status(td_daemon *d);
json_t *svc_stats(td_daemon *d);
int svc_cmd_dead(void *arg, int argc, char **argv, json_t **out, char *err, size_t errlen);

#endif
