/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: the credentials parser.  Every input is copied into a heap
 * buffer of exactly its length (no NUL after it), so that ASan catches any
 * read past the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "digest/digest.h"

/* Parses s[0..n) from an exact-size heap copy; the copy is returned for slice checks. */
static int
parse_n(const char *s, size_t n, td_digest_creds *c, td_digest_perr *err, char **copy)
{
	char *b = malloc(n > 0 ? n : 1);
	assert_non_null(b);
	memcpy(b, s, n);
	int rc = td_digest_parse(b, n, c, err);
	if (copy != NULL) {
		*copy = b;
	} else {
		free(b);
	}
	return (rc);
}

/* The last input parse() copied: kept alive (slices point into it) until the next call. */
static char *last_copy;

static int
parse(const char *s, td_digest_creds *c, td_digest_perr *err)
{
	free(last_copy);
	return (parse_n(s, strlen(s), c, err, &last_copy));
}

static int
teardown(void **state)
{
	(void)state;
	free(last_copy);
	last_copy = NULL;
	return (0);
}

/* The unescaped value of v (or "(absent)"), in a static buffer. */
static const char *
val(const td_digest_val *v)
{
	static char buf[TD_DIGEST_MAX_VALUE + 1];
	size_t n;
	if (v->ptr == NULL) {
		return ("(absent)");
	}
	assert_int_equal(td_digest_val_copy(v, buf, sizeof(buf), &n), 0);
	return (buf);
}

#define FULL                                                                                       \
	"Digest username=\"1001\", realm=\"lab.test\", nonce=\"abc/def+g==\", "                    \
	"uri=\"sip:lab.test\", response=\"6629fae49393a05397450978507c4ef1\", algorithm=MD5, "     \
	"cnonce=\"0a4f113b\", opaque=\"5ccc069c\", qop=auth, nc=0000000a"

static void
test_full(void **state)
{
	(void)state;
	td_digest_creds c;
	td_digest_perr err;
	char *copy;
	assert_int_equal(parse_n(FULL, strlen(FULL), &c, &err, &copy), 0);
	assert_int_equal(err.code, TD_DIGEST_PERR_NONE);
	assert_string_equal(val(&c.username), "1001");
	assert_string_equal(val(&c.realm), "lab.test");
	assert_string_equal(val(&c.nonce), "abc/def+g==");
	assert_string_equal(val(&c.uri), "sip:lab.test");
	assert_string_equal(val(&c.response), "6629fae49393a05397450978507c4ef1");
	assert_string_equal(val(&c.cnonce), "0a4f113b");
	assert_string_equal(val(&c.opaque), "5ccc069c");
	assert_string_equal(val(&c.algorithm), "MD5");
	assert_string_equal(val(&c.qop_raw), "auth");
	assert_string_equal(val(&c.nc_raw), "0000000a");
	assert_int_equal(c.alg, TD_DIGEST_MD5);
	assert_int_equal(c.qop, TD_DIGEST_QOP_AUTH);
	assert_int_equal(c.nc, 10);
	assert_false(c.userhash);
	/* Slices point into the input, without the quotes. */
	assert_ptr_equal(c.username.ptr, memmem(copy, strlen(FULL), "1001\"", 5));
	assert_int_equal(c.username.len, 4);
	assert_false(c.username.escaped);
	free(copy);
}

