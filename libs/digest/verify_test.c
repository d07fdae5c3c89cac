/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: td_digest_verify end to end.  A small "phone" builds
 * credentials from a challenge the way a UA does (its response computed
 * with td_digest_expected, which hash_test checks against RFC vectors and
 * md5sum/sha256sum), and the "router" parses and verifies them.
 */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "digest/digest.h"

#define SEC 1000000LL
#define T0 (1700000000LL * SEC)
#define REALM "example.com"
#define RLEN (sizeof(REALM) - 1)

static const uint8_t secret[TD_DIGEST_SECRET_LEN] = { 0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
	13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31 };

/* What a phone puts in its credentials; NULL text fields are left out. */
typedef struct phone {
	const char *user, *pass, *realm, *method, *uri, *cnonce;
	const char *alg; /* algorithm= text, NULL: none (MD5) */
	const char *qop; /* qop= text, NULL: none (RFC 2069 form) */
	const char *extra; /* appended verbatim, e.g. ", userhash=true" */
	uint32_t nc;
} phone;

static phone
std_phone(void)
{
	phone p = { "1001", "Tandem-2024!", REALM, "REGISTER", "sip:example.com", "0a1b2c3d", "MD5",
		"auth", "", 1 };
	return (p);
}

static td_digest_alg
alg_of(const phone *p)
{
	if (p->alg == NULL) {
		return (TD_DIGEST_MD5);
	}
	return (strcmp(p->alg, "SHA-256") == 0 ? TD_DIGEST_SHA256 : TD_DIGEST_MD5);
}

static void
build(const phone *p, const char *nonce, const char *response, char *hdr, size_t cap)
{
	char tail[256] = "";
	if (p->qop != NULL) {
		snprintf(tail, sizeof(tail), ", qop=%s, nc=%08x, cnonce=\"%s\"", p->qop, p->nc,
		    p->cnonce);
	}
	snprintf(hdr, cap,
	    "Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", uri=\"%s\", "
	    "response=\"%s\"%s%s%s%s",
	    p->user, p->realm, nonce, p->uri, response, tail, p->alg ? ", algorithm=" : "",
	    p->alg ? p->alg : "", p->extra);
}

/* The phone answers a challenge's nonce: credentials with the right response. */
static void
answer(const phone *p, const char *nonce, char *hdr, size_t cap)
{
	char ha1[TD_DIGEST_HEX_MAX], hex[TD_DIGEST_HEX_MAX];
	td_digest_alg a = td_digest_alg_base(alg_of(p));
	assert_int_equal(td_digest_ha1(a, p->user, strlen(p->user), p->realm, strlen(p->realm),
	                     p->pass, strlen(p->pass), ha1),
	    0);
	build(p, nonce, "0", hdr, cap);
	td_digest_creds c;
	uint8_t out[TD_DIGEST_HASH_MAX];
	size_t n = 0;
	assert_int_equal(td_digest_parse(hdr, strlen(hdr), &c, NULL), 0);
	if (td_digest_expected(&c, p->method, strlen(p->method), ha1, strlen(ha1), out, &n) != 0) {
		memset(out, 0xab, sizeof(out)); /* cannot compute (e.g. auth-int): send garbage */
		n = td_digest_alg_hashlen(a);
	}
	sodium_bin2hex(hex, sizeof(hex), out, n);
	build(p, nonce, hex, hdr, cap);
}

/* The router: HA1 from "voip.users" (user 1001 or 1002, password Tandem-2024!/other). */
static const char *
lookup_ha1(const char *user, td_digest_alg a)
{
	static char ha1[TD_DIGEST_HEX_MAX];
	const char *pass = strcmp(user, "1001") == 0 ? "Tandem-2024!"
	    : strcmp(user, "1002") == 0              ? "other-secret"
	                                             : NULL;
	if (pass == NULL || td_digest_alg_hashlen(a) == 0) {
		return (NULL); /* no such user, or no HA1 stored for that algorithm */
	}
	assert_int_equal(td_digest_ha1(td_digest_alg_base(a), user, strlen(user), REALM, RLEN, pass,
	                     strlen(pass), ha1),
	    0);
	return (ha1);
}

