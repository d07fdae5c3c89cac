/* SPDX-License-Identifier: MIT */
/* The events thread: bus publishing and acknowledged CDR hand-over (see events.h). */
#include "events.h"

#include <pthread.h>
#include <time.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus/bus.h"
#include "log/log.h"
#include "sr.h"
#include "util/clock.h"
#include "util/mem.h"

typedef struct item {
	struct item *next;
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
	pthread_t thr;
	pthread_mutex_t lock;
	pthread_cond_t cv;
	item *head, *tail; /* to publish */
	long queued;
	item *cdr_head, *cdr_tail; /* published, waiting for cdr-collector's Ack (events thread only) */
	long cdr_queued;
	long queue_max;
	bool stop;
	_Atomic uint64_t published, publish_errors, cdr_acked, cdr_lost, cdr_retries;
};

static void
push(sr_events *e, item *it)
{
	pthread_mutex_lock(&e->lock);
	if (e->queued >= e->queue_max) {
		pthread_mutex_unlock(&e->lock);
		atomic_fetch_add(&e->cdr_lost, it->cdr ? 1 : 0);
		free(it->data);
		free(it);
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
		atomic_fetch_add(&e->published, 1);
	} else {
		atomic_fetch_add(&e->publish_errors, 1);
	}
	event_free(ev, call, reg);
}

/* submit_cdrs hands queued records to cdr-collector until one fails. */
static bool
submit_cdrs(sr_events *e)
{
	while (e->cdr_head != NULL) {
		item *it = e->cdr_head;
		Tandem__CallEvent *call;
		Tandem__RegistrationEvent *reg;
		Tandem__Event *ev = event_of(it, &call, &reg);
		char err[256] = "";
		int rv = ev ? td_bus_submit(e->outbox, it->topic, ev, 2000, err, sizeof(err)) : 0;
		if (ev != NULL) {
			event_free(ev, call, reg);
		}
		if (rv != 0) {
			atomic_fetch_add(&e->cdr_retries, 1);
			LOG_DEBUG("SIPR-CDR-RETRY", "cdr-collector did not take a call record: %s", err);
			return (false);
		}
		atomic_fetch_add(&e->cdr_acked, 1);
		e->cdr_head = it->next;
		if (e->cdr_head == NULL) {
			e->cdr_tail = NULL;
		}
		e->cdr_queued--;
		free(it->data);
		free(it);
	}
	return (true);
}

static void *
ev_main(void *arg)
{
	sr_events *e = arg;
	int64_t retry_at = 0;
	for (;;) {
		pthread_mutex_lock(&e->lock);
		while (e->head == NULL && !e->stop &&
		       (e->cdr_head == NULL || td_mono_ms() < retry_at)) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 200 * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&e->cv, &e->lock, &ts);
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
			if (it->cdr && e->outbox != NULL) {
				if (e->cdr_queued >= e->queue_max) {
					atomic_fetch_add(&e->cdr_lost, 1);
					LOG_WARN("SIPR-CDR-LOST", "call record dropped: %ld waiting for cdr-collector",
					    e->cdr_queued);
					free(it->data);
					free(it);
					continue;
				}
				if (e->cdr_tail != NULL) {
					e->cdr_tail->next = it;
				} else {
					e->cdr_head = it;
				}
				e->cdr_tail = it;
				e->cdr_queued++;
			} else {
				free(it->data);
				free(it);
			}
		}
		if (e->cdr_head != NULL && td_mono_ms() >= retry_at && !submit_cdrs(e)) {
			retry_at = td_mono_ms() + 1000;
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
	pthread_mutex_lock(&e->lock);
	e->stop = true;
	pthread_cond_signal(&e->cv);
	pthread_mutex_unlock(&e->lock);
	pthread_join(e->thr, NULL);
	/* One last try for records still waiting, then they are gone (and counted). */
	if (e->outbox != NULL && e->cdr_head != NULL) {
		(void)submit_cdrs(e);
	}
	while (e->cdr_head != NULL) {
		item *it = e->cdr_head;
		e->cdr_head = it->next;
		atomic_fetch_add(&e->cdr_lost, 1);
		free(it->data);
		free(it);
	}
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
	return (json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "published",
	    (json_int_t)atomic_load(&e->published), "publish_errors",
	    (json_int_t)atomic_load(&e->publish_errors), "cdr_acknowledged",
	    (json_int_t)atomic_load(&e->cdr_acked), "cdr_lost", (json_int_t)atomic_load(&e->cdr_lost),
	    "cdr_retries", (json_int_t)atomic_load(&e->cdr_retries), "cdr_waiting",
	    (json_int_t)e->cdr_queued, "to_publish", (json_int_t)q));
}
