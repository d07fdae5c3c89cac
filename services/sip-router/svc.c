/* SPDX-License-Identifier: MIT */
/* sip-router: starting and stopping the subsystems, and the main-thread tick. */
#include "svc.h"

#include <ifaddrs.h>
#include <malloc.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dialog.h"
#include "dialog_store.h"
#include "dns.h"
#include "events.h"
#include "fspool.h"
#include "location.h"
#include "log/log.h"
#include "proxy.h"
#include "ratelimit.h"
#include "routing.h"
#include "txn.h"
#include "util/clock.h"
#include "util/mem.h"
#include "worker.h"

/* ---- registration events: ours to the bus, the peer's to our cache --------------- */

static void
on_loc_event(void *arg, loc_event e, const char *aor, const loc_binding *b)
{
	sr *r = arg;
	static const Tandem__RegistrationEventKind kinds[] = {TANDEM__REGISTRATION_EVENT_KIND__REG_EVENT_UNKNOWN,
	    TANDEM__REGISTRATION_EVENT_KIND__REG_ADDED, TANDEM__REGISTRATION_EVENT_KIND__REG_REFRESHED,
	    TANDEM__REGISTRATION_EVENT_KIND__REG_REMOVED, TANDEM__REGISTRATION_EVENT_KIND__REG_EXPIRED};
	Tandem__RegistrationEvent re = TANDEM__REGISTRATION_EVENT__INIT;
	re.kind = kinds[(int)e >= 1 && (int)e <= 4 ? e : 0];
	re.aor = (char *)aor;
	if (b != NULL) {
		re.contact = (char *)b->contact;
		re.expires_us = b->expires_us;
		re.user_agent = (char *)b->user_agent;
		re.source_addr = (char *)b->received;
	}
	ev_registration(r->ev, &re);
}

static void
on_peer_event(void *arg, const char *topic, const Tandem__Event *ev)
{
	router_svc *s = arg;
	(void)topic;
	if (ev->body_case == TANDEM__EVENT__BODY_REGISTRATION && ev->registration != NULL &&
	    ev->registration->aor != NULL && strcmp(ev->node, s->r.node) != 0) {
		loc_invalidate(s->r.loc, ev->registration->aor);
	}
}

/* ---- addresses ------------------------------------------------------------------------------ */

/* first_address: a non-loopback IPv4 address of this host, for a wildcard listener. */
static void
first_address(char *out, size_t len)
{
	struct ifaddrs *ifs, *i;
	snprintf(out, len, "127.0.0.1");
	if (getifaddrs(&ifs) != 0) {
		return;
	}
	for (i = ifs; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr != NULL && i->ifa_addr->sa_family == AF_INET) {
			const struct sockaddr_in *a = (const struct sockaddr_in *)(const void *)i->ifa_addr;
			if ((ntohl(a->sin_addr.s_addr) >> 24) != 127) {
				inet_ntop(AF_INET, &a->sin_addr, out, (socklen_t)len);
				break;
			}
		}
	}
	freeifaddrs(ifs);
}

static int
set_advertise(sr *r, char *err, size_t errlen)
{
	const char *adv = r->cfg->advertise;
	if (adv[0] != '\0') {
		const char *colon = strrchr(adv, ':');
		const char *rb = strrchr(adv, ']');
		if (colon != NULL && (rb == NULL || colon > rb)) {
			snprintf(r->adv_host, sizeof(r->adv_host), "%.*s", (int)(colon - adv), adv);
			long port = strtol(colon + 1, NULL, 10);
			if (port <= 0 || port > 65535) {
				snprintf(err, errlen, "config: key 'sip.advertise' = '%s': bad port", adv);
				return (TD_EINVAL);
			}
			r->adv_port = (uint16_t)port;
		} else {
			snprintf(r->adv_host, sizeof(r->adv_host), "%s", adv);
			r->adv_port = sr_addr_port(&r->listen[0].addr);
		}
		return (TD_OK);
	}
	const sr_addr *l = &r->listen[0].addr;
	char h[64];
	sr_addr_host(l, h, sizeof(h));
	if (strcmp(h, "0.0.0.0") == 0 || strcmp(h, "::") == 0) {
		first_address(h, sizeof(h));
	}
	if (l->u.sa.sa_family == AF_INET6 && strchr(h, ':') != NULL) {
		snprintf(r->adv_host, sizeof(r->adv_host), "[%s]", h);
	} else {
		snprintf(r->adv_host, sizeof(r->adv_host), "%s", h);
	}
	r->adv_port = sr_addr_port(l);
	return (TD_OK);
}

static int
parse_trusted(sr *r, char *err, size_t errlen)
{
	char *copy = td_xstrdup(r->cfg->trusted), *save = NULL;
	int rv = TD_OK;
	for (char *t = strtok_r(copy, ", ", &save); t != NULL; t = strtok_r(NULL, ", ", &save)) {
		if (r->ntrusted == SR_MAX_TRUSTED || sr_cidr_parse(&r->trusted[r->ntrusted], t) != 0) {
			snprintf(err, errlen, "config: key 'sip.trusted': bad network '%s'", t);
			rv = TD_EINVAL;
			break;
		}
		r->ntrusted++;
	}
	free(copy);
	return (rv);
}

