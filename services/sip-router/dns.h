/* SPDX-License-Identifier: MIT */
/*
 * Names the workers must resolve (a Route or Record-Route host, a Contact
 * with a name, a Request-URI): cached, and never waited for longer than
 * sip.dns_timeout, so a slow or absent DNS server costs a worker at most
 * that, once per name per sip.dns_cache_ttl, instead of the resolver's
 * own timeouts (seconds) on every request.
 *
 * A lookup runs on glibc's getaddrinfo_a threads and lands in the cache
 * when it finishes, even after the worker that asked stopped waiting, so
 * the next request for the name finds it.  Failures are cached too, for
 * sip.dns_negative_ttl.  Names under .invalid (RFC 6761; browser
 * softphones put them in their Contacts) fail at once, without a lookup.
 * Addresses come from getaddrinfo (/etc/hosts, then DNS A/AAAA; no SRV or
 * NAPTR); its TTLs are not visible, so the cache keeps each answer for
 * the configured time.
 */
#ifndef SIP_ROUTER_DNS_H
#define SIP_ROUTER_DNS_H

#include <stdint.h>

#include "addr.h"

typedef struct sr_dns sr_dns;

typedef struct sr_dns_stats {
	uint64_t hits, misses, timeouts, failures;
	long entries;
} sr_dns_stats;

sr_dns *dns_new(int64_t timeout_ms, int64_t ttl_ms, int64_t negative_ttl_ms);
/* dns_free waits for lookups still running (bounded by the resolver's own timeouts). */
void dns_free(sr_dns *d);

/*
 * dns_resolve fills a (address and family; port 5060 unless port, proto)
 * for host, a name.  0, TD_ENOTFOUND (no such name, or cached as failing),
 * or TD_ETIMEDOUT (no answer within the timeout; the lookup goes on).
 * Any thread.
 */
int dns_resolve(sr_dns *d, const char *host, uint16_t port, sr_proto proto, sr_addr *a)
    TD_MUSTCHECK;

void dns_stats(sr_dns *d, sr_dns_stats *st);

#endif
