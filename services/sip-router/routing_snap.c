/* SPDX-License-Identifier: MIT */
/*
 * The routing snapshot: rows in, frozen hash indexes out, lookups on them
 * (see routing_snap.h).  No I/O here besides log lines about bad rows.
 *
 * Layout: one array per kind of thing (domains, extensions, trunk routes,
 * users, trunk addresses), each record with fixed-size fields so a lookup
 * copies out with memcpy.  Indexes are open-addressing hash tables of
 * (32-bit hash, index + 1) slots, at most half full, linear probing.  The
 * hash is SipHash-2-4 (libsodium's crypto_shorthash) with a random key per
 * snapshot: the keys looked up come from the network (R-URI, From), and a
 * keyed hash makes probe lengths independent of what a peer sends.
 *
 * Trunk prefixes: the trunk_out routes are sorted by (domain, prefix,
 * healthy first, priority, trunk name) and grouped per (domain, prefix);
 * a group is found by hashing (domain, the first L digits).  Each domain
 * keeps its distinct prefix lengths, longest first, so the longest match
 * costs one probe per distinct length (usually 2 to 4), whatever the
 * number of routes.
 */
#include "routing_snap.h"

#include <arpa/inet.h>
#include <assert.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log/log.h"
#include "util/mem.h"

#define DOMAIN_MAX 253 /* voip.domains.name */
#define REALM_MAX 253 /* what rt_user.realm holds */
#define USER_MAX 64 /* voip.users.username */
#define EXT_MAX 63 /* rt_target.extension */
#define NAME_MAX_ 127 /* rt_target.name */
#define TRUNK_MAX 64 /* voip.trunks.name */
#define HOST_MAX 255 /* rt_trunk.host */
#define PREPEND_MAX 32 /* voip.extensions.prepend */
#define KEY_MAX 256 /* longest hashed key (a domain) */

typedef struct rt_dom {
	char name[DOMAIN_MAX + 1];
	char realm[REALM_MAX + 1];
	uint32_t nlen;
	uint32_t nplens;
	uint8_t plens[RT_MAX_NUMBER + 1]; /* distinct trunk prefix lengths, longest first */
} rt_dom;

typedef struct rt_ext {
	uint32_t dom;
	uint32_t len;
	rt_kind kind;
	bool need_media;
	int max_contacts;
	char extension[EXT_MAX + 1];
	char username[USER_MAX + 1];
	char name[NAME_MAX_ + 1];
} rt_ext;

typedef struct rt_route {
	uint32_t dom;
	uint32_t plen;
	uint32_t strip;
	uint32_t prepend_len;
	char prefix[RT_MAX_NUMBER + 1];
	char prepend[PREPEND_MAX + 1];
	rt_trunk t; /* t.number is filled in per lookup */
} rt_route;

typedef struct rt_group {
	uint32_t dom, first, count; /* routes[first, first + count) share one prefix */
} rt_group;

typedef struct rt_usr {
	uint32_t dom;
	uint32_t ulen;
	rt_user u;
} rt_usr;

typedef struct rt_addr {
	uint8_t len; /* 4 or 16 */
	uint8_t bits; /* networks: prefix length */
	uint8_t bytes[16];
	uint32_t trunk;
} rt_addr;

typedef struct rt_slot {
	uint32_t hash;
	uint32_t idx1; /* index + 1; 0 = empty */
} rt_slot;

typedef struct rt_ht {
	rt_slot *slots;
	uint32_t mask; /* capacity - 1 */
	uint32_t n;
} rt_ht;

struct rt_snap {
	unsigned char key[crypto_shorthash_KEYBYTES];
	uint64_t version;
	int64_t loaded_at_us;
	rt_dom *doms;
	rt_ext *exts;
	rt_route *routes;
	rt_group *groups;
	rt_usr *users;
	rt_addr *addrs; /* single addresses (hashed) */
	rt_addr *nets; /* networks (scanned) */
	char (*trunks)[TRUNK_MAX + 1];
	uint32_t ndoms, nexts, nroutes, ngroups, nusers, naddrs, nnets, ntrunks;
	rt_ht dom_ht, ext_ht, grp_ht, usr_ht, addr_ht;
	int skipped, unresolved;
};

struct rt_builder {
	rt_snap *s;
	uint32_t cap_doms, cap_exts, cap_routes, cap_users, cap_addrs, cap_nets, cap_trunks;
};

/* ---- hashing -------------------------------------------------------------- */

static uint32_t
key_hash(const rt_snap *s, uint32_t tag, const void *p, size_t n)
{
	unsigned char buf[4 + KEY_MAX];
	unsigned char out[crypto_shorthash_BYTES];
	assert(n <= KEY_MAX);
	memcpy(buf, &tag, 4);
	memcpy(buf + 4, p, n);
	crypto_shorthash(out, buf, 4 + n, s->key);
	uint64_t v;
	memcpy(&v, out, sizeof(v));
	return ((uint32_t)(v ^ (v >> 32)));
}

