/* SPDX-License-Identifier: MIT */
/* The fleet's config loader: defaults, INI file, environment, --set (see cfg.h). */
#include "cfg/cfg.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/appendf.h"
#include "util/buf.h"
#include "util/mem.h"

#define MAX_INCLUDE_DEPTH 8
#define SOURCE_LEN 256

typedef struct entry {
	const td_cfg_key *k;
	void *base;
	char *raw;               /* text of the value in force (owned) */
	char source[SOURCE_LEN]; /* where raw came from */
} entry;

struct td_cfg {
	entry *e;
	size_t n, cap;
	char *path;   /* config file, for reload */
	char **sets;  /* --set strings, for reload */
	size_t nsets;
	/*
	 * Serialises load, reload and show: `config` runs on control threads
	 * while SIGHUP reloads on the main thread, and reload frees raw text.
	 */
	pthread_mutex_t lock;
};

/* A candidate value while loading: raw text and its source. */
typedef struct cand {
	const char *raw; /* borrowed or owned in pool */
	char source[SOURCE_LEN];
} cand;

td_cfg *
td_cfg_new(void)
{
	td_cfg *c = TD_NEW(td_cfg);
	pthread_mutex_init(&c->lock, NULL);
	return (c);
}

void
td_cfg_add(td_cfg *c, const td_cfg_key *keys, size_t n, void *base)
{
	for (size_t i = 0; i < n; i++) {
		if (c->n == c->cap) {
			c->cap = c->cap ? c->cap * 2 : 32;
			c->e = td_xrealloc(c->e, c->cap * sizeof(entry));
		}
		entry *e = &c->e[c->n++];
		memset(e, 0, sizeof(*e));
		e->k = &keys[i];
		e->base = base;
	}
}

void
td_cfg_env_name(const char *key, char *out, size_t len)
{
	size_t o = 0;
	const char *pfx = "TANDEM_";
	for (; *pfx && o + 1 < len; pfx++) {
		out[o++] = *pfx;
	}
	for (; *key && o + 1 < len; key++) {
		out[o++] = (*key == '.' || *key == '-') ? '_' : (char)toupper((unsigned char)*key);
	}
	out[o] = '\0';
}

static entry *
find(td_cfg *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++) {
		if (strcmp(c->e[i].k->name, name) == 0) {
			return (&c->e[i]);
		}
	}
	return (NULL);
}

/* ---- value parsers ------------------------------------------------------ */

int
td_cfg_parse_bool(const char *s, bool *out)
{
	static const char *yes[] = {"true", "yes", "on", "1"};
	static const char *no[] = {"false", "no", "off", "0"};
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return (TD_OK);
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return (TD_OK);
		}
	}
	return (TD_EINVAL);
}

/* parse_scaled: integer with an optional unit suffix from units[]. */
static int
parse_scaled(const char *s, const char *const *names, const int64_t *mult, int64_t *out)
{
	errno = 0;
	char *end;
	if (!isdigit((unsigned char)*s)) {
		return (TD_EINVAL);
	}
	long long v = strtoll(s, &end, 10);
	if (errno != 0) {
		return (TD_EINVAL);
	}
	int64_t m = 1;
	if (*end != '\0') {
		size_t i;
		for (i = 0; names[i] != NULL; i++) {
			if (strcmp(end, names[i]) == 0) {
				break;
			}
		}
		if (names[i] == NULL) {
			return (TD_EINVAL);
		}
		m = mult[i];
	}
	if (v > INT64_MAX / m) {
		return (TD_EINVAL);
	}
	*out = (int64_t)v * m;
	return (TD_OK);
}

int
td_cfg_parse_ms(const char *s, int64_t *out)
{
	static const char *const n[] = {"ms", "s", "m", "h", NULL};
	static const int64_t m[] = {1, 1000, 60000, 3600000};
	return (parse_scaled(s, n, m, out));
}

int
td_cfg_parse_size(const char *s, int64_t *out)
{
	static const char *const n[] = {"k", "K", "m", "M", "g", "G", NULL};
	static const int64_t m[] = {1024, 1024, 1 << 20, 1 << 20, 1 << 30, 1 << 30};
	return (parse_scaled(s, n, m, out));
}

