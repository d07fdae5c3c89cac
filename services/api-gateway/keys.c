/* SPDX-License-Identifier: MIT */
/* API key verification and management (see keys.h). */
#include "keys.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log/log.h"
#include "metrics/metrics.h"
#include "util/clock.h"
#include "util/mem.h"

#define CACHE_SIZE 1024

typedef struct centry {
	char id[TD_APIKEY_ID_LEN + 1]; /* "" = free slot */
	bool exists;                   /* false: cached "no such key" */
	uint8_t hash[TD_APIKEY_HASH_LEN];
	td_perms perms;
	int64_t expires_us;   /* 0 = never */
	bool revoked;
	int64_t fetched_ms;   /* monotonic */
	bool used;            /* last_used_at needs writing */
} centry;

struct keystore {
	td_pg_pool *pool;
	char *pepper;
	int64_t cache_ms;
	pthread_mutex_t lock;
	centry cache[CACHE_SIZE];
	td_counter *auth_ok, *auth_401, *auth_403, *cache_hit, *cache_miss;
};

keystore *
keys_new(td_pg_pool *pool, const char *pepper, int64_t cache_ms)
{
	keystore *ks = TD_NEW(keystore);
	ks->pool = pool;
	ks->pepper = td_xstrdup(pepper);
	ks->cache_ms = cache_ms;
	pthread_mutex_init(&ks->lock, NULL);
	const char *h = "API key checks by result";
	ks->auth_ok = td_metrics_counter("tandem_api_auth_total", h, "result=\"ok\"");
	ks->auth_401 = td_metrics_counter("tandem_api_auth_total", h, "result=\"unauthenticated\"");
	ks->auth_403 = td_metrics_counter("tandem_api_auth_total", h, "result=\"forbidden\"");
	ks->cache_hit = td_metrics_counter("tandem_api_key_cache_total", "API key cache lookups",
	    "result=\"hit\"");
	ks->cache_miss = td_metrics_counter("tandem_api_key_cache_total", "API key cache lookups",
	    "result=\"miss\"");
	return (ks);
}

void
keys_free(keystore *ks)
{
	if (ks == NULL) {
		return;
	}
	sodium_memzero(ks->pepper, strlen(ks->pepper));
	free(ks->pepper);
	pthread_mutex_destroy(&ks->lock);
	free(ks);
}

/* slot_for finds id's cache slot, or the oldest slot to reuse; holds lock. */
static centry *
slot_for(keystore *ks, const char *id, bool *found)
{
	centry *oldest = &ks->cache[0];
	for (int i = 0; i < CACHE_SIZE; i++) {
		centry *e = &ks->cache[i];
		if (strcmp(e->id, id) == 0) {
			*found = true;
			return (e);
		}
		if (e->id[0] == '\0' || (oldest->id[0] != '\0' && e->fetched_ms < oldest->fetched_ms)) {
			oldest = e;
		}
	}
	*found = false;
	return (oldest);
}

static void
evict(keystore *ks, const char *id)
{
	bool found;
	pthread_mutex_lock(&ks->lock);
	centry *e = slot_for(ks, id, &found);
	if (found) {
		memset(e, 0, sizeof(*e));
	}
	pthread_mutex_unlock(&ks->lock);
}

