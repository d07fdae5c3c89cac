/* SPDX-License-Identifier: MIT */
/* Daemon skeleton: config, logging, pinning, control endpoint, main loop. */
#include "daemon/daemon.h"

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <hiredis/hiredis.h>
#include <libpq-fe.h>
#include <microhttpd.h>
#include <nng/nng.h>
#include <protobuf-c/protobuf-c.h>
#include <signal.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "http/http.h"
#include "log/log.h"
#include "metrics/metrics.h"
#include "util/clock.h"
#include "util/mem.h"

#include "version.h" /* generated: TANDEM_VERSION */

struct td_daemon {
	const td_daemon_spec *spec;
	td_daemon_common common;
	td_cfg *cfg;
	td_ctl_server *ctl;
	td_http_server *metrics_http;
	char ctl_url[512];
	void *ctx;
	int64_t started_us;
	_Atomic bool stop;
	_Atomic bool ready; /* init succeeded: service callbacks may run */
	/*
	 * Reloads run on the main loop only (like tick), so spec->reload never
	 * races tick or another reload.  The `reload` command asks for one with
	 * SIGHUP and waits here for the loop to report it done.
	 */
	pthread_mutex_t reload_mu;
	pthread_cond_t reload_cv;
	uint64_t reload_req, reload_done; /* requests made / served */
	bool loop_over;                   /* the main loop has returned */
	int reload_rv;
	char reload_msg[512];
};

#define OFF(f) offsetof(td_daemon_common, f)
static const td_cfg_key common_keys[] = {
    {"node.name", TD_CFG_STR, OFF(node_name), "", 0, 0, NULL, 0,
        "name of this node in logs, events and records (default: the hostname)"},
    {"log.level", TD_CFG_ENUM, OFF(log_level), "info", 0, 0, td_log_level_names,
        TD_CFG_RELOADABLE, "fatal, error, warn, info or debug"},
    {"log.format", TD_CFG_ENUM, OFF(log_format), "logfmt", 0, 0, td_log_format_names, 0,
        "logfmt or json, one line per event on stderr"},
    {"run.dir", TD_CFG_STR, OFF(run_dir), "/run/tandem", 0, 0, NULL, 0,
        "directory for control sockets"},
    {"ctl.listen", TD_CFG_STR, OFF(ctl_listen), "", 0, 0, NULL, 0,
        "control endpoint (nng URL); empty = ipc://<run.dir>/<service>.ctl"},
    {"cpu.set", TD_CFG_CPUSET, OFF(cpu_set), "", 0, 0, NULL, 0,
        "CPUs to pin the daemon to, e.g. 0-1 or 2,3; empty = not pinned"},
    {"metrics.listen", TD_CFG_STR, OFF(metrics_listen), "", 0, 0, NULL, 0,
        "host:port serving GET /metrics (Prometheus); empty = off"},
};
#undef OFF

/* ---- accessors ------------------------------------------------------------ */

const td_daemon_common *
td_daemon_common_cfg(const td_daemon *d)
{
	return (&d->common);
}

void *
td_daemon_cfg(const td_daemon *d)
{
	return (d->spec->cfg);
}

const char *
td_daemon_name(const td_daemon *d)
{
	return (d->spec->name);
}

void
td_daemon_set_ctx(td_daemon *d, void *ctx)
{
	d->ctx = ctx;
}

void *
td_daemon_ctx(const td_daemon *d)
{
	return (d->ctx);
}

void
td_daemon_add_cmd(td_daemon *d, const td_ctl_cmd *cmd)
{
	td_ctl_register(d->ctl, cmd);
}

void
td_daemon_stop(td_daemon *d)
{
	atomic_store(&d->stop, true);
	kill(getpid(), SIGTERM); /* wake the loop out of sigtimedwait */
}

void
td_daemon_ctl_url(const char *run_dir, const char *ctl_listen, const char *service, char *out,
    size_t len)
{
	if (ctl_listen != NULL && ctl_listen[0] != '\0') {
		snprintf(out, len, "%s", ctl_listen);
	} else {
		snprintf(out, len, "ipc://%s/%s.ctl", run_dir, service);
	}
}

