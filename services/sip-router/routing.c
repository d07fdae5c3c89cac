/* SPDX-License-Identifier: MIT */
/*
 * The routing data, always current (routing.h): publishing snapshots to
 * readers without a lock on their path, and the loader thread that reads
 * PostgreSQL, LISTENs for changes and publishes.  The snapshot itself
 * (rows -> indexes -> lookups) is routing_snap.c.
 *
 * Publishing: a reader-indicator scheme (the "Left-Right" technique of
 * Ramalhete and Correia, reduced to one pointer).  r->cur is the current
 * snapshot, r->epoch is 0 or 1, and r->ind holds, per shard of reader
 * threads, two counters of readers inside a lookup, one per epoch.
 *
 *   reader:  e = load(epoch); ind[shard].n[e] += 1; s = load(cur);
 *            ... copy out of s ...; ind[shard].n[e] -= 1
 *   writer:  old = exchange(cur, new);
 *            wait until sum n[!e] == 0; epoch = !e; wait until sum n[e] == 0;
 *            free(old)
 *
 * Why old is never freed under a reader (all of these are seq_cst, so they
 * fall into one total order S):  a reader holding old loaded cur before the
 * exchange X; its increment I came before that load.  If the writer's scan
 * of that counter read the value without I, then scan < I < load in S, and
 * X < scan, so the load came after X and returned new, a contradiction; so
 * the scan saw I, and the writer waits for the matching decrement (a
 * release, which the scan's load acquires: the reader's reads of old happen
 * before the free).  The two waits cover readers that read either epoch
 * value: the first those still inside under the epoch the previous publish
 * left behind, the second those under the epoch this publish retires.
 *
 * Cost on the read path: one load of epoch, one fetch_add and one
 * fetch_sub on a counter in a cache line of the reader's own shard (threads
 * are spread over RT_SHARDS shards, so workers do not bounce one line), one
 * load of cur.  Readers never wait and never take a lock; only the writer
 * waits, and only for lookups already in progress (microseconds).  A time
 * based grace period would be cheaper still, but "no reader is descheduled
 * for longer than G" is a hope, not a proof; liburcu would do it well but
 * asks every reader thread to register, which would leak into every
 * worker.  Publishers are serialised by a mutex no reader touches.
 */
#include "routing.h"

#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "log/log.h"
#include "metrics/metrics.h"
#include "pg/pg.h"
#include "routing_snap.h"
#include "util/backoff.h"
#include "util/clock.h"
#include "util/mem.h"

#define RT_SHARDS 32
#define RT_DEFAULT_INTERVAL_MS 300000
#define RT_DEFAULT_DEBOUNCE_MS 200
#define RT_DNS_TTL_MS 60000 /* a trunk host is resolved again after this long */
#define RT_ADDRS_PER_HOST 16
#define RT_STATEMENT_TIMEOUT_MS 10000
#define RT_CHANNEL "tandem_routing"

/*
 * 64 bytes per shard: whatever the array's alignment, the counters of two
 * shards (16 bytes at the same offset of 64-byte strides) never share a
 * cache line.
 */
typedef struct rt_ind {
	_Atomic uint64_t n[2]; /* readers inside, per epoch */
	char pad[64 - 2 * sizeof(uint64_t)];
} rt_ind;

/* A resolved trunk host (loader thread only). */
typedef struct rt_dns {
	char *host;
	struct sockaddr_storage addrs[RT_ADDRS_PER_HOST];
	int naddrs; /* 0: did not resolve */
	int64_t at_ms;
	bool used; /* by the load in progress */
} rt_dns;

typedef struct rt_trunk_host {
	char *name, *host;
} rt_trunk_host;

struct rt {
	_Atomic(rt_snap *) cur;
	_Atomic unsigned epoch;
	rt_ind ind[RT_SHARDS];

	pthread_mutex_t pub_mu; /* publishers only */
	uint64_t version; /* under pub_mu */

	_Atomic bool ready;
	_Atomic bool pg_up;
	_Atomic uint64_t loads, failures, notifies;

