/* SPDX-License-Identifier: MIT */
/* Redis connection with bounded waits and reconnect backoff. */
#include "kv/kv.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "log/log.h"
#include "util/backoff.h"
#include "util/mem.h"

struct td_kv {
	td_kv_url u;
	char *url;
	int connect_timeout_ms, cmd_timeout_ms;
	redisContext *c;
	td_backoff bo;
	bool down_logged;
	char last_error[128];
	td_kv_stats st;
};

int
td_kv_parse_url(const char *url, td_kv_url *out)
{
	memset(out, 0, sizeof(*out));
	out->port = 6379;
	if (strncmp(url, "unix://", 7) == 0) {
		const char *path = url + 7;
		size_t n = strcspn(path, "?");
		if (n == 0 || n >= sizeof(out->unix_path) || path[0] != '/') {
			return (TD_EINVAL);
		}
		memcpy(out->unix_path, path, n);
		if (path[n] == '?') {
			if (strncmp(path + n + 1, "db=", 3) != 0 ||
			    !isdigit((unsigned char)path[n + 4])) {
				return (TD_EINVAL);
			}
			char *end;
			long db = strtol(path + n + 4, &end, 10);
			if (*end != '\0' || db < 0 || db > 15) {
				return (TD_EINVAL);
			}
			out->db = (int)db;
		}
		return (TD_OK);
	}
	if (strncmp(url, "redis://", 8) != 0) {
		return (TD_EINVAL);
	}
	const char *p = url + 8;
	/* The last '@': a password may contain '@' (the path is only "/db"). */
	const char *at = strrchr(p, '@');
	if (at != NULL) {
		const char *colon = memchr(p, ':', (size_t)(at - p));
		const char *pw = colon ? colon + 1 : p;
		size_t n = (size_t)(at - pw);
		if (n >= sizeof(out->password)) {
			return (TD_EINVAL);
		}
		memcpy(out->password, pw, n);
		p = at + 1;
	}
	size_t hl;
	if (*p == '[') {
		const char *e = strchr(p, ']');
		if (e == NULL) {
			return (TD_EINVAL);
		}
		hl = (size_t)(e - p - 1);
		if (hl == 0 || hl >= sizeof(out->host)) {
			return (TD_EINVAL);
		}
		memcpy(out->host, p + 1, hl);
		p = e + 1;
	} else {
		hl = strcspn(p, ":/");
		if (hl == 0 || hl >= sizeof(out->host)) {
			return (TD_EINVAL);
		}
		memcpy(out->host, p, hl);
		p += hl;
	}
	if (*p == ':') {
		char *end;
		if (!isdigit((unsigned char)p[1])) {
			return (TD_EINVAL); /* strtol would take " 6379" and "+6379" */
		}
		long port = strtol(p + 1, &end, 10);
		if (end == p + 1 || port <= 0 || port > 65535) {
			return (TD_EINVAL);
		}
		out->port = (int)port;
		p = end;
	}
	if (*p == '/') {
		if (p[1] != '\0') {
			char *end;
			if (!isdigit((unsigned char)p[1])) {
				return (TD_EINVAL);
			}
			long db = strtol(p + 1, &end, 10);
			if (*end != '\0' || end == p + 1 || db < 0 || db > 15) {
				return (TD_EINVAL);
			}
			out->db = (int)db;
		}
	} else if (*p != '\0') {
		return (TD_EINVAL);
	}
	return (TD_OK);
}

td_kv *
td_kv_new(const td_kv_opts *o)
{
	td_kv *k = TD_NEW(td_kv);
	k->url = td_xstrdup(o->url ? o->url : "");
	if (td_kv_parse_url(k->url, &k->u) != 0) {
		/* Config validation should have caught this; fail every connect. */
		k->u.port = -1;
	}
	k->connect_timeout_ms = o->connect_timeout_ms > 0 ? o->connect_timeout_ms : 2000;
	k->cmd_timeout_ms = o->cmd_timeout_ms > 0 ? o->cmd_timeout_ms : 5000;
	td_backoff_init(&k->bo, o->backoff_min_ms > 0 ? o->backoff_min_ms : 100,
	    o->backoff_max_ms > 0 ? o->backoff_max_ms : 5000);
	return (k);
}

void
td_kv_free(td_kv *k)
{
	if (k == NULL) {
		return;
	}
	if (k->c != NULL) {
		redisFree(k->c);
	}
	free(k->url);
	free(k);
}

static struct timeval
tv_ms(int ms)
{
	struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
	return (tv);
}

/* handshake sends AUTH and SELECT when the URL asks for them. */
static int
handshake(td_kv *k, char *why, size_t wlen)
{
	redisReply *r;
	if (k->u.password[0]) {
		r = redisCommand(k->c, "AUTH %s", k->u.password);
		if (r == NULL || r->type == REDIS_REPLY_ERROR) {
			snprintf(why, wlen, "AUTH failed: %s", r ? r->str : k->c->errstr);
			if (r) {
				freeReplyObject(r);
			}
			return (TD_ECONN);
		}
		freeReplyObject(r);
	}
	if (k->u.db != 0) {
		r = redisCommand(k->c, "SELECT %d", k->u.db);
		if (r == NULL || r->type == REDIS_REPLY_ERROR) {
			snprintf(why, wlen, "SELECT failed: %s", r ? r->str : k->c->errstr);
			if (r) {
				freeReplyObject(r);
			}
			return (TD_ECONN);
		}
		freeReplyObject(r);
	}
	return (TD_OK);
}