int
td_daemon_pin(const td_cpuset *cs, char *err, size_t errlen)
{
	if (!cs->pinned) {
		return (TD_OK);
	}
	if (sched_setaffinity(0, sizeof(cs->mask), &cs->mask) != 0) {
		snprintf(err, errlen, "config: key 'cpu.set': cannot pin to it: %s", strerror(errno));
		return (TD_EINVAL);
	}
	return (TD_OK);
}

json_t *
td_daemon_versions(void)
{
	char hv[32];
	snprintf(hv, sizeof(hv), "%d.%d.%d", HIREDIS_MAJOR, HIREDIS_MINOR, HIREDIS_PATCH);
	char pqv[32];
	int v = PQlibVersion();
	snprintf(pqv, sizeof(pqv), "%d.%d", v / 10000, v % 10000);
	return (json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "tandem", TANDEM_VERSION,
	    "nng", nng_version(), "libpq", pqv, "hiredis", hv, "protobuf-c", protobuf_c_version(),
	    "libmicrohttpd", MHD_get_version(), "libsodium", sodium_version_string(), "jansson",
	    JANSSON_VERSION));
}

/* ---- built-in control commands --------------------------------------------- */

static char *
cpuset_str(const td_cpuset *cs)
{
	td_buf b = TD_BUF_INIT;
	if (!cs->pinned) {
		td_buf_puts(&b, "unpinned");
	}
	for (int i = 0; cs->pinned && i < CPU_SETSIZE; i++) {
		if (CPU_ISSET(i, &cs->mask)) {
			td_buf_printf(&b, "%s%d", b.len ? "," : "", i);
		}
	}
	return (td_buf_steal(&b, NULL));
}

static int
cmd_status(void *arg, int argc, char **argv, json_t **out, char *err, size_t errlen)
{
	td_daemon *d = arg;
	(void)argc, (void)argv, (void)err, (void)errlen;
	char ts[40];
	char *cpus = cpuset_str(&d->common.cpu_set);
	/* Report where we actually run, not just what the config asked. */
	cpu_set_t now;
	CPU_ZERO(&now);
	int ncpu = sched_getaffinity(0, sizeof(now), &now) == 0 ? CPU_COUNT(&now) : -1;
	json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:s, s:I, s:s, s:i, s:s}", "service",
	    d->spec->name, "node", d->common.node_name, "version", TANDEM_VERSION, "pid",
	    (int)getpid(), "started_at", td_fmt_rfc3339(d->started_us, ts, sizeof(ts)), "uptime_s",
	    (json_int_t)((td_wall_us() - d->started_us) / 1000000), "cpu_set", cpus,
	    "cpus_allowed", ncpu, "log_level", td_log_level_names[td_log_get_level()]);
	free(cpus);
	bool ready = atomic_load(&d->ready);
	json_object_set_new(o, "state", json_string(ready ? "running" : "starting"));
	if (ready && d->spec->status != NULL) {
		json_t *extra = d->spec->status(d);
		if (extra != NULL) {
			json_object_update(o, extra);
			json_decref(extra);
		}
	}
	*out = o;
	return (TD_OK);
}

static int
cmd_stats(void *arg, int argc, char **argv, json_t **out, char *err, size_t errlen)
{
	td_daemon *d = arg;
	(void)argc, (void)argv;
	if (!atomic_load(&d->ready)) {
		snprintf(err, errlen, "%s is still starting", d->spec->name);
		return (TD_EAGAIN);
	}
	*out = d->spec->stats ? d->spec->stats(d) : json_object();
	return (TD_OK);
}

static int
cmd_config(void *arg, int argc, char **argv, json_t **out, char *err, size_t errlen)
{
	td_daemon *d = arg;
	(void)argc, (void)argv, (void)err, (void)errlen;
	*out = td_cfg_show(d->cfg);
	return (TD_OK);
}