static void
ht_alloc(rt_ht *h, uint32_t want)
{
	uint32_t cap = 8;
	while (cap < want * 2) {
		cap *= 2;
	}
	h->slots = td_xcalloc(cap, sizeof(*h->slots));
	h->mask = cap - 1;
	h->n = 0;
}

static void
ht_put_raw(rt_ht *h, uint32_t hash, uint32_t idx)
{
	uint32_t i = hash & h->mask;
	while (h->slots[i].idx1 != 0) {
		i = (i + 1) & h->mask;
	}
	h->slots[i].hash = hash;
	h->slots[i].idx1 = idx + 1;
	h->n++;
}

/* ht_put adds idx, growing the table to stay at most half full. */
static void
ht_put(rt_ht *h, uint32_t hash, uint32_t idx)
{
	if (h->slots == NULL) {
		ht_alloc(h, 4);
	}
	if ((h->n + 1) * 2 > h->mask + 1) {
		rt_ht g;
		ht_alloc(&g, h->n + 1);
		for (uint32_t i = 0; i <= h->mask; i++) {
			if (h->slots[i].idx1 != 0) {
				ht_put_raw(&g, h->slots[i].hash, h->slots[i].idx1 - 1);
			}
		}
		free(h->slots);
		*h = g;
	}
	ht_put_raw(h, hash, idx);
}

/* The key a lookup compares candidates with. */
typedef struct rt_key {
	uint32_t dom;
	const char *p;
	size_t n;
} rt_key;

typedef bool (*ht_eq_fn)(const rt_snap *s, uint32_t idx, const rt_key *k);

/* ht_find: the index whose record equals k, or -1. */
static int64_t
ht_find(const rt_snap *s, const rt_ht *h, uint32_t hash, ht_eq_fn eq, const rt_key *k)
{
	if (h->slots == NULL) {
		return (-1);
	}
	for (uint32_t i = hash & h->mask; h->slots[i].idx1 != 0; i = (i + 1) & h->mask) {
		if (h->slots[i].hash == hash && eq(s, h->slots[i].idx1 - 1, k)) {
			return ((int64_t)h->slots[i].idx1 - 1);
		}
	}
	return (-1);
}

static bool
dom_eq(const rt_snap *s, uint32_t idx, const rt_key *k)
{
	return (s->doms[idx].nlen == k->n && memcmp(s->doms[idx].name, k->p, k->n) == 0);
}

static bool
ext_eq(const rt_snap *s, uint32_t idx, const rt_key *k)
{
	const rt_ext *e = &s->exts[idx];
	return (e->dom == k->dom && e->len == k->n && memcmp(e->extension, k->p, k->n) == 0);
}

static bool
grp_eq(const rt_snap *s, uint32_t idx, const rt_key *k)
{
	const rt_route *r = &s->routes[s->groups[idx].first];
	return (r->dom == k->dom && r->plen == k->n && memcmp(r->prefix, k->p, k->n) == 0);
}

static bool
usr_eq(const rt_snap *s, uint32_t idx, const rt_key *k)
{
	const rt_usr *u = &s->users[idx];
	return (u->dom == k->dom && u->ulen == k->n && memcmp(u->u.username, k->p, k->n) == 0);
}

static bool
addr_eq(const rt_snap *s, uint32_t idx, const rt_key *k)
{
	const rt_addr *a = &s->addrs[idx];
	return (a->len == k->n && memcmp(a->bytes, k->p, k->n) == 0);
}

/* ---- small helpers -------------------------------------------------------- */

static char
ascii_lower(char c)
{
	return ((c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c);
}

/* find_dom: the domain's index, or -1.  Case-insensitive (ASCII). */
static int64_t
find_dom(const rt_snap *s, const char *domain, size_t dlen)
{
	char low[DOMAIN_MAX];
	if (domain == NULL || dlen == 0 || dlen > DOMAIN_MAX) {
		return (-1);
	}
	for (size_t i = 0; i < dlen; i++) {
		low[i] = ascii_lower(domain[i]);
	}
	rt_key k = { 0, low, dlen };
	return (ht_find(s, &s->dom_ht, key_hash(s, 0, low, dlen), dom_eq, &k));
}

/* copy_str copies s (NULL = "") into out[cap] if it fits; false if not. */
static bool
copy_str(char *out, size_t cap, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n >= cap) {
		return (false);
	}
	memcpy(out, s ? s : "", n);
	out[n] = '\0';
	return (true);
}

static bool
is_hex(const char *s, size_t want)
{
	if (strlen(s) != want) {
		return (false);
	}
	for (size_t i = 0; i < want; i++) {
		char c = s[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
			return (false);
		}
	}
	return (true);
}

static int
parse_kind(const char *type, rt_kind *k)
{
	static const struct {
		const char *name;
		rt_kind kind;
	} kinds[] = { { "user", RT_USER }, { "queue", RT_QUEUE }, { "ivr", RT_IVR },
		{ "voicemail", RT_VOICEMAIL }, { "conference", RT_CONFERENCE },
		{ "trunk_out", RT_TRUNK_OUT } };
	for (size_t i = 0; type != NULL && i < TD_ARRAY_LEN(kinds); i++) {
		if (strcmp(type, kinds[i].name) == 0) {
			*k = kinds[i].kind;
			return (TD_OK);
		}
	}
	return (TD_EINVAL);
}

