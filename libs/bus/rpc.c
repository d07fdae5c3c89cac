/* SPDX-License-Identifier: MIT */
/* Request/reply over nng with per-context worker state machines. */
#include "bus/rpc.h"

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/clock.h"
#include "util/mem.h"

int
td_nng_err(int rv)
{
	switch (rv) {
	case 0: return (TD_OK);
	case NNG_ENOMEM: return (TD_ENOMEM);
	case NNG_EINVAL:
	case NNG_ENOTSUP: /* e.g. an unknown URL scheme */
	case NNG_EADDRINVAL: return (TD_EINVAL);
	case NNG_ETIMEDOUT: return (TD_ETIMEDOUT);
	case NNG_ECLOSED: return (TD_ECLOSED);
	case NNG_ECONNREFUSED:
	case NNG_ECONNSHUT:
	case NNG_ECONNRESET:
	case NNG_ENOENT: return (TD_ECONN);
	case NNG_EADDRINUSE: return (TD_EEXIST);
	case NNG_EPROTO: return (TD_EPROTO);
	case NNG_EMSGSIZE: return (TD_ETOOBIG);
	default: return (TD_EIO);
	}
}

/* ---- server -------------------------------------------------------------- */

typedef enum wstate { W_RECV, W_SEND } wstate;

typedef struct worker {
	td_rpc_server *srv;
	nng_aio *aio;
	nng_ctx ctx;
	wstate state;
} worker;

struct td_rpc_server {
	nng_socket sock;
	worker *w;
	int nw;
	td_rpc_fn fn;
	void *arg;
};

static void
worker_cb(void *arg)
{
	worker *w = arg;
	td_rpc_server *s = w->srv;
	int rv = nng_aio_result(w->aio);

	switch (w->state) {
	case W_RECV:
		if (rv != 0) {
			if (rv == NNG_ECLOSED || rv == NNG_ECANCELED) {
				return;
			}
			nng_ctx_recv(w->ctx, w->aio); /* transient: keep serving */
			return;
		}
		{
			nng_msg *m = nng_aio_get_msg(w->aio);
			td_buf reply = TD_BUF_INIT;
			s->fn(s->arg, nng_msg_body(m), nng_msg_len(m), &reply);
			nng_msg_clear(m);
			if (reply.len > 0 && nng_msg_append(m, reply.data, reply.len) != 0) {
				nng_msg_clear(m);
			}
			td_buf_free(&reply);
			nng_aio_set_msg(w->aio, m);
			w->state = W_SEND;
			nng_ctx_send(w->ctx, w->aio);
		}
		return;
	case W_SEND:
		if (rv != 0) {
			nng_msg_free(nng_aio_get_msg(w->aio));
			if (rv == NNG_ECLOSED || rv == NNG_ECANCELED) {
				return;
			}
		}
		w->state = W_RECV;
		nng_ctx_recv(w->ctx, w->aio);
		return;
	}
}

int
td_rpc_server_start(td_rpc_server **out, const char *url, int nworkers, td_rpc_fn fn,
    void *arg, char *err, size_t errlen)
{
	td_rpc_server *s = TD_NEW(td_rpc_server);
	int rv;
	s->fn = fn;
	s->arg = arg;
	s->nw = nworkers > 0 ? nworkers : 1;
	if ((rv = nng_rep0_open(&s->sock)) != 0) {
		snprintf(err, errlen, "rep socket: %s", nng_strerror(rv));
		free(s);
		return (td_nng_err(rv));
	}
	/* Requests and replies are small; cap what a peer can make us buffer. */
	(void)nng_socket_set_size(s->sock, NNG_OPT_RECVMAXSZ, 16 * 1024 * 1024);
	if ((rv = nng_listen(s->sock, url, NULL, 0)) != 0) {
		snprintf(err, errlen, "listen %s: %s", url, nng_strerror(rv));
		nng_close(s->sock);
		free(s);
		return (td_nng_err(rv));
	}
	s->w = td_xcalloc((size_t)s->nw, sizeof(worker));
	for (int i = 0; i < s->nw; i++) {
		worker *w = &s->w[i];
		w->srv = s;
		if ((rv = nng_aio_alloc(&w->aio, worker_cb, w)) != 0 ||
		    (rv = nng_ctx_open(&w->ctx, s->sock)) != 0) {
			snprintf(err, errlen, "rpc worker: %s", nng_strerror(rv));
			s->nw = i + (w->aio != NULL ? 1 : 0);
			td_rpc_server_stop(s);
			return (td_nng_err(rv));
		}
		w->state = W_RECV;
		nng_ctx_recv(w->ctx, w->aio);
	}
	*out = s;
	return (TD_OK);
}

