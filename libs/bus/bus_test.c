/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the event bus: framing, pub/sub over inproc:// (topic
 * filtering, stamping, gap and decode-error counting), reconnects over
 * ipc:// in a temporary directory, and the reliable inbox/outbox.
 *
 * Waits are polls with a bounded deadline (WAIT_MS), never fixed sleeps:
 * pub/sub drops what is published before a subscriber's pipe is up, so
 * tests publish a "sync" event until one arrives.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <nng/nng.h>
#include <nng/protocol/pubsub0/pub.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus/bus.h"
#include "util/buf.h"
#include "util/clock.h"

#define WAIT_MS 10000

/* ---- collecting subscriber ---------------------------------------------------------- */

#define MAXEV 4096

typedef struct got {
	char topic[128];
	char source[64], node[64];
	uint64_t seq;
	int64_t ts_us;
	char detail[64];
} got;

typedef struct sink {
	pthread_mutex_t mu;
	got ev[MAXEV];
	int n;
} sink;

static void
on_event(void *arg, const char *topic, const Tandem__Event *ev)
{
	sink *s = arg;
	pthread_mutex_lock(&s->mu);
	if (s->n < MAXEV) {
		got *g = &s->ev[s->n++];
		snprintf(g->topic, sizeof(g->topic), "%s", topic);
		snprintf(g->source, sizeof(g->source), "%s", ev->source);
		snprintf(g->node, sizeof(g->node), "%s", ev->node);
		g->seq = ev->seq;
		g->ts_us = ev->ts_us;
		if (ev->body_case == TANDEM__EVENT__BODY_HEALTH) {
			snprintf(g->detail, sizeof(g->detail), "%s", ev->health->detail);
		}
	}
	pthread_mutex_unlock(&s->mu);
}

static int
count(sink *s)
{
	pthread_mutex_lock(&s->mu);
	int n = s->n;
	pthread_mutex_unlock(&s->mu);
	return (n);
}

static sink *
sink_new(void)
{
	sink *s = calloc(1, sizeof(*s));
	pthread_mutex_init(&s->mu, NULL);
	return (s);
}

static void
sink_free(sink *s)
{
	pthread_mutex_destroy(&s->mu);
	free(s);
}

/* find returns the index of the first event with this detail, or -1. */
static int
find(sink *s, const char *detail)
{
	pthread_mutex_lock(&s->mu);
	int at = -1;
	for (int i = 0; i < s->n && at < 0; i++) {
		if (strcmp(s->ev[i].detail, detail) == 0) {
			at = i;
		}
	}
	pthread_mutex_unlock(&s->mu);
	return (at);
}

/* A health event whose detail names it, so tests can tell events apart. */
static Tandem__Event *
health_event(const char *detail)
{
	static Tandem__Event ev;
	static Tandem__HealthEvent h;
	tandem__event__init(&ev);
	tandem__health_event__init(&h);
	h.component = "test";
	h.healthy = true;
	h.detail = (char *)detail;
	ev.body_case = TANDEM__EVENT__BODY_HEALTH;
	ev.health = &h;
	return (&ev);
}

/*
 * sync_pub publishes topic/"sync" until the subscriber sees it (the pipe
 * is up) and returns how many it published.  Fails after WAIT_MS.
 */
static int
sync_pub(td_bus_pub *p, sink *s, const char *topic)
{
	int64_t deadline = td_mono_ms() + WAIT_MS;
	int sent = 0;
	while (find(s, "sync") < 0) {
		if (td_mono_ms() > deadline) {
			fail_msg("subscriber never connected");
		}
		assert_int_equal(td_bus_publish(p, topic, health_event("sync")), 0);
		sent++;
		td_sleep_ms(5);
	}
	return (sent);
}

/* wait_find waits for the event with this detail and returns its index. */
static int
wait_find(sink *s, const char *detail)
{
	int64_t deadline = td_mono_ms() + WAIT_MS;
	int at;
	while ((at = find(s, detail)) < 0) {
		if (td_mono_ms() > deadline) {
			fail_msg("event '%s' never arrived", detail);
		}
		td_sleep_ms(2);
	}
	return (at);
}

