/* SPDX-License-Identifier: MIT */
/* HTTP server on libmicrohttpd, thread per connection, whole-body handlers. */
#include "http/http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "util/clock.h"
#include "util/mem.h"

struct td_http_server {
	struct MHD_Daemon *mhd;
	td_http_handler fn;
	void *arg;
	size_t max_body;
	int port;
	bool event_loop; /* threads > 0: deferral allowed */
};

enum { ST_READING, ST_DEFERRED, ST_ANSWERED };

/*
 * Per-request state across MHD's access-handler calls; it is also the
 * td_http_pending of a deferred request.
 */
typedef struct td_http_pending {
	td_buf body;
	int64_t received_us;
	struct MHD_Connection *conn;
	bool can_defer;
	bool refused;      /* 413 queued on the headers; the body is discarded */
	_Atomic int state;
	td_http_resp resp; /* the deferred answer */
	td_http_req req;   /* kept for the deferred handler's use */
} reqstate;

int
td_http_parse_listen(const char *listen, void *ssv, size_t sslen, bool *ipv6)
{
	struct sockaddr_storage *ss = ssv;
	char host[128] = "";
	const char *portstr;
	if (sslen < sizeof(struct sockaddr_in6)) {
		return (TD_EINVAL);
	}
	memset(ss, 0, sslen);
	bool bracketed = listen[0] == '[';
	if (bracketed) {
		const char *e = strchr(listen, ']');
		if (e == NULL || e[1] != ':' || e == listen + 1 ||
		    (size_t)(e - listen - 1) >= sizeof(host)) {
			return (TD_EINVAL);
		}
		memcpy(host, listen + 1, (size_t)(e - listen - 1));
		portstr = e + 2;
	} else {
		const char *c = strrchr(listen, ':');
		if (c == NULL) {
			portstr = listen;
		} else {
			if ((size_t)(c - listen) >= sizeof(host)) {
				return (TD_EINVAL);
			}
			memcpy(host, listen, (size_t)(c - listen));
			portstr = c + 1;
		}
		if (strchr(host, ':') != NULL) {
			return (TD_EINVAL); /* IPv6 needs brackets: "[::1]:80" */
		}
	}
	/* The port is 1..5 digits, nothing else (strtol would take " +80"). */
	size_t nd = strspn(portstr, "0123456789");
	if (nd == 0 || nd > 5 || portstr[nd] != '\0') {
		return (TD_EINVAL);
	}
	long port = strtol(portstr, NULL, 10);
	if (port > 65535) {
		return (TD_EINVAL);
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	if (!bracketed && (host[0] == '\0' || strcmp(host, "*") == 0)) {
		s4->sin_family = AF_INET;
		s4->sin_addr.s_addr = htonl(INADDR_ANY);
		s4->sin_port = htons((uint16_t)port);
		*ipv6 = false;
	} else if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*ipv6 = false;
	} else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*ipv6 = true;
	} else {
		return (TD_EINVAL);
	}
	return (TD_OK);
}

static void
format_remote(struct MHD_Connection *c, char *out, size_t len)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	snprintf(out, len, "?");
	if (ci == NULL || ci->client_addr == NULL) {
		return;
	}
	char ip[INET6_ADDRSTRLEN] = "";
	if (ci->client_addr->sa_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)(const void *)ci->client_addr;
		inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
		snprintf(out, len, "%s:%u", ip, ntohs(a->sin_port));
	} else if (ci->client_addr->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a =
		    (const struct sockaddr_in6 *)(const void *)ci->client_addr;
		inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
		snprintf(out, len, "[%s]:%u", ip, ntohs(a->sin6_port));
	}
}

static enum MHD_Result
send_resp(struct MHD_Connection *c, td_http_resp *resp)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(resp->body.len,
	    resp->body.data ? resp->body.data : (char *)"", MHD_RESPMEM_MUST_COPY);
	if (r == NULL) {
		return (MHD_NO);
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
	for (int i = 0; i < resp->nheaders; i++) {
		char *colon = strchr(resp->headers[i], ':');
		if (colon != NULL) {
			*colon = '\0';
			MHD_add_response_header(r, resp->headers[i], colon + 2);
			*colon = ':';
		}
	}
	enum MHD_Result ret = MHD_queue_response(c, (unsigned)resp->status, r);
	MHD_destroy_response(r);
	return (ret);
}

static void
resp_init(td_http_resp *resp)
{
	memset(resp, 0, sizeof(*resp));
	resp->status = 200;
	snprintf(resp->content_type, sizeof(resp->content_type), "application/json");
}

