/* SPDX-License-Identifier: MIT */
/*
 * Request/reply over nng (req0/rep0) with bytes in and bytes out.  This is
 * the transport under the control protocol (ctl/) and under reliable
 * hand-over of events (bus.h).  Endpoints are nng URLs: ipc:///path,
 * tcp://host:port, inproc://name.
 *
 * Server: nworkers nng contexts, each a small state machine
 * (receive -> handle -> send), so slow handlers do not serialise the rest.
 * Handlers run on nng's worker threads and must be thread-safe.
 *
 * Client: dials in the background and keeps reconnecting on its own
 * (nng's dialer, 100 ms .. 2 s backoff); each call uses its own context,
 * so one client may be shared between threads.
 */
#ifndef TD_BUS_RPC_H
#define TD_BUS_RPC_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

typedef struct td_rpc_server td_rpc_server;
typedef struct td_rpc_client td_rpc_client;

/*
 * td_rpc_fn handles one request.  It appends the reply to *reply (which is
 * empty on entry).  There is no error path: a handler that cannot answer
 * encodes the error in its reply format.
 */
typedef void (*td_rpc_fn)(void *arg, const uint8_t *req, size_t len, td_buf *reply);

/* td_rpc_server_start listens on url.  0, or a negative td_err with why in err. */
int td_rpc_server_start(td_rpc_server **out, const char *url, int nworkers, td_rpc_fn fn,
    void *arg, char *err, size_t errlen) TD_MUSTCHECK;
/* td_rpc_server_stop closes the socket and waits for running handlers. */
void td_rpc_server_stop(td_rpc_server *s);

/*
 * td_rpc_client_open dials url.  With wait=false the dial happens in the
 * background (long-lived peers); with wait=true the first dial is
 * synchronous and its failure is returned (one-shot CLI calls).
 */
int td_rpc_client_open(td_rpc_client **out, const char *url, bool wait, char *err,
    size_t errlen) TD_MUSTCHECK;
/*
 * td_rpc_call sends req and waits up to timeout_ms in all (or forever if
 * negative) for the reply, which is appended to *reply.  Requests are not
 * re-sent by nng (no duplicates); callers decide whether to retry.
 * TD_ETIMEDOUT if no answer in time; TD_ETOOBIG if the reply did not fit
 * reply's limit.  Thread-safe.
 */
int td_rpc_call(td_rpc_client *c, const uint8_t *req, size_t len, td_buf *reply,
    int timeout_ms) TD_MUSTCHECK;
void td_rpc_client_close(td_rpc_client *c);

/* td_nng_err maps an nng error to a td_err. */
int td_nng_err(int nng_rv);

#endif
