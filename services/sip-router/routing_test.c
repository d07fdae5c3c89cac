/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the routing data without PostgreSQL: snapshots are built
 * from in-memory rows through the builder the loader uses (routing_snap.h),
 * then looked up directly and through an rt (rt_new_detached + rt_publish),
 * including readers racing thousands of swaps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the four above first */
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "log/log.h"
#include "routing.h"
#include "routing_snap.h"

#define MD5_ALICE "f9c319be8ef5f22bf989e5936b21ed23"
#define SHA_ALICE "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define MD5_CAROL "00112233445566778899aabbccddeeff"

/* ---- row helpers ------------------------------------------------------------- */

static int
dom(rt_builder *b, const char *name, const char *realm, bool enabled)
{
	rt_domain_row d = { name, realm, enabled };
	return (rt_builder_domain(b, &d));
}

static int
ext(rt_builder *b, const char *domain, const char *number, const char *type, const char *user,
    const char *name)
{
	rt_route_row r = {
		.domain = domain,
		.extension = number,
		.type = type,
		.sip_username = user,
		.max_contacts = 3,
		.queue_name = type && strcmp(type, "queue") == 0 ? name : NULL,
		.ivr_menu_name = type && strcmp(type, "ivr") == 0 ? name : NULL,
		.priority = 100,
	};
	return (rt_builder_route(b, &r));
}

static int
trunk(rt_builder *b, const char *domain, const char *prefix, const char *name, int prio, int strip,
    const char *prepend, const char *health)
{
	rt_route_row r = {
		.domain = domain,
		.extension = prefix,
		.type = "trunk_out",
		.strip_digits = strip,
		.prepend = prepend,
		.priority = prio,
		.trunk_name = name,
		.trunk_host = "sip.carrier.example",
		.trunk_port = 5060,
		.trunk_transport = "udp",
		.trunk_health = health,
		.trunk_max_channels = 30,
	};
	return (rt_builder_route(b, &r));
}

static int
user(rt_builder *b, const char *domain, const char *name, const char *md5, const char *sha, int max,
    bool enabled)
{
	rt_user_row u = { domain, name, md5, sha, max, enabled };
	return (rt_builder_user(b, &u));
}

static struct sockaddr_in
sa4(const char *ip, int port)
{
	struct sockaddr_in s;
	memset(&s, 0, sizeof(s));
	s.sin_family = AF_INET;
	s.sin_port = htons((uint16_t)port);
	assert_int_equal(inet_pton(AF_INET, ip, &s.sin_addr), 1);
	return (s);
}

static struct sockaddr_in6
sa6(const char *ip, int port)
{
	struct sockaddr_in6 s;
	memset(&s, 0, sizeof(s));
	s.sin6_family = AF_INET6;
	s.sin6_port = htons((uint16_t)port);
	assert_int_equal(inet_pton(AF_INET6, ip, &s.sin6_addr), 1);
	return (s);
}

/*
 * The lab: lab.test (realm = name) with every extension type and trunk
 * routes on '', '0', '00', '0049', '1'; other.test (realm other-realm) with
 * one user and no trunk routes; off.test disabled.
 */
static rt_snap *
build_lab(void)
{
	rt_builder *b = rt_builder_new();
	assert_int_equal(dom(b, "lab.test", NULL, true), 0);
	assert_int_equal(dom(b, "other.test", "other-realm", true), 0);
	assert_int_equal(dom(b, "off.test", NULL, false), 1);

	assert_int_equal(ext(b, "lab.test", "1001", "user", "alice", NULL), 0);
	assert_int_equal(ext(b, "lab.test", "1002", "user", "bob", NULL), 0);
	assert_int_equal(ext(b, "lab.test", "5000", "queue", NULL, "sales"), 0);
	assert_int_equal(ext(b, "lab.test", "6000", "ivr", NULL, "main-menu"), 0);
	assert_int_equal(ext(b, "lab.test", "*97", "voicemail", NULL, NULL), 0);
	assert_int_equal(ext(b, "lab.test", "*981001", "voicemail", "alice", NULL), 0);
	assert_int_equal(ext(b, "lab.test", "8000", "conference", NULL, NULL), 0);
	assert_int_equal(ext(b, "other.test", "1001", "user", "carol", NULL), 0);
	/* off.test is disabled: the view would not have this row; if it came, it is dropped. */
	assert_int_equal(ext(b, "off.test", "1001", "user", "dave", NULL), TD_ENOTFOUND);

	/* Outbound routes of lab.test, in no particular order. */
	assert_int_equal(trunk(b, "lab.test", "0", "carrier-b", 20, 1, "0049", "unknown"), 0);
	assert_int_equal(trunk(b, "lab.test", "", "carrier-b", 20, 0, "", "up"), 0);
	assert_int_equal(trunk(b, "lab.test", "00", "carrier-c", 5, 2, "+", "down"), 0);
	assert_int_equal(trunk(b, "lab.test", "0", "carrier-a", 10, 1, "+49", "up"), 0);
	assert_int_equal(trunk(b, "lab.test", "00", "carrier-a", 10, 2, "+", "up"), 0);
	assert_int_equal(trunk(b, "lab.test", "0049", "carrier-d", 10, 4, "0", "up"), 0);
	assert_int_equal(trunk(b, "lab.test", "00", "carrier-e", 7, 2, "00", "unknown"), 0);
	assert_int_equal(trunk(b, "lab.test", "1", "carrier-a", 10, 0, "", "up"), 0);
	assert_int_equal(trunk(b, "lab.test", "00", "carrier-b", 10, 2, "+", "up"), 0);

	assert_int_equal(user(b, "lab.test", "alice", MD5_ALICE, SHA_ALICE, 3, true), 0);
	assert_int_equal(user(b, "lab.test", "bob", NULL, NULL, 1, true), 0);
	assert_int_equal(user(b, "lab.test", "eve", MD5_ALICE, NULL, 3, false), 1);
	assert_int_equal(user(b, "other.test", "carol", MD5_CAROL, NULL, 5, true), 0);
	assert_int_equal(user(b, "off.test", "dave", MD5_ALICE, NULL, 3, true), TD_ENOTFOUND);

	struct sockaddr_in a = sa4("192.0.2.10", 5060);
	struct sockaddr_in6 a6 = sa6("2001:db8::5", 5060);
	assert_int_equal(rt_builder_trunk_addr(b, "carrier-a", (struct sockaddr *)&a), 0);
	assert_int_equal(rt_builder_trunk_addr(b, "carrier-b", (struct sockaddr *)&a6), 0);
	assert_int_equal(rt_builder_trunk_cidr(b, "carrier-a", "198.51.100.0/24"), 0);
	assert_int_equal(rt_builder_trunk_cidr(b, "carrier-b", "2001:db8:1::/48"), 0);
	assert_int_equal(rt_builder_trunk_cidr(b, "carrier-c", "203.0.113.7"), 0);
	rt_builder_unresolved(b);
	return (rt_builder_finish(b));
}

