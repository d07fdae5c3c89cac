/* SPDX-License-Identifier: MIT */
/*
 * A small HTTP/1.1 server on libmicrohttpd: whole-body requests in, one
 * response out.  The server reads the whole body (up to max_body; larger
 * gets 413 without calling the handler), then calls the handler once.  It
 * answers "Expect: 100-continue" itself.
 *
 * A declared Content-Length over max_body is refused on the headers, so
 * no "100 Continue" invites the body.
 *
 * Two threading modes (td_http_opts.threads):
 *  - 0: a thread per connection.  A handler may block (waiting for
 *    PostgreSQL, say) without stalling other clients.  Simple; costs a
 *    thread per open connection.
 *  - N > 0: N event-loop threads (epoll) serve every connection.  Handlers
 *    must not block; one that must wait for something calls
 *    td_http_defer(), returns, and answers later from any thread with
 *    td_http_pending_resp() + td_http_pending_done().  No thread per
 *    connection, no thread wakeup per request beyond the event loop's.
 */
#ifndef TD_HTTP_HTTP_H
#define TD_HTTP_HTTP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

typedef struct td_http_req {
	const char *method;   /* "GET", "POST", ... */
	const char *path;     /* URL path without the query string */
	const char *body;     /* NUL-terminated copy, "" if none */
	size_t body_len;
	char remote[64];      /* peer address, "ip:port" */
	int64_t received_us;  /* when the request line arrived (wall clock) */
	void *conn;           /* the MHD connection (for td_http_* lookups) */
} td_http_req;

typedef struct td_http_resp {
	int status;               /* default 200 */
	char content_type[96];    /* default "application/json" */
	td_buf body;
	char *headers[16];        /* "Name: value", owned */
	int nheaders;
} td_http_resp;

typedef void (*td_http_handler)(void *arg, const td_http_req *req, td_http_resp *resp);

typedef struct td_http_opts {
	const char *listen;   /* "127.0.0.1:8080", "[::1]:8080", ":8080" */
	size_t max_body;      /* bytes; 0 = 1 MiB */
	unsigned conn_limit;  /* 0 = 1024 */
	unsigned timeout_s;   /* idle connection timeout; 0 = 30 */
	unsigned threads;     /* 0 = thread per connection; N = N event-loop threads */
} td_http_opts;

typedef struct td_http_server td_http_server;

int td_http_start(td_http_server **out, const td_http_opts *opts, td_http_handler fn, void *arg,
    char *err, size_t errlen) TD_MUSTCHECK;
void td_http_stop(td_http_server *s);
/* td_http_port returns the bound port (useful with ":0" in tests). */
int td_http_port(const td_http_server *s);

/*
 * td_http_parse_listen: "1.2.3.4:80", "[::1]:80", ":80", "*:80" or "80"
 * (numeric addresses only; IPv6 in brackets; port 0..65535 in digits) ->
 * sockaddr storage of at least sizeof(struct sockaddr_in6).
 */
int td_http_parse_listen(const char *listen, void *ss, size_t sslen, bool *ipv6) TD_MUSTCHECK;

/* Lookups on the request; the strings live as long as the request. */
const char *td_http_arg(const td_http_req *r, const char *name);
const char *td_http_header(const td_http_req *r, const char *name);
/*
 * td_http_args_foreach calls fn for each query argument; stops and returns
 * the first non-zero value fn returns.
 */
int td_http_args_foreach(const td_http_req *r,
    int (*fn)(void *arg, const char *key, const char *value), void *arg);
/* td_http_basic_auth: true if Basic credentials are present; copies them. */
bool td_http_basic_auth(const td_http_req *r, char *user, size_t ulen, char *pass, size_t plen);

/*
 * Deferred responses (event-loop mode only).  td_http_defer, called inside
 * the handler, parks the connection; the handler's resp is then ignored.
 * Later, exactly once and from any thread, fill td_http_pending_resp() and
 * call td_http_pending_done().  The request (and its body) stay valid until
 * then.  Returns NULL in thread-per-connection mode (answer directly).
 */
typedef struct td_http_pending td_http_pending;
td_http_pending *td_http_defer(const td_http_req *req);
td_http_resp *td_http_pending_resp(td_http_pending *p);
void td_http_pending_done(td_http_pending *p);

/* Response helpers.  json is stolen (decref'd). */
void td_http_resp_json(td_http_resp *resp, int status, json_t *json);
void td_http_resp_text(td_http_resp *resp, int status, const char *ctype, const char *text);
/* {"error": {"status": 400, "code": "bad_request", "message": "..."}} */
void td_http_resp_error(td_http_resp *resp, int status, const char *code, const char *fmt, ...)
    TD_PRINTF(4, 5);
void td_http_resp_header(td_http_resp *resp, const char *name, const char *value);

#endif