static int
cmd_loglevel(void *arg, int argc, char **argv, json_t **out, char *err, size_t errlen)
{
	(void)arg;
	if (argc > 1) {
		snprintf(err, errlen, "usage: loglevel [fatal|error|warn|info|debug]");
		return (TD_EINVAL);
	}
	if (argc == 1) {
		td_log_level lvl;
		if (td_log_level_parse(argv[0], &lvl) != 0) {
			snprintf(err, errlen, "unknown level '%s'", argv[0]);
			return (TD_EINVAL);
		}
		td_log_set_level(lvl);
		LOG_INFO("TD-LOGLEVEL", "log level set to %s", td_log_level_names[lvl]);
	}
	*out = json_pack("{s:s}", "level", td_log_level_names[td_log_get_level()]);
	return (TD_OK);
}

static int
cmd_metrics(void *arg, int argc, char **argv, json_t **out, char *err, size_t errlen)
{
	(void)arg, (void)argc, (void)argv, (void)err, (void)errlen;
	td_buf b = TD_BUF_INIT;
	td_metrics_render(&b);
	*out = json_pack("{s:s}", "text", b.data ? b.data : "");
	td_buf_free(&b);
	return (TD_OK);
}

static int
cmd_reload(void *arg, int argc, char **argv, json_t **out, char *err, size_t errlen)
{
	td_daemon *d = arg;
	(void)argc, (void)argv;
	pthread_mutex_lock(&d->reload_mu);
	uint64_t mine = ++d->reload_req;
	pthread_mutex_unlock(&d->reload_mu);
	kill(getpid(), SIGHUP); /* the main loop reloads */

	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 30;
	int rv;
	pthread_mutex_lock(&d->reload_mu);
	while (d->reload_done < mine && !d->loop_over) {
		if (pthread_cond_timedwait(&d->reload_cv, &d->reload_mu, &until) != 0) {
			break;
		}
	}
	if (d->reload_done >= mine) {
		rv = d->reload_rv;
		snprintf(err, errlen, "%s", d->reload_msg);
	} else {
		rv = TD_ETIMEDOUT;
		snprintf(err, errlen, "%s", d->loop_over ? "daemon is stopping" : "reload timed out");
	}
	pthread_mutex_unlock(&d->reload_mu);
	if (rv == 0) {
		*out = json_pack("{s:s}", "result", err[0] ? err : "reloaded");
		err[0] = '\0';
	}
	return (rv);
}

/* ---- process metrics ------------------------------------------------------ */

