/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for libs/digest: the credentials parser, and the
 * verification behind it.
 *
 * Beyond "does not crash", it checks contracts on every input: only the
 * documented parse errors, an error offset inside the input, slices inside
 * the input, unescaped values that copy and compare back; and, since the
 * fuzzer knows no password, that verification never says OK, STALE,
 * REPLAY or BAD_NONCE (each needs the right response).  The first "@N@" in the input is
 * replaced by a genuine nonce, so that inputs get past the nonce check to
 * the response and replay code.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "digest/digest.h"

#define REALM "lab.test"
#define NOW (1700000000LL * 1000000)

static td_digest *ctx; /* made on the first input; lives for the process */
static char nonce[TD_DIGEST_NONCE_LEN + 1];

static void
check_val(const td_digest_val *v, const char *buf, size_t size)
{
	char out[TD_DIGEST_MAX_VALUE + 1];
	size_t n = 0;
	if (v->ptr == NULL) {
		return;
	}
	if (v->ptr < buf || v->ptr + v->len > buf + size || v->len > TD_DIGEST_MAX_VALUE) {
		abort();
	}
	if (td_digest_val_copy(v, out, sizeof(out), &n) != 0 || n > v->len
	    || (!v->escaped && n != v->len) || !td_digest_val_eq(v, out, n)) {
		abort();
	}
}

static void
init(void)
{
	static const uint8_t secret[TD_DIGEST_SECRET_LEN] = { 1, 2, 3 };
	td_digest_cfg cfg = { 0 };
	cfg.secret = secret;
	cfg.replay_slots = 64;
	cfg.allow_rfc2069 = true;
	if (td_digest_new(&cfg, NOW - 1000000, &ctx) != 0) {
		abort();
	}
	td_digest_nonce_make(ctx, REALM, strlen(REALM), NOW, nonce);
}

static void
verify(const td_digest_creds *c)
{
	static const char *const ha1[] = { "f9c319be8ef5f22bf989e5936b21ed23",
		"d42ec1179956909ba5fdff07ab2b30edcb031b2fddbb40519498c04733c479d4" };
	uint8_t out[TD_DIGEST_HASH_MAX];
	size_t n = 0;
	const char *h = ha1[td_digest_alg_hashlen(c->alg) == 32];
	if (td_digest_expected(c, "REGISTER", 8, h, strlen(h), out, &n) == 0
	    && n != td_digest_alg_hashlen(c->alg)) {
		abort();
	}
	/* The nonce check on its own: only the genuine nonce passes. */
	td_digest_nonce_info info;
	td_digest_nonce_status ns = td_digest_nonce_check(
	    ctx, c->nonce.ptr, c->nonce.len, REALM, strlen(REALM), NOW, &info);
	bool genuine = !c->nonce.escaped && c->nonce.len == TD_DIGEST_NONCE_LEN
	    && memcmp(c->nonce.ptr, nonce, TD_DIGEST_NONCE_LEN) == 0;
	if (ns != (genuine ? TD_DIGEST_NONCE_OK : TD_DIGEST_NONCE_INVALID)) {
		abort();
	}
	td_digest_result r
	    = td_digest_verify(ctx, c, "REGISTER", 8, REALM, strlen(REALM), h, strlen(h), NOW);
	if (r != TD_DIGEST_WRONG_REALM && r != TD_DIGEST_UNSUPPORTED && r != TD_DIGEST_FAILED) {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[TD_DIGEST_MAX_HEADER + 2 * TD_DIGEST_NONCE_LEN];
	td_digest_creds c;
	td_digest_perr err;

	if (ctx == NULL) {
		init();
	}
	if (size > TD_DIGEST_MAX_HEADER + 64) {
		/* Long inputs only exercise the length check. */
		if (td_digest_parse((const char *)data, size, &c, &err) != TD_ETOOBIG) {
			abort();
		}
		return (0);
	}
	/* Substitute the first "@N@" by a genuine nonce. */
	const char *at = memmem(data, size, "@N@", 3);
	size_t len = size;
	if (at == NULL) {
		memcpy(buf, data, size);
	} else {
		size_t pre = (size_t)(at - (const char *)data);
		memcpy(buf, data, pre);
		memcpy(buf + pre, nonce, TD_DIGEST_NONCE_LEN);
		memcpy(buf + pre + TD_DIGEST_NONCE_LEN, at + 3, size - pre - 3);
		len = size - 3 + TD_DIGEST_NONCE_LEN;
	}

	int rc = td_digest_parse(buf, len, &c, &err);
	if (rc != 0) {
		if ((rc != TD_EINVAL && rc != TD_ETOOBIG) || err.code == TD_DIGEST_PERR_NONE
		    || (err.off > len && err.code != TD_DIGEST_PERR_TOOLONG)) {
			abort();
		}
		return (0);
	}
	const td_digest_val *all[] = { &c.username, &c.realm, &c.nonce, &c.uri, &c.response,
		&c.cnonce, &c.opaque, &c.algorithm, &c.qop_raw, &c.nc_raw };
	for (size_t k = 0; k < TD_ARRAY_LEN(all); k++) {
		check_val(all[k], buf, len);
	}
	if (c.username.ptr == NULL || c.realm.ptr == NULL || c.nonce.ptr == NULL
	    || c.uri.ptr == NULL || c.response.ptr == NULL) {
		abort();
	}
	if (c.qop != TD_DIGEST_QOP_NONE && c.nc == 0) {
		abort();
	}
	verify(&c);
	return (0);
}
