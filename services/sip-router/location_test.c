/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: the location service against a real redis-server that the
 * test starts on a free loopback port (each test is skipped without one).
 * Redis is killed (-9), stopped (SIGSTOP) and restarted on the same port
 * along the way.  Every wait is bounded; there are no timing thresholds
 * except "did not hang" bounds far above the configured timeouts.
 *
 * LOC_BENCH=1 runs the throughput measurement instead (see
 * docs/location-service.md); build it in the release variant for numbers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h> /* after the four above, which it needs */

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kv/kv.h"
#include "location.h"
#include "log/log.h"
#include "tandem/location.pb-c.h"
#include "util/clock.h"

static pid_t g_redis;
static int g_port;
static char g_url[64];
static bool g_have_redis;
static pid_t g_replica; /* killed at the end even when a test failed half-way */
static char g_dir[64]; /* the servers' working folder: AOF, a replica's RDB */

/* rm_dir removes g_dir and what Redis wrote into it. */
static void
rm_dir(void)
{
	if (g_dir[0] == '\0') {
		return;
	}
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_dir);
	if (system(cmd) != 0) {
		fprintf(stderr, "could not remove %s\n", g_dir);
	}
	g_dir[0] = '\0';
}

/* ---- the test's own Redis -------------------------------------------------- */

static int
free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t l = sizeof(a);
	bind(fd, (struct sockaddr *)&a, sizeof(a));
	getsockname(fd, (struct sockaddr *)&a, &l);
	close(fd);
	return (ntohs(a.sin_port));
}

static bool
redis_spawn(void)
{
	char ps[16];
	snprintf(ps, sizeof(ps), "%d", g_port);
	g_redis = fork();
	if (g_redis == 0) {
		if (freopen("/dev/null", "w", stdout) == NULL) {
			_exit(127);
		}
		if (getenv("LOC_BENCH_FSYNC") != NULL) {
			/* As deployed: every write fsynced before Redis answers. */
			execlp("redis-server", "redis-server", "--port", ps, "--bind", "127.0.0.1",
			    "--save", "", "--appendonly", "yes", "--appendfsync", "always", "--dir",
			    g_dir, (char *)NULL);
			_exit(127);
		}
		execlp("redis-server", "redis-server", "--port", ps, "--bind", "127.0.0.1",
		    "--save", "", "--appendonly", "no", "--dir", g_dir, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200; i++) {
		td_kv *k = td_kv_new(
		    &(td_kv_opts) { .url = g_url, .backoff_min_ms = 1, .backoff_max_ms = 1 });
		int ok = td_kv_ensure(k) == 0;
		td_kv_free(k);
		if (ok) {
			return (true);
		}
		int st;
		if (waitpid(g_redis, &st, WNOHANG) == g_redis) {
			g_redis = 0;
			return (false); /* not installed, or the port was taken */
		}
		td_sleep_ms(25);
	}
	return (false);
}

static void
redis_kill(void)
{
	if (g_redis > 0) {
		kill(g_redis, SIGCONT);
		kill(g_redis, SIGKILL);
		waitpid(g_redis, NULL, 0);
		g_redis = 0;
	}
}

static int
start_redis(void **state)
{
	(void)state;
	td_log_set_level(TD_LOG_ERROR);
	snprintf(g_dir, sizeof(g_dir), "/tmp/loc-test-XXXXXX");
	if (mkdtemp(g_dir) == NULL) {
		g_dir[0] = '\0';
		return (0); /* g_have_redis stays false: every test skips */
	}
	g_port = free_port();
	snprintf(g_url, sizeof(g_url), "redis://127.0.0.1:%d/0", g_port);
	g_have_redis = redis_spawn();
	return (0);
}

static int
stop_redis(void **state)
{
	(void)state;
	redis_kill();
	if (g_replica > 0) {
		kill(g_replica, SIGKILL);
		waitpid(g_replica, NULL, 0);
	}
	rm_dir();
	return (0);
}

/* A direct connection, for looking behind the service's back. */
static td_kv *
rconn(void)
{
	td_kv *k = td_kv_new(&(td_kv_opts) { .url = g_url });
	assert_int_equal(td_kv_ensure(k), 0);
	return (k);
}

static redisReply *
rcmd(td_kv *k, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	redisReply *r = redisvCommand(td_kv_ctx(k), fmt, ap);
	va_end(ap);
	assert_non_null(r);
	assert_int_not_equal(r->type, REDIS_REPLY_ERROR);
	return (r);
}

static long long
rnum(td_kv *k, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	redisReply *r = redisvCommand(td_kv_ctx(k), fmt, ap);
	va_end(ap);
	assert_non_null(r);
	long long v = -1;
	if (r->type == REDIS_REPLY_INTEGER) {
		v = r->integer;
	} else if (r->type == REDIS_REPLY_STRING) {
		v = strtoll(r->str, NULL, 10);
	} else if (r->type == REDIS_REPLY_NIL) {
		v = -1;
	} else {
		fail_msg("unexpected reply type %d", r->type);
	}
	freeReplyObject(r);
	return (v);
}

/* fresh: skips without Redis, else an empty database. */
static void
fresh(void)
{
	if (!g_have_redis) {
		skip();
	}
	if (g_redis == 0) {
		assert_true(redis_spawn());
	}
	kill(g_redis, SIGCONT); /* in case a failed test left it stopped */
	td_kv *k = rconn();
	freeReplyObject(rcmd(k, "FLUSHDB"));
	td_kv_free(k);
}

/* ---- events and completions ------------------------------------------------ */

typedef struct evrec {
	int ev;
	char aor[64];
	char contact[128];
	char call_id[64];
	char node[32];
} evrec;

typedef struct evlog {
	pthread_mutex_t mu;
	int n;
	evrec e[4096];
} evlog;

static void
on_event(void *arg, loc_event ev, const char *aor, const loc_binding *b)
{
	evlog *lg = arg;
	pthread_mutex_lock(&lg->mu);
	if (lg->n < (int)(sizeof(lg->e) / sizeof(lg->e[0]))) {
		evrec *r = &lg->e[lg->n++];
		r->ev = (int)ev;
		snprintf(r->aor, sizeof(r->aor), "%s", aor);
		snprintf(r->contact, sizeof(r->contact), "%s", b->contact);
		snprintf(r->call_id, sizeof(r->call_id), "%s", b->call_id);
		snprintf(r->node, sizeof(r->node), "%s", b->node);
	}
	pthread_mutex_unlock(&lg->mu);
}

static evlog *
evlog_new(void)
{
	evlog *lg = calloc(1, sizeof(*lg));
	pthread_mutex_init(&lg->mu, NULL);
	return (lg);
}

static int
evlog_count(evlog *lg, int ev)
{
	pthread_mutex_lock(&lg->mu);
	int c = 0;
	for (int i = 0; i < lg->n; i++) {
		c += lg->e[i].ev == ev;
	}
	pthread_mutex_unlock(&lg->mu);
	return (c);
}

static void
evlog_free(evlog *lg)
{
	pthread_mutex_destroy(&lg->mu);
	free(lg);
}

static loc *
mkloc(const char *url, const char *node, int64_t ttl_ms, int timeout_ms, evlog *lg)
{
	loc_cfg c = { .redis_url = url,
		.node = node,
		.cache_ttl_ms = ttl_ms,
		.cmd_timeout_ms = timeout_ms,
		.group_max = 64,
		.on_event = lg ? on_event : NULL,
		.event_arg = lg };
	return (loc_new(&c));
}

typedef struct waiter {
	sem_t sem;
	atomic_int calls;
	int rv, n;
	loc_binding b[LOC_MAX_PER_AOR];
} waiter;

static void
on_done(void *arg, int rv, const loc_binding *now, int n)
{
	waiter *w = arg;
	w->rv = rv;
	w->n = n;
	for (int i = 0; i < n && i < LOC_MAX_PER_AOR; i++) {
		w->b[i] = now[i];
	}
	atomic_fetch_add(&w->calls, 1);
	sem_post(&w->sem);
}

static bool
sem_wait_ms(sem_t *s, int64_t ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)(ms / 1000);
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	while (sem_timedwait(s, &ts) != 0) {
		if (errno != EINTR) {
			return (false);
		}
	}
	return (true);
}