/* Accepted variations, each checked on the fields it is about. */
static const struct good_case {
	const char *in;
	const char *user, *realm, *uri; /* expected values */
	td_digest_alg alg;
	td_digest_qop qop;
	uint32_t nc;
} good[] = {
	/* Minimal, RFC 2069 form: no qop, default algorithm. */
	{ "Digest username=\"a\",realm=\"r\",nonce=\"n\",uri=\"u\",response=\"x\"", "a", "r", "u",
	    TD_DIGEST_MD5, TD_DIGEST_QOP_NONE, 0 },
	/* Scheme and parameter names are case-insensitive; values keep their case. */
	{ "dIgEsT "
	  "USERNAME=\"A\",Realm=\"R\",NONCE=\"n\",Uri=\"U\",RESPONSE=\"x\",ALGORITHM=sha-256",
	    "A", "R", "U", TD_DIGEST_SHA256, TD_DIGEST_QOP_NONE, 0 },
	/* Tokens instead of quoted-strings, quoted qop and algorithm. */
	{ "Digest username=1001, realm=lab.test, nonce=n, uri=\"sip:x\", response=x, "
	  "qop=\"auth\", algorithm=\"SHA-256-sess\", cnonce=c, nc=00000001",
	    "1001", "lab.test", "sip:x", TD_DIGEST_SHA256_SESS, TD_DIGEST_QOP_AUTH, 1 },
	/* LWS everywhere: leading, around '=' and ',', tabs, CRLF folding, trailing. */
	{ "  Digest\tusername = \"a\" ,\trealm=\t\"r\"\r\n ,nonce=\"n\",\r\n\turi\r\n =\"u\", "
	  "response=\"x\"  \t",
	    "a", "r", "u", TD_DIGEST_MD5, TD_DIGEST_QOP_NONE, 0 },
	/* Empty list elements and a trailing comma are skipped. */
	{ "Digest ,, username=\"a\",,realm=\"r\", ,nonce=\"n\",uri=\"u\",response=\"x\",", "a", "r",
	    "u", TD_DIGEST_MD5, TD_DIGEST_QOP_NONE, 0 },
	/* Unknown parameters are ignored, even repeated, even holding commas and quotes. */
	{ "Digest foo=bar, username=\"a\", x-y=\"p, q=\\\"r\\\"\", realm=\"r\", foo=baz, "
	  "nonce=\"n\", uri=\"u\", response=\"x\", stale=true, domain=\"sip:a sip:b\"",
	    "a", "r", "u", TD_DIGEST_MD5, TD_DIGEST_QOP_NONE, 0 },
	/* Escapes: \" and \\ and an escaped ordinary character. */
	{ "Digest username=\"a\\\"b\\\\c\\d\", realm=\"r\\\"\", nonce=\"n\", uri=\"u\", "
	  "response=\"x\"",
	    "a\"b\\cd", "r\"", "u", TD_DIGEST_MD5, TD_DIGEST_QOP_NONE, 0 },
	/* Empty quoted values are values; UTF-8 and tabs pass inside quotes. */
	{ "Digest username=\"\", realm=\"M\xc3\xbcnchen\tA\", nonce=\"n\", uri=\"u\", "
	  "response=\"\"",
	    "", "M\xc3\xbcnchen\tA", "u", TD_DIGEST_MD5, TD_DIGEST_QOP_NONE, 0 },
	/* Unknown algorithm and qop are not parse errors (verify refuses them). */
	{ "Digest username=a,realm=r,nonce=n,uri=u,response=x,algorithm=SHA3,qop=auth-int,"
	  "cnonce=c,nc=FFFFFFFF",
	    "a", "r", "u", TD_DIGEST_ALG_UNKNOWN, TD_DIGEST_QOP_AUTH_INT, 0xffffffffu },
	{ "Digest username=a,realm=r,nonce=n,uri=u,response=x,qop=token,cnonce=c,nc=00000002,"
	  "algorithm=MD5-Sess",
	    "a", "r", "u", TD_DIGEST_MD5_SESS, TD_DIGEST_QOP_UNKNOWN, 2 },
	{ "Digest username=a,realm=r,nonce=n,uri=u,response=x,algorithm=SHA-512-256", "a", "r", "u",
	    TD_DIGEST_SHA512_256, TD_DIGEST_QOP_NONE, 0 },
};

static void
test_good_forms(void **state)
{
	(void)state;
	for (size_t k = 0; k < TD_ARRAY_LEN(good); k++) {
		const struct good_case *t = &good[k];
		td_digest_creds c;
		td_digest_perr err;
		print_message("case %zu\n", k);
		assert_int_equal(parse(t->in, &c, &err), 0);
		assert_string_equal(val(&c.username), t->user);
		assert_string_equal(val(&c.realm), t->realm);
		assert_string_equal(val(&c.uri), t->uri);
		assert_int_equal(c.alg, t->alg);
		assert_int_equal(c.qop, t->qop);
		assert_int_equal(c.nc, t->nc);
	}
}

