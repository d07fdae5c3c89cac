/* SPDX-License-Identifier: MIT */
/*
 * A group committer: one thread that makes many submitters' items durable
 * a group at a time (one round trip for many), the way a database commits
 * a group of transactions with one fsync.
 *
 * Submitters queue items (any thread, never blocking on the store).  The
 * thread takes up to group_max of them, in order, and hands the group to
 * ops->commit, which finishes each item whose outcome is definite and
 * returns those to try again (reply lost, store not ready).  Those are
 * retried, ahead of newer items, after a pause of retry_ms that ends early
 * at stop.  An item still waiting at its deadline is failed with
 * TD_ETIMEDOUT; at stop, everything not yet finished is failed with
 * TD_ECLOSED.  Every item is finished exactly once.
 *
 * Items are intrusive: embed td_gc_item as the first member of your own
 * item and cast back in the callbacks.
 */
#ifndef TD_UTIL_GROUPCOMMIT_H
#define TD_UTIL_GROUPCOMMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct td_gc_item {
	struct td_gc_item *next; /* the committer's; lists are NULL-terminated, in order */
	int64_t deadline_ms;     /* on td_mono_ms(): failed with TD_ETIMEDOUT after it */
} td_gc_item;

typedef struct td_gc_ops {
	/*
	 * ready (optional): may a group be committed now (e.g. the store is
	 * connected)?  false: pause retry_ms and ask again.  Committer thread.
	 */
	bool (*ready)(void *arg);
	/*
	 * commit tries the group.  It finishes (answers and frees) every item
	 * with a definite outcome and returns the others, in order, to be
	 * tried again after the pause; NULL when all are finished.
	 */
	td_gc_item *(*commit)(void *arg, td_gc_item *group);
	/* fail finishes one item that will not be committed: TD_ETIMEDOUT or TD_ECLOSED. */
	void (*fail)(void *arg, td_gc_item *it, int rv);
} td_gc_ops;

typedef struct td_gc td_gc;

/* td_gc_start starts the thread (named name); dies if it cannot. ops is copied. */
td_gc *td_gc_start(const td_gc_ops *ops, void *arg, size_t group_max, int retry_ms,
    const char *name);
/* td_gc_submit queues it (fails it with TD_ECLOSED at once if stopping). */
void td_gc_submit(td_gc *g, td_gc_item *it);
/* td_gc_pending: items queued and not yet taken into a group. */
size_t td_gc_pending(td_gc *g);
/* td_gc_stop stops the thread; what was not finished is failed with TD_ECLOSED.  Idempotent. */
void td_gc_stop(td_gc *g);
/*
 * td_gc_drain stops the thread after one more try at what is queued (a
 * pause in progress is cut short): each group is committed once, in
 * order, and from the first that does not go wholly, the rest is failed
 * with TD_ECLOSED.  For a graceful shutdown.  Idempotent.
 */
void td_gc_drain(td_gc *g);
/* td_gc_free stops (if needed) and frees. */
void td_gc_free(td_gc *g);

#endif
