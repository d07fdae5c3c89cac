/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the config loader: defaults, the INI file (sections,
 * comments, quotes, %include), environment and --set precedence, every
 * type's parser and bounds, error messages, masking in td_cfg_show, and
 * td_cfg_reload.  Files are written into a fresh temporary directory per
 * test; TANDEM_* variables are cleared around each test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg/cfg.h"

/* ---- the schema under test ------------------------------------------------- */

typedef struct tcfg {
	char *url;
	char *name;
	long long workers;
	long long any;
	bool flag;
	int64_t timeout_ms;
	int64_t max_body;
	int mode;
	td_cpuset cpus;
	char *password;
	char *dsn;
	long long level;
	char *motd;
} tcfg;

static const char *const modes[] = { "fast", "safe", NULL };

#define OFF(f) offsetof(tcfg, f)
static const td_cfg_key keys[] = {
	{ "redis.url", TD_CFG_STR, OFF(url), NULL, 0, 0, NULL, 0, "required" },
	{ "svc.name", TD_CFG_STR, OFF(name), "tandem", 0, 0, NULL, 0, "a string" },
	{ "svc.workers", TD_CFG_INT, OFF(workers), "4", 1, 64, NULL, 0, "bounded int" },
	{ "svc.any", TD_CFG_INT, OFF(any), "-5", 0, 0, NULL, 0, "unbounded int" },
	{ "svc.flag", TD_CFG_BOOL, OFF(flag), "no", 0, 0, NULL, 0, "a bool" },
	{ "svc.timeout", TD_CFG_MS, OFF(timeout_ms), "5s", 1, 3600000, NULL, 0, "a duration" },
	{ "svc.max_body", TD_CFG_SIZE, OFF(max_body), "64k", 1, 1 << 30, NULL, 0, "a size" },
	{ "svc.mode", TD_CFG_ENUM, OFF(mode), "safe", 0, 0, modes, 0, "an enum" },
	{ "svc.cpus", TD_CFG_CPUSET, OFF(cpus), "", 0, 0, NULL, 0, "a cpu set" },
	{ "db.password", TD_CFG_STR, OFF(password), "", 0, 0, NULL, TD_CFG_SECRET, "a secret" },
	{ "db.dsn", TD_CFG_STR, OFF(dsn), "host=db password=hunter2 dbname=voip", 0, 0, NULL, 0,
	    "a conninfo" },
	{ "svc.level", TD_CFG_INT, OFF(level), "1", 0, 9, NULL, TD_CFG_RELOADABLE, "reloadable" },
	{ "svc.motd", TD_CFG_STR, OFF(motd), "hi", 0, 0, NULL, TD_CFG_RELOADABLE, "reloadable" },
};
#undef OFF

typedef struct fixture {
	char dir[64];
	td_cfg *c;
	tcfg v;
	char err[512];
} fixture;

static void
clear_env(void)
{
	static const char *const vars[] = { "TANDEM_REDIS_URL", "TANDEM_SVC_NAME",
		"TANDEM_SVC_WORKERS", "TANDEM_SVC_ANY", "TANDEM_SVC_FLAG", "TANDEM_SVC_TIMEOUT",
		"TANDEM_SVC_MAX_BODY", "TANDEM_SVC_MODE", "TANDEM_SVC_CPUS", "TANDEM_DB_PASSWORD",
		"TANDEM_DB_DSN", "TANDEM_SVC_LEVEL", "TANDEM_SVC_MOTD" };
	for (size_t i = 0; i < TD_ARRAY_LEN(vars); i++) {
		unsetenv(vars[i]);
	}
}

static int
setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/cfg_test.XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return (-1);
	}
	clear_env();
	f->c = td_cfg_new();
	td_cfg_add(f->c, keys, TD_ARRAY_LEN(keys), &f->v);
	*state = f;
	return (0);
}

static int
teardown(void **state)
{
	fixture *f = *state;
	td_cfg_free(f->c);
	/* td_cfg_free owns and frees the strings in the struct. */
	assert_null(f->v.url);
	assert_null(f->v.name);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0) {
		return (-1);
	}
	clear_env();
	free(f);
	return (0);
}

/*
 * write_file writes text to dir/name (creating subdirectories) and returns
 * the path, in a static buffer that the next call reuses.
 */
static const char *
write_file(fixture *f, const char *name, const char *text)
{
	static char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	char *slash = strrchr(path, '/');
	*slash = '\0';
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", path);
	assert_int_equal(system(cmd), 0);
	*slash = '/';
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	return (path);
}

static char *const url_set[] = { "redis.url=redis://127.0.0.1:6379/0" };

static int
load(fixture *f, const char *path, char *const *sets, size_t nsets)
{
	f->err[0] = '\0';
	return (td_cfg_load(f->c, path, sets, nsets, f->err, sizeof(f->err)));
}

