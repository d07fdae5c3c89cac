/* SPDX-License-Identifier: MIT */
/*
 * The CDR queue: a reliable queue in Redis between cdr-collector (producer)
 * and cdr-writer (consumer), carrying packed tandem.CdrRecord messages.
 *
 *   producer:  LPUSH <queue> rec...                 (one command per group)
 *   consumer:  LMOVE <queue> -> <processing list>   (Lua, up to N at once)
 *              ... INSERT ... ON CONFLICT DO NOTHING; COMMIT ...
 *              DEL <processing list>                (only after the commit)
 *
 * Each consumer worker owns one processing list, so a CDR leaves Redis only
 * after the PostgreSQL transaction that holds it committed; after a crash
 * the worker finds its processing list non-empty and writes it again,
 * which the idempotent INSERT turns into a no-op for rows already there.
 * Redis runs with appendfsync always, so what LPUSH acknowledged survives
 * a kill -9 of Redis too.
 *
 * All functions take a connected td_kv (see kv.h) owned by the calling
 * thread.  On I/O errors they return TD_ECONN/TD_ETIMEDOUT and the caller
 * reconnects; on error replies TD_EIO/TD_EAGAIN with the message in err.
 */
#ifndef TD_CDRQ_CDRQ_H
#define TD_CDRQ_CDRQ_H

#include <stddef.h>
#include <stdint.h>

#include "kv/kv.h"
#include "util/err.h"

#define TD_CDRQ_DEFAULT_KEY "tandem:cdr:queue"
#define TD_CDRQ_DEFAULT_DEAD_KEY "tandem:cdr:dead"
#define TD_CDRQ_PROCESSING_PREFIX "tandem:cdr:processing:"

/* One queue item: bytes borrowed (push) or owned by a td_cdrq_batch (fetch). */
typedef struct td_cdrq_item {
	const char *data;
	size_t len;
} td_cdrq_item;

/* A fetched batch; free with td_cdrq_batch_free. */
typedef struct td_cdrq_batch {
	td_cdrq_item *items;
	size_t n, cap;
	void **replies; /* redisReply objects that own the item bytes */
	size_t nreplies, repcap;
	int64_t first_at_ms; /* monotonic ms when the first item arrived */
} td_cdrq_batch;

/*
 * td_cdrq_push pushes n items onto key in one atomic LPUSH, and if
 * trim_to > 0 trims the list to that many newest items (dead-letter lists).
 * Returns 0 once Redis has acknowledged (and, with appendfsync always,
 * fsynced) them.
 */
int td_cdrq_push(td_kv *kv, const char *key, const td_cdrq_item *items, size_t n, long trim_to,
    char *err, size_t errlen) TD_MUSTCHECK;

/*
 * td_cdrq_recover appends whatever is already in the processing list (left
 * over by a crash or a lost reply) to b.  0 with b->n == 0 if it was empty.
 */
int td_cdrq_recover(td_kv *kv, const char *processing, td_cdrq_batch *b, char *err,
    size_t errlen) TD_MUSTCHECK;

/*
 * td_cdrq_fetch fills b (empty on entry) with up to max items moved from
 * queue to processing.  It blocks up to block_ms for the first item, then
 * keeps adding until max items or wait_ms after the first one, whichever
 * comes first.  0 with b->n == 0 means nothing arrived within block_ms.
 */
int td_cdrq_fetch(td_kv *kv, const char *queue, const char *processing, size_t max,
    int block_ms, int wait_ms, td_cdrq_batch *b, char *err, size_t errlen) TD_MUSTCHECK;

/* td_cdrq_ack deletes the processing list: call only after the commit. */
int td_cdrq_ack(td_kv *kv, const char *processing, char *err, size_t errlen) TD_MUSTCHECK;

/* td_cdrq_requeue moves every item of list back onto queue (orphan lists). */
int td_cdrq_requeue(td_kv *kv, const char *list, const char *queue, long *moved, char *err,
    size_t errlen) TD_MUSTCHECK;

/* td_cdrq_len: LLEN key. */
int td_cdrq_len(td_kv *kv, const char *key, long *len, char *err, size_t errlen) TD_MUSTCHECK;

void td_cdrq_batch_free(td_cdrq_batch *b);

#endif