static td_digest_result
route(td_digest *d, const char *hdr, const char *method, int64_t now)
{
	td_digest_creds c;
	char user[64];
	size_t ulen = 0;
	assert_int_equal(td_digest_parse(hdr, strlen(hdr), &c, NULL), 0);
	assert_int_equal(td_digest_val_copy(&c.username, user, sizeof(user), &ulen), 0);
	const char *ha1 = lookup_ha1(user, c.alg);
	return (td_digest_verify(
	    d, &c, method, strlen(method), REALM, RLEN, ha1, ha1 ? strlen(ha1) : 0, now));
}

static td_digest *
mk_cfg(td_digest_cfg cfg, int64_t created)
{
	cfg.secret = secret;
	td_digest *d = NULL;
	assert_int_equal(td_digest_new(&cfg, created, &d), 0);
	return (d);
}

static td_digest *
mk(void)
{
	td_digest_cfg cfg = { 0 };
	cfg.lifetime_s = 300;
	return (mk_cfg(cfg, T0));
}

/* Issues a nonce the way a 401 does. */
static void
nonce_at(td_digest *d, int64_t t, char n[TD_DIGEST_NONCE_LEN + 1])
{
	td_digest_nonce_make(d, REALM, RLEN, t, n);
}

static void
test_register_ok_then_replay(void **state)
{
	(void)state;
	td_digest *d = mk();
	char n[TD_DIGEST_NONCE_LEN + 1], hdr[1024];
	int64_t t = T0 + SEC;
	for (int sha = 0; sha < 2; sha++) {
		phone p = std_phone();
		p.alg = sha ? "SHA-256" : "MD5";
		nonce_at(d, t, n);
		answer(&p, n, hdr, sizeof(hdr));
		assert_int_equal(route(d, hdr, "REGISTER", t + SEC), TD_DIGEST_OK);
		/* The same request again: a replay. */
		assert_int_equal(route(d, hdr, "REGISTER", t + SEC), TD_DIGEST_REPLAY);
		/* The phone re-registers with the same nonce and the next nc. */
		p.nc = 2;
		answer(&p, n, hdr, sizeof(hdr));
		assert_int_equal(route(d, hdr, "REGISTER", t + 60 * SEC), TD_DIGEST_OK);
		/* An INVITE overtaken by... */
		p.nc = 4;
		p.method = "INVITE";
		p.uri = "sip:1002@example.com";
		answer(&p, n, hdr, sizeof(hdr));
		assert_int_equal(route(d, hdr, "INVITE", t + 61 * SEC), TD_DIGEST_OK);
		/* ...a REGISTER with nc 3: accepted once. */
		p = std_phone();
		p.alg = sha ? "SHA-256" : "MD5";
		p.nc = 3;
		answer(&p, n, hdr, sizeof(hdr));
		assert_int_equal(route(d, hdr, "REGISTER", t + 61 * SEC), TD_DIGEST_OK);
		assert_int_equal(route(d, hdr, "REGISTER", t + 61 * SEC), TD_DIGEST_REPLAY);
	}
	td_digest_free(d);
}