static int
setup(void **state)
{
	td_log_set_level(TD_LOG_ERROR); /* the skipped rows below warn on purpose */
	*state = build_lab();
	return (0);
}

static int
teardown(void **state)
{
	rt_snap_free(*state);
	return (0);
}

static int
look(const rt_snap *s, const char *d, const char *n, rt_target *t)
{
	return (rt_snap_lookup(s, d, strlen(d), n, strlen(n), t));
}

/* ---- exact extensions ------------------------------------------------------------ */

static void
test_exact_kinds(void **state)
{
	const rt_snap *s = *state;
	rt_target t;

	assert_int_equal(look(s, "lab.test", "1001", &t), 0);
	assert_int_equal(t.kind, RT_USER);
	assert_false(t.need_media);
	assert_string_equal(t.domain, "lab.test");
	assert_string_equal(t.extension, "1001");
	assert_string_equal(t.username, "alice");
	assert_int_equal(t.max_contacts, 3);
	assert_int_equal(t.ntrunks, 0);

	assert_int_equal(look(s, "lab.test", "5000", &t), 0);
	assert_int_equal(t.kind, RT_QUEUE);
	assert_true(t.need_media);
	assert_string_equal(t.name, "sales");
	assert_string_equal(t.username, "");
	assert_int_equal(t.max_contacts, 0);

	assert_int_equal(look(s, "lab.test", "6000", &t), 0);
	assert_int_equal(t.kind, RT_IVR);
	assert_true(t.need_media);
	assert_string_equal(t.name, "main-menu");

	assert_int_equal(look(s, "lab.test", "*97", &t), 0);
	assert_int_equal(t.kind, RT_VOICEMAIL);
	assert_true(t.need_media);
	assert_string_equal(t.username, ""); /* the caller's own mailbox */

	assert_int_equal(look(s, "lab.test", "*981001", &t), 0);
	assert_int_equal(t.kind, RT_VOICEMAIL);
	assert_string_equal(t.username, "alice");

	assert_int_equal(look(s, "lab.test", "8000", &t), 0);
	assert_int_equal(t.kind, RT_CONFERENCE);
	assert_true(t.need_media);
	assert_string_equal(t.extension, "8000");

	/* The same number in another domain is another extension. */
	assert_int_equal(look(s, "other.test", "1001", &t), 0);
	assert_string_equal(t.username, "carol");
	assert_string_equal(t.domain, "other.test");
}

static void
test_not_found(void **state)
{
	const rt_snap *s = *state;
	rt_target t;
	/* other.test has no trunk routes: only exact numbers exist. */
	assert_int_equal(look(s, "other.test", "1002", &t), TD_ENOTFOUND);
	assert_int_equal(look(s, "other.test", "10010", &t), TD_ENOTFOUND);
	assert_int_equal(look(s, "other.test", "100", &t), TD_ENOTFOUND);
	assert_int_equal(look(s, "other.test", "", &t), TD_ENOTFOUND);
	assert_int_equal(look(s, "nowhere.test", "1001", &t), TD_ENOTFOUND);
	assert_int_equal(look(s, "", "1001", &t), TD_ENOTFOUND);
	assert_int_equal(look(s, "lab.test.", "1001", &t), TD_ENOTFOUND);
	/* Longer than RT_MAX_NUMBER: not even the '' route. */
	char lng[RT_MAX_NUMBER + 2];
	memset(lng, '5', sizeof(lng) - 1);
	lng[sizeof(lng) - 1] = '\0';
	assert_int_equal(look(s, "lab.test", lng, &t), TD_ENOTFOUND);
	lng[RT_MAX_NUMBER] = '\0';
	assert_int_equal(look(s, "lab.test", lng, &t), 0);
	assert_int_equal(t.kind, RT_TRUNK_OUT);
	assert_string_equal(t.extension, "");
	/* Lengths are honoured: "1001" inside a longer buffer. */
	assert_int_equal(rt_snap_lookup(s, "other.testX", 10, "1001999", 4, &t), 0);
	assert_string_equal(t.username, "carol");
}