	/* loader */
	bool has_loader;
	pthread_t th;
	int wake_fd;
	_Atomic bool stop;
	_Atomic bool reload_req;
	char *dsn;
	int64_t interval_ms, debounce_ms;
	td_pg *pg; /* loader thread only */
	rt_dns *dns; /* loader thread only */
	int ndns;

	struct {
		td_counter *loads, *failures, *notifies;
		td_gauge *version, *loaded_at, *pg_up, *ready;
		td_gauge *domains, *users, *extensions, *trunk_routes, *trunk_addrs;
		td_gauge *skipped, *unresolved;
		td_histogram *duration;
	} m;
};

/* ---- readers ------------------------------------------------------------------ */

static _Atomic unsigned rt_next_shard;
static _Thread_local unsigned rt_my_shard = UINT_MAX;

typedef struct rt_pin {
	_Atomic uint64_t *n;
} rt_pin;

static const rt_snap *
pin(rt *r, rt_pin *p)
{
	if (rt_my_shard == UINT_MAX) {
		rt_my_shard = atomic_fetch_add(&rt_next_shard, 1) % RT_SHARDS;
	}
	unsigned e = atomic_load(&r->epoch);
	p->n = &r->ind[rt_my_shard].n[e];
	atomic_fetch_add(p->n, 1);
	return (atomic_load(&r->cur));
}

static void
unpin(rt_pin *p)
{
	atomic_fetch_sub_explicit(p->n, 1, memory_order_release);
}

/* cur_version: the version in force (for log lines). */
static uint64_t
cur_version(rt *r)
{
	rt_snap_info in;
	rt_pin p;
	rt_snap_info_get(pin(r, &p), &in);
	unpin(&p);
	return (in.version);
}

/* ---- publishing -------------------------------------------------------------- */

/* drain waits until no reader is inside under epoch e. */
static void
drain(rt *r, unsigned e)
{
	for (unsigned spins = 0;; spins++) {
		uint64_t in = 0;
		for (int i = 0; i < RT_SHARDS; i++) {
			in += atomic_load(&r->ind[i].n[e]);
		}
		if (in == 0) {
			return;
		}
		if (spins < 64) {
			sched_yield();
		} else {
			struct timespec ts = { 0, 50000 };
			nanosleep(&ts, NULL);
		}
	}
}

static void
gauges_set(rt *r, const rt_snap *s)
{
	rt_snap_info in;
	rt_snap_info_get(s, &in);
	td_gauge_set(r->m.version, (double)in.version);
	td_gauge_set(r->m.loaded_at, (double)in.loaded_at_us / 1e6);
	td_gauge_set(r->m.domains, in.domains);
	td_gauge_set(r->m.users, in.users);
	td_gauge_set(r->m.extensions, in.extensions);
	td_gauge_set(r->m.trunk_routes, in.trunk_routes);
	td_gauge_set(r->m.trunk_addrs, in.trunk_addrs);
	td_gauge_set(r->m.skipped, in.skipped);
	td_gauge_set(r->m.unresolved, in.unresolved);
	td_gauge_set(r->m.ready, 1);
}

uint64_t
rt_publish(rt *r, rt_snap *s)
{
	pthread_mutex_lock(&r->pub_mu);
	uint64_t v = ++r->version;
	rt_snap_stamp(s, v, td_wall_us());
	rt_snap *old = atomic_exchange(&r->cur, s);
	unsigned e = atomic_load(&r->epoch);
	drain(r, !e);
	atomic_store(&r->epoch, !e);
	drain(r, e);
	atomic_store(&r->ready, true);
	gauges_set(r, s);
	pthread_mutex_unlock(&r->pub_mu);
	rt_snap_free(old);
	return (v);
}

