/* SPDX-License-Identifier: MIT */
/*
 * The event bus: protobuf tandem.Event messages over nng pub/sub.
 *
 * Wire format of one bus message: the topic ("call.ended"), one NUL byte,
 * then the packed Event.  Subscribers filter by topic prefix ("call." gets
 * every call event; "" gets everything).
 *
 * Topology: every publishing daemon listens on its own pub endpoint; a
 * subscriber dials the endpoints of the publishers it cares about.  Dialers
 * reconnect on their own, so either side may restart at any time.
 *
 * Pub/sub is best effort: a subscriber that is down, or more than 1024
 * events behind, misses events
 * (each Event carries a seq that counts per publisher and topic, so a
 * subscriber counts gaps in what it subscribed to, and nothing else).  Anything
 * that must not be lost goes through td_bus_submit (req/rep with an Ack
 * sent only once the receiver holds the event durably).
 */
#ifndef TD_BUS_BUS_H
#define TD_BUS_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tandem/events.pb-c.h"
#include "util/err.h"

/* Well-known topics. */
#define TD_TOPIC_CALL_STARTED "call.started"
#define TD_TOPIC_CALL_ANSWERED "call.answered"
#define TD_TOPIC_CALL_ENDED "call.ended"
#define TD_TOPIC_REG "reg."
#define TD_TOPIC_HEALTH "health."

#define TD_BUS_MAX_MSG (1024 * 1024)

/* ---- publishing --------------------------------------------------------- */

typedef struct td_bus_pub td_bus_pub;

/* td_bus_pub_open listens on url; source and node are stamped on every Event. */
int td_bus_pub_open(td_bus_pub **out, const char *url, const char *source, const char *node,
    char *err, size_t errlen) TD_MUSTCHECK;
/*
 * td_bus_publish stamps the message on the wire with source, node, the
 * topic's next seq and (if ev->ts_us is 0) the current time; ev itself is
 * left unchanged and stays owned by the caller.  Never blocks: when no
 * subscriber keeps up, nng drops the message.  TD_EINVAL for a topic that
 * subscribers would reject (see td_bus_frame_split).  Thread-safe.
 */
int td_bus_publish(td_bus_pub *p, const char *topic, Tandem__Event *ev) TD_MUSTCHECK;
void td_bus_pub_close(td_bus_pub *p);

/* ---- subscribing -------------------------------------------------------- */

typedef struct td_bus_sub td_bus_sub;

/*
 * td_bus_event_fn is called on the subscriber's own thread, one event at a
 * time.  ev is freed after the callback returns.
 */
typedef void (*td_bus_event_fn)(void *arg, const char *topic, const Tandem__Event *ev);

typedef struct td_bus_sub_stats {
	uint64_t received;      /* events delivered to the callback */
	uint64_t decode_errors; /* messages that were not a valid Event */
	uint64_t gaps;          /* events missed, from per-publisher seq gaps */
	int64_t publishers;     /* publishers connected now: events flow once it is > 0 */
} td_bus_sub_stats;

/*
 * td_bus_sub_open dials every url (in the background; reconnects on its
 * own) and subscribes to each topic prefix.
 */
int td_bus_sub_open(td_bus_sub **out, char *const *urls, size_t nurls, char *const *topics,
    size_t ntopics, td_bus_event_fn fn, void *arg, char *err, size_t errlen) TD_MUSTCHECK;
void td_bus_sub_stats_get(td_bus_sub *s, td_bus_sub_stats *st);
void td_bus_sub_close(td_bus_sub *s);

/* ---- reliable hand-over --------------------------------------------------- */

typedef struct td_bus_inbox td_bus_inbox;
typedef struct td_bus_outbox td_bus_outbox;

/*
 * td_bus_accept_fn takes one submitted event.  Return 0 only once the event
 * is held durably; otherwise a negative td_err and a reason in err, and the
 * sender will retry.  Runs on nng worker threads: must be thread-safe.
 */
typedef int (*td_bus_accept_fn)(void *arg, const char *topic, const Tandem__Event *ev,
    char *err, size_t errlen);

int td_bus_inbox_open(td_bus_inbox **out, const char *url, int nworkers, td_bus_accept_fn fn,
    void *arg, char *err, size_t errlen) TD_MUSTCHECK;
void td_bus_inbox_close(td_bus_inbox *in);

int td_bus_outbox_open(td_bus_outbox **out, const char *url, const char *source,
    const char *node, char *err, size_t errlen) TD_MUSTCHECK;
/*
 * td_bus_submit sends ev and waits up to timeout_ms for the receiver's Ack.
 * 0 means the receiver holds it durably.  On any error the event may or may
 * not have been taken (the receiver must be idempotent); retry it.
 *
 * Identity: a new ev (seq 0) is given this outbox's source and node, the
 * next seq and (if 0) ts_us; seq and ts_us stay written in ev, so a retry
 * of the same ev carries the same identity.  Build every new event from
 * TANDEM__EVENT__INIT (or reset seq to 0).  An ev that already has a seq
 * and a source (forwarded from another publisher) keeps both.
 * TD_EAGAIN with the receiver's reason in err when it refused the event.
 */
int td_bus_submit(td_bus_outbox *o, const char *topic, Tandem__Event *ev, int timeout_ms,
    char *err, size_t errlen) TD_MUSTCHECK;
void td_bus_outbox_close(td_bus_outbox *o);

/* ---- framing (exposed for tests and fuzzing) ----------------------------- */

/*
 * td_bus_frame_split checks a bus message and finds its topic and payload.
 * The topic must be 1..127 printable bytes followed by NUL.
 */
int td_bus_frame_split(const uint8_t *msg, size_t len, const char **topic, const uint8_t **payload,
    size_t *plen) TD_MUSTCHECK;

#endif
