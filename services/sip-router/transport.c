/* SPDX-License-Identifier: MIT */
/* UDP and TCP transports (see transport.h). */
#include "transport.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "log/log.h"
#include "proxy.h"
#include "sip/frame.h"
#include "sr.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/mem.h"
#include "worker.h"

#define UDP_BATCH 16
#define UDP_BUF 65536
#define CONN_SHARDS 64
#define CONN_BUCKETS 256

typedef struct conn {
	io io;                 /* kind IO_TCP_CONN; must be first */
	uint32_t id;
	worker *owner;
	sr_addr peer, local;
	_Atomic int refs;
	pthread_mutex_t wlock; /* out, want_out, connecting, closed */
	td_buf out;
	bool want_out, connecting, closed;
	td_buf in;             /* owner thread only */
	_Atomic int64_t last_ms;
	struct conn *next_id, *next_addr;
} conn;

typedef struct shard {
	pthread_mutex_t lock;
	conn *by_id[CONN_BUCKETS];
	conn *by_addr[CONN_BUCKETS];
} shard;

struct tp {
	sr *r;
	shard shards[CONN_SHARDS];
	_Atomic uint32_t next_id;
	_Atomic uint64_t udp_in, udp_out, tcp_in, tcp_out, tcp_accepted, tcp_opened, tcp_closed,
	    send_errors, framing_errors, oversize;
	_Atomic int64_t tcp_open;
	sr_addr adv; /* the advertised address, when it is numeric (adv_ok) */
	bool adv_ok;
};

/* ---- listen spec ------------------------------------------------------------------- */

int
tp_parse_listen(const char *spec, tp_listen *out, int max, int *n, char *err, size_t errlen)
{
	char *copy = td_xstrdup(spec), *save = NULL;
	*n = 0;
	int rv = TD_OK;
	for (char *t = strtok_r(copy, ", ", &save); t != NULL; t = strtok_r(NULL, ", ", &save)) {
		sr_proto proto;
		if (strncmp(t, "udp:", 4) == 0) {
			proto = SR_UDP;
		} else if (strncmp(t, "tcp:", 4) == 0) {
			proto = SR_TCP;
		} else {
			snprintf(err, errlen, "'%s': expected udp:HOST:PORT or tcp:HOST:PORT", t);
			rv = TD_EINVAL;
			break;
		}
		const char *hp = t + 4, *colon = strrchr(hp, ':');
		if (colon == NULL || (hp[0] == '[' && colon < strchr(hp, ']'))) {
			snprintf(err, errlen, "'%s': no port", t);
			rv = TD_EINVAL;
			break;
		}
		char *end;
		long port = strtol(colon + 1, &end, 10);
		if (*end != '\0' || port <= 0 || port > 65535) {
			snprintf(err, errlen, "'%s': bad port", t);
			rv = TD_EINVAL;
			break;
		}
		if (*n == max) {
			snprintf(err, errlen, "more than %d listen addresses", max);
			rv = TD_EINVAL;
			break;
		}
		if (sr_addr_parse(&out[*n].addr, hp, (size_t)(colon - hp), (uint16_t)port, proto) != 0) {
			snprintf(err, errlen, "'%s': not a numeric IPv4/IPv6 address", t);
			rv = TD_EINVAL;
			break;
		}
		(*n)++;
	}
	free(copy);
	if (rv == 0 && *n == 0) {
		snprintf(err, errlen, "no listen address");
		rv = TD_EINVAL;
	}
	return (rv);
}

/* ---- connection table ----------------------------------------------------------------- */

tp *
tp_new(sr *r)
{
	tp *t = TD_NEW(tp);
	t->r = r;
	for (int i = 0; i < CONN_SHARDS; i++) {
		pthread_mutex_init(&t->shards[i].lock, NULL);
	}
	atomic_store(&t->next_id, 1);
	const char *h = r->adv_host;
	size_t hn = strlen(h);
	if (hn >= 2 && h[0] == '[' && h[hn - 1] == ']') {
		h++;
		hn -= 2;
	}
	t->adv_ok = sr_addr_parse(&t->adv, h, hn, r->adv_port, SR_UDP) == 0;
	return (t);
}

