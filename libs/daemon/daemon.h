/* SPDX-License-Identifier: MIT */
/*
 * The skeleton every tandem daemon runs on, so that each service's main.c
 * only wires its own subsystems.  td_daemon_main():
 *
 *   1. parses the command line;
 *   2. loads the config (common keys below + the service's table); a bad
 *      value stops the daemon with a message naming the key (exit 78);
 *   3. sets up logging and pins the process to cpu.set;
 *   4. starts the control endpoint (status, stats, config, loglevel,
 *      metrics, reload, help, plus the service's own commands) and the
 *      optional metrics HTTP listener;
 *   5. calls spec->init, tells systemd READY=1, then runs the main loop:
 *      signals are handled inside the loop (TERM/INT stop, HUP reloads),
 *      and spec->tick runs every tick_ms for periodic maintenance;
 *   6. on stop calls spec->fini.
 *
 * The same binary is the daemon's CLI: any positional argument is a control
 * command sent to the running daemon, e.g. `cdr-writer -c x.conf stats`.
 */
#ifndef TD_DAEMON_DAEMON_H
#define TD_DAEMON_DAEMON_H

#include <jansson.h>
#include <stdbool.h>

#include "cfg/cfg.h"
#include "ctl/ctl.h"

/* Exit status for configuration errors (sysexits EX_CONFIG). */
#define TD_EXIT_CONFIG 78

typedef struct td_daemon td_daemon;

/* Config every daemon has. */
typedef struct td_daemon_common {
	char *node_name;      /* node.name: this node's name; default: hostname */
	int log_level;        /* log.level */
	int log_format;       /* log.format */
	char *run_dir;        /* run.dir: sockets and pid files */
	char *ctl_listen;     /* ctl.listen; "" = ipc://<run.dir>/<service>.ctl */
	td_cpuset cpu_set;    /* cpu.set */
	char *metrics_listen; /* metrics.listen: host:port for GET /metrics; "" = off */
} td_daemon_common;

typedef struct td_daemon_spec {
	const char *name;     /* "cdr-writer" */
	const char *summary;  /* one line for --help */
	const td_cfg_key *keys;
	size_t nkeys;
	void *cfg;            /* the service's config struct, filled from keys */
	/* validate: cross-key checks after loading; write the key name in err. */
	int (*validate)(void *cfg, char *err, size_t errlen);
	/* init: start the service.  Non-zero stops the daemon (after fini). */
	int (*init)(td_daemon *d);
	/* tick: periodic maintenance on the main thread, every tick_ms. */
	void (*tick)(td_daemon *d);
	/* fini: stop the service; must cope with a partly completed init. */
	void (*fini)(td_daemon *d);
	/* status/stats: service-specific JSON objects (merged / returned). */
	json_t *(*status)(td_daemon *d);
	json_t *(*stats)(td_daemon *d);
	/*
	 * reload: called on the main thread (never concurrently with tick)
	 * after SIGHUP or the `reload` command re-read the config.
	 */
	void (*reload)(td_daemon *d);
	int tick_ms;          /* 0 = 1000 */
} td_daemon_spec;

int td_daemon_main(const td_daemon_spec *spec, int argc, char **argv);

/* Accessors for use inside init/tick/fini and control handlers. */
const td_daemon_common *td_daemon_common_cfg(const td_daemon *d);
void *td_daemon_cfg(const td_daemon *d);
const char *td_daemon_name(const td_daemon *d);
void td_daemon_set_ctx(td_daemon *d, void *ctx);
void *td_daemon_ctx(const td_daemon *d);
/* td_daemon_add_cmd registers a service command on the control endpoint. */
void td_daemon_add_cmd(td_daemon *d, const td_ctl_cmd *cmd);
/* td_daemon_stop asks the main loop to stop (thread-safe). */
void td_daemon_stop(td_daemon *d);
/* td_daemon_ctl_url resolves ctl.listen for a service (used by peers too). */
void td_daemon_ctl_url(const char *run_dir, const char *ctl_listen, const char *service,
    char *out, size_t len);

/* td_daemon_pin applies a CPU set to the calling thread (and its future threads). */
int td_daemon_pin(const td_cpuset *cs, char *err, size_t errlen) TD_MUSTCHECK;

/* td_daemon_versions returns the linked library versions (for -V and status). */
json_t *td_daemon_versions(void);

#endif
