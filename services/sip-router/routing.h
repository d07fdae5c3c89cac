/* SPDX-License-Identifier: MIT */
/*
 * The routing data: the unified extension model (voip.routing), the users
 * who may authenticate (voip.users HA1s), the local domains and the trunks,
 * loaded from PostgreSQL into an immutable in-memory snapshot.
 *
 * A loader thread keeps the snapshot current: it LISTENs on the
 * "tandem_routing" channel (migration triggers NOTIFY on every change to the
 * tables behind it), reloads (debounced) and swaps the snapshot atomically;
 * it also reloads every reload_interval as a safety net, and on demand.  If
 * PostgreSQL is down the last snapshot stays in force.
 *
 * Lookups copy what they return, so callers never hold a snapshot; they are
 * safe from any thread and cheap enough for every request (hash lookups,
 * no PostgreSQL round trip).
 */
#ifndef SIP_ROUTER_ROUTING_H
#define SIP_ROUTER_ROUTING_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "util/err.h"

#define RT_MAX_TRUNKS 8  /* trunk candidates returned for one number */
#define RT_MAX_NUMBER 63 /* longest dialled number rt_lookup considers; longer: TD_ENOTFOUND */

typedef enum rt_kind {
	RT_USER = 1,
	RT_QUEUE,
	RT_IVR,
	RT_VOICEMAIL,
	RT_CONFERENCE,
	RT_TRUNK_OUT,
} rt_kind;

enum { RT_TP_UDP = 1, RT_TP_TCP = 2, RT_TP_TLS = 3 };

typedef struct rt_trunk {
	char name[65];         /* voip.trunks.name: up to 64 characters */
	char host[256];
	uint16_t port;         /* 0 = default for the transport */
	uint8_t transport;     /* RT_TP_* */
	int priority;          /* lower first */
	bool healthy;          /* trunk_health != 'down' */
	int max_channels;      /* 0 = unlimited */
	char number[96];       /* the dialled number after strip/prepend, for this trunk
	                          (RT_MAX_NUMBER digits + a prepend of up to 32) */
} rt_trunk;

typedef struct rt_target {
	rt_kind kind;
	bool need_media;       /* queue, ivr, voicemail, conference: to FreeSWITCH */
	char domain[254];      /* as stored (lower case); domain names are up to 253 characters */
	char extension[64];    /* the matched extension (for trunk_out: the prefix) */
	char username[65];     /* RT_USER: user part of the AOR to look up; voicemail: mailbox
	                          ("" = the caller's own) */
	char name[128];        /* queue or IVR menu name, for headers/logs */
	int max_contacts;      /* RT_USER */
	int ntrunks;           /* RT_TRUNK_OUT: candidates, healthy first, then by priority */
	rt_trunk trunks[RT_MAX_TRUNKS]; /* only [0, ntrunks) are written */
} rt_target;

typedef struct rt_user {
	char username[65];     /* case-sensitive; up to 64 characters */
	char domain[254];
	char realm[254];       /* coalesce(domains.realm, domains.name); a domain whose realm
	                          is longer is not loaded (logged, counted in skipped) */
	char ha1_md5[33];      /* "" if no password set: the user cannot authenticate */
	char ha1_sha256[65];
	int max_contacts;
} rt_user;

typedef struct rt_cfg {
	const char *pg_dsn;
	int64_t reload_interval_ms; /* periodic full reload (safety net); <= 0: 5 minutes */
	int64_t debounce_ms;        /* after a NOTIFY, wait this long for more; 0: at once,
	                               < 0: 200 ms */
} rt_cfg;

typedef struct rt rt;

/*
 * rt_new makes an empty snapshot and starts the loader thread (which
 * connects on its own, with backoff: PostgreSQL may be down).  cfg is
 * copied.  NULL only if the thread cannot be started (logged).
 * rt_free stops the loader (waiting at most for one statement or connect
 * timeout) and frees everything; no other thread may use r any more.
 */
rt *rt_new(const rt_cfg *cfg);
void rt_free(rt *r);

/* rt_ready: a snapshot has been loaded at least once. */
bool rt_ready(rt *r);

/*
 * rt_lookup resolves number@domain: the exact extension (user, queue, ivr,
 * voicemail, conference) if there is one, else the trunk_out routes with the
 * longest matching prefix (all priorities of that prefix, healthy first);
 * trunk prefixes match dialable numbers only (non-empty, 0-9 * # +), so a
 * user name never reaches a carrier through the '' default route.
 * Domains compare case-insensitively, numbers exactly (unescaped digits:
 * "#", not "%23").  0, or TD_ENOTFOUND (unknown number or domain, or a
 * number longer than RT_MAX_NUMBER: the caller answers 404).
 */
int rt_lookup(rt *r, const char *domain, size_t dlen, const char *number, size_t nlen,
    rt_target *out) TD_MUSTCHECK;

/* rt_user_get: an enabled user of an enabled domain.  0 or TD_ENOTFOUND. */
int rt_user_get(rt *r, const char *domain, size_t dlen, const char *user, size_t ulen,
    rt_user *out) TD_MUSTCHECK;

/* rt_is_local: is domain one of ours (enabled)? */
bool rt_is_local(rt *r, const char *domain, size_t dlen);

/*
 * rt_realm: the digest realm of a local domain, into out; false if not local
 * (or if out cannot hold it: 254 bytes always can; a realm is never cut).
 */
bool rt_realm(rt *r, const char *domain, size_t dlen, char *out, size_t outlen);

/*
 * rt_is_trunk_addr: does sa belong to one of the enabled trunks: one of
 * their hosts' addresses (resolved at load time) or inside one of their
 * inbound_cidrs?  The IP address is compared, not the port (carriers send
 * from other ports than they listen on); IPv4-mapped IPv6 addresses count
 * as IPv4.  Calls from trunks are not challenged.
 */
bool rt_is_trunk_addr(rt *r, const struct sockaddr *sa);

/* rt_reload asks the loader for a reload now (CLI `reload-routing`); returns at once. */
void rt_reload(rt *r);

typedef struct rt_stats {
	uint64_t version;          /* increments on every successful load */
	int64_t loaded_at_us;
	uint64_t loads, load_failures, notifies;
	int domains, users, extensions, trunk_routes;
	int trunk_addrs;           /* addresses and networks rt_is_trunk_addr knows */
	int skipped;               /* rows of the last load that were invalid (logged) */
	int unresolved;            /* trunk hosts that did not resolve at the last load */
	bool pg_up;
} rt_stats;
void rt_stats_get(rt *r, rt_stats *st);

/*
 * rt_describe: one snapshot's view of number@domain as JSON (CLI `route`):
 * version, local, realm, route (or null and "error"), and the user of that
 * name if there is one (without its HA1s).  The caller owns the result.
 */
json_t *rt_describe(rt *r, const char *domain, const char *number);

/* rt_kind_name: "user", "queue", "ivr", "voicemail", "conference", "trunk_out". */
const char *rt_kind_name(rt_kind k);

#endif