static void
test_domain_case(void **state)
{
	const rt_snap *s = *state;
	rt_target t;
	char realm[254];
	assert_int_equal(look(s, "LAB.TEST", "1001", &t), 0);
	assert_string_equal(t.domain, "lab.test");
	assert_string_equal(t.username, "alice");
	assert_int_equal(look(s, "Other.Test", "1001", &t), 0);
	assert_string_equal(t.username, "carol");
	assert_true(rt_snap_is_local(s, "lab.TEST", 8));
	assert_true(rt_snap_realm(s, "OTHER.test", 10, realm, sizeof(realm)));
	assert_string_equal(realm, "other-realm");
	assert_true(rt_snap_realm(s, "lab.test", 8, realm, sizeof(realm)));
	assert_string_equal(realm, "lab.test");
	assert_false(rt_snap_realm(s, "lab.test", 8, realm, 8)); /* does not fit: no cut realm */
	/* Extensions compare exactly: "*97" is not "*97 " or "97". */
	assert_int_equal(look(s, "other.test", "1001 ", &t), TD_ENOTFOUND);
}

/* ---- trunk prefixes --------------------------------------------------------------- */

static void
test_longest_prefix(void **state)
{
	const rt_snap *s = *state;
	rt_target t;
	assert_int_equal(look(s, "lab.test", "0049301234", &t), 0);
	assert_int_equal(t.kind, RT_TRUNK_OUT);
	assert_false(t.need_media);
	assert_string_equal(t.extension, "0049");
	assert_int_equal(t.ntrunks, 1);
	assert_string_equal(t.trunks[0].name, "carrier-d");
	assert_string_equal(t.trunks[0].number, "0301234");

	assert_int_equal(look(s, "lab.test", "0033123", &t), 0);
	assert_string_equal(t.extension, "00");
	assert_int_equal(look(s, "lab.test", "004", &t), 0); /* shorter than "0049" */
	assert_string_equal(t.extension, "00");
	assert_int_equal(look(s, "lab.test", "030123", &t), 0);
	assert_string_equal(t.extension, "0");
	assert_int_equal(look(s, "lab.test", "0", &t), 0); /* the number is the prefix */
	assert_string_equal(t.extension, "0");
	assert_string_equal(t.trunks[0].number, "+49");
	assert_int_equal(look(s, "lab.test", "1999", &t), 0);
	assert_string_equal(t.extension, "1");
	assert_int_equal(look(s, "lab.test", "555", &t), 0);
	assert_string_equal(t.extension, "");
	assert_int_equal(t.ntrunks, 1);
	assert_string_equal(t.trunks[0].name, "carrier-b");
	assert_string_equal(t.trunks[0].number, "555");
	assert_int_equal(look(s, "lab.test", "*31#0301", &t), 0); /* all of 0-9 * # + dial */
	assert_string_equal(t.extension, "");
	assert_int_equal(look(s, "lab.test", "+4930123", &t), 0);
	assert_string_equal(t.extension, "");
	/* Only dialable numbers go to carriers: not a user name, not nothing. */
	assert_int_equal(look(s, "lab.test", "", &t), TD_ENOTFOUND);
	assert_int_equal(look(s, "lab.test", "alice", &t), TD_ENOTFOUND);
	assert_int_equal(look(s, "lab.test", "0301-234", &t), TD_ENOTFOUND);
	assert_int_equal(look(s, "lab.test", "030%23", &t), TD_ENOTFOUND);
	/* An exact extension wins over a matching prefix ("1" and ""). */
	assert_int_equal(look(s, "lab.test", "1001", &t), 0);
	assert_int_equal(t.kind, RT_USER);
	assert_int_equal(look(s, "lab.test", "10011", &t), 0);
	assert_int_equal(t.kind, RT_TRUNK_OUT);
	assert_string_equal(t.extension, "1");
	/* The trunk's fields come through. */
	assert_int_equal(look(s, "lab.test", "030123", &t), 0);
	assert_string_equal(t.trunks[0].host, "sip.carrier.example");
	assert_int_equal(t.trunks[0].port, 5060);
	assert_int_equal(t.trunks[0].transport, RT_TP_UDP);
	assert_int_equal(t.trunks[0].max_channels, 30);
}

