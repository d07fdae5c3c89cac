/* SPDX-License-Identifier: MIT */
/* The FreeSWITCH pool: selection and health (see fspool.h). */
#include "fspool.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip/uri.h"
#include "util/clock.h"
#include "util/mem.h"

enum { S_ROUND_ROBIN = 0, S_LEAST_CALLS, S_HASH, S_PRIORITY };

typedef struct node_state {
	fs_node n;
	_Atomic int failures;  /* consecutive */
	_Atomic int calls;     /* in progress (least-calls) */
	_Atomic int64_t rtt_us;
	_Atomic int64_t last_ok_us, last_fail_us;
	_Atomic uint64_t ok_total, fail_total;
	_Atomic int64_t probe_sent_ms; /* 0 = no probe outstanding */
} node_state;

struct fs_pool {
	node_state nodes[FS_MAX_NODES];
	int n;
	int strategy;
	int fail_after;
	_Atomic uint32_t rr;
};

fs_pool *
fs_new(const char *spec, int strategy, int fail_after, char *err, size_t errlen)
{
	fs_pool *p = TD_NEW(fs_pool);
	p->strategy = strategy;
	p->fail_after = fail_after > 0 ? fail_after : 1;
	char *copy = td_xstrdup(spec), *save = NULL;
	for (char *t = strtok_r(copy, ", ", &save); t != NULL; t = strtok_r(NULL, ", ", &save)) {
		if (p->n == FS_MAX_NODES) {
			snprintf(err, errlen, "more than %d FreeSWITCH nodes", FS_MAX_NODES);
			goto fail;
		}
		td_sip_uri u;
		if (td_sip_uri_parse(td_sip_str_c(t), &u) != 0 || u.host.n == 0) {
			snprintf(err, errlen, "'%s' is not a sip: URI", t);
			goto fail;
		}
		node_state *ns = &p->nodes[p->n];
		snprintf(ns->n.uri, sizeof(ns->n.uri), "%s", t);
		snprintf(ns->n.hostport, sizeof(ns->n.hostport), "%.*s", (int)u.hostport.n, u.hostport.p);
		sr_proto proto = u.transport.n && td_sip_str_caseeq_c(u.transport, "tcp") ? SR_TCP : SR_UDP;
		char host[256];
		snprintf(host, sizeof(host), "%.*s", (int)u.host.n, u.host.p);
		if (sr_addr_resolve(&ns->n.addr, host, u.port, proto) != 0) {
			snprintf(err, errlen, "'%s': cannot resolve %s", t, host);
			goto fail;
		}
		p->n++;
	}
	free(copy);
	return (p);
fail:
	free(copy);
	free(p);
	return (NULL);
}

void
fs_free(fs_pool *p)
{
	free(p);
}

int
fs_count(fs_pool *p)
{
	return (p ? p->n : 0);
}

const fs_node *
fs_node_at(fs_pool *p, int idx)
{
	return (&p->nodes[idx].n);
}

bool
fs_is_node(fs_pool *p, const struct sockaddr *sa)
{
	sr_addr a = {0};
	memcpy(&a.u, sa, sa->sa_family == AF_INET ? sizeof(struct sockaddr_in)
	                                               : sizeof(struct sockaddr_in6));
	for (int i = 0; i < p->n; i++) {
		if (sr_addr_same_host(&p->nodes[i].n.addr, &a)) {
			return (true);
		}
	}
	return (false);
}

static bool
healthy(fs_pool *p, int i)
{
	return (atomic_load(&p->nodes[i].failures) < p->fail_after);
}