/* ---- framing ------------------------------------------------------------------------------ */

static void
test_frame_split(void **state)
{
	(void)state;
	const char *topic;
	const uint8_t *payload;
	size_t plen;
	static const uint8_t ok[] = "call.ended\0\x08\x01";
	assert_int_equal(td_bus_frame_split(ok, sizeof(ok) - 1, &topic, &payload, &plen), 0);
	assert_string_equal(topic, "call.ended");
	assert_ptr_equal(payload, ok + 11);
	assert_int_equal(plen, 2);
	/* Empty payload: an Event with every field default. */
	assert_int_equal(td_bus_frame_split((const uint8_t *)"t\0", 2, &topic, &payload, &plen), 0);
	assert_string_equal(topic, "t");
	assert_int_equal(plen, 0);

	/* 127 printable bytes is the longest topic; 128 is too long. */
	uint8_t msg[300];
	memset(msg, 'a', sizeof(msg));
	msg[127] = '\0';
	assert_int_equal(td_bus_frame_split(msg, 130, &topic, &payload, &plen), 0);
	assert_int_equal(strlen(topic), 127);
	assert_int_equal(plen, 2);
	memset(msg, 'a', sizeof(msg));
	msg[128] = '\0';
	assert_int_equal(td_bus_frame_split(msg, 130, &topic, &payload, &plen), TD_EPROTO);

	static const struct {
		const char *m;
		size_t len;
	} bad[] = {
		{ "", 0 },
		{ "\0abc", 4 }, /* empty topic */
		{ "call.ended", 10 }, /* no NUL */
		{ "call ended\0x", 12 }, /* space */
		{ "call\tx\0x", 8 },
		{ "call\x7f\0x", 7 },
		{ "call\x80\0x", 7 },
		{ "\x01\0", 2 },
	};
	for (size_t i = 0; i < TD_ARRAY_LEN(bad); i++) {
		if (td_bus_frame_split(
		        (const uint8_t *)bad[i].m, bad[i].len, &topic, &payload, &plen)
		    != TD_EPROTO) {
			fail_msg("bad frame %zu accepted", i);
		}
	}
	memset(msg, 'a', sizeof(msg)); /* a long run with no NUL at all */
	assert_int_equal(td_bus_frame_split(msg, sizeof(msg), &topic, &payload, &plen), TD_EPROTO);
}

/* ---- pub/sub --------------------------------------------------------------------------------- */