static rt *
rt_alloc(void)
{
	rt *r = TD_NEW(rt);
	pthread_mutex_init(&r->pub_mu, NULL);
	atomic_init(&r->cur, rt_builder_finish(rt_builder_new())); /* empty, version 0 */
	r->wake_fd = -1;
	const char *lab = NULL;
	r->m.loads = td_metrics_counter(
	    "tandem_sip_routing_loads_total", "routing snapshots loaded from PostgreSQL", lab);
	r->m.failures = td_metrics_counter("tandem_sip_routing_load_failures_total",
	    "routing loads that failed (the previous snapshot stays in force)", lab);
	r->m.notifies = td_metrics_counter("tandem_sip_routing_notifications_total",
	    "change notifications received on channel tandem_routing", lab);
	r->m.version = td_metrics_gauge("tandem_sip_routing_version",
	    "version of the routing snapshot in force (0: none loaded yet)", lab);
	r->m.loaded_at = td_metrics_gauge("tandem_sip_routing_loaded_timestamp_seconds",
	    "when the routing snapshot in force was published (Unix time)", lab);
	r->m.pg_up = td_metrics_gauge("tandem_sip_routing_pg_up",
	    "1 while the routing loader is connected to PostgreSQL", lab);
	r->m.ready = td_metrics_gauge(
	    "tandem_sip_routing_ready", "1 once a routing snapshot has been loaded", lab);
	const char *h = "entries in the routing snapshot in force";
	r->m.domains = td_metrics_gauge("tandem_sip_routing_entries", h, "kind=\"domains\"");
	r->m.users = td_metrics_gauge("tandem_sip_routing_entries", h, "kind=\"users\"");
	r->m.extensions = td_metrics_gauge("tandem_sip_routing_entries", h, "kind=\"extensions\"");
	r->m.trunk_routes
	    = td_metrics_gauge("tandem_sip_routing_entries", h, "kind=\"trunk_routes\"");
	r->m.trunk_addrs
	    = td_metrics_gauge("tandem_sip_routing_entries", h, "kind=\"trunk_addresses\"");
	r->m.skipped = td_metrics_gauge("tandem_sip_routing_skipped_rows",
	    "invalid rows left out of the routing snapshot in force (see SIPR-ROUTING-SKIP logs)",
	    lab);
	r->m.unresolved = td_metrics_gauge("tandem_sip_routing_unresolved_trunk_hosts",
	    "trunk hosts that did not resolve at the last load", lab);
	r->m.duration = td_metrics_histogram("tandem_sip_routing_load_duration_seconds",
	    "time to read, resolve and index one routing snapshot", lab, td_metrics_latency_buckets,
	    td_metrics_latency_nbuckets);
	return (r);
}

rt *
rt_new_detached(void)
{
	return (rt_alloc());
}

/* ---- the loader: reading PostgreSQL ----------------------------------------------- */

static const char *
val(const PGresult *res, int row, int col)
{
	return (PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col));
}

static int
ival(const PGresult *res, int row, int col)
{
	const char *v = val(res, row, col);
	return (v ? (int)strtol(v, NULL, 10) : 0);
}

static bool
bval(const PGresult *res, int row, int col)
{
	const char *v = val(res, row, col);
	return (v != NULL && v[0] == 't');
}

/* query runs one SELECT of the load; the result or NULL (err filled, rv set). */
static PGresult *
query(rt *r, const char *sql, int ncols, int *rv, char *err, size_t errlen)
{
	PGresult *res = PQexec(td_pg_conn(r->pg), sql);
	*rv = td_pg_check(r->pg, res, PGRES_TUPLES_OK, err, errlen);
	if (*rv == 0 && PQnfields(res) != ncols) {
		snprintf(err, errlen, "expected %d columns, got %d", ncols, PQnfields(res));
		*rv = TD_EPROTO;
	}
	if (*rv != 0) {
		PQclear(res);
		return (NULL);
	}
	return (res);
}

static const char Q_DOMAINS[] = "SELECT name, realm, enabled FROM voip.domains";
static const char Q_ROUTES[]
    = "SELECT domain, extension, type, sip_username, max_contacts, queue_name, ivr_menu_name, "
      "strip_digits, prepend, priority, trunk_name, trunk_host, trunk_port, trunk_transport, "
      "trunk_health, trunk_max_channels FROM voip.routing";
