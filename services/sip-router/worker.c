/* SPDX-License-Identifier: MIT */
/* Worker threads: epoll loop, inbox, timer wheel (see worker.h). */
#include "worker.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "log/log.h"
#include "proxy.h"
#include "sr.h"
#include "util/clock.h"
#include "util/mem.h"

struct task {
	task *next;
	task_fn fn;
	void *arg;
};

static __thread worker *t_self;

worker *
worker_self(void)
{
	return (t_self);
}

void
worker_bind(worker *w)
{
	t_self = w;
}

void
worker_post(worker *w, task_fn fn, void *arg)
{
	task *t = td_xmalloc(sizeof(*t));
	t->next = NULL;
	t->fn = fn;
	t->arg = arg;
	pthread_mutex_lock(&w->inbox_lock);
	if (w->inbox_tail != NULL) {
		w->inbox_tail->next = t;
	} else {
		w->inbox_head = t;
	}
	w->inbox_tail = t;
	bool signal = !w->inbox_signalled;
	w->inbox_signalled = true;
	pthread_mutex_unlock(&w->inbox_lock);
	if (signal) {
		uint64_t one = 1;
		ssize_t n = write(w->inbox_io.fd, &one, sizeof(one));
		(void)n;
	}
}

static void
run_inbox(worker *w)
{
	uint64_t v;
	ssize_t n = read(w->inbox_io.fd, &v, sizeof(v));
	(void)n;
	pthread_mutex_lock(&w->inbox_lock);
	task *t = w->inbox_head;
	w->inbox_head = w->inbox_tail = NULL;
	w->inbox_signalled = false;
	pthread_mutex_unlock(&w->inbox_lock);
	while (t != NULL) {
		task *next = t->next;
		t->fn(w, t->arg);
		free(t);
		t = next;
	}
}

static void *
worker_main(void *arg)
{
	worker *w = arg;
	sr *r = w->r;
	worker_bind(w);
	struct epoll_event evs[64];
	int64_t next_sweep = td_mono_ms() + 1000;
	while (!atomic_load(&w->stop)) {
		w->now_ms = td_mono_ms();
		int timeout = tw_next_ms(&w->wheel, w->now_ms, 100);
		int n = epoll_wait(w->ep, evs, 64, timeout);
		w->now_ms = td_mono_ms();
		tw_advance(&w->wheel, w->now_ms); /* so timers armed below count from now */
		for (int i = 0; i < n; i++) {
			io *o = evs[i].data.ptr;
			switch (o->kind) {
			case IO_UDP: tp_on_udp(r->tp, w, (int)(o - w->udp)); break;
			case IO_TCP_LISTEN: tp_on_accept(r->tp, w, o->fd, &o->local); break;
			case IO_TCP_CONN: tp_on_conn(r->tp, w, o, evs[i].events); break;
			case IO_INBOX: run_inbox(w); break;
			}
		}
		w->now_ms = td_mono_ms();
		tw_advance(&w->wheel, w->now_ms);
		if (w->now_ms >= next_sweep) {
			tp_idle_sweep(r->tp, w, r->cfg->tcp_idle_ms);
			next_sweep = w->now_ms + 1000;
		}
	}
	/* Tasks posted after the loop ended still run, so nothing waits forever. */
	run_inbox(w);
	worker_bind(NULL);
	return (NULL);
}

int
worker_start(sr *r, int idx, const tp_listen *ls, int nls, worker **out, char *err,
    size_t errlen)
{
	worker *w = TD_NEW(worker);
	w->idx = idx;
	w->r = r;
	pthread_mutex_init(&w->inbox_lock, NULL);
	w->ep = epoll_create1(EPOLL_CLOEXEC);
	w->inbox_io.kind = IO_INBOX;
	w->inbox_io.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->ep < 0 || w->inbox_io.fd < 0) {
		snprintf(err, errlen, "epoll/eventfd: %s", strerror(errno));
		return (TD_EIO);
	}
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &w->inbox_io};
	epoll_ctl(w->ep, EPOLL_CTL_ADD, w->inbox_io.fd, &ev);
	w->rxbuf = td_xmalloc(16 * 65536);
	tw_init(&w->wheel, td_mono_ms());
	w->now_ms = td_mono_ms();
	int rv = tp_open_worker_sockets(r->tp, w, ls, nls, err, errlen);
	if (rv != 0) {
		*out = w; /* worker_stop cleans up what was opened */
		return (rv);
	}
	*out = w;
	if (pthread_create(&w->thr, NULL, worker_main, w) != 0) {
		snprintf(err, errlen, "cannot start worker thread %d", idx);
		return (TD_EIO);
	}
	char name[16];
	snprintf(name, sizeof(name), "sr-worker-%d", idx);
	pthread_setname_np(w->thr, name);
	return (TD_OK);
}

void
worker_stop(worker *w)
{
	if (w == NULL) {
		return;
	}
	if (w->thr != 0) {
		atomic_store(&w->stop, true);
		uint64_t one = 1;
		ssize_t n = write(w->inbox_io.fd, &one, sizeof(one));
		(void)n;
		pthread_join(w->thr, NULL);
	}
	for (int i = 0; i < w->nudp; i++) {
		close(w->udp[i].fd);
	}
	for (int i = 0; i < w->ntcp; i++) {
		close(w->tcp[i].fd);
	}
	tw_fini(&w->wheel);
	close(w->ep);
	close(w->inbox_io.fd);
	free(w->rxbuf);
	pthread_mutex_destroy(&w->inbox_lock);
	free(w);
}