static unsigned
parse_algs(const char *s)
{
	unsigned algs = 0;
	if (strstr(s, "SHA-256") != NULL) {
		algs |= TD_DIGEST_ALG_BIT(TD_DIGEST_SHA256);
	}
	if (strstr(s, "MD5") != NULL) {
		algs |= TD_DIGEST_ALG_BIT(TD_DIGEST_MD5);
	}
	return (algs);
}

/* ---- start / stop ---------------------------------------------------------------------------- */

int
router_start(router_svc *s, const router_cfg *cfg, const td_daemon_common *cm, char *err,
    size_t errlen)
{
	sr *r = &s->r;
	r->cfg = cfg;
	/*
	 * Every request allocates and frees tens of kilobytes (its context, the
	 * copies of messages sent, lookups): without this glibc keeps trimming
	 * and regrowing the worker threads' heaps (mprotect, page faults), which
	 * cost a fifth of the router's CPU under load.  Keep up to 64 MB of free
	 * heap instead.
	 */
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	mallopt(M_TOP_PAD, 16 << 20);
	mallopt(M_MMAP_THRESHOLD, 1 << 20);
	snprintf(r->node, sizeof(r->node), "%s", cm->node_name);
	snprintf(r->run_dir, sizeof(r->run_dir), "%s", cm->run_dir);
	sr_metrics_init(&r->m);
	randombytes_buf(r->branch_key, sizeof(r->branch_key));
	if (tp_parse_listen(cfg->listen, r->listen, TP_MAX_LISTEN, &r->nlisten, err, errlen) != 0) {
		char tmp[256];
		snprintf(tmp, sizeof(tmp), "config: key 'sip.listen': %s", err);
		snprintf(err, errlen, "%s", tmp);
		return (TD_EINVAL);
	}
	if (set_advertise(r, err, errlen) != 0 || parse_trusted(r, err, errlen) != 0) {
		return (TD_EINVAL);
	}
	uint8_t secret[TD_DIGEST_SECRET_LEN];
	if (td_digest_secret_parse(cfg->auth_secret, secret) != 0) {
		snprintf(err, errlen, "config: key 'auth.secret': expected 64 hex digits");
		return (TD_EINVAL);
	}
	uint32_t nh = 2166136261u;
	for (const char *p = r->node; *p; p++) {
		nh = (nh ^ (unsigned char)*p) * 16777619u;
	}
	td_digest_cfg dc = {.secret = secret, .lifetime_s = (int)(cfg->nonce_lifetime_ms / 1000),
	    .algs = parse_algs(cfg->auth_algorithms), .node_id = (uint8_t)nh};
	if (dc.algs == 0) {
		snprintf(err, errlen, "config: key 'auth.algorithms': name SHA-256 and/or MD5");
		return (TD_EINVAL);
	}
	if (td_digest_new(&dc, td_wall_us(), &r->digest) != 0) {
		snprintf(err, errlen, "config: key 'auth.nonce_lifetime': out of range");
		return (TD_EINVAL);
	}
	sodium_memzero(secret, sizeof(secret));
	r->dns = dns_new(cfg->dns_timeout_ms, cfg->dns_ttl_ms, cfg->dns_neg_ttl_ms);
	r->fs = fs_new(cfg->fs_nodes, cfg->fs_strategy, (int)cfg->fs_fail_after, err, errlen);
	if (r->fs == NULL) {
		char tmp[256];
		snprintf(tmp, sizeof(tmp), "config: key 'fs.nodes': %s", err);
		snprintf(err, errlen, "%s", tmp);
		return (TD_EINVAL);
	}
	char pub[512], inbox[512];
	if (cfg->bus_pub[0]) {
		snprintf(pub, sizeof(pub), "%s", cfg->bus_pub);
	} else {
		snprintf(pub, sizeof(pub), "ipc://%s/sip-router.pub", r->run_dir);
	}
	if (cfg->cdr_inbox[0]) {
		snprintf(inbox, sizeof(inbox), "%s", cfg->cdr_inbox);
	} else {
		snprintf(inbox, sizeof(inbox), "ipc://%s/cdr-collector.inbox", r->run_dir);
	}
	bool no_inbox = strcmp(cfg->cdr_inbox, "off") == 0;
	r->ev = ev_new(r, pub, no_inbox ? NULL : inbox, (long)cfg->cdr_queue_max, err, errlen);
	if (r->ev == NULL) {
		char tmp[256];
		snprintf(tmp, sizeof(tmp), "config: key 'bus.publish': %s", err);
		snprintf(err, errlen, "%s", tmp);
		return (TD_EINVAL);
	}
	r->rl = rl_new((long)cfg->pike_rate, (long)cfg->pike_burst, cfg->pike_block_ms);
	r->txns = txn_table_new();
	r->dlgs = dlg_table_new(r);
	(void)dlg_store_restore(r->dlgs, cfg->redis_url, r->node); /* logged; nothing to undo */
	r->rt = rt_new(&(rt_cfg){.pg_dsn = cfg->pg_dsn, .reload_interval_ms = cfg->routing_reload_ms,
	    .debounce_ms = cfg->routing_debounce_ms});
	r->loc = loc_new(&(loc_cfg){.redis_url = cfg->redis_url, .node = r->node,
	    .cache_ttl_ms = cfg->loc_cache_ms, .cmd_timeout_ms = 2000, .group_max = 500,
	    .wait_replicas = (int)cfg->loc_wait_replicas, .wait_ms = (int)cfg->loc_wait_ms,
	    .on_event = on_loc_event, .event_arg = r});
	if (r->rt == NULL || r->loc == NULL) {
		snprintf(err, errlen, "cannot start the routing loader or the location service");
		return (TD_EIO);
	}
	r->tp = tp_new(r);
	if (cfg->bus_peers[0]) {
		char *copy = td_xstrdup(cfg->bus_peers), *urls[8], *save = NULL;
		size_t n = 0;
		for (char *t = strtok_r(copy, ", ", &save); t && n < 8; t = strtok_r(NULL, ", ", &save)) {
			urls[n++] = t;
		}
		char *topics[] = {(char *)TD_TOPIC_REG};
		int rv = td_bus_sub_open(&s->peers, urls, n, topics, 1, on_peer_event, s, err, errlen);
		free(copy);
		if (rv != 0) {
			char tmp[256];
			snprintf(tmp, sizeof(tmp), "config: key 'bus.peers': %s", err);
			snprintf(err, errlen, "%s", tmp);
			return (TD_EINVAL);
		}
	}
	int n = (int)cfg->workers;
	if (n <= 0) {
		n = cm->cpu_set.pinned ? cm->cpu_set.ncpus : (int)sysconf(_SC_NPROCESSORS_ONLN);
		if (n < 2) {
			n = 2;
		}
	}
	r->w = td_xcalloc((size_t)n, sizeof(worker *));
	for (int i = 0; i < n; i++) {
		int rv = worker_start(r, i, r->listen, r->nlisten, &r->w[i], err, errlen);
		r->nworkers = i + 1;
		if (rv != 0) {
			char tmp[256];
			snprintf(tmp, sizeof(tmp), "config: key 'sip.listen': %s", err);
			snprintf(err, errlen, "%s", tmp);
			return (rv);
		}
	}
	char l0[64];
	LOG_INFO("SIPR-LISTEN", "serving SIP on %s (%d listen addresses, %d workers), advertising %s:%u",
	    sr_addr_fmt(&r->listen[0].addr, l0, sizeof(l0)), r->nlisten, n, r->adv_host, r->adv_port);
	return (TD_OK);
}