/* Wrong password, user, realm, uri, method, and tampered fields: never OK. */
static void
test_wrong_things(void **state)
{
	(void)state;
	td_digest *d = mk();
	char n[TD_DIGEST_NONCE_LEN + 1], hdr[1024];
	int64_t t = T0 + SEC;
	nonce_at(d, t, n);

	static const struct {
		const char *what;
		phone p;
		const char *method; /* the request's real method */
		td_digest_result want;
	} cases[] = {
		{ "wrong password",
		    { "1001", "Tandem-2025!", REALM, "REGISTER", "sip:example.com", "c", "MD5",
		        "auth", "", 1 },
		    "REGISTER", TD_DIGEST_FAILED },
		{ "1001's password as 1002",
		    { "1002", "Tandem-2024!", REALM, "REGISTER", "sip:example.com", "c", "MD5",
		        "auth", "", 1 },
		    "REGISTER", TD_DIGEST_FAILED },
		{ "unknown user",
		    { "9999", "Tandem-2024!", REALM, "REGISTER", "sip:example.com", "c", "MD5",
		        "auth", "", 1 },
		    "REGISTER", TD_DIGEST_FAILED },
		{ "other realm",
		    { "1001", "Tandem-2024!", "example.org", "REGISTER", "sip:example.com", "c",
		        "MD5", "auth", "", 1 },
		    "REGISTER", TD_DIGEST_WRONG_REALM },
		{ "realm differs in case",
		    { "1001", "Tandem-2024!", "Example.com", "REGISTER", "sip:example.com", "c",
		        "MD5", "auth", "", 1 },
		    "REGISTER", TD_DIGEST_WRONG_REALM },
		{ "response for INVITE used on REGISTER",
		    { "1001", "Tandem-2024!", REALM, "INVITE", "sip:example.com", "c", "MD5",
		        "auth", "", 1 },
		    "REGISTER", TD_DIGEST_FAILED },
		{ "sha-256 wrong password",
		    { "1001", "x", REALM, "REGISTER", "sip:example.com", "c", "SHA-256", "auth", "",
		        1 },
		    "REGISTER", TD_DIGEST_FAILED },
	};
	for (size_t k = 0; k < TD_ARRAY_LEN(cases); k++) {
		print_message("case %s\n", cases[k].what);
		answer(&cases[k].p, n, hdr, sizeof(hdr));
		assert_int_equal(route(d, hdr, cases[k].method, t + SEC), cases[k].want);
	}

	/* Tampering with any hashed field of a good request breaks it. */
	phone p = std_phone();
	p.nc = 7;
	answer(&p, n, hdr, sizeof(hdr));
	static const struct {
		const char *from, *to;
	} edits[] = {
		{ "uri=\"sip:example.com\"", "uri=\"sip:evil.com\"" },
		{ "cnonce=\"0a1b2c3d\"", "cnonce=\"0a1b2c3e\"" },
		{ "nc=00000007", "nc=00000008" },
		{ "nc=00000007", "nc=00000107" },
		{ "qop=auth", "qop=AUTH" },
		{ "username=\"1001\"", "username=\"1002\"" },
	};
	for (size_t k = 0; k < TD_ARRAY_LEN(edits); k++) {
		char t2[1024];
		const char *at = strstr(hdr, edits[k].from);
		assert_non_null(at);
		snprintf(t2, sizeof(t2), "%.*s%s%s", (int)(at - hdr), hdr, edits[k].to,
		    at + strlen(edits[k].from));
		print_message("edit %s\n", edits[k].to);
		assert_int_equal(route(d, t2, "REGISTER", t + SEC), TD_DIGEST_FAILED);
	}
	/* The response itself: a flipped digit, wrong length, not hex, empty. */
	char *r = strstr(hdr, "response=\"") + strlen("response=\"");
	char saved[40];
	memcpy(saved, r, 32);
	r[0] = r[0] == '0' ? '1' : '0';
	assert_int_equal(route(d, hdr, "REGISTER", t + SEC), TD_DIGEST_FAILED);
	memcpy(r, saved, 32);
	for (int k = 0; k < 32; k++) { /* upper-case hex is the same response */
		if (r[k] >= 'a' && r[k] <= 'f') {
			r[k] = (char)(r[k] - 'a' + 'A');
		}
	}
	assert_int_equal(route(d, hdr, "REGISTER", t + SEC), TD_DIGEST_OK);
	assert_int_equal(route(d, hdr, "REGISTER", t + SEC), TD_DIGEST_REPLAY);
	static const char *const bad_resp[] = { "", "00", "zz", "6629fae49393a05397450978507c4ef",
		"6629fae49393a05397450978507c4ef1aa", "6629fae49393a05397450978507c4ezz" };
	for (size_t k = 0; k < TD_ARRAY_LEN(bad_resp); k++) {
		p.nc = 20 + (uint32_t)k;
		answer(&p, n, hdr, sizeof(hdr));
		char t2[1024];
		char *at = strstr(hdr, "response=\"") + strlen("response=\"");
		snprintf(t2, sizeof(t2), "%.*s%s%s", (int)(at - hdr), hdr, bad_resp[k], at + 32);
		assert_int_equal(route(d, t2, "REGISTER", t + SEC), TD_DIGEST_FAILED);
	}
	/* The failures above consumed no nc: the right request with nc 8 still works. */
	p.nc = 8;
	answer(&p, n, hdr, sizeof(hdr));
	assert_int_equal(route(d, hdr, "REGISTER", t + SEC), TD_DIGEST_OK);
	td_digest_free(d);
}