void
td_rpc_server_stop(td_rpc_server *s)
{
	if (s == NULL) {
		return;
	}
	/*
	 * Close first: a request that arrives after the workers stopped but
	 * before the socket closed was left on the rep pipe and leaked.  Then
	 * wait for callbacks still running (they see NNG_ECLOSED and return).
	 */
	nng_close(s->sock);
	for (int i = 0; i < s->nw; i++) {
		if (s->w[i].aio != NULL) {
			nng_aio_stop(s->w[i].aio);
		}
	}
	for (int i = 0; i < s->nw; i++) {
		if (s->w[i].aio != NULL) {
			nng_aio_free(s->w[i].aio);
		}
	}
	free(s->w);
	free(s);
}

/* ---- client -------------------------------------------------------------- */

struct td_rpc_client {
	nng_socket sock;
};

int
td_rpc_client_open(td_rpc_client **out, const char *url, bool wait, char *err, size_t errlen)
{
	td_rpc_client *c = TD_NEW(td_rpc_client);
	int rv;
	if ((rv = nng_req0_open(&c->sock)) != 0) {
		snprintf(err, errlen, "req socket: %s", nng_strerror(rv));
		free(c);
		return (td_nng_err(rv));
	}
	/* We decide about retries ourselves; nng must not re-send behind our back. */
	(void)nng_socket_set_ms(c->sock, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE);
	(void)nng_socket_set_ms(c->sock, NNG_OPT_RECONNMINT, 100);
	(void)nng_socket_set_ms(c->sock, NNG_OPT_RECONNMAXT, 2000);
	(void)nng_socket_set_size(c->sock, NNG_OPT_RECVMAXSZ, 64 * 1024 * 1024);
	if ((rv = nng_dial(c->sock, url, NULL, wait ? 0 : NNG_FLAG_NONBLOCK)) != 0) {
		snprintf(err, errlen, "dial %s: %s", url, nng_strerror(rv));
		nng_close(c->sock);
		free(c);
		return (td_nng_err(rv));
	}
	*out = c;
	return (TD_OK);
}

int
td_rpc_call(td_rpc_client *c, const uint8_t *req, size_t len, td_buf *reply, int timeout_ms)
{
	nng_ctx ctx;
	nng_aio *aio = NULL;
	nng_msg *m = NULL;
	int rv;

	if ((rv = nng_ctx_open(&ctx, c->sock)) != 0) {
		return (td_nng_err(rv));
	}
	if ((rv = nng_aio_alloc(&aio, NULL, NULL)) != 0) {
		goto out;
	}
	/* timeout_ms bounds the whole call, not the send and the receive each. */
	int64_t deadline = td_mono_ms() + timeout_ms;
	nng_aio_set_timeout(aio, timeout_ms);
	if ((rv = nng_msg_alloc(&m, 0)) != 0 || (rv = nng_msg_append(m, req, len)) != 0) {
		goto out;
	}
	nng_aio_set_msg(aio, m);
	nng_ctx_send(ctx, aio);
	nng_aio_wait(aio);
	if ((rv = nng_aio_result(aio)) != 0) {
		goto out; /* on failure the message is still ours */
	}
	m = NULL;
	if (timeout_ms >= 0) {
		int64_t left = deadline - td_mono_ms();
		nng_aio_set_timeout(aio, left > 0 ? (nng_duration)left : NNG_DURATION_ZERO);
	}
	nng_ctx_recv(ctx, aio);
	nng_aio_wait(aio);
	if ((rv = nng_aio_result(aio)) != 0) {
		goto out;
	}
	m = nng_aio_get_msg(aio);
	td_buf_append(reply, nng_msg_body(m), nng_msg_len(m));
	if (td_buf_failed(reply)) {
		rv = NNG_EMSGSIZE; /* the reply did not fit the caller's buffer */
	}
out:
	if (m != NULL) {
		nng_msg_free(m);
	}
	if (aio != NULL) {
		nng_aio_free(aio);
	}
	nng_ctx_close(ctx);
	return (td_nng_err(rv));
}

void
td_rpc_client_close(td_rpc_client *c)
{
	if (c == NULL) {
		return;
	}
	nng_close(c->sock);
	free(c);
}