const char *
rt_kind_name(rt_kind k)
{
	switch (k) {
	case RT_USER: return ("user");
	case RT_QUEUE: return ("queue");
	case RT_IVR: return ("ivr");
	case RT_VOICEMAIL: return ("voicemail");
	case RT_CONFERENCE: return ("conference");
	case RT_TRUNK_OUT: return ("trunk_out");
	}
	return ("unknown");
}

static const char *
tp_name(uint8_t tp)
{
	return (tp == RT_TP_TCP ? "tcp" : tp == RT_TP_TLS ? "tls" : "udp");
}

/*
 * sa_bytes: the IP address of sa as 4 (IPv4, also IPv4-mapped IPv6) or 16
 * bytes into out; 0 if sa is neither.
 */
static size_t
sa_bytes(const struct sockaddr *sa, uint8_t out[16])
{
	if (sa == NULL) {
		return (0);
	}
	if (sa->sa_family == AF_INET) {
		struct sockaddr_in sin;
		memcpy(&sin, sa, sizeof(sin));
		memcpy(out, &sin.sin_addr, 4);
		return (4);
	}
	if (sa->sa_family == AF_INET6) {
		struct sockaddr_in6 sin6;
		memcpy(&sin6, sa, sizeof(sin6));
		if (IN6_IS_ADDR_V4MAPPED(&sin6.sin6_addr)) {
			memcpy(out, sin6.sin6_addr.s6_addr + 12, 4);
			return (4);
		}
		memcpy(out, sin6.sin6_addr.s6_addr, 16);
		return (16);
	}
	return (0);
}

/* ---- the builder ---------------------------------------------------------- */

#define GROW(b, arr, n, cap)                                                                       \
	do {                                                                                       \
		if ((n) == (cap)) {                                                                \
			(cap) = (cap) ? (cap)*2 : 16;                                              \
			(arr) = td_xrealloc((arr), (size_t)(cap) * sizeof(*(arr)));                \
		}                                                                                  \
	} while (0)

rt_builder *
rt_builder_new(void)
{
	if (sodium_init() < 0) {
		td_die("SIPR-ROUTING-SODIUM", "libsodium cannot be initialised");
	}
	rt_builder *b = TD_NEW(rt_builder);
	b->s = TD_NEW(rt_snap);
	randombytes_buf(b->s->key, sizeof(b->s->key));
	return (b);
}

void
rt_builder_free(rt_builder *b)
{
	if (b == NULL) {
		return;
	}
	rt_snap_free(b->s);
	free(b);
}

static int
skip(rt_builder *b, const char *what, const char *domain, const char *key, const char *why)
{
	b->s->skipped++;
	LOG_WARN("SIPR-ROUTING-SKIP", "%s %s@%s skipped: %s", what, key ? key : "(null)",
	    domain ? domain : "(null)", why);
	return (TD_EINVAL);
}

int
rt_builder_domain(rt_builder *b, const rt_domain_row *row)
{
	rt_snap *s = b->s;
	size_t n = row->name ? strlen(row->name) : 0;
	if (n == 0 || n > DOMAIN_MAX) {
		return (skip(b, "domain", row->name, "", "empty or longer than 253 characters"));
	}
	if (!row->enabled) {
		return (1);
	}
	const char *realm = row->realm ? row->realm : row->name;
	if (strlen(realm) == 0 || strlen(realm) > REALM_MAX) {
		return (
		    skip(b, "domain", row->name, "", "realm empty or longer than 253 characters"));
	}
	if (find_dom(s, row->name, n) >= 0) {
		s->skipped++;
		LOG_WARN("SIPR-ROUTING-SKIP", "domain %s skipped: duplicate", row->name);
		return (TD_EEXIST);
	}
	GROW(b, s->doms, s->ndoms, b->cap_doms);
	rt_dom *d = &s->doms[s->ndoms];
	memset(d, 0, sizeof(*d));
	for (size_t i = 0; i < n; i++) {
		d->name[i] = ascii_lower(row->name[i]);
	}
	d->nlen = (uint32_t)n;
	memcpy(d->realm, realm, strlen(realm) + 1);
	ht_put(&s->dom_ht, key_hash(s, 0, d->name, n), s->ndoms);
	s->ndoms++;
	return (TD_OK);
}

