/* SPDX-License-Identifier: MIT */
/*
 * Configuration: one declarative table per daemon, one loader for all.
 *
 * A value comes from, in rising precedence: the key's default, the config
 * file, the environment (TANDEM_<KEY> with '.' -> '_', upper case:
 * "redis.url" -> TANDEM_REDIS_URL), and --set key=value on the command line.
 * Every value is validated at load; any problem is reported with the key's
 * name and where the value came from, and the caller stops.
 *
 * File format (INI):
 *     # comment
 *     [redis]
 *     url = redis://127.0.0.1:6379/0
 *     %include common.conf          (path relative to this file)
 * Keys are "<section>.<key>"; an unknown key is an error, so a typo never
 * silently leaves a default in place.  A value may be double-quoted (to
 * keep leading/trailing spaces); inside quotes a backslash takes the next
 * character literally.  There are no inline comments: '#' in a value is
 * data (passwords).
 *
 * The same table drives `show config` (td_cfg_show) and the docs check
 * (scripts/check-config-docs greps every key in docs/config.md).
 */
#ifndef TD_CFG_CFG_H
#define TD_CFG_CFG_H

#include <jansson.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

typedef enum td_cfg_type {
	TD_CFG_STR,    /* char * (owned by the table; "" if default is "")      */
	TD_CFG_INT,    /* long long, within [min, max]                           */
	TD_CFG_BOOL,   /* bool: true/false/yes/no/on/off/1/0                     */
	TD_CFG_MS,     /* int64_t milliseconds: "250ms", "5s", "2m", "1h", "300" */
	TD_CFG_SIZE,   /* int64_t bytes: "512", "64k", "10M", "1G"               */
	TD_CFG_ENUM,   /* int: index into choices[]                             */
	TD_CFG_CPUSET, /* td_cpuset: "0-3,6"; "" means not pinned               */
} td_cfg_type;

#define TD_CFG_SECRET 0x1u     /* never shown in clear by `show config` */
#define TD_CFG_RELOADABLE 0x2u /* applied by td_cfg_reload (SIGHUP) */

typedef struct td_cpuset {
	bool pinned;   /* false: leave the scheduler's default */
	int ncpus;     /* CPUs in the mask */
	cpu_set_t mask;
} td_cpuset;

typedef struct td_cfg_key {
	const char *name;            /* "section.key" */
	td_cfg_type type;
	size_t offset;               /* offsetof() into the owning struct */
	const char *def;             /* default as text; NULL = required */
	long long min, max;          /* INT/MS/SIZE bounds; both 0 = unbounded */
	const char *const *choices;  /* ENUM: NULL-terminated names */
	unsigned flags;              /* TD_CFG_SECRET | TD_CFG_RELOADABLE */
	const char *help;            /* one line, shown by `config` and in docs */
} td_cfg_key;

typedef struct td_cfg td_cfg;

/* td_cfg_new: an empty schema.  Free with td_cfg_free. */
td_cfg *td_cfg_new(void);

/*
 * td_cfg_add registers keys[n] whose values live in the struct at base.
 * The cfg keeps pointers to keys and base: both must outlive it.
 */
void td_cfg_add(td_cfg *c, const td_cfg_key *keys, size_t n, void *base);

/*
 * td_cfg_load fills every registered struct.  path may be NULL (defaults
 * and environment only).  sets are "key=value" strings.  On failure returns
 * a negative td_err and writes a one-line message naming the key into err.
 */
int td_cfg_load(td_cfg *c, const char *path, char *const *sets, size_t nsets, char *err,
    size_t errlen) TD_MUSTCHECK;

/*
 * td_cfg_reload re-reads the same sources.  Reloadable keys whose value
 * changed are applied; if a non-reloadable key changed, its name is
 * written into restart_keys (comma separated) and it is NOT applied.
 * On a load error nothing changes (the old config stays in force).
 * Not thread-safe against readers of string values: only reloadable
 * scalar keys should be marked TD_CFG_RELOADABLE.
 */
int td_cfg_reload(td_cfg *c, char *restart_keys, size_t rklen, char *err, size_t errlen)
    TD_MUSTCHECK;

/*
 * td_cfg_show: {"key": {"value": "...", "source": "file /x.conf:3",
 * "reloadable": false}, ...}.  SECRET values show as "********", and
 * passwords inside URLs and conninfo strings as "*".  Safe to call from
 * any thread, also during td_cfg_reload.
 */
json_t *td_cfg_show(const td_cfg *c);

/* td_cfg_foreach_key calls fn for every registered key (for docs checks). */
void td_cfg_foreach_key(const td_cfg *c, void (*fn)(const td_cfg_key *k, void *arg), void *arg);

/* td_cfg_free frees the cfg and every string it stored into the structs. */
void td_cfg_free(td_cfg *c);

/* Value parsers, exposed for reuse and tests.  0 on success. */
int td_cfg_parse_bool(const char *s, bool *out) TD_MUSTCHECK;
int td_cfg_parse_ms(const char *s, int64_t *out) TD_MUSTCHECK;
int td_cfg_parse_size(const char *s, int64_t *out) TD_MUSTCHECK;
int td_cfg_parse_cpuset(const char *s, td_cpuset *out) TD_MUSTCHECK;

/* td_cfg_env_name: "redis.url" -> "TANDEM_REDIS_URL". */
void td_cfg_env_name(const char *key, char *out, size_t len);

#endif