static void
test_pubsub_filter_and_stamp(void **state)
{
	(void)state;
	char err[256] = "";
	td_bus_pub *p;
	assert_int_equal(
	    td_bus_pub_open(&p, "inproc://bus-filter", "sip-router", "node1", err, sizeof(err)), 0);
	sink *s = sink_new();
	td_bus_sub *sub;
	char *urls[] = { "inproc://bus-filter" };
	char *topics[] = { "call.", "health.x" };
	assert_int_equal(
	    td_bus_sub_open(&sub, urls, 1, topics, 2, on_event, s, err, sizeof(err)), 0);
	int nsync = sync_pub(p, s, "call.sync");

	Tandem__Event *ev = health_event("one");
	ev->source = "caller-set"; /* overwritten on the wire, restored after */
	int64_t before = td_wall_us();
	assert_int_equal(td_bus_publish(p, "call.started", ev), 0);
	assert_string_equal(ev->source, "caller-set");
	assert_int_equal(ev->seq, 0); /* the caller's event is left as it was */
	assert_int_equal(ev->ts_us, 0);
	assert_int_equal(td_bus_publish(p, "bad topic", health_event("x")), TD_EINVAL);
	assert_int_equal(td_bus_publish(p, "", health_event("x")), TD_EINVAL);
	assert_int_equal(td_bus_publish(p, "reg.added", health_event("filtered")), 0);
	assert_int_equal(td_bus_publish(p, "healthy", health_event("filtered2")), 0);
	ev = health_event("two");
	ev->ts_us = 12345; /* a timestamp set by the caller is kept */
	assert_int_equal(td_bus_publish(p, "health.x.y", ev), 0);
	assert_int_equal(td_bus_publish(p, "call.ended", health_event("three")), 0);
	assert_int_equal(td_bus_publish(p, "call.started", health_event("four")), 0);
	int64_t after = td_wall_us();

	int base = find(s, "sync");
	int i4 = wait_find(s, "four");
	int i1 = find(s, "one"), i2 = find(s, "two"), i3 = find(s, "three");
	assert_true(i1 > base && i2 > i1 && i3 > i2 && i4 > i3);
	assert_int_equal(count(s), i4 + 1); /* in order, and nothing after */
	assert_int_equal(find(s, "filtered"), -1);
	assert_int_equal(find(s, "filtered2"), -1);
	got *g = &s->ev[i1];
	assert_string_equal(g->topic, "call.started");
	assert_string_equal(g->source, "sip-router");
	assert_string_equal(g->node, "node1");
	assert_true(g->ts_us >= before && g->ts_us <= after);
	assert_string_equal(s->ev[i2].topic, "health.x.y");
	assert_int_equal(s->ev[i2].ts_us, 12345);
	assert_string_equal(s->ev[i3].topic, "call.ended");

	/*
	 * Sequence numbers count per publisher and topic, so the events a
	 * subscriber filters out ("reg.added") are not mistaken for loss.
	 */
	assert_int_equal(s->ev[i1].seq, 1);
	assert_int_equal(s->ev[i2].seq, 1);
	assert_int_equal(s->ev[i3].seq, 1);
	assert_int_equal(s->ev[i4].seq, 2);
	assert_int_equal(s->ev[i1 - 1].seq, (uint64_t)nsync); /* the last sync */
	td_bus_sub_stats st;
	td_bus_sub_stats_get(sub, &st);
	assert_int_equal(st.gaps, 0);
	assert_int_equal(st.decode_errors, 0);
	assert_int_equal(st.received, (uint64_t)count(s));
	assert_int_equal(st.publishers, 1);

	/* the publisher goes away: the subscriber's count of publishers follows */
	td_bus_pub_close(p);
	int64_t deadline = td_mono_ms() + WAIT_MS;
	do {
		td_sleep_ms(5);
		td_bus_sub_stats_get(sub, &st);
	} while (st.publishers != 0 && td_mono_ms() < deadline);
	assert_int_equal(st.publishers, 0);

	td_bus_sub_close(sub);
	sink_free(s);
}

/* ---- gaps and decode errors, from a hand-driven publisher ------------------------------- */

typedef struct rawpub {
	nng_socket sock;
} rawpub;

static void
raw_send(rawpub *r, const char *topic, const char *source, uint64_t seq, const char *detail)
{
	Tandem__Event *ev = health_event(detail);
	ev->source = (char *)source;
	ev->node = "n1";
	ev->seq = seq;
	td_buf b = TD_BUF_INIT;
	td_buf_append(&b, topic, strlen(topic) + 1);
	uint8_t *p = td_buf_extend(&b, tandem__event__get_packed_size(ev));
	tandem__event__pack(ev, p);
	assert_int_equal(nng_send(r->sock, b.data, b.len, 0), 0);
	td_buf_free(&b);
}

static void
raw_bytes(rawpub *r, const void *m, size_t len)
{
	assert_int_equal(nng_send(r->sock, (void *)m, len, 0), 0);
}

/* raw_sync sends seq 1.. of topic "sync" from source "sync" until one arrives. */
static void
raw_sync(rawpub *r, sink *s)
{
	int64_t deadline = td_mono_ms() + WAIT_MS;
	uint64_t seq = 1;
	while (find(s, "sync") < 0) {
		assert_true(td_mono_ms() < deadline);
		raw_send(r, "sync", "sync", seq++, "sync");
		td_sleep_ms(5);
	}
}

