/* SPDX-License-Identifier: MIT */
/* sip-router: status, stats and CLI commands for the control endpoint. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dialog.h"
#include "dns.h"
#include "events.h"
#include "fspool.h"
#include "location.h"
#include "ratelimit.h"
#include "routing.h"
#include "svc.h"
#include "txn.h"
#include "util/clock.h"

json_t *
router_status(td_daemon *d)
{
	router_svc *s = td_daemon_ctx(d);
	sr *r = &s->r;
	loc_stats ls;
	rt_stats rs;
	loc_stats_get(r->loc, &ls);
	rt_stats_get(r->rt, &rs);
	char adv[300];
	snprintf(adv, sizeof(adv), "%s:%u", r->adv_host, r->adv_port);
	json_t *listen = json_array();
	for (int i = 0; i < r->nlisten; i++) {
		char a[80], b[96];
		sr_addr_fmt(&r->listen[i].addr, a, sizeof(a));
		snprintf(b, sizeof(b), "%s:%s", r->listen[i].addr.proto == SR_TCP ? "tcp" : "udp", a);
		json_array_append_new(listen, json_string(b));
	}
	return (json_pack("{s:o, s:s, s:i, s:s, s:s, s:b, s:I, s:I, s:I, s:o}", "listen", listen,
	    "advertise", adv, "workers", r->nworkers, "redis", ls.redis_up ? "up" : "down", "postgres",
	    rs.pg_up ? "up" : "down", "routing_loaded", rt_ready(r->rt), "routing_version",
	    (json_int_t)rs.version, "calls_active", (json_int_t)dlg_active(r->dlgs), "transactions",
	    (json_int_t)txn_count(r->txns), "freeswitch", fs_status(r->fs)));
}

json_t *
router_stats(td_daemon *d)
{
	router_svc *s = td_daemon_ctx(d);
	sr *r = &s->r;
	sr_metrics *m = &r->m;
	tp_stats ts;
	loc_stats ls;
	rt_stats rs;
	tp_stats_get(r->tp, &ts);
	loc_stats_get(r->loc, &ls);
	rt_stats_get(r->rt, &rs);
	json_t *req = json_object();
	for (int i = 0; i < 16; i++) {
		uint64_t v = td_counter_get(m->req[i]);
		if (v > 0) {
			const char *name = i > 0 && i < TD_SIP_METHOD__COUNT ? td_sip_method_name((td_sip_method)i)
			                                                       : "OTHER";
			json_object_set_new(req, name, json_integer((json_int_t)v));
		}
	}
	json_t *resp = json_object();
	for (int c = 1; c <= 6; c++) {
		char k[8];
		snprintf(k, sizeof(k), "%dxx", c);
		json_object_set_new(resp, k, json_integer((json_int_t)td_counter_get(m->resp[c])));
	}
	double p50 = td_histogram_quantile(m->reg_seconds, 0.5) * 1000;
	double p99 = td_histogram_quantile(m->reg_seconds, 0.99) * 1000;
	double s50 = td_histogram_quantile(m->setup_seconds, 0.5) * 1000;
	sr_dns_stats ds;
	dns_stats(r->dns, &ds);
	return (json_pack("{s:o, s:o, s:{s:I, s:I, s:I, s:I}, s:{s:I, s:I, s:f, s:f}, "
	                  "s:{s:I, s:I, s:I, s:I}, s:{s:I, s:I, s:f}, s:I, s:I, s:I, s:I, "
	                  "s:{s:I, s:I, s:I, s:I, s:I, s:I}, s:{s:I, s:I, s:I, s:I}, s:o, "
	                  "s:{s:I, s:I, s:I, s:I, s:I}}",
	    "requests", req, "responses", resp, "errors", "parse", (json_int_t)td_counter_get(m->parse_errors),
	    "rate_limited", (json_int_t)td_counter_get(m->rate_limited), "oversize",
	    (json_int_t)td_counter_get(m->oversize), "send", (json_int_t)ts.send_errors, "registrations",
	    "ok", (json_int_t)td_counter_get(m->reg_ok), "failed", (json_int_t)td_counter_get(m->reg_fail),
	    "latency_ms_p50", p50 != p50 ? -1 : p50, "latency_ms_p99", p99 != p99 ? -1 : p99, "calls",
	    "answered", (json_int_t)td_counter_get(m->calls_total[0]), "failed",
	    (json_int_t)td_counter_get(m->calls_total[1]), "cancelled",
	    (json_int_t)td_counter_get(m->calls_total[2]), "timeout",
	    (json_int_t)td_counter_get(m->calls_total[3]), "calls_now", "active",
	    (json_int_t)dlg_active(r->dlgs), "transactions", (json_int_t)txn_count(r->txns),
	    "setup_ms_p50", s50 != s50 ? -1 : s50, "retransmissions_absorbed",
	    (json_int_t)td_counter_get(m->retransmissions), "stateless_forwarded",
	    (json_int_t)td_counter_get(m->stateless_fwd), "auth_challenges",
	    (json_int_t)td_counter_get(m->auth_challenges), "auth_failures",
	    (json_int_t)td_counter_get(m->auth_failures), "transport", "udp_in", (json_int_t)ts.udp_in,
	    "udp_out", (json_int_t)ts.udp_out, "tcp_in", (json_int_t)ts.tcp_in, "tcp_out",
	    (json_int_t)ts.tcp_out, "tcp_open", (json_int_t)ts.tcp_open, "framing_errors",
	    (json_int_t)ts.framing_errors, "location", "lookups", (json_int_t)ls.lookups, "cache_hits",
	    (json_int_t)ls.cache_hits, "redis_errors", (json_int_t)ls.redis_errors, "bindings",
	    (json_int_t)ls.bindings, "events", ev_stats(r->ev), "dns", "hits", (json_int_t)ds.hits,
	    "misses", (json_int_t)ds.misses, "timeouts", (json_int_t)ds.timeouts, "failures",
	    (json_int_t)ds.failures, "names", (json_int_t)ds.entries));
}

/* ---- commands ------------------------------------------------------------------------------------ */