static int
route_trunk(rt_builder *b, uint32_t dom, const rt_route_row *row)
{
	rt_snap *s = b->s;
	size_t plen = strlen(row->extension);
	const char *prepend = row->prepend ? row->prepend : "";
	uint8_t tp;
	if (plen > RT_MAX_NUMBER) {
		return (skip(b, "trunk route", row->domain, row->extension, "prefix too long"));
	}
	if (row->trunk_name == NULL || row->trunk_name[0] == '\0'
	    || strlen(row->trunk_name) > TRUNK_MAX) {
		return (skip(b, "trunk route", row->domain, row->extension,
		    "trunk name missing or too long"));
	}
	if (row->trunk_host == NULL || row->trunk_host[0] == '\0'
	    || strlen(row->trunk_host) > HOST_MAX) {
		return (skip(b, "trunk route", row->domain, row->extension,
		    "trunk host missing or too long"));
	}
	if (row->trunk_port < 0 || row->trunk_port > 65535 || row->strip_digits < 0
	    || row->trunk_max_channels < 0 || strlen(prepend) > PREPEND_MAX) {
		return (skip(b, "trunk route", row->domain, row->extension,
		    "port, strip_digits, prepend or max_channels out of range"));
	}
	if (row->trunk_transport == NULL || strcmp(row->trunk_transport, "udp") == 0) {
		tp = RT_TP_UDP;
	} else if (strcmp(row->trunk_transport, "tcp") == 0) {
		tp = RT_TP_TCP;
	} else if (strcmp(row->trunk_transport, "tls") == 0) {
		tp = RT_TP_TLS;
	} else {
		return (skip(b, "trunk route", row->domain, row->extension, "unknown transport"));
	}
	GROW(b, s->routes, s->nroutes, b->cap_routes);
	rt_route *r = &s->routes[s->nroutes++];
	memset(r, 0, sizeof(*r));
	r->dom = dom;
	r->plen = (uint32_t)plen;
	memcpy(r->prefix, row->extension, plen + 1);
	r->strip = (uint32_t)row->strip_digits;
	r->prepend_len = (uint32_t)strlen(prepend);
	memcpy(r->prepend, prepend, r->prepend_len + 1);
	memcpy(r->t.name, row->trunk_name, strlen(row->trunk_name) + 1);
	memcpy(r->t.host, row->trunk_host, strlen(row->trunk_host) + 1);
	r->t.port = (uint16_t)row->trunk_port;
	r->t.transport = tp;
	r->t.priority = row->priority;
	r->t.healthy = row->trunk_health == NULL || strcmp(row->trunk_health, "down") != 0;
	r->t.max_channels = row->trunk_max_channels;
	return (TD_OK);
}

int
rt_builder_route(rt_builder *b, const rt_route_row *row)
{
	rt_snap *s = b->s;
	rt_kind kind;
	if (parse_kind(row->type, &kind) != 0) {
		return (skip(b, "extension", row->domain, row->extension, "unknown type"));
	}
	if (row->extension == NULL || (row->extension[0] == '\0' && kind != RT_TRUNK_OUT)) {
		return (skip(b, "extension", row->domain, row->extension, "no number"));
	}
	int64_t dom = find_dom(s, row->domain, row->domain ? strlen(row->domain) : 0);
	if (dom < 0) {
		s->skipped++;
		LOG_WARN("SIPR-ROUTING-SKIP", "extension %s@%s skipped: domain unknown or disabled",
		    row->extension, row->domain ? row->domain : "(null)");
		return (TD_ENOTFOUND);
	}
	if (kind == RT_TRUNK_OUT) {
		return (route_trunk(b, (uint32_t)dom, row));
	}
	size_t n = strlen(row->extension);
	if (n > EXT_MAX) {
		return (skip(b, "extension", row->domain, row->extension, "number too long"));
	}
	rt_ext e;
	memset(&e, 0, sizeof(e));
	e.dom = (uint32_t)dom;
	e.len = (uint32_t)n;
	e.kind = kind;
	e.need_media = kind != RT_USER;
	memcpy(e.extension, row->extension, n + 1);
	if (kind == RT_USER && (row->sip_username == NULL || row->sip_username[0] == '\0')) {
		return (skip(
		    b, "extension", row->domain, row->extension, "user extension without user"));
	}
	if (kind == RT_QUEUE && (row->queue_name == NULL || row->queue_name[0] == '\0')) {
		return (skip(
		    b, "extension", row->domain, row->extension, "queue extension without queue"));
	}
	if (kind == RT_IVR && (row->ivr_menu_name == NULL || row->ivr_menu_name[0] == '\0')) {
		return (skip(
		    b, "extension", row->domain, row->extension, "ivr extension without menu"));
	}
	if ((kind == RT_USER || kind == RT_VOICEMAIL)
	    && !copy_str(e.username, sizeof(e.username), row->sip_username)) {
		return (skip(b, "extension", row->domain, row->extension, "user name too long"));
	}
	if (kind == RT_USER) {
		e.max_contacts = row->max_contacts;
	}
	if (!copy_str(e.name, sizeof(e.name),
	        kind == RT_QUEUE     ? row->queue_name
	            : kind == RT_IVR ? row->ivr_menu_name
	                             : NULL)) {
		return (skip(
		    b, "extension", row->domain, row->extension, "queue or menu name too long"));
	}
	rt_key k = { e.dom, e.extension, n };
	uint32_t h = key_hash(s, e.dom, e.extension, n);
	if (ht_find(s, &s->ext_ht, h, ext_eq, &k) >= 0) {
		s->skipped++;
		LOG_WARN("SIPR-ROUTING-SKIP", "extension %s@%s skipped: duplicate number",
		    row->extension, row->domain);
		return (TD_EEXIST);
	}
	GROW(b, s->exts, s->nexts, b->cap_exts);
	s->exts[s->nexts] = e;
	ht_put(&s->ext_ht, h, s->nexts);
	s->nexts++;
	return (TD_OK);
}

