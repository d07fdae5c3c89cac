/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the daemon skeleton: CPU pinning, control URL, library
 * versions, the command line (--check-config, bad values, CLI mode with no
 * daemon), and one full run of td_daemon_main in this process, driven over
 * its own control endpoint and metrics listener from a client thread.
 *
 * td_daemon_main takes TERM/INT/HUP synchronously; main() blocks them
 * before any thread exists so that every thread inherits the mask.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <nng/nng.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/daemon.h"
#include "log/log.h"
#include "util/buf.h"
#include "util/clock.h"

/* ---- pinning, URLs, versions ---------------------------------------------------------- */

static void
test_pin(void **state)
{
	(void)state;
	cpu_set_t saved;
	assert_int_equal(sched_getaffinity(0, sizeof(saved), &saved), 0);
	char err[256] = "";

	td_cpuset cs;
	assert_int_equal(td_cfg_parse_cpuset("", &cs), 0);
	assert_int_equal(td_daemon_pin(&cs, err, sizeof(err)), 0); /* not pinned: no change */
	cpu_set_t now;
	assert_int_equal(sched_getaffinity(0, sizeof(now), &now), 0);
	assert_true(CPU_EQUAL(&now, &saved));

	assert_int_equal(td_cfg_parse_cpuset("0", &cs), 0);
	assert_int_equal(td_daemon_pin(&cs, err, sizeof(err)), 0);
	assert_int_equal(sched_getaffinity(0, sizeof(now), &now), 0);
	assert_int_equal(CPU_COUNT(&now), 1);
	assert_true(CPU_ISSET(0, &now));

	/* A CPU the machine does not have: an error naming the key. */
	assert_int_equal(td_cfg_parse_cpuset("1023", &cs), 0);
	assert_int_equal(td_daemon_pin(&cs, err, sizeof(err)), TD_EINVAL);
	assert_string_equal(err, "config: key 'cpu.set': cannot pin to it: Invalid argument");
	assert_int_equal(sched_getaffinity(0, sizeof(now), &now), 0);
	assert_int_equal(CPU_COUNT(&now), 1); /* unchanged by the failure */

	assert_int_equal(sched_setaffinity(0, sizeof(saved), &saved), 0);
}

static void
test_ctl_url(void **state)
{
	(void)state;
	char out[128];
	td_daemon_ctl_url("/run/tandem", "", "cdr-writer", out, sizeof(out));
	assert_string_equal(out, "ipc:///run/tandem/cdr-writer.ctl");
	td_daemon_ctl_url("/var/run/x", NULL, "sip-router", out, sizeof(out));
	assert_string_equal(out, "ipc:///var/run/x/sip-router.ctl");
	td_daemon_ctl_url("/run/tandem", "tcp://127.0.0.1:7001", "cdr-writer", out, sizeof(out));
	assert_string_equal(out, "tcp://127.0.0.1:7001");
	td_daemon_ctl_url("/run/tandem", "", "cdr-writer", out, 16);
	assert_string_equal(out, "ipc:///run/tand");
}

static void
test_versions(void **state)
{
	(void)state;
	json_t *v = td_daemon_versions();
	assert_non_null(v);
	static const char *const keys[] = { "tandem", "nng", "libpq", "hiredis", "protobuf-c",
		"libmicrohttpd", "libsodium", "jansson" };
	assert_int_equal(json_object_size(v), TD_ARRAY_LEN(keys));
	for (size_t i = 0; i < TD_ARRAY_LEN(keys); i++) {
		const char *s = json_string_value(json_object_get(v, keys[i]));
		if (s == NULL || s[0] == '\0') {
			fail_msg("no version for %s", keys[i]);
		}
	}
	assert_string_equal(json_string_value(json_object_get(v, "nng")), nng_version());
	assert_string_equal(json_string_value(json_object_get(v, "jansson")), JANSSON_VERSION);
	int pqv = PQlibVersion();
	char want[32];
	snprintf(want, sizeof(want), "%d.%d", pqv / 10000, pqv % 10000);
	assert_string_equal(json_string_value(json_object_get(v, "libpq")), want);
	json_decref(v);
}

/* ---- the command line ------------------------------------------------------------------- */