static shard *
shard_of_id(tp *t, uint32_t id)
{
	return (&t->shards[id % CONN_SHARDS]);
}

static shard *
shard_of_addr(tp *t, const sr_addr *a, uint32_t *bucket)
{
	uint32_t h = sr_addr_hash(a);
	*bucket = (h / CONN_SHARDS) % CONN_BUCKETS;
	return (&t->shards[h % CONN_SHARDS]);
}

static void
conn_unref(conn *c)
{
	if (atomic_fetch_sub(&c->refs, 1) == 1) {
		td_buf_free(&c->out);
		td_buf_free(&c->in);
		pthread_mutex_destroy(&c->wlock);
		free(c);
	}
}

static void
table_insert(tp *t, conn *c)
{
	shard *s = shard_of_id(t, c->id);
	pthread_mutex_lock(&s->lock);
	c->next_id = s->by_id[(c->id / CONN_SHARDS) % CONN_BUCKETS];
	s->by_id[(c->id / CONN_SHARDS) % CONN_BUCKETS] = c;
	pthread_mutex_unlock(&s->lock);
	uint32_t b;
	s = shard_of_addr(t, &c->peer, &b);
	pthread_mutex_lock(&s->lock);
	c->next_addr = s->by_addr[b];
	s->by_addr[b] = c;
	pthread_mutex_unlock(&s->lock);
	atomic_fetch_add(&c->refs, 2); /* one per table */
}

static void
table_remove(tp *t, conn *c)
{
	shard *s = shard_of_id(t, c->id);
	pthread_mutex_lock(&s->lock);
	for (conn **p = &s->by_id[(c->id / CONN_SHARDS) % CONN_BUCKETS]; *p; p = &(*p)->next_id) {
		if (*p == c) {
			*p = c->next_id;
			conn_unref(c);
			break;
		}
	}
	pthread_mutex_unlock(&s->lock);
	uint32_t b;
	s = shard_of_addr(t, &c->peer, &b);
	pthread_mutex_lock(&s->lock);
	for (conn **p = &s->by_addr[b]; *p; p = &(*p)->next_addr) {
		if (*p == c) {
			*p = c->next_addr;
			conn_unref(c);
			break;
		}
	}
	pthread_mutex_unlock(&s->lock);
}