static void
test_gaps_and_decode_errors(void **state)
{
	(void)state;
	char err[256] = "";
	rawpub r;
	assert_int_equal(nng_pub0_open(&r.sock), 0);
	assert_int_equal(nng_socket_set_int(r.sock, NNG_OPT_SENDBUF, 1024), 0);
	assert_int_equal(nng_listen(r.sock, "inproc://bus-raw", NULL, 0), 0);
	sink *s = sink_new();
	td_bus_sub *sub;
	char *urls[] = { "inproc://bus-raw" };
	char *topics[] = { "" };
	assert_int_equal(
	    td_bus_sub_open(&sub, urls, 1, topics, 1, on_event, s, err, sizeof(err)), 0);
	raw_sync(&r, s);

	/* A: 5 (first seen: no gap), 6, 9 (2 lost), 10, 10 (duplicate), 12 (1 lost). */
	static const uint64_t a[] = { 5, 6, 9, 10, 10, 12 };
	for (size_t i = 0; i < TD_ARRAY_LEN(a); i++) {
		raw_send(&r, "call.x", "A", a[i], "a");
	}
	/* B restarts: 1, 2, 3, then 1, 2 again: no gaps. Same seq, other topic: independent. */
	static const uint64_t b[] = { 1, 2, 3, 1, 2 };
	for (size_t i = 0; i < TD_ARRAY_LEN(b); i++) {
		raw_send(&r, "call.x", "B", b[i], "b");
	}
	raw_send(&r, "call.y", "B", 7, "b");
	raw_send(&r, "call.y", "B", 8, "b");
	/* Garbage: counted, never delivered. */
	raw_bytes(&r, "call.x\0\xff\xff\xff\xff", 11); /* not protobuf */
	raw_bytes(&r, "no-nul-here", 11); /* no topic end */
	raw_bytes(&r, "\0\x08\x01", 3); /* empty topic */
	raw_bytes(&r, "bad topic\0\x08\x01", 12); /* space in topic */
	raw_send(&r, "call.x", "A", 13, "last");

	/* One pipe delivers in order: once "last" is in, everything before it is too. */
	int last = wait_find(s, "last");
	assert_int_equal(last - find(s, "a"), (int)TD_ARRAY_LEN(a) + (int)TD_ARRAY_LEN(b) + 2);
	td_bus_sub_stats st;
	td_bus_sub_stats_get(sub, &st);
	assert_int_equal(st.gaps, 3);
	assert_int_equal(st.decode_errors, 4);
	assert_int_equal(st.received, (uint64_t)count(s));
	td_bus_sub_close(sub);
	nng_close(r.sock);
	sink_free(s);
}

/* A burst well above nng's default queue (16) reaches a live subscriber whole. */
static void
test_burst_not_dropped(void **state)
{
	(void)state;
	char err[256] = "";
	td_bus_pub *p;
	assert_int_equal(
	    td_bus_pub_open(&p, "inproc://bus-burst", "svc", "n", err, sizeof(err)), 0);
	sink *s = sink_new();
	td_bus_sub *sub;
	char *urls[] = { "inproc://bus-burst" };
	char *topics[] = { "call." };
	assert_int_equal(
	    td_bus_sub_open(&sub, urls, 1, topics, 1, on_event, s, err, sizeof(err)), 0);
	sync_pub(p, s, "call.sync");
	enum { BURST = 500 };
	for (int i = 0; i < BURST; i++) {
		assert_int_equal(td_bus_publish(p, "call.burst",
		                     health_event(i == BURST - 1 ? "burst-end" : "burst")),
		    0);
	}
	int end = wait_find(s, "burst-end");
	assert_int_equal(end - find(s, "burst") + 1, BURST); /* all of them */
	assert_int_equal(s->ev[end].seq, BURST);
	td_bus_sub_stats st;
	td_bus_sub_stats_get(sub, &st);
	assert_int_equal(st.gaps, 0);
	td_bus_sub_close(sub);
	td_bus_pub_close(p);
	sink_free(s);
}

