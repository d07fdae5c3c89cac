/* SPDX-License-Identifier: MIT */
/*
 * Two threads: the events thread publishes call and registration events
 * on the bus (best effort, a batch every 5 ms at most), and the hand-over
 * (a group committer, util/groupcommit.h) gives call-ended records of
 * calls that never reached FreeSWITCH to cdr-collector's inbox,
 * acknowledged, retried every second while it is away (bounded:
 * cdr.queue_max), with one more try at a clean stop.  Apart, so that an
 * absent collector never delays the events.  Workers only enqueue.
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