int
rt_builder_user(rt_builder *b, const rt_user_row *row)
{
	rt_snap *s = b->s;
	int64_t dom = find_dom(s, row->domain, row->domain ? strlen(row->domain) : 0);
	if (dom < 0) {
		return (TD_ENOTFOUND); /* a disabled domain's users: not ours now */
	}
	if (!row->enabled) {
		return (1);
	}
	size_t n = row->username ? strlen(row->username) : 0;
	if (n == 0 || n > USER_MAX) {
		return (skip(b, "user", row->domain, row->username, "user name empty or too long"));
	}
	/* A password is set when ha1_md5 is (the rule of voip.directory). */
	bool pw = row->ha1_md5 != NULL;
	if ((pw && !is_hex(row->ha1_md5, 32))
	    || (pw && row->ha1_sha256 != NULL && !is_hex(row->ha1_sha256, 64))) {
		return (skip(b, "user", row->domain, row->username, "malformed HA1"));
	}
	rt_usr u;
	memset(&u, 0, sizeof(u));
	u.dom = (uint32_t)dom;
	u.ulen = (uint32_t)n;
	memcpy(u.u.username, row->username, n + 1);
	memcpy(u.u.domain, s->doms[dom].name, s->doms[dom].nlen + 1);
	memcpy(u.u.realm, s->doms[dom].realm, strlen(s->doms[dom].realm) + 1);
	if (pw) {
		memcpy(u.u.ha1_md5, row->ha1_md5, 33);
		if (row->ha1_sha256 != NULL) {
			memcpy(u.u.ha1_sha256, row->ha1_sha256, 65);
		}
	}
	u.u.max_contacts = row->max_contacts;
	rt_key k = { u.dom, u.u.username, n };
	uint32_t h = key_hash(s, u.dom, u.u.username, n);
	if (ht_find(s, &s->usr_ht, h, usr_eq, &k) >= 0) {
		s->skipped++;
		LOG_WARN("SIPR-ROUTING-SKIP", "user %s@%s skipped: duplicate", row->username,
		    row->domain);
		return (TD_EEXIST);
	}
	GROW(b, s->users, s->nusers, b->cap_users);
	s->users[s->nusers] = u;
	ht_put(&s->usr_ht, h, s->nusers);
	s->nusers++;
	return (TD_OK);
}

static uint32_t
trunk_index(rt_builder *b, const char *trunk)
{
	rt_snap *s = b->s;
	for (uint32_t i = s->ntrunks; i > 0; i--) {
		if (strcmp(s->trunks[i - 1], trunk) == 0) {
			return (i - 1);
		}
	}
	GROW(b, s->trunks, s->ntrunks, b->cap_trunks);
	snprintf(s->trunks[s->ntrunks], sizeof(s->trunks[0]), "%s", trunk);
	return (s->ntrunks++);
}

int
rt_builder_trunk_addr(rt_builder *b, const char *trunk, const struct sockaddr *sa)
{
	rt_addr a;
	memset(&a, 0, sizeof(a));
	size_t n = sa_bytes(sa, a.bytes);
	if (n == 0 || trunk == NULL || strlen(trunk) > TRUNK_MAX) {
		return (TD_EINVAL);
	}
	a.len = (uint8_t)n;
	a.bits = (uint8_t)(n * 8);
	a.trunk = trunk_index(b, trunk);
	rt_snap *s = b->s;
	GROW(b, s->addrs, s->naddrs, b->cap_addrs);
	s->addrs[s->naddrs++] = a;
	return (TD_OK);
}

