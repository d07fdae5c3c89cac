/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: HA1 and response computation against RFC test vectors and
 * hand-built SIP exchanges, each checked against an independent computation
 * with coreutils (the commands are in the comments).  Shorthand used below:
 *
 *   h() { printf '%s' "$2" | ${1}sum | cut -d' ' -f1; }
 */
#include <setjmp.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "digest/digest.h"

/* Parses hdr, computes the expected response with ha1 and returns it as hex. */
static void
response_hex(const char *hdr, const char *method, const char *ha1, char hex[TD_DIGEST_HEX_MAX])
{
	td_digest_creds c;
	td_digest_perr err;
	uint8_t out[TD_DIGEST_HASH_MAX];
	size_t n = 0;
	assert_int_equal(td_digest_parse(hdr, strlen(hdr), &c, &err), 0);
	assert_int_equal(
	    td_digest_expected(&c, method, strlen(method), ha1, strlen(ha1), out, &n), 0);
	assert_int_equal(n, td_digest_alg_hashlen(c.alg));
	sodium_bin2hex(hex, TD_DIGEST_HEX_MAX, out, n);
}

static void
ha1_is(td_digest_alg a, const char *u, const char *r, const char *p, const char *want)
{
	char hex[TD_DIGEST_HEX_MAX];
	assert_int_equal(td_digest_ha1(a, u, strlen(u), r, strlen(r), p, strlen(p), hex), 0);
	assert_string_equal(hex, want);
}

static void
test_ha1(void **state)
{
	(void)state;
	/* h md5 '1001:lab.test:s3cret' (the value voip.users stores for the lab user) */
	ha1_is(TD_DIGEST_MD5, "1001", "lab.test", "s3cret", "f9c319be8ef5f22bf989e5936b21ed23");
	/* h sha256 '1001:lab.test:s3cret' */
	ha1_is(TD_DIGEST_SHA256, "1001", "lab.test", "s3cret",
	    "d42ec1179956909ba5fdff07ab2b30edcb031b2fddbb40519498c04733c479d4");
	/* RFC 2617 §3.5: h md5 'Mufasa:testrealm@host.com:Circle Of Life' */
	ha1_is(TD_DIGEST_MD5, "Mufasa", "testrealm@host.com", "Circle Of Life",
	    "939e7578ed9e3c518a452acee763bce9");
	/* -sess algorithms: td_digest_ha1 gives the stored (base) HA1. */
	ha1_is(
	    TD_DIGEST_MD5_SESS, "1001", "lab.test", "s3cret", "f9c319be8ef5f22bf989e5936b21ed23");

	char hex[TD_DIGEST_HEX_MAX];
	assert_int_equal(
	    td_digest_ha1(TD_DIGEST_SHA512_256, "a", 1, "b", 1, "c", 1, hex), TD_EINVAL);
	assert_int_equal(
	    td_digest_ha1(TD_DIGEST_ALG_UNKNOWN, "a", 1, "b", 1, "c", 1, hex), TD_EINVAL);
}

/* RFC 2617 §3.5, MD5 with qop=auth. */
static void
test_rfc2617(void **state)
{
	(void)state;
	char hex[TD_DIGEST_HEX_MAX];
	response_hex("Digest username=\"Mufasa\", realm=\"testrealm@host.com\", "
	             "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"/dir/index.html\", "
	             "qop=auth, nc=00000001, cnonce=\"0a4f113b\", "
	             "response=\"6629fae49393a05397450978507c4ef1\", "
	             "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"",
	    "GET", "939e7578ed9e3c518a452acee763bce9", hex);
	assert_string_equal(hex, "6629fae49393a05397450978507c4ef1");
}