static const char Q_USERS[]
    = "SELECT d.name, u.username, u.ha1_md5, u.ha1_sha256, u.max_contacts, u.enabled "
      "FROM voip.users u JOIN voip.domains d ON d.id = u.domain_id WHERE d.enabled";
static const char Q_TRUNKS[] = "SELECT name, host FROM voip.trunks WHERE enabled";
static const char Q_NETS[]
    = "SELECT t.name, c.net::text FROM voip.trunks t "
      "CROSS JOIN LATERAL pg_catalog.unnest(t.inbound_cidrs) AS c(net) WHERE t.enabled";

/*
 * read_db fills b from one REPEATABLE READ, READ ONLY transaction (one
 * consistent view of every table) and collects the trunk hosts to resolve
 * once the transaction is over.
 */
static int
read_db(rt *r, rt_builder *b, rt_trunk_host **hosts, int *nhosts, char *err, size_t errlen)
{
	int rv = td_pg_exec(r->pg, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", err, errlen);
	if (rv != 0) {
		return (rv);
	}
	PGresult *res;
	if ((res = query(r, Q_DOMAINS, 3, &rv, err, errlen)) == NULL) {
		goto fail;
	}
	for (int i = 0; i < PQntuples(res); i++) {
		rt_domain_row d = { val(res, i, 0), val(res, i, 1), bval(res, i, 2) };
		(void)rt_builder_domain(b, &d); /* a bad row is logged and counted by the builder */
	}
	PQclear(res);
	if ((res = query(r, Q_ROUTES, 16, &rv, err, errlen)) == NULL) {
		goto fail;
	}
	for (int i = 0; i < PQntuples(res); i++) {
		rt_route_row w = {
			.domain = val(res, i, 0),
			.extension = val(res, i, 1),
			.type = val(res, i, 2),
			.sip_username = val(res, i, 3),
			.max_contacts = ival(res, i, 4),
			.queue_name = val(res, i, 5),
			.ivr_menu_name = val(res, i, 6),
			.strip_digits = ival(res, i, 7),
			.prepend = val(res, i, 8),
			.priority = ival(res, i, 9),
			.trunk_name = val(res, i, 10),
			.trunk_host = val(res, i, 11),
			.trunk_port = ival(res, i, 12),
			.trunk_transport = val(res, i, 13),
			.trunk_health = val(res, i, 14),
			.trunk_max_channels = ival(res, i, 15),
		};
		(void)rt_builder_route(b, &w);
	}
	PQclear(res);
	if ((res = query(r, Q_USERS, 6, &rv, err, errlen)) == NULL) {
		goto fail;
	}
	for (int i = 0; i < PQntuples(res); i++) {
		rt_user_row u = { val(res, i, 0), val(res, i, 1), val(res, i, 2), val(res, i, 3),
			ival(res, i, 4), bval(res, i, 5) };
		(void)rt_builder_user(b, &u);
	}
	PQclear(res);
	if ((res = query(r, Q_NETS, 2, &rv, err, errlen)) == NULL) {
		goto fail;
	}
	for (int i = 0; i < PQntuples(res); i++) {
		(void)rt_builder_trunk_cidr(b, val(res, i, 0), val(res, i, 1));
	}
	PQclear(res);
	if ((res = query(r, Q_TRUNKS, 2, &rv, err, errlen)) == NULL) {
		goto fail;
	}
	*nhosts = PQntuples(res);
	*hosts = td_xcalloc((size_t)*nhosts + 1, sizeof(**hosts));
	for (int i = 0; i < *nhosts; i++) {
		(*hosts)[i].name = td_xstrdup(PQgetvalue(res, i, 0));
		(*hosts)[i].host = td_xstrdup(PQgetvalue(res, i, 1));
	}
	PQclear(res);
	return (td_pg_exec(r->pg, "COMMIT", err, errlen));
fail:
	if (td_pg_connected(r->pg)) {
		char e2[256];
		if (td_pg_exec(r->pg, "ROLLBACK", e2, sizeof(e2)) != 0) {
			LOG_DEBUG("SIPR-ROUTING-LOAD-FAIL", "rollback: %s", e2);
		}
	}
	return (rv);
}

/* ---- the loader: resolving trunk hosts ------------------------------------------ */

static int
resolve(const char *host, struct sockaddr_storage *out, int max, const char **why)
{
	char h[256];
	size_t n = strlen(host);
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']') { /* an IPv6 literal in brackets */
		host++;
		n -= 2;
	}
	if (n >= sizeof(h)) {
		*why = "name too long";
		return (0);
	}
	memcpy(h, host, n);
	h[n] = '\0';
	struct addrinfo hints, *res = NULL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM; /* one entry per address, not per socket type */
	int rc = getaddrinfo(h, NULL, &hints, &res);
	if (rc != 0) {
		*why = gai_strerror(rc);
		return (0);
	}
	int k = 0;
	for (struct addrinfo *ai = res; ai != NULL && k < max; ai = ai->ai_next) {
		if (ai->ai_addrlen <= sizeof(out[k])) {
			memset(&out[k], 0, sizeof(out[k]));
			memcpy(&out[k], ai->ai_addr, ai->ai_addrlen);
			k++;
		}
	}
	freeaddrinfo(res);
	if (k == 0) {
		*why = "no address";
	}
	return (k);
}