int
td_cfg_parse_cpuset(const char *s, td_cpuset *out)
{
	memset(out, 0, sizeof(*out));
	CPU_ZERO(&out->mask);
	if (*s == '\0') {
		return (TD_OK);
	}
	const char *p = s;
	while (*p) {
		char *end;
		if (!isdigit((unsigned char)*p)) {
			return (TD_EINVAL);
		}
		long lo = strtol(p, &end, 10), hi = lo;
		p = end;
		if (*p == '-') {
			p++;
			if (!isdigit((unsigned char)*p)) {
				return (TD_EINVAL);
			}
			hi = strtol(p, &end, 10);
			p = end;
		}
		if (lo < 0 || hi < lo || hi >= CPU_SETSIZE) {
			return (TD_EINVAL);
		}
		for (long i = lo; i <= hi; i++) {
			CPU_SET((int)i, &out->mask);
		}
		if (*p == ',') {
			p++;
			if (*p == '\0') {
				return (TD_EINVAL);
			}
		} else if (*p != '\0') {
			return (TD_EINVAL);
		}
	}
	out->pinned = true;
	out->ncpus = CPU_COUNT(&out->mask);
	return (TD_OK);
}

/* ---- typed storage ------------------------------------------------------ */

typedef union value {
	char *s;
	long long i;
	bool b;
	int64_t v64;
	int idx;
	td_cpuset cpu;
} value;

/* parse_value validates raw for key k into v, or explains why not in why. */
static int
parse_value(const td_cfg_key *k, const char *raw, value *v, char *why, size_t wlen)
{
	int64_t x;
	bool bounded = !(k->min == 0 && k->max == 0);

	switch (k->type) {
	case TD_CFG_STR:
		v->s = td_xstrdup(raw);
		return (TD_OK);
	case TD_CFG_BOOL:
		if (td_cfg_parse_bool(raw, &v->b) != 0) {
			snprintf(why, wlen, "expected true or false");
			return (TD_EINVAL);
		}
		return (TD_OK);
	case TD_CFG_INT: {
		errno = 0;
		char *end;
		long long i = strtoll(raw, &end, 10);
		if (errno != 0 || end == raw || *end != '\0') {
			snprintf(why, wlen, "expected an integer");
			return (TD_EINVAL);
		}
		x = i;
		break;
	}
	case TD_CFG_MS:
		if (td_cfg_parse_ms(raw, &x) != 0) {
			snprintf(why, wlen, "expected a duration such as 250ms, 5s, 2m or 1h");
			return (TD_EINVAL);
		}
		break;
	case TD_CFG_SIZE:
		if (td_cfg_parse_size(raw, &x) != 0) {
			snprintf(why, wlen, "expected a size such as 512, 64k or 10M");
			return (TD_EINVAL);
		}
		break;
	case TD_CFG_ENUM:
		for (int i = 0; k->choices != NULL && k->choices[i] != NULL; i++) {
			if (strcasecmp(raw, k->choices[i]) == 0) {
				v->idx = i;
				return (TD_OK);
			}
		}
		{
			size_t o = 0;
			why[0] = '\0';
			(void)td_appendf(why, wlen, &o, "expected one of:");
			for (int i = 0; k->choices != NULL && k->choices[i] != NULL; i++) {
				(void)td_appendf(why, wlen, &o, " %s", k->choices[i]);
			}
		}
		return (TD_EINVAL);
	case TD_CFG_CPUSET:
		if (td_cfg_parse_cpuset(raw, &v->cpu) != 0) {
			snprintf(why, wlen, "expected a CPU list such as 0-1,3 (or empty)");
			return (TD_EINVAL);
		}
		return (TD_OK);
	default:
		snprintf(why, wlen, "unknown key type");
		return (TD_EINVAL);
	}
	if (bounded && (x < k->min || x > k->max)) {
		snprintf(why, wlen, "must be between %lld and %lld", k->min, k->max);
		return (TD_EINVAL);
	}
	if (k->type == TD_CFG_INT) {
		v->i = x;
	} else {
		v->v64 = x;
	}
	return (TD_OK);
}