/* fetch reads one key row into e (exists=false if none).  0, or TD_ECONN. */
static int
fetch(keystore *ks, const char *id, centry *e)
{
	td_pg *pg = td_pg_pool_get(ks->pool, 2000);
	if (pg == NULL) {
		return (TD_ETIMEDOUT);
	}
	int rv = td_pg_ensure(pg);
	if (rv == 0) {
		const char *params[] = {id};
		PGresult *r = PQexecParams(td_pg_conn(pg),
		    "SELECT encode(secret_hash, 'hex'), array_to_string(permissions, ','), "
		    "COALESCE((extract(epoch from expires_at) * 1000000)::bigint, 0), "
		    "revoked_at IS NOT NULL FROM voip.api_keys WHERE key_id = $1",
		    1, NULL, params, NULL, NULL, 0);
		char err[256];
		rv = td_pg_check(pg, r, PGRES_TUPLES_OK, err, sizeof(err));
		if (rv == 0) {
			memset(e, 0, sizeof(*e));
			snprintf(e->id, sizeof(e->id), "%s", id);
			e->fetched_ms = td_mono_ms();
			if (PQntuples(r) == 1) {
				size_t hl = 0;
				char bad[64];
				e->exists = sodium_hex2bin(e->hash, sizeof(e->hash), PQgetvalue(r, 0, 0),
				                strlen(PQgetvalue(r, 0, 0)), NULL, &hl, NULL) == 0 &&
				            hl == TD_APIKEY_HASH_LEN;
				if (td_perm_parse_list(PQgetvalue(r, 0, 1), &e->perms, bad, sizeof(bad)) != 0) {
					/* Unknown names (from a newer version?) grant nothing extra. */
					e->perms = 0;
					const char *p = PQgetvalue(r, 0, 1);
					char *copy = td_xstrdup(p);
					for (char *t = strtok(copy, ","); t; t = strtok(NULL, ",")) {
						td_perms bit;
						if (td_perm_parse(t, &bit) == 0) {
							e->perms |= bit;
						}
					}
					free(copy);
				}
				e->expires_us = atoll(PQgetvalue(r, 0, 2));
				e->revoked = PQgetvalue(r, 0, 3)[0] == 't';
			}
		} else {
			LOG_WARN("API-KEY-LOOKUP", "API key lookup failed: %s", err);
		}
		PQclear(r);
	}
	td_pg_pool_put(ks->pool, pg);
	return (rv);
}

static const char *
presented_key(const td_http_req *req)
{
	const char *h = td_http_header(req, "Authorization");
	if (h != NULL && strncasecmp(h, "Bearer ", 7) == 0) {
		h += 7;
		while (*h == ' ') {
			h++;
		}
		return (h);
	}
	return (td_http_header(req, "X-API-Key"));
}

int
keys_authorize(keystore *ks, const td_http_req *req, td_perms need, char *key_id,
    size_t idlen, char *msg, size_t msglen)
{
	char id[TD_APIKEY_ID_LEN + 1];
	const char *secret;
	const char *key = presented_key(req);
	key_id[0] = '\0';
	if (key == NULL || key[0] == '\0') {
		td_counter_inc(ks->auth_401);
		snprintf(msg, msglen, "an API key is required (Authorization: Bearer tdk_...)");
		return (401);
	}
	if (td_apikey_parse(key, id, &secret) != 0) {
		td_counter_inc(ks->auth_401);
		snprintf(msg, msglen, "malformed API key");
		return (401);
	}
	snprintf(key_id, idlen, "%s", id);

	centry e;
	bool found;
	pthread_mutex_lock(&ks->lock);
	centry *slot = slot_for(ks, id, &found);
	bool fresh = found && td_mono_ms() - slot->fetched_ms < ks->cache_ms;
	if (fresh) {
		e = *slot;
	}
	pthread_mutex_unlock(&ks->lock);
	if (fresh) {
		td_counter_inc(ks->cache_hit);
	} else {
		td_counter_inc(ks->cache_miss);
		if (fetch(ks, id, &e) != 0) {
			snprintf(msg, msglen, "cannot check API keys right now");
			return (503);
		}
		pthread_mutex_lock(&ks->lock);
		slot = slot_for(ks, id, &found);
		bool used = found && slot->used;
		*slot = e;
		slot->used = used;
		pthread_mutex_unlock(&ks->lock);
	}
	/* One answer for every kind of bad key: do not help guessing. */
	if (!e.exists || e.revoked || (e.expires_us != 0 && e.expires_us < td_wall_us()) ||
	    !td_apikey_verify(secret, ks->pepper, e.hash, sizeof(e.hash))) {
		td_counter_inc(ks->auth_401);
		snprintf(msg, msglen, "invalid, revoked or expired API key");
		return (401);
	}
	if (!td_perm_allows(e.perms, need)) {
		td_counter_inc(ks->auth_403);
		snprintf(msg, msglen, "this key lacks the '%s' permission", td_perm_name(need));
		return (403);
	}
	pthread_mutex_lock(&ks->lock);
	slot = slot_for(ks, id, &found);
	if (found) {
		slot->used = true;
	}
	pthread_mutex_unlock(&ks->lock);
	td_counter_inc(ks->auth_ok);
	return (0);
}