/* Every digit of the response counts, for both algorithms. */
static void
test_response_every_digit(void **state)
{
	(void)state;
	td_digest *d = mk();
	char n[TD_DIGEST_NONCE_LEN + 1], hdr[1024];
	nonce_at(d, T0 + SEC, n);
	for (int sha = 0; sha < 2; sha++) {
		phone p = std_phone();
		p.alg = sha ? "SHA-256" : "MD5";
		p.nc = 1;
		answer(&p, n, hdr, sizeof(hdr));
		char *r = strstr(hdr, "response=\"") + strlen("response=\"");
		size_t hexlen = sha ? 64 : 32;
		for (size_t k = 0; k < hexlen; k++) {
			char saved = r[k];
			r[k] = saved == '0' ? '1' : '0';
			assert_int_equal(route(d, hdr, "REGISTER", T0 + 2 * SEC), TD_DIGEST_FAILED);
			r[k] = saved;
		}
		assert_int_equal(route(d, hdr, "REGISTER", T0 + 2 * SEC), TD_DIGEST_OK);
		nonce_at(d, T0 + SEC, n); /* a new nonce for the next algorithm */
	}
	td_digest_free(d);
}

/* HA1 problems on the router's side fail closed. */
static void
test_ha1_mismatch(void **state)
{
	(void)state;
	td_digest *d = mk();
	char n[TD_DIGEST_NONCE_LEN + 1], hdr[1024];
	nonce_at(d, T0 + SEC, n);
	phone p = std_phone();
	p.alg = "SHA-256";
	answer(&p, n, hdr, sizeof(hdr));
	td_digest_creds c;
	assert_int_equal(td_digest_parse(hdr, strlen(hdr), &c, NULL), 0);
	const char *md5 = "83f71d1062a3eec872b1b7d164f04c59"; /* 1001's MD5 HA1 */
	assert_int_equal(td_digest_verify(d, &c, "REGISTER", 8, REALM, RLEN, md5, 32, T0 + 2 * SEC),
	    TD_DIGEST_FAILED);
	assert_int_equal(td_digest_verify(d, &c, "REGISTER", 8, REALM, RLEN, NULL, 0, T0 + 2 * SEC),
	    TD_DIGEST_FAILED);
	/*
	 * An unknown user is checked against a dummy HA1 of zeros, for equal cost:
	 * a response computed from that dummy must still fail.
	 */
	char n2[TD_DIGEST_NONCE_LEN + 1], hdr2[1024];
	nonce_at(d, T0 + SEC, n2);
	build(&p, n2, "0", hdr2, sizeof(hdr2));
	td_digest_creds c2;
	uint8_t out[TD_DIGEST_HASH_MAX];
	size_t olen = 0;
	char hex[TD_DIGEST_HEX_MAX];
	const char *zeros = "0000000000000000000000000000000000000000000000000000000000000000";
	assert_int_equal(td_digest_parse(hdr2, strlen(hdr2), &c2, NULL), 0);
	assert_int_equal(td_digest_expected(&c2, "REGISTER", 8, zeros, 64, out, &olen), 0);
	sodium_bin2hex(hex, sizeof(hex), out, olen);
	build(&p, n2, hex, hdr2, sizeof(hdr2));
	assert_int_equal(td_digest_parse(hdr2, strlen(hdr2), &c2, NULL), 0);
	assert_int_equal(
	    td_digest_verify(d, &c2, "REGISTER", 8, REALM, RLEN, NULL, 0, T0 + 2 * SEC),
	    TD_DIGEST_FAILED);
	/* (and with the zeros passed as if stored, the same response would pass) */
	assert_int_equal(
	    td_digest_verify(d, &c2, "REGISTER", 8, REALM, RLEN, zeros, 64, T0 + 2 * SEC),
	    TD_DIGEST_OK);

	const char *sha = "a6b45105f605767cd8bd276d813e8a171a2a16a320ace3cb7aaee29c189519dc";
	assert_int_equal(td_digest_verify(d, &c, "REGISTER", 8, REALM, RLEN, sha, 64, T0 + 2 * SEC),
	    TD_DIGEST_OK);
	td_digest_free(d);
}