static int
cmd_registrations(void *arg, int argc, char **argv, json_t **out, char *err, size_t errlen)
{
	router_svc *s = arg;
	long limit = argc > 0 ? atol(argv[0]) : 100;
	return (loc_list(s->r.loc, limit > 0 ? limit : 100, out, err, errlen));
}

static int
cmd_lookup(void *arg, int argc, char **argv, json_t **out, char *err, size_t errlen)
{
	router_svc *s = arg;
	if (argc != 1) {
		snprintf(err, errlen, "usage: lookup USER@DOMAIN");
		return (TD_EINVAL);
	}
	loc_binding b[LOC_MAX_PER_AOR];
	int n = 0;
	int rv = loc_lookup(s->r.loc, argv[0], b, LOC_MAX_PER_AOR, &n);
	if (rv != 0) {
		snprintf(err, errlen, "location service unavailable: %s", td_strerror(rv));
		return (rv);
	}
	json_t *a = json_array();
	int64_t now = td_wall_us();
	for (int i = 0; i < n; i++) {
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:I, s:f, s:s, s:s}", "contact",
		                             b[i].contact, "received", b[i].received, "transport",
		                             b[i].transport == LOC_TCP ? "tcp" : "udp", "expires_s",
		                             (json_int_t)((b[i].expires_us - now) / 1000000), "q",
		                             b[i].q / 1000.0, "user_agent", b[i].user_agent, "node",
		                             b[i].node));
	}
	*out = a;
	return (TD_OK);
}

static int
cmd_transactions(void *arg, int argc, char **argv, json_t **out, char *err, size_t errlen)
{
	router_svc *s = arg;
	(void)err, (void)errlen;
	*out = txn_list(s->r.txns, argc > 0 ? atoi(argv[0]) : 50);
	return (TD_OK);
}

static int
cmd_calls(void *arg, int argc, char **argv, json_t **out, char *err, size_t errlen)
{
	router_svc *s = arg;
	(void)err, (void)errlen;
	*out = dlg_list(s->r.dlgs, argc > 0 ? atoi(argv[0]) : 50);
	return (TD_OK);
}

static int
cmd_reload(void *arg, int argc, char **argv, json_t **out, char *err, size_t errlen)
{
	router_svc *s = arg;
	(void)argc, (void)argv, (void)err, (void)errlen;
	rt_reload(s->r.rt);
	*out = json_pack("{s:s}", "result", "reload requested");
	return (TD_OK);
}

static int
cmd_route(void *arg, int argc, char **argv, json_t **out, char *err, size_t errlen)
{
	router_svc *s = arg;
	if (argc != 1 || strchr(argv[0], '@') == NULL) {
		snprintf(err, errlen, "usage: route NUMBER@DOMAIN");
		return (TD_EINVAL);
	}
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", argv[0]);
	char *at = strchr(buf, '@');
	*at = '\0';
	*out = rt_describe(s->r.rt, at + 1, buf);
	return (TD_OK);
}

static int
cmd_fs(void *arg, int argc, char **argv, json_t **out, char *err, size_t errlen)
{
	router_svc *s = arg;
	(void)argc, (void)argv, (void)err, (void)errlen;
	*out = fs_status(s->r.fs);
	return (TD_OK);
}

static int
cmd_blocked(void *arg, int argc, char **argv, json_t **out, char *err, size_t errlen)
{
	router_svc *s = arg;
	(void)argc, (void)argv, (void)err, (void)errlen;
	*out = rl_blocked(s->r.rl, td_mono_ms());
	return (TD_OK);
}

void
router_register_cmds(td_daemon *d, router_svc *s)
{
	const td_ctl_cmd cmds[] = {
	    {"registrations", "[limit]", "registered AORs and their bindings", cmd_registrations, s},
	    {"lookup", "USER@DOMAIN", "where an address of record can be reached", cmd_lookup, s},
	    {"transactions", "[limit]", "transactions in progress", cmd_transactions, s},
	    {"calls", "[limit]", "calls being set up or talking", cmd_calls, s},
	    {"reload-routing", "", "reload the extension model from PostgreSQL now", cmd_reload, s},
	    {"route", "NUMBER@DOMAIN", "what the routing data says about a number", cmd_route, s},
	    {"fs-pool", "", "FreeSWITCH nodes and their health", cmd_fs, s},
	    {"blocked", "", "sources ignored by the rate limiter", cmd_blocked, s},
	};
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		td_daemon_add_cmd(d, &cmds[i]);
	}
}
