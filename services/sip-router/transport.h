/* SPDX-License-Identifier: MIT */
/*
 * Transports: UDP and TCP sockets, IPv4 and IPv6.
 *
 * Every worker has its own UDP socket per UDP listen address and its own
 * TCP listener per TCP listen address, all bound with SO_REUSEPORT: the
 * kernel spreads sources over the workers, and no lock is shared on receive.
 * TCP connections (accepted or opened by us) belong to the worker whose
 * epoll loop reads them; any thread may send on them (a per-connection
 * write lock and output queue).  Connections are found by id (to answer on
 * the connection a request came in on) or by the peer's address (to reach a
 * phone registered over TCP).
 */
#ifndef SIP_ROUTER_TRANSPORT_H
#define SIP_ROUTER_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

struct worker;
struct sr;

#define TP_MAX_LISTEN 8

typedef struct tp_listen {
	sr_addr addr;  /* proto + local address */
} tp_listen;

/* tp_parse_listen: "udp:0.0.0.0:5060,tcp:[::]:5060" -> list.  Error names the item. */
int tp_parse_listen(const char *spec, tp_listen *out, int max, int *n, char *err, size_t errlen)
    TD_MUSTCHECK;

typedef struct tp tp; /* the connection table and send path */

tp *tp_new(struct sr *r);
void tp_free(tp *t);

/*
 * tp_send sends one whole message.  UDP: a datagram from one of the
 * listening sockets (so replies come back to our port): the one dst->sock
 * names (the one its request came in on), else the one bound to the
 * advertised address, else the first of dst's family.  TCP: on connection
 * conn_id if given and still open, else on a connection to dst (opening
 * one if needed; the bytes are queued until it connects).  Any thread.
 * 0, or TD_ECONN (no way to send) / TD_EIO.
 */
int tp_send(tp *t, struct worker *w, const sr_addr *dst, uint32_t conn_id, const char *data,
    size_t len) TD_MUSTCHECK;

/* Called by worker.c for its sockets. */
int tp_open_worker_sockets(tp *t, struct worker *w, const tp_listen *ls, int n, char *err,
    size_t errlen) TD_MUSTCHECK;
void tp_on_udp(tp *t, struct worker *w, int nth); /* the worker's nth UDP socket is readable */
void tp_on_accept(tp *t, struct worker *w, int lfd, const sr_addr *local);
void tp_on_conn(tp *t, struct worker *w, void *conn, uint32_t events);
/* tp_idle_sweep closes this worker's connections idle longer than idle_ms. */
void tp_idle_sweep(tp *t, struct worker *w, int64_t idle_ms);
/* tp_close_all: shutdown. */
void tp_close_all(tp *t);

typedef struct tp_stats {
	uint64_t udp_in, udp_out, tcp_in, tcp_out, tcp_accepted, tcp_opened, tcp_closed,
	    send_errors, framing_errors, oversize;
	int64_t tcp_open;
} tp_stats;
void tp_stats_get(tp *t, tp_stats *st);

#endif
