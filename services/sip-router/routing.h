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

#define RT_MAX_TRUNKS 8 /* trunk candidates returned for one number */

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
	char name[64];
	char host[256];
	uint16_t port;         /* 0 = default for the transport */
	uint8_t transport;     /* RT_TP_* */
	int priority;          /* lower first */
	bool healthy;          /* trunk_health != 'down' */
	int max_channels;      /* 0 = unlimited */
	char number[64];       /* the dialled number after strip/prepend, for this trunk */
} rt_trunk;

typedef struct rt_target {
	rt_kind kind;
	bool need_media;       /* queue, ivr, voicemail, conference: to FreeSWITCH */
	char domain[128];
	char extension[64];    /* the matched extension (for trunk_out: the prefix) */
	char username[64];     /* RT_USER: user part of the AOR to look up; voicemail: mailbox */
	char name[128];        /* queue or IVR menu name, for headers/logs */
	int max_contacts;      /* RT_USER */
	int ntrunks;           /* RT_TRUNK_OUT: candidates, healthy first, then by priority */
	rt_trunk trunks[RT_MAX_TRUNKS];
} rt_target;

typedef struct rt_user {
	char username[64];
	char domain[128];
	char realm[128];       /* coalesce(domains.realm, domains.name) */
	char ha1_md5[33];      /* "" if no password set: the user cannot authenticate */
	char ha1_sha256[65];
	int max_contacts;
} rt_user;

typedef struct rt_cfg {
	const char *pg_dsn;
	int64_t reload_interval_ms; /* periodic full reload (safety net) */
	int64_t debounce_ms;        /* after a NOTIFY, wait this long for more */
} rt_cfg;

typedef struct rt rt;

/* rt_new makes an empty snapshot and starts the loader thread. */
rt *rt_new(const rt_cfg *cfg);
void rt_free(rt *r);

/* rt_ready: a snapshot has been loaded at least once. */
bool rt_ready(rt *r);

/*
 * rt_lookup resolves number@domain: the exact extension (user, queue, ivr,
 * voicemail, conference) if there is one, else the trunk_out routes with the
 * longest matching prefix (all priorities of that prefix, healthy first).
 * Domains compare case-insensitively.  0, or TD_ENOTFOUND (unknown number
 * or domain: the caller answers 404).
 */
int rt_lookup(rt *r, const char *domain, size_t dlen, const char *number, size_t nlen,
    rt_target *out) TD_MUSTCHECK;

/* rt_user_get: an enabled user of an enabled domain.  0 or TD_ENOTFOUND. */
int rt_user_get(rt *r, const char *domain, size_t dlen, const char *user, size_t ulen,
    rt_user *out) TD_MUSTCHECK;

/* rt_is_local: is domain one of ours (enabled)? */
bool rt_is_local(rt *r, const char *domain, size_t dlen);

/* rt_realm: the digest realm of a local domain, into out; false if not local. */
bool rt_realm(rt *r, const char *domain, size_t dlen, char *out, size_t outlen);

/*
 * rt_is_trunk_addr: does sa belong to one of the trunks (their hosts,
 * resolved at load time)?  Calls from trunks are not challenged.
 */
bool rt_is_trunk_addr(rt *r, const struct sockaddr *sa);

/* rt_reload asks the loader for a reload now (CLI `reload-routing`); returns at once. */
void rt_reload(rt *r);

typedef struct rt_stats {
	uint64_t version;          /* increments on every successful load */
	int64_t loaded_at_us;
	uint64_t loads, load_failures, notifies;
	int domains, users, extensions, trunk_routes;
	bool pg_up;
} rt_stats;
void rt_stats_get(rt *r, rt_stats *st);

/* rt_describe: the snapshot's view of number@domain as JSON (CLI `route`). */
json_t *rt_describe(rt *r, const char *domain, const char *number);

#endif