static double
cpu_seconds(void *arg)
{
	(void)arg;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ((double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
	        ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6);
}

static double
rss_bytes(void *arg)
{
	(void)arg;
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (f != NULL) {
		if (fscanf(f, "%ld %ld", &pages, &rss) != 2) {
			rss = 0;
		}
		fclose(f);
	}
	return ((double)rss * (double)sysconf(_SC_PAGESIZE));
}

static void
register_process_metrics(td_daemon *d)
{
	char labels[256];
	snprintf(labels, sizeof(labels), "service=\"%s\",version=\"%s\"", d->spec->name,
	    TANDEM_VERSION);
	td_gauge_set(td_metrics_gauge("tandem_build_info", "build information", labels), 1);
	td_gauge_set(td_metrics_gauge("tandem_process_start_time_seconds",
	                 "start time of the process since the epoch", NULL),
	    (double)d->started_us / 1e6);
	td_metrics_gauge_fn("tandem_process_cpu_seconds_total", "user and system CPU time", NULL,
	    cpu_seconds, NULL);
	td_metrics_gauge_fn("tandem_process_resident_memory_bytes", "resident memory size", NULL,
	    rss_bytes, NULL);
}

static void
metrics_http(void *arg, const td_http_req *req, td_http_resp *resp)
{
	(void)arg;
	if (strcmp(req->path, "/metrics") == 0) {
		resp->status = 200;
		snprintf(resp->content_type, sizeof(resp->content_type),
		    "text/plain; version=0.0.4; charset=utf-8");
		td_metrics_render(&resp->body);
	} else if (strcmp(req->path, "/health") == 0) {
		td_http_resp_json(resp, 200, json_pack("{s:s}", "status", "ok"));
	} else {
		td_http_resp_error(resp, 404, "not_found", "no such path");
	}
}

/* ---- reload --------------------------------------------------------------- */

static int
do_reload(td_daemon *d, char *err, size_t errlen)
{
	char restart[512] = "";
	int rv = td_cfg_reload(d->cfg, restart, sizeof(restart), err, errlen);
	if (rv != 0) {
		LOG_ERROR("TD-RELOAD-FAIL", "config reload failed, keeping the old config: %s", err);
		return (rv);
	}
	td_log_set_level((td_log_level)d->common.log_level);
	if (d->spec->reload != NULL) {
		d->spec->reload(d);
	}
	err[0] = '\0';
	if (restart[0]) {
		LOG_WARN("TD-RELOAD-RESTART", "config reloaded; changed keys that need a restart: %s",
		    restart);
		snprintf(err, errlen, "reloaded; restart needed for: %s", restart);
	} else {
		LOG_INFO("TD-RELOAD", "config reloaded");
	}
	return (TD_OK);
}

/* serve_reload runs one reload on the main loop and wakes `reload` commands. */
static void
serve_reload(td_daemon *d)
{
	pthread_mutex_lock(&d->reload_mu);
	uint64_t upto = d->reload_req; /* later requests send their own SIGHUP */
	pthread_mutex_unlock(&d->reload_mu);
	char err[512] = "";
	int rv = do_reload(d, err, sizeof(err));
	pthread_mutex_lock(&d->reload_mu);
	d->reload_done = upto;
	d->reload_rv = rv;
	snprintf(d->reload_msg, sizeof(d->reload_msg), "%s", err);
	pthread_cond_broadcast(&d->reload_cv);
	pthread_mutex_unlock(&d->reload_mu);
}

/* ---- command line ------------------------------------------------------------ */

static void
usage(const td_daemon_spec *spec, FILE *f)
{
	fprintf(f,
	    "%s - %s\n\n"
	    "usage: %s [options]                 run the daemon\n"
	    "       %s [options] COMMAND [ARGS]  ask the running daemon (try: help)\n\n"
	    "options:\n"
	    "  -c, --config FILE     config file (also $TANDEM_CONFIG)\n"
	    "  -s, --set KEY=VALUE   override one config key (repeatable)\n"
	    "      --check-config    validate the config and exit\n"
	    "      --config-keys     print every config key as a Markdown table and exit\n"
	    "      --ctl URL         control endpoint to ask (CLI mode)\n"
	    "      --timeout MS      CLI answer timeout (default 5000)\n"
	    "  -j, --json            CLI: print the raw JSON answer\n"
	    "  -V, --version         print versions of tandem and its libraries\n"
	    "  -h, --help            this help\n\n"
	    "Every config key can also be set from the environment: node.name is\n"
	    "TANDEM_NODE_NAME, and so on.\n",
	    spec->name, spec->summary, spec->name, spec->name);
}

typedef struct cli {
	const char *config;
	char **sets;
	size_t nsets;
	bool check, json, keys;
	const char *ctl;
	int timeout_ms;
	int cmd_index; /* first positional argument, or argc */
} cli;

static int
parse_cli(const td_daemon_spec *spec, int argc, char **argv, cli *c)
{
	static const struct option longopts[] = {{"config", required_argument, NULL, 'c'},
	    {"set", required_argument, NULL, 's'}, {"check-config", no_argument, NULL, 'C'},
	    {"ctl", required_argument, NULL, 'u'}, {"timeout", required_argument, NULL, 't'},
	    {"json", no_argument, NULL, 'j'}, {"version", no_argument, NULL, 'V'},
	    {"help", no_argument, NULL, 'h'}, {"config-keys", no_argument, NULL, 'K'},
	    {NULL, 0, NULL, 0}};
	memset(c, 0, sizeof(*c));
	c->config = getenv("TANDEM_CONFIG");
	c->timeout_ms = 5000;
	c->sets = td_xcalloc((size_t)argc + 1, sizeof(char *));
	int opt;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "+c:s:jVh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': c->config = optarg; break;
		case 's': c->sets[c->nsets++] = optarg; break;
		case 'C': c->check = true; break;
		case 'K': c->keys = true; break;
		case 'u': c->ctl = optarg; break;
		case 't': c->timeout_ms = atoi(optarg) > 0 ? atoi(optarg) : 5000; break;
		case 'j': c->json = true; break;
		case 'V': {
			json_t *v = td_daemon_versions();
			td_ctl_print(stdout, v, false);
			json_decref(v);
			exit(0);
		}
		case 'h': usage(spec, stdout); exit(0);
		default: usage(spec, stderr); return (-1);
		}
	}
	c->cmd_index = optind;
	return (0);
}

