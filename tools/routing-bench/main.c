/* SPDX-License-Identifier: MIT */
/*
 * routing-bench: how many routing lookups a core can do, through the
 * router's own code (rt_lookup & co. on a published snapshot: reader
 * indicator, hash probes, copy-out).  No PostgreSQL: the snapshot is built
 * from generated rows through the loader's builder.
 *
 *   routing-bench [--seconds S] [--threads T] [--swap-ms MS]
 *                 [--domains D] [--users U] [--extensions E] [--routes R]
 *
 * Defaults: 5 domains, 1,000 users, 2,000 extensions (per domain: user
 * extensions for every user, the rest queues, IVRs, voicemail boxes and
 * conferences), 50 trunk routes over 10 prefixes per domain.  The lookup mix
 * is 60% exact extensions, 30% outbound numbers (longest prefix with
 * strip/prepend), 10% misses (unknown domain, user names); every answer is
 * checked against what the generator expects, or the run fails.  --swap-ms
 * has another thread publish a freshly built snapshot that often during
 * the run (reloads under load).
 *
 * Prints key=value lines: per_core is operations per second of thread CPU
 * time, total per wall second over all threads.
 */
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "../../services/sip-router/routing.h"
#include "../../services/sip-router/routing_snap.h"
#include "log/log.h"
#include "util/clock.h"

#define NQ 8192 /* queries per round, cycled */

typedef struct gen {
	int domains, users, extensions, routes;
} gen;

typedef struct query {
	char domain[32];
	char number[40];
	int want; /* rt_kind, or 0 for not found */
} query;

typedef struct bench {
	rt *r;
	gen g;
	double seconds;
	query *q;
	struct sockaddr_in *addrs; /* half trunk addresses, half not */
	pthread_barrier_t start;
	atomic_bool stop;
	int swap_ms;
	long swaps;
} bench;

typedef struct worker {
	bench *b;
	pthread_t th;
	uint64_t lookups, users, addrs, failed;
	double cpu_s, wall_s;
} worker;

static const char *const prefixes[] = { "", "0", "00", "0049", "0044", "001", "01", "015", "9" };

static double
cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (*s);
}

/* build makes the snapshot the loader would make from such a database. */
static rt_snap *
build(const gen *g)
{
	rt_builder *b = rt_builder_new();
	char dn[32], num[32], un[32], name[32], tn[32];
	int per_users = g->users / g->domains, per_ext = g->extensions / g->domains;
	int per_routes = g->routes / g->domains;
	for (int d = 0; d < g->domains; d++) {
		snprintf(dn, sizeof(dn), "tenant%d.example", d);
		rt_domain_row dr = { dn, NULL, true };
		(void)rt_builder_domain(b, &dr);
		for (int u = 0; u < per_users; u++) {
			snprintf(un, sizeof(un), "%d", 1000 + u);
			rt_user_row ur = { dn, un, "0123456789abcdef0123456789abcdef",
				"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
				3, true };
			(void)rt_builder_user(b, &ur);
		}
		for (int e = 0; e < per_ext; e++) {
			rt_route_row rr = { .domain = dn, .extension = num, .max_contacts = 3 };
			if (e < per_users) { /* the users' own extensions */
				snprintf(num, sizeof(num), "%d", 1000 + e);
				snprintf(un, sizeof(un), "%d", 1000 + e);
				rr.type = "user";
				rr.sip_username = un;
			} else {
				int k = e - per_users;
				static const char *const types[]
				    = { "queue", "ivr", "voicemail", "conference" };
				rr.type = types[k % 4];
				snprintf(num, sizeof(num), "%d", 5000 + k);
				snprintf(name, sizeof(name), "thing-%d", k);
				rr.queue_name = k % 4 == 0 ? name : NULL;
				rr.ivr_menu_name = k % 4 == 1 ? name : NULL;
			}
			(void)rt_builder_route(b, &rr);
		}
		for (int k = 0; k < per_routes; k++) {
			const char *p = prefixes[k % (int)(sizeof(prefixes) / sizeof(prefixes[0]))];
			snprintf(tn, sizeof(tn), "carrier-%d", k % 10);
			rt_route_row rr = { .domain = dn,
				.extension = p,
				.type = "trunk_out",
				.strip_digits = (int)strlen(p) > 0 ? 1 : 0,
				.prepend = "+49",
				.priority = 10 + k,
				.trunk_name = tn,
				.trunk_host = "sip.carrier.example",
				.trunk_port = 5060,
				.trunk_transport = "udp",
				.trunk_health = k % 7 == 3 ? "down" : "up" };
			(void)rt_builder_route(b, &rr);
		}
	}
	for (int t = 0; t < 10; t++) {
		struct sockaddr_in a;
		memset(&a, 0, sizeof(a));
		a.sin_family = AF_INET;
		a.sin_addr.s_addr = htonl(0xc0000200u + (uint32_t)t); /* 192.0.2.t */
		snprintf(tn, sizeof(tn), "carrier-%d", t);
		(void)rt_builder_trunk_addr(b, tn, (struct sockaddr *)&a);
	}
	(void)rt_builder_trunk_cidr(b, "carrier-0", "198.51.100.0/24");
	(void)rt_builder_trunk_cidr(b, "carrier-1", "2001:db8::/32");
	return (rt_builder_finish(b));
}