int
rt_builder_trunk_cidr(rt_builder *b, const char *trunk, const char *cidr)
{
	char ip[INET6_ADDRSTRLEN + 1];
	const char *slash = cidr ? strchr(cidr, '/') : NULL;
	size_t n = cidr == NULL ? 0 : slash ? (size_t)(slash - cidr) : strlen(cidr);
	rt_addr a;
	memset(&a, 0, sizeof(a));
	if (n == 0 || n >= sizeof(ip) || trunk == NULL || strlen(trunk) > TRUNK_MAX) {
		return (skip(b, "trunk network", "", cidr, "malformed"));
	}
	memcpy(ip, cidr, n);
	ip[n] = '\0';
	if (inet_pton(AF_INET, ip, a.bytes) == 1) {
		a.len = 4;
	} else if (inet_pton(AF_INET6, ip, a.bytes) == 1) {
		a.len = 16;
	} else {
		return (skip(b, "trunk network", trunk, cidr, "not an IP network"));
	}
	long bits = a.len * 8;
	if (slash != NULL) {
		char *end;
		bits = strtol(slash + 1, &end, 10);
		if (*end != '\0' || end == slash + 1 || bits < 0 || bits > a.len * 8) {
			return (skip(b, "trunk network", trunk, cidr, "bad prefix length"));
		}
	}
	a.bits = (uint8_t)bits;
	for (int i = 0; i < a.len; i++) { /* host bits off */
		int keep = (int)bits - i * 8;
		a.bytes[i] &= keep >= 8 ? 0xff : keep <= 0 ? 0 : (uint8_t)(0xff << (8 - keep));
	}
	a.trunk = trunk_index(b, trunk);
	rt_snap *s = b->s;
	if (a.bits == a.len * 8) {
		GROW(b, s->addrs, s->naddrs, b->cap_addrs);
		s->addrs[s->naddrs++] = a;
	} else {
		GROW(b, s->nets, s->nnets, b->cap_nets);
		s->nets[s->nnets++] = a;
	}
	return (TD_OK);
}

void
rt_builder_unresolved(rt_builder *b)
{
	b->s->unresolved++;
}

/* Route order: domain, prefix, then healthy first, priority, trunk name. */
static int
route_cmp(const void *pa, const void *pb)
{
	const rt_route *a = pa, *b = pb;
	if (a->dom != b->dom) {
		return (a->dom < b->dom ? -1 : 1);
	}
	if (a->plen != b->plen) {
		return (a->plen < b->plen ? -1 : 1);
	}
	int c = memcmp(a->prefix, b->prefix, a->plen);
	if (c != 0) {
		return (c);
	}
	if (a->t.healthy != b->t.healthy) {
		return (a->t.healthy ? -1 : 1);
	}
	if (a->t.priority != b->t.priority) {
		return (a->t.priority < b->t.priority ? -1 : 1);
	}
	return (strcmp(a->t.name, b->t.name));
}

static bool
same_prefix(const rt_route *a, const rt_route *b)
{
	return (
	    a->dom == b->dom && a->plen == b->plen && memcmp(a->prefix, b->prefix, a->plen) == 0);
}

static void
index_routes(rt_snap *s)
{
	if (s->nroutes > 0) {
		qsort(s->routes, s->nroutes, sizeof(*s->routes), route_cmp);
	}
	/* Drop a second route of one trunk for one prefix (the database forbids it). */
	uint32_t w = 0, gstart = 0;
	for (uint32_t i = 0; i < s->nroutes; i++) {
		if (w > 0 && !same_prefix(&s->routes[w - 1], &s->routes[i])) {
			gstart = w;
		}
		bool dup = false;
		for (uint32_t j = gstart; j < w && !dup; j++) {
			dup = strcmp(s->routes[j].t.name, s->routes[i].t.name) == 0;
		}
		if (dup) {
			s->skipped++;
			LOG_WARN("SIPR-ROUTING-SKIP", "trunk route %s via %s skipped: duplicate",
			    s->routes[i].prefix, s->routes[i].t.name);
			continue;
		}
		if (w != i) {
			s->routes[w] = s->routes[i];
		}
		w++;
	}
	s->nroutes = w;

	s->groups = td_xcalloc(s->nroutes ? s->nroutes : 1, sizeof(*s->groups));
	uint64_t *lens
	    = td_xcalloc(s->ndoms ? s->ndoms : 1, sizeof(*lens)); /* bit L: a prefix of length L */
	for (uint32_t i = 0; i < s->nroutes; i++) {
		const rt_route *r = &s->routes[i];
		if (s->ngroups > 0 && same_prefix(&s->routes[s->groups[s->ngroups - 1].first], r)) {
			s->groups[s->ngroups - 1].count++;
			continue;
		}
		s->groups[s->ngroups] = (rt_group) { r->dom, i, 1 };
		s->ngroups++;
		lens[r->dom] |= (uint64_t)1 << r->plen;
	}
	ht_alloc(&s->grp_ht, s->ngroups);
	for (uint32_t g = 0; g < s->ngroups; g++) {
		const rt_route *r = &s->routes[s->groups[g].first];
		ht_put_raw(&s->grp_ht, key_hash(s, r->dom, r->prefix, r->plen), g);
	}
	for (uint32_t d = 0; d < s->ndoms; d++) {
		for (int L = RT_MAX_NUMBER; L >= 0; L--) {
			if (lens[d] & ((uint64_t)1 << L)) {
				s->doms[d].plens[s->doms[d].nplens++] = (uint8_t)L;
			}
		}
	}
	free(lens);
}

static void
index_addrs(rt_snap *s)
{
	ht_alloc(&s->addr_ht, s->naddrs);
	uint32_t w = 0;
	for (uint32_t i = 0; i < s->naddrs; i++) {
		rt_addr *a = &s->addrs[i];
		rt_key k = { 0, (const char *)a->bytes, a->len };
		uint32_t h = key_hash(s, 0, a->bytes, a->len);
		if (ht_find(s, &s->addr_ht, h, addr_eq, &k) >= 0) {
			continue; /* two trunks (or a name and a network) on one address: the first
			             names it */
		}
		s->addrs[w] = *a;
		ht_put_raw(&s->addr_ht, h, w);
		w++;
	}
	s->naddrs = w;
}

