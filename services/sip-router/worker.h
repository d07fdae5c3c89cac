/* SPDX-License-Identifier: MIT */
/*
 * Worker threads: one epoll loop each over the worker's sockets, its TCP
 * connections, its timer wheel and its inbox (work handed over by other
 * threads, e.g. "send the 200 OK for this REGISTER now that Redis has it").
 */
#ifndef SIP_ROUTER_WORKER_H
#define SIP_ROUTER_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "timer.h"
#include "transport.h"

struct sr;

/* What an epoll event points at. */
typedef enum io_kind { IO_UDP = 1, IO_TCP_LISTEN, IO_TCP_CONN, IO_INBOX } io_kind;

typedef struct io {
	io_kind kind;
	int fd;
	sr_addr local; /* UDP / listeners: the bound address */
} io;

typedef struct task task;
typedef void (*task_fn)(struct worker *w, void *arg);

typedef struct worker {
	int idx;
	struct sr *r;
	pthread_t thr;
	_Atomic bool stop;
	int ep;
	io inbox_io;          /* eventfd */
	io udp[TP_MAX_LISTEN];
	int nudp;
	io tcp[TP_MAX_LISTEN];
	int ntcp;
	tw wheel;
	pthread_mutex_t inbox_lock;
	task *inbox_head, *inbox_tail;
	bool inbox_signalled; /* under inbox_lock: an eventfd write is pending */
	int64_t now_ms;       /* monotonic ms at the top of this loop iteration */
	char *rxbuf;          /* UDP receive buffers */
	uint64_t seq;         /* per-worker counter (branch uniqueness) */
} worker;

/* worker_start opens the sockets and starts the thread.  Error names the problem. */
int worker_start(struct sr *r, int idx, const tp_listen *ls, int nls, worker **out, char *err,
    size_t errlen) TD_MUSTCHECK;
void worker_stop(worker *w); /* joins; frees */

/* worker_post runs fn(w, arg) on w's thread soon (any thread). */
void worker_post(worker *w, task_fn fn, void *arg);

/* worker_self: the worker running on this thread, or NULL. */
worker *worker_self(void);

/*
 * worker_bind makes w the worker of the calling thread (NULL: none).  Worker
 * threads bind themselves; tests use it to drive a worker's sockets and timer
 * wheel from their own thread, with their own clock.
 */
void worker_bind(worker *w);

#endif