static void
test_userhash(void **state)
{
	(void)state;
	td_digest_creds c;
	assert_int_equal(
	    parse("Digest username=a,realm=r,nonce=n,uri=u,response=x,userhash=TRUE", &c, NULL), 0);
	assert_true(c.userhash);
	assert_int_equal(
	    parse(
	        "Digest username=a,realm=r,nonce=n,uri=u,response=x,userhash=\"false\"", &c, NULL),
	    0);
	assert_false(c.userhash);
}

/* Rejected inputs: the error, its reason, and where. */
static const struct bad_case {
	const char *in;
	int rc;
	td_digest_perr_code code;
	size_t off;
} bad[] = {
	{ "", TD_EINVAL, TD_DIGEST_PERR_SCHEME, 0 },
	{ "   ", TD_EINVAL, TD_DIGEST_PERR_SCHEME, 3 },
	{ "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", TD_EINVAL, TD_DIGEST_PERR_SCHEME, 0 },
	{ "Digestusername=\"a\"", TD_EINVAL, TD_DIGEST_PERR_SCHEME, 0 },
	{ "Digest\"a\"", TD_EINVAL, TD_DIGEST_PERR_SCHEME, 6 },
	{ "Digest\r\nusername=a", TD_EINVAL, TD_DIGEST_PERR_SCHEME, 6 }, /* CRLF without fold */
	{ "Digest", TD_EINVAL, TD_DIGEST_PERR_MISSING, 6 },
	{ "Digest  ", TD_EINVAL, TD_DIGEST_PERR_MISSING, 8 },
	/* Each required parameter missing in turn. */
	{ "Digest realm=r,nonce=n,uri=u,response=x", TD_EINVAL, TD_DIGEST_PERR_MISSING, 39 },
	{ "Digest username=a,nonce=n,uri=u,response=x", TD_EINVAL, TD_DIGEST_PERR_MISSING, 42 },
	{ "Digest username=a,realm=r,uri=u,response=x", TD_EINVAL, TD_DIGEST_PERR_MISSING, 42 },
	{ "Digest username=a,realm=r,nonce=n,response=x", TD_EINVAL, TD_DIGEST_PERR_MISSING, 44 },
	{ "Digest username=a,realm=r,nonce=n,uri=u", TD_EINVAL, TD_DIGEST_PERR_MISSING, 39 },
	/* qop requires cnonce and nc. */
	{ "Digest username=a,realm=r,nonce=n,uri=u,response=x,qop=auth,nc=00000001", TD_EINVAL,
	    TD_DIGEST_PERR_MISSING, 71 },
	{ "Digest username=a,realm=r,nonce=n,uri=u,response=x,qop=auth,cnonce=c", TD_EINVAL,
	    TD_DIGEST_PERR_MISSING, 68 },
	/* Duplicates of known parameters, whatever their case or form. */
	{ "Digest username=a,username=a,realm=r,nonce=n,uri=u,response=x", TD_EINVAL,
	    TD_DIGEST_PERR_DUPLICATE, 18 },
	{ "Digest username=a,realm=r,nonce=n,uri=u,response=x,USERNAME=\"b\"", TD_EINVAL,
	    TD_DIGEST_PERR_DUPLICATE, 51 },
	{ "Digest username=a,realm=r,nonce=n,uri=u,response=x,nonce=m", TD_EINVAL,
	    TD_DIGEST_PERR_DUPLICATE, 51 },
	{ "Digest username=a,realm=r,nonce=n,uri=u,response=x,qop=auth,qop=auth", TD_EINVAL,
	    TD_DIGEST_PERR_DUPLICATE, 60 },
	{ "Digest username=a,realm=r,nonce=n,uri=u,response=x,algorithm=MD5,Algorithm=SHA-256",
	    TD_EINVAL, TD_DIGEST_PERR_DUPLICATE, 65 },
	/* Syntax. */
	{ "Digest username", TD_EINVAL, TD_DIGEST_PERR_SYNTAX, 15 },
	{ "Digest username=", TD_EINVAL, TD_DIGEST_PERR_SYNTAX, 16 },
	{ "Digest username= ,realm=r", TD_EINVAL, TD_DIGEST_PERR_SYNTAX, 17 },
	{ "Digest =a", TD_EINVAL, TD_DIGEST_PERR_SYNTAX, 7 },
	{ "Digest username=a realm=r", TD_EINVAL, TD_DIGEST_PERR_SYNTAX, 18 },
	{ "Digest username=\"a\"realm=r", TD_EINVAL, TD_DIGEST_PERR_SYNTAX, 19 },
	{ "Digest username=a;realm=r", TD_EINVAL, TD_DIGEST_PERR_SYNTAX, 17 },
	{ "Digest uri=sip:a@b", TD_EINVAL, TD_DIGEST_PERR_SYNTAX, 14 }, /* unquoted URI */
	{ "Digest username=a,\r\nrealm=r", TD_EINVAL, TD_DIGEST_PERR_SYNTAX, 18 },
	{ "Digest username=a\n", TD_EINVAL, TD_DIGEST_PERR_SYNTAX, 17 },
	{ "Digest username=a\r", TD_EINVAL, TD_DIGEST_PERR_SYNTAX, 17 },
	{ "Digest username=a, \x01=b", TD_EINVAL, TD_DIGEST_PERR_SYNTAX, 19 },
	{ "Digest username==a", TD_EINVAL, TD_DIGEST_PERR_SYNTAX, 16 },
	{ "Digest username=a,,,realm", TD_EINVAL, TD_DIGEST_PERR_SYNTAX, 25 },
	/* Quoted-strings. */
	{ "Digest username=\"abc", TD_EINVAL, TD_DIGEST_PERR_QUOTE, 16 },
	{ "Digest username=\"abc\\", TD_EINVAL, TD_DIGEST_PERR_QUOTE, 20 },
	{ "Digest username=\"abc\\\"", TD_EINVAL, TD_DIGEST_PERR_QUOTE, 16 },
	{ "Digest username=\"a\x01z\"", TD_EINVAL, TD_DIGEST_PERR_QUOTE, 18 },
	{ "Digest username=\"a\r\n b\"", TD_EINVAL, TD_DIGEST_PERR_QUOTE, 18 },
	{ "Digest username=\"a\nb\"", TD_EINVAL, TD_DIGEST_PERR_QUOTE, 18 },
	{ "Digest username=\"a\x7f\"", TD_EINVAL, TD_DIGEST_PERR_QUOTE, 18 },
	{ "Digest username=\"a\\\r\"", TD_EINVAL, TD_DIGEST_PERR_QUOTE, 19 },
	{ "Digest username=\"a\\\xc3\xbc\"", TD_EINVAL, TD_DIGEST_PERR_QUOTE, 19 },
	{ "Digest x=\"unterminated, username=\"a\"", TD_EINVAL, TD_DIGEST_PERR_SYNTAX, 34 },
	/* Values with a grammar. */
	{ "Digest username=a,realm=r,nonce=n,uri=u,response=x,qop=auth,cnonce=c,nc=1", TD_EINVAL,
	    TD_DIGEST_PERR_VALUE, 72 },
	{ "Digest username=a,realm=r,nonce=n,uri=u,response=x,qop=auth,cnonce=c,nc=0000000g",
	    TD_EINVAL, TD_DIGEST_PERR_VALUE, 79 },
	{ "Digest username=a,realm=r,nonce=n,uri=u,response=x,qop=auth,cnonce=c,nc=00000000",
	    TD_EINVAL, TD_DIGEST_PERR_VALUE, 72 },
	{ "Digest username=a,realm=r,nonce=n,uri=u,response=x,qop=auth,cnonce=c,nc=000000001",
	    TD_EINVAL, TD_DIGEST_PERR_VALUE, 72 },
	{ "Digest username=a,realm=r,nonce=n,uri=u,response=x,qop=\"\",cnonce=c,nc=00000001",
	    TD_EINVAL, TD_DIGEST_PERR_VALUE, 56 },
	{ "Digest username=a,realm=r,nonce=n,uri=u,response=x,userhash=maybe", TD_EINVAL,
	    TD_DIGEST_PERR_VALUE, 60 },
};

