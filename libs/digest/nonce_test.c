/* SPDX-License-Identifier: MIT */
/* Unit tests: stateless nonces, the context's configuration, secrets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "digest/digest.h"

#define SEC 1000000LL
#define T0 (1700000000LL * SEC)
#define REALM "lab.test"
#define RLEN (sizeof(REALM) - 1)

static const uint8_t secret1[TD_DIGEST_SECRET_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
	14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32 };
static const uint8_t secret2[TD_DIGEST_SECRET_LEN] = { 99, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
	14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32 };

static td_digest *
mk(const uint8_t *secret, const uint8_t *prev, uint8_t node, bool strict)
{
	td_digest_cfg cfg = { 0 };
	cfg.secret = secret;
	cfg.prev_secret = prev;
	cfg.node_id = node;
	cfg.strict_node = strict;
	cfg.lifetime_s = 300;
	cfg.skew_s = 5;
	td_digest *d = NULL;
	assert_int_equal(td_digest_new(&cfg, T0, &d), 0);
	return (d);
}

static td_digest_nonce_status
chk(const td_digest *d, const char *n, int64_t now, td_digest_nonce_info *info)
{
	return (td_digest_nonce_check(d, n, strlen(n), REALM, RLEN, now, info));
}

static void
test_make_and_check(void **state)
{
	(void)state;
	td_digest *d = mk(secret1, NULL, 7, false);
	char a[TD_DIGEST_NONCE_LEN + 1], b[TD_DIGEST_NONCE_LEN + 1];
	int64_t t = T0 + 123456789;
	td_digest_nonce_make(d, REALM, RLEN, t, a);
	td_digest_nonce_make(d, REALM, RLEN, t, b);
	assert_int_equal(strlen(a), TD_DIGEST_NONCE_LEN);
	assert_int_equal(
	    strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
	    TD_DIGEST_NONCE_LEN);
	assert_string_not_equal(a, b); /* random part */

	td_digest_nonce_info ia, ib;
	assert_int_equal(chk(d, a, t + SEC, &ia), TD_DIGEST_NONCE_OK);
	assert_int_equal(chk(d, b, t + SEC, &ib), TD_DIGEST_NONCE_OK);
	assert_int_equal(ia.issued_us, t);
	assert_int_equal(ia.node_id, 7);
	assert_true(ia.id != ib.id);
	td_digest_free(d);
}

/* Changing any single character of a nonce makes it invalid. */
static void
test_tamper_every_byte(void **state)
{
	(void)state;
	td_digest *d = mk(secret1, NULL, 0, false);
	char n[TD_DIGEST_NONCE_LEN + 1];
	td_digest_nonce_make(d, REALM, RLEN, T0 + SEC, n);
	td_digest_nonce_info info;
	for (size_t k = 0; k < TD_DIGEST_NONCE_LEN; k++) {
		char saved = n[k];
		n[k] = saved == 'A' ? 'B' : 'A';
		assert_int_equal(chk(d, n, T0 + 2 * SEC, &info), TD_DIGEST_NONCE_INVALID);
		n[k] = saved == '_' ? '-' : '_';
		assert_int_equal(chk(d, n, T0 + 2 * SEC, &info), TD_DIGEST_NONCE_INVALID);
		n[k] = saved;
	}
	assert_int_equal(chk(d, n, T0 + 2 * SEC, &info), TD_DIGEST_NONCE_OK);

	/* Malformed: length, alphabet, padding, absent. */
	char longer[TD_DIGEST_NONCE_LEN + 2];
	snprintf(longer, sizeof(longer), "%sA", n);
	assert_int_equal(chk(d, longer, T0 + 2 * SEC, &info), TD_DIGEST_NONCE_INVALID);
	n[TD_DIGEST_NONCE_LEN - 1] = '\0';
	assert_int_equal(chk(d, n, T0 + 2 * SEC, &info), TD_DIGEST_NONCE_INVALID);
	char plus[TD_DIGEST_NONCE_LEN + 1];
	memset(plus, '+', TD_DIGEST_NONCE_LEN);
	plus[TD_DIGEST_NONCE_LEN] = '\0';
	assert_int_equal(chk(d, plus, T0 + 2 * SEC, &info), TD_DIGEST_NONCE_INVALID);
	memset(plus, '=', TD_DIGEST_NONCE_LEN);
	assert_int_equal(chk(d, plus, T0 + 2 * SEC, &info), TD_DIGEST_NONCE_INVALID);
	memset(plus, 'A', TD_DIGEST_NONCE_LEN);
	assert_int_equal(chk(d, plus, T0 + 2 * SEC, &info), TD_DIGEST_NONCE_INVALID);
	assert_int_equal(
	    td_digest_nonce_check(d, NULL, 0, REALM, RLEN, T0, &info), TD_DIGEST_NONCE_INVALID);
	td_digest_free(d);
}