static int
run_cli(const td_daemon_spec *spec, td_daemon *d, cli *c, int argc, char **argv)
{
	char url[512], err[1024] = "";
	if (c->ctl != NULL) {
		snprintf(url, sizeof(url), "%s", c->ctl);
	} else {
		td_daemon_ctl_url(d->common.run_dir, d->common.ctl_listen, spec->name, url,
		    sizeof(url));
	}
	json_t *out = NULL;
	int rv = td_ctl_call(url, argv[c->cmd_index], argc - c->cmd_index - 1,
	    argv + c->cmd_index + 1, c->timeout_ms, &out, err, sizeof(err));
	if (rv != 0) {
		fprintf(stderr, "%s: %s\n", spec->name, err);
		return (1);
	}
	td_ctl_print(stdout, out, c->json);
	json_decref(out);
	return (0);
}

/* print_key writes one row of the --config-keys table. */
static void
print_key(const td_cfg_key *k, void *arg)
{
	static const char *const types[] = {"string", "integer", "bool", "duration", "size", "enum",
	    "cpu list"};
	bool want_common = *(bool *)arg;
	bool is_common = k >= common_keys && k < common_keys + TD_ARRAY_LEN(common_keys);
	if (want_common != is_common) {
		return;
	}
	char env[128], range[64] = "";
	td_cfg_env_name(k->name, env, sizeof(env));
	if ((k->type == TD_CFG_INT || k->type == TD_CFG_MS || k->type == TD_CFG_SIZE) &&
	    !(k->min == 0 && k->max == 0)) {
		snprintf(range, sizeof(range), " (%lld..%lld%s)", k->min, k->max,
		    k->type == TD_CFG_MS ? " ms" : k->type == TD_CFG_SIZE ? " bytes" : "");
	}
	printf("| `%s` | %s%s | %s%s%s | `%s` | %s%s%s |\n", k->name, types[k->type], range,
	    k->def == NULL ? "**required**" : k->def[0] ? "`" : "", k->def ? k->def : "",
	    k->def != NULL && k->def[0] ? "`" : "", env, k->help,
	    (k->flags & TD_CFG_RELOADABLE) ? "; reloadable (SIGHUP)" : "",
	    (k->flags & TD_CFG_SECRET) ? "; secret, masked by `config`" : "");
}

/* ---- main ------------------------------------------------------------------- */

