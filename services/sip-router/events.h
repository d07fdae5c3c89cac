/* SPDX-License-Identifier: MIT */
/*
 * The events thread: call and registration events go out on the bus
 * (best effort), and call-ended events of calls that never reached
 * FreeSWITCH are handed to cdr-collector's inbox, acknowledged, retried
 * while it is away (bounded queue: cdr.queue_max).  Workers only enqueue.
 */
#ifndef SIP_ROUTER_EVENTS_H
#define SIP_ROUTER_EVENTS_H

#include <jansson.h>
#include <stdbool.h>

#include "tandem/events.pb-c.h"

struct sr;
typedef struct sr_events sr_events;

sr_events *ev_new(struct sr *r, const char *pub_url, const char *cdr_inbox_url, long queue_max,
    char *err, size_t errlen);
void ev_free(sr_events *e); /* tries to hand over what is queued for a moment, then drops it */

/* ev_call queues a call event (copied).  cdr: also hand it to cdr-collector. */
void ev_call(sr_events *e, const Tandem__CallEvent *call, bool cdr);
/* ev_registration queues a registration event (copied). */
void ev_registration(sr_events *e, const Tandem__RegistrationEvent *reg);

json_t *ev_stats(sr_events *e);

#endif
