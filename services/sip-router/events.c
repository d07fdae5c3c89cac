/* SPDX-License-Identifier: MIT */
/* The events and hand-over threads: bus publishing, acknowledged CDR hand-over (see events.h). */
#include "events.h"

#include <pthread.h>
#include <stdint.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus/bus.h"
#include "log/log.h"
#include "metrics/metrics.h"
#include "sr.h"
#include "util/clock.h"
#include "util/groupcommit.h"
#include "util/mem.h"

typedef struct item {
	td_gc_item gc; /* first: the hand-over's link (a call record waiting for its Ack) */
	struct item *next; /* the publishing queue's link */
	char topic[32];
	uint8_t *data; /* packed tandem.Event body (call or registration) */
	size_t len;
	bool cdr;
} item;

#define EV_PACE_MS 5 /* an event waits at most about this long to be published */

struct sr_events {
	sr *r;
	td_bus_pub *pub;
	td_bus_outbox *outbox;
	long queue_max;
	/* publishing: workers push, the events thread publishes */
	pthread_t thr;
	pthread_mutex_t lock;
	pthread_cond_t cv;
	item *head, *tail; /* to publish */
	long queued;
	bool stop;
	/*
	 * the hand-over: published call records wait in a group committer of
	 * their own for cdr-collector's Ack, so an absent collector (each try
	 * may wait for the Ack's timeout) never holds up publishing.
	 */
	td_gc *handover;
	/* counters live in the metrics registry (/metrics); ev_stats reads them back */
	td_counter *published, *publish_errors, *dropped, *cdr_acked, *cdr_lost, *cdr_retries;
	td_gauge *cdr_waiting;
};

static void
item_free(item *it)
{
	free(it->data);
	free(it);
}

static void
push(sr_events *e, item *it)
{
	pthread_mutex_lock(&e->lock);
	if (e->queued >= e->queue_max) {
		pthread_mutex_unlock(&e->lock);
		td_counter_inc(e->dropped);
		td_counter_add(e->cdr_lost, it->cdr ? 1 : 0);
		item_free(it);
		return;
	}
	if (e->tail != NULL) {
		e->tail->next = it;
	} else {
		e->head = it;
	}
	e->tail = it;
	/*
	 * Only the first event of a batch wakes the thread; it then lets
	 * EV_PACE_MS of events gather before it takes them all, so workers pay
	 * at most one wake-up per EV_PACE_MS instead of a futex per event.
	 */
	bool wake = e->queued++ == 0;
	pthread_mutex_unlock(&e->lock);
	if (wake) {
		pthread_cond_signal(&e->cv);
	}
}

void
ev_call(sr_events *e, const Tandem__CallEvent *call, bool cdr)
{
	if (e == NULL) {
		return;
	}
	item *it = TD_NEW(item);
	it->len = tandem__call_event__get_packed_size(call);
	it->data = td_xmalloc(it->len + 1);
	tandem__call_event__pack(call, it->data);
	it->cdr = cdr;
	const char *topic = call->kind == TANDEM__CALL_EVENT_KIND__CALL_STARTED ? TD_TOPIC_CALL_STARTED
	                    : call->kind == TANDEM__CALL_EVENT_KIND__CALL_ANSWERED
	                        ? TD_TOPIC_CALL_ANSWERED
	                        : TD_TOPIC_CALL_ENDED;
	snprintf(it->topic, sizeof(it->topic), "%s", topic);
	push(e, it);
}

void
ev_registration(sr_events *e, const Tandem__RegistrationEvent *reg)
{
	if (e == NULL) {
		return;
	}
	static const char *const names[] = {"reg.unknown", "reg.added", "reg.refreshed", "reg.removed",
	    "reg.expired"};
	item *it = TD_NEW(item);
	it->len = tandem__registration_event__get_packed_size(reg);
	it->data = td_xmalloc(it->len + 1);
	tandem__registration_event__pack(reg, it->data);
	snprintf(it->topic, sizeof(it->topic), "%s",
	    names[(int)reg->kind >= 0 && (int)reg->kind <= 4 ? reg->kind : 0]);
	push(e, it);
}

