/* SPDX-License-Identifier: MIT */
/*
 * API keys in voip.api_keys: verification for requests (with a short-lived
 * cache so the database is not asked on every request), and the control
 * commands that create, list and revoke keys.
 */
#ifndef API_GATEWAY_KEYS_H
#define API_GATEWAY_KEYS_H

#include "auth/apikey.h"
#include "daemon/daemon.h"
#include "gateway.h"

keystore *keys_new(td_pg_pool *pool, const char *pepper, int64_t cache_ms);
void keys_free(keystore *ks);

/*
 * keys_authorize checks the request's key ("Authorization: Bearer <key>" or
 * "X-API-Key: <key>") for permission need.  Returns 0 if allowed; otherwise
 * 401 (no key, malformed, unknown, wrong secret, revoked, expired), 403 (the
 * key lacks the permission) or 503 (cannot check now), with a message.
 * key_id receives the key's public id when one was presented.
 */
int keys_authorize(keystore *ks, const td_http_req *req, td_perms need, char *key_id,
    size_t idlen, char *msg, size_t msglen);

/* keys_tick writes last_used_at for keys used since the last tick. */
void keys_tick(keystore *ks);

/* keys_register_cmds adds apikey-create, apikey-list, apikey-revoke. */
void keys_register_cmds(keystore *ks, td_daemon *d);

#endif