static int
start(td_daemon *d, char *err, size_t errlen)
{
	const td_daemon_common *cm = &d->common;
	td_daemon_ctl_url(cm->run_dir, cm->ctl_listen, d->spec->name, d->ctl_url,
	    sizeof(d->ctl_url));
	if (strncmp(d->ctl_url, "ipc://", 6) == 0 && mkdir(cm->run_dir, 0755) != 0 &&
	    errno != EEXIST) {
		snprintf(err, errlen, "config: key 'run.dir': cannot create %s: %s", cm->run_dir,
		    strerror(errno));
		return (TD_EINVAL);
	}
	int rv = td_ctl_server_start(&d->ctl, d->ctl_url, err, errlen);
	if (rv != 0) {
		char tmp[512];
		snprintf(tmp, sizeof(tmp), "config: key 'ctl.listen': %s", err);
		snprintf(err, errlen, "%s", tmp);
		return (rv);
	}
	td_ctl_register(d->ctl, &(td_ctl_cmd){"status", "", "service, node, version, uptime, "
	                                                    "pinning and health", cmd_status, d});
	td_ctl_register(d->ctl, &(td_ctl_cmd){"stats", "", "counters of this daemon", cmd_stats, d});
	td_ctl_register(d->ctl,
	    &(td_ctl_cmd){"config", "", "every config key, its value and source", cmd_config, d});
	td_ctl_register(d->ctl,
	    &(td_ctl_cmd){"loglevel", "[level]", "show or set the log level", cmd_loglevel, d});
	td_ctl_register(d->ctl,
	    &(td_ctl_cmd){"metrics", "", "metrics in Prometheus text format", cmd_metrics, d});
	td_ctl_register(d->ctl,
	    &(td_ctl_cmd){"reload", "", "re-read the config (like SIGHUP)", cmd_reload, d});
	register_process_metrics(d);
	if (cm->metrics_listen[0] != '\0') {
		td_http_opts ho = {.listen = cm->metrics_listen, .max_body = 4096, .conn_limit = 64};
		if (td_http_start(&d->metrics_http, &ho, metrics_http, d, err, errlen) != 0) {
			char tmp[512];
			snprintf(tmp, sizeof(tmp), "config: key 'metrics.listen': %s", err);
			snprintf(err, errlen, "%s", tmp);
			return (TD_EINVAL);
		}
	}
	return (TD_OK);
}

/*
 * stop_endpoints closes the control endpoint and the metrics listener and
 * waits for handlers still running, so that spec->fini never frees state a
 * control command or a metrics render is using.  Idempotent.
 */
static void
stop_endpoints(td_daemon *d)
{
	td_http_stop(d->metrics_http);
	d->metrics_http = NULL;
	td_ctl_server_stop(d->ctl);
	d->ctl = NULL;
}