/* apply_sync runs one update and waits (bounded) for its callback. */
static int
apply_sync(loc *l, const loc_update *u, int64_t timeout_ms, waiter *w)
{
	memset(w, 0, sizeof(*w));
	sem_init(&w->sem, 0, 0);
	loc_apply(l, u, timeout_ms, on_done, w);
	assert_true(sem_wait_ms(&w->sem, timeout_ms + 15000));
	sem_destroy(&w->sem);
	assert_int_equal(atomic_load(&w->calls), 1);
	return (w->rv);
}

static loc_binding
mkb(const char *contact, uint16_t q, int64_t expires_in_ms)
{
	loc_binding b;
	memset(&b, 0, sizeof(b));
	snprintf(b.contact, sizeof(b.contact), "%s", contact);
	snprintf(b.received, sizeof(b.received), "192.0.2.7:5060");
	b.transport = LOC_UDP;
	b.expires_us = td_wall_us() + expires_in_ms * 1000;
	b.q = q;
	snprintf(b.call_id, sizeof(b.call_id), "cid-%s", contact);
	b.cseq = 1;
	return (b);
}

static loc_update *
upd(const char *aor)
{
	loc_update *u = calloc(1, sizeof(*u));
	snprintf(u->aor, sizeof(u->aor), "%s", aor);
	return (u);
}

static void
set_one(loc *l, const char *aor, const char *contact, uint16_t q, int64_t expires_in_ms)
{
	loc_update *u = upd(aor);
	u->set[0] = mkb(contact, q, expires_in_ms);
	u->nset = 1;
	waiter w;
	assert_int_equal(apply_sync(l, u, 5000, &w), 0);
	free(u);
}

/* ---- tests ------------------------------------------------------------------- */

static void
test_roundtrip_all_fields(void **state)
{
	(void)state;
	fresh();
	evlog *lg = evlog_new();
	loc *a = mkloc(g_url, "node-a", 5000, 1000, lg);
	loc *b = mkloc(g_url, "node-b", 5000, 1000, NULL);
	loc_update *u = upd("alice@example.com");
	loc_binding *s = &u->set[0];
	*s = mkb("sip:alice@198.51.100.4:5062;transport=tcp;ob", 700, 3600 * 1000);
	snprintf(s->received, sizeof(s->received), "[2001:db8::1]:5062");
	s->transport = LOC_TCP;
	snprintf(s->call_id, sizeof(s->call_id), "a84b4c76e66710@pc33");
	s->cseq = 314159;
	snprintf(s->user_agent, sizeof(s->user_agent), "Yealink SIP-T46S 66.86.0.15");
	snprintf(
	    s->instance, sizeof(s->instance), "<urn:uuid:00000000-0000-1000-8000-000A95A0E128>");
	s->reg_id = 2;
	snprintf(s->node, sizeof(s->node), "ignored: the router stamps its own");
	s->updated_us = 1700000000123456LL;
	u->nset = 1;
	waiter w;
	assert_int_equal(apply_sync(a, u, 5000, &w), 0);
	assert_int_equal(w.n, 1);
	assert_string_equal(w.b[0].node, "node-a");

	loc_binding out[4];
	int n = -1;
	assert_int_equal(loc_lookup(b, "alice@example.com", out, 4, &n), 0);
	assert_int_equal(n, 1);
	const loc_binding *g = &out[0];
	assert_string_equal(g->contact, s->contact);
	assert_string_equal(g->received, "[2001:db8::1]:5062");
	assert_int_equal(g->transport, LOC_TCP);
	assert_int_equal(g->expires_us, s->expires_us);
	assert_int_equal(g->q, 700);
	assert_string_equal(g->call_id, "a84b4c76e66710@pc33");
	assert_int_equal(g->cseq, 314159);
	assert_string_equal(g->user_agent, "Yealink SIP-T46S 66.86.0.15");
	assert_string_equal(g->instance, s->instance);
	assert_int_equal(g->reg_id, 2);
	assert_string_equal(g->node, "node-a");
	assert_int_equal(g->updated_us, 1700000000123456LL);
	assert_memory_equal(g, &w.b[0], sizeof(*g));

	/* The documented layout. */
	td_kv *k = rconn();
	assert_int_equal(rnum(k, "HEXISTS tandem:loc:alice@example.com %s", s->contact), 1);
	assert_int_equal(
	    rnum(k, "ZSCORE tandem:loc:expiry %b",
	        "alice@example.com\n"
	        "sip:alice@198.51.100.4:5062;transport=tcp;ob",
	        strlen("alice@example.com\nsip:alice@198.51.100.4:5062;transport=tcp;ob")),
	    s->expires_us);
	redisReply *r = rcmd(k, "HGET tandem:loc:alice@example.com %s", s->contact);
	Tandem__LocBinding *m = tandem__loc_binding__unpack(NULL, r->len, (const uint8_t *)r->str);
	assert_non_null(m);
	assert_string_equal(m->call_id, "a84b4c76e66710@pc33");
	assert_int_equal(m->expires_us, s->expires_us);
	tandem__loc_binding__free_unpacked(m, NULL);
	freeReplyObject(r);
	td_kv_free(k);

	assert_int_equal(evlog_count(lg, LOC_ADDED), 1);
	assert_int_equal(lg->n, 1);
	assert_string_equal(lg->e[0].aor, "alice@example.com");
	assert_string_equal(lg->e[0].call_id, "a84b4c76e66710@pc33");
	assert_string_equal(lg->e[0].node, "node-a");
	loc_stats st;
	loc_stats_get(a, &st);
	assert_int_equal(st.updates, 1);
	assert_true(st.redis_up);
	free(u);
	loc_free(a);
	loc_free(b);
	evlog_free(lg);
}

/* Guarantee 2, the restart half: a new instance finds, serves and expires what the old one wrote.
 */