static void
store_value(entry *e, value *v)
{
	char *dst = (char *)e->base + e->k->offset;
	switch (e->k->type) {
	case TD_CFG_STR: {
		char **sp = (char **)(void *)dst;
		free(*sp);
		*sp = v->s;
		break;
	}
	case TD_CFG_INT: *(long long *)(void *)dst = v->i; break;
	case TD_CFG_BOOL: *(bool *)(void *)dst = v->b; break;
	case TD_CFG_MS:
	case TD_CFG_SIZE: *(int64_t *)(void *)dst = v->v64; break;
	case TD_CFG_ENUM: *(int *)(void *)dst = v->idx; break;
	case TD_CFG_CPUSET: *(td_cpuset *)(void *)dst = v->cpu; break;
	}
}

static void
free_value(const td_cfg_key *k, value *v)
{
	if (k->type == TD_CFG_STR) {
		free(v->s);
		v->s = NULL;
	}
}

/* ---- sources --------------------------------------------------------------- */

/* A loading pass: candidate raw text per entry, and owned strings. */
typedef struct pass {
	td_cfg *c;
	cand *cands;
	char **pool;
	size_t npool, poolcap;
	char *err;
	size_t errlen;
} pass;

static const char *
keep(pass *p, char *s)
{
	if (p->npool == p->poolcap) {
		p->poolcap = p->poolcap ? p->poolcap * 2 : 64;
		p->pool = td_xrealloc(p->pool, p->poolcap * sizeof(char *));
	}
	p->pool[p->npool++] = s;
	return (s);
}

static char *
trim(char *s)
{
	while (isspace((unsigned char)*s)) {
		s++;
	}
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1])) {
		*--e = '\0';
	}
	return (s);
}

/*
 * unquote handles "..." values in place: a backslash takes the next
 * character literally (\" and \\), and the closing quote must end the value.
 */
static int
unquote(char *s)
{
	if (s[0] != '"') {
		return (TD_OK);
	}
	char *w = s;
	for (char *r = s + 1; *r != '\0'; r++) {
		if (*r == '\\' && r[1] != '\0') {
			r++;
		} else if (*r == '"') {
			if (r[1] != '\0') {
				return (TD_EINVAL); /* text after the closing quote */
			}
			*w = '\0';
			return (TD_OK);
		}
		*w++ = *r;
	}
	return (TD_EINVAL);
}

static int read_file(pass *p, const char *path, int depth);

static int
handle_line(pass *p, const char *path, int lineno, char *line, char *section, size_t seclen,
    int depth)
{
	char *s = trim(line);
	if (*s == '\0' || *s == '#' || *s == ';') {
		return (TD_OK);
	}
	if (strncmp(s, "%include", 8) == 0 && (s[8] == '\0' || isspace((unsigned char)s[8]))) {
		char *inc = trim(s + 8);
		char full[PATH_MAX];
		if (*inc == '\0') {
			snprintf(p->err, p->errlen, "config %s:%d: %%include: expected a file name",
			    path, lineno);
			return (TD_EINVAL);
		}
		if (inc[0] == '/') {
			snprintf(full, sizeof(full), "%s", inc);
		} else {
			const char *slash = strrchr(path, '/');
			int dirlen = slash ? (int)(slash - path) : 1;
			snprintf(full, sizeof(full), "%.*s/%s", dirlen, slash ? path : ".", inc);
		}
		return (read_file(p, full, depth + 1));
	}
	if (*s == '[') {
		char *e = strchr(s, ']');
		if (e == NULL || e[1] != '\0' || e == s + 1) {
			snprintf(p->err, p->errlen, "config %s:%d: malformed section header", path,
			    lineno);
			return (TD_EINVAL);
		}
		*e = '\0';
		char *name = trim(s + 1);
		if (*name == '\0') {
			snprintf(p->err, p->errlen, "config %s:%d: malformed section header", path,
			    lineno);
			return (TD_EINVAL);
		}
		snprintf(section, seclen, "%s", name);
		return (TD_OK);
	}
	char *eq = strchr(s, '=');
	if (eq == NULL) {
		snprintf(p->err, p->errlen, "config %s:%d: expected 'key = value'", path, lineno);
		return (TD_EINVAL);
	}
	*eq = '\0';
	char *key = trim(s), *val = trim(eq + 1);
	char name[256];
	if (section[0]) {
		snprintf(name, sizeof(name), "%s.%s", section, key);
	} else {
		snprintf(name, sizeof(name), "%s", key);
	}
	entry *e = find(p->c, name);
	if (e == NULL) {
		snprintf(p->err, p->errlen, "config %s:%d: unknown key '%s'", path, lineno, name);
		return (TD_EINVAL);
	}
	if (unquote(val) != 0) {
		snprintf(p->err, p->errlen, "config %s:%d: key '%s': unterminated quoted value",
		    path, lineno, name);
		return (TD_EINVAL);
	}
	cand *cd = &p->cands[e - p->c->e];
	cd->raw = keep(p, td_xstrdup(val));
	snprintf(cd->source, sizeof(cd->source), "file %s:%d", path, lineno);
	return (TD_OK);
}