static const char *
show_field(fixture *f, const char *key, const char *field)
{
	static char out[512];
	json_t *o = td_cfg_show(f->c);
	json_t *v = json_object_get(json_object_get(o, key), field);
	assert_non_null(v);
	if (json_is_boolean(v)) {
		snprintf(out, sizeof(out), "%s", json_is_true(v) ? "true" : "false");
	} else {
		snprintf(out, sizeof(out), "%s", json_string_value(v));
	}
	json_decref(o);
	return (out);
}

/* ---- defaults, required keys, precedence ------------------------------------ */

static void
test_defaults(void **state)
{
	fixture *f = *state;
	assert_int_equal(load(f, NULL, url_set, 1), 0);
	assert_string_equal(f->err, "");
	assert_string_equal(f->v.url, "redis://127.0.0.1:6379/0");
	assert_string_equal(f->v.name, "tandem");
	assert_int_equal(f->v.workers, 4);
	assert_int_equal(f->v.any, -5);
	assert_false(f->v.flag);
	assert_int_equal(f->v.timeout_ms, 5000);
	assert_int_equal(f->v.max_body, 65536);
	assert_int_equal(f->v.mode, 1);
	assert_false(f->v.cpus.pinned);
	assert_int_equal(f->v.cpus.ncpus, 0);
	assert_string_equal(f->v.password, "");
	assert_int_equal(f->v.level, 1);
	assert_string_equal(show_field(f, "svc.workers", "source"), "default");
	assert_string_equal(show_field(f, "svc.workers", "value"), "4");
	assert_string_equal(show_field(f, "redis.url", "source"), "--set");
	assert_string_equal(show_field(f, "svc.level", "reloadable"), "true");
	assert_string_equal(show_field(f, "svc.workers", "reloadable"), "false");
}

static void
count_key(const td_cfg_key *k, void *arg)
{
	(void)k;
	(*(int *)arg)++;
}

static void
test_foreach_and_env_name(void **state)
{
	fixture *f = *state;
	int n = 0;
	td_cfg_foreach_key(f->c, count_key, &n);
	assert_int_equal(n, (int)TD_ARRAY_LEN(keys));
	char env[64];
	td_cfg_env_name("redis.url", env, sizeof(env));
	assert_string_equal(env, "TANDEM_REDIS_URL");
	td_cfg_env_name("cdr.batch-size", env, sizeof(env));
	assert_string_equal(env, "TANDEM_CDR_BATCH_SIZE");
	td_cfg_env_name("redis.url", env, 10); /* truncated, still terminated */
	assert_string_equal(env, "TANDEM_RE");
}

static void
test_required_missing(void **state)
{
	fixture *f = *state;
	assert_int_equal(load(f, NULL, NULL, 0), TD_EINVAL);
	assert_non_null(strstr(f->err, "'redis.url'"));
	assert_non_null(strstr(f->err, "TANDEM_REDIS_URL"));
	assert_null(f->v.url);
	/* The environment satisfies it. */
	setenv("TANDEM_REDIS_URL", "redis://envhost", 1);
	assert_int_equal(load(f, NULL, NULL, 0), 0);
	assert_string_equal(f->v.url, "redis://envhost");
	assert_string_equal(show_field(f, "redis.url", "source"), "env TANDEM_REDIS_URL");
}

static void
test_precedence(void **state)
{
	fixture *f = *state;
	const char *path = write_file(f, "p.conf",
	    "[redis]\nurl = redis://filehost\n[svc]\nworkers = 6\nname = fromfile\nany = 7\n");
	assert_int_equal(load(f, path, NULL, 0), 0);
	assert_int_equal(f->v.workers, 6);
	assert_string_equal(f->v.url, "redis://filehost");
	char src[600];
	snprintf(src, sizeof(src), "file %s:4", path);
	assert_string_equal(show_field(f, "svc.workers", "source"), src);

	/* Environment beats the file. */
	setenv("TANDEM_SVC_WORKERS", "8", 1);
	setenv("TANDEM_SVC_NAME", "fromenv", 1);
	assert_int_equal(load(f, path, NULL, 0), 0);
	assert_int_equal(f->v.workers, 8);
	assert_string_equal(f->v.name, "fromenv");
	assert_int_equal(f->v.any, 7);
	assert_string_equal(show_field(f, "svc.workers", "source"), "env TANDEM_SVC_WORKERS");

	/* --set beats the environment; the last --set of a key wins. */
	char *const sets[] = { "svc.workers=10", "svc.name=fromset", "svc.workers=12" };
	assert_int_equal(load(f, path, sets, 3), 0);
	assert_int_equal(f->v.workers, 12);
	assert_string_equal(f->v.name, "fromset");
	assert_string_equal(show_field(f, "svc.workers", "source"), "--set");
	snprintf(src, sizeof(src), "file %s:6", path);
	assert_string_equal(show_field(f, "svc.any", "source"), src);
}