void
router_stop(router_svc *s)
{
	sr *r = &s->r;
	/* Stop receiving first, then the things workers call into. */
	for (int i = 0; i < r->nworkers; i++) {
		worker_stop(r->w[i]);
	}
	free(r->w);
	td_bus_sub_close(s->peers);
	if (r->tp != NULL) {
		tp_close_all(r->tp);
	}
	tp_free(r->tp);
	txn_table_free(r->txns);
	if (r->dlgs != NULL && r->cfg != NULL) {
		(void)dlg_store_save(r->dlgs, r->cfg->redis_url, r->node, r->cfg->max_call_ms);
	}
	dlg_table_free(r->dlgs);
	loc_free(r->loc);
	rt_free(r->rt);
	ev_free(r->ev);
	rl_free(r->rl);
	fs_free(r->fs);
	dns_free(r->dns);
	td_digest_free(r->digest);
	sr_metrics_fini(&r->m);
}

/* ---- the tick ---------------------------------------------------------------------------------- */

static void
probe_task(worker *w, void *arg)
{
	proxy_probe(w, (int)(intptr_t)arg);
}

void
router_tick(router_svc *s)
{
	sr *r = &s->r;
	int64_t now = td_mono_ms();
	fs_probe_expire(r->fs, now, r->cfg->fs_probe_timeout_ms);
	if (now >= s->next_probe_ms) {
		for (int i = 0; i < fs_count(r->fs); i++) {
			worker_post(r->w[i % r->nworkers], probe_task, (void *)(intptr_t)i);
		}
		s->next_probe_ms = now + r->cfg->fs_probe_ms;
	}
	if (now >= s->next_second_ms) {
		s->next_second_ms = now + 1000;
		dlg_tick(r->dlgs);
		loc_expire_tick(r->loc);
		td_gauge_set(r->m.transactions, (double)txn_count(r->txns));
		loc_stats ls;
		loc_stats_get(r->loc, &ls);
		td_gauge_set(r->m.registrations, (double)ls.bindings);
		json_t *bl = rl_blocked(r->rl, now);
		td_gauge_set(r->m.blocked_sources, (double)json_array_size(bl));
		json_decref(bl);
		if (++s->seconds % 10 == 0) {
			rl_sweep(r->rl, now);
		}
	}
}