static void
test_bad_forms(void **state)
{
	(void)state;
	for (size_t k = 0; k < TD_ARRAY_LEN(bad); k++) {
		const struct bad_case *t = &bad[k];
		td_digest_creds c;
		td_digest_perr err;
		print_message("case %zu\n", k);
		assert_int_equal(parse(t->in, &c, &err), t->rc);
		assert_string_equal(td_digest_perr_name(err.code), td_digest_perr_name(t->code));
		assert_int_equal(err.off, t->off);
	}
	/* err may be NULL. */
	td_digest_creds c;
	assert_int_equal(parse("Digest", &c, NULL), TD_EINVAL);
	assert_int_equal(td_digest_parse(NULL, 0, &c, NULL), TD_EINVAL);
}

/*
 * A valid header cut at every byte offset must fail cleanly.  username is
 * last, so no proper prefix is complete.  Also checks that the reported
 * offset is inside the input.
 */
static void
test_truncation(void **state)
{
	(void)state;
	const char *full = "Digest realm=\"lab.test\", nonce=\"abc\", uri=\"sip:lab.test\", "
	                   "response=\"6629fae49393a05397450978507c4ef1\", qop=auth, "
	                   "cnonce=\"0a4f113b\", nc=00000001, opaque=\"o\\\"p\", "
	                   "algorithm=SHA-256, username=\"1001\"";
	size_t n = strlen(full);
	td_digest_creds c;
	td_digest_perr err;
	assert_int_equal(parse_n(full, n, &c, &err, NULL), 0);
	for (size_t cut = 0; cut < n; cut++) {
		int rc = parse_n(full, cut, &c, &err, NULL);
		if (rc != TD_EINVAL) {
			print_message("cut at %zu parsed (rc %d)\n", cut, rc);
		}
		assert_int_equal(rc, TD_EINVAL);
		assert_true(err.code != TD_DIGEST_PERR_NONE);
		assert_true(err.off <= cut);
	}
}