static void
make_queries(bench *b)
{
	uint64_t s = 88172645463325252ULL;
	int per_ext = b->g.extensions / b->g.domains;
	b->q = calloc(NQ, sizeof(*b->q));
	b->addrs = calloc(NQ, sizeof(*b->addrs));
	for (int i = 0; i < NQ; i++) {
		query *q = &b->q[i];
		int d = (int)(rnd(&s) % (uint64_t)b->g.domains), roll = (int)(rnd(&s) % 100);
		snprintf(q->domain, sizeof(q->domain), "tenant%d.example", d);
		if (roll < 60) {
			int e = (int)(rnd(&s) % (uint64_t)per_ext),
			    per_users = b->g.users / b->g.domains;
			if (e < per_users) {
				snprintf(q->number, sizeof(q->number), "%d", 1000 + e);
				q->want = RT_USER;
			} else {
				int k = e - per_users;
				static const rt_kind kinds[]
				    = { RT_QUEUE, RT_IVR, RT_VOICEMAIL, RT_CONFERENCE };
				snprintf(q->number, sizeof(q->number), "%d", 5000 + k);
				q->want = kinds[k % 4];
			}
		} else if (roll < 90) {
			static const char *const dial[]
			    = { "030", "0049", "0044", "001", "0151", "9", "00331" };
			snprintf(q->number, sizeof(q->number), "%s%08llu", dial[rnd(&s) % 7],
			    (unsigned long long)(rnd(&s) % 100000000ULL));
			q->want = RT_TRUNK_OUT;
		} else if (roll < 95) {
			snprintf(q->domain, sizeof(q->domain), "stranger%d.example", d);
			snprintf(q->number, sizeof(q->number), "1000");
			q->want = 0;
		} else {
			snprintf(q->number, sizeof(q->number), "agent%d", roll);
			q->want = 0;
		}
		b->addrs[i].sin_family = AF_INET;
		b->addrs[i].sin_port = htons(5060);
		b->addrs[i].sin_addr.s_addr
		    = htonl((i % 2 ? 0xc0000200u : 0xcb007100u) + (uint32_t)(i % 10));
	}
}

static void *
worker_main(void *arg)
{
	worker *w = arg;
	bench *b = w->b;
	pthread_barrier_wait(&b->start);
	double c0 = cpu_now();
	int64_t t0 = td_mono_us(), end = t0 + (int64_t)(b->seconds * 1e6);
	rt_target t;
	rt_user u;
	unsigned i = 0;
	while (td_mono_us() < end) {
		for (int k = 0; k < 1024; k++, i = (i + 1) % NQ) {
			const query *q = &b->q[i];
			int rv = rt_lookup(
			    b->r, q->domain, strlen(q->domain), q->number, strlen(q->number), &t);
			if (q->want == 0 ? rv != TD_ENOTFOUND
			                 : (rv != 0 || (int)t.kind != q->want)) {
				w->failed++;
			}
		}
		w->lookups += 1024;
	}
	w->cpu_s = cpu_now() - c0;
	w->wall_s = (double)(td_mono_us() - t0) / 1e6;
	/* Second pass: user lookups (the registrar's auth) and source checks. */
	pthread_barrier_wait(&b->start);
	c0 = cpu_now();
	t0 = td_mono_us();
	end = t0 + (int64_t)(b->seconds * 1e6 / 2);
	uint64_t n = 0;
	double ucpu = 0;
	while (td_mono_us() < end) {
		for (int k = 0; k < 1024; k++, i = (i + 1) % NQ) {
			char un[16];
			int len = snprintf(un, sizeof(un), "%u", 1000 + i % 200);
			if (rt_user_get(b->r, "tenant1.example", 15, un, (size_t)len, &u) != 0) {
				w->failed++;
			}
		}
		n += 1024;
	}
	ucpu = cpu_now() - c0;
	w->users = n;
	c0 = cpu_now();
	end = td_mono_us() + (int64_t)(b->seconds * 1e6 / 2);
	n = 0;
	while (td_mono_us() < end) {
		for (int k = 0; k < 1024; k++, i = (i + 1) % NQ) {
			if (rt_is_trunk_addr(b->r, (struct sockaddr *)&b->addrs[i])
			    != (i % 2 == 1)) {
				w->failed++;
			}
		}
		n += 1024;
	}
	w->addrs = n;
	/* Stash the CPU times of the two extra passes in the counters' units. */
	w->users = (uint64_t)((double)w->users / ucpu);
	w->addrs = (uint64_t)((double)w->addrs / (cpu_now() - c0));
	return (NULL);
}