/* A nonce is bound to its realm and to the secret. */
static void
test_realm_and_secret(void **state)
{
	(void)state;
	td_digest *a = mk(secret1, NULL, 0, false);
	td_digest *b = mk(secret2, NULL, 0, false);
	td_digest *rotated = mk(secret2, secret1, 0, false);
	char n[TD_DIGEST_NONCE_LEN + 1];
	td_digest_nonce_info info;
	td_digest_nonce_make(a, REALM, RLEN, T0 + SEC, n);
	int64_t now = T0 + 2 * SEC;

	assert_int_equal(chk(a, n, now, &info), TD_DIGEST_NONCE_OK);
	assert_int_equal(td_digest_nonce_check(a, n, strlen(n), "lab.tesT", RLEN, now, &info),
	    TD_DIGEST_NONCE_INVALID);
	assert_int_equal(td_digest_nonce_check(a, n, strlen(n), "lab.test.", RLEN + 1, now, &info),
	    TD_DIGEST_NONCE_INVALID);
	assert_int_equal(chk(b, n, now, &info), TD_DIGEST_NONCE_INVALID);
	/* During a rotation the previous secret still verifies nonces in flight... */
	assert_int_equal(chk(rotated, n, now, &info), TD_DIGEST_NONCE_OK);
	/* ...and new nonces are made with the new one. */
	td_digest_nonce_make(rotated, REALM, RLEN, T0 + SEC, n);
	assert_int_equal(chk(b, n, now, &info), TD_DIGEST_NONCE_OK);
	assert_int_equal(chk(a, n, now, &info), TD_DIGEST_NONCE_INVALID);
	td_digest_free(a);
	td_digest_free(b);
	td_digest_free(rotated);
}

static void
test_expiry_and_skew(void **state)
{
	(void)state;
	td_digest *d = mk(secret1, NULL, 0, false);
	char n[TD_DIGEST_NONCE_LEN + 1];
	td_digest_nonce_info info;
	int64_t t = T0 + 10 * SEC;
	td_digest_nonce_make(d, REALM, RLEN, t, n);
	assert_int_equal(chk(d, n, t, &info), TD_DIGEST_NONCE_OK);
	assert_int_equal(chk(d, n, t + 300 * SEC, &info), TD_DIGEST_NONCE_OK); /* last µs */
	assert_int_equal(chk(d, n, t + 300 * SEC + 1, &info), TD_DIGEST_NONCE_STALE); /* expired */
	assert_int_equal(info.issued_us, t); /* info is filled for STALE too */
	assert_int_equal(chk(d, n, t + 3600 * SEC, &info), TD_DIGEST_NONCE_STALE);
	/* Issued by a node whose clock is ahead: tolerated up to skew_s. */
	assert_int_equal(chk(d, n, t - 5 * SEC, &info), TD_DIGEST_NONCE_OK);
	assert_int_equal(chk(d, n, t - 5 * SEC - 1, &info), TD_DIGEST_NONCE_STALE);
	td_digest_free(d);
}

/* Nonces verify on the other node (same secret); strict_node turns that off. */
static void
test_nodes(void **state)
{
	(void)state;
	td_digest *n1 = mk(secret1, NULL, 1, false);
	td_digest *n2 = mk(secret1, NULL, 2, false);
	td_digest *n2strict = mk(secret1, NULL, 2, true);
	char n[TD_DIGEST_NONCE_LEN + 1];
	td_digest_nonce_info info;
	td_digest_nonce_make(n1, REALM, RLEN, T0 + SEC, n);
	assert_int_equal(chk(n2, n, T0 + 2 * SEC, &info), TD_DIGEST_NONCE_OK);
	assert_int_equal(info.node_id, 1);
	assert_int_equal(chk(n2strict, n, T0 + 2 * SEC, &info), TD_DIGEST_NONCE_STALE);
	td_digest_nonce_make(n2strict, REALM, RLEN, T0 + SEC, n);
	assert_int_equal(chk(n2strict, n, T0 + 2 * SEC, &info), TD_DIGEST_NONCE_OK);
	td_digest_free(n1);
	td_digest_free(n2);
	td_digest_free(n2strict);
}

