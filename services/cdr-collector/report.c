/* SPDX-License-Identifier: MIT */
/* cdr-collector: status and stats for the control endpoint. */
#include <math.h>

#include "svc.h"

json_t *
svc_status(td_daemon *d)
{
	svc *s = td_daemon_ctx(d);
	const collector_cfg *c = td_daemon_cfg(d);
	json_t *o = json_pack("{s:s, s:s, s:s}", "http", c->http_listen, "path", c->http_path,
	    "redis", enq_redis_up(s->enq) ? "up" : "down");
	json_object_set_new(o, "inbox", json_string(s->inbox ? s->inbox_url : "off"));
	json_object_set_new(o, "subscribed", json_string(c->bus_subscribe));
	return (o);
}

static double
ms(double v)
{
	return (isnan(v) ? -1 : v * 1000.0);
}

json_t *
svc_stats(td_daemon *d)
{
	svc *s = td_daemon_ctx(d);
	collector_metrics *m = &s->m;
	td_bus_sub_stats bs = {0};
	if (s->sub != NULL) {
		td_bus_sub_stats_get(s->sub, &bs);
	}
	return (json_pack("{s:I, s:I, s:{s:I, s:I, s:I, s:I}, s:I, s:I, s:I, s:I, s:I, s:I, "
	                  "s:f, s:f, s:f, s:{s:I, s:I, s:I}}",
	    "accepted_http", (json_int_t)td_counter_get(m->accepted_http), "accepted_events",
	    (json_int_t)td_counter_get(m->accepted_event), "rejected", "decode",
	    (json_int_t)td_counter_get(m->rejected_decode), "invalid",
	    (json_int_t)td_counter_get(m->rejected_map), "auth",
	    (json_int_t)td_counter_get(m->rejected_auth), "method",
	    (json_int_t)td_counter_get(m->rejected_method), "unavailable_503",
	    (json_int_t)td_counter_get(m->unavailable), "dead_letters",
	    (json_int_t)td_counter_get(m->dead), "events_lost",
	    (json_int_t)td_counter_get(m->event_lost), "uuid_mismatch",
	    (json_int_t)td_counter_get(m->uuid_mismatch), "redis_errors",
	    (json_int_t)td_counter_get(m->redis_errors), "in_flight",
	    (json_int_t)td_gauge_get(m->in_flight), "push_group_p50",
	    td_histogram_quantile(m->group_size, 0.5), "enqueue_ms_p50",
	    ms(td_histogram_quantile(m->enqueue_seconds, 0.5)), "enqueue_ms_p99",
	    ms(td_histogram_quantile(m->enqueue_seconds, 0.99)), "bus", "received",
	    (json_int_t)bs.received, "decode_errors", (json_int_t)bs.decode_errors, "gaps",
	    (json_int_t)bs.gaps));
}