/* RFC 7616 §3.9.1, the MD5 and the SHA-256 responses for the same request. */
static void
test_rfc7616(void **state)
{
	(void)state;
	char hex[TD_DIGEST_HEX_MAX];
	/* h md5 'Mufasa:http-auth@example.org:Circle of Life' = 3d78807defe7de2157e2b0b6573a855f */
	response_hex("Digest username=\"Mufasa\", realm=\"http-auth@example.org\", "
	             "uri=\"/dir/index.html\", algorithm=MD5, "
	             "nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", nc=00000001, "
	             "cnonce=\"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ\", qop=auth, "
	             "response=\"8ca523f5e9506fed4657c9700eebdbec\", "
	             "opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"",
	    "GET", "3d78807defe7de2157e2b0b6573a855f", hex);
	assert_string_equal(hex, "8ca523f5e9506fed4657c9700eebdbec");

	/* h sha256 'Mufasa:http-auth@example.org:Circle of Life' */
	response_hex(
	    "Digest username=\"Mufasa\", realm=\"http-auth@example.org\", "
	    "uri=\"/dir/index.html\", algorithm=SHA-256, "
	    "nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", nc=00000001, "
	    "cnonce=\"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ\", qop=auth, "
	    "response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\", "
	    "opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"",
	    "GET", "7987c64c30e25f1b74be53f966b49b90f2808aa92faf9a00262392d7b4794232", hex);
	assert_string_equal(
	    hex, "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
}

/*
 * A SIP exchange built by hand: 1001@example.com, password "Tandem-2024!",
 * nonce N=OpaqueNonceFromAnotherServer0001, cnonce C=0a1b2c3d.
 *
 *   HA1=$(h md5 '1001:example.com:Tandem-2024!')   = 83f71d1062a3eec872b1b7d164f04c59
 *   HA2=$(h md5 'REGISTER:sip:example.com')        = 0264b00abe5b31d87fb22979689b883f
 *   h md5 "$HA1:$N:00000002:$C:auth:$HA2"          = d2187904118437869e9e078f3355733e
 *   h md5 "$HA1:$N:00000003:$C:auth:$(h md5 'INVITE:sip:1002@example.com')"
 *                                                  = cf66bc669ca264f0a0e560be50aa6bb1
 *   h md5 "$HA1:$N:$HA2"  (RFC 2069, no qop)       = 5c5c50b189c1ba8c9f361ec2de86af91
 *   S=$(h md5 "$HA1:$N:$C"); h md5 "$S:$N:00000002:$C:auth:$HA2"  (MD5-sess)
 *                                                  = 7b10958690a941fc78d6b103c5c68587
 * and the same with sha256 in place of md5.
 */
static const struct sip_case {
	const char *name;
	const char *alg; /* algorithm= text, "" for none */
	const char *method, *uri, *qop_nc; /* qop_nc: ", qop=auth, nc=..." or "" */
	const char *ha1, *want;
} sip_cases[] = {
	{ "md5 register", "MD5", "REGISTER", "sip:example.com", ", qop=auth, nc=00000002",
	    "83f71d1062a3eec872b1b7d164f04c59", "d2187904118437869e9e078f3355733e" },
	{ "md5 default alg", "", "REGISTER", "sip:example.com", ", qop=auth, nc=00000002",
	    "83f71d1062a3eec872b1b7d164f04c59", "d2187904118437869e9e078f3355733e" },
	{ "md5 upper-case HA1", "md5", "REGISTER", "sip:example.com", ", qop=auth, nc=00000002",
	    "83F71D1062A3EEC872B1B7D164F04C59", "d2187904118437869e9e078f3355733e" },
	{ "md5 invite", "MD5", "INVITE", "sip:1002@example.com", ", qop=auth, nc=00000003",
	    "83f71d1062a3eec872b1b7d164f04c59", "cf66bc669ca264f0a0e560be50aa6bb1" },
	{ "md5 rfc2069", "MD5", "REGISTER", "sip:example.com", "",
	    "83f71d1062a3eec872b1b7d164f04c59", "5c5c50b189c1ba8c9f361ec2de86af91" },
	{ "md5-sess", "MD5-sess", "REGISTER", "sip:example.com", ", qop=auth, nc=00000002",
	    "83f71d1062a3eec872b1b7d164f04c59", "7b10958690a941fc78d6b103c5c68587" },
	{ "sha256 register", "SHA-256", "REGISTER", "sip:example.com", ", qop=auth, nc=00000002",
	    "a6b45105f605767cd8bd276d813e8a171a2a16a320ace3cb7aaee29c189519dc",
	    "195c0d4a2b2dff1168196ba7d5e2c95c70e22d265cfb46a49cc89b6c9f866cce" },
	{ "sha256 invite", "sha-256", "INVITE", "sip:1002@example.com", ", qop=auth, nc=00000003",
	    "a6b45105f605767cd8bd276d813e8a171a2a16a320ace3cb7aaee29c189519dc",
	    "54bfa1e01b13bd48d1304858a1648203e033d070049043e5d637e57bba4be9be" },
	{ "sha256 rfc2069", "SHA-256", "REGISTER", "sip:example.com", "",
	    "a6b45105f605767cd8bd276d813e8a171a2a16a320ace3cb7aaee29c189519dc",
	    "8e5e00ae652512ad6a45f53818d82c0d57dc44400737ab48028e4b997ab42cfd" },
	{ "sha256-sess", "SHA-256-sess", "REGISTER", "sip:example.com", ", qop=auth, nc=00000002",
	    "a6b45105f605767cd8bd276d813e8a171a2a16a320ace3cb7aaee29c189519dc",
	    "a4059ec80a2446049e3b632424fb624dd78bd1e9e1d982af57d09d7ea13d13ae" },
};

static void
test_sip_exchange(void **state)
{
	(void)state;
	for (size_t k = 0; k < TD_ARRAY_LEN(sip_cases); k++) {
		const struct sip_case *t = &sip_cases[k];
		char hdr[1024], hex[TD_DIGEST_HEX_MAX];
		snprintf(hdr, sizeof(hdr),
		    "Digest "
		    "username=\"1001\",realm=\"example.com\",nonce="
		    "\"OpaqueNonceFromAnotherServer0001\","
		    "uri=\"%s\",response=\"00\",cnonce=\"0a1b2c3d\"%s%s%s",
		    t->uri, t->qop_nc, *t->alg ? ",algorithm=" : "", t->alg);
		print_message("case %s\n", t->name);
		response_hex(hdr, t->method, t->ha1, hex);
		assert_string_equal(hex, t->want);
	}
}

/* Escaped values are hashed unescaped: username="we\"ird\\user" is we"ird\user. */
static void
test_escaped_username(void **state)
{
	(void)state;
	/* h md5 'we"ird\user:example.com:pw' */
	ha1_is(TD_DIGEST_MD5, "we\"ird\\user", "example.com", "pw",
	    "567a29ac679e0427f949ec899a7328d4");
	const char *hdr
	    = "Digest username=\"we\\\"ird\\\\user\", realm=\"example.com\", nonce=\"n\", "
	      "uri=\"sip:example.com\", response=\"x\"";
	td_digest_creds c;
	assert_int_equal(td_digest_parse(hdr, strlen(hdr), &c, NULL), 0);
	char user[64];
	size_t n = 0;
	assert_int_equal(td_digest_val_copy(&c.username, user, sizeof(user), &n), 0);
	assert_string_equal(user, "we\"ird\\user");
	assert_int_equal(n, 11);
}

static void
test_expected_rejects(void **state)
{
	(void)state;
	const char *base = "Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"sip:r\", "
	                   "response=\"x\", cnonce=\"c\", nc=00000001, ";
	static const struct {
		const char *tail, *ha1;
	} bad[] = {
		{ "qop=auth-int", "83f71d1062a3eec872b1b7d164f04c59" }, /* not implemented */
		{ "qop=foo", "83f71d1062a3eec872b1b7d164f04c59" }, /* unknown qop */
		{ "qop=auth, algorithm=SHA-512-256", "83f71d1062a3eec872b1b7d164f04c59" },
		{ "qop=auth, algorithm=XYZ", "83f71d1062a3eec872b1b7d164f04c59" },
		{ "qop=auth", "83f71d1062a3eec872b1b7d164f04c5" }, /* short HA1 */
		{ "qop=auth", "83f71d1062a3eec872b1b7d164f04c5g" }, /* not hex */
		{ "qop=auth, algorithm=SHA-256",
		    "83f71d1062a3eec872b1b7d164f04c59" }, /* MD5-sized */
	};
	for (size_t k = 0; k < TD_ARRAY_LEN(bad); k++) {
		char hdr[512];
		snprintf(hdr, sizeof(hdr), "%s%s", base, bad[k].tail);
		td_digest_creds c;
		uint8_t out[TD_DIGEST_HASH_MAX];
		size_t n = 0;
		assert_int_equal(td_digest_parse(hdr, strlen(hdr), &c, NULL), 0);
		assert_int_equal(
		    td_digest_expected(&c, "REGISTER", 8, bad[k].ha1, strlen(bad[k].ha1), out, &n),
		    TD_EINVAL);
	}
}

static void
test_alg_names(void **state)
{
	(void)state;
	assert_string_equal(td_digest_alg_name(TD_DIGEST_SHA256), "SHA-256");
	assert_string_equal(td_digest_alg_name(TD_DIGEST_MD5_SESS), "MD5-sess");
	assert_string_equal(td_digest_alg_name(TD_DIGEST_ALG_UNKNOWN), "unknown");
	assert_int_equal(td_digest_alg_base(TD_DIGEST_SHA256_SESS), TD_DIGEST_SHA256);
	assert_int_equal(td_digest_alg_hashlen(TD_DIGEST_MD5), 16);
	assert_int_equal(td_digest_alg_hashlen(TD_DIGEST_SHA256_SESS), 32);
	assert_int_equal(td_digest_alg_hashlen(TD_DIGEST_SHA512_256), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ha1),
		cmocka_unit_test(test_rfc2617),
		cmocka_unit_test(test_rfc7616),
		cmocka_unit_test(test_sip_exchange),
		cmocka_unit_test(test_escaped_username),
		cmocka_unit_test(test_expected_rejects),
		cmocka_unit_test(test_alg_names),
	};
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