typedef struct svc_cfg {
	long long level;
	char *greeting;
	bool must_fail_init;
} svc_cfg;

static const td_cfg_key svc_keys[] = {
	{ "svc.level", TD_CFG_INT, offsetof(svc_cfg, level), "1", 0, 9, NULL, TD_CFG_RELOADABLE,
	    "a reloadable level" },
	{ "svc.greeting", TD_CFG_STR, offsetof(svc_cfg, greeting), "hello", 0, 0, NULL, 0,
	    "needs a restart" },
};

static svc_cfg g_svc;
static char g_dir[64];

/* capture runs td_daemon_main with stdout and stderr sent to one memfd. */
static int
capture(const td_daemon_spec *spec, int argc, char **argv, char *out, size_t outlen)
{
	fflush(stdout);
	fflush(stderr);
	int fd = memfd_create("daemon_test_out", 0);
	int o1 = dup(1), o2 = dup(2);
	dup2(fd, 1);
	dup2(fd, 2);
	int rv = td_daemon_main(spec, argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(o1, 1);
	dup2(o2, 2);
	close(o1);
	close(o2);
	ssize_t n = pread(fd, out, outlen - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
	return (rv);
}

static const td_daemon_spec plain_spec = {
	.name = "testd",
	.summary = "a daemon for tests",
	.keys = svc_keys,
	.nkeys = TD_ARRAY_LEN(svc_keys),
	.cfg = &g_svc,
};

static void
test_command_line(void **state)
{
	(void)state;
	char out[4096], rundir[128];
	snprintf(rundir, sizeof(rundir), "run.dir=%s", g_dir);

	char *ok[] = { "testd", "--check-config", "-s", rundir, "--set", "svc.level=3", NULL };
	assert_int_equal(capture(&plain_spec, 6, ok, out, sizeof(out)), 0);
	assert_string_equal(out, "testd: config ok\n");

	char *bad[] = { "testd", "--check-config", "--set", "svc.level=12", NULL };
	assert_int_equal(capture(&plain_spec, 4, bad, out, sizeof(out)), TD_EXIT_CONFIG);
	assert_string_equal(out,
	    "testd: config: key 'svc.level' = '12' (from --set): must be "
	    "between 0 and 9\n");

	char *unknown[] = { "testd", "--check-config", "--set", "nope.key=1", NULL };
	assert_int_equal(capture(&plain_spec, 4, unknown, out, sizeof(out)), TD_EXIT_CONFIG);
	assert_string_equal(out, "testd: --set: unknown key 'nope.key'\n");

	char path[160];
	snprintf(path, sizeof(path), "%s/missing.conf", g_dir);
	char *nofile[] = { "testd", "--check-config", "-c", path, NULL };
	assert_int_equal(capture(&plain_spec, 4, nofile, out, sizeof(out)), TD_EXIT_CONFIG);
	assert_non_null(strstr(out, path));

	char *badopt[] = { "testd", "--bogus", NULL };
	assert_int_equal(capture(&plain_spec, 2, badopt, out, sizeof(out)), 2);
	assert_non_null(strstr(out, "usage: testd [options]"));

	/* CLI mode with no daemon behind the endpoint. */
	char url[160];
	snprintf(url, sizeof(url), "ipc://%s/nobody.ctl", g_dir);
	char *cli[] = { "testd", "--ctl", url, "status", NULL };
	assert_int_equal(capture(&plain_spec, 4, cli, out, sizeof(out)), 1);
	char want[256];
	snprintf(want, sizeof(want), "testd: cannot reach %s: is the daemon running?\n", url);
	assert_string_equal(out, want);
}

/* ---- a full run ------------------------------------------------------------------------------ */

typedef struct run {
	td_daemon *d;
	char url[160];
	int metrics_port;
	int inits, ticks, finis, reloads;
	pthread_t reload_thread;
	bool reload_on_main;
	char failed[512]; /* first failed check in the client thread */
	pthread_t client;
} run;

static run g_run;
static pthread_t g_main_thread;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond) && g_run.failed[0] == '\0') {                                          \
			snprintf(g_run.failed, sizeof(g_run.failed), "%s:%d: %s", __FILE__,        \
			    __LINE__, #cond);                                                      \
		}                                                                                  \
	} while (0)

