/* SPDX-License-Identifier: MIT */
/*
 * HTTP POST load against cdr-collector, with acknowledgement tracking.
 *
 * The load generator shares the machine with what it measures, so it is
 * kept lean: a few threads, each an epoll loop over its share of the
 * connections, plain HTTP/1.1 over non-blocking sockets (the server is
 * ours; responses carry Content-Length).  Connections are kept alive unless
 * --new-connection asks for one per CDR, as FreeSWITCH's mod_json_cdr does.
 * A failed attempt (error status, reset, refused, timeout) is retried with
 * the same body after --retry-delay, up to --retries times.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "load.h"
#include "util/clock.h"
#include "util/mem.h"

#define ATTEMPT_TIMEOUT_MS 30000

typedef struct acked {
	char uuid[37];
	int64_t post_us;
} acked;

typedef enum cstate { C_IDLE, C_CONNECTING, C_SENDING, C_READING, C_WAITING, C_PACED } cstate;

typedef struct conn {
	int fd;
	cstate st;
	char uuid[37];
	td_buf req;           /* the whole request, headers and body */
	size_t sent;
	char resp[8192];
	size_t got;
	int attempt;
	int64_t t0_us;        /* this attempt's start (wall) */
	int64_t deadline_ms;  /* attempt timeout, or end of the retry wait */
} conn;

typedef struct thr {
	const tmpl *t;
	const post_opts *o;
	const struct sockaddr_in *addr;
	const char *host, *path;
	_Atomic long *next;
	int64_t start_ms; /* for --rate: CDR i is due at start_ms + i * 1000 / rate */
	int nconn;
	pthread_t id;
	acked *ack;
	size_t nack, ackcap;
	double *lat;
	uint64_t failed, retries, status[6];
	td_buf body; /* scratch for rendering */
} thr;

/* ---- one connection's state machine ------------------------------------------ */

static void
conn_close(int ep, conn *c)
{
	if (c->fd >= 0) {
		epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
		c->fd = -1;
	}
}

/* conn_open starts a non-blocking connect; false if it failed at once. */
static bool
conn_open(thr *th, int ep, conn *c)
{
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		return (false);
	}
	int one = 1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (const struct sockaddr *)th->addr, sizeof(*th->addr)) != 0 &&
	    errno != EINPROGRESS) {
		close(c->fd);
		c->fd = -1;
		return (false);
	}
	struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN, .data.ptr = c};
	epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
	c->st = C_CONNECTING;
	return (true);
}

/* build renders the next CDR into c->req; false when there are no more. */
static bool
build(thr *th, conn *c)
{
	long i = atomic_fetch_add(th->next, 1);
	if (i >= th->o->count) {
		return (false);
	}
	td_buf *body = &th->body;
	tmpl_uuid(c->uuid);
	const char *ctype = tmpl_render(th->t, c->uuid, td_wall_us(), th->o->enc, body);
	td_buf_reset(&c->req);
	td_buf_printf(&c->req,
	    "POST %s?uuid=%s HTTP/1.1\r\nHost: %s\r\nUser-Agent: freeswitch-json/1.0\r\n"
	    "Content-Type: %s\r\nContent-Length: %zu\r\n%s%s%s\r\n",
	    th->path, c->uuid, th->host, ctype, body->len,
	    th->o->auth_header ? th->o->auth_header : "", th->o->auth_header ? "\r\n" : "",
	    th->o->new_connection ? "Connection: close\r\n" : "");
	td_buf_append(&c->req, body->data, body->len);
	c->attempt = 0;
	c->deadline_ms = 0;
	if (th->o->rate > 0) {
		c->deadline_ms = th->start_ms + (int64_t)((double)i * 1000.0 / th->o->rate);
	}
	return (true);
}

/* start_attempt sends c->req, opening a connection if needed. */
static void
start_attempt(thr *th, int ep, conn *c)
{
	c->sent = 0;
	c->got = 0;
	c->t0_us = td_wall_us();
	c->deadline_ms = td_mono_ms() + ATTEMPT_TIMEOUT_MS;
	if (c->fd < 0) {
		if (!conn_open(th, ep, c)) {
			c->st = C_SENDING; /* fails on the first write: handled as an error */
		}
		return;
	}
	c->st = C_SENDING;
	struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN, .data.ptr = c};
	epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static void