static int
read_file(pass *p, const char *path, int depth)
{
	if (depth > MAX_INCLUDE_DEPTH) {
		snprintf(p->err, p->errlen, "config %s: %%include nested too deeply", path);
		return (TD_EINVAL);
	}
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		snprintf(p->err, p->errlen, "config %s: cannot open: %s", path, strerror(errno));
		return (TD_EIO);
	}
	char *line = NULL;
	size_t cap = 0;
	int lineno = 0, rv = TD_OK;
	char section[128] = "";
	while (getline(&line, &cap, f) >= 0) {
		lineno++;
		rv = handle_line(p, path, lineno, line, section, sizeof(section), depth);
		if (rv != 0) {
			break;
		}
	}
	free(line);
	fclose(f);
	return (rv);
}

/* collect gathers the candidate raw value for every entry from all sources. */
static int
collect(pass *p)
{
	td_cfg *c = p->c;
	for (size_t i = 0; i < c->n; i++) {
		p->cands[i].raw = c->e[i].k->def;
		snprintf(p->cands[i].source, SOURCE_LEN, "default");
	}
	if (c->path != NULL) {
		int rv = read_file(p, c->path, 0);
		if (rv != 0) {
			return (rv);
		}
	}
	for (size_t i = 0; i < c->n; i++) {
		char env[256];
		td_cfg_env_name(c->e[i].k->name, env, sizeof(env));
		const char *v = getenv(env);
		if (v != NULL) {
			p->cands[i].raw = keep(p, td_xstrdup(v));
			snprintf(p->cands[i].source, SOURCE_LEN, "env %s", env);
		}
	}
	for (size_t j = 0; j < c->nsets; j++) {
		const char *eq = strchr(c->sets[j], '=');
		if (eq == NULL) {
			snprintf(p->err, p->errlen, "--set '%s': expected key=value", c->sets[j]);
			return (TD_EINVAL);
		}
		char *name = td_xstrndup(c->sets[j], (size_t)(eq - c->sets[j]));
		entry *e = find(c, name);
		if (e == NULL) {
			snprintf(p->err, p->errlen, "--set: unknown key '%s'", name);
			free(name);
			return (TD_EINVAL);
		}
		free(name);
		p->cands[e - c->e].raw = eq + 1;
		snprintf(p->cands[e - c->e].source, SOURCE_LEN, "--set");
	}
	for (size_t i = 0; i < c->n; i++) {
		if (p->cands[i].raw == NULL) {
			char env[256];
			td_cfg_env_name(c->e[i].k->name, env, sizeof(env));
			snprintf(p->err, p->errlen,
			    "config: required key '%s' is not set (set it in the file or %s)",
			    c->e[i].k->name, env);
			return (TD_EINVAL);
		}
	}
	return (TD_OK);
}

