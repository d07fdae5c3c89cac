/* SPDX-License-Identifier: MIT */
/* cdr-collector's metrics, registered once at start. */
#include "collector.h"

void
collector_metrics_init(collector_metrics *m)
{
	static const double groups[] = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000};
	const char *acc = "CDRs acknowledged to their producer (held by Redis)";
	m->accepted_http = td_metrics_counter("tandem_cdr_collector_accepted_total", acc,
	    "source=\"freeswitch\"");
	m->accepted_event = td_metrics_counter("tandem_cdr_collector_accepted_total", acc,
	    "source=\"sip-router\"");
	const char *rej = "CDR submissions refused, by reason";
	m->rejected_decode = td_metrics_counter("tandem_cdr_collector_rejected_total", rej,
	    "reason=\"decode\"");
	m->rejected_map = td_metrics_counter("tandem_cdr_collector_rejected_total", rej,
	    "reason=\"invalid\"");
	m->rejected_auth = td_metrics_counter("tandem_cdr_collector_rejected_total", rej,
	    "reason=\"auth\"");
	m->rejected_method = td_metrics_counter("tandem_cdr_collector_rejected_total", rej,
	    "reason=\"method\"");
	m->unavailable = td_metrics_counter("tandem_cdr_collector_unavailable_total",
	    "POSTs answered 503 because Redis did not take the CDR in time", NULL);
	m->event_lost = td_metrics_counter("tandem_cdr_collector_events_lost_total",
	    "best-effort call-ended events that could not be queued", NULL);
	m->uuid_mismatch = td_metrics_counter("tandem_cdr_collector_uuid_mismatch_total",
	    "POSTs whose ?uuid= differs from the CDR's own uuid", NULL);
	m->dead = td_metrics_counter("tandem_cdr_collector_dead_letters_total",
	    "refused bodies stored in the dead-letter list", NULL);
	m->redis_errors = td_metrics_counter("tandem_cdr_collector_redis_errors_total",
	    "failed Redis pushes (each retried until the request's deadline)", NULL);
	m->enqueue_seconds = td_metrics_histogram("tandem_cdr_collector_enqueue_seconds",
	    "from a CDR being submitted to Redis acknowledging it", NULL,
	    td_metrics_latency_buckets, td_metrics_latency_nbuckets);
	m->group_size = td_metrics_histogram("tandem_cdr_collector_push_group_size",
	    "CDRs per LPUSH (group commit)", NULL, groups, TD_ARRAY_LEN(groups));
	m->in_flight = td_metrics_gauge("tandem_cdr_collector_in_flight",
	    "submissions waiting for Redis", NULL);
}