static void
main_loop(td_daemon *d, sigset_t *sigs)
{
	int tick_ms = d->spec->tick_ms > 0 ? d->spec->tick_ms : 1000;
	int64_t next_tick = td_mono_ms() + tick_ms;
	bool watchdog = false;
	uint64_t wd_usec = 0;
	if (sd_watchdog_enabled(0, &wd_usec) > 0) {
		watchdog = true;
	}
	while (!atomic_load(&d->stop)) {
		int64_t wait = next_tick - td_mono_ms();
		if (wait < 0) {
			wait = 0;
		}
		struct timespec ts = {.tv_sec = wait / 1000, .tv_nsec = (wait % 1000) * 1000000};
		siginfo_t si;
		int sig = sigtimedwait(sigs, &si, &ts);
		if (sig == SIGTERM || sig == SIGINT) {
			LOG_INFO("TD-STOP", "received %s, stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
			break;
		}
		if (sig == SIGHUP) {
			serve_reload(d);
			continue;
		}
		if (td_mono_ms() >= next_tick) {
			if (d->spec->tick != NULL) {
				d->spec->tick(d);
			}
			if (watchdog) {
				sd_notify(0, "WATCHDOG=1");
			}
			next_tick = td_mono_ms() + tick_ms;
		}
	}
}

int
td_daemon_main(const td_daemon_spec *spec, int argc, char **argv)
{
	cli c;
	if (parse_cli(spec, argc, argv, &c) != 0) {
		free(c.sets);
		return (2);
	}
	td_daemon *d = TD_NEW(td_daemon);
	pthread_mutex_init(&d->reload_mu, NULL);
	pthread_cond_init(&d->reload_cv, NULL);
	d->spec = spec;
	d->started_us = td_wall_us();
	d->cfg = td_cfg_new();
	td_cfg_add(d->cfg, common_keys, TD_ARRAY_LEN(common_keys), &d->common);
	td_cfg_add(d->cfg, spec->keys, spec->nkeys, spec->cfg);

	char err[1024] = "";
	int status = 0;
	bool cli_mode = c.cmd_index < argc;
	if (c.keys) {
		/* Two tables: the keys every daemon has, then this daemon's own. */
		for (int pass = 0; pass < 2; pass++) {
			bool common = pass == 0;
			printf("<!-- %s keys -->\n| key | type | default | environment | meaning |\n"
			       "|---|---|---|---|---|\n",
			    common ? "common" : "service");
			td_cfg_foreach_key(d->cfg, print_key, &common);
		}
		goto out_cfg;
	}
	if (cli_mode && c.ctl != NULL) {
		status = run_cli(spec, d, &c, argc, argv);
		goto out_cfg;
	}
	if (td_cfg_load(d->cfg, c.config, c.sets, c.nsets, err, sizeof(err)) != 0 ||
	    (spec->validate != NULL && spec->validate(spec->cfg, err, sizeof(err)) != 0)) {
		fprintf(stderr, "%s: %s\n", spec->name, err);
		status = TD_EXIT_CONFIG;
		goto out_cfg;
	}
	if (d->common.node_name[0] == '\0') {
		char host[256] = "localhost";
		gethostname(host, sizeof(host) - 1);
		free(d->common.node_name);
		d->common.node_name = td_xstrdup(host);
	}
	if (cli_mode) {
		status = run_cli(spec, d, &c, argc, argv);
		goto out_cfg;
	}
	if (c.check) {
		printf("%s: config ok\n", spec->name);
		goto out_cfg;
	}

	td_log_setup(spec->name, d->common.node_name, (td_log_format)d->common.log_format);
	td_log_set_level((td_log_level)d->common.log_level);
	/* Pin before any thread exists, so every thread inherits the mask. */
	if (td_daemon_pin(&d->common.cpu_set, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", spec->name, err);
		status = TD_EXIT_CONFIG;
		goto out_cfg;
	}
	/* Signals are taken synchronously by the main loop; block them everywhere. */
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (sodium_init() < 0) {
		td_die("TD-SODIUM", "libsodium failed to initialise");
	}

	if (start(d, err, sizeof(err)) != 0) {
		LOG_ERROR("TD-START-FAIL", "%s", err);
		fprintf(stderr, "%s: %s\n", spec->name, err);
		status = strncmp(err, "config:", 7) == 0 ? TD_EXIT_CONFIG : 1;
		goto out;
	}
	LOG_INFO("TD-START", "starting %s %s (pid %d, control %s)", spec->name, TANDEM_VERSION,
	    (int)getpid(), d->ctl_url);
	if (spec->init != NULL && spec->init(d) != 0) {
		LOG_ERROR("TD-INIT-FAIL", "%s failed to start", spec->name);
		status = 1;
		stop_endpoints(d);
		if (spec->fini != NULL) {
			spec->fini(d);
		}
		goto out;
	}
	atomic_store(&d->ready, true);
	sd_notify(0, "READY=1");
	LOG_INFO("TD-READY", "%s ready", spec->name);
	main_loop(d, &sigs);
	pthread_mutex_lock(&d->reload_mu);
	d->loop_over = true; /* `reload` commands still waiting give up now */
	pthread_cond_broadcast(&d->reload_cv);
	pthread_mutex_unlock(&d->reload_mu);
	sd_notify(0, "STOPPING=1");
	atomic_store(&d->ready, false);
	stop_endpoints(d);
	if (spec->fini != NULL) {
		spec->fini(d);
	}
	LOG_INFO("TD-STOPPED", "%s stopped", spec->name);
out:
	stop_endpoints(d);
out_cfg:
	td_cfg_free(d->cfg);
	free(c.sets);
	pthread_cond_destroy(&d->reload_cv);
	pthread_mutex_destroy(&d->reload_mu);
	free(d);
	td_metrics_reset();
	return (status);
}