/* ---- the file format ------------------------------------------------------- */

static void
test_file_syntax(void **state)
{
	fixture *f = *state;
	const char *path = write_file(f, "s.conf",
	    "# a comment\n"
	    "; another comment\n"
	    "\n"
	    "   [redis]   \n"
	    "url=redis://h:1/2\n"
	    "[svc]\n"
	    "\tname   =   \"  padded \\\"quoted\\\" back\\\\slash  \"  \n"
	    "mode = FAST\n"
	    "flag = On\n"
	    "cpus = 0-1,3\n"
	    "[ db ]\n"
	    "dsn = host=a password=b#c dbname=d\n"
	    "password = \"\"\n");
	assert_int_equal(load(f, path, NULL, 0), 0);
	assert_string_equal(f->v.url, "redis://h:1/2");
	assert_string_equal(f->v.name, "  padded \"quoted\" back\\slash  ");
	assert_int_equal(f->v.mode, 0);
	assert_true(f->v.flag);
	assert_true(f->v.cpus.pinned);
	assert_int_equal(f->v.cpus.ncpus, 3);
	assert_true(CPU_ISSET(0, &f->v.cpus.mask));
	assert_true(CPU_ISSET(1, &f->v.cpus.mask));
	assert_false(CPU_ISSET(2, &f->v.cpus.mask));
	assert_true(CPU_ISSET(3, &f->v.cpus.mask));
	/* '=' and '#' inside a value are data: no inline comments. */
	assert_string_equal(f->v.dsn, "host=a password=b#c dbname=d");
	assert_string_equal(f->v.password, "");
}

static void
test_file_errors(void **state)
{
	fixture *f = *state;
	static const struct {
		const char *text;
		const char *want; /* after "config <path>:" */
	} cases[] = {
		{ "[svc]\nworkers = 4\nwrokers = 5\n", "3: unknown key 'svc.wrokers'" },
		{ "workers = 4\n", "1: unknown key 'workers'" },
		{ "[svc\nworkers = 4\n", "1: malformed section header" },
		{ "[]\n", "1: malformed section header" },
		{ "[svc] trailing\n", "1: malformed section header" },
		{ "[svc]\n\nworkers\n", "3: expected 'key = value'" },
		{ "[svc]\nname = \"open\n", "2: key 'svc.name': unterminated quoted value" },
		{ "[svc]\nname = \"a\\\"\n", "2: key 'svc.name': unterminated quoted value" },
		{ "[svc]\nname = \"\n", "2: key 'svc.name': unterminated quoted value" },
		{ "%include\n", "1: %include: expected a file name" },
		{ "%include   \n", "1: %include: expected a file name" },
	};
	for (size_t i = 0; i < TD_ARRAY_LEN(cases); i++) {
		const char *path = write_file(f, "e.conf", cases[i].text);
		char want[700];
		snprintf(want, sizeof(want), "config %s:%s", path, cases[i].want);
		int rv = load(f, path, url_set, 1);
		if (rv != TD_EINVAL || strcmp(f->err, want) != 0) {
			fail_msg("case %zu: rv %d, got \"%s\", want \"%s\"", i, rv, f->err, want);
		}
	}
	/* A missing file is an I/O error naming the file. */
	char missing[128];
	snprintf(missing, sizeof(missing), "%s/nope.conf", f->dir);
	assert_int_equal(load(f, missing, url_set, 1), TD_EIO);
	assert_non_null(strstr(f->err, missing));
	assert_non_null(strstr(f->err, "No such file"));
}

static void
test_include(void **state)
{
	fixture *f = *state;
	write_file(f, "conf/common/base.conf", "[svc]\nworkers = 7\nname = base\n");
	write_file(f, "conf/common/deeper.conf", "[db]\npassword = s3cret\n");
	write_file(f, "conf/common/mid.conf", "%include deeper.conf\n[svc]\nany = 99\n");
	const char *path = write_file(f, "conf/main.conf",
	    "[redis]\n"
	    "url = redis://x\n"
	    "%include common/base.conf\n"
	    "%include common/mid.conf\n"
	    "name = main\n"); /* still in [redis]: the include kept our section */
	/* Relative to the including file, not to the working directory. */
	char cwd[PATH_MAX];
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir("/"), 0);
	int rv = load(f, path, NULL, 0);
	assert_int_equal(chdir(cwd), 0);
	assert_int_equal(rv, TD_EINVAL);
	assert_non_null(strstr(f->err, "unknown key 'redis.name'"));

	path = write_file(f, "conf/main.conf",
	    "[redis]\n"
	    "url = redis://x\n"
	    "%include common/base.conf\n"
	    "%include common/mid.conf\n"
	    "[svc]\n"
	    "name = main\n");
	assert_int_equal(chdir("/"), 0);
	rv = load(f, path, NULL, 0);
	assert_int_equal(chdir(cwd), 0);
	assert_int_equal(rv, 0);
	assert_int_equal(f->v.workers, 7);
	assert_int_equal(f->v.any, 99);
	assert_string_equal(f->v.name, "main"); /* later lines override included ones */
	assert_string_equal(f->v.password, "s3cret");
	char src[700];
	snprintf(src, sizeof(src), "file %s/conf/common/base.conf:2", f->dir);
	assert_string_equal(show_field(f, "svc.workers", "source"), src);

	/* An absolute include works from anywhere. */
	char text[600];
	snprintf(text, sizeof(text), "%%include %s/conf/common/base.conf\n", f->dir);
	path = write_file(f, "other/abs.conf", text);
	assert_int_equal(load(f, path, url_set, 1), 0);
	assert_int_equal(f->v.workers, 7);

	/* A missing include names the include. */
	path = write_file(f, "conf/bad.conf", "%include nothere.conf\n");
	assert_int_equal(load(f, path, url_set, 1), TD_EIO);
	assert_non_null(strstr(f->err, "conf/nothere.conf"));
}