static void
test_lengths(void **state)
{
	(void)state;
	td_digest_creds c;
	td_digest_perr err;
	size_t cap = TD_DIGEST_MAX_HEADER + 4096;
	char *b = malloc(cap);
	assert_non_null(b);

	/* A value of exactly TD_DIGEST_MAX_VALUE is fine, quoted or as a token. */
	for (int quoted = 0; quoted < 2; quoted++) {
		const char *q = quoted ? "\"" : "";
		int n = snprintf(b, cap, "Digest realm=r,nonce=n,uri=u,response=x,username=%s", q);
		memset(b + n, 'u', TD_DIGEST_MAX_VALUE);
		n += TD_DIGEST_MAX_VALUE;
		n += snprintf(b + n, cap - (size_t)n, "%s", q);
		assert_int_equal(parse_n(b, (size_t)n, &c, &err, NULL), 0);
		assert_int_equal(c.username.len, TD_DIGEST_MAX_VALUE);

		/* One more byte is too long. */
		n = snprintf(b, cap, "Digest realm=r,nonce=n,uri=u,response=x,username=%s", q);
		memset(b + n, 'u', TD_DIGEST_MAX_VALUE + 1);
		n += TD_DIGEST_MAX_VALUE + 1;
		n += snprintf(b + n, cap - (size_t)n, "%s", q);
		assert_int_equal(parse_n(b, (size_t)n, &c, &err, NULL), TD_ETOOBIG);
		assert_int_equal(err.code, TD_DIGEST_PERR_TOOLONG);
	}
	/* Unknown parameters are bounded too. */
	int n = snprintf(b, cap, "Digest x=\"");
	memset(b + n, 'x', 2000);
	n += 2000;
	b[n++] = '"';
	assert_int_equal(parse_n(b, (size_t)n, &c, &err, NULL), TD_ETOOBIG);

	/* The whole header: TD_DIGEST_MAX_HEADER bytes parse, one more does not. */
	n = snprintf(b, cap, "Digest realm=r,nonce=n,uri=u,response=x,username=a");
	memset(b + n, ' ', TD_DIGEST_MAX_HEADER - (size_t)n);
	assert_int_equal(parse_n(b, TD_DIGEST_MAX_HEADER, &c, &err, NULL), 0);
	b[TD_DIGEST_MAX_HEADER] = ' ';
	assert_int_equal(parse_n(b, TD_DIGEST_MAX_HEADER + 1, &c, &err, NULL), TD_ETOOBIG);
	assert_int_equal(err.code, TD_DIGEST_PERR_TOOLONG);
	free(b);

	/* A megabyte of garbage is refused up front. */
	size_t big = 1 << 20;
	char *g = malloc(big);
	assert_non_null(g);
	memset(g, 'A', big);
	assert_int_equal(td_digest_parse(g, big, &c, &err), TD_ETOOBIG);
	free(g);
}