/* find_by_id / find_by_addr return a referenced connection or NULL. */
static conn *
find_by_id(tp *t, uint32_t id)
{
	shard *s = shard_of_id(t, id);
	conn *found = NULL;
	pthread_mutex_lock(&s->lock);
	for (conn *c = s->by_id[(id / CONN_SHARDS) % CONN_BUCKETS]; c; c = c->next_id) {
		if (c->id == id) {
			atomic_fetch_add(&c->refs, 1);
			found = c;
			break;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return (found);
}

static conn *
find_by_addr(tp *t, const sr_addr *a)
{
	uint32_t b;
	shard *s = shard_of_addr(t, a, &b);
	conn *found = NULL;
	pthread_mutex_lock(&s->lock);
	for (conn *c = s->by_addr[b]; c; c = c->next_addr) {
		if (sr_addr_eq(&c->peer, a)) {
			atomic_fetch_add(&c->refs, 1);
			found = c;
			break;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return (found);
}

static conn *
conn_new(tp *t, worker *owner, int fd, const sr_addr *peer, const sr_addr *local)
{
	conn *c = TD_NEW(conn);
	c->io.kind = IO_TCP_CONN;
	c->io.fd = fd;
	c->id = atomic_fetch_add(&t->next_id, 1);
	if (c->id == 0) {
		c->id = atomic_fetch_add(&t->next_id, 1); /* 0 means "no connection" */
	}
	c->owner = owner;
	c->peer = *peer;
	c->peer.proto = SR_TCP;
	if (local != NULL) {
		c->local = *local;
	}
	atomic_store(&c->refs, 1); /* the owner's */
	pthread_mutex_init(&c->wlock, NULL);
	td_buf_init(&c->out, 16 * 1024 * 1024);
	td_buf_init(&c->in, (size_t)t->r->cfg->max_message * 2 + 4096);
	atomic_store(&c->last_ms, td_mono_ms());
	atomic_fetch_add(&t->tcp_open, 1);
	return (c);
}

/* conn_close: owner thread (or the creator before the loop saw it). */
static void
conn_close(tp *t, conn *c)
{
	pthread_mutex_lock(&c->wlock);
	if (c->closed) {
		pthread_mutex_unlock(&c->wlock);
		return;
	}
	c->closed = true;
	pthread_mutex_unlock(&c->wlock);
	epoll_ctl(c->owner->ep, EPOLL_CTL_DEL, c->io.fd, NULL);
	close(c->io.fd);
	table_remove(t, c);
	atomic_fetch_add(&t->tcp_closed, 1);
	atomic_fetch_sub(&t->tcp_open, 1);
	conn_unref(c); /* the owner's reference */
}

/* ---- sockets ---------------------------------------------------------------------------- */

static int
bind_socket(const sr_addr *a, int type, char *err, size_t errlen)
{
	char as[64];
	int fd = socket(a->u.sa.sa_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return (-1);
	}
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (a->u.sa.sa_family == AF_INET6) {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	}
	if (type == SOCK_DGRAM) {
		int sz = 4 * 1024 * 1024;
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	}
	if (bind(fd, &a->u.sa, a->len) != 0) {
		snprintf(err, errlen, "bind %s/%s: %s", sr_addr_fmt(a, as, sizeof(as)),
		    sr_proto_name((sr_proto)a->proto), strerror(errno));
		close(fd);
		return (-1);
	}
	if (type == SOCK_STREAM && listen(fd, 1024) != 0) {
		snprintf(err, errlen, "listen: %s", strerror(errno));
		close(fd);
		return (-1);
	}
	return (fd);
}

/*
 * UDP: one socket per listening address, shared by every worker.  Worker 0
 * binds it; the others watch a duplicate of its descriptor.  Each worker's
 * epoll registers it with EPOLLEXCLUSIVE, so a datagram wakes one worker
 * that is waiting in epoll_wait (a busy worker is passed over) rather than
 * all of them.  At low load one worker takes everything and batches it; at
 * high load every worker reads.  Per-worker SO_REUSEPORT sockets would hash
 * by source instead, and a phone system's traffic comes from few addresses
 * (a FreeSWITCH, a trunk, a load balancer): all of it would land on one
 * worker.  Messages of one source may so be handled in parallel; the
 * transaction and dialog layers are built for that, as Kamailio's are:
 * its UDP workers also share one socket, each blocking in recvfrom.
 *
 * TCP: one listening socket per worker in a SO_REUSEPORT group; the kernel
 * spreads connections, and a connection stays with the worker that
 * accepted it.
 */
static int
shared_udp_socket(tp *t, worker *w, const sr_addr *a, int nth, char *err, size_t errlen)
{
	if (w->idx == 0 || t->r->w == NULL || t->r->w[0] == NULL || nth >= t->r->w[0]->nudp) {
		return (bind_socket(a, SOCK_DGRAM, err, errlen));
	}
	int fd = fcntl(t->r->w[0]->udp[nth].fd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "dup UDP socket: %s", strerror(errno));
	}
	return (fd);
}

int
tp_open_worker_sockets(tp *t, worker *w, const tp_listen *ls, int n, char *err, size_t errlen)
{
	for (int i = 0; i < n; i++) {
		bool udp = ls[i].addr.proto == SR_UDP;
		int fd = udp ? shared_udp_socket(t, w, &ls[i].addr, w->nudp, err, errlen)
		             : bind_socket(&ls[i].addr, SOCK_STREAM, err, errlen);
		if (fd < 0) {
			return (TD_EIO);
		}
		io *o = udp ? &w->udp[w->nudp++] : &w->tcp[w->ntcp++];
		o->kind = udp ? IO_UDP : IO_TCP_LISTEN;
		o->fd = fd;
		o->local = ls[i].addr;
		struct epoll_event ev = {.events = EPOLLIN | (udp ? EPOLLEXCLUSIVE : 0), .data.ptr = o};
		epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev);
	}
	return (TD_OK);
}

/* ---- receiving --------------------------------------------------------------------------- */

void
tp_on_udp(tp *t, worker *w, int nth)
{
	int fd = w->udp[nth].fd;
	const sr_addr *local = &w->udp[nth].local;
	struct mmsghdr msgs[UDP_BATCH];
	struct iovec iov[UDP_BATCH];
	sr_addr src[UDP_BATCH];
	for (int round = 0; round < 8; round++) { /* bounded: let other sockets have a turn */
		for (int i = 0; i < UDP_BATCH; i++) {
			iov[i].iov_base = w->rxbuf + (size_t)i * UDP_BUF;
			iov[i].iov_len = UDP_BUF - 1;
			memset(&msgs[i].msg_hdr, 0, sizeof(msgs[i].msg_hdr));
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			msgs[i].msg_hdr.msg_name = &src[i].u;
			msgs[i].msg_hdr.msg_namelen = sizeof(src[i].u);
		}
		int n = recvmmsg(fd, msgs, UDP_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0) {
			return;
		}
		atomic_fetch_add(&t->udp_in, (uint64_t)n);
		for (int i = 0; i < n; i++) {
			src[i].len = msgs[i].msg_hdr.msg_namelen;
			src[i].proto = SR_UDP;
			src[i].sock = (uint8_t)(nth + 1);
			const char *buf = iov[i].iov_base;
			size_t len = msgs[i].msg_len;
			if (!proxy_admit(w, &src[i])) {
				continue;
			}
			td_sip_msg m;
			int rv = td_sip_frame_datagram(&m, buf, len, (size_t)t->r->cfg->max_message);
			if (rv == TD_SIP_FRAME_PING) {
				continue; /* keep-alive; RFC 5626 STUN-less CRLF: nothing to answer on UDP */
			}
			if (rv == TD_ETOOBIG) {
				atomic_fetch_add(&t->oversize, 1);
			}
			proxy_on_msg(w, &m, rv, &src[i], local, 0);
		}
		if (n < UDP_BATCH) {
			return;
		}
	}
}

void
tp_on_accept(tp *t, worker *w, int lfd, const sr_addr *local)
{
	for (int i = 0; i < 64; i++) {
		sr_addr peer;
		memset(&peer, 0, sizeof(peer));
		socklen_t sl = sizeof(peer.u);
		int fd = accept4(lfd, &peer.u.sa, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			return;
		}
		peer.len = sl;
		peer.proto = SR_TCP;
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
		conn *c = conn_new(t, w, fd, &peer, local);
		table_insert(t, c);
		struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = c};
		epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev);
		atomic_fetch_add(&t->tcp_accepted, 1);
	}
}