static json_t *
ctl(const char *cmd, int argc, char **argv, int *rvp, char *err, size_t errlen)
{
	json_t *out = NULL;
	int rv = td_ctl_call(g_run.url, cmd, argc, argv, 10000, &out, err, errlen);
	if (rvp != NULL) {
		*rvp = rv;
	}
	return (out);
}

static size_t
to_buf(char *p, size_t size, size_t n, void *arg)
{
	td_buf_append(arg, p, size * n);
	return (size * n);
}

static long
http_get(const char *path, td_buf *body)
{
	char url[128];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", g_run.metrics_port, path);
	CURL *c = curl_easy_init();
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, to_buf);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
	long status = 0;
	if (curl_easy_perform(c) == CURLE_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	}
	curl_easy_cleanup(c);
	return (status);
}

static int
cmd_ping(void *arg, int argc, char **argv, json_t **out, char *err, size_t errlen)
{
	(void)arg, (void)err, (void)errlen;
	*out = json_pack("{s:s, s:i}", "pong", argc > 0 ? argv[0] : "", "level", (int)g_svc.level);
	return (TD_OK);
}

static void *
client_main(void *arg)
{
	(void)arg;
	char err[512];
	int rv = -1;
	json_t *o = NULL;
	/* The endpoint comes up during start: poll with a bound. */
	int64_t deadline = td_mono_ms() + 10000;
	while ((o = ctl("status", 0, NULL, &rv, err, sizeof(err))) == NULL
	    && td_mono_ms() < deadline) {
		td_sleep_ms(10);
	}
	CHECK(o != NULL);
	if (o == NULL) {
		kill(getpid(), SIGTERM);
		return (NULL);
	}
	CHECK(strcmp(json_string_value(json_object_get(o, "service")), "testd") == 0);
	CHECK(strcmp(json_string_value(json_object_get(o, "node")), "n1") == 0);
	CHECK(json_integer_value(json_object_get(o, "pid")) == getpid());
	CHECK(strcmp(json_string_value(json_object_get(o, "cpu_set")), "unpinned") == 0);
	CHECK(strcmp(json_string_value(json_object_get(o, "extra")), "from spec") == 0);
	CHECK(strcmp(json_string_value(json_object_get(o, "log_level")), "info") == 0);
	json_decref(o);

	o = ctl("help", 0, NULL, &rv, err, sizeof(err));
	CHECK(o != NULL && json_array_size(o) == 8); /* help + 6 built-in + ping */
	json_decref(o);

	char *args[] = { "x" };
	o = ctl("ping", 1, args, &rv, err, sizeof(err));
	CHECK(o != NULL && strcmp(json_string_value(json_object_get(o, "pong")), "x") == 0);
	json_decref(o);

	o = ctl("stats", 0, NULL, &rv, err, sizeof(err));
	CHECK(o != NULL && json_integer_value(json_object_get(o, "ticks")) >= 0);
	json_decref(o);

	o = ctl("config", 0, NULL, &rv, err, sizeof(err));
	CHECK(o != NULL);
	char src[200];
	snprintf(src, sizeof(src), "file %s/testd.conf:2", g_dir);
	CHECK(strcmp(json_string_value(json_object_get(json_object_get(o, "svc.level"), "source")),
	          src)
	    == 0);
	CHECK(strcmp(json_string_value(json_object_get(json_object_get(o, "run.dir"), "source")),
	          "--set")
	    == 0);
	CHECK(json_object_get(o, "cpu.set") != NULL && json_object_get(o, "node.name") != NULL);
	json_decref(o);

	char *dbg[] = { "debug" };
	o = ctl("loglevel", 1, dbg, &rv, err, sizeof(err));
	CHECK(o != NULL && strcmp(json_string_value(json_object_get(o, "level")), "debug") == 0);
	CHECK(td_log_get_level() == TD_LOG_DEBUG);
	json_decref(o);
	char *bogus[] = { "loud" };
	o = ctl("loglevel", 1, bogus, &rv, err, sizeof(err));
	CHECK(o == NULL && rv == TD_EINVAL && strcmp(err, "unknown level 'loud'") == 0);

	o = ctl("metrics", 0, NULL, &rv, err, sizeof(err));
	const char *text = json_string_value(json_object_get(o, "text"));
	CHECK(text != NULL && strstr(text, "# TYPE tandem_build_info gauge\n") != NULL);
	CHECK(text != NULL && strstr(text, "tandem_build_info{service=\"testd\",") != NULL);
	CHECK(text != NULL && strstr(text, "tandem_process_resident_memory_bytes ") != NULL);
	json_decref(o);

	/* Reload: the reloadable key applies (on the main thread), the other is reported. */
	char conf[160];
	snprintf(conf, sizeof(conf), "%s/testd.conf", g_dir);
	FILE *f = fopen(conf, "w");
	fputs("[svc]\nlevel = 7\ngreeting = changed\n[log]\nlevel = warn\n", f);
	fclose(f);
	o = ctl("reload", 0, NULL, &rv, err, sizeof(err));
	CHECK(o != NULL && rv == 0);
	CHECK(o != NULL
	    && strcmp(json_string_value(json_object_get(o, "result")),
	           "reloaded; restart needed for: svc.greeting")
	        == 0);
	json_decref(o);
	CHECK(g_svc.level == 7);
	CHECK(strcmp(g_svc.greeting, "hello") == 0);
	CHECK(g_run.reloads == 1 && g_run.reload_on_main);
	CHECK(td_log_get_level() == TD_LOG_WARN);
	o = ctl("ping", 0, NULL, &rv, err, sizeof(err));
	CHECK(o != NULL && json_integer_value(json_object_get(o, "level")) == 7);
	json_decref(o);

	/* A reload that fails keeps the old config and says why. */
	f = fopen(conf, "w");
	fputs("[svc]\nlevel = 99\n", f);
	fclose(f);
	o = ctl("reload", 0, NULL, &rv, err, sizeof(err));
	CHECK(o == NULL && rv == TD_EINVAL && strstr(err, "'svc.level'") != NULL);
	CHECK(g_svc.level == 7);

	/* Metrics over HTTP. */
	td_buf body = TD_BUF_INIT;
	CHECK(http_get("/metrics", &body) == 200);
	CHECK(body.data != NULL
	    && strstr(body.data, "# TYPE tandem_process_cpu_seconds_total") != NULL);
	td_buf_free(&body);
	CHECK(http_get("/health", &body) == 200);
	td_buf_free(&body);
	CHECK(http_get("/nope", &body) == 404);
	td_buf_free(&body);

	td_daemon_stop(g_run.d);
	return (NULL);
}