rt_snap *
rt_builder_finish(rt_builder *b)
{
	rt_snap *s = b->s;
	b->s = NULL;
	free(b);
	index_routes(s);
	index_addrs(s);
	return (s);
}

void
rt_snap_free(rt_snap *s)
{
	if (s == NULL) {
		return;
	}
	free(s->doms);
	free(s->exts);
	free(s->routes);
	free(s->groups);
	free(s->users);
	free(s->addrs);
	free(s->nets);
	free(s->trunks);
	free(s->dom_ht.slots);
	free(s->ext_ht.slots);
	free(s->grp_ht.slots);
	free(s->usr_ht.slots);
	free(s->addr_ht.slots);
	free(s);
}

void
rt_snap_stamp(rt_snap *s, uint64_t version, int64_t loaded_at_us)
{
	s->version = version;
	s->loaded_at_us = loaded_at_us;
}

/* ---- lookups ---------------------------------------------------------------- */

static bool
dialable(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!((p[i] >= '0' && p[i] <= '9') || p[i] == '*' || p[i] == '#' || p[i] == '+')) {
			return (false);
		}
	}
	return (true);
}

static void
target_head(rt_target *out, const rt_dom *d)
{
	memset(out, 0, offsetof(rt_target, trunks));
	memcpy(out->domain, d->name, d->nlen + 1);
}

int
rt_snap_lookup(const rt_snap *s, const char *domain, size_t dlen, const char *number, size_t nlen,
    rt_target *out)
{
	if (s == NULL || number == NULL || nlen > RT_MAX_NUMBER) {
		return (TD_ENOTFOUND);
	}
	int64_t dom = find_dom(s, domain, dlen);
	if (dom < 0) {
		return (TD_ENOTFOUND);
	}
	const rt_dom *d = &s->doms[dom];
	rt_key k = { (uint32_t)dom, number, nlen };
	int64_t i = nlen == 0
	    ? -1
	    : ht_find(s, &s->ext_ht, key_hash(s, (uint32_t)dom, number, nlen), ext_eq, &k);
	if (i >= 0) {
		const rt_ext *e = &s->exts[i];
		target_head(out, d);
		out->kind = e->kind;
		out->need_media = e->need_media;
		memcpy(out->extension, e->extension, e->len + 1);
		memcpy(out->username, e->username, strlen(e->username) + 1);
		memcpy(out->name, e->name, strlen(e->name) + 1);
		out->max_contacts = e->max_contacts;
		return (TD_OK);
	}
	/*
	 * Carriers get dialable numbers only (the character set of
	 * voip.extensions.number): a user name like "alice" or an empty user
	 * part never falls through to the default route.
	 */
	if (nlen == 0 || !dialable(number, nlen)) {
		return (TD_ENOTFOUND);
	}
	for (uint32_t li = 0; li < d->nplens; li++) {
		size_t L = d->plens[li];
		if (L > nlen) {
			continue;
		}
		k.n = L;
		int64_t g
		    = ht_find(s, &s->grp_ht, key_hash(s, (uint32_t)dom, number, L), grp_eq, &k);
		if (g < 0) {
			continue;
		}
		const rt_group *gr = &s->groups[g];
		target_head(out, d);
		out->kind = RT_TRUNK_OUT;
		memcpy(out->extension, number, L);
		out->extension[L] = '\0';
		out->ntrunks = gr->count < RT_MAX_TRUNKS ? (int)gr->count : RT_MAX_TRUNKS;
		for (int t = 0; t < out->ntrunks; t++) {
			const rt_route *r = &s->routes[gr->first + (uint32_t)t];
			rt_trunk *o = &out->trunks[t];
			*o = r->t;
			size_t strip = r->strip < nlen ? r->strip : nlen;
			memcpy(o->number, r->prepend, r->prepend_len);
			memcpy(o->number + r->prepend_len, number + strip, nlen - strip);
			o->number[r->prepend_len + nlen - strip] = '\0';
		}
		return (TD_OK);
	}
	return (TD_ENOTFOUND);
}

int
rt_snap_user(
    const rt_snap *s, const char *domain, size_t dlen, const char *user, size_t ulen, rt_user *out)
{
	if (s == NULL || user == NULL || ulen == 0 || ulen > USER_MAX) {
		return (TD_ENOTFOUND);
	}
	int64_t dom = find_dom(s, domain, dlen);
	if (dom < 0) {
		return (TD_ENOTFOUND);
	}
	rt_key k = { (uint32_t)dom, user, ulen };
	int64_t i = ht_find(s, &s->usr_ht, key_hash(s, (uint32_t)dom, user, ulen), usr_eq, &k);
	if (i < 0) {
		return (TD_ENOTFOUND);
	}
	*out = s->users[i].u;
	return (TD_OK);
}

