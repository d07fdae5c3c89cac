/* SPDX-License-Identifier: MIT */
/*
 * The collector on the bus: call.ended events from publishers it subscribes
 * to (best effort: pub/sub may drop), and the inbox, where the sip-router
 * submits call-ended events and gets an Ack only once Redis holds the CDR.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log/log.h"
#include "svc.h"
#include "util/mem.h"

static void
on_event(void *arg, const char *topic, const Tandem__Event *ev)
{
	svc *s = arg;
	char err[256];
	(void)topic;
	if (intake_call_event(&s->in, ev, err, sizeof(err)) != 0) {
		td_counter_inc(s->m.event_lost);
		LOG_WARN("CDRC-EVENT-LOST", "call-ended event from %s/%s not queued: %s",
		    ev->source ? ev->source : "?", ev->node ? ev->node : "?", err);
	}
}

static int
on_submit(void *arg, const char *topic, const Tandem__Event *ev, char *err, size_t errlen)
{
	svc *s = arg;
	(void)topic;
	return (intake_call_event(&s->in, ev, err, errlen));
}

/* split_list splits a comma-separated list in place into at most max items. */
static size_t
split_list(char *s, char **out, size_t max)
{
	size_t n = 0;
	for (char *tok = strtok(s, ", "); tok != NULL && n < max; tok = strtok(NULL, ", ")) {
		out[n++] = tok;
	}
	return (n);
}

int
svc_bus_start(svc *s, const collector_cfg *cfg, const char *run_dir, char *err, size_t errlen)
{
	if (cfg->bus_subscribe[0] != '\0') {
		char *copy = td_xstrdup(cfg->bus_subscribe);
		char *urls[32];
		size_t n = split_list(copy, urls, TD_ARRAY_LEN(urls));
		char *topics[] = {(char *)TD_TOPIC_CALL_ENDED};
		int rv = td_bus_sub_open(&s->sub, urls, n, topics, 1, on_event, s, err, errlen);
		free(copy);
		if (rv != 0) {
			char tmp[512];
			snprintf(tmp, sizeof(tmp), "config: key 'bus.subscribe': %s", err);
			snprintf(err, errlen, "%s", tmp);
			return (rv);
		}
	}
	if (strcmp(cfg->bus_inbox, "off") != 0) {
		if (cfg->bus_inbox[0] != '\0') {
			snprintf(s->inbox_url, sizeof(s->inbox_url), "%s", cfg->bus_inbox);
		} else {
			snprintf(s->inbox_url, sizeof(s->inbox_url), "ipc://%s/cdr-collector.inbox",
			    run_dir);
		}
		int rv = td_bus_inbox_open(&s->inbox, s->inbox_url, 8, on_submit, s, err, errlen);
		if (rv != 0) {
			char tmp[512];
			snprintf(tmp, sizeof(tmp), "config: key 'bus.inbox': %s", err);
			snprintf(err, errlen, "%s", tmp);
			return (rv);
		}
	}
	return (0);
}

void
svc_bus_stop(svc *s)
{
	td_bus_sub_close(s->sub);
	s->sub = NULL;
	td_bus_inbox_close(s->inbox);
	s->inbox = NULL;
}
