/* SPDX-License-Identifier: MIT */
/* Event bus: pub/sub of tandem.Event over nng, plus reliable hand-over. */
#include "bus/bus.h"

#include <nng/nng.h>
#include <nng/protocol/pubsub0/pub.h>
#include <nng/protocol/pubsub0/sub.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus/rpc.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/mem.h"

#define MAX_TOPIC 127
#define TD_BUS_PUB_QUEUE 1024 /* messages queued per subscriber before drops */

int
td_bus_frame_split(const uint8_t *msg, size_t len, const char **topic, const uint8_t **payload,
    size_t *plen)
{
	size_t i;
	for (i = 0; i < len && i <= MAX_TOPIC; i++) {
		if (msg[i] == 0) {
			break;
		}
		if (msg[i] < 0x21 || msg[i] > 0x7e) {
			return (TD_EPROTO);
		}
	}
	if (i == 0 || i >= len || i > MAX_TOPIC) {
		return (TD_EPROTO);
	}
	*topic = (const char *)msg;
	*payload = msg + i + 1;
	*plen = len - i - 1;
	return (TD_OK);
}

/* frame packs topic NUL event into b. */
static void
frame(td_buf *b, const char *topic, const Tandem__Event *ev)
{
	td_buf_append(b, topic, strlen(topic) + 1);
	uint8_t *p = td_buf_extend(b, tandem__event__get_packed_size(ev));
	if (p != NULL) {
		tandem__event__pack(ev, p);
	}
}

static void
stamp(Tandem__Event *ev, const char *source, const char *node, uint64_t seq)
{
	ev->source = (char *)source;
	ev->node = (char *)node;
	ev->seq = seq;
	if (ev->ts_us == 0) {
		ev->ts_us = td_wall_us();
	}
}

/* topic_ok: 1..MAX_TOPIC printable bytes, what td_bus_frame_split accepts. */
static bool
topic_ok(const char *topic)
{
	size_t n = strlen(topic);
	if (n == 0 || n > MAX_TOPIC) {
		return (false);
	}
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)topic[i] < 0x21 || (unsigned char)topic[i] > 0x7e) {
			return (false);
		}
	}
	return (true);
}

/* ---- publishing --------------------------------------------------------- */

/*
 * Sequence numbers count per topic: a subscriber sees only the topics it
 * subscribed to, so one counter for all topics would make every event it
 * filtered out look like a lost one.  Daemons publish a handful of topics;
 * past MAX_PUB_TOPICS the rest share the last counter.
 */
#define MAX_PUB_TOPICS 64

typedef struct topicseq {
	char topic[MAX_TOPIC + 1];
	uint64_t seq;
} topicseq;

struct td_bus_pub {
	nng_socket sock;
	char *source, *node;
	/*
	 * Held from numbering to sending, so that concurrent publishers put
	 * events on the wire in seq order (else subscribers count gaps).
	 */
	pthread_mutex_t mu;
	nng_aio *aio; /* reused for every send (under mu): nng_send makes and frees one each time */
	topicseq topics[MAX_PUB_TOPICS];
	size_t ntopics;
};

/* next_seq returns the next seq for topic; caller holds p->mu. */
static uint64_t
next_seq(td_bus_pub *p, const char *topic)
{
	size_t i;
	for (i = 0; i < p->ntopics; i++) {
		if (strcmp(p->topics[i].topic, topic) == 0) {
			return (++p->topics[i].seq);
		}
	}
	if (p->ntopics < MAX_PUB_TOPICS) {
		i = p->ntopics++;
		snprintf(p->topics[i].topic, sizeof(p->topics[i].topic), "%s", topic);
	} else {
		i = MAX_PUB_TOPICS - 1;
	}
	return (++p->topics[i].seq);
}

int
td_bus_pub_open(td_bus_pub **out, const char *url, const char *source, const char *node,
    char *err, size_t errlen)
{
	td_bus_pub *p = TD_NEW(td_bus_pub);
	int rv;
	if ((rv = nng_pub0_open(&p->sock)) != 0) {
		snprintf(err, errlen, "pub socket: %s", nng_strerror(rv));
		free(p);
		return (td_nng_err(rv));
	}
	/*
	 * Per-subscriber queue: nng's default of 16 dropped events from any
	 * burst longer than that while a subscriber was briefly descheduled.
	 */
	(void)nng_socket_set_int(p->sock, NNG_OPT_SENDBUF, TD_BUS_PUB_QUEUE);
	if ((rv = nng_listen(p->sock, url, NULL, 0)) != 0) {
		snprintf(err, errlen, "listen %s: %s", url, nng_strerror(rv));
		nng_close(p->sock);
		free(p);
		return (td_nng_err(rv));
	}
	if ((rv = nng_aio_alloc(&p->aio, NULL, NULL)) != 0) {
		snprintf(err, errlen, "aio: %s", nng_strerror(rv));
		nng_close(p->sock);
		free(p);
		return (td_nng_err(rv));
	}
	p->source = td_xstrdup(source);
	p->node = td_xstrdup(node);
	pthread_mutex_init(&p->mu, NULL);
	*out = p;
	return (TD_OK);
}