static void
test_priority_and_health(void **state)
{
	const rt_snap *s = *state;
	rt_target t;
	/*
	 * "00": carrier-c prio 5 but down, carrier-e prio 7 unknown, carrier-a
	 * and carrier-b prio 10 up (tie: by name).  Healthy first, then priority.
	 */
	assert_int_equal(look(s, "lab.test", "0033123", &t), 0);
	assert_int_equal(t.ntrunks, 4);
	assert_string_equal(t.trunks[0].name, "carrier-e");
	assert_int_equal(t.trunks[0].priority, 7);
	assert_true(t.trunks[0].healthy);
	assert_string_equal(t.trunks[1].name, "carrier-a");
	assert_string_equal(t.trunks[2].name, "carrier-b");
	assert_string_equal(t.trunks[3].name, "carrier-c");
	assert_false(t.trunks[3].healthy);
	assert_int_equal(t.trunks[3].priority, 5);
	/* "0": carrier-a prio 10 before carrier-b prio 20 (rows came the other way round). */
	assert_int_equal(look(s, "lab.test", "030123", &t), 0);
	assert_int_equal(t.ntrunks, 2);
	assert_string_equal(t.trunks[0].name, "carrier-a");
	assert_string_equal(t.trunks[1].name, "carrier-b");
}

static void
test_strip_prepend(void **state)
{
	const rt_snap *s = *state;
	rt_target t;
	/* docs/schema.md's example: 030123 -> +4930123, backup 004930123. */
	assert_int_equal(look(s, "lab.test", "030123", &t), 0);
	assert_string_equal(t.trunks[0].number, "+4930123");
	assert_string_equal(t.trunks[1].number, "004930123");
	/* Each trunk of one prefix rewrites on its own. */
	assert_int_equal(look(s, "lab.test", "0033123", &t), 0);
	assert_string_equal(t.trunks[0].number, "0033123"); /* carrier-e: strip 2, prepend 00 */
	assert_string_equal(t.trunks[1].number, "+33123");
	assert_string_equal(t.trunks[3].number, "+33123");

	/* Strip more than there is; prepend alone; the longest number fits. */
	rt_builder *b = rt_builder_new();
	assert_int_equal(dom(b, "strip.test", NULL, true), 0);
	assert_int_equal(trunk(b, "strip.test", "", "t1", 1, 5, "9", "up"), 0);
	assert_int_equal(
	    trunk(b, "strip.test", "7", "t2", 1, 0, "+1234567890123456789012345678901", "up"), 0);
	assert_int_equal(
	    trunk(b, "strip.test", "8", "t3", 1, 0, "+12345678901234567890123456789012", "up"),
	    TD_EINVAL); /* a prepend of 33 */
	rt_snap *s2 = rt_builder_finish(b);
	assert_int_equal(look(s2, "strip.test", "12", &t), 0);
	assert_string_equal(t.trunks[0].number, "9");
	assert_int_equal(look(s2, "strip.test", "123456", &t), 0);
	assert_string_equal(t.trunks[0].number, "96");
	char num[RT_MAX_NUMBER + 1], want[128];
	memset(num, '7', RT_MAX_NUMBER);
	num[RT_MAX_NUMBER] = '\0';
	assert_int_equal(look(s2, "strip.test", num, &t), 0);
	snprintf(want, sizeof(want), "+1234567890123456789012345678901%s", num);
	assert_string_equal(t.trunks[0].number, want);
	assert_int_equal(strlen(t.trunks[0].number), RT_MAX_NUMBER + 32);
	rt_snap_free(s2);
}

static void
test_max_trunks(void **state)
{
	(void)state;
	rt_builder *b = rt_builder_new();
	assert_int_equal(dom(b, "many.test", NULL, true), 0);
	for (int i = 0; i < 12; i++) {
		char name[16];
		snprintf(name, sizeof(name), "t%02d", i);
		assert_int_equal(trunk(b, "many.test", "9", name, 100 - i, 1, "", "up"), 0);
	}
	rt_snap *s = rt_builder_finish(b);
	rt_target t;
	assert_int_equal(look(s, "many.test", "9123", &t), 0);
	assert_int_equal(t.ntrunks, RT_MAX_TRUNKS);
	for (int i = 0; i < RT_MAX_TRUNKS; i++) { /* lowest priority values: t11, t10, ... */
		char name[16];
		snprintf(name, sizeof(name), "t%02d", 11 - i);
		assert_string_equal(t.trunks[i].name, name);
		assert_int_equal(t.trunks[i].priority, 89 + i);
		assert_string_equal(t.trunks[i].number, "123");
	}
	rt_snap_info in;
	rt_snap_info_get(s, &in);
	assert_int_equal(in.trunk_routes, 12);
	rt_snap_free(s);
}

/* ---- users, domains, what is left out --------------------------------------------- */