bool
rt_snap_is_local(const rt_snap *s, const char *domain, size_t dlen)
{
	return (s != NULL && find_dom(s, domain, dlen) >= 0);
}

bool
rt_snap_realm(const rt_snap *s, const char *domain, size_t dlen, char *out, size_t outlen)
{
	int64_t dom = s != NULL ? find_dom(s, domain, dlen) : -1;
	if (dom < 0) {
		return (false);
	}
	return (copy_str(out, outlen, s->doms[dom].realm));
}

const char *
rt_snap_trunk_of(const rt_snap *s, const struct sockaddr *sa)
{
	uint8_t ip[16];
	size_t n = s != NULL ? sa_bytes(sa, ip) : 0;
	if (n == 0) {
		return (NULL);
	}
	rt_key k = { 0, (const char *)ip, n };
	int64_t i = ht_find(s, &s->addr_ht, key_hash(s, 0, ip, n), addr_eq, &k);
	if (i >= 0) {
		return (s->trunks[s->addrs[i].trunk]);
	}
	for (uint32_t j = 0; j < s->nnets; j++) {
		const rt_addr *a = &s->nets[j];
		if (a->len != n) {
			continue;
		}
		uint32_t full = a->bits / 8, rest = a->bits % 8;
		if (memcmp(a->bytes, ip, full) == 0
		    && (rest == 0
		        || ((ip[full] ^ a->bytes[full]) & (uint8_t)(0xff << (8 - rest))) == 0)) {
			return (s->trunks[a->trunk]);
		}
	}
	return (NULL);
}

void
rt_snap_info_get(const rt_snap *s, rt_snap_info *info)
{
	memset(info, 0, sizeof(*info));
	if (s == NULL) {
		return;
	}
	info->version = s->version;
	info->loaded_at_us = s->loaded_at_us;
	info->domains = (int)s->ndoms;
	info->users = (int)s->nusers;
	info->extensions = (int)s->nexts;
	info->trunk_routes = (int)s->nroutes;
	info->trunk_addrs = (int)(s->naddrs + s->nnets);
	info->skipped = s->skipped;
	info->unresolved = s->unresolved;
}

json_t *
rt_snap_describe(const rt_snap *s, const char *domain, const char *number)
{
	size_t dlen = domain ? strlen(domain) : 0, nlen = number ? strlen(number) : 0;
	char realm[REALM_MAX + 1];
	json_t *j = json_pack("{s:s, s:s, s:I, s:b}", "domain", domain ? domain : "", "number",
	    number ? number : "", "version", (json_int_t)(s ? s->version : 0), "local",
	    rt_snap_is_local(s, domain, dlen));
	if (rt_snap_realm(s, domain, dlen, realm, sizeof(realm))) {
		json_object_set_new(j, "realm", json_string(realm));
	}
	rt_target *t = td_xmalloc(sizeof(*t));
	if (rt_snap_lookup(s, domain, dlen, number, nlen, t) == 0) {
		json_t *r = json_pack("{s:s, s:b, s:s, s:s}", "kind", rt_kind_name(t->kind),
		    "need_media", t->need_media, "domain", t->domain, "extension", t->extension);
		if (t->kind == RT_USER || t->kind == RT_VOICEMAIL) {
			json_object_set_new(r, "username", json_string(t->username));
		}
		if (t->kind == RT_USER) {
			json_object_set_new(r, "max_contacts", json_integer(t->max_contacts));
		}
		if (t->kind == RT_QUEUE || t->kind == RT_IVR) {
			json_object_set_new(r, "name", json_string(t->name));
		}
		if (t->kind == RT_TRUNK_OUT) {
			json_t *a = json_array();
			for (int i = 0; i < t->ntrunks; i++) {
				const rt_trunk *k = &t->trunks[i];
				json_array_append_new(a,
				    json_pack("{s:s, s:s, s:i, s:s, s:i, s:b, s:i, s:s}", "name",
				        k->name, "host", k->host, "port", (int)k->port, "transport",
				        tp_name(k->transport), "priority", k->priority, "healthy",
				        k->healthy, "max_channels", k->max_channels, "number",
				        k->number));
			}
			json_object_set_new(r, "prefix", json_string(t->extension));
			json_object_set_new(r, "trunks", a);
		}
		json_object_set_new(j, "route", r);
	} else {
		json_object_set_new(j, "route", json_null());
		json_object_set_new(j, "error", json_string("not found"));
	}
	free(t);
	rt_user u;
	if (rt_snap_user(s, domain, dlen, number, nlen, &u) == 0) {
		json_object_set_new(j, "user",
		    json_pack("{s:s, s:s, s:b, s:b, s:i}", "username", u.username, "realm", u.realm,
		        "can_authenticate", u.ha1_md5[0] != '\0', "sha256", u.ha1_sha256[0] != '\0',
		        "max_contacts", u.max_contacts));
	}
	return (j);
}