/* flush writes queued output; caller holds c->wlock.  false on a fatal error. */
static bool
flush_locked(conn *c)
{
	while (c->out.len > 0) {
		ssize_t n = send(c->io.fd, c->out.data, c->out.len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				break;
			}
			return (false);
		}
		memmove(c->out.data, c->out.data + n, c->out.len - (size_t)n);
		c->out.len -= (size_t)n;
	}
	bool want = c->out.len > 0 || c->connecting;
	if (want != c->want_out) {
		c->want_out = want;
		struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | (want ? EPOLLOUT : 0),
		    .data.ptr = c};
		epoll_ctl(c->owner->ep, EPOLL_CTL_MOD, c->io.fd, &ev);
	}
	return (true);
}

/* read_messages frames and dispatches everything c->in holds.  false: close. */
static bool
read_messages(tp *t, worker *w, conn *c)
{
	size_t off = 0;
	bool ok = true;
	while (off < c->in.len) {
		td_sip_msg m;
		size_t used = 0;
		int rv = td_sip_frame_stream(&m, c->in.data + off, c->in.len - off,
		    (size_t)t->r->cfg->max_message, &used);
		if (rv == TD_SIP_FRAME_MORE) {
			break;
		}
		if (rv == TD_SIP_FRAME_PING) {
			/* RFC 5626 §4.4.1: answer a CRLFCRLF ping with a CRLF pong. */
			pthread_mutex_lock(&c->wlock);
			td_buf_append(&c->out, "\r\n", 2);
			ok = flush_locked(c);
			pthread_mutex_unlock(&c->wlock);
		} else if (rv == TD_SIP_FRAME_MSG || rv == TD_SIP_FRAME_BAD) {
			atomic_fetch_add(&t->tcp_in, 1);
			if (proxy_admit(w, &c->peer)) {
				proxy_on_msg(w, &m, rv, &c->peer, &c->local, c->id);
			}
		} else {
			/* Framing lost (bad Content-Length) or too big: the stream is unusable. */
			atomic_fetch_add(&t->framing_errors, 1);
			if (rv == TD_ETOOBIG) {
				atomic_fetch_add(&t->oversize, 1);
			}
			return (false);
		}
		off += used;
		if (!ok) {
			return (false);
		}
	}
	if (off > 0) {
		memmove(c->in.data, c->in.data + off, c->in.len - off);
		c->in.len -= off;
	}
	return (true);
}