/* validate parses every candidate into vals[]; on error explains which key. */
static int
validate(pass *p, value *vals)
{
	td_cfg *c = p->c;
	for (size_t i = 0; i < c->n; i++) {
		char why[256] = "";
		if (parse_value(c->e[i].k, p->cands[i].raw, &vals[i], why, sizeof(why)) != 0) {
			const char *shown = (c->e[i].k->flags & TD_CFG_SECRET) ? "(secret)"
			                                                        : p->cands[i].raw;
			snprintf(p->err, p->errlen, "config: key '%s' = '%s' (from %s): %s",
			    c->e[i].k->name, shown, p->cands[i].source, why);
			for (size_t j = 0; j < i; j++) {
				free_value(c->e[j].k, &vals[j]);
			}
			return (TD_EINVAL);
		}
	}
	return (TD_OK);
}

static void
pass_free(pass *p)
{
	for (size_t i = 0; i < p->npool; i++) {
		free(p->pool[i]);
	}
	free(p->pool);
	free(p->cands);
}

int
td_cfg_load(td_cfg *c, const char *path, char *const *sets, size_t nsets, char *err,
    size_t errlen)
{
	pthread_mutex_lock(&c->lock);
	free(c->path);
	c->path = path ? td_xstrdup(path) : NULL;
	for (size_t j = 0; j < c->nsets; j++) {
		free(c->sets[j]);
	}
	free(c->sets);
	c->sets = td_xcalloc(nsets + 1, sizeof(char *));
	c->nsets = nsets;
	for (size_t j = 0; j < nsets; j++) {
		c->sets[j] = td_xstrdup(sets[j]);
	}

	pass p = {.c = c, .cands = td_xcalloc(c->n + 1, sizeof(cand)), .err = err,
	    .errlen = errlen};
	value *vals = td_xcalloc(c->n + 1, sizeof(value));
	int rv = collect(&p);
	if (rv == 0) {
		rv = validate(&p, vals);
	}
	if (rv == 0) {
		for (size_t i = 0; i < c->n; i++) {
			store_value(&c->e[i], &vals[i]);
			free(c->e[i].raw);
			c->e[i].raw = td_xstrdup(p.cands[i].raw);
			memcpy(c->e[i].source, p.cands[i].source, SOURCE_LEN);
		}
	}
	free(vals);
	pass_free(&p);
	pthread_mutex_unlock(&c->lock);
	return (rv);
}

int
td_cfg_reload(td_cfg *c, char *restart_keys, size_t rklen, char *err, size_t errlen)
{
	pthread_mutex_lock(&c->lock);
	pass p = {.c = c, .cands = td_xcalloc(c->n + 1, sizeof(cand)), .err = err,
	    .errlen = errlen};
	value *vals = td_xcalloc(c->n + 1, sizeof(value));
	size_t rko = 0;
	if (rklen > 0) {
		restart_keys[0] = '\0';
	}
	int rv = collect(&p);
	if (rv == 0) {
		rv = validate(&p, vals);
	}
	if (rv == 0) {
		for (size_t i = 0; i < c->n; i++) {
			entry *e = &c->e[i];
			if (e->raw != NULL && strcmp(e->raw, p.cands[i].raw) == 0) {
				/* Same value; it may come from elsewhere now. */
				memcpy(e->source, p.cands[i].source, SOURCE_LEN);
				free_value(e->k, &vals[i]);
				continue;
			}
			/* Never loaded (reload before a successful load): apply all. */
			if (e->raw != NULL && !(e->k->flags & TD_CFG_RELOADABLE)) {
				(void)td_appendf(restart_keys, rklen, &rko, "%s%s", rko ? "," : "",
				    e->k->name);
				free_value(e->k, &vals[i]);
				continue;
			}
			store_value(e, &vals[i]);
			free(e->raw);
			e->raw = td_xstrdup(p.cands[i].raw);
			memcpy(e->source, p.cands[i].source, SOURCE_LEN);
		}
	}
	free(vals);
	pass_free(&p);
	pthread_mutex_unlock(&c->lock);
	return (rv);
}

