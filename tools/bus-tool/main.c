/* SPDX-License-Identifier: MIT */
/*
 * bus-tool: look at and talk to the fleet's bus from a shell (nngcat that
 * knows tandem's protobuf).
 *
 *   bus-tool tap [--count] URL [TOPIC...]
 *       dial a publisher and print every event as one JSON line; with
 *       --count, decode and count them instead, and print the counts by
 *       topic on SIGUSR1 and at SIGINT/SIGTERM (a cheap subscriber for load
 *       tests; a script compares the counts with what it made), ending
 *       with missed=N (events lost, from the publishers' sequence gaps).
 *       Says "bus-tool: connected to URL" on stderr once a publisher is up.
 *   bus-tool publish URL [--count N] [--interval MS] FIELD=VALUE...
 *       listen on URL as a publisher and publish a call event N times
 *   bus-tool submit URL [--timeout MS] FIELD=VALUE...
 *       hand a call event to an inbox (e.g. cdr-collector's) and wait for its Ack
 *
 * Call event fields: kind=started|answered|ended call_id= leg_id= from= to=
 * direction= domain= start_us= answer_us= end_us= status= cause= q850=
 * disposition= target_kind= target= remote=
 */
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus/bus.h"
#include "bus/pbjson.h"
#include "util/clock.h"

static volatile sig_atomic_t g_stop, g_report;

static void
on_report(int sig)
{
	(void)sig;
	g_report = 1;
}

static void
on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

static void
usage(void)
{
	fputs("usage: bus-tool tap [--count] URL [TOPIC...]\n"
	      "       bus-tool publish URL [--count N] [--interval MS] FIELD=VALUE...\n"
	      "       bus-tool submit URL [--timeout MS] FIELD=VALUE...\n"
	      "fields: kind=started|answered|ended call_id leg_id from to direction domain\n"
	      "        start_us answer_us end_us status cause q850 disposition target_kind target remote\n",
	    stderr);
}

/* set_field applies one FIELD=VALUE to a call event; -1 if unknown. */
static int
set_field(Tandem__CallEvent *c, const char *kv)
{
	const char *eq = strchr(kv, '=');
	if (eq == NULL) {
		return (-1);
	}
	size_t kl = (size_t)(eq - kv);
	const char *v = eq + 1;
#define IS(name) (kl == strlen(name) && strncmp(kv, name, kl) == 0)
	if (IS("kind")) {
		c->kind = strcmp(v, "started") == 0    ? TANDEM__CALL_EVENT_KIND__CALL_STARTED
		          : strcmp(v, "answered") == 0 ? TANDEM__CALL_EVENT_KIND__CALL_ANSWERED
		          : strcmp(v, "ended") == 0    ? TANDEM__CALL_EVENT_KIND__CALL_ENDED
		                                       : TANDEM__CALL_EVENT_KIND__CALL_EVENT_UNKNOWN;
		return (c->kind ? 0 : -1);
	}
	struct {
		const char *name;
		char **dst;
	} strs[] = {{"call_id", &c->call_id}, {"leg_id", &c->leg_id}, {"from", &c->from_user},
	    {"to", &c->to_user}, {"direction", &c->direction}, {"domain", &c->domain},
	    {"cause", &c->hangup_cause}, {"disposition", &c->disposition},
	    {"target_kind", &c->target_kind}, {"target", &c->target}, {"remote", &c->remote_addr}};
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		if (IS(strs[i].name)) {
			*strs[i].dst = (char *)v;
			return (0);
		}
	}
	long long n = atoll(v);
	if (IS("start_us")) {
		c->start_us = n;
	} else if (IS("answer_us")) {
		c->answer_us = n;
	} else if (IS("end_us")) {
		c->end_us = n;
	} else if (IS("status")) {
		c->sip_status = (int32_t)n;
	} else if (IS("q850")) {
		c->hangup_cause_q850 = (int32_t)n;
	} else {
		return (-1);
	}
#undef IS
	return (0);
}

static const char *
topic_of(const Tandem__CallEvent *c)
{
	switch (c->kind) {
	case TANDEM__CALL_EVENT_KIND__CALL_STARTED: return (TD_TOPIC_CALL_STARTED);
	case TANDEM__CALL_EVENT_KIND__CALL_ANSWERED: return (TD_TOPIC_CALL_ANSWERED);
	default: return (TD_TOPIC_CALL_ENDED);
	}
}

static void
on_event(void *arg, const char *topic, const Tandem__Event *ev)
{
	(void)arg;
	json_t *j = td_pb_to_json(&ev->base);
	json_object_set_new(j, "topic", json_string(topic));
	char *s = json_dumps(j, JSON_COMPACT);
	printf("%s\n", s ? s : "{}");
	fflush(stdout);
	free(s);
	json_decref(j);
}

/* Events counted by topic (tap --count): the subscriber's thread counts,
 * the main thread prints (SIGUSR1, exit). */