/* send_locked puts one framed message on the wire; a pub socket never blocks. */
static int
send_locked(td_bus_pub *p, const td_buf *b)
{
	nng_msg *m = NULL;
	int rv = nng_msg_alloc(&m, 0);
	if (rv != 0) {
		return (td_nng_err(rv));
	}
	if ((rv = nng_msg_append(m, b->data, b->len)) != 0) {
		nng_msg_free(m);
		return (td_nng_err(rv));
	}
	nng_aio_set_msg(p->aio, m);
	nng_send_aio(p->sock, p->aio);
	nng_aio_wait(p->aio);
	if ((rv = nng_aio_result(p->aio)) != 0) {
		nng_msg_free(nng_aio_get_msg(p->aio)); /* a failed send leaves it ours */
	}
	return (td_nng_err(rv));
}

int
td_bus_publish(td_bus_pub *p, const char *topic, Tandem__Event *ev)
{
	if (!topic_ok(topic)) {
		return (TD_EINVAL);
	}
	td_buf b;
	td_buf_init(&b, TD_BUS_MAX_MSG);
	Tandem__Event saved = *ev;
	pthread_mutex_lock(&p->mu);
	stamp(ev, p->source, p->node, next_seq(p, topic));
	frame(&b, topic, ev);
	/* The caller's event is left as it was (a reused one gets a fresh ts). */
	ev->source = saved.source;
	ev->node = saved.node;
	ev->seq = saved.seq;
	ev->ts_us = saved.ts_us;
	int rv = td_buf_failed(&b) ? TD_ETOOBIG : send_locked(p, &b);
	pthread_mutex_unlock(&p->mu);
	td_buf_free(&b);
	return (rv);
}

void
td_bus_pub_close(td_bus_pub *p)
{
	if (p == NULL) {
		return;
	}
	nng_close(p->sock);
	nng_aio_free(p->aio);
	pthread_mutex_destroy(&p->mu);
	free(p->source);
	free(p->node);
	free(p);
}

/* ---- subscribing -------------------------------------------------------- */

/* Streams tracked for gaps: (source, node, topic) triples. */
#define MAX_STREAMS 256

typedef struct seqtrack {
	char source[64], node[64], topic[MAX_TOPIC + 1];
	uint64_t last;
} seqtrack;

struct td_bus_sub {
	nng_socket sock;
	pthread_t thr;
	bool running;
	td_bus_event_fn fn;
	void *arg;
	_Atomic uint64_t received, decode_errors, gaps;
	_Atomic int64_t publishers; /* pipes up now (nng's pipe callbacks) */
	seqtrack seen[MAX_STREAMS]; /* subscriber thread only */
	size_t nseen;
};

/* track counts events lost between consecutive seqs of one publisher's topic. */
static void
track(td_bus_sub *s, const char *topic, const Tandem__Event *ev)
{
	seqtrack *t = NULL;
	for (size_t i = 0; i < s->nseen; i++) {
		if (strcmp(s->seen[i].topic, topic) == 0 &&
		    strncmp(s->seen[i].source, ev->source, sizeof(t->source) - 1) == 0 &&
		    strncmp(s->seen[i].node, ev->node, sizeof(t->node) - 1) == 0) {
			t = &s->seen[i];
			break;
		}
	}
	if (t == NULL) {
		if (s->nseen == MAX_STREAMS) {
			return;
		}
		t = &s->seen[s->nseen++];
		snprintf(t->source, sizeof(t->source), "%s", ev->source);
		snprintf(t->node, sizeof(t->node), "%s", ev->node);
		snprintf(t->topic, sizeof(t->topic), "%s", topic);
		t->last = ev->seq;
		return;
	}
	/* A lower seq means the publisher restarted: start over. */
	if (ev->seq > t->last + 1) {
		atomic_fetch_add(&s->gaps, ev->seq - t->last - 1);
	}
	t->last = ev->seq;
}