int
td_kv_ensure(td_kv *k)
{
	if (k->c != NULL && k->c->err == 0) {
		return (TD_OK);
	}
	if (k->c != NULL) {
		td_kv_reset(k);
	}
	if (!td_backoff_ready(&k->bo)) {
		return (TD_EAGAIN);
	}
	char why[512] = "";
	if (k->u.port < 0) {
		snprintf(why, sizeof(why), "invalid Redis URL");
	} else {
		k->c = k->u.unix_path[0]
		           ? redisConnectUnixWithTimeout(k->u.unix_path, tv_ms(k->connect_timeout_ms))
		           : redisConnectWithTimeout(k->u.host, k->u.port, tv_ms(k->connect_timeout_ms));
		if (k->c == NULL) {
			snprintf(why, sizeof(why), "out of memory");
		} else if (k->c->err) {
			snprintf(why, sizeof(why), "%s", k->c->errstr);
		} else if (redisSetTimeout(k->c, tv_ms(k->cmd_timeout_ms)) != REDIS_OK) {
			snprintf(why, sizeof(why), "cannot set timeout");
		} else {
			(void)redisEnableKeepAlive(k->c);
			(void)handshake(k, why, sizeof(why));
		}
	}
	if (why[0]) {
		if (k->c != NULL) {
			redisFree(k->c);
			k->c = NULL;
		}
		int64_t delay = td_backoff_fail(&k->bo);
		k->st.connect_failures++;
		if (!k->down_logged) {
			LOG_WARN("KV-CONNECT-FAIL", "cannot connect to Redis: %s (retrying, next in %lld ms)",
			    why, (long long)delay);
			k->down_logged = true;
		}
		return (TD_ECONN);
	}
	if (k->down_logged || k->st.connects > 0) {
		LOG_INFO("KV-CONNECTED", "connected to Redis after %u failed attempts", k->bo.failures);
	}
	k->down_logged = false;
	td_backoff_ok(&k->bo);
	k->st.connects++;
	return (TD_OK);
}

bool
td_kv_connected(const td_kv *k)
{
	return (k->c != NULL && k->c->err == 0);
}

void
td_kv_reset(td_kv *k)
{
	if (k->c != NULL) {
		redisFree(k->c);
		k->c = NULL;
		k->st.disconnects++;
	}
}

redisContext *
td_kv_ctx(td_kv *k)
{
	return (k->c);
}

static redisReply *
finish(td_kv *k, void *reply, int *rv)
{
	if (reply == NULL) {
		bool timeout = k->c != NULL && k->c->err == REDIS_ERR_IO &&
		               (errno == EAGAIN || errno == EWOULDBLOCK);
		snprintf(k->last_error, sizeof(k->last_error), "%s",
		    k->c != NULL && k->c->errstr[0] ? k->c->errstr : "no connection");
		td_kv_reset(k);
		*rv = timeout ? TD_ETIMEDOUT : TD_ECONN;
		return (NULL);
	}
	*rv = TD_OK;
	return (reply);
}

redisReply *
td_kv_cmdargv(td_kv *k, int argc, const char **argv, const size_t *lens, int *rv)
{
	if (k->c == NULL) {
		*rv = TD_ECONN;
		return (NULL);
	}
	return (finish(k, redisCommandArgv(k->c, argc, argv, lens), rv));
}

redisReply *
td_kv_cmd(td_kv *k, int *rv, const char *fmt, ...)
{
	if (k->c == NULL) {
		*rv = TD_ECONN;
		return (NULL);
	}
	va_list ap;
	va_start(ap, fmt);
	void *r = redisvCommand(k->c, fmt, ap);
	va_end(ap);
	return (finish(k, r, rv));
}

int
td_kv_reply_err(td_kv *k, const redisReply *r, char *err, size_t errlen)
{
	if (r->type != REDIS_REPLY_ERROR) {
		return (TD_OK);
	}
	snprintf(err, errlen, "%s", r->str ? r->str : "error");
	if (r->str == NULL) {
		return (TD_EIO);
	}
	if (strncmp(r->str, "LOADING", 7) == 0 || strncmp(r->str, "BUSY", 4) == 0 ||
	    strncmp(r->str, "TRYAGAIN", 8) == 0 || strncmp(r->str, "MASTERDOWN", 10) == 0) {
		return (TD_EAGAIN);
	}
	if (strncmp(r->str, "READONLY", 8) == 0) {
		td_kv_reset(k);
		return (TD_ECONN);
	}
	return (TD_EIO);
}

const char *
td_kv_last_error(const td_kv *k)
{
	return (k->last_error);
}

void
td_kv_set_timeout(td_kv *k, int ms)
{
	if (k->c != NULL) {
		(void)redisSetTimeout(k->c, tv_ms(ms));
	}
}

void
td_kv_stats_get(const td_kv *k, td_kv_stats *st)
{
	*st = k->st;
}