/* dns_get: the cached (or freshly resolved) addresses of host. */
static const rt_dns *
dns_get(rt *r, const char *trunk, const char *host)
{
	int64_t now = td_mono_ms();
	rt_dns *d = NULL;
	for (int i = 0; i < r->ndns && d == NULL; i++) {
		if (strcmp(r->dns[i].host, host) == 0) {
			d = &r->dns[i];
		}
	}
	if (d != NULL && now - d->at_ms < RT_DNS_TTL_MS) {
		d->used = true;
		return (d);
	}
	bool was_ok = d == NULL || d->naddrs > 0;
	if (d == NULL) {
		r->dns = td_xrealloc(r->dns, (size_t)(r->ndns + 1) * sizeof(*r->dns));
		d = &r->dns[r->ndns++];
		memset(d, 0, sizeof(*d));
		d->host = td_xstrdup(host);
	}
	const char *why = "";
	d->naddrs = resolve(host, d->addrs, RT_ADDRS_PER_HOST, &why);
	d->at_ms = now;
	d->used = true;
	if (d->naddrs == 0 && was_ok) {
		LOG_WARN("SIPR-ROUTING-DNS",
		    "trunk %s: host %s does not resolve (%s); calls from it will be challenged "
		    "until it does",
		    trunk, host, why);
	} else if (d->naddrs > 0 && !was_ok) {
		LOG_INFO("SIPR-ROUTING-DNS", "trunk %s: host %s resolves again (%d addresses)",
		    trunk, host, d->naddrs);
	}
	return (d);
}

/* dns_prune forgets hosts no trunk has any more. */
static void
dns_prune(rt *r)
{
	int w = 0;
	for (int i = 0; i < r->ndns; i++) {
		if (!r->dns[i].used) {
			free(r->dns[i].host);
			continue;
		}
		r->dns[i].used = false;
		r->dns[w++] = r->dns[i];
	}
	r->ndns = w;
}

/* ---- the loader: one load --------------------------------------------------------- */

