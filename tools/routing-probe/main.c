/* SPDX-License-Identifier: MIT */
/*
 * routing-probe: sip-router's routing data as sip-router sees it, without a
 * running router.  It loads with the router's own code (rt_new: the loader
 * thread, LISTEN tandem_routing, debounced reloads, reconnects), waits for
 * the first snapshot and prints what given numbers route to.
 *
 *   routing-probe --dsn DSN [--wait S] [--interval MS] [--debounce MS]
 *                 [--addr IP]... [--user USER@DOMAIN]... [--watch] [NUMBER@DOMAIN]...
 *
 * Prints one JSON document:
 *   {"stats": {version, loads, notifies, domains, users, ..., pg_up},
 *    "routes": [rt_describe(NUMBER@DOMAIN), ...],
 *    "addrs": [{"addr": IP, "trunk": rt_is_trunk_addr(IP)}, ...],
 *    "users": [rt_user_get(USER@DOMAIN) with its HA1s, or {"user": ..., "found": false}]}
 * (--user shows HA1s: whoever has the DSN can read them from the database
 * anyway; rt_describe never shows them.)
 * --watch keeps running and prints the document again, one line each,
 * whenever the snapshot version or the PostgreSQL connection state
 * changes, until SIGINT/SIGTERM; SIGHUP asks for a reload now (rt_reload).
 *
 * Exit: 0; 1 no snapshot within --wait seconds; 2 usage.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/sip-router/routing.h"
#include "log/log.h"
#include "util/clock.h"

static volatile sig_atomic_t g_stop, g_reload;

static void
on_stop(int sig)
{
	(void)sig;
	g_stop = 1;
}

static void
on_hup(int sig)
{
	(void)sig;
	g_reload = 1;
}

static void
usage(void)
{
	fputs("usage: routing-probe --dsn DSN [--wait S] [--interval MS] [--debounce MS]\n"
	      "                     [--addr IP]... [--user USER@DOMAIN]... [--watch] [--log-level "
	      "L]\n"
	      "                     [NUMBER@DOMAIN]...\n",
	    stderr);
}

typedef struct probe {
	rt *r;
	char **targets; /* NUMBER@DOMAIN */
	int ntargets;
	char **addrs;
	int naddrs;
	char **users; /* USER@DOMAIN */
	int nusers;
} probe;

static json_t *
stats_json(rt *r)
{
	rt_stats st;
	char ts[40];
	rt_stats_get(r, &st);
	td_fmt_rfc3339(st.loaded_at_us, ts, sizeof(ts));
	return (json_pack("{s:b, s:I, s:s, s:I, s:I, s:I, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:b}",
	    "ready", rt_ready(r), "version", (json_int_t)st.version, "loaded_at",
	    st.loaded_at_us ? ts : "", "loads", (json_int_t)st.loads, "load_failures",
	    (json_int_t)st.load_failures, "notifies", (json_int_t)st.notifies, "domains",
	    st.domains, "users", st.users, "extensions", st.extensions, "trunk_routes",
	    st.trunk_routes, "trunk_addrs", st.trunk_addrs, "skipped", st.skipped, "unresolved",
	    st.unresolved, "pg_up", st.pg_up));
}

static bool
parse_addr(const char *s, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *a = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, s, &a->sin_addr) == 1) {
		a->sin_family = AF_INET;
		return (true);
	}
	if (inet_pton(AF_INET6, s, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		return (true);
	}
	return (false);
}

