/* SPDX-License-Identifier: MIT */
/* Unit tests: WWW-Authenticate / Proxy-Authenticate challenge building. */
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

static const uint8_t secret[TD_DIGEST_SECRET_LEN] = { 7 };

static td_digest *
mk(unsigned algs)
{
	td_digest_cfg cfg = { 0 };
	cfg.secret = secret;
	cfg.algs = algs;
	td_digest *d = NULL;
	assert_int_equal(td_digest_new(&cfg, T0, &d), 0);
	return (d);
}

/* Copies the nonce="..." of the challenge starting at line into n. */
static void
nonce_of(const char *line, char n[TD_DIGEST_NONCE_LEN + 1])
{
	const char *p = strstr(line, "nonce=\"");
	assert_non_null(p);
	p += strlen("nonce=\"");
	assert_int_equal(strcspn(p, "\""), TD_DIGEST_NONCE_LEN);
	memcpy(n, p, TD_DIGEST_NONCE_LEN);
	n[TD_DIGEST_NONCE_LEN] = '\0';
}

static void
test_exact_value(void **state)
{
	(void)state;
	td_buf b;
	td_buf_init(&b, 0);
	assert_int_equal(
	    td_digest_challenge_value(&b, TD_DIGEST_SHA256, "lab.test", 8, "NONCE", NULL, false),
	    0);
	assert_string_equal(
	    b.data, "Digest realm=\"lab.test\", nonce=\"NONCE\", algorithm=SHA-256, qop=\"auth\"");
	td_buf_reset(&b);
	/* Quotes and backslashes in realm and opaque are escaped; stale when asked. */
	assert_int_equal(
	    td_digest_challenge_value(&b, TD_DIGEST_MD5, "a\"b\\c", 5, "N", "o\"p", true), 0);
	assert_string_equal(b.data,
	    "Digest realm=\"a\\\"b\\\\c\", nonce=\"N\", opaque=\"o\\\"p\", algorithm=MD5, "
	    "qop=\"auth\", stale=true");
	/* The escaped realm reads back as the original (through our own quoted-string parser). */
	const char *r = strstr(b.data, "realm=");
	const char *end = strstr(r, ", nonce=");
	char creds[256];
	snprintf(creds, sizeof(creds), "Digest username=u, %.*s, nonce=n, uri=u, response=x",
	    (int)(end - r), r);
	td_digest_creds c;
	assert_int_equal(td_digest_parse(creds, strlen(creds), &c, NULL), 0);
	assert_true(td_digest_val_eq(&c.realm, "a\"b\\c", 5));
	td_buf_free(&b);
}

/* Both algorithms, SHA-256 first (RFC 8760), one header line each, one shared nonce. */
static void
test_headers(void **state)
{
	(void)state;
	td_digest *d = mk(0);
	td_buf b;
	td_buf_init(&b, 0);
	assert_int_equal(
	    td_digest_challenge(d, &b, TD_DIGEST_WWW, "lab.test", 8, NULL, false, T0 + SEC), 0);
	assert_false(td_buf_failed(&b));
	char n1[TD_DIGEST_NONCE_LEN + 1], n2[TD_DIGEST_NONCE_LEN + 1];
	const char *l2 = strstr(b.data, "\r\n");
	assert_non_null(l2);
	l2 += 2;
	nonce_of(b.data, n1);
	nonce_of(l2, n2);
	assert_string_equal(n1, n2);
	char want[1024];
	snprintf(want, sizeof(want),
	    "WWW-Authenticate: Digest realm=\"lab.test\", nonce=\"%s\", algorithm=SHA-256, "
	    "qop=\"auth\"\r\n"
	    "WWW-Authenticate: Digest realm=\"lab.test\", nonce=\"%s\", algorithm=MD5, "
	    "qop=\"auth\"\r\n",
	    n1, n1);
	assert_string_equal(b.data, want);
	td_digest_nonce_info info;
	assert_int_equal(
	    td_digest_nonce_check(d, n1, strlen(n1), "lab.test", 8, T0 + 2 * SEC, &info),
	    TD_DIGEST_NONCE_OK);
	assert_int_equal(info.issued_us, T0 + SEC);

	/* Proxy-Authenticate for 407, with stale and opaque. */
	td_buf_reset(&b);
	assert_int_equal(
	    td_digest_challenge(d, &b, TD_DIGEST_PROXY, "lab.test", 8, "xyz", true, T0 + SEC), 0);
	nonce_of(b.data, n1);
	snprintf(want, sizeof(want),
	    "Proxy-Authenticate: Digest realm=\"lab.test\", nonce=\"%s\", opaque=\"xyz\", "
	    "algorithm=SHA-256, qop=\"auth\", stale=true\r\n"
	    "Proxy-Authenticate: Digest realm=\"lab.test\", nonce=\"%s\", opaque=\"xyz\", "
	    "algorithm=MD5, qop=\"auth\", stale=true\r\n",
	    n1, n1);
	assert_string_equal(b.data, want);
	td_buf_free(&b);
	td_digest_free(d);
}