int
fs_pick(fs_pool *p, const char *key, size_t klen, uint32_t tried)
{
	if (p == NULL || p->n == 0) {
		return (-1);
	}
	int start = 0;
	switch (p->strategy) {
	case S_ROUND_ROBIN: start = (int)(atomic_fetch_add(&p->rr, 1) % (uint32_t)p->n); break;
	case S_HASH: {
		uint32_t h = 2166136261u;
		for (size_t i = 0; key != NULL && i < klen; i++) {
			h = (h ^ (unsigned char)key[i]) * 16777619u;
		}
		start = (int)(h % (uint32_t)p->n);
		break;
	}
	case S_LEAST_CALLS: {
		int best = -1, calls = 0;
		for (int i = 0; i < p->n; i++) {
			if ((tried & (1u << i)) || !healthy(p, i)) {
				continue;
			}
			int c = atomic_load(&p->nodes[i].calls);
			if (best < 0 || c < calls) {
				best = i;
				calls = c;
			}
		}
		if (best >= 0) {
			return (best);
		}
		break;
	}
	default: break; /* priority: the first healthy one, in configured order */
	}
	/* Healthy nodes first; if none is left, still try untried ones (probes may lag). */
	for (int pass = 0; pass < 2; pass++) {
		for (int k = 0; k < p->n; k++) {
			int i = (start + k) % p->n;
			if ((tried & (1u << i)) || (pass == 0 && !healthy(p, i))) {
				continue;
			}
			return (i);
		}
	}
	return (-1);
}

void
fs_call_begin(fs_pool *p, int idx)
{
	atomic_fetch_add(&p->nodes[idx].calls, 1);
}

void
fs_call_end(fs_pool *p, int idx)
{
	if (atomic_fetch_sub(&p->nodes[idx].calls, 1) <= 0) {
		atomic_store(&p->nodes[idx].calls, 0);
	}
}

void
fs_result(fs_pool *p, int idx, bool ok, int64_t rtt_us)
{
	node_state *ns = &p->nodes[idx];
	if (ok) {
		atomic_store(&ns->failures, 0);
		atomic_store(&ns->last_ok_us, td_wall_us());
		atomic_fetch_add(&ns->ok_total, 1);
		if (rtt_us > 0) {
			atomic_store(&ns->rtt_us, rtt_us);
		}
	} else {
		atomic_fetch_add(&ns->failures, 1);
		atomic_store(&ns->last_fail_us, td_wall_us());
		atomic_fetch_add(&ns->fail_total, 1);
	}
}

void
fs_probe_sent(fs_pool *p, int idx, int64_t now_ms)
{
	int64_t zero = 0;
	/* A probe still outstanding keeps its start time (it will expire). */
	atomic_compare_exchange_strong(&p->nodes[idx].probe_sent_ms, &zero, now_ms);
}

void
fs_probe_result(fs_pool *p, int idx, bool ok, int64_t rtt_us)
{
	if (atomic_exchange(&p->nodes[idx].probe_sent_ms, 0) != 0 || ok) {
		fs_result(p, idx, ok, rtt_us);
	}
}

void
fs_probe_expire(fs_pool *p, int64_t now_ms, int64_t timeout_ms)
{
	for (int i = 0; p != NULL && i < p->n; i++) {
		int64_t sent = atomic_load(&p->nodes[i].probe_sent_ms);
		if (sent != 0 && now_ms - sent > timeout_ms &&
		    atomic_compare_exchange_strong(&p->nodes[i].probe_sent_ms, &sent, 0)) {
			fs_result(p, i, false, 0);
		}
	}
}

json_t *
fs_status(fs_pool *p)
{
	json_t *a = json_array();
	for (int i = 0; p != NULL && i < p->n; i++) {
		node_state *ns = &p->nodes[i];
		json_array_append_new(a, json_pack("{s:s, s:s, s:i, s:i, s:f, s:I, s:I}", "node",
		                             ns->n.uri, "state", healthy(p, i) ? "up" : "down",
		                             "failures", atomic_load(&ns->failures), "calls",
		                             atomic_load(&ns->calls), "rtt_ms",
		                             (double)atomic_load(&ns->rtt_us) / 1000.0, "ok",
		                             (json_int_t)atomic_load(&ns->ok_total), "failed",
		                             (json_int_t)atomic_load(&ns->fail_total)));
	}
	return (a);
}