/* Many threads publishing at once: no false gaps from reordering. */
typedef struct mtarg {
	td_bus_pub *p;
	int n;
} mtarg;

static void *
mt_publish(void *arg)
{
	mtarg *a = arg;
	for (int i = 0; i < a->n; i++) {
		Tandem__Event ev = TANDEM__EVENT__INIT;
		while (td_bus_publish(a->p, "call.mt", &ev) != 0) {
			td_sleep_ms(1);
		}
		if (i % 50 == 0) {
			td_sleep_ms(1); /* let the subscriber drain: pub/sub drops when full */
		}
	}
	return (NULL);
}

static void
test_concurrent_publishers(void **state)
{
	(void)state;
	char err[256] = "";
	td_bus_pub *p;
	assert_int_equal(td_bus_pub_open(&p, "inproc://bus-mt", "svc", "n", err, sizeof(err)), 0);
	sink *s = sink_new();
	td_bus_sub *sub;
	char *urls[] = { "inproc://bus-mt" };
	char *topics[] = { "call." };
	assert_int_equal(
	    td_bus_sub_open(&sub, urls, 1, topics, 1, on_event, s, err, sizeof(err)), 0);
	sync_pub(p, s, "call.sync");
	enum { NT = 4, PER = 400 };
	mtarg a = { p, PER };
	pthread_t t[NT];
	for (int i = 0; i < NT; i++) {
		assert_int_equal(pthread_create(&t[i], NULL, mt_publish, &a), 0);
	}
	for (int i = 0; i < NT; i++) {
		pthread_join(t[i], NULL);
	}
	/* A last event on the same topic marks the end (seq NT*PER + 1). */
	Tandem__Event *end = health_event("mt-end");
	assert_int_equal(td_bus_publish(p, "call.mt", end), 0);
	int last = wait_find(s, "mt-end");
	td_bus_sub_stats st;
	td_bus_sub_stats_get(sub, &st);
	/* In order: every event either arrived or is counted as lost, none twice. */
	uint64_t prev = 0, first = 0;
	int got_mt = 0;
	for (int i = 0; i <= last; i++) {
		if (strcmp(s->ev[i].topic, "call.mt") != 0) {
			continue;
		}
		assert_true(s->ev[i].seq > prev);
		if (first == 0) {
			first = s->ev[i].seq;
		}
		prev = s->ev[i].seq;
		got_mt++;
	}
	assert_int_equal(prev, NT * PER + 1);
	assert_int_equal((uint64_t)got_mt + st.gaps, prev - first + 1);
	td_bus_sub_close(sub);
	td_bus_pub_close(p);
	sink_free(s);
}

/* ---- reconnects over ipc:// ------------------------------------------------------------------ */