static void
resp_free(td_http_resp *resp)
{
	td_buf_free(&resp->body);
	for (int i = 0; i < resp->nheaders; i++) {
		free(resp->headers[i]);
	}
	resp->nheaders = 0;
}

static enum MHD_Result
access_cb(void *cls, struct MHD_Connection *c, const char *url, const char *method,
    const char *version, const char *upload_data, size_t *upload_size, void **con_cls)
{
	td_http_server *s = cls;
	(void)version;
	reqstate *st = *con_cls;

	if (st == NULL) {
		st = TD_NEW(reqstate);
		/* Allow one byte over the cap so "exactly too big" is detectable. */
		td_buf_init(&st->body, s->max_body + 1);
		st->received_us = td_wall_us();
		st->conn = c;
		st->can_defer = s->event_loop;
		*con_cls = st;
		/*
		 * A declared length over the cap is refused now, before the body
		 * is read, and before "100 Continue" invites the client to send it.
		 */
		const char *cl =
		    MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl != NULL && strtoull(cl, NULL, 10) > s->max_body) {
			td_http_resp resp;
			resp_init(&resp);
			td_http_resp_error(&resp, 413, "too_large",
			    "request body larger than %zu bytes", s->max_body);
			st->refused = true;
			enum MHD_Result ret = send_resp(c, &resp);
			resp_free(&resp);
			return (ret);
		}
		return (MHD_YES);
	}
	if (st->refused) {
		*upload_size = 0; /* discard whatever still comes */
		return (MHD_YES);
	}
	int state = atomic_load(&st->state);
	if (state == ST_ANSWERED) {
		/* Resumed after td_http_pending_done: send what was prepared. */
		enum MHD_Result ret = send_resp(c, &st->resp);
		resp_free(&st->resp);
		return (ret);
	}
	if (state == ST_DEFERRED) {
		return (MHD_YES); /* spurious call while parked */
	}
	if (*upload_size > 0) {
		td_buf_append(&st->body, upload_data, *upload_size);
		*upload_size = 0; /* consumed (dropped if over the cap) */
		return (MHD_YES);
	}

	td_http_resp resp;
	resp_init(&resp);
	if (td_buf_failed(&st->body) || st->body.len > s->max_body) {
		td_http_resp_error(&resp, 413, "too_large", "request body larger than %zu bytes",
		    s->max_body);
	} else {
		st->req = (td_http_req){.method = method, .path = url,
		    .body = st->body.data ? st->body.data : "", .body_len = st->body.len,
		    .received_us = st->received_us, .conn = c};
		format_remote(c, st->req.remote, sizeof(st->req.remote));
		s->fn(s->arg, &st->req, &resp);
		if (atomic_load(&st->state) != ST_READING) {
			/* Deferred (and perhaps already answered: then resumed soon). */
			resp_free(&resp);
			return (MHD_YES);
		}
	}
	enum MHD_Result ret = send_resp(c, &resp);
	resp_free(&resp);
	return (ret);
}

td_http_pending *
td_http_defer(const td_http_req *req)
{
	/* req is the reqstate's own copy: find the state around it. */
	reqstate *st = (reqstate *)(void *)((char *)req - offsetof(reqstate, req));
	if (!st->can_defer || atomic_load(&st->state) != ST_READING) {
		return (NULL);
	}
	resp_init(&st->resp);
	/* Park first: the answer may come before the handler even returns. */
	MHD_suspend_connection(st->conn);
	atomic_store(&st->state, ST_DEFERRED);
	return (st);
}

td_http_resp *
td_http_pending_resp(td_http_pending *p)
{
	return (&p->resp);
}

void
td_http_pending_done(td_http_pending *p)
{
	atomic_store(&p->state, ST_ANSWERED);
	MHD_resume_connection(p->conn);
}

static void
completed_cb(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	(void)cls, (void)c, (void)toe;
	reqstate *st = *con_cls;
	if (st != NULL) {
		resp_free(&st->resp); /* a deferred answer the client never took */
		td_buf_free(&st->body);
		free(st);
		*con_cls = NULL;
	}
}

