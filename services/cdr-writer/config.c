/* SPDX-License-Identifier: MIT */
/* cdr-writer's config table. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "cdrq/cdrq.h"
#include "kv/kv.h"
#include "writer.h"

#define OFF(f) offsetof(writer_cfg, f)
const td_cfg_key writer_cfg_keys[] = {
    {"redis.url", TD_CFG_STR, OFF(redis_url), "redis://127.0.0.1:6379/0", 0, 0, NULL, 0,
        "Redis holding the CDR queue: redis://[:password@]host[:port][/db] or unix:///path"},
    {"pg.dsn", TD_CFG_STR, OFF(pg_dsn), NULL, 0, 0, NULL, 0,
        "PostgreSQL connection string for voip_platform (libpq conninfo or URI)"},
    {"pg.statement_timeout", TD_CFG_MS, OFF(pg_timeout_ms), "30s", 100, 600000, NULL, 0,
        "longest a single batch INSERT may run before it is cancelled and retried"},
    {"queue.key", TD_CFG_STR, OFF(queue_key), TD_CDRQ_DEFAULT_KEY, 0, 0, NULL, 0,
        "Redis list the collector pushes CDRs onto"},
    {"queue.dead_key", TD_CFG_STR, OFF(dead_key), "tandem:cdr:writer-dead", 0, 0, NULL, 0,
        "Redis list for records PostgreSQL refuses (bad data), with the reason"},
    {"queue.dead_max", TD_CFG_INT, OFF(dead_max), "100000", 1, 100000000, NULL, 0,
        "most records kept in the dead-letter list (oldest dropped)"},
    {"writer.id", TD_CFG_STR, OFF(writer_id), "", 0, 0, NULL, 0,
        "names this writer's processing lists; empty = node.name. Keep it stable across "
        "restarts"},
    {"writer.workers", TD_CFG_INT, OFF(workers), "2", 1, 32, NULL, 0,
        "consumer threads, each with its own Redis and PostgreSQL connection"},
    {"batch.max", TD_CFG_INT, OFF(batch_max), "100", 1, 1000, NULL, 0,
        "most rows per INSERT transaction"},
    {"batch.wait", TD_CFG_MS, OFF(batch_wait_ms), "20ms", 0, 10000, NULL, 0,
        "longest a batch waits to fill after its first row arrived"},
    {"partitions.interval", TD_CFG_MS, OFF(partitions_every_ms), "1h", 1000, 86400000, NULL,
        0, "how often to create next months' voip.cdr partitions"},
};
#undef OFF
const size_t writer_cfg_nkeys = sizeof(writer_cfg_keys) / sizeof(writer_cfg_keys[0]);

int
writer_cfg_validate(void *cfgp, char *err, size_t errlen)
{
	writer_cfg *c = cfgp;
	td_kv_url u;
	if (td_kv_parse_url(c->redis_url, &u) != 0) {
		snprintf(err, errlen,
		    "config: key 'redis.url' = '%s': not a redis:// or unix:// URL", c->redis_url);
		return (-1);
	}
	if (c->pg_dsn[0] == '\0') {
		snprintf(err, errlen, "config: key 'pg.dsn' is empty");
		return (-1);
	}
	if (strcmp(c->queue_key, c->dead_key) == 0) {
		snprintf(err, errlen, "config: key 'queue.dead_key' must differ from 'queue.key'");
		return (-1);
	}
	return (0);
}