/*
 * Expiry: the right password on an old nonce is STALE (the router answers
 * stale=true and the phone retries silently); the wrong password on an old
 * nonce is FAILED, never STALE.  The retry with the new nonce succeeds.
 */
static void
test_stale_flow(void **state)
{
	(void)state;
	td_digest *d = mk();
	char n[TD_DIGEST_NONCE_LEN + 1], hdr[1024];
	int64_t t = T0 + SEC;
	nonce_at(d, t, n);
	phone p = std_phone();
	answer(&p, n, hdr, sizeof(hdr));
	int64_t late = t + 300 * SEC + 1;
	assert_int_equal(route(d, hdr, "REGISTER", late), TD_DIGEST_STALE);
	phone wrong = std_phone();
	wrong.pass = "guess";
	answer(&wrong, n, hdr, sizeof(hdr));
	assert_int_equal(route(d, hdr, "REGISTER", late), TD_DIGEST_FAILED);

	/* The 401 with stale=true carries a new nonce; the phone answers it. */
	td_buf b;
	td_buf_init(&b, 0);
	assert_int_equal(
	    td_digest_challenge(d, &b, TD_DIGEST_WWW, REALM, RLEN, NULL, true, late), 0);
	assert_false(td_buf_failed(&b));
	assert_non_null(strstr(b.data, "stale=true"));
	const char *np = strstr(b.data, "nonce=\"") + strlen("nonce=\"");
	char n2[TD_DIGEST_NONCE_LEN + 1];
	memcpy(n2, np, TD_DIGEST_NONCE_LEN);
	n2[TD_DIGEST_NONCE_LEN] = '\0';
	td_buf_free(&b);
	p.nc = 1;
	answer(&p, n2, hdr, sizeof(hdr));
	assert_int_equal(route(d, hdr, "REGISTER", late + SEC), TD_DIGEST_OK);
	td_digest_free(d);
}

static void
test_bad_nonce(void **state)
{
	(void)state;
	td_digest *d = mk();
	static const uint8_t other[TD_DIGEST_SECRET_LEN] = { 9 };
	td_digest_cfg ocfg = { 0 };
	ocfg.secret = other;
	td_digest *o = NULL;
	assert_int_equal(td_digest_new(&ocfg, T0, &o), 0);
	char n[TD_DIGEST_NONCE_LEN + 1], hdr[1024];
	phone p = std_phone();

	/* A nonce of another server (other secret), with the right password. */
	td_digest_nonce_make(o, REALM, RLEN, T0 + SEC, n);
	answer(&p, n, hdr, sizeof(hdr));
	assert_int_equal(route(d, hdr, "REGISTER", T0 + 2 * SEC), TD_DIGEST_BAD_NONCE);
	/* Made up, and an RFC example's. */
	answer(&p, "dcd98b7102dd2f0e8b11d0f600bfb0c093", hdr, sizeof(hdr));
	assert_int_equal(route(d, hdr, "REGISTER", T0 + 2 * SEC), TD_DIGEST_BAD_NONCE);
	answer(&p, "", hdr, sizeof(hdr));
	assert_int_equal(route(d, hdr, "REGISTER", T0 + 2 * SEC), TD_DIGEST_BAD_NONCE);
	/* Ours, with one character changed. */
	nonce_at(d, T0 + SEC, n);
	n[10] = n[10] == 'x' ? 'y' : 'x';
	answer(&p, n, hdr, sizeof(hdr));
	assert_int_equal(route(d, hdr, "REGISTER", T0 + 2 * SEC), TD_DIGEST_BAD_NONCE);
	/* A wrong password is FAILED whatever the nonce: nonce verdicts need the password. */
	phone wrong = std_phone();
	wrong.pass = "guess";
	answer(&wrong, n, hdr, sizeof(hdr));
	assert_int_equal(route(d, hdr, "REGISTER", T0 + 2 * SEC), TD_DIGEST_FAILED);
	answer(&wrong, "dcd98b7102dd2f0e8b11d0f600bfb0c093", hdr, sizeof(hdr));
	assert_int_equal(route(d, hdr, "REGISTER", T0 + 2 * SEC), TD_DIGEST_FAILED);
	/* Ours but quoted with an escape: refused rather than unescaped. */
	nonce_at(d, T0 + SEC, n);
	answer(&p, n, hdr, sizeof(hdr));
	char t2[1024];
	char *at = strstr(hdr, n);
	snprintf(t2, sizeof(t2), "%.*s\\%s", (int)(at - hdr), hdr, at);
	assert_int_equal(route(d, t2, "REGISTER", T0 + 2 * SEC), TD_DIGEST_BAD_NONCE);
	td_digest_free(o);
	td_digest_free(d);
}