int
td_http_start(td_http_server **out, const td_http_opts *opts, td_http_handler fn, void *arg,
    char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	bool v6 = false;
	if (td_http_parse_listen(opts->listen, &ss, sizeof(ss), &v6) != 0) {
		snprintf(err, errlen, "bad listen address '%s' (want host:port)", opts->listen);
		return (TD_EINVAL);
	}
	td_http_server *s = TD_NEW(td_http_server);
	s->fn = fn;
	s->arg = arg;
	s->max_body = opts->max_body ? opts->max_body : 1024 * 1024;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	unsigned pool = opts->threads;
	s->event_loop = pool > 0;
	if (s->event_loop) {
		flags |= MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME;
	} else {
		flags |= MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL;
	}
	if (v6) {
		flags |= MHD_USE_IPv6;
	}
	struct MHD_OptionItem extra[] = {
	    {s->event_loop ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, (intptr_t)pool, NULL},
	    {MHD_OPTION_END, 0, NULL},
	};
	/*
	 * No MHD_OPTION_LISTENING_ADDRESS_REUSE: on Linux it sets SO_REUSEPORT,
	 * which let a second daemon bind the same port and take half of the
	 * connections.  MHD's default SO_REUSEADDR is enough for fast restarts.
	 */
	s->mhd = MHD_start_daemon(flags, 0, NULL, NULL, access_cb, s, MHD_OPTION_SOCK_ADDR, &ss,
	    MHD_OPTION_CONNECTION_LIMIT, opts->conn_limit ? opts->conn_limit : 1024u,
	    MHD_OPTION_CONNECTION_TIMEOUT, opts->timeout_s ? opts->timeout_s : 30u,
	    MHD_OPTION_NOTIFY_COMPLETED, completed_cb, s, MHD_OPTION_ARRAY, extra, MHD_OPTION_END);
	if (s->mhd == NULL) {
		snprintf(err, errlen, "cannot listen on %s (address in use or not permitted)",
		    opts->listen);
		free(s);
		return (TD_EIO);
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
	s->port = di ? di->port : 0;
	*out = s;
	return (TD_OK);
}

void
td_http_stop(td_http_server *s)
{
	if (s == NULL) {
		return;
	}
	MHD_stop_daemon(s->mhd);
	free(s);
}

int
td_http_port(const td_http_server *s)
{
	return (s->port);
}

const char *
td_http_arg(const td_http_req *r, const char *name)
{
	return (MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name));
}

const char *
td_http_header(const td_http_req *r, const char *name)
{
	return (MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name));
}

typedef struct foreach_ctx {
	int (*fn)(void *, const char *, const char *);
	void *arg;
	int rv;
} foreach_ctx;

static enum MHD_Result
foreach_cb(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	foreach_ctx *f = cls;
	(void)kind;
	f->rv = f->fn(f->arg, key, value ? value : "");
	return (f->rv == 0 ? MHD_YES : MHD_NO);
}

int
td_http_args_foreach(const td_http_req *r,
    int (*fn)(void *arg, const char *key, const char *value), void *arg)
{
	foreach_ctx f = {fn, arg, 0};
	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, foreach_cb, &f);
	return (f.rv);
}

bool
td_http_basic_auth(const td_http_req *r, char *user, size_t ulen, char *pass, size_t plen)
{
	char *p = NULL;
	char *u = MHD_basic_auth_get_username_password(r->conn, &p);
	bool ok = u != NULL && p != NULL;
	if (ok) {
		snprintf(user, ulen, "%s", u);
		snprintf(pass, plen, "%s", p);
	}
	MHD_free(u);
	MHD_free(p);
	return (ok);
}

void
td_http_resp_json(td_http_resp *resp, int status, json_t *json)
{
	resp->status = status;
	snprintf(resp->content_type, sizeof(resp->content_type), "application/json");
	td_buf_reset(&resp->body);
	char *s = json_dumps(json, JSON_COMPACT | JSON_ENCODE_ANY);
	td_buf_puts(&resp->body, s ? s : "null");
	td_buf_putc(&resp->body, '\n');
	free(s);
	json_decref(json);
}

void
td_http_resp_text(td_http_resp *resp, int status, const char *ctype, const char *text)
{
	resp->status = status;
	snprintf(resp->content_type, sizeof(resp->content_type), "%s", ctype);
	td_buf_reset(&resp->body);
	td_buf_puts(&resp->body, text);
}

void
td_http_resp_error(td_http_resp *resp, int status, const char *code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	td_http_resp_json(resp, status,
	    json_pack("{s:{s:i, s:s, s:s}}", "error", "status", status, "code", code, "message",
	        msg));
}

void
td_http_resp_header(td_http_resp *resp, const char *name, const char *value)
{
	if (resp->nheaders >= (int)TD_ARRAY_LEN(resp->headers)) {
		return;
	}
	size_t n = strlen(name) + strlen(value) + 3;
	char *h = td_xmalloc(n);
	snprintf(h, n, "%s: %s", name, value);
	resp->headers[resp->nheaders++] = h;
}