static void
test_reconnect(void **state)
{
	(void)state;
	char dir[] = "/tmp/bus_test.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char url[128], err[256] = "";
	snprintf(url, sizeof(url), "ipc://%s/pub.sock", dir);
	sink *s = sink_new();
	td_bus_sub *sub;
	char *urls[] = { url };
	char *topics[] = { "" };
	/* The subscriber comes first: the publisher does not exist yet. */
	assert_int_equal(
	    td_bus_sub_open(&sub, urls, 1, topics, 1, on_event, s, err, sizeof(err)), 0);
	td_bus_pub *p;
	assert_int_equal(td_bus_pub_open(&p, url, "svc", "gen1", err, sizeof(err)), 0);
	sync_pub(p, s, "sync");
	assert_int_equal(td_bus_publish(p, "x", health_event("gen1")), 0);
	wait_find(s, "gen1");

	/* The publisher restarts on the same path. */
	td_bus_pub_close(p);
	assert_int_equal(td_bus_pub_open(&p, url, "svc", "gen2", err, sizeof(err)), 0);
	int64_t deadline = td_mono_ms() + WAIT_MS;
	while (find(s, "gen2") < 0) {
		assert_true(td_mono_ms() < deadline);
		assert_int_equal(td_bus_publish(p, "x", health_event("gen2")), 0);
		td_sleep_ms(10);
	}
	got *g = &s->ev[find(s, "gen2")];
	assert_string_equal(g->node, "gen2");
	td_bus_sub_stats st;
	td_bus_sub_stats_get(sub, &st);
	assert_int_equal(st.decode_errors, 0);

	/* And a publisher that could not listen says why. */
	td_bus_pub *p2;
	assert_int_equal(td_bus_pub_open(&p2, url, "svc", "dup", err, sizeof(err)), TD_EEXIST);
	assert_non_null(strstr(err, url));
	assert_int_equal(
	    td_bus_pub_open(&p2, "bogus://x", "svc", "n", err, sizeof(err)), TD_EINVAL);

	td_bus_pub_close(p);
	td_bus_sub_close(sub);
	sink_free(s);
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* ---- inbox/outbox ------------------------------------------------------------------------------
 */

typedef struct acceptor {
	pthread_mutex_t mu;
	int calls;
	int fail_next; /* this many calls fail */
	bool fail_silently; /* fail without a reason */
	int delay_ms; /* each call sleeps this long first */
	got last;
} acceptor;

static int
on_accept(void *arg, const char *topic, const Tandem__Event *ev, char *err, size_t errlen)
{
	acceptor *a = arg;
	if (a->delay_ms > 0) {
		td_sleep_ms(a->delay_ms);
	}
	pthread_mutex_lock(&a->mu);
	a->calls++;
	snprintf(a->last.topic, sizeof(a->last.topic), "%s", topic);
	snprintf(a->last.source, sizeof(a->last.source), "%s", ev->source);
	snprintf(a->last.node, sizeof(a->last.node), "%s", ev->node);
	a->last.seq = ev->seq;
	a->last.ts_us = ev->ts_us;
	int rv = 0;
	if (a->fail_next > 0) {
		a->fail_next--;
		if (!a->fail_silently) {
			snprintf(err, errlen, "disk full on %s", topic);
		}
		rv = TD_EIO;
	}
	pthread_mutex_unlock(&a->mu);
	return (rv);
}

static void
test_submit_ack_and_errors(void **state)
{
	(void)state;
	char err[256] = "";
	acceptor a = { .mu = PTHREAD_MUTEX_INITIALIZER };
	td_bus_inbox *in;
	assert_int_equal(
	    td_bus_inbox_open(&in, "inproc://inbox1", 2, on_accept, &a, err, sizeof(err)), 0);
	td_bus_outbox *o;
	assert_int_equal(
	    td_bus_outbox_open(&o, "inproc://inbox1", "cdr-collector", "n1", err, sizeof(err)), 0);

	Tandem__Event ev = TANDEM__EVENT__INIT;
	assert_int_equal(td_bus_submit(o, "cdr.new", &ev, 5000, err, sizeof(err)), 0);
	assert_int_equal(a.calls, 1);
	assert_string_equal(a.last.topic, "cdr.new");
	assert_string_equal(a.last.source, "cdr-collector");
	assert_string_equal(a.last.node, "n1");
	assert_int_equal(a.last.seq, 1);
	assert_true(a.last.ts_us > 0);
	/* The event keeps its identity, so a retry of it is recognisable. */
	assert_int_equal(ev.seq, 1);
	assert_string_equal(ev.source, "");

	Tandem__Event ev2 = TANDEM__EVENT__INIT;
	assert_int_equal(td_bus_submit(o, "cdr.new", &ev2, 5000, err, sizeof(err)), 0);
	assert_int_equal(a.last.seq, 2);

	/* The acceptor refuses: its reason comes back, and a retry is the same event. */
	a.fail_next = 1;
	Tandem__Event ev3 = TANDEM__EVENT__INIT;
	assert_int_equal(td_bus_submit(o, "cdr.new", &ev3, 5000, err, sizeof(err)), TD_EAGAIN);
	assert_string_equal(err, "disk full on cdr.new");
	uint64_t seq3 = a.last.seq;
	int64_t ts3 = a.last.ts_us;
	assert_int_equal(seq3, 3);
	assert_int_equal(td_bus_submit(o, "cdr.new", &ev3, 5000, err, sizeof(err)), 0);
	assert_int_equal(a.last.seq, seq3);
	assert_int_equal(a.last.ts_us, ts3);
	assert_string_equal(a.last.source, "cdr-collector");

	/* A refusal without a reason names the error code. */
	a.fail_next = 1;
	a.fail_silently = true;
	Tandem__Event ev4 = TANDEM__EVENT__INIT;
	assert_int_equal(td_bus_submit(o, "cdr.new", &ev4, 5000, err, sizeof(err)), TD_EAGAIN);
	assert_string_equal(err, td_strerror(TD_EIO));

	/* A forwarded event keeps the identity its publisher gave it. */
	Tandem__Event fwd = TANDEM__EVENT__INIT;
	fwd.source = "sip-router";
	fwd.node = "n2";
	fwd.seq = 77;
	fwd.ts_us = 1000;
	assert_int_equal(td_bus_submit(o, "call.ended", &fwd, 5000, err, sizeof(err)), 0);
	assert_string_equal(a.last.source, "sip-router");
	assert_string_equal(a.last.node, "n2");
	assert_int_equal(a.last.seq, 77);
	assert_int_equal(a.last.ts_us, 1000);
	assert_int_equal(a.calls, 6);

	/* A topic no subscriber could parse is refused up front. */
	assert_int_equal(td_bus_submit(o, "bad topic", &fwd, 5000, err, sizeof(err)), TD_EINVAL);
	assert_int_equal(a.calls, 6);

	td_bus_outbox_close(o);
	td_bus_inbox_close(in);
}

static void
test_submit_timeout(void **state)
{
	(void)state;
	char dir[] = "/tmp/bus_test.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char url[128], err[256] = "";
	snprintf(url, sizeof(url), "ipc://%s/inbox.sock", dir);

	/* No inbox at all. */
	td_bus_outbox *o;
	assert_int_equal(td_bus_outbox_open(&o, url, "svc", "n", err, sizeof(err)), 0);
	Tandem__Event ev = TANDEM__EVENT__INIT;
	int64_t t0 = td_mono_ms();
	assert_int_equal(td_bus_submit(o, "t", &ev, 200, err, sizeof(err)), TD_ETIMEDOUT);
	assert_true(td_mono_ms() - t0 >= 190);
	assert_string_equal(err, "timed out");

	/* An inbox appears: the same outbox gets through (it dials on its own). */
	acceptor a = { .mu = PTHREAD_MUTEX_INITIALIZER };
	td_bus_inbox *in;
	assert_int_equal(td_bus_inbox_open(&in, url, 1, on_accept, &a, err, sizeof(err)), 0);
	assert_int_equal(td_bus_submit(o, "t", &ev, WAIT_MS, err, sizeof(err)), 0);
	assert_int_equal(a.calls, 1);

	/* A slow acceptor: the caller's deadline holds, and the inbox goes on. */
	a.delay_ms = 600;
	Tandem__Event ev2 = TANDEM__EVENT__INIT;
	assert_int_equal(td_bus_submit(o, "t", &ev2, 100, err, sizeof(err)), TD_ETIMEDOUT);
	a.delay_ms = 0;

	/* The inbox goes away: timeouts again, no hang. */
	td_bus_inbox_close(in);
	Tandem__Event ev3 = TANDEM__EVENT__INIT;
	assert_int_equal(td_bus_submit(o, "t", &ev3, 200, err, sizeof(err)), TD_ETIMEDOUT);
	td_bus_outbox_close(o);
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frame_split),
		cmocka_unit_test(test_pubsub_filter_and_stamp),
		cmocka_unit_test(test_gaps_and_decode_errors),
		cmocka_unit_test(test_burst_not_dropped),
		cmocka_unit_test(test_concurrent_publishers),
		cmocka_unit_test(test_reconnect),
		cmocka_unit_test(test_submit_ack_and_errors),
		cmocka_unit_test(test_submit_timeout),
	};
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