static int
load(rt *r)
{
	int64_t t0 = td_mono_us();
	char err[512] = "";
	rt_builder *b = rt_builder_new();
	rt_trunk_host *hosts = NULL;
	int nhosts = 0;
	int rv = read_db(r, b, &hosts, &nhosts, err, sizeof(err));
	if (rv != 0) {
		rt_builder_free(b);
		atomic_fetch_add(&r->failures, 1);
		td_counter_inc(r->m.failures);
		LOG_WARN("SIPR-ROUTING-LOAD-FAIL",
		    "routing load failed (%s): %s; keeping version %llu", td_strerror(rv), err,
		    (unsigned long long)cur_version(r));
		goto out;
	}
	for (int i = 0; i < nhosts; i++) {
		const rt_dns *d = dns_get(r, hosts[i].name, hosts[i].host);
		if (d->naddrs == 0) {
			rt_builder_unresolved(b);
		}
		for (int k = 0; k < d->naddrs; k++) {
			(void)rt_builder_trunk_addr(
			    b, hosts[i].name, (const struct sockaddr *)&d->addrs[k]);
		}
	}
	dns_prune(r);
	rt_snap *s = rt_builder_finish(b);
	rt_snap_info in;
	rt_snap_info_get(s, &in);
	uint64_t v = rt_publish(r, s);
	atomic_fetch_add(&r->loads, 1);
	td_counter_inc(r->m.loads);
	double secs = (double)(td_mono_us() - t0) / 1e6;
	td_histogram_observe(r->m.duration, secs);
	LOG_INFO("SIPR-ROUTING-LOADED",
	    "routing version %llu: %d domains, %d users, %d extensions, %d trunk routes, "
	    "%d trunk addresses, %d rows skipped, %d hosts unresolved, in %.1f ms",
	    (unsigned long long)v, in.domains, in.users, in.extensions, in.trunk_routes,
	    in.trunk_addrs, in.skipped, in.unresolved, secs * 1e3);
out:
	for (int i = 0; i < nhosts; i++) {
		free(hosts[i].name);
		free(hosts[i].host);
	}
	free(hosts);
	return (rv);
}

/* ---- the loader thread -------------------------------------------------------------- */

/* take_notifies counts what libpq has received; the first one starts the debounce. */
static void
take_notifies(rt *r, int64_t *debounce_at)
{
	PGconn *c = td_pg_conn(r->pg);
	PGnotify *n;
	while (c != NULL && (n = PQnotifies(c)) != NULL) {
		atomic_fetch_add(&r->notifies, 1);
		td_counter_inc(r->m.notifies);
		LOG_DEBUG("SIPR-ROUTING-NOTIFY", "change in voip.%s", n->extra);
		if (*debounce_at < 0) {
			*debounce_at = td_mono_ms() + r->debounce_ms;
		}
		PQfreemem(n);
	}
}

/* pg_notice: server notices and asynchronous errors as log lines, not raw stderr. */
static void
pg_notice(void *arg, const char *msg)
{
	(void)arg;
	int n = (int)strcspn(msg, "\n");
	LOG_INFO("SIPR-ROUTING-PG-NOTICE", "PostgreSQL: %.*s", n, msg);
}

/*
 * listen_now issues LISTEN on a fresh connection.  A server that refuses
 * it (a hot standby) leaves us with periodic reloads only: logged, not fatal.
 */
static void
listen_now(rt *r)
{
	PQsetNoticeProcessor(td_pg_conn(r->pg), pg_notice, NULL);
	PGresult *res = PQexec(td_pg_conn(r->pg), "LISTEN " RT_CHANNEL);
	if (PQresultStatus(res) == PGRES_COMMAND_OK) {
		LOG_INFO("SIPR-ROUTING-LISTEN", "listening on %s; reloading now", RT_CHANNEL);
	} else if (PQstatus(td_pg_conn(r->pg)) != CONNECTION_OK) {
		td_pg_reset(r->pg);
	} else {
		char msg[256];
		snprintf(msg, sizeof(msg), "%s", PQresultErrorMessage(res));
		msg[strcspn(msg, "\n")] = '\0';
		LOG_WARN("SIPR-ROUTING-LISTEN",
		    "LISTEN %s refused (%s): no change notifications on this connection, "
		    "reloading every %lld ms only",
		    RT_CHANNEL, msg, (long long)r->interval_ms);
	}
	PQclear(res);
}

static void
set_pg_up(rt *r, bool up)
{
	atomic_store(&r->pg_up, up);
	td_gauge_set(r->m.pg_up, up ? 1 : 0);
}

static int64_t
min64(int64_t a, int64_t b)
{
	return (a < b ? a : b);
}