static void
test_include_depth(void **state)
{
	fixture *f = *state;
	const char *path = write_file(f, "loop.conf", "%include loop.conf\n");
	assert_int_equal(load(f, path, url_set, 1), TD_EINVAL);
	assert_non_null(strstr(f->err, "nested too deeply"));

	/* Eight levels below the top file are allowed. */
	for (int i = 1; i <= 8; i++) {
		char name[32], text[64];
		snprintf(name, sizeof(name), "d%d.conf", i);
		if (i < 8) {
			snprintf(text, sizeof(text), "%%include d%d.conf\n", i + 1);
		} else {
			snprintf(text, sizeof(text), "[svc]\nworkers = 9\n");
		}
		write_file(f, name, text);
	}
	char top[PATH_MAX];
	snprintf(top, sizeof(top), "%s", write_file(f, "top.conf", "%include d1.conf\n"));
	assert_int_equal(load(f, top, url_set, 1), 0);
	assert_int_equal(f->v.workers, 9);
	/* Nine are not. */
	write_file(f, "d8.conf", "%include d9.conf\n");
	write_file(f, "d9.conf", "[svc]\nworkers = 10\n");
	assert_int_equal(load(f, top, url_set, 1), TD_EINVAL);
	assert_non_null(strstr(f->err, "nested too deeply"));
	assert_int_equal(f->v.workers, 9); /* failed load changed nothing */
}

/* ---- value parsers ------------------------------------------------------------ */

static void
test_parse_bool(void **state)
{
	(void)state;
	static const char *const t[] = { "true", "yes", "on", "1", "TRUE", "Yes", "ON" };
	static const char *const fl[] = { "false", "no", "off", "0", "False", "NO", "Off" };
	static const char *const bad[] = { "", "2", "y", "n", "enable", "true ", "10", "-1" };
	for (size_t i = 0; i < TD_ARRAY_LEN(t); i++) {
		bool b = false;
		assert_int_equal(td_cfg_parse_bool(t[i], &b), 0);
		assert_true(b);
	}
	for (size_t i = 0; i < TD_ARRAY_LEN(fl); i++) {
		bool b = true;
		assert_int_equal(td_cfg_parse_bool(fl[i], &b), 0);
		assert_false(b);
	}
	for (size_t i = 0; i < TD_ARRAY_LEN(bad); i++) {
		bool b;
		if (td_cfg_parse_bool(bad[i], &b) != TD_EINVAL) {
			fail_msg("'%s' accepted as a bool", bad[i]);
		}
	}
}

static void
test_parse_ms(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		int64_t ms;
	} good[] = { { "250ms", 250 }, { "5s", 5000 }, { "2m", 120000 }, { "1h", 3600000 },
		{ "300", 300 }, { "0", 0 }, { "0s", 0 }, { "48h", 172800000 },
		{ "9223372036854775807", INT64_MAX } };
	static const char *const bad[] = { "", "-1", "-5s", "1.5s", "5 s", " 5s", "5S", "1d", "ms",
		"s", "5ms ", "5sec", "0x10", "2562047788015216h", "99999999999999999999" };
	for (size_t i = 0; i < TD_ARRAY_LEN(good); i++) {
		int64_t v = -1;
		assert_int_equal(td_cfg_parse_ms(good[i].in, &v), 0);
		assert_int_equal(v, good[i].ms);
	}
	for (size_t i = 0; i < TD_ARRAY_LEN(bad); i++) {
		int64_t v = 42;
		if (td_cfg_parse_ms(bad[i], &v) != TD_EINVAL) {
			fail_msg("'%s' accepted as a duration (%lld)", bad[i], (long long)v);
		}
	}
}