record_ok(thr *th, conn *c)
{
	if (th->nack == th->ackcap) {
		th->ackcap = th->ackcap ? th->ackcap * 2 : 1024;
		th->ack = td_xrealloc(th->ack, th->ackcap * sizeof(acked));
		th->lat = td_xrealloc(th->lat, th->ackcap * sizeof(double));
	}
	memcpy(th->ack[th->nack].uuid, c->uuid, sizeof(c->uuid));
	th->ack[th->nack].post_us = c->t0_us;
	th->lat[th->nack] = (double)(td_wall_us() - c->t0_us) / 1000.0;
	th->nack++;
}

/* finish ends an attempt with HTTP status code (0 = transport failure). */
static void
finish(thr *th, int ep, conn *c, int code, bool keep)
{
	th->status[code >= 100 && code < 600 ? code / 100 : 0]++;
	if (!keep || th->o->new_connection) {
		conn_close(ep, c);
	}
	if (code >= 200 && code < 300) {
		record_ok(th, c);
	} else if (c->attempt < th->o->retries && !(code >= 400 && code < 500)) {
		/* FreeSWITCH retries after `delay`; a 4xx would not get better. */
		c->attempt++;
		th->retries++;
		c->st = C_WAITING;
		c->deadline_ms = td_mono_ms() + th->o->retry_delay_ms;
		conn_close(ep, c); /* a failed connection is not reused */
		return;
	} else {
		th->failed++;
	}
	c->st = C_IDLE;
}

/* parse_response: 0 = need more, >0 = status code with the whole body in. */
static int
parse_response(conn *c, bool *keep)
{
	c->resp[c->got < sizeof(c->resp) ? c->got : sizeof(c->resp) - 1] = '\0';
	char *end = strstr(c->resp, "\r\n\r\n");
	if (end == NULL) {
		return (c->got >= sizeof(c->resp) - 1 ? -1 : 0);
	}
	int code = 0;
	if (sscanf(c->resp, "HTTP/1.%*d %d", &code) != 1) {
		return (-1);
	}
	const char *cl = strcasestr(c->resp, "\r\ncontent-length:");
	size_t blen = cl != NULL && cl < end ? strtoul(cl + 17, NULL, 10) : 0;
	size_t hlen = (size_t)(end + 4 - c->resp);
	if (c->got < hlen + blen) {
		return (hlen + blen >= sizeof(c->resp) ? -1 : 0);
	}
	const char *close_hdr = strcasestr(c->resp, "\r\nconnection: close");
	*keep = close_hdr == NULL || close_hdr > end;
	return (code);
}

static void
on_event(thr *th, int ep, conn *c, uint32_t events)
{
	if (c->st == C_CONNECTING) {
		int err = 0;
		socklen_t el = sizeof(err);
		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
		if (err != 0 || (events & (EPOLLERR | EPOLLHUP))) {
			finish(th, ep, c, 0, false);
			return;
		}
		c->st = C_SENDING;
	}
	if (c->st == C_SENDING) {
		while (c->sent < c->req.len) {
			ssize_t n = send(c->fd, c->req.data + c->sent, c->req.len - c->sent, MSG_NOSIGNAL);
			if (n < 0) {
				if (errno == EAGAIN) {
					return;
				}
				finish(th, ep, c, 0, false);
				return;
			}
			c->sent += (size_t)n;
		}
		c->st = C_READING;
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
		epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
		return;
	}
	if (c->st == C_READING) {
		for (;;) {
			ssize_t n = recv(c->fd, c->resp + c->got, sizeof(c->resp) - 1 - c->got, 0);
			if (n < 0 && errno == EAGAIN) {
				return;
			}
			if (n <= 0) {
				finish(th, ep, c, 0, false);
				return;
			}
			c->got += (size_t)n;
			bool keep = true;
			int code = parse_response(c, &keep);
			if (code < 0) {
				finish(th, ep, c, 0, false);
				return;
			}
			if (code > 0) {
				finish(th, ep, c, code, keep);
				return;
			}
		}
	}
}

/* ---- the loop ------------------------------------------------------------------ */