static void *
loader_main(void *arg)
{
	rt *r = arg;
	bool up = false; /* connected, LISTEN issued */
	bool need = true; /* a load is due now: start, reconnect, rt_reload */
	int64_t next_periodic = 0, debounce_at = -1;
	td_backoff retry; /* between failed loads on a live connection */
	td_backoff_init(&retry, 500, 30000);

	while (!atomic_load(&r->stop)) {
		if (up && !td_pg_connected(r->pg)) {
			up = false;
			set_pg_up(r, false);
			LOG_WARN("SIPR-ROUTING-PG-LOST",
			    "lost the PostgreSQL connection; serving routing version %llu "
			    "meanwhile",
			    (unsigned long long)cur_version(r));
		}
		if (!up && td_pg_ensure(r->pg) == 0) {
			listen_now(r);
			if (td_pg_connected(r->pg)) {
				up = true;
				need = true; /* changes made while we were away sent no notification
				                to us */
				debounce_at = -1;
				td_backoff_ok(&retry);
				set_pg_up(r, true);
			}
		}
		int64_t now = td_mono_ms();
		int64_t due
		    = need ? now : min64(next_periodic, debounce_at >= 0 ? debounce_at : INT64_MAX);
		if (up && now >= due && td_backoff_ready(&retry)) {
			if (load(r) == 0) {
				need = false;
				debounce_at = -1;
				next_periodic = td_mono_ms() + r->interval_ms;
				td_backoff_ok(&retry);
			} else {
				(void)td_backoff_fail(&retry);
			}
			take_notifies(r, &debounce_at); /* those that came during the load */
			continue;
		}
		int64_t wait = 1000;
		if (!up) {
			wait = 100; /* td_pg_ensure keeps its own backoff between attempts */
		} else {
			if (!td_backoff_ready(&retry) && due < retry.next_at_ms) {
				due = retry.next_at_ms;
			}
			wait = due - now < 0 ? 0 : min64(due - now, 1000);
		}
		struct pollfd pf[2] = { { r->wake_fd, POLLIN, 0 },
			{ up ? PQsocket(td_pg_conn(r->pg)) : -1, POLLIN, 0 } };
		if (poll(pf, up ? 2 : 1, (int)wait) < 0 && errno != EINTR) {
			LOG_ERROR("SIPR-ROUTING-POLL", "poll: %s", strerror(errno));
			td_sleep_ms(100);
			continue;
		}
		if (pf[0].revents & POLLIN) {
			uint64_t x;
			if (read(r->wake_fd, &x, sizeof(x)) < 0 && errno != EAGAIN) {
				LOG_ERROR("SIPR-ROUTING-POLL", "eventfd read: %s", strerror(errno));
			}
			if (atomic_exchange(&r->reload_req, false)) {
				need = true;
				td_backoff_ok(&retry);
			}
		}
		if (up && pf[1].revents != 0) {
			if (PQconsumeInput(td_pg_conn(r->pg)) == 0
			    || PQstatus(td_pg_conn(r->pg)) != CONNECTION_OK) {
				td_pg_reset(r->pg); /* reported at the top of the loop */
				continue;
			}
			take_notifies(r, &debounce_at);
		}
	}
	return (NULL);
}

/* ---- public ------------------------------------------------------------------------ */

rt *
rt_new(const rt_cfg *cfg)
{
	rt *r = rt_alloc();
	r->dsn = td_xstrdup(cfg->pg_dsn ? cfg->pg_dsn : "");
	r->interval_ms
	    = cfg->reload_interval_ms > 0 ? cfg->reload_interval_ms : RT_DEFAULT_INTERVAL_MS;
	r->debounce_ms = cfg->debounce_ms >= 0 ? cfg->debounce_ms : RT_DEFAULT_DEBOUNCE_MS;
	td_pg_opts o = {
		.dsn = r->dsn,
		.app_name = "sip-router-routing",
		.statement_timeout_ms = RT_STATEMENT_TIMEOUT_MS,
	};
	r->pg = td_pg_new(&o);
	set_pg_up(r, false);
	r->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (r->wake_fd < 0) {
		LOG_ERROR("SIPR-ROUTING-START", "eventfd: %s", strerror(errno));
		rt_free(r);
		return (NULL);
	}
	int rc = pthread_create(&r->th, NULL, loader_main, r);
	if (rc != 0) {
		LOG_ERROR(
		    "SIPR-ROUTING-START", "cannot start the routing loader: %s", strerror(rc));
		rt_free(r);
		return (NULL);
	}
	pthread_setname_np(r->th, "rt-loader");
	r->has_loader = true;
	return (r);
}

