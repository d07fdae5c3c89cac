/* SPDX-License-Identifier: MIT */
/* cdr-collector's config table. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "cdrq/cdrq.h"
#include "collector.h"
#include "http/http.h"
#include "kv/kv.h"

#define OFF(f) offsetof(collector_cfg, f)
const td_cfg_key collector_cfg_keys[] = {
    {"http.listen", TD_CFG_STR, OFF(http_listen), "127.0.0.1:8081", 0, 0, NULL, 0,
        "host:port for FreeSWITCH mod_json_cdr POSTs"},
    {"http.path", TD_CFG_STR, OFF(http_path), "/cdr", 0, 0, NULL, 0,
        "URL path CDRs are POSTed to (mod_json_cdr appends ?uuid=...)"},
    {"http.max_body", TD_CFG_SIZE, OFF(http_max_body), "4M", 1024, 268435456, NULL, 0,
        "largest CDR body accepted (larger gets 413)"},
    {"http.max_connections", TD_CFG_INT, OFF(http_max_conns), "512", 1, 65536, NULL, 0,
        "concurrent HTTP connections (one thread each)"},
    {"http.threads", TD_CFG_INT, OFF(http_threads), "2", 0, 64, NULL, 0,
        "HTTP event-loop threads; 0 = a thread per connection"},
    {"http.auth_user", TD_CFG_STR, OFF(auth_user), "", 0, 0, NULL, 0,
        "Basic auth user FreeSWITCH sends (json_cdr 'cred'); empty = no auth"},
    {"http.auth_password", TD_CFG_STR, OFF(auth_password), "", 0, 0, NULL, TD_CFG_SECRET,
        "Basic auth password"},
    {"redis.url", TD_CFG_STR, OFF(redis_url), "redis://127.0.0.1:6379/0", 0, 0, NULL, 0,
        "Redis holding the CDR queue"},
    {"queue.key", TD_CFG_STR, OFF(queue_key), TD_CDRQ_DEFAULT_KEY, 0, 0, NULL, 0,
        "Redis list CDRs are pushed onto"},
    {"queue.dead_key", TD_CFG_STR, OFF(dead_key), TD_CDRQ_DEFAULT_DEAD_KEY, 0, 0, NULL, 0,
        "Redis list keeping refused raw bodies with the reason"},
    {"queue.dead_max", TD_CFG_INT, OFF(dead_max), "100000", 1, 100000000, NULL, 0,
        "most entries kept in the dead-letter list (oldest dropped)"},
    {"enqueue.timeout", TD_CFG_MS, OFF(enqueue_timeout_ms), "5s", 10, 600000, NULL, 0,
        "longest a POST waits for Redis before it is answered 503"},
    {"enqueue.group_max", TD_CFG_INT, OFF(group_max), "500", 1, 100000, NULL, 0,
        "most CDRs pushed to Redis in one LPUSH"},
    {"bus.subscribe", TD_CFG_STR, OFF(bus_subscribe), "", 0, 0, NULL, 0,
        "comma-separated bus pub URLs to take call.ended events from (best effort)"},
    {"bus.inbox", TD_CFG_STR, OFF(bus_inbox), "", 0, 0, NULL, 0,
        "nng URL for acknowledged call-ended submissions; empty = "
        "ipc://<run.dir>/cdr-collector.inbox; off = none"},
};
#undef OFF
const size_t collector_cfg_nkeys = sizeof(collector_cfg_keys) / sizeof(collector_cfg_keys[0]);

int
collector_cfg_validate(void *cfgp, char *err, size_t errlen)
{
	collector_cfg *c = cfgp;
	td_kv_url u;
	char ss[128];
	bool v6;
	if (td_kv_parse_url(c->redis_url, &u) != 0) {
		snprintf(err, errlen, "config: key 'redis.url' = '%s': not a redis:// or unix:// URL",
		    c->redis_url);
		return (-1);
	}
	if (td_http_parse_listen(c->http_listen, ss, sizeof(ss), &v6) != 0) {
		snprintf(err, errlen, "config: key 'http.listen' = '%s': expected host:port",
		    c->http_listen);
		return (-1);
	}
	if (c->http_path[0] != '/') {
		snprintf(err, errlen, "config: key 'http.path' = '%s': must start with /",
		    c->http_path);
		return (-1);
	}
	if ((c->auth_user[0] == '\0') != (c->auth_password[0] == '\0')) {
		snprintf(err, errlen,
		    "config: keys 'http.auth_user' and 'http.auth_password' must be set together");
		return (-1);
	}
	if (strcmp(c->queue_key, c->dead_key) == 0) {
		snprintf(err, errlen, "config: key 'queue.dead_key' must differ from 'queue.key'");
		return (-1);
	}
	return (0);
}