void
tp_on_conn(tp *t, worker *w, void *p, uint32_t events)
{
	conn *c = p;
	if (events & EPOLLOUT) {
		pthread_mutex_lock(&c->wlock);
		if (c->connecting) {
			int e = 0;
			socklen_t el = sizeof(e);
			getsockopt(c->io.fd, SOL_SOCKET, SO_ERROR, &e, &el);
			c->connecting = false;
			if (e != 0) {
				pthread_mutex_unlock(&c->wlock);
				conn_close(t, c);
				return;
			}
		}
		bool ok = flush_locked(c);
		pthread_mutex_unlock(&c->wlock);
		if (!ok) {
			conn_close(t, c);
			return;
		}
	}
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
		for (int round = 0; round < 16; round++) {
			if (c->in.len + 4096 > c->in.limit) {
				atomic_fetch_add(&t->oversize, 1);
				conn_close(t, c); /* a message larger than we accept */
				return;
			}
			char *dst = td_buf_extend(&c->in, 4096);
			if (dst == NULL) {
				conn_close(t, c);
				return;
			}
			c->in.len -= 4096;
			ssize_t n = recv(c->io.fd, dst, 4096, 0);
			if (n > 0) {
				c->in.len += (size_t)n;
				atomic_store(&c->last_ms, w->now_ms);
				if (!read_messages(t, w, c)) {
					conn_close(t, c);
					return;
				}
				continue;
			}
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
				break;
			}
			conn_close(t, c); /* EOF or error */
			return;
		}
	}
}

void
tp_idle_sweep(tp *t, worker *w, int64_t idle_ms)
{
	conn *victims[64];
	int nv = 0;
	for (int s = 0; s < CONN_SHARDS && nv < 64; s++) {
		shard *sh = &t->shards[s];
		pthread_mutex_lock(&sh->lock);
		for (int b = 0; b < CONN_BUCKETS && nv < 64; b++) {
			for (conn *c = sh->by_id[b]; c && nv < 64; c = c->next_id) {
				if (c->owner == w && w->now_ms - atomic_load(&c->last_ms) > idle_ms) {
					atomic_fetch_add(&c->refs, 1);
					victims[nv++] = c;
				}
			}
		}
		pthread_mutex_unlock(&sh->lock);
	}
	for (int i = 0; i < nv; i++) {
		conn_close(t, victims[i]);
		conn_unref(victims[i]);
	}
}

/* ---- sending ------------------------------------------------------------------------------- */

static int
conn_write(tp *t, conn *c, const char *data, size_t len)
{
	pthread_mutex_lock(&c->wlock);
	if (c->closed) {
		pthread_mutex_unlock(&c->wlock);
		return (TD_ECONN);
	}
	td_buf_append(&c->out, data, len);
	bool ok = !td_buf_failed(&c->out) && (c->connecting || flush_locked(c));
	pthread_mutex_unlock(&c->wlock);
	if (!ok) {
		atomic_fetch_add(&t->send_errors, 1);
		return (TD_EIO);
	}
	atomic_fetch_add(&t->tcp_out, 1);
	return (TD_OK);
}