static void *
swapper_main(void *arg)
{
	bench *b = arg;
	while (!atomic_load(&b->stop)) {
		td_sleep_ms(b->swap_ms);
		rt_publish(b->r, build(&b->g));
		b->swaps++;
	}
	return (NULL);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seconds", required_argument, NULL, 's' },
		{ "threads", required_argument, NULL, 't' },
		{ "swap-ms", required_argument, NULL, 'w' },
		{ "domains", required_argument, NULL, 'd' },
		{ "users", required_argument, NULL, 'u' },
		{ "extensions", required_argument, NULL, 'e' },
		{ "routes", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bench b = { .seconds = 3, .g = { 5, 1000, 2000, 50 } };
	int threads = 1, c;
	while ((c = getopt_long(argc, argv, "s:t:w:d:u:e:r:h", opts, NULL)) != -1) {
		switch (c) {
		case 's': b.seconds = atof(optarg); break;
		case 't': threads = atoi(optarg); break;
		case 'w': b.swap_ms = atoi(optarg); break;
		case 'd': b.g.domains = atoi(optarg); break;
		case 'u': b.g.users = atoi(optarg); break;
		case 'e': b.g.extensions = atoi(optarg); break;
		case 'r': b.g.routes = atoi(optarg); break;
		default:
			fputs("usage: routing-bench [--seconds S] [--threads T] [--swap-ms MS] "
			      "[--domains D]\n"
			      "                     [--users U] [--extensions E] [--routes R]\n",
			    stderr);
			return (c == 'h' ? 0 : 2);
		}
	}
	if (threads < 1 || b.seconds <= 0 || b.g.domains < 1 || b.g.users < b.g.domains
	    || b.g.extensions < b.g.users || b.g.routes < b.g.domains) {
		fputs("routing-bench: need threads >= 1, seconds > 0, domains <= users <= "
		      "extensions, "
		      "routes >= domains\n",
		    stderr);
		return (2);
	}
	td_log_set_level(TD_LOG_ERROR);
	b.r = rt_new_detached();
	int64_t t0 = td_mono_us();
	rt_snap *s = build(&b.g);
	double build_ms = (double)(td_mono_us() - t0) / 1e3;
	rt_publish(b.r, s);
	rt_stats st;
	rt_stats_get(b.r, &st);
	printf("snapshot domains=%d users=%d extensions=%d trunk_routes=%d trunk_addrs=%d "
	       "build_ms=%.2f\n",
	    st.domains, st.users, st.extensions, st.trunk_routes, st.trunk_addrs, build_ms);
	make_queries(&b);

	worker *w = calloc((size_t)threads, sizeof(*w));
	pthread_barrier_init(&b.start, NULL, (unsigned)threads);
	pthread_t sw;
	if (b.swap_ms > 0) {
		pthread_create(&sw, NULL, swapper_main, &b);
	}
	for (int i = 0; i < threads; i++) {
		w[i].b = &b;
		pthread_create(&w[i].th, NULL, worker_main, &w[i]);
	}
	uint64_t lookups = 0, failed = 0;
	double cpu = 0, wall = 0, users = 0, addrs = 0;
	for (int i = 0; i < threads; i++) {
		pthread_join(w[i].th, NULL);
		lookups += w[i].lookups;
		failed += w[i].failed;
		cpu += w[i].cpu_s;
		wall = w[i].wall_s > wall ? w[i].wall_s : wall;
		users += (double)w[i].users / threads;
		addrs += (double)w[i].addrs / threads;
	}
	if (b.swap_ms > 0) {
		atomic_store(&b.stop, true);
		pthread_join(sw, NULL);
	}
	printf("rt_lookup threads=%d per_core=%.0f total=%.0f ns_per_lookup=%.0f swaps=%ld\n",
	    threads, (double)lookups / cpu, (double)lookups / wall, cpu * 1e9 / (double)lookups,
	    b.swaps);
	printf("rt_user_get per_core=%.0f\n", users);
	printf("rt_is_trunk_addr per_core=%.0f\n", addrs);
	printf("failed=%llu\n", (unsigned long long)failed);
	pthread_barrier_destroy(&b.start);
	free(w);
	free(b.q);
	free(b.addrs);
	rt_free(b.r);
	return (failed == 0 ? 0 : 1);
}
