/* SPDX-License-Identifier: MIT */
/*
 * Redis connection helper on hiredis: connect on demand, reconnect with
 * backoff, bounded waits (connect and command timeouts), and error
 * classification.  A td_kv is one connection, owned by one thread at a time.
 *
 * URL forms: redis://[[user]:password@]host[:port][/db] (db 0..15; an IPv6
 * host in brackets; the password may contain '@'; userinfo without ':' is
 * taken as the password, the legacy form), unix:///path/to.sock[?db=N].
 * The user name is not used (AUTH sends the password only).
 */
#ifndef TD_KV_KV_H
#define TD_KV_KV_H

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

typedef struct td_kv_opts {
	const char *url;
	int connect_timeout_ms; /* 0 = 2000 */
	int cmd_timeout_ms;     /* 0 = 5000; for blocking commands pass more per call */
	int64_t backoff_min_ms; /* 0 = 100 */
	int64_t backoff_max_ms; /* 0 = 5000 */
} td_kv_opts;

typedef struct td_kv_url {
	char host[256];
	int port;
	char unix_path[256]; /* non-empty: connect over a Unix socket */
	int db;
	char password[256];
} td_kv_url;

typedef struct td_kv td_kv;

/* td_kv_parse_url validates a Redis URL (used by config checks too). */
int td_kv_parse_url(const char *url, td_kv_url *out) TD_MUSTCHECK;

td_kv *td_kv_new(const td_kv_opts *opts);
void td_kv_free(td_kv *k);

/* td_kv_ensure: 0 when connected; TD_EAGAIN in backoff; TD_ECONN on failure. */
int td_kv_ensure(td_kv *k) TD_MUSTCHECK;
bool td_kv_connected(const td_kv *k);
void td_kv_reset(td_kv *k);
redisContext *td_kv_ctx(td_kv *k);

/*
 * td_kv_cmdargv runs one command.  On success returns the reply (caller
 * freeReplyObject()s it), which may be an error reply (REDIS_REPLY_ERROR):
 * check with td_kv_reply_err.  On I/O failure returns NULL, resets the
 * connection and sets *rv to TD_ECONN (or TD_ETIMEDOUT).
 */
redisReply *td_kv_cmdargv(td_kv *k, int argc, const char **argv, const size_t *lens, int *rv);
/* td_kv_cmd is the printf-style form (hiredis's %s/%b formats). */
redisReply *td_kv_cmd(td_kv *k, int *rv, const char *fmt, ...);

/*
 * td_kv_reply_err classifies an error reply: 0 if r is not an error;
 * TD_EAGAIN for LOADING/BUSY/TRYAGAIN; TD_ECONN for READONLY (we talk to a
 * replica: the connection is reset so the next attempt finds the master);
 * TD_EIO otherwise.  Copies the message into err.
 */
int td_kv_reply_err(td_kv *k, const redisReply *r, char *err, size_t errlen);

/* td_kv_last_error: hiredis's message for the last failed command ("" if none). */
const char *td_kv_last_error(const td_kv *k);

/* td_kv_set_timeout changes the command timeout (e.g. around BLMOVE). */
void td_kv_set_timeout(td_kv *k, int ms);

typedef struct td_kv_stats {
	uint64_t connects, connect_failures, disconnects;
} td_kv_stats;
void td_kv_stats_get(const td_kv *k, td_kv_stats *st);

#endif