static void
test_users(void **state)
{
	const rt_snap *s = *state;
	rt_user u;
	assert_int_equal(rt_snap_user(s, "lab.test", 8, "alice", 5, &u), 0);
	assert_string_equal(u.username, "alice");
	assert_string_equal(u.domain, "lab.test");
	assert_string_equal(u.realm, "lab.test");
	assert_string_equal(u.ha1_md5, MD5_ALICE);
	assert_string_equal(u.ha1_sha256, SHA_ALICE);
	assert_int_equal(u.max_contacts, 3);
	/* No password: present, cannot authenticate. */
	assert_int_equal(rt_snap_user(s, "LAB.test", 8, "bob", 3, &u), 0);
	assert_string_equal(u.ha1_md5, "");
	assert_string_equal(u.ha1_sha256, "");
	assert_int_equal(u.max_contacts, 1);
	/* The realm is the domain's. */
	assert_int_equal(rt_snap_user(s, "other.test", 10, "carol", 5, &u), 0);
	assert_string_equal(u.realm, "other-realm");
	assert_string_equal(u.ha1_md5, MD5_CAROL);
	assert_string_equal(u.ha1_sha256, "");
	assert_int_equal(u.max_contacts, 5);
	/* User names are case-sensitive; users belong to one domain. */
	assert_int_equal(rt_snap_user(s, "lab.test", 8, "Alice", 5, &u), TD_ENOTFOUND);
	assert_int_equal(rt_snap_user(s, "other.test", 10, "alice", 5, &u), TD_ENOTFOUND);
	assert_int_equal(rt_snap_user(s, "lab.test", 8, "alic", 4, &u), TD_ENOTFOUND);
	assert_int_equal(rt_snap_user(s, "lab.test", 8, "", 0, &u), TD_ENOTFOUND);

	/* A 64-character user name (the schema's longest) round-trips. */
	char lng[65];
	memset(lng, 'u', 64);
	lng[64] = '\0';
	rt_builder *b = rt_builder_new();
	assert_int_equal(dom(b, "x.test", NULL, true), 0);
	assert_int_equal(user(b, "x.test", lng, MD5_CAROL, NULL, 2, true), 0);
	assert_int_equal(ext(b, "x.test", "1", "user", lng, NULL), 0);
	rt_snap *s2 = rt_builder_finish(b);
	assert_int_equal(rt_snap_user(s2, "x.test", 6, lng, 64, &u), 0);
	assert_string_equal(u.username, lng);
	rt_target t;
	assert_int_equal(look(s2, "x.test", "1", &t), 0);
	assert_string_equal(t.username, lng);
	rt_snap_free(s2);
}

static void
test_disabled_absent(void **state)
{
	const rt_snap *s = *state;
	rt_target t;
	rt_user u;
	char realm[254];
	/* A disabled domain: not local, no realm, no numbers, no users. */
	assert_false(rt_snap_is_local(s, "off.test", 8));
	assert_false(rt_snap_realm(s, "off.test", 8, realm, sizeof(realm)));
	assert_int_equal(look(s, "off.test", "1001", &t), TD_ENOTFOUND);
	assert_int_equal(rt_snap_user(s, "off.test", 8, "dave", 4, &u), TD_ENOTFOUND);
	/* A disabled user. */
	assert_int_equal(rt_snap_user(s, "lab.test", 8, "eve", 3, &u), TD_ENOTFOUND);
	assert_false(rt_snap_is_local(s, "nowhere.test", 12));
	rt_snap_info in;
	rt_snap_info_get(s, &in);
	assert_int_equal(in.domains, 2);
	assert_int_equal(in.users, 3);
	assert_int_equal(in.extensions, 8);
	assert_int_equal(in.trunk_routes, 9);
	assert_int_equal(in.trunk_addrs, 5);
	assert_int_equal(in.skipped, 1); /* the off.test route */
	assert_int_equal(in.unresolved, 1);
}

static void
test_invalid_rows(void **state)
{
	(void)state;
	rt_builder *b = rt_builder_new();
	assert_int_equal(dom(b, "v.test", NULL, true), 0);
	assert_int_equal(dom(b, "V.TEST", NULL, true), TD_EEXIST);
	assert_int_equal(dom(b, "", NULL, true), TD_EINVAL);
	assert_int_equal(ext(b, "v.test", "1", "fax", NULL, NULL), TD_EINVAL);
	assert_int_equal(ext(b, "v.test", "2", "user", NULL, NULL), TD_EINVAL);
	assert_int_equal(ext(b, "v.test", "3", "queue", NULL, NULL), TD_EINVAL);
	assert_int_equal(ext(b, "v.test", "4", "ivr", NULL, NULL), TD_EINVAL);
	assert_int_equal(ext(b, "v.test", "", "queue", NULL, "q"), TD_EINVAL);
	assert_int_equal(ext(b, "v.test", "5", "queue", NULL, "first"), 0);
	assert_int_equal(ext(b, "v.test", "5", "queue", NULL, "second"), TD_EEXIST);
	char lng[80];
	memset(lng, '1', sizeof(lng) - 1);
	lng[sizeof(lng) - 1] = '\0';
	assert_int_equal(ext(b, "v.test", lng, "conference", NULL, NULL), TD_EINVAL);
	assert_int_equal(trunk(b, "v.test", lng, "t", 1, 0, "", "up"), TD_EINVAL);
	assert_int_equal(trunk(b, "v.test", "9", "t", 1, 0, "", "up"), 0);
	assert_int_equal(trunk(b, "v.test", "9", "t", 2, 0, "", "up"), 0); /* dropped at finish */
	assert_int_equal(trunk(b, "v.test", "8", NULL, 1, 0, "", "up"), TD_EINVAL);
	assert_int_equal(trunk(b, "v.test", "8", "t", 1, -1, "", "up"), TD_EINVAL);
	rt_route_row r = { .domain = "v.test",
		.extension = "7",
		.type = "trunk_out",
		.trunk_name = "t",
		.trunk_host = "h",
		.trunk_port = 5060,
		.trunk_transport = "sctp" };
	assert_int_equal(rt_builder_route(b, &r), TD_EINVAL);
	assert_int_equal(user(b, "v.test", "u", "not-hex", NULL, 1, true), TD_EINVAL);
	assert_int_equal(user(b, "v.test", "u", MD5_CAROL, NULL, 1, true), 0);
	assert_int_equal(user(b, "v.test", "u", MD5_ALICE, NULL, 1, true), TD_EEXIST);
	assert_int_equal(rt_builder_trunk_cidr(b, "t", "10.0.0.0/33"), TD_EINVAL);
	assert_int_equal(rt_builder_trunk_cidr(b, "t", "not-an-ip/8"), TD_EINVAL);
	assert_int_equal(rt_builder_trunk_cidr(b, "t", "10.0.0.0/"), TD_EINVAL);
	rt_snap *s = rt_builder_finish(b);
	rt_snap_info in;
	rt_snap_info_get(s, &in);
	assert_int_equal(in.domains, 1);
	assert_int_equal(in.extensions, 1);
	assert_int_equal(in.trunk_routes, 1);
	assert_int_equal(in.users, 1);
	assert_int_equal(in.skipped, 19);
	rt_target t;
	assert_int_equal(look(s, "v.test", "5", &t), 0);
	assert_string_equal(t.name, "first"); /* the first row wins */
	assert_int_equal(look(s, "v.test", "95", &t), 0);
	assert_int_equal(t.ntrunks, 1);
	assert_int_equal(t.trunks[0].priority, 1);
	rt_user u;
	assert_int_equal(rt_snap_user(s, "v.test", 6, "u", 1, &u), 0);
	assert_string_equal(u.ha1_md5, MD5_CAROL);
	rt_snap_free(s);
}