static void
test_cfg(void **state)
{
	(void)state;
	td_digest *d = (td_digest *)&d;
	td_digest_cfg cfg = { 0 };
	assert_int_equal(td_digest_new(&cfg, T0, &d), TD_EINVAL); /* no secret */
	assert_null(d);
	cfg.secret = secret1;
	static const struct {
		int lifetime, skew;
		unsigned algs;
		int rc;
	} cases[] = {
		{ 0, 0, 0, 0 }, /* defaults */
		{ 1, 1, TD_DIGEST_ALG_BIT(TD_DIGEST_MD5), 0 },
		{ 86400, 3600, TD_DIGEST_ALG_BIT(TD_DIGEST_SHA256), 0 },
		{ 86401, 0, 0, TD_EINVAL },
		{ -1, 0, 0, TD_EINVAL },
		{ 0, 3601, 0, TD_EINVAL },
		{ 0, -1, 0, TD_EINVAL },
		{ 0, 0, TD_DIGEST_ALG_BIT(TD_DIGEST_MD5_SESS), TD_EINVAL },
		{ 0, 0, TD_DIGEST_ALG_BIT(TD_DIGEST_SHA512_256), TD_EINVAL },
		{ 0, 0, TD_DIGEST_ALG_BIT(TD_DIGEST_ALG_UNKNOWN), TD_EINVAL },
	};
	for (size_t k = 0; k < TD_ARRAY_LEN(cases); k++) {
		cfg.lifetime_s = cases[k].lifetime;
		cfg.skew_s = cases[k].skew;
		cfg.algs = cases[k].algs;
		assert_int_equal(td_digest_new(&cfg, T0, &d), cases[k].rc);
		assert_true((d != NULL) == (cases[k].rc == 0));
		td_digest_free(d);
	}
	/* The defaults: 300 s lifetime, 65536 tracker slots. */
	cfg.lifetime_s = cfg.skew_s = 0;
	cfg.algs = 0;
	assert_int_equal(td_digest_new(&cfg, T0, &d), 0);
	char n[TD_DIGEST_NONCE_LEN + 1];
	td_digest_nonce_info info;
	td_digest_nonce_make(d, REALM, RLEN, T0 + SEC, n);
	assert_int_equal(chk(d, n, T0 + 301 * SEC, &info), TD_DIGEST_NONCE_OK);
	assert_int_equal(chk(d, n, T0 + 301 * SEC + 1, &info), TD_DIGEST_NONCE_STALE);
	td_digest_replay_stats st;
	td_digest_replay_get_stats(td_digest_tracker(d), &st);
	assert_int_equal(st.capacity, 65536);
	td_digest_free(d);
	td_digest_free(NULL);
}

static void
test_secret_parse(void **state)
{
	(void)state;
	uint8_t s[TD_DIGEST_SECRET_LEN];
	assert_int_equal(td_digest_secret_parse(
	                     "0102030405060708090a0b0c0d0e0f101112131415161718191A1B1C1D1E1F20", s),
	    0);
	assert_memory_equal(s, secret1, sizeof(s));
	static const char *const bad[] = {
		"",
		"0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2", /* 63 */
		"0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2000", /* 66 */
		"0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1fzz",
		"01:02:03:04:05:06:07:08:09:0a:0b:0c:0d:0e:0f:10:11:12:13:14:15:16",
		NULL,
	};
	for (size_t k = 0; k < TD_ARRAY_LEN(bad); k++) {
		assert_int_equal(td_digest_secret_parse(bad[k], s), TD_EINVAL);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_make_and_check),
		cmocka_unit_test(test_tamper_every_byte),
		cmocka_unit_test(test_realm_and_secret),
		cmocka_unit_test(test_expiry_and_skew),
		cmocka_unit_test(test_nodes),
		cmocka_unit_test(test_cfg),
		cmocka_unit_test(test_secret_parse),
	};
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