/* Only the enabled algorithms are offered. */
static void
test_one_algorithm(void **state)
{
	(void)state;
	static const struct {
		unsigned algs;
		const char *has, *hasnt;
	} cases[] = {
		{ TD_DIGEST_ALG_BIT(TD_DIGEST_MD5), "algorithm=MD5", "SHA-256" },
		{ TD_DIGEST_ALG_BIT(TD_DIGEST_SHA256), "algorithm=SHA-256", "MD5" },
	};
	for (size_t k = 0; k < TD_ARRAY_LEN(cases); k++) {
		td_digest *d = mk(cases[k].algs);
		td_buf b;
		td_buf_init(&b, 0);
		assert_int_equal(
		    td_digest_challenge(d, &b, TD_DIGEST_WWW, "r", 1, NULL, false, T0), 0);
		assert_non_null(strstr(b.data, cases[k].has));
		assert_null(strstr(b.data, cases[k].hasnt));
		assert_ptr_equal(strstr(b.data, "\r\n"), b.data + b.len - 2); /* a single line */
		td_buf_free(&b);
		td_digest_free(d);
	}
}

static void
test_rejects(void **state)
{
	(void)state;
	td_digest *d = mk(0);
	td_buf b;
	td_buf_init(&b, 0);
	/* Control characters cannot be escaped in a quoted-string: refused, nothing written. */
	assert_int_equal(
	    td_digest_challenge(d, &b, TD_DIGEST_WWW, "a\r\nb", 4, NULL, false, T0), TD_EINVAL);
	assert_int_equal(
	    td_digest_challenge(d, &b, TD_DIGEST_WWW, "a", 1, "x\ny", false, T0), TD_EINVAL);
	assert_int_equal(
	    td_digest_challenge(d, &b, TD_DIGEST_WWW, "a\0b", 3, NULL, false, T0), TD_EINVAL);
	assert_int_equal(
	    td_digest_challenge(d, &b, TD_DIGEST_WWW, NULL, 0, NULL, false, T0), TD_EINVAL);
	assert_int_equal(b.len, 0);
	assert_int_equal(
	    td_digest_challenge_value(&b, TD_DIGEST_MD5_SESS, "r", 1, "n", NULL, false), TD_EINVAL);
	assert_int_equal(
	    td_digest_challenge_value(&b, TD_DIGEST_MD5, "r", 1, NULL, NULL, false), TD_EINVAL);
	assert_int_equal(b.len, 0);
	td_buf_free(&b);

	/* A size-capped buffer that is too small: the sticky flag says so. */
	td_buf_init(&b, 64);
	assert_int_equal(
	    td_digest_challenge(d, &b, TD_DIGEST_WWW, "lab.test", 8, NULL, false, T0), 0);
	assert_true(td_buf_failed(&b));
	td_buf_free(&b);
	td_digest_free(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_value),
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_one_algorithm),
		cmocka_unit_test(test_rejects),
	};
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