static void
wake(rt *r)
{
	uint64_t one = 1;
	if (r->wake_fd >= 0 && write(r->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN) {
		LOG_ERROR("SIPR-ROUTING-POLL", "eventfd write: %s", strerror(errno));
	}
}

void
rt_free(rt *r)
{
	if (r == NULL) {
		return;
	}
	if (r->has_loader) {
		atomic_store(&r->stop, true);
		wake(r);
		pthread_join(r->th, NULL);
	}
	if (r->wake_fd >= 0) {
		close(r->wake_fd);
	}
	td_pg_free(r->pg);
	for (int i = 0; i < r->ndns; i++) {
		free(r->dns[i].host);
	}
	free(r->dns);
	free(r->dsn);
	rt_snap_free(atomic_load(&r->cur));
	pthread_mutex_destroy(&r->pub_mu);
	free(r);
}

bool
rt_ready(rt *r)
{
	return (atomic_load(&r->ready));
}

void
rt_reload(rt *r)
{
	atomic_store(&r->reload_req, true);
	wake(r);
}

int
rt_lookup(rt *r, const char *domain, size_t dlen, const char *number, size_t nlen, rt_target *out)
{
	rt_pin p;
	const rt_snap *s = pin(r, &p);
	int rv = rt_snap_lookup(s, domain, dlen, number, nlen, out);
	unpin(&p);
	return (rv);
}

int
rt_user_get(rt *r, const char *domain, size_t dlen, const char *user, size_t ulen, rt_user *out)
{
	rt_pin p;
	const rt_snap *s = pin(r, &p);
	int rv = rt_snap_user(s, domain, dlen, user, ulen, out);
	unpin(&p);
	return (rv);
}

bool
rt_is_local(rt *r, const char *domain, size_t dlen)
{
	rt_pin p;
	const rt_snap *s = pin(r, &p);
	bool yes = rt_snap_is_local(s, domain, dlen);
	unpin(&p);
	return (yes);
}

bool
rt_realm(rt *r, const char *domain, size_t dlen, char *out, size_t outlen)
{
	rt_pin p;
	const rt_snap *s = pin(r, &p);
	bool yes = rt_snap_realm(s, domain, dlen, out, outlen);
	unpin(&p);
	return (yes);
}

bool
rt_is_trunk_addr(rt *r, const struct sockaddr *sa)
{
	rt_pin p;
	const rt_snap *s = pin(r, &p);
	bool yes = rt_snap_trunk_of(s, sa) != NULL;
	unpin(&p);
	return (yes);
}

void
rt_stats_get(rt *r, rt_stats *st)
{
	rt_snap_info in;
	rt_pin p;
	const rt_snap *s = pin(r, &p);
	rt_snap_info_get(s, &in);
	unpin(&p);
	memset(st, 0, sizeof(*st));
	st->version = in.version;
	st->loaded_at_us = in.loaded_at_us;
	st->loads = atomic_load(&r->loads);
	st->load_failures = atomic_load(&r->failures);
	st->notifies = atomic_load(&r->notifies);
	st->domains = in.domains;
	st->users = in.users;
	st->extensions = in.extensions;
	st->trunk_routes = in.trunk_routes;
	st->trunk_addrs = in.trunk_addrs;
	st->skipped = in.skipped;
	st->unresolved = in.unresolved;
	st->pg_up = atomic_load(&r->pg_up);
}

json_t *
rt_describe(rt *r, const char *domain, const char *number)
{
	rt_pin p;
	const rt_snap *s = pin(r, &p);
	json_t *j = rt_snap_describe(s, domain, number);
	unpin(&p);
	json_object_set_new(j, "ready", json_boolean(rt_ready(r)));
	return (j);
}