static void
test_parse_size(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		int64_t bytes;
	} good[] = { { "512", 512 }, { "64k", 65536 }, { "64K", 65536 }, { "10M", 10485760 },
		{ "10m", 10485760 }, { "1G", 1073741824 }, { "1g", 1073741824 }, { "0", 0 },
		{ "8589934591G", 8589934591LL << 30 } };
	static const char *const bad[]
	    = { "", "10MB", "1T", "-1", "k", "1.5M", "1 k", "1kk", "8589934592G", "1e3" };
	for (size_t i = 0; i < TD_ARRAY_LEN(good); i++) {
		int64_t v = -1;
		assert_int_equal(td_cfg_parse_size(good[i].in, &v), 0);
		assert_int_equal(v, good[i].bytes);
	}
	for (size_t i = 0; i < TD_ARRAY_LEN(bad); i++) {
		int64_t v;
		if (td_cfg_parse_size(bad[i], &v) != TD_EINVAL) {
			fail_msg("'%s' accepted as a size", bad[i]);
		}
	}
}

static void
test_parse_cpuset(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		int n;
		int cpus[4];
	} good[] = { { "0", 1, { 0 } }, { "0-1,3", 3, { 0, 1, 3 } }, { "2,3", 2, { 2, 3 } },
		{ "0-0", 1, { 0 } }, { "5-7", 3, { 5, 6, 7 } }, { "1,1", 1, { 1 } },
		{ "1023", 1, { 1023 } } };
	for (size_t i = 0; i < TD_ARRAY_LEN(good); i++) {
		td_cpuset cs;
		assert_int_equal(td_cfg_parse_cpuset(good[i].in, &cs), 0);
		assert_true(cs.pinned);
		assert_int_equal(cs.ncpus, good[i].n);
		assert_int_equal(CPU_COUNT(&cs.mask), good[i].n);
		for (int j = 0; j < good[i].n; j++) {
			assert_true(CPU_ISSET(good[i].cpus[j], &cs.mask));
		}
	}
	td_cpuset cs;
	assert_int_equal(td_cfg_parse_cpuset("", &cs), 0);
	assert_false(cs.pinned);
	assert_int_equal(cs.ncpus, 0);
	static const char *const bad[] = { "1-", "-1", "a", "1,,2", "1,", ",1", "3-1", "0-99999",
		"1024", "1 2", "1;2", " 1", "1-2-3", "99999999999999999999" };
	for (size_t i = 0; i < TD_ARRAY_LEN(bad); i++) {
		if (td_cfg_parse_cpuset(bad[i], &cs) != TD_EINVAL) {
			fail_msg("'%s' accepted as a CPU set", bad[i]);
		}
	}
}

/* Each type through the loader: bounds, and the error names key, value, source. */
static void
test_value_errors(void **state)
{
	fixture *f = *state;
	static const struct {
		const char *set;
		const char *want;
	} cases[] = {
		{ "svc.workers=0",
		    "config: key 'svc.workers' = '0' (from --set): must be between 1 and 64" },
		{ "svc.workers=65",
		    "config: key 'svc.workers' = '65' (from --set): must be between 1 and 64" },
		{ "svc.workers=12abc",
		    "config: key 'svc.workers' = '12abc' (from --set): expected an integer" },
		{ "svc.workers=",
		    "config: key 'svc.workers' = '' (from --set): expected an integer" },
		{ "svc.workers=99999999999999999999",
		    "config: key 'svc.workers' = '99999999999999999999' (from --set): expected an "
		    "integer" },
		{ "svc.flag=maybe",
		    "config: key 'svc.flag' = 'maybe' (from --set): expected true or false" },
		{ "svc.timeout=5 s",
		    "config: key 'svc.timeout' = '5 s' (from --set): expected a duration such as "
		    "250ms, 5s, 2m or 1h" },
		{ "svc.timeout=0",
		    "config: key 'svc.timeout' = '0' (from --set): must be between 1 and 3600000" },
		{ "svc.timeout=2h",
		    "config: key 'svc.timeout' = '2h' (from --set): must be between 1 and "
		    "3600000" },
		{ "svc.max_body=10MB",
		    "config: key 'svc.max_body' = '10MB' (from --set): expected a size such as "
		    "512, 64k or 10M" },
		{ "svc.max_body=2G",
		    "config: key 'svc.max_body' = '2G' (from --set): must be between 1 and "
		    "1073741824" },
		{ "svc.mode=slow",
		    "config: key 'svc.mode' = 'slow' (from --set): expected one of: fast safe" },
		{ "svc.cpus=1-",
		    "config: key 'svc.cpus' = '1-' (from --set): expected a CPU list such as 0-1,3 "
		    "(or empty)" },
		{ "svc.level=10",
		    "config: key 'svc.level' = '10' (from --set): must be between 0 and 9" },
		{ "nosuch.key=1", "--set: unknown key 'nosuch.key'" },
		{ "novalue", "--set 'novalue': expected key=value" },
	};
	for (size_t i = 0; i < TD_ARRAY_LEN(cases); i++) {
		char *const sets[] = { url_set[0], (char *)cases[i].set };
		assert_int_equal(load(f, NULL, sets, 2), TD_EINVAL);
		if (strcmp(f->err, cases[i].want) != 0) {
			fail_msg("'%s': got \"%s\"", cases[i].set, f->err);
		}
	}
	/* Bounds are inclusive; unbounded ints take anything that parses. */
	char *const edge[] = { url_set[0], "svc.workers=64", "svc.timeout=1h",
		"svc.any=-9000000000", "svc.max_body=1G", "svc.level=0" };
	assert_int_equal(load(f, NULL, edge, TD_ARRAY_LEN(edge)), 0);
	assert_int_equal(f->v.workers, 64);
	assert_int_equal(f->v.timeout_ms, 3600000);
	assert_int_equal(f->v.any, -9000000000LL);
	assert_int_equal(f->v.max_body, 1 << 30);

	/* The source of a bad value is named: file and line, or env variable. */
	const char *path = write_file(f, "v.conf", "[svc]\n\nworkers = 100\n");
	char want[700];
	assert_int_equal(load(f, path, url_set, 1), TD_EINVAL);
	snprintf(want, sizeof(want),
	    "config: key 'svc.workers' = '100' (from file %s:3): must be between 1 and 64", path);
	assert_string_equal(f->err, want);
	setenv("TANDEM_SVC_FLAG", "perhaps", 1);
	assert_int_equal(load(f, NULL, url_set, 1), TD_EINVAL);
	assert_string_equal(f->err,
	    "config: key 'svc.flag' = 'perhaps' (from env TANDEM_SVC_FLAG): expected true or "
	    "false");
	/* Nothing was stored by the failed loads. */
	assert_int_equal(f->v.workers, 64);
}