/* event_of rebuilds the Event for an item (the body unpacked again). */
static Tandem__Event *
event_of(const item *it, Tandem__CallEvent **call, Tandem__RegistrationEvent **reg)
{
	Tandem__Event *ev = td_xcalloc(1, sizeof(*ev));
	tandem__event__init(ev);
	*call = NULL;
	*reg = NULL;
	if (strncmp(it->topic, "call.", 5) == 0) {
		*call = tandem__call_event__unpack(NULL, it->len, it->data);
		ev->body_case = TANDEM__EVENT__BODY_CALL;
		ev->call = *call;
	} else {
		*reg = tandem__registration_event__unpack(NULL, it->len, it->data);
		ev->body_case = TANDEM__EVENT__BODY_REGISTRATION;
		ev->registration = *reg;
	}
	if (*call == NULL && *reg == NULL) {
		free(ev);
		return (NULL);
	}
	return (ev);
}

static void
event_free(Tandem__Event *ev, Tandem__CallEvent *call, Tandem__RegistrationEvent *reg)
{
	if (call != NULL) {
		tandem__call_event__free_unpacked(call, NULL);
	}
	if (reg != NULL) {
		tandem__registration_event__free_unpacked(reg, NULL);
	}
	free(ev);
}

static void
publish(sr_events *e, item *it)
{
	Tandem__CallEvent *call;
	Tandem__RegistrationEvent *reg;
	Tandem__Event *ev = event_of(it, &call, &reg);
	if (ev == NULL) {
		return;
	}
	if (td_bus_publish(e->pub, it->topic, ev) == 0) {
		td_counter_inc(e->published);
	} else {
		td_counter_inc(e->publish_errors);
	}
	event_free(ev, call, reg);
}

/* submit hands one record to cdr-collector and waits for its Ack. */
static bool
submit(sr_events *e, const item *it)
{
	Tandem__CallEvent *call;
	Tandem__RegistrationEvent *reg;
	Tandem__Event *ev = event_of(it, &call, &reg);
	if (ev == NULL) {
		return (true); /* cannot happen: we packed it; nothing to retry */
	}
	char err[256] = "";
	int rv = td_bus_submit(e->outbox, it->topic, ev, 2000, err, sizeof(err));
	event_free(ev, call, reg);
	if (rv != 0) {
		td_counter_inc(e->cdr_retries);
		LOG_DEBUG("SIPR-CDR-RETRY", "cdr-collector did not take a call record: %s", err);
		return (false);
	}
	td_counter_inc(e->cdr_acked);
	return (true);
}

/*
 * The hand-over's group-commit callbacks (util/groupcommit.h): a group's
 * records are submitted in order, and from the first that is not
 * acknowledged the rest waits for the next try (the retry pause, 1 s).
 */
static td_gc_item *
handover_commit(void *arg, td_gc_item *group)
{
	sr_events *e = arg;
	while (group != NULL) {
		item *it = (item *)group;
		if (!submit(e, it)) {
			return (group);
		}
		group = group->next;
		td_gauge_add(e->cdr_waiting, -1);
		item_free(it);
	}
	return (NULL);
}

static void
handover_fail(void *arg, td_gc_item *gi, int rv)
{
	(void)rv; /* TD_ECLOSED: stopped before cdr-collector took it */
	sr_events *e = arg;
	td_counter_inc(e->cdr_lost);
	td_gauge_add(e->cdr_waiting, -1);
	item_free((item *)gi);
}

/* hand_over queues a published call record for the hand-over (bounded by cdr.queue_max). */
static void
hand_over(sr_events *e, item *it)
{
	double waiting = td_gauge_get(e->cdr_waiting); /* only this thread adds to it */
	if (waiting >= (double)e->queue_max) {
		td_counter_inc(e->cdr_lost);
		LOG_WARN("SIPR-CDR-LOST", "call record dropped: %.0f waiting for cdr-collector", waiting);
		item_free(it);
		return;
	}
	td_gauge_add(e->cdr_waiting, 1);
	it->gc.deadline_ms = INT64_MAX; /* kept until acknowledged, or the router stops */
	td_gc_submit(e->handover, &it->gc);
}

static void *
ev_main(void *arg)
{
	sr_events *e = arg;
	for (;;) {
		pthread_mutex_lock(&e->lock);
		while (e->head == NULL && !e->stop) {
			pthread_cond_wait(&e->cv, &e->lock);
		}
		if (e->head != NULL && !e->stop) {
			/* let the batch gather (new events do not signal meanwhile) */
			pthread_mutex_unlock(&e->lock);
			struct timespec pace = {0, EV_PACE_MS * 1000000L};
			nanosleep(&pace, NULL);
			pthread_mutex_lock(&e->lock);
		}
		item *batch = e->head;
		e->head = e->tail = NULL;
		e->queued = 0;
		bool stop = e->stop;
		pthread_mutex_unlock(&e->lock);
		while (batch != NULL) {
			item *it = batch;
			batch = it->next;
			it->next = NULL;
			publish(e, it);
			if (it->cdr && e->handover != NULL) {
				hand_over(e, it);
			} else {
				item_free(it);
			}
		}
		if (stop) {
			return (NULL);
		}
	}
}