/*
 * Two nodes share the secret.  A nonce from node 1 works on node 2 (so a
 * failover needs no new challenge), is replay-protected per node, and is
 * answered stale on a node that was started after it was issued.
 */
static void
test_two_nodes(void **state)
{
	(void)state;
	td_digest_cfg c1 = { 0 }, c2 = { 0 };
	c1.node_id = 1;
	c2.node_id = 2;
	td_digest *n1 = mk_cfg(c1, T0);
	td_digest *n2 = mk_cfg(c2, T0);
	char n[TD_DIGEST_NONCE_LEN + 1], hdr[1024];
	phone p = std_phone();
	nonce_at(n1, T0 + SEC, n);
	answer(&p, n, hdr, sizeof(hdr));
	assert_int_equal(route(n1, hdr, "REGISTER", T0 + 2 * SEC), TD_DIGEST_OK);
	assert_int_equal(route(n1, hdr, "REGISTER", T0 + 2 * SEC), TD_DIGEST_REPLAY);
	/* The documented consequence of per-node trackers: node 2 accepts it once. */
	assert_int_equal(route(n2, hdr, "REGISTER", T0 + 2 * SEC), TD_DIGEST_OK);
	assert_int_equal(route(n2, hdr, "REGISTER", T0 + 2 * SEC), TD_DIGEST_REPLAY);
	/* After a failover the phone goes on with its nonce on node 2. */
	p.nc = 2;
	answer(&p, n, hdr, sizeof(hdr));
	assert_int_equal(route(n2, hdr, "REGISTER", T0 + 3 * SEC), TD_DIGEST_OK);

	/* A restarted node 1 cannot know what its old self saw: stale, not OK. */
	td_digest_free(n1);
	n1 = mk_cfg(c1, T0 + 10 * SEC);
	p.nc = 1;
	answer(&p, n, hdr, sizeof(hdr));
	assert_int_equal(route(n1, hdr, "REGISTER", T0 + 11 * SEC), TD_DIGEST_STALE);
	p.nc = 3;
	answer(&p, n, hdr, sizeof(hdr));
	assert_int_equal(route(n1, hdr, "REGISTER", T0 + 11 * SEC), TD_DIGEST_STALE);

	/* strict_node: the peer's nonces are stale (one extra round trip, no cross-node replay). */
	c2.strict_node = true;
	td_digest *n2s = mk_cfg(c2, T0);
	nonce_at(n1, T0 + 12 * SEC, n);
	p.nc = 1;
	answer(&p, n, hdr, sizeof(hdr));
	assert_int_equal(route(n2s, hdr, "REGISTER", T0 + 13 * SEC), TD_DIGEST_STALE);
	assert_int_equal(route(n1, hdr, "REGISTER", T0 + 13 * SEC), TD_DIGEST_OK);
	td_digest_free(n1);
	td_digest_free(n2);
	td_digest_free(n2s);
}