static void *
sub_main(void *arg)
{
	td_bus_sub *s = arg;
	for (;;) {
		nng_msg *m;
		int rv = nng_recvmsg(s->sock, &m, 0);
		if (rv == NNG_ECLOSED) {
			break;
		}
		if (rv != 0) {
			continue;
		}
		const char *topic;
		const uint8_t *payload;
		size_t plen;
		Tandem__Event *ev = NULL;
		if (td_bus_frame_split(nng_msg_body(m), nng_msg_len(m), &topic, &payload, &plen) ==
		        0 &&
		    (ev = tandem__event__unpack(NULL, plen, payload)) != NULL) {
			track(s, topic, ev);
			atomic_fetch_add(&s->received, 1);
			s->fn(s->arg, topic, ev);
			tandem__event__free_unpacked(ev, NULL);
		} else {
			atomic_fetch_add(&s->decode_errors, 1);
		}
		nng_msg_free(m);
	}
	return (NULL);
}

/* on_pipe keeps count of the publishers this subscriber is connected to. */
static void
on_pipe(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	(void)p;
	td_bus_sub *s = arg;
	atomic_fetch_add(&s->publishers, ev == NNG_PIPE_EV_ADD_POST ? 1 : -1);
}

int
td_bus_sub_open(td_bus_sub **out, char *const *urls, size_t nurls, char *const *topics,
    size_t ntopics, td_bus_event_fn fn, void *arg, char *err, size_t errlen)
{
	td_bus_sub *s = TD_NEW(td_bus_sub);
	int rv;
	s->fn = fn;
	s->arg = arg;
	if ((rv = nng_sub0_open(&s->sock)) != 0) {
		snprintf(err, errlen, "sub socket: %s", nng_strerror(rv));
		free(s);
		return (td_nng_err(rv));
	}
	(void)nng_socket_set_size(s->sock, NNG_OPT_RECVMAXSZ, TD_BUS_MAX_MSG);
	(void)nng_socket_set_int(s->sock, NNG_OPT_RECVBUF, 1024);
	(void)nng_socket_set_ms(s->sock, NNG_OPT_RECONNMINT, 100);
	(void)nng_socket_set_ms(s->sock, NNG_OPT_RECONNMAXT, 2000);
	(void)nng_pipe_notify(s->sock, NNG_PIPE_EV_ADD_POST, on_pipe, s);
	(void)nng_pipe_notify(s->sock, NNG_PIPE_EV_REM_POST, on_pipe, s);
	for (size_t i = 0; i < ntopics; i++) {
		if ((rv = nng_socket_set(s->sock, NNG_OPT_SUB_SUBSCRIBE, topics[i],
		         strlen(topics[i]))) != 0) {
			snprintf(err, errlen, "subscribe '%s': %s", topics[i], nng_strerror(rv));
			goto fail;
		}
	}
	for (size_t i = 0; i < nurls; i++) {
		if ((rv = nng_dial(s->sock, urls[i], NULL, NNG_FLAG_NONBLOCK)) != 0) {
			snprintf(err, errlen, "dial %s: %s", urls[i], nng_strerror(rv));
			goto fail;
		}
	}
	if (pthread_create(&s->thr, NULL, sub_main, s) != 0) {
		snprintf(err, errlen, "cannot start subscriber thread");
		rv = NNG_ENOMEM;
		goto fail;
	}
	s->running = true;
	*out = s;
	return (TD_OK);
fail:
	nng_close(s->sock);
	free(s);
	return (td_nng_err(rv));
}

void
td_bus_sub_stats_get(td_bus_sub *s, td_bus_sub_stats *st)
{
	st->received = atomic_load(&s->received);
	st->decode_errors = atomic_load(&s->decode_errors);
	st->gaps = atomic_load(&s->gaps);
	st->publishers = atomic_load(&s->publishers);
}

void
td_bus_sub_close(td_bus_sub *s)
{
	if (s == NULL) {
		return;
	}
	nng_close(s->sock);
	if (s->running) {
		pthread_join(s->thr, NULL);
	}
	free(s);
}

/* ---- reliable hand-over --------------------------------------------------- */

struct td_bus_inbox {
	td_rpc_server *srv;
	td_bus_accept_fn fn;
	void *arg;
};

static void
pack_ack(td_buf *reply, bool ok, const char *error)
{
	Tandem__Ack ack = TANDEM__ACK__INIT;
	ack.ok = ok;
	ack.error = (char *)(error ? error : "");
	uint8_t *p = td_buf_extend(reply, tandem__ack__get_packed_size(&ack));
	if (p != NULL) {
		tandem__ack__pack(&ack, p);
	}
}

