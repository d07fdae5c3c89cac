/* SPDX-License-Identifier: MIT */
/* Unit tests: transport addresses and trusted-network blocks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>

#include "addr.h"

static void
test_parse_and_format(void **state)
{
	(void)state;
	sr_addr a, b;
	char out[64];
	assert_int_equal(sr_addr_parse(&a, "192.0.2.7", 9, 0, SR_UDP), 0);
	assert_string_equal(sr_addr_fmt(&a, out, sizeof(out)), "192.0.2.7:5060");
	assert_int_equal(sr_addr_parse(&b, "[2001:db8::1]", 13, 5070, SR_TCP), 0);
	assert_string_equal(sr_addr_fmt(&b, out, sizeof(out)), "[2001:db8::1]:5070");
	assert_string_equal(sr_addr_host(&b, out, sizeof(out)), "2001:db8::1");
	assert_int_equal(sr_addr_port(&b), 5070);
	assert_string_equal(sr_proto_name((sr_proto)b.proto), "TCP");
	assert_int_equal(sr_addr_parse(&b, "2001:db8::1", 11, 5070, SR_TCP), 0); /* no brackets */
	assert_int_equal(sr_addr_parse(&a, "example.com", 11, 0, SR_UDP), TD_EINVAL); /* no DNS here */
	assert_int_equal(sr_addr_parse(&a, "", 0, 0, SR_UDP), TD_EINVAL);
	assert_int_equal(sr_addr_parse(&a, "[]", 2, 0, SR_UDP), TD_EINVAL);
	assert_int_equal(sr_addr_parse(&a, "1.2.3.4.5", 9, 0, SR_UDP), TD_EINVAL);
	/* only the given length counts */
	assert_int_equal(sr_addr_parse(&a, "10.0.0.1:5060", 8, 0, SR_UDP), 0);
	assert_string_equal(sr_addr_fmt(&a, out, sizeof(out)), "10.0.0.1:5060");
	assert_int_equal(sr_addr_resolve(&a, "localhost", 5080, SR_UDP), 0);
	assert_int_equal(sr_addr_port(&a), 5080);

	/* from a socket address (what a resolver gives), then the port */
	struct sockaddr_in6 s6 = {.sin6_family = AF_INET6, .sin6_port = htons(9)};
	s6.sin6_addr.s6_addr[15] = 1;
	a.sock = 3;
	assert_true(sr_addr_from_sockaddr(&a, (struct sockaddr *)&s6, sizeof(s6)));
	assert_int_equal(a.sock, 0);
	sr_addr_set_port(&a, 0); /* the SIP default */
	assert_string_equal(sr_addr_fmt(&a, out, sizeof(out)), "[::1]:5060");
	struct sockaddr_in s4 = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x0a000002)};
	assert_true(sr_addr_from_sockaddr(&a, (struct sockaddr *)&s4, sizeof(s4)));
	sr_addr_set_port(&a, 5080);
	assert_string_equal(sr_addr_fmt(&a, out, sizeof(out)), "10.0.0.2:5080");
	struct sockaddr un = {.sa_family = AF_UNIX};
	assert_false(sr_addr_from_sockaddr(&a, &un, sizeof(un)));
}

static void
test_equality_and_hash(void **state)
{
	(void)state;
	sr_addr a, b, c, d;
	assert_int_equal(sr_addr_parse(&a, "10.1.1.1", 8, 5060, SR_UDP), 0);
	assert_int_equal(sr_addr_parse(&b, "10.1.1.1", 8, 5060, SR_UDP), 0);
	assert_int_equal(sr_addr_parse(&c, "10.1.1.1", 8, 5062, SR_UDP), 0);
	assert_int_equal(sr_addr_parse(&d, "10.1.1.1", 8, 5060, SR_TCP), 0);
	assert_true(sr_addr_eq(&a, &b));
	assert_int_equal(sr_addr_hash(&a), sr_addr_hash(&b));
	assert_false(sr_addr_eq(&a, &c)); /* port */
	assert_false(sr_addr_eq(&a, &d)); /* transport */
	assert_true(sr_addr_same_host(&a, &c));
	assert_true(sr_addr_same_host(&a, &d));
	assert_int_equal(sr_addr_parse(&d, "::ffff:10.1.1.1", 15, 5060, SR_UDP), 0);
	assert_false(sr_addr_same_host(&a, &d)); /* families differ: v6only sockets */
}

static struct sockaddr_storage
sa_of(const char *ip)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, ip, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
	} else {
		assert_int_equal(inet_pton(AF_INET6, ip, &in6->sin6_addr), 1);
		in6->sin6_family = AF_INET6;
	}
	return (ss);
}

static bool
in_cidr(const char *cidr, const char *ip)
{
	sr_cidr c;
	assert_int_equal(sr_cidr_parse(&c, cidr), 0);
	struct sockaddr_storage ss = sa_of(ip);
	return (sr_cidr_match(&c, (struct sockaddr *)&ss));
}

static void
test_cidr(void **state)
{
	(void)state;
	assert_true(in_cidr("10.0.0.0/8", "10.255.1.2"));
	assert_false(in_cidr("10.0.0.0/8", "11.0.0.1"));
	assert_true(in_cidr("192.0.2.7", "192.0.2.7")); /* a host */
	assert_false(in_cidr("192.0.2.7", "192.0.2.8"));
	assert_true(in_cidr("192.0.2.128/25", "192.0.2.200"));
	assert_false(in_cidr("192.0.2.128/25", "192.0.2.127"));
	assert_true(in_cidr("0.0.0.0/0", "203.0.113.9"));
	assert_true(in_cidr("172.16.0.0/12", "172.31.255.255"));
	assert_false(in_cidr("172.16.0.0/12", "172.32.0.0"));
	assert_true(in_cidr("2001:db8::/32", "2001:db8:ffff::1"));
	assert_false(in_cidr("2001:db8::/32", "2001:db9::1"));
	assert_false(in_cidr("10.0.0.0/8", "2001:db8::1")); /* other family */
	assert_true(in_cidr("fe80::/10", "febf::1"));
	assert_false(in_cidr("fe80::/10", "fec0::1"));
	sr_cidr c;
	assert_int_equal(sr_cidr_parse(&c, "10.0.0.0/33"), TD_EINVAL);
	assert_int_equal(sr_cidr_parse(&c, "10.0.0.0/"), TD_EINVAL);
	assert_int_equal(sr_cidr_parse(&c, "10.0.0.0/8x"), TD_EINVAL);
	assert_int_equal(sr_cidr_parse(&c, "10.0.0/8"), TD_EINVAL);
	assert_int_equal(sr_cidr_parse(&c, "::/129"), TD_EINVAL);
	assert_int_equal(sr_cidr_parse(&c, "host.example"), TD_EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_and_format),
	    cmocka_unit_test(test_equality_and_hash),
	    cmocka_unit_test(test_cidr),
	};
	return (cmocka_run_group_tests_name("sip-router addr", tests, NULL, NULL));
}