static void
test_trunk_addrs(void **state)
{
	const rt_snap *s = *state;
	struct sockaddr_in a = sa4("192.0.2.10", 5060);
	assert_string_equal(rt_snap_trunk_of(s, (struct sockaddr *)&a), "carrier-a");
	a = sa4("192.0.2.10", 41234); /* another source port: the same carrier */
	assert_non_null(rt_snap_trunk_of(s, (struct sockaddr *)&a));
	a = sa4("192.0.2.11", 5060);
	assert_null(rt_snap_trunk_of(s, (struct sockaddr *)&a));
	a = sa4("198.51.100.77", 5060); /* in carrier-a's 198.51.100.0/24 */
	assert_string_equal(rt_snap_trunk_of(s, (struct sockaddr *)&a), "carrier-a");
	a = sa4("198.51.101.1", 5060);
	assert_null(rt_snap_trunk_of(s, (struct sockaddr *)&a));
	a = sa4("203.0.113.7", 5060); /* a network without length: one address */
	assert_string_equal(rt_snap_trunk_of(s, (struct sockaddr *)&a), "carrier-c");
	struct sockaddr_in6 a6 = sa6("::ffff:192.0.2.10", 5060); /* v4-mapped: as IPv4 */
	assert_string_equal(rt_snap_trunk_of(s, (struct sockaddr *)&a6), "carrier-a");
	a6 = sa6("::ffff:198.51.100.1", 5060);
	assert_string_equal(rt_snap_trunk_of(s, (struct sockaddr *)&a6), "carrier-a");
	a6 = sa6("2001:db8::5", 5080);
	assert_string_equal(rt_snap_trunk_of(s, (struct sockaddr *)&a6), "carrier-b");
	a6 = sa6("2001:db8::6", 5060);
	assert_null(rt_snap_trunk_of(s, (struct sockaddr *)&a6));
	a6 = sa6("2001:db8:1:ffff::1", 5060); /* in 2001:db8:1::/48 */
	assert_string_equal(rt_snap_trunk_of(s, (struct sockaddr *)&a6), "carrier-b");
	a6 = sa6("2001:db8:2::1", 5060);
	assert_null(rt_snap_trunk_of(s, (struct sockaddr *)&a6));
	struct sockaddr_un un;
	memset(&un, 0, sizeof(un));
	un.sun_family = AF_UNIX;
	assert_null(rt_snap_trunk_of(s, (struct sockaddr *)&un));
	assert_null(rt_snap_trunk_of(s, NULL));

	/* Odd prefix lengths: 10.1.2.128/25 holds .200, not .100. */
	rt_builder *b = rt_builder_new();
	assert_int_equal(rt_builder_trunk_cidr(b, "t", "10.1.2.129/25"), 0);
	rt_snap *s2 = rt_builder_finish(b);
	a = sa4("10.1.2.200", 1);
	assert_non_null(rt_snap_trunk_of(s2, (struct sockaddr *)&a));
	a = sa4("10.1.2.100", 1);
	assert_null(rt_snap_trunk_of(s2, (struct sockaddr *)&a));
	rt_snap_free(s2);
}