static void
inbox_handle(void *arg, const uint8_t *req, size_t len, td_buf *reply)
{
	td_bus_inbox *in = arg;
	const char *topic;
	const uint8_t *payload;
	size_t plen;
	char err[256] = "";

	if (td_bus_frame_split(req, len, &topic, &payload, &plen) != 0) {
		pack_ack(reply, false, "malformed frame");
		return;
	}
	Tandem__Event *ev = tandem__event__unpack(NULL, plen, payload);
	if (ev == NULL) {
		pack_ack(reply, false, "malformed event");
		return;
	}
	int rv = in->fn(in->arg, topic, ev, err, sizeof(err));
	tandem__event__free_unpacked(ev, NULL);
	pack_ack(reply, rv == 0, rv == 0 ? "" : (err[0] ? err : td_strerror(rv)));
}

int
td_bus_inbox_open(td_bus_inbox **out, const char *url, int nworkers, td_bus_accept_fn fn,
    void *arg, char *err, size_t errlen)
{
	td_bus_inbox *in = TD_NEW(td_bus_inbox);
	in->fn = fn;
	in->arg = arg;
	int rv = td_rpc_server_start(&in->srv, url, nworkers, inbox_handle, in, err, errlen);
	if (rv != 0) {
		free(in);
		return (rv);
	}
	*out = in;
	return (TD_OK);
}

void
td_bus_inbox_close(td_bus_inbox *in)
{
	if (in == NULL) {
		return;
	}
	td_rpc_server_stop(in->srv);
	free(in);
}

struct td_bus_outbox {
	td_rpc_client *cli;
	char *source, *node;
	_Atomic uint64_t seq;
};

/* is_set: a protobuf-c string field holding something. */
static bool
is_set(const char *s)
{
	return (s != NULL && s[0] != '\0');
}

int
td_bus_outbox_open(td_bus_outbox **out, const char *url, const char *source,
    const char *node, char *err, size_t errlen)
{
	td_bus_outbox *o = TD_NEW(td_bus_outbox);
	int rv = td_rpc_client_open(&o->cli, url, false, err, errlen);
	if (rv != 0) {
		free(o);
		return (rv);
	}
	o->source = td_xstrdup(source);
	o->node = td_xstrdup(node);
	*out = o;
	return (TD_OK);
}

int
td_bus_submit(td_bus_outbox *o, const char *topic, Tandem__Event *ev, int timeout_ms,
    char *err, size_t errlen)
{
	if (!topic_ok(topic)) {
		snprintf(err, errlen, "invalid topic");
		return (TD_EINVAL);
	}
	td_buf b, r;
	td_buf_init(&b, TD_BUS_MAX_MSG);
	td_buf_init(&r, 64 * 1024);
	char *osrc = ev->source, *onode = ev->node;
	if (ev->seq == 0) {
		/* New: numbered once; a retry of this ev carries the same seq. */
		stamp(ev, o->source, o->node, atomic_fetch_add(&o->seq, 1) + 1);
	} else if (!is_set(ev->source)) {
		/* A retry of one of ours. */
		ev->source = o->source;
		ev->node = o->node;
	}
	/* else: forwarded with its publisher's identity, which it keeps. */
	frame(&b, topic, ev);
	ev->source = osrc;
	ev->node = onode;
	int rv = td_buf_failed(&b) ? TD_ETOOBIG
	                           : td_rpc_call(o->cli, (uint8_t *)b.data, b.len, &r, timeout_ms);
	if (rv == 0) {
		Tandem__Ack *ack = tandem__ack__unpack(NULL, r.len, (uint8_t *)r.data);
		if (ack == NULL) {
			snprintf(err, errlen, "malformed ack");
			rv = TD_EPROTO;
		} else {
			if (!ack->ok) {
				snprintf(err, errlen, "%s", ack->error);
				rv = TD_EAGAIN;
			}
			tandem__ack__free_unpacked(ack, NULL);
		}
	} else {
		snprintf(err, errlen, "%s", td_strerror(rv));
	}
	td_buf_free(&b);
	td_buf_free(&r);
	return (rv);
}

void
td_bus_outbox_close(td_bus_outbox *o)
{
	if (o == NULL) {
		return;
	}
	td_rpc_client_close(o->cli);
	free(o->source);
	free(o->node);
	free(o);
}