/* open_conn starts a TCP connection to dst owned by w (or worker 0). */
static conn *
open_conn(tp *t, worker *w, const sr_addr *dst)
{
	if (w == NULL) {
		w = t->r->w[0];
	}
	int fd = socket(dst->u.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		return (NULL);
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, &dst->u.sa, dst->len) != 0 && errno != EINPROGRESS) {
		close(fd);
		return (NULL);
	}
	conn *c = conn_new(t, w, fd, dst, NULL);
	c->connecting = true;
	c->want_out = true;
	table_insert(t, c);
	atomic_fetch_add(&t->tcp_opened, 1);
	struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP, .data.ptr = c};
	epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev);
	atomic_fetch_add(&c->refs, 1); /* the caller's */
	return (c);
}

/*
 * udp_fd_for: the socket a datagram to dst leaves by (see tp_send).  Every
 * worker holds the same UDP sockets in the same order, so dst->sock means
 * the same address on any of them.
 */
static int
udp_fd_for(const tp *t, const worker *w, const sr_addr *dst)
{
	int family = dst->u.sa.sa_family;
	if (dst->sock > 0 && dst->sock <= w->nudp &&
	    w->udp[dst->sock - 1].local.u.sa.sa_family == family) {
		return (w->udp[dst->sock - 1].fd);
	}
	int first = -1;
	for (int i = 0; i < w->nudp; i++) {
		const sr_addr *l = &w->udp[i].local;
		if (l->u.sa.sa_family != family) {
			continue;
		}
		if (t->adv_ok && sr_addr_same_host(l, &t->adv)) {
			return (w->udp[i].fd);
		}
		if (first < 0) {
			first = w->udp[i].fd;
		}
	}
	return (first);
}

int
tp_send(tp *t, worker *w, const sr_addr *dst, uint32_t conn_id, const char *data, size_t len)
{
	if (dst->proto == SR_TCP || conn_id != 0) {
		conn *c = conn_id ? find_by_id(t, conn_id) : NULL;
		if (c == NULL && dst->proto == SR_TCP) {
			c = find_by_addr(t, dst);
			if (c == NULL) {
				c = open_conn(t, w, dst);
			}
		}
		if (c == NULL) {
			atomic_fetch_add(&t->send_errors, 1);
			return (TD_ECONN);
		}
		int rv = conn_write(t, c, data, len);
		conn_unref(c);
		return (rv);
	}
	int fd = udp_fd_for(t, w != NULL ? w : t->r->w[0], dst);
	if (fd < 0) {
		atomic_fetch_add(&t->send_errors, 1);
		return (TD_ECONN); /* no UDP socket of that family */
	}
	if (sendto(fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL, &dst->u.sa, dst->len) < 0) {
		atomic_fetch_add(&t->send_errors, 1);
		return (TD_EIO);
	}
	atomic_fetch_add(&t->udp_out, 1);
	return (TD_OK);
}

void
tp_close_all(tp *t)
{
	for (int s = 0; s < CONN_SHARDS; s++) {
		for (;;) {
			conn *c = NULL;
			shard *sh = &t->shards[s];
			pthread_mutex_lock(&sh->lock);
			for (int b = 0; b < CONN_BUCKETS && c == NULL; b++) {
				if (sh->by_id[b] != NULL) {
					c = sh->by_id[b];
					atomic_fetch_add(&c->refs, 1);
				}
			}
			pthread_mutex_unlock(&sh->lock);
			if (c == NULL) {
				break;
			}
			conn_close(t, c);
			conn_unref(c);
		}
	}
}

void
tp_free(tp *t)
{
	if (t == NULL) {
		return;
	}
	for (int i = 0; i < CONN_SHARDS; i++) {
		pthread_mutex_destroy(&t->shards[i].lock);
	}
	free(t);
}

void
tp_stats_get(tp *t, tp_stats *st)
{
	st->udp_in = atomic_load(&t->udp_in);
	st->udp_out = atomic_load(&t->udp_out);
	st->tcp_in = atomic_load(&t->tcp_in);
	st->tcp_out = atomic_load(&t->tcp_out);
	st->tcp_accepted = atomic_load(&t->tcp_accepted);
	st->tcp_opened = atomic_load(&t->tcp_opened);
	st->tcp_closed = atomic_load(&t->tcp_closed);
	st->send_errors = atomic_load(&t->send_errors);
	st->framing_errors = atomic_load(&t->framing_errors);
	st->oversize = atomic_load(&t->oversize);
	st->tcp_open = atomic_load(&t->tcp_open);
}