/* Pseudo-random garbage, and garbage after a valid prefix, never parses and never crashes. */
static void
test_garbage(void **state)
{
	(void)state;
	uint32_t x = 2463534242u;
	char buf[300];
	td_digest_creds c;
	td_digest_perr err;
	int ok = 0;
	for (int round = 0; round < 20000; round++) {
		size_t n = 1 + (size_t)(round % (int)sizeof(buf));
		size_t start = 0;
		if (round % 2 == 0) {
			memcpy(buf, "Digest ", 7);
			start = 7;
		}
		for (size_t k = start; k < n; k++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			buf[k] = (char)(x & 0xff);
		}
		if (parse_n(buf, n, &c, &err, NULL) == 0) {
			ok++;
		} else {
			assert_true(err.off <= n);
		}
	}
	assert_int_equal(ok, 0);
}

static void
test_val_helpers(void **state)
{
	(void)state;
	td_digest_creds c;
	assert_int_equal(parse("Digest username=\"a\\\"b\", realm=\"plain\", nonce=n, uri=u, "
	                       "response=x",
	                     &c, NULL),
	    0);
	assert_true(c.username.escaped);
	assert_false(c.realm.escaped);
	assert_true(td_digest_val_eq(&c.username, "a\"b", 3));
	assert_false(td_digest_val_eq(&c.username, "a\\\"b", 4));
	assert_false(td_digest_val_eq(&c.username, "a\"", 2));
	assert_false(td_digest_val_eq(&c.username, "a\"bc", 4));
	assert_true(td_digest_val_eq(&c.realm, "plain", 5));
	assert_false(td_digest_val_eq(&c.realm, "Plain", 5));
	assert_false(td_digest_val_eq(&c.cnonce, "", 0)); /* absent */

	char small[3];
	size_t n = 99;
	assert_int_equal(td_digest_val_copy(&c.username, small, sizeof(small), &n), TD_ETOOBIG);
	assert_string_equal(small, "");
	assert_int_equal(n, 99);
	char fits[4];
	assert_int_equal(td_digest_val_copy(&c.username, fits, sizeof(fits), &n), 0);
	assert_string_equal(fits, "a\"b");
	assert_int_equal(td_digest_val_copy(&c.cnonce, fits, sizeof(fits), &n), TD_ENOTFOUND);
}

static void
test_perr_names(void **state)
{
	(void)state;
	const char *seen[8];
	for (int k = 0; k <= TD_DIGEST_PERR_VALUE; k++) {
		seen[k] = td_digest_perr_name((td_digest_perr_code)k);
		assert_string_not_equal(seen[k], "unknown");
		for (int j = 0; j < k; j++) {
			assert_string_not_equal(seen[j], seen[k]);
		}
	}
	assert_string_equal(td_digest_perr_name((td_digest_perr_code)99), "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_good_forms),
		cmocka_unit_test(test_userhash),
		cmocka_unit_test(test_bad_forms),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_val_helpers),
		cmocka_unit_test(test_perr_names),
	};
	return (cmocka_run_group_tests(tests, NULL, teardown));
}