/* ---- show and masking ------------------------------------------------------------ */

static void
test_show_masks_secrets(void **state)
{
	fixture *f = *state;
	static const struct {
		const char *url;
		const char *shown;
	} urls[] = {
		{ "redis://:pw@host:6379/0", "redis://:*@host:6379/0" },
		{ "redis://user:longer-password@host", "redis://user:*@host" },
		{ "redis://user:p@host", "redis://user:*@host" },
		{ "redis://user:@host", "redis://user:@host" },
		{ "redis://:@host", "redis://:@host" },
		{ "redis://host:6379/0", "redis://host:6379/0" },
		{ "redis://host:6379/0?x=a@b", "redis://host:6379/0?x=a@b" },
		{ "redis://u:p:q@host", "redis://u:*@host" },
		{ "unix:///run/redis.sock", "unix:///run/redis.sock" },
		{ "postgresql://app:s3cr@t@db/voip", "postgresql://app:*@db/voip" },
		{ "postgresql://db/voip?user=app&password=s3cr&sslmode=require",
		    "postgresql://db/voip?user=app&password=*&sslmode=require" },
		{ "host=db password=hunter2 dbname=voip", "host=db password=* dbname=voip" },
		{ "host=db password = hunter2 dbname=voip", "host=db password = * dbname=voip" },
		{ "host=db password='a b\\' c' dbname=voip", "host=db password=* dbname=voip" },
		{ "host=db password=", "host=db password=" },
		{ "password=x", "password=*" },
		{ "password=a&b dbname=voip", "password=* dbname=voip" },
		{ "host=db password=one password=two", "host=db password=* password=*" },
		{ "host=db mypassword=visible", "host=db mypassword=visible" },
		{ "", "" },
	};
	for (size_t i = 0; i < TD_ARRAY_LEN(urls); i++) {
		char set[256];
		snprintf(set, sizeof(set), "redis.url=%s", urls[i].url);
		char *const sets[] = { set };
		assert_int_equal(load(f, NULL, sets, 1), 0);
		const char *shown = show_field(f, "redis.url", "value");
		if (strcmp(shown, urls[i].shown) != 0) {
			fail_msg(
			    "'%s' shown as '%s', want '%s'", urls[i].url, shown, urls[i].shown);
		}
		assert_string_equal(f->v.url, urls[i].url); /* the value itself is intact */
	}
	/* The default conninfo of db.dsn, and a SECRET key: masked whole. */
	char *const sets[] = { url_set[0], "db.password=hunter2" };
	assert_int_equal(load(f, NULL, sets, 2), 0);
	assert_string_equal(show_field(f, "db.dsn", "value"), "host=db password=* dbname=voip");
	assert_string_equal(show_field(f, "db.password", "value"), "********");
	assert_string_equal(f->v.password, "hunter2");
	json_t *o = td_cfg_show(f->c);
	char *dump = json_dumps(o, 0);
	assert_null(strstr(dump, "hunter2"));
	free(dump);
	json_decref(o);
	/* An empty secret shows as empty (so "not set" is visible). */
	assert_int_equal(load(f, NULL, url_set, 1), 0);
	assert_string_equal(show_field(f, "db.password", "value"), "");
}