void
keys_tick(keystore *ks)
{
	char ids[64][TD_APIKEY_ID_LEN + 1];
	int n = 0;
	pthread_mutex_lock(&ks->lock);
	for (int i = 0; i < CACHE_SIZE && n < 64; i++) {
		if (ks->cache[i].used) {
			ks->cache[i].used = false;
			memcpy(ids[n++], ks->cache[i].id, TD_APIKEY_ID_LEN + 1);
		}
	}
	pthread_mutex_unlock(&ks->lock);
	if (n == 0) {
		return;
	}
	td_pg *pg = td_pg_pool_get(ks->pool, 100);
	if (pg == NULL) {
		return;
	}
	if (td_pg_ensure(pg) == 0) {
		for (int i = 0; i < n; i++) {
			const char *params[] = {ids[i]};
			PGresult *r = PQexecParams(td_pg_conn(pg),
			    "UPDATE voip.api_keys SET last_used_at = now() WHERE key_id = $1", 1, NULL,
			    params, NULL, NULL, 0);
			char err[256];
			if (td_pg_check(pg, r, PGRES_COMMAND_OK, err, sizeof(err)) != 0) {
				LOG_DEBUG("API-KEY-USED", "last_used_at not updated: %s", err);
			}
			PQclear(r);
		}
	}
	td_pg_pool_put(ks->pool, pg);
}

/* ---- control commands ------------------------------------------------------------ */

/* run_sql executes one statement on a pooled connection; result to caller. */
static PGresult *
run_sql(keystore *ks, const char *sql, int n, const char *const *params, ExecStatusType want,
    char *err, size_t errlen, int *rv)
{
	td_pg *pg = td_pg_pool_get(ks->pool, 5000);
	if (pg == NULL) {
		snprintf(err, errlen, "no database connection free");
		*rv = TD_ETIMEDOUT;
		return (NULL);
	}
	PGresult *r = NULL;
	*rv = td_pg_ensure(pg);
	if (*rv != 0) {
		snprintf(err, errlen, "PostgreSQL unreachable");
	} else {
		r = PQexecParams(td_pg_conn(pg), sql, n, NULL, params, NULL, NULL, 0);
		*rv = td_pg_check(pg, r, want, err, errlen);
		if (*rv != 0) {
			PQclear(r);
			r = NULL;
		}
	}
	td_pg_pool_put(ks->pool, pg);
	return (r);
}

static int
cmd_create(void *arg, int argc, char **argv, json_t **out, char *err, size_t errlen)
{
	keystore *ks = arg;
	if (argc < 2 || argc > 3) {
		snprintf(err, errlen, "usage: apikey-create NAME PERMISSIONS [EXPIRES_DAYS]  "
		                      "(permissions: comma-separated, e.g. cdr:read,directory:read)");
		return (TD_EINVAL);
	}
	td_perms perms;
	char bad[64];
	if (td_perm_parse_list(argv[1], &perms, bad, sizeof(bad)) != 0) {
		snprintf(err, errlen, "unknown permission '%s' (known: cdr:read, directory:read, "
		                      "recordings:read, metrics:read, admin)", bad);
		return (TD_EINVAL);
	}
	long days = argc == 3 ? atol(argv[2]) : 0;
	if (argc == 3 && (days <= 0 || days > 36500)) {
		snprintf(err, errlen, "EXPIRES_DAYS must be 1..36500");
		return (TD_EINVAL);
	}
	/* A canonical array literal from validated names (no quoting needed). */
	td_buf arr = TD_BUF_INIT;
	td_buf_putc(&arr, '{');
	for (int i = 0; td_perm_names[i] != NULL; i++) {
		td_perms bit;
		if (td_perm_parse(td_perm_names[i], &bit) == 0 && (perms & bit)) {
			td_buf_printf(&arr, "%s%s", arr.len > 1 ? "," : "", td_perm_names[i]);
		}
	}
	td_buf_putc(&arr, '}');
	char key[TD_APIKEY_LEN + 1], id[TD_APIKEY_ID_LEN + 1], hex[TD_APIKEY_HASH_LEN * 2 + 1];
	char days_s[24];
	uint8_t hash[TD_APIKEY_HASH_LEN];
	const char *secret;
	td_apikey_generate(key, id);
	if (td_apikey_parse(key, id, &secret) != 0) {
		td_buf_free(&arr);
		snprintf(err, errlen, "internal error generating a key");
		return (TD_EINVAL);
	}
	td_apikey_hash(secret, ks->pepper, hash);
	sodium_bin2hex(hex, sizeof(hex), hash, sizeof(hash));
	snprintf(days_s, sizeof(days_s), "%ld", days);
	const char *params[] = {id, hex, argv[0], arr.data, days_s};
	int rv;
	PGresult *r = run_sql(ks,
	    "INSERT INTO voip.api_keys (key_id, secret_hash, name, permissions, expires_at) "
	    "VALUES ($1, decode($2, 'hex'), $3, $4::text[], "
	    "CASE WHEN $5::int > 0 THEN now() + $5::int * interval '1 day' END) "
	    "RETURNING COALESCE(to_char(expires_at, 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), 'never')",
	    5, params, PGRES_TUPLES_OK, err, errlen, &rv);
	if (r == NULL) {
		td_buf_free(&arr);
		sodium_memzero(key, sizeof(key));
		return (rv);
	}
	*out = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "key_id", id, "key", key, "name",
	    argv[0], "permissions", arr.data, "expires_at", PQgetvalue(r, 0, 0), "note",
	    "store the key now: it is shown only once");
	PQclear(r);
	td_buf_free(&arr);
	sodium_memzero(key, sizeof(key));
	LOG_INFO("API-KEY-CREATED", "API key %s (%s) created", id, argv[0]);
	return (TD_OK);
}