static void
test_describe(void **state)
{
	const rt_snap *s = *state;
	json_t *j = rt_snap_describe(s, "LAB.test", "1001");
	char *txt = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
	assert_string_equal(txt,
	    "{\"domain\":\"LAB.test\",\"local\":true,\"number\":\"1001\",\"realm\":\"lab.test\","
	    "\"route\":{\"domain\":\"lab.test\",\"extension\":\"1001\",\"kind\":\"user\","
	    "\"max_contacts\":3,\"need_media\":false,\"username\":\"alice\"},\"version\":0}");
	free(txt);
	json_decref(j);

	j = rt_snap_describe(s, "lab.test", "030123");
	json_t *tr = json_object_get(json_object_get(j, "route"), "trunks");
	assert_int_equal(json_array_size(tr), 2);
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(tr, 0), "number")), "+4930123");
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(tr, 1), "transport")), "udp");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(j, "route"), "prefix")), "0");
	json_decref(j);

	/* A user name: credentials are described, never shown. */
	j = rt_snap_describe(s, "lab.test", "alice");
	assert_true(json_is_null(json_object_get(j, "route")));
	assert_string_equal(json_string_value(json_object_get(j, "error")), "not found");
	json_t *u = json_object_get(j, "user");
	assert_true(json_is_true(json_object_get(u, "can_authenticate")));
	txt = json_dumps(j, 0);
	assert_null(strstr(txt, MD5_ALICE));
	assert_null(strstr(txt, SHA_ALICE));
	free(txt);
	json_decref(j);
	j = rt_snap_describe(s, "lab.test", "bob");
	assert_true(json_is_false(json_object_get(json_object_get(j, "user"), "can_authenticate")));
	json_decref(j);
	j = rt_snap_describe(s, "nowhere.test", "1");
	assert_true(json_is_false(json_object_get(j, "local")));
	assert_null(json_object_get(j, "realm"));
	json_decref(j);
}

/* ---- rt: publishing ---------------------------------------------------------------- */

static void
test_rt_publish(void **state)
{
	(void)state;
	rt *r = rt_new_detached();
	rt_target t;
	rt_user u;
	rt_stats st;
	assert_false(rt_ready(r));
	assert_int_equal(rt_lookup(r, "lab.test", 8, "1001", 4, &t), TD_ENOTFOUND);
	assert_int_equal(rt_user_get(r, "lab.test", 8, "alice", 5, &u), TD_ENOTFOUND);
	assert_false(rt_is_local(r, "lab.test", 8));
	rt_stats_get(r, &st);
	assert_int_equal(st.version, 0);
	assert_int_equal(st.domains, 0);
	assert_false(st.pg_up);
	rt_reload(r); /* no loader: harmless */

	assert_int_equal(rt_publish(r, build_lab()), 1);
	assert_true(rt_ready(r));
	assert_int_equal(rt_lookup(r, "lab.test", 8, "1001", 4, &t), 0);
	assert_string_equal(t.username, "alice");
	assert_int_equal(rt_user_get(r, "lab.test", 8, "alice", 5, &u), 0);
	assert_true(rt_is_local(r, "LAB.TEST", 8));
	char realm[254];
	assert_true(rt_realm(r, "other.test", 10, realm, sizeof(realm)));
	assert_string_equal(realm, "other-realm");
	struct sockaddr_in a = sa4("192.0.2.10", 5060);
	assert_true(rt_is_trunk_addr(r, (struct sockaddr *)&a));
	a = sa4("192.0.2.99", 5060);
	assert_false(rt_is_trunk_addr(r, (struct sockaddr *)&a));
	rt_stats_get(r, &st);
	assert_int_equal(st.version, 1);
	assert_true(st.loaded_at_us > 0);
	assert_int_equal(st.domains, 2);
	assert_int_equal(st.users, 3);
	assert_int_equal(st.extensions, 8);
	assert_int_equal(st.trunk_routes, 9);
	assert_int_equal(st.trunk_addrs, 5);
	assert_int_equal(st.loads, 0); /* only the loader counts loads */
	json_t *j = rt_describe(r, "lab.test", "5000");
	assert_int_equal(json_integer_value(json_object_get(j, "version")), 1);
	assert_true(json_is_true(json_object_get(j, "ready")));
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(j, "route"), "name")), "sales");
	json_decref(j);

	/* A new snapshot replaces the old one whole. */
	rt_builder *b = rt_builder_new();
	assert_int_equal(dom(b, "lab.test", NULL, true), 0);
	assert_int_equal(ext(b, "lab.test", "1001", "user", "alice2", NULL), 0);
	assert_int_equal(rt_publish(r, rt_builder_finish(b)), 2);
	assert_int_equal(rt_lookup(r, "lab.test", 8, "1001", 4, &t), 0);
	assert_string_equal(t.username, "alice2");
	assert_int_equal(rt_lookup(r, "lab.test", 8, "5000", 4, &t), TD_ENOTFOUND);
	assert_false(rt_is_local(r, "other.test", 10));
	rt_stats_get(r, &st);
	assert_int_equal(st.version, 2);
	assert_int_equal(st.domains, 1);
	rt_free(r);
}

/*
 * Readers against a publisher: snapshot k routes 1000 to user "u<k>" with
 * max_contacts k % 97 + 1, and every number to trunk "t<k>" with prepend
 * "<k>-".  Each lookup must be internally consistent (one snapshot), and a
 * reader must never go back to an older snapshot.  A snapshot freed under
 * a reader is an ASan report.
 */