static void
test_secret_not_in_errors(void **state)
{
	fixture *f = *state;
	static const td_cfg_key skeys[] = {
		{ "s.pin", TD_CFG_INT, 0, "1", 0, 9999, NULL, TD_CFG_SECRET, "secret number" },
	};
	long long pin;
	td_cfg *c = td_cfg_new();
	td_cfg_add(c, skeys, 1, &pin);
	char *const sets[] = { "s.pin=12345" };
	char err[256];
	assert_int_equal(td_cfg_load(c, NULL, sets, 1, err, sizeof(err)), TD_EINVAL);
	assert_string_equal(
	    err, "config: key 's.pin' = '(secret)' (from --set): must be between 0 and 9999");
	td_cfg_free(c);
	(void)f;
}

/* ---- reload ---------------------------------------------------------------------- */

static void
test_reload(void **state)
{
	fixture *f = *state;
	const char *path = write_file(
	    f, "r.conf", "[redis]\nurl = redis://a\n[svc]\nlevel = 1\nmotd = hello\nworkers = 4\n");
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s", path);
	assert_int_equal(load(f, p, NULL, 0), 0);
	char restart[256] = "junk", err[256] = "junk";

	/* Unchanged: nothing to do. */
	assert_int_equal(td_cfg_reload(f->c, restart, sizeof(restart), err, sizeof(err)), 0);
	assert_string_equal(restart, "");
	assert_int_equal(f->v.level, 1);

	/* Reloadable keys apply; others are reported and left alone. */
	write_file(
	    f, "r.conf", "[redis]\nurl = redis://b\n[svc]\nlevel = 5\nmotd = bye\nworkers = 8\n");
	assert_int_equal(td_cfg_reload(f->c, restart, sizeof(restart), err, sizeof(err)), 0);
	assert_int_equal(f->v.level, 5);
	assert_string_equal(f->v.motd, "bye");
	assert_int_equal(f->v.workers, 4);
	assert_string_equal(f->v.url, "redis://a");
	assert_string_equal(restart, "redis.url,svc.workers");
	assert_string_equal(show_field(f, "svc.level", "value"), "5");
	assert_string_equal(show_field(f, "svc.workers", "value"), "4"); /* what is in force */

	/* A bad value anywhere: error, and the old config stays. */
	write_file(
	    f, "r.conf", "[redis]\nurl = redis://a\n[svc]\nlevel = 7\nmotd = x\nworkers = 0\n");
	assert_int_equal(
	    td_cfg_reload(f->c, restart, sizeof(restart), err, sizeof(err)), TD_EINVAL);
	assert_non_null(strstr(err, "'svc.workers'"));
	assert_int_equal(f->v.level, 5);
	assert_string_equal(f->v.motd, "bye");
	write_file(f, "r.conf", "[svc]\nbogus = 1\n");
	assert_int_equal(
	    td_cfg_reload(f->c, restart, sizeof(restart), err, sizeof(err)), TD_EINVAL);
	assert_non_null(strstr(err, "unknown key 'svc.bogus'"));
	assert_int_equal(f->v.level, 5);
	unlink(p);
	assert_int_equal(td_cfg_reload(f->c, restart, sizeof(restart), err, sizeof(err)), TD_EIO);
	assert_int_equal(f->v.level, 5);
	assert_string_equal(f->v.motd, "bye");

	/* The environment is read again too. */
	write_file(f, "r.conf", "[redis]\nurl = redis://a\n[svc]\nlevel = 5\nmotd = bye\n");
	setenv("TANDEM_SVC_LEVEL", "6", 1);
	assert_int_equal(td_cfg_reload(f->c, restart, sizeof(restart), err, sizeof(err)), 0);
	assert_int_equal(f->v.level, 6);
	assert_string_equal(show_field(f, "svc.level", "source"), "env TANDEM_SVC_LEVEL");
	unsetenv("TANDEM_SVC_LEVEL");
	assert_int_equal(td_cfg_reload(f->c, restart, sizeof(restart), err, sizeof(err)), 0);
	assert_int_equal(f->v.level, 5);
	/* Same value, new source: the source shown follows. */
	write_file(f, "r.conf", "[redis]\nurl = redis://a\n[svc]\nmotd = bye\n");
	setenv("TANDEM_SVC_LEVEL", "5", 1);
	assert_int_equal(td_cfg_reload(f->c, restart, sizeof(restart), err, sizeof(err)), 0);
	assert_string_equal(show_field(f, "svc.level", "source"), "env TANDEM_SVC_LEVEL");
}