#define TAP_TOPICS 32
static struct {
	pthread_mutex_t lock;
	char topic[TAP_TOPICS][64];
	unsigned long long n[TAP_TOPICS];
	int ntopics;
	unsigned long long other;
} g_counts = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void
on_event_count(void *arg, const char *topic, const Tandem__Event *ev)
{
	(void)arg;
	(void)ev;
	pthread_mutex_lock(&g_counts.lock);
	int i = 0;
	while (i < g_counts.ntopics && strcmp(g_counts.topic[i], topic) != 0) {
		i++;
	}
	if (i == g_counts.ntopics && i < TAP_TOPICS) {
		snprintf(g_counts.topic[i], sizeof(g_counts.topic[i]), "%s", topic);
		g_counts.ntopics++;
	}
	if (i < TAP_TOPICS) {
		g_counts.n[i]++;
	} else {
		g_counts.other++;
	}
	pthread_mutex_unlock(&g_counts.lock);
}

static void
print_counts(uint64_t gaps)
{
	pthread_mutex_lock(&g_counts.lock);
	unsigned long long total = g_counts.other;
	for (int i = 0; i < g_counts.ntopics; i++) {
		total += g_counts.n[i];
	}
	printf("events %llu", total);
	for (int i = 0; i < g_counts.ntopics; i++) {
		printf(" %s=%llu", g_counts.topic[i], g_counts.n[i]);
	}
	if (g_counts.other > 0) {
		printf(" other=%llu", g_counts.other);
	}
	printf(" missed=%llu\n", (unsigned long long)gaps);
	fflush(stdout);
	pthread_mutex_unlock(&g_counts.lock);
}

static int
cmd_tap(int argc, char **argv)
{
	bool count = argc > 0 && strcmp(argv[0], "--count") == 0;
	if (count) {
		argc--;
		argv++;
	}
	if (argc < 1) {
		usage();
		return (2);
	}
	char err[256];
	char *all[] = {(char *)""};
	td_bus_sub *s;
	char *url[] = {argv[0]};
	if (td_bus_sub_open(&s, url, 1, argc > 1 ? argv + 1 : all, argc > 1 ? (size_t)argc - 1 : 1,
	        count ? on_event_count : on_event, NULL, err, sizeof(err)) != 0) {
		fprintf(stderr, "bus-tool: %s\n", err);
		return (1);
	}
	/*
	 * Pub/sub keeps nothing for late subscribers, so say when the first
	 * publisher is connected: scripts wait for this line before they make
	 * the events they mean to count.
	 */
	bool up = false;
	td_bus_sub_stats st;
	while (!g_stop) {
		td_sleep_ms(20);
		td_bus_sub_stats_get(s, &st);
		if (g_report && count) {
			g_report = 0;
			print_counts(st.gaps);
		}
		if (up != (st.publishers > 0)) {
			up = !up;
			fprintf(stderr, "bus-tool: %s %s\n", up ? "connected to" : "disconnected from",
			    argv[0]);
		}
	}
	td_bus_sub_stats_get(s, &st);
	td_bus_sub_close(s);
	if (count) {
		print_counts(st.gaps);
	}
	return (0);
}

int
main(int argc, char **argv)
{
	if (argc < 3) {
		usage();
		return (2);
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGUSR1, on_report);
	const char *cmd = argv[1], *url = argv[2];
	if (strcmp(cmd, "tap") == 0) {
		return (cmd_tap(argc - 2, argv + 2));
	}
	long count = 1, interval = 500, timeout = 5000;
	Tandem__CallEvent call = TANDEM__CALL_EVENT__INIT;
	call.kind = TANDEM__CALL_EVENT_KIND__CALL_ENDED;
	for (int i = 3; i < argc; i++) {
		if (strcmp(argv[i], "--count") == 0 && i + 1 < argc) {
			count = atol(argv[++i]);
		} else if (strcmp(argv[i], "--interval") == 0 && i + 1 < argc) {
			interval = atol(argv[++i]);
		} else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
			timeout = atol(argv[++i]);
		} else if (set_field(&call, argv[i]) != 0) {
			fprintf(stderr, "bus-tool: unknown field '%s'\n", argv[i]);
			usage();
			return (2);
		}
	}
	char err[256];
	Tandem__Event ev = TANDEM__EVENT__INIT;
	ev.body_case = TANDEM__EVENT__BODY_CALL;
	ev.call = &call;
	if (strcmp(cmd, "submit") == 0) {
		td_bus_outbox *o;
		if (td_bus_outbox_open(&o, url, "bus-tool", "cli", err, sizeof(err)) != 0) {
			fprintf(stderr, "bus-tool: %s\n", err);
			return (1);
		}
		int rv = td_bus_submit(o, topic_of(&call), &ev, (int)timeout, err, sizeof(err));
		td_bus_outbox_close(o);
		if (rv != 0) {
			fprintf(stderr, "bus-tool: not acknowledged: %s\n", err);
			return (1);
		}
		printf("acknowledged\n");
		return (0);
	}
	if (strcmp(cmd, "publish") == 0) {
		td_bus_pub *p;
		if (td_bus_pub_open(&p, url, "bus-tool", "cli", err, sizeof(err)) != 0) {
			fprintf(stderr, "bus-tool: %s\n", err);
			return (1);
		}
		for (long i = 0; i < count && !g_stop; i++) {
			td_sleep_ms(interval); /* give subscribers time to (re)connect */
			if (td_bus_publish(p, topic_of(&call), &ev) != 0) {
				fprintf(stderr, "bus-tool: publish failed\n");
			}
		}
		td_bus_pub_close(p);
		return (0);
	}
	usage();
	return (2);
}