static int
spec_init(td_daemon *d)
{
	g_run.d = d;
	g_run.inits++;
	td_daemon_add_cmd(d, &(td_ctl_cmd) { "ping", "[word]", "answers pong", cmd_ping, NULL });
	td_daemon_set_ctx(d, &g_run);
	if (g_svc.must_fail_init) {
		return (-1);
	}
	return (pthread_create(&g_run.client, NULL, client_main, NULL));
}

static void
spec_tick(td_daemon *d)
{
	assert_ptr_equal(td_daemon_ctx(d), &g_run);
	g_run.ticks++;
}

static void
spec_fini(td_daemon *d)
{
	(void)d;
	g_run.finis++;
}

static void
spec_reload(td_daemon *d)
{
	(void)d;
	g_run.reloads++;
	g_run.reload_on_main = pthread_equal(pthread_self(), g_main_thread);
}

static json_t *
spec_status(td_daemon *d)
{
	(void)d;
	return (json_pack("{s:s}", "extra", "from spec"));
}

static json_t *
spec_stats(td_daemon *d)
{
	(void)d;
	return (json_pack("{s:i}", "ticks", g_run.ticks));
}

static int
free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	socklen_t l = sizeof(a);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &l), 0);
	close(fd);
	return (ntohs(a.sin_port));
}