static void
test_reload_keeps_set(void **state)
{
	fixture *f = *state;
	const char *path
	    = write_file(f, "s.conf", "[redis]\nurl = redis://a\n[svc]\nlevel = 1\nmotd = file\n");
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s", path);
	/* The --set strings are the caller's; the cfg must keep its own copies. */
	char *s1 = strdup("svc.level=3"), *s2 = strdup("svc.motd=from set");
	char *sets[] = { s1, s2 };
	assert_int_equal(load(f, p, sets, 2), 0);
	memset(s1, 'X', strlen(s1));
	memset(s2, 'X', strlen(s2));
	free(s1);
	free(s2);
	assert_int_equal(f->v.level, 3);
	assert_string_equal(f->v.motd, "from set");

	write_file(f, "s.conf", "[redis]\nurl = redis://a\n[svc]\nlevel = 7\nmotd = changed\n");
	char restart[256], err[256];
	for (int i = 0; i < 3; i++) {
		assert_int_equal(
		    td_cfg_reload(f->c, restart, sizeof(restart), err, sizeof(err)), 0);
		assert_string_equal(restart, "");
		assert_int_equal(f->v.level, 3); /* --set still beats the file */
		assert_string_equal(f->v.motd, "from set");
		assert_string_equal(show_field(f, "svc.motd", "source"), "--set");
	}
}

static void
test_reload_restart_list_truncates(void **state)
{
	fixture *f = *state;
	const char *path
	    = write_file(f, "t.conf", "[redis]\nurl = redis://a\n[svc]\nworkers = 4\n");
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s", path);
	assert_int_equal(load(f, p, NULL, 0), 0);
	write_file(f, "t.conf",
	    "[redis]\nurl = redis://b\n[svc]\nworkers = 5\nname = n\nany = 1\nmode = fast\n");
	char restart[12], err[256];
	assert_int_equal(td_cfg_reload(f->c, restart, sizeof(restart), err, sizeof(err)), 0);
	assert_string_equal(restart, "redis.url"); /* whole names only, terminated, no overrun */
	assert_int_equal(td_cfg_reload(f->c, NULL, 0, err, sizeof(err)), 0);
}

static void
test_reload_before_load(void **state)
{
	fixture *f = *state;
	char restart[64], err[256];
	/* Nothing loaded yet: reload is a load (no crash on the missing old values). */
	setenv("TANDEM_REDIS_URL", "redis://e", 1);
	assert_int_equal(td_cfg_reload(f->c, restart, sizeof(restart), err, sizeof(err)), 0);
	assert_string_equal(f->v.url, "redis://e");
	assert_int_equal(f->v.workers, 4);
}

/* `config` (td_cfg_show) runs on control threads while SIGHUP reloads on the main one. */
typedef struct race {
	fixture *f;
	_Atomic int stop;
} race;

static void *
shower(void *arg)
{
	race *r = arg;
	while (!r->stop) {
		json_t *o = td_cfg_show(r->f->c);
		const char *v
		    = json_string_value(json_object_get(json_object_get(o, "svc.motd"), "value"));
		if (v == NULL || strncmp(v, "motd-", 5) != 0) {
			r->stop = 2;
		}
		json_decref(o);
	}
	return (NULL);
}

static void
test_show_during_reload(void **state)
{
	fixture *f = *state;
	char *const sets[] = { url_set[0] };
	setenv("TANDEM_SVC_MOTD", "motd-0", 1);
	assert_int_equal(load(f, NULL, sets, 1), 0);
	race r = { .f = f };
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, shower, &r), 0);
	char restart[64], err[256];
	for (int i = 1; i < 3000 && !r.stop; i++) {
		char v[32];
		snprintf(v, sizeof(v), "motd-%d-%s", i, i % 2 ? "a-longer-value-to-realloc" : "s");
		setenv("TANDEM_SVC_MOTD", v, 1);
		assert_int_equal(
		    td_cfg_reload(f->c, restart, sizeof(restart), err, sizeof(err)), 0);
	}
	int bad = r.stop == 2;
	r.stop = 1;
	pthread_join(t, NULL);
	assert_false(bad);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_defaults),
		T(test_foreach_and_env_name),
		T(test_required_missing),
		T(test_precedence),
		T(test_file_syntax),
		T(test_file_errors),
		T(test_include),
		T(test_include_depth),
		T(test_parse_bool),
		T(test_parse_ms),
		T(test_parse_size),
		T(test_parse_cpuset),
		T(test_value_errors),
		T(test_show_masks_secrets),
		T(test_secret_not_in_errors),
		T(test_reload),
		T(test_reload_keeps_set),
		T(test_reload_restart_list_truncates),
		T(test_reload_before_load),
		T(test_show_during_reload),
	};
#undef T
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