static int
cmd_list(void *arg, int argc, char **argv, json_t **out, char *err, size_t errlen)
{
	keystore *ks = arg;
	(void)argc, (void)argv;
	int rv;
	PGresult *r = run_sql(ks,
	    "SELECT key_id, name, array_to_string(permissions, ','), "
	    "to_char(created_at, 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
	    "COALESCE(to_char(expires_at, 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '-'), "
	    "CASE WHEN revoked_at IS NOT NULL THEN 'revoked' "
	    "WHEN expires_at < now() THEN 'expired' ELSE 'active' END, "
	    "COALESCE(to_char(last_used_at, 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '-') "
	    "FROM voip.api_keys ORDER BY created_at, key_id",
	    0, NULL, PGRES_TUPLES_OK, err, errlen, &rv);
	if (r == NULL) {
		return (rv);
	}
	json_t *a = json_array();
	for (int i = 0; i < PQntuples(r); i++) {
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "key_id",
		                             PQgetvalue(r, i, 0), "name", PQgetvalue(r, i, 1),
		                             "permissions", PQgetvalue(r, i, 2), "created",
		                             PQgetvalue(r, i, 3), "expires", PQgetvalue(r, i, 4),
		                             "state", PQgetvalue(r, i, 5), "last_used",
		                             PQgetvalue(r, i, 6)));
	}
	PQclear(r);
	*out = a;
	return (TD_OK);
}

static int
cmd_revoke(void *arg, int argc, char **argv, json_t **out, char *err, size_t errlen)
{
	keystore *ks = arg;
	if (argc != 1) {
		snprintf(err, errlen, "usage: apikey-revoke KEY_ID");
		return (TD_EINVAL);
	}
	int rv;
	const char *params[] = {argv[0]};
	PGresult *r = run_sql(ks,
	    "UPDATE voip.api_keys SET revoked_at = now() WHERE key_id = $1 AND revoked_at IS NULL",
	    1, params, PGRES_COMMAND_OK, err, errlen, &rv);
	if (r == NULL) {
		return (rv);
	}
	bool changed = atoi(PQcmdTuples(r)) == 1;
	PQclear(r);
	evict(ks, argv[0]);
	if (!changed) {
		snprintf(err, errlen, "no active key with id '%s'", argv[0]);
		return (TD_ENOTFOUND);
	}
	LOG_INFO("API-KEY-REVOKED", "API key %s revoked", argv[0]);
	*out = json_pack("{s:s, s:s}", "key_id", argv[0], "state", "revoked");
	return (TD_OK);
}

void
keys_register_cmds(keystore *ks, td_daemon *d)
{
	td_daemon_add_cmd(d, &(td_ctl_cmd){"apikey-create", "NAME PERMISSIONS [EXPIRES_DAYS]",
	                         "create an API key (printed once)", cmd_create, ks});
	td_daemon_add_cmd(d, &(td_ctl_cmd){"apikey-list", "", "list API keys (never the secrets)",
	                         cmd_list, ks});
	td_daemon_add_cmd(d, &(td_ctl_cmd){"apikey-revoke", "KEY_ID",
	                         "revoke an API key (at once on this node)", cmd_revoke, ks});
}