/* What is not offered is not accepted. */
static void
test_policy(void **state)
{
	(void)state;
	td_digest *d = mk();
	td_digest_cfg md5only = { 0 };
	md5only.algs = TD_DIGEST_ALG_BIT(TD_DIGEST_MD5);
	td_digest *m = mk_cfg(md5only, T0);
	td_digest_cfg legacy = { 0 };
	legacy.allow_rfc2069 = true;
	td_digest *l = mk_cfg(legacy, T0);
	char n[TD_DIGEST_NONCE_LEN + 1], hdr[1024];
	int64_t t = T0 + SEC;

	static const struct {
		const char *alg, *qop, *extra;
		td_digest_result d, m, l; /* default, MD5-only, RFC 2069 allowed */
	} cases[] = {
		{ "MD5", "auth", "", TD_DIGEST_OK, TD_DIGEST_OK, TD_DIGEST_OK },
		{ NULL, "auth", "", TD_DIGEST_OK, TD_DIGEST_OK, TD_DIGEST_OK },
		{ "SHA-256", "auth", "", TD_DIGEST_OK, TD_DIGEST_UNSUPPORTED, TD_DIGEST_OK },
		{ "MD5-sess", "auth", "", TD_DIGEST_UNSUPPORTED, TD_DIGEST_UNSUPPORTED,
		    TD_DIGEST_UNSUPPORTED },
		{ "SHA-256-sess", "auth", "", TD_DIGEST_UNSUPPORTED, TD_DIGEST_UNSUPPORTED,
		    TD_DIGEST_UNSUPPORTED },
		{ "SHA-512-256", "auth", "", TD_DIGEST_UNSUPPORTED, TD_DIGEST_UNSUPPORTED,
		    TD_DIGEST_UNSUPPORTED },
		{ "SHA3", "auth", "", TD_DIGEST_UNSUPPORTED, TD_DIGEST_UNSUPPORTED,
		    TD_DIGEST_UNSUPPORTED },
		{ "MD5", "auth-int", "", TD_DIGEST_UNSUPPORTED, TD_DIGEST_UNSUPPORTED,
		    TD_DIGEST_UNSUPPORTED },
		{ "MD5", "token", "", TD_DIGEST_UNSUPPORTED, TD_DIGEST_UNSUPPORTED,
		    TD_DIGEST_UNSUPPORTED },
		{ "MD5", NULL, "", TD_DIGEST_UNSUPPORTED, TD_DIGEST_UNSUPPORTED, TD_DIGEST_OK },
		{ "MD5", "auth", ", userhash=true", TD_DIGEST_UNSUPPORTED, TD_DIGEST_UNSUPPORTED,
		    TD_DIGEST_UNSUPPORTED },
	};
	for (size_t k = 0; k < TD_ARRAY_LEN(cases); k++) {
		phone p = std_phone();
		p.alg = cases[k].alg;
		p.qop = cases[k].qop;
		p.extra = cases[k].extra;
		print_message(
		    "case %s %s%s\n", p.alg ? p.alg : "(none)", p.qop ? p.qop : "(none)", p.extra);
		nonce_at(d, t, n);
		answer(&p, n, hdr, sizeof(hdr));
		assert_int_equal(route(d, hdr, "REGISTER", t + SEC), cases[k].d);
		assert_int_equal(route(m, hdr, "REGISTER", t + SEC), cases[k].m);
		assert_int_equal(route(l, hdr, "REGISTER", t + SEC), cases[k].l);
	}
	/* RFC 2069 credentials, when allowed, are good once per nonce. */
	phone p = std_phone();
	p.qop = NULL;
	nonce_at(l, t, n);
	answer(&p, n, hdr, sizeof(hdr));
	assert_int_equal(route(l, hdr, "REGISTER", t + SEC), TD_DIGEST_OK);
	assert_int_equal(route(l, hdr, "REGISTER", t + SEC), TD_DIGEST_REPLAY);
	/* ...and a qop=auth nc=1 for the same nonce counts as that same use. */
	p.qop = "auth";
	answer(&p, n, hdr, sizeof(hdr));
	assert_int_equal(route(l, hdr, "REGISTER", t + SEC), TD_DIGEST_REPLAY);
	td_digest_free(d);
	td_digest_free(m);
	td_digest_free(l);
}

