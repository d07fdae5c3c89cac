/* SPDX-License-Identifier: MIT */
/*
 * Group commit to Redis.  Request threads hand their packed record to one
 * enqueuer thread and wait; the enqueuer pushes everything pending in one
 * LPUSH per list (with appendfsync always: one fsync per group), then
 * wakes the waiters.  Under load the groups grow by themselves, so Redis
 * round trips stay few while each request still waits for its own
 * acknowledgement.
 */
#ifndef CDR_COLLECTOR_ENQUEUE_H
#define CDR_COLLECTOR_ENQUEUE_H

#include <stddef.h>

#include "collector.h"
#include "util/err.h"

typedef struct enq enq;

enq *enq_start(const collector_cfg *cfg, collector_metrics *m);
/*
 * enq_stop fails everything pending with TD_ECLOSED and every later
 * submission at once; enq_free (after the producers are gone) frees it.
 */
void enq_stop(enq *e);
void enq_free(enq *e);

/*
 * enq_done_fn receives the outcome of an asynchronous submission, on the
 * enqueuer thread: it must be quick and must not block.
 */
typedef void (*enq_done_fn)(void *arg, int rv);

/*
 * enq_submit_async queues data (malloc'd; the enqueuer frees it) for list
 * key and returns at once; done(arg, rv) follows exactly once, with 0 when
 * Redis acknowledged it, or TD_ETIMEDOUT/TD_ECONN/TD_ECLOSED.  Same
 * semantics as enq_submit otherwise.
 */
void enq_submit_async(enq *e, const char *key, void *data, size_t len, long trim,
    int64_t timeout_ms, enq_done_fn done, void *arg);

/*
 * enq_submit pushes data onto list key and returns 0 once Redis has
 * acknowledged it, or TD_ETIMEDOUT/TD_ECONN if that did not happen within
 * timeout_ms (the record may or may not be in Redis then: the producer
 * retries and the writer's idempotency absorbs the duplicate).  trim > 0
 * caps the list to that many newest entries (dead letters).  data is
 * borrowed for the duration of the call.  Thread-safe; blocks.
 */
int enq_submit(enq *e, const char *key, const void *data, size_t len, long trim,
    int64_t timeout_ms) TD_MUSTCHECK;

/* enq_redis_up: whether the last push (or connect) succeeded. */
bool enq_redis_up(enq *e);

#endif