static void
test_full_run(void **state)
{
	(void)state;
	static const td_daemon_spec spec = {
		.name = "testd",
		.summary = "a daemon for tests",
		.keys = svc_keys,
		.nkeys = TD_ARRAY_LEN(svc_keys),
		.cfg = &g_svc,
		.init = spec_init,
		.tick = spec_tick,
		.fini = spec_fini,
		.status = spec_status,
		.stats = spec_stats,
		.reload = spec_reload,
		.tick_ms = 20,
	};
	memset(&g_run, 0, sizeof(g_run));
	g_main_thread = pthread_self();
	g_run.metrics_port = free_port();
	snprintf(g_run.url, sizeof(g_run.url), "ipc://%s/testd.ctl", g_dir);
	char conf[160], rundir[160], metrics[64];
	snprintf(conf, sizeof(conf), "%s/testd.conf", g_dir);
	FILE *f = fopen(conf, "w");
	fputs("[svc]\nlevel = 2\n", f);
	fclose(f);
	snprintf(rundir, sizeof(rundir), "run.dir=%s", g_dir);
	snprintf(metrics, sizeof(metrics), "metrics.listen=127.0.0.1:%d", g_run.metrics_port);
	char *argv[]
	    = { "testd", "-c", conf, "-s", rundir, "-s", "node.name=n1", "-s", metrics, NULL };
	char out[8192];
	int rv = capture(&spec, 9, argv, out, sizeof(out));
	pthread_join(g_run.client, NULL);
	if (g_run.failed[0] != '\0') {
		fail_msg("%s\n--- daemon output ---\n%s", g_run.failed, out);
	}
	assert_int_equal(rv, 0);
	assert_int_equal(g_run.inits, 1);
	assert_int_equal(g_run.finis, 1);
	assert_true(g_run.ticks >= 0);
	assert_non_null(strstr(out, "id=TD-READY"));
	/* After the reload the level is warn: the restart warning shows, TD-STOPPED does not. */
	assert_non_null(strstr(out,
	    "level=warn svc=testd node=n1 id=TD-RELOAD-RESTART "
	    "msg=\"config reloaded; changed keys that need a restart: "
	    "svc.greeting\""));
	assert_non_null(strstr(out, "id=TD-RELOAD-FAIL"));
	assert_null(strstr(out, "id=TD-STOPPED"));
	td_log_set_level(TD_LOG_INFO);
}

static void
test_init_failure(void **state)
{
	(void)state;
	static const td_daemon_spec spec = {
		.name = "testd",
		.summary = "a daemon for tests",
		.keys = svc_keys,
		.nkeys = TD_ARRAY_LEN(svc_keys),
		.cfg = &g_svc,
		.init = spec_init,
		.fini = spec_fini,
	};
	memset(&g_run, 0, sizeof(g_run));
	g_svc.must_fail_init = true;
	char rundir[160];
	snprintf(rundir, sizeof(rundir), "run.dir=%s", g_dir);
	char *argv[] = { "testd", "-s", rundir, NULL };
	char out[4096];
	assert_int_equal(capture(&spec, 3, argv, out, sizeof(out)), 1);
	g_svc.must_fail_init = false;
	assert_int_equal(g_run.finis, 1); /* fini copes with a partial init */
	assert_non_null(strstr(out, "id=TD-INIT-FAIL"));

	/* A control endpoint that cannot be created is a config error naming the key. */
	char *bad[] = { "testd", "-s", rundir, "-s", "ctl.listen=bogus://x", NULL };
	assert_int_equal(capture(&spec, 5, bad, out, sizeof(out)), TD_EXIT_CONFIG);
	assert_non_null(strstr(out, "testd: config: key 'ctl.listen':"));
}

static int
group_setup(void **state)
{
	(void)state;
	snprintf(g_dir, sizeof(g_dir), "/tmp/daemon_test.XXXXXX");
	return (mkdtemp(g_dir) == NULL ? -1 : 0);
}

static int
group_teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_dir);
	return (system(cmd) == 0 ? 0 : -1);
}

int
main(void)
{
	/* Before any thread: every thread inherits this, as in a real daemon. */
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pin),
		cmocka_unit_test(test_ctl_url),
		cmocka_unit_test(test_versions),
		cmocka_unit_test(test_command_line),
		cmocka_unit_test(test_full_run),
		cmocka_unit_test(test_init_failure),
	};
	int rv = cmocka_run_group_tests(tests, group_setup, group_teardown);
	curl_global_cleanup();
	return (rv);
}
