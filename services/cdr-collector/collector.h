/* SPDX-License-Identifier: MIT */
/* cdr-collector: configuration and metrics. */
#ifndef CDR_COLLECTOR_COLLECTOR_H
#define CDR_COLLECTOR_COLLECTOR_H

#include <stdint.h>

#include "cfg/cfg.h"
#include "metrics/metrics.h"

typedef struct collector_cfg {
	char *http_listen;        /* http.listen */
	char *http_path;          /* http.path: where mod_json_cdr POSTs */
	int64_t http_max_body;    /* http.max_body */
	long long http_max_conns; /* http.max_connections */
	long long http_threads;   /* http.threads */
	char *auth_user;          /* http.auth_user: "" = no auth */
	char *auth_password;      /* http.auth_password */
	char *redis_url;          /* redis.url */
	char *queue_key;          /* queue.key */
	char *dead_key;           /* queue.dead_key */
	long long dead_max;       /* queue.dead_max */
	int64_t enqueue_timeout_ms; /* enqueue.timeout */
	long long group_max;      /* enqueue.group_max */
	char *bus_subscribe;      /* bus.subscribe: comma-separated pub URLs */
	char *bus_inbox;          /* bus.inbox: reliable submissions; "off" = none */
} collector_cfg;

extern const td_cfg_key collector_cfg_keys[];
extern const size_t collector_cfg_nkeys;
int collector_cfg_validate(void *cfg, char *err, size_t errlen);

typedef struct collector_metrics {
	td_counter *accepted_http;   /* CDRs from FreeSWITCH acknowledged */
	td_counter *accepted_event;  /* CDRs from call-ended events queued */
	td_counter *rejected_decode, *rejected_map, *rejected_auth, *rejected_method;
	td_counter *unavailable;     /* answered 503: Redis did not take it in time */
	td_counter *event_lost;      /* pub/sub call-ended events we could not queue */
	td_counter *uuid_mismatch;   /* ?uuid= differs from the body's leg uuid */
	td_counter *dead;            /* raw bodies stored in the dead-letter list */
	td_counter *redis_errors;
	td_histogram *enqueue_seconds; /* submit -> Redis acknowledged */
	td_histogram *group_size;      /* CDRs per LPUSH */
	td_gauge *in_flight;
} collector_metrics;

void collector_metrics_init(collector_metrics *m);

#endif