sr_events *
ev_new(sr *r, const char *pub_url, const char *cdr_inbox_url, long queue_max, char *err,
    size_t errlen)
{
	sr_events *e = TD_NEW(sr_events);
	e->r = r;
	e->queue_max = queue_max;
	e->published = td_metrics_counter("tandem_sip_events_total", "events on the bus, by outcome",
	    "result=\"published\"");
	e->publish_errors = td_metrics_counter("tandem_sip_events_total",
	    "events on the bus, by outcome", "result=\"publish_error\"");
	e->dropped = td_metrics_counter("tandem_sip_events_total", "events on the bus, by outcome",
	    "result=\"dropped_queue_full\"");
	e->cdr_acked = td_metrics_counter("tandem_sip_cdr_handover_total",
	    "call records handed to cdr-collector, by outcome", "result=\"acknowledged\"");
	e->cdr_retries = td_metrics_counter("tandem_sip_cdr_handover_total",
	    "call records handed to cdr-collector, by outcome", "result=\"retried\"");
	e->cdr_lost = td_metrics_counter("tandem_sip_cdr_handover_total",
	    "call records handed to cdr-collector, by outcome", "result=\"lost\"");
	e->cdr_waiting = td_metrics_gauge("tandem_sip_cdr_handover_waiting",
	    "call records waiting for cdr-collector's acknowledgement", NULL);
	pthread_mutex_init(&e->lock, NULL);
	pthread_cond_init(&e->cv, NULL);
	if (td_bus_pub_open(&e->pub, pub_url, "sip-router", r->node, err, errlen) != 0) {
		free(e);
		return (NULL);
	}
	if (cdr_inbox_url != NULL && cdr_inbox_url[0] &&
	    td_bus_outbox_open(&e->outbox, cdr_inbox_url, "sip-router", r->node, err, errlen) != 0) {
		td_bus_pub_close(e->pub);
		free(e);
		return (NULL);
	}
	if (e->outbox != NULL) {
		static const td_gc_ops ops = {.commit = handover_commit, .fail = handover_fail};
		e->handover = td_gc_start(&ops, e, 64, 1000, "sr-cdr-handover");
	}
	if (pthread_create(&e->thr, NULL, ev_main, e) != 0) {
		td_die("SIPR-EVENTS-THREAD", "cannot start the events thread");
	}
	pthread_setname_np(e->thr, "sr-events");
	return (e);
}

void
ev_free(sr_events *e)
{
	if (e == NULL) {
		return;
	}
	/* publish what is queued, then give the hand-over one last try */
	pthread_mutex_lock(&e->lock);
	e->stop = true;
	pthread_cond_signal(&e->cv);
	pthread_mutex_unlock(&e->lock);
	pthread_join(e->thr, NULL);
	/* one more try for what waits; what cdr-collector does not take is lost, and counted */
	td_gc_drain(e->handover);
	td_gc_free(e->handover);
	td_bus_outbox_close(e->outbox);
	td_bus_pub_close(e->pub);
	pthread_cond_destroy(&e->cv);
	pthread_mutex_destroy(&e->lock);
	free(e);
}

json_t *
ev_stats(sr_events *e)
{
	pthread_mutex_lock(&e->lock);
	long q = e->queued;
	pthread_mutex_unlock(&e->lock);
	long cq = (long)td_gauge_get(e->cdr_waiting);
	return (json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "published",
	    (json_int_t)td_counter_get(e->published), "publish_errors",
	    (json_int_t)td_counter_get(e->publish_errors), "dropped_queue_full",
	    (json_int_t)td_counter_get(e->dropped), "cdr_acknowledged",
	    (json_int_t)td_counter_get(e->cdr_acked), "cdr_lost", (json_int_t)td_counter_get(e->cdr_lost),
	    "cdr_retries", (json_int_t)td_counter_get(e->cdr_retries), "cdr_waiting", (json_int_t)cq,
	    "to_publish", (json_int_t)q));
}