/* ---- concurrency --------------------------------------------------------- */

#define THREADS 4
#define ROUNDS 6000

typedef struct race {
	td_digest *d;
	char (*hdrs)[512]; /* one request per round, all threads present it */
	atomic_int arrived;
	atomic_int ok[ROUNDS];
	atomic_int replay[ROUNDS];
} race;

static void *
racer(void *arg)
{
	race *rc = arg;
	for (int round = 0; round < ROUNDS; round++) {
		atomic_fetch_add(&rc->arrived, 1);
		while (atomic_load(&rc->arrived) < THREADS * (round + 1)) {
			sched_yield();
		}
		td_digest_creds c;
		const char *h = rc->hdrs[round];
		if (td_digest_parse(h, strlen(h), &c, NULL) != 0) {
			continue;
		}
		td_digest_result r = td_digest_verify(rc->d, &c, "REGISTER", 8, REALM, RLEN,
		    "83f71d1062a3eec872b1b7d164f04c59", 32, T0 + 2 * SEC);
		if (r == TD_DIGEST_OK) {
			atomic_fetch_add(&rc->ok[round], 1);
		} else if (r == TD_DIGEST_REPLAY) {
			atomic_fetch_add(&rc->replay[round], 1);
		}
	}
	return (NULL);
}

/* Several threads verifying the same request at the same moment: exactly one OK. */
static void
test_concurrent_verify(void **state)
{
	(void)state;
	race *rc = calloc(1, sizeof(*rc));
	assert_non_null(rc);
	rc->hdrs = calloc(ROUNDS, sizeof(*rc->hdrs));
	assert_non_null(rc->hdrs);
	rc->d = mk();
	char n[TD_DIGEST_NONCE_LEN + 1];
	phone p = std_phone();
	for (int round = 0; round < ROUNDS; round++) {
		if (round % 2 == 0) {
			nonce_at(rc->d, T0 + SEC, n); /* even: a new nonce; odd: its nc 2 */
		}
		p.nc = (uint32_t)(round % 2) + 1;
		answer(&p, n, rc->hdrs[round], sizeof(rc->hdrs[round]));
	}
	pthread_t th[THREADS];
	for (int k = 0; k < THREADS; k++) {
		assert_int_equal(pthread_create(&th[k], NULL, racer, rc), 0);
	}
	for (int k = 0; k < THREADS; k++) {
		pthread_join(th[k], NULL);
	}
	for (int round = 0; round < ROUNDS; round++) {
		assert_int_equal(atomic_load(&rc->ok[round]), 1);
		assert_int_equal(atomic_load(&rc->replay[round]), THREADS - 1);
	}
	td_digest_free(rc->d);
	free(rc->hdrs);
	free(rc);
}

static void
test_result_names(void **state)
{
	(void)state;
	const char *names[TD_DIGEST_FAILED + 1];
	for (int k = 0; k <= TD_DIGEST_FAILED; k++) {
		names[k] = td_digest_result_name((td_digest_result)k);
		assert_string_not_equal(names[k], "unknown");
		for (int j = 0; j < k; j++) {
			assert_string_not_equal(names[j], names[k]);
		}
	}
	assert_string_equal(td_digest_result_name(TD_DIGEST_STALE), "stale");
	assert_string_equal(td_digest_result_name((td_digest_result)77), "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_register_ok_then_replay),
		cmocka_unit_test(test_wrong_things),
		cmocka_unit_test(test_response_every_digit),
		cmocka_unit_test(test_ha1_mismatch),
		cmocka_unit_test(test_stale_flow),
		cmocka_unit_test(test_bad_nonce),
		cmocka_unit_test(test_two_nodes),
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_concurrent_verify),
		cmocka_unit_test(test_result_names),
	};
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
