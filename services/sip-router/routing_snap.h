/* SPDX-License-Identifier: MIT */
/*
 * Inside the routing data (see routing.h for the public side): the immutable
 * snapshot, the builder that makes one from rows, and how a snapshot is
 * published to readers.  The loader (routing.c) feeds the builder rows it
 * read from PostgreSQL; the tests and tools/routing-bench feed it rows from
 * memory, through the same code.
 *
 * Not for other modules of sip-router: they use routing.h.
 */
#ifndef SIP_ROUTER_ROUTING_SNAP_H
#define SIP_ROUTER_ROUTING_SNAP_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "routing.h"
#include "util/err.h"

/* One row of voip.routing.  Strings may be NULL (SQL NULL). */
typedef struct rt_route_row {
	const char *domain;
	const char *extension; /* trunk_out: the prefix */
	const char *type;      /* user|queue|ivr|voicemail|conference|trunk_out */
	const char *sip_username;
	int max_contacts;
	const char *queue_name;
	const char *ivr_menu_name;
	/* trunk_out only */
	int strip_digits;
	const char *prepend;
	int priority;
	const char *trunk_name;
	const char *trunk_host;
	int trunk_port;
	const char *trunk_transport; /* udp|tcp|tls */
	const char *trunk_health;    /* unknown|up|down */
	int trunk_max_channels;
} rt_route_row;

/* One row of voip.domains. */
typedef struct rt_domain_row {
	const char *name;
	const char *realm; /* NULL: the name */
	bool enabled;
} rt_domain_row;

/* One row of voip.users (with its domain's name). */
typedef struct rt_user_row {
	const char *domain;
	const char *username;
	const char *ha1_md5;    /* NULL: no password */
	const char *ha1_sha256; /* NULL: none */
	int max_contacts;
	bool enabled;
} rt_user_row;

typedef struct rt_snap rt_snap;
typedef struct rt_builder rt_builder;

/*
 * The builder.  Rows are checked and copied as they come; domains must be
 * added before the routes and users that name them.  Each add returns:
 *   0             the row is in;
 *   TD_ENOTFOUND  its domain is unknown or disabled (routes: logged and
 *                 counted in skipped, the view never has them; users: silent);
 *   TD_EINVAL     the row is invalid (unknown type, missing reference,
 *                 too long for the fixed fields): logged, counted in skipped;
 *   TD_EEXIST     a second domain, number (per domain) or user (per domain):
 *                 the first row wins; logged, counted in skipped;
 *   1             the row is disabled, ignored (domains, users).
 * A second route of one trunk for one prefix is dropped the same way by
 * rt_builder_finish.  One thread at a time.
 */
rt_builder *rt_builder_new(void);
void rt_builder_free(rt_builder *b);
int rt_builder_domain(rt_builder *b, const rt_domain_row *row);
int rt_builder_route(rt_builder *b, const rt_route_row *row);
int rt_builder_user(rt_builder *b, const rt_user_row *row);
/* A trunk's address (IPv4/IPv6; the port is ignored), or one of its networks ("10.0.0.0/8"). */
int rt_builder_trunk_addr(rt_builder *b, const char *trunk, const struct sockaddr *sa);
int rt_builder_trunk_cidr(rt_builder *b, const char *trunk, const char *cidr);
/* A trunk host that did not resolve: only counted (rt_stats.unresolved). */
void rt_builder_unresolved(rt_builder *b);

/*
 * rt_builder_finish sorts, indexes and freezes what was added into a
 * snapshot, and frees b.  The snapshot is immutable from here on.
 */
rt_snap *rt_builder_finish(rt_builder *b);
void rt_snap_free(rt_snap *s);

/* Lookups on one snapshot, the semantics of routing.h. */
int rt_snap_lookup(const rt_snap *s, const char *domain, size_t dlen, const char *number,
    size_t nlen, rt_target *out) TD_MUSTCHECK;
int rt_snap_user(const rt_snap *s, const char *domain, size_t dlen, const char *user, size_t ulen,
    rt_user *out) TD_MUSTCHECK;
bool rt_snap_is_local(const rt_snap *s, const char *domain, size_t dlen);
bool rt_snap_realm(const rt_snap *s, const char *domain, size_t dlen, char *out, size_t outlen);
/* rt_snap_trunk_of: the name of the trunk sa belongs to, or NULL. */
const char *rt_snap_trunk_of(const rt_snap *s, const struct sockaddr *sa);
json_t *rt_snap_describe(const rt_snap *s, const char *domain, const char *number);

typedef struct rt_snap_info {
	uint64_t version;
	int64_t loaded_at_us;
	int domains, users, extensions, trunk_routes, trunk_addrs, skipped, unresolved;
} rt_snap_info;
void rt_snap_info_get(const rt_snap *s, rt_snap_info *info);

/*
 * Publishing (routing.c).  rt_new_detached makes an rt without a loader:
 * its snapshots come from rt_publish only (tests, benchmarks).
 * rt_publish stamps s with the next version and the time, makes it the
 * current snapshot, waits until no reader can still be using the previous
 * one and frees it.  Any thread; publishers are serialised, readers never
 * wait.  Returns the version given to s.
 */
rt *rt_new_detached(void);
uint64_t rt_publish(rt *r, rt_snap *s);
/* Stamping, for rt_publish only. */
void rt_snap_stamp(rt_snap *s, uint64_t version, int64_t loaded_at_us);

#endif