static void
test_survives_restart(void **state)
{
	(void)state;
	fresh();
	loc *l = mkloc(g_url, "node-a", 5000, 1000, NULL);
	set_one(l, "nia@example.com", "sip:nia@192.0.2.1", 1000, 600000);
	set_one(l, "nia@example.com", "sip:nia@192.0.2.2", 900, 400);
	loc_free(l);
	evlog *lg = evlog_new();
	l = mkloc(g_url, "node-a", 5000, 1000, lg);
	loc_binding out[4];
	int n;
	assert_int_equal(loc_lookup(l, "nia@example.com", out, 4, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(out[0].contact, "sip:nia@192.0.2.1");
	for (int i = 0; i < 100 && evlog_count(lg, LOC_EXPIRED) == 0; i++) {
		td_sleep_ms(20);
		loc_expire_tick(l);
	}
	assert_int_equal(evlog_count(lg, LOC_EXPIRED), 1);
	assert_string_equal(lg->e[0].contact, "sip:nia@192.0.2.2");
	assert_int_equal(loc_lookup(l, "nia@example.com", out, 4, &n), 0);
	assert_int_equal(n, 1);
	loc_free(l);
	evlog_free(lg);
}

static void
test_aor_normalisation(void **state)
{
	(void)state;
	fresh();
	loc *l = mkloc(g_url, "n", 0, 1000, NULL);
	set_one(l, "Alice@EXAMPLE.Com", "sip:a@192.0.2.1", 1000, 60000);
	td_kv *k = rconn();
	assert_int_equal(rnum(k, "EXISTS tandem:loc:Alice@example.com"), 1);
	td_kv_free(k);
	loc_binding out[2];
	int n;
	assert_int_equal(loc_lookup(l, "Alice@example.COM", out, 2, &n), 0);
	assert_int_equal(n, 1);
	/* The user part is case-sensitive. */
	assert_int_equal(loc_lookup(l, "alice@example.com", out, 2, &n), 0);
	assert_int_equal(n, 0);
	/* Not an AOR. */
	assert_int_equal(loc_lookup(l, "example.com", out, 2, &n), TD_EINVAL);
	assert_int_equal(loc_lookup(l, "@example.com", out, 2, &n), TD_EINVAL);
	assert_int_equal(loc_lookup(l, "a\nb@example.com", out, 2, &n), TD_EINVAL);
	loc_update *u = upd("bad\n@example.com");
	u->set[0] = mkb("sip:x@192.0.2.1", 1000, 1000);
	u->nset = 1;
	waiter w;
	assert_int_equal(apply_sync(l, u, 1000, &w), TD_EINVAL);
	/* A contact that is not terminated within its array. */
	snprintf(u->aor, sizeof(u->aor), "ok@example.com");
	memset(u->set[0].contact, 'x', sizeof(u->set[0].contact));
	assert_int_equal(apply_sync(l, u, 1000, &w), TD_EINVAL);
	u->nset = LOC_MAX_PER_AOR + 1;
	assert_int_equal(apply_sync(l, u, 1000, &w), TD_EINVAL);
	free(u);
	loc_free(l);
}

static void
test_several_contacts_q_order(void **state)
{
	(void)state;
	fresh();
	loc *l = mkloc(g_url, "n", 0, 1000, NULL);
	loc_update *u = upd("bob@example.com");
	u->set[0] = mkb("sip:bob@192.0.2.1", 500, 60000);
	u->set[0].updated_us = 1000;
	u->set[1] = mkb("sip:bob@192.0.2.2", 1000, 60000);
	u->set[1].updated_us = 500;
	u->set[2] = mkb("sip:bob@192.0.2.3", 500, 60000);
	u->set[2].updated_us = 2000;
	u->set[3] = mkb("sip:bob@192.0.2.4", 100, 60000);
	u->nset = 4;
	waiter w;
	assert_int_equal(apply_sync(l, u, 5000, &w), 0);
	assert_int_equal(w.n, 4);
	const char *want[] = { "sip:bob@192.0.2.2", "sip:bob@192.0.2.3", "sip:bob@192.0.2.1",
		"sip:bob@192.0.2.4" };
	for (int i = 0; i < 4; i++) {
		assert_string_equal(w.b[i].contact, want[i]);
	}
	loc_binding out[LOC_MAX_PER_AOR];
	int n;
	assert_int_equal(loc_lookup(l, "bob@example.com", out, LOC_MAX_PER_AOR, &n), 0);
	assert_int_equal(n, 4);
	for (int i = 0; i < 4; i++) {
		assert_string_equal(out[i].contact, want[i]);
	}
	/* max bounds the copy: the best ones. */
	assert_int_equal(loc_lookup(l, "bob@example.com", out, 2, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(out[0].contact, want[0]);
	assert_string_equal(out[1].contact, want[1]);
	free(u);
	loc_free(l);
}

static void
test_refresh_keeps_one(void **state)
{
	(void)state;
	fresh();
	evlog *lg = evlog_new();
	loc *l = mkloc(g_url, "n", 0, 1000, lg);
	set_one(l, "carol@example.com", "sip:carol@192.0.2.9", 1000, 60000);
	loc_update *u = upd("carol@example.com");
	u->set[0] = mkb("sip:carol@192.0.2.9", 1000, 120000);
	u->set[0].cseq = 2;
	u->nset = 1;
	waiter w;
	assert_int_equal(apply_sync(l, u, 5000, &w), 0);
	assert_int_equal(w.n, 1);
	assert_int_equal(w.b[0].cseq, 2);
	assert_int_equal(w.b[0].expires_us, u->set[0].expires_us);
	td_kv *k = rconn();
	assert_int_equal(rnum(k, "HLEN tandem:loc:carol@example.com"), 1);
	assert_int_equal(rnum(k, "ZCARD tandem:loc:expiry"), 1);
	assert_int_equal(
	    rnum(k, "ZSCORE tandem:loc:expiry %b", "carol@example.com\nsip:carol@192.0.2.9",
	        strlen("carol@example.com\nsip:carol@192.0.2.9")),
	    u->set[0].expires_us);
	td_kv_free(k);
	assert_int_equal(evlog_count(lg, LOC_ADDED), 1);
	assert_int_equal(evlog_count(lg, LOC_REFRESHED), 1);
	free(u);
	loc_free(l);
	evlog_free(lg);
}

static void
test_remove_one_and_all(void **state)
{
	(void)state;
	fresh();
	evlog *lg = evlog_new();
	loc *l = mkloc(g_url, "n", 0, 1000, lg);
	loc_update *u = upd("dave@example.com");
	u->set[0] = mkb("sip:dave@192.0.2.1", 1000, 60000);
	u->set[1] = mkb("sip:dave@192.0.2.2", 1000, 60000);
	u->set[2] = mkb("sip:dave@192.0.2.3", 1000, 60000);
	u->nset = 3;
	waiter w;
	assert_int_equal(apply_sync(l, u, 5000, &w), 0);
	assert_int_equal(w.n, 3);

	memset(u, 0, sizeof(*u));
	snprintf(u->aor, sizeof(u->aor), "dave@example.com");
	snprintf(u->remove[0], sizeof(u->remove[0]), "sip:dave@192.0.2.2");
	snprintf(u->remove[1], sizeof(u->remove[1]), "sip:dave@192.0.2.99"); /* not there */
	u->nremove = 2;
	assert_int_equal(apply_sync(l, u, 5000, &w), 0);
	assert_int_equal(w.n, 2);
	assert_string_not_equal(w.b[0].contact, "sip:dave@192.0.2.2");
	assert_string_not_equal(w.b[1].contact, "sip:dave@192.0.2.2");
	assert_int_equal(evlog_count(lg, LOC_REMOVED), 1);
	/* The event carries the removed binding as it was stored. */
	assert_string_equal(lg->e[lg->n - 1].contact, "sip:dave@192.0.2.2");
	assert_string_equal(lg->e[lg->n - 1].call_id, "cid-sip:dave@192.0.2.2");
	td_kv *k = rconn();
	assert_int_equal(rnum(k, "ZCARD tandem:loc:expiry"), 2);

	memset(u, 0, sizeof(*u));
	snprintf(u->aor, sizeof(u->aor), "dave@example.com");
	u->remove_all = true;
	assert_int_equal(apply_sync(l, u, 5000, &w), 0);
	assert_int_equal(w.n, 0);
	assert_int_equal(evlog_count(lg, LOC_REMOVED), 3);
	assert_int_equal(rnum(k, "EXISTS tandem:loc:dave@example.com"), 0);
	assert_int_equal(rnum(k, "ZCARD tandem:loc:expiry"), 0);
	td_kv_free(k);
	loc_binding out[4];
	int n;
	assert_int_equal(loc_lookup(l, "dave@example.com", out, 4, &n), 0);
	assert_int_equal(n, 0);
	free(u);
	loc_free(l);
	evlog_free(lg);
}

static void
test_expiry_events(void **state)
{
	(void)state;
	fresh();
	evlog *lg = evlog_new();
	loc *l = mkloc(g_url, "n", 5000, 1000, lg);
	loc_update *u = upd("erin@example.com");
	u->set[0] = mkb("sip:erin@192.0.2.1", 1000, -1000); /* already due */
	u->set[1] = mkb("sip:erin@192.0.2.2", 1000, 1000); /* due in a second */
	u->set[2] = mkb("sip:erin@192.0.2.3", 1000, 3600000);
	u->nset = 3;
	waiter w;
	assert_int_equal(apply_sync(l, u, 5000, &w), 0);
	assert_int_equal(w.n, 2); /* the result never shows an expired binding */
	loc_binding out[4];
	int n;
	assert_int_equal(loc_lookup(l, "erin@example.com", out, 4, &n), 0);
	assert_int_equal(n, 2);

	loc_expire_tick(l);
	assert_int_equal(evlog_count(lg, LOC_EXPIRED), 1);
	assert_string_equal(lg->e[lg->n - 1].contact, "sip:erin@192.0.2.1");
	assert_string_equal(lg->e[lg->n - 1].aor, "erin@example.com");
	loc_stats st;
	loc_stats_get(l, &st);
	assert_int_equal(st.expired, 1);
	assert_int_equal(st.bindings, 2);

	/* The second one goes when its time is up (ticking, bounded). */
	for (int i = 0; i < 100 && evlog_count(lg, LOC_EXPIRED) < 2; i++) {
		td_sleep_ms(50);
		loc_expire_tick(l);
	}
	assert_int_equal(evlog_count(lg, LOC_EXPIRED), 2);
	assert_string_equal(lg->e[lg->n - 1].contact, "sip:erin@192.0.2.2");
	loc_stats_get(l, &st);
	assert_int_equal(st.bindings, 1);
	assert_int_equal(loc_lookup(l, "erin@example.com", out, 4, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(out[0].contact, "sip:erin@192.0.2.3");
	td_kv *k = rconn();
	assert_int_equal(rnum(k, "HLEN tandem:loc:erin@example.com"), 1);
	td_kv_free(k);
	/* Nothing more to do: no further events. */
	loc_expire_tick(l);
	assert_int_equal(evlog_count(lg, LOC_EXPIRED), 2);
	free(u);
	loc_free(l);
	evlog_free(lg);
}

/* A zset member that is due while the stored binding is not (refreshed behind its back). */
static void
test_expiry_checks_stored_value(void **state)
{
	(void)state;
	fresh();
	evlog *lg = evlog_new();
	loc *l = mkloc(g_url, "n", 0, 1000, lg);
	loc_binding b = mkb("sip:fay@192.0.2.1", 1000, 3600000);
	loc_update *u = upd("fay@example.com");
	u->set[0] = b;
	u->nset = 1;
	waiter w;
	assert_int_equal(apply_sync(l, u, 5000, &w), 0);
	td_kv *k = rconn();
	const char *m = "fay@example.com\nsip:fay@192.0.2.1";
	freeReplyObject(rcmd(k, "ZADD tandem:loc:expiry 1000 %b", m, strlen(m)));
	loc_expire_tick(l);
	assert_int_equal(evlog_count(lg, LOC_EXPIRED), 0);
	assert_int_equal(rnum(k, "HLEN tandem:loc:fay@example.com"), 1);
	/* The member is back at the stored expiry. */
	assert_int_equal(rnum(k, "ZSCORE tandem:loc:expiry %b", m, strlen(m)), b.expires_us);
	td_kv_free(k);
	free(u);
	loc_free(l);
	evlog_free(lg);
}

typedef struct ticker {
	loc *l;
	atomic_bool *go;
	int rounds;
} ticker;

static void *
tick_main(void *arg)
{
	ticker *t = arg;
	while (!atomic_load(t->go)) { }
	for (int i = 0; i < t->rounds; i++) {
		loc_expire_tick(t->l);
	}
	return (NULL);
}

static void
test_expiry_two_instances_once(void **state)
{
	(void)state;
	fresh();
	evlog *la = evlog_new(), *lb = evlog_new();
	loc *a = mkloc(g_url, "node-a", 0, 2000, la);
	loc *b = mkloc(g_url, "node-b", 0, 2000, lb);
	enum { NAOR = 150, PER = 10 };
	loc_update *u = upd("x@example.com");
	for (int i = 0; i < NAOR; i++) {
		memset(u, 0, sizeof(*u));
		snprintf(u->aor, sizeof(u->aor), "user%d@example.com", i);
		for (int j = 0; j < PER; j++) {
			char c[64];
			snprintf(c, sizeof(c), "sip:u%d@192.0.2.%d", i, j);
			u->set[j] = mkb(c, 1000, -1 - j);
		}
		u->nset = PER;
		waiter w;
		assert_int_equal(apply_sync(i % 2 ? a : b, u, 5000, &w), 0);
		assert_int_equal(w.n, 0);
	}
	atomic_bool go = false;
	ticker ta = { a, &go, 6 }, tb = { b, &go, 6 };
	pthread_t t1, t2;
	pthread_create(&t1, NULL, tick_main, &ta);
	pthread_create(&t2, NULL, tick_main, &tb);
	atomic_store(&go, true);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	int total = evlog_count(la, LOC_EXPIRED) + evlog_count(lb, LOC_EXPIRED);
	assert_int_equal(total, NAOR * PER);
	/* Each binding exactly once, across both instances. */
	static char seen[NAOR][PER];
	memset(seen, 0, sizeof(seen));
	evlog *logs[2] = { la, lb };
	for (int x = 0; x < 2; x++) {
		for (int i = 0; i < logs[x]->n; i++) {
			evrec *e = &logs[x]->e[i];
			if (e->ev != LOC_EXPIRED) {
				continue;
			}
			int ui, uj, ci, cj;
			assert_int_equal(sscanf(e->aor, "user%d@", &ui), 1);
			assert_int_equal(sscanf(e->contact, "sip:u%d@192.0.2.%d", &ci, &cj), 2);
			uj = cj;
			assert_int_equal(ui, ci);
			assert_int_equal(seen[ui][uj], 0);
			seen[ui][uj] = 1;
		}
	}
	td_kv *k = rconn();
	assert_int_equal(rnum(k, "ZCARD tandem:loc:expiry"), 0);
	assert_int_equal(rnum(k, "DBSIZE"), 0);
	td_kv_free(k);
	loc_stats sa, sb;
	loc_stats_get(a, &sa);
	loc_stats_get(b, &sb);
	assert_int_equal(sa.expired + sb.expired, NAOR * PER);
	free(u);
	loc_free(a);
	loc_free(b);
	evlog_free(la);
	evlog_free(lb);
}

static void
test_cache_ttl_and_invalidate(void **state)
{
	(void)state;
	fresh();
	loc *a = mkloc(g_url, "node-a", 3600000, 1000, NULL); /* trusts its cache for an hour */
	loc *b = mkloc(g_url, "node-b", 0, 1000, NULL);
	loc *c = mkloc(g_url, "node-c", 100, 1000, NULL); /* 100 ms */
	loc_binding out[4];
	int n;
	/* A negative answer is cached too. */
	assert_int_equal(loc_lookup(a, "gus@example.com", out, 4, &n), 0);
	assert_int_equal(n, 0);
	set_one(b, "gus@example.com", "sip:gus@192.0.2.1", 1000, 60000);
	assert_int_equal(loc_lookup(a, "gus@example.com", out, 4, &n), 0);
	assert_int_equal(n, 0); /* stale, by design, until the TTL or an invalidation */
	loc_invalidate(a, "gus@EXAMPLE.com");
	assert_int_equal(loc_lookup(a, "gus@example.com", out, 4, &n), 0);
	assert_int_equal(n, 1);
	loc_stats st;
	loc_stats_get(a, &st);
	assert_int_equal(st.lookups, 3);
	assert_int_equal(st.cache_hits, 1);

	/* The TTL: c sees b's removal once its entry is older than 100 ms. */
	assert_int_equal(loc_lookup(c, "gus@example.com", out, 4, &n), 0);
	assert_int_equal(n, 1);
	loc_update *u = upd("gus@example.com");
	u->remove_all = true;
	waiter w;
	assert_int_equal(apply_sync(b, u, 5000, &w), 0);
	int i;
	for (i = 0; i < 200; i++) {
		assert_int_equal(loc_lookup(c, "gus@example.com", out, 4, &n), 0);
		if (n == 0) {
			break;
		}
		td_sleep_ms(10);
	}
	assert_int_equal(n, 0);

	/* The writer's own result replaces the cache entry: seen at once. */
	assert_int_equal(loc_lookup(a, "hal@example.com", out, 4, &n), 0);
	assert_int_equal(n, 0);
	set_one(a, "hal@example.com", "sip:hal@192.0.2.1", 1000, 60000);
	loc_stats_get(a, &st);
	uint64_t hits = st.cache_hits;
	assert_int_equal(loc_lookup(a, "hal@example.com", out, 4, &n), 0);
	assert_int_equal(n, 1);
	loc_stats_get(a, &st);
	assert_int_equal(st.cache_hits, hits + 1);

	/*
	 * A cached binding that expires is not answered without it: the
	 * phone may have refreshed it through the other node meanwhile.
	 */
	set_one(b, "ivy@example.com", "sip:ivy@192.0.2.1", 1000, 300);
	assert_int_equal(loc_lookup(a, "ivy@example.com", out, 4, &n), 0);
	assert_int_equal(n, 1);
	set_one(b, "ivy@example.com", "sip:ivy@192.0.2.1", 1000, 60000); /* a's entry is now old */
	td_sleep_ms(350);
	assert_int_equal(loc_lookup(a, "ivy@example.com", out, 4, &n), 0);
	assert_int_equal(n, 1);
	free(u);
	loc_free(a);
	loc_free(b);
	loc_free(c);
}

static void
test_cache_bounded(void **state)
{
	(void)state;
	fresh();
	loc_cfg cfg = { .redis_url = g_url,
		.node = "n",
		.cache_ttl_ms = 3600000,
		.cmd_timeout_ms = 1000,
		.cache_max = 64 };
	loc *l = loc_new(&cfg);
	loc_binding out[2];
	int n;
	for (int i = 0; i < 2000; i++) {
		char aor[64];
		snprintf(aor, sizeof(aor), "u%d@example.com", i);
		assert_int_equal(loc_lookup(l, aor, out, 2, &n), 0);
	}
	/* Only what fits stayed: looking the first ones up again goes to Redis. */
	loc_stats st;
	loc_stats_get(l, &st);
	uint64_t hits = st.cache_hits;
	for (int i = 0; i < 100; i++) {
		char aor[64];
		snprintf(aor, sizeof(aor), "u%d@example.com", i);
		assert_int_equal(loc_lookup(l, aor, out, 2, &n), 0);
	}
	loc_stats_get(l, &st);
	assert_true(st.cache_hits - hits < 64);
	loc_free(l);
}

static void
test_redis_killed_and_back(void **state)
{
	(void)state;
	fresh();
	loc *l = mkloc(g_url, "n", 50, 500, NULL);
	set_one(l, "ida@example.com", "sip:ida@192.0.2.1", 1000, 600000);
	loc_binding out[4];
	int n;
	assert_int_equal(loc_lookup(l, "ida@example.com", out, 4, &n), 0);
	assert_int_equal(n, 1);

	redis_kill();
	/* Uncached: fails, fast, again and again. */
	for (int i = 0; i < 20; i++) {
		int64_t t0 = td_mono_ms();
		int rv = loc_lookup(l, "jo@example.com", out, 4, &n);
		assert_true(rv == TD_ECONN || rv == TD_ETIMEDOUT);
		assert_int_equal(n, 0);
		assert_true(td_mono_ms() - t0 < 5000); /* did not hang */
	}
	/* Cached but older than the TTL: the stale bindings are served. */
	td_sleep_ms(60);
	assert_int_equal(loc_lookup(l, "ida@example.com", out, 4, &n), 0);
	assert_int_equal(n, 1);
	/* An update fails after its timeout, exactly once. */
	loc_update *u = upd("jo@example.com");
	u->set[0] = mkb("sip:jo@192.0.2.1", 1000, 60000);
	u->nset = 1;
	waiter w;
	int rv = apply_sync(l, u, 300, &w);
	assert_true(rv == TD_ECONN || rv == TD_ETIMEDOUT);
	assert_int_equal(w.n, 0);
	loc_stats st;
	loc_stats_get(l, &st);
	assert_false(st.redis_up);
	assert_true(st.redis_errors > 0);
	assert_int_equal(st.update_failures, 1);
	loc_expire_tick(l); /* harmless while down */

	/* Back (empty, and without our scripts): everything resumes by itself. */
	assert_true(redis_spawn());
	for (int i = 0; i < 500; i++) {
		rv = loc_lookup(l, "jo@example.com", out, 4, &n);
		if (rv == 0) {
			break;
		}
		td_sleep_ms(20);
	}
	assert_int_equal(rv, 0);
	assert_int_equal(n, 0);
	assert_int_equal(apply_sync(l, u, 10000, &w), 0);
	assert_int_equal(w.n, 1);
	loc_expire_tick(l);
	loc_stats_get(l, &st);
	assert_true(st.redis_up);
	assert_int_equal(st.bindings, 1);

	/* A restart between two lookups is not even seen by the next one. */
	redis_kill();
	assert_true(redis_spawn());
	td_sleep_ms(60); /* past the TTL: the lookup must ask Redis */
	assert_int_equal(loc_lookup(l, "jo@example.com", out, 4, &n), 0);
	assert_int_equal(n, 0); /* the restarted Redis is empty (no persistence here) */
	assert_int_equal(apply_sync(l, u, 10000, &w), 0);
	free(u);
	loc_free(l);
}

/* Redis hangs (SIGSTOP): lookups and updates are bounded by the timeout. */
static void
test_redis_hung(void **state)
{
	(void)state;
	fresh();
	loc *l = mkloc(g_url, "n", 0, 300, NULL);
	set_one(l, "kim@example.com", "sip:kim@192.0.2.1", 1000, 600000);
	kill(g_redis, SIGSTOP);
	loc_binding out[4];
	int n;
	int64_t t0 = td_mono_ms();
	int rv = loc_lookup(l, "lou@example.com", out, 4, &n);
	assert_true(rv == TD_ETIMEDOUT || rv == TD_ECONN);
	assert_true(td_mono_ms() - t0 < 5000);
	/* The router's own write is still cached: served while Redis is out. */
	assert_int_equal(loc_lookup(l, "kim@example.com", out, 4, &n), 0);
	assert_int_equal(n, 1);
	loc_update *u = upd("kim@example.com");
	u->set[0] = mkb("sip:kim@192.0.2.2", 1000, 60000);
	u->nset = 1;
	waiter w;
	rv = apply_sync(l, u, 500, &w);
	assert_true(rv == TD_ETIMEDOUT || rv == TD_ECONN);
	kill(g_redis, SIGCONT);
	for (int i = 0; i < 500; i++) {
		rv = loc_lookup(l, "kim@example.com", out, 4, &n);
		if (rv == 0) {
			break;
		}
		td_sleep_ms(20);
	}
	assert_int_equal(rv, 0);
	assert_true(n >= 1); /* the timed-out update may or may not have landed */
	assert_int_equal(apply_sync(l, u, 10000, &w), 0);
	assert_int_equal(w.n, 2);
	free(u);
	loc_free(l);
}

typedef struct counted {
	atomic_int calls[64];
	atomic_int rvs[64];
} counted;

typedef struct tag {
	counted *c;
	int id;
} tag;

static void
on_counted(void *arg, int rv, const loc_binding *now, int n)
{
	(void)now;
	(void)n;
	tag *t = arg;
	atomic_fetch_add(&t->c->calls[t->id], 1);
	atomic_store(&t->c->rvs[t->id], rv);
}

static void
test_callbacks_once_timeout_and_free(void **state)
{
	(void)state;
	if (!g_have_redis) {
		skip();
	}
	/* Nothing listens on this port. */
	char url[64];
	snprintf(url, sizeof(url), "redis://127.0.0.1:%d/0", free_port());
	loc *l = mkloc(url, "n", 0, 200, NULL);
	counted *c = calloc(1, sizeof(*c));
	tag tags[64];
	loc_update *u = upd("lee@example.com");
	u->set[0] = mkb("sip:lee@192.0.2.1", 1000, 60000);
	u->nset = 1;
	/* 10 with a short timeout, 20 that will still be pending at loc_free. */
	for (int i = 0; i < 30; i++) {
		tags[i] = (tag) { c, i };
		loc_apply(l, u, i < 10 ? 100 : 600000, on_counted, &tags[i]);
	}
	for (int i = 0; i < 500; i++) {
		int done = 0;
		for (int j = 0; j < 10; j++) {
			done += atomic_load(&c->calls[j]);
		}
		if (done == 10) {
			break;
		}
		td_sleep_ms(10);
	}
	for (int j = 0; j < 30; j++) {
		assert_int_equal(atomic_load(&c->calls[j]), j < 10 ? 1 : 0);
	}
	for (int j = 0; j < 10; j++) {
		assert_int_equal(atomic_load(&c->rvs[j]), TD_ECONN);
	}
	loc_free(l);
	for (int j = 0; j < 30; j++) {
		assert_int_equal(atomic_load(&c->calls[j]), 1);
		if (j >= 10) {
			assert_int_equal(atomic_load(&c->rvs[j]), TD_ECLOSED);
		}
	}
	free(u);
	free(c);
}

static void
test_garbage_skipped(void **state)
{
	(void)state;
	fresh();
	evlog *lg = evlog_new();
	loc *l = mkloc(g_url, "n", 0, 1000, lg);
	set_one(l, "max@example.com", "sip:max@192.0.2.1", 1000, 600000);
	td_kv *k = rconn();
	freeReplyObject(rcmd(k, "HSET tandem:loc:max@example.com sip:junk@192.0.2.2 %b",
	    "\xff\xfe garbage", (size_t)10));
	freeReplyObject(
	    rcmd(k, "HSET tandem:loc:max@example.com sip:empty@192.0.2.3 %b", "", (size_t)0));
	/* A valid LocBinding, but for another contact than its field. */
	Tandem__LocBinding m = TANDEM__LOC_BINDING__INIT;
	m.contact = "sip:other@192.0.2.9";
	m.expires_us = td_wall_us() + 600000000LL;
	uint8_t buf[128];
	size_t len = tandem__loc_binding__pack(&m, buf);
	freeReplyObject(
	    rcmd(k, "HSET tandem:loc:max@example.com sip:wrong@192.0.2.4 %b", buf, len));
	freeReplyObject(rcmd(k, "HSET tandem:loc:nobody@example.com sip:junk@192.0.2.2 x"));
	loc_binding out[4];
	int n;
	assert_int_equal(loc_lookup(l, "max@example.com", out, 4, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(out[0].contact, "sip:max@192.0.2.1");
	assert_int_equal(loc_lookup(l, "nobody@example.com", out, 4, &n), 0);
	assert_int_equal(n, 0);
	loc_stats st;
	loc_stats_get(l, &st);
	assert_int_equal(st.malformed, 4);
	/* An update of the AOR still works and skips them in its result. */
	loc_update *u = upd("max@example.com");
	u->set[0] = mkb("sip:max@192.0.2.5", 1000, 600000);
	u->nset = 1;
	waiter w;
	assert_int_equal(apply_sync(l, u, 5000, &w), 0);
	assert_int_equal(w.n, 2);
	/* Due zset members for garbage: collected by score, reported, no crash. */
	const char *mj = "max@example.com\nsip:junk@192.0.2.2";
	freeReplyObject(rcmd(k, "ZADD tandem:loc:expiry 1 %b", mj, strlen(mj)));
	freeReplyObject(rcmd(k, "ZADD tandem:loc:expiry 1 no-newline-here"));
	const char *mg = "ghost@example.com\nsip:ghost@192.0.2.1"; /* no hash field */
	freeReplyObject(rcmd(k, "ZADD tandem:loc:expiry 1 %b", mg, strlen(mg)));
	loc_expire_tick(l);
	assert_int_equal(evlog_count(lg, LOC_EXPIRED), 1);
	assert_string_equal(lg->e[lg->n - 1].contact, "sip:junk@192.0.2.2");
	assert_int_equal(rnum(k, "HEXISTS tandem:loc:max@example.com sip:junk@192.0.2.2"), 0);
	assert_int_equal(rnum(k, "ZCARD tandem:loc:expiry"), 2);
	json_t *j = NULL;
	char err[128];
	assert_int_equal(loc_list(l, 10, &j, err, sizeof(err)), 0);
	assert_int_equal(json_integer_value(json_object_get(j, "aors")), 1);
	assert_int_equal(json_integer_value(json_object_get(j, "bindings")), 2);
	json_decref(j);
	td_kv_free(k);
	free(u);
	loc_free(l);
	evlog_free(lg);
}

static void
test_list(void **state)
{
	(void)state;
	fresh();
	loc *l = mkloc(g_url, "node-x", 0, 1000, NULL);
	for (int i = 0; i < 5; i++) {
		char aor[64], c[64];
		snprintf(aor, sizeof(aor), "l%d@example.com", i);
		snprintf(c, sizeof(c), "sip:l%d@192.0.2.1", i);
		set_one(l, aor, c, 500, 60000);
	}
	json_t *j = NULL;
	char err[128];
	assert_int_equal(loc_list(l, 100, &j, err, sizeof(err)), 0);
	assert_int_equal(json_integer_value(json_object_get(j, "aors")), 5);
	assert_int_equal(json_integer_value(json_object_get(j, "bindings")), 5);
	assert_false(json_is_true(json_object_get(j, "more")));
	json_t *it = json_array_get(json_object_get(j, "items"), 0);
	json_t *b0 = json_array_get(json_object_get(it, "bindings"), 0);
	assert_string_equal(json_string_value(json_object_get(b0, "node")), "node-x");
	assert_string_equal(json_string_value(json_object_get(b0, "transport")), "udp");
	assert_true(json_real_value(json_object_get(b0, "q")) == 0.5);
	json_decref(j);
	assert_int_equal(loc_list(l, 2, &j, err, sizeof(err)), 0);
	assert_int_equal(json_integer_value(json_object_get(j, "aors")), 2);
	assert_true(json_is_true(json_object_get(j, "more")));
	json_decref(j);
	loc_free(l);
}

/* Several router workers looking up at once, from the cache and from Redis. */
typedef struct looker {
	loc *l;
	int seed, rounds;
	int errors, wrong;
} looker;

enum { NLOOK_AORS = 20 };

static void *
look_main(void *arg)
{
	looker *k = arg;
	loc_binding out[LOC_MAX_PER_AOR];
	unsigned s = (unsigned)k->seed;
	for (int i = 0; i < k->rounds; i++) {
		s = s * 1103515245u + 12345u;
		int a = (int)((s >> 8) % NLOOK_AORS);
		char aor[64];
		snprintf(aor, sizeof(aor), "w%d@example.com", a);
		int n;
		if (loc_lookup(k->l, aor, out, LOC_MAX_PER_AOR, &n) != 0) {
			k->errors++;
			continue;
		}
		if (n != a % 3 + 1) {
			k->wrong++;
			continue;
		}
		for (int j = 0; j < n; j++) {
			char want[64];
			snprintf(want, sizeof(want), "sip:w%d@192.0.2.%d", a, j);
			if (strcmp(out[j].contact, want) != 0) {
				k->wrong++;
			}
		}
	}
	return (NULL);
}

static void
test_concurrent_lookups(void **state)
{
	(void)state;
	fresh();
	loc *w = mkloc(g_url, "n", 0, 2000, NULL);
	loc_update *u = upd("x@example.com");
	for (int a = 0; a < NLOOK_AORS; a++) {
		memset(u, 0, sizeof(*u));
		snprintf(u->aor, sizeof(u->aor), "w%d@example.com", a);
		for (int j = 0; j <= a % 3; j++) {
			char c[64];
			snprintf(c, sizeof(c), "sip:w%d@192.0.2.%d", a, j);
			u->set[j] = mkb(c, (uint16_t)(1000 - j * 100), 600000);
		}
		u->nset = a % 3 + 1;
		waiter wt;
		assert_int_equal(apply_sync(w, u, 5000, &wt), 0);
	}
	int64_t ttls[2] = { 0, 20 }; /* always Redis; mostly cache */
	for (int t = 0; t < 2; t++) {
		loc *l = mkloc(g_url, "n", ttls[t], 2000, NULL);
		enum { NT = 8 };
		looker lk[NT];
		pthread_t th[NT];
		for (int i = 0; i < NT; i++) {
			lk[i] = (looker) { l, i + 1, 300, 0, 0 };
			pthread_create(&th[i], NULL, look_main, &lk[i]);
		}
		for (int i = 0; i < NT; i++) {
			pthread_join(th[i], NULL);
			assert_int_equal(lk[i].errors, 0);
			assert_int_equal(lk[i].wrong, 0);
		}
		loc_stats st;
		loc_stats_get(l, &st);
		assert_int_equal(st.lookups, NT * 300);
		assert_int_equal(st.redis_errors, 0);
		if (ttls[t] == 0) {
			assert_int_equal(st.cache_hits, 0);
		}
		loc_free(l);
	}
	free(u);
	loc_free(w);
}

/* Many updates from several threads at once: each callback exactly once. */
enum { NPROD = 4, PER_PROD = 250 };

typedef struct prod {
	loc *l;
	int id;
	atomic_int *calls; /* NPROD * PER_PROD */
	atomic_int *bad;
	atomic_int *done;
} prod;

typedef struct pctx {
	prod *p;
	int i;
	char contact[64];
} pctx;

static void
on_prod_done(void *arg, int rv, const loc_binding *now, int n)
{
	pctx *c = arg;
	atomic_fetch_add(&c->p->calls[c->p->id * PER_PROD + c->i], 1);
	bool found = false;
	for (int j = 0; j < n; j++) {
		found |= strcmp(now[j].contact, c->contact) == 0;
	}
	if (rv != 0 || !found) {
		atomic_fetch_add(c->p->bad, 1);
	}
	atomic_fetch_add(c->p->done, 1);
}

static void *
prod_main(void *arg)
{
	prod *p = arg;
	pctx *ctx = calloc(PER_PROD, sizeof(*ctx));
	loc_update *u = upd("x@example.com");
	for (int i = 0; i < PER_PROD; i++) {
		memset(u, 0, sizeof(*u));
		snprintf(u->aor, sizeof(u->aor), "p%d-%d@example.com", p->id, i % 10);
		ctx[i] = (pctx) { p, i, "" };
		snprintf(ctx[i].contact, sizeof(ctx[i].contact), "sip:p%d@192.0.2.%d", p->id, i);
		u->set[0] = mkb(ctx[i].contact, 1000, 600000);
		u->nset = 1;
		loc_apply(p->l, u, 20000, on_prod_done, &ctx[i]);
	}
	free(u);
	return (ctx);
}

static void
test_pipelined_updates_many_threads(void **state)
{
	(void)state;
	fresh();
	evlog *lg = evlog_new();
	loc *l = mkloc(g_url, "n", 1000, 2000, lg);
	static atomic_int calls[NPROD * PER_PROD];
	atomic_int bad = 0, done = 0;
	for (int i = 0; i < NPROD * PER_PROD; i++) {
		atomic_store(&calls[i], 0);
	}
	prod p[NPROD];
	pthread_t th[NPROD];
	for (int i = 0; i < NPROD; i++) {
		p[i] = (prod) { l, i, calls, &bad, &done };
		pthread_create(&th[i], NULL, prod_main, &p[i]);
	}
	void *ctxs[NPROD];
	for (int i = 0; i < NPROD; i++) {
		pthread_join(th[i], &ctxs[i]);
	}
	for (int i = 0; i < 3000 && atomic_load(&done) < NPROD * PER_PROD; i++) {
		td_sleep_ms(10);
	}
	assert_int_equal(atomic_load(&done), NPROD * PER_PROD);
	for (int i = 0; i < NPROD * PER_PROD; i++) {
		assert_int_equal(atomic_load(&calls[i]), 1);
	}
	assert_int_equal(atomic_load(&bad), 0);
	assert_int_equal(evlog_count(lg, LOC_ADDED), NPROD * PER_PROD);
	td_kv *k = rconn();
	assert_int_equal(rnum(k, "ZCARD tandem:loc:expiry"), NPROD * PER_PROD);
	for (int i = 0; i < NPROD; i++) {
		for (int a = 0; a < 10; a++) {
			assert_int_equal(
			    rnum(k, "HLEN tandem:loc:p%d-%d@example.com", i, a), PER_PROD / 10);
		}
	}
	td_kv_free(k);
	loc_stats st;
	loc_stats_get(l, &st);
	assert_int_equal(st.updates, NPROD * PER_PROD);
	assert_int_equal(st.update_failures, 0);
	loc_free(l);
	/* No late or duplicate callbacks after loc_free either. */
	for (int i = 0; i < NPROD * PER_PROD; i++) {
		assert_int_equal(atomic_load(&calls[i]), 1);
	}
	for (int i = 0; i < NPROD; i++) {
		free(ctxs[i]);
	}
	evlog_free(lg);
}

/* A replica of the test's Redis on another port; 0 if it did not come up. */
static pid_t
replica_spawn(int port, char *url, size_t ulen)
{
	char ps[16], mp[16];
	snprintf(ps, sizeof(ps), "%d", port);
	snprintf(mp, sizeof(mp), "%d", g_port);
	snprintf(url, ulen, "redis://127.0.0.1:%d/0", port);
	pid_t pid = fork();
	if (pid == 0) {
		if (freopen("/dev/null", "w", stdout) == NULL) {
			_exit(127);
		}
		/* Its own folder: a replica writes the initial sync's RDB there. */
		char dir[96];
		snprintf(dir, sizeof(dir), "%s/replica", g_dir);
		if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
			_exit(127);
		}
		execlp("redis-server", "redis-server", "--port", ps, "--bind", "127.0.0.1",
		    "--save", "", "--appendonly", "no", "--dir", dir, "--replicaof", "127.0.0.1",
		    mp, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 400; i++) {
		td_kv *k = td_kv_new(
		    &(td_kv_opts) { .url = url, .backoff_min_ms = 1, .backoff_max_ms = 1 });
		bool up = false;
		if (td_kv_ensure(k) == 0) {
			int rv;
			redisReply *r = td_kv_cmd(k, &rv, "INFO replication");
			up = r != NULL && r->type == REDIS_REPLY_STRING
			    && strstr(r->str, "master_link_status:up") != NULL;
			if (r != NULL) {
				freeReplyObject(r);
			}
		}
		td_kv_free(k);
		if (up) {
			return (pid);
		}
		td_sleep_ms(25);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return (0);
}

/* wait_replicas: acknowledged means on the replica; no replica is counted, not fatal. */
static void
test_replica_wait(void **state)
{
	(void)state;
	fresh();
	char rurl[64];
	pid_t rp = g_replica = replica_spawn(free_port(), rurl, sizeof(rurl));
	assert_true(rp > 0);
	loc_cfg cfg = { .redis_url = g_url,
		.node = "n",
		.cmd_timeout_ms = 2000,
		.wait_replicas = 1,
		.wait_ms = 5000 }; /* a bound, not a speed requirement; clamped to 1 s */
	loc *l = loc_new(&cfg);
	td_kv *rk = td_kv_new(&(td_kv_opts) { .url = rurl });
	assert_int_equal(td_kv_ensure(rk), 0);
	for (int i = 0; i < 20; i++) {
		char aor[64];
		snprintf(aor, sizeof(aor), "r%d@example.com", i);
		set_one(l, aor, "sip:r@192.0.2.1", 1000, 60000);
		loc_stats st;
		loc_stats_get(l, &st);
		assert_int_equal(st.unreplicated, 0); /* the replica confirmed within wait_ms */
		/* So it is on the replica when the callback runs. */
		assert_int_equal(rnum(rk, "HLEN tandem:loc:%s", aor), 1);
	}
	loc_stats st;
	loc_stats_get(l, &st);
	assert_int_equal(st.unreplicated, 0);
	/* A router that talks to the replica (the old master after a failover) cannot write. */
	loc *ro = mkloc(rurl, "n", 0, 300, NULL);
	loc_update *u = upd("r0@example.com");
	u->set[0] = mkb("sip:r@192.0.2.2", 1000, 60000);
	u->nset = 1;
	waiter w;
	int rv = apply_sync(ro, u, 300, &w);
	assert_true(rv == TD_ECONN || rv == TD_ETIMEDOUT);
	loc_binding out[4];
	int n;
	assert_int_equal(loc_lookup(ro, "r0@example.com", out, 4, &n), 0); /* reads work */
	assert_int_equal(n, 1);
	loc_free(ro);
	/* The replica is gone: updates still succeed, counted as unreplicated. */
	td_kv_free(rk);
	kill(rp, SIGKILL);
	waitpid(rp, NULL, 0);
	g_replica = 0;
	assert_int_equal(apply_sync(l, u, 5000, &w), 0);
	assert_int_equal(w.n, 2);
	loc_stats_get(l, &st);
	assert_int_equal(st.unreplicated, 1);
	free(u);
	loc_free(l);
}

/* ---- the measurement (LOC_BENCH=1) ------------------------------------------- */

typedef struct bench_w {
	loc *l;
	int id, n;
	atomic_int *inflight, *done;
} bench_w;

static void
on_bench_done(void *arg, int rv, const loc_binding *now, int n)
{
	(void)now;
	(void)n;
	bench_w *b = arg;
	if (rv != 0) {
		fprintf(stderr, "bench: update failed: %s\n", td_strerror(rv));
	}
	atomic_fetch_sub(b->inflight, 1);
	atomic_fetch_add(b->done, 1);
}

static void *
bench_apply(void *arg)
{
	bench_w *b = arg;
	loc_update *u = upd("x@example.com");
	for (int i = 0; i < b->n; i++) {
		while (atomic_load(b->inflight) >= 512) { /* the router's REGISTERs in flight */
			sched_yield();
		}
		memset(u, 0, sizeof(*u));
		snprintf(u->aor, sizeof(u->aor), "agent%d@example.com", (b->id * b->n + i) % 2000);
		u->set[0] = mkb("sip:agent@192.0.2.1:5060", 1000, 3600000);
		u->nset = 1;
		atomic_fetch_add(b->inflight, 1);
		loc_apply(b->l, u, 10000, on_bench_done, b);
	}
	free(u);
	return (NULL);
}

static void *
bench_lookup(void *arg)
{
	bench_w *b = arg;
	loc_binding out[LOC_MAX_PER_AOR];
	for (int i = 0; i < b->n; i++) {
		char aor[64];
		snprintf(aor, sizeof(aor), "agent%d@example.com", (i * 7 + b->id) % 2000);
		int n;
		if (loc_lookup(b->l, aor, out, LOC_MAX_PER_AOR, &n) != 0 || n != 1) {
			fprintf(stderr, "bench: lookup failed\n");
		}
	}
	atomic_fetch_add(b->done, b->n);
	return (NULL);
}

static double
bench_run(loc *l, void *(*fn)(void *), int threads, int per, atomic_int *done)
{
	atomic_int inflight = 0;
	atomic_store(done, 0);
	bench_w w[8];
	pthread_t th[8];
	int64_t t0 = td_mono_us();
	for (int i = 0; i < threads; i++) {
		w[i] = (bench_w) { l, i, per, &inflight, done };
		pthread_create(&th[i], NULL, fn, &w[i]);
	}
	for (int i = 0; i < threads; i++) {
		pthread_join(th[i], NULL);
	}
	while (atomic_load(done) < threads * per) {
		td_sleep_ms(1);
	}
	return ((double)(threads * per) / ((double)(td_mono_us() - t0) / 1e6));
}

static void
test_bench(void **state)
{
	(void)state;
	fresh();
	atomic_int done;
	loc *l = mkloc(g_url, "bench", 0, 5000, NULL);
	double ups = bench_run(l, bench_apply, 2, 20000, &done);
	double lr = bench_run(l, bench_lookup, 4, 20000, &done);
	/* One REGISTER at a time: the latency an update adds to a 200 OK. */
	loc_update *u = upd("agent0@example.com");
	u->set[0] = mkb("sip:agent@192.0.2.1:5060", 1000, 3600000);
	u->nset = 1;
	waiter w;
	int64_t t0 = td_mono_us();
	for (int i = 0; i < 2000; i++) {
		assert_int_equal(apply_sync(l, u, 5000, &w), 0);
	}
	double one_us = (double)(td_mono_us() - t0) / 2000.0;
	free(u);
	loc_free(l);
	l = mkloc(g_url, "bench", 3600000, 5000, NULL);
	(void)bench_run(l, bench_lookup, 1, 2000, &done); /* warm the cache */
	double lc = bench_run(l, bench_lookup, 4, 200000, &done);
	loc_free(l);
	printf("# updates/s (2 threads, <=512 in flight, group commit): %.0f\n", ups);
	printf("# one update at a time: %.0f us each\n", one_us);
	printf("# lookups/s from Redis (4 threads, cache off): %.0f\n", lr);
	printf("# lookups/s from the cache (4 threads): %.0f\n", lc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_all_fields),
		cmocka_unit_test(test_survives_restart),
		cmocka_unit_test(test_aor_normalisation),
		cmocka_unit_test(test_several_contacts_q_order),
		cmocka_unit_test(test_refresh_keeps_one),
		cmocka_unit_test(test_remove_one_and_all),
		cmocka_unit_test(test_expiry_events),
		cmocka_unit_test(test_expiry_checks_stored_value),
		cmocka_unit_test(test_expiry_two_instances_once),
		cmocka_unit_test(test_cache_ttl_and_invalidate),
		cmocka_unit_test(test_cache_bounded),
		cmocka_unit_test(test_garbage_skipped),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_concurrent_lookups),
		cmocka_unit_test(test_pipelined_updates_many_threads),
		cmocka_unit_test(test_callbacks_once_timeout_and_free),
		cmocka_unit_test(test_replica_wait),
		cmocka_unit_test(test_redis_hung),
		cmocka_unit_test(test_redis_killed_and_back),
	};
	const struct CMUnitTest bench[] = {
		cmocka_unit_test(test_bench),
	};
	if (getenv("LOC_TEST") != NULL) {
		cmocka_set_test_filter(getenv("LOC_TEST")); /* e.g. LOC_TEST='test_replica*' */
	}
	if (getenv("LOC_BENCH") != NULL) {
		return (cmocka_run_group_tests(bench, start_redis, stop_redis));
	}
	return (cmocka_run_group_tests(tests, start_redis, stop_redis));
}