static void
print_doc(const probe *p, size_t flags)
{
	json_t *routes = json_array(), *addrs = json_array();
	for (int i = 0; i < p->ntargets; i++) {
		char *at = strrchr(p->targets[i], '@');
		*at = '\0';
		json_array_append_new(routes, rt_describe(p->r, at + 1, p->targets[i]));
		*at = '@';
	}
	for (int i = 0; i < p->naddrs; i++) {
		struct sockaddr_storage ss;
		parse_addr(p->addrs[i], &ss);
		json_array_append_new(addrs,
		    json_pack("{s:s, s:b}", "addr", p->addrs[i], "trunk",
		        rt_is_trunk_addr(p->r, (struct sockaddr *)&ss)));
	}
	json_t *users = json_array();
	for (int i = 0; i < p->nusers; i++) {
		const char *at = strrchr(p->users[i], '@');
		rt_user u;
		if (rt_user_get(
		        p->r, at + 1, strlen(at + 1), p->users[i], (size_t)(at - p->users[i]), &u)
		    == 0) {
			json_array_append_new(users,
			    json_pack("{s:s, s:b, s:s, s:s, s:s, s:s, s:i}", "user", p->users[i],
			        "found", 1, "domain", u.domain, "realm", u.realm, "ha1_md5",
			        u.ha1_md5, "ha1_sha256", u.ha1_sha256, "max_contacts",
			        u.max_contacts));
		} else {
			json_array_append_new(
			    users, json_pack("{s:s, s:b}", "user", p->users[i], "found", 0));
		}
	}
	json_t *doc = json_pack("{s:o, s:o, s:o, s:o}", "stats", stats_json(p->r), "routes", routes,
	    "addrs", addrs, "users", users);
	char *txt = json_dumps(doc, flags | JSON_PRESERVE_ORDER);
	printf("%s\n", txt);
	fflush(stdout);
	free(txt);
	json_decref(doc);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dsn", required_argument, NULL, 'd' },
		{ "wait", required_argument, NULL, 'w' },
		{ "interval", required_argument, NULL, 'i' },
		{ "debounce", required_argument, NULL, 'b' },
		{ "addr", required_argument, NULL, 'a' },
		{ "user", required_argument, NULL, 'u' },
		{ "watch", no_argument, NULL, 'W' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	rt_cfg cfg = { .reload_interval_ms = 300000, .debounce_ms = 200 };
	double wait_s = 10;
	bool watch = false;
	probe p = { 0 };
	char *addrs[64], *users[64];
	td_log_level lvl = TD_LOG_INFO;
	int c;
	td_log_setup("routing-probe", "local", TD_LOG_LOGFMT);
	while ((c = getopt_long(argc, argv, "d:w:i:b:a:u:Wl:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': cfg.pg_dsn = optarg; break;
		case 'w': wait_s = atof(optarg); break;
		case 'i': cfg.reload_interval_ms = atoll(optarg); break;
		case 'b': cfg.debounce_ms = atoll(optarg); break;
		case 'a': {
			struct sockaddr_storage ss;
			if (p.naddrs == (int)(sizeof(addrs) / sizeof(addrs[0]))
			    || !parse_addr(optarg, &ss)) {
				fprintf(stderr,
				    "routing-probe: --addr %s: not an IP address (or too many)\n",
				    optarg);
				return (2);
			}
			addrs[p.naddrs++] = optarg;
			break;
		}
		case 'u': {
			const char *at = strrchr(optarg, '@');
			if (p.nusers == (int)(sizeof(users) / sizeof(users[0])) || at == NULL
			    || at == optarg || at[1] == '\0') {
				fprintf(stderr, "routing-probe: --user %s: expected USER@DOMAIN\n",
				    optarg);
				return (2);
			}
			users[p.nusers++] = optarg;
			break;
		}
		case 'W': watch = true; break;
		case 'l':
			if (td_log_level_parse(optarg, &lvl) != 0) {
				fprintf(stderr, "routing-probe: --log-level %s: unknown level\n",
				    optarg);
				return (2);
			}
			break;
		case 'h': usage(); return (0);
		default: usage(); return (2);
		}
	}
	if (cfg.pg_dsn == NULL) {
		usage();
		return (2);
	}
	p.addrs = addrs;
	p.users = users;
	p.targets = argv + optind;
	p.ntargets = argc - optind;
	for (int i = 0; i < p.ntargets; i++) {
		const char *at = strrchr(p.targets[i], '@');
		if (at == NULL || at == p.targets[i] + strlen(p.targets[i]) - 1) {
			fprintf(
			    stderr, "routing-probe: %s: expected NUMBER@DOMAIN\n", p.targets[i]);
			return (2);
		}
	}
	td_log_set_level(lvl);
	struct sigaction sa = { 0 };
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, NULL);

	p.r = rt_new(&cfg);
	if (p.r == NULL) {
		return (1);
	}
	int64_t deadline = td_mono_ms() + (int64_t)(wait_s * 1000);
	while (!rt_ready(p.r) && !g_stop && td_mono_ms() < deadline) {
		td_sleep_ms(20);
	}
	if (!rt_ready(p.r)) {
		fprintf(stderr, "routing-probe: no routing snapshot within %.1f s\n", wait_s);
		rt_free(p.r);
		return (1);
	}
	if (!watch) {
		print_doc(&p, JSON_INDENT(2));
		rt_free(p.r);
		return (0);
	}
	uint64_t shown_version = 0;
	int shown_up = -1;
	while (!g_stop) {
		if (g_reload) {
			g_reload = 0;
			rt_reload(p.r);
		}
		rt_stats st;
		rt_stats_get(p.r, &st);
		if (st.version != shown_version || (int)st.pg_up != shown_up) {
			shown_version = st.version;
			shown_up = st.pg_up;
			print_doc(&p, JSON_COMPACT);
		}
		td_sleep_ms(50);
	}
	rt_free(p.r);
	return (0);
}