/*
 * mask_password_kw masks every "password=value" (libpq conninfo, spaces
 * allowed around '=', value optionally single-quoted with \ escapes; or a
 * URI query parameter, ended by '&') in p, appending the result to b.
 */
static void
mask_password_kw(td_buf *b, const char *p, bool uri)
{
	const char *start = p;
	const char *q = p;
	while ((q = strstr(q, "password")) != NULL) {
		bool word = q == start || isspace((unsigned char)q[-1]) ||
		            (uri && (q[-1] == '?' || q[-1] == '&'));
		const char *v = q + 8;
		while (!uri && *v == ' ') {
			v++;
		}
		if (!word || *v != '=') {
			q += 8;
			continue;
		}
		v++;
		while (!uri && *v == ' ') {
			v++;
		}
		const char *e = v;
		if (!uri && *e == '\'') {
			for (e++; *e && *e != '\''; e++) {
				if (*e == '\\' && e[1] != '\0') {
					e++;
				}
			}
			if (*e == '\'') {
				e++;
			}
		} else {
			e += strcspn(e, uri ? "&# \t" : " \t\n");
		}
		if (e > v) {
			td_buf_append(b, p, (size_t)(v - p));
			td_buf_putc(b, '*');
			p = e;
		}
		q = e > v ? e : v;
	}
	td_buf_puts(b, p);
}

/*
 * mask hides secrets for `show config`: the whole value of SECRET keys,
 * and passwords inside URLs (scheme://user:PASSWORD@host) and libpq
 * conninfo strings (password=...).  Returns a new string.
 */
static char *
mask(const td_cfg_key *k, const char *raw)
{
	if ((k->flags & TD_CFG_SECRET) && raw[0] != '\0') {
		return (td_xstrdup("********"));
	}
	td_buf b = TD_BUF_INIT;
	const char *p = raw;
	const char *sch = strstr(raw, "://");
	if (sch != NULL) {
		/* The authority ends at the path; its userinfo at the last '@'. */
		const char *auth = sch + 3;
		const char *aend = auth + strcspn(auth, "/?#");
		const char *at = NULL;
		for (const char *q = auth; q < aend; q++) {
			if (*q == '@') {
				at = q;
			}
		}
		const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
		if (colon != NULL && colon + 1 < at) {
			td_buf_append(&b, raw, (size_t)(colon + 1 - raw));
			td_buf_putc(&b, '*');
			p = at;
		}
	}
	mask_password_kw(&b, p, sch != NULL);
	return (td_buf_steal(&b, NULL));
}

json_t *
td_cfg_show(const td_cfg *c)
{
	json_t *o = json_object();
	pthread_mutex_t *lock = (pthread_mutex_t *)&c->lock; /* const to callers */
	pthread_mutex_lock(lock);
	for (size_t i = 0; i < c->n; i++) {
		const entry *e = &c->e[i];
		char *shown = mask(e->k, e->raw ? e->raw : "");
		json_object_set_new(o, e->k->name,
		    json_pack("{s:s, s:s, s:b}", "value", shown, "source", e->source, "reloadable",
		        (e->k->flags & TD_CFG_RELOADABLE) != 0));
		free(shown);
	}
	pthread_mutex_unlock(lock);
	return (o);
}

void
td_cfg_foreach_key(const td_cfg *c, void (*fn)(const td_cfg_key *k, void *arg), void *arg)
{
	for (size_t i = 0; i < c->n; i++) {
		fn(c->e[i].k, arg);
	}
}

void
td_cfg_free(td_cfg *c)
{
	if (c == NULL) {
		return;
	}
	for (size_t i = 0; i < c->n; i++) {
		if (c->e[i].k->type == TD_CFG_STR) {
			char **sp = (char **)(void *)((char *)c->e[i].base + c->e[i].k->offset);
			td_free_and_null(sp);
		}
		free(c->e[i].raw);
	}
	for (size_t j = 0; j < c->nsets; j++) {
		free(c->sets[j]);
	}
	free(c->sets);
	free(c->path);
	free(c->e);
	pthread_mutex_destroy(&c->lock);
	free(c);
}
