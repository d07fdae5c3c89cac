/* SPDX-License-Identifier: MIT */
/*
 * Where CDRs come in: FreeSWITCH mod_json_cdr POSTs (HTTP), and the
 * sip-router's call-ended events (bus subscription, best effort; and the
 * inbox, acknowledged).  Each is mapped to a CdrRecord once, packed, and
 * handed to the enqueuer.
 */
#ifndef CDR_COLLECTOR_INTAKE_H
#define CDR_COLLECTOR_INTAKE_H

#include "collector.h"
#include "enqueue.h"
#include "http/http.h"
#include "tandem/events.pb-c.h"

typedef struct intake {
	const collector_cfg *cfg;
	collector_metrics *m;
	enq *enq;
	const char *node; /* node name stamped on router CDRs */
} intake;

/* intake_http handles one HTTP request (td_http_handler). */
void intake_http(void *arg, const td_http_req *req, td_http_resp *resp);

/*
 * intake_call_event maps a call-ended event to a record and queues it.
 * 0 once Redis holds it; otherwise a td_err and the reason in err.
 */
int intake_call_event(intake *in, const Tandem__Event *ev, char *err, size_t errlen);

#endif
