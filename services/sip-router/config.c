/* SPDX-License-Identifier: MIT */
/* sip-router's config table. */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "kv/kv.h"
#include "router.h"

const char *const router_fs_strategies[] = {"round-robin", "least-calls", "hash", "priority",
    NULL};

#define OFF(f) offsetof(router_cfg, f)
const td_cfg_key router_cfg_keys[] = {
    {"sip.listen", TD_CFG_STR, OFF(listen), "udp:0.0.0.0:5060,tcp:0.0.0.0:5060", 0, 0, NULL, 0,
        "where SIP is served: comma-separated udp:HOST:PORT / tcp:HOST:PORT ([v6] hosts)"},
    {"sip.advertise", TD_CFG_STR, OFF(advertise), "", 0, 0, NULL, 0,
        "host[:port] put in Via and Record-Route (the virtual IP); empty = the first listen "
        "address"},
    {"sip.workers", TD_CFG_INT, OFF(workers), "0", 0, 64, NULL, 0,
        "worker threads; 0 = one per CPU of cpu.set, at least 2"},
    {"sip.max_message", TD_CFG_SIZE, OFF(max_message), "64k", 1024, 1048576, NULL, 0,
        "largest SIP message accepted (UDP datagrams are at most 64k anyway)"},
    {"sip.tcp_idle_timeout", TD_CFG_MS, OFF(tcp_idle_ms), "10m", 1000, 86400000, NULL, 0,
        "close a TCP connection with no traffic for this long"},
    {"sip.min_expires", TD_CFG_INT, OFF(min_expires), "60", 1, 86400, NULL, 0,
        "shortest registration accepted; shorter gets 423 with Min-Expires"},
    {"sip.max_expires", TD_CFG_INT, OFF(max_expires), "3600", 1, 604800, NULL, 0,
        "longest registration granted (longer requests are shortened)"},
    {"sip.default_expires", TD_CFG_INT, OFF(default_expires), "3600", 1, 604800, NULL, 0,
        "registration time when the REGISTER asks none"},
    {"sip.trusted", TD_CFG_STR, OFF(trusted), "", 0, 0, NULL, 0,
        "comma-separated CIDRs never challenged (besides FreeSWITCH nodes and trunks)"},
    {"sip.pike_rate", TD_CFG_INT, OFF(pike_rate), "200", 0, 1000000, NULL, 0,
        "requests per second one source address may send; 0 = no limit"},
    {"sip.pike_burst", TD_CFG_INT, OFF(pike_burst), "400", 1, 10000000, NULL, 0,
        "requests a source may send in a burst above the rate"},
    {"sip.pike_block", TD_CFG_MS, OFF(pike_block_ms), "30s", 0, 86400000, NULL, 0,
        "how long a source over its limit is ignored"},
    {"sip.max_call_duration", TD_CFG_MS, OFF(max_call_ms), "12h", 60000, 604800000, NULL, 0,
        "a call without BYE is considered ended after this long"},
    {"sip.txn_linger", TD_CFG_MS, OFF(txn_linger_ms), "5s", 0, 32000, NULL, 0,
        "how long a finished transaction absorbs retransmissions (UDP), also an answered "
        "INVITE's (RFC 6026 Timer L says 32s); Kamailio uses 5s"},
    {"sip.invite_timeout", TD_CFG_MS, OFF(invite_timeout_ms), "3m", 10000, 3600000, NULL, 0,
        "longest an INVITE branch may ring before it is cancelled (Timer C)"},
    {"sip.failover_timeout", TD_CFG_MS, OFF(fr_timeout_ms), "3s", 200, 32000, NULL, 0,
        "a FreeSWITCH node or trunk that answers nothing (not even 100 Trying) for this long "
        "is given up and the next one tried"},
    {"sip.dns_timeout", TD_CFG_MS, OFF(dns_timeout_ms), "500ms", 10, 10000, NULL, 0,
        "longest a worker waits for a name (Route, Contact, Request-URI host) to resolve; "
        "the request then fails and the lookup goes on for the next one"},
    {"sip.dns_cache_ttl", TD_CFG_MS, OFF(dns_ttl_ms), "60s", 0, 86400000, NULL, 0,
        "how long a resolved name is kept"},
    {"sip.dns_negative_ttl", TD_CFG_MS, OFF(dns_neg_ttl_ms), "5s", 0, 3600000, NULL, 0,
        "how long a name that did not resolve is not asked again"},
    {"sip.force_rport", TD_CFG_BOOL, OFF(force_rport), "true", 0, 0, NULL, 0,
        "answer UDP requests at the port they came from even without ;rport (NAT-friendly, "
        "Kamailio's force_rport()); false: the Via's port, as RFC 3261 section 18.2.2 says"},
    {"sip.default_domain", TD_CFG_STR, OFF(default_domain), "", 0, 0, NULL, 0,
        "domain for requests addressed to one of our IP addresses; empty = the caller's "
        "From domain"},
    {"sip.server_name", TD_CFG_STR, OFF(server_name), "tandem-sip-router", 0, 0, NULL, 0,
        "Server and User-Agent header value"},
    {"auth.secret", TD_CFG_STR, OFF(auth_secret), NULL, 0, 0, NULL, TD_CFG_SECRET,
        "64 hex digits keying digest nonces; the same on both nodes"},
    {"auth.nonce_lifetime", TD_CFG_MS, OFF(nonce_lifetime_ms), "5m", 10000, 3600000, NULL, 0,
        "how long a digest nonce is accepted (then stale=true)"},
    {"auth.algorithms", TD_CFG_STR, OFF(auth_algorithms), "SHA-256,MD5", 0, 0, NULL, 0,
        "digest algorithms offered, in order (SHA-256, MD5)"},
    {"redis.url", TD_CFG_STR, OFF(redis_url), "redis://127.0.0.1:6379/0", 0, 0, NULL, 0,
        "Redis holding the registrations (location service)"},
    {"location.cache_ttl", TD_CFG_MS, OFF(loc_cache_ms), "5s", 0, 600000, NULL, 0,
        "how long a looked-up registration is used without asking Redis again"},
    {"location.wait_replicas", TD_CFG_INT, OFF(loc_wait_replicas), "0", 0, 8, NULL, 0,
        "> 0: each registration write waits (WAIT) for this many Redis replicas, so a "
        "failover loses none; the two-node setup uses 1"},
    {"location.wait_timeout", TD_CFG_MS, OFF(loc_wait_ms), "50ms", 1, 1000, NULL, 0,
        "longest a registration waits for the replicas (then it is acknowledged anyway "
        "and counted as unreplicated)"},
    {"pg.dsn", TD_CFG_STR, OFF(pg_dsn), NULL, 0, 0, NULL, 0,
        "PostgreSQL with voip_platform (extensions, users, trunks)"},
    {"routing.reload_interval", TD_CFG_MS, OFF(routing_reload_ms), "5m", 1000, 86400000, NULL,
        0, "full reload of the routing data besides the change notifications"},
    {"routing.debounce", TD_CFG_MS, OFF(routing_debounce_ms), "200ms", 0, 60000, NULL, 0,
        "after a change notification, wait this long for more before reloading once"},
    {"fs.nodes", TD_CFG_STR, OFF(fs_nodes), "", 0, 0, NULL, 0,
        "FreeSWITCH pool for queue/ivr/voicemail/conference: sip:HOST:PORT,..."},
    {"fs.strategy", TD_CFG_ENUM, OFF(fs_strategy), "round-robin", 0, 0, router_fs_strategies, 0,
        "how a FreeSWITCH node is chosen: round-robin, least-calls, hash (by Call-ID), "
        "priority (first healthy)"},
    {"fs.probe_interval", TD_CFG_MS, OFF(fs_probe_ms), "2s", 100, 600000, NULL, 0,
        "OPTIONS probe period per FreeSWITCH node"},
    {"fs.probe_timeout", TD_CFG_MS, OFF(fs_probe_timeout_ms), "1s", 50, 60000, NULL, 0,
        "a probe unanswered this long counts as a failure"},
    {"fs.fail_after", TD_CFG_INT, OFF(fs_fail_after), "2", 1, 100, NULL, 0,
        "consecutive failed probes before a node is skipped"},
    {"bus.publish", TD_CFG_STR, OFF(bus_pub), "", 0, 0, NULL, 0,
        "where call and registration events are published; empty = "
        "ipc://<run.dir>/sip-router.pub"},
    {"bus.peers", TD_CFG_STR, OFF(bus_peers), "", 0, 0, NULL, 0,
        "the other node's sip-router publish URL(s): its registration changes refresh our "
        "cache"},
    {"cdr.inbox", TD_CFG_STR, OFF(cdr_inbox), "", 0, 0, NULL, 0,
        "cdr-collector's inbox for call-ended records (acknowledged, retried); empty = "
        "ipc://<run.dir>/cdr-collector.inbox; off = none (the call.ended events are still "
        "published)"},
    {"cdr.queue_max", TD_CFG_INT, OFF(cdr_queue_max), "100000", 100, 10000000, NULL, 0,
        "call-ended records kept in memory while cdr-collector is unreachable"},
};
#undef OFF
const size_t router_cfg_nkeys = sizeof(router_cfg_keys) / sizeof(router_cfg_keys[0]);

int
router_cfg_validate(void *cfgp, char *err, size_t errlen)
{
	router_cfg *c = cfgp;
	td_kv_url u;
	if (td_kv_parse_url(c->redis_url, &u) != 0) {
		snprintf(err, errlen, "config: key 'redis.url' = '%s': not a redis:// or unix:// URL",
		    c->redis_url);
		return (-1);
	}
	size_t n = strlen(c->auth_secret);
	for (size_t i = 0; i < n; i++) {
		if (!isxdigit((unsigned char)c->auth_secret[i])) {
			n = 0;
			break;
		}
	}
	if (n != 64) {
		snprintf(err, errlen, "config: key 'auth.secret': expected 64 hex digits "
		                      "(e.g. openssl rand -hex 32)");
		return (-1);
	}
	if (c->min_expires > c->max_expires || c->default_expires > c->max_expires ||
	    c->default_expires < c->min_expires) {
		snprintf(err, errlen, "config: keys 'sip.min_expires' <= 'sip.default_expires' <= "
		                      "'sip.max_expires' must hold");
		return (-1);
	}
	if (c->pg_dsn[0] == '\0') {
		snprintf(err, errlen, "config: key 'pg.dsn' is empty");
		return (-1);
	}
	return (0);
}