#define SWAPS 3000
#define READERS 3

typedef struct race {
	rt *r;
	atomic_bool done;
	atomic_int started;
} race;

typedef struct reader {
	race *race;
	pthread_t th;
	long lookups, versions, bad;
} reader;

static rt_snap *
race_snap(int k)
{
	char u[32], tn[32], pre[32];
	snprintf(u, sizeof(u), "u%d", k);
	snprintf(tn, sizeof(tn), "t%d", k);
	snprintf(pre, sizeof(pre), "%d", k);
	rt_builder *b = rt_builder_new();
	(void)dom(b, "race.test", NULL, true);
	rt_route_row row = { .domain = "race.test",
		.extension = "1000",
		.type = "user",
		.sip_username = u,
		.max_contacts = k % 97 + 1 };
	(void)rt_builder_route(b, &row);
	(void)trunk(b, "race.test", "", tn, 1, 0, pre, "up");
	(void)user(b, "race.test", u, MD5_CAROL, NULL, k % 97 + 1, true);
	return (rt_builder_finish(b));
}

static void *
reader_main(void *arg)
{
	reader *rd = arg;
	rt *r = rd->race->r;
	int last = -1;
	atomic_fetch_add(&rd->race->started, 1);
	while (!atomic_load(&rd->race->done)) {
		rt_target t;
		int k = -1;
		if (rt_lookup(r, "race.test", 9, "1000", 4, &t) == 0) {
			k = atoi(t.username + 1);
			if (t.username[0] != 'u' || t.max_contacts != k % 97 + 1) {
				rd->bad++;
			}
		}
		if (rt_lookup(r, "RACE.test", 9, "42", 2, &t) == 0) {
			int k2 = atoi(t.trunks[0].name + 1);
			char want[48];
			snprintf(want, sizeof(want), "%d42", k2);
			if (t.ntrunks != 1 || strcmp(t.trunks[0].number, want) != 0 || k2 < k) {
				rd->bad++;
			}
			k = k2;
		}
		if (k >= 0) {
			if (k < last) {
				rd->bad++; /* went back in time */
			} else if (k > last) {
				rd->versions++;
				last = k;
			}
		}
		rd->lookups++;
	}
	return (NULL);
}

static void
test_swaps_under_readers(void **state)
{
	(void)state;
	race rc = { .r = rt_new_detached() };
	reader rd[READERS];
	memset(rd, 0, sizeof(rd));
	assert_int_equal(rt_publish(rc.r, race_snap(0)), 1);
	for (int i = 0; i < READERS; i++) {
		rd[i].race = &rc;
		assert_int_equal(pthread_create(&rd[i].th, NULL, reader_main, &rd[i]), 0);
	}
	while (atomic_load(&rc.started) < READERS) {
		sched_yield();
	}
	for (int k = 1; k <= SWAPS; k++) {
		rt_publish(rc.r, race_snap(k));
	}
	atomic_store(&rc.done, true);
	long lookups = 0;
	for (int i = 0; i < READERS; i++) {
		pthread_join(rd[i].th, NULL);
		assert_int_equal(rd[i].bad, 0);
		assert_true(rd[i].lookups > 0);
		lookups += rd[i].lookups;
	}
	rt_target t;
	assert_int_equal(rt_lookup(rc.r, "race.test", 9, "1000", 4, &t), 0);
	char want[16];
	snprintf(want, sizeof(want), "u%d", SWAPS);
	assert_string_equal(t.username, want);
	rt_stats st;
	rt_stats_get(rc.r, &st);
	assert_int_equal(st.version, SWAPS + 1);
	print_message(
	    "      %d swaps under %d readers: %ld lookups, versions seen per reader %ld/%ld/%ld\n",
	    SWAPS, READERS, lookups, rd[0].versions, rd[1].versions, rd[2].versions);
	rt_free(rc.r);
}

/* Several publishers at once (the loader and a test, say) are serialised. */
static void *
publisher_main(void *arg)
{
	rt *r = arg;
	for (int k = 0; k < 300; k++) {
		rt_publish(r, race_snap(k));
	}
	return (NULL);
}

static void
test_concurrent_publishers(void **state)
{
	(void)state;
	rt *r = rt_new_detached();
	pthread_t th[2];
	for (int i = 0; i < 2; i++) {
		assert_int_equal(pthread_create(&th[i], NULL, publisher_main, r), 0);
	}
	for (int i = 0; i < 2; i++) {
		pthread_join(th[i], NULL);
	}
	rt_stats st;
	rt_stats_get(r, &st);
	assert_int_equal(st.version, 600);
	rt_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_exact_kinds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_found, setup, teardown),
		cmocka_unit_test_setup_teardown(test_domain_case, setup, teardown),
		cmocka_unit_test_setup_teardown(test_longest_prefix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_priority_and_health, setup, teardown),
		cmocka_unit_test_setup_teardown(test_strip_prepend, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_trunks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_users, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disabled_absent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trunk_addrs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_describe, setup, teardown),
		cmocka_unit_test(test_rt_publish),
		cmocka_unit_test(test_swaps_under_readers),
		cmocka_unit_test(test_concurrent_publishers),
	};
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