static void *
thr_main(void *arg)
{
	thr *th = arg;
	int ep = epoll_create1(EPOLL_CLOEXEC);
	conn *cs = td_xcalloc((size_t)th->nconn, sizeof(conn));
	int active = 0;
	for (int i = 0; i < th->nconn; i++) {
		cs[i].fd = -1;
		td_buf_init(&cs[i].req, 0);
		if (build(th, &cs[i])) {
			cs[i].st = C_PACED; /* started by the loop when due */
			active++;
		}
	}
	struct epoll_event evs[256];
	while (active > 0) {
		int n = epoll_wait(ep, evs, 256, th->o->rate > 0 ? 1 : 50);
		for (int i = 0; i < n; i++) {
			on_event(th, ep, evs[i].data.ptr, evs[i].events);
		}
		/* Timeouts, retry waits, next CDRs. */
		int64_t now = td_mono_ms();
		active = 0;
		for (int i = 0; i < th->nconn; i++) {
			conn *c = &cs[i];
			if ((c->st == C_WAITING || c->st == C_PACED) && now >= c->deadline_ms) {
				start_attempt(th, ep, c);
			} else if ((c->st == C_CONNECTING || c->st == C_SENDING ||
			               c->st == C_READING) && now >= c->deadline_ms) {
				finish(th, ep, c, 0, false);
			} else if (c->st == C_SENDING && c->fd < 0) {
				finish(th, ep, c, 0, false); /* connect failed at once */
			}
			if (c->st == C_IDLE && build(th, c)) {
				if (c->deadline_ms > now) {
					c->st = C_PACED;
				} else {
					start_attempt(th, ep, c);
				}
			}
			if (c->st != C_IDLE) {
				active++;
			}
		}
	}
	for (int i = 0; i < th->nconn; i++) {
		conn_close(ep, &cs[i]);
		td_buf_free(&cs[i].req);
	}
	free(cs);
	close(ep);
	td_buf_free(&th->body);
	return (NULL);
}

int
post_run(const tmpl *t, const post_opts *o, load_result *r)
{
	memset(r, 0, sizeof(*r));
	/* URL: http://host:port/path (IPv4 literal or resolvable name). */
	char host[256] = "", path[512] = "/";
	int port = 80;
	if (sscanf(o->url, "http://%255[^:/]:%d%511s", host, &port, path) < 1) {
		fprintf(stderr, "cdr-load: cannot parse URL %s\n", o->url);
		return (-1);
	}
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
		struct addrinfo hints = {.ai_family = AF_INET}, *res;
		if (getaddrinfo(host, NULL, &hints, &res) != 0) {
			fprintf(stderr, "cdr-load: cannot resolve %s\n", host);
			return (-1);
		}
		addr.sin_addr = ((struct sockaddr_in *)(void *)res->ai_addr)->sin_addr;
		freeaddrinfo(res);
	}
	_Atomic long next = 0;
	int nthr = o->threads > 0 ? o->threads : 1;
	if (nthr > o->concurrency) {
		nthr = o->concurrency;
	}
	thr *ths = td_xcalloc((size_t)nthr, sizeof(thr));
	int64_t t0 = td_mono_us();
	for (int i = 0; i < nthr; i++) {
		ths[i] = (thr){.t = t, .o = o, .addr = &addr, .host = host, .path = path,
		    .next = &next, .start_ms = t0 / 1000,
		    .nconn = o->concurrency / nthr + (i < o->concurrency % nthr)};
		pthread_create(&ths[i].id, NULL, thr_main, &ths[i]);
	}
	size_t nlat = 0;
	for (int i = 0; i < nthr; i++) {
		pthread_join(ths[i].id, NULL);
		nlat += ths[i].nack;
	}
	r->elapsed_s = (double)(td_mono_us() - t0) / 1e6;
	FILE *f = o->acked_path ? fopen(o->acked_path, "w") : NULL;
	double *all = td_xcalloc(nlat + 1, sizeof(double));
	size_t k = 0;
	for (int i = 0; i < nthr; i++) {
		thr *th = &ths[i];
		r->ok += th->nack;
		r->failed += th->failed;
		r->retries += th->retries;
		for (int s = 0; s < 6; s++) {
			r->status[s] += th->status[s];
		}
		for (size_t j = 0; j < th->nack; j++) {
			if (f != NULL) {
				fprintf(f, "%s\t%lld\n", th->ack[j].uuid, (long long)th->ack[j].post_us);
			}
			all[k++] = th->lat[j];
		}
		free(th->ack);
		free(th->lat);
	}
	if (f != NULL) {
		fclose(f);
	}
	percentiles(all, k, r);
	free(all);
	free(ths);
	return (0);
}
